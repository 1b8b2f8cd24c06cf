"""Rules that read a Decree 30 document's header: type, number and symbol, place and date, issuer, subject,
signer. Every field carries a confidence and the rule that produced it (``evidence``), so an officer can see why.

The title block's type word is the first signal; the type code in the symbol (``15/QĐ-UBND``) is a second,
independent one. Agreement raises confidence, disagreement lowers it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from classify.civil import extract_civil_status, persons_evidence
from classify.copies import COPY_FORM_RE, COPY_FORM_WORDS, COPY_FORMS, copy_form, copy_number
from classify.doctypes import DocType, by_code, load_doc_types, type_for_symbol_code
from classify.handwriting import LEADER_MARKS, doubted_date, doubted_serial
from classify.layout import text_with_layout
from classify.normalize import (
    PrintedSpelling,
    collapse_doubled_vowels,
    matching_text,
    one_edit_apart,
    printed_text,
    restore_phrases,
    strip_stray_marks,
)
from classify.vndate import SHORT_DATE_RULE, FoundDate, parse_date_line
from sohoa.record import Classification, CopyBlock, Field_, LaterHeading, PageWords, has_text
from sohoa.vietnamese import FAMILY_NAMES, fold

if TYPE_CHECKING:
    from classify.model import Prediction

# fields whose lines come from one column of the header or the closing
POSITIONAL_FIELDS = frozenset(
    {
        "number",
        "symbol",
        "issued_on",
        "place",
        "issuer",
        "issuer_parent",
        "signer_name",
        "signer_title",
        "signing_authority",
        "recipients",
    }
)

# fields read from the header page's lines (their evidence counts lines on that page; the rest count them through
# the whole text)
HEADER_PAGE_FIELDS = frozenset(
    {"number", "symbol", "issued_on", "place", "doc_type", "doc_type_name", "issuer", "issuer_parent", "subject"}
)

# "Số: 15/QĐ-UBND", "Số: 144/2025/QĐ-CTUBND", "Số: 118/UBND-VP", "Số: 14/SY"; OCR may add spaces around / and -
_NUMBER_TAIL = (
    r"\s*(?P<n>\d{1,5})[.,]?\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?"
    r"(?P<sym>[A-ZĐ][A-Za-zĐđ0-9&]*(?:\s?-\s?[A-ZĐ0-9&][A-Za-zĐđ0-9&]*(?![a-zđà-ỹ]))*)"
)
NUMBER_RE = re.compile(r"\bSố\s*:" + _NUMBER_TAIL)
# the same with the word in another case ("số: 12/QĐ-UBND" typed by hand or on an old template, "SỐ:", OCR that
# lost the capital), only at the start of a line and only with its colon: a body sentence wrapped there may begin
# "số 12/QĐ-UBND ngày …" ("… căn cứ Quyết định / số 12/QĐ-UBND …"), and one merely containing "số" never starts so
OTHER_CASE_NUMBER_RE = re.compile(r"^(?i:số)\s*:" + _NUMBER_TAIL)
# the same line where OCR lost the slash and the space ("Số:130UBND-VP" for "Số: 130/UBND-VP"): the serial runs
# into a symbol; taken only at the start of a line, only when the symbol looks like one (a type code first, or
# groups joined by dashes), and less sure (``LOST_SLASH``)
LOST_SLASH_NUMBER_RE = re.compile(
    r"^(?i:số)\s*[:;.]?\s*(?P<n>\d{1,5})"
    r"(?P<sym>[A-ZĐ][A-Za-zĐđ0-9&]*(?:\s?-\s?[A-ZĐ0-9&][A-Za-zĐđ0-9&]*(?![a-zđà-ỹ]))*)"
)
# the two halves of the national heading, Quốc hiệu and Tiêu ngữ, matched on folded text (lower case, no
# diacritics), which keeps the length of NFC Vietnamese text
_QUOC_HIEU_RE = re.compile(r"c[o0]ng\s*h[o0]a\s*x[a]\s*h[o0]i\s*ch[u]\s*ngh[i1l]a\s*vi[e]t\s*nam")
_TIEU_NGU_RE = re.compile(r"d[o0]c\s*l[a]p\s*[-–]?\s*t[u]\s*do\s*[-–]?\s*h[a]nh\s*ph[u]c")
_FOLDED_MOTTO_RE = re.compile(f"{_QUOC_HIEU_RE.pattern}|{_TIEU_NGU_RE.pattern}")


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
    r"CHÍNH PHỦ|THỦ TƯỚNG|TÒA ÁN|VIỆN KIỂM SÁT|BỘ CHỈ HUY|BAN CHỈ HUY|TRƯỜNG|BỆNH VIỆN|TRẠM|BCĐ|BQL|BCH|BQLDA)\b"
)
SIGNING_AUTHORITY_RE = re.compile(r"(?:^|\s)(TM|KT|Q|TL|TUQ)[.,]\s*[A-ZĐÀ-Ỹ]")
# matched on folded text so that 'CHỦ TICH' (a lost dot) still counts; CHỦ TRÌ presides a meeting as CHỦ TỌA does
# (QA81: minutes signed THƯ KÝ | CHỦ TRÌ recorded the secretary, the chair's title being no title). A head's title
# may have its deputy's PHÓ before it: PHÓ CHÁNH VĂN PHÒNG was recorded CHÁNH VĂN PHÒNG, the deputy made the head.
# A contract's party signs as ĐẠI DIỆN BÊN A above the title, which was lost from it (QA81 L4: "CHỦ TỊCH")
_FOLDED_TITLE_RE = re.compile(
    r"(?:^|(?<=\s))((?:pho )?(?:chu tich|giam doc|truong (?:phong|ban|tram|thon)|chanh van phong|thu truong|"
    r"bo truong)|pho truong|nguoi ky|cong chuc|thu ky|chu toa|chu tri|nguoi lap|nguoi ky giay|dai dien ben [a-z])\b"
)
NAME_WORD_RE = re.compile(r"^[A-ZĐÀ-Ỹ][a-zđà-ỹ]+$")


@dataclass(frozen=True)
class TypeEvidence:
    doc_type: DocType
    line_index: int
    rule: str
    standard_case: bool = True  # the title in capitals, as Decree 30 prints it


def _is_upper_line(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and sum(ch.isupper() for ch in letters) / len(letters) >= 0.8


def _clean_lines(text: str) -> list[str]:
    """The lines with their spaces collapsed and stray OCR marks gone (a lone 'ˆ' after the issuer's name would
    stay in it, and count as a small letter against its capitals)."""
    return [re.sub(r"\s+", " ", strip_stray_marks(line)).strip() for line in text.splitlines()]


def first_text_page(text: str) -> int:
    """The index of the first page (pages separated by form feeds) with text: a blank page before it — the back of
    a sheet in a duplex scan, a blank sheet left in a stack, a few specks OCR read on one — is passed over
    (``sohoa.record.has_text``). 0 when no page has text."""
    pages = text.split("\f")
    return next((index for index, page in enumerate(pages) if has_text(page.split())), 0)


def first_page(text: str) -> str:
    """The first page with text (``first_text_page``): where the header is."""
    return text.split("\f")[first_text_page(text)]


# how far down a page its heading is looked for: the issuer, the motto, 'Số:' and the date take about eight lines
HEADING_LINES = 12
# a page that is part of the document although it has a heading of its own, by a line that begins with what says
# so: an annex (PHỤ LỤC), an attached form (Mẫu số 01), the rules a decision issues ("(Ban hành kèm theo Quyết định
# số …)"); matched folded. Only at a line's start: "danh sách kèm theo" in a second document's Điều 1 or its V/v
# line said nothing of the page, and hid the document (QA62)
_ATTACHED_LINE_RE = re.compile(r"^\W*(?:phu luc\b|mau so\b|mau\s*\d|(?:ban hanh\s+)?kem theo\b)")
# the form code is printed in the top right corner, which reading order may put after the issuer's first line
_FORM_CODE_RE = re.compile(r"\bmau so\s*\d")
_FORM_CODE_LINES = 3
# the caption of sohoa's separator sheet ("TỜ PHÂN CÁCH / SEPARATOR"), as OCR reads it, folded
_SEPARATOR_CAPTION_RE = re.compile(r"\bphan cach\b|\bseparator\b")


def _is_heading_motto(line: str) -> bool:
    """Whether a line is the national heading as a header prints it, not the country named in a sentence ('Nhà
    nước Cộng hòa xã hội chủ nghĩa Việt Nam bảo hộ …'): what is left beside the motto is in capitals (the issuer,
    read on the same line) or nearly nothing."""
    if not has_national_motto(line):
        return False
    rest = [ch for ch in remove_national_motto(line) if ch.isalpha()]
    return len(rest) < 4 or _is_upper_line("".join(rest))


def later_headings(text: str) -> list[LaterHeading]:
    """The pages after the header page (pages separated by form feeds) that begin as a document of their own does:
    the national heading among their first lines, and nothing there saying they are attached (an annex, a form, the
    rules a decision issues). Decree 30 prints the heading on a document's first page only, so each such page is
    perhaps another document scanned into the same file — a separator sheet left out of a stack. Said for an
    officer to look at, never split on: a draft attached to a submission has its own heading too. A page right after
    one that reads as a separator sheet (its caption) is ``after_separator``: in a split document, a separator whose
    code was not found (a bar code of another kind, a damaged one), the stack not split there; in a stack
    `sohoa classify` reads whole, where the next document begins, as it should."""
    pages = text.split("\f")
    found: list[LaterHeading] = []
    for index in range(first_text_page(text) + 1, len(pages)):
        lines = [line for line in _clean_lines(pages[index]) if line][:HEADING_LINES]
        if _begins_a_document(lines):
            number = find_number(lines)
            after = bool(_SEPARATOR_CAPTION_RE.search(fold(pages[index - 1])))
            found.append(LaterHeading(page=index + 1, number=number.number if number else None, after_separator=after))
    return found


def _heading_line(text: str, page: int) -> int:
    """The index, among the text's lines (pages separated by form feeds), of the national heading's line on
    ``page`` (1-based), which ``later_headings`` found beginning another document: what lies above it on that page
    — the last lines of a signing block that ran over — is still the first document's (QA95)."""
    pages = text.split("\f")
    start = len(("\n".join(pages[: page - 1]) + "\n").splitlines())
    lines = _clean_lines(pages[page - 1])
    return start + next((index for index, line in enumerate(lines) if _QUOC_HIEU_RE.search(fold(line))), 0)


def _begins_a_document(lines: list[str]) -> bool:
    """Whether a page's first lines are a document's beginning: the national heading printed as a header (both its
    halves, Quốc hiệu and Tiêu ngữ: a sentence wrapped so that one line is "Cộng hòa xã hội chủ nghĩa Việt Nam" was
    taken for one), and no line saying the page is attached."""
    folded = [fold(line) for line in lines]
    joined = " ".join(folded)
    if not (_QUOC_HIEU_RE.search(joined) and _TIEU_NGU_RE.search(joined)):
        return False
    if not any(_is_heading_motto(line) for line in lines):
        return False
    if any(_ATTACHED_LINE_RE.search(line) for line in folded):
        return False
    return not any(_FORM_CODE_RE.search(line) for line in folded[:_FORM_CODE_LINES])


