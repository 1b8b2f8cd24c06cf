"""Signing stage: real keys, real pyHanko, real files (and poppler's pdfsig as an independent check)."""

from __future__ import annotations

import logging
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing import (
    DevIdentity,
    SigningConfigError,
    SigningError,
    SigningIdentity,
    ensure_dev_identity,
    load_identity,
    sign_pdf,
    verify_pdf,
)
from sohoa.errors import BadInputError, Problem

MARKER = b"MARKER-TEXT-sohoa"


def make_pdf(path: Path, pages: int = 2) -> Path:
    """A small PDF whose page content is stored uncompressed, so a test can find and flip a signed byte."""
    pdf = pikepdf.new()
    for n in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        pdf.pages[n].Contents = pdf.make_stream(b"BT /F1 24 Tf 72 700 Td (" + MARKER + b") Tj ET")
    pdf.save(path, compress_streams=False)
    return path


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="module")
def dev(keys_dir: Path) -> SigningIdentity:
    return load_identity("dev", keys_dir=keys_dir)


@pytest.fixture(scope="module")
def ca(keys_dir: Path) -> Path:
    return ensure_dev_identity(keys_dir).ca_cert


@pytest.fixture
def signed(tmp_path: Path, dev: SigningIdentity) -> Path:
    out = tmp_path / "signed.pdf"
    sign_pdf(make_pdf(tmp_path / "in.pdf"), out, dev, location="Việt Nam")
    return out


# -- identity ----------------------------------------------------------------------------------------------


def _subject(path: Path) -> str:
    return x509.load_pem_x509_certificate(path.read_bytes()).subject.rfc4514_string()


def test_dev_identity_created_once_and_reloaded(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = ensure_dev_identity(keys)
    assert isinstance(first, DevIdentity)
    assert "DEVELOPMENT ONLY" in _subject(first.ca_cert)
    assert "DEVELOPMENT ONLY" in _subject(first.signer_cert)
    assert first.signer_key.stat().st_mode & 0o777 == 0o600
    signer = x509.load_pem_x509_certificate(first.signer_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(first.ca_cert.read_bytes())
    assert signer.issuer == ca.subject
    ku = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment
    lifetime = signer.not_valid_after_utc - signer.not_valid_before_utc
    assert timedelta(days=5 * 365) <= lifetime <= timedelta(days=5 * 365 + 1)
    before = {p: p.read_bytes() for p in (first.ca_cert, first.signer_cert, first.signer_key)}

    second = ensure_dev_identity(keys)
    assert second == first
    assert {p: p.read_bytes() for p in before} == before
    # Atomic writes leave no temporary files behind.
    assert not [p for p in keys.iterdir() if p.name.endswith(".tmp")]

    a = load_identity("dev", keys_dir=keys)
    b = load_identity("dev", keys_dir=keys)
    assert a.certificate.dump() == b.certificate.dump()
    assert a.development and "DEVELOPMENT ONLY" in a.description


def test_dev_identity_partial_set_is_regenerated(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    paths = ensure_dev_identity(keys)
    paths.ca_cert.unlink()  # as if the process died between two writes, the next one's temporary file left
    leftover = keys / ".dev-ca.pem.k3x9q2mz.tmp"
    leftover.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    again = ensure_dev_identity(keys)
    identity = load_identity("dev", keys_dir=keys)
    assert again.ca_cert.is_file()
    assert identity.certificate.dump() != b""
    assert not leftover.exists()  # it stayed for ever (a private key's, when the kill came during the key)


def test_dev_identity_logs_loud_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="signing"):
        load_identity("dev", keys_dir=tmp_path / "keys")
    assert any(r.levelno == logging.WARNING and "DEVELOPMENT ONLY" in r.getMessage() for r in caplog.records)


def test_unknown_kind_lists_valid_kinds(tmp_path: Path) -> None:
    with pytest.raises(SigningConfigError, match="dev, pkcs12"):
        load_identity("hsm", keys_dir=tmp_path)


# -- sign and verify ---------------------------------------------------------------------------------------


def test_sign_then_verify_passes(tmp_path: Path, dev: SigningIdentity, ca: Path) -> None:
    out = tmp_path / "out" / "signed.pdf"
    facts = sign_pdf(make_pdf(tmp_path / "in.pdf"), out, dev, location="Việt Nam")

    assert facts.output_pdf == str(out)
    assert facts.field_name == "Signature1"
    assert facts.level == "B-B"
    assert facts.development_identity is True
    assert "DEVELOPMENT ONLY" in facts.signer_subject and facts.signer_subject.startswith("CN=")
    assert "Root CA" in facts.signer_issuer
    assert len(facts.certificate_sha256) == 64
    assert facts.signed_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - facts.signed_at) < timedelta(minutes=2)
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]

    result = verify_pdf(out, [ca])
    assert result.passed, result.model_dump_json(indent=2)
    (verdict,) = result.signatures
    assert verdict.indication == "TOTAL_PASSED" and verdict.sub_indication is None
    assert verdict.trusted and verdict.intact and verdict.valid
    assert verdict.level == "B-B"
    assert verdict.coverage == "ENTIRE_FILE"
    assert verdict.field_name == "Signature1"
    assert verdict.signer == facts.signer_subject
    assert verdict.signing_time_source == "claimed"
    assert verdict.signing_time is not None
    assert abs(verdict.signing_time - facts.signed_at) < timedelta(seconds=2)
    assert result.warnings == []


