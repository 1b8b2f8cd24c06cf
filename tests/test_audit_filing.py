"""`sohoa audit` reports an auditor can file (QA65): the filing facts of `sohoa verify`'s reports (time, sohoa and
pyHanko versions, user@host, trust anchors) in the text, the JSON and the markdown, an HTML report written to a
file; the verification's warnings — a development identity above all — said; the same counts in the text and the
JSON. An archive of records signed by `sohoa sign` with the development identity, as QA's was."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from test_signing_cli import _archive_signed, _env
from typer.testing import CliRunner

from flows.audit import COUNT_WORDS, audit_archive
from flows.cli import app
from sohoa import __version__
from sohoa.settings import Settings

runner = CliRunner()


def _dev_archive(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "var"
    env = _env(data)
    _archive_signed(data / "archive", env, "a", "b")
    return data, env


def test_the_audit_gives_the_filing_facts_and_the_development_identity_warning(tmp_path: Path) -> None:
    data, env = _dev_archive(tmp_path)
    dev_ca = data / "keys" / "dev-ca.pem"
    assert dev_ca.is_file()
    result = runner.invoke(app, ["audit", "--no-renew"], env=env, terminal_width=400)
    text = result.output
    # a development identity is a loud warning, not a failure (`verify` passes such files with a warning too;
    # production turns SOHOA_TRUST_DEV_CA off, and then they are not trusted at all): exit 0, not a plain OK
    assert result.exit_code == 0, text
    assert "Báo cáo kiểm tra kho lưu trữ / Archive audit report" in text, text
    assert "Lập lúc / Generated at: 20" in text and f"Công cụ / Tool: sohoa {__version__} (" in text, text
    # the build as `sohoa --version` names it (QA74: the version alone, the same for every upgrade)
    from sohoa import version_said

    assert f"Công cụ / Tool: {version_said()} (pyHanko " in text, text
    assert f"@{socket.gethostname()}" in text, text
    assert f"Phạm vi / Scope: toàn bộ kho lưu trữ / the whole archive {data / 'archive'}" in text, text
    assert "Gốc tin cậy đã nạp / Trust anchors loaded: 1" in text and f"tệp / file: {dev_ca}" in text, text
    lines = text.splitlines()
    assert (
        sum(
            "cảnh báo / warning: ký bằng khóa THỬ NGHIỆM, không có giá trị pháp lý / signed with the DEVELOPMENT "
            "ONLY identity: no legal value" in line
            for line in lines
        )
        == 2
    ), text
    assert any(line.startswith("cảnh báo: 2 hồ sơ ký bằng khóa THỬ NGHIỆM") for line in lines), text
    assert "warning: 2 record(s) signed with the DEVELOPMENT ONLY identity: no legal value" in text, text
    assert lines[-1] == "Kết quả / result: đạt, có cảnh báo / OK, with warnings", lines[-1]
    assert "2 of them pass only because SOHOA_TRUST_DEV_CA trusts the development CA" in text, text
    # with the development CA not trusted nothing passes: the warning does not say they pass (QA66: it did)
    untrusted = runner.invoke(
        app, ["audit", "--no-renew", "--json"], env={**env, "SOHOA_TRUST_DEV_CA": "false"}, terminal_width=400
    )
    report = json.loads(untrusted.stdout)
    assert report["counts"]["signatures_passed"] == 0 and report["counts"]["development_identity"] == 2, report
    (warning,) = report["warnings"]
    assert "no legal value" in warning and "pass only because" not in warning and "chỉ đạt" not in warning, warning

    as_json = runner.invoke(app, ["audit", "--no-renew", "--json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    for kept in ("archive", "started_at", "records", "counts", "ok", "problems", "ledger_warnings"):
        assert kept in report, kept
    header = report["header"]
    assert header["generated_at"].endswith("+07:00") and header["version"] == __version__, header
    assert header["pyhanko_version"] and header["operator"] and header["host"] == socket.gethostname(), header
    assert [anchor["file"] for anchor in header["trust_anchors"]] == [str(dev_ca)], header
    assert report["counts"]["development_identity"] == 2 and report["ok"] is True, report["counts"]
    assert len(report["warnings"]) == 1 and "DEVELOPMENT ONLY identity" in report["warnings"][0], report
    assert all(r["development_identity"] for r in report["records"]), report["records"]
    assert all(
        r["warnings"] == ["signed with the DEVELOPMENT ONLY identity: no legal value"] for r in report["records"]
    )
    # F: every count of the JSON is in the text, in the markdown's words (`failed` was in neither)
    said = " ".join(text.split())
    for key, value in report["counts"].items():
        if key == "ledger_entries":
            assert f"sổ nhật ký / ledger {value} mục / entries" in said, said
        else:
            assert f"{COUNT_WORDS[key]} {value}" in said, (key, said)
    assert "hồ sơ có lỗi / records with problems 0" in said, said

    # the markdown (the Prefect artifact): the same facts
    settings = Settings(data_dir=data, _env_file=None)  # type: ignore[call-arg]
    markdown = audit_archive(settings, renew=False).markdown()
    assert "— ĐẠT, CÓ CẢNH BÁO / OK, WITH WARNINGS" in markdown, markdown
    assert "- Lập lúc / Generated at: " in markdown and "- Gốc tin cậy đã nạp / Trust anchors loaded: 1" in markdown
    assert f"`{dev_ca}`" in markdown and "ký bằng khóa THỬ NGHIỆM" in markdown, markdown
    assert "| ký bằng khóa thử nghiệm / signed with the development identity (`development_identity`) | 2 |" in (
        markdown
    )


def test_the_audit_writes_an_html_report_and_never_over_another_file(tmp_path: Path) -> None:
    data, env = _dev_archive(tmp_path)
    page = tmp_path / "reports" / "audit.html"
    written = runner.invoke(app, ["audit", "--no-renew", "--html", str(page)], env=env, terminal_width=400)
    assert written.exit_code == 0, written.output
    assert f"Báo cáo / Report: {page} — ĐẠT, CÓ CẢNH BÁO / OK, WITH WARNINGS" in written.output, written.output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Lập lúc / Generated at" in html, html
    assert "Gốc tin cậy đã nạp / Trust anchors loaded (1)" in html and "dev-ca.pem" in html, html
    assert "ký bằng khóa THỬ NGHIỆM" in html and "(<code>failed</code>)" in html, html
    again = runner.invoke(app, ["audit", "--no-renew", "--html", str(page), "--json"], env=env)
    assert again.exit_code == 0 and json.loads(again.stdout)["ok"], again.output  # over its own report: fine
    other = tmp_path / "notes.txt"
    other.write_text("not a report\n", encoding="utf-8")
    refused = runner.invoke(app, ["audit", "--html", str(other)], env=env)
    assert refused.exit_code == 2 and "not an HTML report" in refused.output, refused.output
    assert other.read_text(encoding="utf-8") == "not a report\n"
    inside = runner.invoke(app, ["audit", "--html", str(data / "archive" / "a.html")], env=env)
    assert inside.exit_code == 2 and "inside the archive" in inside.output, inside.output
    assert not (data / "archive" / "a.html").exists()
    fixity = runner.invoke(app, ["audit", "--fixity-only", "--html", str(page)], env=env)
    assert fixity.exit_code == 2, fixity.output


def test_objects_outside_the_records_are_counted_and_listed_apart_from_the_ledger(tmp_path: Path) -> None:
    """QA74: the audit's HTML listed a file planted in the archive under "Sổ nhật ký / Ledger", beside a count of
    ledger problems that left it out, and no count anywhere had it. They are counted (`archive_problems`) and
    listed apart, under their own title, in the HTML, the markdown and the JSON; the ledger's verdict stays
    intact."""
    data, env = _dev_archive(tmp_path)
    (data / "archive" / "2025").mkdir(exist_ok=True)
    (data / "archive" / "2025" / "notes.txt").write_text("stray\n", encoding="utf-8")
    page = tmp_path / "audit.html"
    audited = runner.invoke(app, ["audit", "--no-renew", "--html", str(page), "--json"], env=env)
    assert audited.exit_code == 1, audited.output
    report = json.loads(audited.stdout)
    assert report["counts"]["archive_problems"] == 1 and report["counts"]["ledger_problems"] == 0, report["counts"]
    html = page.read_text(encoding="utf-8")
    ledger, _, outside = html.partition("<h2>Kho, ngoài các hồ sơ / Archive, outside the records</h2>")
    assert "2025/notes.txt" in outside and "2025/notes.txt" not in ledger, html
    assert "nguyên vẹn / intact" in ledger.rpartition("Sổ nhật ký / Ledger")[2], html
    assert "(<code>archive_problems</code>)</td><td class='n'>1</td>" in html, html


def test_a_record_removed_whole_has_a_row_as_one_whose_index_entry_was_left(tmp_path: Path) -> None:
    """QA74: a record's folder removed by hand, its index entry left: a row of drift, "records 2, with problems 1";
    its index entry removed too: "records 1, with problems 0", the loss in the ledger's lines alone. Each is a
    row of drift now, counted; the ledger's line names it too."""
    data, env = _dev_archive(tmp_path)
    archive = data / "archive"
    index = sorted((archive / ".by-sha256").glob("*.json"))
    folders = [json.loads(entry.read_text(encoding="utf-8"))["prefix"] for entry in index]
    for folder in folders:
        shutil.rmtree(archive / folder)
    index[1].unlink()  # the second: its index entry too
    audited = runner.invoke(app, ["audit", "--no-renew", "--json"], env=env)
    assert audited.exit_code == 1, audited.output
    report = json.loads(audited.stdout)
    assert report["counts"]["records"] == 2 and report["counts"]["failed"] == 2, report["counts"]
    assert [row["fixity"] for row in report["records"]] == ["drift", "drift"], report["records"]
    gone = report["records"][1]
    assert "but no longer in the archive" in gone["problems"][0], gone
    assert any(p.startswith(f"record {gone['record_id']}: archived") for p in report["ledger_problems"]), report


