"""Operations: the watched folder with filesystem events, subfolder tags, receipts beside the archived record,
long Vietnamese file names, and its Prefect flow (deployment ``watch-inbox``)."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

import pytest

from flows.intake import split_stack
from flows.watch import (
    _Claimed,
    _document_name,
    _finish_journaled,
    _Journal,
    _origin,
    _Recent,
    _unique,
    receipt_file_name,
    tags_for,
    watch,
    watch_once,
)
from sohoa.fsutil import NAME_MAX, fit_name
from sohoa.record import Record
from storage import open_configured_archive, search_index_path
from storage.quarantine import quarantine_file
from storage.search import SearchIndex
from tests.conftest import make_settings, run_flow_for_its_artifact
from tests.test_operations_intake import CODE, page, png, separator, stack_pdf

ROOT = Path(__file__).resolve().parent.parent


def long_vietnamese_name(suffix: str, limit: int = NAME_MAX) -> str:
    """About 200 Vietnamese characters, a few bytes under the 255-byte file name limit with ``suffix``."""
    words = "Tờ khai đăng ký khai sinh của công dân Nguyễn Thị Hồng Nhung ở thôn Đông Hưng xã Yên Phú huyện Ý Yên "
    name = ""
    for char in words * 4:
        if len((name + char + suffix).encode("utf-8")) > limit - 3:
            break
        name += char
    return name.strip() + suffix


def name_bytes(path: Path | str) -> int:
    return len(Path(path).name.encode("utf-8"))


def test_long_names_are_shortened_with_a_hash_and_subfolders_become_tags(tmp_path: Path) -> None:
    name = long_vietnamese_name(".png")
    assert len(name) >= 180 and 245 <= name_bytes(name) <= NAME_MAX
    assert fit_name("ngắn", ".txt") == "ngắn.txt"
    a, b = fit_name(name, ".reason.txt"), fit_name(name + "x", ".reason.txt")
    assert a != b and a.endswith(".reason.txt") and max(name_bytes(a), name_bytes(b)) <= NAME_MAX
    receipt_name = receipt_file_name({"sha256": "ab" * 32}, Path(name))
    assert receipt_name.startswith("abababababababab-Tờ khai") and name_bytes(receipt_name) <= NAME_MAX
    # a quarantined file with such a name still gets its reason file beside it
    bad = tmp_path / name
    bad.write_text("không phải ảnh\n", encoding="utf-8")
    entry = quarantine_file(bad, tmp_path / "q", reason_vi="hỏng", reason_en="damaged")
    assert entry.file.is_file() and entry.reason_file.is_file() and name_bytes(entry.reason_file) <= NAME_MAX
    taken = tmp_path / "taken" / name
    taken.parent.mkdir()
    taken.write_bytes(b"x")
    assert name_bytes(_unique(taken)) <= NAME_MAX and _unique(taken).suffix == ".png"  # a claim's second name
    # a long-named scanned stack still splits: its parts are named within the limit too
    stack = stack_pdf(tmp_path / fit_name(name.removesuffix(".png"), ".pdf"), [page("A"), separator(), page("B")])
    parts = split_stack(stack, tmp_path / "work", CODE)
    assert len(parts) == 2 and all(
        name_bytes(p) <= NAME_MAX and p.name.endswith(f"#{n}.pdf") for n, p in enumerate(parts, 1)
    )
    claims = [_Claimed(stack, Path("hộ tịch") / stack.name)]  # each part is traced back to its stack
    assert [_origin(p, claims) for p in parts] == claims * 2
    assert _document_name(parts[1], claims[0]) == f"hộ tịch/{stack.name}#2.pdf"
    assert tags_for(Path("hộ tịch/scan.pdf")) == ["hộ tịch"]
    assert tags_for(Path("HT-KS/2025/scan.pdf")) == ["HT-KS"]  # first level only; a class code is just a tag
    assert tags_for(Path("scan.pdf")) == []
    source = {"name": "a", "path": "/a", "sha256": "0" * 64, "size": 1, "media_type": "image/png"}
    assert Record.model_validate({"id": "0" * 16, "source": source}).tags == []  # a sidecar from before tags


def test_a_running_watcher_says_what_it_watches_when_it_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA77: `sohoa watch` said nothing until it was stopped: an officer could not tell it was running."""
    inbox = tmp_path / "hộp thư đến"
    inbox.mkdir()
    settings = make_settings(tmp_path / "var", watch_interval=3600, watch_stable_seconds=7)
    stop = threading.Event()
    stop.set()  # one look at the loop, then it ends
    with caplog.at_level(logging.INFO, logger="sohoa"):
        watch(inbox, settings, stop=stop)
    said = [r.getMessage() for r in caplog.records if "watching" in r.getMessage()]
    assert said == [
        f"đang theo dõi {inbox}: tệp quét xong được xử lý sau 7 s không đổi, cả thư mục được xem lại mỗi 3600 s; "
        f"Ctrl+C để dừng / watching {inbox}: a scan is processed once unchanged for 7 s, the whole folder looked at "
        "every 3600 s; Ctrl+C to stop"
    ], said


