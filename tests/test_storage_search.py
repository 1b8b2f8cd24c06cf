"""The search index (SQLite FTS5): Vietnamese with and without diacritics, filters, rebuild, commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from storage_helpers import make_record
from typer.testing import CliRunner

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
    bad = runner.invoke(app, ["search", "x", "--from", "19/11/2025"], env=env)
    assert bad.exit_code == 2


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
        said = f"không có chỉ mục tìm kiếm / no search index at {typo / 'search.sqlite'}, and no archive at {typo}"
        assert "".join(said.split()) in squeezed and "checkSOHOA_DATA_DIR" in squeezed, result.output
    assert not typo.exists()
    _archive_three(tmp_path)  # no index made: the archive alone
    env = {"SOHOA_DATA_DIR": str(tmp_path)}
    unbuilt = runner.invoke(app, ["search", "quyet dinh"], env=env)
    assert unbuilt.exit_code == 2 and "sohoa index rebuild" in " ".join(unbuilt.output.split()), unbuilt.output
    assert not (tmp_path / "search.sqlite").exists()
    assert runner.invoke(app, ["index", "rebuild"], env=env).exit_code == 0
    found = runner.invoke(app, ["search", "quyet dinh", "--json"], env=env)
    assert found.exit_code == 0 and len(json.loads(found.stdout)["hits"]) == 2, found.output
