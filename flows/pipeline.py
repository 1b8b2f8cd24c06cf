"""The orchestrator: one document through ingest → OCR → classify → sign → verify → archive.

Plain functions, no Prefect here. ``process_document`` takes a ``StageRunner`` that calls each stage; the
default just calls it, and the Prefect flows (``flows.prefect_flows``) pass one that runs each stage as a task.
So the logic is written once and usable with or without Prefect.

Every input ends archived, already archived (same content seen before), or quarantined with a reason; a fault
of the machine itself (Tesseract missing) is reported as failed and the input is left where it is for a rerun.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import functools
import hashlib
import logging
import os
import random
import re
import shutil
import signal
import socket
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from flows.stopping import raise_if_stopped, stop_asked
from sohoa.context import document_shown_as
from sohoa.errors import (
    BadInputError,
    InputChangedError,
    Problem,
    SecretFileError,
    SettingsError,
    StageError,
    machine_fault,
    machine_fault_words,
    os_error_words,
)
from sohoa.fsutil import (
    PART_MARKER,
    archive_host_lock,
    escaped,
    exclusive_lock,
    file_lock,
    one_line,
    printable,
    readable,
    said,
    sha256_file,
    twin_marked,
    work_lock_file,
)
from sohoa.record import (
    Classification,
    OcrResult,
    Record,
    RecordState,
    SignatureFacts,
    SourceFile,
    StackOrigin,
    few_words_read,
    new_batch_id,
    python_tool,
    record_id_for,
)
from sohoa.settings import Settings
from sohoa.vietnamese import collation_key
from storage import (
    ArchiveConfigError,
    ArchiveIntegrityError,
    BaseArchive,
    LocalArchive,
    RetentionError,
    archive_display,
    archive_location,
    index_archived,
    open_configured_archive,
    quarantine_file,
    record_prefix,
    search_index_path,
)
from storage.claims import ArchiveBusyError, archived_by_another_writer
from storage.quarantine import ParkedEntry, parked_entries, release
from storage.quarantine import remove_partials as remove_quarantine_partials

if TYPE_CHECKING:
    import signing
    from flows.intake import BlankPart
    from signing.verify import ReportHeader

# ocr, classify and signing (pyHanko) are imported where they are used: `sohoa ocr` on one file needs neither of
# the last two, `sohoa sign` not the first, and each import costs a few tenths of a second of a command

log = logging.getLogger("sohoa")
# one line per stage of each document (OCR, classify, sign, verify): `-v` on the command line shows them (without it
# flows.cli sets this logger to WARNING), a Prefect flow run's logs have them (flows.prefect_run)
stage_log = logging.getLogger("sohoa.stages")

T = TypeVar("T")
StageRunner = Callable[..., Any]

# What a file inside a folder given to ``sohoa process`` is taken by: the suffixes of the scans sohoa reads (in any
# case: ``.JPG``, ``.TIF``), Windows' own names for a JPEG among them (``.jfif``: "Save image as" in a browser;
# ``.jpe``) — they were passed by without a word —, and those of the images an officer means as scans but sohoa
# does not read (a phone's HEIC, a WebP saved from a browser or a chat app), taken to be quarantined with a reason
# that says what to do (ocr.inputs.OTHER_IMAGE_ADVICE). A file of any other type is named in a warning and in
# ``--json``'s ``skipped`` (``not_taken``), not quarantined: a folder also holds README.txt, a .docx, a .zip.
SCAN_SUFFIXES = (".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".gif")
OTHER_IMAGE_SUFFIXES = (
    ".heic",
    ".heif",
    ".hif",
    ".avif",
    ".webp",
    ".jp2",
    ".j2k",
    ".jpf",
    ".jpx",
)
SUPPORTED_SUFFIXES = {*SCAN_SUFFIXES, *OTHER_IMAGE_SUFFIXES}
# Files nobody means as a scan, left alone quietly (the watched inbox too: flows.watch): a Windows folder's
# Thumbs.db and desktop.ini, Office's owner file ``~$x.docx``, and the partial files of a copy or download under
# way (``x.part``, ``x.crdownload``…), which become the real file when complete. Hidden files are never looked at.
SYSTEM_FILE_NAMES = {"thumbs.db", "desktop.ini", "ehthumbs.db"}
PARTIAL_SUFFIXES = {".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", ".filepart"}
DATABASE_SUFFIXES = (".sqlite", ".sqlite3", ".sqlite-journal", ".sqlite-wal", ".sqlite-shm", ".db-journal")
SIGNED_NAME = "document.pdf"


class Outcome(StrEnum):
    ARCHIVED = "archived"
    ALREADY_ARCHIVED = "already_archived"
    QUARANTINED = "quarantined"
    FAILED = "failed"


# An outcome as an officer reads it, Vietnamese / English (the `process` table, its progress bar); --json, the
# receipts and the log lines (ARCHIVED, QUARANTINED) keep the values above
OUTCOME_WORDS = {
    Outcome.ARCHIVED: "đã lưu / archived",
    Outcome.ALREADY_ARCHIVED: "đã lưu trước đó / already archived",
    Outcome.QUARANTINED: "cách ly / quarantined",
    Outcome.FAILED: "lỗi / failed",
}


@dataclass
class DocumentResult:
    path: Path
    outcome: Outcome
    record: Record | None = None
    reason_vi: str | None = None
    reason_en: str | None = None
    quarantined_as: Path | None = None
    seconds: float = 0.0
    cached_stages: list[str] = field(default_factory=list)  # stages whose earlier result a rerun reused
    processed_by: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")  # host:pid
    origin: StackOrigin | None = None  # the scanned stack this document was split from
    # that stack as it was given to the batch (``in/A.pdf``, as typed, as a single file's ``path`` is), when known:
    # ``origin.path`` is absolute (QA93 F5: --json gave a stack's documents absolute beside single files as typed)
    stack_given: str | None = None
    quarantined_sha256: str | None = None  # the content parked in quarantine (a record has its own)
    read_sha256: str | None = None  # the content as ingest read it, when a later stage failed (no record to carry it)
    # an earlier run's quarantine entries of this content (copy and reason file), removed now that it is archived
    released: list[Path] = field(default_factory=list)

    @property
    def source(self) -> str:
        """The input as the officer knows it: the file, or for a document split from a stack, the stack + #part
        (``path`` is then a scratch file that goes when the batch ends) — the stack as given, as a file is, when the
        batch said how (``stack_given``), else its absolute path."""
        if self.origin is not None and self.stack_given is not None:
            return f"{self.stack_given}#{self.origin.part}"
        return as_dropped(self.path, self.origin)

    @property
    def label(self) -> str:
        """The document as an officer knows it, for a line on screen: the file's name, or the stack's with the
        document's number and pages (``StackOrigin.label``)."""
        return self.origin.label() if self.origin else twin_marked(readable(self.path.name), self.path)

    def summary(self) -> dict[str, Any]:
        """The per-file line of ``--json`` output and of the summary table."""
        from classify.review import reason_in_vietnamese

        record = self.record
        classification = record.classification if record else None
        return {
            "path": self.source,
            "stack": self.origin.model_dump(mode="json") if self.origin else None,
            "outcome": self.outcome.value,
            "record_id": record.id if record else None,
            "sha256": record.source.sha256 if record else self.quarantined_sha256 or self.read_sha256,
            "doc_type": classification.doc_type if classification else None,
            "number": classification.number if classification else None,
            "issued_on": classification.issued_on.isoformat() if classification and classification.issued_on else None,
            "confidence": classification.confidence if classification else None,
            "pages": len(record.ocr.pages) if record and record.ocr else None,
            "pdfa": record.ocr.pdfa if record and record.ocr else None,  # the searchable copy's claim ('2B')
            # what the copy changed of the input, Vietnamese / English, as `sohoa ocr` says it (QA126: only the
            # record said a font embedded in place of the input's)
            "notices": list(record.ocr.notices) if record and record.ocr else [],
            "signed": bool(record and record.signature),
            # signed with sohoa's generated identity: no legal value (said under the table, QA78: only the log's
            # first lines said it, scrolled away in a long batch)
            "development_identity": bool(record and record.signature and record.signature.development_identity),
            "needs_review": record.needs_review if record else None,
            # why, as `sohoa review list` and a watch receipt say it (QA78: --json said only needs_review true)
            "review_reasons": list(record.review_reasons) if record and record.needs_review else [],
            "review_reasons_vi": (
                [reason_in_vietnamese(reason) for reason in record.review_reasons]
                if record and record.needs_review
                else []
            ),
            "archive_path": record.archive_prefix if record else None,
            # the batch the record belongs to (`sohoa export --batch`): an earlier one for a record already
            # archived, or one a killed run left unfinished and this run finished
            "batch_id": record.batch_id if record else None,
            # a reason may quote a file name that is not UTF-8: printed as JSON, it must be text
            "reason": said(self.reason_en) if self.reason_en else None,
            "reason_vi": said(self.reason_vi) if self.reason_vi else None,
            "quarantined_as": escaped(str(self.quarantined_as)) if self.quarantined_as else None,
            "released_from_quarantine": [escaped(str(path)) for path in self.released],
            "seconds": round(self.seconds, 2),
            "cached_stages": self.cached_stages,
            "processed_by": self.processed_by,
        }


def line_names(line: dict[str, Any]) -> tuple[str, str]:
    """A summary line's document as a table shows it, and its reason in both languages without that name (as the
    reason quotes it: NFC, on one line): ``(name, "lý do / reason")``. The name is the file's, or for a document
    split from a stack, the stack's with its number and pages (``StackOrigin.label``), not ``A.pdf#2``."""
    name = Path(line["path"]).name
    names = [name]
    if line.get("stack"):
        origin = StackOrigin.model_validate(line["stack"])
        name, names = origin.label(), [origin.said_vi(), origin.said_en(), name]
    else:
        name = twin_marked(name, Path(line["path"]))  # an NFD name beside its NFC twin (QA80)
    quoted = [f"{unicodedata.normalize('NFC', one_line(n))}: " for n in names]
    halves = [
        next((text[len(q) :] for q in quoted if text.startswith(q)), text)
        for text in (line.get("reason_vi") or "", line.get("reason") or "")
        if text
    ]
    if len(halves) == 2 and halves[1] in halves[0]:
        # a fault already said in both languages (an S3 server's): once, as the log line says it (QA97: the table's
        # note was the whole message twice, 20 lines of a cell)
        halves = halves[:1]
    return name, " / ".join(halves)


# the end of a file's log line when its record waits for an officer (`process`'s and `watch`'s lines alike)
NEEDS_REVIEW_NOTE = "; cần xem lại / needs review (sohoa review list)"


def review_reasons_said(line: dict[str, Any]) -> str:
    """Why a summary line's or a receipt's record waits for an officer, in both languages as ``review list`` says
    it: ``vi1; vi2 / en1; en2``; empty when it does not."""
    english = line.get("review_reasons") or []
    if not line.get("needs_review") or not english:
        return ""
    return "; ".join(line.get("review_reasons_vi") or english) + " / " + "; ".join(english)


@dataclass
class BatchReport:
    results: list[DocumentResult] = field(default_factory=list)
    archive: str = ""
    quarantine: str = ""
    batch_id: str = field(default_factory=new_batch_id)  # stored in each record it archives (Record.batch_id)
    skipped: list[Skipped] = field(default_factory=list)  # what was not taken from the folders given, and why
    dropped: list[BlankPart] = field(default_factory=list)  # stacks' blank parts, no document (flows.intake)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def exit_code(self) -> int:
        """0 all archived; 1 some quarantined; 3 some failed for a reason outside the input (retry)."""
        if self.count(Outcome.FAILED):
            return 3
        if self.count(Outcome.QUARANTINED):
            return 1
        return 0

    def earlier_batches(self) -> dict[str, int]:
        """Batch id → how many records of it this run archived: records a killed run of that batch left
        unfinished, which this run finished (adopted in their own batch: ``sohoa export --batch`` of that id)."""
        found: dict[str, int] = {}
        for result in self.results:
            record = result.record
            if result.outcome == Outcome.ARCHIVED and record and record.batch_id and record.batch_id != self.batch_id:
                found[record.batch_id] = found.get(record.batch_id, 0) + 1
        return found

    def archived_here(self) -> int:
        """The records this run archived in its own batch (what `sohoa export --batch` of its id packs)."""
        return self.count(Outcome.ARCHIVED) - sum(self.earlier_batches().values())

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "earlier_batches": self.earlier_batches(),
            "archive": self.archive,
            "quarantine": self.quarantine,
            "counts": {o.value: self.count(o) for o in Outcome} | {"total": len(self.results)},
            "files": [r.summary() for r in self.results],
            "skipped": [entry.summary() for entry in self.skipped],
            # the pages of stacks dropped as blank (a separator's back, fed duplex): not documents, no record
            "dropped_pages": [blank.summary() for blank in self.dropped],
        }


# ------------------------------------------------------------------------------------------ discovery
# The folders sohoa keeps in DATA_DIR: never an inbox, never searched for scans (``sohoa watch DATA_DIR`` took the
# archive's own document.pdf for dropped files, moved them out of the archive and archived them again)
DATA_DIR_FOLDERS = (
    "archive",
    "quarantine",
    "work",
    "processed",
    "claimed",
    "outbox",
    "watch-journal",
    "keys",
    "models",
    "prefect",
)


def own_folders(settings: Settings) -> list[Path]:
    """sohoa's own folders for these settings, absolute: DATA_DIR's (``DATA_DIR_FOLDERS``), the quarantine and
    work folders and the local archive wherever they are configured."""
    from storage import archive_location

    folders = [settings.data_dir / name for name in DATA_DIR_FOLDERS]
    folders += [settings.quarantine_path, settings.work_path]
    location = archive_location(settings)
    if "://" not in location:
        folders.append(Path(location))
    unique: list[Path] = []
    for folder in folders:
        resolved = folder.resolve()
        if resolved not in unique:
            unique.append(resolved)
    return unique


def own_folder_of(path: Path, folders: Iterable[Path]) -> Path | None:
    """The one of sohoa's ``folders`` that ``path`` is or lies in, None when it is in none."""
    resolved = path.resolve()
    return next((folder for folder in folders if resolved.is_relative_to(folder)), None)


