"""Names and text in any spelling or encoding (QA57): output streams that cannot hold Vietnamese, names stored
NFD and typed NFC, configured text in NFD, names that are not UTF-8, names made only of combining marks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from sohoa.fsutil import one_line, printable
from sohoa.settings import Settings
from storage import LocalArchive
from tests.conftest import ROOT
from tests.storage_helpers import make_record

NAME = "Quyết định hòa giải"  # NFC, as typed on Windows or Linux, or pasted from a receipt
NFD_NAME = unicodedata.normalize("NFD", NAME)  # as a Mac writes it
MARKS = "\u0301\u0303\u0323"  # a "name" of combining marks only: nothing to carry them


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _sohoa(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The command line in a child, its output as bytes (what a stream that is not UTF-8 got)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOHOA_", "PYTHONIOENCODING", "PYTHONUTF8"))}
    base.update(PYTHONPATH=str(ROOT), SOHOA_DATA_DIR=str(data_dir), SOHOA_CONFIG="", SOHOA_OCR_SERVER="off")
    base.update(env or {})
    for name in [k for k, v in base.items() if v is None]:
        del base[name]
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, env=base, cwd=ROOT, timeout=300
    )


def _archive_with(tmp_path: Path, seed: str) -> tuple[Path, str]:
    """A data folder whose archive holds one record, scanned as ``seed.png``; the record's id."""
    data_dir = tmp_path / "var"
    record, files = make_record(tmp_path / "files", seed)
    LocalArchive(Settings(data_dir=data_dir).archive_dir).put(record, files)
    return data_dir, record.id


# ------------------------------------------------------------------ A. a stream that cannot hold Vietnamese


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_json_output_is_ascii_where_stdout_cannot_hold_vietnamese(tmp_path: Path, encoding: str) -> None:
    """`list --json` under PYTHONIOENCODING=ascii or latin-1 crashed with a UnicodeEncodeError and a traceback;
    its JSON is now pure ASCII (\\u escapes), the same data."""
    data_dir, record_id = _archive_with(tmp_path, NAME)
    proc = _sohoa("list", "--json", data_dir=data_dir, env={"PYTHONIOENCODING": encoding})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert b"Traceback" not in proc.stderr
    assert proc.stdout.isascii()
    (record,) = json.loads(proc.stdout)["records"]
    assert (record["id"], record["source"]) == (record_id, f"{NAME}.png")


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_tables_and_errors_do_not_crash_where_stdout_cannot_hold_vietnamese(tmp_path: Path, encoding: str) -> None:
    """`list`, `get ID` (rich's tables and lines) and an error under --json: their exit codes as ever, no
    traceback, what the stream cannot hold written as escapes."""
    data_dir, record_id = _archive_with(tmp_path, NAME)
    env = {"PYTHONIOENCODING": encoding}
    listed = _sohoa("list", data_dir=data_dir, env=env)
    assert listed.returncode == 0 and b"Traceback" not in listed.stderr, listed.stderr.decode(errors="replace")
    assert record_id.encode() in listed.stdout and b"Quy\\u1ebft" in listed.stdout
    shown = _sohoa("get", record_id, data_dir=data_dir, env=env)
    assert shown.returncode == 0 and b"Traceback" not in shown.stderr, shown.stderr.decode(errors="replace")
    missing = tmp_path / f"{NAME} (bản ký).pdf"
    refused = _sohoa("verify", str(missing), "--json", data_dir=data_dir, env=env)
    assert refused.returncode == 2 and b"Traceback" not in refused.stderr, refused.stderr.decode(errors="replace")
    assert json.loads(refused.stdout)["path"] == str(missing)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "cp1258"])
def test_tables_and_error_boxes_stay_in_line_where_stdout_cannot_hold_vietnamese(tmp_path: Path, encoding: str) -> None:
    """QA80 M4: the stream wrote `\\u1ebf` for `ế` after Rich had laid the table out by the letter's width: each
    escaped letter pushed its row's border out of line (`list`, `process`'s results, the usage error's box)."""
    data_dir, _ = _archive_with(tmp_path, NAME)
    env = {"PYTHONIOENCODING": encoding}

    def ruled(output: bytes) -> list[int]:  # the widths of the lines a table or a box draws
        lines = output.decode(encoding).splitlines()
        return sorted({len(line.rstrip()) for line in lines if line.strip().startswith(("|", "+"))})

    listed = _sohoa("list", data_dir=data_dir, env=env)
    assert listed.returncode == 0 and b"\\u1ebf" in listed.stdout, listed.stderr.decode(errors="replace")
    assert len(ruled(listed.stdout)) == 1, listed.stdout.decode(encoding)
    usage = _sohoa("list", "--bogus", data_dir=data_dir, env=env)
    assert usage.returncode == 2 and b"\\u1ecd" in usage.stderr
    assert len(ruled(usage.stderr)) == 1, usage.stderr.decode(encoding)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "cp1258"])
