"""Signing stage: PAdES signatures with pyHanko, and their verification.

Plain functions, no orchestration: ``load_identity`` once, ``sign_pdf`` per document, ``verify_pdf`` per file.
"""

from signing.errors import SigningConfigError, SigningError, SigningInputError
from signing.identity import DevIdentity, SigningIdentity, ensure_dev_identity, load_identity
from signing.sign import sign_pdf
from signing.verify import FileVerification, SignatureVerdict, load_trust_roots, verify_pdf

__all__ = [
    "DevIdentity",
    "FileVerification",
    "SignatureVerdict",
    "SigningConfigError",
    "SigningError",
    "SigningIdentity",
    "SigningInputError",
    "ensure_dev_identity",
    "load_identity",
    "load_trust_roots",
    "sign_pdf",
    "verify_pdf",
]
