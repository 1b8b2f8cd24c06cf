"""Read a page's columns from word positions, as Decree 30/2020 lays them out.

A Decree 30 document has two two-column parts: the header (issuing body top left with its ``Số:`` line;
national motto top right with the place-and-date line) and the closing (``Nơi nhận:`` bottom left; the signing
block bottom right). Tesseract's reading order often merges the columns line by line ("ỦY BAN NHÂN DÂN CỘNG HÒA
XÃ HỘI …", "Số: 03/BB-UBND Tân Lập, ngày …"; two signers' names on one line). With the word boxes the columns
are told apart by the gap between them and by which side of the text area they sit on; the header band and the
closing band are then read column by column (left, then right), and everything else row by row. The rules in
``classify.rules`` read the result like any text, so a page without boxes (a ``.txt`` input) still works.

Only the first and the last two-column band of a page are read by column: forms (hộ tịch records) have
two-column rows in the middle ("Giới tính: Nữ   Dân tộc: Tày") whose reading order is already right row by row.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from classify.copies import COPY_FORM_RE, copy_number
from sohoa.record import PageWords, PlacedWord
from sohoa.vietnamese import fold

# A gap wider than this many word heights separates two columns (a justified line's widest spaces stay below 1).
COLUMN_GAP_HEIGHTS = 2.0
# A segment whose centre lies within this share of the text width from the middle is centred (a title).
CENTRED_SHARE = 0.1
# The header band must start in this top share of the page's text (so a form's rows are not taken for it).
HEADER_TOP_SHARE = 0.25
# Rows after the closing band narrower than this share of the text width (a page number) do not hide it.
FOOTER_SHARE = 0.25


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    FULL = "full"  # spans or is centred on the middle of the text area


@dataclass(frozen=True)
class Segment:
    """Words on one row with no column gap between them."""

    words: tuple[PlacedWord, ...]
    side: Side

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


@dataclass(frozen=True)
class Row:
    segments: tuple[Segment, ...]
    top: float

    @property
    def two_columns(self) -> bool:
        sides = {segment.side for segment in self.segments}
        return Side.LEFT in sides and Side.RIGHT in sides

    @property
    def spans_middle(self) -> bool:
        return any(segment.side is Side.FULL for segment in self.segments)

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


def _has_letters(word: PlacedWord) -> bool:
    return any(ch.isalnum() for ch in word.text)


def group_rows(words: Sequence[PlacedWord]) -> list[list[PlacedWord]]:
    """Words that share a line, top to bottom, each row left to right.

    A word joins a row when at least half of it (vertically) lies within the row's typical extent: tone marks
    above capitals make boxes taller (``CHỦ`` starts higher than ``TỊCH``), so centres alone would split them.
    Punctuation (``-``, ``.``, ``:``) has tiny boxes; it joins the row its centre falls in and never sets one."""
    usable = [w for w in words if w.text.strip() and w.bottom > w.top]
    if not usable:
        return []
    typical = statistics.median(w.bottom - w.top for w in usable)
    rows: list[list[PlacedWord]] = []
    span: tuple[float, float] | None = None
    for word in sorted(usable, key=lambda w: (w.top + w.bottom) / 2):
        middle = (word.top + word.bottom) / 2
        small = word.bottom - word.top < 0.6 * typical
        if span is not None:
            overlap = min(word.bottom, span[1]) - max(word.top, span[0])
            joins = (
                span[0] <= middle <= span[1]
                if small
                else overlap >= 0.5 * min(word.bottom - word.top, span[1] - span[0])
            )
            if joins:
                rows[-1].append(word)
                tall = [w for w in rows[-1] if w.bottom - w.top >= 0.6 * typical]
                if tall:
                    span = (statistics.median(w.top for w in tall), statistics.median(w.bottom for w in tall))
                continue
        rows.append([word])
        span = (middle - typical / 2, middle + typical / 2) if small else (word.top, word.bottom)
    return [sorted(row, key=lambda w: w.x0) for row in rows]


def _label_and_its_value(piece: list[PlacedWord]) -> bool:
    """Whether a piece of a row ends with a form's label ("Họ, chữ đệm, tên:", "Ngày, tháng, năm đăng ký:"), whose
    value follows at a tab stop: one line with it, not two columns. A birth certificate printed so was read labels
    first, values after, and lost its persons and registration facts (QA81). "Nơi nhận:" beside the signing block
    is two columns."""
    if not piece or not piece[-1].text.endswith(":"):
        return False
    return not fold(" ".join(w.text for w in piece)).startswith("noi nhan")


def read_rows(words: Sequence[PlacedWord]) -> list[Row]:
    """Rows of the page, each cut into segments at column gaps and each segment given its side."""
    grouped = group_rows(words)
    letters = [w for row in grouped for w in row if _has_letters(w)]
    if not letters:
        return []
    left_edge = min(w.x0 for w in letters)
    right_edge = max(w.x1 for w in letters)
    width = max(right_edge - left_edge, 1.0)
    middle = (left_edge + right_edge) / 2
    height = statistics.median(w.bottom - w.top for w in letters)
    gap_limit = COLUMN_GAP_HEIGHTS * height

    def side_of(segment_words: list[PlacedWord]) -> Side:
        x0, x1 = segment_words[0].x0, max(w.x1 for w in segment_words)
        centre = (x0 + x1) / 2
        if abs(centre - middle) <= CENTRED_SHARE * width or (
            x0 < middle - CENTRED_SHARE * width and x1 > middle + CENTRED_SHARE * width
        ):
            return Side.FULL
        return Side.LEFT if centre < middle else Side.RIGHT

    rows: list[Row] = []
    for row_words in grouped:
        pieces: list[list[PlacedWord]] = [[row_words[0]]]
        for previous, word in zip(row_words, row_words[1:], strict=False):
            if word.x0 - previous.x1 > gap_limit and not _label_and_its_value(pieces[-1]):
                pieces.append([word])
            else:
                pieces[-1].append(word)
        if len(pieces) == 1:
            segments: tuple[Segment, ...] = (Segment(tuple(pieces[0]), side_of(pieces[0])),)
        else:
            # columns side by side: each is left or right of the middle, even the wide national motto
            segments = tuple(
                Segment(tuple(piece), Side.LEFT if (piece[0].x0 + piece[-1].x1) / 2 < middle else Side.RIGHT)
                for piece in pieces
            )
        rows.append(Row(segments, min(w.top for w in row_words)))
    return rows


def _bands(rows: list[Row]) -> list[tuple[int, int]]:
    """(start, end) of each run of rows that do not span the middle and hold at least one two-column row."""
    bands: list[tuple[int, int]] = []
    start = 0
    while start < len(rows):
        if rows[start].spans_middle:
            start += 1
            continue
        end = start
        while end < len(rows) and not rows[end].spans_middle:
            end += 1
        if any(row.two_columns for row in rows[start:end]):
            cut = _copy_block_row(rows, start, end)
            bands.extend([(start, cut), (cut, end)] if cut is not None and cut > start else [(start, end)])
        start = end
    return bands


# A copy's own block under the last part of the document it copies (``classify.copies``): two closings, one under
# the other. Read as one band, column by column, the copy's left column came between the document's recipients and
# its signer: the band is cut where the block starts.
def _copy_block_row(rows: list[Row], start: int, end: int) -> int | None:
    """The first row of a copy's block in ``rows[start:end]`` (``classify.copies.copy_number``): the row of its form
    when that is at most three rows above its number ('SAO Y' beside the copying body's parent), else the number's
    own row."""

    def form_in(index: int) -> bool:
        return any(COPY_FORM_RE.search(segment.text) for segment in rows[index].segments)

    for index in range(start, end):
        near = [i for i in range(max(start, index - 3), min(end, index + 3)) if form_in(i)]
        if any(copy_number(segment.text, form_near=bool(near)) for segment in rows[index].segments):
            return min((i for i in near if i <= index), default=index)
    return None


def column_bands(rows: list[Row]) -> list[tuple[int, int]]:
    """The bands read column by column: the header band, when it starts near the top of the page, and the
    closing band, when nothing but short lines (a page number) follows it."""
    bands = _bands(rows)
    if not bands:
        return []
    chosen: list[tuple[int, int]] = []
    first_top, last_top = rows[0].top, rows[-1].top
    header = bands[0]
    if rows[header[0]].top <= first_top + HEADER_TOP_SHARE * max(last_top - first_top, 1.0):
        chosen.append(header)
    closing = bands[-1]
    width = _text_width(rows)
    if closing not in chosen and all(_row_width(row) < FOOTER_SHARE * width for row in rows[closing[1] :]):
        chosen.append(closing)
        if len(bands) > 1 and bands[-2][1] == closing[0] and bands[-2] not in chosen:
            chosen.append(bands[-2])  # a band cut at a copy's block (``_bands``): the copied document's closing
    return chosen


def _row_width(row: Row) -> float:
    words = [w for s in row.segments for w in s.words]
    return max(w.x1 for w in words) - min(w.x0 for w in words)


def _text_width(rows: list[Row]) -> float:
    words = [w for row in rows for s in row.segments for w in s.words]
    return max(max(w.x1 for w in words) - min(w.x0 for w in words), 1.0)


def _column_lines(rows: list[Row], side: Side) -> list[str]:
    """One column of a band, its words grouped into lines on their own: the two columns' lines need not be
    level with each other ("CHỦ TỊCH" sits half a line below "- Như Điều 3;")."""
    words = [w for row in rows for s in row.segments if s.side is side for w in s.words]
    return [" ".join(w.text for w in line) for line in group_rows(words)]


# A gap between two rows this many times the page's usual one is a paragraph break (a blank line in page_text).
# Measured on the samples and generated Decree 30 pages (gap in word heights): lines of one paragraph 0.6–0.8,
# paragraphs of a body 1.0–1.3, the trích yếu to the body 2.0–2.2, the title to its trích yếu 0.8–1.0.
PARAGRAPH_GAP = 1.5


def _vertical_span(row: Row, height: float) -> tuple[float, float]:
    """Where the row's letters sit: medians of its full-height words (marks and punctuation make boxes vary)."""
    words = [w for segment in row.segments for w in segment.words]
    tall = [w for w in words if w.bottom - w.top >= 0.6 * height] or words
    return statistics.median(w.top for w in tall), statistics.median(w.bottom for w in tall)


def _paragraph_breaks(rows: Sequence[Row], skip: set[int]) -> set[int]:
    """Rows (outside the column bands ``skip``) that start a paragraph: the blank line a text file would have
    there. The classifier's trích yếu ran on into the body without it ("Lịch tiếp công dân tháng 7 … Ủy ban nhân
    dân xã … thông báo …") on every scan: OCR gives rows, not blank lines."""
    words = [w for row in rows for segment in row.segments for w in segment.words if _has_letters(w)]
    if len(rows) < 3 or not words:
        return set()
    height = statistics.median(w.bottom - w.top for w in words)
    spans = [_vertical_span(row, height) for row in rows]
    gaps = {i: spans[i][0] - spans[i - 1][1] for i in range(1, len(rows))}
    # the usual gap over the whole page, columns too (a page may be mostly header and closing); rows a column
    # band split into two (tiny or negative gaps) say nothing about line spacing
    spacing = [gap for gap in gaps.values() if gap > 0.3 * height]
    if len(spacing) < 0.5 * len(gaps):
        # most rows touch or overlap the next: boxes of a text layer (sohoa's own, a born-digital page's: a font's
        # height, not the ink's), not Tesseract's. The gap then said nothing — the paragraph breaks themselves were
        # "the usual gap" — and the trích yếu of sohoa's own output, classified again, ran on into the body (QA57)
        return _pitch_breaks(rows, spans, skip)
    limit = PARAGRAPH_GAP * statistics.median(spacing)
    return {i for i, gap in gaps.items() if gap > limit and i not in skip and i - 1 not in skip}


# The same measured in line pitch (top to top), for text-layer boxes: inside a paragraph 1.0–1.1 times the page's
# usual pitch, between paragraphs 1.35–1.4, the trích yếu to the body 1.8 (the QA57 notice through sohoa's text
# layer, an_le judgments' born-digital pages)
PARAGRAPH_PITCH = 1.3


def _pitch_breaks(rows: Sequence[Row], spans: list[tuple[float, float]], skip: set[int]) -> set[int]:
    pitches = {i: spans[i][0] - spans[i - 1][0] for i in range(1, len(rows)) if i not in skip and i - 1 not in skip}
    usual = sorted(pitch for pitch in pitches.values() if pitch > 0)
    if len(usual) < 3:
        return set()
    # the lower quartile, not the median: a notice of short paragraphs has nearly as many breaks as lines inside one
    limit = PARAGRAPH_PITCH * usual[len(usual) // 4]
    return {i for i, pitch in pitches.items() if pitch > limit}


def page_text(page: PageWords) -> str:
    """The page's lines: header and closing bands column by column (a blank line after each column), the rest
    row by row, with a blank line where a wider gap than usual starts a paragraph."""
    rows = read_rows(page.words)
    by_column = dict(column_bands(rows))
    breaks = _paragraph_breaks(rows, {i for start, end in by_column.items() for i in range(start, end)})
    lines: list[str] = []
    index = 0
    while index < len(rows):
        end = by_column.get(index)
        if end is None:
            if index in breaks and lines and lines[-1]:
                lines.append("")
            lines.append(rows[index].text)
            index += 1
            continue
        for side in (Side.LEFT, Side.RIGHT):
            lines.extend(_column_lines(rows[index:end], side))
            lines.append("")
        index = end
    return "\n".join(lines).strip("\n")


def text_with_layout(text: str, layout: Sequence[PageWords]) -> str:
    """``text`` (pages separated by form feeds) with each page that has word boxes read by ``page_text``."""
    pages = text.split("\f")
    for page in layout:
        if 1 <= page.number <= len(pages) and any(_has_letters(w) for w in page.words):
            pages[page.number - 1] = page_text(page)
    return "\f".join(pages)
