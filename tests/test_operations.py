"""Operations: exactly once, nothing lost — a batch killed (SIGKILL) at many points, then rerun to completion.

The batch runs in a real subprocess (``sohoa process --no-prefect --json``). Kill points are exact
(``SOHOA_TEST_CRASH_AFTER=<stage>:<n>``, the test fault-injection hook in ``flows.pipeline.direct_runner``) or
taken from the archive as it is being written (the parent kills the child as soon as a given file appears).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
pytestmark = pytest.mark.integration

TEXTS = [
    "THÔNG BÁO\nVề việc tiêm chủng mở rộng\nỦy ban nhân dân xã",
    "BIÊN BẢN\nHọp dân thôn Đông về đường giao thông",
    "GIẤY MỜI\nDự hội nghị tổng kết năm của xã",
]


def make_scan(path: Path, text: str) -> Path:
    image = Image.new("L", (1240, 600), 255)
    draw = ImageDraw.Draw(image)
    draw.multiline_text((60, 80), text, fill=0, font=ImageFont.truetype(FONT, 48), spacing=24)
    image.save(path, dpi=(300, 300))
    return path


def make_inbox(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for i, text in enumerate(TEXTS, start=1):
        make_scan(folder / f"hồ sơ {i}.png", text)
    (folder / "ghi chú.pdf").write_text("đây không phải PDF\n", encoding="utf-8")  # bad input
    return folder


def env_for(data_dir: Path, crash: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SOHOA_DATA_DIR=str(data_dir), SOHOA_OCR_WORKERS="1", PYTHONPATH=str(ROOT))
    if crash:
        env["SOHOA_TEST_CRASH_AFTER"] = crash
    return env


def sohoa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def process_args(inbox: Path) -> list[str]:
    return [sys.executable, "-m", "flows.cli", "process", str(inbox), "--no-prefect", "--json"]


def run_killed_at_stage(inbox: Path, data_dir: Path, crash: str) -> int:
    proc = subprocess.run(
        process_args(inbox), cwd=ROOT, env=env_for(data_dir, crash), capture_output=True, text=True, timeout=120
    )
    # killed, or finished because the point was not reached (what was left was already archived)
    assert proc.returncode in (-signal.SIGKILL, 1), (crash, proc.returncode, proc.stderr[-2000:])
    return proc.returncode


def run_killed_when(inbox: Path, data_dir: Path, pattern: str) -> int:
    """Kill the batch the moment a file matching ``pattern`` (a glob under the archive) appears."""
    archive = data_dir / "archive"
    before = set(archive.glob(pattern))
    child = subprocess.Popen(
        process_args(inbox), cwd=ROOT, env=env_for(data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while child.poll() is None:
            if set(archive.glob(pattern)) - before:
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.0005)
        return child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()


def assert_exactly_once(inbox: Path, data_dir: Path) -> None:
    final = sohoa("process", str(inbox), "--no-prefect", "--json", env=env_for(data_dir))
    assert final.returncode == 1, final.stderr[-3000:]  # the bad input is quarantined; everything else archived
    payload = json.loads(final.stdout)
    outcomes = {Path(f["path"]).name: f["outcome"] for f in payload["files"]}
    assert outcomes.pop("ghi chú.pdf") == "quarantined"
    assert set(outcomes.values()) <= {"archived", "already_archived"}, payload
    assert (data_dir / "quarantine" / "ghi chú.pdf.reason.txt").is_file()

    listed = sohoa("list", "--json", env=env_for(data_dir))
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["records"]
    per_sha = Counter(row["sha256"] for row in rows)
    import hashlib

    expected = {hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.glob("*.png")}  # TEXTS' and any added
    assert len(rows) == len(expected) >= len(TEXTS) and set(per_sha.values()) == {1}, rows
    assert set(per_sha) == expected

    archive = data_dir / "archive"
    partial = [p for p in archive.rglob("*") if ".part-" in p.name]
    assert not partial, partial
    staging = archive / ".staging"
    assert not staging.exists() or not any(staging.iterdir())
    # every record folder is complete (no orphaned half-records beside the listed ones)
    folders = {p.parent for p in archive.glob("*/*/*/record.json")}
    assert len(folders) == len(expected), sorted(archive.glob("*/*/*"))

    ledger = sohoa("ledger", "verify", env=env_for(data_dir))
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    audit = sohoa("audit", env=env_for(data_dir))
    assert audit.returncode == 0, audit.stdout + audit.stderr


# Exact kill points, run one after another on the same data folder (each run gets further into the batch).
STAGE_CHAINS = {
    "stages": ["ingest:1", "ocr:1", "classify:1", "sign:1", "verify:1", "archive:1"],
}
# Kill points taken from the archive being written: inside the archive stage, between its writes.
FILE_CHAINS = {
    "writes": ["*/*/*/document.pdf", "*/*/*/verification.json", "*/*/*/record.json", ".ledger/*.json"],
}


@pytest.mark.parametrize("chain", sorted(STAGE_CHAINS))
def test_batch_killed_at_stages_ends_exactly_once(tmp_path: Path, chain: str) -> None:
    inbox = make_inbox(tmp_path / "hộp thư đến")
    data_dir = tmp_path / "var"
    codes = [run_killed_at_stage(inbox, data_dir, crash) for crash in STAGE_CHAINS[chain]]
    assert codes.count(-signal.SIGKILL) >= len(codes) - 1, codes
    assert_exactly_once(inbox, data_dir)


@pytest.mark.parametrize("chain", sorted(FILE_CHAINS))
def test_batch_killed_between_archive_writes_ends_exactly_once(tmp_path: Path, chain: str) -> None:
    inbox = make_inbox(tmp_path / "hộp thư đến")
    data_dir = tmp_path / "var"
    for pattern in FILE_CHAINS[chain]:
        run_killed_when(inbox, data_dir, pattern)
    assert_exactly_once(inbox, data_dir)
