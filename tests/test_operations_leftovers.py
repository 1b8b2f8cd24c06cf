"""Leftovers of killed runs in the work and quarantine folders: a batch removes those of dead runs, never those of
a run that is alive (found with real SIGKILLs by exploratory testing: OCR scratch folders, ``.part-*`` files and
staging folders stayed for ever).

A real ``process_document`` runs in a child process and stops at a chosen point, its temporary files on disk and
its locks held; a batch started beside it must leave them. Then the child is killed (SIGKILL) and the next batch
must remove them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.pipeline import WORK_TOKEN, batch_documents
from tests.conftest import make_settings
from tests.test_operations import make_scan

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration

# The child stops (prints "ready", sleeps) the moment the code it runs is about to: rename a work folder's staging
# folder into place (prepare_work_dir), replace a target by its .part- file (the OCR stage's searchable copy, its
# scratch folder still there; pikepdf's own temporary file beside it may be too), or link a .part- file to its
# name (quarantining a bad file). ``ocr-command`` is the OCR stage alone, as `sohoa ocr` runs it.
CHILD = r"""
import os, sys, time
from pathlib import Path

from flows.pipeline import process_document
from sohoa.fsutil import PART_MARKER
from sohoa.settings import Settings

point, data_dir, document = sys.argv[1:4]


def stop():
    print("ready", flush=True)
    time.sleep(600)


if point == "staging":
    rename = Path.rename

    def stopping_rename(self, target):
        if PART_MARKER in self.name:
            stop()
        return rename(self, target)

    Path.rename = stopping_rename
else:
    name = "link" if point == "quarantine" else "replace"
    real = getattr(os, name)

    def stopping(source, target, *args, **kwargs):
        if PART_MARKER in os.fspath(source):
            stop()
        return real(source, target, *args, **kwargs)

    setattr(os, name, stopping)
settings = Settings(data_dir=Path(data_dir), ocr_workers=1)
if point == "ocr-command":  # `sohoa ocr` on one file: its scratch folder is at the top of WORK
    from flows.pipeline import run_ocr

    run_ocr(Path(document), Path(data_dir).parent / "out.pdf", settings)
else:
    process_document(Path(document), settings)
"""


def leftovers(data_dir: Path) -> set[Path]:
    work, quarantine = data_dir / "work", data_dir / "quarantine"
    found = {p for p in work.rglob("*") if "sohoa-ocr-" in p.name or ".part-" in p.name}
    found |= {p for p in quarantine.glob(".*") if ".part-" in p.name} if quarantine.is_dir() else set()
    return {p for p in found if not any(parent in found for parent in p.parents)}


def start_child(code: str, *args: str, says: str = "ready", **environment: str) -> subprocess.Popen[str]:
    """A Python process running ``code`` with ``args``, once it has printed ``says`` (it is then where it stops)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")} | {"PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env | environment, stdout=subprocess.PIPE, text=True
    )
    if child.stdout is None or child.stdout.readline() != f"{says}\n":
        child.kill()
        raise AssertionError(f"the child did not get where it stops (exit {child.wait()})")
    return child


def start_batch(data_dir: Path) -> None:
    with batch_documents([], make_settings(data_dir)):
        pass


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("staging", {"work/.{id}.part-"}),
        ("part", {"work/{id}/sohoa-ocr-", "work/{id}/.ocr.pdf.part-"}),
        ("quarantine", {"quarantine/.ghi chú.pdf.part-"}),
        ("ocr-command", {"work/sohoa-ocr-"}),
    ],
)
def test_a_batch_removes_the_leftovers_of_a_killed_run_not_of_a_live_one(
    tmp_path: Path, point: str, expected: set[str]
) -> None:
    data_dir = tmp_path / "var"
    if point == "quarantine":
        document = tmp_path / "ghi chú.pdf"
        document.write_text("đây không phải PDF\n", encoding="utf-8")
    else:
        document = make_scan(tmp_path / "hồ sơ.png", "THÔNG BÁO\nVề việc tiêm chủng mở rộng")
    import hashlib

    record_id = hashlib.sha256(document.read_bytes()).hexdigest()[:16]
    child = start_child(CHILD, point, str(data_dir), str(document))
    try:
        alive = leftovers(data_dir)
        found = {str(p.relative_to(data_dir)) for p in alive}
        for prefix in expected:
            assert any(name.startswith(prefix.format(id=record_id)) for name in found), (prefix, found)

        start_batch(data_dir)  # the child is alive, its locks held: nothing of it goes
        assert leftovers(data_dir) == alive
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    start_batch(data_dir)  # now they are a dead run's
    assert not leftovers(data_dir), leftovers(data_dir)
    if point == "part":  # a rerun reuses the work folder with its token (and its cached results)
        assert (data_dir / "work" / record_id / WORK_TOKEN).is_file()
    assert (data_dir / "work" / ".locks").is_dir()


