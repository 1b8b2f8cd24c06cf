"""Storage stage: the archive (one interface, two backends: local folder by default, S3), the custody ledger,
the search index, BagIt export, the fixity audit, and the quarantine."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from storage.base import (
    DEFAULT_RETENTION_YEARS,
    AmbiguousRecordIdError,
    Archive,
    ArchiveConfigError,
    ArchiveIntegrityError,
    ArchiveUnavailableError,
    BaseArchive,
    DamagedRecord,
    DamagedRecordError,
    FixityReport,
    RecordChangedError,
    RetentionError,
    record_prefix,
)
from storage.local import LocalArchive
from storage.quarantine import QuarantineEntry, quarantine_file

if TYPE_CHECKING:
    from sohoa.settings import Settings

__all__ = [
    "DEFAULT_RETENTION_YEARS",
    "AmbiguousRecordIdError",
    "Archive",
    "ArchiveConfigError",
    "ArchiveIntegrityError",
    "RecordChangedError",
    "ArchiveUnavailableError",
    "DamagedRecord",
    "DamagedRecordError",
    "BaseArchive",
    "FixityReport",
    "LocalArchive",
    "QuarantineEntry",
    "RetentionError",
    "archive_display",
    "archive_exists",
    "archive_hints",
    "no_archive_said",
    "archive_location",
    "archived_sha256s",
    "check_archive_location",
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
    text = _s3_text(str(location))
    if text.startswith("s3://"):
        from storage.locations import parse_s3_url
        from storage.s3 import S3Archive, make_client

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
        archive.other_hosts_settle_seconds = settings.archive_settle_seconds
    return archive


def check_archive_location(location: str | Path, settings: Settings | None = None) -> None:
    """Refuse, without contacting anything, an archive location that cannot work whatever the server does — an
    ``s3://`` URL without a bucket or with a bucket name S3 forbids, or no S3 endpoint configured — as
    ``storage.locations.S3LocationError``: a usage error for the command line (exit 2), checked before the first
    document; a rerun would not fix it (an invalid bucket name used to fail every document as "S3 server
    unreachable", to be retried)."""
    text = _s3_text(str(location))
    if not text.startswith("s3://"):
        return
    from storage.locations import S3LocationError, parse_s3_url

    parse_s3_url(text)
    if settings is not None and not settings.s3_endpoint:
        raise S3LocationError(f"{text}: chưa cấu hình máy chủ S3 / no S3 endpoint configured (set SOHOA_S3_ENDPOINT)")


def archive_exists(archive: BaseArchive) -> bool:
    """Whether anything was ever archived at ``archive`` (read only: creates nothing).
    S3: the bucket exists and the prefix holds ledger or index objects (``S3Archive.exists``); a local folder holds
    the same (``LocalArchive.exists``: an existing empty or foreign folder is no archive)."""
    if isinstance(archive, LocalArchive):
        return archive.exists()
    from storage.s3 import S3Archive

    return archive.exists() if isinstance(archive, S3Archive) else True


def no_archive_said(archive: BaseArchive, settings: Settings | None = None) -> str:
    """What every command says of a location that holds no archive (exit 2), in both languages, with what the
    location looks like instead (``archive_hints``): a folder or prefix inside an archive (a year or type folder
    given for the archive, whose records `verify --archive-at` called "put there by hand"), a data folder holding
    one, or a location the search index (``settings``) still lists records of — an archive deleted with its folder
    left (QA99: it passed audit). Without a hint it says what it found — no ledger, index or record — not that
    nothing was ever archived there, which an emptied folder cannot tell (QA100)."""
    where = archive.root if isinstance(archive, LocalArchive) else archive.location
    hints = archive_hints(archive, settings) or [
        (
            "không có sổ nhật ký, chỉ mục hay hồ sơ nào ở đó: hãy kiểm tra --archive hoặc SOHOA_ARCHIVE",
            "no ledger, index or record there: check --archive or SOHOA_ARCHIVE",
        )
    ]
    said_vi = "; ".join([f"không có kho lưu trữ tại {where}", *(vi for vi, _ in hints)])
    said_en = "; ".join([f"no archive at {where}", *(en for _, en in hints)])
    return f"{said_vi} / {said_en}"


def archive_hints(archive: BaseArchive, settings: Settings | None = None) -> list[tuple[str, str]]:
    """What a location that holds no archive looks like instead, (Vietnamese, English) each: inside an archive, a
    data folder holding one, or a location the search index still lists records archived at. `process` refuses
    such a location (it would start a second archive nested in the first, or a new one where one was deleted:
    QA100); the read commands say it beside "no archive at"."""
    hints: list[tuple[str, str]] = []
    if isinstance(archive, LocalArchive):
        root = archive.root.absolute()
        above = next((parent for parent in root.parents if LocalArchive(parent).has_archive_folders()), None)
        if above is not None:
            hints.append(
                (
                    f"thư mục này nằm trong kho lưu trữ {above}: hãy chỉ ra chính thư mục kho",
                    f"this folder is inside the archive at {above}: give the archive's own folder",
                )
            )
        elif LocalArchive(root / "archive").exists():
            hints.append(
                (
                    f"nó chứa một kho lưu trữ tại {root / 'archive'} (thư mục dữ liệu thay cho kho?)",
                    f"it holds an archive at {root / 'archive'} (a data folder given for its archive?)",
                )
            )
        if settings is not None:
            hints += _inside_own_folders(root, settings)
    elif getattr(archive, "prefix", "") and "storage.s3" in sys.modules:  # an S3 archive: its SDK loaded already
        hints += _s3_hints(archive)
    if settings is not None:
        from storage.search import indexed_archive, indexed_records

        index = search_index_path(settings)
        known = indexed_records(index) if indexed_archive(index) == settings.archive_identity else 0
        if known:
            hints.append(
                (
                    f"nhưng chỉ mục tìm kiếm {index} còn ghi {known} hồ sơ đã lưu ở đó: kho có thể đã bị xóa, hãy "
                    "khôi phục từ bản sao lưu (muốn lập kho mới ở đó thì xóa chỉ mục tìm kiếm đó)",
                    f"yet the search index {index} lists {known} records archived there: the archive may have been "
                    "deleted; restore it from a backup (to start a new archive there on purpose, delete that search "
                    "index)",
                )
            )
    return hints


def _inside_own_folders(root: Path, settings: Settings) -> list[tuple[str, str]]:
    """A local archive's folder inside sohoa's work folder, whose leftovers each run removes, or its quarantine, whose
    files are scans to retry (QA145: `--archive DATA/quarantine/x` was taken)."""
    root = root.resolve()  # "DATA/x/../quarantine/kho", a link to the work folder (QA146 F4)
    for folder, vietnamese, english in (
        (settings.work_path, "thư mục làm việc", "work folder"),
        (settings.quarantine_path, "thư mục cách ly", "quarantine folder"),
    ):
        folder = folder.resolve()
        if root == folder or folder in root.parents:
            return [
                (
                    f"thư mục này nằm trong {vietnamese} {folder} của sohoa: hãy chọn một thư mục kho ở ngoài",
                    f"this folder is inside sohoa's {english} {folder}: choose an archive folder outside it",
                )
            ]
    return []


def _s3_hints(archive: BaseArchive) -> list[tuple[str, str]]:
    """``archive_hints`` of an S3 prefix: the archive it lies inside, if any (one listing per level up)."""
    from storage.s3 import S3Archive

    if not isinstance(archive, S3Archive):
        return []
    parts = archive.prefix.split("/")
    for n in range(len(parts) - 1, -1, -1):
        outer = S3Archive(archive.client, archive.bucket, "/".join(parts[:n]))
        if outer.has_archive_folders():
            return [
                (
                    f"tiền tố này nằm trong kho lưu trữ {outer.location}: hãy chỉ ra chính kho đó",
                    f"this prefix is inside the archive at {outer.location}: give the archive's own prefix",
                )
            ]
    return []


def _s3_text(text: str) -> str:
    if text.startswith("s3:/") and not text.startswith("s3://"):
        return "s3://" + text[4:]  # an s3:// URL that went through pathlib.Path (settings.archive_dir) on the way
    return text


def archive_location(settings: Settings) -> str:
    """The configured archive: ``SOHOA_ARCHIVE`` (a folder or s3:// URL), else DATA_DIR/archive."""
    return settings.archive_location


def archive_display(settings: Settings) -> str:
    """The configured archive as a report shows it: an ``s3://bucket/prefix`` URL as such, a folder as an absolute
    path. (``settings.archive_dir`` is a Path: an S3 archive printed through it read ``/cwd/s3:/bucket/prefix``.)"""
    location = _s3_text(archive_location(settings))
    return location if location.startswith("s3://") else str(Path(location).resolve())


def open_configured_archive(settings: Settings) -> BaseArchive:
    return open_archive(archive_location(settings), settings)


def search_index_path(settings: Settings) -> Path:
    return settings.search_index or settings.data_dir / "search.sqlite"


def archived_sha256s(archive: BaseArchive) -> Iterator[str]:
    """The source SHA-256 of each record the archive's index lists (its ``.by-sha256`` entries), in order: the
    listing alone, no record read."""
    return archive.indexed_sha256s()


def index_archived(record: object, settings: Settings, *, unless_indexed: bool = False) -> bool:
    """Add an archived record to the search index (``unless_indexed``: only when it is not there yet); whether it
    was added. A failure here is logged, never fatal (rebuildable). An index made here, where there was none, is
    complete only when the archive holds no other record (QA60: one deleted was made again holding one record, and
    `search` answered "0 results" for the others); `search` says so of an index that is not."""
    import logging

    from sohoa.record import Record
    from storage.search import SearchIndex, is_damage

    if not isinstance(record, Record):
        return False

    def alone() -> bool:  # the archive's first two index entries: none but this record's
        try:
            first = itertools.islice(archived_sha256s(open_configured_archive(settings)), 2)
            return all(sha == record.source.sha256 for sha in first)
        except Exception:  # cannot tell: not known to be complete
            return False

    path = search_index_path(settings)
    try:
        with SearchIndex(path, complete_if_new=alone, archive=settings.archive_identity) as index:
            if unless_indexed and index.contains(record.id):
                return False
            index.add(record)
            return True
    except Exception as exc:  # the index is derived data: `sohoa index rebuild` restores it
        why, why_vi = (f"the index is damaged: {exc}", f"chỉ mục bị hỏng: {exc}") if is_damage(exc) else (exc, exc)
        logging.getLogger(__name__).warning(
            "hồ sơ %s: chưa được đưa vào chỉ mục tìm kiếm (%s), hãy chạy sohoa index rebuild / record %s: not added "
            "to the search index %s (%s); run sohoa index rebuild",
            record.id,
            why_vi,
            record.id,
            path,
            why,
        )
        return False


def fixity_audit(archive: BaseArchive) -> FixityReport:
    """Re-hash every object of every record (and check the ledger chain); report any drift."""
    return archive.fixity_audit()
