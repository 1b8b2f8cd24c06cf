"""QA58: what `sohoa verify` says of archived files that changed, of paths inside an archive, of reasons beside the
first one, of a signer's certificate that expired after signing; the reports' per-file class, the three checks
and print layout; usage errors in both languages."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_signing import make_pdf
from test_signing_cli import _archive_signed, _env, runner

from flows.cli import app
from signing import verify_pdf
from signing.report import render_html, render_text, report_header
from signing.verify import FileVerification, SignatureVerdict
from sohoa.vietnamese import day_vn

# beside the repository as test_signing_corpus finds it, or the shared corpora of a worktree elsewhere
_VN_PLACES = (Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "vn-signed",)
VN = next((p for p in (*_VN_PLACES, Path("/work/shared/corpora/vn-signed")) if p.is_dir()), _VN_PLACES[0])


def _files(output: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {f["path"]: f for f in json.loads(output)["files"]}


def test_verify_archive_hashes_and_verifies_a_changed_document(tmp_path: Path) -> None:
    """A byte flipped in an archived document.pdf, or another record's file copied over it: the entry fails for
    the mismatch, with the SHA-256 of the bytes found (and the record's), and their signatures' verdict — it said
    "SHA-256: — (the file could not be read)", with no signature verdict."""
    data = tmp_path / "var"
    env = _env(data)
    docs = _archive_signed(data / "archive", env, "a", "b", "c")
    recorded = hashlib.sha256(docs["a"].read_bytes()).hexdigest()
    flipped = bytearray(docs["a"].read_bytes())
    flipped[flipped.index(b"MARKER")] ^= 1
    docs["a"].write_bytes(bytes(flipped))
    docs["b"].write_bytes(docs["c"].read_bytes())
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 1, res.output
    files = _files(res.stdout)
    changed = files[str(docs["a"])]
    assert changed["class"] == "failed" and changed["damaged_record"], changed
    assert changed["sha256"] == hashlib.sha256(bytes(flipped)).hexdigest() and changed["size"] == len(flipped)
    assert recorded in changed["error"] and recorded in changed["error_vi"], changed
    (signature,) = changed["signatures"]
    assert (signature["indication"], signature["sub_indication"]) == ("TOTAL_FAILED", "HASH_FAILURE"), signature
    swapped = files[str(docs["b"])]
    assert swapped["class"] == "failed" and swapped["sha256"] == hashlib.sha256(docs["c"].read_bytes()).hexdigest()
    assert swapped["signatures"][0]["indication"] == "TOTAL_PASSED"  # a good signature, of another record's file
    text = " ".join(runner.invoke(app, ["verify", "--archive"], env=env).output.split())
    assert f"SHA-256: {changed['sha256']}" in text, text
    assert "could not be read" not in text and "không đọc được tệp" not in text, text


def test_rewritten_record_json_reason_is_english_in_english(tmp_path: Path) -> None:
    """The English half of the reason held the Vietnamese of get's message and its "nothing handed out"."""
    data = tmp_path / "var"
    env = _env(data)
    docs = _archive_signed(data / "archive", env, "a")
    sidecar = docs["a"].parent / "record.json"
    sidecar.write_text(sidecar.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # still JSON, not the same
    res = runner.invoke(app, ["verify", "--archive", "--json"], env=env)
    assert res.exit_code == 1, res.output
    (entry,) = json.loads(res.stdout)["files"]
    assert entry["class"] == "failed", entry
    assert "handed out" not in entry["error"] and "đã bị sửa" not in entry["error"], entry["error"]
    assert "changed or lost" in entry["error"] and "bị sửa hoặc mất" in entry["error_vi"], entry
    assert "ledger entry" in (entry["error_detail"] or ""), entry  # what the archive's check said, for a technician
    text = " ".join(runner.invoke(app, ["verify", "--archive"], env=env).output.split())
    assert "nothing handed out" not in text and "the file was not verified" in text, text


def test_verify_paths_inside_the_archive_checks_them_against_their_records(tmp_path: Path) -> None:
    """`sohoa verify ARCHIVE/…/document.pdf` after another record's document.pdf was copied over it passed, exit 0;
    the folder of records passed it too, and counted each unsigned original.pdf as an error."""
    data = tmp_path / "var"
    env = _env(data)
    archive = data / "archive"
    docs = _archive_signed(archive, env, "a", "b")
    folder = docs["a"].parent.parent
    assert folder == docs["b"].parent.parent and folder != archive
    # a record's unsigned original as `sohoa process` archives a PDF scan (these test records' originals are PNG)
    make_pdf(docs["a"].parent / "original.pdf")
    intact = runner.invoke(app, ["verify", str(folder), "--json"], env=env)
    assert intact.exit_code == 0, intact.output
    assert sorted(_files(intact.stdout)) == sorted(str(p) for p in docs.values())  # no original.pdf entry

    docs["a"].write_bytes(docs["b"].read_bytes())
    one = runner.invoke(app, ["verify", str(docs["a"]), "--json"], env=env)
    assert one.exit_code == 1, one.output
    (entry,) = json.loads(one.stdout)["files"]
    assert entry["path"] == str(docs["a"]) and entry["class"] == "failed", entry
    assert "SHA-256 mismatch" in entry["error"] and "không khớp mã SHA-256" in entry["error_vi"], entry
    for given in (folder, docs["a"].parent):
        res = runner.invoke(app, ["verify", str(given), "--json"], env=env)
        assert res.exit_code == 1, res.output
        files = _files(res.stdout)
        assert files[str(docs["a"])]["class"] == "failed"
        assert all(f["class"] != "error" for f in files.values()), files
    planted = folder / "99-QĐ-UBND--00000000deadbeef" / "document.pdf"
    planted.parent.mkdir()
    planted.write_bytes(docs["b"].read_bytes())
    loose = runner.invoke(app, ["verify", str(planted), "--json"], env=env)
    assert loose.exit_code == 1 and "part of no archived record" in json.loads(loose.stdout)["files"][0]["error"]
    # a PDF outside every archive is verified as before
    outside = runner.invoke(app, ["verify", str(docs["b"].parent / "nowhere.pdf")], env=env)
    assert outside.exit_code == 2


def _vn_file() -> Path:
    files = sorted(VN.glob("*.pdf"))
    if not files:
        pytest.skip("the VN corpus (../shared/corpora/vn-signed) is not here")
    return files[0]


def test_revocation_not_checked_is_said_beside_an_untrusted_timestamp_authority() -> None:
    """The VN files: the TSA's missing chain was the only reason shown; the trusted signer's certificate names
    OCSP/CRL services and the file embeds no answer, which is said too now (the indication is unchanged)."""
    (verdict,) = verify_pdf(_vn_file(), [VN / "trust-anchors-vn"]).signatures
    assert (verdict.indication, verdict.sub_indication_of) == ("INDETERMINATE", "signature_timestamp"), verdict
    assert verdict.trusted and verdict.revocation.status == "not_checked"
    assert any(w.startswith("revocation not checked") for w in verdict.warnings), verdict.warnings


def _verdict(**update: object) -> SignatureVerdict:
    fields: dict[str, object] = {
        "field_name": "Signature1",
        "indication": "INDETERMINATE",
        "sub_indication": "NO_CERTIFICATE_CHAIN_FOUND",
        "sub_indication_of": "signer",
        "signer": "CN=A",
        "issuer": "CN=B",
        "level": "B-B",
        "intact": True,
        "valid": True,
        "trusted": False,
        "coverage": "ENTIRE_FILE",
        "notes": ["ghi chú thử / a test note"],
    }
    fields.update(update)
    return SignatureVerdict.model_validate(fields)


def test_reports_say_the_class_the_three_checks_and_notes_and_keep_headings_with_their_tables() -> None:
    result = FileVerification(path="x.pdf", signatures=[_verdict()], sha256="ab" * 32, size=10)
    header = report_header([], now=datetime(2026, 12, 1, tzinfo=UTC))
    page = render_html([result], header)
    assert "KHÔNG ĐẠT / NOT PASSED — chưa xác định được / indeterminate</span></h2>" in page, page
    checks = (
        "nội dung nguyên vẹn / intact: có / yes; giá trị chữ ký đúng / signature valid: có / yes; "
        "người ký được tin cậy / signer trusted: KHÔNG / NO"
    )
    assert checks in page and "<th>Ghi chú / Note</th><td>ghi chú thử / a test note</td>" in page
    assert "div.head,h2,p.hash,caption{break-after:avoid" in page and "tr{break-inside:avoid" in page
    assert "<div class='head'><h2" in page
    text = render_text([result], header)
    assert checks in text and "    ghi chú / note: ghi chú thử / a test note" in text, text


def test_a_changed_file_s_signer_is_not_said_untrusted() -> None:
    """QA65: a copy with one byte changed said "signer trusted: KHÔNG / NO" — pyHanko calls no signer of changed
    bytes trusted, whatever its chain — which read as a second fault beside HASH_FAILURE."""
    changed = _verdict(intact=False, indication="TOTAL_FAILED", sub_indication="HASH_FAILURE")
    text = render_text([FileVerification(path="x.pdf", signatures=[changed])])
    assert "người ký được tin cậy / signer trusted: không xét vì nội dung đã bị thay đổi / not judged" in text, text
    assert "signer trusted: KHÔNG / NO" not in text, text


def test_trust_judged_says_when_trusted_says_nothing_of_the_signer() -> None:
    """QA66: `verify --json` had "trusted": false where the text says "not judged": `trusted` stays pyHanko's
    (false whenever the signed bytes changed or the signature value does not verify), and `trust_judged` says
    whether it judged the signer at all — derived, so an older verification.json without it gets it too."""
    changed = _verdict(intact=False, valid=True, indication="TOTAL_FAILED", sub_indication="HASH_FAILURE")
    assert changed.model_dump(mode="json")["trust_judged"] is False and changed.trusted is False
    assert _verdict().trust_judged is True and _verdict(trusted=True, sub_indication=None).trust_judged is True
    bad_value = _verdict(valid=False, indication="TOTAL_FAILED", sub_indication="SIG_CRYPTO_FAILURE")
    assert bad_value.trust_judged is False
    text = render_text([FileVerification(path="x.pdf", signatures=[bad_value])])
    assert "signer trusted: không xét vì giá trị chữ ký không đúng / not judged: the signature value does" in text
    unreadable = _verdict(intact=False, valid=False, indication="TOTAL_FAILED", sub_indication="FORMAT_FAILURE")
    text = render_text([FileVerification(path="x.pdf", signatures=[unreadable])])
    assert "không xét vì không kiểm tra được chữ ký / not judged: the signature could not be checked" in text, text
    # given, it is not taken: it is what intact, valid and trusted say
    assert _verdict(intact=False, trust_judged=True).trust_judged is False
    older = changed.model_dump(mode="json")
    del older["trust_judged"]
    assert SignatureVerdict.model_validate(older).trust_judged is False


def test_revocation_warnings_say_their_services_day_and_way_out_in_vietnamese_too() -> None:
    """QA65: the Vietnamese half of these warnings dropped the services, the day and what to do (English only)."""
    from signing.report import warning_in_vietnamese

    unchecked = warning_in_vietnamese(
        "revocation not checked: the signer's certificate names revocation services (http://ca/ocsp) and the file "
        "embeds no answer from them; verify with --online, or sign at B-LT/B-LTA"
    )
    vietnamese = unchecked.split(" / revocation not checked")[0]
    assert "(http://ca/ocsp)" in vietnamese and "--online" in vietnamese and "B-LT/B-LTA" in vietnamese, unchecked
    stale = warning_in_vietnamese(
        "the revocation data this file embeds for CN=sohoa Test TSA was current until 2027-02-24; offline, a "
        "revocation since then cannot be ruled out: verify with --online (asks the CA's OCSP/CRL services now)"
    )
    assert stale.startswith("dữ liệu thu hồi kèm trong tệp cho CN=sohoa Test TSA chỉ còn hiệu lực đến 24/02/2027;"), (
        stale
    )


def test_what_a_later_revision_added_is_said_in_vietnamese_too() -> None:
    """QA65: "Revisions added after: #2 THAY ĐỔI KHÁC / OTHER CHANGE: 2 object, 7 stream", its counts English only."""
    from signing.verify import RevisionChange

    later = _verdict(revisions_after=[RevisionChange(revision=2, kind="other", changes="2 object, 7 stream")])
    text = render_text([FileVerification(path="x.pdf", signatures=[later])])
    assert "#2 THAY ĐỔI KHÁC / OTHER CHANGE: 2 đối tượng, 7 luồng dữ liệu / 2 object, 7 stream" in text, text


def test_click_usage_errors_in_both_languages(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from flows.cli import main

    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as ended:
        main(["audit", "--renew-within", "abc", "--json"])
    assert ended.value.code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error.startswith("giá trị không hợp lệ (xem --help) / Invalid value for '--renew-within'"), error
    with pytest.raises(SystemExit) as ended:
        main(["verify", "--no-such-option"])
    said = " ".join(capsys.readouterr().err.split())
    assert ended.value.code == 2 and "không có tùy chọn này (xem --help) / No such option" in said, said


def test_get_of_a_changed_document_says_so_in_both_languages(tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = _env(data)
    docs = _archive_signed(data / "archive", env, "a")
    record = json.loads((docs["a"].parent / "record.json").read_text(encoding="utf-8"))
    docs["a"].write_bytes(docs["a"].read_bytes() + b"\n%tail\n")
    got = runner.invoke(app, ["get", record["id"], "--out", str(tmp_path / "out")], env=env)
    text = " ".join(got.output.split())
    assert got.exit_code == 1 and "không khớp mã SHA-256" in text and "SHA-256 mismatch" in text, got.output


def test_verify_json_draws_its_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """README: "On a terminal a progress bar counts the files on stderr" — with --json it drew none."""
    import flows.commands_signing
    from flows.cli import err

    monkeypatch.setattr(type(err), "is_terminal", property(lambda self: True))
    shown: list[bool] = []
    real = flows.commands_signing._verify_progress

    def spy(show: bool = True):  # type: ignore[no-untyped-def]
        bar = real(show)
        shown.append(not bar.disable)
        return bar

    monkeypatch.setattr(flows.commands_signing, "_verify_progress", spy)
    runner.invoke(app, ["verify", str(make_pdf(tmp_path / "unsigned.pdf")), "--json"], env=_env(tmp_path / "var"))
    assert shown == [True]


def test_a_signer_certificate_expired_after_signing_is_said(tmp_path: Path) -> None:
    """B-LT after the signer's certificate expired: TOTAL_PASSED, and now a note says it expired and that the
    signature stands by its timestamp; B-T: INDETERMINATE / OUT_OF_BOUNDS_NO_POE as pyHanko says, and a note that
    the trusted timestamp is there and the revocation data of that time is what is missing."""
    import time

    from cryptography import x509
    from signing_pki import PKCS12_PASSWORD, SIGNER_SHORT, running_pki

    from signing import load_identity, sign_pdf
    from signing.verify import load_trust_roots

    with running_pki(tmp_path / "pki", short_seconds=6) as pki:
        ident = load_identity(
            "pkcs12", keys_dir=tmp_path, pkcs12_file=pki.pkcs12_file(SIGNER_SHORT), passphrase=PKCS12_PASSWORD
        )
        roots = load_trust_roots([pki.root_cert])[0]
        src = make_pdf(tmp_path / "in.pdf")
        for level in ("B-T", "B-LT"):
            sign_pdf(src, tmp_path / f"{level}.pdf", ident, level=level, tsa_url=pki.tsa_url, validation_roots=roots)
        (fresh,) = verify_pdf(tmp_path / "B-LT.pdf", [pki.root_cert]).signatures
        assert fresh.notes == []
        expiry = x509.load_pem_x509_certificate(pki.cert_file(SIGNER_SHORT).read_bytes()).not_valid_after_utc
        time.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 1.5)
        lt_file = verify_pdf(tmp_path / "B-LT.pdf", [pki.root_cert])
        (bt,) = verify_pdf(tmp_path / "B-T.pdf", [pki.root_cert]).signatures
    (lt,) = lt_file.signatures
    day = day_vn(expiry).isoformat()  # the day in Vietnam, as the note gives it (QA92)
    assert lt.indication == "TOTAL_PASSED" and lt.warnings == [], lt
    (note,) = lt.notes
    assert f"expired on {day}, after signing; the signature stays valid by its timestamp" in note, note
    assert note.startswith(f"chứng thư của người ký đã hết hạn ngày {day}, sau khi ký"), note
    assert (bt.indication, bt.sub_indication) == ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE"), bt
    (explained,) = bt.notes
    assert "the trusted signature timestamp proves the signature existed" in explained, explained
    assert "the file embeds no revocation data (B-T)" in explained and "long-term validation data" in explained
    header = report_header([pki.root_cert], now=datetime.now(UTC))
    assert f"ghi chú / note: {note}" in render_text([lt_file], header)
    assert json.loads(lt_file.model_dump_json())["signatures"][0]["notes"] == [note]
