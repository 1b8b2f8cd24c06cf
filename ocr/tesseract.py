"""One Tesseract run on one page image: the words it read, with their boxes (TSV).

Tesseract is always given a file path and an explicit ``--dpi``: handing pytesseract a PIL image drops the
resolution and re-encodes JPEG, which measurably ruins accuracy (MEASURED.md). It writes only the TSV: the
invisible text layer is written from the word boxes (``ocr.textlayer``), which is cheaper than Tesseract's own
PDF renderer.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import logging
import os
import shlex
import statistics
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytesseract
from pytesseract.pytesseract import run_tesseract

from ocr.diacritics import Breaks, corrections_made, restore_diacritics
from ocr.tesseract_library import LibraryUnavailable, WordRow, killed_from_outside, read_with_library, signal_name
from sohoa.errors import BadInputError, Problem, StageError
from sohoa.fsutil import ScratchFolder

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    left: int
    top: int
    width: int
    height: int
    block: int
    paragraph: int
    line: int


@dataclass
class PageReading:
    """What Tesseract read on one page: its words, boxed in the pixels of the image it read."""

    width: int  # that image, in pixels (at the page plan's dpi)
    height: int
    words: list[Word] = field(default_factory=list)
    engine: str = field(default="", compare=False)  # what read it: "libtesseract 5.3.0" or "tesseract 5.3.0"
    # the words whose marks ocr.diacritics put right, each as (read, put right), in reading order
    corrections: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    language: str = field(default="vie", compare=False)  # the Tesseract language it was read in

    @property
    def corrected(self) -> int:
        return len(self.corrections)

    @property
    def confidence(self) -> float | None:
        scored = [w.confidence for w in self.words]
        return round(sum(scored) / len(scored), 2) if scored else None

    def sideways_turn(self) -> int:
        """0 when most of the text was read in lines across the image; otherwise the degrees to turn the image
        clockwise (as OSD says it) so that those lines run across it: 270 when they run down, 90 when up.

        Tesseract's layout analysis takes lines running down the image for vertical text and reads them (psm 3,
        no OSD): a page scanned turned 90° clockwise is read right, but its word boxes stand on end — tall, and
        one below the other — where the text layer can only lay words across (QA: 3 of 169 words came back from
        such a page's layer). Which way they run comes from the order of the words in a line; a one-word line,
        which has none, counts as running down (the way Tesseract reads vertical text)."""
        across = down = up = 0
        for _line, grouped in itertools.groupby(self.words, key=lambda w: (w.block, w.paragraph, w.line)):
            line = list(grouped)
            letters = sum(len(w.text) for w in line)
            if letters < 2:
                continue  # a lone letter, digit or ruling line "|" stands tall whichever way the page is
            width = max(w.left + w.width for w in line) - min(w.left for w in line)
            height = max(w.top + w.height for w in line) - min(w.top for w in line)
            if height <= width:
                across += letters
            elif len(line) > 1 and line[-1].top < line[0].top:
                up += letters
            else:
                down += letters
        if across >= down + up:
            return 0
        return 270 if down >= up else 90

    def text(self) -> str:
        """Lines in reading order (``blocks_in_reading_order``); blocks separated by a blank line."""
        lines: list[str] = []
        current: tuple[int, int, int] | None = None
        current_block: int | None = None
        line_words: list[str] = []
        for word in blocks_in_reading_order(tables_in_rows(self.words)):
            key = (word.block, word.paragraph, word.line)
            if key != current:
                if line_words:
                    lines.append(" ".join(line_words))
                if current_block is not None and word.block != current_block:
                    lines.append("")
                line_words = []
                current = key
                current_block = word.block
            line_words.append(word.text)
        if line_words:
            lines.append(" ".join(line_words))
        return "\n".join(lines)


# blocks of a column: one lies over the other by at least this share of the narrower's width
COLUMN_OVERLAP = 0.5
# ... and above it: its foot at most this share of the page's middle word height below the other's head (a line's
# descenders)
ABOVE_SLACK = 0.5
# a page of more blocks than this (a map's labels, scattered parcel numbers: real pages have at most ~180) keeps
# Tesseract's order: weighing every pair costs their square (QA125 F3: 4,000 blocks, 5.6 s and 0.4 GB)
MAX_ORDERED_BLOCKS = 500


def blocks_in_reading_order(words: list[Word]) -> list[Word]:
    """``words`` (in Tesseract's order) with their blocks in reading order: Tesseract's, but a block that lies
    wholly above another in the same column comes before it. On a typed page stained and yellowed with age,
    Tesseract gave its fourth line, a block of its own, before its second and third: the record's text, which
    search and the classifier read, had them out of order while the PDF's text layer, laid by the words' places,
    did not (QA123 F4: CER of the text 0.17, of the layer 0.075). Columns side by side, a header's two halves,
    keep Tesseract's order.

    Each block comes after the blocks above it in its column; of the blocks that may come next, the one whose
    place is earliest: its place in Tesseract's order, or the earliest place of a block it lies above, so that a
    column's top block given late comes where its column was given (QA125 F2: taken by its own place, it let a
    whole column come before the column it heads). Two blocks each within the other's slack (two specks, a dash
    over a dot) say nothing of their order (QA125 F1: such a pair sent every page it was on through the
    re-ordering, which put the next column inside this one). A page of more than MAX_ORDERED_BLOCKS blocks keeps
    Tesseract's order."""
    boxes: dict[int, list[int]] = {}
    order: list[int] = []
    for word in words:
        right, bottom = word.left + word.width, word.top + word.height
        if (box := boxes.get(word.block)) is None:
            boxes[word.block] = [word.left, word.top, right, bottom]
            order.append(word.block)
        else:
            box[:] = [min(box[0], word.left), min(box[1], word.top), max(box[2], right), max(box[3], bottom)]
    if not 2 <= len(order) <= MAX_ORDERED_BLOCKS:
        return words
    import heapq

    import numpy as np

    left, top, right, bottom = np.array([boxes[block] for block in order], dtype=float).T
    slack = ABOVE_SLACK * statistics.median(word.height for word in words)
    overlap = np.minimum.outer(right, right) - np.maximum.outer(left, left)
    narrower = np.minimum.outer(right - left, right - left)
    # above[i, j]: block i lies wholly above block j in its column (and j not above i)
    above = (overlap >= COLUMN_OVERLAP * narrower) & (bottom[:, None] - slack <= top[None, :])
    np.fill_diagonal(above, False)
    above &= ~above.T
    if not np.tril(above, -1).any():
        return words  # no block lies above one Tesseract gave before it: its order stands (most pages)
    # each block's place: Tesseract's, or the earliest of a block it lies above (a late top block goes where the
    # column it heads was given), relaxed down the chains of blocks above blocks
    place = np.arange(len(order), dtype=float)
    while True:
        earliest = np.minimum(place, np.where(above, place[None, :], np.inf).min(axis=1))
        if np.array_equal(earliest, place):
            break
        place = earliest
    # each block after the blocks above it in its column (Kahn's algorithm), the one of the earliest place first
    waiting = above.sum(axis=0)
    ready = [(place[index], index) for index in range(len(order)) if not waiting[index]]
    heapq.heapify(ready)
    placed: list[int] = []
    done = np.zeros(len(order), dtype=bool)
    while len(placed) < len(order):
        # (none ready: blocks above one another in a ring, specks, which the boxes cannot order; the earliest next)
        index = heapq.heappop(ready)[1] if ready else min(np.flatnonzero(~done), key=lambda i: (place[i], i))
        if done[index]:
            continue
        done[index] = True
        placed.append(int(index))
        for below in np.flatnonzero(above[index]):
            waiting[below] -= 1
            if not waiting[below] and not done[below]:
                heapq.heappush(ready, (place[below], int(below)))
    rank = {order[index]: position for position, index in enumerate(placed)}
    return sorted(words, key=lambda word: rank[word.block])  # stable: each block's words in Tesseract's order


