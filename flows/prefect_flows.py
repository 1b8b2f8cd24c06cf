"""Prefect wiring: the same orchestrator as ``flows.pipeline``, with each stage run as a Prefect task.

Thin on purpose: no logic here beyond turning stages into tasks and publishing a run summary. Importing this
module imports Prefect, which without a configured server starts a temporary local API (several seconds): the
single-purpose commands (``sohoa ocr/classify/sign/verify``) therefore never import it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import TaskRunContext
from prefect.futures import as_completed
from prefect.states import Failed, State
from prefect.transactions import CommitMode, transaction
from pydantic import BaseModel

from flows import progress
from flows.pipeline import (
    KEPT_WORK_DAYS,
    OUTCOME_WORDS,
    BatchReport,
    DocumentResult,
    Outcome,
    ProgressListener,
    Skipped,
    StageRunner,
    _test_crash_hook,
    batch_documents,
    checked_locations,
    dask_scheduler_problem,
    direct_runner,
    expand_inputs,
    failed,
    line_names,
    log,
    logged_as,
    no_scans_message,
    not_taken,
    own_folders,
    process_document,
    process_many,
    review_reasons_said,
    run_ocr,
    run_sign,
    skipped_folder,
    unreadable_entry,
    work_token,
)
from flows.prefect_run import batch_state, flow_settings, logs_to_run, refusal, state_summary
from sohoa.errors import BadInputError
from sohoa.fsutil import escaped, from_parameter, one_line, sha256_file
from sohoa.record import OcrResult, SignatureFacts
from sohoa.settings import Settings
from sohoa.vietnamese import vn_date
from storage import archive_display

if TYPE_CHECKING:
    from flows.intake import BlankPart


@dataclass(frozen=True)
class _Refused:
    """A stage found the input unusable. Returned, not raised, so that Prefect records the task as done
    (it did its job) instead of logging a failure with a traceback; the runner re-raises it for the
    orchestrator, which quarantines the file."""

    error: BadInputError


def _refusing(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def stage(*args: Any) -> Any:
        try:
            return function(*args)
        except BadInputError as exc:
            return _Refused(exc)

    return stage


# ------------------------------------------------------------------------------------------ caching
# A rerun skips the stages a killed run finished: each stage's result is cached under a key made of the stage, the
# SHA-256 of what it reads, the generation token of the record's work folder (its outputs live there; see
# flows.pipeline.prepare_work_dir) and the settings. A work folder made afresh has a new token, so a cached result
# can never point to files that are gone. The other stages run inline (see prefect_runner) and are not cached.
CACHE_EXPIRATION = timedelta(days=KEPT_WORK_DAYS)  # the work folder a result lives in is kept as long


# settings that change how a batch runs, not what a stage produces: a rerun with other values still reuses results
_OPERATIONAL_SETTINGS = {
    "batch_workers",
    "tesseract_slots",
    "tesseract_engine",
    "dask_address",
    "prefect_server_restarts",
    "ocr_concurrency_tag",
    "ocr_workers",
    "watch_stable_seconds",
    "watch_interval",
}


def _settings_fingerprint(settings: Settings) -> str:
    # secrets dump as "**********", so they never reach the key (nor Prefect's storage)
    return settings.model_dump_json(exclude=_OPERATIONAL_SETTINGS)


def _key(*parts: str | None) -> str | None:
    if any(part is None for part in parts):
        return None  # outside a work folder: do not cache
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).hexdigest()


def _file_hash(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


@functools.cache
def result_shape(model: type[BaseModel]) -> str:
    """A digest of ``model``'s fields: in a cached stage's key, so that a result cached (pickled) by another sohoa —
    one before an upgrade, rerun in the same work folder within the cache's week — is never taken for this one's.
    An OcrResult cached before 2026-12-03 had words without the `confidence` the classifier reads (QA83)."""
    schema = json.dumps(model.model_json_schema(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(schema.encode("utf-8")).hexdigest()[:16]


def _ocr_key(_: TaskRunContext, p: dict[str, Any]) -> str | None:
    output = Path(p["output_pdf"])
    return _key(
        "ocr",
        result_shape(OcrResult),
        _file_hash(Path(p["source"])),
        output.name,
        work_token(output.parent),
        _settings_fingerprint(p["settings"]),
    )


def _sign_key(_: TaskRunContext, p: dict[str, Any]) -> str | None:
    output = Path(p["output_pdf"])
    return _key(
        "sign",
        result_shape(SignatureFacts),
        _file_hash(Path(p["input_pdf"])),
        output.name,
        work_token(output.parent),
        _settings_fingerprint(p["settings"]),
        _signing_material(p["settings"]),
    )


def _signing_material(settings: Settings) -> str:
    """A digest of the files a signature is made of, beyond the settings that name them: the identity (the
    development signer's certificate, a PKCS#12 file) and the images its appearance draws. The settings alone
    named a path: a PKCS#12 renewed or replaced at the same path, a development identity made again, and a rerun
    archived the document under the old key's signature, cached when an S3 outage failed its first run (QA138 F1).
    A PKCS#11 token's key is named by the settings only (reading it needs the PIN)."""
    files: list[Path | None] = [settings.seal_image, settings.signature_image]
    if settings.signing_identity == "dev":
        from signing.identity import ensure_dev_identity

        # made now if it is not there yet (the signature would make it): keyed by the certificate it signs with
        files.append(ensure_dev_identity(settings.keys_dir).signer_cert)
    elif settings.signing_identity == "pkcs12":
        files.append(settings.pkcs12_file)
    return ",".join(_file_hash(path) or "-" if path is not None else "-" for path in files)


def _cached(name: str, key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None], **options: Any) -> Any:
    return task(name=name, cache_key_fn=key_fn, cache_expiration=CACHE_EXPIRATION, persist_result=True, **options)


