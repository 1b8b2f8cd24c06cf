"""The archive audit (issue 7): fixity, signatures verified again, B-LTA renewal, ledger — against the real test PKI
(certomancer TSA/OCSP/CRL on loopback) and records archived by the real pipeline."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont
from signing_pki import PKCS12_PASSWORD, SIGNER, TestPKI
from typer.testing import CliRunner

from flows.audit import RENEWED_ROLE, audit_archive
from flows.cli import app
from flows.pipeline import Outcome, process_document
from signing import verify_pdf
from signing.report import scope_words
from sohoa.settings import Settings
from sohoa.vietnamese import day_vn, iso_vn
from storage import open_configured_archive
from storage.ledger import Ledger
from tests.conftest import run_flow_for_its_artifact, run_flows_for_their_states

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
# the test PKI's TSA certificate is valid for 10 years, its signer certificate for 1
TSA_DAYS = 3650
pytestmark = pytest.mark.integration


def _scan(path: Path, text: str) -> Path:
    image = Image.new("L", (1240, 600), 255)
    ImageDraw.Draw(image).multiline_text((60, 80), text, fill=0, font=ImageFont.truetype(FONT, 48), spacing=24)
    image.save(path, dpi=(300, 300))
    return path


def _settings(data_dir: Path, pki: TestPKI, level: str = "B-LTA") -> Settings:
    return Settings(
        data_dir=data_dir,
        signing_identity="pkcs12",
        pkcs12_file=pki.pkcs12_file(SIGNER),
        pkcs12_password=PKCS12_PASSWORD.decode(),  # type: ignore[arg-type]
        tsa_url=pki.tsa_url,
        signature_level=level,
        trust_roots=[pki.root_cert],
        trust_dev_ca=False,
        ocr_workers=1,
    )


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_TSA_URL": settings.tsa_url,
        "SOHOA_TRUST_ROOTS": json.dumps([str(p) for p in settings.trust_roots]),
        "SOHOA_TRUST_DEV_CA": "false",
    }


def _copy_of(archived: Settings, tmp_path: Path, **update: object) -> Settings:
    """Settings for a copy of the archived data folder (a test that changes the archive leaves the module's one
    as it was)."""
    copy = tmp_path / "var"
    shutil.copytree(archived.data_dir, copy)
    return archived.model_copy(update={"data_dir": copy, **update})


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory, test_pki: TestPKI) -> Settings:
    """One record signed at B-LTA with the test PKI and archived by the pipeline (OCR included)."""
    folder = tmp_path_factory.mktemp("audit")
    settings = _settings(folder / "var", test_pki)
    scan = _scan(folder / "thông báo.png", "THÔNG BÁO\nVề việc tiêm chủng mở rộng\nỦy ban nhân dân xã")
    result = process_document(scan, settings)
    assert result.outcome == Outcome.ARCHIVED, result.summary()
    assert result.record is not None and result.record.signature is not None
    assert result.record.signature.level == "B-LTA"
    return settings


@pytest.fixture(scope="module")
def archived_b_lt(tmp_path_factory: pytest.TempPathFactory, test_pki: TestPKI) -> Settings:
    """One record signed at B-LT (no document timestamp): it rests on its signer certificate (1 year), so a first
    document timestamp by the TSA (10 years) protects it longer."""
    folder = tmp_path_factory.mktemp("audit-b-lt")
    settings = _settings(folder / "var", test_pki, "B-LT")
    scan = _scan(folder / "quyết định.png", "QUYẾT ĐỊNH\nVề việc công nhận tổ hòa giải\nỦy ban nhân dân xã")
    result = process_document(scan, settings)
    assert result.outcome == Outcome.ARCHIVED, result.summary()
    assert result.record is not None and result.record.signature is not None
    assert result.record.signature.level == "B-LT"
    return settings


def test_audit_of_a_fresh_archive_passes(archived: Settings) -> None:
    report = audit_archive(archived)
    assert report.ok and report.exit_code == 0, report.to_json_dict()
    (record,) = report.records
    assert record.fixity == "ok" and record.signatures_passed
    assert [(s.kind, s.indication) for s in record.signatures] == [
        ("signature", "TOTAL_PASSED"),
        ("document_timestamp", "TOTAL_PASSED"),
    ]
    assert record.latest_timestamp_kind == "document_timestamp"
    assert record.protected_by and "TSA" in record.protected_by
    assert record.protected_until is not None
    assert record.protected_until - report.started_at > timedelta(days=TSA_DAYS - 2)
    assert record.renewal == "not_needed" and record.renewed_object is None
    assert report.counts()["records"] == 1 and report.counts()["failed"] == 0
    assert report.ledger_entries > 0 and report.ledger_problems == []


def test_the_audit_reads_the_trust_roots_once_not_per_record(
    archived: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each record's verification read the trust roots again (the audit had read them already, for renewals)."""
    from tests.conftest import spy_on_trust_root_reads

    reads = spy_on_trust_root_reads(monkeypatch)
    report = audit_archive(_copy_of(archived, tmp_path), renew=False)
    assert report.ok and report.records[0].signatures_passed, report.to_json_dict()
    # once for every record's verification (and renewal), once for the ledger's timestamps (SOHOA_TRUST_ROOTS)
    assert len(reads) == 2, reads


def test_the_archived_verification_names_the_archived_pdf(archived: Settings) -> None:
    # found by exploratory testing: verification.json named WORK/<record id>/document.pdf, a scratch path on the
    # processing machine (removed once archived), instead of the object it is the verdict on
    from signing.verify import FileVerification

    store = open_configured_archive(archived)
    (record,) = store.records()
    signed = next(o for o in record.objects if o.role == "signed")
    report = FileVerification.model_validate_json(store.read_verified(record, "report"))
    assert report.path == signed.key == f"{record.archive_prefix}/document.pdf", report.path
    assert report.passed and str(archived.work_path) not in store.read_verified(record, "report").decode()
    # a record archived before names the work path there: still a verification report like any other
    older = report.model_copy(update={"path": str(archived.work_path / record.id / "document.pdf")})
    assert FileVerification.model_validate_json(older.model_dump_json()).passed


