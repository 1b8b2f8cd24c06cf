"""What to do with pages that already carry text — OCRmyPDF's three modes.

- ``skip-text`` (default): a page with a usable text layer keeps it and is not OCR'd.
- ``redo``: an *invisible* text layer (an earlier OCR: text render mode 3) is removed and the page is OCR'd
  again; pages with visible text are kept as they are (but a scrap of it over a scan: ``ocr.pipeline``).
- ``force``: every page is OCR'd; a page that had text is first rasterised (its content becomes an image, as
  with ``ocrmypdf --force-ocr``, at its scan's resolution and colour depth; the page object, its annotations and
  rotation stay), so the new text layer is the only one. A page of nothing but images and text only loses its
  text: its scan stays as it was.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import img2pdf
import numpy as np
import pikepdf
from PIL import Image

from sohoa.pdfium import open_pdf

SKIP_TEXT, REDO, FORCE = "skip-text", "redo", "force"
MODES = (SKIP_TEXT, REDO, FORCE)
_SHOW_TEXT = {"Tj", "TJ", "'", '"'}
INVISIBLE = 3  # text render mode: neither fill nor stroke


def _without_invisible_text(instructions: list[Any]) -> tuple[list[Any], list[Any]]:
    """Drop BT…ET blocks that show text only in render mode 3. Tracks Tr through q/Q as PDF does. Returns what
    is kept and what was dropped."""
    kept: list[Any] = []
    dropped: list[Any] = []
    block: list[Any] | None = None
    shows_visible = shows_invisible = False
    render_mode, saved = 0, []
    for instruction in instructions:
        operator = str(instruction.operator)
        if operator == "q":
            saved.append(render_mode)
        elif operator == "Q":
            render_mode = saved.pop() if saved else 0
        elif operator == "Tr" and instruction.operands:
            render_mode = int(instruction.operands[0])
        if operator == "BT":
            block, shows_visible, shows_invisible = [instruction], False, False
            continue
        if block is None:
            kept.append(instruction)
            continue
        block.append(instruction)
        if operator in _SHOW_TEXT:
            if render_mode == INVISIBLE:
                shows_invisible = True
            else:
                shows_visible = True
        if operator == "ET":
            if shows_invisible and not shows_visible:
                dropped.extend(block)
            else:
                kept.extend(block)
            block = None
    if block is not None:
        kept.extend(block)  # an unterminated block: leave it alone
    return kept, dropped


# the resources a content stream names, by the operator that names them (the name is the operand at that index)
_NAMED_RESOURCES = {
    "Tf": ("/Font", 0),
    "gs": ("/ExtGState", 0),
    "cs": ("/ColorSpace", 0),
    "CS": ("/ColorSpace", 0),
    "scn": ("/Pattern", -1),
    "SCN": ("/Pattern", -1),
    "BDC": ("/Properties", 1),
    "DP": ("/Properties", 1),
    "Do": ("/XObject", 0),
    "sh": ("/Shading", 0),
}
_NAMING_OPERATORS = " ".join([*_NAMED_RESOURCES, "BI", "ID", "EI"])


def _named(instructions: list[Any]) -> set[tuple[str, str]]:
    """The (kind, name) of each resource ``instructions`` name: ("/Font", "/R8") for ``/R8 8 Tf``; an inline
    image's colour space name counts as a /ColorSpace."""
    names: set[tuple[str, str]] = set()
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            space = instruction.iimage.obj.get("/CS", instruction.iimage.obj.get("/ColorSpace"))
            if isinstance(space, pikepdf.Name):
                names.add(("/ColorSpace", str(space)))
            continue
        kind, index = _NAMED_RESOURCES.get(str(instruction.operator), ("", 0))
        operands = list(instruction.operands)
        if kind and operands and -len(operands) <= index < len(operands):
            operand = operands[index]
            if isinstance(operand, pikepdf.Name):
                names.add((kind, str(operand)))
    return names