def test_search_results_stay_in_line_where_stdout_cannot_hold_vietnamese(tmp_path: Path, encoding: str) -> None:
    """QA85 L10: a search snippet is a Text built by hand, which the console did not escape before laying the
    table out: each row ran 5–15 columns past the table's border; and its leading "…" was written "."."""
    from storage import search_index_path
    from storage.search import SearchIndex

    data_dir = tmp_path / "var"
    record, files = make_record(tmp_path / "files", NAME)
    settings = Settings(data_dir=data_dir)
    LocalArchive(settings.archive_dir).put(record, files)
    with SearchIndex(search_index_path(settings), complete_if_new=True) as index:
        index.add(record)
    found = _sohoa("search", "hòa giải", data_dir=data_dir, env={"PYTHONIOENCODING": encoding})
    assert found.returncode == 0, found.stderr.decode(errors="replace")
    lines = found.stdout.decode(encoding).splitlines()
    assert len({len(line.rstrip()) for line in lines if line.strip().startswith(("|", "+"))}) == 1, lines
    ellipsis = "…" if "…".encode(encoding, "ignore") else "..."  # cp1258 holds it
    assert any(f"| {ellipsis}nh" in line for line in lines), lines


def test_a_cell_cut_short_stays_in_line_where_the_stream_has_no_ellipsis() -> None:
    """QA83 L1: Rich ends a cell it cuts with "…", which a stream in ASCII or Latin-1 then wrote as `\\u2026`, five
    columns more than the table was laid out with (`audit`'s record ids, `281c2196fa\\u2026`)."""
    import io

    from rich.table import Table

    from flows.cli import _LineConsole

    for encoding in ("ascii", "latin-1", "utf-8"):
        stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="backslashreplace")
        console = _LineConsole(file=stream, width=40)
        table = Table("mã hồ sơ / id", "tệp")
        table.columns[0].no_wrap = True
        table.columns[0].overflow = "ellipsis"
        table.add_row("281c2196fa0123456789abcdef0123456789", "Quyết định")
        console.print(table)
        stream.flush()
        lines = stream.buffer.getvalue().decode(encoding).splitlines()  # type: ignore[attr-defined]
        assert len({len(line) for line in lines if line.strip()}) == 1, (encoding, lines)


def test_a_c_locale_without_utf8_mode_lists_the_archive(tmp_path: Path) -> None:
    """`env -u LANG LC_ALL=C PYTHONUTF8=0 sohoa list --json`: Python decoded file names as ASCII there, and could
    open no file under the archive's `2025/QĐ/` (a UnicodeEncodeError), nor write the output."""
    data_dir, record_id = _archive_with(tmp_path, NAME)
    env = {"LC_ALL": "C", "LANG": None, "LC_CTYPE": None, "PYTHONUTF8": "0"}
    proc = _sohoa("list", "--json", data_dir=data_dir, env=env)  # type: ignore[arg-type]
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert b"Traceback" not in proc.stderr and b"SOHOA_UTF8_NAMES" not in proc.stderr
    (record,) = json.loads(proc.stdout)["records"]
    assert (record["id"], record["source"]) == (record_id, f"{NAME}.png")


# ------------------------------------------------------------------ B. names stored NFD, typed NFC


