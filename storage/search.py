"""The search index: SQLite FTS5 over OCR text and metadata, with and without Vietnamese diacritics.

Two FTS5 tables hold the same documents: ``exact`` (the text with its diacritics, case-folded by the unicode61
tokenizer, in one spelling: ``sohoa.vietnamese.spelling_key`` — old and modern tone placement ``hoà``/``hòa``
alike, ``Ð`` read for ``Đ`` as ``Đ``) and ``folded`` (diacritics removed and đ→d by ``fold``). A query, keyed
the same way, is run against both; records that match with the diacritics as typed rank first, then the ones
found only without them. So ``quyết định`` and ``quyet dinh`` both find a decision, ``quyết định`` ranks it
above a text that only matches ``quyet dinh`` (e.g. ``quyệt đinh``), and ``Cộng hòa`` finds ``CỘNG HOÀ`` as
typed. Words typed together (or in double quotes) are a phrase: found adjacent and in order first, scattered
after (quoted: only adjacent); a number or a day typed in full, alone or in other words (a citation: ``Thông báo
số 08/TB-UBND ngày 05/9/2025``), "số 15" and a type code (``HT-TLKT``) are compared with the record's own number,
issue date and type first, then found as a phrase (``7`` and ``07`` alike, a day in any of its forms); UBND, HĐND
and V/v are the words they stand for; a last word typed only in part is found as the start of one, last of all
(see ``_plan``). The persons a hộ tịch record names are kept apart in its signer column (``_PERSON``). The index is
derived data: ``rebuild_index`` remakes it from the archive into a new file put in place at once (an index built
before the spelling key finds old-style text only without diacritics until then); an older schema is migrated in
place when opened (``SCHEMA_VERSION``). Whether an index covers the whole archive is kept in it
(``SearchIndex.complete``): one made anew while the archive already held records does not.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sohoa.fsutil import printable
from sohoa.record import Record
from sohoa.vietnamese import fold, full_year, spelling_key, vn_date

_COLUMNS = ("number", "doc_type_name", "issuer", "subject", "signer", "source", "body")
# bm25 weights (record_id first): a match in the number, the signer and persons, the issuer or the subject outweighs
# one in the body, and the file name and type name count a little more than the body
_WEIGHTS = ", ".join(map(str, (0.0, 10.0, 2.0, 5.0, 5.0, 10.0, 2.0, 1.0)))
# a match in these ranks above one elsewhere (the body, the file name, the type's name)
_FIELDS = ("number", "issuer", "subject", "signer")
# where the words typed with a number or a day are looked for first: the record's fields and its type's name
_RECORD_FIELDS = ("number", "doc_type_name", "issuer", "subject", "signer")
# where a hit's snippet is looked for, in this order: the text, then the fields, the file name last
_SNIPPET_COLUMNS = ("body", "signer", "subject", "issuer", "number", "doc_type_name", "source")
_TOKEN = re.compile(r"[^\W_]+")  # a token as FTS5's unicode61 reads one: letters and digits
# 1: records.number_key; 2: records.source_label (an index without them is migrated when opened; the labels of
# records indexed before 2 stay empty until `sohoa index rebuild`)
SCHEMA_VERSION = 3
_MAX_SPELLINGS = 32  # the most spellings ("7", "07") of one phrase a query tries

# A phrase is a run of adjacent tokens, each position the spellings it accepts ({"7", "07"}); a group matches when
# any of its phrases does; a query, when every one of its groups does.
Phrase = tuple[frozenset[str], ...]
Group = tuple[Phrase, ...]
Key = Callable[[str], str]

# a document number typed in full, anywhere in a query: digits, "/", a symbol with a letter in it ("15/QĐ-UBND",
# "07/2021/NĐ-CP"); the "Số:" before it is a word of its own
_NUMBER = re.compile(r"(?<![\w/.-])\d+[^\W\d_]*\s*/\s*[\w./-]*[^\W\d_][\w./-]*")
# "số 15": how officers ask for document number 15 (the number before its "/", any symbol after it)
_NUMBER_PART = re.compile(r"(?<![\w/.-])(s[ốo])\s*:?\s*(\d+)(?!\w|\s*/|-\w)", re.IGNORECASE)
# a day, anywhere in a query (``parse_day``'s forms, "ngày" a word of its own; a full stop after it ends the
# sentence): 3/5/2025, 03.05.2025, 19/11/25, 3 tháng 5 năm 2025, 2025-05-03, 2025/05/03
_DAY_DMY = re.compile(r"(?<![\w/.-])(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?![\w/-]|\.\d)")
_DAY_SPELLED = re.compile(r"(?<![\w/.-])(\d{1,2})\s*,?\s+th[aá]ng\s+(\d{1,2})\s*,?\s+n[aă]m\s+(\d{4})(?!\w)", re.I)
_DAY_YMD = re.compile(r"(?<![\w/.-])(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?![\w/-]|\.\d)")
# words a citation writes around a number or a day ("Thông báo số 08/TB-UBND ngày 05/9/2025"), never required of
# the record a number or day finds (lower case, in the index's spelling; "so" typed without diacritics is "số")
_FILLERS = frozenset({"số", "so", "ngày", "ngay"})
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"'})
# the abbreviations of a commune's documents as written (typed in any case, Đ or D) and the words they stand for:
# a query with either finds both (UBND xã Bình An, Ủy ban nhân dân xã Bình An)
_ABBREVIATIONS = (("ubnd", "ủy ban nhân dân"), ("hđnd", "hội đồng nhân dân"), ("v/v", "về việc"))
_MAX_PHRASES = 16  # the most ways (a day's forms) one query's words are tried together
# before each person a hộ tịch record names, in its signer column: a token for FTS5's unicode61 (a private-use
# character, category Co) that no query has (``_TOKEN`` never reads one)
_PERSON = "\ue000"
# the scratch name a stack's document is archived under (``A.pdf#2.pdf``), at the start of its source column
_SCRATCH = re.compile(r".*?#\d+\.pdf(?=\s|$)")


def number_key(number: str | None, *, diacritics: bool = False) -> str | None:
    """A document number as compared: any case, no spaces, no leading zeros (``07 /QĐ-UBND`` is ``7/qđ-ubnd``),
    and, unless ``diacritics``, Đ as D."""
    if not number:
        return None
    key = spelling_key(number).lower() if diacritics else fold(number)
    return re.sub(r"\d+", lambda m: m.group().lstrip("0") or "0", "".join(key.split()))


def _spellings(token: str) -> frozenset[str]:
    """A token and, when it is a number, its spellings with and without a leading zero: ``3`` is also ``03``
    (``ngày 3 tháng 5``, ``Số: 07``), ``07`` also ``7``."""
    if not (token.isascii() and token.isdigit()):
        return frozenset((token,))
    bare = token.lstrip("0") or "0"
    return frozenset((token, bare, bare.zfill(2)))


def _phrase(tokens: Iterable[str]) -> Phrase:
    return tuple(_spellings(token) for token in tokens)


@dataclass(frozen=True)
class _Query:
    """What a query asks for: its text, in order, each part the phrases it may be written as (a day: 3/5/2025, 3
    tháng 5 năm 2025, …); and what is compared with a record's own fields — the numbers typed in full, the days —
    with the other words, the fillers around them ("số", "ngày") left out."""

    segments: tuple[Group, ...] = ()
    numbers: tuple[str, ...] = ()  # as typed
    parts: tuple[str, ...] = ()  # "số 15": the number before a record's "/", as typed
    days: tuple[date, ...] = ()
    types: tuple[str, ...] = ()  # type codes typed (HT-TLKT)
    unfinished: bool = False  # the last thing typed is a word, perhaps only its start (``quyế``, ``Nguy``)
    words: tuple[Group, ...] = ()  # the other words, each a group (what a number's or day's record may also have)
    marks: tuple[Group, ...] = ()  # the numbers and days, as a snippet marks them


@dataclass(frozen=True)
class _Item:
    """A part of a query: a ``word`` typed between spaces, a ``quoted`` phrase, a ``number`` typed in full, a number
    asked for by its ``part`` before the "/" ("số 15"), a ``day``, a ``type`` code."""

    kind: str
    tokens: tuple[str, ...] = ()  # a word's, a phrase's, a number's ("số", "15" for a part)
    day: date | None = None
    text: str = ""  # a number as typed, a part's digits, a word as typed
    also: tuple[str, ...] = ()  # another way to write the same words (UBND: ủy ban nhân dân)

    @property
    def filler(self) -> bool:
        return self.kind == "word" and len(self.tokens) == 1 and self.tokens[0].lower() in _FILLERS


def _words(text: str) -> list[_Item]:
    """Unquoted query text between spaces, each piece a word (``15/QĐ-UBND`` is three tokens in a row)."""
    return [_Item("word", tuple(tokens), text=piece) for piece in text.split() if (tokens := _TOKEN.findall(piece))]


def _abbreviated(items: list[_Item]) -> list[_Item]:
    """``items`` with each abbreviation officers write (``_ABBREVIATIONS``: UBND, HĐND, V/v), and each of the words
    it stands for typed one after another, as one part that is either."""
    out: list[_Item] = []
    index = 0
    while index < len(items):
        item = items[index]
        for short, words in _ABBREVIATIONS:
            if item.kind == "word" and fold(item.text.rstrip(":.,;")) == fold(short):
                out.append(replace(item, also=tuple(words.split())))
                index += 1
                break
            run = items[index : index + len(words.split())]
            if [fold(" ".join(i.tokens)) if i.kind == "word" else None for i in run] == fold(words).split():
                out.append(_Item("word", tuple(t for i in run for t in i.tokens), also=tuple(_TOKEN.findall(short))))
                index += len(run)
                break
        else:
            out.append(item)
            index += 1
    return out


def _found_day(kind: str, match: re.Match[str]) -> date | None:
    if kind == "ymd":
        year, month, day = match.group(1), match.group(3), match.group(4)
    elif kind == "dmy":
        day, month, year = match.group(1), match.group(3), match.group(4)
    else:
        day, month, year = match.groups()
    try:
        return date(full_year(year), int(month), int(day))  # 19/11/25: this century's, as --from reads it
    except ValueError:  # 31/11/2025: no day, its digits are words
        return None


def _scan(text: str) -> list[_Item]:
    """Unquoted query text as its parts, in order: each number typed in full or asked for as "số 15", each day, the
    words between them."""
    finders = (
        ("spelled", _DAY_SPELLED),
        ("dmy", _DAY_DMY),
        ("ymd", _DAY_YMD),
        ("number", _NUMBER),
        ("part", _NUMBER_PART),
    )
    items: list[_Item] = []
    pos = 0
    while True:
        found = [(m.start(), rank, kind, m) for rank, (kind, rx) in enumerate(finders) if (m := rx.search(text, pos))]
        if not found:
            break
        start, _, kind, match = min(found, key=lambda f: (f[0], f[1]))
        items += _words(text[pos:start])
        if kind == "number":
            number = match.group().rstrip("./-")
            items.append(_Item("number", tuple(_TOKEN.findall(number)), text=number))
        elif kind == "part":
            items.append(_Item("part", (match.group(1), match.group(2)), text=match.group(2)))
        elif (day := _found_day(kind, match)) is not None:
            items.append(_Item("day", day=day))
        else:
            items += _words(match.group())
        pos = match.end()
    return items + _words(text[pos:])


def _parse(query: str, codes: Collection[str] = ()) -> _Query:
    """``query`` as ``_Query``: NFC, in the index's spelling; a part in double quotes is a phrase as typed (no number
    or day is looked for in it), the rest split at spaces, numbers typed in full and days found wherever they are."""
    parts = spelling_key(query).translate(_QUOTES).split('"')
    items: list[_Item] = []
    for index, part in enumerate(parts):
        if index % 2 == 1 and index < len(parts) - 1:  # quoted (a quote never closed quotes nothing)
            if tokens := _TOKEN.findall(part):
                items.append(_Item("quoted", tuple(tokens)))
        else:
            items += _scan(part)
    items = _abbreviated(items)
    for index, item in enumerate(items):
        if item.kind == "word" and not item.also and (code := _type_named(item.text, codes)) is not None:
            items[index] = _Item("type", item.tokens, text=code)
    others = [item for item in items if not item.filler]
    if len(others) == 1 and others[0].kind in ("number", "day"):  # a part keeps its "số"
        items = others  # "Số: 15/QĐ-UBND", "ngày 3 tháng 5 năm 2025": the number, the day, alone
    q = _Query()
    for item in items:
        if item.day is not None:
            group = _date_forms(item.day)
            q = replace(q, days=(*q.days, item.day), marks=(*q.marks, group))
        elif item.kind == "number":
            group = (_phrase(item.tokens),)
            q = replace(q, numbers=(*q.numbers, item.text), marks=(*q.marks, group))
        elif item.kind == "part":
            group = (_phrase(item.tokens),)
            q = replace(q, parts=(*q.parts, item.text), marks=(*q.marks, group))
        elif item.kind == "type":  # a record's type, not a word of its text
            q = replace(q, types=(*q.types, item.text))
            continue
        else:
            group = (_phrase(item.tokens),) + ((_phrase(item.also),) if item.also else ())
            if not item.filler:
                q = replace(q, words=(*q.words, group))
        q = replace(q, segments=(*q.segments, group))
    last = items[-1] if items else None
    if last is not None and last.kind == "word" and not last.also and not query[-1:].isspace():
        # one letter alone would be the start of too many words; after others ("Nguyễn Văn Á") it is not
        begun = len(last.tokens[-1]) >= 2 or len(q.segments) > 1 or len(last.tokens) > 1
        q = replace(q, unfinished=last.text[-1:].isalpha() and begun)
    return q


def _date_forms(day: date) -> Group:
    """``day`` as a text writes it: 3/5/2025, 03-05-2025, (ngày) 3 tháng 5 năm 2025 (with or without the
    diacritics, which a date needs none of), 2025-05-03; leading zeros or not."""
    d, m, y = _spellings(str(day.day)), _spellings(str(day.month)), frozenset((str(day.year),))
    month, year = frozenset(("tháng", "thang")), frozenset(("năm", "nam"))
    return ((d, m, y), (d, month, m, year, y), (y, m, d))


def _together(segments: tuple[Group, ...]) -> Group:
    """The phrases of a query's parts typed one after another: each way of writing each part, in order (a day's
    forms), at most ``_MAX_PHRASES``."""
    combos = itertools.islice(itertools.product(*segments), _MAX_PHRASES)
    return tuple(tuple(itertools.chain.from_iterable(combo)) for combo in combos)


def _keyed(groups: tuple[Group, ...], key: Key) -> tuple[Group, ...]:
    return tuple(tuple(tuple(frozenset(map(key, spellings)) for spellings in phrase) for phrase in g) for g in groups)


def _match_expr(groups: tuple[Group, ...], *, prefix: bool = False) -> str:
    """FTS5 query: every group (AND), each any of its phrases' spellings (OR), each a phrase (adjacent, in order);
    ``prefix``: the last token of each phrase the start of a word (``"quyế" *``)."""

    def spelled(phrase: Phrase) -> list[str]:
        # shortest first, the same order in every run (a set of strings is ordered by its hash seed)
        ordered = (sorted(s, key=lambda spelling: (len(spelling), spelling)) for s in phrase)
        combos = itertools.islice(itertools.product(*ordered), _MAX_SPELLINGS)
        return ['"' + " ".join(combo) + ('" *' if prefix else '"') for combo in combos]

    return " AND ".join("(" + " OR ".join(s for phrase in g for s in spelled(phrase)) + ")" for g in groups)


def _exact_key(token: str) -> str:
    return token.lower()


def _written_key(token: str) -> str:
    """A token of a field as written, keyed as the ``exact`` table holds it (its tones in one place)."""
    return spelling_key(token).lower()


@dataclass(frozen=True)
class _Pass:
    """One search of a query's: a text pass (``phrase``, ``words``) finds ``groups`` in the text and fields; a record
    pass (``number``, ``number_date``, ``date``) the records whose own number or day of issue is one typed."""

    match: str  # number | number_date | date | type | phrase | words | prefix
    folded: bool = False  # text: the diacritic-free table
    groups: tuple[Group, ...] = ()  # text: what to find; both: what the snippet marks, as typed
    exact: bool | None = None  # the hits' `exact`; None: as typed when not folded
    numbers: tuple[str, ...] = ()  # record: one of these numbers (as typed) …
    parts: tuple[str, ...] = ()  # … or of these before its "/" ("số 15") …
    days: tuple[str, ...] = ()  # … issued one of these days (ISO) …
    types: tuple[str, ...] = ()  # … of one of these types …
    require: tuple[Group, ...] = ()  # … with these words too, without diacritics: in its fields, or anywhere
    require_fields: bool = False
    prefix: bool = False  # text: the last word typed may be the start of one (``quyế``)

    @property
    def on_records(self) -> bool:
        return self.match in ("number", "number_date", "date", "type")


@dataclass
class Hit:
    record_id: str
    sha256: str
    doc_type: str | None
    number: str | None
    issued_on: str | None
    subject: str | None
    prefix: str | None
    exact: bool
    snippet: str
    # how it was found: "number" (the number field), "number_date" (the number field and the day of issue), "date"
    # (issued that day), "type" (of the type code typed), "phrase" (the words adjacent, as typed), "words" (each
    # somewhere), "prefix" (the words adjacent, the last one only begun: "quyế"); where the snippet is from
    # ("body", "signer", "persons": a person a hộ tịch record names, …, "source": the file name)
    match: str = "words"
    found_in: str | None = "body"
    # the scan it came from as the officer knows it (``SourceFile.label``: a stack's document with its pages);
    # None for a record indexed before the index kept it (until `sohoa index rebuild`)
    source: str | None = None

    def to_json_dict(self) -> dict[str, object]:
        return asdict(self)


def _fields(record: Record) -> dict[str, str]:
    c = record.classification
    return {
        "number": (c.number if c else None) or "",
        "doc_type_name": (c.doc_type_name if c else None) or "",
        "issuer": (c.issuer if c else None) or "",
        "subject": (c.subject if c else None) or "",
        # the persons a hộ tịch record names ride with the signer: found by name, above a name in the body; each
        # after a separator token no query has (a phrase never spans two people: "Mận Nông Văn" was one, the end
        # of one name and the start of the next)
        "signer": "".join(
            [(c.signer_name if c else None) or "", *(f" {_PERSON} {name}" for name in (c.persons if c else []) if name)]
        ),
        # tags ride in the source column: searchable without changing the FTS tables of existing index files
        "source": " ".join([record.source.name, *record.tags]),
        "body": unicodedata.normalize("NFC", record.ocr.text if record.ocr else ""),
    }


def _plan(query: str, codes: Collection[str] = ()) -> list[_Pass]:
    """The searches a query makes, best first. Numbers typed in full (``7/QĐ-UBND``) and days (``3/5/2025``, ``ngày
    3 tháng 5 năm 2025``), alone or inside other words (``Thông báo số 08/TB-UBND ngày 05/9/2025``), are compared
    with the records' own: the record of that number and day first, then of that number (the other words not
    required, but those with them in their fields first); a day without a number: the records issued that day with
    the other words, in their fields first. "Số 15" asks for the records numbered 15 (``15/QĐ-UBND``,
    ``015/UBND-VP``) as a number typed in full does (those of the type named, ``quyết định số 15``, first). Then the
    text: the words (numbers and days too, a day in any of its forms) as one phrase, then (several typed) each
    anywhere, each with the diacritics as typed, then without; last, a day's records without the other words. A
    record pass's snippet marks the number or day (the words may be in a field, the type's name). A type code typed
    (``HT-TLKT``; one of ``codes``, the index's) asks for that type: its records with the other words, or all of
    them, before any other (the code is no word of the text)."""
    q = _parse(query, codes)
    days = tuple(day.isoformat() for day in q.days)
    types = (q.types, ()) if q.types else ((),)
    first: list[_Pass] = []
    last: list[_Pass] = []
    if q.numbers or q.parts:
        for on_types, on_days in itertools.product(types, (days, ()) if days else ((),)):
            for fields in (True, False) if q.words else (False,):
                first.append(
                    _Pass(
                        "number_date" if on_days else "number",
                        groups=q.marks,
                        numbers=q.numbers,
                        parts=q.parts,
                        days=on_days,
                        types=on_types,
                        require=q.words if fields else (),
                        require_fields=fields,
                    )
                )
    elif days:
        for on_types in types:
            for fields in (True, False) if q.words else (False,):
                first.append(
                    _Pass(
                        "date",
                        groups=q.marks,
                        exact=True,
                        days=days,
                        types=on_types,
                        require=q.words,
                        require_fields=fields,
                    )
                )
        if q.words or q.types:
            last.append(_Pass("date", groups=q.marks, exact=True, days=days))
    elif q.types:  # HT-TLKT: the records of that type (with the other words: in their fields first)
        for fields in (True, False) if q.words else (False,):
            first.append(
                _Pass("type", groups=q.words, exact=True, types=q.types, require=q.words, require_fields=fields)
            )
    if not q.segments:
        return first
    whole: tuple[Group, ...] = (_together(q.segments),)
    text = [_Pass("phrase", groups=whole), _Pass("phrase", folded=True, groups=whole)]
    if q.days and not q.numbers and not q.words:  # a day alone: its diacritics are nobody's ("tháng" or "thang")
        text = [_Pass("phrase", folded=True, groups=whole, exact=True)]
    if len(q.segments) > 1:
        text += [_Pass("words", groups=q.segments), _Pass("words", folded=True, groups=q.segments)]
    if q.unfinished:  # last of all, the last word as the start of one: "quyế", "Nguy"
        last += [_Pass("prefix", groups=whole, prefix=True), _Pass("prefix", folded=True, groups=whole, prefix=True)]
    return first + text + last


def _type_named(typed: str, codes: Collection[str]) -> str | None:
    """The type code among ``codes`` (those of the index's records) a word of a query is: as written, any case when
    it has a hyphen (``ht-tlkt``), or typed in capitals without its Đ when that names one (``QD``); a word in lower
    case that happens to be a code's letters (``da``, ``tb``) is a word."""
    word = typed.strip(":.,;()")
    if word in codes:
        return word
    if "-" in word and (same := [code for code in codes if code.casefold() == word.casefold()]):
        return same[0]
    if word.isupper() and len(same := [code for code in codes if fold(code) == fold(word)]) == 1:
        return same[0]
    return None


def _highlight(
    text: str, groups: tuple[Group, ...], key: Key, *, whole: bool, words: int = 12, prefix: bool = False
) -> str | None:
    """``text`` with each token of a match of ``groups`` (keyed by ``key``, as each token of the text is) marked
    [like this]: all of it when ``whole`` (a field, the file name: control characters written ``\\n``), else the
    window of ``words`` tokens that shows the most groups, starting just before a match (as FTS5's snippet does),
    its white space made single spaces. None when nothing in it matches. ``prefix``: a phrase's last token is the
    start of a word."""
    tokens = list(_TOKEN.finditer(text))
    keys = [key(token.group()) for token in tokens]
    marked: dict[int, int] = {}  # token index: the group it matches

    def matches(token: str, spellings: frozenset[str], last: bool) -> bool:
        return token in spellings or (last and prefix and any(token.startswith(s) for s in spellings))

    for number, group in enumerate(groups):
        for phrase in group:
            for start in range(len(keys) - len(phrase) + 1):
                if all(matches(keys[start + j], sp, j == len(phrase) - 1) for j, sp in enumerate(phrase)):
                    for j in range(len(phrase)):
                        marked.setdefault(start + j, number)
    if not marked:
        return None
    if whole:
        first, last = 0, len(tokens)
    else:

        def shown(start: int) -> int:  # distinct groups the window starting there shows
            return len({marked[i] for i in range(start, start + words) if i in marked})

        first = max((max(0, index - 2) for index in marked), key=lambda start: (shown(start), -start))
        last = min(first + words, len(tokens))
    parts: list[str] = [text[: tokens[0].start()] if whole else "…" if first > 0 else ""]
    for index in range(first, last):
        if index > first:
            parts.append(text[tokens[index - 1].end() : tokens[index].start()])
        parts.append(f"[{tokens[index].group()}]" if index in marked else tokens[index].group())
    parts.append(text[tokens[-1].end() :] if whole else "…" if last < len(tokens) else "")
    joined = "".join(parts)
    return printable(joined if whole else " ".join(joined.split()))


class DamagedIndexError(Exception):
    """The file at the index's path is no search index sohoa can read: not an SQLite database, a malformed one
    (truncated, overwritten), or one without the index's tables (an empty file). ``sohoa index rebuild`` replaces
    it."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(why)
        self.path = path
        self.why = why


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` says that the index file itself is damaged (not a locked or unreachable one)."""
    if isinstance(exc, DamagedIndexError):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.DatabaseError) and code is not None and code & 0xFF in _DAMAGE_CODES


_DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _identity(path: Path) -> tuple[int, int] | None:
    """The file now at ``path`` (device, inode): a rebuild puts another one there."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


class SearchIndex:
    def __init__(
        self,
        path: Path,
        *,
        create: bool = True,
        complete_if_new: bool | Callable[[], bool] = False,
        archive: str | None = None,
    ) -> None:
        """The index at ``path``. ``create``: made there when there is none (or the file holds none, an empty one),
        and known as complete (``complete``) when ``complete_if_new`` says so — that the archive holds no record
        but those it will be given. Without ``create`` nothing is made: a missing file is an error, a file without
        the index ``DamagedIndexError``, as is one that is no SQLite database or a malformed one. ``archive``: the
        archive its writer indexes (``Settings.archive_identity``), recorded when the index records none yet
        (``indexed_archive``)."""
        self.path = path
        self._create = create
        self._rowids: dict[str, int] | None = None  # record id → rowid of its row in ``exact``, per search
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._connect()
        try:
            if not self._has_table("records"):
                if not create:
                    raise DamagedIndexError(path, "it holds no search index")
                self._make(complete_if_new() if callable(complete_if_new) else complete_if_new)
            self._number_key_sql, self._source_label_sql = self._migrate()
            # whether the fields are kept as written (schema 3): asked once, not at every hit's snippet
            self._keeps_written = self._has_table("written")
            if archive is not None:
                self._record_archive(archive)
        except (sqlite3.DatabaseError, DamagedIndexError) as exc:
            self.db.close()
            if is_damage(exc) and not isinstance(exc, DamagedIndexError):
                raise DamagedIndexError(path, str(exc)) from exc
            raise

    def _connect(self) -> None:
        """Connect to the file at the path, and know which one it is (``_identity``): a rebuild may put another
        there, and a write must not go to the one it replaced (``_claim``)."""
        target = str(self.path) if self._create else f"file:{quote(str(self.path))}?mode=rw"
        for _ in range(3):
            before = _identity(self.path)
            self.db = sqlite3.connect(target, uri=not self._create)
            self._identity = _identity(self.path)
            if before in (None, self._identity):
                break
            self.db.close()  # replaced while connecting
        self.db.create_function("sohoa_number_key", 1, number_key, deterministic=True)

    def _has_table(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None

    def _make(self, complete: bool) -> None:
        cols = ", ".join(_COLUMNS)
        with self.db:
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS records (record_id TEXT PRIMARY KEY, sha256 TEXT, doc_type TEXT,"
                " number TEXT, issued_on TEXT, subject TEXT, prefix TEXT, number_key TEXT)"
            )
            for table in ("exact", "folded"):
                self.db.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(record_id UNINDEXED, {cols},"
                    " tokenize = 'unicode61 remove_diacritics 0')"
                )
            self._make_written()
            self._set_complete(complete)

    def _make_written(self) -> None:
        """The fields as written (NFC, tone marks where the document put them), which snippets quote: ``exact``
        holds them in one spelling, and a snippet read from it quoted `Lê Thị Hòa` for `Lê Thị Hoà` (QA80)."""
        self.db.execute(f"CREATE TABLE IF NOT EXISTS written (record_id TEXT PRIMARY KEY, {', '.join(_COLUMNS)})")

    def _set_complete(self, complete: bool) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('complete', ?)", ("1" if complete else "0",))

    def _record_archive(self, archive: str) -> None:
        """Record the archive this index is of, unless one is recorded: ``load_settings`` gives another archive an
        index of its own (QA97: with SOHOA_ARCHIVE changed, `search` answered from the earlier archive's index)."""
        try:
            with self.db:
                self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('archive', ?)", (archive,))
        except sqlite3.OperationalError:  # read-only: it stays as it was, the configured archive's
            pass

    @property
    def complete(self) -> bool:
        """Whether the index covers the whole archive: made by ``rebuild``, or made for an archive that held no
        other record. One made anew (deleted, say) while the archive already held records does not, until
        ``sohoa index rebuild``; an index made before sohoa kept this (no ``meta`` table) counts as complete."""
        if not self._has_table("meta"):
            return True
        row = self.db.execute("SELECT value FROM meta WHERE key = 'complete'").fetchone()
        return row is None or row[0] != "0"

    def _claim(self) -> None:
        """Begin a write (``BEGIN IMMEDIATE``) on the file now at the path: when a rebuild has put a new index
        there since this one was opened, connect to that one. Writing to the file it replaced would be lost, and
        that file's journal, named after the path, could be taken for the new one's."""
        for _ in range(3):
            self.db.execute("BEGIN IMMEDIATE")
            if _identity(self.path) == self._identity:
                return
            self.db.rollback()
            self.db.close()
            self._connect()
        self.db.execute("BEGIN IMMEDIATE")

    def _migrate(self) -> tuple[str, str]:
        """Bring an index made by an older sohoa up to ``SCHEMA_VERSION``, in place (no archive needed): the SQL
        that gives a record's number key, and its source label. An index that cannot be written (read-only) is
        searched as it is, each number keyed as it is compared, without labels."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(records)")}
        number_key_sql, source_label_sql = "r.number_key", "r.source_label"
        try:
            with self.db:
                if "number_key" not in columns:  # before schema 1
                    self.db.execute("ALTER TABLE records ADD COLUMN number_key TEXT")
                    self.db.execute("UPDATE records SET number_key = sohoa_number_key(number)")
                    self.db.execute("CREATE INDEX IF NOT EXISTS records_number_key ON records (number_key)")
                if "source_label" not in columns:  # before schema 2: known again at `index rebuild`
                    self.db.execute("ALTER TABLE records ADD COLUMN source_label TEXT")
                if not self._has_table("written"):  # before schema 3: quoted in one spelling until `index rebuild`
                    self._make_written()
                if (
                    columns >= {"number_key", "source_label"}
                    and self.db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION
                ):
                    return number_key_sql, source_label_sql
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.OperationalError:  # e.g. "attempt to write a readonly database"
            if "number_key" not in columns:
                number_key_sql = "sohoa_number_key(r.number)"
            if "source_label" not in columns:
                source_label_sql = "NULL"
        return number_key_sql, source_label_sql

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, record: Record) -> None:
        """Index (or re-index) one archived record."""
        c = record.classification
        fields = _fields(record)
        self._claim()
        with self.db:
            self._remove(record.id)
            self.db.execute(
                "INSERT INTO records (record_id, sha256, doc_type, number, issued_on, subject, prefix, number_key,"
                " source_label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.source.sha256,
                    c.doc_type if c else None,
                    c.number if c else None,
                    c.issued_on.isoformat() if c and c.issued_on else None,
                    c.subject if c else None,
                    record.archive_prefix,
                    number_key(c.number if c else None),
                    record.source.label(),
                ),
            )
            marks = ", ".join("?" * (len(_COLUMNS) + 1))
            self.db.execute(f"INSERT INTO exact VALUES ({marks})", (record.id, *map(spelling_key, fields.values())))
            self.db.execute(
                f"INSERT INTO written VALUES ({marks})",
                (record.id, *(unicodedata.normalize("NFC", v) for v in fields.values())),
            )
            self.db.execute(f"INSERT INTO folded VALUES ({marks})", (record.id, *(fold(v) for v in fields.values())))

    def same_document(self, doc_type: str, number: str, issued_on: str, sha256: str) -> list[tuple[str, str]]:
        """(record id, archive folder) of the indexed records of another scan with this type, number (compared by
        its key: Đ or D, leading zeros) and date of issue — the same paper document scanned again, most likely."""
        key = number_key(number)
        if not key:
            return []
        rows = self.db.execute(
            f"SELECT r.record_id, r.prefix FROM records r WHERE {self._number_key_sql} = ? AND r.doc_type = ?"
            " AND r.issued_on = ? AND r.sha256 IS NOT ? ORDER BY r.record_id",
            (key, doc_type, issued_on, sha256),
        )
        return [(str(rid), str(prefix or "")) for rid, prefix in rows]

    def contains(self, record_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM records WHERE record_id = ?", (record_id,)).fetchone() is not None

    def remove(self, record_id: str) -> None:
        """Take a record out of the index (disposed of: `sohoa dispose`)."""
        self._claim()
        with self.db:
            self._remove(record_id)

    def _remove(self, record_id: str) -> None:
        for table in ("records", "exact", "folded", "written"):
            self.db.execute(f"DELETE FROM {table} WHERE record_id = ?", (record_id,))

    def sha256s(self) -> set[str]:
        """The source SHA-256 of every record indexed."""
        return {str(sha) for (sha,) in self.db.execute("SELECT sha256 FROM records")}

    def rebuild(self, records: Iterable[Record]) -> int:
        """Drop everything and index these records (the archive is the source of truth), in place; then the index
        is complete. ``rebuild_index`` does it in a new file, put in place once done."""
        self._claim()
        with self.db:
            for table in ("records", "exact", "folded", "written"):
                self.db.execute(f"DELETE FROM {table}")
            self._set_complete(False)  # until every record is in
        count = 0
        for record in records:
            self.add(record)
            count += 1
        self._claim()
        with self.db:
            self._set_complete(True)
        return count

    def search(
        self,
        query: str,
        *,
        doc_type: str | Collection[str] | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        limit: int = 50,
    ) -> list[Hit]:
        """The records ``query`` finds, best first (see ``_plan``): numbers and days typed (alone or in other words)
        matched to the record's own first, then phrases above scattered words, and within each the diacritics as
        typed first and a match in the number, signer, persons, issuer or subject above one in the body.
        ``doc_type``: a type code, or several (any of them)."""
        filters, params = self._filters(doc_type, date_from, date_to)
        select = (
            "SELECT r.record_id, r.sha256, r.doc_type, r.number, r.issued_on, r.subject, r.prefix,"
            f" {self._source_label_sql}"
        )
        hits: list[Hit] = []
        self._rowids = None  # the index may have changed since the last search
        seen: set[str] = set()
        for step in _plan(query, self._codes(query)):
            if len(hits) >= limit:
                break
            for row in self._rows(step, select, filters, params, limit):
                if row[0] in seen:
                    continue
                seen.add(row[0])
                hits.append(self._hit(row, step))
        return hits[:limit]

    def count(
        self,
        query: str,
        *,
        doc_type: str | Collection[str] | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> int:
        """How many records ``search`` finds with no limit (their ids only: no snippet, no ranking)."""
        filters, params = self._filters(doc_type, date_from, date_to)
        found: set[str] = set()
        for step in _plan(query, self._codes(query)):
            found.update(row[0] for row in self._rows(step, "SELECT r.record_id", filters, params, None))
        return len(found)

    def _codes(self, query: str) -> list[str]:
        """The type codes of the index's records, when ``query`` has a word that may be one (``_type_named``: letters,
        with a hyphen or a capital: HT-TLKT, ht-tlkt, QĐ; a query in lower case never looks them up)."""
        words = [word.strip(":.,;()") for word in query.split()]
        if not any(re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)?", w) and ("-" in w or not w.islower()) for w in words):
            return []
        return [code for (code,) in self.db.execute("SELECT DISTINCT doc_type FROM records WHERE doc_type IS NOT NULL")]

    @staticmethod
    def _filters(
        doc_type: str | Collection[str] | None, date_from: date | None, date_to: date | None
    ) -> tuple[str, list[object]]:
        filters = ""
        params: list[object] = []
        codes = [doc_type] if isinstance(doc_type, str) else list(doc_type or ())
        if codes:
            filters += f" AND r.doc_type IN ({', '.join('?' * len(codes))})"
            params += [unicodedata.normalize("NFC", code) for code in codes]
        if date_from:
            filters += " AND r.issued_on >= ?"
            params.append(date_from.isoformat())
        if date_to:
            filters += " AND r.issued_on <= ?"
            params.append(date_to.isoformat())
        return filters, params

    def _rows(
        self, step: _Pass, select: str, filters: str, params: list[object], limit: int | None
    ) -> list[tuple[str, ...]]:
        """The rows ``step`` finds, best first; ``limit`` None: all of them, in no order."""
        tail = " LIMIT ?" if limit is not None else ""
        limits = [limit] if limit is not None else []
        if step.on_records:
            conditions: list[str] = []
            args: list[object] = []
            if step.numbers or step.parts:  # the numbers typed, or numbered so before their "/"
                key = self._number_key_sql
                ors = [f"{key} IN ({', '.join('?' * len(step.numbers))})"] if step.numbers else []
                args += [number_key(number) for number in step.numbers]
                for part in step.parts:
                    ors.append(f"({key} = ? OR {key} LIKE ?)")
                    args += [part.lstrip("0") or "0", f"{part.lstrip('0') or '0'}/%"]
                conditions.append(f"({' OR '.join(ors)})")
            if step.days:
                conditions.append(f"r.issued_on IN ({', '.join('?' * len(step.days))})")
                args += step.days
            if step.types:
                conditions.append(f"r.doc_type IN ({', '.join('?' * len(step.types))})")
                args += step.types
            if step.require:
                expr = _match_expr(_keyed(step.require, fold))
                if step.require_fields:
                    expr = f"{{{' '.join(_RECORD_FIELDS)}}} : ({expr})"
                conditions.append("r.record_id IN (SELECT record_id FROM folded WHERE folded MATCH ?)")
                args.append(expr)
            # a day's records by type and number; a number's, the latest first
            order = "r.doc_type, r.number" if step.match == "date" else "r.issued_on DESC"
            if limit is not None:
                tail = f" ORDER BY {order}, r.record_id" + tail
            return self.db.execute(
                f"{select} FROM records r WHERE {' AND '.join(conditions)}{filters}{tail}", (*args, *params, *limits)
            ).fetchall()
        # found in the fields (number, issuer, subject, signer and persons) first, then anywhere
        table = "folded" if step.folded else "exact"
        expr = _match_expr(_keyed(step.groups, fold if step.folded else _exact_key), prefix=step.prefix)
        wheres = [f"{{{' '.join(_FIELDS)}}} : ({expr})", expr] if limit is not None else [expr]
        if limit is not None:
            tail = f" ORDER BY bm25({table}, {_WEIGHTS})" + tail
        rows: list[tuple[str, ...]] = []
        for match in wheres:
            rows += self.db.execute(
                f"{select} FROM {table} JOIN records r USING (record_id) WHERE {table} MATCH ?{filters}{tail}",
                (match, *params, *limits),
            ).fetchall()
        return rows

    def _hit(self, row: tuple[str, ...], step: _Pass) -> Hit:
        record_id, sha256, doc_type, number, issued_on, subject, prefix, source = row
        snippet, found_in = self._snippet(record_id, step, source)
        if snippet is None:  # the number or day matched in the record's fields alone
            if step.numbers or step.parts:
                snippet, found_in = f"[{number}]", "number"
            elif step.days:
                snippet, found_in = f"[{_dmy(issued_on)}]", "issued_on"
            else:
                snippet, found_in = f"[{doc_type}]", "doc_type"
        exact = step.exact if step.exact is not None else not step.folded
        if step.numbers and not step.parts:  # the number as typed, Đ and all, or only without its diacritics
            typed = {number_key(n, diacritics=True) for n in step.numbers}
            exact = number_key(number, diacritics=True) in typed
        return Hit(
            record_id,
            sha256,
            doc_type,
            number,
            issued_on,
            subject,
            prefix,
            exact,
            snippet,
            step.match,
            found_in,
            source,
        )

    def _keyed_row(self, record_id: str) -> tuple[str | None, ...] | None:
        """The record's fields as ``exact`` holds them (one spelling of each word)."""
        if self._rowids is None:
            # record_id is an UNINDEXED column of the FTS table: looked up by it, each hit's row was a scan of the
            # whole table (0.4–0.6 s for 50 hits in 5,000 records); by rowid it is one lookup, the map made once
            self._rowids = {str(rid): rowid for rowid, rid in self.db.execute("SELECT rowid, record_id FROM exact")}
        rowid = self._rowids.get(record_id)
        if rowid is None:
            return None
        row = self.db.execute(f"SELECT {', '.join(_SNIPPET_COLUMNS)} FROM exact WHERE rowid = ?", (rowid,)).fetchone()
        return tuple(row) if row is not None else None

    def _snippet(self, record_id: str, step: _Pass, label: str | None = None) -> tuple[str | None, str | None]:
        """A hit's snippet and the column it is from: the text as written ("…đăng ký [khai] [sinh]…", not the
        diacritic-free copy a match may have been found in), around the match of the step that found it; when the
        text has none, the field that matched ("[Đinh] [Thị] [Hòa]"), the file name last — a stack's document by
        ``label``, the scan as the officer knows it (``A.pdf — văn bản 2 / document 2, tr. / p. 3``), not the
        scratch file ``A.pdf#2.pdf`` its record names, which nobody dropped."""
        found = (
            self.db.execute(f"SELECT {', '.join(_SNIPPET_COLUMNS)} FROM written WHERE record_id = ?", (record_id,))
            if self._keeps_written
            else None
        )
        row = found.fetchone() if found is not None else None
        keyed = self._keyed_row(record_id)
        # indexed before the fields were kept as written (an older index), or re-indexed since by a sohoa from before
        # schema 3 (another host, say), which left the row as written stale (QA82): quoted in one spelling
        if (
            row is None
            or keyed is None
            or tuple(spelling_key(value or "") for value in row) != tuple(value or "" for value in keyed)
        ):
            row = keyed
        if row is None:
            return None, None
        folded = step.folded or step.on_records  # a number: QĐ or QD alike, as the number field was
        key = fold if folded else _written_key
        groups = _keyed(step.groups, key)

        def mark(text: str, *, whole: bool) -> str | None:
            return _highlight(text, groups, key, whole=whole, prefix=step.prefix)

        by_column = dict(zip(_SNIPPET_COLUMNS, row, strict=True))
        # the persons a hộ tịch record names before its text, which an OCR'd record's holds them in too: a match in
        # one was always said as found in the text (QA93); a signer's name is quoted as the text writes it
        signer, *persons = (by_column["signer"] or "").split(_PERSON)
        named = [shown for person in persons if (shown := mark(person.strip(), whole=True))]
        if named and not mark(signer.strip(), whole=True):
            return "; ".join(named), "persons"
        for column, value in by_column.items():
            text = value or ""
            if column == "signer":  # the signer, then each person: the names that match, the one found in
                names = [mark(name.strip(), whole=True) for name in text.split(_PERSON)]
                if any(names):
                    return "; ".join(name for name in names if name), "signer" if names[0] else "persons"
                continue
            if column == "source" and label and (scratch := _SCRATCH.match(text)) and scratch.group() != label:
                shown = mark(label + text[scratch.end() :], whole=True)  # its tags after it
                if shown is not None:
                    return shown, column
            shown = mark(text, whole=column != "body")
            if shown is not None:
                return shown, column
        return None, None


def indexed_archive(path: Path) -> str | None:
    """The archive (``Settings.archive_identity``) the search index at ``path`` records it indexes; None when there
    is no index there, or it records none (made before sohoa recorded it), or it cannot be read now (a damaged file
    is said as such by the command that opens it)."""
    row = _read_only_row(path, "SELECT value FROM meta WHERE key = 'archive'")
    return str(row[0]) if row else None


def indexed_records(path: Path) -> int:
    """How many records the search index at ``path`` holds; 0 when there is none or it cannot be read (read only).
    What a command says of an archive gone while the index still knows records archived there."""
    row = _read_only_row(path, "SELECT COUNT(*) FROM records")
    return int(row[0]) if row else 0


def _read_only_row(path: Path, query: str) -> tuple[Any, ...] | None:
    """The first row ``query`` gives on the index at ``path``, opened read only (creating nothing); None when there
    is no index there or it cannot be read (no such table in an older index, not a database, locked)."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            row: tuple[Any, ...] | None = db.execute(query).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return row


def _dmy(iso: str | None) -> str:
    return vn_date(iso)


def rebuild_index(
    path: Path,
    records: Iterable[Record],
    *,
    catch_up: Callable[[SearchIndex], int] | None = None,
    lock: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    archive: str | None = None,
) -> int:
    """Index ``records`` in a new file beside ``path`` (same folder, so that ``os.replace`` is atomic), then put it
    in place: a search meanwhile reads the old index whole (it used to see it emptied and refilled: 5, 6, 9 of 11
    records), and a damaged file is replaced, never read. Under ``lock`` (the archive write lock: a record archived
    meanwhile is added to the old file by its writer), ``catch_up`` adds what the records missed, and the new file
    takes the old one's place. The number of records indexed. A file left by a rebuild killed midway (named after
    its process) is removed by the next one; a folder at ``path`` is ``IsADirectoryError``. ``archive``: the archive
    the records are of, recorded in the index (``SearchIndex``)."""
    if path.is_dir():
        raise IsADirectoryError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(path)
    new = path.with_name(f".{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with SearchIndex(new, archive=archive) as index:
            # a new file, thrown away unless finished: no need to wait for the disk at each record (synced once)
            index.db.execute("PRAGMA synchronous = OFF")
            index.db.execute("PRAGMA journal_mode = MEMORY")
            count = index.rebuild(records)
            with lock():
                if catch_up is not None:
                    count += catch_up(index)
                index.close()
                _put_in_place(new, path)
    finally:
        for leftover in (new, new.with_name(new.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return count


def _remove_abandoned(path: Path) -> None:
    """The new files of rebuilds killed midway (``rebuild_index``), by their process id: never put in place."""
    for leftover in path.parent.glob(f".{path.name}.new-*"):
        pid = leftover.name.removeprefix(f".{path.name}.new-").split("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except OSError:  # someone else's process: still running
            pass


def _put_in_place(new: Path, path: Path) -> None:
    """``os.replace(new, path)``, made durable, without pairing the old file's journal with the new file: the
    replace waits for the old index's writers (an exclusive lock on it, which also rolls back a journal a killed
    writer left); a damaged old file has no writer, and its side files go with it."""
    with open(new, "rb") as written:
        os.fsync(written.fileno())
    old: sqlite3.Connection | None = None
    if path.exists():
        try:
            old = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=60, isolation_level=None)
            old.execute("BEGIN EXCLUSIVE")
        except sqlite3.DatabaseError as exc:
            if old is not None:
                old.close()
                old = None
            if not is_damage(exc):
                raise
    try:
        if old is None:
            for side in ("-journal", "-wal", "-shm"):
                path.with_name(path.name + side).unlink(missing_ok=True)
        os.replace(new, path)
        with contextlib.suppress(OSError):  # the rename itself, on disk (a folder cannot be opened on some systems)
            folder = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
    finally:
        if old is not None:
            old.execute("ROLLBACK")
            old.close()
