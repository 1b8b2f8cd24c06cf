"""The archive's signed documents as `sohoa verify --archive` checks them: through the archive's records, on either
backend, each read back against the SHA-256 its record holds, and every ``document.pdf`` that no record names.

Until 2026-12-01 a local archive was globbed for ``*/document.pdf`` (QA): another record's file copied over one,
appended bytes, a deleted file (the record silently left out) or a planted record-shaped folder all verified as
archived documents, exit 0, while `sohoa audit` said DRIFT."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sohoa.record import Record
from storage.base import (
    INDEX_DIR,
    LEDGER_DIR,
    SIDECAR,
    ArchiveIntegrityError,
    BaseArchive,
    DamagedRecordError,
    sha256_bytes,
)
from storage.ledger import (
    Ledger,
    archived_folder,
    archived_not_disposed,
    excerpts_of,
    gone_words,
    verified_record,
)

SIGNED_ROLE = "signed"
# the name the pipeline gives a record's signed file (flows.pipeline.SIGNED_NAME; storage does not import flows)
SIGNED_NAME = "document.pdf"


@dataclass(frozen=True)
class SignedDocument:
    """One signed document of the archive, under its key: its bytes as the record archived them (``data``), or why
    there are none to verify (``problem`` in English, ``problem_vi`` in Vietnamese: a failed entry of the report).
    ``damaged``: the archive's own record of it does not hold — its record cannot be read (``DamagedRecord``: its
    record.json not JSON or no record, or its index entry not one), its record.json is missing, another record's or
    disagrees with the ledger, or the signed file it names is missing or changed — so the archive is not intact: a
    verdict (class failed). A ``document.pdf`` no record names (put there by hand, or left by an interrupted
    write) is not ``damaged``: the file has no verdict (class error). ``sha256``: the SHA-256 of ``data``, just
    checked against the one its record holds (the report gives it without hashing the bytes again). ``found``: the
    bytes in the signed file's place when they are not the archived ones (SHA-256 mismatch), so that the report can
    give their SHA-256 and their signatures' verdict beside the problem (QA58: it said the file could not be read).
    ``detail``: what the archive's check said, for a technician (the problem names the fault in both languages)."""

    key: str
    record_id: str | None
    data: bytes | None = None
    sha256: str | None = None
    problem: str = ""
    problem_vi: str = ""
    damaged: bool = False
    found: bytes | None = None
    detail: str = ""


def _not_intact(key: str, record_id: str, english: str, vietnamese: str) -> SignedDocument:
    """A signed document whose record, as the archive holds it, does not hold (``SignedDocument.damaged``)."""
    return SignedDocument(key, record_id, problem=english, problem_vi=vietnamese, damaged=True)


def _archived_document(record_id: str, entry: dict[str, Any]) -> str:
    """The key the signed document of a record gone from the archive had, as its "archived" ledger entry names its
    folder ("{location}/{year}/{type}/{number}--{id}; retained until …"); that entry's own key when it does not."""
    if (folder := archived_folder(record_id, entry)) is not None:
        return f"{folder}/{SIGNED_NAME}"
    return f"{LEDGER_DIR}/{int(entry.get('seq') or 0):012d}.json"


