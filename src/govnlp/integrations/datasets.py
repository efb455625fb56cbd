"""Tag a Hugging Face ``datasets.Dataset`` in batches, in this process or in spawned ones."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from ..analysis import AnalysisOptions
from ..records import Fields
from ..tagging.loading import load_tagger
from ..tagging.tagger import Tagger

__all__ = ["tag_dataset"]


def _require_datasets():
    try:
        import datasets
    except ImportError:
        raise ImportError(
            "tag_dataset needs the datasets package: pip install 'govnlp[datasets]'"
        ) from None
    return datasets


def tag_dataset(
    dataset,
    model: Tagger | str | Path | None = None,
    *,
    fields: Fields | None = None,
    options: AnalysisOptions | None = None,
    batch_size: int = 64,
    num_proc: int | None = None,
):
    """Add ``themes`` (list of ``{"id", "name", "score"}``) and ``scores`` columns to a Dataset.

    Uses ``Dataset.map(batched=True, batch_size=batch_size)``, so Arrow-backed datasets of any
    size stream through in batches of articles. With ``num_proc`` > 1 the dataset is cut into
    that many contiguous shards, tagged in as many *spawned* processes (each loads the model once
    and gets its share of the CPU threads) and put back together in order. Call it under
    ``if __name__ == "__main__":`` in a script, as spawned processes import the main module.

    Args:
        dataset: A ``datasets.Dataset`` with a text column (and optionally a title column).
        model: A :class:`Tagger`, a model directory, or None for the built-in model.
        fields: The text and title columns (``text`` and ``title`` by default).
        options: ``threshold``, ``top_k`` and ``windows_per_batch`` are used.
        batch_size: Articles per ``Dataset.map`` batch.
        num_proc: Processes to tag in.

    >>> from datasets import Dataset
    >>> ds = tag_dataset(Dataset.from_dict({"text": ["县里新建了污水处理厂，河道水质明显好转。"]}))
    >>> ds[0]["themes"][0]["id"]
    'ecology_environment'
    """
    _require_datasets()
    model_ref = model if isinstance(model, Tagger) or model is None else str(model)
    tag = functools.partial(
        _tag_shard,
        model_ref=model_ref,
        fields=fields or Fields(),
        options=options or AnalysisOptions(),
        batch_size=batch_size,
    )
    if num_proc is not None and num_proc > 1 and len(dataset) > 1:
        import multiprocessing
        import os

        from datasets import concatenate_datasets

        # Not datasets' own num_proc: it forks (no start method can be chosen, datasets#6357),
        # and a forked child hangs in torch's first multi-threaded operation once the parent
        # has run one (datasets#5094) -- as it has after any earlier tagging in this process.
        num_proc = min(num_proc, len(dataset))
        threads = max(1, (os.cpu_count() or 1) // num_proc)
        shards = [dataset.shard(num_proc, i, contiguous=True) for i in range(num_proc)]
        with multiprocessing.get_context("spawn").Pool(num_proc) as pool:
            parts = pool.map(functools.partial(tag, threads=threads), shards)
        return concatenate_datasets(parts)
    return tag(dataset)


def _tag_shard(
    dataset,
    *,
    model_ref,
    fields: Fields,
    options: AnalysisOptions,
    batch_size: int,
    threads: int | None = None,
):
    """Tag one dataset (or shard) in this process, optionally limiting torch's threads."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    has_title = fields.title in dataset.column_names

    def tag_batch(batch: dict) -> dict:
        tagger = load_tagger(model_ref)
        texts = [text or "" for text in batch[fields.text]]
        titles = batch[fields.title] if has_title else None
        proba = tagger.predict_proba(texts, titles, windows_per_batch=options.windows_per_batch)
        themes = tagger.themes_from_proba(proba, threshold=options.threshold, top_k=options.top_k)
        return {
            "themes": [[theme.to_dict() for theme in row] for row in themes],
            "scores": proba.astype(np.float32).tolist(),
        }

    return dataset.map(tag_batch, batched=True, batch_size=batch_size)
