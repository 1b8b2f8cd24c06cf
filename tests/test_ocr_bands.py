"""A page read in horizontal bands, one Tesseract worker per band (ocr.preprocess.band_cuts, ocr.tesseract.stacked)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, SHARED, needs_shared
from PIL import Image, ImageDraw, ImageFont

from ocr import ocr_document
from ocr.inputs import inspect_input
from ocr.pipeline import plan_pages, read_pages
from ocr.preprocess import band_cuts, crosses_columns, page_bands
from ocr.tesseract import MAX_ORDERED_BLOCKS, PageReading, Word, stacked, tables_in_rows

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
A4 = (2480, 3508)  # pixels at 300 dpi


def ruled_page(lines: list[tuple[int, int]]) -> Image.Image:
    """A white A4 page with a dark bar (a line of text, as far as ink is concerned) per (top, height)."""
    image = Image.new("L", A4, 250)
    draw = ImageDraw.Draw(image)
    for top, height in lines:
        draw.rectangle((200, top, 2280, top + height - 1), fill=20)
    return image


def paragraph(top: int, count: int, line: int = 40, gap: int = 20) -> list[tuple[int, int]]:
    return [(top + index * (line + gap), line) for index in range(count)]


def test_the_cut_is_the_middle_of_the_widest_gap_near_the_middle_of_the_page() -> None:
    # paragraphs of lines 20 px apart; between them, a 110 px gap (rows 1480-1589) and a 70 px one (1990-2059)
    lines = paragraph(300, 20) + paragraph(1590, 7) + paragraph(2060, 20)
    assert paragraph(300, 20)[-1] == (1440, 40) and paragraph(1590, 7)[-1] == (1950, 40)
    assert band_cuts(ruled_page(lines), dpi=300, bands=2) == [1535]
    # a few specks of noise in the gap do not close it
    specked = ruled_page(lines)
    for x in (300, 900, 1700):
        specked.putpixel((x, 1535), 0)
    assert band_cuts(specked, dpi=300, bands=2) == [1535]


def test_a_line_of_faint_print_is_no_gap_to_cut_in_and_a_light_rule_is() -> None:
    """QA123: a faded ribbon's line of dot-matrix print (grey 165: lighter than INK_LEVEL) between two paragraphs
    was taken for the gap between them, the page cut through its middle and the line read as ~35 scraps."""
    lines = paragraph(300, 20) + paragraph(1590, 7) + paragraph(2060, 20)  # the widest gap: rows 1480-1589
    faint = ruled_page(lines)
    ImageDraw.Draw(faint).rectangle((200, 1515, 2280, 1554), fill=165)  # a line of faint print across it
    (cut,) = band_cuts(faint, dpi=300, bands=2)
    assert not 1515 <= cut < 1555, cut
    ruled = ruled_page(lines)
    ImageDraw.Draw(ruled).rectangle((200, 1534, 2280, 1536), fill=165)  # a light rule 3 px thick: still the gap
    assert band_cuts(ruled, dpi=300, bands=2) == [1535]
    carbon = Image.new("L", A4, 250)  # a carbon copy's page, all of its print lighter than INK_LEVEL: read whole
    for top, height in lines:
        ImageDraw.Draw(carbon).rectangle((200, top, 2280, top + height - 1), fill=165)
    assert band_cuts(carbon, dpi=300, bands=2) == []


def test_a_page_is_not_cut_where_no_gap_is_near_the_middle() -> None:
    # lines packed 8 px apart (less than 1/30 inch) over the whole middle of the page: no cut, the page is read whole
    assert band_cuts(ruled_page(paragraph(500, 60, line=40, gap=8)), dpi=300, bands=2) == []
    # text only at the top and the bottom, as much of it in each: cut in the blank between them
    lines = paragraph(200, 5) + paragraph(3000, 5)
    (cut,) = band_cuts(ruled_page(lines), dpi=300, bands=2)
    assert 440 < cut < 3000


def test_the_cut_is_looked_for_around_the_middle_of_the_ink_not_of_the_paper() -> None:
    # a letter's text fills the top 60 % of the sheet: paragraph gaps of 50 px (rows 1180-1229, near the middle of
    # its ink) and of 70 px (rows 1930-1999, nearer the middle of the paper, but under 90 % of the ink)
    lines = paragraph(240, 16) + paragraph(1230, 12) + paragraph(2000, 3)
    assert lines[15] == (1140, 40) and lines[27] == (1890, 40)
    (cut,) = band_cuts(ruled_page(lines), dpi=300, bands=2)
    assert cut == 1205
    above = sum(height for top, height in lines if top < cut)
    assert above / sum(height for _, height in lines) == 16 / 31


def test_no_band_is_left_with_less_than_a_quarter_of_the_ink() -> None:
    # a header's two lines, a 140 px gap (rows 200-339: its columns ending apart), 12 lines of body 20 px apart, then
    # a list of 17 short entries down the page: the header's gap is the longest near the middle of the ink (~row
    # 690), but only 13 % of the ink lies above it
    image = ruled_page([(100, 40), (160, 40), *paragraph(340, 12)])
    draw = ImageDraw.Draw(image)
    for top, height in paragraph(1100, 17, gap=80):
        draw.rectangle((200, top, 399, top + height - 1), fill=20)
    (cut,) = band_cuts(image, dpi=300, bands=2)
    assert cut == 690  # the line gap nearest the middle of the ink (rows 680-699)


def test_a_few_lines_over_a_page_of_paper_are_not_a_band_of_their_own() -> None:
    # QA107: a header, its title and a three-line note in the top fifth of a grainy page: cut between them, the lower
    # band was a line or two over 2,000 rows of blank paper, and Tesseract read nothing of it. Cut in the paper
    # below them, as before: what is read is the text together
    lines = paragraph(120, 3) + paragraph(420, 2) + paragraph(640, 3)
    (cut,) = band_cuts(ruled_page(lines), dpi=300, bands=2)
    assert cut > 640 + 3 * 60


def column_page(columns: list[tuple[int, int]], lines: list[tuple[int, int]]) -> Image.Image:
    """A white A4 page with the same lines (top, height) drawn in each column (left, right)."""
    image = Image.new("L", A4, 250)
    draw = ImageDraw.Draw(image)
    for left, right in columns:
        for top, height in lines:
            draw.rectangle((left, top, right, top + height - 1), fill=20)
    return image


def test_a_page_in_columns_is_not_cut_across_them() -> None:
    # QA108: a gazette page's two columns, their paragraph gaps level: cut there, each band held the top or the foot
    # of both, and the left column's text went on with the right one's
    lines = paragraph(300, 20) + paragraph(1590, 7) + paragraph(2060, 20)
    two_columns = [(200, 1150), (1330, 2280)]
    assert band_cuts(column_page([(200, 2280)], lines), dpi=300, bands=2) == [1535]
    assert band_cuts(column_page(two_columns, lines), dpi=300, bands=2) == []
    # a title across both columns, a bar across the page's head, does not make them one
    titled = column_page(two_columns, lines)
    ImageDraw.Draw(titled).rectangle((200, 150, 2280, 229), fill=20)
    assert band_cuts(titled, dpi=300, bands=2) == []
    # a rule drawn down the middle of the gutter (QA109: two halves of 0.1 inch each were no gutter)
    ruled = column_page([(200, 1150), (1210, 2280)], lines)
    ImageDraw.Draw(ruled).rectangle((1179, 250, 1181, 3300), fill=20)
    assert band_cuts(ruled, dpi=300, bands=2) == []
    # two open pages of a register on one sheet: their margins are the gutter
    assert band_cuts(column_page([(150, 1100), (1400, 2330)], lines), dpi=300, bands=2) == []


def test_two_columns_under_text_across_the_page_are_not_cut_across() -> None:
    # QA109: the top 30 % of the page in lines across it, then two columns: the upper band's full-width lines inked
    # its gutter in most of its lines, no gutter was seen, and the cut between the columns' lines interleaved them
    page = column_page([(200, 2280)], paragraph(300, 16))  # its last line ends at row 1240
    columns = column_page([(200, 1150), (1330, 2280)], paragraph(1260, 30))  # a line's gap under it, no more
    page.paste(columns.crop((0, 1250, *A4)), (0, 1250))
    assert band_cuts(page, dpi=300, bands=2) == []
    # the full-width part ending where the cut falls: cut there, the bands read in order
    ending = column_page([(200, 2280)], paragraph(300, 20))
    ending.paste(column_page([(200, 1150), (1330, 2280)], paragraph(1700, 24)).crop((0, 1690, *A4)), (0, 1690))
    assert band_cuts(ending, dpi=300, bands=2) != []


def test_columns_cut_at_a_break_just_under_text_across_the_page_are_not_cut_across() -> None:
    # QA114: the text across the page ends, two lines of each column follow, then a paragraph break across both: the
    # cut there, 0.4 inch under the text across the page, has that text in the inch above it, and split the columns
    page = column_page([(200, 2280)], paragraph(300, 17))  # rows 300-1300
    columns = column_page([(200, 1150), (1330, 2280)], paragraph(1320, 2) + paragraph(1500, 30))
    page.paste(columns.crop((0, 1310, *A4)), (0, 1310))
    assert band_cuts(page, dpi=300, bands=2) == []


def test_columns_are_looked_for_in_the_whole_of_both_bands_too() -> None:
    # the left column beginning further under the cut than the upper band is high: seen in the whole lower band
    # (a first version looked at no more of it than the upper band's height)
    above, below = np.zeros((300, 850), dtype=bool), np.zeros((1000, 850), dtype=bool)  # 3 and 10 inches at 100 dpi
    for band, first in ((above, 0), (below, 500)):
        for top in range(0, band.shape[0], 20):
            band[top : top + 10, 450:800] = True  # the right column's lines
            if top >= first:
                band[top : top + 10, 50:400] = True  # the left one's, from 5 inches under the cut
    assert crosses_columns(above, below, dpi=100)


def test_a_header_side_by_side_or_a_list_of_dashes_is_no_column() -> None:
    # a decree's header — agency and motto side by side over the body, which is inked across — is cut under as before
    lines = paragraph(300, 20) + paragraph(1590, 7) + paragraph(2060, 20)
    page = column_page([(200, 2280)], lines[3:])
    for left, right in [(200, 900), (1200, 2280)]:
        for top, height in paragraph(300, 3):
            ImageDraw.Draw(page).rectangle((left, top, right, top + height - 1), fill=20)
    assert band_cuts(page, dpi=300, bands=2) == [1535]
    # a list's dashes down the margin, the text indented a third of an inch after them: one column
    listed = column_page([(200, 260), (360, 2280)], lines)
    assert band_cuts(listed, dpi=300, bands=2) == [1535]
    # two columns whose left one ends above the cut: the bands read the left column, the right one's top, its foot
    ended = column_page([(1330, 2280)], lines)
    for top, height in paragraph(300, 20):
        ImageDraw.Draw(ended).rectangle((200, top, 1150, top + height - 1), fill=20)
    assert band_cuts(ended, dpi=300, bands=2) == [1535]


def test_small_images_and_one_band_are_never_cut() -> None:
    page = ruled_page(paragraph(300, 20) + paragraph(1590, 7))
    assert band_cuts(page, dpi=300, bands=1) == []
    small = page.resize((1000, 500))  # shorter than an inch per band
    assert band_cuts(small, dpi=300, bands=2) == []


def test_three_bands_cut_near_a_third_and_two_thirds() -> None:
    lines = paragraph(100, 18) + paragraph(1250, 18) + paragraph(2400, 18)
    cuts = band_cuts(ruled_page(lines), dpi=300, bands=3)
    assert len(cuts) == 2
    assert 1120 < cuts[0] < 1250 and 2270 < cuts[1] < 2400


def test_bilevel_and_colour_pages_are_measured_as_gray() -> None:
    page = ruled_page(paragraph(300, 20) + paragraph(1590, 7) + paragraph(2060, 20))
    assert band_cuts(page.convert("1", dither=Image.Dither.NONE), dpi=300, bands=2) == [1535]
    assert band_cuts(page.convert("RGB"), dpi=300, bands=2) == [1535]


def test_stacked_bands_are_in_page_pixels_and_blocks_follow_on() -> None:
    def word(text: str, top: int, block: int) -> Word:
        return Word(text, 90.0, left=10, top=top, width=50, height=20, block=block, paragraph=1, line=1)

    upper = PageReading(width=800, height=500, words=[word("Quyết", 40, 1), word("định", 300, 2)], engine="e")
    lower = PageReading(width=800, height=700, words=[word("Điều", 10, 1), word("1.", 10, 1)], engine="e")
    page = stacked([(0, upper), (500, lower)])
    assert (page.width, page.height) == (800, 1200)
    assert [(w.text, w.top, w.block) for w in page.words] == [
        ("Quyết", 40, 1),
        ("định", 300, 2),
        ("Điều", 510, 3),
        ("1.", 510, 3),
    ]
    assert page.text() == "Quyết\n\nđịnh\n\nĐiều 1."


PARAGRAPHS = [
    [
        "ỦY BAN NHÂN DÂN XÃ HỢP TIẾN",
        "Số: 21/TB-UBND",
        "THÔNG BÁO",
        "Về việc tiếp nhận hồ sơ hộ tịch trực tuyến",
    ],
    [
        "Trung tâm Phục vụ hành chính công thông báo lịch làm việc.",
        "Công dân nộp hồ sơ đăng ký khai sinh, kết hôn, khai tử",
        "qua Cổng dịch vụ công quốc gia từ ngày 01 tháng 7.",
    ],
    [
        "Nơi nhận: Chủ tịch, các Phó Chủ tịch UBND xã;",
        "Công chức Tư pháp - Hộ tịch; Lưu: VT.",
        "CHỦ TỊCH Nguyễn Thị Hồng Nhung",
    ],
]


def notice_page(path: Path) -> Path:
    """An A4 notice at 300 dpi: three paragraphs of Vietnamese, a little paper noise."""
    image = Image.new("L", A4, 248)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 50)
    top = 300
    for lines in PARAGRAPHS:
        for line in lines:
            draw.text((220, top), line, fill=25, font=font)
            top += 90
        top += 600
    rng = random.Random(7)
    for _ in range(3000):
        image.putpixel((rng.randrange(A4[0]), rng.randrange(A4[1])), rng.randrange(150, 240))
    image.save(path, dpi=(300, 300))
    return path


def test_a_page_read_in_two_bands_reads_as_it_does_whole(tmp_path: Path) -> None:
    source = notice_page(tmp_path / "thông báo.png")
    info = inspect_input(source)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    plans, banded = read_pages(
        plan_pages(info, source, scratch, default_dpi=300, bands=2),
        scratch,
        language="vie",
        workers=2,
        tessdata_dir=None,
    )
    (plan,) = plans
    assert len(plan.bands) == 2 and plan.bands[0].top == 0
    cut = plan.bands[1].top
    # three short paragraphs 600 px apart, the page mostly paper: cut as around the middle of the paper, between
    # the second (its last line at y 1440) and the third (from y 2130)
    assert 1440 + 50 < cut < 2130
    assert list(scratch.iterdir()) == []  # the page and its bands were removed once read
    whole_pages = plan_pages(info, source, scratch, default_dpi=300, bands=1)
    _, whole = read_pages(whole_pages, scratch, language="vie", workers=2, tessdata_dir=None)
    assert whole[1].words and [w.text for w in banded[1].words] == [w.text for w in whole[1].words]
    for cut_word, whole_word in zip(banded[1].words, whole[1].words, strict=True):
        # the same place on the page, whichever band it was read in
        assert abs(cut_word.top - whole_word.top) <= 2 and abs(cut_word.left - whole_word.left) <= 2
    below = [w for w in banded[1].words if w.top > cut]
    assert below and "Nhung" in [w.text for w in below]
    assert (banded[1].width, banded[1].height) == A4


def test_a_page_in_two_columns_is_read_column_by_column(tmp_path: Path) -> None:
    """QA108: the record text (and the text layer) of a two-column page gave each column's top, then their feet."""
    filler = ["công", "dân", "được", "cấp", "bản", "sao", "trích", "lục", "hộ", "tịch", "theo", "quy", "định",
              "của", "pháp", "luật", "hiện", "hành"]  # fmt: skip
    rng = random.Random(5)

    def column(first: str, last: str) -> list[list[str]]:
        """Two paragraphs of twelve lines, the first line starting ``first`` and the last ending ``last``."""
        lines = [" ".join(rng.sample(filler, 4)) for _ in range(24)]
        lines[0], lines[-1] = f"{first} {lines[0]}", f"{lines[-1]} {last}"
        return [lines[:12], lines[12:]]

    image = Image.new("L", A4, 248)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 44)
    for left, paragraphs in ((220, column("Điều 1.", "Bình An.")), (1340, column("Điều 2.", "biên bản."))):
        top = 400
        for lines in paragraphs:
            for line in lines:
                draw.text((left, top), line, fill=25, font=font)
                top += 80
            top += 120  # the paragraph gaps of both columns level, near the middle of the ink
    image.save(tmp_path / "hai cột.png", dpi=(300, 300))
    words = ocr_document(tmp_path / "hai cột.png", tmp_path / "ra.pdf", workers=2, bands=2).text.split()
    # the left column's foot ("Bình An.") before the right column's head ("Điều 2.")
    assert "An." in words and "2." in words, words
    assert words.index("An.") < words.index("2."), words