def test_the_audit_html_replaces_only_a_report_sohoa_wrote(tmp_path: Path) -> None:
    """QA66: `audit --html page.html` replaced an auditor's own HTML page (exit 0): only a page carrying sohoa's
    generator mark (or an earlier report's opening) is replaced; any other is refused, named, in both languages."""
    data, env = _dev_archive(tmp_path)
    page = tmp_path / "page.html"
    notes = "<!DOCTYPE html><html><head><title>Ghi chú</title></head><body>ghi chú kiểm toán</body></html>\n"
    page.write_text(notes, encoding="utf-8")
    refused = runner.invoke(app, ["audit", "--no-renew", "--html", str(page), "--json"], env=env)
    assert refused.exit_code == 2, refused.output
    error = json.loads(refused.stdout)["error"]
    assert str(page) in error and "không phải báo cáo HTML do sohoa lập" in error, error
    assert "not an HTML report written by sohoa" in error, error
    assert page.read_text(encoding="utf-8") == notes
    audit = tmp_path / "audit.html"
    assert runner.invoke(app, ["audit", "--no-renew", "--html", str(audit)], env=env).exit_code == 0
    written = audit.read_text(encoding="utf-8")
    assert f"<meta name='generator' content='sohoa {__version__}'>" in written.split("</head>")[0], written[:300]
    # the audit's report and verify's are both sohoa's: either may replace the other
    earlier = tmp_path / "earlier.html"
    earlier.write_text(
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>Báo cáo kiểm tra kho lưu trữ / Archive "
        "audit report</title></head><body></body></html>\n",
        encoding="utf-8",
    )
    for target in (audit, earlier):
        again = runner.invoke(app, ["audit", "--no-renew", "--html", str(target)], env=env)
        assert again.exit_code == 0, again.output
        assert "Báo cáo kiểm tra kho lưu trữ" in target.read_text(encoding="utf-8")


