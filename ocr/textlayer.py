"""The invisible text layer of an OCR'd page, written from Tesseract's word boxes (as OCRmyPDF writes its own
from hOCR).

Why not Tesseract's text-only PDF: its renderer costs 5–10 % of a page's CPU (measured: TSV alone 19.2 s, TSV +
text-only PDF 21.1 s for the same pages; over a 200-page batch sohoa's Tesseract CPU went from 8 % above
OCRmyPDF's to equal), and a layer written here carries the diacritic corrections (ocr.diacritics) directly.

Each word is set in an embedded font whose glyphs are all blank and 500/1000 em wide (text render mode 3,
invisible), stretched horizontally (``Tz``) so that it covers its box on the page image, followed by a space so
that text extraction separates words. Characters are UTF-16 code units used as CIDs; the ToUnicode map is the
identity, so copying or extracting the text gives back exactly the words Tesseract read (NFC). (A character
outside the BMP would extract as two surrogate halves; Tesseract's Vietnamese model has none, and Tesseract's own
renderer does the same.)
"""

from __future__ import annotations

import base64
import itertools
import math
import statistics
import unicodedata
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pikepdf

if TYPE_CHECKING:
    from ocr.tesseract import Word

FONT_RESOURCE = "/GlyphLess"
GLYPH_WIDTH = 500  # thousandths of the font size, every glyph
# How far above and below the baseline extractors and viewers take a glyph to reach (the font descriptor's
# Ascent and Descent, thousandths of the font size). They add up to 1000 because pdfminer (pdfplumber) draws
# every glyph one font size tall from the Descent, whatever the Ascent; poppler takes both as given, but not a
# Descent of 0, which it replaces with −350 (until 2026-12-02 the font said 1000 and 0, and in pdftotext every
# word's box reached a third of its size further down than in pdfplumber).
ASCENT, DESCENT = 750, -250

# A TrueType font of two empty glyphs (.notdef and one more), 500 units wide on a 1000-unit em, made with
# fontTools' FontBuilder (see tests/test_textlayer.py, which checks these properties). Kept as bytes here: the
# font is needed by every OCR command, and building it costs ~0.24 s of importing fontTools.
GLYPHLESS_TTF = base64.b64decode(
    "AAEAAAAKAIAAAwAgT1MvMkTeRSAAAAEoAAAAYGNtYXAADABGAAABkAAAACxnbHlmAAAAAAAAAcQAAAABaGVhZF8WQOAAAACsAAAANmhoZWED"
    "6QH2AAAA5AAAACRobXR4AfQAAAAAAYgAAAAGbG9jYQAAAAAAAAG8AAAABm1heHAAAwACAAABCAAAACBuYW1lGZ8ZNAAAAcgAAABycG9zdG1n"
    "c80AAAI8AAAALAABAAAAAQAAQ8pyoF8PPPUAAwPoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwACAAAAAAAAAAEAAAPoAAAAAAH0AAAA"
    "AAAAAAEAAAAAAAAAAAAAAAAAAAABAAEAAAACAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAwH0AZAABQAEAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPz8/PwAAAAAAAAPoAAAAAAPoAAAAAAAAAAAAAAAAAAAAAAAgAAAB9AAAAAAAAAAAAAIA"
    "AAADAAAAFAADAAEAAAAUAAQAGAAAAAIAAgAAAAD//wAA//8AAQAAAAAAAAAAAAAAAAAAAAAABAA2AAEAAAAAAAEADQAAAAEAAAAAAAIABwAN"
    "AAMAAQQJAAEAGgAUAAMAAQQJAAIADgAuR2x5cGhMZXNzRm9udFJlZ3VsYXIARwBsAHkAcABoAEwAZQBzAHMARgBvAG4AdABSAGUAZwB1AGwA"
    "YQByAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAAABAgVibGFuaw=="
)


def glyphless_font(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """A Type0 font (Identity-H, every CID drawn with the blank glyph) added once to ``pdf``, for all its pages."""
    # every one of the 65,536 CIDs maps to glyph 1 (2 bytes each); Deflate makes it ~200 bytes
    cid_to_gid = pdf.make_stream(zlib.compress(b"\x00\x01" * 65536, 9))
    cid_to_gid.Filter = pikepdf.Name.FlateDecode
    font_file = pdf.make_stream(GLYPHLESS_TTF, Length1=len(GLYPHLESS_TTF))  # pikepdf compresses it on saving
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/GlyphLessFont"),
        Flags=5,  # fixed pitch, symbolic
        FontBBox=[0, DESCENT, GLYPH_WIDTH, ASCENT],
        ItalicAngle=0,
        Ascent=ASCENT,
        Descent=DESCENT,
        CapHeight=ASCENT,
        StemV=80,
        FontFile2=font_file,
    )
    descendant = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name("/GlyphLessFont"),
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=GLYPH_WIDTH,
        CIDToGIDMap=cid_to_gid,
    )
    to_unicode = pdf.make_stream(_IDENTITY_TO_UNICODE)
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name("/GlyphLessFont"),
        Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=[pdf.make_indirect(descendant)],
        ToUnicode=to_unicode,
    )
    return pdf.make_indirect(font)


