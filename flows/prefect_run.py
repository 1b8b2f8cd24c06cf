"""What a sohoa flow run tells Prefect besides its return value: its final state and its log lines.

**Final state.** A flow run's state follows the meaning of the command line's exit codes (flows.cli), so that a
Prefect notification on "Failed" fires when, and only when, someone has to act:

- a file FAILED for a fault outside the input (exit 3: a TSA down, the archive unwritable, a path that is gone) or
  an archive audit found problems (exit 1 of ``sohoa audit``: drift, a signature no longer valid, a renewal not
  done, the ledger) → ``Failed``, its message the counts;
- the only trouble is quarantined input (exit 1 of ``sohoa process``: bad scans, expected in a backlog; each has its
  reason in the quarantine folder) → ``Completed`` named ``Quarantined``, its message the counts: a run that is
  visible and filterable by its state name, not an alarm;
- everything archived → ``Completed``.

The state carries the flow's return value (the per-file results) either way: ``state.result(raise_on_failure=
False)`` gives it, and so does the flow run's result in the API when results are persisted.

**Log lines.** sohoa logs through its own loggers (``sohoa``, and per package ``storage``, ``signing``, …), which
Prefect's API log handler does not listen to: the per-file lines (ARCHIVED, QUARANTINED, FAILED) reached the
worker's stdout only. ``logs_to_run`` attaches that handler to them for a flow's (or a Dask document task's)
duration. It sends only when ``PREFECT_LOGGING_TO_API_ENABLED`` is on (Prefect's default; ``sohoa process`` turns it
off for its temporary server, whose logs nobody reads) and only records made inside a flow or task run.

**No traceback for a Failed state.** A worker runs a flow run with ``python -m prefect.engine``, which asks the run
for its result, and a Failed state's result raises ``FailedRun``: Prefect then logged "Engine execution exited with
unexpected exception" and the ``FailedRun`` traceback to the run's logs after every Failed run — a watch-inbox run
without its folder, a batch with a failed file, an audit that found problems — though the flow had returned its
Failed state and its message (QA). That line is dropped (``_FailedStateIsNoCrash``, installed when this module is
imported, as each deployment's flow module imports it); a flow that raises still has its traceback logged.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prefect.exceptions import FailedRun, MissingContextError
from prefect.logging.handlers import APILogHandler
from prefect.states import Completed, Failed, State

from flows.pipeline import OUTCOME_WORDS
from sohoa.errors import StageError
from sohoa.fsutil import OneLineRecords

if TYPE_CHECKING:
    from sohoa.settings import Settings

QUARANTINED = "Quarantined"  # the name of a Completed state whose only trouble is quarantined input

# the loggers sohoa's code logs through (flows.pipeline, flows.watch: "sohoa"; flows.audit, storage, signing, ocr,
# classify: their module names)
OUR_LOGGERS = ("sohoa", "flows", "storage", "signing", "ocr", "classify")


def counts_line(counts: Mapping[str, int], words: Mapping[str, str] | None = None) -> str:
    """``archived: 2, …`` (the keys of --json), or with ``words`` for the keys."""
    return ", ".join(f"{(words or {}).get(key, key)}: {value}" for key, value in counts.items())


# a batch's counts as an officer reads them in Prefect's UI, beside the keys of --json: the Vietnamese halves of
# the outcomes' words in the `process` table
_COUNT_WORDS_VI = {outcome.value: words.split(" / ", 1)[0] for outcome, words in OUTCOME_WORDS.items()} | {
    "total": "tổng"
}


def state_summary(payload: Mapping[str, Any], vietnamese: bool = False) -> str:
    """The counts of a batch's report, then the pages of stacks dropped as blank (a separator's back, fed duplex)
    and the files not taken from the folders given, when there are any: ``archived: 2, …, total: 2; dropped pages:
    1 (blank), skipped: 1 (not taken)`` (``vietnamese``: ``đã lưu: 2, …``) — each listed with its reason in the
    report and the ``batch-summary`` artifact. Until 2026-12-01 the state message and the artifact gave the counts
    only."""
    (dropped, blank), (skipped_words, not_taken) = (
        (("trang bỏ", "trang trắng"), ("bỏ qua", "không nhận"))
        if vietnamese
        else (("dropped pages", "blank"), ("skipped", "not taken"))
    )
    extra = []
    if pages := sum(len(stack["pages"]) for stack in payload.get("dropped_pages") or []):
        extra.append(f"{dropped}: {pages} ({blank})")
    if skipped := len(payload.get("skipped") or []):
        extra.append(f"{skipped_words}: {skipped} ({not_taken})")
    counts = counts_line(payload["counts"], _COUNT_WORDS_VI if vietnamese else None)
    return counts + (f"; {', '.join(extra)}" if extra else "")


def batch_state(payload: dict[str, Any], data: Any = None, what: str = "file(s)") -> State[Any]:
    """The final state of a batch (``BatchReport.to_json_dict()``: ``counts``, ``batch_id``; an ``error`` when it
    could not start), carrying ``data`` (default: the payload itself)."""
    data = payload if data is None else data
    if payload.get("error"):
        return Failed(message=str(payload["error"]), data=data)
    counts = payload["counts"]
    summary, summary_vi = state_summary(payload), state_summary(payload, vietnamese=True)
    batch = f"batch {payload['batch_id']}: " if payload.get("batch_id") else ""
    batch_vi = f"lô {payload['batch_id']}: " if payload.get("batch_id") else ""
    # Vietnamese, then English, as every message an officer reads (until 2026-12-03 these were in English only)
    if counts.get("failed"):
        return Failed(
            message=f"{batch_vi}{counts['failed']}/{counts['total']} tệp LỖI do sự cố không nằm ở tệp đầu vào (lý do "
            f"trong kết quả); khắc phục rồi chạy lại, tệp đã lưu được bỏ qua — {summary_vi} / "
            f"{batch}{counts['failed']} of {counts['total']} {what} FAILED for a fault outside the input "
            f"(reasons in the results); fix it and run again, archived files are skipped — {summary}",
            data=data,
        )
    if counts.get("quarantined"):
        return Completed(
            name=QUARANTINED,
            message=f"{batch_vi}{counts['quarantined']}/{counts['total']} tệp bị cách ly (tệp đầu vào hỏng, lý do "
            f"để cạnh tệp trong thư mục cách ly) — {summary_vi} / "
            f"{batch}{counts['quarantined']} of {counts['total']} {what} quarantined (bad input, each "
            f"reason beside it in the quarantine folder) — {summary}",
            data=data,
        )
    return Completed(message=f"{batch_vi}{summary_vi} / {batch}{summary}", data=data)


def flow_settings(overrides: Mapping[str, Any] | None) -> Settings | str:
    """The settings a flow run works with (``overrides``: its ``settings_overrides`` parameter, over the worker's
    ``SOHOA_*`` environment and the checkout's sohoa.toml), or why there are none, logged as the run's error in
    the words of the commands' "configuration error" (exit 2). A setting that is none (``trust_dev_caa``) or a
    value out of range ended the run with two tracebacks and pydantic's text, "Flow run encountered an exception:
    ValidationError …", every minute for the scheduled watch-inbox (QA136)."""
    import difflib

    from sohoa.settings import Settings, load_settings
    from sohoa.settings_problem import configuration_problem

    # a name that is no setting: pydantic drops it without a word, and a misspelt `{"archve": …}` archived into the
    # worker's default archive (QA138 F4), where sohoa.toml and SOHOA_* say such a name
    if unknown := sorted(set(overrides or {}) - set(Settings.model_fields)):
        meant = [
            f"{name} (did you mean {close[0]}?)"
            if (close := difflib.get_close_matches(name, Settings.model_fields, 1))
            else name
            for name in unknown
        ]
        problem = (
            f"cấu hình sai / configuration error: settings_overrides: không có thiết lập {', '.join(unknown)} / no "
            f"setting {', '.join(meant)} (the settings are listed in README.md, Configuration)"
        )
        logging.getLogger("sohoa").error("%s", problem)
        return problem
    try:
        return load_settings(**(overrides or {})).with_absolute_paths()
    except Exception as exc:  # noqa: BLE001 — every way load_settings refuses (pydantic's, sohoa.toml's own)
        problem = configuration_problem(exc)
        logging.getLogger("sohoa").error("%s", problem)
        return problem


def refusal(settings: Settings, batch: bool = False) -> str | None:
    """Why a flow run must not start on these settings, logged as its error, or None: a configured trust source
    that is not there (``flows.pipeline.trust_source_problem``, the check the commands that trust make before any
    work, exit 2); for a flow that runs the pipeline's batch (``batch``: process-document, process-batch,
    watch-inbox), also a configuration no batch can run with (``flows.pipeline.batch_settings_problem``, as
    `sohoa process` and `sohoa watch` refuse it, exit 2), and folders or an archive it cannot use
    (``flows.pipeline.check_locations``, exit 3 of `sohoa process`: S3 credentials refused, a data folder that is a
    file — raised inside the batch, it ended the run with two tracebacks and "Flow run encountered an exception",
    QA71; the caller runs its batch in ``checked_locations`` so they are not asked twice). A deployment run
    starts without the command line: it went ahead, trusting less than configured (QA), or OCR'd every document
    only to fail it at its signature. Each such flow checks at its start and, refused, ends its run Failed with
    this message (no traceback, see ``_FailedStateIsNoCrash``)."""
    from flows.pipeline import batch_settings_problem, check_locations_unless_checked, trust_source_problem

    problem = trust_source_problem(settings)
    if problem is None and batch:
        problem = batch_settings_problem(settings)
    if problem is None and batch:
        try:
            check_locations_unless_checked(settings)  # the command that runs the flow may have, just before
        except StageError as exc:
            problem = str(exc)
    if problem is not None:
        logging.getLogger("sohoa").error("%s", problem)
    return problem


class _FailedStateIsNoCrash(logging.Filter):
    """Drops Prefect's "Engine execution exited with unexpected exception" when the exception is the result of a
    Failed state the flow returned (``batch_state``, watch-inbox's missing folder, the audit's problems), said by
    its message and by Prefect's own "Finished in state Failed(…)" line: ``FailedRun`` for a state whose data is a
    message, a ``TypeError`` "Unexpected result for failed state: {…}" for one whose data is the report (QA75: the
    audit's and a batch's, the whole report in one log line, 61 KB for 51 records). Any other exception, a flow
    that raised, is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TypeError):
            return not str(exc).startswith("Unexpected result for failed state")
        return not isinstance(exc, FailedRun)


class _StopIsNoCrash(logging.Filter):
    """Prefect's "Crash detected! Execution was aborted by a termination signal." (or "… an interrupt signal."),
    an ERROR logged for every flow and task run a SIGTERM or Ctrl-C ends, said as what it is: the stop asked, at
    INFO, in both languages. The command says what the batch did and what is left (flows.stopping); an operator
    read the ERROR as a fault on every `systemctl stop` (QA140 F7)."""

    _ABORTED = {
        "Crash detected! Execution was aborted by a termination signal.": "SIGTERM",
        "Crash detected! Execution was aborted by an interrupt signal.": "Ctrl-C",
    }

    def filter(self, record: logging.LogRecord) -> bool:
        if (signal_name := self._ABORTED.get(record.getMessage())) is not None:
            record.msg = (
                f"đã dừng theo yêu cầu ({signal_name}), không phải lỗi / stopped as asked ({signal_name}), not a fault"
            )
            record.args = ()
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


# the loggers of Prefect's flow and task run lines (prefect.flow_engine.flow_run_logger, task_run_logger), in a
# worker's flow run process too
logging.getLogger("prefect.flow_runs").addFilter(_FailedStateIsNoCrash())
for _run_lines in ("prefect.flow_runs", "prefect.task_runs"):
    logging.getLogger(_run_lines).addFilter(_StopIsNoCrash())

# In a worker's flow run process, where sohoa's command line has not set the libraries' levels (flows.cli): urllib3
# (the S3 client) warned "Retrying (Retry(total=…))" at every request while the S3 server was down, on the worker's
# output (QA71) — sohoa says each retry of an archive write itself (flows.pipeline.retry_transient). A level the
# command line set (-v: INFO) is kept.
if logging.getLogger("urllib3").level == logging.NOTSET:
    logging.getLogger("urllib3").setLevel(logging.ERROR)


class _RunLogHandler(APILogHandler):
    """Prefect's API log handler, for records made inside a flow or task run only: sohoa's loggers are also used
    by threads of no run (the temporary server's supervisor), whose records Prefect would warn about."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(OneLineRecords())  # a run's log lines one per record, as the command line's

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "flow_run_id", None) is None:
            from prefect.context import get_run_context

            try:
                get_run_context()
            except MissingContextError:
                return
        super().emit(record)


_attached: list[tuple[logging.Logger, logging.Handler]] = []
_users = 0
_raised_level = False
_lock = threading.Lock()


@contextlib.contextmanager
def logs_to_run() -> Iterator[None]:
    """sohoa's log lines to the current flow run's logs in the Prefect API, for the duration (nested and
    concurrent uses share one handler). On a worker the ``sohoa`` logger has no level of its own (the command line
    sets INFO): it is set to INFO meanwhile, so that the per-file and per-stage lines are sent."""
    global _users, _raised_level
    from prefect.settings import PREFECT_LOGGING_TO_API_ENABLED

    if not PREFECT_LOGGING_TO_API_ENABLED.value():
        yield
        return
    with _lock:
        _users += 1
        if _users == 1:
            handler = _RunLogHandler()
            for name in OUR_LOGGERS:
                logger = logging.getLogger(name)
                # PREFECT_LOGGING_EXTRA_LOGGERS may name it already: never send a line twice
                if not any(isinstance(h, APILogHandler) for h in logger.handlers):
                    logger.addHandler(handler)
                    _attached.append((logger, handler))
            sohoa = logging.getLogger("sohoa")
            _raised_level = sohoa.level == logging.NOTSET and sohoa.getEffectiveLevel() > logging.INFO
            if _raised_level:
                sohoa.setLevel(logging.INFO)
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for logger, attached in _attached:
                    logger.removeHandler(attached)
                _attached.clear()
                if _raised_level:
                    logging.getLogger("sohoa").setLevel(logging.NOTSET)
                    _raised_level = False


__all__ = ["QUARANTINED", "batch_state", "counts_line", "logs_to_run", "refusal", "state_summary"]