def test_the_archived_verification_is_tied_to_the_bytes_it_judged_and_says_when_and_by_what(
    archived: Settings, test_pki: TestPKI
) -> None:
    """QA65: each record's verification.json had "sha256": null, "size": null and no time, tool or trust anchors:
    the evidence was tied to no file. It gives the signed PDF's SHA-256 and size, and `verified_by` (the header of
    `sohoa verify`'s reports: when, sohoa and pyHanko versions, user@host, trust anchors); one written before
    still loads."""
    from signing.verify import FileVerification
    from sohoa import __version__

    store = open_configured_archive(archived)
    (record,) = store.records()
    signed = next(o for o in record.objects if o.role == "signed")
    raw = store.read_verified(record, "report")
    report = FileVerification.model_validate_json(raw)
    assert (report.sha256, report.size) == (signed.sha256, signed.size), (report.sha256, report.size)
    by = report.verified_by
    assert by is not None and by.version == __version__ and by.pyhanko_version and by.operator and by.host
    signed_at = next(e.at for e in record.events if e.action == "signed")
    # to the second, as the reports give it
    assert timedelta(seconds=-1) < by.generated_at - signed_at < timedelta(minutes=5), (by.generated_at, signed_at)
    # QA66: its time was UTC ("Z", microseconds) where every report says Vietnam time, and its scope empty: it is
    # that archived document.pdf, by its key in the archive, and its time is given as the reports give theirs
    verified_by = json.loads(raw)["verified_by"]
    assert verified_by["generated_at"] == iso_vn(by.generated_at), verified_by
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", verified_by["generated_at"]), verified_by
    assert verified_by["scope"] == [
        {
            "kind": "archive_file",
            "archive": str(archived.archive_dir.resolve()),
            "under": None,
            "files": None,
            "key": signed.key,
        }
    ], verified_by["scope"]
    assert scope_words(by.scope[0]) == (
        f"tệp đã lưu trữ / the archived file {signed.key} (kho / archive {archived.archive_dir.resolve()})"
    )
    root = test_pki.root_cert.read_bytes()
    assert [anchor.file for anchor in by.trust_anchors] == [str(test_pki.root_cert)], by.trust_anchors
    assert by.trust_anchors[0].subject and root and by.online is False
    # a verification.json written before: no verified_by, no digest
    older = json.loads(raw)
    del older["verified_by"]
    older.update(sha256=None, size=None)
    assert FileVerification.model_validate(older).verified_by is None


def test_a_renewal_the_tsa_refuses_names_the_tsa_and_stores_nothing(
    archived: Settings, broken_service_url: str
) -> None:
    store = open_configured_archive(archived)
    (before,) = store.records()
    url = broken_service_url + "/500"
    report = audit_archive(archived.model_copy(update={"tsa_url": url}), renew_within_days=TSA_DAYS + 30)
    (record,) = report.records
    assert record.renewal == "failed" and not report.ok
    # it said "TimestampRequestError: Error while contacting timestamp service"
    assert (
        f"timestamp renewal failed: TsaError: the timestamping authority at {url} did not return a timestamp "
        "(HTTP status 500 Internal Server Error)"
    ) in record.problems, record.problems
    assert store.added_objects(before) == []


def test_renewal_adds_a_newer_timestamp_once(archived_b_lt: Settings, tmp_path: Path) -> None:
    archived = archived_b_lt
    store = open_configured_archive(archived)
    (before,) = store.records()
    signed = next(o for o in before.objects if o.role == "signed")
    original = store.read_verified(before, "signed")

    # the signer certificate (1 year) ends within the default window (365 days): renewal is due now
    report = audit_archive(archived)
    assert report.ok, report.to_json_dict()
    (record,) = report.records
    assert record.renewal == "renewed" and record.renewed_object, record
    assert record.protected_by and "TSA" in record.protected_by and record.renewed_until == record.protected_until
    assert record.protected_until and record.protected_until - report.started_at > timedelta(days=TSA_DAYS - 2)
    (added,) = store.added_objects(before)
    assert added.role.startswith(RENEWED_ROLE) and added.key == record.renewed_object
    assert added.key.rsplit("/", 1)[-1].startswith("document.renewed-")

    # the original is untouched and still the record's signed object; the renewal is an incremental update of it
    assert store.read_verified(before, "signed") == original
    assert store._stored_sha256(signed.key) == signed.sha256
    renewed = store.read_verified(before, added.role)
    assert renewed.startswith(original) and len(renewed) > len(original)
    path = tmp_path / "renewed.pdf"
    path.write_bytes(renewed)
    verification = verify_pdf(path, archived.trust_roots)
    assert verification.passed, verification.model_dump_json(indent=2)
    (stamp,) = verification.document_timestamps
    (signature,) = verification.signatures
    assert signature.indication == "TOTAL_PASSED" and signature.level == "B-LTA"
    assert stamp.signing_time and signature.signing_time and stamp.signing_time > signature.signing_time

    events = [e for e in Ledger(store).excerpt(before.id) if e["action"] == "renewed"]
    assert len(events) == 1 and added.sha256 in events[0]["detail"] and added.key in events[0]["detail"]
    # the added object is retained like the record (cannot be overwritten or deleted)
    info = store._info(added.key)
    assert info is not None and info.retain_until is not None

    # next week, default window: the new timestamp is far from expiry, nothing to renew; the renewal is audited
    again = audit_archive(archived)
    assert again.ok, again.to_json_dict()
    (record,) = again.records
    assert record.renewal == "not_needed" and record.document == added.key
    assert len(record.signatures) == 2 and record.signatures_passed
    assert len(store.added_objects(before)) == 1

    # a window longer than the TSA certificate's life: the newest document is already a renewal by the same TSA
    # certificate, so one more would not protect it a day longer: not stored, and the TSA's certificate is named
    stuck = audit_archive(archived, renew_within_days=TSA_DAYS + 30)
    (record,) = stuck.records
    assert record.renewal == "not_extendable" and not stuck.ok
    assert any("TSA needs a new certificate" in p for p in record.problems)
    assert len(store.added_objects(before)) == 1
    assert audit_archive(archived, renew_within_days=TSA_DAYS + 30, renew=False).records[0].renewal == "needed"

    # an auditor's export carries the renewed document beside the original one
    from storage.export import export_bag, validate_bag

    bag = export_bag(store, before, tmp_path / "bag")
    validate_bag(bag)
    assert (bag / "data" / "record" / added.key.rsplit("/", 1)[-1]).read_bytes() == renewed


def test_a_renewal_that_extends_nothing_is_not_stored(archived: Settings, tmp_path: Path) -> None:
    # found by exploratory testing: a B-LTA document stamped at signing by the TSA's current certificate, renewed
    # (a window longer than that certificate's life), got a second timestamp by the same certificate — protected
    # until the same day — stored and ledgered as "renewed"
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (before,) = store.records()
    entries = len(Ledger(store).keys())
    until = audit_archive(settings, renew=False).records[0].protected_until

    report = audit_archive(settings, renew_within_days=TSA_DAYS + 30)
    (record,) = report.records
    assert record.renewal == "not_extendable" and record.renewed_object is None, record
    assert record.protected_until == until and record.document == next(
        o.key for o in before.objects if o.role == "signed"
    )
    assert not report.ok and report.counts()["renewed"] == 0
    (problem,) = record.problems
    assert "a new timestamp would not protect longer; the TSA needs a new certificate" in problem
    assert f"không gia hạn được: dấu thời gian mới không bảo vệ lâu hơn, TSA cần chứng thư mới / {problem}" in (
        report.markdown()
    )
    assert store.added_objects(before) == [] and not any(
        key.rsplit("/", 1)[-1].startswith("document.renewed-") for key in store._keys(f"{before.archive_prefix}/")
    )
    assert len(Ledger(store).keys()) == entries  # no "renewed" entry


