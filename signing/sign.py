"""Sign a PDF with PAdES baseline B-B, B-T, B-LT or B-LTA, as an incremental update, written atomically.

- B-B: CMS signature with signed attributes (signing certificate v2).
- B-T: plus an RFC 3161 signature timestamp from the configured TSA.
- B-LT: plus the certificates, OCSP responses and CRLs needed to validate it, in the document's DSS.
- B-LTA: plus a document timestamp over all of that (renewable later).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import constants as pyhanko_constants
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import (
    InsufficientRevinfoError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)

from signing.errors import (
    SaidInTwoLanguages,
    SigningError,
    SigningInputError,
    SigningServiceError,
    SigningTokenError,
)
from signing.identity import SigningIdentity, cert_names
from signing.revinfo import signature_timestamp_tokens
from signing.services import FetchFailures, TsaClient, recording_fetcher_backend, tsa_error_in
from sohoa.errors import Problem
from sohoa.fsutil import fsync_dir, mode_for
from sohoa.record import SignatureFacts
from sohoa.signing_names import LEVELS

if TYPE_CHECKING:
    from signing.appearance import Appearance

log = logging.getLogger(__name__)

LEVEL = "B-B"
# A signature timestamp token (TSA certificate included) adds a few kilobytes to the CMS.
_TIMESTAMP_OVERHEAD = 8192
# Reserving room for the CMS up front skips pyHanko's dummy signature pass (B-B 168 -> 88 ms, MEASURED.md).
MIN_BYTES_RESERVED = 16384
# Room for signed attributes, signature value and DER overhead on top of the embedded certificates.
_CMS_OVERHEAD = 4096


def _bytes_reserved(identity: SigningIdentity, timestamped: bool = False) -> int:
    """Enough for the certificates pyHanko embeds, so a long commercial CA chain still fits without sizing."""
    certs = [identity.signer.signing_cert, *identity.signer.cert_registry]
    der = sum(len(c.dump()) for c in certs if c is not None)
    if timestamped:
        der += _TIMESTAMP_OVERHEAD
    # The placeholder is hex-encoded: two characters per byte.
    return max(MIN_BYTES_RESERVED, 2 * (der + _CMS_OVERHEAD))


@functools.lru_cache(maxsize=8)
def _timestamper(tsa_url: str) -> TsaClient:
    return TsaClient(tsa_url, timeout=20)


def _validation_roots(identity: SigningIdentity, roots: list[asn1_x509.Certificate] | None) -> list[Any]:
    """Roots for the B-LT/B-LTA pre-signing validation: configured ones, else self-signed certs in the chain."""
    if roots:
        return list(roots)
    # asn1crypto's self_signed is "no", "maybe" or "yes": a plain truth test took every certificate as a root
    return [c for c in identity.signer.cert_registry if c is not None and c.self_signed != "no"]


def _path_error(
    input_pdf: Path,
    level: str,
    exc: PathBuildingError | PathValidationError,
    fetch_failures: FetchFailures | None = None,
) -> SigningError:
    """The signing certificate's chain could not be validated before a B-LT/B-LTA signature: why, in words."""
    if isinstance(exc, InsufficientRevinfoError) and fetch_failures:
        # pyHanko says "no revocation information could be found for …": the OCSP responders and CRL servers the
        # certificates name were down or answered wrongly — a service fault, the document signs once they are back
        problem = f"signing at {level} needs the revocation status (OCSP/CRL) of the certificates, but {fetch_failures}"
        return SigningServiceError(
            f"{input_pdf}: {problem}",
            problem,
            f"ký ở mức {level} cần tình trạng thu hồi (OCSP/CRL) của các chứng thư, nhưng "
            f"{fetch_failures.vietnamese()}",
        )
    if isinstance(exc, RevokedError):
        return SigningError(f"{input_pdf}: chứng thư số ký đã bị thu hồi / the signing certificate is revoked: {exc}")
    if isinstance(exc, PathBuildingError):
        return SigningError(f"{input_pdf}: level {level} needs the certificate chains to end at a trusted root: {exc}")
    return SigningError(f"{input_pdf}: the signing certificate does not validate: {exc}")


