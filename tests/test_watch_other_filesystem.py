"""Operations: a watched inbox on another filesystem than DATA_DIR (a network share, another disk), where no rename
reaches DATA_DIR/claimed/ (EXDEV), and a `watch --once` that could not take a file.

QA69 (on 92fad44): every pass logged `cannot claim into …/var/claimed: [Errno 18] Invalid cross-device link`, in
English only, the file was never processed, no receipt was written, and `watch --once` exited 0. Such a file is now
claimed by a copy, crash-safely (flows.watch._claim_by_copy); a file that cannot be taken at all ends `--once` with
exit 3 and a line in both languages. The other filesystem is a real one: /dev/shm (a tmpfs) beside the test's
folder; the tests are skipped where the two are one filesystem. The kills are real SIGKILLs, at exact points
(SOHOA_TEST_CRASH_AFTER, the fault-injection hook of flows.pipeline, also called by the claim).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_operations import env_for
from test_operations_watch_crash import BAD, GOOD, ROOT, assert_exactly_one_receipt_per_drop, drop, watch_once_args

pytestmark = pytest.mark.integration

OTHER_FILESYSTEM = Path("/dev/shm")


@pytest.fixture
def other_inbox(tmp_path: Path) -> Iterator[Path]:
    """An inbox on another filesystem than ``tmp_path`` (where DATA_DIR goes)."""
    if not OTHER_FILESYSTEM.is_dir() or OTHER_FILESYSTEM.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem here (/dev/shm) to put the inbox on")
    folder = Path(tempfile.mkdtemp(prefix="sohoa-inbox-", dir=OTHER_FILESYSTEM))
    try:
        yield folder / "hộp thư đến"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_an_inbox_on_another_filesystem_is_taken_by_a_copy(tmp_path: Path, other_inbox: Path) -> None:
    data_dir = tmp_path / "var"
    drop(other_inbox)
    assert (other_inbox / GOOD).stat().st_dev != tmp_path.stat().st_dev
    run = subprocess.run(
        watch_once_args(other_inbox), cwd=ROOT, env=env_for(data_dir), capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 1, run.stderr[-3000:]  # the bad file quarantined, the scan archived
    assert "cross-device" not in run.stderr
    receipts = {r["file"]: r for r in json.loads(run.stdout)["receipts"]}
    assert receipts[GOOD]["outcome"] == "archived" and receipts[BAD]["outcome"] == "quarantined", receipts
    # nothing left in the inbox (no hidden claim name either), nothing claimed, no journal of a claim under way
    assert not [p for p in other_inbox.rglob("*") if p.is_file()], list(other_inbox.rglob("*"))
    assert not (data_dir / "watch-journal" / "claiming").is_dir() or not any(
        (data_dir / "watch-journal" / "claiming").iterdir()
    )
    # the record names the file where it was dropped, not its copy; the rerun is a no-op with the same checks
    assert_exactly_one_receipt_per_drop(other_inbox, data_dir)


@pytest.mark.parametrize(
    "crash",
    [
        "watch-claim-hidden:1",  # the scan renamed to its hidden name in the inbox, no copy in claimed/ yet
        "watch-claim-copy:1",  # its copy in claimed/, the hidden original not removed yet: both are there
        "ingest:1",  # claimed (copied, the original removed), not processed yet
    ],
)
def test_a_claim_across_filesystems_killed_then_rerun(tmp_path: Path, other_inbox: Path, crash: str) -> None:
    """A kill at each step of the claim by copy loses no file and takes none twice: the rerun finishes or undoes
    the claim from its journal entry, then gives exactly one receipt per drop (one record, archived once)."""
    data_dir = tmp_path / "var"
    drop(other_inbox)
    killed = subprocess.run(
        watch_once_args(other_inbox),
        cwd=ROOT,
        env=env_for(data_dir, crash),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert killed.returncode == -signal.SIGKILL, (crash, killed.returncode, killed.stderr[-3000:])
    if crash == "watch-claim-copy:1":  # the point the journal is for: the scan in both places
        assert [p.name for p in (data_dir / "claimed").rglob("*") if p.is_file()] == [Path(GOOD).name]
        assert [p.name.startswith(".thông báo.png.sohoa-claim-") for p in other_inbox.rglob("*.png*")] == [True]
    assert_exactly_one_receipt_per_drop(other_inbox, data_dir)


def test_once_exits_3_when_a_file_cannot_be_taken(tmp_path: Path) -> None:
    """A file that cannot be claimed stays in the inbox without a receipt: `--once` says so in both languages,
    naming the file, and exits 3 (it exited 0: cron saw success). The fault is real: DATA_DIR/claimed is a file,
    so no folder can be made there for the scan (root may write anywhere, so a permission cannot be the test's)."""
    inbox, data_dir = tmp_path / "hộp thư đến", tmp_path / "var"
    drop(inbox)
    data_dir.mkdir()
    (data_dir / "claimed").write_text("not a folder\n", encoding="utf-8")
    run = subprocess.run(
        watch_once_args(inbox), cwd=ROOT, env=env_for(data_dir), capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 3, (run.returncode, run.stderr[-3000:])
    payload = json.loads(run.stdout)
    assert payload["receipts"] == [] and payload["exit_code"] == 3, payload
    assert len(payload["not_taken"]) == 2, payload
    line = next(line for line in run.stderr.splitlines() if "thông báo.png" in line)
    assert "không nhận được tệp vào" in line and "cannot take the file into" in line, line
    assert " / " in line and "vẫn nằm trong hộp thư đến" in line and "it stays in the inbox" in line, line
    assert "2 tệp không nhận được" in run.stderr and "2 file(s) could not be taken" in run.stderr, run.stderr
    assert sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file()) == sorted([GOOD, BAD])
    assert not (data_dir / "outbox").is_dir() or not any((data_dir / "outbox").iterdir())


def test_settling_a_claim_says_whether_it_was_finished_or_undone(tmp_path: Path) -> None:
    """QA70: a claim undone after a kill (the file put back in the inbox) was logged "finished an interrupted claim"."""
    from flows.watch import _settle_claim

    inbox, claimed = tmp_path / "inbox", tmp_path / "claimed"
    inbox.mkdir()
    claimed.mkdir()
    hidden = inbox / ".a.png.sohoa-claim-1"
    hidden.write_bytes(b"scan")
    entry = {"file": str(inbox / "a.png"), "hidden": str(hidden), "copy": str(claimed / ".a.png.part"),
             "claimed": str(claimed / "a.png")}  # fmt: skip
    assert _settle_claim(entry) is False  # no copy in claimed/: undone
    assert (inbox / "a.png").read_bytes() == b"scan" and not hidden.exists()
    (inbox / "a.png").rename(hidden)
    (claimed / "a.png").write_bytes(b"scan")
    assert _settle_claim(entry) is True  # the copy in place: finished, the original gone
    assert not hidden.exists() and not (inbox / "a.png").exists()
