"""The whole pipeline on the bundled samples with the real Tesseract, pyHanko and poppler."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import unicodedata
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from flows.pipeline import WORK_TOKEN, Outcome, process_document
from ocr.jpegs import stored_image_bytes
from sohoa.record import Record
from storage import LocalArchive
from tests.conftest import (
    SAMPLES,
    SHARED,
    PipelineRun,
    expected_samples,
    make_settings,
    needs_shared,
    same_scan_data,
    tahoma_font,
)

EXPECTED = {e.file: e for e in expected_samples()}
pytestmark = pytest.mark.integration


def archived_pdf(run: PipelineRun, name: str) -> Path:
    record = run.first[name].record
    assert record is not None and record.archive_prefix
    return run.settings.archive_dir / record.archive_prefix / "document.pdf"


def test_every_sample_is_archived_and_signed(sample_run: PipelineRun) -> None:
    assert set(sample_run.first) == set(EXPECTED)
    for name, result in sample_run.first.items():
        assert result.outcome == Outcome.ARCHIVED, (name, result.reason_en)
        assert result.record is not None and result.record.signature is not None
        assert result.record.signature.development_identity


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_is_classified(sample_run: PipelineRun, name: str) -> None:
    expected = EXPECTED[name]
    record = sample_run.first[name].record
    assert record is not None and record.classification is not None
    got = record.classification
    assert got.doc_type == expected.doc_type, got.fields["doc_type"].evidence
    assert got.number == expected.number
    assert got.issued_on == date.fromisoformat(expected.issued_on)
    assert got.issuer == expected.issuer
    assert got.columns == "word positions"  # the OCR stage's word boxes reached the classifier
    assert not record.needs_review, record.review_reasons


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ocr_finds_vietnamese_words_in_nfc(sample_run: PipelineRun, name: str) -> None:
    record = sample_run.first[name].record
    assert record is not None and record.ocr is not None
    assert len(record.ocr.pages) == EXPECTED[name].pages
    text = record.ocr.text
    assert unicodedata.is_normalized("NFC", text)
    for word in EXPECTED[name].words:
        assert word in text, word
    assert all(page.ocr and page.confidence and page.confidence > 60 for page in record.ocr.pages)
    # the archived PDF's own text layer carries the same words (what a viewer's search will find)
    layer = subprocess.run(
        ["pdftotext", "-layout", str(archived_pdf(sample_run, name)), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    layer = unicodedata.normalize("NFC", layer)
    for word in EXPECTED[name].words:
        assert word in layer, word


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pdfsig_reports_the_signature_valid(sample_run: PipelineRun, name: str) -> None:
    proc = subprocess.run(["pdfsig", str(archived_pdf(sample_run, name))], capture_output=True, text=True)
    assert "Signature is Valid." in proc.stdout, proc.stdout + proc.stderr
    assert "Signature #1" in proc.stdout and "Signature #2" not in proc.stdout


def test_archived_pdf_passes_qpdf_check(sample_run: PipelineRun) -> None:
    for name in EXPECTED:
        proc = subprocess.run(["qpdf", "--check", str(archived_pdf(sample_run, name))], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_scan_pixels_are_kept(sample_run: PipelineRun) -> None:
    """A JPEG scan is embedded as its coefficients (the same pixels); a scanned PDF keeps its page images."""
    for name in EXPECTED:
        source = SAMPLES / name
        with pikepdf.open(archived_pdf(sample_run, name)) as pdf:
            images = [image for page in pdf.pages for image in page.get_images().values()]
            assert images, name
            if name.endswith(".jpg"):
                assert same_scan_data(stored_image_bytes(images[0]), source.read_bytes())
            if name.endswith(".pdf"):
                with pikepdf.open(source) as original:
                    originals = [im.read_raw_bytes() for p in original.pages for im in p.get_images().values()]
                kept = [stored_image_bytes(im) for im in images]
                assert len(kept) == len(originals), name
                assert all(map(same_scan_data, kept, originals)), name


def test_sidecar_is_the_record_model(sample_run: PipelineRun) -> None:
    archive = LocalArchive(sample_run.settings.archive_dir)
    for name, result in sample_run.first.items():
        assert result.record is not None and result.record.archive_prefix
        folder = sample_run.settings.archive_dir / result.record.archive_prefix
        record = Record.from_json_file(folder / "record.json")
        assert record.source.sha256 == result.record.source.sha256
        assert [e.action for e in record.events] == [
            "ingested",
            "ocr",
            "classified",
            "signed",
            "verified",
            "archived",
        ]
        assert {o.role for o in record.objects} == {"original", "signed", "report"}
        assert archive.verify_objects(record) == [], name
        assert sorted(p.name for p in folder.iterdir()) == [
            "document.pdf",
            f"original{Path(name).suffix.lower()}",
            "record.json",
            "verification.json",
        ]


def test_second_run_creates_no_second_record(sample_run: PipelineRun) -> None:
    for name, result in sample_run.second.items():
        assert result.outcome == Outcome.ALREADY_ARCHIVED, name
        assert result.record is not None and result.record.id == sample_run.first[name].record.id  # type: ignore[union-attr]
    archive = LocalArchive(sample_run.settings.archive_dir)
    records = list(archive.records())
    assert len(records) == len(EXPECTED)
    sidecars = list(sample_run.settings.archive_dir.rglob("record.json"))
    assert len(sidecars) == len(EXPECTED)
    assert not list(sample_run.settings.archive_dir.rglob("*.part-*"))
    assert not any((sample_run.settings.archive_dir / ".staging").glob("*"))


def test_tampering_is_detected_by_fixity_check(sample_run: PipelineRun, tmp_path: Path) -> None:
    archive = LocalArchive(sample_run.settings.archive_dir)
    record = next(archive.records())
    original = next(o for o in record.objects if o.role == "original")
    path = sample_run.settings.archive_dir / original.key
    saved = path.read_bytes()
    try:
        path.write_bytes(saved[:-1] + bytes([saved[-1] ^ 1]))
        assert archive.verify_objects(record) == [f"{original.key}: SHA-256 differs from the one recorded"]
    finally:
        path.write_bytes(saved)


def test_warm_up_loads_the_model_and_the_identity_before_any_document(tmp_path: Path) -> None:
    from classify import model
    from flows import pipeline

    settings = make_settings(tmp_path / "var")
    pipeline.warm_up(settings)
    # the identity is made (development-only here) and cached for the first document's signing stage
    assert any(settings.keys_dir.iterdir())
    loaded = pipeline._identity.cache_info().currsize
    assert loaded >= 1
    assert model._load_once.cache_info().currsize >= 1
    pipeline.warm_up(settings)  # a second call loads nothing again
    assert pipeline._identity.cache_info().currsize == loaded


def test_warm_up_leaves_a_broken_identity_for_the_signing_stage_to_report(tmp_path: Path) -> None:
    from flows import pipeline

    settings = make_settings(tmp_path / "var", signing_identity="pkcs12", pkcs12_file=tmp_path / "missing.p12")
    pipeline.warm_up(settings)  # no exception: each document's signing stage says what is wrong


def test_the_archived_record_names_its_document_pdf_not_a_scratch_file(tmp_path: Path) -> None:
    """QA: record.json's ocr.output_pdf (and signature.output_pdf) named DATA_DIR/work/<id>/ocr.pdf (document.pdf),
    scratch files removed once the batch archived the record: an auditor reading it got a dead path. They name the
    record's own document.pdf now, the searchable PDF as signed; the sidecar keeps its keys."""
    import json

    from flows.pipeline import process_many
    from tests.test_operations import TEXTS, make_scan

    settings = make_settings(tmp_path / "var")
    (result,) = process_many([make_scan(tmp_path / "thông báo.png", TEXTS[0])], settings)
    assert result.outcome == Outcome.ARCHIVED and result.record is not None, result.reason_en
    folder = settings.archive_dir / str(result.record.archive_prefix)
    sidecar = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    assert sidecar["ocr"]["output_pdf"] == "document.pdf", sidecar["ocr"]["output_pdf"]
    assert sidecar["signature"]["output_pdf"] == "document.pdf", sidecar["signature"]["output_pdf"]
    assert (folder / sidecar["ocr"]["output_pdf"]).is_file()
    assert str(settings.work_path) not in (folder / "record.json").read_text(encoding="utf-8")
    assert Record.from_json_file(folder / "record.json").ocr is not None  # the model reads it back


