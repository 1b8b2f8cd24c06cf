"""The search index's life (QA60): made again by a write while the archive holds records, damaged, rebuilt while it
is searched. Real SQLite, a real local archive, records as `sohoa process` stores them (no OCR)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import make_settings
from storage_helpers import make_record
from typer.testing import CliRunner

from classify.review import as_corrected, correct
from flows.cli import app
from flows.pipeline import run_archive
from sohoa.record import Record
from storage import LocalArchive, index_archived, open_archive
from storage.search import SearchIndex

NOTICE = "ỦY BAN NHÂN DÂN XÃ AN BÌNH\nSố: 07/TB-UBND\nTHÔNG BÁO\nVề lịch tiếp công dân tháng 12\nNơi nhận"
MINUTES = "BIÊN BẢN\nSố: 03/BB-UBND\nhọp bàn về kế hoạch của thôn\nghi chép\nhết"


def _archive_three(tmp_path: Path) -> list[str]:
    """Three records in the archive at DATA_DIR/archive, none in any search index (put as the archive stage puts)."""
    archive = open_archive(tmp_path / "archive")
    ids = []
    for seed, kwargs in (
        ("qd", {}),
        (
            "tb",
            {
                "doc_type": "TB",
                "number": "07/TB-UBND",
                "issued_on": date(2025, 3, 2),
                "text": NOTICE,
            },
        ),
        (
            "bb",
            {
                "doc_type": "BB",
                "number": "03/BB-UBND",
                "issued_on": date(2024, 6, 1),
                "text": MINUTES,
            },
        ),
    ):
        record, files = make_record(tmp_path / "in", seed, **kwargs)  # type: ignore[arg-type]
        ids.append(archive.put(record, files).id)
    return ids


def _search(tmp_path: Path, query: str, *options: str) -> tuple[int, str]:
    """Exit code, and stdout (with --json: the JSON alone) or all the output."""
    result = CliRunner().invoke(
        app,
        ["search", query, *options],
        env={"SOHOA_DATA_DIR": str(tmp_path), "COLUMNS": "400"},
    )
    return result.exit_code, result.stdout if "--json" in options else result.output


def _hits(tmp_path: Path, query: str) -> tuple[list[str], str | None]:
    code, output = _search(tmp_path, query, "--json")
    assert code == 0, output
    payload = json.loads(output)
    return sorted(h["record_id"] for h in payload["hits"]), payload.get("warning")


def _rebuild(tmp_path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["index", "rebuild"], env={"SOHOA_DATA_DIR": str(tmp_path)})
    return result.exit_code, result.output


def test_a_rebuild_puts_a_whole_new_index_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA60: `index rebuild` emptied the index and refilled it record by record: a search meanwhile saw 5, 6, 9 of
    11 records (on S3 a rebuild takes minutes). Now it builds a new file beside it and puts it in place at once: a
    search meanwhile reads the old index whole; a record archived meanwhile (its writer adds it to the old file) is
    in the new one too; nothing is left beside it, not even a file of a rebuild killed before."""
    ids = _archive_three(tmp_path)
    assert _rebuild(tmp_path)[0] == 0
    index_path = tmp_path / "search.sqlite"
    abandoned = tmp_path / f".search.sqlite.new-{_dead_pid()}-0badc0de"  # a rebuild killed midway left it
    abandoned.write_bytes(b"SQLite format 3\x00 and no more")
    seen: list[list[str]] = []
    late: list[str] = []
    read: list[Record] = []
    listed = LocalArchive.records
    settings = make_settings(tmp_path)

    def records(self: LocalArchive, damaged: object = None, missing: object = None) -> Iterator[Record]:
        for number, record in enumerate(listed(self, damaged, missing)):  # type: ignore[arg-type]
            if number == 1:
                with SearchIndex(index_path) as index:
                    seen.append(sorted(h.record_id for h in index.search("UBND")))
                new, files = make_record(
                    tmp_path / "in",
                    "late",
                    doc_type="TB",
                    number="09/TB-UBND",
                    text=NOTICE,
                )
                late.append(run_archive(new, files, settings).id)
                # an officer's correction of a record already read, indexed as `review set` does it
                correct(read[0], settings, subject="Hồ sơ sửa giữa chừng")
                index_archived(as_corrected(read[0], settings), settings)
            read.append(record)
            yield record

    monkeypatch.setattr(LocalArchive, "records", records)
    code, output = _rebuild(tmp_path)
    assert seen == [sorted(ids)]
    assert code == 0 and "4 record" in output, output
    assert _hits(tmp_path, "UBND") == (sorted([*ids, *late]), None)
    assert _hits(tmp_path, "sửa giữa chừng") == ([read[0].id], None)
    assert sorted(p.name for p in tmp_path.iterdir() if "sqlite" in p.name) == ["search.sqlite"]


def _dead_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid
