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

__all__ = [
    "DEFAULT_BASE_MODEL",
    "Label",
    "LabelsError",
    "PageItem",
    "Summary",
    "__version__",
    "build_default_encoder",
    "encoders",
    "get_summarizer",
    "load_encoder",
    "load_labels",
    "normalize",
    "pages",
    "sentences",
    "split_page",
    "split_sentences",
    "summarize",
    "taxonomy",
    "text",
]
