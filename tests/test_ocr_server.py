"""`sohoa ocr-server`: `sohoa ocr` run in a fork of a warm process gives what it gives on its own (real server,
real commands, real Tesseract)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from flows.launch import forward
from flows.ocr_server import alive, code_fingerprint
from tests.conftest import ROOT
from tests.test_ocr import scan_page


@dataclass
class Server:
    process: subprocess.Popen[str]
    socket: Path
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


def start_server(folder: Path, *extra: str, sigint_ignored: bool = False) -> Server:
    path = folder / "ocr.sock"  # a short path: AF_UNIX allows 107 bytes
    log = folder / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "ocr-server", "--socket", str(path), *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
        # as `sohoa ocr-server &` in a shell script starts it (and `nohup … &`, as the test suite may be run)
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None,
    )
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the server did not start listening"
        time.sleep(0.05)
    return Server(process, path, log)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    folder = Path(tempfile.mkdtemp(prefix="so-", dir="/tmp"))
    running = start_server(folder, sigint_ignored=getattr(request, "param", False))
    try:
        yield running
    finally:
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=30) == 0
        assert not running.socket.exists()  # removed on the way out
        shutil.rmtree(folder, ignore_errors=True)


def served_environment(socket_path: Path, **env: str) -> dict[str, str]:
    """This process's environment for a `sohoa ocr` the server at ``socket_path`` serves (and no other: ``use``)."""
    return {
        **os.environ,
        "SOHOA_OCR_SERVER_SOCKET": str(socket_path),
        "SOHOA_OCR_SERVER": "use",
        "PYTHONPATH": str(ROOT),
        **env,
    }


def stacked_scan(folder: Path, count: int) -> tuple[Path, list[Image.Image]]:
    """A PDF of ``count`` scanned pages in ``folder`` (long enough to be stopped while it is read), and its pages."""
    pages = [Image.open(scan_page(folder / f"{i}.png")).convert("L") for i in range(count)]
    scan = folder / "chồng.pdf"
    pages[0].save(scan, resolution=300, save_all=True, append_images=pages[1:])
    return scan, pages


