"""Signing stage: PAdES signatures with pyHanko, and their verification.

Plain functions, no orchestration: ``load_identity`` once, ``sign_pdf`` per document, ``verify_pdf`` per file.
"""

import signing.asn1_threads  # noqa: F401  (first: asn1crypto's value maps made safe for the batch's threads)
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