def test_the_document_text_and_text_layer_come_from_the_bands(tmp_path: Path) -> None:
    source = notice_page(tmp_path / "thông báo.png")
    result = ocr_document(source, tmp_path / "ra.pdf", workers=2, bands=2)
    for phrase in ("hộ tịch trực tuyến", "Cổng dịch vụ công quốc gia", "Nguyễn Thị Hồng Nhung"):
        assert phrase in result.text
    assert result.pages[0].quality == "good"
    whole = ocr_document(source, tmp_path / "nguyên trang.pdf", workers=2, bands=1)
    assert whole.text.split() == result.text.split()


def test_a_cut_page_is_written_whole_only_when_it_must_be_read_whole(tmp_path: Path) -> None:
    from PIL import ImageChops

    from ocr.pipeline import _prepared, _whole_image

    for mode in ("L", "1"):
        scratch = tmp_path / mode
        scratch.mkdir()
        with Image.open(notice_page(tmp_path / "thông báo.png")) as opened:
            page = opened.convert(mode, dither=Image.Dither.NONE)  # a bilevel scan, not a dithered gray page
        plan = _prepared(page, 1, 300, scratch, bands=2)
        assert len(plan.bands) == 2 and plan.image_path is not None
        assert not plan.image_path.exists()  # only the bands were written
        with Image.open(_whole_image(plan)) as whole:  # e.g. for a page read badly, looked at again upright
            assert whole.mode == page.mode and whole.size == page.size
            assert ImageChops.difference(whole.convert("L"), page.convert("L")).getbbox() is None


