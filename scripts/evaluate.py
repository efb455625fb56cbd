"""Evaluate a tagger on the gold dev file next to the TF-IDF baseline.

    python scripts/evaluate.py                      # the built-in model
    python scripts/evaluate.py --model models/mine  # any saved tagger

Steps: 1. load the model; 2. score it and the baseline (trained on the model's own training split,
thresholds from its validation slice); 3. write metrics.json, metrics.md and the plots.
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
    parser.add_argument("--dev-file", default=str(SHARED / "dev.jsonl"))
    parser.add_argument("--train-file", default=str(SHARED / "train.jsonl"))
    parser.add_argument("--output", default="reports/evaluation")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    results = evaluate(args.model, args.dev_file, args.train_file, args.output)
    print(markdown_report(results))
    print(f"reports written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
