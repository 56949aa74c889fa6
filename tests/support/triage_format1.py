"""Triage models as they were stored before format 2: scikit-learn's fitted objects pickled.

Built here with the installed scikit-learn, the way features.py fitted them then
(TF-IDF over ``_word_analyzer`` and ``char_wb`` 2–5-grams, a logistic regression
per field), so tests can check that such a row still loads with the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from servicedesk.triage import features


def vectorisers(min_df: int = 1) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(
        analyzer=features.word_analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float32
    )
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=min_df,
        max_features=200_000, dtype=np.float32,
    )  # fmt: skip
    return words, chars


def model(texts: Sequence[str], labels: Mapping[str, Sequence[str]]) -> Any:
    """A ``TriageModel`` object with format 1's attributes (``words``, ``chars``, and
    ``FieldModel(classes, classifier)`` per field); pickling it gives format 1's bytes."""
    words, chars = vectorisers()
    x = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)], format="csr")
    old = object.__new__(features.TriageModel)
    old.__dict__.update(words=words, chars=chars, fields={})
    for name, y in labels.items():
        classes = sorted(set(y))
        classifier = None
        if len(classes) > 1:
            classifier = LogisticRegression(C=3.0, max_iter=100, tol=1e-3).fit(x, y)
        fm = object.__new__(features.FieldModel)
        fm.__dict__.update(classes=classes, classifier=classifier)
        old.fields[name] = fm
    return old
