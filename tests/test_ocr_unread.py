"""Print the reading left out (ocr.quality.page_ink, print_rows, unread_print) and faint print read again darkened
(ocr.pipeline._read_again), or with a shadow over its paper evened out."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from classify.review import reason_in_vietnamese
from ocr import ocr_document
from ocr.quality import (
    BLANK,
    FAINT_PAGE_PRINT_INCH2,
    FAINTER_CONTRAST,
    GOOD,
    LOW,
    MAX_UNREAD_PRINT,
    MONOSPACE_GAP_INCH,
    UNREAD_DPI,
    faint_line_rows,
    faint_page,
    faint_print_darkened,
    low_quality_reason,
    maybe_in_shadow,
    page_ink,
    page_overview,
    page_quality,
    paper_seen,
    patterned,
    print_depth,
    print_inches,
    print_rows,
    reads_as_show_through,
    shadow_evened,
    tint_evened,
    unread_lines,
    unread_print,
    words_quality,
)
from ocr.tesseract import PageReading, Word, surer_lines_kept
from tests.conftest import FIXTURES

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
LINES = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014 và các văn bản hướng dẫn;",
    "Xét đề nghị của công chức Tư pháp - Hộ tịch xã về việc cải chính hộ tịch",
    "cho ông Nguyễn Văn Thưởng, sinh năm 1968, thường trú tại thôn Đông Xuyên.",
    "Điều 1. Cho phép cải chính nội dung trong sổ đăng ký khai sinh của ông",
    "Nguyễn Văn Thưởng: họ tên cha từ Nguyễn Văn Hữu thành Nguyễn Văn Hựu.",
    "Điều 2. Công chức Tư pháp - Hộ tịch có trách nhiệm ghi vào sổ hộ tịch",
    "và cấp bản sao trích lục cho người yêu cầu theo quy định của pháp luật.",
    "Điều 3. Văn phòng Ủy ban nhân dân xã, công chức Tư pháp - Hộ tịch và",
    "ông Nguyễn Văn Thưởng chịu trách nhiệm thi hành Quyết định này.",
]
PAPER = 244


def letter_page(faint: int | None = None, *, dark_lines: int = 20) -> Image.Image:
    """An A4 page at 150 dpi on grainy paper: LINES twice, the first ``dark_lines`` in black, the rest at grey
    ``faint`` (toner run low)."""
    image = Image.new("L", (1240, 1754), PAPER)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 25)
    for index, line in enumerate(LINES + LINES):
        draw.text((120, 150 + 50 * index), line, font=font, fill=0 if index < dark_lines or faint is None else faint)
    grain = random.Random(5)
    grey = np.asarray(image).copy()
    for _ in range(20000):
        x, y = grain.randrange(image.width), grain.randrange(image.height)
        grey[y, x] = max(0, int(grey[y, x]) - grain.randrange(20))
    return Image.fromarray(grey)


def _ink_of(image: Image.Image, dpi: int) -> np.ndarray:
    return page_ink(page_overview(image, dpi))


def _rows_of(image: Image.Image, dpi: int) -> np.ndarray:
    return print_rows(_ink_of(image, dpi))


def gridded(page: Image.Image, grey: int) -> Image.Image:
    """``page`` (a ``letter_page``) on paper ruled in a grid of ``grey`` lines every tenth of an inch."""
    draw = ImageDraw.Draw(page)
    for step in range(0, page.height, 15):
        draw.line((0, step, page.width - 1, step), fill=grey)
    for step in range(0, page.width, 15):
        draw.line((step, 0, step, page.height - 1), fill=grey)
    return page


def test_print_rows_are_the_rows_of_letters_not_a_bar_nor_a_column_of_dots() -> None:
    page = letter_page()
    draw = ImageDraw.Draw(page)
    draw.rectangle((120, 1300, 1100, 1330), fill=0)  # a black bar across the page, 1/5 inch tall
    for y in range(100, 1700, 40):  # a scanner's dots down the margin
        draw.rectangle((40, y, 47, y + 7), fill=0)
    rows = _rows_of(page, 150)
    assert rows.shape == (1169, 827)  # the page at UNREAD_DPI
    scale = UNREAD_DPI / 150
    line_rows = rows[round(150 * scale) : round((150 + 50 * 20) * scale)]
    # each of the 20 lines of text is print, along most of its length
    assert line_rows[:, round(130 * scale) : round(1000 * scale)].any(axis=0).mean() > 0.9
    assert not rows[round(1300 * scale) : round(1330 * scale)].any()  # the bar
    assert not rows[:, : round(60 * scale)].any()  # the dots


def test_unread_print_is_the_share_no_word_covers() -> None:
    ink = _ink_of(letter_page(), 150)
    every_line = [(110, 140 + 50 * index, 1000, 40) for index in range(20)]
    assert unread_print(ink, every_line, 150) == 0.0  # (all its ink within the words: its rows not looked for)
    assert unread_print(ink, [], 150) == 1.0
    half = unread_print(ink, every_line[:10], 150)
    assert half is not None and 0.4 < half < 0.6
    # a row counts as read when words cover most of it: show-through beside a line, a sloping line's end sticking
    # out of its words (QA110: 0.12-0.15 on pages read well, each read again for nothing)
    most_of_each = [(110, 140 + 50 * index, 560, 40) for index in range(20)]
    covered = unread_print(ink, most_of_each, 150)
    assert covered is not None and covered < 0.05
    # a line or two is too little print to weigh; a page without ink has none
    assert unread_print(_ink_of(letter_page(faint=PAPER, dark_lines=2), 150), [], 150) is None
    assert unread_print(_ink_of(Image.new("L", (1240, 1754), PAPER), 150), [], 150) is None


def test_unread_lines_are_the_rows_of_print_no_word_covers_longest_first() -> None:
    ink = _ink_of(letter_page(), 150)
    every_line = [(110, 140 + 50 * index, 1000, 40) for index in range(20)]
    assert unread_lines(ink, every_line, 150) == []  # (all its ink within the words: its rows not looked for)
    left_out = unread_lines(ink, every_line[:7] + every_line[8:], 150)  # the eighth line, "Nguyễn Văn Thưởng: …"
    assert len(left_out) == 1, left_out
    (line,) = left_out
    assert 110 <= line.left <= 130 and line.right > 700 and 140 + 50 * 7 <= line.bottom <= 150 + 50 * 8
    assert line.top >= 140 + 50 * 7 - 5  # (its own row: not the lines above and below, which words cover)
    longest_first = unread_lines(ink, every_line[:5], 150)  # (a line's stretches far apart are rows of their own)
    widths = [line.right - line.left for line in longest_first]
    assert widths == sorted(widths, reverse=True)
    assert len({(line.top + 25) // 50 for line in longest_first}) == 15  # the 15 lines no word covers
    assert min(line.top for line in longest_first) >= 140 + 50 * 5 - 5
    # a page too short to weigh (two lines): looked at only from ``at_least`` (QA180 F4: a short list's item over a
    # leader, read `.. ca.`, went unseen)
    short = _ink_of(letter_page().crop((0, 0, 1240, 250)), 150)
    assert unread_lines(short, every_line[:1], 150) == []
    (line,) = unread_lines(short, every_line[:1], 150, at_least=0.25)
    assert line.top >= 190 - 5 and line.bottom <= 240 + 5, line


def test_a_line_the_pages_layout_left_out_is_read_alone(tmp_path: Path) -> None:
    """QA174 F5: on a pink form (a grey JPEG of part of it here), the applicant's line typed over a dotted leader,
    "Người nộp: Võ Thị Ngọc Trâm", was left out of the page by Tesseract's layout analysis — nothing read there,
    the record without the name — and its print left unread too little of the page's to be read again. Read alone
    as one line it reads right, and is added."""
    result = ocr_document(FIXTURES / "pink-form-dotted-lines.jpg", tmp_path / "out.pdf", workers=2)
    assert "Người nộp" in result.text and "Võ Thị Ngọc Trâm" in result.text, result.text
    assert result.text.index("Tên thủ tục") < result.text.index("Người nộp") < result.text.index("Số điện thoại")
    layer = subprocess.run(  # (laid out: plain pdftotext parts the line at the wide gap a leader's dots leave)
        ["pdftotext", "-layout", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"Người nộp:\s+Võ Thị\s+Ngọc Trâm", layer), layer


def test_a_line_read_alone_goes_before_the_line_below_it_or_among_its_own_lines_words() -> None:
    """``_lines_put_in``: a line found goes before the whole line below it — a centred heading below was cut in two
    where it went before the heading's word under it (QA179 F1) — and the end of a line whose start was read goes
    among that line's words, by their places across."""
    from ocr.pipeline import _lines_put_in

    def word(text: str, left: int, top: int, line: int, block: int = 1) -> Word:
        return Word(text, 95.0, left, top, 20 * len(text), 40, block, 1, line)

    page = [word("CHỨNG", 250, 500, 1), word("THỰC", 390, 500, 1), word("BẢN", 510, 500, 1)]
    page = [word("Số:", 100, 300, 1, block=0), word("12", 180, 300, 1, block=0), *page]
    found = [word("Họ", 400, 400, 0), word("và", 460, 400, 0), word("tên:", 520, 400, 0)]  # over "THỰC BẢN"
    read = PageReading(1000, 800, _lines_put_in(page, found))
    assert read.text().splitlines() == ["Số: 12", "", "Họ và tên:", "CHỨNG THỰC BẢN"]
    # the end of a line whose start the page read: among its words
    start = [word("Họ", 100, 400, 3, block=2), word("và", 160, 400, 3, block=2), *page]
    read = PageReading(1000, 800, _lines_put_in(start, [word("tên:", 220, 400, 0), word("Hương", 320, 400, 0)]))
    assert "Họ và tên: Hương" in read.text().splitlines(), read.text()
    # rows found one under another go in their order, each before the nearest line under it: a card's lines, the
    # page's reading keeping only a date at the right of the card's last line (QA179 c10: "Họ và tên" went before
    # that date, the first word under it the page read, and so above the card's heading found above it)
    card = [word("12/2030", 600, 560, 1, block=1), word("CHỨNG", 100, 900, 1, block=2)]
    found = [word("CĂN", 100, 400, 0), word("Họ", 100, 480, 0), word("tên:", 180, 480, 0), word("Hương", 560, 480, 0)]
    found += [word("Date", 100, 560, 0)]
    read = PageReading(1000, 1000, _lines_put_in(card, found))
    lines = read.text().splitlines()
    assert lines.index("CĂN") < lines.index("Họ tên: Hương") < lines.index("Date") < lines.index("CHỨNG"), lines


