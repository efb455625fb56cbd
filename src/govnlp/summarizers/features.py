"""Features of each sentence (or clause) that any article has: position, layout, length,
centrality, similarity to the title, title-likeness of its words, numbers and cue phrases.

They feed the learned scorer (:mod:`govnlp.summarizers.learned`); every feature is computed from
the article alone plus a :class:`TitleLexicon` learned from an unlabelled corpus, so the scorer
works on any text, with or without a title.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from scipy import sparse

from .base import Layout
from .textrank import centrality, char_tfidf

__all__ = ["CUES", "TitleLexicon", "content_chars", "feature_names", "unit_features"]

_DROP = re.compile(r"[\s\W_]+", flags=re.UNICODE)
_NUMBER = re.compile(r"\d|[万亿%％]")
# Phrases that mark attribution, background or enumeration in news prose.
CUES = (
    "据了解",
    "记者",
    "日前",
    "近日",
    "今年以来",
    "目前",
    "截至",
    "据悉",
    "表示",
    "说",
    "“",
    "？",
)


def content_chars(text: str) -> str:
    """The text without punctuation and whitespace (what ROUGE and the features compare).

    >>> content_chars("改革， 见效。")
    '改革见效'
    """
    return _DROP.sub("", text)


def _bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


class TitleLexicon:
    """How likely each character bigram of an article body is to appear in its title.

    A weak supervision signal from unlabelled articles (their titles): the smoothed log-odds
    that a bigram found in an article's body also appears in its headline. Words editors put in
    headlines (会见, 改革, 签署) score high; reporting boilerplate (日电, 记者, 其中) low.

    >>> lexicon = TitleLexicon.build([("县里推进改革", "县里推进改革。天气晴。")] * 3, min_count=1)
    >>> lexicon.score("推进改革") > lexicon.score("天气晴")
    True
    """

    def __init__(self, log_odds: dict[str, float], default: float) -> None:
        self.log_odds = log_odds
        self.default = default

    @classmethod
    def build(
        cls, articles: Iterable[tuple[str, str]], *, min_count: int = 20, smoothing: float = 2.0
    ) -> TitleLexicon:
        """Count ``(title, body)`` pairs; keep bigrams in at least ``min_count`` bodies."""
        in_body: Counter = Counter()
        in_title: Counter = Counter()
        for title, body in articles:
            body_grams = set(_bigrams(content_chars(body)))
            in_body.update(body_grams)
            in_title.update(body_grams & set(_bigrams(content_chars(title))))
        total = sum(in_body.values())
        prior = sum(in_title.values()) / total if total else 0.5
        prior = min(max(prior, 1e-6), 1 - 1e-6)
        log_odds = {
            gram: round(
                float(
                    np.log(
                        (in_title[gram] + smoothing * prior)
                        / (count - in_title[gram] + smoothing * (1 - prior))
                    )
                ),
                2,
            )
            for gram, count in in_body.items()
            if count >= min_count
        }
        return cls(log_odds, round(float(np.log(prior / (1 - prior))), 2))

    def values(self, text: str) -> list[float]:
        """The log-odds of each bigram of ``text`` (the default for an unseen one)."""
        grams = _bigrams(content_chars(text))
        if not grams:
            return [self.default]
        get, default = self.log_odds.get, self.default
        return [get(gram, default) for gram in grams]

    def score(self, text: str) -> float:
        """Mean log-odds of the bigrams of ``text``."""
        values = self.values(text)
        return sum(values) / len(values)

    def save(self, path: str | Path) -> None:
        payload = {"default": self.default, "log_odds": self.log_odds}
        Path(path).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> TitleLexicon:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(payload["log_odds"], payload["default"])


_BASE_NAMES = (
    "position_prior", "position", "first", "second", "third",
    "paragraph_prior", "paragraph_position", "first_paragraph", "opens_paragraph",
    "closes_paragraph", "whole_paragraph", "sentence_prior", "first_clause", "clause_index",
    "log_length", "short", "long",
    "centrality", "centrality_rank", "title_similarity", "title_similarity_rank",
    "document_similarity", "document_similarity_rank", "title_recall", "title_precision",
    "short_paragraph", "paragraph_without_stop", "title_repeat",
    "log_numbers", *(f"cue_{cue}" for cue in CUES), "log_units",
    "title_words_mean", "title_words_top3", "title_words_share", "title_words_mean_rank",
    "title_words_top3_rank",
    "centrality_z", "title_similarity_z", "document_similarity_z", "title_words_mean_z",
    "title_words_top3_z", "log_length_z",
    "paragraph_document_similarity", "paragraph_title_words", "paragraph_title_similarity",
)  # fmt: skip
_CLAUSE_NAMES = ("log_clauses_in_sentence", "last_clause")


def feature_names(unit: str = "sentence") -> list[str]:
    """Column names of :func:`unit_features` (clauses add their sentence's features).

    >>> feature_names()[:3]
    ['position_prior', 'position', 'first']
    """
    if unit == "clause":
        return [*_BASE_NAMES, *(f"sentence_{name}" for name in _BASE_NAMES), *_CLAUSE_NAMES]
    return list(_BASE_NAMES)


def _rank(values: np.ndarray) -> np.ndarray:
    order = np.empty(len(values))
    order[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return order / max(1, len(values) - 1)


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def _title_word_stats(values: list[float]) -> tuple[float, float, float]:
    # Plain Python: units are short, and numpy's per-call overhead dominated the summarizer.
    top = sorted(values)[-3:]
    share = sum(value > -4 for value in values) / len(values)
    return sum(values) / len(values), sum(top) / len(top), share


def _base_features(
    units: list[str],
    layout: Layout,
    title: str,
    lexicon: TitleLexicon,
    vectors: sparse.csr_matrix | None = None,
) -> np.ndarray:
    n = len(units)
    index = np.arange(n, dtype=float)
    paragraph = np.asarray(layout.paragraphs)
    sentence = np.asarray(layout.sentences)
    clause_index = np.zeros(n)
    for i in range(1, n):
        if sentence[i] == sentence[i - 1]:
            clause_index[i] = clause_index[i - 1] + 1
    paragraphs = int(paragraph.max()) + 1
    lengths = np.array([len(unit) for unit in units], dtype=float)

    if vectors is None:
        vectors = char_tfidf(units, title)
    unit_vectors = vectors[:n]
    central = centrality(unit_vectors) * n if n > 1 else np.ones(1)
    title_similarity = (unit_vectors @ vectors[n].T).toarray().ravel() if title else np.zeros(n)
    document = np.asarray(unit_vectors.sum(axis=0)).ravel()
    document /= np.linalg.norm(document) or 1.0
    document_similarity = np.asarray(unit_vectors @ document).ravel()
    title_chars = set(content_chars(title))
    unit_chars = [set(content_chars(unit)) for unit in units]
    title_recall = np.array([len(c & title_chars) / max(1, len(title_chars)) for c in unit_chars])
    title_precision = np.array([len(c & title_chars) / max(1, len(c)) for c in unit_chars])

    opens = np.r_[1.0, (paragraph[1:] != paragraph[:-1]).astype(float)]
    closes = np.r_[(paragraph[1:] != paragraph[:-1]).astype(float), 1.0]
    whole = opens * closes
    ends_with_stop = np.array([unit.rstrip()[-1:] in "。！？…”" for unit in units], dtype=float)
    numbers = np.array([len(_NUMBER.findall(unit)) for unit in units], dtype=float)
    cues = np.array([[cue in unit for cue in CUES] for unit in units], dtype=float)
    words = np.array([_title_word_stats(lexicon.values(unit)) for unit in units])
    per_paragraph = np.bincount(paragraph)

    def paragraph_mean(values: np.ndarray) -> np.ndarray:
        return (np.bincount(paragraph, weights=values) / per_paragraph)[paragraph]

    log_length = np.log1p(lengths)
    return np.column_stack([
        1 / (1 + index), index / max(1, n - 1), index == 0, index == 1, index == 2,
        1 / (1 + paragraph), paragraph / max(1, paragraphs - 1), paragraph == 0, opens, closes,
        whole, 1 / (1 + sentence), clause_index == 0, clause_index,
        log_length, lengths < 15, lengths > 80,
        central, _rank(central), title_similarity, _rank(title_similarity),
        document_similarity, _rank(document_similarity), title_recall, title_precision,
        whole * (lengths < 30), whole * (1 - ends_with_stop), title_similarity * (lengths < 30),
        np.log1p(numbers), cues, np.full(n, np.log1p(n)),
        words, _rank(words[:, 0]), _rank(words[:, 1]),
        _zscore(central), _zscore(title_similarity), _zscore(document_similarity),
        _zscore(words[:, 0]), _zscore(words[:, 1]), _zscore(log_length),
        paragraph_mean(document_similarity), paragraph_mean(words[:, 0]),
        paragraph_mean(title_similarity),
    ]).astype(float)  # fmt: skip


def unit_features(
    units: list[str],
    layout: Layout,
    title: str | None,
    lexicon: TitleLexicon,
    unit: str = "sentence",
    vectors: sparse.csr_matrix | None = None,
) -> np.ndarray:
    """One row of features per unit (columns named by :func:`feature_names`).

    ``vectors`` may pass in ``char_tfidf(units, title or "")`` when the caller has it already.

    >>> from govnlp.summarizers.base import split_units
    >>> units, layout = split_units("县里推进改革。改革让群众少跑腿。天气晴。")
    >>> unit_features(units, layout, "改革", TitleLexicon({}, -4.0)).shape
    (3, 56)
    """
    title = title or ""
    features = _base_features(units, layout, title, lexicon, vectors)
    if unit != "clause":
        return features
    sentence = np.asarray(layout.sentences)
    starts = np.r_[0, np.flatnonzero(sentence[1:] != sentence[:-1]) + 1]
    ends = np.r_[starts[1:], len(units)]
    sentences = ["".join(units[a:b]) for a, b in zip(starts, ends)]
    sentence_layout = Layout(
        tuple(layout.paragraphs[a] for a in starts), tuple(range(len(sentences)))
    )
    owner = np.repeat(np.arange(len(sentences)), ends - starts)
    sentence_features = _base_features(sentences, sentence_layout, title, lexicon)[owner]
    clauses_in_sentence = (ends - starts)[owner]
    last_clause = np.r_[sentence[1:] != sentence[:-1], True]
    return np.column_stack(
        [features, sentence_features, np.log(clauses_in_sentence), last_clause]
    ).astype(float)
