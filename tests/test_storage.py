"""The archive on both backends: a local folder and a REAL S3 server (SeaweedFS `weed mini`, started here)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import itertools
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bagit
import pytest
from minio.error import S3Error
from pydantic import SecretStr
from signing_pki import TestPKI
from storage_helpers import dead_pid, leave_claim, make_record
from typer.testing import CliRunner

from flows.cli import app
from flows.ledger_check import ledger_verdict, problem_in_vietnamese
from sohoa.errors import BadInputError, Problem
from sohoa.record import Record
from sohoa.settings import Settings
from sohoa.vietnamese import today_vn, vn_date
from storage import (
    Archive,
    ArchiveIntegrityError,
    ArchiveUnavailableError,
    BaseArchive,
    DamagedRecord,
    DamagedRecordError,
    LocalArchive,
    RetentionError,
    fixity_audit,
    open_archive,
)
from storage.base import (
    ARCHIVE_PROBLEMS,
    DEFAULT_RETENTION_YEARS,
    NOT_THE_SCAN_DESCRIBED,
    PERMANENT_YEARS,
    record_prefix,
    retain_until,
    retention_years,
)
from storage.export import batch_records, export_bag, export_batch_bag, missing_from_batch, validate_bag
from storage.ledger import Ledger, entry_hash
from storage.s3 import S3Archive, make_client
from storage.s3server import SeaweedServer
from storage.stamps import (
    DayHead,
    StampError,
    request_token,
    stamp_closed_days,
    stamp_days,
    stamp_head,
    token_imprint,
)

ROOT = Path(__file__).resolve().parent.parent
_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def s3_settings(server: SeaweedServer, data_dir: Path, bucket: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=data_dir,
        archive=f"s3://{bucket}/xa-an-binh",
        s3_endpoint=server.endpoint,
        s3_access_key=server.access_key,
        s3_secret_key=server.secret_key,
    )


@pytest.fixture(params=["local", "s3"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> BaseArchive:
    if request.param == "local":
        return open_archive(tmp_path / "archive")
    server: SeaweedServer = request.getfixturevalue("s3_server")
    settings = s3_settings(server, tmp_path, f"sohoa-test-{next(_buckets)}")
    return open_archive(settings.archive, settings)


def tamper(archive: BaseArchive, key: str, data: bytes) -> None:
    """Change an object behind the archive's back (on S3: a raw client write, which adds a newer version)."""
    if isinstance(archive, LocalArchive):
        (archive.root / key).parent.mkdir(parents=True, exist_ok=True)
        (archive.root / key).write_bytes(data)
    else:
        assert isinstance(archive, S3Archive)
        archive.client.put_object(archive.bucket, archive._name(key), io.BytesIO(data), len(data))


def remove_behind(archive: BaseArchive, key: str) -> None:
    if isinstance(archive, LocalArchive):
        (archive.root / key).unlink()
    else:
        assert isinstance(archive, S3Archive)
        archive.client.remove_object(archive.bucket, archive._name(key))  # a delete marker: the plain "rm"


# ---------------------------------------------------------------------------------------------- put/get
def test_put_find_get_verify(archive: BaseArchive, tmp_path: Path) -> None:
    assert isinstance(archive, Archive)  # one interface, two backends
    record, files = make_record(tmp_path / "in", "decision")
    archived = archive.put(record, files)
    assert archived.archive_prefix == f"2025/QĐ/15-QĐ-UBND--{record.id}"
    assert {o.role for o in archived.objects} == {"original", "signed", "report"}
    assert archived.state.value == "archived"
    found = archive.find(record.source.sha256)
    assert found is not None and found.id == record.id and found.objects == archived.objects
    got = archive.get(record.id)
    assert got is not None and got.source.sha256 == record.source.sha256
    assert archive.get("ffffffffffffffff") is None
    assert [r.id for r in archive.records()] == [record.id]
    assert archive.verify_objects(found) == []
    assert archive.read_verified(found, "signed") == files["signed"][1].read_bytes()
    assert archive.read_verified(found, "original") == files["original"][1].read_bytes()


def test_put_is_idempotent(archive: BaseArchive, tmp_path: Path) -> None:
    record, files = make_record(tmp_path / "in", "twice")
    first = archive.put(record, files)
    again, _ = make_record(tmp_path / "in", "twice")
    second = archive.put(again, files)
    assert second.id == first.id and second.objects == first.objects
    assert len(list(archive.records())) == 1
    archived_entries = [e for e in Ledger(archive).excerpt(record.id) if e["action"] == "archived"]
    assert len(archived_entries) == 1


def test_checksum_mismatch_is_detected(archive: BaseArchive, tmp_path: Path) -> None:
    record, files = make_record(tmp_path / "in", "tampered")
    archived = archive.put(record, files)
    signed = next(o for o in archived.objects if o.role == "signed")
    tamper(archive, signed.key, b"%PDF-1.7 forged")
    assert archive.verify_objects(archived) == [f"{signed.key}: SHA-256 differs from the one recorded"]
    with pytest.raises(ArchiveIntegrityError, match=f"record {record.id}: .*document.pdf: SHA-256 mismatch"):
        archive.read_verified(archived, "signed")
    report = fixity_audit(archive)
    assert not report.ok and report.problems[record.id] == [f"{signed.key}: SHA-256 differs from the one recorded"]


def test_an_original_that_is_not_the_scan_its_record_describes_is_drift(archive: BaseArchive, tmp_path: Path) -> None:
    """QA94 F1: an inbox file rewritten while a batch processed it was archived as another paper's original: each
    object matched the hash stored for it, and the audit and `ledger verify` passed. The original is held to the
    record's source SHA-256 too."""
    record, files = make_record(tmp_path / "in", "describes")
    files["original"][1].write_bytes(b"another paper's scan, saved over it")
    archived = archive.put(record, files)
    original = next(o for o in archived.objects if o.role == "original")
    expected = f"{original.key}: {NOT_THE_SCAN_DESCRIBED} ({record.source.sha256})"
    assert archive.verify_objects(archived) == [expected]
    report = fixity_audit(archive)
    assert not report.ok and report.problems[record.id] == [expected]


def test_a_file_in_the_index_not_named_by_a_sha256_is_no_record(archive: BaseArchive, tmp_path: Path) -> None:
    """QA94 F3: a file slipped into the index (`.by-sha256/zzz.json`) became a record "zzz" of its own — a row in the
    audit, counted, "record zzz (None) … entries removed" — beside being named as part of no record. It is that
    once, and nothing else."""
    record, files = make_record(tmp_path / "in", "indexed")
    archive.put(record, files)
    tamper(archive, ".by-sha256/zzz.json", b"{}")
    assert [found.id for found in archive.records()] == [record.id]
    report = fixity_audit(archive)
    assert report.records == 1 and list(report.problems) == [ARCHIVE_PROBLEMS], report.problems
    assert report.problems[ARCHIVE_PROBLEMS] == [
        ".by-sha256/zzz.json: in the archive but part of no record (added behind the archive's back)"
    ]


def test_fixity_audit_clean(archive: BaseArchive, tmp_path: Path) -> None:
    for seed in ("a", "b"):
        record, files = make_record(tmp_path / "in", seed, number=f"{seed}/QĐ-UBND")
        archive.put(record, files)
    report = fixity_audit(archive)
    assert report.ok and report.records == 2 and report.objects == 6


def test_interrupted_record_is_completed_without_duplicates(archive: BaseArchive, tmp_path: Path) -> None:
    """A run that died after writing some objects (no sidecar, no index): the rerun completes it once."""
    record, files = make_record(tmp_path / "in", "crashed")
    from storage.base import record_prefix, retain_until, sha256_bytes

    prefix = record_prefix(record)
    data = files["original"][1].read_bytes()
    archive._write(f"{prefix}/original.png", data, sha256_bytes(data), retain_until("QĐ", archive.retention_table))
    assert archive.find(record.source.sha256) is None and list(archive.records()) == []
    archived = archive.put(record, files)
    assert [r.id for r in archive.records()] == [record.id]
    assert archive.verify_objects(archived) == []


# ---------------------------------------------------------------------------------------------- retention
def test_retained_record_cannot_be_deleted_or_overwritten(archive: BaseArchive, tmp_path: Path) -> None:
    record, files = make_record(tmp_path / "in", "kept")
    archived = archive.put(record, files)
    infos = archive.retention(archived)
    assert len(infos) == 4
    for info in infos:
        assert info.retain_until is not None and info.retain_until.year >= datetime.now(UTC).year + 69  # QĐ: 70 y
    with pytest.raises(RetentionError, match="retained|refused"):
        archive.delete_record(archived)
    signed = next(o for o in archived.objects if o.role == "signed")
    from storage.base import sha256_bytes

    with pytest.raises(RetentionError, match="overwrite"):
        archive._write(signed.key, b"other content", sha256_bytes(b"other content"), None)
    assert archive.verify_objects(archived) == []
    assert archive.find(record.source.sha256) is not None


def test_civil_status_is_kept_permanently(archive: BaseArchive, tmp_path: Path) -> None:
    record, files = make_record(tmp_path / "in", "khai-tu", doc_type="HT-KT", number="12/TLKT")
    archived = archive.put(record, files)
    for info in archive.retention(archived):
        assert info.retain_until is not None and info.retain_until.year >= datetime.now(UTC).year + 400


def test_s3_server_enforces_retention(s3_server: SeaweedServer, tmp_path: Path) -> None:
    """On S3 the server itself (object lock, COMPLIANCE) refuses: not just our code."""
    settings = s3_settings(s3_server, tmp_path, f"sohoa-test-{next(_buckets)}")
    store = open_archive(settings.archive, settings)
    assert isinstance(store, S3Archive)
    record, files = make_record(tmp_path / "in", "worm")
    archived = store.put(record, files)  # the first write creates the bucket
    assert store.client.get_bucket_versioning(store.bucket).status == "Enabled"
    assert store.object_lock_enabled()
    signed = next(o for o in archived.objects if o.role == "signed")
    name = store._name(signed.key)
    stat = store.client.stat_object(store.bucket, name)
    retention = store.client.get_object_retention(store.bucket, name, version_id=stat.version_id)
    assert retention is not None and retention.mode == "COMPLIANCE"
    # deleting the version: refused by the server
    with pytest.raises(S3Error, match="AccessDenied"):
        store.client.remove_object(store.bucket, name, version_id=stat.version_id)
    # overwriting with a raw client only adds a newer version; the retained one is intact
    store.client.put_object(store.bucket, name, io.BytesIO(b"forged"), 6)
    original = store.client.get_object(store.bucket, name, version_id=stat.version_id)
    try:
        assert original.read() == files["signed"][1].read_bytes()
    finally:
        original.close()
        original.release_conn()
    assert store.verify_objects(archived) == [f"{signed.key}: SHA-256 differs from the one recorded"]


def test_a_disposal_the_retention_or_a_hold_forbids_does_not_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA74: a record deleted by hand from a folder archive — retained ten more years, under legal hold — with a
    "disposed" entry appended to the ledger (its hash chained as sohoa chains them) passed every check, exit 0.
    sohoa disposes of nothing before its retention ends or under a hold (``delete_record``: both refuse), so such
    an entry does not count: dated before the end of the retention its "archived" entry recorded, while a hold is
    on, or after now (its time set past the retention). Each is named, and its record as gone; a disposal sohoa
    made, its retention over, stays silent."""
    import shutil

    import storage.base

    archive = open_archive(tmp_path / "archive")

    def archived(seed: str, expired: bool) -> Record:
        record, files = make_record(tmp_path / "in", seed, number=f"{len(seed)}/QĐ-UBND")
        if expired:  # archived with a retention that ended yesterday
            with monkeypatch.context() as patch:
                patch.setattr(storage.base, "retain_until", lambda *_: datetime.now(UTC) - timedelta(days=1))
                return archive.put(record, files)
        return archive.put(record, files)

    def deleted_by_hand(record: Record) -> None:
        assert record.archive_prefix
        shutil.rmtree(Path(archive.location) / record.archive_prefix)
        remove_behind(archive, f".by-sha256/{record.source.sha256}.json")

    ledger = Ledger(archive)
    retained = archived("retained", expired=False)
    deleted_by_hand(retained)
    ledger.append("disposed", retained.id, detail="retention over")
    held = archived("held-on", expired=True)
    archive.set_hold(held, True)
    deleted_by_hand(held)
    ledger.append("disposed", held.id, detail="retention over")
    future = archived("from-the-future", expired=True)
    deleted_by_hand(future)
    ledger.append("disposed", future.id, detail="retention over", at=datetime(2037, 1, 1, tzinfo=UTC))
    disposed = archived("disposed-of", expired=True)
    archive.delete_record(disposed)  # as sohoa disposes of a record
    ledger.append("disposed", disposed.id, detail="retention over")  # a second time (QA76: accepted silently)
    # one for a scan not archived yet: it counted once the scan was (QA76), and is named now
    ledger.append("disposed", "0123456789abcdef", detail="retention over")

    problems = ledger.verify()
    said = {record.id: [p for p in problems if p.startswith(f"record {record.id}")] for record in (retained, held)}
    assert "before the end of its retention (20" in said[retained.id][0], problems
    assert "while under legal hold (ledger entry" in said[held.id][0], problems
    assert any(p.startswith(f"record {future.id}") and "on 2037-01-01T00:00:00+00:00, after now" in p for p in problems)
    for record in (retained, held, future):
        assert any(p.startswith(f"record {record.id}: archived (ledger entry") for p in problems), problems
    twice = [p for p in problems if disposed.id in p]
    assert len(twice) == 1 and "disposed of a second time (ledger entry" in twice[0], problems
    assert any("record 0123456789abcdef: " in p and "before it was ever archived" in p for p in problems), problems
    assert len(problems) == 8, problems
    vietnamese = problem_in_vietnamese(said[held.id][0])
    assert vietnamese.startswith("mục sổ nhật ký ghi hồ sơ đã hủy khi chưa được hủy"), vietnamese
    verdict = ledger_verdict(problems)
    # five records: the three deleted by hand, the one disposed of twice, the id never archived (one each, not a
    # count of their lines, QA76)
    assert verdict.startswith("chuỗi nguyên vẹn / chain intact") and "; 5 hồ sơ không khớp sổ" in verdict, verdict


def test_fixity_only_calls_a_rewritten_record_json_its_records_drift(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA74: with a record.json's number rewritten, the full audit showed DRIFT in the record's row, while
    `audit --fixity-only` said "ATTENTION (the ledger, or objects outside every record)", the problem filed under
    the ledger. It is that record's drift in both."""
    archive = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "rewritten")
    archived = archive.put(record, files)
    key = f"{archived.archive_prefix}/record.json"
    tamper(archive, key, (archive._read(key) or b"").replace(b"15/Q\xc4\x90-UBND", b"99/Q\xc4\x90-UBND"))
    report = archive.fixity_audit()
    assert report.drifted == [archived.id] and list(report.problems) == [archived.id], report.problems
    assert "record.json changed since it was archived" in report.problems[archived.id][0], report.problems
    said = CliRunner().invoke(app, ["audit", "--fixity-only"], env=_cli_env(archive, tmp_path, request))
    assert said.exit_code == 1 and "SAI LỆCH / DRIFT" in said.stdout, said.output


def test_dispose_deletes_a_record_whose_retention_is_over_and_refuses_one_retained_or_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """QA74: there was no command to dispose of a record whose retention is over (only the Python API), so an office
    could only remove it by hand — which every check names as gone. `sohoa dispose ID --reason DECISION` refuses
    while the retention runs or a hold is on (exit 1, said), says with --dry-run whether it may, and deletes it
    with a "disposed" ledger entry naming the decision, out of the search index; the checks stay clean."""
    import storage.base

    archive = open_archive(tmp_path / "archive")
    env = _cli_env(archive, tmp_path, request)
    kept_record, kept_files = make_record(tmp_path / "in", "kept")
    kept = archive.put(kept_record, kept_files)
    over, files = make_record(tmp_path / "in", "over", number="9/QĐ-UBND")
    with monkeypatch.context() as patch:  # archived with a retention that ended yesterday
        patch.setattr(storage.base, "retain_until", lambda *_: datetime.now(UTC) - timedelta(days=1))
        over = archive.put(over, files)
    import shutil

    runner = CliRunner()
    decision = "QĐ 12/QĐ-UBND ngày 02/12/2026 về hủy tài liệu hết giá trị"

    def dispose(record_id: str, *more: str) -> Any:
        return runner.invoke(app, ["dispose", record_id, "--reason", decision, *more], env=env)

    retained = dispose(kept.id)
    said = " ".join(retained.output.split())
    # the day as officers write it, in both halves (QA98: the English half said it in ISO)
    assert retained.exit_code == 1 and re.search(r"lưu giữ đến \d\d/\d\d/20\d\d.* retained until \d\d/\d\d/20", said), (
        said
    )
    # a class kept for ever is said to be, not its 500-year date, as `get` says it (QA98: "retained until 2526-…")
    birth, birth_files = make_record(tmp_path / "in", "permanent", doc_type="HT-KS", number="12/2025")
    archive.put(birth, birth_files)
    permanent = " ".join(dispose(birth.id, "--dry-run").output.split())
    assert "lưu giữ vĩnh viễn" in permanent and "kept permanently" in permanent and "/25" not in permanent, permanent
    archive.set_hold(over, True)
    held = dispose(over.id)
    assert held.exit_code == 1 and "under legal hold" in " ".join(held.output.split()), held.output
    # --json says them as the text does (QA98 F5: a script could not find the records held, or due for disposal)
    for record_id, hold, over_now, permanent_now in ((over.id, True, True, False), (birth.id, False, False, True)):
        shown_json = json.loads(runner.invoke(app, ["get", record_id, "--json"], env=env).stdout)
        assert shown_json["legal_hold"] is hold, shown_json
        assert shown_json["retention"]["over"] is over_now and shown_json["retention"]["permanent"] is permanent_now
        assert shown_json["retention"]["retained_until"] and shown_json["retention"]["unreadable"] is False
    archive.set_hold(over, False)
    shown = " ".join(runner.invoke(app, ["get", over.id], env=env).output.split())
    assert "(đã hết, có thể hủy / over, may be disposed of)" in shown, shown  # the day alone did not say (QA76)
    # the folder's retention records edited or removed: the ledger's own "retained until" still forbids it (QA76)
    tampered = Path(archive.location) / ".retention" / str(kept.archive_prefix)
    shutil.rmtree(tampered)
    ledger_says = dispose(kept.id)
    said = " ".join(ledger_says.output.split())
    assert ledger_says.exit_code == 1 and "its ledger entries forbid disposing of it now" in said, said
    assert "before the end of its retention (20" in said and archive.get(kept.id) is not None, said
    dry = dispose(over.id, "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["disposed"] is False, dry.output
    assert archive.get(over.id) is not None
    done = dispose(over.id, "--by", "Hội đồng xác định giá trị tài liệu")
    assert done.exit_code == 0 and "đã hủy / disposed of" in done.output, done.output
    assert archive.get(over.id) is None and archive.folder_gone(str(over.archive_prefix))
    # its folder and its retention records' folder gone too, not left empty (QA76)
    assert not (Path(archive.location) / str(over.archive_prefix)).exists()
    assert not (Path(archive.location) / ".retention" / str(over.archive_prefix)).exists()
    (entry,) = [e for e in Ledger(archive).excerpt(over.id) if e["action"] == "disposed"]
    assert decision in entry["detail"], entry
    assert entry["actor"].startswith("Hội đồng xác định giá trị tài liệu ("), entry  # who decided (QA98 F10)
    assert Ledger(archive).verify() == [] and archive.get(kept.id) is not None
    # the retention records removed by hand are named, each object of the record kept (the audit said nothing)
    named = archive.fixity_audit().problems
    assert list(named) == [kept.id] and len(named[kept.id]) == len(archive.record_keys(kept)), named
    assert all("not retained — ledger entry" in line for line in named[kept.id]), named
    # asked for since: when, by whom, by which decision (QA76: "not in the archive")
    asked = runner.invoke(app, ["get", over.id], env=env)
    said = " ".join(asked.output.split())
    assert asked.exit_code == 1 and f"record {over.id}: disposed of on 20" in said and decision in said, said
    vietnamese = said.split(" / record ")[0]  # its entry's English words said in Vietnamese there (QA100)
    assert ": hết thời hạn lưu giữ; " in vietnamese and "retention over" not in vietnamese, said
    # its scan archived again since, then removed by hand: gone, not disposed of (the disposal was the earlier one's)
    _, files = make_record(tmp_path / "again", "over", number="9/QĐ-UBND")
    again = archive.put(over.model_copy(update={"objects": [], "archive_prefix": None}), files)
    assert again.id == over.id and archive.get(over.id) is not None and Ledger(archive).verify() == []
    shutil.rmtree(Path(archive.location) / str(again.archive_prefix))
    remove_behind(archive, f".by-sha256/{again.source.sha256}.json")
    assert any(p.startswith(f"record {over.id}: archived (ledger entry") for p in Ledger(archive).verify())


def test_legal_hold_on_and_off(archive: BaseArchive, tmp_path: Path) -> None:
    record, files = make_record(tmp_path / "in", "held")
    archived = archive.put(record, files)
    archive.set_hold(archived, True, actor="can-bo-tu-phap")
    assert all(info.legal_hold for info in archive.retention(archived))
    with pytest.raises(RetentionError):
        archive.delete_record(archived)
    archive.set_hold(archived, False, actor="can-bo-tu-phap")
    assert not any(info.legal_hold for info in archive.retention(archived))
    actions = [e["action"] for e in Ledger(archive).excerpt(record.id)]
    assert actions[-2:] == ["held", "released"]


def test_the_retention_and_hold_the_ledger_records_are_found_on_every_object(
    archive: BaseArchive, tmp_path: Path
) -> None:
    """The audit holds each object's retention and hold against the ledger (``retention_problems``): on a folder
    and on a real object-locked bucket, as sohoa writes them — an object added after archiving, a hold put on and
    taken off — nothing is named. The same on the server's retention dates, whose precision is the server's."""
    from storage.ledger import retention_owed

    record, files = make_record(tmp_path / "in", "custody")
    archived = archive.put(record, files)
    archive.add_object(archived, "note", "note.txt", b"ghi ch\xc3\xba", action="noted")

    def named() -> list[str]:
        owed = retention_owed(entry for _, entry in Ledger(archive).entries())
        assert owed[archived.id].until is not None and owed[archived.id].archived_by is not None
        return archive.retention_problems(archived, owed[archived.id])

    assert named() == [] and archive.fixity_audit().ok
    archive.set_hold(archived, True)
    assert named() == [] and archive.fixity_audit().ok
    archive.set_hold(archived, False)
    assert named() == [] and archive.fixity_audit().ok


# ---------------------------------------------------------------------------------------------- server down
def test_server_stopped_then_restarted(tmp_path: Path) -> None:
    """S3 down mid-batch: the put fails with an error naming the object (a fault, not bad input); after a
    restart the same put archives the record once; nothing was lost."""
    with SeaweedServer(tmp_path / "swfs") as server:
        client = make_client(server.endpoint, server.access_key, server.secret_key, retries=1)
        store = S3Archive(client, "sohoa-restart", "xa-an-binh")
        first, first_files = make_record(tmp_path / "in", "before")
        store.put(first, first_files)
        server.stop(kill=True)
        record, files = make_record(tmp_path / "in", "during")
        with pytest.raises(ArchiveUnavailableError, match=r"s3://sohoa-restart/xa-an-binh: .*"):
            store.put(record, files)
        server.start()
        again, _ = make_record(tmp_path / "in", "during")
        store.put(again, files)
        assert sorted(r.id for r in store.records()) == sorted([first.id, record.id])
        assert fixity_audit(store).ok


@contextlib.contextmanager
def _restarted_on_first_failure(server: SeaweedServer) -> Iterator[list[str]]:
    """The stopped ``server`` started again when sohoa logs its first warning (a failed attempt), so a test does not
    depend on timing; yields the warnings logged."""
    failures: list[str] = []

    class RestartOnFirstFailure(logging.Handler):
        def emit(self, entry: logging.LogRecord) -> None:
            failures.append(entry.getMessage())
            if len(failures) == 1:
                server.start()

    handler = RestartOnFirstFailure(level=logging.WARNING)
    logging.getLogger("sohoa").addHandler(handler)
    try:
        yield failures
    finally:
        logging.getLogger("sohoa").removeHandler(handler)


def test_archive_stage_tries_again_when_the_server_is_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline's archive stage (flows.pipeline.run_archive, the same with and without Prefect) meets an S3
    server that is down: it says so in the log, waits, and tries again; the server is back by then (restarted
    when the first failure is logged, so the test does not depend on timing) and the record is archived once.
    Bad input is never tried twice."""
    from flows import pipeline

    monkeypatch.setattr(pipeline, "ARCHIVE_RETRY_DELAYS", (1.0, 1.0, 1.0))  # production waits longer
    with SeaweedServer(tmp_path / "swfs") as server:
        settings = s3_settings(server, tmp_path / "data", "sohoa-retry")
        record, files = make_record(tmp_path / "in", "retry")
        server.stop(kill=True)
        with _restarted_on_first_failure(server) as failures:
            archived = pipeline.run_archive(record, files, settings)
        assert len(failures) == 1, failures
        assert f"archiving record {record.id} failed" in failures[0] and "attempt 2 of 4" in failures[0]
        store = open_archive(settings.archive, settings)
        assert [r.id for r in store.records()] == [record.id]
        assert archived.archive_prefix and fixity_audit(store).ok

    calls: list[int] = []

    def refuse() -> None:
        calls.append(1)
        raise BadInputError("scan.png", Problem.UNREADABLE_IMAGE)

    with pytest.raises(BadInputError):
        pipeline.retry_transient(refuse, (0.01, 0.01), "refusing", "từ chối")
    assert calls == [1]


def test_the_duplicate_check_tries_again_when_the_server_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: with S3 down at the start of a batch every file failed within ~1 s: the look-up of its SHA-256 in the
    archive (is it archived already?) was not retried, while README promises ~40 s of retries before a document
    is reported failed. It goes through the archive stage's retries now: the server back in time, the scan is
    archived."""
    from test_bad_input import small_scan_png

    from flows import pipeline

    monkeypatch.setattr(pipeline, "ARCHIVE_RETRY_DELAYS", (1.0, 1.0, 1.0))  # production waits longer
    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    with SeaweedServer(tmp_path / "swfs") as server:
        settings = s3_settings(server, tmp_path / "data", "sohoa-lookup")
        server.stop(kill=True)
        with _restarted_on_first_failure(server) as failures:
            result = pipeline.process_document(scan, settings)
        assert result.outcome == pipeline.Outcome.ARCHIVED, (result.reason_en, failures)
        assert f"looking for {scan.name} in the archive failed" in failures[0] and "attempt 2 of 4" in failures[0]
        store = open_archive(settings.archive, settings)
        assert [r.id for r in store.records()] == [result.record.id if result.record else None]


def test_a_document_failed_at_its_archive_keeps_its_work_for_the_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA136 F7: the S3 server stopped while a document was being archived, after its OCR and signature: the
    document failed, for the next run, but its work folder was removed with it — and with it the generation token
    that Prefect's cached OCR and signature results are keyed by. The rerun read and signed it again, and the
    cached results, the document's whole OCR text, stayed on disk for a week. The folder is kept now, and a rerun
    whose stages are cached (Prefect's runner says so: ``caches_stages``) works in it, under the same token; a run
    whose stages are not cached makes it afresh, a new token (QA138 F6: it rewrote the files under the old one,
    and a later cached run archived them as its own). Either removes it once the record is archived."""
    from test_bad_input import small_scan_png

    from flows import pipeline
    from flows.pipeline import WORK_TOKEN, work_token

    monkeypatch.setattr(pipeline, "ARCHIVE_RETRY_DELAYS", (0.01, 0.01, 0.01))  # production waits 1, 5, 30 s
    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    tokens: list[str | None] = []

    class Runner:
        """The pipeline's own runner (no Prefect here), the S3 server stopped at the archive stage while ``outage``."""

        def __init__(self, outage: bool, caches_stages: bool) -> None:
            self.outage, self.caches_stages = outage, caches_stages

        def __call__(self, stage: str, function: Any, *args: Any) -> Any:
            if stage == "ocr":
                tokens.append(work_token(Path(args[1]).parent))  # (path, searchable copy in the work folder, …)
            if stage == "archive" and self.outage:
                server.stop(kill=True)  # a real outage, between the signature and the archive
            return pipeline.direct_runner(stage, function, *args)

    with SeaweedServer(tmp_path / "swfs") as server:
        settings = s3_settings(server, tmp_path / "data", "sohoa-kept")
        failed = pipeline.process_document(scan, settings, runner=Runner(outage=True, caches_stages=False))
        assert failed.outcome == pipeline.Outcome.FAILED, failed.reason_en
        (work,) = [folder for folder in settings.work_path.iterdir() if (folder / WORK_TOKEN).is_file()]
        assert (work / "ocr.pdf").is_file() and (work / "document.pdf").is_file()
        server.start()
        again = pipeline.process_document(scan, settings, runner=Runner(outage=True, caches_stages=True))
        assert again.outcome == pipeline.Outcome.FAILED and work.is_dir(), again.reason_en
        server.start()
        archived = pipeline.process_document(scan, settings, runner=Runner(outage=False, caches_stages=False))
    assert archived.outcome == pipeline.Outcome.ARCHIVED, archived.reason_en
    assert tokens[0] is not None and tokens[1] == tokens[0]  # a cached rerun in the same folder, the same token
    assert tokens[2] is not None and tokens[2] != tokens[0]  # an uncached one in a folder made afresh
    assert not work.exists()  # done with, once archived


# ---------------------------------------------------------------------------------------------- ledger
def test_ledger_detects_edit_removal_and_reordering(archive: BaseArchive, tmp_path: Path) -> None:
    record, files = make_record(tmp_path / "in", "ledger")
    archive.put(record, files)
    ledger = Ledger(archive)
    assert ledger.verify() == []
    keys = ledger.keys()
    assert len(keys) == 5  # received, ocr, classified, signed, archived
    entries = {k: json.loads(archive._read(k) or b"") for k in keys}
    assert [e["action"] for e in entries.values()] == ["received", "ocr", "classified", "signed", "archived"]

    edited = dict(entries[keys[2]], detail="QĐ changed to TB")
    tamper(archive, keys[2], json.dumps(edited).encode())
    assert ledger.verify() == ["entry 3 (000000000003.json): content edited (its hash does not match)"]
    tamper(archive, keys[2], json.dumps(entries[keys[2]]).encode())
    assert ledger.verify() == []

    tamper(archive, keys[1], json.dumps(entries[keys[3]]).encode())
    tamper(archive, keys[3], json.dumps(entries[keys[1]]).encode())
    problems = ledger.verify()
    assert any("entry 4 (000000000002.json)" in p and "reordered" in p for p in problems), problems
    tamper(archive, keys[1], json.dumps(entries[keys[1]]).encode())
    tamper(archive, keys[3], json.dumps(entries[keys[3]]).encode())
    assert ledger.verify() == []

    remove_behind(archive, keys[1])
    assert ledger.verify() == ["entry 2: removed (sequence jumps from 1 to 3)"]


def test_a_file_slipped_into_the_ledger_is_named_and_no_entry_is_said_removed(
    archive: BaseArchive, tmp_path: Path
) -> None:
    """QA94 F2: a copy of entry 1 saved as 000000000999.json made the chain "end" at entry 1, and entries 2–162, all
    there, were said removed from the end of the ledger; a file in a folder inside the ledger was read as "entry
    None". The copy is named as what it is, the entries after it stand, and the folder's file is no entry."""
    record, files = make_record(tmp_path / "in", "planted")
    archive.put(record, files)
    ledger = Ledger(archive)
    first = archive._read(ledger.keys()[0]) or b""
    tamper(archive, ".ledger/000000000999.json", first)
    tamper(archive, ".ledger/sub/x.json", b"{}")
    problems = ledger.verify(indexed={record.id: 5})
    assert problems == [
        "entry 1 (000000000999.json): stored under another sequence number — reordered",
        "entry 1 (000000000999.json): does not follow the entry before it (chain broken) — reordered or inserted",
    ], problems
    tamper(archive, ".ledger/notes.json", '{"ghi chú": "kiểm kê"}'.encode())  # QA95: three broken entries, counted
    assert ledger.verify(indexed={record.id: 5}) == problems
    entry_keys = ledger.keys()  # (a list, not a dict's keys)
    assert ".ledger/sub/x.json" not in entry_keys and ".ledger/notes.json" not in entry_keys
    strays = fixity_audit(archive).problems[ARCHIVE_PROBLEMS]
    for key in (".ledger/sub/x.json", ".ledger/notes.json"):
        assert f"{key}: in the archive but part of no record (added behind the archive's back)" in strays, strays


def test_ledger_cut_off_at_its_end_is_reported(archive: BaseArchive, tmp_path: Path) -> None:
    # a chain without its last entries still checks out; the archive's records (and, locally, the retention
    # records of the ledger's objects; on S3, the delete markers) show what is missing
    first, first_files = make_record(tmp_path / "in", "first")
    second, second_files = make_record(tmp_path / "in2", "second")
    archive.put(first, first_files)
    archive.put(second, second_files)
    ledger = Ledger(archive)
    keys = ledger.keys()
    assert len(keys) == 10 and ledger.verify() == []
    for key in keys[7:]:
        remove_behind(archive, key)
    assert ledger.verify() == [
        "entry 8–10: removed from the end of the ledger (the archive shows they were written; the chain now ends "
        "at entry 7)",
        f"record {second.id} ({second.archive_prefix}): archived, but the ledger has no 'archived' entry for it "
        "— entries removed",
    ]
    # the next batch continues after the highest number written: the gap stays (it used to write 8–10 again)
    fresh_archive = open_archive(archive.location) if isinstance(archive, LocalArchive) else archive
    third, third_files = make_record(tmp_path / "in3", "third")
    fresh_archive._ledger_head = None  # a new process, which knows no head
    fresh_archive.put(third, third_files)
    assert Ledger(fresh_archive).verify()[:1] == ["entry 8–10: removed (sequence jumps from 7 to 11)"]
    for key in Ledger(fresh_archive).keys()[7:]:
        remove_behind(archive, key)
    for key in keys[:7]:
        remove_behind(archive, key)
    problems = ledger.verify()  # the whole ledger gone
    assert problems[0].startswith("entry 1–15: removed from the end of the ledger"), problems
    assert sum(f"record {r.id} " in p for r in (first, second, third) for p in problems) == 3


# A put in a child process that really dies (SIGKILL) at a chosen point; the hooks only choose the moment.
_DYING_PUT = """
import os, signal, sys
from pathlib import Path
from typing import Any

import storage.ledger
import storage.local
from sohoa.settings import Settings
from storage import open_archive
from storage_helpers import dead_pid, leave_claim, make_record

folder, kill_at = Path(sys.argv[1]), sys.argv[2]
point, number = kill_at.split(":")
if point == "entry-written":  # right after the first file of ledger entry N reaches the disk (local archive)
    name, write = f"{int(number):012d}.json", storage.local.atomic_write_bytes

    def dying_write(target, data):
        write(target, data)
        if target.name.startswith(name):
            os.kill(os.getpid(), signal.SIGKILL)

    storage.local.atomic_write_bytes = dying_write
elif point == "before-entry":  # before the put's N-th ledger entry
    calls, append = [0], storage.ledger.Ledger.append

    def dying_append(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == int(number):
            os.kill(os.getpid(), signal.SIGKILL)
        return append(self, *args, **kwargs)

    storage.ledger.Ledger.append = dying_append
settings = Settings()
archive = open_archive(settings.archive, settings)
if point == "before-write":  # before the put writes the object whose key holds the text after the colon
    write = type(archive)._write

    def dying_object_write(self, key, *args, **kwargs):
        if number in key:
            os.kill(os.getpid(), signal.SIGKILL)
        return write(self, key, *args, **kwargs)

    type(archive)._write = dying_object_write
record, files = make_record(folder, "killed")
archive.put(record, files)
"""


def _put_killed(archive: BaseArchive, folder: Path, kill_at: str, request: pytest.FixtureRequest) -> None:
    env = {**os.environ, "SOHOA_CONFIG": "", "SOHOA_DATA_DIR": str(folder / "data"), "SOHOA_ARCHIVE": archive.location}
    if isinstance(archive, S3Archive):
        env.update(_s3_env(request.getfixturevalue("s3_server"), folder / "data"))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), str(ROOT)])
    child = subprocess.run(
        [sys.executable, "-c", _DYING_PUT, str(folder), kill_at], env=env, capture_output=True, text=True, timeout=120
    )
    assert child.returncode == -9, child.stderr  # killed where it was meant to be, not failed


