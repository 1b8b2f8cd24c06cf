"""QA92, `sohoa verify` as an auditor checking PDFs signed elsewhere: what the reports say of a change after signing,
of a self-signed or an expired signer, of `--at`, and of names a certificate spells decomposed."""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from signing_pki import PKCS12_PASSWORD, SIGNER, TestPKI

from signing import verify_pdf
from signing.report import as_json, render_html, render_text, report_header
from sohoa.vietnamese import iso_vn


def _form_pdf(path: Path) -> Path:
    """One page with a line of text and a text field, HoTen (as QA92's base-form.pdf)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(b"BT /F1 14 Tf 72 760 Td (QUYET DINH so 15/QD-UBND: cap 100 trieu dong) Tj ET")
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            FT=pikepdf.Name.Tx,
            T=pikepdf.String("HoTen"),
            Rect=[72, 600, 300, 620],
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            P=page.obj,
            F=4,
            DA=pikepdf.String("/Helv 0 Tf 0 g"),
        )
    )
    page.Annots = pdf.make_indirect(pikepdf.Array([field]))
    pdf.Root.AcroForm = pdf.make_indirect(
        pikepdf.Dictionary(
            Fields=pikepdf.Array([field]),
            DR=pikepdf.Dictionary(Font=pikepdf.Dictionary(Helv=font)),
            DA=pikepdf.String("/Helv 0 Tf 0 g"),
        )
    )
    pdf.save(path)
    return path


def _pkcs12_signer(pki: TestPKI, label: str = SIGNER) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load_pkcs12(str(pki.pkcs12_file(label)), passphrase=PKCS12_PASSWORD)
    assert signer is not None
    return signer


def _sign(
    source: Path, target: Path, signer: signers.Signer, certify: MDPPerm | None = None, tsa_url: str | None = None
) -> Path:
    """``source`` signed by ``signer`` (B-B; B-T with ``tsa_url``), a certification signature with ``certify``."""
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        subfilter=SigSeedSubFilter.PADES,
        certify=certify is not None,
        docmdp_permissions=certify or MDPPerm.FILL_FORMS,
    )
    out = io.BytesIO()
    timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(source.read_bytes())), output=out
    )
    target.write_bytes(out.getvalue())
    return target


def _incremental(source: Path, target: Path, change: str) -> Path:
    """``source`` with a revision added: the field HoTen filled ("fill"), or the page's text replaced ("retext")."""
    writer = IncrementalPdfFileWriter(io.BytesIO(source.read_bytes()))
    if change == "fill":
        field = writer.root["/AcroForm"]["/Fields"].raw_get(0).get_object()
        field["/V"] = generic.pdf_string("Nguyen Van B")
        writer.update_container(field)
    else:
        page = writer.root["/Pages"]["/Kids"].raw_get(0).get_object()
        text = b"BT /F1 14 Tf 72 760 Td (QUYET DINH so 15/QD-UBND: cap 900 trieu dong) Tj ET"
        page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=text))
        writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    target.write_bytes(out.getvalue())
    return target