def _worth_retrying(_task: Any, _run: Any, state: Any) -> bool:
    """The sign task's retry condition: a service that did not answer (a TSA) may answer on the next try, and a
    token put back is logged in to again; a signing configuration error (a wrong PIN, a key not on the token) never
    changes by trying again — and each try of a wrong PIN brings a token closer to locking (QA: 3 tries per
    document)."""
    from signing.errors import SigningConfigError

    return not isinstance(getattr(state, "data", None), SigningConfigError)


# One task per stage worth caching (the costly ones). Retries only where a fault can be transient (a TSA that does
# not answer); bad input is never retried: it comes back as _Refused, which is a result, not a failure. With
# SOHOA_OCR_CONCURRENCY_TAG set, the OCR task carries that tag: on a Prefect server, `prefect concurrency-limit
# create TAG N` then bounds OCR tasks across all hosts, on top of the per-host Tesseract slots (ocr.slots). Not by
# default: a tagged task asks the server for a slot each time, a round trip that cost ~0.15 s of a document's wall
# time on 2 cores, more than all other task bookkeeping together.
# Task runs are named after the record (its work folder), so the Prefect UI shows which document each belongs to.
STAGE_TASKS: dict[str, Any] = {
    "ocr": _cached("ocr", _ocr_key, task_run_name="ocr {output_pdf.parent.name}")(_refusing(run_ocr)),
    "sign": _cached(
        "sign",
        _sign_key,
        task_run_name="sign {output_pdf.parent.name}",
        retries=2,
        retry_delay_seconds=[2, 10],
        retry_jitter_factor=0.5,
        retry_condition_fn=_worth_retrying,
    )(_refusing(run_sign)),
}


# The CLI sets this to draw its progress bar; a flow parameter cannot carry a callable.
def set_progress_listener(listener: ProgressListener | None) -> None:
    # Kept in flows.progress, not here: a closure over a live progress bar in this module's globals made Dask
    # fail to pickle the document task.
    progress.listener = listener