def test_trust_roots_may_be_a_folder(signed: Path, keys_dir: Path) -> None:
    # The dev keys folder also holds the private key: that is skipped silently, not reported.
    result = verify_pdf(signed, [keys_dir])
    assert result.passed
    assert result.warnings == []


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler pdfsig not installed")
def test_pdfsig_agrees(signed: Path) -> None:
    proc = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in proc.stdout, proc.stdout + proc.stderr


def test_untrusted_without_roots(signed: Path) -> None:
    result = verify_pdf(signed, [])
    assert not result.passed
    (verdict,) = result.signatures
    assert verdict.indication == "INDETERMINATE"
    assert verdict.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert verdict.intact and not verdict.trusted
    assert any("trust roots" in w for w in result.warnings)


def test_flipped_byte_fails(signed: Path, ca: Path) -> None:
    data = bytearray(signed.read_bytes())
    at = data.index(MARKER)
    data[at] ^= 0x01  # 'M' -> 'L': still a valid PDF, but not the signed one
    signed.write_bytes(bytes(data))
    result = verify_pdf(signed, [ca])
    assert not result.passed
    (verdict,) = result.signatures
    assert verdict.indication == "TOTAL_FAILED"
    assert verdict.sub_indication == "HASH_FAILURE"
    assert not verdict.intact


def test_incremental_update_after_signing_is_warned(signed: Path, ca: Path) -> None:
    """An unsigned revision after the last signature that is no long-term validation data — here the /Info title
    rewritten — is warned about, and the file does not pass: pyHanko allows a metadata rewrite (LTA_UPDATES), and
    such a file (its title "QUYET DINH GIA MAO") was PASSED, exit 0, its byte-range line saying "only long-term
    validation data added" (QA74)."""
    from signing.report import file_class

    with open(signed, "rb+") as fh:
        writer = IncrementalPdfFileWriter(fh)
        title = {generic.NameObject("/Title"): generic.TextStringObject("changed later")}
        writer.set_info(generic.DictionaryObject(title))
        writer.write_in_place()
    result = verify_pdf(signed, [ca])
    (verdict,) = result.signatures
    assert verdict.coverage != "ENTIRE_FILE"
    assert any("after the last signature" in w for w in result.warnings), result.warnings
    assert any("without a signature" in w for w in verdict.warnings)
    assert verdict.indication == "TOTAL_PASSED"  # the signed revision itself is intact
    assert result.changed_after_last_signature and not result.passed and file_class(result) == "indeterminate"
    assert verdict.modification_level == "OTHER"