# An unruled table (a payment list, a household register) comes from Tesseract as one block per column, a form's
# labels as one block beside one of their entries: read block by block, a row's cells were lines apart in the
# record text that search and the classifier read ("Họ và tên Đặng Văn Hải Bùi Thị Hoa …", then "Đối tượng Người
# cao tuổi …": a phrase across a row's cells was not found, QA125 F4). Blocks side by side whose lines share rows
# are read row by row when they are a table: at least TABLE_COLUMNS of them, two or more columns of cells — short
# lines beginning with a capital or a digit — and the others between those or, capitalised, on their rows (two or
# three columns of prose share rows too, as do a paragraph beside a table and the two halves of a Decree 30 header
# or closing: QA128), or a column of labels ("Nơi sinh:", no item of a list) with their entries beside it.
TABLE_COLUMNS = 3
TABLE_ROW_SHARE = 0.6  # of the lines of two blocks of a table (of the one with fewer), on rows they share
TABLE_CELL_WORDS = 4  # the middle count of words in a table's lines, at most (a column of prose has 8 and more)
TABLE_LOWER_SHARE = 0.25  # of a table's lines that begin in lower case, at most (prose: most of them)
LABEL_SHARE = 0.6  # of a column's lines that end in ":", for a column of labels
LIST_MARKS = "-–—+•*"  # what an item of a list begins with
MAX_TABLE_LINES = 2000  # weighing every pair of lines costs their square; real pages have a few hundred


@dataclass(frozen=True)
class _Lines:
    """A page's lines (Tesseract's), each with its block's index and its box."""

    keys: list[tuple[int, int, int]]  # (block, paragraph, line), as the words give them
    words: list[list[Word]]
    block: np.ndarray  # index into ``blocks``
    blocks: list[int]
    left: np.ndarray
    top: np.ndarray
    right: np.ndarray
    bottom: np.ndarray
    level: np.ndarray  # [a, b]: lines a and b are on one row (whatever their blocks and places across)

    @property
    def height(self) -> np.ndarray:
        return self.bottom - self.top


