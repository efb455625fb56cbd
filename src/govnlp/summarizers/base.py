"""The interface shared by every extractive method: score sentences, then select."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ..text import clauses, paragraph_sentences

__all__ = ["UNITS", "Layout", "Summarizer", "Summary", "select", "split_units"]

# What a summary is made of: whole sentences, or clauses cut at ，；： (issue 20).
UNITS = ("sentence", "clause")


@dataclass(frozen=True)
class Layout:
    """Where each unit of an article sits: its paragraph and its sentence.

    Clauses of one sentence share its sentence index. A bare list of sentences has no known
    paragraphs: :meth:`flat` puts them all in one.

    >>> Layout.flat(2)
    Layout(paragraphs=(0, 0), sentences=(0, 1))
    """

    paragraphs: tuple[int, ...]
    sentences: tuple[int, ...]

    @classmethod
    def flat(cls, n: int) -> Layout:
        return cls(paragraphs=(0,) * n, sentences=tuple(range(n)))


def split_units(text: str, unit: str = "sentence") -> tuple[list[str], Layout]:
    """The article's sentences (or clauses) in order, with their layout.

    >>> units, layout = split_units("今年以来，全县新建学校12所，改造校舍3万平方米。\\n天气晴。", "clause")
    >>> units, layout.paragraphs, layout.sentences
    (['今年以来，全县新建学校12所，', '改造校舍3万平方米。', '天气晴。'], (0, 0, 1), (0, 0, 1))
    """
    if unit not in UNITS:
        raise ValueError(f"unknown summary unit {unit!r}: use {' or '.join(UNITS)}")
    units: list[str] = []
    paragraphs: list[int] = []
    sentence_ids: list[int] = []
    sentence_id = 0
    for paragraph, sentences in enumerate(paragraph_sentences(text)):
        for sentence in sentences:
            pieces = clauses(sentence) if unit == "clause" else [sentence]
            units.extend(pieces)
            paragraphs.extend([paragraph] * len(pieces))
            sentence_ids.extend([sentence_id] * len(pieces))
            sentence_id += 1
    return units, Layout(tuple(paragraphs), tuple(sentence_ids))


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
    vectors: np.ndarray | sparse.spmatrix | None = None,
    redundancy: float = 0.0,
) -> list[int]:
    """Indices of the best sentences, in document order.

    ``k`` is a count (``k >= 1``) or a ratio of the sentence count (``0 < k < 1``). With
    ``max_chars``, sentences are taken best first while the summary stays within the budget
    (whole sentences only; one that does not fit is skipped, a shorter later one may still fit).
    With ``vectors`` (L2-normalised rows, dense or sparse) and ``redundancy > 0``, the pick is
    maximal marginal relevance (Carbonell & Goldstein, SIGIR 1998): each candidate's score is
    lowered by ``redundancy`` times its highest cosine similarity to a sentence already chosen.

    >>> select(["a。", "bb。", "c。"], np.array([0.1, 0.9, 0.5]), 2, None)
    [1, 2]
    """
    n = len(sentences)
    if k <= 0:
        raise ValueError(f"k must be a count >= 1 or a ratio in (0, 1), got {k}")
    if n == 0:
        return []
    count = max(1, round(k * n)) if k < 1 else int(k)
    lengths = [len(sentence) for sentence in sentences]
    shortest = min(lengths)
    use_mmr = vectors is not None and redundancy > 0
    # Without MMR the order is fixed, so sort once (a ratio k over a 1 MB text picks thousands).
    order = iter(sorted(range(n), key=lambda i: (-scores[i], i)))
    available = np.ones(n, dtype=bool)
    penalty = np.zeros(n)
    chosen: list[int] = []
    used = 0
    for _ in range(n):
        if len(chosen) >= count or (max_chars is not None and max_chars - used < shortest):
            break
        if use_mmr:
            # np.argmax takes the first maximum: ties go to the earlier sentence.
            best = int(np.argmax(np.where(available, scores - redundancy * penalty, -np.inf)))
            available[best] = False
        else:
            best = next(order)
        if max_chars is not None and used + lengths[best] > max_chars:
            continue
        chosen.append(best)
        used += lengths[best]
        if use_mmr:
            similarity = vectors @ vectors[best].T
            similarity = similarity.toarray() if sparse.issparse(similarity) else similarity
            penalty = np.maximum(penalty, np.asarray(similarity).ravel())
    return sorted(chosen)


class Summarizer:
    """Base class: subclasses implement :meth:`score`; selection is shared.

    Units are sentences or clauses (:func:`split_units`); ``layout`` says where each sits. A
    subclass that has unit vectors overrides :meth:`score_with_vectors` and sets ``redundancy``
    to select by maximal marginal relevance.
    """

    name = "base"
    redundancy = 0.0

    def score(
        self, sentences: list[str], title: str | None = None, layout: Layout | None = None
    ) -> np.ndarray:
        """One score per unit; higher is more summary-worthy."""
        raise NotImplementedError

    def score_with_vectors(
        self, sentences: list[str], title: str | None = None, layout: Layout | None = None
    ) -> tuple[np.ndarray, np.ndarray | sparse.spmatrix | None]:
        """Scores and, where the method has them, L2-normalised unit vectors."""
        return self.score(sentences, title, layout), None

    def choose(
        self,
        sentences: list[str],
        k: float = 3,
        max_chars: int | None = None,
        title: str | None = None,
        layout: Layout | None = None,
    ) -> list[int]:
        """Indices of the chosen units, in document order."""
        return self(sentences, k=k, max_chars=max_chars, title=title, layout=layout).indices

    def __call__(
        self,
        sentences: list[str],
        k: float = 3,
        max_chars: int | None = None,
        title: str | None = None,
        layout: Layout | None = None,
    ) -> Summary:
        if not sentences:
            select(sentences, np.zeros(0), k, max_chars)  # validates k
            return Summary(method=self.name)
        if layout is not None and len(layout.sentences) != len(sentences):
            raise ValueError(f"layout has {len(layout.sentences)} units, text {len(sentences)}")
        scores, vectors = self.score_with_vectors(sentences, title, layout)
        chosen = select(sentences, scores, k, max_chars, vectors, self.redundancy)
        return Summary(
            sentences=[sentences[i] for i in chosen],
            indices=chosen,
            scores=[float(scores[i]) for i in chosen],
            method=self.name,
        )