def test_existing_spelling_finds_the_file_in_its_other_unicode_form(tmp_path: Path) -> None:
    from sohoa.fsutil import existing_spelling

    stored = tmp_path / f"{NFD_NAME}.pdf"
    stored.write_bytes(b"%PDF")
    assert existing_spelling(tmp_path / f"{NAME}.pdf") == stored
    # a folder NFD, the file in it NFC: part by part
    folder = tmp_path / nfd("Hồ sơ")
    folder.mkdir()
    (folder / "Đơn xin.pdf").write_bytes(b"%PDF")
    assert existing_spelling(tmp_path / "Hồ sơ" / nfd("Đơn xin.pdf")) == folder / "Đơn xin.pdf"
    # as given when it exists, when nothing does, or when both spellings do (which was meant cannot be told)
    assert existing_spelling(stored) == stored
    assert existing_spelling(tmp_path / "Không có.pdf") == tmp_path / "Không có.pdf"
    (tmp_path / "Quyết.pdf").write_bytes(b"1")
    (tmp_path / nfd("Quyết.pdf")).write_bytes(b"2")
    mixed = tmp_path / "Quyê\u0301t.pdf"  # neither NFC nor NFD: both other spellings exist
    assert existing_spelling(mixed) == mixed


@pytest.mark.parametrize("args", [["--help"], ["verify", "{pdf}"], ["verify", "{pdf}", "--json"]])
def test_output_into_a_pipe_whose_reader_went_away_ends_quietly_with_the_shells_code(
    tmp_path: Path, args: list[str]
) -> None:
    """QA80 L3: `sohoa audit | head -1` exited 1 — the code of audit, verify and ledger verify for "problems
    found" — with nothing said, whether the output was Click's (help), Rich's (the report) or print's (JSON). It
    ends as a command SIGPIPE ends in a shell, 141, and says nothing on stderr."""
    not_pdf = tmp_path / "không phải.pdf"
    not_pdf.write_bytes(b"hello")
    reader, writer = os.pipe()
    os.close(reader)  # nobody will read: the first write meets a broken pipe
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(PYTHONPATH=str(ROOT), SOHOA_DATA_DIR=str(tmp_path / "var"), SOHOA_CONFIG="", SOHOA_OCR_SERVER="off")
    command = [sys.executable, "-m", "flows.cli", *(a.format(pdf=not_pdf) for a in args)]
    try:
        ended = subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, env=env, cwd=ROOT, timeout=300)
    finally:
        os.close(writer)
    assert ended.returncode == 141, ended.stderr.decode()
    assert ended.stderr == b"", ended.stderr.decode()


def test_a_closed_or_full_stdout_is_said_without_a_traceback(tmp_path: Path) -> None:
    """QA82: `sohoa verify X >&-` (stdout closed) ended in an AttributeError traceback; `sohoa verify X --json >
    /dev/full` in a double traceback (the error's JSON printed again to the full stdout). The first writes nowhere,
    the second says the disk is full on stderr, exit 3."""
    not_pdf = tmp_path / "không phải.pdf"
    not_pdf.write_bytes(b"hello")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(PYTHONPATH=str(ROOT), SOHOA_DATA_DIR=str(tmp_path / "var"), SOHOA_CONFIG="", SOHOA_OCR_SERVER="off")
    command = [sys.executable, "-m", "flows.cli", "verify", str(not_pdf)]
    closed = subprocess.run(  # stdout closed in the child before Python starts
        command, stderr=subprocess.PIPE, env=env, cwd=ROOT, timeout=300, preexec_fn=lambda: os.close(1)
    )
    assert closed.returncode == 1 and b"Traceback" not in closed.stderr, closed.stderr.decode()
    with open("/dev/full", "wb") as full:
        ended = subprocess.run(
            [*command, "--json"], stdout=full, stderr=subprocess.PIPE, env=env, cwd=ROOT, timeout=300
        )
    said = ended.stderr.decode()
    assert ended.returncode == 3 and "Traceback" not in said and "No space left on device" in said, said


