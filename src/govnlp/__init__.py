"""govnlp: theme tagging and extractive summaries for Chinese local-government news.

The public API; each name's module follows the pipeline: :mod:`govnlp.pages` (raw pages),
:mod:`govnlp.text` (sentences), :mod:`govnlp.encoders` (base models, windows),
:mod:`govnlp.tagging` (the tagger), :mod:`govnlp.summarizers`, :mod:`govnlp.analysis`,
:mod:`govnlp.records` and :mod:`govnlp.batch`, then :mod:`govnlp.report` (themes over time);
:mod:`govnlp.evaluation` beside tagging and :mod:`govnlp.integrations` for other engines.

>>> import govnlp
>>> govnlp.split_sentences("他说：“好。”我们走吧。")
['他说：“好。”', '我们走吧。']
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

from .pages import PageItem, split_page
from .summarizers import Summary, summarize
from .taxonomy import Label, load_labels
from .text import sentences, split_sentences

# The model side imports torch: loaded on first use, so that `govnlp split-page` starts quickly.
_LAZY = {
    "Tagger": "tagging.tagger",
    "Theme": "tagging.tagger",
    "TrainingConfig": "tagging.trainer",
    "train": "tagging.trainer",
    "evaluate": "evaluation.evaluate",
    "load_encoder": "encoders",
    "Analysis": "analysis",
    "AnalysisOptions": "analysis",
    "analyze": "analysis",
    "analyze_page": "analysis",
    "tag_files": "batch",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'govnlp' has no attribute {name!r}")


__all__ = [
    "Analysis",
    "AnalysisOptions",
    "Label",
    "PageItem",
    "Summary",
    "Tagger",
    "Theme",
    "TrainingConfig",
    "__version__",
    "analyze",
    "analyze_page",
    "evaluate",
    "load_encoder",
    "load_labels",
    "sentences",
    "split_page",
    "split_sentences",
    "summarize",
    "tag_files",
    "train",
]
