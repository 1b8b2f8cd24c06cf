"""Is this page's OCR good enough to archive without a person looking at it?

Two signals: Tesseract's mean word confidence, and the share of words that are real Vietnamese syllables
(a page read with the wrong orientation, or a photo, yields confident-looking nonsense).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import numpy as np
    from PIL import Image

LOW_CONFIDENCE = 70.0
# the bar for a page read in another language (ocr.pipeline._read_in_other_language), which no lexicon weighs: an
# English letter of poor print read 116 words right of 210 at confidence 76 (QA118); English pages read well, 85–96
OTHER_LANGUAGE_LOW_CONFIDENCE = 80.0
MIN_LEXICON_SHARE = 0.75
MIN_WORDS_FOR_LEXICON = 10
# A page read in Vietnamese past both bars, yet under both of these together, is ``low`` too (``middling_read``):
# many of its words misread, each one a little (QA151 F7: light print at the edge of legibility read 74-87 % of its
# words right with confidence 71-83 and 92-96 % of them Vietnamese, `good`, archived unreviewed; faint print is
# misread into other syllables, hại → hai: QA152 F2 83 % right at 81.7 and 96.3 %). Measured 2026-12-07: QA151's
# pages `good` with 88 % of their words right or more, 54 of them, were each read with confidence 84 or more, or 97 %
# Vietnamese words, one (88 %) at 84.4 and 97.8 %; QA152's 82 pages read 95 % right or more (decisions, ID cards,
# invoices, name lists, bilingual contracts: 88-95 % of their words Vietnamese syllables), 90.7 or more; the bench's
# 170 pages of court precedents (clean, scan-like, 200 and 150 dpi blurred and noisy: 90-98 % of their words right)
# 91 or more and 98 %; the samples and the real decrees' scans 91 and 97 %
MIDDLING_CONFIDENCE = 85.0
MIDDLING_LEXICON_SHARE = 0.98
# ... or under both of these: a tenth of its words no syllable at all, read with confidence under 88 — a faint till
# receipt read straightened, "PHIÊÚ TH", "Sô/ 999125", "Nguyêñ", "tiêà" (87.8, 87.5 %), was `good` once a band of
# paper under it was no longer read as junk that pulled its confidence down (QA174). None of the 1,068 pages read
# `good` in QA159-QA176's outputs lies under both; the nearest, 89.4 and 88.9 %, 86.0 and 90.0 %
MISREAD_CONFIDENCE = 88.0
MISREAD_LEXICON_SHARE = 0.90
# ... and a page of fewer words than MIN_WORDS_FOR_LEXICON, but this many or more, is weighed so too: an
# appointment slip's title alone, "GIẤY HẸN TRẢÁ KẾT QUÁ" (2 of 5 words wrong, one no syllable) read at 81 was
# `good`, its share of syllables not weighed (QA171 N5)
MIN_WORDS_FOR_MIDDLING = 3
GOOD, LOW, BLANK = "good", "low", "blank"
TOO_SMALL = "too_small"  # a page too small to be a scan, kept as it is and not read (ocr.inputs.SmallPage)

# A blank page: the back of a sheet in a duplex scan, a separator sheet's back, a blank sheet left in a stack. Told
# by its image, not by what OCR made of it (a photo or an upside-down page reads as no words too): the page seen at
# BLANK_DPI, its outer BLANK_MARGIN (a scanner's dark edge) left out, a 3×3 median filter (despeckle: dust and
# scanner noise are a pixel or two there), and then at most BLANK_INK_SHARE of its pixels darker than BLANK_INK.
# Measured (QA52 stacks, samples/make_samples.py scans at 150–300 dpi): a blank back has 0 such pixels of ~870 000
# on A4; the least ink a page can carry, one 11 pt page number "2", has 9 (300 dpi) to 20 (200 dpi); a word, ~75.
BLANK_DPI = 100
BLANK_MARGIN = 0.025
BLANK_INK = 160
BLANK_INK_SHARE = 0.000005  # ~4 pixels of an A4 page at BLANK_DPI
# A page with this little ink (a page number, a word or two, a mark: ~170 pixels of an A4 page at BLANK_DPI) is read
# with its paper made white (ocr.preprocess.paper_whitened), as a blank one is. Measured 2026-12-03 on A4 pages in the
# samples' flatbed look, "2", "12", "Ký" or "Lưu" alone (1.5e-5 to 8e-5): as scanned, Tesseract took 6–8 s over each
# and read nothing of it (or specks as "` Nà: \" :"); whitened, 0.3–0.5 s, and read "12", "Ký", "Lưu". From about
# 1.2e-4 ("Trang 2", "Đã xem") it read the page as scanned, right and in under half a second.
LITTLE_INK_SHARE = 0.0002

_WORD_RE = re.compile(r"[^\W\d_]+")


@functools.cache
def vietnamese_syllables() -> frozenset[str]:
    text = resources.files("ocr").joinpath("data/vie_syllables.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def vietnamese_word(word: str) -> bool:
    """Whether each run of letters in ``word`` (NFC) is a Vietnamese syllable ("Hà-Nội" is; "hoµ" is not)."""
    known = vietnamese_syllables()
    return all(run in known for run in _WORD_RE.findall(word.lower()))


def lexicon_share(text: str, fewest: int = MIN_WORDS_FOR_LEXICON) -> float | None:
    """Share of alphabetic words that are known Vietnamese syllables; None when there are fewer than ``fewest``."""
    words = _WORD_RE.findall(unicodedata.normalize("NFC", text).lower())
    if len(words) < fewest:
        return None
    known = vietnamese_syllables()
    return round(sum(1 for word in words if word in known) / len(words), 3)


# A page whose reading in Vietnamese has at least MARKED_MIN_WORDS words and under MARKED_FEW of them bear a
# Vietnamese mark — or, read with a confidence under LOW_CONFIDENCE, under MARKED_SOME and under MIN_LEXICON_SHARE of
# them Vietnamese syllables: an English page of poor print, on which the Vietnamese model finds more marks (QA118:
# 11.9 %; a French letter read well, 15 % marked by its own accents, stays so) — is in another language, and is read
# in that one too (ocr.pipeline._read_in_other_language).
# Measured 2026-12-05 on pages read with `vie`: of the English pages of the ScribeOCR benchmark, the words of text
# pages 0.4–2.5 % marked (4.6–7 % on a slide and pages of poor print; the specks of two charts and a form, 11–17 %,
# read with confidence 49–74); on the Vietnamese pages of the corpora and the QA inputs, no page of 30 words under
# 10 % (a table of numbers, 10 %; a dot-matrix receipt, 18 %), most 60–80 %. MARKED_SOME was 20 % until
# 2026-12-05 (fifth session): the Vietnamese model's stray marks on an English letter of poor print, with the names
# of a Vietnamese family in it, came to 22.6 % of its words (confidence 66, lexicon 0.66: QA119 F3, 322 of 515 words
# right; read in English, 483, `good`); no other page of the regression inputs read under 70 has 20–35 % of its
# words marked and a lexicon share under 0.75.
MARKED_MIN_WORDS = 30
MARKED_FEW = 0.06
MARKED_SOME = 0.3
# ... or, read with any confidence, under MARKED_SOME_SURE (a French letter read well: 15 %) and under
# MIN_LEXICON_SHARE Vietnamese: an English letter of slightly soft print read with confidence 82, 8.7 % of its words
# with the Vietnamese model's stray marks ("Thís", "soÍtware", "oí") and 65 % Vietnamese, was `low` and never read in
# English (QA149 F4: between the two rules above; read in English, clean). A Vietnamese page read so is `low` already;
# read in English too, that reading is kept only when Tesseract is surer of it and it is not Vietnamese without its
# marks (ocr.pipeline._read_in_other_language)
MARKED_SOME_SURE = 0.1
# ... and its reading in that language is kept only when under OTHER_BARE_SYLLABLES of its words are the bare form of
# a marked Vietnamese syllable: English has 14–24 % (``bare_syllables``: "the" is "thế"), Vietnamese typed without its
# marks, or a Vietnamese page read in English, 90 % and more (QA118: an unaccented page was labelled English)
OTHER_BARE_SYLLABLES = 0.6


def marked_share(text: str) -> float | None:
    """The share of ``text``'s words (runs of letters) that bear a Vietnamese mark — a tone, a hat, a horn, a breve,
    or the bar of đ; None when there are fewer than MARKED_MIN_WORDS words."""
    words = _WORD_RE.findall(unicodedata.normalize("NFC", text))
    if len(words) < MARKED_MIN_WORDS:
        return None
    return sum(1 for word in words if marked_word(word)) / len(words)


def marked_word(word: str) -> bool:
    """Whether ``word`` bears a Vietnamese mark (or any other: an accent, a diaeresis) or a đ."""
    return "đ" in word.lower() or any(unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", word))


def in_another_language(text: str, confidence: float | None = None) -> bool:
    """Whether a page read in Vietnamese as ``text`` is in another language (``marked_share`` under MARKED_FEW, or
    with a ``lexicon_share`` under MIN_LEXICON_SHARE: under MARKED_SOME_SURE, or under MARKED_SOME read with a
    ``confidence`` under LOW_CONFIDENCE)."""
    share = marked_share(text)
    if share is None or share >= MARKED_SOME:
        return False
    if share < MARKED_FEW:
        return True
    if (confidence is None or confidence >= LOW_CONFIDENCE) and share >= MARKED_SOME_SURE:
        return False
    known = lexicon_share(text)
    return known is not None and known < MIN_LEXICON_SHARE


@functools.cache
def bare_syllables() -> frozenset[str]:
    """Every Vietnamese syllable that has a mark (or a đ), with its marks taken off and đ written d ("quyết" →
    "quyet"). Only marked ones: the syllable list (Tesseract's vie word list) holds English words too ("office",
    "list", "and"), which would make English text look like Vietnamese stripped of its marks — of Tesseract's
    English test pages' words 67–85 % are in the list, 14–24 % are the bare form of a marked syllable ("the":
    "thế"), against 96–97 % of the corpora's decrees and of a copier's layer."""
    from sohoa.vietnamese import fold

    # "đi" too: its đ is its mark
    return frozenset(bare for syllable in vietnamese_syllables() if (bare := fold(syllable)) != syllable)


def bare_syllable_share(text: str) -> float | None:
    """The share of ``text``'s words (runs of letters) that are the bare form of a marked Vietnamese syllable
    (``bare_syllables``); None when there are fewer than MARKED_MIN_WORDS."""
    words = _WORD_RE.findall(unicodedata.normalize("NFC", text).lower())
    if len(words) < MARKED_MIN_WORDS:
        return None
    bare = bare_syllables()
    return sum(1 for word in words if word in bare) / len(words)


def reads_as_vietnamese_unmarked(text: str) -> bool:
    """Whether a page's reading in another language is Vietnamese without its marks (``bare_syllable_share`` at
    OTHER_BARE_SYLLABLES or more): read so, it is Vietnamese typed unaccented, or Vietnamese stripped by the other
    language's model."""
    share = bare_syllable_share(text)
    return share is not None and share >= OTHER_BARE_SYLLABLES