def _block(text: str, left: int, top: int, block: int, width: int = 400, height: int = 30) -> list[Word]:
    words = text.split()
    step = width // len(words)
    return [
        Word(word, 90.0, left + step * i, top, step - 10, height, block=block, paragraph=1, line=top)
        for i, word in enumerate(words)
    ]


def _block_texts(reading: PageReading) -> list[str]:
    return reading.text().split("\n\n")


def test_a_block_wholly_above_another_in_its_column_is_read_first_and_columns_keep_their_order() -> None:
    """QA123 F4: on a yellowed typed page Tesseract gave its fourth line, a block of its own, before its second and
    third; the record's text had them out of order (the PDF's layer, laid by the words' places, did not)."""
    typed = PageReading(
        width=1000,
        height=600,
        words=_block("một bên phát hiện", 100, 50, 1, 600)
        + _block("do Luật này quy định", 100, 200, 2, 600)
        + _block("hoặc của thỏa thuận", 100, 100, 3, 600)
        + _block("tụng trọng tài và", 110, 150, 3, 600),
        engine="e",
    )
    assert typed.text() == "một bên phát hiện\n\nhoặc của thỏa thuận\ntụng trọng tài và\n\ndo Luật này quy định"
    # a header's two halves, the right a little higher; two columns, each of two blocks: Tesseract's order stays
    header = _block("ỦY BAN NHÂN DÂN", 50, 50, 1, 350) + _block("CỘNG HÒA XÃ HỘI", 550, 40, 2, 400)
    columns = (
        _block("cột một trên", 50, 200, 3, 400)
        + _block("cột một dưới", 50, 400, 4, 400)
        + _block("cột hai trên", 550, 200, 5, 400)
        + _block("cột hai dưới", 550, 400, 6, 400)
    )
    laid_out = PageReading(width=1000, height=600, words=header + columns, engine="e")
    assert _block_texts(laid_out) == [
        "ỦY BAN NHÂN DÂN",
        "CỘNG HÒA XÃ HỘI",
        "cột một trên",
        "cột một dưới",
        "cột hai trên",
        "cột hai dưới",
    ]


