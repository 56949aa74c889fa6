"""Fitting the triage model: one logistic regression per field, measured on the newest fifth.

``fit_and_measure`` fits on the older four fifths, measures on the newest fifth
(the figures and thresholds stored with the model), then takes a few steps
over all texts from that solution; ``fit`` fits on all at once (tests).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from servicedesk.triage import vectors
from servicedesk.triage.features import FieldModel, TriageModel, dense, word_analyzer
from servicedesk.triage.figures import FIELDS

FINAL_STEPS = 10  # L-BFGS steps the final fit takes from the trial's solution, over all texts


def min_df(n: int) -> int:
    """A term must occur in two texts to be learned, once there are 5 000 texts."""
    return 2 if n >= 5_000 else 1


def _classifiers(
    x: Any, labels: Mapping[str, Sequence[str | None]], warm: Mapping[str, Any]
) -> dict[str, Any]:
    """A fitted LogisticRegression per field (None for a field with one class; a field
    with none is left out). A text whose value is None weighs nothing for that field.
    ``warm``: the trial's classifiers, whose solution a final fit starts from."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    out: dict[str, Any] = {}
    for name in FIELDS:
        values = labels.get(name)
        if values is None:
            continue
        classes = sorted({v for v in values if v is not None})
        if len(classes) < 2:
            if classes:
                out[name] = (classes, None)
            continue
        weight = None
        if any(v is None for v in values):
            weight = np.array([v is not None for v in values], dtype=np.float64)
        y = np.array([classes[0] if v is None else v for v in values], dtype=object)
        before = warm.get(name)
        if before is not None and before[1] is not None and before[0] == classes:
            # From the trial's solution, the older four fifths are learned already; the
            # trial's tolerance would stop at once, before the newest fifth is.
            classifier = before[1]
            classifier.set_params(warm_start=True, max_iter=FINAL_STEPS, tol=1e-6)
        else:
            classifier = LogisticRegression(C=3.0, max_iter=100, tol=1e-3)
        # One thread: BLAS threads only fight each other (and the web workers) on a
        # small machine; with them the fit took four times as long on two cores.
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # FINAL_STEPS is the bound
            classifier.fit(x, y, sample_weight=weight)
        out[name] = (classes, classifier)
    return out


def _field(classes: list[str], classifier: Any) -> FieldModel:
    if classifier is None:
        return FieldModel(classes)
    return FieldModel(
        [str(c) for c in classifier.classes_],
        np.ascontiguousarray(dense(classifier.coef_).T, dtype=np.float32),
        np.asarray(classifier.intercept_, dtype=np.float64),
    )


def fit_and_measure(
    texts: Sequence[str], labels: Mapping[str, Sequence[str | None]], cut: int
) -> tuple[TriageModel, dict[str, tuple[list[str], np.ndarray]]]:
    """A trial fitted on ``texts[:cut]`` predicts ``texts[cut:]``, then the model is fitted
    on all texts: ``(model, the trial's probabilities per field)``.

    ``labels[field][i]`` is text i's value, or None when it has none (that text
    does not teach the field). A field with one class gets no classifier: it
    always suggests its one value. The texts are counted once; the trial's idf
    and rare-term cut use only the older texts, as if the newer did not exist,
    and the final fit starts from the trial's solution.
    """
    n = len(texts)
    counts = vectors.count(texts, word_analyzer, min_df=min_df(n))
    n_words, m = counts.n_words, counts.matrix
    predicted: dict[str, tuple[list[str], np.ndarray]] = {}
    trial: dict[str, Any] = {}
    if 0 < cut < n:
        older = vectors.rows(m, 0, cut)
        weights = vectors.idf(older, min_df(cut))
        trial = _classifiers(vectors.tfidf(older, weights, n_words), _head(labels, cut), {})
        newest = vectors.tfidf(vectors.rows(m, cut, n), weights, n_words)
        for name, (classes, classifier) in trial.items():
            predicted[name] = (classes, _field(classes, classifier).scores(newest))
        del older, newest
    weights = vectors.idf(m, min_df(n))
    # The counts are not needed after this: weighted in their own array.
    final = _classifiers(vectors.tfidf(m, weights, n_words, in_place=True), labels, trial)
    model = TriageModel(counts.words, counts.chars, weights)
    for name, (classes, classifier) in final.items():
        model.fields[name] = _field(classes, classifier)
    return model, predicted


def _head(labels: Mapping[str, Sequence[str | None]], cut: int) -> dict[str, Sequence[str | None]]:
    return {f: v[:cut] for f, v in labels.items()}


def fit(texts: Sequence[str], labels: Mapping[str, Sequence[str | None]]) -> TriageModel:
    """Fit on all ``texts`` (cleaned), measuring nothing (see ``fit_and_measure``)."""
    return fit_and_measure(texts, labels, len(texts))[0]