def test_a_line_read_alone_keeps_the_corrections_of_the_words_it_holds_and_no_others() -> None:
    """``_lines_taken``: a line's corrections of words not taken (the page read them more surely) are not added —
    the record's `corrections` named words no longer in the text (stop 80's note) —, and a word whose marks the
    page's reading put right is not replaced by the line's sure reading of the slip (`NGUYÊN` at 96 took the place
    of `NGUYỄN`, put right from a doubted `NGUYÊN` at 21)."""
    from ocr.pipeline import _lines_taken

    def word(text: str, left: int, confidence: float = 95.0, line: int = 1) -> Word:
        return Word(text, confidence, left, 400, 20 * len(text), 40, 1, 1, line)

    page = PageReading(
        1000,
        800,
        [word("Sổ", 100, 60.0), word("hộ", 160, 21.0), word("khẩu", 220)],
        corrections=(("hố", "hộ"),),
    )
    # the line read alone reads "Số" (a page number's, read right: 97) over the page's unsure "Sổ", and "hồ" (70)
    # over its "hộ", put right — a run the page keeps
    alone = PageReading(400, 60, [word("Số", 0, 97.0), word("hồ", 60, 70.0)], corrections=(("Sổ", "Số"), ("hổ", "hồ")))
    read = _lines_taken(page, [(alone, (100, 0))])
    assert read.text() == "Số hộ khẩu"
    assert read.corrections == (("hố", "hộ"), ("Sổ", "Số"))
    texts = read.text().split()
    assert all(put_right in texts for _, put_right in read.corrections)


def test_a_line_read_alone_is_weighed_without_the_unsure_words_at_its_ends() -> None:
    """QA179 c10: a card's "IDENTITY CARD - Date of expiry: 12/05/2030" read alone came with a mark at its start
    (`_`, 33) and its end unsure (`€XpDITV:` 46, `12I05I2030` 8): its mean confidence, 65, left out the whole line,
    and a mark read `n` (0) went in before "Họ và tên". The unsure ends are cut before the line is weighed."""
    from ocr.pipeline import LINE_ALONE_CONFIDENCE, _unsure_ends_cut

    def line(*words: tuple[str, float]) -> PageReading:
        return PageReading(
            900, 60, [Word(text, conf, 60 * i, 10, 50, 40, 1, 1, 1) for i, (text, conf) in enumerate(words)]
        )

    english = line(("_", 33), ("IDENTITY", 87), ("CARD", 92), ("-", 93), ("Date", 66), ("of", 97), ("€XpDITV:", 46))
    english.words.append(Word("12I05I2030", 8, 500, 10, 200, 40, 1, 1, 1))
    assert (english.confidence or 0) < LINE_ALONE_CONFIDENCE
    cut = _unsure_ends_cut(english)
    assert cut.text() == "IDENTITY CARD - Date of" and (cut.confidence or 0) >= LINE_ALONE_CONFIDENCE
    assert _unsure_ends_cut(line(("n", 0), ("Họ", 97), ("tên:", 93))).text() == "Họ tên:"
    assert _unsure_ends_cut(line(("Ngày", 97), ("7", 20), ("sinh:", 93))).text() == "Ngày 7 sinh:"  # (inside: kept)
    assert not _unsure_ends_cut(line(("~~", 12), ("ll", 30))).words  # (a signature's strokes: nothing left)
    # most of its words unsure: junk, whatever its first words (QA179 c03, an upside-down line)
    upside_down = line(
        ("IÊT", 78), (",ŠX", 90), ("nâY", 88), ("nôïÏIT", 14), (":bri", 27), ("pnó+rl†", 33), ("ioW", 12)
    )
    assert not _unsure_ends_cut(upside_down).words


def test_a_line_read_alone_half_on_a_grey_card_is_read_with_its_paper_evened(tmp_path: Path) -> None:
    """QA179 c06: a line half on a grey card copied onto white paper, read alone, came back with the half on white
    only — Tesseract's one threshold for the line took the card for ink. Its paper evened along it, it reads whole;
    a line on even paper is read as it is."""
    from ocr.pipeline import _paper_evened_along
    from ocr.tesseract import read_page

    line = "Nơi thường trú: Tổ 5, phường Hoàng Liệt, quận Hoàng Mai"
    image = Image.new("L", (1100, 70), 250)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 430, 69), fill=150)  # the card's grey, under "Nơi thường trú: Tổ 5,"
    draw.text((20, 15), line, font=ImageFont.truetype(FONT, 38), fill=30)
    image.save(tmp_path / "as-scanned.pgm")
    evened = _paper_evened_along(image)
    evened.save(tmp_path / "evened.pgm")
    as_scanned = read_page(tmp_path / "as-scanned.pgm", tmp_path / "as-scanned", dpi=300, psm=7)
    assert "Nơi thường trú" not in as_scanned.text()
    assert read_page(tmp_path / "evened.pgm", tmp_path / "evened", dpi=300, psm=7).text() == line
    even = Image.new("L", (1100, 70), 230)
    ImageDraw.Draw(even).text((20, 15), line, font=ImageFont.truetype(FONT, 38), fill=30)
    assert _paper_evened_along(even) is even


def test_a_line_found_in_one_column_stays_in_its_column() -> None:
    """QA180 F1, F2: on a page of two columns a gutter apart narrower than three line heights, a line found in one
    column was put in among the other column's line of the same row; the same row found in both columns went in
    as one line, even a gutter of an inch apart. A found row is cut at the gutter that runs between the page's
    lines about it, and goes among its own column's words only."""
    from ocr.pipeline import _lines_put_in

    def column_line(texts: str, left: int, top: int, block: int, line: int) -> list[Word]:
        return [Word(text, 95.0, left + 110 * i, top, 100, 40, block, 1, line) for i, text in enumerate(texts.split())]

    # (the left column's 4th line left out, and the 6th line of both, the left one's short, ending a paragraph)
    page = [
        word
        for line in (1, 2, 3, 5, 7)
        for word in column_line(f"trái{line} a b c d e f", 100, 100 + 60 * line, 1, line)
    ]
    page += [
        word
        for line in (1, 2, 3, 4, 5, 7)
        for word in column_line(f"phải{line} g h i j k l", 900, 100 + 60 * line, 2, line)
    ]
    found = column_line("TRÁI4 x y z w v u", 100, 340, 0, 0)  # (a gutter of 30 px from the right column's 4th line)
    found += column_line("TRÁI6 m n", 100, 460, 0, 0) + column_line("PHẢI6 s t u v w z", 900, 460, 0, 0)
    lines = PageReading(2000, 1000, _lines_put_in(page, found)).text().splitlines()
    lines = [line for line in lines if line]
    assert (
        lines.index("trái3 a b c d e f") + 1 == lines.index("TRÁI4 x y z w v u") == lines.index("trái5 a b c d e f") - 1
    )
    assert lines.index("trái5 a b c d e f") + 1 == lines.index("TRÁI6 m n"), lines
    assert lines.index("phải5 g h i j k l") + 1 == lines.index("PHẢI6 s t u v w z"), lines
    assert all(line.startswith(("trái", "TRÁI")) for line in lines[:7]), lines  # (the left column first, whole)