# ---------------------------------------------------------------------------------------------- number
@dataclass(frozen=True)
class NumberMatch:
    number: str  # "15/QĐ-UBND"
    symbol: str  # "QĐ-UBND"
    line_index: int
    span: tuple[int, int]
    standard_case: bool = True  # "Số:" as Decree 30 writes it; False for "số:", "SỐ:"
    slash_restored: bool = False  # "Số:130UBND-VP" read as 130/UBND-VP


# a number with the year in it, "05/2025/NQ-HĐND": a văn bản quy phạm pháp luật's (Decree 30, Điều 15; the domain
# notes, 1.3), not the individual ("cá biệt") resolution or decision the type's own name says
_NORMATIVE_NUMBER_RE = re.compile(r"^\d+/(?:19|20)\d\d/")


def type_name(doc_type: DocType, number: str | None) -> str:
    """The type's name as the record says it: "Nghị quyết (quy phạm pháp luật)" for a resolution numbered with its
    year (it said "Nghị quyết (cá biệt)", QA81), else the type's own (an officer's correction names it so too)."""
    if number is not None and _NORMATIVE_NUMBER_RE.match(number) and doc_type.name_vi.endswith("(cá biệt)"):
        return doc_type.name_vi.removesuffix("(cá biệt)") + "(quy phạm pháp luật)"
    return doc_type.name_vi


def _symbol_looks_right(symbol: str) -> bool:
    """A ký hiệu as Decree 30 builds one: a type code first ('QĐ', 'SY'), or groups joined by dashes ('UBND-VP')."""
    groups = re.sub(r"\s", "", symbol).split("-")
    return type_for_symbol_code(groups[0]) is not None or (len(groups) > 1 and all(len(g) >= 2 for g in groups))


def find_number(lines: list[str]) -> NumberMatch | None:
    """The 'Số:' line's number and symbol; failing that, a 'Số:' line whose slash OCR lost ('Số:130UBND-VP')."""
    found = _find_number(lines)
    if found is not None:
        return found
    for index, line in enumerate(lines[:60]):
        match = LOST_SLASH_NUMBER_RE.match(line)
        if match and _symbol_looks_right(match.group("sym")):
            return _number_match(match, index, standard_case=line.startswith("Số"), slash_restored=True)
    return None


def _find_number(lines: list[str]) -> NumberMatch | None:
    for index, line in enumerate(lines[:60]):
        match = NUMBER_RE.search(line)
        standard_case = match is not None
        if not match:
            match = OTHER_CASE_NUMBER_RE.match(line)
        if not match:
            continue
        return _number_match(match, index, standard_case=standard_case)
    return None


def _number_match(
    match: re.Match[str], index: int, *, standard_case: bool, slash_restored: bool = False
) -> NumberMatch:
    symbol = re.sub(r"\s", "", match.group("sym"))
    symbol = re.sub(r"(Đ)Đ+", r"\1", symbol)  # Tesseract sometimes doubles Đ ("QĐÐ")
    groups = symbol.split("-")
    fixed_first = type_for_symbol_code(groups[0])
    if fixed_first is not None and fixed_first.symbol_codes:
        groups[0] = fixed_first.symbol_codes[0]  # "QD" → "QĐ"
    symbol = "-".join(groups)
    serial = match.group("n")
    year = match.groupdict().get("year")
    number = f"{serial}/{year}/{symbol}" if year else f"{serial}/{symbol}"
    return NumberMatch(
        number=number,
        symbol=symbol,
        line_index=index,
        span=match.span(),
        standard_case=standard_case,
        slash_restored=slash_restored,
    )


# ---------------------------------------------------------------------------------------------- type
def type_from_title(lines: list[str], start: int, *, any_case: bool = False) -> TypeEvidence | None:
    """The first upper-case line after the header that begins with a type name (longest name wins).

    ``any_case``: instead, the first line under the header, if it is a type name in another case and nothing else
    ("Quyết định", "quyết định", "Trích lục khai tử": typed by hand, an old template, capitals lost to OCR) —
    never a line that only begins with one ("Quyết định này có hiệu lực …"), ends like a sentence or a heading
    ("… theo Quyết định.", "Quyết định:" above a decision's articles) or stands further down in the body."""
    if any_case:
        return _type_from_other_case_title(lines, start)
    types = load_doc_types()
    for index in range(start, min(len(lines), start + 25)):
        line = lines[index]
        if (stamped := _STAMP_THEN_TITLE.match(line)) is not None and _is_upper_line(stamped["title"]):
            # a received stamp ("ĐẾN … Ngày ….…") read on the title's line: the title is what follows its dotted
            # field (QA77: every incoming document a commune scans bears one, and came out "unknown")
            line = stamped["title"]
        if _STOPS_THE_TITLE_SEARCH.match(fold(line).strip(" :.")):
            # the title of a legal normative document (NGHỊ ĐỊNH, THÔNG TƯ, LUẬT: no Decree 30 type) or the body's
            # first chapter: a heading further down is no title (QA: a Nghị định was typed QyĐ by "QUY ĐỊNH CHUNG",
            # the heading of its Chương I, at 0.85 with no review)
            return None
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


# a line that begins with a stamp's dotted field to fill in by hand ("ĐẾN Ngày..A4.141202.4....... THÔNG BÁO") and
# ends with words in capitals
_STAMP_THEN_TITLE = re.compile(r"^.*?(?:\.{3,}|…{2,})\S*\s+(?P<title>[^\s.…][^.…]*)$")

_STOPS_THE_TITLE_SEARCH = re.compile(
    r"^(?:(?:nghi dinh|thong tu(?: lien tich)?|bo luat|luat|phap lenh|hien phap)$|(?:chuong|muc|phan) [ivxlcdm\d]+\b)"
)

# cues that are phrases of a body, not titles ("Trân trọng kính mời …" in a giấy mời)
_NOT_TITLES = frozenset({"tran trong kinh moi", "tran trong gioi thieu"})


@functools.cache
def _title_names() -> dict[str, DocType]:
    """Folded type names (and title cues) → type."""
    return {
        title: doc_type for doc_type in load_doc_types() for title in doc_type.folded_titles if title not in _NOT_TITLES
    }


def _type_from_other_case_title(lines: list[str], start: int) -> TypeEvidence | None:
    """The first line under the header, when it is a type name and nothing else (only blank lines, specks, the
    national motto, the number and date lines and the issuing body's lines may stand between)."""
    titles = _title_names()
    for index in range(start, min(len(lines), start + 25)):
        line = lines[index]
        if (
            not line
            or _is_speck(line)
            or has_national_motto(line)
            or NUMBER_RE.search(line)
            or OTHER_CASE_NUMBER_RE.match(line)
            or parse_date_line(line)
            or (_is_upper_line(line) and BODY_START_RE.match(line))
            or _other_case_body_part(line, continues=True)
        ):
            continue  # still the header
        found = titles.get(fold(line)) if line[-1].isalpha() and not _is_upper_line(line) else None
        if found is None:
            return None  # the first line under the header is no title in another case (upper case: the other rule)
        rule = f"title block line {index + 1}: '{line}' (a type name on its own line, not in capitals)"
        return TypeEvidence(found, index, rule, standard_case=False)
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


def vv_subject(lines: list[str], vv_index: int) -> str | None:
    """A công văn's trích yếu: its 'V/v' line and the lines that go on with it ("V/v xử lý các kiến nghị" / "của
    UBND tỉnh Trà Vinh": only the first was kept, QA81) — in lower case, up to a blank line, "Kính gửi", a date or
    the body."""
    parts = [re.sub(r"^V\s*/\s*[vV]\s*", "", lines[vv_index]).strip()]
    for line in lines[vv_index + 1 : vv_index + 4]:
        text = line.strip()
        if not text[:1].islower() or parse_date_line(text) is not None or _BODY_START_RE.match(text):
            break
        parts.append(text)
    return " ".join(part for part in parts if part) or None


# ---------------------------------------------------------------------------------------------- date
# what is said of a date taken from the text, no place-and-date line of the header having one
DATE_IN_TEXT_NOTE = "not on the header's place-and-date line: a date in the text, doubtful"
# the word before 'ngày' of a date in a sentence, as written there (lower case: a place's name is capitalised —
# "Văn Tự", "Hòa Tú", "Bến Chợ" are places, QA79): "từ ngày …", "đến hết ngày …", "kể từ ngày …", "trước ngày …"
_SENTENCE_BEFORE_DATE = frozenset({"từ", "đến", "hết", "trước", "sau", "vào", "kể", "tới", "cho", "trong", "hôm"})


def _on_place_and_date_line(line: str, found: FoundDate, place: str) -> bool:
    """Whether a date has the shape of the header's place-and-date line ("An Bình, ngày 12 tháng 8 năm 2025"), not
    of a date in a sentence: the sentence not going on after the year in lower case ("… năm 2022 của Chính phủ",
    "… năm 2025 đến hết ngày …"; another column's capitals, "- Lần 2", "(âm lịch)" may follow), no document cited
    before it ("Căn cứ Nghị định số 96/2022/NĐ-CP ngày 29 tháng 01 năm 2022"), no "từ", "đến hết", "trước" … right
    before it. With the header's date unreadable (the day left blank to be written by hand, "31 tháng 02", OCR
    noise) the first such date in the text was taken as the date of issue, sure (0.95), unreviewed: a deadline in
    the body (QA77)."""
    if found.end is not None and re.match(r"\s*[,;:]?\s*[a-zà-ỹđ]", line[found.end :]):
        return False
    if re.search(r"\d\s*/", place) or re.search(r"\bcan cu\b", fold(place)):
        return False
    if re.search(r"\d\s*giờ\b", place, re.IGNORECASE):
        # a time of day before it ("Đã chết vào lúc: 10 giờ 15 phút, ngày 03 tháng 02 năm 2025"): a hộ tịch record's
        # event, not where and when it was issued (QA86: the death's day was its date of issue)
        return False
    words = place.split()
    if not words:
        # the date alone on its line: "Ngày 14 tháng 8 năm 2025" under a civil-status title; a sentence's date
        # carried to a line of its own ("… tại Tờ trình" / "ngày 02 tháng 6 năm 2025,") starts in lower case (QA81)
        return not line[found.start :].lstrip().startswith("ng")
    if words[-1] in _SENTENCE_BEFORE_DATE:
        return False
    # "Place, ngày …": a comma before the date, or the place's capitalised words right before it (the comma lost
    # to OCR). "… tại Tờ trình ngày …", "… UBND xã ngày …", "… 2023 - 2024 ký ngày …" are sentences: taken at 0.95
    # as the date of issue when the header's was left blank to be written by hand (QA81)
    return bool(_COMMA_BEFORE_DAY.search(line[found.start : found.end])) or all(
        word[:1].isupper() or word[:1].isdigit() for word in words[-2:]
    )


# the comma (or the point OCR reads for it) between the place and "ngày"
_COMMA_BEFORE_DAY = re.compile(r"[,.]\s*ng[aàáảãạ]y\s*\d", re.IGNORECASE)


# what OCR reads a speck or a stroke before a word as: an apostrophe, a quote, a point, a dash, a bar
_LEADING_MARKS = re.compile(r"^[^\w(]+")

