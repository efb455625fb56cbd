"""Articles in chunks, windows pooled into articles: the bookkeeping around the encoder's windows."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import numpy as np

__all__ = ["article_chunks", "pool_windows"]


def article_chunks(
    texts: Iterable[str], titles: Iterable[str | None] | None, size: int
) -> Iterator[tuple[list[str], list[str | None]]]:
    """``(texts, titles)`` lists of at most ``size`` articles, consumed lazily from iterables.

    Titles must be as many as texts (``None`` = no titles).

    >>> list(article_chunks(["a", "b", "c"], None, 2))
    [(['a', 'b'], [None, None]), (['c'], [None])]
    """
    pairs = zip(texts, titles, strict=True) if titles is not None else ((t, None) for t in texts)
    while chunk := list(itertools.islice(pairs, size)):
        yield [text for text, _ in chunk], [title for _, title in chunk]


def pool_windows(window_logits: np.ndarray, pooling: str = "max") -> np.ndarray:
    """Pool the window logits of one article: ``"max"``, ``"mean"`` or ``"first"`` window.

    >>> pool_windows(np.array([[1.0, -2.0], [0.0, 3.0]]))
    array([1., 3.])
    """
    if pooling == "max":
        return window_logits.max(axis=0)
    if pooling == "mean":
        return window_logits.mean(axis=0)
    if pooling == "first":
        return window_logits[0]
    raise ValueError(f"unknown pooling {pooling!r} (max, mean, first)")
