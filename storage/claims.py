"""A record's claim: which writer is archiving one scan now, across the hosts that share an archive.

The archive write lock is per host (``sohoa.fsutil.archive_host_lock``). Two hosts that read and signed the same scan
in the same second both found it not archived and both wrote its record: the later replaced the earlier's files (on
S3 kept as older versions), the ledger got two "archived" entries, and a host that came upon the other's record.json
before its index entry adopted it as a killed run's (QA72). So before a put writes anything in a record's folder it
creates ``.claims/<source SHA-256>.<generation>.json`` — only if that name is free (``BaseArchive._create``: a
conditional PUT on S3, a hard link in a folder), naming the host, the process and the batch. Whoever created it
writes the record; every other writer waits for the record's index entry and answers "already archived" (or, after
``WAIT_SECONDS``, leaves the scan for the next run: ``ArchiveBusyError``). The claim is deleted once the index entry
is written, or when the put fails.

A claim whose writer died (killed, the host lost) is abandoned: one of this host's processes that no longer runs (or
this very process: an earlier attempt that failed before it could delete it), or one of another host older than
``ABANDONED_AFTER``, which no put of a record lasts. A writer takes an abandoned claim over by creating the next
generation's name, which again only one writer can do."""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sohoa.errors import StageError
from sohoa.fsutil import holds_archive_lock
from storage.base import CLAIM_KEY, CLAIMS_DIR, ObjectTaken, sha256_bytes

if TYPE_CHECKING:
    from sohoa.record import Record
    from storage.base import BaseArchive

# a put writes a record's few files and ledger entries: seconds, minutes for a very large scan on a slow link
ABANDONED_AFTER = timedelta(hours=1)
# How long a whole-archive check waits for a write another writer claimed to be indexed (BaseArchive.outside_records)
CLAIMED_WRITE_WAIT = 60.0
# How long a put waits for another host's put of the same scan to index it: a put takes seconds once it holds the
# claim. Short, because the put waits holding this host's archive write lock; the pipeline tries the put three times
# more, waiting 1, 5 and 30 s (±50 %) without the lock (flows.pipeline.ARCHIVE_RETRY_DELAYS)
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.5


class ArchiveBusyError(StageError):
    """Another writer (on another host) holds the claim on this scan's record and has not indexed it yet: the scan
    stays where it is, for the next run, which finds it archived."""

    def __init__(self, record_id: str, held: Claim) -> None:
        holder_vi, holder_en = held.holder()
        since, after = held.since_words(), held.abandoned_at()
        self.vi = (
            f"hồ sơ {record_id}: {holder_vi} đang lưu bản quét này vào kho từ {since} (theo đồng hồ máy đó); nếu tiến "
            f"trình đó đã dừng, một máy khác tiếp quản sau {after}, còn chạy lại trên máy {held.host} thì tiếp quản "
            "ngay"
        )
        self.en = (
            f"record {record_id}: {holder_en} has been archiving this scan since {since} (by its clock); if that "
            f"process has stopped, another host takes over after {after}, a rerun on {held.host} at once"
        )
        super().__init__(f"{self.vi} / {self.en}")
        self.held = held


def _this_machine() -> str:
    """What tells this machine's processes apart from others' for a process id to mean anything: the kernel's boot
    and the PID namespace (containers on one kernel each have theirs, and often the same host name)."""
    parts = []
    for where in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(Path(where).read_text().strip() if where.endswith("boot_id") else os.readlink(where))
        except OSError:
            parts.append("?")
    return "/".join(parts)


THIS_MACHINE = _this_machine()


