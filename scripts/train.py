"""Train the default theme tagger, evaluate it against the TF-IDF baseline, write its model card.

    python scripts/train.py            # reproduces models/govnlp-themes-e5-small

Steps: 1. train with the default TrainingConfig on the shared training file (thresholds and
temperature from a validation slice of it); 2. evaluate on the gold dev file next to a TF-IDF
baseline trained and thresholded the same way; 3. write the model card with those figures.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
from pathlib import Path

from govnlp.metrics import evaluate, markdown_report
from govnlp.training import TrainingConfig, train, write_model_card

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "themes"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-file", default=str(SHARED / "train.jsonl"))
    parser.add_argument("--dev-file", default=str(SHARED / "dev.jsonl"))
    parser.add_argument("--output", default=str(ROOT / "models" / "govnlp-themes-e5-small"))
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    command = "python scripts/train.py " + shlex.join(sys.argv[1:])

    # 1. Train (the default recipe unless told otherwise).
    config = TrainingConfig() if args.epochs is None else TrainingConfig(epochs=args.epochs)
    started = time.time()
    train(args.train_file, config, args.output)
    minutes = (time.time() - started) / 60

    # 2. Evaluate on dev, with the TF-IDF baseline of the same training split.
    results = evaluate(
        args.output, args.dev_file, args.train_file, Path(args.output) / "evaluation"
    )
    print(markdown_report(results))

    # 3. Model card.
    write_model_card(args.output, results, command=command.strip(), minutes=minutes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
