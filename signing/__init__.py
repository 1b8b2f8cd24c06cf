"""Signing stage: PAdES signatures with pyHanko, and their verification.

Plain functions, no orchestration: ``load_identity`` once, ``sign_pdf`` per document, ``verify_pdf`` per file.

The names below are imported from their modules when first used, not with the package: importing any of its
modules (``signing.errors``, ``signing.services``) runs this file, and the eager imports loaded pyHanko's
signing and validation (~1 s of CPU) in every command that touched one — `sohoa ledger verify`, `list` — though
it signs and verifies nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import signing.asn1_threads  # noqa: F401  (first: asn1crypto's value maps made safe for the batch's threads)

if TYPE_CHECKING:
    from signing.errors import (
        SigningConfigError,
        SigningError,
        SigningInputError,
        SigningServiceError,
        SigningTokenError,
    )
    from signing.identity import (
        DevIdentity,
        Pkcs11Config,
        SigningIdentity,
        ensure_dev_identity,
        existing_dev_ca,
        load_identity,
    )
    from signing.policy import (
        install_trust_store,
        list_trust_stores,
        pkcs11_config,
        resolve_level,
        sign_with_settings,
        trust_store_path,
    )
    from signing.sign import LEVELS, sign_pdf
    from signing.verify import (
        FileVerification,
        RevisionChange,
        Revocation,
        SignatureVerdict,
        TrustRoots,
        load_trust_roots,
        verify_pdf,
    )

# where each name lives
_HOME: dict[str, str] = {
    "SigningConfigError": "signing.errors",
    "SigningError": "signing.errors",
    "SigningInputError": "signing.errors",
    "SigningServiceError": "signing.errors",
    "SigningTokenError": "signing.errors",
    "DevIdentity": "signing.identity",
    "Pkcs11Config": "signing.identity",
    "SigningIdentity": "signing.identity",
    "ensure_dev_identity": "signing.identity",
    "existing_dev_ca": "signing.identity",
    "load_identity": "signing.identity",
    "install_trust_store": "signing.policy",
    "list_trust_stores": "signing.policy",
    "pkcs11_config": "signing.policy",
    "resolve_level": "signing.policy",
    "sign_with_settings": "signing.policy",
    "trust_store_path": "signing.policy",
    "LEVELS": "signing.sign",
    "sign_pdf": "signing.sign",
    "FileVerification": "signing.verify",
    "RevisionChange": "signing.verify",
    "Revocation": "signing.verify",
    "SignatureVerdict": "signing.verify",
    "TrustRoots": "signing.verify",
    "load_trust_roots": "signing.verify",
    "verify_pdf": "signing.verify",
}

__all__ = [
    "LEVELS",
    "DevIdentity",
    "FileVerification",
    "Pkcs11Config",
    "RevisionChange",
    "Revocation",
    "install_trust_store",
    "list_trust_stores",
    "pkcs11_config",
    "resolve_level",
    "sign_with_settings",
    "trust_store_path",
    "SignatureVerdict",
    "SigningConfigError",
    "SigningError",
    "SigningIdentity",
    "SigningInputError",
    "SigningServiceError",
    "SigningTokenError",
    "TrustRoots",
    "ensure_dev_identity",
    "existing_dev_ca",
    "load_identity",
    "load_trust_roots",
    "sign_pdf",
    "verify_pdf",
]


def __getattr__(name: str) -> Any:
    """``signing.sign_pdf`` and the rest: the name from its module, imported now (PEP 562), then kept here."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'signing' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
