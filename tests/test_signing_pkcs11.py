"""PKCS#11 identity against a real SoftHSM2 token initialised by the test (Debian package softhsm2)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from test_signing import make_pdf

from signing import SigningConfigError, ensure_dev_identity, load_identity, sign_pdf, verify_pdf
from signing.identity import Pkcs11Config

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "sohoa-test"
KEY = "ubnd-signer"
PIN = "246810"
OTHER_TOKEN = "sohoa-other"  # a second token, so that a slot's number and its place in the slot list differ
LOCKED_TOKEN = "sohoa-locked"  # holds the same key, and reports its user PIN locked

pytestmark = pytest.mark.skipif(
    shutil.which("softhsm2-util") is None or not MODULE.is_file(), reason="softhsm2 not installed"
)


def _report_user_pin_locked(token_object: Path) -> None:
    """Make a SoftHSM2 token report its user PIN locked (CKF_USER_PIN_LOCKED), as a token does after too many wrong
    PINs. SoftHSM2 itself never locks a PIN (it only counts wrong ones: CKF_USER_PIN_COUNT_LOW), but it reports
    the flags its token file stores: set the flag there, before the module reads the file."""
    import pkcs11

    data = bytearray(token_object.read_bytes())
    # the flags of a token freshly initialised with a user PIN, stored as an 8-byte big-endian number
    flags = (
        pkcs11.TokenFlag.RNG
        | pkcs11.TokenFlag.LOGIN_REQUIRED
        | pkcs11.TokenFlag.USER_PIN_INITIALIZED
        | pkcs11.TokenFlag.RESTORE_KEY_NOT_NEEDED
        | pkcs11.TokenFlag.TOKEN_INITIALIZED
    )
    stored = int(flags).to_bytes(8, "big")
    assert data.count(stored) == 1, "SoftHSM2's token file format changed: cannot find the token flags"
    at = data.index(stored)
    data[at : at + 8] = int(flags | pkcs11.TokenFlag.USER_PIN_LOCKED).to_bytes(8, "big")
    token_object.write_bytes(bytes(data))


def _token_env(data: Path, pin_file: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI run signing with the test token's key, its PIN read from ``pin_file``."""
    return {
        "SOHOA_DATA_DIR": str(data),
        "SOHOA_CONFIG": "",
        "SOHOA_SIGNING_IDENTITY": "pkcs11",
        "SOHOA_PKCS11_MODULE": str(MODULE),
        "SOHOA_PKCS11_TOKEN_LABEL": TOKEN,
        "SOHOA_PKCS11_KEY_LABEL": KEY,
        "SOHOA_PKCS11_PIN_FILE": str(pin_file),
        **extra,
    }


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pkcs11Config, Path]]:
    """A fresh token in a temp folder holding the dev signer's key and certificate; returns (config, CA)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        dev = ensure_dev_identity(base / "keys")
        run = {"check": True, "capture_output": True, "timeout": 60}
        for label in (OTHER_TOKEN, TOKEN, LOCKED_TOKEN):
            before = set((base / "tokens").iterdir())
            subprocess.run(
                ["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "13579", "--pin", PIN], **run
            )
            if label == OTHER_TOKEN:
                continue
            subprocess.run(
                [
                    "softhsm2-util",
                    "--import",
                    str(dev.signer_key),
                    "--token",
                    label,
                    "--label",
                    KEY,
                    "--id",
                    "01",
                    "--pin",
                    PIN,
                ],
                **run,
            )
            if label == LOCKED_TOKEN:
                (folder,) = set((base / "tokens").iterdir()) - before
                _report_user_pin_locked(folder / "token.object")
        cert = x509.load_pem_x509_certificate(dev.signer_cert.read_bytes())
        from cryptography.hazmat.primitives import serialization

        lib = pkcs11.lib(str(MODULE))
        # The module may already be initialised in this process (e.g. by `sohoa keys list` in another test):
        # SoftHSM2 reads SOFTHSM2_CONF only when initialised, so start it again on our token folder.
        lib.reinitialize()
        with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: KEY,
                    Attribute.ID: b"\x01",
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
            # the issuing CA beside it, as a token from a CA usually holds its chain
            ca_cert = x509.load_pem_x509_certificate(dev.ca_cert.read_bytes())
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: "issuing-ca",
                    Attribute.ID: b"\x02",
                    Attribute.SUBJECT: ca_cert.subject.public_bytes(),
                    Attribute.VALUE: ca_cert.public_bytes(serialization.Encoding.DER),
                }
            )
        yield Pkcs11Config(module=MODULE, token_label=TOKEN, key_label=KEY, pin=PIN), dev.ca_cert
    finally:
        if old is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = old


def test_pkcs11_token_signs_and_verifies(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    config, ca = token
    identity = load_identity("pkcs11", keys_dir=tmp_path, pkcs11=config)
    try:
        assert not identity.development and "PKCS#11" in identity.description
        assert PIN not in identity.description and PIN not in repr(config)
        out = tmp_path / "signed.pdf"
        sign_pdf(make_pdf(tmp_path / "in.pdf"), out, identity)
        sign_pdf(out, out, identity)  # the key stays usable for many documents in one session
    finally:
        identity.close()
    result = verify_pdf(out, [ca])
    assert result.passed, result.model_dump_json(indent=2)
    assert len(result.signatures) == 2
    # the token's other certificates travel in the signature: a chain with an intermediate can be validated by
    # whoever trusts only the root (it used to embed the signer's certificate alone)
    from pyhanko.pdf_utils.reader import PdfFileReader

    with out.open("rb") as fh:
        embedded = PdfFileReader(fh).embedded_signatures[0].signed_data["certificates"]
        subjects = {c.chosen.subject.human_friendly for c in embedded}
    assert any("Root CA" in subject for subject in subjects), subjects


def test_two_identities_on_one_token_in_one_process(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    """A second identity on a token this process is logged in to (another key, or the same one loaded again for
    other settings) used to fail with UserAlreadyLoggedIn; and closing one logged out every session on the
    token, so the other could no longer sign. The login now lasts until the token's last identity closes."""
    config, ca = token
    first = load_identity("pkcs11", keys_dir=tmp_path, pkcs11=config)
    second = load_identity("pkcs11", keys_dir=tmp_path, pkcs11=config)
    out = tmp_path / "signed.pdf"
    try:
        sign_pdf(make_pdf(tmp_path / "in.pdf"), out, first)
        first.close()  # the identity that logged in goes first
        sign_pdf(out, out, second)
    finally:
        first.close()
        second.close()
    result = verify_pdf(out, [ca])
    assert result.passed and len(result.signatures) == 2, result.model_dump_json(indent=2)
    again = load_identity("pkcs11", keys_dir=tmp_path, pkcs11=config)  # logged out at the end: a fresh login
    again.close()
    with pytest.raises(SigningConfigError, match="wrong PIN"):  # so the PIN is checked again
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=dataclasses.replace(config, pin="999999"))


