"""Rules that read a Decree 30 document's header: type, number and symbol, place and date, issuer, subject,
signer. Every field carries a confidence and the rule that produced it (``evidence``), so an officer can see why.

The title block's type word is the first signal; the type code in the symbol (``15/QĐ-UBND``) is a second,
independent one. Agreement raises confidence, disagreement lowers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from classify.doctypes import DocType, by_code, load_doc_types, type_for_symbol_code
from classify.normalize import fold, normalize_text
from sohoa.record import Classification, Field_

# "Số: 15/QĐ-UBND", "Số: 144/2025/QĐ-CTUBND", "Số: 118/UBND-VP", "Số: 14/SY"; OCR may add spaces around / and -
NUMBER_RE = re.compile(
    r"\bSố\s*:\s*(?P<n>\d{1,5})[.,]?\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?"
    r"(?P<sym>[A-ZĐ][A-Za-zĐđ0-9&]*(?:\s?-\s?[A-ZĐ0-9&][A-Za-zĐđ0-9&]*)*)"
)
# tolerant of the usual OCR slips in the date words (ngảy, thảng, nãm)
DATE_RE = re.compile(
    r"(?P<place>[^\n,]{0,80}),?\s*ng[aàáảãạ]y\s+(?P<d>\d{1,2})\s+th[aàáảãạ]ng\s+(?P<m>\d{1,2})\s+"
    r"n[aăắằẳẵặâấầẩẫậàáảãạ]m\s+(?P<y>(?:19|20)\d\d)"
)
# matched on folded text (lower case, no diacritics), which keeps the length of NFC Vietnamese text
_FOLDED_MOTTO_RE = re.compile(
    r"c[o0]ng\s*h[o0]a\s*x[a]\s*h[o0]i\s*ch[u]\s*ngh[i1l]a\s*vi[e]t\s*nam|"
    r"d[o0]c\s*l[a]p\s*[-–]?\s*t[u]\s*do\s*[-–]?\s*h[a]nh\s*ph[u]c"
)


def remove_national_motto(line: str) -> str:
    """Blank out the Quốc hiệu and Tiêu ngữ, which OCR often puts on the same line as the issuer."""
    folded = fold(line)
    if len(folded) != len(line):
        return line
    for match in reversed(list(_FOLDED_MOTTO_RE.finditer(folded))):
        line = line[: match.start()] + " " + line[match.end() :]
    return line


def has_national_motto(line: str) -> bool:
    return bool(_FOLDED_MOTTO_RE.search(fold(line)))


# words that start the name of an issuing body (so a new line starting with one is a new body)
BODY_START_RE = re.compile(
    r"^(ỦY BAN|UBND|HĐND|HỘI ĐỒNG|TRUNG TÂM|SỞ|PHÒNG|BỘ|BAN|VĂN PHÒNG|CÔNG AN|ĐẢNG ỦY|CHI CỤC|CỤC|TỔNG CỤC|"
    r"CHÍNH PHỦ|THỦ TƯỚNG|TÒA ÁN|VIỆN KIỂM SÁT|BỘ CHỈ HUY|BAN CHỈ HUY|TRƯỜNG|BỆNH VIỆN|TRẠM)\b"
)
SIGNING_AUTHORITY_RE = re.compile(r"(?:^|\s)(TM|KT|Q|TL|TUQ)\.\s*[A-ZĐÀ-Ỹ]")
SIGNER_TITLE_RE = re.compile(
    r"(?:^|(?<=\s))(CHỦ TỊCH|PHÓ CHỦ TỊCH|GIÁM ĐỐC|PHÓ GIÁM ĐỐC|TRƯỞNG|PHÓ TRƯỞNG|CHÁNH VĂN PHÒNG|THỦ TRƯỞNG|"
    r"BỘ TRƯỞNG|THỨ TRƯỞNG|NGƯỜI KÝ|CÔNG CHỨC|THƯ KÝ|CHỦ TỌA|NGƯỜI LẬP)\b"
)
NAME_WORD_RE = re.compile(r"^[A-ZĐÀ-Ỹ][a-zđà-ỹ]+$")


@dataclass(frozen=True)
class TypeEvidence:
    doc_type: DocType
    line_index: int
    rule: str


def _is_upper_line(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and sum(ch.isupper() for ch in letters) / len(letters) >= 0.8


def _clean_lines(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]


def first_page(text: str) -> str:
    return text.split("\f", 1)[0]


# ---------------------------------------------------------------------------------------------- number
@dataclass(frozen=True)
class NumberMatch:
    number: str  # "15/QĐ-UBND"
    symbol: str  # "QĐ-UBND"
    line_index: int
    span: tuple[int, int]


def find_number(lines: list[str]) -> NumberMatch | None:
    for index, line in enumerate(lines[:60]):
        match = NUMBER_RE.search(line)
        if not match:
            continue
        symbol = re.sub(r"\s", "", match.group("sym"))
        symbol = re.sub(r"(Đ)Đ+", r"\1", symbol)  # Tesseract sometimes doubles Đ ("QĐÐ")
        groups = symbol.split("-")
        fixed_first = type_for_symbol_code(groups[0])
        if fixed_first is not None and fixed_first.symbol_codes:
            groups[0] = fixed_first.symbol_codes[0]  # "QD" → "QĐ"
        symbol = "-".join(groups)
        serial = match.group("n")
        year = match.group("year")
        number = f"{serial}/{year}/{symbol}" if year else f"{serial}/{symbol}"
        return NumberMatch(number=number, symbol=symbol, line_index=index, span=match.span())
    return None


# ---------------------------------------------------------------------------------------------- type
def type_from_title(lines: list[str], start: int) -> TypeEvidence | None:
    """The first upper-case line after the header that begins with a type name (longest name wins)."""
    types = load_doc_types()
    for index in range(start, min(len(lines), start + 25)):
        line = lines[index]
        if not _is_upper_line(line) or has_national_motto(line):
            continue
        if SIGNING_AUTHORITY_RE.search(line) or BODY_START_RE.match(line):
            continue
        folded = fold(line).strip(" :.")
        best: tuple[int, DocType] | None = None
        for doc_type in types:
            for title in doc_type.folded_titles:
                if (folded == title or folded.startswith(title + " ")) and (best is None or len(title) > best[0]):
                    best = (len(title), doc_type)
        if best is not None:
            return TypeEvidence(best[1], index, f"title block line {index + 1}: '{line}'")
    return None


def type_from_symbol(number: NumberMatch | None) -> DocType | None:
    if number is None:
        return None
    for group in number.symbol.split("-"):
        found = type_for_symbol_code(group)
        if found is not None:
            return found
    return None


def find_vv_line(lines: list[str], start: int) -> int | None:
    for index in range(start, min(len(lines), start + 8)):
        if re.match(r"^V\s*/\s*[vV]\b", lines[index]):
            return index
    return None


# ---------------------------------------------------------------------------------------------- date
def find_date(lines: list[str], number: NumberMatch | None) -> tuple[date, str | None, int] | None:
    for index, line in enumerate(lines[:60]):
        match = DATE_RE.search(line)
        if not match:
            continue
        try:
            issued = date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        except ValueError:
            continue
        place = match.group("place")
        if number is not None and number.line_index == index and number.span[1] <= match.start("place") + len(place):
            place = line[number.span[1] : match.start("place") + len(place)]
        place = place.strip(" ,.-:;")
        # the place is the last few capitalised words before the comma ("Hợp Tiến", "Hà Nội")
        words = place.split()
        while words and not words[0][:1].isupper():
            words.pop(0)
        return issued, " ".join(words[-5:]) or None, index
    return None


# ---------------------------------------------------------------------------------------------- issuer
def find_issuer(lines: list[str], header_end: int) -> tuple[str | None, str | None]:
    """(issuer, parent body) from the upper-case lines above the number, national motto removed."""
    fragments: list[str] = []
    for line in lines[:header_end]:
        stripped = remove_national_motto(line)
        stripped = re.sub(r"[_\-–—=~.]{3,}", " ", stripped).strip()
        if not stripped or not _is_upper_line(stripped):
            continue
        fragments.append(re.sub(r"\s+", " ", stripped))
    bodies: list[str] = []
    for fragment in fragments:
        if bodies and not BODY_START_RE.match(fragment):
            bodies[-1] = f"{bodies[-1]} {fragment}"
        else:
            bodies.append(fragment)
    if not bodies:
        return None, None
    return bodies[-1], (bodies[-2] if len(bodies) > 1 else None)


# ---------------------------------------------------------------------------------------------- subject
def find_subject(lines: list[str], after: int) -> str | None:
    collected: list[str] = []
    for line in lines[after + 1 : after + 6]:
        if not line:
            if collected:
                break
            continue
        if re.match(r"^(Căn cứ|Kính gửi|Hôm nay|Họ|Điều|Thực hiện)", line) or _is_upper_line(line):
            break
        collected.append(line)
    subject = " ".join(collected).strip(" -_")
    return subject or None


# ---------------------------------------------------------------------------------------------- signer
def _signing_title_part(line: str) -> str | None:
    """The signing-authority or office-title part of a line ('TM. ỦY BAN NHÂN DÂN', 'CHỦ TỊCH'), if any."""
    authority = SIGNING_AUTHORITY_RE.search(line)
    if authority:
        return line[authority.start() :].strip()
    title = SIGNER_TITLE_RE.search(line)
    if title and _is_upper_line(line[title.start() :]):
        return line[title.start() :].strip()
    return None


def find_signer(lines: list[str]) -> tuple[str | None, str | None, str]:
    """(name, title, evidence) from the signing block at the end: authority/title lines, then the name."""
    window_start = max(0, len(lines) - 45)
    for index in range(len(lines) - 1, window_start - 1, -1):
        if _signing_title_part(lines[index]) is None:
            continue
        # this is the lowest title line; the block may start one or two lines higher ("TM. …" above "CHỦ TỊCH")
        start = index
        while start - 1 >= window_start and _signing_title_part(lines[start - 1]) is not None and index - start < 2:
            start -= 1
        title = " ".join(part for i in range(start, index + 1) if (part := _signing_title_part(lines[i])))
        for follow in lines[index + 1 : index + 12]:
            words = follow.split()
            if 2 <= len(words) <= 5 and all(NAME_WORD_RE.match(w) for w in words):
                return follow, title, f"signing block at line {start + 1}, name below it"
        return None, title, f"signing block at line {start + 1}, no name found below it"
    return None, None, "no signing block found"


# ---------------------------------------------------------------------------------------------- all
def classify_text(text: str) -> Classification:
    """Classify a document from its text (Tesseract reading order or a text layer)."""
    normalized = normalize_text(text)
    lines = _clean_lines(first_page(normalized))
    all_lines = _clean_lines(normalized.replace("\f", "\n"))
    fields: dict[str, Field_] = {}

    number = find_number(lines)
    header_end = number.line_index if number else min(len(lines), 8)
    if number:
        fields["number"] = Field_(value=number.number, confidence=0.95, evidence=f"'Số:' line {header_end + 1}")

    dated = find_date(lines, number)
    if dated:
        issued, place, date_line = dated
        fields["issued_on"] = Field_(
            value=issued.isoformat(),
            confidence=0.95,
            evidence=f"'ngày … tháng … năm …' on line {date_line + 1}",
        )
        if place:
            fields["place"] = Field_(value=place, confidence=0.8, evidence="words before ', ngày'")
        header_end = min(header_end, date_line) if number else date_line

    title_start = max(number.line_index if number else 0, dated[2] if dated else 0)
    title = type_from_title(lines, title_start)
    if title is None and title_start > 0:
        title = type_from_title(lines, 0)
    symbol_type = type_from_symbol(number)
    vv_index = find_vv_line(lines, number.line_index if number else 0)
    doc_type, type_confidence, type_evidence = _decide_type(title, symbol_type, vv_index, number)
    fields["doc_type"] = Field_(
        value=doc_type.code if doc_type else "unknown", confidence=type_confidence, evidence=type_evidence
    )

    issuer, parent = find_issuer(lines, header_end)
    if issuer:
        fields["issuer"] = Field_(value=issuer, confidence=0.8, evidence="upper-case lines above 'Số:'")
    if parent:
        fields["issuer_parent"] = Field_(value=parent, confidence=0.7, evidence="body line above the issuer")

    subject: str | None = None
    if doc_type is not None and doc_type.code == "CV" and vv_index is not None:
        subject = re.sub(r"^V\s*/\s*[vV]\s*", "", lines[vv_index]).strip() or None
        subject_evidence = f"'V/v' line {vv_index + 1}"
    elif title is not None:
        subject = find_subject(lines, title.line_index)
        subject_evidence = "lines under the title"
    if subject:
        fields["subject"] = Field_(value=subject, confidence=0.7, evidence=subject_evidence)

    signer_name, signer_title, signer_evidence = find_signer(all_lines)
    if signer_name:
        fields["signer_name"] = Field_(value=signer_name, confidence=0.6, evidence=signer_evidence)
    if signer_title:
        fields["signer_title"] = Field_(value=signer_title, confidence=0.6, evidence=signer_evidence)

    # overall confidence: the weakest of the three fields an officer files by
    missing = 0.4
    overall = min(
        type_confidence,
        fields["number"].confidence if "number" in fields else missing,
        fields["issued_on"].confidence if "issued_on" in fields else missing,
    )
    return Classification(
        doc_type=doc_type.code if doc_type else "unknown",
        doc_type_name=doc_type.name_vi if doc_type else None,
        number=number.number if number else None,
        symbol=number.symbol if number else None,
        issued_on=dated[0] if dated else None,
        place=fields["place"].value if "place" in fields else None,
        issuer=issuer,
        subject=subject,
        signer_name=signer_name,
        signer_title=signer_title,
        confidence=round(overall, 3),
        fields=fields,
    )


def _decide_type(
    title: TypeEvidence | None, symbol_type: DocType | None, vv_index: int | None, number: NumberMatch | None
) -> tuple[DocType | None, float, str]:
    if title is not None and symbol_type is not None:
        if title.doc_type.code == symbol_type.code:
            return title.doc_type, 0.97, f"{title.rule}; symbol code agrees"
        return title.doc_type, 0.5, f"{title.rule}; symbol says {symbol_type.code}: disagreement"
    if title is not None:
        return title.doc_type, 0.85, title.rule
    if vv_index is not None:
        letter = by_code()["CV"]
        if number is not None and symbol_type is None:
            return letter, 0.9, f"'V/v' line {vv_index + 1} and a symbol without type code"
        return letter, 0.7, f"'V/v' line {vv_index + 1}"
    if symbol_type is not None:
        return symbol_type, 0.8, f"type code in symbol '{number.symbol if number else ''}'"
    return None, 0.0, "no title block, no type code in the number, no 'V/v' line"
