"""QA58: a record read from its folder is that folder's record; tampering is not passed off as an interrupted
write; the ledger says when it has no outside anchor; the audit names a record whose record.json or signed PDF is
gone once, in a row of its own; `sohoa list` does not list a rewritten record.json as fact. Local archives only
(the backends share this code in ``storage.base``)."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from storage_helpers import make_record
from typer.testing import CliRunner

from flows.audit import audit_records
from flows.cli import app
from flows.ledger_check import ledger_verdict, problem_in_vietnamese
from sohoa.record import Record
from sohoa.settings import Settings
from storage import DamagedRecordError, LocalArchive, fixity_audit
from storage.base import DamagedRecord
from storage.ledger import Ledger


def _two(tmp_path: Path) -> tuple[LocalArchive, Record, Record]:
    """An archive in DATA_DIR/archive with a decision (QĐ) and a notice (TB)."""
    archive = LocalArchive(tmp_path / "var" / "archive")
    decision, decision_files = make_record(tmp_path / "in", "decision", number="15/QĐ-UBND")
    notice, notice_files = make_record(tmp_path / "in", "notice", doc_type="TB", number="08/TB-UBND")
    return archive, archive.put(decision, decision_files), archive.put(notice, notice_files)


def _env(archive: LocalArchive) -> dict[str, str]:
    return {"SOHOA_DATA_DIR": str(archive.root.parent), "SOHOA_ARCHIVE": str(archive.root), "COLUMNS": "300"}


def _folder(archive: LocalArchive, record: Record) -> Path:
    return archive.root / str(record.archive_prefix)


def test_a_folder_overwritten_with_another_records_files_is_that_records_damage(tmp_path: Path) -> None:
    """QA58: `rm QĐ/15-…/*; cp TB/08-…/* QĐ/15-…/`: `get` and `export` of the QĐ id handed out the notice, exit 0;
    `list` showed the notice twice and the decision not at all; the audit had two rows for the notice and said the
    decision's "record.json, its folder or its index entry is gone"."""
    archive, decision, notice = _two(tmp_path)
    for path in _folder(archive, decision).iterdir():
        path.unlink()
    for path in _folder(archive, notice).iterdir():
        shutil.copy2(path, _folder(archive, decision) / path.name)
    said = f"its record.json is that of record {notice.id} ({notice.archive_prefix})"
    with pytest.raises(DamagedRecordError) as caught:
        archive.get(decision.id)
    assert said in str(caught.value) and "là của hồ sơ" in str(caught.value)
    damaged: list[DamagedRecord] = []
    assert [r.id for r in archive.records(damaged)] == [notice.id]
    assert [d.record_id for d in damaged] == [decision.id]

    runner, env = CliRunner(), _env(archive)
    shown = runner.invoke(app, ["get", decision.id], env=env)
    assert shown.exit_code == 1 and said in " ".join(shown.output.split()), shown.output
    assert "08/TB-UBND" not in shown.output  # the notice is not shown as the decision
    out = tmp_path / "got"
    assert runner.invoke(app, ["get", decision.id, "--out", str(out)], env=env).exit_code == 1
    assert not out.exists() or not any(out.iterdir())
    bag = tmp_path / "bag"
    assert runner.invoke(app, ["export", decision.id, str(bag)], env=env).exit_code == 1
    assert not bag.exists()
    listed = runner.invoke(app, ["list", "--json"], env=env)
    assert listed.exit_code == 1
    payload = json.loads(listed.stdout)
    assert [row["id"] for row in payload["records"]] == [notice.id]
    assert [(d["record_id"], said in d["error"]) for d in payload["damaged"]] == [(decision.id, True)]

    report = fixity_audit(archive)
    assert report.records == 2
    assert any(said in line for line in report.problems[decision.id])
    assert problem_in_vietnamese(report.problems[decision.id][0]).startswith("record.json là của hồ sơ khác")
    ledger = report.problems["ledger"]
    assert not any("is gone" in line for line in ledger), ledger
    assert any(decision.id in line and "changed since it was archived" in line for line in ledger), ledger