def expand_inputs(
    paths: Iterable[Path],
    unreadable: Callable[[Path], None] | None = None,
    skip: Iterable[Path] = (),
    skipped: Callable[[Path, Path | None], None] | None = None,
    suffixes: Collection[str] | None = SUPPORTED_SUFFIXES,
    hidden_files: Callable[[Path], None] | None = None,
    not_taken: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Files given, plus the supported files inside folders given (recursively, sorted, hidden ones skipped).

    A file named explicitly is always taken, whatever its suffix, so that a bad one is quarantined with a
    reason rather than silently ignored; inside folders only scan suffixes are taken. ``unreadable`` is told of
    the entries inside folders that look like scans but are neither file nor folder (a named pipe, a link to
    nothing), which are passed by. Nothing is taken in the folders ``skip`` (sohoa's own, ``own_folders``), nor
    from inside a symbolic link to a folder (``rglob`` does not follow them); ``skipped`` is told of each such
    folder with why (the own folder it is in; None for a link). ``suffixes`` None takes every file inside
    folders (the watched inbox: a file of another type is quarantined with a receipt, not left without a word);
    ``hidden_files`` is told of the hidden files passed by, ``not_taken`` of the other files inside folders not taken
    for their suffix (not in ``suffixes``).
    """
    own = [folder.resolve() for folder in skip]
    found: list[Path] = []
    for path in paths:
        if (mine := own_folder_of(path, own)) is not None:
            if skipped is not None:
                skipped(path, mine)
            continue
        if path.is_dir():
            passed: list[Path] = []  # folders not descended into: what is inside them is not looked at
            # in Vietnamese order, as an officer lists them ("Ân.pdf" and "Đơn.pdf" came after "Zeta.pdf", QA80); a
            # folder's key is the start of its files', so it still comes before them
            for child in sorted(
                path.rglob("*"), key=lambda p: tuple(collation_key(part) for part in p.relative_to(path).parts)
            ):
                if any(child.is_relative_to(folder) for folder in passed):
                    continue
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_dir() and not hidden:
                    if child.is_symlink():
                        passed.append(child)
                        if skipped is not None:
                            skipped(child, None)
                    elif (mine := own_folder_of(child, own)) is not None:
                        passed.append(child)
                        if skipped is not None:
                            skipped(child, mine)
                    continue
                if not hidden and child.is_symlink() and not child.exists() and unreadable is not None:
                    unreadable(child)  # a link to nothing, whatever its name
                    continue
                if hidden and hidden_files is not None and not child.is_dir():
                    hidden_files(child)
                if hidden:
                    continue
                if suffixes is not None and child.suffix.lower() not in suffixes:
                    if not_taken is not None and child.is_file():
                        not_taken(child)
                    continue
                if child.is_file():
                    found.append(child)
                elif unreadable is not None and not child.is_dir():
                    unreadable(child)
        else:
            found.append(path)
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def no_scans_message(skipped: Sequence[str] = (), shown: int = 10) -> str:
    """What a batch given nothing to process says (``sohoa process``: exit 2; a flow run: Failed): the first
    ``shown`` of what it skipped (each is named in a warning)."""
    names = [one_line(name) for name in skipped[:shown]]
    if len(skipped) > shown:
        names.append(f"… (+{len(skipped) - shown})")
    return f"không tìm thấy tệp quét / no scans found (looked for {' '.join(SCAN_SUFFIXES)})" + (
        f"; đã bỏ qua / skipped: {', '.join(names)}" if skipped else ""
    )


def left_alone(path: Path) -> tuple[str, str] | None:
    """(Vietnamese, English) when ``path`` is a file nobody means as a scan (``SYSTEM_FILE_NAMES``, Office's
    owner files, ``PARTIAL_SUFFIXES``), else None."""
    name = path.name.lower()
    if name in SYSTEM_FILE_NAMES or name.startswith("~$"):
        return "tệp hệ thống hoặc tệp khoá của trình soạn thảo", "a system or editor lock file"
    if path.suffix.lower() in PARTIAL_SUFFIXES or name.endswith("~"):
        return "tệp tạm hoặc đang chép dở", "a temporary or partial file"
    if name.endswith(DATABASE_SUFFIXES):
        # sohoa's own search index at the top of DATA_DIR (`sohoa process DATA_DIR`), a program's database: the
        # advice to "save or print it as PDF" was for a document, not for these (QA)
        return "tệp cơ sở dữ liệu của chương trình", "a program's database file"
    return None


@dataclass(frozen=True)
class Skipped:
    """What a batch did not take from a folder it was given, and why: a file of another type, a system file, a
    symbolic link to a folder, one of sohoa's own folders, an entry that is no file to read. Each is named in a
    warning (a system file: INFO) and in ``--json``'s ``skipped``."""

    path: Path
    reason_vi: str
    reason_en: str
    quiet: bool = False  # said at INFO: a system file, a partial file (nothing an officer meant as a scan)

    def said(self) -> str:
        """The log line's text (the name on one line: ``sohoa.fsutil.one_line``)."""
        return f"{one_line(said(str(self.path)))}: bỏ qua {self.reason_vi} / skipped: {self.reason_en}"

    def summary(self) -> dict[str, str]:
        return {"path": escaped(str(self.path)), "reason": said(self.reason_en), "reason_vi": said(self.reason_vi)}


def not_taken(path: Path) -> Skipped:
    """Why a file inside a folder is not taken (its suffix is none of ``SUPPORTED_SUFFIXES``)."""
    if (why := left_alone(path)) is not None:
        return Skipped(path, why[0], why[1], quiet=True)
    suffix = path.suffix.lower()
    kind_en, kind_vi = (
        (f"a {suffix} file", f"tệp {suffix}") if suffix else ("a file with no suffix", "tệp không có phần mở rộng")
    )
    return Skipped(
        path,
        f"{kind_vi}, vì đó không phải tệp quét (nhận {' '.join(SCAN_SUFFIXES)}); muốn lưu trữ thì lưu hoặc in ra "
        "PDF rồi chạy lại",
        f"{kind_en} is not a scan (taken: {' '.join(SCAN_SUFFIXES)}); to archive it, save or print it as PDF and run "
        "again",
    )


def skipped_folder(path: Path, why: Path | None) -> Skipped:
    """A folder not searched for scans (``expand_inputs``' ``skipped``): a symbolic link (its files may be anywhere),
    or sohoa's own folder ``why`` (``sohoa process DATA_DIR`` archived each record's document.pdf as a record)."""
    if why is None:
        return Skipped(path, "liên kết tượng trưng tới thư mục", "a symbolic link to a folder")
    if not path.is_dir():
        # a file named inside the quarantine (an officer fixed a scan in place): taken there, it would be
        # quarantined into its own folder or archived with its old reason file beside it — and it was said as a
        # "folder" (QA69)
        return Skipped(
            path,
            f"tệp nằm trong thư mục riêng của sohoa ({why}); hãy chép ra chỗ khác rồi chạy lại với bản chép",
            f"a file inside sohoa's own folder ({why}); copy it elsewhere and run again on the copy",
        )
    return Skipped(path, f"thư mục riêng của sohoa ({why})", f"sohoa's own folder ({why}), not scans")


def unreadable_entry(path: Path) -> Skipped:
    """An entry of a folder that is no file to read (``expand_inputs``' ``unreadable``)."""
    return Skipped(
        path, "mục không phải tệp đọc được (liên kết hỏng, ống dẫn)", "not a file to read (a broken link, a pipe)"
    )


# The suffixes a stored original may keep of its file name, by the type its content is (ocr.inputs.MEDIA_TYPES), the
# type's own first
ORIGINAL_SUFFIXES = {
    "application/pdf": (".pdf",),
    "image/tiff": (".tif", ".tiff"),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/bmp": (".bmp", ".dib"),
    "image/gif": (".gif",),
}


def original_name(path: Path, media_type: str) -> str:
    """The name the archive stores a scan as: ``original`` and its suffix (lower case) when that is one of its
    type's, else its type's own — a JPEG named ``.png`` is ``original.jpg`` (it was ``original.png`` beside a record
    saying ``image/jpeg``: an auditor's viewer opened it as the wrong type), a ``.jfif`` or ``.jpe`` JPEG too.
    The officer's file name stays the record's ``source.name``."""
    suffix = path.suffix.lower()
    suffixes = ORIGINAL_SUFFIXES.get(media_type)
    if suffixes is None:
        return f"original{suffix or '.bin'}"
    return f"original{suffix if suffix in suffixes else suffixes[0]}"


# ------------------------------------------------------------------------------------------ stages
def ingest(path: Path) -> Record:
    """Hash the file and check it is a usable scan; ``BadInputError`` says why not."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    import ocr
    from flows.intake import stack_origin

    info = ocr.inspect_input(path)
    digest = sha256_file(path)
    origin = stack_origin(path)
    record = Record(
        id=record_id_for(digest),
        source=SourceFile(
            # a document split from a stack: the stack's name and its number ("A.pdf#3", as `list` shows it), not
            # its scratch file's "A.pdf#3.pdf", which nobody dropped (QA77)
            name=readable(f"{Path(origin.path).name}#{origin.part}" if origin else path.name),
            # the path as the filesystem has it, so that it can be opened (an NFC copy of an NFD name cannot);
            # a name that is not UTF-8 (Latin-1 bytes) with those bytes as \xNN: a record is UTF-8 JSON
            path=as_dropped(path.resolve(), origin),
            sha256=digest,
            size=path.stat().st_size,
            media_type=info.media_type,
            stack=origin,
        ),
    )
    record.add_event("ingested", python_tool(), f"{info.kind}, {info.page_count} page(s)")
    return record


def run_ocr(source: Path, output_pdf: Path, settings: Settings) -> OcrResult:
    import ocr
    from flows import progress
    from ocr.slots import set_slot_count

    set_slot_count(settings.tesseract_slots)  # this may be a Dask worker process: it needs the setting too
    # Where the OCR scratch folder goes, so that remove_work_leftovers can tell one a killed run left from one in
    # use: in a record's work folder (the pipeline's), under the record's content lock, which the caller holds;
    # elsewhere (`sohoa ocr` on one file) at the top of WORK, holding the shared scratch lock while it exists.
    in_record = work_token(output_pdf.parent) is not None
    scratch_root = output_pdf.parent if in_record else settings.work_path
    options: dict[str, Any] = dict(
        language=settings.ocr_language,
        workers=settings.effective_ocr_workers,
        dpi=settings.ocr_dpi,
        work_dir=scratch_root,
        tessdata_dir=settings.tessdata_dir,
        mode=settings.ocr_mode,
        on_page=progress.page_listener,
        tesseract_slots=settings.tesseract_slots,
        tesseract_engine=settings.tesseract_engine,
        bands=settings.ocr_bands,
        other_language=settings.ocr_other_language,
    )
    if not in_record:
        remove_ocr_scratch_leftovers(scratch_root)
    scratch_lock = contextlib.nullcontext() if in_record else file_lock(scratch_lock_file(scratch_root), shared=True)
    with scratch_lock, dask_page_executor(settings) as pages_on_cluster:
        if pages_on_cluster is not None:
            executor, cluster_threads = pages_on_cluster
            options.update(page_executor=executor, workers=cluster_threads)
        return ocr.ocr_document(source, output_pdf, **options)


def scratch_lock_file(work_root: Path) -> Path:
    """Held shared by each OCR whose scratch folder is at the top of WORK (see run_ocr, remove_work_leftovers)."""
    return work_lock_file(work_root, "ocr-scratch.lock")


@contextlib.contextmanager
def dask_page_executor(settings: Settings) -> Iterator[tuple[Any, int] | None]:
    """On a Dask worker of the configured cluster: an executor that sends this document's pages to the whole
    cluster (page-level OCR tasks), and how many of them it can read at once. Elsewhere: None (pages are read
    here, by local Tesseract processes).

    ``worker_client`` takes this document task out of its worker's thread pool while it waits for its pages, so
    the pages can run on that very thread: documents waiting for pages can never occupy every thread."""
    if not settings.dask_address:
        yield None
        return
    try:
        from distributed import get_worker, worker_client

        get_worker()
    except (ImportError, ValueError):  # not running inside a Dask worker
        yield None
        return
    with worker_client() as client:
        threads = sum(client.nthreads().values()) or 1
        yield client.get_executor(), threads


def dask_scheduler_problem(address: str, timeout: float = 5.0) -> str | None:
    """None when the Dask scheduler at ``address`` accepts a connection within ``timeout`` seconds, else what to
    say (both languages, naming the setting). Checked before a batch: the Dask client waited 30 s for a scheduler
    that is not there, and the batch then ended in a long traceback blaming Prefect."""
    from sohoa.settings import dask_host_port

    found = dask_host_port(address)
    if found is None:
        return None  # another transport (inproc, ucx): left to Dask
    host, port = found
    if host is None or port is None:
        problem = "không phải địa chỉ host:port / not a host:port address"
    else:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return None
        except OSError as exc:
            problem = f"không kết nối được / does not answer ({exc.strerror or exc})"
    return (
        f"Dask scheduler {address} (--dask / SOHOA_DASK_ADDRESS): {problem}; hãy khởi động `dask scheduler` hoặc "
        "sửa địa chỉ / start it (`dask scheduler`) or correct the address; nothing was processed"
    )


def run_classify(read: OcrResult, settings: Settings | None = None) -> Classification:
    """Classify what the OCR stage read: its text, with the word boxes of the first and last page."""
    import classify
    from classify.model import model_for

    return classify.classify_text(
        read.text, model=model_for(settings) if settings is not None else "default", layout=read.layout
    )


@functools.lru_cache(maxsize=4)
def _identity(kind: str, keys_dir: Path, pkcs12_file: Path | None, passphrase: bytes | None, pkcs11: Any = None) -> Any:
    # Loading the key is most of the cost of a B-B signature: load once per process, sign many.
    import signing

    return signing.load_identity(kind, keys_dir=keys_dir, pkcs12_file=pkcs12_file, passphrase=passphrase, pkcs11=pkcs11)


_identity_lock = threading.Lock()


def signing_identity(settings: Settings) -> Any:
    import signing

    pkcs11 = signing.pkcs11_config(settings) if settings.signing_identity == "pkcs11" else None
    try:  # a missing SOHOA_PKCS12_PASSWORD_FILE: a signing-configuration error, as a missing PIN file is
        passphrase = settings.pkcs12_passphrase() if settings.signing_identity == "pkcs12" else None
    except SecretFileError as exc:
        raise signing.SigningConfigError(str(exc)) from None
    with _identity_lock:  # documents in flight at once must not generate or load the identity twice
        return _identity(
            settings.signing_identity, settings.keys_dir.resolve(), settings.pkcs12_file, passphrase, pkcs11
        )


def trust_roots(settings: Settings) -> list[Path]:
    import signing

    roots = list(settings.trust_roots)
    roots.extend(signing.trust_store_path(settings.data_dir, name) for name in settings.trust_stores)
    if settings.trust_dev_ca and (dev_ca := signing.existing_dev_ca(settings.keys_dir)) is not None:
        roots.append(dev_ca)  # signing made it first; verifying or auditing never generates a key
    return roots


def trust_source_problem(settings: Settings) -> str | None:
    """Why a configured trust source cannot be used — a SOHOA_TRUST_ROOTS path that is not there, a
    SOHOA_TRUST_STORES name not installed — or None. Checked by the commands that trust through them (verify, sign
    at B-LT/B-LTA, process, watch, audit, ledger verify, export) before any work: both were passed over without a
    word (`verify` exit 0 trusting less than configured, while `--trust-store nostore` is a usage error). Not when
    the settings load: `sohoa keys install-trust-store` must run with the store already named in them."""
    import signing

    problems = [
        f"SOHOA_TRUST_ROOTS / trust_roots: {root}: không có tệp hoặc thư mục này / no such file or folder (expected "
        "files or folders of PEM/DER certificates)"
        for root in settings.trust_roots
        if not Path(root).exists()
    ]
    for name in settings.trust_stores:
        if not signing.trust_store_path(settings.data_dir, name).is_dir():
            base = signing.trust_store_path(settings.data_dir, name).parent
            installed = [] if not base.is_dir() else sorted(p.name for p in base.iterdir() if p.is_dir())
            installed = [store for store in installed if not store.startswith(".")]  # not a store being installed
            problems.append(
                f"SOHOA_TRUST_STORES / trust_stores: kho gốc tin cậy {name!r} chưa được cài / trust store {name!r} "
                f"is not installed in {base} (installed: {', '.join(installed) or 'none'}; install it with `sohoa "
                f"keys install-trust-store {name} FOLDER`, or take it out of the setting)"
            )
    if not problems:
        return None
    return "cấu hình sai / configuration error: " + "; ".join(problems)


def batch_settings_problem(settings: Settings) -> str | None:
    """Why no batch of the pipeline can run on these settings — a configuration error (exit 2; a flow run ends
    Failed), said where a batch starts, before any document is OCR'd — or None. Checked by `sohoa process` and
    `sohoa watch` (flows.cli), the pipeline's Prefect flows (flows.prefect_run.refusal) and any other batch
    (batch_documents): one check for all.

    ``SOHOA_SIGNATURE_APPEARANCE=seal``: the seal is laid over a signer's signature already in the file (Decree 30:
    the body's clerk counter-signs), and the OCR stage drops an input's signatures (they stay in the archived
    original only), so the searchable copy a batch signs never has one. Every document was OCR'd, then failed at
    its signature ("signing failed, not because of the scan", exit 3). `sohoa sign --appearance seal` (or with the
    setting) on a PDF a signer has signed is the seal's use, and is not concerned.

    A level from B-T up without SOHOA_TSA_URL (``Settings.level_problem``): every document was OCR'd, then failed at
    signing, exit 3, its reason half English (QA64)."""
    if (level := settings.level_problem()) is not None:
        return f"cấu hình sai / configuration error: {level} (không xử lý tệp nào / nothing was processed)"
    if settings.signature_appearance != "seal":
        return None
    return (
        "cấu hình sai / configuration error: SOHOA_SIGNATURE_APPEARANCE / signature_appearance: dấu của cơ quan "
        "('seal') đóng lên chữ ký đã có của người ký (Nghị định 30), nhưng bản quét mà sohoa process/watch xử lý "
        "không bao giờ có chữ ký đó (bước OCR bỏ các chữ ký của tệp vào); với bản số hóa hãy dùng 'copy' (dấu "
        "bản sao) hoặc 'none', còn 'seal' dùng với `sohoa sign` trên tệp người ký đã ký / the seal ('seal') "
        "goes over a signer's signature already in the file (Decree 30), but a scan that sohoa process/watch "
        "processes never has one (the OCR stage drops an input's signatures); for digitised copies use 'copy' (the "
        "copy mark) or 'none', and 'seal' with `sohoa sign` on a file a signer has signed; nothing was "
        "processed (given: 'seal')"
    )


def batch_appearance_warning(settings: Settings) -> str | None:
    """A warning for a batch whose signatures would show as the paper's signer's (``signer``, ``decree30``): the
    digitised copy's signature certifies the copy, not the decision on the paper, which bears its own signature
    (QA78: `Ký bởi: <certificate holder>` at the foot of every scan). Said, not refused: an office may want it."""
    if settings.signature_appearance not in ("signer", "decree30"):
        return None
    return (
        f"SOHOA_SIGNATURE_APPEARANCE={settings.signature_appearance}: mỗi bản quét sẽ mang khối 'Ký bởi: <người giữ "
        "chứng thư>' ở cuối trang như thể người đó đã ký bản giấy; với bản số hóa nên dùng 'copy' (dấu bản sao) hoặc "
        "'none' / every scan gets a 'Ký bởi: <certificate holder>' block at the foot of its last page, as if that "
        "person had signed the paper; for digitised copies use 'copy' (the copy mark) or 'none'"
    )


def warm_up(settings: Settings) -> None:
    """Load now what the first documents' stages would load (the OCR, classify and signing code, the type model,
    the signing identity: ~3.5 s of CPU here before the type model stopped importing scikit-learn, ~1.4 s less
    since), for a caller with a core to spare: ``sohoa process`` while Prefect's temporary server starts. Anything
    that fails is left for the stage to report on each document."""
    try:
        import classify  # noqa: F401 (imported for its cost, now)
        import ocr  # noqa: F401
        from classify.model import model_for

        model_for(settings)
        signing_identity(settings)
        trust_roots(settings)
    except Exception as exc:  # the stages meet the same problem and report it per document
        log.debug("warm-up stopped early: %s", exc)


_token_lock = threading.Lock()


def run_sign(input_pdf: Path, output_pdf: Path, settings: Settings) -> SignatureFacts:
    import signing

    if settings.signing_identity != "pkcs11":
        identity = signing_identity(settings)
        return signing.sign_with_settings(input_pdf, output_pdf, identity, settings, trust_roots(settings))
    with _token_lock:  # one PKCS#11 session is shared by the process; tokens serialise operations anyway
        identity = signing_identity(settings)  # under the lock: never one that another document found dead
        try:
            return signing.sign_with_settings(input_pdf, output_pdf, identity, settings, trust_roots(settings))
        except signing.SigningTokenError:
            # the token went away (unplugged): its session and login are dead. Forget them, so that the next
            # document (or pass) logs in again once the token is back, instead of failing on them for the
            # process's life (QA: a watcher quarantined every later scan until it was restarted)
            with _identity_lock:
                identity.token_lost()
                _identity.cache_clear()
            raise


def check_signing_token(settings: Settings) -> None:
    """For a PKCS#11 identity: the cached login's token still answers, or it is logged in afresh (the token was
    pulled out and put back), or this raises the signing error saying the token is not there — before a
    document's OCR, not after it (a token pulled while a watcher waited passed the batch's start check, and each
    next scan was OCR'd only to fail at its signature). Not on a Dask cluster: the workers sign."""
    if settings.signing_identity != "pkcs11" or settings.dask_address:
        return
    import signing

    with _token_lock:
        identity = signing_identity(settings)
        if identity.reachable():
            return
        log.warning(
            "thẻ ký số %s không còn trả lời: đăng nhập lại / the signing token %s no longer answers: logging in to it "
            "again",
            identity.token,
            identity.token,
        )
        with _identity_lock:
            identity.token_lost()
            _identity.cache_clear()
        try:
            signing_identity(settings)
        except signing.SigningConfigError as exc:  # still away (or another token in its place): said as pulled out
            raise signing.SigningTokenError.unreachable(identity.token, "no longer listed by its module") from exc


