"""A long-lived Tesseract reader: libtesseract's C API in a process of its own, one page at a time.

Run as ``python -I -S ocr/tess_worker.py LANGUAGE [TESSDATA_DIR]`` by ``ocr.tesseract_library``; standard
library only, so it starts in milliseconds and never imports sohoa. Why not one ``tesseract`` command per page:
each command loads the model and a table of "universal ambiguities" the LSTM engine never uses, reads the page
image byte by byte (leptonica's PNM reader) and formats a TSV by walking the page's rows from their start for
every word — together ~20 % of a page's CPU (ocr/README.md, "How the OCR stage works"). Here the model loads once, the
image is handed over as raw pixels and the words are walked once. Why a process and not a thread of sohoa:
a crash inside Tesseract on a hostile page must cost that page, not the batch.

Protocol, one JSON object per line: first ``{"ready": true, "version": ...}`` or ``{"error": ...}`` after loading
the model; then for each request ``{"image": path, "dpi": N, "psm": N}`` the answer ``{"width", "height",
"words": [[text, confidence, left, top, width, height, block, paragraph, line], ...]}`` or ``{"error": ...}``.
End of input ends the process, so it never outlives the process that started it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import sys
import time
from typing import Any

# Page iterator levels (tesseract/publictypes.h)
RIL_BLOCK, RIL_PARA, RIL_TEXTLINE, RIL_WORD = 0, 1, 2, 3
_INVERT_BITS = bytes(255 - value for value in range(256))


class TesseractLibrary:
    """The few libtesseract C API calls a page needs, typed for ctypes."""

    def __init__(self) -> None:
        name = "libtesseract.so.5"
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            found = ctypes.util.find_library("tesseract")
            if found is None:
                raise
            lib = ctypes.CDLL(found)
        handle, text, number = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
        out_int = ctypes.POINTER(ctypes.c_int)

        def bind(symbol: str, result: Any, *arguments: Any) -> Any:
            function = getattr(lib, symbol)
            function.restype = result
            function.argtypes = list(arguments)
            return function

        self.create = bind("TessBaseAPICreate", handle)
        self.init = bind("TessBaseAPIInit3", number, handle, text, text)
        self.set_image = bind("TessBaseAPISetImage", None, handle, text, number, number, number, number)
        self.set_resolution = bind("TessBaseAPISetSourceResolution", None, handle, number)
        self.set_page_segmentation = bind("TessBaseAPISetPageSegMode", None, handle, number)
        self.set_rectangle = bind("TessBaseAPISetRectangle", None, handle, number, number, number, number)
        self.recognize = bind("TessBaseAPIRecognize", number, handle, handle)
        self.clear = bind("TessBaseAPIClear", None, handle)
        self.iterator = bind("TessBaseAPIGetIterator", handle, handle)
        self.iterator_next = bind("TessResultIteratorNext", number, handle, number)
        self.iterator_text = bind("TessResultIteratorGetUTF8Text", handle, handle, number)
        self.iterator_confidence = bind("TessResultIteratorConfidence", ctypes.c_float, handle, number)
        self.page_iterator = bind("TessResultIteratorGetPageIteratorConst", handle, handle)
        self.bounding_box = bind(
            "TessPageIteratorBoundingBox", number, handle, number, out_int, out_int, out_int, out_int
        )
        self.at_beginning_of = bind("TessPageIteratorIsAtBeginningOf", number, handle, number)
        self.delete_iterator = bind("TessResultIteratorDelete", None, handle)
        self.delete_text = bind("TessDeleteText", None, handle)
        self.version = bind("TessVersion", text)
        self.end = bind("TessBaseAPIEnd", None, handle)
        self.delete = bind("TessBaseAPIDelete", None, handle)


def read_pnm(path: str) -> tuple[bytes, int, int, int, int]:
    """(pixels, width, height, bytes per pixel (0 = 1-bit), bytes per line) of a binary PBM/PGM/PPM file as
    Pillow writes them for sohoa."""
    with open(path, "rb") as image:
        data = image.read()
    fields: list[bytes] = []
    position = 0
    magic = data[:2]
    wanted = 3 if magic == b"P4" else 4
    while len(fields) < wanted:
        while data[position : position + 1].isspace():
            position += 1
        if data[position : position + 1] == b"#":  # a comment runs to the end of its line
            position = data.index(b"\n", position)
            continue
        end = position
        while end < len(data) and not data[end : end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    position += 1  # the single whitespace byte before the pixels
    width, height = int(fields[1]), int(fields[2])
    if magic == b"P4":
        depth, line = 0, (width + 7) // 8
    elif magic in (b"P5", b"P6") and int(fields[3]) == 255:
        depth = 1 if magic == b"P5" else 3
        line = width * depth
    else:
        raise ValueError(f"not an 8-bit binary PNM image ({magic!r})")
    pixels = data[position : position + line * height]
    if width <= 0 or height <= 0 or len(pixels) < line * height:  # Tesseract would read past the buffer
        raise ValueError(f"{width}×{height} pixels announced, {len(pixels)} bytes present")
    if depth == 0:
        pixels = pixels.translate(_INVERT_BITS)  # PBM's 1 is black; Tesseract's packed 1-bit pixels take 1 as white
    return pixels, width, height, depth, line


# Where a page image has ink: its pixels darker than INK_BELOW (of 255: paper is lighter, and so is anything Otsu's
# threshold would make black on a page with ink darker; paper darker still makes the rectangle the whole image),
# with a margin of a fifth of an inch around them (a tenth: a 100 dpi page lost a word at its foot). Tesseract is
# asked to read only that rectangle (TessBaseAPISetRectangle: its boxes still in the image's pixels): its
# thresholding and layout analysis run over every pixel, and an A4 page's margins are a third to half of it — ~5 %
# of a page's CPU (ocr/README.md). A rectangle of nearly the whole image is not set.
INK_BELOW = 224
_INK_BYTES = bytes(1 if value < INK_BELOW else 0 for value in range(256))
_BLACK_BITS = bytes(0 if value == 255 else 1 for value in range(256))  # (after _INVERT_BITS, 1 is white)
WHOLE_ENOUGH = 0.95


def ink_rectangle(
    pixels: bytes, width: int, height: int, depth: int, line: int, dpi: int
) -> tuple[int, int, int, int] | None:
    """(left, top, width, height) of where ``pixels`` (as ``read_pnm`` gives them) have ink, with a margin of
    ``dpi`` / 5 pixels; None where that is (nearly) the whole image, or there is no ink at all."""
    ink = pixels.translate(_BLACK_BITS if depth == 0 else _INK_BYTES)
    row_bytes = line if depth == 0 else width * depth
    left, right, top, bottom = row_bytes, -1, -1, -1
    for row in range(height):
        start = row * line
        first = ink.find(1, start, start + row_bytes)
        if first < 0:
            continue
        if top < 0:
            top = row
        bottom = row
        left = min(left, first - start)
        right = max(right, ink.rfind(1, start, start + row_bytes) - start)
    if top < 0:
        return None
    per_pixel = 1 / 8 if depth == 0 else depth  # bytes of a pixel (a byte holds 8 of a 1-bit image)
    margin = max(1, dpi // 5)
    x0 = max(0, int(left / per_pixel) - margin)
    x1 = min(width, int((right + 1) / per_pixel) + margin)
    y0, y1 = max(0, top - margin), min(height, bottom + 1 + margin)
    if (x1 - x0) * (y1 - y0) >= WHOLE_ENOUGH * width * height:
        return None
    # One as wide as the image but not as tall made Tesseract 5.3 read junk (QA157 F1: a tight-cropped scan, a rule
    # drawn edge to edge, a scanner's dark top edge, Tesseract's own phototest.tif — 300 words right → 2; one pixel
    # narrower read as the whole image): it is one pixel narrower (and, likewise, one as tall one pixel shorter).
    if x0 == 0 and x1 == width:
        x1 -= 1
    if y0 == 0 and y1 == height:
        y1 -= 1
    return x0, y0, x1 - x0, y1 - y0


def read_words(lib: TesseractLibrary, api: int) -> list[list[object]]:
    """Every recognised word with its box and its block/paragraph/line numbers, counted as Tesseract's TSV
    output counts them."""
    words: list[list[object]] = []
    iterator = lib.iterator(api)
    if not iterator:
        return words
    page = lib.page_iterator(iterator)
    left, top, right, bottom = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    block = paragraph = line = 0
    try:
        while True:
            pointer = lib.iterator_text(iterator, RIL_WORD)
            if pointer:
                text = ctypes.string_at(pointer).decode("utf-8", "replace")
                lib.delete_text(pointer)
                if lib.at_beginning_of(page, RIL_BLOCK):
                    block, paragraph, line = block + 1, 0, 0
                if lib.at_beginning_of(page, RIL_PARA):
                    paragraph, line = paragraph + 1, 0
                if lib.at_beginning_of(page, RIL_TEXTLINE):
                    line += 1
                confidence = lib.iterator_confidence(iterator, RIL_WORD)
                lib.bounding_box(page, RIL_WORD, left, top, right, bottom)
                words.append(
                    [
                        text,
                        round(float(confidence), 6),
                        left.value,
                        top.value,
                        right.value - left.value,
                        bottom.value - top.value,
                        block,
                        paragraph,
                        line,
                    ]
                )
            if not lib.iterator_next(iterator, RIL_WORD):
                break
    finally:
        lib.delete_iterator(iterator)
    return words


def answer(message: dict[str, object]) -> None:
    # ASCII JSON (Vietnamese words as \u escapes) on the raw stream: right whatever this host's locale
    sys.stdout.buffer.write(json.dumps(message).encode("ascii") + b"\n")
    sys.stdout.buffer.flush()


def cpu_log(seconds: float) -> None:
    """For bench/: the CPU this process spent since its last report, appended where the benchmarks collect the
    CPU of every Tesseract run (the same log their ``tesseract`` wrapper writes)."""
    log = os.environ.get("SOHOA_BENCH_TESS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"library {seconds:.3f}\n")


def main(argv: list[str]) -> int:
    language = argv[1] if len(argv) > 1 else "vie"
    tessdata = argv[2].encode() if len(argv) > 2 and argv[2] else None
    try:
        lib = TesseractLibrary()
        api = lib.create()
        if lib.init(api, tessdata, language.encode()) != 0:
            raise RuntimeError(f"could not load Tesseract language data {language!r}")
    except (OSError, AttributeError, RuntimeError) as exc:
        answer({"error": str(exc)})
        return 1
    answer({"ready": True, "version": lib.version().decode()})
    reported = 0.0
    for request_line in sys.stdin.buffer:
        request = json.loads(request_line)
        try:
            pixels, width, height, depth, line_bytes = read_pnm(request["image"])
        except (OSError, ValueError, IndexError) as exc:
            answer({"error": f"cannot read the page image: {exc}"})
            continue
        lib.set_image(api, pixels, width, height, depth, line_bytes)
        lib.set_resolution(api, int(request["dpi"]))
        lib.set_page_segmentation(api, int(request.get("psm", 3)))
        if (rectangle := ink_rectangle(pixels, width, height, depth, line_bytes, int(request["dpi"]))) is not None:
            lib.set_rectangle(api, *rectangle)
        if lib.recognize(api, None) != 0:
            lib.clear(api)
            answer({"error": "Tesseract could not recognise the page"})
            continue
        words = read_words(lib, api)
        lib.clear(api)
        spent = time.process_time()
        cpu_log(spent - reported)
        answer({"width": width, "height": height, "words": words})
        reported = spent
    lib.end(api)  # frees the model (Tesseract reports whatever is left as a leak at exit)
    lib.delete(api)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
