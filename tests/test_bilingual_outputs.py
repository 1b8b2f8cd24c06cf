"""What officers and auditors read is Vietnamese first, English beside it (QA57): the `process` table and its
summary, `list`, `search`, `get`, `hold`, `index rebuild`, `export`, `keys list` and the missing-file errors of every
command; days as officers write them (14/08/2025) in those outputs and taken so by `review set --date` as by
`search --from`; a permanent retention said as such; `--json` unchanged."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from sohoa.record import PageOcr, SignatureFacts
from sohoa.settings import Settings
from storage import LocalArchive
from tests.storage_helpers import make_record

VIETNAM = timezone(timedelta(hours=7))


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A decision (70 years) and a death extract (civil status: permanent) in DATA_DIR/archive, indexed."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.setenv("SOHOA_OCR_SERVER", "off")
    settings = Settings(data_dir=tmp_path / "var")
    store = LocalArchive(settings.archive_dir)
    decision, files = make_record(tmp_path / "files", "decision")
    assert decision.ocr is not None
    decision.ocr.pages = [PageOcr(number=1, ocr=True, confidence=95.6, quality="good", words=171)]
    decision.signature = SignatureFacts(
        output_pdf="document.pdf",
        field_name="Signature1",
        level="B-B",
        signer_subject="CN=dev",
        signer_issuer="CN=dev CA",
        certificate_sha256="0" * 64,
        signed_at=datetime(2025, 11, 19, 18, 30, tzinfo=UTC),
        development_identity=True,
    )
    decision.add_event("archived", "sohoa", "")
    store.put(decision, files)
    extract, files = make_record(
        tmp_path / "files", "extract", doc_type="HT-TLKT", number="31/TLKT-BS", issued_on=date(2025, 8, 14)
    )
    extract.add_event("archived", "sohoa", "")
    store.put(extract, files)
    assert CliRunner().invoke(app, ["index", "rebuild"]).exit_code == 0
    return {"decision": decision.id, "extract": extract.id}


def _said(result: object) -> str:
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def test_process_table_and_summary_are_bilingual_and_its_json_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import _print_or_table

    line = {
        "path": "/in/qd-15-ubnd.pdf",
        "stack": None,
        "outcome": "already_archived",
        "doc_type": "QĐ",
        "number": "15/QĐ-UBND",
        "issued_on": "2025-11-19",
        "pages": 2,
        "confidence": 0.95,
        "signed": True,
        "archive_path": "2025/QĐ/x",
        "reason": None,
        "reason_vi": None,
    }
    payload = {
        "archive": "/srv/kho",
        "quarantine": "/srv/cach-ly",
        "batch_id": "20251119T180012Z-3fa9c1",
        "files": [line, {**line, "path": "/in/b.pdf", "outcome": "archived"}],
        "counts": {"total": 2, "archived": 1, "already_archived": 1, "quarantined": 0, "failed": 0},
    }
    _print_or_table(payload, False)
    table = capsys.readouterr().out
    for header in ("tệp / file", "kết quả / outcome", "loại / type", "ngày / date", "đã ký / signed", "ghi chú / note"):
        assert header in table, (header, table)
    assert "đã lưu trước đó / already archived" in table and "đã lưu / archived" in table, table
    assert "19/11/2025" in table and "2025-11-19" not in table, table
    assert "Kho lưu trữ / archive: /srv/kho\nKhu cách ly / quarantine: /srv/cach-ly\n" in table, table
    assert "Lô / batch: 20251119T180012Z-3fa9c1" in table, table
    assert (
        "Tổng / total 2: đã lưu / archived 1, đã lưu trước đó / already archived 1, cách ly / quarantined 0, "
        "lỗi / failed 0" in table
    ), table
    assert "Lô / batch: 20251119T180012Z-3fa9c1 (sohoa export --batch ID OUT)" in table, table
    assert "needs review" not in table, table
    # a record waiting for an officer: why, under the table, in both languages (QA83: the note said only that it did)
    reviewed = {
        **line,
        "path": "/in/số 39.png",
        "outcome": "archived",
        "needs_review": True,
        "review_reasons": ["document number unsure (0.5): OCR could hardly read its digits (handwritten?)"],
        "review_reasons_vi": ["số văn bản chưa chắc chắn (0.5): OCR khó đọc các chữ số (viết tay?)"],
    }
    _print_or_table({**payload, "files": [reviewed]}, False)
    table = capsys.readouterr().out
    assert (
        "cần xem lại / needs review: số 39.png: số văn bản chưa chắc chắn (0.5): OCR khó đọc các chữ số (viết tay?) / "
        "document number unsure (0.5): OCR could hardly read its digits (handwritten?)\n" in table
    ), table
    # what an archived copy changed of the scan, under the table (QA132 F7: said with -v or --json only); not again
    # for a file archived before, whose notices were said when it was
    notice = "tr. 1: ảnh quét bị nghiêng, được nắn thẳng / p. 1: the scan lay askew and is shown straightened"
    _print_or_table(
        {**payload, "files": [{**line, "notices": [notice]}, {**line, "outcome": "archived", "notices": [notice]}]},
        False,
    )
    table = capsys.readouterr().out
    assert table.count(f"ghi chú / notice: qd-15-ubnd.pdf: {notice}\n") == 1, table
    _print_or_table(payload, True)
    said = json.loads(capsys.readouterr().out)
    assert said["files"][0]["outcome"] == "already_archived" and said["files"][0]["issued_on"] == "2025-11-19"
    # a rerun that archived nothing: its records are in their first batches, so no export of this one is offered
    # (QA61: `sohoa export --batch` of it said "no archived record", exit 1)
    rerun = {**payload, "files": [line], "counts": {**payload["counts"], "total": 1, "archived": 0}}
    _print_or_table(rerun, False)
    table = capsys.readouterr().out
    assert "Lô / batch: 20251119T180012Z-3fa9c1\n" in table and "export --batch" not in table, table


@pytest.mark.parametrize("width", [200, 120])
def test_process_table_never_cuts_a_record_id(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA69: the note showed the archive path cut where the file column took the room, the record id with it
    (`2025/BB/03-BB-UBND--51844b0a168…`); at 120 columns the others' one-line titles left the file and note columns
    no width at all. The id, what `sohoa get` takes, whole on a line of its own or beside `mã / id`."""
    import io

    import flows.cli
    from flows.cli import _LineConsole, _print_or_table

    stack = {"path": "/in/hồ sơ ghép nhiều văn bản của bộ phận một cửa.pdf", "sha256": "0" * 64, "pages": [3, 4]}
    lines = [
        {
            "path": f"/in/hồ sơ ghép nhiều văn bản của bộ phận một cửa.pdf#{part}",
            "stack": {**stack, "part": part},
            "outcome": "archived",
            "record_id": record_id,
            "doc_type": "HT-TLKT",
            "number": "32/TLKT-BS",
            "issued_on": "2025-08-21",
            "pages": 2,
            "confidence": 0.95,
            "signed": True,
            "needs_review": review,
            "archive_path": f"2025/HT-TLKT/32-TLKT-BS--{record_id}",
            "reason": None,
            "reason_vi": None,
        }
        for part, record_id, review in ((1, "8b9a45bf342ce7a8", False), (2, "51844b0a168b537a", True))
    ]
    payload = {
        "archive": "/srv/kho",
        "quarantine": "/srv/cach-ly",
        "batch_id": "20251119T180012Z-3fa9c1",
        "files": lines,
        "counts": {"total": 2, "archived": 2, "already_archived": 0, "quarantined": 0, "failed": 0},
    }
    printed = io.StringIO()
    monkeypatch.setattr(flows.cli, "out", _LineConsole(width=width, file=printed))
    _print_or_table(payload, False)
    table = printed.getvalue()
    assert all(len(line) <= width for line in table.splitlines()), table
    cells = [cell.strip() for line in table.splitlines() for cell in line.split("│")]
    assert "8b9a45bf342ce7a8" in cells or "mã / id 8b9a45bf342ce7a8" in cells, table
    assert "51844b0a168b537a" in cells or any(c.endswith("mã / id 51844b0a168b537a") for c in cells), table
    for values in ("HT-TLKT", "32/TLKT-BS", "21/08/2025", "0.95"):
        assert values in cells, (values, table)
    said = "".join(cell for line in table.splitlines() for cell in line.split("│")[1:2]).replace(" ", "")
    assert "hồsơghépnhiềuvănbảncủabộphậnmộtcửa.pdf" in said, table  # the file column: wrapped, not cut


