"""PAdES B-T/B-LT/B-LTA against a real test PKI on loopback (certomancer: TSA, OCSP, CRLs over HTTP)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from broken_services import broken_service
from cryptography import x509
from pyhanko.sign import signers
from signing_pki import PKCS12_PASSWORD, SIGNER, SIGNER_EXPIRED, SIGNER_REVOKED, TestPKI, running_pki
from test_signing import make_pdf

from signing import (
    SigningConfigError,
    SigningError,
    SigningIdentity,
    SigningServiceError,
    load_identity,
    sign_pdf,
    verify_pdf,
)
from signing.verify import load_trust_roots


def _roots(pki: TestPKI) -> list:  # type: ignore[type-arg]
    return load_trust_roots([pki.root_cert])[0]


def _signed(out: Path, signer: SigningIdentity, pki: TestPKI, level: str) -> Path:
    """A small PDF signed at ``level`` with the test PKI's TSA and roots, written to ``out``."""
    sign_pdf(
        make_pdf(out.with_name(f"{out.stem}-in.pdf")),
        out,
        signer,
        level=level,
        tsa_url=pki.tsa_url,
        validation_roots=_roots(pki),
    )
    return out


@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_levels_sign_and_verify(level: str, tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity) -> None:
    out = tmp_path / f"{level}.pdf"
    facts = sign_pdf(
        make_pdf(tmp_path / "in.pdf"),
        out,
        signer,
        level=level,
        tsa_url=test_pki.tsa_url,
        validation_roots=_roots(test_pki),
    )
    assert facts.level == level
    # the TSA's time beside the signer's claim (QA78: `sign --json` gave the claim only)
    assert facts.timestamp_authority == test_pki.tsa_url and facts.timestamped_at is not None
    assert abs(facts.timestamped_at - facts.signed_at) < timedelta(minutes=1)
    if level == "B-T":
        # offline, a B-T file holds no revocation answer and its signer names OCSP/CRL services: not "passed"
        # (a revoked signer passed so), INDETERMINATE TRY_LATER until someone asks them
        offline = verify_pdf(out, [test_pki.root_cert])
        (unchecked,) = offline.signatures
        assert (unchecked.indication, unchecked.sub_indication) == ("INDETERMINATE", "TRY_LATER")
        assert unchecked.revocation.status == "not_checked" and not offline.passed
        assert any("revocation not checked" in w for w in unchecked.warnings)
    result = verify_pdf(out, [test_pki.root_cert], online=level == "B-T")
    assert result.passed, result.model_dump_json(indent=2)
    assert result.warnings == []
    (verdict,) = result.signatures
    assert verdict.level == level
    assert verdict.signing_time_source == "timestamp"
    assert verdict.timestamp_authority and "TSA" in verdict.timestamp_authority
    assert verdict.trust_anchor and "Test Root CA" in verdict.trust_anchor
    assert verdict.warnings == []
    assert verdict.signing_time is not None
    assert abs(verdict.signing_time - datetime.now(UTC)) < timedelta(minutes=5)
    if level == "B-T":
        # asked online (the loopback OCSP responder): good
        assert verdict.revocation.status == "good" and verdict.revocation.source == "online"
    else:
        # B-LT/B-LTA: the OCSP response embedded in the DSS is the evidence, with its time.
        assert verdict.revocation.status == "good" and verdict.revocation.source == "DSS"
        assert verdict.revocation.checked_at is not None
        assert abs(verdict.revocation.checked_at - datetime.now(UTC)) < timedelta(minutes=5)
        assert {r.kind for r in verdict.revisions_after} <= {"dss", "document_timestamp"}
    if level == "B-LTA":
        (doc_ts,) = result.document_timestamps
        assert doc_ts.indication == "TOTAL_PASSED" and doc_ts.kind == "document_timestamp"
        assert "document_timestamp" in [r.kind for r in verdict.revisions_after]


