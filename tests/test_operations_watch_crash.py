"""Operations: `sohoa watch` killed (SIGKILL) in the middle of a pass, then one `watch --once`: exactly one receipt
per dropped file, nothing left in claimed/, every file in processed/ (the bad one quarantined too), each scan
archived once, and the scan archived before the kill keeps the receipt stored with its record.

Found by exploratory testing: files were moved to processed/ only at the end of a pass, so a watcher killed after
writing a file's receipt left it claimed, and the next pass processed it again and wrote a second receipt
("already archived") for the same drop. Kill points are exact (``SOHOA_TEST_CRASH_AFTER=<stage>:<n>``, the test
fault-injection hook of flows.pipeline, also called by flows.watch after a journal entry, a receipt, a move) or
taken from the outbox (the parent kills the real watcher as soon as the first receipt appears).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_operations import env_for

from storage import open_configured_archive
from tests.conftest import make_settings
from tests.test_operations_intake import page, png

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration

GOOD = "hộ tịch/thông báo.png"
BAD = "tư pháp/ghi chú.pdf"  # claimed after GOOD (files are taken in name order)


def drop(inbox: Path) -> None:
    for folder in ("hộ tịch", "tư pháp"):
        (inbox / folder).mkdir(parents=True)
    (inbox / GOOD).write_bytes(png(page("THÔNG BÁO\nLịch tiếp công dân")))
    (inbox / BAD).write_text("đây không phải PDF\n", encoding="utf-8")  # bad input: quarantined
    old = time.time() - 60
    for name in (GOOD, BAD):
        os.utime(inbox / name, (old, old))


def watch_once_args(inbox: Path) -> list[str]:
    return [sys.executable, "-m", "flows.cli", "watch", str(inbox), "--once", "--json", "--stable-seconds", "1"]


def assert_exactly_one_receipt_per_drop(inbox: Path, data_dir: Path) -> None:
    rerun = subprocess.run(
        watch_once_args(inbox), cwd=ROOT, env=env_for(data_dir), capture_output=True, text=True, timeout=180
    )
    assert rerun.returncode in (0, 1), rerun.stderr[-3000:]
    outbox = [json.loads(p.read_text(encoding="utf-8")) for p in (data_dir / "outbox").glob("*.receipt.json")]
    assert sorted(r["file"] for r in outbox) == sorted([GOOD, BAD]), outbox  # one receipt each, no second one
    receipts = {r["file"]: r for r in outbox}
    assert receipts[BAD]["outcome"] == "quarantined"
    # the drop that archived the scan says so, even when the watcher was killed before writing its receipt
    assert receipts[GOOD]["outcome"] == "archived", receipts[GOOD]

    claimed = data_dir / "claimed"
    assert not [p for p in claimed.rglob("*") if p.is_file()], list(claimed.rglob("*"))
    # nor a write killed half-way (recent/: the files moved to processed/ lately, looked at for a late writer)
    journal = data_dir / "watch-journal"
    assert not [p for p in journal.rglob("*") if p.is_file() and p.parent != journal / "recent"]
    assert not [p for p in (journal / "recent").glob(".*")]
    # every file moved to processed/ is re-checked for a writer that went on writing into it: a watcher killed
    # right after a move lost that file's entry (QA), and with it the re-check
    recent = [json.loads(p.read_text(encoding="utf-8")) for p in (journal / "recent").glob("*.json")]
    processed_files = sorted(str(p) for p in (data_dir / "processed").rglob("*") if p.is_file())
    assert sorted(entry["path"] for entry in recent) == processed_files, recent
    assert not [p for p in (data_dir / "outbox").iterdir() if not p.name.endswith(".receipt.json")]
    assert not [p for p in inbox.rglob("*") if p.is_file()]
    processed = data_dir / "processed"
    moved = sorted(p.relative_to(processed).as_posix() for p in processed.rglob("*") if p.is_file())
    assert moved == sorted([GOOD, BAD])
    assert [p.name for p in (data_dir / "quarantine").rglob("*.pdf")] == ["ghi chú.pdf"]

    archive = open_configured_archive(make_settings(data_dir))
    records = list(archive.records())
    assert [r.id for r in records] == [receipts[GOOD]["record_id"]]
    assert records[0].tags == ["hộ tịch"]
    assert json.loads(archive.read_verified(records[0], "receipt")) == receipts[GOOD]  # the same in both places


@pytest.mark.parametrize(
    "crash",
    [
        "ingest:1",  # claimed, not processed yet
        "archive:1",  # archived (its receipt stored with the record), no receipt in the outbox yet
        "watch-journal:1",  # the file's receipts decided (journaled), none written
        "watch-receipt:1",  # the first receipt written, the file not moved to processed/ yet
        "watch-move:1",  # the first file moved to processed/, its journal entry not removed yet
    ],
)
def test_watch_killed_at_a_chosen_point_then_rerun(tmp_path: Path, crash: str) -> None:
    inbox, data_dir = tmp_path / "hộp thư đến", tmp_path / "var"
    drop(inbox)
    killed = subprocess.run(
        watch_once_args(inbox), cwd=ROOT, env=env_for(data_dir, crash), capture_output=True, text=True, timeout=180
    )
    assert killed.returncode == -signal.SIGKILL, (crash, killed.returncode, killed.stderr[-3000:])
    assert_exactly_one_receipt_per_drop(inbox, data_dir)


# `watch --once` in a process that really dies (SIGKILL) the moment a record's sidecar is in the archive, before
# its ledger entries and its index entry: the rerun adopts the record as it was stored, its receipt with it
KILLED_AFTER_SIDECAR = r"""
import os, signal, sys

