"""Image inputs as phones and odd apps write them (QA 51): EXIF resolutions and orientations, transparency, MPO,
a damaged page of a TIFF. Each input is made here with Pillow, small."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFont, ImageOps, TiffImagePlugin

from classify.review import reason_in_vietnamese
from ocr import ocr_document
from ocr.inputs import inspect_input
from ocr.jpegs import stored_image_bytes
from ocr.preprocess import seal_dropped
from ocr.quality import MIRRORED_NOTICE, cmyk_reason
from sohoa.errors import BadInputError, Problem
from tests.conftest import FIXTURES, SHARED, needs_shared, same_scan_data
from tests.test_ocr import LINES, TURNED_LINES, _turned_lines_page, _upright_lines, scan_page

ORIENTATION, X_RESOLUTION, Y_RESOLUTION, RESOLUTION_UNIT = 0x0112, 0x011A, 0x011B, 0x0128
# what a phone stores for a page held upright, by EXIF Orientation: the stored image turned counter-clockwise
# (PIL's sense) by this many degrees from the page as it is to be shown
STORED_TURN = {6: 90, 3: 180, 8: 270}
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SANS_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def phone_exif(orientation: int | None = None, resolution: float | None = None) -> bytes:
    """EXIF as an Android phone writes it: no JFIF density, the resolution (72) in EXIF, a maker."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if resolution is not None:
        exif[X_RESOLUTION] = exif[Y_RESOLUTION] = resolution
        exif[RESOLUTION_UNIT] = 2
    exif[0x010F] = "samsung"
    return exif.tobytes()


def _page(tmp_path: Path) -> Image.Image:
    return Image.open(scan_page(tmp_path / "trang.png")).convert("L")