def ink_share(image: Image.Image, dpi: float) -> float:
    """The share of the page image's pixels that are ink (see ``BLANK_DPI``…): 0.0 for a blank page.

    A pixel is ink when the median of its 3×3 neighbourhood (edges repeated, as Pillow's MedianFilter does) is
    darker than BLANK_INK — that is, when at least 5 of those 9 pixels are: counted so, ~5 ms on an A4 page at
    BLANK_DPI, where Pillow's median filter took ~30 ms of every page read (the same shares)."""
    import numpy as np

    gray = image if image.mode == "L" else image.convert("L")
    gray = shrunk(gray, dpi, BLANK_DPI, within_blank_margins(gray))
    if gray.width < 3 or gray.height < 3:
        return 0.0
    dark = np.pad(np.asarray(gray) < BLANK_INK, 1, mode="edge").view(np.uint8)
    rows, columns = dark.shape[0] - 2, dark.shape[1] - 2
    around = np.zeros((rows, columns), dtype=np.uint8)
    for dy in range(3):
        for dx in range(3):
            around += dark[dy : dy + rows, dx : dx + columns]
    return float(np.mean(around >= 5))


def within_blank_margins(image: Image.Image) -> tuple[int, int, int, int]:
    """The box of ``image`` the blank test looks at: all but its outer BLANK_MARGIN (a scanner's dark edge)."""
    margin_x, margin_y = round(image.width * BLANK_MARGIN), round(image.height * BLANK_MARGIN)
    return margin_x, margin_y, image.width - margin_x, image.height - margin_y


def blank_image(image: Image.Image, dpi: float) -> bool:
    """Whether a page image is blank: no ink beyond scanner noise (``BLANK_INK_SHARE``)."""
    return blank_share(ink_share(image, dpi))


def blank_share(share: float) -> bool:
    """Whether a page whose ``ink_share`` is ``share`` is blank (``BLANK_INK_SHARE``)."""
    return share <= BLANK_INK_SHARE


# Marks of ink on a blank page. The blank test looks at the page at BLANK_DPI through a 3×3 median, where thin strokes
# are gone: a page number "- 2 -" printed in black at 8 pt, a signature's scribble, a ruled line, a hair are not
# there, and with nothing read on such a page it was quarantined as "no ink at all" (QA156 F3, F7) — untrue of what
# the officer sees. Such a page, its paper whitened for Tesseract (ocr.preprocess.paper_whitened), is looked at
# whole: a mark is pixels darker than MARK_INK, side by side, at least MARK_INCH (1.5 mm) across — a digit at 8 pt is
# 2.8 mm tall. Measured 2026-12-07 on the blank pages of QA150 (grain, folds, show-through, colour paper, watermarks,
# logos at 200–230, a dark scanner edge, a vignette) and QA156's negatives: none has such a mark but the pages with
# graph paper, a ruled line in grey, and hairs; the page numbers, dates, names and scribbles of QA156 printed at
# 100–190 all have (those at 200 and 215, lighter than MARK_INK, do not: blank, as before). At 215 a scanner's
# shadow along the edge of one page became a 297 mm mark.
MARK_INK = 200
MARK_INCH = 0.06


def ink_marks(image: Image.Image, dpi: float) -> bool:
    """Whether a blank page's image, its paper whitened, holds a mark of ink (``MARK_INK``, ``MARK_INCH``) within
    the blank test's margins: a page number too small or thin to read, a signature, a line, a hair."""
    import numpy as np
    from scipy import ndimage

    gray = image if image.mode == "L" else image.convert("L")
    left, top, right, bottom = within_blank_margins(gray)
    dark = np.asarray(gray)[top:bottom, left:right] < MARK_INK
    if not dark.any():
        return False
    labels, _count = ndimage.label(dark, structure=np.ones((3, 3), dtype=bool))
    least = MARK_INCH * dpi
    return any(
        max(rows.stop - rows.start, columns.stop - columns.start) >= least
        for rows, columns in ndimage.find_objects(labels)
    )


# Print the reading left out. Confidence and the lexicon judge the words read; a page with most of its print unread
# (a phone photo taken at a steep angle: 52 words of 266, at confidence 85, QA108) was "good". The page's print is
# told apart from its paper by local contrast, seen at UNREAD_DPI: a pixel PRINT_CONTRAST levels darker than the
# brightest paper within a quarter inch is ink (so faint print is ink too). Of the ink, only marks the size of
# letters count (a rule, a photo, a seal's ring, a signature's sweep do not), and only where they stand side by side
# in a row at least LINE_INCH long: a scanner's margin dots stand in a column, a speck alone. The share of those
# rows that words read leave mostly uncovered (each word's box widened by WORD_MARGIN) is ``unread_print``.
# Measured 2026-12-05 on 263 pages (the samples, vi-real-scans, QA108's and QA110's inputs, ScribeOCR's pages, the
# backlog): at most 0.02 on every page read well but a barcode slip's 0.14 and a show-through copy's 0.10; the steep
# photo 0.84, a photo a third in dark shadow 0.38 (38 % of its words lost), a page printed faintly below its dark
# lines 0.12 before it was read again darkened.
UNREAD_DPI = 100
UNREAD_ADVICE = "check it against the paper; scan it again flat and evenly lit, or photograph it straight on"
UNREAD_ADVICE_VI = "hãy đối chiếu với bản giấy; quét lại đặt phẳng, đủ sáng, hoặc chụp lại thẳng góc"
# a page whose own faint print was read among show-through from the other side of the sheet (ocr.pipeline._own_lines)
AMONG_SHOW_THROUGH = "its print read among show-through from the back of the sheet: only its clearest lines kept"
AMONG_SHOW_THROUGH_VI = "chữ của trang đọc lẫn với chữ hằn từ mặt sau tờ giấy: chỉ giữ những dòng rõ nhất"
PRINT_CONTRAST = 30
LETTER_INCH = (0.04, 0.35)  # the height of a letter's mark: 3 pt to 25 pt
LETTER_WIDTH_INCH = 1.5  # ... and its width at most (letters touching one another in a word, at UNREAD_DPI)
LETTER_GAP_INCH = 0.1  # letters this close side by side stand in one row
# ... or this close, on a page where rows so joined hold too little print to weigh (MIN_PRINT_INCH2): a typewriter's
# or a dot-matrix printer's word space is a whole 0.1-inch cell and the letters' sides, and each short Vietnamese
# syllable stood alone, under LINE_INCH: 6 of a typed page's 28 lines were rows, its faint lines went unread and
# the page `good` (QA123)
MONOSPACE_GAP_INCH = 0.16
# ... or this close, where those hold too little still: a register's cells filled in a sparse hand, its words set
# wide apart, each under LINE_INCH (QA124: a birth register's page held 1.2 square inches in rows, was not weighed,
# and its entries in light pencil, which Tesseract dropped, all 202 words, went unseen: `good`)
SPARSE_GAP_INCH = 0.25
LINE_INCH = 0.75  # (half an inch: a coarse halftone photo's dots and a pink guilloche's strokes were rows, QA110)
LINE_FILL = 0.75  # a row filled more than this with ink is a bar or a band of shadow, not letters
WORD_MARGIN = 0.08
# less print than this (about three lines) is not weighed: a share of little is noise (a table of short figures,
# whose rows are too short to count, 0.28 unread for a smudge beside it)
MIN_PRINT_INCH2 = 3.0
# A page with little ink (LITTLE_INK_SHARE darker than BLANK_INK) is read with its paper whitened
# (ocr.preprocess.paper_whitened) — unless it has this much print, faint then: whitened, a faded thermal receipt pasted
# on an A4 sheet (ink 145-200 on its own grey paper, 0.58 sq in of print) turned into a grey block, was read as a
# blank page, no word, no review (QA110); read with its faint print darkened, word for word. Its print is weighed
# from this much up. About two lines; a page number or a word alone has under a tenth of it
FAINT_PAGE_PRINT_INCH2 = 0.25
# more of the page's print unread than this: low quality. A quarter: a phone photo a third in soft shadow, 38 % of
# its words lost, weighed 0.28 (QA110); the most a page read well weighed, 0.14 (a barcode slip)
MAX_UNREAD_PRINT = 0.25
# ink in at least this share of the page's quarter-inch squares (its outer twentieth left out): the paper itself
# carries a pattern — a certificate's guilloche, a grid —, whose strokes are taken for rows of print while the
# letters, merged with its lines into marks too large to count, are not (QA110: a certificate read well, 0.81
# unread, low). Not weighed. Measured on QA110's 74 inputs and the 115 pages above: every guilloche and grid paper
# 0.99-1.00 (as a JPEG or a PDF page); pages of text 0.44-0.81, a photocopy with a dark border 0.99 — and a page
# printed from edge to edge (a chat screenshot, a crop of a few lines) 1.00, not weighed either
PATTERN_SQUARES = 0.98
# a mark of this many pixels or fewer at UNREAD_DPI (0.02 in a side) is a speck of the scan's grain, not a pattern's
# stroke: of the grain of QA119's noisy faint page 20 levels deep, 88 % of its marks were a pixel high, 96 % two
GRAIN_SPECK = 3
# more than this unread: read again, its shadow evened out or its faint print darkened (ocr.pipeline._read_again)
FAINT_REREAD = 0.08
# ... or more than FAINT_REREAD of the print seen at this lower contrast, which decides only that second reading. Body
# text in toner run very low, 220-225 on paper at 250, is under PRINT_CONTRAST at UNREAD_DPI: not seen, its page
# read 177 of 385 words and `good`; seen at 20 levels, 0.51-0.53 unread, read again darkened (QA110 F4). Not the
# bar for `low`: show-through counts at 20 levels, a duplex front read well (268 words) weighing 0.31. Measured
# 2026-12-05 on the 167 pages kept of the 263 above: that duplex front is the one page read again for it; the
# rows looked for on 50 pages instead of 48; QA110's six show-through pages 0.00-0.01
FAINTER_CONTRAST = 20
# all but this share of a page's ink within the words read: nothing unread, its rows not looked for (~15 ms a page,
# 200 in a batch 3 s of CPU outside Tesseract). Of 167 pages, 119 were so; the most unread among them 0.018, the
# faded page's ink outside its words 0.18
INK_OUTSIDE_WORDS = 0.05
# Print read only in doubt: rows of it that words read cover, but only words read with confidence under
# DOUBTFUL_CONFIDENCE. A civil-status form filled in by hand is read as clean printed labels (confidence 90-97) and
# junk over its entries ("Nø/uên 17 Thu: H2" for a name, most at 0-60): the labels carried its mean confidence over
# the bar, the junk covered the entries' rows (``unread_print`` 0.0), and a form whose every name and date was lost
# was `good` (QA122 F1: 4-11 of 62-97 entry words read; scribbled, 0 of 100). Measured on 291 files, 306 pages
# weighed (the 148 of the corpora, samples and fixtures, QA121's 57 stamped and sealed pages, QA123's 15 typed ones,
# QA122's 65 forms, the OCR bench's 42 scan-like and poor pages) and QA124's 13 signed lists, letters and forms:
# every page read well 0.10 or under (an English table of figures; a page in Vietnamese 0.07), but for the signed
# lists (below); of QA122's handwritten and scribbled forms not `low` otherwise, 15 of 20 over the bar (0.13-0.30;
# every scribbled one), the others 0.04-0.11; of its forms typed over their dots, 9 of 11. At 50 (QA124 F3), junk
# read at 50-60 counted as read surely: a form in a neat hand on ruled lines, 38 % of its entries read, weighed
# 0.10-0.11 and was `good`; at 60, 0.15-0.16. A typed page's doubtful words lie among words read well, in rows
# counted read
DOUBTFUL_CONFIDENCE = 60.0
MAX_DOUBTFUL_PRINT = 0.12
# A row read in doubt on a line whose words read with confidence WELL_READ or more are BESIDE_WELL_READ times as wide
# or more is a mark beside print read well — a signature in a payment list's "Ký nhận" column, initials —, not
# entries lost: QA124's lists signed on every row, their 322 printed words read but 1-4, weighed 0.19 and 0.18,
# `low`; 0.09 now. Its lists signed on half the rows stay `low` (0.14): beside a signature Tesseract read the
# payee's name as junk ("D1 HịLag" for "Trần Thị Lan", at 0-11). A form's label is seldom half as wide again as its
# entry: of QA122's 30 handwritten and scribbled forms, 25 weigh over the bar with this, 26 without. A handwritten
# line partly read well weighs as read: a register in a neat hand, half its entries read, 0.35 -> 0.10 (QA124 mi02),
# a handwritten letter 58 % read, 0.17 -> 0.11; and QA123's faint carbon copy, 27 % of its words wrong, 0.17 -> 0.0
WELL_READ = 85.0
BESIDE_WELL_READ = 1.5
DOUBTFUL_WHY = "handwriting, or print too poor to read"
DOUBTFUL_WHY_VI = "chữ viết tay, hoặc chữ in quá kém"
DOUBTFUL_ADVICE = "check it against the paper"
DOUBTFUL_ADVICE_VI = "hãy đối chiếu với bản giấy"
MIDDLING_WHY = "many words likely misread"
MIDDLING_WHY_VI = "nhiều chữ có thể bị đọc sai"
# an image whose EXIF orientation mirrors it (ocr.pipeline: shown and read as stored): why its page reads badly, and
# what to do, in place of the guesses above (QA132 F7: "handwriting, or print too poor to read" of a selfie's page)
MIRRORED_WHY = (
    "the image is stored mirrored (its EXIF orientation says so), its text backwards: photograph or scan it again"
)
MIRRORED_WHY_VI = "ảnh được lưu lật gương (theo hướng EXIF của ảnh), chữ bị ngược: hãy chụp hoặc quét lại"
# said in the copy's notices of such an image (ocr.pipeline), and looked for there by flows.pipeline for its low
# page's review reason
MIRRORED_NOTICE = (
    "ảnh ghi hướng EXIF là ảnh lật gương: trang được hiển thị như ảnh được lưu (lật), chữ có thể không đọc được; hãy "
    "chụp hoặc quét lại / the image's EXIF orientation is a mirror image: the page is shown as stored (mirrored), and "
    "its text may not be read; photograph or scan it again"
)


