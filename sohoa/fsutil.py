"""Crash-safe file writes: write beside the target, fsync, rename, fsync the folder.

A reader (or a rerun after a crash) sees either the old file or the whole new one, never a part.
Temporary files are named ``.NAME.part-*`` so a cleanup pass can recognise and remove leftovers.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

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
        # mkstemp creates 0600: the file gets the mode of the one it replaces, or of any file the user writes (the
        # umask's: `umask 077` kept a birth extract's searchable copy from other accounts; a fixed 0644 gave it to
        # them, and widened a 0600 copy written again, QA170 F5)
        os.chmod(tmp, mode_for(target))
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def file_identity(path: Path) -> tuple[int, int, int, int] | None:
    """What tells the file at ``path`` from another written there: its device, inode, size and modification time
    (nanoseconds); None when there is none."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def mode_for(target: Path) -> int:
    """The permissions a file written to ``target`` gets: those of the file there, else 0666 less the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """This process's umask, read where Linux shows it (setting it to read it back is no thread's business)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


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
    return _create_unless_exists(target, lambda tmp: shutil.copyfile(source, tmp))


def write_unless_exists(target: Path, data: bytes) -> bool:
    """Write ``data`` to ``target`` crash-safely unless ``target`` exists; True when this call made it: as
    ``copy_unless_exists``, for a name two writers may race for (a ledger entry's sequence number, written by
    processes on two hosts sharing the archive's folder, whose per-host lock does not exclude each other)."""
    return _create_unless_exists(target, lambda tmp: tmp.write_bytes(data))


def _create_unless_exists(target: Path, fill: Callable[[Path], object]) -> bool:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name[:80]}{PART_MARKER}", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        fill(tmp)
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


class ScratchFolder:
    """``with ScratchFolder(prefix, parent) as folder:`` a private folder (0700) named ``prefix`` + random, removed
    with all in it when the block ends, as ``tempfile.TemporaryDirectory``'s — but one that a stop cannot leave
    behind. A stop (Ctrl-C, or SIGTERM raised as one by ``flows.stopping``) is raised at the first point Python looks
    for signals, and one raised right after ``mkdtemp`` made its folder, before that folder was handed to the block
    (or to its finaliser), left it for good: a `sohoa ocr` stopped so left its scratch folder in WORK (CI on
    2026-12-07, the test stopping it the moment the folder appeared, under load). Here the folder is made inside
    ``__enter__``'s own guard, which removes it when a stop comes between; Python enters the block on ``__enter__``'s
    return without looking for signals (CPython 3.11's ``BEFORE_WITH``), so ``__exit__`` removes it from there on."""

    def __init__(self, prefix: str, parent: Path | None = None) -> None:
        self.prefix = prefix
        self.parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
        self.path: Path | None = None

    def __enter__(self) -> Path:
        for _ in range(100):
            path = self.parent / f"{self.prefix}{secrets.token_hex(6)}"
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:  # another's (one chance in 2^48): nothing made here, another name
                continue
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)  # a stop raised once it was made (nothing, if mkdir failed)
                raise
            self.path = path
            return path
        raise FileExistsError(f"no free name for a scratch folder {self.prefix}* in {self.parent}")

    def __exit__(self, *exc_info: object) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


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


_held_archive_locks = threading.local()


@contextlib.contextmanager
def archive_host_lock(location: str) -> Iterator[None]:
    """The lock every sohoa process on this host writes the archive at ``location`` under (a put, a renewal, a
    ledger entry: ``flows.pipeline.archive_write_lock``) and an archive check waits on to see no write under way
    (``storage.base.BaseArchive.no_writer``): one lock, named here for both layers. While it is held the thread
    knows it (``holds_archive_lock``)."""
    lock = host_lock_file("archive", location)
    with exclusive_lock(lock):
        held: list[Path] = _held_archive_locks.__dict__.setdefault("locks", [])
        held.append(lock)
        try:
            yield
        finally:
            held.remove(lock)


def holds_archive_lock(location: str) -> bool:
    """Whether this thread holds ``archive_host_lock(location)``: for a local archive, the folder's own ``flock``,
    which every writer of the folder takes, on this host or (NFS) another (storage.claims)."""
    return host_lock_file("archive", location) in _held_archive_locks.__dict__.get("locks", [])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


NAME_MAX = 255  # bytes in one file name on ext4, XFS, btrfs and the usual NAS shares (UTF-8 on Linux)


