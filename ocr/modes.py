"""What to do with pages that already carry text — OCRmyPDF's three modes.

- ``skip-text`` (default): a page with a usable text layer keeps it and is not OCR'd.
- ``redo``: an *invisible* text layer (an earlier OCR: text render mode 3) is removed and the page is OCR'd
  again; pages with visible text are kept as they are.
- ``force``: every page is OCR'd; a page that had text is first rasterised (its content becomes an image, as
  with ``ocrmypdf --force-ocr``; the page object, its annotations and rotation stay), so the new text layer is
  the only one.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import img2pdf
import pikepdf

from sohoa.pdfium import open_pdf

SKIP_TEXT, REDO, FORCE = "skip-text", "redo", "force"
MODES = (SKIP_TEXT, REDO, FORCE)
_SHOW_TEXT = {"Tj", "TJ", "'", '"'}
INVISIBLE = 3  # text render mode: neither fill nor stroke


def _without_invisible_text(instructions: list[Any]) -> tuple[list[Any], bool]:
    """Drop BT…ET blocks that show text only in render mode 3. Tracks Tr through q/Q as PDF does."""
    kept: list[Any] = []
    block: list[Any] | None = None
    shows_visible = shows_invisible = False
    render_mode, saved = 0, []
    changed = False
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
                changed = True
            else:
                kept.extend(block)
            block = None
    if block is not None:
        kept.extend(block)  # an unterminated block: leave it alone
    return kept, changed


def strip_invisible_text(source: Path, target: Path) -> list[int]:
    """Copy ``source`` to ``target`` without invisible text layers; return the page numbers that lost one."""
    stripped: list[int] = []
    with pikepdf.open(source) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            changed = False
            instructions, page_changed = _without_invisible_text(pikepdf.parse_content_stream(page))
            if page_changed:
                page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
                changed = True
            resources = page.obj.get("/Resources")
            xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
            for _, xobject in xobjects.items() if isinstance(xobjects, pikepdf.Dictionary) else []:
                if xobject.get("/Subtype") != "/Form":
                    continue
                instructions, form_changed = _without_invisible_text(pikepdf.parse_content_stream(xobject))
                if form_changed:
                    xobject.write(pikepdf.unparse_content_stream(instructions))
                    changed = True
            if changed:
                stripped.append(number)
        pdf.save(target)
    return stripped


def rasterise_pages(source: Path, target: Path, pages: list[int], dpi: int) -> None:
    """Copy ``source`` to ``target`` with the content of the given pages replaced by an image of it (lossless
    PNG). The page objects stay — so bookmarks and links that point at them, and their annotations (drawn by the
    viewer, not baked into the image), stay too — and so do their boxes and /Rotate."""
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    singles: list[pikepdf.Pdf] = []  # foreign images must stay open until the target is saved
    try:
        with open_pdf(source) as document, pikepdf.open(source) as pdf:
            for number in pages:
                page = pdf.pages[number - 1]
                image = document.render(number - 1, scale=dpi / 72, annotations=False).convert("RGB")
                turn = int(page.obj.get("/Rotate", 0)) % 360
                if turn:  # rendered as displayed (turned clockwise): back to the page's own orientation
                    image = image.rotate(turn, expand=True)
                buffer = io.BytesIO()
                image.save(buffer, format="PNG", dpi=(dpi, dpi))
                single = pikepdf.open(io.BytesIO(img2pdf.convert(buffer.getvalue(), layout_fun=layout)))
                singles.append(single)
                (picture,) = single.pages[0].Resources.XObject.values()
                x0, y0, x1, y1 = (float(v) for v in page.cropbox)  # what was rendered
                page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.copy_foreign(picture)))
                drawing = f"q {x1 - x0:.4f} 0 0 {y1 - y0:.4f} {x0:.4f} {y0:.4f} cm /Im0 Do Q"
                page.obj.Contents = pdf.make_stream(drawing.encode())
            pdf.save(target)
    finally:
        for single in singles:
            single.close()
