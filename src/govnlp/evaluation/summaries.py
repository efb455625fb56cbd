"""Score extractive summaries against references: character ROUGE with bootstrap intervals.

Chinese ROUGE here counts characters, with punctuation and whitespace removed (``rouge-score``
with a character tokenizer), so no word segmenter decides the score. Needs ``govnlp[eval]``.

>>> scores = rouge_scores(["县里推进改革见效"], ["县里推进改革。"])
>>> scores.round(1).tolist()
[[85.7, 83.3, 85.7]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..summarizers.features import content_chars

__all__ = ["bootstrap_interval", "rouge_scores"]


class _CharTokenizer:
    """Characters, with punctuation and whitespace removed."""

    def tokenize(self, text: str) -> list[str]:
        return list(content_chars(text))


def rouge_scores(references: Sequence[str], summaries: Sequence[str]) -> np.ndarray:
    """ROUGE-1, -2 and -L F1 (in %) per article: an array of shape ``(articles, 3)``."""
    try:
        from rouge_score import rouge_scorer
    except ImportError as exc:
        raise ImportError(
            "scoring summaries needs rouge-score: pip install 'govnlp[eval]'"
        ) from exc
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=_CharTokenizer())
    rows = []
    for reference, summary in zip(references, summaries, strict=True):
        result = scorer.score(reference, summary)
        rows.append([100 * result[key].fmeasure for key in ("rouge1", "rouge2", "rougeL")])
    return np.array(rows).reshape(-1, 3)


def bootstrap_interval(
    values: np.ndarray, *, resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean over articles (rows of ``values``).

    >>> low, high = bootstrap_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    >>> 1.0 <= low <= 2.5 <= high <= 4.0
    True
    """
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)
