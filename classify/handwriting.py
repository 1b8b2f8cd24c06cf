"""Digits of the number and the date of issue that Tesseract doubted: most often written by hand.

A commune numbers and dates its paper documents by hand after signing, in blanks the printed form leaves ("Số:
….. /QĐ-UBND", "ngày …. tháng …. năm 2025"). Tesseract reads the ink as digits all the same, and the rules read
those digits as surely as printed ones: the real NĐ 155/2020 (both written by hand) was archived as 465/2020 at
0.95 and dated the 3rd for the 31st at 0.85 (QA81). Tesseract's own word confidence tells them apart: on the
benchmark's and the samples' pages, printed digits standing alone were read at 82–97 (93–97 in a header), the
handwritten ``Số:465`` at 20 and ``3{_`` (31) at 71.

Only a word made of the number's digits alone is asked (``465``, ``Số:465``, ``465/``): in a word that also
holds the printed symbol (``02/CĐ-UBND``) the confidence is the symbol's as much as the digits' (25 for a printed
one on a poor scan), and tells nothing of them.
"""

from __future__ import annotations

import re
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


def _doubted(words: list[PlacedWord]) -> float | None:
    """The lowest confidence among ``words`` if it is below the bar; None when none is doubted or none is known
    (a text layer's words carry none)."""
    known = [word.confidence for word in words if word.confidence is not None]
    lowest = min(known, default=None)
    return lowest if lowest is not None and lowest < DIGITS_DOUBTED_BELOW else None


def doubted_serial(page: PageWords, number: str) -> float | None:
    """Tesseract's confidence in the word that holds ``number``'s serial ("465" of "465/2020/NĐ-CP") alone, the
    topmost such word on the page, when it is below ``DIGITS_DOUBTED_BELOW``; else None."""
    serial = re.match(r"\d+", number)
    if serial is None:
        return None
    for word in sorted(page.words, key=lambda w: w.top):
        found = _SERIAL_WORD.match(fold(word.text))
        if found is not None and found.group(1) == serial.group(0):
            return _doubted([word])
    return None


def doubted_date(page: PageWords, issued: date) -> float | None:
    """Tesseract's lowest confidence in the words of the day and the month on the row that dates the page
    ("…, ngày 3{_ tháng 12 năm 2020", its year ``issued``'s), when it is below ``DIGITS_DOUBTED_BELOW``; else
    None."""
    for row in group_rows(page.words):
        folded = [fold(word.text).strip(",.;:") for word in row]
        for day_at, word in enumerate(folded):
            if word != "ngay":
                continue
            month_at = _next(folded, "thang", day_at)
            year_at = _next(folded, "nam", month_at) if month_at is not None else None
            if month_at is None or year_at is None or year_at + 1 >= len(row):
                continue
            if not folded[year_at + 1].startswith(str(issued.year)):
                continue
            return _doubted(row[day_at + 1 : month_at] + row[month_at + 1 : year_at])
    return None


def _next(folded: list[str], wanted: str, after: int) -> int | None:
    for index in range(after + 1, min(len(folded), after + 2 + _BLANK_WORDS)):
        if folded[index] == wanted:
            return index
    return None
