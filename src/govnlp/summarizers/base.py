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


def select(
    sentences: list[str],
    scores: np.ndarray,
    k: float,
    max_chars: int | None,
    vectors: np.ndarray | None = None,
    redundancy: float = 0.0,
) -> list[int]:
    """Indices of the best sentences, in document order.

    ``k`` is a count (``k >= 1``) or a ratio of the sentence count (``0 < k < 1``). With
    ``max_chars``, sentences are taken best first while the summary stays within the budget
    (whole sentences only; one that does not fit is skipped, a shorter later one may still fit).
    With ``vectors`` (L2-normalised rows) and ``redundancy > 0``, the pick is maximal marginal
    relevance (Carbonell & Goldstein, SIGIR 1998): each candidate's score is lowered by
    ``redundancy`` times its highest cosine similarity to a sentence already chosen.

    >>> select(["a。", "bb。", "c。"], np.array([0.1, 0.9, 0.5]), 2, None)
    [1, 2]
    """
    n = len(sentences)
    if k <= 0:
        raise ValueError(f"k must be a count >= 1 or a ratio in (0, 1), got {k}")
    if n == 0:
        return []
    count = max(1, round(k * n)) if k < 1 else int(k)
    use_mmr = vectors is not None and redundancy > 0
    # Without MMR the order is fixed, so sort once (a ratio k over a 1 MB text picks thousands).
    order = iter(sorted(range(n), key=lambda i: (-scores[i], i)))
    candidates = set(range(n))
    chosen: list[int] = []
    used = 0
    while candidates and len(chosen) < count:
        if use_mmr and chosen:
            adjusted = scores - redundancy * (vectors @ vectors[chosen].T).max(axis=1)
            best = max(candidates, key=lambda i: (adjusted[i], -i))
        elif use_mmr:
            best = max(candidates, key=lambda i: (scores[i], -i))
        else:
            best = next(order)
        candidates.discard(best)
        if max_chars is not None and used + len(sentences[best]) > max_chars:
            continue
        chosen.append(best)
        used += len(sentences[best])
    return sorted(chosen)


class Summarizer:
    """Base class: subclasses implement :meth:`score`; selection is shared.

    A subclass that has sentence vectors overrides :meth:`score_with_vectors` and sets
    ``redundancy`` to select by maximal marginal relevance.
    """

    name = "base"
    redundancy = 0.0

    def score(self, sentences: list[str], title: str | None = None) -> np.ndarray:
        """One score per sentence; higher is more summary-worthy."""
        raise NotImplementedError

    def score_with_vectors(
        self, sentences: list[str], title: str | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Scores and, where the method has them, L2-normalised sentence vectors."""
        return self.score(sentences, title), None

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
        if not sentences:
            select(sentences, np.zeros(0), k, max_chars)  # validates k
            return Summary(method=self.name)
        scores, vectors = self.score_with_vectors(sentences, title)
        chosen = select(sentences, scores, k, max_chars, vectors, self.redundancy)
        return Summary(
            sentences=[sentences[i] for i in chosen],
            indices=chosen,
            scores=[float(scores[i]) for i in chosen],
            method=self.name,
        )