def test_tampered_object_is_drift(archived: Settings, tmp_path: Path) -> None:
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    original = next(o for o in record.objects if o.role == "original")
    (settings.data_dir / "archive" / original.key).write_bytes(b"changed behind the archive's back")
    report = audit_archive(settings, renew_within_days=TSA_DAYS + 30)
    assert not report.ok and report.exit_code == 1
    (audited,) = report.records
    assert audited.fixity == "drift"
    assert f"{original.key}: SHA-256 differs from the one recorded" in audited.problems
    assert audited.renewal == "skipped"  # never re-timestamp what is not what was archived
    assert report.to_json_dict()["problems"][record.id][0].startswith(original.key)


def test_a_rewritten_number_and_signer_are_said_against_the_ledger(archived: Settings, tmp_path: Path) -> None:
    """QA94 F8: a record.json whose number and signer were rewritten was said "record.json changed since it was
    archived" and no more: the auditor could not tell what changed. The record's own "classified" and "signed"
    ledger entries say what they were, in the audit's row and in the ledger check alike."""
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    assert record.classification is not None and record.signature is not None
    number, signer = record.classification.number, record.signature.signer_subject
    sidecar = settings.data_dir / "archive" / str(record.archive_prefix) / "record.json"
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    data["classification"]["number"] = "99/QĐ-UBND"
    data["signature"]["signer_subject"] = "Common Name: Nguyễn Văn Giả"
    sidecar.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = audit_archive(settings, renew_within_days=TSA_DAYS + 30)
    (audited,) = report.records
    said = " ".join(audited.problems)
    assert f"number 99/QĐ-UBND in record.json, {number or 'none'} in ledger entry" in said, said
    assert f"signer Common Name: Nguyễn Văn Giả in record.json, {signer} in ledger entry" in said, said
    assert "type " not in said.split("not the record archived", 1)[1], said  # the type was not changed
    ledger_said = " ".join(Ledger(store).verify())
    assert "number 99/QĐ-UBND in record.json" in ledger_said and "signer Common Name: Nguyễn" in ledger_said


def test_a_rewritten_record_json_is_drift_in_its_own_row(archived: Settings, tmp_path: Path) -> None:
    """Found by QA: a rewritten record.json (a document number changed) was named by the ledger check only; the
    record's own row — and its entry in the JSON — said fixity "ok"."""
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    sidecar = settings.data_dir / "archive" / str(record.archive_prefix) / "record.json"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("Về việc", "Về  việc"), encoding="utf-8")
    report = audit_archive(settings, renew_within_days=TSA_DAYS + 30)
    (audited,) = report.records
    assert audited.fixity == "drift" and report.counts()["drift"] == 1
    assert [p for p in audited.problems if "record.json changed since it was archived" in p], audited.problems
    assert audited.renewal == "skipped"
    # QA65: the row showed the number the rewritten record.json gave as fact, and "1 signature TOTAL_PASSED"
    # (while `list` refused the record and `verify --archive` failed it): nothing the ledger vouches for says which
    # file is its signed PDF, so it is not verified, its type and number not shown, its protection not claimed
    assert not audited.as_archived and audited.doc_type is None and audited.number is None, audited
    assert audited.signatures == [] and not audited.signatures_passed and audited.protected_until is None
    assert report.counts()["signatures_passed"] == 0 and report.counts()["renewal_not_needed"] == 0
    assert f"| {record.id} | — | — | sai lệch / drift | chưa xác minh / not verified |  |" in report.markdown()


def test_a_record_whose_archived_entry_is_gone_or_edited_is_its_problem_not_an_older_sohoas(
    archived: Settings, tmp_path: Path
) -> None:
    """QA65: the last ledger entries cut off, the record's "archived" one with them: its row passed (fixity ok,
    TOTAL_PASSED) and a warning called it "archived by a sohoa from before 2026-11-30 16:38 UTC … sohoa ledger seal
    brings them under the check", while `ledger seal --dry-run` said "no record to seal". Its index entry names the
    entry that archived it: this sohoa's, gone — the record's problem in its row, in `ledger verify` (which says the
    end was cut even when the local folder's retention records of the entries went too) and in `ledger seal`. An
    edited "archived" entry likewise: its row passed."""
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    seq = store.archived_seq(record)
    assert seq is not None
    ledger_dir = settings.archive_dir / ".ledger"
    last = max(int(p.stem) for p in ledger_dir.glob("*.json"))
    entry = ledger_dir / f"{seq:012d}.json"
    entry.chmod(0o644)
    entry.write_text(entry.read_text(encoding="utf-8").replace('"tool": "', '"tool": "x'), encoding="utf-8")
    report = audit_archive(settings, renew=False)
    (audited,) = report.records
    # its files match its record.json, which nothing vouches for now: not said changed ("drift", until 2026-12-02),
    # not passed either
    assert audited.fixity == "unvouched" and not audited.as_archived and not audited.signatures_passed, audited
    assert report.counts()["unvouched"] == 1 and report.counts()["drift"] == 0 and report.exit_code == 1
    # its signatures not verified, and not counted as verified and failed (QA67)
    assert report.counts()["signatures_not_verified"] == 1 and report.counts()["signatures_not_passed"] == 0
    assert [p for p in audited.problems if f"ledger entry {seq}, which archived it, is gone or edited" in p]
    assert "chưa xác nhận được / unvouched" in report.markdown()
    # nor does the ledger check say its record.json changed: it is the entry that was edited
    said = [p for p in report.ledger_problems if record.id in p]
    assert said and not [p for p in said if "changed since it was archived" in p], said

    for n in range(seq, last + 1):
        (ledger_dir / f"{n:012d}.json").unlink()
    for meta in (settings.archive_dir / ".retention" / ".ledger").glob("*.json"):
        meta.unlink()  # no trace of the entries left but the index entry naming one
    report = audit_archive(settings, renew=False)
    (audited,) = report.records
    assert audited.fixity == "unvouched" and audited.sidecar_checked and audited.number is None, audited
    (problem,) = [p for p in audited.problems if f"ledger entry {seq}, which archived it, is gone or edited" in p]
    assert report.counts()["sidecar_unchecked"] == 0 and report.counts()["signatures_passed"] == 0
    assert not [w for w in report.ledger_warnings if "record.json" in w], report.ledger_warnings
    assert "mục sổ nhật ký ghi việc lưu trữ hồ sơ này đã bị xóa hoặc sửa" in report.markdown()
    env = _env(settings)
    verified = CliRunner().invoke(app, ["ledger", "verify"], env=env)
    said = " ".join(verified.output.split())
    assert verified.exit_code == 1 and f"entry {seq}: removed from the end of the ledger" in said, said
    assert f"archived record {record.id} (entry {seq})" in said, said
    seal = CliRunner().invoke(app, ["ledger", "seal", "--dry-run"], env=env)
    said = " ".join(seal.output.split())
    assert seal.exit_code == 1 and f"ledger entry {seq}, which archived it, is gone or edited" in said, said
    assert "every record.json is checked" not in said, said


