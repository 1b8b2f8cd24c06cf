"""The archive interface and the semantics both backends share.

A backend supplies a handful of object primitives (write verified, read, exists, list, delete, retention, legal
hold); ``BaseArchive`` builds the archive on them, so the local folder and S3 behave the same:

    {year}/{doc_type}/{number}--{record id}/   original.<ext>, document.pdf, verification.json, record.json
    .by-sha256/{source sha256}.json             content-addressed index: source hash → record prefix (written last)
    .ledger/{seq:012d}.json                     the custody ledger (storage.ledger)
    .ledger-heads/{YYYY-MM-DD}.tsr|.json        RFC 3161 timestamps of each day's ledger head (storage.stamps)

Nothing else belongs in an archive: the audit names any other object as part of no record (``stray_objects``).

Putting a record: each object is written and verified (read back and re-hashed), then the sidecar, then the
ledger entries, and only then the index entry: a crash leaves no index entry, so the next run writes the record
again (objects with the same content are kept as they are) and nothing is lost or listed twice. Until that rerun,
the audit names such a folder as an interrupted archive write (``UnfinishedWrite``), not as tampering, and
audits its record when its record.json is there; ``finish_interrupted`` (`sohoa ledger finish`) finishes it
without the scan.
Every object of a record gets the retention of its record class (``retention_until``); a retained object cannot
be deleted or overwritten with other content until then, nor while it is under legal hold.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import time
import unicodedata
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from sohoa.errors import SohoaError, StageError
from sohoa.record import Record, RecordState, StoredObject

if TYPE_CHECKING:
    from storage.claims import Claim
    from storage.ledger import RetentionOwed

SIDECAR = "record.json"
# how the retention_problems lines end (what the reports' Vietnamese goes by)
RETENTION_SHORTENED = "its retention shortened or removed behind the archive's back"
HOLD_REMOVED = "its legal hold lifted behind the archive's back"
HOLD_UNRECORDED = (
    "a legal hold no ledger entry records: its 'held' entry removed, or the hold set behind the archive's back"
)
RETENTION_UNREADABLE = "its retention and legal hold cannot be read, so they cannot be checked against the ledger"
# how the lines of the ledger's own objects (its entries, its daily stamps) end when their retention falls short
LEDGER_RETENTION_SHORTENED = "the ledger is kept for ever: its retention shortened or removed behind the archive's back"
INDEX_DIR = ".by-sha256"
LEDGER_DIR = ".ledger"
ENTRY_KEY = re.compile(rf"{re.escape(LEDGER_DIR)}/\d{{12}}\.json")  # a ledger entry's object, named by its number
CLAIMS_DIR = ".claims"  # writers' claims on the records they write (storage.claims)
HEADS_DIR = ".ledger-heads"  # the daily RFC 3161 stamps of the ledger head (storage.stamps)
# {prefix}/added/{name}.json: one manifest per object added to an archived record (e.g. a renewed B-LTA document);
# the sidecar is retained (written once), so additions cannot be recorded in it
ADDED_DIR = "added"
PERMANENT_YEARS = 500  # "vĩnh viễn": S3 needs a date, so permanent is 500 years from archiving

# Record class → years (0 = permanent). Keys are a doc_type, or a prefix ending in '*'; '*' is the fallback.
# Override per office with SOHOA_RETENTION_YEARS (its danh mục hồ sơ sets thời hạn bảo quản per file group).
# Only two figures come from the domain notes (shared/domain/VN_DOMAIN.md §2.4; doc_types.json has none):
DEFAULT_RETENTION_YEARS: dict[str, int] = {
    # Luật Hộ tịch Điều 58: sổ hộ tịch are kept permanently ("lưu giữ vĩnh viễn"); the extracts, certificates and
    # application forms we scan belong to those registrations, so every civil-status class (HT-…) is permanent.
    "HT*": 0,
    # TT 10/2022/TT-BNV Phụ lục I mục 3: a body's charter / working-rules (quy chế) files, 20 years.
    "QC": 20,
    # ASSUMPTIONS, to be confirmed against the office's retention list (TT 10/2022/TT-BNV groups files by subject,
    # not by document type, so no per-type figure exists): decisions and resolutions as the long 70-year group,
    # minutes 20, notices and letters 10, anything else 10 — all values the schedule uses (vĩnh viễn/70/50/30/20/10/5).
    "QĐ": 70,
    "NQ": 70,
    "BB": 20,
    "TB": 10,
    "CV": 10,
    "*": 10,
}


class ArchiveIntegrityError(SohoaError):
    """A stored object does not match the SHA-256 recorded for it."""


class RecordChangedError(ArchiveIntegrityError):
    """A record's record.json, or a ledger entry of its custody, changed since it was archived: nothing may hand the
    record out or act on it. ``vi`` and ``en`` say what changed; ``said`` adds what the refusing command did not do
    to each half (get's "nothing handed out" was the tail of every refusal, `hold` and `review set` too, in English
    after the Vietnamese — QA63)."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(f"{vi} / {en}")
        self.vi, self.en = vi, en

    def said(self, not_done_vi: str, not_done_en: str) -> str:
        return f"{self.vi}; {not_done_vi} / {self.en}; {not_done_en}"


class DamagedRecordError(ArchiveIntegrityError):
    """A record listed in the index cannot be read (``DamagedRecord``: its record.json or its index entry is not
    what sohoa wrote); the message names it in Vietnamese and English."""

    def __init__(self, damaged: DamagedRecord) -> None:
        super().__init__(damaged.words)
        self.damaged = damaged


class AmbiguousRecordIdError(SohoaError):
    """A short record id that begins the id of more than one archived record: which one was meant is not known, so
    nothing is done (QA98: `get`, `hold`, `export`, `review set` and `dispose` acted on the first of them). With 8
    hex digits (32 bits) an archive of ~100,000 records is expected to hold one such pair."""

    def __init__(self, given: str, record_ids: list[str]) -> None:
        ids = ", ".join(record_ids)
        super().__init__(
            f"{given}: mã hồ sơ này là đầu mã của {len(record_ids)} hồ sơ ({ids}) — hãy ghi đủ 16 chữ số / "
            f"this id begins the ids of {len(record_ids)} records ({ids}): give all 16 digits"
        )
        self.given, self.record_ids = given, record_ids


class RetentionError(SohoaError):
    """A retained (or held) object was to be deleted or overwritten."""


class ObjectTaken(SohoaError):
    """A name only one writer may create (``BaseArchive._create``) was written meanwhile, with other content, by
    another writer — a process on another host sharing the archive (the write lock is per host): for a ledger
    entry's sequence number ``Ledger.append`` reads the head again and writes the entry after it; for a record's
    claim (storage.claims) the other writer holds it."""


class ArchiveUnavailableError(StageError):
    """The archive (a folder or an S3 server) could not be reached or written."""


class ArchiveConfigError(SohoaError):
    """The archive location cannot hold records as it is configured (an S3 bucket without object lock): a fault
    outside the input that no retry and no rerun fixes until someone changes the configuration."""


def _safe_component(text: str) -> str:
    """A folder name from a document number: NFC, '/' and other separators replaced, length bounded."""
    text = unicodedata.normalize("NFC", text)
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text).strip("-.")
    return cleaned[:80] or "unnumbered"


def record_prefix(record: Record) -> str:
    """``{year}/{doc_type}/{number-or-id}--{id}``: readable, and unique because it ends in the record id."""
    classification = record.classification
    year = str(classification.issued_on.year) if classification and classification.issued_on else "undated"
    doc_type = _safe_component(classification.doc_type) if classification else "unknown"
    number = _safe_component(classification.number) if classification and classification.number else "no-number"
    return f"{year}/{doc_type}/{number}--{record.id}"


def is_own_record(record: Record, source_sha256: str, prefix: str) -> bool:
    """Whether ``record`` (read from the record.json in ``prefix``) is the record of that folder and of the scan
    ``source_sha256``: its id and source are the scan's, its folder is ``prefix``, and the folder ends in its id
    (``record_prefix``)."""
    return (
        record.id == source_sha256[:16]
        and record.source.sha256 == source_sha256
        and record.archive_prefix == prefix
        and prefix.endswith(f"--{record.id}")
    )


def retention_years(doc_type: str | None, table: Mapping[str, int]) -> int:
    """Years to keep a record of this class (0 = permanent), from the configured table."""
    doc_type = doc_type or "unknown"
    if doc_type in table:
        return table[doc_type]
    prefixes = sorted((k for k in table if k.endswith("*") and k != "*"), key=len, reverse=True)
    for key in prefixes:
        if doc_type.startswith(key[:-1]):
            return table[key]
    return table.get("*", 10)


def years_after(when: datetime, years: int) -> datetime:
    """``when`` moved on ``years`` calendar years (29 February to the 28th where that year has none)."""
    try:
        return when.replace(year=when.year + years)
    except ValueError:
        return when.replace(year=when.year + years, day=28)


def retain_until(doc_type: str | None, table: Mapping[str, int], now: datetime | None = None) -> datetime:
    return years_after(now or datetime.now(UTC), retention_years(doc_type, table) or PERMANENT_YEARS)


def is_permanent(until: datetime, since: datetime | None = None) -> bool:
    """Whether a retention ending ``until``, set when its record was archived (``since``; None: now), is the one
    kept for ever ("vĩnh viễn"), stored as PERMANENT_YEARS from archiving — what officers are shown instead of its
    date. Set later than archiving (a write finished after a crash) it is only longer."""
    since = since or datetime.now(UTC)
    return until.year - since.year >= PERMANENT_YEARS


