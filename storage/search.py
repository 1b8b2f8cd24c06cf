"""The search index: SQLite FTS5 over OCR text and metadata, with and without Vietnamese diacritics.

Two FTS5 tables hold the same documents: ``exact`` (the text with its diacritics, case-folded by the unicode61
tokenizer, in one spelling: ``sohoa.vietnamese.spelling_key`` — old and modern tone placement ``hoà``/``hòa``
alike, ``Ð`` read for ``Đ`` as ``Đ``) and ``folded`` (diacritics removed and đ→d by ``fold``). A query, keyed
the same way, is run against both; records that match with the diacritics as typed rank first, then the ones
found only without them. So ``quyết định`` and ``quyet dinh`` both find a decision, ``quyết định`` ranks it
above a text that only matches ``quyet dinh`` (e.g. ``quyệt đinh``), and ``Cộng hòa`` finds ``CỘNG HOÀ`` as
typed. Words typed together (or in double quotes) are a phrase: found adjacent and in order first, scattered
after (quoted: only adjacent); a number or a day typed in full is compared with the record's own number or
issue date first, then found as a phrase (``7`` and ``07`` alike; see ``_plan``). The index is derived data:
``rebuild_index`` remakes it from the archive into a new file put in place at once (an index built before the
spelling key finds old-style text only without diacritics until then); an older schema is migrated in place when
opened (``SCHEMA_VERSION``). Whether an index covers the whole archive is kept in it (``SearchIndex.complete``):
one made anew while the archive already held records does not.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from sohoa.fsutil import printable
from sohoa.record import Record
from sohoa.vietnamese import fold, parse_day, spelling_key, vn_date

_COLUMNS = ("number", "doc_type_name", "issuer", "subject", "signer", "source", "body")
# bm25 weights (record_id first): a match in the number, the signer and persons, the issuer or the subject outweighs
# one in the body, and the file name and type name count a little more than the body
_WEIGHTS = ", ".join(map(str, (0.0, 10.0, 2.0, 5.0, 5.0, 10.0, 2.0, 1.0)))
# a match in these ranks above one elsewhere (the body, the file name, the type's name)
_FIELDS = ("number", "issuer", "subject", "signer")
# where a hit's snippet is looked for, in this order: the text, then the fields, the file name last
_SNIPPET_COLUMNS = ("body", "signer", "subject", "issuer", "number", "doc_type_name", "source")
_TOKEN = re.compile(r"[^\W_]+")  # a token as FTS5's unicode61 reads one: letters and digits
# 1: records.number_key; 2: records.source_label (an index without them is migrated when opened; the labels of
# records indexed before 2 stay empty until `sohoa index rebuild`)
SCHEMA_VERSION = 2
_MAX_SPELLINGS = 32  # the most spellings ("7", "07") of one phrase a query tries

# A phrase is a run of adjacent tokens, each position the spellings it accepts ({"7", "07"}); a group matches when
# any of its phrases does; a query, when every one of its groups does.
Phrase = tuple[frozenset[str], ...]
Group = tuple[Phrase, ...]
Key = Callable[[str], str]

# a document number typed in full: digits, "/", a symbol with a letter in it ("15/QĐ-UBND", "07/2021/NĐ-CP"),
# with or without "Số:" before it
_NUMBER = re.compile(r"(?:s[ốo]\s*:?\s*)?(\d+[^\W\d_]*\s*/\s*[\w./-]*[^\W\d_][\w./-]*)", re.IGNORECASE)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"'})


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


def _chunks(query: str) -> list[list[str]]:
    """The query's parts, each a run of tokens to be found adjacent: a part in double quotes, or what is typed
    between spaces (``15/QĐ-UBND`` is the three tokens 15, QĐ, UBND in a row). NFC, in the index's spelling."""
    parts = spelling_key(query).translate(_QUOTES).split('"')
    chunks: list[list[str]] = []
    for index, part in enumerate(parts):
        quoted = index % 2 == 1 and index < len(parts) - 1  # a quote never closed quotes nothing
        for piece in [part] if quoted else part.split():
            if tokens := _TOKEN.findall(piece):
                chunks.append(tokens)
    return chunks


def _date_forms(day: date) -> Group:
    """``day`` as a text writes it: 3/5/2025, 03-05-2025, (ngày) 3 tháng 5 năm 2025, 2025-05-03; leading zeros
    or not."""
    d, m, y = _spellings(str(day.day)), _spellings(str(day.month)), frozenset((str(day.year),))
    words = [frozenset((spelling_key(w),)) for w in ("tháng", "năm")]
    return ((d, m, y), (d, words[0], m, words[1], y), (y, m, d))


def _keyed(groups: tuple[Group, ...], key: Key) -> tuple[Group, ...]:
    return tuple(tuple(tuple(frozenset(map(key, spellings)) for spellings in phrase) for phrase in g) for g in groups)