def test_a_line_read_alone_over_a_leader_is_put_in_without_its_dots() -> None:
    """QA180 F6: a line read alone out over the dotted leader it was typed on came in as `còn......`, `biểu.....`,
    and a `.` of the leader as a word of its own: a search for "còn" missed it."""
    from ocr.pipeline import _leader_dots_cut

    texts = ["Số", "tiền", "còn......", "biểu.....", "gian...", ".", "v.v...", "Hà", "Nội."]
    read = PageReading(900, 60, [Word(text, 90.0, 100 * i, 10, 90, 40, 1, 1, 1) for i, text in enumerate(texts)])
    cut = _leader_dots_cut(read)
    assert cut.text() == "Số tiền còn biểu gian v.v... Hà Nội."
    assert [w.width for w in cut.words if w.text == "còn"] == [90 * 3 // 9]  # (the box of the word as it is now)


def test_a_line_read_alone_over_junk_replaces_the_junk_in_its_gaps_too() -> None:
    """QA180 F5: a line over a dotted leader was read as junk by the page's reading (`C75618 sSÊ nh KT TU`, at
    0–30), which covered it, so it was not read alone; now junk covers nothing, and the line read alone replaces
    the junk over its words and in their gaps (`thủ TU tục hành TỐ chính` until then), not sure words beside it."""
    from ocr.pipeline import _lines_taken

    def word(text: str, left: int, confidence: float, width: int = 80) -> Word:
        return Word(text, confidence, left, 400, width, 40, 1, 1, 1)

    junk = [word("C75618", 100, 0.0), word("TU", 185, 7.0, 10), word("KT", 300, 6.0), word("TỐ", 285, 11.0, 10)]
    page = PageReading(1000, 800, [*junk, word("Ghi", 420, 96.0), word("chú", 510, 96.0)])
    alone = PageReading(500, 60, [word("Việc", 0, 96.0), word("giải", 100, 97.0), word("quyết", 200, 97.0)])
    assert _lines_taken(page, [(alone, (100, 0))]).text() == "Việc giải quyết Ghi chú"


def test_a_line_read_alone_surer_than_the_pages_reading_takes_its_place() -> None:
    """A header's number line read as junk on one line with its date, the two columns of the header a gutter
    apart: the number read alone takes the junk's place on that line (put in as a line found, it went after the
    date's line)."""
    from ocr.pipeline import _lines_taken

    def words(texts: str, left: int, top: int, line: int, confidence: float = 95.0) -> list[Word]:
        return [Word(t, confidence, left + 110 * i, top, 100, 40, 1, 1, line) for i, t in enumerate(texts.split())]

    page = words("UBND XÃ", 100, 100, 1) + words("CỘNG HÒA", 900, 100, 1) + words("MỸ AN", 100, 160, 2)
    page += words("Độc lập", 900, 160, 2) + words("90-125 QĐ-LBND", 100, 220, 3, 30.0)
    page += words("Mỹ An, ngày", 900, 220, 3) + words("QUYẾT ĐỊNH", 400, 300, 4)
    alone = PageReading(400, 60, words("Số: 125/QĐ-UBND", 0, 0, 1, 96.0))
    read = _lines_taken(PageReading(2000, 1000, page), [(alone, (100, 220))])
    assert "Số: 125/QĐ-UBND Mỹ An, ngày" in read.text().splitlines(), read.text()


def test_a_line_found_on_a_form_or_close_lines_goes_beside_its_own_lines_words() -> None:
    """QA181 F4: on a form whose labels and entries stand a tab apart (lines read across that gap), the gap was
    taken for a column's gutter: a label found went after its entry. QA181 F3: with close lines, the boxes of a
    line read alone reached over the line below, and it went in after that line's words."""
    from ocr.pipeline import _lines_put_in

    def words(texts: str, left: int, top: int, line: int, height: int = 40) -> list[Word]:
        return [Word(t, 95.0, left + 110 * i, top, 100, height, 1, 1, line) for i, t in enumerate(texts.split())]

    labels = ("Họ tên:", "Ngày sinh:", "Quê quán:", "Nơi ở:", "Số CCCD:")
    form = [
        word
        for n, label in enumerate(labels)
        for word in words(label, 100, 100 + 60 * n, n + 1) + words(f"giá trị{n}", 400, 100 + 60 * n, n + 1)
    ]
    page = [word for word in form if not (word.line == 3 and word.left < 400)]
    lines = PageReading(2000, 1000, _lines_put_in(page, words("Quê quán:", 100, 220, 0))).text().splitlines()
    assert "Quê quán: giá trị2" in lines, lines
    # a line read alone, its boxes reaching down over the line below (a leader under it, close lines)
    close = words("dòng một", 100, 100, 1) + words("dòng ba", 100, 190, 3)
    found = words("dòng hai", 100, 140, 0, height=75)
    lines = PageReading(2000, 1000, _lines_put_in(close, found)).text().splitlines()
    assert [line for line in lines if line] == ["dòng một", "dòng hai", "dòng ba"], lines


def test_junk_in_a_wide_gap_of_a_line_read_alone_stays() -> None:
    """QA181 F5: a page's word read unsure (`v.v.)`, 45) in a gap of a line read alone where it read nothing went
    with the junk in its word spaces."""
    from ocr.pipeline import _lines_taken

    def word(text: str, left: int, confidence: float = 95.0, width: int = 80) -> Word:
        return Word(text, confidence, left, 400, width, 40, 1, 1, 1)

    page = PageReading(1000, 800, [word("v.v.)", 300, 45.0), word("TU", 182, 20.0, 16)])  # (TU: a word space's)
    alone = PageReading(600, 60, [word("phí,", 0), word("lệ", 100), word("phí,", 200), word("được", 420)])
    assert _lines_taken(page, [(alone, (0, 0))]).text() == "phí, lệ phí, v.v.) được"


MONO = "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf"


def test_a_typed_pages_print_is_weighed_though_its_words_stand_a_typewriters_cell_apart() -> None:
    """QA123: in a typewriter's or a dot-matrix printer's face a word space is a whole 0.1-inch cell, so each short
    Vietnamese syllable stood alone, a row under LINE_INCH: 6 of a typed page's 28 lines were rows, too little to
    weigh, and its three faint lines (a dry ribbon) went unread, the page `good` — read again darkened, CER 0.11 →
    0.008."""
    image = Image.new("L", (1240, 1754), PAPER)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(MONO, 25)  # 12 pt at 150 dpi: a cell of 0.1 inch
    for index, line in enumerate(LINES + LINES):
        draw.text((120, 150 + 50 * index), line, font=font, fill=0 if index < 17 else 165)
    ink = _ink_of(image, 150)
    dark_lines = [(110, 140 + 50 * index, 1000, 40) for index in range(17)]
    assert print_rows(ink).sum() < 3.0 * UNREAD_DPI**2  # rows of syllables, too short: too little print
    unread = unread_print(ink, dark_lines, 150)
    assert unread is not None and 0.1 < unread < 0.25, unread  # the 3 faint lines of 20


def test_a_registers_sparse_hand_is_weighed_though_its_words_stand_wide_apart() -> None:
    """QA124: a birth register's cells filled in a sparse hand, each word under LINE_INCH and 0.2 inch from the
    next, held 1.2 square inches in rows and was not weighed; its entries in light pencil, all dropped by
    Tesseract, went unseen and the page was `good`. Now read again darkened: 47 of 202 words read, and `low`."""
    image = Image.new("L", (1754, 1240), PAPER)  # a landscape register page at 150 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 25)
    for row in range(12):
        left = 120
        for word in ("Lê", "Minh", "Khôi", "08/05", "Nam", "Bệnh", "viện"):
            draw.text((left, 150 + 80 * row), word, font=font, fill=150)  # pencil: grey strokes
            left += draw.textlength(word, font=font) + 30  # 0.2 inch apart
    ink = _ink_of(image, 150)
    assert print_rows(ink, MONOSPACE_GAP_INCH).sum() < 3.0 * UNREAD_DPI**2  # words too short to make rows
    assert unread_print(ink, [], 150) == 1.0  # weighed, all of it unread


def test_print_on_patterned_paper_is_not_weighed() -> None:
    """QA110: on a certificate's security pattern the letters merge with the pattern's lines into marks too large
    to count, and the pattern's strokes were taken for rows: read well, 0.81 "unread", low. Here a grid of lines
    under the text, every tenth of an inch."""
    page = gridded(letter_page(), 150)
    every_line = [(110, 140 + 50 * index, 1000, 40) for index in range(20)]
    assert not _rows_of(page, 150).any()
    assert unread_print(_ink_of(page, 150), every_line[:10], 150) is None
    seen = unread_print(_ink_of(letter_page(), 150), every_line[:10], 150)  # (seen without the grid)
    assert seen is not None and 0.4 < seen < 0.6


def test_faint_print_is_darkened_and_the_paper_stays_white() -> None:
    page = letter_page(faint=205, dark_lines=10)
    darkened = np.asarray(faint_print_darkened(page, 150))
    faint_line = darkened[150 + 50 * 12 : 150 + 50 * 12 + 35, 120:1000]
    assert faint_line.min() < 60  # its strokes now black, or near it
    assert np.median(darkened[1300:1700]) > 200  # the paper below the text light
    assert np.asarray(page)[150 + 50 * 12 : 150 + 50 * 12 + 35, 120:1000].min() >= 180  # (it was faint)
    # a table's row shaded grey, a fifth of an inch tall, is paper to its own text (QA110: made black with it)
    shaded = letter_page()
    ImageDraw.Draw(shaded).rectangle((100, 1240, 1140, 1270), fill=200)
    ImageDraw.Draw(shaded).text((120, 1243), "Thôn Đông", font=ImageFont.truetype(FONT, 25), fill=0)
    darkened_row = np.asarray(faint_print_darkened(shaded, 150))[1240:1271, 100:1141]
    assert np.median(darkened_row[8:23]) > 200 and darkened_row.min() < 60  # (its edges are drawn dark, as rules)


def test_a_page_printed_faintly_is_read_again_darkened(tmp_path: Path) -> None:
    """QA108: the lower 60 % of a page printed faintly (toner run low) was not read and the page was "good"."""
    scan = tmp_path / "mực nhạt.png"
    letter_page(faint=200, dark_lines=6).save(scan, dpi=(150, 150))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    page = result.pages[0]
    assert page.darkened and page.quality == "good"
    assert page.unread_print is not None and page.unread_print < 0.05
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("Hộ tịch") >= 6  # four of them in the faint lines
    assert "chịu trách nhiệm thi hành Quyết định này" in text


def test_print_fainter_than_the_ink_test_is_read_again_darkened(tmp_path: Path) -> None:
    """QA110 F4: body text in toner run very low, under 30 grey levels below its paper (ocr.quality.PRINT_CONTRAST)
    at 100 dpi, was not seen as print: the page read its black lines alone and was `good`. Print seen at 20
    levels (FAINTER_CONTRAST) decides a second reading, darkened."""
    scan = tmp_path / "mực rất nhạt.png"
    letter_page(faint=218, dark_lines=6).save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.darkened and page.quality == "good"
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "chịu trách nhiệm thi hành Quyết định này" in text


def test_a_page_read_again_darkened_keeps_the_lines_its_first_reading_read_more_surely(tmp_path: Path) -> None:
    """QA174 F3: a page whose grey paragraphs were left unread the first time is read again darkened, and the
    show-through of its back, darkened with them, came back as punctuation in the gaps of its black lines, read
    right the first time: `và.bản.chính`, `chuyển øiao`. Where the first reading read a stretch of a line more
    surely it is kept; the grey paragraph is the second reading's."""
    clean = np.asarray(Image.open(FIXTURES / "grey-paragraphs-show-through.png"), dtype=np.float32)
    noisy = clean + np.random.default_rng(2).normal(0, 3, clean.shape)
    scan = tmp_path / "đoạn xám.png"
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(scan, dpi=(300, 300))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    (page,) = result.pages
    assert page.darkened and page.quality == GOOD, page
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for black in ("Giấy chứng nhận và bản chính văn bản xác nhận còn", "bị chuyển giao cho người khác do mua bán"):
        assert black in text, text
    assert "Việc giữ, sử dụng Giấy chứng nhận về tàu bay, tàu biển" in text  # grey: read darkened


def test_a_run_of_a_line_read_again_less_surely_is_given_back_its_first_reading() -> None:
    """``surer_lines_kept`` along one line: a run read as one word where the first reading read three, less
    surely, is the first's; a word read more surely again is the second's; a line only the second read is its."""

    def word(text: str, confidence: float, left: int, top: int = 100, line: int = 1) -> Word:
        return Word(text, confidence, left, top, 20 * len(text), 40, 1, 1, line)

    first = PageReading(
        1000,
        400,
        [word("và", 96, 100), word("bản", 97, 160), word("chính", 97, 240), word("Giấy", 83, 360)],
        corrections=(("chinh", "chính"),),
    )
    again = PageReading(
        1000,
        400,
        [word("và.bản.chính", 43, 100), word("Giấy", 97, 360), word("xám", 90, 100, top=200, line=2)],
        corrections=(("Giay", "Giấy"),),
    )
    kept = surer_lines_kept(first, again)
    assert [(w.text, w.line) for w in kept.words] == [("và", 1), ("bản", 1), ("chính", 1), ("Giấy", 1), ("xám", 2)]
    assert [w.confidence for w in kept.words] == [96, 97, 97, 97, 90]
    assert kept.corrections == (("chinh", "chính"), ("Giay", "Giấy"))
    assert surer_lines_kept(PageReading(1000, 400, []), again) is again  # nothing to give back
    # QA178 F1: the lit half of a word across a shadow's edge, read as surely as the whole word, is not given back
    half = PageReading(1000, 400, [word("ao", 97, 140)])  # (over "giao"'s last two letters)
    whole = PageReading(1000, 400, [word("giao", 96, 100)])
    assert [w.text for w in surer_lines_kept(half, whole).words] == ["giao"]
    # QA178 F2: a word belongs to the line it lies on most nearly — not to a tall junk "word" over two lines, nor to
    # a mark read as a line of its own — and is given back there once
    first = PageReading(1000, 400, [word("nghĩa", 96, 100, top=100), word("khác", 96, 100, top=140, line=2)])
    junk = Word("Xiên", 0.0, 100, 95, 100, 90, 1, 1, 1)  # as tall as both lines
    again = PageReading(1000, 400, [junk, word("khác", 90, 100, top=140, line=2)])
    kept = surer_lines_kept(first, again)
    assert [(w.text, w.line) for w in kept.words] == [("nghĩa", 1), ("khác", 2)], kept.words


def grainy_faint_page(*, text: bool = True) -> Image.Image:
    """An A4 page at 200 dpi with LINES twice, 9 pt, printed faintly (~180 on paper at ~250) and softly, under
    a noisy scanner's grain (a deviation of 16 levels): hardly a pixel under the blank test's 160."""
    image = Image.new("L", (1654, 2339), 248)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 25)
    for index, line in enumerate(LINES + LINES if text else []):
        draw.text((180, 200 + 48 * index), line, font=font, fill=20)
    soft = np.asarray(image.filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float32)
    faint = 255 - (255 - soft) * 0.3
    grain = np.random.default_rng(1).normal(0, 16, faint.shape)
    return Image.fromarray(np.clip(faint + grain, 0, 255).astype(np.uint8))


