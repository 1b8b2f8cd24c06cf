"""The custody ledger: an append-only, hash-chained log of everything that happened to the records.

Each entry is one object ``.ledger/{seq:012d}.json`` in the archive (so on S3 it carries the same object-lock
retention as the records) holding ``seq``, ``at`` (UTC), ``action`` (received, ocr, classified, signed,
verified, archived, held, released, corrected…), ``record_id``, ``actor``, ``tool``, ``detail``, ``prev`` (the
hash of the entry before, 64 zeros for the first) and ``hash`` = SHA-256 of the entry's canonical JSON without
``hash``. ``verify`` re-hashes the chain and names the entry that was edited, removed or moved.

When a TSA is configured each finished day's head is timestamped (RFC 3161, storage.stamps) and ``verify``
checks the stamps too. Not done: concurrent writers (one writer per archive is assumed; two would race for the
same sequence number).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from storage.base import (
    ENTRY_KEY,
    LEDGER_DIR,
    SIDECAR,
    ArchiveIntegrityError,
    ArchiveUnavailableError,
    DamagedRecord,
    DamagedRecordError,
    ObjectTaken,
    RecordAsRead,
    RecordChangedError,
    permanent_retention,
    sha256_bytes,
)
from storage.stamps import DayHead, entry_day, maybe_stamp_previous_day, verify_stamps

if TYPE_CHECKING:
    from sohoa.record import Event, Record
    from storage.base import BaseArchive

log = logging.getLogger("sohoa")

GENESIS = "0" * 64
# the entry `sohoa ledger seal` writes for a record archived by a sohoa from before 2026-11-30 16:38 UTC, whose
# "archived" entry holds no SHA-256 of its record.json: that SHA-256, as the record.json is when sealed
SEALED = "sealed"
# the entries a record.json is held against: its "archived" entry, or a later "sealed" one
SIDECAR_ACTIONS = ("archived", SEALED)
# How many times an entry is written again after the next sequence number was taken by another host's writer
LEDGER_RACE_ATTEMPTS = 50


def sidecar_entries(entries: Iterable[dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """Per record id, the ledger entry its record.json is held against: its last "archived" entry, or — when that
    holds no SHA-256 of the record.json (archived by a sohoa from before 2026-11-30 16:38 UTC) — the last "sealed"
    entry holding one (`sohoa ledger seal`); the "archived" entry without one when there is none (nothing to hold
    the record.json against). The one rule ``Ledger.archived_entry``, ``Ledger.verify``, the audit and
    ``seal_unchecked`` go by (each wrote it out). ``entries``: the ledger's, in order (others are passed over)."""
    archived: dict[str, dict[str, Any]] = {}
    sealed: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry is not None and entry.get("action") == "archived":
            archived[str(entry.get("record_id"))] = entry
        elif entry is not None and entry.get("action") == SEALED and entry.get("sidecar_sha256"):
            sealed[str(entry.get("record_id"))] = entry
    return {
        record_id: entry if entry.get("sidecar_sha256") else sealed.get(record_id, entry)
        for record_id, entry in archived.items()
    }