def _match_expr(groups: tuple[Group, ...]) -> str:
    """FTS5 query: every group (AND), each any of its phrases' spellings (OR), each a phrase (adjacent, in order)."""

    def spelled(phrase: Phrase) -> list[str]:
        combos = itertools.islice(itertools.product(*(sorted(s, key=len) for s in phrase)), _MAX_SPELLINGS)
        return ['"' + " ".join(combo) + '"' for combo in combos]

    return " AND ".join("(" + " OR ".join(s for phrase in g for s in spelled(phrase)) + ")" for g in groups)


def _exact_key(token: str) -> str:
    return token.lower()


@dataclass(frozen=True)
class _Pass:
    match: str  # number | date | phrase | words
    folded: bool = False  # the diacritic-free table
    groups: tuple[Group, ...] = ()  # what to find (and mark in the snippet), as typed
    exact: bool | None = None  # the hits' `exact`; None: as typed when not folded
    value: str | None = None  # the number as typed; the day, ISO


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
    # how it was found: "number" (the number field), "date" (issued that day), "phrase" (the words adjacent, as
    # typed), "words" (each somewhere); where the snippet is from ("body", "signer", …, "source": the file name)
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
        # the persons a hộ tịch record names ride with the signer: found by name, above a name in the body
        "signer": " ".join(n for n in ((c.signer_name if c else None), *(c.persons if c else [])) if n),
        # tags ride in the source column: searchable without changing the FTS tables of existing index files
        "source": " ".join([record.source.name, *record.tags]),
        "body": unicodedata.normalize("NFC", record.ocr.text if record.ocr else ""),
    }


def _plan(query: str) -> list[_Pass]:
    """The searches a query makes, best first. A day (``3/5/2025``): the records issued that day, then texts that
    write it. A number (``7/QĐ-UBND``): the record of that number, then texts citing it (adjacent). Otherwise the
    words as one phrase, then (several typed) each anywhere; each with the diacritics as typed, then without."""
    day = parse_day(query)
    if day is not None:
        forms = (_date_forms(day),)
        return [
            _Pass("date", groups=forms, exact=True, value=day.isoformat()),
            _Pass("phrase", folded=True, groups=forms, exact=True),
        ]
    passes: list[_Pass] = []
    number = _NUMBER.fullmatch(" ".join(unicodedata.normalize("NFC", query).split()))
    if number:
        chunks = [_TOKEN.findall(spelling_key(number[1]))]
        passes.append(_Pass("number", groups=((_phrase(chunks[0]),),), value=number[1]))
    else:
        chunks = _chunks(query)
    if not chunks:
        return []
    whole: tuple[Group, ...] = ((_phrase(t for chunk in chunks for t in chunk),),)
    passes += [_Pass("phrase", groups=whole), _Pass("phrase", folded=True, groups=whole)]
    if len(chunks) > 1:
        each = tuple((_phrase(chunk),) for chunk in chunks)
        passes += [_Pass("words", groups=each), _Pass("words", folded=True, groups=each)]
    return passes