def test_a_tampered_signed_file_claims_no_protection_and_is_not_counted_renewal_not_needed(
    archived: Settings, tmp_path: Path
) -> None:
    """QA65: document.pdf changed (DRIFT, TOTAL_FAILED), its row still said "protected until 30/11/2031" and
    renewal "not needed", counted in renewal_not_needed: a record with problems is renewal "skipped", and what
    would protect a file that failed is not claimed."""
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    signed = settings.archive_dir / str(record.archive_prefix) / "document.pdf"
    signed.chmod(0o644)
    data = bytearray(signed.read_bytes())
    data[len(data) // 3] ^= 1
    signed.write_bytes(bytes(data))
    report = audit_archive(settings, renew=False)
    (audited,) = report.records
    assert audited.fixity == "drift" and not audited.signatures_passed, audited
    assert audited.renewal == "skipped" and audited.protected_until is None and audited.protected_by is None
    counts = report.counts()
    assert counts["renewal_not_needed"] == 0 and counts["renewal_skipped"] == 1, counts
    assert "chưa cần / not needed" not in report.markdown()


def test_audit_command(archived: Settings, tmp_path: Path) -> None:
    settings = _copy_of(archived, tmp_path)
    env = _env(settings)
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "--json", "--no-renew"], env=env)
    payload = json.loads(result.stdout)
    assert result.exit_code == 0 and payload["ok"] is True, result.output
    assert payload["counts"]["records"] == 1 and payload["records"][0]["renewal"] == "not_needed"
    # every time in Vietnam time, to the second, as the header's (QA134 F10: UTC with microseconds)
    vietnam_time = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")
    assert vietnam_time.fullmatch(payload["started_at"]) and vietnam_time.fullmatch(payload["finished_at"]), payload
    assert vietnam_time.fullmatch(payload["records"][0]["protected_until"]), payload["records"][0]
    due = runner.invoke(app, ["audit", "--no-renew", "--renew-within", str(TSA_DAYS + 30)], env=env)
    assert due.exit_code == 1 and "needed" in due.output and "ATTENTION" in due.output, due.output
    fixity = runner.invoke(app, ["audit", "--fixity-only", "--json"], env=env)
    assert fixity.exit_code == 0 and json.loads(fixity.stdout)["objects"] >= 3, fixity.output
    table = runner.invoke(app, ["audit"], env=env)
    assert table.exit_code == 0 and "TOTAL_PASSED" in table.output and "OK" in table.output, table.output
    # each problem in Vietnamese too, with its facts, in both audits' --json (QA99 F3: English only)
    sidecar = next(Path(settings.archive_location).glob("*/*/*/record.json"))
    sidecar.write_bytes(sidecar.read_bytes() + b"\n")  # its bytes changed, its meaning not
    for command in (["audit", "--json", "--no-renew"], ["audit", "--fixity-only", "--json"]):
        drift = json.loads(runner.invoke(app, command, env=env).stdout)
        (record_id,) = [rid for rid in drift["problems"] if rid != "ledger"]
        (said,) = drift["problems_vi"][record_id]
        assert said.startswith("record.json đã bị sửa sau khi lưu trữ") and "mã SHA-256 không phải mã mục" in said, said
    # the ledger's own lines begin in both languages (QA100: "ledger:" alone)
    text = " ".join(runner.invoke(app, ["audit", "--no-renew"], env=env, terminal_width=200).output.split())
    assert "sổ nhật ký / ledger: record.json đã bị sửa" in text, text


def test_a_failed_renewal_is_not_counted_as_needed_not_done(archived: Settings, tmp_path: Path) -> None:
    # found by exploratory testing: the text summary of `sohoa audit` added failed renewals to "renewal needed,
    # not done", and a failure whose message held "missing" was called a missing file in Vietnamese
    settings = _copy_of(archived, tmp_path, tsa_url="http://127.0.0.1:9/tsa")  # refused
    report = audit_archive(settings, renew_within_days=TSA_DAYS + 30)
    (record,) = report.records
    assert record.renewal == "failed" and not report.ok, report.to_json_dict()
    counts = report.counts()
    assert (counts["renewal_failed"], counts["renewal_needed_not_done"], counts["renewal_skipped"]) == (1, 0, 0)
    assert "| gia hạn thất bại / failed | gia hạn dấu thời gian thất bại / timestamp renewal failed: " in (
        report.markdown()
    )
    result = CliRunner().invoke(app, ["audit", "--renew-within", str(TSA_DAYS + 30)], env=_env(settings))
    text = " ".join(result.output.split())  # the console wraps long lines
    assert result.exit_code == 1, result.output
    assert "renewal needed, not done 0;" in text and "gia hạn thất bại / renewal failed 1;" in text, text
    assert "gia hạn dấu thời gian thất bại / timestamp renewal failed: " in text, text


def test_prefect_flow_publishes_the_report(archived: Settings, tmp_path: Path, prefect_api: str) -> None:
    """The flow once, in its own process (as a worker runs it, against a Prefect server)."""
    overrides = {
        "data_dir": str(_copy_of(archived, tmp_path).data_dir),
        "tsa_url": archived.tsa_url,
        "trust_roots": [str(p) for p in archived.trust_roots],
        "trust_dev_ca": False,
    }
    result = run_flow_for_its_artifact(
        "from flows.prefect_audit import archive_audit",
        "archive_audit(settings_overrides=json.loads(sys.argv[1]), return_state=True)",
        [json.dumps(overrides)],
        tmp_path / "prefect",
        prefect_api,
    )
    payload = result["result"]
    assert payload["ok"] is True, payload
    assert payload["counts"]["records"] == 1 and payload["counts"]["fixity_ok"] == 1
    assert result["key"] == "archive-audit"
    markdown = result["markdown"]
    assert "| hồ sơ / record | loại / type |" in markdown and payload["records"][0]["record_id"] in markdown


def _audit_flow_run(settings: Settings, prefect_home: Path, api_url: str) -> dict[str, Any]:
    """The Prefect ``archive-audit`` flow run on ``settings``' archive, as a deployment runs it: its state, result
    and artifacts."""
    overrides = {
        "data_dir": str(settings.data_dir),
        "tsa_url": settings.tsa_url,
        "trust_roots": [str(p) for p in settings.trust_roots],
        "trust_dev_ca": False,
    }
    (run,) = run_flows_for_their_states(
        "from flows.prefect_audit import archive_audit",
        [f"archive_audit(settings_overrides={overrides!r}, return_state=True)"],
        prefect_home,
        api_url,
    )
    return run


def test_prefect_flow_run_with_a_changed_archived_file_ends_failed(
    archived: Settings, tmp_path: Path, prefect_api: str
) -> None:
    """Found by QA on a real Prefect server: an audit that found an archived file changed ended "Completed" (an INFO
    line and the artifact's title said otherwise), so a notification on Failed never fired for tampering."""

    settings = _copy_of(archived, tmp_path)
    (record,) = open_configured_archive(settings).records()
    original = next(o for o in record.objects if o.role == "original")
    (settings.data_dir / "archive" / original.key).write_bytes(b"changed behind the archive's back")
    run = _audit_flow_run(settings, tmp_path / "prefect", prefect_api)
    assert run["state"]["type"] == "FAILED", run["state"]
    message = run["state"]["message"]
    assert "the archive audit found problems (1 record(s)" in message and "drift: 1" in message, message
    # Vietnamese first, as every message an officer reads (English only until 2026-12-03)
    assert message.startswith("kiểm tra kho phát hiện vấn đề (1 hồ sơ") and "CẦN XỬ LÝ: hồ sơ: 1" in message, message
    assert "sai lệch: 1" in message, message
    assert run["result"]["ok"] is False and run["result"]["counts"]["drift"] == 1  # the report, still returned
    assert record.id in run["result"]["problems"]
    assert "archive-audit" in run["artifacts"]


