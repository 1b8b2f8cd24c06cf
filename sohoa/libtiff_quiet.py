"""Keep Pillow's libtiff from printing its warnings on an officer's screen.

Pillow decodes TIFF pages through the libtiff it ships (``pillow.libs/libtiff-*.so``), whose default warning
handler prints each fault of a damaged fax-coded page on stderr — "Fax4Decode: Bad code word at line 182 of tile 31
(x 75)." six times, English, no file name — in the middle of a batch's log (QA104: `sohoa process` splits a stack at
its separator sheets with Pillow before the input check, which refuses the file in words, runs). Its handlers are
set to none: a fault still makes libtiff's call fail, which Pillow raises as an error.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path


@functools.cache
def quiet_pillow_libtiff() -> int:
    """Silence the warnings and error messages of the libtiff Pillow decodes with; how many libraries were
    quietened (0 where Pillow uses none of its own, e.g. a distribution's build: its libtiff is the system's, left
    as it is)."""
    import PIL

    quietened = 0
    for library in sorted((Path(PIL.__file__).resolve().parent.parent / "pillow.libs").glob("libtiff*.so*")):
        try:
            loaded = ctypes.CDLL(str(library))  # the copy Pillow's _imaging already loaded: the same library
            for setter in (loaded.TIFFSetWarningHandler, loaded.TIFFSetErrorHandler):
                setter.argtypes, setter.restype = [ctypes.c_void_p], ctypes.c_void_p
                setter(None)
            quietened += 1
        except (OSError, AttributeError):
            continue
    return quietened
