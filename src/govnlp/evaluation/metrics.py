"""Multi-label metrics on 0/1 matrices ``(n_articles, n_labels)`` whose columns follow the labels.

Pure functions of arrays: no model, no files.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

__all__ = ["calibration_table", "multilabel_report", "prf"]


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts (0 where undefined).

    >>> prf(8, 2, 2)
    (0.8, 0.8, 0.8)
    """
    tp, fp, fn = float(tp), float(fp), float(fn)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 6), round(recall, 6), round(f1, 6)


def multilabel_report(
    y_true: np.ndarray, y_pred: np.ndarray, label_ids: Sequence[str]
) -> dict[str, object]:
    """Micro/macro/per-label precision, recall, F1, subset accuracy and "no theme" P/R.

    Macro averages run over labels that occur in ``y_true`` or ``y_pred``. The empty set is scored
    as its own class: precision = of the articles given no theme, how many truly have none.

    >>> y = np.array([[1, 0], [0, 0], [1, 1]])
    >>> report = multilabel_report(y, np.array([[1, 0], [0, 0], [1, 0]]), ["a", "b"])
    >>> report["micro"]["precision"], report["micro"]["recall"], report["subset_accuracy"]
    (1.0, 0.666667, 0.666667)
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    if y_true.shape != y_pred.shape or y_true.shape[1] != len(label_ids):
        raise ValueError(
            f"shapes {y_true.shape} / {y_pred.shape} do not fit {len(label_ids)} labels"
        )
    tp = (y_true & y_pred).sum(0)
    fp = (~y_true & y_pred).sum(0)
    fn = (y_true & ~y_pred).sum(0)
    per_label = {}
    for i, label in enumerate(label_ids):
        p, r, f = prf(tp[i], fp[i], fn[i])
        per_label[label] = {
            "precision": p,
            "recall": r,
            "f1": f,
            "support": int(y_true[:, i].sum()),
            "predicted": int(y_pred[:, i].sum()),
        }
    p, r, f = prf(tp.sum(), fp.sum(), fn.sum())
    present = [
        label for i, label in enumerate(label_ids) if y_true[:, i].any() or y_pred[:, i].any()
    ]
    macro = {
        key: round(float(np.mean([per_label[label][key] for label in present])), 6)
        if present
        else 0.0
        for key in ("precision", "recall", "f1")
    }
    empty_true, empty_pred = ~y_true.any(1), ~y_pred.any(1)
    ep, er, ef = prf(
        (empty_true & empty_pred).sum(),
        (~empty_true & empty_pred).sum(),
        (empty_true & ~empty_pred).sum(),
    )
    return {
        "n_articles": len(y_true),
        "micro": {"precision": p, "recall": r, "f1": f},
        "macro": macro,
        "subset_accuracy": round(float((y_true == y_pred).all(1).mean()), 6)
        if len(y_true)
        else 0.0,
        "empty_set": {
            "precision": ep,
            "recall": er,
            "f1": ef,
            "support": int(empty_true.sum()),
            "predicted": int(empty_pred.sum()),
        },
        "per_label": per_label,
    }


def calibration_table(targets: np.ndarray, proba: np.ndarray, bins: int = 10) -> list[dict]:
    """Reliability table over all (article, label) pairs: mean score vs. observed frequency.

    >>> calibration_table(np.array([[1, 0]]), np.array([[0.95, 0.05]]), bins=2)
    [{'bin': '0.0-0.5', 'n': 1, 'mean_score': 0.05, 'observed': 0.0}, {'bin': '0.5-1.0', 'n': 1, 'mean_score': 0.95, 'observed': 1.0}]
    """
    scores, truth = np.asarray(proba).ravel(), np.asarray(targets).ravel()
    edges = np.linspace(0, 1, bins + 1)
    table = []
    for low, high in itertools.pairwise(edges):
        inside = (scores >= low) & ((scores < high) if high < 1 else (scores <= high))
        if inside.any():
            table.append(
                {
                    "bin": f"{low:.1f}-{high:.1f}",
                    "n": int(inside.sum()),
                    "mean_score": round(float(scores[inside].mean()), 4),
                    "observed": round(float(truth[inside].mean()), 4),
                }
            )
    return table


def pooled_f1(reports: Sequence[dict]) -> dict[str, float]:
    """Micro- and macro-F1 over the articles of several :func:`multilabel_report` results together.

    The per-label counts are recovered from each report (recall × support, predicted), so the
    result equals the report of the concatenated sets.

    >>> a = multilabel_report(np.array([[1, 0]]), np.array([[1, 0]]), ["x", "y"])
    >>> b = multilabel_report(np.array([[0, 1]]), np.array([[1, 0]]), ["x", "y"])
    >>> pooled_f1([a, b])
    {'micro': 0.5, 'macro': 0.333334}
    """
    labels = list(reports[0]["per_label"])
    tp = {label: 0 for label in labels}
    predicted = dict(tp)
    support = dict(tp)
    for report in reports:
        for label in labels:
            row = report["per_label"][label]
            tp[label] += round(row["recall"] * row["support"])
            predicted[label] += row["predicted"]
            support[label] += row["support"]
    micro = prf(
        sum(tp.values()),
        sum(predicted.values()) - sum(tp.values()),
        sum(support.values()) - sum(tp.values()),
    )[2]
    present = [label for label in labels if support[label] or predicted[label]]
    macro = [
        prf(tp[label], predicted[label] - tp[label], support[label] - tp[label])[2]
        for label in present
    ]
    return {"micro": micro, "macro": round(float(np.mean(macro)), 6) if macro else 0.0}
