"""Embedding centrality: sentences scored by a sentence encoder, with a lead prior.

Uses the same base encoder as the tagger (``e5-small-zh`` by default, mean pooling and the E5
``query: `` prefix), so no second model is loaded. A sentence scores by its cosine similarity to
the article's centroid and to the title, plus the lead position prior; selection is maximal
marginal relevance (Carbonell & Goldstein, SIGIR 1998) so near-duplicate sentences are not both
chosen.
"""

from __future__ import annotations

import numpy as np

from .base import Summarizer


class EmbeddingSummarizer(Summarizer):
    """Centroid and title similarity over sentence embeddings, MMR selection.

    Args:
        base_model: The encoder (``"e5-small-zh"``, a hub id or a directory).
        position_weight: Weight of the ``1 / (1 + i)`` position prior.
        redundancy: MMR penalty on similarity to already chosen sentences.
        batch_size: Sentences per forward pass.
    """

    name = "embedding"

    def __init__(
        self,
        base_model: str = "e5-small-zh",
        position_weight: float = 1.0,
        redundancy: float = 0.5,
        batch_size: int = 64,
    ) -> None:
        self.base_model = base_model
        self.position_weight = position_weight
        self.redundancy = redundancy
        self.batch_size = batch_size
        self._encoder = None

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised mean-pooled embeddings of ``texts``."""
        import torch

        from ..encoders import load_encoder

        if self._encoder is None:
            self._encoder = load_encoder(self.base_model)
        model, tokenizer = self._encoder
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = tokenizer(
                    ["query: " + t for t in texts[start : start + self.batch_size]],
                    padding=True,
                    truncation=True,
                    max_length=128,
                    return_tensors="pt",
                )
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1)
                chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(chunks) if chunks else np.zeros((0, 1), np.float32)

    def score_with_vectors(
        self, sentences: list[str], title: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        vectors = self.embed(sentences + ([title] if title else []))
        sentence_vectors = vectors[: len(sentences)]
        centroid = sentence_vectors.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        relevance = sentence_vectors @ centroid
        if title:
            relevance = relevance + sentence_vectors @ vectors[-1]
        position = 1.0 / (1.0 + np.arange(len(sentences), dtype=float))
        return relevance + self.position_weight * position, sentence_vectors

    def score(self, sentences: list[str], title: str | None = None) -> np.ndarray:
        return self.score_with_vectors(sentences, title)[0]