def _resource_names_in_use(pdf: pikepdf.Pdf) -> set[tuple[str, str]] | None:
    """Every (kind, name) that a content stream the pages show names: the pages', their forms', patterns' and
    soft masks' (nested), their annotations' appearances and Type 3 glyphs', whatever resources they resolve
    names in. None when one of them cannot be read (then nothing may be taken for unused)."""
    in_use: set[tuple[str, str]] = set()
    pending: list[tuple[pikepdf.Object, pikepdf.Object | None]] = []
    for page in pdf.pages:
        pending.append((page.obj, _inherited_resources(page.obj)))
        for annot in page.obj.get("/Annots", []):
            appearances = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
            for appearance in appearances.values() if isinstance(appearances, pikepdf.Dictionary) else []:
                states = [appearance] if isinstance(appearance, pikepdf.Stream) else []
                if isinstance(appearance, pikepdf.Dictionary):
                    states = [state for state in appearance.values() if isinstance(state, pikepdf.Stream)]
                pending.extend((state, state.get("/Resources")) for state in states)
    visited: set[tuple[int, int]] = set()
    while pending:
        drawing, resources = pending.pop()
        if drawing.is_indirect:
            if drawing.objgen in visited:
                continue
            visited.add(drawing.objgen)
        try:
            in_use |= _named(pikepdf.parse_content_stream(drawing, _NAMING_OPERATORS))
        except (pikepdf.PdfError, TypeError, ValueError):
            return None
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        for kind in ("/XObject", "/Pattern"):
            entries = resources.get(kind)
            for stream in entries.values() if isinstance(entries, pikepdf.Dictionary) else []:
                if isinstance(stream, pikepdf.Stream) and stream.get("/Subtype") != pikepdf.Name.Image:
                    pending.append((stream, stream.get("/Resources", resources)))
        graphics_states = resources.get("/ExtGState")
        for graphics in graphics_states.values() if isinstance(graphics_states, pikepdf.Dictionary) else []:
            mask = graphics.get("/SMask") if isinstance(graphics, pikepdf.Dictionary) else None
            group = mask.get("/G") if isinstance(mask, pikepdf.Dictionary) else None
            if isinstance(group, pikepdf.Stream):
                pending.append((group, group.get("/Resources", resources)))
        fonts = resources.get("/Font")
        for font in fonts.values() if isinstance(fonts, pikepdf.Dictionary) else []:
            procs = font.get("/CharProcs") if isinstance(font, pikepdf.Dictionary) else None
            for glyph in procs.values() if isinstance(procs, pikepdf.Dictionary) else []:
                if isinstance(glyph, pikepdf.Stream):
                    pending.append((glyph, font.get("/Resources", resources)))
    return in_use