def test_bytes_appended_to_a_b_lta_file_are_said_after_its_document_timestamp(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    """QA78: the warning named "the last signature (Signature1)" where the file's last signed revision is its
    document timestamp."""
    from signing.report import warning_in_vietnamese

    out = _signed(tmp_path / "lta.pdf", signer, test_pki, "B-LTA")
    out.write_bytes(out.read_bytes() + b"\n% appended\n")
    result = verify_pdf(out, [test_pki.root_cert])
    (stamp,) = result.document_timestamps
    (warning,) = [w for w in result.warnings if "beyond the end of its last revision" in w]
    assert f"after its last signature or timestamp ({stamp.field_name})" in warning, warning
    assert warning_in_vietnamese(warning).startswith("có dữ liệu thêm sau chữ ký hoặc dấu thời gian cuối"), warning
    assert not result.passed


def test_a_b_t_signature_after_a_b_lta_one_is_not_b_lt_by_the_earlier_ones_dss(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    """QA79: a B-T counter-signature by the same signer on a B-LTA file was reported "B-LT", its revocation answer
    the earlier signature's, produced before it was made. Only an answer the DSS added after a signature makes it
    B-LT; the first signature keeps its level."""
    first = _signed(tmp_path / "lta.pdf", signer, test_pki, "B-LTA")
    second = tmp_path / "lta-then-bt.pdf"
    facts = sign_pdf(first, second, signer, level="B-T", tsa_url=test_pki.tsa_url)
    assert facts.level == "B-T"
    result = verify_pdf(second, [test_pki.root_cert])
    levels = {v.field_name: v.level for v in result.signatures}
    assert levels == {"Signature1": "B-LTA", facts.field_name: "B-T"}, levels


def test_b_t_verified_online_checks_revocation(tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity) -> None:
    out = tmp_path / "bt.pdf"
    sign_pdf(make_pdf(tmp_path / "in.pdf"), out, signer, level="B-T", tsa_url=test_pki.tsa_url)
    (verdict,) = verify_pdf(out, [test_pki.root_cert], online=True).signatures
    assert verdict.indication == "TOTAL_PASSED"
    assert verdict.revocation.status == "good" and verdict.revocation.source == "online"


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler pdfsig not installed")
def test_pdfsig_agrees_on_every_level(tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity) -> None:
    src = make_pdf(tmp_path / "in.pdf")
    for level in ("B-T", "B-LTA"):
        out = tmp_path / f"{level}.pdf"
        sign_pdf(src, out, signer, level=level, tsa_url=test_pki.tsa_url, validation_roots=_roots(test_pki))
        proc = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True, timeout=60)
        assert "Signature is Valid" in proc.stdout, proc.stdout + proc.stderr


def test_countersign_at_lta_keeps_earlier_signature(tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity) -> None:
    first = tmp_path / "first.pdf"
    second = tmp_path / "second.pdf"
    roots = _roots(test_pki)
    src = make_pdf(tmp_path / "in.pdf")
    sign_pdf(src, first, signer, level="B-LT", tsa_url=test_pki.tsa_url, certify=True, validation_roots=roots)
    sign_pdf(first, second, signer, level="B-LTA", tsa_url=test_pki.tsa_url, validation_roots=roots)
    result = verify_pdf(second, [test_pki.root_cert])
    assert result.passed, result.model_dump_json(indent=2)
    assert [v.field_name for v in result.signatures] == ["Signature1", "Signature2"]
    assert result.signatures[0].certification == "FILL_FORMS"
    assert result.warnings == []
    assert [v.warnings for v in result.signatures] == [[], []]
    assert result.signatures[0].changed_form_fields == ["Signature2"]
    assert result.signatures[1].changed_form_fields == []


def test_long_term_level_without_roots_names_the_problem(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    # The PKCS#12 carries the intermediate only: without configured roots the chain cannot be completed.
    with pytest.raises(SigningError, match=r"in\.pdf: level B-LT needs the certificate chains"):
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "o.pdf", signer, level="B-LT", tsa_url=test_pki.tsa_url)


def test_level_needs_tsa(tmp_path: Path, signer: SigningIdentity) -> None:
    with pytest.raises(SigningError, match="timestamping authority"):
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "o.pdf", signer, level="B-T")
    with pytest.raises(SigningError, match="unknown PAdES level"):
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "o.pdf", signer, level="B-X")


