"""The temporary Prefect server ``sohoa process`` starts for itself (flows.prefect_server)."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

from flows import cli
from flows.prefect_server import TemporaryPrefectServer, collector_paused


@pytest.mark.integration
def test_temporary_server_answers_then_stops(tmp_path: Path) -> None:
    server = TemporaryPrefectServer(tmp_path / "prefect home")
    url = server.start()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
    process = server.process
    try:
        server.wait_ready()
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            assert response.status == 200
        assert (tmp_path / "prefect home" / "prefect.db").is_file()  # its state under the given home
        assert process is not None
        environment = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
        # no telemetry heartbeat racing the first requests for the SQLite database ("database is locked")
        assert b"PREFECT_SERVER_ANALYTICS_ENABLED=false" in environment
    finally:
        server.stop()
    assert process is not None and process.poll() is not None
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/health", timeout=2)


@pytest.mark.integration
def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a database Prefect cannot create: the server exits at start-up instead of answering
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", f"sqlite+aiosqlite:///{tmp_path}/missing/dir/p.db")
    server = TemporaryPrefectServer(tmp_path / "home")
    server.start()
    try:
        with pytest.raises(RuntimeError, match="stopped at start-up"):
            server.wait_ready(timeout=120)
    finally:
        server.stop()


def test_a_configured_prefect_server_is_used_and_none_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    monkeypatch.setattr(os, "environ", environment)  # what _configure_prefect sets stays in this test
    environment.update(PREFECT_API_URL="http://prefect.example:4200/api", PREFECT_HOME=str(tmp_path / "home"))
    settings = cli._settings(archive=str(tmp_path / "archive"))
    assert cli._configure_prefect(settings) is None
    assert environment["PREFECT_API_URL"] == "http://prefect.example:4200/api"
    # a real server keeps its services (automations, late runs, the task run history)
    assert not any(key.startswith("PREFECT_SERVER_SERVICES_") for key in environment)


def test_the_ocr_task_carries_a_concurrency_tag_only_when_configured(tmp_path: Path) -> None:
    from flows import prefect_flows

    plain = cli._settings(archive=str(tmp_path / "archive"))
    assert prefect_flows._stage_task("ocr", ("in.pdf", "out.pdf", plain)).tags == set()
    tagged = plain.model_copy(update={"ocr_concurrency_tag": "tesseract"})
    assert prefect_flows._stage_task("ocr", ("in.pdf", "out.pdf", tagged)).tags == {"tesseract"}
    assert prefect_flows._stage_task("sign", ("in.pdf", "out.pdf", tagged)).tags == set()
    # an operational setting: the cached OCR of a run without the tag is reused by a run with it
    assert prefect_flows._settings_fingerprint(plain) == prefect_flows._settings_fingerprint(tagged)


def test_flow_runs_under_the_temporary_server_send_no_heartbeats() -> None:
    from prefect.settings import get_current_settings

    from flows import prefect_flows

    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None  # Prefect's default: a heartbeat thread per flow run
    with prefect_flows.without_flow_heartbeats():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default


@pytest.mark.integration
def test_the_temporary_server_is_ready_only_once_it_has_prepared_its_routes(tmp_path: Path) -> None:
    server = TemporaryPrefectServer(tmp_path / "home")
    server.start()
    try:
        server.wait_ready()
        warming = server._warmed
        assert warming is not None and not warming.is_alive()  # the first requests were made and answered
        log = server.log_path.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in log  # the warm-up requests (a 404 and a read) did not upset the server
    finally:
        server.stop()


def test_code_loaded_with_the_collector_paused_is_frozen_and_the_collector_back_on() -> None:
    import gc

    frozen_before = gc.get_freeze_count()
    try:
        with collector_paused():
            assert not gc.isenabled()
            loaded = [{"object": n} for n in range(1000)]  # what an import leaves behind, for the process's life
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen_before + len(loaded)
    finally:
        gc.unfreeze()
