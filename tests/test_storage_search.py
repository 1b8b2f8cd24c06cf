"""The search index (SQLite FTS5): Vietnamese with and without diacritics, filters, rebuild, commands."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console
from storage_helpers import make_record
from typer.testing import CliRunner

from classify.doctypes import by_code
from flows.cli import app
from storage import LocalArchive, open_archive
from storage.search import SearchIndex, fold

NOTICE_TEXT = "ỦY BAN NHÂN DÂN XÃ AN BÌNH\nSố: 07/TB-UBND\nTHÔNG BÁO\nVề lịch tiếp công dân tháng 12\nNơi nhận"
# an OCR slip: the words only match 'quyet dinh' without their diacritics
SLIP_TEXT = "BIÊN BẢN\nSố: 03/BB-UBND\nhọp bàn về quyệt đinh của thôn\nghi chép\nhết"


def _archive_three(tmp_path: Path) -> tuple[LocalArchive, list[str]]:
    archive = open_archive(tmp_path / "archive")
    assert isinstance(archive, LocalArchive)
    ids = []
    for seed, kwargs in (
        ("qd", {}),
        ("tb", {"doc_type": "TB", "number": "07/TB-UBND", "issued_on": date(2025, 3, 2), "text": NOTICE_TEXT}),
        ("bb", {"doc_type": "BB", "number": "03/BB-UBND", "issued_on": date(2024, 6, 1), "text": SLIP_TEXT}),
    ):
        record, files = make_record(tmp_path / "in", seed, **kwargs)  # type: ignore[arg-type]
        ids.append(archive.put(record, files).id)
    return archive, ids


def test_fold() -> None:
    assert fold("Quyết Định số 15/QĐ-UBND") == "quyet dinh so 15/qd-ubnd"
    assert fold("Ðiều 3") == "dieu 3"  # the eth OCR and some fonts give for Đ


def test_old_style_tones_and_eth_are_found_as_typed(tmp_path: Path) -> None:
    """Decree 30's own sample tables write "CỘNG HOÀ" where its rules write "CỘNG HÒA"; a born-digital file may
    carry the eth for Đ. A search typed either way ranks them as exact matches."""
    archive = open_archive(tmp_path / "archive")
    text = "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nQUYẾT ĐỊNH\nÐiều 3. Thuỷ lợi và hoà giải ở cơ sở"
    record, files = make_record(tmp_path / "in", "hoa", text=text)
    record_id = archive.put(record, files).id
    with SearchIndex(tmp_path / "index.sqlite") as index:
        index.add(archive.get(record_id))
        for query in ("Cộng hòa", "cộng hoà", "Điều 3", "thủy lợi", "hòa giải"):
            hits = index.search(query)
            assert [(h.record_id, h.exact) for h in hits] == [(record_id, True)], query


def test_a_snippet_quotes_old_style_tones_as_written(tmp_path: Path) -> None:
    """QA80 M2: the snippets were cut from the index's one-spelling copy, so a record written `thuỷ lợi kênh Hoà
    Bình`, signed `Lê Thị Hoà`, was quoted `thủy lợi [kênh] [Hòa] [Bình]` and `[Lê] [Thị] [Hòa]` — a civil-status
    name not as the paper writes it. Found either way, quoted as written; an index made before keeps quoting its
    one spelling until `sohoa index rebuild` (nothing breaks)."""
    archive = open_archive(tmp_path / "archive")
    text = "THÔNG BÁO\nVề việc nạo vét công trình thuỷ lợi kênh Hoà Bình"
    record, files = make_record(tmp_path / "in", "thuy-loi", text=text)
    record.classification.signer_name = "Lê Thị Hoà"
    record_id = archive.put(record, files).id
    index_path = tmp_path / "index.sqlite"
    with SearchIndex(index_path) as index:
        index.add(archive.get(record_id))
        (body,) = index.search("thủy lợi kênh")
        assert "[thuỷ] [lợi] [kênh] Hoà Bình" in str(body.snippet), body
        (signer,) = index.search("Lê Thị Hòa")
        assert signer.snippet == "[Lê] [Thị] [Hoà]", signer
    with sqlite3.connect(index_path) as db:  # re-indexed by an older sohoa (another host): a new exact row only
        row = db.execute("SELECT * FROM exact WHERE record_id = ?", (record_id,)).fetchone()
        db.execute("DELETE FROM exact WHERE record_id = ?", (record_id,))
        db.execute(f"INSERT INTO exact VALUES ({', '.join('?' * len(row))})", row[:5] + ("Lê Thị Hòa Mới",) + row[6:])
    db.close()
    with SearchIndex(index_path) as index:
        (signer,) = index.search("Lê Thị Hòa Mới")
        assert signer.snippet == "[Lê] [Thị] [Hòa] [Mới]", signer  # not the stale row as written (QA82)
    with sqlite3.connect(index_path) as db:  # as an index made before the fields were kept as written
        db.execute("DROP TABLE written")
        db.execute("PRAGMA user_version = 2")
    db.close()
    with SearchIndex(index_path) as index:
        (signer,) = index.search("Lê Thị Hòa")
        assert signer.snippet == "[Lê] [Thị] [Hòa] Mới", signer  # its one spelling, as before
        index.rebuild([archive.get(record_id)])
        (signer,) = index.search("Lê Thị Hòa")
        assert signer.snippet == "[Lê] [Thị] [Hoà]", signer


def test_search_with_and_without_diacritics(tmp_path: Path) -> None:
    archive, (qd, tb, bb) = _archive_three(tmp_path)
    with SearchIndex(tmp_path / "search.sqlite") as index:
        assert index.rebuild(archive.records()) == 3
        exact = index.search("quyết định")
        assert [h.record_id for h in exact] == [qd, bb]  # the decision first: its diacritics match as typed
        assert exact[0].exact and not exact[1].exact
        plain = index.search("quyet dinh")
        assert {h.record_id for h in plain} == {qd, bb}
        assert [h.record_id for h in index.search("TIẾP CÔNG DÂN")] == [tb]
        (typed_plain,) = index.search("tiep cong dan")
        assert typed_plain.record_id == tb
        # its snippet quotes the document as written, not the diacritic-free copy the match was found in
        assert "[tiếp] [công] [dân] tháng 12" in typed_plain.snippet, typed_plain.snippet
        assert index.search("không có từ này") == []


def test_search_filters(tmp_path: Path) -> None:
    archive, (qd, tb, bb) = _archive_three(tmp_path)
    with SearchIndex(tmp_path / "search.sqlite") as index:
        index.rebuild(archive.records())
        assert [h.record_id for h in index.search("ubnd", doc_type="TB")] == [tb]
        assert {h.record_id for h in index.search("ubnd", date_from=date(2025, 1, 1))} == {qd, tb}
        hits = index.search("ubnd", date_from=date(2025, 1, 1), date_to=date(2025, 6, 30))
        assert [h.record_id for h in hits] == [tb]
        assert [h.record_id for h in index.search("quyet", doc_type="QĐ")] == [qd]


def test_search_commands_and_rebuild(tmp_path: Path) -> None:
    """`sohoa index rebuild` from the archive alone, then `sohoa search … --json`."""
    _, (qd, tb, _) = _archive_three(tmp_path)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    (tmp_path / "search.sqlite").unlink(missing_ok=True)
    rebuilt = runner.invoke(app, ["index", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "3 record" in rebuilt.stdout
    found = runner.invoke(app, ["search", "quyet dinh", "--type", "QĐ", "--json"], env=env)
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)["hits"]
    assert [(h["record_id"], h["number"]) for h in hits] == [(qd, "15/QĐ-UBND")]
    dated = runner.invoke(app, ["search", "ubnd", "--from", "2025-03-01", "--to", "2025-03-31", "--json"], env=env)
    assert [h["record_id"] for h in json.loads(dated.stdout)["hits"]] == [tb]
    # day first, as officers write it (QA: `--from 03/05/2025` was exit 2, "Invalid isoformat string")
    day_first = runner.invoke(app, ["search", "ubnd", "--from", "2/3/2025", "--to", "31/03/2025", "--json"], env=env)
    assert day_first.exit_code == 0, day_first.output
    assert [h["record_id"] for h in json.loads(day_first.stdout)["hits"]] == [tb]
    for bad_day in ("mai", "", "32"):
        bad = runner.invoke(app, ["search", "x", "--from", bad_day], env=env)
        said = " ".join(bad.output.split())
        assert bad.exit_code == 2 and "ngày không hợp lệ" in said and "DD/MM/YYYY" in said, bad.output
        assert "isoformat" not in said and "Traceback" not in said


def test_pipeline_archive_step_indexes(tmp_path: Path) -> None:
    """flows.pipeline.run_archive archives through open_archive and adds the record to the index."""
    from flows.pipeline import run_archive
    from sohoa.settings import Settings

    settings = Settings(data_dir=tmp_path)  # type: ignore[call-arg]
    record, files = make_record(tmp_path / "in", "pipeline")
    archived = run_archive(record, files, settings)
    assert (tmp_path / "archive" / str(archived.archive_prefix) / "document.pdf").exists()
    with SearchIndex(tmp_path / "search.sqlite") as index:
        assert [h.record_id for h in index.search("quyet dinh")] == [record.id]


def test_search_type_is_any_case_and_must_exist(tmp_path: Path) -> None:
    """`--type tb` found nothing where `--type TB` found the notice; `--type XX` found nothing and said nothing, exit
    0: now a type code is taken in any case, and one that does not exist is a usage error listing the codes."""
    _, (_, tb, _) = _archive_three(tmp_path)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(app, ["index", "rebuild"], env=env).exit_code == 0
    for spelling in ("TB", "tb", "Tb"):
        found = runner.invoke(app, ["search", "ubnd", "--type", spelling, "--json"], env=env)
        assert found.exit_code == 0, found.output
        assert [h["record_id"] for h in json.loads(found.stdout)["hits"]] == [tb], spelling
    for spelling in ("qđ", "qd"):  # typed without its Đ too (QA: `qd` was refused)
        decided = runner.invoke(app, ["search", "quyet dinh", "--type", spelling, "--json"], env=env)
        assert len(json.loads(decided.stdout)["hits"]) == 1, spelling
    # found nothing and said nothing, exit 0 (QA): a range that ends before it starts, a query with no word
    backwards = runner.invoke(app, ["search", "ubnd", "--from", "2025-12-01", "--to", "2025-01-01"], env=env)
    assert backwards.exit_code == 2 and "an empty range" in " ".join(backwards.output.split())
    for empty in ("", "  ", "…"):
        nothing = runner.invoke(app, ["search", empty, "--json"], env=env)
        assert nothing.exit_code == 2 and "no word to search for" in json.loads(nothing.stdout)["error"], empty
    unknown = runner.invoke(app, ["search", "ubnd", "--type", "XX"], env=env)
    assert unknown.exit_code == 2
    assert "'XX'" in unknown.output and "QĐ" in unknown.output and "HT-TLKT" in unknown.output


def test_search_refuses_when_there_is_no_index(tmp_path: Path) -> None:
    """QA: `sohoa search` with a mistyped SOHOA_DATA_DIR made the folder, an empty search.sqlite in it, and said
    "0 results", exit 0 — the trap a mistyped --archive was for the archive commands. No index and no archive there:
    exit 2 naming both, nothing made; an archive there without its index: exit 2, build it with `index rebuild`."""
    runner = CliRunner()
    typo = tmp_path / "vra"
    for command in (["search", "quyet dinh"], ["search", "quyet dinh", "--json"]):
        result = runner.invoke(app, command, env={"SOHOA_DATA_DIR": str(typo)})
        squeezed = "".join(result.output.split())  # rich breaks a long path anywhere
        assert result.exit_code == 2, result.output
        said = f"no search index at {typo / 'search.sqlite'}, and no archive at {typo}"
        assert "".join(said.split()) in squeezed and "checkSOHOA_DATA_DIR" in squeezed, result.output
        # the instructions in Vietnamese too (QA: they were in English only)
        viet = f"không có chỉ mục tìm kiếm tại {typo / 'search.sqlite'}, cũng không có kho lưu trữ tại {typo}"
        assert "".join(viet.split()) in squeezed and "hãykiểmtraSOHOA_DATA_DIR" in squeezed, result.output
    assert not typo.exists()
    _archive_three(tmp_path)  # no index made: the archive alone
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    unbuilt = runner.invoke(app, ["search", "quyet dinh"], env=env)
    said = " ".join(unbuilt.output.split())
    assert unbuilt.exit_code == 2 and "sohoa index rebuild" in said, unbuilt.output
    assert "hãy tạo nó từ kho lưu trữ tại" in said and "bằng `sohoa index rebuild` / no search index" in said, said
    assert not (tmp_path / "search.sqlite").exists()
    assert runner.invoke(app, ["index", "rebuild"], env=env).exit_code == 0
    found = runner.invoke(app, ["search", "quyet dinh", "--json"], env=env)
    assert found.exit_code == 0 and len(json.loads(found.stdout)["hits"]) == 2, found.output


# The QA archive's records, as `sohoa process` left them (numbers, days, signers, the file names the scans had)
QD7_TEXT = (
    "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nXÃ TÂN HÒA Độc lập - Tự do - Hạnh phúc\n"
    "Số: 07/QĐ-UBND Tân Hòa, ngày 03 tháng 5 năm 2025\nQUYẾT ĐỊNH\nVề việc thành lập Tổ số hóa hồ sơ hộ tịch\n"
    "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ TÂN HÒA\n"
    "Điều 1. Thành lập Tổ số hóa gồm ông Đinh Văn Hùng, bà Nguyễn Thị Định và ông Lê Quyết.\n"
    "Ủy ban nhân dân xã đã triển khai số hóa hồ sơ; còn 15 hồ sơ đang giải quyết.\nTrịnh Quốc Định"
)
KH15_TEXT = (
    "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nXÃ ĐÔNG HƯNG Độc lập - Tự do - Hạnh phúc\n"
    "Số: 15/KH-UBND Đông Hưng, ngày 03 tháng 5 năm 2025\nKẾ HOẠCH\nSố hóa sổ hộ tịch giai đoạn 2025 - 2026\n"
    "Căn cứ Quyết định số 15/QĐ-UBND ngày 19 tháng 11 năm 2025 của Ủy ban nhân dân xã Hợp Tiến; ông Đinh Văn Hùng"
    " được giao chủ trì.\nTrịnh Quốc Định"
)
TB12_TEXT = (
    "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nXÃ TÂN HÒA Độc lập - Tự do - Hạnh phúc\n"
    "Số: 12/TB-UBND Tân Hòa, ngày 07 tháng 02 năm 2025\nTHÔNG BÁO\n"
    "Kết luận của Chủ tịch Ủy ban nhân dân xã tại buổi tiếp công dân định kỳ\n"
    "Ủy ban nhân dân xã đã triển khai Kế hoạch số hóa ban hành ngày 3/5/2025.\n"
    + "Trong kỳ, bộ phận một cửa tiếp nhận 1.245 hồ sơ, đã giải quyết đúng hạn 1.230 hồ sơ, đạt tỷ lệ 98,8%. " * 12
    + "\nĐinh Thị Hòa"
)
TTR7_TEXT = (
    "ỦY BAN NHÂN DÂN PHƯỜNG PHAN RANG - THÁP CHÀM\nĐộc lập - Tự do - Hạnh phúc\n"
    "Số: 07 /TTr-UBND Phan Rang - Tháp Chàm, ngày 3 tháng 5 năm 2024\n"
    "TỜ TRÌNH\nVề việc đề nghị phê duyệt kinh phí số hóa tài liệu lưu trữ\n"
    + "Giao ông Trịnh Quốc Định, công chức văn phòng, tiếp nhận hồ sơ; ông Trịnh Quốc Định báo cáo. " * 3
    + "\nNguyễn Thị Ngọc Ánh"
)


def _office(tmp_path: Path) -> dict[str, str]:
    """The QA archive's kind of records, archived, and the index `sohoa index rebuild` makes from them."""
    archive = open_archive(tmp_path / "archive")
    ids: dict[str, str] = {}
    for name, seed, kwargs, signer in (
        ("qd7", "van-ban-so-7", {"number": "07/QĐ-UBND", "issued_on": date(2025, 5, 3), "text": QD7_TEXT}, None),
        ("qd15", "qd-15-ubnd", {}, "Trịnh Quốc Định"),
        (
            "kh",
            "kh",
            {"doc_type": "KH", "number": "15/KH-UBND", "issued_on": date(2025, 5, 3), "text": KH15_TEXT},
            "Trịnh Quốc Định",
        ),
        (
            "tb",
            "tb",
            {"doc_type": "TB", "number": "12/TB-UBND", "issued_on": date(2025, 2, 7), "text": TB12_TEXT},
            "Đinh Thị Hoà",
        ),  # as the classifier read it: old-style tone placement
        (
            "ttr",
            "ttr",
            {"doc_type": "TTr", "number": "07/TTr-UBND", "issued_on": date(2024, 5, 3), "text": TTR7_TEXT},
            "Nguyễn Thị Ngọc Ánh",
        ),
    ):
        record, files = make_record(tmp_path / "in", seed, **kwargs)  # type: ignore[arg-type]
        assert record.classification is not None
        record.classification.signer_name = signer
        # the type's name, as the classifier gives it (Quyết định (cá biệt), Kế hoạch …)
        record.classification.doc_type_name = by_code()[record.classification.doc_type].name_vi
        ids[name] = archive.put(record, files).id
    result = CliRunner().invoke(app, ["index", "rebuild"], env={"SOHOA_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    return ids


def _found(tmp_path: Path, query: str, *options: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["search", query, *options, "--json"], env={"SOHOA_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    hits: list[dict[str, object]] = json.loads(result.stdout)["hits"]
    return hits


def test_a_number_typed_in_full_is_the_records_number_then_a_phrase(tmp_path: Path) -> None:
    """QA: `15/QĐ-UBND` ranked 07/QĐ-UBND first (a 15 somewhere, QĐ-UBND elsewhere); `7/QĐ-UBND` found 07/QĐ-UBND
    only through its file name; `15/QD-UBND` was "exact" because the file was named qd-15-ubnd. A number typed in
    full (Đ or D, any case, 7 or 07) finds the record of that number first, then the texts citing it, never its
    parts apart."""
    ids = _office(tmp_path)
    for query, exact in (("15/QĐ-UBND", True), ("15/qđ-ubnd", True), ("Số: 15/QĐ-UBND", True), ("15/QD-UBND", False)):
        hits = _found(tmp_path, query)
        assert [h["record_id"] for h in hits] == [ids["qd15"], ids["kh"]], query
        assert [h["match"] for h in hits] == ["number", "phrase"], query
        assert hits[0]["exact"] is exact, query  # as typed with its Đ, or only without it
        assert "[15]/[QĐ]-[UBND]" in str(hits[1]["snippet"]), hits[1]
    for query, exact in (("7/QĐ-UBND", True), ("07/QĐ-UBND", True), ("7/qd-ubnd", False), ("007/QĐ-UBND", True)):
        hits = _found(tmp_path, query)
        assert [h["record_id"] for h in hits] == [ids["qd7"]], query
        assert (hits[0]["match"], hits[0]["exact"]) == ("number", exact), query
        assert "Số: [07]/[QĐ]-[UBND]" in str(hits[0]["snippet"]), hits[0]
    # the 07 of another symbol is another number
    assert [h["record_id"] for h in _found(tmp_path, "7/TTr-UBND")] == [ids["ttr"]]
    table = CliRunner().invoke(app, ["search", "7/QD-UBND"], env={"SOHOA_DATA_DIR": str(tmp_path)})
    said = " ".join(table.output.split())
    assert "số văn bản, không dấu / number, no diacritics" in said, table.output


def test_names_typed_in_full_rank_as_a_phrase_and_fields_above_the_text(tmp_path: Path) -> None:
    """QA: `Đinh Thị Hoà` ranked a QĐ with Đinh, Thị and Hòa scattered above the TB Đinh Thị Hoà signed. Words typed
    together rank above the same words apart (Hoà and Hòa alike); a name in the signer field above one in the text
    only; double quotes make a phrase of their words (they were dropped)."""
    ids = _office(tmp_path)
    for query in ("Đinh Thị Hoà", "Đinh Thị Hòa", "dinh thi hoa"):
        hits = _found(tmp_path, query)
        assert hits[0]["record_id"] == ids["tb"], (query, hits)
        assert ids["qd7"] in [h["record_id"] for h in hits[1:]], (query, hits)
        assert hits[0]["match"] == "phrase" and hits[1]["match"] == "words", (query, hits)
        assert "[Đinh] [Thị] [Hòa]" in str(hits[0]["snippet"]), hits[0]  # as the text writes it
    # signed by him (kh, qd15) above a text naming him three times (ttr); QĐ 07 is signed by him in its text only
    named = [h["record_id"] for h in _found(tmp_path, "Trịnh Quốc Định")]
    assert set(named[:2]) == {ids["kh"], ids["qd15"]} and named.index(ids["ttr"]) > 1, named
    # quoted: the words together, or not at all; unquoted, each anywhere
    assert [h["record_id"] for h in _found(tmp_path, '"tiếp công dân" ủy ban')] == [ids["tb"]]
    assert ids["ttr"] in {h["record_id"] for h in _found(tmp_path, "tiếp công dân ủy ban")}
    assert _found(tmp_path, '"công dân tiếp"') == []


def test_a_day_typed_as_officers_write_it_finds_what_was_issued_that_day(tmp_path: Path) -> None:
    """QA: `ngày 3 tháng 5 năm 2025` found nothing (`ngày 03 …` found two), and so did `03/05/2025` and `3/5/2025`
    though both were issued 2025-05-03. A day in any of its forms finds the records issued that day, then the texts
    that write it (in any form, leading zeros or not); not the same day of another year."""
    ids = _office(tmp_path)
    for query in (
        "ngày 3 tháng 5 năm 2025",
        "ngày 03 tháng 05 năm 2025",
        "ngay 3 thang 5 nam 2025",
        "03/05/2025",
        "3/5/2025",
        "2025-05-03",
        "3-5-2025",
    ):
        hits = _found(tmp_path, query)
        assert [h["record_id"] for h in hits] == [ids["kh"], ids["qd7"], ids["tb"]], query
        assert [(h["record_id"], h["match"]) for h in hits] == [
            (ids["kh"], "date"),
            (ids["qd7"], "date"),
            (ids["tb"], "phrase"),
        ], query
        assert "ngày [03] [tháng] [5] [năm] [2025]" in str(hits[0]["snippet"]), hits[0]
        assert "ngày [3]/[5]/[2025]" in str(hits[2]["snippet"]), hits[2]
    assert [h["record_id"] for h in _found(tmp_path, "3/5/2024")] == [ids["ttr"]]
    ranged = _found(tmp_path, "ubnd", "--from", "03/05/2025", "--to", "3/5/2025")
    assert {h["record_id"] for h in ranged} == {ids["kh"], ids["qd7"]}


def test_a_query_in_nfd_marks_its_words_in_the_snippet(tmp_path: Path) -> None:
    """QA: a query typed in decomposed Unicode (NFD, as some keyboards and macOS give it) found the notice but its
    snippet marked "[tiếp] … [đã]": the snippet split the raw query's words at their combining marks."""
    ids = _office(tmp_path)
    query = unicodedata.normalize("NFD", "tiep công dân")
    (hit,) = [h for h in _found(tmp_path, query) if h["record_id"] == ids["tb"]]
    assert "[tiếp] [công] [dân] định kỳ" in str(hit["snippet"]) and "[đã]" not in str(hit["snippet"]), hit


def test_a_match_in_the_file_name_shows_the_file_name(tmp_path: Path) -> None:
    """QA: a hit found only in its file name showed the start of its text, nothing marked. It shows the file name,
    the match marked; and `sohoa list` writes a newline in a file name as \\n (it split the row in two)."""
    ids = _office(tmp_path)
    (hit,) = _found(tmp_path, "van-ban-so-7")
    assert hit["record_id"] == ids["qd7"] and hit["snippet"] == "[van]-[ban]-[so]-[7].png", hit
    assert hit["found_in"] == "source", hit
    table = CliRunner().invoke(app, ["search", "van-ban-so-7"], env={"SOHOA_DATA_DIR": str(tmp_path)})
    assert "[van]-[ban]-[so]-[7].png" in table.output and "file name" in table.output, table.output
    archive = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "a\nb")
    archive.put(record, files)
    listed = CliRunner().invoke(app, ["list"], env={"SOHOA_DATA_DIR": str(tmp_path)})
    assert listed.exit_code == 0 and "a\\nb.png" in listed.output, listed.output
    assert not any(line.lstrip("│ ").startswith("b.png") for line in listed.output.splitlines()), listed.output


def test_an_index_from_before_number_keys_is_migrated_when_opened(tmp_path: Path) -> None:
    """An index made before the number field was keyed (schema 0, no records.number_key) is brought up to date in
    place when opened (the archive is not needed): a number typed in full finds its record there too."""
    ids = _office(tmp_path)
    index_path = tmp_path / "search.sqlite"
    with sqlite3.connect(index_path) as db:  # as an older sohoa left it
        db.execute("DROP INDEX IF EXISTS records_number_key")
        db.execute("ALTER TABLE records DROP COLUMN number_key")
        db.execute("ALTER TABLE records DROP COLUMN source_label")
        db.execute("PRAGMA user_version = 0")
    db.close()
    hits = _found(tmp_path, "7/QĐ-UBND")
    assert [(h["record_id"], h["match"], h["source"]) for h in hits] == [(ids["qd7"], "number", None)]
    with sqlite3.connect(index_path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        assert db.execute("SELECT number_key FROM records WHERE record_id = ?", (ids["qd7"],)).fetchone() == (
            "7/qd-ubnd",
        )
    db.close()


def test_a_hit_names_the_scan_it_came_from_and_a_stacks_document_by_its_pages(tmp_path: Path) -> None:
    """QA: `sohoa search` showed neither the source nor the stack: a document split from a scanned stack could be
    told from the stack's other documents only by `sohoa get` on each id."""
    from sohoa.record import StackOrigin

    archive = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "tb", doc_type="TB", number="12/TB-UBND", text=TB12_TEXT)
    record.source.stack = StackOrigin(path="/srv/inbox/tập hồ sơ.pdf", sha256="0" * 64, part=2, pages=[3, 4])
    stacked = archive.put(record, files).id
    single = _office(tmp_path)["qd7"]  # indexes both
    hits = {h["record_id"]: h["source"] for h in _found(tmp_path, "UBND")}
    assert hits[stacked] == "tập hồ sơ.pdf — văn bản 2 / document 2, tr. / p. 3–4", hits
    assert hits[single] == "van-ban-so-7.png", hits
    shown = CliRunner().invoke(app, ["search", "12/TB-UBND"], env={"SOHOA_DATA_DIR": str(tmp_path), "COLUMNS": "300"})
    assert shown.exit_code == 0 and "tập hồ sơ.pdf — văn bản 2 / document 2, tr. / p. 3–4" in shown.output, shown.output


def test_a_citation_finds_the_record_it_cites_by_its_number_and_day(tmp_path: Path) -> None:
    """QA: `Thông báo số 12/TB-UBND ngày 07/02/2025` — a citation as a text writes one — found nothing, and `Quyết
    định số 15/QĐ-UBND ngày 19/11/2025` not the decision itself: a number or day was compared with the record's own
    only when it was the whole query. Found inside other words, they are: the record of that number and day first,
    that number's of another day next, the words around them ("Thông báo", "số", "ngày") not required; then the
    texts citing it, the day in any of its forms."""
    ids = _office(tmp_path)
    archive = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "qd-15-2024", issued_on=date(2024, 1, 10))  # 15/QĐ-UBND again
    earlier = archive.put(record, files).id
    assert CliRunner().invoke(app, ["index", "rebuild"], env={"SOHOA_DATA_DIR": str(tmp_path)}).exit_code == 0
    for query in (
        "Quyết định số 15/QĐ-UBND ngày 19/11/2025",
        "15/QĐ-UBND ngày 19 tháng 11 năm 2025",
        "15/qd-ubnd 19/11/2025",
        "căn cứ 15/QĐ-UBND, ngày 19-11-2025",
    ):
        hits = _found(tmp_path, query)
        found = [(h["record_id"], h["match"]) for h in hits]
        assert found[:2] == [(ids["qd15"], "number_date"), (earlier, "number")], (query, hits)
        assert ids["kh"] in [h["record_id"] for h in hits[2:]], (query, hits)  # the plan that cites it
    (cited,) = [h for h in _found(tmp_path, "Quyết định số 15/QĐ-UBND ngày 19/11/2025") if h["record_id"] == ids["kh"]]
    assert cited["match"] == "phrase", cited
    assert "[Quyết] [định] [số] [15]/[QĐ]-[UBND] [ngày] [19] [tháng] [11]" in str(cited["snippet"]), cited
    for query in ("Thông báo số 12/TB-UBND ngày 07/02/2025", "Thông báo số 12/TB-UBND ngày 7/2/2025"):
        hits = _found(tmp_path, query)
        assert [(h["record_id"], h["match"], h["exact"]) for h in hits[:1]] == [(ids["tb"], "number_date", True)]
        assert "[12]/[TB]-[UBND]" in str(hits[0]["snippet"]), hits[0]
    # a day in other words: that day's records with the words first (in their fields: the type's name), then
    # those that only write it, then the day's other records
    (notice, *_) = _found(tmp_path, "Thông báo ngày 07/02/2025")
    assert (notice["record_id"], notice["match"]) == (ids["tb"], "date"), notice
    plan = [(h["record_id"], h["match"]) for h in _found(tmp_path, "kế hoạch ngày 3/5/2025")]
    assert plan[0] == (ids["kh"], "date") and (ids["qd7"], "date") in plan[1:], plan


def test_so_15_asks_for_the_records_numbered_15_those_of_the_type_named_first(tmp_path: Path) -> None:
    """QA: `số 15` ranked a decision that only cites 15/QĐ-UBND (its own number 150/QĐ-UBND) above 15/QĐ-UBND, and so
    did `quyết định số 15`. "Số 15" is how officers ask for document number 15: the records numbered 15 before their
    "/" (leading zeros or not) come first — those of the type named first —, then the texts that write "số 15"."""
    ids = _office(tmp_path)
    archive = open_archive(tmp_path / "archive")
    text = "ỦY BAN NHÂN DÂN XÃ HỢP TIẾN\nSố: 150/QĐ-UBND\nQUYẾT ĐỊNH\nCăn cứ Quyết định số 15/QĐ-UBND; số 15 hồ sơ"
    record, files = make_record(tmp_path / "in", "qd-150", number="150/QĐ-UBND", text=text)
    cites = archive.put(record, files).id
    assert CliRunner().invoke(app, ["index", "rebuild"], env={"SOHOA_DATA_DIR": str(tmp_path)}).exit_code == 0
    for query in ("số 15", "Số: 15", "so 15", "số 015"):
        hits = _found(tmp_path, query)
        assert [(h["record_id"], h["match"]) for h in hits[:2]] == [(ids["qd15"], "number"), (ids["kh"], "number")]
        assert [h["record_id"] for h in hits[2:]] == [cites], (query, hits)
        assert "[Số]: [15]/QĐ-UBND" in str(hits[0]["snippet"]), hits[0]
    for query, first in (("quyết định số 15", "qd15"), ("kế hoạch số 15", "kh"), ("ke hoach so 15", "kh")):
        hits = _found(tmp_path, query)
        assert [h["record_id"] for h in hits[:2]] == [ids[first], ids["kh" if first == "qd15" else "qd15"]], query
    decided = _found(tmp_path, "quyết định số 15")  # then the decision citing it, "quyết định số 15" together
    assert (decided[2]["record_id"], decided[2]["match"]) == (cites, "phrase"), decided
    assert [h["record_id"] for h in _found(tmp_path, "số 7")[:2]] == [ids["qd7"], ids["ttr"]]  # 07/…: no zero
    # a number typed in full is still the number typed ("số 15/QĐ-UBND" is not every 15)
    full = _found(tmp_path, "số 15/QĐ-UBND")
    assert [h["match"] for h in full] == ["number", "phrase", "phrase"] and full[0]["record_id"] == ids["qd15"], full


def test_search_says_how_many_it_found_and_takes_a_limit(tmp_path: Path) -> None:
    """QA: a search showed its first 50 hits and never said there were more: no --limit, no total. `--limit N` shows
    the N best; the table says "hiển thị 2 trên 5 … / 2 of 5 results shown" and how to see them all, --json gives
    `total`."""
    _office(tmp_path)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    every = _found(tmp_path, "ubnd")
    assert len(every) == 5
    limited = runner.invoke(app, ["search", "ubnd", "--limit", "2", "--json"], env=env)
    assert limited.exit_code == 0, limited.output
    said = json.loads(limited.stdout)
    assert said["total"] == 5 and [h["record_id"] for h in said["hits"]] == [h["record_id"] for h in every[:2]]
    assert json.loads(runner.invoke(app, ["search", "ubnd", "--json"], env=env).stdout)["total"] == 5
    table = " ".join(runner.invoke(app, ["search", "ubnd", "--limit", "2"], env=env).output.split())
    assert "hiển thị 2 trên 5 kết quả / 2 of 5 results shown" in table and "--limit 5" in table, table
    whole = " ".join(runner.invoke(app, ["search", "ubnd", "--limit", "5"], env=env).output.split())
    assert "5 kết quả / results" in whole and "shown" not in whole, whole
    none = runner.invoke(app, ["search", "ubnd", "--limit", "0"], env=env)
    assert none.exit_code == 2 and "--limit" in none.output, none.output
    with SearchIndex(tmp_path / "search.sqlite") as index:  # counted without ranking: the same records
        assert index.count("ubnd") == 5 and index.count("15/QĐ-UBND") == 2 and index.count("không có") == 0


def test_list_takes_a_type_as_search_does(tmp_path: Path) -> None:
    """QA77: `sohoa list --type QD` was "No such option": only search filtered by type."""
    ids = _office(tmp_path)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    listed = CliRunner().invoke(app, ["list", "--type", "qd", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert {r["id"] for r in json.loads(listed.stdout)["records"]} == {ids["qd7"], ids["qd15"]}
    assert {r["doc_type"] for r in json.loads(listed.stdout)["records"]} == {"QĐ"}
    wrong = CliRunner().invoke(app, ["list", "--type", "QX"], env=env)
    assert wrong.exit_code == 2 and "QX" in wrong.output, wrong.output


@pytest.mark.parametrize("width", [80, 100])
def test_ids_numbers_and_dates_are_never_cut_in_a_narrow_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """QA: at 100 columns `sohoa search` and `sohoa list` showed `d1e24473b4…` — the id, the one handle `sohoa get`
    takes —, at 80 the number and the date cut too (`15/QĐ-UB…`, `19/11/2…`). They are shown whole, on one line;
    the other columns wrap."""
    import flows.cli

    ids = _office(tmp_path)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    for command in (["search", "ubnd"], ["list"]):
        screen = io.StringIO()
        monkeypatch.setattr(flows.cli, "out", Console(file=screen, width=width, color_system=None))
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
        shown = screen.getvalue()
        assert max(map(len, shown.splitlines())) <= width, shown
        for record_id in ids.values():  # in the table's cell, or (too narrow for the table) on a line of its own
            assert f"│ {record_id} │" in shown or f"\n{record_id}\n" in shown, (command, width, shown)
        for whole in ("07/QĐ-UBND", "15/KH-UBND", "07/TTr-UBND", "03/05/2025", "07/02/2025"):
            assert whole in shown, (command, width, whole, shown)


def test_the_match_column_says_how_and_where_in_each_language(tmp_path: Path) -> None:
    """QA: after `review set --date` a hit said `ban hành ngày đó / issued that day — trong / in issued_on`, after
    `--number` `số văn bản / number — trong / in số văn bản / number`, and every label interleaved the languages word
    by word (`cụm từ / phrase — trong / in tên tệp / the file name`). Each language says it in a phrase of its own,
    and the field a record's own number or day is is not said again."""
    archive = open_archive(tmp_path / "archive")
    # corrected by an officer: a number and a day the text does not write (review set --number, --date)
    record, files = make_record(tmp_path / "in", "bien-ban-hop", number="99/QĐ-UBND", issued_on=date(2025, 12, 1))
    archive.put(record, files)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    assert CliRunner().invoke(app, ["index", "rebuild"], env=env).exit_code == 0

    def label(query: str) -> str:
        shown = CliRunner().invoke(app, ["search", query], env=env)
        assert shown.exit_code == 0, shown.output
        row = next(line for line in shown.output.splitlines() if line.startswith("│ "))
        return " ".join(row.split("│")[6].split())

    assert label("01/12/2025") == "ban hành ngày đó / issued that day"
    assert label("99/QĐ-UBND") == "số văn bản / number"
    assert label("99/QD-UBND") == "số văn bản, không dấu / number, no diacritics"
    assert label("bien-ban-hop") == "cụm từ, trong tên tệp / phrase, in the file name"
    assert label("hoa giai") == "cụm từ, không dấu / phrase, no diacritics"
    assert label("99/QĐ-UBND ngày 01/12/2025") == "số văn bản và ngày ban hành / number and day of issue"


def test_the_persons_a_record_names_are_apart_and_said_as_persons(tmp_path: Path) -> None:
    """QA: the signer and the persons of a hộ tịch record were one run of words, so `Mận Nông Văn` — the end of one
    name and the start of the next — was found as a phrase, and the deceased was said to be the signer. Each name
    stands apart (no phrase spans two), and a match in a person's name is said as one."""
    archive = open_archive(tmp_path / "archive")
    text = "TRÍCH LỤC KHAI TỬ\nSố: 31/TLKT-BS\nNgười đã chết: xem sổ\nNơi chết: tại nhà"
    record, files = make_record(tmp_path / "in", "tlkt", doc_type="HT-TLKT", number="31/TLKT-BS", text=text)
    assert record.classification is not None
    record.classification.signer_name = "Hoàng Văn Thụ"
    record.classification.persons = ["HOÀNG THỊ MẬN", "NÔNG VĂN DŨNG"]
    record_id = archive.put(record, files).id
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    assert CliRunner().invoke(app, ["index", "rebuild"], env=env).exit_code == 0
    (spanning,) = _found(tmp_path, "Mận Nông Văn")
    assert spanning["match"] == "words", spanning  # found, each word in a name, but no phrase
    assert _found(tmp_path, '"Mận Nông Văn"') == [] and _found(tmp_path, '"Văn Thụ Hoàng"') == []
    (person,) = _found(tmp_path, "Hoàng Thị Mận")
    assert (person["record_id"], person["match"], person["found_in"]) == (record_id, "phrase", "persons"), person
    assert person["snippet"] == "[HOÀNG] [THỊ] [MẬN]", person
    (signer,) = _found(tmp_path, "hoang van thu")
    assert (signer["found_in"], signer["snippet"]) == ("signer", "[Hoàng] [Văn] [Thụ]"), signer
    (both,) = _found(tmp_path, "Hoàng")
    assert (both["found_in"], both["snippet"]) == ("signer", "[Hoàng] Văn Thụ; [HOÀNG] THỊ MẬN"), both
    # QA93: a scan's OCR'd text holds the names too, and every match in a name was said as found in the text
    scanned, scanned_files = make_record(
        tmp_path / "in2",
        "tlkt2",
        doc_type="HT-TLKT",
        number="32/TLKT-BS",
        text=f"{text}\nHọ, chữ đệm, tên: LÒ THỊ XUÂN",
    )
    assert scanned.classification is not None
    scanned.classification.persons = ["LÒ THỊ XUÂN"]
    archive.put(scanned, scanned_files)
    assert CliRunner().invoke(app, ["index", "rebuild"], env=env).exit_code == 0
    (in_text_too,) = _found(tmp_path, "Lò Thị Xuân")
    assert (in_text_too["found_in"], in_text_too["snippet"]) == ("persons", "[LÒ] [THỊ] [XUÂN]"), in_text_too
    shown = " ".join(CliRunner().invoke(app, ["search", "Nông Văn Dũng"], env=env).output.split())
    assert "cụm từ, trong tên người được ghi / phrase, in a person's name" in shown, shown


def test_days_months_and_years_as_officers_write_them(tmp_path: Path) -> None:
    """QA: `19/11/2025.` (a sentence's full stop after it) was no day, `19/11/25` and `2025/11/19` found nothing;
    `--from 11/2025` and `--from 2025` (a month, a year) were "not a date", and `--from 31/11/2025` was told to write
    DD/MM/YYYY, as it had. They are days, months and years; a day no calendar has is said to be none."""
    ids = _office(tmp_path)
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    for query in ("3/5/2025.", "ngày 3/5/2025.", "03/05/25", "3-5-25", "2025/05/03", "2025.5.3", "3 tháng 5 năm 2025."):
        hits = _found(tmp_path, query)
        assert [(h["record_id"], h["match"]) for h in hits[:2]] == [(ids["kh"], "date"), (ids["qd7"], "date")], query
    assert [h["record_id"] for h in _found(tmp_path, "3/5/24")] == [ids["ttr"]]
    for start, end, found in (
        ("05/2025", "5/2025", {"kh", "qd7"}),
        ("tháng 5/2025", "tháng 5 năm 2025", {"kh", "qd7"}),
        ("2025-02", "2025-02", {"tb"}),
        ("2025", "2025", {"kh", "qd7", "tb", "qd15"}),
        ("năm 2024", "2024", {"ttr"}),
        ("02/2025", "03/05/2025", {"kh", "qd7", "tb"}),
        ("1/2/25", "3/5/25", {"kh", "qd7", "tb"}),  # QA93 F7: a two-digit year, as the query reads it (3/5/24 above)
    ):
        hits = _found(tmp_path, "ubnd", "--from", start, "--to", end)
        assert {h["record_id"] for h in hits} == {ids[name] for name in found}, (start, end, hits)
    assert {h["record_id"] for h in _found(tmp_path, "ubnd", "--to", "2024")} == {ids["ttr"]}
    for bad, why in (
        ("31/11/2025", "không có ngày này, tháng 11/2025 chỉ có 30 ngày / no such day: 11/2025 has 30 days"),
        ("29/02/2025", "tháng 02/2025 chỉ có 28 ngày / no such day: 02/2025 has 28 days"),
        ("2025-13-01", "không có tháng 13 / no such day: there is no month 13"),
        ("13/2025", "không có tháng 13 / no such day: there is no month 13"),
    ):
        refused = CliRunner().invoke(app, ["search", "ubnd", "--from", bad], env=env)
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2 and why in said and "DD/MM/YYYY" not in said, said
    backwards = CliRunner().invoke(app, ["search", "ubnd", "--from", "2025", "--to", "2024"], env=env)
    assert backwards.exit_code == 2 and "--from 01/01/2025 sau / is after --to 31/12/2024" in backwards.output


def test_a_communes_abbreviations_find_the_words_they_stand_for(tmp_path: Path) -> None:
    """QA: `UBND xã Bình An` found nothing where `Ủy ban nhân dân xã Bình An` found two, and `V/v phê duyệt danh mục
    hồ sơ` nothing: UBND, HĐND and V/v are the words they stand for, and those words typed find them, as one part of
    the query (a phrase with the rest)."""
    ids = _office(tmp_path)
    archive = open_archive(tmp_path / "archive")
    text = "UBND XÃ ĐỒNG TÂM\nSố: 08/TB-UBND\nTHÔNG BÁO\nV/v bàn giao sổ hộ tịch\nTheo Nghị quyết của HĐND xã Đồng Tâm"
    record, files = make_record(tmp_path / "in", "tb-08", doc_type="TB", number="08/TB-UBND", text=text)
    notice = archive.put(record, files).id
    assert CliRunner().invoke(app, ["index", "rebuild"], env={"SOHOA_DATA_DIR": str(tmp_path)}).exit_code == 0
    for query, record_id in (
        ("Ủy ban nhân dân xã Đồng Tâm", notice),
        ("uy ban nhan dan xa dong tam", notice),
        ("về việc bàn giao sổ hộ tịch", notice),
        ("Hội đồng nhân dân xã Đồng Tâm", notice),
        ("UBND phường Phan Rang", ids["ttr"]),
        ("V/v đề nghị phê duyệt kinh phí", ids["ttr"]),
        ("v/v: đề nghị phê duyệt", ids["ttr"]),
    ):
        hits = _found(tmp_path, query)
        assert (hits[0]["record_id"], hits[0]["match"]) == (record_id, "phrase"), (query, hits)
        assert hits[0]["exact"] is (query != "uy ban nhan dan xa dong tam"), (query, hits)  # HĐND with its Đ
    (hit,) = _found(tmp_path, '"xã Đồng Tâm" ủy ban nhân dân')
    assert hit["record_id"] == notice and "[UBND] [XÃ] [ĐỒNG] [TÂM]" in str(hit["snippet"]), hit
    assert _found(tmp_path, '"ủy ban nhân dân xã Đồng Tâm"') == []  # quoted: as typed


def test_a_type_code_is_a_type_in_a_query_and_ht_every_civil_status_type(tmp_path: Path) -> None:
    """QA: `sohoa search 'HT-TLKT'` found nothing (no text writes a type code); `--type HT` was "no such type code"
    with 53 codes and no hint, where officers expect every hộ tịch code; `--type ''` was silently no filter. A type
    code typed asks for that type's records (with the other words); `--type HT` is every HT-… code; a code that
    does not exist is said with those it may have meant; an empty one is a usage error."""
    ids = _office(tmp_path)
    archive = open_archive(tmp_path / "archive")
    made = {}
    for seed, code, number, person in (
        ("khai-tu", "HT-TLKT", "31/TLKT-BS", "HOÀNG THỊ MẬN"),
        ("khai-sinh", "HT-TLKS", "12/TLKS-BS", "NÔNG VĂN DŨNG"),
    ):
        record, files = make_record(tmp_path / "in", seed, doc_type=code, number=number, text=f"TRÍCH LỤC\n{person}")
        assert record.classification is not None
        record.classification.persons = [person]
        made[code] = archive.put(record, files).id
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(app, ["index", "rebuild"], env=env).exit_code == 0
    for query in ("HT-TLKT", "ht-tlkt", "HT-TLKT."):
        (hit,) = _found(tmp_path, query)
        assert (hit["record_id"], hit["match"], hit["snippet"]) == (made["HT-TLKT"], "type", "[HT-TLKT]"), hit
    (named,) = _found(tmp_path, "HT-TLKS Nông Văn Dũng")
    assert named["record_id"] == made["HT-TLKS"] and named["snippet"] == "[NÔNG] [VĂN] [DŨNG]", named
    assert named["found_in"] == "persons", named  # its text names him too (QA93: said as found in the text)
    assert [h["record_id"] for h in _found(tmp_path, "HT-TLKT Nông Văn Dũng")] == [made["HT-TLKS"]]  # as words
    typed = [(h["record_id"], h["match"]) for h in _found(tmp_path, "TB tiếp công dân")]
    assert typed[0] == (ids["tb"], "type"), typed
    label = " ".join(runner.invoke(app, ["search", "HT-TLKT"], env=env).output.split())
    assert "loại văn bản / type of document" in label, label
    # in lower case, a code's letters are a word as before ("tb" in 12/TB-UBND)
    assert {h["match"] for h in _found(tmp_path, "tb")} == {"phrase"}
    assert {h["record_id"] for h in _found(tmp_path, "trích lục", "--type", "HT")} == set(made.values())
    assert {h["record_id"] for h in _found(tmp_path, "trích lục", "--type", "ht")} == set(made.values())
    assert [h["record_id"] for h in _found(tmp_path, "trích lục", "--type", "HT-TLKS")] == [made["HT-TLKS"]]
    empty = runner.invoke(app, ["search", "trích lục", "--type", ""], env=env)
    assert empty.exit_code == 2 and "no type code given" in " ".join(empty.output.split()), empty.output
    near = runner.invoke(app, ["search", "trích lục", "--type", "TLKT"], env=env)
    said = " ".join(near.output.split())
    assert near.exit_code == 2 and "có phải / did you mean HT-TLKT" in said and "HT: mọi loại hộ tịch" in said, said


def test_a_stacks_document_found_by_its_file_name_is_quoted_as_the_officer_knows_it(tmp_path: Path) -> None:
    """QA: a hit found in the file name of a document split from a stack quoted `ho-so-ghep-2-van-ban.pdf#2.pdf`, a
    scratch file nobody dropped: it quotes the stack as dropped, with the document's number and pages (its tags
    after it)."""
    from sohoa.record import StackOrigin

    archive = open_archive(tmp_path / "archive")
    record, files = make_record(tmp_path / "in", "tb", doc_type="TB", number="12/TB-UBND", text=TB12_TEXT)
    record.source.name = "ho-so-ghep.pdf#2.pdf"
    record.source.stack = StackOrigin(path="/srv/inbox/ho-so-ghep.pdf", sha256="0" * 64, part=2, pages=[3, 4])
    record.tags = ["luu-tru"]
    archive.put(record, files)
    assert CliRunner().invoke(app, ["index", "rebuild"], env={"SOHOA_DATA_DIR": str(tmp_path)}).exit_code == 0
    (hit,) = _found(tmp_path, "ho-so-ghep")
    assert hit["found_in"] == "source", hit
    assert hit["snippet"] == "[ho]-[so]-[ghep].pdf — văn bản 2 / document 2, tr. / p. 3–4 luu-tru", hit
    (tagged,) = _found(tmp_path, "luu-tru")
    assert tagged["snippet"] == "ho-so-ghep.pdf — văn bản 2 / document 2, tr. / p. 3–4 [luu]-[tru]", tagged


def test_a_query_starting_with_a_hyphen_is_told_to_put_two_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA: `sohoa search '-quyet'` said only "No such option: -q": a word starting with "-" is read as options. The
    error says how to give it, `sohoa search -- '-quyet'`, which finds it."""
    from flows.cli import main

    _office(tmp_path)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as ended:
        main(["search", "-quyết", "--json"])
    assert ended.value.code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert "No such option: -q" in error and "put -- before it: sohoa search -- '-quyết'" in error, error
    assert "'-quyết' bắt đầu bằng '-' nên bị đọc như tùy chọn, hãy đặt -- trước nó" in error, error
    told = CliRunner().invoke(app, ["search", "--json", "--", "-quyết"], env={"SOHOA_DATA_DIR": str(tmp_path)})
    assert told.exit_code == 0 and json.loads(told.stdout)["hits"], told.output  # as told: the words after "--"
    with pytest.raises(SystemExit):
        main(["search", "x", "--frm", "2025"])  # a mistyped option is no word: Click's own hint only
    assert "put -- before it" not in capsys.readouterr().err