# a place's abbreviated kind, written in capitals without its dot: "TP Hồ Chí Minh", "TX Bến Cát", "TT Phong Điền"
_PLACE_KINDS = frozenset({"TP", "TX", "TT"})


def _capitals_before_a_name(words: list[str]) -> int:
    """How many words in capitals ``words`` starts with, before a word written as a name (``Hà``): another
    column's or a stamp's words, not the place's ("TỪ DHNH PHÙ Hà Nội", QA81; "ND An Lão", the end of a ký hiệu
    OCR split, QA85); else 0. One word in capitals is the place's when it has Vietnamese letters (an OCR'd "ĐẮK
    Mil") or is a place's kind (``TP``, ``TX``: QA83)."""
    capitals = 0
    for word in words:
        letters = [ch for ch in word if ch.isalpha()]
        if letters and all(ch.isupper() for ch in letters):
            capitals += 1
            continue
        if not word[:1].isupper() or capitals == 0:
            return 0
        if capitals == 1:
            alone = words[0]
            kind = alone.endswith(".") or alone in _PLACE_KINDS  # "TP.", "Q.", "TP"
            return 1 if alone.isascii() and len(alone) >= 2 and not kind else 0
        return capitals
    return 0


def find_date(lines: list[str], number: NumberMatch | None) -> tuple[date, str | None, int, str, bool] | None:
    """(date, place, line index, rule, on the header's line) from the first place-and-date line (digits, or
    words); else, the last value False, from the first date in the text (``_on_place_and_date_line``)."""
    in_text: tuple[date, str | None, int, str, bool] | None = None
    for index, line in enumerate(lines[:60]):
        parsed = parse_date_line(line)
        if parsed is None:
            continue
        found, place = parsed
        if number is not None and number.line_index == index and number.span[1] <= found.start + len(place):
            place = line[number.span[1] : found.start + len(place)] if number.span[1] < found.start + len(place) else ""
        place = place.strip(" ,.-:;")
        header = _on_place_and_date_line(line, found, place)
        # the place is the last few capitalised words before the comma ("Hợp Tiến", "Hà Nội"), written as a name is
        # (Decree 30 prints it so): a word in capitals before one that is not is another column's or a stamp's
        # ("TỪ DHNH PHÙ Hà Nội": the ĐẾN stamp's "CỔNG THÔNG TIN ĐIỆN TỬ CHÍNH PHỦ", QA81); "TP." stays
        words = place.split()
        # a number the number rule did not know, on the same line ("Số: 12-QĐ/ĐU   An Hòa, ngày …": a Party
        # committee's, QA85), is no part of the place: no place name has a slash, every ký hiệu has one
        words = words[max((at + 1 for at, word in enumerate(words) if "/" in word), default=0) :]
        while words and not words[0][:1].isupper():
            # a speck read as a mark before the place's first word ("'Hợp Tiến", QA132 F6: the place was "Tiến")
            if (bare := _LEADING_MARKS.sub("", words[0]))[:1].isupper():
                words[0] = bare
                break
            words.pop(0)
        words = words[_capitals_before_a_name(words) :]
        dated = (found.value, " ".join(words[-5:]) or None, index, found.rule, header)
        if header:
            return dated
        in_text = in_text or (found.value, None, index, found.rule, False)
    return in_text


# ---------------------------------------------------------------------------------------------- issuer
def _unit_word(match: re.Match[str]) -> str:
    return {"phuong": "PHƯỜNG", "xa": "XÃ", "dac khu": "ĐẶC KHU"}.get(fold(match.group(0)), match.group(0))


# the start of a 'Số:' line whose word or number OCR spoiled, so that NUMBER_RE missed it
# ('SŨ: 2 1/QĐ-VP', '3U, J1/1LRT'): a number and a slash, which no issuing body's name has
_BROKEN_NUMBER_RE = re.compile(r"^S\S?\s*[:;.]?\s*\d[\d\s]*[.,]?\s*/|.*\d\s*/\s*\w")

# the word 'Số' starting a line, whatever follows (no issuing body's name starts with it): 'Số:', 'Số :', 'SỐ:',
# 'Số 130', and OCR's 'Sô:', 'S6:', 'So:' with their colon or a digit ('SỞ TƯ PHÁP' has neither)
_NUMBER_WORD_RE = re.compile(r"^(?:(?i:số)(?:\s*[:;.]|\s*\d|\s*$)|(?i:s[ôo6öỗồổóòọộ0])\s*(?:[:;]|\d))")

# administrative units that continue a body's name on the next line ("Ủy ban nhân dân" / "xã Tân Hòa")
_UNIT_START_RE = re.compile(r"^(?:xa|phuong|dac khu|thi tran|thi xa|tinh|thanh pho|huyen|quan)\b")


def _in_capitals(part: str) -> str:
    """A header line in capitals, where the OCR slips in capitals are undone ('Ủy bạn nhân dân' → 'ỦY BAN NHÂN
    DÂN', 'hành chinh công' → 'HÀNH CHÍNH CÔNG')."""
    return restore_phrases(collapse_doubled_vowels(part.upper()))


def _other_case_body_part(part: str, continues: bool, anchored: bool = False) -> bool:
    """A header line not in capitals that is still an issuing body's name: it begins like one ("Ủy ban nhân dân
    xã Tân Hòa", "Trung tâm phục vụ hành chính công"), or, under one (``continues``), with an administrative
    unit ("xã Tân Hòa") — or, when a number or date line below ends the header (``anchored``), with anything short
    that is no type name ("hành chính công"); with no digit or sentence punctuation."""
    if re.search(r"[\d,;:!?()\"]", part) or len(part.split()) > 14:
        return False
    folded = fold(part)
    if len(folded) != len(part):
        return False
    if BODY_START_RE.match(_in_capitals(part)):
        return True
    if not continues:
        return False
    return bool(_UNIT_START_RE.match(folded)) or (
        anchored and len(part.split()) <= 6 and folded not in _title_names() and not has_national_motto(part)
    )


def _place_goes_on(before: str, after: str) -> bool:
    """A dash between a unit's name and more of it ('TỈNH BÀ RỊA' - 'VŨNG TÀU'), not a speck before the unit
    ('ỦY BAN NHÂN DÂN' - 'XÃ AN BÌNH')."""
    return bool(ADMIN_UNIT_RE.search(_in_capitals(before.strip()))) and not _UNIT_START_RE.match(fold(after))


# the word ĐẾN starting a line (tone- and case-folded: OCR's ĐÉN, ĐEN, DEN; "CÔNG VĂN ĐẾN"), then its number
# ("ĐẾN Số: 710", OCR's "ĐẾN %6: 710") or nothing: the second line of a received-document stamp (Decree 30
# Appendix: the receiver's name, ĐẾN Số, Ngày, Chuyển, Số và ký hiệu HS)
_RECEIVED_STAMP_RE = re.compile(r"^(?:cong van )?den:?(?:\s*$|\s+\S{0,3}\s*[:;.]?\s*\d|\s+so\b)")
# the stamp's lines below it: its fields, filled in by hand (its "Số:" under a "CÔNG VĂN ĐẾN"; the document's own
# 'Số:' line ends the header all the same, where the header ends)
_RECEIVED_FIELD_RE = re.compile(r"^(?i:ngày|chuyển|số và ký hiệu|lưu hồ sơ|số\s*:)")


def _the_stamps_name(fragments: list[tuple[str, str]], start: int, end: int) -> bool:
    """Whether the header's ``fragments[start:end]``, the line above a received stamp's ĐẾN, are the stamp's
    receiver ("UBND XÃ AN PHÚ - VĂN THƯ") rather than the issuer's last line: they name its văn thư, or a body's
    name begins after the stamp (the issuer's own, read below it)."""
    if any("VĂN THƯ" in fragment for fragment, _joiner in fragments[start:end]):
        return True
    return end < len(fragments) and bool(BODY_START_RE.match(fragments[end][0]))


def find_issuer(lines: list[str], header_end: int, anchored: bool = True) -> tuple[str | None, str | None, bool]:
    """(issuer, parent body, standard case) from the upper-case lines above the number, national motto removed.

    Lines typed in another case ("Ủy ban nhân dân xã Tân Hòa": by hand, an old template, capitals lost to OCR)
    count only from the top of the page down, where nothing but the issuing body and the national motto stands
    above the number (``_other_case_body_part``; ``anchored``: a number or date line ends the header, not a count
    of lines); they are given in capitals, as Decree 30 prints the name, and the third value is then False."""
    fragments: list[tuple[str, str]] = []  # (part of a name, how it joins the part before when it continues it)
    standard_case = True
    from_top = True  # every part so far was a body's name (or nothing): the top left of the header
    titled = False  # a type's title met: the header above it is all there is
    last_line = (0, 0)  # where the fragments of the last line with any began and ended
    stamp_name: tuple[int, int] | None = None  # the fragments of the line above a received stamp's ĐẾN
    in_stamp = False  # the lines of a received-document stamp's fields follow
    for line in lines[:header_end]:
        if titled:
            break
        in_stamp = in_stamp and bool(_RECEIVED_FIELD_RE.match(line))
        if in_stamp:
            continue  # "Ngày: 18/6" (its slash ended the header, a 'Số:' line spoiled), "Chuyển: …"
        if _BROKEN_NUMBER_RE.match(line) or _NUMBER_WORD_RE.match(line):
            # a 'Số:' line OCR spoiled past reading ('SŨ: 2 1/QĐ-VP', 'Số:130UBND-VP'): the issuer is above it
            break
        if _RECEIVED_STAMP_RE.match(fold(line)):
            # a received-document stamp's "ĐẾN Số: 710": the line above it may be the stamp's own body's name, the
            # receiver's (QA90: "UBND XÃ VĂN THƯ ĐẾN %5: 710" was a record's OrganName), or the issuer's last line
            # where the stamp was read after the issuer (QA91): decided below
            stamp_name = last_line if last_line[1] == len(fragments) else None
            in_stamp = True
            continue
        stripped = remove_national_motto(line)
        if not any(ch.isalnum() for ch in stripped):
            continue  # a line of specks alone ("* `", a rule read as "—"): no part of a name
        line_starts = len(fragments)
        if fragments and _a_symbol_in(stripped):
            # the 'Số:' line under a received stamp, its number lost, its ký hiệu left ("GIÁ. L& TB-VECP - ¬ ` „":
            # "VĂN PHÒNG CHÍNH PHỦ GIÁ. L& TB-VECP" was the issuer of the real 153/TB-VPCP, QA81)
            break
        stripped = re.sub(r"[_\-–—=~.]{3,}", " ", stripped).strip()
        stripped = re.sub(r"(?:\s+[^\w\s]+|\s+_+)+$", "", stripped)  # OCR specks after the name: ' .', ' _', ' :'
        # two bodies OCR'd onto one line, with a speck or rule between them ('UBND XÃ A -_ TRUNG TÂM …'); a
        # single dash inside one name stays in it when the name goes on ('TỈNH BÀ RỊA - VŨNG TÀU')
        pieces = re.split(r"\s+([-_–—~.|]+)\s+", stripped)
        for index in range(0, len(pieces), 2):
            part = re.sub(r"(?:\s+[^\w\s]+|\s+_+)+$", "", pieces[index])
            part = re.sub(r"^[-_–—~.|\s]+", "", part).strip().rstrip(".,;:")
            joiner = (
                " - " if index and pieces[index - 1] in ("-", "–") and _place_goes_on(pieces[index - 2], part) else " "
            )
            if part and not fragments and _a_mark_above_the_header(part):
                continue  # no body's name (QA81: a pencilled "TH" made "TH - VĂN PHÒNG CHÍNH PHỦ" the OrganName)
            if part and _a_type_title(part):
                # "QUY CHẾ" under the body's name on an attached page: its title, not its name (QA81); a title with no
                # body's name above it (a contract's "HỢP ĐỒNG" under the national motto) names no body (QA87)
                titled = True
                break
            if part and _is_upper_line(part):
                fragments.append((re.sub(r"\s+", " ", part), joiner))
            elif part and from_top and _other_case_body_part(part, bool(fragments), anchored):
                fragments.append((_in_capitals(re.sub(r"\s+", " ", part)), joiner))
                standard_case = False
            elif part:
                from_top = False
        if len(fragments) > line_starts:
            last_line = (line_starts, len(fragments))
    if stamp_name is not None and _the_stamps_name(fragments, *stamp_name):
        del fragments[stamp_name[0] : stamp_name[1]]
    bodies: list[str] = []
    for fragment, joiner in fragments:
        if bodies and not BODY_START_RE.match(fragment):
            bodies[-1] = f"{bodies[-1]}{joiner}{fragment}"
        else:
            bodies.append(fragment)
    if not bodies:
        return None, None, True
    # the unit word after the body name, diacritics lost ('NHÂN DÂN PHƯƠNG MAI TRUNG' → 'PHƯỜNG')
    unit_re = r"(?<=NHÂN DÂN )(PH[UƯ][OƠỜỚỞỠỢÒ]NG|X[AÃÁÀẢẠ]|Đ[AẶẮẰ]C KHU)(?= )"
    bodies = [re.sub(unit_re, _unit_word, body) for body in bodies]
    return bodies[-1], (bodies[-2] if len(bodies) > 1 else None), standard_case


