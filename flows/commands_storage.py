"""`sohoa` commands of the archive: list, get, search, index rebuild, hold, ledger verify/stamp/finish, export,
audit."""

from __future__ import annotations

import logging
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sohoa.errors import StageError
from sohoa.fsutil import escaped, existing_spelling, printable, said, spelled_output
from sohoa.vietnamese import VN_TZ, day_vn, size_said, vn_date, vn_time

if TYPE_CHECKING:
    from sohoa.record import Classification, Record
    from storage.base import DamagedRecord, ObjectInfo

# every command's --archive (flows/cli.py's process and watch too): the default is DATA_DIR's archive, not var's —
# the help said "SOHOA_ARCHIVE or var/archive", wrong wherever SOHOA_DATA_DIR is set
ARCHIVE_HELP = (
    "Archive folder or s3://bucket/prefix (default: SOHOA_ARCHIVE, else DATA_DIR/archive; DATA_DIR is "
    "SOHOA_DATA_DIR, var by default)."
)
ArchiveOption = Annotated[str | None, typer.Option(help=ARCHIVE_HELP)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ByOption = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="NAME",
        help="Who decided it (an officer, a council), for the ledger entry; default the user running sohoa.",
        show_default=False,
    ),
]


def _actor(by: str | None, user: str) -> str:
    """The ledger entry's actor: ``--by`` (NFC, on one line) with the user who ran the command, else that user."""
    if by is None or not by.strip():
        return user
    return f"{' '.join(unicodedata.normalize('NFC', by).split())} ({user})"


def _refuse_unreadable_retention(record_id: str, objects: list[ObjectInfo], doing: tuple[str, str]) -> None:
    """A retention record nobody can read (a folder archive's `.retention/KEY.json` edited into garbage; on S3 a
    key refused the object lock) is held as protecting its object, but `hold` and `dispose` must not act on it as a
    hold: `hold on` said "already on; nothing changed", `hold off` ended in an internal error, `dispose` said "under
    legal hold". Refused, exit 1, in its own words: what cannot be read and what to do."""
    from flows.cli import _fail

    unreadable = [info for info in objects if info.unreadable is not None]
    if not unreadable:
        return
    first = unreadable[0]
    more = f" (+{len(unreadable) - 1})" if len(unreadable) > 1 else ""
    raise _fail(
        f"hồ sơ {record_id}: không đọc được thời hạn lưu giữ và phong tỏa của {first.key}{more}, nên không "
        f"{doing[0]}; khôi phục bản ghi đó từ bản sao lưu (sohoa audit --fixity-only nêu từng bản) / record "
        f"{record_id}: the retention and legal hold of {first.key}{more} cannot be read ({first.unreadable}), so "
        f"it is not {doing[1]}; restore that record from a backup (sohoa audit --fixity-only names each)",
        1,
    )


def _open(archive: str | None) -> Any:
    from flows.cli import _fail, _settings
    from sohoa.errors import SohoaError
    from storage import (
        LocalArchive,
        archive_exists,
        archive_location,
        check_archive_location,
        no_archive_said,
        open_archive,
    )
    from storage.locations import S3LocationError

    settings = _settings(archive=archive)
    location = archive_location(settings)
    try:
        check_archive_location(location, settings)
        store = open_archive(location, settings)
        exists = archive_exists(store)  # reads only: these commands never create a bucket or a folder
    except S3LocationError as exc:  # a bucket name S3 forbids, no endpoint: the configuration, not the machine
        raise _fail(str(exc)) from exc
    except SohoaError as exc:  # the server unreachable, the credentials refused
        raise _fail(str(exc), 3) from exc
    if isinstance(store, LocalArchive) and not store.root.is_dir() and (store.root.exists() or store.root.is_symlink()):
        # a file given as the archive was called "no archive … (nothing was ever archived there)"
        raise _fail(
            f"{store.root}: là một tệp, không phải thư mục kho lưu trữ / is a file, not an archive folder: check "
            "--archive or SOHOA_ARCHIVE",
            path=store.root,
        )
    if not exists:
        # a mistyped --archive used to list, search and audit an empty archive and pass ("0 records: OK"); on S3
        # it also created the mistyped bucket
        raise _fail(no_archive_said(store, settings))
    return settings, store


def _check_unchanged(store: Any, record: Any) -> None:
    """A usage error, exit 1, unless the record's record.json is the one its ledger entry recorded
    (``storage.ledger.verified_record``; ``record`` as ``_record`` read it, so only the ledger entry is read): what
    `get` and `export` refuse, nothing may act on either — `review set` and `hold` wrote ledger entries and a
    correction for a rewritten record.json, exit 0 (QA59)."""
    from flows.cli import _fail
    from storage import ArchiveIntegrityError, DamagedRecordError
    from storage.ledger import verified_record

    try:
        verified_record(store, record)
    except (ArchiveIntegrityError, DamagedRecordError) as exc:
        raise _fail(_refusal(exc, "không ghi gì", "nothing written"), 1) from exc


def _red(words: str) -> str:
    return f"[red]{words}[/]"


def _refusal(exc: Exception, not_done_vi: str, not_done_en: str) -> str:
    """What a command says of a record it refuses to act on: a ``RecordChangedError`` with what the command did not
    do inside each of its halves, Vietnamese and English; any other error as it is."""
    from storage import RecordChangedError

    return exc.said(not_done_vi, not_done_en) if isinstance(exc, RecordChangedError) else str(exc)


def _record(store: Any, record_id: str) -> Any:
    """The record ``record_id`` as read (``storage.base.RecordAsRead``: its record.json bytes and the number of its
    "archived" ledger entry with it, for ``verified_record``), or a usage error (exit 1 when it is not there)."""
    import re

    from flows.cli import _fail
    from storage import AmbiguousRecordIdError, ArchiveUnavailableError, DamagedRecordError

    if not re.fullmatch(r"[0-9a-fA-F]{8,64}", record_id.strip()):  # `xyz` was "not in the archive", exit 1 (QA)
        raise _fail(
            f"{record_id!r}: không phải mã hồ sơ / not a record id: 16 hex digits (8 are enough), as `sohoa list` shows"
        )
    try:
        record = store.get_as_read(record_id)
    except ArchiveUnavailableError as exc:  # e.g. a file where the index folder should be: not "no such record"
        raise _fail(str(exc), 3) from exc
    except DamagedRecordError as exc:  # its record.json not JSON: 1, as one rewritten (nothing handed out)
        raise _fail(str(exc), 1) from exc
    except AmbiguousRecordIdError as exc:  # which record was meant is not known: nothing done to either (QA98)
        raise _fail(str(exc)) from exc
    if record is None:
        raise _fail(not_in_archive(store, record_id), 1)
    return record


def not_in_archive(store: Any, record_id: str) -> str:
    """What a command about one record says when the index does not list it: "not in the archive" — unless the
    ledger says it was archived (and not disposed of), when that is said, with the way to finish it (QA67: a
    record whose index entry alone was gone was "not in the archive" to `get`, `hold` and `export`, while the audit
    named an interrupted archive write). The ledger is read whole, on this error path only."""
    from storage.ledger import Ledger, archived_folder, archived_not_disposed

    wanted = record_id.strip().lower()
    try:  # the rule the ledger check holds the archive to
        entries = [entry for _, entry in Ledger(store).entries() if entry is not None]
    except Exception:  # the ledger unreadable here: the plain answer; `sohoa ledger verify` says what is wrong
        entries = []
    kept = archived_not_disposed(entries)
    archived = next((entry for rid, entry in kept.items() if rid.startswith(wanted)), None)
    disposal = next(
        (e for e in reversed(entries) if e.get("action") == "disposed" and str(e.get("record_id")).startswith(wanted)),
        None,
    )
    if archived is None and disposal is not None:  # QA76: "not in the archive", the ledger knowing when and why
        rid, seq, when = disposal.get("record_id"), disposal.get("seq"), str(disposal.get("at", ""))[:10]
        by, why = disposal.get("actor", "?"), str(disposal.get("detail", ""))
        # the entry's words are English ("…: retention over; DECISION"): the Vietnamese half says them so (QA100)
        why_vi = why.replace(": retention over", ": hết thời hạn lưu giữ", 1)
        return (
            f"hồ sơ {rid}: đã hủy ngày {vn_date(when)} bởi {by} (mục sổ nhật ký {seq}: {why_vi}) / record {rid}: "
            f"disposed of on {when} by {by} (ledger entry {seq}: {why})"
        )
    if archived is not None:
        rid, seq = archived.get("record_id"), archived.get("seq")
        folder = archived_folder(str(rid), archived)
        if folder is not None and store.folder_gone(folder):
            # nothing to finish (QA74: "run sohoa ledger finish", which then found no interrupted write)
            return (
                f"hồ sơ {rid}: đã lưu (mục sổ nhật ký {seq}) nhưng thư mục {folder} của hồ sơ đã mất cùng mọi tệp "
                f"(bị xóa ngoài phần mềm; sohoa audit nêu ra) / record {rid}: archived (ledger entry {seq}) but its "
                f"folder {folder} is gone with every file (removed behind the archive's back; sohoa audit names it)"
            )
        return (
            f"hồ sơ {rid}: đã lưu (mục sổ nhật ký {seq}) nhưng chỉ mục không có — lần lưu bị gián đoạn hoặc mục chỉ "
            f"mục bị xóa; chạy sohoa ledger finish (sohoa audit cho biết thêm) / record {rid}: archived (ledger entry "
            f"{seq}) but not in the archive's index — an interrupted archive write, or its index entry removed: run "
            "sohoa ledger finish (sohoa audit tells more)"
        )
    return f"hồ sơ {record_id}: không có trong kho / record {record_id}: not in the archive {store.location}"


def _say_damaged(damaged: list[DamagedRecord]) -> None:
    """Name, on stderr, each record the index lists that could not be read (``DamagedRecord``), Vietnamese then
    English: what a command that goes on with the others shows, so that its shorter listing is not taken for the
    whole archive (such a record ended it with a traceback)."""
    _say_on_stderr(lost.words for lost in damaged)


def _say_on_stderr(problems: Iterable[str]) -> None:
    """Each of ``problems`` on its own line on stderr, as a problem of the command: what `list` and `review list`
    name beside their listing."""
    from flows.cli import err

    for problem in problems:
        err.print(f"[bold red]sohoa: {escape(problem)}[/]")


def not_indexed(store: Any, records: list[Any], damaged: list[DamagedRecord]) -> list[str]:
    """What a listing by the index leaves out: each record stored but not in the archive's index (a run killed
    before its index entry, the entry removed by hand; the index folder deleted: every record), in words — `list`
    and `review list` left them out without a word, exit 0, while the ledger checks named them. One listing of
    the archive's keys, no read per record; a write under way on this host is waited for, not named
    (``outside_records``)."""
    return [
        _not_indexed_words(write) for write in store.outside_records(records, damaged)[0] if write.record is not None
    ]


def _not_indexed_words(write: Any) -> str:
    """``vi / en`` for a record `list` finds stored but not in the archive's index (``UnfinishedWrite`` with its
    record.json). Whether its ledger entries were written is not read here (the whole ledger would be): `audit
    --fixity-only` tells an interrupted write from an index entry removed (`ledger verify` says nothing of a write
    killed before its first ledger entry, QA72), `ledger finish` lists it again either way."""
    # its files no longer match its record.json (no write to finish), or another host's writer holds its claim
    if write.damaged or write.held is not None:
        from flows.ledger_check import problem_in_vietnamese

        return problem_in_vietnamese(write.problem())
    where = f"{write.record.id} ({write.prefix})"
    return (
        f"hồ sơ {where}: đã lưu (record.json và các tệp) nhưng không có trong chỉ mục của kho nên không được liệt kê — "
        "lưu vào kho bị gián đoạn, hoặc mục chỉ mục bị xóa; `sohoa audit --fixity-only` cho biết là trường hợp nào, "
        f"`sohoa ledger finish` đưa hồ sơ vào lại chỉ mục / record {where}: stored (record.json and its files) but not "
        "in the archive's index, so not listed — an interrupted archive write, or its index entry removed; `sohoa "
        "audit --fixity-only` tells which, `sohoa ledger finish` puts it back in the index"
    )


