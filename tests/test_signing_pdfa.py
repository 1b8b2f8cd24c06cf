"""Signing keeps a PDF/A-2b input PDF/A-2b (signing/pdfa.py: the ISO 19005-2 rules a signing revision can
break, and sohoa's PDF/A checks on the whole file), at every level, visible or not, counter-signed; and the checks
themselves catch each broken rule."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pikepdf
import pytest
from signing_images import decree30_look, make_seal, make_signature
from signing_pki import TestPKI

from ocr.pipeline import add_pdfa_output_intent
from signing import SigningIdentity, sign_pdf, verify_pdf
from signing.appearance import Appearance
from signing.pdfa import check_signed_pdfa
from signing.verify import load_trust_roots

FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
pytestmark = pytest.mark.skipif(not FONT.is_file(), reason="fonts-liberation2 not installed")


def make_pdfa(path: Path, *, pages: int = 2) -> Path:
    """A small PDF/A-2b: an embedded-font-free page of vector drawing, sRGB output intent, pdfaid in XMP."""
    pdf = pikepdf.new()
    for n in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        pdf.pages[n].Contents = pdf.make_stream(b"0 0 1 rg 72 700 200 20 re f")
    add_pdfa_output_intent(pdf)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["dc:title"] = "Quyết định số 15/QĐ-UBND"
    pdf.save(path, fix_metadata_version=False, deterministic_id=True)
    return path


def test_the_input_passes_the_checks(tmp_path: Path) -> None:
    check = check_signed_pdfa(make_pdfa(tmp_path / "in.pdf"))
    assert (check.claimed, check.problems) == ("2B", [])


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_signing_keeps_pdfa_at_every_level_with_the_decree30_appearance(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity, level: str
) -> None:
    look = decree30_look(tmp_path, FONT)
    out = tmp_path / "signed.pdf"
    sign_pdf(
        make_pdfa(tmp_path / "in.pdf"),
        out,
        signer,
        appearance=look,
        level=level,
        tsa_url=test_pki.tsa_url if level != "B-B" else None,
        validation_roots=load_trust_roots([test_pki.root_cert])[0] if level in ("B-LT", "B-LTA") else None,
    )
    check = check_signed_pdfa(out)
    assert (check.claimed, check.problems) == ("2B", [])
    # the verifier says the same (no PDF/A warning) and records the claim
    report = verify_pdf(out, [test_pki.root_cert])
    assert report.pdfa == "2B" and report.pdfa_problems == []
    assert not [w for w in report.warnings if "PDF/A" in w]


def test_signer_then_body_seal_keep_pdfa(tmp_path: Path, signer: SigningIdentity) -> None:
    seal, signature = make_seal(tmp_path / "seal.png"), make_signature(tmp_path / "sig.png")
    person = tmp_path / "person.pdf"
    look = Appearance(kind="signer", signer="Nguyễn Văn An", organisation="", font=FONT, signature_image=signature)
    sign_pdf(make_pdfa(tmp_path / "in.pdf"), person, signer, appearance=look)
    body = Appearance(kind="seal", signer="", organisation="UBND xã Tân Thịnh", font=FONT, seal_image=seal)
    both = tmp_path / "both.pdf"
    sign_pdf(person, both, signer, appearance=body, field_name="Signature2")
    check = check_signed_pdfa(both)
    assert (check.claimed, check.problems) == ("2B", [])


def test_copy_mark_and_counter_signature_keep_pdfa(tmp_path: Path, signer: SigningIdentity) -> None:
    first = tmp_path / "copy.pdf"
    sign_pdf(
        make_pdfa(tmp_path / "in.pdf"),
        first,
        signer,
        appearance=Appearance(kind="copy", signer="", organisation="UBND xã Tân Thịnh", font=FONT),
    )
    second = tmp_path / "countersigned.pdf"
    sign_pdf(first, second, signer)
    check = check_signed_pdfa(second)
    assert (check.claimed, check.problems) == ("2B", [])


# --------------------------------------------------------------------------------------------- each rule caught


def _edited(src: Path, out: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    with pikepdf.open(src) as pdf, warnings.catch_warnings():
        # the edits add widgets on purpose without listing them in the AcroForm, and pikepdf says so on saving
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
        edit(pdf)
        pdf.save(out)
    return out


def _add_widget(pdf: pikepdf.Pdf, **entries: object) -> pikepdf.Dictionary:
    widget = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, Rect=[100, 100, 200, 150], **entries)
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([widget]))
    return widget


def test_hidden_widget_and_extra_appearances_are_caught(tmp_path: Path) -> None:
    def edit(pdf: pikepdf.Pdf) -> None:
        drawing = pdf.make_stream(b"0 0 1 RG 0 0 100 50 re S", BBox=[0, 0, 100, 50], Subtype=pikepdf.Name.Form)
        _add_widget(pdf, F=2, AP=pikepdf.Dictionary(N=drawing, D=drawing))

    problems = check_signed_pdfa(_edited(make_pdfa(tmp_path / "in.pdf"), tmp_path / "out.pdf", edit)).problems
    assert any(p.startswith("6.3.2:") and "flags 2" in p for p in problems), problems
    assert any(p.startswith("6.3.3:") and "/D" in p for p in problems), problems


def test_visible_widget_without_appearance_is_caught(tmp_path: Path) -> None:
    problems = check_signed_pdfa(
        _edited(make_pdfa(tmp_path / "in.pdf"), tmp_path / "out.pdf", lambda pdf: _add_widget(pdf, F=4))
    ).problems
    assert [p for p in problems if p.startswith("6.3.3:")] == ["6.3.3: page 1 Widget has no appearance (AP)"]


def test_unembedded_font_and_cmyk_in_an_appearance_are_caught(tmp_path: Path) -> None:
    def edit(pdf: pikepdf.Pdf) -> None:
        helvetica = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        drawing = pdf.make_stream(
            b"0 0 0 1 k BT /F1 10 Tf 5 5 Td (Ky boi) Tj ET",
            BBox=[0, 0, 100, 50],
            Subtype=pikepdf.Name.Form,
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica)),
        )
        _add_widget(pdf, F=4, AP=pikepdf.Dictionary(N=drawing))

    problems = check_signed_pdfa(_edited(make_pdfa(tmp_path / "in.pdf"), tmp_path / "out.pdf", edit)).problems
    assert any(p.startswith("6.2.11.4.1:") and "Helvetica" in p for p in problems), problems
    assert any(p.startswith("6.2.4.3:") and "DeviceCMYK" in p for p in problems), problems


def test_form_settings_output_intent_and_metadata_are_caught(tmp_path: Path) -> None:
    def edit(pdf: pikepdf.Pdf) -> None:
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), NeedAppearances=True)
        del pdf.Root.OutputIntents
        pdf.Root.Perms = pikepdf.Dictionary(Custom=pikepdf.Dictionary())
        # an XMP property in a schema the file does not declare (no pdfaExtension entry)
        xmp = pdf.Root.Metadata.read_bytes().replace(
            b"<rdf:Description ", b'<rdf:Description xmlns:sh="urn:example:so-hoa:" sh:batch="2025-11" ', 1
        )
        pdf.Root.Metadata = pdf.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)

    problems = check_signed_pdfa(_edited(make_pdfa(tmp_path / "in.pdf"), tmp_path / "out.pdf", edit)).problems
    rules = {p.split(":", 1)[0] for p in problems}
    assert {"6.4.1", "6.2.3", "6.1.12", "6.6.2.3.1"} <= rules, problems


def test_a_rewritten_signed_file_breaks_the_byte_range_rule(tmp_path: Path, signer: SigningIdentity) -> None:
    signed = tmp_path / "signed.pdf"
    sign_pdf(make_pdfa(tmp_path / "in.pdf"), signed, signer)
    assert check_signed_pdfa(signed).problems == []
    # a tool that rewrites the whole file (not an incremental update) moves every byte the signature covered
    rewritten = _edited(signed, tmp_path / "rewritten.pdf", lambda pdf: None)
    problems = check_signed_pdfa(rewritten).problems
    assert any(p.startswith("6.4.3:") and "ByteRange" in p for p in problems), problems


def test_a_pdf20_header_is_one_broken_rule(tmp_path: Path) -> None:
    """The header's version and the file's version are one rule (6.1.2), reported once."""
    with pikepdf.open(make_pdfa(tmp_path / "in.pdf")) as pdf:
        pdf.save(tmp_path / "v20.pdf", force_version="2.0")
    assert (tmp_path / "v20.pdf").read_bytes().startswith(b"%PDF-2.0")
    problems = check_signed_pdfa(tmp_path / "v20.pdf").problems
    assert [p for p in problems if p.startswith("6.1.2")] == ["6.1.2: PDF 2.0 (PDF/A-2 is PDF 1.7 at most)"], problems
    (tmp_path / "late.pdf").write_bytes(b"\n" + (tmp_path / "in.pdf").read_bytes())  # not at byte 0
    assert any(p.startswith("6.1.2: the header is") for p in check_signed_pdfa(tmp_path / "late.pdf").problems)


def test_a_version_raised_by_a_signature_is_said_for_what_it_is(tmp_path: Path, signer: SigningIdentity) -> None:
    """QA61: every document sohoa signed before 2026-11-30 (pyHanko's own signer: ECDSA declares ISO/TS 32002 and
    raises the catalogue's /Version to 2.0) verified with "the file claims PDF/A-2B but breaks 1 PDF/A rule(s)", the
    cause and its harmlessness unsaid: an auditor filed them all as non-conformant. Said now as what it is, in both
    languages; a rule broken besides is still said as broken."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from signing.report import warning_in_vietnamese
    from signing.verify import SIGNATURE_RAISED_VERSION

    def signed_as_before(source: Path, out: Path) -> Path:
        meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)
        with source.open("rb") as fh, out.open("wb") as sink:
            signers.PdfSigner(meta, signer=signer.signer).sign_pdf(IncrementalPdfFileWriter(fh), output=sink)
        return out

    old = signed_as_before(make_pdfa(tmp_path / "in.pdf"), tmp_path / "old.pdf")
    with pikepdf.open(old) as pdf:
        assert str(pdf.Root.Version) == "/2.0" and "/ISO_" in pdf.Root.Extensions  # as sohoa signed then
    report = verify_pdf(old, [])
    assert report.pdfa_problems == ["6.1.2: PDF 2.0 (PDF/A-2 is PDF 1.7 at most)"]  # the record keeps the rule
    pdfa_warnings = [w for w in report.warnings if "PDF/A" in w]
    assert pdfa_warnings == [SIGNATURE_RAISED_VERSION], report.warnings
    assert warning_in_vietnamese(pdfa_warnings[0]).startswith("quy tắc PDF/A 6.1.2: tệp ghi PDF 2.0 chỉ vì chữ ký")
    from signing.report import render_text

    text = render_text([report])  # the report's PDF/A line agrees with the warning (QA62)
    assert "rule(s) broken" not in text and "except the signature's PDF 2.0 declaration" in text, text

    # another rule broken as well: that one is still a broken rule
    with pikepdf.open(make_pdfa(tmp_path / "in.pdf")) as pdf:
        del pdf.Root.OutputIntents
        pdf.save(tmp_path / "no-intent.pdf")
    both = verify_pdf(signed_as_before(tmp_path / "no-intent.pdf", tmp_path / "both.pdf"), []).warnings
    assert SIGNATURE_RAISED_VERSION in both, both
    (broken,) = [w for w in both if "breaks" in w]
    assert "breaks 3 PDF/A rule(s): 6.2.3" in broken and "6.1.2" not in broken, broken
    both_report = verify_pdf(tmp_path / "both.pdf", [])
    assert "PDF/A-2B: vi phạm 3 quy tắc / 3 rule(s) broken" in render_text([both_report])


