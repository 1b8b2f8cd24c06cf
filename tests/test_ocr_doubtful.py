"""Print read only in doubt (ocr.quality.doubtful_print): a form whose handwritten entries Tesseract reads as junk
beside its printed labels is `low`, not `good` (QA122 F1)."""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from classify.review import reason_in_vietnamese
from ocr import ocr_document
from ocr.quality import GOOD, LOW, MAX_DOUBTFUL_PRINT, doubtful_print, low_quality_reason, page_quality
from tests.test_ocr_unread import FONT, LINES, PAPER, _ink_of, letter_page

EVERY_LINE = [(110, 140 + 50 * index, 1000, 40) for index in range(20)]  # letter_page's lines, at 150 dpi


def test_print_covered_only_by_words_read_in_doubt_is_its_share_and_a_doubtful_word_among_read_ones_is_not() -> None:
    ink = _ink_of(letter_page(), 150)
    assert doubtful_print(ink, [(box, 95.0) for box in EVERY_LINE], 150) == 0.0
    # the lower half read as junk: half its print read in doubt
    half = doubtful_print(ink, [(box, 95.0 if index < 10 else 30.0) for index, box in enumerate(EVERY_LINE)], 150)
    assert half is not None and 0.4 < half < 0.6
    # print no word covers is unread (unread_print), not read in doubt
    assert doubtful_print(ink, [(box, 95.0) for box in EVERY_LINE[:10]], 150) == 0.0
    # a word read in doubt in each line, the rest of the line read well (a typed page's misread words): none
    in_lines = [((110, top, 700, height), 95.0) for (_, top, _, height) in EVERY_LINE]
    in_lines += [((820, top, 290, height), 30.0) for (_, top, _, height) in EVERY_LINE]
    assert doubtful_print(ink, in_lines, 150) == 0.0
    # too little print to weigh
    assert doubtful_print(_ink_of(letter_page(faint=PAPER, dark_lines=2), 150), [], 150) is None


def test_a_signature_beside_a_line_read_well_is_not_print_read_in_doubt() -> None:
    """QA124 F2: a payment list signed on every row ("Ký nhận") was `low`, each signature read as junk under 60
    beside its row's name and figures read well. A mark read in doubt beside a line whose words read at 85 or more
    are half as wide again is no entry lost; beside words read less well, it is."""
    page = letter_page()
    draw = ImageDraw.Draw(page)
    rng = random.Random(124)
    for index in range(20):
        _scribbled_word(draw, 960, 175 + 50 * index, 6, rng, ink=0)
    ink = _ink_of(page, 150)
    signatures = [((950, top, 220, height), 30.0) for (_, top, _, height) in EVERY_LINE]
    signed = doubtful_print(
        ink, [((110, top, 830, height), 95.0) for (_, top, _, height) in EVERY_LINE] + signatures, 150
    )
    assert signed is not None and signed <= MAX_DOUBTFUL_PRINT
    unsure = doubtful_print(
        ink, [((110, top, 830, height), 70.0) for (_, top, _, height) in EVERY_LINE] + signatures, 150
    )
    assert unsure is not None and unsure > MAX_DOUBTFUL_PRINT


def test_print_read_in_doubt_makes_a_page_low_and_says_so() -> None:
    text = " ".join(LINES)
    assert page_quality(92.0, text, 0.0, doubtful=MAX_DOUBTFUL_PRINT)[0] == GOOD
    assert page_quality(92.0, text, 0.0, doubtful=0.3)[0] == LOW
    reason = low_quality_reason(1, 74.5, 0.86, 0.0, doubtful=0.3)
    assert reason == (
        "page 1: low OCR quality (print read in doubt 30% > 12% (handwriting, or print too poor to read): check it "
        "against the paper)"
    )
    assert reason_in_vietnamese(reason) == (
        "trang 1: chất lượng nhận dạng chữ thấp (chữ đọc không chắc 30% > 12% (chữ viết tay, hoặc chữ in quá kém): "
        "hãy đối chiếu với bản giấy)"
    )


def test_a_mirrored_image_s_low_page_is_said_to_be_mirrored_not_handwriting() -> None:
    """QA132 F7: a photo stored mirrored (its EXIF orientation) is read so, and its page's review reason guessed at
    "handwriting, or print too poor to read": check it against the paper. It now names the mirror and what to
    do, in both languages; no word read at all, too."""
    reason = low_quality_reason(1, 41.0, 0.2, 0.4, doubtful=0.5, mirrored=True)
    assert reason == (
        "page 1: low OCR quality (the image is stored mirrored (its EXIF orientation says so), its text backwards: "
        "photograph or scan it again; OCR confidence 41 < 70; Vietnamese words 20% < 75%; print not read 40% > 25%; "
        "print read in doubt 50% > 12%)"
    )
    assert "handwriting" not in reason and "viết tay" not in reason_in_vietnamese(reason)
    assert reason_in_vietnamese(reason).startswith(
        "trang 1: chất lượng nhận dạng chữ thấp (ảnh được lưu lật gương (theo hướng EXIF của ảnh), chữ bị ngược: hãy "
        "chụp hoặc quét lại; độ tin cậy OCR 41 < 70"
    )
    unread = low_quality_reason(2, None, None, mirrored=True)
    assert reason_in_vietnamese(unread) == (
        "trang 2: không đọc được chữ nào (ảnh được lưu lật gương (theo hướng EXIF của ảnh), chữ bị ngược: hãy chụp "
        "hoặc quét lại)"
    )