def test_a_rewritten_record_with_its_index_entry_removed_is_no_interrupted_write(tmp_path: Path) -> None:
    """QA58: the notice's document.pdf copied into the decision's folder, its SHA-256 put into the decision's
    record.json, the decision's index entry removed: `ledger verify` said "intact; 1 interrupted archive write(s)"
    though that record.json is not the one its "archived" entry recorded."""
    archive, decision, notice = _two(tmp_path)
    folder = _folder(archive, decision)
    pdf = (_folder(archive, notice) / "document.pdf").read_bytes()
    (folder / "document.pdf").write_bytes(pdf)
    sidecar = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    for stored in sidecar["objects"]:
        if stored["role"] == "signed":
            stored.update(sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf))
    (folder / "record.json").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")
    (archive.root / ".by-sha256" / f"{decision.source.sha256}.json").unlink()

    problems = Ledger(archive).verify()
    assert (
        ledger_verdict(problems)
        == "chuỗi nguyên vẹn / chain intact; 1 hồ sơ không khớp sổ / record(s) not as the ledger recorded them"
    ), problems
    assert any(
        line.startswith(f"record {decision.id} ({decision.archive_prefix}): not in the archive's index")
        and "record.json changed since it was archived" in line
        and "archive write interrupted" not in line
        for line in problems
    ), problems
    # the copy itself: two records hold the same signed PDF
    shared = [line for line in archive.stray_objects(archive.records()) if "the same file in 2 records" in line]
    assert len(shared) == 1 and f"{decision.archive_prefix}/document.pdf" in shared[0], shared
    assert f"{notice.archive_prefix}/document.pdf" in shared[0]
    result = CliRunner().invoke(app, ["ledger", "verify"], env=_env(archive))
    said = " ".join(result.output.split())
    # the chain is whole: the record is what does not match it ("BROKEN" sent auditors looking for a tampered ledger)
    assert result.exit_code == 1 and "BROKEN" not in said, said
    assert "chain intact; 1 hồ sơ không khớp sổ / record(s) not as the ledger recorded them" in said, said
    assert "interrupted archive write(s)" not in result.output, result.output
    as_json = json.loads(CliRunner().invoke(app, ["ledger", "verify", "--json"], env=_env(archive)).stdout)
    assert as_json["ok"] is False and as_json["chain_intact"] is True, as_json  # the JSON tells it apart too


def test_a_ledger_without_daily_timestamps_says_it_has_no_outside_anchor(tmp_path: Path) -> None:
    """QA58: with no TSA, `ledger verify` and `audit` said "0 daily timestamp(s): intact" and nothing else, though a
    consistent rewrite passes every check. A warning in both languages, exit 0 still."""
    from storage.stamps import anchor_warning

    archive, _, _ = _two(tmp_path)
    env = _env(archive)
    result = CliRunner().invoke(app, ["ledger", "verify"], env=env)
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "intact" in text and "warning: the ledger has no daily timestamp (no SOHOA_TSA_URL configured)" in text
    assert "cảnh báo: sổ nhật ký không có dấu thời gian ngày nào" in text
    assert "configure SOHOA_TSA_URL and run `sohoa ledger stamp` daily" in text
    as_json = json.loads(CliRunner().invoke(app, ["ledger", "verify", "--json"], env=env).stdout)
    assert as_json["ok"] and len(as_json["warnings"]) == 1
    fixity = CliRunner().invoke(app, ["audit", "--fixity-only"], env=env)
    assert fixity.exit_code == 0, fixity.output

    day = json.loads((archive.root / ".ledger" / "000000000001.json").read_text())["at"][:10]
    entries_day = date.fromisoformat(day)
    # a TSA configured, every entry today's: nothing to stamp yet, no warning
    assert anchor_warning(archive, True, today=entries_day) is None
    # the day over and not stamped: a warning, saying to run the stamp
    assert "run `sohoa ledger stamp`" in (anchor_warning(archive, True, today=entries_day + timedelta(days=1)) or "")
    # a stamp of an older day only: the days since are unanchored
    (archive.root / ".ledger-heads").mkdir()
    (archive.root / ".ledger-heads" / "2020-01-01.json").write_text("{}")
    later = anchor_warning(archive, True, today=entries_day + timedelta(days=1)) or ""
    assert f"after the newest daily timestamp (2020-01-01), up to {day}, are not timestamped" in later, later