def tables_in_rows(words: list[Word]) -> list[Word]:
    """``words`` with the blocks of each table (see TABLE_COLUMNS) made one block read row by row: a row's cells
    left to right, one line; its place in the order the place of its first word."""
    import numpy as np

    by_line: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        by_line.setdefault((word.block, word.paragraph, word.line), []).append(word)
    blocks = sorted({key[0] for key in by_line})
    if not 2 <= len(blocks) <= MAX_ORDERED_BLOCKS or len(by_line) > MAX_TABLE_LINES:
        return words  # (a map's labels, scattered: as blocks_in_reading_order, no weighing of every pair)
    index_of = {block: index for index, block in enumerate(blocks)}
    keys = list(by_line)
    boxes = np.array(
        [
            (
                min(w.left for w in line),
                min(w.top for w in line),
                max(w.left + w.width for w in line),
                max(w.top + w.height for w in line),
            )
            for line in by_line.values()
        ],
        dtype=float,
    )
    left, top, right, bottom = boxes.T
    # lines on one row: their middles less than half the shorter one's height apart (sharing half its height
    # instead, a row of figures shared it with the next row's line of tall marked capitals)
    height = bottom - top
    middle = (top + bottom) / 2
    level = np.abs(middle[:, None] - middle[None, :]) < 0.5 * np.minimum.outer(height, height)
    block_of = np.array([index_of[key[0]] for key in keys])
    lines = _Lines(keys, list(by_line.values()), block_of, blocks, left, top, right, bottom, level)
    # row mates: lines of two blocks side by side, on one row
    apart = (right[:, None] <= left[None, :]) | (right[None, :] <= left[:, None])
    mates = apart & level & (block_of[:, None] != block_of)
    if not mates.any():
        return words
    # a table's line → (its table's block, its row, its cell in the row): its words stay together, in their order
    rows_of: dict[tuple[int, int, int], tuple[int, int, int]] = {}
    taken: set[int] = set()
    for aligned in _aligned_blocks(lines, mates):
        columns = [column for column in aligned if column not in taken]  # (a cell of a table met before)
        rows = _table(lines, mates, columns, taken) if len(columns) >= 2 else None
        if rows is None:
            continue
        table = {int(lines.block[line]) for row in rows for line in row}
        taken |= table
        block = blocks[min(table)]
        for number, row in enumerate(rows, 1):
            for cell, line in enumerate(row):
                rows_of[keys[line]] = (block, number, cell)
    if not rows_of:
        return words
    ordered: list[Word | int] = []  # a table's block where its first word was
    tables: dict[int, list[tuple[int, int, Word]]] = {}
    for word in words:
        if (place := rows_of.get((word.block, word.paragraph, word.line))) is None:
            ordered.append(word)
            continue
        block, number, cell = place
        if block not in tables:
            tables[block] = []
            ordered.append(block)
        cells = tables[block]
        cells.append((number, cell, dataclasses.replace(word, block=block, paragraph=1, line=number)))
    in_rows: list[Word] = []
    for item in ordered:
        if isinstance(item, int):
            # (sorted is stable: a cell's words in their order)
            in_rows += [word for _, _, word in sorted(tables[item], key=lambda placed: placed[:2])]
        else:
            in_rows.append(item)
    return in_rows


def _aligned_blocks(lines: _Lines, mates: np.ndarray) -> list[list[int]]:
    """Groups of blocks (indices) side by side whose lines share rows (TABLE_ROW_SHARE), each of two or more."""
    import numpy as np

    count = len(lines.blocks)
    # (in floats: numpy multiplies integer matrices without BLAS, 10 s for 1,900 one-line blocks)
    member = np.zeros((len(lines.keys), count), dtype=np.float32)
    member[np.arange(len(lines.keys)), lines.block] = 1
    has_mate_in = (mates.astype(np.float32) @ member) > 0  # [line, block]: on a row with a line of that block
    shared = member.T @ has_mate_in.astype(np.float32)  # [a, b]: lines of a on a row with a line of b
    sizes = member.sum(axis=0)
    fewer = TABLE_ROW_SHARE * np.minimum.outer(sizes, sizes)
    both = np.minimum(shared, shared.T)
    aligned = (both >= 2) & (both >= fewer)
    parent = list(range(count))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]  # (halving the path; QA128 F1: assigned the other way round, a
            index = parent[index]  # grandparent became a root, and a table of four columns lost one)
        return index

    for first, second in zip(*np.nonzero(np.triu(aligned, 1)), strict=True):
        parent[root(int(first))] = root(int(second))
    groups: dict[int, list[int]] = {}
    for index in range(count):
        groups.setdefault(root(index), []).append(index)
    return [group for group in groups.values() if len(group) >= 2]


def _table(lines: _Lines, mates: np.ndarray, columns: list[int], taken: set[int]) -> list[list[int]] | None:
    """The rows (``_rows``) of the table ``columns`` (blocks) are, with the cells Tesseract gave blocks of their own
    (a header's, a last row's); None when they are no table (TABLE_COLUMNS), or when its rows are in doubt."""
    import numpy as np

    def lines_of(block: int) -> np.ndarray:
        return np.flatnonzero(lines.block == block)

    leftmost = min(columns, key=lambda column: float(lines.left[lines_of(column)].min()))
    labelled = len(columns) == 2 and _labels(lines, lines_of(leftmost))
    if not labelled:
        # two columns of cells or more; a column of longer lines between them is the table's too (a "Nội dung"
        # column), as is one beside them of TABLE_COLUMNS lines or more, each on a row of theirs, that begin as
        # cells do (an address column); a paragraph beside a table, whose lines share its rows, is not (QA128 F6)
        cells = [column for column in columns if _cells(lines, lines_of(column))]
        if len(cells) < 2:
            return None
        of_cells = np.isin(lines.block, cells)
        span = lines.left[of_cells].min(), lines.right[of_cells].max()
        columns = [
            column
            for column in columns
            if column in cells
            or _within(lines, lines_of(column), *span)
            or (
                len(own := lines_of(column)) >= TABLE_COLUMNS
                and _capitalised(lines, own)
                and bool(mates[np.ix_(own, np.flatnonzero(of_cells))].any(axis=1).all())
            )
        ]
        if len(columns) < TABLE_COLUMNS:
            return None
    least_cells = 2 if labelled else TABLE_COLUMNS  # in a row of a table's
    table = list(columns)
    grown = True
    while grown:
        inside = np.isin(lines.block, table)
        # where a row of cells of its own may join the table: about two rows above or below it, no wider
        reach = 2 * float(np.median(lines.height[inside]))
        near = (
            (lines.left >= lines.left[inside].min() - reach)
            & (lines.right <= lines.right[inside].max() + reach)
            & (lines.top >= lines.top[inside].min() - 2 * reach)
            & (lines.bottom <= lines.bottom[inside].max() + 2 * reach)
        )
        span = lines.left[inside].min(), lines.right[inside].max()
        grown = False
        for block in sorted(set(range(len(lines.blocks))) - set(table) - taken):
            own = lines_of(block)
            if not (labelled or _cells(lines, own) or _within(lines, own, *span)):
                continue  # prose beside the table (a chart's caption); a cell may be long (an address, QA128 F3)
            # each of its lines on a row of the table, or on a row of its own of as many cells beside it
            if all(
                mates[line, inside].any() or _a_new_row(lines, mates, near, int(line), least_cells, labelled)
                for line in own
            ):
                table.append(block)
                grown = True
    rows = _rows(lines, mates, np.flatnonzero(np.isin(lines.block, table)))
    if rows is None or sum(len(row) >= least_cells for row in rows) < 2:
        return None
    return rows


