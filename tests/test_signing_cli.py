"""`sohoa sign` / `sohoa verify` / `sohoa keys` end to end, with the loopback test PKI for the levels."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from signing_pki import PKCS12_PASSWORD, SIGNER, TestPKI
from storage_helpers import make_record
from test_signing import make_pdf
from typer.testing import CliRunner

from flows.cli import app
from sohoa import __version__
from sohoa.record import Record
from storage import LocalArchive, open_archive

VN_ANCHORS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "vn-signed" / "trust-anchors-vn"
runner = CliRunner()


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {
        "SOHOA_DATA_DIR": str(data),
        "SOHOA_CONFIG": "",  # no configuration file
        # keep `keys list` from initialising the machine's SoftHSM2 here (test_signing_pkcs11 owns a token)
        "SOHOA_PKCS11_MODULE": str(data / "no-pkcs11-module.so"),
    }
    env.update(extra)
    return env


def _pki_env(data: Path, test_pki: TestPKI, **extra: str) -> dict[str, str]:
    password = data / "p12.pass"
    password.parent.mkdir(parents=True, exist_ok=True)
    password.write_bytes(PKCS12_PASSWORD)
    return _env(
        data,
        SOHOA_SIGNING_IDENTITY="pkcs12",
        SOHOA_PKCS12_FILE=str(test_pki.pkcs12_file(SIGNER)),
        SOHOA_PKCS12_PASSWORD_FILE=str(password),
        SOHOA_TSA_URL=test_pki.tsa_url,
        SOHOA_TRUST_ROOTS=json.dumps([str(test_pki.root_cert)]),
        **extra,
    )


def test_sign_default_level_with_tsa_is_lta_and_verify_json(tmp_path: Path, test_pki: TestPKI) -> None:
    env = _pki_env(tmp_path / "var", test_pki)
    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "signed.pdf"
    res = runner.invoke(app, ["sign", str(src), str(out), "--json"], env=env)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["level"] == "B-LTA"

    res = runner.invoke(app, ["verify", str(out), str(src), "--json"], env=env)
    assert res.exit_code == 1  # the unsigned input is in the batch
    report = json.loads(res.stdout)
    signed, unsigned = report["files"]
    assert unsigned["error"] == "no signature found" and not unsigned["passed"]
    (sig,) = signed["signatures"]
    for key in ("indication", "sub_indication", "signer", "signing_time", "level", "warnings"):
        assert key in sig
    assert sig["indication"] == "TOTAL_PASSED" and sig["level"] == "B-LTA"
    assert sig["revocation"]["status"] == "good" and sig["trust_anchor"]
    assert signed["passed"] and signed["warnings"] == []

    res = runner.invoke(app, ["verify", str(out)], env=env)
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT"])
def test_sign_level_option(level: str, tmp_path: Path, test_pki: TestPKI) -> None:
    env = _pki_env(tmp_path / "var", test_pki)
    out = tmp_path / "signed.pdf"
    res = runner.invoke(
        app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(out), "--level", level, "--json"], env=env
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["level"] == level
    # B-B and B-T hold no revocation answer: asked online (the test PKI), they pass; offline they are INDETERMINATE
    res = runner.invoke(
        app, ["verify", str(out), "--json", *(["--online"] if level in ("B-B", "B-T") else [])], env=env
    )
    assert json.loads(res.stdout)["files"][0]["signatures"][0]["level"] == level
    assert res.exit_code == 0, res.stdout


def test_seal_before_signer_is_a_usage_error(tmp_path: Path) -> None:
    """`--appearance seal` on a PDF with no signer's signature yet: how the command was used (exit 2), said in
    Vietnamese and English with the order rule; it was exit 3, English only, "--appearance signer first"."""
    from signing_images import make_seal

    env = _env(tmp_path / "var", SOHOA_SEAL_IMAGE=str(make_seal(tmp_path / "seal.png")))
    res = runner.invoke(
        app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(tmp_path / "o.pdf"), "--appearance", "seal"], env=env
    )
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "chưa có chữ ký của người ký" in text and "sign with --appearance signer first" in text
    assert "then sign that signed file with --appearance seal" in text and "decree30" in text
    assert not (tmp_path / "o.pdf").exists()


def test_the_seal_appearance_is_a_configuration_error_for_the_pipeline_before_any_ocr(tmp_path: Path) -> None:
    """QA: SOHOA_SIGNATURE_APPEARANCE=seal cannot work in a batch — the seal goes over a signer's signature already
    in the file, and the OCR stage drops an input's signatures — but `process` and `watch` found it only after each
    document's OCR: every one failed, exit 3, "signing failed, not because of the scan". Now a configuration error
    (exit 2) naming the setting, before anything is read; `sohoa sign` with the same setting on a PDF a signer has
    signed is the seal's use, and still signs."""
    from signing_images import make_seal, make_signature

    from tests.test_operations import TEXTS, make_scan

    data = tmp_path / "var"
    images = {
        "SOHOA_SEAL_IMAGE": str(make_seal(tmp_path / "seal.png")),
        "SOHOA_SIGNATURE_IMAGE": str(make_signature(tmp_path / "sig.png")),
    }
    env = _env(data, SOHOA_SIGNATURE_APPEARANCE="seal", SOHOA_OCR_SERVER="off", **images)
    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    scan = make_scan(inbox / "thông báo.png", TEXTS[0])
    for args in (["process", str(scan), "--no-prefect", "--json"], ["watch", str(inbox), "--once", "--json"]):
        res = runner.invoke(app, args, env=env)
        assert res.exit_code == 2, (args, res.output)
        said = json.loads(res.stdout)["error"]
        assert said.startswith("cấu hình sai / configuration error: SOHOA_SIGNATURE_APPEARANCE / signature_appearance")
        assert "bước OCR bỏ các chữ ký của tệp vào" in said and "the OCR stage drops an input's signatures" in said
        assert "'copy'" in said and "`sohoa sign`" in said  # the digitised copy's mark (QA78: it advised decree30)
    assert scan.is_file() and not (data / "claimed").exists() and not (data / "work").exists()
    assert not (data / "archive").exists() and not (data / "quarantine").exists()
    # any other batch (a library's process_many) is refused where it starts, before its first document
    from flows.pipeline import process_many
    from sohoa.errors import SettingsError
    from sohoa.settings import load_settings

    settings = load_settings(data_dir=data, signature_appearance="seal", seal_image=images["SOHOA_SEAL_IMAGE"])
    with pytest.raises(SettingsError, match="SOHOA_SIGNATURE_APPEARANCE / signature_appearance"):
        list(process_many([scan], settings))
    assert not (data / "work").exists()

    # the seal's use: a signer signs, then the body's clerk seals that signed file (the setting, no option)
    signed = tmp_path / "ký.pdf"
    first = ["sign", str(make_pdf(tmp_path / "in.pdf")), str(signed), "--appearance", "signer"]
    assert runner.invoke(app, first, env=env).exit_code == 0
    res = runner.invoke(app, ["sign", str(signed), str(tmp_path / "đóng dấu.pdf"), "--json"], env=env)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["field_name"] == "Signature2"


def test_sign_level_without_tsa_is_a_usage_error(tmp_path: Path) -> None:
    """How the command was used (exit 2), as the same level in SOHOA_SIGNATURE_LEVEL is a configuration error when
    the settings load; it was exit 3, a fault outside the input (QA64)."""
    res = runner.invoke(
        app,
        ["sign", str(make_pdf(tmp_path / "in.pdf")), str(tmp_path / "o.pdf"), "--level", "B-T"],
        env=_env(tmp_path / "var"),
    )
    assert res.exit_code == 2
    assert "tsa_url" in res.output