# a ký hiệu's shape in a word: capitals, a dash, capitals, no space ("TB-VECP", "QĐ-UBND"); a body's name joins
# its parts with spaced dashes ("BÀ RỊA - VŨNG TÀU")
_SYMBOL_WORD_RE = re.compile(r"(?<![\w-])([A-ZĐ][A-Za-zĐđ]{0,4})-[A-ZĐ]{2,}\b")


# what a stamp's or a smudge's reading leaves that no body's name has ('&' is a name's, "GD&ĐT"; '“' a school's)
_STAMP_MARKS_RE = re.compile(r"[¬`„©®§¤°^{}\\|<>~*#@$%]")


def _a_symbol_in(line: str) -> bool:
    """Whether ``line`` holds a word shaped as a ký hiệu whose first group is a type's code ("TB-VECP") beside the
    marks of a stamp's reading ("¬ ` „"): what is left of a 'Số:' line a stamp covered. The shape alone is a
    department's name as often ("PHÒNG TC-KH", "SỞ KH-ĐT", "PHÒNG CT-HSSV": QA85)."""
    if not _STAMP_MARKS_RE.search(line):
        return False
    return any(type_for_symbol_code(found.group(1)) is not None for found in _SYMBOL_WORD_RE.finditer(line))


_ABBREVIATED_BODIES = frozenset({"UBND", "HĐND", "MTTQ"})
# bodies whose name may stand as one short word at the top of a header
_ONE_WORD_BODIES = _ABBREVIATED_BODIES | {"TAND", "VKSND", "BHXH"}


def _a_type_title(part: str) -> bool:
    """A line that is a document type's title and nothing else ("QUY CHẾ", "PHỤ LỤC" is none): on a page without
    a number (a Quy chế issued with a decision) it stood under the body's name and was read as part of it:
    "ỦY BAN NHÂN DÂN XÃ TÂN LẬP QUY CHẾ" (QA81)."""
    folded = fold(part).strip(" :.")
    return any(folded == title for doc_type in load_doc_types() for title in doc_type.folded_titles)


def _a_mark_above_the_header(part: str) -> bool:
    """A lone short word or a web address at the top of the page, before any body's name: a routing mark pencilled
    by a clerk ("TH", "TTĐT"), a portal's banner ("CHINHPHU.VN") — read as the cơ quan chủ quản (QA81)."""
    word = part.strip()
    if " " in word or word.upper() in _ONE_WORD_BODIES:
        return False
    return "." in word or sum(ch.isalpha() for ch in word) <= 5


def issuer_initials(name: str) -> list[str]:
    """The ký hiệu abbreviations a body's name gives: 'TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG' → ['TTPVHCC'];
    'ỦY BAN NHÂN DÂN XÃ TÂN LẬP' → ['UBNDXTL', 'UBND'] (also without the administrative unit)."""
    words = name.split()
    candidates: list[str] = []
    for cut in range(len(words), 0, -1):
        if cut < len(words) and fold(words[cut]) not in ("xa", "phuong", "dac", "tinh", "huyen", "quan", "thi"):
            continue
        letters = "".join(
            w if w in _ABBREVIATED_BODIES else "Đ" if w[0] in "Đđ" else fold(w[0]).upper()
            for w in words[:cut]
            if w[0].isalpha()
        )
        if len(letters) >= 4 and letters not in candidates:
            candidates.append(letters)
    return candidates


def _symbol_misread(number: NumberMatch, title_type: DocType, bodies: Sequence[str]) -> bool:
    """Whether ``number``'s ký hiệu is none Decree 30 builds for a document of ``title_type``, one with a type code
    of its own: no type code in it, no dashes, and not the issuing body's initials either ('12/TEKTBS')."""
    return (
        bool(title_type.symbol_codes)
        and type_from_symbol(number) is None
        and not _symbol_looks_right(number.symbol)
        and number.symbol not in {initials for body in bodies for initials in issuer_initials(body)}
    )


def _with_symbol(number: NumberMatch, symbol: str) -> NumberMatch:
    """``number`` with its ký hiệu replaced by ``symbol`` (the serial, and the year if any, kept)."""
    return replace(number, number=number.number[: len(number.number) - len(number.symbol)] + symbol, symbol=symbol)


def _record_symbol_fix(fields: dict[str, Field_], number: NumberMatch, fix: str) -> None:
    """A corrected ký hiệu: the number and symbol fields take it, a little less sure, saying what was changed."""
    for key, value in (("number", number.number), ("symbol", number.symbol)):
        confidence = min(0.85, fields[key].confidence)  # a number whose '/' was put back stays as unsure
        fields[key] = Field_(value=value, confidence=confidence, evidence=f"{fields[key].evidence}; {fix}")


def reconcile_type_code(number: NumberMatch, title_type: DocType) -> tuple[NumberMatch, str | None]:
    """Correct an OCR slip in the ký hiệu's type code: a first group one letter away from the code of the type
    the title names is that code ('166/TIr-UBND' under 'TỜ TRÌNH' → '166/TTr-UBND'; a copy's lone code too,
    '26/SV' under 'SAO Y' → '26/SY')."""
    groups = number.symbol.split("-")
    match = next((code for code in title_type.symbol_codes if one_edit_apart(groups[0], code)), None)
    if match is None:
        return number, None
    fixed = _with_symbol(number, "-".join([match, *groups[1:]]))
    return fixed, f"type code '{groups[0]}' read as '{match}', the code of the title's type"


def reconcile_symbol(number: NumberMatch, bodies: Sequence[str]) -> tuple[NumberMatch, str | None]:
    """Correct an OCR slip in the ký hiệu's issuer abbreviation: a group one letter away from the initials of
    the issuer (or its parent body) is those initials ('GM-TTPVHCGC' under 'TRUNG TÂM PHỤC VỤ HÀNH CHÍNH
    CÔNG' → 'GM-TTPVHCC'). Returns the number and what was changed."""
    candidates = [initials for body in bodies for initials in issuer_initials(body)]
    groups = number.symbol.split("-")
    for index, group in enumerate(groups):
        if (index == 0 and type_for_symbol_code(group) is not None) or group in candidates:
            continue
        match = next((c for c in candidates if one_edit_apart(group, c)), None)
        if match is None:
            continue
        groups[index] = match
        fixed = _with_symbol(number, "-".join(groups))
        return fixed, f"ký hiệu group '{group}' read as '{match}', the initials of the issuing body"
    return number, None


# ---------------------------------------------------------------------------------------------- subject
# a rule read as a line of marks: the full-width one over the signing block, the short one under a trích yếu
_RULE_LINE_RE = re.compile(r"^[\s_\-–—=~.*]+$")
# the dashes a rule is read as: a line of them, or before the words of a line
_DASHES_RE = re.compile(r"[\s_\-–—=~]+")
_RULE_BEFORE_RE = re.compile(r"^[_\-–—=~]+\s*")
# Lines that begin a body, not a trích yếu: as whole words and with what follows them — "Họp giao ban" (a giấy
# mời's subject) is not "Họ và tên", "Điều tra dân số" not "Điều 1.", "Thực hiện chuyển đổi số" (a kế hoạch's)
# not "Thực hiện Kế hoạch số 12/KH-UBND …"
# not "Thực hiện chỉ đạo của …" either, nor the closing ("Nơi nhận:", "- Lưu: VT"), which a short page's text can
# put right under a subject with no blank line between (QA: the subject ran on to "… như sau. Nơi nhận: - Lưu: VT")
_BODY_START_RE = re.compile(
    r"^(?:Căn cứ\b|Kính gửi\b|Hôm nay\b|Họ(?:,|\s+và\b|\s+tên\b)|Điều\s+\d|Thực hiện\s+(?:\S+\s+){0,3}số\s*\d"
    r"|Thực hiện\s+(?:ý kiến\s+)?chỉ đạo\b|Nơi nhận\b|-?\s*Lưu\s*:)"
)
# in brackets or dashes, a full stop after, OCR's 0 for O ("(BẢN SAO).", "- BẢN SAO -", "[BẢN SA0]": QA95)
_COPY_MARK_RE = re.compile(
    r"^[(\[\-–\s]*(?:bản sa[o0]|bản chính|sa[o0] y bản chính|trích sa[o0]|sa[o0] lục)[)\]\-–\s.]*$", re.IGNORECASE
)
# a body's numbered part ("2. Trong quá trình …", "I. MỤC ĐÍCH", "đ) Trường hợp …"): no trích yếu line starts so.
# Where the scan's layout gave no paragraph break under the trích yếu, the body ran into it (QA81)
_NUMBERED_PART_RE = re.compile(r"^(?:\d{1,2}|[IVX]{1,4}|[a-zđ])\s?[.)]\s+\S")
# a body's first sentence that opens with the issuing body and what it does ("Ủy ban nhân dân xã An Bình thông báo
# tạm dừng …", "UBND xã trân trọng kính mời …"), matched folded: a notice or a plan often begins so, and the trích
# yếu ran on into the whole body (QA77). A trích yếu may end with a body's name ("… của Ủy ban nhân dân xã"), never
# with its verb.
_SENTENCE_OPENING_RE = re.compile(
    r"^(?:uy ban nhan dan|ubnd|hoi dong nhan dan|hdnd|van phong|bo phan|trung tam|phong|cong an|dang uy)\b"
    r"(?:\s+\S+){0,6}?\s+(?:thong bao|tran trong|kinh moi|trieu tap)\b"
)