# the stages whose cached result the current document reused (one list per document task, per thread)
_reused: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("sohoa_reused_stages", default=None)
# the files Prefect stored the current document's stage results in (its OCR text, its signature facts), forgotten
# once the document is archived or quarantined
_stored: contextvars.ContextVar[list[Path] | None] = contextvars.ContextVar("sohoa_stored_results", default=None)


def stored_result_file(state: Any) -> Path | None:
    """The local file Prefect keeps a stage's result in (``PREFECT_HOME/storage/<cache key>``), or None: a result
    kept elsewhere (a storage block), or none kept."""
    metadata = getattr(getattr(state, "data", None), "metadata", None)
    key = getattr(metadata, "storage_key", None)
    if metadata is None or getattr(metadata, "storage_block_id", None) is not None or not key:
        return None
    path = Path(key)
    return path if path.is_absolute() else None


def forget_results(files: list[Path]) -> None:
    """Delete stage results Prefect stored, which are there for a rerun of a document a run left unfinished: once it
    is archived a rerun finds it by its content, once quarantined it is read anew. Each holds the document's whole
    OCR text, which stayed on disk, never deleted, after the record's disposal (QA98: Prefect lets a cached result
    expire, never removes its file)."""
    for path in files:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:  # left for forget_expired_results; the document is done all the same
            log.warning("%s: could not remove a stage result Prefect stored (%s)", path, exc)


def forget_expired_results(now: float | None = None) -> int:
    """Delete the stage results sohoa's tasks stored (named by their 64-hex cache key) in Prefect's local result
    storage that have expired (``CACHE_EXPIRATION``): those a run left unfinished, or that ``forget_results`` could
    not remove. The number deleted."""
    import time

    from prefect.settings import get_current_settings

    folder = Path(get_current_settings().results.local_storage_path).expanduser()
    cutoff = (time.time() if now is None else now) - CACHE_EXPIRATION.total_seconds()
    forgotten = 0
    for path in folder.glob("*") if folder.is_dir() else ():
        try:
            if _CACHE_KEY_NAME.fullmatch(path.name) and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                forgotten += 1
        except OSError:  # gone meanwhile, or not ours to remove
            continue
    return forgotten


_CACHE_KEY_NAME = re.compile(r"[0-9a-f]{64}")


# Stages without a task in STAGE_TASKS run inline, as plain calls: cheaper than a task run, or not worth caching.
# Measured (bench/batch_bench.py, 2 cores): every task run costs API round trips and result storage on the Prefect
# server, more than hashing a scan, classifying its text or verifying its signature take; a rerun simply does them
# again. Archive is the last stage (nothing after it to skip on a rerun), idempotent, and retries its own transient
# faults (flows.pipeline.run_archive), with or without Prefect.


# One archive writer across the whole cluster: the custody ledger is a chain with one head. On one host the
# archive lock in flows.pipeline is enough; on a Dask cluster (workers on several hosts) this lock, held through
# the Dask scheduler every worker talks to, serialises the writes. The scheduler lends it with a lease, so a worker
# that dies holding it does not block the others for ever. (A Prefect global concurrency limit did the same, but
# its lease-renewal thread re-entered the task's shared Prefect client and crashed the archive stage when two
# documents ran in one worker process, as they do while a document waits for its pages.)
ARCHIVE_WRITER_LOCK = "sohoa-archive-writer"


@contextlib.contextmanager
def cluster_archive_writer() -> Iterator[None]:
    from distributed import Lock

    with Lock(ARCHIVE_WRITER_LOCK):
        yield


def _on_a_dask_worker() -> bool:
    """Whether this runs in a Dask worker (a document task of a batch on the cluster), where the scheduler lends
    ``cluster_archive_writer``'s lock. A process-document run on a worker host whose environment names the cluster
    (SOHOA_DASK_ADDRESS, for its nightly-batch) runs here, in the flow's own process, with no Dask client: taking
    the lock failed every such document at its archive stage, "'NoneType' object has no attribute 'asyncio_loop'"
    (QA138). It writes as any host does, made safe by the store's own conditional writes."""
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:  # "No worker found"
        return False
    return True


