"""Is the signing certificate revoked? Asked of its CA's OCSP/CRL services before signing.

Below B-LT pyHanko signs without asking: a batch signed at B-B or B-T with a revoked certificate archived every
document "signed", each of which then fails verification online (`sohoa verify --online`: REVOKED) — found at the
first audit, weeks later. At B-LT/B-LTA the signing itself refuses a revoked certificate (its pre-signing validation,
``signing.sign``); this is the same question asked once, before any document, whatever the level.

A certificate that names no OCSP responder or CRL server (the development identity's) is not asked; a service that
cannot be reached leaves the answer unknown, which the caller warns of and signs on (B-B/B-T promise no revocation
evidence; B-LT/B-LTA fail at the signature if the services stay down).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError
from pyhanko_certvalidator.fetchers.api import FetcherBackend
from pyhanko_certvalidator.path import ValidationPath

from signing.identity import SigningIdentity
from signing.revinfo import common_name, revocation_services
from signing.services import FetchFailures, recording_fetcher_backend

log = logging.getLogger(__name__)

# an answer is kept this long per certificate: a watcher checks before each pass, not each OCSP round trip
_KEPT_SECONDS = 600.0
_kept: dict[str, tuple[float, SignerRevocation]] = {}
_kept_lock = threading.Lock()


@dataclass(frozen=True)
class SignerRevocation:
    """What the signing certificate's CA said of it (or why nothing was asked or known)."""

    status: Literal["good", "revoked", "unknown", "not_checked"]
    certificate: str  # the signer, by its subject's common name
    revoked_at: datetime | None = None
    reason: str | None = None  # RFC 5280 CRLReason, asn1crypto's name ("key_compromise")
    why: str = ""  # unknown / not_checked: why, in English
    why_vi: str = ""
    asked_at: float = 0.0  # time.monotonic() when the services were asked: a kept answer is the same ask

    def refusal(self) -> str:
        """For a revoked certificate: what a command that would sign with it says (both languages)."""
        from signing.report import REVOCATION_REASON_VI

        vi_reason, en_reason = REVOCATION_REASON_VI.get(self.reason or "", (self.reason or "?", self.reason or "?"))
        from sohoa.vietnamese import VN_TZ

        # Vietnam time, as the reports say it
        when = f"{self.revoked_at.astimezone(VN_TZ):%H:%M %d/%m/%Y} (UTC+7)" if self.revoked_at else "?"
        return (
            f"chứng thư số ký {self.certificate!r} đã bị thu hồi lúc {when} (lý do: {vi_reason}); mọi chữ ký bằng nó "
            "sẽ không hợp lệ — hãy cấu hình chứng thư khác; không ký gì / the signing certificate "
            f"{self.certificate!r} was revoked at {when} (reason: {en_reason}); every signature made with it would "
            "fail verification — configure another certificate; nothing was signed"
        )

    def words(self) -> str:
        """The status in words, both languages (`sohoa keys list`)."""
        if self.status == "good":
            return (
                "chưa bị thu hồi (máy chủ OCSP/CRL của CA vừa trả lời) / not revoked (its CA's OCSP/CRL services "
                "said so now)"
            )
        if self.status == "revoked":
            return self.refusal()
        if self.status == "unknown":
            return f"không rõ / unknown: {self.why_vi} / {self.why}"
        return f"không kiểm tra / not checked: {self.why_vi} / {self.why}"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "reason": self.reason,
            "why": self.why or None,
            "words": self.words(),
        }

    def warning(self) -> str:
        """For an unknown status: what is logged before signing on (both languages)."""
        return (
            f"chưa kiểm tra được chứng thư số ký {self.certificate!r} có bị thu hồi hay không ({self.why_vi}); vẫn ký "
            f"/ could not check whether the signing certificate {self.certificate!r} is revoked ({self.why}); "
            "signing all the same"
        )


async def _validate(validator: CertificateValidator, backend: FetcherBackend) -> ValidationPath:
    try:
        return await validator.async_validate_usage(set())
    finally:  # its HTTP session, in the loop that opened it
        await backend.close()