# Operators that put marks on the page (paint a path, show text, draw an image, form or shading); the others only
# set up state (a matrix, a clip, line widths) that a form's end undoes
_MARKING = frozenset({"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "Do", "Tj", "TJ", "'", '"', "EI"})


def _draws_nothing(instructions: list[Any]) -> bool:
    """Whether content made of ``instructions`` puts no mark on the page (what is left of an earlier OCR's form once
    its invisible text is gone: ``2 J 0.57 w q … cm Q``)."""
    return not any(isinstance(i, pikepdf.ContentStreamInlineImage) or str(i.operator) in _MARKING for i in instructions)


def _draws_one_of(instruction: Any, names: set[str]) -> bool:
    """Whether ``instruction`` is ``/Name Do`` for one of ``names``."""
    return (
        not isinstance(instruction, pikepdf.ContentStreamInlineImage)
        and str(instruction.operator) == "Do"
        and len(instruction.operands) == 1
        and str(instruction.operands[0]) in names
    )


def _inherited_resources(page: pikepdf.Dictionary) -> pikepdf.Object | None:
    node: pikepdf.Object | None = page
    for _ in range(32):  # a page tree that loops back on itself is not followed for ever
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if "/Resources" in node:
            return node.Resources
        node = node.get("/Parent")
    return None


def invisible_text_share(source: Path, number: int) -> float:
    """The share of page ``number``'s (from 1) text-showing operators, in its own content and the forms it draws,
    that show text in render mode 3 only (an OCR layer's); 0 where its content cannot be read or shows no text."""
    try:
        with pikepdf.open(source) as pdf:
            page = pdf.pages[number - 1]
            resources = _inherited_resources(page.obj)
            xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
            forms = [x for x in xobjects.values() if x.get("/Subtype") == "/Form"] if xobjects is not None else []
            shown = invisible = 0
            streams: list[pikepdf.Object | pikepdf.Page] = [page, *forms]
            for stream in streams:
                kept, dropped = _without_invisible_text(pikepdf.parse_content_stream(stream))
                hidden = sum(1 for instruction in dropped if str(instruction.operator) in _SHOW_TEXT)
                invisible += hidden
                shown += hidden + sum(1 for instruction in kept if str(instruction.operator) in _SHOW_TEXT)
            return invisible / shown if shown else 0.0
    except (pikepdf.PdfError, ValueError, TypeError, AttributeError, IndexError):
        return 0.0


def strip_invisible_text(source: Path, target: Path, pages: set[int] | None = None) -> list[int]:
    """Copy ``source`` to ``target`` without invisible text layers (on ``pages``, numbered from 1, or on every
    page); return the page numbers that lost one.

    The resources that only the removed text named (the earlier OCR's font, mostly) go too, from the resources
    of the page or form it was removed from: a resource some content the pages still show names (by the same
    name, in any resources) stays, and so does everything when some content cannot be read."""
    stripped: list[int] = []
    # (resources dictionary, the (kind, name)s the text removed from a stream drawing with it named)
    orphans: list[tuple[pikepdf.Object | None, set[tuple[str, str]]]] = []
    with pikepdf.open(source) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            if pages is not None and number not in pages:
                continue
            changed = False
            instructions, dropped = _without_invisible_text(pikepdf.parse_content_stream(page))
            resources = _inherited_resources(page.obj)
            if dropped:
                page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
                orphans.append((resources, _named(dropped)))
                changed = True
            xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
            emptied: set[str] = set()  # forms that were an earlier OCR's layer and nothing else
            for name, xobject in xobjects.items() if isinstance(xobjects, pikepdf.Dictionary) else []:
                if xobject.get("/Subtype") != "/Form":
                    continue
                instructions, dropped = _without_invisible_text(pikepdf.parse_content_stream(xobject))
                if dropped and _draws_nothing(instructions):
                    # nothing of it is left to draw: it goes with what it alone named (its font), and the page no
                    # longer draws it (QA68: OCRmyPDF 17's emptied layer form and its 5.9 KB font were kept, its
                    # font's name being one the page's visible text uses in its own resources)
                    xobject.write(b"")
                    if "/Resources" in xobject:
                        del xobject.Resources
                    emptied.add(name)
                    changed = True
                elif dropped:
                    xobject.write(pikepdf.unparse_content_stream(instructions))
                    orphans.append((xobject.get("/Resources", resources), _named(dropped)))
                    changed = True
            if emptied:
                page.obj.Contents = pdf.make_stream(
                    pikepdf.unparse_content_stream(
                        [i for i in pikepdf.parse_content_stream(page) if not _draws_one_of(i, emptied)]
                    )
                )
                orphans.append((resources, {("/XObject", name) for name in emptied}))
            if changed:
                stripped.append(number)
        in_use = _resource_names_in_use(pdf) if orphans else None
        for resources, named in orphans if in_use is not None else []:
            if not isinstance(resources, pikepdf.Dictionary):
                continue
            for kind, name in named - (in_use or set()):
                entries = resources.get(kind)
                if isinstance(entries, pikepdf.Dictionary) and name in entries:
                    del entries[name]
                    if len(entries) == 0:
                        del resources[kind]
        pdf.save(target)
    return stripped


@dataclass(frozen=True)
class PageRaster:
    """How ``force`` turns a page with text into an image (see ``rasterise_pages``)."""

    dpi: int  # the resolution of the page's largest image (its scan), or 300 for a page of vector drawing
    bilevel: bool = False  # its images are all 1-bit (a black-and-white scan): the page image stays 1-bit
    jpeg: bool = False  # its images are all JPEGs (continuous tone, lossy already): the page image is a JPEG too


JPEG_QUALITY = 75  # Pillow's default, which OCRmyPDF --force-ocr uses for the page images it writes as JPEG
_STATE = {"q", "Q", "cm", "gs", "w", "J", "j", "M", "d", "ri", "i", "BMC", "BDC", "EMC", "MP", "DP"}
_CLIPPING_TEXT = 4  # text render modes 4–7 add the text to the clipping path: dropping it would show more
_INVISIBLE_TEXT = 3  # the render mode of an OCR layer: neither filled nor stroked
_SHOWING_TEXT = {"Tj", "TJ", "'", '"'}


def _without_text(
    container: pikepdf.Object, *, keep_images: bool, depth: int = 0, mode: int = 0, visible: bool = False
) -> list[Any] | None:
    """The content of a page (or form) that paints nothing but images and invisible text, without its text (BT…ET
    blocks, and forms that hold only such text, such as an earlier OCR layer); None when it paints anything else — a
    path, a shading, an inline image, an image mask (painted in the fill colour), visible or clipping text, a form
    with more than such text — or cannot be parsed. ``keep_images`` False (a form): None if it paints an image too.
    ``mode``: the text render mode it starts with (a form: its caller's). Visible text is what the page shows: taken
    off, a phone app's "Scanned with CamScanner" footer was gone from the page and from what was read (QA168 F2);
    such a page is rasterised, its text with it. ``visible``: visible text is taken off too (the caller checks it
    showed nothing: ``_drop_text``)."""
    if depth > 8:
        return None
    try:
        instructions = pikepdf.parse_content_stream(container)
    except (pikepdf.PdfError, TypeError, ValueError):
        return None
    resources = container.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    kept: list[Any] = []
    in_text = False
    saved: list[int] = []  # the render modes q saved (Tr is part of the graphics state)
    for instruction in instructions:
        operator = str(instruction.operator)
        if in_text:
            if operator == "Tr" and instruction.operands:
                mode = int(instruction.operands[0])
                if mode >= _CLIPPING_TEXT:
                    return None
            elif operator in _SHOWING_TEXT and mode != _INVISIBLE_TEXT and not visible:
                return None
            if operator == "gs":  # outlives ET, and may change how the images after it are painted
                kept.append(instruction)
            in_text = operator != "ET"
        elif operator == "BT":
            in_text = True
        elif operator == "Do":
            xobject = xobjects.get(str(instruction.operands[0])) if isinstance(xobjects, pikepdf.Dictionary) else None
            if not isinstance(xobject, pikepdf.Stream):
                return None
            if xobject.get("/Subtype") == pikepdf.Name.Form:
                if _without_text(xobject, keep_images=False, depth=depth + 1, mode=mode, visible=visible) is None:
                    return None
            elif keep_images and xobject.get("/Subtype") == pikepdf.Name.Image and not xobject.get("/ImageMask"):
                kept.append(instruction)
            else:
                return None
        elif operator in _STATE:
            if operator == "q":
                saved.append(mode)
            elif operator == "Q" and saved:
                mode = saved.pop()
            kept.append(instruction)
        else:
            return None
    return kept


def _drop_text(pdf: pikepdf.Pdf, page: pikepdf.Page, shown: Callable[[], Image.Image] | None = None) -> bool:
    """Take the text off a page drawn with nothing but images and invisible text (a scan with an earlier OCR's text
    layer), leaving its images untouched: what rasterising it would show, without resampling or recompressing the
    scan. So too a page whose text is visible but hidden under its images (an earlier OCR's layer drawn before the
    scan, in a render mode that shows) where ``shown()``, the page rendered at HIDDEN_TEXT_DPI as it is, is what it
    shows without its text: it was rasterised, its scan resampled and recompressed and read worse, "support" as
    "tupport" (QA169 F1). False (and the page unchanged) for any other page — one with visible text is
    rasterised."""
    kept = _without_text(page.obj, keep_images=True)
    if kept is None and shown is not None:
        kept = _without_text(page.obj, keep_images=True, visible=True)
        if kept is not None and not _shows_the_same(pdf, page, kept, shown()):
            kept = None
    if kept is None or not any(str(i.operator) == "Do" for i in kept):
        return False
    names = {str(i.operands[0]) for i in kept if str(i.operator) == "Do"}
    xobjects = page.obj.Resources.XObject
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(kept))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary({name: xobjects[name] for name in names}))
    return True