def permanent_retention() -> datetime:
    """Retention of what is kept for ever (the custody ledger and its stamps): ``PERMANENT_YEARS`` from now."""
    return years_after(datetime.now(UTC), PERMANENT_YEARS)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ObjectInfo:
    key: str
    size: int
    retain_until: datetime | None = None
    legal_hold: bool = False
    # why its retention or hold could not be read (a folder's retention record damaged, a key without the right to
    # read an object lock): then retain_until and legal_hold say nothing
    unreadable: str | None = None
    # a folder archive's object with no retention record beside it at all (not one holding no date): what a process
    # killed between a ledger entry and its retention record leaves (``kept_for_ever_problem``)
    no_retention_record: bool = False


def sidecar_differs_from(sidecar: bytes | None, expected: object) -> bool:
    """Whether a record.json (``sidecar``, its bytes; None: missing) is not the one whose SHA-256 an "archived"
    ledger entry recorded (``expected``, its ``sidecar_sha256``; None: nothing to hold it against, so not). A missing
    record.json differs. The one comparison the ledger check, `sohoa list`, `get`, `export` and the audit make."""
    return expected is not None and sha256_bytes(sidecar or b"") != expected


@dataclass(frozen=True)
class RecordAsRead:
    """A record as ``BaseArchive.find_as_read`` (``records_as_read``, ``get_as_read``) read it, with what it read on
    the way: the record.json bytes the record was parsed from (``sidecar``; checked to be this record's by
    ``parsed_record``) and the number of its "archived" ledger entry as its index entry gives it
    (``archived_entry``; None for a record indexed before 2026-12-01). What a check of the record.json against that
    entry needs (``storage.ledger.unchanged_records``, ``verified_record``), so that neither object is read again:
    on S3 each read is a GET, and `sohoa list` read both twice per record (5 GETs a record, not 3)."""

    record: Record
    sidecar: bytes
    archived_entry: int | None

    def sidecar_differs(self, expected: object) -> bool:
        """Whether the record.json as read is not the one an "archived" ledger entry recorded (``expected``, its
        ``sidecar_sha256``; ``sidecar_differs_from``)."""
        return sidecar_differs_from(self.sidecar, expected)


def indexed_entries(found: Iterable[RecordAsRead]) -> dict[str, int]:
    """Per record id, the number of the "archived" ledger entry its index entry names (records indexed before
    2026-12-01 name none): ``Ledger.verify``'s ``indexed``, by which it finds entries cut off the chain's end."""
    return {read.record.id: read.archived_entry for read in found if read.archived_entry is not None}


# ``DamagedRecord.why`` of a record the index lists whose folder is gone whole (kind "missing")
FOLDER_GONE = "folder gone"
# The words every problem line about an interrupted write carries (flows.audit words it in Vietnamese by them)
INTERRUPTED_WRITE = "archive write interrupted"
# what the ledger check says of a record whose record.json is not the one its "archived" entry recorded
SIDECAR_REWRITTEN = f"{SIDECAR} changed since it was archived"
# a problem line about one record, as the ledger check begins it: "record 0123456789abcdef (…): …"
_RECORD_PROBLEM = re.compile(r"record (?P<id>[0-9a-f]{16})\b")


def record_of_problem(problem: str) -> str | None:
    """The record a problem line of the ledger check is about ("record 0123456789abcdef …"), or None."""
    about = _RECORD_PROBLEM.match(problem)
    return about["id"] if about is not None else None


# a record's folder as ``record_prefix`` names it: {year}/{doc_type}/{number}--{record id}
_RECORD_FOLDER = re.compile(r"[^/]+/[^/]+/[^/]+--[0-9a-f]{16}")
# a writer's claim on a scan's record (storage.claims): .claims/{source sha256}.{generation}.json
CLAIM_KEY = re.compile(rf"{re.escape(CLAIMS_DIR)}/(?P<sha>[0-9a-f]{{64}})\.(?P<generation>\d+)\.json")
MAX_CLAIM_BYTES = 4096  # a claim is a line of JSON


@dataclass
class UnfinishedWrite:
    """A record folder that a run killed in ``put`` left without its index entry, so no listing shows it.

    ``record``: its record.json, when that was written (the ledger may hold its entries too); a rerun with the
    same scan adopts it. Without one, ``keys`` are objects written before the kill, never retained (retention is
    set only once the record.json is there); a rerun with the same scan replaces them.
    """

    prefix: str
    keys: list[str]
    record: Record | None = None
    # what ``verify_objects`` finds in the folder of ``record``: a put reads back every object before it writes the
    # record.json, so a record whose files no longer match it is no interrupted write (an index entry deleted to
    # hide a changed record, say) and is not called one
    damaged: list[str] = field(default_factory=list)
    # the claim on its scan that a writer on another host still holds (storage.claims), when a whole-archive check
    # found one: that host's put under way, or killed less than an hour ago — finished by that host, or by `ledger
    # finish` elsewhere only once the claim is abandoned (QA73: the audit said "run sohoa ledger finish" while
    # `ledger finish` answered "left to it")
    held: Claim | None = None

    @property
    def record_id(self) -> str:
        """The record's id: its record.json's, or (none written yet) the end of its folder's name."""
        return self.record.id if self.record is not None else self.prefix.rsplit("--", 1)[-1]

    def problem(self, archived_entry: int | None = None) -> str:
        rerun = "rerun the batch with its scan to finish it"
        # with its record.json there, `sohoa ledger finish` finishes it without the scan (QA69: only the rerun was
        # advised, while `ledger verify` and `get` advised ledger finish)
        finish = "run sohoa ledger finish (or rerun the batch with its scan) to finish it"
        if self.record is not None and self.damaged:
            return (
                f"record {self.record.id} ({self.prefix}): not in the archive's index, and its files no longer "
                f"match its record.json ({len(self.damaged)} problem(s)) — changed after archiving"
            )
        if self.held is not None:
            return self._claimed_problem()
        if self.record is None:
            return (
                f"{self.prefix}: {INTERRUPTED_WRITE} before its record.json — {len(self.keys)} file(s) written, "
                f"never retained ({', '.join(k.rsplit('/', 1)[-1] for k in self.keys)}); {rerun}, or they were "
                "put there by hand"
            )
        # (some of its ledger entries may be there, those written before the run stopped: not its "archived" one)
        stage = "its index entry" if archived_entry is not None else "its 'archived' ledger entry and index entry"
        return (
            f"record {self.record.id} ({self.prefix}): {INTERRUPTED_WRITE} — record.json and the files are stored, "
            + (f"ledger entry {archived_entry} says archived, " if archived_entry is not None else "")
            + f"{stage} never written (or deleted by hand); {finish}"
        )

    def _claimed_problem(self) -> str:
        assert self.held is not None
        held = self.held
        whole = self.record is not None  # its record.json written: `ledger finish` can finish it without the scan
        stored = "record.json and the files stored" if whole else f"{len(self.keys)} file(s) written"
        finish = "sohoa ledger finish (or a rerun with its scan)" if whole else "a rerun with its scan"
        return (
            f"record {self.record_id} ({self.prefix}): {INTERRUPTED_WRITE}, or still under way, on {held.holder()[1]} "
            f"since {held.since_words()} (by its clock) — {stored}, its index entry not yet; it holds the claim on "
            f"the scan: if that process has stopped, {finish} finishes it after {held.abandoned_at()}, on "
            f"{held.host} at once"
        )


