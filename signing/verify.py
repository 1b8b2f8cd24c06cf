"""Verify the signatures in a PDF and report them in ETSI EN 319 102-1 terms.

``verify_pdf`` never raises for a bad file: an unreadable file, a non-PDF or an unsigned PDF becomes a
``FileVerification`` with ``error`` set, so a batch report can list every file.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel, ConfigDict, Field
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from signing.identity import cert_names

log = logging.getLogger(__name__)

Indication = Literal["TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED"]
CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
_PADES_SUBFILTER = "/ETSI.CAdES.detached"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignatureVerdict(_Model):
    """The verdict on one signature field."""

    field_name: str
    indication: Indication
    sub_indication: str | None = Field(
        default=None, description="ETSI EN 319 102-1 sub-indication, e.g. NO_CERTIFICATE_CHAIN_FOUND"
    )
    signer: str = Field(description="signer certificate subject, RFC 4514")
    issuer: str = Field(description="signer certificate issuer, RFC 4514")
    signing_time: datetime | None = None
    signing_time_source: Literal["claimed", "timestamp"] = "claimed"
    level: str = Field(description="B-B, B-T, B-LT, B-LTA; 'PKCS7' for non-PAdES signatures")
    intact: bool = Field(description="the signed bytes hash to the value in the signature")
    valid: bool = Field(description="the cryptographic signature checks out against the signer's key")
    trusted: bool = Field(description="the signer chains to a trust root and passes the checks at that time")
    coverage: str = Field(description="pyHanko SignatureCoverageLevel name, e.g. ENTIRE_FILE")
    modification_level: str | None = Field(
        default=None, description="pyHanko ModificationLevel name of changes after signing"
    )
    warnings: list[str] = Field(default_factory=list)


class FileVerification(_Model):
    """The verdict on one file."""

    path: str
    signatures: list[SignatureVerdict] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and bool(self.signatures)
            and all(s.indication == "TOTAL_PASSED" for s in self.signatures)
        )


# --------------------------------------------------------------------------------------------------------
# trust roots


def _certs_from_file(path: Path) -> list[asn1_x509.Certificate]:
    data = path.read_bytes()
    if b"PRIVATE KEY-----" in data and b"CERTIFICATE-----" not in data:
        # A key file in a certificate folder (e.g. the dev keys folder) is expected, not a problem.
        return []
    parsed = x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else [x509.load_der_x509_certificate(data)]
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in parsed]


def load_trust_roots(sources: list[Path]) -> tuple[list[asn1_x509.Certificate], list[str]]:
    """Load certificates from files and folders (``*.pem *.crt *.cer *.der``); problems become warnings."""
    roots: list[asn1_x509.Certificate] = []
    warnings: list[str] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in CERT_SUFFIXES)
        elif source.is_file():
            files = [source]
        else:
            warnings.append(f"trust root {source} does not exist")
            continue
        for file in files:
            try:
                roots.extend(_certs_from_file(file))
            except (OSError, ValueError) as exc:
                # A stray key or broken file in a trust folder must not stop verification of the others.
                warnings.append(f"trust root {file} skipped: not a readable certificate ({exc})")
    return roots, warnings


# --------------------------------------------------------------------------------------------------------
# one signature


def _level(sig: EmbeddedPdfSignature, status: PdfSignatureStatus | None, reader: PdfFileReader) -> str:
    """The PAdES level the structure claims (B-LT/B-LTA judged by the presence of DSS and timestamps)."""
    if str(sig.sig_object.get("/SubFilter")) != _PADES_SUBFILTER:
        return "PKCS7"
    if status is None or status.timestamp_validity is None:
        return "B-B"
    if "/DSS" not in reader.root:
        return "B-T"
    later_doc_ts = any(ts.signed_revision > sig.signed_revision for ts in reader.embedded_timestamp_signatures)
    return "B-LTA" if later_doc_ts else "B-LT"


def _indic_name(indic: object) -> str:
    # The concrete sub-indications are enums; the AdESSubIndic base class does not declare ``name``.
    return str(getattr(indic, "name", indic))


def _indication(status: PdfSignatureStatus) -> tuple[Indication, str | None, list[str]]:
    """Map pyHanko's status onto ETSI indications, most serious problem first."""
    notes: list[str] = []
    if not status.intact:
        return "TOTAL_FAILED", AdESFailure.HASH_FAILURE.name, ["the signed content was changed after signing"]
    if not status.valid:
        return "TOTAL_FAILED", AdESFailure.SIG_CRYPTO_FAILURE.name, ["the signature value does not verify"]
    if status.revoked:
        return "TOTAL_FAILED", AdESFailure.REVOKED.name, ["the signer certificate is revoked"]
    if isinstance(status.diff_result, Exception) or status.docmdp_ok is False:
        # ETSI has no PDF-specific term; an impermissible change to a signed document is a format failure.
        return (
            "TOTAL_FAILED",
            AdESFailure.FORMAT_FAILURE.name,
            [
                f"the document was modified after signing in a way the signature does not permit "
                f"({status.diff_result or status.modification_level})"
            ],
        )
    indic = status.trust_problem_indic
    if indic is not None:
        kind: Indication = "TOTAL_FAILED" if isinstance(indic, AdESFailure) else "INDETERMINATE"
        return kind, _indic_name(indic), [f"certificate problem: {_indic_name(indic)}"]
    if not status.trusted:
        return (
            "INDETERMINATE",
            AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND.name,
            ["the signer does not chain to any configured trust root"],
        )
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        sub = _indic_name(ts.trust_problem_indic) if ts.trust_problem_indic else AdESIndeterminate.GENERIC.name
        return "INDETERMINATE", sub, ["the signature timestamp could not be validated"]
    if not status.bottom_line:
        return "INDETERMINATE", AdESIndeterminate.GENERIC.name, ["pyHanko did not accept the signature"]
    return "TOTAL_PASSED", None, notes


