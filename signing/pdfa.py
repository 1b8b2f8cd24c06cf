"""Does a signed PDF meet PDF/A-2 — the rules sohoa checks — as it ends up after its signatures?

Signing appends a revision: a signature dictionary, a widget annotation (with an appearance for a visible
signature: fonts, images, colours), an updated catalogue and AcroForm, XMP metadata rewritten by pyHanko, a DSS
and document timestamps. This module checks the ISO 19005-2 requirements such a revision touches — each named by
its clause, as veraPDF's PDF/A-2B profile numbers them — on the file as it ends up:

- 6.1.2 / 6.1.3 file header ``%PDF-n.m`` at byte 0 (its version is checked below); the last trailer has an
  ``ID`` and no ``Encrypt``; nothing but an end-of-line after the last ``%%EOF``;
- 6.1.12 ``Perms`` holds only ``DocMDP`` and ``UR3``;
- 6.4.3 each signature's ByteRange covers its whole revision except the ``Contents`` string, and its CMS has
  exactly one SignerInfo and includes the signer's certificate;
- 6.6.4 the ``pdfaid`` identification survived;

and, on the whole file (pages, appearances, annotations, forms, actions, XMP), every rule of
``sohoa.pdfa.document_problems`` — the same checks the OCR stage makes before it claims PDF/A-2B. So a file
signed elsewhere that claims PDF/A-2B while a page uses an unembedded font is reported, not only a signature that
broke the claim. It is not a full validator (veraPDF is not installable here: it is neither in Debian nor on
PyPI).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from asn1crypto import cms

from sohoa.pdfa import document_problems, form_fields


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
    """Check ``path`` (a signed PDF) against the PDF/A-2 rules sohoa checks, a signing revision's included."""
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
    # the whole file, not only what a signing revision adds: a file signed elsewhere may claim PDF/A-2B while its
    # pages break it (an unembedded font, DeviceCMYK against an sRGB intent, an ICC profile PDF/A does not accept),
    # and an auditor is told so; sohoa's own CMYK scans are ICCBased, which no stamp colour (RGB) can break
    check.problems.extend(document_problems(pdf))
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
    # the header's form here; its version number (and the catalogue's) is document_problems' 6.1.2 check
    if not re.match(rb"%PDF-\d\.\d(\r\n|\r|\n)", data):
        problems.append(f"6.1.2: the header is {data[:9]!r}, not %PDF-n.m at byte 0 followed by an end of line")
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


# ------------------------------------------------------------------------------------------------- signatures


def _signature_dicts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found: list[pikepdf.Dictionary] = []
    for node in form_fields(pdf):
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