def _is_competence_line(line: str) -> bool:
    """The line of the authority that issues ("Chủ tịch Ủy ban nhân dân xã Tân Hòa"), in any case: a signing
    title, then the name of a body."""
    folded = fold(line)
    title = _FOLDED_TITLE_RE.match(folded)
    return (
        title is not None
        and len(folded) == len(line)
        and bool(BODY_START_RE.match(line[title.end() :].strip().upper()))
    )


def _a_subject_in_capitals(line: str) -> bool:
    """An upper-case line under the title that may be its trích yếu: not a body's name, not the authority that
    issues (a signing title), not the national motto, not a type title."""
    folded = fold(line)
    return not (
        BODY_START_RE.match(line)
        or _FOLDED_TITLE_RE.match(folded)
        or _signing_title_part(line) is not None
        or "doc lap" in folded
        or "cong hoa xa hoi" in folded
        or "can cu" in folded
    )


def find_subject(lines: list[str], after: int, *, any_case: bool = False) -> str | None:
    """The trích yếu: the lines under the title, up to a blank line, a body's first line or an upper-case line.
    ``any_case``: the title was not in capitals, and neither may the line of the authority that issues be, which
    then ends the subject too."""
    collected: list[str] = []
    in_capitals = False  # a trích yếu set in capitals, as old documents and many templates set it
    for line in lines[after + 1 : after + 6]:
        if not line:
            if collected:
                break
            continue
        if _DASHES_RE.fullmatch(line):
            if collected:
                break  # the short rule Decree 30 draws under the trích yếu, read as a line of its own
            continue
        if collected and (rule := _RULE_BEFORE_RE.match(line)) and line[rule.end() :][:1].islower():
            # that rule read at the start of the trích yếu's next line, where a skewed scan put it ("— của Ủy ban
            # nhân dân xã …", QA132 F6): a line that goes on with the sentence never starts with a dash
            line = line[rule.end() :]
        if _COPY_MARK_RE.match(line) and not collected:
            # "(Bản sao)" under a trích lục's title says what the paper is, not what it is about; in capitals too
            # ("(BẢN SAO)" was every trích lục khai tử's subject, QA93)
            continue
        upper = _is_upper_line(line)
        if upper and (not collected or in_capitals) and _a_subject_in_capitals(line):
            # "HƯỚNG DẪN ÁP DỤNG MỘT SỐ QUY ĐỊNH …" under NGHỊ QUYẾT was dropped, the record archived without a
            # subject, unreviewed (QA81); the issuing authority's line ("CHỦ TỊCH ỦY BAN …", "HỘI ĐỒNG THẨM PHÁN …")
            # still ends it
            in_capitals = True
            collected.append(line)
            continue
        if (
            in_capitals
            or _BODY_START_RE.match(line)
            or _NUMBERED_PART_RE.match(line)
            or upper
            or (any_case and _is_competence_line(line))
        ):
            break
        # the body's name capitalised, as a sentence begins ("phòng, chống …" in a trích yếu is no body: QA79), and
        # a verb a notice's or an invitation's body opens with soon after it ("báo cáo", "đề nghị" are nouns in
        # subjects as often)
        if line[:1].isupper() and _SENTENCE_OPENING_RE.match(fold(line)):
            break
        collected.append(line)
    subject = " ".join(collected).strip(" -_")
    return subject or None


# "Về việc: Liên hệ bàn giao hồ sơ lưu trữ." in the body of a giấy giới thiệu
_ABOUT_RE = re.compile(r"^v[eề] vi[eệ]c\s*:\s*(?P<about>\S.*)$", re.IGNORECASE)


def about_line(lines: list[str], after: int) -> str | None:
    """What a giấy giới thiệu is for: its ``Về việc:`` line below ``after`` (the title), the lines it goes on to in
    lower case with it, up to the closing (``Nơi nhận``); its full stop dropped."""
    for index in range(after + 1, len(lines)):
        if fold(lines[index]).startswith("noi nhan"):
            return None
        found = _ABOUT_RE.match(lines[index])
        if found is None:
            continue
        # the form's leader dots or blank line left to fill in ("Về việc: ………", "......Liên hệ …"): no subject
        written = found.group("about").lstrip(" " + LEADER_MARKS)
        if not any(ch.isalnum() for ch in written):
            return None
        about = [written]
        for line in lines[index + 1 : index + 3]:
            if not line or not line[:1].islower():
                break
            about.append(line)
        return " ".join(about).strip().rstrip(".;") or None
    return None


# ---------------------------------------------------------------------------------------------- signer
# common family names: where one line holds two signers' names ("Hà Thị Lụa Lương Văn Tiến"), the second starts
# with one of them
SURNAMES = frozenset(fold(name) for name in FAMILY_NAMES)


def _signing_title_part(line: str) -> str | None:
    """The signing-authority or office-title part of a line ('TM. ỦY BAN NHÂN DÂN', 'CHỦ TỊCH'), if any. An
    authority code a title follows comes first; a code without one is a recipient's abbreviation the reading order
    put beside the block ("- Phòng KT, TC-KH;  CHỦ TỊCH": the signer's title read "KT. TC-KH; CHỦ TỊCH", QA85)."""
    authorities = list(SIGNING_AUTHORITY_RE.finditer(line))
    for authority in authorities:
        if _a_word_of_a_title_after(line, authority.end() - 1):
            return line[authority.start() :].strip()
    folded = fold(line)
    if len(folded) == len(line):
        for title in _FOLDED_TITLE_RE.finditer(folded):
            if _is_upper_line(line[title.start() :]):
                return line[title.start() :].strip()
    return line[authorities[0].start() :].strip() if authorities else None


# family names as printed, to undo OCR slips in the first word of a name ('Định Thị Yến' → 'Đinh Thị Yến')
CANONICAL_SURNAMES = {fold(name): name for name in FAMILY_NAMES}


def _fix_surname(name: str) -> str:
    """The family name with its own diacritics (OCR drops the tilde of NGUYỄN more than any other), in the name's
    case: civil-status records print names in capitals."""
    first, _, rest = name.partition(" ")
    canonical = CANONICAL_SURNAMES.get(fold(first))
    if not canonical or not rest:
        return name
    return f"{canonical.upper() if first.isupper() else canonical} {rest}"


def _split_names(words: list[str]) -> list[str]:
    """One or two names from a line of capitalised words (two signers side by side)."""
    if len(words) >= 4:
        for cut in range(2, len(words) - 1):
            if fold(words[cut]) in SURNAMES and 2 <= cut <= 4 and 2 <= len(words) - cut <= 4:
                return [" ".join(words[:cut]), " ".join(words[cut:])]
    return [" ".join(words)] if 2 <= len(words) <= 5 else []


@dataclass(frozen=True)
class Signer:
    name: str | None
    title: str | None
    authority: str | None
    evidence: str


def find_signer(lines: list[str]) -> tuple[str | None, str | None, str]:
    """(name, title, evidence) from the signing block at the end: authority/title lines, then the name."""
    signer = find_signer_block(lines)
    return signer.name, signer.title, signer.evidence


def _is_speck(line: str) -> bool:
    """A line with no word of two letters: a speck of dirt or a stray mark OCR read as a letter."""
    return not any(sum(ch.isalpha() for ch in word) >= 2 for word in line.split())


def _a_word_of_a_title_after(text: str, start: int) -> bool:
    """Whether the word at ``start`` in ``text`` is letters only (``CHỦ``, ``ỦY``), as a title's is; not ``TC-KH;``."""
    word = text[start:].split(maxsplit=1)[0] if text[start:].strip() else ""
    return word.rstrip(".,").isalpha()


def signing_authority(title: str) -> str | None:
    """The authority a signing title signs with (``TM``, ``KT``, ``Q``, ``TL``, ``TUQ``): the last ("TM. ỦY BAN
    NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH": a deputy signs KT. for the chair, who acts TM. for the committee; it was
    "TM", the deputy's KT. lost, QA81) of those a title follows ("KT. CHỦ TỊCH"), not a recipient's abbreviation the
    reading order put beside it ("- Phòng KT, TC-KH;", QA85)."""
    authorities = list(SIGNING_AUTHORITY_RE.finditer(" " + title))
    titled = [found for found in authorities if _a_word_of_a_title_after(" " + title, found.end() - 1)]
    chosen = titled or authorities
    return chosen[-1].group(1) if chosen else None


def find_signer_block(lines: list[str]) -> Signer:
    """The signing block: at the end of the document, else after its last "Nơi nhận:" — a decision followed by its
    appendix (phụ lục, bảng giá) is signed pages before the end, and its signer was lost (QA81: the real 28/2023/
    QĐ-UBND, signed on page 4 of 10)."""
    found = _signer_block_in(lines, max(0, len(lines) - 45))
    if found.title is None:  # (a name-like line at the end, without a title, is weaker than a block with one)
        closing = [i for i, line in enumerate(lines) if re.search(r"\bnoi nhan\s*:", fold(line))]
        if closing and closing[-1] < len(lines) - 45:
            end = min(len(lines), closing[-1] + 45)
            in_block = _signer_block_in(lines[:end], closing[-1])
            if in_block.title is not None:
                return in_block
    return found


def _signer_block_in(lines: list[str], window_start: int) -> Signer:
    for index in range(len(lines) - 1, window_start - 1, -1):
        if _signing_title_part(lines[index]) is None:
            continue
        # this is the lowest title line; the block may start one or two lines higher ("TM. …" above "CHỦ TỊCH")
        start = index
        probe = index - 1
        while probe >= window_start and index - probe <= 4:
            if not lines[probe] or _is_speck(lines[probe]):
                probe -= 1  # OCR puts blank lines, and specks it read as "R" or "š", inside the two-column closing
                continue
            if _signing_title_part(lines[probe]) is None:
                break
            start = probe
            probe -= 1
        title = " ".join(part for i in range(start, index + 1) if lines[i] and (part := _signing_title_part(lines[i])))
        title = re.sub(r"\b(TM|KT|Q|TL|TUQ),", r"\1.", title)
        code = signing_authority(title)
        for follow in lines[index + 1 : index + 12]:
            words = follow.split()
            if words and all(NAME_WORD_RE.match(w) for w in words):
                names = _split_names(words)
                names = [_fix_surname(n) for n in names]
                if len(names) == 2:
                    # two signers side by side (minutes: secretary left, chair right): the right one signs for
                    # the body; both names are in the evidence
                    titles = list(_FOLDED_TITLE_RE.finditer(fold(title)))
                    right_title = title[titles[-1].start() :] if len(titles) > 1 else title
                    return Signer(
                        names[1],
                        right_title,
                        code,
                        f"signing block at line {start + 1}, two names below it ({names[0]}; {names[1]}): the "
                        "right-hand one",
                    )
                if names:
                    return Signer(names[0], title, code, f"signing block at line {start + 1}, name below it")
        return Signer(None, title, code, f"signing block at line {start + 1}, no name found below it")
    # no title line survived OCR: the last name-like line near the end, if any (weak)
    for index in range(len(lines) - 1, max(0, len(lines) - 6) - 1, -1):
        words = lines[index].split()
        if 2 <= len(words) <= 4 and all(NAME_WORD_RE.match(w) for w in words) and fold(words[0]) in SURNAMES:
            return Signer(
                _fix_surname(lines[index]), None, None, f"no signing title found; name-like line {index + 1} at the end"
            )
    return Signer(None, None, None, "no signing block found")