def _verdict(sig: EmbeddedPdfSignature, roots: list[asn1_x509.Certificate], reader: PdfFileReader) -> SignatureVerdict:
    name = str(sig.field_name)
    try:
        signer, issuer = cert_names(sig.signer_cert)
    except Exception as exc:  # a CMS without a usable signer certificate is a format failure, not a crash
        signer = issuer = ""
        no_cert_note = f"no usable signer certificate: {exc}"
    else:
        no_cert_note = ""

    base: dict[str, Any] = {"field_name": name, "signer": signer, "issuer": issuer}
    try:
        if no_cert_note:
            raise ValueError(no_cert_note)
        # No fetching: B-B verification must work offline and must not leak which documents we check.
        vc = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = validate_pdf_signature(sig, vc)
    except Exception as exc:  # malformed signatures raise; a verifier reports them instead of crashing
        log.debug("validation of %s raised", name, exc_info=True)
        coverage = _safe_coverage(sig)
        return SignatureVerdict(
            **base,
            indication="TOTAL_FAILED",
            sub_indication=AdESFailure.FORMAT_FAILURE.name,
            signing_time=_claimed_time(sig),
            level=_safe_level(sig, reader),
            intact=False,
            valid=False,
            trusted=False,
            coverage=coverage,
            warnings=[f"signature could not be validated: {exc}"],
        )

    indication, sub, notes = _indication(status)
    ts = status.timestamp_validity
    signing_time: datetime | None
    source: Literal["claimed", "timestamp"]
    if ts is not None and ts.intact and ts.valid:
        signing_time, source = ts.timestamp, "timestamp"
    else:
        signing_time, source = status.signer_reported_dt or _claimed_time(sig), "claimed"
    if signing_time is not None and signing_time.tzinfo is None:
        signing_time = signing_time.replace(tzinfo=UTC)

    warnings = list(notes)
    if "DEVELOPMENT ONLY" in signer:
        warnings.append("signed with the DEVELOPMENT ONLY identity: no legal value")
    mod = status.modification_level
    return SignatureVerdict(
        **base,
        indication=indication,
        sub_indication=sub,
        signing_time=signing_time,
        signing_time_source=source,
        level=_level(sig, status, reader),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=status.coverage.name if status.coverage is not None else _safe_coverage(sig),
        modification_level=mod.name if mod is not None else None,
        warnings=warnings,
    )