def test_a_change_after_signing_the_signature_does_not_permit_is_said_in_words_on_one_line(
    tmp_path: Path, test_pki: TestPKI
) -> None:
    """QA92 finding 4: pyHanko's DiffResult repr, its Reference(idnum=…) and AbsoluteContext(…) over three lines were
    the warning (in the text report, its continuation lines at the first column, where a file's heading is)."""
    form = _form_pdf(tmp_path / "form.pdf")
    signer = _pkcs12_signer(test_pki)
    filled = _incremental(
        _sign(form, tmp_path / "cert1.pdf", signer, MDPPerm.NO_CHANGES), tmp_path / "fill.pdf", "fill"
    )
    retext = _incremental(_sign(form, tmp_path / "appr.pdf", signer), tmp_path / "retext.pdf", "retext")
    results = [verify_pdf(path, [test_pki.root_cert]) for path in (filled, retext)]
    (fill,), (changed,) = (result.signatures for result in results)

    assert (fill.indication, fill.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert (
        "the document was modified after signing in a way the signature does not permit: form field(s) HoTen were "
        "filled or signed after it, which the signature's DocMDP permission (NO_CHANGES) does not allow"
    ) in fill.warnings, fill.warnings
    assert (changed.indication, changed.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert (
        "the document was modified after signing in a way the signature does not permit: revision 2 replaced parts "
        "of the signed document (a page) that no permitted change explains"
    ) in changed.warnings, changed.warnings
    # pyHanko's own text is for a technician, in the JSON only
    assert changed.modification_detail is not None and "AbsoluteContext" in changed.modification_detail

    header = report_header([test_pki.root_cert], now=datetime.now(UTC))
    text, page = render_text(results, header), render_html(results, header)
    for internal in ("DiffResult", "Reference(", "AbsoluteContext", "PathInRevision", "ModificationLevel."):
        assert internal not in text and internal not in page, internal
    assert "Some objects" not in text  # no continuation line: every line of a file's block is indented
    file_lines = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert not [line for line in file_lines if "revision" in line.lower()], file_lines
    assert (
        "tài liệu bị sửa đổi sau khi ký theo cách chữ ký không cho phép: trường biểu mẫu HoTen đã được điền hoặc ký "
        "sau khi ký, điều quyền DocMDP của chữ ký (NO_CHANGES) không cho phép / the document was modified"
    ) in text
    assert (
        "tài liệu bị sửa đổi sau khi ký theo cách chữ ký không cho phép: phiên bản 2 thay thế các phần của tài liệu "
        "đã ký (một trang) mà không thay đổi được phép nào giải thích được / the document was modified"
    ) in text
    (_, retext_json) = as_json(results, header)["files"]
    assert "AbsoluteContext" in retext_json["signatures"][0]["modification_detail"]
    assert json.dumps(retext_json["signatures"][0]["warnings"]).count("AbsoluteContext") == 0


@pytest.mark.parametrize(
    "detail",
    ["a library's message\nover two lines", "one\r\nmore"],
)
def test_a_warning_s_line_breaks_stay_off_the_report_s_first_column(detail: str) -> None:
    from signing.verify import FileVerification

    result = FileVerification(path="x.pdf", warnings=[f"signature could not be validated: {detail}"])
    result.fail("damaged PDF, cannot be read: x", "tệp PDF bị hỏng, không đọc được: x", detail)
    lines = render_text([result]).splitlines()
    assert [line for line in lines if not line.startswith(" ")][
        0
    ] == "x.pdf: KHÔNG ĐẠT / NOT PASSED — lỗi, không có kết quả / error, no verdict"
    assert all(line.startswith(("  ", "x.pdf", "Tổng", "Theo")) for line in lines), lines


def test_the_note_on_a_certificate_expired_after_signing_gives_vietnam_time_to_the_second() -> None:
    """QA92 finding 6: "expired on 2026-12-03, after signing … (signed at 2026-12-03T23:38:32.043193+00:00)" below a
    signing time of 2026-12-04T06:38:32+07:00: the day and the time were UTC's, with microseconds."""
    from signing.verify import _expiry_notes

    expired = datetime(2026, 12, 3, 23, 41, 10, tzinfo=UTC)
    signed = datetime(2026, 12, 3, 23, 38, 32, 43193, tzinfo=UTC)
    for indication, sub in (("TOTAL_PASSED", None), ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE")):
        (note,) = _expiry_notes(expired, indication, sub, signed, "timestamp", True, has_dss=False)  # type: ignore[arg-type]
        assert "2026-12-03" not in note and "+00:00" not in note and ".043193" not in note, note
        assert note.startswith("chứng thư của người ký đã hết hạn ngày 2026-12-04, sau"), note
        assert "expired on 2026-12-04, after signing" in note, note
        assert note.count("2026-12-04T06:38:32+07:00") == 2, note  # in both languages


def test_at_before_the_signing_time_is_said_with_both_times_in_both_languages(
    tmp_path: Path, test_pki: TestPKI
) -> None:
    """QA92 finding 8: the Vietnamese half said only "thời điểm kiểm tra trước thời điểm ký", without the times or
    the conclusion, and the signing time had microseconds."""
    signed = _sign(
        _form_pdf(tmp_path / "form.pdf"), tmp_path / "bt.pdf", _pkcs12_signer(test_pki), tsa_url=test_pki.tsa_url
    )
    at = datetime.fromisoformat("2020-01-01T00:00:00+00:00")
    result = verify_pdf(signed, [test_pki.root_cert], at=at)
    (verdict,) = result.signatures
    assert verdict.signing_time_source == "timestamp" and verdict.signing_time is not None
    signing_time = iso_vn(verdict.signing_time)
    english = (
        f"--at 2020-01-01T07:00:00+07:00 is before the signing time {signing_time}: the signature did not exist yet, "
        "so it cannot be judged valid then"
    )
    assert english in verdict.warnings, verdict.warnings
    text = render_text([result], report_header([test_pki.root_cert], as_of=at, now=datetime.now(UTC)))
    assert (
        f"cảnh báo / warning: thời điểm kiểm tra --at 2020-01-01T07:00:00+07:00 trước thời điểm ký {signing_time}: "
        f"khi đó chữ ký chưa tồn tại, nên không thể coi là hợp lệ vào lúc đó / {english}"
    ) in text, text


def test_at_before_the_signing_time_is_no_pass(tmp_path: Path) -> None:
    """QA99 F2: `--at` a minute before the signature, the certificate valid then: TOTAL_PASSED, exit 0, under a
    warning that the signature "did not exist yet, so it cannot be judged valid then". The verdict follows the
    words: INDETERMINATE, NO_POE (nothing proves the signature existed then), said in both languages."""
    signer, own_cert = _self_signed(tmp_path, "Người Ký Thử")  # no revocation service: B-B passes offline
    signed = _sign(_form_pdf(tmp_path / "form.pdf"), tmp_path / "bb.pdf", signer)
    (now,) = verify_pdf(signed, [own_cert]).signatures
    assert now.indication == "TOTAL_PASSED" and now.signing_time is not None, now
    at = now.signing_time - timedelta(minutes=1)  # the certificate valid then, from a day before
    result = verify_pdf(signed, [own_cert], at=at)
    (then,) = result.signatures
    assert (then.indication, then.sub_indication) == ("INDETERMINATE", "NO_POE"), then
    assert not result.passed
    text = render_text([result], report_header([own_cert], as_of=at, now=datetime.now(UTC)))
    assert "INDETERMINATE (không có bằng chứng chữ ký đã có vào thời điểm đó / NO_POE)" in text, text


def _self_signed(folder: Path, common_name: str) -> tuple[signers.SimpleSigner, Path]:
    """A signer whose certificate issued itself (no CA), with its certificate's PEM file (to --trust it)."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = folder / "self-signed.cert.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    signer = signers.SimpleSigner(
        signing_cert=asn1_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert]),
    )
    return signer, pem


def test_names_a_certificate_spells_decomposed_are_shown_composed(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA92 finding 9: a signer's name written NFD in its certificate was shown so in every report, and a search for
    it typed (NFC) found nothing."""
    composed = "Nguyễn Thị Hồng Nhung"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    signer, _ = _self_signed(tmp_path, decomposed)
    result = verify_pdf(_sign(_form_pdf(tmp_path / "form.pdf"), tmp_path / "nfd.pdf", signer), [test_pki.root_cert])
    (verdict,) = result.signatures
    assert verdict.signer == verdict.issuer == f"CN={composed},C=VN"
    header = report_header([test_pki.root_cert], now=datetime.now(UTC))
    json_text = json.dumps(as_json([result], header), ensure_ascii=False)
    for report in (render_text([result], header), render_html([result], header), json_text):
        assert composed in report and decomposed not in report


def test_a_self_signed_signer_is_said_in_words(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA92 finding 7: a signer whose certificate issued itself was only "chuỗi chứng thư vi phạm ràng buộc /
    CHAIN_CONSTRAINTS_FAILURE"; trusted with --trust of its own certificate it passes, as before."""
    signer, own_cert = _self_signed(tmp_path, "Tự Ký Nguyễn")
    signed = _sign(_form_pdf(tmp_path / "form.pdf"), tmp_path / "self.pdf", signer)
    result = verify_pdf(signed, [test_pki.root_cert])
    (verdict,) = result.signatures
    assert verdict.indication == "INDETERMINATE" and verdict.sub_indication_of == "signer"
    english = (
        f"certificate problem: {verdict.sub_indication} — the signer's certificate is self-signed (issued by no CA): "
        "it can be trusted only if that certificate itself is given as a trust root (--trust)"
    )
    assert english in verdict.warnings, verdict.warnings
    text = render_text([result], report_header([test_pki.root_cert], now=datetime.now(UTC)))
    assert (
        "cảnh báo / warning: vấn đề chứng thư: chứng thư của người ký là chứng thư tự ký (không do CA nào cấp): chỉ có "
        f"thể tin cậy khi chính chứng thư đó được chỉ định làm gốc tin cậy (--trust) / {english}"
    ) in text, text
    assert verify_pdf(signed, [own_cert]).passed
    # a certificate of the test PKI's, issued by its CA, is not said to be self-signed
    other = verify_pdf(_sign(tmp_path / "form.pdf", tmp_path / "ca.pdf", _pkcs12_signer(test_pki)), [own_cert])
    assert not [w for w in other.signatures[0].warnings if "self-signed" in w]


def test_a_certificate_expired_before_the_timestamped_signing_time_is_said_to_have_signed_expired(
    tmp_path: Path, test_pki: TestPKI
) -> None:
    """QA92 finding 2: a certificate expired 35 days before the time a trusted timestamp proves read only
    "chứng thư đã hết hạn, không có bằng chứng chữ ký có trước / OUT_OF_BOUNDS_NO_POE", with no date. pyHanko keeps
    it INDETERMINATE (ETSI EN 319 102-1: the best signature time is after the expiry), and so does sohoa."""
    from cryptography import x509
    from signing_pki import SIGNER_EXPIRED

    signed = _sign(
        _form_pdf(tmp_path / "form.pdf"),
        tmp_path / "expired-bt.pdf",
        _pkcs12_signer(test_pki, SIGNER_EXPIRED),
        tsa_url=test_pki.tsa_url,
    )
    result = verify_pdf(signed, [test_pki.root_cert])
    (verdict,) = result.signatures
    assert verdict.indication == "INDETERMINATE" and verdict.sub_indication == "OUT_OF_BOUNDS_NO_POE", verdict
    assert verdict.signing_time is not None and verdict.timestamp_trusted
    expiry = x509.load_pem_x509_certificate(test_pki.cert_file(SIGNER_EXPIRED).read_bytes()).not_valid_after_utc
    days = (verdict.signing_time - expiry).days
    assert days >= 34
    english = (
        "certificate problem: OUT_OF_BOUNDS_NO_POE — the signer's certificate had expired when it signed: it expired "
        f"at {iso_vn(expiry)}, and the trusted signature timestamp proves the signature was made at "
        f"{iso_vn(verdict.signing_time)}, {days} day(s) later"
    )
    assert english in verdict.warnings, verdict.warnings
    text = render_text([result], report_header([test_pki.root_cert], now=datetime.now(UTC)))
    assert (
        "cảnh báo / warning: vấn đề chứng thư: chứng thư của người ký đã hết hạn khi ký: hết hạn lúc "
        f"{iso_vn(expiry)}, và dấu thời gian tin cậy của chữ ký chứng minh chữ ký được tạo lúc "
        f"{iso_vn(verdict.signing_time)}, {days} ngày sau đó / {english}"
    ) in text, text


def test_a_file_with_document_timestamps_only_is_judged_by_them(tmp_path: Path, test_pki: TestPKI) -> None:
    """QA92 finding 1: a file with a document timestamp and no signature was "error, no verdict", and so was the same
    file with a byte of its timestamped content changed: an auditor could not tell them apart. Each timestamp is
    judged: the changed file fails (HASH_FAILURE), the intact one is not passed (a timestamp approves nothing),
    and the report says why in both languages."""
    form = _form_pdf(tmp_path / "form.pdf")
    out = io.BytesIO()
    signers.PdfTimeStamper(timestamps.HTTPTimeStamper(test_pki.tsa_url)).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(form.read_bytes())), "sha256", output=out
    )
    stamped = tmp_path / "dấu thời gian.pdf"
    stamped.write_bytes(out.getvalue())
    changed = tmp_path / "sửa.pdf"
    changed.write_bytes(
        out.getvalue().replace(b"/Helv 0 Tf", b"/Helv 9 Tf", 1)
    )  # the form's text size, in the stamped bytes
    assert changed.read_bytes() != stamped.read_bytes()
    intact, tampered = (verify_pdf(path, [test_pki.root_cert]) for path in (stamped, changed))

    assert intact.error is None and intact.signatures == [] and not intact.passed
    assert [ts.indication for ts in intact.document_timestamps] != ["TOTAL_FAILED"]
    assert tampered.error is None
    assert [(ts.indication, ts.sub_indication) for ts in tampered.document_timestamps] == [
        ("TOTAL_FAILED", "HASH_FAILURE")
    ]
    report = as_json([intact, tampered], report_header([test_pki.root_cert], now=datetime.now(UTC)))
    assert [entry["class"] for entry in report["files"]] == ["indeterminate", "failed"]
    text = render_text([intact], report_header([test_pki.root_cert], now=datetime.now(UTC)))
    assert "không có chữ ký nào, chỉ có 1 dấu thời gian tài liệu" in text
    assert "no signature, only document timestamps (1)" in text


def test_an_annotation_after_a_certification_allowing_annotations_is_not_failed(
    tmp_path: Path, test_pki: TestPKI
) -> None:
    """QA92 finding 3: a certification allowing annotations (DocMDP P=3), then a note added, was TOTAL_FAILED,
    "modified in a way the signature does not permit": pyHanko's change analysis was not designed for that level,
    as it logs. Not judged, and said so; the same note after a certification allowing no change still fails."""
    form = _form_pdf(tmp_path / "form.pdf")
    signer = _pkcs12_signer(test_pki)
    results = []
    for permission in (MDPPerm.ANNOTATE, MDPPerm.NO_CHANGES):
        certified = _sign(form, tmp_path / f"cert-{permission.name}.pdf", signer, permission)
        writer = IncrementalPdfFileWriter(io.BytesIO(certified.read_bytes()))
        page = writer.root["/Pages"]["/Kids"].raw_get(0).get_object()
        note = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Text"),
                generic.NameObject("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in (400, 700, 420, 720)),
                generic.NameObject("/Contents"): generic.pdf_string("Đã xem"),
            }
        )
        annotations = page["/Annots"]  # an indirect array (the form's field widget in it)
        annotations.append(writer.add_object(note))
        writer.update_container(annotations)
        out = io.BytesIO()
        writer.write(out)
        annotated = tmp_path / f"annotated-{permission.name}.pdf"
        annotated.write_bytes(out.getvalue())
        results.append(verify_pdf(annotated, [test_pki.root_cert]))
    (allowed,), (forbidden,) = (result.signatures for result in results)
    assert allowed.indication == "INDETERMINATE", (allowed.indication, allowed.warnings)
    assert any("allows annotations (DocMDP level 3), could not be judged" in w for w in allowed.warnings)
    assert forbidden.indication == "TOTAL_FAILED"
    # QA95: the page's text rewritten after it, which no level allows, stays failed (it was made indeterminate too)
    rewritten = _incremental(tmp_path / f"cert-{MDPPerm.ANNOTATE.name}.pdf", tmp_path / "retext.pdf", "retext")
    (changed,) = verify_pdf(rewritten, [test_pki.root_cert]).signatures
    assert (changed.indication, changed.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE"), changed.warnings
    text = render_text(results[:1], report_header([test_pki.root_cert], now=datetime.now(UTC)))
    assert "không đánh giá được thay đổi sau chữ ký chứng nhận này" in text


def test_a_signer_issued_by_a_ca_bearing_a_trusted_roots_name_is_said_to_be_so(
    tmp_path: Path, test_pki: TestPKI
) -> None:
    """QA95: a certificate issued by a CA made to bear the trusted root's name (its own key) was said only as
    "CERTIFICATE_CHAIN_GENERAL_FAILURE", beside an issuer name identical to the trusted root's."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    now = datetime.now(UTC)
    real = x509.load_pem_x509_certificate(test_pki.root_cert.read_bytes())
    fake_key, signer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kẻ Giả Mạo")]))
        .issuer_name(real.subject)  # the trusted root's name, not its key
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(fake_key, hashes.SHA256())
    )
    key_der = signer_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(signer_cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore(),
    )
    signed = _sign(_form_pdf(tmp_path / "form.pdf"), tmp_path / "giả.pdf", signer)
    result = verify_pdf(signed, [test_pki.root_cert])
    (verdict,) = result.signatures
    assert verdict.indication != "TOTAL_PASSED"
    said = [w for w in verdict.warnings if "names a trusted root as its issuer" in w]
    assert said == [
        "the certificate CN=Kẻ Giả Mạo names a trusted root as its issuer, but that root's key does not verify it "
        "(CN=sohoa Test Root CA,O=sohoa TEST PKI,C=VN): not issued by it"
    ], verdict.warnings
    text = render_text([result], report_header([test_pki.root_cert], now=now))
    assert "một CA mang tên giống gốc tin cậy" in text
    genuine = verify_pdf(
        _sign(tmp_path / "form.pdf", tmp_path / "thật.pdf", _pkcs12_signer(test_pki)), [test_pki.root_cert]
    )
    assert not any("names a trusted root" in w for s in genuine.signatures for w in s.warnings)