@pytest.mark.parametrize("kind", ["jpeg", "tiff"])
def test_a_resolution_stated_in_exif_or_tiff_tags_is_read_as_a_number(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """QA: a phone's JPEG (EXIF XResolution 72, no JFIF density) and a 72 dpi TIFF give Pillow their resolution as
    an IFDRational, which the warning could not format: `sohoa ocr` crashed with a TypeError. Now 300 dpi is taken
    and the warning says what was stated."""
    path = tmp_path / f"điện thoại.{'jpg' if kind == 'jpeg' else 'tiff'}"
    if kind == "jpeg":
        _page(tmp_path).save(path, quality=85, exif=phone_exif(1, 72))
    else:
        _page(tmp_path).save(path, dpi=(72, 72), compression="tiff_lzw")
    with Image.open(path) as image:
        assert type(image.info["dpi"][0]).__name__ == "IFDRational"
    with caplog.at_level("WARNING", logger="ocr.pipeline"):
        result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert [(p.dpi, p.dpi_assumed) for p in result.pages] == [(300, True)]
    assert "hộ tịch trực tuyến" in result.text
    assert any(
        path.name in r.getMessage() and "an implausible resolution (72 dpi)" in r.getMessage() for r in caplog.records
    )


def test_a_jpeg_with_exif_but_no_resolution_is_said_to_state_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Pillow gives a JPEG with EXIF but no resolution in it (nor a JFIF density) a resolution of 72 dpi: the
    warning called that "an implausible resolution (72 dpi)" when the file states none."""
    path = tmp_path / "không ghi dpi.jpg"
    _page(tmp_path).save(path, quality=85, exif=phone_exif())
    with Image.open(path) as image:
        assert image.info["dpi"] == (72, 72)  # Pillow's default, not the file's
    with caplog.at_level("WARNING", logger="ocr.pipeline"):
        result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert [(p.dpi, p.dpi_assumed) for p in result.pages] == [(300, True)]
    said = [r.getMessage() for r in caplog.records if path.name in r.getMessage()]
    assert any("states no resolution" in message for message in said), said
    assert not any("implausible" in message for message in said), said
    # in both languages, Vietnamese first (QA69: English only)
    assert any(f"{path.name}: ảnh không ghi độ phân giải; đã coi là 300 dpi" in message for message in said), said


@pytest.mark.parametrize("dpi", [75, 96])
def test_a_scan_at_an_office_scanners_lowest_resolution_keeps_its_size(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, dpi: int
) -> None:
    """QA148 F2: under 100 dpi a stated resolution was implausible, 300 dpi taken: an A4 page scanned at 75 or 96
    dpi (a scanner's "e-mail" setting) was archived as a page a quarter of A4's width. Where it makes a page no
    larger than A3 it is kept — the page its size on paper, its pixels as scanned — and the page is read
    enlarged to 100 dpi."""
    path = scan_page(tmp_path / f"quét {dpi} dpi.png", dpi)
    with Image.open(path) as image:
        size = image.size
    with caplog.at_level("WARNING", logger="ocr.pipeline"):
        result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert not [r.getMessage() for r in caplog.records if "resolution" in r.getMessage()]
    assert [(p.dpi, p.dpi_assumed) for p in result.pages] == [(100, False)]
    assert "hộ tịch trực tuyến" in result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        box = [float(v) for v in pdf.pages[0].mediabox]
        (image_xobject,) = pdf.pages[0].get_images().values()
        assert (image_xobject.Width, image_xobject.Height) == size  # as scanned, not enlarged
    assert box[2] - box[0] == pytest.approx(size[0] / dpi * 72, abs=0.5)
    assert box[3] - box[1] == pytest.approx(size[1] / dpi * 72, abs=0.5)
    # a camera's 72 in its EXIF alone says nothing of the paper: taken as none, whatever the photo's size (QA150 F5:
    # 768 × 1024 px was a 271 × 361 mm page, 960 × 1280 px, larger than A3 so, 81 × 108 mm)
    from ocr.inputs import image_resolution

    for photo_size in ((768, 1024), (960, 1280)):
        photo = tmp_path / f"ảnh {photo_size[0]}.jpg"
        Image.new("L", photo_size, 250).save(photo, quality=85, exif=phone_exif(1, 72))
        with Image.open(photo) as image:
            assert image_resolution(image) == (300, True)


def _ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    box = image.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box is not None
    return box


def _assert_shown_upright_with_the_layer_on_the_ink(pdf_path: Path, upright: Image.Image, dpi: int = 300) -> None:
    """The page as a viewer shows it reads upright (pdfplumber and pdftotext give the lines in order), its render
    is the upright page, and pdftotext's word boxes lie on its ink."""
    assert _upright_lines(pdf_path) == (TURNED_LINES, TURNED_LINES)
    rendered = subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-gray", str(pdf_path)], capture_output=True, check=True
    ).stdout
    shown = Image.open(io.BytesIO(rendered))
    scale = 50 / dpi
    assert shown.size == pytest.approx((upright.width * scale, upright.height * scale), abs=2)
    left, top, right, bottom = (v * scale for v in _ink_box(upright))
    assert _ink_box(shown) == pytest.approx((left, top, right, bottom), abs=3)
    xml = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    boxes = [
        [float(v) * 50 / 72 for v in m.groups()]
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">', xml)
    ]
    assert boxes
    # the word boxes reach a little beyond the ink (a word's advance, its line's height): 6 px at 50 dpi is 2 mm
    assert min(b[0] for b in boxes) == pytest.approx(left, abs=6)
    assert max(b[2] for b in boxes) == pytest.approx(right, abs=6)
    assert min(b[1] for b in boxes) == pytest.approx(top, abs=6)
    assert max(b[3] for b in boxes) == pytest.approx(bottom, abs=6)


@pytest.mark.parametrize("orientation", [6, 3, 8])
def test_a_jpeg_turned_by_its_exif_orientation_is_shown_and_read_as_the_phone_meant(
    tmp_path: Path, orientation: int
) -> None:
    """A phone stores the photo as the sensor lay and says by EXIF Orientation how to turn it. img2pdf turned the
    page by /Rotate for it, while Tesseract read the stored pixels, found them sideways and sohoa turned the page
    once more: shown sideways or upside down, its text layer off the ink (QA). Now the page is shown turned by the
    EXIF turn alone (/Rotate), the JPEG embedded as its coefficients, and Tesseract reads it as shown."""
    upright = _turned_lines_page()
    path = tmp_path / f"exif{orientation}.jpg"
    stored = upright.rotate(STORED_TURN[orientation], expand=True)
    stored.save(path, quality=90, dpi=(300, 300), exif=phone_exif(orientation))
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    (page,) = result.pages
    assert (page.orientation, page.quality) == (0, "good"), page  # read as shown: sohoa turned nothing itself
    assert [line for line in result.text.splitlines() if line] == TURNED_LINES
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == STORED_TURN[orientation]
        (image,) = pdf.pages[0].get_images().values()
        assert same_scan_data(stored_image_bytes(image), path.read_bytes())  # the phone's JPEG, not a turned copy
    _assert_shown_upright_with_the_layer_on_the_ink(tmp_path / "out.pdf", upright)


@pytest.mark.parametrize("orientation", [6, 3, 8])
def test_a_jpeg_tiff_turned_by_its_orientation_tag_keeps_its_jpeg_shown_upright(
    tmp_path: Path, orientation: int
) -> None:
    """QA132 F5: a JPEG-coded TIFF page with an Orientation tag was decoded, turned and stored under Deflate (3–4
    times the size). Now its JPEG data is kept as stored and the page turned for display by /Rotate, as a phone's
    JPEG is; Tesseract reads it upright, and the text layer lies on its ink. A one-page TIFF: Pillow drops the tag
    of a page it has decoded, and a seek to the page it is on reads nothing again (the page was shown sideways)."""
    upright = _turned_lines_page().convert("RGB")
    tag = TiffImagePlugin.ImageFileDirectory_v2()
    tag[274] = orientation
    path = tmp_path / f"orientation{orientation}.tif"
    upright.rotate(STORED_TURN[orientation], expand=True).save(path, compression="jpeg", dpi=(300, 300), tiffinfo=tag)
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert [line for line in result.text.splitlines() if line] == TURNED_LINES
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == STORED_TURN[orientation]
        (image,) = pdf.pages[0].get_images().values()
        assert isinstance(image, pikepdf.Stream) and _filters(image)[-1] == "/DCTDecode"
    _assert_shown_upright_with_the_layer_on_the_ink(tmp_path / "out.pdf", upright)


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_jpeg_tiff_page_keeps_its_icc_profile(tmp_path: Path, orientation: int) -> None:
    """QA144 F1: a JPEG TIFF page's ICC profile (its InterColorProfile tag: a scanner's Adobe RGB) was left behind
    when its JPEG data was kept, the image painted in DeviceRGB and its colours shifted; a turned page, decoded
    before, had kept it. The JPEG carries it now, as a JPEG file does, and the image is ICCBased."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tag = TiffImagePlugin.ImageFileDirectory_v2()
    tag[274] = orientation
    path = tmp_path / f"icc{orientation}.tif"
    upright = _turned_lines_page().convert("RGB")
    stored = upright if orientation == 1 else upright.rotate(STORED_TURN[orientation], expand=True)
    stored.save(path, compression="jpeg", dpi=(300, 300), tiffinfo=tag, icc_profile=profile)
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert result.pdfa == "2B", result.pdfa_problems
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert isinstance(image, pikepdf.Stream) and _filters(image)[-1] == "/DCTDecode"
        space = image.get("/ColorSpace")
        assert isinstance(space, pikepdf.Array) and space[0] == pikepdf.Name.ICCBased, space
        assert space[1].read_bytes() == profile


def test_a_png_turned_by_its_exif_orientation_is_shown_and_read_as_meant(tmp_path: Path) -> None:
    """The same rule for a PNG's eXIf chunk."""
    upright = _turned_lines_page()
    path = tmp_path / "exif6.png"
    upright.rotate(90, expand=True).save(path, dpi=(300, 300), exif=phone_exif(6))
    (page,) = ocr_document(path, tmp_path / "out.pdf", workers=1).pages
    assert (page.orientation, page.quality) == (0, "good"), page
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == 90
    _assert_shown_upright_with_the_layer_on_the_ink(tmp_path / "out.pdf", upright)


def _with_late_exif(png: bytes, exif: bytes) -> bytes:
    """``png`` with an eXIf chunk after its pixels (IDAT), just before IEND: where some writers put it."""
    end = png.rindex(b"IEND") - 4
    chunk = b"eXIf" + exif
    return png[:end] + len(exif).to_bytes(4, "big") + chunk + zlib.crc32(chunk).to_bytes(4, "big") + png[end:]


def test_a_pngs_orientation_is_read_without_decoding_it_unless_it_may_follow_the_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a PNG's EXIF orientation decoded the whole image (Pillow looks for an eXIf chunk after the pixels):
    once more for each PNG document, for nothing, as its file is embedded as it is. An eXIf before the pixels is
    read from the chunks; one after them still by decoding (and still turns the page)."""
    from PIL import PngImagePlugin

    from ocr.pipeline import _stored_turn

    page = Image.new("L", (600, 400), 255)
    early, plain = tmp_path / "early.png", tmp_path / "plain.png"
    page.save(early, dpi=(300, 300), exif=phone_exif(6))
    page.save(plain, dpi=(300, 300))
    late = tmp_path / "late.png"
    late.write_bytes(_with_late_exif(plain.read_bytes(), phone_exif(6)))
    decoded: list[str] = []
    real_load = PngImagePlugin.PngImageFile.load

    def counted_load(image: PngImagePlugin.PngImageFile) -> object:
        decoded.append(Path(str(image.filename)).name)
        return real_load(image)

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", counted_load)
    turns = {}
    for path in (early, plain, late):
        with Image.open(path) as image:
            turns[path.name] = _stored_turn(image)
    assert turns == {"early.png": 90, "plain.png": 0, "late.png": 90}
    assert decoded == ["late.png"], decoded


@pytest.mark.parametrize("strips", ["one strip", "many strips"])
def test_a_g4_tiff_with_an_orientation_tag_is_shown_upright_once(tmp_path: Path, strips: str) -> None:
    """Pillow (as libtiff) decodes a TIFF page with Orientation 6 already upright; img2pdf still added /Rotate 90
    (QA: shown sideways, its text layer off the ink), and embedded a one-strip G4 page's data sideways under the
    upright size (viewers drew noise). Now the page is shown as decoded: upright, no /Rotate."""
    upright = _turned_lines_page().point(lambda v: 255 if v > 128 else 0).convert("1")
    path = tmp_path / "orient6.tiff"
    stored = upright.rotate(90, expand=True)
    if strips == "one strip":
        stored.save(path, compression="group4", dpi=(300, 300), tiffinfo={ORIENTATION: 6, 278: stored.height})
    else:
        stored.save(path, compression="group4", dpi=(300, 300), tiffinfo={ORIENTATION: 6, 278: 64})
    with Image.open(path) as written:
        assert isinstance(written, TiffImagePlugin.TiffImageFile)
        assert (len(written.tag_v2[273]) == 1) == (strips == "one strip")
    (page,) = ocr_document(path, tmp_path / "out.pdf", workers=1).pages
    assert (page.orientation, page.quality) == (0, "good"), page
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == 0
        (shown,) = pdf.pages[0].get_images().values()
        assert isinstance(shown, pikepdf.Stream)
        assert pikepdf.PdfImage(shown).as_pil_image().convert("1").tobytes() == upright.tobytes()  # lossless
    _assert_shown_upright_with_the_layer_on_the_ink(tmp_path / "out.pdf", upright)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_a_png_of_black_text_on_transparent_paper_is_read_as_shown(tmp_path: Path, mode: str) -> None:
    """QA: a PNG of black text on a transparent background was shown right (flattened onto white) but read as a
    blank page: Tesseract was given the transparent image, whose colour is black everywhere."""
    ink = ImageOps.invert(_page(tmp_path))  # the alpha: opaque where the text is
    black = Image.new("L", ink.size, 0)
    image = Image.merge("LA", (black, ink)) if mode == "LA" else Image.merge("RGBA", (black, black, black, ink))
    path = tmp_path / "nền trong suốt.png"
    image.save(path, dpi=(300, 300))
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    (page,) = result.pages
    assert page.quality == "good", page
    for line in LINES:
        assert line in result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        assert isinstance(shown, pikepdf.Stream)
        flat = pikepdf.PdfImage(shown).as_pil_image()
    assert flat.mode == ("L" if mode == "LA" else "RGB")  # a gray page stays gray
    assert _ink_box(flat) == _ink_box(_page(tmp_path))


def test_an_mpo_jpeg_makes_one_page_of_its_first_image(tmp_path: Path) -> None:
    """A phone's MPO (the photo, then a smaller preview of it) made a 2-page record, page 2 the preview."""
    page = _page(tmp_path).convert("RGB")
    preview = page.resize((page.width // 2, page.height // 2))
    path = tmp_path / "mpo.jpg"
    page.save(path, format="MPO", save_all=True, append_images=[preview], dpi=(300, 300), quality=85)
    with Image.open(path) as written:
        assert written.format == "MPO" and getattr(written, "n_frames", 1) == 2
    assert inspect_input(path).page_count == 1
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert [p.number for p in result.pages] == [1]
    assert "hộ tịch trực tuyến" in result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert len(pdf.pages) == 1
        (shown,) = pdf.pages[0].get_images().values()
        assert (int(shown.Width), int(shown.Height)) == page.size


def test_a_damaged_page_of_a_tiff_is_named(tmp_path: Path) -> None:
    """QA: a 2-page TIFF whose second page's data are garbled was quarantined as "(decoder error -2)", not saying
    which page; as for a PDF's damaged page image, the reason names it."""
    pages = [_page(tmp_path), _page(tmp_path).rotate(180)]
    whole = tmp_path / "whole.tiff"
    pages[0].save(whole, save_all=True, append_images=pages[1:], compression="tiff_lzw", dpi=(300, 300))
    data = bytearray(whole.read_bytes())
    with Image.open(whole) as written:
        assert isinstance(written, TiffImagePlugin.TiffImageFile)
        written.seek(1)
        offsets, counts = written.tag_v2[273], written.tag_v2[279]
    middle = len(offsets) // 2
    data[offsets[middle] : offsets[middle] + counts[middle]] = b"\xff" * counts[middle]  # its data, not its tags
    damaged = tmp_path / "hỏng trang 2.tiff"
    damaged.write_bytes(bytes(data))
    with pytest.raises(BadInputError) as raised:
        inspect_input(damaged)
    assert raised.value.problem == Problem.DAMAGED_PAGE_IMAGE
    assert raised.value.detail.startswith("page 2: ")
    assert "(trang 2)" in raised.value.vietnamese()


@pytest.mark.parametrize("kind", ["jpeg", "tiff"])
def test_a_cmyk_scan_is_pdfa_and_only_without_a_cmyk_profile_sent_to_review_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """QA: a CMYK JPEG or TIFF was archived without PDF/A ("DeviceCMYK without a matching output intent") and
    with nothing in its review reasons; then it was sent to review. Its image is ICCBased now (its pixels as they
    came) and the copy claims PDF/A-2B. Only where no CMYK profile can be found (the scan has none and Debian's
    libgs-common is not installed) does it stay DeviceCMYK: no claim, the problems say why and the record goes to
    review, in both languages."""
    import ocr.pipeline

    path = tmp_path / f"cmyk.{'jpg' if kind == 'jpeg' else 'tiff'}"
    page = _page(tmp_path).convert("CMYK")
    if kind == "jpeg":
        page.save(path, quality=90, dpi=(300, 300))
    else:
        page.save(path, compression="tiff_lzw", dpi=(300, 300))
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert "hộ tịch trực tuyến" in result.text and (result.pdfa, result.pdfa_problems) == ("2B", [])
    assert cmyk_reason(result.pdfa_problems) is None

    monkeypatch.setattr(ocr.pipeline, "CMYK_PROFILE", tmp_path / "default_cmyk.icc")  # not there
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert "hộ tịch trực tuyến" in result.text and result.pdfa is None
    assert result.pdfa_problems == [
        "6.2.4.3: page 1 paints in DeviceCMYK without a matching output intent",
        "6.2.4.3: a CMYK scan image has no usable ICC profile of its own, and the CMYK profile that would describe "
        f"it, {tmp_path / 'default_cmyk.icc'} (Debian package libgs-common), is missing or unusable: it stays "
        "DeviceCMYK",
    ]
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert next(iter(pdf.pages[0].get_images().values())).ColorSpace == pikepdf.Name.DeviceCMYK
    reason = cmyk_reason(result.pdfa_problems)
    assert reason == "not PDF/A: page 1 is in CMYK colours (scan it again in RGB colour or gray)"
    said = "không đạt PDF/A: trang 1 dùng hệ màu CMYK (hãy quét lại ở chế độ màu RGB hoặc xám)"
    assert reason_in_vietnamese(reason) == said
    assert cmyk_reason(["6.5.1: the document's open action runs a JavaScript action"]) is None


def test_a_photo_stating_no_resolution_larger_than_any_paper_at_300_dpi_is_taken_at_a4s_size(tmp_path: Path) -> None:
    """QA: a phone's 50-megapixel photo of an A4 page (no resolution stated) made a 518 × 691 mm PDF page at the
    300 dpi taken for it, two A2 sheets printed at "actual size". An image larger than A3 at 300 dpi is taken at
    the resolution that makes its long side A4's; an A4 scan stating none stays at 300 dpi."""
    from ocr.inputs import image_resolution
    from ocr.pipeline import image_to_pdf

    # a 12-megapixel photo too, which 300 dpi made a 254 × 339 mm page (QA77): Decree 30's paper is A4
    for size, dpi in (((6120, 8160), 741), ((2480, 3508), 300), ((3000, 4000), 363)):
        photo = tmp_path / f"ảnh {size[0]}.jpg"
        Image.new("L", size, 245).save(photo, quality=50)
        with Image.open(photo) as image:
            assert image_resolution(image) == (dpi, True), size
        image_to_pdf(inspect_input(photo), tmp_path / "trang.pdf")
        with pikepdf.open(tmp_path / "trang.pdf") as pdf:
            long_side_mm = max(float(v) for v in pdf.pages[0].mediabox[2:]) / 72 * 25.4
        assert long_side_mm == pytest.approx(max(size) / dpi * 25.4, abs=0.5)
        assert long_side_mm <= 297 * 1.05, (size, long_side_mm)


def test_a_png_with_bytes_after_its_end_is_embedded_as_decoded(tmp_path: Path) -> None:
    """QA57: a PNG an app wrote with a trailer after its IEND chunk decodes (Pillow) but img2pdf refused it with a
    bare Exception ("invalid png: …"): a traceback from `sohoa ocr`, a quarantine "processing failed" from
    `process`. Its decoded pixels are the page, exactly."""
    page = _page(tmp_path)
    path = tmp_path / "ảnh có đuôi thừa.png"
    page.save(path, dpi=(300, 300))
    path.write_bytes(path.read_bytes() + b"EXTRA-DATA-FROM-APP")
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert "hộ tịch trực tuyến" in result.text and result.pdfa == "2B"
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        assert isinstance(shown, pikepdf.Stream)
        embedded = pikepdf.PdfImage(shown).as_pil_image()
    assert embedded.tobytes() == page.convert(embedded.mode).tobytes()


SEAL_RED = (220, 30, 30)


def _sealed_page() -> tuple[Image.Image, list[str]]:
    """A colour scan of twelve lines of a court's text with a commune's red seal pressed over the right of eight of
    them, its ink darkening what it lies on (as ink does: black print under it stays black), and a red urgency
    mark at its top; and those lines."""
    source = SHARED / "corpora/vi-text/legal-docs/an_le/gt_pdftotext_per_page/an_le_so_432021AL.p2.txt"
    lines = [line.strip()[:55] for line in source.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 40]
    lines = lines[:12]
    page = Image.new("RGB", (1600, 1100), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(SANS, 46)
    for index, line in enumerate(lines):
        draw.text((120, 100 + index * 75), line, font=font, fill="black")
    seal = Image.new("RGB", page.size, "white")
    ink = ImageDraw.Draw(seal)
    centre_x, centre_y = 1100, 550
    for radius, width in ((300, 18), (240, 8)):
        ring = (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius)
        ink.ellipse(ring, outline=SEAL_RED, width=width)
    ink.text((centre_x - 210, centre_y - 30), "ỦY BAN NHÂN DÂN", font=ImageFont.truetype(SANS_BOLD, 46), fill=SEAL_RED)
    # an urgency mark (Decree 30's item 10b): a red box 8 mm high, stamped at the top
    ink.rectangle((1250, 15, 1560, 85), outline=SEAL_RED, width=5)
    ink.text((1300, 20), "KHẨN", font=ImageFont.truetype(SANS_BOLD, 50), fill=SEAL_RED)
    return ImageChops.multiply(page, seal), lines


def test_a_seal_drop_out_makes_a_seals_ink_light_and_keeps_every_other_pixel() -> None:
    """Within a seal (a red ring 34 mm across at 300 dpi): coloured ink, pressed hard or faded, becomes the paper's
    grey; on black print it stays dark; black ink and paper stay as they were. Coloured ink of another shape is text and
    stays: an urgency mark's red box 8 mm high (Decree 30's KHẨN), a block of red lines 40 × 15 mm, a red band."""
    image = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 100, 500, 500), outline=SEAL_RED, width=12)
    colours = [(235, 160, 170), (80, 15, 15), (30, 40, 200), (0, 0, 0), (250, 240, 200), (128, 128, 128)]
    for index, colour in enumerate(colours):
        draw.rectangle((200 + index * 30, 290, 220 + index * 30, 310), fill=colour)
    draw.rectangle((20, 540, 250, 585), outline=SEAL_RED, width=4)  # 19.5 × 3.8 mm
    for line in range(4):  # 40 × 15 mm of red lines
        draw.rectangle((600, 100 + line * 45, 1070, 130 + line * 45), fill=SEAL_RED)
    draw.rectangle((600, 600, 1190, 880), fill=SEAL_RED)  # 50 × 24 mm
    dropped = seal_dropped(image, 300)
    assert dropped.getpixel((300, 106)) == (255, 255, 255)  # the ring: the paper's grey
    shown = [dropped.getpixel((210 + index * 30, 300)) for index in range(len(colours))]
    assert shown[:3] == [(255, 255, 255), (80, 80, 80), (255, 255, 255)]  # faded; on black print: dark; blue ink
    assert shown[3:] == colours[3:]
    for kept in ((20, 560), (700, 110), (700, 700)):  # the urgency mark, the red lines, the band
        assert dropped.getpixel(kept) == SEAL_RED
    gray = Image.new("L", (4, 4), 128)
    assert seal_dropped(gray, 300) is gray


def test_a_blue_or_violet_seal_is_dropped_too() -> None:
    """QA89: a certification stamp in blue or violet ink lay over the text as a red seal did."""
    for ink in ((30, 60, 200), (130, 40, 160)):
        image = Image.new("RGB", (600, 600), (240, 240, 240))
        ImageDraw.Draw(image).ellipse((100, 100, 500, 500), outline=ink, width=12)
        assert seal_dropped(image, 300).getpixel((300, 106)) == (240, 240, 240)


def test_a_violet_seals_darker_and_fainter_ink_is_dropped_and_print_under_it_stays() -> None:
    """QA121: a violet seal's lightest channel, its blue, is ~145 in a JPEG, and ink pressed harder went under 128,
    taken for ink on black print: a fifth of the ring stayed dark; its thin parts (blue 40 over green) were no ink.
    The ring was still drawn on Tesseract's copy and the signer's title under it lost (4 of QA121's 5 violet pages)."""
    violet, pressed, faint, print_under_ink = (110, 50, 160), (90, 35, 118), (205, 180, 220), (12, 6, 16)
    image = Image.new("RGB", (700, 700), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 100, 540, 540), outline=violet, width=14)  # 37 mm at 300 dpi
    draw.arc((100, 100, 540, 540), start=45, end=135, fill=pressed, width=14)  # its lower part pressed harder
    draw.line((250, 300, 390, 300), fill=faint, width=6)  # thin ink inside it
    draw.rectangle((300, 100, 312, 114), fill=print_under_ink)  # black print under the ring
    dropped = seal_dropped(image, 300)
    assert dropped.getpixel((320, 107)) == (255, 255, 255)  # the ring
    assert dropped.getpixel((320, 533)) == (255, 255, 255)  # pressed harder: no print under it, paper
    assert dropped.getpixel((320, 300)) == (255, 255, 255)  # the thin ink inside the ring
    assert max(dropped.getpixel((306, 107))) <= 16  # the print under the ring: dark


@pytest.mark.integration
def test_the_line_under_a_violet_seal_is_read(tmp_path: Path) -> None:
    """QA121's page: a 40 mm violet (110, 50, 160) seal pressed over a form's body text, A4 at 200 dpi, JPEG
    quality 60 (``tests/fixtures/violet-seal-over-body.jpg``, made by QA121's script). Its ring stayed dark on
    Tesseract's copy, and the line it crossed was lost whole, the page `good`: 175 of its 197 words read, 196
    without the seal (now 194)."""
    result = ocr_document(FIXTURES / "violet-seal-over-body.jpg", tmp_path / "out.pdf", workers=2)
    assert "thân nhân (Cha, Mẹ, Vợ, Chồng, con, anh chị em ruột)" in " ".join(result.text.split()), result.text


def test_a_seal_on_pink_paper_is_found_and_the_paper_stays() -> None:
    """QA91: on a pink form (250, 190, 205) every pixel was red ink: one mark the page's size, no seal found, and the
    signer's name under the seal lost."""
    pink = (250, 190, 205)
    image = Image.new("RGB", (700, 700), pink)
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 100, 540, 540), outline=(200, 26, 36), width=14)
    draw.text((150, 300), "Lò Văn Thắm", fill="black")
    dropped = seal_dropped(image, 300)
    assert dropped.getpixel((320, 107))[0] >= 200  # the ring: paper-light
    assert dropped.getpixel((650, 650)) == pink  # the paper


