"""Vietnamese text keys: one spelling for comparing and searching what can be written several ways
(VN_DOMAIN.md §4.3). They build keys only; stored text (the record, the archive) keeps what was read.

- ``Đ``/``đ`` look-alikes: the Icelandic eth ``Ð``/``ð`` and the African ``Ɖ``/``ɖ`` (OCR, and PDFs built with
  some fonts) are ``Đ``/``đ``;
- tone placement: old style ``hoà``, ``uỷ`` and modern ``hòa``, ``ủy`` are the same word; keys use the modern
  place (Decree 30 itself writes both: "CỘNG HÒA" in its rules, "CỘNG HOÀ" in its sample tables);
- ``fold``: no diacritics at all and ``đ``→``d``, for matching text typed without them.

And the time officers read: Vietnam time (``+07:00``), as Decree 30 writes signing times — the receipts, the
quarantine's reason files and the signature stamps say it so, whatever time zone the server runs in; and days as
officers write and read them, day first (``14/08/2025``, ``vn_date``; ``parse_day`` takes that, ``ngày 14 tháng 8
năm 2025`` and ISO alike). JSON and machine formats keep ISO (``2025-08-14``).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")


def iso_vn(when: datetime | None = None) -> str:
    """``2025-04-08T09:15:32+07:00``: ``when`` (default now) in Vietnam time, ISO 8601, to the second."""
    return (when or datetime.now(UTC)).astimezone(VN_TZ).isoformat(timespec="seconds")


def day_vn(when: datetime) -> date:
    """The day in Vietnam at ``when`` (a time without zone is taken as UTC, as sohoa stores them): 2026-12-01T18:30Z
    is 02/12/2026 there."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(VN_TZ).date()


def vn_time(when: datetime, *, seconds: bool = False) -> str:
    """``when`` as officers write a time: ``02/12/2026 22:53`` (``seconds``: ``22:53:07``), in Vietnam (a time
    without zone is taken as UTC, as sohoa stores them)."""
    local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(VN_TZ)
    return f"{vn_date(local.date())} {local:%H:%M:%S}" if seconds else f"{vn_date(local.date())} {local:%H:%M}"


def today_vn() -> date:
    """Today in Vietnam (a server on UTC is still on yesterday until 07:00 there)."""
    return datetime.now(VN_TZ).date()


def vn_date(day: date | str | None) -> str:
    """``14/08/2025``: a day as officers write it (day first, Decree 30's metadata form), from a date or an ISO
    ``2025-08-14``; '' for none. For what people read: JSON keeps ISO."""
    if not day:
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return day.strftime("%d/%m/%Y")


def size_said(size: int) -> str:
    """``521 991 byte``: a file's size for both languages, its thousands apart by a no-break space (SI's way, never
    cut at a line's end: QA82): a comma is Vietnamese's decimal mark and a point English's, so `get` said `521,991
    bytes` and `verify` `435075 byte` (QA80)."""
    return f"{size:,}\u00a0byte".replace(",", "\u00a0")


_DMY = re.compile(r"(?:ngay\s+)?(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})")
_YMD = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})")
_SPELLED = re.compile(r"(?:ngay\s+)?(\d{1,2})\s*,?\s+thang\s+(\d{1,2})\s*,?\s+nam\s+(\d{4})")


def full_year(year: str) -> int:
    """The year ``year`` writes: a two-digit one (``3/5/25``) is this century's, unless that is more than a year
    ahead (``02/11/41`` is 1941) — as a search query, ``search --from/--to`` and ``review set --date`` all read it."""
    if len(year) == 2:
        return 2000 + int(year) if 2000 + int(year) <= today_vn().year + 1 else 1900 + int(year)
    return int(year)


def parse_day(text: str) -> date | None:
    """The day ``text`` is as an officer writes one: ``03/05/2025`` or ``3/5/2025`` (day first; ``-`` or ``.``
    alike; ``3/5/25`` too, ``full_year``), ``ngày 3 tháng 5 năm 2025`` (with or without diacritics, leading zeros,
    ``ngày``) or ``2025-05-03``; None for anything else, or a day no calendar has (31/02/2025). Every command that
    takes a day reads it so (``search --from/--to``, ``review set --date``, a search query's day: until QA93 F7 a
    two-digit year was taken by the query only); ``2025/05/03`` too."""
    written = _written_day(text)
    if written is None:
        return None
    try:
        return date(*written)
    except ValueError:
        return None