def test_unreachable_tsa_names_the_file_and_the_tsa(tmp_path: Path, signer: SigningIdentity) -> None:
    from signing_pki import free_port

    src = make_pdf(tmp_path / "in.pdf")
    url = f"http://127.0.0.1:{free_port()}/tsa"
    # it said "a service could not be reached (Error while contacting timestamp service)": which, and why not?
    with pytest.raises(SigningServiceError) as caught:
        sign_pdf(src, tmp_path / "o.pdf", signer, level="B-T", tsa_url=url)
    assert str(caught.value) == (
        f"{src}: the timestamping authority at {url} could not be reached (connection refused: nothing answers at "
        f"127.0.0.1 port {url.split(':')[2].split('/')[0]}); signing at B-T needs a timestamp"
    )
    assert not (tmp_path / "o.pdf").exists()


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        # an error page sent with 200: it was "a service could not be reached"
        (
            "/html",
            "HTTP status 200, but text/html instead of a timestamp response, application/timestamp-reply: "
            "'502 Bad Gateway'",
        ),
        # it was asn1crypto's "Error parsing asn1crypto.tsp.TimeStampResp - method should have been constructed …"
        ("/garbage", "its answer, 20 bytes, is not an RFC 3161 timestamp response"),
        ("/empty", "its answer, 0 bytes, is not an RFC 3161 timestamp response"),
        ("/500", "HTTP status 500 Internal Server Error"),
        # an RFC 3161 refusal has no token: it was 'Field "time_stamp_token" is missing from structure'
        ("/refuse", "it refused the request: status 'rejection': 'policy not accepted'; unaccepted_policy"),
        ("/refuse-silently", "it refused the request: status 'rejection'; unaccepted_policy"),
    ],
)
@pytest.mark.parametrize("level", ["B-T", "B-LTA"])
def test_a_tsa_that_answers_no_timestamp_is_named_with_what_it_answered(
    path: str,
    problem: str,
    level: str,
    tmp_path: Path,
    test_pki: TestPKI,
    signer: SigningIdentity,
    broken_service_url: str,
) -> None:
    """A service fault (SigningServiceError: the document is retried, not quarantined) naming the file, the
    TSA's URL and what it answered, in words."""
    src = make_pdf(tmp_path / "in.pdf")
    url = broken_service_url + path
    with pytest.raises(SigningServiceError) as caught:
        sign_pdf(src, tmp_path / "o.pdf", signer, level=level, tsa_url=url, validation_roots=_roots(test_pki))
    assert str(caught.value) == (
        f"{src}: the timestamping authority at {url} did not return a timestamp ({problem}); signing at {level} "
        "needs a timestamp"
    )
    assert not (tmp_path / "o.pdf").exists()