def test_pkcs11_wrong_pin_is_a_config_error_without_the_pin(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    config, _ = token
    bad = Pkcs11Config(module=config.module, token_label=TOKEN, key_label=KEY, pin="999999")
    with pytest.raises(SigningConfigError, match=TOKEN) as info:
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=bad)
    assert "999999" not in str(info.value)
    # said in words, with the settings to check (it said only "cannot open the token (PinIncorrect: )")
    assert "PinIncorrect" in str(info.value) and "wrong PIN" in str(info.value)
    assert "SOHOA_PKCS11_PIN" in str(info.value) and "SOHOA_PKCS11_PIN_FILE" in str(info.value)
    # SoftHSM2 flags a wrong PIN (CKF_USER_PIN_COUNT_LOW) but never locks: say no more than the flag says
    assert "locks after a few more" not in str(info.value)


def test_pkcs11_locked_pin_is_said_and_not_tried(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    """A token that reports its user PIN locked is refused before any PIN is tried, saying who can unlock it."""
    config, _ = token
    locked = Pkcs11Config(module=config.module, token_label=LOCKED_TOKEN, key_label=KEY, pin=PIN)
    with pytest.raises(SigningConfigError, match=LOCKED_TOKEN) as info:
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=locked)
    assert "PIN is locked" in str(info.value) and "SO PIN" in str(info.value)