def test_a_file_that_claims_nothing_is_not_checked(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    pikepdf.new().save(plain)
    check = check_signed_pdfa(plain)
    assert (check.claimed, check.problems, check.kept) == (None, [], False)


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_pdfa_claim_survives_in_the_ocr_output_signed_by_the_pipeline_tools(tmp_path: Path) -> None:
    """The real thing, end to end without Prefect: a scan OCR'd to PDF/A-2b, signed (development identity)."""
    import ocr
    from signing.identity import load_identity as load

    scan = Path(__file__).resolve().parents[1] / "samples" / "thông-báo-08-ubnd.png"
    searchable = tmp_path / "ocr.pdf"
    result = ocr.ocr_document(scan, searchable, workers=2)
    assert result.pdfa == "2B"
    signed = tmp_path / "signed.pdf"
    sign_pdf(searchable, signed, load("dev", keys_dir=tmp_path / "keys"))
    check = check_signed_pdfa(signed)
    assert (check.claimed, check.problems) == ("2B", [])


def test_an_ocr_output_in_object_streams_signs_at_b_lta_and_verifies(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    """The OCR output keeps its objects in object streams behind a cross-reference stream (as OCRmyPDF's PDF/A):
    pyHanko's incremental revisions (signature, DSS, document timestamp) go on top of it, each with a
    cross-reference stream of its own, and the file verifies and stays PDF/A-2b."""
    import subprocess

    import ocr

    scan = Path(__file__).resolve().parents[1] / "samples" / "thông-báo-08-ubnd.png"
    searchable = tmp_path / "ocr.pdf"
    assert ocr.ocr_document(scan, searchable, workers=2).pdfa == "2B"
    with pikepdf.open(searchable) as pdf:
        assert pdf.trailer.get("/Type") == "/XRef"
        assert any(isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/ObjStm" for obj in pdf.objects)
    signed = tmp_path / "signed.pdf"
    roots = load_trust_roots([test_pki.root_cert])[0]
    sign_pdf(searchable, signed, signer, level="B-LTA", tsa_url=test_pki.tsa_url, validation_roots=roots)
    assert signed.read_bytes().startswith(searchable.read_bytes())  # incremental: the OCR output's bytes stay
    assert subprocess.run(["qpdf", "--check", str(signed)], capture_output=True).returncode == 0
    report = verify_pdf(signed, [test_pki.root_cert])
    assert report.passed, report.model_dump_json(indent=2)
    (verdict,) = report.signatures
    assert verdict.level == "B-LTA" and verdict.revocation.source == "DSS"
    assert [ts.indication for ts in report.document_timestamps] == ["TOTAL_PASSED"]
    assert report.pdfa == "2B" and report.pdfa_problems == []


@pytest.mark.parametrize(
    "name",
    ["pyhanko/pdf/form-tree-circular-ref-input.pdf", "dss-validation/pades_opposite_infinite_loop.pdf"],
)
def test_looping_structures_are_walked_once(name: str) -> None:
    """A field tree that refers back to itself ended in an endless walk (and gigabytes) before the guard."""
    import subprocess
    import sys

    from conftest import SHARED

    corpus = SHARED / "corpora" / "signatures"
    if not (corpus / name).is_file():
        pytest.skip(f"{name} not in the shared corpus")
    code = "import sys, pathlib, signing.pdfa as m; m.check_signed_pdfa(pathlib.Path(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(corpus / name)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def test_reports_say_whether_pdfa_was_kept(tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity) -> None:
    from signing.report import render_html, render_text, report_header

    signed = tmp_path / "signed.pdf"
    sign_pdf(make_pdfa(tmp_path / "in.pdf"), signed, signer)
    broken = _edited(signed, tmp_path / "rewritten.pdf", lambda pdf: None)
    results = [verify_pdf(f, [test_pki.root_cert]) for f in (signed, broken)]
    text = render_text(results)
    assert "PDF/A-2B: đạt các quy tắc đã kiểm tra / passes the rules checked" in text
    assert "PDF/A-2B: vi phạm 1 quy tắc / 1 rule(s) broken" in text
    assert "passes the rules checked" in render_html(results, report_header([test_pki.root_cert]))


def test_a_signed_file_whose_pages_break_pdfa_is_reported(tmp_path: Path, signer: SigningIdentity) -> None:
    """A file signed elsewhere may claim PDF/A-2B while a page does not meet it: the check reads the pages too,
    not only what a signature added."""

    def edit(pdf: pikepdf.Pdf) -> None:
        helvetica = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
        )
        page = pdf.pages[1]
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica))
        page.obj.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 700 Td (Quyet dinh) Tj ET 0 0 0 1 k 72 600 50 50 re f")

    claimed_but_broken = _edited(make_pdfa(tmp_path / "in.pdf"), tmp_path / "claims.pdf", edit)
    signed = tmp_path / "signed.pdf"
    sign_pdf(claimed_but_broken, signed, signer)
    check = check_signed_pdfa(signed)
    assert check.claimed == "2B" and not check.kept
    assert any(p.startswith("6.2.11.4.1: page 2") and "Helvetica" in p for p in check.problems), check.problems
    assert any(p.startswith("6.2.4.3: page 2") and "DeviceCMYK" in p for p in check.problems), check.problems