def _claimed_time(sig: EmbeddedPdfSignature) -> datetime | None:
    try:
        when = sig.self_reported_timestamp
    except Exception:  # an unparsable /M is cosmetic here
        return None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def _safe_coverage(sig: EmbeddedPdfSignature) -> str:
    try:
        return sig.evaluate_signature_coverage().name
    except Exception:
        return SignatureCoverageLevel.UNCLEAR.name


def _safe_level(sig: EmbeddedPdfSignature, reader: PdfFileReader) -> str:
    try:
        return _level(sig, None, reader)
    except Exception:
        return "unknown"


# --------------------------------------------------------------------------------------------------------
# the file


def _later_revision_warnings(
    reader: PdfFileReader, sigs: list[EmbeddedPdfSignature], verdicts: list[SignatureVerdict]
) -> list[str]:
    """pyHanko may call a later revision harmless (shadow/incremental-saving attacks, MEASURED.md): say so."""
    warnings: list[str] = []
    sig_revisions = {s.signed_revision for s in reader.embedded_signatures}
    last_revision = reader.xrefs.total_revisions - 1
    for sig, verdict in zip(sigs, verdicts, strict=True):
        foreign = [r for r in range(sig.signed_revision + 1, last_revision + 1) if r not in sig_revisions]
        if foreign:
            verdict.warnings.append(
                f"{len(foreign)} revision(s) without a signature were added after this signature "
                f"(modification level {verdict.modification_level or 'unknown'})"
            )
    last = max(sigs, key=lambda s: s.signed_revision)
    last_verdict = verdicts[sigs.index(last)]
    if last_verdict.coverage != SignatureCoverageLevel.ENTIRE_FILE.name:
        after = last_revision - last.signed_revision
        what = f"{after} revision(s)" if after else "bytes"
        warnings.append(
            f"the file has {what} after the last signature ({last_verdict.field_name}): content was added "
            f"that no signature covers"
        )
    return warnings


def verify_pdf(path: Path, trust_roots: list[Path]) -> FileVerification:
    """Verify every signature in ``path`` against ``trust_roots`` (files/folders of PEM or DER certs)."""
    path = Path(path)
    roots, root_warnings = load_trust_roots(trust_roots)
    result = FileVerification(path=str(path), warnings=root_warnings)
    if not roots:
        result.warnings.append("no trust roots configured: no signer can be trusted")

    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    except OSError as exc:
        result.error = f"cannot read the file: {exc.strerror or exc}"
        return result
    try:
        head = fh.read(1024)
        fh.seek(0)
        if not head:
            result.error = "the file is empty"
            return result
        if b"%PDF-" not in head:
            result.error = "not a PDF file"
            return result
        try:
            reader = PdfFileReader(fh)
        except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
            result.error = f"damaged PDF, cannot be read: {exc}"
            return result
        if reader.encrypted:
            result.error = "encrypted PDF: its signatures cannot be checked without the password"
            return result
        try:
            sigs = list(reader.embedded_regular_signatures)
            doc_timestamps = list(reader.embedded_timestamp_signatures)
        except Exception as exc:  # broken AcroForm or signature dictionaries
            result.error = f"damaged signature fields: {exc}"
            return result
        if not sigs:
            result.error = "no signature found"
            return result
        if doc_timestamps:
            result.warnings.append(
                f"{len(doc_timestamps)} document timestamp(s) present; they are not checked by this version"
            )
        verdicts = [_verdict(sig, roots, reader) for sig in sigs]
        result.signatures = verdicts
        try:
            result.warnings.extend(_later_revision_warnings(reader, sigs, verdicts))
        except Exception as exc:  # never lose the verdicts over the extra analysis
            result.warnings.append(f"could not analyse revisions after signing: {exc}")
        return result
    finally:
        fh.close()