@dataclass(frozen=True)
class Claim:
    """One writer's claim on a scan's record (``.claims/<sha>.<generation>.json``): the host (by name, for people),
    the machine (``THIS_MACHINE``: where its process id means something), the process, the writer (a token of the
    archive handle's process, ``BaseArchive.writer_token``), since when by the writer's clock, the batch; ``age``:
    seconds since the claim was stored by the archive's own clock (S3: the server's), when the backend tells."""

    sha256: str
    generation: int
    host: str
    pid: int
    since: datetime
    batch: str | None = None
    machine: str = ""
    writer: str = ""
    age: float | None = None

    @property
    def key(self) -> str:
        return claim_key(self.sha256, self.generation)

    def body(self) -> bytes:
        return json.dumps(
            {
                "host": self.host,
                "machine": self.machine,
                "pid": self.pid,
                "writer": self.writer,
                "since": self.since.isoformat(),
                "batch": self.batch,
            },
            ensure_ascii=False,
        ).encode("utf-8")

    def seconds_old(self) -> float:
        """How old the claim is: by the archive's clock when known — hosts' clocks differ, and a host 7 hours behind
        (a clock kept in local time) took another's live claim for abandoned (QA73) —, else by the writer's."""
        return self.age if self.age is not None else (datetime.now(UTC) - self.since).total_seconds()

    def holder(self) -> tuple[str, str]:
        """Who made the claim, for people ((Vietnamese, English)): the host, the process, the batch."""
        batch = self.batch or "?"
        vietnamese = f"máy {self.host} (tiến trình {self.pid}, lô {batch})"
        return vietnamese, f"host {self.host} (process {self.pid}, batch {batch})"

    def since_words(self) -> str:
        return self.since.strftime("%Y-%m-%d %H:%M:%S UTC")

    def abandoned_at(self) -> str:
        """When any writer may take the claim over as abandoned (``ABANDONED_AFTER``), by this host's clock."""
        left = ABANDONED_AFTER.total_seconds() - self.seconds_old()
        return (datetime.now(UTC) + timedelta(seconds=max(left, 0))).strftime("%Y-%m-%d %H:%M UTC")

    def abandoned_for(self, archive: BaseArchive) -> bool:
        """Whether the writer that made the claim is gone, as far as ``archive``'s writer can tell (module doc)."""
        if archive.one_lock_for_all_writers and holds_archive_lock(archive.location):
            return True  # (a folder: its lock, which every writer on every host takes, is this writer's)
        if self.writer == archive.writer_token:
            return True  # this very writer's, from an attempt that could not delete it
        if self.machine == THIS_MACHINE and not _running(self.pid):
            return True
        # (on this machine too: a process that lives on after a put whose claim it could not delete, the server gone)
        return self.seconds_old() > ABANDONED_AFTER.total_seconds()


