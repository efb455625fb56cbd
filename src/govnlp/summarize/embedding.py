"""Embedding centrality: sentences scored by a sentence encoder, with a lead prior.

Uses the same base encoder as the tagger (``e5-small-zh`` by default, mean pooling and the E5
``query: `` prefix), so no second model is loaded. A sentence scores by its cosine similarity to
the article's centroid and to the title, plus the lead position prior; selection is maximal
marginal relevance (Carbonell & Goldstein, SIGIR 1998) so near-duplicate sentences are not both
chosen.
"""

from __future__ import annotations

import numpy as np

from .base import Summarizer, Summary


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

    def _relevance(self, sentences: list[str], title: str | None) -> tuple[np.ndarray, np.ndarray]:
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
        return self._relevance(sentences, title)[0]

    def __call__(
        self,
        sentences: list[str],
        k: float = 3,
        max_chars: int | None = None,
        title: str | None = None,
    ) -> Summary:
        if not sentences:
            return Summary(method=self.name)
        relevance, vectors = self._relevance(sentences, title)
        n = len(sentences)
        count = max(1, round(k * n)) if k < 1 else int(k)
        chosen: list[int] = []
        used = 0
        candidates = set(range(n))
        while candidates and len(chosen) < count:
            penalty = (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(n)
            mmr = relevance - self.redundancy * penalty
            best = max(candidates, key=lambda i: (mmr[i], -i))
            candidates.discard(best)
            if max_chars is not None and used + len(sentences[best]) > max_chars:
                continue
            chosen.append(best)
            used += len(sentences[best])
        chosen.sort()
        return Summary(
            sentences=[sentences[i] for i in chosen],
            indices=chosen,
            scores=[float(relevance[i]) for i in chosen],
            method=self.name,
        )
