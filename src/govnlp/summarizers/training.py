"""Train the learned summarizer: greedy ROUGE oracle labels, one logistic model per unit.

Articles are dicts with ``title``, ``text`` and ``summary`` (the reference, e.g. an editor's
核心阅读 box). Labels: for sentences, the (at most) three sentences greedily chosen to maximise
character ROUGE-1 + ROUGE-2 F1 against the reference (what ``k=3`` asks for); for clauses, the
clauses chosen the same way within 1.2 times the reference's length (what ``max_chars`` asks
for). Each article weighs the same whatever its length.

>>> articles = [{"title": "县里推进改革", "text": "县里推进改革。天气晴。改革见效。",
...              "summary": "县里推进改革见效"}] * 4
>>> from govnlp.summarizers.features import TitleLexicon
>>> model = fit_learned(articles, TitleLexicon({}, -4.0))
>>> model(["县里推进改革。", "天气晴。", "改革见效。"], k=1).sentences
['县里推进改革。']
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .base import split_units
from .features import TitleLexicon, content_chars, unit_features
from .learned import LearnedSummarizer, UnitScorer

__all__ = ["char_rouge_f", "cross_validated_summarizers", "fit_learned", "oracle"]

logger = logging.getLogger(__name__)


def _ngrams(text: str, n: int) -> Counter:
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


def char_rouge_f(candidate: str, reference: str, n: int) -> float:
    """Character ROUGE-n F1, punctuation and whitespace removed.

    >>> round(char_rouge_f("推进改革。", "推进改革见效", 2), 3)
    0.75
    """
    cand = _ngrams(content_chars(candidate), n)
    ref = _ngrams(content_chars(reference), n)
    overlap = sum((cand & ref).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(cand.values())
    recall = overlap / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def oracle(
    units: Sequence[str],
    reference: str,
    *,
    max_units: int | None = None,
    max_chars: float | None = None,
) -> list[int]:
    """Greedy oracle: add the unit that most raises ROUGE-1 + ROUGE-2 F1, until none does.

    >>> oracle(["天气晴。", "县里推进改革。", "改革见效。"], "县里推进改革见效", max_units=1)
    [1]
    """
    chosen: list[int] = []
    best = 0.0
    used = 0
    while max_units is None or len(chosen) < max_units:
        gain, pick = best, None
        for i, unit in enumerate(units):
            if i in chosen or (max_chars is not None and used + len(unit) > max_chars):
                continue
            candidate = "".join(units[j] for j in sorted([*chosen, i]))
            score = char_rouge_f(candidate, reference, 1) + char_rouge_f(candidate, reference, 2)
            if score > gain:
                gain, pick = score, i
        if pick is None:
            break
        chosen.append(pick)
        best = gain
        used += len(units[pick])
    return sorted(chosen)


def _labels(units: list[str], reference: str, unit: str) -> np.ndarray:
    if unit == "clause":
        picked = oracle(units, reference, max_chars=1.2 * len(reference))
    else:
        picked = oracle(units, reference, max_units=3)
    labels = np.zeros(len(units))
    labels[picked] = 1.0
    return labels


def fit_learned(
    articles: Sequence[dict],
    lexicon: TitleLexicon,
    *,
    units: Sequence[str] = ("sentence", "clause"),
    regularization: float = 1.0,
    redundancy: float = 0.2,
) -> LearnedSummarizer:
    """Fit one logistic scorer per unit on ``articles`` (``title``, ``text``, ``summary``)."""
    from sklearn.linear_model import LogisticRegression

    scorers = {}
    for unit in units:
        rows, labels, weights = [], [], []
        for article in articles:
            pieces, layout = split_units(article["text"], unit)
            if not pieces:
                continue
            rows.append(unit_features(pieces, layout, article.get("title"), lexicon, unit))
            labels.append(_labels(pieces, article["summary"], unit))
            weights.append(np.full(len(pieces), 1.0 / len(pieces)))
        if not rows:
            raise ValueError("no article with text to train the summarizer on")
        features = np.vstack(rows)
        target = np.concatenate(labels)
        if len(set(target)) < 2:
            raise ValueError(f"the oracle picked no {unit} (or every one): check the summaries")
        weight = np.concatenate(weights)
        mean = features.mean(axis=0)
        scale = features.std(axis=0)
        scale[scale < 1e-9] = 1.0  # constant features (up to rounding) stay unscaled
        model = LogisticRegression(C=regularization, max_iter=5000)
        model.fit(
            (features - mean) / scale, target, sample_weight=weight * len(weight) / weight.sum()
        )
        scorers[unit] = UnitScorer(mean, scale, model.coef_[0].copy(), float(model.intercept_[0]))
        logger.info("%s scorer: %d articles, %d units", unit, len(rows), len(target))
    return LearnedSummarizer(scorers, lexicon, redundancy)


def cross_validated_summarizers(
    articles: Sequence[dict], lexicon: TitleLexicon, *, folds: int = 5, seed: int = 0, **options
) -> list[LearnedSummarizer]:
    """For each article, a summarizer fitted on the other folds (never on the article itself).

    Returns one summarizer per article, in order; the same object for articles of one fold.
    """
    order = np.random.default_rng(seed).permutation(len(articles))
    fold_of = np.empty(len(articles), dtype=int)
    fold_of[order] = np.arange(len(articles)) % folds
    models = []
    for fold in range(folds):
        train = [article for article, f in zip(articles, fold_of) if f != fold]
        models.append(fit_learned(train, lexicon, **options))
    return [models[f] for f in fold_of]
