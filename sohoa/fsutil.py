"""Crash-safe file writes: write beside the target, fsync, rename, fsync the folder.

A reader (or a rerun after a crash) sees either the old file or the whole new one, never a part.
Temporary files are named ``.NAME.part-*`` so a cleanup pass can recognise and remove leftovers.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PART_MARKER = ".part-"


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable; best effort, as not every filesystem lets a folder be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` durably."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name[:80]}{PART_MARKER}", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp creates 0600; archived files are meant to be readable like any file the user writes.
        os.chmod(tmp, 0o644)
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def copy_unless_exists(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` crash-safely unless ``target`` exists; True when this call made it.

    The name is claimed with a hard link, which fails when the name is taken: a check followed by a rename lets two
    writers (threads of one batch quarantining two files of the same name) both see it free, and the later one
    replaces the earlier one's file. Where the filesystem has no hard links, the check and rename are the fallback.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name[:80]}{PART_MARKER}", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network shares)
            if target.exists():
                return False
            os.replace(tmp, target)
        fsync_dir(target.parent)
        return True
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold an ``flock`` on ``lock_file`` (made if missing) for the block. Each call opens its own descriptor, so
    threads of one process exclude each other as processes do; closing it (or the process dying) releases it."""
    with file_lock(lock_file):
        yield


@contextmanager
def file_lock(lock_file: Path, *, shared: bool = False, wait: bool = True) -> Iterator[bool]:
    """An ``flock`` on ``lock_file`` (made if missing) for the block, exclusive or ``shared``, as ``exclusive_lock``
    does; yields whether it is held: with ``wait=False`` the block runs at once, without it, when another
    descriptor (another process, or a thread of this one) holds a lock that excludes it."""
    if lock_file.is_dir():  # a folder is its own lock (host_lock_file)
        fd = os.open(lock_file, os.O_RDONLY | os.O_DIRECTORY)
    else:
        try:
            fd = os.open(lock_file, os.O_CREAT | os.O_RDWR, 0o644)
        except PermissionError:  # another user's lock file (host_lock_file): flock needs only a reading descriptor
            fd = os.open(lock_file, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def work_lock_file(work_root: Path, name: str) -> Path:
    """A lock file of the work folder, ``WORK/.locks/NAME`` (the folder made if missing): the per-content locks,
    the OCR scratch lock, the split stacks' locks. Kept when the work folder is swept."""
    folder = work_root / ".locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def host_lock_file(kind: str, location: str) -> Path:
    """What every sohoa process on this host locks for ``kind`` (``archive``, ``quarantine``) at ``location``.

    A folder is locked itself (``flock`` on the folder, made here if missing): every process that writes there
    meets the same lock whoever runs it and whatever its ``TMPDIR`` — a lock file named in the temporary folder,
    with the user id in its name, let a batch run with another ``TMPDIR`` or by another user sweep a live batch's
    temporary files and race it for ledger sequence numbers (found by exploratory testing). An ``s3:`` URL has no
    folder here: a file in ``/tmp`` (not ``$TMPDIR``), one for all users."""
    if location.startswith("s3:"):
        key = hashlib.sha256(location.encode("utf-8")).hexdigest()[:16]
        return Path("/tmp") / f"sohoa-{kind}-{key}.lock"
    folder = Path(location).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


NAME_MAX = 255  # bytes in one file name on ext4, XFS, btrfs and the usual NAS shares (UTF-8 on Linux)


def fit_name(stem: str, suffix: str = "", limit: int = NAME_MAX) -> str:
    """``stem + suffix`` when it fits in ``limit`` UTF-8 bytes; otherwise the stem cut at a character boundary,
    ``~`` and 8 hex digits of the SHA-256 of the whole name, then the suffix. Vietnamese letters take 2–3 bytes
    each, so a name an officer typed (200 characters) can be near the limit before ``.reason.txt`` or a
    uniquifying suffix is added; the hash keeps two long names that share their beginning apart."""
    whole = stem + suffix
    if len(whole.encode("utf-8")) <= limit:
        return whole
    mark = "~" + hashlib.sha256(whole.encode("utf-8")).hexdigest()[:8]
    budget = max(limit - len(mark.encode("utf-8")) - len(suffix.encode("utf-8")), 0)
    return stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore") + mark + suffix