def _stacked_in_a_block(lines: _Lines, cells: list[int]) -> bool:
    """Whether two of the lines are of one block, one above the other (not side by side on one row: Tesseract
    splits a line of specks, a number read "— ©", into two)."""
    return any(
        lines.block[first] == lines.block[second] and not lines.level[first, second]
        for first, second in itertools.combinations(cells, 2)
    )


def _within(lines: _Lines, indices: np.ndarray, left: float, right: float) -> bool:
    """Whether the lines lie between ``left`` and ``right``."""
    return bool(lines.left[indices].min() >= left and lines.right[indices].max() <= right)


def _a_new_row(lines: _Lines, mates: np.ndarray, near: np.ndarray, line: int, cells: int, labelled: bool) -> bool:
    """Whether ``line``, near the table, is on a row of at least ``cells`` lines near it (of a form's: one whose
    first cell is a label)."""
    import numpy as np

    if not near[line]:
        return False
    row = [line, *np.flatnonzero(mates[line] & near)]
    if len(row) < cells:
        return False
    return not labelled or _labels(lines, [min(row, key=lambda cell: float(lines.left[cell]))])


def _cells(lines: _Lines, indices: Iterable[int]) -> bool:
    """Whether the lines are a table's cells, not prose: short, and ``_capitalised``."""
    indices = list(indices)
    words = statistics.median(len(lines.words[line]) for line in indices)
    return words <= TABLE_CELL_WORDS and _capitalised(lines, indices)


def _capitalised(lines: _Lines, indices: Iterable[int]) -> bool:
    """Whether few of the lines begin in lower case (TABLE_LOWER_SHARE): a cell begins with a capital or a digit,
    where a line of prose goes on from the line above it."""
    texts = [lines.words[line] for line in indices]
    return sum(words[0].text[:1].islower() for words in texts) <= TABLE_LOWER_SHARE * len(texts)


def _labels(lines: _Lines, indices: Iterable[int]) -> bool:
    """Whether the lines are a form's labels: most end in ":", and none of those is an item of a list (a Decree
    30 closing's recipients, "- Như trên:" with its ";" read as ":", QA128 F5)."""
    words = [lines.words[line] for line in indices]
    ends = [line[-1].text.endswith(":") and line[0].text[:1] not in LIST_MARKS for line in words]
    return bool(ends) and sum(ends) >= LABEL_SHARE * len(ends)


def _rows(lines: _Lines, mates: np.ndarray, indices: np.ndarray) -> list[list[int]] | None:
    """``indices`` (a table's lines) in rows, each row's cells left to right: lines that share rows, and the lines
    that share rows with those; a line no other shares a row with is a row of its own (a cell's second line). The
    rows from the top down, by the middle of each row's first cell. None when a row would hold two lines of one
    block, one above the other: rows that drift across the page (a phone's photo in perspective, a curled page),
    where a cell shares rows with lines of two of them (QA128 F2: a payee's cells came before the name, or with
    the next one's)."""
    import numpy as np

    shared = mates[np.ix_(indices, indices)]
    row_of = np.full(len(indices), -1)
    rows: list[list[int]] = []
    for start in range(len(indices)):
        if row_of[start] >= 0:
            continue
        row_of[start] = len(rows)
        row, waiting = [start], [start]
        while waiting:
            for other in np.flatnonzero(shared[waiting.pop()] & (row_of < 0)):
                row_of[other] = len(rows)
                row.append(int(other))
                waiting.append(int(other))
        cells = [int(indices[member]) for member in row]
        if _stacked_in_a_block(lines, cells):
            return None
        rows.append(sorted(cells, key=lambda cell: float(lines.left[cell])))
    return sorted(rows, key=lambda row: float(lines.top[row[0]] + lines.bottom[row[0]]))


def stacked(bands: list[tuple[int, PageReading]]) -> PageReading:
    """One page's reading from the readings of its horizontal bands, given as (top row, reading) from the top
    down: boxes moved to the page's pixels, each band's blocks numbered after the ones above it."""
    words: list[Word] = []
    blocks_above = 0
    for top, band in bands:
        words += [dataclasses.replace(w, top=w.top + top, block=w.block + blocks_above) for w in band.words]
        blocks_above += max((w.block for w in band.words), default=0)
    last_top, last = bands[-1]
    corrections = tuple(pair for _, band in bands for pair in band.corrections)
    return PageReading(
        width=last.width,
        height=last_top + last.height,
        words=words,
        engine=last.engine,
        corrections=corrections,
        language=last.language,
    )