def test_a_scans_grain_is_not_a_pattern_and_a_grids_lines_are() -> None:
    """QA119: the grain of a noisy scan, 20 levels deep, lies in every quarter-inch square: it was taken for
    patterned paper, and the faint print under it was not seen. Specks are not a pattern's strokes."""
    grainy_ink = print_depth(page_overview(grainy_faint_page(text=False), 200)) >= FAINTER_CONTRAST
    assert np.count_nonzero(grainy_ink) > 0.02 * grainy_ink.size  # (grain in every square)
    assert not patterned(grainy_ink)
    assert not patterned(print_depth(page_overview(grainy_faint_page(), 200)) >= FAINTER_CONTRAST)
    assert patterned(_ink_of(gridded(letter_page(), 150), 150))


def test_a_grainy_page_is_smoothed_before_it_is_darkened_and_a_faint_grid_is_not() -> None:
    """Darkened as scanned, a noisy scan's grain was stretched into black specks all over its paper (3.4 % of the
    paper below this page's text), and Tesseract read no word (QA119). A grid's lines are a pattern too, but
    blurring would only fade them: they stay as sharp as darkened alone."""
    darkened = np.asarray(faint_print_darkened(grainy_faint_page(), 200))
    assert (darkened[1300:2200, 100:1500] < 128).mean() < 0.001
    darkened_grid = np.asarray(faint_print_darkened(gridded(letter_page(faint=205, dark_lines=0), 215), 150))
    assert darkened_grid[1500, 100:1000].mean() < 150 and darkened_grid[1507, 100:1000].mean() > 240


def test_faint_print_under_a_scanners_grain_is_read_not_called_blank(tmp_path: Path) -> None:
    """QA119: faint print under a noisy scanner's grain was taken for patterned paper, so no faint print was seen:
    the page was read whitened, no word, and called blank (in a stack, dropped as a separator's back). Seen, it
    was read darkened — its grain stretched black with its print, no word read either. Its image is smoothed
    before it is darkened now (ocr.quality.grain_smoothed)."""
    scan = tmp_path / "mờ và nhiễu.jpg"
    page_image = grainy_faint_page()
    assert np.asarray(page_image).min() >= 140 and np.percentile(np.asarray(page_image), 0.1) > 160
    page_image.save(scan, dpi=(200, 200), quality=40)
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.quality != "blank" and page.darkened and page.words > 200, page
    assert page.unread_print is not None and page.unread_print < MAX_UNREAD_PRINT  # (weighed: the grain not ink)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("chính quyền địa phương") == 2 and text.count("Điều") >= 3


def shadowed(page: Image.Image, paper: int = 56, edge: float = 0.75, slope: float = 0.5) -> Image.Image:
    """``page`` photographed with a soft shadow over its right: an edge ~0.4 inch wide from ``edge`` of the width at
    the top, ``slope`` pixels left for each pixel down, the paper under it at ``paper`` and its print darkened in
    the same proportion."""
    height, width = page.height, page.width
    rows, columns = np.mgrid[0:height, 0:width]
    across = columns - (edge * width - slope * rows)  # by default from the top right to the bottom left
    light = 1 - (1 - paper / PAPER) * np.clip(across / 60 + 0.5, 0, 1)
    return Image.fromarray((np.asarray(page, dtype=np.float32) * light).astype(np.uint8))


def test_a_shadow_over_the_paper_is_evened_out() -> None:
    page = letter_page()
    # the words read: each line up to the shadow's edge (shadowed's edge: 0.75 of the width less half the row)
    lit = [(110, 140 + 50 * index, int(0.75 * 1240 - 0.5 * (150 + 50 * index)) - 150, 40) for index in range(20)]
    assert shadow_evened(paper_seen(page, 150), lit) is None  # no shadow: nothing to even
    evened = shadow_evened(paper_seen(shadowed(page), 150), lit)
    assert evened is not None
    right_of_line_ten = np.asarray(evened)[150 + 50 * 10 : 150 + 50 * 10 + 35, 700:850]
    assert np.median(right_of_line_ten) > 220 and right_of_line_ten.min() < 100  # white paper, its print dark
    assert np.array_equal(np.asarray(evened)[:800, :300], np.asarray(shadowed(page))[:800, :300])  # lit: as it was
    # the edge of the shadow is paper too, not a dark band (the brightest around alone carried the lit paper in)
    edge = np.asarray(evened)[1300:1700]
    assert np.percentile(edge, 2) > 150
    # what was left unread lies in the lit part (faint print, to be read darkened): not evened
    in_shadow = [(left + width, top, 1000 - left - width, height) for left, top, width, height in lit]
    assert shadow_evened(paper_seen(shadowed(page), 150), lit[:10] + in_shadow) is None
    # a shadow over less than SHADOW_SHARE of the page is not one to even
    corner = np.asarray(page).copy()
    corner[:200, :200] = (corner[:200, :200] * 0.3).astype(np.uint8)
    assert shadow_evened(paper_seen(Image.fromarray(corner), 150)) is None
    # nor is a dark area inside the page (a photo, a banner, a title box with white letters: QA115)
    inside = np.asarray(page).copy()
    inside[300:1000, 300:900] = (inside[300:1000, 300:900] * 0.2).astype(np.uint8)
    assert shadow_evened(paper_seen(Image.fromarray(inside), 150)) is None
    # the planner's quick look (a page read well enough is asked again only if it may be in shadow)
    assert maybe_in_shadow(page_overview(shadowed(page), 150))
    assert not maybe_in_shadow(page_overview(page, 150))
    assert not maybe_in_shadow(page_overview(Image.fromarray(inside), 150))


def test_a_photo_partly_in_shadow_is_read_again_evened(tmp_path: Path) -> None:
    """QA110 F7: a phone photo a third in soft shadow: the shadow's print was not read (239 words of 385). Read
    again with the shadow evened out (``ocr.quality.shadow_evened``), and weighed against the paper under it:
    nothing left unread. Here the shadow is darker (paper at 37) and grainy, saved as a JPEG: with its paper found
    at the top of its grain (the brightest, unsmoothed), the evened shadow stayed grey and grainy, and read in two
    bands, 211 words of 312 — no more than at first, the page `good` with a quarter of its print unread."""
    page = np.asarray(shadowed(letter_page(), paper=37), dtype=np.float32)
    grain = np.random.default_rng(7).normal(0, 7, page.shape)
    scan = tmp_path / "bóng râm.jpg"
    Image.fromarray(np.clip(page + grain, 0, 255).astype(np.uint8)).save(scan, dpi=(150, 150), quality=60)
    page_read = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page_read.evened and not page_read.darkened and page_read.quality == "good", page_read
    assert page_read.unread_print is not None and page_read.unread_print < 0.05
    assert page_read.words >= 290
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("Nguyễn Văn Thưởng") >= 5  # ... of 6, the second half of the page's lines in shadow


def test_a_shadow_over_the_ends_of_the_lines_is_read_again_evened(tmp_path: Path) -> None:
    """QA115 F4: a shadow over the last inch of each line (paper at 37 there, grainy): each line read up to the
    shadow's edge is a row of print read, nothing weighed unread, and the page stayed `good` with the lines' ends
    lost (284 words of 312). Its overview shows paper in shadow (``maybe_in_shadow``), more than a tenth of the
    print there is left unread: read again evened."""
    page = np.asarray(shadowed(letter_page(), paper=37, edge=0.62, slope=0.0), dtype=np.float32)
    grain = np.random.default_rng(7).normal(0, 7, page.shape)
    scan = tmp_path / "bóng mép phải.jpg"
    Image.fromarray(np.clip(page + grain, 0, 255).astype(np.uint8)).save(scan, dpi=(150, 150), quality=60)
    page_read = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page_read.evened and page_read.quality == "good" and page_read.words >= 305, page_read
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("Hữu thành Nguyễn Văn Hựu") == 2  # the end of a line, in the shadow


def printed_lightly(image: Image.Image, depth: int, grain: float = 3.0) -> Image.Image:
    """``image`` (black print on white) as a light photocopy prints it: its print ``depth`` grey levels under paper at
    250, under a grain of standard deviation ``grain`` (seeded: the same page every run)."""
    light = np.asarray(image, dtype=np.float32) / 255 * depth + 250 - depth
    grained = light + np.random.default_rng(7).normal(0, grain, light.shape)
    return Image.fromarray(np.clip(grained, 0, 255).astype(np.uint8))


def light_photocopy(
    *,
    text: bool = True,
    depth: int = 14,
    mirrored: bool = False,
    blur: float = 0.0,
    dpi: int = 300,
    lines: int = 20,
    grain: float = 3.0,
) -> Image.Image:
    """QA149 F2: an A4 page at ``dpi`` printed as a light photocopy is — LINES twice at 11 pt, the print ``depth``
    grey levels under paper at 250 under a ``grain`` of 3 levels (its standard deviation) — (its first ``lines`` of
    them): every word legible, no pixel FAINTER_CONTRAST deep at UNREAD_DPI. ``mirrored`` and ``blur`` (px at 300
    dpi): the other side's print showing through the paper instead."""
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 46)
    for index, line in enumerate((LINES + LINES)[:lines] if text else []):
        draw.text((240, 300 + 72 * index), line, font=font, fill=0)
    if mirrored:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if dpi != 300:
        image = image.resize((round(2480 * dpi / 300), round(3508 * dpi / 300)), Image.Resampling.LANCZOS)
    return printed_lightly(image, depth, grain)


def test_print_too_faint_for_any_pixel_to_be_ink_is_seen_by_its_lines_and_read() -> None:
    """Whitened, a light photocopy's print went with its paper: the page was read as blank (QA149 F2). Its lines
    are seen, and Tesseract reads a band of them as text. The grain of its paper alone, or a scanner's dusty blank
    back, shows no lines; show-through from the other side 15 levels deep shows lines but reads as nothing — taken
    for print, such backs were read darkened, 10-144 s each, `low`, and a stack kept its separator's back (QA150 F1)."""
    from ocr.pipeline import faint_lines_legible
    from tests.test_stack_parts import A4, blank_back, flatbed

    photocopy = page_overview(light_photocopy(), 300)
    ink = print_depth(photocopy) >= FAINTER_CONTRAST  # (faint print to the ink test: none, a few grains)
    assert max(print_inches(ink), print_inches(ink.T)) < FAINT_PAGE_PRINT_INCH2
    assert not faint_page(light_photocopy(), 300)
    assert len(faint_line_rows(photocopy)) == 20 and faint_lines_legible(light_photocopy(), 300)  # (its 20 lines)
    assert faint_lines_legible(light_photocopy(dpi=200), 200)  # (its grain as sharp as at 300: QA150 F7)
    assert not faint_line_rows(page_overview(light_photocopy(text=False), 300))
    for seed in range(3):
        assert not faint_line_rows(page_overview(blank_back(seed), 300))
        assert not faint_line_rows(page_overview(flatbed(A4, seed), 300))
    show_through = light_photocopy(depth=15, mirrored=True, blur=2)
    assert faint_line_rows(page_overview(show_through, 300)) and not faint_lines_legible(show_through, 300)


