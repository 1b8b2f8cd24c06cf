"""The names the signing settings take, in a module of their own: the settings check them when they load, and
importing ``signing`` for that cost every command ~0.3 s (pyHanko), `sohoa ocr` included. ``signing`` uses these."""

from __future__ import annotations

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")  # PAdES baseline levels, weakest first
IDENTITY_KINDS = ("dev", "pkcs12", "pkcs11")  # SOHOA_SIGNING_IDENTITY
