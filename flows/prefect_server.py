"""A Prefect API server for one ``sohoa process`` run, started the moment the command starts.

Prefect without a configured server starts a temporary one itself, but only when the flow first needs it: after
the command has imported Prefect and the pipeline, and after the client has imported the server's own modules
(several seconds of CPU) — the batch then waits ~15–20 s before its first document on this 2-core machine.
Started here, as the first thing the command does, with Prefect's public ``prefect server start``, the server
comes up while the command is still importing and inspecting its inputs, and the client never loads the server
code: it simply talks to ``PREFECT_API_URL``. The server shares ``PREFECT_HOME`` (its SQLite database) with
the temporary server Prefect would have started, runs without UI and without its background services (see
``flows.cli.TEMPORARY_SERVER_IDLE_SERVICES``), listens on loopback only, is stopped when the command ends,
and is killed by the kernel if the command dies (``PR_SET_PDEATHSIG``), so a killed batch leaves no server.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

READY_TIMEOUT_SECONDS = 180.0  # a fresh database is migrated first: ~10 s here, longer on a loaded machine
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prefect_command() -> list[str]:
    beside = Path(sys.executable).with_name("prefect")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("prefect")
    return [found] if found else [sys.executable, "-m", "prefect"]


class TemporaryPrefectServer:
    """``start()`` returns at once; ``wait_ready()`` blocks until the API answers; ``stop()`` ends it."""

    def __init__(self, home: Path, environment: dict[str, str] | None = None) -> None:
        """``environment``: what the server process starts with (default: this process's)."""
        self.home = home
        self.environment = environment
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = home / "temporary-server.log"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> str:
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = _free_loopback_port()
        base = os.environ if self.environment is None else self.environment
        env = {**base, "PREFECT_HOME": str(self.home), "PREFECT_UI_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)  # the server itself is not a client of another server
        command = [*_prefect_command(), "server", "start", "--host", "127.0.0.1", "--port", str(self.port), "--no-ui"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
            )
        return self.api_url

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.api_url}/health", timeout=2):
                return
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the temporary Prefect server stopped at start-up: {self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the temporary Prefect server did not answer within {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(lines[-5:]) or "(empty log)"
