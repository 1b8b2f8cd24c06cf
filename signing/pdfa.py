"""Does a signed PDF still meet the PDF/A-2 rules a signature can break?

Signing appends a revision: a signature dictionary, a widget annotation (with an appearance for a visible
signature: fonts, images, colours), an updated catalogue and AcroForm, XMP metadata rewritten by pyHanko, a DSS
and document timestamps. This module checks the ISO 19005-2 requirements that such a revision touches — each
named by its clause, as veraPDF's PDF/A-2B profile numbers them — on the file as it ends up:

- 6.1.2 / 6.1.3 file header ``%PDF-1.0``–``1.7``; the last trailer has an ``ID`` and no ``Encrypt``; nothing
  but an end-of-line after the last ``%%EOF``;
- 6.1.12 ``Perms`` holds only ``DocMDP`` and ``UR3``;
- 6.2.3 a GTS_PDFA1 output intent is still there; 6.2.4.3 device colours in appearance streams match it
  (DeviceRGB needs an RGB profile, DeviceCMYK a CMYK one);
- 6.2.11.4.1 every font an appearance stream uses is embedded;
- 6.3.2 / 6.3.3 every annotation has ``F`` with Print set and Hidden/Invisible/NoView/ToggleNoView clear, and
  an appearance dictionary with only ``N`` (a zero-size signature widget needs none);
- 6.4.1 / 6.4.2 no ``NeedAppearances`` true, no XFA;
- 6.4.3 each signature's ByteRange covers its whole revision except the ``Contents`` string, and its CMS has
  exactly one SignerInfo and includes the signer's certificate;
- 6.6.2.3.1 every XMP property is in a predefined schema or one the file declares (pdfaExtension);
  6.6.4 the ``pdfaid`` identification survived.

It is not a full validator (veraPDF is not installable here: it is neither in Debian nor on PyPI): page content
the signature did not add is taken as the input's, whose conformance is the OCR stage's business.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from asn1crypto import cms

# annotation flag bits (ISO 32000-1, 12.5.3)
_INVISIBLE, _HIDDEN, _PRINT, _NO_VIEW, _TOGGLE_NO_VIEW = 1, 2, 4, 32, 256

# namespaces of the schemas XMP and ISO 19005 predefine (6.6.2.3.1); anything else needs a pdfaExtension entry
PREDEFINED_XMP_NAMESPACES = frozenset(
    {
        "http://purl.org/dc/elements/1.1/",
        "http://ns.adobe.com/xap/1.0/",
        "http://ns.adobe.com/xap/1.0/rights/",
        "http://ns.adobe.com/xap/1.0/mm/",
        "http://ns.adobe.com/xap/1.0/bj/",
        "http://ns.adobe.com/xap/1.0/t/pg/",
        "http://ns.adobe.com/xap/1.0/t/",
        "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
        "http://ns.adobe.com/pdf/1.3/",
        "http://ns.adobe.com/photoshop/1.0/",
        "http://ns.adobe.com/camera-raw-settings/1.0/",
        "http://ns.adobe.com/exif/1.0/",
        "http://ns.adobe.com/exif/1.0/aux/",
        "http://ns.adobe.com/tiff/1.0/",
        "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
        "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
        "http://ns.adobe.com/xap/1.0/sType/Version#",
        "http://www.aiim.org/pdfa/ns/id/",
        "http://www.aiim.org/pdfa/ns/extension/",
        "http://www.aiim.org/pdfa/ns/schema#",
        "http://www.aiim.org/pdfa/ns/property#",
        "http://www.aiim.org/pdfa/ns/type#",
        "http://www.aiim.org/pdfa/ns/field#",
        "http://www.aiim.org/pdfua/ns/id/",
    }
)
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_NAMESPACES = frozenset({_RDF, "adobe:ns:meta/", "http://www.w3.org/XML/1998/namespace"})


@dataclass
class PdfaCheck:
    """What the checks found: the conformance the file claims (``2B``, or None) and each broken rule."""

    claimed: str | None
    problems: list[str] = field(default_factory=list)
    checked: bool = True  # False for a claim this module has no rules for (PDF/A-1, PDF/A-4)

    @property
    def kept(self) -> bool:
        return self.claimed is not None and self.checked and not self.problems


def pdfa_claim(pdf: pikepdf.Pdf) -> str | None:
    """The PDF/A part and conformance the XMP metadata declares ('2B'), or None."""
    try:
        meta = pdf.open_metadata()
        part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    except Exception:  # unreadable XMP: no claim we can read
        return None
    return f"{part}{conformance or ''}".upper() if part else None


def check_signed_pdfa(path: Path) -> PdfaCheck:
    """Check ``path`` (a signed PDF) against the PDF/A-2 rules a signing revision can break."""
    data = path.read_bytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return check_pdfa(pdf, data)


def check_pdfa(pdf: pikepdf.Pdf, data: bytes) -> PdfaCheck:
    """``check_signed_pdfa`` on a PDF already open (``data``: its bytes). The claim of the revision the first
    signature covers is read too, so a claim the signing revision dropped is caught."""
    signatures = _signature_dicts(pdf)
    claimed = pdfa_claim(pdf)
    before = _first_signed_revision_claim(signatures, data)
    check = PdfaCheck(claimed=claimed or before)
    if check.claimed is None:
        return check
    if before and claimed != before:
        check.problems.append(f"6.6.4: the input claimed PDF/A-{before}; the signed file claims {claimed or 'nothing'}")
    if not check.claimed.startswith(("2", "3")):
        check.checked = False  # PDF/A-1 (and 4) have other rules (e.g. Info ↔ XMP agreement); not checked here
        return check
    check.problems.extend(_file_structure(pdf, data))
    intent_components = _output_intent_components(pdf)
    if intent_components is None:
        check.problems.append("6.2.3: no GTS_PDFA1 output intent")
    check.problems.extend(_xmp_schemas(pdf))
    check.problems.extend(_interactive_form(pdf))
    check.problems.extend(_annotations(pdf, intent_components))
    check.problems.extend(_signatures(signatures, data))
    return check


# ------------------------------------------------------------------------------------------------- file


def _first_signed_revision_claim(signatures: list[pikepdf.Dictionary], data: bytes) -> str | None:
    ends = [int(sig.ByteRange[2]) + int(sig.ByteRange[3]) for sig in signatures]
    if not ends:
        return None
    try:
        with pikepdf.open(io.BytesIO(data[: min(ends)])) as first:
            return pdfa_claim(first)
    except Exception:
        return None


def _file_structure(pdf: pikepdf.Pdf, data: bytes) -> list[str]:
    problems: list[str] = []
    if not re.match(rb"%PDF-1\.[0-7](\r\n|\r|\n)", data):
        problems.append(f"6.1.2: the header is {data[:9]!r}, not %PDF-1.0 to 1.7")
    if "/ID" not in pdf.trailer:
        problems.append("6.1.3: the last trailer has no ID")
    if "/Encrypt" in pdf.trailer:
        problems.append("6.1.3: the file is encrypted")
    eof = data.rfind(b"%%EOF")
    if eof < 0 or data[eof + 5 :] not in (b"", b"\n", b"\r\n", b"\r"):
        problems.append("6.1.3: data after the last %%EOF")
    perms = pdf.Root.get("/Perms")
    if perms is not None:
        extra = sorted(str(k) for k in perms if k not in ("/DocMDP", "/UR3"))
        if extra:
            problems.append(f"6.1.12: Perms holds {', '.join(extra)} (only DocMDP and UR3 are allowed)")
    return problems


def _output_intent_components(pdf: pikepdf.Pdf) -> int | None:
    """Colour components of the GTS_PDFA1 output intent's profile (3 for RGB), or None when there is none."""
    for intent in pdf.Root.get("/OutputIntents", []):
        if intent.get("/S") == pikepdf.Name.GTS_PDFA1:
            profile = intent.get("/DestOutputProfile")
            return int(profile.get("/N", 0)) if profile is not None else 0
    return None


