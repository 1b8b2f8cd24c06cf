"""How long the revocation data a PDF embeds stays current for a certificate chain.

A long-term (B-LT/B-LTA) PDF carries CRLs and OCSP responses in its DSS. The *newest* timestamp of the file is
validated at the present time (ETSI EN 319 102-1), so its TSA chain needs revocation data that is current now:
a CRL or OCSP response whose ``nextUpdate`` has not passed. Once the embedded data goes stale, an offline
verification of that timestamp can only say INDETERMINATE TRY_LATER; asking the CA (``--online``) or a newer
timestamp (the audit's renewal) settles it. This module says when that happens, so that the audit and the
verifier can tell an officer the date instead of a bare "TRY_LATER".
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedRevinfo:
    """The certificates, CRLs and OCSP responses of a PDF's DSS (empty without one)."""

    certs: list[asn1_x509.Certificate] = field(default_factory=list)
    crls: list[asn1_crl.CertificateList] = field(default_factory=list)
    ocsps: list[asn1_ocsp.OCSPResponse] = field(default_factory=list)

    @classmethod
    def of(cls, reader: PdfFileReader) -> EmbeddedRevinfo:
        try:
            return cls.of_dss(DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None)
        except Exception as exc:  # an unreadable DSS embeds nothing usable
            log.debug("unreadable DSS: %s", exc)
            return cls()

    @classmethod
    def of_dss(cls, dss: DocumentSecurityStore | None) -> EmbeddedRevinfo:
        if dss is None:
            return cls()
        try:
            context = dss.as_validation_context({"trust_roots": []})  # the DSS only, not the system trust list
        except Exception as exc:
            log.debug("unreadable DSS: %s", exc)
            return cls()
        return cls(certs=list(context.certificate_registry), crls=list(context.crls), ocsps=list(context.ocsps))

    @classmethod
    def of_pdf(cls, pdf: bytes) -> EmbeddedRevinfo:
        return cls.of(PdfFileReader(io.BytesIO(pdf), strict=False))


@dataclass(frozen=True)
class RevinfoCurrency:
    """Until when the embedded revocation data answers for every certificate of a chain that can be revoked.

    ``until`` is None when nothing in the chain needs revocation data (then ``missing`` is empty) or when some
    certificate that names revocation services has no embedded answer at all (named in ``missing``)."""

    until: datetime | None = None
    by: str | None = None  # the certificate whose data goes stale first
    missing: tuple[str, ...] = ()

    def stale_at(self, when: datetime) -> bool:
        """True when an offline validation at ``when`` lacks current revocation data for some certificate."""
        return bool(self.missing) or (self.until is not None and self.until < when)


def signature_timestamp_tokens(signed_data: cms.SignedData) -> Iterator[cms.SignedData]:
    """The signature timestamp tokens (unsigned attribute) of a CMS signature."""
    for info in signed_data["signer_infos"]:
        attrs = info["unsigned_attrs"]
        if not attrs:
            continue
        for attr in attrs:
            if attr["type"].native == "signature_time_stamp_token":
                for value in attr["values"]:
                    yield value["content"]


def _crl_urls(cert: asn1_x509.Certificate) -> list[str]:
    """The CRL addresses of the certificate's distribution points; raises on an odd extension."""
    return [
        name.native
        for point in cert.crl_distribution_points or []
        for name in point["distribution_point"].chosen
        if name.name == "uniform_resource_identifier"
    ]


def crl_urls(cert: asn1_x509.Certificate) -> list[str]:
    """The CRL addresses a certificate names (none for an odd extension)."""
    try:
        return _crl_urls(cert)
    except Exception:
        return []


def ocsp_urls(cert: asn1_x509.Certificate) -> list[str]:
    """The OCSP responders a certificate names (none for an odd extension)."""
    try:
        return list(cert.ocsp_urls)
    except Exception:
        return []


def revocation_services(cert: asn1_x509.Certificate) -> list[str]:
    """The OCSP responders and CRL addresses a certificate names (none: it cannot be revoked through a service,
    as the development CA's certificates)."""
    try:
        return list(cert.ocsp_urls) + _crl_urls(cert)
    except Exception:  # an odd extension: treat as naming nothing rather than fail the verdict
        return []


def chain_of(leaf: asn1_x509.Certificate, pool: Iterable[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
    """``leaf`` and its issuers found in ``pool``, up to a self-signed certificate or the first issuer missing."""
    candidates = list(pool)
    chain = [leaf]
    while chain[-1].self_signed == "no":  # asn1crypto says "no", "maybe" or "yes" (a string, always truthy)
        issuer = next((c for c in candidates if c.subject == chain[-1].issuer and c not in chain), None)
        if issuer is None:
            break
        chain.append(issuer)
    return chain


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def common_name(cert: Any) -> str:
    """A certificate by its common name (its whole subject without one), for messages."""
    try:
        if isinstance(cert, asn1_x509.Certificate):
            common = cert.subject.native.get("common_name")
            return str(common) if common else str(cert.subject.human_friendly)
    except Exception:  # an odd subject: the serial still identifies it
        pass
    return f"serial {getattr(cert, 'serial_number', '?')}"


def _crl_next_updates(cert: asn1_x509.Certificate, crls: Iterable[asn1_crl.CertificateList]) -> list[datetime]:
    out = []
    for crl in crls:
        try:
            tbs = crl["tbs_cert_list"]
            if crl.issuer == cert.issuer and tbs["next_update"].native is not None:
                out.append(_aware(tbs["next_update"].native))
        except (KeyError, ValueError, TypeError):
            continue
    return out


def _ocsp_next_updates(cert: asn1_x509.Certificate, ocsps: Iterable[asn1_ocsp.OCSPResponse]) -> list[datetime]:
    out = []
    for response in ocsps:
        try:
            data = response["response_bytes"]["response"].parsed["tbs_response_data"]
            for single in data["responses"]:
                cert_id = single["cert_id"]
                algorithm = cert_id["hash_algorithm"]["algorithm"].native
                if cert_id["serial_number"].native != cert.serial_number:
                    continue
                if cert_id["issuer_name_hash"].native != getattr(cert.issuer, algorithm):
                    continue
                if single["next_update"].native is not None:
                    out.append(_aware(single["next_update"].native))
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
    return out


def currency(chain: Sequence[asn1_x509.Certificate], embedded: EmbeddedRevinfo) -> RevinfoCurrency:
    """How long the embedded data stays current for ``chain``: for every certificate but a self-signed root, the
    latest ``nextUpdate`` of the CRLs of its issuer and the OCSP responses about it (a validator checks what is
    embedded, services named or not); the earliest of those over the chain."""
    limits: list[tuple[datetime, str]] = []
    missing: list[str] = []
    for cert in chain:
        if cert.self_signed != "no":
            continue
        updates = _crl_next_updates(cert, embedded.crls) + _ocsp_next_updates(cert, embedded.ocsps)
        if updates:  # embedded data is checked (and must be current) even for a certificate naming no service
            limits.append((max(updates), common_name(cert)))
        elif revocation_services(cert):
            missing.append(common_name(cert))
    if missing:
        return RevinfoCurrency(missing=tuple(missing))
    if not limits:
        return RevinfoCurrency()
    until, by = min(limits, key=lambda item: item[0])
    return RevinfoCurrency(until=until, by=by)
