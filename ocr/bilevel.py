"""Whether a PDF's black-and-white scan images (CCITT fax G3/G4, JBIG2) decode whole.

Neither pikepdf nor Pillow reports damage in them: Pillow's libtiff decodes a G4 stream cut in half without an
error (the rows it could not decode come out blank), and pikepdf decodes JBIG2 only with ``jbig2dec``. Two
decoders are asked instead:

- libtiff itself (the system's ``libtiff.so.6``, through ctypes), for CCITT: the image wrapped as a TIFF (as
  pikepdf extracts it; a TIFF input's fax-coded pages as they are) and decoded with libtiff's warning and error
  handlers set, which its fax decoders call for every fault ("Premature EOF at line …", "Bad code word at line
  …") while still returning the rows;
- poppler's ``pdftoppm``, for JBIG2 (and CCITT where libtiff cannot be loaded): each image drawn alone on a tiny
  page of a PDF of its own, so that nothing else of the input can be the cause, and its ``Syntax Error`` lines
  read (~95 ms an image: drawing it, where libtiff decodes a G4 page in ~7 ms).

Measured on 4 cuts (30, 50, 70, 90 %) of a G4 page: libtiff named all 4, poppler 1 (it takes a stream that ends
cleanly between codes for a finished one and draws the rest white). On the 437 PDFs of ``../shared/corpora``
(OCRmyPDF's ``ccitt.pdf`` and ``jbig2.pdf`` among them) and its 29 TIFFs neither complains. Either missing, its
check is skipped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import io
import platform
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf

from sohoa.fsutil import ScratchFolder

CCITT = "/CCITTFaxDecode"
JBIG2 = "/JBIG2Decode"
POPPLER_SECONDS = 120  # a check that takes longer says nothing (the renderer will meet the image anyway)


def _fax_parameters(image: pikepdf.Stream) -> tuple[int, bool, bool] | None:
    """A CCITT image's ``/K``, ``/EncodedByteAlign`` and ``/EndOfLine`` (its last filter's parameters); None when
    ``/K`` is no number."""
    parms = image.get("/DecodeParms")
    if isinstance(parms, pikepdf.Array):
        parms = parms[-1] if len(parms) else None
    parms = parms if isinstance(parms, pikepdf.Dictionary) else pikepdf.Dictionary()
    try:
        k = int(parms.get("/K", 0))
    except (TypeError, ValueError):
        return None
    return k, bool(parms.get("/EncodedByteAlign", False)), bool(parms.get("/EndOfLine", False))


def _libtiff_reads_it_truly(image: pikepdf.Stream) -> bool:
    """Whether the TIFF that pikepdf wraps a CCITT image in describes it truly, for libtiff to judge: G4 (``/K``
    < 0), or G3 written with its end-of-line codes (TIFF's T.4 has them). A G3 image without them (``/EndOfLine``
    false, the default) was wrapped as T.4 and libtiff called an intact scan "Premature EOL at line 0" (QA103); one
    with ``/EncodedByteAlign`` pikepdf does not wrap at all. Those are left unchecked."""
    parameters = _fax_parameters(image)
    if parameters is None:
        return False
    k, byte_aligned, end_of_line = parameters
    return not byte_aligned and (k < 0 or end_of_line)


def _poppler_judges(image: pikepdf.Stream) -> bool:
    """Whether poppler is asked about a CCITT image libtiff is not given (``_libtiff_reads_it_truly``): one with
    /EncodedByteAlign and /K ≤ 0, whose damage poppler reports (QA104: a cut byte-aligned G4 was archived half
    blank as `good`). Not a G3 2-D one without end-of-line codes: poppler complained of intact ones Ghostscript
    wrote (QA103)."""
    parameters = _fax_parameters(image)
    return parameters is not None and parameters[1] and parameters[0] <= 0


def bilevel_codec(image: pikepdf.Stream) -> str | None:
    """``CCITT`` or ``JBIG2`` when that is the image's last filter, else None."""
    filters = image.get("/Filter")
    last = filters[-1] if isinstance(filters, pikepdf.Array) and len(filters) else filters
    return str(last) if str(last) in (CCITT, JBIG2) else None


