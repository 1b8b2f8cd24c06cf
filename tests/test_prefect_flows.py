"""The deployments' flows as a Prefect server sees them: each flow run's final state, its log lines and its
artifact, read back from the API of a Prefect server (the ``prefect_api`` fixture's; the flows run in a fresh
interpreter, as a worker runs them)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, run_flows_for_their_states


@pytest.mark.integration
def test_flow_runs_end_in_the_state_their_outcome_means_with_logs_and_artifacts(
    tmp_path: Path, prefect_api: str
) -> None:
    """Found by QA on a real server: every deployment run ended "Completed" — a batch with a failed file, with a
    quarantined file, with nothing to process, a process-document run on /nonexistent.pdf, a watch-inbox run whose
    folder is missing (that one with two tracebacks) —, sohoa's per-file lines never reached the run's logs, the
    batch-summary artifact had no batch id and process-document had no artifact, its record no batch id."""
    from tests.test_operations import TEXTS, make_scan

    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    make_scan(inbox / "thông báo.png", TEXTS[0])
    (inbox / "ghi chú.pdf").write_text("đây không phải PDF\n", encoding="utf-8")
    text_named_pdf = tmp_path / "văn bản.pdf"
    text_named_pdf.write_text("chỉ là chữ\n", encoding="utf-8")
    one_scan = make_scan(tmp_path / "biên bản.png", TEXTS[1])
    empty = tmp_path / "trống"
    empty.mkdir()
    data = tmp_path / "var"
    overrides = {"data_dir": str(data), "ocr_workers": 1}
    calls = [
        f"process_batch([{str(inbox)!r}], {overrides!r}, return_state=True)",
        f"process_batch([{str(tmp_path / 'không có.pdf')!r}], {overrides!r}, return_state=True)",
        # an empty folder and sohoa's own archive (made by the first batch): nothing to process
        f"process_batch([{str(empty)!r}, {str(data / 'archive')!r}], {overrides!r}, return_state=True)",
        f"process_one({str(text_named_pdf)!r}, {overrides!r}, return_state=True)",
        f"process_one('/nonexistent.pdf', {overrides!r}, return_state=True)",
        f"process_one({str(one_scan)!r}, {overrides!r}, return_state=True)",
        f"watch_inbox({str(tmp_path / 'no inbox')!r}, settings_overrides={overrides!r}, return_state=True)",
    ]
    runs = run_flows_for_their_states(
        "from flows.prefect_flows import process_batch, process_one\nfrom flows.prefect_watch import watch_inbox",
        calls,
        tmp_path / "prefect",
        prefect_api,
    )
    quarantined, missing, nothing, bad_document, no_document, document, no_inbox = runs

    # a batch whose only trouble is a bad scan: Completed, named so, with the counts; its per-file results kept
    assert (quarantined["state"]["type"], quarantined["state"]["name"]) == ("COMPLETED", "Quarantined")
    assert "1 of 2 file(s) quarantined" in quarantined["state"]["message"]
    assert "archived: 1" in quarantined["state"]["message"]
    report = quarantined["result"]
    outcomes = {Path(f["path"]).name: f["outcome"] for f in report["files"]}
    assert outcomes == {"thông báo.png": "archived", "ghi chú.pdf": "quarantined"}
    # the per-file lines (and a line per stage) are in the flow run's logs, read back from the API
    logs = "\n".join(quarantined["logs"])
    assert "thông báo.png: ĐÃ LƯU / ARCHIVED as " in logs, logs
    assert "ghi chú.pdf: CÁCH LY / QUARANTINED as " in logs, logs
    assert "thông báo.png: ocr: 1 trang / page(s)" in logs and "thông báo.png: classify: TB" in logs, logs
    # the artifact names the batch (for `sohoa export --batch ID`) and the archive
    summary = quarantined["artifacts"]["batch-summary"]
    assert f"sohoa export --batch {report['batch_id']} OUT" in summary, summary
    assert report["archive"] in summary and "| ghi chú.pdf | cách ly / quarantined |" in summary

    # a file that failed (a fault outside the input: here, gone) fails the run
    assert missing["state"]["type"] == "FAILED", missing["state"]
    assert "1 of 1 file(s) FAILED" in missing["state"]["message"]
    assert [f["outcome"] for f in missing["result"]["files"]] == ["failed"]
    assert any("không có.pdf: LỖI / FAILED" in line for line in missing["logs"]), missing["logs"]

    # nothing to process is refused as `sohoa process` refuses it (exit 2), in the same words
    assert nothing["state"]["type"] == "FAILED", nothing["state"]
    assert nothing["state"]["message"].startswith("không tìm thấy tệp quét / no scans found")
    assert f"skipped: {data / 'archive'}" in nothing["state"]["message"]

    # process-document: a batch of one, with the same states, a batch id and an artifact
    assert (bad_document["state"]["type"], bad_document["state"]["name"]) == ("COMPLETED", "Quarantined")
    assert bad_document["result"]["outcome"] == "quarantined" and bad_document["result"]["batch_id"]
    assert bad_document["result"]["batch_id"] in bad_document["artifacts"]["batch-summary"]
    assert no_document["state"]["type"] == "FAILED" and no_document["result"]["outcome"] == "failed"
    assert (document["state"]["type"], document["state"]["name"]) == ("COMPLETED", "Completed")
    line = document["result"]
    assert line["outcome"] == "archived" and line["batch_id"] in document["artifacts"]["batch-summary"]
    (record,) = [p for p in (data / "archive").rglob("record.json") if line["record_id"] in str(p)]
    assert json.loads(record.read_text(encoding="utf-8"))["batch_id"] == line["batch_id"]

    # watch-inbox without its folder: Failed, one message saying what to do (no traceback: asserted by the helper)
    assert no_inbox["state"]["type"] == "FAILED", no_inbox["state"]
    assert "no such folder on this worker host" in no_inbox["state"]["message"]
    assert "inbox" in no_inbox["state"]["message"]


@pytest.mark.integration
def test_process_document_splits_a_stack_as_a_batch_does_and_the_summary_lists_what_was_dropped(
    tmp_path: Path, prefect_api: str
) -> None:
    """QA: process-document ran its file without splitting it: a scanned stack was archived as ONE record with its
    separator sheets and blank back (no stack, no dropped pages), and a second time beside the documents a batch
    had archived from it. The batch-summary artifact and the final state message left out the dropped pages and the
    skipped files, named a stack's document ``A.pdf#1`` and gave reasons in English only."""
    from tests.test_operations_intake import page, separator, stack_pdf
    from tests.test_stack_parts import blank_back

    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    stack = stack_pdf(
        inbox / "hai mặt.pdf", [page("Văn bản A"), separator(), blank_back(1), separator(), page("Văn bản C")]
    )
    (inbox / "ghi chú.txt").write_text("không phải tệp quét\n", encoding="utf-8")
    data = tmp_path / "var"
    overrides = {"data_dir": str(data), "ocr_workers": 1}
    batch, document = run_flows_for_their_states(
        "from flows.prefect_flows import process_batch, process_one",
        [
            f"process_batch([{str(inbox)!r}], {overrides!r}, return_state=True)",
            f"process_one({str(stack)!r}, {overrides!r}, return_state=True)",
        ],
        tmp_path / "prefect",
        prefect_api,
    )
    first, third = (
        "hai mặt.pdf — văn bản 1 / document 1, tr. / p. 1",
        "hai mặt.pdf — văn bản 3 / document 3, tr. / p. 5",
    )
    for run in (batch, document):
        assert run["state"]["type"] == "COMPLETED", run["state"]
        assert "dropped pages: 1 (blank)" in run["state"]["message"], run["state"]
        summary = run["artifacts"]["batch-summary"]
        assert f"| {first} |" in summary and f"| {third} |" in summary and "#1" not in summary, summary
        header = next(line for line in summary.splitlines() if line.startswith("| tệp / file |"))
        assert "| cần xem lại / needs review |" in header and "| lý do / reason |" in header, summary
        assert "bỏ trang 3: trang trắng" in summary and "page 3 dropped: blank" in summary, summary
    assert "skipped: 1 (not taken)" in batch["state"]["message"], batch["state"]
    summary = batch["artifacts"]["batch-summary"]
    assert "ghi chú.txt | bỏ qua tệp .txt, vì đó không phải tệp quét" in summary and "skipped: a .txt file" in summary
    assert [f["outcome"] for f in batch["result"]["files"]] == ["archived", "archived"]

    # process-document: the stack's documents (already archived by the batch), its blank part dropped
    report = document["result"]
    assert report["batch_id"] and [f["stack"]["part"] for f in report["files"]] == [1, 3], report
    assert [f["outcome"] for f in report["files"]] == ["already_archived", "already_archived"], report
    assert [(d["part"], d["pages"]) for d in report["dropped_pages"]] == [(2, [3])], report
    assert len(list((data / "archive").rglob("record.json"))) == 2  # no record of the whole stack