def _signing_failure(
    input_pdf: Path, level: str, exc: Exception, fetch_failures: FetchFailures | None = None
) -> SigningError:
    """What went wrong while pyHanko signed, in words: a service fault (the document signs once the service is
    back) or a signing error."""
    tsa_error = tsa_error_in(exc)
    if tsa_error is not None:
        # the TSA down, or answering something else than a timestamp (signing.services says which and how)
        problem = f"{tsa_error}; signing at {level} needs a timestamp"
        return SigningServiceError(
            f"{input_pdf}: {problem}", problem, f"ký ở mức {level} cần dấu thời gian, nhưng {tsa_error.vietnamese()}"
        )
    if isinstance(exc, OSError):
        problem = f"signing failed at {level}: a service could not be reached ({exc})"
        return SigningServiceError(
            f"{input_pdf}: {problem}", problem, f"không kết nối được một dịch vụ cần cho chữ ký mức {level} ({exc})"
        )
    if isinstance(exc.__cause__, (PathBuildingError, PathValidationError)):
        # pyHanko wraps the B-LT/B-LTA pre-signing validation's failure ("The signer's certificate could not be
        # validated"): say what failed, a revoked certificate above all
        return _path_error(input_pdf, level, exc.__cause__, fetch_failures)
    if "forbids all changes" in str(exc):
        # a certification signature (DocMDP) that allows no change, a new signature included: said in both
        # languages, what to do with it (QA135 F9: English only)
        problem = (
            f"signing failed at {level}: the document is certified allowing no change, a new signature included "
            f"({exc}); sign the document before it was certified, or ask its author for a copy that allows signing"
        )
        vietnamese = (
            "không ký được: tài liệu đã được chứng nhận (chữ ký chứng nhận DocMDP) không cho phép thay đổi nào, kể cả "
            "thêm chữ ký; hãy ký bản trước khi chứng nhận, hoặc đề nghị tác giả cấp bản cho phép ký"
        )
        return SaidInTwoLanguages(f"{input_pdf}: {vietnamese} / {problem}", problem, vietnamese)
    return SigningError(f"{input_pdf}: signing failed at {level}: {exc}")


def _next_field_name(taken: set[str], wanted: str) -> str:
    if wanted not in taken:
        return wanted
    base = re.sub(r"\d+$", "", wanted) or "Signature"
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


class _PadesSigner(signers.PdfSigner):
    """pyHanko's signer, except that an ECDSA signature over SHA-2 leaves a PDF 1.x document a PDF 1.x one.

    For ECDSA on the NIST curves pyHanko declares the ISO/TS 32002 extension, a PDF 2.0 extension, and so sets
    the catalogue's ``/Version`` to 2.0: every signed PDF/A-2b (PDF 1.7 at most) would declare itself PDF 2.0
    (pyHanko issue #543 is the same bump breaking PDF/A-3 invoices). PAdES — the ESIC extension to PDF 1.7, which
    pyHanko declares too — already admits ECDSA, so for a 1.x document only that one is declared.
    """

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        if pdf_out.output_version >= (2, 0) or md_algorithm not in ("sha256", "sha384", "sha512"):
            super().register_extensions(pdf_out, md_algorithm=md_algorithm)
            return
        try:
            algorithm = self.signer.get_signature_mechanism_for_digest(md_algorithm).signature_algo
        except (PyHankoSigningError, ValueError):
            algorithm = None
        pades = self.signature_meta.subfilter == fields.SigSeedSubFilter.PADES
        if algorithm != "ecdsa" or not pades or pdf_out.security_handler is not None:
            super().register_extensions(pdf_out, md_algorithm=md_algorithm)
            return
        pdf_out.ensure_output_version(version=(1, 7))  # what pyHanko does for PAdES, without the 2.0 declaration
        pdf_out.register_extension(pyhanko_constants.ESIC_EXTENSION_1)


def _open_writer(input_pdf: Path, fh: BinaryIO) -> IncrementalPdfFileWriter:
    head = fh.read(1024)
    fh.seek(0)
    if not head:
        raise SigningInputError(input_pdf, Problem.EMPTY)
    if b"%PDF-" not in head:
        if input_pdf.suffix.lower() == ".pdf":
            raise SigningInputError(input_pdf, Problem.NOT_A_PDF)
        from ocr.inputs import sniff_kind  # only for this message: what the file is instead

        kind = sniff_kind(head)
        what = f"it is a {kind.upper()} image" if kind else f"its first bytes are {head[:8]!r}"
        raise SigningInputError(input_pdf, Problem.NOT_PDF_TO_SIGN, what)
    try:
        writer = IncrementalPdfFileWriter(fh)
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        problem = Problem.TRUNCATED_PDF if b"%%EOF" not in _tail(fh) else Problem.DAMAGED_PDF
        fh.seek(0)
        try:
            # A slip a strict reader refuses but every viewer reads (Pillow writes its xref's first entry with
            # generation 65536): read it tolerantly, as `sohoa verify` does, rather than refuse a good PDF
            writer = IncrementalPdfFileWriter(fh, strict=False)
            _ = writer.root
        except (PdfError, ValueError, KeyError, IndexError, TypeError):
            raise SigningInputError(input_pdf, problem, str(exc)) from exc
        log.warning(
            "%s: lỗi cấu trúc mà trình đọc nghiêm ngặt từ chối (%s); đọc ở chế độ dễ dãi / structural errors a strict "
            "reader refuses (%s); read in tolerant mode",
            input_pdf,
            exc,
            exc,
        )
    if writer.prev.encrypted:
        # Signing would need the password and would produce a document nobody can archive openly.
        raise SigningInputError(input_pdf, Problem.ENCRYPTED_PDF)
    return writer


def _tail(fh: BinaryIO) -> bytes:
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - 1024))
    data = fh.read()
    fh.seek(0)
    return data


def sign_pdf(
    input_pdf: Path,
    output_pdf: Path,
    identity: SigningIdentity,
    *,
    reason: str = "Số hóa tài liệu",
    location: str | None = None,
    field_name: str = "Signature1",
    level: str = LEVEL,
    tsa_url: str | None = None,
    validation_roots: list[asn1_x509.Certificate] | None = None,
    appearance: Appearance | None = None,
    certify: bool = False,
) -> SignatureFacts:
    """Add a PAdES signature at ``level`` to ``input_pdf`` and write the result to ``output_pdf``.

    ``level`` is B-B (default), B-T, B-LT or B-LTA; all but B-B need ``tsa_url``. B-LT/B-LTA fetch OCSP/CRL
    data for the signer (and the TSA) and embed it; ``validation_roots`` are the roots the chains must end at
    (default: the self-signed certificates that come with the identity). ``appearance`` makes the signature
    visible (Decree 30 layout); ``certify`` makes it a certification (DocMDP, form filling allowed) signature.

    The original bytes are kept unchanged (incremental update), so earlier signatures stay valid. When
    ``field_name`` is already signed, the next free name (Signature2, …) is used. ``output_pdf`` is replaced
    atomically: readers see either the old file or the complete signed one. ``input_pdf`` may equal
    ``output_pdf``.
    """
    input_pdf = Path(input_pdf)
    output_pdf = Path(output_pdf)
    if level not in LEVELS:
        raise SigningError(f"{input_pdf}: unknown PAdES level {level!r}; valid levels: {', '.join(LEVELS)}")
    if level != "B-B" and not tsa_url:
        raise SigningError(f"{input_pdf}: level {level} needs a timestamping authority (tsa_url) but none is set")
    try:
        in_fh = open(input_pdf, "rb")  # noqa: SIM115 - closed in the finally below
    except FileNotFoundError as exc:
        raise SigningError(f"{input_pdf}: file to sign not found") from exc
    except OSError as exc:
        raise SigningError(f"{input_pdf}: cannot read the file to sign ({exc.strerror})") from exc

    tmp_name: str | None = None
    try:
        writer = _open_writer(input_pdf, in_fh)
        try:
            taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
            filled = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev, filled_status=True)}
        except (PdfError, ValueError, KeyError, TypeError) as exc:
            raise SigningInputError(input_pdf, Problem.DAMAGED_PDF, f"form fields unreadable: {exc}") from exc
        # An existing *empty* field with the wanted name is fine to fill; a signed one is never touched.
        name = field_name if field_name in taken and field_name not in filled else _next_field_name(taken, field_name)

        long_term = level in ("B-LT", "B-LTA")
        vc = None
        fetch_failures = FetchFailures()  # the OCSP/CRL fetches that failed, for the message if validation does
        if long_term:
            vc = ValidationContext(
                trust_roots=_validation_roots(identity, validation_roots),
                other_certs=[c for c in identity.signer.cert_registry if c is not None],
                allow_fetching=True,
                revocation_mode="hard-fail",
                fetcher_backend=recording_fetcher_backend(fetch_failures),
            )
        meta = signers.PdfSignatureMetadata(
            field_name=name,
            reason=reason,
            location=location,
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=long_term,
            use_pades_lta=level == "B-LTA",
            validation_context=vc,
            certify=certify,
            docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        )
        timestamper = _timestamper(tsa_url) if tsa_url and level != "B-B" else None
        stamp_style = None
        new_field_spec = None
        if appearance is not None:
            stamp_style, new_field_spec = appearance.pyhanko_style(writer, name, source=input_pdf)
        output_pdf.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{output_pdf.name}.", suffix=".tmp", dir=output_pdf.parent)
        with os.fdopen(fd, "w+b") as out_fh:
            try:
                _PadesSigner(
                    meta,
                    signer=identity.signer,
                    timestamper=timestamper,
                    stamp_style=stamp_style,
                    new_field_spec=new_field_spec,
                ).sign_pdf(
                    writer,
                    bytes_reserved=_bytes_reserved(identity, timestamper is not None),
                    output=out_fh,
                )
            except (PathBuildingError, PathValidationError) as exc:
                raise _path_error(input_pdf, level, exc, fetch_failures) from exc
            except Exception as exc:
                if (fault := _token_fault(exc)) is not None:
                    raise SigningTokenError.unreachable(identity.token, type(fault).__name__, str(input_pdf)) from None
                if isinstance(exc, (PdfError, PyHankoSigningError, ValueError, KeyError, TypeError, OSError)):
                    raise _signing_failure(input_pdf, level, exc, fetch_failures) from exc
                raise
            out_fh.flush()
            os.fsync(out_fh.fileno())
            signed_at, timestamped_at = _read_back_signing_time(out_fh, name, input_pdf, strict=writer.prev.strict)
        os.chmod(tmp_name, mode_for(output_pdf))  # (the file's it replaces, or the umask's: QA170 F5)
        os.replace(tmp_name, output_pdf)
        tmp_name = None
        fsync_dir(output_pdf.parent)
    except OSError as exc:
        raise SigningError(f"{output_pdf}: cannot write the signed file ({exc})") from exc
    finally:
        in_fh.close()
        if tmp_name is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)

    cert = identity.certificate
    subject, issuer = cert_names(cert)
    log.info(
        "đã ký %s thành %s (%s, trường %s) / signed %s as %s (%s, field %s)",
        input_pdf.name,
        output_pdf,
        level,
        name,
        input_pdf.name,
        output_pdf,
        level,
        name,
    )
    return SignatureFacts(
        output_pdf=str(output_pdf),
        field_name=name,
        level=level,
        signer_subject=subject,
        signer_issuer=issuer,
        certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        signed_at=signed_at,
        development_identity=identity.development,
        # QA78: `sign --json` gave the signer's claimed time only, not the TSA's
        timestamped_at=timestamped_at,
        timestamp_authority=tsa_url if timestamped_at is not None else None,
    )