def page_overview(image: Image.Image, dpi: float) -> np.ndarray:
    """The page image in grey at UNREAD_DPI (what ``print_rows`` looks at), as an array."""
    import numpy as np

    return np.asarray(shrunk(image if image.mode == "L" else image.convert("L"), dpi, UNREAD_DPI))


def shrunk(
    image: Image.Image, dpi: float, target_dpi: float, box: tuple[int, int, int, int] | None = None
) -> Image.Image:
    """``image`` (its part ``box``, else whole) at ``target_dpi`` — as it is where that is no smaller. Where
    ``dpi`` is a whole multiple of it (300 or 200 dpi to 100), by Pillow's ``reduce`` (2.5 ms for an A4 page from
    300 dpi, where a box resize took 10-15 ms; averages of whole blocks, a last row or column part-filled); else
    by a box resize (reduced first, then resized, the averages of thin strokes moved enough to change blank
    tests)."""
    from PIL import Image as PILImage

    box = box or (0, 0, image.width, image.height)
    width, height = box[2] - box[0], box[3] - box[1]
    scale = target_dpi / dpi if dpi > 0 else 1.0
    if scale >= 1:
        return image if (width, height) == image.size else image.crop(box)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    factor = round(dpi / target_dpi)
    if factor >= 2 and abs(dpi / target_dpi - factor) < 0.01:  # (299.99 dpi is 3)
        return image.reduce(factor, box=box)
    return image.resize(size, PILImage.Resampling.BOX, box=box)


def paper_level(overview: np.ndarray, reach_inch: float = 0.25, block: int = 4) -> np.ndarray:
    """The paper's brightness around each pixel of ``overview`` (a page at UNREAD_DPI): the brightest within about
    ``reach_inch``, smoothed. Found on blocks of ``block`` × ``block`` pixels (their brightest) and spread back: the
    paper's brightness changes slowly, and a quarter-inch maximum filter over the whole overview cost 14 ms (a block
    of 1: on the overview itself, to the pixel)."""
    import numpy as np
    from PIL import Image as PILImage
    from scipy import ndimage

    height, width = overview.shape
    padded = np.pad(overview, ((0, -height % block), (0, -width % block)), mode="edge")
    # each block's brightest: of its rows, then of its columns (strided slices: a reshape's max took 5 ms)
    row_tops = functools.reduce(np.maximum, (padded[offset::block] for offset in range(block)))
    blocks = functools.reduce(np.maximum, (row_tops[:, offset::block] for offset in range(block)))
    reach = max(1, round(UNREAD_DPI * reach_inch / block))
    level = ndimage.uniform_filter(ndimage.maximum_filter(blocks, size=reach), size=reach)
    spread = PILImage.fromarray(level).resize((padded.shape[1], padded.shape[0]), PILImage.Resampling.BILINEAR)
    return np.asarray(spread)[:height, :width]


def print_depth(overview: np.ndarray, paper: np.ndarray | None = None) -> np.ndarray:
    """How many grey levels each pixel of ``overview`` (a page at UNREAD_DPI, ``page_overview``) lies under the
    paper around it (``paper_level``; or ``paper``, as ``paper_under_print`` finds it under a shadow): its ink is
    where that is PRINT_CONTRAST or more (``page_ink``)."""
    import numpy as np

    return (paper_level(overview) if paper is None else paper).astype(np.int16) - overview


def page_ink(overview: np.ndarray) -> np.ndarray:
    """Where on ``overview`` (a page at UNREAD_DPI, ``page_overview``) there is ink: PRINT_CONTRAST levels darker
    than the paper around it (``paper_level``), faint print too."""
    return print_depth(overview) >= PRINT_CONTRAST


def letter_marks(ink: np.ndarray, shortest_inch: float = LETTER_INCH[0]) -> np.ndarray:
    """The marks of ``ink`` (``page_ink``) of a letter's size (``shortest_inch`` to ``LETTER_INCH[1]`` tall, at most
    ``LETTER_WIDTH_INCH`` wide), as a mask: not a speck, nor a rule or the edge of the scanner's glass."""
    import numpy as np
    from scipy import ndimage

    marks, count = ndimage.label(ink)
    if count == 0:
        return ink
    shortest, tallest = round(shortest_inch * UNREAD_DPI), round(LETTER_INCH[1] * UNREAD_DPI)
    widest = LETTER_WIDTH_INCH * UNREAD_DPI
    letter = np.zeros(count + 1, dtype=bool)
    letter[1:] = [
        shortest <= rows.stop - rows.start <= tallest and columns.stop - columns.start <= widest
        for rows, columns in ndimage.find_objects(marks)
    ]
    return np.asarray(letter[marks])


def print_rows(ink: np.ndarray, gap_inch: float = LETTER_GAP_INCH) -> np.ndarray:
    """Where a page's print stands, of its ``ink`` (``page_ink``): rows of letter-sized marks, their gaps up to
    ``gap_inch`` closed, as a mask — none on patterned paper (``patterned``)."""
    import numpy as np
    from scipy import ndimage

    if patterned(ink):
        return np.zeros(ink.shape, dtype=bool)  # its print not told from its paper's pattern: none seen
    letters = letter_marks(ink)
    joined = ndimage.maximum_filter1d(letters.view(np.uint8), size=round(gap_inch * UNREAD_DPI), axis=1) > 0
    rows_found, count = ndimage.label(joined)
    if count == 0:
        return joined
    row = np.zeros(count + 1, dtype=bool)
    for label, (lines, columns) in enumerate(ndimage.find_objects(rows_found), start=1):
        if columns.stop - columns.start >= LINE_INCH * UNREAD_DPI:
            # the share of the row's pixels that are letters (over the whole page, ndimage.mean took 9 ms)
            inside = rows_found[lines, columns] == label
            row[label] = np.count_nonzero(letters[lines, columns] & inside) <= LINE_FILL * np.count_nonzero(inside)
    return row[rows_found]


def unread_print(
    ink: np.ndarray, words: Iterable[tuple[int, int, int, int]], dpi: float, least: float = MIN_PRINT_INCH2
) -> float | None:
    """The share of a page's print (``print_rows`` of its ``ink``) in rows that none of ``words`` — (left, top,
    width, height) in the pixels of the page image at ``dpi`` — covers, each row counted whole when words cover
    less than half of it, else not at all: show-through from the back of the sheet and a sloping line's ends stick
    out of the words read beside them (QA110: 0.12-0.15 on a page read well, read again for nothing). 0.0, its rows
    not looked for, when all but INK_OUTSIDE_WORDS of its ink lies within the words read; None for a page without
    ink, with less print than ``least`` square inches, or on patterned paper (``print_rows``)."""
    covered = words_covered(ink.shape, words, dpi)
    if (outside := _ink_outside(ink, covered)) is None or outside <= INK_OUTSIDE_WORDS:
        return None if outside is None else 0.0
    rows = _weighed_rows(ink, least)
    return None if rows is None else round(_share_uncovered(rows, covered), 3)


