"""Operations at scale: Tesseract slots, documents in flight at once, Prefect caching across a crash, Dask.

Everything real: Tesseract, Prefect (without a server, in a subprocess as operations run it), a Dask scheduler and
two worker processes on loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import prefect_home
import pytest
from test_operations import env_for, make_scan

from ocr.slots import set_slot_count, slot_count, tesseract_slot

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


# ------------------------------------------------------------------------------------------ Tesseract slots
def test_tesseract_slots_bound_threads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # a private set of slots, whatever else runs on this host
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    set_slot_count(2)
    try:
        assert slot_count() == 2
        running = 0
        peak = 0
        lock = threading.Lock()

        def work() -> None:
            nonlocal running, peak
            with tesseract_slot(poll_seconds=0.01):
                with lock:
                    running += 1
                    peak = max(peak, running)
                time.sleep(0.05)
                with lock:
                    running -= 1

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert peak == 2
    finally:
        set_slot_count(0)


def test_tesseract_slot_held_by_another_process_blocks_until_it_dies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    set_slot_count(1)
    holder_code = (
        "import sys, time, tempfile; tempfile.tempdir = sys.argv[1]\n"
        "from ocr.slots import set_slot_count, tesseract_slot\n"
        "set_slot_count(1)\n"
        "with tesseract_slot():\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_code, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        acquired = threading.Event()

        def take() -> None:
            with tesseract_slot(poll_seconds=0.01):
                acquired.set()

        taker = threading.Thread(target=take, daemon=True)
        taker.start()
        assert not acquired.wait(1.0), "the only slot is held by another process"
        holder.send_signal(signal.SIGKILL)  # a crash releases the slot (the kernel drops the flock)
        assert acquired.wait(30)
    finally:
        holder.kill()
        holder.wait()
        set_slot_count(0)


# ------------------------------------------------------------------------------------------ helpers
def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Whatever the CLI started and left running (its Prefect server dies with it; Tesseract may not)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 420, leftovers_gone_within: float | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI in a session of its own. With ``leftovers_gone_within``, also assert that every process it started
    (its temporary Prefect server above all) is gone that many seconds after it ended, killed or not."""
    # files, not pipes: a Prefect server left behind by a killed CLI would hold pipes open until the timeout
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
            if leftovers_gone_within is not None:
                deadline = time.monotonic() + leftovers_gone_within
                while _group_alive(proc.pid) and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert not _group_alive(proc.pid), "a process started by the CLI outlived it"
        finally:
            _kill_group(proc)
        stdout.seek(0)
        stderr.seek(0)
        return subprocess.CompletedProcess(
            proc.args, proc.returncode, stdout.read().decode("utf-8"), stderr.read().decode("utf-8")
        )


def archived_ids(data_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in (data_dir / "archive").rglob("record.json"))


