"""The intent classifier: TF-IDF of word and character n-grams, multinomial logistic regression.

Trained with scikit-learn, then exported to plain arrays (vocabulary, idf, weights) so that the
running bot predicts with a few numpy lines and never imports scikit-learn or scipy (about 60 MB
and half a second saved) when the cache is warm.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Changing these changes the features: they are part of the cache key (see CODE_VERSION).
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
C = 20.0
CODE_VERSION = "clf-1"


def features(normalised: str) -> list[str]:
    """The n-grams of a normalised text: words, word pairs and characters within words."""
    words = normalised.split()
    out = [f"w:{w}" for w in words]
    if WORD_NGRAMS[1] >= 2:
        out += [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    lo, hi = CHAR_NGRAMS
    for w in words:
        padded = f" {w} "
        size = len(padded)
        for n in range(lo, hi + 1):
            if n > size:
                break
            out += [f"c:{padded[i : i + n]}" for i in range(size - n + 1)]
    return out


@dataclass
class IntentModel:
    """Exported weights: ``scores = weights @ tfidf(text) + bias``, softmax for confidences."""

    labels: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # (n_labels, n_features), float32
    bias: np.ndarray

    def predict(self, normalised: str) -> list[tuple[str, float]]:
        """Every intent with its probability, best first."""
        counts = Counter(features(normalised))
        idx: list[int] = []
        vals: list[float] = []
        vocab = self.vocabulary
        for feat, n in counts.items():
            j = vocab.get(feat)
            if j is not None:
                idx.append(j)
                vals.append(1.0 + math.log(n))
        if idx:
            x = np.asarray(vals, dtype=np.float32) * self.idf[idx]
            x /= np.sqrt(np.dot(x, x))
            scores = self.weights[:, idx] @ x + self.bias
        else:
            scores = self.bias.copy()
        scores = scores - scores.max()
        probs = np.exp(scores)
        probs /= probs.sum()
        order = np.argsort(-probs)
        return [(self.labels[k], float(probs[k])) for k in order]

    def save(self, path: Path) -> None:
        """Write the model as one ``.npz`` (vocabulary as JSON inside: no pickle)."""
        terms = [""] * len(self.vocabulary)
        for term, j in self.vocabulary.items():
            terms[j] = term
        tmp = path.with_suffix(".tmp.npz")
        np.savez(
            tmp, idf=self.idf, weights=self.weights, bias=self.bias,
            meta=np.frombuffer(json.dumps({"labels": self.labels, "terms": terms}).encode(), dtype=np.uint8),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        """Read a model written by ``save``."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            return cls(
                labels=meta["labels"],
                vocabulary={t: j for j, t in enumerate(meta["terms"])},
                idf=z["idf"].astype(np.float32),
                weights=np.ascontiguousarray(z["weights"], dtype=np.float32),
                bias=z["bias"].astype(np.float32),
            )


def train(texts: list[str], labels: list[str], c: float = C) -> IntentModel:
    """Fit on normalised texts (imports scikit-learn: training only)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, norm="l2")
    x = vectorizer.fit_transform(texts)
    clf = LogisticRegression(C=c, max_iter=5000)
    clf.fit(x, labels)
    return IntentModel(
        labels=[str(label) for label in clf.classes_],
        vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_.astype(np.float32),
        weights=clf.coef_.astype(np.float32),
        bias=clf.intercept_.astype(np.float32),
    )
