"""`sohoa review list` / `review set`: corrections that build on each other, the TT 02/2019 metadata that follows
them, --archive, and messages an officer can act on (Vietnamese and English)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.cli import app
from sohoa.settings import Settings
from sohoa.vietnamese import VN_TZ
from storage import LocalArchive
from storage.ledger import Ledger
from tests.storage_helpers import make_record

PLAN = """ỦY BAN NHÂN DÂN
XÃ HÒA BÌNH
Số: 12/KH-UBND Hòa Bình, ngày 3 tháng 4 năm 2025
KẾ HOẠCH
Tổ chức số hóa sổ hộ tịch năm 2025
"""


@pytest.fixture
def queued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, str]:
    """One record to review in DATA_DIR/archive, as OCR read it: type unknown, no number, an OCR issuer."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    settings = Settings(data_dir=tmp_path / "var")
    record, files = make_record(tmp_path / "files", "plan", doc_type="unknown", number=None, text=PLAN)
    assert record.classification is not None
    record.classification.issuer = "UY BAN NHAN DAN XA H0A BINH"  # what OCR read
    record.classification.subject = "T6 chức số hóa"
    record.needs_review = True
    record.review_reasons += [
        "classification confidence 0.4 < 0.6",
        "page 1: no words found (a photo, a drawing, handwriting, or print too faint to read)",
    ]
    LocalArchive(settings.archive_dir).put(record, files)
    return settings, record.id