def test_lines_too_faint_to_be_ink_that_do_not_read_as_print_are_paper_to_tesseract(tmp_path: Path) -> None:
    """QA151 F5: whitened, the specks of such lines (a light form at 300 dpi past the probe's reading) kept
    Tesseract 74 s over the page for no word. Tesseract is given the paper the page is read as; a light
    photocopy's page, its print darkened."""
    from flows.intake import _reads_as_text
    from ocr.pipeline import _prepared

    back = _prepared(light_photocopy(depth=15, mirrored=True, blur=2), 1, 300, tmp_path, 1)
    assert back.blank and not back.faint and back.image_path is not None
    assert Image.open(back.image_path).getextrema() == (255, 255)
    assert not _reads_as_text(light_photocopy(depth=15, mirrored=True, blur=2, dpi=200))
    page = _prepared(light_photocopy(), 2, 300, tmp_path, 1)
    assert page.faint and page.image_path is not None and Image.open(page.image_path).getextrema()[0] < 200


def test_a_blank_page_with_faint_marks_says_so_and_alone_is_not_called_inkless(tmp_path: Path) -> None:
    """QA152 F1: a page whose faint lines do not read as text was `blank` as a sheet of bare paper is, and alone
    quarantined as "no ink at all" — untrue of show-through, and of print too faint to read, which a person can
    tell on the paper. Such a page is recorded `blank` with faint marks, said so, and alone quarantined with what
    to do (scan it darker if the paper holds print); bare grainy paper stays "no ink at all"."""
    from flows.cli import _page_quality_said
    from flows.pipeline import Outcome, process_many
    from tests.conftest import make_settings

    back = tmp_path / "mặt sau.png"
    light_photocopy(depth=15, mirrored=True, blur=2, dpi=200).save(back, dpi=(200, 200))
    bare = tmp_path / "giấy trắng.png"
    light_photocopy(text=False, dpi=200).save(bare, dpi=(200, 200))
    (marked,) = ocr_document(back, tmp_path / "back.pdf", workers=2).pages
    (paper,) = ocr_document(bare, tmp_path / "bare.pdf", workers=2).pages
    assert marked.quality == BLANK and marked.faint_marks, marked
    assert paper.quality == BLANK and not paper.faint_marks, paper
    assert "faint marks that do not read as text" in (_page_quality_said(marked) or "")
    assert _page_quality_said(paper) == "trang / page 1: trang trắng / blank"
    results = {r.path.name: r for r in process_many([back, bare], make_settings(tmp_path / "var"))}
    assert all(result.outcome == Outcome.QUARANTINED for result in results.values()), results
    assert "chỉ có vết mờ" in (results["mặt sau.png"].reason_vi or ""), results["mặt sau.png"].reason_vi
    assert "only faint marks" in (results["mặt sau.png"].reason_en or "")
    assert "scan it again darker" in (results["mặt sau.png"].reason_en or "")
    assert "(no ink at all)" in (results["giấy trắng.png"].reason_en or ""), results["giấy trắng.png"].reason_en


def test_a_blank_page_with_a_page_number_read_is_not_called_inkless(tmp_path: Path) -> None:
    """QA155 F2: "Trang 2" in grey, too light for the blank test, was read (confidence 96), and the page — no
    text, a word or two — stayed `blank`, as it should; but `sohoa ocr` said it was blank as bare paper is, and
    alone it was quarantined as "no ink at all". What was read is said, page by page (QA156 F4: only of the first
    and the last), and quoted in the reason, with the count of pages and without specks (QA156 F5); a stack's page
    numbers are not put for a "trang N" read there."""
    from flows.pipeline import Outcome, process_many
    from sohoa.errors import BadInputError, Problem
    from sohoa.record import few_words_read
    from tests.conftest import make_settings
    from tests.test_cli import sohoa

    pages = []
    for number in (2, 3, 4):
        image = Image.new("L", (1654, 2339), 250)
        ImageDraw.Draw(image).text((760, 2150), f"Trang {number}", font=ImageFont.truetype(FONT, 33), fill=170)
        pages.append(image)
    scan = tmp_path / "trang số.tif"
    pages[0].save(scan, dpi=(200, 200), save_all=True, append_images=pages[1:], compression="tiff_lzw")
    proc = sohoa("ocr", str(scan), str(tmp_path / "out.pdf"), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for number in (1, 2, 3):  # every page, not the first and the last
        said = f"trang / page {number}: trang trắng, chỉ đọc được “Trang {number + 1}” / blank but for “Trang"
        assert said in proc.stdout, proc.stdout
    (outcome,) = process_many([scan], make_settings(tmp_path / "var"))
    assert outcome.outcome == Outcome.QUARANTINED, outcome
    reason_en, reason_vi = outcome.reason_en or "", outcome.reason_vi or ""
    assert "only a word or two was read (3 pages: “Trang 2 Trang 3 Trang 4”)" in reason_en, reason_en
    assert "chỉ đọc được vài chữ (3 trang: “Trang 2" in reason_vi and "no ink at all" not in reason_en, reason_vi
    assert few_words_read("_ Trang 6") == "“Trang 6”" and few_words_read("- 2 -") == "“2”"
    assert few_words_read(". ˆ i _") == ""  # specks: nothing read
    quoted = BadInputError("x.pdf", Problem.ALL_BLANK_FEW_WORDS, "“trang 2”", "“trang 2”")
    assert "(“trang 2”)" in quoted.english(pages=[5, 6]) and "(“trang 2”)" in quoted.vietnamese(pages=[5, 6])


def test_a_blank_page_with_a_small_page_number_or_a_signature_is_not_called_inkless(tmp_path: Path) -> None:
    """QA156 F3, F7: "- 2 -" printed in black at 8 pt, and a signature's scribble, are gone at the blank test's
    100 dpi through its median: the page was `blank`, Tesseract read nothing on it, and alone it was quarantined as
    "no ink at all" — with a page number plain to see. Such a page is blank still, with its marks said
    (``PageOcr.ink_marks``); a blank page with dust and a scanner's dark edge is blank, with no ink at all."""
    import ocr
    from flows.pipeline import Outcome, process_many
    from tests.conftest import make_settings

    page_number = Image.new("L", (1654, 2339), 250)
    ImageDraw.Draw(page_number).text((800, 120), "- 2 -", font=ImageFont.truetype(FONT, 22), fill=60)
    signature = Image.new("L", (1654, 2339), 250)
    curve = [(900 + x, 1700 + round(40 * np.sin(x / 9) + x / 4)) for x in range(0, 300, 3)]
    ImageDraw.Draw(signature).line(curve, fill=90, width=2)
    dusty = Image.new("L", (1654, 2339), 250)
    draw = ImageDraw.Draw(dusty)
    draw.rectangle((0, 0, 20, 2338), fill=30)  # the scanner's dark edge, outside the blank test's margin
    for x, y in np.random.default_rng(3).integers(100, 1500, (25, 2)):
        draw.ellipse((int(x), int(y), int(x) + 4, int(y) + 3), fill=120)  # dust: 0.6 mm specks
    scans = []
    for name, image in (("số trang.png", page_number), ("chữ ký.png", signature), ("bụi.png", dusty)):
        image.save(tmp_path / name, dpi=(200, 200))
        scans.append(tmp_path / name)
    work = tmp_path / "work"
    read = [ocr.ocr_document(scan, tmp_path / f"{scan.stem}.pdf", work_dir=work).pages[0] for scan in scans]
    assert [(page.quality, page.words, page.ink_marks) for page in read] == [
        ("blank", 0, True),
        ("blank", 0, True),
        ("blank", 0, False),
    ], read
    outcomes = list(process_many(scans, make_settings(tmp_path / "var")))
    assert [outcome.outcome for outcome in outcomes] == [Outcome.QUARANTINED] * 3, outcomes
    for outcome in outcomes[:2]:
        reason_en, reason_vi = outcome.reason_en or "", outcome.reason_vi or ""
        assert "only a few small or thin dark marks (a page number too small to read" in reason_en, reason_en
        assert "chỉ có vài nét đậm nhỏ hoặc mảnh" in reason_vi and "no ink at all" not in reason_en, reason_vi
    assert "is blank (no ink at all)" in (outcomes[2].reason_en or ""), outcomes[2]


def test_a_blank_pages_grain_is_not_left_as_specks_for_tesseract(tmp_path: Path) -> None:
    """QA154 F6: paper at 250 under a grain of 10 levels clips at 255, its grain looks 5 levels deep, and whitened
    7 % of an A4 page at 300 dpi was left as grey specks: Tesseract's layout analysis spent 2 minutes on them for
    no word. A blank page's specks are white too."""
    from ocr.pipeline import _prepared

    grain = np.random.default_rng(10).normal(250, 10, (3508, 2480))
    blank = _prepared(Image.fromarray(np.clip(grain, 0, 255).astype(np.uint8)), 1, 300, tmp_path, 1)
    assert blank.blank and not blank.faint and blank.image_path is not None
    assert np.mean(np.asarray(Image.open(blank.image_path)) < 255) < 0.02  # (was 0.08; now 0.009)


def light_table(dpi: int = 200, depth: int = 14) -> Image.Image:
    """QA151 F2: a table of short cells — a row number, a name and two figures a row, 14 rows — printed as
    ``light_photocopy`` is (its print ``depth`` levels under the paper), on an A4 page at ``dpi``."""
    image = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, round(dpi * 11 / 72))
    names = [
        "Nguyễn Văn An",
        "Trần Thị Bình",
        "Lê Văn Cường",
        "Phạm Thị Dung",
        "Hoàng Văn Em",
        "Vũ Thị Hoa",
        "Đỗ Văn Hùng",
    ]
    for row in range(14):
        cells = [f"{row + 1}", names[row % len(names)], f"{(row * 37) % 90 + 10}.500", f"{(row * 53) % 80 + 20}"]
        for column, cell in zip((1.0, 1.6, 4.4, 6.2), cells, strict=True):
            draw.text((round(column * dpi), round((1.5 + 0.42 * row) * dpi)), cell, font=font, fill=0)
    return printed_lightly(image, depth)


def light_ruled_table(dpi: int = 150, depth: int = 20, grain: float = 6.0) -> Image.Image:
    """QA154 F4: a register of 24 rows in ruled cells — a row number, a procedure, a count, a share, a note, 9 pt —
    printed as ``light_photocopy`` is (its print ``depth`` levels under the paper, ``grain``), A4 at ``dpi``."""
    image = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", round(dpi * 9 / 72))
    procedures = ["Đăng ký khai sinh", "Chứng thực bản sao", "Đăng ký kết hôn", "Trích lục hộ tịch", "Đăng ký khai tử"]
    notes = ["Trực tuyến", "Trực tiếp", "Bưu chính"]
    columns, height, top = (0.8, 1.3, 3.6, 5.0, 6.3, 7.45), 0.36 * dpi, 1.3 * dpi
    draw.text((round(1.6 * dpi), round(0.8 * dpi)), "BẢNG KÊ HỒ SƠ TIẾP NHẬN THÁNG 10 NĂM 2024", font=font, fill=0)
    for row in range(26):
        draw.line((columns[0] * dpi, top + row * height, columns[-1] * dpi, top + row * height), fill=0)
    for column in columns:
        draw.line((column * dpi, top, column * dpi, top + 25 * height), fill=0)
    for row in range(25):
        cells = (
            ["STT", "Tên thủ tục", "Số hồ sơ", "Đúng hạn", "Ghi chú"]
            if row == 0
            else [f"{row}", procedures[row % 5], f"{(row * 37) % 240 + 3}", f"{80 + row % 20}%", notes[row % 3]]
        )
        for column, cell in zip(columns, cells, strict=False):
            draw.text((round((column + 0.06) * dpi), round(top + row * height + 0.06 * dpi)), cell, font=font, fill=0)
    return printed_lightly(image, depth, grain)


