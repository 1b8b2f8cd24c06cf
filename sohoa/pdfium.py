"""PDFium behind one lock per process.

PDFium is not thread-safe, not even for different documents ("it is not allowed to call pdfium functions
simultaneously across different threads": pypdfium2's documentation), yet a batch runs several documents in
threads and the intake searches later files for separator sheets while earlier ones are OCR'd. Every PDFium call
in sohoa goes through this module: documents are opened, pages rendered and everything closed under one lock, and
the images handed out are copies, so no PDFium object outlives the lock or is finalised by the garbage collector
in another thread. Rendering is a small share of a page's time next to Tesseract, so the lock costs little.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2
from PIL import Image

_LOCK = threading.RLock()


class RenderablePdf:
    """An open PDF whose pages can be rendered, one locked call each."""

    def __init__(self, document: pypdfium2.PdfDocument) -> None:
        self._document = document

    def __len__(self) -> int:
        with _LOCK:
            return len(self._document)

    def render(self, index: int, scale: float, grayscale: bool = False) -> Image.Image:
        """Page ``index`` (from 0) at ``scale`` × 72 dpi, as a Pillow image that owns its pixels."""
        with _LOCK:
            page = self._document[index]
            try:
                bitmap = page.render(scale=scale, grayscale=grayscale)
                try:
                    return bitmap.to_pil().copy()  # to_pil() shares the bitmap's buffer, freed by close()
                finally:
                    bitmap.close()
            finally:
                page.close()


@contextmanager
def open_pdf(path: Path | str) -> Iterator[RenderablePdf]:
    """``path`` opened with PDFium, closed on exit (both under the lock)."""
    with _LOCK:
        document = pypdfium2.PdfDocument(str(path))
    try:
        yield RenderablePdf(document)
    finally:
        with _LOCK:
            document.close()
