"""TextRank: graph centrality over character n-gram TF-IDF similarity.

Mihalcea & Tarau, *TextRank: Bringing Order into Texts* (EMNLP 2004). Chinese needs no word
segmentation here: sentences are compared as bags of character uni- and bigrams, so the method is
fast and has no dictionary to go stale.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import numpy as np
from scipy import sparse

from .base import Layout, Summarizer

_PUNCT = "，。！？、；：“”‘’（）《》「」【】…—,.!?;:()\"' \n\t"
_DELETE = str.maketrans("", "", _PUNCT)


def char_tfidf(sentences: list[str], title: str | None = None) -> sparse.csr_matrix:
    """L2-normalised character 1-2-gram TF-IDF rows for the sentences (and the title, last).

    Sublinear term frequency and smoothed idf, as scikit-learn's ``TfidfVectorizer`` computes
    them; written out here because fitting a vectorizer per article costs more than the whole
    TextRank computation.

    >>> char_tfidf(["政府。", "政府改革。"]).shape  # 政 府 改 革 政府 府改 改革
    (2, 7)
    """
    docs = [s.translate(_DELETE) for s in sentences]
    if title is not None:
        docs.append(title.translate(_DELETE))
    vocab: dict[str, int] = {}
    indptr, indices, counts = [0], [], []
    for doc in docs:
        grams = Counter(doc)
        grams.update([a + b for a, b in pairwise(doc)])
        for gram, count in grams.items():
            indices.append(vocab.setdefault(gram, len(vocab)))
            counts.append(count)
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.array(counts, dtype=float), indices, indptr), shape=(len(docs), max(len(vocab), 1))
    )
    matrix.data = 1.0 + np.log(matrix.data)
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    matrix = matrix @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ matrix


def pagerank(similarity: np.ndarray, damping: float = 0.85, iterations: int = 50) -> np.ndarray:
    """Power-iteration PageRank over a weighted, undirected similarity graph.

    >>> pagerank(np.array([[0, 1.0], [1.0, 0]])).round(2).tolist()
    [0.5, 0.5]
    """
    n = similarity.shape[0]
    weights = similarity.copy()
    np.fill_diagonal(weights, 0.0)
    out = weights.sum(axis=1, keepdims=True)
    # Sentences with no neighbour spread their rank evenly (the usual dangling-node fix).
    transition = np.where(out > 0, weights / np.where(out > 0, out, 1.0), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        updated = (1 - damping) / n + damping * transition.T @ rank
        if np.abs(updated - rank).sum() < 1e-8:
            rank = updated
            break
        rank = updated
    return rank


# Above this many sentences the n x n similarity graph stops fitting in memory (a 1 MB text has
# ~60k sentences); centrality then falls back to similarity with the document's summed vector,
# the degree centrality that PageRank refines (Erkan & Radev, LexRank, JAIR 2004).
MAX_GRAPH_SENTENCES = 1500


def centrality(vectors: sparse.csr_matrix) -> np.ndarray:
    """PageRank centrality of the rows' cosine-similarity graph (degree centrality when huge).

    >>> centrality(char_tfidf(["政府改革。", "改革政府。", "下雨。"])).argmin()
    np.int64(2)
    """
    if vectors.shape[0] > MAX_GRAPH_SENTENCES:
        return np.asarray(vectors @ vectors.sum(axis=0).T).ravel()
    return pagerank((vectors @ vectors.T).toarray())


class TextRankSummarizer(Summarizer):
    """Sentence centrality (PageRank) over character n-gram TF-IDF cosine similarity.

    >>> TextRankSummarizer()(["政府推进改革。", "改革推进了。", "天气晴。"], k=1).indices
    [0]
    """

    name = "textrank"

    def score(
        self, sentences: list[str], title: str | None = None, layout: Layout | None = None
    ) -> np.ndarray:
        if len(sentences) == 1:
            return np.ones(1)
        return centrality(char_tfidf(sentences))