@needs_shared
def test_a_signed_input_gets_one_valid_signature_and_its_original_keeps_its_own(tmp_path: Path) -> None:
    """Writing a signed PDF anew breaks its signatures, which in the archived copy would read as tampering: the
    searchable copy leaves them out, and the archived original — byte for byte the input — keeps them."""
    from flows.pipeline import process_document

    signed_input = tmp_path / "công văn đã ký.pdf"
    shutil.copy(SHARED / "corpora/signatures/dss-validation/PAdES-LT.pdf", signed_input)
    settings = make_settings(tmp_path / "var")
    result = process_document(signed_input, settings)
    assert result.outcome == Outcome.ARCHIVED, result.reason_en
    record = result.record
    assert record is not None and record.ocr is not None and record.ocr.input_signatures >= 1
    (ocr_event,) = [e.detail for e in record.events if e.action == "ocr"]
    assert "stay in the archived original only" in ocr_event
    assert [e.detail for e in record.events if e.action == "verified"] == ["passed"]
    folder = settings.archive_dir / record.archive_prefix
    with pikepdf.open(folder / "document.pdf") as pdf:
        signatures = [f for f in pdf.Root.AcroForm.Fields if f.get("/FT") == pikepdf.Name.Sig]
        assert len(signatures) == 1  # sohoa's own
    (original,) = folder.glob("original.*")
    assert hashlib.sha256(original.read_bytes()).digest() == hashlib.sha256(signed_input.read_bytes()).digest()


def test_what_the_copy_changed_of_the_input_is_in_the_summary_the_log_and_the_receipt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA126: a Word export's fonts embedded as their twins were said in record.json and by `sohoa ocr` only:
    `process --json`, the log and the watch receipt said nothing of it."""
    from flows.watch import _receipt
    from tests.test_font_twins import WORD_EXPORT

    source = tmp_path / "án lệ.pdf"
    shutil.copy(WORD_EXPORT, source)
    # the stages' logger, by name: a CLI test run before in the same process leaves it at WARNING (no -v)
    with caplog.at_level(logging.INFO, logger="sohoa.stages"):
        result = process_document(source, make_settings(tmp_path / "var"))
    assert result.record is not None and result.record.ocr is not None, result.reason_en
    (notice,) = result.record.ocr.notices
    assert "Liberation Serif" in notice and " / the input does not embed the fonts Times New Roman" in notice
    assert result.summary()["notices"] == [notice]
    assert f"{source}: ocr: {notice}" in caplog.messages
    assert _receipt(result, source.name, "archive")["notices"] == [notice]


def test_the_original_is_stored_by_the_type_it_is_and_keeps_the_officers_name(tmp_path: Path) -> None:
    """QA: a JPEG named .png was archived as original.png beside a record saying image/jpeg; an auditor's viewer
    opens a file by its suffix. Stored as the type it is; the record's source keeps the name the officer gave it."""
    misnamed = tmp_path / "công văn 118.png"
    shutil.copy(SAMPLES / "cv-118-ubnd-vp.jpg", misnamed)
    settings = make_settings(tmp_path / "var")
    result = process_document(misnamed, settings)
    assert result.outcome == Outcome.ARCHIVED, result.reason_en
    record = result.record
    assert record is not None
    folder = settings.archive_dir / record.archive_prefix
    assert [p.name for p in folder.glob("original.*")] == ["original.jpg"]
    assert (folder / "original.jpg").read_bytes() == misnamed.read_bytes()
    assert record.source.name == "công văn 118.png" and record.source.media_type == "image/jpeg"
    (stored,) = [o for o in record.objects if o.role == "original"]
    assert stored.key.endswith("/original.jpg")
    # a suffix of its own type is kept as it was (lower case); Windows' other JPEG names become .jpg
    from flows.pipeline import original_name

    assert original_name(Path("a.JPEG"), "image/jpeg") == "original.jpeg"
    assert original_name(Path("a.TIF"), "image/tiff") == "original.tif"
    assert original_name(Path("a.jfif"), "image/jpeg") == "original.jpg"
    assert original_name(Path("a.jpe"), "image/jpeg") == "original.jpg"
    assert original_name(Path("a.tif"), "application/pdf") == "original.pdf"
    assert original_name(Path("a.pdf#1.pdf"), "application/pdf") == "original.pdf"