def test_a_put_killed_part_way_through_its_ledger_entries_is_completed_once(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Killed after two of a record's five ledger entries: the rerun adopts the record and writes the three
    missing entries (it used to write all five again, so the ledger said the scan was received twice)."""
    _put_killed(archive, tmp_path / "in", "before-entry:3", request)
    ledger = Ledger(archive)
    assert [e["action"] for _, e in ledger.entries() if e] == ["received", "ocr"]
    record, files = make_record(tmp_path / "in", "killed")  # the same scan again
    archive._ledger_head = None
    archived = archive.put(record, files)
    assert [e["action"] for e in ledger.excerpt(archived.id)] == ["received", "ocr", "classified", "signed", "archived"]
    assert ledger.verify() == []


def test_a_ledger_entry_killed_half_written_leaves_no_gap(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A local ledger entry and its retention record are two files. Killed after the first of them reached the
    disk: the rerun completes the record and the ledger has no gap and no unretained entry (with the retention
    record written first, the entry's number was skipped and reported as "removed" for ever)."""
    archive = open_archive(tmp_path / "archive")
    _put_killed(archive, tmp_path / "in", "entry-written:3", request)
    record, files = make_record(tmp_path / "in", "killed")
    archived = open_archive(tmp_path / "archive").put(record, files)
    ledger = Ledger(archive)
    assert ledger.verify() == []
    assert [e["action"] for e in ledger.excerpt(archived.id)] == ["received", "ocr", "classified", "signed", "archived"]
    entry_keys = ledger.keys()
    assert len(entry_keys) == 5
    for key in entry_keys:
        info = archive._info(key)
        assert info is not None and info.retain_until is not None, key


@pytest.mark.parametrize(
    ("kill_at", "stored"),
    [
        ("before-write:/record.json", "files"),  # the files written, not retained; no record.json
        ("before-entry:1", "record.json"),  # record.json written and retained; nothing in the ledger
        ("before-write:.by-sha256/", "ledger"),  # all but the index entry
    ],
)
def test_an_interrupted_put_is_named_as_such_until_the_rerun_finishes_it(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest, kill_at: str, stored: str
) -> None:
    """Found by SIGKILL testing: between a killed batch and its rerun, the audit and `ledger verify` called the
    half-archived record tampering — its files "added behind the archive's back", the record "archived but no
    longer in the archive". Each is now one line saying the write was interrupted and what to do."""
    _put_killed(archive, tmp_path / "in", kill_at, request)
    record, files = make_record(tmp_path / "in", "killed")  # the same scan, for the rerun
    prefix = f"2025/QĐ/15-QĐ-UBND--{record.id}"
    assert list(archive.records()) == []
    ledger = Ledger(archive)
    archived_at = ledger.archived_entries().get(record.id)
    problems = archive.stray_objects([]) + ledger.verify()
    assert len(problems) == 1, problems
    if stored == "files":
        assert problems[0] == (
            f"{prefix}: archive write interrupted before its record.json — 3 file(s) written, never retained "
            "(document.pdf, original.png, verification.json); rerun the batch with its scan to finish it, or they "
            "were put there by hand"
        )
    else:
        assert (archived_at is not None) == (stored == "ledger")
        assert problems[0] == (
            f"record {record.id} ({prefix}): archive write interrupted — record.json and the files are stored, "
            + (
                f"ledger entry {archived_at} says archived, its index entry never written"
                if stored == "ledger"
                else "its 'archived' ledger entry and index entry never written"
            )
            + " (or deleted by hand); run sohoa ledger finish (or rerun the batch with its scan) to finish it"
        )
        assert problem_in_vietnamese(problems[0]).startswith(
            "lưu vào kho bị gián đoạn (tiến trình bị dừng, hoặc kho không trả lời, giữa chừng): chạy sohoa "
            "ledger finish"
        )
    assert problem_in_vietnamese(problems[0]).startswith("lưu vào kho bị gián đoạn")
    assert ledger_verdict(ledger.verify()).startswith("nguyên vẹn / intact")
    if stored == "ledger" and isinstance(archive, LocalArchive):
        said = CliRunner().invoke(app, ["ledger", "verify"], env={"SOHOA_DATA_DIR": str(tmp_path)})
        assert said.exit_code == 1  # something to do, though nothing was tampered with
        text = " ".join(said.stdout.split())
        assert "nguyên vẹn / intact; 1 lần lưu bị gián đoạn" in text and "BROKEN" not in text, text
    audit = fixity_audit(archive)
    assert [line for lines in audit.problems.values() for line in lines] == problems
    archive._ledger_head = None
    archived = archive.put(record, files)
    assert archived.archive_prefix == prefix and [r.id for r in archive.records()] == [record.id]
    assert fixity_audit(archive).ok and archive.stray_objects(archive.records()) == []


def _contents(archive: BaseArchive, but: str | None = None) -> dict[str, tuple[bytes | None, datetime | None]]:
    """Every object of the archive (``but`` those under that prefix) with its bytes and retention: what a dry run
    must leave as it was."""
    return {
        key: (archive._read(key), info.retain_until if (info := archive._info(key)) else None)
        for key in archive._keys("")
        if but is None or not key.startswith(but)
    }


@pytest.mark.parametrize(
    ("kill_at", "missing"),
    [
        ("before-entry:1", ["received", "ocr", "classified", "signed", "archived"]),  # only record.json and files
        ("before-entry:3", ["classified", "signed", "archived"]),  # killed part-way through the ledger entries
        ("before-write:.by-sha256/", []),  # all but the index entry
    ],
)
def test_ledger_finish_completes_an_interrupted_write_without_the_scan(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest, kill_at: str, missing: list[str]
) -> None:
    """A killed put left the record's files and record.json (each read back before it) but no index entry: the
    only way to finish it was to rerun the batch with the scan. `sohoa ledger finish` writes what the end of the
    put would have — the ledger entries missing, then the index entry — and a rerun of it, or of the scan, then
    finds nothing to do. --dry-run says the same and writes nothing."""
    _put_killed(archive, tmp_path / "in", kill_at, request)
    record, files = make_record(tmp_path / "in", "killed")  # the same scan: only to check against at the end
    prefix = f"2025/QĐ/15-QĐ-UBND--{record.id}"
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    before = _contents(archive)
    dry = runner.invoke(app, ["ledger", "finish", "--dry-run", "--json"], env=env)
    assert dry.exit_code == 0, dry.output
    payload = json.loads(dry.stdout)
    assert payload["dry_run"] is True and (payload["finished"], payload["not_finished"]) == (1, 0)
    (write,) = payload["writes"]
    assert (write["path"], write["record_id"], write["finished"]) == (prefix, record.id, True)
    assert write["index_entry"] == f".by-sha256/{record.source.sha256}.json"
    assert [e["action"] for e in write["ledger_entries"]] == missing
    assert _contents(archive) == before  # nothing written, nothing retained
    said = runner.invoke(app, ["ledger", "finish", "--dry-run"], env=env)
    assert said.exit_code == 0 and "sẽ hoàn tất / would finish" in said.output, said.output
    assert _contents(archive) == before

    # a `.NAME.part-*` file as a writer killed mid-append leaves it (QA: `ledger finish` killed so left one in the
    # ledger, which stayed until the next batch): the command that holds the archive's write lock removes it
    partial = None
    if isinstance(archive, LocalArchive):
        partial = archive.root / ".retention" / ".ledger" / ".000000000009.json.json.part-3u_t90z6"
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(b'{"seq": 9, "act')
    done = runner.invoke(app, ["ledger", "finish"], env=env)
    text = " ".join(done.output.split())
    assert done.exit_code == 0, done.output
    assert partial is None or not partial.exists()
    said = f"hồ sơ / record {record.id} ({prefix}): đã hoàn tất / finished — mục chỉ mục / index entry .by-sha256/"
    assert said in text, text
    # what it wrote, or that the ledger entries were there, in both languages (QA69: English only)
    assert (
        "; mục sổ nhật ký / ledger entries: " in text
        if missing
        else "(các mục sổ nhật ký đã ghi từ trước / its ledger entries were written before)" in text
    ), text
    assert "1 đã hoàn tất / finished, 0 không hoàn tất được / not finished" in text, text
    archive._ledger_head = None  # written by the command: this object's cache is stale
    ledger = Ledger(archive)
    assert [r.archive_prefix for r in archive.records()] == [prefix]
    actions = [e["action"] for e in ledger.excerpt(record.id)]
    assert actions == ["received", "ocr", "classified", "signed", "archived"]  # each once
    (archived_entry,) = [e for e in ledger.excerpt(record.id) if e["action"] == "archived"]
    found = archive.find(record.source.sha256)
    assert found is not None and archive.archived_seq(found) == archived_entry["seq"]
    assert ledger.verify() == [] and archive.stray_objects(archive.records()) == [] and fixity_audit(archive).ok
    assert all(info.retain_until is not None for info in archive.retention(found))
    verified = runner.invoke(app, ["ledger", "verify"], env=env)
    assert verified.exit_code == 0 and "nguyên vẹn / intact" in verified.output, verified.output

    entries = len(ledger.keys())
    again = runner.invoke(app, ["ledger", "finish", "--json"], env=env)
    assert again.exit_code == 0 and json.loads(again.stdout)["writes"] == [], again.output
    plain = runner.invoke(app, ["ledger", "finish"], env=env)
    assert plain.exit_code == 0 and "nothing to do" in plain.output, plain.output
    archive._ledger_head = None
    rerun = archive.put(record, files)  # the batch rerun with the scan: already archived
    assert rerun.archive_prefix == prefix and len(ledger.keys()) == entries


# The whole pipeline (OCR, signing, archiving) in a child process that really dies (SIGKILL) just before the
# put writes the index entry: record.json, the files and the ledger entries are stored.
_DYING_PROCESS = """
import os, signal, sys
from pathlib import Path

from flows.pipeline import process_document
from sohoa.settings import Settings
from storage import open_configured_archive

settings = Settings()
kind = type(open_configured_archive(settings))
write = kind._write

def dying_write(self, key, *args, **kwargs):
    if key.startswith(".by-sha256/"):
        os.kill(os.getpid(), signal.SIGKILL)
    return write(self, key, *args, **kwargs)

kind._write = dying_write
process_document(Path(sys.argv[1]), settings)
"""


def test_the_audit_audits_an_interrupted_write_and_ledger_finish_completes_it(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A record that a killed batch left out of the index was named by the audit's archive and ledger lines only:
    its signature was never verified, and it had no row and no count. It is audited like any record now, its row
    marked as not indexed (exit 1 still); `sohoa ledger finish` completes it, after which the audit passes and
    the batch rerun with the scan skips it as already archived."""
    from test_bad_input import small_scan_png

    from flows.audit import NOT_INDEXED, audit_archive

    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    env = {**_cli_env(archive, tmp_path / "var", request), "SOHOA_OCR_WORKERS": "1", "SOHOA_CONFIG": ""}
    child = subprocess.run(
        [sys.executable, "-c", _DYING_PROCESS, str(scan)],
        env={**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.returncode == -9, child.stderr  # killed where it was meant to be, not failed
    assert list(archive.records()) == []
    runner = CliRunner()
    audit = ["audit", "--json", "--renew-within", "0"]  # the development certificate: no renewal due
    result = runner.invoke(app, audit, env=env)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    (row,) = report["records"]
    assert row["interrupted_write"] is True and row["path"].endswith(f"--{row['record_id']}")
    assert row["fixity"] == "ok" and row["signatures_passed"] is True, row
    assert [s["indication"] for s in row["signatures"]] == ["TOTAL_PASSED"]
    assert report["counts"]["records"] == 1 and report["counts"]["interrupted_writes"] == 1
    assert report["counts"]["signatures_passed"] == 1 and report["ok"] is False
    # the interrupted write is said once, in the words it had (by the ledger check: its "archived" entry is there)
    lines = [line for problems in report["problems"].values() for line in problems]
    assert lines == report["ledger_problems"] and len(lines) == 1 and "archive write interrupted" in lines[0], lines
    table = runner.invoke(app, ["audit", "--renew-within", "0"], env=env)
    text = " ".join(table.output.split())
    assert table.exit_code == 1 and "not indexed" in text and "interrupted archive writes 1" in text, text
    assert "1 chữ ký hợp lệ / 1 signature TOTAL_PASSED" in text, text
    assert "chưa vào chỉ mục" in text, text
    # the Prefect flow's artifact: the same report through audit_archive, the row marked in full
    if isinstance(archive, LocalArchive):
        settings = Settings(data_dir=tmp_path / "var", archive=str(archive.root))  # type: ignore[call-arg]
    else:
        assert isinstance(archive, S3Archive)
        settings = s3_settings(request.getfixturevalue("s3_server"), tmp_path / "var", archive.bucket)
    markdown = audit_archive(settings, renew_within_days=0).markdown()
    assert f"| {row['record_id']} ({NOT_INDEXED}) | CV | 118/UBND-VP | ok | 1 chữ ký hợp lệ" in markdown, markdown
    assert "| lưu bị gián đoạn / interrupted archive writes (`interrupted_writes`) | 1 |" in markdown, markdown
    assert "ATTENTION" in markdown

    finished = runner.invoke(app, ["ledger", "finish"], env=env)
    assert finished.exit_code == 0 and f"record {row['record_id']}" in finished.output, finished.output
    assert runner.invoke(app, ["ledger", "verify"], env=env).exit_code == 0
    after = runner.invoke(app, audit, env=env)
    assert after.exit_code == 0, after.output
    (row,) = json.loads(after.stdout)["records"]
    assert row["interrupted_write"] is False and row["signatures_passed"] is True
    rerun = runner.invoke(app, ["process", str(scan), "--no-prefect", "--json"], env=env)
    assert rerun.exit_code == 0, rerun.output
    (file,) = json.loads(rerun.stdout)["files"]
    assert file["outcome"] == "already_archived" and file["record_id"] == row["record_id"], file
    found = runner.invoke(app, ["search", "công văn", "--json"], env=env)  # searchable, as the rerun would make it
    assert found.exit_code == 0 and row["record_id"] in found.stdout, found.output


@pytest.mark.parametrize("case", ["damaged", "no-record.json", "duplicate", "id-taken", "rewritten"])
def test_ledger_finish_refuses_what_no_killed_put_leaves(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest, case: str
) -> None:
    """`sohoa ledger finish` adopts nothing that a killed put cannot have left: files that no longer match the
    record.json (a put reads each back before writing it), a folder with no record.json (only the scan says what
    the record is), a second copy of a scan the archive holds already. Each is named with what to do; exit 1;
    nothing written."""
    _put_killed(
        archive,
        tmp_path / "in",
        "before-write:/record.json" if case == "no-record.json" else "before-write:.by-sha256/",
        request,
    )
    record, files = make_record(tmp_path / "in", "killed")
    prefix = f"2025/QĐ/15-QĐ-UBND--{record.id}"
    if case == "damaged":
        tamper(archive, f"{prefix}/document.pdf", b"%PDF-1.7 changed after it was written")
    elif case == "duplicate":  # the same scan archived since, under another number (so in another folder)
        archive._ledger_head = None
        copy, copy_files = make_record(tmp_path / "copy", "killed", number="16/QĐ-UBND")
        archive.put(copy, copy_files)
        archive._ledger_head = None
    elif case == "id-taken":  # another scan whose SHA-256 starts with the same 16 hex digits is indexed
        tamper(archive, f".by-sha256/{record.id}{'0' * 48}.json", b'{"prefix": "2025/QD/other"}')
    elif case == "rewritten":  # killed after its "archived" ledger entry; its record.json rewritten since
        sidecar = json.loads(archive._read(f"{prefix}/record.json") or b"")
        sidecar["classification"]["number"] = "99/QĐ-UBND"
        tamper(archive, f"{prefix}/record.json", json.dumps(sidecar, ensure_ascii=False).encode())
    env = _cli_env(archive, tmp_path, request)
    before = _contents(archive, but=".claims/")  # the killed put's claim is removed (abandoned: its process gone)
    runner = CliRunner()
    for dry_run in ([], ["--dry-run"]):
        result = runner.invoke(app, ["ledger", "finish", "--json", *dry_run], env=env)
        assert result.exit_code == 1, result.output
        payload = json.loads(result.stdout)
        (write,) = payload["writes"]
        assert write["path"] == prefix and write["finished"] is False and payload["ok"] is False
        assert write["index_entry"] is None and write["ledger_entries"] == []
        reason = write["reason"]
        if case == "damaged":
            assert f"record {record.id} ({prefix}): its files no longer match its record.json" in reason, reason
            assert "document.pdf: SHA-256 differs" in reason and "not adopted" in reason, reason
            assert "Investigate it as damage or tampering" in reason, reason
        elif case == "no-record.json":
            assert write["record_id"] is None
            assert reason.startswith(f"{prefix}: archive write interrupted before its record.json"), reason
            assert "rerun the batch with its scan" in reason, reason
        elif case == "duplicate":
            assert f"a duplicate — its scan (SHA-256 {record.source.sha256}) is already archived as " in reason
            assert "2025/QĐ/16-QĐ-UBND--" in reason and "not adopted" in reason, reason
        elif case == "id-taken":
            assert f"its id is already indexed for another scan (.by-sha256/{record.id}{'0' * 48}.json)" in reason
        else:
            assert "its record.json is not the one ledger entry" in reason and "changed since" in reason, reason
        assert write["reason_vi"]
        assert _contents(archive, but=".claims/") == before
        assert list(archive._keys(".claims/")) == []
    text = " ".join(runner.invoke(app, ["ledger", "finish"], env=env).output.split())
    assert "không hoàn tất được / not finished: " in text and "0 đã hoàn tất / finished, 1 không" in text, text
    assert _contents(archive) == before


def test_a_record_taken_out_of_the_index_and_changed_is_no_interrupted_write(
    archive: BaseArchive, tmp_path: Path
) -> None:
    """Found by QA: deleting a record's index entry hid it from the record listing, and the audit then called the
    record — whose document.pdf had been changed too — an interrupted archive write ("rerun the batch"). A put
    reads back every object before its record.json, so changed files mean no interrupted write."""
    record, files = make_record(tmp_path / "in", "hidden")
    archived = archive.put(record, files)
    remove_behind(archive, f".by-sha256/{record.source.sha256}.json")
    signed = next(o for o in archived.objects if o.role == "signed")
    tamper(archive, signed.key, b"%PDF-1.7 changed after archiving")
    ledger = Ledger(archive)
    problems = ledger.verify()
    assert problems == [
        f"record {record.id} ({archived.archive_prefix}): not in the archive's index, and its files no longer match "
        "its record.json (1 problem(s)) — changed after archiving"
    ]
    assert (
        ledger_verdict(problems)
        == "chuỗi nguyên vẹn / chain intact; 1 hồ sơ không khớp sổ / record(s) not as the ledger recorded them"
    )
    assert archive.stray_objects(archive.records()) == [f"{signed.key}: SHA-256 differs from the one recorded"]
    audit = [line for lines in fixity_audit(archive).problems.values() for line in lines]
    assert audit and not any("interrupted" in line for line in audit)
    assert problem_in_vietnamese(problems[0]).startswith("hồ sơ bị gỡ khỏi chỉ mục")


def test_the_audit_sees_records_removed_changed_or_added_to(archive: BaseArchive, tmp_path: Path) -> None:
    # found by exploratory testing: a record whose record.json (or folder) was deleted vanished from the audit,
    # which passed; a rewritten record.json (even with a swapped document.pdf and its hash) passed; so did a file
    # slipped into a record's folder
    kept, kept_files = make_record(tmp_path / "in", "kept")
    edited, edited_files = make_record(tmp_path / "in2", "edited")
    gone, gone_files = make_record(tmp_path / "in3", "gone")
    kept, edited, gone = (
        archive.put(r, f) for r, f in ((kept, kept_files), (edited, edited_files), (gone, gone_files))
    )
    ledger = Ledger(archive)
    assert ledger.verify() == []
    sidecar_key = f"{edited.archive_prefix}/record.json"
    original = archive._read(sidecar_key) or b""
    tamper(archive, sidecar_key, original.replace(b"15/Q", b"16/Q"))
    remove_behind(archive, f"{gone.archive_prefix}/record.json")
    stray = f"{kept.archive_prefix}/extra.txt"
    tamper(archive, stray, b"slipped in")
    problems = ledger.verify()
    archived_seq = {e["record_id"]: e["seq"] for _, e in ledger.entries() if e and e["action"] == "archived"}
    assert problems == [
        f"record {edited.id} ({edited.archive_prefix}): record.json changed since it was archived (its SHA-256 "
        f"is not the one ledger entry {archived_seq[edited.id]} recorded)",
        f"record {gone.id}: archived (ledger entry {archived_seq[gone.id]}) but no longer in the archive — its "
        "record.json, its folder or its index entry is gone",
    ]
    assert archive.verify_objects(kept) == [f"{stray}: not part of the record (added behind the archive's back)"]
    # the objects of the record whose record.json went are left over too: part of no record now
    orphans = archive.stray_objects(archive.records())
    assert orphans and all(line.startswith(f"{gone.archive_prefix}/") for line in orphans)
    # a record's own files, not files slipped in: said so (QA found them called "added behind the archive's back")
    assert all(line.endswith("in a record's folder whose record.json is missing (removed by hand)") for line in orphans)
    assert problem_in_vietnamese(orphans[0]).startswith("tệp của hồ sơ đã mất record.json")
    tamper(archive, "2025/XX/junk/document.pdf", b"%PDF-1.7 not archived by sohoa")
    junk = "2025/XX/junk/document.pdf: in the archive but part of no record (added behind the archive's back)"
    assert sorted(archive.stray_objects(archive.records())) == sorted([*orphans, junk])
    assert junk in fixity_audit(archive).problems["archive"]


def test_stray_objects_outside_the_record_folders_are_named(
    archive: BaseArchive, tmp_path: Path, test_pki: TestPKI
) -> None:
    # found by exploratory testing: every key beginning with a dot was taken for the archive's own, so a file put
    # at the root as `.notes.pdf`, into a folder `.private/`, or beside the ledger entries passed the audit
    archive.tsa_url = test_pki.tsa_url
    record, files = make_record(tmp_path / "in", "own-files")
    record = archive.put(record, files)
    archive.add_object(
        record, "signed-renewed-20251120", "document.renewed-20251120.pdf", b"%PDF-1.7 r", action="renewed"
    )
    archive.set_hold(record, True)
    Ledger(archive).append("corrected", record.id, at=datetime.now(UTC) + timedelta(days=1))  # stamps today
    assert stamp_days(archive) == [datetime.now(UTC).date().isoformat()]
    if isinstance(archive, LocalArchive):  # an older version's leftovers of a crashed put
        (archive.root / ".staging" / record.id).mkdir(parents=True)
        (archive.root / ".staging" / record.id / "document.pdf").write_bytes(b"%PDF-1.7 half written")
    # sohoa's own objects — index, ledger, ledger heads, added objects' manifests, retention records — are none
    assert archive.stray_objects(archive.records()) == []
    assert fixity_audit(archive).ok

    strays = [
        ".notes.pdf",  # at the root
        "notes.pdf",
        ".private/scan.pdf",  # a folder that is not a record's
        ".ledger/README.txt",  # in the archive's own folders, but not what sohoa writes there
        ".ledger-heads/copy.pdf",
        ".by-sha256/notes.txt",
        ".ledger-copy/000000000001.json",
        ".staging/notes.txt",
        "2025/QĐ/15-QĐ-UBND.pdf",  # beside the record folders
    ]
    if not isinstance(archive, LocalArchive):
        strays.append(".retention/2025/x.json")  # a local folder's retention record means nothing on S3
    for key in strays:
        tamper(archive, key, b"not archived by sohoa")
    found = archive.stray_objects(archive.records())
    assert sorted(found) == sorted(
        f"{key}: in the archive but part of no record (added behind the archive's back)" for key in strays
    ), found
    assert sorted(fixity_audit(archive).problems["archive"]) == sorted(found)


def test_ledger_verify_command(tmp_path: Path) -> None:
    store = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "cli-ledger")
    store.put(record, files)
    runner = CliRunner()
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    ok = runner.invoke(app, ["ledger", "verify", "--json"], env=env)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    (tmp_path / "archive" / ".ledger" / "000000000004.json").unlink()
    broken = runner.invoke(app, ["ledger", "verify"], env=env)
    assert broken.exit_code == 1
    assert "entry 4: removed" in broken.stdout
    said = " ".join(broken.stdout.split())  # Vietnamese first, for the auditor; the English line names the entry
    # the entry named in the Vietnamese half too (QA66)
    assert "mục sổ nhật ký đã bị xóa (mục 4) / entry 4: removed" in said and "bị phá vỡ / BROKEN" in said
    as_json = json.loads(runner.invoke(app, ["ledger", "verify", "--json"], env=env).stdout)
    assert as_json["ok"] is False and as_json["chain_intact"] is False, as_json
    # each problem in Vietnamese too, as the text says it (QA98 F10: --json was English only)
    assert len(as_json["problems_vi"]) == len(as_json["problems"]) and any(
        p.startswith("mục sổ nhật ký đã bị xóa (mục 4) / entry 4: removed") for p in as_json["problems_vi"]
    ), as_json
    # a mistyped archive folder is not an empty archive that passes
    for command in (["ledger", "verify"], ["audit", "--no-renew"], ["list"]):
        typo = runner.invoke(app, [*command, "--archive", str(tmp_path / "archiv")], env=env)
        assert typo.exit_code == 2, (command, typo.output)
        assert "no archive at" in typo.output


def test_a_first_put_killed_after_its_claim_is_an_archive_to_finish(tmp_path: Path) -> None:
    """QA100 F11: a first `process` killed right after it claimed its scan left only ``.claims/``: every command
    said "no archive at …", and `ledger finish`, which clears such a claim, could not be run. A writer's claim
    makes the folder an archive (being written); emptied of claims, it is none again."""
    from storage.claims import THIS_MACHINE

    archive = tmp_path / "archive"
    (archive / ".claims").mkdir(parents=True)
    claim = archive / ".claims" / f"{'ab' * 32}.0.json"
    claim.write_text(  # as a killed writer on this machine leaves it (its process gone)
        json.dumps(
            {
                "host": socket.gethostname(),
                "machine": THIS_MACHINE,
                "pid": 999999,
                "writer": "a7792083984549ac852d5a3f80a64c61",
                "since": "2026-12-04T14:27:00+00:00",
                "batch": "20261204T142658Z-5a4586",
            }
        )
    )
    assert open_archive(archive).exists()
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_OCR_SERVER": "off"}
    finished = CliRunner().invoke(app, ["ledger", "finish", "--archive", str(archive)], env=env)
    assert finished.exit_code == 0 and "no archive at" not in finished.output, finished.output
    assert not claim.exists() and not open_archive(archive).exists()


def test_a_folder_that_holds_no_archive_is_no_archive_for_every_command(tmp_path: Path) -> None:
    """QA99 F1: an existing folder was an archive as soon as it existed — an emptied archive, a mistyped empty
    folder, a data folder given for its archive, a folder of reports passed `audit`, `audit --fixity-only` and
    `ledger verify` ("0 records: OK", exit 0), and a year folder of an archive given as the archive had every
    genuine record called "put there by hand". Each is now "no archive at" (exit 2), saying what it is instead."""
    from storage.search import SearchIndex

    data = tmp_path / "dữ liệu"
    archive = data / "archive"
    store = open_archive(archive)
    record, files = make_record(tmp_path / "in", "cli-no-archive")
    store.put(record, files)
    env = {"SOHOA_DATA_DIR": str(data), "SOHOA_OCR_SERVER": "off"}
    runner = CliRunner()
    commands = (
        ["ledger", "verify"],
        ["audit", "--no-renew"],
        ["audit", "--fixity-only"],
        ["list"],
        ["verify", "--archive-at"],
    )

    def refused(location: Path) -> list[str]:
        said = []
        for command in commands:
            flag = [] if command[0] == "verify" else ["--archive"]
            result = runner.invoke(app, [*command, *flag, str(location)], env=env)
            assert result.exit_code == 2, (command, location, result.output)
            said.append(" ".join(result.output.split()))
            assert f"no archive at {location}" in said[-1], (command, said[-1])
        return said

    empty = tmp_path / "trống"
    empty.mkdir()
    # what it found, not "nothing was ever archived there", which an emptied folder cannot tell (QA100)
    assert all("no ledger, index or record there" in said for said in refused(empty))
    assert all(f"it holds an archive at {archive}" in said for said in refused(data))
    year = archive / record.archive_prefix.split("/")[0]  # type: ignore[union-attr]
    assert all(f"this folder is inside the archive at {archive}" in said for said in refused(year))
    # the archive itself is one, and passes
    assert runner.invoke(app, ["audit", "--fixity-only"], env=env).exit_code == 0
    # emptied, its folder left, while the search index still lists its record: said, not "OK"
    settings = Settings(data_dir=data)
    with SearchIndex(data / "search.sqlite", archive=settings.archive_identity) as index:
        index.add(record)
    for child in archive.iterdir():
        shutil.rmtree(child)
    for said in refused(archive):
        assert "yet the search index" in said and "lists 1 records archived there" in said, said
        assert "còn ghi 1 hồ sơ đã lưu ở đó" in said, said

    # a batch refuses each of them before any document (QA100: it logged "no archive … yet" and started a second
    # archive nested in the first, or a new one where one was deleted, and the audit then passed)
    scan = tmp_path / "in" / "scan.png"
    scan.write_bytes((Path(__file__).parent.parent / "samples" / "thông-báo-08-ubnd.png").read_bytes())
    ran = runner.invoke(app, ["process", str(scan), "--no-prefect", "--archive", str(archive), "--json"], env=env)
    said = " ".join(ran.output.split())
    assert ran.exit_code == 2 and f"not archiving to {archive}, which holds no archive" in said, said
    assert "the archive may have been deleted; restore it from a backup" in said, said
    assert not (archive / ".ledger").exists(), said
    (archive / ".ledger").mkdir()  # an archive again: a year folder of it, and the data folder, are refused
    (data / "work").mkdir(exist_ok=True)
    (tmp_path / "link to work").symlink_to(data / "work")
    for location, hint in (
        (archive / "2025", "this folder is inside the archive at"),
        (data, "it holds an archive at"),
        # QA145: inside the quarantine, whose files are scans to retry, or the work folder, whose leftovers each run
        # removes
        (data / "quarantine" / "kho", f"this folder is inside sohoa's quarantine folder {data / 'quarantine'}"),
        (data / "work" / "kho", f"this folder is inside sohoa's work folder {data / 'work'}"),
        (data / "x" / ".." / "quarantine" / "kho", "this folder is inside sohoa's quarantine folder"),  # QA146 F4
        (tmp_path / "link to work" / "kho", "this folder is inside sohoa's work folder"),
    ):
        ran = runner.invoke(app, ["process", str(scan), "--no-prefect", "--archive", str(location)], env=env)
        said = " ".join(ran.output.split())
        assert ran.exit_code == 2 and hint in said and not (location / ".ledger").exists(), said


# ---------------------------------------------------------------------------------------------- commands
def test_list_get_hold_commands_on_s3(s3_server: SeaweedServer, tmp_path: Path) -> None:
    settings = s3_settings(s3_server, tmp_path, "sohoa-cli")
    store = open_archive(settings.archive, settings)
    record, files = make_record(tmp_path / "in", "cli")
    store.put(record, files)
    env = {
        "SOHOA_DATA_DIR": str(tmp_path),
        "SOHOA_S3_ENDPOINT": s3_server.endpoint,
        "SOHOA_S3_ACCESS_KEY": s3_server.access_key,
        "SOHOA_S3_SECRET_KEY": s3_server.secret_key,
    }
    runner = CliRunner()
    listed = runner.invoke(app, ["list", "--archive", settings.archive, "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)["records"]
    assert [(r["id"], r["doc_type"], r["number"], r["state"]) for r in rows] == [
        (record.id, "QĐ", "15/QĐ-UBND", "archived")
    ]
    out = tmp_path / "out"
    got = runner.invoke(app, ["get", record.id, "--out", str(out), "--archive", settings.archive], env=env)
    assert got.exit_code == 0, got.output
    assert (out / "document.pdf").read_bytes() == files["signed"][1].read_bytes()
    held = runner.invoke(app, ["hold", record.id, "on", "--archive", settings.archive], env=env)
    assert held.exit_code == 0, held.output
    current = store.get(record.id)
    assert current is not None and all(i.legal_hold for i in store.retention(current))
    missing = runner.invoke(app, ["get", "0123456789abcdef", "--archive", settings.archive], env=env)
    assert missing.exit_code == 1 and "0123456789abcdef" in missing.output
    assert "không có trong kho" in " ".join(missing.output.split())
    for command in (["get", "xyz"], ["hold", "xyz", "on"], ["export", "xyz", str(tmp_path / "bag")]):
        # no record id at all: was "not in the archive", exit 1, as if the record had gone (QA)
        wrong = runner.invoke(app, [*command, "--archive", settings.archive], env=env)
        assert wrong.exit_code == 2 and "not a record id" in " ".join(wrong.output.split()), (command, wrong.output)


def test_list_and_get_on_s3_read_each_object_once(
    s3_server: SeaweedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sohoa list` on S3 reads per record its index entry and its record.json once each, and the one ledger entry
    the index entry names (its record.json checked against it): 3 GETs a record. It was 5 — the check of the
    record.json against its "archived" entry read the index entry and the record.json again after the listing had
    read them (50,000 requests for 10,000 records). `get` reads the same 3 objects (it was 5) and, since QA100 F3c,
    the ledger entries after the record's own, each object once (until 2026-12-04 its index entry and "archived"
    entry twice); `review list` the index entry and record.json of each record.
    Counted at the real S3 archive's one read primitive."""
    settings = s3_settings(s3_server, tmp_path, f"sohoa-test-{next(_buckets)}")
    store = open_archive(settings.archive, settings)
    count = 4
    archived = [store.put(*make_record(tmp_path / "in", f"counted-{n}", size=200)) for n in range(count)]
    reads: list[str] = []
    read = S3Archive._read

    def counted(self: S3Archive, key: str) -> bytes | None:
        reads.append(key)
        return read(self, key)

    monkeypatch.setattr(S3Archive, "_read", counted)  # every GET of an object goes through it
    env = {**_s3_env(s3_server, tmp_path / "var"), "SOHOA_ARCHIVE": settings.archive, "COLUMNS": "300"}
    runner = CliRunner()

    def kinds() -> Counter[str]:
        """What was read: index entries, record.jsons, ledger entries; anything else by its key."""
        return Counter(
            "index"
            if key.startswith(".by-sha256/")
            else "ledger"
            if key.startswith(".ledger/")
            else "record.json"
            if key.endswith("/record.json")
            else key
            for key in reads
        )

    listed = runner.invoke(app, ["list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert sorted(row["id"] for row in json.loads(listed.stdout)["records"]) == sorted(r.id for r in archived)
    assert kinds() == {"index": count, "record.json": count, "ledger": count}, reads
    assert len(set(reads)) == len(reads) == 3 * count  # no object read twice

    # and, since QA100 F3c, its hold checked against the ledger entries from its "archived" one on — read once, for
    # the check of its record.json too (they were read for each, its index entry and "archived" entry twice): the
    # first record's are every record's entries since
    since = Ledger(store).count_since(store.archived_seq(archived[0]))
    assert since > 1
    reads.clear()
    shown = runner.invoke(app, ["get", archived[0].id], env=env)
    assert shown.exit_code == 0, shown.output
    assert kinds() == {"index": 1, "record.json": 1, "ledger": since}, reads
    assert len(set(reads)) == len(reads)

    reads.clear()
    waiting = runner.invoke(app, ["review", "list", "--json"], env=env)
    assert waiting.exit_code == 0, waiting.output
    # its record.json held against the ledger too, as `list` does (QA62): one ledger entry a record, nothing twice
    assert kinds() == {"index": count, "record.json": count, "ledger": count}, reads
    assert len(set(reads)) == len(reads) == 3 * count


def _s3_env(server: SeaweedServer, data_dir: Path, secret: str | None = None) -> dict[str, str]:
    return {
        "SOHOA_DATA_DIR": str(data_dir),
        "SOHOA_S3_ENDPOINT": server.endpoint,
        "SOHOA_S3_ACCESS_KEY": server.access_key,
        "SOHOA_S3_SECRET_KEY": secret or server.secret_key,
    }


def test_a_batch_says_it_starts_a_new_s3_archive_as_it_says_it_of_a_folder(
    s3_server: SeaweedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA64: `process --archive s3://new-bucket/xa` made a new archive without a word, while a folder that is not
    there is "no archive at … yet: the first record archived creates a new one there" (a mistyped location OCRs
    everything again)."""
    from flows.pipeline import check_locations

    settings = s3_settings(s3_server, tmp_path, "sohoa-brand-new")
    with caplog.at_level("INFO", logger="sohoa"):
        check_locations(settings)
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert f"chưa có kho lưu trữ tại {settings.archive}: hồ sơ đầu tiên được lưu sẽ tạo kho mới ở đó" in (
        " ".join(said)
    ), said
    store = open_archive(settings.archive, settings)
    record, files = make_record(tmp_path / "in", "brand-new")
    store.put(record, files)
    caplog.clear()
    with caplog.at_level("INFO", logger="sohoa"):
        check_locations(settings)
    assert not [r for r in caplog.records if "no archive at" in r.getMessage()]  # an archive now: nothing said


def test_read_only_commands_refuse_an_s3_location_with_no_archive(s3_server: SeaweedServer, tmp_path: Path) -> None:
    """A mistyped bucket or prefix is not an empty archive that passes (it used to list 0 records and audit OK,
    exit 0, and the read-only command created the mistyped bucket): exit 2 "no archive at s3://…", no bucket
    made. An archive whose ledger was deleted (delete markers) is still one: the audit reports the removal."""
    settings = s3_settings(s3_server, tmp_path, "sohoa-exists")
    store = open_archive(settings.archive, settings)
    assert isinstance(store, S3Archive)
    assert not store.client.bucket_exists("sohoa-exists")  # opening creates nothing; the first write does
    record, files = make_record(tmp_path / "in", "exists")
    store.put(record, files)
    env = _s3_env(s3_server, tmp_path)
    runner = CliRunner()
    commands = [
        ["list"],
        ["get", record.id],
        ["get", record.id, "--out", str(tmp_path / "got")],
        ["index", "rebuild"],
        ["hold", record.id, "on"],
        ["ledger", "verify"],
        ["ledger", "stamp"],
        ["export", record.id, str(tmp_path / "bag")],
        ["audit", "--no-renew"],
        ["audit", "--fixity-only"],
    ]
    for location in ("s3://sohoa-typo-bucket/xa-an-binh", "s3://sohoa-exists/typoprefix", "s3://sohoa-exists/xa"):
        for command in commands:
            typo = runner.invoke(app, [*command, "--archive", location], env=env)
            assert typo.exit_code == 2, (location, command, typo.output)
            assert f"no archive at {location}" in " ".join(typo.output.split()), typo.output
    assert not store.client.bucket_exists("sohoa-typo-bucket")
    assert not (tmp_path / "got").exists() and not (tmp_path / "bag").exists()
    # a prefix inside the archive is said to be (QA100: "nothing was ever archived there")
    inside = runner.invoke(app, ["ledger", "verify", "--archive", f"{settings.archive}/2025"], env=env)
    said = " ".join(inside.output.split())
    assert inside.exit_code == 2 and f"this prefix is inside the archive at {settings.archive}" in said, said
    # the real one opens; with its whole ledger deleted behind the archive's back it is still an archive
    listed = runner.invoke(app, ["list", "--archive", settings.archive, "--json"], env=env)
    assert listed.exit_code == 0 and [r["id"] for r in json.loads(listed.stdout)["records"]] == [record.id]
    entries = Ledger(store).keys()
    for key in entries:
        remove_behind(store, key)
    for key in list(store._keys(".by-sha256/")):
        remove_behind(store, key)
    broken = runner.invoke(app, ["ledger", "verify", "--archive", settings.archive], env=env)
    assert broken.exit_code == 1 and "removed from the end of the ledger" in broken.output, broken.output


def test_s3_configuration_errors_are_named(s3_server: SeaweedServer, tmp_path: Path) -> None:
    """A bucket name S3 forbids is a usage error refused before the first document (it failed every document as
    "S3 server unreachable" and exit 3, to be retried); credentials the server refuses are called so (exit 3),
    and a read-only command with them tries to create nothing."""
    runner = CliRunner()
    env = _s3_env(s3_server, tmp_path)
    scan = tmp_path / "in" / "scan.png"
    scan.parent.mkdir()
    scan.write_bytes(b"")
    for bucket in ("qa", "QA-Archive", "192.168.1.1", "qa..archive", "-qa-archive"):
        for command in (["process", str(scan), "--no-prefect"], ["list"], ["watch", str(scan.parent), "--once"]):
            result = runner.invoke(app, [*command, "--archive", f"s3://{bucket}/arch"], env=env)
            text = " ".join(result.output.split())
            assert result.exit_code == 2, (bucket, command, result.output)
            assert f"invalid bucket name '{bucket}'" in text and "3–63 characters" in text, text
    assert not (tmp_path / "quarantine").exists() and not (tmp_path / "outbox").exists()  # no document touched
    wrong = runner.invoke(
        app, ["list", "--archive", "s3://sohoa-wrong-key/xa"], env=_s3_env(s3_server, tmp_path, "wrongwrong")
    )
    text = " ".join(wrong.output.split())
    assert wrong.exit_code == 3, wrong.output
    assert "the S3 server refused the credentials (SignatureDoesNotMatch)" in text and "SOHOA_S3_SECRET_KEY" in text
    assert "create bucket" not in text


def test_a_bucket_without_object_lock_is_refused_before_the_first_document(
    s3_server: SeaweedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: an existing bucket made without object lock: every document was OCRed and signed, then its archive
    write retried 4 times over ~37 s on "cannot set retention …: InvalidRequest", reported "FAILED (will retry on
    the next run)", exit 3, unretained objects left in the bucket; a rerun failed the same. Now `process` and
    `watch` refuse it before the first document (exit 3, named in both languages), and the archive stage, met
    without that check, fails at once: a configuration fault, not retried, nothing written."""
    from test_bad_input import small_scan_png

    from flows import pipeline

    client = make_client(s3_server.endpoint, s3_server.access_key, s3_server.secret_key)
    client.make_bucket("qa-nolock")
    env = {**_s3_env(s3_server, tmp_path / "var"), "SOHOA_ARCHIVE": "s3://qa-nolock/p"}
    inbox = tmp_path / "in"
    inbox.mkdir()
    scan = small_scan_png(inbox / "cv-118.png", "CÔNG VĂN Số: 118/UBND-VP")
    runner = CliRunner()
    for command in (["process", str(inbox), "--no-prefect"], ["watch", str(inbox), "--once"]):
        result = runner.invoke(app, command, env=env)
        text = " ".join(result.output.split())
        assert result.exit_code == 3, (command, result.output)
        assert "bucket qa-nolock has no object lock: sohoa cannot retain records there" in text, text
        assert "không bật khóa đối tượng" in text and "will retry" not in text and "Traceback" not in text, text
    assert scan.exists() and not (tmp_path / "var" / "quarantine").exists()
    assert not list(client.list_objects("qa-nolock", recursive=True))

    from storage import ArchiveConfigError

    settings = s3_settings(s3_server, tmp_path / "var", "qa-nolock")
    record, files = make_record(tmp_path / "rec", "nolock")
    with caplog.at_level(logging.WARNING, logger="sohoa"), pytest.raises(ArchiveConfigError, match="object lock"):
        pipeline.run_archive(record, files, settings)
    assert "attempt" not in caplog.text, caplog.text  # not retried (was 4 attempts over ~37 s)
    assert not list(client.list_objects("qa-nolock", recursive=True))
    # a bucket sohoa makes itself has object lock, and passes
    fine = s3_settings(s3_server, tmp_path / "var", "qa-withlock")
    pipeline.check_locations(fine)
    assert pipeline.run_archive(record, files, fine).archive_prefix


def test_refused_credentials_are_a_configuration_error_said_before_the_first_document(
    s3_server: SeaweedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: `SOHOA_S3_SECRET_KEY=wrongwrong sohoa process a.png b.png` took 48 s for 2 files: the up-front check
    logged the refusal at DEBUG and went on, each document was OCRed, then its archive write retried like a server
    outage ("attempt 2/3/4 of 4"). A wrong secret key, an unknown access key, a key without the right to the
    bucket — as this SeaweedFS, which checks keys, answers them — are now a configuration error said before the
    first document (exit 3, naming both settings in Vietnamese and English; nothing OCRed, no work folder made),
    and the archive stage and the duplicate look-up never retry them."""
    from test_bad_input import small_scan_png

    from flows import pipeline
    from storage import ArchiveConfigError

    inbox = tmp_path / "in"
    inbox.mkdir()
    scan = small_scan_png(inbox / "công văn 118.png", "CÔNG VĂN Số: 118/UBND-VP")
    runner = CliRunner()
    refusals = [
        (s3_server.access_key, "wrongwrong", "SignatureDoesNotMatch"),
        ("sohoa-nobody", "wrongwrong", "InvalidAccessKeyId"),
        (s3_server.denied_access_key, s3_server.denied_secret_key, "AccessDenied"),
    ]
    for access_key, secret_key, code in refusals:
        data = tmp_path / f"var-{code}"
        env = {
            "SOHOA_DATA_DIR": str(data),
            "SOHOA_ARCHIVE": "s3://qa-creds/xa",
            "SOHOA_S3_ENDPOINT": s3_server.endpoint,
            "SOHOA_S3_ACCESS_KEY": access_key,
            "SOHOA_S3_SECRET_KEY": secret_key,
        }
        for command in (["process", str(scan), "--no-prefect"], ["watch", str(inbox), "--once"]):
            result = runner.invoke(app, command, env=env)
            text = " ".join(result.output.split())
            assert result.exit_code == 3, (code, command, result.output)
            assert f"({code})" in text and "SOHOA_S3_ACCESS_KEY" in text and "SOHOA_S3_SECRET_KEY" in text, text
            assert "configuration error" in text and "cấu hình sai" in text, text
            assert "will retry" not in text and "attempt" not in text and "Traceback" not in text, text
            # no OCR and no retries (was ~25 s a document): said by what was not done, not by a clock
        assert not (data / "work").exists() and not (data / "quarantine").exists(), code
    assert scan.exists()
    client = make_client(s3_server.endpoint, s3_server.access_key, s3_server.secret_key)
    assert not client.bucket_exists("qa-creds")

    # met without the up-front check (a key revoked during a batch): the archive stage and the look-up of the
    # document's SHA-256 fail at once, without the 4 attempts over ~37 s
    settings = s3_settings(s3_server, tmp_path / "var", "qa-creds")
    wrong = settings.model_copy(update={"s3_secret_key": SecretStr("wrongwrong")})
    record, files = make_record(tmp_path / "rec", "creds")
    caplog.set_level(logging.WARNING, logger="sohoa")
    with pytest.raises(ArchiveConfigError, match=r"refused the credentials \(SignatureDoesNotMatch\)"):
        pipeline.run_archive(record, files, wrong)
    result = pipeline.process_document(scan, wrong)
    assert result.outcome == pipeline.Outcome.FAILED and "SOHOA_S3_SECRET_KEY" in result.reason_en, result
    assert "attempt" not in caplog.text and "will retry" not in caplog.text, caplog.text
    assert scan.exists() and not (tmp_path / "var" / "quarantine").exists()  # not the scan's fault
    # the right key archives
    assert pipeline.run_archive(record, files, settings).archive_prefix


def test_process_reports_an_s3_archive_as_its_url(s3_server: SeaweedServer, tmp_path: Path) -> None:
    """`process` printed an S3 archive as a local path (Archive: /cwd/s3:/bucket/prefix), in the table and in
    --json."""
    runner = CliRunner()
    env = {**_s3_env(s3_server, tmp_path), "SOHOA_ARCHIVE": "s3://sohoa-shown/arch3"}
    empty = tmp_path / "in" / "empty.pdf"
    empty.parent.mkdir()
    empty.write_bytes(b"")  # quarantined at once: the report is what is checked
    as_json = runner.invoke(app, ["process", str(empty), "--no-prefect", "--json"], env=env)
    assert as_json.exit_code == 1, as_json.output
    assert json.loads(as_json.stdout)["archive"] == "s3://sohoa-shown/arch3"
    table = runner.invoke(app, ["process", str(empty), "--no-prefect"], env=env)
    assert "Kho lưu trữ / archive: s3://sohoa-shown/arch3\n" in table.stdout, table.stdout
    local = runner.invoke(app, ["process", str(empty), "--no-prefect", "--json", "--archive", "arch"], env=env)
    assert json.loads(local.stdout)["archive"] == str(Path("arch").resolve())


def test_verify_archive_on_s3(s3_server: SeaweedServer, tmp_path: Path) -> None:
    """`sohoa verify --archive` with an S3 SOHOA_ARCHIVE (it said "nothing to verify") and `--archive-at
    s3://…`: every archived document.pdf is fetched through the verified read and reported under its s3://
    address; an object that no longer matches its SHA-256 is a failed file."""
    from test_signing import make_pdf

    settings = s3_settings(s3_server, tmp_path, "sohoa-verify")
    store = open_archive(settings.archive, settings)
    assert isinstance(store, S3Archive)
    record, files = make_record(tmp_path / "in", "verify")
    env = _s3_env(s3_server, tmp_path)
    runner = CliRunner()
    signed = files["signed"][1]
    signed.unlink()
    made = runner.invoke(app, ["sign", str(make_pdf(tmp_path / "plain.pdf")), str(signed)], env=env)
    assert made.exit_code == 0, made.output
    archived = store.put(record, files)
    key = next(o.key for o in archived.objects if o.role == "signed")
    address = f"{settings.archive}/{key}"
    for args, extra in ((["--archive"], {"SOHOA_ARCHIVE": settings.archive}), (["--archive-at", settings.archive], {})):
        result = runner.invoke(app, ["verify", *args, "--json"], env={**env, **extra})
        assert result.exit_code == 0, (args, result.output)
        (checked,) = json.loads(result.stdout)["files"]
        assert checked["path"] == address and checked["passed"], checked
    text = runner.invoke(app, ["verify", "--archive-at", settings.archive], env=env)
    assert text.exit_code == 0 and address in text.stdout
    typo = runner.invoke(app, ["verify", "--archive-at", "s3://sohoa-verify/typo"], env=env)
    assert typo.exit_code == 2 and "no archive at s3://sohoa-verify/typo" in " ".join(typo.output.split())
    tamper(store, key, signed.read_bytes() + b"\n")
    # a record-shaped folder no index entry names (the local backend's glob took it for a record, QA)
    planted = "2025/QĐ/99-QĐ-UBND--00000000deadbeef/document.pdf"
    tamper(store, planted, signed.read_bytes())
    broken = runner.invoke(app, ["verify", "--archive-at", settings.archive, "--json"], env=env)
    assert broken.exit_code == 1
    failed, loose = json.loads(broken.stdout)["files"]
    assert failed["path"] == address and "SHA-256 mismatch" in failed["error"]
    assert "không khớp mã SHA-256 đã ghi khi lưu trữ" in failed["error_vi"], failed
    assert loose["path"] == f"{settings.archive}/{planted}" and "part of no archived record" in loose["error"], loose


def test_an_error_the_s3_server_answers_is_said_in_both_languages() -> None:
    """An error code the S3 server answered other than a refusal of the credentials (InternalError, SlowDown) was
    said in English alone, the reason of every document it failed: the Vietnamese half says what sohoa was doing,
    the object named as it is, and the server's code. The error is built as minio builds it from the server's
    answer (a server that answers InternalError on demand is not to be had)."""
    from minio import Minio
    from minio.error import S3Error
    from urllib3 import HTTPResponse

    from storage.s3 import S3Archive, what_in_vietnamese

    store = S3Archive(Minio("127.0.0.1:9", "a", "bbbbbbbb", secure=False), "kho", "xa")
    answer = S3Error(HTTPResponse(status=500), "InternalError", "We encountered an internal error", "/kho", "1", "2")
    said = str(store._fail("cannot write index/2025.json", answer))
    assert said.startswith("s3://kho/xa: không ghi được index/2025.json: máy chủ S3 báo lỗi InternalError / "), said
    assert "cannot write index/2025.json: S3 operation failed; code: InternalError" in said, said
    for english, vietnamese in (
        ("cannot read the bucket's object lock", "không đọc được khóa đối tượng (object lock) của bucket"),
        ("cannot list the versions under xa/2025", "không liệt kê được các phiên bản dưới xa/2025"),
        ("cannot list xa/2025", "không liệt kê được xa/2025"),
        ("cannot set retention on a/b.pdf", "không đặt được thời hạn lưu giữ cho a/b.pdf"),
    ):
        assert what_in_vietnamese(english) == vietnamese


def test_a_batch_started_while_s3_is_down_says_so_before_the_first_document(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA97 F5: with the S3 server down when a batch starts, the object-lock check before the first document was
    skipped without a word, and each document then spent ~40 s retrying before it was said: a warning now, at once,
    with what to do. The documents are still tried (the server may come back)."""
    from flows.pipeline import check_locations
    from storage.s3server import free_ports

    (port,) = free_ports(1)  # nothing listens there
    settings = Settings(
        data_dir=tmp_path,
        archive="s3://sohoa-down/xa",
        s3_endpoint=f"http://127.0.0.1:{port}",
        s3_access_key="sohoa-test",
        s3_secret_key=SecretStr("sohoa-test-secret"),
    )
    with caplog.at_level(logging.WARNING):
        check_locations(settings)
    said = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "the S3 archive does not answer now" in said and f"127.0.0.1:{port}" in said, said
    assert "kho S3 chưa trả lời" in said and "start it again once the S3 server is up" in said, said


def test_a_batch_started_while_the_tsa_is_down_says_so_before_the_first_document(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA138: with the timestamping authority down (PAdES B-T and up), every document of a batch was read, then
    failed at its signature after the retries, nothing said before. A warning now, at once, with what to do; none
    when the TSA takes the connection (a real listening socket here), nor at B-B, which uses no TSA."""
    from flows.pipeline import check_locations
    from storage.s3server import free_ports

    (port,) = free_ports(1)  # nothing listens there
    down = Settings(data_dir=tmp_path, tsa_url=f"http://127.0.0.1:{port}/tsa", signature_level="B-T")
    with caplog.at_level(logging.WARNING):
        check_locations(down)
    said = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert f"the timestamping authority http://127.0.0.1:{port}/tsa does not answer now" in said, said
    assert "máy chủ cấp dấu thời gian" in said and "start it again once the TSA answers" in said, said
    caplog.clear()
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        up = f"http://127.0.0.1:{listening.getsockname()[1]}/tsa"
        with caplog.at_level(logging.WARNING):
            check_locations(Settings(data_dir=tmp_path, tsa_url=up, signature_level="B-T"))
            check_locations(down.model_copy(update={"signature_level": "B-B"}))
    assert "timestamping authority" not in " ".join(r.getMessage() for r in caplog.records)


def test_s3_server_down_is_said_once_and_soon(tmp_path: Path) -> None:
    """With the S3 endpoint down, urllib3 retried each request 5 times (6 s of backoff) and logged a "Retrying
    (Retry(total=4…" warning each time, before sohoa's own line: now a few retries, quiet at the default
    verbosity, and the command says the server is unreachable (exit 3)."""
    from storage.s3server import free_ports

    (port,) = free_ports(1)  # nothing listens there
    env = {
        "SOHOA_DATA_DIR": str(tmp_path),
        "SOHOA_S3_ENDPOINT": f"http://127.0.0.1:{port}",
        "SOHOA_S3_ACCESS_KEY": "sohoa-test",
        "SOHOA_S3_SECRET_KEY": "sohoa-test-secret",
    }
    down = CliRunner().invoke(app, ["list", "--archive", "s3://sohoa-down/xa"], env=env)
    text = " ".join(down.output.split())
    assert down.exit_code == 3, down.output
    assert "s3://sohoa-down/xa" in text and "Retrying" not in text, text
    # said in a few words (was urllib3's "HTTPConnectionPool(host=…): Max retries exceeded … (Caused by
    # NewConnectionError(…))")
    assert f"S3 server at http://127.0.0.1:{port} does not answer (connection refused)" in text, text
    # what was being done, in both halves (the Vietnamese said only that the server did not answer)
    assert (
        f"không tìm được kho lưu trữ: máy chủ S3 tại http://127.0.0.1:{port} không trả lời (từ chối kết nối) / " in text
    )
    assert "HTTPConnectionPool" not in text and "Max retries" not in text and "NewConnectionError" not in text, text
    verbose = CliRunner().invoke(app, ["-v", "list", "--archive", "s3://sohoa-down/xa"], env=env)
    # still there for whoever looks; 2 retries, 1 s of backoff (was 5 retries, 6 s): counted, not timed
    assert verbose.output.count("Retrying") == 2, verbose.output


def test_open_archive_without_endpoint_says_so(tmp_path: Path) -> None:
    with pytest.raises(ArchiveUnavailableError, match="SOHOA_S3_ENDPOINT"):
        open_archive("s3://bucket-x/p", Settings(data_dir=tmp_path))  # type: ignore[call-arg]


# ---------------------------------------------------------------------------------------------- export
def test_bagit_export_validates(archive: BaseArchive, tmp_path: Path) -> None:
    record, files = make_record(tmp_path / "in", "bag")
    archived = archive.put(record, files)
    ca = tmp_path / "dev-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    bag = export_bag(archive, archived, tmp_path / "bag", [ca])
    validate_bag(bag)
    assert (bag / "data" / "record" / "document.pdf").read_bytes() == files["signed"][1].read_bytes()
    assert (bag / "data" / "trust" / "dev-ca.pem").exists()
    assert json.loads((bag / "data" / "record.json").read_text())["id"] == archived.id  # beside record/, not in it
    assert not (bag / "data" / "record" / "record.json").exists()
    excerpt = json.loads((bag / "data" / "ledger.json").read_text())
    assert [e["action"] for e in excerpt][-1] == "archived"
    tool = Path(sys.executable).parent / "bagit.py"
    proc = subprocess.run([str(tool), "--validate", str(bag)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (bag / "data" / "record" / "document.pdf").write_bytes(b"changed")
    proc = subprocess.run([str(tool), "--validate", str(bag)], capture_output=True, text=True)
    assert proc.returncode != 0


def test_pipeline_archives_to_s3(s3_server: SeaweedServer, tmp_path: Path) -> None:
    """flows.pipeline's archive step and lookup go through open_archive: SOHOA_ARCHIVE=s3://… works."""
    from flows.pipeline import run_archive
    from storage import open_configured_archive

    settings = s3_settings(s3_server, tmp_path, "sohoa-pipeline")
    record, files = make_record(tmp_path / "in", "pipeline-s3")
    archived = run_archive(record, files, settings)
    store = open_configured_archive(settings)
    assert isinstance(store, S3Archive) and store.location == "s3://sohoa-pipeline/xa-an-binh"
    assert store.find(record.source.sha256) is not None
    assert store.verify_objects(archived) == []
    # the Prefect flow hands the location on as str(Path(...)), which folds 's3://' into 's3:/'
    assert open_archive(str(settings.archive_dir), settings).location == store.location


def test_large_object_goes_up_in_parts(s3_server: SeaweedServer, tmp_path: Path) -> None:
    client = make_client(s3_server.endpoint, s3_server.access_key, s3_server.secret_key)
    store = S3Archive(client, "sohoa-multipart", "xa", part_size=5 * 1024 * 1024)
    record, files = make_record(tmp_path / "in", "big", size=11 * 1024 * 1024)
    archived = store.put(record, files)
    signed = next(o for o in archived.objects if o.role == "signed")
    stat = client.stat_object(store.bucket, store._name(signed.key))
    assert stat.etag is not None and stat.etag.endswith("-3")  # three parts of a multipart upload
    assert store.verify_objects(archived) == []


def test_export_and_audit_commands(tmp_path: Path) -> None:
    store = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "cli-export")
    store.put(record, files)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    exported = runner.invoke(app, ["export", record.id, str(tmp_path / "bag")], env=env)
    assert exported.exit_code == 0, exported.output
    validate_bag(tmp_path / "bag")
    again = runner.invoke(app, ["export", record.id, str(tmp_path / "bag")], env=env)
    assert again.exit_code == 2 and "already exists" in " ".join(again.output.split())  # rich wraps long lines
    # these records' PDFs are not really signed: the fixity part of the audit only (tests/test_audit.py: the rest)
    audit = runner.invoke(app, ["audit", "--fixity-only", "--json"], env=env)
    assert audit.exit_code == 0 and json.loads(audit.stdout)["ok"] is True
    prefix = record.archive_prefix  # put() fills it in
    (tmp_path / "archive" / str(prefix) / "original.png").write_bytes(b"x")
    audit = runner.invoke(app, ["audit", "--fixity-only", "--json"], env=env)
    assert audit.exit_code == 1
    assert json.loads(audit.stdout)["problems"][record.id] == [
        f"{prefix}/original.png: SHA-256 differs from the one recorded"
    ]


def test_damaged_object_get_and_export_agree_and_leave_nothing(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """document.pdf no longer matches its SHA-256: `get --out` and `export` both exit 1 (export ended with 3,
    as an unexpected fault) and leave nothing behind (get left original.png, written before the mismatch); a
    folder that was already there keeps what it held. A good get moves every file in."""
    record, files = make_record(tmp_path / "in", "damaged")
    archived = archive.put(record, files)
    if isinstance(archive, LocalArchive):
        env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_ARCHIVE": str(archive.root)}
    else:
        env = {**_s3_env(request.getfixturevalue("s3_server"), tmp_path), "SOHOA_ARCHIVE": archive.location}
    runner = CliRunner()
    good = runner.invoke(app, ["get", record.id, "--out", str(tmp_path / "good" / "hoso")], env=env)
    assert good.exit_code == 0, good.output
    assert sorted(p.name for p in (tmp_path / "good" / "hoso").iterdir()) == [
        "document.pdf",
        "original.png",
        "record.json",
        "verification.json",
    ]
    assert [p.name for p in (tmp_path / "good").iterdir()] == ["hoso"]  # no staging folder left
    assert (tmp_path / "good" / "hoso").stat().st_mode & 0o077  # an ordinary folder, not a private temporary one
    # found by QA: an officer's own document.pdf in the folder was replaced, exit 0; the same get again is fine
    again = runner.invoke(app, ["get", record.id, "--out", str(tmp_path / "good" / "hoso")], env=env)
    assert again.exit_code == 0, again.output
    mine = tmp_path / "good" / "hoso" / "document.pdf"
    mine.write_bytes(b"%PDF-1.7 ban cua can bo")
    clash = runner.invoke(app, ["get", record.id, "--out", str(mine.parent)], env=env)
    assert clash.exit_code == 2 and "document.pdf" in clash.output, clash.output
    assert mine.read_bytes() == b"%PDF-1.7 ban cua can bo"
    signed = next(o for o in archived.objects if o.role == "signed")
    tamper(archive, signed.key, b"%PDF-1.7 damaged")
    got = runner.invoke(app, ["get", record.id, "--out", str(tmp_path / "got")], env=env)
    assert got.exit_code == 1 and "SHA-256 mismatch" in got.output, got.output
    assert not (tmp_path / "got").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "mine.txt").write_text("mine")
    into = runner.invoke(app, ["get", record.id, "--out", str(kept)], env=env)
    assert into.exit_code == 1
    exported = runner.invoke(app, ["export", record.id, str(tmp_path / "bag")], env=env)
    assert exported.exit_code == 1 and "SHA-256 mismatch" in exported.output, exported.output
    assert not (tmp_path / "bag").exists()
    assert [p.name for p in kept.iterdir()] == ["mine.txt"]
    assert not [p for p in tmp_path.iterdir() if ".part-" in p.name]


def test_get_out_naming_a_file_is_a_usage_error(tmp_path: Path) -> None:
    # found by exploratory testing: `sohoa get ID --out FILE` ended with exit 3 ("Not a directory"), as if the
    # archive or the disk had failed; --out takes a folder (README, --help)
    store = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "get-out-file")
    store.put(record, files)
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_ARCHIVE": str(store.root)}
    runner = CliRunner()
    mine = tmp_path / "hoso.pdf"
    mine.write_bytes(b"%PDF-1.7 mine")
    for out, named in (
        (mine, f"--out {mine}: không phải thư mục / not a folder:"),
        (mine / "sub", f"({mine} is a file)"),
    ):
        result = runner.invoke(app, ["get", record.id, "--out", str(out)], env=env)
        assert result.exit_code == 2, result.output
        assert named in " ".join(result.output.split()), result.output
        as_json = runner.invoke(app, ["get", record.id, "--out", str(out), "--json"], env=env)
        error = json.loads(as_json.stdout)
        assert as_json.exit_code == 2 and error["exit_code"] == 2 and error["path"] == str(out), as_json.output
    assert mine.read_bytes() == b"%PDF-1.7 mine"  # untouched, and no staging folder left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive", "hoso.pdf", "in"]
    assert "--out DIR" in runner.invoke(app, ["get", "--help"]).output


def test_a_short_id_two_records_begin_with_is_refused_naming_both(tmp_path: Path) -> None:
    """QA98: `get`, `hold`, `export`, `review set` and `dispose` acted on the first record an 8-digit id began,
    saying nothing of the second — `dispose` could delete the wrong record for good."""
    store = open_archive(tmp_path / "archive")
    ids = []
    for seed in ("twin-7648", "twin-26071"):  # found by a birthday search: their scans' SHA-256 share 52be362b
        record, files = make_record(tmp_path / "in", seed)
        store.put(record, files)
        ids.append(record.id)
    assert ids[0][:8] == ids[1][:8] == "52be362b" and ids[0] != ids[1]
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_ARCHIVE": str(store.root)}
    runner = CliRunner()
    for command in (
        ["get", "52be362b"],
        ["hold", "52BE362B", "on"],
        ["export", "52be362b", str(tmp_path / "bag")],
        ["review", "set", "52be362b", "--ack", "--no-retrain"],
        ["dispose", "52be362b", "--reason", "QĐ 5/QĐ-UBND", "--dry-run"],
    ):
        result = runner.invoke(app, command, env=env)
        said = " ".join(result.output.split())
        assert result.exit_code == 2, (command, result.output)
        assert all(record_id in said for record_id in ids) and "give all 16 digits" in said, (command, said)
    assert not (tmp_path / "bag").exists()
    acted = [entry["action"] for _, entry in Ledger(store).entries() if entry is not None]
    assert not {"held", "acknowledged", "corrected", "disposed"} & set(acted), acted
    for record_id in ids:  # a longer prefix, or the whole id, names one
        shown = runner.invoke(app, ["get", record_id[:12], "--json"], env=env)
        assert shown.exit_code == 0 and json.loads(shown.stdout)["record"]["id"] == record_id, shown.output


def _tag(bag: Path, element: str) -> list[str]:
    """The values of one bag-info.txt element."""
    lines = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    return [line.partition(": ")[2] for line in lines if line.startswith(f"{element}: ")]


def test_a_record_corrected_to_a_type_kept_longer_is_not_disposed_of_by_the_type_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """QA100 F2: `review set --type` changed only the officer's correction; the record's files keep the retention
    of the type sohoa read, so a CV (10 years) corrected to QĐ (70) — or a civil-status record (permanent) read as
    CV — was "may be disposed of" after CV's 10 years. `dispose` now refuses by the type its ledger's "corrected"
    entry gives it, and `get` says that retention beside the files' (`retention.as_corrected` in --json)."""
    import storage.base

    archive = open_archive(tmp_path / "archive")
    env = _cli_env(archive, tmp_path, request)
    record, files = make_record(tmp_path / "in", "misread", doc_type="CV", number="118/UBND-VP")
    with monkeypatch.context() as patch:  # archived as a CV whose retention ended yesterday
        patch.setattr(storage.base, "retain_until", lambda *_: datetime.now(UTC) - timedelta(days=1))
        record = archive.put(record, files)
    runner = CliRunner()

    def dispose() -> str:
        done = runner.invoke(app, ["dispose", record.id, "--reason", "QĐ 1/QĐ-UBND", "--dry-run"], env=env)
        return f"{done.exit_code} " + " ".join(done.output.split())

    assert dispose().startswith("0 "), dispose()  # as read (CV), it may go
    fixed = runner.invoke(app, ["review", "set", record.id, "--type", "QĐ", "--no-retrain"], env=env)
    assert fixed.exit_code == 0, fixed.output
    said = dispose()
    assert said.startswith("1 ") and "corrected to type QĐ (ledger entry" in said, said
    assert "đã được sửa thành loại QĐ" in said and "not to be disposed of" in said, said
    shown = " ".join(runner.invoke(app, ["get", record.id], env=env).output.split())
    assert "Lưu giữ khi sửa / as corrected" in shown and "(QĐ;" in shown, shown
    as_json = json.loads(runner.invoke(app, ["get", record.id, "--json"], env=env).stdout)
    assert as_json["retention"]["as_corrected"] > "2090", as_json["retention"]
    # from another host's data folder (no correction file there): the ledger's correction, and its retention
    elsewhere = {**env, "SOHOA_DATA_DIR": str(tmp_path / "máy khác")}
    other = json.loads(runner.invoke(app, ["get", record.id, "--json"], env=elsewhere).stdout)
    assert other["correction"] is None and other["corrected_in_ledger"]["doc_type"] == "QĐ", other
    assert other["retention"]["as_corrected"] == as_json["retention"]["as_corrected"], other["retention"]
    # corrected to a civil-status type: kept for ever
    civil = runner.invoke(app, ["review", "set", record.id, "--type", "HT-TLKT", "--no-retrain"], env=env)
    assert civil.exit_code == 0, civil.output
    said = dispose()
    assert said.startswith("1 ") and "to be kept permanently" in said and "lưu giữ vĩnh viễn" in said, said


def test_a_bags_readme_gives_its_roots_fingerprints_to_check_outside_the_bag(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA99 F5: a bag re-signed by another identity, that identity's root put in data/trust/ and the manifests made
    again, passed README.txt's steps; it now gives each enclosed root's SHA-256 fingerprint (as `sohoa verify`
    prints it) and says to compare it with one the sending office publishes apart."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from signing.report import fingerprint_words

    root = test_pki.root_cert
    store = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "trust-fingerprint")
    archived = store.put(record, files)
    bag = export_bag(store, archived, tmp_path / "bag", trust_anchors=[root])
    bagit.Bag(str(bag)).validate()
    readme = (bag / "README.txt").read_text(encoding="utf-8")
    cert = x509.load_pem_x509_certificate(root.read_bytes())
    assert f"SHA-256 {fingerprint_words(cert.fingerprint(hashes.SHA256()).hex())}" in readme, readme
    assert "if they differ, step 2 proves nothing" in readme and "khác nhau thì bước 2" in readme, readme


def test_bag_info_names_the_office_and_the_original_and_a_readme_says_how_to_check(tmp_path: Path) -> None:
    """bag-info.txt said `Source-Organization: sohoa`: it is the office now (SOHOA_ORGANIZATION), left out when
    unset; a record's Vietnamese file name (the payload calls it original.png) is its Internal-Sender-Identifier,
    in NFC; a README.txt tag file, listed in the tag manifests and checked by the validation, says what the bag
    holds and how to check it. A batch's batch.json lists each record's original name."""
    import unicodedata

    store = open_archive(tmp_path / "archive")
    name = unicodedata.normalize("NFD", "Quyết định 15 Hòa giải")  # as a Mac or a scanner share may spell it
    record, files = make_record(tmp_path / "in", name)
    record.batch_id = "20251119T180012Z-dddddd"
    archived = store.put(record, files)
    nfc = unicodedata.normalize("NFC", f"{name}.png")
    assert nfc != f"{name}.png"

    bag = export_bag(store, archived, tmp_path / "bag", organization="UBND xã An Bình")
    bagit.Bag(str(bag)).validate()
    assert _tag(bag, "Source-Organization") == ["UBND xã An Bình"]
    assert _tag(bag, "Internal-Sender-Identifier") == [nfc]
    assert _tag(bag, "External-Identifier") == [archived.id]
    assert _tag(bag, "External-Description")[0].startswith("QĐ 15/QĐ-UBND — source SHA-256")
    assert _tag(bag, "Bag-Software-Agent")[0].startswith("sohoa ")
    assert (bag / "data" / "record" / "original.png").exists()  # the payload's names stay as they were
    readme = (bag / "README.txt").read_text(encoding="utf-8")
    for said in (
        archived.id,
        nfc,
        "bagit.py --validate",
        "sohoa verify data/record/document.pdf --trust data/trust",
        "pdfsig data/record/document.pdf",
        "Kiểm tra / How to verify",
    ):
        assert said in readme, (said, readme)
    for algorithm in ("sha256", "sha512"):
        assert " README.txt" in (bag / f"tagmanifest-{algorithm}.txt").read_text(), algorithm
    tool = Path(sys.executable).parent / "bagit.py"
    proc = subprocess.run([str(tool), "--validate", str(bag)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (bag / "README.txt").write_text(readme + "changed", encoding="utf-8")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag)).validate()

    unset = export_bag(store, archived, tmp_path / "unset")
    bagit.Bag(str(unset)).validate()
    assert _tag(unset, "Source-Organization") == [] and "sohoa" not in _tag(unset, "Source-Organization")
    assert _tag(unset, "Internal-Sender-Identifier") == [nfc]

    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_ORGANIZATION": "UBND xã An Bình"}
    runner = CliRunner()
    one = runner.invoke(app, ["export", archived.id, str(tmp_path / "cli")], env=env)
    assert one.exit_code == 0, one.output
    assert _tag(tmp_path / "cli", "Source-Organization") == ["UBND xã An Bình"]
    lot = runner.invoke(app, ["export", "--batch", "20251119T180012Z-dddddd", str(tmp_path / "lot")], env=env)
    assert lot.exit_code == 0, lot.output
    validate_bag(tmp_path / "lot")
    assert _tag(tmp_path / "lot", "Source-Organization") == ["UBND xã An Bình"]
    listing = json.loads((tmp_path / "lot" / "data" / "batch.json").read_text(encoding="utf-8"))
    assert [r["source"] for r in listing["records"]] == [nfc]
    batch_readme = (tmp_path / "lot" / "README.txt").read_text(encoding="utf-8")
    assert "data/batch.json" in batch_readme and "bagit.py --validate" in batch_readme
    assert " README.txt" in (tmp_path / "lot" / "tagmanifest-sha256.txt").read_text()


def test_export_under_a_file_is_a_usage_error_in_words(tmp_path: Path) -> None:
    """QA: `sohoa export REC exp/afile/x` with exp/afile a file said `[Errno 20] Not a directory:
    'exp/afile/.x.part-export'` — a raw errno naming the temporary folder. Now in words, naming the user's path,
    exit 2, as `get --out` under a file; nothing written."""
    store = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "export-under-file")
    record.batch_id = "20251119T180012Z-eeeeee"
    store.put(record, files)
    afile = tmp_path / "exp" / "afile"
    afile.parent.mkdir()
    afile.write_bytes(b"mine")
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    for out in (afile / "x", afile / "x" / "y"):
        for command in (["export", record.id, str(out)], ["export", "--batch", "20251119T180012Z-eeeeee", str(out)]):
            result = runner.invoke(app, command, env=env)
            text = " ".join(result.output.split())
            assert result.exit_code == 2, (command, result.output)
            assert f"OUT {out}: không phải thư mục / not a folder ({afile} is a file)" in text, text
            assert "Errno" not in text and ".part-export" not in text, text
            as_json = runner.invoke(app, [*command, "--json"], env=env)
            error = json.loads(as_json.stdout)
            assert as_json.exit_code == 2 and error["exit_code"] == 2 and error["path"] == str(out), as_json.output
            assert "not a folder" in error["error"]
    assert afile.read_bytes() == b"mine" and [p.name for p in afile.parent.iterdir()] == ["afile"]


def test_export_json(tmp_path: Path) -> None:
    """`sohoa export --json` (a cron script could only parse the text): the package, the records in it (id, type,
    number, original name), its file count and payload bytes; an error as the other commands' JSON error."""
    store = open_archive(tmp_path / "archive")
    ids = []
    for n, seed in enumerate(("Công văn 7", "Tờ trình 8")):
        record, files = make_record(tmp_path / "in", seed, doc_type="CV", number=f"{n + 7}/UBND-VP")
        record.batch_id = "20251119T180012Z-ffffff"
        ids.append(store.put(record, files).id)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()

    def payload(bag: Path) -> tuple[int, int]:
        found = [p for p in (bag / "data").rglob("*") if p.is_file()]
        return sum(p.stat().st_size for p in found), len(found)

    one = runner.invoke(app, ["export", ids[0], str(tmp_path / "one"), "--json"], env=env)
    assert one.exit_code == 0, one.output
    got = json.loads(one.stdout)
    assert got["bag"] == str(tmp_path / "one") and got["batch"] is None
    (row,) = got["records"]
    assert row["id"] == ids[0] and row["doc_type"] == "CV" and row["number"] == "7/UBND-VP"
    assert row["source"] == "Công văn 7.png" and row["corrected"] is False
    assert (got["payload_bytes"], got["files"]) == payload(tmp_path / "one")
    lot = runner.invoke(app, ["export", "--batch", "20251119T180012Z-ffffff", str(tmp_path / "lot"), "--json"], env=env)
    assert lot.exit_code == 0, lot.output
    got = json.loads(lot.stdout)
    assert got["batch"] == "20251119T180012Z-ffffff" and sorted(r["id"] for r in got["records"]) == sorted(ids)
    assert {r["source"] for r in got["records"]} == {"Công văn 7.png", "Tờ trình 8.png"}
    assert (got["payload_bytes"], got["files"]) == payload(tmp_path / "lot")
    again = runner.invoke(app, ["export", ids[0], str(tmp_path / "one"), "--json"], env=env)
    error = json.loads(again.stdout)
    assert again.exit_code == 2 and error["exit_code"] == 2 and "already exists" in error["error"], again.output
    assert error["path"] == str(tmp_path / "one")
    none = runner.invoke(app, ["export", "--batch", "20990101T000000Z-000000", str(tmp_path / "b"), "--json"], env=env)
    error = json.loads(none.stdout)
    assert none.exit_code == 1 and set(error) == {"path", "error", "exit_code"} and error["exit_code"] == 1


# ---------------------------------------------------------------------------------------------- batch export
def test_batch_export_validates(archive: BaseArchive, tmp_path: Path) -> None:
    """Every record of one batch in one bag: data/<record id>/… per record, one ledger excerpt, trust once."""
    ids: dict[str, list[str]] = {"20251119T180012Z-aaaaaa": [], "20251119T190000Z-bbbbbb": []}
    for n, (batch, seed) in enumerate([(b, s) for b in ids for s in ("x", "y")][:3]):
        record, files = make_record(tmp_path / "in", f"{batch}-{seed}", number=f"{n + 1}/QĐ-UBND")
        record.batch_id = batch
        ids[batch].append(archive.put(record, files).id)
    first = "20251119T180012Z-aaaaaa"
    ca = tmp_path / "dev-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    bag, records = export_batch_bag(archive, first, tmp_path / "bag", [ca])
    assert sorted(r.id for r in records) == sorted(ids[first]) and len(records) == 2
    bagit.Bag(str(bag)).validate()
    data = bag / "data"
    assert sorted(p.name for p in data.iterdir()) == sorted([*ids[first], "batch.json", "ledger.json", "trust"])
    for rid in ids[first]:
        assert sorted(p.name for p in (data / rid).iterdir()) == [
            "document.pdf",
            "original.png",
            "record.json",
            "verification.json",
        ]
        assert json.loads((data / rid / "record.json").read_text())["batch_id"] == first
    excerpt = json.loads((data / "ledger.json").read_text())
    assert {e["record_id"] for e in excerpt} == set(ids[first])
    assert [e["seq"] for e in excerpt] == sorted(e["seq"] for e in excerpt)  # chain order
    assert len(excerpt) == 10  # five entries per record
    assert (data / "trust" / "dev-ca.pem").exists()
    listing = json.loads((data / "batch.json").read_text())
    assert listing["batch"] == first and {r["id"] for r in listing["records"]} == set(ids[first])
    tool = Path(sys.executable).parent / "bagit.py"
    proc = subprocess.run([str(tool), "--validate", str(bag)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # a day (in Vietnam) means every record archived that day: all three
    today = today_vn().isoformat()
    day_bag, day_records = export_batch_bag(archive, today, tmp_path / "day-bag")
    assert len(day_records) == 3
    validate_bag(day_bag)
    with pytest.raises(LookupError, match="no archived record"):
        export_batch_bag(archive, "19990101T000000Z-000000", tmp_path / "none")
    assert not (tmp_path / "none").exists()
    (data / ids[first][0] / "document.pdf").write_bytes(b"changed")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag)).validate()


def test_export_batch_command(tmp_path: Path) -> None:
    store = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "cli-batch")
    record.batch_id = "20251119T180012Z-cccccc"
    store.put(record, files)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    done = runner.invoke(app, ["export", "--batch", "20251119T180012Z-cccccc", str(tmp_path / "bag")], env=env)
    assert done.exit_code == 0, done.output
    validate_bag(tmp_path / "bag")
    assert (tmp_path / "bag" / "data" / record.id / "document.pdf").exists()
    missing = runner.invoke(app, ["export", "--batch", "20990101T000000Z-000000", str(tmp_path / "b2")], env=env)
    assert missing.exit_code == 1 and "20990101T000000Z-000000" in missing.output
    wrong = runner.invoke(app, ["export", "--batch", "x", record.id, str(tmp_path / "b3")], env=env)
    assert wrong.exit_code == 2
    # a day that is no date was looked for and "not found", exit 1 (QA): a usage error naming it
    no_day = runner.invoke(app, ["export", "--batch", "2026-13-45", str(tmp_path / "b4")], env=env)
    assert no_day.exit_code == 2 and "not a real date" in no_day.output and not (tmp_path / "b4").exists()
    single = runner.invoke(app, ["export", record.id, str(tmp_path / "one")], env=env)
    assert single.exit_code == 0, single.output
    validate_bag(tmp_path / "one")


def test_export_batch_day_is_the_day_in_vietnam_as_officers_write_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA59: run at 02:21 Vietnam time on 02/12, `export --batch 2026-12-02` said "no archived record" (exit 1) —
    the day was the UTC one, 2026-12-01, though the bag's Bagging-Date said 2026-12-02 — and `--batch 02/12/2026`
    was looked for as a batch id. A record archived at 2026-12-01T18:30Z (02/12 01:30 in Vietnam) is now in the
    day 2026-12-02 = 02/12/2026, not in 2026-12-01; the ledger's check of the batch counts days the same way."""
    import sohoa.record

    class ArchivedThen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> ArchivedThen:
            return cls(2026, 12, 1, 18, 30, tzinfo=UTC)

    store = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "late-night")
    with monkeypatch.context() as patch:
        patch.setattr(sohoa.record, "datetime", ArchivedThen)
        record = store.put(record, files)
    assert [e.at for e in record.events if e.action == "archived"] == [datetime(2026, 12, 1, 18, 30, tzinfo=UTC)]
    assert [r.id for r in batch_records(store, "2026-12-02")] == [record.id]
    assert [r.id for r in batch_records(store, "02/12/2026")] == [record.id]
    assert [r.id for r in batch_records(store, "2/12/2026")] == [record.id]
    assert batch_records(store, "2026-12-01") == [] and batch_records(store, "01/12/2026") == []
    entries = [e for _, e in Ledger(store).entries() if e is not None]
    assert missing_from_batch(entries, "02/12/2026", set()) != []  # the ledger says it: archived that day
    assert missing_from_batch(entries, "2026-12-01", set()) == []
    with pytest.raises(ValueError, match="not a real date"):
        batch_records(store, "31/02/2026")
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_ARCHIVE": str(store.root)}
    runner = CliRunner()
    for n, day in enumerate(("2026-12-02", "02/12/2026")):
        done = runner.invoke(app, ["export", "--batch", day, str(tmp_path / f"bag{n}")], env=env)
        text = " ".join(done.output.split())
        assert done.exit_code == 0, done.output
        assert "ngày / day 02/12/2026: 1 hồ sơ / record(s)" in text, text
        assert (tmp_path / f"bag{n}" / "data" / record.id / "record.json").exists()
        validate_bag(tmp_path / f"bag{n}")
        assert bagit.Bag(str(tmp_path / f"bag{n}")).info["External-Identifier"] == "2026-12-02"
        assert json.loads((tmp_path / f"bag{n}" / "data" / "batch.json").read_text())["batch"] == "2026-12-02"
        readme = (tmp_path / f"bag{n}" / "README.txt").read_text(encoding="utf-8")
        assert "các hồ sơ lưu kho ngày 02/12/2026 (giờ Việt Nam)" in readme, readme
    as_json = runner.invoke(app, ["export", "--batch", "2/12/2026", str(tmp_path / "bag-json"), "--json"], env=env)
    assert as_json.exit_code == 0 and json.loads(as_json.output)["batch"] == "2026-12-02", as_json.output
    before = runner.invoke(app, ["export", "--batch", "2026-12-01", str(tmp_path / "none")], env=env)
    text = " ".join(before.output.split())
    assert before.exit_code == 1 and not (tmp_path / "none").exists(), before.output
    assert "Không có hồ sơ nào lưu kho ngày 01/12/2026" in text and "day 01/12/2026 (Vietnam time)" in text, text
    for bad in ("31/02/2026", "2026-02-31", "45/13/2026"):
        wrong = runner.invoke(app, ["export", "--batch", bad, str(tmp_path / "bad")], env=env)
        text = " ".join(wrong.output.split())
        assert wrong.exit_code == 2 and "không phải ngày có thật / not a real date" in text, (bad, text)
        assert not (tmp_path / "bad").exists()
    helped = " ".join(runner.invoke(app, ["export", "--help"], env={**env, "COLUMNS": "200"}).output.split())
    assert "in Vietnam time" in helped and "UTC" not in helped, helped


def test_batch_id_reaches_the_records_and_the_json(tmp_path: Path) -> None:
    """`sohoa process --json` names the batch; every record it archived carries it; old sidecars still load."""
    from sohoa.record import Record

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "thong-bao.png").write_bytes((ROOT / "samples" / "thông-báo-08-ubnd.png").read_bytes())
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_OCR_WORKERS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "process", str(inbox), "--no-prefect", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", report["batch_id"])
    store = open_archive(tmp_path / "var" / "archive")
    (archived,) = list(store.records())
    assert archived.batch_id == report["batch_id"]
    old = json.loads(archived.to_json())
    del old["batch_id"]
    assert Record.model_validate(old).batch_id is None


# ---------------------------------------------------------------------------------------------- daily stamps
def _rewrite_chain_from(archive: BaseArchive, seq: int, detail: str) -> None:
    """An attacker with write access: edit entry ``seq`` and re-hash and re-link every entry after it, so the
    chain itself verifies again."""
    ledger = Ledger(archive)
    prev = None
    for key, entry in ledger.entries():
        assert entry is not None
        if entry["seq"] == seq:
            entry["detail"] = detail
        if entry["seq"] >= seq:
            if prev is not None:
                entry["prev"] = prev
            entry["hash"] = entry_hash(entry)
            tamper(archive, key, json.dumps(entry, ensure_ascii=False, indent=1).encode())
        prev = entry["hash"]


def test_daily_ledger_stamps(archive: BaseArchive, tmp_path: Path, test_pki: TestPKI) -> None:
    from signing.verify import load_trust_roots

    archive.tsa_url = test_pki.tsa_url
    record, files = make_record(tmp_path / "in", "stamped")
    archive.put(record, files)
    ledger = Ledger(archive)
    assert stamp_days(archive) == []  # today is not over: nothing stamped yet
    today = datetime.now(UTC).date()
    # the first entry of a later day stamps the head of the day before (entry 5: the record's "archived")
    ledger.append("corrected", record.id, detail="số văn bản sửa", at=datetime.now(UTC) + timedelta(days=1))
    assert stamp_days(archive) == [today.isoformat()]
    stamp = json.loads(archive._read(f".ledger-heads/{today.isoformat()}.json") or b"")
    assert (stamp["seq"], stamp["entries"]) == (5, 5)
    assert stamp["head_hash"] == json.loads(archive._read(".ledger/000000000005.json") or b"")["hash"]
    token = archive._read(f".ledger-heads/{today.isoformat()}.tsr") or b""
    assert token_imprint(token) == ("sha256", bytes.fromhex(stamp["head_hash"]))
    # catch-up (`sohoa ledger stamp`) once tomorrow is over too; at most one stamp per day
    assert [s["seq"] for s in stamp_closed_days(archive, test_pki.tsa_url, today + timedelta(days=2))] == [6]
    assert stamp_closed_days(archive, test_pki.tsa_url, today + timedelta(days=2)) == []
    roots, _ = load_trust_roots([test_pki.root_cert])
    assert ledger.verify(roots) == []
    assert fixity_audit(archive).ok

    # a consistent rewrite of the chain from entry 3 on: the chain verifies, the stamps do not
    _rewrite_chain_from(archive, 3, "QĐ changed to TB")
    problems = ledger.verify()
    assert problems == [
        f"stamp {today.isoformat()}: entry 5 no longer has the stamped hash — the ledger was rewritten after it "
        "was timestamped",
        f"stamp {(today + timedelta(days=1)).isoformat()}: entry 6 no longer has the stamped hash — the ledger was "
        "rewritten after it was timestamped",
    ], problems
    assert not fixity_audit(archive).ok

    # a stamp record pointed at the forged head: the token does not cover it
    forged = dict(stamp, head_hash=json.loads(archive._read(".ledger/000000000005.json") or b"")["hash"])
    tamper(archive, f".ledger-heads/{today.isoformat()}.json", json.dumps(forged).encode())
    assert f"stamp {today.isoformat()}: the token does not cover the recorded head hash (token or record edited)" in (
        ledger.verify()
    )

    # QA134 F1: the stamp deleted (its retention record, or the bucket's delete marker, left) is named; and it is
    # never made again — stamped anew, the rewritten chain passed every check
    tomorrow = (today + timedelta(days=1)).isoformat()
    for key in (f".ledger-heads/{tomorrow}.tsr", f".ledger-heads/{tomorrow}.json"):
        remove_behind(archive, key)
    removed = (
        f"stamp {tomorrow}: .ledger-heads/{tomorrow}.json, .ledger-heads/{tomorrow}.tsr written and gone — the day's "
        "timestamp was removed behind the archive's back"
    )
    assert removed in ledger.verify()
    assert stamp_closed_days(archive, test_pki.tsa_url, today + timedelta(days=2)) == []
    assert stamp_days(archive) == [today.isoformat()] and removed in ledger.verify()
    with pytest.raises(StampError, match=f"the stamp of {tomorrow} was written and is gone"):
        stamp_head(archive, DayHead(tomorrow, 6, "00" * 32), test_pki.tsa_url)


def test_a_stamp_a_crash_left_unretained_is_retained_not_taken_for_removed(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA135 F1: a stamp's retention record was written before its file, so a process killed (or a disk full)
    between the two left a record with no file, which the check took for a stamp removed behind the archive's back
    — for ever, the day never stamped. The file now comes first (as a ledger entry's): a kill between leaves a
    stamp not yet retained, which the next `ledger stamp` retains, and nothing is said removed."""
    from signing.verify import load_trust_roots

    store = open_archive(tmp_path / "archive")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    Ledger(store).append("corrected", "0123456789abcdef", detail="trước / before", at=yesterday)
    day = yesterday.date().isoformat()
    (stamp,) = stamp_closed_days(store, test_pki.tsa_url)
    for name in (f"{day}.tsr", f"{day}.json"):  # as a kill after each file, before its retention record, leaves it
        (tmp_path / "archive" / ".retention" / ".ledger-heads" / f"{name}.json").unlink()
    (tmp_path / "archive" / ".ledger-heads" / f"{day}.json").unlink()  # ... the kill before the record was written
    roots, _ = load_trust_roots([test_pki.root_cert])
    assert not any("written and gone" in problem for problem in Ledger(store).verify(roots))
    assert [s["day"] for s in stamp_closed_days(store, test_pki.tsa_url)] == [day]  # the token adopted
    assert Ledger(store).verify(roots) == []  # both retained for ever, nothing removed
    assert json.loads(store._read(f".ledger-heads/{day}.json") or b"")["token_sha256"] == stamp["token_sha256"]


def test_ledger_stamp_and_verify_commands(tmp_path: Path, test_pki: TestPKI) -> None:
    store = open_archive(tmp_path / "archive")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    Ledger(store).append("corrected", "0123456789abcdef", detail="trước / before", at=yesterday)
    record, files = make_record(tmp_path / "in", "cli-stamp")
    store.put(record, files)
    runner = CliRunner()
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_TRUST_ROOTS": json.dumps([str(test_pki.root_cert)])}
    no_tsa = runner.invoke(app, ["ledger", "stamp"], env=env)
    assert no_tsa.exit_code == 2 and "SOHOA_TSA_URL" in no_tsa.output
    env["SOHOA_TSA_URL"] = test_pki.tsa_url
    stamped = runner.invoke(app, ["ledger", "stamp"], env=env)
    assert stamped.exit_code == 0, stamped.output
    # the TSA's time in Vietnam time, to the second (QA134 F10: UTC with microseconds)
    assert re.search(
        rf"^{yesterday.date().isoformat()}: mục / entry 1 [0-9a-f]{{16}}… lúc / at "
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$",
        stamped.stdout,
        re.MULTILINE,
    ), stamped.stdout
    ok = runner.invoke(app, ["ledger", "verify", "--json"], env=env)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["stamped_days"] == [yesterday.date().isoformat()]
    again = runner.invoke(app, ["ledger", "stamp"], env=env)  # nothing left to stamp: said in both languages
    assert again.exit_code == 0 and "0 ngày đã đóng dấu thời gian / day(s) stamped" in again.output, again.output
    _rewrite_chain_from(store, 1, "sửa / edited")
    broken = runner.invoke(app, ["ledger", "verify"], env=env)
    assert broken.exit_code == 1 and "entry 1 no longer has the stamped hash" in broken.stdout
    # in Vietnamese too, the day named (QA134 F5: English only)
    assert "sổ nhật ký bị viết lại sau khi được đóng dấu thời gian" in broken.stdout, broken.stdout
    # the stamp removed as well (QA134 F1): named, and `ledger stamp` makes no new one, exit 1 — its token alone too
    # (QA135 F4: exit 0, nothing said)
    day = yesterday.date().isoformat()
    (tmp_path / "archive" / ".ledger-heads" / f"{day}.tsr").unlink()
    token_only = runner.invoke(app, ["ledger", "stamp", "--json"], env=env)
    assert token_only.exit_code == 1 and json.loads(token_only.stdout)["removed_days"] == [day], token_only.output
    (tmp_path / "archive" / ".ledger-heads" / f"{day}.json").unlink()
    removed = runner.invoke(app, ["ledger", "verify"], env=env)
    assert removed.exit_code == 1 and "dấu thời gian của ngày đã bị xóa ngoài phần mềm" in removed.stdout
    restamp = runner.invoke(app, ["ledger", "stamp", "--json"], env=env)
    assert restamp.exit_code == 1 and json.loads(restamp.stdout)["removed_days"] == [day], restamp.output
    assert not (tmp_path / "archive" / ".ledger-heads" / f"{day}.tsr").exists()


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        # asn1crypto's "Error parsing asn1crypto.tsp.TimeStampResp - method should have been constructed …"
        ("/garbage", "did not return a timestamp (its answer, 20 bytes, is not an RFC 3161 timestamp response)"),
        # pyHanko's "TimestampRequestError: Error while contacting timestamp service"
        ("/500", "did not return a timestamp (HTTP status 500 Internal Server Error)"),
        ("/html", "did not return a timestamp (HTTP status 200, but text/html instead of a timestamp response"),
        # asn1crypto's 'Field "time_stamp_token" is missing from structure'
        ("/refuse", "did not return a timestamp (it refused the request: status 'rejection': 'policy not accepted'"),
    ],
)
def test_a_tsa_that_gives_no_ledger_stamp_is_named_in_words(path: str, problem: str, broken_service_url: str) -> None:
    url = broken_service_url + path
    with pytest.raises(StampError) as caught:
        request_token(url, "ab" * 32)
    message = str(caught.value)
    assert message.startswith(
        f"không đóng được dấu thời gian cho sổ nhật ký / ledger head not timestamped: the timestamping authority at "
        f"{url} {problem}"
    ), message
    assert "asn1crypto" not in message and "Error while contacting" not in message


def test_a_tsa_that_is_down_at_ledger_stamp_is_named_and_the_command_says_so(
    tmp_path: Path, broken_service_url: str
) -> None:
    from signing_pki import free_port

    url = f"http://127.0.0.1:{free_port()}/tsa"
    with pytest.raises(
        StampError,
        match=rf"the timestamping authority at {re.escape(url)} could not be reached "
        r"\(connection refused",
    ):
        request_token(url, "ab" * 32)
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/tsa"
        with pytest.raises(
            StampError, match=rf"authority at {re.escape(url)} could not be reached \(no answer within 1 s\)"
        ):
            request_token(url, "ab" * 32, timeout=1)
    store = open_archive(tmp_path / "archive")
    Ledger(store).append("corrected", "0123456789abcdef", detail="hôm qua", at=datetime.now(UTC) - timedelta(days=1))
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_CONFIG": "", "SOHOA_TSA_URL": broken_service_url + "/garbage"}
    result = CliRunner().invoke(app, ["ledger", "stamp"], env=env)
    assert result.exit_code == 3, result.output  # a service fault: run it again later
    text = " ".join(result.output.split())  # the console wraps long lines
    assert f"the timestamping authority at {broken_service_url}/garbage did not return a timestamp" in text, text
    assert stamp_days(store) == []


# ---------------------------------------------------------------------------------------------- S3 checksum
def test_s3_checksum_header_is_sent_and_enforced(s3_server: SeaweedServer, tmp_path: Path) -> None:
    """Single-part writes carry x-amz-checksum-sha256 and the server (SeaweedFS) refuses a body that does not
    match it: a corrupted upload never becomes an object."""
    settings = s3_settings(s3_server, tmp_path, f"sohoa-test-{next(_buckets)}")
    store = open_archive(settings.archive, settings)
    assert isinstance(store, S3Archive)
    data = b"%PDF-1.7 checksum test"
    digest = hashlib.sha256(data).hexdigest()
    store._write("checked/document.pdf", data, digest, None)
    stat = store.client.stat_object(
        store.bucket, store._name("checked/document.pdf"), extra_headers={"x-amz-checksum-mode": "ENABLED"}
    )
    assert stat.metadata is not None
    assert stat.metadata.get("x-amz-checksum-sha256") == base64.b64encode(bytes.fromhex(digest)).decode()
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ArchiveIntegrityError, match="server refused the upload.*BadDigest"):
        store._write("corrupt/document.pdf", data, wrong, None)
    assert store._read("corrupt/document.pdf") is None
    # the server itself, through the raw SDK: a wrong header is refused
    with pytest.raises(S3Error, match="BadDigest"):
        store.client.put_object(
            store.bucket,
            store._name("raw.bin"),
            io.BytesIO(data),
            len(data),
            metadata={"x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(wrong)).decode()},
        )


# ---------------------------------------------------------------------------------------------- retention table
def test_retention_table_from_the_domain_facts() -> None:
    table = DEFAULT_RETENTION_YEARS
    for doc_type in ("HT-GKS", "HT-TLKT", "HT-SKS", "HT-GCNKH", "HT-TKKS"):  # Luật Hộ tịch Điều 58: permanent
        assert retention_years(doc_type, table) == 0, doc_type
        assert retain_until(doc_type, table).year >= datetime.now(UTC).year + PERMANENT_YEARS
    assert retention_years("QC", table) == 20  # TT 10/2022/TT-BNV Phụ lục I mục 3
    assert retention_years("KH", table) == table["*"]  # no figure: the documented default
    assert Settings().retention_years == DEFAULT_RETENTION_YEARS


# ---------------------------------------------------------------------------------------------- handed out
def _refused(runner: CliRunner, command: list[str], env: dict[str, str], *words: str) -> Any:
    """Run ``command``: it must end with exit 1 and say every one of ``words`` (in its output, lines joined)."""
    result = runner.invoke(app, command, env=env)
    text = " ".join(result.output.split())
    assert result.exit_code == 1, (command, result.output)
    assert all(word in text for word in words), (command, text)
    return result


def _cli_env(archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    if isinstance(archive, LocalArchive):
        return {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_ARCHIVE": str(archive.root)}
    return {**_s3_env(request.getfixturevalue("s3_server"), tmp_path), "SOHOA_ARCHIVE": archive.location}


def _edit_entry(archive: BaseArchive, seq: int, **changes: object) -> None:
    """Edit a ledger entry's content behind the ledger's back (its hash left as it was)."""
    key = f".ledger/{seq:012d}.json"
    entry = json.loads(archive._read(key) or b"")
    entry.update(changes)
    tamper(archive, key, json.dumps(entry, ensure_ascii=False, indent=1).encode())


def test_fixity_only_calls_an_edited_ledger_entry_no_drift(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA72: `audit --fixity-only` headlined "SAI LỆCH / DRIFT" when only a record's "archived" ledger entry was edited
    (every object intact), where the full audit says "unvouched": the ledger's problem, said as such."""
    record, files = make_record(tmp_path / "in", "entry edited")
    archived = archive.put(record, files)
    seq = archive.archived_seq(archived)
    assert seq is not None
    _edit_entry(archive, seq, detail="sửa / edited")
    result = CliRunner().invoke(app, ["audit", "--fixity-only"], env=_cli_env(archive, tmp_path, request))
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said
    assert "cần xử lý / ATTENTION (sổ nhật ký" in said and "DRIFT" not in said, said
    assert f"ledger entry {seq}, which archived it, is gone or edited" in said, said


def test_a_rewritten_record_json_is_not_handed_out(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA: `sed -i s/08/88/ record.json`, then `sohoa export` (single and batch) and `sohoa get` (with and without
    --out) handed out the forged record.json, exit 0, although its "archived" ledger entry holds the SHA-256 of the
    one written. Now exit 1, nothing written, the record and "record.json changed since it was archived" named."""
    batch = "20261201T010203Z-aaaaaa"
    record, files = make_record(tmp_path / "in", "forged")
    record.batch_id = batch
    archived = archive.put(record, files)
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    good = runner.invoke(app, ["get", archived.id, "--out", str(tmp_path / "good")], env=env)
    assert good.exit_code == 0, good.output
    sidecar_key = f"{archived.archive_prefix}/record.json"
    stored = archive._read(sidecar_key) or b""
    # the copy is the record.json as stored: its SHA-256 is the one in the ledger (and in an export's excerpt)
    assert (tmp_path / "good" / "record.json").read_bytes() == stored
    tamper(archive, sidecar_key, stored.replace(b"15/Q", b"85/Q"))
    said = f"record {archived.id} ({archived.archive_prefix}): record.json"
    for command in (
        ["get", archived.id],
        ["get", archived.id, "--json"],
        ["get", archived.id, "--out", str(tmp_path / "got")],
        ["export", archived.id, str(tmp_path / "bag")],
        ["export", "--batch", batch, str(tmp_path / "batch-bag")],
        ["export", "--batch", today_vn().isoformat(), str(tmp_path / "day-bag")],
    ):
        result = _refused(runner, command, env, said, "changed since it was archived", "đã bị sửa")
        assert "85/QĐ" not in result.stdout
    assert not [p.name for p in tmp_path.iterdir() if p.name not in ("in", "good", "archive")]
    with pytest.raises(ArchiveIntegrityError, match="changed since it was archived"):
        export_bag(archive, archived, tmp_path / "api-bag")
    assert not (tmp_path / "api-bag").exists()


def test_a_refusal_says_what_the_command_did_not_do_in_both_languages(tmp_path: Path) -> None:
    """QA63: a changed record.json was refused by get, export, hold and review set with "record …: record.json
    đã bị sửa … / record.json changed …; nothing handed out" — English around the Vietnamese, and "handed out" for
    hold and review set, which hand nothing out. Now each half whole in its language, each with what the command
    did not do."""
    archive = LocalArchive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "refused")
    archived = archive.put(record, files)
    sidecar_key = f"{archived.archive_prefix}/record.json"
    tamper(archive, sidecar_key, (archive._read(sidecar_key) or b"").replace(b"15/Q", b"85/Q"))
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_ARCHIVE": str(archive.root)}
    runner = CliRunner()
    vi = f"hồ sơ {archived.id} ({archived.archive_prefix}): record.json đã bị sửa sau khi lưu trữ"
    en = f"record {archived.id} ({archived.archive_prefix}): record.json changed since it was archived"
    for command, not_done_vi, not_done_en in (
        (["get", archived.id], "không xuất tệp nào", "nothing handed out"),
        (["export", archived.id, str(tmp_path / "bag")], "không xuất gói", "nothing exported"),
        (["hold", archived.id, "on"], "không ghi gì", "nothing written"),
        (["review", "set", archived.id, "--ack"], "không ghi gì", "nothing written"),
    ):
        result = _refused(runner, command, env)
        text = " ".join(result.output.split())
        halves = text.split(" / record ")
        assert len(halves) == 2, (command, text)
        assert vi in halves[0] and not_done_vi in halves[0] and "changed" not in halves[0], (command, text)
        assert en in "record " + halves[1] and not_done_en in halves[1] and "đã bị sửa" not in halves[1], text
        assert "handed out" not in text or command[0] == "get", (command, text)
    # the "archived" ledger entry its index entry names gone (the ledger's end cut): said the same way (QA66: a
    # plain error, "record …: mục sổ nhật ký … / ledger entry …", English first and nothing said of what was not done)
    other, other_files = make_record(tmp_path / "in", "cut")
    cut = archive.put(other, other_files)
    seq = archive.archived_seq(cut)
    assert seq is not None
    remove_behind(archive, f".ledger/{seq:012d}.json")
    vi = f"hồ sơ {cut.id} ({cut.archive_prefix}): mục sổ nhật ký {seq} ghi việc lưu trữ hồ sơ này đã bị xóa hoặc sửa"
    for command, not_done_vi, not_done_en in (
        (["get", cut.id], "không xuất tệp nào", "nothing handed out"),
        (["hold", cut.id, "on"], "không ghi gì", "nothing written"),
    ):
        text = " ".join(_refused(runner, command, env).output.split())
        assert text.startswith(f"sohoa: {vi}") and f"{not_done_vi} / record {cut.id}" in text, (command, text)
        assert text.endswith(f"{not_done_en}"), (command, text)


def test_records_archived_before_the_sidecar_hash_still_export(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record archived before the ledger held its record.json's SHA-256 (and before its index entry named its
    "archived" entry) has nothing to check its record.json against: get and export still hand it out."""
    original_append = Ledger.append

    def append_as_before(self: Ledger, *args: object, **kwargs: object) -> dict[str, object]:
        kwargs.pop("sidecar_sha256", None)
        kwargs.pop("batch_id", None)
        return original_append(self, *args, **kwargs)  # type: ignore[arg-type]

    original_index = BaseArchive._write_index
    monkeypatch.setattr(Ledger, "append", append_as_before)
    monkeypatch.setattr(BaseArchive, "_write_index", lambda self, record, seq=None: original_index(self, record))
    record, files = make_record(tmp_path / "in", "old")
    old = archive.put(record, files)
    monkeypatch.undo()
    assert archive.archived_seq(old) is None
    assert "sidecar_sha256" not in Ledger(archive).excerpt(old.id)[-1]
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    for command in (
        ["get", old.id, "--out", str(tmp_path / "got")],
        ["export", old.id, str(tmp_path / "bag")],
        ["export", "--batch", today_vn().isoformat(), str(tmp_path / "day-bag")],
    ):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 0, (command, result.output)
    validate_bag(tmp_path / "bag")


def test_get_reads_one_ledger_entry_to_check_the_record_json(archive: BaseArchive, tmp_path: Path) -> None:
    """The index entry names the record's "archived" ledger entry, so `get` reads that one entry, not the whole
    ledger; that entry removed, edited, or no longer the record's is refused, not taken as "nothing to check"."""
    from storage.ledger import verified_record

    records = []
    for seed in ("one", "two", "three"):
        record, files = make_record(tmp_path / "in", seed, number=f"{len(records) + 1}/QĐ-UBND")
        records.append(archive.put(record, files))
    target = records[1]
    seq = archive.archived_seq(target)
    assert seq == 10  # five entries per record, the archived one last
    ledger_reads: list[str] = []
    original_read = archive._read

    def counting_read(key: str) -> bytes | None:
        if key.startswith(".ledger/"):
            ledger_reads.append(key)
        return original_read(key)

    archive._read = counting_read  # type: ignore[method-assign]
    checked, raw = verified_record(archive, target)
    assert ledger_reads == [".ledger/000000000010.json"] and checked.id == target.id
    del archive._read  # type: ignore[method-assign]
    assert hashlib.sha256(raw).hexdigest() == Ledger(archive).entry(10)["sidecar_sha256"]  # type: ignore[index]
    _edit_entry(archive, 10, actor="mallory")
    with pytest.raises(ArchiveIntegrityError, match=r"ledger entry 10: content edited"):
        verified_record(archive, target)
    _edit_entry(archive, 10, actor="sohoa", record_id=records[0].id)  # moved to another record
    with pytest.raises(ArchiveIntegrityError, match=r"ledger entry 10, which archived it, is gone or no longer"):
        verified_record(archive, target)
    remove_behind(archive, ".ledger/000000000010.json")
    with pytest.raises(ArchiveIntegrityError, match=r"ledger entry 10, which archived it, is gone"):
        verified_record(archive, target)
    assert verified_record(archive, records[2])[0].id == records[2].id  # the others are not affected


def test_export_refuses_an_edited_ledger_entry(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA: an entry of the record's ledger excerpt edited (`"actor": "root"` → `"mallory"`): `ledger verify` said
    "content edited", but `export` exited 0 with the forged entry in the bag's data/ledger.json. Now export (single
    and batch) refuses, naming the entry, and leaves nothing; `get` refuses when it is the "archived" entry."""
    batch = "20261201T010203Z-bbbbbb"
    record, files = make_record(tmp_path / "in", "ledger-edit")
    record.batch_id = batch
    archived = archive.put(record, files)
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    _edit_entry(archive, 2, actor="mallory")  # the "ocr" entry
    assert any("entry 2 (000000000002.json): content edited" in p for p in Ledger(archive).verify())
    for command in (
        ["export", archived.id, str(tmp_path / "bag")],
        ["export", "--batch", batch, str(tmp_path / "batch-bag")],
        ["export", "--batch", today_vn().isoformat(), str(tmp_path / "day-bag")],
    ):
        _refused(runner, command, env, "ledger entry 2: content edited", "mục sổ nhật ký 2 đã bị sửa")
    assert not [p.name for p in tmp_path.iterdir() if p.name not in ("in", "archive")]
    assert runner.invoke(app, ["get", archived.id], env=env).exit_code == 0  # its record.json is as archived
    _edit_entry(archive, 5, detail="elsewhere")  # the "archived" entry, which holds record.json's SHA-256
    got = runner.invoke(app, ["get", archived.id], env=env)
    assert got.exit_code == 1 and "ledger entry 5: content edited" in " ".join(got.output.split()), got.output


def test_batch_export_names_a_record_the_archive_no_longer_lists(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA: a batch of 7 with one record's folder (or record.json) deleted exported "6 record(s)", exit 0. The
    "archived" entry holds the batch id (and its time, the day): the record the ledger says is in the batch and the
    archive no longer lists is named (exit 1, no package); so is one whose record.json now names another batch."""
    batch, other = "20261201T010203Z-cccccc", "20261201T020304Z-dddddd"
    kept = []
    for n, seed in enumerate(("a", "b", "c")):
        record, files = make_record(tmp_path / "in", seed, number=f"{n + 1}/QĐ-UBND")
        record.batch_id = batch
        kept.append(archive.put(record, files))
    moved, moved_files = make_record(tmp_path / "in", "moved", number="9/QĐ-UBND")
    moved.batch_id = other
    moved = archive.put(moved, moved_files)
    archived = {e["record_id"]: e for _, e in Ledger(archive).entries() if e and e["action"] == "archived"}
    assert archived[kept[0].id]["batch_id"] == batch and archived[moved.id]["batch_id"] == other
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    gone = kept[1]
    remove_behind(archive, f"{gone.archive_prefix}/record.json")
    today = today_vn().isoformat()
    for name, chosen in (("bag", batch), ("day-bag", today)):
        result = runner.invoke(app, ["export", "--batch", chosen, str(tmp_path / name)], env=env)
        text = " ".join(result.output.split())
        assert result.exit_code == 1, result.output
        assert f"record {gone.id}: hồ sơ của lô này không còn trong kho / archived in this batch (ledger entry " in text
        assert "but no longer in the archive" in text and "nothing exported" in text, text
        assert not (tmp_path / name).exists()
    with pytest.raises(ArchiveIntegrityError, match=gone.id):
        export_batch_bag(archive, batch, tmp_path / "api-bag")
    # the other batch is whole: exported
    assert runner.invoke(app, ["export", "--batch", other, str(tmp_path / "other")], env=env).exit_code == 0
    # its record.json rewritten to name another batch: left out of that batch no more, and not without a word
    key = f"{moved.archive_prefix}/record.json"
    tamper(archive, key, (archive._read(key) or b"").replace(other.encode(), batch.encode()))
    result = runner.invoke(app, ["export", "--batch", other, str(tmp_path / "other2")], env=env)
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and f"record {moved.id}: record.json không còn ghi lô này" in text, text
    assert "no longer says so" in text and not (tmp_path / "other2").exists()


def test_hold_takes_on_in_any_case_names_who_decided_and_answers_in_json(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA98 F10: `hold ID ON` was refused, `hold` had no --json, and its ledger entry's actor was "sohoa" (dispose's
    the OS user alone): no way to name the officer or council that decided. `--by` names them, beside the user."""
    from storage.ledger import default_actor

    archive = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "held-by", number="6/QĐ-UBND")
    record = archive.put(record, files)
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    held = runner.invoke(app, ["hold", record.id, "ON", "--by", "Thanh tra  huyện", "--json"], env=env)
    assert held.exit_code == 0, held.output
    said = json.loads(held.stdout)
    assert said == {
        "record_id": record.id,
        "legal_hold": True,
        "changed": True,
        "actor": f"Thanh tra huyện ({default_actor()})",
    }, said
    (entry,) = [e for e in Ledger(archive).excerpt(record.id) if e["action"] == "held"]
    assert entry["actor"] == said["actor"]
    again = runner.invoke(app, ["hold", record.id, "on", "--json"], env=env)
    assert json.loads(again.stdout) == {"record_id": record.id, "legal_hold": True, "changed": False}
    released = runner.invoke(app, ["hold", record.id, "Off"], env=env)
    assert released.exit_code == 0 and "legal hold off" in released.output, released.output
    (entry,) = [e for e in Ledger(archive).excerpt(record.id) if e["action"] == "released"]
    assert entry["actor"] == default_actor()


def test_hold_of_a_record_disposed_of_meanwhile_says_so_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """QA98 F7: `hold ID on` racing `dispose ID` lost with "…/original.pdf: missing, cannot set legal hold", English
    only, exit 3 (a machine fault). Said now as for a record disposed of before: exit 1, both languages. The race is
    made certain here: the disposal runs just before `hold` takes the archive write lock (the two run at once for
    real in QA's run, and won either way)."""
    import storage.base
    from flows import pipeline

    archive = open_archive(tmp_path / "archive")
    over, files = make_record(tmp_path / "in", "raced", number="3/QĐ-UBND")
    with monkeypatch.context() as patch:  # archived with a retention that ended yesterday
        patch.setattr(storage.base, "retain_until", lambda *_: datetime.now(UTC) - timedelta(days=1))
        over = archive.put(over, files)
    real_lock = pipeline.archive_write_lock

    @contextlib.contextmanager
    def disposed_first(location: str) -> Iterator[None]:
        archive.delete_record(over, actor="other officer", reason="QĐ 5/QĐ-UBND")
        with real_lock(location):
            yield

    monkeypatch.setattr(pipeline, "archive_write_lock", disposed_first)
    raced = CliRunner().invoke(app, ["hold", over.id, "on"], env=_cli_env(archive, tmp_path, request))
    said = " ".join(raced.output.split())
    assert raced.exit_code == 1 and "đã hủy" in said and "disposed of on" in said, said
    assert "cannot set legal hold" not in said, said


def test_get_says_the_ledgers_hold_when_it_was_lifted_behind_the_archives_back(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA100 F3c: on S3 a legal hold lifted with the S3 API (Object Lock legal hold OFF on every object) made `get`
    drop the hold line and `--json` say false, while `export` said "Legal-Hold: yes" and the audit named the lift.
    S3 now follows the ledger as a folder archive does (QA99 F4), and the officer can release it."""
    record, files = make_record(tmp_path / "in", "hold-lifted")
    record = archive.put(record, files)
    archive.set_hold(record, True, actor="thanh-tra")
    for info in archive.retention(record):  # behind the archive's back: the storage's own switch, not sohoa's
        if isinstance(archive, LocalArchive):
            kept = archive.root / ".retention" / f"{info.key}.json"
            kept.write_text(json.dumps({**json.loads(kept.read_text()), "legal_hold": False}), encoding="utf-8")
        else:
            archive._set_legal_hold(info.key, False)
    assert not any(info.legal_hold for info in archive.retention(record))
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    shown = runner.invoke(app, ["get", record.id], env=env)
    text = " ".join(shown.output.split())
    assert shown.exit_code == 0 and "lifted behind the archive's back" in text, shown.output
    as_json = json.loads(runner.invoke(app, ["get", record.id, "--json"], env=env).stdout)
    assert as_json["legal_hold"] is True and as_json["legal_hold_on_files"] is False, as_json
    # on S3 each entry is a GET: past GET_LEDGER_READS entries to read, the objects' hold as S3 gives it
    from flows import commands_storage

    monkeypatch.setattr(commands_storage, "GET_LEDGER_READS", 0)
    bounded = json.loads(runner.invoke(app, ["get", record.id, "--json"], env=env).stdout)
    assert bounded["legal_hold"] is isinstance(archive, LocalArchive), bounded
    monkeypatch.undo()
    released = json.loads(runner.invoke(app, ["hold", record.id, "off", "--json"], env=env).stdout)
    assert released["changed"] is True, released
    assert json.loads(runner.invoke(app, ["get", record.id, "--json"], env=env).stdout)["legal_hold"] is False


def test_get_says_retention_and_hold_as_the_ledger_does_when_the_files_were_edited(tmp_path: Path) -> None:
    """QA99 F4: a folder archive's retention records are files anyone can edit. With its retention shortened, `get
    --json` said "over" (may be disposed of) where the text gave the ledger's day and `dispose` refused; with its
    hold lifted from the files, `get` showed no hold at all and `--json` said false, where `export` said on. Both
    now follow the ledger, and say that the files were edited."""
    archive_dir = tmp_path / "archive"
    archive = open_archive(archive_dir)
    record, files = make_record(tmp_path / "in", "edited-custody")
    record = archive.put(record, files)
    archive.set_hold(record, True, actor="thanh-tra")
    for retention in (archive_dir / ".retention" / record.archive_prefix).glob("*.json"):  # type: ignore[operator]
        said = json.loads(retention.read_text(encoding="utf-8"))
        said.update(retain_until="2026-01-01T00:00:00+00:00", legal_hold=False)
        retention.write_text(json.dumps(said), encoding="utf-8")
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_OCR_SERVER": "off"}
    runner = CliRunner()
    shown = runner.invoke(app, ["get", record.id], env=env)
    text = " ".join(shown.output.split())
    assert shown.exit_code == 0, shown.output
    assert "lifted behind the archive's back" in text and "đã bị gỡ ngoài phần mềm" in text, text
    assert "edited behind the archive's back" in text and "over, may be disposed of" not in text, text
    as_json = json.loads(runner.invoke(app, ["get", record.id, "--json"], env=env).stdout)
    retention = as_json["retention"]
    assert retention["over"] is False and retention["edited"] is True, retention
    assert retention["retained_until"] > "2090", retention
    retention_day = retention["retained_until"]
    assert as_json["legal_hold"] is True and as_json["legal_hold_on_files"] is False, as_json
    # lengthened in the files: the ledger's day too, said edited (QA100: the files' 01/01/2200 shown as fact)
    for retention in (archive_dir / ".retention" / record.archive_prefix).glob("*.json"):  # type: ignore[operator]
        said = json.loads(retention.read_text(encoding="utf-8"))
        said.update(retain_until="2200-01-01T00:00:00+00:00")
        retention.write_text(json.dumps(said), encoding="utf-8")
    longer = json.loads(runner.invoke(app, ["get", record.id, "--json"], env=env).stdout)["retention"]
    assert longer["edited"] is True and longer["retained_until"] == retention_day, longer
    assert "records say later" in " ".join(runner.invoke(app, ["get", record.id], env=env).output.split())
    # the officer can release it: `off` went by the files alone, "already off; nothing changed" (QA100)
    released = json.loads(runner.invoke(app, ["hold", record.id, "off", "--json"], env=env).stdout)
    assert released["changed"] is True, released
    assert json.loads(runner.invoke(app, ["get", record.id, "--json"], env=env).stdout)["legal_hold"] is False
    again = json.loads(runner.invoke(app, ["hold", record.id, "off", "--json"], env=env).stdout)
    assert again["changed"] is False, again


def test_a_bag_says_each_records_retention_hold_subject_date_and_pages(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA98 F4: a hand-over lists of each file its retention (thời hạn bảo quản), title, dates and page count; the
    bag said the retention only in the free text of an "archived" ledger entry (a civil-status record's as
    "2526-12-04"), and the legal hold nowhere a reader would see it."""
    archive = open_archive(tmp_path / "archive")
    batch = "20261201T010203Z-ffffff"
    decision, files = make_record(tmp_path / "in", "held-decision", number="4/QĐ-UBND")
    birth, birth_files = make_record(tmp_path / "in", "birth", doc_type="HT-KS", number="12/2025")
    for record in (decision, birth):
        record.batch_id = batch
    decision = archive.put(decision, files)
    birth = archive.put(birth, birth_files)
    archive.set_hold(decision, True, actor="thanh-tra")
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    assert runner.invoke(app, ["export", "--batch", batch, str(tmp_path / "bag")], env=env).exit_code == 0
    listing = {
        r["id"]: r for r in json.loads((tmp_path / "bag/data/batch.json").read_text(encoding="utf-8"))["records"]
    }
    held, kept = listing[decision.id], listing[birth.id]
    assert held["legal_hold"] is True and held["permanent"] is False and held["retained_until"] > "2090", held
    assert kept["legal_hold"] is False and kept["permanent"] is True, kept
    assert held["issued_on"] == "2025-11-19" and held["subject"] and held["pages"] == 0, held
    assert runner.invoke(app, ["export", decision.id, str(tmp_path / "one")], env=env).exit_code == 0
    assert _tag(tmp_path / "one", "Legal-Hold") == ["yes"]
    assert _tag(tmp_path / "one", "Retention-Until") == [held["retained_until"]]
    readme = (tmp_path / "one" / "README.txt").read_text(encoding="utf-8")
    assert f"retained until: {vn_date(held['retained_until'])}" in readme and "legal hold: có / on" in readme
    assert runner.invoke(app, ["export", birth.id, str(tmp_path / "birth")], env=env).exit_code == 0
    assert _tag(tmp_path / "birth", "Retention-Until") == ["permanent"]
    assert "vĩnh viễn / permanent" in (tmp_path / "birth" / "README.txt").read_text(encoding="utf-8")
    validate_bag(tmp_path / "one")


def test_a_batch_exported_after_a_disposal_names_the_record_disposed_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """QA98 F3: a batch of 7 exported after one of its records was disposed of said "6 record(s)": batch.json listed
    6, and ledger.json held no "disposed" entry — the receiving archive could not tell a record had been disposed of,
    nor by which decision. batch.json's `disposed`, the README and bag-info name it; ledger.json holds its entries."""
    import storage.base

    archive = open_archive(tmp_path / "archive")  # a retention already over: a folder's (S3 refuses one)
    batch = "20261201T010203Z-eeeeee"
    kept, files = make_record(tmp_path / "in", "kept-in-batch", number="1/QĐ-UBND")
    kept.batch_id = batch
    kept = archive.put(kept, files)
    over, over_files = make_record(tmp_path / "in", "disposed-in-batch", number="2/QĐ-UBND")
    over.batch_id = batch
    with monkeypatch.context() as patch:  # archived with a retention that ended yesterday
        patch.setattr(storage.base, "retain_until", lambda *_: datetime.now(UTC) - timedelta(days=1))
        over = archive.put(over, over_files)
    decision = "QĐ 12/QĐ-UBND ngày 02/12/2026 về hủy tài liệu hết giá trị"
    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    assert runner.invoke(app, ["dispose", over.id, "--reason", decision], env=env).exit_code == 0
    for name, chosen in (("bag", batch), ("day-bag", today_vn().isoformat())):
        result = runner.invoke(app, ["export", "--batch", chosen, str(tmp_path / name)], env=env)
        assert result.exit_code == 0, result.output
        bag = tmp_path / name
        listing = json.loads((bag / "data" / "batch.json").read_text(encoding="utf-8"))
        assert [r["id"] for r in listing["records"]] == [kept.id], listing
        (gone,) = listing["disposed"]
        assert gone["id"] == over.id and decision in gone["detail"] and gone["ledger_seq"], gone
        excerpt = json.loads((bag / "data" / "ledger.json").read_text(encoding="utf-8"))
        assert [e["seq"] for e in excerpt if e["action"] == "disposed"] == [gone["ledger_seq"]], excerpt
        readme = (bag / "README.txt").read_text(encoding="utf-8")
        assert f"record {over.id} disposed of on {vn_date(today_vn())}: " in readme and decision in readme, readme
        assert "1 disposed of since" in " ".join(_tag(bag, "External-Description")), _tag(bag, "External-Description")
        validate_bag(bag)


def _said(result: Any, *words: str) -> str:
    """The output of a command run in process, lines joined (rich wraps them): no traceback, each of ``words``."""
    text = " ".join(result.output.split())
    squeezed = "".join(result.output.split())  # rich breaks a long folder name anywhere
    assert result.exception is None or isinstance(result.exception, SystemExit), (result.output, result.exception)
    assert "Traceback" not in text and "ValidationError" not in text, text
    assert all("".join(word.split()) in squeezed for word in words), (words, text)
    return text


def test_two_hosts_appending_to_one_ledger_lose_no_entry(archive: BaseArchive) -> None:
    """QA71: two hosts on one S3 archive (the README's deployment) each hold only their own host's write lock, and
    both wrote ledger entry N: the later became the object's current version, the other an older version nobody
    reads — 4 of 35 entries lost while `ledger verify` said intact — or, read back between, "refusing to
    overwrite a retained object" failed a good document. Each entry is now created only if its number is free (S3:
    a conditional PUT; a folder: a hard link) and written after the other host's when taken. Two handles of the
    archive, each with its own cached head as a process on another host has, append at once with no lock."""
    import copy
    import threading

    hosts = [copy.copy(archive), copy.copy(archive)]
    written: dict[str, list[int]] = {"a": [], "b": []}
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def host_writes(host: BaseArchive, name: str) -> None:
        try:
            start.wait()
            for n in range(12):
                written[name].append(Ledger(host).append("held", f"{name}{n:015d}", detail=f"{name} {n}")["seq"])
        except BaseException as exc:  # reported by the assertion below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=host_writes, args=(host, name)) for host, name in zip(hosts, "ab", strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert sorted(written["a"] + written["b"]) == list(range(1, 25)), written
    entries = [entry for _, entry in Ledger(archive).entries()]
    assert sorted(str(entry["detail"]) for entry in entries if entry) == sorted(
        [f"a {n}" for n in range(12)] + [f"b {n}" for n in range(12)]
    )
    assert Ledger(archive).verify(records=[]) == []
    if isinstance(archive, S3Archive):  # no entry hidden as an older version of another's number
        versions = Counter(
            item.object_name
            for item in archive.client.list_objects(
                archive.bucket, prefix=archive._name(".ledger/"), recursive=True, include_version=True
            )
        )
        assert set(versions.values()) == {1}, versions


def _s3_versions(archive: BaseArchive, prefix: str) -> Counter[str]:
    """How many versions (delete markers included) each object under ``prefix`` of an S3 archive has."""
    assert isinstance(archive, S3Archive)
    return Counter(
        item.object_name or ""
        for item in archive.client.list_objects(
            archive.bucket, prefix=archive._name(prefix), recursive=True, include_version=True
        )
    )


def test_two_hosts_archiving_one_scan_at_once_write_it_once(archive: BaseArchive, tmp_path: Path) -> None:
    """QA72: two hosts (each with only its own host's write lock) that read and signed the same scan found it not
    archived in the same second and both wrote its record: the later replaced the earlier's files (kept on S3 as
    older versions), the ledger got two "archived" entries, both batches said archived. Now only the writer that
    holds the scan's claim writes its folder; the other waits for the record and finds it archived. Both hosts here
    have looked for the record (and found none) before either writes."""
    import copy
    import threading

    looked = threading.Barrier(2)
    results: dict[str, Record] = {}
    failures: list[BaseException] = []

    def host_puts(name: str) -> None:
        host = copy.copy(archive)
        host.host_id, host.writer_token = f"host-{name}", f"writer-{name}"
        first_look = host.find

        def find_then_wait(sha256: str) -> Record | None:
            found = first_look(sha256)
            if name not in results:  # this host's first look, before it writes anything
                results[name] = None  # type: ignore[assignment]
                looked.wait()
            return found

        host.find = find_then_wait  # type: ignore[method-assign]
        record, files = make_record(tmp_path / name, "một bản quét")
        record.batch_id = f"batch-{name}"
        files["signed"][1].write_bytes(files["signed"][1].read_bytes() + f"signed on {name}".encode())
        try:
            results[name] = host.put(record, files)
        except BaseException as exc:  # reported by the assertion below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=host_puts, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    first, second = sorted(results.values(), key=lambda r: r.found_archived)
    assert not first.found_archived and second.found_archived, results
    assert second.batch_id == first.batch_id and second.objects == first.objects
    archived = [e for _, e in Ledger(archive).entries() if e and e.get("action") == "archived"]
    assert [e["record_id"] for e in archived] == [first.id], archived
    assert archive.fixity_audit().ok, archive.fixity_audit().problems
    assert list(archive._keys(".claims/")) == []  # released
    if isinstance(archive, S3Archive):  # each file written once: no replaced version of another host's
        versions = _s3_versions(archive, first.archive_prefix or "")
        assert set(versions.values()) == {1}, versions


def test_a_claim_left_by_a_dead_writer_is_taken_over(
    archive: BaseArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer killed during its put leaves its claim on the scan: a rerun on its machine takes it over when the
    process that made it no longer runs (not waiting the hour after which another host's claim counts as
    abandoned); a claim another host has just made is its put under way — waited for, then the scan is left for
    the next run (``ArchiveBusyError``, a fault the batch retries) — and taken over once older than the hour by the
    archive's own clock (here 3 s, really waited: hosts' clocks differ, QA73). No lock held: on S3 the write lock is
    each host's own."""
    from storage.claims import ArchiveBusyError

    monkeypatch.setattr("storage.claims.WAIT_SECONDS", 0.2)
    monkeypatch.setattr("storage.claims.ABANDONED_AFTER", timedelta(seconds=3))
    record, files = make_record(tmp_path / "in", "bị bỏ dở")
    sha = record.source.sha256
    now = datetime.now(UTC)
    leave_claim(archive, sha, 0, archive.host_id, dead_pid(), now, "batch-killed")
    # by its own clock, made two hours ago: the archive's clock says just now
    leave_claim(archive, sha, 1, "host-b", 4242, now - timedelta(hours=2), "batch-b")
    with pytest.raises(ArchiveBusyError, match="host-b .*batch-b.* has been archiving this scan since"):
        archive.put(record.model_copy(deep=True), files)
    assert archive.find(sha) is None and archive.folder_gone(record_prefix(record))  # nothing written
    time.sleep(4.5)  # the archive's clock counts whole seconds (S3)
    archived = archive.put(record, files)
    assert not archived.found_archived and archive.find(sha) is not None
    assert list(archive._keys(".claims/")) == []  # its own claim and the two it took over
    assert archive.fixity_audit().ok


def test_a_claim_of_a_container_with_the_same_name_and_pid_is_not_taken_for_this_writers(tmp_path: Path) -> None:
    """QA73: two containers with the host's name (Docker's --network host) each run sohoa as pid 1: the second took
    the first's live claim for "this very process" and wrote the record over it. A process id counts only on the
    machine (kernel boot and PID namespace) that made the claim, and "this very writer" is a token of its own."""
    import os

    from storage.claims import THIS_MACHINE, Claim

    archive = open_archive(tmp_path / "archive")
    now = datetime.now(UTC)
    twin = Claim("a" * 64, 0, archive.host_id, os.getpid(), now, "b", "other-boot/pid:[1]", "other-writer", 1.0)
    assert not twin.abandoned_for(archive)
    mine = Claim("a" * 64, 0, archive.host_id, os.getpid(), now, "b", THIS_MACHINE, archive.writer_token, 1.0)
    assert mine.abandoned_for(archive)  # this writer's own, left by an attempt that could not delete it
    gone = Claim("a" * 64, 0, archive.host_id, dead_pid(), now, "b", THIS_MACHINE, "a killed writer", 1.0)
    assert gone.abandoned_for(archive)
    assert not Claim("a" * 64, 0, "host-b", dead_pid(), now, "b", "host-b's", "w", 1.0).abandoned_for(archive)


def test_ledger_finish_leaves_a_write_another_host_has_under_way(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A put under way on another host looks like a killed one until its index entry (an S3 archive's write lock
    is each host's own): `ledger finish` wrote its ledger entries and index entry while the other host's put went
    on to write them again. On S3 a write whose scan another host has claimed is left to that host, said as such
    (the dry run says the same); once the claim is abandoned (an hour; here 3 s), it is finished. A folder's lock is
    every host's (QA73: a killed host's claim kept the folder's other host from finishing it for an hour): held by
    `ledger finish`, it finishes the write at once."""
    from storage.claims import current_claim

    monkeypatch.setattr("storage.claims.ABANDONED_AFTER", timedelta(seconds=3))
    _put_killed(archive, tmp_path / "in", "before-write:.by-sha256/", request)
    record, _ = make_record(tmp_path / "in", "killed")
    sha = record.source.sha256
    left = current_claim(archive, sha)  # the killed put's, on this machine: abandoned (its process is gone)
    assert left is not None and left.host == archive.host_id
    leave_claim(archive, sha, left.generation + 1, "host-b", 4242, datetime.now(UTC), "batch-b")
    env = _cli_env(archive, tmp_path, request)
    entries = len(Ledger(archive).keys())
    if isinstance(archive, S3Archive):
        for dry_run in (["--dry-run"], []):  # the dry run says what the run does
            result = CliRunner().invoke(app, ["ledger", "finish", "--json", *dry_run], env=env)
            assert result.exit_code == 1, result.output
            (write,) = json.loads(result.stdout)["writes"]
            assert not write["finished"], write
            assert "host host-b (process 4242, batch batch-b) has been archiving" in write["reason"]
            assert "máy host-b" in write["reason_vi"]
        assert archive.find(sha) is None and len(Ledger(archive).keys()) == entries  # nothing written
        time.sleep(4.5)
    done = CliRunner().invoke(app, ["ledger", "finish", "--json"], env=env)
    assert done.exit_code == 0 and json.loads(done.stdout)["finished"] == 1, done.output
    assert archive.find(sha) is not None and list(archive._keys(".claims/")) == []


def test_ledger_finish_removes_the_claims_killed_writers_left(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A claim a killed writer left (a put killed after its claim, a killed conditional-write probe) stayed in
    `.claims/` for good: harmless, any later writer of that scan takes it over, but never cleaned. `ledger finish`
    removes those abandoned (`removed_claims`; the dry run names them, removes none); another host's live claim on
    S3 stays (its put under way) — a folder's writers all take the folder's lock, which `ledger finish` holds, so
    there every claim is a killed writer's —, and an object of a claim's name that is no claim stays for the audit
    to name."""
    record, files = make_record(tmp_path / "in", "claims left")
    archive.put(record, files)
    killed = leave_claim(archive, "ab" * 32, 0, archive.host_id, dead_pid(), datetime.now(UTC), "batch-killed")
    live = leave_claim(archive, "cd" * 32, 0, "host-b", 4242, datetime.now(UTC), "batch-b")
    planted = f".claims/{'ef' * 32}.0.json"
    tamper(archive, planted, b"%PDF-1.7 not a claim")
    env = _cli_env(archive, tmp_path, request)
    removed = [killed.key] if isinstance(archive, S3Archive) else sorted([killed.key, live.key])

    dry = CliRunner().invoke(app, ["ledger", "finish", "--json", "--dry-run"], env=env)
    assert dry.exit_code == 0 and sorted(json.loads(dry.stdout)["removed_claims"]) == removed, dry.output
    assert killed.key in archive._keys(".claims/")
    done = CliRunner().invoke(app, ["ledger", "finish"], env=env)
    assert done.exit_code == 0, done.output
    assert f"removed {killed.key}, left by host {archive.host_id}" in " ".join(done.stderr.split()), done.stderr
    assert sorted(archive._keys(".claims/")) == sorted({live.key, planted} - set(removed))
    problems = archive.fixity_audit().problems
    assert problems.get("archive") == [
        f"{planted}: in the archive but part of no record (added behind the archive's back)"
    ]


@pytest.mark.parametrize("where", ["folder", "s3"])
def test_a_scan_another_host_is_archiving_is_left_for_the_next_run(
    where: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """S3: a scan whose record another host is writing (its claim, storage.claims) and has not indexed within the
    archive stage's tries is failed for now, with a reason naming that host, its batch and when another host may
    take over, in both languages, the scan left where it is; the next run, that host's put done, archives it. A
    folder: the batch holds the folder's lock, which every host's writer takes, so a claim found is a killed
    writer's, taken over at once (QA73: the folder's other host waited an hour)."""
    from test_bad_input import small_scan_png

    from flows import pipeline
    from flows.pipeline import Outcome, process_document

    monkeypatch.setattr(pipeline, "ARCHIVE_RETRY_DELAYS", (0.01, 0.01, 0.01))  # production waits 1, 5, 30 s
    monkeypatch.setattr("storage.claims.WAIT_SECONDS", 0.1)
    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    if where == "s3":
        settings = s3_settings(request.getfixturevalue("s3_server"), tmp_path / "var", f"sohoa-test-{next(_buckets)}")
    else:
        settings = Settings(data_dir=tmp_path / "var")  # type: ignore[call-arg]
    archive = open_archive(settings.archive or settings.archive_dir, settings)
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    other = leave_claim(archive, sha, 0, "host-b", 4242, datetime.now(UTC), "20261202T010000Z-aaaaaa")
    caplog.set_level(logging.WARNING, logger="sohoa")
    stages: list[str] = []

    def runner(stage: str, function: Callable[..., object], *args: object) -> object:
        stages.append(stage)
        return function(*args)

    result = process_document(scan, settings, runner)  # type: ignore[arg-type]
    if where == "folder":
        assert result.outcome == Outcome.ARCHIVED, result.summary()
        assert list(archive._keys(".claims/")) == []
        return
    assert result.outcome == Outcome.FAILED and scan.exists()
    said = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "will retry on the next run" in said, said
    assert "host host-b (process 4242, batch 20261202T010000Z-aaaaaa) has been archiving this scan since" in said
    assert "máy host-b (tiến trình 4242, lô 20261202T010000Z-aaaaaa) đang lưu bản quét này" in said, said
    assert "another host takes over after" in said and "a rerun on host-b at once" in said, said
    # found before the scan was read and signed: a killed host's claim lasts an hour, and a watcher OCR'd and signed
    # the scan on every pass before its put said so (QA73); no retries either
    assert "ocr" not in stages and "sign" not in stages, stages
    assert "attempt 2 of" not in " ".join(r.getMessage() for r in caplog.records), caplog.text
    assert list(archive.records()) == []
    archive._delete(other.key)  # that host's put done (here: given up)
    again = process_document(scan, settings)
    assert again.outcome == Outcome.ARCHIVED, again.summary()


def test_a_running_watcher_rests_a_failed_scan_between_tries(
    s3_server: SeaweedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """QA73: a running watcher's rescan (every 10 s) tried every failed file in claimed/ again: a scan a killed host
    had claimed got a failed receipt every 10 s for an hour (an S3 outage did the same to every failed file). Its
    passes now leave a failed file resting, the watch interval at first, twice as long each time after (here 3 s,
    real passes against a real claim), then try it again: that host's put done, it is archived."""
    from test_bad_input import small_scan_png

    from flows.pipeline import direct_runner
    from flows.watch import RETRY_AT_MOST, _pass, _Resting

    monkeypatch.setattr("storage.claims.WAIT_SECONDS", 0.1)
    settings = s3_settings(s3_server, tmp_path / "var", f"sohoa-test-{next(_buckets)}")
    inbox = tmp_path / "hộp thư đến"
    inbox.mkdir()
    scan = small_scan_png(inbox / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    archive = open_archive(settings.archive, settings)
    other = leave_claim(
        archive, hashlib.sha256(scan.read_bytes()).hexdigest(), 0, "host-b", 4242, datetime.now(UTC), "b"
    )
    caplog.set_level(logging.INFO, logger="sohoa")
    resting = _Resting(3.0)

    def full_pass() -> list[str]:
        return [receipt["outcome"] for receipt in _pass(inbox, settings, 0.0, None, direct_runner, resting=resting)[0]]

    assert full_pass() == ["failed"]
    assert "công văn.png: thử lại sau 3 s / tried again in 3 s" in caplog.text, caplog.text
    claimed = settings.data_dir / "claimed" / "công văn.png"
    assert full_pass() == [] and claimed.is_file()  # resting: not tried (the old code: a second failed receipt)
    time.sleep(3.5)
    assert full_pass() == ["failed"] and "tried again in 6 s" in caplog.text, caplog.text  # twice as long
    archive._delete(other.key)  # that host's put done (here: given up)
    time.sleep(6.5)
    assert full_pass() == ["archived"] and not claimed.exists()
    assert len(list((settings.data_dir / "outbox").glob("*.receipt.json"))) == 3
    assert _Resting(10.0).failed(claimed) == 10.0 and RETRY_AT_MOST == 600.0


def test_an_object_of_a_claims_name_that_is_no_claim_is_named(archive: BaseArchive, tmp_path: Path) -> None:
    """QA73: any object named `.claims/<64 hex>.<n>.json` passed the audit, whatever it held — a scanned PDF copied
    there was not named. A claim's content is read: one that is no claim is an object of no record; a claim is
    the archive's own (one a killed writer left included)."""
    record, files = make_record(tmp_path / "in", "claims")
    archive.put(record, files)
    pdf = files["signed"][1].read_bytes()
    tamper(archive, f".claims/{'ab' * 32}.7.json", pdf)
    leave_claim(archive, "cd" * 32, 0, "host-b", 4242, datetime.now(UTC), "batch-b")
    problems = archive.fixity_audit().problems
    assert problems.get("archive") == [
        f".claims/{'ab' * 32}.7.json: in the archive but part of no record (added behind the archive's back)"
    ], problems


def test_a_batch_warns_of_a_bucket_with_a_default_retention_rule(
    s3_server: SeaweedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA73: on a bucket whose object lock has a default retention rule every object is retained as it is
    written — the claims a put deletes once its record is indexed, the conditional-write probe — and so can
    never be deleted: they piled up under `.claims/`. The batch's start says so."""
    from minio.commonconfig import COMPLIANCE
    from minio.objectlockconfig import DAYS, ObjectLockConfig

    from flows.pipeline import check_locations

    settings = s3_settings(s3_server, tmp_path, f"sohoa-test-{next(_buckets)}")
    archive = open_archive(settings.archive, settings)
    record, files = make_record(tmp_path / "in", "mặc định")
    archive.put(record, files)
    caplog.set_level(logging.WARNING, logger="sohoa")
    check_locations(settings)
    assert "default retention" not in caplog.text
    assert isinstance(archive, S3Archive)
    archive.client.set_object_lock_config(archive.bucket, ObjectLockConfig(COMPLIANCE, 1, DAYS))
    check_locations(settings)
    assert "has a default retention rule (COMPLIANCE 1 Days): every object is locked as it is written" in caplog.text
    assert "quy tắc lưu giữ mặc định" in caplog.text


def test_a_batch_warns_of_an_s3_server_that_ignores_conditional_writes(
    s3_server: SeaweedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Hosts sharing an archive rely on the server refusing a write with `If-None-Match: *` to a name that exists
    (a ledger entry's number, a scan's claim): a server that ignores it lets two hosts overwrite each other's
    entries. The batch's start asks the server (SeaweedFS here honours it) and warns when it does not. A server
    that ignores the header is simulated — not one at hand — by leaving the header out of the request."""
    from flows.pipeline import check_locations
    from storage.s3 import S3Archive

    settings = s3_settings(s3_server, tmp_path, f"sohoa-test-{next(_buckets)}")
    archive = open_archive(settings.archive, settings)
    record, files = make_record(tmp_path / "in", "có điều kiện")
    archive.put(record, files)  # an archive there: the bucket exists
    assert isinstance(archive, S3Archive) and archive.honours_conditional_writes()
    assert list(archive._keys(".claims/")) == []  # the probe removed
    caplog.set_level(logging.WARNING, logger="sohoa")
    check_locations(settings)
    assert "conditional" not in caplog.text

    original = type(archive.client)._put_object

    def without_condition(self: Any, bucket: str, name: str, data: bytes, headers: dict[str, Any], **kw: Any) -> Any:
        return original(self, bucket, name, data, {k: v for k, v in headers.items() if k != "If-None-Match"}, **kw)

    monkeypatch.setattr(type(archive.client), "_put_object", without_condition)
    monkeypatch.setattr("storage.s3._CONDITIONAL_WRITES", {})  # what a new process would know: nothing yet
    assert not archive.honours_conditional_writes()
    check_locations(settings)
    assert "ignores conditional writes (If-None-Match): only one host may write to this archive" in caplog.text
    assert "bỏ qua lệnh ghi có điều kiện" in caplog.text
    assert list(archive._keys(".claims/")) == []


def test_list_names_a_record_stored_but_missing_from_the_index(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`sohoa list` reads the index: a record whose index entry alone was removed (or a run killed before it, or the
    index folder deleted: every record) was left out of the listing without a word, exit 0 — the ledger checks named
    it, `list` did not. Now it is named on stderr and in --json's `not_indexed`, exit 1; `ledger finish` lists it
    again."""
    shown, shown_files = make_record(tmp_path / "in", "shown", number="1/TB-UBND")
    shown = archive.put(shown, shown_files)
    hidden, hidden_files = make_record(tmp_path / "in", "hidden", number="2/TB-UBND")
    hidden = archive.put(hidden, hidden_files)
    remove_behind(archive, f".by-sha256/{hidden.source.sha256}.json")

    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    listed = runner.invoke(app, ["list", "--json"], env=env)
    assert listed.exit_code == 1, listed.output
    payload = json.loads(listed.stdout)
    assert [row["id"] for row in payload["records"]] == [shown.id]
    (said,) = payload["not_indexed"]
    assert said.startswith(f"hồ sơ {hidden.id} ({hidden.archive_prefix}): đã lưu"), said
    assert f"record {hidden.id} ({hidden.archive_prefix}): stored (record.json and its files) but not in the " in said
    table = runner.invoke(app, ["list"], env=env)
    assert table.exit_code == 1 and hidden.id in " ".join(table.stderr.split()), table.stderr
    # the review queue, read from the index too, names it likewise
    queue = runner.invoke(app, ["review", "list", "--json"], env=env)
    assert queue.exit_code == 1 and json.loads(queue.stdout)["not_indexed"] == [said], queue.output

    finished = runner.invoke(app, ["ledger", "finish"], env=env)
    assert finished.exit_code == 0, finished.output
    listed = runner.invoke(app, ["list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    payload = json.loads(listed.stdout)
    assert sorted(row["id"] for row in payload["records"]) == sorted([shown.id, hidden.id])
    assert payload["not_indexed"] == []


@pytest.mark.parametrize("content", [b'{"broken\n', b"[]\n"], ids=["not-json", "json-not-a-record"])
def test_a_record_json_that_cannot_be_read_is_named_and_the_other_records_go_on(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest, content: bytes
) -> None:
    """QA: `echo '{"broken' > record.json` (or `echo '[]'`) in one record's folder ended `sohoa audit` (its --json
    and --fixity-only too), `list` and every other command that read the archive's records with a 58-line pydantic
    traceback ("Invalid JSON"), exit 1, no table, nothing on stdout. Each now names the record and its record.json
    in Vietnamese and English: the listings, the audits and the checks go on with the other records (exit 1, the
    damaged one counted as drift), a command about that record alone stops (exit 1, nothing handed out)."""
    batch, other = "20261201T010203Z-eeeeee", "20261201T020304Z-ffffff"
    good, good_files = make_record(tmp_path / "in", "good", number="1/QĐ-UBND")
    good.batch_id = other
    good = archive.put(good, good_files)
    bad, bad_files = make_record(tmp_path / "in", "bad", number="2/QĐ-UBND")
    bad.batch_id = batch
    bad = archive.put(bad, bad_files)
    key = f"{bad.archive_prefix}/record.json"
    tamper(archive, key, content)
    said = f"record {bad.id} ({bad.archive_prefix}): record.json unreadable"
    vi = f"hồ sơ {bad.id} ({bad.archive_prefix}): record.json không đọc được"

    # the archive: the others listed, the damaged one handed to the caller apart — never left out without a word
    damaged: list[DamagedRecord] = []
    assert [r.id for r in archive.records(damaged)] == [good.id]
    assert [(d.record_id, d.prefix, d.key) for d in damaged] == [(bad.id, bad.archive_prefix, key)]
    with pytest.raises(DamagedRecordError, match=re.escape(said)):
        list(archive.records())
    with pytest.raises(DamagedRecordError, match=re.escape(vi)):
        archive.get(bad.id)
    assert archive.get(good.id) is not None
    report = fixity_audit(archive)
    assert report.records == 2 and report.problems[bad.id] == [damaged[0].english], report.problems
    # its folder is its own (not "part of no record"), the record still in the archive (not "no longer in it"):
    # the ledger says only that its record.json is not the one archived
    assert set(report.problems) == {bad.id, "ledger"}, report.problems
    (ledger_line,) = report.problems["ledger"]
    assert f"record {bad.id} ({bad.archive_prefix}): record.json changed since it was archived" in ledger_line
    assert problem_in_vietnamese(damaged[0].english).startswith("record.json không đọc được")

    env = _cli_env(archive, tmp_path, request)
    runner = CliRunner()
    entries = len(Ledger(archive).keys())
    for command in (
        ["list"],
        ["get", bad.id],
        ["get", bad.id, "--out", str(tmp_path / "got")],
        ["hold", bad.id, "on"],
        ["export", bad.id, str(tmp_path / "bag")],
        ["export", "--batch", batch, str(tmp_path / "batch-bag")],
        ["review", "list"],
        ["review", "set", bad.id, "--number", "3/QĐ-UBND", "--no-retrain"],
        ["index", "rebuild"],
        ["ledger", "verify"],
        ["ledger", "finish"],
        ["audit", "--fixity-only"],
        ["audit", "--no-renew"],
    ):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 1, (command, result.output)
        _said(result, said, "record.json không đọc được")
    assert not [p.name for p in tmp_path.iterdir() if p.name not in ("in", "archive", "search.sqlite", "work")]
    assert len(Ledger(archive).keys()) == entries  # no hold, correction or "finished" write was recorded
    # the others go on: listed, indexed (searchable), exported, audited
    listed = runner.invoke(app, ["list", "--json"], env=env)
    _said(listed, said)
    payload = json.loads(listed.stdout)
    assert listed.exit_code == 1 and [row["id"] for row in payload["records"]] == [good.id], listed.output
    assert [(d["record_id"], d["path"]) for d in payload["damaged"]] == [(bad.id, bad.archive_prefix)]
    found = runner.invoke(app, ["search", "1/QĐ-UBND", "--json"], env=env)
    assert found.exit_code == 0 and good.id in found.stdout, found.output
    assert runner.invoke(app, ["get", good.id], env=env).exit_code == 0
    exported = runner.invoke(app, ["export", "--batch", other, str(tmp_path / "other-bag")], env=env)
    assert exported.exit_code == 0, exported.output  # the damaged record is of another batch, as the ledger says
    for command in (["get", bad.id, "--json"], ["ledger", "verify", "--json"], ["audit", "--fixity-only", "--json"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 1, (command, result.output)
        _said(result, said)
        json.loads(result.stdout)  # JSON on stdout all the same
    audit = runner.invoke(app, ["audit", "--json", "--no-renew"], env=env)
    assert audit.exit_code == 1, audit.output
    full = json.loads(audit.stdout)
    rows = {row["record_id"]: row for row in full["records"]}
    assert set(rows) == {good.id, bad.id} and full["counts"]["records"] == 2, full
    assert rows[good.id]["fixity"] == "ok" and rows[bad.id]["fixity"] == "drift" and full["counts"]["drift"] == 1
    assert rows[bad.id]["path"] == bad.archive_prefix and rows[bad.id]["problems"] == [damaged[0].english]
    assert full["archive_problems"] == [] and full["problems"][bad.id] == [damaged[0].english], full["problems"]


def test_a_rerun_of_a_scan_whose_record_json_cannot_be_read_fails_naming_it(
    archive: BaseArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA: `sohoa process` (and `watch`) of a scan already archived, whose record's record.json was no longer JSON:
    the look-up of its SHA-256 in the archive raised pydantic's ValidationError, and the good scan was quarantined
    as "processing failed (ValidationError: …)". It is the archive that is damaged: the scan fails (left for the
    rerun, exit 3), the reason names the record and its record.json in both languages; nothing is quarantined."""
    from test_bad_input import small_scan_png

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    scan = small_scan_png(inbox / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    record, files = make_record(tmp_path / "in", "rerun")
    record.id = sha[:16]  # as if this very scan had been archived
    record.source = record.source.model_copy(update={"sha256": sha, "size": scan.stat().st_size})
    kept = tmp_path / "in" / "scan.png"  # `watch` takes the scan out of the inbox
    kept.write_bytes(scan.read_bytes())
    files["original"] = ("original.png", kept)
    archived = archive.put(record, files)
    tamper(archive, f"{archived.archive_prefix}/record.json", b'{"broken\n')
    said = f"record {archived.id} ({archived.archive_prefix}): record.json unreadable (not JSON)"
    env = {**_cli_env(archive, tmp_path / "var", request), "SOHOA_OCR_WORKERS": "1", "SOHOA_CONFIG": ""}
    runner = CliRunner()
    result = runner.invoke(app, ["process", str(scan), "--no-prefect", "--json"], env=env)
    assert result.exit_code == 3, result.output
    (file,) = json.loads(result.stdout)["files"]
    assert file["outcome"] == "failed" and said in file["reason"], file
    assert "record.json không đọc được" in file["reason_vi"] and "ValidationError" not in file["reason"], file
    watched = runner.invoke(app, ["watch", str(inbox), "--once", "--json", "--stable-seconds", "0"], env=env)
    assert watched.exit_code == 3, watched.output
    (receipt,) = json.loads(watched.stdout)["receipts"]
    assert receipt["outcome"] == "failed", receipt
    _said(watched, said, "record.json không đọc được")
    assert not (tmp_path / "var" / "quarantine").exists() or not any((tmp_path / "var" / "quarantine").iterdir())
    # its index entry gone too: the put of the rerun meets the folder and cannot adopt the record.json there (it
    # raised pydantic's ValidationError, and the scan was quarantined); it writes the record as a put does, which a
    # local folder refuses over the retained record.json (on S3 the write adds a newer version, the retained stays)
    remove_behind(archive, f".by-sha256/{sha}.json")
    with contextlib.suppress(RetentionError):
        archive.put(record, files)


def test_an_archive_that_is_a_file_or_holds_one_for_a_folder_is_named(tmp_path: Path) -> None:
    """QA: `--archive FILE` said "no archive at FILE (nothing was ever archived there)"; it is a file, not a folder
    (exit 2). `.by-sha256` replaced by a file listed no records (`list --json`: [], exit 0) and `get` said "not in
    the archive": a fault naming it now (exit 3)."""
    store = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "file-for-folder")
    archived = store.put(record, files)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    plain = tmp_path / "notes.txt"
    plain.write_text("not an archive")
    for command in (
        ["list"],
        ["list", "--json"],
        ["audit", "--no-renew"],
        ["audit", "--fixity-only"],
        ["ledger", "verify"],
        ["get", archived.id],
        ["export", archived.id, str(tmp_path / "bag")],
        ["hold", archived.id, "on"],
        ["index", "rebuild"],
    ):
        result = runner.invoke(app, [*command, "--archive", str(plain)], env=env)
        text = " ".join(result.output.split())
        assert result.exit_code == 2, (command, result.output)
        assert f"{plain}: là một tệp, không phải thư mục kho lưu trữ / is a file, not an archive folder" in text
        assert "nothing was ever archived" not in text
    at = runner.invoke(app, ["verify", "--archive-at", str(plain)], env=env)
    assert at.exit_code == 2 and "is a file, not an archive folder" in " ".join(at.output.split()), at.output
    index = tmp_path / "archive" / ".by-sha256"
    for entry in index.iterdir():
        entry.unlink()
    index.rmdir()
    index.write_text("x\n")
    for command in (["list", "--json"], ["list"], ["get", archived.id], ["export", archived.id, str(tmp_path / "b")]):
        result = runner.invoke(app, command, env=env)
        text = " ".join(result.output.split())
        assert result.exit_code == 3, (command, result.output)
        squeezed = "".join(result.output.split())  # rich breaks a long path anywhere
        assert "".join(f"{index}: là một tệp, không phải thư mục / is a file, not a folder".split()) in squeezed, text
    assert not (tmp_path / "b").exists()
    # a folder not made yet in a fresh archive is no fault: it has nothing in it
    assert list(open_archive(tmp_path / "fresh").records()) == []


def test_a_put_that_fails_on_a_full_disk_takes_back_what_it_wrote(tmp_path: Path, full_disk: Path) -> None:
    """QA (chaos testing): a put failing on a full archive disk (ENOSPC) left the files it had written (~2 MB of a
    3 MB disk), so the disk stayed full until a rerun. What it wrote, none of it retained yet, is taken back; the
    put still fails as an archive fault (the scan stays for the rerun), and succeeds once there is room."""
    archive = LocalArchive(full_disk / "kho lưu trữ")
    record, files = make_record(tmp_path / "in", "đầy", size=40_000)  # two files fit, not all three + record.json
    with pytest.raises(ArchiveUnavailableError, match="No space left on device"):
        archive.put(record, files)
    left = [p for p in (full_disk / "kho lưu trữ").rglob("*") if p.is_file()]
    assert left == [], left
    (full_disk / "filler").unlink()
    record, files = make_record(tmp_path / "in", "đầy", size=40_000)
    stored = archive.put(record, files)
    assert archive.verify_objects(stored) == [] and archive.find(record.source.sha256) is not None


def test_review_list_does_not_take_a_rewritten_record_json_for_fact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA62: `review list` read record.json without holding it against the ledger, as `list` does: one rewritten to
    `needs_review: false` left the review queue without a word, and a rewritten number was listed as read. Named
    now as `list` names them (stderr and `--json` `damaged`, "changed since it was archived"), exit 1."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.delenv("SOHOA_ARCHIVE", raising=False)
    kho = tmp_path / "kho"
    store = LocalArchive(kho)
    stored = []
    for seed, number in (("kept", "1/QĐ-UBND"), ("settled", "2/QĐ-UBND"), ("renumbered", "3/QĐ-UBND")):
        record, files = make_record(tmp_path / seed, seed, number=number)
        record.needs_review = True
        stored.append(store.put(record, files))
    kept, settled, renumbered = stored
    for record, change in ((settled, {"needs_review": False}), (renumbered, {"number": "9/QĐ-UBND"})):
        key = f"{record.archive_prefix}/record.json"
        sidecar = json.loads((kho / key).read_bytes())
        if "number" in change:
            sidecar["classification"]["number"] = change["number"]
        else:
            sidecar.update(change)
        tamper(store, key, json.dumps(sidecar, ensure_ascii=False).encode())

    runner = CliRunner()
    listed = runner.invoke(app, ["review", "list", "--archive", str(kho), "--json"])
    assert listed.exit_code == 1, listed.output
    said = json.loads(listed.stdout)
    assert [r["id"] for r in said["records"]] == [kept.id], said
    damaged = {d["record_id"]: d["error"] for d in said["damaged"]}
    assert set(damaged) == {settled.id, renumbered.id}, said["damaged"]
    assert all("record.json changed since it was archived" in why for why in damaged.values()), damaged
    table = runner.invoke(app, ["review", "list", "--archive", str(kho)])
    assert table.exit_code == 1, table.output
    assert "9/QĐ-UBND" not in table.stdout and kept.id in table.stdout, table.stdout  # the rewritten number: no fact
    assert "1 hồ sơ cần xem lại / record(s) to review" in " ".join(table.stdout.split()), table.stdout
    named = " ".join(table.stderr.split())
    assert settled.id in named and renumbered.id in named and "changed since it was archived" in named, named


def _no_interrupted_write_while(archive: BaseArchive, other_host_ends: Callable[[], object]) -> None:
    """A whole-archive check finds no interrupted write while another host ends its put (``other_host_ends``, run
    1.5 s after the check began, holding no lock of this host's)."""
    import threading

    writer = threading.Timer(1.5, other_host_ends)
    writer.start()
    try:
        assert archive.outside_records([])[0] == []
    finally:
        writer.join()


def _archived_then_unindexed(archive: BaseArchive, tmp_path: Path, seed: str) -> tuple[Record, str, bytes]:
    """A record archived, then its index entry removed, as a put under way looks before its last write: the
    record, its index entry's key and the entry's bytes (for the writer to write them)."""
    record, files = make_record(tmp_path / "in", seed)
    archived = archive.put(record, files)
    index_key = f".by-sha256/{archived.source.sha256}.json"
    entry = archive._read(index_key)
    assert entry is not None
    remove_behind(archive, index_key)
    return archived, index_key, entry


def test_a_put_under_way_on_another_host_is_waited_for_when_configured(archive: BaseArchive, tmp_path: Path) -> None:
    """QA71/QA69: the whole-archive checks wait for this host's writers by their lock, which a writer on another
    host sharing the archive does not hold: an audit beside another host's batch called its put under way an
    interrupted write. With SOHOA_ARCHIVE_SETTLE_SECONDS a write still unindexed is looked at again until then;
    without it (one host), as before. Here the other host writes the index entry a moment after the check began,
    holding no lock of this host's."""

    archived, index_key, entry = _archived_then_unindexed(archive, tmp_path, "busy")
    assert [w.prefix for w in archive.outside_records([])[0]] == [archived.archive_prefix]  # one host: no wait

    archive.other_hosts_settle_seconds = 10.0
    _no_interrupted_write_while(archive, lambda: tamper(archive, index_key, entry))  # the other host's last write
    # a listing only names what it finds: it does not wait
    remove_behind(archive, index_key)
    assert [w.prefix for w in archive.outside_records([], other_hosts=False)[0]] == [archived.archive_prefix]


def test_a_put_another_host_has_claimed_is_waited_for(s3_server: SeaweedServer, tmp_path: Path) -> None:
    """Without SOHOA_ARCHIVE_SETTLE_SECONDS an audit beside another host's batch called its put under way an
    interrupted write. That put holds a claim on its scan (storage.claims): a whole-archive check waits while a write
    it finds is claimed by another writer (here the other host writes the index entry, then deletes its claim, a
    moment after the check began); a write whose claim its writer left behind, dead, is not waited for. (S3: a
    folder's writers, on every host, are waited for by the folder's lock.)"""
    settings = s3_settings(s3_server, tmp_path, f"sohoa-test-{next(_buckets)}")
    archive = open_archive(settings.archive, settings)

    from storage.claims import release

    archived, index_key, entry = _archived_then_unindexed(archive, tmp_path, "claimed")
    claim = leave_claim(archive, archived.source.sha256, 0, "host-b", 4242, datetime.now(UTC), "batch-b")

    def other_host_ends() -> None:
        tamper(archive, index_key, entry)
        release(archive, claim)

    _no_interrupted_write_while(archive, other_host_ends)
    remove_behind(archive, index_key)
    leave_claim(archive, archived.source.sha256, 0, archive.host_id, dead_pid(), datetime.now(UTC), "batch-killed")
    assert [w.prefix for w in archive.outside_records([])[0]] == [archived.archive_prefix]


def test_a_write_another_host_still_claims_is_named_as_its(
    s3_server: SeaweedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA73: a write whose claim a host killed a moment ago still holds (live for an hour) — the audit, `ledger
    verify` and `list` said "interrupted … run sohoa ledger finish", while `ledger finish` answered "left to it".
    Once the check has waited for it, the write is named with the host, process and batch that hold its claim, and
    when `ledger finish` may take it over. (The check's minute of waiting is shortened here.)"""
    from flows.commands_storage import not_indexed
    from flows.ledger_check import problem_in_vietnamese
    from storage.ledger import Ledger

    monkeypatch.setattr("storage.claims.CLAIMED_WRITE_WAIT", 0.5)
    settings = s3_settings(s3_server, tmp_path, f"sohoa-test-{next(_buckets)}")
    archive = open_archive(settings.archive, settings)
    archived, _, _ = _archived_then_unindexed(archive, tmp_path, "held")
    leave_claim(archive, archived.source.sha256, 0, "host-b", 4242, datetime.now(UTC), "batch-b")

    [write] = archive.outside_records([])[0]
    assert write.held is not None and write.held.host == "host-b"
    [problem] = Ledger(archive).verify()
    assert "still under way, on host host-b (process 4242, batch batch-b)" in problem, problem
    assert "sohoa ledger finish (or a rerun with its scan) finishes it after" in problem, problem
    assert "run sohoa ledger finish" not in problem, problem
    said = problem_in_vietnamese(problem)
    assert said.startswith(f"hồ sơ {archived.id} ({archived.archive_prefix}): máy host-b (tiến trình 4242"), said
    assert "sohoa ledger finish (hoặc chạy lại lô với bản quét) hoàn tất sau" in said, said
    [listed] = not_indexed(archive, [], [])
    assert listed.startswith("hồ sơ") and "máy host-b" in listed and "on host host-b" in listed, listed
    # the claim abandoned (its process gone, on this machine): the write is an interrupted one, as before
    leave_claim(archive, archived.source.sha256, 1, archive.host_id, dead_pid(), datetime.now(UTC), "batch-killed")
    [problem] = Ledger(archive).verify()
    assert "run sohoa ledger finish" in problem and "host-b" not in problem, problem


def test_a_put_under_way_is_no_interrupted_write(archive: BaseArchive, tmp_path: Path) -> None:
    """QA69: `sohoa audit` run beside a nightly batch said "ATTENTION — interrupted archive writes 2", exit 1,
    naming nothing: a put under way (its record.json written, its index entry not yet) looked like one a killed run
    left. The whole-archive checks now look again once the put is done (the write lock each put holds) and leave
    out a record indexed meanwhile. Here a writer holds the lock with the index entry not written yet, and writes
    it a moment after the check has begun."""
    import threading
    import time

    from flows.pipeline import archive_write_lock  # what a batch's put holds

    record, files = make_record(tmp_path / "in", "busy")
    archived = archive.put(record, files)
    index_key = f".by-sha256/{archived.source.sha256}.json"
    entry = archive._read(index_key)
    assert entry is not None

    def under_way() -> list[list[str]]:
        """Each of the whole-archive checks, run while a writer holds the lock and then writes the index entry."""
        remove_behind(archive, index_key)
        holding, checked = threading.Event(), []

        def writer() -> None:
            with archive_write_lock(archive.location):
                holding.set()
                time.sleep(0.5)  # the check has listed the archive by now, and waits for the lock
                tamper(archive, index_key, entry)  # the put's last write

        thread = threading.Thread(target=writer)
        thread.start()
        holding.wait()
        listed = list(archive.records())
        checked.append([w.prefix for w in archive.outside_records(listed)[0]])
        thread.join()
        return checked

    assert under_way() == [[]]
    remove_behind(archive, index_key)
    # with no writer, the same folder is an interrupted write, as before
    assert [w.prefix for w in archive.outside_records([])[0]] == [archived.archive_prefix]
    assert not any("archived (ledger entry" in line for line in Ledger(archive).verify())
    tamper(archive, index_key, entry)
    # the ledger's "archived" entry read before the index entry was written: no record "gone" either
    remove_behind(archive, index_key)
    holding = threading.Event()

    def late_writer() -> None:
        with archive_write_lock(archive.location):
            holding.set()
            time.sleep(0.5)
            tamper(archive, index_key, entry)

    thread = threading.Thread(target=late_writer)
    thread.start()
    holding.wait()
    problems = Ledger(archive).verify()
    thread.join()
    assert problems == [], problems


def test_a_record_a_killed_batch_left_is_named_with_its_batch_when_a_rerun_finishes_it(tmp_path: Path) -> None:
    """QA69: a batch killed after a record's record.json and ledger entries, before its index entry; the rerun
    reported the scan `archived` in its own batch, but the record keeps the killed batch's id (its record.json, held
    by the ledger), and `export --batch <rerun's id>` packed the others, exit 0, without a word of it. The rerun now
    names that batch: the file's `batch_id` in --json, `earlier_batches`, a line under the table with the export
    command for it (and no export hint for its own id, which holds none of them); its export packs the record."""
    from test_bad_input import small_scan_png

    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_OCR_WORKERS": "1", "SOHOA_CONFIG": ""}
    killed = "20261202T000000Z-killed"
    dying = _DYING_PROCESS.replace("process_document(Path(sys.argv[1]), settings)", "")
    dying += f"process_document(Path(sys.argv[1]), settings, batch_id={killed!r})\n"
    scans = [
        small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP"),
        small_scan_png(tmp_path / "thông báo.png", "THÔNG BÁO Số: 08/TB-UBND"),
    ]
    for scan in scans:
        child = subprocess.run(
            [sys.executable, "-c", dying, str(scan)],
            env={**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert child.returncode == -9, child.stderr
    runner = CliRunner()
    rerun = runner.invoke(app, ["process", "--no-prefect", "--json", str(scans[0])], env=env)
    assert rerun.exit_code == 0, rerun.output
    payload = json.loads(rerun.stdout)
    (line,) = payload["files"]
    assert line["outcome"] == "archived" and line["batch_id"] == killed, line
    assert payload["earlier_batches"] == {killed: 1} and payload["batch_id"] != killed
    table = runner.invoke(app, ["process", "--no-prefect", str(scans[1])], env=env)
    said = " ".join(table.output.split())
    assert table.exit_code == 0, table.output
    assert (
        f"Lô bị gián đoạn / interrupted batch {killed}: 1 hồ sơ lưu xong trong lần chạy này / record(s) finished by "
        f"this run (sohoa export --batch {killed} OUT)" in said
    ), said
    assert "(sohoa export --batch ID OUT)" not in said  # this run's own batch holds none of them
    exported = runner.invoke(app, ["export", "--batch", killed, str(tmp_path / "bag")], env=env)
    assert exported.exit_code == 0, exported.output
    assert len([p for p in (tmp_path / "bag").rglob("record.json")]) == 2


def test_a_retention_record_that_cannot_be_read_is_named_not_a_crash(tmp_path: Path) -> None:
    """QA79: a folder archive's `.retention/KEY.json` edited into garbage, a bad date or a list ended the fixity audit
    in an internal error (exit 3) and took the record's row out of the audit — the tampering the check is there to
    find. Named as unreadable, and the object held as protected (`dispose` refuses it), the rest audited."""
    archive = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "unreadable")
    archived = archive.put(record, files)
    signed = next(o for o in archived.objects if o.role == "signed")
    meta = Path(archive.location) / ".retention" / f"{signed.key}.json"
    for garbage in ("garbage{", '{"retain_until": "not-a-date"}', '{"retain_until": 12345}', "[]"):
        meta.write_text(garbage, encoding="utf-8")
        report = archive.fixity_audit()
        (line,) = report.problems[archived.id]
        assert line.startswith(f"{signed.key}: its retention and legal hold cannot be read"), line
        assert f".retention/{signed.key}.json is unreadable" in line, line
        with pytest.raises(RetentionError, match="unreadable"):
            archive._delete(signed.key)
    meta.write_text('{"retain_until": "2096-12-31"}', encoding="utf-8")  # no time zone: UTC, as written
    assert archive.fixity_audit().ok


def test_a_ledger_entry_or_stamp_whose_retention_record_was_edited_or_removed_is_named(
    tmp_path: Path, test_pki: TestPKI, request: pytest.FixtureRequest
) -> None:
    """QA79 L4: the ledger is kept for ever, but a folder archive's `.retention/.ledger/N.json` (or a day stamp's)
    shortened, removed or edited into garbage passed `ledger verify` and the audit. Each is named, the chain said
    intact (nothing in it changed) with the count of entries unprotected; the newest entry alone may be without one,
    as a process killed between the entry and its retention record leaves it (the next write retains it)."""
    archive = open_archive(tmp_path / "archive")
    archive.tsa_url = test_pki.tsa_url
    record, files = make_record(tmp_path / "in", "for-ever")
    archive.put(record, files)
    Ledger(archive).append("corrected", record.id, at=datetime.now(UTC) + timedelta(days=1))  # stamps today
    (day,) = stamp_days(archive)
    entries = [key for key, _ in Ledger(archive).entries()]
    assert len(entries) >= 4 and Ledger(archive).verify() == [] and archive.fixity_audit().ok
    retention = Path(archive.location) / ".retention"
    newest = retention / f"{entries[-1]}.json"
    newest.unlink()  # as a kill between the entry and its retention record leaves it: no problem
    assert Ledger(archive).verify() == [] and archive.fixity_audit().ok
    (retention / f"{entries[0]}.json").write_text('{"retain_until": "2030-01-01T00:00:00+00:00"}', encoding="utf-8")
    (retention / f"{entries[1]}.json").unlink()
    (retention / f"{entries[2]}.json").write_text("garbage{", encoding="utf-8")
    (retention / f".ledger-heads/{day}.tsr.json").unlink()
    problems = Ledger(archive).verify()
    assert problems == [
        "entry 1 (000000000001.json): retained only until 2030-01-01 — the ledger is kept for ever: its retention "
        "shortened or removed behind the archive's back",
        "entry 2 (000000000002.json): not retained — the ledger is kept for ever: its retention shortened or removed "
        "behind the archive's back",
        "entry 3 (000000000003.json): its retention and legal hold cannot be read, so they cannot be checked against "
        f"the ledger (its retention record .retention/{entries[2]}.json is unreadable: Expecting value: line 1 "
        "column 1 (char 0))",
        f"stamp {day}: .ledger-heads/{day}.tsr: not retained — the ledger is kept for ever: its retention shortened "
        "or removed behind the archive's back",
    ], problems
    said = CliRunner().invoke(app, ["ledger", "verify"], env=_cli_env(archive, tmp_path, request))
    words = " ".join(said.output.split())
    assert said.exit_code == 1, said.output
    assert "nguyên vẹn / intact" in words and "BROKEN" not in words, words
    assert "4 mục hoặc dấu thời gian có thời hạn lưu giữ bị rút ngắn, gỡ bỏ hoặc không đọc được" in words, words
    assert "sổ nhật ký được lưu giữ vĩnh viễn, nhưng thời hạn lưu giữ của mục này bị rút ngắn" in words, words
    assert not archive.fixity_audit().ok


def test_a_ledger_retention_record_that_is_no_file_or_holds_no_date_is_named_and_finish_retains_the_head(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """QA82: a folder in place of a ledger entry's retention record ended `ledger verify` and the audit in an
    internal error, a FIFO hung them for ever; the newest entry's record holding no date passed as a crash's
    leftover (a crash leaves none at all); `ledger finish` said "nothing to do" and left that entry unretained."""
    import os

    archive = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "no-file")
    archive.put(record, files)
    entries = [key for key, _ in Ledger(archive).entries()]
    retention = Path(archive.location) / ".retention"
    (retention / f"{entries[0]}.json").unlink()
    (retention / f"{entries[0]}.json").mkdir()
    (retention / f"{entries[1]}.json").unlink()
    os.mkfifo(retention / f"{entries[1]}.json")
    (retention / f"{entries[-1]}.json").write_text('{"retain_until": null}', encoding="utf-8")
    problems = Ledger(archive).verify()
    assert problems == [
        f"entry 1 ({entries[0].rsplit('/', 1)[1]}): its retention and legal hold cannot be read, so they cannot be "
        f"checked against the ledger (its retention record .retention/{entries[0]}.json is not a file)",
        f"entry 2 ({entries[1].rsplit('/', 1)[1]}): its retention and legal hold cannot be read, so they cannot be "
        f"checked against the ledger (its retention record .retention/{entries[1]}.json is not a file)",
        f"entry {len(entries)} ({entries[-1].rsplit('/', 1)[1]}): not retained — the ledger is kept for ever: its "
        "retention shortened or removed behind the archive's back",
    ], problems
    env = _cli_env(archive, tmp_path, request)
    said = CliRunner().invoke(app, ["ledger", "verify", "--json"], env=env)
    assert said.exit_code == 1 and json.loads(said.stdout)["unprotected_entries"] == 3, said.output
    # as a kill between the newest entry and its retention record leaves it: `ledger finish` retains it
    (retention / f"{entries[-1]}.json").unlink()
    finished = CliRunner().invoke(app, ["ledger", "finish", "--json"], env=env)
    assert json.loads(finished.stdout)["retained_ledger_entry"] == entries[-1], finished.output
    assert json.loads((retention / f"{entries[-1]}.json").read_text(encoding="utf-8"))["retain_until"] > "2500"


def test_hold_and_dispose_refuse_a_record_whose_retention_record_cannot_be_read(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A `.retention/KEY.json` edited into garbage is held as protecting its object, but `hold on` said "legal hold
    already on; nothing changed", `hold off` ended in an internal error (exit 3) and `dispose` said "under legal
    hold": each refuses now, exit 1, naming the record it cannot read and what to do; nothing is changed or
    recorded in the ledger."""
    archive = open_archive(tmp_path / "archive")
    env = _cli_env(archive, tmp_path, request)
    record, files = make_record(tmp_path / "in", "garbled")
    archived = archive.put(record, files)
    signed = next(o for o in archived.objects if o.role == "signed")
    meta = Path(archive.location) / ".retention" / f"{signed.key}.json"
    meta.write_text("garbage{", encoding="utf-8")
    entries = len(list(Ledger(archive).entries()))
    runner = CliRunner()
    for args in (
        ["hold", archived.id, "on"],
        ["hold", archived.id, "off"],
        ["dispose", archived.id, "--reason", "QĐ 1"],
    ):
        said = runner.invoke(app, args, env=env)
        words = " ".join(said.output.split())
        assert said.exit_code == 1, (args, said.output)
        assert f"the retention and legal hold of {signed.key} cannot be read" in words, words
        assert "restore that record from a backup" in words and "không đọc được thời hạn lưu giữ" in words, words
        assert "already on" not in words and "under legal hold, not" not in words, words
    assert meta.read_text(encoding="utf-8") == "garbage{" and len(list(Ledger(archive).entries())) == entries
    assert archive.get(archived.id) is not None


def test_an_s3_object_lock_the_key_may_not_read_is_no_object_without_one() -> None:
    """QA79: an audit key without s3:GetObjectRetention (AWS then sends no lock headers on HEAD, and refuses the
    retention request) made every object "retention removed behind the archive's back". A refusal cannot be caused
    on SeaweedFS, which answers every key (so the error is built here); the codes of "none set" are SeaweedFS's and
    AWS's."""
    from minio.error import S3Error

    from storage.s3 import _lock_unreadable

    def error(code: str) -> S3Error:
        return S3Error(None, code, "message", "resource", "request", "host")  # type: ignore[arg-type]

    said = _lock_unreadable(error("AccessDenied"))
    assert said is not None and "s3:GetObjectRetention and s3:GetObjectLegalHold" in said
    for none_set in ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchObjectLegalHold"):
        assert _lock_unreadable(error(none_set)) is None