def prefect_runner(stage: str, function: Callable[..., Any], *args: Any) -> Any:
    if stage == "archive" and isinstance(args[-1], Settings) and args[-1].dask_address and _on_a_dask_worker():
        with cluster_archive_writer():
            return direct_runner(stage, function, *args)
    if stage not in STAGE_TASKS:
        return direct_runner(stage, function, *args)
    return _run_stage_task(stage, *args)


# its stages' results are cached under the work folder's token: a rerun takes up the folder a failed run kept
# (flows.pipeline.prepare_work_dir)
prefect_runner.caches_stages = True  # type: ignore[attr-defined]


@functools.cache
def _tagged(stage: str, tag: str) -> Any:
    return STAGE_TASKS[stage].with_options(tags=[tag])


def _stage_task(stage: str, args: tuple[Any, ...]) -> Any:
    settings = args[-1]
    if stage == "ocr" and isinstance(settings, Settings) and settings.ocr_concurrency_tag:
        return _tagged(stage, settings.ocr_concurrency_tag)
    return STAGE_TASKS[stage]


def _run_stage_task(stage: str, *args: Any) -> Any:
    # Each stage commits its cached result as soon as it finishes: nested in a document task (on Dask), Prefect
    # would otherwise hold the results until the whole document is done, and a crash would lose them all.
    with transaction(commit_mode=CommitMode.EAGER):
        state = _stage_task(stage, args)(*args, return_state=True)
    result = state.result()  # raises what the stage raised (after its retries)
    if (stored := _stored.get()) is not None and (file := stored_result_file(state)) is not None:
        stored.append(file)
    if state.name == "Cached":
        reused = _reused.get()
        if reused is not None:
            reused.append(stage)
    _test_crash_hook(stage)
    if isinstance(result, _Refused):
        raise result.error
    return result


def _process_noting_reuse(
    path: Path, settings: Settings, runner: StageRunner, batch_id: str | None = None
) -> DocumentResult:
    """``process_document``, noting the stages whose result a rerun took from Prefect's cache."""
    reused: list[str] = []
    stored: list[Path] = []
    token, stored_token = _reused.set(reused), _stored.set(stored)
    try:
        result = process_document(path, settings, runner, batch_id)
    finally:
        _reused.reset(token)
        _stored.reset(stored_token)
    result.cached_stages = reused
    if result.outcome != Outcome.FAILED:  # kept for a rerun after a fault: it need not OCR the document again
        forget_results(stored)
    return result


def run_document(path: str, settings: Settings, batch_id: str | None = None) -> DocumentResult:
    """One document through every stage, the costly ones as Prefect tasks (its log lines in the run's logs: on a
    Dask worker this is a task of its own, in another process than the flow's)."""
    with logs_to_run():
        return _process_noting_reuse(Path(path), settings, prefect_runner, batch_id)


# On a Dask cluster a document is one task, so that the task runner sends it to a worker; its stages are nested
# tasks, run where the document runs. On this machine documents are plain threads of the flow (as without Prefect,
# flows.pipeline.process_many): a task run per document cost as much bookkeeping as its two stage tasks, for
# nothing a thread does not give — its stages are tasks of the flow run, named after the record.
document_task = task(name="document", task_run_name="{path}")(run_document)


def warm_up_engine() -> None:
    """Import now what Prefect imports on a flow's first call (its flow and task engines, and FastAPI's JSON encoder
    for the flow's parameters: ~0.7 s of CPU here), for a caller with time to spare: ``sohoa process`` while its
    temporary Prefect server starts."""
    with contextlib.suppress(ImportError):  # a later Prefect may move them: then they load on the first call
        import fastapi.encoders  # noqa: F401 (imported for its cost, now)
        import prefect.flow_engine  # noqa: F401
        import prefect.task_engine  # noqa: F401