def test_a_rerun_completes_what_a_run_killed_after_archiving_left_undone(sample_run: PipelineRun) -> None:
    """Found with real SIGKILLs (exploratory testing): killed after the archive write, before the search index
    update, the record was never searchable (reruns stopped at "already archived") and its work folder, the signed
    copy among it, stayed on disk. The state that kill leaves is made here directly."""
    from storage import search_index_path
    from storage.search import SearchIndex

    settings = sample_run.settings
    name, first = next(iter(sample_run.first.items()))
    assert first.record is not None
    record_id = first.record.id
    with SearchIndex(search_index_path(settings)) as index:
        index._remove(record_id)
        index.db.commit()
        assert not index.contains(record_id)
    leftover = settings.work_path / record_id
    leftover.mkdir(parents=True, exist_ok=True)
    (leftover / "document.pdf").write_bytes(b"%PDF- signed copy left by the killed run")

    again = process_document(first.path, settings)
    assert again.outcome == Outcome.ALREADY_ARCHIVED, name
    with SearchIndex(search_index_path(settings)) as index:
        assert index.contains(record_id)
    assert not leftover.exists()


def test_a_rescan_of_an_archived_document_goes_to_review_naming_the_earlier_record(tmp_path: Path) -> None:
    """QA: the same paper scanned again (other bytes: another scanner, another JPEG quality) was archived again
    without a word — an archive with three records of one trích lục. The rescan is archived (the officer decides),
    with needs_review and a reason naming the earlier record, in Vietnamese too."""
    from PIL import Image

    from classify.review import reason_in_vietnamese

    settings = make_settings(tmp_path / "var")
    first = process_document(SAMPLES / "cv-118-ubnd-vp.jpg", settings)
    assert first.outcome == Outcome.ARCHIVED and first.record is not None
    assert not any("archived before" in r for r in first.record.review_reasons)
    rescan = tmp_path / "cv-118 quét lại.jpg"
    Image.open(SAMPLES / "cv-118-ubnd-vp.jpg").save(rescan, quality=80, dpi=(200, 200))
    second = process_document(rescan, settings)
    assert second.outcome == Outcome.ARCHIVED and second.record is not None
    assert second.record.id != first.record.id and second.record.needs_review
    (reason,) = [r for r in second.record.review_reasons if "archived before" in r]
    assert f"record {first.record.id} ({first.record.archive_prefix})" in reason, reason
    assert reason_in_vietnamese(reason).startswith("có thể đã lưu trước đây: hồ sơ"), reason_in_vietnamese(reason)


def test_log_lines_and_reasons_name_a_stack_part_as_dropped_and_one_page_as_a_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: a quarantine reason said "(pages 6)" for one page, and log lines named the batch's scratch copy
    (``…/work/stacks/<hash>/A-plain.pdf#4.pdf: ARCHIVED``) instead of the stack as dropped and its part."""
    from flows.pipeline import _quarantine, as_dropped, pages_said
    from sohoa.record import StackOrigin

    assert pages_said([6]) == "page 6" and pages_said([6, 7]) == "pages 6, 7"
    part = tmp_path / "work" / "stacks" / "89e4" / "A-plain.pdf#4.pdf"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"not a pdf")
    origin = StackOrigin(path="/srv/inbox/A-plain.pdf", sha256="0" * 64, part=4, pages=[6])
    assert as_dropped(part, origin) == "/srv/inbox/A-plain.pdf#4"
    settings = make_settings(tmp_path / "var")
    with caplog.at_level(logging.WARNING, logger="sohoa"):
        result = _quarantine(part, settings, "lỗi", "bad", origin)
    assert result.quarantined_as is not None
    reason = result.quarantined_as.with_name(result.quarantined_as.name + ".reason.txt").read_text(encoding="utf-8")
    assert "A-plain.pdf — văn bản 4 / document 4, tr. / p. 6" in reason  # the stack's page, one page a page
    assert "/srv/inbox/A-plain.pdf#4 (tr. / p. 6): CÁCH LY" in caplog.text
    assert "work/stacks" not in caplog.text.split(" as ")[0]


def test_a_file_failed_after_ingest_has_the_sha256_ingest_read(tmp_path: Path) -> None:
    """QA: a file that failed because S3 was down had "sha256": null in `process --json`, though its reason quoted
    the hash (the archive look-up names the record): ingest had read it before the stage that failed."""
    from flows.pipeline import direct_runner
    from sohoa.errors import StageError
    from tests.test_bad_input import small_scan_png

    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")

    def s3_down(stage: str, function: object, *args: object) -> object:
        if stage == "ocr":
            raise StageError("S3 server at http://127.0.0.1:9 does not answer (connection refused)")
        return direct_runner(stage, function, *args)  # type: ignore[arg-type]

    result = process_document(scan, make_settings(tmp_path / "var"), runner=s3_down)
    assert result.outcome == Outcome.FAILED and result.record is None, result.reason_en
    line = result.summary()
    assert line["sha256"] == hashlib.sha256(scan.read_bytes()).hexdigest(), line
    assert line["outcome"] == "failed" and "does not answer" in line["reason"]
    # a file that fails before ingest read it has none
    gone = process_document(tmp_path / "không có.png", make_settings(tmp_path / "var"))
    assert gone.outcome == Outcome.FAILED and gone.summary()["sha256"] is None


