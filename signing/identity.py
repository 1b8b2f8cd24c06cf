"""Signing identities: a generated development-only CA + signer, or a real PKCS#12 (.p12/.pfx) file.

The development identity exists so that sohoa works out of the box on one machine. Its certificates say
``DEVELOPMENT ONLY`` in their subjects, so a document signed with it can never be mistaken for one signed by a
real commune certificate, and loading it logs a loud warning.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import os
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import SigningConfigError
from sohoa.fsutil import exclusive_lock, fsync_dir
from sohoa.signing_names import IDENTITY_KINDS

log = logging.getLogger(__name__)

DEV_CA_FILE = "dev-ca.pem"
DEV_SIGNER_FILE = "dev-signer.pem"
DEV_SIGNER_KEY_FILE = "dev-signer.key.pem"
_LOCK_FILE = ".dev-identity.lock"

DEV_ORGANIZATION = "sohoa DEVELOPMENT ONLY - not for production"
DEV_CA_CN = "sohoa DEVELOPMENT ONLY Root CA"
DEV_SIGNER_CN = "sohoa DEVELOPMENT ONLY Signer"

SIGNER_VALIDITY = dt.timedelta(days=5 * 365)
# The root outlives the signer so that a re-issued signer (future work) can chain to the same root.
CA_VALIDITY = dt.timedelta(days=10 * 365)
# Back-date notBefore a little: a validator whose clock is a few minutes behind must not reject a fresh cert.
_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class DevIdentity:
    """Where the development identity's files live."""

    keys_dir: Path
    ca_cert: Path
    signer_cert: Path
    signer_key: Path


@dataclass(frozen=True)
class Pkcs11Config:
    """Where the key lives on a PKCS#11 token (hashable, so a loaded token session can be cached)."""

    module: Path
    token_label: str = ""
    slot: int | None = None
    key_label: str = ""
    cert_label: str = ""
    pin: str | None = field(default=None, repr=False)  # never shown in logs or reprs


@dataclass(frozen=True)
class SigningIdentity:
    """A loaded signer, ready to sign many documents (reloading the key per document is the slow part)."""

    signer: signers.Signer
    certificate: asn1_x509.Certificate
    development: bool
    description: str
    release: Callable[[], None] | None = None  # what close() gives back (a PKCS#11 session and its login)
    token: str = ""  # the PKCS#11 token it signs with, as messages name it ("" for a key read from a file)
    lose: Callable[[], None] | None = None  # forgets the token's sessions and login: the token went away
    probe: Callable[[], None] | None = None  # raises when the token no longer answers for the key

    def reachable(self) -> bool:
        """Whether the key can still be used: always for a key read from a file; for a token, whether it still
        finds the key (a token pulled out while nothing was signing keeps its login cached in this process)."""
        if self.probe is None:
            return True
        try:
            self.probe()
        except Exception:  # whatever the module says about a token gone (ObjectHandleInvalid, NoSuchKey, …)
            return False
        return True

    def close(self) -> None:
        """Release what the identity holds open (the PKCS#11 session and its login); a no-op otherwise."""
        if self.release is not None:
            with contextlib.suppress(Exception):
                self.release()

    def token_lost(self) -> None:
        """The token stopped answering (unplugged, re-initialised): forget every session and the login this process
        had on it, so that the next identity loaded for it logs in afresh instead of reusing a dead login."""
        if self.lose is not None:
            with contextlib.suppress(Exception):
                self.lose()
        self.close()


# --------------------------------------------------------------------------------------------------------
# development identity