STACK = ROOT / "samples" / "stack" / "ho-so-ghep-2-van-ban.pdf"  # two documents around a separator sheet
# a batch that has split the stack and is at work on its documents (stops there, the stack's folder held)
STACK_BATCH = r"""
import sys, time
from pathlib import Path

from flows.pipeline import batch_documents
from sohoa.settings import Settings

with batch_documents([Path(sys.argv[2])], Settings(data_dir=Path(sys.argv[1]))) as documents:
    print(len(list(documents)), flush=True)
    time.sleep(600)
"""


def test_a_split_stack_stays_while_a_live_batch_uses_it_and_goes_when_its_batch_was_killed(tmp_path: Path) -> None:
    """The folder of a split stack (WORK/stacks/…) used to be removed by whichever batch ended first — under a
    second batch with the same stack at work on its documents — and stayed for ever when its batch was killed."""
    data_dir = tmp_path / "var"
    child = start_child(STACK_BATCH, str(data_dir), str(STACK), says="2")  # its two documents split
    try:
        with batch_documents([STACK], make_settings(data_dir)) as documents:  # the same stack, dropped again
            parts = list(documents)
        assert len(parts) == 2 and all(part.is_file() for part in parts)  # the live batch's documents stay
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    start_batch(data_dir)  # its batch is dead: the folder goes
    assert not any((data_dir / "work" / "stacks").iterdir())


@pytest.mark.parametrize("stops", [1, 2])
def test_a_stack_stopped_while_its_parts_are_written_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops: int
) -> None:
    """QA140 F6: a batch stopped (Ctrl-C, SIGTERM) while a stack's parts were being written left its folder in
    WORK/stacks half written, the stop's summary silent; the next run removed it as "left by an interrupted run".
    Now the folder is the batch's to remove from the moment it is made, and goes as the batch ends — also when a
    further Ctrl-C lands in its removal (QA143 F4: 3 of 6 runs with three Ctrl-Cs left it). The stops are raised
    from the second part's writing and from the folder's removal: a signal cannot be timed to land there (a part
    is written in milliseconds)."""
    import flows.intake

    data_dir = tmp_path / "var"
    write_part, written = flows.intake._write_part, []

    def stopped_at_the_second(*args: object) -> None:
        if written:
            raise KeyboardInterrupt
        write_part(*args)
        written.append(args)

    monkeypatch.setattr(flows.intake, "_write_part", stopped_at_the_second)
    if stops > 1:  # the second Ctrl-C, in the batch's removal of the folder
        remove, removals = flows.intake.remove_stack_folder, []

        def removed_after_a_stop(folder: Path) -> bool:
            removals.append(folder)
            if len(removals) == 1:
                raise KeyboardInterrupt
            return remove(folder)

        monkeypatch.setattr(flows.intake, "remove_stack_folder", removed_after_a_stop)
    with pytest.raises(KeyboardInterrupt), batch_documents([STACK], make_settings(data_dir)) as documents:
        list(documents)
    assert written  # the first part was written: the folder was there to leave
    assert not any((data_dir / "work" / "stacks").iterdir())


HOLD_ARCHIVE = r"""
import sys, time

from flows.pipeline import archive_write_lock

with archive_write_lock(sys.argv[1]):
    print("ready", flush=True)
    time.sleep(600)
"""


def test_the_archive_lock_is_one_whatever_the_temporary_folder(tmp_path: Path) -> None:
    """The archive's lock was a file in $TMPDIR: a batch run with another TMPDIR (or by another user) took its
    own, swept a live batch's temporary files and raced it for ledger sequence numbers. The folder is its lock."""
    from sohoa.fsutil import file_lock, host_lock_file

    archive = tmp_path / "kho lưu trữ"
    (tmp_path / "other-tmp").mkdir()
    child = start_child(HOLD_ARCHIVE, str(archive), TMPDIR=str(tmp_path / "other-tmp"))
    try:
        with file_lock(host_lock_file("archive", str(archive)), wait=False) as free:
            assert not free  # held by the child, though its TMPDIR is not ours
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    with file_lock(host_lock_file("archive", str(archive)), wait=False) as free:
        assert free


def test_a_work_folder_kept_past_its_cache_is_removed_by_the_next_batch(tmp_path: Path) -> None:
    """QA138 F3: a work folder kept for a rerun (a run failed by an S3 or TSA outage, or killed) stayed for ever when
    the scan never came again — deleted, rescanned, rewritten —, its searchable and signed copies in WORK. Once its
    token is older than the cached results it serves (KEPT_WORK_DAYS), the leftovers pass removes it."""
    from flows.pipeline import KEPT_WORK_DAYS, prepare_work_dir, remove_work_leftovers

    work_root = tmp_path / "work"
    old, recent = (prepare_work_dir(work_root / name) for name in ("0123456789abcdef", "fedcba9876543210"))
    for folder in (old, recent):
        (folder / "document.pdf").write_bytes(b"%PDF-1.7 signed copy")
    past = time.time() - (KEPT_WORK_DAYS + 1) * 86400
    os.utime(old / WORK_TOKEN, (past, past))
    assert remove_work_leftovers(work_root) == [old]
    assert not old.exists() and (recent / "document.pdf").is_file()