@contextlib.contextmanager
def without_flow_heartbeats() -> Iterator[None]:
    """Flow runs started inside send no heartbeats. For sohoa's temporary server only: heartbeats let a server's
    automations notice a crashed flow run, and the temporary server runs none and ends with the command; while
    each flow run's end waits up to a second for Prefect's heartbeat thread, which sleeps in one-second steps."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _dask_runner(address: str) -> Any:
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=address)


@flow(name="process-document", log_prints=True)
def process_one(path: str, settings_overrides: dict[str, Any] | None = None) -> State[dict[str, Any]]:
    """One file through every stage, as a batch of one (a batch id in its records, a ``batch-summary`` artifact),
    split at separator sheets as a batch splits it (``batch_documents``): a scanned stack is its documents, its
    blank parts (a separator's back, fed duplex) dropped and listed. Returns the file's summary line with the
    ``batch_id`` when the file is one document (not split); for a stack, the batch's report (``sohoa process
    --json``'s: the lines of its documents in ``files``, its blank parts in ``dropped_pages``). Until 2026-12-01
    the file was never split: a stack was archived as one record with its separator sheets and blank backs, and
    once more beside its documents archived by a batch. The run ends Failed when a document failed, Completed named
    "Quarantined" when one was quarantined (flows.prefect_run); Failed before any work when a configured trust
    source is not there or SOHOA_SIGNATURE_APPEARANCE is seal (flows.prefect_run.refusal)."""
    with logs_to_run():
        settings = flow_settings(settings_overrides)
        if isinstance(settings, str):  # as the commands refuse them (exit 2), before any work
            return Failed(message=settings)
        report = BatchReport(archive=archive_display(settings), quarantine=str(settings.quarantine_path))
        # as `sohoa process` refuses them (exit 2), before any work
        if (problem := refusal(settings, batch=True)) is not None:
            return batch_state(report.to_json_dict() | {"error": problem})
        with checked_locations(settings):  # by refusal, just now
            report.results = _documents_here([from_parameter(path)], settings, report)
        _publish(report)
        payload = report.to_json_dict()
        if len(report.results) == 1 and report.results[0].origin is None and not report.dropped:
            return batch_state(payload, data=payload["files"][0] | {"batch_id": report.batch_id})
        return batch_state(payload)


@flow(name="process-batch", log_prints=True)
def process_batch(paths: list[str], settings_overrides: dict[str, Any] | None = None) -> State[dict[str, Any]]:
    """Every file (folders expanded) through every stage, ``batch_workers`` documents at a time on this machine
    or spread over a Dask cluster; publishes a markdown artifact of what happened and returns the batch's report
    (``sohoa process --json``'s). The run ends Failed when a file failed (or there was nothing to process, a
    configured trust source is not there, SOHOA_SIGNATURE_APPEARANCE is seal, or the Dask scheduler does not
    answer), Completed named "Quarantined" when the only trouble is quarantined input."""
    with logs_to_run():
        settings = flow_settings(settings_overrides)
        if isinstance(settings, str):  # as the commands refuse them (exit 2), before any work
            return Failed(message=settings)
        # as `sohoa process` refuses them (exit 2), before any work
        if (problem := refusal(settings, batch=True)) is not None:
            report = BatchReport(archive=archive_display(settings), quarantine=str(settings.quarantine_path))
            return batch_state(report.to_json_dict() | {"error": problem})
        if settings.dask_address:  # the documents become tasks of a subflow whose task runner is the cluster
            if (problem := dask_scheduler_problem(settings.dask_address)) is not None:
                log.error("%s", problem)
                return Failed(message=problem)
            on_dask = _run_batch_on_dask.with_options(task_runner=_dask_runner(settings.dask_address))
            payload: dict[str, Any] = on_dask(paths, settings)
        else:
            # on this machine the documents are threads of this flow run: no subflow (each flow run costs API calls)
            with checked_locations(settings):  # by refusal, just now
                payload = _run_batch(paths, settings)
        return batch_state(payload)


@flow(name="process-batch-documents")
def _run_batch_on_dask(paths: list[str], settings: Settings) -> dict[str, Any]:
    with logs_to_run():
        return _run_batch(paths, settings)


def _run_batch(paths: list[str], settings: Settings) -> dict[str, Any]:
    report = BatchReport(archive=archive_display(settings), quarantine=str(settings.quarantine_path))
    forget_expired_results()

    def skip(entry: Skipped) -> None:  # said as `sohoa process` says it, and in the result's "skipped"
        report.skipped.append(entry)
        log.log(logging.INFO if entry.quiet else logging.WARNING, "%s", entry.said())

    # never sohoa's own folders (a deployment run on DATA_DIR); a name that is not UTF-8 comes \\xNN-escaped
    inputs = expand_inputs(
        (from_parameter(p) for p in paths),
        unreadable=lambda path: skip(unreadable_entry(path)),
        skip=own_folders(settings),
        skipped=lambda path, why: skip(skipped_folder(path, why)),
        not_taken=lambda path: skip(not_taken(path)),
    )
    if not inputs:  # as `sohoa process` refuses it (exit 2): a nightly run over nothing is no success
        message = no_scans_message([escaped(str(entry.path)) for entry in report.skipped])
        log.error("%s", message)
        return report.to_json_dict() | {"error": message}
    if settings.dask_address:
        report.results = _documents_on_dask(inputs, settings, report.batch_id, report.dropped)
    else:
        report.results = _documents_here(inputs, settings, report)
    _publish(report)
    return report.to_json_dict()


def _documents_here(inputs: list[Path], settings: Settings, report: BatchReport) -> list[DocumentResult]:
    """The documents of ``inputs`` (stacks split, their blank parts listed in ``report.dropped``) processed on this
    machine, ``batch_workers`` at a time, each stage a task of this flow run."""
    return list(
        process_many(
            inputs,
            settings,
            prefect_runner,
            progress.listener,
            report.batch_id,
            process=_process_noting_reuse,
            dropped=report.dropped,
        )
    )


def _documents_on_dask(
    inputs: list[Path], settings: Settings, batch_id: str, dropped: list[BlankPart] | None = None
) -> list[DocumentResult]:
    results: list[DocumentResult] = []
    with batch_documents(inputs, settings, dropped=dropped) as documents:
        # Dask workers have their own working directory (and maybe their own host: then the inbox must be a
        # shared folder mounted at the same path). Each document is submitted as soon as it is found.
        where: list[str] = []
        futures = []
        for path in documents:
            where.append(str(path.resolve()))
            futures.append(document_task.submit(where[-1], settings, batch_id))
        submitted = {id(future): path for future, path in zip(futures, where, strict=True)}
        for index, future in enumerate(as_completed(futures), start=1):
            try:
                result: DocumentResult = future.result()
            except Exception as exc:  # the task itself was lost: its worker died (KilledWorker), or Prefect failed
                result = _lost_on_dask(Path(submitted[id(future)]), exc)
            results.append(result)
            if progress.listener is not None:
                progress.listener(result, index, len(futures))
    order = {path: position for position, path in enumerate(where)}
    return sorted(results, key=lambda r: order.get(str(r.path), len(order)))


def _lost_on_dask(path: Path, exc: Exception) -> DocumentResult:
    """A document whose Dask task ended without a result: ``failed``, for a rerun (the other documents keep their
    outcomes; it used to end the whole batch without a per-file result). A worker that died (killed, out of
    memory) while running it as often as the scheduler allows (``distributed.scheduler.allowed-failures``, 3)
    is Dask's KilledWorker. What it had archived stays archived: the rerun finds it by its SHA-256."""
    from flows.intake import stack_origin

    # on one line, whole, with its cause: Dask's "Error during deserialization of the task graph. This frequently
    # occurs if …" was cut at its first line, "This frequently)" (QA136)
    causes = [exc, *([exc.__cause__] if exc.__cause__ is not None else [])]
    detail = one_line(" ".join("; caused by ".join(f"{type(e).__name__}: {e}" for e in causes).split()))[:400]
    if type(exc).__name__ == "KilledWorker":
        english = f"the Dask worker processing it died ({detail}); rerun the batch"
        vietnamese = f"Dask worker đang xử lý tệp này đã dừng đột ngột ({detail}); hãy chạy lại lô"
    else:
        english = f"its Dask task failed ({detail}); rerun the batch"
        vietnamese = f"tác vụ Dask của tệp này thất bại ({detail}); hãy chạy lại lô"
    origin = stack_origin(path)
    result = failed(path, logged_as(path, origin), vietnamese, english, retried=True)
    result.origin = origin
    return result


def _cell(text: str) -> str:
    """Text for a cell of a markdown table: on one line, no column separator."""
    return one_line(text).replace("|", "/")


def _publish(report: BatchReport) -> None:
    """The ``batch-summary`` markdown artifact (``batch_summary_markdown``)."""
    markdown, summary = batch_summary_markdown(report)
    # an artifact is a convenience; never fail a finished batch over it
    with contextlib.suppress(Exception):
        create_markdown_artifact(
            key="batch-summary", markdown=markdown, description=f"batch {report.batch_id}: {summary}"
        )


def batch_summary_markdown(report: BatchReport) -> tuple[str, str]:
    """(markdown, one-line summary) of a batch: the batch id (``sohoa export --batch ID OUT``), where it archived,
    the counts, a row per document (a stack's by its label, ``StackOrigin.label``; the reason in both languages —
    a quarantine's, or why the record waits for an officer), then the stacks' blank parts dropped and the files not
    taken from the folders given, each with its reason."""
    rows = [
        "| tệp / file | kết quả / outcome | loại / type | số / number | ngày / date | cần xem lại / needs review "
        "| lý do / reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in report.results:
        line = result.summary()
        name, reason = line_names(line)
        review = "cần xem lại / needs review" if line["needs_review"] else ""
        reason = reason or review_reasons_said(line)  # why it needs review: the column said nothing (QA83)
        # the outcome and the day as the `process` table and `list` say them (QA75: `archived`, `2025-10-21`)
        rows.append(
            f"| {_cell(name)} | {OUTCOME_WORDS[Outcome(line['outcome'])]} | {_cell(line['doc_type'] or '')} "
            f"| {_cell(line['number'] or '')} | {vn_date(line['issued_on'])} | {review} | {_cell(reason)} |"
        )
    if report.dropped:  # a stack's blank parts (a separator's back, fed duplex): no document, no record
        rows += ["", "**Trang bỏ / dropped pages**", "", "| tập quét / stack | lý do / reason |", "|---|---|"]
        rows += [
            f"| {_cell(blank.stack)} | {_cell(f'{blank.what_vi()} / {blank.what_en()}')} |" for blank in report.dropped
        ]
    if report.skipped:  # what the folders held that is no scan to take
        rows += ["", "**Bỏ qua / skipped**", "", "| tệp / file | lý do / reason |", "|---|---|"]
        rows += [
            f"| {_cell(escaped(str(entry.path)))} | {_cell(f'bỏ qua {entry.reason_vi} / skipped: {entry.reason_en}')} |"
            for entry in report.skipped
        ]
    summary = state_summary(report.to_json_dict())
    # the export command only for a batch that archived something (a rerun's records are in their first batches)
    # and the records of interrupted batches this run finished, with their own (QA69)
    export = f" (`sohoa export --batch {report.batch_id} OUT`)" if report.archived_here() else ""
    finished = "".join(
        f"- interrupted batch `{b}`: {n} record(s) finished by this run (`sohoa export --batch {b} OUT`)\n"
        for b, n in sorted(report.earlier_batches().items())
    )
    heading = (
        f"## sohoa batch `{report.batch_id}`\n\n"
        f"- batch id: `{report.batch_id}`{export}\n{finished}"
        f"- archive: `{report.archive}`\n- quarantine: `{report.quarantine}`\n\n{summary}\n\n"
    )
    return heading + "\n".join(rows), summary


__all__ = ["DocumentResult", "expand_inputs", "process_batch", "process_one", "set_progress_listener"]