def test_countersign_keeps_first_signature_valid(signed: Path, dev: SigningIdentity, ca: Path) -> None:
    twice = signed.with_name("twice.pdf")
    facts = sign_pdf(signed, twice, dev)
    assert facts.field_name == "Signature2"
    result = verify_pdf(twice, [ca])
    assert result.passed, result.model_dump_json(indent=2)
    assert [v.field_name for v in result.signatures] == ["Signature1", "Signature2"]
    assert all(v.indication == "TOTAL_PASSED" for v in result.signatures)
    # A later *signature* is expected; only unsigned additions are worth a warning.
    assert result.warnings == []
    assert not any("without a signature" in w for v in result.signatures for w in v.warnings)


def test_sign_in_place(signed: Path, dev: SigningIdentity, ca: Path) -> None:
    sign_pdf(signed, signed, dev)
    assert len(verify_pdf(signed, [ca]).signatures) == 2


# -- PKCS#12 -----------------------------------------------------------------------------------------------


def _make_p12(dev_paths: DevIdentity, target: Path, password: bytes) -> Path:
    key = serialization.load_pem_private_key(dev_paths.signer_key.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(dev_paths.signer_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(dev_paths.ca_cert.read_bytes())
    data = pkcs12.serialize_key_and_certificates(
        b"test signer",
        key,  # type: ignore[arg-type]
        cert,
        [ca],
        serialization.BestAvailableEncryption(password),
    )
    target.write_bytes(data)
    return target


def test_pkcs12_identity_signs(tmp_path: Path, keys_dir: Path, ca: Path) -> None:
    p12 = _make_p12(ensure_dev_identity(keys_dir), tmp_path / "signer.p12", b"s3cret-pass")
    identity = load_identity("pkcs12", keys_dir=keys_dir, pkcs12_file=p12, passphrase=b"s3cret-pass")
    assert identity.development is False
    assert "signer.p12" in identity.description
    facts = sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", identity)
    assert facts.development_identity is False
    assert verify_pdf(tmp_path / "out.pdf", [ca]).passed


def test_pkcs12_wrong_password(tmp_path: Path, keys_dir: Path) -> None:
    p12 = _make_p12(ensure_dev_identity(keys_dir), tmp_path / "signer.p12", b"right-one")
    with pytest.raises(SigningConfigError) as err:
        load_identity("pkcs12", keys_dir=keys_dir, pkcs12_file=p12, passphrase=b"Wr0ngPassw0rd")
    message = str(err.value)
    assert str(p12) in message
    assert "Wr0ngPassw0rd" not in message and "right-one" not in message
    assert "password" in message


def test_pkcs12_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.p12"
    with pytest.raises(SigningConfigError, match="nope.p12"):
        load_identity("pkcs12", keys_dir=tmp_path, pkcs12_file=missing, passphrase=b"x")
    with pytest.raises(SigningConfigError, match="pkcs12_file"):
        load_identity("pkcs12", keys_dir=tmp_path)


# -- bad inputs --------------------------------------------------------------------------------------------


def test_sign_non_pdf_raises_signing_error(tmp_path: Path, dev: SigningIdentity) -> None:
    src = tmp_path / "notes.pdf"
    src.write_text("this is not a PDF\n", encoding="utf-8")
    out = tmp_path / "out.pdf"
    with pytest.raises(SigningError) as err:
        sign_pdf(src, out, dev)
    assert "notes.pdf" in str(err.value)
    # Also a BadInputError, so the orchestrator quarantines instead of retrying.
    assert isinstance(err.value, BadInputError) and err.value.problem is Problem.NOT_A_PDF
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_sign_truncated_pdf_raises_signing_error(tmp_path: Path, dev: SigningIdentity) -> None:
    src = make_pdf(tmp_path / "cut.pdf")
    src.write_bytes(src.read_bytes()[:300])
    with pytest.raises(SigningError, match="cut.pdf"):
        sign_pdf(src, tmp_path / "out.pdf", dev)
    assert not (tmp_path / "out.pdf").exists()


def test_sign_encrypted_pdf_raises_signing_error(tmp_path: Path, dev: SigningIdentity) -> None:
    src = tmp_path / "locked.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(src, encryption=pikepdf.Encryption(owner="o", user="u"))
    with pytest.raises(SigningError, match="locked.pdf") as err:
        sign_pdf(src, tmp_path / "out.pdf", dev)
    assert isinstance(err.value, BadInputError) and err.value.problem is Problem.ENCRYPTED_PDF


def test_sign_missing_input(tmp_path: Path, dev: SigningIdentity) -> None:
    with pytest.raises(SigningError, match="absent.pdf"):
        sign_pdf(tmp_path / "absent.pdf", tmp_path / "out.pdf", dev)


def test_verify_text_file_gives_error_entry(tmp_path: Path, ca: Path) -> None:
    txt = tmp_path / "readme.txt"
    txt.write_text("hello", encoding="utf-8")
    result = verify_pdf(txt, [ca])
    assert result.error is not None and "not a PDF" in result.error
    assert not result.passed and result.signatures == []


def test_verify_missing_and_unsigned(tmp_path: Path, ca: Path) -> None:
    assert verify_pdf(tmp_path / "absent.pdf", [ca]).error is not None
    unsigned = verify_pdf(make_pdf(tmp_path / "plain.pdf"), [ca])
    assert unsigned.error == "no signature found"
    assert not unsigned.passed
    # an unsigned PDF Pillow wrote (its xref's first entry has generation 65536, which pyHanko's strict reader
    # refuses) is unsigned, not "damaged"; the structural slip is a warning
    from PIL import Image

    pillow_pdf = tmp_path / "pillow.pdf"
    Image.new("L", (200, 100), 255).save(pillow_pdf)
    lenient = verify_pdf(pillow_pdf, [ca])
    assert lenient.error == "no signature found"
    assert any("read in tolerant mode" in w and "65536" in w for w in lenient.warnings)


def test_a_signature_an_update_took_off_is_said_so_not_only_no_signature(
    signed: Path, tmp_path: Path, ca: Path
) -> None:
    """QA134 F8: a signed file whose signature field lost its value in a later revision read "no signature found",
    as an unsigned file does: nothing told an auditor it had been signed."""
    stripped = tmp_path / "gỡ chữ ký.pdf"
    stripped.write_bytes(signed.read_bytes())
    with open(stripped, "rb+") as fh:
        writer = IncrementalPdfFileWriter(fh)
        for ref in writer.root["/AcroForm"]["/Fields"]:
            field = ref.get_object()
            if field.get("/FT") == "/Sig" and "/V" in field:
                del field["/V"]
                writer.update_container(field)
        writer.write_in_place()
    result = verify_pdf(stripped, [ca])
    assert result.error is not None and result.error.startswith("no signature found in the file as it is now, but")
    assert result.error_vi is not None and "một phiên bản sau đã gỡ chữ ký" in result.error_vi
    assert not result.passed and result.revisions >= 2


def test_bad_trust_root_is_a_warning(signed: Path, tmp_path: Path, ca: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    result = verify_pdf(signed, [ca, junk, tmp_path / "missing-dir"])
    assert result.passed
    assert any("junk.pem" in w for w in result.warnings)
    assert any("missing-dir" in w for w in result.warnings)


def test_a_pdf_only_a_strict_reader_refuses_is_signed(tmp_path: Path, dev: SigningIdentity, ca: Path) -> None:
    # the bundled sample PDF (written by Pillow: its xref's first entry has generation 65536) was refused as
    # "damaged" by `sohoa sign`, though every viewer, qpdf and the pipeline read it
    from PIL import Image

    pillow_pdf = tmp_path / "pillow.pdf"
    Image.new("L", (600, 800), 255).save(pillow_pdf, resolution=100)
    out = tmp_path / "signed.pdf"
    sign_pdf(pillow_pdf, out, dev)
    result = verify_pdf(out, [ca])
    assert result.passed, result.model_dump_json(indent=2)
    assert any("tolerant mode" in w for w in result.warnings)  # the slip is still there, and said


def test_file_errors_in_vietnamese_and_english(tmp_path: Path, ca: Path) -> None:
    """QA: `sohoa verify`'s per-file errors were English only in the "vi / en" report."""
    from signing.report import render_html, render_text, report_header

    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    text_file = tmp_path / "note.pdf"
    text_file.write_text("hello", encoding="utf-8")
    results = [verify_pdf(p, [ca]) for p in (empty, text_file, make_pdf(tmp_path / "plain.pdf"))]
    assert [r.error for r in results] == ["the file is empty", "not a PDF file", "no signature found"]
    assert [r.error_vi for r in results] == ["tệp rỗng (không có dữ liệu)", "không phải tệp PDF", "không có chữ ký nào"]
    text = render_text(results)
    assert "lỗi / error: tệp rỗng (không có dữ liệu) / the file is empty" in text
    assert "lỗi / error: không phải tệp PDF / not a PDF file" in text
    assert "lỗi / error: không có chữ ký nào / no signature found" in text
    assert "Lỗi / Error: không có chữ ký nào / no signature found" in render_html(results, report_header([ca]))


def test_a_cut_file_and_one_with_data_after_its_end_are_told_apart(tmp_path: Path, signed: Path, ca: Path) -> None:
    """QA: a signed PDF cut short and one with 3 KB written after its %%EOF were both "an object of the file cannot
    be parsed (detail: EOF marker not found)": one is truncated, the other has data appended after its end."""
    data = signed.read_bytes()
    cut, appended = tmp_path / "cut.pdf", tmp_path / "appended.pdf"
    cut.write_bytes(data[: len(data) // 2])
    appended.write_bytes(data + b"\0" * 3000)
    truncated, extended = verify_pdf(cut, [ca]), verify_pdf(appended, [ca])
    assert truncated.error == (
        "damaged PDF, cannot be read: the file is truncated: its end (%%EOF) is missing — a copy or download cut short"
    ), truncated.error
    assert truncated.error_vi is not None and "tệp bị cắt cụt" in truncated.error_vi
    assert extended.error is not None and "3000 byte(s) follow the file's end (%%EOF)" in extended.error
    assert extended.error_vi is not None and "có 3000 byte bị ghi thêm vào" in extended.error_vi


def _signed_with_empty_password(tmp_path: Path, ca: Path) -> Path:
    """A PDF encrypted with an empty user password, signed by the module's development identity."""
    import io

    from pyhanko.sign import signers

    locked = tmp_path / "open.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user="", R=6))
    paths = ensure_dev_identity(ca.parent)  # the module's development identity
    signer = signers.SimpleSigner.load(str(paths.signer_key), str(paths.signer_cert), ca_chain_files=(str(ca),))
    with open(locked, "rb") as fh:
        writer = IncrementalPdfFileWriter(fh)
        writer.encrypt("")
        out = io.BytesIO()
        signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Signature1"), signer=signer, output=out)
    signed = tmp_path / "open-signed.pdf"
    signed.write_bytes(out.getvalue())
    return signed


def test_encrypted_pdf_with_empty_user_password_is_verified(tmp_path: Path, ca: Path) -> None:
    """QA: a PDF encrypted with an empty user password (any viewer opens it) was "encrypted PDF: its signatures
    cannot be checked without the password"; it is opened without one and verified, with a warning. A real
    password is still an error, in both languages."""
    result = verify_pdf(_signed_with_empty_password(tmp_path, ca), [ca])
    assert result.error is None and result.passed, result.model_dump_json(indent=2)
    assert any("encrypted with an empty user password" in w for w in result.warnings)

    with_password = tmp_path / "locked.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(with_password, encryption=pikepdf.Encryption(owner="owner", user="secret", R=6))
    refused = verify_pdf(with_password, [ca])
    assert refused.error is not None and refused.error.startswith("encrypted PDF: it needs a password")
    assert refused.error_vi is not None and "cần mật khẩu" in refused.error_vi


def test_encrypted_pdf_byte_range_is_reported(tmp_path: Path, ca: Path) -> None:
    """QA: an encrypted PDF's /ByteRange comes back from pyHanko as a DecryptedObjectProxy, which does not
    iterate: the report said `Byte range: [] — entire file` (JSON `"byte_range": []`). It is the file's range."""
    from signing.report import render_text

    signed = _signed_with_empty_password(tmp_path, ca)
    with pikepdf.open(signed) as pdf:  # pikepdf decrypts on its own: the range as the file holds it
        expected = [int(x) for x in pdf.Root.AcroForm.Fields[0].V.ByteRange]
    assert expected[0] == 0 and expected[2] + expected[3] == signed.stat().st_size
    result = verify_pdf(signed, [ca])
    (sig,) = result.signatures
    assert sig.byte_range == expected and sig.coverage == "ENTIRE_FILE", sig
    assert f"Byte range: {expected} — " in render_text([result])


def test_bytes_appended_after_signing_do_not_pass_nor_read_as_no_change(signed: Path, ca: Path) -> None:
    """QA: `printf '\\n%% junk\\n' >> document.pdf` verified PASSED (exit 0), the byte range line saying "the signed
    revision; more was added after; no change after signing" under a warning that content was added no signature
    covers. The signature keeps its verdict (what it signed is intact); the file does not pass."""
    from signing.report import as_json, render_text

    signed.write_bytes(signed.read_bytes() + b"\n% junk\n")
    result = verify_pdf(signed, [ca])
    (verdict,) = result.signatures
    assert verdict.indication == "TOTAL_PASSED" and verdict.coverage == "ENTIRE_REVISION", verdict
    assert verdict.modification_level == "OTHER"
    assert result.content_after_last_revision and not result.passed
    assert any("content was added that no signature covers (the file does not pass)" in w for w in result.warnings)
    text = render_text([result])
    assert "NOT PASSED" in text and "Total: 0/1" in text, text
    assert "no change after signing" not in text and "không thay đổi sau khi ký" not in text, text
    assert "(tệp không đạt)" in text
    report = as_json([result])
    assert report["passed"] is False and report["files"][0]["content_after_last_revision"] is True
    assert report["files"][0]["class"] == "failed"  # not "indeterminate": the file is not the one signed
    # trailing end-of-line bytes after %%EOF are no content: the untouched file still passes
    signed.write_bytes(signed.read_bytes().removesuffix(b"% junk\n") + b"\r\n")
    assert verify_pdf(signed, [ca]).passed


def test_flipped_byte_report_does_not_say_no_change(signed: Path, ca: Path) -> None:
    """QA: a byte flipped inside the signed range gave TOTAL_FAILED (HASH_FAILURE) and, for the same signature,
    "toàn bộ tệp / entire file; không thay đổi sau khi ký / no change after signing"."""
    from signing.report import render_text

    data = bytearray(signed.read_bytes())
    data[data.index(MARKER)] ^= 0x01
    signed.write_bytes(bytes(data))
    result = verify_pdf(signed, [ca])
    (verdict,) = result.signatures
    assert verdict.sub_indication == "HASH_FAILURE" and verdict.modification_level is None
    text = render_text([result])
    assert "no change after signing" not in text and "không thay đổi sau khi ký" not in text, text
    assert "NỘI DUNG ĐÃ KÝ ĐÃ BỊ THAY ĐỔI / THE SIGNED BYTES WERE CHANGED" in text


def test_asn1crypto_value_maps_are_safe_to_first_use_from_several_threads() -> None:
    """A batch signs in threads; asn1crypto builds a value map's reverse in place on first use, so another thread
    saw it empty and read the name 'sha256' as a dotted OID ("invalid literal for int() with base 10: 'sha256'
    while constructing asn1crypto.tsp.ESSCertIDv2": a good scan left failed, once in the suite). A class with a
    large map makes the window wide enough to hit every time without the fix (signing.asn1_threads)."""
    import threading

    import asn1crypto.core

    import signing  # noqa: F401  (installs the fix)

    for _ in range(3):

        class Big(asn1crypto.core.ObjectIdentifier):
            _map = {f"1.2.{i}": f"name{i}" for i in range(300_000)}

        errors: list[Exception] = []

        def use(errors: list[Exception] = errors) -> None:
            try:
                Big("name299999")
            except Exception as exc:  # what the race raises: ValueError
                errors.append(exc)

        threads = [threading.Thread(target=use) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
