"""Signing and verification policy from the settings: level, TSA, identity kind, named trust stores."""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509

from signing.errors import SigningConfigError
from signing.identity import Pkcs11Config, SigningIdentity, readable_name
from signing.sign import LEVELS, sign_pdf
from signing.verify import CERT_SUFFIXES, load_trust_roots
from sohoa.errors import SecretFileError
from sohoa.record import SignatureFacts
from sohoa.settings import Settings

log = logging.getLogger(__name__)

TRUST_DIR = "trust"
# Named trust stores sohoa knows where to find in a checkout next to ../shared (installable from any folder).
KNOWN_STORES = {
    "vn": "Vietnamese government (VGCA/Ban Cơ yếu) and national (NEAC/VNPT) root CAs",
}


def pkcs11_config(settings: Settings) -> Pkcs11Config:
    try:
        pin = settings.pkcs11_user_pin()
    except SecretFileError as exc:
        raise SigningConfigError(str(exc)) from None
    return Pkcs11Config(
        module=settings.pkcs11_module,
        token_label=settings.pkcs11_token_label,
        slot=settings.pkcs11_slot,
        key_label=settings.pkcs11_key_label,
        cert_label=settings.pkcs11_cert_label,
        pin=pin,
    )


@functools.lru_cache(maxsize=8)
def _warn_once(message: str) -> None:
    log.warning(message)


def resolve_level(requested: str | None, tsa_url: str | None) -> str:
    """The level to sign at: the requested one, else B-LTA with a TSA, else B-B (with a warning)."""
    if requested:
        level = requested.upper()
        if level not in LEVELS:
            raise SigningConfigError(
                f"mức ký không có / unknown PAdES level {requested!r}; valid levels: {', '.join(LEVELS)}"
            )
        if level != "B-B" and not tsa_url:
            raise SigningConfigError(
                f"mức {level} cần máy chủ cấp dấu thời gian (SOHOA_TSA_URL), chưa đặt; hãy đặt nó, hoặc ký ở mức B-B / "
                f"level {level} needs a timestamping authority: set tsa_url (SOHOA_TSA_URL), or sign at B-B"
            )
        return level
    if tsa_url:
        return "B-LTA"
    _warn_once(
        "chưa cấu hình máy chủ cấp dấu thời gian (SOHOA_TSA_URL): ký ở mức PAdES B-B, thời điểm ký chỉ do máy tự ghi "
        "và chữ ký không kiểm tra được sau khi chứng thư hết hạn / "
        "no timestamping authority configured (tsa_url): signing at PAdES B-B, whose signing time is only "
        "claimed and which cannot be validated after the certificate expires"
    )
    return "B-B"


@functools.lru_cache(maxsize=8)
def _roots_cached(paths: tuple[Path, ...]) -> tuple[asn1_x509.Certificate, ...]:
    return tuple(load_trust_roots(list(paths))[0])


def configured_roots(trust_roots: list[Path]) -> list[asn1_x509.Certificate]:
    """The certificates of the configured trust roots (files or folders), loaded once per process."""
    return list(_roots_cached(tuple(trust_roots)))


def sign_with_settings(
    input_pdf: Path,
    output_pdf: Path,
    identity: SigningIdentity,
    settings: Settings,
    trust_roots: list[Path],
    *,
    level: str | None = None,
    appearance: str | None = None,
    certify: bool = False,
) -> SignatureFacts:
    """Sign at the configured (or given) level, with the configured appearance."""
    chosen = resolve_level(level or settings.signature_level or None, settings.tsa_url or None)
    roots = configured_roots(trust_roots) if chosen in ("B-LT", "B-LTA") else None
    kind = appearance or settings.signature_appearance
    look = None
    if kind != "none":  # an invisible signature needs no fonts (fontTools' import alone is ~0.25 s)
        from signing.appearance import appearance_from_settings

        look = appearance_from_settings(settings, identity, kind)
    return sign_pdf(
        input_pdf,
        output_pdf,
        identity,
        location=settings.signer_location,
        level=chosen,
        tsa_url=settings.tsa_url or None,
        validation_roots=roots,
        appearance=look,
        certify=certify,
    )


# ------------------------------------------------------------------------------------ named trust stores


