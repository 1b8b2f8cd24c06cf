"""asn1crypto builds each value map's reverse (name → OID or number) the first time one is used, in place: it sets
``cls._reverse_map = {}`` and then fills it. A second thread using the same class meanwhile sees the empty map and
takes the name for a dotted OID: ``invalid literal for int() with base 10: 'sha256' while constructing
asn1crypto.tsp.ESSCertIDv2``. A batch signs its documents in threads, so two first signatures of a run met it
(seen once in the suite, 2026-12-02: a good scan left failed, "signing failed, not because of the scan").
``ValueMap._setup`` is replaced by one that builds the whole map first and then puts it in place in one step
(asn1crypto 1.5.1 has the race; the replacement does what it does, atomically)."""

from __future__ import annotations

from typing import Any

import asn1crypto.core


def _setup_whole(self: Any) -> None:
    cls = self.__class__
    if cls._map is None or cls._reverse_map is not None:
        return
    cls._reverse_map = {value: key for key, value in cls._map.items()}


asn1crypto.core.ValueMap._setup = _setup_whole
