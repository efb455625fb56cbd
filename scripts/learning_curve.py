"""Learning curve: dev and dev_extra F1 against the number of training articles.

    python scripts/learning_curve.py                 # the TF-IDF part (minutes)
    python scripts/learning_curve.py --tagger        # and the tagger recipe (45 min per run on 2 CPU cores)
    python scripts/learning_curve.py --sizes 500 --taxonomy-prior   # the recipe with and without the prior
    python scripts/learning_curve.py --sizes all --tagger --device cuda --frozen-layers 0   # on a GPU

Steps: 1. pool train.jsonl and train_extra.jsonl (8,679 silver articles); 2. for each size (2,000,
4,000, all) and seed, draw a seeded subset (all: the full pool, seeds vary the validation slice
only), train the character TF-IDF model on 85% of it with thresholds tuned on the other 15% (as
``govnlp train`` chooses them), and with ``--tagger`` also the default recipe
(``TrainingConfig(seed=seed)``) on the same subset; 3. print micro / macro-F1 on dev (250 gold),
dev_extra (500 gold) and both pooled (750), mean ± sd over the seeds. ``--taxonomy-prior`` also
trains the recipe with ``taxonomy_prior=True`` on the same subsets and prints the paired
difference (prior minus plain) per seed.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from govnlp.evaluation.metrics import multilabel_report
from govnlp.tagging import TrainingConfig, train
from govnlp.tagging.calibration import apply_thresholds, tune_thresholds
from govnlp.tagging.data import Examples, load_examples, split_validation
from govnlp.tagging.lexical import LexicalModel, lexical_documents

ROOT = Path(__file__).resolve().parents[1]
THEMES = ROOT.parent / "shared" / "data" / "themes"


def subset(examples: Examples, rows: np.ndarray) -> Examples:
    return replace(
        examples,
        ids=[examples.ids[i] for i in rows],
        titles=[examples.titles[i] for i in rows],
        texts=[examples.texts[i] for i in rows],
        targets=examples.targets[rows],
    )


def tfidf_decisions(train_set: Examples, tests: dict[str, Examples], seed: int) -> dict:
    config = TrainingConfig()
    fit_idx, val_idx = split_validation(len(train_set.texts), config.validation_fraction, seed)
    docs = lexical_documents(train_set.texts, train_set.titles)
    model = LexicalModel(max_features=config.lexical_max_features)
    model.fit([docs[i] for i in fit_idx], train_set.targets[fit_idx])
    cuts = tune_thresholds(
        train_set.targets[val_idx],
        model.predict_proba([docs[i] for i in val_idx]),
        shrinkage=config.threshold_shrinkage,
    )
    return {
        name: apply_thresholds(
            model.predict_proba(lexical_documents(test.texts, test.titles)), cuts, 4
        )
        for name, test in tests.items()
    }


def tagger_decisions(train_set: Examples, tests: dict[str, Examples], seed: int, **recipe) -> dict:
    tagger = train(train_set, TrainingConfig(seed=seed, **recipe))
    tagger.optimize_for_cpu()
    return {
        name: tagger.decide(tagger.predict_proba(test.texts, test.titles))
        for name, test in tests.items()
    }


def scores(decisions: dict, tests: dict[str, Examples], label_ids: list[str]) -> dict:
    out = {}
    for name, test in tests.items():
        report = multilabel_report(test.targets, decisions[name], label_ids)
        out[name] = (report["micro"]["f1"], report["macro"]["f1"])
    pooled_true = np.concatenate([t.targets for t in tests.values()])
    pooled_pred = np.concatenate([decisions[n] for n in tests])
    report = multilabel_report(pooled_true, pooled_pred, label_ids)
    out["pooled"] = (report["micro"]["f1"], report["macro"]["f1"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,4000,all")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tagger", action="store_true", help="also train the tagger recipe")
    parser.add_argument(
        "--taxonomy-prior",
        action="store_true",
        help="also train the recipe with the taxonomy prior (implies --tagger)",
    )
    parser.add_argument("--device", default="cpu", help="where the tagger trains: cpu, cuda")
    parser.add_argument("--frozen-layers", type=int, default=None, help="override the recipe's")
    parser.add_argument("--base-model", default=None, help="override the recipe's base encoder")
    args = parser.parse_args()
    recipe = {"device": args.device}
    if args.frozen_layers is not None:
        recipe["frozen_layers"] = args.frozen_layers
    if args.base_model is not None:
        recipe["base_model"] = args.base_model
    pool = load_examples([THEMES / "train.jsonl", THEMES / "train_extra.jsonl"])
    tests = {name: load_examples(THEMES / f"{name}.jsonl") for name in ("dev", "dev_extra")}
    label_ids = [label.id for label in pool.labels]
    models = {"tfidf": tfidf_decisions}
    if args.tagger or args.taxonomy_prior:
        models["tagger"] = partial(tagger_decisions, **recipe)
    if args.taxonomy_prior:
        models["tagger+prior"] = partial(tagger_decisions, taxonomy_prior=True, **recipe)
    print(
        "| model | articles | dev micro / macro | dev_extra micro / macro | pooled 750 micro / macro | seconds/run |"
    )
    print("|---|---|---|---|---|---|")
    for size in args.sizes.split(","):
        n = len(pool.texts) if size == "all" else int(size)
        pooled_micro = {}
        for name, decide in models.items():
            runs, seconds = [], []
            for seed in range(args.seeds):
                rows = np.random.default_rng(seed).permutation(len(pool.texts))[:n]
                started = time.time()
                runs.append(
                    scores(decide(subset(pool, np.sort(rows)), tests, seed), tests, label_ids)
                )
                seconds.append(time.time() - started)
            cells = []
            for part in ("dev", "dev_extra", "pooled"):
                micro = [run[part][0] for run in runs]
                macro = [run[part][1] for run in runs]
                cells.append(
                    f"{np.mean(micro):.3f} ± {np.std(micro):.3f} / "
                    f"{np.mean(macro):.3f} ± {np.std(macro):.3f}"
                )
            print(
                f"| {name} | {n} | " + " | ".join(cells) + f" | {np.mean(seconds):.0f} |",
                flush=True,
            )
            pooled_micro[name] = np.array([run["pooled"][0] for run in runs])
        if "tagger+prior" in pooled_micro:
            change = pooled_micro["tagger+prior"] - pooled_micro["tagger"]
            print(
                f"\nprior minus plain, pooled 750 micro-F1 at {n} articles, per seed: "
                + ", ".join(f"{d:+.3f}" for d in change)
                + f" (mean {change.mean():+.3f} ± {change.std():.3f})\n",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
