"""Prefect wiring of the watched folder (deployment ``watch-inbox`` in prefect.yaml, every minute).

Thin on purpose: the work is in ``flows.watch``. A scheduled run is one full pass over the inbox (no filesystem
events: the run ends when the pass does), so the deployment suits hosts where no long-running ``sohoa watch``
service is wanted; it also publishes a markdown artifact ``watch-inbox`` with one row per file. Two runs that
overlap are safe: a file is claimed by an atomic rename, so only one of them takes it.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed, State

from flows.pipeline import OUTCOME_WORDS, Outcome, review_reasons_said
from flows.prefect_run import batch_state, flow_settings, logs_to_run, refusal
from flows.watch import FilesNotTaken, inbox_problem, watch
from sohoa.record import document_label


def receipts_markdown(inbox: str, receipts: list[dict[str, Any]]) -> tuple[str, str]:
    """The artifact's markdown table and its one-line summary (counts per outcome); a stack's document named by its
    number and the stack's pages, and the stacks' blank parts dropped (a separator's back) listed under the table,
    as the ``batch-summary`` artifact lists them (until 2026-12-01 this one did not: a dropped page was in the
    receipts only)."""
    from flows.watch import dropped_pages

    counts = Counter(str(r["outcome"]) for r in receipts)
    dropped = dropped_pages(receipts)
    summary = f"{len(receipts)} file(s)" + "".join(f", {outcome}: {n}" for outcome, n in sorted(counts.items()))
    if dropped:
        summary += f"; dropped pages: {sum(len(blank['pages']) for blank in dropped)} (blank)"
    # Vietnamese / English, as the batch-summary artifact and every table an officer reads (QA75: English only)
    rows = [
        "| tệp / file | kết quả / outcome | hồ sơ / record | loại / type | số / number | thẻ / tags "
        "| nơi lưu hoặc lý do / archive path or reason |",
        "|---" * 7 + "|",
    ]
    for r in receipts:
        reason = f"{r['reason_vi']} / {r['reason']}" if r.get("reason_vi") and r.get("reason") else r["reason"]
        where = r["archive_path"] or reason or ""
        if why := review_reasons_said(r):  # why it waits for an officer (it was not said at all)
            where += f"; cần xem lại / needs review: {why}"
        name = r["file"]
        if r.get("document"):
            name = document_label(name, r["document"], r.get("pages") or [])
        outcome = OUTCOME_WORDS[Outcome(r["outcome"])] if r["outcome"] in OUTCOMES else r["outcome"]
        cells = [name, outcome, r["record_id"], r["doc_type"], r["number"], ", ".join(r["tags"]), where]
        rows.append(_row(cells))
    if dropped:
        rows += [
            "",
            "**Trang bỏ / dropped pages**",
            "",
            "| tập quét / stack | trang / pages | lý do / reason |",
            "|---" * 3 + "|",
        ]
        for blank in dropped:
            why = f"{blank['reason_vi']} / {blank['reason']}"
            rows.append(_row([blank["stack"], ", ".join(map(str, blank["pages"])), why]))
    return f"## sohoa watch-inbox\n\nInbox: `{inbox}`. {summary}\n\n" + "\n".join(rows), summary


OUTCOMES = {outcome.value for outcome in Outcome}


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(c or "").replace("|", "/") for c in cells) + " |"


@flow(name="watch-inbox", log_prints=True)
def watch_inbox(
    inbox: str, once: bool = True, settings_overrides: dict[str, Any] | None = None
) -> State[list[dict[str, Any]]]:
    """One pass over the inbox: claim the complete files, process them, write their receipts; returns the receipts
    and publishes them as the ``watch-inbox`` artifact. ``once=False`` watches (events and rescans) until the
    flow run is cancelled, and returns nothing: not for a scheduled deployment. The run ends as a batch's does
    (flows.prefect_run): Failed when a file failed (left claimed for the next pass), Completed named
    "Quarantined" when a file was quarantined; Failed, with one message and no traceback, when the inbox is not
    there or cannot be an inbox, or a configured trust source is not there or SOHOA_SIGNATURE_APPEARANCE is seal
    (flows.prefect_run.refusal)."""
    with logs_to_run():
        settings = flow_settings(settings_overrides)
        if isinstance(settings, str):  # as the commands refuse them (exit 2), before any work
            return Failed(message=settings)
        folder = Path(inbox)
        # as `sohoa watch` refuses them (exit 2), before any work
        if (problem := refusal(settings, batch=True)) is not None:
            return Failed(message=problem)
        if not folder.exists():
            problem = (
                f"{inbox}: không có thư mục này / no such folder on this worker host: create it (on the share every "
                "worker host mounts) or change the deployment's `inbox` parameter (prefect.yaml)"
            )
        elif not folder.is_dir():
            problem = f"{inbox}: là một tệp, không phải thư mục / is a file, not a folder"
        else:
            problem = inbox_problem(folder, settings)
        if problem is not None:
            logging.getLogger("sohoa").error("%s", problem)
            return Failed(message=problem)
        not_taken: str | None = None
        try:
            receipts = watch(folder, settings, once=once)
        except FilesNotTaken as exc:  # some files left in the inbox, said in the log: the run Failed, with the others'
            receipts, not_taken = exc.receipts, str(exc)
        markdown, summary = receipts_markdown(inbox, receipts)
        print(summary)
        # an artifact is a convenience; never fail a finished pass over it
        with contextlib.suppress(Exception):
            create_markdown_artifact(key="watch-inbox", markdown=markdown, description=summary)
        if not_taken is not None:
            return Failed(message=not_taken, data=receipts)
        outcomes = Counter(str(r["outcome"]) for r in receipts)
        counts = {o: outcomes[o] for o in ("archived", "already_archived", "quarantined", "failed")}
        return batch_state({"counts": counts | {"total": len(receipts)}}, data=receipts)


__all__ = ["watch_inbox"]