def _xmp_schemas(pdf: pikepdf.Pdf) -> list[str]:
    import xml.etree.ElementTree as ET

    stream = pdf.Root.get("/Metadata")
    if stream is None:
        return ["6.6.2.1: no XMP metadata stream"]
    try:
        root = ET.fromstring(stream.read_bytes())
    except ET.ParseError as exc:
        return [f"6.6.2.1: the XMP metadata is not well-formed XML ({exc})"]
    declared = {el.text.strip() for el in root.iter() if el.tag.endswith("}namespaceURI") and el.text}
    used: set[str] = set()
    for description in root.iter(f"{{{_RDF}}}Description"):
        for name in [*description.attrib, *(child.tag for child in description)]:
            if name.startswith("{"):
                used.add(name[1 : name.index("}")])
    unknown = sorted(ns for ns in used - PREDEFINED_XMP_NAMESPACES - _XML_NAMESPACES if ns not in declared)
    return [f"6.6.2.3.1: XMP properties in undeclared schema {ns}" for ns in unknown]


def _interactive_form(pdf: pikepdf.Pdf) -> list[str]:
    form = pdf.Root.get("/AcroForm")
    if form is None:
        return []
    problems: list[str] = []
    if bool(form.get("/NeedAppearances", False)):
        problems.append("6.4.1: the AcroForm sets NeedAppearances true")
    if "/XFA" in form:
        problems.append("6.4.2: the AcroForm has XFA")
    return problems