def test_a_worker_without_sohoa_checkout_is_told_so_by_the_pull_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by QA: a worker started without SOHOA_CHECKOUT changed to an empty path and crashed on "No such file
    or directory: '/tmp/tmpXXXprefect/flows/prefect_watch.py'". The deployments' first pull step checks it (run
    here by Prefect's own step function, as a worker runs it)."""
    from prefect.deployments.steps.utility import run_shell_script

    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (step, then), *_ = zip(config["pull"], config["pull"][1:], strict=False)
    check = step["prefect.deployments.steps.run_shell_script"]
    assert "prefect.deployments.steps.set_working_directory" in then
    for value in (None, "", str(tmp_path)):  # unset, empty, not a checkout
        if value is None:
            monkeypatch.delenv("SOHOA_CHECKOUT", raising=False)
        else:
            monkeypatch.setenv("SOHOA_CHECKOUT", value)
        with pytest.raises(RuntimeError, match="SOHOA_CHECKOUT=.* is not a sohoa checkout") as raised:
            asyncio.run(run_shell_script(**check, stream_output=False))
        assert "prefect worker start --pool sohoa" in str(raised.value)
    monkeypatch.setenv("SOHOA_CHECKOUT", str(ROOT))
    asyncio.run(run_shell_script(**check, stream_output=False))