def test_a_document_without_document_timestamp_gets_its_first(test_pki: TestPKI, tmp_path: Path) -> None:
    """B-LT (no document timestamp yet) rests on its signer certificate too; renewal makes it B-LTA."""
    from test_signing import make_pdf

    from flows.audit import protection_of, renew_timestamps
    from signing import load_identity, sign_pdf
    from signing.verify import load_trust_roots

    roots = load_trust_roots([test_pki.root_cert])[0]
    identity = load_identity(
        "pkcs12", keys_dir=tmp_path / "k", pkcs12_file=test_pki.pkcs12_file(SIGNER), passphrase=PKCS12_PASSWORD
    )
    signed = tmp_path / "b-lt.pdf"
    sign_pdf(
        make_pdf(tmp_path / "in.pdf"), signed, identity, level="B-LT", tsa_url=test_pki.tsa_url, validation_roots=roots
    )
    before = protection_of(signed.read_bytes())
    assert before.latest_kind == "signature_timestamp" and before.document_timestamps == 0
    assert before.by and before.by.startswith("signer certificate")  # 1 year, sooner than the TSA's 10
    renewed = tmp_path / "renewed.pdf"
    renewed.write_bytes(renew_timestamps(signed.read_bytes(), test_pki.tsa_url, roots))
    after = protection_of(renewed.read_bytes())
    assert after.latest_kind == "document_timestamp" and after.document_timestamps == 1
    assert after.until and before.until and after.until > before.until
    result = verify_pdf(renewed, [test_pki.root_cert])
    assert result.passed and result.signatures[0].level == "B-LTA", result.model_dump_json(indent=2)


def test_the_audit_refuses_a_location_with_no_archive(tmp_path: Path) -> None:
    # the weekly Prefect deployment calls audit_archive without the command line's check: a mistyped archive
    # location passed there as an empty archive, "OK"
    from storage import ArchiveUnavailableError

    settings = Settings(data_dir=tmp_path / "var", archive=str(tmp_path / "archiv"))  # type: ignore[call-arg]
    with pytest.raises(ArchiveUnavailableError, match="no archive at"):
        audit_archive(settings, renew=False)


def test_the_audit_verifies_online_once_the_embedded_revocation_data_is_stale(tmp_path: Path) -> None:
    """A B-LTA document's newest timestamp is validated now, so its TSA chain needs revocation data current now.
    The root CRL embedded at signing goes stale at its nextUpdate: offline, the document is then INDETERMINATE
    TRY_LATER (the verifier says since when), and the audit — which before failed every such record and refused
    to renew it — asks the CA online. The root's CRL period here is 20 s instead of 90 days (real waiting)."""
    import time as _time

    from cryptography import x509
    from signing_pki import running_pki

    from flows.audit import protection_of

    period = 20
    # the root's CRL periods counted from a year ago plus 3 s (a year is a whole number of periods): the next one
    # starts ~3 s from now, soon after the PKI is up, instead of up to a period later (the wait below is the same)
    cas_from = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3) - timedelta(days=365)
    with running_pki(tmp_path / "pki", root_crl_period=f"PT{period}S", cas_from=cas_from) as pki:
        # start right after a root CRL update, so that signing and the pipeline's own verification of the signed
        # file fall within one CRL period
        origin = x509.load_pem_x509_certificate(pki.root_cert.read_bytes()).not_valid_before_utc.timestamp()
        _time.sleep(period - (_time.time() - origin) % period + 0.2)
        settings = _settings(tmp_path / "var", pki)
        result = process_document(_scan(tmp_path / "tờ trình.png", "TỜ TRÌNH\nVề việc sửa chữa trường học"), settings)
        assert result.outcome == Outcome.ARCHIVED, result.summary()
        store = open_configured_archive(settings)
        (record,) = store.records()
        signed = tmp_path / "signed.pdf"
        signed.write_bytes(store.read_verified(record, "signed"))

        protection = protection_of(signed.read_bytes())
        stale_from = protection.revocation_current_until
        assert stale_from is not None and protection.revocation_by == "sohoa Test TSA", protection
        assert stale_from - datetime.now(UTC) < timedelta(seconds=period)
        _time.sleep(max(0.0, (stale_from - datetime.now(UTC)).total_seconds()) + 1.0)

        offline = verify_pdf(signed, [pki.root_cert])
        timestamp = offline.document_timestamps[-1]
        assert (timestamp.indication, timestamp.sub_indication) == ("INDETERMINATE", "TRY_LATER")
        assert any(
            f"embeds for sohoa Test TSA was current until {day_vn(stale_from).isoformat()}" in w  # Vietnam's day
            for w in timestamp.warnings
        ), timestamp.warnings
        assert verify_pdf(signed, [pki.root_cert], online=True).passed

        report = audit_archive(settings, renew=False)
        (audited,) = report.records
        assert report.ok and audited.signatures_passed and audited.verified_online, report.to_json_dict()
        assert audited.revocation_current_until == stale_from
        assert audited.renewal == "not_needed" and audited.problems == []
        (note,) = audited.notes
        assert "offline verification said TRY_LATER" in note and "sohoa Test TSA" in note
        assert "đã xác minh trực tuyến" in report.markdown()