_IDENTITY_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


def text_layer_form(
    pdf: pikepdf.Pdf,
    words: Sequence[Word],
    width: int,
    height: int,
    dpi: int,
    font: pikepdf.Object,
    skew: float = 0.0,
) -> pikepdf.Stream:
    """A form XObject the size of the page image Tesseract read (``width`` × ``height`` pixels at ``dpi``),
    in points, holding its words invisibly where they are on that image — or, when that image was straightened
    by ``skew`` degrees (counter-clockwise), where they are on the image before it was (``text_layer_content``)."""
    return pdf.make_stream(
        zlib.compress(text_layer_content(words, height, dpi, skew=skew, width=width), 9),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Form,
        BBox=[0, 0, round(width * 72 / dpi, 3), round(height * 72 / dpi, 3)],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary({FONT_RESOURCE: font})),
        Filter=pikepdf.Name.FlateDecode,
    )


# Where a word's ink lies about its line's baseline, told from its letters (in the serif faces of official
# documents, in ems): most words reach ~0.72 above it (a capital, an ascender or a tone mark), words of letters
# no taller than an x only 0.45, and letters that hang below it reach ~0.22 under it. NFD: a Vietnamese
# letter's marks are separate characters (the dot below of "ị" hangs; the horn of "ư" does not make it tall).
_TALL_TOP, _SHORT_TOP, _HANG = 0.72, 0.45, 0.22
_SHORT_LETTERS = frozenset("acemnorsuvwxz.,;:-\u031b\u0323")
_HANGING = frozenset("gjpqyQ,;()[]{}|/_@ç\u0323")
# A gap between two words of one Tesseract line wider than this many times the line's word height is a column
# gap (a two-column header, the "Nơi nhận" block beside the signature): each side is a line of its own. On the
# samples words stand at most 0.63 heights apart and columns 5.6 or more.
_COLUMN_GAP = 2.5
_DRIFT = 0.2  # see text_layer_content
_PITCH_SHARE = 0.6  # see _within_line_pitch: tall letters over 0.6 of the line pitch (a font size ~0.8 of it)
_PITCH_LEAST = 0.4  # ... of a line whose baseline lies at least this many times its letters' height away
_PITCH_WORDS = 3  # ... and that holds this many words at least (a line of text, not a scrap of a signature)
_PITCH_ALIKE = 0.7  # ... whose letters are this tall at least beside its own (a title's next line is smaller)
_NEAR = 0.1  # see _doubtful_edges
# A "word" of letters whose box is under this share of the line's median word height is a speck read as a letter
# (a 2 px "ˆ" on a noisy scan): its edges say nothing of the line's (``_segment_line``)
_SPECK = 0.3
# ... on a line of this many lettered words or more: of two, the median is their mean, which one tall box swings —
# a photo's junk "ae ẳn" became one word's 28 pt, past the page's foot and over two other lines, where both set it
# 4.6 pt (QA169 F3)
_SPECK_AMONG = 3


def _has_letters(word: Word) -> bool:
    return any(c.isalnum() for c in word.text)


def _is_short(word: Word) -> bool:
    return all(c in _SHORT_LETTERS for c in unicodedata.normalize("NFD", word.text))


def _hangs(word: Word) -> bool:
    return any(c in _HANGING for c in unicodedata.normalize("NFD", word.text))


def _segments(words: Sequence[Word]) -> list[list[Word]]:
    """Tesseract's lines in its order, each cut where a column gap parts its words."""
    segments: list[list[Word]] = []
    for _line, grouped in itertools.groupby(words, key=lambda w: (w.block, w.paragraph, w.line)):
        line = list(grouped)
        heights = [w.height for w in line if _has_letters(w)] or [w.height for w in line]
        gap = _COLUMN_GAP * max(statistics.median(heights), 1)
        segments.append([line[0]])
        for before, word in itertools.pairwise(line):
            if word.left - (before.left + before.width) > gap:
                segments.append([])
            segments[-1].append(word)
    return segments