def test_the_last_word_typed_may_be_only_its_start(tmp_path: Path) -> None:
    """QA: `quyế` and `Nguy` — a word not typed to its end — found nothing. Last of all, the words typed are found
    with the last one as the start of a word (`match: "prefix"`), the diacritics as typed first."""
    ids = _office(tmp_path)
    hits = _found(tmp_path, "quyế")
    assert hits and {h["match"] for h in hits} == {"prefix"}, hits
    assert ids["qd7"] in [h["record_id"] for h in hits if h["exact"]], hits
    assert any("[QUYẾT]" in str(h["snippet"]) for h in hits), hits
    (signed, *_) = _found(tmp_path, "Đinh Thị H")
    assert (signed["record_id"], signed["match"]) == (ids["tb"], "prefix") and "[Đinh] [Thị] [Hòa]" in str(
        signed["snippet"]
    )
    assert {h["record_id"] for h in _found(tmp_path, "tiep cong d")} == {ids["tb"]}
    # whole words first; a word typed with a space after it is whole; one letter alone starts too many
    assert [h["match"] for h in _found(tmp_path, "kế hoạch")][:1] == ["phrase"]
    assert "prefix" not in {h["match"] for h in _found(tmp_path, "quyết ")}
    assert _found(tmp_path, "q") == []
    label = " ".join(CliRunner().invoke(app, ["search", "Nguy"], env={"SOHOA_DATA_DIR": str(tmp_path)}).output.split())
    assert "đầu từ / start of a word" in label, label


