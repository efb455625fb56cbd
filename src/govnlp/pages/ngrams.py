"""Character n-gram statistics of running text, and what they say about a line break.

Across a column break the sentence reads on; across a paragraph break one paragraph ends and the
next starts. A character 4-gram model with Witten-Bell interpolation (Witten & Bell 1991), counted
on corpus articles, scores both readings of every break (issue #3; figures in docs/pages.md). The
n-grams are stored as exact 32-bit keys: hashed count buckets collided so often that 3- and 4-gram
estimates were noise.
"""

from __future__ import annotations

import collections
import itertools
import math
import zlib
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

__all__ = [
    "BreakStatistics",
    "NgramCounts",
    "association",
    "break_statistics",
    "ngram_key",
    "ngram_statistics",
]

NGRAM_ORDER = 4
_LOOKAHEAD = 3  # characters after a break that the continuation test reads
_PARAGRAPH = "\n"  # the paragraph boundary symbol of the counts
_COUNT_SCALE = 8.0  # counts are stored as round(8 ln count) in one byte: 6% steps


def ngram_key(ngram: str) -> int:
    return zlib.crc32(ngram.encode("utf-8"))


def ngram_statistics(texts: Iterable[str], min_count: int = 2) -> dict[str, np.ndarray]:
    """Character 1- to 4-gram counts of running text, for the page model.

    Paragraphs are separated by ``"\\n"`` in each text; the counts include that boundary, so
    they also say how paragraphs end and start. N-grams seen fewer than ``min_count`` times
    (all characters are kept) are dropped: most 4-grams are seen once, and an article's own
    rare n-grams would make a page built from it look easier than a new one.

    >>> stats = ngram_statistics(["县里建了污水处理厂\\n污水处理厂投入运行"])
    >>> sorted(stats)
    ['ngram_counts', 'ngram_followers', 'ngram_keys', 'ngram_total']
    """
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for text in texts:
        padded = _PARAGRAPH + text + _PARAGRAPH
        total += len(padded)
        for n in range(1, NGRAM_ORDER + 1):
            counts.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    # How many different characters follow each context, before rare n-grams are dropped: the
    # Witten-Bell weight of the shorter context.
    followers: collections.Counter[str] = collections.Counter(g[:-1] for g in counts if len(g) > 1)
    kept = [g for g, c in counts.items() if c >= min_count or len(g) == 1]
    keys = np.array([ngram_key(g) for g in kept], dtype=np.uint32)
    # Two n-grams with one key (rare with 32 bits) share the sums of their counts.
    keys, inverse = np.unique(keys, return_inverse=True)
    values = np.bincount(inverse, weights=[counts[g] for g in kept])
    types = np.bincount(inverse, weights=[followers[g] for g in kept])
    return {
        "ngram_keys": keys,
        "ngram_counts": _to_byte(values),
        "ngram_followers": _to_byte(1 + types),
        "ngram_total": np.array([total], dtype=np.float64),
    }


def _to_byte(values: np.ndarray) -> np.ndarray:
    return np.round(_COUNT_SCALE * np.log(values)).clip(0, 255).astype(np.uint8)


def _from_byte(values: np.ndarray) -> np.ndarray:
    return np.exp(values.astype(np.float64) / _COUNT_SCALE)


