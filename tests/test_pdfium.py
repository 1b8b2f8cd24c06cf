"""PDFium is not thread-safe: every call goes through sohoa.pdfium's lock."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
from PIL import Image, ImageChops

from sohoa.pdfium import open_pdf

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "an-le-43-2021-p1.pdf"


def test_no_module_but_sohoa_pdfium_calls_pypdfium2() -> None:
    users = []
    for folder in ("ocr", "classify", "signing", "storage", "flows", "sohoa"):
        for source in (ROOT / folder).rglob("*.py"):
            if source.name == "pdfium.py" and source.parent.name == "sohoa":
                continue
            if re.search(r"^\s*(import|from)\s+pypdfium2", source.read_text(encoding="utf-8"), re.MULTILINE):
                users.append(str(source.relative_to(ROOT)))
    assert users == []


def test_threads_rendering_at_once_get_the_same_pixels() -> None:
    def render(_: int) -> bytes:
        with open_pdf(FIXTURE) as pdf:
            return pdf.render(0, scale=100 / 72, grayscale=True).tobytes()

    with open_pdf(FIXTURE) as pdf:
        expected = pdf.render(0, scale=100 / 72, grayscale=True)
    assert ImageChops.invert(expected).getbbox() is not None  # the page is not blank
    with ThreadPoolExecutor(max_workers=4) as pool:
        images = list(pool.map(render, range(12)))
    assert all(image == expected.tobytes() for image in images)


def test_survey_tells_a_bare_scan_from_a_page_that_may_carry_text(tmp_path: Path) -> None:
    """OCR planning asks pdfplumber about a page's text only when PDFium sees something that could hold text."""
    scan = tmp_path / "scan.pdf"
    Image.new("L", (1654, 1169), 250).save(scan, resolution=200)  # 200 dpi, shown at 595 × 421 pt
    in_a_form = tmp_path / "form.pdf"
    with pikepdf.open(scan) as pdf:
        page = pdf.pages[0]
        form = page.as_form_xobject()  # the scan drawn by a form XObject: its image's box is the form's business
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fx=pdf.make_indirect(form)))
        page.obj.Contents = pdf.make_stream(b"q /Fx Do Q")
        pdf.save(in_a_form)
    with open_pdf(scan) as pdf:
        bare = pdf.survey(0)
    with open_pdf(FIXTURE) as pdf:
        born_digital = pdf.survey(0)
    with open_pdf(in_a_form) as pdf:
        wrapped = pdf.survey(0)
    assert not bare.may_have_text
    assert [(round(i.shown_width), i.pixel_width, i.pixel_height) for i in bare.images] == [(595, 1654, 1169)]
    assert (round(bare.width), round(bare.height)) == (595, 421)
    assert born_digital.may_have_text
    assert wrapped.may_have_text


def test_a_scan_placed_askew_is_read_at_its_own_resolution() -> None:
    """QA96 F7: OCRmyPDF's rotated_skew.pdf (a 2550 × 3300 px letter scan, 300 dpi, drawn turned and 1.5° askew)
    was read at 289 dpi, skew.pdf at 293: the image's box on the page, wider than the image itself, was taken for
    its size. The lengths of its own sides as drawn give 300."""
    from ocr.pipeline import _survey_dpi

    with open_pdf(Path(__file__).parent / "fixtures" / "rotated_skew.pdf") as pdf:
        survey = pdf.survey(0)
    (image,) = survey.images
    assert (round(image.side_width), round(image.side_height)) == (612, 792), image
    assert image.shown_width > 640  # the box: turned and askew
    assert _survey_dpi(survey, default_dpi=150) == (300, 300)


def test_a_long_document_read_page_by_page_holds_a_few_pages_data_not_all(tmp_path: Path) -> None:
    """QA133 F1: PDFium keeps what it loaded for each page (a scan's image data) until its document is closed, and
    the OCR stage read a whole document through one: ~0.6 MB a page of a 200 dpi scan, held to the end (a 150-page
    scan's planning, ~100 MB). The document is opened afresh every REOPEN_EVERY pages; what is read is the same."""
    from sohoa.pdfium import REOPEN_EVERY

    long = tmp_path / "dài.pdf"
    with pikepdf.open(FIXTURE) as one, pikepdf.new() as pdf:
        for _ in range(2 * REOPEN_EVERY + 3):
            pdf.pages.append(one.pages[0])
        pdf.save(long)
    with open_pdf(FIXTURE) as single:
        expected = single.render(0, scale=50 / 72, grayscale=True).tobytes()
    with open_pdf(long) as pdf:
        documents = []  # held, so that no two of them share an id
        for index in range(len(pdf)):
            assert pdf.render(index, scale=50 / 72, grayscale=True).tobytes() == expected, index
            assert pdf.survey(index).width > 0
            documents.append(pdf._document)
    assert len({id(document) for document in documents}) >= 4  # opened afresh as it went (two calls a page)