import storage.local
from flows.cli import main

write = storage.local.LocalArchive._write


def dying_write(self, key, *args):
    write(self, key, *args)
    if key.endswith("/record.json"):
        os.kill(os.getpid(), signal.SIGKILL)


storage.local.LocalArchive._write = dying_write
sys.argv = ["sohoa", *sys.argv[1:]]
main()
"""


def test_watch_killed_after_the_sidecar_gives_the_stored_receipt(tmp_path: Path) -> None:
    """The rerun's outbox receipt used to be a new one (this pass's time) while the archive kept the receipt
    stored by the killed pass: the same drop had two receipts that differed."""
    inbox, data_dir = tmp_path / "hộp thư đến", tmp_path / "var"
    drop(inbox)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_SIDECAR, *watch_once_args(inbox)[3:]],
        cwd=ROOT,
        env=env_for(data_dir),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    time.sleep(1.1)  # a receipt made by the rerun would have another time
    assert_exactly_one_receipt_per_drop(inbox, data_dir)


def test_watcher_killed_when_its_first_receipt_appears_then_rerun(tmp_path: Path) -> None:
    """The real watcher (events and rescans, no --once), killed from outside the moment a receipt is in the
    outbox: the exploratory test's kill, not at a point the code chose."""
    inbox, data_dir = tmp_path / "hộp thư đến", tmp_path / "var"
    drop(inbox)
    outbox = data_dir / "outbox"
    child = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "watch", str(inbox), "--stable-seconds", "1"],
        cwd=ROOT,
        env=env_for(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while child.poll() is None and time.monotonic() < deadline:
            if any(outbox.glob("*.receipt.json")):
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert_exactly_one_receipt_per_drop(inbox, data_dir)


def test_two_watch_passes_on_one_data_folder_take_turns(tmp_path: Path) -> None:
    """A full pass takes every file in claimed/ for a killed pass's: one started beside a live pass (a cron
    `--once` beside the service, two Prefect runs) processed the live pass's files again — second receipts, and a
    traceback when the live one had moved a file on. The second pass now waits for the first."""
    from test_operations import make_scan

    inbox, data_dir = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    names = [f"hồ sơ {i}.png" for i in range(1, 6)]
    for i, name in enumerate(names, start=1):
        make_scan(inbox / name, f"THÔNG BÁO\nSố: {i:02d}/TB-UBND\nVề việc lịch tiếp công dân số {i}")
    old = time.time() - 60
    for name in names:
        os.utime(inbox / name, (old, old))
    args = watch_once_args(inbox)
    first = subprocess.Popen(args, cwd=ROOT, env=env_for(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (data_dir / "claimed").is_dir() or not any((data_dir / "claimed").iterdir()):
            assert first.poll() is None and time.monotonic() < deadline, "the first pass claimed nothing"
            time.sleep(0.05)
        second = subprocess.run(args, cwd=ROOT, env=env_for(data_dir), capture_output=True, text=True, timeout=300)
    finally:
        first_out, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    outbox = [json.loads(p.read_text(encoding="utf-8")) for p in (data_dir / "outbox").glob("*.receipt.json")]
    assert sorted(r["file"] for r in outbox) == sorted(names), outbox  # one receipt per drop
    assert {r["outcome"] for r in outbox} == {"archived"}
    assert not [p for p in (data_dir / "claimed").rglob("*") if p.is_file()]
