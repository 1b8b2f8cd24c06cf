"""Shared fixtures. Integration fixtures run the real pipeline once per session and share the result."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import prefect_home
import pytest
from broken_services import broken_service
from PIL import Image
from prefect_home import environment_without_settings
from signing_pki import PKCS12_PASSWORD, SIGNER, TestPKI, running_pki

from flows.pipeline import DocumentResult, expand_inputs, process_many
from signing import SigningIdentity, load_identity
from sohoa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


def same_scan_data(stored: bytes, original: bytes) -> bool:
    """An image of the copy holds the scan's data: the same bytes, or — a JPEG — the same coefficients coded
    progressively (``ocr.jpegs``), decoded to the very same pixels."""
    if stored == original:
        return True
    if not (stored.startswith(b"\xff\xd8") and original.startswith(b"\xff\xd8")):
        return False
    with Image.open(io.BytesIO(stored)) as copy, Image.open(io.BytesIO(original)) as scan:
        same_image = (copy.format, copy.size, copy.mode) == ("JPEG", scan.size, scan.mode)
        return same_image and copy.tobytes() == scan.tobytes()


def tahoma_font(source: Path, copy: Path) -> None:
    """``source`` (born-digital, its fonts not embedded) with every font named Tahoma: one sohoa has no twin for
    (``sohoa.font_twins``), so its copy cannot be PDF/A."""
    import pikepdf

    with pikepdf.open(source) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
                obj.BaseFont = pikepdf.Name("/Tahoma")
        pdf.save(copy)


# a test that reads the corpora beside the checkout (../shared): skipped, not failed, in a clone without them
needs_shared = pytest.mark.skipif(not (SHARED / "corpora").is_dir(), reason="shared corpora (../shared) not present")
# No `sohoa ocr` run by a test starts an OCR server in the background (tests/test_ocr_server.py asks for one).
os.environ["SOHOA_OCR_SERVER"] = "off"


def _flow_env(prefect_home: Path, **extra: str) -> dict[str, str]:
    """The environment of a child that runs flows against a Prefect server (``extra``: its PREFECT_API_URL): this
    one's without its SOHOA_*/PREFECT_* settings, plus ``extra``."""
    env = environment_without_settings()
    env.update(PYTHONPATH=str(ROOT), PREFECT_HOME=str(prefect_home), PREFECT_SERVER_ANALYTICS_ENABLED="false", **extra)
    return env