class NgramCounts:
    """Look up the counts of many n-grams at once in the sorted keys of the statistics."""

    def __init__(self, statistics: dict[str, np.ndarray]) -> None:
        self.arrays = {name: a for name, a in statistics.items() if name.startswith("ngram_")}
        self.keys = statistics["ngram_keys"]
        self.counts = _from_byte(statistics["ngram_counts"])
        self.followers = _from_byte(statistics["ngram_followers"]) - 1
        self.total = float(statistics["ngram_total"][0])

    def __call__(self, ngrams: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Counts of ``ngrams`` and of the different characters that follow each of them."""
        if not ngrams or not len(self.keys):
            return np.zeros(len(ngrams)), np.zeros(len(ngrams))
        hashes = np.fromiter(map(ngram_key, ngrams), dtype=np.uint32, count=len(ngrams))
        positions = np.minimum(np.searchsorted(self.keys, hashes), len(self.keys) - 1)
        found = self.keys[positions] == hashes
        counts = np.where(found, self.counts[positions], 0.0)
        followers = np.where(found, self.followers[positions], 0.0)
        return counts, followers


class BreakStatistics(NamedTuple):
    """What the n-gram counts say about the break between two lines (see :func:`break_statistics`)."""

    ratio: float  # log-likelihood ratio of "joined" against "separate"
    end: float  # log probability that a paragraph ends after the first line
    pair: int  # bucketed PMI of the two characters at the break
    ends: int  # ... of the last character and a paragraph end
    starts: int  # ... of a paragraph start and the first character


def _probabilities(
    queries: list[tuple[str, str]], lookup: NgramCounts
) -> tuple[np.ndarray, dict[str, float]]:
    """Witten-Bell interpolated probability of each ``(context, char)`` query: each longer
    context trusts its own counts as much as it has seen few different followers. Also
    returns the counts of the n-grams looked up, by n-gram."""
    index: dict[str, int] = {}  # every n-gram the queries need, once
    chars = [index.setdefault(char, len(index)) for _, char in queries]
    m = NGRAM_ORDER - 1
    contexts = np.full((len(queries), m), -1)  # the last n characters of the context ...
    followed = np.full((len(queries), m), -1)  # ... and the same followed by the character
    for q, (context, char) in enumerate(queries):
        for n in range(1, min(len(context), m) + 1):
            near = context[-n:]
            contexts[q, n - 1] = index.setdefault(near, len(index))
            followed[q, n - 1] = index.setdefault(near + char, len(index))
    counts, followers = lookup(list(index))
    p = (counts[chars] + 0.5) / lookup.total
    for n in range(m):
        # a context shorter than n (-1) counts as unseen; one seen only at the end of texts has
        # no followers: it keeps one
        seen = np.where(contexts[:, n] >= 0, counts[contexts[:, n]], 0.0)
        kinds = np.maximum(followers[contexts[:, n]], 1.0)
        interpolated = (np.minimum(counts[followed[:, n]], seen) + kinds * p) / (seen + kinds)
        p = np.where(seen > 0, interpolated, p)
    return p, dict(zip(index, counts.tolist()))


def _queries(left: str, right: str) -> list[tuple[str, str]]:
    """(context, character) pairs whose probabilities the continuation test needs: the end of
    ``left`` followed by a paragraph end, then each of the first characters of ``right`` after
    ``left`` (joined) and after a paragraph start (separate)."""
    m = NGRAM_ORDER - 1
    tail, head = left[-m:], right[:_LOOKAHEAD]
    queries = [(tail, _PARAGRAPH)]
    for i, char in enumerate(head):
        queries += [((tail + head[:i])[-m:], char), ((_PARAGRAPH + head[:i])[-m:], char)]
    return queries


def break_statistics(lines: list[str], counts: NgramCounts | None) -> list[BreakStatistics]:
    """For each pair of consecutive lines: does the second continue the first?

    The log-likelihood ratio of "one paragraph across the break" against "a paragraph ends,
    another starts" under the character n-gram counts shipped with the page model (the first
    characters of the second line read after the end of the first, or after a paragraph end),
    with the pair statistics at the break (see :class:`BreakStatistics`). Reading the end of
    the first line backwards gave the same ratios on validation pages (both estimate the same
    joint probability), so only the forward reading is kept.

    Without counts (``None``) every break gets neutral values.

    >>> counts = NgramCounts(ngram_statistics(["嘉兴市拓宽了思路。\\n河水清了。"] * 3))
    >>> ratio = break_statistics(["发挥作用,嘉", "兴市拓宽了思路。"], counts)[0].ratio
    >>> ratio > break_statistics(["河水清了。", "兴市拓宽了思路。"], counts)[0].ratio
    True
    """
    if counts is None or len(lines) < 2:
        return [BreakStatistics(0.0, 0.0, 0, 0, 0)] * max(0, len(lines) - 1)
    pairs = list(itertools.pairwise(lines))
    queries = [_queries(left, right) for left, right in pairs]
    # Every distinct query once: the same line ends and starts recur on a page.
    distinct = list(dict.fromkeys(q for pair_queries in queries for q in pair_queries))
    probabilities, seen = _probabilities(distinct, counts)
    log_p = dict(zip(distinct, np.log(probabilities).tolist()))
    total = counts.total

    # The queries' n-grams include the pairs that the PMI features need: last character +
    # first, last + paragraph end, paragraph start + first.
    def pmi(a: str, b: str) -> int:
        pair = seen[a + b]
        if pair <= 0:
            return -9
        value = math.log(pair * total / (max(seen[a], 1.0) * max(seen[b], 1.0)))
        return min(12, max(-8, math.floor(value)))

    statistics = []
    for (left, right), pair_queries in zip(pairs, queries):
        end = log_p[pair_queries[0]]
        joined = sum(log_p[q] for q in pair_queries[1::2])
        separate = end + sum(log_p[q] for q in pair_queries[2::2])
        statistics.append(
            BreakStatistics(
                joined - separate,
                end,
                pmi(left[-1], right[0]),
                pmi(left[-1], _PARAGRAPH),
                pmi(_PARAGRAPH, right[0]),
            )
        )
    return statistics


def association(left: str, right: str, counts: NgramCounts | None) -> int:
    """Bucketed pointwise mutual information of two characters in running text.

    High when ``left + right`` is a common pair (``嘉|兴``): a column break inside a word. With
    ``"\\n"`` on one side it says how readily paragraphs end or start with the other character.

    >>> counts = NgramCounts(ngram_statistics(["嘉兴市拓宽了思路。", "县里开会。"] * 3))
    >>> association("嘉", "兴", counts) > association("。", "县", counts)
    True
    """
    return break_statistics([left, right], counts)[0].pair