# A run of a line both readings read (``surer_lines_kept``) is given back to the first where its words there span this
# share of the second's width at least — or the second's are read this unsurely (junk in a table's shaded cell)
GIVEN_BACK_SPAN = 0.9
GIVEN_BACK_UNSURE = 60.0


def surer_lines_kept(first: PageReading, again: PageReading) -> PageReading:
    """``again``, the page read again another way (darkened, evened: the same image's pixels, so the same boxes),
    with ``first``'s words put back where ``first`` read the same stretch of a line more surely. Each of ``first``'s
    words belongs to the line of ``again`` whose words it lies on most nearly (``_line_of``); along each line, its
    words and ``first``'s fall into runs of overlapping boxes, and a run both read is ``first``'s where the mean
    confidence of its words there is higher than ``again``'s and they span the run (GIVEN_BACK_SPAN) — or
    ``again``'s there are junk (GIVEN_BACK_UNSURE). A page read again for its grey paragraphs, darkened, had the
    show-through of its back darkened with them, and its black lines, read right the first time, came back with
    marks in their gaps read as punctuation: `và.bản.chính` (three words at 96–97 first, one at 43 again),
    `không:dân`, `øiao` (QA174 F3: 8 words wrong where the first reading had none). A word the first reading read in
    part — the lit half of a word across a shadow's edge, `ao` for `giao`, as sure as the whole (QA178 F1) — is not
    given back, nor a word of the next line over which a tall junk "word" of ``again`` lies, nor one over a mark read
    as a line of its own (QA178 F2: words twice, glued to others). What only ``again`` read (the print it was read
    again for) is ``again``'s, and what only ``first`` read on a line of ``again`` is left out, as it was."""
    lines = [
        list(grouped) for _, grouped in itertools.groupby(again.words, key=lambda w: (w.block, w.paragraph, w.line))
    ]
    theirs_by_line: dict[int, list[Word]] = {}
    for word in first.words:
        if (on := _line_of(word, lines)) is not None:
            theirs_by_line.setdefault(on, []).append(word)
    kept: list[Word] = []
    from_first: list[str] = []
    from_again: list[str] = []
    for number, line in enumerate(lines):
        key = line[0]
        for theirs, ours in overlapping_runs(theirs_by_line.get(number, []), line):
            if theirs and ours and _given_back(theirs, ours):
                kept += [
                    dataclasses.replace(w, block=key.block, paragraph=key.paragraph, line=key.line) for w in theirs
                ]
                from_first += [w.text for w in theirs]
            else:
                kept += ours
                from_again += [w.text for w in ours]
    if not from_first:
        return again
    corrections = corrections_of(first.corrections, from_first) + corrections_of(again.corrections, from_again)
    return dataclasses.replace(again, words=kept, corrections=corrections)


def _line_of(word: Word, lines: list[list[Word]]) -> int | None:
    """The index of the line of ``lines`` (a reading's, each a list of its words) that ``word`` lies on most nearly:
    of those with a word it lies over (``word_over``), the one whose word shares most of their two heights together
    (a tall junk word over two lines shares little of its height with either), None when it lies over none."""
    best, nearest = None, 0.0
    for index, line in enumerate(lines):
        if min(w.top for w in line) >= word.top + word.height or max(w.top + w.height for w in line) <= word.top:
            continue  # (a line above or below it: its words are not looked at one by one)
        for other in line:
            if word_over(word, other):
                shared = min(word.top + word.height, other.top + other.height) - max(word.top, other.top)
                together = max(word.top + word.height, other.top + other.height) - min(word.top, other.top)
                if shared / together > nearest:
                    best, nearest = index, shared / together
    return best


def _given_back(theirs: list[Word], ours: list[Word]) -> bool:
    """Whether a run of a line that both readings read is the first's, ``theirs``, rather than ``ours``: read more
    surely, and spanning the run — or ours junk (``surer_lines_kept``)."""
    if mean_confidence(theirs) <= mean_confidence(ours):
        return False
    return mean_confidence(ours) < GIVEN_BACK_UNSURE or words_span(theirs) >= GIVEN_BACK_SPAN * words_span(ours)


def words_span(words: list[Word]) -> int:
    """How many pixels across ``words`` (of one line) reach, from the first's left to the last's right."""
    return max(w.left + w.width for w in words) - min(w.left for w in words)


def overlapping_runs(theirs: list[Word], ours: list[Word]) -> list[tuple[list[Word], list[Word]]]:
    """The words of two readings of one line, ``theirs`` and ``ours``, in runs from left to right whose boxes
    overlap across the line, each run as (its words of ``theirs``, its words of ``ours``), each in order."""
    runs: list[tuple[list[Word], list[Word]]] = []
    reach = -1
    for w, mine in sorted([(w, False) for w in theirs] + [(w, True) for w in ours], key=lambda pair: pair[0].left):
        if not runs or w.left >= reach:
            runs.append(([], []))
        runs[-1][1 if mine else 0].append(w)
        reach = max(reach, w.left + w.width)
    return runs


def word_over(one: Word, other: Word) -> bool:
    """Whether ``one``'s box overlaps ``other``'s across, and down by half the height of the lower of the two."""
    across = min(one.left + one.width, other.left + other.width) - max(one.left, other.left)
    down = min(one.top + one.height, other.top + other.height) - max(one.top, other.top)
    return across > 0 and down > 0.5 * min(one.height, other.height)