def test_verify_reports_text_and_html_bilingual(tmp_path: Path, test_pki: TestPKI) -> None:
    env = _pki_env(tmp_path / "var", test_pki)
    out = tmp_path / "signed.pdf"
    assert runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(out)], env=env).exit_code == 0
    res = runner.invoke(app, ["verify", str(out), "--text"], env=env)
    assert res.exit_code == 0
    for words in (
        "Kết quả / Indication",
        "Hợp lệ / TOTAL_PASSED",
        "Thời điểm ký / Signing time",
        "+07:00",
        "Gốc tin cậy / Trust anchor",
        "Tình trạng thu hồi / Revocation",
        "ĐẠT / PASSED",
    ):
        assert words in res.stdout, res.stdout
    html_file = tmp_path / "report" / "report.html"
    res = runner.invoke(app, ["verify", str(out), "--html", str(html_file)], env=env)
    assert res.exit_code == 0
    html = html_file.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    assert "Báo cáo kiểm tra chữ ký số" in html and "verification report" in html
    # self-contained: no external stylesheet, script or image
    assert "<link" not in html and "<script" not in html and "src=" not in html


def test_verify_html_report_is_never_written_over_a_pdf_an_archive_or_a_folder(tmp_path: Path) -> None:
    """Found by QA: `--html` wrote the report over whatever the path named — the PDF being verified, an archived
    document.pdf — with exit 0, and a folder or a path through a file gave a traceback. Each is now a usage error
    said before anything is verified, and nothing is written."""
    env = _env(tmp_path / "var")
    pdf = make_pdf(tmp_path / "in.pdf")
    archived = tmp_path / "var" / "archive" / "2025" / "QĐ" / "01--x" / "document.pdf"
    archived.parent.mkdir(parents=True)
    archived.write_bytes(pdf.read_bytes())
    notes = tmp_path / "notes.txt"
    notes.write_text("ghi chú của kiểm toán viên", encoding="utf-8")
    refused = {
        pdf: "is a file being verified",
        archived: "is inside the archive",
        archived.parent / "report.html": "is inside the archive",
        notes: "exists and is not an HTML report",
        tmp_path: "is a folder",
        notes / "report.html": "part of the path is a file",
    }
    for target, words in refused.items():
        before = {p: p.read_bytes() for p in (pdf, archived, notes)}
        res = runner.invoke(app, ["verify", str(pdf), "--html", str(target), "--json"], env=env)
        assert res.exit_code == 2, (target, res.output)
        assert words in json.loads(res.stdout)["error"], (target, res.stdout)
        assert "Traceback" not in res.output
        assert {p: p.read_bytes() for p in before} == before
        assert not (archived.parent / "report.html").exists()
    report = tmp_path / "report.html"  # an earlier report is replaced
    for _ in range(2):
        res = runner.invoke(app, ["verify", str(pdf), "--html", str(report)], env=env)
        assert res.exit_code == 1 and report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_verify_html_replaces_only_a_report_sohoa_wrote(tmp_path: Path) -> None:
    """QA66: `--html` replaced any file beginning ``<!DOCTYPE html>`` or ``<html`` (an auditor's own page of notes,
    exit 0), though the README says it never writes over a file that is not a report. A report carries sohoa's
    generator mark, and only such a file — or a report of an earlier version, by the opening those all had — is
    replaced; any other is a usage error naming it, in both languages, and is left as it was."""
    env = _env(tmp_path / "var")
    pdf = make_pdf(tmp_path / "in.pdf")
    notes = tmp_path / "page.html"
    for page in (
        "<!DOCTYPE html><html><head><title>notes</title></head><body>ghi chú của kiểm toán viên</body></html>\n",
        "<html><body>notes</body></html>\n",
        # the mark outside the head (a page quoting it) does not make a page a report
        "<!DOCTYPE html><html><head></head><body><meta name='generator' content='sohoa 0.1.0'></body></html>",
    ):
        notes.write_text(page, encoding="utf-8")
        res = runner.invoke(app, ["verify", str(pdf), "--html", str(notes), "--json"], env=env)
        assert res.exit_code == 2, res.output
        error = json.loads(res.stdout)["error"]
        assert str(notes) in error and "không phải báo cáo HTML do sohoa lập" in error, error
        assert "not an HTML report written by sohoa" in error and "choose another name" in error, error
        assert notes.read_text(encoding="utf-8") == page
    report = tmp_path / "report.html"
    assert runner.invoke(app, ["verify", str(pdf), "--html", str(report)], env=env).exit_code == 1
    page = report.read_text(encoding="utf-8")
    assert f"<meta name='generator' content='sohoa {__version__}'>" in page.split("</head>")[0], page[:300]
    # a report of the version before the mark: its opening, which every earlier report had, is recognised
    earlier = tmp_path / "earlier.html"
    earlier.write_text(
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>Báo cáo kiểm tra chữ ký số / Digital "
        "signature verification report</title><style></style></head><body></body></html>\n",
        encoding="utf-8",
    )
    for target in (report, earlier):
        assert runner.invoke(app, ["verify", str(pdf), "--html", str(target)], env=env).exit_code == 1
        assert "<meta name='generator' content='sohoa " in target.read_text(encoding="utf-8")


def _archive_signed(archive: Path, env: dict[str, str], *seeds: str) -> dict[str, Path]:
    """A real archive at ``archive``: one record per seed (storage_helpers' record), its document.pdf signed by
    `sohoa sign` (the development identity of ``env``), archived by the archive itself → seed: its document.pdf."""
    store = open_archive(archive)
    documents: dict[str, Path] = {}
    for n, seed in enumerate(seeds, 1):
        record, files = make_record(archive.parent / "work" / seed, seed, number=f"{n}/QĐ-UBND")
        signed = files["signed"][1]
        signed.unlink()
        made = runner.invoke(app, ["sign", str(make_pdf(signed.with_name("in.pdf"))), str(signed)], env=env)
        assert made.exit_code == 0, made.output
        archived = store.put(record, files)
        assert isinstance(store, LocalArchive)
        documents[seed] = store.path_of(archived, "document.pdf")
    return documents


