"""One call for what a newsroom wants from an article: themes, a summary and evidence.

:func:`analyze` handles one article, :func:`analyze_many` a stream of them (batched through the
tagger), :func:`analyze_page` a raw page dump (one :class:`Analysis` per item of
:func:`govnlp.pages.split_page`) and :func:`tag_dataset` a Hugging Face ``datasets.Dataset``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .modeling import Tagger, Theme, article_chunks
from .pages import split_page
from .summarize import summarize
from .text import sentences

__all__ = ["Analysis", "analyze", "analyze_many", "analyze_page", "load_tagger", "tag_dataset"]


# Dynamic int8 quantisation is on by default only if it keeps dev micro-F1 within 0.5 points of
# float32 (issue #7); measured by scripts/bench_tag.py, see the README's speed table.
QUANTIZE_BY_DEFAULT = False
MAX_EVIDENCE_SENTENCES = 2000


@functools.lru_cache(maxsize=4)
def _cached_tagger(path: str | None, quantize: bool) -> Tagger:
    return Tagger.from_pretrained(path).optimize_for_cpu(quantize=quantize)


def load_tagger(
    model: Tagger | str | Path | None = None, *, quantize: bool | None = None
) -> Tagger:
    """A tagger ready for fast CPU inference: ``model`` itself, a directory, or the built-in one.

    Directories are loaded once per process and reused, through
    :meth:`Tagger.optimize_for_cpu`: bf16 weights where the CPU runs bf16 natively, windows
    without overlap, and int8 quantisation when ``quantize`` (default
    :data:`QUANTIZE_BY_DEFAULT`).
    A :class:`Tagger` instance is used as it is.
    """
    if isinstance(model, Tagger):
        return model
    quantize = QUANTIZE_BY_DEFAULT if quantize is None else quantize
    return _cached_tagger(str(model) if model is not None else None, quantize)


@dataclass
class Analysis:
    """What govnlp says about one article (or one item of a page).

    Attributes:
        themes: Themes above their thresholds, highest score first (empty = no theme).
        summary: Extracted summary sentences, in document order.
        evidence: For each theme id, the sentence that most supports it.
        title: The article's title, if known.
        byline: Author names (page items only).
        kind: ``"article"``, or the page item kind (``"photo"``, ``"fragment"``).
        start: Offset of a page item in the page text (0 for plain articles).
        end: End offset of a page item (0 for plain articles).
    """

    themes: list[Theme]
    summary: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    byline: str = ""
    kind: str = "article"
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "byline": self.byline,
            "kind": self.kind,
            "themes": [theme.to_dict() for theme in self.themes],
            "summary": self.summary,
            "evidence": self.evidence,
            "start": self.start,
            "end": self.end,
        }


def evidence_sentences(
    tagger: Tagger, text: str, themes: Sequence[Theme], *, batch_size: int = 64
) -> dict[str, str]:
    """For each theme, the sentence of ``text`` whose own score for that theme is highest.

    Each sentence is scored alone (one short window each), so the evidence is a sentence the model
    itself reads as being about the theme, not a keyword match.
    """
    if not themes:
        return {}
    # Scoring every sentence of a multi-megabyte dump would cost minutes; the first
    # MAX_EVIDENCE_SENTENCES (far more than any news article has) bound the work.
    candidates = sentences(text)[:MAX_EVIDENCE_SENTENCES]
    if not candidates:
        return {}
    ids = [tagger.article_windows(sentence)[0] for sentence in candidates]
    logits = tagger.window_logits(ids, batch_size=batch_size)
    column = {label.id: i for i, label in enumerate(tagger.labels)}
    return {theme.id: candidates[int(np.argmax(logits[:, column[theme.id]]))] for theme in themes}


def analyze_many(
    texts: Iterable[str],
    titles: Iterable[str | None] | None = None,
    *,
    model: Tagger | str | Path | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    summary: float = 3,
    evidence: bool = True,
    batch_size: int = 32,
    chunk_size: int = 64,
) -> Iterator[Analysis]:
    """Analyse a stream of articles, batching the tagger over ``chunk_size`` articles at a time.

    Args:
        texts: Article bodies.
        titles: Optional titles, parallel to ``texts``.
        model: A :class:`Tagger`, a model directory, or None for the built-in model.
        threshold: One cut-off for all themes instead of the tuned thresholds.
        top_k: At most this many themes per article.
        summary: Summary sentences (``0`` for none, ``0 < k < 1`` for a ratio).
        evidence: Find a supporting sentence for each theme.
        batch_size: Windows per forward pass.
        chunk_size: Articles scored together.

    >>> next(analyze_many(["县里新建了污水处理厂。"])).themes  # doctest: +SKIP
    """
    tagger = load_tagger(model)
    for chunk_texts, chunk_titles in article_chunks(texts, titles, chunk_size):
        proba = tagger.predict_proba(chunk_texts, chunk_titles, batch_size=batch_size)
        found = tagger.themes_from_proba(proba, threshold=threshold, top_k=top_k)
        for text, title, themes in zip(chunk_texts, chunk_titles, found):
            yield Analysis(
                themes=themes,
                summary=summarize(text, summary, title=title).sentences if summary else [],
                evidence=evidence_sentences(tagger, text, themes) if evidence else {},
                title=title,
            )


def analyze(
    text: str,
    title: str | None = None,
    *,
    model: Tagger | str | Path | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    summary: float = 3,
    evidence: bool = True,
) -> Analysis:
    """Themes, summary and evidence for one article.

    >>> result = analyze("县里新建了污水处理厂，河道水质明显好转。", title="治水")  # doctest: +SKIP
    >>> [theme.id for theme in result.themes]  # doctest: +SKIP
    ['ecology_environment']
    """
    return next(
        analyze_many(
            [text],
            [title],
            model=model,
            threshold=threshold,
            top_k=top_k,
            summary=summary,
            evidence=evidence,
        )
    )


def analyze_page(
    text: str,
    *,
    model: Tagger | str | Path | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    summary: float = 3,
    evidence: bool = True,
) -> list[Analysis]:
    """Split a raw page dump into items and analyse each one (title and byline kept).

    >>> [a.title for a in analyze_page(open("examples/page.txt").read())]  # doctest: +SKIP
    """
    items = split_page(text)
    results = analyze_many(
        [item.text for item in items],
        [item.title or None for item in items],
        model=model,
        threshold=threshold,
        top_k=top_k,
        summary=summary,
        evidence=evidence,
    )
    out = []
    for item, result in zip(items, results):
        result.byline, result.kind, result.start, result.end = (
            item.byline,
            item.kind,
            item.start,
            item.end,
        )
        out.append(result)
    return out


def tag_dataset(
    dataset,
    model: Tagger | str | Path | None = None,
    *,
    text_field: str = "text",
    title_field: str | None = "title",
    threshold: float | None = None,
    top_k: int | None = None,
    batch_size: int = 64,
    num_proc: int | None = None,
):
    """Add ``themes`` (list of ``{"id", "name", "score"}``) and ``scores`` columns to a Dataset.

    Uses ``Dataset.map(batched=True)``, so Arrow-backed datasets of any size stream through in
    batches. With ``num_proc`` > 1 the dataset is cut into that many contiguous shards, tagged
    in as many *spawned* processes (each loads the model once and gets its share of the CPU
    threads) and put back together in order. Call it under ``if __name__ == "__main__":`` in a
    script, as spawned processes import the main module.

    >>> from datasets import Dataset
    >>> ds = tag_dataset(Dataset.from_dict({"text": ["县里新建了污水处理厂。"]}))  # doctest: +SKIP
    >>> ds[0]["themes"][0]["id"]  # doctest: +SKIP
    'ecology_environment'
    """
    model_ref = model if isinstance(model, Tagger) or model is None else str(model)
    tag = functools.partial(
        _tag_shard,
        model_ref=model_ref,
        text_field=text_field,
        title_field=title_field,
        threshold=threshold,
        top_k=top_k,
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
    text_field: str,
    title_field: str | None,
    threshold: float | None,
    top_k: int | None,
    batch_size: int,
    threads: int | None = None,
):
    """Tag one dataset (or shard) in this process, optionally limiting torch's threads."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    has_title = title_field is not None and title_field in dataset.column_names

    def tag_batch(batch: dict) -> dict:
        tagger = load_tagger(model_ref)
        texts = [text or "" for text in batch[text_field]]
        titles = batch[title_field] if has_title else None
        proba = tagger.predict_proba(texts, titles)
        themes = tagger.themes_from_proba(proba, threshold=threshold, top_k=top_k)
        return {
            "themes": [[theme.to_dict() for theme in row] for row in themes],
            "scores": proba.astype(np.float32).tolist(),
        }

    return dataset.map(tag_batch, batched=True, batch_size=batch_size)
