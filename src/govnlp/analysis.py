"""One call for what a newsroom wants from an article: themes, a summary and evidence.

:func:`analyze` handles one article, :func:`analyze_many` a stream of them (batched through the
tagger) and :func:`analyze_page` a raw page dump (one :class:`Analysis` per item of
:func:`govnlp.pages.split_page`). What to compute travels as one :class:`AnalysisOptions`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .pages import split_page
from .summarizers import summarize
from .tagging.loading import load_tagger
from .tagging.tagger import Tagger, Theme
from .tagging.windows import article_chunks
from .text import sentences

__all__ = ["Analysis", "AnalysisOptions", "analyze", "analyze_many", "analyze_page"]

# Scoring every sentence of a multi-megabyte dump would cost minutes; the first this many (far
# more than any news article has) bound the work.
MAX_EVIDENCE_SENTENCES = 2000


@dataclass(frozen=True)
class AnalysisOptions:
    """What to compute for each article, and how many windows and articles to batch.

    Attributes:
        threshold: One cut-off for every theme instead of the model's tuned thresholds.
        top_k: At most this many themes per article (default: the model's ``max_labels``).
        summary: Summary sentences (``0``: no summary; ``0 < k < 1``: a ratio of them).
        evidence: For each theme, the sentence that most supports it.
        windows_per_batch: Token windows per forward pass of the encoder (``None``: 32 on a
            CPU, 256 on a GPU).
        articles_per_chunk: Articles scored together (and, in batch tagging, written together).

    >>> AnalysisOptions(summary=0).evidence
    True
    """

    threshold: float | None = None
    top_k: int | None = None
    summary: float = 3
    evidence: bool = True
    windows_per_batch: int | None = None
    articles_per_chunk: int = 64

    def replace(self, **changes) -> AnalysisOptions:
        """A copy with some options changed (unknown names are an error)."""
        return dataclasses.replace(self, **changes)


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
    tagger: Tagger, text: str, themes: Sequence[Theme], *, windows_per_batch: int = 64
) -> dict[str, str]:
    """For each theme, the sentence of ``text`` whose own score for that theme is highest.

    Each sentence is scored alone (one short window each), so the evidence is a sentence the model
    itself reads as being about the theme, not a keyword match.
    """
    if not themes:
        return {}
    candidates = sentences(text)[:MAX_EVIDENCE_SENTENCES]
    if not candidates:
        return {}
    ids = [tagger.article_windows(sentence)[0] for sentence in candidates]
    logits = tagger.window_logits(ids, windows_per_batch=windows_per_batch)
    column = {label.id: i for i, label in enumerate(tagger.labels)}
    return {theme.id: candidates[int(np.argmax(logits[:, column[theme.id]]))] for theme in themes}


def analyze_many(
    texts: Iterable[str],
    titles: Iterable[str | None] | None = None,
    *,
    model: Tagger | str | Path | None = None,
    options: AnalysisOptions | None = None,
    **changes,
) -> Iterator[Analysis]:
    """Analyse a stream of articles, scoring ``options.articles_per_chunk`` of them together.

    Args:
        texts: Article bodies.
        titles: Optional titles, parallel to ``texts``.
        model: A :class:`Tagger`, a model directory, or None for the built-in model (loaded
            once per process, :func:`govnlp.tagging.load_tagger`).
        options: What to compute (:class:`AnalysisOptions`).
        **changes: Options to change for this call, e.g. ``summary=1``.

    >>> [a.themes[0].id for a in analyze_many(["县里新建了污水处理厂，河道水质明显好转。"])]
    ['ecology_environment']
    """
    options = (options or AnalysisOptions()).replace(**changes)
    tagger = load_tagger(model)
    for chunk_texts, chunk_titles in article_chunks(texts, titles, options.articles_per_chunk):
        proba = tagger.predict_proba(
            chunk_texts, chunk_titles, windows_per_batch=options.windows_per_batch
        )
        found = tagger.themes_from_proba(proba, threshold=options.threshold, top_k=options.top_k)
        for text, title, themes in zip(chunk_texts, chunk_titles, found):
            yield Analysis(
                themes=themes,
                summary=summarize(text, options.summary, title=title).sentences
                if options.summary
                else [],
                evidence=evidence_sentences(tagger, text, themes) if options.evidence else {},
                title=title,
            )


def analyze(
    text: str,
    title: str | None = None,
    *,
    model: Tagger | str | Path | None = None,
    options: AnalysisOptions | None = None,
    **changes,
) -> Analysis:
    """Themes, summary and evidence for one article (arguments as for :func:`analyze_many`).

    >>> result = analyze("县里新建了污水处理厂，河道水质明显好转。", title="治水", summary=1)
    >>> [theme.id for theme in result.themes], result.summary
    (['ecology_environment'], ['县里新建了污水处理厂，河道水质明显好转。'])
    """
    return next(analyze_many([text], [title], model=model, options=options, **changes))


def analyze_page(
    text: str,
    *,
    model: Tagger | str | Path | None = None,
    options: AnalysisOptions | None = None,
    **changes,
) -> list[Analysis]:
    """Split a raw page dump into items and analyse each one (title and byline kept).

    >>> page = "治水见成效\\n张三 李四\\n县里新建了污水处理厂，河道水质明显好转。\\n"
    >>> [(a.title, a.byline) for a in analyze_page(page)]
    [('治水见成效', '张三 李四')]
    """
    items = split_page(text)
    results = analyze_many(
        [item.text for item in items],
        [item.title or None for item in items],
        model=model,
        options=options,
        **changes,
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
