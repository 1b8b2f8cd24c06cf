"""What becomes of a stack's pages that are no document (QA53): a blank part (a separator's back, fed duplex)
reported by ``watch`` as by ``process``, a stack judged whole leaving no split folder behind, and the log and
receipt names around them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from flows.intake import DEFAULT_CODE, split_stack
from flows.pipeline import BatchReport, batch_documents, process_many
from flows.watch import _log, receipt_file_name
from tests.conftest import make_settings
from tests.test_operations_intake import CODE, page, separator, stack_pdf
from tests.test_stack_parts import blank_back
from tests.test_watch_intake import drop, sohoa


def test_separators_fed_duplex_leave_no_split_folder(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """QA53: a stack of separators and their blank backs, judged whole after its parts were written, left its folder
    in WORK/stacks/, and the next run warned it was "left by an interrupted run"."""
    duplex = stack_pdf(tmp_path / "tờ phân cách.pdf", [separator(), blank_back(1), separator(), blank_back(2)])
    work = tmp_path / "work"
    assert split_stack(duplex, work, CODE) == [duplex]  # without a holder: removed at once
    assert list((work / "stacks").iterdir()) == []
    settings = make_settings(tmp_path / "var", separator_code=CODE)
    with batch_documents([duplex], settings) as found:  # a batch's: removed when it ends
        assert list(found) == [duplex]
    assert list((settings.work_path / "stacks").iterdir()) == []
    with caplog.at_level(logging.WARNING, logger="sohoa"), batch_documents([], settings) as found:
        assert list(found) == []
    assert "interrupted" not in caplog.text


def test_process_json_names_a_dropped_part_by_the_stack_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dropped_pages[].stack`` was the path as typed, ``files[].path`` of the stack's documents absolute: they could
    not be joined; then (2026-12-01) absolute, beside single files' ``path`` as typed and its own ``reason`` as typed
    (QA93 F5). As given now, as every ``path`` of the report and the log's words are."""
    monkeypatch.chdir(tmp_path)
    stack_pdf(tmp_path / "hai mặt.pdf", [page("Văn bản A"), separator(), blank_back(1), separator(), page("B")])
    report = BatchReport()
    split_stack(Path("hai mặt.pdf"), tmp_path / "work", CODE, shown="hai mặt.pdf", dropped=report.dropped)
    (dropped,) = report.to_json_dict()["dropped_pages"]
    assert dropped["stack"] == "hai mặt.pdf" and dropped["part"] == 2 and dropped["pages"] == [3]
    assert dropped["reason"].startswith("hai mặt.pdf: page 3 dropped: blank")  # the log's words, as typed


