"""Sign a PDF with PAdES baseline B-B, as an incremental update, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError

from signing.errors import SigningError, SigningInputError
from signing.identity import SigningIdentity, cert_names
from sohoa.errors import Problem
from sohoa.record import SignatureFacts

log = logging.getLogger(__name__)

LEVEL = "B-B"
# Reserving room for the CMS up front skips pyHanko's dummy signature pass (B-B 168 -> 88 ms, MEASURED.md).
MIN_BYTES_RESERVED = 16384
# Room for signed attributes, signature value and DER overhead on top of the embedded certificates.
_CMS_OVERHEAD = 4096


def _bytes_reserved(identity: SigningIdentity) -> int:
    """Enough for the certificates pyHanko embeds, so a long commercial CA chain still fits without sizing."""
    certs = [identity.signer.signing_cert, *identity.signer.cert_registry]
    der = sum(len(c.dump()) for c in certs if c is not None)
    # The placeholder is hex-encoded: two characters per byte.
    return max(MIN_BYTES_RESERVED, 2 * (der + _CMS_OVERHEAD))


def _next_field_name(taken: set[str], wanted: str) -> str:
    if wanted not in taken:
        return wanted
    base = re.sub(r"\d+$", "", wanted) or "Signature"
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def _open_writer(input_pdf: Path, fh: BinaryIO) -> IncrementalPdfFileWriter:
    head = fh.read(1024)
    fh.seek(0)
    if not head:
        raise SigningInputError(input_pdf, Problem.EMPTY)
    if b"%PDF-" not in head:
        raise SigningInputError(input_pdf, Problem.NOT_A_PDF)
    try:
        writer = IncrementalPdfFileWriter(fh)
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        problem = Problem.TRUNCATED_PDF if b"%%EOF" not in _tail(fh) else Problem.DAMAGED_PDF
        raise SigningInputError(input_pdf, problem, str(exc)) from exc
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


def _fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def sign_pdf(
    input_pdf: Path,
    output_pdf: Path,
    identity: SigningIdentity,
    *,
    reason: str = "Số hóa tài liệu",
    location: str | None = None,
    field_name: str = "Signature1",
) -> SignatureFacts:
    """Add a PAdES B-B signature (invisible field) to ``input_pdf`` and write the result to ``output_pdf``.

    The original bytes are kept unchanged (incremental update), so earlier signatures stay valid. When
    ``field_name`` is already signed, the next free name (Signature2, …) is used. ``output_pdf`` is replaced
    atomically: readers see either the old file or the complete signed one. ``input_pdf`` may equal
    ``output_pdf``.
    """
    input_pdf = Path(input_pdf)
    output_pdf = Path(output_pdf)
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

        meta = signers.PdfSignatureMetadata(
            field_name=name,
            reason=reason,
            location=location,
            subfilter=fields.SigSeedSubFilter.PADES,
        )
        output_pdf.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{output_pdf.name}.", suffix=".tmp", dir=output_pdf.parent)
        with os.fdopen(fd, "w+b") as out_fh:
            try:
                signers.sign_pdf(
                    writer,
                    meta,
                    signer=identity.signer,
                    bytes_reserved=_bytes_reserved(identity),
                    output=out_fh,
                )
            except (PdfError, PyHankoSigningError, ValueError, KeyError, TypeError) as exc:
                raise SigningError(f"{input_pdf}: signing failed: {exc}") from exc
            out_fh.flush()
            os.fsync(out_fh.fileno())
            signed_at = _read_back_signing_time(out_fh, name, input_pdf)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, output_pdf)
        tmp_name = None
        _fsync_dir(output_pdf.parent)
    except OSError as exc:
        raise SigningError(f"{output_pdf}: cannot write the signed file ({exc})") from exc
    finally:
        in_fh.close()
        if tmp_name is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)

    cert = identity.certificate
    subject, issuer = cert_names(cert)
    log.info("signed %s as %s (%s, field %s)", input_pdf.name, output_pdf, LEVEL, name)
    return SignatureFacts(
        output_pdf=str(output_pdf),
        field_name=name,
        level=LEVEL,
        signer_subject=subject,
        signer_issuer=issuer,
        certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        signed_at=signed_at,
        development_identity=identity.development,
    )


def _read_back_signing_time(out_fh: BinaryIO, name: str, input_pdf: Path) -> datetime:
    """Re-open what we wrote: proves it parses before it replaces anything, and gives the exact /M time."""
    out_fh.seek(0)
    try:
        reader = PdfFileReader(out_fh)
        sig = next(s for s in reader.embedded_signatures if s.field_name == name)
    except (PdfError, StopIteration, ValueError, KeyError) as exc:
        raise SigningError(f"{input_pdf}: the signed output could not be read back ({exc!r})") from exc
    when = sig.self_reported_timestamp
    if when is None:  # pyHanko always writes /M; fall back rather than fail on a cosmetic field.
        return datetime.now(UTC)
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