def test_a_scan_archived_meanwhile_by_another_batch_is_already_archived(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA71: two hosts' nightly batches over one backlog both read and signed each scan; the second to archive found
    the record whole, yet said "archived" too, and "interrupted batch …: finished by this run" of a batch that was
    running fine (`export --batch` then gave 1 and 2 records, not 3 and 3). The one that finds the record archived
    whole meanwhile says "already archived", naming the batch that archived it; what it made is not kept. Here the
    other batch archives the same scan just before this one's archive stage."""
    from flows.pipeline import direct_runner, run_archive
    from tests.test_bad_input import small_scan_png

    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    settings = make_settings(tmp_path / "var")
    other = "20261202T010000Z-aaaaaa"

    def other_host_first(stage: str, function: object, *args: object) -> object:
        if stage == "archive":
            record, files, _ = args
            assert isinstance(record, Record)
            run_archive(record.model_copy(update={"batch_id": other}), files, settings)  # type: ignore[arg-type]
        return direct_runner(stage, function, *args)  # type: ignore[arg-type]

    caplog.set_level(logging.INFO, logger="sohoa")
    result = process_document(scan, settings, runner=other_host_first, batch_id="20261202T010001Z-bbbbbb")
    assert result.outcome == Outcome.ALREADY_ARCHIVED, (result.outcome, result.reason_en)
    assert result.record is not None and result.record.batch_id == other
    said = " ".join(r.getMessage() for r in caplog.records)
    assert f"archived meanwhile by batch {other} (another process or host)" in said, said
    assert "interrupted before its archive write ended" not in said and "ARCHIVED as" not in said, said
    records = list(LocalArchive(settings.archive_dir).records())
    assert [(r.id, r.batch_id) for r in records] == [(result.record.id, other)]


def test_a_failure_already_said_in_both_languages_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """QA72: with the S3 server down the line read `LỖI / FAILED (…): Lỗi hệ thống: <vi / en> / <vi / en>`: the
    server's fault, already in both languages, said twice. Said once; a reason in two halves still gets both."""
    from flows.pipeline import failed

    both = "máy chủ S3 không trả lời / S3 server does not answer"
    caplog.set_level(logging.ERROR, logger="sohoa")
    failed(Path("a.png"), "a.png", f"Lỗi hệ thống: {both}", both, retried=True)
    failed(Path("b.png"), "b.png", "Thiếu tệp", "a file is missing")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        f"a.png: LỖI / FAILED (lần chạy sau sẽ thử lại / will retry on the next run): Lỗi hệ thống: {both}",
        "b.png: LỖI / FAILED: Thiếu tệp / a file is missing",
    ], lines


def test_the_quarantine_folder_is_made_only_when_something_is_refused(tmp_path: Path) -> None:
    """README (What `make demo` produces): the quarantine folder is "made only when something is refused"; the
    check before a batch made it, and so did every archived document (looking for its earlier quarantine entries)."""
    from flows.pipeline import check_locations
    from sohoa.errors import StageError
    from tests.test_bad_input import small_scan_png

    settings = make_settings(tmp_path / "var", quarantine_dir=tmp_path / "trả lại" / "cách ly")
    check_locations(settings)
    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    assert process_document(scan, settings).outcome == Outcome.ARCHIVED
    assert not (tmp_path / "trả lại").exists()
    junk = tmp_path / "hỏng.pdf"
    junk.write_bytes(b"junk")
    assert process_document(junk, settings).outcome == Outcome.QUARANTINED
    assert (tmp_path / "trả lại" / "cách ly" / "hỏng.pdf.reason.txt").is_file()
    # still checked before the batch: a quarantine that could not be made is refused
    (tmp_path / "tệp").write_text("a file")
    with pytest.raises(StageError, match=r"the quarantine folder .* cannot be used: .*tệp is a file"):
        check_locations(make_settings(tmp_path / "var", quarantine_dir=tmp_path / "tệp" / "cách ly"))


def test_a_folder_that_cannot_be_used_is_said_with_its_cause_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA69: `không dùng được thư mục kho lưu trữ … (xem --archive …) / … cannot be used: no write permission on …`:
    why, in the English half only."""
    import errno
    import os

    from flows.pipeline import check_locations
    from sohoa.errors import StageError

    (tmp_path / "tệp").write_text("a file")
    with pytest.raises(StageError) as caught:
        check_locations(make_settings(tmp_path / "var", archive=str(tmp_path / "tệp")))
    assert f"kho lưu trữ {tmp_path / 'tệp'}: đó là một tệp, không phải thư mục (xem --archive" in str(caught.value)
    assert "cannot be used: it is a file (check --archive" in str(caught.value)
    archive = tmp_path / "kho"
    archive.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != archive and real_access(path, mode))
    with pytest.raises(StageError) as caught:
        check_locations(make_settings(tmp_path / "var", archive=str(archive)))
    said = str(caught.value)
    assert f"không dùng được thư mục kho lưu trữ {archive}: không có quyền ghi vào {archive} (xem" in said, said
    assert f"cannot be used: no write permission on {archive} (check" in said, said
    monkeypatch.setattr(os, "access", real_access)

    def full(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "mkdir", full)
    with pytest.raises(StageError) as caught:
        check_locations(make_settings(tmp_path / "var", archive=str(tmp_path / "mới")))
    said = str(caught.value)
    assert "làm việc" in said and ": hết dung lượng đĩa (xem SOHOA_DATA_DIR) / " in said, said
    assert "cannot be used: No space left on device (check SOHOA_DATA_DIR)" in said, said


def test_the_locations_are_checked_once_per_command_and_by_every_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: `sohoa process` ran check_locations twice — itself, before its Prefect server answered, and again in the
    batch (batch_documents): the signing token looked up, an S3 archive's object lock asked, twice. Once now; a
    library caller of process_many still gets the check, and so does a batch on other settings inside. The real
    check runs each time; it is only counted (it leaves nothing that says how often it ran)."""
    from typer.testing import CliRunner

    from flows import cli, pipeline
    from flows.prefect_run import flow_settings

    calls: list[Path] = []
    real = pipeline.check_locations

    def counted(settings: object) -> None:
        calls.append(Path(str(getattr(settings, "data_dir", ""))))
        real(settings)  # type: ignore[arg-type]

    from flows import watch

    monkeypatch.setattr(pipeline, "check_locations", counted)
    monkeypatch.setattr(watch, "check_locations", counted)  # the watcher's own name for it, bound at its import
    monkeypatch.chdir(tmp_path)
    junk = tmp_path / "hỏng.pdf"
    junk.write_bytes(b"junk")
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off"}
    result = CliRunner().invoke(cli.app, ["process", str(junk), "--no-prefect", "--json"], env=env)
    assert result.exit_code == 1, result.output  # quarantined
    assert len(calls) == 1, calls
    # a library caller of process_many: checked by the batch itself
    calls.clear()
    settings = make_settings(tmp_path / "lib")
    assert [r.outcome for r in pipeline.process_many([junk], settings)] == [Outcome.QUARANTINED]
    assert len(calls) == 1, calls
    # a watcher's pass checks before it claims the files, and its batch not again
    from flows.watch import watch_once

    calls.clear()
    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    shutil.copy(junk, inbox / junk.name)
    receipts = watch_once(inbox, make_settings(tmp_path / "watched"), stable_seconds=0)
    assert [r["outcome"] for r in receipts] == ["quarantined"] and len(calls) == 1, calls
    # the Prefect flow run `sohoa process` starts loads its settings again from what the command hands it: they
    # are the command's, not checked again (the flow run is in the command's thread); other settings are
    calls.clear()
    monkeypatch.setenv("SOHOA_DATA_DIR", "var")  # relative, as by default: the flow run makes its folders absolute
    monkeypatch.setenv("SOHOA_CONFIG", "")
    command = cli._settings(archive=None, batch_workers=None, dask_address=None)
    in_flow = flow_settings(cli._flow_overrides(command))  # as process_batch
    assert not isinstance(in_flow, str), in_flow
    with pipeline.checked_locations(command):
        with pipeline.batch_documents([], in_flow):
            pass
        assert calls == []
        with pipeline.batch_documents([], settings):
            pass
        assert calls == [settings.data_dir]
    with pipeline.batch_documents([], in_flow):  # outside: a deployment's flow run checks itself
        pass
    assert len(calls) == 2


