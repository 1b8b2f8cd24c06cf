"""Quarantine: inputs that cannot be processed are copied aside with a reason an officer can read.

``quarantine/<name>`` holds a copy of the input (the original is never deleted by a batch), and
``quarantine/<name>.reason.txt`` says what is wrong, in Vietnamese then English. Quarantining the same content
twice reuses the same entry.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sohoa.fsutil import atomic_write_text, copy_unless_exists, fit_name, sha256_file


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
    digest = source_sha256 or (sha256_file(source) if source.is_file() else "")
    name = unicodedata.normalize("NFC", source.name)
    target = quarantine_dir / name
    if source.is_file():
        target = _claim(source, digest, target)
    reason_file = target.with_name(fit_name(target.name, ".reason.txt"))  # a long name has no room for the suffix
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    atomic_write_text(
        reason_file,
        (
            f"Tệp / File: {label or source}\n"
            f"SHA-256: {digest}\n"
            f"Thời điểm / Time: {stamp}\n\n"
            f"Lý do: {reason_vi}\n"
            f"Reason: {reason_en}\n"
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