def mean_confidence(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words)


def corrections_of(corrections: tuple[tuple[str, str], ...], texts: list[str]) -> tuple[tuple[str, str], ...]:
    """Those of a reading's ``corrections`` (read, put right) whose word is among ``texts``, each word once."""
    left = collections.Counter(texts)
    kept = []
    for pair in corrections:
        if left[pair[1]] > 0:
            left[pair[1]] -= 1
            kept.append(pair)
    return tuple(kept)


_NOT_FOUND = (
    "không tìm thấy chương trình tesseract (chưa cài, hoặc không có trong PATH): hãy cài tesseract-ocr và "
    "tesseract-ocr-vie (make demo cài chúng) / Tesseract is not installed or not on PATH: install "
    "tesseract-ocr and tesseract-ocr-vie (make demo installs them)"
)
TESSERACT_ASK_SECONDS = 60  # `tesseract --version` / `--list-langs` answer in ~50 ms; one that hangs is broken


def _ask_tesseract(*arguments: str) -> str:
    """What ``tesseract ARGUMENTS`` prints (stdout, else stderr: older releases list languages there), or a
    ``StageError`` saying in both languages that Tesseract is missing, hangs, or fails and what it said. pytesseract's
    own calls have no timeout (a hung one hung sohoa for ever) and show nothing of a failing one's stderr (one that
    could not load libtesseract was said to be "not installed", QA102)."""
    command = [pytesseract.pytesseract.tesseract_cmd, *arguments]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=TESSERACT_ASK_SECONDS, check=False
        )
    except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        raise StageError(_NOT_FOUND) from exc
    except subprocess.TimeoutExpired as exc:
        raise StageError(
            f"tesseract không trả lời `{' '.join(command[1:])}` sau {TESSERACT_ASK_SECONDS} giây (cài đặt hỏng?) / "
            f"tesseract did not answer `{' '.join(command[1:])}` within {TESSERACT_ASK_SECONDS} s (a broken "
            "installation?)"
        ) from exc
    if done.returncode != 0:
        said = " ".join((done.stderr or done.stdout).split())[:300] or f"exit status {done.returncode}"
        raise StageError(
            f"tesseract không chạy được (cài đặt hỏng?): {said} / tesseract fails (a broken installation?): {said}"
        )
    return done.stdout or done.stderr


@functools.cache
def tesseract_version() -> str:
    first = _ask_tesseract("--version").splitlines()
    return first[0].strip() if first else "tesseract"


class MissingLanguageError(StageError):
    """Tesseract has no data for a language asked for: a usage error when the language was given as an option."""


@functools.cache  # one `tesseract --list-langs` (~50 ms) for every language checked: the pages', the other one
def _listed_languages(tessdata_dir: Path | None) -> frozenset[str]:
    """The languages Tesseract has data for, in ``tessdata_dir`` or its own folder."""
    # the machine's fault, said as one (exit 3): it was "internal error in sohoa … please report it", with a crash
    # file (QA101); a tesseract that hangs or fails, said with what it said (QA102)
    listed = _ask_tesseract(*(("--tessdata-dir", str(tessdata_dir)) if tessdata_dir else ()), "--list-langs")
    return frozenset(line.strip() for line in listed.splitlines()[1:] if line.strip())


def language_package(language: str) -> str:
    """The Debian package with a Tesseract language's data: ``chi_sim`` → ``tesseract-ocr-chi-sim``."""
    return "tesseract-ocr-" + language.lower().replace("_", "-")


@functools.cache  # once per process, not a Tesseract start per document (a batch ran 114 of them)
def check_language(language: str, tessdata_dir: Path | None = None) -> None:
    if tessdata_dir is not None and not Path(tessdata_dir).is_dir():
        raise StageError(f"SOHOA_TESSDATA_DIR={tessdata_dir}: no such folder (unset it to use Debian's tessdata)")
    available = _listed_languages(tessdata_dir)
    if not available and tessdata_dir is None:  # it ran and listed nothing: broken, not a language missing
        raise StageError(
            "tesseract chạy nhưng không liệt kê được ngôn ngữ nào (cài đặt hỏng?): hãy chạy `tesseract "
            "--list-langs` để xem lỗi / tesseract runs but lists no language (a broken installation?): run "
            "`tesseract --list-langs` to see why"
        )
    missing = [lang for lang in language.split("+") if lang not in available]
    if missing:
        names, have = ", ".join(missing), ", ".join(sorted(available))
        packages = " ".join(language_package(lang) for lang in missing)
        files = ", ".join(lang + ".traineddata" for lang in missing)
        # both halves whole: after its Vietnamese header the reason and what to do were English only (QA102)
        where_vi, where_en = (
            (f"có trong {tessdata_dir}", f"in {tessdata_dir}") if tessdata_dir else ("đã cài", "installed")
        )
        or_vi, or_en = (
            ("", "")
            if tessdata_dir
            else (
                " hoặc đặt SOHOA_TESSDATA_DIR là thư mục chứa nó",
                " or set SOHOA_TESSDATA_DIR to a folder holding it",
            )
        )
        vietnamese = (
            f"thiếu dữ liệu ngôn ngữ của Tesseract: {names} ({where_vi}: {have}); hãy cài {packages}{or_vi} ({files})"
        )
        english = f"Tesseract language data missing: {names} ({where_en}: {have}); install {packages}{or_en} ({files})"
        raise MissingLanguageError(f"{vietnamese} / {english}")


