"""The invisible text layer written from Tesseract's word boxes (ocr.textlayer), without running Tesseract."""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from fontTools.ttLib import TTFont

from ocr.pipeline import overlay_text_layer
from ocr.tesseract import Word, parse_tsv
from ocr.textlayer import GLYPH_WIDTH, GLYPHLESS_TTF, glyphless_font, text_layer_form

DPI = 300
WIDTH, HEIGHT = 2480, 3508


def word(text: str, left: int, top: int, width: int, height: int, line: int) -> Word:
    return Word(
        text=text, confidence=90.0, left=left, top=top, width=width, height=height, block=1, paragraph=1, line=line
    )


# Two lines as Tesseract boxes them; "TNHH" and "R" stand 2 px apart (as read on a backlog page), the case in
# which a space as wide as the letters would reach into "R" and pdftotext would join the two words.
WORDS = [
    word("Công", 300, 400, 160, 50, 1),
    word("ty", 480, 410, 60, 52, 1),
    word("TNHH", 560, 400, 200, 40, 1),
    word("R", 762, 380, 30, 65, 1),
    word("Quyết", 300, 520, 170, 62, 2),
    word("định", 490, 520, 130, 50, 2),
    word("ủy", 640, 530, 50, 52, 2),
]


def layered_page(tmp_path: Path, words: list[Word]) -> Path:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(WIDTH * 72 / DPI, HEIGHT * 72 / DPI))
    layer = text_layer_form(pdf, words, WIDTH, HEIGHT, DPI, glyphless_font(pdf))
    overlay_text_layer(pdf, pdf.pages[0], layer, 0.0)
    path = tmp_path / "lớp chữ.pdf"
    pdf.save(path)
    return path


def test_glyphless_font_draws_nothing_and_is_500_units_wide() -> None:
    font = TTFont(io.BytesIO(GLYPHLESS_TTF))
    assert font["head"].unitsPerEm == 1000
    assert font.getGlyphOrder() == [".notdef", "blank"]
    # PDF/A wants the widths in the PDF (/DW) to match the font program's
    assert {advance for advance, _ in font["hmtx"].metrics.values()} == {GLYPH_WIDTH}
    assert all(font["glyf"][name].numberOfContours == 0 for name in font.getGlyphOrder())


