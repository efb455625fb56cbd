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

from govnlp.evaluation.evaluate import evaluate
from govnlp.evaluation.model_card import write_model_card
from govnlp.evaluation.report import markdown_report
from govnlp.tagging import TrainingConfig, train

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "themes"
DATA_DESCRIPTION = """
- Training: `shared/data/themes/train.jsonl`, ~4,000 People's Daily articles with silver labels
  (one annotator; first 1,000 characters of each article). 15% of it (seed 13) is held out for
  early stopping, the temperature, the mixing weight and the thresholds.
- Evaluation: `shared/data/themes/dev.jsonl`, 250 other articles, gold labels (two annotators,
  adjudicated); dev is only scored.
- The article text is the publisher's and is not distributed with this model.
"""


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
    write_model_card(
        args.output,
        results,
        data_description=DATA_DESCRIPTION,
        command=command.strip(),
        minutes=minutes,
        default=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
