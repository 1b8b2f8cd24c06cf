"""The names the signing settings take, in a module of their own: the settings check them when they load, and
importing ``signing`` for that cost every command ~0.3 s (pyHanko), `sohoa ocr` included. ``signing`` uses these."""

from __future__ import annotations

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")  # PAdES baseline levels, weakest first
IDENTITY_KINDS = ("dev", "pkcs12", "pkcs11")  # SOHOA_SIGNING_IDENTITY
# SOHOA_SIGNATURE_APPEARANCE and `sohoa sign --appearance` (signing.appearance draws them)
APPEARANCES = ("none", "signer", "seal", "decree30", "copy")
# the image settings each visible appearance draws (seal: the signer's image too when there is one, to fit over it)
APPEARANCE_IMAGES = {
    "signer": ("signature_image",),
    "seal": ("seal_image",),
    "decree30": ("seal_image", "signature_image"),
}
# what every signature dictionary holds (its /ByteRange): a file without it was never signed
SIGNATURE_MARK = b"/ByteRange"