@pytest.mark.parametrize("fault", ["down", "answering 404"])
def test_revocation_services_that_fail_at_long_term_levels_are_named(
    fault: str, tmp_path: Path, test_pki: TestPKI
) -> None:
    """B-LT/B-LTA signing needs the OCSP/CRL answers for the chain: with the services the certificates name down
    (or answering an error) it said "the signing certificate does not validate: … no revocation information could
    be found for intermediate certificate 1 …" — a certificate problem, naming no service. It is a service fault
    (SigningServiceError: retried, never quarantined) that names the service, its URL and where that URL comes
    from."""
    with running_pki(tmp_path / "gone") as gone:
        pass  # generated, then stopped: its certificates name OCSP/CRL URLs on a port nobody answers on now
    identity = load_identity(
        "pkcs12", keys_dir=tmp_path, pkcs12_file=gone.pkcs12_file(SIGNER), passphrase=PKCS12_PASSWORD
    )
    roots = load_trust_roots([gone.root_cert, test_pki.root_cert])[0]  # the timestamps come from the live PKI
    port = int(gone.base_url.rsplit(":", 1)[1])
    crl_url = f"{gone.base_url}/sohoa-test/crls/root/latest.crl"
    src = make_pdf(tmp_path / "in.pdf")
    with contextlib.ExitStack() as stack:
        if fault == "answering 404":
            stack.enter_context(broken_service(port))  # a web server there that knows none of the paths
        for level in ("B-LT", "B-LTA"):
            with pytest.raises(SigningServiceError) as caught:
                sign_pdf(
                    src, tmp_path / "o.pdf", identity, level=level, tsa_url=test_pki.tsa_url, validation_roots=roots
                )
            what = (
                f"could not be reached (connection refused: nothing answers at 127.0.0.1 port {port})"
                if fault == "down"
                else "gave no usable answer (HTTP status 404 Not Found)"
            )
            assert str(caught.value) == (
                f"{src}: signing at {level} needs the revocation status (OCSP/CRL) of the certificates, but the CRL "
                f"server at {crl_url} (named in the certificate 'sohoa Test Issuing CA') {what}"
            )
            vietnamese = caught.value.vietnamese  # the officer's report (the reason of a failed document)
            assert vietnamese.startswith(
                f"ký ở mức {level} cần tình trạng thu hồi (OCSP/CRL) của các chứng thư, nhưng máy chủ CRL {crl_url} "
                f"(ghi trong chứng thư 'sohoa Test Issuing CA') "
                + ("không kết nối được (" if fault == "down" else "không trả lời dùng được (mã trạng thái HTTP 404")
            ), vietnamese
            assert not (tmp_path / "o.pdf").exists()


# -- revoked and expired signers ------------------------------------------------------------------------------


def test_revoked_signer_refused_at_long_term_levels(tmp_path: Path, test_pki: TestPKI) -> None:
    revoked = load_identity(
        "pkcs12", keys_dir=tmp_path, pkcs12_file=test_pki.pkcs12_file(SIGNER_REVOKED), passphrase=PKCS12_PASSWORD
    )
    with pytest.raises(SigningError, match=r"in\.pdf: .*certificate is revoked: .*revoked at .*compromised key"):
        sign_pdf(
            make_pdf(tmp_path / "in.pdf"),
            tmp_path / "o.pdf",
            revoked,
            level="B-LT",
            tsa_url=test_pki.tsa_url,
            validation_roots=_roots(test_pki),
        )


def test_revoked_signer_fails_verification_online(tmp_path: Path, test_pki: TestPKI) -> None:
    revoked = load_identity(
        "pkcs12", keys_dir=tmp_path, pkcs12_file=test_pki.pkcs12_file(SIGNER_REVOKED), passphrase=PKCS12_PASSWORD
    )
    out = tmp_path / "revoked.pdf"
    sign_pdf(make_pdf(tmp_path / "in.pdf"), out, revoked, level="B-T", tsa_url=test_pki.tsa_url)
    # offline it used to pass ("Hợp lệ / TOTAL_PASSED", revocation "not checked"): now it is not vouched for
    (offline,) = verify_pdf(out, [test_pki.root_cert]).signatures
    assert (offline.indication, offline.sub_indication) == ("INDETERMINATE", "TRY_LATER")
    result = verify_pdf(out, [test_pki.root_cert], online=True)
    assert not result.passed
    (verdict,) = result.signatures
    assert verdict.indication == "TOTAL_FAILED" and verdict.sub_indication == "REVOKED"
    assert verdict.revocation.status == "revoked" and verdict.revocation.revoked_at is not None
    assert verdict.revocation.reason == "key_compromise"
    # QA92: the chain reaches the trusted root, which says whose revocation it is ("Trust anchor: —" before); so
    # offline, where revocation could not be checked
    assert verdict.trust_anchor == offline.trust_anchor == "CN=sohoa Test Root CA,O=sohoa TEST PKI,C=VN"
    # QA65: when the answer that said so was produced, as for a good signer checked online ("checked at —"
    # before), and the reason in words in the reports (only the JSON had it)
    assert verdict.revocation.source == "online" and verdict.revocation.checked_at is not None
    assert abs(verdict.revocation.checked_at - datetime.now(UTC)) < timedelta(minutes=5)
    from signing.report import render_html, render_text, report_header

    header = report_header([test_pki.root_cert], online=True)
    text = render_text([result], header)
    assert "kiểm tra lúc / checked at —" not in text, text
    assert "lý do / reason: khóa bị lộ / key compromise (key_compromise)" in text, text
    assert "lý do / reason: khóa bị lộ / key compromise (key_compromise)" in render_html([result], header)