def _token_fault(exc: BaseException) -> BaseException | None:
    """The python-pkcs11 error a token raised behind ``exc`` (as such, or as the cause of pyHanko's error), if any.
    Only when python-pkcs11 is loaded at all: a PKCS#11 identity loads it."""
    low = sys.modules.get("pkcs11.exceptions")
    seen: BaseException | None = exc
    for _ in range(8):  # a chain of causes is short; never loop on a cycle
        if low is None or seen is None:
            return None
        if isinstance(seen, low.PKCS11Error):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _read_back_signing_time(
    out_fh: BinaryIO, name: str, input_pdf: Path, *, strict: bool = True
) -> tuple[datetime, datetime | None]:
    """Re-open what we wrote: proves it parses before it replaces anything, and gives the exact /M time, and the
    signature timestamp's time (None without one). A file read tolerantly (``_open_writer``) keeps its slip in its
    first revision: read back tolerantly too."""
    out_fh.seek(0)
    try:
        reader = PdfFileReader(out_fh, strict=strict)
        sig = next(s for s in reader.embedded_signatures if s.field_name == name)
    except (PdfError, StopIteration, ValueError, KeyError) as exc:
        raise SigningError(f"{input_pdf}: the signed output could not be read back ({exc!r})") from exc
    stamped: datetime | None = None
    try:
        for token in signature_timestamp_tokens(sig.signed_data):
            stamped = _utc(token["encap_content_info"]["content"].parsed["gen_time"].native)
    except (KeyError, ValueError, TypeError, AttributeError):
        stamped = None  # the verification right after signing judges the token; this is a fact for the report
    when = sig.self_reported_timestamp
    if when is None:  # pyHanko always writes /M; fall back rather than fail on a cosmetic field.
        return datetime.now(UTC), stamped
    return _utc(when), stamped


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