# ---------------------------------------------------------------------------------------------- recipients
_RECIPIENT_ITEM_RE = re.compile(r"^[-+•*]\s*(?P<item>.+)$")


def _strip_signing_part(line: str) -> str:
    part = _signing_title_part(line)
    if part and line.endswith(part):
        line = line[: len(line) - len(part)]
    return line.strip()


def find_recipients(lines: list[str]) -> tuple[list[str], str]:
    """'Kính gửi:' addressees and the 'Nơi nhận:' list (without the signing block OCR put beside it)."""
    found: list[str] = []
    rules: list[str] = []
    for index, line in enumerate(lines):
        folded = fold(line)
        if len(folded) != len(line):
            continue
        kinh_gui = re.search(r"\bkinh gui\s*:", folded)
        if kinh_gui and not found:
            rest = line[kinh_gui.end() :].strip(" .;")
            items = [rest] if rest and not rest.startswith("-") else []
            for follow in lines[index + 1 : index + 8]:
                item = _RECIPIENT_ITEM_RE.match(follow)
                if not item:
                    break
                items.append(item.group("item"))
            if not rest and not items:
                continue
            if rest.startswith("-"):
                items.insert(0, rest.lstrip("- "))
            found.extend(i.strip(" ;.,") for i in items if i.strip(" ;.,"))
            rules.append(f"'Kính gửi:' line {index + 1}")
        noi_nhan = re.search(r"\bnoi nhan\s*:", folded)
        if noi_nhan:
            items = []
            rest = _strip_signing_part(line[noi_nhan.end() :])
            if rest.startswith("-"):
                items.append(rest.lstrip("-+ "))
            for follow in lines[index + 1 : index + 15]:
                if not follow:
                    continue
                item = _RECIPIENT_ITEM_RE.match(follow)
                if not item:
                    break
                items.append(_strip_signing_part(item.group("item")))
            for raw in items:
                entry = re.sub(r"[\s:;,.]+$", "", raw).strip()
                if entry and entry not in found:
                    found.append(entry)
            rules.append(f"'Nơi nhận:' list from line {index + 1}")
    return found, "; ".join(rules)


# ---------------------------------------------------------------------------------------------- copy block
# A copy (bản sao) carries, under the last part of the document it copies, a block of its own (Decree 30, Phụ lục
# I Phần II.II; VN_DOMAIN.md 1.5): its form in capitals, the body that made it, its number in the copies' own series
# ('Số: 14/SY'), place and date, who signed it, its 'Nơi nhận'. Read as the document's own, its signer was taken for
# the copied document's and its 'Nơi nhận' joined the document's (QA81 L3). Its rule: _RULE_LINE_RE (subject).
_NOI_NHAN_RE = re.compile(r"\bnoi nhan\s*:")  # matched folded


# An electronic copy's mark (Decree 30, Phụ lục I, ô 14: top right of its first page, no image): the form, the
# copying body, the time it was signed — "SAO Y  Ủy ban nhân dân xã Tân Lập  2025-03-11T08:05:44+07:00"
_ELECTRONIC_COPY_RE = re.compile(
    rf"^(?P<form>{COPY_FORM_WORDS})\s+(?P<body>\S.*?)\s+(?P<day>\d{{4}}-\d\d-\d\d)T\d\d:\d\d(?::\d\d)?"
    r"(?:[+-]\d\d:?\d\d|Z)?$"
)


def find_electronic_copy(lines: list[str]) -> CopyBlock | None:
    """An electronic copy's mark among the first lines of its first page (``_ELECTRONIC_COPY_RE``), or None."""
    for line in lines[:10]:
        if (mark := _ELECTRONIC_COPY_RE.match(line)) is not None:
            try:
                day = date.fromisoformat(mark.group("day"))
            except ValueError:
                continue
            return CopyBlock(form=copy_form(mark.group("form")), issued_on=day, issuer=mark.group("body"))
    return None


def _copy_anchor(lines: list[str], after: int) -> tuple[int, str] | None:
    """(the line of a copy's number after ``after``, the number): a 'Số:' line of the copies' series
    (``classify.copies.copy_number``) with nothing after the number but, in reading order, the place and date beside
    it — not a sentence citing one ('Số: 14/SY ngày 11/3/2025 của Văn phòng', QA86) — and under the copied
    document's closing ('Nơi nhận:') or by the copy's form: up to three lines above it, or in the lines under it
    (read by word positions, the form's column comes after the number's: its 'Nơi nhận' in between)."""
    for index in range(after + 1, len(lines)):
        near = any(COPY_FORM_RE.search(lines[i]) for i in range(max(after + 1, index - 3), min(len(lines), index + 9)))
        found = copy_number(lines[index], form_near=near)
        if found is None:
            continue
        rest = lines[index][found[1] :].strip()
        beside = parse_date_line(rest) if rest else None
        if rest and (beside is None or not beside[1].strip(" ,.:;")):
            continue
        if near or any(_NOI_NHAN_RE.search(fold(line)) for line in lines[after + 1 : index]):
            return index, found[0]
    return None


# A photocopy certified by a commune or a notary (chứng thực bản sao từ bản chính, Decree 23/2015): the stamp "SAO Y
# BẢN CHÍNH" or "Chứng thực bản sao đúng với bản chính", then "Số chứng thực: 125  Quyển số: 01/2025-SCT/BS", the
# day, the certifier's title and name. Read as the document's own, the certifier was taken for its signer (QA86).
_CERTIFIED_RE = re.compile(r"^(?:.*\s)?so chung thuc\s*:?\s*(?P<serial>\d+)")  # matched folded
_CERTIFIED_BOOK_RE = re.compile(r"quyển số\s*:?\s*(?P<book>[\w./-]*SCT/BS)", re.IGNORECASE)
_CERTIFICATION_WORDS_RE = re.compile(r"\b(?:sao y ban chinh|chung thuc ban sao)\b")  # matched folded


def find_certification(lines: list[str], after: int) -> tuple[int, CopyBlock] | None:
    """(the line a certified photocopy's certification starts at, what it says) when a 'Số chứng thực:' line stands
    after ``after`` (the document's header), or None; it starts at the stamp's words just above that line."""
    for anchor in range(after + 1, len(lines)):
        if (certified := _CERTIFIED_RE.match(fold(lines[anchor]))) is not None:
            break
    else:
        return None
    start = anchor
    while start - 1 > after and anchor - start < 3 and _CERTIFICATION_WORDS_RE.search(fold(lines[start - 1])):
        start -= 1
    block = lines[start:]
    book = _CERTIFIED_BOOK_RE.search(lines[anchor])
    dated = find_date(block, None)
    signer = find_signer_block(block)
    return start, CopyBlock(
        form="CHỨNG THỰC BẢN SAO",
        number=f"{certified.group('serial')}, quyển số {book.group('book')}" if book else certified.group("serial"),
        issued_on=dated[0] if dated else None,
        place=dated[1] if dated else None,
        signer_name=signer.name,
        signer_title=signer.title,
    )


def find_copy_block(lines: list[str], after: int) -> tuple[int, CopyBlock] | None:
    """(the line the copy block starts at, the block) when a copy's number stands on a line after ``after`` (the
    document's header; ``_copy_anchor``), or None. The block starts at the upper-case lines just above that number
    (the copying body, the form), not above a line of marks (the rule over it) or the copied document's last words
    (its signer's name)."""
    anchored = _copy_anchor(lines, after)
    if anchored is None:
        return None
    anchor, number = anchored
    start = anchor
    while start - 1 > after and anchor - start < 4:
        above = lines[start - 1]
        # the body's name, the form, the place and date (read in one line with the body's name, in reading order)
        ours = _is_upper_line(above) or COPY_FORM_RE.search(above) or parse_date_line(above) is not None
        if not above or _RULE_LINE_RE.match(above) or not ours:
            break
        start -= 1
    block = lines[start:]
    dated = find_date(block, None)
    unmarked = [COPY_FORM_RE.sub("", line).strip() for line in block]
    if dated and dated[1]:  # the place and date read beside the body's name ("XÃ TÂN LẬP Tân Lập, ngày …")
        unmarked[dated[2]] = unmarked[dated[2]].split(f"{dated[1]},", 1)[0].strip()
    issuer, _parent, _ = find_issuer(unmarked, anchor - start)
    signer = find_signer_block(block)
    return start, CopyBlock(
        form=COPY_FORMS[number.split("/", 1)[1].split("-", 1)[0]],
        number=number,
        issued_on=dated[0] if dated else None,
        place=dated[1] if dated else None,
        issuer=issuer,
        signer_name=signer.name,
        signer_title=signer.title,
    )


def _as_printed_copy(block: CopyBlock, as_printed: PrintedSpelling) -> CopyBlock:
    """The block's names as the document prints them (see ``classify_text``'s ``as_printed``)."""
    return block.model_copy(
        update={
            "place": as_printed(block.place, last=True),
            "issuer": as_printed(block.issuer, last=True),
            "signer_name": as_printed(block.signer_name, last=True),
            "signer_title": as_printed(block.signer_title, last=True),
        }
    )


# ---------------------------------------------------------------------------------------------- place
# a dash inside the name with spaces or without ('BÀ RỊA - VŨNG TÀU', 'PHAN RANG-THÁP CHÀM' from 'RANG–THÁP')
ADMIN_UNIT_RE = re.compile(
    r"\b(XÃ|PHƯỜNG|ĐẶC KHU|THỊ TRẤN|THỊ XÃ|TỈNH|THÀNH PHỐ|HUYỆN|QUẬN)\s+"
    r"(?P<name>[A-ZĐÀ-Ỹ0-9 ]+(?: ?- ?[A-ZĐÀ-Ỹ0-9 ]+)?)$"
)


def admin_unit(issuer: str | None) -> tuple[str, str] | None:
    """('xã', 'Tân Lập') from 'ỦY BAN NHÂN DÂN XÃ TÂN LẬP'; the 2025 two-level units xã / phường / đặc khu and the
    province level; district and thị trấn for records from before 1 July 2025."""
    if not issuer:
        return None
    match = ADMIN_UNIT_RE.search(issuer)
    if not match:
        return None
    return match.group(1).lower(), match.group("name").strip().title()


