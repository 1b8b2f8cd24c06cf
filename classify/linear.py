"""The type model's prediction without scikit-learn: its TF-IDF features and logistic regression in NumPy.

Why: loading a model that holds scikit-learn objects imports scikit-learn (~1.4 s of CPU here, 2026-12-03: a
fifth of a one-page `sohoa process`, paid by every command that classifies). Training still uses scikit-learn
(``classify.model.train``); what a fitted pipeline needs to predict — each vectoriser's vocabulary and IDF
weights, the classifier's coefficients — is taken out of it (``LinearTextModel.from_pipeline``) and saved as
plain arrays. Prediction repeats scikit-learn 1.9's arithmetic for the pipeline ``classify.model._pipeline``
builds (``TfidfVectorizer`` with ``analyzer`` "char_wb" or "word", lower-casing, sub-linear TF, L2 norm, in
float32; ``LogisticRegression.predict_proba``): tests/test_classify_model.py holds its probabilities to
scikit-learn's (within 1e-6) on synthetic documents of types the pipeline was not fitted on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")  # TfidfVectorizer's own: runs of white space become one space


@dataclass(frozen=True)
class TfidfFeatures:
    """One ``TfidfVectorizer``'s fitted state: what turns a text into its block of the feature vector."""

    analyzer: str  # "char_wb" or "word"
    ngram_range: tuple[int, int]
    token_pattern: str
    vocabulary: Mapping[str, int]
    idf: np.ndarray

    def terms(self, text: str) -> list[str]:
        """The n-grams of an already lower-cased ``text``, as scikit-learn's analyzer gives them."""
        low, high = self.ngram_range
        if self.analyzer == "char_wb":
            grams: list[str] = []
            for word in _WHITE_SPACES.sub(" ", text).split():
                word = f" {word} "
                for n in range(low, high + 1):
                    offset = 0
                    grams.append(word[:n])
                    while offset + n < len(word):
                        offset += 1
                        grams.append(word[offset : offset + n])
                    if offset == 0:  # a word shorter than n is counted once
                        break
            return grams
        tokens = re.findall(self.token_pattern, text)
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return grams

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, float32 values): counts, 1 + log, times IDF, L2-normalised — the transform's steps."""
        counts = Counter(index for term in self.terms(text) if (index := self.vocabulary.get(term)) is not None)
        indices = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
        values = np.array([counts[i] for i in indices.tolist()], dtype=np.float32)
        values = np.log(values) + np.float32(1.0)
        weighted = values * self.idf[indices].astype(np.float32)
        # the norm in float64, the values divided by it stored in float32, as scikit-learn's row normalisation does
        as_double = weighted.astype(np.float64)
        norm = np.sqrt(as_double @ as_double)
        if norm > 0:
            weighted = (as_double / norm).astype(np.float32)
        return indices, weighted

    def state(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "token_pattern": self.token_pattern,
            "vocabulary": dict(self.vocabulary),
            "idf": self.idf,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> TfidfFeatures:
        low, high = state["ngram_range"]
        return cls(
            str(state["analyzer"]),
            (int(low), int(high)),
            str(state["token_pattern"]),
            dict(state["vocabulary"]),
            np.asarray(state["idf"]),
        )

    @classmethod
    def from_vectorizer(cls, vectorizer: Any) -> TfidfFeatures:
        """Taken from a fitted ``TfidfVectorizer``; refused (ValueError) for a setting this module does not repeat."""
        expected = {
            "lowercase": True,
            "preprocessor": None,
            "tokenizer": None,
            "strip_accents": None,
            "stop_words": None,
            "binary": False,
            "sublinear_tf": True,
            "use_idf": True,
            "norm": "l2",
        }
        unlike = {k: getattr(vectorizer, k) for k, v in expected.items() if getattr(vectorizer, k) != v}
        if vectorizer.analyzer not in ("char_wb", "word") or unlike:
            raise ValueError(
                f"a TfidfVectorizer set otherwise than classify.linear repeats: {vectorizer.analyzer} {unlike}"
            )
        vocabulary = {str(term): int(index) for term, index in vectorizer.vocabulary_.items()}
        return cls(
            vectorizer.analyzer,
            tuple(vectorizer.ngram_range),
            vectorizer.token_pattern,
            vocabulary,
            np.asarray(vectorizer.idf_),
        )


@dataclass(frozen=True)
class LinearTextModel:
    """The feature blocks side by side (a ``FeatureUnion``), then a logistic regression over them."""

    features: tuple[TfidfFeatures, ...]
    coef: np.ndarray  # (classes, features), or (1, features) for two classes
    intercept: np.ndarray
    classes: tuple[str, ...]

    def predict_proba(self, text: str) -> np.ndarray:
        """Each class's probability for a prepared text (``classify.model.prepare``), in ``classes`` order."""
        text = text.lower()  # as each vectoriser does (``prepare`` has already: a no-op then)
        scores = np.zeros(self.coef.shape[0], dtype=np.float32)
        offset = 0
        for block in self.features:
            indices, values = block.vector(text)
            scores += self.coef[:, offset + indices] @ values
            offset += len(block.vocabulary)
        decision = scores + self.intercept  # in the intercept's type (float32 for a model fitted on float32 features)
        if len(self.classes) <= 2:  # one score: the second class's log-odds
            positive = 1.0 / (1.0 + np.exp(-decision[0]))
            return np.array([1.0 - positive, positive], dtype=decision.dtype)
        exp = np.exp(decision - decision.max())
        return exp / exp.sum()

    def state(self) -> dict[str, Any]:
        return {
            "features": [block.state() for block in self.features],
            "coef": self.coef,
            "intercept": self.intercept,
            "classes": list(self.classes),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> LinearTextModel:
        return cls(
            tuple(TfidfFeatures.from_state(block) for block in state["features"]),
            np.asarray(state["coef"]),
            np.asarray(state["intercept"]),
            tuple(str(label) for label in state["classes"]),
        )

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> LinearTextModel:
        """Taken from a fitted ``Pipeline([("features", FeatureUnion([...TfidfVectorizer])), ("clf",
        LogisticRegression)])``, as ``classify.model._pipeline`` builds it."""
        union = pipeline.named_steps["features"]
        if union.transformer_weights:
            raise ValueError("a FeatureUnion with weights: classify.linear does not repeat it")
        blocks = tuple(TfidfFeatures.from_vectorizer(vectorizer) for _, vectorizer in union.transformer_list)
        clf = pipeline.named_steps["clf"]
        return cls(blocks, np.asarray(clf.coef_), np.asarray(clf.intercept_), tuple(map(str, clf.classes_)))