# ------------------------------------------------------------------------------------------------- annotations


def _annotations(pdf: pikepdf.Pdf, intent_components: int | None) -> list[str]:
    problems: list[str] = []
    for number, page in enumerate(pdf.pages, start=1):
        for annot in page.obj.get("/Annots", []):
            subtype = str(annot.get("/Subtype", ""))
            where = f"page {number} {subtype.lstrip('/') or 'annotation'} {annot.get('/T', '')}".rstrip()
            if subtype == "/Popup":
                continue
            flags = int(annot.get("/F", -1))
            if flags < 0:
                problems.append(f"6.3.2: {where} has no F (flags) entry")
            elif not flags & _PRINT or flags & (_INVISIBLE | _HIDDEN | _NO_VIEW | _TOGGLE_NO_VIEW):
                problems.append(f"6.3.2: {where} flags {flags}: Print must be set, Hidden/Invisible/NoView clear")
            rect = [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])]
            zero_size = rect[2] - rect[0] == 0 and rect[3] - rect[1] == 0
            appearance = annot.get("/AP")
            if appearance is None:
                if not zero_size and subtype != "/Link":
                    problems.append(f"6.3.3: {where} has no appearance (AP)")
                continue
            keys = sorted(str(k) for k in appearance)
            if keys != ["/N"]:
                problems.append(f"6.3.3: {where} appearance holds {', '.join(keys)} (only N is allowed)")
            normal = appearance.get("/N")
            if isinstance(normal, pikepdf.Stream):
                problems.extend(_drawing_problems(normal, where, intent_components))
    return problems


def _drawing_problems(stream: pikepdf.Stream, where: str, intent_components: int | None) -> list[str]:
    problems: list[str] = []
    for form, resources in _forms_within(stream):
        for font_name, font in resources.get("/Font", {}).items():
            if not _font_embedded(font):
                problems.append(
                    f"6.2.11.4.1: {where} uses font {font.get('/BaseFont', font_name)} without embedding it"
                )
        spaces = _device_colour_spaces(form, resources)
        if "DeviceRGB" in spaces and intent_components != 3:
            problems.append(f"6.2.4.3: {where} paints in DeviceRGB without an RGB output intent")
        if "DeviceCMYK" in spaces and intent_components != 4:
            problems.append(f"6.2.4.3: {where} paints in DeviceCMYK without a CMYK output intent")
    return problems


def _forms_within(
    stream: pikepdf.Stream, seen: set[tuple[int, int]] | None = None
) -> Iterator[tuple[pikepdf.Stream, pikepdf.Dictionary]]:
    """The appearance stream and every form XObject it draws, each with its resources."""
    seen = seen if seen is not None else set()
    if stream.objgen != (0, 0):
        if stream.objgen in seen:
            return
        seen.add(stream.objgen)
    resources = stream.get("/Resources")
    if not isinstance(resources, pikepdf.Dictionary):
        resources = pikepdf.Dictionary()
    yield stream, resources
    for xobject in resources.get("/XObject", {}).values():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form:
            yield from _forms_within(xobject, seen)


