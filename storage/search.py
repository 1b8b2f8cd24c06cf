"""The search index: SQLite FTS5 over OCR text and metadata, with and without Vietnamese diacritics.

Two FTS5 tables hold the same documents: ``exact`` (the text with its diacritics, case-folded by the unicode61
tokenizer, in one spelling: ``sohoa.vietnamese.spelling_key`` — old and modern tone placement ``hoà``/``hòa``
alike, ``Ð`` read for ``Đ`` as ``Đ``) and ``folded`` (diacritics removed and đ→d by ``fold``). A query, keyed
the same way, is run against both; records that match with the diacritics as typed rank first, then the ones
found only without them. So ``quyết định`` and ``quyet dinh`` both find a decision, ``quyết định`` ranks it
above a text that only matches ``quyet dinh`` (e.g. ``quyệt đinh``), and ``Cộng hòa`` finds ``CỘNG HOÀ`` as
typed. The index is derived data: ``rebuild`` remakes it from the archive (an index built before the spelling
key finds old-style text only without diacritics until then).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sohoa.record import Record
from sohoa.vietnamese import fold, spelling_key

_COLUMNS = ("number", "doc_type_name", "issuer", "subject", "signer", "source", "body")
_WORD = re.compile(r"\w+", re.UNICODE)


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

    def to_json_dict(self) -> dict[str, object]:
        return asdict(self)


def _fields(record: Record) -> dict[str, str]:
    c = record.classification
    return {
        "number": (c.number if c else None) or "",
        "doc_type_name": (c.doc_type_name if c else None) or "",
        "issuer": (c.issuer if c else None) or "",
        "subject": (c.subject if c else None) or "",
        "signer": (c.signer_name if c else None) or "",
        # tags ride in the source column: searchable without changing the FTS tables of existing index files
        "source": " ".join([record.source.name, *record.tags]),
        "body": unicodedata.normalize("NFC", record.ocr.text if record.ocr else ""),
    }


def _match_expr(query: str, folded: bool) -> str | None:
    words = _WORD.findall(spelling_key(query))
    if folded:
        words = [fold(w) for w in words]
    if not words:
        return None
    return " ".join(f'"{w}"' for w in words)  # every word, anywhere (implicit AND)


class SearchIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        cols = ", ".join(_COLUMNS)
        with self.db:
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS records (record_id TEXT PRIMARY KEY, sha256 TEXT, doc_type TEXT,"
                " number TEXT, issued_on TEXT, subject TEXT, prefix TEXT)"
            )
            for table in ("exact", "folded"):
                self.db.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(record_id UNINDEXED, {cols},"
                    " tokenize = 'unicode61 remove_diacritics 0')"
                )

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
        with self.db:
            self._remove(record.id)
            self.db.execute(
                "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.source.sha256,
                    c.doc_type if c else None,
                    c.number if c else None,
                    c.issued_on.isoformat() if c and c.issued_on else None,
                    c.subject if c else None,
                    record.archive_prefix,
                ),
            )
            marks = ", ".join("?" * (len(_COLUMNS) + 1))
            self.db.execute(f"INSERT INTO exact VALUES ({marks})", (record.id, *map(spelling_key, fields.values())))
            self.db.execute(f"INSERT INTO folded VALUES ({marks})", (record.id, *(fold(v) for v in fields.values())))

    def contains(self, record_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM records WHERE record_id = ?", (record_id,)).fetchone() is not None

    def _remove(self, record_id: str) -> None:
        for table in ("records", "exact", "folded"):
            self.db.execute(f"DELETE FROM {table} WHERE record_id = ?", (record_id,))

    def rebuild(self, records: Iterable[Record]) -> int:
        """Drop everything and index these records (the archive is the source of truth)."""
        with self.db:
            for table in ("records", "exact", "folded"):
                self.db.execute(f"DELETE FROM {table}")
        count = 0
        for record in records:
            self.add(record)
            count += 1
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
        hits: list[Hit] = []
        seen: set[str] = set()
        for table, folded in (("exact", False), ("folded", True)):
            expr = _match_expr(query, folded)
            if expr is None:
                break
            rows = self.db.execute(
                f"SELECT r.record_id, r.sha256, r.doc_type, r.number, r.issued_on, r.subject, r.prefix,"
                f" snippet({table}, 7, '[', ']', '…', 12) FROM {table} JOIN records r USING (record_id)"
                f" WHERE {table} MATCH ?{filters} ORDER BY bm25({table}) LIMIT ?",
                (expr, *params, limit),
            ).fetchall()
            for row in rows:
                if row[0] in seen:
                    continue
                seen.add(row[0])
                snippet = (self._snippet_with_diacritics(row[0], query) or row[7]) if folded else row[7]
                hits.append(
                    Hit(row[0], row[1], row[2], row[3], row[4], row[5], row[6], exact=not folded, snippet=snippet)
                )
        return hits[:limit]

    def _snippet_with_diacritics(self, record_id: str, query: str, words: int = 12) -> str | None:
        """A found-without-diacritics hit's snippet from the text as written ("…đăng ký [khai] [sinh]…"): FTS5's
        own comes from the folded copy ("dang ky [khai] [sinh]"), which is not what the document says. None when
        no word of the body matches (the hit was in another column: FTS5's snippet is then used)."""
        row = self.db.execute("SELECT body FROM exact WHERE record_id = ?", (record_id,)).fetchone()
        if row is None:
            return None
        wanted = {fold(word) for word in _WORD.findall(query)}
        tokens = list(_WORD.finditer(row[0]))
        matched = [i for i, token in enumerate(tokens) if fold(token.group()) in wanted]
        if not matched:
            return None
        folded = [fold(token.group()) for token in tokens]

        def found_in(start: int) -> int:  # distinct query words the window starting there shows
            return len(wanted.intersection(folded[start : start + words]))

        # the window that shows the most query words, starting just before one of its matches (FTS5 does alike)
        first = max((max(0, index - 2) for index in matched), key=lambda start: (found_in(start), -start))
        window = tokens[first : first + words]
        text = row[0]
        parts: list[str] = ["…"] if first > 0 else []
        for index, token in enumerate(window, start=first):
            if index > first:
                parts.append(text[tokens[index - 1].end() : token.start()])
            parts.append(f"[{token.group()}]" if index in matched else token.group())
        if first + words < len(tokens):
            parts.append("…")
        return " ".join("".join(parts).split())