def test_verify_archive_and_failed_file_exit_code(tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = _env(data)
    doc = _archive_signed(data / "archive", env, "x")["x"]
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 0, res.output
    assert [f["path"] for f in json.loads(res.stdout)["files"]] == [str(doc)]
    assert runner.invoke(app, ["verify", "--archive", "--at", "yesterday"], env=env).exit_code == 2
    # as of a date before the document was signed, the signer certificate was not yet valid
    past = runner.invoke(app, ["verify", "--archive", "--json", "--at", "2001-01-01T00:00:00+07:00"], env=env)
    assert past.exit_code == 1
    assert json.loads(past.stdout)["files"][0]["signatures"][0]["indication"] != "TOTAL_PASSED"
    # a day alone, as an auditor asks it, is its start in Vietnam time (QA78: refused, "give the time zone")
    for day in ("2001-01-01", "01/01/2001"):
        alone = runner.invoke(app, ["verify", "--archive", "--json", "--at", day], env=env)
        assert alone.exit_code == 1, alone.output
        assert json.loads(alone.stdout)["as_of"] == "2001-01-01T00:00:00+07:00", alone.stdout
    data_bytes = bytearray(doc.read_bytes())
    at = data_bytes.index(b"MARKER")
    data_bytes[at] ^= 1
    doc.write_bytes(bytes(data_bytes))
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 1
    (changed,) = json.loads(res.stdout)["files"]  # not the file archived: said so, and its bytes' verdict given
    assert "SHA-256 mismatch" in changed["error"] and changed["class"] == "failed", changed
    assert changed["signatures"][0]["sub_indication"] == "HASH_FAILURE", changed
    # pyHanko's `trusted` (false for changed bytes) kept; `trust_judged` says it did not judge the signer (QA66)
    assert changed["signatures"][0]["trusted"] is False and changed["signatures"][0]["trust_judged"] is False
    assert runner.invoke(app, ["verify"], env=env).exit_code == 2


def test_verify_archive_reports_name_the_archive_and_what_was_asked(tmp_path: Path) -> None:
    """QA65: the reports of `verify --archive` (text, HTML, JSON) named neither the archive nor what was asked for
    (the whole archive, a folder of it), and "Validated as of: bây giờ / now" gave no time to file."""
    data = tmp_path / "var"
    env = _env(data)
    archive = data / "archive"
    doc = _archive_signed(archive, env, "x")["x"]
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["scope"] == [
        {"kind": "archive", "archive": str(archive), "under": None, "files": None, "key": None}
    ], report
    text = runner.invoke(app, ["verify", "--archive-at", str(archive), "--text"], env=env).stdout
    assert f"Phạm vi / Scope: toàn bộ kho lưu trữ / the whole archive {archive}\n" in text, text
    # what of it was checked, and what is the audit's (QA74: "the whole archive", 7/7, filed beside a broken ledger)
    assert "Đã kiểm tra / Checked: chữ ký và mã SHA-256 của tệp document.pdf" in text, text
    assert "not the originals, record.json, the other files" in report["checked"], report
    assert "retention or legal holds: sohoa audit checks everything" in report["checked"], report  # QA79
    generated = next(line for line in text.splitlines() if line.startswith("Lập lúc / Generated at: "))
    when = generated.removeprefix("Lập lúc / Generated at: ")
    assert (
        f"Xác minh tại thời điểm / Validated as of: {when} (bây giờ, lúc lập báo cáo / now, when the report was made)"
    ) in text, text
    assert "bây giờ / now\n" not in text, text
    # a folder of the archive given: those records, of that archive
    part = doc.parent.parent.relative_to(archive).as_posix()
    html_file = tmp_path / "r.html"
    given = runner.invoke(app, ["verify", str(doc.parent.parent), "--html", str(html_file), "--json"], env=env)
    assert given.exit_code == 0, given.output
    assert json.loads(given.stdout)["scope"] == [
        {"kind": "archive_part", "archive": str(archive), "under": part, "files": None, "key": None}
    ]
    page = html_file.read_text(encoding="utf-8")
    assert f"các hồ sơ trong / the records under {part} (kho / archive {archive})" in page, page
    pdf = make_pdf(tmp_path / "plain.pdf")
    files = runner.invoke(app, ["verify", str(pdf), "--json"], env=env)
    assert json.loads(files.stdout)["scope"] == [
        {"kind": "files", "archive": None, "under": None, "files": 1, "key": None}
    ]


def test_verify_names_an_archived_file_given_as_a_file_not_a_folder(tmp_path: Path) -> None:
    """QA66: `sohoa verify ARCHIVE/2025/…/document.pdf` said "Phạm vi / Scope: các hồ sơ trong / the records under
    2025/…/document.pdf", JSON `archive_part` with that file as `under`: a file named as a folder of records. It is
    the archived file, `kind: archive_file` by its `key` (`under` null), said so in the text and the HTML."""
    data = tmp_path / "var"
    env = _env(data)
    archive = data / "archive"
    doc = _archive_signed(archive, env, "x")["x"]
    key = doc.relative_to(archive).as_posix()
    html_file = tmp_path / "r.html"
    given = runner.invoke(app, ["verify", str(doc), "--html", str(html_file), "--json"], env=env)
    assert given.exit_code == 0, given.output
    assert json.loads(given.stdout)["scope"] == [
        {"kind": "archive_file", "archive": str(archive), "under": None, "files": None, "key": key}
    ]
    words = f"tệp đã lưu trữ / the archived file {key} (kho / archive {archive})"
    assert words in html_file.read_text(encoding="utf-8")
    text = runner.invoke(app, ["verify", str(doc), "--text"], env=env).stdout
    assert f"Phạm vi / Scope: {words}\n" in text and "the records under" not in text, text


def test_verify_archive_checks_each_file_against_its_record(tmp_path: Path) -> None:
    """Found by QA: `verify --archive` on a local archive globbed */document.pdf and never looked at the records
    (the S3 path did): another record's file copied over one passed 3/3, exit 0 (`sohoa audit` said DRIFT); a
    deleted file was left out ("2/2 passed"); a planted record-shaped folder counted as a record; appended bytes
    and a garbage record.json passed. Each is now a failed entry saying why, in both languages (exit 1)."""
    data = tmp_path / "var"
    env = _env(data)
    archive = data / "archive"
    docs = _archive_signed(archive, env, "a", "b", "c", "d")
    intact = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert intact.exit_code == 0, intact.output
    assert sorted(f["path"] for f in json.loads(intact.stdout)["files"]) == sorted(str(p) for p in docs.values())

    docs["a"].write_bytes(docs["b"].read_bytes())  # a valid signed PDF, not record a's
    docs["c"].unlink()
    planted = archive / "2025" / "QĐ" / "99-QĐ-UBND--00000000deadbeef" / "document.pdf"
    planted.parent.mkdir()
    planted.write_bytes(docs["b"].read_bytes())
    (docs["d"].parent / "record.json").write_text("garbage\n", encoding="utf-8")
    res = runner.invoke(app, ["verify", "--archive-at", str(archive), "--json"], env=env)
    assert res.exit_code == 1, res.output
    files = {f["path"]: f for f in json.loads(res.stdout)["files"]}
    assert sorted(files) == sorted([*(str(p) for p in docs.values()), str(planted)])
    assert files[str(docs["b"])]["passed"]
    expected = {
        docs["a"]: ("SHA-256 mismatch — not the file archived", "không khớp mã SHA-256 đã ghi khi lưu trữ"),
        docs["c"]: ("document.pdf is missing from the archive", "bị thiếu trong kho"),
        planted: ("part of no archived record", "không thuộc hồ sơ nào đã lưu trữ"),
        docs["d"]: ("its record.json is unreadable", "record.json không đọc được"),
    }
    for path, (english, vietnamese) in expected.items():
        entry = files[str(path)]
        # the file copied over a's is verified too (QA58): a good signature, of another record's file
        assert not entry["passed"] and bool(entry["signatures"]) == (path == docs["a"]), entry
        assert english in entry["error"] and vietnamese in entry["error_vi"], entry
    text = " ".join(runner.invoke(app, ["verify", "--archive"], env=env).output.split())
    assert "Total: 1/5 tệp đạt / files passed" in text, text
    assert "không thuộc hồ sơ nào đã lưu trữ (chỉ mục không có thư mục này)" in text


def test_verify_archive_reads_the_trust_roots_once_and_hashes_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trust roots were read (and made into pyHanko trust anchors) again for every file, and each archived file
    was hashed twice — against its record, then again for the report: per-file costs an auditor paid for nothing
    (a trust store of 150 CA certificates cost ~0.15 s per file). Now once per run, and once per file."""
    import flows.commands_signing
    import signing.report
    import signing.verify

    data = tmp_path / "var"
    env = _env(data)
    docs = _archive_signed(data / "archive", env, "a", "b", "c")
    from tests.conftest import spy_on_trust_root_reads

    reads = spy_on_trust_root_reads(monkeypatch, signing.report)  # signing.report imported it by name
    digests: list[Path] = []
    monkeypatch.setattr(flows.commands_signing, "_digest", lambda path: digests.append(path) or (None, None))
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 0, res.output
    files = json.loads(res.stdout)["files"]
    assert len(files) == 3 and all(f["passed"] for f in files), files
    # one reading for the report's list of trust anchors, one for the verifications of all three files
    assert len(reads) == 2, reads
    assert digests == []  # the SHA-256 the bytes were checked against, the record's, is the one reported
    for entry in files:
        content = Path(entry["path"]).read_bytes()
        assert (entry["sha256"], entry["size"]) == (hashlib.sha256(content).hexdigest(), len(content))
    assert sorted(f["path"] for f in files) == sorted(str(p) for p in docs.values())


def test_verify_archive_trusts_no_record_json_rewritten_to_match(tmp_path: Path) -> None:
    """A record.json rewritten to hold the SHA-256 of a file put in place of the archived one (appended bytes here)
    is no authority: its "archived" ledger entry holds the record.json's own SHA-256."""
    data = tmp_path / "var"
    env = _env(data)
    doc = _archive_signed(data / "archive", env, "a")["a"]
    doc.write_bytes(doc.read_bytes() + b"\n% junk\n")
    sidecar = doc.parent / "record.json"
    record = Record.model_validate_json(sidecar.read_bytes())
    for stored in record.objects:
        if stored.role == "signed":
            stored.sha256, stored.size = hashlib.sha256(doc.read_bytes()).hexdigest(), doc.stat().st_size
    sidecar.write_text(record.model_dump_json(), encoding="utf-8")
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 1, res.output
    (entry,) = json.loads(res.stdout)["files"]
    # the archive's own words are the detail (QA58: as the English half they put Vietnamese and get's "nothing
    # handed out" into it)
    assert "record.json, or the ledger entry that recorded its archiving, was changed" in entry["error"], entry
    assert "record.json changed since it was archived" in entry["error_detail"], entry
    assert "mục sổ nhật ký ghi việc lưu trữ đã bị sửa hoặc mất" in entry["error_vi"], entry


def test_verify_archive_counts_a_record_that_cannot_be_read_as_failed(tmp_path: Path) -> None:
    """QA: a record whose record.json is not JSON, or JSON that is no record, or whose index entry is not one
    (``DamagedRecord``) was an entry of class `error`, "no verdict": for an auditor the archive is then not intact,
    a verdict — class `failed`, the reason in both languages, exit 1; the JSON keys as they were, one added."""
    data = tmp_path / "var"
    env = _env(data)
    archive = data / "archive"
    docs = _archive_signed(archive, env, "a", "b", "c", "d")
    (docs["b"].parent / "record.json").write_text("garbage\n", encoding="utf-8")
    (docs["c"].parent / "record.json").write_text('{"id": "not a record"}\n', encoding="utf-8")
    record_d = Record.model_validate_json((docs["d"].parent / "record.json").read_bytes())
    index_entry = archive / ".by-sha256" / f"{record_d.source.sha256}.json"
    index_entry.write_text("[]\n", encoding="utf-8")
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 1, res.output  # a failed verification
    report = json.loads(res.stdout)
    # record d's document.pdf is then in a folder no index entry names: said as such, an entry of its own
    assert report["counts"] == {"total": 5, "passed": 1, "failed": 3, "indeterminate": 0, "error": 1}, report
    files = {f["path"]: f for f in report["files"]}
    expected = {
        str(docs["b"]): ("its record.json is unreadable (not JSON", "record.json không đọc được"),
        str(docs["c"]): ("its record.json is unreadable (", "record.json không đọc được"),
        str(index_entry): (f"its index entry .by-sha256/{record_d.source.sha256}.json is unreadable", "mục chỉ mục"),
    }
    for path, (english, vietnamese) in expected.items():
        entry = files[path]
        assert entry["class"] == "failed" and entry["damaged_record"] is True and not entry["passed"], entry
        assert english in entry["error"] and vietnamese in entry["error_vi"], entry
    assert files[str(docs["a"])]["class"] == "passed" and files[str(docs["a"])]["damaged_record"] is False
    assert "part of no archived record" in files[str(docs["d"])]["error"]
    text_run = runner.invoke(app, ["verify", "--archive", "--text"], env=env)
    assert text_run.exit_code == 1
    text = " ".join(text_run.output.split())
    assert f"{docs['b']}: KHÔNG ĐẠT / NOT PASSED — không đạt / failed" in text, text
    assert "lý do không đạt / why it failed: hồ sơ " in text and "/ record " in text, text
    assert "không đạt / failed 3; chưa xác định được / indeterminate 0;" in text, text
    assert "lỗi, không có kết quả / error, no verdict 1" in text, text
    html_file = tmp_path / "report.html"
    assert runner.invoke(app, ["verify", "--archive", "--html", str(html_file)], env=env).exit_code == 1
    html = html_file.read_text(encoding="utf-8")
    assert html.count("<p class='bad'>Lý do không đạt / Why it failed: ") == 3, html
    assert html.count("<p class='bad'>Lỗi / Error: ") == 1, html


def test_verify_archive_counts_a_deleted_record_json_or_a_changed_file_as_failed(tmp_path: Path) -> None:
    """QA: a deleted record.json, or a signed file changed since archiving, was class `error` ("no verdict") while
    an unreadable record.json was `failed`: each means the archive's own record of the file does not hold — the
    archive is not intact, a verdict. A document.pdf no record names stays `error`."""
    data = tmp_path / "var"
    env = _env(data)
    docs = _archive_signed(data / "archive", env, "a", "b", "c")
    (docs["b"].parent / "record.json").unlink()
    with docs["c"].open("ab") as changed:
        changed.write(b"%% appended\n")
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    files = {f["path"]: f for f in report["files"]}
    for name, said in (("b", "record.json is missing"), ("c", "SHA-256 mismatch")):
        entry = files[str(docs[name])]
        assert entry["class"] == "failed" and entry["damaged_record"] is True, entry
        assert said in entry["error"], entry
    assert report["counts"] == {"total": 3, "passed": 1, "failed": 2, "indeterminate": 0, "error": 0}, report


def test_verify_archive_holds_the_archive_against_the_ledger(tmp_path: Path) -> None:
    """QA65: a record removed whole (its folder and its index entry) left `verify --archive` at "2/2 files passed",
    exit 0 — it went by the index alone — while `sohoa audit` and `ledger verify` named it. The ledger's archived
    records not disposed of are held against the archive (one pass over the ledger): a failed entry under the
    record's document.pdf. And a record whose folder is gone whole (its index entry kept) was said to have lost its
    record.json: its folder is said to be gone."""
    data = tmp_path / "var"
    env = _env(data)
    archive = data / "archive"
    docs = _archive_signed(archive, env, "a", "b", "c")
    removed = Record.model_validate_json((docs["b"].parent / "record.json").read_bytes())
    shutil.rmtree(docs["b"].parent)
    (archive / ".by-sha256" / f"{removed.source.sha256}.json").unlink()
    shutil.rmtree(docs["c"].parent)
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    assert report["counts"] == {"total": 3, "passed": 1, "failed": 2, "indeterminate": 0, "error": 0}, report
    files = {f["path"]: f for f in report["files"]}
    gone = files[str(docs["b"])]
    assert gone["class"] == "failed" and gone["damaged_record"] is True, gone
    assert f"record {removed.id}: archived (ledger entry " in gone["error"], gone
    assert "but no longer in the archive" in gone["error"] and "không còn trong kho" in gone["error_vi"], gone
    folder = files[str(docs["c"])]
    assert folder["class"] == "failed" and "its folder is gone" in folder["error"], folder
    assert "record.json is missing" not in folder["error"] and "thư mục của hồ sơ đã mất" in folder["error_vi"]
    # a path inside the archive is only the records there: the record removed whole is the whole archive's to name
    inside = runner.invoke(app, ["verify", str(docs["a"].parent), "--json"], env=env)
    assert inside.exit_code == 0 and len(json.loads(inside.stdout)["files"]) == 1, inside.output


def test_verify_archive_at_an_empty_folder_is_no_archive(tmp_path: Path) -> None:
    """QA: `--archive-at` an existing empty folder said "nothing to verify: the archive holds no signed
    document.pdf", English only, where README says it is refused as `sohoa list` refuses a location where nothing
    was archived. And `verify --help` listed exit codes 0–2, not 3 (the archive cannot be read)."""
    env = _env(tmp_path / "var")
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(app, ["verify", "--archive-at", str(empty)], env=env)
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert f"không có kho lưu trữ tại {empty}; không có sổ nhật ký, chỉ mục hay hồ sơ nào ở đó" in text, text
    assert f"no archive at {empty}; no ledger, index or record there" in text, text
    helped = " ".join(runner.invoke(app, ["verify", "--help"], env=env).output.split())
    assert "3 the archive cannot be read" in helped, helped


def test_verify_archive_that_cannot_be_read_is_exit_3(tmp_path: Path) -> None:
    """The archive failing under the check (here its ledger folder replaced by a file, so no record.json can be
    held against its "archived" entry) is the machine's fault, exit 3 as `verify --help` says — not a pass (the
    glob over */document.pdf never read the ledger) nor a traceback."""
    data = tmp_path / "var"
    env = _env(data)
    _archive_signed(data / "archive", env, "a")
    ledger = data / "archive" / ".ledger"
    shutil.rmtree(ledger)
    ledger.write_text("not a folder\n", encoding="utf-8")
    res = runner.invoke(app, ["verify", "--archive"], env=env)
    text = " ".join(res.output.split())
    assert res.exit_code == 3, res.output
    # the ledger is read first now (the archive is held against it): its folder named as a file (QA65)
    assert "không đọc được kho lưu trữ / the archive cannot be read: " in text, text
    assert ".ledger: là một tệp, không phải thư mục / is a file, not a folder" in text, text


def test_verify_takes_folders_and_an_archive_location(tmp_path: Path) -> None:
    """A folder argument is the PDFs inside it (it was read as one PDF: "cannot read the file: Is a directory",
    a failed file); `--archive-at LOCATION` verifies another archive than SOHOA_ARCHIVE; `verify --archive
    s3://…` (the form other commands take) says to use --archive-at instead of "s3:/…: no such file"."""
    data = tmp_path / "var"
    env = _env(data)
    folder_of_pdfs = tmp_path / "hoso" / "2025"
    doc = folder_of_pdfs / "01" / "document.pdf"
    doc.parent.mkdir(parents=True)
    assert runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(doc)], env=env).exit_code == 0
    (doc.parent / "notes.txt").write_text("not a PDF")
    # a PDF named without its suffix is one (QA74: it was skipped without a word, as were the others)
    unnamed = doc.parent / "quyết định ký số"
    unnamed.write_bytes(doc.read_bytes())
    folder = runner.invoke(app, ["verify", str(folder_of_pdfs), "--json"], env=env)
    assert folder.exit_code == 0, folder.output
    assert [f["path"] for f in json.loads(folder.stdout)["files"]] == [str(doc), str(unnamed)]
    said = " ".join(folder.stderr.split())
    assert f"{folder_of_pdfs}: bỏ qua 1 tệp không phải PDF / skipped 1 file(s) that are no PDF (.txt)" in said, said
    # a record's unsigned scan beside its signed document.pdf (a bag's data/<id>/) is no file to fail (QA99 F7)
    shutil.copyfile(make_pdf(tmp_path / "scan.pdf"), doc.parent / "original.pdf")
    bag_like = runner.invoke(app, ["verify", str(folder_of_pdfs), "--json"], env=env)
    assert bag_like.exit_code == 0, bag_like.output
    assert [f["path"] for f in json.loads(bag_like.stdout)["files"]] == [str(doc), str(unnamed)]
    said = " ".join(bag_like.stderr.split())
    assert "skipped 1 unsigned original scan(s) (original.*) beside their signed document.pdf" in said, said
    # --at a day before the signer's certificate was issued (the dev identity's: today): the signature did not
    # exist then — NO_POE, not the certificate's "chain failure" (QA100: `--at` the signing day said that)
    day_before = (datetime.now(UTC) - timedelta(days=2)).strftime("%d/%m/%Y")
    before = runner.invoke(app, ["verify", str(doc), "--at", day_before, "--json"], env=env)
    (said_before,) = json.loads(before.stdout)["files"][0]["signatures"]
    assert before.exit_code == 1 and said_before["sub_indication"] == "NO_POE", said_before
    # an original that carries a signature (a signed PDF received) is verified, not skipped as unsigned (QA100)
    tampered = bytearray(doc.read_bytes())
    tampered[-400] ^= 1  # in the signed range, after the signature's /Contents
    (doc.parent / "original.pdf").write_bytes(bytes(tampered))
    signed_original = runner.invoke(app, ["verify", str(folder_of_pdfs), "--json"], env=env)
    assert signed_original.exit_code == 1, signed_original.output
    paths = [f["path"] for f in json.loads(signed_original.stdout)["files"]]
    assert str(doc.parent / "original.pdf") in paths and "unsigned original" not in signed_original.stderr, paths
    archive = tmp_path / "other-archive"
    archived = _archive_signed(archive, env, "x")["x"]
    at = runner.invoke(app, ["verify", "--archive-at", str(archive), "--json"], env=env)
    assert at.exit_code == 0, at.output
    assert [f["path"] for f in json.loads(at.stdout)["files"]] == [str(archived)]
    nowhere = runner.invoke(app, ["verify", "--archive-at", str(tmp_path / "archiv")], env=env)
    assert nowhere.exit_code == 2 and "no archive at" in nowhere.output
    empty = tmp_path / "empty"
    empty.mkdir()
    none = runner.invoke(app, ["verify", str(empty)], env=env)
    assert none.exit_code == 2 and "no PDF in this folder" in " ".join(none.output.split())
    url = runner.invoke(app, ["verify", "--archive", "s3://sohoa/xa"], env=env)
    assert url.exit_code == 2 and "use --archive-at s3://sohoa/xa" in " ".join(url.output.split()), url.output


