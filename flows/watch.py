"""``sohoa watch``: the watched inbox folder (poll-based, so it also works on network shares).

Each pass rescans the inbox (subfolders too). A file is taken only when it is complete: unchanged (size and
mtime) for ``watch_stable_seconds`` and readable. It is claimed by an atomic rename into ``DATA_DIR/claimed/``
(two watchers cannot both claim it: the second rename fails), processed by the pipeline, moved to
``DATA_DIR/processed/``, and a receipt (JSON: record id, SHA-256, time, outcome, reason) is written to
``DATA_DIR/outbox/``. Files left in ``claimed/`` by a crash are processed again on the next pass (the archive
is idempotent by content hash). One watcher per data folder; the inbox and the data folder must be on the same
filesystem (an atomic rename).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from flows.pipeline import DocumentResult, expand_inputs, process_many
from sohoa.fsutil import atomic_write_text
from sohoa.settings import Settings

log = logging.getLogger("sohoa")


def _stable(path: Path, stable_seconds: float) -> bool:
    try:
        before = path.stat()
        if time.time() - before.st_mtime < stable_seconds:
            return False
        with path.open("rb") as handle:
            handle.read(1)
        after = path.stat()
    except OSError:
        return False
    return (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)


def _claim(path: Path, inbox: Path, claimed: Path) -> Path | None:
    relative = path.relative_to(inbox)
    target = claimed / relative
    if target.exists():
        target = target.with_name(f"{target.stem}-{uuid.uuid4().hex[:8]}{target.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(path, target)  # atomic: only one watcher wins
    except FileNotFoundError:
        return None  # claimed by another watcher meanwhile
    return target


def _short(name: str, limit: int = 80) -> str:
    return name if len(name.encode("utf-8")) <= limit * 2 else name[:limit]


def _receipt(result: DocumentResult, source_name: str) -> dict[str, Any]:
    line = result.summary()
    sha = line["sha256"]
    if sha is None and result.path.is_file():
        sha = hashlib.sha256(result.path.read_bytes()).hexdigest()
    return {
        "file": source_name,
        "outcome": line["outcome"],
        "record_id": line["record_id"],
        "sha256": sha,
        "archive_path": line["archive_path"],
        "reason": line["reason"],
        "reason_vi": line["reason_vi"],
        "time": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def watch_once(inbox: Path, settings: Settings, stable_seconds: float | None = None) -> list[dict[str, Any]]:
    """One pass: claim the complete files of the inbox (and any left claimed by a crash), process, receipt."""
    stable = settings.watch_stable_seconds if stable_seconds is None else stable_seconds
    claimed_root = settings.data_dir / "claimed"
    processed_root = settings.data_dir / "processed"
    outbox = settings.data_dir / "outbox"
    leftovers = expand_inputs([claimed_root]) if claimed_root.is_dir() else []
    claimed = list(leftovers)
    for path in expand_inputs([inbox]):
        if _stable(path, stable) and (target := _claim(path, inbox, claimed_root)) is not None:
            claimed.append(target)
    receipts = []
    for result in process_many(claimed, settings):
        if result.path.is_relative_to(claimed_root):
            relative = result.path.relative_to(claimed_root)
        else:  # a document split out of a stack: name it after its stack
            relative = Path(result.path.name)
        receipt = _receipt(result, relative.as_posix())
        stem = f"{(receipt['sha256'] or uuid.uuid4().hex)[:16]}-{_short(result.path.name)}"
        atomic_write_text(outbox / f"{stem}.receipt.json", json.dumps(receipt, ensure_ascii=False, indent=2))
        receipts.append(receipt)
    for path in claimed:
        if path.exists() and result_is_final(receipts, path, claimed_root):
            target = processed_root / path.relative_to(claimed_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    return receipts


def result_is_final(receipts: list[dict[str, Any]], path: Path, claimed_root: Path) -> bool:
    """A claimed file stays claimed (retried next pass) while any of its documents failed for a machine fault."""
    name = path.relative_to(claimed_root).as_posix()
    mine = [r for r in receipts if r["file"] == name or r["file"].startswith(f"{path.name}#")]
    return not any(r["outcome"] == "failed" for r in mine)


def watch(inbox: Path, settings: Settings, once: bool = False) -> list[dict[str, Any]]:
    """Watch the inbox: a pass every ``watch_interval`` seconds (forever), or one pass with ``once``."""
    while True:
        receipts = watch_once(inbox, settings)
        for receipt in receipts:
            log.warning("%s: %s %s", receipt["file"], receipt["outcome"], receipt["record_id"] or "")
        if once:
            return receipts
        time.sleep(settings.watch_interval)
