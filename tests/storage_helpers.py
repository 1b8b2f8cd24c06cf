"""Test support for the storage tests: small real records and files (no OCR, no signing)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sohoa.record import Classification, OcrResult, Record, SourceFile, record_id_for
from storage.claims import THIS_MACHINE, Claim

if TYPE_CHECKING:
    from storage.base import BaseArchive

DECISION_TEXT = (
    "ỦY BAN NHÂN DÂN XÃ AN BÌNH\nSố: 15/QĐ-UBND\nAn Bình, ngày 19 tháng 11 năm 2025\n"
    "QUYẾT ĐỊNH\nVề việc công nhận tổ hòa giải ở cơ sở\nCHỦ TỊCH ỦY BAN NHÂN DÂN XÃ"
)


def make_record(
    folder: Path,
    seed: str,
    *,
    doc_type: str = "QĐ",
    number: str | None = "15/QĐ-UBND",
    issued_on: date | None = date(2025, 11, 19),
    text: str = DECISION_TEXT,
    size: int = 2000,
) -> tuple[Record, dict[str, tuple[str, Path]]]:
    """A classified record and its three files (original scan, signed PDF, verification report)."""
    folder.mkdir(parents=True, exist_ok=True)
    original = folder / f"{seed}.png"
    original.write_bytes(hashlib.sha256(seed.encode()).digest() * (size // 32 + 1))
    sha = hashlib.sha256(original.read_bytes()).hexdigest()
    signed = folder / f"{seed}-document.pdf"
    signed.write_bytes(b"%PDF-1.7\n% signed " + seed.encode() + b"\n" + b"0" * size + b"\n%%EOF\n")
    report = folder / f"{seed}-verification.json"
    report.write_text('{"passed": true}', encoding="utf-8")
    record = Record(
        id=record_id_for(sha),
        source=SourceFile(
            name=original.name, path=str(original), sha256=sha, size=original.stat().st_size, media_type="image/png"
        ),
        ocr=OcrResult(output_pdf=str(signed), text=text, pages=[], language="vie", engine="tesseract 5.3.0"),
        classification=Classification(
            doc_type=doc_type,
            number=number,
            issued_on=issued_on,
            subject=text.splitlines()[4] if len(text.splitlines()) > 4 else None,
            confidence=0.9,
        ),
    )
    record.add_event("ingested", "sohoa", original.name)
    record.add_event("ocr", "tesseract 5.3.0", "1 page")
    record.add_event("classified", "sohoa rules", doc_type)
    record.add_event("signed", "pyHanko", "PAdES B-B")
    files = {
        "original": ("original.png", original),
        "signed": ("document.pdf", signed),
        "report": ("verification.json", report),
    }
    return record, files


def leave_claim(
    archive: BaseArchive, sha256: str, generation: int, host: str, pid: int, since: datetime, batch: str
) -> Claim:
    """A writer's claim on a scan's record (storage.claims), stored as that writer would have left it: one of this
    machine's processes when ``host`` is the archive's, else a machine of its own."""
    machine = THIS_MACHINE if host == archive.host_id else f"{host}-machine"
    claim = Claim(sha256, generation, host, pid, since, batch, machine, f"writer-{host}-{pid}")
    body = claim.body()
    archive._create(claim.key, body, hashlib.sha256(body).hexdigest(), None)
    return claim


def dead_pid() -> int:
    """The id of a process of this host that has ended (a writer killed since)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)