def read_page(
    image_path: Path,
    out_base: Path,
    *,
    dpi: int,
    language: str = "vie",
    psm: int = 3,
    tessdata_dir: Path | None = None,
    timeout: int = 600,
    source: Path | None = None,
    engine: str = "library",
) -> PageReading:
    """OCR one page image and return its words, Vietnamese diacritic slips undone (``ocr.diacritics``).

    ``engine`` "library": a long-lived worker process on libtesseract (``ocr.tesseract_library``; falls back to
    the command when the library cannot be loaded); "command": one ``tesseract`` run writing ``out_base.tsv``.
    Both give the same words for the same image.
    """
    try:
        if engine != "library":
            raise LibraryUnavailable(f"engine {engine!r}")
        reading = read_with_library(
            image_path, dpi=dpi, language=language, psm=psm, tessdata_dir=tessdata_dir, timeout=timeout, source=source
        )
        (width, height), words = (reading.width, reading.height), words_from_rows(reading.words)
        engine = reading.engine
    except LibraryUnavailable:
        (width, height), words = _read_with_command(
            image_path, out_base, dpi, language, psm, tessdata_dir, timeout, source
        )
        engine = tesseract_version()
    if not reads_vietnamese(language):
        return PageReading(width=width, height=height, words=words, engine=engine, language=language)
    read = [word.text for word in words]
    restored = restore_diacritics(read, [word.confidence for word in words], page_breaks(words))
    if restored != read:
        words = [dataclasses.replace(w, text=text) for w, text in zip(words, restored, strict=True)]
    changed = corrections_made(read, restored)
    return PageReading(width=width, height=height, words=words, engine=engine, corrections=changed, language=language)


def reads_vietnamese(language: str | None) -> bool:
    """``vie``, or the Vietnamese script model, alone or among others (``vie+eng``); None, a page's language where a
    record written before pages recorded theirs is read, counts as Vietnamese (every page was read in it then)."""
    return language is None or any(model.rsplit("/", 1)[-1] in ("vie", "Vietnamese") for model in language.split("+"))


# A gap on a line wider than this many times the taller of the words on its sides is a column's, not a word space:
# two signers' names side by side, which Tesseract reads as one line ("NGUYỄN VĂN AN   TRẦN THẾ HIỆN": ~18 times; three
# signers on a row of A4, 1.4–4: QA145 F3), a form's or a table's next cell, a header's two columns. Measured on the
# pages of tests/fixtures and samples/: word spaces 0.8 times at most; columns 2.9–25 times. A wider space of a
# stretched justified line taken for a column costs nothing but where a name may begin (``ocr.diacritics.Breaks``)
COLUMN_GAP_HEIGHTS = 1.2


def page_breaks(words: list[Word]) -> Breaks:
    """Where the page's words begin a line, or another column on their line (``COLUMN_GAP_HEIGHTS``): the diacritic
    fixes' bounds of a name (``restore_diacritics``)."""
    columns: set[int] = set()
    lines: set[int] = set()
    for index, (before, word) in enumerate(itertools.pairwise(words), start=1):
        if (before.block, before.paragraph, before.line) != (word.block, word.paragraph, word.line):
            lines.add(index)
        elif word.left - (before.left + before.width) > COLUMN_GAP_HEIGHTS * max(before.height, word.height):
            columns.add(index)
    return Breaks(columns=frozenset(columns), lines=frozenset(lines))


def words_from_rows(rows: list[WordRow]) -> list[Word]:
    """The library's words under the TSV's rules (``parse_tsv``): NFC, and no empty or non-word entries
    (Tesseract marks those with a negative confidence)."""
    words: list[Word] = []
    for text, confidence, *box_and_position in rows:
        text = unicodedata.normalize("NFC", text).strip()
        if text and confidence >= 0:
            words.append(Word(text, confidence, *box_and_position))
    return words


def _read_with_command(
    image_path: Path,
    out_base: Path,
    dpi: int,
    language: str,
    psm: int,
    tessdata_dir: Path | None,
    timeout: int,
    source: Path | None,
) -> tuple[tuple[int, int], list[Word]]:
    # Tesseract's own OpenMP threads make a page ~2.5x slower on 2 cores; we parallelise across pages instead.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    config = f"--psm {psm} --dpi {dpi} -c tessedit_create_tsv=1"
    if tessdata_dir:
        config = f'--tessdata-dir "{tessdata_dir}" {config}'
    named = source or image_path
    first: pytesseract.TesseractError | None = None
    for _attempt in range(2):
        try:
            run_tesseract(
                str(image_path), str(out_base), extension="tsv", lang=language, config=config, timeout=timeout
            )
            break
        except pytesseract.TesseractError as exc:
            if exc.status >= 0:
                # the language data was checked before: a failure now is about this page's image
                raise BadInputError(named, Problem.OCR_FAILED, str(exc.message).strip()[:200]) from exc
            if first is not None:
                _give_up_after_second_death(named, first, exc, language, tessdata_dir)
            # ended by a signal: killed from outside (the OOM killer) or crashed on the page; as the library's
            # workers (ocr.tesseract_library.read_with_library), the page is read once more to tell the two apart
            log.warning(
                "%s: tesseract bị dừng bởi %s khi đang đọc trang; đọc lại / tesseract was killed by %s while reading "
                "the page; reading it again",
                named.name,
                signal_name(exc.status),
                signal_name(exc.status),
            )
            first = exc
        except RuntimeError as exc:  # pytesseract's timeout
            raise StageError(f"{image_path.name}: Tesseract timed out after {timeout}s") from exc
    tsv = out_base.with_suffix(".tsv")
    size, words = parse_tsv(tsv.read_text(encoding="utf-8"))
    tsv.unlink()
    return size, words


