"""A Prefect API server for one ``sohoa process`` run, started the moment the command starts.

Prefect without a configured server starts a temporary one itself, but only when the flow first needs it: after
the command has imported Prefect and the pipeline, and after the client has imported the server's own modules
(several seconds of CPU) — the batch then waits ~15–20 s before its first document on this 2-core machine.
Started here, as the first thing the command does, with Prefect's public ``prefect server start`` (through
``serve``, below), the server comes up while the command is still importing and inspecting its inputs, and the
client never loads the server code: it simply talks to ``PREFECT_API_URL``. The server shares ``PREFECT_HOME``
(its SQLite database) with the temporary server Prefect would have started, runs without UI and without its
background services (see ``flows.cli.TEMPORARY_SERVER_IDLE_SERVICES``), listens on loopback only, is stopped
when the command ends, and is killed by the kernel if the command dies (``PR_SET_PDEATHSIG``), so a killed
batch leaves no server.

"Ready" means more than answering ``/health``: the server builds its request routing (FastAPI resolves every
route's dependencies on the first request that walks the routes: ~1 s of CPU here) and opens its database on the
first requests. A thread of the command makes those first requests as soon as the server answers, while the
command is still loading its own code, so that the flow's first call does not wait for them.

Once ready, the server is supervised: if it dies while the command still runs (the OOM killer, someone killing a
stray process), a thread of the command says so and starts it again on the same port and ``PREFECT_HOME`` (the
SQLite database keeps the flow run), and the Prefect client's own retries (five, 2 + 4 + 8 + 16 + 32 s apart) carry
the batch over the gap. A server that dies before it first answered is started again the same way, by
``wait_ready``. The restarts, at start-up and later, are bounded together (``max_restarts``): when the server cannot
come back ``wait_ready`` raises (at start-up) or the caller's ``on_lost`` is told why (later), to end the command
instead of waiting for a server that will not come or letting Prefect retry for minutes.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

READY_TIMEOUT_SECONDS = 180.0  # a fresh database is migrated first: ~10 s here, longer on a loaded machine
# A restart finds its database migrated and its code in the page cache: it answered again within ~2–5 s here, with a
# batch on both cores. Within this it must answer, or the command gives up: well inside the ~60 s for which the
# Prefect client retries a request, so a restart that comes late still carries the flow run on.
RESTART_TIMEOUT_SECONDS = 45.0
MAX_RESTARTS = 3
_PR_SET_PDEATHSIG = 1
logger = logging.getLogger("sohoa.prefect_server")


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while code that stays for the rest of the process loads, and what loaded
    frozen out of later collections: loading creates millions of long-lived objects, which the collector would
    otherwise walk again and again as they load, and in every later full collection."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def serve() -> None:
    """``python -m flows.prefect_server ARGS`` is Prefect's own command line (``prefect ARGS``), its CLI and server
    code loaded with the collector paused (``collector_paused``): the server answered after ~8.5 s of CPU here,
    ~7 s so."""
    with collector_paused():
        from prefect.cli import app
        from prefect.server.api import server  # noqa: F401 (what `prefect server start` loads, loaded now)

    sys.argv[0] = "prefect"
    app()


def exit_description(returncode: int) -> str:
    """``killed by SIGKILL`` / ``exit code 1``: how a process ended, from its ``Popen.returncode``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