def _dev_paths(keys_dir: Path) -> DevIdentity:
    return DevIdentity(
        keys_dir=keys_dir,
        ca_cert=keys_dir / DEV_CA_FILE,
        signer_cert=keys_dir / DEV_SIGNER_FILE,
        signer_key=keys_dir / DEV_SIGNER_KEY_FILE,
    )


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write via a temp file in the same folder + fsync + os.replace, so a crash never leaves half a file."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; set the final mode before any secret byte is written.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_dir(path.parent)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _generate_dev_identity(paths: DevIdentity) -> None:
    now = dt.datetime.now(dt.UTC)
    # ECDSA P-256: small and fast, and accepted by pyHanko, poppler/NSS and Adobe Reader.
    ca_key = ec.generate_private_key(ec.SECP256R1())
    signer_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(DEV_CA_CN)

    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(DEV_SIGNER_CN))
        .issuer_name(ca_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + SIGNER_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # content_commitment is nonRepudiation; pyHanko's validator requires it by default for signers.
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    # The CA key is deliberately not kept: nothing else should ever be issued under this root.
    key_pem = signer_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Key first, CA last: the presence of all three files is what marks the identity complete.
    _write_atomic(paths.signer_key, key_pem, 0o600)
    _write_atomic(paths.signer_cert, signer_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write_atomic(paths.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _complete(paths: DevIdentity) -> bool:
    return paths.ca_cert.is_file() and paths.signer_cert.is_file() and paths.signer_key.is_file()


def existing_dev_ca(keys_dir: Path) -> Path | None:
    """The development root certificate when this data folder's development identity exists; never creates it
    (a verification or an audit must not leave a new private key behind)."""
    paths = _dev_paths(Path(keys_dir))
    return paths.ca_cert if _complete(paths) else None


def ensure_dev_identity(keys_dir: Path) -> DevIdentity:
    """Create the development CA and signer in ``keys_dir`` on first use; afterwards just return the paths."""
    keys_dir = Path(keys_dir)
    paths = _dev_paths(keys_dir)
    if _complete(paths):
        return paths
    try:
        keys_dir.mkdir(parents=True, exist_ok=True)
        # serialised, so that two processes starting at once cannot mix one's CA with the other's signer
        with exclusive_lock(keys_dir / _LOCK_FILE):
            # Another process may have finished generating while we waited for the lock.
            if not _complete(paths):
                if any(p.exists() for p in (paths.ca_cert, paths.signer_cert, paths.signer_key)):
                    # A partial set can only come from a crash during generation: nothing was ever signed
                    # with it, so starting over is safe.
                    log.warning(
                        "khóa ký THỬ NGHIỆM trong %s không đầy đủ; tạo khóa mới / incomplete development identity in "
                        "%s; generating a new one",
                        keys_dir,
                        keys_dir,
                    )
                for leftover in keys_dir.glob(".dev-*.tmp"):
                    # a generation killed mid-write (files are written only under this lock): one may be a key
                    leftover.unlink(missing_ok=True)
                    log.warning(
                        "đã xóa %s, do một lần chạy bị gián đoạn để lại / removed %s, left by an interrupted run",
                        leftover,
                        leftover,
                    )
                log.warning(
                    "tạo khóa ký THỬ NGHIỆM (không có giá trị pháp lý) trong %s / generating a DEVELOPMENT ONLY "
                    "signing identity in %s",
                    keys_dir,
                    keys_dir,
                )
                _generate_dev_identity(paths)
    except OSError as exc:
        raise SigningConfigError(
            f"{keys_dir}: không tạo được khóa ký thử nghiệm / cannot create the development signing identity: {exc}"
        ) from exc
    return paths


# --------------------------------------------------------------------------------------------------------
# loading


def _load_pem_or_der_cert(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def _to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _check_usable(cert: x509.Certificate, source: Path) -> None:
    """Refuse an expired or not-yet-valid signer, or one whose certificate's key usage does not allow signing
    documents: every signature it made would verify as failed. The key usage is the one pyHanko's verification
    asks of a signer (non-repudiation): a certificate without it was called usable by `keys list`, signed at
    B-B/B-T signatures that then failed, stopped `sign` at B-LTA with an internal error, and had every scan of a batch
    quarantined, the scans blamed for the identity (QA78)."""
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc < now:
        raise SigningConfigError(
            f"{source}: chứng thư số ký đã hết hạn ngày {cert.not_valid_after_utc:%d/%m/%Y} / the signing "
            f"certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}"
        )
    if cert.not_valid_before_utc > now + _CLOCK_SKEW:
        raise SigningConfigError(
            f"{source}: chứng thư số ký chưa có hiệu lực trước ngày {cert.not_valid_before_utc:%d/%m/%Y} / the "
            f"signing certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
        )
    shortfall = key_usage_shortfall(_to_asn1_cert(cert))
    if shortfall is not None:
        raise SigningConfigError(
            f"{source}: mục đích sử dụng khóa của chứng thư số ký ({shortfall.has_vi}) không cho phép ký tài liệu (cần "
            f"{shortfall.needs}): mọi chữ ký sẽ không hợp lệ; cần chứng thư khác / the signing certificate's key usage "
            f"({shortfall.has}) does not allow signing documents ({shortfall.needs} needed): every signature would "
            f"fail verification; use another certificate ({shortfall.detail})"
        )


@dataclass(frozen=True)
class KeyUsageShortfall:
    """Why a certificate's key usage does not allow signing documents, as pyHanko's verification judges it."""

    has: str  # its key usages in words ("key encipherment"), "none" without the extension
    has_vi: str
    needs: str  # what a signer's certificate must have ("non repudiation")
    detail: str  # pyHanko's words


def key_usage_shortfall(cert: asn1_x509.Certificate) -> KeyUsageShortfall | None:
    """None when ``cert`` may sign documents by the key usage pyHanko's verification asks of a signer (non-
    repudiation); otherwise what it has and needs. Used when an identity loads (refused) and when a signature is
    verified (its CHAIN_CONSTRAINTS_FAILURE said in words, QA78)."""
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureStatus
    from pyhanko_certvalidator.errors import InvalidCertificateError

    wanted = KeyUsageConstraints(key_usage=SignatureStatus.key_usage, extd_key_usage=SignatureStatus.extd_key_usage)
    try:
        wanted.validate(cert)
    except InvalidCertificateError as exc:
        said = cert.key_usage_value
        has = ", ".join(str(usage).replace("_", " ") for usage in said.native) if said is not None else "none"
        return KeyUsageShortfall(
            has=has,
            has_vi=has if said is not None else "không ghi",  # no KeyUsage extension: pyHanko's check takes it as none
            needs=", ".join(usage.replace("_", " ") for usage in sorted(SignatureStatus.key_usage)),
            detail=str(exc),
        )
    return None


def _same_public_key(cert: x509.Certificate, key: object) -> bool:
    pub = getattr(key, "public_key", None)
    if pub is None:
        return False
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return bool(cert.public_key().public_bytes(*fmt) == pub().public_bytes(*fmt))


def _make_signer(
    cert: x509.Certificate, key: object, chain: list[x509.Certificate]
) -> tuple[signers.SimpleSigner, asn1_x509.Certificate]:
    key_der = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    asn1_cert = _to_asn1_cert(cert)
    registry = SimpleCertificateStore()
    # Registering the chain makes pyHanko embed it in the CMS, so a verifier needs only the root.
    registry.register_multiple([_to_asn1_cert(c) for c in chain])
    signer = signers.SimpleSigner(
        signing_cert=asn1_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=registry,
    )
    return signer, asn1_cert


# Attributes RFC 4514 has no short name for, which cryptography would print as dotted OIDs
# (``1.2.840.113549.1.9.1=…``): Vietnamese CAs put the e-mail address, tax and ID numbers in subjects. OpenSSL's
# names, which auditors know.
_NAME_OVERRIDES = {
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.TITLE: "title",
    NameOID.GIVEN_NAME: "GN",
    NameOID.SURNAME: "SN",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}


def readable_name(name: x509.Name) -> str:
    """An RFC 4514 string (``CN=…,O=…,C=VN``; cryptography escapes it correctly) with named attributes, NFC: a
    certificate may spell its Vietnamese decomposed (NFD), and a name shown so was not found by searching a report
    for it typed (QA92: ``Nguyễn Thị Hồng Nhung``, 0 matches in the HTML)."""
    return unicodedata.normalize("NFC", name.rfc4514_string(_NAME_OVERRIDES))


def cert_names(cert: asn1_x509.Certificate) -> tuple[str, str]:
    """(subject, issuer) as RFC 4514 strings (``CN=…,O=…,C=VN``)."""
    parsed = x509.load_der_x509_certificate(cert.dump())
    return readable_name(parsed.subject), readable_name(parsed.issuer)


def _describe(cert: x509.Certificate) -> str:
    return f"{readable_name(cert.subject)} (issued by {readable_name(cert.issuer)})"


def _load_dev(keys_dir: Path) -> SigningIdentity:
    paths = ensure_dev_identity(keys_dir)
    try:
        ca = _load_pem_or_der_cert(paths.ca_cert)
        cert = _load_pem_or_der_cert(paths.signer_cert)
        key = serialization.load_pem_private_key(paths.signer_key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningConfigError(
            f"{keys_dir}: the development identity files are unreadable ({exc}); "
            "delete them to generate a new development identity"
        ) from exc
    if not _same_public_key(cert, key):
        raise SigningConfigError(
            f"{paths.signer_key}: the key does not belong to {paths.signer_cert}; "
            "delete the dev-* files to generate a new development identity"
        )
    _check_usable(cert, paths.signer_cert)
    signer, asn1_cert = _make_signer(cert, key, [ca])
    log.warning(
        "ký bằng khóa THỬ NGHIỆM trong %s: chữ ký chỉ để thử, không có giá trị pháp lý; khi dùng thật hãy cấu hình "
        "khóa PKCS#12 hoặc PKCS#11 / signing with the DEVELOPMENT ONLY identity in %s: signatures are for testing "
        "and have no legal value; configure a PKCS#12 identity (signing_identity = 'pkcs12') or a PKCS#11 token "
        "for production",
        keys_dir,
        keys_dir,
    )
    return SigningIdentity(
        signer=signer,
        certificate=asn1_cert,
        development=True,
        description=f"DEVELOPMENT ONLY identity {_describe(cert)}",
    )


def _load_pkcs12(pkcs12_file: Path | None, passphrase: bytes | None) -> SigningIdentity:
    from cryptography.hazmat.primitives.serialization import pkcs12

    if pkcs12_file is None:
        raise SigningConfigError(
            "khóa ký 'pkcs12' cần một tệp PKCS#12 (SOHOA_PKCS12_FILE) nhưng chưa đặt / signing identity 'pkcs12' "
            "needs a PKCS#12 file (pkcs12_file, SOHOA_PKCS12_FILE) but none is set"
        )
    try:
        data = Path(pkcs12_file).read_bytes()
    except FileNotFoundError as exc:
        raise SigningConfigError(
            f"{pkcs12_file}: không có tệp PKCS#12 này (SOHOA_PKCS12_FILE) / PKCS#12 file not found (pkcs12_file, "
            "SOHOA_PKCS12_FILE)"
        ) from exc
    except OSError as exc:
        raise SigningConfigError(
            f"{pkcs12_file}: không đọc được tệp PKCS#12 ({exc.strerror}) / cannot read the PKCS#12 file "
            f"({exc.strerror})"
        ) from exc
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError):
        # cryptography cannot tell a wrong password from a damaged file; say both, and never echo the
        # password. `from None` keeps the original exception (and its locals) out of logged tracebacks.
        hint = "no password was given" if not passphrase else "wrong password"
        hint_vi = "chưa có mật khẩu" if not passphrase else "sai mật khẩu"
        raise SigningConfigError(
            f"{pkcs12_file}: không mở được tệp PKCS#12 ({hint_vi} — SOHOA_PKCS12_PASSWORD_FILE —, hoặc đó không "
            f"phải tệp PKCS#12) / cannot open the PKCS#12 file ({hint}: SOHOA_PKCS12_PASSWORD_FILE, or it is not a "
            "PKCS#12 file)"
        ) from None
    if key is None or cert is None:
        raise SigningConfigError(
            f"{pkcs12_file}: tệp PKCS#12 phải chứa cả khóa bí mật và chứng thư số / the PKCS#12 file must hold both a "
            "private key and a certificate"
        )
    if not _same_public_key(cert, key):
        raise SigningConfigError(
            f"{pkcs12_file}: khóa bí mật không khớp với chứng thư số / the private key does not match the certificate"
        )
    _check_usable(cert, Path(pkcs12_file))
    signer, asn1_cert = _make_signer(cert, key, list(extra))
    return SigningIdentity(
        signer=signer,
        certificate=asn1_cert,
        development=False,
        description=f"PKCS#12 {Path(pkcs12_file).name}: {_describe(cert)}",
    )


# settings named in the messages, as an operator sets them
_PIN_SETTINGS = "pkcs11_pin or pkcs11_pin_file (SOHOA_PKCS11_PIN, SOHOA_PKCS11_PIN_FILE)"


def _slot_listing(found: list[tuple[Any, Any]]) -> str:
    """The module's slots as `sohoa keys list` shows them: the slot number and the token in it."""
    if not found:
        return "the module has no slot"
    from pkcs11 import TokenFlag

    def one(slot: Any, token: Any) -> str:
        if token is None:
            return f"slot {slot.slot_id}: no token"
        if not token.flags & TokenFlag.TOKEN_INITIALIZED:  # SoftHSM2's free slot: a label '' said nothing
            return f"slot {slot.slot_id}: uninitialised token"
        return f"slot {slot.slot_id}: token {token.label!r}"

    return "; ".join(one(slot, token) for slot, token in found)


def _find_token(config: Pkcs11Config, module: Path) -> tuple[Any, Any]:
    """(slot, token) named by the configuration (see ``_choose_token``). A token unplugged and plugged in again may
    be seen only after the module is initialised again (SoftHSM2 keeps a removed token's slot answering
    GeneralError until then, found by testing): when it is not found, and this process has no session open on the
    module (initialising it again ends them all), the module is initialised again and looked at once more."""
    import pkcs11

    try:
        return _choose_token(config, module)
    except SigningConfigError as exc:
        if _token_logins.holds(module):
            raise
        try:
            pkcs11.lib(str(module)).reinitialize()
        except pkcs11.exceptions.PKCS11Error:
            raise exc from None
        return _choose_token(config, module)


def _choose_token(config: Pkcs11Config, module: Path) -> tuple[Any, Any]:
    """(slot, token) named by the configuration. ``pkcs11_slot`` is the slot number the module gives (the PKCS#11
    slot ID that `sohoa keys list`, `softhsm2-util --show-slots` and `pkcs11-tool -L` show), not a position in
    the slot list: pyHanko's ``open_pkcs11_session(slot_no=…)`` takes a position, so the number `keys list`
    showed was refused or, worse, picked another token (found by exploratory testing)."""
    import pkcs11
    from pkcs11.exceptions import PKCS11Error as LowPKCS11Error

    try:
        slots = pkcs11.lib(str(module)).get_slots()
    except LowPKCS11Error as exc:
        raise SigningConfigError(f"{module}: the PKCS#11 module cannot list its slots ({type(exc).__name__})") from None
    found: list[tuple[Any, Any]] = []
    for slot in slots:
        try:
            found.append((slot, slot.get_token()))
        except LowPKCS11Error:  # an empty reader slot (TokenNotPresent)
            found.append((slot, None))
    if config.slot is not None:
        chosen = [(slot, token) for slot, token in found if slot.slot_id == config.slot]
        if not chosen:
            raise SigningConfigError(
                f"{module}: không có khe {config.slot} / no slot {config.slot} (pkcs11_slot, SOHOA_PKCS11_SLOT: the "
                f"slot number `sohoa keys list` shows); the module's slots: {_slot_listing(found)}"
            )
        slot, token = chosen[0]
        if token is None:
            raise SigningConfigError(f"{module}: slot {config.slot} holds no token (pkcs11_slot, SOHOA_PKCS11_SLOT)")
        if config.token_label and token.label != config.token_label:
            raise SigningConfigError(
                f"{module}: slot {config.slot} holds token {token.label!r}, not {config.token_label!r} "
                "(pkcs11_slot and pkcs11_token_label name different tokens)"
            )
    else:
        chosen = [(slot, token) for slot, token in found if token is not None and token.label == config.token_label]
        if not chosen:
            raise SigningConfigError(
                f"{module}: không có thẻ {config.token_label!r} (đã cắm thẻ vào chưa?) / no token labelled "
                f"{config.token_label!r} (is it plugged in? pkcs11_token_label, SOHOA_PKCS11_TOKEN_LABEL); the "
                f"module's slots: {_slot_listing(found)}"
            )
        slot, token = chosen[0]
    if not token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
        raise SigningConfigError(
            f"{module}: the token in slot {slot.slot_id} is not initialised (no key on it); "
            f"the module's slots: {_slot_listing(found)}"
        )
    return slot, token


def _labels(session: Any, object_class: Any) -> list[str]:
    from pkcs11 import Attribute

    return sorted({str(obj[Attribute.LABEL]) for obj in session.get_objects({Attribute.CLASS: object_class})})


class _TokenLogins:
    """The sessions this process has open on each token, and the one that logged in.

    A PKCS#11 login belongs to the application, not to a session: while one identity is logged in to a token, a
    second login (another key of the same token, or the same identity loaded again) fails with
    UserAlreadyLoggedIn, and any session's logout logs out every session on it. So the first session on a token
    logs in; later ones open without a PIN (they see the private keys through that login), and the login is ended
    only when the token's last session is released — not when the identity that logged in closes first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, int], tuple[Any, set[Any]]] = {}  # (module, slot) → (login, sessions)

    def open(
        self, module: Path, slot: Any, token: Any, config: Pkcs11Config, where: str
    ) -> tuple[Any, Callable[[], None], Callable[[], None]]:
        """A session for one identity, the function that releases it, and the one that forgets the token's sessions
        and login when the token has gone away."""
        key = (str(module.resolve()), int(slot.slot_id))
        with self._lock:
            held = self._tokens.get(key)
            if held is not None:  # logged in already: the PIN was checked then (the token would not check it now)
                session = token.open()
                held[1].add(session)
            else:
                session = _login(slot, token, config, where)
                self._tokens[key] = (session, {session})
        return session, lambda: self._release(key, session), lambda: self._forget(key, session)

    def holds(self, module: Path) -> bool:
        """Whether this process has a session open on a token of ``module``."""
        name = str(module.resolve())
        with self._lock:
            return any(key[0] == name for key in self._tokens)

    def _release(self, key: tuple[str, int], session: Any) -> None:
        with self._lock:
            held = self._tokens.get(key)
            if held is None or session not in held[1]:
                return  # released before
            login, sessions = held
            sessions.discard(session)
            if session is not login:
                session.close()  # opened without a PIN: closing it logs nobody out
            if not sessions:
                del self._tokens[key]
                login.close()  # the token's last session: log out

    def _forget(self, key: tuple[str, int], session: Any) -> None:
        """The token of ``session`` went away: every session of that login is dead. Forget them all (closing what
        can still be closed), unless a new login has replaced that one since."""
        with self._lock:
            held = self._tokens.get(key)
            if held is None or session not in held[1]:
                return  # forgotten or released before: a later login on the token is not this one's to end
            del self._tokens[key]
        for dead in held[1]:
            with contextlib.suppress(Exception):
                dead.close()


class _RefusedPins:
    """The PINs a token refused in this process, so that the same PIN is never presented to it again: a token locks
    after a few wrong PINs (3 to 10), and a batch, a watcher's passes and Prefect's retries each tried it again (QA:
    five wrong-PIN logins in 45 s for one dropped file). Kept as keyed digests (HMAC-SHA-256 under a key drawn for
    this process), never the PIN; a new PIN (the setting or the file changed) is tried. The token is known by its
    module, label and serial number, so another token put in the same reader is tried too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secret = os.urandom(32)
        self._refused: dict[tuple[str, str, str, str], str] = {}

    def _key(self, module: Path, token: Any, pin: str) -> tuple[str, str, str, str]:
        serial = token.serial.decode(errors="replace") if isinstance(token.serial, bytes) else str(token.serial)
        digest = hmac.new(self._secret, pin.encode("utf-8"), hashlib.sha256).hexdigest()
        return (str(module.resolve()), str(token.label), serial.strip(), digest)

    def refusal(self, module: Path, token: Any, pin: str) -> str | None:
        """What the token said when it refused this PIN, or None when it never did."""
        with self._lock:
            return self._refused.get(self._key(module, token, pin))

    def remember(self, module: Path, token: Any, pin: str, message: str) -> None:
        with self._lock:
            self._refused[self._key(module, token, pin)] = message


_refused_pins = _RefusedPins()


_token_logins = _TokenLogins()


def _open_session(token: Any, pin: str | None) -> Any:
    """Open a session on the token, logged in when a PIN is given (its own function so that a test can stand in
    for a token that locks its PIN: SoftHSM2 never does)."""
    return token.open(user_pin=pin) if pin else token.open()


def _login(slot: Any, token: Any, config: Pkcs11Config, where: str) -> Any:
    """A session on the token, logged in with the configured PIN; each way this can fail says what to do."""
    from pkcs11 import ObjectClass, TokenFlag
    from pkcs11.exceptions import PinExpired, PinIncorrect, PinInvalid, PinLenRange, PinLocked
    from pkcs11.exceptions import PKCS11Error as LowPKCS11Error

    locked = SigningConfigError(
        f"{where}: mã PIN đã bị khoá / the user PIN is locked (PinLocked): too many wrong PINs were tried; the "
        "token's security officer (SO PIN) must unlock it before sohoa can sign with it"
    )
    if token.flags & TokenFlag.USER_PIN_LOCKED:
        # do not try the PIN: some tokens count even a try on a locked PIN, or wipe the key after it
        raise locked
    if not config.pin and token.flags & TokenFlag.LOGIN_REQUIRED:
        # Without a login the token shows only its public objects, and pyHanko said "could not find private key":
        # say that the PIN is missing — and whether the key's label is on the token at all (its public key and
        # certificate are visible without the PIN).
        try:
            with token.open() as session:
                visible = _labels(session, ObjectClass.PUBLIC_KEY) + _labels(session, ObjectClass.CERTIFICATE)
        except LowPKCS11Error:
            visible = []
        if config.key_label in visible:
            raise SigningConfigError(
                f"{where}: chưa có mã PIN / no PIN is set: the token needs the user PIN to sign with key "
                f"{config.key_label!r}; set {_PIN_SETTINGS}"
            )
        raise SigningConfigError(
            f"{where}: không có khoá / the key label {config.key_label!r} (pkcs11_key_label) is not on the token "
            f"(labels on it: {', '.join(sorted(set(visible))) or 'none'}), and no PIN is set: the token shows its "
            f"private keys only after the user PIN, so set {_PIN_SETTINGS} too"
        )
    module = Path(config.module)
    if config.pin and (refusal := _refused_pins.refusal(module, token, config.pin)) is not None:
        # refused before in this process: presenting it again would only bring the token closer to locking
        raise SigningConfigError(
            f"{refusal} (không thử lại mã PIN này / this PIN was refused before and is not presented to the token "
            "again until the PIN setting or file changes)"
        )
    try:
        return _open_session(token, config.pin)
    except (PinIncorrect, PinInvalid, PinLenRange) as exc:
        # the flags read again: the failed try may have changed them (how many tries are left)
        try:
            flags = slot.get_token().flags
        except LowPKCS11Error:
            flags = 0
        if flags & TokenFlag.USER_PIN_LOCKED:
            raise locked from None
        warning = ""
        if flags & TokenFlag.USER_PIN_FINAL_TRY:
            warning = "; CẢNH BÁO / WARNING: one more wrong PIN locks the token"
        elif flags & TokenFlag.USER_PIN_COUNT_LOW:
            # the flag says only that a wrong PIN was given before; whether and when the token locks is its own
            warning = "; the token has counted wrong PINs (many tokens lock after a few)"
        message = f"{where}: sai mã PIN / wrong PIN ({type(exc).__name__}): check {_PIN_SETTINGS}{warning}"
        _refused_pins.remember(module, token, config.pin or "", message)
        raise SigningConfigError(message) from None
    except PinLocked:  # not remembered: the PIN may be right, and once the SO unlocks the token it is needed
        raise locked from None
    except PinExpired:
        raise SigningConfigError(
            f"{where}: mã PIN đã hết hạn / the user PIN has expired (PinExpired): change it on the token first"
        ) from None
    except LowPKCS11Error as exc:
        # The PIN is never part of the message: name the exception type (TokenNotPresent, DeviceRemoved…).
        raise SigningConfigError(f"{where}: cannot open the token ({type(exc).__name__}: {exc})") from None


def _check_objects(session: Any, config: Pkcs11Config, where: str) -> None:
    """The key and the certificate the labels name are on the token; else say which labels are."""
    from pkcs11 import ObjectClass

    keys = _labels(session, ObjectClass.PRIVATE_KEY)
    if config.key_label not in keys:
        hint = "" if config.pin else f" (a token may show private keys only after the PIN: set {_PIN_SETTINGS})"
        raise SigningConfigError(
            f"{where}: không có khoá / no private key labelled {config.key_label!r} on the token (pkcs11_key_label, "
            f"SOHOA_PKCS11_KEY_LABEL); private keys on it: {', '.join(keys) or 'none'}{hint}"
        )
    cert_label = config.cert_label or config.key_label
    certs = _labels(session, ObjectClass.CERTIFICATE)
    if cert_label not in certs:
        setting = "pkcs11_cert_label, SOHOA_PKCS11_CERT_LABEL" if config.cert_label else "pkcs11_key_label"
        raise SigningConfigError(
            f"{where}: không có chứng thư / no certificate labelled {cert_label!r} on the token ({setting}); "
            f"certificates on it: {', '.join(certs) or 'none'}"
        )


def _check_key_matches_cert(signer: Any, asn1_cert: asn1_x509.Certificate, config: Pkcs11Config, where: str) -> None:
    """Sign a test value with the token's key and verify it with the certificate: labels that pick a key and
    another key's certificate loaded fine and produced signed PDFs whose signatures were invalid (found by
    exploratory testing). A test signature works for any key type and any token, even one that does not let
    the private key's public half be read."""
    import asyncio

    from pkcs11.exceptions import PKCS11Error as LowPKCS11Error
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko_certvalidator.sig_validate import DEFAULT_SIGNATURE_VALIDATOR, SignatureValidationContext

    data = b"sohoa: does the token's key belong to the certificate?"
    problem = ""
    try:
        signature = asyncio.run(signer.async_sign_raw(data, "sha256"))
        DEFAULT_SIGNATURE_VALIDATOR.validate_signature(
            signature,
            data,
            asn1_cert.public_key,
            signer.get_signature_mechanism_for_digest("sha256"),
            SignatureValidationContext(contextual_md_algorithm="sha256"),
        )
    except InvalidSignature:
        pass  # the usual case of a mismatch: a valid signature by another key
    except (LowPKCS11Error, PyHankoSigningError, ValueError) as exc:
        # e.g. an RSA key under an EC certificate: the token refuses the mechanism
        problem = f" ({type(exc).__name__})"
    else:
        return
    cert_label = config.cert_label or config.key_label
    raise SigningConfigError(
        f"{where}: khoá và chứng thư không khớp / the private key {config.key_label!r} (pkcs11_key_label) does not "
        f"belong to the certificate {cert_label!r} (pkcs11_cert_label), which is "
        f"{_describe(x509.load_der_x509_certificate(asn1_cert.dump()))}: a signature by this key would not verify "
        f"with it{problem}; set the labels of a key and of its own certificate"
    )


def _load_pkcs11(config: Pkcs11Config | None) -> SigningIdentity:
    from pkcs11.exceptions import PKCS11Error as LowPKCS11Error
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko.sign.pkcs11 import PKCS11Error, PKCS11Signer

    if config is None or not (config.token_label or config.slot is not None):
        raise SigningConfigError(
            "signing identity 'pkcs11' needs a token: set pkcs11_token_label (or pkcs11_slot) and pkcs11_key_label"
        )
    module = Path(config.module)
    where = f"{module} token {config.token_label or f'slot {config.slot}'}"
    if not module.is_file():
        raise SigningConfigError(f"{module}: PKCS#11 module not found")
    if not config.key_label:
        raise SigningConfigError(f"{where}: pkcs11_key_label is not set")
    slot, token = _find_token(config, module)
    where = f"{module} token {token.label!r} (slot {slot.slot_id})"
    session, release, lose = _token_logins.open(module, slot, token, config, where)
    try:
        _check_objects(session, config, where)
        # other_certs_to_pull=None: every certificate on the token (the issuing CAs stored beside the signer's), so
        # the chain is embedded and B-LT/B-LTA can validate it — without them a token's signer "could not be
        # validated" unless its intermediate was added to the trust roots (found by exploratory testing)
        labels: dict[str, object] = {
            "key_label": config.key_label,
            "cert_label": config.cert_label or config.key_label,
            "other_certs_to_pull": None,
        }
        signer = PKCS11Signer(session, **labels)  # type: ignore[arg-type]
        asn1_cert = signer.signing_cert
        if asn1_cert is not None and asn1_cert.public_key.algorithm == "ec":
            # Many tokens (SoftHSM2 among them) only offer raw CKM_ECDSA: hash here, sign the digest there.
            signer = PKCS11Signer(session, use_raw_mechanism=True, **labels)  # type: ignore[arg-type]
            asn1_cert = signer.signing_cert
        if asn1_cert is None:
            raise SigningConfigError(f"{where}: no certificate labelled {config.cert_label or config.key_label!r}")
        _check_key_matches_cert(signer, asn1_cert, config, where)
        cert = x509.load_der_x509_certificate(asn1_cert.dump())
        _check_usable(cert, Path(f"{where} key {config.key_label}"))
    except (PKCS11Error, LowPKCS11Error, PyHankoSigningError) as exc:
        release()
        raise SigningConfigError(
            f"{where}: key/certificate {config.cert_label or config.key_label!r} unusable ({exc})"
        ) from None
    except BaseException:
        release()
        raise
    return SigningIdentity(
        signer=signer,
        certificate=asn1_cert,
        development=False,
        description=f"PKCS#11 {where} key {config.key_label}: {_describe(cert)}",
        release=release,
        token=where,
        lose=lose,
        probe=lambda: _find_key(session, config.key_label),
    )


def _find_key(session: Any, label: str) -> None:
    """Look the private key up on the token (one object search: a few milliseconds)."""
    from pkcs11 import ObjectClass

    session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)


def load_identity(
    kind: str,
    *,
    keys_dir: Path,
    pkcs12_file: Path | None = None,
    passphrase: bytes | None = None,
    pkcs11: Pkcs11Config | None = None,
) -> SigningIdentity:
    """Load the identity named by ``kind`` (dev, pkcs12, pkcs11); SigningConfigError when it is unusable."""
    if kind == "dev":
        return _load_dev(Path(keys_dir))
    if kind == "pkcs12":
        return _load_pkcs12(pkcs12_file, passphrase)
    if kind == "pkcs11":
        return _load_pkcs11(pkcs11)
    raise SigningConfigError(f"unknown signing identity kind {kind!r}; valid kinds: {', '.join(IDENTITY_KINDS)}")