def _highlight(text: str, groups: tuple[Group, ...], key: Key, *, whole: bool, words: int = 12) -> str | None:
    """``text`` with each token of a match of ``groups`` (keyed by ``key``, as each token of the text is) marked
    [like this]: all of it when ``whole`` (a field, the file name: control characters written ``\\n``), else the
    window of ``words`` tokens that shows the most groups, starting just before a match (as FTS5's snippet does),
    its white space made single spaces. None when nothing in it matches."""
    tokens = list(_TOKEN.finditer(text))
    keys = [key(token.group()) for token in tokens]
    marked: dict[int, int] = {}  # token index: the group it matches
    for number, group in enumerate(groups):
        for phrase in group:
            for start in range(len(keys) - len(phrase) + 1):
                if all(keys[start + j] in spellings for j, spellings in enumerate(phrase)):
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
    def __init__(self, path: Path, *, create: bool = True, complete_if_new: bool | Callable[[], bool] = False) -> None:
        """The index at ``path``. ``create``: made there when there is none (or the file holds none, an empty one),
        and known as complete (``complete``) when ``complete_if_new`` says so — that the archive holds no record
        but those it will be given. Without ``create`` nothing is made: a missing file is an error, a file without
        the index ``DamagedIndexError``, as is one that is no SQLite database or a malformed one."""
        self.path = path
        self._create = create
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._connect()
        try:
            if not self._has_table("records"):
                if not create:
                    raise DamagedIndexError(path, "it holds no search index")
                self._make(complete_if_new() if callable(complete_if_new) else complete_if_new)
            self._number_key_sql, self._source_label_sql = self._migrate()
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
            self._set_complete(complete)

    def _set_complete(self, complete: bool) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('complete', ?)", ("1" if complete else "0",))

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
                if columns >= {"number_key", "source_label"}:
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

    def _remove(self, record_id: str) -> None:
        for table in ("records", "exact", "folded"):
            self.db.execute(f"DELETE FROM {table} WHERE record_id = ?", (record_id,))

    def sha256s(self) -> set[str]:
        """The source SHA-256 of every record indexed."""
        return {str(sha) for (sha,) in self.db.execute("SELECT sha256 FROM records")}

    def rebuild(self, records: Iterable[Record]) -> int:
        """Drop everything and index these records (the archive is the source of truth), in place; then the index
        is complete. ``rebuild_index`` does it in a new file, put in place once done."""
        self._claim()
        with self.db:
            for table in ("records", "exact", "folded"):
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
        doc_type: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        limit: int = 50,
    ) -> list[Hit]:
        """The records ``query`` finds, best first (see ``_plan``): a number or a day typed in full matched to the
        record's own, then phrases above scattered words, and within each the diacritics as typed first and a match
        in the number, signer, persons, issuer or subject above one in the body."""
        filters = ""
        params: list[object] = []
        if doc_type:
            filters += " AND r.doc_type = ?"
            params.append(unicodedata.normalize("NFC", doc_type))
        if date_from:
            filters += " AND r.issued_on >= ?"
            params.append(date_from.isoformat())
        if date_to:
            filters += " AND r.issued_on <= ?"
            params.append(date_to.isoformat())
        select = (
            "SELECT r.record_id, r.sha256, r.doc_type, r.number, r.issued_on, r.subject, r.prefix,"
            f" {self._source_label_sql}"
        )
        hits: list[Hit] = []
        seen: set[str] = set()
        for step in _plan(query):
            if len(hits) >= limit:
                break
            if step.match == "number":
                rows = self.db.execute(
                    f"{select} FROM records r WHERE {self._number_key_sql} = ?{filters}"
                    " ORDER BY r.issued_on DESC, r.record_id LIMIT ?",
                    (number_key(step.value), *params, limit),
                ).fetchall()
            elif step.match == "date":
                rows = self.db.execute(
                    f"{select} FROM records r WHERE r.issued_on = ?{filters}"
                    " ORDER BY r.doc_type, r.number, r.record_id LIMIT ?",
                    (step.value, *params, limit),
                ).fetchall()
            else:  # found in the fields (number, issuer, subject, signer and persons) first, then anywhere
                table = "folded" if step.folded else "exact"
                expr = _match_expr(_keyed(step.groups, fold if step.folded else _exact_key))
                rows = []
                for where in (f"{{{' '.join(_FIELDS)}}} : ({expr})", expr):
                    rows += self.db.execute(
                        f"{select} FROM {table} JOIN records r USING (record_id)"
                        f" WHERE {table} MATCH ?{filters} ORDER BY bm25({table}, {_WEIGHTS}) LIMIT ?",
                        (where, *params, limit),
                    ).fetchall()
            for row in rows:
                if row[0] in seen:
                    continue
                seen.add(row[0])
                snippet, found_in = self._snippet(row[0], step)
                if snippet is None:  # the number or day matched in the record's fields alone
                    shown = row[3] if step.match == "number" else _dmy(row[4])
                    snippet, found_in = f"[{shown}]", ("number" if step.match == "number" else "issued_on")
                exact = step.exact if step.exact is not None else not step.folded
                if step.match == "number":  # the number as typed, Đ and all, or only without its diacritics
                    exact = number_key(row[3], diacritics=True) == number_key(step.value, diacritics=True)
                record_id, sha256, doc_type_, number, issued_on, subject, prefix, source = row
                hits.append(
                    Hit(
                        record_id,
                        sha256,
                        doc_type_,
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
                )
        return hits[:limit]

    def _snippet(self, record_id: str, step: _Pass) -> tuple[str | None, str | None]:
        """A hit's snippet and the column it is from: the text as written ("…đăng ký [khai] [sinh]…", not the
        diacritic-free copy a match may have been found in), around the match of the step that found it; when the
        text has none, the field that matched ("[Đinh] [Thị] [Hòa]"), the file name last."""
        row = self.db.execute(
            f"SELECT {', '.join(_SNIPPET_COLUMNS)} FROM exact WHERE record_id = ?", (record_id,)
        ).fetchone()
        if row is None:
            return None, None
        folded = step.folded or step.match == "number"  # a number: QĐ or QD alike, as the number field was
        key = fold if folded else _exact_key
        groups = _keyed(step.groups, key)
        for column, text in zip(_SNIPPET_COLUMNS, row, strict=True):
            shown = _highlight(text or "", groups, key, whole=column != "body")
            if shown is not None:
                return shown, column
        return None, None


def _dmy(iso: str | None) -> str:
    return vn_date(iso)


def rebuild_index(
    path: Path,
    records: Iterable[Record],
    *,
    catch_up: Callable[[SearchIndex], int] | None = None,
    lock: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
) -> int:
    """Index ``records`` in a new file beside ``path`` (same folder, so that ``os.replace`` is atomic), then put it
    in place: a search meanwhile reads the old index whole (it used to see it emptied and refilled: 5, 6, 9 of 11
    records), and a damaged file is replaced, never read. Under ``lock`` (the archive write lock: a record archived
    meanwhile is added to the old file by its writer), ``catch_up`` adds what the records missed, and the new file
    takes the old one's place. The number of records indexed. A file left by a rebuild killed midway (named after
    its process) is removed by the next one; a folder at ``path`` is ``IsADirectoryError``."""
    if path.is_dir():
        raise IsADirectoryError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(path)
    new = path.with_name(f".{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with SearchIndex(new) as index:
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