def check_signing_identity(settings: Settings) -> None:
    """Load (for a token: log in to) the configured identity before a batch's first document, through the cache the
    documents then sign with (no second login): a wrong PIN, a key label not on the token, a wrong PKCS#12 password
    failed every document at its signature, after its OCR, each trying the PIN again (QA: a token locks after a few
    wrong PINs) — and its certificate not revoked (``signer_revocation_refusal``). Not the development identity:
    there is no secret to check, and it is generated by the first
    signature, not by a batch refused before any. Not on a Dask cluster: the documents sign on the workers, where
    the token is, not necessarily here."""
    if settings.signing_identity == "dev" or settings.dask_address:
        return
    import signing

    try:
        identity = signing_identity(settings)
        check_signing_token(settings)
    except signing.SigningTokenError as exc:
        raise StageError(f"ký số / signing: {exc.vietnamese} / {exc.problem}") from None
    except signing.SigningConfigError as exc:
        raise StageError(f"ký số / signing: {exc}") from None
    if (refusal := signer_revocation_refusal(identity, settings)) is not None:
        raise StageError(f"ký số / signing: {refusal}")


def signer_revocation_refusal(identity: Any, settings: Settings) -> str | None:
    """Why not to sign with ``identity``: its certificate revoked, as its CA's OCSP/CRL services say now
    (``signing.standing``; SOHOA_CHECK_SIGNER_REVOCATION) — or None, after a warning when they could not say.
    Below B-LT a batch signed every document with a revoked certificate, each then failing verification online."""
    if not settings.check_signer_revocation or identity.development:
        return None
    from signing.policy import configured_roots
    from signing.standing import signer_revocation

    found = signer_revocation(identity, configured_roots(trust_roots(settings)))
    if found.status == "revoked":
        return found.refusal()
    if found.status == "unknown" and found.asked_at not in _revocation_warned:  # once per ask: not each watch pass
        _revocation_warned.add(found.asked_at)
        log.warning("%s", found.warning())
    return None


_revocation_warned: set[float] = set()


def verification_header(settings: Settings, key: str) -> ReportHeader:
    """When, by which sohoa and pyHanko, by whom and against which trust anchors the pipeline verifies a signed
    document (``verification.json``'s ``verified_by``): the header of `sohoa verify`'s reports, whose scope is the
    archived file it judges, by ``key``, its key in the configured archive (until 2026-12-02 an empty list)."""
    from signing.report import ReportScope, report_header
    from storage import archive_display

    scope = [ReportScope(kind="archive_file", archive=archive_display(settings), key=key)]
    return report_header(trust_roots(settings), online=settings.verify_online, scope=scope)


def run_verify(signed_pdf: Path, settings: Settings) -> signing.FileVerification:
    import signing

    return signing.verify_pdf(signed_pdf, trust_roots(settings), online=settings.verify_online)


_archive_lock = threading.Lock()


@contextlib.contextmanager
def archive_write_lock(location: str) -> Iterator[None]:
    """One writer at a time per archive on this host: the custody ledger is a hash chain with one head, so two
    documents archived at once (threads of a batch, a watcher beside a nightly batch, local Dask workers) would
    race for the same sequence number. A thread lock plus an ``flock`` on a file named after the archive;
    the kernel drops the flock when a process dies, so a crash never leaves the archive locked."""
    with _archive_lock, archive_host_lock(location):
        yield


# Waits before the 2nd, 3rd and 4th attempt to archive a record (each ±50 %): an S3 server restarting, a share
# remounting. The put is idempotent (objects already there with the same SHA-256 are not written again).
ARCHIVE_RETRY_DELAYS = (1.0, 5.0, 30.0)


def retry_transient(call: Callable[[], T], delays: Sequence[float], what: str, what_vi: str) -> T:
    """``call()``, tried again after each of ``delays`` (seconds, ±50 % so that documents failing together do
    not retry together) while it raises a ``StageError`` — a fault of the machine or a service. Bad input
    (``BadInputError``), a full or read-only disk (``machine_fault``: QA69, 35–48 s of retries per document of a
    nightly backlog, each as full as the last) and anything else is raised at once: trying again would not change
    the answer. ``what`` and ``what_vi``: the call, in English and in Vietnamese, for the warning of each retry."""
    for attempt, delay in enumerate(delays, start=1):
        try:
            return call()
        except StageError as exc:
            if machine_fault(exc) is not None:
                raise
            wait = delay * random.uniform(0.5, 1.5)
            # a fault said in each language apart (storage.claims.ArchiveBusyError) in each half; an S3 server's are
            # in both languages already
            cause_vi, cause_en = getattr(exc, "vi", str(exc)), getattr(exc, "en", exc)
            log.warning(
                "%s thất bại (%s); thử lại lần %d/%d sau %.1f s / %s failed (%s); attempt %d of %d in %.1f s",
                what_vi,
                cause_vi,
                attempt + 1,
                len(delays) + 1,
                wait,
                what,
                cause_en,
                attempt + 1,
                len(delays) + 1,
                wait,
            )
            time.sleep(wait)
    return call()


class ScanChangedError(InputChangedError):
    """The scan's bytes are no longer those ingest hashed: its file was rewritten while it was processed."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)

    def __str__(self) -> str:
        return f"{self.path}: the file changed while it was being processed"

    def __reduce__(self) -> tuple[type[ScanChangedError], tuple[Path]]:
        return (ScanChangedError, (self.path,))


def _original_as_ingested(path: Path, work: Path, record: Record) -> Path:
    """A copy of the scan in the record's work folder, checked against the SHA-256 ingest took of it: what is
    archived as the record's original is the scan the record describes. The inbox file read again as it was put
    away had been rewritten meanwhile (a scanner or a sync saving under the same name): the record of one paper
    kept another's scan, every check passing, and the first scan was in the archive nowhere (QA94)."""
    copy = work / "original"
    digest = hashlib.sha256()
    with path.open("rb") as source, copy.open("wb") as target:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            target.write(chunk)
    if digest.hexdigest() != record.source.sha256:
        copy.unlink(missing_ok=True)
        raise ScanChangedError(path)
    return copy


