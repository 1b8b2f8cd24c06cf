"""Prefect wiring of the weekly archive audit (deployment ``archive-audit`` in prefect.yaml).

Thin on purpose: the work is in ``flows.audit``; this module runs its two steps as tasks (records — fixity,
signatures, renewal — then the ledger, which must come after the renewals it records) and publishes a markdown
artifact ``archive-audit`` with one row per record and the counts. Importing it imports Prefect (a temporary
local API without a configured server, several seconds to start), so ``sohoa audit`` does not use it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed, State

from flows.audit import COUNT_WORDS, RecordAudit, audit_archive, audit_records, verify_ledger
from flows.prefect_run import flow_settings, logs_to_run, refusal
from sohoa.settings import Settings


@task(name="audit-records")
def audit_records_task(settings: Settings, renew: bool, renew_within_days: int) -> list[RecordAudit]:
    # one task for all records, not one per record: a weekly run over thousands of records would spend more in
    # orchestration than in hashing; each record's outcome is in the report and the artifact anyway
    return list(audit_records(settings, renew=renew, renew_within_days=renew_within_days))


@task(name="verify-ledger")
def verify_ledger_task(settings: Settings) -> tuple[int, list[str], list[str]]:
    return verify_ledger(settings)


@flow(name="archive-audit", log_prints=True)
def archive_audit(
    settings_overrides: dict[str, Any] | None = None,
    renew: bool = True,
    renew_within_days: int | None = None,
) -> State[dict[str, Any]]:
    """Fixity of every object, every signature verified again, B-LTA document timestamps renewed when they need
    it, the ledger verified; publishes the ``archive-audit`` markdown artifact and returns the report (JSON). The
    run ends Failed when the audit found problems (``sohoa audit``'s exit 1: drift, a signature, a renewal, the
    ledger), the message naming the counts, so that a notification on Failed fires for tampering; Failed before any
    work, its message saying which, when a configured trust source is not there (flows.prefect_run.refusal)."""
    with logs_to_run():
        settings = flow_settings(settings_overrides)
        if isinstance(settings, str):  # as the commands refuse them (exit 2), before any work
            return Failed(message=settings)
        if (problem := refusal(settings)) is not None:  # as `sohoa audit` refuses it (exit 2), before any work
            return Failed(message=problem)
        report = audit_archive(
            settings,
            renew=renew,
            renew_within_days=renew_within_days,
            check_records=audit_records_task,
            check_ledger=verify_ledger_task,
        )
        counts = report.counts()
        verdict = "ATTENTION" if not report.ok else "OK, with warnings" if report.warnings else "OK"
        summary = verdict + ": " + ", ".join(f"{k}: {v}" for k, v in counts.items())
        # Vietnamese, then English, as every message an officer reads (until 2026-12-03 in English only)
        verdict_vi = report.verdict().split(" / ", 1)[0]  # the words of the report's own verdict
        summary_vi = verdict_vi + ": " + ", ".join(f"{_vietnamese(k)}: {v}" for k, v in counts.items())
        said = f"{summary_vi} / {summary}"
        print(said)
        # an artifact is a convenience; never fail a finished audit over it
        with contextlib.suppress(Exception):
            create_markdown_artifact(key="archive-audit", markdown=report.markdown(), description=said)
        payload = report.to_json_dict()
        if report.ok:
            return Completed(message=said, data=payload)
        problems = payload.get("problems") or {}
        records = [key for key in problems if key not in ("ledger", "archive")]
        where = ", ".join([f"{len(records)} record(s)", *(key for key in ("ledger", "archive") if key in problems)])
        outside = {"ledger": "sổ nhật ký", "archive": "ngoài các hồ sơ"}
        where_vi = ", ".join([f"{len(records)} hồ sơ", *(outside[key] for key in outside if key in problems)])
        return Failed(
            message=f"kiểm tra kho phát hiện vấn đề ({where_vi}) — {summary_vi}; artifact archive-audit có một dòng "
            "cho mỗi hồ sơ, `sohoa audit` cho cùng kết quả / "
            f"the archive audit found problems ({where}) — {summary}; the archive-audit artifact has a "
            "row per record, `sohoa audit` says the same",
            data=payload,
        )


def _vietnamese(count: str) -> str:
    """The Vietnamese half of an audit count's words (``flows.audit.COUNT_WORDS``, "vi / en")."""
    return COUNT_WORDS.get(count, count).split(" / ", 1)[0]


__all__ = ["archive_audit"]
