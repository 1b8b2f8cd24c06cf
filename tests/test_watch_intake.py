"""Intake edge cases found by QA, run as an officer runs them (``sohoa process`` / ``sohoa watch`` subprocesses,
real files): file names that are not UTF-8, an inbox that is the data folder, files that are not scans, an
unusable archive, receipts of records that need review."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from flows.watch import watch_once
from sohoa.errors import StageError
from tests.conftest import ROOT, SAMPLES, make_settings

SCAN = SAMPLES / "cv-118-ubnd-vp.jpg"
LATIN1 = b"c\xf4ng-v\xe3n.jpg"  # "công-văn.jpg" as an old USB stick or zip file spells it (CP1258 bytes)


def sohoa(*args: str | Path, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SOHOA_DATA_DIR": str(data_dir), "SOHOA_CONFIG": "", "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=600,
    )


def drop(source: Path, target: Path | bytes) -> None:
    """Copy a file into the inbox as dropped a minute ago (complete: stable)."""
    target_path = os.fsdecode(target)
    os.makedirs(os.path.dirname(target_path), exist_ok=True)
    shutil.copyfile(source, target_path)
    old = time.time() - 60
    os.utime(target_path, (old, old))


def receipts(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.stdout, result.stderr
    receipts: list[dict[str, Any]] = json.loads(result.stdout)["receipts"]
    return receipts


def test_a_name_that_is_not_utf8_is_archived_or_quarantined_never_a_crash(tmp_path: Path) -> None:
    inbox, folder = tmp_path / "inbox", tmp_path / "in"
    drop(SCAN, os.path.join(os.fsencode(folder), LATIN1))
    junk = os.path.join(os.fsencode(folder), b"h\xf4ng.pdf")
    with open(junk, "wb") as handle:
        handle.write(b"junk")
    processed = sohoa("process", folder, "--no-prefect", "--json", data_dir=tmp_path / "d1")
    assert "Traceback" not in processed.stderr and processed.returncode == 1, processed.stderr
    files = {f["path"].rsplit("/", 1)[1]: f for f in json.loads(processed.stdout)["files"]}
    assert files["c\\xf4ng-v\\xe3n.jpg"]["outcome"] == "archived"  # the bytes named faithfully
    assert files["h\\xf4ng.pdf"]["outcome"] == "quarantined"
    reason = (tmp_path / "d1" / "quarantine" / "hông.pdf.reason.txt").read_text(encoding="utf-8")  # readable
    assert "h\\xf4ng.pdf" in reason
    record = next((tmp_path / "d1" / "archive").rglob("record.json")).read_text(encoding="utf-8")
    assert '"name": "công-văn.jpg"' in record and "c\\\\xf4ng-v\\\\xe3n.jpg" in record

    drop(SCAN, os.path.join(os.fsencode(inbox), LATIN1))
    drop(SAMPLES / "trich-luc-khai-tu-31.png", inbox / "z-ok.png")
    watched = sohoa("watch", inbox, "--once", "--json", data_dir=tmp_path / "d2")
    assert "Traceback" not in watched.stderr and watched.returncode == 0, watched.stderr
    got = {r["file"]: r for r in receipts(watched)}
    assert got["công-văn.jpg"]["outcome"] == "archived" and got["z-ok.png"]["outcome"] == "archived"
    outbox = sorted(p.name for p in (tmp_path / "d2" / "outbox").iterdir())
    assert len(outbox) == 2 and any(name.endswith("-công-văn.jpg.receipt.json") for name in outbox)
    assert not list((tmp_path / "d2" / "claimed").rglob("*")), "nothing left claimed"
    again = sohoa("watch", inbox, "--once", "--json", data_dir=tmp_path / "d2")
    assert again.returncode == 0 and receipts(again) == [], again.stderr


def test_the_data_folder_is_no_inbox_and_its_own_folders_are_not_scans(tmp_path: Path) -> None:
    data = tmp_path / "data"
    drop(SCAN, data / "cv.jpg")
    (data / "outbox" / "hộ tịch").mkdir(parents=True)
    for inbox in (data, data / "outbox" / "hộ tịch", tmp_path):  # is, lies inside, contains sohoa's own folders
        refused = sohoa("watch", inbox, "--once", "--stable-seconds", "0", data_dir=data)
        assert refused.returncode == 2, refused.stderr
        said = " ".join(refused.stderr.split())  # rich wraps long lines
        assert "hộp thư đến" in said and "cannot be the inbox" in said
    assert (data / "cv.jpg").is_file() and not (data / "processed").exists() and not (data / "archive").exists()

    first = sohoa("process", data / "cv.jpg", "--no-prefect", "--json", data_dir=data)
    assert first.returncode == 0 and (data / "archive").is_dir(), first.stderr
    drop(SAMPLES / "trich-luc-khai-tu-31.png", data / "mới" / "khai-tu.png")
    again = sohoa("process", data, "--no-prefect", "--json", data_dir=data)
    assert again.returncode == 0, again.stderr
    paths = sorted(Path(f["path"]).name for f in json.loads(again.stdout)["files"])
    assert paths == ["cv.jpg", "khai-tu.png"]  # not the archive's document.pdf / original.jpg
    said = "".join(again.stderr.split())
    assert "sohoa'sownfolder" in said and "".join(str(data / "archive").split()) in said
    records = list((data / "archive").rglob("record.json"))
    assert len(records) == 2
    only_own = sohoa("process", data / "archive", "--no-prefect", data_dir=data)
    assert only_own.returncode == 2 and "skipped" in only_own.stderr, only_own.stderr


def test_the_data_folder_refused_as_inbox_is_named_as_such_not_by_a_folder_it_does_not_use(tmp_path: Path) -> None:
    """QA69: `watch $DATA_DIR --once` was refused as containing sohoa's own folder `DATA_DIR/archive`, the archive
    being configured elsewhere (SOHOA_ARCHIVE) and no such folder there."""
    from flows.watch import inbox_problem

    data = tmp_path / "data"
    (data / "outbox").mkdir(parents=True)
    settings = make_settings(data, archive=str(tmp_path / "srv" / "kho"))
    for inbox, vi, en in ((data, "là", "is"), (tmp_path, "chứa", "contains")):
        said = inbox_problem(inbox, settings)
        assert said is not None and str(data / "archive") not in said, said
        assert f"{vi} thư mục dữ liệu của sohoa (SOHOA_DATA_DIR) {data}; hộp thư đến thường là {data / 'inbox'}" in said
        assert f"it {en} sohoa's data folder (SOHOA_DATA_DIR) {data}" in said, said
    # an own folder configured inside another folder: those there named, not the first one that would be made
    inbox = tmp_path / "chung"
    (inbox / "cách ly").mkdir(parents=True)
    elsewhere = make_settings(data, archive=str(inbox / "kho"), quarantine_dir=inbox / "cách ly")
    said = inbox_problem(inbox, elsewhere)
    assert said is not None and f"contains sohoa's own folder(s) {inbox / 'cách ly'} (the inbox" in said, said
    assert inbox_problem(data / "inbox", settings) is None


def test_watch_quarantines_files_that_are_not_scans_and_says_which_it_leaves_alone(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(SCAN, inbox / "CÔNG VĂN.JPG")
    for name, content in {
        "văn bản.docx": b"PK\x03\x04 word",
        "ảnh điện thoại.heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
        "không-đuôi": b"plain text",
        ".ẩn.jpg": SCAN.read_bytes(),
        ".~lock.văn bản.docx#": b"lock",
        "b.pdf.part": b"%PDF-1.7 half",
        "Thumbs.db": b"thumbs",
    }.items():
        (inbox / name).write_bytes(content)
        os.utime(inbox / name, (time.time() - 60, time.time() - 60))
    watched = sohoa("-v", "watch", inbox, "--once", "--json", data_dir=tmp_path / "d")
    assert watched.returncode == 1, watched.stderr  # some quarantined
    got = {r["file"]: r for r in receipts(watched)}
    assert set(got) == {"CÔNG VĂN.JPG", "văn bản.docx", "ảnh điện thoại.heic", "không-đuôi"}
    assert got["CÔNG VĂN.JPG"]["outcome"] == "archived"
    for name in ("văn bản.docx", "ảnh điện thoại.heic", "không-đuôi"):
        assert got[name]["outcome"] == "quarantined" and "không được hỗ trợ" in got[name]["reason_vi"]
        assert (tmp_path / "d" / "quarantine" / f"{name}.reason.txt").is_file()
    assert len(list((tmp_path / "d" / "outbox").iterdir())) == 4
    left = sorted(p.name for p in inbox.iterdir())
    assert left == sorted([".ẩn.jpg", ".~lock.văn bản.docx#", "b.pdf.part", "Thumbs.db"])
    said = " ".join(watched.stderr.split())
    for name in left:
        assert said.count(f"{name}: bỏ qua / left alone") == 1, (name, said)


def test_watch_checks_the_archive_before_it_claims_a_file(tmp_path: Path) -> None:
    inbox, not_a_folder = tmp_path / "inbox", tmp_path / "afile"
    drop(SCAN, inbox / "cv.jpg")
    not_a_folder.write_text("không phải thư mục\n", encoding="utf-8")
    watched = sohoa("watch", inbox, "--once", "--archive", not_a_folder, data_dir=tmp_path / "d")
    assert watched.returncode == 3 and "it is a file" in " ".join(watched.stderr.split()), watched.stderr
    assert (inbox / "cv.jpg").is_file() and not (tmp_path / "d" / "claimed").exists()
    # the pass itself checks too (the service's rescans, the Prefect flow): nothing claimed
    settings = make_settings(tmp_path / "d", archive=str(not_a_folder), watch_stable_seconds=0)
    with pytest.raises(StageError):
        watch_once(inbox, settings)
    assert (inbox / "cv.jpg").is_file() and not list((tmp_path / "d").rglob("claimed/*"))


def test_a_receipt_says_the_record_needs_review(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # names as a Mac writes them (NFD): the receipts' sentences and reasons quote them in NFC (QA: an officer's
    # search for "tệp hỏng" missed them), and the Vietnamese sentence gives the review reasons in Vietnamese
    blank, broken = (unicodedata.normalize("NFD", name) for name in ("trang trắng.png", "tệp hỏng.pdf"))
    sketch = Image.new("L", (1240, 1754), 255)  # an A4 page with ink but no word: an "unknown" record, to review
    ImageDraw.Draw(sketch).rectangle((300, 400, 900, 1000), outline=0, width=8)
    sketch.save(inbox / blank, dpi=(150, 150))
    (inbox / broken).write_bytes(b"%PDF-1.7\nnot really\n")
    for name in (blank, broken):
        os.utime(inbox / name, (time.time() - 60, time.time() - 60))
    watched = sohoa("watch", inbox, "--once", "--json", data_dir=tmp_path / "d")
    assert watched.returncode == 1, watched.stderr
    by_outcome = {r["outcome"]: r for r in receipts(watched)}
    receipt, refused = by_outcome["archived"], by_outcome["quarantined"]
    assert receipt["needs_review"] is True and receipt["review_reasons"]
    assert "cần cán bộ kiểm tra lại" in receipt["message_vi"] and "needs an officer's review" in receipt["message_en"]
    assert receipt["review_reasons_vi"] and receipt["review_reasons_vi"] != receipt["review_reasons"]
    assert all(reason not in receipt["message_vi"] for reason in receipt["review_reasons"]), receipt["message_vi"]
    for text in (refused["reason"], refused["reason_vi"], refused["message_vi"], refused["message_en"]):
        assert text == unicodedata.normalize("NFC", text) and "tệp hỏng.pdf" in text, text
    outbox = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "d" / "outbox").iterdir()]
    assert sorted(r["needs_review"] for r in outbox) == [False, True]
    # and the log's lines of the file say it, as the table does (they said "archived" and the id only)
    said = " ".join(watched.stderr.split())
    shown = unicodedata.normalize("NFC", blank)
    assert f"{shown}: đã lưu / archived {receipt['record_id']}; cần xem lại / needs review (sohoa review list)" in said
    pattern = rf"{re.escape(shown)}: ĐÃ LƯU / ARCHIVED as \S+ \([^)]*\); cần xem lại / needs review \(sohoa review"
    assert re.search(pattern, said), said
    # times in Vietnam time, as the signature stamps say them, though this server runs in UTC (QA)
    assert all(r["time"].endswith("+07:00") for r in outbox), [r["time"] for r in outbox]
    (reason_file,) = (tmp_path / "d" / "quarantine").glob("*.reason.txt")
    assert "+07:00" in reason_file.read_text(encoding="utf-8")


def test_process_names_the_links_it_does_not_follow(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    drop(SCAN, elsewhere / "cv.jpg")
    drop(SCAN, folder / "cv.jpg")
    (folder / "liên kết").symlink_to(elsewhere, target_is_directory=True)
    (folder / "mất.pdf").symlink_to(tmp_path / "không có")
    (folder / "thư mục mất").symlink_to(tmp_path / "không có thư mục")
    processed = sohoa("process", folder, "--no-prefect", "--json", data_dir=tmp_path / "d")
    assert processed.returncode == 0, processed.stderr
    assert [Path(f["path"]).name for f in json.loads(processed.stdout)["files"]] == ["cv.jpg"]
    said = "".join(processed.stderr.split())
    assert "liênkết:bỏqualiênkếttượngtrưngtớithưmục/skipped:asymboliclinktoafolder" in said, processed.stderr
    assert "mất.pdf:bỏqua" in said and "thưmụcmất:bỏqua" in said


def test_process_takes_windows_jpeg_names_quarantines_phone_photos_and_names_what_it_passes_by(tmp_path: Path) -> None:
    # QA: in a folder, `sohoa process` passed by .jfif (a browser's "Save image as" on Windows), .jpe, .HEIC and
    # .webp without a word; the watched inbox quarantined the .heic. Now: the JPEGs are taken, the phone's images
    # quarantined with a reason that says what to do, anything else named in a warning and in --json's "skipped"
    folder = tmp_path / "in"
    drop(SCAN, folder / "công văn.jfif")
    drop(SCAN, folder / "bản sao.JPE")  # the same scan: taken, one of them found archived already
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 4000
    (folder / "IMG_0001.HEIC").write_bytes(heic)
    (folder / "ghi chú.txt").write_text("danh sách\n", encoding="utf-8")
    (folder / "Thumbs.db").write_bytes(b"thumbs")
    (folder / ".DS_Store").write_bytes(b"mac")
    processed = sohoa("process", folder, "--no-prefect", "--json", data_dir=tmp_path / "d")
    assert processed.returncode == 1, processed.stderr  # one quarantined
    payload = json.loads(processed.stdout)
    got = {Path(f["path"]).name: f for f in payload["files"]}
    assert set(got) == {"công văn.jfif", "bản sao.JPE", "IMG_0001.HEIC"}
    assert sorted(got[name]["outcome"] for name in ("công văn.jfif", "bản sao.JPE")) == ["already_archived", "archived"]
    assert got["IMG_0001.HEIC"]["outcome"] == "quarantined"
    assert "a HEIC/HEIF phone photo" in got["IMG_0001.HEIC"]["reason"]
    assert "xuất sang JPEG" in got["IMG_0001.HEIC"]["reason_vi"]
    skipped = {Path(s["path"]).name: s for s in payload["skipped"]}
    assert set(skipped) == {"ghi chú.txt", "Thumbs.db"}  # a hidden file is not looked at
    assert "a .txt file is not a scan" in skipped["ghi chú.txt"]["reason"]
    said = " ".join(processed.stderr.split())
    assert "ghi chú.txt: bỏ qua tệp .txt, vì đó không phải tệp quét" in said
    assert "skipped: a .txt file is not a scan" in said
    assert "Thumbs.db: bỏ qua" in said
    # the watched inbox: the same phone photo quarantined with the same reason, the same files left alone; a file
    # of another type dropped there is quarantined (whatever is dropped in the inbox was meant to be archived)
    inbox = tmp_path / "inbox"
    shutil.copytree(folder, inbox)
    for path in inbox.iterdir():
        os.utime(path, (time.time() - 60, time.time() - 60))
    watched = sohoa("watch", inbox, "--once", "--json", data_dir=tmp_path / "d")
    assert watched.returncode == 1, watched.stderr
    receipts_by_file = {r["file"]: r for r in receipts(watched)}
    assert receipts_by_file["IMG_0001.HEIC"]["outcome"] == "quarantined"
    assert "a HEIC/HEIF phone photo" in receipts_by_file["IMG_0001.HEIC"]["reason"]
    assert receipts_by_file["ghi chú.txt"]["outcome"] == "quarantined"
    assert receipts_by_file["công văn.jfif"]["outcome"] == "already_archived"
    assert sorted(p.name for p in inbox.iterdir()) == [".DS_Store", "Thumbs.db"]


def test_a_newline_in_a_file_name_is_written_as_an_escape_in_log_lines_and_reasons(tmp_path: Path) -> None:
    # QA: "dòng1\\ndòng2 quyết định.jpg" was written raw into the log lines: one record made two lines, the second
    # ("dòng2 quyết định.jpg: ARCHIVED as …") read as a record of its own; `list` and `search` already said "\\n"
    folder, inbox = tmp_path / "in", tmp_path / "inbox"
    drop(SCAN, folder / "dòng1\ndòng2 quyết định.jpg")
    (folder / "hỏng\nthật.jpg").write_bytes(b"not an image at all")
    processed = sohoa("process", folder, "--no-prefect", "--json", data_dir=tmp_path / "d")
    assert processed.returncode == 1, processed.stderr
    lines = processed.stderr.splitlines()
    assert not [line for line in lines if line.startswith(("dòng2", "thật.jpg"))], processed.stderr
    assert any("dòng1\\ndòng2 quyết định.jpg: ĐÃ LƯU / ARCHIVED as" in line for line in lines), processed.stderr
    assert any("hỏng\\nthật.jpg: CÁCH LY / QUARANTINED" in line for line in lines), processed.stderr
    files = {f["path"]: f for f in json.loads(processed.stdout)["files"]}  # JSON keeps the name as it is
    refused = files[str(folder / "hỏng\nthật.jpg")]
    assert refused["reason"].startswith("hỏng\\nthật.jpg: Unsupported file type"), refused["reason"]
    assert refused["reason_vi"].startswith("hỏng\\nthật.jpg: Định dạng tệp"), refused["reason_vi"]
    (reason_file,) = (tmp_path / "d" / "quarantine").glob("*.reason.txt")
    fields = reason_file.read_text(encoding="utf-8").splitlines()
    assert fields[0] == f"Tệp / File: {folder}/hỏng\\nthật.jpg" and fields[1].startswith("SHA-256: "), fields
    # a one-line message of the command line, and the watcher's log lines and reason file (as dropped in the inbox)
    alone = sohoa("ocr", folder / "hỏng\nthật.jpg", tmp_path / "out.pdf", data_dir=tmp_path / "d")
    assert alone.returncode == 1 and len(alone.stderr.strip().splitlines()) == 1, alone.stderr
    drop(folder / "hỏng\nthật.jpg", inbox / "hỏng\nthật.jpg")
    watched = sohoa("watch", inbox, "--once", "--json", data_dir=tmp_path / "w")
    assert watched.returncode == 1, watched.stderr
    assert not [line for line in watched.stderr.splitlines() if line.startswith("thật.jpg")], watched.stderr
    (reason_file,) = (tmp_path / "w" / "quarantine").glob("*.reason.txt")
    fields = reason_file.read_text(encoding="utf-8").splitlines()
    assert fields[0] == f"Tệp / File: {inbox}/hỏng\\nthật.jpg" and fields[1].startswith("SHA-256: "), fields


def test_records_receipts_and_reasons_name_the_file_as_dropped(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop(SAMPLES / "stack" / "ho-so-ghep-2-van-ban.pdf", inbox / "Văn thư" / "hồ sơ ghép.pdf")
    drop(SCAN, inbox / "Văn thư" / "công văn.jpg")
    (inbox / "Văn thư" / "hỏng.pdf").write_bytes(b"junk")
    os.utime(inbox / "Văn thư" / "hỏng.pdf", (time.time() - 60, time.time() - 60))
    watched = sohoa("watch", inbox, "--once", "--json", data_dir=tmp_path / "d", env={"COLUMNS": "2000"})
    assert watched.returncode == 1, watched.stderr
    got = sorted((r["file"], r["document"], r["outcome"]) for r in receipts(watched))
    assert got == [
        ("Văn thư/công văn.jpg", None, "archived"),
        ("Văn thư/hỏng.pdf", None, "quarantined"),
        ("Văn thư/hồ sơ ghép.pdf", 1, "archived"),
        ("Văn thư/hồ sơ ghép.pdf", 2, "archived"),
    ]
    stack_receipts = [r for r in receipts(watched) if r["document"]]
    assert all(
        f"Văn bản thứ {r['document']} (tr. {r['pages'][0]}) trong tệp Văn thư/hồ sơ ghép.pdf" in r["message_vi"]
        and f"Document {r['document']} (p. {r['pages'][0]}) of the file" in r["message_en"]
        for r in stack_receipts
    )
    paths = sorted(
        json.loads(p.read_text(encoding="utf-8"))["source"]["path"]
        for p in (tmp_path / "d" / "archive").rglob("record.json")
    )
    dropped = str(inbox / "Văn thư")
    assert paths == [f"{dropped}/công văn.jpg", f"{dropped}/hồ sơ ghép.pdf#1", f"{dropped}/hồ sơ ghép.pdf#2"]
    reason = (tmp_path / "d" / "quarantine" / "hỏng.pdf.reason.txt").read_text(encoding="utf-8")
    assert reason.startswith(f"Tệp / File: {dropped}/hỏng.pdf\n"), reason
    # and so do the log lines (QA: "…/d/claimed/Văn thư/công văn.jpg: ARCHIVED as …", a copy gone once moved on)
    said = [line.split("  ", 1)[-1].strip() for line in watched.stderr.splitlines()]
    for name in (
        "công văn.jpg: ĐÃ LƯU / ARCHIVED as ",
        "hồ sơ ghép.pdf#1 (tr. / p. 1): ĐÃ LƯU / ARCHIVED as ",  # the stack's pages it was made of
        "hồ sơ ghép.pdf#2 (tr. / p. 3): ĐÃ LƯU / ARCHIVED as ",
    ):
        assert any(line.startswith(f"{dropped}/{name}") for line in said), watched.stderr
    assert any(line.startswith(f"{dropped}/hỏng.pdf: CÁCH LY / QUARANTINED as ") for line in said), watched.stderr
    outcomes = [line for line in said if " ARCHIVED as " in line or "QUARANTINED as " in line]
    assert len(outcomes) == 4 and not [line for line in outcomes if "/claimed/" in line], outcomes
    # the stack's split line too (QA: it still named "…/d/claimed/Văn thư/hồ sơ ghép.pdf")
    (split,) = [line for line in said if " / split into " in line]
    assert split.startswith(f"{dropped}/hồ sơ ghép.pdf: đã tách thành 2 văn bản tại 1 tờ phân cách / split into 2 "), (
        split
    )


def test_a_name_that_is_not_utf8_goes_through_the_prefect_flow(tmp_path: Path, prefect_api: str) -> None:
    folder = tmp_path / "in"
    drop(SCAN, os.path.join(os.fsencode(folder), LATIN1))
    # a flow run: its parameters are JSON, sent to a Prefect server (the session's: a configured PREFECT_API_URL,
    # so the command starts no temporary one of its own — the one thing this test does not look at)
    processed = sohoa("process", folder, "--json", data_dir=tmp_path / "d", env={"PREFECT_API_URL": prefect_api})
    assert processed.returncode == 0 and "Traceback" not in processed.stderr, processed.stderr
    (line,) = json.loads(processed.stdout)["files"]
    assert line["outcome"] == "archived" and line["path"].endswith("/c\\xf4ng-v\\xe3n.jpg")


def test_a_file_named_inside_the_quarantine_is_said_as_a_file(tmp_path: Path) -> None:
    """QA69: `sohoa process QUARANTINE/mat-khau.pdf` (fixed in place by an officer) was skipped as "sohoa's own
    folder", the file called a folder; it is a file inside one, to be copied out first."""
    data = tmp_path / "data"
    fixed = data / "quarantine" / "mật khẩu.pdf"
    drop(SCAN, fixed)
    refused = sohoa("process", fixed, "--no-prefect", data_dir=data)
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 2, refused.stderr
    assert "tệp nằm trong thư mục riêng của sohoa" in said and "a file inside sohoa's own folder" in said, said
    assert "copy it elsewhere and run again on the copy" in said and fixed.is_file()