def _written_day(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) as ``text`` writes a day in one of ``parse_day``'s forms, whether or not there is one."""
    folded = " ".join(fold(text).split())
    if match := _DMY.fullmatch(folded):
        day, month, year = match.group(1), match.group(3), match.group(4)
    elif match := _SPELLED.fullmatch(folded):
        day, month, year = match.groups()
    elif match := _YMD.fullmatch(folded):
        year, month, day = match.group(1), match.group(3), match.group(4)
    else:
        return None
    return full_year(year), int(month), int(day)


def no_such_day(text: str) -> tuple[str, str] | None:
    """Why ``text``, written as a day (``31/11/2025``, ``2025-13-01``) or a month (``13/2025``), is none —
    (Vietnamese, English): ``tháng 11/2025 chỉ có 30 ngày`` / ``11/2025 has 30 days`` —; None when it is one, or not
    written as one."""
    written = _written_day(text)
    if written is None:  # a month no calendar has (13/2025) is no day either
        folded = " ".join(fold(text).split())
        months = [int(m.group(1)) for form in _MONTH_FORMS if (m := form.fullmatch(folded))]
        if (m := _MONTH_ISO.fullmatch(folded)) is not None:
            months.append(int(m.group(2)))
        return next(((f"không có tháng {n}", f"there is no month {n}") for n in months if not 1 <= n <= 12), None)
    if parse_day(text) is not None:
        return None
    year, month, day = written
    if not 1 <= month <= 12:
        return f"không có tháng {month}", f"there is no month {month}"
    if not 1 <= year <= 9999:
        return f"không có năm {year}", f"there is no year {year}"
    days = calendar.monthrange(year, month)[1]
    return f"tháng {month:02d}/{year} chỉ có {days} ngày", f"{month:02d}/{year} has {days} days"


_MONTH_FORMS = (
    re.compile(r"(?:thang\s+)?(\d{1,2})\s*[/.-]\s*(\d{4})"),  # 11/2025, tháng 11/2025, 11-2025
    re.compile(r"(?:thang\s+)?(\d{1,2})\s*,?\s+nam\s+(\d{4})"),  # tháng 11 năm 2025
)
_MONTH_ISO = re.compile(r"(\d{4})-(\d{1,2})")  # 2025-11
_YEAR = re.compile(r"(?:nam\s+)?(\d{4})")  # 2025, năm 2025


def parse_period(text: str) -> tuple[date, date] | None:
    """The first and last day of what ``text`` names as officers write it: a day (``parse_day``: itself), a month
    (``11/2025``, ``tháng 11/2025``, ``tháng 11 năm 2025``, ``2025-11``) or a year (``2025``, ``năm 2025``); None for
    anything else (a month 13)."""
    day = parse_day(text)
    if day is not None:
        return day, day
    folded = " ".join(fold(text).split())
    month = year = None
    for form in _MONTH_FORMS:
        if match := form.fullmatch(folded):
            month, year = int(match.group(1)), int(match.group(2))
    if match := _MONTH_ISO.fullmatch(folded):
        year, month = int(match.group(1)), int(match.group(2))
    if month is not None and year is not None:
        if not 1 <= month <= 12 or year < 1:
            return None
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if (match := _YEAR.fullmatch(folded)) and int(match.group(1)) >= 1:
        return date(int(match.group(1)), 1, 1), date(int(match.group(1)), 12, 31)
    return None


D_LOOKALIKES = {"Ð": "Đ", "ð": "đ", "Ɖ": "Đ", "ɖ": "đ"}
_D_TABLE = str.maketrans(D_LOOKALIKES)

# Open syllables only: "hoà" → "hòa", but "hoàn" keeps its tone on the "a". "qu" + vowel is left alone
# ("quý" is already modern).
_TONED = "àáảãạèéẻẽẹỳýỷỹỵ"
_TONE_MARKS = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
_OLD_STYLE_RE = re.compile(r"(?<![qQ])([oOuU])([" + _TONED + _TONED.upper() + r"])(?!\w)")