def claim_key(sha256: str, generation: int) -> str:
    return f"{CLAIMS_DIR}/{sha256}.{generation}.json"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def parsed_claim(sha256: str, generation: int, raw: bytes, age: float | None = None) -> Claim | None:
    """The claim ``raw`` holds, or None when it is not one."""
    try:
        fields = json.loads(raw)
        return Claim(
            sha256,
            generation,
            str(fields["host"]),
            int(fields["pid"]),
            datetime.fromisoformat(str(fields["since"])).replace(tzinfo=UTC),  # written in UTC
            fields.get("batch"),
            str(fields.get("machine", "")),
            str(fields.get("writer", "")),
            age,
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def current_claim(archive: BaseArchive, sha256: str) -> Claim | None:
    """The newest claim on the scan ``sha256``'s record, or None. A claim that does not read as one (written behind
    the archive's back) counts as abandoned, made by nobody."""
    generations = [
        int(match["generation"])
        for key in archive._keys(f"{CLAIMS_DIR}/{sha256}.")
        if (match := CLAIM_KEY.fullmatch(key)) is not None
    ]
    if not generations:
        return None
    newest = max(generations)
    key = claim_key(sha256, newest)
    raw = archive._read(key)
    if raw is None:  # deleted since it was listed: released
        return None
    found = parsed_claim(sha256, newest, raw, archive._age(key))
    return found or Claim(sha256, newest, "?", 0, datetime.min.replace(tzinfo=UTC), age=float("inf"))


def claim_record(archive: BaseArchive, record: Record, wait: float | None = None) -> Claim | Record:
    """The claim on ``record``'s scan, taken for this writer — or the record, when another writer archived it whole
    meanwhile (waiting up to ``wait`` seconds, ``WAIT_SECONDS`` by default, for a writer that holds the claim).
    ``ArchiveBusyError`` when the other writer holds it still."""
    sha = record.source.sha256
    deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
    while True:
        found, held = _after_other_writer(archive, record, deadline)
        if found is not None:
            return found
        mine = Claim(
            sha,
            0 if held is None else held.generation + 1,
            archive.host_id,
            os.getpid(),
            datetime.now(UTC),
            record.batch_id,
            THIS_MACHINE,
            archive.writer_token,
        )
        body = mine.body()
        try:
            archive._create(mine.key, body, sha256_bytes(body), None)
        except ObjectTaken:  # another writer took this generation first: look again
            continue
        # the writer whose claim this one followed may have indexed the record and released its claim between this
        # writer's look for the record and its claim
        found = archive.find(sha)
        if found is not None:
            release(archive, mine)
            return found
        return mine


def _after_other_writer(archive: BaseArchive, record: Record, deadline: float) -> tuple[Record | None, Claim | None]:
    """Wait (until ``deadline``, by ``time.monotonic``) while another writer holds the claim on ``record``'s scan:
    the record once that writer indexed it, or (None, the newest claim — abandoned — or None when there is none).
    ``ArchiveBusyError`` when the other writer holds it still at ``deadline``."""
    sha = record.source.sha256
    waited = False
    while True:
        held = current_claim(archive, sha)
        if held is None or held.abandoned_for(archive):
            # the writer waited for released its claim: after its index entry, or when its put failed
            return (archive.find(sha) if waited else None), held
        found = archive.find(sha)
        if found is not None:
            return found, held
        if time.monotonic() >= deadline:
            raise ArchiveBusyError(record.id, held)
        time.sleep(POLL_SECONDS)
        waited = True


def archived_by_another_writer(archive: BaseArchive, record: Record, wait: float = WAIT_SECONDS) -> Record | None:
    """Before a scan the archive does not hold is read and signed: the record another writer (on another host) is
    archiving from it now, once indexed — waiting up to ``wait`` seconds —, or None when no other writer claims it.
    ``ArchiveBusyError`` when one still does: a host killed in a put holds its claim for an hour, and a watcher
    OCR'd and signed the scan every pass before its put said so (QA73). Not for a folder archive: its writers, on
    every host, wait for each other by the folder's lock, and a killed one's claim is taken over at once."""
    if archive.one_lock_for_all_writers:
        return None
    return _after_other_writer(archive, record, time.monotonic() + wait)[0]


def claim_of_another(archive: BaseArchive, record_id: str) -> Claim | None:
    """The claim another writer holds now on a scan whose record id is ``record_id`` (the first 16 hex digits of its
    SHA-256): its put is under way — or its writer was killed less than ``ABANDONED_AFTER`` ago on another host."""
    scans = {
        match["sha"]
        for key in archive._keys(f"{CLAIMS_DIR}/{record_id}")
        if (match := CLAIM_KEY.fullmatch(key)) is not None
    }
    return next((held for sha in sorted(scans) if (held := live_claim(archive, sha)) is not None), None)


def live_claim(archive: BaseArchive, sha256: str) -> Claim | None:
    """The claim on the scan ``sha256``'s record that another writer holds now (its put under way), or None."""
    held = current_claim(archive, sha256)
    return held if held is not None and not held.abandoned_for(archive) else None


def refuse_if_claimed(archive: BaseArchive, record: Record) -> None:
    """``ArchiveBusyError`` when another writer holds the claim on ``record``'s scan (what ``claim_record`` without
    waiting would answer, and nothing written: for a dry run)."""
    if (held := live_claim(archive, record.source.sha256)) is not None:
        raise ArchiveBusyError(record.id, held)


def remove_abandoned(archive: BaseArchive, dry_run: bool = False) -> list[Claim]:
    """Delete the claims their writers left (``Claim.abandoned_for`` this writer; its caller holds this host's write
    lock, and a folder's): a put killed after its claim, a scan's write finished by `ledger finish`, a killed
    conditional-write probe. Harmless — any later writer of the scan takes one over — but they stayed in
    ``.claims/`` for good. An object there that is no claim is left for the audit to name (tampering, not a
    writer's). Returns the claims removed (``dry_run``: that would be); one that cannot be deleted (a bucket's
    default retention rule keeps it) is not among them."""
    removed = []
    for key in list(archive._keys(f"{CLAIMS_DIR}/")):
        if (name := CLAIM_KEY.fullmatch(key)) is None or (raw := archive._read(key)) is None:
            continue
        claim = parsed_claim(name["sha"], int(name["generation"]), raw, archive._age(key))
        if claim is None or not claim.abandoned_for(archive):
            continue
        if not dry_run:
            try:
                archive._delete(key)
            except Exception:  # kept by a retention rule, the server gone: left, as before
                continue
        removed.append(claim)
    return removed


def release(archive: BaseArchive, claim: Claim) -> None:
    """Delete the claim, and the abandoned ones it took over; best effort: one left behind is abandoned, taken over
    by the next writer of the scan (and no record is written under it once the record is indexed)."""
    for generation in range(claim.generation, -1, -1):
        with contextlib.suppress(Exception):
            archive._delete(claim_key(claim.sha256, generation))