def test_two_specks_each_within_the_others_slack_start_no_reordering() -> None:
    """QA125 F1: a dot and a tick stacked in a column's gap were each "above" the other; that pair alone sent the
    page through the re-ordering, which put the next column between this one's paragraphs. Tesseract's order was
    right and stays."""
    words = (
        _block("Tiêu đề", 50, 50, 1, 900)
        + _block("cột trái đoạn một", 50, 200, 2)
        + _block(".", 100, 300, 3, 8, 8)
        + _block("'", 102, 304, 4, 8, 8)
        + _block("cột trái đoạn hai", 50, 400, 5)
        + _block("cột phải đoạn một", 550, 200, 6)
        + _block("cột phải đoạn hai", 550, 400, 7)
    )
    reading = PageReading(width=1000, height=600, words=words, engine="e")
    assert _block_texts(reading) == [
        "Tiêu đề",
        "cột trái đoạn một",
        ".",
        "'",
        "cột trái đoạn hai",
        "cột phải đoạn một",
        "cột phải đoạn hai",
    ]


def test_a_column_whose_top_block_came_late_is_read_before_the_next_column() -> None:
    """QA125 F2: Tesseract gave a column's top block after the next column; it comes where its column was given,
    and the next column stays after (it came first: the blocks with none above them were taken by their own place
    in Tesseract's order)."""
    words = (
        _block("trái hai", 50, 300, 1)
        + _block("trái ba", 50, 400, 2)
        + _block("phải một", 550, 200, 3)
        + _block("phải hai", 550, 300, 4)
        + _block("trái một", 50, 200, 5)
    )
    reading = PageReading(width=1000, height=600, words=words, engine="e")
    assert _block_texts(reading) == ["trái một", "trái hai", "trái ba", "phải một", "phải hai"]
    # Tesseract's own test page 8071_093.3B, its blocks as read: four columns, then a title across the last three
    # under them, given after the third column, and a byline and a photo credit under the title, given before it.
    # A block moved just before the first block it lies above took the title before the byline but left the third
    # column, above the title, after the credit (the bench's CER 5.89 % -> 27.04 %)
    magazine = [
        ("cột một", 178, 158, 801, 753),
        ("cột hai", 851, 162, 1474, 1478),
        ("cột hai tiếp", 912, 1692, 1375, 1811),
        ("tác giả", 914, 2012, 1384, 2041),
        ("ảnh", 913, 2098, 1344, 2115),
        ("cột ba", 1743, 167, 2378, 1800),
        ("tiêu đề", 913, 1857, 2845, 1988),
        ("cột bốn", 2415, 172, 3052, 1814),
    ]
    words = [
        w
        for n, (text, left, top, right, bottom) in enumerate(magazine, start=1)
        for w in _block(text, left, top, n, right - left, bottom - top)
    ]
    reading = PageReading(width=3200, height=2200, words=words, engine="e")
    assert _block_texts(reading) == [
        "cột một",
        "cột hai",
        "cột hai tiếp",
        "cột ba",
        "cột bốn",
        "tiêu đề",
        "tác giả",
        "ảnh",
    ]