def _font_embedded(font: pikepdf.Object) -> bool:
    if font.get("/Subtype") == pikepdf.Name.Type3:
        return True
    if font.get("/Subtype") == pikepdf.Name.Type0:
        descendants: list[pikepdf.Object] = list(font.get("/DescendantFonts", []))
        return bool(descendants) and all(_font_embedded(d) for d in descendants)
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


_OPERATOR_SPACES = {"rg": "DeviceRGB", "RG": "DeviceRGB", "k": "DeviceCMYK", "K": "DeviceCMYK"}


def _device_colour_spaces(form: pikepdf.Stream, resources: pikepdf.Dictionary) -> set[str]:
    spaces: set[str] = set()
    try:
        instructions = pikepdf.parse_content_stream(form)
    except pikepdf.PdfError:
        return spaces
    for instruction in instructions:
        operator = str(instruction.operator)
        if operator in _OPERATOR_SPACES:
            spaces.add(_OPERATOR_SPACES[operator])
        elif operator in ("cs", "CS") and str(instruction.operands[0]) in ("/DeviceRGB", "/DeviceCMYK"):
            spaces.add(str(instruction.operands[0]).lstrip("/"))
    for xobject in resources.get("/XObject", {}).values():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Image:
            space = xobject.get("/ColorSpace")
            if space in (pikepdf.Name.DeviceRGB, pikepdf.Name.DeviceCMYK):
                spaces.add(str(space).lstrip("/"))
    return spaces


# ------------------------------------------------------------------------------------------------- signatures


def _signature_dicts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    form = pdf.Root.get("/AcroForm")
    found: list[pikepdf.Dictionary] = []
    stack = list(form.get("/Fields", [])) if form is not None else []
    visited: set[tuple[int, int]] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or node.objgen in visited:
            continue  # a field tree that loops back on itself (malformed, or hostile) is walked once
        if node.objgen != (0, 0):
            visited.add(node.objgen)
        stack.extend(node.get("/Kids", []))
        value = node.get("/V")
        if node.get("/FT") == pikepdf.Name.Sig and isinstance(value, pikepdf.Dictionary) and "/ByteRange" in value:
            found.append(value)
    return found


def _signatures(signatures: list[pikepdf.Dictionary], data: bytes) -> list[str]:
    problems: list[str] = []
    revision_ends = {m.end() for m in re.finditer(rb"%%EOF(\r\n|\r|\n)?", data)} | {
        m.start() + 5 for m in re.finditer(rb"%%EOF", data)
    }
    for sig in signatures:
        name = str(sig.get("/SubFilter", "")).lstrip("/")
        start, length_a, start_b, length_b = (int(v) for v in sig.ByteRange)
        gap = data[start + length_a : start_b]
        if start != 0 or not (gap.startswith(b"<") and gap.endswith(b">")) or start_b + length_b not in revision_ends:
            problems.append(f"6.4.3: a {name} signature's ByteRange does not cover its revision except Contents")
        try:
            content = cms.ContentInfo.load(bytes(sig.Contents))
            signed = content["content"]
            signer_infos = signed["signer_infos"]
            certificates = [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]
            sid = signer_infos[0]["sid"] if len(signer_infos) else None
            has_cert = sid is not None and any(_is_signer(c, sid) for c in certificates)
        except Exception as exc:
            problems.append(f"6.4.3: a {name} signature's Contents is not a readable CMS object ({exc})")
            continue
        if len(signer_infos) != 1:
            problems.append(f"6.4.3: a {name} signature has {len(signer_infos)} SignerInfos (exactly one allowed)")
        if not has_cert:
            problems.append(f"6.4.3: a {name} signature does not include its signer's certificate")
    return problems


def _is_signer(cert: object, sid: cms.SignerIdentifier) -> bool:
    from asn1crypto import x509

    if not isinstance(cert, x509.Certificate):
        return False
    if sid.name == "issuer_and_serial_number":
        return bool(cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native)
    return bool(cert.key_identifier == sid.chosen.native)