@pytest.mark.skipif(not VN_ANCHORS.is_dir(), reason=f"{VN_ANCHORS} not present")
def test_verifying_generates_no_signing_key(tmp_path: Path) -> None:
    # an auditor's check in a fresh data folder used to generate (and leave) a development private key there
    signer_env = _env(tmp_path / "signer")
    signed = tmp_path / "signed.pdf"
    assert runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(signed)], env=signer_env).exit_code == 0
    auditor = tmp_path / "auditor"
    res = runner.invoke(app, ["verify", str(signed), "--json"], env=_env(auditor))
    assert res.exit_code == 1  # signed by another office's development CA: not trusted here
    assert not (auditor / "keys").exists()
    listed = runner.invoke(app, ["keys", "list", "--json"], env=_env(auditor))  # looking creates nothing either
    assert listed.exit_code == 0 and "not created yet" in json.loads(listed.stdout)["description"]
    assert not (auditor / "keys").exists()
    assert runner.invoke(app, ["verify", str(signed)], env=signer_env).exit_code == 0  # trusted where it was made
    # an auditor with a development identity of their own (same CA name, other key): untrusted, and no anchor named
    own = runner.invoke(app, ["sign", str(tmp_path / "in.pdf"), str(tmp_path / "own.pdf")], env=_env(auditor))
    assert own.exit_code == 0, own.output
    res = runner.invoke(app, ["verify", str(signed), "--json"], env=_env(auditor))
    assert res.exit_code == 1
    verdict = json.loads(res.stdout)["files"][0]["signatures"][0]
    assert (verdict["trusted"], verdict["trust_anchor"]) == (False, None), verdict


