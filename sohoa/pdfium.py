"""PDFium behind one lock per process.

PDFium is not thread-safe, not even for different documents ("it is not allowed to call pdfium functions
simultaneously across different threads": pypdfium2's documentation), yet a batch runs several documents in
threads and the intake searches later files for separator sheets while earlier ones are OCR'd. Every PDFium call
in sohoa goes through this module: documents are opened, pages rendered and everything closed under one lock, and
the images handed out are copies, so no PDFium object outlives the lock or is finalised by the garbage collector
in another thread. Rendering is a small share of a page's time next to Tesseract, so the lock costs little.
"""

from __future__ import annotations

import ctypes
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image

Rect = tuple[float, float, float, float]

_LOCK = threading.RLock()


@dataclass(frozen=True)
class PlacedImage:
    """An image drawn on a page: its box on the page in points and its own size in pixels, and the lengths on the
    page of its own two sides (its width and height as drawn, in points: the box's, unless it is drawn turned or
    slanted — a scan placed 1.5° askew has a box wider than itself, which read as 293 dpi for 300, QA96)."""

    shown_width: float
    shown_height: float
    pixel_width: int
    pixel_height: int
    side_width: float = 0.0  # 0: not known, the box's then
    side_height: float = 0.0


@dataclass(frozen=True)
class PageSurvey:
    """What a page is drawn with, from its own objects: enough to tell a bare scan from a page that may carry
    text, without parsing any text.

    Sizes are in points in the page's own (unrotated) space, the space the images' boxes are in; 0 × 0 for a page of
    which nothing is shown (its crop box outside its media box)."""

    width: float
    height: float
    may_have_text: bool  # a text object, or a form XObject (which may hold text, or images placed by its matrix)
    images: tuple[PlacedImage, ...]  # listed only for a page that cannot carry text (pdfplumber sees the others)
    draws_paths: bool = False  # a path or a shading of its own (a stamp a PDF tool drew on a scan), of such a page


@dataclass(frozen=True)
class DrawnPage:
    """What is on a page, in its own unrotated user space (the space of its annotations' rectangles)."""

    crop_box: Rect  # left, bottom, right, top
    image: Image.Image  # the crop box as drawn (annotations too), not turned by /Rotate: its top left is (left, top)
    text_boxes: tuple[Rect, ...]  # each character's box (font size high), invisible text (an OCR layer) too


def _owned_image(bitmap: pypdfium2.PdfBitmap) -> Image.Image:
    """The bitmap as a Pillow image that owns its pixels, to outlive the bitmap: ``to_pil()`` shares a grey
    bitmap's buffer, freed by ``close()`` (copied here), and has already copied a colour one's pixels into RGB order
    (not copied again: ~20 ms less an A4 page at 300 dpi)."""
    image = bitmap.to_pil()
    return image.copy() if image.readonly else image


def _clipped(image: pypdfium2.PdfImage, box: Rect, tolerance: float) -> bool:
    """Whether a clip other than an upright rectangle around the whole of ``box`` (left, bottom, right, top, in
    points, to within ``tolerance``) is set on ``image``: drawn, the image would be cut. PDFium gives an image drawn
    without a clip a clip of no path. A rectangle is straight lines through exactly its four corners: a triangle, an
    arch or a diagonal whose points lie on the box's edges cut it (QA113)."""
    clip = pdfium_c.FPDFPageObj_GetClipPath(image.raw)
    if not clip:
        return False
    x, y = ctypes.c_float(), ctypes.c_float()
    for path in range(max(0, pdfium_c.FPDFClipPath_CountPaths(clip))):
        points = []
        for index in range(pdfium_c.FPDFClipPath_CountPathSegments(clip, path)):
            segment = pdfium_c.FPDFClipPath_GetPathSegment(clip, path, index)
            if not segment or pdfium_c.FPDFPathSegment_GetType(segment) == pdfium_c.FPDF_SEGMENT_BEZIERTO:
                return True
            if not pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
                return True
            points.append((x.value, y.value))
        if not points:
            return True
        left, right = min(px for px, _ in points), max(px for px, _ in points)
        bottom, top = min(py for _, py in points), max(py for _, py in points)
        corners = {(cx, cy) for cx in (left, right) for cy in (bottom, top)}
        reached = set()
        for px, py in points:
            corner = min(corners, key=lambda c: abs(c[0] - px) + abs(c[1] - py))
            if abs(corner[0] - px) + abs(corner[1] - py) > tolerance:
                return True  # a point off the corners: no rectangle
            reached.add(corner)
        around = left <= box[0] + tolerance and bottom <= box[1] + tolerance
        if reached != corners or not (around and right >= box[2] - tolerance and top >= box[3] - tolerance):
            return True
    return False