def test_the_audit_with_no_trust_anchor_says_so_and_what_to_configure(tmp_path: Path) -> None:
    """QA65: without SOHOA_TRUST_ROOTS every row was INDETERMINATE and nothing said against which roots."""
    data, env = _dev_archive(tmp_path)
    env = {**env, "SOHOA_TRUST_DEV_CA": "false"}
    result = runner.invoke(app, ["audit", "--no-renew"], env=env, terminal_width=400)
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "Gốc tin cậy đã nạp / Trust anchors loaded: không có gốc tin cậy nào" in said, said
    assert "configure SOHOA_TRUST_ROOTS" in said, said
    report = json.loads(runner.invoke(app, ["audit", "--no-renew", "--json"], env=env).stdout)
    assert report["header"]["trust_anchors"] == [], report["header"]


def test_the_html_options_help_says_what_they_do(tmp_path: Path) -> None:
    """QA66: `audit --help` said "--html FILE … (vi + en) to FILE, to file."; both commands' help now says where
    the page goes and that nothing but a report of sohoa's is written over."""
    env = _env(tmp_path / "var")
    audit = " ".join(runner.invoke(app, ["audit", "--help"], env=env, terminal_width=400).output.split())
    assert "to FILE, to file" not in audit, audit
    assert (
        "--html FILE Write the report to FILE as one printable, self-contained HTML page (vi + en), for filing, "
        "instead of the text (--json still prints); never over a file that is not a report sohoa wrote."
    ) in audit, audit
    verify = " ".join(runner.invoke(app, ["verify", "--help"], env=env, terminal_width=400).output.split())
    assert (
        "--html FILE Write a printable, self-contained HTML report (vi + en) to FILE; never over a file that is not "
        "a report sohoa wrote."
    ) in verify, verify


def test_an_html_target_that_cannot_be_read_is_refused_in_sohoa_s_words(tmp_path: Path) -> None:
    """QA67: an existing `--html` file the user cannot read was refused by Click's own words ("path … is not
    readable"); sohoa's check says it in both languages. Run without the root capabilities that read any file
    (setpriv), so the file really cannot be read."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to drop the capability that reads any file")
    data, env = _dev_archive(tmp_path)
    locked = tmp_path / "locked.html"
    locked.write_text("<html>the auditor's own</html>", encoding="utf-8")
    locked.chmod(0)
    drop = "-dac_override,-dac_read_search"
    command = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", sys.executable, "-m", "flows.cli"]
    root = Path(__file__).resolve().parent.parent
    child_env = {**os.environ, **env, "PYTHONPATH": str(root), "SOHOA_OCR_SERVER": "off"}
    result = subprocess.run(
        [*command, "audit", "--no-renew", "--html", str(locked)], env=child_env, capture_output=True, text=True
    )
    said = " ".join(result.stderr.split())
    assert result.returncode == 2, said
    assert "không đọc được để biết có phải báo cáo của sohoa không" in said and "cannot be read" in said, said
    locked.chmod(0o600)
    assert locked.read_text(encoding="utf-8") == "<html>the auditor's own</html>"
