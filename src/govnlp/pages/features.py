"""Features of every line of a page for the page model: its shape, its neighbours', the breaks
around it (n-gram statistics and the break reader) and lexical cohesion, hashed into buckets.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import zlib

import numpy as np

from .lexicon import is_credit, is_names
from .ngrams import BreakStatistics, NgramCounts, break_statistics
from .reader import READ_SCALE, BreakReader, break_readings

__all__ = ["N_BUCKETS", "bucket", "char_class", "feature_matrix", "line_vectors", "page_features"]

N_BUCKETS = 1 << 18


def char_class(char: str) -> str:
    if char in "。！？!?":
        return "end"
    if char in "…":
        return "ellipsis"
    if char in "，,、；;：:":
        return "comma"
    if char in "“‘「『《（(【":
        return "open"
    if char in "”’」』》）)】":
        return "close"
    if char.isdigit():
        return "digit"
    if char.isascii() and char.isalpha():
        return "latin"
    if "\u4e00" <= char <= "\u9fff":
        return "cjk"
    return "other"


def line_features(text: str, prefix: str) -> list[str]:
    commas = text.count("，") + text.count(",")
    ends = sum(text.count(mark) for mark in "。！？!?")
    feats = [
        f"{prefix}len={min(len(text), 120) // 4}",
        f"{prefix}commas={min(commas, 4)}",
        f"{prefix}ends={min(ends, 3)}",
        f"{prefix}last={text[-1]}",
        f"{prefix}lastcls={char_class(text[-1])}",
        f"{prefix}first={text[0]}",
        f"{prefix}firstcls={char_class(text[0])}",
        f"{prefix}names={is_names(text)}",
        f"{prefix}credit={is_credit(text)}",
        f"{prefix}space={' ' in text or chr(0x3000) in text}",
        f"{prefix}quote={any(q in text for q in '“”「」')}",
        f"{prefix}end2={text[-2:]}",
        f"{prefix}start2={text[:2]}",
        f"{prefix}short_open={len(text) <= 40 and char_class(text[-1]) not in ('end', 'comma')}",
    ]
    return feats


def break_features(left: str, right: str, statistics: BreakStatistics) -> list[str]:
    """The break between two lines: a word split by a column break (嘉|兴), a sentence that
    reads on across it, or a paragraph that ends."""
    return [
        f"bigram={left[-1]}{right[0]}",
        f"cls={char_class(left[-1])}>{char_class(right[0])}",
        f"pmi={statistics.pair}",
        # Few paragraphs end or start with 的.
        f"end_pmi={statistics.ends}",
        f"start_pmi={statistics.starts}",
        # The continuation tests, finely and coarsely bucketed.
        f"llr={max(-12, min(16, round(statistics.ratio)))}",
        f"llr3={max(-4, min(6, math.floor(statistics.ratio / 3)))}",
        f"end_logp={max(-12, round(statistics.end))}",
    ]


_CJK_RUN = re.compile("[\u4e00-\u9fff]{2,}")


def content_bigrams(text: str) -> frozenset[str]:
    """Pairs of adjacent CJK characters: the content words a title shares with its body."""
    return frozenset(run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1))


def _overlap(shared: int, left: int, right: int) -> int:
    """Bucketed cosine overlap of two bigram sets of sizes ``left`` and ``right`` that share
    ``shared`` bigrams (0 = nothing shared, 10 = the same; -1 = one of them is empty)."""
    if not left or not right:
        return -1
    return min(10, int(10 * shared / math.sqrt(left * right)))


def cohesion_features(grams: list[frozenset[str]]) -> list[list[str]]:
    """Bucketed lexical cohesion around every line, after TextTiling (Hearst 1997).

    A new article changes the vocabulary, a sub-heading inside an article does not, and a
    title echoes its own body: overlaps of the three lines before, the line, and the three after.
    """
    # windows[j]: the bigrams of lines j-3 .. j-1, so the three lines after line i are windows[i + 4]
    windows = [frozenset().union(*grams[max(0, j - 3) : j]) for j in range(len(grams) + 4)]
    features = []
    for i, line in enumerate(grams):
        before, after = windows[i], windows[i + 4]
        across = len(before & after)
        echo_prev, echo_next = before & line, len(line & after)
        # |before & (line | after)| and |line | after| from the intersections already counted,
        # without building that union for every line.
        shared = across + len(echo_prev) - len(echo_prev & after)
        features.append(
            [
                f"c:across={_overlap(across, len(before), len(after))}",
                f"c:break={_overlap(shared, len(before), len(line) + len(after) - echo_next)}",
                f"c:echo_next={_overlap(echo_next, len(line), len(after))}",
                f"c:echo_prev={_overlap(len(echo_prev), len(line), len(before))}",
            ]
        )
    return features


def page_features(lines: list[str], counts: NgramCounts | None = None) -> list[list[str]]:
    """String features of every line: its shape, its neighbours', the breaks and cohesion around it.

    ``counts`` are the character n-gram counts of the break features (none: neutral values).

    >>> page_features(["县里新建了污水处理厂", "污水处理厂投入运行。"])[0][:2]
    ['bias', 'len=2']
    """
    own = [line_features(text, "") for text in lines]
    cohesion = cohesion_features([content_bigrams(text) for text in lines])
    names = [is_names(text) for text in lines]
    # Each break's features once: the line after it sees them as x:, the line before as y:.
    crossings = [
        break_features(left, right, statistics)
        for (left, right), statistics in zip(
            itertools.pairwise(lines), break_statistics(lines, counts)
        )
    ]

    def prefixed(features: list[str], prefix: str) -> list[str]:
        return [prefix + feature for feature in features]

    features = []
    for i, text in enumerate(lines):
        feats = ["bias", *own[i]]
        if i > 0:
            prev = lines[i - 1]
            feats += prefixed(own[i - 1], "p:")
            feats += prefixed(crossings[i - 1], "x:")
            feats.append(f"x:len={min(len(prev), 120) // 8}>{min(len(text), 120) // 8}")
        else:
            feats.append("p:none")
        if i + 1 < len(lines):
            feats += prefixed(own[i + 1], "n:")
            feats += prefixed(crossings[i], "y:")
        else:
            feats.append("n:none")
        # Two lines away: a title is often two lines above a byline or a dateline (本报北京…电).
        if i + 2 < len(lines):
            feats += [f"n2:names={names[i + 2]}", f"n2:start2={lines[i + 2][:2]}"]
        if i > 1:
            feats += [f"p2:lastcls={char_class(lines[i - 2][-1])}", f"p2:names={names[i - 2]}"]
        feats += cohesion[i]
        features.append(feats)
    return features


@functools.lru_cache(maxsize=1 << 16)  # most features recur on every page (len=5, lastcls=end)
def bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) % N_BUCKETS


def line_vectors(
    lines: list[str], counts: NgramCounts | None = None, reader: BreakReader | None = None
) -> list[dict[int, float]]:
    """The hashed features of every line as ``{bucket: value}``, buckets below ``N_BUCKETS``:
    1.0 for each string feature of :func:`page_features`, and the break reader's scaled logit
    for the breaks before (``x:read``) and after (``y:read``) the line.

    >>> len(line_vectors(["县里新建了污水处理厂", "污水处理厂投入运行。"]))
    2
    """
    readings = np.clip(break_readings(lines, reader) / READ_SCALE, -4.0, 4.0).tolist()
    before, after = bucket("x:read"), bucket("y:read")
    vectors = []
    for i, feats in enumerate(page_features(lines, counts)):
        vector = dict.fromkeys(map(bucket, feats), 1.0)
        if i > 0:
            vector[before] = vector.get(before, 0.0) + readings[i - 1]
        if i < len(readings):
            vector[after] = vector.get(after, 0.0) + readings[i]
        vectors.append(vector)
    return vectors


def feature_matrix(
    lines: list[str], counts: NgramCounts | None = None, reader: BreakReader | None = None
):
    """Hashed features of every line, as a CSR matrix ``(n_lines, N_BUCKETS)``."""
    from scipy.sparse import csr_matrix

    vectors = line_vectors(lines, counts, reader)
    # Built as CSR directly: much faster than through (row, column) pairs on a large page.
    indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
    np.cumsum([len(vector) for vector in vectors], out=indptr[1:])
    chain = itertools.chain.from_iterable
    indices = np.fromiter(chain(vectors), dtype=np.int32, count=indptr[-1])
    values = np.fromiter(chain(v.values() for v in vectors), dtype=np.float32, count=indptr[-1])
    return csr_matrix((values, indices, indptr), shape=(len(lines), N_BUCKETS))
