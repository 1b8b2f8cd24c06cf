"""`sohoa verify`'s reports as an auditor files them: the filing facts (time, tool, operator, trust anchors by
fingerprint, each file's SHA-256 and size, totals by class), every line in Vietnamese and English, NFC names,
progress on a terminal. Real signatures: the development identity signs, its CA is the trust anchor."""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path

import pytest
from rich.console import Console
from test_signing import MARKER, make_pdf
from test_signing_cli import _env
from typer.testing import CliRunner

import flows.cli
from flows.cli import app
from signing import existing_dev_ca, verify_pdf
from sohoa import __version__

runner = CliRunner()
SHADOWED = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "corpora"
    / "signatures"
    / "pdf-tester"
    / "shadowed-certified-visible.pdf"
)


def _signed(env: dict[str, str], source: Path, target: Path) -> Path:
    res = runner.invoke(app, ["sign", str(make_pdf(source)), str(target)], env=env)
    assert res.exit_code == 0, res.output
    return target


def _three_classes(tmp_path: Path, env: dict[str, str]) -> tuple[Path, Path, Path]:
    """A passing file, a tampered one (TOTAL_FAILED) and an unsigned one (an error entry)."""
    good = _signed(env, tmp_path / "a.pdf", tmp_path / "good.pdf")
    bad = _signed(env, tmp_path / "b.pdf", tmp_path / "bad.pdf")
    data = bytearray(bad.read_bytes())
    data[data.index(MARKER)] ^= 1
    bad.write_bytes(bytes(data))
    return good, bad, make_pdf(tmp_path / "unsigned.pdf")


def test_reports_carry_what_an_auditor_files(tmp_path: Path) -> None:
    """QA: no report said the tool's version, who ran it on which host, each file's SHA-256 and size, or the trust
    anchors other than as paths; `--json` was only {"files", "passed"}, `--text` had no header, and a 301-file HTML
    was per-file sections under one "301/301" line."""
    data = tmp_path / "var"
    env = _env(data)
    good, bad, unsigned = _three_classes(tmp_path, env)
    ca = existing_dev_ca(data / "keys")
    assert ca is not None
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    fingerprint = x509.load_pem_x509_certificate(ca.read_bytes()).fingerprint(hashes.SHA256()).hex()
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (good, bad, unsigned)}
    files = [str(good), str(bad), str(unsigned)]

    res = runner.invoke(app, ["verify", *files, "--json"], env=env)
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    assert report["schema_version"] == 2 and report["version"] == __version__
    assert report["generated_at"].endswith("+07:00")
    assert report["operator"] and report["host"]
    (anchor,) = report["trust_anchors"]
    assert anchor["sha256"] == fingerprint and anchor["subject"].startswith("CN=") and anchor["file"] == str(ca)
    assert report["counts"] == {"total": 3, "passed": 1, "failed": 1, "indeterminate": 0, "error": 1}
    assert report["passed"] is False  # the keys there were stay
    by_path = {f["path"]: f for f in report["files"]}
    for path in (good, bad, unsigned):
        entry = by_path[str(path)]
        assert entry["sha256"] == digests[path] and entry["size"] == path.stat().st_size
    assert [by_path[f]["class"] for f in files] == ["passed", "failed", "error"]

    text = runner.invoke(app, ["verify", *files, "--text"], env=env).stdout
    head = text.split(str(good))[0]
    for words in (
        "Lập lúc / Generated at: ",
        f"sohoa {__version__}",
        f"Người thực hiện / Run by: {report['operator']}@{report['host']}",
        "Gốc tin cậy đã nạp / Trust anchors loaded: 1",
        ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper(),
    ):
        assert words in head, head
    size = f"{good.stat().st_size:,}\u00a0byte".replace(",", "\u00a0")  # thousands apart by a no-break space (QA80)
    assert f"SHA-256: {digests[good]}; kích thước / size: {size}" in text
    assert "Theo loại / By class: đạt / passed 1; không đạt / failed 1; chưa xác định được / indeterminate 0" in text
    # the default output is the text report, header and all
    assert "Gốc tin cậy đã nạp / Trust anchors loaded: 1" in runner.invoke(app, ["verify", str(good)], env=env).stdout

    html_file = tmp_path / "report.html"
    assert runner.invoke(app, ["verify", *files, "--html", str(html_file)], env=env).exit_code == 1
    html = html_file.read_text(encoding="utf-8")
    summary = html.split("<h2 id='f1'>")[0]  # before the first file's own section
    assert f"sohoa {__version__}" in summary and f"{report['operator']}@{report['host']}" in summary
    assert ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper() in summary
    assert "Trust roots used" not in html  # paths, not certificates
    for path in (good, bad, unsigned):
        assert f"<a href='#f{files.index(str(path)) + 1}'>{path}</a>" in summary and digests[path] in summary
    for kind, count in (("đạt / passed", 1), ("không đạt / failed", 1), ("chưa xác định được / indeterminate", 0)):
        assert f">{kind}</td><td class='n'>{count}</td>" in summary, kind


