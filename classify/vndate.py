"""Vietnamese dates: 'ngày 05 tháng 3 năm 2025', 'ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi
lăm', '12/8/2025'. Every parser works on NFC text and tolerates the common OCR slips in the date words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sohoa.vietnamese import fold

# folded (no diacritics) number words → value; 'muoi' is both mười (10) and mươi (×10)
_DIGIT_WORDS = {
    "khong": 0,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
}
_NUMBER_WORDS = {*_DIGIT_WORDS, "muoi", "tram", "nghin", "ngan", "linh", "le", "mung", "mong", "gieng", "chap"}
_MONTH_NAMES = {"gieng": 1, "chap": 12}

# digits; tolerant of 'ngảy', 'thảng', 'nãm' (OCR) and of a missing comma
DIGIT_DATE_RE = re.compile(
    r"(?P<place>[^\n,]{0,80}),?\s*ng[aàáảãạ]y\s+(?P<d>\d{1,2})\s*th[aàáảãạ]ng\s+(?P<m>\d{1,2})\s*"
    r"n[aăắằẳẵặâấầẩẫậàáảãạ]m\s+(?P<y>(?:19|20)\d\d)"
)
SLASH_DATE_RE = re.compile(r"\b(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>(?:19|20)\d\d)\b")
_WORD_RE = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class FoundDate:
    value: date
    start: int  # where the date phrase starts in the line ('ngày'), for the place before it
    rule: str
    end: int | None = None  # where the year ends in the line (digits), for what follows it


def words_to_int(words: list[str]) -> int | None:
    """'hai nghìn không trăm hai mươi lăm' (folded, split) → 2025; None when a word is not a number word."""
    if not words:
        return None
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    total = chunk = 0
    last: int | None = None
    for word in words:
        if word in ("mung", "mong", "linh", "le"):
            continue
        if word in _MONTH_NAMES and len(words) == 1:
            return _MONTH_NAMES[word]
        if word in _DIGIT_WORDS:
            if last is not None:  # two digit words in a row: 'một chín' is not a number
                return None
            last = _DIGIT_WORDS[word]
        elif word == "muoi":
            chunk += (last if last is not None else 1) * 10
            last = None
        elif word == "tram":
            chunk += (last if last is not None else 1) * 100
            last = None
        elif word in ("nghin", "ngan"):
            total += (chunk + (last or 0) or 1) * 1000
            chunk, last = 0, None
        else:
            return None
    return total + chunk + (last or 0)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        found = date(y, m, d)
    except ValueError:
        return None
    return found if 1900 <= y <= 2100 else None


def parse_words_date(line: str) -> FoundDate | None:
    """'…, ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi lăm' (digits may be mixed in)."""
    folded = fold(line)
    for match in re.finditer(r"\bngay\b", folded):
        tokens = [(m.group(0), m.start()) for m in _WORD_RE.finditer(folded, match.end())]
        words = [t for t, _ in tokens]
        if "thang" not in words[:6]:
            continue
        t_index = words.index("thang")
        day = words_to_int(words[:t_index])
        rest = words[t_index + 1 :]
        for j in range(1, min(len(rest), 6)):
            if rest[j] != "nam":
                continue
            month = words_to_int(rest[:j])
            year_words: list[str] = []
            for word in rest[j + 1 : j + 12]:
                if word in _NUMBER_WORDS or word.isdigit():
                    year_words.append(word)
                else:
                    break
            year = None
            for cut in range(len(year_words), 0, -1):  # the longest run of words that reads as a year
                year = words_to_int(year_words[:cut])
                if year is not None and 1900 <= year <= 2100:
                    break
                year = None
            if day and month and year:
                found = _valid(year, month, day)
                if found:
                    return FoundDate(found, match.start(), "date in words 'ngày … tháng … năm …'")
    return None


def parse_date_line(line: str) -> tuple[FoundDate, str] | None:
    """(date, text before it) from a place-and-date line, digits first, then words."""
    for match in DIGIT_DATE_RE.finditer(line):
        found = _valid(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        if found:
            return (
                FoundDate(found, match.start("place"), "'ngày … tháng … năm …' in digits", match.end()),
                match.group("place"),
            )
    if len(fold(line)) == len(line):
        words = parse_words_date(line)
        if words:
            return FoundDate(words.value, 0, words.rule), line[: words.start]
    for match in PLACE_SHORT_DATE_RE.finditer(line):
        found = _valid(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        if found:
            return FoundDate(found, match.start("place"), SHORT_DATE_RULE, match.end()), match.group("place")
    return None


# "Tân Lập, 05/3/2025": a place and a short date, as some offices write the line (QA81: no date was read there);
# less sure than Decree 30's "ngày … tháng … năm …" (classify.rules gives it 0.8)
PLACE_SHORT_DATE_RE = re.compile(
    r"(?P<place>[^\n,]{1,80}),\s*(?P<d>\d{1,2})\s*([/.-])\s*(?P<m>\d{1,2})\s*\3\s*(?P<y>(?:19|20)\d\d)\b"
)
SHORT_DATE_RULE = "'Place, dd/mm/yyyy'"


def parse_short_date(text: str) -> date | None:
    """'12/8/2025', '12.08.2025', '12-8-2025' → date; None when not a valid date."""
    match = SLASH_DATE_RE.search(text)
    if not match:
        return None
    return _valid(int(match.group("y")), int(match.group("m")), int(match.group("d")))