def test_sohoa_ocr_names_a_page_with_its_print_read_in_doubt() -> None:
    from flows.cli import _page_quality_said
    from sohoa.record import PageOcr

    page = PageOcr(number=1, ocr=True, confidence=74.46, quality=LOW, lexicon_share=0.86, doubtful_print=0.3)
    assert _page_quality_said(page) == (
        "trang / page 1: chất lượng thấp / low quality (độ tin cậy / confidence 74.5; chữ đọc không chắc / print "
        "read in doubt 30% (chữ viết tay, hoặc chữ in quá kém / handwriting, or print too poor to read): hãy đối "
        "chiếu với bản giấy / check it against the paper)"
    )


LABELS = [
    "Họ, chữ đệm, tên người được khai sinh:",
    "Ngày, tháng, năm sinh:",
    "Nơi sinh:",
    "Dân tộc:",
    "Quốc tịch:",
    "Họ, chữ đệm, tên người mẹ:",
    "Năm sinh của mẹ:",
    "Nơi cư trú của mẹ:",
    "Họ, chữ đệm, tên người cha:",
    "Năm sinh của cha:",
    "Nơi cư trú của cha:",
    "Họ, chữ đệm, tên người đi khai sinh:",
    "Giấy tờ tùy thân của người đi khai:",
    "Quan hệ với người được khai sinh:",
]
PLEDGE = [
    "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật,",
    "được sự thỏa thuận nhất trí của các bên liên quan theo quy định pháp luật.",
    "Tôi chịu hoàn toàn trách nhiệm trước pháp luật về nội dung cam đoan của mình.",
    "Làm tại: xã Đông Xuyên, ngày 12 tháng 3 năm 2025",
]
DPI = 200


def _scribbled_word(
    draw: ImageDraw.ImageDraw,
    left: float,
    base: float,
    letters: int,
    rng: random.Random,
    ink: tuple[int, int, int] | int = (30, 50, 160),
) -> float:
    """A word no one can read, in blue ballpoint: one slanted loop per letter (a prolate cycloid), some tall, with
    a tick over a few for a tone mark; where it ends."""
    points = []
    x = left
    for _ in range(letters):
        height = (34 if rng.random() < 0.3 else 18) * rng.uniform(0.85, 1.15)
        step = rng.uniform(14, 20)
        for k in range(13):
            t = 2 * math.pi * k / 12
            y = base - height * (1 - math.cos(t)) / 2
            points.append((x + step * t / (2 * math.pi) - 0.45 * step * math.sin(t) + 0.3 * (base - y), y))
        if rng.random() < 0.3:
            draw.line((x + step / 2, base - height - 10, x + step / 2 + 9, base - height - 18), fill=ink, width=3)
        x += step
    draw.line(points, fill=ink, width=3, joint="curve")
    return x


def hand_filled_form(entries: bool) -> Image.Image:
    """A civil-status form at DPI: its printed labels, and after each — when ``entries`` — three to five words written
    in a hand no one can read."""
    page = Image.new("RGB", (1654, 2339), (250, 250, 248))
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 36)
    for top, line in ((80, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), (130, "Độc lập - Tự do - Hạnh phúc")):
        draw.text((827 - draw.textlength(line, font=font) / 2, top), line, font=font, fill=(0, 0, 0))
    draw.text((560, 230), "TỜ KHAI ĐĂNG KÝ KHAI SINH", font=font, fill=(0, 0, 0))
    rng = random.Random(122)
    for index, line in enumerate(PLEDGE):
        draw.text((150, 1950 + 55 * index), line, font=font, fill=(0, 0, 0))
    for index, label in enumerate(LABELS):
        top = 330 + 115 * index
        draw.text((150, top), label, font=font, fill=(0, 0, 0))
        if entries:
            left = 150 + draw.textlength(label, font=font) + 30
            for _ in range(rng.randint(3, 5)):
                left = _scribbled_word(
                    draw,
                    left,
                    top + 30,
                    rng.randint(3, 6),
                    rng,
                ) + rng.uniform(24, 36)
    return page


def test_a_form_whose_handwriting_is_read_as_junk_is_low_and_the_form_blank_is_good(tmp_path: Path) -> None:
    """QA122 F1: the printed labels, read at 90-97, carried the page's mean confidence over the bar, and the junk
    read over the entries covered their rows: a form whose every name and date was lost was `good`."""
    filled, blank = tmp_path / "tờ khai viết tay.png", tmp_path / "tờ khai trống.png"
    hand_filled_form(entries=True).save(filled, dpi=(DPI, DPI))
    hand_filled_form(entries=False).save(blank, dpi=(DPI, DPI))
    page = ocr_document(filled, tmp_path / "filled.pdf", workers=2).pages[0]
    assert page.doubtful_print is not None and page.doubtful_print > MAX_DOUBTFUL_PRINT
    assert page.quality == LOW
    assert page.confidence is not None and page.confidence > 70  # the confidence alone would have called it good
    page = ocr_document(blank, tmp_path / "blank.pdf", workers=2).pages[0]
    assert page.quality == GOOD and page.doubtful_print == 0.0