@pytest.mark.skipif(not SHADOWED.is_file(), reason=f"{SHADOWED} not present")
def test_every_warning_and_code_is_said_in_both_languages(tmp_path: Path) -> None:
    """QA: the shadow-attack warning, the trust-root warnings, the revocation source ("source none") and the
    DocMDP permission ("FILL_FORMS") were English only, or a bare code."""
    from signing.report import render_text

    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    text = render_text([verify_pdf(SHADOWED, [])])
    assert (
        "tệp chứa 3 luồng nội dung không được hiển thị: nội dung ẩn mà một thay đổi về sau có thể làm hiện ra "
        "(chuẩn bị tấn công shadow?) / 3 content stream(s) are in the file but not shown by it"
    ) in text, text
    assert "chưa cấu hình gốc tin cậy nào: không người ký nào có thể được tin cậy / no trust roots configured" in text
    assert "nguồn / source: không có / none" in text
    assert (
        "Certification (DocMDP): chỉ cho phép điền biểu mẫu, ký thêm và thêm chú thích / only form filling, further "
        "signatures and annotations allowed (ANNOTATE)"
    ) in text
    text = render_text([verify_pdf(SHADOWED, [tmp_path / "nonexistent", junk])])
    assert f"gốc tin cậy {tmp_path / 'nonexistent'} không tồn tại / trust root" in text, text
    assert f"bỏ qua gốc tin cậy {junk}: không đọc được chứng thư / trust root {junk} skipped" in text, text


def test_usage_errors_are_said_in_both_languages(tmp_path: Path) -> None:
    env = _env(tmp_path / "var")
    pdf = make_pdf(tmp_path / "in.pdf")
    for args, vietnamese in (
        ([], "không có gì để kiểm tra"),
        ([str(tmp_path / "gone.pdf")], "không có tệp hoặc thư mục này / no such file or folder"),
        ([str(pdf), "--at", "2031-01-01T00:00:00"], "hãy ghi cả múi giờ"),
        ([str(pdf), "--at", "tomorrow"], "không phải ngày giờ ISO 8601"),
        ([str(pdf), "--trust-store", "nope"], "kho gốc tin cậy 'nope' chưa được cài"),
        ([str(pdf), "--text"], "--json và --text: chọn một"),
    ):
        res = runner.invoke(app, ["verify", *args, "--json"], env=env)
        assert res.exit_code == 2, (args, res.output)
        assert vietnamese in json.loads(res.stdout)["error"], (args, res.stdout)


def test_a_trust_root_given_that_gives_no_certificate_is_a_usage_error(tmp_path: Path) -> None:
    """QA: `--trust /nonexistent` was accepted (exit 0, an English warning) and the HTML listed it under "Trust
    roots used". Like `--trust-store nope`, it is a usage error; a configured root that is missing stays a warning,
    and no report lists a root it did not load."""
    data = tmp_path / "var"
    env = _env(data)
    good = _signed(env, tmp_path / "in.pdf", tmp_path / "good.pdf")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    empty = tmp_path / "no-certificates"
    empty.mkdir()
    report = tmp_path / "report.html"
    for given, words in (
        (tmp_path / "nonexistent", "no such file or folder"),
        (junk, "holds no readable certificate"),
        (empty, "holds no readable certificate"),
    ):
        res = runner.invoke(app, ["verify", str(good), "--trust", str(given), "--html", str(report)], env=env)
        assert res.exit_code == 2, (given, res.output)
        said = " ".join(res.output.split())
        assert words in said and "không có" in said, said
        assert not report.exists()

    missing = tmp_path / "configured-but-gone.pem"
    configured = _env(data, SOHOA_TRUST_ROOTS=json.dumps([str(missing)]))
    res = runner.invoke(app, ["verify", str(good), "--html", str(report)], env=configured)
    # a configured root that is not there is a configuration error too, naming the setting: no report is written
    # that a missing anchor would have changed
    said = "".join(res.output.split())  # the console wraps long lines, anywhere in a path
    assert res.exit_code == 2 and "SOHOA_TRUST_ROOTS" in said and "configured-but-gone.pem" in said, said
    assert not report.exists()


