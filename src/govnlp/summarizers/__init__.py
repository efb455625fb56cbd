"""Extractive summaries: pick the sentences that best summarise an article, in document order.

One method per module on a shared base (:class:`Summarizer`): ``lead``, ``textrank``, ``hybrid``
and ``embedding``. ``method="auto"`` uses the best one measured on the summaries dev set
(docs/summaries.md, ``scripts/eval_summarize.py``).
"""

from __future__ import annotations

from ..text import sentences as split_into_sentences
from .base import Summarizer, Summary, select
from .hybrid import HybridSummarizer
from .lead import LeadSummarizer
from .textrank import TextRankSummarizer

__all__ = [
    "AUTO_METHOD",
    "HybridSummarizer",
    "LeadSummarizer",
    "Summarizer",
    "Summary",
    "TextRankSummarizer",
    "get_summarizer",
    "select",
    "summarize",
]

# The best method on the summaries dev set (README table); it needs no neural model.
AUTO_METHOD = "hybrid"


def get_summarizer(method: str = "auto") -> Summarizer:
    """A summarizer by name: ``auto``, ``lead``, ``textrank``, ``hybrid`` or ``embedding``.

    >>> get_summarizer("lead").name
    'lead'
    """
    name = AUTO_METHOD if method == "auto" else method
    if name == "lead":
        return LeadSummarizer()
    if name == "textrank":
        return TextRankSummarizer()
    if name == "hybrid":
        return HybridSummarizer()
    if name == "embedding":
        from .embedding import EmbeddingSummarizer

        return EmbeddingSummarizer()
    raise ValueError(
        f"unknown summary method {method!r}: use auto, lead, textrank, hybrid, embedding"
    )


def summarize(
    text: str,
    k: float = 3,
    *,
    max_chars: int | None = None,
    method: str | Summarizer = "auto",
    title: str | None = None,
) -> Summary:
    """Summarise one article by extracting sentences.

    Args:
        text: The article body (any mix of full-width and ASCII punctuation).
        k: Number of sentences (``k >= 1``) or a ratio of them (``0 < k < 1``).
        max_chars: Cap on the summary's length in characters (whole sentences only).
        method: A method name or a :class:`Summarizer` instance.
        title: The headline, used by methods that compare sentences with it.

    Returns:
        A :class:`Summary` with the sentences in document order, their indices and scores.

    >>> summarize("县里开会。会议部署了改革。天气晴。", k=1, method="lead").sentences
    ['县里开会。']
    >>> summarize("", k=3).sentences
    []
    """
    summarizer = get_summarizer(method) if isinstance(method, str) else method
    return summarizer(split_into_sentences(text), k=k, max_chars=max_chars, title=title)