def test_log_lines_on_a_terminal_say_the_level_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal RichHandler lays out the level itself: its lines read "INFO     INFO:sohoa:…" (QA)."""
    import io

    from rich.console import Console

    from flows import cli

    screen = io.StringIO()
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(cli, "err", Console(file=screen, width=200, force_terminal=False))
    cli._configure_logging(False)
    try:
        logging.getLogger("sohoa").info("tập.pdf: ARCHIVED as QĐ")
        logging.getLogger("signing.identity").warning("DEVELOPMENT ONLY identity")
    finally:
        monkeypatch.undo()
        cli._configure_logging(False)  # the handler on stderr again, not on the screen of this test
    lines = [line.strip() for line in screen.getvalue().splitlines()]
    assert lines == ["INFO     tập.pdf: ARCHIVED as QĐ", "WARNING  DEVELOPMENT ONLY identity"], lines


def test_a_line_logged_after_a_command_ended_goes_to_stderr_as_it_is_then(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread still at work after a command (a Tesseract worker starting) logged into the stderr the command had,
    already closed: "--- Logging error --- … I/O operation on closed file" and a traceback on the next command's
    stderr (the test suite, where each command's stderr is captured, then closed)."""
    import io

    from flows import cli

    first, then = io.StringIO(), io.StringIO()
    monkeypatch.setattr(cli.sys, "stderr", first)
    cli._configure_logging(False)
    try:
        first.close()  # the command ended
        monkeypatch.setattr(cli.sys, "stderr", then)
        logging.getLogger("ocr.tesseract_library").warning("libtesseract unavailable; reading pages with the command")
    finally:
        monkeypatch.undo()
        cli._configure_logging(False)
    assert then.getvalue() == "WARNING  libtesseract unavailable; reading pages with the command\n", then.getvalue()


def test_prefects_exit_note_is_not_a_warning_after_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import _configure_logging

    _configure_logging(False)
    logging.getLogger("EventsWorker").warning("Still processing items: 1 items remaining...")
    logging.getLogger("APILogWorker").warning("Still processing items: 2 items remaining...")
    assert "Still processing" not in capsys.readouterr().err
    _configure_logging(True)
    logging.getLogger("EventsWorker").warning("Still processing items: 3 items remaining...")
    said = capsys.readouterr().err
    assert "Still processing" not in said and "sending 3 last event(s)" in said


def test_two_scans_of_one_paper_in_one_batch_one_goes_to_review_naming_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two scans of one paper dropped together are processed side by side (two documents in flight): neither was in
    the search index when the other looked, and both were archived without a word. Now one of them goes to review
    naming the other scan, in Vietnamese too."""
    from PIL import Image

    from classify.review import reason_in_vietnamese
    from flows import pipeline
    from flows.pipeline import process_many

    settings = make_settings(tmp_path / "var", batch_workers=2)
    inbox = tmp_path / "in"
    inbox.mkdir()
    first = inbox / "cv-118.jpg"
    shutil.copy(SAMPLES / "cv-118-ubnd-vp.jpg", first)
    Image.open(first).save(inbox / "cv-118 quét lại.jpg", quality=80, dpi=(200, 200))
    # both classified before either is archived (as two documents in flight often are: here the OCR slots
    # usually let the first finish first, so the test waits for both at the end of classify)
    both_classified = threading.Barrier(2, timeout=120)
    real_classify = pipeline.run_classify

    def classify_then_wait(*args: object) -> object:
        classified = real_classify(*args)  # type: ignore[arg-type]
        both_classified.wait()
        return classified

    monkeypatch.setattr(pipeline, "run_classify", classify_then_wait)
    results = list(process_many(sorted(inbox.iterdir()), settings))
    assert [r.outcome for r in results] == [Outcome.ARCHIVED, Outcome.ARCHIVED], [r.summary() for r in results]
    flagged = [
        (r, reason)
        for r in results
        for reason in (r.record.review_reasons if r.record else [])
        if "same paper" in reason or "archived before" in reason
    ]
    assert len(flagged) == 1, [r.record.review_reasons for r in results if r.record]
    result, reason = flagged[0]
    assert result.record is not None and result.record.needs_review
    (other,) = [r for r in results if r is not result]
    assert other.path.name in reason or (other.record is not None and other.record.id in reason), reason
    assert reason_in_vietnamese(reason).startswith(("có thể cùng một văn bản với", "có thể đã lưu trước đây")), (
        reason_in_vietnamese(reason)
    )


def test_a_full_work_disk_fails_the_scans_for_the_rerun_never_quarantines_them(
    tmp_path: Path, full_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA (chaos testing): a full disk under the work folder (ENOSPC) quarantined a good scan as "processing failed
    (OSError: [Errno 28] No space left on device)", called others "The image is damaged", and printed tracebacks.
    A full disk is the machine's fault: each scan is `failed` (left for the rerun), said in both languages, without
    a traceback — and the rerun, with space again, archives them."""
    settings = make_settings(tmp_path / "var", work_dir=full_disk / "work")
    scans = [SAMPLES / "cv-118-ubnd-vp.jpg", SAMPLES / "thông-báo-08-ubnd.png"]
    with caplog.at_level(logging.INFO):
        results = [process_document(scan, settings) for scan in scans]
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.FAILED], [r.summary() for r in results]
    for result in results:
        assert "No space left on device" in (result.reason_en or "") and "not of the scan" in (result.reason_en or "")
        assert "hết dung lượng đĩa" in (result.reason_vi or ""), result.reason_vi
        assert "damaged" not in (result.reason_en or "")
    assert not (tmp_path / "var" / "quarantine").exists() or not list((tmp_path / "var" / "quarantine").iterdir())
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged for a full disk"
    (full_disk / "filler").unlink()  # space again: the rerun archives both
    assert [process_document(scan, settings).outcome for scan in scans] == [Outcome.ARCHIVED, Outcome.ARCHIVED]