# ---------------------------------------------------------------------------------------------- all
MODEL_BELOW = 0.85  # the type model is asked when the rules' type confidence is below this
# a number read from a 'số:' line in another case than Decree 30's 'Số:'
OTHER_CASE = 0.85
OTHER_CASE_NOTE = "not in Decree 30's case, so a little less sure"
# a number whose '/' OCR lost ('Số:130UBND-VP'), put back between the serial and the symbol: below the default
# review threshold (0.6), so an officer looks at it; ``classify.review.weak_fields`` says why
# the types whose Decree 30 layout puts a trích yếu under the title (or, for a công văn, after V/v): one without it
# is reviewed. Not the papers that need none (giấy mời, giấy giới thiệu, giấy ủy quyền, phiếu, thư công, copies)
# nor the hộ tịch records
SUBJECT_TYPES = frozenset(
    {"NQ", "QĐ", "CT", "QC", "QyĐ", "TC", "TB", "HD", "CTr", "KH", "PA", "ĐA", "DA", "BC", "BB", "TTr", "HĐ", "CV"}
)
# a ký hiệu Decree 30 builds no such way for the title's type ('12/TEKTBS' under TRÍCH LỤC KHAI TỬ: OCR's for
# '12/TLKT-BS'): below the default review threshold too, so an officer reads it off the paper — archived at 0.95, it
# was filed and found under the misreading only (QA93)
MALFORMED_SYMBOL = 0.55
MALFORMED_SYMBOL_NOTE = "its ký hiệu is none Decree 30 builds for the title's type"
LOST_SLASH = 0.55
LOST_SLASH_NOTE = "'/' lost by OCR, put back between the serial and the symbol"
# a number or a date whose digits Tesseract doubted (written by hand, most often): below the review threshold
HANDWRITTEN = 0.5
HANDWRITTEN_NOTE = "digits OCR doubted, handwritten perhaps"


def _doubt_handwritten_digits(
    fields: dict[str, Field_], page: PageWords, number: NumberMatch | None, issued: date | None
) -> None:
    """The number and the header's date made doubtful (``HANDWRITTEN``) where Tesseract doubted their digits
    (``classify.handwriting``): written by hand into the form's blanks, and perhaps misread."""
    doubts = (
        ("number", doubted_serial(page, number.number) if number is not None else None),
        ("issued_on", doubted_date(page, issued) if issued is not None else None),
    )
    for key, doubt in doubts:
        if doubt is not None and key in fields:
            fields[key].confidence = min(fields[key].confidence, HANDWRITTEN)
            fields[key].evidence += f"; {HANDWRITTEN_NOTE}: {doubt.said()}"


def classify_text(text: str, *, model: object | None = "default", layout: Sequence[PageWords] = ()) -> Classification:
    """Classify a document from its text (Tesseract reading order or a text layer).

    ``model``: a ``classify.model.TypeModel`` consulted when the rules are unsure, ``"default"`` for the
    configured/shipped one, ``None`` for rules only. ``layout``: word boxes of some pages (``OcrResult.layout``);
    those pages' header and closing are then read column by column (``classify.layout``)."""
    by_position = bool(layout) and any(page.words for page in layout)
    if by_position:
        text = text_with_layout(text, layout)
    # the rules match on one spelling (modern tone placement, '-' for every dash); the values they read are given
    # back as the document prints them (``as_printed``): a name must match the register and the ID card
    printed = printed_text(text)
    normalized = matching_text(printed)
    header_page = first_text_page(normalized)
    lines = _clean_lines(normalized.split("\f")[header_page])
    all_lines = _clean_lines(normalized.replace("\f", "\n"))
    # where the header page's lines start in ``all_lines`` (the blank pages before it have lines too)
    offset = len(("\n".join(normalized.split("\f")[:header_page]) + "\n").splitlines()) if header_page else 0
    as_printed = PrintedSpelling(_clean_lines(printed.replace("\f", "\n")), all_lines)
    fields: dict[str, Field_] = {}

    number = find_number(lines)
    header_end = number.line_index if number else min(len(lines), 8)
    if number:
        # a 'số:' in another case than Decree 30's is read, a little less sure (still above the review threshold)
        number_confidence, case_note = (0.95, "") if number.standard_case else (OTHER_CASE, f" ({OTHER_CASE_NOTE})")
        if number.slash_restored:
            number_confidence, case_note = LOST_SLASH, f"{case_note}; {LOST_SLASH_NOTE}"
        fields["number"] = Field_(
            value=number.number, confidence=number_confidence, evidence=f"'Số:' line {header_end + 1}{case_note}"
        )
        fields["symbol"] = Field_(
            value=number.symbol,
            confidence=number_confidence,
            evidence=f"after '/' in the 'Số:' line {header_end + 1}{case_note}",
        )

    dated = find_date(lines, number)
    if dated:
        issued, place, date_line, date_rule, in_header = dated
        fields["issued_on"] = Field_(
            value=issued.isoformat(),
            confidence=(0.95 if "digits" in date_rule else 0.8 if date_rule == SHORT_DATE_RULE else 0.85)
            if in_header
            else 0.5,
            evidence=f"{date_rule} on line {date_line + 1}" + ("" if in_header else f"; {DATE_IN_TEXT_NOTE}"),
        )
        if issued > date.today() + timedelta(days=1):
            # a paper being scanned was issued before today: "năm 2095" is an OCR or typing slip for an officer
            fields["issued_on"].confidence = 0.5
            fields["issued_on"].evidence += "; in the future, so doubtful"
        if place:
            fields["place"] = Field_(value=place, confidence=0.8, evidence="words before ', ngày'")
        if in_header:  # a date in the text marks no end of the header, nor where the title starts
            header_end = min(header_end, date_line) if number else date_line

    header_words = next((page for page in layout if page.number == header_page + 1), None)
    if header_words is not None:
        _doubt_handwritten_digits(fields, header_words, number, dated[0] if dated and dated[4] else None)

    title_start = max(number.line_index if number else 0, dated[2] if dated and dated[4] else 0)
    # a type name in another case as the first line under the header ("Quyết định"), else the title in capitals
    # (not the other way round: "QUYẾT ĐỊNH:" above a decision's articles would win over its title "Quyết định")
    title = type_from_title(lines, title_start, any_case=True)
    if title is None:
        title = type_from_title(lines, title_start)
    if title is None and title_start > 0:
        title = type_from_title(lines, 0)
    symbol_type = type_from_symbol(number)
    if number is not None and title is not None and symbol_type is None:
        number, fix = reconcile_type_code(number, title.doc_type)
        if fix:
            symbol_type = title.doc_type
            _record_symbol_fix(fields, number, fix)
    vv_index = find_vv_line(lines, number.line_index if number else 0)
    doc_type, type_confidence, type_evidence = _decide_type(title, symbol_type, vv_index, number)
    decided_by = "rules"

    # the very document an officer corrected (the office model remembers it verbatim): the officer's answer, however
    # sure the rules are of theirs
    recalled = _recall(normalized, model)
    recalled_type = by_code().get(recalled.label) if recalled is not None else None
    if recalled is not None and recalled_type is not None:
        doc_type, type_confidence, decided_by = recalled_type, 0.99, "correction"
        type_evidence = f"{REMEMBERED_NOTE}: {recalled.label}"
    elif type_confidence < MODEL_BELOW and model is not None:
        doc_type, type_confidence, type_evidence, decided_by = _ask_model(
            normalized, model, doc_type, type_confidence, type_evidence
        )
    fields["doc_type"] = Field_(
        value=doc_type.code if doc_type else "unknown", confidence=type_confidence, evidence=type_evidence
    )
    named = None
    if doc_type is not None:
        named = type_name(doc_type, number.number if number else None)
        fields["doc_type_name"] = Field_(
            value=named, confidence=type_confidence, evidence=f"name of type {doc_type.code}"
        )

    issuer, parent, issuer_standard_case = find_issuer(lines, header_end, anchored=bool(number or dated))
    if issuer and issuer_standard_case:
        fields["issuer"] = Field_(value=issuer, confidence=0.8, evidence="upper-case lines above 'Số:'")
    elif issuer:
        fields["issuer"] = Field_(
            value=issuer,
            confidence=0.7,
            evidence="lines at the top above 'Số:', not in capitals (given in capitals, as Decree 30 prints them)",
        )
    if number and issuer:
        number, fix = reconcile_symbol(number, [b for b in (issuer, parent) if b])
        if fix:
            _record_symbol_fix(fields, number, fix)
    if number and title is not None and _symbol_misread(number, title.doc_type, [b for b in (issuer, parent) if b]):
        for key in ("number", "symbol"):
            fields[key] = Field_(
                value=fields[key].value,
                confidence=min(MALFORMED_SYMBOL, fields[key].confidence),
                evidence=f"{fields[key].evidence}; {MALFORMED_SYMBOL_NOTE}",
            )
    if parent:
        fields["issuer_parent"] = Field_(value=parent, confidence=0.7, evidence="body line above the issuer")
    issuer_unit = admin_unit(issuer)
    unit = issuer_unit or admin_unit(parent)
    place_value = fields["place"].value if "place" in fields else None
    if (
        issuer_unit is not None
        and issuer
        and place_value
        and fold(issuer_unit[1]) == fold(place_value)
        and issuer_unit[1] != place_value
    ):
        # Tesseract keeps diacritics better in the italic place line than in the upper-case unit name
        issuer = issuer[: len(issuer) - len(issuer_unit[1])] + place_value.upper()
        fields["issuer"] = Field_(
            value=issuer,
            confidence=min(0.75, fields["issuer"].confidence),
            evidence=f"{fields['issuer'].evidence}; unit name's diacritics from the place",
        )
        unit = (issuer_unit[0], place_value)
    if unit is not None:
        fields["admin_unit"] = Field_(
            value=f"{unit[0]} {unit[1]}", confidence=0.8, evidence="administrative unit at the end of the issuer"
        )
        if "place" not in fields:
            fields["place"] = Field_(
                value=unit[1], confidence=0.5, evidence="no place on the date line: the issuer's unit"
            )

    subject: str | None = None
    if doc_type is not None and doc_type.code == "CV" and vv_index is not None:
        subject = vv_subject(lines, vv_index)
        subject_evidence = f"'V/v' line {vv_index + 1}"
    elif title is not None:
        subject = find_subject(lines, title.line_index, any_case=not title.standard_case)
        subject_evidence = "lines under the title"
        if subject is None and doc_type is not None and doc_type.code == "GGT":
            # a giấy giới thiệu has no trích yếu under its title: what it is for is its "Về việc:" line (QA81)
            subject = about_line(lines, title.line_index)
            subject_evidence = "its 'Về việc:' line"
    if subject:
        fields["subject"] = Field_(value=subject, confidence=0.7, evidence=subject_evidence)

    # a later page that begins as a document does (a separator sheet left out of a stack) begins another document,
    # whose signing block and recipients are not this one's: the first document's signer was the second's (QA93)
    headings = later_headings(normalized)
    # a copy's own block under the copied document: its signer and recipients are the copy's, not the document's
    copied = find_copy_block(all_lines, offset + header_end) or find_certification(all_lines, offset + header_end)
    whole_lines = all_lines[: copied[0]] if copied else all_lines
    document_lines = whole_lines[: _heading_line(normalized, headings[0].page)] if headings else whole_lines
    copy_block = copied[1] if copied else find_electronic_copy(lines)  # a paper copy's block, or an e-copy's mark
    signer = find_signer_block(document_lines)
    if signer.title is None and signer.name is None and document_lines is not whole_lines:
        # none before the later heading: signed at the end of all (a list attached with its own heading, its
        # signer the document's, and its recipients with it), as before the heading was looked at (QA95)
        signer = find_signer_block(whole_lines)
        document_lines = whole_lines
    if signer.name:
        fields["signer_name"] = Field_(value=signer.name, confidence=0.7, evidence=signer.evidence)
    if signer.title:
        fields["signer_title"] = Field_(value=signer.title, confidence=0.7, evidence=signer.evidence)
    if signer.authority:
        fields["signing_authority"] = Field_(value=signer.authority, confidence=0.8, evidence=signer.evidence)

    recipients, recipients_evidence = find_recipients(document_lines)
    if recipients:
        fields["recipients"] = Field_(value="; ".join(recipients), confidence=0.7, evidence=recipients_evidence)

    civil = None
    registration_number: str | None = None  # the number of a hộ tịch record numbered by its register entry
    if doc_type is not None and doc_type.code.startswith("HT-"):
        civil = extract_civil_status(all_lines, number.line_index + offset if number else None)
        for key in ("registration_number", "book_number", "registration_place"):
            value = getattr(civil, key)
            if value:
                fields[key] = Field_(value=value, confidence=0.8, evidence=civil.evidence[key])
        if civil.registration_date:
            fields["registration_date"] = Field_(
                value=civil.registration_date.isoformat(), confidence=0.85, evidence=civil.evidence["registration_date"]
            )
        header_bottom = title.line_index if title is not None else (dated[2] + 1 if dated else 8)
        if (
            number is None
            and civil.registration_number
            and civil.registration_number_line is not None
            and civil.registration_number_line < header_bottom + offset
        ):
            # a bare 'Số: 112' in the header of a hộ tịch record is its entry number in the register: a Giấy khai
            # sinh's or Giấy chứng nhận kết hôn's number, an old Giấy chứng tử's 'Số: 63/2012' (VN_DOMAIN.md §3);
            # with no Decree 30 symbol, it is the number the record is filed and found by
            registration_number = civil.registration_number
            fields["number"] = Field_(
                value=registration_number,
                confidence=0.9,
                evidence=f"'Số:' line {civil.registration_number_line + 1} in the header, with no symbol: the entry "
                "number in the register (số đăng ký)",
            )
        if civil.persons:
            civil.persons = [(_fix_surname(n), role) for n, role in civil.persons]
            fields["persons"] = Field_(
                value="; ".join(n for n, _ in civil.persons), confidence=0.7, evidence=civil.evidence["persons"]
            )

    # the values as the document spells them: the rules matched on one spelling (modern tone placement, '-' for
    # every dash), and a name must match the register and the ID card ('Đinh Thị Hoà', 'NGUYỄN THỊ THUỶ HOÀ'), a
    # place keeps its own dash ('Phan Rang–Tháp Chàm'); the number and symbol are keys, written as Decree 30 does
    issuer, parent, subject = as_printed(issuer), as_printed(parent), as_printed(subject)
    signer = replace(signer, name=as_printed(signer.name, last=True), title=as_printed(signer.title, last=True))
    recipients = [as_printed(item) or item for item in recipients]
    if civil is not None:
        civil.registration_place = as_printed(civil.registration_place)
        civil.persons = [(as_printed(name) or name, role) for name, role in civil.persons]
        if "persons" in fields:
            fields["persons"].evidence = persons_evidence(civil.persons)
    given_back = {
        "issuer": issuer,
        "issuer_parent": parent,
        "subject": subject,
        "signer_name": signer.name,
        "signer_title": signer.title,
        "recipients": "; ".join(recipients),
        "registration_place": civil.registration_place if civil else None,
        "persons": "; ".join(name for name, _ in civil.persons) if civil else None,
        "place": as_printed(fields["place"].value) if "place" in fields else None,
        "admin_unit": as_printed(fields["admin_unit"].value) if "admin_unit" in fields else None,
    }
    for key, value in given_back.items():
        if key in fields and value:
            fields[key].value = value

    # overall confidence: the weakest of the three fields an officer files by, and the issuer when it is missing:
    # a record is filed under its issuing body too (OrganName), and Decree 30 puts one at the top of every
    # document it numbers, so one without it goes to review (the issuer's own confidence does not count: its
    # rule is less sure on its face — 0.8 — than right in practice)
    if recalled is not None and recalled_type is not None and recalled.remembered:
        issuer, subject = _take_over(fields, recalled.remembered, issuer, subject)
        taken = _taken_over(fields)
        if "number" in taken:
            number, registration_number = None, fields["number"].value
        if "issued_on" in taken and (issued_value := fields["issued_on"].value):
            dated = (date.fromisoformat(issued_value), dated[1] if dated else None, 0, "", True)
    missing = 0.4
    overall = min(
        type_confidence,
        fields["number"].confidence if "number" in fields else missing,
        fields["issued_on"].confidence if "issued_on" in fields else missing,
        missing if issuer is None else 1.0,
        # the trích yếu (Subject) is what a record is found and listed by; a type that has one without it (under a
        # stamp, lost to OCR) was archived unreviewed (QA81). Not asked of a document an officer corrected (its
        # type may be one whose subject the page's layout does not give)
        missing
        if subject is None and doc_type is not None and doc_type.code in SUBJECT_TYPES and recalled_type is None
        else 1.0,
    )
    if header_page:
        blank = "page 1" if header_page == 1 else f"pages 1-{header_page}"
        for key in HEADER_PAGE_FIELDS & fields.keys() - _taken_over(fields):
            fields[key].evidence += f"; header on page {header_page + 1} ({blank} blank), lines counted on that page"
    result = Classification(
        doc_type=doc_type.code if doc_type else "unknown",
        doc_type_name=named,
        number=number.number if number else registration_number,
        symbol=number.symbol if number else fields["symbol"].value if "symbol" in fields else None,
        issued_on=dated[0] if dated else None,
        place=fields["place"].value if "place" in fields else None,
        issuer=issuer,
        subject=subject,
        signer_name=signer.name,
        signer_title=signer.title,
        confidence=round(overall, 3),
        fields=fields,
        issuer_parent=parent,
        signing_authority=signer.authority,
        recipients=recipients,
        registration_number=civil.registration_number if civil else None,
        book_number=civil.book_number if civil else None,
        registration_date=civil.registration_date if civil else None,
        registration_place=civil.registration_place if civil else None,
        persons=[n for n, _ in civil.persons] if civil else [],
        decided_by=decided_by,
        later_headings=headings,
        copy_block=_as_printed_copy(copy_block, as_printed) if copy_block else None,
    )
    if by_position:
        result.columns = "word positions"
        for key in POSITIONAL_FIELDS & result.fields.keys() - _taken_over(result.fields):
            result.fields[key].evidence += "; columns told apart by word positions"
    from classify.metadata import archive_metadata

    result.archive_metadata = archive_metadata(result, normalized)
    return result


