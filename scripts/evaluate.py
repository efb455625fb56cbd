"""Evaluate a tagger on the gold dev files next to the TF-IDF baseline.

    python scripts/evaluate.py                      # the built-in model
    python scripts/evaluate.py --model models/mine  # any saved tagger

Steps: 1. load the model; 2. score it and the baseline (trained on the model's own training split,
thresholds from its validation slice); 3. write metrics.json, metrics.md and the plots, one folder per dev file.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from govnlp.evaluation.evaluate import evaluate
from govnlp.evaluation.report import markdown_report

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "themes"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="tagger directory (default: built-in)")
    parser.add_argument(
        "--dev-file",
        nargs="+",
        default=[str(SHARED / "dev.jsonl"), str(SHARED / "dev_extra.jsonl")],
    )
    parser.add_argument(
        "--train-file",
        nargs="+",
        default=[str(SHARED / "train.jsonl"), str(SHARED / "train_extra.jsonl")],
        help="the model's training files, in training order (for the baseline)",
    )
    parser.add_argument("--output", default="reports/evaluation")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for dev_file in args.dev_file:
        results = evaluate(
            args.model, dev_file, args.train_file, Path(args.output) / Path(dev_file).stem
        )
        print(markdown_report(results))
    print(f"reports written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
