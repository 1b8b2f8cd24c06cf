"""The trainable type model beside the rules: scikit-learn, character (2–4, within words) and word (1–2)
n-grams, TF-IDF, logistic regression, on NFC text with modern tone placement (``normalize_text``), lower-cased.

A model file is a joblib dump of ``{"format": 1, "sklearn": "1.9.1", "name", "created", "labels", "pipeline",
"exact"}``; ``exact`` holds the SHA-256 of the normalised text of every officer-labelled example, so the very
document an officer corrected is recognised again with certainty. Model files are pickles: load only files
this installation wrote (the shipped one, or one made by ``sohoa classify train``).

Search order for the model in use: ``SOHOA_CLASSIFY_MODEL`` / settings ``classify_model``, then
``DATA_DIR/models/classify-model.joblib`` (written by ``sohoa classify train`` and ``sohoa review set``), then
the model shipped in the package (``classify/data/type-model.joblib``, made by ``classify/make_model.py``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from classify.normalize import normalize_text

log = logging.getLogger(__name__)
FORMAT_VERSION = 1
SHIPPED = "data/type-model.joblib"
TEXT_CHARS = 3000  # the header, title and first paragraphs carry the type; the rest is noise


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    exact: bool = False


def prepare(text: str) -> str:
    return normalize_text(text)[:TEXT_CHARS].lower()


def text_key(text: str) -> str:
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
        self.bundle = bundle
        self.pipeline = bundle["pipeline"]
        self.labels: list[str] = list(bundle["labels"])
        self.exact: dict[str, str] = dict(bundle.get("exact", {}))
        self.name = f"{bundle.get('name', 'model')} v{bundle.get('format')}"

    def predict(self, text: str) -> Prediction:
        label = self.exact.get(text_key(text))
        if label is not None:
            return Prediction(label, 1.0, exact=True)
        probabilities = self.pipeline.predict_proba([prepare(text)])[0]
        best = int(probabilities.argmax())
        return Prediction(str(self.pipeline.classes_[best]), float(probabilities[best]))

    def save(self, path: Path) -> Path:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        joblib.dump(self.bundle, tmp, compress=("xz", 6))
        tmp.replace(path)
        return path


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    name: str = "office",
    exact: Iterable[tuple[str, str]] = (),
    weights: Sequence[float] | None = None,
) -> TypeModel:
    """Fit a model on (text, type code) examples; ``exact`` = (text, label) pairs remembered verbatim."""
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
    bundle = {
        "format": FORMAT_VERSION,
        "sklearn": sklearn.__version__,
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": sorted(set(labels)),
        "examples": len(texts),
        "pipeline": pipeline,
        "exact": {text_key(t): label for t, label in exact},
    }
    return TypeModel(bundle)


def load_model(path: Path) -> TypeModel | None:
    """A model file, or None (logged) when it is missing, of another format, or of another scikit-learn."""
    import joblib
    import sklearn

    try:
        bundle = joblib.load(path)
    except (OSError, ValueError, EOFError, ImportError, AttributeError) as exc:
        log.warning("%s: type model not loaded: %s", path, exc)
        return None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT_VERSION:
        log.warning("%s: type model of an unknown format; retrain with 'sohoa classify train'", path)
        return None
    made_with = str(bundle.get("sklearn", ""))
    if made_with.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        log.warning("%s: made with scikit-learn %s, running %s: retrain", path, made_with, sklearn.__version__)
        return None
    return TypeModel(bundle)


def shipped_model_path() -> Path:
    return Path(str(resources.files("classify").joinpath(SHIPPED)))


def office_model_path(data_dir: Path) -> Path:
    return data_dir / "models" / "classify-model.joblib"


def configured_model_path() -> Path:
    """Where the model in use comes from (see the module docstring)."""
    from sohoa.settings import load_settings

    settings = load_settings()
    configured = getattr(settings, "classify_model", None)
    if configured:
        return Path(configured)
    office = office_model_path(settings.data_dir)
    return office if office.exists() else shipped_model_path()


_load_lock = threading.Lock()


def _cached(path: str, mtime: float) -> TypeModel | None:
    # two documents in flight classify at about the same moment: one loads (~2 s with scikit-learn's import),
    # the other waits for it instead of loading its own copy
    with _load_lock:
        return _load_once(path, mtime)


@functools.cache
def _load_once(path: str, mtime: float) -> TypeModel | None:
    return load_model(Path(path))


def default_model() -> TypeModel | None:
    try:
        path = configured_model_path()
    except Exception as exc:  # settings unreadable: the shipped model still works
        log.warning("settings not readable (%s); using the shipped type model", exc)
        path = shipped_model_path()
    if not path.exists():
        return None
    return _cached(str(path), path.stat().st_mtime)


def read_labelled_dir(root: Path) -> tuple[list[str], list[str]]:
    """Examples from ``root/<TYPE CODE>/*.txt`` (NFC text; a folder name that is not a type code is skipped)."""
    import unicodedata

    from classify.doctypes import by_code

    known = by_code()
    texts: list[str] = []
    labels: list[str] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        code = unicodedata.normalize("NFC", folder.name)
        if code not in known:
            log.warning("%s: not a type code (see classify/data/doc_types.json); skipped", folder)
            continue
        for file in sorted(folder.rglob("*.txt")):
            texts.append(unicodedata.normalize("NFC", file.read_text(encoding="utf-8")))
            labels.append(code)
    return texts, labels


def model_for(settings: Any) -> TypeModel | None:
    """The model a pipeline run with these settings uses (same search order as ``default_model``)."""
    configured = getattr(settings, "classify_model", None)
    if configured:
        path = Path(configured)
    else:
        office = office_model_path(Path(settings.data_dir))
        path = office if office.exists() else shipped_model_path()
    if not path.exists():
        return None
    return _cached(str(path), path.stat().st_mtime)