def _narrow_payload() -> dict[str, object]:
    def line(name: str, outcome: str, record_id: str | None, number: str | None) -> dict[str, object]:
        return {
            "path": f"/in/{name}",
            "stack": None,
            "outcome": outcome,
            "record_id": record_id,
            "doc_type": number and number.split("/")[1].split("-")[0],
            "number": number,
            "issued_on": number and "2025-09-05",
            "pages": 1,
            "confidence": 0.95 if number else None,
            "signed": bool(number),
            "needs_review": False,
            "archive_path": None,
            "reason": None if number else "The file is empty (0 bytes).",
            "reason_vi": None if number else "Tệp rỗng (0 byte).",
        }

    return {
        "archive": "/srv/kho",
        "quarantine": "/srv/cach-ly",
        "batch_id": "20251119T180012Z-3fa9c1",
        "files": [
            line(NARROW_NAME, "archived", "164db1aa85fbe94e", "08/TB-UBND"),
            line("cv-118-ubnd-vp.jpg", "already_archived", "f8dbef2657dc3148", "118/UBND-VP"),
            line("rỗng.pdf", "quarantined", None, None),
        ],
        "counts": {"total": 3, "archived": 1, "already_archived": 1, "quarantined": 1, "failed": 0},
    }


NARROW_NAME = "Thông báo về việc tổ chức họp dân thôn Đông năm 2025 số 08.png"