def test_a_seal_crossed_by_a_long_blue_signature_is_found() -> None:
    """QA90: a blue signature 55 mm long through a red seal made one coloured mark of the two, 76 mm wide and no
    seal's shape: nothing was dropped, and the signer's title and name under the seal were lost."""
    image = Image.new("RGB", (1000, 700), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 100, 540, 540), outline=SEAL_RED, width=14)  # 37 mm
    draw.line((300, 320, 950, 360), fill=(25, 45, 165), width=8)  # 55 mm, from the seal's middle out
    dropped = seal_dropped(image, 300)
    assert dropped.getpixel((320, 107)) == (255, 255, 255)  # the ring
    assert dropped.getpixel((900, 357)) == (25, 45, 165)  # the signature outside the seal: kept


def _round_seal(draw: ImageDraw.ImageDraw, centre: tuple[int, int], radius: int) -> None:
    """A round seal's rings (as _sealed_page's) around ``centre``."""
    x, y = centre
    for ring_radius, width in ((radius, 14), (radius - 60, 6)):
        draw.ellipse(
            (x - ring_radius, y - ring_radius, x + ring_radius, y + ring_radius), outline=SEAL_RED, width=width
        )


@pytest.mark.parametrize("touching", ["a second seal", "a red rule", "a name stamp and a red signature"])
def test_a_seal_touching_other_ink_of_its_colour_is_found(touching: str) -> None:
    """QA91: a seal whose ink touched other ink of its colour made one mark of no seal's shape, no seal was found,
    and the signer's name under it was lost: two seals pressed overlapping (70 × 41 mm), a form's red rule through
    one (192 × 40 mm), a square name seal beside a red name stamp and a red signature (57 × 29 mm)."""
    image = Image.new("RGB", (2000, 900), "white")
    draw = ImageDraw.Draw(image)
    if touching == "a name stamp and a red signature":
        draw.rectangle((400, 300, 660, 560), outline=SEAL_RED, width=14)  # 22 mm square
        draw.text((450, 400), "ỦY BAN", font=ImageFont.truetype(SANS_BOLD, 40), fill=SEAL_RED)
        draw.text((640, 520), "Lò Văn Thắm", font=ImageFont.truetype(SANS_BOLD, 60), fill=SEAL_RED)  # name stamp
        draw.line((560, 480, 1100, 430), fill=SEAL_RED, width=6)  # a signature in red ink
        on_the_ring = (530, 303)
    else:
        _round_seal(draw, (600, 450), 220)  # 37 mm
        on_the_ring = (600, 233)
        if touching == "a second seal":
            _round_seal(draw, (960, 450), 220)
        else:
            draw.line((0, 450, 1999, 450), fill=SEAL_RED, width=5)  # across the page
    dropped = seal_dropped(image, 300)
    assert dropped.getpixel(on_the_ring) == (255, 255, 255)


