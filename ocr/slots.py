"""A host-wide limit on the Tesseract processes running at once.

Page workers inside one document, several documents in flight, a watcher and a nightly batch, Dask worker
processes on the same host: each of them starts Tesseract processes, and together they would oversubscribe the
cores (MEASURED.md: Tesseract slows down sharply when more of them run than there are cores). Every Tesseract
call therefore takes one of N slots first. A slot is an exclusive ``flock`` on one of N small files in a
per-user folder under the temporary directory: it works across threads and processes, and the kernel releases
it when a process dies, even by SIGKILL, so a crash never leaves a slot taken.

N is ``SOHOA_TESSERACT_SLOTS`` (settings ``tesseract_slots``); 0 means the number of cores.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_slot_count = 0


def lock_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"sohoa-tesseract-slots-{os.getuid()}"


def set_slot_count(count: int) -> None:
    """Set this process's slot count (0 = the number of cores); every process on the host should agree."""
    global _slot_count
    _slot_count = max(0, count)


def slot_count() -> int:
    configured = _slot_count or int(os.environ.get("SOHOA_TESSERACT_SLOTS") or 0)
    return configured if configured > 0 else (os.cpu_count() or 1)


@contextmanager
def tesseract_slot(poll_seconds: float = 0.05) -> Iterator[int]:
    """Wait for a free slot, hold it for the ``with`` block, and yield its number."""
    folder = lock_dir()
    folder.mkdir(mode=0o700, exist_ok=True)
    count = slot_count()
    while True:
        for number in range(count):
            fd = os.open(folder / f"slot-{number}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield number
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        time.sleep(poll_seconds)