def run_flow_for_its_artifact(
    flow_import: str, call: str, argv: list[str], prefect_home: Path, api_url: str
) -> dict[str, Any]:
    """Run a Prefect flow in a fresh interpreter (client state under ``prefect_home``) against the Prefect API at
    ``api_url`` (the ``prefect_api`` fixture's server), and return ``{"result": what the flow returned, "key",
    "markdown": the newest artifact of its flow run}``.

    ``flow_import`` imports the flow; ``call`` calls it with ``return_state=True`` (the result is taken from the
    state: a failed run raises, as calling the flow without it does), reading its arguments from ``sys.argv``
    (``argv``)."""
    script = (
        f"import json, sys\n{flow_import}\nstate = {call}\nresult = state.result()\n"
        "from prefect.client.orchestration import get_client\n"
        "from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId\n"
        "from prefect.client.schemas.sorting import ArtifactSort\n"
        "run_id = state.state_details.flow_run_id\n"
        "with get_client(sync_client=True) as client:\n"
        "    artifact = client.read_artifacts(\n"
        "        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])),\n"
        "        sort=ArtifactSort.CREATED_DESC)[0]\n"
        "print(json.dumps({'result': result, 'key': artifact.key, 'markdown': artifact.data}))\n"
    )
    env = _flow_env(prefect_home, PREFECT_API_URL=api_url, PREFECT_LOGGING_TO_API_ENABLED="false")
    proc = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run_flows_for_their_states(
    flow_import: str, calls: list[str], prefect_home: Path, api_url: str
) -> list[dict[str, Any]]:
    """Run Prefect flows in a fresh interpreter (client state under ``prefect_home``) against the Prefect API at
    ``api_url`` (the ``prefect_api`` fixture's server), their log lines sent to it as on a worker
    (PREFECT_LOGGING_TO_API_ENABLED, Prefect's default), and return what the API says of each flow run:
    ``{"state": {"type", "name", "message"}, "result": what the state carries, "artifacts": {key: markdown},
    "logs": [message, …]}``.

    ``flow_import`` imports the flows; each of ``calls`` is an expression calling one with ``return_state=True``."""
    script = (
        f"import json, sys\n{flow_import}\n"
        "from prefect.client.orchestration import get_client\n"
        "from prefect.client.schemas.filters import (\n"
        "    ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId)\n"
        "from prefect.logging.handlers import APILogHandler\n"
        "out = []\n"
        "for call in json.loads(sys.argv[1]):\n"
        "    state = eval(call)\n"
        "    result = state.result(raise_on_failure=False)\n"
        "    result = repr(result) if isinstance(result, BaseException) else result\n"
        "    APILogHandler().flush()\n"
        "    run_id = state.state_details.flow_run_id\n"
        "    with get_client(sync_client=True) as client:\n"
        "        run = client.read_flow_run(run_id)\n"
        "        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))\n"
        "        artifacts = client.read_artifacts(\n"
        "            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))\n"
        "    out.append({'state': {'type': run.state.type.value, 'name': run.state.name,\n"
        "                          'message': run.state.message},\n"
        "                'result': result, 'artifacts': {a.key: a.data for a in artifacts},\n"
        "                'logs': [log.message for log in logs]})\n"
        "print(json.dumps(out))\n"
    )
    env = _flow_env(
        prefect_home, PREFECT_API_URL=api_url, PREFECT_LOGGING_TO_API_ENABLED="true", SOHOA_OCR_SERVER="off"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(calls)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]  # a flow that fails says why in one message
    runs: list[dict[str, Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return runs


@pytest.fixture(scope="session", autouse=True)
def _prefect_home_template_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """tests/prefect_home.py makes its template in the run's folder, which pytest-xdist's workers share."""
    run_folder = tmp_path_factory.getbasetemp()
    prefect_home.set_template_root(run_folder.parent if os.environ.get("PYTEST_XDIST_WORKER") else run_folder)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API URL of one Prefect server for the flow tests of the session (each pytest-xdist worker has its own),
    in the mode of the temporary server Prefect starts by itself (``PREFECT__SERVER_EPHEMERAL``: the same
    services), which each of those tests' interpreters started before, at ~15–20 s a test (a fresh database
    migrated). The tests run their flows against it in a fresh interpreter, as a worker runs a deployment's flow
    against its server, and read back only their own flow runs (by id)."""
    from flows.prefect_server import TemporaryPrefectServer

    environment = environment_without_settings()
    environment.update(PYTHONPATH=str(ROOT), PREFECT__SERVER_EPHEMERAL="1")
    server = TemporaryPrefectServer(prefect_home.seed(tmp_path_factory.mktemp("prefect-server")), environment)
    url = server.start()
    try:
        server.wait_ready()
        yield url
    finally:
        server.stop()


@dataclass(frozen=True)
class Expected:
    file: str
    doc_type: str
    number: str
    issued_on: str
    issuer: str
    pages: int
    words: list[str]


def expected_samples() -> list[Expected]:
    raw = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
    return [
        Expected(
            file=item["file"],
            doc_type=item["doc_type"],
            number=item["number"],
            issued_on=item["issued_on"],
            issuer=item["issuer"],
            pages=item["pages"],
            words=item["words"],
        )
        for item in raw
    ]


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(data_dir=data_dir, **overrides)  # type: ignore[arg-type]


@dataclass
class PipelineRun:
    settings: Settings
    first: dict[str, DocumentResult]
    second: dict[str, DocumentResult]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    """The whole pipeline (no Prefect) twice over the bundled samples, in one scratch data folder."""
    logging.getLogger("sohoa").setLevel(logging.INFO)
    data_dir = tmp_path_factory.mktemp("sample-run")
    inputs_dir = data_dir / "inbox"
    # the scanned stack (samples/stack/) has its own test in test_operations_intake.py
    shutil.copytree(SAMPLES, inputs_dir, ignore=shutil.ignore_patterns("stack"))
    settings = make_settings(data_dir / "var")
    inputs = expand_inputs([inputs_dir])
    first = {r.path.name: r for r in process_many(inputs, settings)}
    second = {r.path.name: r for r in process_many(inputs, settings)}
    yield PipelineRun(settings=settings, first=first, second=second)


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPKI]:
    """One certomancer PKI (TSA, OCSP, CRLs on loopback) shared by every signing test of the session."""
    with running_pki(tmp_path_factory.mktemp("pki")) as pki:
        yield pki


@pytest.fixture(scope="session")
def broken_service_url() -> Iterator[str]:
    """Base URL of a loopback HTTP server answering wrongly, by path (tests/broken_services.py: /html, /500, …)."""
    with broken_service() as url:
        yield url


@pytest.fixture(scope="session")
def signer(test_pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    """The test PKI's valid signer, as a PKCS#12 identity (loaded once for every signing test)."""
    return load_identity(
        "pkcs12",
        keys_dir=tmp_path_factory.mktemp("k"),
        pkcs12_file=test_pki.pkcs12_file(SIGNER),
        passphrase=PKCS12_PASSWORD,
    )


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real small file system, nearly full (a tmpfs; needs root and mount rights: CI runs as root)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace').strip()}")
    try:
        (mount / "filler").write_bytes(b"\0" * (48 * 1024 * 1024 - 64 * 1024))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def spy_on_trust_root_reads(monkeypatch: pytest.MonkeyPatch, *importers: object) -> list[object]:
    """Every read of trust root files (``signing.verify.load_trust_root_files``, also where ``importers`` imported
    it by name), in order: to count them."""
    import signing.verify

    reads: list[object] = []
    real_reader = signing.verify.load_trust_root_files

    def reader(sources: list[Path]) -> object:
        reads.append(sources)
        return real_reader(sources)

    for module in (signing.verify, *importers):
        monkeypatch.setattr(module, "load_trust_root_files", reader)
    return reads
