"""Quarantine: inputs that cannot be processed are copied aside with a reason an officer can read.

``quarantine/<name>`` holds a copy of the input (the original is never deleted by a batch), and
``quarantine/<name>.reason.txt`` says what is wrong, in Vietnamese then English. Quarantining the same content
twice reuses the same entry.

A scan archived by a later run (the same SHA-256: a fault outside it had quarantined it, or an officer fixed what
was wrong and the same bytes came back) leaves the quarantine: ``parked_entries`` finds its entries by the
``SHA-256:`` line of their reason files, and ``release`` removes the copy and its reason file once the record is
in the archive — the quarantine lists only what still needs an officer. The record keeps what the reason said (an
event), and the log and the batch's results say what was removed.

Writes are crash-safe (``sohoa.fsutil``): a process killed in the middle of one leaves a ``.NAME.part-*`` file,
which ``remove_partials`` removes at the start of a later batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sohoa.fsutil import (
    PART_MARKER,
    atomic_write_text,
    copy_unless_exists,
    escaped,
    file_lock,
    fit_name,
    host_lock_file,
    nfd_twin,
    one_line,
    readable,
    sha256_file,
    twin_file_name,
)
from sohoa.vietnamese import iso_vn


@dataclass(frozen=True)
class QuarantineEntry:
    file: Path
    reason_file: Path
    reason_vi: str
    reason_en: str
    sha256: str | None = None  # of the content parked (None when the input was gone)


def quarantine_file(
    source: Path,
    quarantine_dir: Path,
    *,
    reason_vi: str,
    reason_en: str,
    source_sha256: str | None = None,
    label: str | None = None,
) -> QuarantineEntry:
    """Park ``source`` with its reason; ``label`` names it in the reason file when ``source`` is not the file the
    officer dropped (a document split from a scanned stack: the stack's path, #part and pages)."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(writers_lock_file(quarantine_dir), shared=True):  # see remove_partials
        return _park(source, quarantine_dir, reason_vi, reason_en, source_sha256, label)


def _park(
    source: Path, quarantine_dir: Path, reason_vi: str, reason_en: str, source_sha256: str | None, label: str | None
) -> QuarantineEntry:
    digest = source_sha256 or (sha256_file(source) if source.is_file() else "")
    name = readable(source.name)  # NFC; a name that is not UTF-8 (Latin-1 bytes) read as CP1258
    if nfd_twin(source):  # its NFC twin's entry is not its own, even for the same bytes: each keeps its reason
        name = twin_file_name(name)
    target = quarantine_dir / name
    if source.is_file():
        target = _claim(source, digest, target)
    reason_file = target.with_name(fit_name(target.name, ".reason.txt"))  # a long name has no room for the suffix
    stamp = iso_vn()  # Vietnam time, as the officers read it (the server may run in UTC)
    atomic_write_text(
        reason_file,
        (
            # each field on its line: a newline in a file name (``\\n``) made a field of its own of its second half
            f"Tệp / File: {one_line(escaped(label or str(source)))}\n"
            f"SHA-256: {digest}\n"
            f"Thời điểm / Time: {stamp}\n\n"
            f"Lý do: {one_line(escaped(reason_vi))}\n"
            f"Reason: {one_line(escaped(reason_en))}\n"
        ),
    )
    return QuarantineEntry(
        file=target, reason_file=reason_file, reason_vi=reason_vi, reason_en=reason_en, sha256=digest or None
    )


def _claim(source: Path, digest: str, target: Path) -> Path:
    """Where ``source`` is parked: ``target``, or, when another content holds that name (a file of the same name
    from another folder, an NFD twin of an NFC name), the name with 8 hex digits of the hash added — and after
    those, the whole hash. A name is only ever taken with its content (``copy_unless_exists``), so two documents
    of a batch quarantined at the same moment cannot overwrite each other; the same content reuses its entry."""
    stem, suffix = Path(target.name).stem, Path(target.name).suffix
    for candidate in (target.name, fit_name(f"{stem}-{digest[:8]}", suffix), fit_name(f"{stem}-{digest}", suffix)):
        path = target.with_name(candidate)
        if copy_unless_exists(source, path) or sha256_file(path) == digest:
            return path
    raise FileExistsError(f"{target}: three names in the quarantine taken by other content")


def writers_lock_file(quarantine_dir: Path) -> Path:
    """The lock every process writing into ``quarantine_dir`` on this host holds, shared, while it writes."""
    return host_lock_file("quarantine", str(quarantine_dir))


def remove_partials(quarantine_dir: Path) -> list[Path]:
    """Remove the ``.NAME.part-*`` files of writes into ``quarantine_dir`` that a killed process left; returns them.

    Any sohoa process may quarantine a file at any moment (a watcher beside a nightly batch), and a temporary file
    does not say whether its writer is alive. So each write holds ``writers_lock_file`` shared (writers never wait
    for each other), and this removes only while it can take the lock exclusively without waiting: then no write
    is in progress on this host and every temporary file is a dead one's. When some write is, nothing is removed;
    a later batch will."""
    if not quarantine_dir.is_dir():
        return []
    with file_lock(writers_lock_file(quarantine_dir), wait=False) as no_writer:
        if not no_writer:
            return []
        # only where sohoa writes (the top of the folder): a subfolder an officer made is theirs
        removed = [
            p for p in quarantine_dir.iterdir() if p.name.startswith(".") and PART_MARKER in p.name and p.is_file()
        ]
        for path in removed:
            path.unlink(missing_ok=True)
    return removed


REASON_SUFFIX = ".reason.txt"


@dataclass(frozen=True)
class ParkedEntry:
    """An entry of the quarantine as found on disk: its reason file, the copy it belongs to (None when that is gone,
    or holds other bytes now), the SHA-256 and time it was parked with, and its English reason."""

    reason_file: Path
    file: Path | None
    sha256: str
    time: str
    reason_en: str
    reason_vi: str = ""
    source: str = ""  # the input as it was given ("Tệp / File:")
    # listing every entry: the copy beside the reason file holds other bytes than those it was parked with
    changed: bool = False


def parked_entries(quarantine_dir: Path, sha256: str | None) -> list[ParkedEntry]:
    """The entries of the quarantine holding the content ``sha256`` (an earlier run's, under any name); every
    entry, oldest first, for None (`sohoa quarantine list`)."""
    if sha256 == "" or not quarantine_dir.is_dir():
        return []
    found = []
    # each copy by the name of its reason file, the folder listed once (it was listed again for every entry)
    copies: dict[str, list[Path]] = {}
    for path in quarantine_dir.iterdir():
        if path.is_file():
            copies.setdefault(fit_name(path.name, REASON_SUFFIX), []).append(path)
    for reason_file in sorted(quarantine_dir.glob(f"*{REASON_SUFFIX}")):
        try:
            fields = _reason_fields(reason_file.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue  # removed meanwhile, or unreadable: not ours to judge
        held = fields.get("SHA-256", "")
        if sha256 is not None and held != sha256:
            continue
        beside = [path for path in copies.get(reason_file.name, []) if path != reason_file]
        copy = next((path for path in beside if sha256_file(path) == held), None)
        changed = False
        if copy is None and sha256 is None and beside:
            # listed all the same, said changed: it was called gone, and `quarantine remove` left it for ever (QA79)
            copy, changed = beside[0], True
        found.append(
            ParkedEntry(
                reason_file,
                copy,
                held,
                fields.get("Thời điểm / Time", ""),
                fields.get("Reason", ""),
                fields.get("Lý do", ""),
                fields.get("Tệp / File", ""),
                changed,
            )
        )
    return sorted(found, key=lambda entry: entry.time) if sha256 is None else found


def _reason_fields(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        name, colon, value = line.partition(": ")
        if colon and name not in fields:
            fields[name] = value.strip()
    return fields


# one JSON line per entry `sohoa quarantine remove` took out: who, when, what and why it had been parked (QA98: a
# removal left no trace of who discarded an input, or when). A dot-file: no entry of the quarantine's listing.
REMOVALS_JOURNAL = ".removed.jsonl"


def remove_entries(quarantine_dir: Path, entries: list[ParkedEntry], actor: str = "") -> list[Path]:
    """Remove ``entries`` an officer has dealt with (`sohoa quarantine remove`): each copy — changed since it was
    parked too, the officer asked for it — then its reason file, each noted in ``REMOVALS_JOURNAL`` with ``actor``;
    returns what was removed."""
    import json

    removed: list[Path] = []
    with file_lock(writers_lock_file(quarantine_dir), shared=True):
        for entry in entries:
            gone = [path for path in (entry.file, entry.reason_file) if path is not None and path.is_file()]
            if not gone:
                continue
            noted = {
                "at": iso_vn(),
                "actor": actor,
                "file": entry.file.name if entry.file is not None else None,
                "sha256": entry.sha256,
                "parked_at": entry.time,
                "reason": entry.reason_en,
                "reason_vi": entry.reason_vi,
                "from": entry.source,
            }
            # noted before the files go: a removal is never untraced, a note may stand for one cut short
            with (quarantine_dir / REMOVALS_JOURNAL).open("a", encoding="utf-8") as journal:
                journal.write(json.dumps(noted, ensure_ascii=False) + "\n")
            for path in gone:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def release(quarantine_dir: Path, entries: list[ParkedEntry]) -> list[Path]:
    """Remove ``entries`` (of a scan now archived) from the quarantine: each copy, then its reason file; returns
    what was removed. A copy is removed only while it still holds the archived bytes."""
    removed: list[Path] = []
    with file_lock(writers_lock_file(quarantine_dir), shared=True):
        for entry in entries:
            if entry.file is not None and entry.file.is_file() and sha256_file(entry.file) == entry.sha256:
                entry.file.unlink(missing_ok=True)
                removed.append(entry.file)
            entry.reason_file.unlink(missing_ok=True)
            removed.append(entry.reason_file)
    return removed