@pytest.mark.skipif(not VN_ANCHORS.is_dir(), reason=f"{VN_ANCHORS} not present")
def test_install_vn_trust_store_and_keys_list(tmp_path: Path) -> None:
    env = _env(tmp_path / "var")
    res = runner.invoke(app, ["keys", "install-trust-store", "vn", str(VN_ANCHORS)], env=env)
    assert res.exit_code == 0, res.output
    # installing does not make the store trusted: the command says how it is used
    assert "--trust-store vn" in res.output and "SOHOA_TRUST_STORES" in res.output
    res = runner.invoke(app, ["keys", "list", "--json"], env=env)
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["usable"] and info["development"] and info["level"] == "B-B"
    subjects = " ".join(c["subject"] for c in info["trust_stores"]["vn"])
    assert "RootCA chuyên dùng Chính phủ G2" in subjects and "Vietnam National Root CA" in subjects
    unknown = runner.invoke(app, ["verify", str(tmp_path / "x.pdf"), "--trust-store", "nope"], env=env)
    assert unknown.exit_code == 2 and "nope" in unknown.output
    # installed again from a source with one root: the store is that root only (QA: the three others stayed
    # trusted while the command said "1 certificate file(s)")
    res = runner.invoke(app, ["keys", "install-trust-store", "vn", str(VN_ANCHORS / "cpcag2.crt")], env=env)
    assert res.exit_code == 0 and "1 certificate file(s)" in res.output, res.output
    store = tmp_path / "var" / "trust"
    assert sorted(p.name for p in (store / "vn").iterdir()) == ["cpcag2.crt"]
    assert [p.name for p in store.iterdir()] == ["vn"]  # no staging or old copy left beside it
    info = json.loads(runner.invoke(app, ["keys", "list", "--json"], env=env).stdout)
    assert len(info["trust_stores"]["vn"]) == 1


