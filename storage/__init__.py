"""Storage stage: the archive (local folder by default) and the quarantine."""

from storage.local import ArchiveIntegrityError, LocalArchive, record_prefix
from storage.quarantine import QuarantineEntry, quarantine_file

__all__ = ["ArchiveIntegrityError", "LocalArchive", "QuarantineEntry", "quarantine_file", "record_prefix"]