def _get_files(store: Any, record: Any, sidecar: bytes, out_dir: Path, correction: Any = None) -> list[str]:
    """Copy the record's objects (each checked against its SHA-256; renewed PDFs too) and its record.json
    (``sidecar``, as stored and checked against the ledger) into ``out_dir``, and an officer's ``correction``
    beside it as correction.json. They are written to a folder beside
    it first and moved in only when every one checked out, so a failed get leaves nothing behind (it used to leave
    the original written before document.pdf's mismatch)."""
    import os
    import shutil
    import tempfile

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.part-get-", dir=out_dir.parent))
    try:
        names: list[str] = []
        for stored in [*record.objects, *store.added_objects(record)]:
            name = stored.key.rsplit("/", 1)[-1]
            (staging / name).write_bytes(store.read_verified(record, stored.role))
            names.append(name)
        (staging / "record.json").write_bytes(sidecar)
        names.append("record.json")
        if correction is not None:  # record.json stays the one archived: the office's correction goes beside it
            from storage.export import CORRECTION, correction_bytes

            (staging / CORRECTION).write_bytes(correction_bytes(correction))
            names.append(CORRECTION)
        if not out_dir.exists():
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private (0700); the one asked for is an ordinary one
            staging.rename(out_dir)
        else:  # a folder already there (hoso/): the files go in beside what it holds, never over another file
            clashes = [n for n in names if (out_dir / n).exists() and not _same_bytes(out_dir / n, staging / n)]
            if clashes:  # found by QA: an officer's own document.pdf there was replaced, exit 0
                raise FileExistsError(
                    f"--out {out_dir}: đã có tệp khác cùng tên, không ghi đè / other files of these names are "
                    f"already there, not overwritten: {', '.join(clashes)}; choose a new folder"
                )
            for name in names:
                os.replace(staging / name, out_dir / name)
        return [str(out_dir / name) for name in names]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _same_bytes(a: Path, b: Path) -> bool:
    """Whether two files hold the same bytes (a second `get` into the same folder rewrites nothing)."""
    import filecmp

    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def record_summary(
    record: Record,
    correction: Classification | None,
    retained: list[ObjectInfo],
    waiting: list[str] | None = None,
    custody: RecordCustody | None = None,
) -> list[str]:
    """What `sohoa get` shows an officer: the record in labelled lines (Vietnamese / English), the officer's
    correction over what sohoa read, the review reasons still open (``waiting``: ``classify.review.open_reasons``
    when it waits for review; None: every reason while uncorrected), page quality, the signature, the stored files,
    retention and hold. The whole sidecar is `--json`'s (it printed here until 2026-12-01: ~200 lines of JSON, the
    OCR text in one string)."""

    def line(label: str, value: object) -> None:
        if value not in (None, "", []):
            lines.append(f"{label:<30} {value}")

    from sohoa.record import (
        DECIDED_BY_WORDS,
        FAINT_MARKS_SAID,
        INK_MARKS_SAID,
        QUALITY_WORDS,
        STATE_WORDS,
        in_words,
        size_in_vietnamese,
    )

    lines: list[str] = []
    line("Mã hồ sơ / record", f"{record.id} ({in_words(STATE_WORDS, record.state.value)})")
    source = record.source
    # a document split from a stack: the stack as dropped, its number and pages (its own name, ``A.pdf#2.pdf``, is
    # a scratch file nobody dropped), its size and type as split
    line("Tệp gốc / source", f"{source.label()} ({size_said(source.size)}, {source.media_type})")
    if source.stack is not None:
        line("Tách từ tập / from stack", unicodedata.normalize("NFC", source.stack.path))  # NFC on screen
    line("SHA-256", source.sha256)
    line("Lô / batch", record.batch_id)
    line("Nơi lưu / archive folder", record.archive_prefix)
    read = record.classification
    shown = correction or read

    def corrected_line(label: str, field: Callable[[Classification], str]) -> None:
        """A field as shown, and what sohoa read where an officer's correction changed it (QA93 F9: a corrected
        subject or signer showed the officer's only, what sohoa had read of it nowhere but in --json)."""
        assert shown is not None
        value = field(shown)
        if correction is not None and read is not None and (before := field(read)) != value:
            before_said = before or "không có / none"
            value = f"{value or 'không có / none'} (sohoa đọc / read: {before_said})"
        line(label, value)

    if shown is not None:
        corrected_line("Loại / type", lambda c: c.doc_type + (f" — {c.doc_type_name}" if c.doc_type_name else ""))
        corrected_line("Số, ký hiệu / number", lambda c: c.number or "")
        corrected_line("Ngày ban hành / issued on", lambda c: vn_date(c.issued_on))
        corrected_line("Địa danh / place", lambda c: c.place or "")
        corrected_line("Cơ quan ban hành / issuer", lambda c: c.issuer or "")
        corrected_line("Trích yếu / subject", lambda c: c.subject or "")
        # the title carries its authority already ("KT. CHỦ TỊCH"): the code alone would say it twice
        corrected_line("Người ký / signed by", lambda c: ", ".join(x for x in (c.signer_title, c.signer_name) if x))
        if shown.copy_block is not None:  # a copy's own block: its form, number, date, body and signer
            line("Bản sao / copy", shown.copy_block.said())
        line("Người / persons", ", ".join(shown.persons))
        line("Độ tin cậy / confidence", f"{shown.confidence:.2f} ({in_words(DECIDED_BY_WORDS, shown.decided_by)})")
    if correction is not None and read is not None:
        from classify.review import in_brief

        line("Đã sửa / corrected", f"sohoa review set; sohoa read: {in_brief(read)}")  # its date too (QA59)
    if waiting is None:  # as before the --ack: every reason until a correction
        waiting = (list(record.review_reasons) or ["yes"]) if record.needs_review and correction is None else []
    if waiting:
        from classify.review import reason_in_both

        # a record flagged without a reason (an older sohoa's) said a bare English "yes"
        reasons = ["có / yes" if reason == "yes" else reason_in_both(reason) for reason in waiting]
        line("Cần xem lại / needs review", "; ".join(reasons))
    if record.ocr is not None:
        for page in record.ocr.pages:
            if page.too_small is not None:  # kept in the copy as it is, not read (ocr.inputs.SmallPage)
                how = (
                    f"quá nhỏ để là bản quét ({size_in_vietnamese(page.too_small)}), không nhận dạng / "
                    f"too small to be a scan ({page.too_small}), not read"
                )
            elif not page.ocr:
                how = "giữ lớp chữ / text layer kept"
            elif page.quality == "blank" and page.faint_marks:
                how = f"OCR, {FAINT_MARKS_SAID}"
            elif page.quality == "blank" and page.ink_marks:
                how = f"OCR, {INK_MARKS_SAID}"
            elif page.quality == "blank":  # no ink on it (ocr.quality.blank_image): the back of a sheet
                how = "OCR, trang trắng / blank page"
            elif page.confidence is None:  # no word read: a photo, or a page Tesseract found nothing on
                how = f"OCR, không đọc được chữ nào / no words read, {in_words(QUALITY_WORDS, page.quality)}"
            else:
                how = f"OCR, độ tin cậy / confidence {page.confidence:.1f}, {in_words(QUALITY_WORDS, page.quality)}"
            said = f"{how}, {page.words} từ / words"
            # what was done to the page's scan (it was in --json only): turned upright for display (its /Rotate
            # entry: a viewer shows it so, the scan's pixels unchanged), straightened for reading only (shown as
            # scanned, the text layer on the words as they lie) or for display too (its scan drawn turned)
            if page.orientation:
                said += f"; đã xoay {page.orientation}° để hiển thị / turned {page.orientation}° for display"
            if page.skew and page.shown_straightened:
                said += (
                    f"; đã nắn thẳng {abs(page.skew):.1f}° để đọc và hiển thị / straightened {abs(page.skew):.1f}° "
                    "for OCR and display"
                )
            elif page.skew:
                said += f"; đã nắn thẳng {abs(page.skew):.1f}° để đọc / straightened {abs(page.skew):.1f}° for OCR"
            line(f"Trang / page {page.number}", said)
        line("PDF/A", record.ocr.pdfa or "không / no")  # Vietnamese first, as every value an officer reads
    sig = record.signature
    if sig is not None:
        dev = (
            " — chỉ để thử, không có giá trị pháp lý / DEVELOPMENT ONLY, no legal value"
            if sig.development_identity
            else ""
        )
        # the time as officers write it (QA98: it was ISO, `2026-12-04T12:18:14+07:00`; --json keeps ISO)
        line("Chữ ký số / signature", f"PAdES {sig.level}, {vn_time(sig.signed_at, seconds=True)}{dev}")
        line("Người ký số / signer", sig.signer_subject)
    for stored in record.objects:
        line(f"Tệp / file ({stored.role})", f"{stored.key} ({size_said(stored.size)})")
    custody = custody or record_custody(record, retained)
    if custody.until is not None:
        said = retention_words(custody.until, custody.since)
        if custody.retention_edited:
            # the day the record was archived to be kept until, as its record.json (held against the ledger) says
            # it: a folder's retention record edited to an earlier day was shown as fact, "over, may be disposed of"
            # (QA79)
            # earlier: the audit names each object; later, which keeps more than owed, it does not
            words = ("muộn hơn", "later", "") if custody.retention_later else ("sớm hơn", "earlier", " (sohoa audit)")
            said = (
                f"{vn_date(custody.until.astimezone(UTC).date())} — tệp lưu giữ của kho ghi {words[0]}, đã bị sửa "
                f"ngoài phần mềm{words[2]} / the archive's retention records say {words[1]}: edited behind the "
                f"archive's back{words[2]}"
            )
        line("Lưu giữ đến / retained until", said)
    if custody.corrected_in_ledger is not None:
        kind, seq = custody.corrected_in_ledger
        line(
            "Đã sửa (sổ nhật ký) / corrected (ledger)",
            f"loại {kind} (mục {seq}); bản sửa nằm trong thư mục dữ liệu của máy đã sửa / type {kind} (entry {seq}); "
            "the correction itself is in the data folder of the host that made it",
        )
    if custody.as_corrected is not None:
        until_corrected, permanent, kept_as = custody.as_corrected
        kept = "vĩnh viễn / permanent" if permanent else vn_date(until_corrected.astimezone(VN_TZ).date())
        line(
            "Lưu giữ khi sửa / as corrected",
            f"{kept} ({kept_as}; tệp của kho mang thời hạn của loại sohoa đọc, sohoa dispose theo "
            f"thời hạn này / the archive's files carry the type read's; sohoa dispose keeps to this one)",
        )
    if custody.unreadable:
        line(
            "Lưu giữ đến / retained until",
            "không đọc được bản ghi thời hạn lưu giữ (sohoa audit) / a retention record cannot be read (sohoa audit)",
        )
    if custody.legal_hold and not custody.hold_on_objects:  # lifted from the files, not by `sohoa hold off` (QA99)
        line(
            "Phong tỏa / legal hold",
            "có (sổ nhật ký) — tệp của kho không còn phong tỏa, đã bị gỡ ngoài phần mềm (sohoa audit) / on (the "
            "ledger) — the archive's files no longer carry it: lifted behind the archive's back (sohoa audit)",
        )
    elif custody.hold_on_objects and not custody.legal_hold:
        line(
            "Phong tỏa / legal hold",
            "có trên tệp của kho, nhưng sổ nhật ký không ghi (sohoa audit) / on the archive's files, but the ledger "
            "records none (sohoa audit)",
        )
    elif custody.legal_hold:
        line("Phong tỏa / legal hold", "có / on")
    return lines


def _check_out_folder(out_dir: Path) -> None:
    """``--out`` names a folder (made when missing): a usage error when it, or the nearest part of it that exists,
    is a file. It used to end as exit 3, "Not a directory", as if the disk had failed."""
    _check_folder_path(out_dir, out_dir, "--out", "--out takes a folder, new or existing, for the record's files")


def _check_folder_path(out_dir: Path, start: Path, label: str, takes: str) -> None:
    """A usage error, in words naming the user's path, when ``start`` or the nearest of its parents that exists is
    a file (or a link to nothing): no folder ``out_dir`` can be made there."""
    from flows.cli import _fail

    for part in (start, *start.parents):
        try:
            if part.is_dir():
                return
            is_file = part.exists() or part.is_symlink()  # a file, or a link to nothing: no folder can go there
        except OSError:  # not allowed to look (EACCES): the copy says so, as a folder that cannot be written
            return
        if is_file:
            where = "" if part == out_dir else f" ({part} is a file)"
            raise _fail(f"{label} {out_dir}: không phải thư mục / not a folder{where}: {takes}", path=out_dir)


def _indexed_meanwhile(index: Any, store: Any, settings: Any, since: float, damaged: list[DamagedRecord]) -> int:
    """What `index rebuild` adds under the archive write lock, before its new index takes the old one's place: the
    records archived while it read the archive (their writers added them to the old file) and, again, those an
    officer corrected meanwhile (``review set`` writes the correction, then indexes it under that lock). The number
    of records added."""
    from classify.review import as_corrected, corrections_dir
    from storage import archived_sha256s
    from storage.base import DamagedRecordError

    known = index.sha256s() | {lost.sha256 for lost in damaged}
    new = [sha for sha in archived_sha256s(store) if sha not in known]
    folder = corrections_dir(settings)
    # a second or two of slack: a file system's times may be that coarse, and indexing one twice costs nothing
    corrected = [
        path.stem
        for path in (sorted(folder.glob("*.json")) if folder.is_dir() else [])
        if path.name.count(".") == 1 and path.stat().st_mtime >= since - 2  # not ID.acknowledged.json
    ]
    added = 0
    for sha, record_id in [(sha, None) for sha in new] + [(None, rid) for rid in corrected]:
        try:
            record = store.find(sha) if sha else store.get(record_id)
        except DamagedRecordError as exc:
            if exc.damaged.sha256 not in known:
                damaged.append(exc.damaged)
                known.add(exc.damaged.sha256)
            continue
        if record is not None:
            index.add(as_corrected(record, settings))
            added += 1 if sha else 0
    return added


def _index_path_unusable(settings: Any, index_path: Path) -> typer.Exit | None:
    """A usage error naming the index's path when nothing can be there (None when it can): a folder at it (`index
    rebuild` failed as an internal error), or a file where one of its folders should be
    (`SOHOA_SEARCH_INDEX=/etc/hostname/search.sqlite`: FileExistsError, exit 3, QA62). What to correct is the
    setting that named it: the folder may be one of the office's own — the archive — so it is never to be moved
    (QA62: "move it away" was said of whatever folder the setting named)."""
    from flows.cli import _fail

    if settings.search_index is not None:
        fix_vi = fix_en = "SOHOA_SEARCH_INDEX"
    else:
        fix_vi = "SOHOA_DATA_DIR (chỉ mục là tệp search.sqlite trong đó), hoặc đặt SOHOA_SEARCH_INDEX"
        fix_en = "SOHOA_DATA_DIR (the index is its search.sqlite), or set SOHOA_SEARCH_INDEX"
    if index_path.is_dir():
        return _fail(
            f"{index_path}: là một thư mục, không phải chỉ mục tìm kiếm; hãy sửa {fix_vi} cho đúng đường dẫn tệp "
            "chỉ mục (đừng chuyển hay xóa thư mục này: nó có thể là thư mục khác, như kho lưu trữ) rồi chạy sohoa "
            f"index rebuild / is a folder, not the search index: correct {fix_en} to name the index file (do not "
            "move or delete the folder: it may be another one, such as the archive), then run sohoa index rebuild",
            path=index_path,
        )
    for folder in index_path.parents:
        if folder.exists() or folder.is_symlink():
            if folder.is_dir():
                return None
            return _fail(
                f"{index_path}: không thể là chỉ mục tìm kiếm vì {folder} là một tệp, không phải thư mục; hãy sửa "
                f"{fix_vi} / {index_path} cannot be the search index: {folder} is a file, not a folder — "
                f"correct {fix_en}",
                path=index_path,
            )
    return None


