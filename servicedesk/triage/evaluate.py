"""Judging a model (and the routing rules alone) on labelled tickets: the evaluate command.

``evaluate(rows, model, rules_queue)`` takes rows ``{title, description, queue}``,
the model to judge (with its queue threshold) and a function giving the queue
the routing rules choose (the default queue when none matches), and returns
the figures the CLI prints: accuracy, top-3 accuracy, per-queue precision and
recall, the confusion matrix, and precision/coverage at the threshold; and
accuracy, per-queue figures and confusion for the rules.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from servicedesk.triage import figures
from servicedesk.triage.features import TriageModel, clean


def read_csv(path: str | Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    missing = {"title", "description", "queue"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return rows


def evaluate(
    rows: Sequence[dict[str, str]],
    model: TriageModel | None,
    threshold: float | None,
    rules_queue: Callable[[str, str], str],
    target: float = 0.9,
) -> dict[str, Any]:
    truth = [r["queue"] for r in rows]
    out: dict[str, Any] = {"tickets": len(rows)}
    if model is not None and "queue" in model.fields:
        classes, proba = model.probabilities([clean(r["title"], r["description"]) for r in rows])[
            "queue"
        ]
        ranked = [[(classes[j], float(p[j])) for j in p.argsort()[::-1][:3]] for p in proba]
        predicted = [r[0][0] for r in ranked]
        conf = [r[0][1] for r in ranked]
        correct = [p == t for p, t in zip(predicted, truth, strict=True)]
        at = [c >= threshold for c in conf] if threshold is not None else [False] * len(conf)
        routed = sum(at)
        own = figures.choose_threshold(conf, correct, target)
        out["model"] = {
            "accuracy": sum(correct) / len(rows),
            "top3_accuracy": sum(t in [v for v, _ in r] for t, r in zip(truth, ranked, strict=True))
            / len(rows),
            "per_queue": figures.per_class(truth, predicted),
            "confusion": figures.confusion(truth, predicted),
            "threshold": threshold,
            "precision_at_threshold": (
                sum(c for c, a in zip(correct, at, strict=True) if a) / routed if routed else None
            ),
            "coverage_at_threshold": routed / len(rows),
            "threshold_on_this_set": own.threshold,
            "coverage_on_this_set": own.coverage,
        }
    ruled = [rules_queue(r["title"], r["description"]) for r in rows]
    out["rules"] = {
        "accuracy": sum(p == t for p, t in zip(ruled, truth, strict=True)) / len(rows),
        "per_queue": figures.per_class(truth, ruled),
        "confusion": figures.confusion(truth, ruled),
    }
    return out


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{x:6.3f}"


def report(result: dict[str, Any]) -> Iterable[str]:
    """The figures as lines of text."""
    yield f"tickets: {result['tickets']}"
    for name in ("model", "rules"):
        part = result.get(name)
        if part is None:
            yield f"\n== {name}: none"
            continue
        yield f"\n== {'model' if name == 'model' else 'routing rules alone'}"
        yield f"accuracy (top-1): {part['accuracy']:.3f}"
        if "top3_accuracy" in part:
            yield f"right queue among top 3: {part['top3_accuracy']:.3f}"
            t = part["threshold"]
            yield (
                f"at the model's threshold {t if t is None else round(t, 4)}: precision "
                f"{_pct(part['precision_at_threshold']).strip()}, coverage "
                f"{part['coverage_at_threshold']:.3f}"
            )
            yield (
                f"(threshold this set would give for the same target: "
                f"{part['threshold_on_this_set']}, coverage {part['coverage_on_this_set']:.3f})"
            )
        yield f"{'queue':<14} precision recall  support"
        for queue, f in part["per_queue"].items():
            yield f"{queue:<14} {_pct(f['precision'])}   {_pct(f['recall'])}  {f['support']:>5}"
        labels, matrix = part["confusion"]
        short = [lab[:6] for lab in labels]
        yield "confusion (rows: true queue, columns: predicted)"
        yield " " * 14 + " ".join(f"{s:>6}" for s in short)
        for lab, row in zip(labels, matrix, strict=True):
            yield f"{lab:<14}" + " ".join(f"{v:>6}" for v in row)
