"""A throw-away test PKI served on loopback by certomancer: root, intermediate, signers, TSA, OCSP and CRLs.

Used by the signing tests (``tests/test_signing*.py``) through the session ``test_pki`` fixture in
``tests/conftest.py``: every B-T/B-LT/B-LTA test talks to real HTTP endpoints on 127.0.0.1.

The port is baked into the certificates' OCSP/CRL URLs (MEASURED.md), so a free port is chosen *before* the
certificates are generated. Keys are generated fresh (ECDSA P-256) for every test session.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# Certificates of the test PKI, by certomancer label.
SIGNER = "signer"
SIGNER_REVOKED = "signer-revoked"
SIGNER_EXPIRED = "signer-expired"
SIGNER_SHORT = "signer-short"  # valid for a few seconds only: for long-term validation after expiry
SIGNER_NO_KU = "signer-no-ku"  # key usage key encipherment only: no document signature verifies (QA78)
ARCH = "sohoa-test"
_SIGNERS = (SIGNER, SIGNER_REVOKED, SIGNER_EXPIRED, SIGNER_SHORT, SIGNER_NO_KU)
_KEYS = ("root", "interm", "interm-ocsp", "tsa", *_SIGNERS)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _config(
    url_prefix: str,
    now: datetime,
    short_seconds: int,
    root_crl_period: str,
    cas_from: datetime | None,
    ca_suffix: str = "",
    signer_revoked: bool = False,
) -> dict[str, Any]:
    def validity(start: datetime, end: datetime) -> dict[str, str]:
        return {"valid-from": _iso(start), "valid-to": _iso(end)}

    long_ago, far = cas_from or now - timedelta(days=365), now + timedelta(days=3650)
    signer = {
        "issuer": "interm",
        "validity": validity(now - timedelta(days=1), now + timedelta(days=365)),
        "profiles": ["digsig-commitment"],
    }
    revoked = {"revocation": {"revoked-since": _iso(now - timedelta(hours=2)), "reason": "key_compromise"}}
    return {
        "external-url-prefix": url_prefix,
        "keysets": {
            ARCH: {"path-prefix": "keys", "keys": {k: {"path": f"{k}.key.pem"} for k in _KEYS}},
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "VN", "organization-name": "sohoa TEST PKI"},
                "entities": {
                    "root": {"common-name": "sohoa Test Root CA" + ca_suffix},
                    "interm": {"common-name": "sohoa Test Issuing CA" + ca_suffix},
                    "interm-ocsp": {"common-name": "sohoa Test OCSP Responder"},
                    "tsa": {"common-name": "sohoa Test TSA"},
                    SIGNER: {"common-name": "Nguyễn Văn An", "organizational-unit-name": "UBND xã Test"},
                    SIGNER_REVOKED: {"common-name": "Trần Thị Thu Hồi"},
                    SIGNER_EXPIRED: {"common-name": "Lê Văn Hết Hạn"},
                    SIGNER_SHORT: {"common-name": "Phạm Văn Ngắn Hạn"},
                    SIGNER_NO_KU: {"common-name": "Đỗ Thị Sai Mục Đích"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": validity(long_ago, far),
                        "profiles": [{"id": "simple-ca", "params": {"crl-repo": "root"}}],
                    },
                    "interm": {
                        "issuer": "root",
                        "validity": validity(long_ago, far),
                        "profiles": [
                            {
                                "id": "simple-ca",
                                "params": {"max-path-len": 0, "crl-repo": "interm", "ocsp-service": "interm"},
                            }
                        ],
                    },
                    "interm-ocsp": {
                        "issuer": "interm",
                        "validity": validity(long_ago, far),
                        "profiles": ["ocsp-responder"],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": validity(long_ago, far),
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
                            },
                            {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                        ],
                    },
                    SIGNER: {**signer, **(revoked if signer_revoked else {})},
                    SIGNER_REVOKED: {**signer, **revoked},
                    SIGNER_EXPIRED: {
                        **signer,
                        "validity": validity(now - timedelta(days=400), now - timedelta(days=35)),
                    },
                    SIGNER_SHORT: {
                        **signer,
                        "validity": validity(now - timedelta(days=1), now + timedelta(seconds=short_seconds)),
                    },
                    SIGNER_NO_KU: {
                        "issuer": "interm",
                        "validity": validity(now - timedelta(days=1), now + timedelta(days=365)),
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {"schema": "key-usage", "params": ["key_encipherment"]},
                            },
                        ],
                    },
                },
                "services": {
                    "ocsp": {
                        "interm": {
                            "for-issuer": "interm",
                            "responder-cert": "interm-ocsp",
                            "signing-key": "interm-ocsp",
                        }
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": root_crl_period,
                        },
                        "interm": {"for-issuer": "interm", "signing-key": "interm", "simulated-update-schedule": "P7D"},
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


@dataclass(frozen=True)
class TestPKI:
    """What a test needs: URLs of the live services and files of the generated certificates."""

    __test__ = False  # not a pytest test class

    base_url: str
    tsa_url: str
    folder: Path
    root_cert: Path
    interm_cert: Path

    def cert_file(self, label: str) -> Path:
        return self.folder / f"{label}.cert.pem"

    def pkcs12_file(self, label: str) -> Path:
        return self.folder / f"{label}.p12"

    def key_file(self, label: str) -> Path:
        return self.folder / "keys" / f"{label}.key.pem"


PKCS12_PASSWORD = b"test-only-password"


@contextlib.contextmanager
def running_pki(
    folder: Path,
    short_seconds: int = 0,
    root_crl_period: str = "P90D",
    cas_from: datetime | None = None,
    ca_suffix: str = "",
    signer_revoked: bool = False,
) -> Iterator[TestPKI]:
    """Generate the PKI into ``folder`` and serve TSA, OCSP and CRLs on 127.0.0.1 until the block exits.

    ``short_seconds``: how long from now the ``signer-short`` certificate stays valid (0: already expired).
    ``root_crl_period``: the root CA's CRL update period (ISO 8601 duration; each CRL is current that long, from
    the root certificate's start on), short for a test of embedded revocation data going stale.
    ``cas_from``: when the root, intermediate, OCSP responder and TSA certificates start (default: a year ago;
    whole seconds) — the start of the root's CRL periods, for a test that waits for the next one.
    ``ca_suffix``: added to the root's and the issuing CA's names, for a second PKI beside the first (its
    certificates have the same serial numbers); ``signer_revoked``: the ``signer`` certificate revoked too.
    """
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import CertomancerConfig
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs12
    from werkzeug.serving import make_server

    keys = folder / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    for label in _KEYS:
        key = ec.generate_private_key(ec.SECP256R1())
        (keys / f"{label}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cfg = CertomancerConfig(
        _config(base, datetime.now(UTC), short_seconds, root_crl_period, cas_from, ca_suffix, signer_revoked),
        key_search_dir=str(folder),
    )
    arch = cfg.get_pki_arch(ARCH)  # type: ignore[arg-type]

    pems: dict[str, bytes] = {}
    for label in _KEYS:
        der = arch.get_cert(label).dump()  # type: ignore[arg-type]
        pems[label] = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        (folder / f"{label}.cert.pem").write_bytes(pems[label])
    interm = x509.load_pem_x509_certificate(pems["interm"])
    for label in _SIGNERS:
        key = serialization.load_pem_private_key((keys / f"{label}.key.pem").read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(pems[label])
        p12 = pkcs12.serialize_key_and_certificates(
            label.encode(),
            key,  # type: ignore[arg-type]
            cert,
            [interm],
            serialization.BestAvailableEncryption(PKCS12_PASSWORD),
        )
        (folder / f"{label}.p12").write_bytes(p12)

    app = Animator(AnimatorArchStore(cfg.pki_archs), with_web_ui=False)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="certomancer", daemon=True)
    thread.start()
    try:
        yield TestPKI(
            base_url=base,
            tsa_url=f"{base}/{ARCH}/tsa/tsa",
            folder=folder,
            root_cert=folder / "root.cert.pem",
            interm_cert=folder / "interm.cert.pem",
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
