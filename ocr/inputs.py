"""Recognise an input file and check it is usable before any expensive work.

The type is taken from the content (magic bytes), not the name: a text file named ``.pdf`` is refused with a
reason, and a JPEG named ``.png`` is still read as a JPEG.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from sohoa.errors import BadInputError, Problem

# Refuse pages above this many pixels: an A3 page at 600 dpi is ~70 Mpx; anything beyond ~180 Mpx is not a
# scan a commune office makes, and decoding it could exhaust memory.
MAX_PAGE_PIXELS = 180_000_000
MAX_PDF_PAGE_POINTS = 14_400  # PDF spec's own limit on page size (200 inches)
MIN_PDF_PAGE_POINTS = 3  # and its smallest (1 mm)

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "tiff": "image/tiff",
    "jpeg": "image/jpeg",
    "png": "image/png",
}


@dataclass(frozen=True)
class InputInfo:
    path: Path
    kind: str  # pdf | tiff | jpeg | png
    page_count: int

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]


def sniff_kind(head: bytes) -> str | None:
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def inspect_input(path: Path) -> InputInfo:
    """Return what the file is and how many pages it has, or raise ``BadInputError`` saying why not."""
    size = path.stat().st_size
    if size == 0:
        raise BadInputError(path, Problem.EMPTY)
    with path.open("rb") as handle:
        head = handle.read(2048)
    kind = sniff_kind(head)
    if kind is None:
        problem = Problem.NOT_A_PDF if path.suffix.lower() == ".pdf" else Problem.UNSUPPORTED_TYPE
        raise BadInputError(path, problem, _what_it_begins_with(head))
    if kind == "pdf":
        return InputInfo(path, kind, _check_pdf(path, size))
    return InputInfo(path, kind, _check_image(path))


def _what_it_begins_with(head: bytes) -> str:
    """The start of a file that is no scan, for its reason: its text when it is text, else its first bytes in hex
    (a Vietnamese text file named .png was described in Python's bytes notation, b'\\xc4\\x90\\xc3\\xa2y l\\xc3')."""
    text = head[:120].decode("utf-8", errors="ignore")
    if text and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.95 * len(text):
        snippet = " ".join(text.split())[:40]
        return f"it is text: «{snippet}…»"
    return f"first bytes {head[:8].hex(' ')}"


def _check_pdf(path: Path, size: int) -> int:
    with path.open("rb") as handle:
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    # qpdf can "repair" a PDF whose end was cut off and silently lose pages; a scanner never writes one,
    # so a missing %%EOF means an interrupted copy: refuse rather than archive half a document.
    if b"%%EOF" not in tail:
        raise BadInputError(path, Problem.TRUNCATED_PDF)
    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise BadInputError(path, Problem.ENCRYPTED_PDF)
            count = len(pdf.pages)
            for page in pdf.pages:
                box = [float(v) for v in page.mediabox]
                if abs(box[2] - box[0]) > MAX_PDF_PAGE_POINTS or abs(box[3] - box[1]) > MAX_PDF_PAGE_POINTS:
                    raise BadInputError(path, Problem.TOO_LARGE, f"page box {box}")
    except pikepdf.PasswordError as exc:
        raise BadInputError(path, Problem.ENCRYPTED_PDF) from exc
    except pikepdf.PdfError as exc:
        raise BadInputError(path, Problem.DAMAGED_PDF, str(exc).splitlines()[0][:200]) from exc
    if count == 0:
        raise BadInputError(path, Problem.NO_PAGES)
    return count


def _check_image(path: Path) -> int:
    try:
        with Image.open(path) as image:
            frames = getattr(image, "n_frames", 1)
            for index in range(frames):
                image.seek(index)
                if image.width * image.height > MAX_PAGE_PIXELS:
                    raise BadInputError(path, Problem.TOO_LARGE, f"{image.width}×{image.height} px")
            image.seek(0)
            image.load()  # decode the first frame fully: catches truncated JPEG/PNG data
    except BadInputError:
        raise
    except Image.DecompressionBombError as exc:
        raise BadInputError(path, Problem.TOO_LARGE, str(exc)[:200]) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInputError(path, Problem.UNREADABLE_IMAGE, str(exc)[:200]) from exc
    return frames