# The resolution at which a page is rendered without its text, to see whether its text showed (``_drop_text``), and
# how many grey levels a pixel may differ (antialiasing) where the text lay hidden under an image
HIDDEN_TEXT_DPI = 50
HIDDEN_TEXT_LEVELS = 8


def _shows_the_same(pdf: pikepdf.Pdf, page: pikepdf.Page, content: list[Any], shown: Image.Image) -> bool:
    """Whether ``page`` drawn with ``content`` instead of its own shows what it shows (``shown``, rendered at
    HIDDEN_TEXT_DPI, grey, without annotations)."""
    probe = pikepdf.new()
    probe.pages.append(page)
    probe.pages[0].obj.Contents = probe.make_stream(pikepdf.unparse_content_stream(content))
    if "/Annots" in probe.pages[0].obj:
        del probe.pages[0].obj.Annots
    buffer = io.BytesIO()
    probe.save(buffer)
    with open_pdf(buffer.getvalue()) as document:
        drawn = document.render(0, scale=HIDDEN_TEXT_DPI / 72, grayscale=True, annotations=False)
    if drawn.size != shown.size:
        return False
    difference = np.abs(np.asarray(drawn.convert("L"), dtype=np.int16) - np.asarray(shown.convert("L"), dtype=np.int16))
    return int(difference.max(initial=0)) <= HIDDEN_TEXT_LEVELS