# Lines of print no word read covers (``unread_lines``), to be read alone: looked for where more than this share of
# a page's ink lies outside the words read (a line of 20 on a page is ~5 %); of this height (a line of 7–36 pt
# print and its marks) and this length at least
LINE_ALONE_OUTSIDE = 0.01
LINE_ALONE_INCH = (0.06, 0.5)
LINE_ALONE_LENGTH_INCH = 0.5


@dataclass(frozen=True)
class UnreadLine:
    """A row of print no word read covers (``unread_lines``), in the pixels of the page image at ``dpi``."""

    left: int
    top: int
    right: int
    bottom: int


def unread_lines(
    ink: np.ndarray,
    words: Iterable[tuple[int, int, int, int]],
    dpi: float,
    least: float = MIN_PRINT_INCH2,
    at_least: float | None = None,
) -> list[UnreadLine]:
    """The rows of a page's print (``print_rows`` of its ``ink``) that ``words`` — (left, top, width, height) in
    the pixels of the page image at ``dpi`` — cover less than half of, of a line's height (LINE_ALONE_INCH) and
    length (LINE_ALONE_LENGTH_INCH), longest first, as boxes in that image's pixels: lines Tesseract's layout
    analysis left out of the page, as it can a form's line over a dotted leader on tinted paper, read alone they
    may read well (QA174 F5: "Người nộp: Võ Thị Ngọc Trâm", the applicant, not in the record, the page `good`).
    None looked for where all but LINE_ALONE_OUTSIDE of the ink lies within the words read. Rows are weighed
    from ``least`` square inches of print (``_weighed_rows``), or, on a page with less, from ``at_least`` (a short
    list's item over a leader went unread, QA180 F4; weighed from ``at_least`` on every page, a sparse form's rows
    were taken at a finer gap and cut short, its lines read in pieces, QA181 F1)."""
    from scipy import ndimage

    covered = words_covered(ink.shape, words, dpi)
    if (outside := _ink_outside(ink, covered)) is None or outside <= LINE_ALONE_OUTSIDE:
        return []
    rows = _weighed_rows(ink, least, at_least)
    if rows is None:
        return []
    labels, _ = ndimage.label(rows)
    size = _row_sizes(labels, rows)
    uncovered = _mostly_uncovered(labels, rows, covered, size)
    scale = dpi / UNREAD_DPI
    lines = []
    for label, (down, across) in enumerate(ndimage.find_objects(labels), start=1):
        if down is None or not uncovered[label]:
            continue
        tall = (down.stop - down.start) / UNREAD_DPI
        long = (across.stop - across.start) / UNREAD_DPI
        if LINE_ALONE_INCH[0] <= tall <= LINE_ALONE_INCH[1] and long >= LINE_ALONE_LENGTH_INCH:
            box = (across.start, down.start, across.stop, down.stop)
            lines.append(UnreadLine(*(round(value * scale) for value in box)))
    return sorted(lines, key=lambda line: line.left - line.right)


def _ink_outside(ink: np.ndarray, covered: np.ndarray) -> float | None:
    """The share of a page's ``ink`` outside where words read lie (``covered``); None for a page without ink. Up to
    INK_OUTSIDE_WORDS, its rows are not looked for (~15 ms a page, 200 in a batch 3 s of CPU outside Tesseract)."""
    import numpy as np

    all_ink = np.count_nonzero(ink)
    return np.count_nonzero(ink & ~covered) / all_ink if all_ink else None


def _weighed_rows(ink: np.ndarray, least: float, at_least: float | None = None) -> np.ndarray | None:
    """A page's ``print_rows`` — of letters MONOSPACE_GAP_INCH apart where those LETTER_GAP_INCH apart hold less
    than ``least`` square inches —, or None when they hold less than that too: not weighed; or, given ``at_least``,
    the first that holds that much."""
    import numpy as np

    fewer = None
    for gap in (LETTER_GAP_INCH, MONOSPACE_GAP_INCH, SPARSE_GAP_INCH):
        rows = print_rows(ink, gap)
        held = np.count_nonzero(rows)
        if held >= least * UNREAD_DPI**2:
            return rows
        if fewer is None and at_least is not None and held >= at_least * UNREAD_DPI**2:
            fewer = rows
    return fewer


def _share_uncovered(rows: np.ndarray, covered: np.ndarray) -> float:
    """The share of print ``rows`` in rows that ``covered`` (where words read lie) covers less than half of."""
    from scipy import ndimage

    labels, _ = ndimage.label(rows)
    size = _row_sizes(labels, rows)
    return int(size[_mostly_uncovered(labels, rows, covered, size)].sum()) / int(size.sum())


