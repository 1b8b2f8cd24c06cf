"""Decree 30 visible signatures: rendered with poppler and checked pixel by pixel, text read back."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pdfplumber
import pikepdf
import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image
from signing_images import decree30_look, make_seal, make_signature
from signing_pki import TestPKI
from test_signing import make_pdf

from ocr.pipeline import overlay_text_layer
from ocr.tesseract import Word
from ocr.textlayer import glyphless_font, text_layer_form
from samples.make_samples import Renderer, doc_tb, font
from signing import SigningConfigError, SigningIdentity, sign_pdf, verify_pdf
from signing.appearance import Appearance, font_for_pdf
from sohoa.vietnamese import VN_TZ

FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
ISO_VN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")

pytestmark = [
    pytest.mark.skipif(not FONT.is_file(), reason="fonts-liberation2 not installed"),
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed"),
]


def _render(pdf: Path, page: int, out: Path) -> Image.Image:
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf), str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Image.open(f"{out}.png").convert("RGB")


def _planes(img: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """The red, green and blue planes (as ``p[0]``, ``p[1]``, ``p[2]``) of the pixels of ``img`` in ``box``; the
    colour tests below take them whole (per-pixel Python loops took ~20 s of this file's minute)."""
    assert 0 <= box[0] <= box[2] <= img.width and 0 <= box[1] <= box[3] <= img.height, (box, img.size)
    return np.asarray(img.convert("RGB").crop(box), dtype=np.int16).transpose(2, 0, 1)


def _bbox(
    img: Image.Image, box: tuple[int, int, int, int], test: Callable[[np.ndarray], np.ndarray]
) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(test(_planes(img, box)))
    if not len(xs):
        return None
    return box[0] + int(xs.min()), box[1] + int(ys.min()), box[0] + int(xs.max()), box[1] + int(ys.max())


def _red(p: np.ndarray) -> np.ndarray:
    return (p[0] > 150) & (p[1] < 110) & (p[2] < 110)


def _blue(p: np.ndarray) -> np.ndarray:
    return (p[2] > 120) & (p[0] < 100) & (p[1] < 120)


def _image_blue(p: np.ndarray) -> np.ndarray:
    """The signature image's own blue (PDFium draws text with coloured fringes that ``_blue`` takes for blue)."""
    return (p[2] > 150) & (p[0] < 60) & (p[1] < 80)


def _image_red(p: np.ndarray) -> np.ndarray:
    """The seal image's own red (not the text's fringes that ``_red`` takes for red)."""
    return (p[0] > 180) & (p[1] < 60) & (p[2] < 70)


def _dark(p: np.ndarray) -> np.ndarray:
    return p.max(axis=0) < 90


def _inked(p: np.ndarray) -> np.ndarray:
    return p.max(axis=0) < 180


def _appearance_text(pdf: Path, page: int) -> str:
    """The /ActualText of the text drawn in the signature widgets' appearance streams, widget after widget."""
    texts: list[str] = []
    with pikepdf.open(pdf) as doc:
        for annot in doc.pages[page].get("/Annots", []):
            if annot.get("/FT") == "/Sig" and "/AP" in annot:
                for operands, op in pikepdf.parse_content_stream(annot.AP.N):
                    if str(op) == "BDC" and len(operands) == 2 and "/ActualText" in operands[1]:
                        texts.append(str(operands[1].ActualText))
    return "\n".join(texts)


def test_decree30_seal_over_left_third_of_signature(tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity) -> None:
    look = decree30_look(tmp_path, FONT)
    out = tmp_path / "signed.pdf"
    facts = sign_pdf(
        make_pdf(tmp_path / "in.pdf", pages=2), out, signer, appearance=look, level="B-T", tsa_url=test_pki.tsa_url
    )
    result = verify_pdf(out, [test_pki.root_cert], online=True)  # B-B: revocation asked of the test PKI
    assert result.passed, result.model_dump_json(indent=2)

    # The last page, bottom right: seal (red) and signature (blue); the seal covers the signature's left third.
    img = _render(out, 2, tmp_path / "page2")
    w, h = img.size
    region = (w // 2 - 40, h - 170, w, h - 40)
    red, blue = _bbox(img, region, _red), _bbox(img, region, _blue)
    assert red and blue, "seal or signature not drawn"
    assert red[0] < blue[0] < red[2], (red, blue)
    overlap = (red[2] - blue[0]) / (blue[2] - blue[0])
    assert 0.2 < overlap < 0.45, overlap
    assert _bbox(img, (0, 0, w, h // 2), _red) is None  # nothing on the upper half
    assert _bbox(_render(out, 1, tmp_path / "page1"), (0, 0, w, h), _red) is None  # nor on page 1

    text = _appearance_text(out, 1)
    assert "Ký bởi: Nguyễn Văn An" in text and "Cơ quan: UBND xã Tân Thịnh" in text
    (shown,) = ISO_VN.findall(text)
    assert shown == facts.signed_at.astimezone(VN_TZ).isoformat(timespec="seconds")
    assert facts.signed_at.astimezone(VN_TZ).utcoffset() == timedelta(hours=7)

    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, timeout=60).stdout
    assert "LiberationSerif" in fonts and " yes yes " in fonts  # embedded, subset


def test_signer_then_body_seal_two_signatures_decree30(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    """Decree 30's two signatures: the signer's (blue signature image), then the body's with its own key (red
    seal over the left third of the signer's image). The second revision leaves the first signature intact."""
    seal, signature = make_seal(tmp_path / "seal.png"), make_signature(tmp_path / "sig.png")
    person = Appearance(kind="signer", signer="Nguyễn Văn An", organisation="", font=FONT, signature_image=signature)
    first = tmp_path / "signed-by-person.pdf"
    sign_pdf(make_pdf(tmp_path / "in.pdf", pages=2), first, signer, appearance=person)
    img = _render(first, 2, tmp_path / "person")
    w, h = img.size
    region = (w // 2 - 140, h - 200, w, h - 20)  # the seal reaches left of the signer's block
    assert _bbox(img, region, _blue) is not None and _bbox(img, region, _red) is None

    body = Appearance(
        kind="seal", signer="", organisation="UBND xã Tân Thịnh", font=FONT, seal_image=seal, signature_image=signature
    )
    both = tmp_path / "sealed.pdf"
    sign_pdf(first, both, signer, appearance=body, field_name="Signature2")
    result = verify_pdf(both, [test_pki.root_cert], online=True)
    assert [s.indication for s in result.signatures] == ["TOTAL_PASSED", "TOTAL_PASSED"], result.model_dump_json()

    img = _render(both, 2, tmp_path / "both")
    red, blue = _bbox(img, region, _red), _bbox(img, region, _blue)
    assert red and blue, "seal or signature not drawn"
    assert red[0] < blue[0] < red[2], (red, blue)
    overlap = (red[2] - blue[0]) / (blue[2] - blue[0])
    assert 0.2 < overlap < 0.45, overlap
    text = _appearance_text(both, 1)
    assert "Ký bởi: Nguyễn Văn An" in text and "UBND xã Tân Thịnh" in text
    assert len(ISO_VN.findall(text)) == 2  # each signature shows its own time at +07:00


def test_seal_without_a_signer_signature_is_a_config_error(tmp_path: Path, signer: SigningIdentity) -> None:
    body = Appearance(kind="seal", signer="", organisation="UBND", font=FONT, seal_image=make_seal(tmp_path / "s.png"))
    with pytest.raises(SigningConfigError, match="--appearance signer first"):
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer, appearance=body)


def test_copy_mark_top_right_of_first_page_text_only(tmp_path: Path, signer: SigningIdentity) -> None:
    look = Appearance(kind="copy", signer="", organisation="UBND xã Tân Thịnh", font=FONT)
    out = tmp_path / "copy.pdf"
    sign_pdf(make_pdf(tmp_path / "in.pdf", pages=2), out, signer, appearance=look)
    img = _render(out, 1, tmp_path / "p1")
    w, h = img.size
    mark = _bbox(img, (0, 0, w, h // 4), _dark)
    assert mark is not None and mark[0] > w // 2, mark  # top right
    assert _bbox(img, (0, 0, w, h), _red) is None and _bbox(img, (0, 0, w, h), _blue) is None  # no image
    text = _appearance_text(out, 0)
    assert text.splitlines()[0] == "SAO Y" and "UBND xã Tân Thịnh" in text and ISO_VN.search(text)
    # 10 pt: three lines of text take about 30 pt at 72 dpi
    assert 20 <= mark[3] - mark[1] <= 40, mark


def test_font_rescaled_to_1000_units_once(tmp_path: Path) -> None:
    scaled = font_for_pdf(FONT)
    assert scaled != FONT and scaled.is_file()
    assert font_for_pdf(FONT) == scaled


def test_decree30_without_images_is_a_config_error(tmp_path: Path, signer: SigningIdentity) -> None:
    look = Appearance(kind="decree30", signer="A", organisation="B", font=FONT)
    with pytest.raises(SigningConfigError, match="seal_image"):
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "o.pdf", signer, appearance=look)


# --- the stamp's lines: one leading apart, Vietnamese marks included, nothing outside the stamp -------------
# The signer and body of the QA report: the descenders of "Ngọc" above the marks of "ỦY BAN NHÂN DÂN".
QA_SIGNER, QA_BODY = "Nguyễn Thị Ngọc Ánh", "ỦY BAN NHÂN DÂN XÃ TÂN HÒA"
Box = tuple[float, float, float, float]


def _widget_alone(pdf: Path, page: int, field: str, out: Path) -> Box:
    """Write to ``out`` a one-page PDF showing only ``field``'s appearance, where it sits on ``page`` (nothing of
    the page nor of the other signatures); return the widget's rectangle (x0, y0, x1, y1, PDF points)."""
    with pikepdf.open(pdf) as doc:
        src = doc.pages[page]
        (annot,) = [a for a in src.get("/Annots", []) if str(a.get("/T", a.get("/Parent", {}).get("/T"))) == field]
        x0, y0, x1, y1 = (float(v) for v in annot.Rect)
        bx0, by0, bx1, by1 = (float(v) for v in annot.AP.N.BBox)
        assert "/Matrix" not in annot.AP.N and (abs(bx1 - bx0), abs(by1 - by0)) == (x1 - x0, y1 - y0)
        alone = pikepdf.new()
        alone.add_blank_page(page_size=(float(src.MediaBox[2]), float(src.MediaBox[3])))
        form = alone.copy_foreign(annot.AP.N)
        alone.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(W=form))
        alone.pages[0].Contents = alone.make_stream(
            f"q 1 0 0 1 {x0 - min(bx0, bx1)} {y0 - min(by0, by1)} cm /W Do Q".encode()
        )
        alone.save(out)
    return x0, y0, x1, y1


def _glyph_extents() -> dict[str, tuple[float, float]]:
    """Each character's ink (bottom, top) in ems, from the appearance font itself."""
    tt = TTFont(str(FONT))
    glyphs, upem, extents = tt.getGlyphSet(), tt["head"].unitsPerEm, {}
    for code, name in tt.getBestCmap().items():
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        extents[chr(code)] = (pen.bounds[1] / upem, pen.bounds[3] / upem) if pen.bounds else (0.0, 0.0)
    return extents


def _stamp_lines(pdf: Path, rect: Box) -> list[tuple[float, float, float, float, float, str]]:
    """The stamp's text lines, top first: (baseline, size, ink bottom, ink top, ink left/right…, text).

    Each character's ink is its advance box across and its glyph's own extent up and down (pdfplumber's box
    stops at the font's ascent, below the marks of "Ủ"); every one must lie inside ``rect``."""
    extents = _glyph_extents()
    lines: dict[float, list[dict]] = {}  # type: ignore[type-arg]
    with pdfplumber.open(pdf) as doc:
        for char in doc.pages[0].chars:
            lines.setdefault(round(char["matrix"][5], 2), []).append(char)
    found = []
    for baseline in sorted(lines, reverse=True):
        chars = sorted(lines[baseline], key=lambda c: c["x0"])
        size = chars[0]["size"]
        bottom = min(baseline + extents[c["text"]][0] * size for c in chars)
        top = max(baseline + extents[c["text"]][1] * size for c in chars)
        left, right = chars[0]["x0"], max(c["x1"] for c in chars)
        text = "".join(c["text"] for c in chars)
        assert rect[0] <= left and right <= rect[2] and rect[1] <= bottom and top <= rect[3], (text, rect)
        found.append((baseline, size, bottom, top, left, right, text))
    return found  # type: ignore[return-value]


def _black_rows(pdf: Path, rect: Box, dpi: int = 300) -> list[float]:
    """The heights (PDF points, y up) of the rows of ``rect`` where the rendered page has black ink: the text
    (the seal is red, the signature blue)."""
    scale, out = dpi / 72, pdf.with_suffix("")
    x, y = round(rect[0] * scale), round((842 - rect[3]) * scale)
    w, h = round((rect[2] - rect[0]) * scale), round((rect[3] - rect[1]) * scale)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h)]
        + [str(pdf), str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    img = Image.open(f"{out}.png").convert("RGB")
    rows = _dark(_planes(img, (0, 0, *img.size))).any(axis=1)
    return [842 - (y + int(j) + 0.5) / scale for j in np.nonzero(rows)[0]]


def _signed_with(kind: str, tmp_path: Path, signer: SigningIdentity) -> tuple[Path, int, str]:
    """A two-page PDF signed with the ``kind`` appearance (``seal``: over a ``signer`` signature, as Decree 30
    orders); the page and field of that appearance."""
    seal, signature = make_seal(tmp_path / "seal.png"), make_signature(tmp_path / "sig.png")
    source = make_pdf(tmp_path / "in.pdf", pages=2)
    out = tmp_path / f"{kind}.pdf"
    if kind == "seal":
        person = Appearance(kind="signer", signer=QA_SIGNER, organisation="", font=FONT, signature_image=signature)
        sign_pdf(source, tmp_path / "person.pdf", signer, appearance=person)
        source = tmp_path / "person.pdf"
    look = Appearance(
        kind=kind,  # type: ignore[arg-type]
        signer=QA_SIGNER,
        organisation=QA_BODY,
        font=FONT,
        seal_image=seal,
        signature_image=signature,
    )
    field = "Signature2" if kind == "seal" else "Signature1"
    sign_pdf(source, out, signer, appearance=look, field_name=field)
    return out, 0 if kind == "copy" else 1, field


@pytest.mark.parametrize(
    ("kind", "lines"),
    [
        ("decree30", [f"Ký bởi: {QA_SIGNER}", f"Cơ quan: {QA_BODY}", "Thời gian ký: "]),
        ("signer", [f"Ký bởi: {QA_SIGNER}", "Thời gian ký: "]),
        ("seal", [QA_BODY, ""]),
        ("copy", ["SAO Y", QA_BODY, ""]),
    ],
)
def test_stamp_lines_have_room_for_vietnamese_marks(
    kind: str, lines: list[str], tmp_path: Path, signer: SigningIdentity
) -> None:
    """QA: the 8 pt lines had no leading (pitch = font size): the "g" of "Ngọc" ran into the "Â" of the next line
    ("NHÂN" read "NHẤN"), the dot under "ọ" and the hook of "Ủ" were lost. Every appearance's lines are now at
    least 1.25 × the font size apart, their glyphs' ink (marks above, descenders below) does not meet the next
    line's, and no glyph reaches outside the signature's rectangle."""
    signed, page, field = _signed_with(kind, tmp_path, signer)
    alone = tmp_path / "alone.pdf"
    rect = _widget_alone(signed, page, field, alone)
    found = _stamp_lines(alone, rect)
    texts = [line[-1] for line in found]
    assert len(texts) == len(lines) and all(t.startswith(w) for t, w in zip(texts, lines, strict=True)), texts
    assert ISO_VN.fullmatch(texts[-1][len(lines[-1]) :]), texts
    for upper, lower in zip(found, found[1:], strict=False):
        pitch, size = upper[0] - lower[0], max(upper[1], lower[1])
        assert pitch >= 1.25 * size, (kind, pitch, size, upper[-1], lower[-1])
        assert lower[3] < upper[2], ("marks meet", kind, upper[-1], lower[-1])  # ink of one line above the next's
    # Rendered: the black rows are those of the lines' glyphs (one pixel of antialiasing either side), each line
    # has its own, and between two lines there are blank rows.
    rows, slack = _black_rows(alone, rect), 72 / 300
    bands = [(bottom - slack, top + slack) for _baseline, _size, bottom, top, *_ in found]
    assert all(any(lo <= row <= hi for lo, hi in bands) for row in rows), (kind, bands)
    assert all(any(lo <= row <= hi for row in rows) for lo, hi in bands), (kind, bands)


# --- the copy mark (ô 14) hides nothing of the page -------------------------------------------------------
def _decree30_scan(tmp_path: Path) -> Path:
    """Page 1 of the bundled TB sample (samples/make_samples.py: Decree 30 layout, the national motto at the top
    right from the 20 mm top margin down) as a scan on grey paper, with an OCR-like invisible text layer over its
    words (their boxes from the renderer itself, no Tesseract), as `sohoa ocr` makes it."""
    words: list[Word] = []

    class Recording(Renderer):
        def text_at(self, x: int, baseline: int, text: str, style, size: float, align) -> int:  # type: ignore[no-untyped-def]
            shown = super().text_at(x, baseline, text, style, size, align)
            if len(self.pages) == 1:
                face, left = font(style, self.px(size)), x - shown // 2 if align == "center" else x
                start, line = 0, len(words) + 1
                for part in text.split(" "):
                    x0 = left + round(face.getlength(text[:start]))
                    ink_l, ink_t, ink_r, ink_b = face.getbbox(part, anchor="ls")
                    if part:
                        words.append(
                            Word(part, 90.0, x0 + ink_l, baseline + ink_t, ink_r - ink_l, ink_b - ink_t, 1, 1, line)
                        )
                    start += len(part) + 1
            return shown

    spec = doc_tb()
    page = Recording(spec, random.Random(0)).render()[0].point(lambda v: min(v, 236))  # paper tone of a scan
    image_pdf = tmp_path / "scan.pdf"
    page.save(image_pdf, "PDF", resolution=spec.dpi)
    with pikepdf.open(image_pdf) as pdf:
        layer = text_layer_form(pdf, words, page.width, page.height, spec.dpi, glyphless_font(pdf))
        overlay_text_layer(pdf, pdf.pages[0], layer, 0.0)
        out = tmp_path / "tb-ocr.pdf"
        pdf.save(out)
    return out


def _header_in_top_margin(tmp_path: Path) -> Path:
    """A page whose letterhead fills the top 100 pt right across (a band of ink): the top margin has no room."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].Contents = pdf.make_stream(b"0 0 0 rg 0 742 595 100 re f BT /F1 12 Tf 72 600 Td (Body) Tj ET")
    out = tmp_path / "letterhead.pdf"
    pdf.save(out)
    return out


def _ink_in(pdf: Path, page: int, rect: Box, tmp_path: Path) -> int:
    """How many pixels of ``pdf``'s ``page`` (rendered at 144 dpi) inside ``rect`` (PDF points) are ink."""
    img = _render_at(pdf, page, tmp_path / f"ink-{pdf.stem}", 144)
    scale = 2
    box = (
        round(rect[0] * scale),
        round((842 - rect[3]) * scale),
        round(rect[2] * scale),
        round((842 - rect[1]) * scale),
    )
    return int((_planes(img, box).min(axis=0) < 160).sum())


def _render_at(pdf: Path, page: int, out: Path, dpi: int) -> Image.Image:
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf), str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Image.open(f"{out}.png").convert("RGB")


@pytest.mark.parametrize("make_page", [_decree30_scan, _header_in_top_margin])
def test_copy_mark_hides_nothing_of_the_page(make_page, tmp_path: Path, signer: SigningIdentity) -> None:  # type: ignore[no-untyped-def]
    """QA: the copy mark's box ran from 30 to 72 pt below the top of page 1, through the national motto ("CỘNG
    HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", from the 20 mm top margin down): the mark was printed over it. Now it lies
    where the page has neither text (the OCR layer's word boxes) nor ink: in the top margin at the right when
    there is room there (the Decree 30 page), else the nearest blank place (a letterhead filling the margin)."""
    source = make_page(tmp_path)
    look = Appearance(kind="copy", signer="", organisation=QA_BODY, font=FONT)
    out = tmp_path / "copy.pdf"
    sign_pdf(source, out, signer, appearance=look)
    with pikepdf.open(out) as doc:
        (annot,) = [a for a in doc.pages[0].Annots if a.get("/FT") == "/Sig"]
        x0, y0, x1, y1 = (float(v) for v in annot.Rect)
    with pdfplumber.open(out) as doc:
        page = doc.pages[0]
        words = page.extract_words()
        width, height = page.width, page.height
    assert words
    for w in words:  # pdfplumber: top/bottom from the top of the page
        assert not (w["x0"] < x1 and x0 < w["x1"] and height - w["bottom"] < y1 and y0 < height - w["top"]), w
    assert _ink_in(source, 1, (x0, y0, x1, y1), tmp_path) == 0  # nothing of the page drawn under the mark
    assert _ink_in(out, 1, (x0, y0, x1, y1), tmp_path) > 0  # and the mark is drawn there
    assert x1 > width * 0.75  # at the right
    if make_page is _decree30_scan:
        assert y0 >= height - 71, (y0, y1)  # within Decree 30's top margin (at most 25 mm)
        motto = [w for w in words if w["text"] in ("CỘNG", "NAM")]
        assert motto and y0 > height - min(w["top"] for w in motto)  # above the motto, not beside it
    else:
        assert y1 < 742 - 2  # below the letterhead band
    assert _appearance_text(out, 0).splitlines()[0] == "SAO Y"


def test_copy_mark_spot_is_the_corner_on_a_blank_page_and_least_ink_on_a_full_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The search itself: a blank page gives the top right corner; a page inked all over (nowhere blank) gives
    the top-margin place covering the least ink, with a warning; the same page, the same place."""
    import numpy as np

    from signing.appearance import _COPY_EDGE, _TOP_MARGIN, _free_spot

    blank = np.zeros((842, 595), dtype=bool)
    assert _free_spot(blank, 160, 44, ideal=(595 - 42 - 160, _COPY_EDGE)) == (595 - 42 - 160, _COPY_EDGE)
    full = np.ones((842, 595), dtype=bool)
    full[20:40, 100:300] = False  # a blank strip too small for the mark
    x, y = _free_spot(full, 160, 44, ideal=(595 - 42 - 160, _COPY_EDGE))
    assert y + 44 <= _TOP_MARGIN and "no blank place" in caplog.text
    assert _free_spot(full, 160, 44, ideal=(595 - 42 - 160, _COPY_EDGE)) == (x, y)
    assert x <= 300 and x + 160 >= 100  # over the strip: the least ink


def _shown(pdf: Path, page: int, renderer: str = "pdfium") -> Image.Image:
    """``pdf``'s ``page`` (from 0) as a viewer shows it, at 72 dpi: turned by its /Rotate, its signature widgets
    drawn — by PDFium (pypdfium2, with its form environment, which draws widgets) or by poppler (pdftoppm, told
    to show the crop box as viewers do)."""
    if renderer == "poppler":
        out = pdf.parent / f"{pdf.stem}-{page}"
        subprocess.run(
            ["pdftoppm", "-cropbox", "-r", "72", "-png", "-singlefile", "-f", str(page + 1), "-l", str(page + 1)]
            + [str(pdf), str(out)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return Image.open(f"{out}.png").convert("RGB")
    # in a process of its own: PDFium keeps state across documents in a process (its font caches). (The stamp's
    # text once seen "as a few marks" under pytest-xdist was the text check counting only its darkest pixels, which
    # depend on the signing time's digits: see _upright_bottom_right.)
    out = pdf.parent / f"{pdf.stem}-{page}-pdfium.png"
    script = (
        "import sys, pypdfium2\n"
        "doc = pypdfium2.PdfDocument(sys.argv[1]); doc.init_forms()\n"
        "doc[int(sys.argv[2])].render(scale=1, may_draw_forms=True).to_pil().convert('RGB').save(sys.argv[3])\n"
    )
    subprocess.run([sys.executable, "-c", script, str(pdf), str(page), str(out)], check=True, timeout=60)
    return Image.open(out).convert("RGB")


def _turned(source: Path, target: Path, page: int, rotate: int) -> Path:
    with pikepdf.open(source) as pdf:
        pdf.pages[page].obj.Rotate = rotate
        pdf.save(target)
    return target


def _sign_person_then_seal(source: Path, tmp_path: Path, signer: SigningIdentity, seal: Path, signature: Path) -> None:
    """``source`` signed by a person (signer block), then sealed by the body over it: ``tmp_path``/both.pdf."""
    person = Appearance(kind="signer", signer="Nguyễn Văn An", organisation="", font=FONT, signature_image=signature)
    sign_pdf(source, tmp_path / "person.pdf", signer, appearance=person)
    body = Appearance(
        kind="seal", signer="", organisation="UBND xã Tân Thịnh", font=FONT, seal_image=seal, signature_image=signature
    )
    sign_pdf(tmp_path / "person.pdf", tmp_path / "both.pdf", signer, appearance=body, field_name="Signature2")


def _stamp_matrix(pdf: Path, page: int, field: str) -> list[float] | None:
    with pikepdf.open(pdf) as doc:
        (annot,) = [a for a in doc.pages[page].Annots if a.get("/T") == field]
        matrix = annot.AP.N.get("/Matrix")
        return None if matrix is None else [float(v) for v in matrix]


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_signer_and_seal_stand_upright_bottom_right_of_a_turned_last_page(
    rotate: int, tmp_path: Path, signer: SigningIdentity
) -> None:
    """pyHanko places a field and draws its stamp in the page's own space, and does nothing about /Rotate: on a
    last page shown turned (a scan `sohoa ocr` turned upright, an input that came so) the signer's block went to
    the page's own bottom right — the top right or the bottom left as shown — and stood on its side or on its
    head. Now both signatures are where they are on an upright page, as displayed, and upright: the signature
    image (wider than tall) in the left half of the block, the text in the right half, the seal over the image's
    left third; each stamp's form is turned back by /Matrix."""
    seal, signature = make_seal(tmp_path / "seal.png"), make_signature(tmp_path / "sig.png")
    # the last page's text in its middle: make_pdf's line at the top left is at the bottom right when the page is
    # shown upside down, and the block no longer goes over text (see test_signer_block_goes_to_the_nearest_…)
    source = make_pdf(tmp_path / "in.pdf", pages=2)
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        pdf.pages[1].Contents = pdf.make_stream(b"BT /F1 24 Tf 250 410 Td (Page 2) Tj ET")
        pdf.save(source)
    source = _turned(source, tmp_path / "turned.pdf", 1, rotate)
    _sign_person_then_seal(source, tmp_path, signer, seal, signature)
    for renderer in ("pdfium", "poppler"):
        shown = _shown(tmp_path / "both.pdf", 1, renderer)
        assert shown.size == ((842, 595) if rotate in (90, 270) else (595, 842))
        _upright_bottom_right(shown)
    cos, sin = {90: (0, 1), 180: (-1, 0), 270: (0, -1)}[rotate]
    expected = [cos, sin, -sin, cos, 0, 0]  # turned counter-clockwise as far as the page is turned clockwise
    assert _stamp_matrix(tmp_path / "both.pdf", 1, "Signature1") == expected
    assert _stamp_matrix(tmp_path / "both.pdf", 1, "Signature2") == expected
    assert _bbox(_shown(tmp_path / "both.pdf", 0), (0, 0, 595, 842), _blue) is None  # page 1: nothing


def _upright_bottom_right(img: Image.Image) -> None:
    """The signer's block (signature image, then text) and the seal over it, upright at the bottom right of
    ``img``, a last page as displayed."""
    w, h = img.size
    # the signer's block: 320 × 96 pt, 36 pt from the right edge and 60 pt from the bottom edge as shown
    left, top, right, bottom = w - 36 - 320, h - 60 - 96, w - 36, h - 60
    middle = (left + right) // 2
    # the images' own blue and red (PDFium draws text with coloured fringes that _blue and _red take for them)
    blue = _bbox(img, (0, 0, w, h), _image_blue)
    assert blue is not None and left - 2 <= blue[0] and blue[2] <= middle + 2, (blue, left, middle)
    assert top - 2 <= blue[1] and blue[3] <= bottom + 2, (blue, top, bottom)
    assert blue[2] - blue[0] > 2 * (blue[3] - blue[1]), blue  # lying as it was drawn, not on its side
    # any ink, not only the darkest: 8 pt text at 72 dpi is mostly grey, and which glyphs have a pixel under 90
    # depends on the text — the signing time's digits — so the darkest pixels alone spanned the two lines only on
    # some days (a 24 × 12 px cluster after midnight, Vietnam time, on 2026-12-02: taken for a rendering fault)
    text = _bbox(img, (middle, top - 2, w, bottom + 2), _inked)
    assert text is not None and text[0] > blue[2] and text[2] <= right + 2, (text, blue)  # right of the image
    assert text[2] - text[0] > 2 * (text[3] - text[1]), text  # two lines of text, across
    red = _bbox(img, (0, 0, w, h), _image_red)
    assert red and red[0] < blue[0] < red[2], (red, blue)  # the seal over the image's left third
    overlap = (red[2] - blue[0]) / (blue[2] - blue[0])
    assert 0.2 < overlap < 0.45, overlap
    assert red[3] - red[1] == pytest.approx(red[2] - red[0], abs=3)  # round, not squeezed


def test_copy_mark_top_right_of_a_turned_first_page_upright(tmp_path: Path, signer: SigningIdentity) -> None:
    """The copy mark on a first page shown turned a quarter (/Rotate 90, landscape as shown): in the top margin at
    the right of the page as displayed, its three lines upright, and over nothing the page shows."""
    source = _turned(_decree30_scan(tmp_path), tmp_path / "turned.pdf", 0, 90)
    look = Appearance(kind="copy", signer="", organisation=QA_BODY, font=FONT)
    out = tmp_path / "copy.pdf"
    sign_pdf(source, out, signer, appearance=look)
    for renderer in ("pdfium", "poppler"):
        before, after = _shown(source, 0, renderer), _shown(out, 0, renderer)
        w, h = after.size
        assert (w, h) == before.size and w > h
        mark = _bbox(after, (w // 2, 0, w, 71), _dark)  # the top margin (25 mm) of the right half, as shown
        assert mark is not None and mark[2] > w * 0.85, (renderer, mark)
        assert 20 <= mark[3] - mark[1] <= 40 and mark[2] - mark[0] > 60, (renderer, mark)  # three lines, across
        under = before.crop((mark[0] - 2, mark[1] - 2, mark[2] + 2, mark[3] + 2))
        assert _bbox(under, (0, 0, *under.size), _dark) is None  # nothing of the page under the mark
    assert _stamp_matrix(out, 0, "Signature1") == [0, 1, -1, 0, 0, 0]
    assert _appearance_text(out, 0).splitlines()[0] == "SAO Y"


def test_signer_block_on_a_page_turned_by_its_page_tree_and_cropped(tmp_path: Path, signer: SigningIdentity) -> None:
    """/Rotate and /CropBox are inherited from the page tree when a page has none of its own, and a viewer shows
    the crop box: the block goes to the bottom right of what is shown."""
    seal, signature = make_seal(tmp_path / "seal.png"), make_signature(tmp_path / "sig.png")
    source = tmp_path / "tree.pdf"
    with pikepdf.open(make_pdf(tmp_path / "in.pdf", pages=2)) as pdf:
        pdf.Root.Pages.Rotate = 90  # on the page tree only: its pages are not touched, so nothing pushes it down
        pdf.Root.Pages.CropBox = pikepdf.Array([20, 30, 575, 812])
        pdf.save(source)
    assert source.read_bytes().count(b"/Rotate") == 1  # (pikepdf would push it down to the pages it reads)
    _sign_person_then_seal(source, tmp_path, signer, seal, signature)
    for renderer in ("pdfium", "poppler"):
        shown = _shown(tmp_path / "both.pdf", 1, renderer)
        assert shown.size == (782, 555)
        _upright_bottom_right(shown)


FIXTURES = Path(__file__).parent / "fixtures"


def _scan_pdf(image: Path | Image.Image, dpi: float, out: Path) -> Path:
    """``image`` as a one-page image-only PDF at ``dpi`` (as `sohoa process` takes a JPEG: no text layer)."""
    img = Image.open(image) if isinstance(image, Path) else image
    img.save(out, "PDF", resolution=dpi)
    with pikepdf.open(out, allow_overwriting_input=True) as pdf:
        pdf.save(out)  # a plain cross-reference table: PIL's is not one pyHanko reads strictly
    return out


def _sig_rects(pdf: Path, page: int) -> dict[str, Box]:
    """Each signature widget's /Rect on ``page`` (from 0), by field name."""
    with pikepdf.open(pdf) as doc:
        found: dict[str, Box] = {}
        for annot in doc.pages[page].get("/Annots", []):
            if annot.get("/FT") == "/Sig":
                x0, y0, x1, y1 = (float(v) for v in annot.Rect)
                found[str(annot.T)] = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        return found


def _person_look(tmp_path: Path) -> Appearance:
    """The ``signer`` appearance with a drawn signature: the block the placement tests watch move."""
    return Appearance(
        kind="signer", signer=QA_SIGNER, organisation="", font=FONT, signature_image=make_signature(tmp_path / "s.png")
    )


def _placed_without_warning(
    source: Path, out: Path, signer: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> tuple[float, float, float, float]:
    """``source`` signed into ``out`` with ``_person_look``: the block's rectangle, placed with no warning that it
    covers ink."""
    with caplog.at_level("WARNING", logger="signing.appearance"):
        sign_pdf(source, out, signer, appearance=_person_look(out.parent))
    assert "no blank place" not in caplog.text
    ((x0, y0, x1, y1),) = _sig_rects(out, 0).values()
    return x0, y0, x1, y1


def _ink_shown(pdf: Path, rect: Box, tmp_path: Path) -> int:
    """Ink pixels (poppler, 144 dpi) of ``pdf``'s last page as displayed inside ``rect`` (points, as shown, from
    the bottom left): an independent look at what a box covers."""
    with pikepdf.open(pdf) as doc:
        count = len(doc.pages)
    img = _render_at(pdf, count, tmp_path / f"shown-{pdf.stem}", 144).convert("L")
    height = img.height / 2
    box = (round(rect[0] * 2), round((height - rect[3]) * 2), round(rect[2] * 2), round((height - rect[1]) * 2))
    return int((np.asarray(img.crop(box)) < 160).sum())


def test_signer_block_goes_to_the_nearest_blank_place_of_a_real_last_page(
    tmp_path: Path, signer: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: the signer's block went to its fixed place at the bottom right of the last page whatever the page
    showed there. The last page of Nghị định 28/2021/NĐ-CP as scanned (letter, 200 dpi; here half that), whose
    "Nơi nhận" list reaches into that place: the block now goes to the nearest place where nothing is drawn — a
    little up and left, still at the bottom right — checked against the page as poppler draws it."""
    source = _scan_pdf(FIXTURES / "nd-28-2021-p8.jpg", 100, tmp_path / "nd-28-p8.pdf")
    decree30_place = (612 - 36 - 320, 60, 612 - 36, 156)
    assert _ink_shown(source, decree30_place, tmp_path) > 0  # the page's ink is where the block used to go
    look = _person_look(tmp_path)
    out = tmp_path / "signed.pdf"
    sign_pdf(source, out, signer, appearance=look)
    ((x0, y0, x1, y1),) = _sig_rects(out, 0).values()
    assert (x1 - x0, y1 - y0) == (320, 96)
    assert _ink_shown(source, (x0, y0, x1, y1), tmp_path) == 0  # nothing of the page under the block
    assert _ink_shown(out, (x0, y0, x1, y1), tmp_path) > 0  # and the block is drawn there
    assert (x0 + x1) / 2 > 612 / 2 and (y0 + y1) / 2 < 792 / 2, (x0, y0, x1, y1)  # bottom right
    assert abs(x0 - decree30_place[0]) + abs(y0 - decree30_place[1]) < 60  # near its Decree 30 place
    assert "no blank place" not in caplog.text


def test_signer_block_stays_at_its_decree30_place_where_the_page_is_blank(
    tmp_path: Path, signer: SigningIdentity
) -> None:
    """The same real last page at 300 dpi (as a JPEG without a resolution is taken: 408 × 528 pt) leaves the
    bottom right blank: the block is exactly where it always was (36 pt from the right, 60 pt from the bottom)."""
    source = _scan_pdf(FIXTURES / "nd-28-2021-p8.jpg", 150, tmp_path / "nd-28-p8.pdf")
    look = _person_look(tmp_path)
    sign_pdf(source, tmp_path / "signed.pdf", signer, appearance=look)
    assert list(_sig_rects(tmp_path / "signed.pdf", 0).values()) == [(408 - 36 - 320, 60, 408 - 36, 156)]


def test_signer_block_and_seal_shrink_onto_a_page_smaller_than_the_block(
    tmp_path: Path, signer: SigningIdentity
) -> None:
    """QA: a 600 × 250 px PNG (300 dpi: 144 × 60 pt) got the block at /Rect [-212 60 108 156], mostly off the
    page. Now the block is shrunk to fit, in its proportions (10 : 3), and drawn shrunk; the seal over it too."""
    source = _scan_pdf(Image.new("L", (600, 250), 236), 300, tmp_path / "small.pdf")
    seal, signature = make_seal(tmp_path / "seal.png"), make_signature(tmp_path / "sig.png")
    _sign_person_then_seal(source, tmp_path, signer, seal, signature)
    rects = _sig_rects(tmp_path / "both.pdf", 0)
    for x0, y0, x1, y1 in rects.values():
        assert 0 <= x0 < x1 <= 144 and 0 <= y0 < y1 <= 60, rects
    x0, y0, x1, y1 = rects["Signature1"]
    assert (x1 - x0) * 3 == (y1 - y0) * 10 and x1 - x0 >= 100, rects
    shown = _shown(tmp_path / "both.pdf", 0)
    blue = _bbox(shown, (0, 0, *shown.size), _image_blue)
    red = _bbox(shown, (0, 0, *shown.size), _image_red)
    assert blue and red and red[0] < blue[0] < red[2], (blue, red)  # both drawn, the seal over the image's left
    assert blue[2] - blue[0] > 2 * (blue[3] - blue[1]), blue  # shrunk, not squeezed


@pytest.mark.parametrize(
    ("fixture", "size"),
    [("nd-155-2020-p1.jpg", (398, 502)), ("rotated_skew.pdf", (612, 792))],
)
def test_signer_block_on_a_page_blank_nowhere_covers_the_least_ink_with_a_warning(
    fixture: str, size: tuple[int, int], tmp_path: Path, signer: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    """The QA pages: page 1 of Nghị định 155/2020/NĐ-CP (a JPEG without a resolution, taken at 300 dpi: text
    down to the foot) and OCRmyPDF's rotated_skew.pdf (letter shown upright by /Rotate 90, text to the foot):
    no blank place holds the block. It goes where it covers the least ink at the bottom right of the page as
    displayed — less than its Decree 30 place covers — and a warning names the file."""
    if fixture.endswith(".jpg"):
        source = _scan_pdf(FIXTURES / fixture, 150, tmp_path / "scan.pdf")
    else:
        source = shutil.copyfile(FIXTURES / fixture, tmp_path / fixture)
    look = _person_look(tmp_path)
    out = tmp_path / "signed.pdf"
    with caplog.at_level("WARNING", logger="signing.appearance"):
        sign_pdf(source, out, signer, appearance=look)
    assert "no blank place on the page for the signer's signature" in caplog.text and str(source) in caplog.text
    (rect,) = _sig_rects(out, 0).values()
    with pikepdf.open(out) as doc:
        rotate = int(doc.pages[0].obj.get("/Rotate", 0))
    width, height = size
    # as displayed: /Rotate 90 shows the page's own (x, y) at (y, page width - x)
    shown = rect if rotate == 0 else (rect[1], 792 - rect[2], rect[3], 792 - rect[0])
    assert shown[2] - shown[0] == 320 and shown[3] - shown[1] == 96, shown
    assert min(shown[0], shown[1]) >= 0 and shown[2] <= width and shown[3] <= height, shown
    assert (shown[0] + shown[2]) / 2 >= width / 2 and (shown[1] + shown[3]) / 2 <= height / 2, shown
    decree30_place = (width - 356, 60, width - 36, 156)
    assert _ink_shown(source, shown, tmp_path) < _ink_shown(source, decree30_place, tmp_path)


# --- a last page with little blank paper: the signer's block shrunk, or lower on the page, before covering ink ---
_BODY_TEXT = (
    "Điều 3. Chánh Văn phòng Ủy ban nhân dân xã, công chức Văn phòng - Thống kê, công chức Tư pháp - Hộ tịch và "
    "các tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này; việc số hóa hồ sơ, tài liệu lưu "
    "trữ được thực hiện theo đúng quy định về định dạng, độ phân giải và dữ liệu đặc tả. "
)


def _typed_page(out: Path, size: tuple[int, int], blank: list[Box], rotate: int = 0) -> Path:
    """A one-page scan (144 dpi, no text layer) of ``size`` points as shown, full of 12 pt Vietnamese body text
    between Decree 30's margins (top 25 mm, bottom 20 mm, left 30 mm, right 15 mm), except in the ``blank``
    boxes (points from the top left, as shown) where the paper is left blank; stored turned counter-clockwise
    with /Rotate ``rotate`` so that a viewer shows it upright, as `sohoa ocr` leaves a scan it turned."""
    from PIL import ImageDraw, ImageFont

    scale = 2  # 144 dpi
    width, height = size
    img = Image.new("L", (width * scale, height * scale), 236)
    draw = ImageDraw.Draw(img)
    face = ImageFont.truetype(str(FONT), 12 * scale)
    words, next_word = _BODY_TEXT.split(), 0
    left, right, top, bottom = 85, width - 42, 71, height - 57
    baseline = top + 12
    while baseline <= bottom:
        line: list[str] = []
        while face.getlength(" ".join([*line, words[next_word % len(words)]])) <= (right - left) * scale:
            line.append(words[next_word % len(words)])
            next_word += 1
        draw.text((left * scale, baseline * scale), " ".join(line), font=face, fill=0, anchor="ls")
        baseline += 15
    for x0, y0, x1, y1 in blank:
        draw.rectangle((x0 * scale, y0 * scale, x1 * scale - 1, y1 * scale - 1), fill=236)
    if rotate:
        img = img.rotate(rotate, expand=True)  # counter-clockwise: /Rotate turns it back clockwise when shown
    _scan_pdf(img, 72 * scale, out)
    if rotate:
        with pikepdf.open(out, allow_overwriting_input=True) as pdf:
            pdf.pages[0].obj.Rotate = rotate
            pdf.save(out)
    return out


@pytest.mark.parametrize("rotate", [0, 90])
def test_signer_block_is_shrunk_into_blank_paper_at_the_bottom_right_before_covering_ink(
    rotate: int, tmp_path: Path, signer: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    """A last page of text from margin to margin whose last lines end at its middle: the blank paper at the
    bottom right (305 × 100 pt, with the bottom margin) is too small for the 320 × 96 block, and nothing else on
    the page is blank. The block covered the least ink there, over the last lines, with a warning. Now it is
    shrunk (in its proportions, its text still at least 6 pt) into that blank paper, no warning; the same place
    on the page shown upright by /Rotate 90."""
    source = _typed_page(tmp_path / "dense.pdf", (595, 842), [(290, 742, 595, 842)], rotate)
    out = tmp_path / "signed.pdf"
    x0, y0, x1, y1 = _placed_without_warning(source, out, signer, caplog)
    if rotate == 90:  # as displayed: /Rotate 90 shows the page's own (x, y) at (y, page width - x)
        x0, y0, x1, y1 = y0, 842 - x1, y1, 842 - x0
    assert 240 <= x1 - x0 < 320 and (x1 - x0) * 3 == (y1 - y0) * 10, (x0, y0, x1, y1)  # shrunk, not squeezed
    assert x0 >= 290 and x1 <= 595 - 8 and y0 >= 8 and y1 <= 842 - 742, (x0, y0, x1, y1)  # in the blank paper
    assert _ink_shown(source, (x0, y0, x1, y1), tmp_path) == 0  # nothing of the page under the block
    assert _ink_shown(out, (x0, y0, x1, y1), tmp_path) > 0  # and the block is drawn there
    lines = _appearance_text(out, 0).splitlines()
    assert lines[0] == f"Ký bởi: {QA_SIGNER}" and ISO_VN.fullmatch(lines[1].removeprefix("Thời gian ký: ")), lines


def test_signer_block_prefers_blank_paper_in_the_lower_half_to_a_nearer_place_at_the_top(
    tmp_path: Path, signer: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    """A landscape last page (a table, which Decree 30 allows landscape) of text, blank at the top right (above
    the text) and at the bottom left (after it, where "Nơi nhận" goes), not at the bottom right. The top right
    place is nearer the Decree 30 place (388 pt against 410), and the block went there, at the top of the page,
    far from where a signature belongs. Now the lower half comes first: the block goes to the bottom left, at
    full size."""
    source = _typed_page(tmp_path / "table.pdf", (842, 595), [(480, 0, 842, 150), (0, 470, 400, 595)])
    out = tmp_path / "signed.pdf"
    x0, y0, x1, y1 = _placed_without_warning(source, out, signer, caplog)
    assert (x1 - x0, y1 - y0) == (320, 96)
    assert x1 <= 400 and (y0 + y1) / 2 < 595 / 2, (x0, y0, x1, y1)  # the bottom left
    assert _ink_shown(source, (x0, y0, x1, y1), tmp_path) == 0


def test_signer_block_shrunk_in_the_lower_half_before_a_full_size_place_at_the_top(
    tmp_path: Path, signer: SigningIdentity
) -> None:
    """The dense page of the shrinking test with blank paper at its top too (a letterhead left out): the full
    size block went to the top of the page. Now a block shrunk into the blank paper at the bottom right comes
    first; the same page gives the same place."""
    source = _typed_page(tmp_path / "dense.pdf", (595, 842), [(0, 0, 595, 150), (290, 742, 595, 842)])
    look = _person_look(tmp_path)
    sign_pdf(source, tmp_path / "signed.pdf", signer, appearance=look)
    sign_pdf(source, tmp_path / "again.pdf", signer, appearance=look)
    rects = _sig_rects(tmp_path / "signed.pdf", 0)
    ((x0, y0, x1, y1),) = rects.values()
    assert 240 <= x1 - x0 < 320 and x0 >= 290 and y1 <= 100, (x0, y0, x1, y1)
    assert _sig_rects(tmp_path / "again.pdf", 0) == rects


def test_signer_block_is_shrunk_no_further_than_its_text_reads() -> None:
    """The block's text is 8 pt, shown smaller as the block is shrunk: it may be shrunk until the text is shown at
    6 pt (see _LEAST_SHOWN_PT). The decree30 block's widest line is already set at 7.65 pt (pyHanko fits it to
    the block's right half), so it shrinks less; a body name so long its line is set under 6 pt, not at all."""
    from signing.appearance import _SAMPLE_TIME, _shrunk_sizes

    def smallest(look: Appearance, lines: list[str]) -> tuple[float, float] | None:
        sizes = _shrunk_sizes((320.0, 96.0), look._least_block_scale(lines))
        return sizes[-1] if sizes else None

    time_line = f"Thời gian ký: {_SAMPLE_TIME}"
    person = Appearance(kind="signer", signer=QA_SIGNER, organisation="", font=FONT)
    assert smallest(person, [f"Ký bởi: {QA_SIGNER}", time_line]) == (240.0, 72.0)
    both = Appearance(kind="decree30", signer=QA_SIGNER, organisation=QA_BODY, font=FONT)
    assert smallest(both, [f"Ký bởi: {QA_SIGNER}", f"Cơ quan: {QA_BODY}", time_line]) == (260.0, 78.0)
    long_body = "ỦY BAN NHÂN DÂN XÃ TÂN HÒA, HUYỆN ĐẠI LỘC, TỈNH QUẢNG NAM"
    assert smallest(both, [f"Ký bởi: {QA_SIGNER}", f"Cơ quan: {long_body}", time_line]) is None


def _in_units(source: Path, target: Path, unit: int) -> Path:
    """``source`` with every page's units ``unit`` points (/UserUnit): its boxes and content divided by ``unit``,
    so that it prints as before (a scanner's page may say 10: an A4 page's boxes are then 59.5 × 84.2)."""
    with pikepdf.open(source) as pdf:
        for page in pdf.pages:
            for key in ("/MediaBox", "/CropBox"):
                if key in page.obj:
                    page.obj[key] = pikepdf.Array([float(v) / unit for v in page.obj[key]])
            page.contents_coalesce()
            page.Contents.write(f"q {1 / unit} 0 0 {1 / unit} 0 0 cm\n".encode() + page.Contents.read_bytes() + b"\nQ")
            page.obj.UserUnit = unit
        pdf.save(target)
    return target


@pytest.mark.parametrize("unit", [2, 10])
def test_signer_seal_and_copy_mark_keep_their_printed_size_on_a_page_of_large_units(
    unit: int, tmp_path: Path, signer: SigningIdentity
) -> None:
    """QA132 F4: on a page whose units are 2 pt (/UserUnit 2) the signer's block, the seal and the copy mark were
    laid out in the page's units, so drawn twice their size as printed, and the copy mark went from the top
    margin to the middle of the page. Now each field's box is its box on the same page in points, divided by the
    unit, and its stamp is laid out at its size in points (poppler and PDFium draw a page in its units: drawn at
    ``unit`` times the scale, the page shows what the page in points shows at 72 dpi). At /UserUnit 10 the copy
    mark came out 9 % small and 8 pt off, its box cut to whole units (QA135 F8): it is the same as on a page in
    points, to a pixel."""
    seal, signature = make_seal(tmp_path / "seal.png"), make_signature(tmp_path / "sig.png")
    source = make_pdf(tmp_path / "in.pdf", pages=2)
    _sign_person_then_seal(source, tmp_path, signer, seal, signature)
    in_points = _sig_rects(tmp_path / "both.pdf", 1)
    units = _in_units(source, tmp_path / "units.pdf", unit)
    (tmp_path / "units").mkdir()
    _sign_person_then_seal(units, tmp_path / "units", signer, seal, signature)
    in_units = _sig_rects(tmp_path / "units" / "both.pdf", 1)
    assert in_units.keys() == in_points.keys() == {"Signature1", "Signature2"}
    for field, rect in in_points.items():
        # (a box in points is cut to whole points, one in larger units is not: the seal's is 192.33 pt from the left)
        assert in_units[field] == pytest.approx(tuple(v / unit for v in rect), abs=0.5 / unit * 2), field
    with pikepdf.open(tmp_path / "units" / "both.pdf") as pdf:
        assert float(pdf.pages[1].UserUnit) == unit  # signing keeps the page's units
    shown = _shown_at(tmp_path / "units" / "both.pdf", 1, unit)
    assert shown.size == (595, 842)
    _upright_bottom_right(shown)

    # the copy mark: in the top margin at the right, three lines of 10 pt, over nothing the page shows — and as on
    # the page in points
    def mark(scan: Path, scale: int) -> tuple[Image.Image, tuple[int, int, int, int]]:
        out = scan.parent / f"copy-{scan.stem}.pdf"
        sign_pdf(scan, out, signer, appearance=Appearance(kind="copy", signer="", organisation=QA_BODY, font=FONT))
        before, after = _shown_at(scan, 0, scale), _shown_at(out, 0, scale)
        grey = np.asarray(after.convert("L"), dtype=np.int16) - np.asarray(before.convert("L"))
        (top, left), (bottom, right) = np.argwhere(grey < -60).min(axis=0), np.argwhere(grey < -60).max(axis=0)
        return before, (int(left), int(top), int(right), int(bottom))

    in_pt = _decree30_scan(tmp_path)
    before, (left, top, right, bottom) = mark(_in_units(in_pt, tmp_path / "scan-units.pdf", unit), unit)
    w = before.width
    assert left > w // 2 and right > w * 0.85 and bottom <= 71, (left, top, right, bottom)  # top margin, right
    assert 20 <= bottom - top <= 40 and right - left > 60, (left, top, right, bottom)  # three lines of 10 pt
    under = before.crop((left - 2, top - 2, right + 2, bottom + 2))
    assert _bbox(under, (0, 0, *under.size), _dark) is None  # nothing of the page under the mark
    _, as_in_points = mark(in_pt, 1)
    assert all(abs(a - b) <= 2 for a, b in zip((left, top, right, bottom), as_in_points, strict=True)), as_in_points


def _shown_at(pdf: Path, page: int, scale: int) -> Image.Image:
    """``pdf``'s ``page`` (from 0) with its signature widgets, drawn by PDFium at ``scale`` × 72 dpi of its units."""
    out = pdf.parent / f"{pdf.stem}-{page}-x{scale}.png"
    script = (
        "import sys, pypdfium2\n"
        "doc = pypdfium2.PdfDocument(sys.argv[1]); doc.init_forms()\n"
        "doc[int(sys.argv[2])].render(scale=int(sys.argv[4]), may_draw_forms=True).to_pil().convert('RGB')"
        ".save(sys.argv[3])\n"
    )
    subprocess.run([sys.executable, "-c", script, str(pdf), str(page), str(out), str(scale)], check=True, timeout=60)
    return Image.open(out).convert("RGB")