def test_audit_lines_in_vietnamese_and_english(archived: Settings, tmp_path: Path) -> None:
    """QA: the record's signature line (`Signature1: TOTAL_FAILED (HASH_FAILURE)`), the signatures column
    (`1 signature TOTAL_PASSED`) and the `--fixity-only` summary (`7 records, 21 objects: DRIFT`) were English only."""
    fresh = audit_archive(archived)
    (record,) = fresh.records
    assert record.signature_summary() == (
        "1 chữ ký hợp lệ / 1 signature TOTAL_PASSED; "
        "1 dấu thời gian tài liệu hợp lệ / 1 document timestamp TOTAL_PASSED"
    )
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (stored,) = store.records()
    signed = next(o for o in stored.objects if o.role == "signed")
    path = settings.data_dir / "archive" / signed.key
    data = bytearray(path.read_bytes())
    first_range_end = verify_pdf(path, list(settings.trust_roots)).signatures[0].byte_range[1]
    at = data.index(b"stream", first_range_end // 2) + 40  # inside a stream the signature covers
    assert at < first_range_end
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    report = audit_archive(settings, renew_within_days=TSA_DAYS + 30)
    (audited,) = report.records
    assert any(
        p.endswith(": Không hợp lệ / TOTAL_FAILED (nội dung đã bị thay đổi sau khi ký / HASH_FAILURE)")
        for p in audited.problems
    ), audited.problems
    assert audited.signature_summary().startswith("1 chữ ký không hợp lệ / 1 signature TOTAL_FAILED")
    fixity = CliRunner().invoke(app, ["audit", "--fixity-only"], env=_env(settings))
    assert fixity.exit_code == 1 and "1 hồ sơ / records" in fixity.output, fixity.output
    assert "SAI LỆCH / DRIFT" in fixity.output, fixity.output
    # the full audit's summary and the Prefect artifact: every word in both languages (QA: "objects", "drift",
    # "entries intact" were English only)
    full = CliRunner().invoke(app, ["audit", "--no-renew"], env=_env(settings))
    said = " ".join(full.output.split())
    assert full.exit_code == 1 and "đối tượng / objects" in said and "sai lệch / drift 1" in said, said
    assert "mục / entries nguyên vẹn / intact" in said and "sai lệch / DRIFT" in said
    markdown = report.markdown()
    assert "CẦN XỬ LÝ / ATTENTION" in markdown and "Sổ nhật ký / ledger" in markdown
    assert "| sai lệch / drift (`drift`) | 1 |" in markdown and "| sai lệch / drift |" in markdown


def test_a_record_whose_record_json_cannot_be_read_is_a_row_of_drift_and_the_others_are_audited(
    archived: Settings, tmp_path: Path, prefect_api: str
) -> None:
    """QA: one record's record.json made `{"broken` (or `[]`): `sohoa audit`, `--json` and `--fixity-only` ended in
    a 58-line pydantic traceback (exit 1, no table, nothing on stdout), and so did the weekly Prefect audit. Now
    that record has a row of its own — drift, its record.json named unreadable in Vietnamese and English — the
    other records are audited as ever (signatures verified), and the run fails (exit 1; the flow run Failed)."""
    from storage_helpers import make_record

    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (good,) = store.records()
    record, files = make_record(tmp_path / "in", "unreadable")
    bad = store.put(record, files)
    (settings.data_dir / "archive" / str(bad.archive_prefix) / "record.json").write_text('{"broken\n')
    report = audit_archive(settings)
    rows = {r.record_id: r for r in report.records}
    assert set(rows) == {good.id, bad.id}, report.to_json_dict()
    assert rows[good.id].fixity == "ok" and rows[good.id].signatures_passed and not rows[good.id].problems
    assert rows[bad.id].fixity == "drift" and rows[bad.id].path == bad.archive_prefix
    (problem,) = rows[bad.id].problems
    assert f"record {bad.id} ({bad.archive_prefix}): record.json unreadable (not JSON)" in problem
    assert report.counts()["drift"] == 1 and report.exit_code == 1 and not report.archive_problems
    assert f"| {bad.id} | — | — | sai lệch / drift | chưa xác minh / not verified |" in report.markdown()
    assert "record.json không đọc được" in report.markdown()
    run = _audit_flow_run(settings, tmp_path / "prefect", prefect_api)
    assert run["state"]["type"] == "FAILED", run["state"]
    assert "drift: 1" in run["state"]["message"], run["state"]
    assert run["result"]["problems"][bad.id] == [problem] and run["result"]["counts"]["records"] == 2
    assert "record.json không đọc được" in run["artifacts"]["archive-audit"]


def test_audit_table_writes_days_as_officers_do(archived: Settings, tmp_path: Path) -> None:
    """QA58: the audit's table showed "protected until" as 2031-11-30 where the other officer tables write
    30/11/2031 (sohoa.vietnamese.vn_date); the JSON keeps ISO."""
    from sohoa.vietnamese import vn_date

    env = _env(_copy_of(archived, tmp_path))
    payload = json.loads(CliRunner().invoke(app, ["audit", "--json", "--no-renew"], env=env).stdout)
    iso = payload["records"][0]["protected_until"][:10]
    table = CliRunner().invoke(app, ["audit", "--no-renew"], env=env)
    assert table.exit_code == 0, table.output
    assert vn_date(iso) in table.output and iso not in table.output, table.output
    markdown = audit_archive(_copy_of(archived, tmp_path / "again"), renew=False).markdown()
    assert f"| {vn_date(iso)} |" in markdown, markdown


def test_the_audit_table_gives_the_day_in_vietnam() -> None:
    """A certificate expiring at 17:30 UTC expires on the next day in Vietnam, as the JSON's +07:00 times say: the
    table said the UTC day (03/12 where the JSON said 2036-12-04), and its test failed from 17:00 to 24:00 UTC."""
    from datetime import UTC, datetime

    from flows.audit import AUDIT_COLUMNS, RecordAudit, record_cells

    record = RecordAudit(record_id="r1", protected_until=datetime(2036, 12, 3, 17, 30, tzinfo=UTC))
    cells = dict(zip(AUDIT_COLUMNS, record_cells(record), strict=True))
    assert cells["bảo vệ đến / protected until"] == "04/12/2036", cells
    assert json.loads(record.model_dump_json())["protected_until"].startswith("2036-12-04T00:30:00+07:00")


def test_audit_shows_the_officers_correction_as_list_does(archived: Settings, tmp_path: Path) -> None:
    """QA59: after `review set ID --type qd --number … --date …`, `list`, `get` and `search` showed the officer's
    type and number while the audit's table still showed the archived one (`unknown`). The table (and the Prefect
    markdown) shows the correction, marked so; the JSON keeps the archived `doc_type`, `number` and adds
    `corrected` (as `list --json`) and `correction`."""
    settings = _copy_of(archived, tmp_path)
    env = _env(settings)
    runner = CliRunner()
    before = json.loads(runner.invoke(app, ["audit", "--json", "--no-renew"], env=env).stdout)["records"][0]
    assert before["corrected"] is False and before["correction"] is None
    record_id, archived_type = before["record_id"], before["doc_type"]
    assert archived_type != "QĐ"
    fixed = runner.invoke(
        app,
        ["review", "set", record_id, "--type", "qd", "--number", "77/QĐ-UBND", "--date", "3/5/2025", "--no-retrain"],
        env=env,
    )
    assert fixed.exit_code == 0, fixed.output
    listed = json.loads(runner.invoke(app, ["list", "--json"], env=env).stdout)["records"][0]
    assert (listed["doc_type"], listed["number"], listed["corrected"]) == ("QĐ", "77/QĐ-UBND", True)
    table = runner.invoke(app, ["audit", "--no-renew"], env={**env, "COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    assert "QĐ" in table.output and "77/QĐ-UBND" in table.output and "đã sửa / corrected" in table.output, table.output
    row = json.loads(runner.invoke(app, ["audit", "--json", "--no-renew"], env=env).stdout)["records"][0]
    assert (row["doc_type"], row["number"]) == (before["doc_type"], before["number"])  # as archived
    assert row["corrected"] is True
    assert row["correction"] == {"doc_type": "QĐ", "number": "77/QĐ-UBND", "issued_on": "2025-05-03"}
    markdown = audit_archive(settings, renew=False).markdown()
    assert "| QĐ (đã sửa / corrected) | 77/QĐ-UBND |" in markdown, markdown


def test_records_archived_before_the_ledger_kept_their_record_json_hash_are_counted_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA61: in an archive upgraded from a sohoa before 2026-11-30, a rewritten record.json of an old record passed
    the audit ("OK"), and nothing said which records the record.json check does not cover. Counted and named now,
    a warning (not a failure: nothing is known to be wrong)."""
    from storage.base import BaseArchive
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "var")
    original_append, original_index = Ledger.append, BaseArchive._write_index

    def append_as_before(self: Ledger, *args: object, **kwargs: object) -> dict[str, object]:
        kwargs.pop("sidecar_sha256", None)  # as sohoa wrote the "archived" entry before 2026-11-30 16:38 UTC
        return original_append(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "append", append_as_before)
    monkeypatch.setattr(BaseArchive, "_write_index", lambda self, record, seq=None: original_index(self, record))
    old = process_document(_scan(tmp_path / "cũ.png", "THÔNG BÁO\nVề lịch tiếp công dân"), settings)
    monkeypatch.undo()
    new = process_document(_scan(tmp_path / "mới.png", "TỜ TRÌNH\nVề việc sửa chữa trường học"), settings)
    assert old.record is not None and new.record is not None, (old.summary(), new.summary())

    report = audit_archive(settings, renew=False)
    checked = {r.record_id: r.sidecar_checked for r in report.records}
    assert checked == {old.record.id: False, new.record.id: True}, checked
    assert report.counts()["sidecar_unchecked"] == 1
    (warning,) = [w for w in report.ledger_warnings if "record.json" in w]
    # QA62: what matters is the sohoa that archived them, not the day; begun as the other warnings are
    assert warning.startswith("cảnh báo: 1 hồ sơ được lưu trữ bởi một phiên bản sohoa trước 30/11/2026 16:38 UTC"), (
        warning
    )
    assert "archived before 2026-11-30 have" not in warning, warning
    assert f"a rewrite of their record.json is not detected ({old.record.id})" in warning, warning
    assert warning in report.markdown()
    said = CliRunner().invoke(app, ["audit", "--no-renew"], env=_env(settings))
    english = (
        "warning: 1 record(s) archived by a sohoa from before 2026-11-30 16:38 UTC (its 'archived' ledger entry "
        "holds no record.json SHA-256)"
    )
    assert english in " ".join(said.output.split()), said.output
    # the fixity-only audit said "đạt / ok" and nothing else: the same count and warning now, still exit 0
    fixity = CliRunner().invoke(app, ["audit", "--fixity-only"], env=_env(settings))
    assert fixity.exit_code == 0, fixity.output
    assert english in " ".join(fixity.output.split()), fixity.output
    as_json = CliRunner().invoke(app, ["audit", "--fixity-only", "--json"], env=_env(settings))
    assert json.loads(as_json.stdout)["sidecar_unchecked"] == [old.record.id], as_json.output

    # `sohoa ledger seal` brings it under the check: a "sealed" entry holding its record.json's SHA-256 as it is
    # now, named by its index entry; then a rewrite of it is caught by list, get, ledger verify and the audit
    env = _env(settings)
    dry = CliRunner().invoke(app, ["ledger", "seal", "--dry-run", "--json"], env=env)
    assert dry.exit_code == 0, dry.output
    assert [r["record_id"] for r in json.loads(dry.stdout)["sealed"]] == [old.record.id]
    assert json.loads(dry.stdout)["sealed"][0]["entry"] is None  # nothing written
    sealed = CliRunner().invoke(app, ["ledger", "seal"], env=env)
    assert sealed.exit_code == 0, sealed.output
    assert f"{old.record.id} (" in sealed.output and "đã niêm phong / sealed" in sealed.output, sealed.output
    again = CliRunner().invoke(app, ["ledger", "seal"], env=env)
    assert "no record to seal" in " ".join(again.output.split()), again.output  # run again: nothing written
    report = audit_archive(settings, renew=False)
    assert report.ok and report.counts()["sidecar_unchecked"] == 0, report.to_json_dict()
    assert not [w for w in report.ledger_warnings if "record.json" in w]
    store = open_configured_archive(settings)
    sidecar = settings.archive_dir / str(old.record.archive_prefix) / "record.json"
    sidecar.chmod(0o644)
    sidecar.write_text(
        sidecar.read_text(encoding="utf-8")
        .replace('"needs_review": true', '"needs_review": false')
        .replace('"doc_type": "TB"', '"doc_type": "QĐ"'),
        encoding="utf-8",
    )
    assert store.get(old.record.id) is not None
    for command in (["list"], ["get", old.record.id], ["ledger", "verify"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 1, (command, result.output)
        assert "changed since it was archived" in " ".join(result.output.split()), (command, result.output)
    assert not audit_archive(settings, renew=False).ok


def test_a_row_whose_valid_signatures_are_not_of_the_archived_file_says_why_they_do_not_count() -> None:
    """QA72: another validly signed PDF copied over a record's document.pdf: the row said DRIFT and "1 signature
    TOTAL_PASSED", while the count put it under "signatures not passed" — a reader could not match the count to
    any row. The row says the signatures are not counted: not those of the file archived."""
    from flows.audit import RecordAudit, SignatureCheck

    valid = SignatureCheck(field_name="Signature1", kind="signature", indication="TOTAL_PASSED", level="B-B")
    swapped = RecordAudit(record_id="a" * 16, fixity="drift", signatures=[valid], signatures_passed=False)
    assert swapped.signature_summary() == (
        "1 chữ ký hợp lệ / 1 signature TOTAL_PASSED — không tính là đạt: không phải tệp đã lưu / not counted as "
        "passed: not the file archived"
    )
    kept = RecordAudit(record_id="b" * 16, signatures=[valid], signatures_passed=True)
    assert kept.signature_summary() == "1 chữ ký hợp lệ / 1 signature TOTAL_PASSED"


def test_a_retention_shortened_or_a_hold_lifted_behind_the_archives_back_is_the_records_problem(
    archived: Settings, tmp_path: Path
) -> None:
    """A folder archive keeps each object's retention and hold in a file (``.retention/KEY.json``): one edited to
    an earlier day, removed, or its hold set off let a record retained for years be deleted (sohoa dispose now asks
    the ledger too, QA76), and the audit said nothing of it. Each object whose retention ends before the day its
    record's "archived" entry recorded, or whose hold is off while the ledger has the record held, is named in the
    record's row, in both languages."""
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    assert audit_archive(settings, renew_within_days=0).ok
    store.set_hold(record, True, actor="thanh-tra")
    assert audit_archive(settings, renew_within_days=0).ok  # a hold the ledger records is no problem
    original, signed = (next(o for o in record.objects if o.role == role) for role in ("original", "signed"))
    retention = settings.data_dir / "archive" / ".retention"
    shortened = retention / f"{original.key}.json"
    said = json.loads(shortened.read_text(encoding="utf-8"))
    shortened.write_text(json.dumps({**said, "retain_until": "2026-01-01T00:00:00+00:00"}), encoding="utf-8")
    (retention / f"{signed.key}.json").unlink()
    sidecar = retention / str(record.archive_prefix) / "record.json.json"
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "legal_hold": False}), encoding="utf-8")

    report = audit_archive(settings, renew_within_days=0)
    assert not report.ok and report.exit_code == 1
    (row,) = report.records
    # the files are as archived, their custody is not: drift, as `--fixity-only` calls it (QA79: "ok" here)
    assert row.fixity == "drift" and row.signatures_passed, row
    entry = next(e for e in Ledger(store).excerpt(record.id) if e["action"] == "archived")
    until = re.search(r"retained until (\d{4}-\d{2}-\d{2})", entry["detail"])
    assert until is not None
    assert row.problems == [
        f"{original.key}: retained only until 2026-01-01 — ledger entry {row_seq(store, record.id)} retains its record "
        f"until {until.group(1)}: its retention shortened or removed behind the archive's back",
        f"{signed.key}: not retained — ledger entry {row_seq(store, record.id)} retains its record until "
        f"{until.group(1)}: its retention shortened or removed behind the archive's back",
        f"{signed.key}: not under legal hold — ledger entry {held_seq(store, record.id)} put its record under one, "
        "never released: its legal hold lifted behind the archive's back",
        f"{record.archive_prefix}/record.json: not under legal hold — ledger entry {held_seq(store, record.id)} put "
        "its record under one, never released: its legal hold lifted behind the archive's back",
    ], row.problems
    markdown = report.markdown()
    assert "thời hạn lưu giữ của tệp bị rút ngắn hoặc gỡ bỏ ngoài phần mềm (sổ nhật ký ghi dài hơn) (tệp " in markdown
    assert "phong tỏa pháp lý của tệp bị gỡ ngoài phần mềm" in markdown, markdown
    fixity = store.fixity_audit()  # `sohoa audit --fixity-only` names them too
    assert fixity.problems == {record.id: row.problems}, fixity.problems
    # `get` shows the day it was archived to be kept until, and says the archive's records were edited (QA79: it
    # showed the edited day as fact, "over, may be disposed of")
    from flows.cli import app

    shown = " ".join(CliRunner().invoke(app, ["get", record.id], env=_env(settings)).output.split())
    assert "the archive's retention records say earlier: edited behind the archive's back" in shown, shown
    assert "có thể hủy / over, may be disposed of" not in shown, shown


