"""Lead: the first sentences, the classic news baseline."""

from __future__ import annotations

import numpy as np

from .base import Layout, Summarizer


class LeadSummarizer(Summarizer):
    """Scores sentences by position: the first is best.

    >>> LeadSummarizer()(["甲。", "乙。", "丙。"], k=2).sentences
    ['甲。', '乙。']
    """

    name = "lead"

    def score(
        self, sentences: list[str], title: str | None = None, layout: Layout | None = None
    ) -> np.ndarray:
        n = len(sentences)
        return 1.0 - np.arange(n, dtype=float) / max(n, 1)
