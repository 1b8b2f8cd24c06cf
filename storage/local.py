"""The local-folder archive (the default backend).

Layout under the archive root (see storage.base for what both backends share)::

    {year}/{doc_type}/{number}--{record id}/     one folder per record (readable path)
        original.<ext>, document.pdf, verification.json, record.json
    .by-sha256/{source sha256}.json              content-addressed index: source hash → record folder
    .ledger/{seq}.json                           the custody ledger
    .retention/{key}.json                        retention date and legal hold of each object

Every file is written beside its target, fsynced and renamed into place (sohoa.fsutil), then read back and
re-hashed. **Retention and legal hold are enforced in software here**: this backend refuses to delete a retained
or held object or to replace it with other content, but anyone with write access to the folder can still change
files behind its back (the ledger and the fixity audit will show it). For enforced WORM storage use S3 with
object lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from sohoa.fsutil import PART_MARKER, atomic_write_bytes, sha256_file, write_unless_exists
from sohoa.record import Record
from storage.base import (
    _RECORD_FOLDER,
    CLAIMS_DIR,
    INDEX_DIR,
    LEDGER_DIR,
    ArchiveIntegrityError,
    ArchiveUnavailableError,
    BaseArchive,
    ObjectInfo,
    ObjectTaken,
    RetentionError,
    record_prefix,
)

RETENTION_DIR = ".retention"
STAGING_DIR = ".staging"  # kept for compatibility: older versions assembled records here

__all__ = ["ArchiveIntegrityError", "LocalArchive", "record_prefix"]


class LocalArchive(BaseArchive):
    """Archive in a local (or mounted) folder."""

    # every writer locks the folder itself (sohoa.fsutil.host_lock_file): on one machine, and on an NFS share from
    # every host that mounts it (its flock is the server's lock)
    one_lock_for_all_writers = True
    retention_in_files = True  # .retention/{key}.json: files anyone with the folder can edit

    OWN_KEYS = (
        *BaseArchive.OWN_KEYS,
        # the retention record of each object (one of an object deleted by hand stays, as the evidence of it)
        re.compile(rf"{re.escape(RETENTION_DIR)}/.+\.json"),
        # older versions assembled a record in .staging/{record id}/ and moved it into place: a crashed run's
        # leftovers are sohoa's, not an intruder's
        re.compile(rf"{re.escape(STAGING_DIR)}/[0-9a-f]{{16}}/[^/]+"),
    )

    def __init__(self, root: Path, retention: Mapping[str, int] | None = None) -> None:
        super().__init__(retention)
        self.root = root

    def __repr__(self) -> str:
        return f"LocalArchive({str(self.root)!r})"

    @property
    def location(self) -> str:
        return str(self.root.resolve())

    def exists(self) -> bool:
        """Whether an archive was ever written here, as ``S3Archive.exists`` tells it of a prefix: the folder holds
        ``.ledger/``, ``.by-sha256/`` or ``.retention/`` (every archived record leaves all three; one of them left
        is an archive someone emptied, to be audited and the removal named), or a record's folder (a first put
        killed before its ledger entries). An empty folder, a data folder given for its archive, a year folder of
        an archive, a folder of reports, was taken for an archive as soon as it existed, and its audit and
        `ledger verify` passed: "0 records: OK" (QA99). Reads only; creates nothing."""
        if self.has_archive_folders():
            return True
        if not self.root.is_dir():
            return False
        try:
            for folder in self.root.glob("*/*/*--*"):
                if _RECORD_FOLDER.fullmatch(folder.relative_to(self.root).as_posix()) and folder.is_dir():
                    return True
        except OSError:  # a folder that vanished or cannot be listed under it: no record folder seen there
            return False
        return False

    def has_archive_folders(self) -> bool:
        """Whether the folder holds ``.ledger/``, ``.by-sha256/``, ``.retention/`` or a writer's claim in ``.claims/``:
        a cheap look (no listing of the record folders), for telling whether a folder lies inside an archive."""
        try:
            if any((self.root / folder).is_dir() for folder in (LEDGER_DIR, INDEX_DIR, RETENTION_DIR)):
                return True
            # a writer's claim, left by a first put killed before anything else (QA100: "no archive", where `ledger
            # finish` would have cleared it): an archive being written. An emptied .claims/ is none
            return any((self.root / CLAIMS_DIR).glob("*.json"))
        except OSError:
            return False

    def path_of(self, record: Record, name: str) -> Path:
        if record.archive_prefix is None:
            raise ValueError(f"record {record.id} is not archived")
        return self.root / record.archive_prefix / name

    # ---- primitives ---------------------------------------------------------------------------------
    def _retention_file(self, key: str) -> Path:
        return self.root / RETENTION_DIR / f"{key}.json"

    def _info(self, key: str) -> ObjectInfo | None:
        path = self.root / key
        if not path.is_file():
            return None
        info = ObjectInfo(key=key, size=path.stat().st_size)
        meta = self._retention_file(key)
        if meta.exists() and not meta.is_file():
            # a folder or a FIFO put there: reading it crashed the audit (a folder) or hung it for ever (QA82)
            info.retain_until, info.legal_hold = None, True
            info.unreadable = f"its retention record {RETENTION_DIR}/{key}.json is not a file"
        elif not meta.exists():
            info.no_retention_record = True
        else:
            try:
                raw = json.loads(meta.read_text(encoding="utf-8"))
                until = raw.get("retain_until")
                info.retain_until = datetime.fromisoformat(until) if until else None
                if info.retain_until is not None and info.retain_until.tzinfo is None:
                    info.retain_until = info.retain_until.replace(tzinfo=UTC)  # written in UTC; aware, to compare
                info.legal_hold = bool(raw.get("legal_hold"))
            except (ValueError, TypeError, AttributeError, UnicodeDecodeError, OSError) as exc:
                # edited by hand into something that is no retention record (QA79: the audit ended in an internal
                # error on the tampering it is there to find): named, and held as protecting the object — a
                # record of retention nobody can read may not be taken for none
                info.retain_until, info.legal_hold = None, True
                info.unreadable = f"its retention record {RETENTION_DIR}/{key}.json is unreadable: {exc}"
        return info

    def _protected(self, info: ObjectInfo) -> str | None:
        if info.unreadable is not None:
            return info.unreadable
        if info.legal_hold:
            return "it is under legal hold"
        if info.retain_until and info.retain_until > datetime.now(UTC):
            return f"it is retained (COMPLIANCE) until {info.retain_until.date().isoformat()}"
        return None

    def _write(self, key: str, source: Path | bytes, sha256: str, retain: datetime | None) -> None:
        target = self.root / key
        try:
            info = self._info(key)
            if info is not None:
                if sha256_file(target) == sha256:
                    return  # same content already there (idempotent)
                reason = self._protected(info)
                if reason:
                    raise RetentionError(f"{key}: refusing to overwrite with other content: {reason}")
            data = source if isinstance(source, bytes) else source.read_bytes()
            if retain is not None:  # before the object: a crash in between must not leave it unretained
                self._write_meta(key, retain_until=retain.isoformat(), legal_hold=False)
            atomic_write_bytes(target, data)
            if sha256_file(target) != sha256:
                raise ArchiveIntegrityError(f"{key}: read-back SHA-256 differs from the one written")
        except OSError as exc:
            if exc.filename is None:  # the file it met a full disk on, for the document's reason (machine_fault_words)
                exc.filename = str(target)
            raise ArchiveUnavailableError(f"{key}: cannot write to {self.location}: {exc}") from exc

    def _create(self, key: str, data: bytes, sha256: str, retain: datetime | None) -> None:
        # The entry first, its retention record after it (other objects: the other way round). A retention record
        # whose object is gone is the evidence of a deleted entry (``_vanished_keys``): written first, a process
        # killed before the entry left exactly that, and the ledger reported "entry N removed" for ever. Now such a
        # kill leaves at most the newest entry without retention, which the next writer retains
        # (``_finish_ledger_head``) before it appends. Created under its name only if the name is free (a hard link):
        # processes on two hosts sharing the folder do not exclude each other by the per-host lock, and a check then
        # a rename let both write the same sequence number, the later entry replacing the earlier (QA71, on S3)
        target = self.root / key
        try:
            created = write_unless_exists(target, data)
            if sha256_file(target) != sha256:  # read back once: another writer's entry, or this one damaged
                if not created:
                    raise ObjectTaken(f"{key}: written meanwhile by another writer")
                raise ArchiveIntegrityError(f"{key}: read-back SHA-256 differs from the one written")
        except OSError as exc:
            if exc.filename is None:
                exc.filename = str(target)
            raise ArchiveUnavailableError(f"{key}: cannot write to {self.location}: {exc}") from exc
        if retain is not None:
            self._write_meta(key, retain_until=retain.isoformat(), legal_hold=False)

    def _age(self, key: str) -> float | None:
        try:  # the folder's clock: a share's server sets the time a file is written
            return time.time() - (self.root / key).stat().st_mtime
        except OSError:
            return None

    def _finish_ledger_head(self, key: str, retain: datetime) -> None:
        info = self._info(key)
        if info is not None and info.retain_until is None:
            self._write_meta(key, retain_until=retain.isoformat(), legal_hold=info.legal_hold)

    def _write_meta(self, key: str, **values: object) -> None:
        meta = self._retention_file(key)
        current = json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}
        current.update(values)
        atomic_write_bytes(meta, json.dumps(current).encode())

    def _read(self, key: str) -> bytes | None:
        path = self.root / key
        try:
            if path.exists() and not path.is_file():
                # a folder (or a FIFO) put where an object was: no object there, as ``_info`` and the fixity check
                # say (QA134 F2: the audit ended that record's check in a traceback and said its fixity "ok", and
                # `verify --archive` gave no report at all: "the archive cannot be read")
                return None
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:  # the archive is not usable (not a folder, no permission): no input's fault
            raise ArchiveUnavailableError(f"{key}: cannot read from {self.location}: {exc}") from exc

    def _stored_sha256(self, key: str) -> str | None:
        path = self.root / key
        return sha256_file(path) if path.is_file() else None

    def _keys(self, prefix: str) -> Iterator[str]:
        folder, _, start = prefix.rpartition("/")
        base = self.root / folder
        if not self._is_folder(base):
            return
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in sorted(filenames):
                key = f"{rel}/{name}" if rel != "." else name
                if key.startswith(prefix) and ".part-" not in name:
                    yield key

    def _is_folder(self, path: Path) -> bool:
        """Whether ``path`` (in the archive) is a folder: False when it, or the part of it nearest to it that
        exists, is missing — a fresh archive has no ``.ledger/`` yet, a record no ``added/`` —; but a file (or a
        link to nothing) where a folder should be is ``ArchiveUnavailableError``, naming it. It used to be listed
        as empty: with ``.by-sha256`` replaced by a file, `sohoa list` said no records and `get` "not in the
        archive", exit 0 and 1, as if nothing were wrong."""
        for part in (path, *path.parents):
            if part.is_dir():
                return part == path
            if part.exists() or part.is_symlink():
                if part.is_dir():  # made between the two looks by another writer (the first claim's .claims/)
                    return part == path
                raise ArchiveUnavailableError(
                    f"{part}: là một tệp, không phải thư mục / is a file, not a folder: the archive at "
                    f"{self.location} keeps a folder there"
                )
            if part == self.root:
                return False
        return False

    def _delete(self, key: str) -> None:
        info = self._info(key)
        if info is None:
            return
        reason = self._protected(info)
        if reason:
            raise RetentionError(f"{key}: refusing to delete: {reason}")
        (self.root / key).unlink()
        self._retention_file(key).unlink(missing_ok=True)

    def delete_record(self, record: Record, actor: str = "sohoa", reason: str = "") -> None:
        """As every archive's, and the record's emptied folders go too, with their retention records' twins (QA76:
        `2025/CV/118-…--id/` and its `.retention/` twin were left behind, empty)."""
        super().delete_record(record, actor, reason)
        if record.archive_prefix:
            for folder in (self.root / record.archive_prefix, self.root / RETENTION_DIR / record.archive_prefix):
                for inside, _, _ in sorted(os.walk(folder), key=lambda found: -len(found[0])):
                    with contextlib.suppress(OSError):  # not empty (something put there by hand): kept, and named
                        os.rmdir(inside)

    def _set_legal_hold(self, key: str, on: bool) -> None:
        if self._info(key) is None:
            raise ArchiveIntegrityError(f"{key}: missing, cannot set legal hold")
        self._write_meta(key, legal_hold=on)

    def _vanished_keys(self, prefix: str) -> list[str]:
        """A folder cannot refuse a deletion as an object-locked bucket does; but the retention record written
        beside each object (``.retention/KEY.json``) usually outlives a hand-deleted object, and names it."""
        found: list[str] = []
        for key in (k.removeprefix(f"{RETENTION_DIR}/") for k in self._keys(f"{RETENTION_DIR}/{prefix}")):
            if key.endswith(".json") and not (self.root / key.removesuffix(".json")).is_file():
                found.append(key.removesuffix(".json"))
        return found

    def remove_partials(self) -> list[Path]:
        """Remove ``.NAME.part-*`` files left by a process killed in the middle of a write (one writer per
        archive is assumed, so none is being written now); returns what was removed."""
        removed = [p for p in self.root.rglob(f"*{PART_MARKER}*") if p.is_file()]
        for path in removed:
            path.unlink(missing_ok=True)
        return removed

    def _set_retention(self, key: str, retain: datetime) -> None:
        info = self._info(key)
        if info is None:
            raise ArchiveIntegrityError(f"{key}: missing, cannot set retention")
        if info.retain_until is None or info.retain_until < retain:
            self._write_meta(key, retain_until=retain.isoformat())
