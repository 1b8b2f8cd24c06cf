"""The local-folder archive (the default backend).

Layout under the archive root::

    {year}/{doc_type}/{number}--{record id}/     one folder per record (readable path)
        original.<ext>                           the scan as received
        document.pdf                             the searchable, signed PDF
        verification.json                        the verification report made right after signing
        record.json                              the sidecar: the Record model
    .by-sha256/{source sha256}.json              content-addressed index: source hash → record folder
    .staging/                                    records being written (never visible as archived)

A record is assembled in ``.staging`` and then renamed into place in one step, and only after that is the
index entry written: a crash at any point leaves either nothing, or a complete folder that the next run adopts.
Putting the same source twice returns the existing record (idempotent by content hash).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from sohoa.errors import SohoaError
from sohoa.fsutil import atomic_copy, atomic_write_text, fsync_dir, sha256_file
from sohoa.record import Record, RecordState, StoredObject

SIDECAR = "record.json"
INDEX_DIR = ".by-sha256"
STAGING_DIR = ".staging"


class ArchiveIntegrityError(SohoaError):
    """A stored object does not match the SHA-256 recorded for it."""


def _safe_component(text: str) -> str:
    """A folder name from a document number: NFC, '/' and other separators replaced, length bounded."""
    text = unicodedata.normalize("NFC", text)
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text).strip("-.")
    return cleaned[:80] or "unnumbered"


def record_prefix(record: Record) -> str:
    """``{year}/{doc_type}/{number-or-id}--{id}``: readable, and unique because it ends in the record id."""
    classification = record.classification
    year = str(classification.issued_on.year) if classification and classification.issued_on else "undated"
    doc_type = _safe_component(classification.doc_type) if classification else "unknown"
    number = _safe_component(classification.number) if classification and classification.number else "no-number"
    return f"{year}/{doc_type}/{number}--{record.id}"


class LocalArchive:
    """Archive in a local folder; the same interface the S3 backend will offer."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalArchive({str(self.root)!r})"

    @property
    def location(self) -> str:
        return str(self.root.resolve())

    # lookups -----------------------------------------------------------------------------------------
    def _index_path(self, sha256: str) -> Path:
        return self.root / INDEX_DIR / f"{sha256}.json"

    def find(self, source_sha256: str) -> Record | None:
        """The archived record for this source content, or None."""
        index = self._index_path(source_sha256)
        if not index.exists():
            return None
        prefix = json.loads(index.read_text(encoding="utf-8"))["prefix"]
        sidecar = self.root / prefix / SIDECAR
        if not sidecar.exists():
            return None
        return Record.from_json_file(sidecar)

    def records(self) -> Iterator[Record]:
        index_dir = self.root / INDEX_DIR
        if not index_dir.exists():
            return
        for entry in sorted(index_dir.glob("*.json")):
            record = self.find(entry.stem)
            if record is not None:
                yield record

    def path_of(self, record: Record, name: str) -> Path:
        if record.archive_prefix is None:
            raise ValueError(f"record {record.id} is not archived")
        return self.root / record.archive_prefix / name

    # writes ------------------------------------------------------------------------------------------
    def put(self, record: Record, files: dict[str, tuple[str, Path]]) -> Record:
        """Archive ``files`` ({role: (file name, local path)}) with the record's sidecar; idempotent.

        Returns the archived record (the existing one when this source was archived before).
        """
        existing = self.find(record.source.sha256)
        if existing is not None:
            return existing
        prefix = record_prefix(record)
        final = self.root / prefix
        if (final / SIDECAR).exists():
            # a previous run crashed after moving the folder into place but before indexing it: adopt it
            adopted = Record.from_json_file(final / SIDECAR)
            if adopted.source.sha256 == record.source.sha256:
                self._write_index(adopted)
                return adopted
        staging = self.root / STAGING_DIR / record.id
        if staging.exists():
            shutil.rmtree(staging)  # leftovers of an interrupted run; the source is still in hand
        staging.mkdir(parents=True)
        record.objects = []
        for role, (name, source) in files.items():
            target = staging / name
            atomic_copy(source, target)
            digest = sha256_file(target)
            record.objects.append(
                StoredObject(role=role, key=f"{prefix}/{name}", sha256=digest, size=target.stat().st_size)
            )
        record.archive_prefix = prefix
        record.state = RecordState.ARCHIVED
        record.add_event("archived", "sohoa local archive", f"{self.location}/{prefix}")
        atomic_write_text(staging / SIDECAR, record.to_json())
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            shutil.rmtree(final)  # an incomplete folder without a sidecar from an older crash
        staging.rename(final)
        fsync_dir(final.parent)
        self._write_index(record)
        return record

    def _write_index(self, record: Record) -> None:
        assert record.archive_prefix is not None
        atomic_write_text(
            self._index_path(record.source.sha256),
            json.dumps({"prefix": record.archive_prefix, "id": record.id}, ensure_ascii=False),
        )

    # integrity -----------------------------------------------------------------------------------------
    def verify_objects(self, record: Record) -> list[str]:
        """Problems found re-hashing every stored object of the record (empty list when all match)."""
        problems: list[str] = []
        for stored in record.objects:
            path = self.root / stored.key
            if not path.exists():
                problems.append(f"{stored.key}: missing")
            elif sha256_file(path) != stored.sha256:
                problems.append(f"{stored.key}: SHA-256 differs from the one recorded")
        return problems

    def read_verified(self, record: Record, role: str) -> bytes:
        for stored in record.objects:
            if stored.role == role:
                data = (self.root / stored.key).read_bytes()
                if hashlib.sha256(data).hexdigest() != stored.sha256:
                    raise ArchiveIntegrityError(f"{stored.key}: SHA-256 mismatch")
                return data
        raise KeyError(f"record {record.id} has no {role} object")