def test_a_page_of_too_many_blocks_keeps_tesseracts_order() -> None:
    """QA125 F3: every pair of blocks is weighed (their square: 4,000 blocks took 5.6 s and 0.4 GB); a page of more
    than MAX_ORDERED_BLOCKS (a map's labels) keeps Tesseract's order, one of fewer is put in order."""
    count = MAX_ORDERED_BLOCKS + 1
    reversed_column = [w for n in range(count) for w in _block(f"số{n}", 50, 20 * (count - n), n + 1, 100, 10)]
    many = PageReading(width=1000, height=20 * count + 40, words=reversed_column, engine="e")
    assert _block_texts(many)[:2] == ["số0", "số1"]  # as given: from the foot of the page up
    fewer = PageReading(width=1000, height=20 * count + 40, words=reversed_column[: 2 * 10], engine="e")
    assert _block_texts(fewer)[:2] == ["số19", "số18"]
    # nor are tables looked for among them (1,900 one-line blocks took 10 s): a table beside a map's labels
    table = [w for column in range(3) for w in _column([f"Ô{n}" for n in range(5)], 50 + 400 * column, 0, column + 1)]
    assert tables_in_rows(table) is not table
    labels = [w for n in range(count) for w in _block(f"Số{n}", 1400, 20 * n, n + 4, 100, 10)]
    assert tables_in_rows(table + labels) == table + labels


def _column(lines: list[str], left: int, top: int, block: int, width: int = 300, pitch: int = 60) -> list[Word]:
    """A block of one line per entry of ``lines``, ``pitch`` apart."""
    return [word for row, text in enumerate(lines) for word in _block(text, left, top + row * pitch, block, width)]


