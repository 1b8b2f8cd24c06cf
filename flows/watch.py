"""``sohoa watch``: the watched inbox folder.

Filesystem events (watchdog: inotify on Linux) make a dropped file noticed at once: a file created, moved in or
closed after writing is queued for a check. A full rescan of the inbox every ``watch_interval`` seconds stays,
because events are not reliable everywhere: a network share (SMB/NFS) reports no events for files written by
another machine, and an event queue can overflow. ``--once`` is one full pass, no events (tests, cron, the
Prefect deployment ``watch-inbox`` in flows/prefect_watch.py).

A file is taken only when it is complete: unchanged (size and mtime) for ``watch_stable_seconds``, readable, and
held open for writing by no process this one can see (``held_for_writing``); one that changes after it was claimed
goes back to the inbox, nothing quarantined for the part read (``_written_while_processed``, ``_Recent``).
It is claimed by an atomic rename into ``DATA_DIR/claimed/`` (two watchers cannot both claim it: the second
rename fails), processed by the pipeline, moved to ``DATA_DIR/processed/``. The first-level subfolder of the inbox
it was dropped in becomes a tag of the record (``inbox/hộ tịch/scan.pdf`` → ``hộ tịch``; classification is not
changed by it). A receipt (JSON, Vietnamese and English: record id, SHA-256, time, outcome, archive path, the
file as dropped) is written to ``DATA_DIR/outbox/`` and, for a record archived by this pass, stored with the
record in the archive (``receipt.json``, role ``receipt``). Watchers on one data folder take turns, a pass at a
time (``_pass``). An inbox on another filesystem than the data folder (a network share, another disk) is claimed
by a copy instead, crash-safely (``_claim_by_copy``).

A crash (SIGKILL, power cut) at any point leaves exactly one receipt per drop once the next full pass has run. Each
claimed file is finished as soon as its documents are: its receipts are first written to a journal
(``DATA_DIR/watch-journal/``, one JSON file per claimed file, naming the claimed file's inode, size and mtime),
then to the outbox, then the file is moved to ``processed/`` and the journal entry removed. A full pass first
finishes what a journal entry says was decided (writes the same receipts again under the same names, moves the
file), then processes what is left in ``claimed/`` again (the archive is idempotent by content hash). Before a
record is archived, the receipt stored with it is journaled too: a file whose pass was killed after archiving and
before its receipt gets that ``archived`` receipt on the rerun, not an ``already archived`` one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from flows.intake import (
    BLANK_BACK_EN,
    BLANK_BACK_VI,
    BlankPart,
    dropped_line,
    pages_in_english,
    pages_in_vietnamese,
)
from flows.pipeline import (
    NEEDS_REVIEW_NOTE,
    OUTCOME_WORDS,
    DocumentResult,
    Outcome,
    StageRunner,
    _test_crash_hook,
    check_locations,
    checked_locations,
    direct_runner,
    expand_inputs,
    left_alone,
    own_folder_of,
    own_folders,
    process_many,
)
from flows.stopping import raise_if_stopped, said_signal, stop_behind
from sohoa.errors import MACHINE_FAULTS, StageError
from sohoa.fsutil import (
    PART_MARKER,
    atomic_path,
    atomic_write_text,
    escaped,
    file_lock,
    fit_name,
    fsync_dir,
    nfd_twin,
    one_line,
    readable,
    said,
    sha256_file,
    twin_file_name,
    twin_marked,
)
from sohoa.record import Record, StackOrigin, page_run
from sohoa.settings import Settings
from sohoa.vietnamese import iso_vn
from storage import archive_location, open_configured_archive
from storage.base import record_prefix
from storage.quarantine import parked_entries, release

log = logging.getLogger("sohoa")

RECEIPT_ROLE = "receipt"
RECEIPT_NAME = "receipt.json"
RECEIPT_SUFFIX = ".receipt.json"
JOURNAL_DIR = "watch-journal"  # in DATA_DIR: the receipts decided for a claimed file not yet moved on


def _stable(path: Path, stable_seconds: float) -> bool:
    try:
        before = path.stat()
        if time.time() - before.st_mtime < stable_seconds:
            return False
        with path.open("rb") as handle:
            handle.read(1)
        after = path.stat()
    except OSError:
        return False
    return (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)


def held_for_writing(paths: Iterable[Path]) -> set[Path]:
    """Those of ``paths`` that a process holds open for writing (Linux: each ``/proc/PID/fd`` link to the file, and
    the access mode in ``/proc/PID/fdinfo``). Only the processes this one may look at: a writer of another user
    (unless sohoa runs as root) or on another machine (a Samba or NFS client) is not seen, so the rule of the
    stable time stays beside this one. Empty where there is no ``/proc``."""
    wanted: dict[tuple[int, int], Path] = {}
    for path in paths:
        with contextlib.suppress(OSError):
            info = path.stat()
            wanted[(info.st_dev, info.st_ino)] = path
    held: set[Path] = set()
    if not wanted:
        return held
    try:
        processes = [entry.name for entry in os.scandir("/proc") if entry.name.isdigit()]
    except OSError:
        return held
    for pid in processes:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue  # gone, or another user's
        for fd in descriptors:
            try:
                if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("/"):
                    continue  # a pipe, a socket
                info = os.stat(f"/proc/{pid}/fd/{fd}")
                if (info.st_dev, info.st_ino) not in wanted:
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as fdinfo:
                    flags = next((int(line.split()[1], 8) for line in fdinfo if line.startswith("flags:")), 0)
            except (OSError, ValueError, IndexError):
                continue
            if flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR):
                held.add(wanted[(info.st_dev, info.st_ino)])
    return held


def _size_and_mtime(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)


def _still_written(claim: _Claimed) -> bool:
    """Whether a claimed file changed since this pass claimed it, or a process holds it open for writing: a writer
    that paused longer than the stable time (or one not seen by ``held_for_writing``) wrote on into the claimed
    file (QA: the first half was quarantined as "PDF truncated" and the whole scan lay unprocessed in processed/)."""
    return (
        claim.seen is not None
        and claim.path.exists()
        and (_size_and_mtime(claim.path) != claim.seen or bool(held_for_writing([claim.path])))
    )


def _say_resting(claim: _Claimed, inbox: Path, wait: float) -> None:
    log.info(
        "%s: thử lại sau %.0f s / tried again in %.0f s",
        said(str(inbox / claim.relative)),
        wait,
        wait,
    )


def _put_back(claim: _Claimed, inbox: Path) -> Path:
    """A claimed file still being written, back where it was dropped (or beside it, when that name was taken
    meanwhile): the next pass looks at it again once it is complete."""
    target = _unique(inbox / claim.relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    _move(claim.path, target)  # an inbox on another filesystem: a copy, then the claimed file removed
    return target


def _seconds_left(path: Path, stable_seconds: float) -> float | None:
    """When to look at a file that is not complete yet again (None: it is gone)."""
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return None
    left = stable_seconds - age
    # still being written: just after it could be stable; old but unreadable (locked, no permission): a while
    return left + 0.05 if left > 0 else max(stable_seconds, 1.0)


def _unique(target: Path) -> Path:
    """``target``, or a free name beside it (a long name is shortened to leave room for the suffix)."""
    while target.exists():
        target = target.with_name(fit_name(f"{target.stem}-{uuid.uuid4().hex[:8]}", target.suffix))
    return target


def _claim(path: Path, inbox: Path, claimed: Path, seen: tuple[int, int] | None) -> Path | None:
    """Take ``path`` into ``claimed/``: its path there, or None when another watcher took it first (or, across
    filesystems, its writer came back meanwhile). Raises OSError when it cannot be taken (no permission, a full
    disk): the file stays in the inbox, and the pass says so (``_not_taken``)."""
    target = _unique(claimed / path.relative_to(inbox))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(path, target)  # atomic: only one watcher wins
    except FileNotFoundError:
        return None  # claimed by another watcher meanwhile
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # the inbox is on another filesystem (a network share, another disk): no rename reaches claimed/
        return _claim_by_copy(path, target, claimed.parent / JOURNAL_DIR / CLAIMING_DIR, seen)
    return target


CLAIMING_DIR = "claiming"  # in DATA_DIR/watch-journal/: claims across filesystems under way (one JSON file each)
CLAIM_MARK = ".sohoa-claim-"  # the hidden name beside it that a file of such an inbox is taken under first


def _claim_by_copy(path: Path, target: Path, claiming: Path, seen: tuple[int, int] | None) -> Path | None:
    """The claim of a file on another filesystem than DATA_DIR, where a rename cannot reach ``claimed/`` (EXDEV:
    until 2026-12-02 every pass failed on it, the file was never taken, and ``--once`` exited 0). In steps, each
    one finished or undone by ``_settle_claim`` — at once when this call fails, or by the next full pass after a
    crash (``_recover_claims``) — so that no file is lost and none is taken twice:

    1. an entry in ``watch-journal/claiming/`` names the file, its hidden name, its copy's temporary name and its
       name in ``claimed/``;
    2. the file is renamed to a hidden name beside it (``.NAME.sohoa-claim-TOKEN``): a rename on its own
       filesystem, so of two watchers of one share only one takes it, as with ``claimed/``; scans pass it by;
    3. it is copied into ``claimed/`` under a temporary hidden name (its mtime kept, for ``_still_written``),
       fsynced, renamed into place and the folder fsynced: the copy is on disk before the original goes;
    4. the hidden original is removed — unless a writer came back meanwhile: then it goes back under its name and
       the copy is removed (the next pass takes it whole);
    5. the entry is removed."""
    token = uuid.uuid4().hex[:12]
    hidden = path.with_name(fit_name(f".{path.name}", f"{CLAIM_MARK}{token}"))
    entry = {
        "file": str(path),
        "hidden": str(hidden),
        "copy": str(target.with_name(fit_name(f".{target.name}", f"{PART_MARKER}{token}"))),
        "claimed": str(target),
    }
    record = claiming / f"{token}.json"
    claiming.mkdir(parents=True, exist_ok=True)
    atomic_write_text(record, json.dumps(entry))  # ASCII: any byte of a name survives
    try:
        os.rename(path, hidden)
    except FileNotFoundError:
        record.unlink(missing_ok=True)
        return None  # another watcher of the share took it meanwhile
    except BaseException:
        record.unlink(missing_ok=True)
        raise
    try:
        _test_crash_hook("watch-claim-hidden")
        copy = Path(entry["copy"])
        shutil.copyfile(hidden, copy)
        info = hidden.stat()
        os.utime(copy, ns=(info.st_atime_ns, info.st_mtime_ns))
        with copy.open("rb+") as handle:
            os.fsync(handle.fileno())
        if seen is not None and (_size_and_mtime(hidden) != seen or held_for_writing([hidden])):
            # a writer came back while it was copied: the copy may hold a part only; the file goes back
            copy.unlink()
            _settle_claim(entry)
            record.unlink(missing_ok=True)
            log.info(
                "%s: bị ghi tiếp khi đang được nhận; để lại trong hộp thư đến cho lượt sau / written to while it was "
                "claimed; left in the inbox for the next pass",
                said(str(path)),
            )
            return None
        os.rename(copy, target)
        fsync_dir(target.parent)
        _test_crash_hook("watch-claim-copy")
        _settle_claim(entry)
    except BaseException:  # a fault, a stop (Ctrl-C, SIGTERM): finished or undone now, else by the next full pass
        with contextlib.suppress(OSError):
            _settle_claim(entry)
            record.unlink(missing_ok=True)
        raise
    record.unlink(missing_ok=True)
    return target


def _settle_claim(entry: dict[str, str]) -> bool:
    """Finish or undo a claim across filesystems (``_claim_by_copy``) from its journal entry: a copy in
    ``claimed/`` (renamed into place after its fsync, so complete) is the claim, and the hidden original goes;
    without one, the partial copy goes and the original gets its name back in the inbox (beside it when that name
    was taken meanwhile: an officer dropped another file of that name). When the original cannot be removed (no
    permission), the claim is undone instead: never both kept, which would archive the file twice. True when the
    claim was finished, False when it was undone (the file back in the inbox)."""
    hidden, copy, target = Path(entry["hidden"]), Path(entry["copy"]), Path(entry["claimed"])
    if target.exists():
        try:
            hidden.unlink(missing_ok=True)
            fsync_dir(hidden.parent)  # gone for good before the entry that says so is removed
            return True
        except OSError:
            target.unlink()
    copy.unlink(missing_ok=True)
    if hidden.exists():
        os.rename(hidden, _unique(Path(entry["file"])))
    return False


def _recover_claims(data_dir: Path) -> set[Path]:
    """Claims across filesystems that a killed pass left half-done (``_claim_by_copy``), finished or undone before
    a full pass looks at ``claimed/`` and the inbox. Returns the files in ``claimed/`` whose claim could not be
    settled (its inbox unreachable now): the pass leaves them alone, or a file kept in both places would be
    archived twice, and the next full pass tries again."""
    unsettled: set[Path] = set()
    claiming = data_dir / JOURNAL_DIR / CLAIMING_DIR
    for record in sorted(claiming.glob("*.json")) if claiming.is_dir() else []:
        try:
            entry = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record.unlink(missing_ok=True)  # never torn (atomic_write_text): a hand-made file
            continue
        try:
            finished = _settle_claim(entry)
        except OSError as exc:
            unsettled.add(Path(entry["claimed"]))
            log.error(
                "%s: chưa hoàn tất được việc nhận tệp bị gián đoạn, thử lại ở lượt sau: %s / could not finish an "
                "interrupted claim, tried again on the next pass: %s",
                said(entry["file"]),
                exc.strerror or exc,
                exc.strerror or exc,
            )
            continue
        record.unlink(missing_ok=True)
        log.info(  # QA70: "finished" was said of a claim undone, its file put back in the inbox
            "%s: đã hoàn tất việc nhận tệp từ ổ đĩa khác bị gián đoạn / finished an interrupted claim from another "
            "filesystem"
            if finished
            else "%s: việc nhận tệp từ ổ đĩa khác bị gián đoạn đã được hủy, tệp trả lại hộp thư đến cho lượt sau / "
            "undid an interrupted claim from another filesystem: the file is back in the inbox for the next pass",
            said(entry["file"]),
        )
    return unsettled


def _move(source: Path, target: Path) -> None:
    """``os.rename``, or, where ``target`` is on another filesystem (a file put back into an inbox on a share),
    a copy beside it (hidden, its mtime kept), fsynced and renamed into place, then ``source`` removed: a crash in
    between leaves the file in both places, never in neither (the copy taken again is "already archived")."""
    try:
        os.rename(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    with atomic_path(target) as copy:
        shutil.copyfile(source, copy)
        info = source.stat()
        os.utime(copy, ns=(info.st_atime_ns, info.st_mtime_ns))
    source.unlink()


_not_taken_said: set[tuple[Path, str]] = set()  # (file, problem) already logged by this process: once each


def _not_taken(path: Path, claimed: Path, exc: OSError, once: bool) -> str:
    """A file that could not be claimed, said in Vietnamese and English: it stays in the inbox. Logged (ERROR)
    once per file and problem by a running watcher (it tries again every rescan), always by ``--once``."""
    code = exc.errno or 0
    vietnamese = MACHINE_FAULTS.get(code) or NOT_TAKEN_WORDS.get(code) or os.strerror(code)
    english = os.strerror(code) if code else str(exc)
    message = (
        f"{said(str(path))}: không nhận được tệp vào {claimed} ({vietnamese}); tệp vẫn nằm trong hộp thư đến, "
        f"sẽ thử lại ở lượt sau / cannot take the file into {claimed} ({english}); it stays in the inbox and is "
        "tried again on the next pass"
    )
    if once or (path, message) not in _not_taken_said:
        _not_taken_said.add((path, message))
        log.error("%s", message)
    return message


NOT_TAKEN_WORDS = {
    errno.EACCES: "không có quyền",
    errno.EPERM: "không được phép",
    errno.ENOENT: "không còn tệp hoặc thư mục",
    errno.ENAMETOOLONG: "tên quá dài",
    errno.ENOTDIR: "một phần đường dẫn không phải thư mục",
    errno.EBUSY: "tệp đang bận",
}


def tags_for(relative: Path) -> list[str]:
    """The tag a file gets from where it was dropped: its first-level subfolder of the inbox, NFC
    (``hộ tịch/scan.pdf`` → ``["hộ tịch"]``; ``scan.pdf`` → ``[]``). A name that equals a record class code is
    kept as a tag like any other: the classifier reads the document and decides its class."""
    parts = relative.parts
    return [readable(parts[0]).strip()] if len(parts) > 1 and parts[0].strip() else []


@dataclass(frozen=True)
class _Claimed:
    path: Path  # where it lies now, in DATA_DIR/claimed/
    relative: Path  # where it was dropped, relative to the inbox
    seen: tuple[int, int] | None = None  # (size, mtime) when it was claimed by this pass: changed since, still written
    # spelled NFD beside its NFC twin in the inbox when claimed (sohoa.fsutil.nfd_twin): by the time the pipeline
    # logs it the inbox no longer shows the twin (QA83)
    nfd_twin: bool = False


_MESSAGES: dict[str, tuple[str, str]] = {
    "archived": (
        "Đã tiếp nhận và lưu trữ: hồ sơ {id}, tại {where}.",
        "Received and archived as record {id} at {where}.",
    ),
    "already_archived": (
        "Tài liệu này đã được lưu trữ trước đó: hồ sơ {id}, tại {where}.",
        "Already archived before: record {id} at {where}.",
    ),
    "quarantined": (
        "Không xử lý được, tệp đã được chuyển vào khu cách ly. Lý do: {reason_vi}",
        "Could not be processed; the file was quarantined. Reason: {reason}",
    ),
    "failed": (
        "Lỗi hệ thống; tệp sẽ được xử lý lại ở lượt sau. Chi tiết: {reason_vi}",
        "A fault of the system; the file will be processed again on the next pass. Detail: {reason}",
    ),
}


def _make_receipt(
    *,
    file: str,
    outcome: str,
    record: Record | None,
    sha256: str | None,
    archive: str,
    archive_path: str | None,
    reason: str | None = None,
    reason_vi: str | None = None,
    document: int | None = None,
    pages: list[int] | None = None,
    dropped: list[dict[str, Any]] | None = None,
    twin: bool = False,
) -> dict[str, Any]:
    """A receipt. ``file`` is the document as the watcher knows it (``_document_name``); for a document split
    from a scanned stack (``document``: its number; ``pages``: the stack's pages it was made of), the receipt
    names the stack file as dropped, the number and the pages, in words too (it used to name ``stack.pdf#1.pdf``,
    a file nobody dropped, and no pages). ``dropped``: the stack's blank parts, left out of it (a separator's
    back, fed duplex; ``BlankPart.summary``): listed, and said in a sentence, on each of its documents' receipts
    (until 2026-12-01 only a log line said so: the outbox had no word of those pages). ``twin``: the file was
    dropped spelled NFD beside its NFC twin (``_Claimed.nfd_twin``): ``nfd_twin`` true, and marked ``(NFD)`` where the
    receipt, its file name in the outbox and its log line name it, as the pipeline's lines do (in NFC the two
    receipts were alike, QA83)."""
    if document is not None and file.endswith(f"#{document}.pdf"):
        file = file.removesuffix(f"#{document}.pdf")
    else:
        document = pages = None
        dropped = None
    record_id = record.id if record else None
    where = f"{archive.rstrip('/')}/{archive_path}" if archive_path else archive
    vi, en = _MESSAGES.get(outcome, ("{reason_vi}", "{reason}"))
    values = {"id": record_id, "where": where, "reason": reason or "", "reason_vi": reason_vi or reason or ""}
    classification = record.classification if record else None
    review = bool(record and record.needs_review and outcome in {"archived", "already_archived"})
    reasons = list(record.review_reasons) if record and review else []
    message_vi, message_en = vi.format(**values), en.format(**values)
    named = twin_marked(file, Path(file), twin)  # the file in the sentences
    if document is not None:
        said_pages = page_run(pages or [])
        at_vi, at_en = (f" (tr. {said_pages})", f" (p. {said_pages})") if pages else ("", "")
        message_vi = f"Văn bản thứ {document}{at_vi} trong tệp {named}: {message_vi}"
        message_en = f"Document {document}{at_en} of the file {named}: {message_en}"
    for blank in dropped or []:
        left_out = blank["pages"]
        message_vi += (
            f" Không lưu {pages_in_vietnamese(left_out)} của tệp {named}: {BLANK_BACK_VI}, không phải văn bản."
        )
        message_en += f" Not archived: {pages_in_english(left_out)} of the file {named}, {BLANK_BACK_EN}, no document."
    from classify.review import reason_in_vietnamese

    reasons_vi = [reason_in_vietnamese(reason) for reason in reasons]
    if review:  # a blank page, an unreadable scan: archived, and an officer must look at it (sohoa review list)
        message_vi += (
            f" Hồ sơ cần cán bộ kiểm tra lại (sohoa review list): {'; '.join(reasons_vi) or 'độ tin cậy thấp'}."
        )
        message_en += (
            f" The record needs an officer's review (sohoa review list): {'; '.join(reasons) or 'low confidence'}."
        )
    return {
        "file": file,
        "document": document,
        "pages": pages,  # the stack's pages this document was made of (split from a stack), else null
        # the stack's blank parts, dropped (a separator's back): as process --json's dropped_pages; else []
        "dropped_pages": list(dropped or []),
        "original_name": Path(file).name,
        "nfd_twin": twin,  # dropped spelled NFD beside its NFC twin: the one the receipts mark (NFD)
        "outcome": outcome,
        "record_id": record_id,
        "sha256": sha256,
        "time": iso_vn(),  # Vietnam time, as the officers read it (the server may run in UTC)
        "archive": archive,
        "archive_path": archive_path,
        "doc_type": classification.doc_type if classification else None,
        "number": classification.number if classification else None,
        # where this file was dropped (a copy of an archived scan dropped in another folder: that folder; the
        # record keeps the tags of its first drop, its sidecar is never rewritten)
        "tags": tags_for(Path(file)),
        "reason": reason,
        "reason_vi": reason_vi,
        "needs_review": review,
        "review_reasons": reasons,
        "review_reasons_vi": reasons_vi,
        # what the searchable copy changed of the input, Vietnamese / English (as process --json's ``notices``)
        "notices": list(record.ocr.notices) if record and record.ocr else [],
        "message_vi": said(message_vi),
        "message_en": said(message_en),
    }


def _receipt(
    result: DocumentResult,
    source_name: str,
    archive: str,
    dropped: list[dict[str, Any]] | None = None,
    twin: bool = False,
) -> dict[str, Any]:
    line = result.summary()
    sha = line["sha256"]
    if sha is None and result.path.is_file():
        sha = sha256_file(result.path)
    return _make_receipt(
        file=source_name,
        outcome=line["outcome"],
        record=result.record,
        sha256=sha,
        archive=archive,
        archive_path=line["archive_path"],
        reason=line["reason"],
        reason_vi=line["reason_vi"],
        document=result.origin.part if result.origin else None,
        pages=result.origin.pages if result.origin else None,
        dropped=dropped,
        twin=twin,
    )


def _origin(document: Path, claims: list[_Claimed]) -> _Claimed | None:
    """The claimed file a document came from: itself, or the stack it was split out of (``stack.pdf#2.pdf`` in a
    folder named after the stack's SHA-256, see flows.intake)."""
    for claim in claims:
        if claim.path == document:
            return claim
    same_name = [c for c in claims if c.path.name == document.name.rpartition("#")[0]]
    if len(same_name) == 1:
        return same_name[0]
    # two stacks of the same name (from two subfolders), or a long name shortened: tell them apart by content
    by_content = [c for c in claims if _content_starts(c.path, document.parent.name)]
    return by_content[0] if by_content else None


def _content_starts(path: Path, prefix: str) -> bool:
    try:  # a claimed file already finished is moved to processed/ while later documents of the pass run
        return sha256_file(path).startswith(prefix)
    except OSError:
        return False


def _document_name(document: Path, claim: _Claimed | None) -> str:
    """The document as the officer knows it: the path as dropped (``hộ tịch/scan.pdf``, ``stack.pdf#2.pdf``)."""
    if claim is None:
        return readable(document.name)
    if claim.path == document:
        return readable(claim.relative.as_posix())
    return readable((claim.relative.parent / f"{claim.relative.name}#{document.name.rpartition('#')[2]}").as_posix())


def dropped_path(inbox: Path, claim: _Claimed) -> str:
    """Where a claimed file was dropped, as a record or reason file names it (as the filesystem spells it; bytes
    that are not UTF-8 as ``\\xNN``): ``source.path`` used to name ``DATA_DIR/claimed/…``, gone once the file
    is moved on."""
    return escaped(str(inbox / claim.relative))


def _dropped_as(inbox: Path, claim: _Claimed, origin: StackOrigin | None) -> str:
    """A document of ``claim`` as dropped: ``dropped_path``, + ``#part`` for a document split from the stack."""
    dropped = dropped_path(inbox, claim)
    return f"{dropped}#{origin.part}" if origin is not None else dropped


def _rename_in_reason(result: DocumentResult, claim: _Claimed, inbox: Path) -> None:
    """The quarantine reason file of a claimed file names the file as dropped, not its claimed copy."""
    if result.quarantined_as is None:
        return
    reason_file = result.quarantined_as.with_name(fit_name(result.quarantined_as.name, ".reason.txt"))
    try:
        lines = reason_file.read_text(encoding="utf-8").split("\n")
    except OSError:
        return
    prefix = "Tệp / File: "
    if lines and lines[0].startswith(prefix):
        origin = result.origin
        where = dropped_path(inbox, claim)
        lines[0] = prefix + one_line(origin.label(where) if origin else where)
        atomic_write_text(reason_file, "\n".join(lines))


def _identity(path: Path) -> list[int]:
    """What tells this claimed file from a later drop claimed under the same name: inode, device, size, mtime."""
    info = path.stat()
    return [info.st_ino, info.st_dev, info.st_size, info.st_mtime_ns]


class _Journal:
    """``DATA_DIR/watch-journal/``: one JSON file per claimed file (named by the SHA-256 of its path in
    ``claimed/``) with what must survive a crash of the watcher — the ``archived`` receipt of each of its
    documents, written just before the record is archived, and, once all its documents are done, the ``receipts``
    decided for it with their names in the outbox. An entry whose claimed file is gone or is another file (inode,
    size, mtime) is stale: a crash came after the move."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / JOURNAL_DIR
        self.claimed_root = data_dir / "claimed"
        self._lock = threading.Lock()  # documents of a pass run in threads

    def path(self, claim: Path) -> Path:
        key = os.fsencode(claim.relative_to(self.claimed_root).as_posix())
        return self.root / f"{hashlib.sha256(key).hexdigest()}.json"

    def read(self, claim: Path) -> dict[str, Any] | None:
        """The entry of this claimed file, None when there is none or it belongs to another file."""
        try:
            entry: dict[str, Any] = json.loads(self.path(claim).read_text(encoding="utf-8"))
            return entry if entry.get("identity") == _identity(claim) else None
        except (OSError, ValueError):
            return None

    def _write(self, claim: Path, entry: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path(claim), json.dumps(entry, indent=2))  # ASCII: any byte of a name survives

    def _entry(self, claim: Path) -> dict[str, Any]:
        entry = self.read(claim)
        if entry is None:
            claimed = claim.relative_to(self.claimed_root).as_posix()
            entry = {"claimed": claimed, "identity": _identity(claim), "archived": {}}
        return entry

    def will_archive(self, claim: Path, document: str, receipt: dict[str, Any]) -> None:
        with self._lock:
            entry = self._entry(claim)
            entry["archived"][document] = receipt
            self._write(claim, entry)

    def decided(self, claim: Path, receipts: list[tuple[str, dict[str, Any]]], quarantined: list[str]) -> None:
        """``quarantined``: the SHA-256 of what the file's documents put in the quarantine, for its ``_Recent``
        entry, written again by a later pass when this one is killed before it (see ``_finish_journaled``)."""
        with self._lock:
            entry = self._entry(claim)
            entry["receipts"] = [{"name": name, "receipt": receipt} for name, receipt in receipts]
            entry["quarantined"] = quarantined
            self._write(claim, entry)

    def remove(self, claim: Path) -> None:
        with self._lock:
            self.path(claim).unlink(missing_ok=True)

    def entries(self) -> list[tuple[Path, dict[str, Any] | None]]:
        """Every entry: its claimed file and content (None: stale or unreadable, to remove)."""
        found: list[tuple[Path, dict[str, Any] | None]] = []
        for file in sorted(self.root.glob("*.json")) if self.root.is_dir() else []:
            try:
                claimed = self.claimed_root / json.loads(file.read_text(encoding="utf-8"))["claimed"]
            except (OSError, ValueError, KeyError, TypeError):
                file.unlink(missing_ok=True)  # a torn write cannot be: atomic_write_text; a hand-made file
                continue
            found.append((claimed, self.read(claimed) if self.path(claimed) == file else None))
        return found


def _receipt_key(receipt: dict[str, Any]) -> str:
    """The document a receipt is for, as ``_document_name`` names it (``stack.pdf#2.pdf`` for a stack's second)."""
    document = receipt.get("document")
    return f"{receipt['file']}#{document}.pdf" if document else str(receipt["file"])


def _key(record: Record) -> tuple[str, str]:
    """A document of the pass: its record id (the content's) and its path as ingested (``source.path``)."""
    return record.id, record.source.path


class _WatchRunner:
    """The pipeline's stage runner, wrapped (``flows.pipeline`` runs every stage through a ``StageRunner``, so
    the orchestrator needs no watcher-specific code): after ``ingest`` the record gets the tags of the subfolder
    its file was dropped in; before ``archive`` the receipt is written into the record's work folder and added
    to the files put, so it is stored beside the record, under the record's retention and in its sidecar. Its
    content is known then: the archive path is ``record_prefix`` of the record being put."""

    def __init__(self, base: StageRunner, claims: list[_Claimed], archive: str, journal: _Journal, inbox: Path) -> None:
        self.inbox = inbox
        self.base = base
        self.claims = claims
        self.archive = archive
        self.journal = journal
        self._lock = threading.Lock()  # documents of a pass run in threads (settings.batch_workers)
        # keyed by the document, not the record id alone: two copies of one scan in a pass have one record id
        self._names: dict[tuple[str, str], str] = {}  # document → the document as dropped
        self._claims: dict[tuple[str, str], _Claimed] = {}  # document → the claimed file it came from
        self.archived: dict[str, dict[str, Any]] = {}  # record id → the receipt stored with it
        self.dropped: list[BlankPart] = []  # the stacks' blank parts (process_many's ``dropped``)

    @property
    def caches_stages(self) -> bool:
        """Whether the wrapped runner caches its stages (``flows.pipeline.prepare_work_dir``'s ``reuse``)."""
        return bool(getattr(self.base, "caches_stages", False))

    def dropped_of(self, claim: _Claimed | None) -> list[dict[str, Any]]:
        """The blank parts dropped from ``claim`` (a stack), as its receipts list them: the stack as dropped in the
        inbox (``dropped_path``, as its records' ``source.stack.path``), not its claimed copy."""
        if claim is None:
            return []
        where = dropped_path(self.inbox, claim)  # the name the split gave it (``dropped_as``), as the log says it: NFC
        return [
            replace(blank, path=where).summary() for blank in list(self.dropped) if said(blank.stack) == said(where)
        ]

    def __call__(self, stage: str, function: Callable[..., Any], *args: Any) -> Any:
        if stage == "archive":
            record, files, settings = args
            receipt = self.receipt_for(record)
            with self._lock:
                claim = self._claims.get(_key(record))
            if claim is not None:  # a crash after the archive write: the rerun gives this receipt, not another
                self.journal.will_archive(claim.path, _receipt_key(receipt), receipt)
            work = files["signed"][1].parent  # the record's work folder, removed by the pipeline afterwards
            stored = work / RECEIPT_NAME
            body = (json.dumps(receipt, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            stored.write_bytes(body)
            args = (record, {**files, RECEIPT_ROLE: (RECEIPT_NAME, stored)}, settings)
        result = self.base(stage, function, *args)
        if stage == "archive" and isinstance(result, Record):
            kept = [o for o in result.objects if o.role == RECEIPT_ROLE]
            if kept and kept[0].sha256 != hashlib.sha256(body).hexdigest():  # not this pass's: an adopted record's
                self._keep_stored_receipt(result, args[2])
        if stage == "ingest" and isinstance(result, Record):
            claim = _origin(Path(args[0]), self.claims)
            result.tags = tags_for(claim.relative) if claim else []
            if claim is not None:  # the file as dropped, not its claimed copy (gone once the file is moved on)
                stack = result.source.stack
                if stack is not None:
                    stack.path = dropped_path(self.inbox, claim)
                result.source.path = _dropped_as(self.inbox, claim, stack)
            with self._lock:
                self._names[_key(result)] = _document_name(Path(args[0]), claim)
                if claim is not None:
                    self._claims[_key(result)] = claim
        return result

    def nfd_twin(self, document: Path) -> bool:
        """Whether ``document`` was dropped spelled NFD beside its NFC twin (``_Claimed.nfd_twin``)."""
        claim = _origin(document, self.claims)
        return claim is not None and claim.nfd_twin

    def dropped_as(self, document: Path, origin: StackOrigin | None) -> str | None:
        """Where a document of this pass was dropped, as its record, its reason file and the pipeline's log lines
        name it (flows.pipeline.as_dropped): the file in the inbox (``dropped_path``), + ``#part`` for a document
        split from a stack; None for a file this pass did not claim. The log named the claimed copy (QA)."""
        claim = _origin(document, self.claims)
        return None if claim is None else _dropped_as(self.inbox, claim, origin)

    def _keep_stored_receipt(self, archived: Record, settings: Settings) -> None:
        """The receipt of an archived record is the one stored with it. A pass killed after the record's sidecar
        was written and before it was indexed left a receipt stored with the first drop's time, which the archive
        keeps (the rerun adopts the record, storage.base.put): the outbox gets that one, not this pass's (found by
        exploratory testing: the two differed in their time)."""
        try:
            stored = json.loads(open_configured_archive(settings).read_verified(archived, RECEIPT_ROLE))
        except Exception as exc:  # unreadable now: the audit names a damaged object; the receipt made here stands
            log.warning(
                "hồ sơ %s: không đọc được biên nhận lưu kèm (%s) / record %s: cannot read its stored receipt (%s)",
                archived.id,
                exc,
                archived.id,
                exc,
            )
            return
        with self._lock:
            if self.archived.get(archived.id) == stored:
                return
            self.archived[archived.id] = stored
            claim = self._claims.get(_key(archived))
        if claim is not None:
            self.journal.will_archive(claim.path, _receipt_key(stored), stored)

    def receipt_for(self, record: Record) -> dict[str, Any]:
        with self._lock:
            name = self._names.get(_key(record), record.source.name)
            claim = self._claims.get(_key(record))
        receipt = _make_receipt(
            file=name,
            outcome=Outcome.ARCHIVED.value,
            record=record,
            sha256=record.source.sha256,
            archive=self.archive,
            archive_path=record_prefix(record),
            document=record.source.stack.part if record.source.stack else None,
            pages=record.source.stack.pages if record.source.stack else None,
            dropped=self.dropped_of(claim),
            twin=claim is not None and claim.nfd_twin,
        )
        with self._lock:
            self.archived[record.id] = receipt
        return receipt


_warned: set[Path] = set()  # entries already logged as unusable by this process (one line each, not every pass)


def _warn_unreadable(path: Path) -> None:
    """Name, once, an entry of the inbox that looks like a scan but is no file to read: a named pipe, a socket, a
    symbolic link to nothing. The scan of the inbox passes it by (nothing can be read or copied to quarantine),
    and it used to stay there without a word."""
    if path in _warned:
        return
    _warned.add(path)
    if path.is_symlink():
        what = f"a symbolic link to {os.readlink(path)}, which does not exist"
    elif path.is_fifo():
        what = "a named pipe (FIFO)"
    elif path.is_socket():
        what = "a socket"
    else:
        what = "not a regular file"
    log.warning("%s: bỏ qua, không phải tệp đọc được / skipped: %s, not a file to read", said(str(path)), what)


# Files the watcher leaves alone: hidden ones (``.name``: a Mac's ``.DS_Store`` and ``._x``, LibreOffice's
# ``.~lock.x#``), and those ``sohoa process`` leaves alone in a folder too (flows.pipeline.left_alone): a Windows
# folder's ``Thumbs.db`` and ``desktop.ini``, Office's owner file ``~$x.docx``, and the partial files of a copy or
# download under way (``x.part``, ``x.tmp``, ``x.crdownload``…), which become the real file when complete. Each is
# logged once (INFO). Every other file gets a receipt: a scan is processed, any other type quarantined ("Định dạng
# tệp không được hỗ trợ" / unsupported, saying what an image of another type is and what to do): whatever is
# dropped in the inbox was meant to be archived — `sohoa process` on a folder takes scans and images only and names
# each other file it passes by.
def _skip_reason(path: Path, inbox: Path) -> str | None:
    """Why the watcher leaves this file of the inbox alone, None when it takes it."""
    relative = path.relative_to(inbox)
    if any(part.startswith(".") for part in relative.parts):
        return "tệp ẩn / a hidden file"
    why = left_alone(path)
    return f"{why[0]} / {why[1]}" if why is not None else None


_skipped_said: set[Path] = set()  # files already logged as left alone by this process (once each)


def _say_skipped(path: Path, inbox: Path) -> None:
    if path in _skipped_said or not path.is_relative_to(inbox):
        return
    _skipped_said.add(path)
    why = _skip_reason(path, inbox) or "tệp ẩn / a hidden file"
    log.info("%s: bỏ qua / left alone: %s", said(str(path)), why)


def _eligible(path: Path, inbox: Path) -> bool:
    """A file the inbox rescan would take too: inside the inbox, not hidden, not a temporary or system file (any
    type: one that is not a scan is quarantined with a receipt)."""
    return path.is_relative_to(inbox) and _skip_reason(path, inbox) is None


def receipt_target(outbox: Path, receipt: dict[str, Any], document: Path) -> Path:
    """Where the receipt goes in the outbox: ``receipt_file_name``, or, when the same file was dropped before and
    its receipt is still there, that name with the time of this drop — the first receipt ("archived") is the one
    an officer may have filed, and a later drop's ("already archived") used to replace it."""
    target = outbox / receipt_file_name(receipt, document)
    if not target.exists():
        return target
    stem = target.name.removesuffix(RECEIPT_SUFFIX)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return _unique(outbox / fit_name(f"{stem}-{stamp}", RECEIPT_SUFFIX))


def receipt_file_name(receipt: dict[str, Any], document: Path) -> str:
    """``{SHA-256, 16 digits}-{file name}.receipt.json``, shortened (with a hash) to fit in 255 bytes; a document
    split from a stack is the stack and its number, ``…-A.pdf#3.receipt.json`` (until 2026-12-01 the scratch
    file's name, ``A.pdf#3.pdf``). Never recomputed to find a receipt again: the journal keeps the names written."""
    name = document.name
    if (number := receipt.get("document")) and name.endswith(f"#{number}.pdf"):
        name = name.removesuffix(".pdf")
    shown = readable(name)
    if receipt.get("nfd_twin"):  # `Quyết định (NFD).pdf`, as its quarantine entry is named: in NFC the two were alike
        file, at, part = shown.partition("#")
        shown = f"{twin_file_name(file)}{at}{part}"
    return fit_name(f"{(receipt['sha256'] or uuid.uuid4().hex)[:16]}-{shown}", RECEIPT_SUFFIX)


def _write_receipts(outbox: Path, receipts: list[tuple[str, dict[str, Any]]]) -> None:
    for name, receipt in receipts:
        atomic_write_text(outbox / name, json.dumps(receipt, ensure_ascii=False, indent=2))
        _test_crash_hook("watch-receipt")


def _move_to_processed(
    claim: Path,
    claimed_root: Path,
    processed_root: Path,
    recent: _Recent,
    receipts: list[tuple[str, dict[str, Any]]],
    quarantined: list[str],
) -> Path:
    """Move a claimed file whose receipts are written to processed/, its ``_Recent`` entry written first: a watcher
    killed between the move and that entry lost it (QA: found by SIGKILL), and with it the re-check for a writer
    that went on writing into the file. Written before the move, it is never lost: a kill before the move leaves the
    journal entry, whose pass writes both again."""
    target = _unique(processed_root / claim.relative_to(claimed_root))
    # a record archived from the file stays in the archive when it is put back: its receipt stays too
    undone = [name for name, receipt in receipts if receipt["outcome"] not in ("archived", "already_archived")]
    recent.add(target, claim, claim.relative_to(claimed_root), undone, quarantined)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(claim, target)  # atomic: the file is in claimed/ or in processed/, never both or neither
    _test_crash_hook("watch-move")
    return target


# How long a file moved to processed/ is still looked at for a writer that went on writing into it
RECHECK_SECONDS = 600.0
# The longest a running watcher leaves a failed file in claimed/ before trying it again (``_Resting``)
RETRY_AT_MOST = 600.0


class _Resting:
    """The files a running watcher failed (left in ``claimed/``: a fault of the machine, a service down, a scan
    another host is archiving) and when its full passes try each again: after ``watch_interval``, then twice as
    long each time, up to ``RETRY_AT_MOST``. Every rescan (10 s) used to try them: a scan a killed host had claimed
    was OCR'd, signed and failed with a receipt of its own every 10 s for an hour (QA73), an S3 outage did the same
    to every failed file. Kept in memory: a restarted watcher tries them all at once."""

    def __init__(self, first: float) -> None:
        self._first = first
        self._until: dict[Path, float] = {}  # claimed file → time.monotonic() before which a pass leaves it
        self._tries: dict[Path, int] = {}

    def due(self, path: Path) -> bool:
        return self._until.get(path, 0.0) <= time.monotonic()

    def failed(self, path: Path) -> float:
        """Note another failure of ``path``; the seconds until a pass tries it again."""
        tries = self._tries[path] = self._tries.get(path, 0) + 1
        wait = min(self._first * 2 ** (tries - 1), max(RETRY_AT_MOST, self._first))
        self._until[path] = time.monotonic() + wait
        return wait

    def done(self, path: Path) -> None:
        self._until.pop(path, None)
        self._tries.pop(path, None)


class _Recent:
    """``DATA_DIR/watch-journal/recent/``: the files moved to processed/ in the last ``RECHECK_SECONDS``, with their
    size and mtime then. A writer this process cannot see (another machine's, over NFS or Samba) that paused longer
    than the stable time had its first part claimed and processed, and wrote the rest into the file in processed/
    (QA: the complete scan lay there unprocessed, its first half quarantined as "PDF truncated"). A full pass finds
    such a file changed, removes what its first part left (its quarantine entries, its receipts) and puts it back
    in the inbox, where it is taken whole once it is complete."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / JOURNAL_DIR / "recent"

    def add(self, processed: Path, claim: Path, relative: Path, receipts: list[str], quarantined: list[str]) -> None:
        """The entry of ``claim``, about to be moved to ``processed`` (a rename keeps its size and mtime)."""
        info = claim.stat()
        entry = {
            "path": str(processed),
            "relative": str(relative),
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "at": time.time(),
            "receipts": receipts,
            "quarantined": quarantined,
        }
        self.root.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(os.fsencode(processed)).hexdigest()
        atomic_write_text(self.root / f"{key}.json", json.dumps(entry, ensure_ascii=True))

    def put_back_changed(self, inbox: Path, outbox: Path, quarantine: Path, stable: float) -> None:
        for record in sorted(self.root.glob("*.json")) if self.root.is_dir() else []:
            try:
                entry = json.loads(record.read_text(encoding="utf-8"))
                path = Path(entry["path"])
            except (OSError, ValueError, KeyError):
                record.unlink(missing_ok=True)
                continue
            now = _size_and_mtime(path)
            if now is None:  # moved away by an officer
                record.unlink(missing_ok=True)
            elif now != (entry["size"], entry["mtime_ns"]):
                if held_for_writing([path]) or time.time() - now[1] / 1e9 < stable:
                    continue  # still being written: the next pass
                for digest in entry["quarantined"]:
                    release(quarantine, parked_entries(quarantine, digest))
                for name in entry["receipts"]:
                    (outbox / name).unlink(missing_ok=True)
                back = _unique(inbox / entry["relative"])
                back.parent.mkdir(parents=True, exist_ok=True)
                _move(path, back)
                record.unlink(missing_ok=True)
                log.warning(
                    "%s: bị ghi tiếp sau khi đã xử lý (chỉ phần đầu đã được đọc): đã trả lại hộp thư đến để nhận "
                    "nguyên tệp; đã xóa những gì phần đầu để lại trong khu cách ly và hộp thư đi / written to after it "
                    "was processed (a writer that paused; its first part only was read): put back in the inbox to be "
                    "taken whole; what its first part left in the quarantine and the outbox removed",
                    said(str(back)),
                )
            elif time.time() - entry["at"] > RECHECK_SECONDS:
                record.unlink(missing_ok=True)


def _finish_journaled(
    journal: _Journal, processed_root: Path, outbox: Path, recent: _Recent, inbox: Path
) -> list[dict[str, Any]]:
    """What a crashed watcher had decided and not finished: the receipts journaled for a claimed file are written
    (again, under the same names: the same content) and the file is moved on, without processing it again.
    Entries of files already moved on (a crash right after the move) are removed, and so are the temporary files
    of a journal entry or receipt whose write was killed (``.….part-…``: only this watcher writes these folders,
    and none of its writes is under way when a full pass starts). Each named as dropped in ``inbox``."""
    for folder in (journal.root, journal.root / "recent", outbox):
        for leftover in folder.glob(f".*{PART_MARKER}*") if folder.is_dir() else []:
            leftover.unlink(missing_ok=True)
            log.info(
                "đã xóa %s, do một lượt bị gián đoạn để lại / removed %s, left by an interrupted pass",
                leftover,
                leftover,
            )
    done: list[dict[str, Any]] = []
    for claim, entry in journal.entries():
        if entry is None:
            journal.remove(claim)
        elif "receipts" in entry:
            receipts = [(item["name"], item["receipt"]) for item in entry["receipts"]]
            _write_receipts(outbox, receipts)
            quarantined = list(entry.get("quarantined", []))  # an entry of an older sohoa has none
            _move_to_processed(claim, journal.claimed_root, processed_root, recent, receipts, quarantined)
            journal.remove(claim)
            # named as dropped, as the pass's other lines name it: its claimed copy is gone now (QA69)
            dropped = dropped_path(inbox, _Claimed(claim, claim.relative_to(journal.claimed_root)))
            log.warning(
                "%s: đã hoàn tất những gì một lượt bị gián đoạn đã quyết định / finished what an interrupted pass had "
                "decided",
                said(dropped),
            )
            done += [receipt for _, receipt in receipts]
        # else: only receipts stored with records: the file stays claimed and is processed again
    return done


@contextlib.contextmanager
def _one_pass_at_a_time(data_dir: Path) -> Iterator[None]:
    """One pass at a time per data folder (an ``flock`` on ``DATA_DIR/.watch.lock``, which the kernel drops when a
    watcher dies): a full pass takes every file in ``claimed/`` for a killed pass's, so one beside a live pass (a
    cron ``--once`` beside the service, two Prefect runs) processed that pass's files again — second receipts, and
    a traceback when the live one had moved a file on (found by exploratory testing). The second waits."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = data_dir / ".watch.lock"
    with file_lock(lock, wait=False) as alone:
        if alone:
            yield
            return
    log.info(
        "%s: một lượt của trình theo dõi khác đang chạy trên thư mục dữ liệu này; chờ lượt đó xong / another "
        "watcher's pass is running on this data folder; waiting for it",
        data_dir,
    )
    with file_lock(lock):
        yield


def _pass(
    inbox: Path,
    settings: Settings,
    stable: float,
    candidates: Iterable[Path] | None,
    runner: StageRunner,
    once: bool = False,
    resting: _Resting | None = None,
) -> tuple[list[dict[str, Any]], dict[Path, float], list[str]]:
    """Claim and process the complete files among ``candidates`` (None: the whole inbox, and whatever a crash
    left claimed — or a run failed: those of them ``resting`` does not leave for later); return the receipts, the
    files not complete yet with the seconds to wait for them, and what could not be taken (``_not_taken``: each
    file's problem, said in both languages; the file stays in the inbox)."""
    with _one_pass_at_a_time(settings.data_dir):
        claimed_root = settings.data_dir / "claimed"
        processed_root = settings.data_dir / "processed"
        outbox = settings.data_dir / "outbox"
        journal = _Journal(settings.data_dir)
        claims: list[_Claimed] = []
        receipts: list[dict[str, Any]] = []
        recent = _Recent(settings.data_dir)
        own = own_folders(settings)
        not_taken: list[str] = []
        if candidates is None:
            unsettled = _recover_claims(settings.data_dir)  # first: a killed claim's copy may lie in claimed/
            receipts += _finish_journaled(journal, processed_root, outbox, recent, inbox)
            recent.put_back_changed(inbox, outbox, settings.quarantine_path, stable)
            leftovers = expand_inputs([claimed_root], suffixes=None) if claimed_root.is_dir() else []
            leftovers = [path for path in leftovers if path not in unsettled and (resting is None or resting.due(path))]
            claims += [_Claimed(path, path.relative_to(claimed_root)) for path in leftovers]
            # never into sohoa's own folders (refused as an inbox, see inbox_problem; made inside it later)
            candidates = expand_inputs(
                [inbox],
                unreadable=_warn_unreadable,
                skip=own,
                suffixes=None,
                hidden_files=lambda path: _say_skipped(path, inbox),
            )
        waiting: dict[Path, float] = {}
        complete: list[Path] = []
        for path in candidates:
            if not path.is_file() or own_folder_of(path, own) is not None:
                continue
            if not _eligible(path, inbox):
                _say_skipped(path, inbox)
                continue
            if _stable(path, stable):
                complete.append(path)
            elif (left := _seconds_left(path, stable)) is not None:
                waiting[path] = left
        for path in held_for_writing(complete):
            # unchanged for the stable time, but a writer still has it open (a scanner or copy that paused)
            log.info(
                "%s: một tiến trình khác vẫn đang mở để ghi; chờ / still open for writing by another process; "
                "waiting for it",
                said(str(path)),
            )
            complete.remove(path)
            waiting[path] = max(stable, 1.0)
        if complete or claims:
            # the archive, quarantine and work folders usable, before a file is claimed: an unusable one (a file
            # given as --archive) used to fail the pass with the dropped file gone into claimed/, no receipt
            check_locations(settings)
        twins = {path for path in complete if nfd_twin(path)}  # asked while both are still in the inbox
        for path in complete:
            seen = _size_and_mtime(path)
            try:
                target = _claim(path, inbox, claimed_root, seen)
            except OSError as exc:  # no permission, a full disk: left in the inbox, and said (exit 3 with --once)
                not_taken.append(_not_taken(path, claimed_root, exc, once))
                continue
            if target is None:
                continue
            taken = _Claimed(target, path.relative_to(inbox), seen, nfd_twin=path in twins)
            if _still_written(taken):  # a writer came back between the check and the claim
                log.info(
                    "%s: bị ghi tiếp khi đang được nhận; để lại trong hộp thư đến cho lượt sau / written to while it "
                    "was claimed; left in the inbox for the next pass",
                    said(str(path)),
                )
                waiting[_put_back(taken, inbox)] = max(stable, 1.0)
                continue
            claims.append(taken)
        if not claims:
            return receipts, waiting, not_taken
        archive = archive_location(settings)
        wrapped = _WatchRunner(runner, claims, archive, journal, inbox)

        def receipt_of(result: DocumentResult, claim: _Claimed | None) -> dict[str, Any]:
            name = _document_name(result.path, claim)
            stored = wrapped.archived.get(result.record.id) if result.record else None
            if result.outcome == Outcome.ARCHIVED and stored is not None and _receipt_key(stored) == name:
                return stored  # the very receipt stored beside the record
            if result.outcome == Outcome.ALREADY_ARCHIVED and result.record is not None and claim is not None:
                entry = journal.read(claim.path) or {}
                earlier = entry.get("archived", {}).get(name)
                if earlier is not None and earlier["record_id"] == result.record.id:
                    return dict(earlier)  # archived by this drop before a crash: the receipt stored with the record
            return _receipt(result, name, archive, wrapped.dropped_of(claim), claim is not None and claim.nfd_twin)

        def finish(claim: _Claimed | None, results: list[DocumentResult]) -> None:
            """One claimed file's documents are all done: its receipts, then the file moved on, crash-safely."""
            decided: list[tuple[str, dict[str, Any]]] = []
            for result in results:  # the documents of one file have names of their own (``stack.pdf#2.pdf``)
                receipt = receipt_of(result, claim)
                decided.append((receipt_target(outbox, receipt, result.path).name, receipt))
            if claim is not None:
                finished.add(claim.path)
            if claim is not None and _still_written(claim):
                kept = _written_while_processed(claim, results)
                decided = [item for item, result in zip(decided, results, strict=True) if result in kept]
                _write_receipts(outbox, decided)
                receipts.extend(receipt for _, receipt in decided)
                return
            receipts.extend(receipt for _, receipt in decided)
            if claim is not None:
                for result in results:
                    if result.outcome == Outcome.QUARANTINED:
                        _rename_in_reason(result, claim, inbox)
            failed = any(result.outcome == Outcome.FAILED for result in results)
            if claim is None or failed or not claim.path.exists():
                # a fault of the machine: the file stays claimed and is processed again by a later full pass, which
                # writes receipts of its own (no file to move: nothing to journal either)
                _write_receipts(outbox, decided)
                if claim is not None:
                    journal.remove(claim.path)
                if claim is not None and failed and resting is not None:
                    _say_resting(claim, inbox, resting.failed(claim.path))
                return
            if resting is not None:
                resting.done(claim.path)
            quarantined = [r.quarantined_sha256 for r in results if r.quarantined_sha256]
            journal.decided(claim.path, decided, quarantined)
            _test_crash_hook("watch-journal")
            _write_receipts(outbox, decided)
            _move_to_processed(claim.path, claimed_root, processed_root, recent, decided, quarantined)
            journal.remove(claim.path)

        def _written_while_processed(claim: _Claimed, results: list[DocumentResult]) -> list[DocumentResult]:
            """The file changed while its documents were processed: what was read was a part of it. Nothing it
            quarantined or failed stays (the quarantine would blame a scan for being cut off by its own writer),
            and the file goes back to the inbox: the next pass takes the whole of it. Returns the results whose
            receipt still holds: a record archived from the part read is in the archive and says so."""
            kept = [r for r in results if r.outcome in (Outcome.ARCHIVED, Outcome.ALREADY_ARCHIVED)]
            for result in results:
                if result.outcome == Outcome.QUARANTINED and result.quarantined_sha256:
                    quarantine = settings.quarantine_path
                    release(quarantine, parked_entries(quarantine, result.quarantined_sha256))
            journal.remove(claim.path)
            back = _put_back(claim, inbox)
            waiting[back] = max(stable, 1.0)
            outcomes = ", ".join(f"{_document_name(r.path, claim)}: {r.outcome.value}" for r in results)
            log.warning(
                "%s: vẫn đang được ghi khi xử lý (%s); đã trả lại hộp thư đến cho lượt sau%s / still being written "
                "while it was processed (%s); put back in the inbox for the next pass%s",
                said(str(back)),
                outcomes,
                "" if len(kept) == len(results) else "; đã xóa mục cách ly của nó",
                outcomes,
                "" if len(kept) == len(results) else "; its quarantine entry removed",
            )
            return kept

        finished: set[Path] = set()
        current: _Claimed | None = None
        results: list[DocumentResult] = []
        done: dict[Path, DocumentResult] = {}  # each document's result, also those a stop waited for
        split: dict[Path, list[Path]] = {}  # each claimed file's documents, once it was split

        def collect(result: DocumentResult, index: int, total: int) -> None:
            done[result.path] = result

        try:
            with checked_locations(settings):  # checked above, before the files were claimed: not again by the batch
                for result in process_many(
                    [c.path for c in claims],
                    settings,
                    runner=wrapped,
                    on_result=collect,
                    dropped=wrapped.dropped,
                    split=split,
                ):
                    claim = _origin(result.path, claims)
                    if results and claim != current:  # in input order: the previous file's documents are done
                        finish(current, results)
                        results = []
                    current = claim
                    results.append(result)
        except KeyboardInterrupt:
            # stopped (Ctrl-C, SIGTERM): the documents in flight were waited for (process_many), and a file whose
            # documents all finished is finished too, its receipts written and said, before the watcher ends. Until
            # 2026-12-02 such a file stayed claimed, called left half-done, and the next start gave it an "already
            # archived" receipt; only a file with a document cut off, or not split yet, is left for it now
            for claim in claims:
                parts = split.get(claim.path)
                if claim.path not in finished and parts and all(part in done for part in parts):
                    finish(claim, [done[part] for part in parts])
            _log(receipts)
            raise
        if results:
            finish(current, results)
        for claim in claims:  # a file that gave no document (an empty stack) is done too
            if claim.path not in finished and claim.path.exists():
                _move_to_processed(claim.path, claimed_root, processed_root, recent, [], [])
                journal.remove(claim.path)
        return receipts, waiting, not_taken


class InboxError(ValueError):
    """The folder given as the inbox cannot be one (see ``inbox_problem``); its message is bilingual."""


def inbox_problem(inbox: Path, settings: Settings) -> str | None:
    """Why ``inbox`` cannot be watched, in Vietnamese and English, or None. It must not be, contain or lie inside
    sohoa's own folders (DATA_DIR's archive, quarantine, work, processed, claimed, outbox…, the archive): an
    officer typing /srv/sohoa for /srv/sohoa/inbox had the archive's own document.pdf moved out of it into
    processed/ and archived again as new records, pass after pass."""
    inbox = inbox.resolve()
    data_dir = settings.data_dir.resolve()
    usual = data_dir / "inbox"
    if data_dir.is_relative_to(inbox):
        # the data folder itself, by name: its own folders are named by where they would be, and the first of them,
        # DATA_DIR/archive, was named though the archive was configured elsewhere and no such folder existed (QA69)
        where, english = ("là", "is") if inbox == data_dir else ("chứa", "contains")
        return (
            f"{inbox}: không dùng được làm hộp thư đến: {where} thư mục dữ liệu của sohoa (SOHOA_DATA_DIR) "
            f"{data_dir}; hộp thư đến thường là {usual} / cannot be the inbox: it {english} sohoa's data folder "
            f"(SOHOA_DATA_DIR) {data_dir}; the inbox is usually {usual}"
        )
    own = own_folders(settings)
    for folder in own:
        if inbox.is_relative_to(folder):
            where, english = ("là", "is") if inbox == folder else ("nằm trong", "lies inside")
            return (
                f"{inbox}: không dùng được làm hộp thư đến: {where} thư mục riêng của sohoa {folder} / "
                f"cannot be the inbox: it {english} sohoa's own folder {folder}"
            )
    # made in the inbox when missing: the same. Those there named, not one only by where it would be made
    inside = [folder for folder in own if folder.is_relative_to(inbox)]
    if inside:
        named = ", ".join(str(folder) for folder in [f for f in inside if f.exists()] or inside)
        return (
            f"{inbox}: không dùng được làm hộp thư đến: chứa thư mục riêng của sohoa {named} (hộp thư đến thường là "
            f"{usual}) / cannot be the inbox: it contains sohoa's own folder(s) {named} (the inbox is usually "
            f"{usual})"
        )
    return None


class FilesNotTaken(StageError):
    """A ``--once`` pass could not take some files of the inbox (each named in the log, ``_not_taken``): they stay
    there without a receipt, so the pass is no success (exit 3; until 2026-12-02 it exited 0, and cron saw none of
    it). ``receipts``: those of the files it did take; ``problems``: one bilingual line per file not taken."""

    def __init__(self, problems: list[str], receipts: list[dict[str, Any]]) -> None:
        count = len(problems)
        super().__init__(
            f"{count} tệp không nhận được, vẫn nằm trong hộp thư đến, chưa có biên nhận (xem các dòng lỗi ở trên) / "
            f"{count} file(s) could not be taken and are still in the inbox, without a receipt (see the errors above)"
        )
        self.problems = problems
        self.receipts = receipts


def watch_once(
    inbox: Path,
    settings: Settings,
    stable_seconds: float | None = None,
    runner: StageRunner = direct_runner,
) -> list[dict[str, Any]]:
    """One full pass: claim the complete files of the inbox (and any left claimed by a crash), process, receipt.
    Raises ``FilesNotTaken`` (after the others are done) when some complete files could not be claimed."""
    stable = settings.watch_stable_seconds if stable_seconds is None else stable_seconds
    receipts, _, not_taken = _pass(inbox, settings, stable, None, runner, once=True)
    if not_taken:
        raise FilesNotTaken(not_taken, receipts)
    return receipts


def left_claimed(settings: Settings) -> list[str]:
    """The files in ``DATA_DIR/claimed/``, as they were dropped (relative to the inbox): taken by a pass that was
    stopped or killed, done again — or finished from the journal — by the next full pass."""
    claimed = settings.data_dir / "claimed"
    files = expand_inputs([claimed], suffixes=None) if claimed.is_dir() else []
    return [readable(path.relative_to(claimed).as_posix()) for path in files]


SAID_AT_MOST = 10  # files named in the stop line: a whole backlog claimed by one pass would fill a screen


def stopped_message(inbox: Path, settings: Settings, how: str) -> str:
    """The line a watcher stopped by a signal (``how``: ``SIGTERM``, ``Ctrl-C``) ends with, naming the files it
    leaves claimed for the next start (until 2026-12-02 a SIGTERM said nothing, SIGINT "watch stopped" only)."""
    left = left_claimed(settings)
    claimed = settings.data_dir / "claimed"
    if not left:
        return (
            f"{said(str(inbox))}: đã dừng theo yêu cầu ({how}), không còn tệp nào xử lý dở / watch stopped on "
            f"request ({how}); no file left half-done"
        )
    names = ", ".join(left[:SAID_AT_MOST]) + (f" (+{len(left) - SAID_AT_MOST})" if len(left) > SAID_AT_MOST else "")
    return (
        f"{said(str(inbox))}: đã dừng theo yêu cầu ({how}); {len(left)} tệp đang xử lý dở để lại trong {claimed}, sẽ "
        f"được xử lý lại khi chạy lại: {names} / watch stopped on request ({how}); {len(left)} file(s) left in "
        f"{claimed}, taken up again at the next start: {names}"
    )


class _InboxEvents(FileSystemEventHandler):
    """Filesystem events of the inbox, turned into a set of paths to check (watchdog calls it on its thread)."""

    def __init__(self, inbox: Path) -> None:
        super().__init__()
        self.inbox = inbox
        self.wake = threading.Event()
        self._lock = threading.Lock()
        self._paths: set[Path] = set()

    def dispatch(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind not in {"created", "moved", "closed"}:
            return  # a write shows up as created … closed; "modified" alone would only repeat those
        path = Path(os.fsdecode(event.dest_path if kind == "moved" else event.src_path))
        if event.is_directory:  # a folder moved in brings files that raise no events of their own
            found = expand_inputs([path], suffixes=None) if path.is_dir() and path.is_relative_to(self.inbox) else []
        else:
            found = [path] if _eligible(path, self.inbox) else []
        if found:
            with self._lock:
                self._paths.update(found)
            self.wake.set()

    def take(self) -> set[Path]:
        with self._lock:
            paths, self._paths = self._paths, set()
            self.wake.clear()
            return paths


def _start_observer(inbox: Path, events: _InboxEvents) -> Any:
    """A running watchdog observer, or None when events cannot be had (then the rescans do all the work)."""
    from watchdog.observers import Observer

    observer = Observer()
    try:
        observer.schedule(events, str(inbox), recursive=True)
        observer.start()
    except OSError as exc:  # e.g. the inotify watch limit (fs.inotify.max_user_watches) reached
        log.warning(
            "%s: không nhận được sự kiện của hệ thống tệp (%s); chỉ quét lại mỗi vài giây / no filesystem events (%s); "
            "rescanning every few seconds only",
            inbox,
            exc,
            exc,
        )
        return None
    return observer


def watch(
    inbox: Path,
    settings: Settings,
    once: bool = False,
    stop: threading.Event | None = None,
    runner: StageRunner = direct_runner,
) -> list[dict[str, Any]]:
    """Watch the inbox until ``stop`` is set (or forever): filesystem events queue a check of the file at once,
    and a full rescan runs every ``watch_interval`` seconds; with ``once``, one full pass and its receipts."""
    inbox = Path(os.path.abspath(inbox))
    if (problem := inbox_problem(inbox, settings)) is not None:
        raise InboxError(problem)
    if once:
        receipts = watch_once(inbox, settings, runner=runner)
        _log(receipts)
        raise_if_stopped()  # a stop kept while the pass ran (asked during an import): a stopped pass, never 0
        return receipts
    try:  # a stop (Ctrl-C, SIGTERM: flows.stopping) is a KeyboardInterrupt, said with what it leaves below
        _watch_until_stopped(inbox, settings, stop or threading.Event(), runner)
    except (KeyboardInterrupt, Exception) as exc:
        # anywhere in the watcher's life, its observer's start and stop too, and as a library's own error (an idle
        # watcher stopped by Ctrl-C exited 130 once, under a loaded suite: its stop came out of the loop)
        if (stopped := stop_behind(exc)) is None:
            raise
        log.warning("%s", stopped_message(inbox, settings, said_signal(stopped)))
    return []


def _watch_until_stopped(inbox: Path, settings: Settings, stop: threading.Event, runner: StageRunner) -> None:
    """``watch``'s loop, until ``stop`` is set or a stop (flows.stopping) is raised."""
    stable = settings.watch_stable_seconds
    events = _InboxEvents(inbox)
    observer = _start_observer(inbox, events)
    # said once, so that an officer knows it runs (QA77: it said nothing until stopped)
    log.info(
        "đang theo dõi %s: tệp quét xong được xử lý sau %g s không đổi, cả thư mục được xem lại mỗi %g s; Ctrl+C để "
        "dừng / watching %s: a scan is processed once unchanged for %g s, the whole folder looked at every %g s; "
        "Ctrl+C to stop",
        said(str(inbox)),
        stable,
        settings.watch_interval,
        said(str(inbox)),
        stable,
        settings.watch_interval,
    )
    due: dict[Path, float] = {}  # file → when (time.monotonic) to check it
    resting = _Resting(settings.watch_interval)
    next_rescan = 0.0
    try:
        while not stop.is_set():
            now = time.monotonic()
            for path in events.take():
                due[path] = min(due.get(path, now), now)
            try:
                if now >= next_rescan:
                    # the rescan catches what events miss: network shares (files written by another machine raise
                    # no inotify event here), an overflowing event queue, files dropped while no watcher ran
                    due.clear()
                    receipts, waiting, _ = _pass(inbox, settings, stable, None, runner, resting=resting)
                    next_rescan = time.monotonic() + settings.watch_interval
                else:
                    ready = [path for path, at in due.items() if at <= now]
                    for path in ready:
                        del due[path]
                    receipts, waiting, _ = (
                        _pass(inbox, settings, stable, ready, runner, resting=resting) if ready else ([], {}, [])
                    )
            except (OSError, StageError) as exc:
                if stop_behind(exc) is not None:
                    raise  # the stop, inside a library that said it as an error of its own: no share went away
                # the share went away for a moment, the archive's disk is not mounted: nothing was claimed; say so
                # and try again on the next rescan
                log.error("%s: %s", inbox, exc)
                receipts, waiting = [], {}
            _log(receipts)
            for path, left in waiting.items():
                due[path] = time.monotonic() + left
            wake_at = min([next_rescan, *due.values()])
            # at most a second asleep, so that a stop request is seen soon even when nothing happens
            events.wake.wait(min(max(wake_at - time.monotonic(), 0.0), 1.0))
            raise_if_stopped()  # a stop whose exception a callback swallowed (flows.stopping)
    finally:
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)


# A receipt's log level: an archived file is news, not a warning; a quarantined one needs an officer, a failed one
# the machine.
RECEIPT_LOG_LEVELS = {"quarantined": logging.WARNING, "failed": logging.ERROR}


def _log(receipts: list[dict[str, Any]]) -> None:
    for receipt in receipts:
        level = RECEIPT_LOG_LEVELS.get(receipt["outcome"], logging.INFO)
        # the receipt's file as dropped (NFD stays NFD there, to find it), in NFC as the log's other lines name it
        name = said(f"{receipt['file']}#{receipt['document']}" if receipt.get("document") else receipt["file"])
        name = twin_marked(name, Path(receipt["file"]), bool(receipt.get("nfd_twin")))
        # the outcome as the process table says it, Vietnamese / English (QA64: the receipt's value, already_archived)
        outcome = OUTCOME_WORDS.get(Outcome(receipt["outcome"]), receipt["outcome"])
        if receipt["record_id"]:
            review = NEEDS_REVIEW_NOTE if receipt.get("needs_review") else ""
            log.log(level, "%s: %s %s%s", name, outcome, receipt["record_id"], review)
        else:  # quarantined or failed: why (the line used to end with the outcome and a space)
            reason, reason_vi = receipt.get("reason") or "", receipt.get("reason_vi") or ""
            why = f"{reason_vi} / {reason}" if reason_vi and reason_vi != reason else reason
            log.log(level, "%s: %s%s", name, outcome, f" — {why}" if why else "")
    for blank in dropped_pages(receipts):  # as process prints them under its table
        log.info("%s", dropped_line(blank))


def dropped_pages(receipts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stacks' blank parts dropped in a pass (each listed on its stack's receipts), once each: ``watch
    --json``'s ``dropped_pages``, as ``process --json``'s."""
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for receipt in receipts:
        for blank in receipt.get("dropped_pages") or []:  # a receipt of an older sohoa has none
            seen.setdefault((blank["stack"], blank["part"]), blank)
    return list(seen.values())