class TemporaryPrefectServer:
    """``start()`` returns at once; ``wait_ready()`` blocks until the API answers and has made its first-request
    preparations, then supervises it (see the module's text); ``stop()`` ends it."""

    def __init__(
        self,
        home: Path,
        environment: dict[str, str] | None = None,
        max_restarts: int = MAX_RESTARTS,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        """``environment``: what the server process starts with (default: this process's). ``max_restarts``: how
        many times a server that died is started again. ``on_lost(reason)``: called (from the supervising thread)
        when the server died and could not be brought back; ``reason`` says what happened, in English."""
        self.home = home
        self.environment = environment
        self.max_restarts = max_restarts
        self.on_lost = on_lost
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = home / "temporary-server.log"
        self.restarts = 0
        self.lost: str | None = None  # why the server is gone for good, once it is
        self._warmed: threading.Thread | None = None
        self._stopped_at_start = False  # the process _warmed waited for ended (or stop() came) before it answered
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # the process is swapped by a restart while stop() may be taking it
        self._supervisor: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> str:
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = _free_loopback_port()
        self.process = self._launch(append_log=False)
        self._warm_up(self.process)
        return self.api_url

    def _warm_up(self, process: subprocess.Popen[bytes]) -> None:
        self._stopped_at_start = False
        self._warmed = threading.Thread(
            target=self._answer_then_warm, args=(process,), name="prefect-server-warm-up", daemon=True
        )
        self._warmed.start()

    def _launch(self, append_log: bool) -> subprocess.Popen[bytes]:
        """The server process on ``self.port``; a restart appends to the log, whose start tells why it died."""
        base = os.environ if self.environment is None else self.environment
        env = {**base, "PREFECT_HOME": str(self.home), "PREFECT_UI_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)  # the server itself is not a client of another server
        # Off unless asked for: its heartbeat writes to the server's database as the first requests do and, on
        # SQLite, fails with "database is locked" and a traceback in the log (MEASURED.md; seen in CI); a loopback
        # server for one command or one test has nothing to report anyway.
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        command = [sys.executable, "-m", "flows.prefect_server", "server", "start"]  # Prefect's CLI (see serve)
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--no-ui"]
        with self.log_path.open("ab" if append_log else "wb") as log:
            if append_log:
                log.write(f"{RESTART_MARKER} (restart {self.restarts}) ---\n".encode())
                log.flush()
            # PR_SET_PDEATHSIG follows the thread that starts the child: a restart is started by the supervising
            # thread, which ends only in stop(), so the server it started gets SIGTERM then (or with the command)
            return subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
            )

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Block until the server answers and has made its first-request preparations, at most ``timeout`` seconds
        in all. A server that died before it first answered (killed, say) is started again here, while restarts are
        left; one that cannot start at all (its port taken) uses them up in a few of its start-ups and is reported.

        The restart is made here, in the thread that waits (the command's, which outlives the server as the one that
        called ``start()`` does), not in the warm-up thread that saw the death: the kernel sends ``PR_SET_PDEATHSIG``
        when the *thread* that started the child ends, and the warm-up thread ends as soon as the server is warm,
        which would take a server it had started with it."""
        if self._warmed is None:
            raise RuntimeError("the temporary Prefect server was not started")
        deadline = time.monotonic() + timeout
        restarts_here = 0
        while True:
            warming = self._warmed
            warming.join(max(deadline - time.monotonic(), 0.0))
            if warming.is_alive():
                self.stop()
                raise RuntimeError(f"the temporary Prefect server did not answer within {timeout:.0f} s")
            if not self._stopped_at_start:
                break
            with self._lock:
                ended = None if self._stopping.is_set() else self.process
            restarted = None if ended is None else self._start_again(ended)
            if restarted is None:
                raise RuntimeError("the temporary Prefect server stopped at start-up: stop() came before it answered")
            if isinstance(restarted, str):
                raise RuntimeError(
                    f"the temporary Prefect server stopped at start-up: {restarted}; its log: {self.log_path}"
                )
            restarts_here += 1
            self._warm_up(restarted)  # it answers (and is warmed) or ends, in that thread as at the first start
        if restarts_here:
            self._say_back()
        with self._lock:
            if self._supervisor is None and not self._stopping.is_set():
                self._supervisor = threading.Thread(target=self._supervise, name="prefect-server-watch", daemon=True)
                self._supervisor.start()

    def _supervise(self) -> None:
        """Start the server again when it dies while the command runs, up to ``max_restarts`` times in all (those
        made at start-up count); then give up and tell ``on_lost``. Ends when ``stop()`` is called."""
        while not self._stopping.wait(0.5):
            process = self.process
            if process is None or process.poll() is None:
                continue
            with self._lock:
                if self._stopping.is_set():
                    return  # stop() ended it
            restarted = self._start_again(process)
            if restarted is None:
                return  # stop() came meanwhile
            if isinstance(restarted, str):
                self._give_up(restarted)
                return
            if self._answers_within(restarted, RESTART_TIMEOUT_SECONDS):
                self._say_back()
                continue
            if self._stopping.is_set():
                return
            if restarted.poll() is None:
                self._give_up(
                    f"it stopped ({exit_description(process.returncode)}) and, started again, did not answer "
                    f"within {RESTART_TIMEOUT_SECONDS:.0f} s"
                )
                return
            # it died while starting (killed again, say): the next round starts it again while restarts are left, so
            # they are for that too; one that cannot start at all (its port taken) uses them up in a few rounds

    def _start_again(self, ended: subprocess.Popen[bytes]) -> subprocess.Popen[bytes] | str | None:
        """The server started again on the same port and ``PREFECT_HOME`` after ``ended`` ended, if a restart is
        left (at start-up, from ``wait_ready``, or later, from ``_supervise``): the new process; else why it is not,
        in English; ``None`` when ``stop()`` came first (no process is started after it)."""
        how = exit_description(ended.returncode)
        if self.restarts >= self.max_restarts:
            said = self._how_it_ended(ended.returncode)
            if not self.max_restarts:
                return f"it stopped ({how}) and restarting it is switched off{said}"
            return f"it stopped ({how}) again after {self.restarts} restart(s), the most allowed{said}"
        self.restarts += 1
        logger.warning(
            "Prefect server tạm thời đã dừng (%s); đang khởi động lại trên cùng cổng, lần %d/%d — nhật ký: %s / "
            "the temporary Prefect server stopped (%s); restarting it on the same port (restart %d of %d); "
            "its log: %s",
            how,
            self.restarts,
            self.max_restarts,
            self.log_path,
            how,
            self.restarts,
            self.max_restarts,
            self.log_path,
        )
        with self._lock:
            if self._stopping.is_set():
                return None
            try:
                self.process = restarted = self._launch(append_log=True)
            except OSError as exc:
                return f"it stopped ({how}) and could not be started again: {exc}"
        return restarted

    def _say_back(self) -> None:
        logger.warning(
            "Prefect server tạm thời đã chạy lại; lô tiếp tục / the temporary Prefect server is back "
            "(restart %d of %d); the batch goes on",
            self.restarts,
            self.max_restarts,
        )

    def _answers_within(self, process: subprocess.Popen[bytes], timeout: float | None) -> bool:
        """Whether ``process`` answers ``/health`` within ``timeout`` seconds (``None``: for as long as it runs);
        ``False`` as soon as it ends or ``stop()`` is called."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stopping.is_set():
            if process.poll() is not None:
                return False
            if self._answers():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return False

    def _give_up(self, why: str) -> None:
        with self._lock:
            process = self.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self.lost = f"the temporary Prefect server is gone: {why}; its log: {self.log_path}"
        if self.on_lost is not None:
            self.on_lost(self.lost)

    def _answer_then_warm(self, process: subprocess.Popen[bytes]) -> None:
        # no deadline of its own: wait_ready's timeout bounds the wait, and stop() ends it
        if not self._answers_within(process, None):
            self._stopped_at_start = True  # wait_ready starts it again, or says why not
            return
        # Both requests only read: a path no route has (404, after every route was resolved on the way) and one
        # flow from the database. A failure here is left for the flow's own calls to meet and report.
        for path, body in (("/sohoa-warm-up", None), ("/flows/filter", b'{"limit": 1}')):
            request = urllib.request.Request(f"{self.api_url}{path}", data=body)
            request.add_header("Content-Type", "application/json")
            with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=30):
                pass

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.api_url}/health", timeout=2):
            return True
        return False

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            # first, while the supervisor lives: a server it started again gets SIGTERM when its thread ends
            # (PR_SET_PDEATHSIG), and events sent to a server that is gone are retried at exit for minutes
            _send_pending_events()
        with self._lock:
            self._stopping.set()  # the supervisor no longer restarts it
            process, self.process = self.process, None
        supervisor = self._supervisor
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(timeout=5)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _how_it_ended(self, returncode: int) -> str:
        """``: <the end of its log>`` for a server that ended by itself; nothing for one killed by a signal, which
        writes no last words (its log's end is Prefect's start-up banner, which was quoted as how it stopped)."""
        if returncode < 0:
            return ""
        return f": {log_tail(self.log_path)}"