@pytest.mark.parametrize("width", [40, 60, 70])
def test_process_results_below_seventy_columns_are_a_file_to_a_few_lines(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below ~70 columns the table left the file column out altogether (no name on screen), the outcome folded one
    letter a line (`archive` / `d`). There each file is a line of its own, what became of it on the next lines —
    as many facts to a line as fit the width, each whole."""
    import io

    import flows.cli
    from flows.cli import _LineConsole, _print_or_table

    printed = io.StringIO()
    monkeypatch.setattr(flows.cli, "out", _LineConsole(width=width, file=printed))
    _print_or_table(_narrow_payload(), False)
    said = printed.getvalue().partition("Kho lưu trữ / archive")[0]
    lines = said.splitlines()
    assert "┃" not in said and "│" not in said, said
    for name in (NARROW_NAME, "cv-118-ubnd-vp.jpg", "rỗng.pdf"):
        assert name in lines, (name, said)
    facts = [line for line in lines if line.startswith("  ")]  # a reason too: wrapped, indented (QA76)
    assert all(len(line) <= width for line in facts), said
    for whole in ("đã lưu / archived", "đã lưu trước đó / already archived", "cách ly / quarantined", "08/TB-UBND"):
        assert any(whole in line for line in facts), (whole, said)
    assert "  mã / id 164db1aa85fbe94e" in lines and "  mã / id f8dbef2657dc3148" in lines, said
    assert "Tệp rỗng (0 byte). / The file is empty (0 bytes)." in " ".join(" ".join(lines).split()), said


@pytest.mark.parametrize("width", [80, 90, 100])
def test_process_table_on_a_narrow_terminal(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA70: at 80–90 columns the file and outcome columns were 0–1 characters wide (the outcome one letter a line,
    at 80 the record id on two lines). Below ~115 columns pages, confidence and signed are left out (--json has
    them): the file folded, the outcome's words whole, the type, number and date whole, the record id on a line."""
    import io

    import flows.cli
    from flows.cli import _LineConsole, _print_or_table

    name = NARROW_NAME
    payload = _narrow_payload()
    printed = io.StringIO()
    monkeypatch.setattr(flows.cli, "out", _LineConsole(width=width, file=printed))
    _print_or_table(payload, False)
    table = printed.getvalue().partition("Kho lưu trữ / archive")[0]  # the lines under it are never cut (one each)
    assert all(len(line) <= width for line in table.splitlines()), table
    rows = [[cell.strip() for cell in line.split("│")] for line in table.splitlines() if "│" in line]
    cells = [cell for row in rows for cell in row]
    for whole in ("164db1aa85fbe94e", "f8dbef2657dc3148", "TB", "08/TB-UBND", "118/UBND-VP", "05/09/2025"):
        assert any(whole in cell.split() for cell in cells), (whole, table)
    # the outcome column: never narrower than a word of it, so each word is whole on its line
    outcome = " ".join(row[1] for row in rows)
    for word in ("đã", "lưu", "trước", "đó", "already", "archived", "cách", "ly", "quarantined"):
        assert word in outcome.split(), (word, table)
    assert "".join(row[0] for row in rows).replace(" ", "") == (name + "cv-118-ubnd-vp.jpgrỗng.pdf").replace(" ", "")
    assert "trang / pages" not in " ".join(table.split()) and "0.95" not in table, table  # in --json


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["process", "--no-prefect", "{gone}"], "không có tệp hoặc thư mục này / no such file or folder"),
        (["ocr", "{gone}", "{out}"], "không có tệp này / no such file"),
        (["classify", "{gone}"], "không có tệp này / no such file"),
        (["sign", "{gone}", "{out}"], "không có tệp này / no such file"),
        (["verify", "{gone}"], "không có tệp hoặc thư mục này / no such file or folder"),
    ],
)
def test_a_missing_file_is_said_in_both_languages_by_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], words: str
) -> None:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.setenv("SOHOA_OCR_SERVER", "off")
    gone = tmp_path / "không-có.pdf"
    args = [a.format(gone=gone, out=tmp_path / "ra.pdf") for a in command]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"không-có.pdf: {words}" in _said(result), result.output