def _move_tone(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    if first in "uU" and second.lower() not in "ỳýỷỹỵ":
        return match.group(0)
    if first in "oO" and second.lower() not in "àáảãạèéẻẽẹ":
        return match.group(0)
    parts = unicodedata.normalize("NFD", second)
    base = "".join(ch for ch in parts if ch not in _TONE_MARKS)
    tone = "".join(ch for ch in parts if ch in _TONE_MARKS)
    return unicodedata.normalize("NFC", first + tone) + unicodedata.normalize("NFC", base)


def canonical_tones(text: str) -> str:
    """Move old-style tone marks to the modern place: hoà→hòa, HOÀ→HÒA, uỷ→ủy, thuỷ→thủy."""
    return _OLD_STYLE_RE.sub(_move_tone, unicodedata.normalize("NFC", text))


def spelling_key(text: str) -> str:
    """NFC, ``Đ`` look-alikes mapped, modern tone placement: diacritics kept, one spelling per word."""
    return canonical_tones(unicodedata.normalize("NFC", text).translate(_D_TABLE))


def fold(text: str) -> str:
    """Lower case, no diacritics, đ→d (its look-alikes too): 'Quyết Định' → 'quyet dinh'. For tolerant
    comparison and search only, never for stored values."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_TABLE).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Common Vietnamese family names as printed: where a name begins (classify's signers, the OCR fixes that leave names
# alone), and how a family name OCR took a mark from is spelled back
FAMILY_NAMES: tuple[str, ...] = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
    "Lý", "Lương", "Hà", "Lò", "Vi", "Nông", "Đinh", "Tạ", "Trịnh", "Mai", "Đào", "Cao", "Lâm", "Chu", "Triệu",
    "Quách", "Tô", "Thái", "Lại", "Kiều", "Giang", "Tống", "La", "Lưu", "Sầm", "Hứa", "Đoàn", "Khuất", "Quan", "Mạc",
    "Thạch",
)  # fmt: skip
# Rarer family names ("Trương", "Phùng", "Doãn"…): where a name begins for the OCR's fixes, which leave names alone,
# not (yet) where classify splits one line into two signers' names. Not those that begin headings as words (Tăng
# cường, Quản lý, Tiêu chuẩn, Đồng thời, Từ ngày, Kim loại, Mã số…: QA141 F3)
MORE_FAMILY_NAMES: tuple[str, ...] = (
    "Trương", "Phùng", "Vương", "Doãn", "Nghiêm", "Khổng", "Lã", "Diệp", "Đàm", "Cù", "Hàn", "Lữ",
    # ... and those of the northern communes' peoples, whose civil-status registers these are (QA171 N9: "Giàng Thế
    # Hiện", "Kha Thế Hiện", "Lục Thế Hiện" were made "Thể Hiện"): Hmông, Thái, Tày and Nùng, Dao. A heading's word
    # among them ("CẦM CỐ", "HẦU HẾT", "THÂN NHÂN", "MÙA VỤ") makes a word with the next, and begins no name
    "Giàng", "Thào", "Vàng", "Sùng", "Hầu", "Lầu", "Mùa", "Lường", "Cầm", "Tòng", "Điêu", "Quàng", "Lèo", "Bế",
    "Lục", "Ninh", "Kha", "Thân", "Bàn", "Chảo",
)  # fmt: skip


# Vietnamese alphabetical order: the letters with a breve, a circumflex or a horn, and đ, are letters of their own
# after their base (a ă â b c d đ e ê …), and the tones order words alike otherwise: none, huyền, hỏi, ngã, sắc,
# nặng (as Vietnamese dictionaries list them)
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def collation_key(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], str, str]:
    """A sort key putting names in Vietnamese order ("Ân", "Dơn", "ĐƠN", "Em", "Hòa", "Zeta"), where code points put
    "Ân" and "Đ…" after "Z" (QA80): letters first (tones, then case, decide only between names alike otherwise), a
    run of digits as its number ("2.pdf" before "10.pdf", QA85), anything else — punctuation — by its code point,
    before them; names alike in all that (an NFC and an NFD spelling) by their code points."""
    letters: list[tuple[int, int]] = []
    tones: list[int] = []
    for run in re.findall(r"\d+|\D", unicodedata.normalize("NFC", spelling_key(text)).lower()):
        if run.isdecimal():  # (not "²", a digit that is no decimal one: int() refuses it)
            letters.append((1, int(run)))
            tones.append(0)
            continue
        parts = unicodedata.normalize("NFD", run)
        tone = next((_TONE_RANK[mark] for mark in parts if mark in _TONE_RANK), 0)
        letter = unicodedata.normalize("NFC", "".join(mark for mark in parts if mark not in _TONE_RANK))
        rank = _LETTER_RANK.get(letter)
        letters.append((2, rank) if rank is not None else (0, ord(letter[:1] or " ")))
        tones.append(tone)
    return tuple(letters), tuple(tones), unicodedata.normalize("NFC", text), text