def trust_store_path(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / TRUST_DIR / name


def install_trust_store(data_dir: Path, name: str, source: Path) -> list[Path]:
    """Copy the certificates of ``source`` (a folder or file) into the named store; returns the files copied."""
    if not name.isidentifier():
        raise SigningConfigError(
            f"tên kho tin cậy {name!r}: chỉ dùng chữ, số và _ / trust store name {name!r}: use letters, digits and "
            "_ only"
        )
    source = Path(source)
    files = (
        sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in CERT_SUFFIXES)
        if source.is_dir()
        else [source]
    )
    if not source.exists():
        raise SigningConfigError(
            f"{source}: không có tệp hoặc thư mục này (nguồn của kho tin cậy) / no such file or folder (the trust "
            "store's source)"
        )
    roots, warnings = load_trust_roots(files)
    if warnings or not roots:
        why = "; ".join(warnings) or "none found"
        raise SigningConfigError(
            f"{source}: không phải bộ chứng thư dùng được / not a usable set of certificates ({why})"
        )
    # The store becomes exactly ``source``: installed again from a source that no longer has a root, the root
    # stayed trusted (its file was kept beside the new ones) while the command said "1 certificate file(s)" (QA).
    # Built beside it and swapped in, so a failed copy leaves the old store whole.
    target = trust_store_path(data_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.part-", dir=target.parent))
    try:
        for file in files:
            shutil.copy2(file, staging / file.name)
        staging.chmod(0o755)
        previous = target.with_name(f".{name}.old-{staging.name.rsplit('-', 1)[-1]}")
        if target.exists():
            target.rename(previous)
        staging.rename(target)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [target / file.name for file in files]


def list_trust_stores(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Every installed store with the subject and validity of each certificate."""
    from cryptography import x509

    out: dict[str, list[dict[str, Any]]] = {}
    base = Path(data_dir) / TRUST_DIR
    if not base.is_dir():
        return out
    for store in sorted(p for p in base.iterdir() if p.is_dir()):
        certs, _ = load_trust_roots([store])
        out[store.name] = []
        for cert in certs:
            parsed = x509.load_der_x509_certificate(cert.dump())
            out[store.name].append(
                {
                    "subject": readable_name(parsed.subject),
                    "not_after": parsed.not_valid_after_utc.isoformat(),
                }
            )
    return out


def available_identities(settings: Settings) -> list[dict[str, Any]]:
    """What could sign on this machine, without loading keys or asking for a PIN: the dev identity, the
    configured PKCS#12 file, and the tokens the PKCS#11 module sees (label, serial, slot)."""
    from signing.identity import DEV_CA_FILE

    dev_ready = (settings.keys_dir / DEV_CA_FILE).is_file()
    rows: list[dict[str, Any]] = [
        {"kind": "dev", "state": "generated" if dev_ready else "generated on first use", "legal_value": False}
    ]
    p12 = settings.pkcs12_file
    rows.append(
        {
            "kind": "pkcs12",
            "file": str(p12) if p12 else None,
            "state": "not configured" if p12 is None else ("file present" if Path(p12).is_file() else "file missing"),
        }
    )
    module = Path(settings.pkcs11_module)
    tokens: list[dict[str, Any]] = []
    state = "module missing"
    if module.is_file():
        try:
            import pkcs11

            lib = pkcs11.lib(str(module))
            for slot in lib.get_slots(token_present=True):
                token = slot.get_token()
                tokens.append(
                    {
                        "slot": slot.slot_id,
                        "label": token.label,
                        "serial": token.serial.decode(errors="replace").strip()
                        if isinstance(token.serial, bytes)
                        else str(token.serial),
                        "manufacturer": token.manufacturer_id,
                        "initialized": bool(token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED),
                    }
                )
            ready = sum(t["initialized"] for t in tokens)
            state = f"{ready} initialised token(s)" + (
                f", {len(tokens) - ready} empty slot(s)" if ready < len(tokens) else ""
            )
        except Exception as exc:  # a module that cannot initialise is reported, not raised
            state = f"module unusable: {exc}"
    rows.append({"kind": "pkcs11", "module": str(module), "state": state, "tokens": tokens})
    return rows
