"""A Prefect home whose SQLite database a temporary server has already made, for tests whose subject is not that.

The first start of Prefect's server in a fresh ``PREFECT_HOME`` runs Prefect's ~120 database migrations and
registers its block types: 25–30 s on the 2-core test machine (2026-12-03: `sohoa process` of three samples in a
new data folder spent 31 s before its first document, 7 s in the same folder again). A test that runs `sohoa
process` through its temporary server to kill it, stop it or send it to Dask paid that each time. ``seed`` gives
such a test's data folder the state a second run finds there: the files of one home made once per test run (by a
real :class:`flows.prefect_server.TemporaryPrefectServer`, started and stopped, shared by the pytest-xdist
workers under a lock). The first start itself keeps its tests, which do not seed
(tests/test_prefect_server.py's first test, tests/test_cli.py's ``test_process_through_prefect_and_list``).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Prefect's own files in a home a server has run in: the database (its write-ahead log too, left by a server
# stopped with SIGTERM) and the note that the block types are registered (Prefect's memo store)
_STATE_FILES = ("prefect.db", "prefect.db-wal", "memo_store.toml")
_template_root: Path | None = None


def environment_without_settings() -> dict[str, str]:
    """This process's environment without its SOHOA_* and PREFECT_* settings: what a child sohoa or Prefect server
    starts from in the tests, configured by them alone (conftest.py imports this module, so it lives here)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SOHOA_", "PREFECT_"))}


def set_template_root(folder: Path) -> None:
    """Where the template home is made: a folder every worker of this test run sees (tests/conftest.py)."""
    global _template_root
    _template_root = folder


def _template() -> Path:
    """The template home, made by the first worker that asks (the others wait on the lock, then copy it)."""
    assert _template_root is not None, "tests/conftest.py sets the template's folder at the session's start"
    home = _template_root / "prefect-home-template"
    with (_template_root / "prefect-home-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "prefect.db").is_file():
            from flows.prefect_server import TemporaryPrefectServer

            making = _template_root / "prefect-home-template.making"
            shutil.rmtree(making, ignore_errors=True)
            environment = environment_without_settings()
            environment["PYTHONPATH"] = str(ROOT)
            server = TemporaryPrefectServer(making, environment)
            server.start()
            try:
                server.wait_ready()
            finally:
                server.stop()
            making.rename(home)  # whole or not at all: a worker killed while making it leaves only `.making`
    return home


def seed(home: Path) -> Path:
    """Give the Prefect home ``home`` (a data folder's ``prefect/``, or a PREFECT_HOME) the template's state, unless
    it has a database already; return ``home``."""
    if not (home / "prefect.db").exists():
        template = _template()
        home.mkdir(parents=True, exist_ok=True)
        for name in _STATE_FILES:
            if (template / name).is_file():
                shutil.copyfile(template / name, home / name)
    return home