def test_the_audit_names_a_missing_record_json_in_a_row_and_a_missing_pdf_once(tmp_path: Path) -> None:
    """QA58: after `rm …/record.json` the record had no row and the headline counted one record fewer; after
    `rm …/document.pdf` three lines said one fact ("missing", "the file is empty", "timestamps unreadable")."""
    archive, decision, notice = _two(tmp_path)
    (_folder(archive, decision) / "record.json").unlink()
    (_folder(archive, notice) / "document.pdf").unlink()
    settings = Settings(data_dir=tmp_path / "var", trust_dev_ca=False)
    rows = {row.record_id: row for row in audit_records(settings, renew=False)}
    assert set(rows) == {decision.id, notice.id}
    gone = rows[decision.id]
    assert gone.fixity == "drift" and gone.path == decision.archive_prefix
    assert gone.problems == [
        f"record {decision.id} ({decision.archive_prefix}): its record.json is missing (removed by hand) — the index "
        "lists the record, and its files cannot be checked against it"
    ]
    assert problem_in_vietnamese(gone.problems[0]).startswith("record.json của hồ sơ bị mất")
    assert rows[notice.id].problems == [f"{notice.archive_prefix}/document.pdf: missing"]
    assert fixity_audit(archive).records == 2


def test_list_does_not_show_a_rewritten_record_json_as_fact(tmp_path: Path) -> None:
    """QA58: the number in a record.json edited to 88/TB-UBND: `list` showed it, exit 0, while `get` refused it."""
    archive, decision, notice = _two(tmp_path)
    sidecar = _folder(archive, notice) / "record.json"
    sidecar.write_bytes(sidecar.read_bytes().replace(b"08/TB-UBND", b"88/TB-UBND"))
    runner, env = CliRunner(), _env(archive)
    assert runner.invoke(app, ["get", notice.id], env=env).exit_code == 1
    result = runner.invoke(app, ["list", "--json"], env=env)
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert [row["id"] for row in payload["records"]] == [decision.id]
    (changed,) = payload["damaged"]
    assert changed["record_id"] == notice.id and "record.json changed since it was archived" in changed["error"]
    assert "đã bị sửa sau khi lưu trữ" in changed["error_vi"]
    table = runner.invoke(app, ["list"], env=env)
    assert table.exit_code == 1 and "88/TB-UBND" not in table.stdout


def test_a_record_folder_gone_whole_is_said_to_be_gone_not_its_record_json(tmp_path: Path) -> None:
    """QA65: `rm -rf 2025/QĐ/15-…` (the index entry kept): the audit and `verify --archive` said "its record.json is
    missing (removed by hand)", though document.pdf and the original went with it."""
    archive, decision, notice = _two(tmp_path)
    shutil.rmtree(_folder(archive, decision))
    settings = Settings(data_dir=tmp_path / "var", trust_dev_ca=False)
    rows = {row.record_id: row for row in audit_records(settings, renew=False)}
    (problem,) = rows[decision.id].problems
    assert problem == (
        f"record {decision.id} ({decision.archive_prefix}): its folder is gone — record.json and every file of the "
        "record (removed by hand); the index still lists the record"
    )
    assert problem_in_vietnamese(problem).startswith("thư mục của hồ sơ đã mất cùng mọi tệp"), problem
    # which object, in the Vietnamese half too (QA67: only in the English line)
    changed = "2025/QĐ/x/original.pdf: SHA-256 differs from the one recorded"
    said = problem_in_vietnamese(changed)
    assert said.startswith("nội dung đã bị thay đổi (mã SHA-256 khác bản ghi) (tệp 2025/QĐ/x/"), said
    # which record, in the Vietnamese half too (QA66: only in the English line)
    assert f"(hồ sơ {decision.id} ({decision.archive_prefix})) / record {decision.id}" in problem_in_vietnamese(problem)
    assert rows[decision.id].shown_number() == "—" and not rows[decision.id].as_archived
    assert fixity_audit(archive).problems[decision.id] == [problem]
    # `list` and `review list` name it (they left it out without a word, exit 0), and `index rebuild` indexes the
    # others and names it
    runner = CliRunner()
    listed = runner.invoke(app, ["list", "--json"], env=_env(archive))
    assert listed.exit_code == 1, listed.output
    report = json.loads(listed.stdout)
    assert [r["id"] for r in report["records"]] == [notice.id]
    assert [d["record_id"] for d in report["damaged"]] == [decision.id]
    assert "its folder is gone" in report["damaged"][0]["error"]
    for command in (
        ["review", "list"],
        ["index", "rebuild"],
        # and a command about that record alone names it so, not "not in the archive" (QA66)
        ["get", decision.id],
        ["hold", decision.id, "on"],
        ["export", decision.id, str(tmp_path / "bag")],
    ):
        said = runner.invoke(app, command, env=_env(archive))
        assert "not in the archive" not in said.output, (command, said.output)
        assert said.exit_code == 1 and f"hồ sơ {decision.id}" in " ".join(said.output.split()), (command, said.output)


