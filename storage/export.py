"""Export a record for auditors as a BagIt package (``bagit``), which ``bagit.py --validate`` accepts.

The bag's payload: ``data/record/`` the record's objects as archived (each read back and checked against its
recorded SHA-256), ``data/record.json`` the sidecar, ``data/ledger.json`` the custody-ledger entries of the
record, ``data/trust/`` the trust anchors (certificate files) an auditor needs to check the signature, and
``data/correction.json`` an officer's correction of the classification (``sohoa review set``) when there is one:
``record.json`` stays byte for byte the one archived (its SHA-256 is in the ledger), so the correction goes beside
it, and ``bag-info.txt``'s ``External-Description`` names the corrected type and number.

A batch (``export_batch_bag``: every record of one batch id, or archived on one UTC day) is one bag:
``data/{record id}/`` each record's objects and its ``record.json``, ``data/batch.json`` the list of records,
and once for all ``data/ledger.json`` (the ledger entries of those records, in chain order) and ``data/trust/``;
a corrected record's ``data/{record id}/correction.json`` beside its ``record.json``, and its corrected type and
number under ``correction`` in ``batch.json``, with each record's original file name (``source``: the payload keeps
the names the archive gives it, ``original.png``; consumers rely on them).

``bag-info.txt``: ``Source-Organization`` the office (``SOHOA_ORGANIZATION``; left out when unset — BagIt's
reserved elements are optional, and "sohoa" is no organisation), ``External-Identifier`` the record id or the
batch, ``Internal-Sender-Identifier`` a record's original file name (NFC; a document split from a scanned stack:
the stack's name + ``#part``, with ``Source-Stack``, ``Source-Stack-SHA256``, ``Source-Stack-Part`` and
``Source-Stack-Pages`` naming the stack), ``External-Description`` its type and number (or the batch),
``Bag-Software-Agent``. A tag file ``README.txt`` (Vietnamese and English, listed in the
tag manifests) says what the bag holds and how to check it. BagIt-Version stays 0.97: bagit-python writes no
other.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bagit

from sohoa import __version__
from sohoa.fsutil import atomic_write_bytes
from sohoa.record import Classification, Record
from sohoa.vietnamese import day_vn, parse_day, today_vn, vn_date
from storage.base import SIDECAR, ArchiveIntegrityError, BaseArchive, DamagedRecord, RecordAsRead, is_permanent
from storage.ledger import Ledger, check_entries, excerpts_of, retention_owed, verified_record

CORRECTION = "correction.json"


def correction_bytes(correction: Classification) -> bytes:
    """An officer's correction as written beside an exported or copied-out ``record.json``."""
    return correction.to_json().encode("utf-8")


README = "README.txt"


def _one_line(text: str) -> str:
    """NFC, without line breaks (a bag-info value is one line)."""
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in unicodedata.normalize("NFC", text)
    )


def original_name(record: Record) -> str:
    """The scan's own file name as it was received (NFC, no line breaks): the payload calls it ``original.EXT``.
    A document split from a scanned stack: the stack's file name + ``#part`` (``A.pdf#3``, as ``list --json``'s
    ``source``; until 2026-12-01 its scratch name ``A.pdf#3.pdf``, a file nobody dropped)."""
    return _one_line(record.source.ident())


def stack_info(record: Record) -> dict[str, str]:
    """bag-info elements of the scanned stack a document was split from (none for a scan dropped alone): its file
    name, its SHA-256 as dropped, the document's number among the stack's and its pages of the stack."""
    stack = record.source.stack
    if stack is None:
        return {}
    return {
        "Source-Stack": _one_line(stack.stack_name()),
        "Source-Stack-SHA256": stack.sha256,
        "Source-Stack-Part": str(stack.part),
        "Source-Stack-Pages": stack.pages_said(),
    }


def stack_json(record: Record) -> dict[str, Any] | None:
    """The scanned stack a document was split from, for ``batch.json`` (None for a scan dropped alone)."""
    stack = record.source.stack
    if stack is None:
        return None
    return {"name": stack.stack_name(), "sha256": stack.sha256, "part": stack.part, "pages": stack.pages}


