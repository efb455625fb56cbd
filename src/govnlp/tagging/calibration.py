"""From logits to decisions: temperature, the lexical mix, and per-theme thresholds.

Everything here is chosen on held-out *training* articles (the validation slice) and saved with
the model; the dev files are only scored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..evaluation.metrics import prf

__all__ = ["apply_thresholds", "fit_temperature", "mix", "sigmoid", "tune_thresholds"]


def sigmoid(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """``1 / (1 + exp(-logits / temperature))`` in float64.

    >>> sigmoid(np.array([0.0, 2.0]), temperature=2.0).round(4)
    array([0.5   , 0.7311])
    """
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64) / temperature))


def mix(encoder_proba: np.ndarray, lexical_proba: np.ndarray, weight: float) -> np.ndarray:
    """The tagger's probabilities: ``weight`` of the encoder's, the rest the lexical model's.

    >>> mix(np.array([0.9]), np.array([0.5]), 0.75)
    array([0.8])
    """
    return weight * encoder_proba + (1.0 - weight) * lexical_proba


def apply_thresholds(
    proba: np.ndarray, thresholds: np.ndarray, max_labels: int | None = None
) -> np.ndarray:
    """0/1 decisions: ``proba >= thresholds``, keeping at most ``max_labels`` best per row.

    >>> apply_thresholds(np.array([[0.9, 0.8, 0.1]]), np.array([0.5, 0.5, 0.5]), 1)
    array([[ True, False, False]])
    """
    proba = np.atleast_2d(proba)
    chosen = proba >= thresholds
    if max_labels is not None:
        rank = np.argsort(np.argsort(-proba, axis=1, kind="stable"), axis=1, kind="stable")
        chosen &= rank < max_labels
    return chosen


def tune_thresholds(
    y_true: np.ndarray,
    proba: np.ndarray,
    *,
    grid: Sequence[float] | None = None,
    shrinkage: float = 40.0,
) -> np.ndarray:
    """Per-label thresholds on held-out predictions, shrunk towards one shared threshold.

    Each label's F1-best threshold is averaged with the threshold that maximises micro-F1 over
    all labels, weighted by the label's positives and ``shrinkage`` pseudo-positives: a threshold
    fitted to a few dozen articles overfits them (issue #6; figures in docs/tagger.md).

    Args:
        y_true: 0/1 matrix of held-out labels.
        proba: Probabilities, same shape.
        grid: Candidate thresholds (default 0.05 … 0.95 by 0.01).
        shrinkage: Pseudo-positives of the shared threshold; ``0`` = free per-label
            thresholds, ``inf`` = the shared threshold for every label.

    >>> truth, proba = np.array([[1, 1], [0, 0]] * 5), np.array([[0.7, 0.9], [0.4, 0.6]] * 5)
    >>> tune_thresholds(truth, proba, shrinkage=0).round(2)
    array([0.41, 0.61])
    >>> tune_thresholds(truth, proba, shrinkage=float("inf")).round(2)
    array([0.61, 0.61])
    """
    y_true = np.asarray(y_true, dtype=bool)
    proba = np.asarray(proba, dtype=np.float64)
    grid = np.asarray(grid if grid is not None else np.round(np.arange(0.05, 0.951, 0.01), 2))

    def best(truth: np.ndarray, scores: np.ndarray) -> float:
        f1s = []
        for cut in grid:
            pred = scores >= cut
            f1s.append(prf((truth & pred).sum(), (~truth & pred).sum(), (truth & ~pred).sum())[2])
        return float(grid[int(np.argmax(f1s))])

    shared = best(y_true.ravel(), proba.ravel())
    own = np.array([best(y_true[:, i], proba[:, i]) for i in range(y_true.shape[1])])
    positives = y_true.sum(axis=0).astype(np.float64)
    # A label's own threshold counts as much as its positives; none at all -> the shared one.
    weight = np.divide(
        positives, positives + shrinkage, out=np.zeros_like(positives), where=positives > 0
    )
    return weight * own + (1 - weight) * shared


def fit_temperature(y_true: np.ndarray, logits: np.ndarray) -> float:
    """The temperature ``T`` minimising the log-loss of ``sigmoid(logits / T)`` (Guo et al., 2017).

    >>> round(fit_temperature(np.array([[1], [0]] * 50), np.array([[8.0], [-8.0]] * 50)), 2)
    0.25
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    z = np.asarray(logits, dtype=np.float64).ravel()
    best_t, best_loss = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.25), np.log(4.0), 121)):
        p = np.clip(1.0 / (1.0 + np.exp(-z / t)), 1e-7, 1 - 1e-7)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t