def _damaged_index(index_path: Path, exc: BaseException) -> typer.Exit:
    """The file at the index's path is not a search index that can be read (QA60: `search` and `index rebuild`
    both said "internal error … file is not a database"): exit 2, as with no index, saying the remedy."""
    from flows.cli import _fail

    return _fail(
        f"chỉ mục tìm kiếm {index_path} bị hỏng ({exc}): hãy làm lại từ kho lưu trữ bằng sohoa index rebuild / the "
        f"search index {index_path} is damaged ({exc}): remake it from the archive with sohoa index rebuild",
        path=index_path,
    )


def _incomplete_index_warning(index_path: Path) -> str:
    """What `search` says of an index that does not cover the archive (``SearchIndex.complete``)."""
    return (
        f"cảnh báo: chỉ mục tìm kiếm {index_path} chưa có đủ hồ sơ của kho (được tạo lại khi kho đã có hồ sơ), kết "
        "quả có thể thiếu hồ sơ; hãy chạy sohoa index rebuild / warning: the search index "
        f"{index_path} does not hold every record of the archive (it was made again when the archive already held "
        "records), so results may miss records; run sohoa index rebuild"
    )


def _no_search_index(settings: Any, index_path: Path) -> None:
    """Refuse a search with no index at ``index_path`` (exit 2), creating nothing: a mistyped SOHOA_DATA_DIR used to
    be made, with an empty index in it, and answer "0 results", exit 0 — as a mistyped --archive once passed as an
    empty archive. With an archive there, the index is to be built from it; with none, the folder is wrong."""
    from flows.cli import _fail
    from sohoa.errors import SohoaError
    from storage import archive_display, archive_exists, open_configured_archive

    try:
        exists = archive_exists(open_configured_archive(settings))
    except (SohoaError, ValueError):  # an archive that cannot be looked at: the index is what is missing here
        exists = True
    archive = archive_display(settings)
    if not exists:  # each language says all of it (the instructions were in English only)
        raise _fail(
            f"không có chỉ mục tìm kiếm tại {index_path}, cũng không có kho lưu trữ tại {archive} (chưa từng lưu gì ở "
            "đó): hãy kiểm tra SOHOA_DATA_DIR, SOHOA_SEARCH_INDEX hoặc SOHOA_ARCHIVE / no search index at "
            f"{index_path}, and no archive at {archive} (nothing was ever archived there): check SOHOA_DATA_DIR, "
            "SOHOA_SEARCH_INDEX or SOHOA_ARCHIVE",
            path=index_path,
        )
    raise _fail(
        f"không có chỉ mục tìm kiếm tại {index_path}: hãy tạo nó từ kho lưu trữ tại {archive} bằng `sohoa index "
        f"rebuild` / no search index at {index_path}: build it from the archive at {archive} with `sohoa index "
        "rebuild`",
        path=index_path,
    )


def _period_option(option: str, given: str) -> tuple[date, date]:
    """The first and last day of what ``--from``/``--to`` name: a day as officers write it (``19/11/2025``,
    ``2025-11-19``), a month (``11/2025``) or a year (``2025``: `--from 2025 --to 2025` is that year); a day no
    calendar has is said to be one (``31/11/2025``: November has 30 days — it was told to write DD/MM/YYYY, as it
    had), anything else a usage error naming the forms."""
    from flows.cli import _fail
    from sohoa.vietnamese import no_such_day, parse_period

    period = parse_period(given)
    if period is not None:
        return period
    if (why := no_such_day(given)) is not None:
        raise _fail(f"{option} {given!r}: không có ngày này, {why[0]} / no such day: {why[1]}")
    raise _fail(
        f"{option} {given!r}: ngày không hợp lệ, hãy viết DD/MM/YYYY (03/05/2025), tháng MM/YYYY, năm YYYY hoặc "
        "YYYY-MM-DD / not a date: write DD/MM/YYYY (day first: 03/05/2025), a month MM/YYYY, a year YYYY or YYYY-MM-DD"
    )


def _type_codes(given: str) -> list[str]:
    """The type codes ``given`` names, whatever its case (`tb` is TB): one code, or a family's (`HT`: every hộ tịch
    code, HT-…); a usage error when it names none — a search for a type that does not exist would find nothing and
    say nothing —, listing the codes and those it may have meant, and when it is empty (`--type ''` was no filter)."""

    from classify.doctypes import by_code, codes_near, type_code_named
    from flows.cli import _fail

    codes = [*by_code(), "unknown"]  # "unknown": records archived without a type, for review
    if not given.strip():
        raise _fail(f"--type {given!r}: chưa ghi loại nào / no type code given (QĐ, TB, HT-TLKT, HT …)")
    if given.strip().casefold() == "unknown":
        return ["unknown"]
    if (code := type_code_named(given)) is not None:
        return [code]
    family = [code for code in by_code() if code.casefold().startswith(given.strip().casefold() + "-")]
    if family:
        return family
    meant = codes_near(given, codes)
    hint = f"; có phải / did you mean {', '.join(meant)}?" if meant else ""
    raise _fail(
        f"--type {given!r}: không có loại này / no such type code{hint} (HT: mọi loại hộ tịch / every civil-status "
        f"type); valid: {', '.join(codes)}"
    )


# How a search hit was found (SearchHit.match), and the field it was found in (found_in) when not the text, as the
# table's match column says them, Vietnamese then English (--json keeps the values)
MATCH_WORDS = {
    "number": ("số văn bản", "number"),
    "number_date": ("số văn bản và ngày ban hành", "number and day of issue"),
    "date": ("ban hành ngày đó", "issued that day"),
    "type": ("loại văn bản", "type of document"),
    "phrase": ("cụm từ", "phrase"),
    "words": ("các từ", "words"),
    "prefix": ("đầu từ", "start of a word"),
}
FOUND_IN_WORDS = {
    "source": ("trong tên tệp", "in the file name"),
    "number": ("trong số văn bản", "in the number"),
    "issued_on": ("trong ngày ban hành", "in the day of issue"),
    "doc_type_name": ("trong tên loại", "in the type's name"),
    "issuer": ("trong cơ quan ban hành", "in the issuer"),
    "subject": ("trong trích yếu", "in the subject"),
    "signer": ("trong người ký", "in the signer"),
    "persons": ("trong tên người được ghi", "in a person's name"),  # a hộ tịch record's: the deceased, a parent…
}
# the field a record's own number or day was found in says nothing more ("number — in number")
_FIELDS_MATCHED = {
    "number": {"number"},
    "number_date": {"number", "issued_on"},
    "date": {"issued_on"},
    "type": {"doc_type"},
}


def _match_label(hit: Any) -> str:
    """How a search hit was found, for the table's match column, Vietnamese then English, each a phrase of its own
    (``cụm từ, trong tên tệp / phrase, in the file name``: it was interleaved word by word, ``cụm từ / phrase — trong
    / in tên tệp / the file name``): the number, the day, a phrase or the words, whether with the diacritics as
    typed, and where, when not in the text (the file name, a field) nor the field the record's number or day is."""
    vi, en = MATCH_WORDS.get(hit.match, (hit.match, hit.match))
    if hit.match not in ("date", "number_date") and not hit.exact:
        vi, en = f"{vi}, không dấu", f"{en}, no diacritics"
    if hit.found_in not in (None, "body", *_FIELDS_MATCHED.get(hit.match, ())):
        where_vi, where_en = FOUND_IN_WORDS.get(hit.found_in, (f"trong {hit.found_in}", f"in {hit.found_in}"))
        vi, en = f"{vi}, {where_vi}", f"{en}, {where_en}"
    return f"{vi} / {en}"


# Columns never cut, however narrow the terminal: the record id (the one handle `sohoa get` takes: at 100 columns it
# was `d1e24473b4…`), the number and the date (at 80, `15/QĐ-UB…`, `19/11/2…`); the others wrap, a long name or
# path folded rather than cut
WHOLE_COLUMNS = frozenset({"mã hồ sơ / id", "số / number", "ngày / date"})


def add_columns(table: Table, columns: tuple[str, ...]) -> None:
    """``columns`` added to ``table``: those of ``WHOLE_COLUMNS`` on one line each, whole; the others wrapping."""
    for column in columns:
        if column in WHOLE_COLUMNS:
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, overflow="fold")


# the fewest characters a wrapping column may have a line before the table is no use: at 80 columns `list` gave the
# scan's name 4 a line ("Tờ / trìn / h số", its title "sour/ce"), and `review list` cut the record id (QA77)
FOLDED_AT_LEAST = 12


def print_records(
    table: Table, columns: tuple[str, ...], rows: Sequence[tuple[str | Text, ...]], *, id_first: bool = True
) -> None:
    """``rows`` (their first cell the record id; str cells escaped markup) under ``columns``, as ``table`` (its
    title and caption); on a terminal too narrow to give each wrapping column ``FOLDED_AT_LEAST`` characters beside
    the whole ones (``WHOLE_COLUMNS``), each row as its id on a line of its own and its other cells under it, labelled
    — as `sohoa process` does below ~70 columns."""
    from rich.padding import Padding

    from flows.cli import out, shown_text

    def width(cell: str | Text) -> int:  # as the stream writes it (``flows.cli.written_as``)
        text = cell if isinstance(cell, Text) else out.render_str(cell)
        return max((len(line) for line in text.plain.splitlines()), default=0)

    first_whole = 0 if id_first else 1  # the first column an id, kept whole (``id_first``), or a name that wraps
    whole = sum(
        max([len(column), *(width(row[index]) for row in rows)])
        for index, column in enumerate(columns)
        if column in WHOLE_COLUMNS or index < first_whole
    )
    folded = sum(1 for index, column in enumerate(columns) if column not in WHOLE_COLUMNS and index >= first_whole)
    if out.width >= whole + folded * FOLDED_AT_LEAST + 3 * len(columns) + 1:
        add_columns(table, columns)
        table.columns[0].no_wrap = id_first  # the id, whatever the first column is called
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    if table.title:
        out.print(table.title, style="bold")
    for row in rows:
        out.print(row[0], style="bold")
        for column, cell in zip(columns[1:], row[1:], strict=True):
            if not width(cell):
                continue
            said = Text.assemble(shown_text(f"{column}: "), cell if isinstance(cell, Text) else out.render_str(cell))
            out.print(Padding(said, (0, 0, 0, 2)))
    if table.caption:
        out.print(table.caption)


LIST_COLUMNS = (
    "mã hồ sơ / id",
    "tệp gốc / source",
    "loại / type",
    "số / number",
    "ngày / date",
    "trạng thái / state",
    "nơi lưu / path",
)
SEARCH_LIMIT = 50  # the hits `sohoa search` shows unless --limit says otherwise
SEARCH_COLUMNS = (
    "mã hồ sơ / id",
    "tệp gốc / source",
    "loại / type",
    "số / number",
    "ngày / date",
    "khớp / match",
    "đoạn trích / snippet",
)


@dataclass(frozen=True)
class RecordCustody:
    """A record's retention and legal hold as `get` says them, in text and ``--json`` alike: the day it is retained
    until (``until``: what its "archived" ledger entry recorded when the archive's own retention records say earlier
    — edited outside sohoa, ``retention_edited``), and the hold its ledger entries put on it (``legal_hold``; the
    objects' when the ledger could not be read) beside the one its objects carry (``hold_on_objects``). `get --json`
    called a shortened retention "over, may be disposed of" while the text gave the ledger's day, and showed no hold
    lifted behind the archive's back, where `export` and the audit followed the ledger (QA99 F4)."""

    until: datetime | None
    since: datetime | None
    retention_edited: bool
    unreadable: bool
    legal_hold: bool
    hold_on_objects: bool
    # (until, permanent, type) when the type an officer corrected the record to keeps it longer than its files say
    as_corrected: tuple[datetime, bool, str] | None = None
    retention_later: bool = False  # the files' retention edited to a later day than the ledger's (else earlier)
    # (type, ledger entry) of a correction the ledger records that this data folder does not hold
    corrected_in_ledger: tuple[str, int | None] | None = None

    @property
    def hold_edited(self) -> bool:
        return self.legal_hold != self.hold_on_objects