def test_another_cas_answer_for_the_same_serial_number_does_not_vouch_for_a_revoked_signer(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    """QA78: serial numbers are unique within one CA only. A signature by a certificate revoked two hours before
    signing (a second CA's certificate number N), with the DSS of the file then given an OCSP answer the first CA
    made for its own certificate N (genuine, "good" — an LTV-style update anyone may append), passed offline:
    `ĐẠT / PASSED`, "not revoked; source DSS", as the answer was matched by serial number alone. pyHanko's check
    passes a certificate no answer is for, so sohoa's "revocation not checked" is what stands between; it now takes
    an answer only for the certificate's whole CertID (issuer name and key hashes too)."""
    from asn1crypto import ocsp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    donor = _signed(
        tmp_path / "donor.pdf", signer, test_pki, "B-LT"
    )  # the first CA's signer: its OCSP answer in the DSS
    with open(donor, "rb") as fh:
        dss = PdfFileReader(fh).root["/DSS"]
        answers = [ocsp.OCSPResponse.load(o.get_object().data) for o in dss["/OCSPs"]]
    assert answers
    with running_pki(tmp_path / "pki-2", ca_suffix=" 2", signer_revoked=True) as other:
        revoked = load_identity(
            "pkcs12", keys_dir=tmp_path, pkcs12_file=other.pkcs12_file(SIGNER), passphrase=PKCS12_PASSWORD
        )
        first = x509.load_pem_x509_certificate(test_pki.cert_file(SIGNER).read_bytes())
        second = x509.load_pem_x509_certificate(other.cert_file(SIGNER).read_bytes())
        assert first.serial_number == second.serial_number and first.issuer != second.issuer
        signed = tmp_path / "revoked-b-t.pdf"
        sign_pdf(make_pdf(tmp_path / "in2.pdf"), signed, revoked, level="B-T", tsa_url=other.tsa_url)
        forged = tmp_path / "revoked-with-dss.pdf"
        with open(signed, "rb") as fh:
            writer = IncrementalPdfFileWriter(fh)
            DocumentSecurityStore.supply_dss_in_writer(writer, None, ocsps=answers)
            with open(forged, "wb") as out:
                writer.write(out)
        roots = [test_pki.root_cert, other.root_cert]
        result = verify_pdf(forged, roots)
        (verdict,) = result.signatures
        assert not result.passed and (verdict.indication, verdict.sub_indication) == ("INDETERMINATE", "TRY_LATER")
        assert verdict.revocation.status == "not_checked", verdict.revocation
        assert any("revocation not checked" in w for w in verdict.warnings), verdict.warnings
        # nor is it B-LT: the DSS holds nothing about its signer (any DSS made it "B-LT", QA78)
        assert verdict.level == "B-T", verdict.level
        (online,) = verify_pdf(forged, roots, online=True).signatures
        assert (online.indication, online.sub_indication) == ("TOTAL_FAILED", "REVOKED")
        # a signer whose chain reaches none of the roots given: its answers are none pyHanko accepted (QA79: a forged
        # "good" answer beside a failed chain was reported "not revoked, DSS", level B-LT)
        (untrusted,) = verify_pdf(donor, [other.root_cert]).signatures
        assert untrusted.indication != "TOTAL_PASSED" and untrusted.revocation.status == "not_checked", untrusted
    # the first CA's own signer keeps its answer as evidence
    (kept,) = verify_pdf(donor, [test_pki.root_cert]).signatures
    assert kept.indication == "TOTAL_PASSED" and kept.revocation.status == "good" and kept.revocation.source == "DSS"


def test_a_pkcs12_identity_that_cannot_be_used_is_said_in_both_languages(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA78: the PKCS#12 file's problems were said in English only (the PKCS#11 token's in both), without the
    setting to change."""
    p12 = test_pki.pkcs12_file(SIGNER)
    for path, passphrase, vietnamese, english in (
        (p12, b"not-it", "không mở được tệp PKCS#12 (sai mật khẩu", "cannot open the PKCS#12 file (wrong password"),
        (tmp_path / "không có.p12", PKCS12_PASSWORD, "không có tệp PKCS#12 này", "PKCS#12 file not found"),
    ):
        with pytest.raises(SigningConfigError) as refused:
            load_identity("pkcs12", keys_dir=tmp_path, pkcs12_file=path, passphrase=passphrase)
        said = str(refused.value)
        assert vietnamese in said and english in said and "SOHOA_PKCS12" in said, said
    with pytest.raises(
        SigningConfigError, match="chứng thư số ký đã hết hạn ngày .* / the signing certificate expired"
    ):
        load_identity(
            "pkcs12", keys_dir=tmp_path, pkcs12_file=test_pki.pkcs12_file(SIGNER_EXPIRED), passphrase=PKCS12_PASSWORD
        )


def test_expired_signer_refused_when_loading(tmp_path: Path, test_pki: TestPKI) -> None:
    p12 = test_pki.pkcs12_file(SIGNER_EXPIRED)
    with pytest.raises(SigningConfigError, match=rf"{p12.name}.*expired"):
        load_identity("pkcs12", keys_dir=tmp_path, pkcs12_file=p12, passphrase=PKCS12_PASSWORD)


def test_signature_by_expired_certificate_is_not_passed(tmp_path: Path, test_pki: TestPKI) -> None:
    # sohoa refuses to sign with it (above), so make such a file with pyHanko directly.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    raw = signers.SimpleSigner.load_pkcs12(str(test_pki.pkcs12_file(SIGNER_EXPIRED)), passphrase=PKCS12_PASSWORD)
    assert raw is not None
    out = tmp_path / "expired.pdf"
    with open(make_pdf(tmp_path / "in.pdf"), "rb") as fh, open(out, "wb") as dst:
        meta = signers.PdfSignatureMetadata(field_name="Signature1")
        signers.sign_pdf(IncrementalPdfFileWriter(fh), meta, signer=raw, output=dst)
    result = verify_pdf(out, [test_pki.root_cert])
    assert not result.passed
    (verdict,) = result.signatures
    assert verdict.indication != "TOTAL_PASSED"
    assert verdict.sub_indication in {"EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"}


def test_default_level_is_lta_with_a_tsa_else_b_b_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from signing import resolve_level
    from signing.policy import _warn_once

    _warn_once.cache_clear()
    assert resolve_level(None, "http://tsa.example/") == "B-LTA"
    assert resolve_level("b-t", "http://tsa.example/") == "B-T"
    with caplog.at_level("WARNING"):
        assert resolve_level(None, None) == "B-B"
    assert "no timestamping authority" in caplog.text


def test_signing_keeps_pdfa_identification_and_output_intent(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    import pikepdf

    src = make_pdf(tmp_path / "in.pdf")
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        icc = pdf.make_stream(b"fake-icc-profile-for-structure-test", N=3)
        pdf.Root.OutputIntents = pikepdf.Array(
            [pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1, DestOutputProfile=icc)]
        )
        pdf.save(src)
    out = tmp_path / "lta.pdf"
    sign_pdf(src, out, signer, level="B-LTA", tsa_url=test_pki.tsa_url, validation_roots=_roots(test_pki))
    with pikepdf.open(out) as pdf:
        assert "/OutputIntents" in pdf.Root
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
    # the original bytes are the first revision, untouched
    assert out.read_bytes().startswith(src.read_bytes())


def test_an_ecdsa_signature_leaves_a_pdf17_document_pdf17(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    """pyHanko would declare ISO/TS 32002 for the P-256 key and set the catalogue's Version to 2.0, which no
    PDF/A-2 document may declare; sohoa declares PAdES's ESIC extension to PDF 1.7 only. A PDF 2.0 input keeps
    what pyHanko does."""
    import pikepdf

    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "lta.pdf"
    sign_pdf(src, out, signer, level="B-LTA", tsa_url=test_pki.tsa_url, validation_roots=_roots(test_pki))
    with pikepdf.open(out) as pdf:
        assert str(pdf.Root.get("/Version", "/1.7")) <= "/1.7" and pdf.pdf_version <= "1.7"
        extensions = pdf.Root.get("/Extensions", {})
        assert "/ESIC" in extensions and "/ISO_" not in extensions
    assert verify_pdf(out, [test_pki.root_cert]).passed

    with pikepdf.open(src) as pdf:
        pdf.Root.Version = pikepdf.Name("/2.0")
        pdf.save(tmp_path / "v20.pdf")
    sign_pdf(tmp_path / "v20.pdf", tmp_path / "v20-signed.pdf", signer)
    with pikepdf.open(tmp_path / "v20-signed.pdf") as pdf:
        assert str(pdf.Root.Version) == "/2.0" and "/ISO_" in pdf.Root.Extensions


def test_long_term_signature_still_passes_after_the_signer_certificate_expired(tmp_path: Path) -> None:
    """B-LT: validated at the time of its signature timestamp with the embedded revocation data; B-T
    (nothing embedded) cannot be, and says why."""
    import time as _time

    from signing_pki import SIGNER_SHORT

    with running_pki(tmp_path / "pki", short_seconds=6) as pki:
        ident = load_identity(
            "pkcs12", keys_dir=tmp_path, pkcs12_file=pki.pkcs12_file(SIGNER_SHORT), passphrase=PKCS12_PASSWORD
        )
        roots = _roots(pki)
        src = make_pdf(tmp_path / "in.pdf")
        for level in ("B-T", "B-LT"):
            sign_pdf(src, tmp_path / f"{level}.pdf", ident, level=level, tsa_url=pki.tsa_url, validation_roots=roots)
        fresh = verify_pdf(tmp_path / "B-LT.pdf", [pki.root_cert])
        assert fresh.passed and fresh.signatures[0].validation_time is None
        expiry = x509.load_pem_x509_certificate(pki.cert_file(SIGNER_SHORT).read_bytes()).not_valid_after_utc
        _time.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 1.5)

        (lt,) = verify_pdf(tmp_path / "B-LT.pdf", [pki.root_cert]).signatures
        assert lt.indication == "TOTAL_PASSED", lt
        assert lt.validation_time is not None and lt.validation_time < expiry
        assert lt.signing_time_source == "timestamp"
        (bt,) = verify_pdf(tmp_path / "B-T.pdf", [pki.root_cert]).signatures
        assert bt.indication == "INDETERMINATE" and bt.sub_indication == "OUT_OF_BOUNDS_NO_POE", bt


def test_only_self_signed_certificates_of_the_identity_stand_in_for_missing_roots(
    signer: SigningIdentity, tmp_path: Path
) -> None:
    # asn1crypto's Certificate.self_signed is "no"/"maybe"/"yes": a truth test took the signer's own certificate
    # and the intermediate for trust roots of the B-LT/B-LTA pre-signing validation
    from signing.sign import _validation_roots

    assert _validation_roots(signer, None) == []  # the test PKCS#12 carries the intermediate, not the root
    dev = load_identity("dev", keys_dir=tmp_path)  # its chain includes the development CA, self-signed
    (root,) = _validation_roots(dev, None)
    assert root.self_signed == "maybe" or root.self_signed == "yes"
    assert "DEVELOPMENT" in root.subject.human_friendly.upper()


def test_signer_revocation_asked_before_signing(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    """`signing.standing`: what the batch and `sohoa sign` ask before signing at any level — good, revoked (when and
    why), unknown when the services the certificate names are down (with which), not asked for a certificate that
    names none."""
    from signing.standing import signer_revocation

    roots = _roots(test_pki)
    assert signer_revocation(signer, roots, fresh=True).status == "good"
    revoked_identity = load_identity(
        "pkcs12", keys_dir=tmp_path, pkcs12_file=test_pki.pkcs12_file(SIGNER_REVOKED), passphrase=PKCS12_PASSWORD
    )
    revoked = signer_revocation(revoked_identity, roots, fresh=True)
    assert revoked.status == "revoked" and revoked.reason == "key_compromise"
    assert revoked.revoked_at is not None and abs(revoked.revoked_at - datetime.now(UTC)) < timedelta(hours=3)
    # without a configured root (the PKCS#12 file carries none): not judged, and said how to mend it
    rootless = signer_revocation(revoked_identity, ())
    assert rootless.status == "unknown" and "configure SOHOA_TRUST_ROOTS" in rootless.warning()
    assert signer_revocation(revoked_identity, roots).status == "revoked"  # kept apart: other roots, other answer

    with running_pki(tmp_path / "gone") as gone:
        pass  # stopped: its certificates name OCSP/CRL URLs nobody answers on now
    orphan = load_identity(
        "pkcs12", keys_dir=tmp_path, pkcs12_file=gone.pkcs12_file(SIGNER), passphrase=PKCS12_PASSWORD
    )
    unknown = signer_revocation(orphan, load_trust_roots([gone.root_cert])[0], fresh=True)
    assert unknown.status == "unknown"
    warning = unknown.warning()
    assert warning.startswith("chưa kiểm tra được chứng thư số ký 'Nguyễn Văn An' có bị thu hồi hay không (máy chủ")
    assert f"the OCSP responder at {gone.base_url}/sohoa-test/ocsp/interm" in warning
    assert "could not be reached" in warning
    assert warning.endswith("signing all the same")
    # what a batch does with it: signs on, warning once per ask — not at each pass of a watcher (every 10 s)
    from flows.pipeline import signer_revocation_refusal
    from sohoa.settings import Settings

    settings = Settings(data_dir=tmp_path / "var", trust_roots=[gone.root_cert])  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING, logger="flows.pipeline"):
        assert signer_revocation_refusal(orphan, settings) is None
        assert signer_revocation_refusal(orphan, settings) is None
    assert [r.getMessage() for r in caplog.records].count(warning) == 1

    dev = load_identity("dev", keys_dir=tmp_path / "keys")
    assert signer_revocation(dev).status == "not_checked"


def test_signer_revocation_services_that_never_answer_are_named(tmp_path: Path) -> None:
    """QA70: OCSP/CRL services that take the connection and never answer left the warning empty — "(); vẫn ký /
    (TimeoutError)". They are named, with what they did, in both languages (one wait of pyHanko's fetch timeout)."""
    import socket

    from signing.standing import signer_revocation

    with running_pki(tmp_path / "gone") as gone:
        pass
    port = int(gone.base_url.rsplit(":", 1)[1])
    identity = load_identity(
        "pkcs12", keys_dir=tmp_path, pkcs12_file=gone.pkcs12_file(SIGNER), passphrase=PKCS12_PASSWORD
    )
    with socket.socket() as silent:  # listening, never accepting: connections wait in its backlog
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", port))
        silent.listen(50)
        found = signer_revocation(identity, load_trust_roots([gone.root_cert])[0], fresh=True)
    assert found.status == "unknown"
    ocsp = f"{gone.base_url}/sohoa-test/ocsp/interm"
    assert found.why_vi and ocsp in found.why_vi and "không trả lời kịp" in found.why_vi, found
    assert ocsp in found.why and "did not answer in time" in found.why, found