# ------------------------------------------------------------------------------------------ documents in flight
@pytest.mark.integration
def test_two_documents_in_flight_archive_each_once_and_keep_the_ledger(tmp_path: Path) -> None:
    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    for i, text in enumerate(["THÔNG BÁO\nVề việc họp dân", "BIÊN BẢN\nHọp thôn Đông", "GIẤY MỜI\nDự hội nghị"]):
        make_scan(inbox / f"tờ {i}.png", text)
    env = env_for(tmp_path / "var") | {"SOHOA_BATCH_WORKERS": "3", "SOHOA_TESSERACT_SLOTS": "2"}
    proc = run_cli(["process", str(inbox), "--no-prefect", "--json"], env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["counts"]["archived"] == 3
    assert len(set(archived_ids(tmp_path / "var"))) == 3
    ledger = run_cli(["ledger", "verify", "--json"], env)
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr


# ------------------------------------------------------------------------------------------ Prefect caching
@pytest.mark.integration
def test_prefect_rerun_after_a_kill_reuses_the_finished_stages(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_scan(inbox / "quyết định.png", "QUYẾT ĐỊNH\nVề việc cấp phép xây dựng")
    data = tmp_path / "var"
    prefect_home.seed(data / "prefect")  # a Prefect database made before (its first migration is not the subject)
    crash = env_for(data, crash="sign:1") | {"SOHOA_BATCH_WORKERS": "1"}
    killed = run_cli(["process", str(inbox), "--json"], crash, leftovers_gone_within=30)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert archived_ids(data) == []
    stored = sorted(p.name for p in (data / "prefect" / "storage").iterdir())
    assert len(stored) >= 2, stored  # the OCR and the signature, kept for the rerun

    rerun = run_cli(["process", str(inbox), "--json"], env_for(data))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    (line,) = json.loads(rerun.stdout)["files"]
    assert line["outcome"] == "archived"
    # the OCR and the signature made before the kill come from Prefect's cache (classify runs inline, cheaply)
    assert line["cached_stages"] == ["ocr", "sign"]
    assert len(archived_ids(data)) == 1
    signed = next((data / "archive").rglob("document.pdf"))
    assert b"/ByteRange" in signed.read_bytes()
    # once archived they are let go of: each held the document's whole OCR text, left on disk for good, after its
    # record's disposal too (QA98 F2)
    assert not [p.name for p in (data / "prefect" / "storage").iterdir() if p.name in stored]


# ------------------------------------------------------------------------------------------ Dask
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_dask_cluster(
    tmp_path: Path, workers: int = 2, worker_env: dict[str, str] | None = None, allowed_failures: int | None = None
) -> Iterator[str]:
    """A real Dask scheduler and ``workers`` single-threaded worker processes (under a nanny, which starts a dead
    one again) on loopback; ``worker_env`` is added to the workers' environment only; ``allowed_failures`` is the
    scheduler's ``distributed.scheduler.allowed-failures`` (deaths of workers running a task before it is given up
    as KilledWorker; Dask's default 3)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    scheduler_env = dict(env)
    if allowed_failures is not None:
        scheduler_env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(allowed_failures)
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    scheduler = subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        cwd=ROOT,
        env=scheduler_env,
        stdout=(logs / "scheduler.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker_processes = subprocess.Popen(
        [
            str(bin_dir / "dask"),
            "worker",
            address,
            "--nworkers",
            str(workers),
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
            "--local-directory",
            str(tmp_path / "dask-work"),
        ],
        cwd=ROOT,
        env=env | (worker_env or {}),
        stdout=(logs / "workers.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for proc in (worker_processes, scheduler):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (worker_processes, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A real Dask scheduler and two single-threaded worker processes on loopback."""
    with running_dask_cluster(tmp_path) as address:
        yield address


@pytest.mark.integration
def test_batch_runs_on_a_dask_cluster(tmp_path: Path, dask_cluster: str) -> None:
    from distributed import Client

    with Client(dask_cluster, timeout=60) as client:
        worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == 2
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("qd-15-ubnd.pdf", "trich-luc-khai-tu-31.png", "cv-118-ubnd-vp.jpg"):
        (inbox / name).write_bytes((SAMPLES / name).read_bytes())
    (inbox / "hỏng.pdf").write_bytes(b"%PDF-1.4\n% truncated")  # bad input is quarantined there too
    data = tmp_path / "var"
    prefect_home.seed(data / "prefect")  # a Prefect database made before (its first migration is not the subject)
    env = env_for(data)
    proc = run_cli(["process", str(inbox), "--json", "--dask", dask_cluster], env)
    assert proc.returncode == 1, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["counts"] == {"archived": 3, "already_archived": 0, "quarantined": 1, "failed": 0, "total": 4}
    ran_on = {int(line["processed_by"].rsplit(":", 1)[1]) for line in report["files"]}
    assert ran_on <= worker_pids, (ran_on, worker_pids)  # every document ran on a Dask worker, not in the CLI

    def pages_read_here(dask_worker: Any) -> int:
        computed = {entry[0] for entry in dask_worker.state.log if len(entry) > 1 and entry[1] == "compute-task"}
        return sum(1 for key in computed if str(key).startswith("read_page_job"))

    with Client(dask_cluster, timeout=60) as client:
        pages_per_worker = client.run(pages_read_here)
    # page-level OCR tasks: the 2 pages of qd-15-ubnd.pdf and the 2 single-page scans, each read by a Dask task
    # (a page read again turned upright, when its first reading was poor, is one more)
    assert sum(pages_per_worker.values()) >= 4, pages_per_worker
    assert len(archived_ids(tmp_path / "var")) == 3
    ledger = run_cli(["ledger", "verify", "--json"], env)
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr


@pytest.mark.integration
def test_the_nightly_batch_deployment_runs_on_a_dask_cluster(
    tmp_path: Path, dask_cluster: str, prefect_api: str
) -> None:
    """QA136: `nightly-batch` with SOHOA_DASK_ADDRESS, run by a worker, failed every document ("Error during
    deserialization of the task graph"): the worker loaded the flow from prefect.yaml's entrypoint, then a file
    (flows/prefect_flows.py:process_batch), as a module named "prefect_flows", which the Dask scheduler and
    workers cannot import. The flow is loaded here as a worker loads it, from the deployment's entrypoint, and run
    against a real server and cluster (whose processes, as the README starts them, have no flows/ on their path)."""
    import yaml

    from tests.conftest import run_flows_for_their_states
    from tests.test_operations import TEXTS

    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    entrypoint = next(d["entrypoint"] for d in config["deployments"] if d["name"] == "nightly-batch")
    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    make_scan(inbox / "thông báo.png", TEXTS[0])
    data = tmp_path / "var"
    overrides = {"data_dir": str(data), "dask_address": dask_cluster, "ocr_workers": 1}
    (run,) = run_flows_for_their_states(
        f"from prefect.flows import load_flow_from_entrypoint\nbatch = load_flow_from_entrypoint({entrypoint!r})",
        [f"batch([{str(inbox)!r}], {overrides!r}, return_state=True)"],
        tmp_path / "prefect",
        prefect_api,
    )
    assert run["state"]["type"] == "COMPLETED", run["state"]
    outcomes = {Path(f["path"]).name: f["outcome"] for f in run["result"]["files"]}
    assert outcomes == {"thông báo.png": "archived"}, run["result"]["files"]
    assert len(archived_ids(data)) == 1


def test_an_unreachable_dask_scheduler_is_said_at_once_without_traceback(tmp_path: Path) -> None:
    """Found by QA: `--dask` naming a scheduler that is not there waited 33 s, then printed a 269-line traceback
    and "Prefect could not run the batch … Check PREFECT_API_URL"."""
    scan = make_scan(tmp_path / "thông báo.png", "THÔNG BÁO\nVề việc họp dân")
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    env = {k: v for k, v in env_for(tmp_path / "var").items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect home")  # made when a Prefect server is started
    proc = run_cli(["process", str(scan), "--json", "--dask", address], env, timeout=120)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Prefect could not run" not in proc.stderr, proc.stderr[-3000:]
    error = json.loads(proc.stdout)
    assert error["exit_code"] == 3
    assert f"Dask scheduler {address} (--dask / SOHOA_DASK_ADDRESS)" in error["error"], error
    assert "does not answer" in error["error"] and "nothing was processed" in error["error"]
    # said before any Prefect server was started (it was blamed after one, 33 s in): by what was not done
    assert not (tmp_path / "prefect home").exists()
    assert not (tmp_path / "var" / "archive").exists()


@pytest.mark.integration
def test_a_document_whose_dask_worker_dies_is_failed_and_the_others_keep_their_outcomes(tmp_path: Path) -> None:
    """Found by QA: Dask workers killed mid-batch ended the batch in KilledWorker, exit 3, without per-file results.

    A real fault, not a mock: the one worker process kills itself with SIGKILL right after a document's OCR stage
    (the test hook SOHOA_TEST_CRASH_AFTER=ocr:1, in the workers' environment only); its nanny starts it again, the
    scheduler gives the document to it again, it dies again, and after the deaths Dask allows (here 1 + 1) the
    document's future raises KilledWorker. The bad file, refused before any OCR, never kills its worker."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_scan(inbox / "thông báo.png", "THÔNG BÁO\nVề việc họp dân")
    (inbox / "hỏng.pdf").write_bytes(b"%PDF-1.4\n% truncated")
    data = tmp_path / "var"
    prefect_home.seed(data / "prefect")  # a Prefect database made before (its first migration is not the subject)
    with running_dask_cluster(
        tmp_path, workers=1, worker_env={"SOHOA_TEST_CRASH_AFTER": "ocr:1"}, allowed_failures=1
    ) as address:
        proc = run_cli(["process", str(inbox), "--json", "--dask", address], env_for(data))
    assert proc.returncode == 3, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert set(files) == {"thông báo.png", "hỏng.pdf"}
    assert files["hỏng.pdf"]["outcome"] == "quarantined"
    died = files["thông báo.png"]
    assert died["outcome"] == "failed", died
    assert "the Dask worker processing it died" in died["reason"] and "rerun" in died["reason"], died
    assert "KilledWorker" in died["reason"] and died["reason_vi"]
    assert report["counts"] == {"archived": 0, "already_archived": 0, "quarantined": 1, "failed": 1, "total": 2}
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