def run_archive(record: Record, files: dict[str, tuple[str, Path]], settings: Settings) -> Record:
    def put() -> Record:
        with archive_write_lock(archive_location(settings)):
            archived = open_configured_archive(settings).put(record, files)
            index_archived(archived, settings)
        return archived

    # retried here, not by an orchestrator, so that a batch with and without Prefect behaves the same
    return retry_transient(
        put, ARCHIVE_RETRY_DELAYS, f"archiving record {record.id}", f"lưu hồ sơ {record.id} vào kho lưu trữ"
    )


def direct_runner(stage: str, function: Callable[..., T], *args: Any) -> T:
    result = function(*args)
    _test_crash_hook(stage)
    return result


# TEST FAULT-INJECTION HOOK (tests/test_operations.py only; never set it in production): with
# SOHOA_TEST_CRASH_AFTER=<stage>:<n> the process kills itself with SIGKILL right after the n-th completion of
# <stage> in this process, so the crash-safety tests can kill a batch at exact points.
_crash_counts: dict[str, int] = {}


def _test_crash_hook(stage: str) -> None:
    spec = os.environ.get("SOHOA_TEST_CRASH_AFTER")
    if not spec:
        return
    target, _, count = spec.partition(":")
    if target == stage:
        _crash_counts[stage] = _crash_counts.get(stage, 0) + 1
        if _crash_counts[stage] >= int(count or 1):
            os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------------------------------ one document
def process_document(
    path: Path, settings: Settings, runner: StageRunner = direct_runner, batch_id: str | None = None
) -> DocumentResult:
    from flows.intake import stack_origin

    started = time.monotonic()
    origin = stack_origin(path)
    # in the log: the stack as dropped and the part, not the scratch copy; the watcher's file as dropped in the inbox
    shown = logged_as(path, origin, runner)
    ingested: list[Record] = []  # what ingest read, for a file that fails after it (S3 down): its SHA-256
    # the stages' own warnings (signing reads the work folder's copy) name the scan as shown here (sohoa.context)
    shown_token = document_shown_as.set(shown)
    try:
        result = _process(path, settings, runner, batch_id, ingested)
    except BadInputError as exc:
        if (fault := machine_fault(exc)) is not None:  # a reader's "damaged" that was the disk's ENOSPC
            result = _machine_failed(path, shown, fault)
        elif ingested and _changed_since(path, ingested[0]):
            # read while it was being rewritten ("image file is truncated"): no bad scan (QA95: quarantined so)
            result = _changed_while_processed(path, shown)
        else:
            # a document split from a stack: named as the stack and the document's number, its pages the stack's
            # (its own name, ``A.pdf#2.pdf``, is a scratch file nobody dropped; its page 1 is the stack's page 3)
            name_vi, name_en = (origin.said_vi(), origin.said_en()) if origin else (None, None)
            pages = origin.pages if origin else ()
            result = _quarantine(
                path, settings, exc.vietnamese(name_vi, pages), exc.english(name_en, pages), origin, runner
            )
    except FileNotFoundError as exc:
        if _the_scan_is_gone(path, exc):
            # gone before it could be read (another watcher took it), or not visible where this runs (a Dask
            # worker on a host without the shared inbox): nothing to quarantine, and a rerun may succeed
            # the host named: a deployment's run over a mistyped path, or a folder not mounted on the worker that ran
            # it, was said only as "moved or deleted" (QA136)
            host = socket.gethostname()
            english = (
                f"{exc} on this host ({host}): moved or deleted before it could be read, or its path mistyped or not "
                "on this host; rerun when it is there"
            )
            vietnamese = (
                f"{path}: không tìm thấy tệp trên máy này ({host}): đã bị chuyển hoặc xóa trước khi đọc, hoặc đường "
                "dẫn gõ sai hay không có trên máy này; chạy lại khi tệp đã có ở đó"
            )
        else:
            # another file a stage needed (a configured key, password or model file, a tool): not the scan's
            # fault, and not "moved or deleted" either — say which file
            missing = f"{exc.filename or exc} ({exc.strerror or exc})"
            english = f"a file sohoa needs is missing, not the scan: {missing}"
            vietnamese = f"Thiếu một tệp sohoa cần, không phải tệp quét: {missing}"
        result = failed(path, shown, vietnamese, english)
    except InputChangedError:  # (its bytes not those ingest hashed, or the file changed while OCR read it)
        result = _changed_while_processed(path, shown)
    except ArchiveBusyError as exc:  # another host writes the record: no fault of this one's (storage.claims)
        result = failed(path, shown, exc.vi, exc.en, retried=True)
    except StageError as exc:
        if (fault := machine_fault(exc)) is not None:  # the archive's disk full or read-only (QA69: Errno 28 said raw)
            result = _machine_failed(path, shown, fault)
        else:
            result = failed(path, shown, f"Lỗi hệ thống: {exc}", str(exc), retried=True)
    except ArchiveConfigError as exc:  # the archive as configured cannot hold records: not retried, not the scan's
        result = failed(path, shown, str(exc), str(exc))
    except (RetentionError, ArchiveIntegrityError) as exc:
        # the archive refused the record or failed its own check: it is damaged or was changed behind its back
        # (a record's record.json deleted, its retained document.pdf still there). Not the scan's fault: a good
        # scan quarantined for it would hide the damage
        result = failed(
            path,
            shown,
            f"Kho lưu trữ từ chối: {exc} (kho bị hỏng? chạy sohoa audit)",
            f"the archive refused it: {exc} (damaged archive? run sohoa audit)",
        )
    except (ImportError, NameError, AttributeError, TypeError, AssertionError) as exc:
        # a bug in sohoa, not a fault of the input: do not quarantine good scans; leave them for the rerun
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        result = failed(
            path, shown, f"Lỗi nội bộ: {detail}", f"internal error: {detail}", retried=True, with_traceback=True
        )
    except Exception as exc:  # the input made a stage fail: park it with the reason, keep the batch going
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if isinstance(exc, PermissionError) and _names_the_scan(path, exc):
            # the scan's own permissions: no bad scan to quarantine (QA94: a traceback, then "could not be
            # quarantined", its permission denied again)
            result = failed(
                path,
                shown,
                "không đọc được tệp: không có quyền đọc — hãy sửa quyền của tệp rồi chạy lại",
                "cannot read the file: permission denied — fix the file's permissions and rerun",
            )
        elif (fault := machine_fault(exc)) is not None:
            result = _machine_failed(path, shown, fault)
        elif _cluster_fault(exc):
            # a page sent to a Dask worker that died (KilledWorker), a connection to the cluster lost: the
            # cluster's fault, not the scan's — a good scan quarantined for it would be lost from the rerun
            result = failed(
                path,
                shown,
                f"Cụm Dask mất việc đang xử lý ({detail}): một worker bị dừng hoặc mất kết nối; chạy lại lô",
                f"the Dask cluster lost work on it ({detail}): a worker died or was cut off; rerun the batch",
                retried=True,
            )
        elif _orchestration_fault(exc):
            # the Prefect server a flow's stage tasks report to could not be reached (stopped, restarted, cut
            # off from a worker): not the scan's fault — quarantined "processing failed", a good scan looked bad
            result = failed(
                path,
                shown,
                f"Không kết nối được Prefect server ({detail}): không do tệp quét; chạy lại lô khi server hoạt động",
                f"the Prefect server could not be reached ({detail}): not the scan's fault; rerun the batch",
                retried=True,
            )
        elif _signing_fault(exc):
            # the signing identity or its services failed (a TSA down, a revoked or unusable certificate, a
            # token): not the scan's fault — it stays for the rerun instead of being quarantined
            errors = sys.modules["signing.errors"]
            configuration = isinstance(exc, errors.SigningConfigError)
            # sohoa's own words, uncut: the end of them is what to fix (the 300-character cap is for the text of
            # other libraries' exceptions). An error said in both languages (a service's fault: which service and
            # what it answered, without the work copy's path — the result names the scan; a seal before the
            # signer) gives each language its half; the others have one text (English, or both joined by " / ")
            english = vietnamese = str(exc)
            if isinstance(exc, errors.SaidInTwoLanguages):
                english, vietnamese = exc.problem, exc.vietnamese
            # a configuration fault stays until someone fixes it: no "will retry" promise for it
            result = failed(
                path,
                shown,
                f"Ký số thất bại, không do tệp quét: {vietnamese}",
                f"signing failed, not because of the scan: {english}",
                retried=not configuration,
            )
        else:
            log.exception("%s: processing failed", shown)
            result = _quarantine(
                path,
                settings,
                f"{origin.said_vi() if origin else printable(path.name)}: Xử lý thất bại ({escaped(detail)}).",
                f"{origin.said_en() if origin else printable(path.name)}: processing failed ({escaped(detail)}).",
                origin,
                runner,
            )
    finally:
        document_shown_as.reset(shown_token)
    result.seconds = time.monotonic() - started
    result.origin = origin
    if result.record is None and ingested:
        result.read_sha256 = ingested[0].source.sha256
    return result


def _changed_since(path: Path, record: Record) -> bool:
    """Whether the scan's file no longer holds what ingest read (rewritten, or gone)."""
    try:
        return sha256_file(path) != record.source.sha256
    except OSError:
        return True


def _changed_while_processed(path: Path, shown: str) -> DocumentResult:
    """A scan rewritten while the batch worked on it: not the scan's fault, nor a bad scan — what the file holds
    then is read afresh by the next run."""
    return failed(
        path,
        shown,
        "tệp đã thay đổi trong khi đang xử lý (quét hoặc chép đè cùng tên?): chưa lưu vào kho",
        "the file changed while it was being processed (scanned or copied over under the same name?): not archived",
        retried=True,
    )


def _machine_failed(path: Path, shown: str, fault: OSError) -> DocumentResult:
    """A document the machine failed (a full disk, …): ``failed``, left for the rerun, said without a traceback."""
    vietnamese, english = machine_fault_words(fault)
    return failed(path, shown, f"Lỗi hệ thống: {vietnamese}", english, retried=True)


def failed(
    path: Path,
    shown: str,
    reason_vi: str,
    reason_en: str,
    *,
    retried: bool = False,
    with_traceback: bool = False,
) -> DocumentResult:
    """A document left for the rerun (a fault outside the scan: a service down, the machine, a bug), said in one log
    line with its reason in both languages, as a quarantine's line says its reason — until 2026-12-02 the reason
    after `FAILED` was English only, in words of its own beside the result's. ``retried``: what stopped it may
    be gone by the next run (a configuration fault is not: it stays until someone fixes it)."""
    again = " (lần chạy sau sẽ thử lại / will retry on the next run)" if retried else ""
    say = log.exception if with_traceback else log.error
    if reason_en in reason_vi:  # a fault already said in both languages (an S3 server's): once, not twice (QA72)
        say("%s: LỖI / FAILED%s: %s", shown, again, said(reason_vi))
    else:
        say("%s: LỖI / FAILED%s: %s / %s", shown, again, said(reason_vi), said(reason_en))
    return DocumentResult(path, Outcome.FAILED, reason_en=reason_en, reason_vi=reason_vi)


def as_dropped(path: Path, origin: StackOrigin | None, runner: StageRunner | None = None) -> str:
    """A document as the log names it (as ``DocumentResult.source``): the file, or the stack as dropped + #part.
    A runner that took the file from where it was dropped says where with its ``dropped_as(path, origin)`` (the
    watcher: the file in the inbox, not its copy in ``DATA_DIR/claimed/``, as its record and reason file name it)."""
    dropped_as = getattr(runner, "dropped_as", None)
    if dropped_as is not None and (where := dropped_as(path, origin)) is not None:
        return str(where)
    return f"{origin.path}#{origin.part}" if origin else escaped(str(path))


def logged_as(path: Path, origin: StackOrigin | None, runner: StageRunner | None = None) -> str:
    """A document as the log lines name it: ``as_dropped``, and for a document split from a stack the stack's pages
    it is made of (``stack.pdf#2 (tr. / p. 3–4)``: the log said which part, not which pages). In NFC, as the
    reasons, the table, the receipts and the reports name it: a name stored NFD (from a Mac) was logged NFD, and a
    search of the log for the name as typed missed its lines (QA)."""
    dropped = as_dropped(path, origin, runner)
    shown = said(dropped)
    if origin is None:  # an NFD name beside its NFC twin is marked: in NFC the two lines were one (QA80)
        asked = getattr(runner, "nfd_twin", None)  # the watcher's: it knows, the inbox no longer shows it
        return twin_marked(shown, Path(dropped), asked(path) if asked is not None else None)
    if shown.startswith("/"):
        # the stack as its record names it, absolute: named as given, under the folder the command was run in, as
        # the stack's own line ("split into 2 document(s)") and every other file of the batch are (QA63)
        shown = _under_cwd(shown)
    return f"{shown} (tr. / p. {origin.pages_said()})"


def _under_cwd(absolute: str) -> str:
    """``absolute`` relative to the current folder when it lies under it, else as it is."""
    try:
        return Path(absolute).relative_to(Path.cwd()).as_posix()
    except (ValueError, OSError):  # elsewhere, or the current folder gone
        return absolute


def pages_said(pages: Sequence[int]) -> str:
    """``page 6``, ``pages 6, 7``."""
    from flows.intake import pages_in_english

    return pages_in_english(pages)


def _the_scan_is_gone(path: Path, exc: FileNotFoundError) -> bool:
    """Whether the missing file of ``exc`` is the scan itself: named by the error, or no longer there."""
    return not path.exists() or _names_the_scan(path, exc)


def _names_the_scan(path: Path, exc: OSError) -> bool:
    """Whether ``exc`` is about the scan's own file."""
    if exc.filename is None:
        return False
    try:
        return Path(os.fsdecode(exc.filename)).resolve() == path.resolve()
    except (OSError, ValueError):
        return False


WORK_TOKEN = ".generation"