def _doubtful_edges(segments: list[list[Word]]) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(words whose box bottom, words whose box top, is not their own ink), as (segment, word) indexes.

    Tesseract gives a Vietnamese tone mark to the line above when lines stand close: on cv-118's "Nơi nhận"
    block the boxes of "Chủ", "PCT", "UBND" reach down to the marks of "Công", "pháp", "Hộ" in the line below,
    19 px under their own letters (so does a dot below to the line under it); on thông-báo-08 the grave of
    "HÀNH" went to "TRUNG" above it, whose box then ended 2 px above the box of "HÀNH", bare of its mark. Where
    the boxes of two lines overlap or come within a tenth of a word's height of each other, neither the upper
    one's bottom nor the lower one's top is trusted."""
    boxes = sorted(
        ((word.top, word.top + word.height, word.left, word.left + word.width, s, i))
        for s, segment in enumerate(segments)
        for i, word in enumerate(segment)
    )
    bottoms: set[tuple[int, int]] = set()
    tops: set[tuple[int, int]] = set()
    for index, (top, bottom, left, right, segment, number) in enumerate(boxes):
        near = bottom + _NEAR * (bottom - top)
        for other_top, other_bottom, other_left, other_right, other_segment, other_number in boxes[index + 1 :]:
            if other_top >= near:
                break  # sorted by top: no later box starts above this one's bottom
            if other_segment == segment or other_left >= right or other_right <= left:
                continue
            if other_top > top and other_bottom > bottom:  # lower down, and reaching (almost) into this one
                bottoms.add((segment, number))
                tops.add((other_segment, other_number))
    return bottoms, tops


def _page_slope(segments: list[list[Word]], bottoms: set[tuple[int, int]], tops: set[tuple[int, int]]) -> float:
    """How far the lines fall per pixel across the image Tesseract read (a page skewed under the 1° sohoa
    straightens, or what straightening left): the median of the slopes between the bottoms (of words that do
    not hang below the line) and the tops (of tall words) of two words of one line, at least a few word heights
    apart. Tesseract's own baseline cannot be used: on a line joining two columns it runs through the middle
    of one of them."""
    slopes: list[float] = []
    for s, segment in enumerate(segments):
        bottom_points: list[tuple[float, int]] = []
        top_points: list[tuple[float, int]] = []
        for i, word in enumerate(segment):
            if not _has_letters(word):
                continue
            centre = word.left + word.width / 2
            if (s, i) not in bottoms and not _hangs(word):
                bottom_points.append((centre, word.top + word.height))
            if (s, i) not in tops and not _is_short(word):
                top_points.append((centre, word.top))
        for points in (bottom_points, top_points):
            if len(points) < 2:
                continue
            # every two words of the line (~0.1 ms a line, where a loop over the pairs took ~0.3)
            first, second = np.triu_indices(len(points), 1)
            xs, ys = np.array([x for x, _y in points]), np.array([y for _x, y in points], dtype=np.int64)
            across, down = xs[second] - xs[first], ys[second] - ys[first]
            apart = (np.abs(across) > 4 * np.maximum(1, np.abs(down))) & (np.abs(across) > 100)
            slopes.extend((down[apart] / across[apart]).tolist())
    return statistics.median(slopes) if len(slopes) >= 3 else 0.0


def _segment_line(
    segment: list[Word], s: int, slope: float, bottoms: set[tuple[int, int]], tops: set[tuple[int, int]]
) -> tuple[float, float]:
    """(baseline, top of its tall letters) of one line at x = 0 of the image, in pixels, as the median of what
    its words' boxes say, each read by its letters (``_TALL_TOP``…), the doubtful box edges left out while
    others remain."""

    def median_of(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    # (trusted, every) bottoms of words that do not hang and that do, tops of tall and of short words
    plain: tuple[list[float], list[float]] = ([], [])
    hanging: tuple[list[float], list[float]] = ([], [])
    tall: tuple[list[float], list[float]] = ([], [])
    short: tuple[list[float], list[float]] = ([], [])
    lettered = [word.height for word in segment if _has_letters(word)]
    speck = _SPECK * statistics.median(lettered) if len(lettered) >= _SPECK_AMONG else 0.0
    for i, word in enumerate(segment):
        if not _has_letters(word) or word.height < speck:
            # (a speck's edges were the only ones trusted on a line of a noisy scan whose words' boxes all took in
            # noise from the lines about it: a 2 px "ˆ" set the line's letters 2 px tall, and pdftotext then
            # gave its words one to a line: 135 lines for 32, QA165 F2)
            continue
        shift = slope * (word.left + word.width / 2)
        bottom, top = word.top + word.height - shift, word.top - shift
        for group, value, doubtful in (
            (hanging if _hangs(word) else plain, bottom, (s, i) in bottoms),
            (short if _is_short(word) else tall, top, (s, i) in tops),
        ):
            group[1].append(value)
            if not doubtful:
                group[0].append(value)
    # the trusted edges first, even of the kinds that say less (a hanging word's bottom rather than a doubtful
    # plain one), then the doubtful ones
    trust = 0 if plain[0] or hanging[0] else 1
    base, base_hanging = median_of(plain[trust]), median_of(hanging[trust])
    trust = 0 if tall[0] or short[0] else 1
    top_tall, top_short = median_of(tall[trust]), median_of(short[trust])
    if base is None and base_hanging is not None:
        above = top_tall if top_tall is not None else top_short
        reach = _TALL_TOP if top_tall is not None else _SHORT_TOP
        base = base_hanging - (base_hanging - above) * _HANG / (reach + _HANG) if above is not None else base_hanging
    if top_tall is None and top_short is not None and base is not None:
        top_tall = base - (base - top_short) * _TALL_TOP / _SHORT_TOP
    if base is None or top_tall is None or base - top_tall < 1:
        # no letters (a dash, a ruling line "|"), or boxes too odd to read: the words' own box
        lowest = max(w.top + w.height - slope * (w.left + w.width / 2) for w in segment)
        highest = min(w.top - slope * (w.left + w.width / 2) for w in segment)
        return lowest, min(highest, lowest - 1)
    return base, top_tall


def _within_line_pitch(segments: list[list[Word]], edges: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each line's (baseline, top of its tall letters), its letters made no taller than _PITCH_SHARE of the distance
    to the nearest baseline of a line of words above or below it (that shares some of its width, holds
    _PITCH_WORDS words or more, lies at least _PITCH_LEAST of its letters' height away — a scrap read in a
    signature a few pixels under "CHỦ TỊCH" is no line above or below it — and whose letters are at least
    _PITCH_ALIKE as tall: a 24 pt line set tight between 12 pt ones, a title over a row of junk Tesseract read
    under it, were shrunk to half, QA109) where they were taller than that whole distance: lines of one size are
    never taller than their pitch. On a noisy 100 dpi scan of small print Tesseract's word boxes took in specks
    above and below (29 px for a 14 px line), the layer was set at 27.8 pt for 12 pt lines, and pdftotext glued
    the words of neighbouring lines together ("đkhaiGiấythác,tờ": 569 of 1,506 words found, QA108)."""
    spans = [(min(w.left for w in line), max(w.left + w.width for w in line)) for line in segments]
    lines_of_words = [sum(1 for w in line if _has_letters(w)) >= _PITCH_WORDS for line in segments]
    fitted = []
    for index, ((base, top), (left, right)) in enumerate(zip(edges, spans, strict=True)):
        pitch = min(
            (
                abs(other_base - base)
                for other, ((other_base, other_top), (other_left, other_right)) in enumerate(
                    zip(edges, spans, strict=True)
                )
                if other != index
                and lines_of_words[other]
                and other_base - other_top >= _PITCH_ALIKE * (base - top)
                and other_left < right
                and other_right > left
                and abs(other_base - base) >= _PITCH_LEAST * (base - top)
            ),
            default=None,
        )
        fitted.append((base, base - _PITCH_SHARE * pitch) if pitch is not None and base - top > pitch else (base, top))
    return fitted