def test_an_unruled_tables_columns_are_read_row_by_row_under_its_title() -> None:
    """QA125 F4: an unruled payment list came from Tesseract one block per column, read down each column ("Họ và
    tên Đặng Văn Hải Bùi Thị Hoa …"): a row's cells were lines apart in the record text, and a search for a phrase
    across them found nothing. Cells Tesseract gave blocks of their own (the STT header before the title, the last
    row) join their rows."""
    page = PageReading(
        width=1600,
        height=900,
        words=_block("STT", 100, 200, 1, 60)
        + _block("DANH SÁCH CHI TRẢ TRỢ CẤP", 300, 50, 2, 900)
        + _column(["Họ và tên", "Đặng Văn Hải", "Bùi Thị Hoa", "Hồ Văn Hùng"], 200, 200, 3)
        + _column(["Đối tượng", "Người cao tuổi", "Khuyết tật nặng", "Hộ nghèo"], 600, 200, 4)
        + _column(["Số tiền", "540.000", "810.000", "360.000"], 1000, 200, 5, 200)
        + _block("Tạ Thị Mận", 200, 440, 6, 300)
        + _block("Trẻ mồ côi", 600, 440, 7, 300)
        + _block("720.000", 1000, 440, 8, 200),
        engine="e",
    )
    assert page.text() == (
        "DANH SÁCH CHI TRẢ TRỢ CẤP\n\n"
        "STT Họ và tên Đối tượng Số tiền\n"
        "Đặng Văn Hải Người cao tuổi 540.000\n"
        "Bùi Thị Hoa Khuyết tật nặng 810.000\n"
        "Hồ Văn Hùng Hộ nghèo 360.000\n"
        "Tạ Thị Mận Trẻ mồ côi 720.000"
    ), page.text()


def test_a_forms_labels_are_read_each_with_its_entry() -> None:
    """QA125 F4: a birth registration's labels came as one block and the entries as another: "Nơi sinh:" was lines
    away from "Trạm Y tế xã Hòa Bình"."""
    labels = ["Họ, chữ đệm, tên:", "Ngày sinh:", "Giới tính:", "Nơi sinh:"]
    entries = ["Trần Gia Bảo", "14/07/2025", "Nam"]
    page = PageReading(
        width=1600,
        height=900,
        words=_block("TỜ KHAI ĐĂNG KÝ KHAI SINH", 300, 50, 1, 800)
        + _column(labels, 100, 200, 2, 400)
        + _column(entries, 600, 200, 3, 400)
        + _block("Trạm Y tế xã Hòa Bình", 600, 380, 4, 500),
        engine="e",
    )
    assert page.text().split("\n\n")[1].splitlines() == [
        "Họ, chữ đệm, tên: Trần Gia Bảo",
        "Ngày sinh: 14/07/2025",
        "Giới tính: Nam",
        "Nơi sinh: Trạm Y tế xã Hòa Bình",
    ], page.text()