def prepare_work_dir(work: Path, reuse: bool = True) -> Path:
    """The record's work folder (``WORK/<record id>``, so named by the content hash).

    A folder that an interrupted run left behind is kept when it carries its generation token: Prefect's cached
    stage results (``flows.prefect_flows``) are keyed by the content hash *and* this token, and point to files in
    this folder, so a rerun reuses them and skips the finished stages. A folder without its token is incomplete
    and is made afresh, with a new token, which also makes every cached result of the old one unreachable.
    ``reuse=False`` (a run whose stages are not cached) makes it afresh too: it writes the stages' files again, and
    under the old token a later cached run took them for the ones its results describe — the searchable copy of a
    run with other settings (QA138 F6: read in English, archived as the Vietnamese reading's)."""
    if work.exists() and (not reuse or not (work / WORK_TOKEN).is_file()):
        shutil.rmtree(work)
    if not work.exists():
        staging = work.with_name(f".{work.name}{PART_MARKER}{uuid.uuid4().hex[:8]}")
        staging.mkdir(parents=True)
        (staging / WORK_TOKEN).write_text(uuid.uuid4().hex, encoding="ascii")
        staging.rename(work)  # the folder appears with its token, never without
    return work


def work_token(folder: Path) -> str | None:
    """The generation token of a work folder, or None outside one."""
    try:
        return (folder / WORK_TOKEN).read_text(encoding="ascii").strip()
    except OSError:
        return None


def _cluster_fault(exc: BaseException) -> bool:
    """An error of the Dask cluster itself (``distributed``: a worker killed while it read one of the document's
    pages, a closed connection to the scheduler), told by the module it comes from: sohoa imports ``distributed``
    only with a cluster configured."""
    return any(cls.__module__.split(".")[0] == "distributed" for cls in type(exc).__mro__)


def _orchestration_fault(exc: BaseException) -> bool:
    """An error of the Prefect API a stage task reports to, not of the document: Prefect's own client errors and
    the HTTP errors beneath them (told by the module they come from), and the RuntimeError Prefect's client raises
    when the server does not answer ("Failed to reach API at …")."""
    modules = {cls.__module__.split(".")[0] for cls in type(exc).__mro__}
    if modules & {"prefect", "httpx", "httpcore"}:
        return True
    return isinstance(exc, RuntimeError) and "Failed to reach API" in str(exc)


def _signing_fault(exc: BaseException) -> bool:
    """A signing error that is not about the input (``SigningInputError`` is a ``BadInputError``, handled before):
    a configuration, service or certificate problem. Only when the signing layer was loaded at all."""
    errors = sys.modules.get("signing.errors")
    return errors is not None and isinstance(exc, errors.SigningError) and not isinstance(exc, BadInputError)


SEPARATOR_WORDS = 30  # a separator sheet's printed label ("TỜ PHÂN CÁCH / SEPARATOR") is well under this


def _refuse_only_separators(path: Path, ocr: OcrResult, settings: Settings) -> None:
    """A file made only of separator sheets (each page a separator's QR code, at most a printed label on it) is no
    document: refused, where it was archived as an 'unknown' record (QA). A stack of documents never gets here
    whole: intake splits it, and drops its separator pages. Only a file whose every page reads as a few words at
    most is rendered again to look (a document's page reads as hundreds)."""
    if not settings.separator_code or any(len(page.split()) >= SEPARATOR_WORDS for page in ocr.text.split("\f")):
        return
    from flows.intake import only_separators

    if only_separators(path, settings.separator_code):
        pages = len(ocr.pages)
        raise BadInputError(path, Problem.ONLY_SEPARATORS, f"{pages} page(s)", f"{pages} trang")


def _note_default_code(path: Path, record: Record, settings: Settings, shown: str) -> None:
    """A page bearing the default separator text while the office configured another code (a separator sheet
    printed before the change): not split there, so this record may hold two documents — said on the record."""
    from flows.intake import DEFAULT_CODE, default_code_pages, default_code_said

    # the split warned already (naming the stack's page): once in the log, not twice in two wordings
    level = logging.DEBUG if default_code_said(path) else logging.WARNING
    for number in default_code_pages(path, settings.separator_code):
        reason = (
            f"page {number} bears a code reading '{DEFAULT_CODE}', the default separator text, while the separator "
            f"code is '{settings.separator_code}': not split there; the documents around it may be merged"
        )
        log.log(level, "%s: %s", shown, reason)
        record.needs_review = True
        record.review_reasons.append(reason)


class _PapersInFlight:
    """The (type, number, date of issue) of each document this process is between its classification and its
    archiving: two scans of one paper in one batch are processed side by side, and neither was in the search index
    when the other looked (QA: two records of one paper, no word said). Keyed also by the archive's location."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str, str, str], tuple[str, str]] = {}  # key → (record id, scan as dropped)

    def claim(self, key: tuple[str, str, str, str], record_id: str, shown: str) -> tuple[str, str] | None:
        """Hold ``key`` for ``record_id``; the other document holding it already, if any (that one keeps it)."""
        with self._lock:
            holder = self._held.setdefault(key, (record_id, shown))
        return None if holder[0] == record_id else holder

    def release(self, record_id: str) -> None:
        with self._lock:
            for key in [k for k, (held, _) in self._held.items() if held == record_id]:
                del self._held[key]


_papers_in_flight = _PapersInFlight()


class MisplacedArchiveError(StageError):
    """A batch's archive location that holds no archive but lies inside one, is a data folder holding one, or is
    one the search index lists records archived at (deleted?): a usage error, refused before any document."""


def _refuse_misplaced_archive(archive: BaseArchive, settings: Settings) -> None:
    """Refuse (``MisplacedArchiveError``) to start a new archive where ``storage.archive_hints`` says what the
    location is instead: a year folder of an archive or a data folder given for it grew a second archive nested in
    the first, whose audit then called sohoa's own writes "added behind the archive's back"; an emptied archive the
    search index still knew records of was started again by the next batch, and the trace of the loss went with
    it (QA100). Deleting the search index (or pointing elsewhere) is how to start anew on purpose."""
    from storage import archive_hints

    hints = archive_hints(archive, settings)
    if not hints:
        return
    where = archive.location
    raise MisplacedArchiveError(
        f"không lưu vào {where}, nơi không có kho lưu trữ: {'; '.join(vi for vi, _ in hints)} / not archiving to "
        f"{where}, which holds no archive: {'; '.join(en for _, en in hints)}"
    )


def _say_new_archive(location: str, level: int) -> None:
    log.log(
        level,
        # what the first record archived does, not this check: a watch pass over an empty inbox said "creating"
        # every minute and created nothing (QA75)
        "chưa có kho lưu trữ tại %s: hồ sơ đầu tiên được lưu sẽ tạo kho mới ở đó / no archive at %s yet: the first "
        "record archived creates a new one there",
        location,
        location,
    )


def _say_unconditional(location: str) -> None:
    log.warning(
        "máy chủ S3 của %s bỏ qua lệnh ghi có điều kiện (If-None-Match): chỉ một máy được ghi vào kho này — hai máy "
        "cùng ghi có thể làm mất mục sổ nhật ký hoặc lưu một bản quét hai lần / the S3 server of %s ignores "
        "conditional writes (If-None-Match): only one host may write to this archive — two hosts writing it can "
        "lose ledger entries or archive one scan twice",
        location,
        location,
    )


def _say_default_retention(location: str, rule: str) -> None:
    log.warning(
        "bucket của %s có quy tắc lưu giữ mặc định (%s): mọi đối tượng bị khóa ngay khi ghi, kể cả những gì sohoa "
        "ghi tạm (khẳng định quyền ghi một bản quét, tệp của một lần lưu bị gián đoạn) và không bao giờ xóa được; "
        "hãy bỏ quy tắc mặc định (sohoa tự đặt thời hạn lưu giữ cho từng hồ sơ) / the bucket of %s has a default "
        "retention rule (%s): every object is locked as it is written, also what sohoa writes for a while (its "
        "claim on a scan, the files of a put cut short), which can then never be deleted; remove the default rule "
        "(sohoa sets each record's retention itself)",
        location,
        rule,
        location,
        rule,
    )


def archived_before(record: Record, settings: Settings) -> str | None:
    """The review reason for a record whose type, number and date of issue an archived record of another scan has
    already — the same paper scanned again (a rescan, a copy), or a number given twice; None when there is none,
    or nothing to compare by. The officer decides (QA: three records of one trích lục, no word said). The search
    index is where numbers are kept by key; without one (never built, unreadable) nothing is said."""
    c = record.classification
    if c is None or not c.number or c.issued_on is None or c.doc_type == "unknown":
        return None
    from storage.search import SearchIndex, is_damage, number_key

    # numbers compared by their key, as the index compares them (Đ or D, leading zeros)
    number = number_key(c.number) or c.number
    key = (archive_location(settings), c.doc_type, number, c.issued_on.isoformat())
    # held until this document is archived (indexed: the next one finds it there) or given up: the caller's finally
    if (twin := _papers_in_flight.claim(key, record.id, record.source.label())) is not None:
        return f"possibly the same paper as {twin[1]} in this batch (same type, number and date of issue; another scan)"
    path = search_index_path(settings)
    if not path.is_file():
        _index_short(path, "không tồn tại", "is missing", settings)
        return None
    try:
        with SearchIndex(path, create=False) as index:
            if not index.complete:
                _index_short(path, "chưa có đủ hồ sơ của kho", "does not hold every record of the archive")
            found = index.same_document(c.doc_type, c.number, c.issued_on.isoformat(), record.source.sha256)
    except Exception as exc:  # the index is rebuildable and only advisory here
        if is_damage(exc):
            _index_short(path, "bị hỏng", f"is damaged ({exc})")
        log.debug("duplicate look-up skipped: %s", exc)
        return None
    if not found:
        return None
    named = ", ".join(f"record {rid} ({prefix})" for rid, prefix in found[:3])
    return f"possibly archived before: {named} (same type, number and date of issue; another scan)"


_index_said: set[tuple[str, str]] = set()  # (index, what): said once a process


def _index_short(path: Path, what_vi: str, what: str, settings: Settings | None = None) -> None:
    """Warn, once a process, that the search index cannot tell ``archived_before`` of every earlier record (QA60:
    an index deleted and made again by the next record missed the copies archived before it without a word, and a
    damaged one was passed over with a debug line). ``settings``: say it only when the archive holds a record (an
    index missing for a new archive is no gap)."""
    if (str(path), what) in _index_said:
        return
    if settings is not None:
        from storage import archived_sha256s

        try:
            if next(archived_sha256s(open_configured_archive(settings)), None) is None:
                return
        except Exception:  # the archive's own stage says what is wrong with it
            return
    _index_said.add((str(path), what))
    log.warning(
        "chỉ mục tìm kiếm %s %s: việc dò bản đã lưu trước của cùng văn bản có thể bỏ sót, hãy chạy sohoa index "
        "rebuild / the search index %s %s: the check for an earlier archived copy of the same paper may miss one; "
        "run sohoa index rebuild",
        path,
        what_vi,
        path,
        what,
    )


def _say_tsa_down(url: str) -> None:
    """Warn, before the first document, when the timestamping authority does not accept a connection: each document
    would be read, then fail at its signature after the sign stage's retries and wait in its work folder for the
    next run — a night's backlog read for nothing, said only document by document (QA138). A warning, not a
    refusal: the TSA may answer by the time the first document is signed, and a proxy may reach what this cannot."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=5):
            return
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
    log.warning(
        "cảnh báo: máy chủ cấp dấu thời gian %s chưa trả lời (%s:%s: %s); mỗi văn bản sẽ được nhận dạng rồi không ký "
        "được, để lại cho lần chạy sau — hãy dừng lô (Ctrl-C; lượt chạy của Prefect: prefect flow-run cancel ID) và "
        "chạy lại khi TSA đã trả lời / warning: the timestamping authority %s does not answer now (%s:%s: %s); each "
        "document would be read and then fail at its signature, left for the next run — stop the batch (Ctrl-C; a "
        "Prefect flow run: prefect flow-run cancel ID) and start it again once the TSA answers",
        url,
        parts.hostname,
        port,
        why,
        url,
        parts.hostname,
        port,
        why,
    )