def test_keys_list_reports_unusable_identity(tmp_path: Path) -> None:
    env = _env(tmp_path / "var", SOHOA_SIGNING_IDENTITY="pkcs12", SOHOA_PKCS12_FILE=str(tmp_path / "missing.p12"))
    res = runner.invoke(app, ["keys", "list", "--json"], env=env)
    assert res.exit_code == 3
    info = json.loads(res.stdout)
    assert not info["usable"] and "missing.p12" in info["problem"]


def test_real_entry_point_exit_codes(tmp_path: Path) -> None:
    """The installed `sohoa` script (not the in-process runner): exit codes and no traceback."""
    sohoa = Path(sys.executable).with_name("sohoa")
    env = {**os.environ, **_env(tmp_path / "var")}
    src = make_pdf(tmp_path / "in.pdf")
    proc = subprocess.run([str(sohoa), "verify", str(src)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1 and "no signature found" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_sign_with_decree30_appearance_from_settings(tmp_path: Path, test_pki: TestPKI) -> None:
    import pikepdf
    from signing_images import make_seal, make_signature

    env = _pki_env(
        tmp_path / "var",
        test_pki,
        SOHOA_SEAL_IMAGE=str(make_seal(tmp_path / "seal.png")),
        SOHOA_SIGNATURE_IMAGE=str(make_signature(tmp_path / "sig.png")),
    )
    out = tmp_path / "signed.pdf"
    src = make_pdf(tmp_path / "in.pdf")
    res = runner.invoke(app, ["sign", str(src), str(out), "--level", "B-T", "--appearance", "decree30"], env=env)
    assert res.exit_code == 0, res.output
    with pikepdf.open(out) as pdf:
        widgets = [a for a in pdf.pages[-1].Annots if a.get("/FT") == "/Sig"]
        assert widgets and float(widgets[0].Rect[2]) - float(widgets[0].Rect[0]) > 100  # visible
    assert runner.invoke(app, ["verify", str(out), "--online"], env=env).exit_code == 0
    bad = runner.invoke(app, ["sign", str(src), str(out), "--appearance", "fancy"], env=env)
    assert bad.exit_code == 2 and "fancy" in bad.output  # a mistyped option: usage, not the machine


def test_unreachable_tsa_is_a_fault_outside_the_input(tmp_path: Path, test_pki: TestPKI) -> None:
    from signing_pki import free_port

    env = _pki_env(tmp_path / "var", test_pki)
    url = f"http://127.0.0.1:{free_port()}/tsa"
    env["SOHOA_TSA_URL"] = url
    out = tmp_path / "o.pdf"
    res = runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(out), "--level", "B-T"], env=env)
    assert res.exit_code == 3, res.output
    text = " ".join(res.output.split())  # the console wraps long lines
    assert "in.pdf" in text and f"the timestamping authority at {url} could not be reached" in text, text
    assert not out.exists()


def test_a_tsa_answering_no_timestamp_is_a_fault_outside_the_input(
    tmp_path: Path, test_pki: TestPKI, broken_service_url: str
) -> None:
    env = _pki_env(tmp_path / "var", test_pki)
    env["SOHOA_TSA_URL"] = broken_service_url + "/html"
    out = tmp_path / "o.pdf"
    res = runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(out), "--level", "B-T"], env=env)
    assert res.exit_code == 3, res.output  # the service's fault, not the PDF's: exit 3, try again later
    text = " ".join(res.output.split())
    assert f"the timestamping authority at {broken_service_url}/html did not return a timestamp (HTTP status 200" in (
        text
    ), text
    assert not out.exists()


def test_verify_says_how_to_verify_an_archive_given_as_a_folder(tmp_path: Path) -> None:
    # found by QA: an archive folder given as a folder had each record's unsigned original.pdf counted as a failed
    # file; --archive with --archive-at was taken too
    env = _env(tmp_path / "var")
    archive = tmp_path / "var" / "archive"
    (archive / ".by-sha256").mkdir(parents=True)
    (archive / "2025" / "QĐ" / "01--x").mkdir(parents=True)
    make_pdf(archive / "2025" / "QĐ" / "01--x" / "original.pdf")
    as_folder = runner.invoke(app, ["verify", str(archive)], env=env)
    assert as_folder.exit_code == 2 and f"--archive-at {archive}" in " ".join(as_folder.output.split())
    both = runner.invoke(app, ["verify", "--archive", "--archive-at", str(archive)], env=env)
    assert both.exit_code == 2 and "not both" in both.output