@pytest.mark.integration
def test_watch_picks_up_a_dropped_file_at_once_and_stores_its_receipt_with_the_record(tmp_path: Path) -> None:
    """A file dropped while `watch` runs (in a thread, full rescans an hour apart, so only the filesystem events
    can find it), in a subfolder, with a 250-byte Vietnamese name: claimed, archived with the subfolder's tag,
    the receipt in the outbox and beside the record."""
    inbox = tmp_path / "hộp thư đến"
    (inbox / "hộ tịch").mkdir(parents=True)
    settings = make_settings(tmp_path / "var", ocr_workers=1, watch_interval=3600, watch_stable_seconds=0.5)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(inbox, settings), kwargs={"stop": stop}, daemon=True)
    watcher.start()
    try:
        time.sleep(2)  # the first full pass (an empty inbox) is over: from now on only events can find a file
        name = long_vietnamese_name(".png")
        (inbox / "hộ tịch" / name).write_bytes(png(page("THÔNG BÁO\nLịch tiếp công dân")))
        outbox = settings.data_dir / "outbox"
        deadline = time.monotonic() + 120
        while not list(outbox.glob("*.receipt.json")) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop.set()
        watcher.join(timeout=60)
    assert not watcher.is_alive()
    (receipt_path,) = outbox.glob("*.receipt.json")
    assert name_bytes(receipt_path) <= NAME_MAX
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    assert receipt["outcome"] == "archived", receipt
    assert receipt["file"] == f"hộ tịch/{name}" and receipt["original_name"] == name
    assert receipt["tags"] == ["hộ tịch"] and "Đã tiếp nhận" in receipt["message_vi"]
    assert receipt["record_id"] in receipt["message_en"] and receipt["archive_path"] in receipt["message_en"]
    assert (settings.data_dir / "processed" / "hộ tịch" / name).is_file()
    assert not (inbox / "hộ tịch" / name).exists()

    archive = open_configured_archive(settings)
    record = archive.get(receipt["record_id"])
    assert record is not None and record.tags == ["hộ tịch"] and record.source.name == name
    assert record.archive_prefix == receipt["archive_path"] and record.source.sha256 == receipt["sha256"]
    assert "receipt" in {o.role for o in record.objects} and not archive.verify_objects(record)
    assert json.loads(archive.read_verified(record, "receipt")) == receipt  # the same receipt in both places
    sidecar = Path(archive.location) / record.archive_prefix / "record.json"
    assert json.loads(sidecar.read_text(encoding="utf-8"))["tags"] == ["hộ tịch"]
    with SearchIndex(search_index_path(settings)) as index:  # the tag is searchable, with or without diacritics
        assert [hit.record_id for hit in index.search("ho tich")] == [record.id]

    # the same scan dropped again: its receipt says "already archived", beside the first, which stays as it was
    first_receipt = receipt_path.read_bytes()
    again = inbox / "hộ tịch" / name
    again.write_bytes((settings.data_dir / "processed" / "hộ tịch" / name).read_bytes())
    os.utime(again, (time.time() - 60, time.time() - 60))
    (second,) = watch_once(inbox, settings)
    assert second["outcome"] == "already_archived" and second["record_id"] == receipt["record_id"]
    assert receipt_path.read_bytes() == first_receipt
    assert len(list(outbox.glob("*.receipt.json"))) == 2