def _row_sizes(labels: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each labelled row's pixels (index 0: none)."""
    import numpy as np

    return np.bincount(labels[rows], minlength=int(labels.max()) + 1)


def _mostly_uncovered(labels: np.ndarray, rows: np.ndarray, covered: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Whether each labelled row (of ``rows``, sized ``size``) is less than half ``covered``."""
    import numpy as np

    return np.bincount(labels[rows & ~covered], minlength=len(size)) > size / 2


def doubtful_print(
    ink: np.ndarray,
    words: Iterable[tuple[tuple[int, int, int, int], float]],
    dpi: float,
    least: float = MIN_PRINT_INCH2,
) -> float | None:
    """The share of a page's print (``print_rows`` of its ``ink``) in rows that ``words`` — each (box, confidence),
    its box (left, top, width, height) in the pixels of the page image at ``dpi`` — cover, but only words read with
    confidence under DOUBTFUL_CONFIDENCE: rows ``unread_print`` counts read that are read only in doubt (a form's
    handwritten entries read as junk) — but not a row on a line whose words read with confidence WELL_READ or more
    are BESIDE_WELL_READ times as wide or more. 0.0 when all but INK_OUTSIDE_WORDS of its ink lies within the words
    read surely; None when its print is not weighed (``unread_print``)."""
    from scipy import ndimage

    read = list(words)
    surely = words_covered(ink.shape, (box for box, confidence in read if confidence >= DOUBTFUL_CONFIDENCE), dpi)
    if (outside := _ink_outside(ink, surely)) is None or outside <= INK_OUTSIDE_WORDS:
        return None if outside is None else 0.0
    rows = _weighed_rows(ink, least)
    if rows is None:
        return None
    at_all = words_covered(ink.shape, (box for box, _ in read), dpi)
    labels, _ = ndimage.label(rows)
    size = _row_sizes(labels, rows)
    in_doubt = _mostly_uncovered(labels, rows, surely, size) & ~_mostly_uncovered(labels, rows, at_all, size)
    # a mark read in doubt on a line read well beside it: a signature in a list's "Ký nhận" column, initials
    scale = _unread_scale(dpi)
    well = [
        (top * scale, (top + height) * scale, width * scale)
        for (_, top, width, height), confidence in read
        if confidence >= WELL_READ
    ]
    for label, (lines, columns) in enumerate(ndimage.find_objects(labels), start=1):
        if in_doubt[label]:
            beside = sum(width for top, bottom, width in well if top < lines.stop and bottom > lines.start)
            in_doubt[label] = beside < BESIDE_WELL_READ * (columns.stop - columns.start)
    return round(int(size[in_doubt].sum()) / int(size.sum()), 3)


def _unread_scale(dpi: float) -> float:
    """From the pixels of a page image at ``dpi`` to those of the page at UNREAD_DPI (1 for a dpi not known)."""
    return UNREAD_DPI / dpi if dpi > 0 else 1.0


def words_covered(shape: tuple[int, ...], words: Iterable[tuple[int, int, int, int]], dpi: float) -> np.ndarray:
    """Where on a page at UNREAD_DPI (an array of ``shape``) ``words`` lie — (left, top, width, height) in the
    pixels of the page image at ``dpi`` —, each word's box widened by WORD_MARGIN."""
    import numpy as np

    scale = _unread_scale(dpi)
    margin = WORD_MARGIN * UNREAD_DPI
    covered = np.zeros(shape, dtype=bool)
    for left, top, width, height in words:
        covered[
            max(0, math.floor(top * scale - margin)) : math.ceil((top + height) * scale + margin),
            max(0, math.floor(left * scale - margin)) : math.ceil((left + width) * scale + margin),
        ] = True
    return covered


def print_inches(ink: np.ndarray) -> float:
    """How much print a page's ``ink`` at UNREAD_DPI holds, in square inches of ``print_rows``."""
    import numpy as np

    return float(np.count_nonzero(print_rows(ink))) / UNREAD_DPI**2


def faint_page(image: Image.Image, dpi: float) -> bool:
    """Whether a page image with little or no ink darker than BLANK_INK holds faint print (FAINT_PAGE_PRINT_INCH2),
    to be read darkened (``faint_print_darkened``) rather than with its paper whitened."""
    if image.mode == "1":
        return False
    # seen at FAINTER_CONTRAST: a receipt's thin strokes 45-60 levels under its paper at 200-300 dpi average out
    # under PRINT_CONTRAST at UNREAD_DPI (QA111: 0.0-0.14 sq in, the page blank; 0.19-0.59 at 20 levels, read 21-34
    # words of 26-39); show-through 20-30 levels deep is then read darkened too, and mirrored (ocr.pipeline), ~2 s
    ink = print_depth(page_overview(image, dpi)) >= FAINTER_CONTRAST
    # its rows across the page, or down it: a receipt scanned sideways has no row across (QA111: 0.0 sq in; 0.58
    # turned upright)
    return max(print_inches(ink), print_inches(ink.T)) >= FAINT_PAGE_PRINT_INCH2


# Print fainter still — a light photocopy, toner run out: strokes 10-15 levels under paper at 250 whose grain is as
# deep, not one pixel FAINTER_CONTRAST deep at UNREAD_DPI. Tesseract reads such a page as scanned (510 of 526 words);
# read with its paper whitened it read nothing, and the page was `blank` — alone, quarantined as "no ink at all";
# in a document, archived empty with no review (QA149 F2). Such print shows as lines: across a strip
# FAINT_STRIP_INCH wide the mean of each row (each pixel at most FAINTER_CONTRAST under the paper, so a speck of
# dust weighs little) lies FAINT_LINE_DEPTH or more under the rows around it (their brightest fifth, within
# FAINT_LINE_REACH_INCH) along a letter's height (LETTER_INCH), FAINT_LINES times; the grain averages out along a
# row. Measured 2026-12-06: QA149's faint pages, print 236-242 on 250 (grain or none), 28-32 such lines in a
# strip, the deepest 3-7 levels; a scanner's blank back as the samples look, the tests' dusty backs and a grainy
# blank page: none (0.4-1.3 levels). But show-through from the other side 12-20 levels deep, a scanner's banding, a
# pale logo or watermark show lines too (QA150 F1): lines are only where to look — whether they are print is asked
# of Tesseract (ocr.pipeline.faint_lines_legible)
FAINT_STRIP_INCH = 2.0
# ... or, where strips that wide show none, this wide: a table's short cells, a note of a few words a line, print
# 8 levels deep, dip less than FAINT_LINE_DEPTH across 2 inches of mostly paper (QA151 F2: QA151's light tables and
# three pages of print 8 levels deep showed no lines, and were `blank`; across an inch each shows its lines and is
# read). Narrower, the grain averages out less: tinted, recycled or unevenly lit blank paper shows a few such lines
# too, which the probe then reads as nothing (0.2-3.2 s more each). 2-inch strips are looked at first: in 1-inch
# strips alone a form's dotted leaders gave the lines the probe's band is cut from, and 3 of QA151's light forms
# were no longer read
FAINT_NARROW_STRIP_INCH = 1.0
# ... where a line is that much under the rows around it: intake sees a page as pdfium renders it (a light table's
# 1654 pixels across as 1655, its paper a level darker), and QA151's light table, alone between separator sheets,
# dipped just under 2 levels even across an inch there: dropped as a separator's back (F1). At 1.75 it shows 20 lines
# and is read; 14 more of QA150's and QA151's negatives show lines then, which the probe reads as nothing (0.2-3 s
# each), and QA151's light pages are taken for print as before
FAINT_NARROW_LINE_DEPTH = 1.75
FAINT_LINE_REACH_INCH = 0.6
FAINT_LINE_DEPTH = 2.0
FAINT_LINES = 3


def faint_line_rows(overview: np.ndarray) -> list[tuple[int, int]]:
    """The lines of print too faint for any of its pixels to be ink on ``overview`` (a page at UNREAD_DPI,
    ``page_overview``): the rows (top, bottom) of each, in the strip of the page (its outer BLANK_MARGIN left out)
    that holds the most, where that is FAINT_LINES or more — in strips FAINT_STRIP_INCH wide, or where those show
    none, FAINT_NARROW_STRIP_INCH (lines FAINT_NARROW_LINE_DEPTH deep) —; else none."""
    import numpy as np

    height, width = overview.shape
    paper = float(np.median(overview))
    clipped = np.clip(overview.astype(np.float32), paper - FAINTER_CONTRAST, paper)
    top, left = round(height * BLANK_MARGIN), round(width * BLANK_MARGIN)
    inside = clipped[top : height - top, left : width - left]
    for inches, depth in ((FAINT_STRIP_INCH, FAINT_LINE_DEPTH), (FAINT_NARROW_STRIP_INCH, FAINT_NARROW_LINE_DEPTH)):
        if rows := _faint_lines_in_strips(inside, round(inches * UNREAD_DPI), depth):
            return [(top + start, top + stop) for start, stop in rows]
    return []


def _faint_lines_in_strips(inside: np.ndarray, strip: int, depth: float) -> list[tuple[int, int]]:
    """``faint_line_rows`` of ``inside`` (the page's overview inside its margins, each pixel clipped to at most
    FAINTER_CONTRAST under its paper) in strips ``strip`` pixels wide, its lines ``depth`` or more under the rows
    around them."""
    from scipy import ndimage

    reach = round(FAINT_LINE_REACH_INCH * UNREAD_DPI) | 1
    shortest, tallest = (round(inch * UNREAD_DPI) for inch in LETTER_INCH)
    most: list[tuple[int, int]] = []
    for start in range(0, max(1, inside.shape[1] - strip // 2), strip):
        rows = inside[:, start : start + strip].mean(axis=1)
        around = ndimage.percentile_filter(rows, 80, size=reach, mode="nearest")
        lines, _count = ndimage.label(around - rows >= depth)
        found = [
            (line.start, line.stop)
            for (line,) in ndimage.find_objects(lines)
            if shortest <= line.stop - line.start <= tallest
        ]
        most = max(most, found, key=len)
    return most if len(most) >= FAINT_LINES else []


def letters_score(words: Iterable[tuple[str, float]]) -> float:
    """What of a page a reading got, by its letters: each word — (text, confidence) — read with confidence over 50
    whose letters make Vietnamese syllables (or that holds a number) weighs its confidence times its letters and
    digits. A crooked reading's fragments of the same text weigh no more than the words, and "€" nothing."""
    return sum(
        confidence * sum(ch.isalnum() for ch in text) for text, confidence in words if _counted(text, confidence)
    )


def _counted(text: str, confidence: float) -> bool:
    """Whether a word read counts in ``letters_score``."""
    if confidence <= 50:
        return False
    return (any(ch.isalpha() for ch in text) and vietnamese_word(text)) or any(ch.isdigit() for ch in text)


# A faint page read badly is read mirrored, left to right and top to bottom (the back of a sheet turned over its
# long or its short edge): show-through reads well so. Taken for it when that reading gets SHOW_THROUGH_MARGIN
# times as much by its letters and is good — or holds SHOW_THROUGH_WORDS words that count: very faint
# show-through read mirrored at confidence 63, its words Vietnamese (lexicon 0.92), and was sent to review as
# `low` (QA112). A page's own print mirrored reads as nothing (a receipt upside down or crooked) or no better
# (letters and digits that look the same mirrored: 0, 1, 8, "HOA")
SHOW_THROUGH_WORDS = 10
SHOW_THROUGH_MARGIN = 2.0


def reads_as_show_through(straight: Sequence[tuple[str, float]], mirrored: Sequence[tuple[str, float]]) -> bool:
    """Whether a faint page's reading mirrored (``mirrored``: each word's (text, confidence)) is show-through from
    the other side of the sheet, against its reading as it is (``straight``)."""
    if letters_score(mirrored) <= SHOW_THROUGH_MARGIN * letters_score(straight):
        return False
    if sum(1 for text, confidence in mirrored if _counted(text, confidence)) >= SHOW_THROUGH_WORDS:
        return True
    return words_quality(mirrored) == GOOD


def own_print_runs(line: Iterable[tuple[str, float]]) -> list[range]:
    """Where a line of a show-through page's reading (each word's (text, confidence), left to right) holds the page's
    own print: runs of OWN_RUN_WORDS or more side by side, each a Vietnamese word or a number read with confidence
    OWN_RUN_CONFIDENCE or more, as ranges of the words' indexes. Show-through read as it is, its letters mirrored,
    is nonsense: on the 29 such pages of QA108-QA112 (duplex backs, 168-222 on paper at 245, a page number, a
    staple's mark or a form's number beside) no run of three at 85 (at 75, "2 5v nữ"; of two at 85, "Mẫu 02",
    "2Q ĐỘ"); a note written over show-through (QA112 F5) read "Kính gửi: Phòng Tư pháp xã Đồng Tâm", "Trần Thị
    Bình" and "Ngày 12 tháng 10 năm 2025" at 96-97 among its nonsense."""
    runs: list[range] = []
    start = 0
    words = list(line)
    for index, (text, confidence) in enumerate((*words, ("", 0.0))):
        if confidence >= OWN_RUN_CONFIDENCE and _plain_word(text):
            continue
        if index - start >= OWN_RUN_WORDS:
            runs.append(range(start, index))
        start = index + 1
    return runs


def _plain_word(text: str) -> bool:
    """Whether ``text`` is a Vietnamese word or a number (with its punctuation): letters or digits, no others."""
    return any(character.isalnum() for character in text) and vietnamese_word(text)


OWN_RUN_WORDS = 3
OWN_RUN_CONFIDENCE = 85.0


def words_quality(words: Sequence[tuple[str, float]]) -> str:
    """``page_quality`` of a reading given as its words' (text, confidence): by their mean confidence and text."""
    confidence = sum(c for _, c in words) / len(words) if words else None
    return page_quality(confidence, " ".join(text for text, _ in words))[0]


def patterned(ink: np.ndarray) -> bool:
    """Whether ``ink`` (a page's ink at UNREAD_DPI) reaches PATTERN_SQUARES of its quarter-inch squares (3 pixels
    or more in each), its outer twentieth left out, with its specks (GRAIN_SPECK) left out too: paper that carries
    a pattern. A noisy scan's grain is specks everywhere, not a pattern (QA119: faint 8 pt print at 150 dpi, its
    grain 20 levels deep in every square, was taken for patterned paper, no print seen, and called blank); a
    guilloche's and a grid's strokes are lines, and stay."""
    return _squares_inked(ink) and _squares_inked(_specks_dropped(ink))


def _specks_dropped(ink: np.ndarray) -> np.ndarray:
    """``ink`` without its marks of GRAIN_SPECK pixels or fewer."""
    import numpy as np
    from scipy import ndimage

    marks, count = ndimage.label(ink)
    size = np.bincount(marks.ravel(), minlength=count + 1)
    kept = size > GRAIN_SPECK
    kept[0] = False
    return kept[marks]


def _squares_inked(ink: np.ndarray) -> bool:
    """Whether ``ink`` reaches PATTERN_SQUARES of its quarter-inch squares (``patterned``)."""
    import numpy as np

    side = max(1, UNREAD_DPI // 4)
    edge_y, edge_x = ink.shape[0] // 20, ink.shape[1] // 20
    inner = ink[edge_y : ink.shape[0] - edge_y, edge_x : ink.shape[1] - edge_x]
    rows, columns = inner.shape[0] // side, inner.shape[1] // side
    if rows == 0 or columns == 0:
        return False
    squares = inner[: rows * side, : columns * side].reshape(rows, side, columns, side)
    inked = np.count_nonzero(squares, axis=(1, 3)) >= 3
    return bool(inked.mean() >= PATTERN_SQUARES)


def faint_print_darkened(image: Image.Image, dpi: float, grain: float | None = None) -> Image.Image:
    """The page image in grey with its paper made even and its faint print dark: each pixel's depth under the paper
    around it (the brightest within DARKENED_PAPER_INCH, smoothed, at UNREAD_DPI and spread back) stretched so
    that FAINT_DEPTH of the paper's brightness is black. Toner run low leaves print at 200 on paper at 244, which
    Tesseract's threshold drops with the paper (QA108: the lower 60 % of a page not read); darkened so, it was
    read right. A noisy scan's grain is stretched with its print, black specks everywhere (``patterned``): such a
    page is darkened from its image smoothed first (``grain_smoothed``; softened less where its print lies far
    deeper than a fine grain, PRINT_OVER_GRAIN), when that clears them. ``grain``: its ``paper_grain``, where the
    caller has weighed it."""
    import numpy as np
    from PIL import ImageFilter

    gray = image if image.mode == "L" else image.convert("L")
    darkened = _darkened(gray, dpi)
    ink = page_ink(page_overview(darkened, dpi))
    grain = paper_grain(gray) if grain is None else grain
    # print far deeper than a fine grain is read through a light blur (PRINT_OVER_GRAIN), which keeps a hook
    softly = grain >= GRAINY_PAPER and print_depth_reached(gray, dpi) >= PRINT_OVER_GRAIN * grain
    if patterned(ink):
        softened = (gray.filter(ImageFilter.GaussianBlur(GRAIN_SOFTENING_PIXELS)),) if softly else ()
        for smoothed_gray in (*softened, grain_smoothed(gray, dpi)):
            smoothed = _darkened(smoothed_gray, dpi)
            # grain smoothed is mostly gone, while a guilloche's or a grid's lines, blurred, are more ink than before
            if np.count_nonzero(page_ink(page_overview(smoothed, dpi))) <= GRAIN_CLEARED * np.count_nonzero(ink):
                return smoothed
        return darkened
    if grain >= GRAINY_PAPER:
        # grain too fine to show in the overview's ink, yet stretched with the print it is speckle everywhere to
        # Tesseract's layout analysis (QA151 F4: print 20 levels deep under a grain of 5, at 200 and 300 dpi, read
        # no word darkened so): darkened from its median — or, print far deeper than the grain, softened less
        if softly:
            return _darkened(gray.filter(ImageFilter.GaussianBlur(GRAIN_SOFTENING_PIXELS)), dpi)
        return _darkened(gray.filter(ImageFilter.MedianFilter(GRAIN_MEDIAN_PIXELS)), dpi)
    return darkened


def print_depth_reached(gray: Image.Image, dpi: float) -> float:
    """How deep under its paper the deepest of a page's print lies, in levels: the 99.5th percentile of
    ``print_depth`` on its overview (``gray``, a page at ``dpi``)."""
    import numpy as np

    return float(np.percentile(print_depth(page_overview(gray, dpi)), 99.5))


def paper_grain(gray: Image.Image) -> float:
    """How grainy ``gray`` (a page image in grey) is, in levels: the median of each pixel's distance from the
    median of the GRAIN_MEDIAN_PIXELS square around it, in a band GRAIN_BAND_SHARE of the page tall across its
    middle (mostly paper, each pixel's distance its grain). Clean paper, a flatbed's or a JPEG's, is 0 to 1; grain
    of a standard deviation of 3 levels is 2."""
    import numpy as np
    from PIL import ImageFilter

    top = round(gray.height * (1 - GRAIN_BAND_SHARE) / 2)
    band = gray.crop((0, top, gray.width, top + max(GRAIN_MEDIAN_PIXELS, round(gray.height * GRAIN_BAND_SHARE))))
    smoothed = np.asarray(band.filter(ImageFilter.MedianFilter(GRAIN_MEDIAN_PIXELS)), dtype=np.int16)
    return float(np.median(np.abs(np.asarray(band, dtype=np.int16) - smoothed)))


def faint_lines_darkened(image: Image.Image, dpi: float, *, blurred: bool = False) -> Image.Image:
    """A page of print too faint for any pixel to be ink (``faint_line_rows``) in grey, darkened
    (``faint_print_darkened``) from its image with each pixel the median of the GRAIN_MEDIAN_PIXELS square around
    it, whatever its grain — or, ``blurred``, its image blurred by GRAIN_BLUR_PIXELS —, and what is left of the
    grain then made white (FAINT_LINES_PAPER_DEPTH): print so faint lies no deeper than its paper's grain, and
    darkened as scanned the grain is speckle to Tesseract's layout analysis."""
    from PIL import ImageFilter

    gray = image if image.mode == "L" else image.convert("L")
    smoothing = (
        ImageFilter.GaussianBlur(GRAIN_BLUR_PIXELS) if blurred else ImageFilter.MedianFilter(GRAIN_MEDIAN_PIXELS)
    )
    darkened = _darkened(gray.filter(smoothing), dpi)
    # what is left of the grain made white: on a page of a few such lines, mostly paper, its faint speckle kept
    # Tesseract's layout analysis from finding any text (QA151 F3)
    paper = 255 - round(FAINT_LINES_PAPER_DEPTH / FAINT_DEPTH * 255)
    return darkened.point(lambda value: 255 if value >= paper else value)


# Measured 2026-12-06 on QA150's light photocopies (print at 236 or 240 on paper at 250, a grain of 3 levels): saved
# without loss (PNG, TIFF at 200 dpi) and darkened as scanned, Tesseract found no text on the page (0 words of 526;
# the same page as a JPEG, its grain smoothed by the compression, was read): the page `low`, empty. With a median of 3
# pixels, 526-536 read at 150, 200 and 300 dpi, JPEG or not (at 240 on 150 dpi, none before); a Gaussian blur
# (``grain_smoothed``) lost the 150 dpi pages' thin strokes (153 and 0 words). 0.6 s an A4 page at 300 dpi
GRAIN_MEDIAN_PIXELS = 3
# ... or where the grain is deeper still, its image blurred by this many pixels (a Gaussian's standard deviation),
# where the probe's band reads better so (ocr.pipeline.FAINT_GRAIN_UNSURE_SHARE). Measured 2026-12-07 on
# QA152's pages of print 16-20 levels deep under a grain of 5-7 (paper_grain 3) at 150 and 200 dpi: from the median
# Tesseract read 0-76 words right of 953 (`blank`, or `low`); blurred by 1 pixel 749-860 (0.85: 491-865; 1.2:
# 482-757; 1.4: 170-555). The median keeps thin strokes a blur loses where the grain is finer (QA150's)
GRAIN_BLUR_PIXELS = 1.0
# ... and a pixel of it less than this much under its paper (a share of its brightness) is paper. Measured
# 2026-12-06 on QA151's notes of 3 and 6 lines of such print (200 dpi, print 14 levels under paper at 250, grain of
# 3): Tesseract found no text on the page (0 of 30 and 65 words) but read every word made so (30, 65); its full
# pages read as before (458 of 458), and the probe took 11 more of its 116 light pages for print. At 150 dpi thin
# strokes lose a little (a 9 pt page 583 -> 530 words right of 791); at 2 % the speckle stayed, and that page was not
# even taken for print. 3 % of paper at 250 is 7.5 levels: print 10 levels deep stays
FAINT_LINES_PAPER_DEPTH = 0.03
# A page whose paper is this grainy (``paper_grain``, in levels) is darkened from its median by
# ``faint_print_darkened`` too. Measured 2026-12-07: QA151's light pages of print 20 deep, grain of 3, 5 or 7: 2
# (grain 3) and 3 (grain 5 and 7); the samples' scans, the real decrees' JPEGs in vi-real-scans, the suite's
# toner-run-low page (scattered specks on clean paper): 0. Read so, print 20 deep under grain 5 at 200 and 300 dpi
# read 452 and 456 words of 458 (none before), under grain 7 at 300 dpi 416 in 5 s (14 junk words in 121 s), a
# light table 211 of 215 (189), a pale emblem its words, SỞ TƯ PHÁP (none, `low`); the others as before
GRAINY_PAPER = 2.0
# ... but where its print lies this many times deeper than the grain (the 99.5th percentile of ``print_depth``
# against ``paper_grain``), through a Gaussian blur of GRAIN_SOFTENING_PIXELS: the median took the hook off ô, ê and
# â (QA171 N3: a pale copy, print at 175 on paper at 238 under a grain of 4, 200 dpi, read Cổ → Cố, Bổ → Bố, Thể →
# Thế, sổ → số, khẩu → khấu: 18 words wrong, CER 1.45 %, where Tesseract alone read 0.15 %). Measured 2026-12-07
# with Tesseract on the darkened pages: QA171's five faint pages (print ~70 deep, grain 4: ratio ~17) 0.15-2.28 %
# CER from the median, 0.00-2.47 % blurred (the hook page 0.99 → 0.00 %); its five fainter ones (print ~41, grain
# 3: ~14) 6.2 and 6.4 % summed, the same; QA150-152's light photocopies (print 16-27 under grain 2-3: 8-10) read
# 309-329 words from the median and none blurred — they stay on it
PRINT_OVER_GRAIN = 12.0
GRAIN_SOFTENING_PIXELS = 0.7
GRAIN_BAND_SHARE = 0.25  # (a quarter of the page: 0.1 s at 300 dpi)
# The share of the marks of a page of print fainter than ink, darkened, made black by ``print_made_black``: its
# print's darkest (on QA151's light forms, print 14 levels deep, at 177 darkened) ...
PRINT_BLACK_SHARE = 0.01
# ... unless they are this light: no print, what is left of the grain
PRINT_BLACK_LIGHTEST = 250


def _darkened(gray: Image.Image, dpi: float) -> Image.Image:
    """``gray`` darkened (``faint_print_darkened``)."""
    import numpy as np
    from PIL import Image as PILImage

    level = paper_level(page_overview(gray, dpi), DARKENED_PAPER_INCH, block=1)  # (to the pixel: ~5 ms)
    paper = PILImage.fromarray(level.astype(np.float32))
    paper = paper.resize(gray.size, PILImage.Resampling.BILINEAR)
    depth = 1 - np.asarray(gray, dtype=np.float32) / np.maximum(np.asarray(paper), 1)
    darkened = 255 - np.clip(depth / FAINT_DEPTH, 0, 1) * 255
    return PILImage.fromarray(darkened.astype(np.uint8), mode="L")


def print_made_black(image: Image.Image) -> Image.Image:
    """``image`` (grey: a page darkened with its paper made white, ``faint_lines_darkened``) stretched so that the
    darkest PRINT_BLACK_SHARE of its pixels that are not white are black (where they are darker than
    PRINT_BLACK_LIGHTEST), white staying white. Darkened, faint print is grey still — from its median, at 177 at the
    darkest on QA151's light forms, print 14 levels under its paper — and a form's dotted leaders are then too pale
    for ``ocr.preprocess.leaders_dropped`` to see: Tesseract read them as junk, and the probe
    (``ocr.pipeline.faint_lines_legible``) took the forms for no print."""
    import numpy as np

    gray = image if image.mode == "L" else image.convert("L")
    values = np.asarray(gray)
    marked = values[values < 255]
    if marked.size == 0:
        return gray
    darkest = float(np.percentile(marked, PRINT_BLACK_SHARE * 100))
    if darkest <= 0 or darkest >= PRINT_BLACK_LIGHTEST:
        return gray
    stretch = 255 / (255 - darkest)
    return gray.point(lambda value: max(0, round(255 - (255 - value) * stretch)))


def grain_smoothed(image: Image.Image, dpi: float) -> Image.Image:
    """``image`` (grey), blurred by GRAIN_BLUR_INCH: a noisy scan's grain averaged out before its faint print is
    darkened (``faint_print_darkened``), which would stretch the grain with the print."""
    from PIL import ImageFilter

    return image.filter(ImageFilter.GaussianBlur(GRAIN_BLUR_INCH * dpi))


@dataclass(frozen=True)
class PaperSeen:
    """A page image as the evening of its paper sees it (``paper_seen``): once for a page read again, whether its
    shadow or its tinted areas are evened, and its print then weighed against that paper."""

    gray: Image.Image  # the page image in grey
    dpi: float
    overview: np.ndarray  # ``page_overview``
    paper: np.ndarray  # ``paper_under_print`` of the overview


def paper_seen(image: Image.Image, dpi: float) -> PaperSeen:
    """``image`` (a page at ``dpi``) in grey, its overview and the paper under its print."""
    gray = image if image.mode == "L" else image.convert("L")
    overview = page_overview(gray, dpi)
    return PaperSeen(gray=gray, dpi=dpi, overview=overview, paper=paper_under_print(overview))


def shadow_evened(
    seen: PaperSeen, words: Iterable[tuple[int, int, int, int]] = (), *, unread_there: float = 0.0
) -> Image.Image | None:
    """The page image in grey with the shadow over its paper taken out — each pixel in the shadow divided by the
    paper under it (``paper_under_print``), so that paper is white and print keeps its share of the paper's
    brightness — or None when the page has no shadow, or the print ``words`` (each word's (left, top, width,
    height) in the image's pixels) leave unread lies mostly outside it. A shadow is paper SHADOW_DEPTH darker than
    the page's brightest reaching the page's edge (within SHADOW_BORDER_INCH: a photo, a black bar, a banner, a
    title box inside the page are not; evened, their white letters went white on white, and a faint page's dark
    photo had it evened instead of darkened, QA115), over SHADOW_SHARE of the page or more; what is evened is it
    and SHADOW_EDGE_INCH around it; None too when no more than ``unread_there`` of the print in it is left unread.
    A phone photo a third in soft shadow (paper at 56 there, print at ~15) was read 239 words of 385: Tesseract's
    one threshold for the page took the shadow for ink and found no line in it. Evened, 383. Darkened instead
    (``faint_print_darkened``), the shadow's grain is stretched with its print into speckle: 195."""
    import numpy as np

    shadow_below = (1 - SHADOW_DEPTH) * float(np.percentile(seen.paper, 99))
    shadow = _reaching_the_edge(seen.paper < shadow_below, round(SHADOW_BORDER_INCH * UNREAD_DPI))
    if shadow_below <= 0 or np.mean(shadow) < SHADOW_SHARE:
        return None
    return _paper_evened(seen, shadow, shadow_below, words, unread_there)


def tint_evened(seen: PaperSeen, words: Iterable[tuple[int, int, int, int]] = ()) -> Image.Image | None:
    """The page image in grey with its light tinted areas evened out, as ``shadow_evened`` evens a shadow: areas of
    paper TINT_DEPTH or more darker than the page's brightest but no darker than TINT_FLOOR of it, anywhere on the
    page, over TINT_SHARE of it or more — or None when it has none, or the print ``words`` leave unread lies mostly
    outside them. A colour copy of an ID card's two sides on an A4 sheet (its pattern at 200-230 on white paper)
    read no word: Tesseract's one threshold for the page, between the white paper and the rest, took each card
    for ink (QA108's CCCD). Dark boxes are not evened: white letters on them would go white on white (QA115)."""
    import numpy as np

    brightest = float(np.percentile(seen.paper, 99))
    tinted = (seen.paper < (1 - TINT_DEPTH) * brightest) & (seen.paper >= TINT_FLOOR * brightest)
    if brightest <= 0 or np.mean(tinted) < TINT_SHARE:
        return None
    return _paper_evened(seen, tinted, (1 - SHADOW_DEPTH) * brightest, words, 0.0)


def _paper_evened(
    seen: PaperSeen,
    area: np.ndarray,
    shadow_below: float,
    words: Iterable[tuple[int, int, int, int]],
    unread_there: float,
) -> Image.Image | None:
    """The page (``seen``) in grey with ``area`` (a mask of its overview) and SHADOW_EDGE_INCH around it divided by
    the paper under it, its paper below ``shadow_below`` smoothed first; None when the print ``words`` leave unread
    lies mostly outside, or no more than ``unread_there`` of the print there is left unread (``shadow_evened``)."""
    import numpy as np
    from PIL import Image as PILImage
    from PIL import ImageFilter
    from scipy import ndimage

    gray, dpi, overview, paper = seen.gray, seen.dpi, seen.overview, seen.paper

    zone = ndimage.binary_dilation(area, iterations=max(1, round(SHADOW_EDGE_INCH * UNREAD_DPI)))
    # print in a dark shadow is a share of its paper's brightness, as little as 27 levels under paper at 37
    ink = paper - overview >= np.minimum(PRINT_CONTRAST, SHADOW_PRINT * paper)
    unread = ink & ~words_covered(ink.shape, words, dpi)
    unread_in_zone = np.count_nonzero(unread & zone)
    if unread_in_zone == 0 or unread_in_zone < SHADOW_UNREAD * np.count_nonzero(unread):
        return None  # what is left unread is elsewhere: faint print on lit paper, to be read darkened
    if unread_in_zone <= unread_there * np.count_nonzero(ink & zone):
        return None  # (asked only if enough of the print in the shadow is left unread: ``unread_there``)
    spread = np.asarray(PILImage.fromarray(paper).resize(gray.size, PILImage.Resampling.BILINEAR))
    in_zone = np.asarray(PILImage.fromarray(zone).resize(gray.size, PILImage.Resampling.NEAREST))
    pixels = np.asarray(gray, dtype=np.float32)
    # the shadow's grain is stretched as much as its print: smoothed there first (a JPEG saved again, its grain
    # σ 6.7 on paper at 37, evened unsmoothed, read 196 words of 385; smoothed, 378 — and the lit part as scanned)
    smoothed = np.asarray(gray.filter(ImageFilter.GaussianBlur(SHADOW_BLUR_INCH * dpi)), dtype=np.float32)
    pixels = np.where(in_zone & (spread < shadow_below), smoothed, pixels)
    evened = np.where(in_zone, pixels * (255 / np.maximum(spread, 1)), pixels)
    return PILImage.fromarray(np.clip(evened, 0, 255).astype(np.uint8), mode="L")


def maybe_in_shadow(overview: np.ndarray) -> bool:
    """Whether a page (``overview``, at UNREAD_DPI) may be partly in shadow, as ``shadow_evened`` finds one, told
    in ~2 ms from the brightest of each block of SHADOW_BLOCK_INCH (paper, but in heavy print): SHADOW_SHARE of
    them or more SHADOW_DEPTH darker than the brightest, reaching the page's edge. Such a page is read again when
    the print left unread lies in its shadow, though it weighs too little to be (ocr.pipeline._read_again): Tesseract
    reads each line into a diagonal shadow up to its edge, and the row counts as read (QA115: 320-341 words of 385
    right, `good`; evened, 383)."""
    import numpy as np

    side = max(1, round(SHADOW_BLOCK_INCH * UNREAD_DPI))
    rows, columns = overview.shape[0] // side, overview.shape[1] // side
    if rows < 3 or columns < 3:
        return False
    blocks = overview[: rows * side, : columns * side].reshape(rows, side, columns, side).max(axis=(1, 3))
    dark = blocks < (1 - SHADOW_DEPTH) * float(np.percentile(blocks, 99))
    return bool(np.mean(_reaching_the_edge(dark, round(SHADOW_BORDER_INCH / SHADOW_BLOCK_INCH))) >= SHADOW_SHARE)


def _reaching_the_edge(mask: np.ndarray, near: int) -> np.ndarray:
    """The parts of ``mask`` that reach within ``near`` pixels (at least one) of its edge (a page straightened has
    white wedges along its edges)."""
    import numpy as np
    from scipy import ndimage

    labels, _count = ndimage.label(mask)
    near = max(1, near)
    edges = np.concatenate(
        (labels[:near].ravel(), labels[-near:].ravel(), labels[:, :near].ravel(), labels[:, -near:].ravel())
    )
    return np.isin(labels, edges[edges > 0])


def paper_under_print(overview: np.ndarray) -> np.ndarray:
    """The paper's brightness under each pixel of ``overview`` (a page at UNREAD_DPI), as float32: the page closed
    over SHADOW_PAPER_INCH (the brightest within it, then the darkest of those), which fills in print thinner than
    that and leaves a shadow's edge where it is — the brightest alone (``paper_level``) carries the lit paper that
    far into the shadow, where its paper then reads as ink. Smoothed over SHADOW_GRAIN_INCH first: the brightest of
    a shadow's grain lies well above its paper (a phone JPEG's shadow at 37, its grain σ 7, was found at ~49 and
    stayed grey and grainy evened: two bands of it read 211 words of 312, smoothed 312); and after, lightly: the
    paper changes slowly."""
    from scipy import ndimage

    reach = max(3, round(UNREAD_DPI * SHADOW_PAPER_INCH))
    smoothed = ndimage.gaussian_filter(overview.astype("float32"), sigma=UNREAD_DPI * SHADOW_GRAIN_INCH)
    closed = ndimage.grey_closing(smoothed, size=(reach, reach))
    return ndimage.uniform_filter(closed, size=3)


# Paper at least SHADOW_DEPTH darker than the page's brightest (a share of its brightness), reaching the page's edge,
# over at least SHADOW_SHARE of the page, is a shadow to be evened out when the page is read again
# (ocr.pipeline._read_again)
SHADOW_DEPTH = 0.3
SHADOW_SHARE = 0.05
# print strokes thinner than this are filled in to find the paper under them: a bold 20 pt heading's are ~0.04 inch
SHADOW_PAPER_INCH = 0.1
SHADOW_BLUR_INCH = 0.004  # the shadow smoothed over this much (0.8 px at 200 dpi) before it is evened
SHADOW_EDGE_INCH = 0.25  # the shadow's soft edge, evened with it
# a shadow reaches this near the page's edge: a page straightened 3° has white wedges along its edges, up to a third
# of an inch deep on A4 (QA115: a shadow so cut off from the edge was left, 261 words of 385 read; evened, 384)
SHADOW_BORDER_INCH = 0.5
SHADOW_PRINT = 0.5  # print in a shadow: this share of its paper's brightness darker, or PRINT_CONTRAST levels
SHADOW_UNREAD = 0.5  # this much of the print left unread in the shadow, or the page is read darkened instead
SHADOW_BLOCK_INCH = 0.16  # (``maybe_in_shadow``) wider than print's strokes, narrower than the gaps between lines
# ... and a page not weighed as unread enough to be read again is read again evened when this share of the print in
# its shadow is left unread (QA115: lines read into a shadow up to its edge)
SHADOW_UNREAD_THERE = 0.1
SHADOW_GRAIN_INCH = 0.01  # (0.015-0.02: text on a heavy grey panel lost 7 words of 385 more)
# Paper TINT_DEPTH or more darker than the page's brightest, but no darker than TINT_FLOOR of it, over TINT_SHARE of
# the page or more: light tinted areas (a card's printed pattern, a tinted panel) to be evened when a page without a
# shadow is read again, before it is read darkened (ocr.pipeline._read_again)
TINT_DEPTH = 0.08
TINT_FLOOR = 0.6
TINT_SHARE = 0.05

FAINT_DEPTH = 0.25  # print this much darker than its paper (a share of its brightness) is made black
# the paper darkened print is measured against: the brightest within a twelfth of an inch. Within a quarter inch
# (``paper_level``), a table's grey-shaded row (a fifth of an inch tall) was measured against the white paper above
# it and made black, its text with it (QA110: a header row and group rows lost); a shaded row is paper to its own
# text now. Print's strokes have paper that near them, in and between their letters
DARKENED_PAPER_INCH = 1 / 12
# A faint page whose grain, darkened, is black specks everywhere is darkened from its image blurred this much first
# (a Gaussian's deviation: 1 px at 150 dpi, 2 at 300). Of 12 noisy faint pages made as QA119 made its own (grain
# 8-30 levels deep), darkened as scanned, Tesseract read no word on 8; blurred first, 46-244 of 244 words right on
# each (figures in ocr/README.md). Not every faint page: without grain the blur loses a few words (a receipt's 32 of 39
# → 29, QA111)
GRAIN_BLUR_INCH = 1 / 150
# ... when that leaves at most this share of its ink: QA119's grain 0.07-0.42 of it, and a noisy 100 dpi scan's 0.87
# (QA108, left as it is); the guilloches, grids and hatching of QA110-QA113 1.16-2.65 (their lines blurred wider)
GRAIN_CLEARED = 0.5


def page_quality(
    confidence: float | None,
    text: str,
    unread: float | None = None,
    *,
    vietnamese: bool = True,
    doubtful: float | None = None,
    recorded: bool = False,
    own_words: bool = False,
) -> tuple[str, float | None]:
    """(``good`` or ``low``, lexicon share) for an OCR'd page; ``unread``: the share of its print no word read
    covers (``unread_print``), and ``doubtful``: the share read only in doubt (``doubtful_print``), when weighed. A
    page read in another language (``vietnamese`` false: an English letter in a civil-status file) is not weighed by
    the Vietnamese lexicon: its share is None, and its confidence bar is OTHER_LANGUAGE_LOW_CONFIDENCE.
    ``recorded``: the quality the page is recorded with, ``low`` too where it is read ``middling_read`` (not where a
    reading is weighed to be read again, or a page between separator sheets to be kept as text). ``own_words``:
    ``text`` holds words of the page's own text (not Tesseract's): no words read is then no page without words."""
    share = lexicon_share(text) if vietnamese else None
    low = (confidence is not None and confidence < confidence_bar(vietnamese)) or (
        share is not None and share < MIN_LEXICON_SHARE
    )
    low = low or (unread is not None and unread > MAX_UNREAD_PRINT) or too_doubtful(doubtful)
    if vietnamese and share is None:
        # (not for the bar above: a share of a few words is weighed only with doubt)
        share = lexicon_share(text, MIN_WORDS_FOR_MIDDLING)
    low = low or (recorded and middling_read(confidence, share))
    if confidence is None and not own_words:
        # Tesseract found no words at all: a photo, a drawing, handwriting (its text the page's own words alone, a
        # phone app's footer, still: QA172 F3)
        low = True
    return (LOW if low else GOOD), share


def middling_read(confidence: float | None, share: float | None) -> bool:
    """Whether a page read in Vietnamese with mean ``confidence`` and lexicon ``share`` (None: not weighed) is read
    under MIDDLING_CONFIDENCE and MIDDLING_LEXICON_SHARE both, or under MISREAD_CONFIDENCE and MISREAD_LEXICON_SHARE
    both: many of its words likely misread."""
    return middling_bars(confidence, share) is not None


def middling_bars(confidence: float | None, share: float | None) -> tuple[float, float] | None:
    """The (confidence, lexicon share) bars a page ``middling_read`` lies under; None for one that is not."""
    if confidence is None or share is None:
        return None
    for bars in ((MIDDLING_CONFIDENCE, MIDDLING_LEXICON_SHARE), (MISREAD_CONFIDENCE, MISREAD_LEXICON_SHARE)):
        if confidence < bars[0] and share < bars[1]:
            return bars
    return None


def too_doubtful(doubtful: float | None) -> bool:
    """Whether a page's print read only in doubt (``doubtful_print``) makes it ``low``: past MAX_DOUBTFUL_PRINT."""
    return doubtful is not None and doubtful > MAX_DOUBTFUL_PRINT


def confidence_bar(vietnamese: bool = True) -> float:
    """The mean confidence under which a page is ``low``: LOW_CONFIDENCE for a page read in Vietnamese,
    OTHER_LANGUAGE_LOW_CONFIDENCE for one read in another language."""
    return LOW_CONFIDENCE if vietnamese else OTHER_LANGUAGE_LOW_CONFIDENCE


def low_quality_reason(
    number: int,
    confidence: float | None,
    share: float | None,
    unread: float | None = None,
    among_show_through: bool = False,
    *,
    vietnamese: bool = True,
    doubtful: float | None = None,
    mirrored: bool = False,
) -> str:
    """Why page ``number`` needs a person (a review reason): the signal(s) past the bar, with the bar, or that no
    word was found at all — not "confidence None, Vietnamese words None"; or that its own print was read among
    show-through, its clearest lines alone kept (``among_show_through``); or that its print was read only in doubt
    (``doubtful``: ``doubtful_print``). ``vietnamese`` false: the page was read in another language, and its bar is
    OTHER_LANGUAGE_LOW_CONFIDENCE. ``mirrored``: the page is an image stored mirrored, which is then said as why,
    with what to do, in place of the signals' guesses at it."""
    if confidence is None:
        # ink, but no word read (a page with no ink is "blank", no reason; a page upside down is turned before it is
        # read — the hint said "a blank page, a photo, or upside down" and misled, QA77)
        why = MIRRORED_WHY if mirrored else "a photo, a drawing, handwriting, or print too faint to read"
        return f"page {number}: no words found ({why})"
    below = [MIRRORED_WHY] if mirrored else []
    bar = confidence_bar(vietnamese)
    if confidence is not None and confidence < bar:
        another = "" if vietnamese else " (read in another language)"
        below.append(f"OCR confidence {confidence:.0f} < {bar:.0f}{another}")
    if share is not None and share < MIN_LEXICON_SHARE:
        below.append(f"Vietnamese words {share:.0%} < {MIN_LEXICON_SHARE:.0%}")
    if unread is not None and unread > MAX_UNREAD_PRINT:
        # what to do too: a page photographed askew or printed faintly is photographed or scanned again
        below.append(
            f"print not read {unread:.0%} > {MAX_UNREAD_PRINT:.0%}" + ("" if mirrored else f": {UNREAD_ADVICE}")
        )
    if too_doubtful(doubtful):
        most = f"{MAX_DOUBTFUL_PRINT:.0%}"
        guess = "" if mirrored else f" ({DOUBTFUL_WHY}): {DOUBTFUL_ADVICE}"
        below.append(f"print read in doubt {doubtful:.0%} > {most}{guess}")
    if among_show_through:
        below.append(AMONG_SHOW_THROUGH)
    if not below and vietnamese and (bars := middling_bars(confidence, share)) is not None:
        below.append(middling_said(confidence, share, bars))
    return f"page {number}: low OCR quality ({'; '.join(below) or 'below the bar'})"


def middling_said(confidence: float | None, share: float | None, bars: tuple[float, float]) -> str:
    """Why a page read ``middling_read`` under ``bars`` (``middling_bars``) needs a person, in English
    (``classify.review.reason_in_vietnamese`` says it in Vietnamese)."""
    least, fewest = bars
    return (
        # (to a tenth: "85 < 85" said 84.6 under its bar, QA152 F5)
        f"{MIDDLING_WHY} (OCR confidence {confidence or 0:.1f} < {least:.0f}, Vietnamese words"
        f" {share or 0:.1%} < {fewest:.0%}): {DOUBTFUL_ADVICE}"
    )


def too_small_reason(number: int, size: str) -> str:
    """Why a record with page ``number`` too small to be a scan (``ocr.inputs.SmallPage``; ``size``: what is) needs a
    person (a review reason): the page is in the archived copy as it was, but nothing on it was read."""
    return f"page {number}: too small to be a scan ({size}); kept as it is, not read"


def cmyk_reason(pdfa_problems: list[str]) -> str | None:
    """Why a searchable copy that is not PDF/A because a page paints in DeviceCMYK needs a person (a review reason),
    or None. sohoa's output intent is sRGB (PDF/A-2 allows one intent profile, and a CMYK one would not hold once
    the signer's stamp, RGB, is added). A CMYK scan image is given an ICCBased colour space, which needs no CMYK
    intent (``ocr.pipeline.describe_scan_colours``), so this is a PDF input's own CMYK (vector colours, its
    images) — or a CMYK scan for which no ICC profile was found. QA: such scans were archived with ``pdfa: null``
    and nothing in their review reasons."""
    pages = [match.group(1) for p in pdfa_problems if (match := _CMYK_PROBLEM.match(p))]
    if not pages:
        return None
    return f"not PDF/A: page {pages[0]} is in CMYK colours (scan it again in RGB colour or gray)"


def unembedded_font_reason(pdfa_problems: list[str]) -> str | None:
    """Why a searchable copy that is not PDF/A because a page of the input uses a font it does not embed needs a
    person (a review reason), or None: sohoa keeps such a page's own text and drawing as they are, and a font not in
    the file, and without a twin of its widths (``sohoa.font_twins``: Times New Roman's, Arial's, Courier New's and
    the standard fonts' are embedded), cannot be archived as PDF/A (QA96: a born-digital decree was archived plain,
    `pdfa: null`, with no reason to review). The document is to be exported again with its fonts embedded, or its
    paper scanned."""
    found = next((match for p in pdfa_problems if (match := _UNEMBEDDED_FONT_PROBLEM.match(p))), None)
    if found is None:
        return None
    return (
        f"not PDF/A: {found.group(1)} uses font {found.group(2).lstrip('/')} without embedding it (export the "
        "document again with its fonts embedded, or scan the paper)"
    )


_UNEMBEDDED_FONT_PROBLEM = re.compile(r"^6\.2\.11\.4\.1: (.*?) uses font (.*) without embedding it$")
_CMYK_PROBLEM = re.compile(r"^6\.2\.4\.3: page (\d+)\b.* paints in DeviceCMYK without a matching output intent$")