def test_an_output_typed_in_the_other_unicode_form_goes_into_the_folder_that_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA80 M1: a path to be made was taken as typed as soon as its end was missing, so a signed PDF or a report
    typed `…/Báo cáo/…` in NFD beside an NFC `Báo cáo/` went into a second, look-alike folder (so did a
    quarantine folder configured so). The folders that are there keep their spelling, the rest as given."""
    from sohoa.fsutil import existing_spelling
    from tests.test_signing import make_pdf

    reports = tmp_path / "Báo cáo"
    reports.mkdir()
    assert existing_spelling(tmp_path / nfd("Báo cáo") / "mới" / "x.html") == reports / "mới" / "x.html"
    assert existing_spelling(tmp_path / nfd("Không có") / "x") == tmp_path / nfd("Không có") / "x"  # none there
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    typed = Path(nfd(str(reports)))
    runner = CliRunner()
    signed = runner.invoke(app, ["sign", str(make_pdf(tmp_path / "in.pdf")), str(typed / nfd("đã ký.pdf"))])
    assert signed.exit_code == 0, signed.output
    checked = runner.invoke(app, ["verify", str(reports / "đã ký.pdf"), "--html", str(typed / "kiểm tra.html")])
    assert checked.exit_code == 0, checked.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["Báo cáo", "in.pdf", "var"])
    assert sorted(unicodedata.normalize("NFC", p.name) for p in reports.iterdir()) == ["kiểm tra.html", "đã ký.pdf"]
    settings = Settings(data_dir=tmp_path / "var", quarantine_dir=typed / "cách ly")
    assert settings.quarantine_dir == reports / "cách ly"


def test_verify_and_sign_take_an_nfc_name_of_a_file_stored_nfd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sohoa verify "…/Quyết định đã ký.pdf"` typed NFC, stored NFD: "no such file", exit 2."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    (tmp_path / f"{NFD_NAME}.pdf").write_bytes(b"not a PDF")
    typed = tmp_path / f"{NAME}.pdf"
    result = CliRunner().invoke(app, ["verify", str(typed), "--json"])
    assert result.exit_code == 1, result.output  # read, and not valid: not a usage error
    assert "no such file" not in result.output
    (file_result,) = json.loads(result.stdout)["files"]
    assert "not a PDF" in json.dumps(file_result, ensure_ascii=False)
    result = CliRunner().invoke(app, ["sign", str(typed), str(tmp_path / "out.pdf")])
    assert result.exit_code != 2 and "no such file" not in result.output, result.output


@pytest.fixture(scope="module")
def odd_names_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[bytes], Path]:
    """`sohoa process --no-prefect` on a folder of three bad files: one named NFD, one in Latin-1 bytes, one named
    by combining marks only (each quarantined, without OCR)."""
    tmp = tmp_path_factory.mktemp("odd-names")
    inbox = tmp / "in"
    inbox.mkdir()
    (inbox / f"{NFD_NAME}.pdf").write_bytes(b"not a pdf either")
    (inbox / os.fsdecode(b"\xd0\xf5n xin.pdf")).write_bytes(b"not a pdf")
    (inbox / f"{MARKS}.jpg").write_bytes(b"garbage")
    return _sohoa("process", "--no-prefect", str(inbox), data_dir=tmp / "var"), tmp


def test_process_log_names_an_nfd_file_in_nfc(odd_names_run: tuple[subprocess.CompletedProcess[bytes], Path]) -> None:
    """The log line of a file stored NFD named it NFD while its reason, the table and the reason file said NFC: a
    search of the log for the name as typed missed the line."""
    proc, _ = odd_names_run
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")
    log = proc.stderr.decode("utf-8", "surrogateescape")
    (line,) = [line for line in log.splitlines() if "Quy" in line]
    assert line.count(f"{NAME}.pdf") >= 3 and nfd(NAME) not in line  # the file, its quarantine copy, the reasons


def test_process_log_writes_a_name_that_is_not_utf8_as_the_table_does(
    odd_names_run: tuple[subprocess.CompletedProcess[bytes], Path],
) -> None:
    """The log's reason wrote Python's surrogate escapes (`\\udcd0\\udcf5n xin.pdf: Tệp có đuôi…`), the table and
    the reason file `\\xd0\\xf5n xin.pdf`."""
    proc, _ = odd_names_run
    log = proc.stderr.decode("utf-8", "surrogateescape")
    (line,) = [line for line in log.splitlines() if "n xin.pdf" in line]
    assert "\\udc" not in line and "\\xd0\\xf5n xin.pdf: Tệp có đuôi .pdf" in line, line
    assert "\\xd0\\xf5n xin.pdf" in proc.stdout.decode()


def test_the_searchable_pdf_of_a_name_that_is_not_utf8_is_titled_as_its_record_names_it(tmp_path: Path) -> None:
    """QA80 L2: a scan named in Windows Vietnamese bytes (`tr\xedch l\xf5c khai t\xf5.png`) had its record named
    `trích lơc khai tơ.png`, but the searchable PDF's /Title and dc:title `trch lc khai t`: its letters dropped."""
    import pikepdf

    from ocr.pipeline import ocr_document
    from tests.test_bad_input import small_scan_png

    scan = small_scan_png(tmp_path / "scan.png", "Xin chào")
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/tr\xedch l\xf5c khai t\xf5.png"))
    scan.rename(odd)
    ocr_document(odd, tmp_path / "out.pdf")
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert str(pdf.open_metadata().get("dc:title")) == "trích lơc khai tơ"
        assert str(pdf.docinfo.get("/Title")) == "trích lơc khai tơ"