# the line written into the server's log before each restart: log_tail reads the last start's lines after it
RESTART_MARKER = "--- sohoa: the server is started again"
# Prefect's start-up banner ends with one of these lines: what comes before (the logo, "prefect config set
# PREFECT_API_URL=…", the API reference's address) is the same for every start and says nothing of how it ended
_BANNER_ENDS = ("The dashboard is disabled", "Check out the dashboard at", "View the API reference documentation at")
_TRACEBACK_LINES = ("Traceback (most recent call last)", "The above exception was", "During handling of the above")


def log_tail(log_path: Path, lines: int = 4) -> str:
    """The meaningful end of the server's log, on one line: of its last start (after sohoa's restart marker) and
    after Prefect's start-up banner, the last ``lines`` lines that are not blank, not a traceback's frames or
    headings — the exception and uvicorn's "Application startup failed", "Port … is already in use"."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    last_start = text.rsplit(RESTART_MARKER, 1)[-1].splitlines()
    banner_end = max((i for i, line in enumerate(last_start) if line.strip().startswith(_BANNER_ENDS)), default=-1)
    said = [
        line.strip()
        for line in last_start[banner_end + 1 :]
        if line.strip() and not line[0].isspace() and not line.startswith(_TRACEBACK_LINES)
    ]
    if not said:
        return "its log says nothing after Prefect's start-up banner"
    return " | ".join(said[-lines:])


def _send_pending_events(timeout: float = 5.0) -> None:
    """Let this process's Prefect events (the batch-summary artifact's "created", the last task states) reach the
    server before it stops: stopped first, the client logged "Unable to connect … event data may be lost" and an
    EventsWorker error at the end of a run that had gone well (seen with a fresh Prefect database)."""
    if "prefect.events.worker" not in sys.modules:
        return  # nothing of Prefect's ran here
    from prefect.events.worker import EventsWorker

    with contextlib.suppress(Exception):  # a best effort: the run itself is over and recorded
        EventsWorker.drain_all(timeout=timeout)


if __name__ == "__main__":
    serve()
