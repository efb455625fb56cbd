"""Extractive summaries: pick the sentences that best summarise an article, in document order.

Methods share one interface (:class:`Summarizer`): ``lead``, ``textrank``, ``hybrid`` and
``embedding``. ``method="auto"`` uses the best one measured on the summaries dev set
(see the README's table, made by ``scripts/eval_summarize.py``).
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

from ..text import sentences as split_into_sentences
from .base import Summarizer, Summary, select
from .hybrid import HybridSummarizer
from .lead import LeadSummarizer
from .textrank import TextRankSummarizer

__all__ = [
    "AUTO_METHOD",
    "HybridSummarizer",
    "LeadSummarizer",
    "Summarizer",
    "Summary",
    "TextRankSummarizer",
    "get_summarizer",
    "select",
    "summarize",
    "summarize_files",
]

logger = logging.getLogger(__name__)

# The best method on the summaries dev set (README table); it needs no neural model.
AUTO_METHOD = "hybrid"


def get_summarizer(method: str = "auto") -> Summarizer:
    """A summarizer by name: ``auto``, ``lead``, ``textrank``, ``hybrid`` or ``embedding``.

    >>> get_summarizer("lead").name
    'lead'
    """
    name = AUTO_METHOD if method == "auto" else method
    if name == "lead":
        return LeadSummarizer()
    if name == "textrank":
        return TextRankSummarizer()
    if name == "hybrid":
        return HybridSummarizer()
    if name == "embedding":
        from .embedding import EmbeddingSummarizer

        return EmbeddingSummarizer()
    raise ValueError(
        f"unknown summary method {method!r}: use auto, lead, textrank, hybrid, embedding"
    )


def summarize(
    text: str,
    k: float = 3,
    *,
    max_chars: int | None = None,
    method: str | Summarizer = "auto",
    title: str | None = None,
) -> Summary:
    """Summarise one article by extracting sentences.

    Args:
        text: The article body (any mix of full-width and ASCII punctuation).
        k: Number of sentences (``k >= 1``) or a ratio of them (``0 < k < 1``).
        max_chars: Cap on the summary's length in characters (whole sentences only).
        method: A method name or a :class:`Summarizer` instance.
        title: The headline, used by methods that compare sentences with it.

    Returns:
        A :class:`Summary` with the sentences in document order, their indices and scores.

    >>> summarize("县里开会。会议部署了改革。天气晴。", k=1, method="lead").sentences
    ['县里开会。']
    >>> summarize("", k=3).sentences
    []
    """
    summarizer = get_summarizer(method) if isinstance(method, str) else method
    return summarizer(split_into_sentences(text), k=k, max_chars=max_chars, title=title)


def _records(path: Path, text_field: str) -> Iterator[dict]:
    """Records from a text file, a directory of .txt files, JSONL or CSV."""
    if path.is_dir():
        for file in sorted(path.rglob("*.txt")):
            yield {"id": str(file.relative_to(path)), text_field: file.read_text(encoding="utf-8")}
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    record = {"_error": f"line {line_no}: not JSON ({exc.msg})"}
                if not isinstance(record, dict):
                    record = {"_error": f"line {line_no}: not a JSON object"}
                record.setdefault("id", line_no)
                yield record
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            for row_no, row in enumerate(csv.DictReader(handle), start=2):
                row.setdefault("id", row_no)
                yield row
    else:
        yield {"id": path.name, text_field: path.read_text(encoding="utf-8")}


def summarize_files(
    input: str | Path,
    *,
    k: float = 3,
    max_chars: int | None = None,
    method: str = "auto",
    output: str | Path | None = None,
    text_field: str = "text",
    title_field: str = "title",
    id_field: str = "id",
) -> int:
    """Summarise every record of ``input`` into JSONL (the ``govnlp summarize`` command).

    Each output line keeps the input record's fields and adds ``summary`` (a list of sentences);
    a record without usable text gets ``summary: []`` and an ``error`` message instead of being
    dropped.

    Returns:
        The exit code: 0, or 1 when no record could be summarised.
    """
    summarizer = get_summarizer(method)
    path = Path(input)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    out = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    done = failed = 0
    try:
        for record in _records(path, text_field):
            text = record.get(text_field)
            error = record.pop("_error", None)
            if error is None and not isinstance(text, str):
                error = f"no text field {text_field!r}"
            if error is None:
                title = (
                    record.get(title_field) if isinstance(record.get(title_field), str) else None
                )
                summary = summarize(text, k, max_chars=max_chars, method=summarizer, title=title)
                record["summary"] = summary.sentences
                done += 1
            else:
                record["summary"] = []
                record["error"] = error
                failed += 1
            if id_field != "id" and id_field in record:
                record.setdefault("id", record[id_field])
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if output:
            out.close()
    logger.info("summarised %d records, %d errors", done, failed)
    return 0 if done or not failed else 1