def test_a_full_archive_disk_is_said_as_such_and_not_retried(
    tmp_path: Path, full_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA69: with the archive's disk full, each document was OCR'd and signed, then archiving was tried four times
    (35–48 s of waits per document of a nightly backlog, each attempt as full as the last) and failed with
    "Lỗi hệ thống: …: cannot write to …: [Errno 28] No space left on device", English after its first words. It is
    the machine's fault as a full work disk is: said so in both languages, at once, for the rerun."""
    settings = make_settings(tmp_path / "var", archive=str(full_disk / "archive"))
    with caplog.at_level(logging.INFO):
        result = process_document(SAMPLES / "cv-118-ubnd-vp.jpg", settings)
    assert result.outcome == Outcome.FAILED, result.summary()
    assert (result.reason_vi or "").startswith("Lỗi hệ thống: hết dung lượng đĩa ("), result.reason_vi
    assert "lỗi của máy, không do tệp quét" in (result.reason_vi or "") and "Errno" not in (result.reason_vi or "")
    assert "No space left on device" in (result.reason_en or "") and "not of the scan" in (result.reason_en or "")
    assert not [r for r in caplog.records if "attempt 2 of" in r.getMessage()], "a full disk was retried"
    assert not (tmp_path / "var" / "quarantine").exists() or not list((tmp_path / "var" / "quarantine").iterdir())


def test_sohoa_ocr_into_a_full_disk_says_so_exit_3_without_a_traceback(tmp_path: Path, full_disk: Path) -> None:
    """`sohoa ocr` writing into a full folder printed pikepdf's traceback (exit 1, as if the input were bad): a full
    disk met by any command is said in both languages, exit 3, and leaves no temporary file behind."""
    out = full_disk / "kết quả.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "ocr", str(SAMPLES / "cv-118-ubnd-vp.jpg"), str(out)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 3, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "hết dung lượng đĩa" in said and "No space left on device" in said, said
    assert "BufferedRandom" not in said  # the file's name, not the repr of pikepdf's file object
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]


def test_sohoa_ocr_with_its_scratch_folder_full_names_that_folder(tmp_path: Path, full_disk: Path) -> None:
    """QA170 F7: the scratch folder (SOHOA_WORK_DIR, where each page is written as it is read) on a full disk was
    said as "the output could not be written", naming the output, whose disk had gigabytes free: freed there, the
    rerun met the same. The scratch folder is named."""
    out = tmp_path / "kết quả.pdf"
    page = Image.open(SAMPLES / "thông-báo-08-ubnd.png").convert("L")
    scan = tmp_path / "nhiều trang.pdf"
    page.save(scan, resolution=300, save_all=True, append_images=[page] * 5)
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "ocr", str(scan), str(out), "--json"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "SOHOA_WORK_DIR": str(full_disk / "work")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = json.loads(done.stdout)
    assert done.returncode == said["exit_code"] == 3, done.stderr[-3000:]
    assert said["error"].startswith(f"{full_disk / 'work'}: ") and "scratch folder (SOHOA_WORK_DIR)" in said["error"]
    assert "No space left on device" in said["error"] and "Traceback" not in done.stderr
    assert not out.exists()


@pytest.mark.integration
def test_a_signing_warning_names_the_scan_not_its_work_copy(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """QA: processed with the signer's block, a decree page with no blank place for it logged
    "…/var/work/126bf4d6fadef7dd/ocr.pdf: no blank place on the page for the signer's signature" — the copy in the
    work folder that signing reads, which tells an officer nothing. The warning names the scan as the pipeline's
    other lines do (sohoa.context)."""
    from tests.signing_images import make_signature

    scan = tmp_path / "nghị định 155.jpg"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "nd-155-2020-p1.jpg", scan)
    settings = make_settings(
        tmp_path / "var",
        signature_appearance="signer",
        signature_image=make_signature(tmp_path / "chữ ký.png"),
    )
    with caplog.at_level(logging.WARNING):
        result = process_document(scan, settings)
    assert result.outcome == Outcome.ARCHIVED, result.summary()
    said = [r.getMessage() for r in caplog.records if "no blank place on the page" in r.getMessage()]
    assert said, caplog.text
    assert all(line.startswith(f"{scan}: ") and "/work/" not in line for line in said), said


def test_a_cmyk_scan_is_archived_signed_as_pdfa_2b_and_not_sent_to_review(tmp_path: Path) -> None:
    """QA: a CMYK JPEG's searchable copy was no PDF/A (DeviceCMYK against the sRGB output intent) and its record
    went to review. Its image is ICCBased now: the copy claims PDF/A-2B, and the signed copy keeps the claim (the
    signer's stamp paints in RGB, which the sRGB intent describes) and verifies."""
    from PIL import Image

    from signing.pdfa import check_signed_pdfa

    scan = tmp_path / "cv-118 CMYK.jpg"
    Image.open(SAMPLES / "cv-118-ubnd-vp.jpg").convert("CMYK").save(scan, quality=90, dpi=(300, 300))
    settings = make_settings(tmp_path / "var")
    result = process_document(scan, settings)
    assert result.outcome == Outcome.ARCHIVED and result.record is not None, result.reason_en
    record = result.record
    assert record.ocr is not None and (record.ocr.pdfa, record.ocr.pdfa_problems) == ("2B", [])
    assert not any("CMYK" in reason for reason in record.review_reasons), record.review_reasons
    assert [e.detail for e in record.events if e.action == "verified"] == ["passed"]
    signed = settings.archive_dir / str(record.archive_prefix) / "document.pdf"
    check = check_signed_pdfa(signed)
    assert (check.claimed, check.problems, check.kept) == ("2B", [], True)
    with pikepdf.open(signed) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.ColorSpace[0] == pikepdf.Name.ICCBased
        assert same_scan_data(stored_image_bytes(image), scan.read_bytes())