def _decoded_pixels(image: pypdfium2.PdfImage) -> Image.Image:
    """The image's own pixels, decoded by PDFium as it draws them, in a Pillow image that owns them: PDFium's bitmap
    of an image is its own memory, freed when the bitmap is closed, and a grey one's pixels are shared, not copied,
    by ``to_pil()``."""
    bitmap = image.get_bitmap(render=False)  # raises PdfiumError for data it cannot decode
    try:
        pixels = bitmap.to_pil()
        return pixels.copy() if pixels.mode in ("L", "RGBA", "RGBX") else pixels
    finally:
        bitmap.warn_on_close = False  # nothing of its memory is used after: copied above
        bitmap.close()


# PDFium keeps what it loaded for a page (a scan's image data, ~0.6 MB a page of a 200 dpi JPEG scan) in the
# document's cache until the document is closed: a document read page after page is opened afresh every this many
# pages (QA133 F1: a 150-page scan's planning held ~100 MB of it; reopened every 16 pages, ~10)
REOPEN_EVERY = 16


class RenderablePdf:
    """An open PDF whose pages can be rendered, one locked call each. Opened afresh every REOPEN_EVERY pages
    looked at (``_page``), so that reading a long document page by page holds a few pages' data, not all of it."""

    def __init__(self, document: pypdfium2.PdfDocument, path: Path | str | None = None) -> None:
        self._document = document
        self._path = path  # to open it afresh (None: kept open as it is)
        self._pages_seen = 0

    def _page(self, index: int) -> pypdfium2.PdfPage:
        """Page ``index``, under the lock (the caller holds it)."""
        self._pages_seen += 1
        if self._path is not None and self._pages_seen % REOPEN_EVERY == 0:
            self._document.close()
            self._document = pypdfium2.PdfDocument(str(self._path))
        return self._document[index]

    def close(self) -> None:
        with _LOCK:
            self._document.close()

    def __len__(self) -> int:
        with _LOCK:
            return len(self._document)

    def render(self, index: int, scale: float, grayscale: bool = False, annotations: bool = True) -> Image.Image:
        """Page ``index`` (from 0) at ``scale`` × 72 dpi, as displayed (its crop box, turned by its /Rotate), as a
        Pillow image that owns its pixels; ``annotations``: with the page's annotations drawn on it."""
        with _LOCK:
            page = self._page(index)
            try:
                bitmap = page.render(scale=scale, grayscale=grayscale, draw_annots=annotations)
                try:
                    return _owned_image(bitmap)
                finally:
                    bitmap.close()
            finally:
                page.close()

    def page_image(self, index: int, dpi: float) -> Image.Image | None:
        """Page ``index`` at ``dpi`` as its one image's own pixels, where that is what rendering it would draw, to
        the pixel but for the renderer's rounding of the page's size up; else None, and the page is rendered.

        The page must be drawn with one object, an image set upright over the whole of the page's crop box, with no
        clip that cuts it and at ``dpi`` to within a pixel across and down (its annotations are not drawn: the page
        is read without them, as ``render(annotations=False)``); whether the image's pixels are what it shows (no
        mask, no /Decode, grey or RGB, nothing else in its resources) is ``ocr.inputs.plain_page_image``'s to say
        first. The image comes as Pillow's ``L`` or ``RGB``, turned as the page is displayed (its /Rotate)."""
        with _LOCK:
            page = self._page(index)
            try:
                objects = list(page.get_objects(max_depth=0))
                if len(objects) != 1 or not isinstance(objects[0], pypdfium2.PdfImage):
                    return None
                (image,) = objects
                a, b, c, d, e, f = image.get_matrix().get()
                left, bottom, right, top = page.get_cropbox()
                if b != 0 or c != 0 or a <= 0 or d <= 0:
                    return None  # turned, slanted or mirrored: drawn otherwise than its pixels lie
                pixel = 72 / dpi
                corners = (e - left, f - bottom, e + a - right, f + d - top)
                if any(abs(offset) > pixel / 2 for offset in corners):
                    return None  # a crop box other than the image's own box: part of it, or more
                width, height = image.get_px_size()
                if abs(width - a / pixel) > 1 or abs(height - d / pixel) > 1:
                    return None  # another resolution: rendering scales it
                if _clipped(image, (e, f, e + a, f + d), pixel / 2):
                    return None
                try:
                    pixels = _decoded_pixels(image)
                except pypdfium2.PdfiumError:
                    # data its dictionary does not describe (QA113: a grey JPEG said to be RGB): rendered, as before
                    return None
                rotation = page.get_rotation()
            finally:
                page.close()
        if pixels.mode not in ("L", "RGB"):
            return None
        # the page as displayed: turned clockwise by /Rotate (PIL turns counter-clockwise; a quarter turn is exact)
        return pixels.rotate(-rotation, expand=True) if rotation else pixels

    def drawn(self, index: int, scale: float) -> DrawnPage:
        """Page ``index`` as drawn at ``scale`` × 72 dpi (grayscale, annotations too) and its text's boxes."""
        with _LOCK:
            page = self._page(index)
            try:
                crop_box = page.get_cropbox()
                rotation = page.get_rotation()
                bitmap = page.render(scale=scale, grayscale=True, draw_annots=True)
                try:
                    image = _owned_image(bitmap)
                finally:
                    bitmap.close()
                textpage = page.get_textpage()
                try:
                    rect = pdfium_c.FS_RECTF()
                    boxes = [
                        (rect.left, rect.bottom, rect.right, rect.top)
                        for i in range(textpage.count_chars())
                        if pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, i, rect)
                    ]
                finally:
                    textpage.close()
            finally:
                page.close()
        # the bitmap is the page turned clockwise by /Rotate; PIL turns counter-clockwise
        return DrawnPage(crop_box, image.rotate(rotation, expand=True) if rotation else image, tuple(boxes))

    def survey(self, index: int) -> PageSurvey:
        """Page ``index``'s top-level objects (not descending into form XObjects: see PageSurvey)."""
        with _LOCK:
            page = self._page(index)
            try:
                left, bottom, right, top = page.get_cropbox()
                images: list[PlacedImage] = []
                may_have_text = draws_paths = False
                for obj in page.get_objects(max_depth=0):
                    if obj.type in (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_FORM):
                        may_have_text = True  # decided: a born-digital page's thousands of glyph runs need no visit
                        images.clear()
                        break
                    draws_paths = draws_paths or obj.type in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_SHADING)
                    if isinstance(obj, pypdfium2.PdfImage):
                        x0, y0, x1, y1 = obj.get_bounds()
                        pixel_width, pixel_height = obj.get_px_size()
                        # the image's unit square as drawn: its sides are the matrix's two column vectors
                        a, b, c, d, _, _ = obj.get_matrix().get()
                        images.append(
                            PlacedImage(x1 - x0, y1 - y0, pixel_width, pixel_height, math.hypot(a, b), math.hypot(c, d))
                        )
                if min(page.get_size()) <= 0:  # its crop box lies outside its media box: nothing of it is shown
                    return PageSurvey(0.0, 0.0, may_have_text, tuple(images), draws_paths)
                return PageSurvey(right - left, top - bottom, may_have_text, tuple(images), draws_paths)
            finally:
                page.close()


@contextmanager
def open_pdf(path: Path | str | bytes) -> Iterator[RenderablePdf]:
    """``path`` opened with PDFium — or a PDF held in memory, its bytes —, closed on exit (both under the lock)."""
    with _LOCK:
        if isinstance(path, bytes):
            renderable = RenderablePdf(pypdfium2.PdfDocument(path))
        else:
            renderable = RenderablePdf(pypdfium2.PdfDocument(str(path)), path)
    try:
        yield renderable
    finally:
        renderable.close()