@pytest.mark.integration
@pytest.mark.parametrize("flow", ["watch-inbox", "archive-audit"])
def test_a_failed_flow_run_on_a_worker_logs_its_message_and_no_traceback(
    flow: str, tmp_path: Path, prefect_api: str
) -> None:
    """QA, deploying step 3: a watch-inbox run without its folder ended Failed with the right message, but its logs
    also had Prefect's "Engine execution exited with unexpected exception" and a ``FailedRun`` traceback. The flow
    returns its Failed state; a worker runs it with ``python -m prefect.engine``, which raised the Failed state's
    result as ``FailedRun`` and logged it. Run here the way a process worker runs it, against a real server. QA75:
    an audit (or batch) run that found problems returns its report as the Failed state's data, which Prefect
    raises as a ``TypeError`` — logged with the whole report in it."""
    from storage_helpers import make_record

    from storage import open_archive
    from tests.conftest import _flow_env

    if flow == "watch-inbox":
        module, name, parameters, expected = "prefect_watch", "watch_inbox", "{'inbox': sys.argv[1]}", "no such folder"
    else:  # an archive with a record whose files are no signed PDF: the audit's problems
        archive = open_archive(tmp_path / "var" / "archive")
        archive.put(*make_record(tmp_path / "in", "audited"))
        module, name, parameters, expected = "prefect_audit", "archive_audit", "{}", "the archive audit found problems"
    script = (
        "import json, subprocess, sys\n"
        "from prefect.client.orchestration import get_client\n"
        "from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId\n"
        f"from flows.{module} import {name}\n"
        "with get_client(sync_client=True) as client:\n"
        f"    run = client.create_flow_run({name}, parameters={parameters})\n"
        "engine = subprocess.run([sys.executable, '-m', 'prefect.engine', str(run.id)], capture_output=True,\n"
        "                        text=True, timeout=300)\n"
        "with get_client(sync_client=True) as client:\n"
        "    state = client.read_flow_run(run.id).state\n"
        "    logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))\n"
        "print(json.dumps({'type': state.type.value, 'message': state.message, 'stderr': engine.stderr,\n"
        "                  'logs': [log.message for log in logs]}))\n"
    )
    env = _flow_env(
        tmp_path / "worker",
        PREFECT_API_URL=prefect_api,
        PREFECT__FLOW_ENTRYPOINT=f"flows/{module}.py:{name}",  # as a deployment names it
        SOHOA_DATA_DIR=str(tmp_path / "var"),
    )
    missing = str(tmp_path / "no inbox")
    proc = subprocess.run(
        [sys.executable, "-c", script, missing], cwd=ROOT, env=env, capture_output=True, text=True, timeout=400
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = json.loads(proc.stdout.strip().splitlines()[-1])
    assert run["type"] == "FAILED" and expected in run["message"], run
    logs = "\n".join(run["logs"])
    assert expected in logs, logs
    assert "Traceback" not in logs and "unexpected exception" not in logs and "FailedRun" not in logs, logs
    assert "Unexpected result for failed state" not in logs, logs[-3000:]
    assert "Traceback" not in run["stderr"], run["stderr"][-3000:]


def test_a_flow_run_with_a_configured_trust_source_not_there_ends_failed_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: a SOHOA_TRUST_ROOTS path or SOHOA_TRUST_STORES name that is not there is refused by the commands (exit 2,
    naming the setting), but a deployment run of the flows, started without the command line, went ahead trusting
    less than configured. Each flow now checks the same (flows.pipeline.trust_source_problem) at its start and ends
    its run Failed with that message, nothing claimed, processed or audited. The flow functions are called here in
    this process (``.fn``: no Prefect server; the state returned is the one the run ends in)."""
    from prefect.states import State

    from flows.prefect_audit import archive_audit
    from flows.prefect_flows import process_batch, process_one
    from flows.prefect_watch import watch_inbox
    from tests.test_operations import TEXTS, make_scan

    monkeypatch.setenv("SOHOA_CONFIG", "")  # no sohoa.toml of the working folder
    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    scan = make_scan(inbox / "thông báo.png", TEXTS[0])
    data = tmp_path / "var"
    roots = {"data_dir": str(data), "trust_roots": [str(tmp_path / "không có gốc")]}
    stores = {"data_dir": str(data), "trust_stores": ["vn"]}
    sohoa_log = logging.getLogger("sohoa")
    sohoa_log.addHandler(caplog.handler)  # Prefect's logging set-up, on its import, replaced the root's handlers
    try:
        runs: list[tuple[State, str]] = [
            (process_batch.fn([str(inbox)], roots), "SOHOA_TRUST_ROOTS / trust_roots"),
            (process_one.fn(str(scan), stores), "SOHOA_TRUST_STORES / trust_stores"),
            (watch_inbox.fn(str(inbox), settings_overrides=roots), "SOHOA_TRUST_ROOTS / trust_roots"),
            (archive_audit.fn(settings_overrides=stores), "SOHOA_TRUST_STORES / trust_stores"),
        ]
    finally:
        sohoa_log.removeHandler(caplog.handler)
    errors = [r.getMessage() for r in caplog.records if r.name == "sohoa" and r.levelno == logging.ERROR]
    for state, setting in runs:
        assert state.is_failed(), state
        message = state.message or ""
        assert message.startswith("cấu hình sai / configuration error: ") and setting in message, message
        assert message in errors, errors  # the run's log says it too, as an error line
    assert not [r for r in caplog.records if r.exc_info], "a traceback logged"
    assert "không có gốc: không có tệp hoặc thư mục này / no such file or folder" in runs[0][0].message
    assert "trust store 'vn' is not installed" in runs[1][0].message
    assert scan.is_file() and not (data / "claimed").exists()  # the inbox untouched
    assert not (data / "archive").exists() and not (data / "quarantine").exists()


def test_a_flow_run_with_bad_settings_ends_failed_in_the_commands_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """QA136: a sohoa.toml key that is no setting, or a value out of range, in the checkout a worker runs in (or in
    its environment) ended every flow run with "Flow run encountered an exception: ValidationError …", pydantic's
    text and two tracebacks in its log — every minute for the scheduled watch-inbox. The commands say it as a
    configuration error (exit 2); each flow now ends its run Failed with the same words, before any work."""
    from prefect.states import State

    from flows.prefect_audit import archive_audit
    from flows.prefect_flows import process_batch, process_one
    from flows.prefect_watch import watch_inbox
    from tests.test_operations import TEXTS, make_scan

    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    scan = make_scan(inbox / "thông báo.png", TEXTS[0])
    data = tmp_path / "var"
    toml = tmp_path / "sohoa.toml"
    toml.write_text(f"data_dir = {str(data)!r}\ntrust_dev_caa = false\n", encoding="utf-8")
    monkeypatch.setenv("SOHOA_CONFIG", str(toml))
    low_dpi = {"data_dir": str(data), "ocr_dpi": 5}
    sohoa_log = logging.getLogger("sohoa")
    sohoa_log.addHandler(caplog.handler)  # Prefect's logging set-up, on its import, replaced the root's handlers
    try:
        unknown: list[State] = [
            process_batch.fn([str(inbox)]),
            process_one.fn(str(scan)),
            watch_inbox.fn(str(inbox)),
            archive_audit.fn(),
        ]
        monkeypatch.setenv("SOHOA_CONFIG", "")
        monkeypatch.setenv("SOHOA_OCR_DPI", "5")
        out_of_range: list[State] = [
            process_batch.fn([str(inbox)], low_dpi),
            process_one.fn(str(scan)),
            watch_inbox.fn(str(inbox), settings_overrides={"data_dir": str(data)}),
            archive_audit.fn(settings_overrides={"data_dir": str(data)}),
        ]
    finally:
        sohoa_log.removeHandler(caplog.handler)
    errors = [r.getMessage() for r in caplog.records if r.name == "sohoa" and r.levelno == logging.ERROR]
    for state in unknown + out_of_range:
        assert state.is_failed(), state
        message = state.message or ""
        assert message.startswith("cấu hình sai / configuration error: "), message
        assert "errors.pydantic.dev" not in message and "[type=" not in message, message
        assert message in errors, errors  # the run's log says it too, as an error line
    for state in unknown:
        assert "trust_dev_caa" in (state.message or ""), state.message
    for state in out_of_range:
        assert "SOHOA_OCR_DPI / ocr_dpi: nhỏ quá" in (state.message or "") and "72 to 1200" in (state.message or "")
    # a deployment's settings_overrides naming no setting (QA138 F4: dropped without a word)
    misspelt = archive_audit.fn(settings_overrides={"data_dir": str(data), "archve": str(tmp_path / "kho")})
    assert misspelt.is_failed() and "no setting archve (did you mean archive?)" in (misspelt.message or "")
    assert not [r for r in caplog.records if r.exc_info], "a traceback logged"
    assert scan.is_file() and not (data / "claimed").exists() and not (data / "work").exists()


def test_a_flow_run_of_the_pipeline_with_the_seal_appearance_ends_failed_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SOHOA_SIGNATURE_APPEARANCE=seal cannot work in a batch (the seal goes over a signer's signature, and the OCR
    stage drops an input's signatures): `sohoa process` and `watch` refuse it (exit 2), and so do the pipeline's
    flows at their start (flows.pipeline.batch_settings_problem), where each document was OCR'd, then failed."""
    from flows.prefect_flows import process_batch, process_one
    from flows.prefect_watch import watch_inbox
    from tests.signing_images import make_seal
    from tests.test_operations import TEXTS, make_scan

    monkeypatch.setenv("SOHOA_CONFIG", "")
    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    scan = make_scan(inbox / "thông báo.png", TEXTS[0])
    data = tmp_path / "var"
    seal = {"data_dir": str(data), "signature_appearance": "seal", "seal_image": str(make_seal(tmp_path / "s.png"))}
    for state in (
        process_batch.fn([str(inbox)], seal),
        process_one.fn(str(scan), seal),
        watch_inbox.fn(str(inbox), settings_overrides=seal),
    ):
        assert state.is_failed(), state
        message = state.message or ""
        assert message.startswith("cấu hình sai / configuration error: SOHOA_SIGNATURE_APPEARANCE"), message
    assert scan.is_file() and not (data / "claimed").exists() and not (data / "work").exists()
    assert not (data / "archive").exists() and not (data / "quarantine").exists()


def _cut_off_from_prefect(tmp_path: Path, *args: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A scan (``tmp_path``/thông báo.png) and ``python ARGS`` run on it — ``{scan}`` in ``args`` is its path —
    with the data folder ``tmp_path``/var and a PREFECT_API_URL naming a port nothing listens on: a real
    unreachable Prefect API, as a worker cut off from its server meets it."""
    from signing_pki import free_port

    from tests.test_operations import TEXTS, make_scan

    scan = make_scan(tmp_path / "thông báo.png", TEXTS[0])
    env = {
        **os.environ,
        "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",  # free a moment ago: nothing answers there
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "SOHOA_DATA_DIR": str(tmp_path / "var"),
        "SOHOA_CONFIG": "",
        "SOHOA_OCR_SERVER": "off",
    }
    argv = [sys.executable, *(arg.replace("{scan}", str(scan)) for arg in args)]
    return scan, subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def test_a_document_whose_prefect_server_cannot_be_reached_is_failed_not_quarantined(tmp_path: Path) -> None:
    """QA: a flow whose Prefect API could not be reached (a worker cut off from its server, a server restarted
    under a running batch) quarantined a good scan as "processing failed (RuntimeError: Failed to reach API at
    …)": the officer was told the scan was bad. It is ``failed`` now, left in place for the rerun."""
    script = (
        "import json, sys\nfrom sohoa.settings import load_settings\n"
        "from flows.prefect_flows import run_document\n"
        "result = run_document(sys.argv[1], load_settings())\n"
        "print(json.dumps({'outcome': result.outcome.value, 'en': result.reason_en, 'vi': result.reason_vi}))\n"
    )
    scan, proc = _cut_off_from_prefect(tmp_path, "-c", script, "{scan}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    said = json.loads(proc.stdout.strip().splitlines()[-1])
    assert said["outcome"] == "failed", said
    assert "the Prefect server could not be reached" in said["en"] and "rerun" in said["en"], said
    assert "Không kết nối được Prefect server" in said["vi"], said
    assert scan.is_file() and not (tmp_path / "var" / "quarantine").exists()


def test_a_batch_whose_prefect_api_cannot_be_reached_says_no_file_was_processed(tmp_path: Path) -> None:
    """QA: `sohoa process` with a PREFECT_API_URL nothing answers ended exit 3 "Prefect could not run the batch …"
    without saying what became of the files (nothing: none was touched), in English only."""
    scan, proc = _cut_off_from_prefect(tmp_path, "-m", "flows.cli", "process", "{scan}", "--json")
    assert proc.returncode == 3, proc.stderr[-3000:]
    error = json.loads(proc.stdout)["error"]
    assert "Prefect không chạy được lô / Prefect could not run the batch" in error, error
    assert "chưa xử lý tệp nào / no file was processed" in error, error
    # what to check, in Vietnamese too (QA71: English only)
    assert "Kiểm tra PREFECT_API_URL / PREFECT_HOME (máy chủ Prefect có đang chạy?)" in error, error
    assert scan.is_file() and not (tmp_path / "var" / "quarantine").exists()


@pytest.mark.integration
def test_a_location_the_batch_cannot_use_fails_the_run_with_one_message_and_no_traceback(
    tmp_path: Path, prefect_api: str
) -> None:
    """QA71: a deployment run whose S3 credentials the server refused ended Failed with "Flow run encountered an
    exception: StageError: …" and two tracebacks (80 lines) in its logs, while `sohoa process` said it in one line,
    exit 3: the batch's check of its folders and archive raised inside the flow. It is made before any work, with
    the other refusals (flows.prefect_run.refusal). Here the quarantine folder is a file: the same check
    (flows.pipeline.check_locations) is the one refused S3 credentials meet, on a real server in test_storage.py."""
    from tests.test_operations import TEXTS, make_scan

    scan = make_scan(tmp_path / "thông báo.png", TEXTS[0])
    not_a_folder = tmp_path / "cách ly"
    not_a_folder.write_text("một tệp, không phải thư mục\n", encoding="utf-8")
    overrides = {"data_dir": str(tmp_path / "var"), "ocr_workers": 1, "quarantine_dir": str(not_a_folder)}
    calls = [
        f"process_batch([{str(scan)!r}], {overrides!r}, return_state=True)",
        f"process_one({str(scan)!r}, {overrides!r}, return_state=True)",
        f"watch_inbox({str(tmp_path)!r}, settings_overrides={overrides!r}, return_state=True)",
    ]
    runs = run_flows_for_their_states(  # which asserts no traceback reached the flow runs' output
        "from flows.prefect_flows import process_batch, process_one\nfrom flows.prefect_watch import watch_inbox",
        calls,
        tmp_path / "prefect",
        prefect_api,
    )
    for run in runs:
        assert run["state"]["type"] == "FAILED", run["state"]
        assert str(not_a_folder) in run["state"]["message"], run["state"]
        assert "encountered an exception" not in run["state"]["message"], run["state"]
        assert not [line for line in run["logs"] if "Traceback" in line], run["logs"]
    assert not (tmp_path / "var" / "archive").exists()  # refused before any document


def test_a_workers_flow_run_leaves_urllib3s_retry_warnings_out_unless_the_command_line_set_them() -> None:
    """QA71: a worker's output carried urllib3's "Retrying (Retry(total=…))" warning at every S3 request while the
    server was down, though sohoa says each retry itself; the command line shows them with -v only. Importing the
    flows' module (as a worker's flow run does) quiets them, and keeps a level the command line set."""
    probe = (
        "import logging, sys\n"
        "if sys.argv[1] == 'verbose': logging.getLogger('urllib3').setLevel(logging.INFO)\n"
        "import flows.prefect_run\n"
        "print(logging.getLevelName(logging.getLogger('urllib3.connectionpool').getEffectiveLevel()))\n"
    )
    levels = [
        subprocess.run(
            [sys.executable, "-c", probe, how],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for how in ("worker", "verbose")
    ]
    assert levels == ["ERROR", "INFO"], levels


def test_a_cached_stage_result_is_keyed_by_the_shape_of_its_record(tmp_path: Path) -> None:
    """QA83 M5: an OcrResult cached (pickled, for a week) by a sohoa before an upgrade was taken by the next one on a
    rerun in the same work folder: its words had no `confidence`, and classify failed on them. The shape of the
    result's record is in the key."""
    from pydantic import BaseModel

    from flows import prefect_flows
    from sohoa.record import OcrResult

    class Before(BaseModel):
        text: str

    class After(BaseModel):
        text: str
        confidence: float | None = None

    assert prefect_flows.result_shape(Before) != prefect_flows.result_shape(After)
    work = tmp_path / "work" / "0123456789abcdef"
    work.mkdir(parents=True)
    from flows.pipeline import WORK_TOKEN

    (work / WORK_TOKEN).write_text("token", encoding="ascii")  # a work folder's, as the pipeline makes one
    source = tmp_path / "scan.png"
    source.write_bytes(b"scan")
    from sohoa.settings import Settings

    parameters = {"source": source, "output_pdf": work / "ocr.pdf", "settings": Settings(data_dir=tmp_path)}
    original = prefect_flows.result_shape
    try:
        key_now = prefect_flows._ocr_key(None, parameters)  # type: ignore[arg-type]
        prefect_flows.result_shape = lambda model: "another shape"  # type: ignore[assignment]
        key_other = prefect_flows._ocr_key(None, parameters)  # type: ignore[arg-type]
    finally:
        prefect_flows.result_shape = original  # type: ignore[assignment]
    assert key_now is not None and key_other is not None and key_now != key_other
    assert prefect_flows.result_shape(OcrResult) == prefect_flows.result_shape(OcrResult)


def test_the_batch_summary_says_why_a_record_waits_for_an_officer(tmp_path: Path) -> None:
    """The batch-summary artifact's reason column was empty for an archived record that needs review (its "needs
    review" column said only that): the reasons, in both languages, as the `process` table says them (QA83)."""
    from flows.pipeline import BatchReport, DocumentResult, Outcome
    from flows.prefect_flows import batch_summary_markdown
    from tests.storage_helpers import make_record

    record, _ = make_record(tmp_path, "qđ-15")
    waiting = record.model_copy(update={"needs_review": True, "review_reasons": ["date of issue doubtful (0.5)"]})
    scan = tmp_path / "quyết định.png"
    results = [DocumentResult(scan, Outcome.ARCHIVED, record), DocumentResult(scan, Outcome.ARCHIVED, waiting)]
    markdown, _ = batch_summary_markdown(BatchReport(results=results, archive="kho", quarantine="cl"))
    first, second = (line for line in markdown.splitlines() if line.startswith(f"| {scan.name} "))
    assert first.endswith("|  |  |"), first  # no review, no reason
    assert second.endswith(
        "| cần xem lại / needs review | ngày ban hành đáng ngờ (0.5) / date of issue doubtful (0.5) |"
    ), second


def test_stage_results_past_their_week_are_deleted_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA98 F2: Prefect lets a cached stage result expire and never removes its file, which holds the document's
    whole OCR text: in DATA_DIR for years, after the record's disposal too. A batch deletes sohoa's expired ones
    (named by a 64-hex cache key) from Prefect's local result storage; another file there is not sohoa's to touch."""
    import time

    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    from flows import prefect_flows

    storage = tmp_path / "storage"
    storage.mkdir()
    old, fresh, foreign = storage / ("a" * 64), storage / ("b" * 64), storage / "someone-elses"
    for path in (old, fresh, foreign):
        path.write_text("{}", encoding="utf-8")
    week_ago = time.time() - prefect_flows.CACHE_EXPIRATION.total_seconds() - 60
    os.utime(old, (week_ago, week_ago))
    os.utime(foreign, (week_ago, week_ago))
    with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: storage}):
        assert prefect_flows.forget_expired_results() == 1
    assert sorted(p.name for p in storage.iterdir()) == sorted([fresh.name, foreign.name])


def test_a_document_outside_the_dask_cluster_is_archived_without_the_clusters_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA138: on a worker host whose environment names the cluster (SOHOA_DASK_ADDRESS, for its nightly-batch), a
    process-document run read and signed each document, then failed it at the archive stage: the runner took the
    cluster's archive-writer lock, a ``distributed.Lock`` with no Dask client in that process ("'NoneType' object
    has no attribute 'asyncio_loop'"). Only a document task on a Dask worker takes it."""
    import distributed  # noqa: F401 — loaded, as in a flow run whose pages were read on the cluster

    from flows.prefect_flows import prefect_runner
    from sohoa.settings import Settings

    monkeypatch.setenv("SOHOA_CONFIG", "")
    settings = Settings(data_dir=tmp_path, dask_address="tcp://127.0.0.1:9")  # type: ignore[call-arg]
    assert prefect_runner("archive", lambda *args: "archived", settings) == "archived"


def test_a_signature_cached_under_one_identity_is_not_taken_under_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA138 F1: the sign stage's cache key held the settings that name the identity, not the identity: made again
    at the same place (a development identity made afresh; a PKCS#12 file renewed at its path), a rerun reused the
    signature cached by a run an S3 outage had failed, and archived the document signed by the old key. The key
    now holds a digest of the signer's certificate (or the PKCS#12 file) and of the appearance's images."""
    from flows.pipeline import prepare_work_dir
    from flows.prefect_flows import _sign_key
    from sohoa.settings import Settings

    monkeypatch.setenv("SOHOA_CONFIG", "")
    settings = Settings(data_dir=tmp_path / "var")  # type: ignore[call-arg]
    work = prepare_work_dir(settings.work_path / "0123456789abcdef")
    (work / "ocr.pdf").write_bytes(b"%PDF-1.7 the searchable copy")
    parameters = {"input_pdf": work / "ocr.pdf", "output_pdf": work / "document.pdf", "settings": settings}
    first = _sign_key(None, parameters)  # type: ignore[arg-type]
    assert first is not None and _sign_key(None, parameters) == first  # type: ignore[arg-type]
    shutil.rmtree(settings.keys_dir)  # the development identity made again: another key, the same settings
    again = _sign_key(None, parameters)  # type: ignore[arg-type]
    assert again is not None and again != first