def test_html_report_is_followed_by_a_summary_line(tmp_path: Path) -> None:
    """QA: `sohoa verify FOLDER --html OUT` printed nothing at all, however long it ran."""
    env = _env(tmp_path / "var")
    good, bad, unsigned = _three_classes(tmp_path, env)
    report = tmp_path / "out" / "report.html"
    res = runner.invoke(app, ["verify", str(good), str(bad), str(unsigned), "--html", str(report)], env=env)
    assert res.exit_code == 1
    line = " ".join(res.stdout.split())
    assert f"Báo cáo / Report: {report} — 1/3 tệp đạt / files passed" in line, res.stdout
    assert "không đạt / failed 1" in line and "lỗi, không có kết quả / error, no verdict 1" in line
    assert "Xác minh / verifying" not in res.output  # not a terminal: no bar
    with_json = runner.invoke(app, ["verify", str(good), "--html", str(report), "--json"], env=env)
    assert json.loads(with_json.stdout)["passed"] is True  # stdout stays JSON; the line goes to stderr
    assert "Báo cáo / Report:" in with_json.stderr


def test_progress_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: `sohoa verify bulk/` (300 files) printed nothing for 27 s: a bar on stderr when it is a terminal."""
    env = _env(tmp_path / "var")
    good, bad, _ = _three_classes(tmp_path, env)
    terminal = io.StringIO()
    monkeypatch.setattr(flows.cli, "err", Console(file=terminal, force_terminal=True, width=120))
    res = runner.invoke(app, ["verify", str(good), str(bad), "--text"], env=env)
    assert res.exit_code == 1
    assert "Xác minh / verifying" in terminal.getvalue() and "2/2" in terminal.getvalue()
    assert "Xác minh / verifying" not in res.stdout  # the report itself is untouched


def test_decomposed_file_names_are_shown_composed(tmp_path: Path) -> None:
    """QA: a name written decomposed (NFD) stayed so in the text and HTML reports, and the name typed composed was
    not found by searching the HTML. The JSON's `path` stays as the file system spells it; `display_path` is NFC."""
    env = _env(tmp_path / "var")
    composed = "Quyết định số 12.pdf"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    folder = tmp_path / unicodedata.normalize("NFD", "hồ sơ")
    folder.mkdir()
    signed = _signed(env, tmp_path / "in.pdf", folder / decomposed)
    text = runner.invoke(app, ["verify", str(folder), "--text"], env=env).stdout
    assert f"hồ sơ/{composed}: ĐẠT, nhưng ký bằng khóa THỬ NGHIỆM" in text and decomposed not in text, text
    html_file = tmp_path / "report.html"
    assert runner.invoke(app, ["verify", str(folder), "--html", str(html_file)], env=env).exit_code == 0
    html = html_file.read_text(encoding="utf-8")
    assert f"hồ sơ/{composed}" in html and decomposed not in html
    (entry,) = json.loads(runner.invoke(app, ["verify", str(folder), "--json"], env=env).stdout)["files"]
    assert entry["path"] == str(signed) and entry["display_path"] == unicodedata.normalize("NFC", str(signed))