@pytest.mark.integration
def test_prefect_flow_runs_one_pass_and_publishes_an_artifact(tmp_path: Path, prefect_api: str) -> None:
    """The `watch-inbox` flow once, in its own process (as a worker runs it, against a Prefect server)."""
    inbox = tmp_path / "inbox"
    (inbox / "Tư pháp").mkdir(parents=True)
    (inbox / "Tư pháp" / "giấy mời họp.png").write_bytes(png(page("GIẤY MỜI\nHọp tổ dân phố số 3")))
    (inbox / "ghi chú.pdf").write_text("đây không phải PDF\n", encoding="utf-8")
    overrides = {"data_dir": str(tmp_path / "var"), "watch_stable_seconds": 0, "ocr_workers": 1}
    result = run_flow_for_its_artifact(
        "from flows.prefect_watch import watch_inbox",
        "watch_inbox(sys.argv[1], settings_overrides=json.loads(sys.argv[2]), return_state=True)",
        [str(inbox), json.dumps(overrides)],
        tmp_path / "prefect",
        prefect_api,
    )
    receipts = {r["file"]: r for r in result["result"]}
    assert receipts["Tư pháp/giấy mời họp.png"]["outcome"] == "archived"
    assert receipts["Tư pháp/giấy mời họp.png"]["tags"] == ["Tư pháp"]
    assert receipts["ghi chú.pdf"]["outcome"] == "quarantined" and receipts["ghi chú.pdf"]["reason_vi"]
    assert result["key"] == "watch-inbox"
    assert "| Tư pháp/giấy mời họp.png | đã lưu / archived |" in result["markdown"], result["markdown"]
    assert len(list((tmp_path / "var" / "outbox").glob("*.receipt.json"))) == 2


def test_prefect_yaml_declares_the_watch_inbox_deployment() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployment = next(d for d in config["deployments"] if d["name"] == "watch-inbox")
    assert deployment["schedules"][0]["interval"] == 60
    assert deployment["work_pool"] == {"name": "sohoa", "work_queue_name": "interactive"}
    assert deployment["parameters"]["inbox"] == "/srv/sohoa/inbox"
    module, flow_name = deployment["entrypoint"].rsplit(".", 1)
    assert f"def {flow_name}(" in (ROOT / f"{module.replace('.', '/')}.py").read_text(encoding="utf-8")


def test_a_copy_in_another_folder_and_entries_that_are_no_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # found by exploratory testing: the receipt of a copy dropped in folder b said the tag of folder a (the
    # record's); a named pipe and a link to nothing were passed by without a word
    inbox = tmp_path / "inbox"
    for folder in ("a", "b"):
        (inbox / folder).mkdir(parents=True)
        (inbox / folder / "thông báo.png").write_bytes(png(page("THÔNG BÁO\nLịch tiếp công dân")))
    os.mkfifo(inbox / "ống.pdf")
    (inbox / "hỏng.pdf").symlink_to(tmp_path / "không có")
    old = time.time() - 60
    for path in (inbox / "a" / "thông báo.png", inbox / "b" / "thông báo.png"):
        os.utime(path, (old, old))
    settings = make_settings(tmp_path / "var", ocr_workers=1, watch_stable_seconds=0.5)
    with caplog.at_level("WARNING", logger="sohoa"):
        receipts = {r["file"]: r for r in watch_once(inbox, settings)}
    copies = [receipts["a/thông báo.png"], receipts["b/thông báo.png"]]
    assert sorted(r["outcome"] for r in copies) == ["already_archived", "archived"]  # either may come first
    assert [r["tags"] for r in copies] == [["a"], ["b"]]
    # the receipt stored with the record is the archived copy's: both copies have one record id, and the receipt
    # stored with it used to take the other copy's name now and then
    (archived,) = [r for r in copies if r["outcome"] == "archived"]
    archive = open_configured_archive(settings)
    record = archive.get(archived["record_id"])
    assert record is not None and json.loads(archive.read_verified(record, "receipt")) == archived
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "ống.pdf: bỏ qua" in said and "a named pipe (FIFO)" in said
    assert "hỏng.pdf: bỏ qua" in said and "which does not exist" in said


