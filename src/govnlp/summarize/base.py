"""The interface shared by every extractive method: score sentences, then select."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Summarizer", "Summary", "select"]


@dataclass
class Summary:
    """An extractive summary.

    Attributes:
        sentences: The chosen sentences, in document order.
        indices: Their positions in the article's sentence list.
        scores: Their scores under the method that chose them.
        method: The method's name.
    """

    sentences: list[str] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    method: str = ""

    @property
    def text(self) -> str:
        """The summary as one string."""
        return "".join(self.sentences)


def select(sentences: list[str], scores: np.ndarray, k: float, max_chars: int | None) -> list[int]:
    """Indices of the best sentences, in document order.

    ``k`` is a count (``k >= 1``) or a ratio of the sentence count (``0 < k < 1``). With
    ``max_chars``, sentences are taken best first while the summary stays within the budget
    (whole sentences only; one that does not fit is skipped, a shorter later one may still fit).

    >>> select(["a。", "bb。", "c。"], np.array([0.1, 0.9, 0.5]), 2, None)
    [1, 2]
    """
    n = len(sentences)
    if n == 0:
        return []
    if k <= 0:
        raise ValueError(f"k must be a count >= 1 or a ratio in (0, 1), got {k}")
    count = max(1, round(k * n)) if k < 1 else int(k)
    order = sorted(range(n), key=lambda i: (-scores[i], i))
    chosen: list[int] = []
    used = 0
    for i in order:
        if len(chosen) >= count:
            break
        if max_chars is not None and used + len(sentences[i]) > max_chars:
            continue
        chosen.append(i)
        used += len(sentences[i])
    return sorted(chosen)


class Summarizer:
    """Base class: subclasses implement :meth:`score`; selection is shared."""

    name = "base"

    def score(self, sentences: list[str], title: str | None = None) -> np.ndarray:
        """One score per sentence; higher is more summary-worthy."""
        raise NotImplementedError

    def choose(
        self,
        sentences: list[str],
        k: float = 3,
        max_chars: int | None = None,
        title: str | None = None,
    ) -> list[int]:
        """Indices of the chosen sentences, in document order."""
        return self(sentences, k=k, max_chars=max_chars, title=title).indices

    def __call__(
        self,
        sentences: list[str],
        k: float = 3,
        max_chars: int | None = None,
        title: str | None = None,
    ) -> Summary:
        scores = self.score(sentences, title) if sentences else np.zeros(0)
        chosen = select(sentences, scores, k, max_chars) if sentences else []
        return Summary(
            sentences=[sentences[i] for i in chosen],
            indices=chosen,
            scores=[float(scores[i]) for i in chosen],
            method=self.name,
        )