def test_columns_of_prose_and_a_headers_halves_that_share_rows_keep_their_order() -> None:
    """Lines of prose in columns side by side share rows as a table's do, as do the two halves of a Decree 30
    header: they are read block by block, as before."""
    prose = "các cơ quan tổ chức cá nhân có liên quan chịu trách nhiệm thi hành"
    three = _column([prose] * 4, 50, 100, 1, 450) + _column([prose] * 4, 550, 100, 2, 450)
    three += _column([prose] * 4, 1050, 100, 3, 450)
    page = PageReading(width=1600, height=900, words=three, engine="e")
    assert page.text() == "\n\n".join(["\n".join([prose] * 4)] * 3)
    header = _column(["ỦY BAN NHÂN DÂN", "XÃ HÒA BÌNH", "Số: 15/QĐ-UBND"], 50, 50, 1, 400)
    header += _column(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA", "Độc lập - Tự do", "Hòa Bình, ngày 19"], 600, 50, 2, 600)
    page = PageReading(width=1600, height=900, words=header, engine="e")
    assert page.text().split("\n\n") == [
        "ỦY BAN NHÂN DÂN\nXÃ HÒA BÌNH\nSố: 15/QĐ-UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA\nĐộc lập - Tự do\nHòa Bình, ngày 19",
    ]


def _rows_table(rows: list[list[str]]) -> list[Word]:
    """A table of ``rows``, one block per column (as Tesseract gives an unruled one), 60 pixels a row."""
    lefts = (100, 500, 800, 1100)
    return [
        word
        for column, left in enumerate(lefts[: len(rows[0])])
        for word in _column([row[column] for row in rows], left, 200, column + 1, 280 if column < 3 else 500)
    ]


def test_a_tables_long_cells_are_in_its_rows_and_a_paragraph_beside_it_is_not() -> None:
    """QA128: a fourth column of addresses (five words a cell) was left out of a table of four (a union-find that
    lost one of four columns, F1; a cell's block of more than four words not taken, F3); a paragraph beside a table,
    whose lines share its rows, is no column of it (F6)."""
    rows = [["Họ và tên", "Năm sinh", "Số tiền", "Địa chỉ thường trú"]] + [
        [name, str(1950 + n), "540.000", f"Thôn {place}, xã Hòa Bình"]
        for n, (name, place) in enumerate(
            [("Nguyễn Văn An", "Đông"), ("Trần Thị Bích", "Tây"), ("Lê Văn Cường", "Nam")]
        )
    ]
    page = PageReading(width=1700, height=900, words=_rows_table(rows), engine="e")
    assert page.text().splitlines() == [" ".join(row) for row in rows], page.text()
    paragraph = ["Ủy ban nhân dân xã đề nghị các", "hộ gia đình có tên trong danh", "sách đến nhận tiền hỗ trợ tại"]
    beside = _rows_table([row[:3] for row in rows]) + _column(paragraph, 1100, 260, 9, 500)
    page = PageReading(width=1700, height=900, words=beside, engine="e")
    assert page.text().split("\n\n") == ["\n".join(" ".join(row[:3]) for row in rows), "\n".join(paragraph)]


def test_rows_that_drift_across_the_page_are_kept_or_the_table_is_read_as_before() -> None:
    """QA128 F2: a phone's photo of a list in perspective, its rows lower to the right: a payee's cells came on the
    line before the name. Rows are lines whose middles are close, chained cell to cell; where a row would take two
    lines of one column, the table is read column by column, as before."""
    rows = [
        ["Họ và tên", "Thôn", "Số tiền"],
        ["Nguyễn Văn An", "Thôn Đông", "540.000"],
        ["Trần Thị Bích", "Thôn Tây", "810.000"],
    ]
    drifting = [
        word
        for column, left in enumerate((100, 500, 800))
        for n, row in enumerate(rows)
        for word in _block(row[column], left, 200 + 60 * n + 12 * column, column + 1, 280)
    ]
    page = PageReading(width=1700, height=900, words=drifting, engine="e")
    assert page.text().splitlines() == [" ".join(row) for row in rows], page.text()
    # five columns, each 14 pixels lower than the one before: the fifth's first line is as close to the first's
    # second row as to its own row's fourth cell, and one row would hold two of the first column's lines
    sloped = [
        word
        for column in range(5)
        for n in range(3)
        for word in _block(f"Ô{column}{n}", 100 + 250 * column, 200 + 60 * n + 14 * column, column + 1, 200)
    ]
    assert tables_in_rows(sloped) is sloped
    four = sloped[: 4 * 3]  # four of them: a table, each row one line
    assert PageReading(width=1700, height=900, words=four, engine="e").text().splitlines() == [
        " ".join(f"Ô{column}{n}" for column in range(4)) for n in range(3)
    ]


def test_a_closings_recipients_are_no_labels_when_a_semicolon_is_read_as_a_colon() -> None:
    """QA128 F5: "- Như trên:" (its ";" read as ":") made the recipients a form's labels, and the signer's title
    lines their entries: "Nơi nhận: TM. ỦY BAN NHÂN DÂN", the name cut off from the title."""
    closing = _column(["Nơi nhận:", "- Như trên:", "- Lưu: VT."], 100, 200, 1, 400)
    closing += _column(["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], 800, 200, 2, 500)
    assert tables_in_rows(closing) is closing


def _read_order(largest_first: bool) -> list[str]:
    """The order one worker of a ReadQueue runs reads submitted while it is busy: a, then b (the largest), then c."""
    import threading

    from ocr.reads import ReadQueue

    busy, order = threading.Event(), []
    with ReadQueue(1) as reads:
        reads.submit(0.0, busy.wait, 5)
        for name, weight in (("a", 1.0), ("b", 3.0), ("c", 2.0)):
            reads.submit(weight, order.append, name)
        if largest_first:
            reads.all_planned()
        busy.set()
    return order


def test_reads_go_in_order_while_pages_are_planned_then_the_largest_first() -> None:
    """While a document's pages are still being planned its reads go in order (the early pages free their place);
    once all are, the largest read waiting goes first, so that no core waits at the end for a large band taken
    last (a three-page scan's last second)."""
    assert _read_order(largest_first=False) == ["a", "b", "c"]
    assert _read_order(largest_first=True) == ["b", "c", "a"]


def test_a_read_that_fails_hands_its_error_to_whoever_waits_for_it() -> None:

    from ocr.reads import ReadQueue

    def fails() -> None:
        raise ValueError("Tesseract could not read it")

    with ReadQueue(2) as reads:
        failed, fine = reads.submit(1.0, fails), reads.submit(1.0, len, "trang")
        with pytest.raises(ValueError, match="could not read"):
            failed.result(5)
        assert fine.result(5) == 5


def test_a_bands_weight_is_its_ink() -> None:
    """A band full of print weighs more than one of paper with a line on it, which weighs more than blank paper."""
    from PIL import ImageDraw

    from ocr.reads import ink_weight

    blank = Image.new("L", (800, 400), 255)
    line, full = blank.copy(), blank.copy()
    ImageDraw.Draw(line).rectangle((50, 190, 750, 210), fill=0)
    ImageDraw.Draw(full).rectangle((50, 50, 750, 350), fill=0)
    assert ink_weight(blank) == 0
    assert 0 < ink_weight(line) < ink_weight(full)
    assert ink_weight(full.convert("1")) == ink_weight(full)


def test_four_bands_on_a_page_tall_enough_and_two_on_a_short_one() -> None:
    """An A4 page of five paragraphs is cut three times for four bands, at its paragraph gaps, in order; a
    landscape A5 (5 inches of print) no more than once: more than two bands only where each is 2 inches tall."""
    lines = [line for top in (250, 900, 1550, 2200, 2850) for line in paragraph(top, 9)]
    cuts = band_cuts(ruled_page(lines), dpi=300, bands=4)
    assert len(cuts) == 3 and cuts == sorted(cuts), cuts
    gaps = [(top + 9 * 60 - 20, top + 650) for top in (250, 900, 1550, 2200)]  # after each paragraph's last line
    assert all(any(low <= cut <= high for low, high in gaps) for cut in cuts), (cuts, gaps)
    short = Image.new("L", (2480, 1500), 250)
    draw = ImageDraw.Draw(short)
    for top, height in paragraph(100, 10) + paragraph(800, 10):
        draw.rectangle((200, top, 2280, top + height - 1), fill=20)
    assert len(band_cuts(short, dpi=300, bands=4)) <= 1
    assert len(band_cuts(short, dpi=300, bands=2)) == 1


def test_cuts_below_a_block_of_solid_ink_are_in_order_and_once_each() -> None:
    """QA139 F1: with 3 or 4 bands, an ID card's photocopy (two grey cards over a few lines of certification) was
    cut twice at one row, [924, 924, 2652]: the first cut, finding no gap where its share of the ink lay (inside
    the cards), fell back to one near a quarter of the height — the gap a later cut had found by the ink — and
    the empty band between them ended `sohoa ocr` with "cannot write empty image" (process: the scan
    quarantined)."""
    for lines in (6, 10):
        image = Image.new("L", A4, 255)
        draw = ImageDraw.Draw(image)
        for top in (240, 969):  # two cards 2.13 inches tall, grey 90
            draw.rectangle((300, top, 1311, top + 639), fill=90)
        for top in [1788, *range(1893, 1893 + 75 * lines, 75)]:  # a title, then lines of 18-pixel "letters"
            for left in range(300, 2200, 32):
                draw.rectangle((left, top + 8, left + 18, top + 42), fill=0)
        for bands in (2, 3, 4):
            cuts = band_cuts(image, dpi=300, bands=bands)
            assert cuts == sorted(set(cuts)) and all(0 < cut < A4[1] for cut in cuts), (lines, bands, cuts)


@needs_shared
def test_with_more_bands_no_cut_left_crosses_the_columns_of_the_bands_it_makes() -> None:
    """QA139 F3: each cut was judged against its neighbours before any was dropped, so with 4 bands a cut kept
    beside one dropped for its columns could cut the same columns in the larger band left: ScribeOCR's
    multicol_01, read whole in 2 bands, was cut. Now the cuts are judged again till none is dropped."""
    from ocr.preprocess import INK_LEVEL

    folder = SHARED / "corpora" / "ocr" / "scribeocr-benchmark" / "img"
    for name in ("multicol_01", "multicol_04", "multicol_06", "table_11", "chart_01"):
        image = Image.open(folder / f"{name}.png").convert("L")
        dark = np.asarray(image) < INK_LEVEL
        for bands in (2, 3, 4):
            edges = [0, *band_cuts(image, dpi=300, bands=bands), image.height]
            for above, cut, below in zip(edges, edges[1:], edges[2:], strict=False):
                assert not crosses_columns(dark[above:cut], dark[cut:below], 300), (name, bands, edges)
    assert band_cuts(Image.open(folder / "multicol_01.png").convert("L"), dpi=300, bands=4) == []


NOTICE = [
    "GIẤY CHỨNG NHẬN",
    "Họ, chữ đệm, tên: PHẠM THỊ KIM LOAN",
    "Ngày, tháng, năm sinh: 21/07/1988",
    "Nơi cư trú: Ấp Phú Hòa, xã Mỹ An, tỉnh Đồng Tháp",
    "Đã hoàn thành lớp bồi dưỡng nghiệp vụ hộ tịch năm 2025",
]


def _text_over(ground: Image.Image) -> Image.Image:
    draw = ImageDraw.Draw(ground)
    font = ImageFont.truetype(FONT, 54)
    for index, line in enumerate(NOTICE):
        draw.text((250, 400 + index * 100), line, fill=(20, 20, 20), font=font)
    return ground


def grainy_letter() -> Image.Image:
    """The same lines on white paper with a scanner's light grain (σ 3), stored losslessly."""
    grain = np.random.default_rng(5).normal(0, 3, (A4[1], A4[0]))
    paper = Image.fromarray(np.clip(255 + grain, 0, 255).astype(np.uint8)).convert("RGB")
    return _text_over(paper).convert("L")


def test_a_band_that_holds_none_of_the_pages_print_is_marked_paper() -> None:
    lines = paragraph(300, 12)  # a notice in the top quarter: cut by the height under it, twice
    cut = page_bands(ruled_page(lines), dpi=300, bands=3)
    assert len(cut.cuts) == 2 and cut.paper == [False, True, True]
    whole = page_bands(ruled_page(paragraph(300, 20) + paragraph(1590, 7) + paragraph(2060, 20)), dpi=300, bands=2)
    assert whole.cuts == [1535] and whole.paper == [False, False]


def test_a_band_of_grainy_paper_under_the_text_adds_no_words(tmp_path: Path) -> None:
    """QA174: a short letter on grainy white paper, stored losslessly: cut by the height under its text, the bands of
    paper alone were read as invented words ("c An `. j.. Ti mã Tân", "n, lun sỉ Ni"), and the page stayed `good`.
    Such a band's reading of low quality is dropped; the page read whole has none of it."""
    scan = tmp_path / "grainy.png"
    grainy_letter().save(scan, dpi=(300, 300))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2, bands=3)
    (page,) = result.pages
    assert page.quality == "good", page
    assert "PHẠM THỊ KIM LOAN" in result.text and "Đồng Tháp" in result.text
    assert page.words <= len(" ".join(NOTICE).split()) + 2, result.text


def test_a_certificates_guilloche_ground_is_not_read_as_text(tmp_path: Path) -> None:
    """QA174: a certificate in a light-blue guilloche frame (200 dpi colour JPEG): the frame's bands under the
    text were read as lines of junk ("//20014945////200149465///…"), 134 "words" for 54, `low`."""
    result = ocr_document(FIXTURES / "guilloche-frame-200dpi.pdf", tmp_path / "out.pdf", workers=2)
    (page,) = result.pages
    assert page.quality == "good", page
    assert "PHẠM THỊ KIM LOAN" in result.text and "087188003456" in result.text
    assert page.words <= 56 and "///" not in result.text, result.text