def text_layer_content(words: Sequence[Word], height: int, dpi: int, *, skew: float = 0.0, width: int = 0) -> bytes:
    """The content stream: each line (a Tesseract line, cut at column gaps: ``_segments``) in a font size whose
    glyphs reach from the line's tall letters to under its descenders (``ASCENT``, ``DESCENT``), each word on
    the line's baseline where the word stands, stretched over its own box, then a space (which extraction needs
    between words) that ends before the next word.

    The baseline of a line and the top of its letters are read from its words' boxes and letters
    (``_segment_line``), not from the box of the whole line: that box spans a two-column line's lower column,
    and a tone mark or a dot below the line above or beneath; set on its bottom at its height, every word's box
    reached down over most of the next line and pdftotext interleaved the two ("Côngtịch, / chứccác", QA). A
    page whose lines fall across it (under the 1° that sohoa straightens: ``_page_slope``) has each word's
    baseline where the line is under that word, its letters level.

    ``skew``: the image Tesseract read was straightened by that many degrees (counter-clockwise, about the centre
    of its ``width`` × ``height``). Each word is then put where it lies on the page as scanned, but its letters
    stay level: a word set along the slope has its letters' baselines step down (or up) the page, and pdftotext
    ends a word where its baseline moves by a tenth of the font size — at 3° every ~20 pt, "thán / g 10", "xây
    dự / ng", so that a search for "tháng" failed. And as on a page not straightened, the words fall with their
    line by at most ±_DRIFT font sizes from its middle: pdftotext takes a word into a line only within half a font
    size of its first word, and cut a long line of a page skewed 1° or more in two, its tail printed first (QA120).
    Beyond that the far words of a long line sit above or below their ink (at 3°, by up to ~0.8 of the font size):
    words found and extracted whole were put first. So a page straightened to be read (1° or more) is, where it
    can be, shown straightened instead, its layer then written with ``skew`` 0
    (``ocr.pipeline.DISPLAY_STRAIGHTENED_FROM``)."""
    to_points = 72 / dpi
    # a straightened image: each word's start turned back about the image's centre (the image was turned
    # counter-clockwise by `skew` on screen: back clockwise; PDF angles: y up, counter-clockwise positive)
    centre_x, centre_y = width * to_points / 2, height * to_points / 2
    cos, sin = math.cos(math.radians(-skew)), math.sin(math.radians(-skew))
    segments = _segments(words)
    bottoms, tops = _doubtful_edges(segments)
    slope = _page_slope(segments, bottoms, tops)
    parts = ["BT 3 Tr"]
    edges = _within_line_pitch(
        segments, [_segment_line(line, s, slope, bottoms, tops) for s, line in enumerate(segments)]
    )
    for line, (base, top) in zip(segments, edges, strict=True):
        size = (base - top) * to_points * 1000 / ASCENT
        parts.append(f"{FONT_RESOURCE} {size:.1f} Tf")
        # each word's baseline where the line is under it, but within ±_DRIFT font sizes of the line's middle:
        # pdftotext ends a line where a word's baseline lies half a font size from its first word's (on cv-118,
        # 0.95°, the long lines fall ~0.7 of that and came out cut in two)
        middle = (line[0].left + line[-1].left + line[-1].width) / 2
        reach = _DRIFT * (base - top) * 1000 / ASCENT
        previous: tuple[float, float] | None = None  # the previous word's start, in points (page, y up)
        for index, word in enumerate(line):
            units = len(word.text.encode("utf-16-be")) // 2
            per_unit = max(word.width, 1) / units  # pixels per character: the letters cover the word's box
            if index + 1 < len(line) and line[index + 1].left > word.left:
                # ... unless the space after them would then reach into the next word, which makes extractors
                # (pdftotext) drop it and join the two words: then word and space share the gap to the next
                per_unit = min(per_unit, (line[index + 1].left - word.left) / (units + 1))
            stretch = 100 * per_unit * to_points / (GLYPH_WIDTH / 1000 * size)
            code = (word.text + " ").encode("utf-16-be").hex().upper()
            x = round(word.left * to_points, 1)
            drift = min(max(slope * (word.left + word.width / 2 - middle), -reach), reach)
            y = round((height - base - slope * middle - drift) * to_points, 1)
            if skew:
                # turned back, the word falls with the line: by up to ±_DRIFT font sizes from the line's middle
                # (turned back too), as on a page that was not straightened — beyond that pdftotext cut every line
                # of a page skewed 1° or more in two and printed its tail first (QA120)
                x, y = x - centre_x, y - centre_y
                x, y = centre_x + x * cos - y * sin, centre_y + x * sin + y * cos
                mx, my = middle * to_points - centre_x, (height - base - slope * middle) * to_points - centre_y
                level = centre_y + mx * sin + my * cos
                y = level + min(max(y - level, -reach * to_points), reach * to_points)
                parts.append(f"1 0 0 1 {x:.1f} {y:.1f} Tm {stretch:.1f} Tz<{code}>Tj")
                continue
            if previous is None:
                move = f"1 0 0 1 {x:.1f} {y:.1f} Tm "
            else:  # Td moves from the previous word's start
                move = f"{x - previous[0]:.1f} {y - previous[1]:.1f} Td " if (x, y) != previous else ""
            previous = (x, y)
            parts.append(f"{move}{stretch:.1f} Tz<{code}>Tj")
    parts.append("ET")
    return "\n".join(parts).encode("ascii")