def test_process_table_escapes_a_name_of_combining_marks_only(
    odd_names_run: tuple[subprocess.CompletedProcess[bytes], Path],
) -> None:
    """A name made of combining marks only was printed as it is: the marks sat on the table's border."""
    proc, _ = odd_names_run
    table = proc.stdout.decode()
    assert "\\u0323\\u0301\\u0303.jpg" in table and "\u0301" not in table
    log = proc.stderr.decode("utf-8", "surrogateescape")
    (line,) = [line for line in log.splitlines() if ".jpg" in line]
    assert "\u0301" not in line  # in the log lines too: after a / or ": " nothing carries them


def test_process_takes_an_nfc_name_of_a_file_stored_nfd(tmp_path: Path) -> None:
    (tmp_path / f"{NFD_NAME}.pdf").write_bytes(b"not a pdf")
    proc = _sohoa("process", "--no-prefect", str(tmp_path / f"{NAME}.pdf"), "--json", data_dir=tmp_path / "var")
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")  # quarantined, not "no such file" (2)
    (line,) = json.loads(proc.stdout)["files"]
    assert line["outcome"] == "quarantined"


def test_an_nfd_name_beside_its_nfc_twin_is_marked_and_parked_apart(tmp_path: Path) -> None:
    """QA80 M3: the same bytes under an NFC and an NFD name in one inbox gave two identical lines in the log and the
    table, and one quarantine entry naming the NFC file: the NFD one was in no reason file. The NFD one is marked
    `(NFD)` where every output names it in NFC, and keeps an entry of its own, as two names in ASCII do."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in (f"{NAME}.pdf", f"{NFD_NAME}.pdf"):
        (inbox / name).write_bytes(b"the same bytes, not a pdf")
    (inbox / f"{nfd('Đơn lẻ')}.pdf").write_bytes(b"an NFD name alone")  # no twin: not marked
    proc = _sohoa("process", "--no-prefect", str(inbox), data_dir=tmp_path / "var")
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")
    log = proc.stderr.decode()
    named = sorted(
        line.split(f"{inbox}/", 1)[1].split(": CÁCH LY", 1)[0] for line in log.splitlines() if "CÁCH LY" in line
    )
    assert named == [f"{NAME}.pdf", f"{NAME}.pdf (NFD)", "Đơn lẻ.pdf"], named
    table = proc.stdout.decode()
    assert f"{NAME}.pdf (NFD)" in table and "Đơn lẻ.pdf (NFD)" not in table
    quarantine = tmp_path / "var" / "quarantine"
    parked = sorted(unicodedata.normalize("NFC", p.name) for p in quarantine.iterdir())
    assert parked == sorted(
        [f"{NAME} (NFD).pdf", f"{NAME} (NFD).pdf.reason.txt", f"{NAME}.pdf", f"{NAME}.pdf.reason.txt"]
        + ["Đơn lẻ.pdf", "Đơn lẻ.pdf.reason.txt"]
    )
    reason = (quarantine / f"{NAME} (NFD).pdf.reason.txt").read_text()
    # twin folders, a file of one name in each (QA83 M3: one entry, one reason file naming the NFC one)
    folders = tmp_path / "folders"
    for folder in ("Hồ sơ", nfd("Hồ sơ")):
        (folders / folder).mkdir(parents=True)
        (folders / folder / "a.pdf").write_bytes(b"the same bytes again")
    twins = _sohoa("process", "--no-prefect", str(folders), data_dir=tmp_path / "var2")
    assert "a.pdf (NFD)" in twins.stdout.decode() and "a.pdf (NFD)" in twins.stderr.decode(), twins.stderr.decode()
    assert sorted(p.name for p in (tmp_path / "var2" / "quarantine").glob("*.pdf")) == ["a (NFD).pdf", "a.pdf"]
    assert f"Tệp / File: {inbox / NFD_NAME}.pdf\n" in reason  # the NFD file, as it is on disk
    assert f"Tệp / File: {inbox / NAME}.pdf\n" in (quarantine / f"{NAME}.pdf.reason.txt").read_text()


def test_a_watched_inboxs_nfd_twin_is_marked_in_the_log_and_its_receipts(tmp_path: Path) -> None:
    """QA83 M4: the watcher logs a file once it has left the inbox, when its twin may have too: both lines were the
    same. Whether it is a twin is asked when it is claimed. Its receipt, the receipt's file in the outbox and the
    receipts' summary lines were alike too (the same bytes: one name, the other with a time after it)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in (f"{NAME}.pdf", f"{NFD_NAME}.pdf"):
        (inbox / name).write_bytes(b"the same bytes, not a pdf")
    proc = _sohoa("watch", str(inbox), "--once", "--stable-seconds", "0", "--json", data_dir=tmp_path / "var")
    log = proc.stderr.decode()
    lines = [line for line in log.splitlines() if "QUARANTINED" in line]
    named = sorted(line.split(f"{inbox}/", 1)[1].split(": CÁCH LY", 1)[0] for line in lines)
    assert named == [f"{NAME}.pdf", f"{NAME}.pdf (NFD)"], log
    receipts = json.loads(proc.stdout)["receipts"]
    assert sorted((r["file"], r["nfd_twin"]) for r in receipts) == [(f"{NAME}.pdf", False), (f"{NAME}.pdf", True)]
    outbox = sorted(unicodedata.normalize("NFC", p.name.split("-", 1)[1]) for p in (tmp_path / "var/outbox").iterdir())
    assert outbox == [f"{NAME} (NFD).pdf.receipt.json", f"{NAME}.pdf.receipt.json"], outbox
    summary = sorted(
        line.split("WARNING", 1)[1].split(": cách ly", 1)[0].strip()
        for line in log.splitlines()
        if ": cách ly /" in line
    )
    assert summary == [f"{NAME}.pdf", f"{NAME}.pdf (NFD)"], log