def test_readme_lists_every_json_key() -> None:
    """QA: `revisions`, `intact`, `valid`, `trusted`, `coverage`, `signed_revision`, … were in `verify --json` and
    nowhere in the README's list of its keys."""
    from signing.report import ReportCounts, ReportHeader, TrustAnchor
    from signing.verify import FileVerification, RevisionChange, Revocation, SignatureVerdict

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    documented = readme[readme.index("`--json` prints (schema version") : readme.index("- **Trust**:")]
    models = (FileVerification, SignatureVerdict, Revocation, RevisionChange, ReportHeader, ReportCounts, TrustAnchor)
    keys = {name for model in models for name in model.model_fields} | {"passed", "class", "display_path", "counts"}
    assert not {key for key in keys if f'"{key}"' not in documented}


def test_pdfa_line_does_not_count_a_signature_s_pdf_2_declaration_as_a_broken_rule() -> None:
    """QA62: verify said the PDF 2.0 a signature's ISO/TS 32002 declaration raised for what it is (a warning, not
    "breaks 1 PDF/A rule"), but the report's PDF/A line still read "vi phạm 1 quy tắc / 1 rule(s) broken" in text and
    HTML. Said now as the rules checked passed except that declaration; any other broken rule is still counted."""
    from signing.report import pdfa_summary, render_html, render_text, report_header
    from signing.verify import SIGNATURE_RAISED_VERSION, FileVerification

    raised = "6.1.2: PDF 2.0 (PDF/A-2 is PDF 1.7 at most)"
    only = FileVerification(path="a.pdf", pdfa="2B", pdfa_problems=[raised], warnings=[SIGNATURE_RAISED_VERSION])
    line = pdfa_summary(only)
    assert line is not None
    assert "rule(s) broken" not in line and "vi phạm" not in line, line
    assert line == (
        "PDF/A-2B: đạt các quy tắc đã kiểm tra, trừ khai báo PDF 2.0 của chữ ký (xem cảnh báo) / "
        "passes the rules checked except the signature's PDF 2.0 declaration (see the warning)"
    )
    assert line in render_text([only])
    html_report = render_html([only], report_header([]))
    assert "rule(s) broken" not in html_report and "<p class='ok'>PDF/A-2B: đạt" in html_report

    # another rule broken besides: counted, the declaration not
    both = only.model_copy(update={"pdfa_problems": [raised, "6.2.3: no OutputIntent"]})
    assert pdfa_summary(both) == "PDF/A-2B: vi phạm 1 quy tắc / 1 rule(s) broken"
    # the same rule without verify's warning (a PDF 2.0 file in its own right) is still a broken rule
    plain = FileVerification(path="b.pdf", pdfa="2B", pdfa_problems=[raised])
    assert pdfa_summary(plain) == "PDF/A-2B: vi phạm 1 quy tắc / 1 rule(s) broken"


def test_a_file_signed_with_the_development_identity_passes_saying_it_has_no_legal_value(tmp_path: Path) -> None:
    """QA134 F4: `verify` filed a file signed with the generated development identity as a plain "ĐẠT / PASSED",
    "1/1 files passed", its JSON `passed: true` with no flag — the warning only inside each signature's details, in
    English in the JSON. Its verdict line, the totals, the HTML's result and the JSON now say it (`process` and
    `audit` did); it still passes (its signature is valid) and the exit code stays 0."""
    env = _env(tmp_path / "var")
    signed = _signed(env, tmp_path / "in.pdf", tmp_path / "signed.pdf")
    text = runner.invoke(app, ["verify", str(signed), "--text"], env=env)
    assert text.exit_code == 0, text.output
    assert "signed.pdf: ĐẠT, nhưng ký bằng khóa THỬ NGHIỆM, không có giá trị pháp lý / PASSED, but signed with " in (
        text.stdout
    )
    assert "Cảnh báo / Warning: 1/1 tệp ký bằng khóa THỬ NGHIỆM" in text.stdout, text.stdout
    said = json.loads(runner.invoke(app, ["verify", str(signed), "--json"], env=env).stdout)
    assert said["passed"] and said["development_identity"] == 1
    # its times in Vietnam time, to the second, as the header's (QA135 F6: UTC with microseconds)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", said["files"][0]["signatures"][0]["signing_time"])
    assert said["files"][0]["development_identity"] is True
    html_file = tmp_path / "report.html"
    assert runner.invoke(app, ["verify", str(signed), "--html", str(html_file)], env=env).exit_code == 0
    assert "1/1 tệp ký bằng khóa THỬ NGHIỆM" in html_file.read_text(encoding="utf-8")