def test_a_missing_pkcs12_password_file_is_a_signing_configuration_error(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA: `keys list` and `sign` printed a traceback ending in FileNotFoundError; `process` OCRed the scan, then
    reported the scan as "moved or deleted". Now: the setting and the path named, exit 3, before any OCR."""
    from test_bad_input import small_scan_png

    data = tmp_path / "var"
    nope = tmp_path / "p12" / "nope"
    env = {**_pki_env(data, test_pki), "SOHOA_PKCS12_PASSWORD_FILE": str(nope)}
    listed = runner.invoke(app, ["keys", "list"], env=env)
    signed = runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(tmp_path / "out.pdf")], env=env)
    (tmp_path / "in1").mkdir()
    scan = small_scan_png(tmp_path / "in1" / "cv-118.png", "CÔNG VĂN Số: 118/UBND-VP")
    processed = runner.invoke(app, ["process", "--no-prefect", str(scan)], env=env)
    for result in (listed, signed, processed):
        said = " ".join(result.output.split())  # Rich wraps long lines
        assert result.exit_code == 3, result.output
        assert "SOHOA_PKCS12_PASSWORD_FILE" in said and str(nope) in said and "No such file or directory" in said
        assert "Traceback" not in result.output and "không tìm thấy tệp" not in said
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert scan.exists() and not (data / "archive").exists()
    assert not (data / "quarantine").exists() or not any((data / "quarantine").iterdir())


def test_a_revoked_signing_certificate_is_refused_before_any_work(tmp_path: Path, test_pki: TestPKI) -> None:
    """Below B-LT nothing asked whether the signer's certificate was revoked: `sign --level B-T` and a batch signed
    with a revoked certificate, exit 0 — each file then failing `verify --online` as REVOKED. Now its CA's OCSP/CRL
    services are asked before anything is signed (and before any OCR): refused, exit 3, in both languages."""
    from signing_pki import SIGNER_REVOKED
    from test_bad_input import small_scan_png

    data = tmp_path / "var"
    env = {
        **_pki_env(data, test_pki),
        "SOHOA_PKCS12_FILE": str(test_pki.pkcs12_file(SIGNER_REVOKED)),
        "SOHOA_SIGNATURE_LEVEL": "B-T",
    }
    src = make_pdf(tmp_path / "in.pdf")
    signed = runner.invoke(app, ["sign", str(src), str(tmp_path / "out.pdf")], env=env)
    (tmp_path / "in1").mkdir()
    scan = small_scan_png(tmp_path / "in1" / "cv-118.png", "CÔNG VĂN Số: 118/UBND-VP")
    processed = runner.invoke(app, ["process", "--no-prefect", str(scan)], env=env)
    listed = runner.invoke(app, ["keys", "list", "--json"], env=env)
    for result in (signed, processed, listed):
        said = " ".join(result.output.split())  # Rich wraps long lines
        assert result.exit_code == 3, result.output
        assert "chứng thư số ký 'Trần Thị Thu Hồi' đã bị thu hồi lúc" in said, said
        assert "(lý do: khóa bị lộ)" in said and "(reason: key compromise)" in said, said
        assert "Traceback" not in result.output
    assert "nothing was signed" in " ".join(signed.output.split())
    assert not (tmp_path / "out.pdf").exists()
    assert scan.exists() and not (data / "archive").exists()
    assert not (data / "quarantine").exists() or not any((data / "quarantine").iterdir())
    info = json.loads(listed.stdout)
    assert info["usable"] is False and info["revocation"]["status"] == "revoked"
    assert info["revocation"]["reason"] == "key_compromise" and info["revocation"]["revoked_at"]

    # the check can be turned off (an office without network access to its CA): B-T signs as before
    off = runner.invoke(
        app, ["sign", str(src), str(tmp_path / "out.pdf")], env={**env, "SOHOA_CHECK_SIGNER_REVOCATION": "false"}
    )
    assert off.exit_code == 0, off.output
    assert (tmp_path / "out.pdf").exists()


def test_a_certificate_whose_key_usage_allows_no_document_signature_is_refused_before_any_work(
    tmp_path: Path, test_pki: TestPKI
) -> None:
    """QA78: a signing certificate with key usage "key encipherment" only (no non-repudiation, which verification
    asks of a signer) was "usable" to `keys list`; `sign --level B-T` made signatures that then failed; at B-LTA
    `sign` stopped with an internal error and a crash report; a batch quarantined every scan ("processing failed
    (InvalidCertificateError …)", tracebacks in the log), blaming the scans for the identity. It is refused when
    the identity loads, as an expired certificate is: exit 3, in both languages, before any OCR, nothing moved."""
    from signing_pki import SIGNER_NO_KU
    from test_bad_input import small_scan_png

    data = tmp_path / "var"
    env = {**_pki_env(data, test_pki), "SOHOA_PKCS12_FILE": str(test_pki.pkcs12_file(SIGNER_NO_KU))}
    src = make_pdf(tmp_path / "in.pdf")
    (tmp_path / "in1").mkdir()
    scan = small_scan_png(tmp_path / "in1" / "cv-118.png", "CÔNG VĂN Số: 118/UBND-VP")
    results = [
        runner.invoke(app, ["sign", str(src), str(tmp_path / "out.pdf"), "--level", level], env=env)
        for level in ("B-T", "B-LTA")
    ]
    results.append(runner.invoke(app, ["process", "--no-prefect", str(scan)], env=env))
    listed = runner.invoke(app, ["keys", "list", "--json"], env=env)
    for result in (*results, listed):
        said = " ".join(result.output.split())
        assert result.exit_code == 3, result.output
        assert "mục đích sử dụng khóa của chứng thư số ký (key encipherment) không cho phép ký tài liệu" in said, said
        assert "does not allow signing documents (non repudiation needed)" in said, said
        assert "Traceback" not in result.output and "internal error" not in said
    assert not (tmp_path / "out.pdf").exists()
    assert scan.exists() and not (data / "archive").exists()
    assert not (data / "quarantine").exists() or not any((data / "quarantine").iterdir())
    assert json.loads(listed.stdout)["usable"] is False


def test_a_signature_by_a_certificate_whose_key_usage_allows_no_document_signature_says_so_in_words(
    tmp_path: Path, test_pki: TestPKI
) -> None:
    """QA78 L1: another office's file signed (by pyHanko, which lets it) with a certificate whose key usage is key
    encipherment only was reported only as "certificate problem: CHAIN_CONSTRAINTS_FAILURE": the constraint broken is
    said, in both languages, in the text report and the JSON."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from signing_pki import SIGNER_NO_KU

    signer = signers.SimpleSigner.load_pkcs12(str(test_pki.pkcs12_file(SIGNER_NO_KU)), passphrase=PKCS12_PASSWORD)
    assert signer is not None
    signed = tmp_path / "của xã khác.pdf"
    with make_pdf(tmp_path / "in.pdf").open("rb") as source, signed.open("wb") as output:
        signers.sign_pdf(
            IncrementalPdfFileWriter(source),
            signers.PdfSignatureMetadata(field_name="Sig1"),
            signer=signer,
            output=output,
        )
    trust = ["--trust", str(test_pki.root_cert)]
    text = runner.invoke(app, ["verify", str(signed), *trust])
    said = " ".join(text.stdout.split())
    assert text.exit_code == 1, text.output
    assert (
        "mục đích sử dụng khóa của chứng thư người ký (key encipherment) không cho phép ký tài liệu (cần non "
        "repudiation)" in said
    ), said
    assert "the signer's certificate's key usage (key encipherment) does not allow signing documents" in said, said
    as_json = runner.invoke(app, ["verify", str(signed), *trust, "--json"])
    (sig,) = json.loads(as_json.stdout)["files"][0]["signatures"]
    assert sig["sub_indication"] == "CHAIN_CONSTRAINTS_FAILURE", sig
    assert any("does not allow signing documents (non repudiation needed)" in w for w in sig["warnings"]), sig


def test_a_record_whose_signature_fails_its_own_check_says_why_aloud(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA78: signed by an identity whose chain reaches no configured trust root, every record of a B-B/B-T batch
    was archived with "needs review" and nothing in the log or the table saying its signature had failed its own
    check; the reason now says so, with the verdict, in the log (a warning) and in both languages."""
    from test_bad_input import small_scan_png

    data = tmp_path / "var"
    env = {
        **_pki_env(data, test_pki),
        "SOHOA_SIGNATURE_LEVEL": "B-B",
        "SOHOA_TSA_URL": "",
        "SOHOA_TRUST_ROOTS": "[]",  # the test root is not trusted: the signer's chain reaches none
        "SOHOA_CHECK_SIGNER_REVOCATION": "false",
    }
    (tmp_path / "in").mkdir()
    scan = small_scan_png(tmp_path / "in" / "cv-118.png", "CÔNG VĂN Số: 118/UBND-VP")
    done = runner.invoke(app, ["process", "--no-prefect", "--json", str(scan)], env=env)
    (file,) = json.loads(done.stdout)["files"]
    assert file["outcome"] == "archived" and file["needs_review"] is True, file
    reason = "signature did not verify right after signing: INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND"
    assert reason in file["review_reasons"], file
    said = " ".join(done.output.split())
    assert (
        "chữ ký không kiểm tra đạt ngay sau khi ký: INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND (chưa xác định được; "
        "không có chuỗi chứng thư đến gốc tin cậy — cấu hình SOHOA_TRUST_ROOTS với gốc của CA cấp chứng thư ký) / "
        f"{reason}"
    ) in said, said


def test_keys_list_asks_the_tsa(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA78: `keys list` showed the TSA's URL but never asked it: an unreachable TSA was found only by each document
    of the next batch failing. It is asked for a timestamp (of a test digest): its time, or why not and NOT usable
    (exit 3) when the level needs a TSA."""
    import socket

    env = _pki_env(tmp_path / "var", test_pki)
    answered = runner.invoke(app, ["keys", "list", "--json"], env=env)
    assert answered.exit_code == 0, answered.output
    tsa = json.loads(answered.stdout)["tsa"]
    assert tsa["answered"] is True and tsa["time"] and tsa["problem"] is None, tsa
    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{closed.getsockname()[1]}/tsa"
    refused = runner.invoke(app, ["keys", "list", "--json"], env={**env, "SOHOA_TSA_URL": down})
    assert refused.exit_code == 3, refused.output
    info = json.loads(refused.stdout)
    assert info["usable"] is False and info["tsa"]["answered"] is False, info
    assert info["problem"].startswith(f"không kết nối được máy chủ cấp dấu thời gian (TSA) {down}"), info
    assert f"the timestamping authority at {down} could not be reached" in info["problem"], info
    shown = runner.invoke(app, ["keys", "list"], env={**env, "SOHOA_TSA_URL": down})
    assert "KHÔNG trả lời / NOT answering" in " ".join(shown.output.split()), shown.output


def test_keys_list_says_the_signing_certificate_is_not_revoked(tmp_path: Path, test_pki: TestPKI) -> None:
    env = _pki_env(tmp_path / "var", test_pki)
    listed = runner.invoke(app, ["keys", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    info = json.loads(listed.stdout)
    assert info["usable"] is True and info["revocation"]["status"] == "good"
    shown = runner.invoke(app, ["keys", "list"], env=env)
    said = " ".join(shown.output.split())
    assert "thu hồi / revocation: chưa bị thu hồi (máy chủ OCSP/CRL của CA vừa trả lời) / not revoked" in said, said
    # the development identity names no OCSP/CRL service: nothing is asked, nothing said
    dev = runner.invoke(app, ["keys", "list", "--json"], env=_env(tmp_path / "dev"))
    assert dev.exit_code == 0 and "revocation" not in json.loads(dev.stdout)


def test_sign_onto_a_full_disk_is_the_machines_fault(tmp_path: Path, full_disk: Path) -> None:
    """QA70: `sohoa sign IN.pdf FULL/out.pdf` said `cannot write the signed file ([Errno 28] No space left on
    device)`, English only, exit 1 as if the input could not be signed; `sohoa ocr` says it as the machine's fault."""
    big = Path(__file__).resolve().parent.parent / "samples" / "qd-15-ubnd.pdf"  # more than the disk has left
    out = full_disk / "ký.pdf"
    result = runner.invoke(app, ["sign", str(big), str(out)], env=_env(tmp_path / "var"))
    said = " ".join(result.output.split())
    assert result.exit_code == 3, result.output
    assert "không ghi được tệp đã ký: hết dung lượng đĩa" in said and "No space left on device" in said, said
    assert "giải phóng dung lượng đĩa" in said and "free some space" in said, said
    assert not out.exists()


def test_a_file_changed_after_it_was_signed_is_not_signed_again(tmp_path: Path) -> None:
    """QA134 F3: `sohoa sign` (the seal's counter-signature too) added a valid signature to a PDF whose first
    signature an edit after it had broken, exit 0, not a word: the new signature vouched for the changed page. It is
    refused now (exit 1), saying which signature and what to do, and nothing is written; a file signed and not
    changed is signed again as before."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    env = _env(tmp_path / "var")
    first = tmp_path / "đã ký.pdf"
    assert runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(first)], env=env).exit_code == 0
    again = runner.invoke(app, ["sign", str(first), str(tmp_path / "again.pdf")], env=env)
    assert again.exit_code == 0, again.output  # intact: counter-signed
    changed = tmp_path / "sửa sau khi ký.pdf"
    changed.write_bytes(first.read_bytes())
    with open(changed, "rb+") as fh:  # page 1's content replaced in a revision after the signature
        writer = IncrementalPdfFileWriter(fh)
        page_ref, _ = writer.find_page_for_modification(0)
        forged = generic.StreamObject(stream_data=b"1 0 0 rg 100 100 200 200 re f")
        page_ref.get_object()[generic.NameObject("/Contents")] = writer.add_object(forged)
        writer.update_container(page_ref)
        writer.write_in_place()
    out = tmp_path / "seal.pdf"
    refused = runner.invoke(app, ["sign", str(changed), str(out)], env=env)
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())
    assert "sửa sau khi ký.pdf: chữ ký đã có của tệp không còn hợp lệ" in said, said
    assert "Signature1: a revision after it changes the document beyond what a signature allows" in said, said
    assert "a new signature would vouch for the changed content" in said
    assert not out.exists()
    # the next signer's empty field added after the first signature — how a next signature is prepared — is a
    # change a signature allows: signed (QA135 F3: refused)
    from pyhanko.sign import fields

    prepared = tmp_path / "thêm ô ký.pdf"
    prepared.write_bytes(first.read_bytes())
    with open(prepared, "rb+") as fh:
        writer = IncrementalPdfFileWriter(fh)
        fields.append_signature_field(writer, fields.SigFieldSpec("Nguoi_ky_2", on_page=0, box=(300, 50, 500, 120)))
        writer.write_in_place()
    signed = runner.invoke(app, ["sign", str(prepared), str(tmp_path / "ký tiếp.pdf")], env=env)
    assert signed.exit_code == 0, signed.output
    # a signature whose data no longer reads (its CMS overwritten): refused before signing, not "could not be read
    # back" after (QA135 F9)
    data = first.read_bytes()
    start = data.index(b"/Contents <") + len(b"/Contents <")
    broken = tmp_path / "chữ ký hỏng.pdf"
    broken.write_bytes(data[:start] + b"ff" * 16 + data[start + 32 :])
    damaged = runner.invoke(app, ["sign", str(broken), str(tmp_path / "x.pdf")], env=env)
    assert damaged.exit_code == 1 and "damaged signature fields" in damaged.output, damaged.output


def test_a_document_certified_allowing_no_change_is_refused_in_both_languages(
    tmp_path: Path, test_pki: TestPKI
) -> None:
    """QA135 F9: a certification signature whose DocMDP permission allows no change (P=1) refused the next
    signature in pyHanko's English only ("Author signature forbids all changes"). The refusal is right; it is said
    in both languages now, with what to do."""
    from pyhanko.sign.fields import MDPPerm
    from test_signing_qa92 import _pkcs12_signer, _sign

    certified = _sign(
        make_pdf(tmp_path / "in.pdf"), tmp_path / "chứng nhận.pdf", _pkcs12_signer(test_pki), MDPPerm.NO_CHANGES
    )
    env = _pki_env(tmp_path / "var", test_pki)
    refused = runner.invoke(app, ["sign", str(certified), str(tmp_path / "out.pdf"), "--level", "B-B"], env=env)
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())
    assert "tài liệu đã được chứng nhận (chữ ký chứng nhận DocMDP) không cho phép thay đổi nào" in said, said
    assert "the document is certified allowing no change, a new signature included" in said, said
