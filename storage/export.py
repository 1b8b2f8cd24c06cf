"""Export a record for auditors as a BagIt package (``bagit``), which ``bagit.py --validate`` accepts.

The bag's payload: ``data/record/`` the record's objects as archived (each read back and checked against its
recorded SHA-256), ``data/record.json`` the sidecar, ``data/ledger.json`` the custody-ledger entries of the
record, ``data/trust/`` the trust anchors (certificate files) an auditor needs to check the signature.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

import bagit

from sohoa import __version__
from sohoa.fsutil import atomic_write_bytes
from sohoa.record import Record
from storage.base import SIDECAR, BaseArchive
from storage.ledger import Ledger


def export_bag(archive: BaseArchive, record: Record, out: Path, trust_anchors: Iterable[Path] = ()) -> Path:
    """Write the bag to ``out`` (a new folder; built beside it and renamed into place)."""
    if out.exists():
        raise FileExistsError(f"{out}: already exists; choose a new folder for the export")
    staging = out.with_name(f".{out.name}.part-export")
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "record").mkdir(parents=True)
    try:
        for stored in record.objects:
            name = stored.key.rsplit("/", 1)[-1]
            atomic_write_bytes(staging / "record" / name, archive.read_verified(record, stored.role))
        (staging / SIDECAR).write_text(record.to_json(), encoding="utf-8")
        excerpt = Ledger(archive).excerpt(record.id)
        (staging / "ledger.json").write_text(json.dumps(excerpt, ensure_ascii=False, indent=1), encoding="utf-8")
        trust = staging / "trust"
        trust.mkdir()
        for anchor in trust_anchors:
            files = sorted(anchor.rglob("*")) if anchor.is_dir() else [anchor]
            for file in files:
                if file.is_file():
                    shutil.copyfile(file, trust / file.name)
        c = record.classification
        bagit.make_bag(
            str(staging),
            {
                "Source-Organization": "sohoa",
                "External-Identifier": record.id,
                "External-Description": f"{c.doc_type if c else '?'} {c.number or '' if c else ''} — "
                f"source SHA-256 {record.source.sha256}",
                "Bag-Software-Agent": f"sohoa {__version__} (bagit {bagit.VERSION})",
            },
            checksums=["sha256", "sha512"],
        )
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def validate_bag(path: Path) -> None:
    """Raise bagit.BagValidationError when the bag does not validate (payload, manifests, tag files)."""
    bagit.Bag(str(path)).validate()