def test_a_record_whose_index_entry_alone_is_gone_is_not_said_to_be_not_in_the_archive(tmp_path: Path) -> None:
    """QA67: its index entry removed (folder kept), `get`, `hold` and `export` said "not in the archive" and `review
    set` "no such record" in other words, while the audit named an interrupted archive write: now each says the
    ledger has it archived, and how to finish it; an id no record ever had is still "not in the archive"."""
    archive, decision, notice = _two(tmp_path)
    (archive.root / ".by-sha256" / f"{decision.source.sha256}.json").unlink()
    runner = CliRunner()
    for command in (
        ["get", decision.id],
        ["hold", decision.id, "on"],
        ["export", decision.id, str(tmp_path / "bag")],
        ["review", "set", decision.id, "--ack"],
    ):
        said = " ".join(runner.invoke(app, command, env=_env(archive)).output.split())
        assert f"hồ sơ {decision.id}: đã lưu (mục sổ nhật ký" in said and "sohoa ledger finish" in said, said
        assert "not in the archive's index" in said and "not in the archive " not in said, (command, said)
    unknown = " ".join(runner.invoke(app, ["get", "0123456789abcdef"], env=_env(archive)).output.split())
    assert "record 0123456789abcdef: not in the archive" in unknown, unknown
    # its folder removed too: nothing left to finish (QA74: "run sohoa ledger finish", which found nothing to do)
    assert decision.archive_prefix
    shutil.rmtree(archive.root / decision.archive_prefix)
    gone = runner.invoke(app, ["get", decision.id], env=_env(archive))
    said = " ".join(gone.output.split())
    assert gone.exit_code == 1 and "ledger finish" not in said, said
    assert f"but its folder {decision.archive_prefix} is gone with every file" in said, said
    assert f"thư mục {decision.archive_prefix} của hồ sơ đã mất" in said, said


def test_entries_cut_off_the_ledger_are_named_by_the_index_entries_naming_them(tmp_path: Path) -> None:
    """QA65: with the last entries gone and the local folder's retention records of them too, nothing said the
    ledger's end was cut: the index entries of records archived since 2026-12-01 name their "archived" entry, one
    past the chain's end was cut off it. And `ledger seal` names the record whose entry went (it said "no record to
    seal: every record.json is checked") and seals nothing over it."""
    archive, decision, notice = _two(tmp_path)
    seq = archive.archived_seq(notice)
    assert seq is not None
    keys = Ledger(archive).keys()
    for key in keys[seq - 2 :]:  # the "archived" entry and the one before it
        (archive.root / key).unlink()
        (archive.root / ".retention" / f"{key}.json").unlink()
    problems = fixity_audit(archive).problems["ledger"]
    # both said (QA66: only the one the index names, "the chain now ends at" the one before the other)
    said = (
        f"entry {seq - 1}–{seq}: removed from the end of the ledger (the index names the entry that archived record "
        f"{notice.id} (entry {seq}); the chain now ends at entry {seq - 2})"
    )
    assert said in problems, problems
    from storage.ledger import seal_unchecked

    damaged: list[DamagedRecord] = []
    assert seal_unchecked(archive, dry_run=True, damaged=damaged) == []
    assert [d.record_id for d in damaged] == [notice.id]
    assert f"ledger entry {seq}, which archived it, is gone or edited" in damaged[0].english