@dataclass
class DamagedRecord:
    """A record the index lists that cannot be read: its record.json (``key``) is not JSON, or JSON that is no
    record — or its index entry itself is not one (``prefix`` None). Changed or damaged behind the archive's back;
    no check of its files against it is possible. ``BaseArchive.records`` hands these to its caller apart, so that
    one such record is named and the others still listed, audited and exported: one used to end every command that
    read the archive with a pydantic traceback (QA, 2026-12-01)."""

    sha256: str  # the source SHA-256 its index entry is filed under
    key: str  # the object that cannot be read: the record.json, or the index entry
    prefix: str | None  # the record's folder as its index entry names it; None when the index entry is unreadable
    why: str  # what is wrong with it, in English ("not JSON") and in Vietnamese
    why_vi: str
    # the record.json reads, but as another record's: that record, "{id} ({its folder})" (``foreign``; QA58: a
    # folder overwritten with another record's files was shown, exported and listed as that other record, exit 0),
    # or the record.json is not the one its "archived" ledger entry recorded (``changed``, what `sohoa list` marks)
    kind: Literal["unreadable", "foreign", "changed", "missing"] = "unreadable"
    # "changed" only: nothing left to hold the record.json against (its ledger entry gone or edited) — it may be the
    # one archived; else it was shown to differ from the one archived
    unvouched: bool = False
    # "missing": the index lists it, its record.json is gone (``records(missing=…)``: the audit's row for it) — or
    # its whole folder (``why`` FOLDER_GONE: "its record.json is missing" was said of a record with no file left)

    @property
    def record_id(self) -> str:
        return self.sha256[:16]  # what `record_id_for` makes of the source SHA-256

    @property
    def english(self) -> str:
        """The problem line of the audit, the fixity audit and the ledger check (English, naming the object;
        ``flows.ledger_check.problem_in_vietnamese`` says it in Vietnamese by its words)."""
        if self.prefix is None:
            return (
                f"record {self.record_id}: index entry unreadable — {self.key} ({self.why}); the record cannot be "
                "found through it: changed or damaged behind the archive's back"
            )
        if self.kind == "foreign":
            return (
                f"record {self.record_id} ({self.prefix}): its {SIDECAR} is that of record {self.why} — not this "
                "record's, so its files cannot be checked against it: replaced behind the archive's back"
            )
        if self.kind == "changed":  # ``why`` ends with what follows: not the record archived, or nothing vouches
            return f"record {self.record_id} ({self.prefix}): {self.why}"
        if self.kind == "missing" and self.why == FOLDER_GONE:
            return (
                f"record {self.record_id} ({self.prefix}): its folder is gone — {SIDECAR} and every file of the "
                "record (removed by hand); the index still lists the record"
            )
        if self.kind == "missing":
            return (
                f"record {self.record_id} ({self.prefix}): its {SIDECAR} is missing (removed by hand) — the index "
                "lists the record, and its files cannot be checked against it"
            )
        return (
            f"record {self.record_id} ({self.prefix}): {SIDECAR} unreadable ({self.why}) — its files cannot be "
            "checked against a record: changed or damaged behind the archive's back"
        )

    @property
    def vietnamese(self) -> str:
        if self.prefix is None:
            return (
                f"hồ sơ {self.record_id}: mục chỉ mục {self.key} không đọc được ({self.why_vi}), không tìm được hồ sơ "
                "— bị sửa hoặc hỏng ngoài phần mềm"
            )
        if self.kind == "foreign":
            return (
                f"hồ sơ {self.record_id} ({self.prefix}): {SIDECAR} là của hồ sơ {self.why_vi}, không phải của hồ sơ "
                "này, không kiểm tra được các tệp của hồ sơ — bị thay ngoài phần mềm"
            )
        if self.kind == "changed":
            return f"hồ sơ {self.record_id} ({self.prefix}): {self.why_vi}"
        if self.kind == "missing" and self.why == FOLDER_GONE:
            return (
                f"hồ sơ {self.record_id} ({self.prefix}): thư mục của hồ sơ đã mất — {SIDECAR} và mọi tệp của hồ sơ "
                "(bị xóa ngoài phần mềm); chỉ mục vẫn có hồ sơ này"
            )
        if self.kind == "missing":
            return (
                f"hồ sơ {self.record_id} ({self.prefix}): {SIDECAR} bị mất (bị xóa ngoài phần mềm) — chỉ mục vẫn có hồ "
                "sơ này, không kiểm tra được các tệp của hồ sơ"
            )
        return (
            f"hồ sơ {self.record_id} ({self.prefix}): {SIDECAR} không đọc được ({self.why_vi}), không kiểm tra được "
            "các tệp của hồ sơ — bị sửa hoặc hỏng ngoài phần mềm"
        )

    @property
    def words(self) -> str:
        """Vietnamese, then English: what a command says of it."""
        return f"{self.vietnamese} / {self.english} (sohoa audit)"

    def to_json_dict(self) -> dict[str, object]:
        return {
            "record_id": self.record_id,
            "sha256": self.sha256,
            "path": self.prefix,
            "object": self.key,
            "error": self.english,
            "error_vi": self.vietnamese,
        }


def _unreadable(exc: ValueError) -> tuple[str, str]:
    """What is wrong with a record.json pydantic refused, short ((English, Vietnamese)): its own message is many
    lines with a web address, and words such as "missing" that would be taken for a missing file."""
    from pydantic import ValidationError

    errors = exc.errors() if isinstance(exc, ValidationError) else []
    if not errors or any(error["type"] == "json_invalid" for error in errors):
        return "not JSON", "không phải JSON"
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "the whole"
    return (
        f"JSON, but not a record: {len(errors)} error(s), first {where}: {first['msg']}",
        f"là JSON nhưng không phải hồ sơ: {len(errors)} lỗi",
    )


@dataclass
class FinishedWrite:
    """What ``finish_interrupted`` did with one interrupted archive write (``UnfinishedWrite``), or would do
    (``dry_run``): ``finished`` with the index entry and the ledger entries it wrote (``(seq, action)``; seq None in
    a dry run), or not, with the reason in English and in Vietnamese."""

    prefix: str
    record_id: str | None
    finished: bool
    index_entry: str | None = None
    ledger_entries: list[tuple[int | None, str]] = field(default_factory=list)
    reason: str = ""
    reason_vi: str = ""

    def to_json_dict(self) -> dict[str, object]:
        return {
            "path": self.prefix,
            "record_id": self.record_id,
            "finished": self.finished,
            "index_entry": self.index_entry,
            "ledger_entries": [{"seq": seq, "action": action} for seq, action in self.ledger_entries],
            "reason": self.reason or None,
            "reason_vi": self.reason_vi or None,
        }


# the keys of a fixity report's problems that are no record's: objects outside every record, the ledger's
ARCHIVE_PROBLEMS, LEDGER_PROBLEMS = "archive", "ledger"


@dataclass
class FixityReport:
    """What a fixity audit found: every object re-hashed against the SHA-256 recorded for it."""

    records: int = 0
    objects: int = 0
    bytes: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)  # record id → problems
    # records whose "archived" ledger entry holds no record.json SHA-256 (archived by a sohoa from before 2026-11-30
    # 16:38 UTC): a rewrite of their record.json is not detected. Said, not drift (as the full audit says them)
    sidecar_unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def drifted(self) -> list[str]:
        """The records whose objects (or record.json) are at fault: the problems but those of the ledger and of
        objects outside every record (under ``ARCHIVE_PROBLEMS`` and ``LEDGER_PROBLEMS``), which are no drift."""
        return [key for key in self.problems if key not in (ARCHIVE_PROBLEMS, LEDGER_PROBLEMS)]

    def to_json_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "objects": self.objects,
            "bytes": self.bytes,
            "ok": self.ok,
            "problems": self.problems,
            "sidecar_unchecked": self.sidecar_unchecked,
        }


@runtime_checkable
class Archive(Protocol):
    """What the pipeline and the commands use; implemented by LocalArchive and S3Archive."""

    @property
    def location(self) -> str: ...

    def find(self, source_sha256: str) -> Record | None: ...

    def find_as_read(self, source_sha256: str) -> RecordAsRead | None: ...

    def get(self, record_id: str) -> Record | None: ...

    def get_as_read(self, record_id: str) -> RecordAsRead | None: ...

    def records(self, damaged: list[DamagedRecord] | None = None) -> Iterator[Record]: ...

    def records_as_read(self, damaged: list[DamagedRecord] | None = None) -> Iterator[RecordAsRead]: ...

    def put(self, record: Record, files: dict[str, tuple[str, Path]]) -> Record: ...

    def verify_objects(self, record: Record) -> list[str]: ...

    def read_verified(self, record: Record, role: str) -> bytes: ...

    def set_hold(self, record: Record, on: bool, actor: str = ...) -> None: ...

    def delete_record(self, record: Record, actor: str = ..., reason: str = ...) -> None: ...


_INDEX_KEY = re.compile(rf"{re.escape(INDEX_DIR)}/[0-9a-f]{{64}}\.json")
# a record's original whose SHA-256 is not its source's (``BaseArchive.verify_objects``)
NOT_THE_SCAN_DESCRIBED = "not the scan the record describes: its SHA-256 is not the record's source SHA-256"