def fit_name(stem: str, suffix: str = "", limit: int = NAME_MAX) -> str:
    """``stem + suffix`` when it fits in ``limit`` bytes; otherwise the stem cut at a character boundary,
    ``~`` and 8 hex digits of the SHA-256 of the whole name, then the suffix. Vietnamese letters take 2–3 bytes
    each, so a name an officer typed (200 characters) can be near the limit before ``.reason.txt`` or a
    uniquifying suffix is added; the hash keeps two long names that share their beginning apart. A name that is
    not valid UTF-8 (its bytes surrogate-escaped by Python, see ``readable``) is measured and kept as its bytes."""
    whole = (stem + suffix).encode("utf-8", "surrogateescape")
    if len(whole) <= limit:
        return stem + suffix
    mark = "~" + hashlib.sha256(whole).hexdigest()[:8]
    budget = max(limit - len(mark.encode("utf-8")) - len(suffix.encode("utf-8", "surrogateescape")), 0)
    cut = stem.encode("utf-8", "surrogateescape")[:budget]
    # an undecodable byte of the name stays as it was; only a character cut in half at the end is dropped
    while cut and cut[-1] >= 0x80 and not _ends_whole(cut):
        cut = cut[:-1]
    return cut.decode("utf-8", "surrogateescape") + mark + suffix


def _ends_whole(data: bytes) -> bool:
    """Whether ``data`` does not end in the middle of a UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return True
        if byte >= 0xC0:  # a lead byte: whole when its sequence is complete
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back >= need
    return True  # only continuation bytes: not UTF-8 anyway, keep them


def _raw(text: str) -> bytes | None:
    """The bytes of a name the filesystem gave Python (undecodable bytes surrogate-escaped), None when it is
    valid text already."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape") if _escaped_only(text) else text.encode("utf-8", "replace")