def sohoa(args: list[str], cwd: Path, socket_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The `sohoa` command as installed (its entry point is flows.launch)."""
    return subprocess.run(
        [sys.executable, "-m", "flows.launch", *args],
        cwd=cwd,
        env=served_environment(socket_path, **env),
        capture_output=True,
        text=True,
    )


def test_a_command_run_by_the_server_gives_what_it_gives_alone(server: Server, tmp_path: Path) -> None:
    scan = tmp_path / "giấy khai sinh.pdf"
    Image.open(scan_page(tmp_path / "p.png")).convert("L").save(scan, resolution=300)
    served = sohoa(["ocr", scan.name, "ra/served.pdf", "--json"], tmp_path, server.socket)
    alone = sohoa(["ocr", scan.name, "ra/alone.pdf", "--json"], tmp_path, tmp_path / "no-server.sock")
    assert served.returncode == alone.returncode == 0, served.stderr + alone.stderr
    by_server, by_itself = json.loads(served.stdout), json.loads(alone.stdout)
    assert "hộ tịch trực tuyến" in by_server["text"]
    assert by_server["text"] == by_itself["text"] and by_server["pages"] == by_itself["pages"]
    assert (tmp_path / "ra" / "served.pdf").stat().st_size > 0  # relative to the caller's folder, not the server's
    assert any(f"runs `sohoa ocr {scan.name} ra/served.pdf --json` in {tmp_path}" in line for line in server.lines())
    assert not any("alone.pdf" in line for line in server.lines())


def test_bad_input_and_the_callers_settings_through_the_server(server: Server, tmp_path: Path) -> None:
    (tmp_path / "hỏng.pdf").write_text("not a PDF at all", encoding="utf-8")
    refused = sohoa(["ocr", "hỏng.pdf", "out.pdf"], tmp_path, server.socket)
    assert refused.returncode == 1
    assert "hỏng.pdf" in refused.stderr and "not a PDF" in refused.stderr
    missing = sohoa(["ocr", "không-có.pdf", "out.pdf"], tmp_path, server.socket)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    scan = tmp_path / "scan.pdf"
    Image.open(scan_page(tmp_path / "p.png")).convert("L").save(scan, resolution=300)
    # the caller's environment is the command's: a language that is not installed is the caller's setting
    wrong = sohoa(["ocr", "scan.pdf", "out.pdf"], tmp_path, server.socket, SOHOA_OCR_LANGUAGE="xyz")
    assert wrong.returncode == 3 and "xyz" in wrong.stderr
    # a command that ends at once (its exit code may reach the caller as soon as the server's acceptance)
    helped = sohoa(["ocr", "--help"], tmp_path, server.socket)
    assert helped.returncode == 0 and helped.stdout.count("Usage:") == 1 and "OUTPUT.pdf" in helped.stdout
    assert sum("runs `sohoa ocr" in line for line in server.lines()) == 4
    assert not (tmp_path / "out.pdf").exists()


@pytest.mark.parametrize("server", [False, True], ids=["sigint", "sigint-ignored"], indirect=True)
def test_the_command_stops_when_its_caller_goes_away(server: Server, tmp_path: Path) -> None:
    scan, pages = stacked_scan(tmp_path, 6)
    caller = subprocess.Popen(
        [sys.executable, "-m", "flows.launch", "ocr", str(scan), str(tmp_path / "out.pdf")],
        env=served_environment(server.socket),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not any("runs `sohoa ocr" in line for line in server.lines()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(re.search(r"pid (\d+) runs", server.log.read_text(encoding="utf-8")).group(1))  # type: ignore[union-attr]
    caller.kill()
    caller.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child}").exists():  # reaped by the server once it has ended
        assert time.monotonic() < deadline, "the command went on without its caller"
        time.sleep(0.1)
    assert not (tmp_path / "out.pdf").exists()
    # its lent workers did not come back; the next command is served all the same
    scan_one = tmp_path / "một.pdf"
    pages[0].save(scan_one, resolution=300)
    after = sohoa(["ocr", scan_one.name, "out.pdf", "--json"], tmp_path, server.socket)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["pages"][0]["ocr"] is True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_served_command_stopped_says_so_before_its_caller_returns(
    server: Server, tmp_path: Path, signum: int
) -> None:
    """QA141 F9: a `sohoa ocr` served by the server, stopped by SIGTERM, died at once (no handler); the command in
    the server went on ~3.6 s, then said "stopped (Ctrl-C)" on the caller's stderr after the shell's prompt, its
    scratch still in WORK when the caller had returned. Now the caller passes the signal on and waits: the words
    are the signal's, before it returns, and nothing is left."""
    scan, _ = stacked_scan(tmp_path, 12)
    data = tmp_path / "var"
    caller = subprocess.Popen(
        [sys.executable, "-m", "flows.launch", "ocr", str(scan), str(tmp_path / "out.pdf")],
        env=served_environment(server.socket, SOHOA_DATA_DIR=str(data)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),  # as a terminal's job has it
    )
    deadline = time.monotonic() + 60
    while not any((data / "work").glob("sohoa-ocr-*")):  # the served command is reading
        assert caller.poll() is None and time.monotonic() < deadline, caller.communicate()[1]
        time.sleep(0.05)
    caller.send_signal(signum)
    _, said = caller.communicate(timeout=60)
    assert caller.returncode == 128 + signum, said
    how = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    assert f"stopped ({how})" in said and "was not written" in said, said
    assert not any((data / "work").glob("sohoa-ocr-*"))  # removed before the caller returned
    assert not (tmp_path / "out.pdf").exists()


def lent_workers(server: Server) -> list[set[int]]:
    """The workers the server lent with each command, in order."""
    return [
        {int(pid) for pid in found.group(1).split(", ")}
        for line in server.lines()
        if (found := re.search(r"runs `.*` in .* with workers ([\d, ]+)$", line))
    ]


def test_served_commands_share_the_servers_loaded_workers(server: Server, tmp_path: Path) -> None:
    """The server loads two Tesseract workers once, lends them with each command and takes them back after
    it: the next command reads with the same processes (no model loaded, none loading beside it)."""
    deadline = time.monotonic() + 60
    while sum("Tesseract worker" in line and "loaded" in line for line in server.lines()) < 2:
        assert time.monotonic() < deadline, server.lines()
        time.sleep(0.05)
    scan = tmp_path / "hộ tịch.pdf"
    Image.open(scan_page(tmp_path / "p.png")).convert("L").save(scan, resolution=300)
    outputs = []
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        done = sohoa(["ocr", scan.name, name, "--json"], tmp_path, server.socket)
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout)["text"])  # the workers were handed back before the exit code
    lent = lent_workers(server)
    assert len(lent) == 3 and len(lent[0]) == 2 and lent[0] == lent[1] == lent[2]
    assert outputs[0] == outputs[1] == outputs[2] and "THÔNG BÁO" in outputs[0]
    assert sum("Tesseract worker" in line and "loaded" in line for line in server.lines()) == 2