def archived_not_disposed(entries: Iterable[dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """Per record id, its last "archived" entry, for every record the ledger says was archived and not disposed of
    (a "disposed" entry: deleted after its retention) — the records the archive must still hold. The one rule
    ``Ledger.verify`` and `sohoa verify --archive` (``storage.documents``) hold the archive against: verify
    --archive went by the index alone, so a record removed whole (its folder and its index entry) passed "4/4",
    exit 0, while the audit named it (QA65). ``entries``: the ledger's, in order. A disposal the record's own
    entries forbid does not count (``custody_of``)."""
    return custody_of(entries).kept


# the "retained until" day an "archived" entry's detail ends with ("…; retained until 2036-12-02 (COMPLIANCE)")
_RETAINED_UNTIL = re.compile(r"; retained until (\d{4}-\d{2}-\d{2}) \([A-Z]+\)$")


def _at(entry: Mapping[str, Any] | None) -> datetime | None:
    """When a ledger entry was made, or None when it does not say (unreadable, or edited: the chain check says)."""
    try:
        at = datetime.fromisoformat(str((entry or {})["at"]))
    except (KeyError, ValueError):
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def retained_until_in(detail: object) -> str | None:
    """The "retained until" day (ISO) an "archived" entry's detail — or its record's "archived" event's, the same
    words — ends with, or None."""
    found = _RETAINED_UNTIL.search(str(detail or ""))
    return found.group(1) if found is not None else None


# how far past this host's clock a disposal's time may be (hosts' clocks differ) before it is one from the future
_CLOCK_SLACK = timedelta(hours=1)
CUSTODY_ACTIONS = ("archived", "disposed", "held", "released")


class Custody(NamedTuple):
    """What the ledger says the archive holds in custody (``custody_of``)."""

    # per record id, its last "archived" entry, for every record archived and not disposed of
    kept: dict[str, dict[str, Any]]
    # each "disposed" entry that does not count, with why
    refused: list[tuple[dict[str, Any], str]]
    # per record id, the "held" entry of a legal hold never released
    held: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class RetentionOwed:
    """What a record's objects must carry by its ledger entries: a retention to ``until`` (an ISO day, UTC; None
    when its "archived" entry, from an older sohoa, names none), and a legal hold while ``held_by`` is a "held"
    entry's number."""

    until: str | None
    archived_by: int | None
    held_by: int | None


def retention_owed(entries: Iterable[dict[str, Any] | None]) -> dict[str, RetentionOwed]:
    """Per record the ledger holds in custody, the retention and hold its objects must carry (``RetentionOwed``).
    A folder archive's retention records are files anyone can edit: the checks hold them against the ledger."""
    custody = custody_of(entries)
    owed: dict[str, RetentionOwed] = {}
    for record_id, entry in custody.kept.items():
        hold = custody.held.get(record_id)
        owed[record_id] = RetentionOwed(
            until=retained_until_in(entry.get("detail")),
            archived_by=entry.get("seq"),
            held_by=hold.get("seq") if hold is not None else None,
        )
    return owed


def custody_of(entries: Iterable[dict[str, Any] | None]) -> Custody:
    """``archived_not_disposed``'s records, and each "disposed" entry that does not count, with why: dated before
    the end of the retention the record's "archived" entry recorded, while a legal hold was on (a "held" entry, no
    "released" since), or after this host's clock. sohoa deletes no object before then
    (``delete_record``: the retention and the hold refuse it); an entry appended by hand, with the record's folder
    removed, passed every check, a record retained ten more years and under legal hold (QA74)."""
    archived: dict[str, dict[str, Any]] = {}
    held: dict[str, dict[str, Any]] = {}
    disposed: dict[str, dict[str, Any]] = {}  # record id → the disposal that counts, until archived again
    refused: list[tuple[dict[str, Any], str]] = []
    now = datetime.now(UTC)
    for entry in entries:
        if entry is None:
            continue
        record_id, action = str(entry.get("record_id")), entry.get("action")
        if action == "archived":
            archived[record_id] = entry
            disposed.pop(record_id, None)  # archived again since (its scan processed after the disposal)
        elif action == "held":
            held[record_id] = entry
        elif action == "released":
            held.pop(record_id, None)
        elif action == "disposed":
            if record_id not in archived:  # QA76: one forged before its scan was archived counted once it was
                why: str | None = "before it was ever archived"
            elif record_id in disposed:
                why = f"a second time (ledger entry {disposed[record_id].get('seq')} disposed of it)"
            else:
                why = _disposal_refused(entry, archived[record_id], held.get(record_id), now)
            if why is None:
                disposed[record_id] = entry
            else:
                refused.append((entry, why))
    kept = {record_id: entry for record_id, entry in archived.items() if record_id not in disposed}
    return Custody(kept, refused, {record_id: entry for record_id, entry in held.items() if record_id in kept})


def disposal_refused_now(entries: Iterable[dict[str, Any]], record_id: str) -> str | None:
    """Why the record ``record_id`` may not be disposed of now by its own ledger ``entries`` (in order) — its
    retention, as its "archived" entry recorded it, not over, or a legal hold on — or None: ``custody_of``'s rule,
    asked of a disposal made now. `sohoa dispose` asks it beside the objects' retention: a folder archive's retention
    records edited or removed let it delete a record retained seventy more years (QA76), whose disposal every check
    then named as forged."""
    asked: dict[str, Any] = {"action": "disposed", "record_id": record_id, "at": datetime.now(UTC).isoformat()}
    return next((why for entry, why in custody_of([*entries, asked]).refused if entry is asked), None)


def _disposal_refused(
    entry: dict[str, Any], archived: dict[str, Any] | None, hold: dict[str, Any] | None, now: datetime
) -> str | None:
    try:
        at = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return "at no time (its time unreadable)"
    # in UTC, as the retention's day is written (a time at +14:00 counted a day early, QA76)
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    if at > now + _CLOCK_SLACK:
        return f"on {at.isoformat()}, after now"
    if hold is not None:
        return f"while under legal hold (ledger entry {hold.get('seq')}, never released)"
    retained = retained_until_in((archived or {}).get("detail"))
    if retained is not None and at.date().isoformat() < retained:
        return (
            f"on {at.date().isoformat()}, before the end of its retention ({retained}, ledger entry "
            f"{(archived or {}).get('seq')})"
        )
    return None


def archived_folder(record_id: str, entry: dict[str, Any]) -> str | None:
    """The folder of the record ``record_id`` as its "archived" ledger entry names it ("{location}/{year}/{type}/
    {number}--{id}; retained until …"), or None when it does not."""
    found = re.search(rf"([^/;]+/[^/;]+/[^/;]+--{re.escape(record_id)});", str(entry.get("detail", "")))
    return found.group(1) if found is not None else None


def gone_record_id(problem: str) -> str | None:
    """The record a ledger problem line of ``gone_words`` names as gone from the archive, else None."""
    found = _GONE.match(problem)
    return found["id"] if found is not None else None


_GONE = re.compile(r"record (?P<id>[0-9a-f]{16}): archived \(ledger entry \d+\) but no longer in the archive")


def gone_words(record_id: str, entry: dict[str, Any]) -> tuple[str, str]:
    """(English, Vietnamese) for a record the ledger says was archived (``entry``, its "archived" entry) that the
    archive no longer lists."""
    seq = entry.get("seq")
    return (
        f"record {record_id}: archived (ledger entry {seq}) but no longer in the archive — its {SIDECAR}, its folder "
        "or its index entry is gone",
        f"hồ sơ {record_id}: đã lưu trữ (mục sổ nhật ký {seq}) nhưng không còn trong kho — {SIDECAR}, thư mục hoặc "
        "mục chỉ mục của hồ sơ đã mất",
    )


# the record's own event names → ledger actions
ACTIONS = {"ingested": "received", "ocr": "ocr", "classified": "classified", "signed": "signed"}


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_entries(entries: Iterable[dict[str, Any]], whose: tuple[str, str]) -> None:
    """RecordChangedError naming every entry of ``entries`` whose own hash does not match its content (edited
    behind the ledger's back): an export must not hand such an entry out as the record's custody, nor any command
    act on the record (``whose``: whose entries, Vietnamese and English, for the message)."""
    edited = [entry for entry in entries if entry_hash(entry) != entry.get("hash")]
    if edited:
        names = ", ".join(str(entry.get("seq")) for entry in edited)
        raise RecordChangedError(
            f"{whose[0]}: mục sổ nhật ký {names} đã bị sửa (mã băm không khớp nội dung; sohoa ledger verify)",
            f"{whose[1]}: ledger entry {names}: content edited (its hash does not match; sohoa ledger verify)",
        )


def excerpts_of(entries: Iterable[dict[str, Any] | None], record_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Each record's entries among ``entries`` (in their order), for ``record_ids``: one pass over a ledger for many
    records, where ``Ledger.excerpt`` per record would read the whole ledger each time."""
    excerpts: dict[str, list[dict[str, Any]]] = {rid: [] for rid in record_ids}
    for entry in entries:
        if entry is not None and (rid := entry.get("record_id")) in excerpts:
            excerpts[rid].append(entry)
    return excerpts


# the details the pipeline writes in a record's "classified" and "signed" entries (flows.pipeline's add_event):
# "QĐ 15/QĐ-UBND confidence 0.93" (no number: "unknown  confidence 0.4"), "PAdES B-LT by CN=…"
_CLASSIFIED_DETAIL = re.compile(r"^(?P<doc_type>\S+) (?P<number>.*?) ?confidence \S+$")
_SIGNED_DETAIL = re.compile(r"^PAdES (?P<level>\S+) by (?P<signer>.*)$")
# the entries whose details say what a record.json says too (``said_otherwise``)
TOLD_ACTIONS = ("classified", "signed")


def said_otherwise(record: Record, entries: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    """What a record.json (parsed as ``record``) says otherwise than the record's own ledger entries recorded when
    it was processed: its type and number (the last "classified" entry), its signature's level and signer (the last
    "signed" one) — (Vietnamese, English) to end a problem line with: ": number 16/QĐ-UBND in record.json,
    15/QĐ-UBND in ledger entry 7", both empty when nothing differs. Entries whose own
    hash does not check out are no evidence and are passed over. A record.json rewritten is found by its SHA-256
    alone; this says what in it changed, where the ledger can tell (QA94 F8: the audit said only "record.json changed
    since it was archived", the auditor left to guess whether a number or the signer was rewritten)."""
    last: dict[str, Mapping[str, Any]] = {}
    for item in entries:
        if item.get("record_id") == record.id and entry_hash(dict(item)) == item.get("hash"):
            last[str(item.get("action"))] = item
    said: list[tuple[str, str]] = []

    def compare(what: tuple[str, str], now: str | None, then: str | None, entry: Mapping[str, Any]) -> None:
        if (now or "") != (then or ""):
            seq = entry.get("seq")
            said.append(
                (
                    f"{what[0]} {now or 'không có'} trong {SIDECAR}, {then or 'không có'} ở mục sổ nhật ký {seq}",
                    f"{what[1]} {now or 'none'} in {SIDECAR}, {then or 'none'} in ledger entry {seq}",
                )
            )

    c = record.classification
    if (entry := last.get("classified")) is not None and (
        told := _CLASSIFIED_DETAIL.match(str(entry.get("detail", "")))
    ):
        compare(("loại", "type"), c.doc_type if c else None, told["doc_type"], entry)
        compare(("số", "number"), c.number if c else None, told["number"], entry)
    sig = record.signature
    if (entry := last.get("signed")) is not None and (told := _SIGNED_DETAIL.match(str(entry.get("detail", "")))):
        compare(("mức chữ ký", "signature level"), sig.level if sig else None, told["level"], entry)
        compare(("người ký", "signer"), sig.signer_subject if sig else None, told["signer"], entry)
    if not said:
        return "", ""
    return ": " + "; ".join(vi for vi, _ in said), ": " + "; ".join(en for _, en in said)


def corrected_type(entries: Iterable[Mapping[str, Any] | None]) -> tuple[str, int | None] | None:
    """The type the last "corrected" entry among a record's ``entries`` gives it (`sohoa review set`: "type QĐ,
    number …"), with that entry's number; None when none corrects it. The archive's, not one data folder's: what
    retention a correction owes is decided from it (QA100: a CV corrected to QĐ was disposable after CV's 10 years)."""
    found: tuple[str, int | None] | None = None
    for entry in entries:
        if entry is None or entry.get("action") != "corrected":
            continue
        if (told := re.match(r"type (\S+)", str(entry.get("detail", "")))) is not None:
            seq = entry.get("seq")
            found = (told[1], seq if isinstance(seq, int) else None)
    return found


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "unknown"


class Ledger:
    def __init__(self, archive: BaseArchive) -> None:
        self.archive = archive

    def _key(self, seq: int) -> str:
        return f"{LEDGER_DIR}/{seq:012d}.json"

    def keys(self) -> list[str]:
        """The ledger's entry objects: each named as one is (twelve digits; one whose content is another entry's
        is checked as a forged entry); any other file in it is no entry, and the audit names it as part of no record
        (QA94 read a folder's file as "entry None"; QA95 a `notes.json` as three broken entries)."""
        return [k for k in self.archive._keys(f"{LEDGER_DIR}/") if ENTRY_KEY.fullmatch(k)]

    def entries(self) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(key, entry) in sequence order; entry None when the object is unreadable JSON."""
        for key in self.keys():
            raw = self.archive._read(key)
            try:
                yield key, (json.loads(raw) if raw is not None else None)
            except ValueError:
                yield key, None

    def _keys_since(self, seq: int | None) -> list[str]:
        """The entries' keys numbered ``seq`` and later (every entry's, with None): one listing, none read."""
        return [
            key
            for key in self.keys()
            if seq is None or ((number := _sequence_number(key)) is not None and number >= seq)
        ]

    def count_since(self, seq: int | None) -> int:
        """How many entries are numbered ``seq`` and later (every entry, with None): one listing, none read."""
        return len(self._keys_since(seq))

    def entries_since(self, seq: int | None, most: int | None = None) -> Iterator[dict[str, Any]]:
        """The readable entries numbered ``seq`` and later (every one, with None), in order: what a record's custody
        can have changed after its "archived" entry ``seq`` (a hold, a release, a disposal), without reading the
        ledger before it. ``LookupError``, before any is read, when there are more than ``most`` (on S3 each entry
        is a GET of its own)."""
        keys = self._keys_since(seq)
        if most is not None and len(keys) > most:
            raise LookupError(f"{len(keys)} ledger entries to read, more than {most}")
        for key in keys:
            raw = self.archive._read(key)
            try:
                entry = json.loads(raw) if raw is not None else None
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry

    def _head(self) -> tuple[int, str]:
        cached = self.archive._ledger_head
        if cached is not None:  # this process wrote the last entry (one writer per archive is assumed)
            return cached
        keys = self.keys()
        seq, head_hash = 0, GENESIS
        if keys:
            self.archive._finish_ledger_head(keys[-1], permanent_retention())
            raw = self.archive._read(keys[-1])
            entry = json.loads(raw) if raw else {}
            seq, head_hash = int(entry.get("seq", _sequence_number(keys[-1]) or 0)), str(entry.get("hash", GENESIS))
            # the number its name holds, when the entry says less (edited): the next one is after the name taken
            named = _sequence_number(keys[-1]) or 0
            if seq != named:
                # a copy of another entry slipped in, or one edited: chained onto without a word (QA94)
                log.warning(
                    "sổ nhật ký: tệp cuối %s không phải mục số %d như tên của nó (mục %s): chạy sohoa ledger verify / "
                    "custody ledger: its last object %s is not the entry its name says (it says entry %s): run sohoa "
                    "ledger verify",
                    keys[-1],
                    named,
                    entry.get("seq"),
                    keys[-1],
                    entry.get("seq"),
                )
            seq = max(seq, named)
        # Entries cut off the end (or the whole ledger deleted) must stay a visible gap: writing the next entry
        # under their numbers would replace the evidence (on S3, a new version over the delete marker; locally, a
        # new file beside the orphaned retention record). Continue after the highest number ever written.
        written = [n for n in map(_sequence_number, self.archive._vanished_keys(f"{LEDGER_DIR}/")) if n is not None]
        if written and max(written) > seq:
            missing, following = _ranges(sorted(n for n in written if n > seq)), max(written) + 1
            log.warning(
                "sổ nhật ký: thiếu các mục %s ở cuối sổ; mục tiếp theo là %d, để khoảng trống vẫn thấy được (sohoa "
                "ledger verify) / custody ledger: entries %s are missing from the end; the next entry is %d, so the "
                "gap stays visible (sohoa ledger verify)",
                missing,
                following,
                missing,
                following,
            )
            seq = max(written)
        return seq, head_hash

    def append(
        self,
        action: str,
        record_id: str,
        *,
        actor: str | None = None,
        tool: str = "sohoa",
        detail: str = "",
        at: datetime | None = None,
        sidecar_sha256: str | None = None,
        batch_id: str | None = None,
    ) -> dict[str, Any]:
        """Write the next entry. ``sidecar_sha256`` (the "archived" entry): the SHA-256 of the record's
        ``record.json`` as written, which the sidecar cannot hold itself — so the audit can tell it was changed.
        ``batch_id`` (the "archived" entry): the batch that archived it, so a batch export can tell a record of
        the batch that the archive no longer lists."""
        at = at or datetime.now(UTC)
        for attempt in range(LEDGER_RACE_ATTEMPTS):
            seq, prev = self._head()
            if self.archive.tsa_url and seq:
                self._stamp_previous_day(seq, prev, at)
            entry: dict[str, Any] = {
                "seq": seq + 1,
                "at": at.isoformat(),
                "action": action,
                "record_id": record_id,
                "actor": actor or default_actor(),
                "tool": tool,
                "detail": detail,
                "prev": prev,
            }
            if sidecar_sha256 is not None:
                entry["sidecar_sha256"] = sidecar_sha256
            if batch_id is not None:
                entry["batch_id"] = batch_id
            entry["hash"] = entry_hash(entry)
            body = json.dumps(entry, ensure_ascii=False, indent=1).encode("utf-8")
            try:
                self.archive._create(self._key(seq + 1), body, hashlib.sha256(body).hexdigest(), permanent_retention())
            except ObjectTaken:
                # another host wrote this number first (the write lock is per host): after its entry, then — read
                # the head again (not the one this process cached), after a short random wait so that two hosts
                # do not race for the next number in step
                self.archive._ledger_head = None
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                continue
            except BaseException:
                self.archive._ledger_head = None
                raise
            self.archive._ledger_head = (seq + 1, entry["hash"])
            self.archive._ledger_head_day = (seq + 1, entry_day(entry))
            return entry
        raise ArchiveUnavailableError(
            f"{self.archive.location}: sổ nhật ký: {LEDGER_RACE_ATTEMPTS} lần ghi mục tiếp theo đều bị máy khác ghi "
            "trước / custody ledger: the next entry was taken by another writer "
            f"{LEDGER_RACE_ATTEMPTS} times running; try again"
        )

    def _stamp_previous_day(self, seq: int, head_hash: str, at: datetime) -> None:
        """The first entry of a new UTC day: timestamp the head of the day before (storage.stamps)."""
        cached = self.archive._ledger_head_day
        if cached is not None and cached[0] == seq:
            day = cached[1]
        else:
            try:
                day = entry_day(json.loads(self.archive._read(self._key(seq)) or b""))
            except (ValueError, KeyError, TypeError):
                return  # an unreadable head: verify reports it; nothing sound to stamp
        new_day = (at.astimezone(UTC) if at.tzinfo else at).date().isoformat()
        maybe_stamp_previous_day(self.archive, DayHead(day, seq, head_hash), new_day)

    def append_record_events(
        self, record: Record, sidecar_sha256: str | None = None, written: Iterable[dict[str, Any]] = ()
    ) -> list[dict[str, Any]]:
        """One ledger entry per event of the record's processing (received … archived); the "archived" one
        carries ``sidecar_sha256``, the hash of the record.json written, and the record's batch id. ``written``:
        the record's entries already in the ledger (a run killed part-way through them), whose events are not
        written again. Returns the entries written."""
        appended: list[dict[str, Any]] = []
        for action, event in self.missing_record_events(record, written):
            archived = event.action == "archived"
            appended.append(
                self.append(
                    action,
                    record.id,
                    sidecar_sha256=sidecar_sha256 if archived else None,
                    batch_id=record.batch_id if archived else None,
                    tool=event.tool,
                    detail=event.detail,
                    at=event.at,
                )
            )
        return appended

    def missing_record_events(self, record: Record, written: Iterable[dict[str, Any]] = ()) -> list[tuple[str, Event]]:
        """(ledger action, event) of each event of the record that ``written`` (its entries in the ledger) lacks:
        what ``append_record_events`` writes."""
        done = {(entry.get("action"), entry.get("at")) for entry in written}
        missing: list[tuple[str, Event]] = []
        for event in record.events:
            action = ACTIONS.get(event.action, event.action)
            if (action, event.at.isoformat()) not in done:
                missing.append((action, event))
        return missing

    def excerpt(self, record_id: str) -> list[dict[str, Any]]:
        return [e for _, e in self.entries() if e is not None and e.get("record_id") == record_id]

    def entry(self, seq: int) -> dict[str, Any] | None:
        """The entry ``seq`` (one read), or None when it is gone or not JSON."""
        raw = self.archive._read(self._key(seq))
        try:
            found = json.loads(raw) if raw is not None else None
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def archived_entry(
        self, record: Record | RecordAsRead, excerpt: list[dict[str, Any]] | None = None
    ) -> dict[str, Any] | None:
        """The record's "archived" entry, whose ``sidecar_sha256`` its record.json is checked against — or, for a
        record archived by a sohoa from before 2026-11-30 16:38 UTC, the "sealed" entry `sohoa ledger seal` wrote
        for it since, which holds one; None when the ledger has none for it. Records archived since
        2026-12-01 have its number in their index entry (``BaseArchive.archived_seq``, read again unless ``record``
        is a ``RecordAsRead``, which holds it): one read, not the whole ledger (``excerpt``, the record's entries
        when the caller has read them, is then searched instead); ArchiveIntegrityError when that entry is gone or
        is no longer this record's "archived" entry."""
        if isinstance(record, RecordAsRead):
            seq, record = record.archived_entry, record.record
        else:
            seq = self.archive.archived_seq(record)
        if seq is None:
            entries = self.excerpt(record.id) if excerpt is None else excerpt
            return sidecar_entries(entries).get(record.id)
        found = (e for e in excerpt if e.get("seq") == seq) if excerpt is not None else None
        entry = self.entry(seq) if found is None else next(found, None)
        if entry is None or entry.get("record_id") != record.id or entry.get("action") not in SIDECAR_ACTIONS:
            # a RecordChangedError, as one rewritten: each command says it whole in each language, with what it did
            # not do (QA66: "record …: mục sổ nhật ký … / ledger entry …", English first, nothing said of that)
            raise RecordChangedError(
                f"hồ sơ {record.id} ({record.archive_prefix}): mục sổ nhật ký {seq} ghi việc lưu trữ hồ sơ này đã bị "
                "xóa hoặc sửa (sohoa ledger verify)",
                f"record {record.id} ({record.archive_prefix}): ledger entry {seq}, which archived it, is gone or no "
                "longer says so (removed or edited: sohoa ledger verify)",
            )
        return entry

    def retain_head(self, dry_run: bool = False) -> str | None:
        """Retain the newest entry when a process killed between it and its retention record left it without one
        (the next writer does so before it appends): the key retained, or None. `ledger finish` does it, which said
        "nothing to do" and left the entry unprotected until the next batch (QA82)."""
        keys = self.keys()
        if not keys or not self.archive.retention_in_files:
            return None
        info = self.archive._info(keys[-1])
        if info is None or not info.no_retention_record:
            return None
        if not dry_run:
            self.archive._finish_ledger_head(keys[-1], permanent_retention())
        return keys[-1]

    def verify(
        self,
        trust_roots: list[Any] | None = None,
        records: Iterable[Record] | None = None,
        damaged: Iterable[DamagedRecord] = (),
        unchecked: list[str] | None = None,
        indexed: Mapping[str, int] | None = None,
        custody_out: list[dict[str, Any]] | None = None,
    ) -> list[str]:
        """Problems in the chain and in its daily timestamps, each naming the entry or the day (empty when the
        ledger is intact); ``trust_roots`` (asn1crypto certificates) also checks whom the TSA chains to.
        ``records``: the archive's records when the caller has read them already (default: read them here), and
        ``damaged`` those it could not read (``BaseArchive.records``): still in the archive, so not "no longer in
        the archive", and their record.json held against the SHA-256 their "archived" entry recorded. The damage
        itself is the caller's to name (read here, they are only held against the ledger). ``unchecked``: when
        given, the ids of the records whose "archived" entry holds no record.json SHA-256 (archived by a sohoa from
        before 2026-11-30 16:38 UTC) are appended to it — their record.json is held against nothing. ``indexed``: the
        number of each record's "archived" entry as its index entry gives it (``RecordAsRead.archived_entry``): an
        entry the index names past the chain's end was cut off it, said even where the archive keeps no other trace
        of it (an S3 bucket without versioning, a local folder whose retention records went too). ``custody_out``:
        when given, the ledger's custody entries (``CUSTODY_ACTIONS``, in order) are appended to it — what
        ``retention_owed`` reads, without a second pass over the ledger."""
        damaged = list(damaged)
        records = list(self.archive.records(damaged)) if records is None else list(records)
        problems: list[str] = []
        prev = GENESIS
        expected_seq = 1
        chain: dict[int, str] = {}  # seq → hash of the entries whose own hash checks out, for the stamps
        present: set[str] = set()
        holding: list[dict[str, Any]] = []  # the "archived" and "sealed" entries, for ``sidecar_entries``
        custody: list[dict[str, Any]] = []  # the CUSTODY_ACTIONS ones, for ``custody_of``
        told: dict[str, list[dict[str, Any]]] = {}  # per record, its TOLD_ACTIONS entries, for ``said_otherwise``
        made: list[tuple[str, str, datetime | None]] = []  # (key, how it is named, when it was made), for retention
        for key, entry in self.entries():
            name = key.rsplit("/", 1)[-1]
            present.add(key)
            seq_said = entry.get("seq") if entry is not None else None
            made.append(
                (key, f"entry {seq_said} ({name})" if isinstance(seq_said, int) else f"entry {name}", _at(entry))
            )
            if entry is not None and entry.get("action") in SIDECAR_ACTIONS:
                holding.append(entry)
            if entry is not None and entry.get("action") in CUSTODY_ACTIONS:
                custody.append(entry)
            if entry is not None and entry.get("action") in TOLD_ACTIONS:
                told.setdefault(str(entry.get("record_id")), []).append(entry)
            if entry is None:
                problems.append(f"entry {name}: unreadable (not JSON) — edited")
                prev = ""
                expected_seq += 1
                continue
            seq = entry.get("seq")
            label = f"entry {seq} ({name})" if isinstance(seq, int) else f"entry {name}"  # not "entry None"
            if entry_hash(entry) != entry.get("hash"):
                problems.append(f"{label}: content edited (its hash does not match)")
            elif isinstance(seq, int) and name == f"{seq:012d}.json":
                chain[seq] = str(entry["hash"])
            if name != f"{seq:012d}.json" if isinstance(seq, int) else True:
                problems.append(f"{label}: stored under another sequence number — reordered")
            if isinstance(seq, int) and seq > expected_seq:
                missing = _ranges(list(range(expected_seq, seq)))
                problems.append(f"entry {missing}: removed (sequence jumps from {expected_seq - 1} to {seq})")
            elif entry.get("prev") != prev and prev:
                problems.append(f"{label}: does not follow the entry before it (chain broken) — reordered or inserted")
            prev = str(entry.get("hash", ""))
            # never back: a copy of an earlier entry slipped in after the last made the chain "end" at its number,
            # and every entry after it was said removed from the end (QA94: 161 of 162 "removed", all there)
            expected_seq = max(expected_seq, seq + 1) if isinstance(seq, int) else expected_seq + 1
        # each entry kept for ever (a folder's `.retention/.ledger/…json` edited or removed passed every check: QA79)
        for position, (key, named_as, at) in enumerate(made, 1):
            if (problem := self.archive.kept_for_ever_problem(key, at, newest=position == len(made))) is not None:
                problems.append(f"{named_as}: {problem}")
        # A chain only proves what is in it: entries cut off its end, or the whole ledger deleted, leave a shorter
        # chain that still checks out. What else the archive holds tells: a record archived without its entry,
        # and (local archives) the retention record of a ledger object that is gone.
        last = expected_seq - 1
        gone = [key for key in self.archive._vanished_keys(f"{LEDGER_DIR}/") if key not in present]
        vanished = (_sequence_number(key) for key in gone)
        tail = sorted(seq for seq in vanished if seq is not None and seq > last)  # gaps before it: reported above
        if tail:
            problems.append(
                f"entry {_ranges(tail)}: removed from the end of the ledger (the archive shows they were written; "
                f"the chain now ends at entry {last})"
            )
        # the index entries of records archived since 2026-12-01 name their "archived" entry: one past the end was
        # written and is gone (QA65: with the retention records gone too, nothing said the end was cut)
        named = {seq: rid for rid, seq in (indexed or {}).items() if seq > last and seq not in tail}
        if named:
            whose = ", ".join(f"{named[seq]} (entry {seq})" for seq in sorted(named))
            # every entry from the chain's end to the last one named was written: all of them are gone (QA66: with
            # 23 and 24 cut, "entry 24: removed …; the chain now ends at entry 22" left 23 unsaid)
            cut = [seq for seq in range(last + 1, max(named) + 1) if seq not in tail]
            problems.append(
                f"entry {_ranges(cut)}: removed from the end of the ledger (the index names the entry that archived "
                f"record {whose}; the chain now ends at entry {last})"
            )
        # (id, folder) of every record the index lists, read or not: an unreadable record.json is still held
        # against the SHA-256 its "archived" entry recorded (one with an unreadable index entry has no folder)
        present_records = [(r.id, r.archive_prefix) for r in records] + [(d.record_id, d.prefix) for d in damaged]
        listed = {record.id: record for record in records}
        holders = sidecar_entries(holding)
        for record_id, prefix in present_records:
            entry = holders.get(record_id)
            if entry is None:
                problems.append(
                    f"record {record_id} ({prefix}): archived, but the ledger has no 'archived' "
                    "entry for it — entries removed"
                )
            elif entry_hash(entry) != entry.get("hash"):
                # the entry itself edited (said above): the SHA-256 it holds is no evidence against the record.json
                # (it said "record.json changed since it was archived" of an untouched record whose entry was edited)
                problems.append(
                    f"record {record_id} ({prefix}): ledger entry {entry.get('seq')}, which archived it, is gone or "
                    f"edited, so its {SIDECAR} cannot be checked"
                )
            elif not entry.get("sidecar_sha256"):
                if indexed is not None and record_id in indexed:
                    # archived by this sohoa (its index entry names the entry), whose "archived" entry holds the
                    # SHA-256: one without it was edited, not written by an older sohoa
                    problems.append(
                        f"record {record_id} ({prefix}): ledger entry {entry.get('seq')}, which archived it, holds "
                        f"no SHA-256 of its {SIDECAR} — edited, so its {SIDECAR} cannot be checked"
                    )
                elif unchecked is not None:
                    unchecked.append(record_id)
            elif prefix is not None and self.archive.sidecar_differs(prefix, entry.get("sidecar_sha256")):
                differs = said_otherwise(listed[record_id], told.get(record_id, ()))[1] if record_id in listed else ""
                problems.append(
                    f"record {record_id} ({prefix}): {SIDECAR} changed since it was archived "
                    f"(its SHA-256 is not the one ledger entry {entry.get('seq')} recorded){differs}"
                )
        if custody_out is not None:
            custody_out.extend(custody)
        archived, refused, _ = custody_of(custody)
        for entry, why in refused:
            problems.append(
                f"record {entry.get('record_id')}: ledger entry {entry.get('seq')} says it was disposed of {why} — "
                "no disposal sohoa makes (the retention and the hold refuse it): the entry written, the record "
                "deleted, behind the archive's back"
            )
        if gone_ids := sorted(set(archived) - {record_id for record_id, _ in present_records}):
            # a run killed between the "archived" entry and the index entry leaves the record stored but unlisted:
            # the rerun finishes it, so that is said as such, not as a record deleted behind the archive's back
            unfinished = self.archive.outside_records(listed.values(), damaged)[0]
            interrupted = {write.record.id: write for write in unfinished if write.record is not None}
            for record_id in gone_ids:
                seq = archived[record_id].get("seq")
                if record_id in interrupted:
                    # an interrupted write only when its record.json is the one the "archived" entry recorded: a
                    # record.json rewritten to match a swapped file, its index entry then deleted, passed as one
                    # ("intact; 1 interrupted archive write(s)", QA58)
                    write = interrupted[record_id]
                    expected = archived[record_id].get("sidecar_sha256")
                    if not write.damaged and self.archive.sidecar_differs(write.prefix, expected):
                        problems.append(
                            f"record {record_id} ({write.prefix}): not in the archive's index, and its {SIDECAR} "
                            f"changed since it was archived (its SHA-256 is not the one ledger entry {seq} "
                            "recorded) — no interrupted write: changed after archiving"
                        )
                        continue
                    problems.append(write.problem(archived_entry=seq))
                    continue
                if not self.archive.holds_record(record_id):  # else archived while this looked (QA69)
                    problems.append(gone_words(record_id, archived[record_id])[0])
        return problems + verify_stamps(self.archive, chain, trust_roots)

    def archived_entries(self) -> dict[str, int]:
        """Record id → the sequence number of its (last) "archived" entry."""
        return {
            str(entry.get("record_id")): int(entry.get("seq") or 0)
            for _, entry in self.entries()
            if entry is not None and entry.get("action") == "archived"
        }


def _sequence_number(key: str) -> int | None:
    digits = key.rsplit("/", 1)[-1][:12]
    return int(digits) if digits.isdigit() else None


def _ranges(numbers: list[int]) -> str:
    """``[4, 5, 6, 9]`` → ``4–6, 9``."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def verified_record(
    archive: BaseArchive, record: Record | RecordAsRead, excerpt: list[dict[str, Any]] | None = None
) -> tuple[Record, bytes]:
    """The record as its record.json now reads, and those bytes, checked against the SHA-256 its "archived" ledger
    entry recorded (``Ledger.archived_entry``; that entry's own hash checked too, or the check means nothing):
    ArchiveIntegrityError when either was changed. What `get` and `export` hand out, so they never hand out a
    rewritten record.json (they did, exit 0). ``excerpt``: the record's ledger entries when the caller read them.
    ``record`` as ``BaseArchive.get_as_read`` read it: its record.json and index entry are not read again (only
    the ledger entry is read); a plain ``Record``: both are."""
    entry = Ledger(archive).archived_entry(record, excerpt)
    as_read, record = (record, record.record) if isinstance(record, RecordAsRead) else (None, record)
    if entry is not None:
        check_entries([entry], (f"hồ sơ {record.id}", f"record {record.id}"))
    if as_read is not None:
        # the bytes the record was parsed from, as its folder's own record (``parsed_record``): nothing read again
        return record, archive.checked_sidecar(record, as_read.sidecar, entry)
    raw = archive.read_sidecar_verified(record, entry)
    assert record.archive_prefix is not None
    try:  # read again: still this record's (a record.json with no hash to hold it against may have been replaced)
        return archive.parsed_record(record.source.sha256, record.archive_prefix, raw), raw
    except DamagedRecordError as exc:
        if exc.damaged.kind == "foreign":
            raise
        raise ArchiveIntegrityError(f"record {record.id}: {record.archive_prefix}/{SIDECAR} is unreadable") from exc


def unchanged_records(
    archive: BaseArchive, records: Iterable[RecordAsRead]
) -> tuple[list[Record], list[DamagedRecord]]:
    """``records`` (as ``BaseArchive.records_as_read`` read them) split into those whose record.json is the one
    their "archived" ledger entry recorded, and the others as ``DamagedRecord`` (kind "changed": its record.json
    rewritten, or that entry gone or edited) — what `sohoa list` shows apart: it showed a rewritten number as fact,
    exit 0, while `get` refused the record (QA58). Cheap, for a listing of a large archive: per record one read, the
    ledger entry its index entry names — the index entry and the record.json as the listing read them (they were
    read again: 5 GETs a record on S3, not 3) —, no file hashed; a record indexed before 2026-12-01 (no entry
    number in its index entry) is not checked, as that would read the whole ledger."""
    changed: list[DamagedRecord] = []
    kept = list(each_unchanged(archive, records, changed))
    return kept, changed


def each_unchanged(
    archive: BaseArchive, records: Iterable[RecordAsRead], changed: list[DamagedRecord]
) -> Iterator[Record]:
    """``unchanged_records`` one record at a time, each changed one appended to ``changed``: for a caller that
    goes through a large archive without holding it whole (`sohoa index rebuild`)."""
    ledger = Ledger(archive)
    for found in records:
        if (damage := sidecar_change(ledger, found)) is None:
            yield found.record
        else:
            changed.append(damage)


def sidecar_change(ledger: Ledger, found: RecordAsRead) -> DamagedRecord | None:
    """``unchanged_records`` for one record: None when its record.json is the one its index entry's ledger entry
    recorded (or it has none to hold it against), else what is wrong, as a ``DamagedRecord`` (kind "changed")."""
    record, seq = found.record, found.archived_entry
    if seq is None or record.archive_prefix is None:
        return None
    return changed_sidecar(record, seq, ledger.entry(seq), found.sidecar_differs)


def changed_sidecar(
    record: Record,
    seq: int,
    entry: dict[str, Any] | None,
    differs: Callable[[object], bool],
    told: Iterable[Mapping[str, Any]] = (),
) -> DamagedRecord | None:
    """The rule ``sidecar_change`` and the audit's row hold a record's record.json to: ``entry``, the ledger entry
    ``seq`` it is held against (None: gone or unreadable), must be this record's "archived" (or "sealed") entry, its
    own hash intact, and the record.json (``differs``: whether it is not the one whose SHA-256 is given) the one it
    recorded. None when it holds, else what is wrong (``DamagedRecord``, kind "changed"). Each caller finds the
    entry its own way: `list` reads the one its index entry names, the audit has read the whole ledger (QA65: its
    row passed a record whose entry was cut off the ledger, as archived by an older sohoa). ``told``: the record's
    ledger entries when the caller has them, to say what in a rewritten record.json the ledger recorded otherwise
    (``said_otherwise``)."""
    assert record.archive_prefix is not None
    if (
        entry is None
        or entry.get("record_id") != record.id
        or entry.get("action") not in SIDECAR_ACTIONS
        or entry_hash(entry) != entry.get("hash")
    ):
        # the record.json may be the one archived: nothing is left to say whether it is (not "not the record archived")
        unvouched = True
        why = (
            f"ledger entry {seq}, which archived it, is gone or edited, so its {SIDECAR} cannot be checked — nothing "
            "vouches for it as the record archived"
        )
        why_vi = (
            f"mục sổ nhật ký {seq} ghi việc lưu trữ hồ sơ này đã bị xóa hoặc sửa, không kiểm tra {SIDECAR} — không còn "
            "gì xác nhận đây là hồ sơ đã lưu"
        )
    elif differs(entry.get("sidecar_sha256")):
        unvouched = False
        otherwise_vi, otherwise = said_otherwise(record, told)
        why = (
            f"{SIDECAR} changed since it was archived (its SHA-256 is not the one ledger entry {seq} recorded) — not "
            f"the record archived{otherwise}"
        )
        why_vi = (
            f"{SIDECAR} đã bị sửa sau khi lưu trữ (mã SHA-256 khác mục sổ nhật ký {seq}) — không phải hồ sơ đã "
            f"lưu{otherwise_vi}"
        )
    else:
        return None
    key = f"{record.archive_prefix}/{SIDECAR}"
    return DamagedRecord(
        record.source.sha256, key, record.archive_prefix, why, why_vi, kind="changed", unvouched=unvouched
    )


@dataclass(frozen=True)
class SealedRecord:
    """A record `sohoa ledger seal` brought under the record.json check (``seal_unchecked``)."""

    record_id: str
    prefix: str | None
    sidecar_sha256: str  # of its record.json as it was when sealed
    archived_entry: int | None  # its "archived" entry, which holds no SHA-256
    entry: int | None  # the "sealed" entry written (None: a dry run)

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


def seal_unchecked(
    archive: BaseArchive,
    *,
    actor: str | None = None,
    dry_run: bool = False,
    damaged: list[DamagedRecord] | None = None,
) -> list[SealedRecord]:
    """Bring the records archived by a sohoa from before 2026-11-30 16:38 UTC — whose "archived" ledger entry holds
    no SHA-256 of their record.json, so a rewrite of it passed every check (QA61) — under the check: per record a
    "sealed" entry holding the SHA-256 of its record.json as it is now, and its index entry naming that entry (so
    `list` and `get` read it in one read, as for a record archived since). What it records is the present state: run
    it once after upgrading, after an audit that passed, and compare with a backup if in doubt. A record whose
    record.json cannot be read goes to ``damaged``, not sealed, and so does one whose index entry names its entry
    (archived or sealed by this sohoa) when that entry is gone or edited or its record.json not the one it recorded
    (QA65); one already holding a SHA-256 is left alone. The
    ledger is read once; the caller holds the archive write lock."""
    ledger = Ledger(archive)
    entries = [entry for _, entry in ledger.entries() if entry is not None]
    holders = sidecar_entries(entries)
    numbered = {entry["seq"]: entry for entry in entries if isinstance(entry.get("seq"), int)}
    damaged = damaged if damaged is not None else []
    sealed: list[SealedRecord] = []
    for found in archive.records_as_read(damaged):
        record = found.record
        if found.archived_entry is not None and record.archive_prefix is not None:
            # its index entry names the entry that archived (or sealed) it: this sohoa's, which holds a SHA-256.
            # That entry gone or edited is the record's damage, named as `list` names it — never "archived by an
            # older sohoa", nor sealed over as found (QA65: "no record to seal: every record.json is checked")
            entry = numbered.get(found.archived_entry)
            if (damage := changed_sidecar(record, found.archived_entry, entry, found.sidecar_differs)) is not None:
                damaged.append(damage)
            continue
        entry = holders.get(record.id)
        if entry is None or entry.get("sidecar_sha256"):  # no entry: the ledger check's to name; else checked
            continue
        sha = sha256_bytes(found.sidecar)
        written: int | None = None
        if not dry_run:
            appended = ledger.append(
                SEALED,
                record.id,
                actor=actor,
                tool="sohoa ledger seal",
                detail=f"{SIDECAR} SHA-256 recorded as found: archived (entry {entry.get('seq')}) by a sohoa from "
                "before 2026-11-30 16:38 UTC, whose entry holds none",
                sidecar_sha256=sha,
            )
            written = int(appended["seq"])
            archive._write_index(record, written)
        sealed.append(SealedRecord(record.id, record.archive_prefix, sha, entry.get("seq"), written))
    return sealed
