"""Digits of the number and the date of issue that Tesseract doubted: most often written by hand.

A commune numbers and dates its paper documents by hand after signing, in blanks the printed form leaves ("Số:
….. /QĐ-UBND", "ngày …. tháng …. năm 2025"). Tesseract reads the ink as digits all the same, and the rules read
those digits as surely as printed ones: the real NĐ 155/2020 (both written by hand) was archived as 465/2020 at
0.95 and dated the 3rd for the 31st at 0.85 (QA81). Tesseract's own word confidence tells them apart: on the
benchmark's and the samples' pages, printed digits standing alone were read at 82–97 (93–97 in a header), the
handwritten ``Số:465`` at 20 and ``3{_`` (31) at 71.

Only a word made of the number's digits alone is asked (``465``, ``Số:465``, ``465/``): in a word that also
holds the printed symbol (``02/CĐ-UBND``) the confidence is the symbol's as much as the digits' (25 for a printed
one on a poor scan), and tells nothing of them — so a number written touching the printed ``/QĐ-UBND``, which OCR
reads as one word with it, is not caught (QA83: ``227/QĐ-UBND`` for 27, at 0.95); nor would Tesseract's
confidence in each letter tell it (the handwritten digits of such words at 83–100, as printed ones; README). A
day's or a month's word that holds more than digits (``3{``) is doubted however sure Tesseract was, and in a text
layer too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from classify.layout import group_rows
from sohoa.record import PageWords, PlacedWord
from sohoa.vietnamese import fold

# Below this confidence (Tesseract's, 0–100) a word of the number's or the date's digits is doubted.
DIGITS_DOUBTED_BELOW = 80.0
# ``465``, ``Số:465``, ``Số: 465``, ``465/``: the number's serial alone in its word, or after the printed ``Số:``
_SERIAL_WORD = re.compile(r"^(?:so\s*[:.;]?\s*)?(\d+)\s*[/.]?$")
# how many words may stand between 'ngày' and 'tháng', 'tháng' and 'năm' (a day written "3 1" is two)
_BLANK_WORDS = 3


# a form's leader dots or a blank's underscores ("....", "…", "___"): what is written on, not what is written
LEADER_MARKS = ".…_-·"
_LEADER_RE = re.compile(rf"^[{re.escape(LEADER_MARKS)},:]+$")
# a day's or a month's word as printed: its digits, a mark of punctuation after them at most ("05;", "3.")
_DIGITS_WORD_RE = re.compile(r"^\d{1,2}[,.;:]?$")
# the header's date in digits, "05/3/2025," (classify.vndate's short date)
_SHORT_DATE_WORD_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})[,.]?$")
# the share of the page's text from its top in which the header's date line lies (a body's date lies lower), or
# the rows it lies in on a short page (a notice of a few lines: QA85, its date row under the 40 %)
HEADER_SHARE = 0.4
HEADER_ROWS = 5


@dataclass(frozen=True)
class Doubt:
    """A word of the number's or the date's digits that is doubted: as read, and Tesseract's confidence in it
    (None for a text layer's word, which has none)."""

    word: str
    confidence: float | None

    def said(self) -> str:
        """``'465' at 20``, ``'3{_' in a text layer``"""
        where = f"at {self.confidence:.0f}" if self.confidence is not None else "in a text layer"
        return f"{self.word!r} {where}"


def _confidence(word: PlacedWord) -> float | None:
    # a word of an OcrResult cached (pickled) by a sohoa before 2026-12-03 has no such attribute at all (QA83)
    return getattr(word, "confidence", None)


def _doubted(words: list[PlacedWord]) -> Doubt | None:
    """The word of ``words`` Tesseract was least sure of, when below the bar; None when none is doubted or none is
    known (a text layer's words carry none)."""
    known = [(confidence, word) for word in words if (confidence := _confidence(word)) is not None]
    if not known:
        return None
    confidence, word = min(known, key=lambda pair: pair[0])
    return Doubt(word.text, confidence) if confidence < DIGITS_DOUBTED_BELOW else None


def _header_rows(page: PageWords) -> list[list[PlacedWord]]:
    """The rows of the page's header: in the top ``HEADER_SHARE`` of its text, or among its first
    ``HEADER_ROWS``."""
    rows = group_rows(page.words)
    if not rows:
        return []
    top, bottom = min(w.top for w in page.words), max(w.bottom for w in page.words)
    cut = top + HEADER_SHARE * (bottom - top)
    return [row for index, row in enumerate(rows) if index < HEADER_ROWS or min(w.top for w in row) <= cut]


def doubted_serial(page: PageWords, number: str) -> Doubt | None:
    """The word that holds ``number``'s serial ("465" of "465/2020/NĐ-CP") alone, the topmost such word on the
    page, when Tesseract's confidence in it is below ``DIGITS_DOUBTED_BELOW``; else None."""
    serial = re.match(r"\d+", number)
    if serial is None:
        return None
    for word in sorted(page.words, key=lambda w: w.top):
        found = _SERIAL_WORD.match(fold(word.text))
        if found is not None and found.group(1) == serial.group(0):
            return _doubted([word])
    return None


def doubted_date(page: PageWords, issued: date) -> Doubt | None:
    """The doubted word of the day or the month on the header's row that dates the page ("…, ngày 3{_ tháng 12 năm
    2020", or "…, 05/3/2025", ``issued`` in digits): the one Tesseract was least sure of, when below
    ``DIGITS_DOUBTED_BELOW``, or a word that holds more than digits ("3{", "3{_": ink read as digits and specks,
    however sure Tesseract was — 83 for the same page in a PDF, QA83 — and in a text layer too; a day in words is
    no such word); else None. A form's leader dots between the words are not asked."""
    for row in _header_rows(page):
        for word in row:
            short = _SHORT_DATE_WORD_RE.match(word.text.strip())
            # the date of issue itself: a received stamp's handwritten "ĐẾN Ngày: 12/3/2025" above the printed
            # date is another day, and its digits were blamed on the date of issue (QA85)
            if short is not None and tuple(map(int, short.groups())) == (issued.day, issued.month, issued.year):
                return _doubted([word])
        folded = [fold(word.text).strip(",.;:") for word in row]
        for day_at, word_text in enumerate(folded):
            if word_text != "ngay":
                continue
            month_at = _next(folded, "thang", day_at)
            year_at = _next(folded, "nam", month_at) if month_at is not None else None
            if month_at is None or year_at is None or year_at + 1 >= len(row):
                continue
            if not folded[year_at + 1].startswith(str(issued.year)):
                continue
            between = row[day_at + 1 : month_at] + row[month_at + 1 : year_at]
            asked = [w for w in between if not _LEADER_RE.match(w.text)]
            # ink read as digits and specks ("3{"); a day or a month in words ("mười lăm", "Giêng") is none
            odd = [w for w in asked if any(ch.isdigit() for ch in w.text) and not _DIGITS_WORD_RE.match(w.text.strip())]
            if odd:
                return Doubt(odd[0].text, _confidence(odd[0]))
            return _doubted(asked)
    return None


def _next(folded: list[str], wanted: str, after: int) -> int | None:
    for index in range(after + 1, min(len(folded), after + 2 + _BLANK_WORDS)):
        if folded[index] == wanted:
            return index
    return None