def _escaped_only(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


def escaped(text: str) -> str:
    """A path or name as faithful text: itself when it is valid UTF-8; otherwise its bytes with each byte that is
    not UTF-8 written ``\\xNN`` (``c\\xf4ng-v\\xe3n.jpg`` for the Latin-1 bytes of ``côngvãn``). Anything
    written (JSON, a record, a receipt, a reason file) must be valid UTF-8: a file name from an old USB stick
    or zip archive (Latin-1, CP1258) is not, and crashed sohoa."""
    raw = _raw(text)
    return text if raw is None else raw.decode("utf-8", "backslashreplace")


def said(text: str) -> str:
    """A message that quotes paths, as written for people (a reason, a receipt): ``escaped``, in NFC. A name
    typed on a Mac or copied from one is NFD (the marks apart from their letters), and a reason quoting it
    was missed by a search for the same words typed on Windows or Linux (the ``path`` keys keep the name as
    it is on disk)."""
    return unicodedata.normalize("NFC", escaped(text))


# what marks the decomposed one of two files whose names differ only in their Unicode form (QA80)
NFD_TWIN_MARK = " (NFD)"


def nfd_twin(path: Path) -> bool:
    """Whether ``path`` is spelled decomposed (NFD, as a Mac writes names), in its name or a folder's, and the same
    path composed (NFC) is there too: two files that every output, in NFC, would name alike — an officer could not
    tell which of them a line is about (QA80: one quarantined as the other, its reason lost; QA83: twin folders)."""
    spelled = str(path)
    composed = unicodedata.normalize("NFC", spelled)
    if composed == spelled:
        return False
    try:
        return os.path.lexists(composed)
    except (OSError, ValueError):
        return False


def twin_file_name(name: str) -> str:
    """A file name for the NFD twin's own file (its quarantine entry, its receipt): ``NFD_TWIN_MARK`` before the
    suffix, ``Quyết định (NFD).pdf``."""
    return f"{Path(name).stem}{NFD_TWIN_MARK}{Path(name).suffix}"


def twin_marked(shown: str, path: Path, twin: bool | None = None) -> str:
    """``shown`` (how ``path`` is named for people, in NFC) with ``NFD_TWIN_MARK`` when ``path`` is an NFD twin;
    ``twin``: whether it is, when the caller knows (the watcher does, the inbox no longer shows it)."""
    return f"{shown}{NFD_TWIN_MARK}" if (nfd_twin(path) if twin is None else twin) else shown


def readable(text: str) -> str:
    """A path or name as an officer reads it, NFC: a part that is not valid UTF-8 is read as Windows
    Vietnamese (CP1258, which a Latin-1 name reads as too, mostly), else with its odd bytes as ``\\xNN``.
    Lossy: ``escaped`` is the faithful form."""
    if _raw(text) is None:
        return unicodedata.normalize("NFC", text)
    parts = []
    for part in text.split("/"):
        raw = _raw(part)
        if raw is None:
            parts.append(part)
            continue
        try:
            parts.append(raw.decode("cp1258"))
        except UnicodeDecodeError:
            parts.append(raw.decode("utf-8", "backslashreplace"))
    return unicodedata.normalize("NFC", "/".join(parts))


def printable(text: str) -> str:
    """A name (or any text) for one line of a table or a message: ``readable``, with each control character and
    line or paragraph separator written as its escape (``\\n``, ``\\t``, ``\\x1b``, ``\\u2028``). A file
    name may hold a newline, which split its row of ``sohoa list`` in two; an escape (ESC) could restyle the
    terminal."""
    return one_line(readable(text))


def one_line(text: str) -> str:
    """``text`` with each control character and line or paragraph separator written as its escape (``\\n``,
    ``\\t``, ``\\x1b``, ``\\u2028``), as ``printable`` writes it, the rest as it is: a log line or a one-line
    message quoting a file name (``dòng1\\ndòng2.jpg``) stays one line — a newline in the name made one log
    record two lines, the second looking like a record of its own. A combining mark with no character to carry it
    — at the start, after a space or a ``/`` (a name's start), or after another such mark — is written as its escape
    too (``\\u0301``): a name made only of marks printed them onto the table's border (QA)."""
    if text.isascii() and text.isprintable():  # the usual case, quickly (isprintable is False for Cc, Zl, Zp)
        return text
    written, carried = [], False  # carried: whether the last character written can carry a mark
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            written.append(repr(ch)[1:-1])
            carried = False
        elif category[0] == "M" and not carried:
            written.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            written.append(ch)
            carried = not (ch.isspace() or ch == "/")
    return "".join(written)


class OneLineRecords(logging.Filter):
    """A log handler's filter: each record's message on one line (``one_line``), whatever the names it quotes — a
    file named ``dòng1\\ndòng2.jpg`` made ``…: ARCHIVED as …`` two lines in a log, the second read as a record of
    its own (``sohoa list`` and ``search`` already wrote it ``\\n``). A traceback (``log.exception``) is added by
    the formatter after the message, on its own lines, as before."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: logging says so when it is written
            return True
        flat = one_line(message)
        if flat != message:
            record.msg, record.args = flat, ()
        return True


def existing_spelling(path: Path) -> Path:
    """``path`` as the file system spells it, when it names a file only in another Unicode form: a name stored
    decomposed (NFD, as a Mac writes it) and typed or pasted composed (NFC, from a receipt or a report), or the
    other way round. ``path`` itself when it exists, or when no other spelling, or more than one, does: the command
    then says "no such file" as before. A path to be made (its end not there in any form) keeps the spelling of the
    folders above it that are there, the rest as given. The whole path is tried in NFC and NFD first, then each
    missing part of it in turn (a folder may be NFD and the file in it NFC), by its forms and then by the names in
    its folder."""
    text = str(path)
    if text.isascii() or path.exists() or path.is_symlink():  # an ASCII name has no other spelling
        return path
    whole = {Path(unicodedata.normalize(form, text)) for form in ("NFC", "NFD")} - {path}
    found = [candidate for candidate in whole if candidate.exists() or candidate.is_symlink()]
    if len(found) == 1:
        return found[0]
    if found:
        return path  # both spellings exist: which one was meant cannot be told
    spelled = Path(path.anchor)
    parts = path.parts[1:] if path.anchor else path.parts
    for position, part in enumerate(parts):
        here = spelled / part
        if not (here.exists() or here.is_symlink()):
            matches = _same_name_in(spelled, part)
            if not matches:
                # not there in any form: a file or folder to be made, under the folders that are there as they are
                # spelled — an output typed NFD beside an NFC folder made a second, look-alike folder (QA80)
                return spelled.joinpath(*parts[position:])
            if len(matches) > 1:
                return path
            here = spelled / matches[0]
        spelled = here
    return spelled


def spelled_output(value: Path | None) -> Path | None:
    """A command's output path (a Click callback) as ``existing_spelling`` spells it: the folders above it that are
    there in the form they are stored. An output typed NFD beside an NFC folder (or the other way round) made a
    second, look-alike folder holding only the report or package (QA80)."""
    return existing_spelling(value) if value is not None else None


def _same_name_in(folder: Path, name: str) -> list[str]:
    """The names in ``folder`` that are ``name`` in another Unicode form (its NFC, or NFD form, or any form that
    reads the same in NFC)."""
    forms = {unicodedata.normalize(form, name) for form in ("NFC", "NFD")} - {name}
    direct = [form for form in forms if (folder / form).exists() or (folder / form).is_symlink()]
    if direct:
        return direct
    wanted = unicodedata.normalize("NFC", name)
    try:
        with os.scandir(folder if str(folder) else ".") as entries:
            return [entry.name for entry in entries if unicodedata.normalize("NFC", entry.name) == wanted]
    except OSError:  # not a folder, not readable: nothing found
        return []


def path_parameter(path: Path) -> str:
    """``path`` as a flow parameter (JSON: valid UTF-8): itself, or ``escaped`` when its name is not UTF-8;
    ``from_parameter`` turns it back into the path."""
    return escaped(str(path))


def from_parameter(text: str) -> Path:
    """The path a ``path_parameter`` names: ``text`` itself when it exists, else with its ``\\xNN`` turned back
    into the bytes they stand for (a name in Latin-1 bytes)."""
    path = Path(text)
    if path.exists() or "\\x" not in text:
        return path
    raw = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    candidate = Path(os.fsdecode(raw))
    return candidate if candidate.exists() else path


def holds_bytes(fh: BinaryIO, marker: bytes) -> bool:
    """Whether the open file's bytes hold ``marker`` anywhere: read in blocks of a megabyte (a scan may be hundreds),
    the file's position kept."""
    tail, position = b"", fh.tell()
    try:
        fh.seek(0)
        while block := fh.read(1 << 20):
            if marker in tail + block:
                return True
            tail = block[-len(marker) :]
        return False
    finally:
        fh.seek(position)