def check_locations(settings: Settings) -> None:
    """Refuse, before any document, a data, work, quarantine or local archive folder that cannot be one (a file
    of that name, no permission): otherwise every good scan of the batch would fail inside a stage and be
    quarantined as if it were at fault, or the quarantine itself would fail."""
    # each with the setting an operator changes to fix it (QA: a SOHOA_QUARANTINE_DIR that is a file was said as
    # "check SOHOA_DATA_DIR / --archive")
    folders = [
        ("work", settings.work_path, "SOHOA_WORK_DIR" if settings.work_dir else "SOHOA_DATA_DIR"),
        (
            "quarantine",
            settings.quarantine_path,
            "SOHOA_QUARANTINE_DIR" if settings.quarantine_dir else "SOHOA_DATA_DIR",
        ),
    ]
    # with the archive elsewhere, a relative data folder holding nothing yet but the Prefect state this command has
    # just made there: its first batch in this folder (asked before the signing identity below makes its keys there)
    first_here_archive_elsewhere = (
        bool(settings.archive)
        and not Path(settings.data_dir).is_absolute()
        and _holds_nothing_yet(Path(settings.data_dir))
    )
    # a password or PIN file that is not there fails every signature: said before the first document is OCRed
    if (problem := settings.signing_secret_problem()) is not None:
        raise StageError(f"ký số / signing: {problem}")
    check_signing_identity(settings)  # and the identity itself: a wrong PIN, a missing key (logged in once)
    if settings.tsa_url and settings.signature_level != "B-B":
        _say_tsa_down(settings.tsa_url)
    from ocr.tesseract import check_language

    # a language without data (SOHOA_OCR_LANGUAGE=xyz) failed every document at its OCR, one after another: said now
    # (cached: the documents' own check costs nothing more)
    check_language(settings.ocr_language, settings.tessdata_dir)
    location = archive_location(settings)
    new_archive: str | None = None  # an archive not made yet: said once the folders are known usable
    if location.startswith("s3:"):
        from storage import check_archive_location

        # an invalid bucket name, no endpoint: a configuration error no rerun fixes (the CLI says so first; a
        # Prefect deployment or the watcher come here without it)
        check_archive_location(location, settings)
        from storage.s3 import S3Archive

        archive = open_configured_archive(settings)
        if isinstance(archive, S3Archive):
            # a bucket without object lock, or credentials the server refuses (storage.s3.S3CredentialsError: a
            # wrong SOHOA_S3_SECRET_KEY was retried like an outage, ~25 s a document, after each one's OCR), fails
            # every document the same way: said now, before the first document
            try:
                rule = archive.check_object_lock()
            except ArchiveConfigError as exc:
                raise StageError(str(exc)) from None
            except StageError as exc:  # the server down: each document's archive stage retries, and says so
                # said now, not only after each document's ~40 s of retries (QA97: the check was skipped silently)
                log.warning(
                    "cảnh báo: kho S3 chưa trả lời (%s); mỗi văn bản sẽ thử lại khoảng 40 giây trước khi để lại cho "
                    "lần chạy sau — hãy dừng lô (Ctrl-C; lượt chạy của Prefect: prefect flow-run cancel ID) và chạy "
                    "lại khi máy chủ S3 đã chạy / warning: the S3 archive does not answer now (%s); each document "
                    "will retry for ~40 s before it is left for the next run — stop the batch (Ctrl-C; a Prefect "
                    "flow run: prefect flow-run cancel ID) and start it again once the S3 server is up",
                    exc,
                    exc,
                )
            else:
                # as for a folder: a mistyped bucket or prefix starts a second archive (it was made without a word)
                try:
                    if not archive.exists():
                        _refuse_misplaced_archive(archive, settings)
                        new_archive = location  # said below, once the folders are known usable
                    elif rule is not None:
                        _say_default_retention(location, rule)  # (no probe then: it could not be deleted)
                    elif not archive.honours_conditional_writes():
                        _say_unconditional(location)
                except StageError as exc:
                    log.debug("archive not looked for yet: %s", exc)
    else:
        folders.append(
            ("archive", Path(location), "--archive / SOHOA_ARCHIVE" if settings.archive else "SOHOA_DATA_DIR")
        )
        if not (local := LocalArchive(Path(location))).exists():  # not there, or an empty or foreign folder (QA99)
            _refuse_misplaced_archive(local, settings)
            new_archive = location
    # the folders first: "no archive yet" and the relative data folder were said of folders then refused (QA145)
    for role, folder, setting in folders:
        if (cause := _folder_unusable(role, folder)) is not None:
            # the cause in each half (QA69: the Vietnamese half named the folder, only the English one said why)
            raise StageError(
                f"không dùng được thư mục {_FOLDER_ROLES_VI[role]} {folder}: {cause[0]} (xem {setting}) / "
                f"the {role} folder {folder} cannot be used: {cause[1]} (check {setting})"
            )
    if new_archive is not None:
        # a mistyped --archive starts a second archive and OCRs everything again: say so (quietly for the
        # DATA_DIR/archive of a data folder configured, which a first run creates)
        relative = not Path(settings.data_dir).is_absolute() and not settings.archive
        _say_new_archive(new_archive, logging.WARNING if settings.archive or relative else logging.INFO)
        if relative:
            # under the folder the command runs in: a cron job without a `cd` made a second archive, keys and
            # ledger in $HOME/var without a word (QA84); a relative folder configured is the same (QA85)
            _say_relative_data_folder(settings, archive_there=True)
    if first_here_archive_elsewhere:
        # the archive given elsewhere (--archive / SOHOA_ARCHIVE), the data folder still relative: the signing
        # keys, the quarantine and the work files went to ./var of whatever folder the command ran in (QA85 L6)
        _say_relative_data_folder(settings, archive_there=False)


def _holds_nothing_yet(folder: Path) -> bool:
    """``folder`` is not there, or holds only Prefect's state (``prefect/``, made by `sohoa process` first)."""
    try:
        return all(entry.name == "prefect" for entry in folder.iterdir())
    except OSError:  # not there (or no folder: said below)
        return True


def _say_relative_data_folder(settings: Settings, archive_there: bool) -> None:
    """Warn that the data folder is relative to the folder the command runs in: run from another one, a batch makes
    another archive (``archive_there``), signing keys and quarantine there."""
    where = Path(settings.data_dir).resolve()
    given_vi, given_en = (
        ("SOHOA_DATA_DIR chưa được đặt", "SOHOA_DATA_DIR is not set")
        if "data_dir" not in settings.model_fields_set
        else (
            f"SOHOA_DATA_DIR = {settings.data_dir} là đường dẫn tương đối",
            f"SOHOA_DATA_DIR = {settings.data_dir} is relative",
        )
    )
    made_vi, made_en = (
        ("kho, khóa ký và sổ nhật ký khác", "another archive, signing keys and ledger")
        if archive_there
        else ("khóa ký, thư mục cách ly và tệp làm việc khác", "other signing keys, quarantine and work files")
    )
    log.warning(
        "%s: thư mục dữ liệu là %s, trong thư mục đang chạy lệnh — chạy từ thư mục khác (cron, systemd) sẽ tạo %s; "
        "hãy đặt SOHOA_DATA_DIR (hoặc data_dir trong sohoa.toml) là một đường dẫn tuyệt đối / %s: the data folder is "
        "%s, under the folder the command runs in — run from another folder (cron, systemd), it makes %s; set "
        "SOHOA_DATA_DIR (or data_dir in sohoa.toml) to an absolute path",
        given_vi,
        where,
        made_vi,
        given_en,
        where,
        made_en,
    )


_FOLDER_ROLES_VI = {"work": "làm việc", "quarantine": "cách ly", "archive": "kho lưu trữ"}


def _folder_unusable(role: str, folder: Path) -> tuple[str, str] | None:
    """Why ``folder`` cannot be the ``role`` folder, (Vietnamese, English), or None; made when missing, but for the
    quarantine."""
    if folder.exists() and not folder.is_dir():
        return "đó là một tệp, không phải thư mục", "it is a file"
    try:
        if role == "quarantine" and not folder.exists():
            # made by the first file refused (storage.quarantine_file), not by a batch that refuses nothing
            # (README): here only whether it can be made, by the nearest folder that is there
            folder = next(p for p in folder.parents if p.exists())
            if not folder.is_dir():
                return f"{folder} là một tệp, không phải thư mục", f"{folder} is a file"
        else:
            folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            if os.statvfs(folder).f_flag & os.ST_RDONLY:  # not a permission to ask for: a mount to change
                return f"{folder} nằm trên ổ đĩa chỉ cho đọc", f"{folder} is on a read-only file system"
            return f"không có quyền ghi vào {folder}", f"no write permission on {folder}"
    except OSError as exc:
        return os_error_words(exc)
    return None


# what check_locations was last given by the command that runs this thread's batches (``_locations_key``), while
# ``checked_locations`` says so: batch_documents then does not check them again
_checked_locations: contextvars.ContextVar[str | None] = contextvars.ContextVar("sohoa_checked_locations", default=None)


def _locations_key(settings: Settings) -> str:
    """The settings check_locations judges, as one text: folders absolute and the archive as its location, so that
    a command's settings and those its Prefect flow run loads again from the same overrides are the same."""
    absolute = settings.with_absolute_paths()
    return archive_display(absolute) + "\n" + absolute.model_dump_json(exclude={"archive"})


@contextlib.contextmanager
def checked_locations(settings: Settings) -> Iterator[None]:
    """For a caller that has just run ``check_locations(settings)`` itself, before its batch (`sohoa process`:
    before its Prefect server answers, whose failure message would mislead; the watcher: before it claims files):
    the batches run inside on the same settings (batch_documents: process_many, the Prefect flows in this thread)
    do not check them again — they were checked twice per command, the signing token looked up and an S3 archive's
    object lock asked twice. Any other caller of process_many (a library's, a deployment's flow run) is checked by
    the batch itself."""
    token = _checked_locations.set(_locations_key(settings))
    try:
        yield
    finally:
        _checked_locations.reset(token)


def check_locations_unless_checked(settings: Settings) -> None:
    """``check_locations``, unless the command running this has just checked the same settings
    (``checked_locations``): a Prefect flow run's own check at its start said "no archive yet" a second time, in
    Prefect's format, after `sohoa process` had (QA143)."""
    if _checked_locations.get() != _locations_key(settings):
        check_locations(settings)


def _quarantine(
    path: Path,
    settings: Settings,
    reason_vi: str,
    reason_en: str,
    origin: StackOrigin | None = None,
    runner: StageRunner | None = None,
) -> DocumentResult:
    shown = logged_as(path, origin, runner)
    # as the reason file and the table say them (a name that is not UTF-8 as \xNN): the log line wrote the name in
    # the reason as Python's surrogate escapes (\udcd0\udcf5n xin.pdf), the other outputs \xd0\xf5n xin.pdf (QA)
    reason_vi, reason_en = said(reason_vi), said(reason_en)
    try:
        entry = quarantine_file(
            path,
            settings.quarantine_path,
            reason_vi=reason_vi,
            reason_en=reason_en,
            # the stack as dropped, the document's number and its pages, in both languages
            label=origin.label(as_dropped(path, origin, runner).removesuffix(f"#{origin.part}")) if origin else None,
        )
    except OSError as exc:  # the quarantine folder failed (disk full, removed): the input is left for the rerun
        return failed(
            path,
            shown,
            f"Không chuyển được vào khu cách ly ({exc}): {reason_vi}",
            f"could not be quarantined ({exc}): {reason_en}",
            retried=True,
        )
    log.warning("%s: CÁCH LY / QUARANTINED as %s: %s / %s", shown, entry.file, reason_vi, reason_en)
    return DocumentResult(
        path,
        Outcome.QUARANTINED,
        reason_vi=reason_vi,
        reason_en=reason_en,
        quarantined_as=entry.file,
        quarantined_sha256=entry.sha256,
    )


@contextlib.contextmanager
def same_content_lock(work_root: Path, digest: str) -> Iterator[None]:
    """One worker at a time per content on this host. Two copies of one scan in a batch (or a watcher and a
    nightly batch given the same file) would otherwise both find it not archived, race for its one work folder
    (``WORK/<record id>``) and archive it twice or quarantine one. An ``flock`` on one of 256 lock files chosen by
    the hash: a bounded set of files, and two different documents share one only 1 time in 256 (they then run
    one after the other). Each call opens its own descriptor, so threads of one process exclude each other too;
    the kernel drops the lock when a process dies."""
    with exclusive_lock(content_lock_file(work_root, digest)):
        yield


def content_lock_file(work_root: Path, digest: str) -> Path:
    """The lock file of ``same_content_lock`` for a content's SHA-256 (or its record id, which begins with it)."""
    return work_lock_file(work_root, f"{digest[:2]}.lock")


OCR_SCRATCH_PREFIX = "sohoa-ocr-"  # the OCR stage's scratch folders (ocr.pipeline.ocr_document)
_RECORD_FOLDER = re.compile(r"[0-9a-f]{16}")  # WORK/<record id>
# WORK/.<record id>.part-* (prepare_work_dir)
_STAGING_FOLDER = re.compile(rf"\.([0-9a-f]{{16}}){re.escape(PART_MARKER)}")


def remove_ocr_scratch_leftovers(work_root: Path) -> list[Path]:
    """Remove the OCR scratch folders at the top of WORK that killed runs left (`sohoa ocr` on one file), when no
    OCR on this host is at work there (each holds ``scratch_lock_file`` shared, and makes its folder only then);
    returns what was removed. Run by ``remove_work_leftovers`` and by each `sohoa ocr` before it starts: until
    2026-12-06 only a `sohoa process` removed them, and a `sohoa ocr` killed mid-document (34 MB of scratch for
    a 60-page scan, QA140 F5) left them for good on a host that only OCRs."""
    removed: list[Path] = []
    with file_lock(scratch_lock_file(work_root), wait=False) as no_ocr_at_top:
        if no_ocr_at_top:
            for scratch in sorted(work_root.glob(f"{OCR_SCRATCH_PREFIX}*")):
                shutil.rmtree(scratch, ignore_errors=True)
                removed.append(scratch)
    return removed


def remove_work_leftovers(work_root: Path) -> list[Path]:
    """Remove what processes killed in the middle of a record left in the work folder; returns what was removed.

    Everything a run writes there for a record is written while it holds the record's content lock
    (``same_content_lock``, taken by ``_process`` for the whole document): the staging folder ``.<id>.part-*`` of
    ``prepare_work_dir``, the work folder ``<id>/`` and in it the ``.NAME.part-*`` files of crash-safe writes, the
    signature's ``.NAME.*.tmp`` and the OCR stage's scratch folder (``run_ocr`` puts it there for this reason). A
    leftover without a live owner is therefore one whose lock is free: each record's is tried without waiting, and
    a record whose lock is held (a watcher or another batch at work on it, or on a content that shares its lock
    file) is left for a later batch. The kernel drops a dead process's flock, so no pid or age is guessed.
    OCR scratch folders at the top of WORK (`sohoa ocr` on one file; every OCR before 2026-12-01) go the same way
    under one lock that each such OCR holds shared: only while no OCR on this host holds it.

    Kept: the work folder itself when it carries its generation token (a rerun reuses its cached stage results;
    one without a token is incomplete and ``prepare_work_dir`` would make it afresh anyway) and that token is not
    older than KEPT_WORK_DAYS, ``.locks/`` and
    whatever else is in WORK (split stacks: ``flows.intake.remove_stack_leftovers``; the audit's folder; anything
    not named as sohoa names these)."""
    if not work_root.is_dir():
        return []
    removed: list[Path] = []
    records: set[str] = set()
    for entry in work_root.iterdir():
        if _RECORD_FOLDER.fullmatch(entry.name):
            records.add(entry.name)
        elif staging := _STAGING_FOLDER.match(entry.name):
            records.add(staging[1])
    removed.extend(remove_ocr_scratch_leftovers(work_root))
    for record_id in sorted(records):
        with file_lock(content_lock_file(work_root, record_id), wait=False) as no_live_owner:
            if no_live_owner:
                for leftover in _record_leftovers(work_root, record_id):
                    if leftover.is_dir():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink(missing_ok=True)
                    removed.append(leftover)
    return removed


# A work folder a failed or killed run kept for its rerun (its searchable and signed copies, Prefect's cached results
# keyed by its token) is removed by the leftovers pass once its token is this old: the cached results have expired
# by then (flows.prefect_flows.CACHE_EXPIRATION), and a scan never run again — deleted, rescanned, its file rewritten —
# left them in WORK for ever (QA138 F3)
KEPT_WORK_DAYS = 7