def test_watch_log_names_an_nfd_file_in_nfc(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"{NFD_NAME}.pdf").write_bytes(b"not a pdf")
    proc = _sohoa("watch", str(inbox), "--once", "--stable-seconds", "0", "--json", data_dir=tmp_path / "var")
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")
    lines = [line for line in proc.stderr.decode().splitlines() if "Quy" in line]
    assert lines and all(f"{NAME}.pdf" in line and nfd(NAME) not in line for line in lines), lines
    (receipt,) = json.loads(proc.stdout)["receipts"]
    assert receipt["file"] == f"{NAME}.pdf" and receipt["outcome"] == "quarantined"


# ------------------------------------------------------------------ C. configured text in NFD


def test_settings_text_is_nfc_and_paths_are_as_the_disk_spells_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOHOA_ORGANIZATION", nfd("UBND xã An Bình"))
    monkeypatch.setenv("SOHOA_SIGNER_LOCATION", nfd("Xã Hòa Bình, tỉnh Khánh Hòa"))
    folder = tmp_path / nfd("Dữ liệu")
    folder.mkdir()
    settings = Settings(
        data_dir=tmp_path / "Dữ liệu",  # typed NFC: the folder as it is on disk
        retention_years={nfd("QĐ"): 5},
        pkcs11_key_label=nfd("Khóa ký"),  # matched byte for byte against the token: as given
    )
    assert settings.organization == "UBND xã An Bình"
    assert settings.signer_location == "Xã Hòa Bình, tỉnh Khánh Hòa"
    assert settings.retention_years == {"QĐ": 5}
    assert settings.data_dir == folder
    assert settings.pkcs11_key_label == nfd("Khóa ký")


