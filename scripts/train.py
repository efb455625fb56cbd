"""Train the default theme tagger, evaluate it against the TF-IDF baseline, write its model card.

    python scripts/train.py                               # reproduces models/govnlp-themes-e5-small
    python scripts/train.py --seeds 3 --device cuda       # and the recipe's spread, on a GPU

Steps: 1. train with the default TrainingConfig on the shared training files (thresholds,
temperature and mixing weight from a validation slice of them); 2. evaluate on each gold dev file
next to a TF-IDF baseline trained and thresholded the same way; 3. with ``--seeds N``, train and
evaluate the recipe N-1 more times with the next seeds (kept in a temporary folder); 4. write the
model card with those figures (the first seed's model is the one saved).
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from govnlp.evaluation.evaluate import evaluate
from govnlp.evaluation.model_card import write_model_card
from govnlp.evaluation.report import markdown_report
from govnlp.tagging import TrainingConfig, train

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "themes"
DATA_DESCRIPTION = """
- Training: `shared/data/themes/train.jsonl` and `train_extra.jsonl`, 8,679 People's Daily
  articles with silver labels (one annotator each; first 1,000 characters of each article). 15% of
  them (seed 13) are held out for early stopping, the temperature, the mixing weight and the
  thresholds.
- Evaluation: `shared/data/themes/dev.jsonl` (250 articles, oversampled for rare themes) and
  `dev_extra.jsonl` (500 articles drawn at random from the corpus), gold labels (two annotators,
  adjudicated); they are only scored, never used for a choice.
- The article text is the publisher's and is not distributed with this model.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--train-file",
        nargs="+",
        default=[str(SHARED / "train.jsonl"), str(SHARED / "train_extra.jsonl")],
    )
    parser.add_argument(
        "--dev-file",
        nargs="+",
        default=[str(SHARED / "dev.jsonl"), str(SHARED / "dev_extra.jsonl")],
    )
    parser.add_argument("--output", default=str(ROOT / "models" / "govnlp-themes-e5-small"))
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    parser.add_argument("--device", default="cpu", help="where to train: cpu, cuda, cuda:1")
    parser.add_argument(
        "--seeds", type=int, default=1, help="train the recipe this many times (seed 13, 14, ...)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    command = "python scripts/train.py " + shlex.join(sys.argv[1:])

    # 1. Train (the default recipe unless told otherwise).
    config = TrainingConfig(device=args.device)
    if args.epochs is not None:
        config = replace(config, epochs=args.epochs)
    started = time.time()
    train(args.train_file, config, args.output)
    minutes = (time.time() - started) / 60

    def evaluate_all(model: str | Path, reports: Path | None) -> dict:
        out = {}
        for dev_file in args.dev_file:
            name = Path(dev_file).stem
            out[name] = evaluate(
                model, dev_file, args.train_file, reports / name if reports else None
            )
        return out

    # 2. Evaluate on each dev file, with the TF-IDF baseline of the same training split.
    evaluations = evaluate_all(args.output, Path(args.output) / "evaluation")
    for name, results in evaluations.items():
        print(f"## {name}\n\n{markdown_report(results)}")

    # 3. The same recipe with the next seeds, for its spread.
    seed_runs = {config.seed: evaluations}
    for seed in range(config.seed + 1, config.seed + args.seeds):
        with tempfile.TemporaryDirectory() as folder:
            train(args.train_file, replace(config, seed=seed), folder)
            seed_runs[seed] = evaluate_all(folder, None)

    # 4. Model card.
    write_model_card(
        args.output,
        evaluations,
        data_description=DATA_DESCRIPTION,
        command=command.strip(),
        minutes=minutes,
        default=True,
        seed_runs=seed_runs if args.seeds > 1 else None,
        hardware=_hardware(args.device),
    )
    return 0


def _hardware(device: str) -> str:
    import os

    import torch

    if device.startswith("cuda"):
        return f"one {torch.cuda.get_device_name(torch.device(device))} GPU"
    return f"a {os.cpu_count()}-core CPU"


if __name__ == "__main__":
    raise SystemExit(main())
