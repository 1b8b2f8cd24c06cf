"""The deployment the README describes: a Prefect server backed by PostgreSQL, and ``sohoa process`` as its client.

Real parts: a throwaway PostgreSQL cluster (Debian's ``postgresql``, installed by ``make test``) on a free loopback
port, ``prefect server start`` on it (``flows.prefect_server.TemporaryPrefectServer`` given the database URL, all
its services on, as a deployed server runs them), and the CLI with ``PREFECT_API_URL`` pointing at that server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_operations import env_for
from test_operations_scale import SAMPLES, _free_port, archived_ids, run_cli

from flows.prefect_server import TemporaryPrefectServer

POSTGRES_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


class PostgresCluster:
    """``initdb`` + ``pg_ctl`` in a folder of its own; as the ``postgres`` user when the tests run as root
    (PostgreSQL refuses to run as root). Trust authentication, loopback only."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="sohoa-pg-"))  # under /tmp: the postgres user can reach it
        self.port = _free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://prefect@127.0.0.1:{self.port}/prefect"

    def _run(self, tool: str, *args: str) -> str:
        command = [*self.as_postgres, str(self.bin_dir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        assert done.returncode == 0, f"{tool}: {done.stdout}{done.stderr}"
        return done.stdout

    def start(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        data = str(self.folder / "data")
        self._run("initdb", "-D", data, "-U", "prefect", "-A", "trust", "-E", "UTF8", "--locale", "C.UTF-8")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", data, "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "prefect", "prefect")

    def query(self, sql: str) -> str:
        return self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "prefect", "-tA", "-c", sql).strip()

    def stop(self) -> None:
        data = str(self.folder / "data")
        subprocess.run(
            [*self.as_postgres, str(self.bin_dir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PostgresCluster]:
    if not POSTGRES_BIN:
        pytest.fail("PostgreSQL is not installed (make test installs Debian's postgresql)")
    cluster = PostgresCluster(POSTGRES_BIN[-1])
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _api(server: TemporaryPrefectServer, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{server.api_url}/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.integration
def test_batch_against_a_prefect_server_on_postgresql(tmp_path: Path, postgres: PostgresCluster) -> None:
    home = tmp_path / "prefect-server"
    environment = {**os.environ, "PREFECT_API_DATABASE_CONNECTION_URL": postgres.url}
    server = TemporaryPrefectServer(home, environment)
    server.start()
    try:
        server.wait_ready()
        inbox = tmp_path / "hộp thư"
        inbox.mkdir()
        for name in ("qd-15-ubnd.pdf", "trich-luc-khai-tu-31.png"):
            (inbox / name).write_bytes((SAMPLES / name).read_bytes())
        data = tmp_path / "var"
        env = env_for(data) | {"PREFECT_API_URL": server.api_url, "PREFECT_HOME": str(tmp_path / "client-home")}
        proc = run_cli(["process", str(inbox), "--json"], env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert json.loads(proc.stdout)["counts"]["archived"] == 2
        assert len(archived_ids(data)) == 2

        # the runs are on the server, and in PostgreSQL
        runs = _api(server, "flow_runs/filter", {})
        states = {run["name"]: run["state_type"] for run in runs}
        # one flow run: on one machine the documents are threads of process-batch (a subflow only on Dask)
        assert list(states.values()) == ["COMPLETED"], states
        artifacts = _api(server, "artifacts/filter", {"artifacts": {"key": {"any_": ["batch-summary"]}}})
        assert artifacts and "archived: 2" in artifacts[0]["description"]
        assert int(postgres.query("SELECT count(*) FROM flow_run WHERE state_type = 'COMPLETED'")) == 1
        # task runs reach the database through the server's event pipeline (its task run recorder), a moment later
        deadline = time.monotonic() + 60
        while int(postgres.query("SELECT count(*) FROM task_run WHERE name LIKE 'ocr %'")) < 2:
            assert time.monotonic() < deadline, "the OCR task runs never reached PostgreSQL"
            time.sleep(1)
    finally:
        server.stop()