def _give_up_after_second_death(
    named: Path,
    first: pytesseract.TesseractError,
    second: pytesseract.TesseractError,
    language: str = "vie",
    tessdata_dir: Path | None = None,
) -> NoReturn:
    """A ``tesseract`` run ended by a signal twice on the same page: the scan's fault only when it crashed on it
    and reads a plain test page (``tesseract_broken``)."""
    said = f"killed by {signal_name(second.status)}; the first time by {signal_name(first.status)}"
    if killed_from_outside(second.status):
        raise StageError(
            f"{named.name}: tesseract was {said} while reading a page: ended from outside (out of memory? the "
            "OOM killer), not because of the scan; rerun it"
        ) from second
    broken = tesseract_broken(language, tessdata_dir)
    if broken is not None:
        raise StageError(broken) from second
    raise BadInputError(named, Problem.OCR_FAILED, f"Tesseract stopped on this page twice ({said})") from second


@functools.cache
def tesseract_broken(language: str = "vie", tessdata_dir: Path | None = None) -> str | None:
    """Why the ``tesseract`` command is broken — it crashes (or fails) on a plain test page too: an A4 page at
    300 dpi with a few lines of print, read in ``language`` — in both languages, or None when it reads that page.
    Asked only when a page made it crash twice: a Tesseract that crashed on every page (a bad upgrade, a build for
    another CPU) sent a whole backlog to quarantine with "scan it again, clearer" (QA102). Page-sized, and in the
    language the pages are read in: a one-line probe passed a Tesseract that crashed on every page-sized image,
    and without ``-l`` it needed ``eng`` (QA103)."""
    from PIL import Image, ImageDraw

    with ScratchFolder("sohoa-probe-") as scratch:
        page = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(page)
        for line in range(12):
            draw.text((250, 300 + line * 120), "THONG BAO 2024 - UBND XA", fill=0, font_size=60)
        path = scratch / "probe.png"
        page.save(path, dpi=(300, 300))
        command = [pytesseract.pytesseract.tesseract_cmd, str(path), "stdout", "-l", language, "--psm", "3"]
        if tessdata_dir:
            command[3:3] = ["--tessdata-dir", str(tessdata_dir)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TESSERACT_ASK_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            said = str(exc)[:200]
        else:
            if done.returncode == 0:
                return None
            said = (
                f"killed by {signal_name(done.returncode)}"
                if done.returncode < 0
                else " ".join(done.stderr.decode(errors="replace").split())[:200] or f"exit {done.returncode}"
            )
    return (
        f"tesseract hỏng: nó cũng dừng khi đọc một trang thử đơn giản ({said}), nên lỗi không do bản quét; hãy cài "
        f"lại tesseract-ocr / tesseract is broken: it also fails on a plain test page ({said}), so the scans are "
        f"not at fault; reinstall tesseract-ocr (`{shlex.join(command[:1])} --version` to see it)"
    )


def parse_tsv(tsv: str) -> tuple[tuple[int, int], list[Word]]:
    """The page's size in pixels (its level-1 row) and its words (level 5) with a text and a confidence."""
    size = (0, 0)
    words: list[Word] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) >= 10 and cells[0] == "1" and size == (0, 0):
            size = (int(cells[8]), int(cells[9]))
        if len(cells) < 12 or cells[0] != "5":
            continue
        text = unicodedata.normalize("NFC", cells[11]).strip()
        confidence = float(cells[10])
        if not text or confidence < 0:
            continue
        words.append(
            Word(
                text=text,
                confidence=confidence,
                left=int(cells[6]),
                top=int(cells[7]),
                width=int(cells[8]),
                height=int(cells[9]),
                block=int(cells[2]),
                paragraph=int(cells[3]),
                line=int(cells[4]),
            )
        )
    return size, words


# ------------------------------------------------------------------------------------------ pages read elsewhere
@dataclass(frozen=True)
class PageJob:
    """One page to read in another process, maybe on another host (a Dask worker): everything travels by value,
    since that process shares no folder with the one that planned the page."""

    image: bytes  # the page image as prepared for Tesseract (PGM/PBM/PPM)
    suffix: str  # its file suffix, which tells Tesseract the format
    dpi: int
    language: str
    tessdata_dir: str | None  # must exist at that path on the reading host
    source: str | None  # the input file, named in errors
    tesseract_slots: int = 0  # the reading host's slot count (0: its number of cores)
    engine: str = "library"  # read_page's engine
    psm: int = 3  # Tesseract's page segmentation mode: 3 a page, 7 a line read alone


def read_page_job(job: PageJob) -> PageReading:
    """Read one page wherever this runs, under that host's Tesseract slots; a module-level function so that a
    Dask worker can unpickle it."""
    from ocr.slots import set_slot_count, tesseract_slot

    if job.tesseract_slots:
        set_slot_count(job.tesseract_slots)
    with ScratchFolder("sohoa-page-") as scratch:
        image_path = scratch / f"page{job.suffix}"
        image_path.write_bytes(job.image)
        with tesseract_slot():
            return read_page(
                image_path,
                scratch / "ocr",
                dpi=job.dpi,
                language=job.language,
                tessdata_dir=Path(job.tessdata_dir) if job.tessdata_dir else None,
                source=Path(job.source) if job.source else None,
                engine=job.engine,
                psm=job.psm,
            )