def test_words_sit_on_their_boxes_and_extract_as_written(tmp_path: Path) -> None:
    path = layered_page(tmp_path, WORDS)
    with pdfplumber.open(path) as pdf:
        found = pdf.pages[0].extract_words()
        chars = [c for c in pdf.pages[0].chars if not c["text"].isspace()]
    assert [unicodedata.normalize("NFC", w["text"]) for w in found] == [w.text for w in WORDS]
    scale = 72 / DPI
    for placed, boxed in zip(found, WORDS, strict=True):
        assert placed["x0"] == pytest.approx(boxed.left * scale, abs=0.2)
        assert placed["x1"] <= (boxed.left + boxed.width) * scale + 0.2  # never past the word's own box
        assert placed["x1"] >= (boxed.left + boxed.width * 0.8) * scale  # and covering most of it
    # the selection reaches from where most of the line's words reach up (the median top, 400: "R" stands
    # higher) down to its baseline (the bottoms of the words that do not hang below it, "TNHH" and "R": 442.5)
    # and a third of that height further, for the descenders — not to the lowest box of the line
    top, baseline = 400 * scale, 442.5 * scale
    bottom = baseline + (baseline - top) / 3
    assert all(c["top"] == pytest.approx(top, abs=0.2) for c in chars[:4])
    assert all(c["bottom"] == pytest.approx(bottom, abs=0.2) for c in chars[:4])
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    first = re.search(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">', boxes)
    assert first is not None
    # poppler takes the font's Ascent and Descent as given: the same box as pdfplumber's
    assert (float(first[1]), float(first[2])) == pytest.approx((top, bottom), abs=0.2)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    lines = [line for line in unicodedata.normalize("NFC", text.stdout).split("\n") if line]
    assert lines[:2] == ["Công ty TNHH R", "Quyết định ủy"]


def test_layer_is_invisible_and_embedded(tmp_path: Path) -> None:
    path = layered_page(tmp_path, WORDS)
    with pikepdf.open(path) as pdf:
        (form,) = (obj for obj in pdf.pages[0].Resources.XObject.values())
        content = form.read_bytes()
    assert content.startswith(b"BT 3 Tr")  # render mode 3: neither filled nor stroked
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "GlyphLessFont" in fonts and fonts.splitlines()[2].split()[-5] == "yes"
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0


def test_tsv_gives_the_page_size_and_only_real_words() -> None:
    tsv = "\n".join(
        [
            "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
            "1\t1\t0\t0\t0\t0\t0\t0\t2481\t3507\t-1\t",
            "5\t1\t1\t1\t1\t1\t270\t249\t90\t40\t96.5\tQuye\u0302\u0301t",  # decomposed: comes back NFC
            "5\t1\t1\t1\t1\t2\t370\t249\t10\t40\t-1\t ",  # no text, no confidence: not a word
        ]
    )
    size, words = parse_tsv(tsv)
    assert size == (2481, 3507)
    assert [(w.text, w.left, w.confidence) for w in words] == [("Quyết", 270, 96.5)]


def test_letters_taller_than_their_line_pitch_are_set_within_it(tmp_path: Path) -> None:
    """QA108 F2: on a noisy 100 dpi scan of 8 pt print Tesseract's word boxes took in specks above and below, 29 px
    for lines 17 px apart; the layer was set in a font 2–3 times the lines' height and pdftotext glued the words of
    neighbouring lines together (569 of 1,506 words found). Letters are now set within their line pitch."""
    syllables = ["công", "dân", "được", "cấp", "bản", "sao", "trích", "lục"]
    speckled = [
        word(syllables[(row + column) % len(syllables)], 200 + 90 * column, 300 + 17 * row - 8, 70, 29, row + 1)
        for row in range(12)
        for column in range(8)
    ]
    path = layered_page(tmp_path, speckled)
    with pdfplumber.open(path) as pdf:
        sizes = {round(c["size"], 1) for c in pdf.pages[0].chars if not c["text"].isspace()}
    assert max(sizes) <= 17 * 72 / DPI, sizes  # no taller than the lines' pitch
    lines = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert sorted(lines.split()) == sorted(w.text for w in speckled)  # each word whole, none glued to another
    # lines of print keep their height beside scraps read in a signature (a stroke beside "CHỦ TỊCH"), a few
    # pixels or half a line under them: only what is taller than the pitch of lines of words is cut to it
    upright = [*WORDS, word("`", 330, 412, 40, 50, 3), word("»", 480, 470, 60, 60, 4)]
    # a title over a row of junk Tesseract read under it, a large line set tight between small ones (QA109): their
    # neighbours' letters are half as tall, not lines of one size with them
    title = [word(text, 300 + 300 * i, 900, 260, 100, 5) for i, text in enumerate(("GIẤY", "CHỨNG", "NHẬN"))]
    junk = [word(text, 320 + 60 * i, 1020, 40, 40, 6) for i, text in enumerate(("v", "Ti", "VS"))]
    path = layered_page(tmp_path, [*title, *junk])
    with pdfplumber.open(path) as pdf:
        assert min(c["size"] for c in pdf.pages[0].chars if c["text"] == "G") > 20
    path = layered_page(tmp_path, upright)
    with pdfplumber.open(path) as pdf:
        assert max(c["size"] for c in pdf.pages[0].chars if c["text"] == "C") > 10


def test_a_speck_read_as_a_letter_does_not_set_its_lines_height(tmp_path: Path) -> None:
    """QA165 F2: on a blurred, noisy 150 dpi scan Tesseract's word boxes took in the noise about each line, ~50 px
    for lines 37 px apart, so that every edge of a line's words lay on a box of the line above or below (and was not
    trusted) but those of a 2 px speck it read as "ˆ": the line was set 2 px tall on the speck's bottom, ~10 px under
    the line above, and pdftotext gave its words one to a line (135 lines for 32). A speck says nothing of its
    line's edges."""
    syllables = ["công", "dân", "được", "cấp", "bản", "sao", "trích", "lục"]
    noisy = [
        word(syllables[(row + column) % len(syllables)], 150 + 90 * column, 135 + 37 * row, 70, 52, row + 1)
        for row in range(8)
        for column in range(8)
    ]
    noisy.insert(20, word("ˆ", 150 + 90 * 8, 135 + 37 * 2 + 6, 2, 2, 3))  # at the end of the third line
    path = layered_page(tmp_path, noisy)
    with pdfplumber.open(path) as pdf:
        sizes = [c["size"] for c in pdf.pages[0].chars if not c["text"].isspace()]
    assert min(sizes) > 37 * 0.5 * 72 / DPI, sorted(sizes)[:5]  # no line set a few pixels tall
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert len([line for line in text.splitlines() if line.strip()]) == 8, text


def test_one_tall_box_of_a_two_word_line_does_not_make_the_other_a_speck(tmp_path: Path) -> None:
    """QA169 F3: a photo's junk line of two words as sohoa reads OCRmyPDF's baiona_color.jpg, "ae" in a box 55 px
    tall and "ẳn" 9 px: the median of two is their mean, under which "ẳn" was a speck with no say, and the line was
    set 28 pt tall, past the page's foot and over two other lines, where it had been 4.6 pt. A speck is told among
    three words or more."""
    words = [word("ae", 460, 620, 70, 55, 1), word("ẳn", 543, 655, 69, 9, 1)]
    path = layered_page(tmp_path, words)
    with pdfplumber.open(path) as pdf:
        sizes = [c["size"] for c in pdf.pages[0].chars if not c["text"].isspace()]
    assert max(sizes) < 55 * 0.5 * 72 / DPI, sizes
