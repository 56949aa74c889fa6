"""The figures a model is judged by, as pure arithmetic: accuracy, threshold, coverage.

**Threshold.** Take the held-out predictions with their confidence and whether
they were right. For a candidate threshold ``t`` (each distinct confidence),
the predictions at or above ``t`` have a precision (the share of them that are
right) and a coverage (their share of all held-out predictions). The field's
threshold is the *lowest* ``t`` whose precision reaches the target: the most
tickets routed while still precise enough. If no ``t`` reaches the target, the
threshold is ``None``: the field never routes by itself, and its precision and
coverage at the threshold are ``None`` and 0.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# The fields triage suggests (here, in a module without scikit-learn, so that
# importing the servicedesk does not import scikit-learn).
FIELDS = ("queue", "category", "service_code")


@dataclass(frozen=True)
class Threshold:
    threshold: float | None
    precision: float | None
    coverage: float


def choose_threshold(
    confidences: Sequence[float], correct: Sequence[bool], target: float
) -> Threshold:
    """The lowest confidence at which the predictions at or above it reach ``target``."""
    if not confidences:
        return Threshold(None, None, 0.0)
    pairs = sorted(zip(confidences, correct, strict=True), key=lambda p: -p[0])
    total = len(pairs)
    best: Threshold | None = None
    right = 0
    for i, (confidence, ok) in enumerate(pairs):
        right += bool(ok)
        # A candidate only where the next prediction is less confident: ties go together.
        if i + 1 < total and pairs[i + 1][0] == confidence:
            continue
        precision = right / (i + 1)
        if precision >= target:
            best = Threshold(float(confidence), precision, (i + 1) / total)
    return best or Threshold(None, None, 0.0)


def field_figures(
    truth: Sequence[str],
    ranked: Sequence[Sequence[tuple[str, float]]],
    target: float,
) -> dict[str, Any]:
    """A field's figures from each held-out ticket's true value and ranked predictions."""
    n = len(truth)
    if n == 0:
        return {"held_out": 0, "accuracy": None, "top3_accuracy": None, "threshold": None,
                "precision_at_threshold": None, "coverage_at_threshold": 0.0}  # fmt: skip
    top1 = [bool(r) and r[0][0] == t for t, r in zip(truth, ranked, strict=True)]
    top3 = [t in [v for v, _ in r[:3]] for t, r in zip(truth, ranked, strict=True)]
    chosen = choose_threshold([r[0][1] if r else 0.0 for r in ranked], top1, target)
    return {
        "held_out": n,
        "accuracy": round(sum(top1) / n, 4),
        "top3_accuracy": round(sum(top3) / n, 4),
        "threshold": None if chosen.threshold is None else round(chosen.threshold, 6),
        "precision_at_threshold": None if chosen.precision is None else round(chosen.precision, 4),
        "coverage_at_threshold": round(chosen.coverage, 4),
    }


def per_class(truth: Sequence[str], predicted: Sequence[str | None]) -> dict[str, dict[str, Any]]:
    """Precision, recall and support per class (for the evaluate command)."""
    classes = sorted(set(truth) | {p for p in predicted if p is not None})
    out = {}
    for c in classes:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == c and p == c)
        said = sum(1 for p in predicted if p == c)
        real = sum(1 for t in truth if t == c)
        out[c] = {
            "precision": tp / said if said else None,
            "recall": tp / real if real else None,
            "support": real,
        }
    return out


def confusion(
    truth: Sequence[str], predicted: Sequence[str | None]
) -> tuple[list[str], list[list[int]]]:
    """Labels and the matrix ``m[i][j]``: true ``labels[i]`` predicted as ``labels[j]``."""
    labels = sorted(set(truth) | {p or "-" for p in predicted})
    index = {c: i for i, c in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, predicted, strict=True):
        matrix[index[t]][index[p or "-"]] += 1
    return labels, matrix