def record_custody(
    record: Any,
    retained: list[Any],
    store: Any = None,
    correction: Classification | None = None,
    since_archived: list[dict[str, Any]] | None = None,
) -> RecordCustody:
    """``RecordCustody`` of ``record`` from its objects' retention records (``retained``) and, with ``store`` (a
    folder or S3 archive), the ledger entries written since its "archived" one (a hold, a release): that entry's
    number is in its index entry, so the ledger before it is not read (a record archived before 2026-12-01: the
    whole ledger). ``since_archived``: those entries when the caller has read them (``ledger_since_archived``)."""
    from storage.ledger import corrected_type, retained_until_in, retention_owed

    readable = [info for info in retained if info.unreadable is None]
    until_found = [info.retain_until for info in readable if info.retain_until is not None]
    until = min(until_found) if until_found else None
    archived = [event for event in record.events if event.action == "archived"]
    recorded = retained_until_in(archived[-1].detail) if archived else None
    files_day = until.astimezone(UTC).date().isoformat() if until is not None else None
    # either way: a day later than the ledger's blocks a disposal the ledger allows, and `export` said the ledger's
    # (QA100: `get` showed the files' 01/01/2200 as fact, `edited: false`)
    edited = files_day is not None and recorded is not None and files_day != recorded
    later = bool(edited and files_day is not None and recorded is not None and files_day > recorded)
    if edited and recorded is not None:
        until = datetime.fromisoformat(recorded).replace(tzinfo=UTC)
    on_objects = any(info.legal_hold for info in readable)
    held = on_objects
    ledger_type: tuple[str, int | None] | None = None
    if store is not None:
        # a folder archive's retention records are files anyone with the folder can edit, and on S3 an Object Lock
        # legal hold can be lifted with the S3 API by anyone with s3:PutObjectLegalHold: held against the ledger
        # entries since the record's "archived" one (a few reads). Until QA100 S3 was read as the objects said, and
        # `get` dropped a hold that `export` and the audit still gave
        try:
            entries = since_archived
            if entries is None:
                entries = _ledger_entries_since(store, store.archived_seq(record))
            own = [e for e in entries if e.get("record_id") == record.id]
            owed = retention_owed(own).get(record.id)
            if owed is not None:
                held = owed.held_by is not None
            ledger_type = corrected_type(own)
        except Exception as exc:  # the ledger is a check here: the objects' hold is said as it is
            logging.getLogger("sohoa").debug("record %s: ledger not read for its hold: %s", record.id, exc)
    table = getattr(store, "retention_table", None)
    # the type the record is kept as: this data folder's correction, else the one the archive's ledger records
    # (another host's `review set`: its correction file is in that host's data folder, QA100)
    kept_as = correction.doc_type if correction else (ledger_type[0] if ledger_type else None)
    longer = longer_retention(record, kept_as, table) if kept_as and table else None
    return RecordCustody(
        until=until,
        since=record_archived_at(record),
        retention_edited=edited,
        retention_later=later,
        unreadable=len(readable) < len(retained),
        legal_hold=held,
        hold_on_objects=on_objects,
        as_corrected=(*longer, kept_as) if longer and kept_as else None,
        corrected_in_ledger=None if correction else ledger_type,
    )


# On S3 each ledger entry is an object, one GET each (~3 ms on a local server): `get` reads at most this many to
# check a record's hold against the ledger; past it the objects' hold is said as S3 gives it (`audit` checks all)
GET_LEDGER_READS = 1000


def _ledger_entries_since(store: Any, seq: int | None) -> list[dict[str, Any]]:
    """The ledger entries numbered ``seq`` and later (all, with None); ``LookupError`` when an S3 archive would take
    more than GET_LEDGER_READS reads (a folder's entries are cheap reads)."""
    from storage.ledger import Ledger

    return list(Ledger(store).entries_since(seq, None if store.retention_in_files else GET_LEDGER_READS))


def ledger_since_archived(store: Any, found: Any) -> list[dict[str, Any]] | None:
    """The ledger entries from the "archived" one of a record as ``get_as_read`` read it (``found``; its index entry
    gives that entry's number) on: what `get` checks its record.json against and its hold by, read once — on S3
    its index entry and "archived" entry were each read twice (a GET each). None when they cannot be read here (more
    than GET_LEDGER_READS on S3, or the ledger unreadable): each check then reads what it needs, and says why."""
    try:
        return _ledger_entries_since(store, found.archived_entry)
    except Exception as exc:  # a check reads them again and says what is wrong
        logging.getLogger("sohoa").debug("record %s: ledger not read ahead: %s", found.record.id, exc)
        return None