def test_bag_organization_is_nfc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SOHOA_ORGANIZATION in NFD was an NFD Source-Organization in each export's bag-info.txt."""
    data_dir, record_id = _archive_with(tmp_path, "decision")
    monkeypatch.setenv("SOHOA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.setenv("SOHOA_ORGANIZATION", nfd("UBND xã An Bình"))
    result = CliRunner().invoke(app, ["export", record_id, str(tmp_path / "bag")])
    assert result.exit_code == 0, result.output
    info = (tmp_path / "bag" / "bag-info.txt").read_text(encoding="utf-8")
    assert "Source-Organization: UBND xã An Bình\n" in info


def test_signature_location_is_nfc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SOHOA_SIGNER_LOCATION in NFD was an NFD /Location in each signature."""
    import pikepdf

    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.setenv("SOHOA_SIGNER_LOCATION", nfd("Hòa Bình"))
    signed = tmp_path / "signed.pdf"
    result = CliRunner().invoke(app, ["sign", str(ROOT / "samples" / "qd-15-ubnd.pdf"), str(signed)])
    assert result.exit_code == 0, result.output
    with pikepdf.open(signed) as pdf:
        (field,) = [f for f in pdf.Root.AcroForm.Fields if f.get("/FT") == "/Sig"]
        assert str(field.V.Location) == "Hòa Bình"


# ------------------------------------------------------------------ E. combining marks with nothing to carry them


def test_printable_escapes_combining_marks_without_a_base() -> None:
    assert printable(f"{MARKS}.jpg") == "\\u0323\\u0301\\u0303.jpg"  # NFC orders them by class
    assert one_line(f"/tmp/in/{MARKS}.jpg: x") == "/tmp/in/\\u0301\\u0303\\u0323.jpg: x"
    assert one_line(f"{NFD_NAME}.pdf") == f"{NFD_NAME}.pdf"  # marks on their letters stay
    assert printable(f"{NFD_NAME}.pdf") == f"{NAME}.pdf"
    assert one_line("dòng1\n\u0301") == "dòng1\\n\\u0301"


def test_list_escapes_a_name_of_combining_marks_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir, record_id = _archive_with(tmp_path, MARKS)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if record_id in line]
    assert "\\u0323\\u0301\\u0303.png" in row and "\u0301" not in row


def test_a_document_split_by_an_older_sohoa_is_named_by_its_stack() -> None:
    """QA61: a document a sohoa before 2026-12-01 split from a stack recorded only its scratch file (no ``stack``),
    so an upgraded archive showed it as `ho-so-ghep.pdf#1.pdf`, a file nobody dropped, where documents split since
    are named as dropped. Named by its stack and part now (its pages were not recorded); an officer's own file
    named like one, outside sohoa's scratch folder, keeps its name."""
    from sohoa.record import SourceFile

    def source(name: str, path: str) -> SourceFile:
        return SourceFile(name=name, path=path, sha256="0" * 64, size=1, media_type="application/pdf")

    old = source("hồ sơ ghép.pdf#2.pdf", "/srv/sohoa/var/work/stacks/d350612613dd6527/hồ sơ ghép.pdf#2.pdf")
    assert old.label() == "hồ sơ ghép.pdf — văn bản 2 / document 2"
    assert old.ident() == "hồ sơ ghép.pdf#2"
    own = source("a#2.pdf", "/srv/inbox/a#2.pdf")
    assert (own.label(), own.ident()) == ("a#2.pdf", "a#2.pdf")


def test_a_folders_scans_are_taken_in_vietnamese_order(tmp_path: Path) -> None:
    """QA80 L4: code points put "Ân.pdf" and "ĐƠN XIN.pdf" after "Zeta.pdf" in the results table; Vietnamese
    order is A Ă Â B C D Đ E Ê …, the tones after the letters (none, huyền, hỏi, ngã, sắc, nặng)."""
    from flows.pipeline import expand_inputs
    from sohoa.vietnamese import collation_key

    names = ["Zeta.pdf", "Ân.pdf", "ĐƠN XIN.pdf", "Dơn xin.pdf", "Em.pdf", "án.pdf", "an.pdf", "ăn.pdf", "10.pdf"]
    names += ["2.pdf"]  # a number as a number (QA85: "10.pdf" came before "2.pdf")
    for name in names:
        (tmp_path / name).write_bytes(b"%PDF")
    (tmp_path / "Ấp Bắc").mkdir()
    (tmp_path / "Ấp Bắc" / "b.pdf").write_bytes(b"%PDF")
    taken = [p.relative_to(tmp_path).as_posix() for p in expand_inputs([tmp_path])]
    expected = ["2.pdf", "10.pdf", "an.pdf", "án.pdf", "ăn.pdf", "Ân.pdf", "Ấp Bắc/b.pdf", "Dơn xin.pdf", "ĐƠN XIN.pdf"]
    assert taken == [*expected, "Em.pdf", "Zeta.pdf"]
    assert sorted(["hòa", "hoa", "hỏa", "hóa", "họa", "hõa"], key=collation_key) == [
        "hoa", "hòa", "hỏa", "hõa", "hóa", "họa"
    ]  # fmt: skip