def test_a_journal_entry_is_finished_for_its_own_file_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The receipts journaled for a claimed file are written and the file moved on by the next full pass; an entry
    left by a crash right after the move is dropped, even when a later drop now lies under the same name
    (another inode, size or mtime), which is processed as a drop of its own. Said naming the file as dropped in the
    inbox, in both languages (QA69: English only, naming DATA_DIR/claimed/…)."""
    data_dir = tmp_path / "var"
    claimed = data_dir / "claimed" / "hộ tịch" / "thông báo.png"
    claimed.parent.mkdir(parents=True)
    claimed.write_bytes(b"first drop")
    journal, recent = _Journal(data_dir), _Recent(data_dir)
    receipt = {"file": "hộ tịch/thông báo.png", "outcome": "archived", "record_id": "0" * 16}
    journal.decided(claimed, [("r.receipt.json", receipt)], [])
    outbox, processed = data_dir / "outbox", data_dir / "processed"
    outbox.mkdir()
    for torn in (journal.root / ".a.json.part-x1y2z3", outbox / ".r.receipt.json.part-x1y2z3"):
        torn.write_text("{", encoding="utf-8")  # a write killed half-way
    inbox = tmp_path / "hộp thư"
    with caplog.at_level("INFO", logger="sohoa"):
        assert _finish_journaled(journal, processed, outbox, recent, inbox) == [receipt]
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert said == [
        f"{inbox / 'hộ tịch' / 'thông báo.png'}: đã hoàn tất những gì một lượt bị gián đoạn đã quyết định / finished "
        "what an interrupted pass had decided"
    ], said
    removed = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert len(removed) == 2 and all("do một lượt bị gián đoạn để lại / removed" in m for m in removed), removed
    assert [p.name for p in outbox.iterdir()] == ["r.receipt.json"]
    assert json.loads((outbox / "r.receipt.json").read_text(encoding="utf-8")) == receipt
    assert (processed / "hộ tịch" / "thông báo.png").read_bytes() == b"first drop" and not claimed.exists()
    assert [p.name for p in journal.root.iterdir()] == ["recent"]
    # the file moved on is re-checked for a late writer, as if its own pass had moved it
    (entry,) = [json.loads(p.read_text(encoding="utf-8")) for p in recent.root.glob("*.json")]
    assert entry["path"] == str(processed / "hộ tịch" / "thông báo.png") and entry["size"] == len(b"first drop")

    claimed.write_bytes(b"first drop")
    journal.decided(claimed, [("r2.receipt.json", receipt)], [])
    claimed.unlink()  # moved on, then killed before the entry was removed; a later drop claimed under its name
    claimed.write_bytes(b"a later drop")
    assert journal.read(claimed) is None
    assert _finish_journaled(journal, processed, outbox, recent, inbox) == []
    assert claimed.read_bytes() == b"a later drop" and not (outbox / "r2.receipt.json").exists()
    assert [p.name for p in journal.root.iterdir()] == ["recent"]


WRITER = """
import sys, time
data = open(sys.argv[2], "rb").read()
with open(sys.argv[1], "wb") as out:
    out.write(data[: len(data) // 2])
    out.flush()
    open(sys.argv[1] + ".half", "w").close()  # the test's signal: half of it is on disk
    time.sleep(float(sys.argv[3]))
    out.write(data[len(data) // 2 :])
"""


@pytest.mark.parametrize("writer_seen", [True, False])
def test_a_scan_whose_writer_pauses_mid_write_is_archived_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer_seen: bool
) -> None:
    """QA: a writer that wrote half a PDF and paused longer than SOHOA_WATCH_STABLE_SECONDS had the half file
    claimed and quarantined as "PDF truncated"; it wrote the rest into the claimed file, and the complete scan lay
    unprocessed in processed/. A real writer process pausing mid-write: while it holds the file open for writing
    the file is left alone; and one this process cannot see (another machine's, over NFS: not in /proc here), whose
    half file was claimed, has it put back in the inbox and nothing quarantined."""
    import subprocess
    import sys

    import flows.watch as watch_module

    inbox = tmp_path / "hộp thư đến"
    inbox.mkdir()
    whole = stack_pdf(tmp_path / "whole.pdf", [page("THÔNG BÁO\nSố: 12/TB-UBND\nLịch tiếp công dân")])
    settings = make_settings(tmp_path / "var", ocr_workers=1, watch_interval=0.5, watch_stable_seconds=1)
    if not writer_seen:
        seen = watch_module.held_for_writing
        monkeypatch.setattr(watch_module, "held_for_writing", lambda paths: set())  # an NFS client's writer
    target = inbox / "công văn.pdf"
    pause = 6.0 if writer_seen else 3.0
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(whole), str(pause)])
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(inbox, settings), kwargs={"stop": stop}, daemon=True)
    try:
        deadline = time.monotonic() + 30
        while not Path(f"{target}.half").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        Path(f"{target}.half").unlink()
        if not writer_seen:
            assert seen([target]) == {target}  # the real check sees the writer; the watcher is made blind to it
        watcher.start()
        assert writer.wait(60) == 0
        outbox = settings.data_dir / "outbox"
        deadline = time.monotonic() + 120
        while not list(outbox.glob("*.receipt.json")) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)  # a few more passes: nothing else may happen to it
    finally:
        stop.set()
        watcher.join(timeout=60)
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    receipts = [json.loads(p.read_text(encoding="utf-8")) for p in (settings.data_dir / "outbox").glob("*.json")]
    assert [r["outcome"] for r in receipts] == ["archived"], receipts
    assert (settings.data_dir / "processed" / target.name).read_bytes() == whole.read_bytes()
    quarantine = settings.quarantine_path
    assert not quarantine.exists() or not [p for p in quarantine.iterdir() if not p.name.startswith(".")]
    assert not target.exists() and not any((settings.data_dir / "claimed").rglob("*.pdf"))
