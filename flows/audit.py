"""The archive audit (issue 7): fixity of every object, re-verification of every signature, renewal of B-LTA
document timestamps before what they rest on expires, and the custody ledger. Plain functions; the weekly Prefect
deployment (``flows/prefect_audit.py``) and ``sohoa audit`` call ``audit_archive``.

Why renew: the newest timestamp of a long-term (B-LTA) PDF is validated *now* (signing.verify), so the document
stays verifiable only while the certificate of the TSA that made it (and its chain) is valid. Before that lapses a
new document timestamp is added over the file and the validation data of the previous one (pyHanko
``PdfTimeStamper.update_archival_timestamp_chain``). A PDF with no document timestamp yet (B-B, B-T, B-LT) rests
on its signer certificate too: it gets its signatures' validation data (DSS) and a first document timestamp.

The archived PDF is retained (write once): the renewed PDF — an incremental update, so it starts with the exact
bytes of the archived one — is added to the record as a new object ``document.renewed-YYYYMMDD.pdf`` (role
``signed-renewed-YYYYMMDD``) with a manifest and a ``renewed`` ledger entry (``BaseArchive.add_object``); later
audits verify and renew the newest one.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pydantic import BaseModel, Field
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation import add_validation_info
from pyhanko_certvalidator import ValidationContext

from flows.ledger_check import check_ledger_of, ledger_verdict, problem_in_vietnamese
from signing.identity import cert_names
from signing.report import (
    INDICATION_VI,
    ReportHeader,
    error_words,
    header_lines,
    indication_words,
    warning_in_vietnamese,
)
from signing.revinfo import EmbeddedRevinfo, RevinfoCurrency, chain_of, currency, signature_timestamp_tokens
from signing.services import TsaClient
from signing.verify import DEVELOPMENT_IDENTITY, FileVerification, InVietnamTime, TrustRoots, verify_pdf
from sohoa.record import Classification, Record, StoredObject
from sohoa.settings import Settings
from sohoa.vietnamese import day_vn, vn_date
from storage import (
    ArchiveUnavailableError,
    archive_exists,
    archive_location,
    no_archive_said,
    open_configured_archive,
)
from storage.base import (
    ARCHIVE_PROBLEMS,
    LEDGER_PROBLEMS,
    SIDECAR,
    BaseArchive,
    DamagedRecord,
    sha256_bytes,
)
from storage.ledger import (
    CUSTODY_ACTIONS,
    SIDECAR_ACTIONS,
    TOLD_ACTIONS,
    Ledger,
    changed_sidecar,
    retention_owed,
    sidecar_entries,
)
from storage.stamps import anchor_warning

log = logging.getLogger(__name__)

RENEWED_ROLE = "signed-renewed-"
RENEWED_ACTION = "renewed"

# renewed: a new document timestamp was added and archived; not_needed: protected beyond the window;
# needed: within the window, renewal turned off (--no-renew); needed_no_tsa: within the window, no TSA configured;
# not_extendable: a new timestamp would not protect the document any longer (its TSA chain expires no later than
# what the document rests on now: the TSA needs a new certificate), so it is not stored; failed: renewal was tried and
# did not give a verified document; skipped: not tried because the record has drift or a failed signature.
Renewal = Literal["renewed", "not_needed", "needed", "needed_no_tsa", "not_extendable", "failed", "skipped"]
_RENEWAL_FAILS = {"needed", "needed_no_tsa", "not_extendable", "failed"}


# a record's signed PDF the audit did not verify because nothing the archive vouches for names it (its record.json
# not the one archived), and its type or number, which only that record.json says
NOT_VERIFIED = "chưa xác minh / not verified"
UNKNOWN = "—"


class SignatureCheck(InVietnamTime):
    """One signature or document timestamp of the audited PDF, as ``sohoa verify`` judges it."""

    field_name: str
    kind: Literal["signature", "document_timestamp"]
    indication: str
    sub_indication: str | None = None
    signing_time: datetime | None = None
    level: str


class CorrectionAudit(BaseModel):
    """An officer's correction of a record's classification (``DATA_DIR/corrections/ID.json``)."""

    doc_type: str | None = None
    number: str | None = None
    issued_on: date | None = None


class RecordAudit(InVietnamTime):
    """What the audit found and did for one record."""

    record_id: str
    path: str | None = Field(default=None, description="the record's folder in the archive")
    interrupted_write: bool = Field(
        default=False,
        description="not in the archive's index: a run killed while archiving it left its record.json and files "
        "stored (the archive and ledger problems name it; `sohoa ledger finish` finishes it)",
    )
    sidecar_checked: bool = Field(
        default=True,
        description="its record.json was checked against the SHA-256 its 'archived' ledger entry recorded; False "
        "for a record archived before 2026-11-30 16:38 UTC, whose entry has none (a rewrite of it is not detected)",
    )
    as_archived: bool = Field(
        default=True,
        description="its record.json is the one the ledger recorded as archived; False when it was rewritten, cannot "
        "be read, or the entry that recorded it is gone or edited: then its type and number are not shown (what it "
        "says is no fact: `list` refuses it) and its signed PDF is not verified (nothing vouches for which file it is)",
    )
    doc_type: str | None = Field(default=None, description="the type as archived (sohoa read it)")
    number: str | None = Field(default=None, description="the number as archived")
    corrected: bool = Field(
        default=False, description="an officer corrected the classification (`sohoa review set`), as in `list --json`"
    )
    correction: CorrectionAudit | None = Field(
        default=None, description="the officer's type, number and date of issue (what `list`, `get`, `search` show)"
    )
    objects: int = 0
    fixity: Literal["ok", "drift", "unvouched"] = Field(
        default="ok",
        description="ok: every object matches its record.json, which the ledger vouches for; drift: an object or the "
        "record.json changed, or an object's retention or legal hold is not the one the ledger recorded; "
        "unvouched: the objects match the record.json, but the ledger entry that would vouch for it is gone or "
        "edited (until 2026-12-02 said drift, of a record nothing showed changed)",
    )
    document: str | None = Field(default=None, description="key of the signed PDF audited (the newest renewal)")
    signatures: list[SignatureCheck] = Field(default_factory=list)
    signatures_passed: bool = False
    latest_timestamp: datetime | None = None
    latest_timestamp_kind: Literal["document_timestamp", "signature_timestamp"] | None = None
    protected_until: datetime | None = Field(
        default=None, description="when the first certificate the document's validity rests on expires"
    )
    protected_by: str | None = Field(default=None, description="which certificate that is")
    revocation_current_until: datetime | None = Field(
        default=None,
        description="when the revocation data the document embeds for its newest timestamp stops being current: "
        "an offline verification after it says INDETERMINATE TRY_LATER (verify online)",
    )
    verified_online: bool = Field(
        default=False, description="an offline verification said TRY_LATER, so the audit asked the CA's services"
    )
    renewal: Renewal = "not_needed"
    renewed_object: str | None = None
    renewed_until: datetime | None = None
    problems: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="what the audit did that is not a problem")
    warnings: list[str] = Field(
        default_factory=list,
        description="what `sohoa verify` warns of for the signed PDF (its signatures' and the file's warnings, "
        "English as in its JSON; the reports say them in both languages), each once: not failures",
    )
    development_identity: bool = Field(
        default=False, description="signed with sohoa's DEVELOPMENT ONLY identity: no legal value"
    )

    def signature_summary(self) -> str:
        """``1 chữ ký hợp lệ / 1 signature TOTAL_PASSED; 2 dấu thời gian tài liệu hợp lệ / 2 document timestamps
        TOTAL_PASSED``: pyHanko names timestamp fields with a UUID each, too long for a table row; the problems name
        any field that did not pass."""
        groups: dict[tuple[str, str], int] = {}
        for s in self.signatures:
            groups[(s.kind, s.indication)] = groups.get((s.kind, s.indication), 0) + 1
        words = {
            "signature": ("chữ ký", "signature", "signatures"),
            "document_timestamp": ("dấu thời gian tài liệu", "document timestamp", "document timestamps"),
        }
        parts = [
            f"{n} {words[kind][0]} {INDICATION_VI.get(indication, indication).lower()} / "
            f"{n} {words[kind][1 + (n > 1)]} {indication}"
            for (kind, indication), n in groups.items()
        ]
        if not parts and not self.as_archived:
            return NOT_VERIFIED
        said = "; ".join(parts) or "không có / none"
        valid = all(s.indication == "TOTAL_PASSED" for s in self.signatures)
        if parts and self.fixity == "drift" and not self.signatures_passed and valid:
            # valid signatures of a file that is not the one archived (another signed PDF put in its place): the
            # count has it under "not passed", and the row says why (QA72: the row said TOTAL_PASSED alone)
            said += " — không tính là đạt: không phải tệp đã lưu / not counted as passed: not the file archived"
        return said

    def shown_type(self) -> str:
        """The type as the office now knows it (an officer's correction, as `list` shows it), else as archived; "—"
        for a record whose record.json the ledger does not vouch for (its problem says why)."""
        if not self.as_archived:
            return UNKNOWN
        return (self.correction.doc_type if self.correction else self.doc_type) or ""

    def shown_number(self) -> str:
        if not self.as_archived:
            return UNKNOWN
        return (self.correction.number if self.correction else self.number) or ""

    @property
    def failed(self) -> bool:
        return (
            bool(self.problems) or self.fixity != "ok" or not self.signatures_passed or self.renewal in _RENEWAL_FAILS
        )


class ArchiveAuditReport(InVietnamTime):
    """The whole audit: one entry per record, the ledger, and counts."""

    archive: str
    started_at: datetime
    finished_at: datetime | None = None
    renew: bool = True
    renew_within_days: int
    tsa_url: str = ""
    records: list[RecordAudit] = Field(default_factory=list)
    ledger_entries: int = 0
    ledger_problems: list[str] = Field(default_factory=list)
    archive_problems: list[str] = Field(default_factory=list, description="objects that belong to no record")
    ledger_warnings: list[str] = Field(
        default_factory=list,
        description="not failures: the ledger has no outside anchor (no daily timestamp, or finished days since the "
        "newest not stamped), in Vietnamese and English (storage.stamps.anchor_warning)",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="not failures, said loud: records signed with the DEVELOPMENT ONLY identity (no legal value), "
        "in Vietnamese and English (development_identity_warning)",
    )
    header: ReportHeader | None = Field(
        default=None,
        description="the filing facts, as `sohoa verify`'s reports give them: when, sohoa and pyHanko versions, "
        "user@host, whether revocation was fetched online, the trust anchors the signatures were verified against",
    )

    @property
    def ok(self) -> bool:
        return (
            not self.ledger_problems
            and not self.archive_problems
            and not any(r.failed or r.interrupted_write for r in self.records)
        )

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def counts(self) -> dict[str, int]:
        records = self.records
        return {
            "records": len(records),
            "objects": sum(r.objects for r in records),
            "fixity_ok": sum(r.fixity == "ok" for r in records),
            "drift": sum(r.fixity == "drift" for r in records),
            "unvouched": sum(r.fixity == "unvouched" for r in records),
            "signatures_passed": sum(r.signatures_passed for r in records),
            # verified and not passed; apart: not verified at all (nothing vouches for which file is its signed PDF,
            # or it has none) — until 2026-12-02 counted as not passed
            "signatures_not_passed": sum(not r.signatures_passed and bool(r.signatures) for r in records),
            "signatures_not_verified": sum(not r.signatures_passed and not r.signatures for r in records),
            "renewed": sum(r.renewal == "renewed" for r in records),
            "renewal_not_needed": sum(r.renewal == "not_needed" for r in records),
            "renewal_needed_not_done": sum(r.renewal in ("needed", "needed_no_tsa", "not_extendable") for r in records),
            "renewal_failed": sum(r.renewal == "failed" for r in records),
            "renewal_skipped": sum(r.renewal == "skipped" for r in records),
            "failed": sum(r.failed for r in records),
            "interrupted_writes": sum(r.interrupted_write for r in records),
            "sidecar_unchecked": sum(not r.sidecar_checked for r in records),
            "development_identity": sum(r.development_identity for r in records),
            "ledger_entries": self.ledger_entries,
            "ledger_problems": len(self.ledger_problems),
            # objects outside every record's folder (planted, an interrupted write's): counted apart from the
            # ledger's problems — the HTML listed them under the ledger, beside a count that left them out (QA74)
            "archive_problems": len(self.archive_problems),
        }

    def to_json_dict(self) -> dict[str, Any]:
        payload = self.model_dump(mode="json")  # the header's times in Vietnam time, as `verify --json` gives them
        payload["counts"] = self.counts()
        payload["ok"] = self.ok
        # the same shape as the fixity-only audit: record id (or "ledger") → problems
        problems = {r.record_id: _record_problems(r) for r in self.records if r.failed}
        if self.ledger_problems:
            problems[LEDGER_PROBLEMS] = list(self.ledger_problems)
        if self.archive_problems:
            problems[ARCHIVE_PROBLEMS] = list(self.archive_problems)
        payload["problems"] = problems
        # each problem as the text says it, Vietnamese / English (QA99 F3: English only, where `ledger verify --json`
        # gave problems_vi)
        payload["problems_vi"] = {rid: list(map(problem_in_vietnamese, said)) for rid, said in problems.items()}
        return payload

    def verdict(self) -> str:
        """``ĐẠT / OK``, ``ĐẠT, CÓ CẢNH BÁO / OK, WITH WARNINGS`` (records signed with the development identity: the
        audit said a plain OK, QA65) or ``CẦN XỬ LÝ / ATTENTION``."""
        if not self.ok:
            return "CẦN XỬ LÝ / ATTENTION"
        return "ĐẠT, CÓ CẢNH BÁO / OK, WITH WARNINGS" if self.warnings else "ĐẠT / OK"

    def markdown(self) -> str:
        """A markdown table (one row per record) and the counts: the Prefect artifact of the weekly run."""
        counts = self.counts()
        renewal_on = "bật / on" if self.renew else "tắt / off"
        lines = [
            f"## Kiểm tra kho lưu trữ / sohoa archive audit — {self.verdict()}",
            "",
            f"Kho / archive `{self.archive}`, {self.started_at.isoformat(timespec='seconds')}; gia hạn trước "
            f"{self.renew_within_days} ngày / renew within {self.renew_within_days} days ({renewal_on}; TSA "
            f"{self.tsa_url or 'không có / none'}).",
            "",
            *header_markdown(self.header),
            "| hồ sơ / record | loại / type | số / number | toàn vẹn / fixity | chữ ký / signatures | bảo vệ đến / "
            "protected until | gia hạn / renewal | vấn đề / problems |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in self.records:
            lines.append("| " + " | ".join(_cell(c) for c in record_cells(r)) + " |")
        lines += [
            "",
            f"Sổ nhật ký / ledger: {self.ledger_entries} mục / entries, " + ledger_verdict(self.ledger_problems),
        ]
        lines += [f"- {_cell(problem_in_vietnamese(p))}" for p in self.ledger_problems]
        lines += [f"- {_cell(warning)}" for warning in self.ledger_warnings]
        if self.archive_problems:
            lines += ["", f"{OUTSIDE_RECORDS}:"]
            lines += [f"- {_cell(problem_in_vietnamese(p))}" for p in self.archive_problems]
        lines += ["", *(f"**{_cell(warning)}**" for warning in self.warnings)] if self.warnings else []
        lines += ["", "| số đếm / count | giá trị / value |", "|---|---|"]
        lines += [f"| {COUNT_WORDS.get(k, k)} (`{k}`) | {v} |" for k, v in counts.items()]
        return "\n".join(lines)


# the columns of the audit's table, in the markdown and the HTML report (record_cells)
AUDIT_COLUMNS = (
    "hồ sơ / record",
    "loại / type",
    "số / number",
    "toàn vẹn / fixity",
    "chữ ký / signatures",
    "bảo vệ đến / protected until",
    "gia hạn / renewal",
    "vấn đề / problems",
)


def record_cells(r: RecordAudit) -> list[str]:
    """A record's row of the markdown and HTML reports, one cell per ``AUDIT_COLUMNS``."""
    indications = r.signature_summary()
    until = vn_date(day_vn(r.protected_until)) if r.protected_until else ""  # Vietnam's day; the JSON keeps ISO
    renewal = RENEWAL_WORDS.get(r.renewal, r.renewal)
    renewal += f" → {r.renewed_object.rsplit('/', 1)[-1]}" if r.renewed_object else ""
    fixity = FIXITY_WORDS.get(r.fixity, r.fixity)
    kind = r.shown_type() + (f" ({CORRECTED_MARK})" if r.corrected else "")
    cells = [row_id(r), kind, r.shown_number(), fixity, indications, until, renewal]
    said = [*map(problem_in_vietnamese, _record_problems(r)), *map(_note_words, r.notes)]
    cells.append("; ".join([*said, *map(record_warning_words, r.warnings)]))
    return cells


def header_markdown(header: ReportHeader | None) -> list[str]:
    """The filing facts and the trust anchors as markdown lines (none: said, with what to configure)."""
    from signing.report import NO_ANCHOR_HINT, fingerprint_words

    if header is None:
        return []
    lines = [f"- {label}: {_cell(value)}" for label, value in header_lines(header)]
    lines.append(f"- Gốc tin cậy đã nạp / Trust anchors loaded: {len(header.trust_anchors) or _cell(NO_ANCHOR_HINT)}")
    lines += [
        f"  - {_cell(a.subject)} — SHA-256 `{fingerprint_words(a.sha256)}` — `{_cell(a.file)}`"
        for a in header.trust_anchors
    ]
    lines += [f"  - cảnh báo / warning: {_cell(warning_in_vietnamese(w))}" for w in header.trust_warnings]
    return [*lines, ""]


def record_warning_words(warning: str) -> str:
    """A record's verification warning as the reports say it: ``cảnh báo / warning: … / …``."""
    return f"cảnh báo / warning: {warning_in_vietnamese(warning)}"


def _some_ids(record_ids: list[str]) -> str:
    """The first five of ``record_ids``, for a warning line: an archive's thousands would drown it."""
    return ", ".join(record_ids[:5]) + (" …" if len(record_ids) > 5 else "")


def development_identity_warning(record_ids: list[str], passing: int) -> str:
    """The audit's line for records signed with the development identity, which have no legal value (QA65: every
    record of an archive was so, each said so by `verify`, and the audit ended "đạt / OK" without a word); of those
    whose signatures passed (``passing``), that they pass only because the development CA is trusted
    (SOHOA_TRUST_DEV_CA, on by default) — not said of those that failed, nor with the CA not trusted (QA66)."""
    named, count = _some_ids(record_ids), len(record_ids)
    vi = f"cảnh báo: {count} hồ sơ ký bằng khóa THỬ NGHIỆM, không có giá trị pháp lý ({named})"
    en = f"warning: {count} record(s) signed with the DEVELOPMENT ONLY identity: no legal value ({named})"
    if passing:
        vi += f"; {passing} hồ sơ chỉ đạt vì SOHOA_TRUST_DEV_CA tin chứng thư gốc thử nghiệm, hãy tắt khi vận hành thật"
        en += (
            f"; {passing} of them pass only because SOHOA_TRUST_DEV_CA trusts the development CA: turn it off in "
            "production"
        )
    return f"{vi} / {en}"


def unchecked_sidecars_warning(record_ids: list[str]) -> str:
    """What the audit cannot prove for records whose "archived" ledger entry holds no SHA-256 of their record.json
    (archived by a sohoa from before 2026-11-30 16:38 UTC — whatever the day they were archived on): a rewrite of
    their record.json — a number changed — passes every check. Said, not failed: the office learns how much of its
    archive the check covers (QA61: an upgraded archive's audit said OK after such a rewrite, and nothing said those
    records were outside the check). QA62: it named a day ("archived before 2026-11-30"), false for records an old
    sohoa archived later; and it began unlike the other warnings ("cảnh báo: … / warning: …")."""
    named, count = _some_ids(record_ids), len(record_ids)
    return (
        f"cảnh báo: {count} hồ sơ được lưu trữ bởi một phiên bản sohoa trước 30/11/2026 16:38 UTC (mục 'archived' "
        f"của hồ sơ trong sổ nhật ký không có mã SHA-256 của record.json): record.json của chúng bị sửa thì không "
        f"lệnh nào phát hiện ({named}); sohoa ledger seal đưa chúng vào diện kiểm tra / warning: {count} record(s) "
        f"archived by a sohoa from before 2026-11-30 16:38 UTC (its 'archived' ledger entry holds no record.json "
        f"SHA-256): a rewrite of their record.json is not detected ({named}); sohoa ledger seal brings them under "
        "the check"
    )


# The counts of the audit, in words for the Prefect artifact's table (the JSON keeps the keys)
COUNT_WORDS: dict[str, str] = {
    "records": "hồ sơ / records",
    "objects": "đối tượng / objects",
    "fixity_ok": "toàn vẹn / fixity ok",
    "drift": "sai lệch / drift",
    "unvouched": "chưa xác nhận được / unvouched",
    "signatures_passed": "chữ ký đạt / signatures passed",
    "signatures_not_passed": "chữ ký không đạt / signatures not passed",
    "signatures_not_verified": "chưa xác minh chữ ký / signatures not verified",
    "renewed": "đã gia hạn / renewed",
    "renewal_not_needed": "chưa cần gia hạn / renewal not needed",
    "renewal_needed_not_done": "cần gia hạn chưa làm / renewal needed, not done",
    "renewal_failed": "gia hạn thất bại / renewal failed",
    "renewal_skipped": "bỏ qua gia hạn / renewal skipped",
    "failed": "hồ sơ có lỗi / records with problems",
    "interrupted_writes": "lưu bị gián đoạn / interrupted archive writes",
    "sidecar_unchecked": "record.json chưa có mã trong sổ nhật ký / record.json with no hash in the ledger",
    "development_identity": "ký bằng khóa thử nghiệm / signed with the development identity",
    "ledger_entries": "mục sổ nhật ký / ledger entries",
    "ledger_problems": "vấn đề sổ nhật ký / ledger problems",
    "archive_problems": "vấn đề ngoài các hồ sơ / problems outside the records",
}
# the title over the problems outside every record's folder (objects planted, writes interrupted), apart from the
# ledger's in every report
OUTSIDE_RECORDS = "Kho, ngoài các hồ sơ / Archive, outside the records"

# What each renewal state means, for the bilingual audit table (the JSON keeps the codes)
RENEWAL_WORDS: dict[str, str] = {
    "renewed": "đã gia hạn / renewed",
    "not_needed": "chưa cần / not needed",
    "needed": "cần gia hạn, đang tắt / needed, renewal off",
    "needed_no_tsa": "cần gia hạn, chưa cấu hình TSA / needed, no TSA",
    "not_extendable": "không gia hạn được / cannot be extended",
    "failed": "gia hạn thất bại / failed",
    "skipped": "bỏ qua / skipped",
}

# A record's fixity as the reports' rows say it (the JSON keeps the value)
FIXITY_WORDS: dict[str, str] = {
    "ok": "ok",
    "drift": "sai lệch / drift",
    "unvouched": "chưa xác nhận được / unvouched",
}


# beside the type of a record an officer corrected: the table shows the correction (as `list`), the JSON both
CORRECTED_MARK = "đã sửa / corrected"

# the record cell of a record a killed run left out of the index: audited like any other, and marked so
NOT_INDEXED = "chưa vào chỉ mục, lưu bị gián đoạn / not indexed: archive write interrupted"


def row_id(r: RecordAudit) -> str:
    return f"{r.record_id} ({NOT_INDEXED})" if r.interrupted_write else r.record_id


def _note_words(note: str) -> str:
    if note.startswith("offline verification said TRY_LATER"):
        return f"ghi chú: đã xác minh trực tuyến vì dữ liệu thu hồi kèm theo không còn hiệu lực / note: {note}"
    return f"note: {note}"


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _record_problems(r: RecordAudit) -> list[str]:
    """Every problem of a record in words, including those its status fields imply."""
    out = list(r.problems)
    if r.renewal == "needed":
        out.append(f"timestamp renewal needed (protected until {_day(r.protected_until)}), renewal turned off")
    elif r.renewal == "needed_no_tsa":
        out.append(f"timestamp renewal needed (protected until {_day(r.protected_until)}) but no TSA configured")
    return out


def _day(when: datetime | None) -> str:
    return day_vn(when).isoformat() if when else "?"  # Vietnam's day, as the table's and the JSON's


# ------------------------------------------------------------------------------------------ timestamps
def _not_after(cert: asn1_x509.Certificate) -> datetime:
    when: datetime = cert["tbs_certificate"]["validity"]["not_after"].native
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _name(cert: asn1_x509.Certificate) -> str:
    try:
        return cert_names(cert)[0]
    except Exception:  # a name asn1crypto cannot render nicely still identifies the certificate
        return str(cert.subject.human_friendly)


def _token_facts(
    token: cms.SignedData, embedded: EmbeddedRevinfo
) -> tuple[datetime, asn1_x509.Certificate, datetime, str, RevinfoCurrency]:
    """(time, TSA certificate, first expiry in its chain, which certificate, how long the embedded revocation
    data stays current for the chain) of an RFC 3161 token."""
    tst_info = token["encap_content_info"]["content"].parsed
    gen_time: datetime = tst_info["gen_time"].native
    certs = extract_certificate_info(token)
    tsa = certs.signer_cert
    # the chain the token carries (TSA, its issuing CAs), completed from the DSS: the first of them to expire
    # ends the protection
    chain = chain_of(tsa, [*certs.other_certs, *embedded.certs])
    first = min(chain, key=_not_after)
    return gen_time, tsa, _not_after(first), f"TSA certificate {_name(first)}", currency(chain, embedded)


class Protection(BaseModel):
    """What a signed PDF's long-term validity rests on now."""

    latest_timestamp: datetime | None = None
    latest_kind: Literal["document_timestamp", "signature_timestamp"] | None = None
    tsa_sha256: str | None = Field(default=None, description="SHA-256 of the newest timestamp's TSA certificate")
    until: datetime | None = None
    by: str | None = None
    document_timestamps: int = 0
    revocation_current_until: datetime | None = Field(
        default=None,
        description="when the revocation data the file embeds for the newest timestamp's TSA chain stops being "
        "current: after it, only an online check (or a renewal) can show that chain unrevoked",
    )
    revocation_by: str | None = None


def protection_of(pdf: bytes) -> Protection:
    """The newest timestamp of the PDF and until when what it rests on stays valid.

    With a document timestamp, the newest one protects everything before it (signatures, DSS, older timestamps),
    so only its TSA chain counts. Without one, each signature rests on its signer certificate (the validation
    data still has to be collected while it is valid) and on the TSA of its signature timestamp, if any.
    """
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    embedded = EmbeddedRevinfo.of(reader)
    doc_timestamps = list(reader.embedded_timestamp_signatures)
    result = Protection(document_timestamps=len(doc_timestamps))
    if doc_timestamps:
        when, tsa, until, by, current = _token_facts(doc_timestamps[-1].signed_data, embedded)
        return result.model_copy(
            update={
                "latest_timestamp": when,
                "latest_kind": "document_timestamp",
                "tsa_sha256": hashlib.sha256(tsa.dump()).hexdigest(),
                "until": until,
                "by": by + " (document timestamp)",
                "revocation_current_until": current.until,
                "revocation_by": current.by,
            }
        )
    limits: list[tuple[datetime, str]] = []
    currencies: list[RevinfoCurrency] = []
    for sig in reader.embedded_regular_signatures:
        limits.append((_not_after(sig.signer_cert), f"signer certificate {_name(sig.signer_cert)}"))
        for token in signature_timestamp_tokens(sig.signed_data):
            when, tsa, until, by, current = _token_facts(token, embedded)
            limits.append((until, by + " (signature timestamp)"))
            currencies.append(current)
            if result.latest_timestamp is None or when > result.latest_timestamp:
                result.latest_timestamp, result.latest_kind = when, "signature_timestamp"
                result.tsa_sha256 = hashlib.sha256(tsa.dump()).hexdigest()
    if limits:
        result.until, result.by = min(limits, key=lambda item: item[0])
    dated = [c for c in currencies if c.until is not None]
    if dated:
        first = min(dated, key=lambda c: c.until or datetime.max.replace(tzinfo=UTC))
        result.revocation_current_until, result.revocation_by = first.until, first.by
    return result


def renew_timestamps(pdf: bytes, tsa_url: str, roots: list[asn1_x509.Certificate]) -> bytes:
    """The PDF with fresh validation data and a new document timestamp, as incremental updates (pyHanko).

    Revocation data is fetched online and required (hard-fail), as when signing at B-LT/B-LTA: a renewal that
    cannot prove the previous timestamp still valid must not pretend to protect it.
    """

    def context() -> ValidationContext:  # one per validation: a context caches what it fetched and validated
        return ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")

    # signing.services' client: a failed renewal names the TSA and what it answered, not pyHanko's one message
    stamper = signers.PdfTimeStamper(TsaClient(tsa_url, timeout=20))
    reader = PdfFileReader(io.BytesIO(pdf))
    if reader.embedded_timestamp_signatures:
        # validates the newest document timestamp, adds its chain's validation data, adds a new timestamp
        output = stamper.update_archival_timestamp_chain(reader, context(), in_place=False)
        return bytes(output.getvalue())
    # no document timestamp yet: each signature's validation data first, then the first document timestamp
    data = pdf
    for index in range(len(reader.embedded_regular_signatures)):
        sig = PdfFileReader(io.BytesIO(data)).embedded_regular_signatures[index]
        data = bytes(add_validation_info(sig, context(), in_place=False).getvalue())
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    output = stamper.timestamp_pdf(writer, "sha256", validation_context=context(), in_place=False)
    return bytes(output.getvalue())


# ------------------------------------------------------------------------------------------ one record
def _renewed_name(record: Record, archive: BaseArchive, day: str) -> tuple[str, str]:
    """(role, file name) for a renewal made today, unique in the record (a second renewal the same day gets -2)."""
    taken = {o.key.rsplit("/", 1)[-1] for o in [*record.objects, *archive.added_objects(record)]}
    n = 1
    while True:
        suffix = day if n == 1 else f"{day}-{n}"
        name = f"document.renewed-{suffix}.pdf"
        if name not in taken and archive._info(f"{record.archive_prefix}/{name}") is None:
            return f"{RENEWED_ROLE}{suffix}", name
        n += 1


def _only_try_later(verification: FileVerification) -> bool:
    """Not passed only because some signature or timestamp lacks current revocation data (INDETERMINATE
    TRY_LATER), which an online check can settle."""
    verdicts = [*verification.signatures, *verification.document_timestamps]
    failing = [v for v in verdicts if v.indication != "TOTAL_PASSED"]
    return (
        not verification.passed
        and not verification.error
        and bool(failing)
        and all((v.indication, v.sub_indication) == ("INDETERMINATE", "TRY_LATER") for v in failing)
    )


def _checks(verification: FileVerification) -> list[SignatureCheck]:
    return [
        SignatureCheck(
            field_name=v.field_name,
            kind=v.kind,
            indication=v.indication,
            sub_indication=v.sub_indication,
            signing_time=v.signing_time,
            level=v.level,
        )
        for v in [*verification.signatures, *verification.document_timestamps]
    ]


class _Auditor:
    """State shared by the records of one audit: settings, archive, trust roots, the ledger's renewals."""

    def __init__(self, settings: Settings, renew: bool, renew_within_days: int, now: datetime | None) -> None:
        from flows.pipeline import trust_roots  # the roots the pipeline verifies with (dev CA, stores, files)

        self.settings = settings
        self.archive = _existing_archive(settings)
        self.renew = renew
        self.window = timedelta(days=renew_within_days)
        self.now = now or datetime.now(UTC)
        # read once for the audit: each record's verification shares them (they were read again for every record)
        self.trust = TrustRoots.load(trust_roots(settings))
        self.roots = list(self.trust.certs)
        # scratch for each record's PDF and its renewal, removed when the audit ends: it was DATA_DIR/work/audit,
        # written into an auditor's own data folder by a read-only check of someone else's archive (QA99 F8)
        self.work = Path(tempfile.mkdtemp(prefix="sohoa-audit-"))
        # SHA-256 of every object whose addition the ledger records, per record: an added object the ledger does
        # not know of was not added by sohoa
        self.ledgered: dict[str, set[str]] = {}
        # per record, its "classified" and "signed" entries: what a rewritten record.json says otherwise
        self.told: dict[str, list[dict[str, Any]]] = {}
        holding: list[dict[str, Any]] = []  # the "archived" and "sealed" entries (``sidecar_entries``)
        custody: list[dict[str, Any]] = []  # the ones ``retention_owed`` reads
        for _, entry in Ledger(self.archive).entries():
            if entry is not None and entry.get("action") in CUSTODY_ACTIONS:
                custody.append(entry)
            if entry is not None and entry.get("action") in SIDECAR_ACTIONS:
                holding.append(entry)
            if entry is not None and entry.get("action") in TOLD_ACTIONS:  # for ``said_otherwise``
                self.told.setdefault(str(entry.get("record_id")), []).append(entry)
            if entry is not None and entry.get("action") == RENEWED_ACTION:
                detail = str(entry.get("detail", ""))
                sha = detail.split(" sha256 ", 1)[1][:64] if " sha256 " in detail else ""
                self.ledgered.setdefault(str(entry.get("record_id")), set()).add(sha)
        # the entry each record's record.json is held against — its "archived" entry, or the "sealed" one `sohoa
        # ledger seal` wrote for a record an older sohoa archived — for the record's own row: a rewritten
        # record.json was reported by the ledger check only, the row said "ok"
        self.holders = sidecar_entries(holding)
        # the same entries by number: the one a record's index entry names is the one its record.json is held
        # against (``storage.ledger.changed_sidecar``, the rule `list` goes by)
        self.numbered = {entry["seq"]: entry for entry in holding if isinstance(entry.get("seq"), int)}
        # the retention and hold each record's objects must carry, by the ledger
        self.owed = retention_owed(custody)

    def correction(self, record_id: str) -> Classification | None:
        """An officer's correction of the record (``classify.review.correction_of``); one that cannot be read is
        logged and left out: it must not cost the record its audit."""
        from classify.review import correction_of

        try:
            return correction_of(self.settings, record_id)
        except (OSError, ValueError) as exc:
            log.warning(
                "hồ sơ %s: không đọc được bản hiệu chỉnh: %s / record %s: correction unreadable: %s",
                record_id,
                exc,
                record_id,
                exc,
            )
            return None

    def sidecar_changed(self, record: Record) -> bool:
        """Whether the record's record.json is not the one its "archived" ledger entry recorded (one that holds no
        SHA-256 of it: not, nothing to hold it against)."""
        holder = self.holders.get(record.id)
        if holder is None or record.archive_prefix is None:
            return False
        return self.archive.sidecar_differs(record.archive_prefix, holder.get("sidecar_sha256"))

    def not_as_archived(self, record: Record, indexed: bool) -> tuple[str | None, bool, bool]:
        """(what is wrong, checked, unvouched): the problem line when the record's record.json is not the one the ledger
        recorded as archived — rewritten, or the entry that recorded it gone or edited —, else None; ``checked``
        False only for a record archived by a sohoa from before 2026-11-30 16:38 UTC (its index entry names no entry,
        and its "archived" entry holds no SHA-256): nothing to hold it against. A record whose index entry names its
        entry was archived by this sohoa: that entry gone is its damage (QA65: a record whose "archived" entry was
        cut off the ledger passed its row, said to be archived by an older sohoa, "sohoa ledger seal" advised).
        ``unvouched``: what is wrong is only that nothing is left to hold the record.json against (its entry gone or
        edited), not that it was shown to differ."""
        prefix = record.archive_prefix
        if prefix is None:
            return None, True, False
        seq = self.archive.archived_seq(record) if indexed else None
        if seq is None:
            holder = self.holders.get(record.id)
            if holder is None:
                # the ledger check says it too ("no 'archived' entry"); a killed put may not have written it yet
                return (
                    (None, True, False)
                    if not indexed
                    else (
                        f"record {record.id} ({prefix}): archived, but the ledger has no 'archived' entry for it — "
                        f"entries removed, so its {SIDECAR} cannot be checked",
                        True,
                        True,
                    )
                )
            if not holder.get("sidecar_sha256"):
                return None, False, False
            seq = int(holder.get("seq") or 0)
        damage = changed_sidecar(
            record,
            seq,
            self.numbered.get(seq),
            lambda sha: self.archive.sidecar_differs(prefix, sha),
            self.told.get(record.id, ()),
        )
        if damage is None:
            return None, True, False
        return damage.english, True, damage.unvouched

    def verify(self, pdf: bytes, folder: Path, name: str, online: bool | None = None) -> FileVerification:
        path = folder / name
        path.write_bytes(pdf)
        return verify_pdf(path, self.trust, online=self.settings.verify_online if online is None else online)

    def audit(self, record: Record, indexed: bool = True) -> RecordAudit:
        """``indexed``: False for a record a killed run left out of the index (``UnfinishedWrite``): its row says so,
        and it is never renewed until the write is finished."""
        c = record.classification
        added = self.archive.added_objects(record)
        fixed = self.correction(record.id)
        changed, checked, unvouched = self.not_as_archived(record, indexed)
        result = RecordAudit(
            record_id=record.id,
            path=record.archive_prefix,
            interrupted_write=not indexed,
            sidecar_checked=checked,
            as_archived=changed is None,
            # what a record.json the ledger does not vouch for says is no fact: not shown (`list` refuses it)
            doc_type=c.doc_type if c and changed is None else None,
            number=c.number if c and changed is None else None,
            corrected=fixed is not None,
            correction=(
                CorrectionAudit(doc_type=fixed.doc_type, number=fixed.number, issued_on=fixed.issued_on)
                if fixed is not None
                else None
            ),
            objects=len(record.objects) + len(added),
        )
        fixity = self.archive.verify_objects(record)
        if fixity or (changed is not None and not unvouched):
            result.fixity = "drift"
        elif changed is not None:  # objects that match a record.json nothing vouches for: not shown changed either
            result.fixity = "unvouched"
        if changed is not None:
            fixity.append(changed)
        result.problems += fixity
        if indexed:  # an interrupted write's objects are retained only when it is finished
            retention = self.archive.retention_problems(record, self.owed.get(record.id), fixity)
            result.problems += retention
            if retention:  # as `--fixity-only` calls it (QA79: DRIFT there, "ok" in this row)
                result.fixity = "drift"
        for stored in added:
            if stored.role.startswith(RENEWED_ROLE) and stored.sha256 not in self.ledgered.get(record.id, set()):
                result.problems.append(f"{stored.key}: added object not recorded in the custody ledger")
        if changed is not None:
            # nothing the archive vouches for says which file is its signed PDF, nor its SHA-256: not verified, as
            # `verify --archive` does not (its class "failed"); the row said "1 signature TOTAL_PASSED" (QA65)
            result.renewal = "skipped"
            return result
        signed = [o for o in record.objects if o.role == "signed"]
        renewals = [o for o in added if o.role.startswith(RENEWED_ROLE)]
        if not signed:
            result.problems.append("no signed PDF in the record")
            result.renewal = "skipped"
            return result
        if (problem := self._report_disagrees(record, signed[0])) is not None:
            result.problems.append(problem)
        current: StoredObject = renewals[-1] if renewals else signed[0]
        result.document = current.key
        folder = self.work / record.id
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            read = self.archive._read(current.key)
            if read is None:
                # the fixity line says it is missing; verifying nothing added "the file is empty" and "timestamps
                # unreadable (Illegal PDF header)" for the same fact (QA58)
                result.renewal = "skipped"
                return result
            pdf = read
            if renewals:
                original = self.archive._read(signed[0].key) or b""
                if not original or not pdf.startswith(original):
                    # an incremental update keeps the archived bytes as they are; anything else replaced them
                    result.problems.append(f"{current.key}: does not start with the archived {signed[0].key}")
            self._signatures(result, pdf, folder)
            if sha256_bytes(pdf) != current.sha256:
                # the verdict is of the bytes found (as `verify --archive` gives it), not of the file archived: not
                # counted as passed, as `verify --archive` fails it
                result.signatures_passed = False
            self._renewal(result, record, current, pdf, folder)
            if not result.signatures_passed:
                # what protects a file that failed (changed, or its signature not valid) is no fact about the record:
                # it showed "protected until 30/11/2031" beside TOTAL_FAILED (QA65)
                result.protected_until = result.protected_by = result.revocation_current_until = None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return result

    def _report_disagrees(self, record: Record, signed: StoredObject) -> str | None:
        """What is wrong when the record's verification.json — the verdict on its signed PDF right after signing —
        is of a file other than the signed PDF its record.json names, else None: a document.pdf replaced, its
        record.json and the ledger made to agree, but not that report (QA134 F6). Reports written before
        2026-12-02 hold no SHA-256: nothing to compare."""
        report = next((o for o in record.objects if o.role == "report"), None)
        raw = self.archive._read(report.key) if report is not None else None
        if report is None or raw is None:
            return None  # missing: the fixity line says so
        try:
            said = json.loads(raw).get("sha256")
        except (ValueError, AttributeError):
            return None  # not JSON (or not an object): its SHA-256 against record.json's names it
        if not isinstance(said, str) or said == signed.sha256:
            return None
        return (
            f"{report.key}: the verdict of another {signed.key.rsplit('/', 1)[-1]} (SHA-256 {said[:16]}…, the "
            f"record's is {signed.sha256[:16]}…) — the record's files disagree: replaced behind the archive's back"
        )

    def _signatures(self, result: RecordAudit, pdf: bytes, folder: Path) -> None:
        unreadable = ""
        try:
            protection: Protection | None = protection_of(pdf)
        except Exception as exc:  # a PDF pyHanko cannot read is reported by the verification below
            protection, unreadable = None, f"{result.document}: timestamps unreadable ({exc})"  # vi: flows.ledger_check
        verification = self.verify(pdf, folder, "document.pdf")
        if _only_try_later(verification) and not self.settings.verify_online:
            # TRY_LATER offline: the revocation data the file embeds is no longer current (or there is none). The
            # audit's job is to establish validity, so it asks the CA's OCSP/CRL services as `verify --online`
            # would; an archive kept offline-verifiable would need a new timestamp every CRL period.
            verification = self.verify(pdf, folder, "document.pdf", online=True)
            result.verified_online = True
            stale = protection.revocation_current_until if protection else None
            result.notes.append(
                "offline verification said TRY_LATER"
                + (
                    f" (the revocation data it embeds for {protection.revocation_by} was current until {_day(stale)})"
                    if protection and stale and stale < self.now
                    else ""
                )
                + ": verified online against the CA's OCSP/CRL services"
            )
        result.signatures = _checks(verification)
        result.signatures_passed = verification.passed
        # verify's warnings, each once (QA65: "signed with the DEVELOPMENT ONLY identity: no legal value" on every
        # record, and the audit said nothing)
        verdicts = [*verification.signatures, *verification.document_timestamps]
        result.warnings = list(dict.fromkeys([*(w for v in verdicts for w in v.warnings), *verification.warnings]))
        result.development_identity = any(DEVELOPMENT_IDENTITY in w for w in result.warnings)
        # each line in Vietnamese and English, as `sohoa verify` says it (the codes stay in the line)
        if verification.error:
            result.problems.append(f"{result.document}: {error_words(verification)}")
        for verdict in [*verification.signatures, *verification.document_timestamps]:
            if verdict.indication != "TOTAL_PASSED":
                result.problems.append(f"{verdict.field_name}: {indication_words(verdict)}")
        if (
            not verification.passed
            and not verification.error
            and all(s.indication == "TOTAL_PASSED" for s in result.signatures)
        ):
            result.problems.append(f"{result.document}: không có chữ ký / no signature")
        if protection is None:
            result.problems.append(unreadable)
            return
        result.latest_timestamp = protection.latest_timestamp
        result.latest_timestamp_kind = protection.latest_kind
        result.protected_until = protection.until
        result.protected_by = protection.by
        result.revocation_current_until = protection.revocation_current_until

    def _renewal(self, result: RecordAudit, record: Record, current: StoredObject, pdf: bytes, folder: Path) -> None:
        due = result.protected_until is not None and result.protected_until - self.now <= self.window
        if result.fixity != "ok" or not result.signatures_passed or result.problems:
            # never re-timestamp a document that is not what was archived, or not valid; and a record with problems
            # is "skipped", due or not: "not needed" said its protection held (QA65: a tampered record, TOTAL_FAILED,
            # was counted in renewal_not_needed)
            result.renewal = "skipped"
            if due:
                result.problems.append("timestamp renewal needed but not attempted until the problems above are solved")
            return
        if not due:
            result.renewal = "not_needed"
            return
        if result.interrupted_write:
            # a renewal is added to an archived record, with a ledger entry: first the record's own entries
            result.renewal = "skipped"
            result.problems.append(
                "timestamp renewal needed but not attempted until its interrupted archive write is finished "
                "(sohoa ledger finish)"
            )
            return
        if not self.renew:
            result.renewal = "needed"
            return
        tsa_url = self.settings.tsa_url
        if not tsa_url:
            result.renewal = "needed_no_tsa"
            return
        before = protection_of(pdf)
        try:
            renewed = renew_timestamps(pdf, tsa_url, self.roots)
            after = protection_of(renewed)
            verification = self.verify(renewed, folder, "renewed.pdf")
        except Exception as exc:  # TSA or OCSP/CRL down, or pyHanko refused: reported, retried next audit
            log.warning(
                "hồ sơ %s: gia hạn dấu thời gian thất bại: %s / record %s: timestamp renewal failed: %s",
                record.id,
                exc,
                record.id,
                exc,
            )
            result.renewal = "failed"
            result.problems.append(f"timestamp renewal failed: {type(exc).__name__}: {exc}")
            return
        newer = (
            after.document_timestamps == before.document_timestamps + 1
            and after.latest_timestamp is not None
            and (before.latest_timestamp is None or after.latest_timestamp > before.latest_timestamp)
        )
        if not (verification.passed and newer and renewed.startswith(pdf)):
            result.renewal = "failed"
            result.problems.append(
                "timestamp renewal failed: the renewed document did not verify with a newer timestamp"
            )
            return
        same_tsa = after.tsa_sha256 == before.tsa_sha256
        extended = after.until is not None and before.until is not None and after.until > before.until
        if not extended or (current.role.startswith(RENEWED_ROLE) and same_tsa):
            # A timestamp whose TSA chain ends no later than what the document rests on now protects it not a
            # day longer: storing it (and one more every week) would only grow the archive and the ledger with
            # "renewed" entries that renewed nothing. A B-LTA document stamped by the TSA's current certificate
            # at signing is the usual case, not only a document that is already a renewal.
            result.renewal = "not_extendable"
            result.problems.append(
                (
                    f"the TSA still signs with the certificate that expires {_day(after.until)}"
                    if same_tsa
                    else f"a new timestamp's {after.by} expires {_day(after.until)}, not after {_day(before.until)}"
                )
                + ": a new timestamp would not protect longer; the TSA needs a new certificate"
            )
            return
        self._store(result, record, renewed, verification, before, after)

    def _store(
        self,
        result: RecordAudit,
        record: Record,
        renewed: bytes,
        verification: FileVerification,
        before: Protection,
        after: Protection,
    ) -> None:
        from flows.pipeline import archive_write_lock

        role, name = _renewed_name(record, self.archive, datetime.now(UTC).strftime("%Y%m%d"))
        detail = (
            f"B-LTA document timestamp renewed at {_iso(after.latest_timestamp)}: protected until "
            f"{_day(before.until)} → {_day(after.until)} ({after.by})"
        )
        with archive_write_lock(archive_location(self.settings)):  # the ledger has one writer at a time
            stored = self.archive.add_object(
                record, role, name, renewed, action=RENEWED_ACTION, tool="sohoa audit (pyHanko)", detail=detail
            )
        self.ledgered.setdefault(record.id, set()).add(stored.sha256)
        result.renewal = "renewed"
        result.renewed_object = stored.key
        result.renewed_until = after.until
        result.document = stored.key
        result.objects += 1
        result.signatures = _checks(verification)
        result.latest_timestamp, result.latest_timestamp_kind = after.latest_timestamp, after.latest_kind
        result.protected_until, result.protected_by = after.until, after.by
        log.info(
            "hồ sơ %s: đã gia hạn dấu thời gian tài liệu, bảo vệ đến %s / record %s: %s",
            record.id,
            vn_date(day_vn(after.until)) if after.until else "?",
            record.id,
            detail,
        )


def _iso(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else "?"


# ------------------------------------------------------------------------------------------ the audit
def audit_records(
    settings: Settings,
    records: Iterable[Record] | None = None,
    *,
    renew: bool = True,
    renew_within_days: int | None = None,
    now: datetime | None = None,
) -> Iterator[RecordAudit]:
    """Audit each record (every record of the archive when ``records`` is None), one at a time. Every record of
    the archive includes those a killed run left out of the index (``UnfinishedWrite`` with its record.json and
    every file matching it): the problem lines name the interrupted write, but its signatures were not checked
    and it was in no row or count. A folder without record.json, or whose files no longer match it, is no record
    to audit (only a problem line); nor is a second copy of a record that is indexed (same id). A record the index
    lists whose record.json (or index entry) cannot be read (``DamagedRecord``) has a row too, after the others:
    drift, naming the object, its signatures not verified (nothing says which file is its signed PDF)."""
    days = settings.audit_renew_within_days if renew_within_days is None else renew_within_days
    auditor = _Auditor(settings, renew, days, now)
    try:
        yield from _audit_rows(auditor, records)
    finally:
        shutil.rmtree(auditor.work, ignore_errors=True)


def _audit_rows(auditor: _Auditor, records: Iterable[Record] | None) -> Iterator[RecordAudit]:
    listed: list[Record] = []
    damaged: list[DamagedRecord] = []
    missing: list[DamagedRecord] = []  # indexed, record.json gone: a row each (QA58: no row, "6 records" of 7)
    for record in records if records is not None else auditor.archive.records(damaged, missing):
        listed.append(record)
        yield _audit_one(auditor, record)
    if records is not None:
        return
    for lost in [*damaged, *missing]:
        # a row of its own, counted as drift: none of its files can be checked against a record (its record.json
        # not JSON ended the whole audit with a traceback, no row for any record)
        yield RecordAudit(
            record_id=lost.record_id,
            path=lost.prefix,
            as_archived=False,
            fixity="drift",
            renewal="skipped",
            problems=[lost.english],
        )
    ids = {record.id for record in listed}
    for write in auditor.archive.outside_records(listed, damaged)[0]:
        if write.record is not None and not write.damaged and write.record.id not in ids:
            # a record.json that is not the one its "archived" entry recorded is no interrupted write (the ledger
            # check says so): a row with its drift, not one marked and counted as a write to finish (QA58)
            yield _audit_one(auditor, write.record, indexed=auditor.sidecar_changed(write.record))


def _gone_rows(rows: list[RecordAudit], ledger_problems: list[str]) -> list[RecordAudit]:
    """A row for each record the ledger check names as gone from the archive that has none: removed whole, its
    index entry with it, it was in the ledger's lines alone — "records 6, records with problems 0" of 7, while one
    whose index entry was left had a row of drift (QA74). Drift, as that one's: none of its files is there."""
    from storage.ledger import gone_record_id

    have = {row.record_id for row in rows}
    gone = []
    for problem in ledger_problems:
        if (record_id := gone_record_id(problem)) is not None and record_id not in have:
            have.add(record_id)
            gone.append(
                RecordAudit(
                    record_id=record_id, as_archived=False, fixity="drift", renewal="skipped", problems=[problem]
                )
            )
    return gone


def _audit_one(auditor: _Auditor, record: Record, indexed: bool = True) -> RecordAudit:
    try:
        return auditor.audit(record, indexed)
    except Exception as exc:  # one unreadable record must not hide the others
        log.exception("hồ sơ %s: kiểm tra thất bại / record %s: audit failed", record.id, record.id)
        return RecordAudit(
            record_id=record.id,
            path=record.archive_prefix,
            interrupted_write=not indexed,
            renewal="skipped",
            problems=[f"audit failed: {type(exc).__name__}: {exc}"],
        )


def _existing_archive(settings: Settings) -> BaseArchive:
    """The configured archive, refused when nothing was ever archived there: a mistyped location (the Prefect
    ``archive-audit`` deployment comes here without the command line's check) must not pass as an empty archive."""
    archive = open_configured_archive(settings)
    if not archive_exists(archive):
        raise ArchiveUnavailableError(no_archive_said(archive, settings))
    return archive


def verify_ledger(settings: Settings) -> tuple[int, list[str], list[str]]:
    """(entries, problems) of the custody ledger and its daily timestamps, as ``sohoa ledger verify``, and the
    objects of the archive that belong to no record (``BaseArchive.stray_objects``): the records read once for
    both."""
    archive = _existing_archive(settings)
    check = check_ledger_of(archive, settings)
    # each damaged record has its row (audit_records): here its folder is no stray
    return len(check.ledger.keys()), check.problems, archive.stray_objects(check.records, check.damaged)


def audit_archive(
    settings: Settings,
    *,
    renew: bool = True,
    renew_within_days: int | None = None,
    now: datetime | None = None,
    check_records: Callable[[Settings, bool, int], list[RecordAudit]] | None = None,
    check_ledger: Callable[[Settings], tuple[int, list[str], list[str]]] = verify_ledger,
) -> ArchiveAuditReport:
    """The full audit of the configured archive: every record (fixity, signatures, renewal), then the ledger.

    ``renew_within_days`` (default ``settings.audit_renew_within_days``): renew when the protection ends within
    that many days of ``now`` (default: the current time). Renewals are written to the ledger before it is
    verified, so the report covers them too. ``check_records``/``check_ledger``: the two steps (default
    ``audit_records`` and ``verify_ledger``; the Prefect flow passes them as its tasks).
    """
    if check_records is None:

        def check_records(settings: Settings, renew: bool, days: int) -> list[RecordAudit]:
            return list(audit_records(settings, renew=renew, renew_within_days=days, now=now))

    from flows.pipeline import trust_roots
    from signing.report import ReportScope, report_header

    days = settings.audit_renew_within_days if renew_within_days is None else renew_within_days
    started = datetime.now(UTC)
    location = archive_location(settings)
    report = ArchiveAuditReport(
        archive=location,
        started_at=started,
        renew=renew,
        renew_within_days=days,
        tsa_url=settings.tsa_url,
        # the filing facts as `verify` gives them (QA65: the audit had none: no time, tool, user@host, trust anchors)
        header=report_header(
            trust_roots(settings),
            online=settings.verify_online,
            now=started,
            scope=[ReportScope(kind="archive", archive=location)],
        ),
    )
    report.records = check_records(settings, renew, days)
    report.ledger_entries, report.ledger_problems, report.archive_problems = check_ledger(settings)
    report.records += _gone_rows(report.records, report.ledger_problems)
    warning = anchor_warning(_existing_archive(settings), bool(settings.tsa_url))
    report.ledger_warnings = [warning] if warning else []
    if unchecked := [r.record_id for r in report.records if not r.sidecar_checked]:
        report.ledger_warnings.append(unchecked_sidecars_warning(unchecked))
    if development := [r for r in report.records if r.development_identity]:
        passing = sum(r.signatures_passed for r in development)
        report.warnings.append(development_identity_warning([r.record_id for r in development], passing))
    report.finished_at = datetime.now(UTC)
    return report
