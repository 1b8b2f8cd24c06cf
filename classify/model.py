"""The trainable type model beside the rules: scikit-learn, character (2–4, within words) and word (1–2)
n-grams, TF-IDF, logistic regression, on NFC text with modern tone placement (``normalize_text``), lower-cased.

A model file (format 3) is a zip archive: ``model.json`` holds ``{"format": 3, "sklearn": "1.9.1", "name",
"created", "labels", "examples", "linear", "exact", "exact_key", "remembered"}`` and the arrays ``linear`` names
are ``.npy`` members beside it, read without pickle (``allow_pickle=False``): loading a model file runs no code
from it, and needs neither joblib nor scikit-learn (~0.3 s and ~1.4 s of each command that classifies). ``linear``
is what the fitted scikit-learn pipeline needs to predict, as plain arrays (``classify.linear``), so a model
outlives a scikit-learn upgrade; ``sklearn`` says which one fitted it. Files of earlier formats are joblib
pickles and still load (load only files this installation wrote): format 2 held the same ``linear`` state;
format 1 the pipeline itself (``pipeline``), loaded through scikit-learn when its minor version is the one that
wrote them. The file names end in ``.joblib`` still, as configurations and offices' folders name them.
``exact`` holds a key (``text_key``) of every officer-labelled example, so
the very document an officer corrected is recognised again with certainty, and ``remembered`` the values the
officer gave it besides its type (number, date, issuer, subject: ``DATA_DIR/corrections/ID.json``). The key is
taken on the document's words in sorted order (``exact_key`` 2), so the same scan gives the same key as text
file, as OCR's reading order or as the columns its word boxes give; models written before it (no ``exact_key``)
keyed the text in reading order, and are keyed again on loading from the labelled examples they remember
(``rekey``).

Search order for the model in use: ``SOHOA_CLASSIFY_MODEL`` / settings ``classify_model``, then
``DATA_DIR/models/classify-model.joblib`` (written by ``sohoa classify train`` and ``sohoa review set``), then
the model shipped in the package (``classify/data/type-model.joblib``, made by ``classify/make_model.py``).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classify.normalize import normalize_text

if TYPE_CHECKING:
    from classify.linear import LinearTextModel

log = logging.getLogger(__name__)
FORMAT_VERSION = 3
ARRAYS_FORMAT = 2  # the ``linear`` state pickled by joblib, read still
PIPELINE_FORMAT = 1  # the pickled scikit-learn pipeline, read still (see the module's text)
MODEL_JSON = "model.json"  # a format 3 file's member holding all but the arrays
SHIPPED = "data/type-model.joblib"
TEXT_CHARS = 3000  # the header, title and first paragraphs carry the type; the rest is noise


EXACT_KEY = 2  # the form of the exact-match keys a model file holds (1: before ``exact_key`` was written)
# the values an officer gave besides the type, taken over by an identical document (``classify.rules``)
REMEMBERED_FIELDS = ("number", "issued_on", "issuer", "subject")


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    exact: bool = False
    remembered: dict[str, str] = field(default_factory=dict)  # an exact match's corrected values


def prepare(text: str) -> str:
    return normalize_text(text)[:TEXT_CHARS].lower()


def text_key(text: str) -> str:
    """The key of a document remembered verbatim: its words (``normalize_text``), in sorted order. The same
    however the document reached the classifier: a text file, OCR's reading order, or the columns its word boxes
    give (``classify.layout`` moves lines, never words; QA: a corrected scan came back ``model``, its .txt
    ``correction``); line breaks and blank pages aside."""
    return hashlib.sha256(" ".join(sorted(normalize_text(text).split())).encode("utf-8")).hexdigest()


def legacy_text_key(text: str) -> str:
    """The key models made before ``EXACT_KEY`` 2 hold: the words in reading order."""
    return hashlib.sha256(" ".join(normalize_text(text).split()).encode("utf-8")).hexdigest()


def _pipeline() -> Any:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 4), max_features=4000, sublinear_tf=True, dtype=np.float32
                ),
            ),
            (
                "word",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    max_features=2000,
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w[\w/]*\b",
                    dtype=np.float32,
                ),
            ),
        ]
    )
    return Pipeline([("features", features), ("clf", LogisticRegression(C=5.0, max_iter=2000))])


class TypeModel:
    def __init__(self, bundle: dict[str, Any]) -> None:
        # imported here, with NumPy (~0.15 s): `list`, `search` and `review` import this module for its names only
        from classify.linear import LinearTextModel

        self.bundle = bundle
        self.linear: LinearTextModel = (
            LinearTextModel.from_state(bundle["linear"])
            if "linear" in bundle
            else LinearTextModel.from_pipeline(bundle["pipeline"])
        )
        self.labels: list[str] = list(bundle["labels"])
        keys: dict[str, str] = dict(bundle.get("exact", {}))
        legacy = bundle.get("exact_key", 1) < EXACT_KEY
        self.exact: dict[str, str] = {} if legacy else keys
        self.legacy_exact: dict[str, str] = keys if legacy else {}  # keyed in reading order: see ``rekey``
        self.remembered: dict[str, dict[str, str]] = dict(bundle.get("remembered", {}))
        self.name = f"{bundle.get('name', 'model')} v{bundle.get('format')}"

    def rekey(self, labelled: Iterable[tuple[str, str]]) -> int:
        """Key again, as ``text_key`` does, the examples of a model written before it that ``labelled`` (text,
        type code) holds: the office's training folder, where ``review set`` keeps every corrected text.
        Returns how many were found."""
        found = 0
        for text, label in labelled:
            if self.legacy_exact.get(legacy_text_key(text)) == label:
                self.exact[text_key(text)] = label
                found += 1
        return found

    def recall(self, text: str) -> Prediction | None:
        """The officer's answer for this very document, when it is one the model remembers verbatim."""
        key = text_key(text)
        label = self.exact.get(key)
        if label is not None:
            return Prediction(label, 1.0, exact=True, remembered=dict(self.remembered.get(key, {})))
        label = self.legacy_exact.get(legacy_text_key(text)) if self.legacy_exact else None
        return Prediction(label, 1.0, exact=True) if label is not None else None

    def predict(self, text: str) -> Prediction:
        recalled = self.recall(text)
        if recalled is not None:
            return recalled
        probabilities = self.linear.predict_proba(prepare(text))
        best = int(probabilities.argmax())
        return Prediction(self.linear.classes[best], float(probabilities[best]))

    def save(self, path: Path) -> Path:
        """Write the model to ``path`` (format 3), atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        _write_zip({**self.bundle, "linear": self.linear.state()}, tmp)  # a format 1 file's too: its pipeline's
        tmp.replace(path)
        return path


def _write_zip(bundle: dict[str, Any], path: Path) -> None:
    """``bundle`` as a format 3 file: its ``linear`` arrays as ``.npy`` members, named in ``model.json``."""
    import numpy as np

    arrays: dict[str, Any] = {}

    def member(name: str, array: Any) -> str:
        arrays[name] = np.asarray(array)
        return name

    linear = bundle["linear"]
    described = {
        "features": [
            {
                **{key: value for key, value in block.items() if key not in ("idf", "vocabulary")},
                "vocabulary": {term: int(column) for term, column in block["vocabulary"].items()},
                "idf": member(f"features-{number}-idf.npy", block["idf"]),
            }
            for number, block in enumerate(linear["features"])
        ],
        "coef": member("coef.npy", linear["coef"]),
        "intercept": member("intercept.npy", linear["intercept"]),
        "classes": list(linear["classes"]),
    }
    meta = {**{key: value for key, value in bundle.items() if key not in ("linear", "pipeline")}, "linear": described}
    meta["format"] = FORMAT_VERSION
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(MODEL_JSON, json.dumps(meta, ensure_ascii=False, sort_keys=True))
        for name, array in arrays.items():
            data = io.BytesIO()
            np.save(data, array, allow_pickle=False)
            archive.writestr(name, data.getvalue())


def _read_zip(path: Path) -> dict[str, Any]:
    """A format 3 file's bundle, its arrays read back in place of their names (never unpickled)."""
    import numpy as np

    with zipfile.ZipFile(path) as archive:
        bundle: dict[str, Any] = json.loads(archive.read(MODEL_JSON))

        def array(name: str) -> Any:
            return np.load(io.BytesIO(archive.read(name)), allow_pickle=False)

        linear = bundle["linear"]
        for block in linear["features"]:
            block["idf"] = array(block["idf"])
        linear["coef"], linear["intercept"] = array(linear["coef"]), array(linear["intercept"])
    return bundle


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    name: str = "office",
    exact: Iterable[tuple[str, str]] = (),
    weights: Sequence[float] | None = None,
    remembered: Iterable[tuple[str, dict[str, str]]] = (),
) -> TypeModel:
    """Fit a model on (text, type code) examples; ``exact`` = (text, label) pairs remembered verbatim,
    ``remembered`` = (text, {field: value}) the values an officer gave such a text besides its type."""
    import numpy as np
    import sklearn

    if len(set(labels)) < 2:
        raise ValueError("training needs examples of at least two types")
    pipeline = _pipeline()
    pipeline.fit(
        [prepare(t) for t in texts],
        list(labels),
        clf__sample_weight=np.asarray(weights, dtype=float) if weights is not None else None,
    )
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_  # the cut features: only needed for introspection, and large
    clf = pipeline.named_steps["clf"]
    clf.coef_ = clf.coef_.astype(np.float32)
    from classify.linear import LinearTextModel

    bundle = {
        "format": FORMAT_VERSION,
        "sklearn": sklearn.__version__,
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": sorted(set(labels)),
        "examples": len(texts),
        "linear": LinearTextModel.from_pipeline(pipeline).state(),
        "exact": {text_key(t): label for t, label in exact},
        "exact_key": EXACT_KEY,
        "remembered": {text_key(t): dict(values) for t, values in remembered if values},
    }
    return TypeModel(bundle)


