"""Hybrid: lead position prior + TextRank centrality + similarity to the title.

News puts its point first (the inverted pyramid), which is why Lead-3 is hard to beat; centrality
and the headline add what the lead misses. Centrality and title similarity are
min-max normalised and mixed with fixed weights chosen before looking at the dev set (position
1, centrality 0.5, title 0.5); the dev set only checks the result (``scripts/eval_summarize.py``).
"""

from __future__ import annotations

import numpy as np

from .base import Layout, Summarizer
from .textrank import centrality, char_tfidf


def _minmax(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


class HybridSummarizer(Summarizer):
    """Position prior, TextRank centrality and title similarity, mixed linearly.

    Args:
        position_weight: Weight of the ``1 / (1 + i)`` position prior.
        centrality_weight: Weight of TextRank centrality.
        title_weight: Weight of cosine similarity to the title (ignored without a title).

    >>> HybridSummarizer()(["天气晴。", "县里推进数字政府改革。", "改革让群众少跑腿。"], k=1,
    ...                    title="数字政府改革").indices
    [1]
    """

    name = "hybrid"

    def __init__(
        self,
        position_weight: float = 1.0,
        centrality_weight: float = 0.5,
        title_weight: float = 0.5,
    ) -> None:
        self.position_weight = position_weight
        self.centrality_weight = centrality_weight
        self.title_weight = title_weight

    def score(
        self, sentences: list[str], title: str | None = None, layout: Layout | None = None
    ) -> np.ndarray:
        n = len(sentences)
        position = 1.0 / (1.0 + np.arange(n, dtype=float))
        if n == 1:
            return position
        vectors = char_tfidf(sentences, title if title else None)
        sentence_vectors = vectors[:n]
        central = _minmax(centrality(sentence_vectors))
        score = self.position_weight * position + self.centrality_weight * central
        if title:
            title_similarity = (sentence_vectors @ vectors[n].T).toarray().ravel()
            score = score + self.title_weight * _minmax(title_similarity)
        return score