def test_a_hold_whose_ledger_entry_was_removed_is_the_records_problem(archived: Settings, tmp_path: Path) -> None:
    """QA98 F6: `hold ID on`, then its "held" ledger entry (the last one: the chain stays whole) removed with its
    retention record — `ledger verify` and the audit said intact, while every object of the record stayed held with
    no entry saying who held it, or when. The audit names each object so held, in both languages."""
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    store.set_hold(record, True, actor="thanh-tra")
    seq = held_seq(store, record.id)
    folder = settings.data_dir / "archive"
    (folder / ".ledger" / f"{seq:012d}.json").unlink()
    (folder / ".retention" / ".ledger" / f"{seq:012d}.json.json").unlink(missing_ok=True)
    assert Ledger(store).verify() == []  # the chain alone cannot tell: its last entry is gone
    report = audit_archive(settings, renew_within_days=0)
    assert not report.ok and report.exit_code == 1
    (row,) = report.records
    held_keys = store.record_keys(record)
    assert row.problems == [
        f"{key}: under a legal hold no ledger entry records: its 'held' entry removed, or the hold set behind the "
        "archive's back"
        for key in held_keys
    ], row.problems
    assert "tệp đang bị phong tỏa pháp lý mà sổ nhật ký không ghi" in report.markdown()


