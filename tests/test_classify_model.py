"""The type model beside the rules, `sohoa classify train`, the review queue and `sohoa review set`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from classify import classify_text
from classify.model import load_model, model_for, shipped_model_path
from flows.cli import app
from sohoa.record import PageWords
from sohoa.settings import Settings
from storage import LocalArchive
from storage.ledger import Ledger
from tests.storage_helpers import make_record

LAYOUT_FIXTURES = Path(__file__).parent / "fixtures" / "layout"

# an invitation without its title block and with a công văn-style symbol: the rules alone cannot type it
INVITATION = """ỦY BAN NHÂN DÂN
XÃ YÊN THẾ
Số: 21/UBND-VP Yên Thế, ngày 04 tháng 6 năm 2025
Trân trọng kính mời ông (bà) đến dự hội nghị tổng kết công tác tư pháp - hộ tịch.
Thời gian: 08 giờ 00 phút ngày 10 tháng 6 năm 2025.
Địa điểm: Hội trường Ủy ban nhân dân xã.
"""


def test_shipped_model_is_small_versioned_and_loads() -> None:
    path = shipped_model_path()
    assert path.exists() and path.stat().st_size < 2_000_000
    model = load_model(path)
    assert model is not None
    assert model.bundle["format"] == 3 and model.bundle["sklearn"].startswith("1.9") and "pipeline" not in model.bundle
    assert len(model.labels) == 52


def _fitted_pipeline(types: int) -> tuple[Any, list[str]]:
    """A scikit-learn pipeline as ``train`` fits it, on synthetic documents of the first ``types`` types; and texts
    it was not fitted on (other types' documents, a blank, one word)."""
    from classify.model import _pipeline, prepare
    from classify.training import examples

    pairs = list(examples(2))
    chosen = sorted({label for _, label in pairs})[:types]
    pipeline = _pipeline()
    pipeline.fit(
        [prepare(t) for t, label in pairs if label in chosen], [label for _, label in pairs if label in chosen]
    )
    unseen = [t for t, label in pairs if label not in chosen][:40] + [INVITATION, "", "quyết   định\tsố"]
    return pipeline, unseen


@pytest.mark.parametrize("types", [2, 5])
def test_the_model_predicts_without_scikit_learn_what_scikit_learn_does(types: int) -> None:
    """Prediction is NumPy's (classify.linear), from the arrays a fitted pipeline holds: the same probabilities as
    scikit-learn's predict_proba, for two types (the logistic) and more (the softmax)."""
    import numpy as np

    from classify.linear import LinearTextModel
    from classify.model import prepare

    pipeline, texts = _fitted_pipeline(types)
    linear = LinearTextModel.from_pipeline(pipeline)
    expected = pipeline.predict_proba([prepare(t) for t in texts])
    got = np.array([linear.predict_proba(prepare(t)) for t in texts])
    assert got.shape == expected.shape == (len(texts), types)
    assert np.abs(got - expected).max() < 1e-6 and (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert list(linear.classes) == list(pipeline.classes_)


def test_a_model_is_loaded_and_used_without_importing_scikit_learn_or_joblib() -> None:
    import subprocess
    import sys

    script = (
        "import sys; from classify.model import load_model, shipped_model_path; "
        "print(load_model(shipped_model_path()).predict(sys.argv[1]).label, 'sklearn' in sys.modules, "
        "'joblib' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", script, INVITATION], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.split() == ["GM", "False", "False"], proc.stdout + proc.stderr


class _Planted:
    """Unpickled, it would write ``path``: what a pickle in a model file could do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.path), "w"))  # creates the file


def test_a_model_file_is_read_without_unpickling_anything(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Format 3 holds its arrays as .npy members read with allow_pickle=False: a file whose array is a pickle is
    refused with a warning, and nothing in it runs (format 2 files were joblib pickles, loaded as they are)."""
    import io
    import zipfile

    import numpy as np

    good = load_model(shipped_model_path())
    assert good is not None
    saved = good.save(tmp_path / "model.joblib")
    with zipfile.ZipFile(saved) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert set(members) >= {"model.json", "coef.npy", "intercept.npy"}
    ran = tmp_path / "ran"
    planted = io.BytesIO()
    np.save(planted, np.array([_Planted(ran)], dtype=object), allow_pickle=True)
    members["coef.npy"] = planted.getvalue()
    with zipfile.ZipFile(tmp_path / "planted.joblib", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert load_model(tmp_path / "planted.joblib") is None
    assert not ran.exists() and "type model not loaded" in caplog.text
    np.load(io.BytesIO(members["coef.npy"]), allow_pickle=True)  # what unpickling it does: the test's own check
    assert ran.exists()


def test_a_format_2_model_file_still_loads_and_predicts_as_before(tmp_path: Path) -> None:
    """Format 2 files (joblib pickles of the same arrays, written until 2026-12-03) load and predict as the
    format 3 file saved from them."""
    import joblib

    from classify.linear import LinearTextModel

    pipeline, texts = _fitted_pipeline(3)
    linear = LinearTextModel.from_pipeline(pipeline)
    labels = list(pipeline.classes_)
    bundle = {"format": 2, "sklearn": "1.9.1", "name": "old", "labels": labels, "linear": linear.state()}
    joblib.dump(bundle, tmp_path / "old.joblib")
    old = load_model(tmp_path / "old.joblib")
    assert old is not None and old.bundle["format"] == 2
    new = load_model(old.save(tmp_path / "new.joblib"))
    assert new is not None and new.bundle["format"] == 3 and new.labels == labels
    for text in texts:
        assert new.predict(text) == old.predict(text)


def test_a_format_1_model_file_still_loads_when_its_scikit_learn_is_the_one_running(tmp_path: Path) -> None:
    """Model files written before format 2 held the pickled pipeline: they predict as before; one from another
    scikit-learn is refused (its pickle may not load right), as it was."""
    import joblib
    import sklearn

    from classify.linear import LinearTextModel
    from classify.model import prepare

    pipeline, texts = _fitted_pipeline(3)
    labels = list(pipeline.classes_)
    bundle = {"format": 1, "sklearn": sklearn.__version__, "name": "old", "labels": labels, "pipeline": pipeline}
    joblib.dump(bundle, tmp_path / "old.joblib")
    model = load_model(tmp_path / "old.joblib")
    assert model is not None
    expected = LinearTextModel.from_pipeline(pipeline).predict_proba(prepare(texts[0]))
    assert model.predict(texts[0]).probability == pytest.approx(float(expected.max()))
    joblib.dump({**bundle, "sklearn": "1.2.2"}, tmp_path / "older.joblib")
    assert load_model(tmp_path / "older.joblib") is None
    # saved again (format 3): its arrays, no pipeline, the same prediction
    again = load_model(model.save(tmp_path / "again.joblib"))
    assert again is not None and again.bundle["format"] == 3 and "pipeline" not in again.bundle
    assert again.predict(texts[0]) == model.predict(texts[0])


def test_model_decides_only_when_the_rules_are_unsure() -> None:
    rules_only = classify_text(INVITATION, model=None)
    assert rules_only.doc_type == "unknown"
    with_model = classify_text(INVITATION)
    assert with_model.doc_type == "GM"
    assert with_model.decided_by == "model"
    assert with_model.confidence < 0.6  # a model-only answer always goes to review
    assert "model" in with_model.fields["doc_type"].evidence
    sure = classify_text("Số: 01/QĐ-UBND Tân Lập, ngày 02 tháng 01 năm 2025\nQUYẾT ĐỊNH\nVề việc thử\n")
    assert sure.decided_by == "rules"


def test_model_agreement_raises_an_unsure_rule(tmp_path: Path) -> None:
    text = "Số: 05/KH-UBND Tân Lập, ngày 02 tháng 3 năm 2025\nI. MỤC ĐÍCH, YÊU CẦU\nII. NỘI DUNG\nkế hoạch\n"
    rules_only = classify_text(text, model=None)
    with_model = classify_text(text)
    assert rules_only.doc_type == with_model.doc_type == "KH"
    assert with_model.fields["doc_type"].confidence > rules_only.fields["doc_type"].confidence
    assert with_model.decided_by == "rules+model"


def _env(tmp_path: Path) -> dict[str, str]:
    return {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": ""}


def test_classify_json_has_every_field_with_confidence_and_evidence(tmp_path: Path) -> None:
    source = tmp_path / "qd.txt"
    source.write_text(
        "ỦY BAN NHÂN DÂN\nXÃ TÂN LẬP\nSố: 07/QĐ-UBND Tân Lập, ngày 03 tháng 02 năm 2025\nQUYẾT ĐỊNH\n"
        "Về việc thử\nNơi nhận: TM. ỦY BAN NHÂN DÂN\n- Như Điều 3; CHỦ TỊCH\n- Lưu: VT.\nLò Văn Thắm\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["classify", str(source), "--json"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert (payload["doc_type"], payload["number"], payload["issued_on"]) == ("QĐ", "07/QĐ-UBND", "2025-02-03")
    for key in ("doc_type_name", "symbol", "place", "issuer", "subject", "signer_name", "signer_title", "recipients"):
        assert payload[key], key
        assert payload["fields"][key]["evidence"] and payload["fields"][key]["confidence"] > 0, key
    assert payload["archive_metadata"]["CodeNotation"] == "QĐ-UBND"


def test_classify_train_from_labelled_folders(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled"
    for code, lines in {"GM": ("Trân trọng kính mời", "đến dự"), "TB": ("thông báo lịch", "biết và thực hiện")}.items():
        (labelled / code).mkdir(parents=True)
        for i in range(3):
            (labelled / code / f"{i}.txt").write_text(
                f"Số: {i}/UBND-VP\n{lines[0]} {i}\n{lines[1]}\n", encoding="utf-8"
            )
    out = tmp_path / "model.joblib"
    result = CliRunner().invoke(
        app, ["classify", "train", str(labelled), "--output", str(out), "--base", "0", "--json"], env=_env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["types"] == ["GM", "TB"] and summary["examples"] == 6
    model = load_model(out)
    assert model is not None
    assert model.predict("Số: 9/UBND-VP\nTrân trọng kính mời đến dự").label == "GM"


@pytest.fixture
def review_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, str]:
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    settings = Settings(data_dir=tmp_path / "var")
    archive = LocalArchive(settings.archive_dir)
    record, files = make_record(tmp_path / "files", "invitation", doc_type="GM", number="21/UBND-VP", text=INVITATION)
    record.classification = classify_text(INVITATION)
    record.needs_review = True
    record.review_reasons.append("classification confidence 0.55 < 0.6")
    sure, sure_files = make_record(tmp_path / "files", "decision")
    archive.put(record, files)
    archive.put(sure, sure_files)
    return settings, record.id


def test_review_list_and_set_change_the_next_prediction(review_setup: tuple[Settings, str]) -> None:
    settings, record_id = review_setup
    runner = CliRunner()
    listed = runner.invoke(app, ["review", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["id"] for r in json.loads(listed.output)["records"]] == [record_id]

    assert classify_text(INVITATION, model=model_for(settings)).doc_type == "GM"
    # the officer says it is a notice (TB), not an invitation
    # typed in lower case, as `search --type` takes it (review set used to refuse `tb` as no type code)
    fixed = runner.invoke(app, ["review", "set", record_id, "--type", "tb", "--number", "21/TB-UBND", "--json"])
    assert fixed.exit_code == 0, fixed.output
    payload = json.loads(fixed.stdout)
    assert (payload["doc_type"], payload["number"], payload["decided_by"]) == ("TB", "21/TB-UBND", "correction")
    # the ~10 s of retraining said before it starts, on stderr (QA77: nothing was said)
    assert "retraining the office's classification model with this correction" in " ".join(fixed.stderr.split())

    example = settings.data_dir / "training" / "TB" / f"{record_id}.txt"
    assert example.read_text(encoding="utf-8") == INVITATION  # kept as a training example
    entries = Ledger(LocalArchive(settings.archive_dir)).excerpt(record_id)
    assert entries[-1]["action"] == "corrected" and "type TB" in entries[-1]["detail"]  # and as a ledger event
    assert json.loads(runner.invoke(app, ["review", "list", "--json"]).output)["count"] == 0

    after = classify_text(INVITATION, model=model_for(settings))  # the office model, retrained
    assert after.doc_type == "TB"
    assert after.decided_by == "correction"

    # list, get and search show the office's correction (the sidecar keeps what sohoa read), even after a rebuild
    rows = {r["id"]: r for r in json.loads(runner.invoke(app, ["list", "--json"]).output)["records"]}
    assert (rows[record_id]["doc_type"], rows[record_id]["number"], rows[record_id]["corrected"]) == (
        "TB",
        "21/TB-UBND",
        True,
    )
    shown = json.loads(runner.invoke(app, ["get", record_id, "--json"]).output)
    assert shown["record"]["classification"]["doc_type"] == "GM" and shown["correction"]["doc_type"] == "TB"
    for _ in range(2):
        hits = json.loads(runner.invoke(app, ["search", "21/TB-UBND", "--type", "TB", "--json"]).output)
        assert [h["record_id"] for h in hits["hits"]] == [record_id], hits
        assert runner.invoke(app, ["index", "rebuild"]).exit_code == 0


def test_review_set_rejects_unknown_type_and_record(review_setup: tuple[Settings, str]) -> None:
    _, record_id = review_setup
    runner = CliRunner()
    assert runner.invoke(app, ["review", "set", record_id, "--type", "XYZ", "--no-retrain"]).exit_code == 2
    assert runner.invoke(app, ["review", "set", "0123456789abcdef", "--type", "TB"]).exit_code == 1


def test_a_rerun_reports_an_archived_record_as_the_officer_corrected_it(review_setup: tuple[Settings, str]) -> None:
    # found by QA: a rerun of `process` answered already_archived with the type sohoa had read (and still "needs
    # review"), while `list` and `get` showed the officer's correction
    from flows.pipeline import Outcome, _process_unless_archived, direct_runner

    settings, record_id = review_setup
    fixed = CliRunner().invoke(app, ["review", "set", record_id, "--type", "TB", "--number", "21/TB-UBND"])
    assert fixed.exit_code == 0, fixed.output
    archived = LocalArchive(settings.archive_dir).get(record_id)
    assert archived is not None and archived.needs_review
    result = _process_unless_archived(Path(archived.source.name), archived, settings, direct_runner)
    assert result.outcome == Outcome.ALREADY_ARCHIVED and result.record is not None
    assert result.record.classification is not None
    assert (result.record.classification.doc_type, result.record.classification.number) == ("TB", "21/TB-UBND")
    assert not result.record.needs_review


def test_a_rerun_of_an_acknowledged_record_no_longer_needs_review(review_setup: tuple[Settings, str]) -> None:
    """QA59: after `review set ID --ack` (sohoa's reading accepted, nothing corrected) a rerun answered
    already_archived with needs_review true, and its receipt sent the officer to `review list`, which no longer
    listed the record."""
    from flows.pipeline import Outcome, _process_unless_archived, direct_runner

    settings, record_id = review_setup
    acked = CliRunner().invoke(app, ["review", "set", record_id, "--ack", "--no-retrain"])
    assert acked.exit_code == 0, acked.output
    archived = LocalArchive(settings.archive_dir).get(record_id)
    assert archived is not None and archived.needs_review
    result = _process_unless_archived(Path(archived.source.name), archived, settings, direct_runner)
    assert result.outcome == Outcome.ALREADY_ARCHIVED and result.record is not None
    assert not result.record.needs_review


# --------------------------------------------------------------------------- a corrected scan, rescanned
def _blank_cv_capture() -> tuple[str, list[PageWords]]:
    """Tesseract's reading of a QA scan (a blank page, then a công văn): its text and page 2's word boxes."""
    data = json.loads((LAYOUT_FIXTURES / "qa-blank-cv.pdf.json").read_text(encoding="utf-8"))
    return data["text"], [PageWords.model_validate(page) for page in data["layout"]]


def test_a_corrected_scan_is_remembered_verbatim_however_it_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: after `review set ID --type CV`, classifying the archived scan gave `decided_by: model` (its columns,
    read from the word boxes, reorder the lines the key was taken on), the same text as .txt `correction`. The
    key is now the same for the OCR text, the columns the boxes give and the text file; and the number and date
    the officer gave come back with the type."""
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    settings = Settings(data_dir=tmp_path / "var")
    text, layout = _blank_cv_capture()
    record, files = make_record(tmp_path / "files", "scan", doc_type="CV", number="130/UBND-VP", text=text)
    record.classification = classify_text(text, layout=layout, model=None)
    LocalArchive(settings.archive_dir).put(record, files)
    fixed = CliRunner().invoke(
        app, ["review", "set", record.id, "--type", "TB", "--number", "131/TB-UBND", "--date", "2025-11-03"]
    )
    assert fixed.exit_code == 0, fixed.output
    model = model_for(settings)
    for boxes in (layout, []):  # the rescan (word boxes), and its text as a .txt file
        again = classify_text(text, layout=boxes, model=model)
        assert (again.decided_by, again.doc_type) == ("correction", "TB")
        assert (again.number, again.symbol, again.issued_on) == ("131/TB-UBND", "TB-UBND", date(2025, 11, 3))
        assert again.fields["number"].confidence == 0.99 and again.confidence == 0.99
        assert again.issuer == "ỦY BAN NHÂN DÂN XÃ PHÚ HƯNG"  # not corrected: as read
    # the text without its blank page, line breaks changed: the same words, the same document
    assert classify_text(" ".join(text.split()), model=model).decided_by == "correction"
    # another document is not taken for it
    assert classify_text(INVITATION, model=model).decided_by != "correction"


def test_a_model_keyed_before_is_keyed_again_from_the_training_folder(tmp_path: Path) -> None:
    """A model file written before the keys were word-order-free keyed each example in reading order; loaded with
    the office's training folder (TYPE/ID.txt, what `review set` kept), its examples are keyed again, so a rescan
    of a document corrected then is still recognised without a retrain."""
    import joblib

    from classify.model import legacy_text_key, train

    text, layout = _blank_cv_capture()
    settings = Settings(data_dir=tmp_path / "var")
    folder = settings.data_dir / "training" / "TB"
    folder.mkdir(parents=True)
    (folder / "0123456789abcdef.txt").write_text(text, encoding="utf-8")
    model = train([text, INVITATION], ["TB", "GM"], exact=[(text, "TB")])
    bundle = dict(model.bundle)
    bundle["exact"] = {legacy_text_key(text): "TB"}  # as models before it were written
    del bundle["exact_key"], bundle["remembered"]
    path = settings.data_dir / "models" / "classify-model.joblib"
    path.parent.mkdir(parents=True)
    joblib.dump(bundle, path)
    loaded = model_for(settings)
    assert loaded is not None
    assert classify_text(text, layout=layout, model=loaded).decided_by == "correction"
    assert classify_text(text, model=loaded).decided_by == "correction"


def test_classify_train_reads_folder_names_as_review_set_reads_type_codes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: `classify train` skipped folders named `cv` or `QD` (an English-only warning), while `review set --type
    cv/qd` takes those spellings. The folder's name is read the same way; a name that is no type code is still
    skipped, said in both languages."""
    import logging

    from classify.model import read_labelled_dir

    labelled = tmp_path / "labelled"
    for folder, line in (("cv", "Kính gửi: Sở Tư pháp"), ("QD", "QUYẾT ĐỊNH"), ("hd", "hướng dẫn"), ("XX", "?")):
        (labelled / folder).mkdir(parents=True)
        for i in range(2):
            (labelled / folder / f"{i}.txt").write_text(f"Số: {i}/UBND-VP\n{line} {i}\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="classify.model"):
        texts, labels = read_labelled_dir(labelled)
    assert sorted(set(labels)) == ["CV", "HD", "QĐ"] and len(texts) == 6  # `hd` is HD, not HĐ
    said = " ".join(caplog.messages)
    assert "XX" in said and "không phải mã loại" in said and "not a type code" in said
    out = tmp_path / "model.joblib"
    result = CliRunner().invoke(
        app, ["classify", "train", str(labelled), "--output", str(out), "--base", "0", "--json"], env=_env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["types"] == ["CV", "HD", "QĐ"]
    not_a_folder = CliRunner().invoke(app, ["classify", "train", str(out)], env=_env(tmp_path))
    assert not_a_folder.exit_code == 2 and "không phải thư mục / not a folder" in " ".join(not_a_folder.output.split())