def test_red_letters_touching_a_round_seal_are_no_part_of_it() -> None:
    """QA95: a round seal found inside a larger mark dropped every red pixel of its box, and with it the first letters
    of red lines that began at its edge ("Địa chỉ" read "ĐảgÖƑÿ"). A round one is its disc."""
    image = Image.new("RGB", (1600, 700), "white")
    draw = ImageDraw.Draw(image)
    _round_seal(draw, (350, 350), 160)  # 27 mm
    for line in range(3):  # red lines from its edge out, the first letters in its box's corner
        draw.rectangle((470, 200 + line * 120, 1500, 240 + line * 120), fill=SEAL_RED)
    dropped = seal_dropped(image, 300)
    assert dropped.getpixel((350, 193)) == (255, 255, 255)  # the ring
    assert dropped.getpixel((490, 220)) == SEAL_RED  # in the box, outside the disc: a letter, kept


def test_lines_of_red_text_larger_than_a_seal_are_kept() -> None:
    """A paragraph printed in red is no seal: its lines make one solid mark at the seal search's scale, in which
    seal-sized areas stay after its thin parts are taken off — but no seal's ring runs around them (QA89's red
    pages, read word for word before the search inside large marks)."""
    image = Image.new("RGB", (2200, 900), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(SANS, 50)
    for line in range(10):
        draw.text(
            (100, 60 + line * 70),
            "Nguyễn Thị L - Chủ Doanh nghiệp tư nhân thương mại Hợp đồng tín dụng",
            font=font,
            fill=SEAL_RED,
        )
    dropped = seal_dropped(image, 300)
    assert dropped.tobytes() == image.tobytes()


@needs_shared
@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_the_lines_under_and_beside_a_red_seal_are_read(tmp_path: Path, suffix: str) -> None:
    """QA88: Tesseract took the seal for a picture and left out its lines, beside it too (71 of their 129 words
    read), the page "good"; read with the seal dropped, all 129. A scanner's colour PDF too (its pages were
    rendered grey for Tesseract, the seal dark grey)."""
    page, lines = _sealed_page()
    scan = tmp_path / f"quyet-dinh-co-dau{suffix}"
    page.save(scan, dpi=(300, 300), resolution=300)
    result = ocr_document(scan, tmp_path / "out.pdf", workers=1)
    read = set(result.text.split())
    expected = " ".join(lines).split()
    assert sum(word in read for word in expected) >= 0.95 * len(expected), result.text
    assert "KHẨN" in read  # red, but no seal: read (a drop-out of all red left it out)
    with pikepdf.open(tmp_path / "out.pdf") as pdf:  # the archived page is the scan, seal and all
        (image,) = pdf.pages[0].get_images().values()
        kept = pikepdf.PdfImage(image).as_pil_image().getpixel((1100 - 291, 550))  # on the ring (Pillow's PDF: JPEG)
        assert max(abs(a - b) for a, b in zip(kept, SEAL_RED, strict=True)) <= 4, kept


@pytest.mark.parametrize(("lines_an_inch", "stored_sideways"), [(98, False), (196, False), (98, True)])
def test_a_fax_of_pixels_taller_than_wide_keeps_its_page_size_and_is_read(
    tmp_path: Path, lines_an_inch: int, stored_sideways: bool
) -> None:
    """QA88 H2: a fax TIFF states 204 dpi across and 98 (standard) or 196 (fine) down. Only the first was used: an
    A4 fax became a landscape half page, and Tesseract, given letters half their height, read its heading
    "CCGniCG FEECOA". The page is laid out at both resolutions, its G4 data kept; Tesseract reads it stretched to
    square pixels, and the text layer lies on the page as shown. QA89: one stored sideways with an Orientation tag
    (its resolutions in the stored axes' order: 98 across) was "98 dpi, implausible", a landscape strip."""
    page = Image.open(scan_page(tmp_path / "p.png")).convert("L")  # 1750 × 1100 px at 300 dpi
    fax = page.resize((round(page.width * 204 / 300), round(page.height * lines_an_inch / 300)), Image.Resampling.BOX)
    source = tmp_path / "fax.tif"
    bilevel = fax.point(lambda v: 255 if v > 128 else 0).convert("1")
    if stored_sideways:  # stored turned a quarter, Orientation 6 (turn it clockwise to show it)
        exif = Image.Exif()
        exif[ORIENTATION] = 6
        sideways = bilevel.transpose(Image.Transpose.ROTATE_90)
        sideways.save(source, compression="group4", dpi=(lines_an_inch, 204), exif=exif)
    else:
        bilevel.save(source, compression="group4", dpi=(204, lines_an_inch))
    result = ocr_document(source, tmp_path / "out.pdf", workers=1)
    assert "hộ tịch trực tuyến" in result.text and "THÔNG BÁO" in result.text, result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
        assert abs((x1 - x0) - 1750 * 72 / 300) < 2 and abs((y1 - y0) - 1100 * 72 / 300) < 2, (x1 - x0, y1 - y0)
        (image,) = pdf.pages[0].get_images().values()
        assert list(image.Filter.wrap_in_array()) == ["/CCITTFaxDecode"] and (image.Width, image.Height) == fax.size
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == 0
    words = subprocess.run(
        ["pdftotext", "-bbox", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    y_max = max(float(v) for v in re.findall(r'yMax="([\d.]+)"', words))
    ink = page.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert ink is not None and abs(y_max - ink[3] * 72 / 300) < 8, (y_max, ink)


def test_a_pair_of_resolutions_no_scanner_makes_is_taken_square_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA165 F4: an image stating 300 × 72 dpi (4.2 times taller a pixel than wide; a fax's is 2.08) was laid out
    as a page 210 × 1237 mm, its text stretched four times down it and read as junk (confidence 40), with no word
    said. Such a pair is taken as its horizontal resolution both ways, and said."""
    page = Image.open(scan_page(tmp_path / "p.png")).convert("L")  # 1750 × 1100 px at 300 dpi
    source = tmp_path / "độ phân giải lạ.png"
    page.save(source, dpi=(300, 72))
    with caplog.at_level(logging.WARNING):
        result = ocr_document(source, tmp_path / "out.pdf", workers=1)
    assert "hộ tịch trực tuyến" in result.text and [p.quality for p in result.pages] == ["good"], result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
        assert abs((x1 - x0) - 1750 * 72 / 300) < 2 and abs((y1 - y0) - 1100 * 72 / 300) < 2, (x1 - x0, y1 - y0)
    assert "the image states 300 × 72 dpi, which no scanner makes; taken as 300 dpi both ways" in caplog.text


@pytest.mark.parametrize(
    "variant",
    ["plain", "paper transparent", "bytes after its end", "big-endian TIFF", "a transparent gray unused", "12 bits"],
)
def test_a_16_bit_gray_scan_is_read_not_taken_for_a_blank_page(tmp_path: Path, variant: str) -> None:
    """QA101 F1: a flatbed's 16-bit gray scan (PNG or TIFF) reached Tesseract white — Pillow's conversion to 8 bits
    clips every value above 255 — and was read as a blank page (`process` quarantined it as the wrong side
    scanned). Its range is scaled down for Tesseract; the PDF keeps the 16 bits, also when img2pdf cannot read the
    file and its decoded pixels are embedded (a PNG with an app's bytes after its end). One whose paper gray is
    marked transparent (tRNS) went through Pillow's RGBA conversion, clipped the same way, until 2026-12-04.
    QA102: a big-endian TIFF (a Mac's byte order) was "damaged" and one whose transparent gray no pixel has an
    "internal error": Pillow writes no PNG of ``I;16B``, img2pdf takes no 16-bit image with a tRNS."""
    paper_transparent = variant == "paper transparent"
    import numpy as np

    scale = 16 if variant == "12 bits" else 257  # a 12-bit scanner's samples written in 16 bits: 0..4080
    values = (np.asarray(_page(tmp_path), dtype=np.uint16) * scale).astype(np.uint16)
    deep = Image.fromarray(values)
    assert deep.mode.startswith("I;16")
    path = tmp_path / "16 bit.png"
    paper = int(np.bincount(values.ravel()).argmax())
    deep.save(path, dpi=(300, 300), **({"transparency": paper} if paper_transparent else {}))
    if variant == "bytes after its end":
        path.write_bytes(path.read_bytes() + b"app trailer")
    elif variant == "big-endian TIFF":
        path = tmp_path / "16 bit.tif"
        Image.frombytes("I;16B", deep.size, values.astype(">u2").tobytes()).save(path, dpi=(300, 300))
        with Image.open(path) as written:
            assert written.mode == "I;16B"
    elif variant == "a transparent gray unused":
        unused = next(value for value in range(1, 65535, 7) if not (values == value).any())
        deep.save(path, dpi=(300, 300), transparency=unused)
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    (page,) = result.pages
    assert page.quality == "good" and page.words > 20, page
    assert LINES[0] in result.text, result.text
    assert any("transparency" in notice for notice in result.notices) == paper_transparent, result.notices
    # kept as they are, read all the same, and said: viewers show such a page nearly black (QA102)
    assert any("nearly black" in notice for notice in result.notices) == (variant == "12 bits"), result.notices
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        # the scan's own pixels; laid on white (what PDF/A's page shows) they are 8-bit
        assert int(shown.BitsPerComponent) == (8 if paper_transparent else 16)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


@pytest.mark.parametrize("clear", [0x1234, 0x0034])  # QA103: a colour whose channels are all under 256 too
def test_a_48_bit_scan_with_an_unused_transparent_colour_keeps_its_ink_and_16_bits(tmp_path: Path, clear: int) -> None:
    """QA102 F11: a 48-bit RGB PNG whose tRNS colour (0x1234 gray) no pixel has: Pillow matches its low byte (0x34)
    against the 8-bit pixels it decodes, and the ink of gray 52 was whitened in the copy, under a transparency
    notice. Such a tRNS is left out: every pixel kept, at 16 bits, no notice."""
    import numpy as np

    gray = np.asarray(_page(tmp_path), dtype=np.uint16)
    gray = np.where(gray < 128, 52, gray)  # the ink: gray 52 at 8 bits, 52 * 257 at 16
    rgb = np.repeat((gray * 257).astype(">u2")[:, :, None], 3, axis=2)
    rows = b"".join(b"\x00" + row.tobytes() for row in rgb)
    height, width = gray.shape
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([16, 2, 0, 0, 0])
    png = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
    png += _png_chunk(b"pHYs", (11811).to_bytes(4, "big") * 2 + b"\x01")  # 300 dpi
    png += _png_chunk(b"tRNS", clear.to_bytes(2, "big") * 3)
    png += _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b"")
    path = tmp_path / "48 bit.png"
    path.write_bytes(png)
    with Image.open(path) as opened:
        assert opened.info["transparency"] == (clear,) * 3
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert LINES[0] in result.text and not result.notices, (result.text, result.notices)
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        assert int(shown.BitsPerComponent) == 16
        kept = np.frombuffer(pikepdf.PdfImage(shown).read_bytes(), dtype=">u2").reshape(height, width, 3)
        assert (kept == rgb).all()  # the ink too


def test_img2pdf_says_nothing_in_english_on_an_officers_screen(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA101/QA102 F14: a gray JPEG carrying an RGB profile printed img2pdf's `WARNING  Ignoring non-GRAY ICC profile
    in Grayscale JPG` (the profile is of no use to PDF/A anyway; the JPEG's data are kept)."""
    import logging

    path = tmp_path / "xám.jpg"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    _page(tmp_path).save(path, quality=85, dpi=(300, 300), icc_profile=srgb)
    caplog.set_level(logging.WARNING)
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert LINES[0] in result.text
    assert "ICC profile" not in caplog.text, caplog.text


def test_a_16_bit_gray_and_alpha_png_stays_gray(tmp_path: Path) -> None:
    """QA102 F10: a 16-bit gray + alpha PNG (Pillow opens it as RGBA) was laid on white and stored as RGB — README:
    "a gray one staying gray"."""
    import numpy as np

    gray = (np.asarray(_page(tmp_path), dtype=np.uint16) * 257).astype(">u2")
    alpha = np.full(gray.shape, 65535, dtype=">u2")
    alpha[:40, :40] = 0  # a transparent corner
    pixels = np.stack([gray, alpha], axis=2)
    height, width = gray.shape
    rows = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([16, 4, 0, 0, 0])
    png = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
    png += _png_chunk(b"pHYs", (11811).to_bytes(4, "big") * 2 + b"\x01")
    png += _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b"")
    path = tmp_path / "xám 16 bit.png"
    path.write_bytes(png)
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert LINES[0] in result.text, result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        assert str(shown.ColorSpace) == "/DeviceGray", shown.ColorSpace


def test_a_palette_scan_with_a_transparent_entry_keeps_its_palette(tmp_path: Path) -> None:
    """QA101 F7: a 4-bit palette PNG whose paper colour is marked transparent was expanded to RGB to be laid on
    white: 74 % larger than OCRmyPDF's copy. Its palette is laid on white instead (that entry made white), the
    pixels' indices and bit depth kept."""
    scan = _page(tmp_path).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette = scan.getpalette() or []
    paper = max(range(len(palette) // 3), key=lambda index: sum(palette[3 * index : 3 * index + 3]))
    path = tmp_path / "bảng màu.png"
    scan.save(path, dpi=(300, 300), transparency=paper)
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert LINES[0] in result.text, result.text
    assert any("transparency" in notice for notice in result.notices), result.notices
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        assert int(shown.BitsPerComponent) == 4 and shown.ColorSpace[0] == "/Indexed", shown.ColorSpace
        kept = pikepdf.PdfImage(shown).as_pil_image()
        assert kept.mode == "P" and kept.tobytes() == scan.tobytes()  # the same indices
        laid = kept.getpalette() or []
        assert laid[3 * paper : 3 * paper + 3] == [255, 255, 255]
        assert [v for i, v in enumerate(laid[: len(palette)]) if i // 3 != paper] == [
            v for i, v in enumerate(palette) if i // 3 != paper
        ]


@pytest.mark.parametrize(
    ("orientation", "stored_turn"), [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)]
)
def test_an_uncompressed_tiff_stored_sideways_is_shown_and_read_upright(
    tmp_path: Path, orientation: int, stored_turn: Image.Transpose
) -> None:
    """QA102: Pillow decodes an uncompressed TIFF frame whose Orientation puts its rows in columns (5–8) into a
    buffer of the turned size — noise — and an uncompressed scan with Orientation 6 was archived as diagonal
    stripes (19 garbage words). Compressed (through libtiff) it was turned right; now both are."""
    page = _page(tmp_path)
    path = tmp_path / "nằm ngang.tif"
    page.transpose(stored_turn).save(path, dpi=(300, 300), tiffinfo={274: orientation})  # no compression
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert LINES[0] in result.text and result.pages[0].orientation == 0, result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        kept = pikepdf.PdfImage(shown).as_pil_image()
        assert kept.size == page.size and kept.tobytes() == page.tobytes()  # upright, its pixels


@pytest.mark.parametrize(
    ("frames", "pages"),
    [
        ("page preview", 1),  # "save with preview": the thumbnail last (QA101)
        ("preview page", 1),  # first, or between two pages (QA102: each a stamp-sized blank page)
        ("page preview page", 2),
        ("page! page!", 2),  # every page flagged, none smaller: pages (QA102: the last was dropped without a word)
    ],
)
def test_a_tiffs_reduced_resolution_preview_is_no_page(tmp_path: Path, frames: str, pages: int) -> None:
    """A frame flagged as a reduced-resolution copy (NewSubfileType bit 0) that is smaller than a page is no page,
    wherever it lies; one as large as the pages is a page, flagged or not."""
    page = _page(tmp_path)
    preview = page.resize((page.width // 10, page.height // 10))
    kinds = frames.split()
    images = [preview if kind == "preview" else page for kind in kinds]
    path = tmp_path / "xem trước.tif"
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        compression="tiff_lzw",
        dpi=(300, 300),
        tiffinfo={254: 0},
    )
    # Pillow writes the same tags for each frame: mark the previews (and "page!") as reduced-resolution copies
    data = bytearray(path.read_bytes())
    with Image.open(path) as written:
        assert isinstance(written, TiffImagePlugin.TiffImageFile)
        offsets = []
        for index in range(len(kinds)):
            written.seek(index)
            offsets.append(written._frame_pos[index])  # type: ignore[attr-defined]
    for offset, kind in zip(offsets, kinds, strict=True):
        if kind == "page":
            continue
        count = int.from_bytes(data[offset : offset + 2], "little")
        for entry in range(count):
            at = offset + 2 + entry * 12
            if int.from_bytes(data[at : at + 2], "little") == 254:
                data[at + 8 : at + 12] = (1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert [p.number for p in result.pages] == list(range(1, pages + 1)), result.pages
    assert all(p.words > 10 for p in result.pages), result.pages  # pages, no stamp-sized blank
    assert inspect_input(path).page_count == pages
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert len(pdf.pages) == pages


def test_an_opaque_alpha_channel_is_not_said_to_be_transparency(tmp_path: Path) -> None:
    """QA101 F8: an LA PNG whose alpha is 255 everywhere got "the image has transparency: laid on white", though
    nothing in it was transparent and the copy is as the input."""
    gray = _page(tmp_path)
    path = tmp_path / "opaque.png"
    Image.merge("LA", (gray, Image.new("L", gray.size, 255))).save(path, dpi=(300, 300))
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert not any("transparency" in notice for notice in result.notices), result.notices


def _filters(image: pikepdf.Stream) -> list[str]:
    """The names of an image's filters, in the order they are undone (a lone name or an array)."""
    filters = image.get("/Filter")
    return [str(f) for f in (filters if isinstance(filters, pikepdf.Array) else [filters])]


@pytest.mark.parametrize("fill_bytes", [False, True])
def test_a_jpeg_whose_icc_profile_cannot_be_opened_stays_a_jpeg(tmp_path: Path, fill_bytes: bool) -> None:
    """QA101 F10: a gray JPEG carrying an ICC profile img2pdf cannot open was decoded and stored as Flate, 2.2× the
    size. Its profile is dropped (as PDF/A requires of one it cannot use), its JPEG data kept — also with fill
    bytes (FF) before its markers, which T.81 allows and ended the segment walk (QA102)."""
    path = tmp_path / "hồ sơ icc hỏng.jpg"
    _page(tmp_path).save(path, quality=85, dpi=(300, 300), icc_profile=b"not a profile" * 40)
    if fill_bytes:
        path.write_bytes(path.read_bytes().replace(b"\xff\xe2", b"\xff\xff\xff\xe2", 1))
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert "hộ tịch trực tuyến" in result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        assert isinstance(shown, pikepdf.Stream)
        assert "/DCTDecode" in _filters(shown)
        jpeg = stored_image_bytes(shown)
    assert same_scan_data(jpeg, path.read_bytes())  # the scanner's JPEG data, as a JPEG
    assert (tmp_path / "out.pdf").stat().st_size < path.stat().st_size * 1.2


def _jpeg_strips_tiff(image: Image.Image, rows: int) -> bytes:
    """A TIFF of YCbCr 4:2:0 JPEG strips of ``rows`` rows, each strip a whole JPEG with its own tables, as some
    scanners' libtiff writes them (Pillow writes no subsampled JPEG TIFF)."""
    import struct

    strips = []
    for top in range(0, image.height, rows):
        buffer = io.BytesIO()
        image.crop((0, top, image.width, min(image.height, top + rows))).save(buffer, "JPEG", quality=80)
        strips.append(buffer.getvalue())
    data = bytearray(b"II*\x00\x00\x00\x00\x00")
    offsets = []
    for strip in strips:
        offsets.append(len(data))
        data += strip + b"\x00" * (len(strip) % 2)
    short, long, rational = 3, 4, 5
    tags: list[tuple[int, int, list[Any]]] = [
        (256, long, [image.width]),
        (257, long, [image.height]),
        (258, short, [8, 8, 8]),
        (259, short, [7]),  # JPEG
        (262, short, [6]),  # YCbCr
        (273, long, offsets),
        (277, short, [3]),
        (278, long, [rows]),
        (279, long, [len(strip) for strip in strips]),
        (282, rational, [(300, 1)]),
        (283, rational, [(300, 1)]),
        (296, short, [2]),
        (530, short, [2, 2]),
    ]
    packed = {}
    for tag, kind, values in tags:
        raw = b"".join(
            struct.pack("<II", *v) if kind == rational else struct.pack("<H" if kind == short else "<I", v)
            for v in values
        )
        packed[tag] = raw
        if len(raw) > 4:
            packed[tag] = struct.pack("<I", len(data))
            data += raw
    struct.pack_into("<I", data, 4, len(data))
    data += struct.pack("<H", len(tags))
    for tag, kind, values in tags:
        data += struct.pack("<HHI", tag, kind, len(values)) + packed[tag].ljust(4, b"\x00")
    return bytes(data + b"\x00\x00\x00\x00")


@pytest.mark.parametrize(
    "layout", ["pillow-rgb", "pillow-gray", "pillow-ycbcr", "tiffcp-ycbcr-420", "ycbcr-420-strips", "ycbcr-420-one"]
)
def test_a_jpeg_tiffs_page_is_joined_into_one_jpeg_of_its_own_data(tmp_path: Path, layout: str) -> None:
    """QA127 F4: a JPEG-coded TIFF's page was decoded and stored under Deflate, 3.5× the file (as OCRmyPDF does).
    Its strips are joined into one JPEG of the same coefficients, whose pixels are the TIFF's: all of them — but
    where colours are sampled over two rows, the rows at a seam between strips, which a decoder blends with the
    next strip's once joined (by at most SEAM_TOLERANCE)."""
    from ocr.jpegs import SEAM_TOLERANCE, tiff_frame_jpeg

    page = Image.open(scan_page(tmp_path / "trang.png")).convert("RGB")
    page.paste((200, 30, 40), (40, 40, 400, 90))  # a red stamp: colours a wrong colour transform would show
    path = tmp_path / "trang.tif"
    if layout.startswith("pillow"):
        mode = {"pillow-rgb": "RGB", "pillow-gray": "L", "pillow-ycbcr": "YCbCr"}[layout]
        page.convert(mode).save(path, compression="jpeg", dpi=(300, 300))
    elif layout.startswith("tiffcp"):
        # libtiff's own tool, as scanners' software writes them: YCbCr 4:2:0 strips, the tables in JPEGTables
        page.save(tmp_path / "plain.tif", dpi=(300, 300))
        subprocess.run(["tiffcp", "-c", "jpeg:85", "-r", "16", str(tmp_path / "plain.tif"), str(path)], check=True)
    else:
        path.write_bytes(_jpeg_strips_tiff(page, 16 if layout.endswith("strips") else page.height))
    with Image.open(path) as tiff:
        tiff.load()
        assert isinstance(tiff, TiffImagePlugin.TiffImageFile)
        assert tiff.tag_v2[259] == 7 and (len(tiff.tag_v2[273]) > 1) == (layout != "ycbcr-420-one")
        assert (347 in tiff.tag_v2) == (layout.startswith(("pillow", "tiffcp")))  # the tables apart, or in each strip
        jpeg = tiff_frame_jpeg(tiff, io.BytesIO(path.read_bytes()))
        assert jpeg is not None
        with Image.open(io.BytesIO(jpeg)) as joined:
            differ = ImageChops.difference(joined.convert(tiff.mode), tiff)
    rows_changed = {y for y in range(differ.height) if differ.crop((0, y, differ.width, y + 1)).getbbox()}
    if layout in ("ycbcr-420-strips", "tiffcp-ycbcr-420"):
        assert rows_changed and all(y % 16 in (0, 15) for y in rows_changed)
        assert int(np.asarray(differ).max()) <= SEAM_TOLERANCE
    else:
        assert not rows_changed


def test_a_jpeg_tiff_whose_strips_cannot_be_joined_is_stored_as_read() -> None:
    """Strips of 24 rows under 4:2:0 colours (MCUs 16 rows high) end in part of an MCU row: no restart interval
    can join them, and the page is left to be stored losslessly as before."""
    from ocr.jpegs import tiff_frame_jpeg

    page = Image.new("RGB", (320, 200), (240, 240, 235))
    ImageDraw.Draw(page).rectangle((20, 20, 300, 60), fill=(30, 30, 160))
    data = _jpeg_strips_tiff(page, 24)
    with Image.open(io.BytesIO(data)) as tiff:
        tiff.load()
        assert tiff_frame_jpeg(tiff, io.BytesIO(data)) is None


def test_a_jpeg_tiff_scan_keeps_its_jpeg_data_in_the_searchable_copy(tmp_path: Path) -> None:
    """End to end: the page of a JPEG TIFF is held as DCT data, its pixels the TIFF's, its words read, and the
    copy a PDF/A smaller than the TIFF (it was 3.5× larger)."""
    page = _page(tmp_path).convert("RGB")
    path = tmp_path / "hồ sơ jpeg.tif"
    page.save(path, compression="jpeg", dpi=(300, 300))
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert "hộ tịch trực tuyến" in result.text and result.pdfa == "2B"
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (shown,) = pdf.pages[0].get_images().values()
        assert isinstance(shown, pikepdf.Stream)
        assert "/DCTDecode" in _filters(shown)
        jpeg = stored_image_bytes(shown)
    with Image.open(io.BytesIO(jpeg)) as stored, Image.open(path) as scan:
        assert stored.convert("RGB").tobytes() == scan.convert("RGB").tobytes()
    assert (tmp_path / "out.pdf").stat().st_size < path.stat().st_size


def test_a_tiff_of_g4_and_jpeg_pages_keeps_each_pages_own_coding(tmp_path: Path) -> None:
    """A scanner's "auto colour" TIFF: black-and-white pages G4, colour pages JPEG. The G4 page stays G4, as
    before; the JPEG page, which img2pdf decodes, is given its own JPEG data in place of img2pdf's Deflate copy."""
    page = _page(tmp_path)
    page.convert("1").save(tmp_path / "bw.tif", compression="group4", dpi=(300, 300))
    page.convert("RGB").save(tmp_path / "colour.tif", compression="jpeg", dpi=(300, 300))
    path = tmp_path / "hồ sơ quét tự động màu.tif"
    subprocess.run(["tiffcp", str(tmp_path / "bw.tif"), str(tmp_path / "colour.tif"), str(path)], check=True)
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert result.pdfa == "2B" and result.text.count("hộ tịch trực tuyến") == 2
    with pikepdf.open(tmp_path / "out.pdf") as pdf, Image.open(path) as scan:
        for number, (page_of_pdf, coding) in enumerate(zip(pdf.pages, ["/CCITTFaxDecode", "/DCTDecode"], strict=True)):
            (shown,) = page_of_pdf.get_images().values()
            assert isinstance(shown, pikepdf.Stream)
            assert coding in _filters(shown)
            scan.seek(number)
            assert pikepdf.PdfImage(shown).as_pil_image().tobytes() == scan.tobytes()


@pytest.mark.parametrize("orientation", [2, 5, 6])
def test_a_photo_said_to_be_mirrored_is_shown_as_stored_with_a_notice(tmp_path: Path, orientation: int) -> None:
    """QA129 F3: a JPEG whose EXIF orientation mirrors it (a front camera's: 2, 4, 5, 7) cannot be shown so by
    /Rotate, and is shown as stored; that was said in the log only, and the page was read mirrored. The copy's
    notices say it; a turn (6) is shown by /Rotate, without one."""
    path = tmp_path / f"ảnh chụp {orientation}.jpg"
    _page(tmp_path).save(path, quality=85, exif=phone_exif(orientation, 300))
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    mirrored = [notice for notice in result.notices if "mirror image" in notice]
    assert len(mirrored) == (orientation != 6), result.notices
    assert mirrored in ([], [MIRRORED_NOTICE])  # as flows.pipeline looks for it, to say why a page reads badly
    if mirrored:  # shown as the image is stored (here: its words upright)
        with pikepdf.open(tmp_path / "out.pdf") as pdf:
            assert int(pdf.pages[0].obj.get("/Rotate", 0)) == 0
        assert "hộ tịch trực tuyến" in result.text


def test_a_jpeg_tiff_page_with_an_orientation_tag_leaves_its_other_pages_jpeg(tmp_path: Path) -> None:
    """QA130 F4: one page with an Orientation tag made every page of its TIFF decoded and stored under Deflate; the
    others keep their JPEG data. QA132 F5: the turned page itself was decoded too (3–4 times the size); it keeps its
    JPEG data as stored, shown upright by its page's /Rotate, its text layer over its words."""
    page = _page(tmp_path).convert("RGB")
    page.save(tmp_path / "a.tif", compression="jpeg", dpi=(300, 300))
    turned = TiffImagePlugin.ImageFileDirectory_v2()
    turned[274] = 6
    page.rotate(90, expand=True).save(tmp_path / "b.tif", compression="jpeg", dpi=(300, 300), tiffinfo=turned)
    path = tmp_path / "hồ sơ hai trang.tif"
    subprocess.run(["tiffcp", "-r", "16", str(tmp_path / "a.tif"), str(tmp_path / "b.tif"), str(path)], check=True)
    with Image.open(path) as scan:
        scan.seek(1)
        assert isinstance(scan, TiffImagePlugin.TiffImageFile) and scan.tag_v2.get(274) == 6
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    assert result.text.count("hộ tịch trực tuyến") == 2
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        codings, turns = [], []
        for shown_page in pdf.pages:
            (shown,) = shown_page.get_images().values()
            assert isinstance(shown, pikepdf.Stream)
            codings.append(_filters(shown)[-1])
            turns.append(int(shown_page.obj.get("/Rotate", 0)))
    assert codings == ["/DCTDecode", "/DCTDecode"], codings
    assert turns == [0, 90], turns
    # shown upright, as the first page: its render the first's, and its words where the first has them
    renders = [
        Image.open(
            io.BytesIO(
                subprocess.run(
                    ["pdftoppm", "-r", "50", "-f", str(n), "-l", str(n), "-gray", str(tmp_path / "out.pdf")],
                    capture_output=True,
                    check=True,
                ).stdout
            )
        )
        for n in (1, 2)
    ]
    assert renders[0].size == renders[1].size
    assert _ink_box(renders[1]) == pytest.approx(_ink_box(renders[0]), abs=2)
    boxes = []
    for n in (1, 2):
        xml = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-bbox", str(tmp_path / "out.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        boxes.append(
            [
                (m.group(5), float(m.group(1)), float(m.group(2)))
                for m in re.finditer(
                    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<', xml
                )
            ]
        )
    assert boxes[0] and [word for word, _, _ in boxes[1]] == [word for word, _, _ in boxes[0]], boxes
    assert all(abs(x1 - x0) < 3 and abs(y1 - y0) < 3 for (_, x0, y0), (_, x1, y1) in zip(*boxes, strict=True)), boxes


@pytest.mark.parametrize(
    ("fmt", "mode", "dpi"), [("BMP", "L", 200), ("BMP", "1", 300), ("GIF", "P", None), ("GIF", "1", None)]
)
def test_a_bmp_or_gif_scan_is_read_and_its_pixels_kept(tmp_path: Path, fmt: str, mode: str, dpi: int | None) -> None:
    """QA174 F4: a BMP (which states its resolution) and a GIF were refused with advice to save them as PNG, where
    OCRmyPDF reads a BMP. Both are read; their pixels embedded as decoded, losslessly (a palette kept, 1-bit as G4),
    the page sized by the BMP's resolution (a GIF states none: 300 dpi, said). A black-and-white GIF, which has no
    1-bit mode (a palette of 256 greys, two used), is G4 too (QA177 F1: Deflate, 2.3 times the size)."""
    scan = _page(tmp_path) if dpi != 200 else Image.open(scan_page(tmp_path / "200.png", dpi=200)).convert("L")
    if mode == "1":
        scan = scan.point(lambda v: 255 if v > 128 else 0).convert("1")
    elif mode == "P":
        scan = scan.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    path = tmp_path / f"bản quét.{fmt.lower()}"
    scan.save(path, format=fmt, **({"dpi": (dpi, dpi)} if dpi else {}))
    info = inspect_input(path)
    assert (info.kind, info.media_type) == (fmt.lower(), f"image/{fmt.lower()}")
    result = ocr_document(path, tmp_path / "out.pdf", workers=1)
    (page,) = result.pages
    assert page.ocr and page.quality == "good", page
    for line in LINES[:3]:
        assert line in result.text, result.text
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        width_pt = float(pdf.pages[0].mediabox[2]) - float(pdf.pages[0].mediabox[0])
        (shown,) = pdf.pages[0].get_images().values()
        assert isinstance(shown, pikepdf.Stream)
        kept = pikepdf.PdfImage(shown).as_pil_image()
    assert width_pt == pytest.approx(scan.width / (dpi or 300) * 72, abs=0.05)
    if fmt == "GIF" and mode == "1":
        with Image.open(path) as stored:
            assert stored.mode in ("L", "P")  # as a GIF holds it
    assert kept.mode == scan.mode and kept.tobytes() == scan.tobytes()  # the pixels as decoded
    if mode == "1":
        assert "/CCITTFaxDecode" in str(shown.Filter)
    if mode == "P":
        assert int(shown.BitsPerComponent) == 4 and shown.ColorSpace[0] == "/Indexed"


def test_an_animated_gif_is_refused_as_no_scan(tmp_path: Path) -> None:
    """A GIF of several frames is an animation, each frame drawn over the last: not pages. Refused, saying so."""
    frames = [_page(tmp_path).convert("P"), Image.new("P", (1750, 1100), 0)]
    path = tmp_path / "động.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=500)
    with pytest.raises(BadInputError) as caught:
        inspect_input(path)
    assert caught.value.problem == Problem.ANIMATED_IMAGE
    english, vietnamese = caught.value.english(), caught.value.vietnamese()
    assert "An animated image" in english and "(a GIF of 2 frames)" in english and "accepted" not in english
    assert "Ảnh động" in vietnamese and "(ảnh GIF gồm 2 khung hình)" in vietnamese


def _bmp(
    width: int, height: int, bits: int, rows: bytes, *, compression: int = 0, extra: bytes = b"", colours: int = 0
) -> bytes:
    """A BMP file of a BITMAPINFOHEADER (``extra``: what follows it, masks or a palette of ``colours``, 0 for as
    many as its bits can name) and pixel data ``rows``."""
    info = (
        (40).to_bytes(4, "little")
        + width.to_bytes(4, "little", signed=True)
        + height.to_bytes(4, "little", signed=True)
        + (1).to_bytes(2, "little")
        + bits.to_bytes(2, "little")
        + compression.to_bytes(4, "little")
        + len(rows).to_bytes(4, "little")
        + (11811).to_bytes(4, "little") * 2  # 300 dpi
        + colours.to_bytes(4, "little")
        + bytes(4)
    )
    offset = 14 + len(info) + len(extra)
    return (
        b"BM"
        + (offset + len(rows)).to_bytes(4, "little")
        + bytes(4)
        + offset.to_bytes(4, "little")
        + info
        + extra
        + rows
    )


def test_a_bmp_that_would_show_other_than_it_decodes_is_refused_saying_why(tmp_path: Path) -> None:
    """QA177 F2, F4–F7: a 32-bit BMP whose fourth byte varies as transparency does (text on transparent paper)
    was archived as a black page; one of compressed rows stored top-down, mirrored; one whose colour masks are
    empty, white; one whose pixels name colours beyond its palette, with other pixels than were read; a 2-bit BMP
    was "damaged … scan the paper again"; a DIB without its file header "unsupported" by its first bytes."""
    ink = np.asarray(_page(tmp_path).resize((600, 380)))
    opaque = np.where(ink < 128, 255, 0).astype(np.uint8)  # the fourth byte: opaque where the text is
    bgra = np.dstack([np.zeros_like(ink)] * 3 + [opaque])[::-1]  # black text, bottom row first
    grey16 = b"".join(bytes((v, v, v, 0)) for v in range(0, 256, 17))
    files = {
        "transparency.bmp": _bmp(600, 380, 32, bgra.tobytes()),
        "rle-top-down.bmp": _bmp(600, -380, 8, b"\x00\x01" * 10, compression=1, extra=grey16 * 16),
        "empty-masks.bmp": _bmp(600, 380, 32, bgra.tobytes(), compression=3, extra=bytes(12)),
        "beyond-palette.bmp": _bmp(600, 380, 8, np.full((380, 600), 200, np.uint8).tobytes(), extra=grey16, colours=16),
        "2-bit.bmp": _bmp(600, 380, 2, bytes(152 * 380), extra=grey16[:16]),
    }
    said = {
        "transparency.bmp": (Problem.UNSUPPORTED_SAMPLES, "fourth byte varies", "byte thứ tư thay đổi"),
        "rle-top-down.bmp": (Problem.UNSUPPORTED_SAMPLES, "stored top-down", "lưu từ trên xuống"),
        "empty-masks.bmp": (Problem.UNSUPPORTED_SAMPLES, "all empty", "đều rỗng"),
        "beyond-palette.bmp": (Problem.UNREADABLE_IMAGE, "beyond the 16 of its palette", "ngoài 16 màu"),
        "2-bit.bmp": (Problem.UNSUPPORTED_SAMPLES, "a BMP of a layout sohoa does not read", "ảnh BMP có cách lưu"),
    }
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(BadInputError) as caught:
            inspect_input(path)
        problem, english, vietnamese = said[name]
        assert caught.value.problem == problem, (name, caught.value.english())
        assert english in caught.value.english() and vietnamese in caught.value.vietnamese(), caught.value.english()
    # the same 32 bits with the fourth byte all 0 (padding) is read
    (tmp_path / "padded.bmp").write_bytes(
        _bmp(600, 380, 32, np.dstack([ink] * 3 + [np.zeros_like(ink)])[::-1].tobytes())
    )
    assert inspect_input(tmp_path / "padded.bmp").kind == "bmp"
    # a packed DIB (its info header first), as the clipboard holds one: named, with what to do
    dib = tmp_path / "clipboard.dib"
    dib.write_bytes(_bmp(600, 380, 8, bytes(600 * 380), extra=grey16 * 16)[14:])
    with pytest.raises(BadInputError) as caught:
        inspect_input(dib)
    assert caught.value.problem == Problem.UNSUPPORTED_TYPE
    assert "a DIB without the file header" in caught.value.english() and "ảnh DIB" in caught.value.vietnamese()
