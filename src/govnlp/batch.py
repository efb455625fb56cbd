"""Batch work on files: ``govnlp tag`` and ``govnlp summarize`` behind the command line.

Both read their inputs through :func:`govnlp.records.read_records` and write through
:class:`govnlp.records.RecordWriter`: one output record per input record, in input order, with
its ``status`` and ``error``; flushed chunk by chunk, so a killed run keeps what it wrote and
``resume=True`` finishes it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tqdm.auto import tqdm

from .analysis import Analysis, AnalysisOptions, analyze_many
from .records import Fields, Record, RecordWriter, chunked, read_records
from .summarizers import get_summarizer, summarize
from .tagging.loading import load_tagger
from .tagging.tagger import Tagger

__all__ = [
    "TAG_CSV_COLUMNS",
    "Engine",
    "LocalEngine",
    "analyse_records",
    "summarize_files",
    "tag_files",
    "tag_record",
]

logger = logging.getLogger(__name__)

TAG_CSV_COLUMNS = (
    "id",
    "status",
    "error",
    "theme_ids",
    "theme_names",
    "theme_scores",
    "title",
    "byline",
    "kind",
    "summary",
    "evidence",
)


RESERVED_FIELDS = frozenset((*TAG_CSV_COLUMNS, "themes"))


def _kept_value(value):
    """A kept input field as it goes into a CSV cell (JSON for lists and objects)."""
    if isinstance(value, str) or value is None:
        return value or ""
    return json.dumps(value, ensure_ascii=False)


def tag_record(
    record: Record,
    analysis: Analysis | None,
    options: AnalysisOptions,
    keep_fields: Sequence[str] = (),
) -> dict:
    """The output record of one input record (what ``govnlp tag`` writes as a JSONL line)."""
    out: dict = {"id": record.id, "status": record.status, "error": record.error}
    out["themes"] = [theme.to_dict() for theme in analysis.themes] if analysis else []
    if record.title is not None:
        out["title"] = record.title
    if record.kind:
        out["byline"] = record.byline
        out["kind"] = record.kind
    if options.summary:
        out["summary"] = analysis.summary if analysis else []
    if options.evidence:
        out["evidence"] = analysis.evidence if analysis else {}
    for name in keep_fields:
        if name in record.fields:
            out[name] = record.fields[name]
    return out


def _csv_row(out: dict, keep_fields: Sequence[str]) -> dict:
    themes = out["themes"]
    row = {
        "id": out["id"],
        "status": out["status"],
        "error": out["error"],
        "theme_ids": ";".join(t["id"] for t in themes),
        "theme_names": ";".join(t["name"] for t in themes),
        "theme_scores": ";".join(f"{t['score']:.4f}" for t in themes),
        "title": out.get("title") or "",
        "byline": out.get("byline", ""),
        "kind": out.get("kind", ""),
        "summary": "\n".join(out.get("summary", [])),
        "evidence": "\n".join(f"{k}: {v}" for k, v in out.get("evidence", {}).items()),
    }
    row.update({name: _kept_value(out.get(name)) for name in keep_fields})
    return row


def analyse_records(
    records: Sequence[Record], tagger: Tagger, options: AnalysisOptions
) -> list[Analysis | None]:
    """Analyses of the readable records of one chunk (``None`` for the others).

    A record whose analysis raises gets status ``failed`` and the error; its neighbours are
    analysed one by one so that they are not lost with it.
    """
    todo = [r for r in records if r.status == "ok"]
    results: dict[int, Analysis] = {}
    try:
        found = analyze_many(
            [r.text for r in todo],
            [r.title for r in todo],
            model=tagger,
            options=options.replace(articles_per_chunk=len(todo) or 1),
        )
        results = {id(r): a for r, a in zip(todo, list(found))}
    except Exception:  # one bad article must not sink its chunk: retry one by one
        for record in todo:
            try:
                found = analyze_many([record.text], [record.title], model=tagger, options=options)
                results[id(record)] = next(found)
            except Exception as exc:
                logger.exception("record %s failed", record.id)
                record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"
    return [results.get(id(r)) for r in records]


class Engine(Protocol):
    """Where the tagging of :func:`tag_files` runs: this process, or another engine (Ray)."""

    def run(
        self, records: Iterable[Record], model: Tagger | str | Path | None, options: AnalysisOptions
    ) -> Iterator[tuple[list[Record], list[Analysis | None]]]:
        """Chunks of ``records`` with their analyses, in input order."""
        ...


@dataclass(frozen=True)
class LocalEngine:
    """Tag in this process, ``options.articles_per_chunk`` records at a time (the default).

    Attributes:
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        quantize: int8 dynamic quantisation (CPU only).
    """

    device: str = "auto"
    quantize: bool = False

    def run(
        self, records: Iterable[Record], model: Tagger | str | Path | None, options: AnalysisOptions
    ) -> Iterator[tuple[list[Record], list[Analysis | None]]]:
        tagger = load_tagger(model, quantize=self.quantize, device=self.device)
        for chunk in chunked(records, options.articles_per_chunk):
            yield chunk, analyse_records(chunk, tagger, options)


def tag_files(
    inputs: Sequence[str | Path],
    output: str | Path | None = None,
    *,
    model: Tagger | str | Path | None = None,
    options: AnalysisOptions | None = None,
    fields: Fields | None = None,
    keep_fields: Sequence[str] = ("date",),
    output_format: str = "jsonl",
    pages: bool = False,
    resume: bool = False,
    progress: bool | None = None,
    engine: Engine | None = None,
) -> Counter:
    """Tag every record of ``inputs`` and write one output record per input record.

    Args:
        inputs: Files, directories or ``-`` (see :func:`govnlp.records.read_records`).
        output: Output file (JSONL or CSV); None writes to stdout.
        model: A :class:`Tagger`, a tagger directory, or None for the built-in model.
        options: What to compute (:class:`AnalysisOptions`); here ``summary`` defaults to 0
            and ``evidence`` to off, as on the command line.
        fields: Text, title and id fields of JSONL/CSV records.
        keep_fields: Input fields copied into each output record when present (the ``date``
            that ``govnlp report`` charts by, a ``source``...).
        output_format: ``"jsonl"`` or ``"csv"`` (``theme_ids`` etc. ``;``-joined).
        pages: Treat text files as page dumps, one record per item.
        resume: Skip records whose ids are already in ``output``.
        progress: Show a progress bar; None = only when stderr is a terminal.
        engine: Where to tag: :class:`LocalEngine` (default: this process, CUDA when
            available) or :class:`govnlp.integrations.ray.RayEngine`.

    Returns:
        Counts of output records per status (resumed records count as ``ok``).

    Raises:
        ValueError: A kept field has the name of an output column.

    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "themes.jsonl")
    >>> tag_files(["examples/article.txt", "no/such.txt"], out)
    Counter({'ok': 1, 'not_found': 1})
    """
    options = options or AnalysisOptions(summary=0, evidence=False)
    keep_fields = list(dict.fromkeys(keep_fields))
    clashes = sorted(RESERVED_FIELDS.intersection(keep_fields))
    if clashes:
        raise ValueError(f"cannot keep input fields {clashes}: govnlp tag writes those itself")
    engine = engine or LocalEngine()
    counts: Counter = Counter()
    columns = (*TAG_CSV_COLUMNS, *keep_fields) if output_format == "csv" else None
    with RecordWriter(output, output_format, columns=columns, resume=resume) as writer:
        if writer.done:
            counts["ok"] += sum(writer.done.values())
            logger.info("resuming: %d records already in %s", sum(writer.done.values()), output)
        pending = writer.pending(read_records(inputs, fields, pages=pages))
        with tqdm(
            unit="article",
            desc="tag",
            disable=not (progress or (progress is None and sys.stderr.isatty())),
        ) as bar:
            for records, analyses in engine.run(pending, model, options):
                rows = [tag_record(r, a, options, keep_fields) for r, a in zip(records, analyses)]
                writer.write([_csv_row(row, keep_fields) for row in rows] if columns else rows)
                counts.update(record.status for record in records)
                bar.update(len(records))
    return counts


def summarize_files(
    inputs: Sequence[str | Path],
    output: str | Path | None = None,
    *,
    k: float = 3,
    max_chars: int | None = None,
    method: str = "auto",
    unit: str = "sentence",
    fields: Fields | None = None,
    resume: bool = False,
) -> Counter:
    """Summarise every record of ``inputs`` into JSONL (the ``govnlp summarize`` command).

    Each output line keeps the input record's fields and adds ``id``, ``status``, ``error`` and
    ``summary`` (a list of sentences); a record that cannot be summarised gets ``summary: []``
    and its error instead of being dropped.

    Returns:
        Counts of output records per status.

    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "summaries.jsonl")
    >>> summarize_files(["examples/articles.jsonl"], out, k=1)
    Counter({'ok': 2, 'empty': 1})
    """
    summarizer = get_summarizer(method, unit)
    fields = fields or Fields()
    counts: Counter = Counter()
    with RecordWriter(output, resume=resume) as writer:
        counts["ok"] += sum(writer.done.values())
        for record in writer.pending(read_records(inputs, fields)):
            out = {**record.fields, "id": record.id, "status": record.status}
            out["error"] = record.error
            out["summary"] = []
            if record.status == "ok":
                try:
                    summary = summarize(
                        record.text,
                        k,
                        max_chars=max_chars,
                        method=summarizer,
                        title=record.title,
                        unit=unit,
                    )
                    out["summary"] = summary.sentences
                except Exception as exc:
                    logger.exception("record %s failed", record.id)
                    out["status"], out["error"] = "failed", f"{type(exc).__name__}: {exc}"
            writer.write([out])
            counts[out["status"]] += 1
    return counts