def test_pkcs11_pin_locked_at_login(
    tmp_path: Path, token: tuple[Pkcs11Config, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token that locks the PIN at this login (CKR_PIN_LOCKED from C_Login). SoftHSM2 never answers that, so
    this one fault is stood in for: the login answers PinLocked as such a token does."""
    from pkcs11.exceptions import PinLocked

    import signing.identity

    config, _ = token

    def locked_login(token: object, pin: str | None) -> object:
        raise PinLocked()

    monkeypatch.setattr(signing.identity, "_open_session", locked_login)
    with pytest.raises(SigningConfigError, match=TOKEN) as info:
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=config)
    assert "PIN is locked" in str(info.value) and PIN not in str(info.value)


def test_pkcs11_unknown_token_and_key(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    config, _ = token
    with pytest.raises(SigningConfigError, match="no-such-token"):
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=Pkcs11Config(MODULE, "no-such-token", key_label=KEY, pin=PIN))
    with pytest.raises(SigningConfigError, match="no-such-key") as info:
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=Pkcs11Config(MODULE, TOKEN, key_label="no-such-key", pin=PIN))
    assert f"private keys on it: {KEY}" in str(info.value)  # the labels that are there
    with pytest.raises(SigningConfigError, match="no-such-cert") as info:
        load_identity(
            "pkcs11",
            keys_dir=tmp_path,
            pkcs11=Pkcs11Config(MODULE, TOKEN, key_label=KEY, cert_label="no-such-cert", pin=PIN),
        )
    assert "SOHOA_PKCS11_CERT_LABEL" in str(info.value) and "issuing-ca" in str(info.value)
    with pytest.raises(SigningConfigError, match="pkcs11_token_label"):
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=None)


def test_pkcs11_no_pin_says_a_pin_is_needed(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    """No PIN set: the token hides its private keys, and pyHanko's "could not find private key" sent the operator
    looking for a key that is there. Say the PIN is needed — and, when the label is not on the token either, that."""
    for pin in (None, ""):  # an empty PIN file is no PIN either
        with pytest.raises(SigningConfigError, match=TOKEN) as info:
            load_identity("pkcs11", keys_dir=tmp_path, pkcs11=Pkcs11Config(MODULE, TOKEN, key_label=KEY, pin=pin))
        message = str(info.value)
        assert "no PIN is set" in message and "SOHOA_PKCS11_PIN" in message and "SOHOA_PKCS11_PIN_FILE" in message
        assert "could not find" not in message.lower() and "not on the token" not in message
    with pytest.raises(SigningConfigError, match="no-such-key") as info:
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=Pkcs11Config(MODULE, TOKEN, key_label="no-such-key"))
    message = str(info.value)
    assert "is not on the token" in message and f"labels on it: issuing-ca, {KEY}" in message
    assert "SOHOA_PKCS11_PIN" in message


def test_pkcs11_key_and_certificate_of_different_keys(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    """Labels that pick the signer's key and another key's certificate (here the issuing CA's, on the same token)
    are refused when the identity is loaded; they used to load, and every PDF signed was invalid."""
    config, _ = token
    mixed = Pkcs11Config(module=MODULE, token_label=TOKEN, key_label=KEY, cert_label="issuing-ca", pin=PIN)
    try:
        identity = load_identity("pkcs11", keys_dir=tmp_path, pkcs11=mixed)
    except SigningConfigError as exc:
        message = str(exc)
    else:
        identity.close()  # log out, or the token's other tests meet UserAlreadyLoggedIn
        pytest.fail("a key and another key's certificate loaded as a signing identity")
    assert "does not belong to the certificate" in message
    assert KEY in message and "'issuing-ca'" in message and TOKEN in message and "Root CA" in message


def test_pkcs11_slot_is_the_number_keys_list_shows(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    """SOHOA_PKCS11_SLOT takes the slot number `sohoa keys list` shows (the PKCS#11 slot ID); pyHanko took a
    position in the slot list, so the number shown was refused ("Slot index … too large")."""
    import json

    from typer.testing import CliRunner

    from flows.cli import app
    from signing.policy import available_identities
    from sohoa.settings import Settings

    (p11,) = [r for r in available_identities(Settings(data_dir=tmp_path, pkcs11_module=MODULE)) if "tokens" in r]
    slots = {t["label"]: t["slot"] for t in p11["tokens"]}
    identity = load_identity(
        "pkcs11", keys_dir=tmp_path, pkcs11=Pkcs11Config(MODULE, slot=slots[TOKEN], key_label=KEY, pin=PIN)
    )
    try:
        assert f"token '{TOKEN}' (slot {slots[TOKEN]})" in identity.description
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "signed.pdf", identity)
    finally:
        identity.close()
    # the label and the slot must name the same token
    with pytest.raises(SigningConfigError, match=f"holds token '{OTHER_TOKEN}', not '{TOKEN}'"):
        load_identity(
            "pkcs11",
            keys_dir=tmp_path,
            pkcs11=Pkcs11Config(MODULE, token_label=TOKEN, slot=slots[OTHER_TOKEN], key_label=KEY, pin=PIN),
        )
    # a slot that does not exist: the slots that do, as `keys list` shows them
    missing = max(slots.values()) + 1
    env = {
        "SOHOA_DATA_DIR": str(tmp_path / "var"),
        "SOHOA_CONFIG": "",
        "SOHOA_SIGNING_IDENTITY": "pkcs11",
        "SOHOA_PKCS11_MODULE": str(MODULE),
        "SOHOA_PKCS11_SLOT": str(missing),
        "SOHOA_PKCS11_KEY_LABEL": KEY,
        "SOHOA_PKCS11_PIN": PIN,
    }
    listed = CliRunner().invoke(app, ["keys", "list", "--json"], env=env)
    assert listed.exit_code == 3, listed.output
    problem = json.loads(listed.stdout)["problem"]
    assert f"no slot {missing}" in problem and "SOHOA_PKCS11_SLOT" in problem, problem
    assert f"slot {slots[TOKEN]}: token '{TOKEN}'" in problem and PIN not in problem
    assert "uninitialised token" in problem and "token ''" not in problem  # SoftHSM2's free slot
    # the module's free slot holds a token that is not initialised
    (free,) = [t["slot"] for t in p11["tokens"] if not t["initialized"]]
    with pytest.raises(SigningConfigError, match="not initialised"):
        load_identity("pkcs11", keys_dir=tmp_path, pkcs11=Pkcs11Config(MODULE, slot=free, key_label=KEY, pin=PIN))


def test_pkcs11_identity_from_settings_via_cli(tmp_path: Path, token: tuple[Pkcs11Config, Path]) -> None:
    """SOHOA_SIGNING_IDENTITY=pkcs11 with the PIN in a file: `keys list`, `sign`, `verify`."""
    import json

    from typer.testing import CliRunner

    from flows import pipeline
    from flows.cli import app
    from sohoa.settings import Settings

    config, ca = token
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    env = _token_env(tmp_path / "var", pin_file, SOHOA_TRUST_ROOTS=json.dumps([str(ca)]))
    runner = CliRunner()
    try:
        listed = runner.invoke(app, ["keys", "list", "--json"], env=env)
        assert listed.exit_code == 0, listed.output
        info = json.loads(listed.stdout)
        assert info["usable"] and "PKCS#11" in info["description"] and PIN not in listed.output
        (p11,) = [row for row in info["available"] if row["kind"] == "pkcs11"]
        assert TOKEN in [t["label"] for t in p11["tokens"]]
        out = tmp_path / "signed.pdf"
        signed = runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(out), "--json"], env=env)
        assert signed.exit_code == 0, signed.output
        assert runner.invoke(app, ["verify", str(out)], env=env).exit_code == 0
    finally:
        # the pipeline caches the loaded identity (and its logged-in session): release it for the other tests
        settings = Settings(
            data_dir=tmp_path / "var",
            signing_identity="pkcs11",
            pkcs11_token_label=TOKEN,
            pkcs11_key_label=KEY,
            pkcs11_pin_file=pin_file,
        )
        try:
            pipeline.signing_identity(settings).close()
        finally:
            pipeline._identity.cache_clear()


def test_pin_never_logged(tmp_path: Path, token: tuple[Pkcs11Config, Path], caplog: pytest.LogCaptureFixture) -> None:
    config, _ = token
    with caplog.at_level("DEBUG"):
        identity = load_identity("pkcs11", keys_dir=tmp_path, pkcs11=config)
        try:
            sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "o.pdf", identity)
        finally:
            identity.close()
        with pytest.raises(SigningConfigError):
            load_identity("pkcs11", keys_dir=tmp_path, pkcs11=Pkcs11Config(MODULE, TOKEN, key_label=KEY, pin="8642"))
    assert PIN not in caplog.text and "8642" not in caplog.text


def test_a_missing_pin_file_is_said_before_any_ocr(tmp_path: Path) -> None:
    """A SOHOA_PKCS11_PIN_FILE that is not there failed every document at its signature, after its OCR (the PKCS#12
    password file was checked up front, the PIN file was not): now `process` refuses before the first document,
    exit 3, naming the setting and the path; `sign` says the same."""
    from test_bad_input import small_scan_png
    from typer.testing import CliRunner

    from flows.cli import app

    data = tmp_path / "var"
    nope = tmp_path / "secrets" / "pin"
    env = _token_env(data, nope)
    runner = CliRunner()
    (tmp_path / "in").mkdir()
    scan = small_scan_png(tmp_path / "in" / "cv-118.png", "CÔNG VĂN Số: 118/UBND-VP")
    processed = runner.invoke(app, ["process", "--no-prefect", "--json", str(scan)], env=env)
    signed = runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(tmp_path / "out.pdf")], env=env)
    for result in (processed, signed):
        said = " ".join(result.output.split())
        assert result.exit_code == 3, result.output
        assert "SOHOA_PKCS11_PIN_FILE" in said and str(nope) in said and "No such file or directory" in said
        assert "Traceback" not in result.output
    assert '"results"' not in processed.stdout  # refused as a whole: no document was started
    assert scan.exists() and not (data / "archive").exists() and not (data / "work").exists()


# ------------------------------------------------------------------------------------------ in the pipeline


def _token_folder(label: str) -> Path:
    """The folder SoftHSM2 keeps ``label``'s token in (moving it away is a token unplugged)."""
    conf = Path(os.environ["SOFTHSM2_CONF"]).read_text()
    tokens = Path(conf.split("directories.tokendir = ", 1)[1].splitlines()[0])
    (folder,) = [f for f in tokens.iterdir() if label.encode() + b" " in (f / "token.object").read_bytes()]
    return folder


def _pipeline_settings(tmp_path: Path, ca: Path, **overrides: object) -> object:
    from sohoa.settings import Settings

    values: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "signing_identity": "pkcs11",
        "pkcs11_module": MODULE,
        "pkcs11_token_label": TOKEN,
        "pkcs11_key_label": KEY,
        "pkcs11_pin": PIN,
        "trust_roots": [ca],
        "batch_workers": 1,
    }
    return Settings(**(values | overrides))


@pytest.fixture
def fresh_pipeline_identity() -> Iterator[None]:
    """The pipeline's cached identity released before and after: each test logs in itself."""
    from flows import pipeline

    pipeline._identity.cache_clear()
    yield
    import pkcs11

    import signing.identity

    pipeline._identity.cache_clear()
    # whatever a test left logged in or broken: gone for the next ones (initialising the module again ends the
    # sessions, so the process's record of them goes too)
    pkcs11.lib(str(MODULE)).reinitialize()
    signing.identity._token_logins._tokens.clear()


def test_token_removed_mid_batch_fails_the_rest_and_the_next_batch_signs(
    tmp_path: Path, token: tuple[Pkcs11Config, Path], fresh_pipeline_identity: None
) -> None:
    """QA: the token unplugged after the first record of a batch: the good scans after it were QUARANTINED
    ("processing failed (ObjectHandleInvalid: )"), and the dead session stayed cached for the process's life (a
    watcher quarantined every later drop, the token back or not). Now they fail, naming the token, and stay for the
    rerun; the next batch of the same process logs in again and signs."""
    from test_bad_input import small_scan_png

    from flows.pipeline import BatchReport, Outcome, process_many

    _, ca = token
    settings = _pipeline_settings(tmp_path, ca)
    (tmp_path / "in").mkdir()
    scans = [small_scan_png(tmp_path / "in" / f"cv-{n}.png", f"CÔNG VĂN Số: {n}/UBND-VP") for n in (118, 119, 120)]
    folder = _token_folder(TOKEN)
    away = tmp_path / "unplugged"

    def unplug_after_the_first(result: object, index: int, total: int) -> None:
        if index == 1:
            shutil.move(folder, away)

    try:
        first = BatchReport(results=list(process_many(scans, settings, on_result=unplug_after_the_first)))
    finally:
        if away.exists():
            shutil.move(away, folder)
    outcomes = [r.outcome for r in first.results]
    assert outcomes == [Outcome.ARCHIVED, Outcome.FAILED, Outcome.FAILED], [r.summary() for r in first.results]
    assert first.exit_code == 3
    for result in first.results[1:]:
        assert result.path.exists() and TOKEN in (result.reason_en or "") and TOKEN in (result.reason_vi or "")
        assert "not because of the scan" in (result.reason_en or "")
    # the document signing when the token went: said as a token out of reach, in both languages
    assert "not reachable (removed?)" in (first.results[1].reason_en or "")
    assert "left for the rerun" in (first.results[1].reason_en or "")
    assert "đã bị rút ra?" in (first.results[1].reason_vi or "")
    assert not list((tmp_path / "var" / "quarantine").glob("*.png"))
    # the token is back: the rerun, in this same process, signs what was left
    second = list(process_many(scans[1:], settings))
    assert [r.outcome for r in second] == [Outcome.ARCHIVED, Outcome.ARCHIVED], [r.summary() for r in second]


def test_a_token_pulled_while_idle_fails_the_next_batch_before_any_ocr(
    tmp_path: Path, token: tuple[Pkcs11Config, Path], monkeypatch: pytest.MonkeyPatch, fresh_pipeline_identity: None
) -> None:
    """The token unplugged between two batches of one process (a watcher idle between drops): the cached login
    passed the batch's start check, and each next scan was OCR'd (seconds of CPU a page) only to fail at its
    signature. Now the cached identity is asked whether its token still answers — at the batch's start and before
    each document's OCR — and a token that went away is logged in afresh, or refused before any OCR."""
    from test_bad_input import small_scan_png

    from flows import pipeline
    from flows.pipeline import Outcome, process_many
    from sohoa.errors import StageError

    _, ca = token
    settings = _pipeline_settings(tmp_path, ca)
    (tmp_path / "in").mkdir()
    scans = [small_scan_png(tmp_path / "in" / f"cv-{n}.png", f"CÔNG VĂN Số: {n}/UBND-VP") for n in (131, 132, 133)]
    ocr_runs: list[Path] = []
    real_ocr = pipeline.run_ocr
    monkeypatch.setattr(pipeline, "run_ocr", lambda source, *rest: ocr_runs.append(source) or real_ocr(source, *rest))
    folder = _token_folder(TOKEN)
    away = tmp_path / "unplugged"

    assert [r.outcome for r in process_many(scans[:1], settings)] == [Outcome.ARCHIVED]
    shutil.move(folder, away)  # pulled while nothing signs
    try:
        with pytest.raises(StageError, match="not reachable \\(removed\\?\\)"):  # the batch refused, exit 3
            list(process_many(scans[1:2], settings))
        assert ocr_runs == [scans[0]], "the scan after the token went was OCR'd for nothing"
        assert scans[1].exists()
    finally:
        shutil.move(away, folder)
    # mid-batch: the token goes after the first document; the next is not OCR'd
    ocr_runs.clear()

    def unplug_after_the_first(result: object, index: int, total: int) -> None:
        if index == 1:
            shutil.move(folder, away)

    try:
        mid = list(process_many(scans[1:], settings, on_result=unplug_after_the_first))
    finally:
        if away.exists():
            shutil.move(away, folder)
    assert [r.outcome for r in mid] == [Outcome.ARCHIVED, Outcome.FAILED], [r.summary() for r in mid]
    assert ocr_runs == [scans[1]]
    # back: the same process logs in again and signs
    assert [r.outcome for r in process_many(scans[2:], settings)] == [Outcome.ARCHIVED]


def _count_logins(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Every PIN presented to a token from now on (the PINs themselves: a test's own, never logged)."""
    import signing.identity

    tried: list[str | None] = []
    real = signing.identity._open_session

    def counting(token: object, pin: str | None) -> object:
        tried.append(pin)
        return real(token, pin)

    monkeypatch.setattr(signing.identity, "_open_session", counting)
    return tried


def test_a_wrong_pin_is_tried_once_before_any_ocr(
    tmp_path: Path, token: tuple[Pkcs11Config, Path], monkeypatch: pytest.MonkeyPatch, fresh_pipeline_identity: None
) -> None:
    """QA: a wrong PIN was tried once per document (three times under Prefect), each after the document's OCR, and
    on every watcher pass: a real token locks after 3–10. Now the batch logs in before its first document: one try,
    no OCR, exit 3; and the same PIN is never presented again in this process until the PIN file changes."""
    from test_bad_input import small_scan_png
    from typer.testing import CliRunner

    from flows import pipeline
    from flows.cli import app

    tried = _count_logins(monkeypatch)
    ocr_runs: list[Path] = []
    real_ocr = pipeline.run_ocr
    monkeypatch.setattr(pipeline, "run_ocr", lambda source, *rest: ocr_runs.append(source) or real_ocr(source, *rest))
    data = tmp_path / "var"
    pin_file = tmp_path / "pin"
    pin_file.write_text("1357911\n")  # wrong, and tried by no other test
    env = _token_env(data, pin_file)
    (tmp_path / "in").mkdir()
    for n in (118, 119, 120):
        small_scan_png(tmp_path / "in" / f"cv-{n}.png", f"CÔNG VĂN Số: {n}/UBND-VP")
    runner = CliRunner()
    for attempt in range(2):  # the second run: refused at once, the PIN not presented again
        result = runner.invoke(app, ["process", "--no-prefect", "--json", str(tmp_path / "in")], env=env)
        said = " ".join(result.output.split())
        assert result.exit_code == 3, result.output
        assert "wrong PIN" in said and TOKEN in said and "1357911" not in said and "Traceback" not in said
        assert '"results"' not in result.stdout and '"files"' not in result.stdout  # no document was started
        assert len(tried) == 1, f"run {attempt + 1}: the PIN was presented {len(tried)} times"
    assert "not presented to the token again" in said
    assert ocr_runs == [] and not (data / "work").exists() and not (data / "archive").exists()
    assert len(list((tmp_path / "in").iterdir())) == 3
    # the PIN file changed: the new PIN is tried (once), and with the right one the batch runs
    pin_file.write_text("2468101\n")
    assert runner.invoke(app, ["process", "--no-prefect", str(tmp_path / "in")], env=env).exit_code == 3
    assert len(tried) == 2
    pin_file.write_text(PIN + "\n")
    done = runner.invoke(app, ["process", "--no-prefect", "--json", str(tmp_path / "in")], env=env)
    assert done.exit_code in (0, 1), done.output  # 1: a test scan may need review… never a failure
    assert '"failed": 0' in done.stdout and len(tried) == 3


def test_watch_with_a_wrong_pin_leaves_the_inbox_alone(
    tmp_path: Path, token: tuple[Pkcs11Config, Path], monkeypatch: pytest.MonkeyPatch, fresh_pipeline_identity: None
) -> None:
    """QA: with a wrong PIN each watcher pass claimed the dropped file, tried the PIN after its OCR and wrote a
    failed receipt (5 wrong-PIN logins and 5 receipts in 45 s for one file). Now a pass refuses before claiming:
    the file stays in the inbox, no receipt, exit 3 for --once; a watcher's later passes do not present the PIN
    again, and the pass after the PIN file is put right takes the file."""
    from test_bad_input import small_scan_png
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.watch import watch_once
    from sohoa.errors import StageError

    tried = _count_logins(monkeypatch)
    data = tmp_path / "var"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    scan = small_scan_png(inbox / "cv-121.png", "CÔNG VĂN Số: 121/UBND-VP")
    os.utime(scan, (0, 0))  # long complete
    pin_file = tmp_path / "pin"
    pin_file.write_text("9753113\n")
    env = _token_env(data, pin_file)
    result = CliRunner().invoke(app, ["watch", str(inbox), "--once", "--stable-seconds", "0"], env=env)
    assert result.exit_code == 3, result.output
    assert "wrong PIN" in " ".join(result.output.split())
    assert scan.exists()
    assert not (data / "outbox").exists() or not list((data / "outbox").iterdir())
    assert not (data / "claimed").exists() or not list((data / "claimed").rglob("*.png"))
    assert len(tried) == 1
    # a running watcher's next passes: refused again, the PIN file read again, the PIN not presented again
    settings = _pipeline_settings(tmp_path, token[1], pkcs11_pin=None, pkcs11_pin_file=pin_file)
    for _ in range(2):
        with pytest.raises(StageError, match="wrong PIN"):
            watch_once(inbox, settings, stable_seconds=0)
    assert len(tried) == 1 and scan.exists()
    pin_file.write_text(PIN + "\n")
    receipts = watch_once(inbox, settings, stable_seconds=0)
    assert [r["outcome"] for r in receipts] == ["archived"] and len(tried) == 2


def test_the_prefect_sign_task_does_not_retry_a_configuration_error() -> None:
    """A signing configuration error (a wrong PIN) was retried twice by the sign task — each try a wrong PIN more
    on a token that locks after a few; a service or a token out of reach is still retried."""
    from prefect.states import Failed

    from flows import prefect_flows
    from signing import SigningConfigError, SigningServiceError

    condition = prefect_flows.STAGE_TASKS["sign"].retry_condition_fn
    assert condition is not None, "every failure of the sign task is retried"
    assert not condition(None, None, Failed(data=SigningConfigError("wrong PIN")))
    from signing import SigningTokenError

    assert condition(None, None, Failed(data=SigningServiceError("TSA down")))
    assert condition(None, None, Failed(data=SigningTokenError("token removed")))
    assert prefect_flows.STAGE_TASKS["sign"].retries == 2
