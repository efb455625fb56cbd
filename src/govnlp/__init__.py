"""govnlp: theme tagging and extractive summaries for Chinese local-government news.

>>> import govnlp
>>> govnlp.split_sentences("他说：“好。”我们走吧。")
['他说：“好。”', '我们走吧。']
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import encoders, pages, taxonomy, text
from .encoders import DEFAULT_BASE_MODEL, build_default_encoder, load_encoder
from .pages import PageItem, split_page

# ``govnlp.summarize`` is the function; its methods live in the ``govnlp.summarize`` package
# (``from govnlp.summarize import TextRankSummarizer`` still works through the import system).
from .summarize import Summary, get_summarizer, summarize
from .taxonomy import Label, LabelsError, load_labels
from .text import normalize, sentences, split_sentences

# The model-side names import torch; load them on first use so `govnlp split-page` stays quick.
_LAZY = {
    "Tagger": "modeling",
    "Theme": "modeling",
    "TrainingConfig": "training",
    "train": "training",
    "evaluate": "metrics",
    "TfidfBaseline": "baseline",
    "Analysis": "analysis",
    "analyze": "analysis",
    "analyze_page": "analysis",
    "tag_dataset": "analysis",
    "tag_files": "batch",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'govnlp' has no attribute {name!r}")


__all__ = [
    "DEFAULT_BASE_MODEL",
    "Analysis",
    "Label",
    "LabelsError",
    "PageItem",
    "Summary",
    "Tagger",
    "TfidfBaseline",
    "Theme",
    "TrainingConfig",
    "__version__",
    "analyze",
    "analyze_page",
    "build_default_encoder",
    "encoders",
    "evaluate",
    "get_summarizer",
    "load_encoder",
    "load_labels",
    "normalize",
    "pages",
    "sentences",
    "split_page",
    "split_sentences",
    "summarize",
    "tag_dataset",
    "tag_files",
    "taxonomy",
    "text",
    "train",
]