def _set(record_id: str, *args: str) -> dict:
    result = CliRunner().invoke(app, ["review", "set", record_id, *args, "--no-retrain", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_second_review_set_keeps_earlier_corrections(queued: tuple[Settings, str]) -> None:
    _, record_id = queued
    first = ["--type", "KH", "--number", "12/KH-UBND", "--issuer", "Ủy ban nhân dân xã Hòa Bình"]
    _set(record_id, *first, "--subject", "Số hóa sổ hộ tịch", "--date", "2025-04-03")
    second = _set(record_id, "--type", "QĐ")  # the officer only fixes the type
    assert (second["doc_type"], second["number"], second["issuer"], second["subject"], second["issued_on"]) == (
        "QĐ",
        "12/KH-UBND",
        "Ủy ban nhân dân xã Hòa Bình",
        "Số hóa sổ hộ tịch",
        "2025-04-03",
    )
    runner = CliRunner()
    shown = json.loads(runner.invoke(app, ["get", record_id, "--json"]).stdout)["correction"]
    assert shown["number"] == "12/KH-UBND" and shown["issuer"] == "Ủy ban nhân dân xã Hòa Bình"
    hits = json.loads(runner.invoke(app, ["search", "12/KH-UBND", "--json"]).stdout)["hits"]
    assert [h["record_id"] for h in hits] == [record_id]


def test_archive_metadata_follows_the_correction(queued: tuple[Settings, str]) -> None:
    _, record_id = queued
    _set(record_id, "--type", "KH", "--number", "12/KH-UBND", "--issuer", "Ủy ban nhân dân xã Hòa Bình")
    meta = _set(record_id, "--type", "QĐ", "--date", "2025-04-03", "--subject", "Số hóa sổ hộ tịch")["archive_metadata"]
    assert meta["TypeName"] == "Quyết định (cá biệt)"  # not "Kế hoạch", nor the archived (unknown) one
    assert (meta["CodeNumber"], meta["CodeNotation"]) == ("12", "KH-UBND")
    assert meta["OrganName"] == "Ủy ban nhân dân xã Hòa Bình"
    assert meta["IssuedDate"] == "03/04/2025" and meta["Subject"] == "Số hóa sổ hộ tịch"
    assert meta["ConfidenceLevel"] == "Bản chính"
    # a number with its year is a normative resolution's: named so, whichever of type or number came last (QA81)
    corrected = _set(record_id, "--type", "NQ", "--number", "05/2025/NQ-HĐND")
    assert corrected["doc_type_name"] == corrected["archive_metadata"]["TypeName"] == "Nghị quyết (quy phạm pháp luật)"
    assert _set(record_id, "--number", "06/NQ-HĐND")["doc_type_name"] == "Nghị quyết (cá biệt)"


def test_review_commands_take_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive given on the command line, as process/list/get take it: the record is listed and corrected
    there; a location with no archive is refused (it used to say "0 record(s) to review", exit 0)."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.delenv("SOHOA_ARCHIVE", raising=False)
    kho = tmp_path / "kho lưu trữ"
    record, files = make_record(tmp_path / "files", "elsewhere", doc_type="unknown", number=None, text=PLAN)
    record.needs_review = True
    LocalArchive(kho).put(record, files)
    runner = CliRunner()
    listed = runner.invoke(app, ["review", "list", "--archive", str(kho), "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["id"] for r in json.loads(listed.stdout)["records"]] == [record.id]
    fixed = runner.invoke(app, ["review", "set", record.id, "--type", "TB", "--no-retrain", "--archive", str(kho)])
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(runner.invoke(app, ["review", "list", "--archive", str(kho), "--json"]).stdout)["count"] == 0
    for command in (["review", "list"], ["review", "set", record.id, "--type", "TB", "--no-retrain"]):
        nowhere = runner.invoke(app, [*command, "--archive", str(tmp_path / "không có")])
        assert nowhere.exit_code == 2, nowhere.output
        assert "no archive at" in " ".join(nowhere.output.split())
    default = runner.invoke(app, ["review", "list"])  # DATA_DIR/archive was never made: not "0 record(s)"
    assert default.exit_code == 2 and "no archive at" in " ".join(default.output.split())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        # day first is taken, as `search --from` takes it (test_review_set_takes_the_day_as_officers_write_it)
        # a day no calendar has is said to be one, as `search --from` says it (QA64: "not a date: write DD/MM/YYYY")
        (
            ["--date", "31/02/2025"],
            ["--date", "không có ngày này, tháng 02/2025 chỉ có 28 ngày", "02/2025 has 28 days"],
        ),
        (["--date", "2025-02-30"], ["--date", "no such day: 02/2025 has 28 days"]),
        (["--date", "hôm qua"], ["--date", "DD/MM/YYYY", "ngày không hợp lệ"]),
        (["--type", "XYZ"], ["--type", "không có loại này", "no such type code", "QĐ", "HT-TLKT"]),
        (["--number", ""], ["--number", "trống", "empty"]),
        (["--number", "   "], ["--number", "trống", "empty"]),
        (["--number", "số"], ["--number", "trống", "empty"]),
    ],
)
def test_review_set_usage_errors_name_the_option_in_both_languages(
    queued: tuple[Settings, str], args: list[str], words: list[str]
) -> None:
    settings, record_id = queued
    options = ["--type", "KH", *args] if "--type" not in args else args
    result = CliRunner().invoke(app, ["review", "set", record_id, *options, "--no-retrain"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "Invalid isoformat" not in said and "out of range" not in said
    for word in words:
        assert word in said, (word, said)
    assert not (settings.data_dir / "corrections" / f"{record_id}.json").exists()  # nothing kept


def test_review_set_no_such_record_and_lower_case_type(queued: tuple[Settings, str]) -> None:
    _, record_id = queued
    missing = CliRunner().invoke(app, ["review", "set", "0123456789abcdef", "--type", "TB", "--no-retrain"])
    assert missing.exit_code == 1
    said = " ".join(missing.output.split())  # as `get` says it (QA67: in other words)
    assert "hồ sơ 0123456789abcdef: không có trong kho / record 0123456789abcdef: not in the archive" in said, said
    assert _set(record_id, "--type", "qd")["doc_type"] == "QĐ"  # typed without its Đ


def test_review_set_number_word_and_symbol_warning(queued: tuple[Settings, str]) -> None:
    _, record_id = queued
    # stored as the classifier stores numbers, without "số"
    assert _set(record_id, "--type", "QĐ", "--number", "số 9/QĐ-UBND")["number"] == "9/QĐ-UBND"
    assert _set(record_id, "--type", "QĐ", "--number", "Số: 10/QĐ-UBND")["symbol"] == "QĐ-UBND"
    result = CliRunner().invoke(
        app, ["review", "set", record_id, "--type", "QĐ", "--number", "12/KH-UBND", "--no-retrain"]
    )
    assert result.exit_code == 0, result.output  # kept, not refused
    said = " ".join(result.output.split())
    assert "cảnh báo / warning" in said and "KH" in said
    clean = CliRunner().invoke(app, ["review", "set", record_id, "--type", "KH", "--no-retrain"])
    assert clean.exit_code == 0 and "warning" not in clean.output


def test_review_list_reasons_in_vietnamese(queued: tuple[Settings, str]) -> None:
    _, record_id = queued
    runner = CliRunner(env={"COLUMNS": "300"})
    table = " ".join(runner.invoke(app, ["review", "list"]).output.split())
    assert "độ tin cậy phân loại 0.4 < 0.6" in table and "classification confidence 0.4 < 0.6" in table
    assert "trang 1: không đọc được chữ nào" in table and "cần xem lại" in table
    row = json.loads(runner.invoke(app, ["review", "list", "--json"]).stdout)["records"][0]
    assert row["reasons"][0] == "classification confidence 0.4 < 0.6"  # English kept for scripts
    assert row["reasons_vi"][0] == "độ tin cậy phân loại 0.4 < 0.6"


def test_export_and_get_out_carry_the_correction(queued: tuple[Settings, str], tmp_path: Path) -> None:
    """The archived record.json stays byte for byte the one the ledger recorded; the officer's correction goes
    beside it (correction.json) and into bag-info's description (it used to say "unknown — …" with nothing of
    the correction anywhere)."""
    from storage.export import validate_bag

    settings, record_id = queued
    _set(record_id, "--type", "TB", "--number", "7/TB-UBND", "--date", "2025-05-05")
    archived = next((settings.archive_dir).rglob("record.json")).read_bytes()
    runner = CliRunner()
    exported = runner.invoke(app, ["export", record_id, str(tmp_path / "bag")])
    assert exported.exit_code == 0, exported.output
    bag = tmp_path / "bag"
    validate_bag(bag)
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "External-Description: TB 7/TB-UBND (corrected by an officer" in info
    assert (bag / "data" / "record.json").read_bytes() == archived
    fixed = json.loads((bag / "data" / "correction.json").read_text(encoding="utf-8"))
    assert (fixed["doc_type"], fixed["number"], fixed["issued_on"]) == ("TB", "7/TB-UBND", "2025-05-05")

    got = runner.invoke(app, ["get", record_id, "--out", str(tmp_path / "hồ sơ")])
    assert got.exit_code == 0, got.output
    assert (tmp_path / "hồ sơ" / "record.json").read_bytes() == archived
    copied = json.loads((tmp_path / "hồ sơ" / "correction.json").read_text(encoding="utf-8"))
    assert copied["number"] == "7/TB-UBND"
    assert str(tmp_path / "hồ sơ" / "correction.json") in " ".join(got.output.split())

    record = LocalArchive(settings.archive_dir).get(record_id)
    assert record is not None
    # a batch of one day (in Vietnam)
    day = next(e.at.astimezone(VN_TZ).date().isoformat() for e in record.events if e.action == "archived")
    batch = runner.invoke(app, ["export", "--batch", day, str(tmp_path / "lô")])
    assert batch.exit_code == 0, batch.output
    assert json.loads((tmp_path / "lô" / "data" / record_id / "correction.json").read_text())["doc_type"] == "TB"
    listing = json.loads((tmp_path / "lô" / "data" / "batch.json").read_text(encoding="utf-8"))["records"]
    assert listing[0]["correction"] == {"doc_type": "TB", "number": "7/TB-UBND"}


def test_export_without_correction_has_none(queued: tuple[Settings, str], tmp_path: Path) -> None:
    _, record_id = queued
    assert CliRunner().invoke(app, ["export", record_id, str(tmp_path / "bag")]).exit_code == 0
    assert not (tmp_path / "bag" / "data" / "correction.json").exists()
    assert "(corrected" not in (tmp_path / "bag" / "bag-info.txt").read_text(encoding="utf-8")


def test_get_shows_an_officer_the_record_in_words(queued: tuple[Settings, str]) -> None:
    """`sohoa get ID` printed the whole sidecar as JSON (~200 lines, the OCR text in one string) and the correction
    after it as more JSON: now labelled lines, the correction over what sohoa read, the review reasons while
    uncorrected; `--json` keeps the whole record."""
    _, record_id = queued
    runner = CliRunner()
    before = runner.invoke(app, ["get", record_id])
    assert before.exit_code == 0, before.output
    assert not before.output.lstrip().startswith("{") and '"schema_version"' not in before.output
    assert "Mã hồ sơ / record" in before.output and record_id in before.output
    assert "Cần xem lại / needs review" in before.output and "confidence 0.4 < 0.6" in before.output
    assert "Cơ quan ban hành / issuer" in before.output and "UY BAN NHAN DAN XA H0A BINH" in before.output
    _set(record_id, "--type", "KH", "--number", "12/KH-UBND", "--issuer", "Ủy ban nhân dân xã Hòa Bình")
    after = runner.invoke(app, ["get", record_id]).output
    assert "Số, ký hiệu / number" in after and "12/KH-UBND" in after and "Ủy ban nhân dân xã Hòa Bình" in after
    assert "Đã sửa / corrected" in after
    # what sohoa read of the issuer is said beside the officer's, and only there
    assert "Ủy ban nhân dân xã Hòa Bình (sohoa đọc / read: UY BAN NHAN DAN XA H0A BINH)" in after, after
    assert after.count("H0A BINH") == 1, after
    # the correction settles the classification's reason; the page's stays until acknowledged (review set --ack)
    assert "confidence 0.4 < 0.6" not in after and "Cần xem lại / needs review" in after and "page 1: no words" in after
    assert _set(record_id, "--ack")["acknowledged"] == [
        "page 1: no words found (a photo, a drawing, handwriting, or print too faint to read)"
    ]
    after = runner.invoke(app, ["get", record_id]).output
    assert "Cần xem lại" not in after
    assert "Tệp / file (signed)" in after and "Lưu giữ đến / retained until" in after
    whole = json.loads(runner.invoke(app, ["get", record_id, "--json"]).stdout)
    assert whole["record"]["id"] == record_id and whole["correction"]["number"] == "12/KH-UBND"


MERGED = (
    "page 2 bears a code reading 'SOHOA-SEPARATOR', the default separator text, while the separator code is "
    "'PHAN-CACH': not split there; the documents around it may be merged"
)
CMYK = "not PDF/A: page 1 is in CMYK colours (scan it again in RGB colour or gray)"


@pytest.mark.parametrize(
    "other",
    [
        MERGED,
        CMYK,
        "page 1: low OCR quality (OCR confidence 41 below the bar 60)",
        "possibly archived before: record "
        "0123456789abcdef (2025/QĐ/x) (same type, number and date of issue; another scan)",
    ],
)
def test_a_correction_settles_only_the_classifications_reasons(
    queued: tuple[Settings, str], tmp_path: Path, other: str
) -> None:
    """QA: `review set --type … --number …` took a record off the review list whatever its reasons — a page in
    CMYK (not PDF/A), a possible merge at a separator, a low-quality page, a possible earlier copy — and `get` no
    longer showed them; a possibly merged record's text became a training example. A correction settles the
    classification's reasons; the others stay until `review set --ack`."""
    settings, _ = queued
    record, files = make_record(tmp_path / "other", "other", doc_type="unknown", number=None, text=PLAN)
    record.needs_review = True
    record.review_reasons = ["classification confidence 0.4 < 0.6", "document type not recognised", other]
    LocalArchive(settings.archive_dir).put(record, files)
    runner = CliRunner()
    fixed = _set(record.id, "--type", "KH", "--number", "12/KH-UBND")
    assert fixed["open_reasons"] == [other] and fixed["acknowledged"] == []
    listed = json.loads(runner.invoke(app, ["review", "list", "--json"]).stdout)["records"]
    assert [r["reasons"] for r in listed if r["id"] == record.id] == [[other]]
    shown = " ".join(runner.invoke(app, ["get", record.id]).output.split())
    assert "Cần xem lại / needs review" in shown and other in shown and "confidence 0.4" not in shown
    example = settings.data_dir / "training" / "KH" / f"{record.id}.txt"
    assert example.exists() == (other != MERGED)  # a text that may be two documents teaches no type
    acked = _set(record.id, "--ack")
    assert acked["acknowledged"] == [other] and acked["open_reasons"] == [] and acked["doc_type"] == "KH"
    listed = json.loads(runner.invoke(app, ["review", "list", "--json"]).stdout)["records"]
    assert record.id not in [r["id"] for r in listed]
    assert "Cần xem lại" not in runner.invoke(app, ["get", record.id]).output
    assert example.exists()  # acknowledged as one document: now an example
    ledger = Ledger(LocalArchive(settings.archive_dir)).excerpt(record.id)
    assert (ledger[-1]["action"], ledger[-1]["detail"]) == ("acknowledged", other)


def test_review_list_get_and_list_read_a_records_correction_once(
    queued: tuple[Settings, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`review list` and `get` asked whether a record waits for review, then for its reasons still open, each
    reading its correction (and acknowledgement) again: 3 reads of the one correction file for `review list`, 4 for
    `get`, 2 for `list`. Now one each, and what they say is the same."""
    settings, record_id = queued
    _set(record_id, "--type", "KH", "--number", "12/KH-UBND")  # corrected; its blank page is still to review
    blank = "page 1: no words found (a photo, a drawing, handwriting, or print too faint to read)"
    corrections = settings.data_dir / "corrections"
    reads: list[str] = []
    read_text = Path.read_text

    def counted(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.parent == corrections:
            reads.append(self.name)
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counted)
    runner = CliRunner()
    said: dict[str, Any] = {}
    for command in (["review", "list", "--json"], ["get", record_id], ["list", "--json"]):
        reads.clear()
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert reads == [f"{record_id}.json"], (command, reads)
        said[command[0]] = result.stdout
    assert [row["reasons"] for row in json.loads(said["review"])["records"]] == [[blank]]
    shown = " ".join(said["get"].split())
    assert "Cần xem lại / needs review" in shown and "no words found" in shown and "confidence 0.4" not in shown
    (row,) = json.loads(said["list"])["records"]
    assert (row["needs_review"], row["flagged"], row["corrected"], row["doc_type"]) == (True, True, True, "KH")


def test_review_set_ack_alone_accepts_what_sohoa_read(queued: tuple[Settings, str]) -> None:
    """`review set ID --ack` with no correction: every reason acknowledged, no correction kept, no example."""
    settings, record_id = queued
    acked = _set(record_id, "--ack")
    assert len(acked["acknowledged"]) == 2 and acked["open_reasons"] == [] and acked["doc_type"] == "unknown"
    assert not (settings.data_dir / "corrections" / f"{record_id}.json").exists()
    assert json.loads(CliRunner().invoke(app, ["review", "list", "--json"]).stdout)["count"] == 0
    # sohoa list agrees: no longer waiting, flagged as archived (it said needs_review true for ever)
    (row,) = [
        r for r in json.loads(CliRunner().invoke(app, ["list", "--json"]).stdout)["records"] if r["id"] == record_id
    ]
    assert (row["needs_review"], row["flagged"], row["corrected"]) == (False, True, False)


def test_a_review_reason_names_the_missing_field_in_both_languages() -> None:
    from classify import classify_text
    from classify.review import reason_in_vietnamese, weak_fields

    unnumbered = classify_text(PLAN.replace("Số: 12/KH-UBND ", ""), model=None)
    assert unnumbered.confidence == 0.4
    assert weak_fields(unnumbered, 0.6) == ["no document number found"]
    assert reason_in_vietnamese("no document number found") == "không tìm thấy số văn bản"
    nothing = classify_text("một trang không có tiêu đề\n", model=None)
    assert weak_fields(nothing, 0.6) == [
        "document type not recognised",
        "no document number found",
        "no date of issue found",
        "no issuing body found",
    ]
    future = classify_text(PLAN.replace("năm 2025", "năm 2095"), model=None)
    assert weak_fields(future, 0.6) == ["date of issue doubtful (0.5)"]
    assert reason_in_vietnamese("date of issue doubtful (0.5)") == "ngày ban hành đáng ngờ (0.5)"
    assert reason_in_vietnamese("document type unsure (0.45)") == "loại văn bản chưa chắc chắn (0.45)"
    assert weak_fields(classify_text(PLAN, model=None), 0.6) == []


def _page(path: Path, lines: list[str]) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf", 44)
    image = Image.new("L", (2480, 120 + 80 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((240, 60 + 80 * row), line, fill=0, font=font)
    image.save(path, dpi=(300, 300))
    return path


def test_a_birth_certificate_is_filed_by_its_number_and_a_numberless_one_says_why(tmp_path: Path) -> None:
    """A Giấy khai sinh's 'Số: 112' is its register entry: it was read as no number, so every birth certificate
    went to review ('độ tin cậy phân loại 0.4 < 0.6', saying nothing of why) under '2025/HT-GKS/no-number--…'."""
    from flows.pipeline import Outcome, process_many
    from tests.conftest import make_settings

    body = [
        "GIẤY KHAI SINH",
        "Họ, chữ đệm, tên: LƯƠNG THỊ QUỲNH ANH",
        "Ngày, tháng, năm đăng ký: 06/6/2025",
        "NGƯỜI KÝ GIẤY KHAI SINH",
        "Lò Thị Đào",
    ]
    header = ["ỦY BAN NHÂN DÂN", "XÃ TÂN HÒA", "Số: 112", "Tân Hòa, ngày 06 tháng 6 năm 2025"]
    numbered = _page(tmp_path / "khai sinh 112.png", header + body)
    numberless = _page(tmp_path / "khai sinh.png", [h for h in header if not h.startswith("Số")] + body)
    settings = make_settings(tmp_path / "var")
    results = {r.path.name: r for r in process_many([numbered, numberless], settings)}
    filed = results[numbered.name]
    assert filed.outcome == Outcome.ARCHIVED and filed.record is not None and filed.record.classification
    assert (filed.record.classification.doc_type, filed.record.classification.number) == ("HT-GKS", "112")
    assert not filed.record.needs_review, filed.record.review_reasons
    assert (filed.record.archive_prefix or "").startswith("2025/HT-GKS/112--")
    doubtful = results[numberless.name].record
    assert doubtful is not None and doubtful.needs_review
    assert doubtful.review_reasons == ["classification confidence 0.4 < 0.6", "no document number found"]
    runner = CliRunner(env={"COLUMNS": "300", "SOHOA_DATA_DIR": str(settings.data_dir), "SOHOA_CONFIG": ""})
    table = " ".join(runner.invoke(app, ["review", "list"]).output.split())
    assert "không tìm thấy số văn bản / no document" in table  # (the table wraps the cell)
    (row,) = json.loads(runner.invoke(app, ["review", "list", "--json"]).stdout)["records"]
    assert row["reasons_vi"] == ["độ tin cậy phân loại 0.4 < 0.6", "không tìm thấy số văn bản"]
    shown = runner.invoke(app, ["get", doubtful.id])
    assert "không tìm thấy số văn bản / no document number found" in " ".join(shown.output.split())


def test_get_shows_a_blank_page_and_the_signer_once(queued: tuple[Settings, str], tmp_path: Path) -> None:
    """QA: `sohoa get` ended in a TypeError traceback for a record with a blank page (no confidence), and said the
    signing authority twice ("KT, KT. CHỦ TỊCH")."""
    from datetime import UTC, datetime

    from sohoa.record import PageOcr, SignatureFacts

    settings, _ = queued
    record, files = make_record(tmp_path / "blank", "blank-first", number="130/UBND-VP")
    assert record.ocr is not None and record.classification is not None
    record.ocr.pages = [  # Tesseract found no word on the first page
        PageOcr(number=1, ocr=True, confidence=None, quality="low", words=0),
        PageOcr(number=2, ocr=True, confidence=92.7, quality="good", words=260),
    ]
    record.signature = SignatureFacts(
        output_pdf="document.pdf",
        field_name="Signature1",
        level="B-B",
        signer_subject="CN=Vi Thị Phượng",
        signer_issuer="CN=CA",
        certificate_sha256="0" * 64,
        signed_at=datetime(2026, 12, 1, 6, 16, 25, tzinfo=UTC),
        development_identity=False,
    )
    record.classification.signing_authority = "KT"
    record.classification.signer_title = "KT. CHỦ TỊCH"
    record.classification.signer_name = "Vi Thị Phượng"
    LocalArchive(settings.archive_dir).put(record, files)
    got = CliRunner().invoke(app, ["get", record.id])
    assert got.exit_code == 0 and got.exception is None, got.output
    assert "Trang / page 1" in got.output and "no words read" in got.output
    assert "KT. CHỦ TỊCH, Vi Thị Phượng" in got.output and "KT, KT." not in got.output
    assert "PAdES B-B, 01/12/2026 13:16:25" in got.output  # the signing time as the stamp says it, as officers write it


def test_get_says_which_pages_were_turned_for_display_or_straightened(tmp_path: Path) -> None:
    """QA: a page's orientation and skew were in `sohoa get --json` only: the text view said nothing of a page sohoa
    turned upright (its /Rotate: a viewer shows it turned from the scan) or straightened to read it."""
    from flows.commands_storage import record_summary
    from sohoa.record import PageOcr

    record, _ = make_record(tmp_path / "turned", "turned-pages")
    assert record.ocr is not None
    record.ocr.pages = [
        PageOcr(number=1, ocr=True, confidence=93.1, quality="good", words=250),
        PageOcr(number=2, ocr=True, confidence=90.4, quality="good", words=240, orientation=90),
        PageOcr(number=3, ocr=True, confidence=88.0, quality="good", words=230, skew=-1.83),
        PageOcr(number=4, ocr=True, confidence=87.5, quality="good", words=220, orientation=180, skew=1.1),
        PageOcr(number=5, ocr=True, confidence=89.0, quality="good", words=210, skew=-4.2, shown_straightened=True),
    ]
    pages = {line.split()[3]: line for line in record_summary(record, None, []) if line.startswith("Trang / page")}
    assert "xoay" not in pages["1"] and "straightened" not in pages["1"] and "turned" not in pages["1"]
    assert pages["2"].endswith("240 từ / words; đã xoay 90° để hiển thị / turned 90° for display"), pages["2"]
    assert pages["3"].endswith("230 từ / words; đã nắn thẳng 1.8° để đọc / straightened 1.8° for OCR"), pages["3"]
    assert "đã xoay 180° để hiển thị / turned 180° for display; đã nắn thẳng 1.1° để đọc" in pages["4"], pages["4"]
    # QA129: skewed 2° or more, the copy shows the page straightened too
    assert pages["5"].endswith("đã nắn thẳng 4.2° để đọc và hiển thị / straightened 4.2° for OCR and display"), pages[
        "5"
    ]


def test_a_document_of_a_scanned_stack_is_named_by_the_stack_as_dropped(
    queued: tuple[Settings, str], tmp_path: Path
) -> None:
    """QA: `list` and `review list` named a stack's document `A-plain.pdf#3.pdf`, a file nobody dropped: they name
    the stack, the document's number and its pages (the JSON keeps `source`/`file` and adds the label)."""
    from sohoa.record import StackOrigin

    settings, _ = queued
    record, files = make_record(tmp_path / "stack", "part-3", number=None, doc_type="unknown")
    record.source.name = "A-plain.pdf#3.pdf"
    record.source.stack = StackOrigin(path="/srv/inbox/hộ tịch/A-plain.pdf", sha256="0" * 64, part=3, pages=[6, 7])
    record.needs_review = True
    record.review_reasons = ["document type not recognised"]
    LocalArchive(settings.archive_dir).put(record, files)
    label = "A-plain.pdf — văn bản 3 / document 3, tr. / p. 6–7"
    assert record.source.label() == label
    runner = CliRunner(env={"COLUMNS": "250"})
    for command in (["list"], ["review", "list"]):
        shown = runner.invoke(app, command)
        assert shown.exit_code == 0 and label in shown.output and "A-plain.pdf#3.pdf" not in shown.output, shown.output
    listed = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    (row,) = [r for r in listed["records"] if r["id"] == record.id]
    # the stack + #part, as process --json's path says it: "A-plain.pdf#3.pdf" was a scratch file nobody dropped
    assert row["source"] == "A-plain.pdf#3" and row["source_label"] == label
    assert "văn bản 3 / document 3, tr. / p. 6–7" in runner.invoke(app, ["get", record.id]).output


def test_a_stack_documents_bag_names_the_stack(queued: tuple[Settings, str], tmp_path: Path) -> None:
    """QA: the BagIt export of a stack's document said `Internal-Sender-Identifier: s3-blank-part.pdf#3.pdf` (the
    scratch name), README.txt "original file: …#3.pdf", batch.json's and export --json's `source` the same; nothing
    named the stack. Now the stack's name + #part (as list --json), the label, and bag-info fields for the stack;
    a record dropped alone keeps its fields."""
    from sohoa.record import StackOrigin
    from storage.export import validate_bag

    settings, alone = queued
    record, files = make_record(tmp_path / "stack", "part-3", number=None, doc_type="unknown")
    record.source.name = "s3-blank-part.pdf#3.pdf"
    record.source.stack = StackOrigin(path="/srv/inbox/s3-blank-part.pdf", sha256="ab" * 32, part=3, pages=[5, 6])
    LocalArchive(settings.archive_dir).put(record, files)
    label = "s3-blank-part.pdf — văn bản 3 / document 3, tr. / p. 5–6"
    runner = CliRunner()
    exported = runner.invoke(app, ["export", record.id, str(tmp_path / "bag"), "--json"])
    assert exported.exit_code == 0, exported.output
    (row,) = json.loads(exported.stdout)["records"]
    assert (row["source"], row["source_label"]) == ("s3-blank-part.pdf#3", label)
    validate_bag(tmp_path / "bag")
    info = (tmp_path / "bag" / "bag-info.txt").read_text(encoding="utf-8")
    readme = (tmp_path / "bag" / "README.txt").read_text(encoding="utf-8")
    assert "#3.pdf" not in info and "#3.pdf" not in readme
    assert "Internal-Sender-Identifier: s3-blank-part.pdf#3\n" in info
    assert "Source-Stack: s3-blank-part.pdf\n" in info and f"Source-Stack-SHA256: {'ab' * 32}\n" in info
    assert "Source-Stack-Part: 3\n" in info and "Source-Stack-Pages: 5–6\n" in info
    assert f"Tệp gốc / original file: {label}" in readme and "ab" * 32 in readme

    alone_bag = runner.invoke(app, ["export", alone, str(tmp_path / "alone")])
    assert alone_bag.exit_code == 0, alone_bag.output
    info = (tmp_path / "alone" / "bag-info.txt").read_text(encoding="utf-8")
    assert "Internal-Sender-Identifier: plan.png\n" in info and "Source-Stack" not in info

    day = next(e.at.astimezone(VN_TZ).date().isoformat() for e in record.events if e.action == "archived")
    batch = runner.invoke(app, ["export", "--batch", day, str(tmp_path / "lô"), "--json"])
    assert batch.exit_code == 0, batch.output
    validate_bag(tmp_path / "lô")
    listing = json.loads((tmp_path / "lô" / "data" / "batch.json").read_text(encoding="utf-8"))["records"]
    listed = json.loads(runner.invoke(app, ["list", "--json"]).stdout)["records"]
    for rows in (listing, json.loads(batch.stdout)["records"]):
        by_id = {r["id"]: r for r in rows}
        for shown in listed:  # as list --json says them
            assert (by_id[shown["id"]]["source"], by_id[shown["id"]]["source_label"]) == (
                shown["source"],
                shown["source_label"],
            )
    stack = {r["id"]: r for r in listing}[record.id]["source_stack"]
    assert stack == {"name": "s3-blank-part.pdf", "sha256": "ab" * 32, "part": 3, "pages": [5, 6]}
    assert {r["id"]: r for r in listing}[alone]["source_stack"] is None


def test_review_set_corrects_any_field_alone_and_keeps_the_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: `review set` required --type even to fix only the issuer (the README says options left out keep their
    values), and said so in an English-only box. Any subset of the fields is taken; with no --type the type is the
    one corrected before, else the one sohoa read."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    settings = Settings(data_dir=tmp_path / "var")
    record, files = make_record(tmp_path / "files", "issuer only", text=PLAN.replace("KẾ HOẠCH", "QUYẾT ĐỊNH"))
    record.needs_review = True
    LocalArchive(settings.archive_dir).put(record, files)

    fixed = _set(record.id, "--issuer", "Ủy ban nhân dân xã Hòa Bình")
    assert (fixed["doc_type"], fixed["number"], fixed["issuer"]) == ("QĐ", "15/QĐ-UBND", "Ủy ban nhân dân xã Hòa Bình")
    assert fixed["decided_by"] == "correction"
    assert "corrected by" in fixed["fields"]["issuer"]["evidence"]
    assert "corrected by" not in fixed["fields"].get("doc_type", {}).get("evidence", "")  # kept, not given
    assert (settings.data_dir / "training" / "QĐ" / f"{record.id}.txt").exists()
    # a type corrected before is kept by a later correction without --type
    assert _set(record.id, "--type", "KH")["doc_type"] == "KH"
    again = _set(record.id, "--date", "2025-04-03")
    assert (again["doc_type"], again["issued_on"], again["issuer"]) == (
        "KH",
        "2025-04-03",
        "Ủy ban nhân dân xã Hòa Bình",
    )
    ledger = Ledger(LocalArchive(settings.archive_dir)).excerpt(record.id)
    assert ledger[-1]["detail"] == "type KH (kept), date 2025-04-03"


def test_review_set_without_type_refuses_what_it_cannot_keep(queued: tuple[Settings, str]) -> None:
    """Nothing to correct, or no --type for a record whose type sohoa did not read: usage errors, in both
    languages, and nothing kept."""
    settings, record_id = queued
    runner = CliRunner()
    for options, words in (
        ([], ["không có gì để sửa", "nothing to correct", "--issuer"]),
        (["--issuer", "Ủy ban nhân dân xã Hòa Bình"], ["--type", "không nhận ra loại", "did not recognise"]),
    ):
        result = runner.invoke(app, ["review", "set", record_id, *options, "--no-retrain"])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert "Missing option" not in said
        for word in words:
            assert word in said, (word, said)
    assert not (settings.data_dir / "corrections" / f"{record_id}.json").exists()


def test_nothing_acts_on_a_rewritten_record_json_and_a_second_ack_records_nothing(
    queued: tuple[Settings, str],
) -> None:
    """QA59: `review set --ack` run again added a ledger entry "no reason open" each time; and `review set` and
    `hold` acted on a record whose record.json had been rewritten — ledger entries and a correction written, exit 0
    — where `get` and `export` refuse it."""
    settings, record_id = queued
    archive = LocalArchive(settings.archive_dir)
    ledger = Ledger(archive)
    _set(record_id, "--ack")
    entries = len(ledger.excerpt(record_id))
    again = _set(record_id, "--ack")
    assert again["acknowledged"] == [] and len(ledger.excerpt(record_id)) == entries
    record = archive.get(record_id)
    assert record is not None and record.archive_prefix is not None
    sidecar = settings.archive_dir / record.archive_prefix / "record.json"
    sidecar.write_text(sidecar.read_text("utf-8").replace("UY BAN NHAN DAN", "UY BAN NHAN DAN  "), "utf-8")
    runner = CliRunner()
    for args in (["review", "set", record_id, "--number", "12/KH-UBND", "--no-retrain"], ["hold", record_id, "on"]):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 1, (args, refused.output)
        assert "record.json" in refused.output
    assert len(ledger.excerpt(record_id)) == entries
    assert not (settings.data_dir / "corrections" / f"{record_id}.json").exists()


def test_review_set_and_get_say_the_date_of_issue(queued: tuple[Settings, str]) -> None:
    """QA59: `review set ID --date 21/10/2025` printed only `đã sửa thành / now QĐ 15/QĐ-UBND`, not the date it
    set; `get`'s `Đã sửa / corrected … sohoa read: QĐ 15/QĐ-UBND` left out the date sohoa read. Both say it, as
    officers write days."""
    _, record_id = queued
    runner = CliRunner()

    def said(*args: str) -> str:
        result = runner.invoke(app, [*args], env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    first = said("review", "set", record_id, "--type", "qd", "--number", "15/QĐ-UBND", "--no-retrain")
    assert f"{record_id}: đã sửa thành / now QĐ 15/QĐ-UBND, 19/11/2025" in first, first  # the date as read
    second = said("review", "set", record_id, "--date", "21/10/2025", "--no-retrain")
    assert f"{record_id}: đã sửa thành / now QĐ 15/QĐ-UBND, 21/10/2025" in second, second
    shown = said("get", record_id)
    assert "Ngày ban hành / issued on 21/10/2025" in shown, shown
    assert "Đã sửa / corrected sohoa review set; sohoa read: unknown, 19/11/2025" in shown, shown


def test_review_set_repeats_back_every_field_it_changed(queued: tuple[Settings, str]) -> None:
    """QA93 F9: `review set --subject … --issuer …` said only `đã sửa thành / now HT-TLKT 61/TLKT-BS, 10/12/2025`:
    neither changed field. Each field changed is said, as it was and as it is; --json gives them as `changed`."""
    _, record_id = queued
    first = ["--type", "KH", "--subject", "Tổ chức số hóa", "--issuer", "Ủy ban nhân dân xã Hòa Bình"]
    result = CliRunner().invoke(app, ["review", "set", record_id, *first, "--no-retrain"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    said = result.output.splitlines()
    assert "  Loại / type: unknown → KH" in said, said
    assert "  Trích yếu / subject: T6 chức số hóa → Tổ chức số hóa" in said, said
    assert "  Cơ quan ban hành / issuer: UY BAN NHAN DAN XA H0A BINH → Ủy ban nhân dân xã Hòa Bình" in said, said
    assert not any("/ number:" in line or "/ issued on:" in line for line in said), said  # not changed
    again = CliRunner().invoke(app, ["review", "set", record_id, "--date", "3/4/2025", "--no-retrain"])
    assert "  Ngày ban hành / issued on: 19/11/2025 → 03/04/2025" in again.output.splitlines(), again.output
    changed = _set(record_id, "--number", "12/KH-UBND", "--subject", "Tổ chức số hóa", "--date", "5/4/2025")["changed"]
    assert changed == {  # against the earlier correction: the subject is as it was
        "number": {"old": None, "new": "12/KH-UBND"},
        "issued_on": {"old": "2025-04-03", "new": "2025-04-05"},  # ISO, as JSON keeps days
    }, changed


def test_get_says_what_sohoa_read_of_each_field_corrected(queued: tuple[Settings, str]) -> None:
    """QA93 F9: after `review set --subject … --signer …`, `get` showed the officer's values only; what sohoa had read
    of them was in --json alone. A field corrected says what sohoa read beside it; a field not corrected, nothing."""
    _, record_id = queued
    _set(record_id, "--type", "KH", "--subject", "Tổ chức số hóa", "--signer", "Nguyễn Văn An")
    result = CliRunner().invoke(app, ["get", record_id], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    lines = {line[:30].strip(): line[30:].strip() for line in result.output.splitlines() if len(line) > 30}
    assert lines["Trích yếu / subject"] == "Tổ chức số hóa (sohoa đọc / read: T6 chức số hóa)", lines
    assert lines["Người ký / signed by"].startswith("Nguyễn Văn An (sohoa đọc / read: "), lines
    assert "sohoa đọc" not in lines["Cơ quan ban hành / issuer"], lines  # not corrected


def test_get_shows_a_copys_own_block(tmp_path: Path) -> None:
    """A copy's block (its form, number, date, body, signer) is in `sohoa get` under the copied document's signer,
    not taken for it (QA81 L3)."""
    from datetime import date

    from flows.commands_storage import record_summary
    from sohoa.record import CopyBlock

    record, _ = make_record(tmp_path / "copy", "sao-y")
    assert record.classification is not None
    record.classification.copy_block = CopyBlock(
        form="SAO Y", number="14/SY", issued_on=date(2025, 3, 11), issuer="ỦY BAN NHÂN DÂN XÃ TÂN LẬP"
    )
    shown = record_summary(record, None, [])
    assert "Bản sao / copy                 SAO Y 14/SY, 11/03/2025, ỦY BAN NHÂN DÂN XÃ TÂN LẬP" in shown, shown


def test_a_record_with_no_copy_block_is_written_without_the_field(tmp_path: Path) -> None:
    """QA87: a sohoa from before 2026-12-03 refuses a field it does not know, and reported every record a newer one
    wrote ("copy_block": null) as changed or damaged. The field is written only when it says something."""
    from datetime import date

    from sohoa.record import CopyBlock, Record

    record, _ = make_record(tmp_path / "r", "no-copy")
    assert record.classification is not None
    written = json.loads(record.to_json())
    assert "copy_block" not in written["classification"]
    assert Record.model_validate_json(record.to_json()) == record
    assert "copy_block" not in json.loads(record.classification.to_json())
    record.classification.copy_block = CopyBlock(form="SAO Y", number="14/SY", issued_on=date(2025, 3, 11))
    assert json.loads(record.to_json())["classification"]["copy_block"]["number"] == "14/SY"
    assert Record.model_validate_json(record.to_json()) == record


def test_a_page_not_shown_straightened_is_written_without_the_field(tmp_path: Path) -> None:
    """QA132: `shown_straightened` (2026-12-06) was written on every page, false too, and a sohoa of before took
    every record a newer one wrote for changed or damaged. It is written only on a page shown straightened."""
    from sohoa.record import PageOcr, Record

    record, _ = make_record(tmp_path / "r", "pages")
    assert record.ocr is not None
    record.ocr.pages = [PageOcr(number=1, ocr=True, skew=-1.2), PageOcr(number=2, ocr=True, skew=4.1)]
    assert [("shown_straightened" in page) for page in json.loads(record.to_json())["ocr"]["pages"]] == [False, False]
    record.ocr.pages[1].shown_straightened = True
    pages = json.loads(record.to_json())["ocr"]["pages"]
    assert [page.get("shown_straightened") for page in pages] == [None, True]
    assert Record.model_validate_json(record.to_json()) == record
    # nor `faint_marks` (2026-12-07), but on a blank page with faint marks
    assert not any("faint_marks" in page for page in pages)
    record.ocr.pages[0].faint_marks = True
    assert [page.get("faint_marks") for page in json.loads(record.to_json())["ocr"]["pages"]] == [True, None]


def test_review_set_corrects_the_signer(queued: tuple[Settings, str]) -> None:
    """QA93 F2: a file of two documents (the separator left out) was signed by the second's signer, and a name OCR
    lost under a seal (QA90) could not be given: `review set` had no --signer. The name and the title are corrected,
    the authority read from the title, said back, and the archive's metadata and search follow."""
    _, record_id = queued
    result = CliRunner().invoke(
        app,
        [
            "review",
            "set",
            record_id,
            "--type",
            "KH",
            "--signer",
            "Đinh Thị Hồng Nhung",
            "--signer-title",
            "KT. CHỦ TỊCH PHÓ CHỦ TỊCH",
            "--no-retrain",
        ],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    assert "  Người ký / signer: — → Đinh Thị Hồng Nhung" in result.output.splitlines(), result.output
    runner = CliRunner()
    shown = json.loads(runner.invoke(app, ["get", record_id, "--json"]).stdout)["correction"]
    assert (shown["signer_name"], shown["signer_title"], shown["signing_authority"]) == (
        "Đinh Thị Hồng Nhung",
        "KT. CHỦ TỊCH PHÓ CHỦ TỊCH",
        "KT",
    )
    assert "Đinh Thị Hồng Nhung" in shown["archive_metadata"]["SignerInfo"], shown["archive_metadata"]
    hits = json.loads(runner.invoke(app, ["search", "Đinh Thị Hồng Nhung", "--json"]).stdout)["hits"]
    assert [h["record_id"] for h in hits] == [record_id]
    nothing = runner.invoke(app, ["review", "set", record_id])
    assert nothing.exit_code == 2 and "--signer" in nothing.output
    # QA95: an empty name was kept as the signer; a title typed in lower case had no authority
    for empty in ("", "   "):
        refused = runner.invoke(app, ["review", "set", record_id, "--signer", empty, "--no-retrain"])
        assert refused.exit_code == 2 and "trống / empty" in refused.output, refused.output
    lower = _set(record_id, "--signer-title", "kt. chủ tịch phó chủ tịch")
    assert (lower["signer_title"], lower["signing_authority"]) == ("kt. chủ tịch phó chủ tịch", "KT"), lower
