"""Storage stage: the archive (one interface, two backends: local folder by default, S3), the custody ledger,
the search index, BagIt export, the fixity audit, and the quarantine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from storage.base import (
    DEFAULT_RETENTION_YEARS,
    Archive,
    ArchiveIntegrityError,
    ArchiveUnavailableError,
    BaseArchive,
    FixityReport,
    RetentionError,
    record_prefix,
)
from storage.local import LocalArchive
from storage.quarantine import QuarantineEntry, quarantine_file

if TYPE_CHECKING:
    from sohoa.settings import Settings

__all__ = [
    "DEFAULT_RETENTION_YEARS",
    "Archive",
    "ArchiveIntegrityError",
    "ArchiveUnavailableError",
    "BaseArchive",
    "FixityReport",
    "LocalArchive",
    "QuarantineEntry",
    "RetentionError",
    "archive_location",
    "fixity_audit",
    "index_archived",
    "open_configured_archive",
    "search_index_path",
    "open_archive",
    "quarantine_file",
    "record_prefix",
]


def open_archive(
    location: str | Path,
    settings: Settings | None = None,
    *,
    endpoint: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    retention: Mapping[str, int] | None = None,
) -> BaseArchive:
    """The archive at ``location``: a folder path, or ``s3://bucket/prefix`` (endpoint and keys from the
    arguments, else from settings SOHOA_S3_ENDPOINT / SOHOA_S3_ACCESS_KEY / SOHOA_S3_SECRET_KEY)."""
    if settings is not None and retention is None:
        retention = settings.retention_years
    text = str(location)
    if text.startswith("s3:/") and not text.startswith("s3://"):
        text = "s3://" + text[4:]  # an s3:// URL that went through pathlib.Path (settings.archive_dir) on the way
    if text.startswith("s3://"):
        from storage.s3 import S3Archive, make_client, parse_s3_url

        bucket, prefix = parse_s3_url(text)
        if settings is not None:
            endpoint = endpoint or settings.s3_endpoint
            access_key = access_key or settings.s3_access_key
            if secret_key is None and settings.s3_secret_key is not None:
                secret_key = settings.s3_secret_key.get_secret_value()
        if not endpoint:
            raise ArchiveUnavailableError(f"{text}: no S3 endpoint configured (set SOHOA_S3_ENDPOINT)")
        client = make_client(endpoint, access_key or "", secret_key or "")
        archive: BaseArchive = S3Archive(client, bucket, prefix, retention=retention)
    else:
        archive = LocalArchive(Path(text), retention=retention)
    if settings is not None:
        archive.tsa_url = settings.tsa_url  # the daily RFC 3161 stamp of the ledger head (storage.stamps)
    return archive


def archive_location(settings: Settings) -> str:
    """The configured archive: ``SOHOA_ARCHIVE`` (a folder or s3:// URL), else DATA_DIR/archive."""
    return settings.archive or str(settings.archive_dir)


def open_configured_archive(settings: Settings) -> BaseArchive:
    return open_archive(archive_location(settings), settings)


def search_index_path(settings: Settings) -> Path:
    return settings.search_index or settings.data_dir / "search.sqlite"


def index_archived(record: object, settings: Settings) -> None:
    """Add a just-archived record to the search index; a failure here is logged, never fatal (rebuildable)."""
    import logging

    from sohoa.record import Record
    from storage.search import SearchIndex

    if not isinstance(record, Record):
        return
    try:
        with SearchIndex(search_index_path(settings)) as index:
            index.add(record)
    except Exception as exc:  # the index is derived data: `sohoa index rebuild` restores it
        logging.getLogger(__name__).warning("record %s: not added to the search index: %s", record.id, exc)


def fixity_audit(archive: BaseArchive) -> FixityReport:
    """Re-hash every object of every record (and check the ledger chain); report any drift."""
    return archive.fixity_audit()