@needs_shared
def test_a_born_digital_pdf_whose_fonts_are_not_embedded_is_archived_for_review_saying_why(tmp_path: Path) -> None:
    """QA96 F2: a born-digital PDF whose fonts are not in the file keeps its own text and drawing, so its copy cannot
    be PDF/A; it was archived plain (`pdfa: null`) with no reason for an officer to look. It goes to review, saying
    which font and what to do, in both languages."""
    from classify.review import reason_in_vietnamese

    toc = tmp_path / "mục lục.pdf"
    tahoma_font(SHARED / "corpora/ocr/ocrmypdf-resources/toc.pdf", toc)  # a font with no twin, not embedded
    result = process_document(toc, make_settings(tmp_path / "var"))
    assert result.outcome == Outcome.ARCHIVED and result.record is not None, result.reason_en
    record = result.record
    assert record.ocr is not None and record.ocr.pdfa is None and record.needs_review
    reason = next(r for r in record.review_reasons if r.startswith("not PDF/A"))
    assert reason == (
        "not PDF/A: page 1 uses font Tahoma without embedding it (export the document again with its fonts "
        "embedded, or scan the paper)"
    ), record.review_reasons
    assert reason_in_vietnamese(reason) == (
        "không đạt PDF/A: trang 1 dùng phông chữ Tahoma mà không nhúng vào tệp (hãy xuất lại văn bản có nhúng "
        "phông chữ, hoặc quét bản giấy)"
    )