def test_a_dropped_part_is_printed_with_the_stack_named_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: the line under the `process` table said the stack's path in each language's half ("/…/s3.pdf: bỏ trang 3
    … / /…/s3.pdf: page 3 dropped…"); said once now, by `process` and `watch` alike."""
    from flows import cli

    monkeypatch.chdir(tmp_path)
    stack_pdf(tmp_path / "s3: hai mặt.pdf", [page("Văn bản A"), separator(), blank_back(1), separator(), page("B")])
    report = BatchReport()
    where = str(tmp_path / "s3: hai mặt.pdf")
    split_stack(Path(where), tmp_path / "work", CODE, shown=where, dropped=report.dropped)
    (dropped,) = report.to_json_dict()["dropped_pages"]
    counts = dict.fromkeys(("total", "archived", "already_archived", "quarantined", "failed"), 0)
    payload = {"files": [], "dropped_pages": [dropped], "counts": counts, "archive": "a", "quarantine": "q"}
    with cli.out.capture() as printed:
        cli._print_or_table(payload, as_json=False)
    line = " ".join(next(x for x in printed.get().splitlines() if "bỏ trang 3" in x).split())
    assert line.count(where) == 1 and line.startswith(f"{where}: bỏ trang 3: trang trắng"), line
    assert line.endswith(
        " / page 3 dropped: blank (the back of a separator sheet, fed duplex), no document (document 2 of the split: "
        "the documents after it keep their numbers)"
    ), line
    # QA93 F6: the part's number said, so a table of "văn bản 1", "văn bản 3" has its document 2 accounted for
    assert "(văn bản 2 khi tách: các văn bản sau giữ số của mình)" in line, line
    from flows.intake import dropped_line  # watch's summary line says it so too

    assert " ".join(dropped_line(dropped).split()) == line


def test_the_default_separator_text_is_warned_about_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With SOHOA_SEPARATOR_CODE changed, a sheet printed with the default text was warned about twice, in two
    wordings: at the split and by the pipeline. Once now; the record still gets its review reason."""
    from flows.pipeline import _note_default_code
    from sohoa.record import Record

    old = stack_pdf(tmp_path / "cũ.pdf", [page("Văn bản A"), separator(DEFAULT_CODE), page("Văn bản B")])
    settings = make_settings(tmp_path / "var", separator_code="PHONG-TU-PHAP")
    record = Record.model_construct(needs_review=False, review_reasons=[])
    with caplog.at_level(logging.WARNING, logger="sohoa"):
        assert split_stack(old, tmp_path / "work", settings.separator_code) == [old]
        _note_default_code(old, record, settings, str(old))
    said = [r for r in caplog.records if "page 2" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(said) == 1, [r.getMessage() for r in said]
    assert record.needs_review and "page 2 bears a code reading 'SOHOA-SEPARATOR'" in record.review_reasons[0]


def test_a_quarantined_files_summary_line_gives_the_reason(caplog: pytest.LogCaptureFixture) -> None:
    receipt = {"file": "a.pdf", "document": None, "outcome": "quarantined", "record_id": None}
    with caplog.at_level(logging.INFO, logger="sohoa"):
        _log([receipt | {"reason": "a.pdf: only separators", "reason_vi": "a.pdf: chỉ tờ phân cách"}])
    assert "a.pdf: cách ly / quarantined — a.pdf: chỉ tờ phân cách / a.pdf: only separators" in caplog.text
    with caplog.at_level(logging.INFO, logger="sohoa"):
        _log([{"file": "b.png", "document": None, "outcome": "already_archived", "record_id": "d1e2f3a4b5c6d7e8"}])
    assert "b.png: đã lưu trước đó / already archived d1e2f3a4b5c6d7e8" in caplog.text  # not the receipt's value


def test_a_stack_documents_receipt_is_named_by_the_stack_and_number() -> None:
    receipt = {"sha256": "ab" * 32, "document": 3}
    assert receipt_file_name(receipt, Path("A.pdf#3.pdf")) == "abababababababab-A.pdf#3.receipt.json"
    assert receipt_file_name({"sha256": "ab" * 32}, Path("A.pdf")) == "abababababababab-A.pdf.receipt.json"


@pytest.mark.integration
def test_watch_reports_a_stacks_blank_part_as_process_does(tmp_path: Path) -> None:
    """QA53: ``watch`` said nothing of a stack's blank part but an INFO line at the split: receipts for documents 1
    and 3, no word of page 3 in the outbox or in --json."""
    stack = stack_pdf(
        tmp_path / "hai mặt.pdf",
        [
            page("THÔNG BÁO\nVề lịch tiếp công dân"),
            separator(),
            blank_back(1),
            separator(),
            page("GIẤY MỜI\nHọp tổ dân phố số 3"),
        ],
    )
    inbox, data = tmp_path / "inbox", tmp_path / "var"
    drop(stack, inbox / "hộ tịch" / stack.name)
    result = sohoa("watch", inbox, "--once", "--stable-seconds", "0", "--json", data_dir=data)
    payload = json.loads(result.stdout)
    where = str(inbox / "hộ tịch" / stack.name)
    (dropped,) = payload["dropped_pages"]
    assert (dropped["stack"], dropped["part"], dropped["pages"]) == (where, 2, [3]), payload
    assert "page 3 dropped: blank" in dropped["reason"] and "bỏ trang 3" in dropped["reason_vi"]
    receipts = payload["receipts"]
    assert sorted(r["document"] for r in receipts) == [1, 3]
    for receipt in receipts:
        assert receipt["dropped_pages"] == [dropped], receipt
        assert "Không lưu trang 3 của tệp hộ tịch/hai mặt.pdf: trang trắng" in receipt["message_vi"]
        assert "Not archived: page 3 of the file hộ tịch/hai mặt.pdf, blank" in receipt["message_en"]
    names = sorted(p.name for p in (data / "outbox").iterdir())
    assert [n.split("-", 1)[1] for n in names] == ["hai mặt.pdf#1.receipt.json", "hai mặt.pdf#3.receipt.json"]
    stored = [json.loads(p.read_text(encoding="utf-8")) for p in (data / "archive").rglob("receipt.json")]
    assert sorted(stored, key=lambda r: r["document"]) == sorted(receipts, key=lambda r: r["document"])
    assert f"{where}: bỏ trang 3" in result.stderr.splitlines()[-1], result.stderr  # the summary, as process's


@pytest.mark.integration
def test_a_batch_of_separators_fed_duplex_leaves_no_folder_nor_a_false_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    duplex = stack_pdf(tmp_path / "tờ phân cách.pdf", [separator(), blank_back(1), separator(), blank_back(2)])
    settings = make_settings(tmp_path / "var", ocr_workers=1, separator_code=CODE)
    with caplog.at_level(logging.WARNING, logger="sohoa"):
        (first,) = process_many([duplex], settings)
        (second,) = process_many([duplex], settings)
    assert first.outcome == second.outcome and "only separator sheets" in (first.reason_en or "")
    assert list((settings.work_path / "stacks").iterdir()) == []
    assert "left by an interrupted run" not in caplog.text


def test_the_watch_inbox_artifact_names_a_stacks_documents_by_their_pages_and_lists_the_dropped_ones() -> None:
    """The watch-inbox flow's artifact listed a stack's documents as "A.pdf (văn bản / document 3)" and said nothing
    of its dropped blank part, which only the receipts carried (the batch-summary artifact lists them)."""
    from flows.prefect_watch import receipts_markdown

    blank = {
        "stack": "/srv/inbox/A.pdf",
        "part": 2,
        "pages": [3],
        "reason": "/srv/inbox/A.pdf: page 3 dropped: blank (the back of a separator sheet, fed duplex), no document",
        "reason_vi": "/srv/inbox/A.pdf: bỏ trang 3: trang trắng (mặt sau tờ phân cách, quét hai mặt)",
    }
    common = {"outcome": "archived", "doc_type": "TB", "tags": [], "reason": None, "dropped_pages": [blank]}
    receipts = [
        common
        | {"file": "A.pdf", "document": 1, "pages": [1], "record_id": "r1", "number": "1/TB", "archive_path": "x"},
        common
        | {"file": "A.pdf", "document": 3, "pages": [5, 6], "record_id": "r3", "number": "3/TB", "archive_path": "y"},
    ]
    markdown, summary = receipts_markdown("/srv/inbox", receipts)
    assert "| A.pdf — văn bản 3 / document 3, tr. / p. 5–6 | đã lưu / archived | r3 |" in markdown
    assert "| /srv/inbox/A.pdf | 3 | /srv/inbox/A.pdf: bỏ trang 3: trang trắng" in markdown
    assert markdown.count("bỏ trang 3") == 1  # the part once, though both receipts carry it
    assert summary == "2 file(s), archived: 2; dropped pages: 1 (blank)"
    assert "needs review" not in markdown
    # a record an officer must check: why, beside where it is archived (the artifact did not say it at all)
    waiting = receipts[0] | {
        "needs_review": True,
        "review_reasons": ["date of issue doubtful (0.5)"],
        "review_reasons_vi": ["ngày ban hành đáng ngờ (0.5)"],
    }
    markdown, _ = receipts_markdown("/srv/inbox", [waiting])
    said = "| x; cần xem lại / needs review: ngày ban hành đáng ngờ (0.5) / date of issue doubtful (0.5) |"
    assert said in markdown, markdown


def test_a_stack_named_nfd_on_disk_is_recorded_under_its_spelling_on_disk(tmp_path: Path) -> None:
    """QA93 F4: a stack whose name was NFD on disk (from a Mac) was recorded under its NFC spelling, a path that did
    not exist (``source.path``, ``source.stack.path``, ``dropped_pages[].stack``), while a single file keeps the
    spelling on disk. The name shown stays NFC."""
    import unicodedata

    from flows.pipeline import ingest

    name = unicodedata.normalize("NFD", "công văn đến quý IV.pdf")
    stack = stack_pdf(tmp_path / name, [page("Văn bản A"), separator(), blank_back(1), separator(), page("B")])
    report = BatchReport()
    parts = split_stack(stack, tmp_path / "work", CODE, dropped=report.dropped)
    assert len(parts) == 2
    record = ingest(parts[0])
    origin = record.source.stack
    assert origin is not None and origin.path == str(stack.resolve()) and Path(origin.path).exists()
    assert record.source.path == f"{stack.resolve()}#1"
    assert record.source.name == unicodedata.normalize("NFC", f"{name}#1")  # shown NFC
    assert origin.label() == "công văn đến quý IV.pdf — văn bản 1 / document 1, tr. / p. 1"
    (dropped,) = report.to_json_dict()["dropped_pages"]
    assert dropped["stack"] == str(stack) and Path(dropped["stack"]).exists()
    assert unicodedata.is_normalized("NFC", dropped["reason"])  # the sentence is NFC, as every reason is