class BaseArchive(ABC):
    """The shared archive semantics over a backend's object primitives."""

    # The objects the archive itself keeps outside the record folders, by key: anything else there belongs to no
    # record (``stray_objects``). Exact shapes, not "any name beginning with a dot": a file slipped in as
    # `.notes.pdf`, into a folder `.private/` or into `.ledger/` passed the audit unseen. No lock is kept in an
    # archive (the write lock is a file in the temporary folder, the per-content locks are under WORK/.locks/).
    OWN_KEYS: tuple[re.Pattern[str], ...] = (
        _INDEX_KEY,  # the index, one per source SHA-256
        # each is read as a ledger entry, so the ledger check names a forged one (another entry's copy); any other
        # file in the ledger's folder is part of no record
        ENTRY_KEY,
        re.compile(rf"{re.escape(HEADS_DIR)}/[^/]+\.json"),  # each is checked as a day's stamp record
        re.compile(rf"{re.escape(HEADS_DIR)}/\d{{4}}-\d{{2}}-\d{{2}}\.tsr"),  # a token (kept when its record is not)
        # a writer's claim on a scan's record while it writes it (storage.claims; one a killed writer left): its
        # content checked by ``_holds_a_claim``
        CLAIM_KEY,
    )

    retention_table: Mapping[str, int]
    _ledger_head: tuple[int, str] | None = None  # (seq, hash) of the last ledger entry this process wrote
    _ledger_head_day: tuple[int, str] | None = None  # (seq, UTC day) of that entry, for the daily stamp
    tsa_url: str = ""  # RFC 3161 TSA: when set, each finished day's ledger head is timestamped (storage.stamps)
    # How long a whole-archive check waits for a write that looks interrupted to be indexed by a writer on another
    # host, whose write lock this host cannot see (SOHOA_ARCHIVE_SETTLE_SECONDS; 0: one host, no wait)
    other_hosts_settle_seconds: float = 0.0
    # Who this writer is to the others sharing the archive, in the claim it takes on a record (storage.claims): the
    # host by name (for people), and a token of this process's (a process id means nothing in another container)
    host_id: str = socket.gethostname() or "unknown host"
    writer_token: str = uuid.uuid4().hex
    # Whether every writer, on every host, takes the lock ``no_writer`` takes (a folder's own flock; not an S3
    # archive's lock file, which is each host's own): a writer holding it needs no claim to exclude the others
    one_lock_for_all_writers: bool = False

    def __init__(self, retention: Mapping[str, int] | None = None) -> None:
        self.retention_table = dict(retention) if retention else dict(DEFAULT_RETENTION_YEARS)

    # ---- primitives a backend supplies --------------------------------------------------------------
    @property
    @abstractmethod
    def location(self) -> str: ...

    @abstractmethod
    def _write(self, key: str, source: Path | bytes, sha256: str, retain: datetime | None) -> None:
        """Write an object and verify it (read back, re-hash); refuse to replace retained other content."""

    @abstractmethod
    def _read(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""

    @abstractmethod
    def _keys(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix`` in sorted order."""

    @abstractmethod
    def _delete(self, key: str) -> None:
        """Delete an object; RetentionError while retained or held."""

    @abstractmethod
    def _info(self, key: str) -> ObjectInfo | None: ...

    @abstractmethod
    def _set_legal_hold(self, key: str, on: bool) -> None: ...

    @abstractmethod
    def _set_retention(self, key: str, retain: datetime) -> None:
        """Put COMPLIANCE retention until ``retain`` on an existing object (never shortens it)."""

    def _stored_sha256(self, key: str) -> str | None:
        data = self._read(key)
        return None if data is None else sha256_bytes(data)

    @abstractmethod
    def _create(self, key: str, data: bytes, sha256: str, retain: datetime | None) -> None:
        """Write an object only if ``key`` is free: ``ObjectTaken`` when another writer wrote other content there
        first (the same content: done, as a retried write). For the names two hosts may race for — a custody ledger
        entry's number, retained (storage.ledger), a record's claim, not (storage.claims). One atomic step — two
        hosts writing the same sequence number both succeeded, one entry overwriting the other (QA71) —; a backend
        whose write and retention are not one step orders them so that a crash cannot look like a deleted entry
        (storage.local)."""

    # Whether an object's retention is a record sohoa writes beside it (a folder archive's `.retention/`), which
    # anyone with the folder can edit: on an object-locked bucket the server keeps it, and COMPLIANCE retention
    # cannot be shortened, so the ledger's own objects are not asked again there (a HEAD request each)
    retention_in_files: bool = False

    def kept_for_ever_problem(self, key: str, since: datetime | None, newest: bool = False) -> str | None:
        """What is wrong with the retention of ``key``, one of the objects kept for ever (a ledger entry made at
        ``since``, a day's stamp), or None: not retained, or retained less than ``PERMANENT_YEARS`` from ``since``
        (two days' slack; None: only whether it is retained at all). ``newest``: the ledger's newest entry, which a
        process killed between the entry and its retention record leaves unretained (the next writer retains it:
        ``_finish_ledger_head``), is let be without one. Only where retention is kept in files (QA79: a folder's
        `.retention/.ledger/…json` edited or removed passed every check)."""
        if not self.retention_in_files:
            return None
        info = self._info(key)
        if info is None:
            return None  # gone: the chain check names it
        if info.unreadable is not None:
            return f"{RETENTION_UNREADABLE} ({info.unreadable})"
        if info.retain_until is None:
            # only a missing record is what a crash leaves: one holding no date was edited (QA82)
            return None if newest and info.no_retention_record else f"not retained — {LEDGER_RETENTION_SHORTENED}"
        # no later than now: an entry dated in the future is forged, and named so by the disposal rule
        since = min(since, datetime.now(UTC)) if since is not None else None
        if since is not None and info.retain_until < years_after(since, PERMANENT_YEARS) - timedelta(days=2):
            ends = info.retain_until.astimezone(UTC).date().isoformat()
            return f"retained only until {ends} — {LEDGER_RETENTION_SHORTENED}"
        return None

    def _finish_ledger_head(self, key: str, retain: datetime) -> None:
        """Complete the write of the newest ledger entry if a killed process left it unfinished; nothing to do
        where an object and its retention are written in one request (S3)."""
        return None

    def _age(self, key: str) -> float | None:
        """Seconds since the object was stored, by the archive's own clock; None when the backend cannot tell."""
        return None

    def _vanished_keys(self, prefix: str) -> list[str]:
        """Keys under ``prefix`` whose object was written and is gone, as far as the backend can tell (a local
        folder's retention records, an S3 bucket's delete markers); none known by default."""
        return []

    # ---- lookups ------------------------------------------------------------------------------------
    def find(self, source_sha256: str) -> Record | None:
        """The archived record for this source content, or None. DamagedRecordError when its index entry or its
        record.json cannot be read (``DamagedRecord``): the one place every command reads a record through, so
        each of them names it, on both backends."""
        found = self.find_as_read(source_sha256)
        return found.record if found is not None else None

    def find_as_read(self, source_sha256: str) -> RecordAsRead | None:
        """``find``, with the record.json bytes and the "archived" ledger entry number it read on the way
        (``RecordAsRead``): one read of the index entry, one of the record.json."""
        indexed = self._index_entry(source_sha256)
        if indexed is None:
            return None
        prefix, archived_entry = indexed
        sidecar = self._read(f"{prefix}/{SIDECAR}")
        if sidecar is None:
            return None  # gone: the ledger check names it ("no longer in the archive"), the audit its files
        return RecordAsRead(self.parsed_record(source_sha256, prefix, sidecar), sidecar, archived_entry)

    def folder_gone(self, prefix: str) -> bool:
        """Whether nothing is left in a record's folder (its record.json and every file): one listing."""
        return next(iter(self._keys(f"{prefix}/")), None) is None

    def indexed_prefix(self, source_sha256: str) -> str | None:
        """The record folder the index files this source content under, or None when it has no index entry;
        DamagedRecordError when the entry is not one sohoa wrote."""
        indexed = self._index_entry(source_sha256)
        return indexed[0] if indexed is not None else None

    def _index_entry(self, source_sha256: str) -> tuple[str, int | None] | None:
        """What the index entry of this source content says (one read): the record's folder, and the number of its
        "archived" ledger entry (``archived_seq``); None when it has no index entry, DamagedRecordError when the
        entry is not one sohoa wrote."""
        index_key = f"{INDEX_DIR}/{source_sha256}.json"
        raw = self._read(index_key)
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
        except ValueError:  # not JSON (or not UTF-8)
            entry = None
        prefix = entry.get("prefix") if isinstance(entry, dict) else None  # not an object, or no prefix
        if not isinstance(prefix, str) or not prefix:
            raise DamagedRecordError(
                DamagedRecord(source_sha256, index_key, None, "not an index entry", "không phải mục chỉ mục")
            )
        return prefix, _archived_entry_number(entry)

    @staticmethod
    def parsed_record(source_sha256: str, prefix: str, sidecar: bytes) -> Record:
        """The record a record.json (``sidecar``, in ``prefix``) holds, checked to be the one asked for: its id and
        scan those of ``source_sha256``, its folder ``prefix`` (which ends in its id). DamagedRecordError, saying
        why, when it holds none, or another record (``DamagedRecord.kind`` "foreign"): the one place a record is
        read from its folder (``find``, and through it ``get``, ``records``; `verify --archive`), so that a folder
        overwritten with another record's files is that record's damage everywhere — it was shown, exported and
        listed twice as the other record, exit 0 (QA58)."""
        key = f"{prefix}/{SIDECAR}"
        try:
            record = Record.model_validate_json(sidecar)
        except ValueError as exc:  # pydantic's ValidationError is one; so is bytes that are not UTF-8
            why, why_vi = _unreadable(exc)
            raise DamagedRecordError(DamagedRecord(source_sha256, key, prefix, why, why_vi)) from None
        if not is_own_record(record, source_sha256, prefix):
            other = f"{record.id} ({record.archive_prefix})"
            raise DamagedRecordError(DamagedRecord(source_sha256, key, prefix, other, other, kind="foreign"))
        return record

    def get(self, record_id: str) -> Record | None:
        """The record with this id (the first 16 hex digits of its source SHA-256; a longer prefix works too)."""
        found = self.get_as_read(record_id)
        return found.record if found is not None else None

    def indexed_sha256s(self, start: str = "") -> Iterator[str]:
        """The source SHA-256 of each record the index lists (its ``.by-sha256`` entries) that begins with
        ``start``, in order: the listing alone, nothing read. The one reading of an index key: `list`, `get`, the
        whole-archive verification and the rescan each parsed it themselves."""
        for key in self._keys(f"{INDEX_DIR}/{start}"):
            # an index entry is named by a SHA-256 (``OWN_KEYS``): another file there belongs to no record, and the
            # audit names it so once — it was a record of its own too, "zzz (None)", counted (QA94)
            if _INDEX_KEY.fullmatch(key):
                yield key.rsplit("/", 1)[-1].removesuffix(".json")

    def get_as_read(self, record_id: str) -> RecordAsRead | None:
        """``get``, with what it read on the way (``find_as_read``). AmbiguousRecordIdError when ``record_id`` begins
        the source SHA-256 of more than one record the index lists."""
        record_id = record_id.strip().lower()
        if len(record_id) < 8:
            return None
        matching = [sha for sha in self.indexed_sha256s(record_id[:16]) if sha.startswith(record_id)]
        if len(matching) > 1:
            raise AmbiguousRecordIdError(record_id, [sha if len(record_id) >= 16 else sha[:16] for sha in matching])
        for sha in matching:
            found = self.find_as_read(sha)
            if found is None and (gone := self.gone_record(sha)) is not None:
                # the index lists it, its record.json (or whole folder) is gone: as `list` names it, not "not in the
                # archive" (QA66)
                raise DamagedRecordError(gone)
            return found
        return None

    def gone_record(self, source_sha256: str) -> DamagedRecord | None:
        """A record the index lists whose record.json is gone — its whole folder, or that file alone — as a
        ``DamagedRecord`` (kind "missing"); None when the index does not list it."""
        prefix = self.indexed_prefix(source_sha256)
        if prefix is None:
            return None
        why, why_vi = (FOLDER_GONE, "thư mục đã mất") if self.folder_gone(prefix) else ("missing", "bị mất")
        return DamagedRecord(source_sha256, f"{prefix}/{SIDECAR}", prefix, why, why_vi, kind="missing")

    def records(
        self, damaged: list[DamagedRecord] | None = None, missing: list[DamagedRecord] | None = None
    ) -> Iterator[Record]:
        """Every record the index lists. One that cannot be read is appended to ``damaged`` and left out, so that
        the caller names it and goes on with the others; without ``damaged`` it ends the listing
        (DamagedRecordError): a caller that does not say it must not pass a shorter listing for the whole.
        ``missing``: gets each record whose index entry is there and whose record.json is gone (kind "missing"),
        for the audit's row (left out silently otherwise: the ledger check names it as no longer in the archive)."""
        for found in self.records_as_read(damaged, missing):
            yield found.record

    def records_as_read(
        self, damaged: list[DamagedRecord] | None = None, missing: list[DamagedRecord] | None = None
    ) -> Iterator[RecordAsRead]:
        """``records``, each with what was read on the way (``find_as_read``): for a caller that checks the
        record.jsons against the ledger (``storage.ledger.unchanged_records``) without reading them again."""
        for sha in self.indexed_sha256s():
            try:
                found = self.find_as_read(sha)
            except DamagedRecordError as exc:
                if damaged is None:
                    raise
                damaged.append(exc.damaged)
                continue
            if found is not None:
                yield found
            elif missing is not None and (gone := self.gone_record(sha)) is not None:
                missing.append(gone)

    # ---- writes -------------------------------------------------------------------------------------
    def put(self, record: Record, files: dict[str, tuple[str, Path]]) -> Record:
        """Archive ``files`` ({role: (file name, local path)}) with the record's sidecar; idempotent.

        Returns the archived record (the existing one when this source was archived before).
        """
        from storage.claims import claim_record, release

        existing = self.find(record.source.sha256)
        if existing is None:
            # only the writer holding the scan's claim writes its folder: a host archiving the same scan in the same
            # second wrote the record a second time over the first (storage.claims)
            claimed = claim_record(self, record)
            if not isinstance(claimed, Record):
                try:
                    return self._put_claimed(record, files)
                finally:
                    release(self, claimed)
            existing = claimed
        existing._found_archived = True  # whole, by another process or host, while this one worked on it
        return existing

    def _put_claimed(self, record: Record, files: dict[str, tuple[str, Path]]) -> Record:
        """``put``'s writes, by the writer that holds the scan's claim."""
        from storage.ledger import Ledger

        prefix = record_prefix(record)
        sidecar_key = f"{prefix}/{SIDECAR}"
        raw = self._read(sidecar_key)
        if raw is not None:
            # a previous run crashed after writing the sidecar but before indexing it: adopt it
            try:
                adopted: Record | None = Record.model_validate_json(raw)
            except ValueError:  # not adoptable: written again below (refused while retained: RetentionError)
                adopted = None
            if (
                adopted is not None
                and adopted.source.sha256 == record.source.sha256
                and not self.verify_objects(adopted)
            ):
                self._finish_write(adopted, raw)
                return adopted
        doc_type = record.classification.doc_type if record.classification else None
        retain = retain_until(doc_type, self.retention_table)
        objects: list[StoredObject] = []
        # Objects and sidecar are written without retention, which is set only once the sidecar is there: an
        # interrupted put (no sidecar) leaves nothing retained, so the rerun can replace its objects (a rerun
        # signs again, so document.pdf differs); with a sidecar, the rerun adopts the record above.
        try:
            for role, (name, source) in files.items():
                key = f"{prefix}/{name}"
                try:
                    data = source.read_bytes()
                except OSError as exc:
                    raise ArchiveUnavailableError(f"record {record.id}: cannot read {source}: {exc}") from exc
                digest = sha256_bytes(data)
                self._write(key, data, digest, None)
                objects.append(StoredObject(role=role, key=key, sha256=digest, size=len(data)))
            record.objects = objects
            record.archive_prefix = prefix
            record.state = RecordState.ARCHIVED
            record.add_event(
                "archived",
                f"sohoa {type(self).__name__}",
                f"{self.location}/{prefix}; retained until {retain.date().isoformat()} (COMPLIANCE)",
            )
            sidecar = record.to_json().encode("utf-8")
            self._write(sidecar_key, sidecar, sha256_bytes(sidecar), None)
        except (ArchiveUnavailableError, ArchiveIntegrityError):
            # a write that failed (a full disk, the server gone) before the sidecar: take back what this put wrote,
            # none of it retained yet — QA: a put failing on a full archive disk left its files there (~2 MB of a
            # 3 MB disk), keeping the disk full until a rerun replaced them. Best effort: the rerun replaces
            # whatever stays, and the audit names it meanwhile as an interrupted write.
            for stored in objects:
                with contextlib.suppress(Exception):
                    self._delete(stored.key)
            raise
        for key in self.record_keys(record):
            self._set_retention(key, retain)
        entries = Ledger(self).append_record_events(record, sidecar_sha256=sha256_bytes(sidecar))
        self._write_index(record, _archived_seq(entries))
        return record

    def _finish_write(
        self, adopted: Record, sidecar: bytes, written: list[dict[str, Any]] | None = None
    ) -> list[dict[str, object]]:
        """What the end of a ``put`` writes, for a record whose folder (files read back, record.json ``sidecar``)
        a killed put left: the retention (the crash may have come before it was set), the ledger entries not
        written yet (before the first of them, or part-way through), then the index entry. The caller has checked
        that the files match the record.json; ``written``: the record's ledger entries, when it has read them.
        Returns the ledger entries written."""
        from storage.ledger import Ledger

        adopted_type = adopted.classification.doc_type if adopted.classification else None
        for key in self.record_keys(adopted):
            self._set_retention(key, retain_until(adopted_type, self.retention_table))
        ledger = Ledger(self)
        if written is None:
            written = ledger.excerpt(adopted.id)
        appended: list[dict[str, object]] = []
        if not any(e.get("action") == "archived" for e in written):
            appended = ledger.append_record_events(adopted, sidecar_sha256=sha256_bytes(sidecar), written=written)
        self._write_index(adopted, _archived_seq([*written, *appended]))
        return appended

    def _write_index(self, record: Record, archived_seq: int | None = None) -> None:
        """The index entry: the record's folder, and the number of its "archived" ledger entry (``archived_seq``),
        so a read finds the SHA-256 of its record.json in one read, not a pass over the whole ledger."""
        assert record.archive_prefix is not None
        entry: dict[str, object] = {"prefix": record.archive_prefix, "id": record.id}
        if archived_seq is not None:
            entry["archived_entry"] = archived_seq
        body = json.dumps(entry, ensure_ascii=False).encode()
        self._write(f"{INDEX_DIR}/{record.source.sha256}.json", body, sha256_bytes(body), None)

    def archived_seq(self, record: Record) -> int | None:
        """The number of the record's "archived" ledger entry as its index entry gives it; None for records indexed
        before 2026-12-01 (or an index entry without it). Only where to look: ``Ledger.archived_entry`` checks that
        the entry there is that record's."""
        raw = self._read(f"{INDEX_DIR}/{record.source.sha256}.json")
        try:
            return _archived_entry_number(json.loads(raw)) if raw is not None else None
        except ValueError:
            return None

    def sidecar_differs(self, prefix: str, expected: object) -> bool:
        """Whether the record.json in ``prefix`` (read here) is not the one whose SHA-256 an "archived" ledger entry
        recorded (``sidecar_differs_from``)."""
        return expected is not None and sidecar_differs_from(self._read(f"{prefix}/{SIDECAR}"), expected)

    def read_sidecar_verified(self, record: Record, archived_entry: Mapping[str, object] | None) -> bytes:
        """The record's record.json as stored, checked against the SHA-256 its "archived" ledger entry holds
        (``checked_sidecar``)."""
        assert record.archive_prefix is not None
        raw = self._read(f"{record.archive_prefix}/{SIDECAR}")
        if raw is None:
            raise ArchiveIntegrityError(f"record {record.id}: {record.archive_prefix}/{SIDECAR} is missing")
        return self.checked_sidecar(record, raw, archived_entry)

    @staticmethod
    def checked_sidecar(record: Record, raw: bytes, archived_entry: Mapping[str, object] | None) -> bytes:
        """``raw``, the record's record.json as stored, checked against the SHA-256 its "archived" ledger entry holds
        (``Ledger.archived_entry``; records archived before 2026-11-30 have none, and are not checked):
        ArchiveIntegrityError when it was rewritten since."""
        expected = archived_entry.get("sidecar_sha256") if archived_entry is not None else None
        if sidecar_differs_from(raw, expected):
            seq = archived_entry.get("seq") if archived_entry else "?"
            raise RecordChangedError(
                f"hồ sơ {record.id} ({record.archive_prefix}): {SIDECAR} đã bị sửa sau khi lưu trữ (mã SHA-256 khác "
                f"mục sổ nhật ký {seq})",
                f"record {record.id} ({record.archive_prefix}): {SIDECAR} changed since it was archived (its SHA-256 "
                f"is not the one ledger entry {seq} recorded)",
            )
        return raw

    # ---- integrity ----------------------------------------------------------------------------------
    def verify_objects(self, record: Record) -> list[str]:
        """Problems found re-hashing every stored object of the record (empty list when all match), and objects in
        its folder that are no part of it (put there behind the archive's back)."""
        added, problems = self._added(record)
        for stored in [*record.objects, *added]:
            digest = self._stored_sha256(stored.key)
            if digest is None:
                problems.append(f"{stored.key}: missing")
            elif digest != stored.sha256:
                problems.append(f"{stored.key}: SHA-256 differs from the one recorded")
        for stored in record.objects:
            if stored.role == "original" and stored.sha256 != record.source.sha256:
                # the scan kept is not the one the record describes, read and classified (QA94: an inbox file
                # rewritten while a batch processed it was archived as another paper's original, every check passing)
                problems.append(f"{stored.key}: {NOT_THE_SCAN_DESCRIBED} ({record.source.sha256})")
        if record.archive_prefix is not None:
            known = set(self.record_keys(record))
            problems += [
                f"{key}: not part of the record (added behind the archive's back)"
                for key in self._keys(f"{record.archive_prefix}/")
                if key not in known
            ]
        return problems

    def read_verified(self, record: Record, role: str) -> bytes:
        # objects added after archiving are listed only when the sidecar does not name the role
        named = [o for o in record.objects if o.role == role]
        for stored in named or [o for o in self.added_objects(record) if o.role == role]:
            if stored.role == role:
                data = self._read(stored.key)
                if data is None:
                    raise ArchiveIntegrityError(f"record {record.id}: {stored.key} is missing")
                if sha256_bytes(data) != stored.sha256:
                    raise ArchiveIntegrityError(
                        f"hồ sơ {record.id}: {stored.key} không khớp mã SHA-256 đã ghi khi lưu trữ / record "
                        f"{record.id}: {stored.key}: SHA-256 mismatch"
                    )
                return data
        raise KeyError(f"record {record.id} has no {role} object")

    def outside_records(
        self,
        records: Iterable[Record],
        damaged: Iterable[DamagedRecord] = (),
        *,
        settle: bool = True,
        other_hosts: bool = True,
    ) -> tuple[list[UnfinishedWrite], list[str]]:
        """What the archive holds outside every listed record's folder besides its own objects (``OWN_KEYS``: the
        index, the ledger, its stamps; a local folder's retention records): the record folders an interrupted
        ``put`` left (``UnfinishedWrite``), and the keys of every other object. The folders of ``damaged`` records
        (``records(damaged)``) are theirs, already named as such: not objects of no record, nor interrupted
        writes (for one whose index entry is unreadable, the record folder that ends in its id).

        A put under way looks like an interrupted one until it writes its index entry: an audit run beside a
        nightly batch said "ATTENTION, 2 interrupted archive writes", exit 1 (QA69). So when any is found, it is
        looked for again once no sohoa process on this host is writing to the archive (``settle``: the lock each
        put holds, ``no_writer``; a few seconds at most), and a record indexed meanwhile is left out: archived
        while this looked, not interrupted. ``settle`` False for a caller that holds that lock itself. A writer on
        another host sharing the archive holds no lock this host sees (an audit beside another host's nightly batch
        said "interrupted write" of a record being put): with ``other_hosts``, a write still unindexed is looked at
        again every second for up to ``other_hosts_settle_seconds`` (SOHOA_ARCHIVE_SETTLE_SECONDS, for archives
        several hosts write; only when one is left; ``other_hosts`` False: not)."""
        records, damaged = list(records), list(damaged)
        unfinished, stray = self._outside_records(records, damaged)
        if unfinished and settle:
            with self.no_writer():
                unfinished, stray = self._outside_records(records, damaged)
        left = [write for write in unfinished if not self.indexed_meanwhile(write)]
        if left and settle and other_hosts:
            started = time.monotonic()
            while left and self._still_waiting(left, time.monotonic() - started):
                time.sleep(min(1.0, self.other_hosts_settle_seconds or 1.0))
                left = [write for write in left if not self.indexed_meanwhile(write)]
            if not self.one_lock_for_all_writers:
                from storage.claims import claim_of_another

                for write in left:
                    write.held = claim_of_another(self, write.record_id)
        return left, stray

    def _still_waiting(self, writes: list[UnfinishedWrite], waited: float) -> bool:
        """Whether a whole-archive check waits on for ``writes`` to be indexed by a writer this host's lock does
        not see, after ``waited`` seconds: for ``other_hosts_settle_seconds``, and up to ``CLAIMED_WRITE_WAIT``
        while another writer holds the claim on one of their scans (storage.claims) — a put under way, which ends
        in seconds; without the setting, a claim is all a put on another host shows."""
        from storage.claims import CLAIMED_WRITE_WAIT, claim_of_another

        if waited < self.other_hosts_settle_seconds:
            return True
        if self.one_lock_for_all_writers:  # its writers were waited for by their lock (``settle``)
            return False
        return waited < CLAIMED_WRITE_WAIT and any(claim_of_another(self, write.record_id) for write in writes)

    def no_writer(self) -> contextlib.AbstractContextManager[None]:
        """Held while no sohoa process on this host writes to this archive: the lock every put, renewal and ledger
        entry is written under (``flows.pipeline.archive_write_lock``). Never taken by a process that holds it (an
        ``flock`` taken twice by one process waits for itself)."""
        from sohoa.fsutil import archive_host_lock

        return archive_host_lock(self.location)

    def holds_record(self, record_id: str) -> bool:
        """Whether the archive holds the record ``record_id`` whole now — listed by the index, its record.json
        there and readable: for a whole-archive check to tell a record archived while it looked from one gone (one
        whose record.json or folder went, its index entry left, is gone)."""
        try:
            return self.get_as_read(record_id) is not None
        except ArchiveIntegrityError:  # its record.json or folder gone, or not its own
            return False
        except AmbiguousRecordIdError:  # two records whose ids begin so: it holds one
            return True

    def indexed_meanwhile(self, write: UnfinishedWrite) -> bool:
        """Whether the index now files ``write``'s record under its folder: a put that ended after the listing."""
        if write.record is None:
            return False
        try:
            return self.indexed_prefix(write.record.source.sha256) == write.prefix
        except DamagedRecordError:
            return False

    def _outside_records(
        self, records: list[Record], damaged: list[DamagedRecord]
    ) -> tuple[list[UnfinishedWrite], list[str]]:
        folders = {record.archive_prefix for record in records if record.archive_prefix}
        folders |= {d.prefix for d in damaged if d.prefix}
        lost = {d.record_id for d in damaged if d.prefix is None}
        loose: dict[str, list[str]] = {}  # a record-shaped folder outside the listing → its keys
        stray: list[str] = []
        for key in self._keys(""):
            if (claim := CLAIM_KEY.fullmatch(key)) is not None and not self._holds_a_claim(claim):
                stray.append(key)  # of a claim's name, not its content (QA73: a PDF there passed the audit)
                continue
            if any(own.fullmatch(key) for own in self.OWN_KEYS):
                continue
            parents = key.split("/")[:-1]
            if any("/".join(parents[:depth]) in folders for depth in range(1, len(parents) + 1)):
                continue
            if lost and _RECORD_FOLDER.fullmatch("/".join(parents[:3])) and parents[2].rsplit("--", 1)[1] in lost:
                continue
            folder = "/".join(parents)
            if _RECORD_FOLDER.fullmatch(folder):
                loose.setdefault(folder, []).append(key)
            else:
                stray.append(key)
        unfinished: list[UnfinishedWrite] = []
        for folder, keys in loose.items():
            write = self._unfinished_write(folder, keys)
            if write is None:
                stray += keys
            else:
                unfinished.append(write)
        return unfinished, sorted(stray)

    def _holds_a_claim(self, name: re.Match[str]) -> bool:
        """Whether the object of a claim's name (``name``: its key matched by ``CLAIM_KEY``) reads as a writer's
        claim (storage.claims): one read."""
        from storage.claims import parsed_claim

        raw = self._read(name.string)
        if raw is None:  # gone meanwhile: released
            return True
        return len(raw) <= MAX_CLAIM_BYTES and parsed_claim(name["sha"], int(name["generation"]), raw) is not None

    def _unfinished_write(self, folder: str, keys: list[str]) -> UnfinishedWrite | None:
        """The folder as ``put`` leaves it when killed before the index entry, or None when it is not that: its
        record.json is this folder's record, or (no record.json) none of its objects was ever retained — a put
        retains only after its record.json, while a record's folder whose record.json was deleted keeps its
        retained files."""
        if f"{folder}/{SIDECAR}" in keys:
            try:
                record = Record.model_validate_json(self._read(f"{folder}/{SIDECAR}") or b"")
            except ValueError:
                return None
            if record.archive_prefix != folder or not folder.endswith(f"--{record.id}"):
                return None
            return UnfinishedWrite(folder, keys, record, damaged=self.verify_objects(record))
        for key in keys:
            info = self._info(key)
            if info is None or info.retain_until is not None or info.legal_hold:
                return None
        return UnfinishedWrite(folder, keys)

    def finish_interrupted(
        self, dry_run: bool = False, damaged: list[DamagedRecord] | None = None
    ) -> list[FinishedWrite]:
        """Finish every archive write a killed ``put`` left (``outside_records``) as its rerun would, without the
        scan: for a folder whose record.json is its own and whose files all match it, what the end of a put
        writes (``_finish_write``: retention, the ledger entries missing, the index entry). Anything else is
        refused, never adopted (``_not_finishable``). ``dry_run``: only say what would be written. The caller
        holds the archive's write lock (a put in progress looks the same until it is done). ``damaged``: as for
        ``records``; such a record is no interrupted write, and its folder is left as it is."""
        from storage.claims import ArchiveBusyError, claim_record, refuse_if_claimed, release
        from storage.ledger import Ledger, excerpts_of

        ledger = Ledger(self)
        done: list[FinishedWrite] = []
        found: list[DamagedRecord] = [] if damaged is None else damaged
        records = list(self.records(found))
        if found and damaged is None:
            raise DamagedRecordError(found[0])
        writes = self.outside_records(records, found, settle=False)[0]  # its caller holds the write lock
        # the entries of every record found, in one pass over the ledger (not one excerpt per record: it is long)
        ids = [w.record.id for w in writes if w.record is not None]
        excerpts = excerpts_of((entry for _, entry in ledger.entries()) if ids else (), ids)
        for write in writes:
            record = write.record
            written = excerpts[record.id] if record is not None else []
            sidecar = (self._read(f"{write.prefix}/{SIDECAR}") or b"") if record is not None else b""
            refusal = self._not_finishable(write, written, sidecar)
            if record is None or refusal is not None:
                reason, reason_vi = refusal or ("", "")
                rid = record.id if record else None
                done.append(FinishedWrite(write.prefix, rid, False, reason=reason, reason_vi=reason_vi))
                continue
            # a put under way on another host looks the same as a killed one (the write lock is per host): finished
            # by that host, and this one's finish must not write the record's ledger entries a second time
            try:
                claimed: Claim | Record | None = None
                if dry_run:
                    refuse_if_claimed(self, record)
                else:
                    claimed = claim_record(self, record, wait=0)
            except ArchiveBusyError as busy:
                reason, reason_vi = f"{busy.en}: left to it", f"{busy.vi}: để máy đó hoàn tất"
                done.append(FinishedWrite(write.prefix, record.id, False, reason=reason, reason_vi=reason_vi))
                continue
            if isinstance(claimed, Record):
                continue  # indexed meanwhile by its own put
            index_key = f"{INDEX_DIR}/{record.source.sha256}.json"
            if claimed is None:  # a dry run
                missing = (
                    []
                    if any(e.get("action") == "archived" for e in written)
                    else ledger.missing_record_events(record, written)
                )
                done.append(FinishedWrite(write.prefix, record.id, True, index_key, [(None, a) for a, _ in missing]))
                continue
            try:
                entries = self._finish_write(record, sidecar, written)
            finally:
                release(self, claimed)
            done.append(
                FinishedWrite(
                    write.prefix,
                    record.id,
                    True,
                    index_key,
                    [(int(str(e["seq"])), str(e["action"])) for e in entries],
                )
            )
        return done

    def _not_finishable(
        self, write: UnfinishedWrite, written: list[dict[str, Any]], sidecar: bytes
    ) -> tuple[str, str] | None:
        """Why ``finish_interrupted`` must not adopt this folder as an archived record ((English, Vietnamese)), or
        None when it is what a killed put leaves: its own record.json (``_unfinished_write``; ``sidecar``, its
        bytes), every file read back against it, nothing in the index or the ledger (``written``, the record's
        entries) saying otherwise."""
        record = write.record
        if record is None:
            return (
                f"{write.prefix}: {INTERRUPTED_WRITE} before its record.json ({len(write.keys)} file(s), never "
                "retained): nothing says what the record is — rerun the batch with its scan to finish it",
                f"{write.prefix}: lưu bị gián đoạn trước khi ghi record.json, không biết đây là hồ sơ nào — chạy lại "
                "lô với bản quét đó",
            )
        where = f"record {record.id} ({write.prefix})"
        if write.damaged:
            return (
                f"{where}: its files no longer match its record.json ({'; '.join(write.damaged)}) — changed after "
                "they were written (a put reads back every file before its record.json), so no interrupted write: "
                "not adopted. Investigate it as damage or tampering (`sohoa audit` names each file); rerunning the "
                "batch with its scan cannot replace the files either while they are retained",
                f"hồ sơ {record.id}: tệp không còn khớp record.json (bị thay đổi sau khi ghi) — không nhận vào kho; "
                "cần điều tra như hư hỏng hoặc can thiệp trái phép (sohoa audit nêu từng tệp); chạy lại lô với bản "
                "quét cũng không thay được tệp đang được lưu giữ",
            )
        sha = record.source.sha256
        if record.id != sha[:16]:
            return (
                f"{where}: its record.json's id is not that of its scan (SHA-256 {sha}): not written by sohoa, "
                "not adopted",
                f"hồ sơ {record.id}: mã hồ sơ trong record.json không khớp bản quét — không do sohoa ghi, không nhận",
            )
        raw = self._read(f"{INDEX_DIR}/{sha}.json")
        if raw is not None:
            try:
                other = str(json.loads(raw).get("prefix"))
            except (ValueError, AttributeError):
                other = "an unreadable index entry"
            return (
                f"{where}: a duplicate — its scan (SHA-256 {sha}) is already archived as {other}; this folder is "
                "a second copy of it, not adopted (nothing to finish)",
                f"hồ sơ {record.id}: bản trùng — bản quét này đã được lưu tại {other}; không nhận bản thứ hai",
            )
        taken = [key for key in self._keys(f"{INDEX_DIR}/{record.id}") if key != f"{INDEX_DIR}/{sha}.json"]
        if taken:
            return (
                f"{where}: its id is already indexed for another scan ({', '.join(taken)}): not adopted",
                f"hồ sơ {record.id}: mã hồ sơ đã có trong chỉ mục cho bản quét khác — không nhận",
            )
        archived = [e for e in written if e.get("action") == "archived"]
        if archived and archived[-1].get("sidecar_sha256") not in (None, sha256_bytes(sidecar)):
            return (
                f"{where}: its {SIDECAR} is not the one ledger entry {archived[-1].get('seq')} recorded as archived "
                "— changed since: not adopted",
                f"hồ sơ {record.id}: record.json đã bị sửa sau khi sổ nhật ký ghi việc lưu — không nhận",
            )
        return None

    def stray_objects(self, records: Iterable[Record], damaged: Iterable[DamagedRecord] = ()) -> list[str]:
        """Problems with what lies outside every listed record's folder (``outside_records``; ``damaged``, the
        records that could not be read, have their folders too): objects put there behind the archive's back, at
        its root or in any other folder, and interrupted archive writes — those whose record the ledger says was
        archived are the ledger check's to name (``Ledger.verify``). An object slipped *into* a record's folder is
        ``verify_objects``'s to name. Last, files that two records hold byte for byte (``shared_objects``)."""
        from storage.ledger import Ledger

        records = list(records)
        unfinished, stray = self.outside_records(records, damaged)
        problems: list[str] = []
        for key in stray:
            folder = key.rpartition("/")[0]
            if _RECORD_FOLDER.fullmatch(folder) and f"{folder}/{SIDECAR}" not in stray:
                # retained files of a record whose record.json went (an unretained set is an interrupted write)
                problems.append(f"{key}: in a record's folder whose record.json is missing (removed by hand)")
            else:
                problems.append(f"{key}: in the archive but part of no record (added behind the archive's back)")
        archived = Ledger(self).archived_entries() if any(w.record for w in unfinished) else {}
        for write in unfinished:
            if write.record is None or write.record.id not in archived:
                problems.append(write.problem())
            problems += write.damaged
        ids = {record.id for record in records}
        others = [w.record for w in unfinished if w.record is not None and w.record.id not in ids]
        return problems + shared_objects([*records, *others])

    def fixity_audit(self) -> FixityReport:
        """Re-hash every object of every record, and check the ledger chain; report any drift. A record whose
        record.json (or index entry) cannot be read is drift under its id, the others are checked all the same."""
        from storage.ledger import Ledger, retention_owed

        report = FixityReport()
        damaged: list[DamagedRecord] = []
        missing: list[DamagedRecord] = []
        found = list(self.records_as_read(damaged, missing))
        records = [read.record for read in found]
        if stray := self.stray_objects(records, damaged):
            report.problems[ARCHIVE_PROBLEMS] = stray
        # the ledger checked first, in one pass that also gives the custody entries the retention is held against
        # (they were read in a second pass over the whole ledger); its problems are filed after the records'
        custody: list[dict[str, Any]] = []
        ledger_problems = Ledger(self).verify(
            records=records,
            damaged=damaged,
            unchecked=report.sidecar_unchecked,
            indexed=indexed_entries(found),
            custody_out=custody,
        )
        owed = retention_owed(custody)
        for record in records:
            report.records += 1
            report.objects += len(record.objects)
            report.bytes += sum(o.size for o in record.objects)
            problems = self.verify_objects(record)
            problems += self.retention_problems(record, owed.get(record.id), problems)
            if problems:
                report.problems[record.id] = problems
        for lost in [*damaged, *missing]:  # a record all the same: drift, as none of its files can be checked
            report.records += 1
            report.problems[lost.record_id] = [lost.english]
        for problem in ledger_problems:
            # a record.json rewritten since archiving is its record's drift, as the full audit's row says (QA74: it
            # was "ATTENTION (the ledger, or objects outside every record)" here); a record whose "archived" entry
            # went is unvouched, no drift (QA72), and the chain's own problems are the ledger's
            about = record_of_problem(problem)
            drift = about is not None and SIDECAR_REWRITTEN in problem and about not in report.problems
            report.problems.setdefault(about if about and drift else LEDGER_PROBLEMS, []).append(problem)
        return report

    # ---- retention and hold -------------------------------------------------------------------------
    def record_keys(self, record: Record) -> list[str]:
        assert record.archive_prefix is not None
        manifests = list(self._keys(f"{record.archive_prefix}/{ADDED_DIR}/"))  # objects added after archiving
        added = manifests + [o.key for o in self._added(record)[0]] if manifests else []
        return [o.key for o in record.objects] + [f"{record.archive_prefix}/{SIDECAR}"] + added

    # ---- objects added to an archived record ----------------------------------------------------------
    def _added(self, record: Record) -> tuple[list[StoredObject], list[str]]:
        """Objects added after archiving (oldest first), and problems with their manifests."""
        if record.archive_prefix is None:
            return [], []
        found: list[tuple[str, StoredObject]] = []
        problems: list[str] = []
        for key in self._keys(f"{record.archive_prefix}/{ADDED_DIR}/"):
            try:
                manifest = json.loads(self._read(key) or b"")
                found.append((str(manifest["added_at"]), StoredObject.model_validate(manifest["object"])))
            except (ValueError, KeyError, TypeError):
                problems.append(f"{key}: unreadable manifest of an added object")
        return [stored for _, stored in sorted(found, key=lambda item: item[0])], problems

    def added_objects(self, record: Record) -> list[StoredObject]:
        """Objects added to the record after it was archived (e.g. renewed B-LTA documents), oldest first."""
        return self._added(record)[0]

    def add_object(
        self,
        record: Record,
        role: str,
        name: str,
        data: bytes,
        *,
        action: str,
        actor: str = "sohoa",
        tool: str = "sohoa",
        detail: str = "",
    ) -> StoredObject:
        """Add an object to an archived record without changing anything already there (retained objects and
        the sidecar stay as they are): the object, then its manifest ``added/{name}.json``, both retained like
        the sidecar (and held when it is), then a ledger entry ``action``. Refuses a name already taken."""
        from storage.ledger import Ledger

        assert record.archive_prefix is not None
        key = f"{record.archive_prefix}/{name}"
        if self._info(key) is not None or any(o.key == key for o in record.objects):
            raise FileExistsError(f"{key}: already in the archive")
        sidecar = self._info(f"{record.archive_prefix}/{SIDECAR}")
        doc_type = record.classification.doc_type if record.classification else None
        retain = sidecar.retain_until if sidecar and sidecar.retain_until else None
        retain = retain or retain_until(doc_type, self.retention_table)
        digest = sha256_bytes(data)
        self._write(key, data, digest, retain)
        stored = StoredObject(role=role, key=key, sha256=digest, size=len(data))
        manifest_key = f"{record.archive_prefix}/{ADDED_DIR}/{name}.json"
        manifest = json.dumps(
            {"added_at": datetime.now(UTC).isoformat(), "action": action, "object": stored.model_dump()},
            ensure_ascii=False,
        ).encode("utf-8")
        self._write(manifest_key, manifest, sha256_bytes(manifest), retain)
        if sidecar is not None and sidecar.legal_hold:
            for held in (key, manifest_key):
                self._set_legal_hold(held, True)
        Ledger(self).append(action, record.id, actor=actor, tool=tool, detail=f"{key} sha256 {digest}; {detail}")
        return stored

    def set_hold(self, record: Record, on: bool, actor: str = "sohoa") -> None:
        """Legal hold on (or off) every object of the record; recorded in the custody ledger."""
        from storage.ledger import Ledger

        for key in self.record_keys(record):
            self._set_legal_hold(key, on)
        Ledger(self).append(
            "held" if on else "released", record.id, actor=actor, detail=f"legal hold {'on' if on else 'off'}"
        )

    def retention_problems(self, record: Record, owed: RetentionOwed | None, fixity: Iterable[str] = ()) -> list[str]:
        """A problem line for each object of the record whose retention ends before the day its "archived" ledger
        entry recorded (or that has none), or that is not under the legal hold the ledger has on the record
        (``owed``: ``storage.ledger.retention_owed``; None: the ledger holds nothing of it, said elsewhere). An
        object-locked bucket refuses to shorten either; a folder archive's ``.retention/`` records are files: one
        edited or removed let a retained record be deleted, and no check named it (QA76). ``fixity``: the record's
        ``verify_objects`` lines; an object they name is not looked at — on S3 one replaced behind the archive's
        back is a newer version, unretained: its problem is that it is not the object archived."""
        if owed is None or record.archive_prefix is None:
            return []
        changed = {line.partition(": ")[0] for line in fixity}
        problems: list[str] = []
        for key in self.record_keys(record):
            if key in changed:
                continue
            info = self._info(key)
            if info is None:
                continue  # missing: the fixity check names it
            if info.unreadable is not None:
                # not read is not shown shortened: said as what it is (QA79: a damaged record crashed the audit;
                # an S3 key without the right to read an object lock accused every object of tampering)
                problems.append(f"{key}: {RETENTION_UNREADABLE} ({info.unreadable})")
                continue
            ends = info.retain_until.astimezone(UTC).date().isoformat() if info.retain_until else None
            if owed.until is not None and (ends is None or ends < owed.until):
                problems.append(
                    f"{key}: {f'retained only until {ends}' if ends else 'not retained'} — ledger entry "
                    f"{owed.archived_by} retains its record until {owed.until}: {RETENTION_SHORTENED}"
                )
            if owed.held_by is not None and not info.legal_hold:
                problems.append(
                    f"{key}: not under legal hold — ledger entry {owed.held_by} put its record under one, never "
                    f"released: {HOLD_REMOVED}"
                )
            if owed.held_by is None and info.legal_hold:
                # who held it and when is the ledger's to say: a hold with no entry went unnoticed (QA98)
                problems.append(f"{key}: under {HOLD_UNRECORDED}")
        return problems

    def retention(self, record: Record) -> list[ObjectInfo]:
        return [info for key in self.record_keys(record) if (info := self._info(key)) is not None]

    def delete_record(self, record: Record, actor: str = "sohoa", reason: str = "") -> None:
        """Delete a record's objects; refused (RetentionError) while any is retained or held. The disposal is a
        ledger entry (``reason``: the decision it was made by, in its detail): the ledger's audit reports a record
        that is gone without one."""
        from storage.ledger import Ledger

        for key in self.record_keys(record):
            self._delete(key)
        self._delete(f"{INDEX_DIR}/{record.source.sha256}.json")
        detail = f"{record.archive_prefix}: retention over" + (f"; {reason}" if reason else "")
        Ledger(self).append("disposed", record.id, actor=actor, detail=detail)


def shared_objects(records: Iterable[Record]) -> list[str]:
    """A problem line for each scan or signed PDF that two or more records hold with the same SHA-256 (as their
    record.json records it: the fixity check holds each file against that). Each is a record's own — its scan (the
    record id is its hash), the PDF signed for it — so a shared one was copied from one record into another: with
    the record.json rewritten to match (and the index entry deleted), that passed as an interrupted write (QA58).
    Other files (a verification report) may be alike in two records."""
    holders: dict[str, list[str]] = {}
    for record in records:
        for stored in record.objects:
            if stored.role in ("original", "signed"):
                holders.setdefault(stored.sha256, []).append(stored.key)
    return [
        f"{', '.join(keys)}: the same file in {len(keys)} records (SHA-256 {sha}) — one record's file copied into "
        "another's"
        for sha, keys in holders.items()
        if len(keys) > 1
    ]


def _archived_entry_number(index_entry: object) -> int | None:
    """The number of the record's "archived" ledger entry an index entry (parsed JSON) gives; None when it gives
    none (written before 2026-12-01) or is no object."""
    seq = index_entry.get("archived_entry") if isinstance(index_entry, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _archived_seq(entries: Iterable[Mapping[str, object]]) -> int | None:
    """The number of the last "archived" entry among ``entries`` (a record's ledger entries)."""
    seqs = [e.get("seq") for e in entries if e.get("action") == "archived"]
    return seqs[-1] if seqs and isinstance(seqs[-1], int) else None


def parse_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