def test_a_light_tables_short_cells_show_their_lines_in_narrower_strips(tmp_path: Path) -> None:
    """QA151 F2: across 2 inches of mostly paper a table's short cells dip less than FAINT_LINE_DEPTH; no lines
    were seen, and the light table was `blank` (between separator sheets, dropped as a separator's back)."""
    import img2pdf

    from ocr.pipeline import faint_lines_legible
    from sohoa.pdfium import open_pdf

    table = light_table()
    assert len(faint_line_rows(page_overview(table, 200))) >= 5 and faint_lines_legible(table, 200)
    # ... and as intake sees it, rendered by pdfium from the page a stack's part holds, printed a little lighter:
    # its lines just under 2 levels deep there (QA151 F1: dropped between separator sheets as a separator's back)
    scan = tmp_path / "bảng nhạt.png"
    light_table(depth=12).save(scan, dpi=(200, 200))
    (tmp_path / "bảng nhạt.pdf").write_bytes(img2pdf.convert(str(scan)))
    with open_pdf(tmp_path / "bảng nhạt.pdf") as pdf:
        rendered = pdf.render(0, scale=200 / 72, grayscale=True)
    assert faint_lines_legible(rendered, 200)


@pytest.mark.integration
def test_a_light_photocopy_is_read_and_show_through_as_faint_is_still_blank(tmp_path: Path) -> None:
    """QA149 F2: alone it was quarantined as "no ink at all"; in a document, its page archived empty, not
    reviewed. Read with its faint print darkened, it is read; saved without loss too (QA150 F7). The back of a
    sheet whose print shows through as faintly stays blank (QA150 F1)."""
    from flows.intake import _words_read
    from ocr.pipeline import faint_print_seen

    scan = tmp_path / "bản photo nhạt.jpg"
    light_photocopy().save(scan, dpi=(300, 300), quality=85)
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    page = result.pages[0]
    assert page.quality == "good" and page.darkened and page.words > 250, page
    assert result.text.count("Nguyễn Văn Thưởng") == 6  # (each of its six)
    # saved without loss, its grain as scanned: darkened so, Tesseract found no text on it (QA150 F7)
    lossless = tmp_path / "bản photo nhạt.png"
    light_photocopy(dpi=200).save(lossless, dpi=(200, 200))
    result = ocr_document(lossless, tmp_path / "lossless.pdf", workers=2)
    assert result.pages[0].quality == "good" and result.pages[0].words > 250, result.pages[0]
    assert result.text.count("Nguyễn Văn Thưởng") >= 5  # (at 11 pt on 200 dpi, one may be read "Thướng")
    # a note of four such lines, the page mostly paper: its grain's speckle, darkened, hid them from Tesseract's
    # layout analysis (0 words, QA151 F3)
    note = tmp_path / "ghi chú nhạt.png"
    light_photocopy(dpi=200, lines=4).save(note, dpi=(200, 200))
    result = ocr_document(note, tmp_path / "note.pdf", workers=2)
    assert result.pages[0].quality == "good" and result.pages[0].words >= 40, result.pages[0]
    assert "Nguyễn Văn Thưởng" in result.text
    # ... and so where a part of pages that look blank between separator sheets is read before it is dropped
    darkened = faint_print_seen(light_photocopy(dpi=200), 200).darkened
    assert darkened is not None and words_quality(_words_read(darkened)) == GOOD
    back = tmp_path / "mặt sau.jpg"
    light_photocopy(depth=15, mirrored=True, blur=2).save(back, dpi=(300, 300), quality=85)
    (blank,) = ocr_document(back, tmp_path / "back.pdf", workers=2).pages
    assert blank.quality == BLANK and not blank.darkened, blank


def test_faint_print_under_a_fine_grain_is_darkened_from_its_median(tmp_path: Path) -> None:
    """QA151 F4: print 20-24 levels deep under a grain of 5, saved without loss at 200 dpi, is faint print (not
    fainter), its grain too fine to show at UNREAD_DPI; darkened as scanned, the grain was speckle to Tesseract's
    layout analysis: no word read, `low`. Clean paper (the toner-run-low page's scattered specks) is not grainy."""
    from ocr.quality import GRAINY_PAPER, paper_grain

    page = light_photocopy(depth=24, grain=5, dpi=200)
    assert faint_page(page, 200) and paper_grain(page) >= GRAINY_PAPER
    assert paper_grain(letter_page(faint=205)) < GRAINY_PAPER
    scan = tmp_path / "hạt giấy.png"
    page.save(scan, dpi=(200, 200))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    assert result.pages[0].quality == GOOD and result.pages[0].darkened and result.pages[0].words > 250, result
    assert "Nguyễn Văn Thưởng" in result.text


def test_faint_lines_under_a_grain_as_deep_as_their_print_are_read_blurred(tmp_path: Path) -> None:
    """QA152 F1: print 20 levels deep under a grain of 6 at 150 dpi, legible to the eye, was `blank`: from its
    median the probe's band read 21 sure words of 97, the grain's junk. Alone such a page was quarantined as "no
    ink at all"; as a document's page, archived empty with no review. Its band blurred reads as print, with more
    sure words, and the page is read so; under a grain of 5 it was `low`, 72 words (none of its names). Faint
    print a little deeper (``faint_page``) under a grain of 7 was darkened from its median: `low`, no word."""
    from flows.intake import _words_read
    from ocr.pipeline import faint_print_seen

    assert not faint_page(light_photocopy(depth=20, grain=6, dpi=150), 150)
    assert faint_page(light_photocopy(depth=24, grain=7, dpi=150), 150)
    for depth, grain in ((20, 6), (20, 5), (24, 7)):
        scan = tmp_path / f"photo nhạt {depth} hạt {grain}.png"
        light_photocopy(depth=depth, grain=grain, dpi=150).save(scan, dpi=(150, 150))
        result = ocr_document(scan, tmp_path / f"{depth}-{grain}.pdf", workers=2)
        page = result.pages[0]
        assert page.quality == GOOD and page.darkened and page.words > 250, page
        assert result.text.count("Nguyễn Văn Thưởng") >= 3, result.text  # (at 11 pt on 150 dpi, not each of six)
    darkened = faint_print_seen(light_photocopy(depth=20, grain=6, dpi=150), 150).darkened
    assert darkened is not None and words_quality(_words_read(darkened)) == GOOD


def test_faint_print_whose_band_reads_from_its_median_but_its_page_does_not_is_read_again_through_its_grain(
    tmp_path: Path,
) -> None:
    """QA154 F3: faint print 26 levels deep under a grain of 8 at 150 dpi: its probe's band read as print from its
    median, and the page was read so — `low`, no word (its grain darkened is junk to Tesseract's layout). A grainy
    faint page read so badly is read again through its grain, straightened anew, and that reading kept."""
    from ocr.pipeline import THROUGH_GRAIN, faint_print_seen

    photocopy = light_photocopy(depth=26, grain=8, dpi=150)
    assert faint_page(photocopy, 150) and faint_print_seen(photocopy, 150).other_way == THROUGH_GRAIN
    scan = tmp_path / "photo nhạt hạt 8.png"
    photocopy.save(scan, dpi=(150, 150))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    page = result.pages[0]
    assert page.darkened and page.words > 250 and page.skew == 0.0, page
    assert result.text.count("Hộ tịch") >= 4 and result.text.count("Căn cứ") >= 3, result.text


def test_a_faint_page_read_again_the_other_way_does_not_keep_junk(tmp_path: Path) -> None:
    """QA156 F1: read the other way before it was asked which way is up, an upside-down grainy faint page's
    gibberish beat its first reading's by its letters and was kept (290 → 7 words right of 626 on QA's page; here
    322 words of junk where none were read). The other way is read once the page is turned as it reads upright, and
    kept only where it reads as text (``_plausible_text``). QA156 C07: this page, 1.5° crooked too, OSD would not
    turn from its median (180°, confidence 1.2 on QA's page) — nor read upright did it read better; read the other
    way, through its grain, OSD is asked again and turns it (2.1): 0 words → 323 here, 19 → 659 of 758 on QA's."""
    upside_down = light_photocopy(depth=22, grain=7, dpi=150)
    upside_down = upside_down.rotate(1.5, resample=Image.Resampling.BICUBIC, fillcolor=250).rotate(180)
    scan = tmp_path / "ngược.png"
    upside_down.save(scan, dpi=(150, 150))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    page = result.pages[0]
    assert page.orientation == 180 and page.words > 250, page
    assert result.text.count("Hộ tịch") >= 4 and result.text.count("Căn cứ") >= 2, result.text[:300]


def test_a_faint_page_fed_upside_down_is_not_taken_for_faint_marks(tmp_path: Path) -> None:
    """Print 22 levels under a grain of 7 at 150 dpi reads `good` upright (328 words); fed upside down, the probe
    read its first lines — the page's last, upside down — as junk every way, and the page was paper to Tesseract:
    `blank`, "only faint marks", no word. The band of its last lines is read turned too."""
    from ocr.pipeline import faint_print_seen

    upside_down = light_photocopy(depth=22, grain=7, dpi=150).rotate(180)
    seen = faint_print_seen(upside_down, 150)
    assert seen.darkened is not None and not seen.unread_lines, seen
    scan = tmp_path / "ngược thẳng.png"
    upside_down.save(scan, dpi=(150, 150))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    page = result.pages[0]
    assert page.quality == "good" and page.orientation == 180 and page.words > 250, page
    assert result.text.count("Hộ tịch") >= 4, result.text[:300]


def test_a_light_ruled_table_under_grain_is_read_blurred_through_its_rules_junk(tmp_path: Path) -> None:
    """QA154 F4: blurred, a ruled table's band under grain read 46 sure words of 95 — its rules and what is left of
    the grain read as junk beside them, 1.5 short of half: not print, and the page `blank`. Blurred, a band reads as
    print through the grain with 20 sure words, a third of what it read; show-through, banding and watermarks under
    grain read at most 15 so. Read, the table is `low` (its rules read as junk): for a person to check, not lost."""
    from ocr.pipeline import BandRead

    assert BandRead(sure=46, words=95).as_print(through_grain=True) and not BandRead(sure=46, words=95).as_print()
    assert not BandRead(sure=15, words=508).as_print(through_grain=True)  # (recycled paper, QA154's most)
    assert not BandRead(sure=19, words=40).as_print(through_grain=True)
    scan = tmp_path / "bảng kê nhạt.png"
    light_ruled_table().save(scan, dpi=(150, 150))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    page = result.pages[0]
    assert page.quality == LOW and page.darkened and page.words > 200, page
    assert result.text.count("Đăng ký") >= 6, result.text


