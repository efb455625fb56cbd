"""Extractive summaries: pick the sentences that best summarise an article, in document order.

One method per module on a shared base (:class:`Summarizer`): ``lead``, ``textrank``, ``hybrid``
and ``learned``. ``method="auto"`` uses the best one, cross-validated on the summaries dev set
(docs/summaries.md, ``scripts/eval_summarize.py``). Units are sentences, or clauses cut at
``，；：`` (``unit="clause"``) for tight character budgets.
"""

from __future__ import annotations

import functools

from .base import UNITS, Layout, Summarizer, Summary, select, split_units
from .hybrid import HybridSummarizer
from .lead import LeadSummarizer
from .learned import LearnedSummarizer
from .textrank import TextRankSummarizer

__all__ = [
    "AUTO_METHOD",
    "METHODS",
    "UNITS",
    "HybridSummarizer",
    "Layout",
    "LeadSummarizer",
    "LearnedSummarizer",
    "Summarizer",
    "Summary",
    "TextRankSummarizer",
    "get_summarizer",
    "select",
    "split_units",
    "summarize",
]

METHODS = ("lead", "textrank", "hybrid", "learned")
# The best method cross-validated on the summaries dev set (README table).
AUTO_METHOD = "learned"


def get_summarizer(method: str = "auto", unit: str = "sentence") -> Summarizer:
    """A summarizer by name: ``auto``, ``lead``, ``textrank``, ``hybrid`` or ``learned``.

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
    if name == "learned":
        return _shipped_learned(unit)
    raise ValueError(f"unknown summary method {method!r}: use auto, {', '.join(METHODS)}")


@functools.lru_cache(maxsize=len(UNITS))
def _shipped_learned(unit: str) -> LearnedSummarizer:
    # The shipped model is read once per process and unit; it is never mutated.
    return LearnedSummarizer.from_pretrained(unit=unit)


def summarize(
    text: str,
    k: float = 3,
    *,
    max_chars: int | None = None,
    method: str | Summarizer = "auto",
    title: str | None = None,
    unit: str = "sentence",
) -> Summary:
    """Summarise one article by extracting sentences.

    Args:
        text: The article body (any mix of full-width and ASCII punctuation).
        k: Number of sentences (``k >= 1``) or a ratio of them (``0 < k < 1``).
        max_chars: Cap on the summary's length in characters (whole units only).
        method: A method name or a :class:`Summarizer` instance.
        title: The headline, used by methods that compare sentences with it.
        unit: ``"sentence"``, or ``"clause"`` to extract clauses (cut at ``，；：``) — for a
            tight ``max_chars``; ``k`` then counts clauses.

    Returns:
        A :class:`Summary` with the units in document order (verbatim article text), their
        indices and scores.

    >>> summarize("县里开会。会议部署了改革。天气晴。", k=1, method="lead").sentences
    ['县里开会。']
    >>> summarize("", k=3).sentences
    []
    """
    units, layout = split_units(text, unit)
    summarizer = get_summarizer(method, unit) if isinstance(method, str) else method
    if isinstance(summarizer, LearnedSummarizer):
        summarizer = summarizer.for_unit(unit)
    return summarizer(units, k=k, max_chars=max_chars, title=title, layout=layout)