def test_list_search_and_get_are_bilingual_with_days_as_officers_write_them(archive: dict[str, str]) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0, listed.output
    said = _said(listed)
    for header in ("mã hồ sơ / id", "tệp gốc / source", "loại / type", "số / number", "ngày / date"):
        assert header in said, (header, said)
    assert "trạng thái / state" in said and "đã lưu / archived" in said, said
    assert "19/11/2025" in said and "14/08/2025" in said and "2025-11-19" not in said, said
    as_json = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert {r["issued_on"] for r in as_json["records"]} == {"2025-11-19", "2025-08-14"}

    found = runner.invoke(app, ["search", "19/11/2025"])
    said = _said(found)
    assert "khớp / match" in said and "ban hành ngày đó / issued that day" in said and "19/11/2025" in said, said
    assert "2025-11-19" not in said, said
    words = _said(runner.invoke(app, ["search", "cong nhan"]))
    assert "cụm từ, không dấu / phrase, no diacritics" in words, words

    shown = runner.invoke(app, ["get", archive["decision"]])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert any(line.startswith("Mã hồ sơ / record") and "(đã lưu / archived)" in line for line in lines), lines
    assert any("Ngày ban hành / issued on" in line and line.endswith(" 19/11/2025") for line in lines), lines
    assert any(line.endswith("0.90 (theo quy tắc / rules)") for line in lines), lines
    (page,) = [line for line in lines if line.startswith("Trang / page 1")]
    assert page.endswith("OCR, độ tin cậy / confidence 95.6, tốt / good, 171 từ / words"), page
    (signature,) = [line for line in lines if line.startswith("Chữ ký số / signature")]
    assert signature.endswith(
        "20/11/2025 01:30:00 — chỉ để thử, không có giá trị pháp lý / DEVELOPMENT ONLY, no legal value"
    ), signature
    (kept,) = [line for line in lines if line.startswith("Lưu giữ đến / retained until")]
    # a decision: 70 years from archiving, the day as officers write it
    day, month, year = kept.split()[-1].split("/")
    assert len(day) == len(month) == 2 and int(year) - datetime.now(UTC).year in (70, 71), kept
    # sizes as verify says them, the thousands apart by a space: `521,991 bytes` read as a decimal (QA80)
    (source,) = [line for line in lines if line.startswith("Tệp gốc / source")]
    assert re.search(r"\(\d{1,3}(?:\u00a0\d{3})+\u00a0byte, ", source), source


