"""A flow run whose worker died stays *Running* for ever: the automation that marks it *Crashed*.

A worker killed mid-run (SIGKILL, the OOM killer, a host that lost power) cannot report its flow run's end, and a
self-hosted Prefect server does not notice by itself (QA71: a run still *Running* 20 minutes after its worker was
killed; the rerun recovered everything, but nothing told the operator it was needed). Prefect's answer: flow runs
send heartbeat events (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` in the workers' environment) and an automation marks
a run *Crashed* when its heartbeats stop before it ended. A *Crashed* run fires the notifications an operator set up
on failures, and a rerun of the same deployment finishes its work (archived files are skipped by their SHA-256).

``python -m flows.prefect_zombies`` (with ``PREFECT_API_URL`` set) creates the automation once; run again, it
keeps the one there. See README, "Deploying with a Prefect server, workers and several hosts".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

AUTOMATION_NAME = "sohoa: crash flow runs whose worker died"
# the workers' heartbeat (seconds, PREFECT_FLOWS_HEARTBEAT_FREQUENCY; Prefect accepts 30 or more): a run silent for
# three of them is taken for dead — a batch's Tesseract keeps both cores busy, and one late beat must not crash it
HEARTBEAT_SECONDS = 60
SILENT_FOR = timedelta(seconds=3 * HEARTBEAT_SECONDS)


def zombie_automation() -> object:
    """The automation (not yet created): after a flow run's heartbeat, expect another heartbeat or its end within
    ``SILENT_FOR``, per flow run; none came: set the run *Crashed*."""
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=AUTOMATION_NAME,
        description="sohoa (flows/prefect_zombies.py): a flow run whose heartbeats stopped before it ended is "
        "marked Crashed; rerun its deployment (archived files are skipped by their SHA-256).",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=SILENT_FOR,
        ),
        actions=[
            ChangeFlowRunState(
                name=None,
                force=False,
                state=StateType.CRASHED,
                # QA75: a Prefect server unreachable for longer (an outage, a restart) silences every run's
                # heartbeat too, and a healthy run was called dead, its operator told to rerun beside it
                message=f"no heartbeat for {SILENT_FOR.seconds} s: its worker died (killed, out of memory, host "
                "down) — or could not reach this Prefect server that long, and the run may still be working (its "
                "worker's log says); once it no longer runs, rerun the deployment with the same parameters — "
                "archived files are skipped by their SHA-256",
            )
        ],
    )


def ensure_zombie_automation() -> tuple[str, str]:
    """Create the automation on the server ``PREFECT_API_URL`` names unless one of its name is there, and bring
    one made by an earlier sohoa up to date (its trigger or action, the run's message, changed since): (its id,
    ``created``, ``updated`` or ``kept``)."""
    from prefect.automations import Automation

    # Automation's read, create and update are sync-compatible: called here, outside an event loop, they return the
    # result (typed as coroutines)
    existing: Any
    try:
        existing = Automation.read(name=AUTOMATION_NAME)
    except ValueError:  # Prefect's "automation not found"
        existing = None
    wanted: Any = zombie_automation()
    if existing is None:
        created: Any = wanted.create()
        return str(created.id), "created"
    if _shape(existing) == _shape(wanted):
        return str(existing.id), "kept"
    existing.trigger, existing.actions = wanted.trigger, wanted.actions
    existing.update()
    return str(existing.id), "updated"


def _shape(automation: Any) -> Any:
    """What an automation does: its trigger and actions, without the ids the server gave them — the trigger's sets
    of event names (``expect``, ``after``, ``for_each``) sorted: dumped as lists, their order is each process's own
    (a second run said "updated" of an automation it had just made, one time in a few)."""
    trigger = automation.trigger.model_dump(mode="json", exclude={"id"})
    return _sorted_sets([trigger, [action.model_dump(mode="json") for action in automation.actions]])


def _sorted_sets(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_sets(item) for key, item in value.items()}
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return sorted(value)
    if isinstance(value, list):
        return [_sorted_sets(item) for item in value]
    return value


def main() -> int:
    import sys

    from prefect.settings import get_current_settings

    server = get_current_settings().api.url  # PREFECT_API_URL, from the environment or the Prefect profile
    if not server:
        # Prefect would start a temporary server of its own, create the automation there and say so, exit 0: gone
        # with the command (QA138 F5: an operator who forgot PREFECT_API_URL in that shell was told it worked)
        print(
            "sohoa: chưa đặt PREFECT_API_URL: tự động hóa phải được tạo trên máy chủ Prefect của các worker / "
            "PREFECT_API_URL is not set: the automation belongs on the workers' Prefect server (e.g. "
            "PREFECT_API_URL=http://SERVER:4200/api)",
            file=sys.stderr,
        )
        return 2
    try:
        automation_id, done = ensure_zombie_automation()
    except Exception as exc:  # noqa: BLE001 — the server's answer, said in one line (QA136 F11: a traceback)
        said = " ".join(f"{type(exc).__name__}: {exc}".split())[:400]
        hint = ""
        if "401" in said:
            hint = (
                " — đặt PREFECT_API_AUTH_STRING như PREFECT_SERVER_API_AUTH_STRING của máy chủ / set "
                "PREFECT_API_AUTH_STRING to the server's PREFECT_SERVER_API_AUTH_STRING"
            )
        print(
            f"sohoa: không tạo được tự động hóa trên máy chủ Prefect ({server}) / could not set up the automation on "
            f"the Prefect server ({server}): {said}{hint}",
            file=sys.stderr,
        )
        return 3
    if done == "kept":
        print(f"đã có sẵn / already there: {AUTOMATION_NAME} ({automation_id})")
        return 0
    verb = "đã tạo tự động hóa / automation created" if done == "created" else "đã cập nhật / updated"
    print(
        f"{verb}: {AUTOMATION_NAME} ({automation_id}); đặt PREFECT_FLOWS_HEARTBEAT_FREQUENCY={HEARTBEAT_SECONDS} "
        f"cho mọi worker / set PREFECT_FLOWS_HEARTBEAT_FREQUENCY={HEARTBEAT_SECONDS} in every worker's environment"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