def export_bag(
    archive: BaseArchive,
    record: Record | RecordAsRead,
    out: Path,
    trust_anchors: Iterable[Path] = (),
    correction: Classification | None = None,
    organization: str = "",
) -> Path:
    """Write the bag to ``out`` (a new folder; built beside it and renamed into place), with ``correction`` (an
    officer's, ``classify.review.correction_of``) beside the record.json; ``organization`` (SOHOA_ORGANIZATION) as
    its Source-Organization, none when empty. ArchiveIntegrityError,
    and nothing written, when an object no longer matches its SHA-256, the record.json the one its "archived"
    ledger entry recorded, or an entry of the excerpt its own hash. ``record`` as ``BaseArchive.get_as_read`` read
    it: its record.json and index entry are not read again for that check."""
    if out.exists():  # said before the ledger is read
        raise FileExistsError(
            f"{out}: đã có, hãy chọn một thư mục mới cho gói / already exists; choose a new folder for the export"
        )
    record_id = record.record.id if isinstance(record, RecordAsRead) else record.id
    excerpt = Ledger(archive).excerpt(record_id)
    check_entries(excerpt, (f"hồ sơ {record_id}", f"record {record_id}"))
    record, sidecar = verified_record(archive, record, excerpt)
    c = correction or record.classification
    corrected = f" (corrected by an officer, see {CORRECTION}; archived as {_type_number(record.classification)})"
    description = f"{_type_number(c)}{corrected if correction else ''} — source SHA-256 {record.source.sha256}"
    if record.source.stack is not None:  # that hash is the document's pages, not the stack's (Source-Stack-SHA256)
        description += f" ({_one_line(record.source.stack.said_en())} of a scanned stack)"
    info = {
        "External-Identifier": record.id,
        "Internal-Sender-Identifier": original_name(record),
        **stack_info(record),
    }
    custody = custody_said(record, excerpt)
    info["Retention-Until"] = "permanent" if custody["permanent"] else str(custody["retained_until"] or "unknown")
    info["Legal-Hold"] = "yes" if custody["legal_hold"] else "no"
    readme = _readme_record(record, correction is not None, custody)
    with _staged_bag(out, info, description, trust_anchors, organization, readme) as staging:
        _write_record(archive, record, sidecar, staging / "record", sidecar_folder=staging, correction=correction)
        (staging / "ledger.json").write_text(json.dumps(excerpt, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


@contextlib.contextmanager
def _staged_bag(
    out: Path,
    identifiers: Mapping[str, str],
    description: str,
    trust_anchors: Iterable[Path],
    organization: str,
    readme: str,
) -> Iterator[Path]:
    """A folder beside ``out`` for the caller to write the payload in; then the trust anchors, the bag's manifests
    and tags (``identifiers``: bag-info elements; ``readme``: the README.txt tag file), and a rename into place.
    Removed on any failure: a half-made export is never left as ``out``."""
    if out.exists():
        raise FileExistsError(
            f"{out}: đã có, hãy chọn một thư mục mới cho gói / already exists; choose a new folder for the export"
        )
    staging = out.with_name(f".{out.name}.part-export")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        yield staging
        _copy_trust(staging / "trust", trust_anchors)
        info = {
            **({"Source-Organization": organization.strip()} if organization.strip() else {}),
            **identifiers,
            "External-Description": description,
            "Bag-Software-Agent": f"sohoa {__version__} (bagit {bagit.VERSION})",
            # the day in Vietnam, as every other time sohoa writes (bagit wrote the server's, UTC: yesterday there
            # until 07:00); ISO, as BagIt requires
            "Bagging-Date": today_vn().isoformat(),
        }
        bag = bagit.make_bag(str(staging), info, checksums=["sha256", "sha512"])
        # a tag file beside bagit.txt (not payload: the payload is the archive's, as it was): saving the bag again
        # lists it in the tag manifests, which the validation then checks
        (staging / README).write_text(readme + _trust_lines(staging / "data" / "trust"), encoding="utf-8")
        bag.save()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def custody_said(record: Record, entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """What a hand-over lists of a record's custody, as its ledger ``entries`` say it (the ones the bag carries):
    the day it is retained until (ISO) — ``permanent`` for a class kept for ever, stored as 500 years — and
    whether a legal hold is on (QA98: only the free text of its "archived" entry said the retention, nothing the
    hold, and a civil-status record read "2526-12-04")."""
    owed = retention_owed(entries).get(record.id)
    until = owed.until if owed is not None else None
    archived = [event.at for event in record.events if event.action == "archived"]
    since = archived[-1] if archived else None
    permanent = until is not None and is_permanent(datetime.fromisoformat(until).replace(tzinfo=UTC), since)
    return {
        "retained_until": until,
        "permanent": permanent,
        "legal_hold": owed is not None and owed.held_by is not None,
    }


def _custody_lines(custody: dict[str, Any]) -> str:
    """``custody_said`` as README.txt says it, Vietnamese / English."""
    until = custody["retained_until"]
    kept = (
        "vĩnh viễn / permanent"
        if custody["permanent"]
        else (vn_date(until) if until else "không rõ (sổ nhật ký không ghi) / unknown (not in the ledger)")
    )
    held = "có / on" if custody["legal_hold"] else "không / off"
    return f"Thời hạn bảo quản / retained until: {kept}\nPhong tỏa pháp lý / legal hold: {held}\n"


def _type_number(c: Classification | None) -> str:
    return f"{c.doc_type} {c.number or ''}".strip() if c else "?"


def _write_record(
    archive: BaseArchive,
    record: Record,
    sidecar: bytes,
    folder: Path,
    sidecar_folder: Path | None = None,
    correction: Classification | None = None,
) -> None:
    """The record's objects, each read back verified (renewals too), and its sidecar as stored (``sidecar``,
    checked by ``verified_record``: its SHA-256 is the one in the ledger excerpt), in ``folder`` too unless
    ``sidecar_folder`` is given; ``correction`` beside the sidecar as ``correction.json``."""
    folder.mkdir()
    for stored in [*record.objects, *archive.added_objects(record)]:
        name = stored.key.rsplit("/", 1)[-1]
        atomic_write_bytes(folder / name, archive.read_verified(record, stored.role))
    (sidecar_folder or folder).joinpath(SIDECAR).write_bytes(sidecar)
    if correction is not None:
        (sidecar_folder or folder).joinpath(CORRECTION).write_bytes(correction_bytes(correction))


def _trust_lines(trust: Path) -> str:
    """README.txt's words on the root certificates the bag carries: each one's SHA-256 fingerprint, and that it
    must be compared with one obtained outside the bag. A bag whose document was re-signed by another identity,
    that identity's root put in data/trust/ and the manifests made again, passed the bag's own steps (QA99 F5)."""
    from signing.identity import cert_names
    from signing.report import fingerprint_words
    from signing.verify import load_trust_root_files

    loaded, _ = load_trust_root_files([trust]) if any(trust.iterdir()) else ([], [])
    if not loaded:
        return ""
    lines = ["", "Chứng thư gốc kèm theo / root certificates enclosed (data/trust/):"]
    for path, cert in loaded:
        lines += [
            f"  {path.name}: {cert_names(cert)[0]}",
            f"    SHA-256 {fingerprint_words(cert.sha256.hex())}",
        ]
    return "\n".join(lines) + (
        "\n  Gói tự nó không chứng minh được chứng thư gốc là thật: ai sửa được gói cũng thay được chứng thư và\n"
        "  ký lại. Hãy đối chiếu dấu vân tay SHA-256 trên (sohoa verify cũng in ra) với dấu vân tay do cơ quan\n"
        "  gửi gói công bố hoặc gửi qua kênh riêng (công văn, trang thông tin điện tử); khác nhau thì bước 2\n"
        "  không chứng minh gì.\n"
        "  The bag cannot prove its own root certificate genuine: whoever can alter the bag can replace it and sign\n"
        "  again. Compare the SHA-256 fingerprint above (sohoa verify prints it too) with the one the sending office\n"
        "  publishes or sends apart (a letter, its website); if they differ, step 2 proves nothing.\n"
    )


def _copy_trust(trust: Path, trust_anchors: Iterable[Path]) -> None:
    trust.mkdir()
    for anchor in trust_anchors:
        files = sorted(anchor.rglob("*")) if anchor.is_dir() else [anchor]
        for file in files:
            if file.is_file():
                shutil.copyfile(file, trust / file.name)


# what looks like a day (and is taken as one: a batch id never looks so): 2026-12-02, 02/12/2026, 2/12/2026
DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}\s*([/.-])\s*\d{1,2}\s*\1\s*\d{4}$")


def batch_day(batch: str) -> str | None:
    """The day ``batch`` names, ISO ``YYYY-MM-DD``, when it is a day as officers write one (``02/12/2026``,
    ``2/12/2026``, ``ngày 2 tháng 12 năm 2026``: ``parse_day``) or ``2026-12-02``; None when it is a batch id.
    ValueError when it looks like a day but no calendar has it (``2026-13-45``, ``31/02/2026``)."""
    if (day := parse_day(batch)) is not None:
        return day.isoformat()
    if DAY.match(batch.strip()):
        raise ValueError(f"{batch}: không phải ngày có thật / not a real date (DD/MM/YYYY or YYYY-MM-DD)")
    return None


def entry_day_vn(entry: dict[str, Any]) -> str:
    """The day in Vietnam (ISO) of a ledger entry's ``at``: the day of a batch export. Not ``entry_day``, the UTC
    day that the ledger's daily RFC 3161 stamps go by."""
    return day_vn(datetime.fromisoformat(str(entry["at"]))).isoformat()


def batch_records(archive: BaseArchive, batch: str, records: Iterable[Record] | None = None) -> list[Record]:
    """The records of a batch: ``batch`` is a batch id (``Record.batch_id``), or a day (``batch_day``: 02/12/2026
    or 2026-12-02) meaning every record archived that day in Vietnam (+07:00, the day of its ``archived`` event,
    as officers and the bag's Bagging-Date count days; until 2026-12-02 it was the UTC day). Sorted by record id.
    ``records``: the archive's records when the caller has read them. ValueError for a day no calendar has."""
    everything = archive.records() if records is None else records
    if (day := batch_day(batch)) is not None:
        chosen = [
            r for r in everything if any(e.action == "archived" and day_vn(e.at).isoformat() == day for e in r.events)
        ]
    else:
        chosen = [r for r in everything if r.batch_id == batch]
    return sorted(chosen, key=lambda r: r.id)


def export_batch_bag(
    archive: BaseArchive,
    batch: str,
    out: Path,
    trust_anchors: Iterable[Path] = (),
    correction_of: Callable[[str], Classification | None] | None = None,
    organization: str = "",
) -> tuple[Path, list[Record]]:
    """Write every record of ``batch`` (see ``batch_records``) as one bag to ``out``; LookupError when the batch
    has no record. Returns the bag and the records in it. ArchiveIntegrityError, and nothing written, as for
    ``export_bag`` — and when the ledger says a record was archived in the batch that the archive no longer lists
    (``missing_from_batch``). ``correction_of``: an officer's correction of a record, by its id (None: none), written
    beside its record.json; ``organization`` as for ``export_bag``."""
    if out.exists():  # said before the batch is looked for
        raise FileExistsError(
            f"{out}: đã có, hãy chọn một thư mục mới cho gói / already exists; choose a new folder for the export"
        )
    day = batch_day(batch)  # 02/12/2026 is 2026-12-02 in the bag (External-Identifier, batch.json)
    batch = day or batch
    # a record whose record.json cannot be read says its batch to no one: the ledger tells below whether it is one
    # of this batch (a package without it, refused), or of another (this one exported)
    unreadable: list[DamagedRecord] = []
    everything = list(archive.records(unreadable))
    damaged = {d.record_id: d for d in unreadable}
    records = batch_records(archive, batch, everything)
    # one pass over the ledger for all records (not one excerpt per record): the ledger can be long
    entries = [e for _, e in Ledger(archive).entries() if e is not None]
    ids = {r.id for r in records}
    if missing := missing_from_batch(entries, batch, ids):
        # it used to be left out without a word ("6 record(s)", exit 0, of a batch of 7)
        listed = {r.id for r in everything}
        raise ArchiveIntegrityError(
            f"batch {batch}: "
            + "; ".join(
                f"{damaged[rid].words}, archived in this batch (ledger entry {seq})"
                if rid in damaged
                else f"record {rid}: hồ sơ của lô này không còn trong kho / archived in this batch (ledger entry "
                f"{seq}) but no longer in the archive — its {SIDECAR}, its folder or its index entry is gone, or its "
                "archive write was interrupted (sohoa audit tells which)"
                if rid not in listed
                else f"record {rid}: {SIDECAR} không còn ghi lô này / archived in this batch (ledger entry {seq}) "
                f"but its {SIDECAR} no longer says so (changed since it was archived)"
                for rid, seq in missing
            )
            + "; nothing exported"
        )
    disposed = [entry for entry in disposed_from_batch(entries, batch) if entry.get("record_id") not in ids]
    if not records:
        named = f"day {vn_date(day)} (Vietnam time)" if day else f"batch {batch}"
        gone = f" ({len(disposed)} disposed of: {', '.join(str(e.get('record_id')) for e in disposed)})"
        raise LookupError(f"{named}: no archived record in {archive.location}{gone if disposed else ''}")
    excerpts = excerpts_of(entries, ids)
    # the disposed records' entries too, their "disposed" entry with the decision: the receiving archive is told
    excerpt = [e for e in entries if e.get("record_id") in ids | {entry.get("record_id") for entry in disposed}]
    check_entries(excerpt, (f"lô {batch}", f"batch {batch}"))
    checked = [verified_record(archive, record, excerpts[record.id]) for record in records]
    records = [record for record, _ in checked]
    corrections = {r.id: c for r in records if correction_of is not None and (c := correction_of(r.id)) is not None}
    gone = f", {len(disposed)} disposed of since (ledger.json)" if disposed else ""
    description = f"batch {batch}: {len(records)} record(s) from {archive.location}{gone}"
    readme = _readme_batch(batch, len(records), bool(corrections), is_day=day is not None, disposed=disposed)
    with _staged_bag(out, {"External-Identifier": batch}, description, trust_anchors, organization, readme) as staging:
        for record, sidecar in checked:
            _write_record(archive, record, sidecar, staging / record.id, correction=corrections.get(record.id))
        (staging / "ledger.json").write_text(json.dumps(excerpt, ensure_ascii=False, indent=1), encoding="utf-8")
        listing = [
            {
                "id": r.id,
                "source": original_name(r),
                "source_label": r.source.label(),
                "source_sha256": r.source.sha256,
                "source_stack": stack_json(r),
                "doc_type": r.classification.doc_type if r.classification else None,
                "number": r.classification.number if r.classification else None,
                # what a hand-over's list of files (mục lục hồ sơ nộp lưu) names of each (QA98)
                "subject": r.classification.subject if r.classification else None,
                "issued_on": r.classification.issued_on.isoformat()
                if r.classification and r.classification.issued_on
                else None,
                "pages": len(r.ocr.pages) if r.ocr else None,
                **custody_said(r, excerpts[r.id]),
                "archive_prefix": r.archive_prefix,
                "batch_id": r.batch_id,
                "correction": (
                    {"doc_type": corrections[r.id].doc_type, "number": corrections[r.id].number}
                    if r.id in corrections
                    else None
                ),
            }
            for r in records
        ]
        gone_json = [
            {
                "id": entry.get("record_id"),
                "disposed_at": entry.get("at"),
                "actor": entry.get("actor"),
                "detail": entry.get("detail"),
                "ledger_seq": entry.get("seq"),
            }
            for entry in disposed
        ]
        batch_json = {"batch": batch, "archive": archive.location, "records": listing, "disposed": gone_json}
        (staging / "batch.json").write_text(json.dumps(batch_json, ensure_ascii=False, indent=1), encoding="utf-8")
    return out, records


def missing_from_batch(entries: Iterable[dict[str, Any]], batch: str, listed: set[str]) -> list[tuple[str, int]]:
    """(record id, its "archived" entry) for each record that the ledger (``entries``, in order) says was archived
    in ``batch`` — that day in Vietnam (``batch_day``, ``entry_day_vn``), or with that batch id (entries written
    since 2026-12-01 hold it; for earlier records only their record.json says their batch, so one missing cannot be
    told) — and that is not among ``listed``, nor disposed of since. ValueError for a day no calendar has."""
    archived, _ = _batch_custody(entries, batch)
    return sorted((rid, seq) for rid, seq in archived.items() if rid not in listed)


def disposed_from_batch(entries: Iterable[dict[str, Any]], batch: str) -> list[dict[str, Any]]:
    """The "disposed" ledger entry of each record the ledger (``entries``, in order) says was archived in ``batch``
    (as ``missing_from_batch`` tells) and disposed of since, not archived again, by record id: a batch exported
    after a disposal names it, with its decision (QA98: the record was left out without a word)."""
    return sorted(_batch_custody(entries, batch)[1].values(), key=lambda entry: str(entry.get("record_id")))


def _batch_custody(entries: Iterable[dict[str, Any]], batch: str) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """By record id, the "archived" entry (its number) of each record of ``batch`` the archive should hold, and the
    "disposed" entry of each one disposed of since."""
    day = batch_day(batch)
    archived: dict[str, int] = {}
    disposed: dict[str, dict[str, Any]] = {}
    for entry in entries:
        rid, seq = str(entry.get("record_id")), entry.get("seq")
        if entry.get("action") == "disposed":
            if archived.pop(rid, None) is not None:
                disposed[rid] = entry
        elif entry.get("action") == "archived" and isinstance(seq, int):
            try:
                ours = entry_day_vn(entry) == day if day is not None else entry.get("batch_id") == batch
            except (KeyError, ValueError):  # no readable time: its edit is the ledger check's to name
                ours = False
            if ours:
                archived[rid] = seq
                disposed.pop(rid, None)
    return archived, disposed


_VERIFY = """\
Kiểm tra / How to verify (from this folder):
  1. bagit.py --validate .
     Mọi tệp khớp SHA-256/SHA-512 trong manifest-*.txt, và các tệp thẻ (như tệp này) khớp tagmanifest-*.txt.
     Every file matches its SHA-256/SHA-512 in manifest-*.txt; the tag files (this one too) tagmanifest-*.txt.
  2. sohoa verify {pdf} --trust data/trust
     Chữ ký số PAdES của văn bản, tới chứng thư gốc trong data/trust/ (hoặc SOHOA_TRUST_ROOTS).
     The PAdES signature of the document, up to the root certificates in data/trust/ (or SOHOA_TRUST_ROOTS).
  3. pdfsig {pdf}
     Công cụ của poppler-utils, độc lập với sohoa: chữ ký còn nguyên, văn bản không bị sửa sau khi ký
     (tin cậy chứng thư theo kho NSS của máy, không theo data/trust/).
     poppler-utils' tool, independent of sohoa: the signature is intact and the document unchanged since it was
     signed (it trusts certificates from the machine's NSS store, not data/trust/).
  Sổ giao nhận / the custody ledger: data/ledger.json, các mục của sổ trong kho; "hash" của mỗi mục phủ cả "prev",
  hash của mục liền trước trong sổ / the archive ledger's entries; each one's "hash" covers it and its "prev", the
  hash of the entry before it in the ledger (`sohoa ledger verify` checks the whole chain in the archive).
"""

_RECORD_FILES = """\
  {folder}original.*     bản quét như đã nhận / the scan as received (original file name: {name_note})
  {folder}document.pdf   văn bản PDF/A có lớp chữ, đã ký số / the searchable PDF/A, digitally signed
  {folder}verification.json
                         kiểm tra chữ ký ngay sau khi ký / the signature's verification right after signing
"""


def _readme_record(record: Record, corrected: bool, custody: dict[str, Any]) -> str:
    files = _RECORD_FILES.format(folder="data/record/", name_note="bag-info.txt Internal-Sender-Identifier")
    return (
        f"Gói BagIt của hồ sơ {record.id}, do sohoa xuất từ kho lưu trữ.\n"
        f"BagIt package of record {record.id}, exported by sohoa from the archive.\n"
        f"Tệp gốc / original file: {_one_line(record.source.label())}\n"
        + _custody_lines(custody)
        + (
            f"  tách từ tập quét / split from the scanned stack {_one_line(record.source.stack.stack_name())} "
            f"(SHA-256 {record.source.stack.sha256}): original.* là các trang đó / original.* holds those pages\n"
            if record.source.stack is not None
            else ""
        )
        + "\n"
        "Nội dung / Contents:\n"
        f"{files}"
        "  data/record.json       hồ sơ (OCR, phân loại, chữ ký, sự kiện) như đã lưu / the record as archived\n"
        + (
            f"  data/{CORRECTION}   cán bộ sửa loại, số / an officer's correction of type and number\n"
            if corrected
            else ""
        )
        + "  data/ledger.json       các mục sổ giao nhận của hồ sơ / the record's custody-ledger entries\n"
        "  data/trust/            chứng thư gốc để kiểm tra chữ ký / root certificates to check the signature\n\n"
        + _VERIFY.format(pdf="data/record/document.pdf")
    )


def _readme_batch(
    batch: str, count: int, corrected: bool, *, is_day: bool = False, disposed: Iterable[dict[str, Any]] = ()
) -> str:
    files = _RECORD_FILES.format(folder="data/<id>/", name_note="data/batch.json")
    vi, en = f"lô {batch}", f"batch {batch}"
    if is_day:
        vi = f"các hồ sơ lưu kho ngày {vn_date(batch)} (giờ Việt Nam)"
        en = f"the records archived on {vn_date(batch)} (Vietnam time)"
    gone = "".join(
        f"Hồ sơ {e.get('record_id')} đã hủy ngày {_disposal_day(e)} / record {e.get('record_id')} disposed of on "
        f"{_disposal_day(e)}: {_one_line(str(e.get('detail', '')))} (data/ledger.json, entry {e.get('seq')})\n"
        for e in disposed
    )
    return (
        f"Gói BagIt của {vi} ({count} hồ sơ), do sohoa xuất từ kho lưu trữ.\n"
        f"BagIt package of {en} ({count} record(s)), exported by sohoa from the archive.\n" + gone + "\n"
        "Nội dung / Contents (<id>: mã hồ sơ / the record id):\n"
        f"{files}"
        "  data/<id>/record.json  hồ sơ như đã lưu / the record as archived\n"
        + (f"  data/<id>/{CORRECTION}  cán bộ sửa loại, số / an officer's correction\n" if corrected else "")
        + "  data/batch.json        danh sách hồ sơ, tên tệp gốc / the records, with their original file names\n"
        "  data/ledger.json       các mục sổ giao nhận / the custody-ledger entries of these records\n"
        "  data/trust/            chứng thư gốc để kiểm tra chữ ký / root certificates to check the signatures\n\n"
        + _VERIFY.format(pdf="data/<id>/document.pdf")
    )


def _disposal_day(entry: dict[str, Any]) -> str:
    """The day in Vietnam of a "disposed" ledger entry, as officers write it."""
    try:
        return vn_date(entry_day_vn(entry))
    except (KeyError, ValueError):  # its time unreadable: the ledger check names that
        return str(entry.get("at"))


def bag_totals(path: Path) -> tuple[int, int]:
    """(payload bytes, payload files) of the bag at ``path``, from its Payload-Oxum."""
    size, _, count = str(bagit.Bag(str(path)).info["Payload-Oxum"]).partition(".")
    return int(size), int(count)


def validate_bag(path: Path) -> None:
    """Raise bagit.BagValidationError when the bag does not validate (payload, manifests, tag files)."""
    bagit.Bag(str(path)).validate()