FORM_LABELS = [
    "Họ, chữ đệm, tên/Full name:",
    "Ngày sinh/Date of birth:",
    "Giới tính/Sex:",
    "Quốc tịch/Nationality:",
    "Nơi thường trú/Permanent residence:",
    "Số định danh cá nhân/Personal number:",
    "Nghề nghiệp/Occupation:",
    "Nơi cấp/Place of issue:",
    "Ngày cấp/Date of issue:",
    "Người khai/Declarant:",
]


def light_form(dpi: int = 200, depth: int = 14) -> Image.Image:
    """QA151 F1/F6: a blank form — FORM_LABELS twice at 11.5 pt, each followed by dotted leaders to write on —
    printed as ``light_photocopy`` is (its print ``depth`` levels under paper at 250, grain of 3), A4 at ``dpi``."""
    image = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", round(dpi * 11.5 / 72))
    for index, label in enumerate(FORM_LABELS + FORM_LABELS):
        left, top = dpi, round((1.2 + 0.45 * index) * dpi)
        draw.text((left, top), label, font=font, fill=0)
        start = left + draw.textlength(f"{label} ", font=font)
        draw.text((start, top), "." * int((7.2 * dpi - start) / draw.textlength(".", font=font)), font=font, fill=0)
    return printed_lightly(image, depth)


BOXED_LABELS = [
    "Họ và tên:",
    "Ngày sinh:",
    "Giới tính:",
    "Dân tộc:",
    "Quốc tịch:",
    "Nơi thường trú:",
    "Chỗ ở hiện nay:",
    "Số điện thoại:",
    "Nghề nghiệp:",
    "Nơi làm việc:",
    "Số căn cước:",
    "Ngày cấp:",
    "Nơi cấp:",
    "Trình độ học vấn:",
]


