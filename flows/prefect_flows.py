"""Prefect wiring: the same orchestrator as ``flows.pipeline``, with each stage run as a Prefect task.

Thin on purpose: no logic here beyond turning stages into tasks and publishing a run summary. Importing this
module imports Prefect, which without a configured server starts a temporary local API (several seconds): the
single-purpose commands (``sohoa ocr/classify/sign/verify``) therefore never import it.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.pipeline import (
    BatchReport,
    DocumentResult,
    ProgressListener,
    expand_inputs,
    ingest,
    process_document,
    process_many,
    run_archive,
    run_classify,
    run_ocr,
    run_sign,
    run_verify,
)
from sohoa.errors import BadInputError
from sohoa.settings import Settings, load_settings


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


# One task per stage. Retries only where a fault can be transient; bad input is never retried.
STAGE_TASKS: dict[str, Any] = {
    "ingest": task(name="ingest")(_refusing(ingest)),
    "ocr": task(name="ocr")(_refusing(run_ocr)),
    "classify": task(name="classify")(run_classify),
    "sign": task(name="sign")(_refusing(run_sign)),
    "verify": task(name="verify")(run_verify),
    "archive": task(name="archive", retries=2, retry_delay_seconds=[1, 5])(run_archive),
}

# The CLI sets this to draw its progress bar; a flow parameter cannot carry a callable.
_progress_listener: ProgressListener | None = None


def set_progress_listener(listener: ProgressListener | None) -> None:
    global _progress_listener
    _progress_listener = listener


def prefect_runner(stage: str, function: Callable[..., Any], *args: Any) -> Any:
    result = STAGE_TASKS[stage](*args)
    if isinstance(result, _Refused):
        raise result.error
    return result


def _settings(overrides: dict[str, Any] | None) -> Settings:
    return load_settings(**(overrides or {}))


@flow(name="process-document", log_prints=True)
def process_one(path: str, settings_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """One document through every stage; returns its summary line."""
    result = process_document(Path(path), _settings(settings_overrides), prefect_runner)
    return result.summary()


@flow(name="process-batch", log_prints=True)
def process_batch(paths: list[str], settings_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every file (folders expanded) through every stage; publishes a markdown artifact of what happened."""
    settings = _settings(settings_overrides)
    report = BatchReport(archive=str(settings.archive_dir), quarantine=str(settings.quarantine_path))
    inputs = expand_inputs(Path(p) for p in paths)
    for result in process_many(inputs, settings, prefect_runner, _progress_listener):
        report.results.append(result)
    _publish(report)
    return report.to_json_dict()


def _publish(report: BatchReport) -> None:
    rows = ["| file | outcome | type | number | date | reason |", "|---|---|---|---|---|---|"]
    for result in report.results:
        line = result.summary()
        rows.append(
            f"| {Path(line['path']).name} | {line['outcome']} | {line['doc_type'] or ''} | {line['number'] or ''} "
            f"| {line['issued_on'] or ''} | {(line['reason'] or '').replace('|', '/')} |"
        )
    counts = report.to_json_dict()["counts"]
    summary = ", ".join(f"{key}: {value}" for key, value in counts.items())
    # an artifact is a convenience; never fail a finished batch over it
    with contextlib.suppress(Exception):
        create_markdown_artifact(
            key="batch-summary",
            markdown=f"## sohoa batch\n\n{summary}\n\n" + "\n".join(rows),
            description=summary,
        )


__all__ = ["DocumentResult", "expand_inputs", "process_batch", "process_one", "set_progress_listener"]