def shown_box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    """The part of ``page`` a viewer shows and pdfium renders (``shown_part``)."""
    return shown_part(page.mediabox, page.cropbox)


def shown_part(media: Iterable[Any], crop: Iterable[Any]) -> tuple[float, float, float, float]:
    """The part of a page of ``media`` box and ``crop`` box a viewer shows and pdfium renders: its crop box within
    its media box (PDF 32000 14.11.2), ``(x0, y0, x1, y1)`` with x0 < x1 and y0 < y1; the media box where the crop
    box is none (the media box given for it) or lies outside it."""
    mx0, my0, mx1, my1 = ordered_box(media)
    cx0, cy0, cx1, cy1 = ordered_box(crop)
    x0, y0, x1, y1 = max(mx0, cx0), max(my0, cy0), min(mx1, cx1), min(my1, cy1)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else (mx0, my0, mx1, my1)


def ordered_box(box: Iterable[Any]) -> tuple[float, float, float, float]:
    """A PDF rectangle given by any two opposite corners as (x0, y0, x1, y1), x0 ≤ x1 and y0 ≤ y1."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _page_image(image: Image.Image, raster: PageRaster) -> bytes:
    """The rendered page as an image file for img2pdf, in the page's own colour depth: gray where the page shows
    no colour, 1-bit (CCITT G4) where its scan is black and white, JPEG where its scans are JPEGs, else PNG
    (Flate, lossless)."""
    rgb = np.asarray(image.convert("RGB"))
    if not (rgb[:, :, 0] != rgb[:, :, 1]).any() and not (rgb[:, :, 1] != rgb[:, :, 2]).any():
        image = Image.fromarray(rgb[:, :, 0])  # no colour on the page: one channel, a third of the pixels
    else:
        image = Image.fromarray(rgb)
    buffer = io.BytesIO()
    dpi = (raster.dpi, raster.dpi)
    if raster.bilevel and image.mode == "L":
        image = image.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
        image.save(buffer, format="TIFF", compression="group4", dpi=dpi)
    else:
        image.save(buffer, format="PNG", dpi=dpi)
        if raster.jpeg:  # a JPEG where it is smaller: PDFium's rendering may have smoothed the scan's noise
            jpeg = io.BytesIO()
            image.save(jpeg, format="JPEG", quality=JPEG_QUALITY, dpi=dpi)
            buffer = jpeg if jpeg.tell() < buffer.tell() else buffer
    return buffer.getvalue()


def shown_rotation(page: pikepdf.Dictionary) -> int:
    """The quarter turn (0, 90, 180 or 270, clockwise) a page's /Rotate shows it by, as pdfium — sohoa's renderer —
    takes it: the value over 90 truncated (91 and 135 are 90, 269 is 180, 45 none, −90 is 270), a value that is no
    number (a string, a name) none. Taken as ``value % 360`` a 91 turned the rendering back by 91° and the layer was
    laid for a page pdfium had not drawn (QA102: 153 of 257 words off the ink); a string was "internal error"."""
    value = page.get("/Rotate", 0)
    try:
        # as pdfium reads a number: a real as a 32-bit float (359.99999 is 360), past a 32-bit integer none
        number = float(np.float32(float(value))) if isinstance(value, Decimal) else float(int(value))
    except (TypeError, ValueError, OverflowError):
        return 0
    if not math.isfinite(number) or abs(number) >= 2**31:
        return 0
    return int(int(number) / 90) % 4 * 90


def rasterise_pages(source: Path, target: Path, pages: dict[int, PageRaster]) -> list[int]:
    """Copy ``source`` to ``target`` with the content of the given pages replaced by an image of it, as
    ``ocrmypdf --force-ocr`` does: at the page's own resolution (``PageRaster.dpi``), in its own colour depth
    and compressed as its scan was (``_page_image``). A page drawn with nothing but images and text keeps its
    images as they are, only its text is taken off (``_drop_text``). The page objects stay — so bookmarks and
    links that point at them, and their annotations (drawn by the viewer, not baked into the image), stay too —
    and so do their boxes and /Rotate. Returns the numbers of the pages that only lost their text."""
    singles: list[pikepdf.Pdf] = []  # foreign images must stay open until the target is saved
    text_dropped: list[int] = []
    try:
        with open_pdf(source) as document, pikepdf.open(source) as pdf:
            for number, raster in pages.items():
                page = pdf.pages[number - 1]
                # (rendered only for a page of images and text that shows: to see whether its text showed)
                shown = functools.partial(
                    document.render, number - 1, scale=HIDDEN_TEXT_DPI / 72, grayscale=True, annotations=False
                )
                if _drop_text(pdf, page, shown):
                    text_dropped.append(number)
                    continue
                rendered = document.render(number - 1, scale=raster.dpi / 72, annotations=False)
                turn = shown_rotation(page.obj)
                if turn:  # rendered as displayed (turned clockwise): back to the page's own orientation
                    rendered = rendered.rotate(turn, expand=True)
                data = _page_image(rendered, raster)
                layout = img2pdf.get_fixed_dpi_layout_fun((raster.dpi, raster.dpi))
                single = pikepdf.open(io.BytesIO(img2pdf.convert(data, layout_fun=layout)))
                singles.append(single)
                (picture,) = single.pages[0].Resources.XObject.values()
                x0, y0, x1, y1 = shown_box(page)  # what was rendered
                page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.copy_foreign(picture)))
                drawing = f"q {x1 - x0:.4f} 0 0 {y1 - y0:.4f} {x0:.4f} {y0:.4f} cm /Im0 Do Q"
                page.obj.Contents = pdf.make_stream(drawing.encode())
            pdf.save(target)
    finally:
        for single in singles:
            single.close()
    return text_dropped