def retention_json(
    record: Any,
    retained: list[Any] | None,
    store: Any = None,
    correction: Classification | None = None,
    since_archived: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`get --json`'s ``retention`` and ``legal_hold``, as `get` says them (``record_custody``): the day the record
    is retained until (ISO), whether that is for ever (``permanent``), over (``over``: it may be disposed of),
    whether a retention record cannot be read (``unreadable``) or says earlier than the ledger (``edited``); the
    hold the ledger puts on it, and ``legal_hold_on_files`` when the archive's files say otherwise. Each null when
    the archive could not be asked."""
    if retained is None:
        return {"retention": None, "legal_hold": None}
    from storage.base import is_permanent

    custody = record_custody(record, retained, store, correction, since_archived)
    first = custody.until
    said: dict[str, Any] = {
        "retention": {
            "retained_until": first.astimezone(VN_TZ).date().isoformat() if first else None,
            "permanent": bool(first and is_permanent(first, custody.since)),
            "over": bool(first and first <= datetime.now(UTC)),
            "unreadable": custody.unreadable,
            "edited": custody.retention_edited,
            # the corrected type's retention when longer than the files' (`dispose` refuses until then; QA100)
            "as_corrected": (
                None
                if custody.as_corrected is None
                else (
                    "permanent"
                    if custody.as_corrected[1]
                    else day_vn(custody.as_corrected[0]).isoformat()  # Vietnam's day, as retained_until's
                )
            ),
        },
        "legal_hold": custody.legal_hold,
    }
    if custody.hold_edited:
        said["legal_hold_on_files"] = custody.hold_on_objects
    if custody.corrected_in_ledger is not None:  # a correction this data folder does not hold (QA100)
        said["corrected_in_ledger"] = {
            "doc_type": custody.corrected_in_ledger[0],
            "ledger_seq": custody.corrected_in_ledger[1],
        }
    return said


def corrected_retention(
    record: Any, entries: Iterable[dict[str, Any]], table: dict[str, int]
) -> tuple[datetime, str, int | None, bool] | None:
    """(until, type, ledger entry, permanent) when the record's last "corrected" ledger entry gives it a type kept
    longer than the one it was archived as (its objects' retention), counted from its archiving; None otherwise."""
    from storage.ledger import corrected_type

    corrected = corrected_type(entries)
    longer = longer_retention(record, corrected[0], table) if corrected is not None else None
    if corrected is None or longer is None:
        return None
    return longer[0], corrected[0], corrected[1], longer[1]


def longer_retention(record: Any, doc_type: str, table: dict[str, int]) -> tuple[datetime, bool] | None:
    """(until, permanent) when ``doc_type`` is kept longer than the type ``record`` was archived as, counted from
    its archiving (the retention its objects carry is the type read's); None when it is not."""
    from storage.base import PERMANENT_YEARS, retention_years, years_after

    since = record_archived_at(record)
    read = record.classification.doc_type if record.classification else None
    if since is None or doc_type == read:
        return None
    years, years_read = retention_years(doc_type, table), retention_years(read, table)
    if years_read == 0 or (years != 0 and years <= years_read):  # kept as long already
        return None
    return years_after(since, years or PERMANENT_YEARS), years == 0


def record_archived_at(record: Any) -> datetime | None:
    """When ``record`` was archived, as its events say (its retention is counted from then)."""
    archived = [event for event in record.events if event.action == "archived"]
    return archived[-1].at if archived else (record.events[0].at if record.events else None)


def retention_words(until: datetime, since: datetime | None) -> str:
    """A record's retention as `get` shows it: ``vĩnh viễn / permanent`` for a class kept for ever (stored as
    PERMANENT_YEARS from archiving: S3 needs a date; it showed ``2526-12-01``), else the day it ends. ``since``: when
    it was archived (its retention counted from then); None: today."""
    from storage.base import is_permanent

    if is_permanent(until, since):
        return "vĩnh viễn / permanent"
    day = vn_date(until.astimezone(VN_TZ).date())
    # over: it may be disposed of (`sohoa dispose`); the day alone did not say so (QA76)
    return f"{day} (đã hết, có thể hủy / over, may be disposed of)" if until <= datetime.now(UTC) else day


def _problem_owner(key: str) -> str:
    """An audit problem line's owner as the text says it: a record id as it is, the ledger's and the archive's own
    lines in both languages (QA100: `ledger:` and `archive:` began them in English only)."""
    from storage.base import ARCHIVE_PROBLEMS, LEDGER_PROBLEMS

    return {LEDGER_PROBLEMS: "sổ nhật ký / ledger", ARCHIVE_PROBLEMS: "kho / archive"}.get(key, key)


def _when_parked(time_said: str) -> str:
    """A reason file's time (ISO, Vietnam time) as officers write it: ``02/12/2026 22:53``."""
    try:
        return vn_time(datetime.fromisoformat(time_said))
    except ValueError:
        return time_said


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `sohoa` app."""
    from flows.cli import command_group

    @app.command(
        name="list",
        epilog="Examples:\n\n  sohoa list --json\n\n  sohoa list --type QĐ\n\n  sohoa list --archive s3://sohoa/xa\n\n"
        "Exit codes: 0 listed (none too); 1 listed, but a record could not be read, is not the one archived, or is "
        "stored but missing from the index (each named on stderr); 2 usage (no archive at the location, a bad "
        "setting); 3 the archive cannot be read (its folder, or its S3 server, unavailable).",
    )
    def list_records(
        archive: ArchiveOption = None,
        doc_type: Annotated[
            str | None,
            typer.Option(
                "--type",
                help="Only this type code (QĐ, TB, …; any case; unknown too), or a family (HT: hộ tịch), as search "
                "takes it.",
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """List the archived records (id, source file, type, number, date, state, folder; --json adds the SHA-256)."""
        from classify.review import as_corrected, reasons_waiting
        from flows.cli import _errors_as_json, _fail, _print_json
        from sohoa.record import STATE_WORDS, in_words
        from storage import ArchiveUnavailableError
        from storage.ledger import unchanged_records

        _errors_as_json(as_json)
        # the type as the office now knows it (an officer's correction), as the rows show it (QA77: no filter)
        wanted = set(_type_codes(doc_type)) if doc_type is not None else None
        settings, store = _open(archive)
        rows: list[dict[str, Any]] = []
        damaged: list[DamagedRecord] = []  # listed apart, each named; the others are listed all the same
        try:
            # a record.json not the one its "archived" ledger entry recorded is no fact to list (`get` refuses it);
            # checked as read (index entry, record.json): per record only its ledger entry is read for it
            # a record whose record.json (or whole folder) is gone while the index lists it is named too: it was
            # left out without a word, exit 0 (QA65)
            records, changed = unchanged_records(store, store.records_as_read(damaged, missing=damaged))
            unlisted = not_indexed(store, records, [*damaged, *changed])
        except ArchiveUnavailableError as exc:  # a file where the index folder should be listed no records, exit 0
            raise _fail(str(exc), 3) from exc
        damaged += changed
        _say_damaged(damaged)
        _say_on_stderr(unlisted)
        for archived in records:
            record = as_corrected(archived, settings)
            c = record.classification
            if wanted is not None and (c.doc_type if c else "unknown") not in wanted:
                continue
            rows.append(
                {
                    "id": record.id,
                    "sha256": record.source.sha256,
                    # a document split from a stack: the stack + #part (its own name, A.pdf#2.pdf, is a scratch file)
                    "source": record.source.ident(),
                    "source_label": record.source.label(),
                    "doc_type": c.doc_type if c else None,
                    "number": c.number if c else None,
                    "issued_on": c.issued_on.isoformat() if c and c.issued_on else None,
                    "state": record.state.value,
                    # still waiting, as `review list` says: a correction or an acknowledgement settles it (it was
                    # the flag as archived, true for ever after `review set --ack`); `flagged`: as archived
                    "needs_review": reasons_waiting(archived, settings, corrected=record is not archived) is not None,
                    "flagged": archived.needs_review,
                    "corrected": record is not archived,
                    "path": record.archive_prefix,
                }
            )
        if as_json:
            _print_json(
                {
                    "archive": store.location,
                    "records": rows,
                    "damaged": [lost.to_json_dict() for lost in damaged],
                    "not_indexed": unlisted,
                }
            )
            raise typer.Exit(1 if damaged or unlisted else 0)
        cells: list[tuple[str | Text, ...]] = [
            (  # the scans' own names and numbers: `[bản sao] x.pdf` is no markup, a newline no row break
                row["id"],
                escape(printable(row["source_label"])),
                escape(printable(row["doc_type"] or "")),
                escape(printable(row["number"] or "")),
                vn_date(row["issued_on"]),
                in_words(STATE_WORDS, row["state"]),
                escape(printable(row["path"] or "")),
            )
            for row in rows
        ]
        print_records(Table(title=escape(store.location)), LIST_COLUMNS, cells)
        raise typer.Exit(1 if damaged or unlisted else 0)

    @app.command(
        epilog="Example:\n\n  sohoa get 3f2a9c0d1e2b4a5c --out hoso/\n\n"
        "Exit codes: 0 shown (or copied); 1 no such record, or an object no longer matches its SHA-256, or its "
        "record.json not the one the ledger recorded or cannot be read (nothing shown or copied); 2 usage (--out names "
        "a file, not a folder); 3 archive unavailable, or the folder cannot be written."
    )
    def get(
        record_id: Annotated[str, typer.Argument(help="Record id (16 hex digits).")],
        out_dir: Annotated[
            Path | None,
            typer.Option(
                "--out",
                metavar="DIR",
                callback=spelled_output,
                help=(
                    "Copy the record's files into this folder (made when missing; other files of the same names "
                    "there are never overwritten: exit 2)."
                ),
            ),
        ] = None,
        archive: ArchiveOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Show a record (and an officer's correction of its classification); with --out, copy its files out (each
        checked against its recorded SHA-256). Its record.json is checked against the SHA-256 the ledger recorded
        when it was archived."""
        from classify.review import correction_of
        from flows.cli import _errors_as_json, _fail, _print_json, out
        from storage import ArchiveIntegrityError
        from storage.ledger import verified_record

        _errors_as_json(as_json)
        if out_dir is not None:
            _check_out_folder(out_dir)
        settings, store = _open(archive)
        found = _record(store, record_id)
        # what showing it reads anyway (its hold), read first; files alone need only the "archived" entry
        since_archived = ledger_since_archived(store, found) if out_dir is None or as_json else None
        try:
            # a rewritten record.json was shown and copied out, exit 0; its "archived" ledger entry is the first of
            # those read (records archived before 2026-12-01: the whole ledger, their index entry does not say where
            # theirs is), the record.json checked as `_record` read it
            record, sidecar = verified_record(store, found, since_archived)
        except ArchiveIntegrityError as exc:
            raise _fail(_refusal(exc, "không xuất tệp nào", "nothing handed out"), 1) from exc
        written: list[str] = []
        correction = correction_of(settings, record.id)
        if out_dir is not None:
            try:
                written = _get_files(store, record, sidecar, out_dir, correction)
            except ArchiveIntegrityError as exc:  # a damaged archive object: done, but not all right (as export)
                raise _fail(str(exc), 1) from exc
            except FileExistsError as exc:
                raise _fail(str(exc), 2, out_dir) from exc
            except OSError as exc:
                raise _fail(f"{out_dir}: {exc.strerror or exc}", 3, out_dir) from exc
        if out_dir is not None and not as_json:
            out.print("\n".join(written), markup=False, highlight=False)
            return
        try:
            retained = store.retention(record)
        except StageError:  # retention is a detail here: the record itself was read
            retained = None
        if as_json:
            _print_json(
                {
                    "record": record.model_dump(mode="json"),
                    "correction": correction.model_dump(mode="json") if correction else None,
                    "written": written,
                    # as the text says them (QA98: a script could not find the records held, or due for disposal)
                    **retention_json(record, retained, store, correction, since_archived),
                }
            )
            return
        retained = retained or []
        from classify.review import reasons_waiting

        # a correction settles the classification's reasons only; the others show until `review set --ack`
        still = reasons_waiting(record, settings, corrected=correction is not None)
        waiting = (still or ["yes"]) if still is not None else []
        summary = record_summary(
            record, correction, retained, waiting, record_custody(record, retained, store, correction, since_archived)
        )
        out.print("\n".join(summary + ["(--json: toàn bộ hồ sơ / the whole record)"]), markup=False, highlight=False)

    @app.command(
        epilog="Examples:\n\n  sohoa search 'quyet dinh' --type QĐ --from 01/01/2025 --json\n\n"
        "  sohoa search 'khai tử' --type ht-tlkt\n\n"
        "  sohoa search 7/qd-ubnd            # 07/QĐ-UBND, then texts citing it\n\n"
        "  sohoa search 'Đinh Thị Hoà'       # the name together first\n\n"
        "  sohoa search '\"tiếp công dân\" kết luận'   # quoted: together\n\n"
        "  sohoa search 3/5/2025             # issued that day (ngày 3 tháng 5…)\n\n"
        "  sohoa search 'Thông báo số 08/TB-UBND ngày 05/9/2025'   # a citation: that record first\n\n"
        "Exit codes: 0 searched (even with no hits; an index that lacks records of the archive is warned of); 2 "
        "usage (a type code that does not exist, a bad date, no search index: a mistyped SOHOA_DATA_DIR, or one to "
        "build with `sohoa index rebuild`; a damaged index, which that replaces; a folder at the index's path)."
    )
    def search(
        query: Annotated[
            str,
            typer.Argument(
                help='Words to find (with or without diacritics; "in quotes": together), a number (15/QĐ-UBND) '
                "or a day (03/05/2025)."
            ),
        ],
        doc_type: Annotated[
            str | None,
            typer.Option(
                "--type", help="Only this type code (QĐ, TB, …; any case; unknown too), or a family (HT: hộ tịch)."
            ),
        ] = None,
        date_from: Annotated[
            str | None,
            typer.Option(
                "--from", help="Issued on or after this day (DD/MM/YYYY or YYYY-MM-DD), month (MM/YYYY) or year."
            ),
        ] = None,
        date_to: Annotated[
            str | None,
            typer.Option("--to", help="Issued on or before this day, or by the end of this month (MM/YYYY) or year."),
        ] = None,
        limit: Annotated[
            int,
            typer.Option(
                "--limit",
                min=1,
                metavar="N",
                help="Show the N best hits (the table says how many there are in all; --json: total).",
            ),
        ] = SEARCH_LIMIT,
        archive: ArchiveOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Search OCR text and metadata: a number or a day typed in full (alone or in a citation) matches the record's
        own first, words typed together above words apart, exact-diacritic matches first."""
        from flows.cli import _errors_as_json, _fail, _print_json, _settings, out, shown_text
        from storage import search_index_path
        from storage.search import DamagedIndexError, SearchIndex, is_damage

        _errors_as_json(as_json)
        # an archive given that is not the configured one is searched in its own index (sohoa.settings.load_settings),
        # where `process --archive` put its records (QA95: no search could read them)
        settings = _settings(archive=archive)
        doc_types = _type_codes(doc_type) if doc_type is not None else None
        start = _period_option("--from", date_from)[0] if date_from is not None else None
        end = _period_option("--to", date_to)[1] if date_to is not None else None
        # both found nothing and said nothing (QA): a usage error says why
        if start and end and start > end:
            raise _fail(
                f"--from {vn_date(start)} sau / is after --to {vn_date(end)}: khoảng ngày rỗng / an empty range"
            )
        if not any(ch.isalnum() for ch in query):
            raise _fail(f"{query!r}: không có từ nào để tìm / no word to search for (sohoa list shows every record)")
        index_path = search_index_path(settings)
        if (unusable := _index_path_unusable(settings, index_path)) is not None:
            raise unusable
        if not index_path.is_file():
            _no_search_index(settings, index_path)
        try:
            with SearchIndex(index_path, create=False) as index:
                hits = index.search(query, doc_type=doc_types, date_from=start, date_to=end, limit=limit)
                # all of them counted only when the limit may have cut them off (ids only: no snippet, no ranking)
                total = len(hits)
                if total >= limit:
                    total = index.count(query, doc_type=doc_types, date_from=start, date_to=end)
                warning = None if index.complete else _incomplete_index_warning(index_path)
        except (sqlite3.DatabaseError, DamagedIndexError) as exc:  # not a database, malformed, empty
            if not is_damage(exc):
                raise
            raise _damaged_index(index_path, exc) from exc
        if as_json:
            _print_json({"query": query, "total": total, "hits": [h.to_json_dict() for h in hits], "warning": warning})
            return
        # the first 50 were all it showed, never saying there were more (QA)
        title = f"{len(hits)} kết quả / results"
        caption = None
        if total > len(hits):
            title = f"hiển thị {len(hits)} trên {total} kết quả / {len(hits)} of {total} results shown"
            caption = f"xem tất cả / to see them all: --limit {total}"
        cells: list[tuple[str | Text, ...]] = []
        for h in hits:
            # The index marks each match [like this], as --json shows it; the brackets stay (text read from a scan
            # can hold brackets of its own, which a style alone could not tell apart) and the match is bold.
            snippet = shown_text(h.snippet)
            snippet.highlight_regex(r"\[[^\[\]]*\]", "bold")
            cells.append(
                (
                    h.record_id,
                    escape(printable(h.source or "")),  # the scan it came from: a stack's document with its pages
                    escape(h.doc_type or ""),
                    escape(h.number or ""),
                    vn_date(h.issued_on),
                    _match_label(h),
                    snippet,
                )
            )
        print_records(Table(title=title, caption=caption), SEARCH_COLUMNS, cells)
        if warning:
            out.print(f"[yellow]{escape(warning)}[/]")

    quarantine_app = command_group(
        "The quarantine: the inputs sohoa refused, each with its reason.\n\nExamples:\n\n"
        "  sohoa quarantine list\n\n  sohoa quarantine remove 'bị cắt.pdf'"
    )

    @quarantine_app.command(
        "list",
        epilog="Example:\n\n  sohoa quarantine list --json\n\n"
        "An entry leaves the quarantine by itself when the same content is archived later (a fault outside it "
        "fixed, the same bytes given again); a scan fixed and given again as other bytes (a password removed, "
        "scanned again) leaves it there: `sohoa quarantine remove NAME` once dealt with.\n\n"
        "Exit codes: 0 listed (none too).",
    )
    def quarantine_list(as_json: JsonOption = False) -> None:
        """The inputs in the quarantine (DATA_DIR/quarantine), oldest first: the copy, where it came from, when,
        and why (Vietnamese / English)."""
        from flows.cli import _errors_as_json, _print_json, _settings, out
        from storage.quarantine import parked_entries

        _errors_as_json(as_json)
        folder = _settings().quarantine_path
        entries = parked_entries(folder, None)
        if as_json:
            _print_json(
                {
                    "quarantine": str(folder),
                    "count": len(entries),
                    "entries": [
                        {
                            "file": escaped(str(e.file)) if e.file else None,  # as on disk, for scripts
                            "reason_file": escaped(str(e.reason_file)),
                            "source": e.source,
                            "sha256": e.sha256,
                            "time": e.time,
                            "reason": e.reason_en,
                            "reason_vi": e.reason_vi,
                            "changed": e.changed,
                        }
                        for e in entries
                    ],
                }
            )
            return
        columns = ("tệp / file", "từ / from", "lúc / when", "lý do / reason")

        def without_name(reason: str) -> str:  # a reason begins with the file's name, the row's first cell
            return reason.split(": ", 1)[1] if ": " in reason else reason

        cells = [
            (
                escape(
                    f"{e.file.name} (đã bị thay đổi / changed since)"
                    if e.file and e.changed
                    else e.file.name
                    if e.file
                    else f"{e.reason_file.name} (bản sao đã mất / copy gone)"
                ),
                escape(e.source),
                escape(_when_parked(e.time)),
                escape(f"{without_name(e.reason_vi)} / {without_name(e.reason_en)}"),
            )
            for e in entries
        ]
        title = f"{len(entries)} tệp trong khu cách ly / file(s) in the quarantine — {escape(str(folder))}"
        if not entries:
            out.print(title)
            return
        print_records(Table(title=title), columns, cells, id_first=False)

    @quarantine_app.command(
        "remove",
        epilog="Example:\n\n  sohoa quarantine remove 'bị cắt.pdf' 'có mật khẩu.pdf'\n\n"
        "NAME: the file's name in the quarantine (as `sohoa quarantine list` shows it), or its reason file's. The "
        "copy and its reason file are deleted; the input the officer gave is never touched.\n\n"
        "Exit codes: 0 removed; 1 a NAME is not in the quarantine (the others are removed).",
    )
    def quarantine_remove(
        names: Annotated[list[str], typer.Argument(metavar="NAME...", help="Entries to remove.")],
        as_json: JsonOption = False,
    ) -> None:
        """Remove entries an officer has dealt with from the quarantine: each copy and its reason file."""
        from flows.cli import _errors_as_json, _fail, _print_json, _settings, out
        from storage.ledger import default_actor
        from storage.quarantine import REASON_SUFFIX, REMOVALS_JOURNAL, parked_entries, remove_entries

        _errors_as_json(as_json)
        if blank := [name for name in names if not name.strip()]:  # `remove ''` was "not in the quarantine", exit 1
            raise _fail(
                f"{blank[0]!r}: tên trống / an empty name: NAME là tên tệp như `sohoa quarantine list` ghi / NAME is "
                "the file's name as `sohoa quarantine list` shows it"
            )
        folder = _settings().quarantine_path
        entries = parked_entries(folder, None)
        chosen, unknown = [], []
        for name in names:
            wanted = unicodedata.normalize("NFC", Path(name).name)
            found = [
                e
                for e in entries
                if wanted
                in {
                    unicodedata.normalize("NFC", e.reason_file.name),
                    unicodedata.normalize("NFC", e.reason_file.name.removesuffix(REASON_SUFFIX)),
                    unicodedata.normalize("NFC", e.file.name) if e.file else "",
                }
            ]
            chosen += found
            if not found:
                unknown.append(name)
        removed = remove_entries(folder, chosen, actor=default_actor())
        if as_json:
            _print_json({"removed": [escaped(str(p)) for p in removed], "not_found": unknown})
        else:
            for path in removed:
                out.print(f"đã xóa / removed: {escape(said(str(path)))}")
            if removed:
                out.print(f"(ghi lại trong / noted in {escape(said(str(folder / REMOVALS_JOURNAL)))})")
            for name in unknown:
                out.print(
                    f"[yellow]không có trong khu cách ly / not in the quarantine: {escape(name)} (sohoa quarantine "
                    "list)[/]"
                )
        raise typer.Exit(1 if unknown else 0)

    app.add_typer(quarantine_app, name="quarantine")

    index_app = command_group("The search index.\n\nExample:\n\n  sohoa index rebuild --archive /srv/archive")

    @index_app.command(
        "rebuild",
        epilog="Examples:\n\n  sohoa index rebuild\n\n  sohoa index rebuild --archive s3://sohoa/xa\n\n"
        "A new index is built beside the old one and takes its place once done: searches meanwhile read the old "
        "one whole; a damaged one is replaced.\n\n"
        "Exit codes: 0 rebuilt; 1 rebuilt without a record whose record.json cannot be read (named); 2 usage (a "
        "folder at the index's path); 3 archive unavailable, or the index cannot be written.",
    )
    def index_rebuild(archive: ArchiveOption = None, as_json: JsonOption = False) -> None:
        """Rebuild the search index from the archive alone."""
        from classify.review import as_corrected
        from flows.cli import _errors_as_json, _fail, _print_json, out
        from flows.pipeline import archive_write_lock
        from storage import archive_location, search_index_path
        from storage.ledger import each_unchanged
        from storage.search import rebuild_index

        _errors_as_json(as_json)
        settings, store = _open(archive)
        index_path = search_index_path(settings)
        if (unusable := _index_path_unusable(settings, index_path)) is not None:
            raise unusable
        damaged: list[DamagedRecord] = []  # not searchable until repaired: each named, the others indexed
        started = time.time()

        # a record.json rewritten since archiving is no record to search (QA63: the rebuild indexed a forged number,
        # and search served it while list, get and the audit refused the record): named, left out. One record at
        # a time, as the archive lists them: a large archive is never held whole. A record gone: named, not indexed
        as_read = store.records_as_read(damaged, missing=damaged)
        unchanged = (as_corrected(record, settings) for record in each_unchanged(store, as_read, damaged))
        try:
            # built beside the index and put in its place at once, under the archive write lock (QA60: a search
            # meanwhile saw 5, 6, 9 of 11 records; a damaged file could not be replaced)
            count = rebuild_index(
                index_path,
                unchanged,
                catch_up=lambda index: _indexed_meanwhile(index, store, settings, started, damaged),
                lock=lambda: archive_write_lock(archive_location(settings)),
                archive=settings.archive_identity,
            )
        except sqlite3.OperationalError as exc:  # the folder not writable, the old index held by a writer
            raise _fail(
                f"không ghi được chỉ mục tìm kiếm / could not write the search index {index_path} ({exc})",
                3,
                path=index_path,
            ) from exc
        _say_damaged(damaged)
        if as_json:  # (QA98: the one lifecycle command without it)
            _print_json(
                {
                    "indexed": count,
                    "index": str(index_path),
                    "archive": store.location,
                    "not_indexed": [lost.to_json_dict() for lost in damaged],
                }
            )
            raise typer.Exit(1 if damaged else 0)
        out.print(
            f"đã đưa {count} hồ sơ vào chỉ mục tìm kiếm / indexed {count} record(s) from {store.location}"
            + (
                f"; {len(damaged)} không đọc được hoặc đã bị sửa, không có trong chỉ mục / unreadable or changed since "
                "archiving, not indexed"
                if damaged
                else ""
            ),
            markup=False,
        )
        raise typer.Exit(1 if damaged else 0)

    app.add_typer(index_app, name="index")

    @app.command(
        epilog="Examples:\n\n  sohoa hold 3f2a9c0d1e2b4a5c on\n\n  sohoa hold 3f2a9c0d1e2b4a5c off\n\n"
        "Setting the state a record already has changes nothing and adds no ledger entry.\n\n"
        "Exit codes: 0 done (or already so); 1 no such record, or its record.json cannot be read; 2 usage; 3 "
        "archive unavailable."
    )
    def hold(
        record_id: Annotated[str, typer.Argument(help="Record id.")],
        state: Annotated[str, typer.Argument(help="on | off")],
        by: ByOption = None,
        archive: ArchiveOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Put a record under legal hold (no deletion, even after retention) or release it."""
        from flows.cli import _errors_as_json, _fail, _print_json, out
        from storage.ledger import default_actor

        _errors_as_json(as_json)
        state = state.strip().lower()  # `ON` was refused (QA98)
        if state not in ("on", "off"):
            raise _fail(f"hold: cần on hoặc off, không phải {state!r} / expected on or off, got {state!r}")
        actor = _actor(by, default_actor())
        _, store = _open(archive)
        found = _record(store, record_id)
        _check_unchanged(store, found)
        record = found.record
        wanted = state == "on"
        objects = store.retention(record)
        _refuse_unreadable_retention(
            record.id, objects, ("đổi phong tỏa", "put under legal hold" if wanted else "released from legal hold")
        )
        on_files = bool(objects) and all(info.legal_hold == wanted for info in objects)
        if on_files and record_custody(record, objects, store).legal_hold == wanted:
            # already so, on the files and in the ledger: a second 'held' (or 'released') entry in the custody
            # ledger would record a change that did not happen. Where the two disagree (a folder archive's hold
            # lifted from its files behind its back) the officer's word is carried out and recorded: `off` said
            # "already off" while `get` showed the ledger's hold, and nothing could release it (QA100)
            already = (
                f"hồ sơ {record.id}: vẫn đang bị phong tỏa, không thay đổi gì / record {record.id}: legal hold "
                "already on; nothing changed"
                if wanted
                else f"hồ sơ {record.id}: không bị phong tỏa, không thay đổi gì / record {record.id}: legal hold "
                "already off; nothing changed"
            )
            if as_json:
                _print_json({"record_id": record.id, "legal_hold": wanted, "changed": False})
            else:
                out.print(already, markup=False)
            return
        from flows.pipeline import archive_write_lock

        with archive_write_lock(store.location):  # its ledger entry: one writer at a time, as a batch archives
            # disposed of meanwhile (`dispose` deletes under the same lock): said as for a record disposed of before
            # (QA98: "…/original.pdf: missing, cannot set legal hold", English only, exit 3)
            if not store.holds_record(record.id):
                raise _fail(not_in_archive(store, record.id), 1)
            # who decided it, as the ledger entry says (QA98: hold wrote "sohoa", dispose the OS user alone)
            store.set_hold(record, wanted, actor=actor)
        if as_json:
            _print_json({"record_id": record.id, "legal_hold": wanted, "changed": True, "actor": actor})
            return
        now = "đã phong tỏa" if wanted else "đã gỡ phong tỏa"
        out.print(f"hồ sơ {record.id}: {now} / record {record.id}: legal hold {state}", markup=False)

    @app.command(
        epilog="Examples:\n\n  sohoa dispose 3f2a9c0d1e2b4a5c --reason 'QĐ 12/QĐ-UBND ngày 02/12/2096' --dry-run\n\n"
        "  sohoa dispose 3f2a9c0d1e2b4a5c --reason 'QĐ 12/QĐ-UBND ngày 02/12/2096'\n\n"
        "Refused while the record's retention runs (its `retained until` in `sohoa get`) or a legal hold is on "
        "(`sohoa hold ID off` first): on S3 the server refuses the deletion itself. A 'disposed' ledger entry "
        "records who disposed of it, when and by which decision (--reason); the record leaves the search index. "
        "The audit, `ledger verify` and `verify --archive` take a record so disposed of as gone by right; one "
        "removed any other way is named as gone.\n\n"
        "Exit codes: 0 disposed of (or, --dry-run, could be); 1 no such record, its record.json cannot be read, or "
        "its retention or a hold forbids it; 2 usage; 3 archive unavailable.",
    )
    def dispose(
        record_id: Annotated[str, typer.Argument(help="Record id.")],
        reason: Annotated[
            str,
            typer.Option(
                "--reason",
                help="The disposal decision (its number and date), kept in the ledger entry.",
                show_default=False,
            ),
        ],
        by: ByOption = None,
        archive: ArchiveOption = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say whether it may be disposed of.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Dispose of a record whose retention is over: delete its objects, record the disposal in the ledger.
        There was no way but the Python API (QA74), and a record removed by hand is named as gone by every check."""
        from flows.cli import _errors_as_json, _fail, _print_json, out
        from flows.pipeline import archive_write_lock
        from sohoa.errors import SohoaError
        from storage import search_index_path
        from storage.base import RetentionError, is_permanent
        from storage.ledger import Ledger, default_actor, disposal_refused_now
        from storage.search import SearchIndex

        _errors_as_json(as_json)
        if not reason.strip():
            raise _fail("--reason: hãy ghi quyết định hủy (số, ngày) / give the disposal decision (number, date)")
        settings, store = _open(archive)
        found = _record(store, record_id)
        _check_unchanged(store, found)
        record = found.record
        objects = store.retention(record)
        _refuse_unreadable_retention(record.id, objects, ("hủy", "disposed of"))
        now = datetime.now(UTC)
        retained = [info.retain_until for info in objects if info.retain_until and info.retain_until > now]
        if any(info.legal_hold for info in objects):
            raise _fail(
                f"hồ sơ {record.id}: đang bị phong tỏa pháp lý, không được hủy (sohoa hold {record.id} off trước) / "
                f"record {record.id}: under legal hold, not to be disposed of (sohoa hold {record.id} off first)",
                1,
            )
        if retained:
            until = max(retained)
            if is_permanent(until, record_archived_at(record)):  # a class kept for ever: its 500-year date said as
                # what it is, as `get` says it (QA98: "retained until 04/12/2526")
                raise _fail(
                    f"hồ sơ {record.id}: được lưu giữ vĩnh viễn, không được hủy / record {record.id}: kept "
                    "permanently, never to be disposed of",
                    1,
                )
            day = vn_date(until.astimezone(VN_TZ).date())
            raise _fail(
                f"hồ sơ {record.id}: còn thời hạn lưu giữ đến {day}, chưa được hủy / record {record.id}: retained "
                f"until {day}, not to be disposed of yet",
                1,
            )
        excerpt = Ledger(store).excerpt(record.id)
        if (owed := corrected_retention(record, excerpt, store.retention_table)) is not None and owed[0] > now:
            # the type an officer corrected it to keeps it longer than the type read, whose retention its files
            # carry: a CV corrected to QĐ (70 years) was disposable after CV's 10 (QA100)
            until, corrected, seq, permanent = owed
            kept_vi = "vĩnh viễn" if permanent else f"đến {vn_date(until.astimezone(VN_TZ).date())}"
            kept_en = "permanently" if permanent else f"until {vn_date(until.astimezone(VN_TZ).date())}"
            raise _fail(
                f"hồ sơ {record.id}: đã được sửa thành loại {corrected} (mục sổ nhật ký {seq}), phải lưu giữ "
                f"{kept_vi}, chưa được hủy (tệp của kho mang thời hạn của loại sohoa đọc) / record {record.id}: "
                f"corrected to type {corrected} (ledger entry {seq}), to be kept {kept_en}: not to be disposed of "
                "(the archive's files carry the retention of the type sohoa read)",
                1,
            )
        # and as its own ledger entries say, which the checks hold the disposal to: a folder archive's retention
        # records, edited or removed, let it delete a record retained seventy more years (QA76)
        if (why := disposal_refused_now(excerpt, record.id)) is not None:
            raise _fail(
                f"hồ sơ {record.id}: sổ nhật ký không cho hủy lúc này (còn thời hạn lưu giữ hoặc đang bị phong tỏa; "
                f"bản ghi thời hạn trong kho đã bị sửa?) / record {record.id}: its ledger entries forbid disposing "
                f"of it now: a disposal {why}",
                1,
            )
        if not dry_run:
            try:
                with archive_write_lock(store.location):  # its ledger entry: one writer at a time
                    store.delete_record(
                        record, actor=_actor(by, default_actor()), reason=unicodedata.normalize("NFC", reason.strip())
                    )
            except RetentionError as exc:  # the server's own refusal (a retention this host's clock had over)
                raise _fail(f"hồ sơ {record.id}: {exc}", 1) from exc
            except SohoaError as exc:
                raise _fail(str(exc), 3) from exc
            index_path = search_index_path(settings)
            if index_path.is_file():
                with SearchIndex(index_path, create=False) as index:
                    index.remove(record.id)
        if as_json:
            _print_json(
                {"record_id": record.id, "path": record.archive_prefix, "dry_run": dry_run, "disposed": not dry_run}
            )
            return
        verb = "có thể hủy / may be disposed of" if dry_run else "đã hủy / disposed of"
        out.print(f"hồ sơ / record {record.id} ({record.archive_prefix}): {verb} — {reason.strip()}", markup=False)

    ledger_app = command_group(
        "The custody ledger.\n\nExamples:\n\n  sohoa ledger verify\n\n  sohoa ledger stamp --json\n\n"
        "  sohoa ledger finish --dry-run"
    )

    @ledger_app.command(
        "verify",
        epilog="Examples:\n\n  sohoa ledger verify\n\n  sohoa ledger verify --archive s3://sohoa/xa --json\n\n"
        "Exit codes: 0 intact; 1 something to see, each problem named: the chain broken (an entry or a day's stamp "
        "edited, removed, reordered: BROKEN, --json chain_intact false), or the chain intact and records the archive "
        "holds otherwise than it recorded them (a record.json changed, a record gone), or an interrupted archive "
        "write; 2 usage; 3 archive unavailable.",
    )
    def ledger_verify(archive: ArchiveOption = None, as_json: JsonOption = False) -> None:
        """Check the hash chain and its daily RFC 3161 timestamps; name every edited, removed or reordered entry
        and every stamp that no longer matches the chain, and every record the archive holds otherwise than the
        ledger recorded it. Exit 1 when there is a problem."""
        from flows.cli import _check_trust_sources, _errors_as_json, _print_json, out
        from flows.ledger_check import (
            chain_intact,
            check_ledger_of,
            ledger_verdict,
            problem_in_vietnamese,
            unprotected_count,
        )
        from storage.stamps import anchor_warning, stamp_days

        _errors_as_json(as_json)
        settings, store = _open(archive)
        _check_trust_sources(settings)
        check = check_ledger_of(store, settings)
        # a record.json that cannot be read cannot be held against its "archived" entry: named among the problems
        problems = [lost.english for lost in check.damaged] + check.problems
        count = len(check.ledger.keys())
        days = stamp_days(store)
        # no outside anchor (no day stamped, or days since the newest stamp): said, not failed (QA58)
        warnings = [warning] if (warning := anchor_warning(store, bool(settings.tsa_url))) else []
        if as_json:
            _print_json(
                {
                    "archive": store.location,
                    "entries": count,
                    "stamped_days": days,
                    "ok": not problems,
                    # BROKEN or not (the text's verdict): a changed record.json is no break in the chain (QA66)
                    "chain_intact": chain_intact(problems),
                    "unprotected_entries": unprotected_count(problems),
                    "problems": problems,
                    # as the text says them: Vietnamese, then the English (QA98: --json was English only)
                    "problems_vi": [problem_in_vietnamese(problem) for problem in problems],
                    "warnings": warnings,
                }
            )
        else:
            for problem in problems:
                out.print(f"[red]{escape(problem_in_vietnamese(problem))}[/]")
            verdict = ledger_verdict(problems, _red)
            out.print(
                f"sổ nhật ký / ledger: {count} mục / entries, {len(days)} dấu thời gian ngày / daily timestamp(s): "
                + verdict
            )
            for warning in warnings:
                out.print(f"[yellow]{escape(warning)}[/]")
        raise typer.Exit(1 if problems else 0)

    @ledger_app.command(
        "stamp",
        epilog="Example (cron, 00:10 UTC every day):\n\n  sohoa ledger stamp --json\n\n"
        "Exit codes: 0 every finished day stamped (or none left to stamp); 1 a day whose stamp was written and then "
        "removed behind the archive's back (named; never stamped again: restore it, and run sohoa audit; the other "
        "days are stamped); 2 usage (no SOHOA_TSA_URL, no archive at the location); 3 the TSA or the archive "
        "unavailable (rerun: the days not stamped are stamped then).",
    )
    def ledger_stamp(archive: ArchiveOption = None, as_json: JsonOption = False) -> None:
        """Timestamp (RFC 3161, SOHOA_TSA_URL) the ledger head of every finished UTC day not stamped yet."""
        from flows.cli import _errors_as_json, _fail, _print_json, out
        from flows.pipeline import archive_write_lock
        from storage import archive_location
        from storage.stamps import StampError, removed_stamp_days, stamp_closed_days

        _errors_as_json(as_json)
        settings, store = _open(archive)
        if not settings.tsa_url:
            raise _fail("Chưa cấu hình máy chủ dấu thời gian / no TSA configured: set SOHOA_TSA_URL")
        try:
            with archive_write_lock(archive_location(settings)):  # one writer per archive (see the ledger)
                stamps = stamp_closed_days(store, settings.tsa_url)
        except StampError as exc:
            raise _fail(str(exc), 3) from exc
        # days whose stamp was removed: not stamped again (QA134 F1), said, exit 1
        removed = sorted(removed_stamp_days(store))  # its token, its record or both (QA135 F4: the token alone, exit 0)
        if as_json:
            _print_json({"archive": store.location, "stamped": stamps, "removed_days": removed})
        else:
            from sohoa.vietnamese import iso_vn

            for stamp in stamps:
                # the TSA's time as every report says a time: Vietnam time, to the second (QA134 F10: UTC with
                # microseconds, as the stamp's record stores it)
                out.print(
                    f"{stamp['day']}: mục / entry {stamp['seq']} {stamp['head_hash'][:16]}… "
                    f"lúc / at {iso_vn(datetime.fromisoformat(stamp['stamped_at']))}"
                )
            out.print(f"{len(stamps)} ngày đã đóng dấu thời gian / day(s) stamped")
            for day in removed:
                out.print(
                    f"[red]dấu thời gian ngày {day} đã bị xóa ngoài phần mềm, không đóng dấu lại (xem sohoa audit) / "
                    f"the stamp of {day} was removed behind the archive's back: not stamped again (see sohoa audit)[/]"
                )
        if removed:
            raise typer.Exit(1)

    @ledger_app.command(
        "finish",
        epilog="Examples:\n\n  sohoa ledger finish --dry-run\n\n  sohoa ledger finish\n\n"
        "  sohoa ledger finish --archive s3://sohoa/xa --json\n\n"
        "A record folder is finished only when its record.json is its own and every file matches the SHA-256 it "
        "records (as a put leaves it when killed after record.json); its scan already archived as another record "
        "(a duplicate), an id indexed for another scan, changed files or a record.json the ledger recorded "
        "otherwise are refused, never adopted. A folder without record.json is finished only by rerunning the "
        "batch with its scan. Run it with no batch writing to the archive from another host (a put in progress "
        "there looks the same).\n\n"
        "Exit codes: 0 every interrupted write finished (or none); 1 some could not be finished (each named, with "
        "what to do), or a record's record.json cannot be read (named, left as it is); 2 usage; 3 archive "
        "unavailable.",
    )
    def ledger_finish(
        archive: ArchiveOption = None,
        as_json: JsonOption = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only say what would be written; change nothing.")
        ] = False,
    ) -> None:
        """Finish the archive writes a killed run left (`archive write interrupted` in `sohoa ledger verify` and
        `sohoa audit`) without the scan: for each record whose record.json and files are stored, write what the
        end of archiving writes — the ledger entries missing and the index entry."""
        from classify.review import as_corrected
        from flows.cli import _errors_as_json, _fail, _print_json, out
        from flows.pipeline import archive_write_lock
        from sohoa.errors import SohoaError
        from storage import LocalArchive, archive_location, index_archived
        from storage.claims import remove_abandoned
        from storage.ledger import Ledger

        _errors_as_json(as_json)
        settings, store = _open(archive)
        damaged: list[DamagedRecord] = []  # no interrupted write: named, left as they are, the others finished
        try:
            with archive_write_lock(archive_location(settings)):  # as a put: one writer at a time
                # what a killed writer (a batch, or this command killed mid-append) left half-written, as a batch
                # removes it before it archives (QA: a `.NNN.json.part-*` of the ledger stayed until the next batch)
                partials = store.remove_partials() if isinstance(store, LocalArchive) and not dry_run else []
                writes = store.finish_interrupted(dry_run=dry_run, damaged=damaged)
                claims = remove_abandoned(store, dry_run=dry_run)
                retained_head = Ledger(store).retain_head(dry_run=dry_run)
        except SohoaError as exc:  # the server gone, a write refused: what was finished stays finished
            raise _fail(str(exc), 3) from exc
        for partial in partials:  # on stderr, as a batch says it
            logging.getLogger("sohoa").warning(
                "đã xóa %s, do một lần chạy bị gián đoạn để lại / removed %s, left by an interrupted run",
                partial,
                partial,
            )
        _say_damaged(damaged)
        for claim in claims:  # on stderr, as the partials
            holder_vi, holder_en = claim.holder()
            verb_vi, verb_en = ("sẽ xóa", "would remove") if dry_run else ("đã xóa", "removed")
            logging.getLogger("sohoa").warning(
                "%s %s, của %s, bị bỏ lại / %s %s, left by %s",
                verb_vi,
                claim.key,
                holder_vi,
                verb_en,
                claim.key,
                holder_en,
            )
        if not dry_run:
            for write in writes:
                record = store.get(write.record_id) if write.finished and write.record_id else None
                if record is not None:  # searchable, as the rerun of its batch would make it
                    index_archived(as_corrected(record, settings), settings, unless_indexed=True)
        refused = [w for w in writes if not w.finished]
        if as_json:
            _print_json(
                {
                    "archive": store.location,
                    "dry_run": dry_run,
                    "finished": len(writes) - len(refused),
                    "not_finished": len(refused),
                    "ok": not refused and not damaged,
                    "writes": [w.to_json_dict() for w in writes],
                    "removed_partials": [str(p) for p in partials],
                    "removed_claims": [claim.key for claim in claims],
                    "retained_ledger_entry": retained_head,
                    "damaged": [lost.to_json_dict() for lost in damaged],
                }
            )
            raise typer.Exit(1 if refused or damaged else 0)
        for write in writes:
            if not write.finished:
                out.print(
                    f"[red]không hoàn tất được / not finished: {escape(write.reason_vi)} / {escape(write.reason)}[/]"
                )
                continue
            # each part Vietnamese / English (QA69: "(its ledger entries were written before)" in English only);
            # the entries' actions are the ledger's own words, as `ledger verify` and the audit give them
            entries = ", ".join(f"{seq} {action}" if seq else action for seq, action in write.ledger_entries)
            wrote = f"mục chỉ mục / index entry {write.index_entry}" + (
                f"; mục sổ nhật ký / ledger entries: {entries}"
                if entries
                else " (các mục sổ nhật ký đã ghi từ trước / its ledger entries were written before)"
            )
            verb = "sẽ hoàn tất / would finish" if dry_run else "đã hoàn tất / finished"
            out.print(
                f"hồ sơ / record {write.record_id} ({escape(write.prefix)}): {verb} — {escape(wrote)}", highlight=False
            )
        if retained_head is not None:
            verb = "sẽ đặt / would put" if dry_run else "đã đặt / put"
            out.print(
                f"mục sổ nhật ký mới nhất {retained_head}: {verb.split(' / ')[0]} thời hạn lưu giữ vĩnh viễn mà lần "
                f"ghi bị gián đoạn chưa đặt / newest ledger entry {retained_head}: {verb.split(' / ')[1]} the "
                "permanent retention an interrupted write left unset",
                highlight=False,
            )
        if not writes and retained_head is None:
            out.print("không có lần lưu nào bị gián đoạn / no interrupted archive write: nothing to do")
        else:
            done = len(writes) - len(refused)
            out.print(
                (f"{done} sẽ hoàn tất / would be finished" if dry_run else f"{done} đã hoàn tất / finished")
                + f", {len(refused)} không hoàn tất được / not finished"
                + (" (--dry-run: nothing written)" if dry_run else "")
            )
        raise typer.Exit(1 if refused or damaged else 0)

    @ledger_app.command(
        "seal",
        epilog="Examples:\n\n  sohoa ledger seal --dry-run\n\n  sohoa ledger seal\n\n"
        "  sohoa ledger seal --archive s3://sohoa/xa --json\n\n"
        "For records archived by a sohoa from before 2026-11-30 16:38 UTC (`sidecar_unchecked` in `sohoa audit`): "
        "their 'archived' ledger entry holds no SHA-256 of their record.json, so a rewrite of it passes every check. "
        "This writes, per such record, a 'sealed' ledger entry holding the SHA-256 of its record.json as it is now, "
        "and names it in the record's index entry: from then on list, get, export, ledger verify and the audit "
        "check it. It records the present state: run it once after upgrading, after an audit that passed (compare "
        "with a backup or an export if in doubt). Records already checked are left alone; run again, it writes "
        "nothing.\n\n"
        "Exit codes: 0 sealed (or nothing to seal); 1 a record's record.json cannot be read, or is not the one the "
        "ledger recorded as archived (its entry gone or edited; named, not sealed); "
        "2 usage; 3 archive unavailable.",
    )
    def ledger_seal(
        archive: ArchiveOption = None,
        as_json: JsonOption = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only say which records would be sealed; change nothing.")
        ] = False,
    ) -> None:
        """Bring the records an older sohoa archived under the record.json check: a 'sealed' ledger entry holding
        the SHA-256 of each one's record.json as it is now."""
        from flows.cli import _errors_as_json, _fail, _print_json, out
        from flows.pipeline import archive_write_lock
        from sohoa.errors import SohoaError
        from storage import archive_location
        from storage.ledger import seal_unchecked

        _errors_as_json(as_json)
        settings, store = _open(archive)
        damaged: list[DamagedRecord] = []
        try:
            with archive_write_lock(archive_location(settings)):  # the ledger has one writer at a time
                sealed = seal_unchecked(store, dry_run=dry_run, damaged=damaged)
        except SohoaError as exc:  # the server gone, a write refused: what was sealed stays sealed
            raise _fail(str(exc), 3) from exc
        _say_damaged(damaged)
        if as_json:
            _print_json(
                {
                    "archive": store.location,
                    "dry_run": dry_run,
                    "sealed": [record.to_json_dict() for record in sealed],
                    "damaged": [lost.to_json_dict() for lost in damaged],
                    "ok": not damaged,
                }
            )
            raise typer.Exit(1 if damaged else 0)
        verb = "sẽ niêm phong / would seal" if dry_run else "đã niêm phong / sealed"
        for record in sealed:
            entry = f", mục / entry {record.entry}" if record.entry is not None else ""
            out.print(
                f"{record.record_id} ({escape(record.prefix or '')}): {verb} record.json "
                f"SHA-256 {record.sidecar_sha256[:16]}…{entry}",
                highlight=False,
            )
        out.print(
            f"{len(sealed)} hồ sơ / record(s) {verb.split(' / ')[0]} / {verb.split(' / ')[1]}"
            + (" (--dry-run: không ghi gì / nothing written)" if dry_run else "")
            if sealed
            # not "every record.json is checked" beside a record whose ledger entry is gone (named above, QA65)
            else "không có hồ sơ nào cần niêm phong / no record to seal"
            if damaged
            else "không có hồ sơ nào cần niêm phong: mọi record.json đều được kiểm tra / no record to seal: every "
            "record.json is checked"
        )
        raise typer.Exit(1 if damaged else 0)

    app.add_typer(ledger_app, name="ledger")

    @app.command(
        epilog="Examples:\n\n  sohoa export 3f2a9c0d1e2b4a5c audit-bag/\n\n"
        "  sohoa export --batch 20251119T180012Z-3fa9c1 batch-bag/ --json\n\n  sohoa export --batch 19/11/2025 day-bag/"
        "\n\nExit codes: 0 exported; 1 no such record or batch, or an archived object no longer matches its SHA-256 "
        "or its record.json cannot be read (no package); 2 usage (OUT already exists, or is under a file; a --batch "
        "day no calendar has); 3 "
        "archive unavailable, or OUT cannot be written."
    )
    def export(
        args: Annotated[
            list[str],
            typer.Argument(
                metavar="RECORD_ID OUT | --batch ID|DAY OUT", help="Record id and new folder, or the folder."
            ),
        ],
        batch: Annotated[
            str | None,
            typer.Option(
                "--batch",
                metavar="ID|DAY",
                help="Export every record of this batch (the batch_id of `sohoa process --json`), or of a day "
                "DD/MM/YYYY or YYYY-MM-DD (records archived that day in Vietnam time), as one package.",
            ),
        ] = None,
        archive: ArchiveOption = None,
        as_json: Annotated[
            bool,
            typer.Option(
                "--json",
                help="Print JSON: the package, the records in it (id, type, number, source), its file count and "
                "payload bytes; an error as {path, error, exit_code}.",
            ),
        ] = False,
    ) -> None:
        """Export a record, or a whole batch, as a BagIt package (files, sidecars, ledger excerpt, trust anchors;
        an officer's correction beside the record.json as correction.json; README.txt says how to check it)."""
        from classify.review import correction_of
        from flows.cli import _check_trust_sources, _errors_as_json, _fail, _print_json, out
        from sohoa.vietnamese import vn_date
        from storage import ArchiveIntegrityError, ArchiveUnavailableError
        from storage.export import bag_totals, batch_day, export_bag, export_batch_bag, original_name

        _errors_as_json(as_json)
        if len(args) != (1 if batch else 2):
            raise _fail("export: expected RECORD_ID OUT, or --batch ID OUT")
        lot = f"trong lô {batch}"  # how the messages name it
        shown = f"lô / batch {batch}"
        if batch:
            try:  # a day as officers write it (02/12/2026) or ISO: one day in Vietnam, ISO in the bag (QA59)
                day = batch_day(batch)
            except ValueError:  # it was looked for as a day and found nothing (QA)
                raise _fail(
                    f"--batch {batch}: không phải ngày có thật / not a real date (DD/MM/YYYY or YYYY-MM-DD)"
                ) from None
            if day is not None:
                batch, lot, shown = day, f"lưu kho ngày {vn_date(day)}", f"ngày / day {vn_date(day)}"
        out_dir = existing_spelling(Path(args[-1]))  # as its folders are spelled (QA80: a look-alike was made)
        # QA: OUT under a file ended as "[Errno 20] Not a directory: 'exp/afile/.x.part-export'", naming the
        # temporary folder; said in words, before the archive is opened, as `get --out` says it
        _check_folder_path(
            out_dir, out_dir.parent, "OUT", "OUT is a new folder for the package, in a folder that exists or is made"
        )
        settings, store = _open(archive)
        _check_trust_sources(settings)
        anchors = list(settings.trust_roots)
        dev_ca = settings.keys_dir / "dev-ca.pem"
        if settings.trust_dev_ca and dev_ca.exists():
            anchors.append(dev_ca)
        corrections: dict[str, Classification] = {}

        def corrected(record_id: str) -> Classification | None:  # an officer's correction, kept for --json too
            if (found := correction_of(settings, record_id)) is not None:
                corrections[record_id] = found
            return found

        try:
            if batch:
                try:
                    _, records = export_batch_bag(
                        store, batch, out_dir, anchors, corrected, organization=settings.organization
                    )
                except LookupError as exc:
                    raise _fail(f"Không có hồ sơ nào {lot} / {exc}", 1, out_dir) from exc
            else:
                read = _record(store, args[0])  # its record.json and index entry are not read again for the check
                record = read.record
                export_bag(store, read, out_dir, anchors, corrected(record.id), organization=settings.organization)
                records = [record]
        except ArchiveIntegrityError as exc:  # a damaged archive object: 1, as `sohoa get --out` says it
            raise _fail(_refusal(exc, "không xuất gói", "nothing exported"), 1, out_dir) from exc
        except ArchiveUnavailableError as exc:
            raise _fail(str(exc), 3, out_dir) from exc
        except FileExistsError as exc:
            raise _fail(str(exc), 2, out_dir) from exc
        except OSError as exc:  # the folder cannot be written (no permission, disk full): the machine, as for get
            raise _fail(
                f"{out_dir}: không ghi được gói / cannot write the package: {exc.strerror or exc}", 3, out_dir
            ) from exc
        if as_json:
            size, count = bag_totals(out_dir)
            rows = []
            for record in records:
                c = corrections.get(record.id) or record.classification
                rows.append(
                    {
                        "id": record.id,
                        "doc_type": c.doc_type if c else None,
                        "number": c.number if c else None,
                        "corrected": record.id in corrections,
                        "source": original_name(record),  # a stack's document: A.pdf#3, as list --json
                        "source_label": record.source.label(),
                        "source_sha256": record.source.sha256,
                    }
                )
            _print_json(
                {
                    "bag": str(out_dir),
                    "batch": batch,
                    "records": rows,
                    "files": count,
                    "payload_bytes": size,
                }
            )
            return
        if batch:
            out.print(
                f"{shown}: {len(records)} hồ sơ / record(s), gói BagIt tại / BagIt package in {out_dir}",
                markup=False,
            )
        else:
            out.print(f"hồ sơ / record {records[0].id}: gói BagIt tại / BagIt package in {out_dir}", markup=False)

    @app.command(
        epilog="Examples:\n\n  sohoa audit\n\n  sohoa audit --json --renew-within 730\n\n  sohoa audit --no-renew\n\n"
        "  sohoa audit --fixity-only --json\n\n  sohoa audit --html audit-2026-12-06.html\n\n"
        "Exit codes: 0 all in order (warnings said, such as records signed with the development identity: 'OK, "
        "with warnings'); 1 something needs attention (an object changed or missing, a signature not "
        "passed, a renewal due and not done or failed, the ledger broken); 2 usage (no archive at the location, a "
        "bad option or setting, a configured trust source not there, an --html path that is not to be written); 3 "
        "the archive cannot be read."
    )
    def audit(
        archive: ArchiveOption = None,
        as_json: JsonOption = False,
        renew: Annotated[
            bool,
            typer.Option(
                "--renew/--no-renew",
                help="Renew document timestamps that need it (needs a TSA). Renewing WRITES to the archive (a renewed "
                "document.pdf and ledger entries): an auditor checking an archive that is not theirs gives "
                "--no-renew.",
            ),
        ] = True,
        renew_within: Annotated[
            int | None,
            typer.Option(
                "--renew-within",
                metavar="DAYS",
                min=0,
                help="Renew when the protection ends within DAYS (default SOHOA_AUDIT_RENEW_WITHIN_DAYS, 365).",
            ),
        ] = None,
        fixity_only: Annotated[
            bool, typer.Option("--fixity-only", help="Only re-hash the objects and check the ledger (no PDF reading).")
        ] = False,
        html_out: Annotated[
            Path | None,
            typer.Option(
                "--html",
                metavar="FILE",
                callback=spelled_output,
                readable=False,  # an existing file sohoa cannot read: refused by its own check, in both languages
                help="Write the report to FILE as one printable, self-contained HTML page (vi + en), for filing, "
                "instead of the text (--json still prints); never over a file that is not a report sohoa wrote.",
            ),
        ] = None,
    ) -> None:
        """Archive audit: fixity of every object, every signature verified again, B-LTA document timestamps renewed
        before what they rest on expires, the ledger checked; exit 1 when anything needs attention."""
        from flows.cli import _check_trust_sources, _errors_as_json, _fail, _print_json, err, out
        from sohoa.errors import SohoaError
        from storage import fixity_audit

        _errors_as_json(as_json)
        settings, store = _open(archive)
        if html_out is not None:
            # as `verify --html`: never over a file that is not a report, a folder, or into the archive; said
            # before anything is audited
            from flows.commands_signing import _html_report_refusal
            from storage import LocalArchive

            if fixity_only:
                raise _fail("--html: chỉ cho kiểm tra đầy đủ / only for the full audit, not with --fixity-only")
            folders = [store.root.resolve()] if isinstance(store, LocalArchive) else []
            if (refusal := _html_report_refusal(html_out, [], folders)) is not None:
                raise _fail(refusal, path=html_out)
        if not fixity_only:  # the signatures are verified again through the trust roots
            _check_trust_sources(settings)
        if fixity_only:
            report = fixity_audit(store)
            from flows.ledger_check import problem_in_vietnamese

            if as_json:
                payload = report.to_json_dict()
                # as the text says them, as the full audit's and `ledger verify --json`'s (QA99 F3)
                payload["problems_vi"] = {
                    rid: list(map(problem_in_vietnamese, said)) for rid, said in report.problems.items()
                }
                _print_json(payload)
            else:
                for rid, problems in report.problems.items():
                    for problem in problems:
                        out.print(f"[red]{_problem_owner(rid)}: {escape(problem_in_vietnamese(problem))}[/]")
                # drift: a record's objects; the ledger or objects outside the records alone are no drift (QA72: an
                # edited "archived" entry headlined DRIFT here, "unvouched" in the full audit)
                verdict = (
                    "đạt / ok"
                    if report.ok
                    else "[red]SAI LỆCH / DRIFT[/]"
                    if report.drifted
                    else "[red]cần xử lý / ATTENTION (sổ nhật ký, hoặc đối tượng ngoài mọi hồ sơ / the ledger, or "
                    "objects outside every record)[/]"
                )
                out.print(f"{report.records} hồ sơ / records, {report.objects} đối tượng / objects: {verdict}")
                if report.sidecar_unchecked:  # as the full audit says them (QA62: "đạt / ok", not a word)
                    from flows.audit import unchecked_sidecars_warning

                    out.print(f"[yellow]{escape(unchecked_sidecars_warning(report.sidecar_unchecked))}[/]")
            raise typer.Exit(0 if report.ok else 1)

        from flows.audit import (
            CORRECTED_MARK,
            COUNT_WORDS,
            FIXITY_WORDS,
            RENEWAL_WORDS,
            audit_archive,
            audit_records,
            record_warning_words,
        )
        from flows.commands_signing import _verify_progress
        from flows.ledger_check import ledger_verdict, problem_in_vietnamese

        # a progress bar on stderr when it is a terminal (QA58: an audit said nothing until its table), --json too
        progress = _verify_progress()

        def counted(settings: Any, renew: bool, days: int) -> list[Any]:
            task = progress.add_task("Kiểm tra kho / auditing", total=None)
            rows = []
            for row in audit_records(settings, renew=renew, renew_within_days=days):
                rows.append(row)
                progress.advance(task)
            return rows

        try:
            with progress:
                full = audit_archive(settings, renew=renew, renew_within_days=renew_within, check_records=counted)
        except SohoaError as exc:
            raise _fail(str(exc), 3) from exc
        if html_out is not None:
            from flows.audit_report import render_audit_html
            from sohoa.fsutil import atomic_write_text

            try:  # whole or not at all, as verify's
                html_out.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_text(html_out, render_audit_html(full))
            except OSError as exc:
                raise _fail(
                    f"{html_out}: không ghi được báo cáo / cannot write the report: {exc}", path=html_out
                ) from exc
            counts = full.counts()
            (err if as_json else out).print(
                f"Báo cáo / Report: {html_out} — {full.verdict()} ({counts['records']} hồ sơ / records, "
                f"{counts['failed']} có lỗi / with problems)",
                markup=False,
                highlight=False,
            )
        if as_json:
            _print_json(full.to_json_dict())
            raise typer.Exit(full.exit_code)
        if html_out is not None:
            raise typer.Exit(full.exit_code)
        if full.header is not None:  # the filing facts first, as `verify --text` gives them (QA65: none)
            from signing.report import header_text

            title = "Báo cáo kiểm tra kho lưu trữ / Archive audit report"
            out.print("\n".join(header_text(full.header, title)), markup=False, highlight=False, emoji=False)
        table = Table(title=f"Kiểm tra kho lưu trữ / archive audit: {escape(full.archive)}")
        columns = ("hồ sơ / record", "loại / type", "số / number", "toàn vẹn / fixity", "chữ ký / signatures")
        for column in (*columns, "bảo vệ đến / protected until", "gia hạn / renewal"):
            table.add_column(column)
        for r in full.records:
            signatures = r.signature_summary()
            table.add_row(
                # the words in full are the markdown's (NOT_INDEXED); the lines below the table say the rest
                r.record_id + ("\n[red]chưa vào chỉ mục /\nnot indexed[/]" if r.interrupted_write else ""),
                # as the office now knows it: an officer's correction, as `list` shows it (QA59: audit showed
                # "unknown" where list, get and search showed TB); the JSON keeps the archived type beside it
                escape(r.shown_type()) + (f"\n[yellow]{CORRECTED_MARK}[/]" if r.corrected else ""),
                escape(r.shown_number()),
                # the English word in capitals, as the outcome words of a failure are
                "ok" if r.fixity == "ok" else f"[red]{FIXITY_WORDS[r.fixity].replace(r.fixity, r.fixity.upper())}[/]",
                signatures if r.signatures_passed else f"[red]{signatures}[/]",
                vn_date(day_vn(r.protected_until)) if r.protected_until else "",  # Vietnam's day; JSON ISO
                RENEWAL_WORDS.get(r.renewal, r.renewal)
                if r.renewal in ("renewed", "not_needed")
                else f"[red]{RENEWAL_WORDS.get(r.renewal, r.renewal)}[/]",
            )
        out.print(table)
        for rid, problems in full.to_json_dict()["problems"].items():
            for problem in problems:
                out.print(f"[red]{_problem_owner(rid)}: {escape(problem_in_vietnamese(problem))}[/]")
        for r in full.records:  # verify's warnings (QA65: "DEVELOPMENT ONLY identity" on every record, unsaid)
            for warning in r.warnings:
                out.print(f"[yellow]{r.record_id}: {escape(record_warning_words(warning))}[/]")
        counts = full.counts()
        # every count of --json and the markdown, in the same words (QA65: `failed` was in neither the text nor its
        # order); a renewal that was tried and failed (the TSA down, …) is not one that is due and was not tried
        # (renewal off, no TSA, no certificate that protects longer): each is counted under its own words
        said = [f"{COUNT_WORDS.get(key, key)} {value}" for key, value in counts.items() if key != "ledger_entries"]
        out.print(
            "; ".join(said)
            + f"; sổ nhật ký / ledger {counts['ledger_entries']} mục / entries "
            + ledger_verdict(full.ledger_problems, _red),
            highlight=False,
        )
        for warning in full.ledger_warnings:  # not a failure: what the ledger cannot prove (no outside anchor)
            out.print(f"[yellow]{escape(warning)}[/]")
        for warning in full.warnings:  # not a failure either, but loud: signed with the development identity
            out.print(f"[bold yellow]{escape(warning)}[/]")
        if not full.ok:
            out.print("Kết quả / result: [red]cần xử lý / ATTENTION[/]")
        elif full.warnings:  # it said a plain "đạt / OK" over records of no legal value (QA65)
            out.print("Kết quả / result: [bold yellow]đạt, có cảnh báo / OK, with warnings[/]")
        else:
            out.print("Kết quả / result: [green]đạt / OK[/]")
        raise typer.Exit(full.exit_code)