def signed_documents(archive: BaseArchive, under: str | None = None) -> Iterator[SignedDocument]:
    """Every record's signed document, in index order, then every ``document.pdf`` outside the records' folders.
    ``under``: only the records whose folder is that key prefix or inside it, and the loose ``document.pdf`` files
    there (`sohoa verify` given a record's folder, or a file of one, inside a local archive).

    A record is taken as its index entry names it; its record.json is checked against its "archived" ledger entry
    (``verified_record``: a record.json rewritten to match a replaced file is no authority), and its signed file
    against the SHA-256 that record.json holds. A record whose index entry or record.json cannot be read, or whose
    signed file is missing or differs, is a ``SignedDocument`` with a problem, never left out."""
    index = list(archive.indexed_sha256s())
    # the whole archive is also held against the ledger (a record removed whole is in no index entry): read once,
    # for that and for the records whose index entry names no ledger entry
    ledger = list(Ledger(archive).entries()) if under is None else None
    excerpts: dict[str, list[dict[str, Any]]] | None = None  # the ledger read once, when a record needs it
    records: list[Record] = []
    named: set[str] = set()  # record folders the index names, readable or not: not reported again as loose

    def inside(prefix: str) -> bool:
        return under is None or prefix == under or prefix.startswith(under + "/")

    for sha256 in index:
        index_key = f"{INDEX_DIR}/{sha256}.json"
        record_id = sha256[:16]
        damaged = False
        try:
            prefix = archive.indexed_prefix(sha256)
        except DamagedRecordError:
            prefix, damaged = None, True
        if prefix is None:
            if under is not None and not under.rstrip("/").endswith(record_id):  # not knowable where: its own folder
                continue
            yield SignedDocument(
                index_key,
                record_id,
                problem=f"record {record_id}: its index entry {index_key} is unreadable (edited or damaged): the "
                "record cannot be found, so its signed document is not verified",
                problem_vi=f"hồ sơ {record_id}: mục chỉ mục {index_key} không đọc được (bị sửa hoặc hỏng), không "
                "tìm được hồ sơ nên không xác minh được tài liệu đã ký",
                damaged=damaged,
            )
            continue
        named.add(prefix)
        if not inside(prefix):
            continue
        where = f"record {record_id} ({prefix})"
        where_vi = f"hồ sơ {record_id} ({prefix})"
        document = f"{prefix}/{SIGNED_NAME}"
        raw = archive._read(f"{prefix}/{SIDECAR}")
        if raw is None and archive.folder_gone(prefix):
            yield _not_intact(
                document,
                record_id,
                f"{where}: its folder is gone ({SIDECAR} and every file of the record; the index still lists it): "
                "nothing to verify",
                f"{where_vi}: thư mục của hồ sơ đã mất ({SIDECAR} và mọi tệp của hồ sơ; chỉ mục vẫn còn hồ sơ này) — "
                "không có gì để xác minh",
            )
            continue
        if raw is None:
            yield _not_intact(
                document,
                record_id,
                f"{where}: its {SIDECAR} is missing, so nothing says which file was archived: not verified",
                f"{where_vi}: {SIDECAR} bị thiếu, không biết tệp nào đã được lưu trữ — không xác minh",
            )
            continue
        try:
            record = archive.parsed_record(sha256, prefix, raw)
        except DamagedRecordError as exc:  # not a record, or another record's (``parsed_record`` checks both)
            why, why_vi = exc.damaged.why, exc.damaged.why_vi
            if exc.damaged.kind == "foreign":
                yield _not_intact(
                    document,
                    record_id,
                    f"{where}: its {SIDECAR} is that of record {why}: not verified",
                    f"{where_vi}: {SIDECAR} là của hồ sơ {why_vi} — không xác minh",
                )
                continue
            yield _not_intact(
                document,
                record_id,
                f"{where}: its {SIDECAR} is unreadable ({why}), so nothing says which file was archived: not verified",
                f"{where_vi}: {SIDECAR} không đọc được ({why_vi}), không biết tệp nào đã được lưu trữ — không xác minh",
            )
            continue
        if excerpts is None and archive.archived_seq(record) is None:  # archived before index entries held it
            ids = [sha[:16] for sha in index]
            entries = ledger if ledger is not None else list(Ledger(archive).entries())
            excerpts = excerpts_of((entry for _, entry in entries), ids)
        try:
            record, _ = verified_record(archive, record, excerpts.get(record.id) if excerpts is not None else None)
        except ArchiveIntegrityError as exc:
            # the exception's own words (Vietnamese and English) are the detail: the English half was "…; nothing
            # handed out; the SHA-256 it holds…" with Vietnamese inside it (QA58)
            yield dataclasses.replace(
                _not_intact(
                    document,
                    record_id,
                    f"{where}: its {SIDECAR}, or the ledger entry that recorded its archiving, was changed or lost "
                    "since, so the SHA-256 it holds for the signed file cannot be relied on: not verified",
                    f"{where_vi}: {SIDECAR} hoặc mục sổ nhật ký ghi việc lưu trữ đã bị sửa hoặc mất, không tin "
                    "được mã SHA-256 ghi cho tệp đã ký — không xác minh",
                ),
                detail=str(exc),
            )
            continue
        records.append(record)
        signed = [stored for stored in record.objects if stored.role == SIGNED_ROLE]
        if not signed:
            yield _not_intact(
                document,
                record_id,
                f"{where}: the record has no signed document",
                f"{where_vi}: hồ sơ không có tài liệu đã ký",
            )
        for stored in signed:
            data = archive._read(stored.key)
            if data is None:
                yield _not_intact(
                    stored.key,
                    record_id,
                    f"record {record_id}: {stored.key} is missing from the archive",
                    f"hồ sơ {record_id}: tài liệu đã ký {stored.key} bị thiếu trong kho",
                )
            elif sha256_bytes(data) != stored.sha256:
                yield dataclasses.replace(
                    _not_intact(
                        stored.key,
                        record_id,
                        f"record {record_id}: {stored.key}: SHA-256 mismatch — not the file archived (replaced "
                        f"or changed since; the record holds SHA-256 {stored.sha256}; `sohoa audit` names it too)",
                        f"hồ sơ {record_id}: {stored.key} không khớp mã SHA-256 đã ghi khi lưu trữ — không "
                        f"phải tệp đã lưu (bị thay hoặc sửa sau đó; hồ sơ ghi SHA-256 {stored.sha256})",
                    ),
                    found=data,
                )
            else:
                yield SignedDocument(stored.key, record_id, data=data, sha256=stored.sha256)
    unfinished, stray = archive.outside_records(records)
    if ledger is not None:
        # records the ledger says were archived, and not disposed of, that no index entry lists: removed whole
        # (folder and index entry) they passed "4/4", exit 0, while the audit and `ledger verify` named them (QA65). A
        # folder left without its index entry (an interrupted write, or one whose index entry was deleted) is there:
        # its document.pdf is named below, as part of no record
        listed = {sha[:16] for sha in index}
        left = {write.record.id for write in unfinished if write.record is not None}
        for record_id, entry in sorted(archived_not_disposed(entry for _, entry in ledger).items()):
            if record_id in listed or record_id in left or archive.holds_record(record_id):
                continue  # the last: archived while this verified (QA69: a batch beside it)
            english, vietnamese = gone_words(record_id, entry)
            yield _not_intact(
                _archived_document(record_id, entry),
                record_id,
                f"{english}: its signed document cannot be verified",
                f"{vietnamese} — không xác minh được tài liệu đã ký",
            )
    for key in sorted([*stray, *(key for write in unfinished for key in write.keys)]):
        folder, _, name = key.rpartition("/")
        if name == SIGNED_NAME and folder not in named and inside(folder):
            yield SignedDocument(
                key,
                None,
                problem=f"{key}: part of no archived record (no index entry names its folder): put there by hand, "
                "or left by an interrupted archive write (`sohoa audit` says which) — not an archived document",
                problem_vi=f"{key}: không thuộc hồ sơ nào đã lưu trữ (chỉ mục không có thư mục này): do người đặt "
                "vào, hoặc do lần lưu bị gián đoạn để lại (sohoa audit nói rõ) — không phải tài liệu đã lưu trữ",
            )
