"""Learned: a logistic sentence (or clause) scorer trained on editor-written summaries.

Each unit is scored by a linear model over :func:`~govnlp.summarizers.features.unit_features`,
trained to pick the units of the greedy ROUGE oracle (Nallapati et al., SummaRuNNer, AAAI 2017:
extractive labels from abstractive references); selection is maximal marginal relevance over
character TF-IDF vectors. One model per unit (sentences, clauses), saved as ``config.json``,
``model.safetensors`` (weights and feature scaling) and ``title_lexicon.json``. Training lives in
:mod:`govnlp.summarizers.training`; the shipped model's card is ``model/README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.special import expit

from .base import Layout, Summarizer
from .features import TitleLexicon, content_chars, feature_names, unit_features
from .textrank import char_tfidf

__all__ = ["DEFAULT_SUMMARIZER_PATH", "LearnedSummarizer", "UnitScorer"]

DEFAULT_SUMMARIZER_PATH = Path(__file__).resolve().parent / "model"


def _repeats_title(unit: str, title: str) -> bool:
    content = content_chars(unit)
    return bool(content) and content in content_chars(title)


@dataclass
class UnitScorer:
    """Standardise the features, then a logistic regression: ``sigmoid(coef · z + intercept)``."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return expit(((features - self.mean) / self.scale) @ self.coef + self.intercept)


class LearnedSummarizer(Summarizer):
    """Units scored by a model trained on editor summaries; MMR selection.

    A unit that only repeats the title is chosen last.

    Args:
        scorers: One :class:`UnitScorer` per unit (``"sentence"``, and ``"clause"`` if trained).
        lexicon: The title lexicon the features read.
        redundancy: MMR penalty on similarity to units already chosen.
        unit: The unit this instance scores; :meth:`for_unit` gives the other.

    >>> summarizer = LearnedSummarizer.from_pretrained()
    >>> summary = summarizer(["本报记者报道。", "县里推进数字政府改革。", "天气晴。"], k=2)
    >>> summary.indices == sorted(summary.indices) and len(summary.sentences)
    2
    """

    name = "learned"

    def __init__(
        self,
        scorers: dict[str, UnitScorer],
        lexicon: TitleLexicon,
        redundancy: float = 0.2,
        unit: str = "sentence",
    ) -> None:
        if unit not in scorers:
            raise ValueError(f"this model has no {unit!r} scorer (it has {sorted(scorers)})")
        self.scorers = scorers
        self.lexicon = lexicon
        self.redundancy = redundancy
        self.unit = unit

    def for_unit(self, unit: str) -> LearnedSummarizer:
        """The same model scoring ``unit`` (``"sentence"`` or ``"clause"``)."""
        if unit == self.unit:
            return self
        return LearnedSummarizer(self.scorers, self.lexicon, self.redundancy, unit)

    def score_with_vectors(
        self, sentences: list[str], title: str | None = None, layout: Layout | None = None
    ) -> tuple[np.ndarray, sparse.csr_matrix | None]:
        layout = layout or Layout.flat(len(sentences))
        vectors = char_tfidf(sentences, title or "")
        features = unit_features(sentences, layout, title, self.lexicon, self.unit, vectors)
        scores = self.scorers[self.unit](features)
        if title:
            # A unit that only repeats the headline (a section heading such as 实施更加积极的财政
            # 政策。) tells a reader nothing under that headline (issue 20): chosen last.
            repeats = np.array([_repeats_title(unit, title) for unit in sentences])
            scores = np.where(repeats, scores - 1.0, scores)
        return scores, vectors[: len(sentences)] if self.redundancy > 0 else None

    def score(
        self, sentences: list[str], title: str | None = None, layout: Layout | None = None
    ) -> np.ndarray:
        return self.score_with_vectors(sentences, title, layout)[0]

    def save_pretrained(self, directory: str | Path) -> None:
        """Write ``config.json``, ``model.safetensors`` and ``title_lexicon.json``."""
        from safetensors.numpy import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {}
        for unit, scorer in self.scorers.items():
            tensors[f"{unit}.mean"] = scorer.mean.astype(np.float32)
            tensors[f"{unit}.scale"] = scorer.scale.astype(np.float32)
            tensors[f"{unit}.coef"] = scorer.coef.astype(np.float32)
            tensors[f"{unit}.intercept"] = np.array([scorer.intercept], dtype=np.float32)
        save_file(tensors, directory / "model.safetensors")
        config = {
            "method": self.name,
            "units": sorted(self.scorers),
            "redundancy": self.redundancy,
            "feature_names": {unit: feature_names(unit) for unit in sorted(self.scorers)},
        }
        (directory / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False))
        self.lexicon.save(directory / "title_lexicon.json")

    @classmethod
    def from_pretrained(
        cls, directory: str | Path | None = None, unit: str = "sentence"
    ) -> LearnedSummarizer:
        """Load a saved model (the shipped one by default); safetensors only."""
        from safetensors.numpy import load_file

        directory = Path(directory) if directory is not None else DEFAULT_SUMMARIZER_PATH
        config_path = directory / "config.json"
        if not config_path.exists():
            raise FileNotFoundError(f"no summarizer model in {directory} (config.json missing)")
        config = json.loads(config_path.read_text())
        tensors = load_file(directory / "model.safetensors")
        scorers = {}
        for unit_name in config["units"]:
            if config["feature_names"][unit_name] != feature_names(unit_name):
                raise ValueError(
                    f"{directory} was trained on other {unit_name} features than this govnlp "
                    "computes; retrain it with scripts/train_summarizer.py"
                )
            scorers[unit_name] = UnitScorer(
                mean=tensors[f"{unit_name}.mean"].astype(float),
                scale=tensors[f"{unit_name}.scale"].astype(float),
                coef=tensors[f"{unit_name}.coef"].astype(float),
                intercept=float(tensors[f"{unit_name}.intercept"][0]),
            )
        lexicon = TitleLexicon.load(directory / "title_lexicon.json")
        return cls(scorers, lexicon, config["redundancy"], unit)