def _record_leftovers(work_root: Path, record_id: str) -> list[Path]:
    """A record's temporary files and folders in WORK (called under its content lock); its work folder too when it
    is older than KEPT_WORK_DAYS."""
    found = sorted(work_root.glob(f".{record_id}{PART_MARKER}*"))
    folder = work_root / record_id
    if folder.is_dir():
        token = folder / WORK_TOKEN
        if not token.is_file() or _days_old(token) > KEPT_WORK_DAYS:
            found.append(folder)
        else:
            found += sorted(
                p
                for p in folder.iterdir()
                if p.name.startswith(OCR_SCRATCH_PREFIX)
                or (p.name.startswith(".") and (PART_MARKER in p.name or p.name.endswith(".tmp")))
            )
    return found


def _days_old(path: Path) -> float:
    try:
        return (time.time() - path.stat().st_mtime) / 86400
    except OSError:
        return 0.0


def _process(
    path: Path,
    settings: Settings,
    runner: StageRunner,
    batch_id: str | None = None,
    ingested: list[Record] | None = None,
) -> DocumentResult:
    record: Record = runner("ingest", ingest, path)
    if ingested is not None:
        ingested.append(record)
    record.batch_id = batch_id
    with same_content_lock(settings.work_path, record.source.sha256):
        return _process_unless_archived(path, record, settings, runner)


def _complete_interrupted(existing: Record, settings: Settings) -> None:
    """What a run killed right after archiving left undone (found by exploratory testing with real SIGKILLs): the
    record missing from the search index — never searchable, as reruns stopped at "already archived" — and its
    work folder (the signed copy among it) left on disk. Called under the record's content lock."""
    from classify.review import as_corrected

    # a run here killed after archiving left its work folder; without one the record was archived elsewhere (another
    # host on the same archive, another DATA_DIR), whose index this one is not (QA97: "an earlier run stopped" was
    # said of a record another host had archived)
    # the work folder a run here kept (killed, or failed after its put went through): its signed copy is the one
    # archived. One kept by a run that failed before the archive stage, the record archived meanwhile by another
    # host, holds another signature (QA138 F8: said as "an earlier run stopped before")
    signed_here = settings.work_path / existing.id / SIGNED_NAME
    archived_signed = {o.sha256 for o in existing.objects if o.role == "signed"}
    stopped_here = signed_here.is_file() and sha256_file(signed_here) in archived_signed
    # as `review set` indexes: with an officer's correction
    if index_archived(as_corrected(existing, settings), settings, unless_indexed=True):
        why_vi, why_en = (
            ("một lần chạy trước đã dừng trước bước này", "an earlier run stopped before")
            if stopped_here
            else (
                "chỉ mục của máy này chưa có: hồ sơ được lưu từ máy hoặc thư mục dữ liệu khác, hoặc chỉ mục đã được "
                "tạo lại",
                "this host's index did not hold it: archived from another host or data folder, or the index was "
                "made again",
            )
        )
        log.info(
            "hồ sơ %s: đã đưa vào chỉ mục tìm kiếm (%s) / record %s: added to the search index (%s)",
            existing.id,
            why_vi,
            existing.id,
            why_en,
        )
    shutil.rmtree(settings.work_path / existing.id, ignore_errors=True)


def _as_the_office_knows_it(existing: Record, settings: Settings) -> Record:
    """An archived record as a rerun reports it: with an officer's correction (QA: a rerun showed the type sohoa had
    read, while `list` and `get` showed the officer's), and waiting for review only while `review list` lists it —
    a correction or an acknowledgement settles it (QA59: after `review set --ack` a rerun still said "needs review"
    and its receipt sent the officer to a list the record was not on)."""
    from classify.review import as_corrected, open_reasons, waits_for_review

    corrected = as_corrected(existing, settings)
    # a correction settles the classification's reasons only: the others wait for `review set --ack`
    still = waits_for_review(existing, settings)
    if corrected is existing and still == existing.needs_review:
        return existing
    return corrected.model_copy(
        update={
            "needs_review": still,
            "review_reasons": open_reasons(existing, settings) if still else corrected.review_reasons,
        }
    )


def _process_unless_archived(path: Path, record: Record, settings: Settings, runner: StageRunner) -> DocumentResult:
    from ocr.quality import (
        BLANK,
        LOW,
        MIRRORED_NOTICE,
        cmyk_reason,
        low_quality_reason,
        too_small_reason,
        unembedded_font_reason,
    )
    from ocr.tesseract import reads_vietnamese

    shown = logged_as(path, record.source.stack, runner)  # ingest read the stack origin already
    archive = open_configured_archive(settings)
    # the same retries as the archive write (README: an S3 server restarting costs a document ~40 s, not a failure)
    existing = retry_transient(
        lambda: archive.find(record.source.sha256),
        ARCHIVE_RETRY_DELAYS,
        f"looking for {path.name} in the archive",
        f"tìm {path.name} trong kho lưu trữ",
    )
    if existing is None:
        existing = archived_by_another_writer(archive, record)  # or ArchiveBusyError, before the OCR and signing
    if existing is not None:
        log.info(
            "%s: đã lưu trước đó tại %s (cùng mã SHA-256), bỏ qua / already archived as %s (same SHA-256); skipped",
            shown,
            existing.archive_prefix,
            existing.archive_prefix,
        )
        _complete_interrupted(existing, settings)
        parked = parked_entries(settings.quarantine_path, record.source.sha256)
        return _already_archived(path, shown, existing, parked, settings)

    check_signing_token(settings)  # a token pulled out: fail now, not after the OCR
    work = prepare_work_dir(settings.work_path / record.id, reuse=getattr(runner, "caches_stages", False))
    keep_work = False
    try:
        searchable = work / "ocr.pdf"
        record.ocr = runner("ocr", run_ocr, path, searchable, settings)
        record.state = RecordState.OCRED
        _refuse_only_separators(path, record.ocr, settings)
        _note_default_code(path, record, settings, shown)
        conformance = (
            f"PDF/A-{record.ocr.pdfa.lower()}"
            if record.ocr.pdfa
            else f"not PDF/A: {'; '.join(record.ocr.pdfa_problems[:2]) or 'no claim'}"
        )
        carried = (
            f"; the input's {record.ocr.input_signatures} signature(s) stay in the archived original only"
            if record.ocr.input_signatures
            else ""
        )
        corrected = record.ocr.corrected_words
        restored = f"; {corrected} word(s) with diacritics put right by context" if corrected else ""
        blank = [page.number for page in record.ocr.pages if page.quality == BLANK]
        blanks = f"; blank: {pages_said(blank)}" if blank else ""
        read_as = f"{len(record.ocr.pages)} page(s), language {record.ocr.language}, {conformance}"
        record.add_event("ocr", record.ocr.engine, f"{read_as}{carried}{restored}{blanks}")
        stage_log.info(
            "%s: ocr: %d trang / page(s), độ tin cậy trung bình / mean confidence %s, %s",
            shown,
            len(record.ocr.pages),
            record.ocr.mean_confidence,
            conformance,
        )
        for notice in record.ocr.notices:
            stage_log.info("%s: ocr: %s", shown, notice)
        # a blank page (the back of a sheet in a duplex scan) is kept, as the paper is, and is no reason to look at
        # the record. A file whose every page is blank (no ink at all) is no document: refused — it was archived,
        # signed and retained ten years as an "unknown" record that nothing could dispose of (QA77)
        if blank and len(blank) == len(record.ocr.pages):
            # a one-page file's count says nothing "every page" does not; QA79 read "(1 page(s))" between sentences
            many = len(blank) > 1
            if read := few_words_read(record.ocr.text):  # "Trang 2" read: not "no ink at all" (QA155 F2)
                on = (f"{len(blank)} pages: ", f"{len(blank)} trang: ") if many else ("", "")  # (QA156 F5)
                raise BadInputError(path, Problem.ALL_BLANK_FEW_WORDS, on[0] + read, on[1] + read)
            faint_marks = any(page.faint_marks for page in record.ocr.pages)
            ink_marks = any(page.ink_marks for page in record.ocr.pages)  # a page number, a signature (QA156 F3)
            # faint marks first: they may be print, and their advice is to scan darker (QA158 F5)
            problem = (
                Problem.ALL_BLANK_FAINT_MARKS
                if faint_marks
                else Problem.ALL_BLANK_INK_MARKS
                if ink_marks
                else Problem.ALL_BLANK
            )
            raise BadInputError(
                path, problem, f"{len(blank)} pages" if many else "", f"{len(blank)} trang" if many else ""
            )  # "Every page of the file (2 pages) is blank …" (QA82)
        # an image stored mirrored (its EXIF orientation) is read so: its low page's reason says that, not a guess
        mirrored = MIRRORED_NOTICE in record.ocr.notices
        for page in record.ocr.pages:
            if page.quality == LOW:
                record.needs_review = True
                record.review_reasons.append(
                    low_quality_reason(
                        page.number,
                        page.confidence,
                        page.lexicon_share,
                        page.unread_print,
                        page.among_show_through,
                        vietnamese=reads_vietnamese(page.language),
                        doubtful=page.doubtful_print,
                        mirrored=mirrored,
                    )
                )
            if page.too_small is not None:  # kept in the copy, unread: a person looks at what it is
                record.needs_review = True
                record.review_reasons.append(too_small_reason(page.number, page.too_small))
        if record.ocr.pdfa is None and (
            why := cmyk_reason(record.ocr.pdfa_problems) or unembedded_font_reason(record.ocr.pdfa_problems)
        ):
            record.needs_review = True
            record.review_reasons.append(why)

        record.classification = runner("classify", run_classify, record.ocr, settings)
        # the word boxes were for the classifier only: a batch keeps every document's record for its summary
        record.ocr.layout = []
        record.state = RecordState.CLASSIFIED
        record.add_event(
            "classified",
            f"sohoa {record.classification.decided_by}",
            f"{record.classification.doc_type} {record.classification.number or ''} "
            f"confidence {record.classification.confidence}",
        )
        stage_log.info(
            "%s: classify: %s, số / number %s, độ tin cậy / confidence %s (%s)",
            shown,
            record.classification.doc_type,
            record.classification.number or "không có / none",
            record.classification.confidence,
            record.classification.decided_by,
        )
        if record.classification.confidence < settings.review_threshold:
            from classify.review import weak_fields

            record.needs_review = True
            record.review_reasons.append(
                f"classification confidence {record.classification.confidence} < {settings.review_threshold}"
            )
            # and why, naming each missing or weak field ("no document number found"), for the officer
            record.review_reasons += weak_fields(record.classification, settings.review_threshold)

        if record.classification.later_headings:
            from classify.review import later_heading_reason

            record.needs_review = True
            stack_pages = record.source.stack.pages if record.source.stack else None
            record.review_reasons += (
                later_heading_reason(heading, stack_pages) for heading in record.classification.later_headings
            )

        if (earlier := archived_before(record, settings)) is not None:
            record.needs_review = True
            record.review_reasons.append(earlier)

        signed = work / SIGNED_NAME
        record.signature = runner("sign", run_sign, searchable, signed, settings)
        record.state = RecordState.SIGNED
        record.add_event("signed", "pyHanko", f"PAdES {record.signature.level} by {record.signature.signer_subject}")
        stage_log.info(
            "%s: sign: PAdES %s, người ký / by %s", shown, record.signature.level, record.signature.signer_subject
        )

        # the report is archived beside the PDF it judges: it names that object (its key in the archive, which
        # put() derives the same way), not the work folder's copy, a scratch path on this machine removed below.
        # Records archived before keep the work path they were written with (the field is a plain string).
        archived_pdf = f"{record_prefix(record)}/{SIGNED_NAME}"
        # its time: before the verification, as `verify` makes it; its scope: that archived file (QA66: none)
        verified_by = verification_header(settings, archived_pdf)
        verification = runner("verify", run_verify, signed, settings)
        report = work / "verification.json"
        # and the bytes it judged, when and by what (QA65: sha256 and size null, no time, tool or trust anchors:
        # the evidence was tied to no file); records archived before keep theirs (the fields are optional)
        judged = signed.read_bytes()
        named = verification.model_copy(
            update={
                "path": archived_pdf,
                "sha256": hashlib.sha256(judged).hexdigest(),
                "size": len(judged),
                "verified_by": verified_by,
            }
        )
        report.write_text(named.model_dump_json(indent=2), encoding="utf-8")
        record.add_event("verified", "pyHanko", "passed" if verification.passed else "NOT passed")
        stage_log.info(
            "%s: verify: %s", shown, "hợp lệ / passed" if verification.passed else "KHÔNG hợp lệ / NOT passed"
        )
        if not verification.passed:
            from classify.review import reason_in_both

            # with its verdict, said aloud: every record of a batch signed by an identity whose chain reaches no
            # configured trust root was archived saying only "needs review" (QA78)
            verdicts = [f"{s.indication} {s.sub_indication or ''}".strip() for s in verification.signatures]
            said = "; ".join(dict.fromkeys(verdicts)) or verification.error or "no verdict"
            reason = f"signature did not verify right after signing: {said}"
            stage_log.warning("%s: %s", shown, reason_in_both(reason))
            record.needs_review = True
            record.review_reasons.append(reason)

        parked = parked_entries(settings.quarantine_path, record.source.sha256)
        for entry in parked:
            # a fault outside the scan (a Tesseract worker the OOM killer ended, before sohoa told the two apart)
            # or an officer's fix: the record keeps what the quarantine said; the entry goes once it is archived
            record.add_event(
                "released from quarantine",
                "sohoa",
                f"quarantined by an earlier run ({entry.time}): {entry.reason_en}",
            )
        # the searchable PDF and its signed copy are work files, removed below: the record names what an auditor
        # finds beside it, document.pdf (the searchable PDF with the signature as its next revision), not a dead
        # scratch path (records archived before keep WORK/<id>/ocr.pdf and WORK/<id>/document.pdf)
        record.ocr = record.ocr.model_copy(update={"output_pdf": SIGNED_NAME})
        record.signature = record.signature.model_copy(update={"output_pdf": SIGNED_NAME})
        files = {
            "original": (original_name(path, record.source.media_type), _original_as_ingested(path, work, record)),
            "signed": (SIGNED_NAME, signed),
            "report": ("verification.json", report),
        }
        archived: Record = runner("archive", run_archive, record, files, settings)
    except (BadInputError, ScanChangedError):
        raise  # quarantined, or read while rewritten (its content gone): nothing a rerun could take up
    except BaseException:
        # a fault outside the input (an archive or a TSA that did not answer, a stop): failed, for the next run,
        # which reuses the stages done here — Prefect's cached results are keyed by this folder's token
        # (prepare_work_dir). Removed with it, they were orphans holding the document's OCR text for a week, and
        # the rerun read and signed it again (QA136 F7: S3 down at the archive stage)
        keep_work = True
        raise
    finally:
        _papers_in_flight.release(record.id)  # archived (and indexed, for the next to find) or given up
        if not keep_work:
            shutil.rmtree(work, ignore_errors=True)
    if archived.found_archived and archived.batch_id != record.batch_id:
        # (the same batch: this run's own earlier attempt, whose answer was lost — retry_transient: archived here)
        # archived whole meanwhile by another batch — a process with another DATA_DIR, another host — while this one
        # read and signed it: already archived, its record as that batch wrote it (QA71: both batches said
        # "archived", one of them "interrupted batch …: finished by this run" of a batch that was running fine)
        log.info(
            "%s: đã được lô %s lưu trữ trong lúc lần chạy này xử lý (một tiến trình hoặc máy khác), tại %s; bản của "
            "lần chạy này không được giữ / archived meanwhile by batch %s (another process or host) as %s; this "
            "run's copy is not kept",
            shown,
            archived.batch_id,
            archived.archive_prefix,
            archived.batch_id,
            archived.archive_prefix,
        )
        return _already_archived(path, shown, archived, parked, settings)
    classified = archived.classification
    log.info(
        "%s: ĐÃ LƯU / ARCHIVED as %s (%s, %s)%s",
        shown,
        archived.archive_prefix,
        classified.doc_type if classified and classified.doc_type != "unknown" else "loại không rõ / type unknown",
        f"số {classified.number}" if classified and classified.number else "không có số / no number",
        # a record an officer must check says so where its file's line is (it was in the table's note only)
        NEEDS_REVIEW_NOTE if archived.needs_review else "",
    )
    if archived.batch_id and record.batch_id and archived.batch_id != record.batch_id:
        # a record a killed run had written all but its index entry of: adopted as it is, in its own batch (its
        # record.json says so, and the ledger holds it): `export --batch` of this run's id left it out without a
        # word while this run reported it archived (QA69)
        log.info(
            "%s: hồ sơ %s thuộc lô %s, bị gián đoạn trước khi lưu xong; lần chạy này đã lưu xong (sohoa export "
            "--batch %s) / record %s belongs to batch %s, interrupted before its archive write ended; this run "
            "finished it (sohoa export --batch %s)",
            shown,
            archived.id,
            archived.batch_id,
            archived.batch_id,
            archived.id,
            archived.batch_id,
            archived.batch_id,
        )
    released = _release_from_quarantine(shown, parked, settings, archived.archive_prefix)
    return DocumentResult(path, Outcome.ARCHIVED, record=archived, released=released)