def test_an_idle_server_stops_by_itself() -> None:
    folder = Path(tempfile.mkdtemp(prefix="so-", dir="/tmp"))
    try:
        idle = start_server(folder, "--idle", "1")
        assert idle.process.wait(timeout=30) == 0
        assert not idle.socket.exists()
        assert "idle for 1 s, stopping" in idle.log.read_text(encoding="utf-8")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_without_a_listening_server_the_command_runs_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOHOA_OCR_SERVER_SOCKET", str(tmp_path / "none.sock"))
    assert forward(["ocr", "a.pdf", "b.pdf"]) is None  # no socket file
    left_behind = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left_behind.bind(str(tmp_path / "none.sock"))  # a socket file nobody listens on (a killed server's)
    left_behind.close()
    assert forward(["ocr", "a.pdf", "b.pdf"]) is None


def test_code_fingerprint_sees_a_changed_source_file(tmp_path: Path) -> None:
    package = tmp_path / "ocr"
    package.mkdir()
    (package / "pipeline.py").write_text("x = 1\n", encoding="utf-8")
    before = code_fingerprint([package])
    assert code_fingerprint([package]) == before
    (package / "pipeline.py").write_text("x = 22\n", encoding="utf-8")
    assert code_fingerprint([package]) != before


def test_a_command_of_another_installation_is_refused_and_runs_alone(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The server's children run the server's code: a `sohoa` from another checkout must not be served by it."""
    import flows.launch

    monkeypatch.setenv("SOHOA_OCR_SERVER_SOCKET", str(server.socket))
    monkeypatch.setattr(flows.launch, "ROOT", str(tmp_path / "another-checkout"))
    assert forward(["ocr", "a.pdf", "b.pdf"]) is None
    assert any("refused a command: another installation of sohoa" in line for line in server.lines())
    assert server.process.poll() is None  # and it goes on serving its own


def test_a_ready_child_that_died_is_replaced(server: Server, tmp_path: Path) -> None:
    """The server keeps one child forked ahead (its workers loading); if that one is killed, commands go on."""
    deadline = time.monotonic() + 30
    ready: list[int] = []
    while not ready:
        assert time.monotonic() < deadline, "no ready child"
        tasks = Path(f"/proc/{server.process.pid}/task")
        ready = [int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()]
        time.sleep(0.05)
    os.kill(ready[0], signal.SIGKILL)
    helped = sohoa(["ocr", "--help"], tmp_path, server.socket)
    assert helped.returncode == 0 and "OUTPUT.pdf" in helped.stdout
    assert any("runs `sohoa ocr --help`" in line for line in server.lines())


def test_a_lone_command_starts_a_server_in_the_background_that_serves_the_next(tmp_path: Path) -> None:
    """SOHOA_OCR_SERVER=start (the default outside tests): the first `sohoa ocr` runs alone and leaves a server
    behind, detached from it (its output, its session, its folder); the next one is served; one server per
    socket; `sohoa ocr-server --stop` ends it."""
    folder = Path(tempfile.mkdtemp(prefix="so-", dir="/tmp"))
    path = folder / "ocr.sock"
    server_pid = 0
    try:
        # a command that fails fast still starts the server; capture_output: run() would hang until the server
        # ended if the server kept the command's output pipe open
        first = sohoa(["ocr", "không-có.pdf", "out.pdf"], tmp_path, path, SOHOA_OCR_SERVER="start")
        assert first.returncode == 2 and "không-có.pdf" in first.stderr
        lock = Path(f"{path}.lock")
        deadline = time.monotonic() + 60
        while not path.exists():
            assert time.monotonic() < deadline, (folder / "ocr.log").read_text(encoding="utf-8")
            time.sleep(0.05)
        server_pid = int(lock.read_text())
        assert os.getsid(server_pid) == server_pid  # its own session: not stopped by the terminal's Ctrl-C
        assert os.readlink(f"/proc/{server_pid}/cwd") == "/"
        assert oct(folder.stat().st_mode & 0o777) == "0o700" and oct(path.stat().st_mode & 0o777) == "0o600"

        scan = tmp_path / "tờ khai.pdf"
        Image.open(scan_page(tmp_path / "p.png")).convert("L").save(scan, resolution=300)
        served = sohoa(["ocr", scan.name, "out.pdf", "--json"], tmp_path, path, SOHOA_OCR_SERVER="start")
        assert served.returncode == 0, served.stderr
        assert json.loads(served.stdout)["pages"][0]["ocr"] is True
        log = (folder / "ocr.log").read_text(encoding="utf-8")
        assert f"pid {server_pid}" in log and "runs `sohoa ocr tờ khai.pdf out.pdf --json`" in log

        second = subprocess.run(
            [sys.executable, "-m", "flows.cli", "ocr-server", "--socket", str(path)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2 and f"already serves it (pid {server_pid};" in (
            said := " ".join(second.stderr.split())
        )
        assert f"một máy chủ OCR khác đang phục vụ tại đây (pid {server_pid};" in said  # Vietnamese first (QA84)
        assert f"`sohoa ocr-server --socket {path} --stop`" in said  # the one named, not the default (QA85)

        stop = [sys.executable, "-m", "flows.cli", "ocr-server", "--socket", str(path), "--stop"]
        stopped = subprocess.run(stop, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        assert stopped.returncode == 0 and f"stopped the OCR server (pid {server_pid})" in stopped.stderr
        assert not path.exists() and not alive(server_pid)
        again = subprocess.run(stop, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        assert again.returncode == 0
        assert "không có máy chủ OCR nào đang chạy / no OCR server was running" in again.stderr
    finally:
        if server_pid and alive(server_pid):
            os.kill(server_pid, signal.SIGTERM)
        shutil.rmtree(folder, ignore_errors=True)


def test_two_commands_at_once_start_one_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock is taken by the command and handed to the server: while one is starting, none other is."""
    from flows.launch import start_server_in_background
    from flows.ocr_server import stop_server

    folder = Path(tempfile.mkdtemp(prefix="so-", dir="/tmp"))
    monkeypatch.setenv("SOHOA_OCR_SERVER_SOCKET", str(folder / "ocr.sock"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    try:
        started = start_server_in_background()
        assert started is not None
        assert start_server_in_background() is None  # still importing: the lock is its already
        assert stop_server(folder / "ocr.sock") == started
        assert not alive(started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_server_policy_is_checked(tmp_path: Path) -> None:
    socket_path = tmp_path / "s" / "ocr.sock"
    wrong = sohoa(["ocr", "a.pdf", "b.pdf"], tmp_path, socket_path, SOHOA_OCR_SERVER="always")
    assert wrong.returncode == 2 and "SOHOA_OCR_SERVER phải là một trong start, use, off" in wrong.stderr
    assert "must be one of start, use, off" in wrong.stderr  # in both languages (QA64: English only)
    as_json = sohoa(["ocr", "a.pdf", "b.pdf", "--json"], tmp_path, socket_path, SOHOA_OCR_SERVER="bogus")
    said = json.loads(as_json.stdout)  # (QA170 F6: nothing on stdout)
    assert as_json.returncode == said["exit_code"] == 2 and said["path"] == "a.pdf" and "bogus" in said["error"]
    alone = sohoa(["ocr", "a.pdf", "b.pdf"], tmp_path, socket_path, SOHOA_OCR_SERVER="off")
    assert alone.returncode == 2 and not socket_path.parent.exists()  # ran alone, started nothing


def start_server_with_hung_language_data(tmp_path: Path, folder: Path, load_timeout: float) -> Server:
    """A server whose language data is a FIFO nobody writes (as a file on a hung network share would be): its
    worker blocks loading it. The fault is real; only the wait for a worker to load (``START_TIMEOUT``, 60 s) is
    set by the test."""
    tessdata = tmp_path / "tessdata"
    tessdata.mkdir()
    os.mkfifo(tessdata / "vie.traineddata")
    path, log = folder / "ocr.sock", folder / "server.log"
    starter = (
        f"import sys; from ocr import tesseract_library; tesseract_library.START_TIMEOUT = {load_timeout}; "
        "from flows.cli import app; app(sys.argv[1:], prog_name='sohoa')"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", starter, "ocr-server", "--socket", str(path)],
        cwd=ROOT,
        env={**os.environ, "SOHOA_TESSDATA_DIR": str(tessdata)},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
    )
    return Server(process, path, log)


def wait_for_log(server: Server, phrase: str) -> str:
    deadline = time.monotonic() + 60
    while phrase not in (text := server.log.read_text(encoding="utf-8")):
        assert server.process.poll() is None, text
        assert time.monotonic() < deadline, text
        time.sleep(0.1)
    return text


def gone(pid: int, within: float = 10) -> bool:
    """Ended and reaped (not left a zombie)."""
    deadline = time.monotonic() + within
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_worker_that_never_loads_is_ended_and_the_server_goes_on(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="so-", dir="/tmp"))
    server = start_server_with_hung_language_data(tmp_path, folder, load_timeout=2.0)
    try:
        text = wait_for_log(server, "did not load in 2 s")
        stuck = int(re.search(r"Tesseract worker (\d+) did not load", text).group(1))  # type: ignore[union-attr]
        assert gone(stuck)
        time.sleep(1.5)  # a few turns of the server's loop: it must not start another worker that hangs
        assert server.process.poll() is None
        assert server.log.read_text(encoding="utf-8").count("sohoa ocr-server: Tesseract worker") == 1
    finally:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
        shutil.rmtree(folder, ignore_errors=True)
    assert not server.socket.exists()


def test_a_server_stopped_while_its_worker_loads_leaves_no_worker_behind(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="so-", dir="/tmp"))
    server = start_server_with_hung_language_data(tmp_path, folder, load_timeout=600)
    try:
        wait_for_log(server, "listening on")
        deadline = time.monotonic() + 30
        loading: list[int] = []
        while not loading:  # the server's worker, blocked opening the FIFO
            assert time.monotonic() < deadline, "no worker started"
            children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
            loading = [int(pid) for pid in children if b"tess_worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            time.sleep(0.05)
    finally:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
        shutil.rmtree(folder, ignore_errors=True)
    assert gone(loading[0])


def test_the_server_imports_what_a_command_would_import_before_it_forks(tmp_path: Path) -> None:
    """The modules the OCR stage imports only when a page needs them (``ocr.pipeline.DEFERRED_IMPORTS``) are
    imported by the server, without starting a thread (its children are forks: a fork copies one thread); after
    that a whole `ocr_document` imports nothing of their packages (fontTools still loads the modules of the font
    tables pikepdf.pdfa reads, a few milliseconds). Each served command imported them itself until 2026-12-04:
    ~0.3 s of a one-page command's 1.6 s."""
    scan = scan_page(tmp_path / "trang.png")
    probe = f"""
import sys, threading
from pathlib import Path
import flows.pipeline, ocr.pipeline
heavy = ("scipy", "pikepdf", "lxml", "pdfplumber", "PIL", "numpy", "fontTools.ttLib.ttFont")
def loaded():
    return {{m for m in sys.modules if m.startswith(heavy)}}
assert not {{m for m in loaded() if m.startswith(("scipy", "pikepdf.pdfa"))}}, "imported at start already"
ocr.pipeline.import_deferred()
assert threading.active_count() == 1, threading.enumerate()
before = loaded()
from ocr import ocr_document
ocr_document(Path({str(scan)!r}), Path({str(tmp_path / "out.pdf")!r}), workers=1)
print(sorted(loaded() - before))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", done.stdout


def test_a_served_command_with_its_output_closed_ends_as_it_would_alone(server: Server, tmp_path: Path) -> None:
    """QA170 F3: `sohoa ocr … >&-` (a cron line's, a daemon's) served: the caller's connection to the server took
    the closed descriptor's number and was handed to the command as its stdout; each "I" or "T" it printed
    ("THÔNG BÁO" in its JSON) read as the caller's Ctrl-C or SIGTERM: exit 130 or 143 at random for a command that
    succeeded. A closed standard stream is given /dev/null first."""
    scan = tmp_path / "thông báo.pdf"
    Image.open(scan_page(tmp_path / "p.png", dpi=150)).convert("L").save(scan, resolution=150)
    for attempt in range(3):
        closed = subprocess.run(
            [sys.executable, "-m", "flows.launch", "ocr", scan.name, f"out{attempt}.pdf", "--json"],
            cwd=tmp_path,
            env=served_environment(server.socket),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: os.close(1),
        )
        assert closed.returncode == 0, closed.stderr
        assert (tmp_path / f"out{attempt}.pdf").stat().st_size > 0
    assert sum("runs `sohoa ocr" in line for line in server.lines()) == 3  # served, each


def test_a_served_command_killed_says_so_in_both_languages_and_as_json(server: Server, tmp_path: Path) -> None:
    """QA170 F4: the server's child running a command killed (the OOM killer, `kill -9`): the caller said only
    "the OCR server's command ended without an exit code (killed?)", in English, naming no file, and printed no JSON
    under --json. The kill is real; it stands for the OOM killer, which cannot be made to choose it."""
    scan, _ = stacked_scan(tmp_path, 12)
    caller = subprocess.Popen(
        [sys.executable, "-m", "flows.launch", "ocr", scan.name, "ra.pdf", "--json"],
        cwd=tmp_path,
        env=served_environment(server.socket, SOHOA_DATA_DIR=str(tmp_path / "var")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = wait_for_log(server, "ra.pdf --json` in")
    child = int(re.findall(r"pid (\d+) runs `sohoa ocr \S+ ra\.pdf --json`", line)[-1])
    time.sleep(1)  # (reading its pages)
    os.kill(child, signal.SIGKILL)
    out, said = caller.communicate(timeout=60)
    assert caller.returncode == 3, said
    assert "bị dừng giữa chừng" in said and "the OCR server's command was killed" in said and "ra.pdf" in said
    error = json.loads(out)
    assert error["exit_code"] == 3 and error["path"] == scan.name and "ra.pdf was not written" in error["error"]
    assert not (tmp_path / "ra.pdf").exists()


def test_an_idle_time_no_server_can_keep_is_refused(tmp_path: Path) -> None:
    """QA170 F6: SOHOA_OCR_SERVER_IDLE=-5 started a server with each command that stopped at once, each saying the
    next command "starts warm"; `nan` one that never stopped. A socket path too long to listen on started one
    that died at once, every command."""
    from flows.launch import MAX_SOCKET_PATH, idle_seconds

    assert [idle_seconds(v) for v in ("600", "0", "2.5")] == [600.0, 0.0, 2.5]
    assert [idle_seconds(v) for v in ("-5", "nan", "inf", "1e400", "abc", "")] == [None] * 6
    scan = tmp_path / "scan.png"
    Image.open(scan_page(tmp_path / "p.png", dpi=150)).save(scan, dpi=(150, 150))
    long_socket = tmp_path / ("d" * (MAX_SOCKET_PATH - len(str(tmp_path)))) / "ocr.sock"
    for env in ({"SOHOA_OCR_SERVER_IDLE": "-5"}, {"SOHOA_OCR_SERVER_SOCKET": str(long_socket)}):
        alone = subprocess.run(
            [sys.executable, "-m", "flows.launch", "ocr", scan.name, "out.pdf"],
            cwd=tmp_path,
            env={**served_environment(tmp_path / "s" / "ocr.sock"), "SOHOA_OCR_SERVER": "start", **env},
            capture_output=True,
            text=True,
        )
        assert alone.returncode == 0, alone.stderr  # the command itself runs, alone
        assert not (tmp_path / "s").exists() and not long_socket.parent.exists()  # no server started
        # said wherever stderr goes, not on a terminal only (QA175 D2: a script heard nothing of the socket)
        if "SOHOA_OCR_SERVER_IDLE" in env:
            assert "0 or more, not '-5'" in alone.stderr, alone.stderr
        else:
            assert f"over {MAX_SOCKET_PATH} bytes: no OCR server started" in alone.stderr, alone.stderr


def test_stop_while_a_command_runs_says_the_server_is_finishing_it(tmp_path: Path) -> None:
    """QA170 F8: `ocr-server --stop` while a long command ran gave up after 60 s, in English, exit 2 ("the socket
    is not usable"), though the server was stopping: it finishes its commands and takes no new one. Said so, in
    both languages, exit 1 (here after 0.5 s)."""
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.ocr_server import stop_server

    folder = Path(tempfile.mkdtemp(prefix="so-", dir="/tmp"))
    server = start_server(folder)
    try:
        scan, _ = stacked_scan(tmp_path, 12)
        caller = subprocess.Popen(
            [sys.executable, "-m", "flows.launch", "ocr", str(scan), str(tmp_path / "out.pdf")],
            env=served_environment(server.socket, SOHOA_DATA_DIR=str(tmp_path / "var")),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_log(server, "out.pdf` in")
        with pytest.raises(TimeoutError) as caught:
            stop_server(server.socket, timeout=0.5)
        assert caught.value.args == (server.process.pid, 0.5)
        assert caller.wait(timeout=120) == 0  # its command finished
        assert server.process.wait(timeout=30) == 0  # and then the server stopped
        assert CliRunner().invoke(app, ["ocr-server", "--stop", "--socket", str(server.socket)]).exit_code == 0
    finally:
        if server.process.poll() is None:
            server.process.kill()
        shutil.rmtree(folder, ignore_errors=True)