def light_boxed_form(dpi: int = 200, depth: int = 14) -> Image.Image:
    """QA153 F1: a form of boxes — the national motto and a title, BOXED_LABELS in a table of a row each, its fields
    the rows' right parts, character boxes for the ID card's number, two lines under it — printed as ``light_form``
    is (its grain drawn as QA153's was)."""
    image = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, round(dpi * 12 / 72))
    heading = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "TỜ KHAI THÔNG TIN CÁ NHÂN"]
    for index, line in enumerate(heading):
        draw.text(
            ((8.27 * dpi - draw.textlength(line, font=font)) / 2, (0.5 + 0.3 * index) * dpi), line, font=font, fill=0
        )
    width, height = max(1, dpi // 100), 0.42 * dpi
    left, middle, right = 0.9 * dpi, 3.4 * dpi, 7.4 * dpi
    for index, label in enumerate(BOXED_LABELS):
        top = 1.8 * dpi + index * height
        draw.rectangle((left, top, right, top + height), outline=0, width=width)
        draw.line((middle, top, middle, top + height), fill=0, width=width)
        draw.text((left + 0.08 * dpi, top + 0.08 * dpi), label, font=font, fill=0)
        if label.startswith("Số"):
            for box in range(12):
                x = middle + (0.1 + 0.3 * box) * dpi
                draw.rectangle((x, top + 0.06 * dpi, x + 0.25 * dpi, top + height - 0.06 * dpi), outline=0)
    closing = ["Tôi xin cam đoan những lời khai trên là đúng sự thật.", "Người khai ký và ghi rõ họ tên"]
    for index, line in enumerate(closing):
        draw.text((left, 1.8 * dpi + 15 * height + 0.4 * dpi * index), line, font=font, fill=0)
    # (not printed_lightly: QA153's own seed and rounding, which drew the page that showed the finding)
    clean = np.asarray(image, dtype=np.float32)
    grained = 250 - depth * (1 - clean / 255) + np.random.default_rng(1).normal(0, 3, clean.shape)
    return Image.fromarray(np.clip(np.round(grained), 0, 255).astype(np.uint8))


def test_a_light_forms_leaders_are_dropped_once_its_print_is_made_black(tmp_path: Path) -> None:
    """QA151 F1/F6: darkened, a light form's print was grey still, its dotted leaders too pale for leaders_dropped:
    read as junk, the probe took the form for no print, and it was `blank` (between separator sheets, dropped as a
    separator's back); a lighter one taken for print carried the junk into its text. Its print now made black
    first, the leaders go, and the form is read: every label, and nothing where the leaders were."""
    from ocr.pipeline import faint_lines_legible

    form = light_form()
    assert faint_lines_legible(form, 200)
    scan = tmp_path / "tờ khai nhạt.png"
    form.save(scan, dpi=(200, 200))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    assert result.pages[0].quality == GOOD and result.pages[0].darkened, result.pages[0]
    lines = [line for line in result.text.splitlines() if line.strip()]
    assert len(lines) == 20 and all(line.endswith(":") for line in lines), lines  # (no junk after a label)
    assert result.text.count("Số định danh cá nhân/Personal number:") == 2


def test_a_light_form_of_boxes_is_probed_as_lines_too(tmp_path: Path) -> None:
    """QA153 F1: a light form whose fields are boxes read as junk in one block (Tesseract --psm 6), lines that
    leader dropping does not drop: taken for no print, `blank`. Read as a column of lines (--psm 4), it is print."""
    from ocr.pipeline import faint_lines_legible

    form = light_boxed_form()
    assert faint_lines_legible(form, 200)
    scan = tmp_path / "tờ khai ô nhạt.png"
    form.save(scan, dpi=(200, 200))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    assert result.pages[0].quality != BLANK and result.pages[0].darkened, result.pages[0]
    assert "Nghề nghiệp:" in result.text and "Trình độ học vấn:" in result.text, result.text


def test_light_print_read_at_the_edge_of_legibility_is_low(tmp_path: Path) -> None:
    """QA151 F7: at 150 dpi, grainier, a light photocopy is read with many words a little wrong (confidence ~80,
    ~95 % Vietnamese words, each past its own bar): it was `good`, archived unreviewed; now `low`, to review."""
    scan = tmp_path / "sát ngưỡng.png"
    light_photocopy(dpi=150, depth=14, grain=4).save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.quality == LOW and page.words > 250, page
    assert page.confidence is not None and page.confidence >= 70 and page.lexicon_share is not None
    assert "many words likely misread" in low_quality_reason(1, page.confidence, page.lexicon_share)


def test_a_faint_page_scanned_upside_down_is_read_again_darkened(tmp_path: Path) -> None:
    """QA110: turned upright to be read, a faint page was not read darkened (155 of 385 words, against 383 the
    right way up)."""
    scan = tmp_path / "lộn ngược.png"
    letter_page(faint=200, dark_lines=6).rotate(180).save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.orientation == 180 and page.darkened and page.quality == "good"
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "chịu trách nhiệm thi hành Quyết định này" in text


def faded_receipt(ink: int = 175, paper: int = 236, *, scale: int = 1) -> Image.Image:
    """A faded thermal receipt pasted on an A4 sheet, at 150 dpi × ``scale``: print at grey ``ink`` on its own grey
    ``paper``."""
    sheet = Image.new("L", (1240 * scale, 1754 * scale), 253)
    draw = ImageDraw.Draw(sheet)
    draw.rectangle((300 * scale, 200 * scale, 900 * scale, 1500 * scale), fill=paper)
    font = ImageFont.truetype(FONT, 24 * scale - 14 * (scale - 1))  # 11.5 pt at 150 dpi; 8 pt at 300
    receipt = ["TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", "XÃ ĐÔNG XUYÊN", "PHIẾU THU", "Khách hàng: Nguyễn Văn Thưởng"]
    receipt += ["Dịch vụ: Chứng thực bản sao", "Số bản: 3", "Cảm ơn quý khách!"]
    for index, line in enumerate(receipt):
        draw.text((330 * scale, (240 + 45 * index) * scale), line, font=font, fill=ink)
    return sheet


def test_a_receipt_in_thin_strokes_45_levels_under_its_paper_is_read(tmp_path: Path) -> None:
    """QA111 F3: at 300 dpi, a receipt's thin strokes 45 levels under its paper average out under PRINT_CONTRAST
    at 100 dpi: no faint print seen, the page read whitened, blank. Seen at FAINTER_CONTRAST, read darkened."""
    sheet = faded_receipt(200, 245, scale=2).filter(ImageFilter.GaussianBlur(1))  # a thermal print's soft strokes
    grain = np.random.default_rng(3).normal(0, 3, (sheet.height, sheet.width))
    sheet = Image.fromarray(np.clip(np.asarray(sheet) + grain, 0, 255).astype(np.uint8))
    assert np.asarray(sheet).min() >= 160
    scan = tmp_path / "biên lai mờ.jpg"
    sheet.save(scan, dpi=(300, 300), quality=85)
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.quality == "good" and page.darkened, page
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Chứng thực bản sao" in text


def test_a_faded_receipt_on_a_blank_sheet_is_read_not_called_blank(tmp_path: Path) -> None:
    """QA110: a faded thermal receipt pasted on an A4 sheet — no pixel darker than the blank test's 160 — was read
    with its paper whitened, a grey block to Tesseract: a blank page, no word, no review."""
    sheet = faded_receipt()
    assert np.asarray(sheet).min() >= 160  # (nothing the blank test counts as ink)
    scan = tmp_path / "biên lai.png"
    sheet.save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.quality == "good" and page.darkened
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Nguyễn Văn Thưởng" in text and "Chứng thực bản sao" in text


@pytest.mark.parametrize("turn", [180, 90])
def test_a_faded_receipt_scanned_upside_down_or_sideways_is_turned_and_read(tmp_path: Path, turn: int) -> None:
    """QA111: upside down, a faded receipt (no ink the blank test sees) was read as nonsense, taken for show-through
    and called blank; sideways, its print, in rows down the page, was not seen and it was read whitened, as
    nothing. It reads badly mirrored too, so it is its own print: turned upright and read."""
    scan = tmp_path / "biên lai ngược.png"
    faded_receipt().rotate(turn, expand=True).save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.quality == "good" and page.darkened and page.orientation == turn, page
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Nguyễn Văn Thưởng" in text


def test_show_through_on_a_blank_back_read_darkened_is_still_a_blank_page(tmp_path: Path) -> None:
    """The back of a printed sheet, its text showing through mirrored and faint, has faint print to the planner
    (read darkened): its reading, mirrored nonsense, is dropped, and the page is blank, not weighed."""
    back = letter_page().transpose(Image.Transpose.FLIP_LEFT_RIGHT).point(lambda v: 255 - (255 - v) * 50 // 255)
    scan = tmp_path / "mặt sau.png"
    back.save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.darkened and page.quality == "blank" and page.words == 0 and page.unread_print is None
    assert page.faint_marks  # (not "no ink at all": QA155 F1)
    # the sheet turned over its short edge: its show-through mirrored top to bottom (QA112: low, 290 words)
    back.rotate(180).save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.darkened and page.quality == "blank" and page.words == 0, page
    # with a page number in black beside it (not blank to the ink test): its show-through read as nonsense was
    # kept, the page low and sent to review (QA111: 384 words)
    ImageDraw.Draw(back).text((600, 1650), "2", font=ImageFont.truetype(FONT, 25), fill=0)
    back.save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.quality == "blank" and page.words == 0, page


def test_a_light_tinted_area_is_evened_and_a_dark_box_is_not() -> None:
    page = np.asarray(letter_page()).copy()
    tinted = page.copy()
    tinted[300:1000, 100:1100] = (tinted[300:1000, 100:1100] * 0.82).astype(np.uint8)  # a panel at ~205
    lines = [(110, 140 + 50 * index, 900, 40) for index in range(20)]
    evened = tint_evened(paper_seen(Image.fromarray(tinted), 150), lines[:3])  # the panel's lines left unread
    assert evened is not None
    panel = np.asarray(evened)[400:900, 300:900]
    assert np.median(panel) > 235 and panel.min() < 100  # its paper white, its print dark
    assert np.array_equal(np.asarray(evened)[:100], tinted[:100])  # the white paper away from it as it was
    assert tint_evened(paper_seen(Image.fromarray(tinted), 150), lines) is None  # every line read: nothing to even
    assert tint_evened(paper_seen(Image.fromarray(page), 150), lines[:3]) is None  # no tint
    dark = page.copy()
    dark[300:1000, 100:1100] = (dark[300:1000, 100:1100] * 0.3).astype(np.uint8)  # a dark box: white letters on it
    assert tint_evened(paper_seen(Image.fromarray(dark), 150), lines[:3]) is None


def test_an_id_cards_copy_on_a_white_sheet_is_read_with_its_tinted_pattern_evened(tmp_path: Path) -> None:
    """QA108's CCCD: a colour copy of an ID card on an A4 sheet, a light pattern behind its print, read no word —
    Tesseract's one threshold for the page, between the white sheet and the rest, took the card for ink — and its
    print was not weighed (the pattern is patterned paper to ``print_rows``), so it was not read again. Read again
    with the card's paper evened (``ocr.quality.tint_evened``): its lines, the page good. Since Tesseract reads
    only the rectangle where a page has ink (``ocr.tess_worker.ink_rectangle``), that rectangle is the card, its
    threshold the card's own: read right the first time, not evened (the evening is tested above)."""
    from tests.conftest import FIXTURES

    result = ocr_document(FIXTURES / "cccd_card_on_a4.pdf", tmp_path / "out.pdf", workers=2)
    page = result.pages[0]
    assert page.quality == "good" and not page.darkened, page
    text = " ".join(result.text.split())
    assert "Số: 034195004512" in text and "Họ và tên: NGUYỄN VĂN THƯỞNG" in text and "Ngày sinh: 12/04/1968" in text


def note_over_show_through() -> Image.Image:
    """A faint note written on the back of a printed sheet whose text shows through mirrored (150 dpi)."""
    back = letter_page().transpose(Image.Transpose.FLIP_LEFT_RIGHT).point(lambda v: 255 - (255 - v) * 50 // 255)
    note = ["Kính gửi: Phòng Tư pháp xã Đồng Tâm", "Người nộp: Trần Thị Bình", "Ngày 12 tháng 10 năm 2025"]
    for index, line in enumerate(note):
        ImageDraw.Draw(back).text((140, 170 + 100 * index), line, font=ImageFont.truetype(FONT, 30), fill=185)
    return back


def test_a_faint_note_written_over_show_through_keeps_its_lines(tmp_path: Path) -> None:
    """QA112 F5: a faint note written on the back of a printed sheet read as show-through (its mirrored reading
    good), and the whole page was blank, the note lost with the nonsense. Its own lines, runs of confident
    Vietnamese words, stay; the rest goes; the page is low, for a person to read on the scan."""
    scan = tmp_path / "ghi chú.png"
    note_over_show_through().save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.quality == "low" and page.among_show_through, page
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Phòng Tư pháp xã Đồng Tâm" in text and "Ngày 12 tháng 10 năm 2025" in text
    assert page.words <= 20  # the note's 19 words, no nonsense
    reason = low_quality_reason(1, page.confidence, page.lexicon_share, page.unread_print, page.among_show_through)
    assert reason.endswith(
        "(its print read among show-through from the back of the sheet: only its clearest lines kept)"
    )
    assert "chỉ giữ những dòng rõ nhất" in reason_in_vietnamese(reason)


def test_show_through_is_told_by_its_mirrored_reading() -> None:
    """A faint page read badly is show-through when its reading mirrored gets twice as much by its letters and is
    good, or holds ten words that count (QA112: very faint show-through read mirrored at confidence 63, lexicon
    0.92, was low); a page's own print mirrored — digits that look the same either way — reads no better."""
    nonsense = [("ĐpOUẼ", 40.0), ("ịàn", 35.0), ("uộib", 45.0)] * 20
    back_text = [(word.strip(";"), 63.0) for word in LINES[1].split()] * 5
    assert reads_as_show_through(nonsense, back_text)
    assert not reads_as_show_through(nonsense, back_text[:4])  # four words at 63: not good, too few
    heading = [("THÔNG", 95.0), ("BÁO", 94.0), ("Về", 92.0), ("lịch", 93.0)]
    assert reads_as_show_through(nonsense, heading)  # good, if short
    digits = [("0108", 88.0), ("8101", 90.0), ("1880", 86.0)]
    assert not reads_as_show_through(digits, [("0108", 90.0), ("1018", 88.0), ("0881", 87.0)])


def test_a_page_read_well_is_not_read_again(tmp_path: Path) -> None:
    scan = tmp_path / "rõ.png"
    letter_page().save(scan, dpi=(150, 150))
    page = ocr_document(scan, tmp_path / "out.pdf", workers=2).pages[0]
    assert page.unread_print == 0.0 and not page.darkened and page.quality == "good"


def test_a_photo_with_most_of_its_print_unread_is_low(tmp_path: Path) -> None:
    """QA108: a phone photo taken at a steep angle, a fifth of its words read at confidence 79-85, was "good"."""
    result = ocr_document(FIXTURES / "phone-photo-steep.jpg", tmp_path / "out.pdf", workers=2)
    page = result.pages[0]
    assert page.unread_print is not None and page.unread_print > MAX_UNREAD_PRINT
    assert page.quality == LOW
    assert page.confidence is not None and page.confidence > 70  # the words it read, it read confidently


def test_unread_print_makes_a_page_low_and_says_so() -> None:
    text = " ".join(LINES)
    assert page_quality(92.0, text, 0.1)[0] == "good"
    assert page_quality(92.0, text, 0.75)[0] == LOW
    reason = low_quality_reason(1, 85.5, 0.93, 0.75)
    assert reason == (
        "page 1: low OCR quality (print not read 75% > 25%: check it against the paper; scan it again flat and evenly "
        "lit, or photograph it straight on)"
    )
    assert reason_in_vietnamese(reason) == (
        "trang 1: chất lượng nhận dạng chữ thấp (chữ in không đọc được 75% > 25%: hãy đối chiếu với bản giấy; quét "
        "lại đặt phẳng, đủ sáng, hoặc chụp lại thẳng góc)"
    )


def test_sohoa_ocr_names_a_page_with_its_print_unread() -> None:
    from flows.cli import _page_quality_said
    from sohoa.record import PageOcr

    page = PageOcr(number=2, ocr=True, confidence=85.46, quality=LOW, lexicon_share=0.93, unread_print=0.785)
    assert _page_quality_said(page) == (
        "trang / page 2: chất lượng thấp / low quality (độ tin cậy / confidence 85.5; chữ in không đọc được / print "
        "not read 78%: hãy đối chiếu với bản giấy; quét lại đặt phẳng, đủ sáng, hoặc chụp lại thẳng góc / check it "
        "against the paper; scan it again flat and evenly lit, or photograph it straight on)"
    )


HOOKED_LINES = [
    "Họ và tên người được đăng ký: Đỗ Thị Thể, sinh năm 2019;",
    "Họ và tên cha: Phạm Văn Bổ, thường trú tại xã Cổ Loa;",
    "Nơi đăng ký: Ủy ban nhân dân xã Cổ Loa, huyện Đông Anh;",
    "Đã ghi vào sổ hộ tịch và sổ hộ khẩu để thể hiện quan hệ.",
]


def test_a_pale_grainy_copy_keeps_the_hooks_of_its_letters(tmp_path: Path) -> None:
    """QA171 N3: a pale copy (print ~63 levels under its paper, a grain of 6, 200 dpi: faded toner, every word
    legible) was darkened through a blur of 1/150 inch that took the hook off ô, ê and â: "Cổ Loa" read "Cố Loa",
    "Bổ" "Bố", "Thể" "Thế", "sổ" "số" — the names a civil-status search is made by; `good`, nothing to review.
    Print far deeper than its grain is read through a lighter blur."""
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 46)
    for index, line in enumerate(HOOKED_LINES * 5):
        draw.text((240, 300 + 72 * index), line, font=font, fill=0)
    page = printed_lightly(image.resize((1654, 2339), Image.Resampling.LANCZOS), depth=63, grain=6)
    scan = tmp_path / "bản sao nhạt.png"
    page.save(scan, dpi=(200, 200))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    assert result.pages[0].darkened and result.pages[0].quality == GOOD, result.pages[0]
    for words, times in (("Đỗ Thị Thể", 5), ("Phạm Văn Bổ", 5), ("xã Cổ Loa", 10), ("sổ hộ khẩu", 5)):
        assert result.text.count(words) >= times - 1, (words, result.text)  # (one slip allowed of each)


def _reading(text: str, confidence: float) -> PageReading:
    words = [Word(word, confidence, 100 + 60 * i, 100, 50, 40, 1, 1, 1) for i, word in enumerate(text.split())]
    return PageReading(width=2480, height=3508, words=words)


def test_a_page_read_again_as_junk_does_not_replace_its_good_reading() -> None:
    """QA174: a certificate's light guilloche frame was weighed as print left unread, the page read again darkened,
    and the frame's junk — 237 "words" at confidence 40, `low` — outscored by its letters the 54 words read right at
    96, and replaced them. A second reading of low quality replaces only one that is low too."""
    from ocr.pipeline import _reads_more

    text = "Họ, chữ đệm, tên: PHẠM THỊ KIM LOAN Nơi cư trú: Ấp Phú Hòa, xã Mỹ An, tỉnh Đồng Tháp"
    first = _reading(text, 96.0)
    junk = _reading(
        text + " //20014945////200149465/// 66c c6 662t0 c0 27722100/////// 7721 SANG BỀN vu946/7/2" * 3, 40.0
    )
    assert not _reads_more(junk, first)
    assert _reads_more(_reading(text + " " + text, 95.0), first)  # more words read well: kept
    assert _reads_more(_reading(text, 70.0), _reading("PHẠM THỊ", 60.0))  # over one as low: the more, as before