def test_a_permanent_record_is_retained_permanently_not_until_a_date(archive: dict[str, str]) -> None:
    """QA: a civil-status record (kept for ever: stored as 500 years, S3 needs a date) showed `retained until
    2526-12-01`."""
    shown = CliRunner().invoke(app, ["get", archive["extract"]])
    assert shown.exit_code == 0, shown.output
    (kept,) = [line for line in shown.stdout.splitlines() if line.startswith("Lưu giữ đến / retained until")]
    assert kept.endswith("vĩnh viễn / permanent"), kept


def test_hold_index_and_export_say_it_in_both_languages(
    archive: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    record_id = archive["decision"]
    on = runner.invoke(app, ["hold", record_id, "on"])
    assert on.exit_code == 0 and f"hồ sơ {record_id}: đã phong tỏa / record {record_id}: legal hold on" in on.stdout
    again = _said(runner.invoke(app, ["hold", record_id, "on"]))
    assert "vẫn đang bị phong tỏa, không thay đổi gì" in again and "already on; nothing changed" in again, again
    # the values Vietnamese first, as their labels (QA69: `on / có`, `no / không`)
    shown = runner.invoke(app, ["get", record_id]).stdout.splitlines()
    (held,) = [line for line in shown if line.startswith("Phong tỏa / legal hold")]
    (pdfa,) = [line for line in shown if line.startswith("PDF/A")]
    assert held.endswith(" có / on") and pdfa.endswith(" không / no"), (held, pdfa)
    off = runner.invoke(app, ["hold", record_id, "off"])
    assert f"hồ sơ {record_id}: đã gỡ phong tỏa / record {record_id}: legal hold off" in off.stdout, off.output
    rebuilt = runner.invoke(app, ["index", "rebuild"])
    assert "đã đưa 2 hồ sơ vào chỉ mục tìm kiếm / indexed 2 record(s) from" in _said(rebuilt), rebuilt.output
    exported = runner.invoke(app, ["export", record_id, str(tmp_path / "bag")])
    assert exported.exit_code == 0, exported.output
    assert f"hồ sơ / record {record_id}: gói BagIt tại / BagIt package in" in _said(exported), exported.output
    # the usage errors around them too (QA64: each in English only)
    twice = runner.invoke(app, ["export", record_id, str(tmp_path / "bag")])
    assert twice.exit_code == 2 and "đã có, hãy chọn một thư mục mới cho gói / already exists" in _said(twice)
    maybe = runner.invoke(app, ["hold", record_id, "maybe"])
    assert maybe.exit_code == 2 and "cần on hoặc off, không phải 'maybe' / expected on or off" in _said(maybe)
    nowhere = runner.invoke(app, ["keys", "install-trust-store", "vn", str(tmp_path / "không có")])
    assert "không có tệp hoặc thư mục này (nguồn của kho tin cậy) / no such file or folder" in _said(nowhere)
    assert nowhere.exit_code != 0


def test_the_bagging_date_is_the_day_in_vietnam(
    archive: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: bag-info.txt's Bagging-Date was the server's day (UTC: yesterday in Vietnam until 07:00), every other
    time sohoa writes is Vietnam time."""
    # bagit writes the server's date.today() (UTC on most servers); the bag says the day in Vietnam
    import bagit

    class Yesterday(date):
        @classmethod
        def today(cls) -> Yesterday:
            return cls(2000, 1, 1)

    monkeypatch.setattr(bagit, "date", Yesterday)
    exported = CliRunner().invoke(app, ["export", archive["extract"], str(tmp_path / "bag")])
    assert exported.exit_code == 0, exported.output
    info = (tmp_path / "bag" / "bag-info.txt").read_text(encoding="utf-8")
    assert f"Bagging-Date: {datetime.now(VIETNAM).date().isoformat()}" in info, info


def test_review_set_takes_the_day_as_officers_write_it(archive: dict[str, str]) -> None:
    """QA: `review set --date 21/10/2025` was refused (exit 2), while `search --from 21/10/2025` was taken; QA93 F7:
    `--date 21/10/25` too, a two-digit year a search query reads as this century's."""
    record_id = archive["decision"]
    for given in ("21/10/2025", "ngày 21 tháng 10 năm 2025", "2025-10-21", "21/10/25", "21-10-25"):
        result = CliRunner().invoke(app, ["review", "set", record_id, "--date", given, "--no-retrain", "--json"])
        assert result.exit_code == 0, (given, result.output)
        assert json.loads(result.stdout)["issued_on"] == "2025-10-21", given
    shown = CliRunner().invoke(app, ["get", record_id])
    issued = [line for line in shown.stdout.splitlines() if "issued on" in line]
    assert issued and " 21/10/2025" in issued[0] and "2025-10-21" not in issued[0], shown.output


def test_a_possible_earlier_copy_names_the_record_in_vietnamese() -> None:
    """QA: the review reason's and the receipt's Vietnamese said `có thể đã lưu trước đây: record d1e2…`."""
    from classify.review import reason_in_vietnamese

    said = reason_in_vietnamese(
        "possibly archived before: record 0123456789abcdef (2025/QĐ/15-QĐ-UBND--0123456789abcdef), record "
        "fedcba9876543210 (2025/QĐ/x) (same type, number and date of issue; another scan)"
    )
    assert said == (
        "có thể đã lưu trước đây: hồ sơ 0123456789abcdef (2025/QĐ/15-QĐ-UBND--0123456789abcdef), hồ sơ "
        "fedcba9876543210 (2025/QĐ/x) (cùng loại, số và ngày ban hành; bản quét khác)"
    ), said


def test_keys_list_labels_are_bilingual(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    result = CliRunner().invoke(app, ["keys", "list"])
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "danh tính ký / identity dev: dùng được / usable" in said, said
    assert "mức ký / level" in said and "máy chủ dấu thời gian / TSA" in said, said
    # the identities' states too (QA64: "generated", "not configured" in English only); --json keeps them
    assert "có sẵn / available: dev — tạo khi ký lần đầu / generated on first use" in said, said
    assert "có sẵn / available: pkcs12 — chưa cấu hình / not configured" in said, said


def test_classify_names_its_fields_in_vietnamese_and_days_as_officers_write_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA64: `sohoa classify`'s table named the fields by their JSON keys alone (`issued_on`) and showed days as
    2025-09-05; its --json keeps both as they were."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    text = tmp_path / "thông báo.txt"
    text.write_text(
        "ỦY BAN NHÂN DÂN\nXÃ BÌNH AN\nSố: 08/TB-UBND\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Bình An, ngày 05 tháng 9 năm 2025\nTHÔNG BÁO\nVề lịch tiếp công dân\n",
        encoding="utf-8",
    )
    shown = CliRunner().invoke(app, ["classify", str(text)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in shown.stdout.splitlines() if "│" in line}
    assert rows.get("ngày ban hành / issued_on") == "05/09/2025", rows
    assert rows.get("số, ký hiệu / number") == "08/TB-UBND", rows
    as_json = CliRunner().invoke(app, ["classify", str(text), "--json"])
    assert json.loads(as_json.stdout)["fields"]["issued_on"]["value"] == "2025-09-05"


def test_a_batch_runs_final_state_message_is_vietnamese_then_english() -> None:
    """What Prefect's UI shows of a `process-batch`, `process-document` or `watch-inbox` run: its state message, in
    English only until 2026-12-03; the English half as it was."""
    from flows.prefect_run import batch_state

    counts = {"archived": 1, "already_archived": 0, "quarantined": 1, "failed": 0, "total": 2}
    quarantined = batch_state({"counts": counts, "batch_id": "lô-1", "skipped": [{"path": "a.txt"}]}).message or ""
    vi, en = quarantined.split(" / batch ", 1)
    assert vi.startswith("lô lô-1: 1/2 tệp bị cách ly") and "đã lưu: 1" in vi and "bỏ qua: 1 (không nhận)" in vi
    assert en.startswith("lô-1: 1 of 2 file(s) quarantined") and "archived: 1" in en and "skipped: 1 (not taken)" in en
    failed = batch_state({"counts": counts | {"quarantined": 0, "failed": 1}}).message or ""
    assert failed.startswith("1/2 tệp LỖI") and " / 1 of 2 file(s) FAILED for a fault outside the input" in failed
    archived = batch_state({"counts": {"archived": 2, "total": 2}}).message
    assert archived == "đã lưu: 2, tổng: 2 / archived: 2, total: 2"