def load_model(path: Path) -> TypeModel | None:
    """A model file, or None (logged) when it is missing, of another format, or (format 1, a pickled pipeline) of
    another scikit-learn."""
    try:
        if zipfile.is_zipfile(path):
            bundle: Any = _read_zip(path)
        else:  # formats 1 and 2, pickled by joblib
            import joblib

            bundle = joblib.load(path)
    except (OSError, ValueError, EOFError, ImportError, AttributeError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        log.warning("%s: không nạp được mô hình phân loại / type model not loaded: %s", path, exc)
        return None
    if not isinstance(bundle, dict) or bundle.get("format") not in (FORMAT_VERSION, ARRAYS_FORMAT, PIPELINE_FORMAT):
        log.warning(
            "%s: mô hình phân loại ở định dạng không rõ; hãy huấn luyện lại bằng 'sohoa classify train' / type model "
            "of an unknown format; retrain with 'sohoa classify train'",
            path,
        )
        return None
    if bundle["format"] == PIPELINE_FORMAT:
        import sklearn

        made_with = str(bundle.get("sklearn", ""))
        if made_with.split(".")[:2] != sklearn.__version__.split(".")[:2]:
            log.warning(
                "%s: mô hình làm bằng scikit-learn %s, máy đang chạy %s: hãy huấn luyện lại ('sohoa classify train') "
                "/ made with scikit-learn %s, running %s: retrain ('sohoa classify train')",
                path,
                made_with,
                sklearn.__version__,
                made_with,
                sklearn.__version__,
            )
            return None
    try:
        return TypeModel(bundle)
    except (KeyError, TypeError, ValueError) as exc:  # a file that says format 2 or 3 and is not one
        log.warning("%s: không nạp được mô hình phân loại / type model not loaded: %s", path, exc)
        return None


def shipped_model_path() -> Path:
    return Path(str(resources.files("classify").joinpath(SHIPPED)))


def office_model_path(data_dir: Path) -> Path:
    return data_dir / "models" / "classify-model.joblib"


def training_dir(settings: Any) -> Path:
    """The office's labelled examples (``review set`` keeps each corrected text there as TYPE/ID.txt)."""
    return Path(settings.training_dir) if settings.training_dir else Path(settings.data_dir) / "training"


def configured_model_path() -> Path:
    """Where the model in use comes from (see the module docstring)."""
    from sohoa.settings import load_settings

    return _model_path(load_settings())


def _model_path(settings: Any) -> Path:
    configured = getattr(settings, "classify_model", None)
    if configured:
        return Path(configured)
    office = office_model_path(Path(settings.data_dir))
    return office if office.exists() else shipped_model_path()


_load_lock = threading.Lock()


def _cached(path: str, mtime: float, labelled: str | None = None) -> TypeModel | None:
    # two documents in flight classify at about the same moment: one loads (~0.3 s, a format-1 file ~2 s),
    # the other waits for it instead of loading its own copy
    with _load_lock:
        return _load_once(path, mtime, labelled)


@functools.cache
def _load_once(path: str, mtime: float, labelled: str | None) -> TypeModel | None:
    model = load_model(Path(path))
    if model is not None and model.legacy_exact and labelled and Path(labelled).is_dir():
        # written before the keys were word-order-free: key again the corrected texts it remembers, so a rescan of
        # a document corrected then is still recognised (until the next retrain writes the new keys)
        found = model.rekey(zip(*read_labelled_dir(Path(labelled)), strict=True))
        log.info(
            "%s: %d trong %d mẫu đã nhớ được lập khóa lại từ %s / %d of %d remembered examples keyed again from %s",
            path,
            found,
            len(model.legacy_exact),
            labelled,
            found,
            len(model.legacy_exact),
            labelled,
        )
    return model


def default_model() -> TypeModel | None:
    try:
        from sohoa.settings import load_settings

        settings = load_settings()
        path, labelled = _model_path(settings), str(training_dir(settings))
    except Exception as exc:  # settings unreadable: the shipped model still works
        log.warning(
            "không đọc được cấu hình (%s); dùng mô hình phân loại đi kèm / settings not readable (%s); using the "
            "shipped type model",
            exc,
            exc,
        )
        path, labelled = shipped_model_path(), None
    if not path.exists():
        return None
    return _cached(str(path), path.stat().st_mtime, labelled)


def remembering_model() -> TypeModel | None:
    """``default_model`` when it can remember documents (not the shipped model, trained on no office's
    corrections): what ``classify_text`` asks about every document, without loading scikit-learn for nothing."""
    try:
        if configured_model_path() == shipped_model_path():
            return None
    except Exception:
        return None
    return default_model()


def read_labelled_dir(root: Path) -> tuple[list[str], list[str]]:
    """Examples from ``root/<TYPE CODE>/*.txt`` (NFC text; a folder name that is not a type code is skipped). The
    folder's name is read as ``review set --type`` reads a code: any case, ``QD`` for QĐ (``type_code_named``)."""
    found = labelled_files(root)
    return [text for _, text, _ in found], [code for _, _, code in found]


def labelled_files(root: Path) -> list[tuple[Path, str, str]]:
    """(file, NFC text, type code) of each example in ``root/<TYPE CODE>/*.txt``."""
    import unicodedata

    from classify.doctypes import type_code_named

    found: list[tuple[Path, str, str]] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        code = type_code_named(folder.name)
        if code is None:
            log.warning(
                "%s: không phải mã loại văn bản (xem classify/data/doc_types.json), bỏ qua / not a type code (see "
                "classify/data/doc_types.json); skipped",
                folder,
            )
            continue
        for file in sorted(folder.rglob("*.txt")):
            found.append((file, unicodedata.normalize("NFC", file.read_text(encoding="utf-8")), code))
    return found


def model_for(settings: Any) -> TypeModel | None:
    """The model a pipeline run with these settings uses (same search order as ``default_model``)."""
    path = _model_path(settings)
    if not path.exists():
        return None
    return _cached(str(path), path.stat().st_mtime, str(training_dir(settings)))