def row_seq(store: Any, record_id: str) -> int:
    return next(e["seq"] for e in Ledger(store).excerpt(record_id) if e["action"] == "archived")


def held_seq(store: Any, record_id: str) -> int:
    return next(e["seq"] for e in Ledger(store).excerpt(record_id) if e["action"] == "held")


def test_an_audit_of_another_archive_writes_nothing_in_the_auditors_data_folder(
    archived: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA99 F8: `sohoa audit --archive THEIRS` made DATA_DIR/work/audit/… in the auditor's own data folder (every
    read-only `verify` made nothing). Its scratch is a temporary folder now, removed when the audit ends."""
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    auditor = tmp_path / "kiểm toán viên"
    auditor.mkdir()
    env = {**_env(archived), "SOHOA_DATA_DIR": str(auditor)}
    result = CliRunner().invoke(
        app, ["audit", "--archive", str(archived.archive_location), "--no-renew", "--json"], env=env
    )
    assert result.exit_code in (0, 1), result.output
    assert json.loads(result.stdout)["counts"]["records"] == 1, result.stdout
    assert list(auditor.iterdir()) == [], list(auditor.rglob("*"))
    assert list(scratch.iterdir()) == [], list(scratch.rglob("*"))  # used, and removed
    helped = " ".join(CliRunner().invoke(app, ["audit", "--help"], env=env).output.split())
    assert "Renewing WRITES to the archive" in helped and "gives --no-renew" in helped, helped


def test_a_folder_put_in_place_of_a_records_document_is_that_file_missing(archived: Settings, tmp_path: Path) -> None:
    """QA134 F2: `document.pdf` replaced by a folder ended that record's audit in a traceback — its fixity said
    "ok", the problem English only — and `verify --archive` exited 3 with no report ("the archive cannot be read").
    The folder is no object: the file is missing, named in both languages, and the other records are checked."""
    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    document = settings.data_dir / "archive" / str(record.archive_prefix) / "document.pdf"
    document.unlink()
    document.mkdir()
    report = audit_archive(settings)
    (row,) = report.records
    assert row.fixity == "drift" and report.exit_code == 1, report.to_json_dict()
    assert any(f"{record.archive_prefix}/document.pdf: missing" in problem for problem in row.problems), row.problems
    assert "Traceback" not in json.dumps(report.to_json_dict())
    env = _env(settings)
    verified = CliRunner().invoke(app, ["verify", "--archive", "--json"], env=env)
    assert verified.exit_code == 1, verified.output
    (file,) = json.loads(verified.stdout)["files"]
    assert not file["passed"] and "is missing" in json.dumps(file), file


def test_a_verification_report_of_another_signed_file_is_named(archived: Settings, tmp_path: Path) -> None:
    """QA134 F6: a record whose document.pdf was swapped for another validly signed file, its record.json and the
    ledger made to agree, kept a verification.json of the first file — its SHA-256 another — and the audit did not
    compare them. The report's SHA-256 is held against the signed file's the record names."""
    from flows.ledger_check import problem_in_vietnamese

    settings = _copy_of(archived, tmp_path)
    store = open_configured_archive(settings)
    (record,) = store.records()
    report = settings.data_dir / "archive" / str(record.archive_prefix) / "verification.json"
    said = json.loads(report.read_text(encoding="utf-8"))
    assert said["sha256"] == next(o.sha256 for o in record.objects if o.role == "signed")
    said["sha256"] = "ab" * 32
    report.write_text(json.dumps(said), encoding="utf-8")
    (row,) = audit_archive(settings).records
    (problem,) = [p for p in row.problems if "the record's files disagree" in p]
    assert problem.startswith(f"{record.archive_prefix}/verification.json: the verdict of another document.pdf")
    assert "verification.json là kết quả xác minh của một tệp đã ký khác" in problem_in_vietnamese(problem)
