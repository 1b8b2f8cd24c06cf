"""Civil-status (hộ tịch) records: registration number, book number ('Quyển số'), registration date and place,
and the names of the persons ('Họ, chữ đệm, tên …: HOÀNG THỊ MẬN'). Values as printed; dates as ``date``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from classify.vndate import parse_date_line, parse_short_date

# 'Số: 31', 'Số đăng ký: 31', 'Số: 63/2012' (pre-2016 register numbers carry the year), not 'Số: 31/TLKT-BS', nor
# a number a letter goes on from: OCR's '1l2', '11Z', '1Ì)' for 112 were taken as 1 and 11, sure (QA81)
REG_NUMBER_RE = re.compile(
    r"\bSố(?:\s+đăng\s+ký)?\s*:\s*(?P<n>\d{1,6}(?:\s*/\s*(?:19|20)\d\d)?)(?!\s*[/\d])(?!\s*/\s*[A-ZĐ])(?![^\W\d_])"
)
BOOK_RE = re.compile(r"\bQuyển\s+số\s*:\s*(?P<b>[0-9][0-9A-Za-z./-]*)")
# "Ngày đăng ký: 20/05/2019", "Ngày: …", and the forms' "Ngày, tháng, năm đăng ký: 20/05/2019"
REG_DATE_RE = re.compile(
    r"\bNgày(?:,?\s*tháng,?\s*năm)?(?:\s+đăng\s+ký)?\s*:\s*(?P<d>\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4})"
)
REG_PLACE_RE = re.compile(
    r"(?:đăng\s+ký[^:\n]{0,40}?\s+tại|Nơi\s+đăng\s+ký[^:\n]{0,30}?)\s*:\s*(?P<p>[^\n]+)", re.IGNORECASE
)
PERSON_RE = re.compile(
    r"\bHọ(?:,|\s+và)?\s*(?:chữ\s+đệm,?\s*)?tên(?P<role>[^:\n]{0,40}?)\s*:\s*(?P<rest>[^\n]+?)(?=\s+Họ(?:,|\s+và)|$)"
)
# the next label on the same line ('Giới tính:', 'Ngày, tháng, năm sinh:', 'Số:')
_NEXT_LABEL_RE = re.compile(r"\s+[A-ZĐ][a-zđà-ỹ]*(?:[ ,]+[a-zđà-ỹ]+){0,5}\s*:")
_UPPER_WORD = re.compile(r"^[A-ZĐÀ-Ỹ]+$")
_TITLE_WORD = re.compile(r"^[A-ZĐÀ-Ỹ][a-zđà-ỹ]+$")


@dataclass
class CivilStatus:
    registration_number: str | None = None
    registration_number_line: int | None = None  # index of its line
    book_number: str | None = None
    registration_date: date | None = None
    registration_place: str | None = None
    persons: list[tuple[str, str]] = field(default_factory=list)  # (name, role as printed)
    evidence: dict[str, str] = field(default_factory=dict)


def _name_of(rest: str) -> str | None:
    label = _NEXT_LABEL_RE.search(rest)
    if label:
        rest = rest[: label.start()]
    words = rest.strip(" .;,").split()
    if not words:
        return None
    pattern = _UPPER_WORD if _UPPER_WORD.match(words[0]) else _TITLE_WORD
    taken: list[str] = []
    for word in words:
        if not pattern.match(word) or len(taken) == 6:
            break
        taken.append(word)
    return " ".join(taken) if len(taken) >= 2 else None


def extract_civil_status(lines: list[str], header_number_line: int | None) -> CivilStatus:
    """Registration facts of a hộ tịch record from its (normalised, whitespace-cleaned) lines."""
    found = CivilStatus()
    for index, line in enumerate(lines):
        place = REG_PLACE_RE.search(line)
        if place and found.registration_place is None:
            value = re.split(r"\s+Số\s*:|\s+Quyển\s+số|\s+Ngày", place.group("p"))[0].strip(" .;,")
            if value:
                found.registration_place = value
                found.evidence["registration_place"] = f"'… tại:' on line {index + 1}"
        if index != header_number_line and found.registration_number is None:
            number = REG_NUMBER_RE.search(line)
            if number:
                found.registration_number = re.sub(r"\s", "", number.group("n"))
                found.registration_number_line = index
                found.evidence["registration_number"] = f"'Số:' in the registration block, line {index + 1}"
        book = BOOK_RE.search(line)
        if book and found.book_number is None:
            found.book_number = book.group("b").rstrip(".")
            found.evidence["book_number"] = f"'Quyển số:' on line {index + 1}"
        reg_date = REG_DATE_RE.search(line)
        if reg_date and found.registration_date is None:
            found.registration_date = parse_short_date(reg_date.group("d"))
            if found.registration_date:
                found.evidence["registration_date"] = f"'Ngày đăng ký:' on line {index + 1}"
        elif found.registration_date is None and re.search(r"đăng\s+ký", line, re.IGNORECASE) and "ngày" in line:
            in_words = parse_date_line(line)
            if in_words and index != header_number_line:
                found.registration_date = in_words[0].value
                found.evidence["registration_date"] = f"date on the registration line {index + 1}"
        for person in PERSON_RE.finditer(line):
            name = _name_of(person.group("rest"))
            if name and all(name != n for n, _ in found.persons):
                found.persons.append((name, person.group("role").strip(" ,")))
    if found.persons:
        found.evidence["persons"] = persons_evidence(found.persons)
    return found


def persons_evidence(persons: list[tuple[str, str]]) -> str:
    return "'Họ, chữ đệm, tên …:' lines: " + "; ".join(f"{n} ({r or 'người được đăng ký'})" for n, r in persons)