def test_a_long_querys_spellings_are_the_same_in_every_run() -> None:
    """A day's words are tried with and without their diacritics (tháng, thang: of one length); past the most
    spellings a phrase tries, those left out were chosen by the hash seed, so one query could find a record in one
    run and not in the next."""
    import subprocess
    import sys

    code = (
        "from storage.search import _plan, _match_expr;"
        "print([_match_expr(p.groups) for p in _plan('ngày 3 tháng 5 năm 2025 tổ 1 thôn 2 xóm 4 đội 6 lô 8')])"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent.parent,
        ).stdout
        for seed in range(6)
    }
    assert len(runs) == 1, runs


def test_search_archive_reads_the_index_of_an_archive_given_by_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA95: `process --archive OTHER` indexed its records in OTHER's own index (QA94), and no search could read it:
    `search` had no --archive. It takes one, as `process`, `list` and `index rebuild` do; without it, the configured
    archive's index, which does not hold OTHER's records."""
    from sohoa.settings import load_settings
    from storage import index_archived

    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    other = tmp_path / "kho khác"
    record, files = make_record(tmp_path / "in", "other", number="77/QĐ-UBND")
    open_archive(str(other)).put(record, files)
    assert index_archived(record, load_settings(archive=str(other)))
    mine, my_files = make_record(tmp_path / "in2", "mine", number="78/QĐ-UBND")
    open_archive(str(tmp_path / "archive")).put(mine, my_files)  # the configured archive (DATA_DIR/archive)
    rebuilt = CliRunner().invoke(app, ["index", "rebuild", "--json"])
    assert rebuilt.exit_code == 0, rebuilt.output
    said = json.loads(rebuilt.stdout)  # (QA98 F10: no --json)
    assert said["indexed"] == 1 and said["not_indexed"] == [] and said["index"].endswith("search.sqlite"), said
    found = _found(tmp_path, "77/QĐ-UBND", "--archive", str(other))
    assert [hit["record_id"] for hit in found] == [record.id]
    assert _found(tmp_path, "77/QĐ-UBND") == []
    assert [hit["record_id"] for hit in _found(tmp_path, "78/QĐ-UBND")] == [mine.id]