def _already_archived(
    path: Path, shown: str, existing: Record, parked: list[ParkedEntry], settings: Settings
) -> DocumentResult:
    """``already_archived``: the record the archive holds for this content, as the office knows it, and this
    content's earlier quarantine entries (``parked``) released, now that it is archived."""
    released = _release_from_quarantine(shown, parked, settings, existing.archive_prefix)
    return DocumentResult(
        path, Outcome.ALREADY_ARCHIVED, record=_as_the_office_knows_it(existing, settings), released=released
    )


def _release_from_quarantine(
    shown: str, parked: list[ParkedEntry], settings: Settings, archived_as: str | None
) -> list[Path]:
    """Remove an earlier run's quarantine entries of this content (``parked``), now in the archive
    (storage.quarantine): the quarantine lists only what still needs an officer. Said in the log; a failure to
    remove is only said."""
    if not parked:
        return []  # nothing to take: the quarantine folder is not made (or locked) for it
    try:
        removed = release(settings.quarantine_path, parked)
    except OSError as exc:
        log.warning(
            "%s: đã lưu, nhưng bản của một lần chạy trước vẫn còn trong khu cách ly: %s / archived, but its copy from "
            "an earlier run is still in the quarantine: %s",
            shown,
            exc,
            exc,
        )
        return []
    if removed:
        removed_said = ", ".join(escaped(str(p)) for p in removed)
        log.warning(
            "%s: đã gỡ khỏi khu cách ly (một lần chạy trước đã đưa vào đó; nay đã lưu tại %s): %s / removed from the "
            "quarantine (an earlier run had put it there; archived now as %s): %s",
            shown,
            archived_as,
            removed_said,
            archived_as,
            removed_said,
        )
    return removed


# ------------------------------------------------------------------------------------------ batch
ProgressListener = Callable[[DocumentResult, int, int], None]


@contextlib.contextmanager
def batch_documents(
    paths: list[Path],
    settings: Settings,
    runner: StageRunner | None = None,
    dropped: list[BlankPart] | None = None,
    split: dict[Path, list[Path]] | None = None,
) -> Iterator[Iterator[Path]]:
    """The documents of a batch, found as they are consumed: scanned stacks with separator sheets become one
    document each (named like ``stack.pdf#2.pdf``, in the work folder, removed when the batch ends). Lazy so that
    the first documents are being processed while later files are still searched for separator sheets (a page
    rendered and decoded per page: ~23 s for 200 pages, which used to pass before anything else started).
    Temporary files and folders that runs killed in the middle left in the archive, the work folder and the
    quarantine are removed first. ``runner``: the batch's stage runner, whose ``dropped_as`` names a stack in the
    log as the other lines name its documents (``as_dropped``: the watcher's file as dropped, not its claimed copy).
    ``dropped``: where the blank parts of stacks (``flows.intake.BlankPart``: a separator's back) are listed.
    ``split``: where each input's documents are put, before the first of them is given out: of an input a stopped
    batch started, all of its documents are known (the watcher gives a file whose documents all finished its
    receipts before it ends), or none (the input not split yet)."""
    from flows.intake import remove_stack_folder, remove_stack_leftovers, split_stack

    if (problem := batch_settings_problem(settings)) is not None:  # the commands and flows said it already
        raise SettingsError(problem)
    check_locations_unless_checked(settings)
    split_folders: set[Path] = set()
    held = contextlib.ExitStack()  # the stack folders this batch uses, held until it ends

    def documents() -> Iterator[Path]:
        for path in paths:
            shown = logged_as(path, None, runner)
            # split_folders: also the folder of a stack judged whole after its parts were written (separators and
            # their blank backs only), which used to stay and be called "left by an interrupted run" next time
            parts = split_stack(path, settings.work_path, settings.separator_code, held, shown, dropped, split_folders)
            if split is not None:
                split[path] = parts
            yield from parts

    location = archive_location(settings)
    leftovers: list[Path] = []
    if not location.startswith("s3:"):
        with archive_write_lock(location):  # never remove the temporary files of a writer that is alive
            leftovers += LocalArchive(Path(location)).remove_partials()
    # each removes only what no live process on this host holds (see there)
    leftovers += remove_work_leftovers(settings.work_path)
    leftovers += remove_quarantine_partials(settings.quarantine_path)
    leftovers += remove_stack_leftovers(settings.work_path)
    for leftover in leftovers:
        log.warning(
            "đã xóa %s, do một lần chạy bị gián đoạn để lại / removed %s, left by an interrupted run",
            leftover,
            leftover,
        )
    try:
        yield documents()
    finally:
        held.close()
        left = sorted(split_folders)
        again: KeyboardInterrupt | None = None
        while left:
            try:
                remove_stack_folder(left[0])  # unless another live batch uses it too: that one removes it
                left.pop(0)
            except KeyboardInterrupt as stop:
                # a further Ctrl-C while they are removed (QA143 F4: one left half written, for the next run to
                # remove "left by an interrupted run"): they are removed all the same, and the stop raised after
                again = again or stop
        if again is not None:
            raise again


DocumentProcessor = Callable[[Path, Settings, StageRunner, "str | None"], DocumentResult]


def process_many(
    paths: list[Path],
    settings: Settings,
    runner: StageRunner = direct_runner,
    on_result: ProgressListener | None = None,
    batch_id: str | None = None,
    process: DocumentProcessor = process_document,
    dropped: list[BlankPart] | None = None,
    split: dict[Path, list[Path]] | None = None,
) -> Iterator[DocumentResult]:
    """Every document of the batch through ``process`` (``process_document``, or a wrapper of it),
    ``settings.batch_workers`` at a time; results in input order.

    The records archived get ``batch_id`` (a new one when not given: one per call), so the batch can be exported
    as one package (``sohoa export --batch``). ``dropped``, ``split``: see ``batch_documents``.

    Stopped (Ctrl-C, SIGTERM: flows.stopping), the documents in flight finish and are given to ``on_result`` — also
    when the stop came while later files were still being split, before the whole list was known: until 2026-12-02
    a stop then let the pool finish them unsaid, and `sohoa process` counted "0 archived" beside two ARCHIVED lines."""
    batch_id = batch_id or new_batch_id()
    split = split if split is not None else {}
    with batch_documents(paths, settings, runner, dropped, split) as found, contextlib.ExitStack() as stack:
        pool: ThreadPoolExecutor | None = None
        futures: list[Future[DocumentResult]] = []
        told = 0
        try:
            if settings.batch_workers <= 1:
                documents = list(found)
                total = len(documents)
                finished: Iterable[DocumentResult] = (process(path, settings, runner, batch_id) for path in documents)
            else:
                # Threads: the heavy work runs in Tesseract processes (bounded host-wide by ocr.slots) and in C code.
                # Each document is submitted as soon as it is found, so the workers start while later files are
                # split. Each runs in a copy of this thread's context: inside a Prefect flow, that is what makes the
                # stages' tasks part of the flow run. Appended one by one: what a stop during a split finds running.
                pool = ThreadPoolExecutor(max_workers=settings.batch_workers, thread_name_prefix="sohoa-doc")
                stack.callback(pool.shutdown, wait=True, cancel_futures=True)
                for path in found:
                    futures.append(
                        pool.submit(contextvars.copy_context().run, process, path, settings, runner, batch_id)
                    )
                    raise_if_stopped()  # one kept during a split's import (pikepdf's): not after every split
                total = len(futures)
                finished = (future.result() for future in futures)  # in input order, whatever finishes first
            for index, result in enumerate(finished, start=1):
                told = index
                _name_stack_as_given(result, split, runner)
                if on_result is not None:
                    on_result(result, index, total)
                yield result
                raise_if_stopped()  # a stop whose exception a callback swallowed (flows.stopping)
        except BaseException as ended:
            # Ctrl-C, SIGTERM (flows.stopping): the documents in flight finish, then it stops. Raised here, or in
            # the caller's loop (the watcher writing a file's receipts), which closes this generator on its way out:
            # those finished then are given to on_result too. The total: the documents found so far, when the stop
            # came during a split
            if pool is not None and _is_stop(ended):
                _finish_in_flight(futures, pool, told, len(futures), on_result)
            raise


def _name_stack_as_given(result: DocumentResult, split: dict[Path, list[Path]], runner: StageRunner) -> None:
    """A document split from a stack gets the stack as the batch was given it (``in/A.pdf``), for ``--json``'s
    ``path`` to name it as it names a single file (``in/B.pdf``), not by the stack's absolute path (QA93 F5). Known
    before the document was given out (``batch_documents``' ``split``); named as ``as_dropped`` names a file (the
    watcher's: the file in its inbox, not its claimed copy)."""
    if result.origin is None or result.stack_given is not None:
        return
    for given, parts in split.items():
        if result.path in parts and result.path != given:
            result.stack_given = as_dropped(given, None, runner)
            return


def _is_stop(ended: BaseException) -> bool:
    """Whether ``ended`` stops a batch from outside rather than fails it: Ctrl-C or SIGTERM (flows.stopping's
    ``KeyboardInterrupt``), the caller's loop closing the generator on a stop, or — inside a Prefect flow run, where
    Prefect puts its own SIGTERM handler in place of sohoa's for the run — Prefect's ``TerminationSignal``, like any
    ``BaseException`` that is no error: until 2026-12-02 a SIGTERM to `sohoa process` on the Prefect path said
    "0 archived" of a batch that had archived three documents and finished two more while it stopped."""
    if isinstance(ended, GeneratorExit):
        return stop_asked()
    return not isinstance(ended, Exception)


def _wait_through_stops(futures: list[Future[DocumentResult]]) -> None:
    """Wait for ``futures``, a second Ctrl-C (or SIGTERM) included: Python cannot abandon a thread, so a stop that
    broke this wait only left the documents in flight to finish unsaid, after the command had said what it did
    (QA138 F7: "so far 0 archived", then an ARCHIVED line, then ~7 s of Prefect's event errors). A kill -9 still
    ends it at once, and loses nothing (README, "Exactly once under crashes")."""
    while True:
        try:
            concurrent.futures.wait(futures)
            return
        except BaseException as again:
            if not _is_stop(again):
                raise
            running = sum(not future.done() for future in futures)
            log.warning(
                "đã đang dừng: vẫn chờ %d văn bản đang xử lý xong (kill -9 %d bỏ chúng lại; chạy lại sẽ làm lại) / "
                "already stopping: still waiting for the %d document(s) in progress (kill -9 %d abandons them; a "
                "rerun does them again)",
                running,
                os.getpid(),
                running,
                os.getpid(),
            )


def _finish_in_flight(
    futures: list[Future[DocumentResult]],
    pool: ThreadPoolExecutor,
    told: int,
    total: int,
    on_result: ProgressListener | None,
) -> None:
    """A batch stopped: the documents not started are dropped, those in flight are waited for (said, as it may take
    a while) and given to ``on_result`` as they came out, so that what the command says it did is all it did (the
    others are done by the next run). A document cut off part-way is left as a kill leaves it."""
    for future in futures[told:]:  # those not started first: the line counts what it waits for (it counted them)
        future.cancel()
    running = sum(not future.done() for future in futures[told:])
    if running:
        log.warning(
            "đang dừng: chờ %d văn bản đang xử lý xong / stopping: waiting for the %d document(s) in progress",
            running,
            running,
        )
    _wait_through_stops(futures[told:])
    pool.shutdown(wait=True, cancel_futures=True)
    for index, future in enumerate(futures[told:], start=told + 1):
        if on_result is not None and future.done() and not future.cancelled() and future.exception() is None:
            on_result(future.result(), index, total)