def test_the_lines_of_an_interrupted_run_and_of_a_retry_are_said_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """QA69: `removed …, left by an interrupted run`, `record …: added to the search index (an earlier run stopped
    before)` and `archiving record … failed (…); attempt 2 of 4 in … s` were English only, among bilingual lines."""
    import errno
    import os

    from flows import pipeline
    from sohoa.errors import StageError
    from storage import search_index_path
    from tests.test_bad_input import small_scan_png

    settings = make_settings(tmp_path / "var")
    leftover = settings.work_path / f".{'0' * 16}.part-x1y2z3"
    leftover.mkdir(parents=True)
    with caplog.at_level("WARNING", logger="sohoa"), pipeline.batch_documents([], settings) as documents:
        assert list(documents) == []
    assert not leftover.exists()
    said = [r.getMessage() for r in caplog.records]
    assert (
        f"đã xóa {leftover}, do một lần chạy bị gián đoạn để lại / removed {leftover}, left by an interrupted run"
        in said
    )

    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    first = process_document(scan, settings)
    assert first.outcome == Outcome.ARCHIVED and first.record is not None
    rid = first.record.id
    # as a run killed before it indexed the record leaves it: not searchable, its work folder left with the signed
    # copy it archived
    archived_pdf = settings.archive_dir / (first.record.archive_prefix or "") / "document.pdf"
    search_index_path(settings).unlink()
    (settings.work_path / rid).mkdir(parents=True)
    shutil.copyfile(archived_pdf, settings.work_path / rid / "document.pdf")
    caplog.clear()
    with caplog.at_level("INFO", logger="sohoa"):
        assert process_document(scan, settings).outcome == Outcome.ALREADY_ARCHIVED
    assert (
        f"hồ sơ {rid}: đã đưa vào chỉ mục tìm kiếm (một lần chạy trước đã dừng trước bước này) / record {rid}: added "
        "to the search index (an earlier run stopped before)" in [r.getMessage() for r in caplog.records]
    )
    assert not (settings.work_path / rid).exists()
    # no work folder of it here: archived by another host on the same archive, whose index this is not (QA97 F6:
    # "an earlier run stopped before" was said of it); nor when the folder here is one a run kept after failing
    # before its archive stage, its own signature in it (QA138 F8)
    for kept_here in (False, True):
        search_index_path(settings).unlink()
        if kept_here:
            (settings.work_path / rid).mkdir(parents=True)
            (settings.work_path / rid / "document.pdf").write_bytes(b"%PDF-1.7 signed here, never archived")
        caplog.clear()
        with caplog.at_level("INFO", logger="sohoa"):
            assert process_document(scan, settings).outcome == Outcome.ALREADY_ARCHIVED
        said = " ".join(r.getMessage() for r in caplog.records)
        assert f"record {rid}: added to the search index (this host's index did not hold it: archived from" in said
        assert "an earlier run stopped" not in said, said
        assert not (settings.work_path / rid).exists()

    calls: list[int] = []

    def server_away() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise StageError("máy chủ S3 không trả lời / the S3 server at http://127.0.0.1:9 does not answer")
        return "done"

    monkeypatch.setattr(pipeline.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(pipeline.random, "uniform", lambda low, high: 1.0)
    caplog.clear()
    with caplog.at_level("WARNING", logger="sohoa"):
        assert (
            pipeline.retry_transient(server_away, (1.0, 5.0), "archiving record 1", "lưu hồ sơ 1 vào kho lưu trữ")
            == "done"
        )
    (retry,) = [r.getMessage() for r in caplog.records]
    assert retry == (
        "lưu hồ sơ 1 vào kho lưu trữ thất bại (máy chủ S3 không trả lời / the S3 server at http://127.0.0.1:9 does "
        "not answer); thử lại lần 2/3 sau 1.0 s / archiving record 1 failed (máy chủ S3 không trả lời / the S3 "
        "server at http://127.0.0.1:9 does not answer); attempt 2 of 3 in 1.0 s"
    ), retry

    def full_disk() -> str:
        try:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError as exc:
            raise StageError(f"x/original.jpg: cannot write to /srv/kho: {exc}") from exc

    # a full disk is not retried (QA69): the machine's fault, said at once
    with pytest.raises(StageError):
        pipeline.retry_transient(full_disk, (1.0, 5.0), "archiving record 1", "lưu hồ sơ 1 vào kho lưu trữ")


def test_a_scan_rewritten_while_it_is_processed_is_not_archived_as_another_records_original(tmp_path: Path) -> None:
    """QA94 F1: the inbox file was read again to be archived; a scan saved over it meanwhile (a scanner or a sync job
    writing the same name) became the original of the first scan's record — its OCR, its classification, its hash —
    every check passing, and the first scan was in the archive nowhere. The file fails, nothing archived, and the
    next run archives what the file holds then, its original the scan its record describes."""
    from flows.pipeline import direct_runner

    settings = make_settings(tmp_path / "var")
    inbox = tmp_path / "inbox" / "thông báo.jpg"
    inbox.parent.mkdir()
    shutil.copyfile(SAMPLES / "cv-118-ubnd-vp.jpg", inbox)
    other = (SAMPLES / "trich-luc-khai-tu-31.png").read_bytes()

    def rewriting_runner(stage: str, function, *args):  # type: ignore[no-untyped-def]
        result = direct_runner(stage, function, *args)
        if stage == "sign":  # after the OCR and the signature, before the archive
            inbox.write_bytes(other)
        return result

    changed = process_document(inbox, settings, rewriting_runner)
    assert changed.outcome == Outcome.FAILED, changed
    assert "the file changed while it was being processed" in (changed.reason_en or "")
    assert "tệp đã thay đổi trong khi đang xử lý" in (changed.reason_vi or "")
    assert LocalArchive(settings.archive_dir).find(hashlib.sha256(other).hexdigest()) is None
    assert not any(settings.quarantine_path.glob("**/*.jpg"))  # not the scan's fault: left where it is
    # its work folder gone with the content it was made for: no rerun can take it up (QA138 F3: kept for ever)
    assert not [folder for folder in settings.work_path.iterdir() if (folder / WORK_TOKEN).is_file()]
    again = process_document(inbox, settings)
    assert again.outcome == Outcome.ARCHIVED and again.record is not None
    kept = LocalArchive(settings.archive_dir).find(again.record.source.sha256)
    assert kept is not None and again.record.source.sha256 == hashlib.sha256(other).hexdigest()
    (original,) = [item for item in kept.objects if item.role == "original"]
    assert original.sha256 == again.record.source.sha256


def test_a_scan_rewritten_as_it_is_read_is_not_quarantined_as_damaged(tmp_path: Path) -> None:
    """QA95: a scan being rewritten while the OCR read it (half written, as a scanner saves) was quarantined as
    "image file is truncated" — a good scan parked as a bad one. It fails as a file changed while processed."""
    from flows.pipeline import direct_runner

    settings = make_settings(tmp_path / "var")
    inbox = tmp_path / "inbox" / "công văn.jpg"
    inbox.parent.mkdir()
    whole = (SAMPLES / "cv-118-ubnd-vp.jpg").read_bytes()
    inbox.write_bytes(whole)

    def half_written_runner(stage: str, function, *args):  # type: ignore[no-untyped-def]
        if stage == "ocr":  # after ingest read it whole: the scanner starts saving it again
            inbox.write_bytes(whole[: len(whole) // 3])
        return direct_runner(stage, function, *args)

    result = process_document(inbox, settings, half_written_runner)
    assert result.outcome == Outcome.FAILED, result
    assert "the file changed while it was being processed" in (result.reason_en or ""), result.reason_en
    assert not settings.quarantine_path.exists() or not any(settings.quarantine_path.iterdir())


def test_a_scan_sohoa_may_not_read_fails_saying_so_without_a_traceback_or_quarantine(tmp_path: Path) -> None:
    """QA94 F5: an inbox file the batch may not read (permission denied) printed a Python traceback at ERROR, then
    "could not be quarantined" — its permission denied again, as if the scan were bad. One line in both languages:
    fix its permissions and rerun; nothing quarantined. A real permission denied: run as root, the process is
    started without the capabilities that let root read any file."""
    import os

    scan = tmp_path / "inbox" / "thông báo.jpg"
    scan.parent.mkdir()
    shutil.copyfile(SAMPLES / "cv-118-ubnd-vp.jpg", scan)
    scan.chmod(0)
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    if prefix and shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's right to read any file")
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_OCR_SERVER": "off", "SOHOA_CONFIG": ""}
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "flows.cli", "process", str(scan.parent), "--no-prefect", "--json"],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 3, done.stderr[-3000:]  # a file failed, to be run again
    (result,) = json.loads(done.stdout)["files"]
    assert result["outcome"] == "failed", result
    assert result["reason"] == "cannot read the file: permission denied — fix the file's permissions and rerun"
    assert "không có quyền đọc" in result["reason_vi"], result
    assert "Traceback" not in done.stderr and "quarantined" not in done.stderr, done.stderr[-3000:]
    assert not (tmp_path / "var" / "quarantine").exists() or not any((tmp_path / "var" / "quarantine").iterdir())


def test_an_archive_folder_sohoa_may_not_write_to_fails_the_file_at_once(tmp_path: Path) -> None:
    """QA94 F7: a record's folder the archive may not write to was tried four times, 22–38 s a document of a nightly
    backlog, then "Lỗi hệ thống: …". It is a fault of the machine, said at once with what to do. A real permission
    denied: run as root, the process is started without the capability that lets root write anywhere."""
    import os

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(SAMPLES / "cv-118-ubnd-vp.jpg", inbox / "công văn.jpg")
    archive = tmp_path / "kho"
    archive.mkdir()
    (archive / "2025").mkdir(mode=0o555)  # the year's folder the record goes into: not writable
    (archive / "2025").chmod(0o555)
    prefix = ["setpriv", "--bounding-set", "-dac_override"] if os.geteuid() == 0 else []
    if prefix and shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's right to write anywhere")
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(tmp_path / "var"),
        "SOHOA_ARCHIVE": str(archive),
        "SOHOA_OCR_SERVER": "off",
        "SOHOA_CONFIG": "",
    }
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "flows.cli", "process", str(inbox), "--no-prefect", "--json"],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    (result,) = json.loads(done.stdout)["files"]
    assert result["outcome"] == "failed", (result, done.stderr[-3000:])
    assert "a fault of this machine, not of the scan" in result["reason"], result
    assert "fix the permissions" in result["reason"] and "sửa quyền" in result["reason_vi"], result
    assert "attempt 2 of" not in done.stderr, done.stderr[-3000:]  # said at once
    # the folder to fix, not the one (or the temporary file) it could not make there (QA95)
    assert f"Permission denied ({archive / '2025'}):" in result["reason"], result["reason"]


def test_a_reason_already_in_both_languages_is_said_once_in_the_table() -> None:
    """QA97 F4: with S3 down, a file's note in `process`'s table was the S3 message — already Vietnamese / English —
    after "Lỗi hệ thống:", then " / " and the same message again: a cell of 20 lines."""
    from flows.pipeline import line_names

    fault = (
        "s3://kho/xa: không đọc được .by-sha256/ab.json: máy chủ S3 tại http://127.0.0.1:9 không trả lời (từ chối kết "
        "nối) / cannot read .by-sha256/ab.json: S3 server at http://127.0.0.1:9 does not answer (connection refused)"
    )
    line = {"path": "/in/qd-15.pdf", "reason_vi": f"Lỗi hệ thống: {fault}", "reason": fault}
    assert line_names(line) == ("qd-15.pdf", f"Lỗi hệ thống: {fault}")
    # two languages of their own stay two
    apart = {"path": "/in/a.pdf", "reason_vi": "tệp hỏng", "reason": "damaged file"}
    assert line_names(apart) == ("a.pdf", "tệp hỏng / damaged file")