def bilevel_complaints(images: list[tuple[int, str, pikepdf.Stream]]) -> Iterator[tuple[int, str, str]]:
    """(page number, image name, what is wrong) for each of ``images`` (page number, name, image) that does not
    decode whole; poppler is run once for them all, and again for each only when it complains."""
    for number, name, image in images:
        if bilevel_codec(image) != CCITT or not _libtiff_reads_it_truly(image):
            continue
        if (complaint := _libtiff_complaint(image)) is not None:
            yield number, name, complaint
    # poppler for JBIG2 (and CCITT only without libtiff): libtiff names every CCITT fault poppler does and more, in
    # ~7 ms a page where poppler takes ~95 (it draws each image: 4.8 s for a 50-page G4 document)
    libtiff = _libtiff() is not None
    jbig2 = [
        (number, name, image)
        for number, name, image in images
        if bilevel_codec(image) == JBIG2 or (bilevel_codec(image) == CCITT and (not libtiff or _poppler_judges(image)))
    ]
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None or not jbig2 or _poppler_complaint(pdftoppm, [image for _, _, image in jbig2]) is None:
        return
    for number, name, image in jbig2:
        if (complaint := _poppler_complaint(pdftoppm, [image])) is not None:
            yield number, name, complaint


def _poppler_complaint(pdftoppm: str, images: list[pikepdf.Stream]) -> str | None:
    """poppler's first error drawing ``images``, each alone on a page of a PDF of their own, or None when it draws
    them without one (or takes too long to say)."""
    alone = pikepdf.new()
    for image in images:
        page = alone.add_blank_page(page_size=(72, 72))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=alone.copy_foreign(image)))
        page.Contents = alone.make_stream(b"q 72 0 0 72 0 0 cm /Im0 Do Q")
    with ScratchFolder("sohoa-images-") as scratch:
        drawn = scratch / "images.pdf"
        alone.save(drawn)
        try:
            done = subprocess.run(
                [pdftoppm, "-r", "10", "-gray", str(drawn), str(Path(scratch) / "page")],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=POPPLER_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None
    complaints = [line for line in done.stderr.splitlines() if "Syntax Error" in line or "Internal Error" in line]
    return re.sub(r"^(Syntax|Internal) Error( \(\d+\))?: ", "", complaints[0]) if complaints else None


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, for vsnprintf (looked for the first time libtiff speaks: ``find_library`` runs ldconfig);
    only where a ``va_list`` argument is known to arrive as a pointer (x86-64 and AArch64 Linux): elsewhere
    libtiff's messages are given as their formats."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64"):
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is not None:
        libc.vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
        libc.vsnprintf.restype = ctypes.c_int
    return libc


class _Libtiff:
    """The few libtiff calls needed, with its warning and error handlers pointed at a list while one image is
    decoded (libtiff's handlers are global to the library: one decode at a time)."""

    _HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        self.lock = threading.Lock()
        self.said: list[tuple[str, str]] = []
        self._handler = self._HANDLER(self._note)  # kept referenced: libtiff holds the pointer
        lib.TIFFOpen.argtypes, lib.TIFFOpen.restype = [ctypes.c_char_p, ctypes.c_char_p], ctypes.c_void_p
        lib.TIFFClose.argtypes, lib.TIFFClose.restype = [ctypes.c_void_p], None
        lib.TIFFReadDirectory.argtypes, lib.TIFFReadDirectory.restype = [ctypes.c_void_p], ctypes.c_int
        lib.TIFFNumberOfStrips.argtypes, lib.TIFFNumberOfStrips.restype = [ctypes.c_void_p], ctypes.c_uint32
        lib.TIFFStripSize.argtypes, lib.TIFFStripSize.restype = [ctypes.c_void_p], ctypes.c_ssize_t
        lib.TIFFReadEncodedStrip.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
        lib.TIFFReadEncodedStrip.restype = ctypes.c_ssize_t
        lib.TIFFIsTiled.argtypes, lib.TIFFIsTiled.restype = [ctypes.c_void_p], ctypes.c_int
        lib.TIFFNumberOfTiles.argtypes, lib.TIFFNumberOfTiles.restype = [ctypes.c_void_p], ctypes.c_uint32
        lib.TIFFTileSize.argtypes, lib.TIFFTileSize.restype = [ctypes.c_void_p], ctypes.c_ssize_t
        lib.TIFFReadEncodedTile.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
        lib.TIFFReadEncodedTile.restype = ctypes.c_ssize_t
        for setter in (lib.TIFFSetWarningHandler, lib.TIFFSetErrorHandler):
            setter.argtypes, setter.restype = [ctypes.c_void_p], ctypes.c_void_p

    def _note(self, module: bytes | None, message: bytes | None, arguments: Any) -> None:
        text = (message or b"").decode(errors="replace")
        if message and arguments and (libc := _libc()) is not None:
            # the message with its arguments, by the C library's own vsnprintf: the va_list reaches Python as a
            # pointer, and is valid only here
            buffer = ctypes.create_string_buffer(512)
            libc.vsnprintf(buffer, len(buffer), message, arguments)
            text = buffer.value.decode(errors="replace")
        self.said.append(((module or b"").decode(errors="replace"), text))

    def decode_faults(self, tiff: Path, directories: int = 1) -> list[tuple[int, str, str]]:
        """(directory index, libtiff module, message) of the first fault its fax decoders report decoding
        each of the first ``directories`` images (pages) of ``tiff``; a directory that is not fax-coded decodes
        without their word."""
        faults: list[tuple[int, str, str]] = []
        ours = ctypes.cast(self._handler, ctypes.c_void_p)
        with self.lock:
            # heard only while decoding here: whatever else in this process uses the library keeps its own handlers
            warned = self.lib.TIFFSetWarningHandler(ours)
            failed = self.lib.TIFFSetErrorHandler(ours)
            handle = self.lib.TIFFOpen(str(tiff).encode(), b"r")
            try:
                if not handle:
                    return []
                for directory in range(directories):
                    if directory and not self.lib.TIFFReadDirectory(handle):
                        break
                    self.said = []
                    tiled = bool(self.lib.TIFFIsTiled(handle))  # a tiled TIFF's tiles (QA103: strips only were read)
                    size = (self.lib.TIFFTileSize if tiled else self.lib.TIFFStripSize)(handle)
                    parts = (self.lib.TIFFNumberOfTiles if tiled else self.lib.TIFFNumberOfStrips)(handle)
                    read = self.lib.TIFFReadEncodedTile if tiled else self.lib.TIFFReadEncodedStrip
                    buffer = ctypes.create_string_buffer(max(1, size))
                    for part in range(parts):
                        read(handle, part, buffer, size)
                    said = [(module, message) for module, message in self.said if module.startswith("Fax")]
                    if said:
                        faults.append((directory, *said[0]))
            finally:
                if handle:
                    self.lib.TIFFClose(handle)
                self.lib.TIFFSetWarningHandler(warned)
                self.lib.TIFFSetErrorHandler(failed)
        return faults


@functools.cache
def _libtiff() -> _Libtiff | None:
    name = ctypes.util.find_library("tiff")
    try:
        return _Libtiff(ctypes.CDLL(name)) if name else None
    except (OSError, AttributeError):
        return None


def _libtiff_complaint(image: pikepdf.Stream) -> str | None:
    """What libtiff's fax decoder says is wrong with the CCITT ``image`` (``Premature EOF (Fax4Decode)``), or None:
    whole, or not to be told (no libtiff, an encoding pikepdf cannot wrap as a TIFF)."""
    libtiff = _libtiff()
    if libtiff is None:
        return None
    wrapped = io.BytesIO()
    try:
        pikepdf.PdfImage(image).extract_to(stream=wrapped)
    except Exception:  # noqa: BLE001 — pikepdf cannot wrap it (UnsupportedImageTypeError…): not judged (QA103)
        return None
    with ScratchFolder("sohoa-fax-") as scratch:
        tiff = scratch / "image.tif"
        tiff.write_bytes(wrapped.getvalue())
        faults = libtiff.decode_faults(tiff)
    return _said(*faults[0][1:]) if faults else None


def _said(module: str, message: str) -> str:
    return f"{message} ({module}, libtiff)"


FAX_TIFF_COMPRESSIONS = {2, 3, 4}  # CCITT modified Huffman (RLE), T.4 (G3), T.6 (G4)


def tiff_fax_complaints(tiff: Path, frames: int) -> list[tuple[int, str]]:
    """(frame index, what is wrong) of each of the first ``frames`` frames of the TIFF file ``tiff`` whose fax-coded
    image does not decode whole: Pillow decodes a G4 strip cut short or garbled without an error too."""
    libtiff = _libtiff()
    if libtiff is None:
        return []
    return [(directory, _said(module, message)) for directory, module, message in libtiff.decode_faults(tiff, frames)]