@pytest.mark.parametrize(
    "where", ["xmp", "info", "info-in-place", "xmp-first-description", "xmp-lang", "orphan-stream"]
)
def test_a_metadata_rewrite_under_a_document_timestamp_does_not_pass(
    where: str, tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    """QA74: a revision after signing that rewrote the document's title (its XMP dc:title, or /Info /Title) was
    PASSED, exit 0: pyHanko allows a metadata update, and its byte-range line said "only long-term validation data
    added". Alone such a revision is "other" (the file does not pass); here it rides in a document timestamp's
    revision — anyone may have one made by a public TSA —, which may update only what a save updates (pyHanko's
    name, the time): the title rewritten makes it "other", and the file does not pass either. sohoa's own B-LTA
    file, whose DSS revision rewrites the XMP (another layout, pyHanko's name, the time) and writes a
    cross-reference stream, passes without a warning (its DSS revision was "other", warned about, QA74)."""
    import io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
    from pyhanko.sign.timestamps import HTTPTimeStamper

    import ocr

    scan = Path(__file__).resolve().parents[1] / "samples" / "thông-báo-08-ubnd.png"
    searchable = tmp_path / "ocr.pdf"
    ocr.ocr_document(scan, searchable, workers=1)  # object streams, a cross-reference stream (as OCRmyPDF's)
    signed = tmp_path / "signed.pdf"
    roots = load_trust_roots([test_pki.root_cert])[0]
    sign_pdf(searchable, signed, signer, level="B-LTA", tsa_url=test_pki.tsa_url, validation_roots=roots)
    own = verify_pdf(signed, [test_pki.root_cert])
    assert own.passed and own.warnings == [] and own.signatures[0].warnings == [], own.model_dump_json(indent=2)
    assert {r.kind for r in own.signatures[0].revisions_after} == {"document_timestamp", "dss"}

    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    forged = "QUYET DINH GIA MAO"
    if where.startswith("xmp"):
        packet = writer.root["/Metadata"].get_object().data
        title = re.search(rb'<rdf:li xml:lang="x-default">([^<]*)</rdf:li>', packet)
        assert title is not None, packet
        if where == "xmp":
            new = packet.replace(title.group(0), f'<rdf:li xml:lang="x-default">{forged}</rdf:li>'.encode())
        elif where == "xmp-lang":  # only an attribute of a nested element (QA76: never compared)
            new = packet.replace(title.group(0), title.group(0).replace(b"x-default", b"vi"))
        else:  # a second rdf:Description, before the original: readers show its title (QA76: the last one counted)
            block = (
                '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt>'
                f'<rdf:li xml:lang="x-default">{forged}</rdf:li></rdf:Alt></dc:title></rdf:Description>'
            ).encode()
            at = packet.index(b"<rdf:Description")
            new = packet[:at] + block + packet[at:]
        meta = {generic.NameObject("/Type"): generic.NameObject("/Metadata")}
        meta[generic.NameObject("/Subtype")] = generic.NameObject("/XML")
        writer.root[generic.NameObject("/Metadata")] = writer.add_object(generic.StreamObject(meta, stream_data=new))
        writer.update_root()
    elif where == "orphan-stream":  # content nothing shows, for a later change to reveal (QA76: passed, unsaid)
        writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (DA HUY) Tj ET"))
    elif where == "info":
        writer.set_info(generic.DictionaryObject({generic.NameObject("/Title"): generic.TextStringObject(forged)}))
    else:  # the /Info object rewritten in place (QA76: read through the newest revision for both, it passed)
        info = writer.trailer.raw_get("/Info")
        info.get_object()[generic.NameObject("/Title")] = generic.TextStringObject(forged)
        writer.mark_update(info)
    if where.startswith("xmp"):
        # as a forger would: pyHanko's own metadata update on writing rewrote the packet, merging the blocks
        writer._update_meta = lambda: None  # type: ignore[method-assign]
    forged_file = tmp_path / "forged.pdf"
    with forged_file.open("wb") as out:
        PdfTimeStamper(HTTPTimeStamper(test_pki.tsa_url)).timestamp_pdf(writer, "sha256", output=out)

    result = verify_pdf(forged_file, [test_pki.root_cert])
    assert [ts.indication for ts in result.document_timestamps] == ["TOTAL_PASSED"] * 2  # the TSA is trusted
    marker = "referenced by nothing" if where == "orphan-stream" else "metadata rewritten"
    rewritten = [r for r in result.signatures[0].revisions_after if marker in r.changes]
    assert [r.kind for r in rewritten] == ["other"], result.signatures[0].revisions_after
    if where != "orphan-stream":
        assert ("dc:title" if where.startswith("xmp") else "/Title") in rewritten[0].changes, rewritten
    assert not result.passed, result.model_dump_json(indent=2)
    from signing.report import warning_in_vietnamese

    (added,) = [w for w in result.signatures[0].warnings if "without a signature were added" in w]
    # in Vietnamese with the count, the level and the revisions, as in English (QA134 F5: the kind alone)
    vietnamese = warning_in_vietnamese(added).split(" / ")[0]
    assert re.match(
        r"\d+ phiên bản không có chữ ký được thêm sau chữ ký này \(mức thay đổi \w+\): phiên bản \d+", vietnamese
    )


def test_a_simple_xmp_property_reads_alike_as_an_element_or_an_attribute() -> None:
    """pikepdf writes ``<xmp:CreatorTool>sohoa</xmp:CreatorTool>``, pyHanko's revisions ``xmp:CreatorTool="sohoa"``:
    the same description, no rewrite of it; a nested value keeps its attributes (``xml:lang``)."""
    import xml.etree.ElementTree as ET

    from signing.verify import _xmp_value

    element = ET.fromstring('<x:CreatorTool xmlns:x="http://ns.adobe.com/xap/1.0/"> sohoa </x:CreatorTool>')
    assert _xmp_value(element) == "sohoa"
    alt = (
        '<dc:title xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Alt><rdf:li xml:lang="{}">Quyết định</rdf:li></rdf:Alt></dc:title>'
    )
    assert _xmp_value(ET.fromstring(alt.format("x-default"))) != _xmp_value(ET.fromstring(alt.format("vi")))