REMEMBERED_NOTE = "an officer's correction of this very document (remembered verbatim by the office model)"


def _recall(text: str, model: object | None) -> Prediction | None:
    """The office model's answer for a document an officer corrected, if this is one (``TypeModel.recall``). The
    shipped model remembers none, and is not loaded for it."""
    from classify.model import TypeModel, remembering_model

    chosen = remembering_model() if model == "default" else model
    return chosen.recall(text) if isinstance(chosen, TypeModel) else None


def _taken_over(fields: dict[str, Field_]) -> set[str]:
    return {key for key, field in fields.items() if field.evidence.startswith(REMEMBERED_NOTE)}


def _take_over(
    fields: dict[str, Field_], remembered: dict[str, str], issuer: str | None, subject: str | None
) -> tuple[str | None, str | None]:
    """The values an officer gave an identical document (number, date, issuer, subject) in place of the ones read;
    returns the issuer and subject."""
    for key, value in remembered.items():
        if key == "issued_on":
            try:
                date.fromisoformat(value)
            except ValueError:
                continue
        fields[key] = Field_(value=value, confidence=0.99, evidence=REMEMBERED_NOTE)
        if key == "number":
            symbol = value.rsplit("/", 1)[-1] if "/" in value else None
            if symbol:
                fields["symbol"] = Field_(value=symbol, confidence=0.99, evidence=REMEMBERED_NOTE)
            else:
                fields.pop("symbol", None)
        elif key == "issuer":
            issuer = value
        elif key == "subject":
            subject = value
    return issuer, subject


def _ask_model(
    text: str, model: object, doc_type: DocType | None, confidence: float, evidence: str
) -> tuple[DocType | None, float, str, str]:
    """Combine the rules' unsure answer with the trained model's (see classify/model.py)."""
    from classify.model import TypeModel, default_model

    chosen = default_model() if model == "default" else model
    if not isinstance(chosen, TypeModel):
        return doc_type, confidence, evidence, "rules"
    prediction = chosen.predict(text)
    predicted = by_code().get(prediction.label)
    if predicted is None:
        return doc_type, confidence, evidence, "rules"
    note = f"model {chosen.name} says {prediction.label} (p={prediction.probability:.2f})"
    if prediction.exact:
        return predicted, 0.99, f"{note}: identical to an officer-labelled example", "correction"
    if doc_type is None:
        if prediction.probability >= 0.4:
            # model alone: never above the default review threshold, so an officer looks at it
            return predicted, round(min(0.55, prediction.probability * 0.6), 3), f"rules found nothing; {note}", "model"
        return None, 0.0, f"{evidence}; {note}: too unsure", "rules"
    if predicted.code == doc_type.code:
        # a title/symbol disagreement stays below the review threshold even when the model sides with the title
        ceiling = confidence if confidence <= 0.5 else 0.92
        raised = round(min(ceiling, confidence + 0.15 * prediction.probability + 0.05), 3)
        return doc_type, raised, f"{evidence}; {note}: agrees", "rules+model"
    return doc_type, round(min(confidence, 0.45), 3), f"{evidence}; {note}: disagrees", "rules+model"


def _decide_type(
    title: TypeEvidence | None, symbol_type: DocType | None, vv_index: int | None, number: NumberMatch | None
) -> tuple[DocType | None, float, str]:
    if title is not None and not title.standard_case and vv_index is not None and symbol_type is None:
        title = None  # a công văn's 'V/v' line outweighs a type name in lower case (a công văn has no title)
    if title is not None and symbol_type is not None:
        if title.doc_type.code == symbol_type.code:
            return title.doc_type, 0.97 if title.standard_case else 0.93, f"{title.rule}; symbol code agrees"
        return title.doc_type, 0.5, f"{title.rule}; symbol says {symbol_type.code}: disagreement"
    if title is not None:
        # a title not in capitals alone is below MODEL_BELOW: the type model is asked
        return title.doc_type, 0.85 if title.standard_case else 0.75, title.rule
    if vv_index is not None:
        letter = by_code()["CV"]
        if number is not None and symbol_type is None:
            return letter, 0.9, f"'V/v' line {vv_index + 1} and a symbol without type code"
        return letter, 0.7, f"'V/v' line {vv_index + 1}"
    if symbol_type is not None:
        return symbol_type, 0.8, f"type code in symbol '{number.symbol if number else ''}'"
    return None, 0.0, "no title block, no type code in the number, no 'V/v' line"