def _run(validator: CertificateValidator, backend: FetcherBackend) -> ValidationPath:
    """Run the validation to its end, from a thread with or without an event loop of its own (a Prefect task);
    the chain it validated."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_validate(validator, backend))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _validate(validator, backend)).result()


def signer_revocation(
    identity: SigningIdentity, roots: Iterable[asn1_x509.Certificate] = (), *, fresh: bool = False
) -> SignerRevocation:
    """Ask the signing certificate's OCSP responder / CRL server whether it is revoked: the chain is built to
    ``roots`` (the configured trust roots) or to a self-signed certificate the identity carries. Kept per
    certificate and roots for ten minutes unless ``fresh``."""
    cert = identity.signer.signing_cert
    if cert is None:  # a token's key without its certificate: loading the identity refuses it first
        return SignerRevocation("not_checked", "?", why="no certificate", why_vi="không có chứng thư")
    name = common_name(cert)
    if identity.development:
        return SignerRevocation("not_checked", name, why="development identity", why_vi="khóa thử nghiệm")
    if not revocation_services(cert):
        return SignerRevocation(
            "not_checked",
            name,
            why="the certificate names no OCSP responder or CRL server",
            why_vi="chứng thư không ghi máy chủ OCSP hay CRL nào",
        )
    roots = list(roots)
    # the answer depends on the roots the chain may end at, too
    key = hashlib.sha256(b"".join([cert.dump(), *(root.dump() for root in roots)])).hexdigest()
    with _kept_lock:
        kept = _kept.get(key)
    if kept is not None and not fresh and time.monotonic() - kept[0] < _KEPT_SECONDS:
        return kept[1]
    asked_at = time.monotonic()
    found = dataclasses.replace(_ask(identity, cert, name, roots), asked_at=asked_at)
    with _kept_lock:
        _kept[key] = (asked_at, found)
    return found


def _ask(
    identity: SigningIdentity, cert: asn1_x509.Certificate, name: str, roots: list[asn1_x509.Certificate]
) -> SignerRevocation:
    from signing.verify import revocation_evidence

    chain = [c for c in identity.signer.cert_registry if c is not None]
    # asn1crypto's self_signed is "no", "maybe" or "yes"
    anchors = roots + [c for c in chain if c.self_signed != "no" and c not in roots]
    failures = FetchFailures()
    backend = recording_fetcher_backend(failures).backend  # closed by _validate: no signing here to own it
    context = ValidationContext(
        trust_roots=anchors,
        other_certs=chain,
        allow_fetching=True,
        revocation_mode="soft-fail",  # a service down: known below as unknown, not as a validation failure
        fetcher_backend=backend,
    )
    try:
        path = _run(CertificateValidator(cert, intermediate_certs=chain, validation_context=context), backend)
    except RevokedError as exc:
        return SignerRevocation(
            "revoked", name, revoked_at=exc.revocation_dt, reason=str(exc.reason.native) if exc.reason else None
        )
    except PathBuildingError:
        return SignerRevocation(
            "unknown",
            name,
            why="its chain ends at no trusted root (configure SOHOA_TRUST_ROOTS with its CA's root)",
            why_vi="chuỗi chứng thư không dẫn tới gốc tin cậy nào (cấu hình SOHOA_TRUST_ROOTS với gốc của CA)",
        )
    except PathValidationError as exc:
        return SignerRevocation("unknown", name, why=str(exc), why_vi=f"chuỗi chứng thư không hợp lệ: {exc}")
    except Exception as exc:  # the services' faults are noted by the fetchers; anything else: said, not raised
        log.debug("signer revocation check of %s: %r", name, exc)
        services = ", ".join(revocation_services(cert))
        if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
            # a service that takes the connection and never answers: its TimeoutError says nothing (QA70: the
            # warning read "(); vẫn ký / (TimeoutError)")
            return SignerRevocation(
                "unknown",
                name,
                why=f"its OCSP/CRL services ({services}) did not answer in time",
                why_vi=f"máy chủ OCSP/CRL ({services}) không trả lời kịp",
            )
        text = str(exc) or type(exc).__name__
        return SignerRevocation(
            "unknown",
            name,
            why=f"asking its OCSP/CRL services ({services}) failed: {text}",
            why_vi=f"hỏi máy chủ OCSP/CRL ({services}) không thành công: {text}",
        )
    if revocation_evidence(cert, context, path) is None:
        return SignerRevocation(
            "unknown",
            name,
            why=str(failures) or "no OCSP/CRL answer was had",
            why_vi=failures.vietnamese() or "không có trả lời OCSP/CRL nào",
        )
    return SignerRevocation("good", name)
