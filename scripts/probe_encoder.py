"""A quick check of base encoders for theme tagging: a linear probe on frozen embeddings.

    python scripts/probe_encoder.py e5-small-zh runs/e5-small-zh-adapted-delta

Steps: 1. embed title + text (the first 256-token window, mean-pooled, as the tagger's first
window) of the training file and of the gold dev and dev_extra files with each base encoder;
2. fit one logistic regression per theme on standardised embeddings of 85% of the training
file (seeds vary the split), thresholds tuned on the other 15% as ``govnlp train`` does;
3. print micro-F1 and micro average precision on dev and dev_extra, mean ± sd over the seeds.

A probe is not the tagger (which fine-tunes the top layers and mixes in TF-IDF): it says whether
an encoder's representations carry more of the themes, cheaply, before a 45-minute training run.

``--zero-shot`` instead scores the tagger's own head, untrained, over all windows of each dev
article: once started from the taxonomy prior (``govnlp.tagging.prior``: each theme's row from
its description in ``labels.csv``, bias from its training rate) and once from a random head with
the same biases — what the prior alone knows before any training (average precision, no
thresholds).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from govnlp.encoders import load_encoder, windows
from govnlp.tagging.calibration import apply_thresholds, tune_thresholds
from govnlp.tagging.data import load_examples, split_validation
from govnlp.tagging.model import pad_windows

ROOT = Path(__file__).resolve().parents[1]
THEMES = ROOT.parent / "shared" / "data" / "themes"


def embed(base_model: str, texts: list[str], titles: list[str | None]) -> np.ndarray:
    model, tokenizer = load_encoder(base_model)
    first = [windows(tokenizer, t, h, max_length=256)[0] for t, h in zip(texts, titles)]
    order = sorted(range(len(first)), key=lambda i: len(first[i]))
    out = np.zeros((len(first), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for begin in range(0, len(order), 32):
            rows = order[begin : begin + 32]
            ids, mask = pad_windows([first[i] for i in rows], tokenizer.pad_token_id or 0)
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).float()
            out[rows] = ((hidden * weights).sum(1) / weights.sum(1)).numpy()
    return out


def probe(train_x, train_y, tests: dict, seed: int) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, f1_score
    from sklearn.preprocessing import StandardScaler

    fit_idx, val_idx = split_validation(len(train_x), 0.15, seed)
    scaler = StandardScaler().fit(train_x[fit_idx])
    columns = []
    for label in range(train_y.shape[1]):
        model = LogisticRegression(C=0.1, max_iter=2000, class_weight="balanced")
        model.fit(scaler.transform(train_x[fit_idx]), train_y[fit_idx, label])
        columns.append(model)

    def proba(x):
        return np.stack([m.predict_proba(scaler.transform(x))[:, 1] for m in columns], axis=1)

    cut = tune_thresholds(train_y[val_idx], proba(train_x[val_idx]))
    scores = {}
    for name, (x, y) in tests.items():
        p = proba(x)
        scores[f"{name} micro-F1"] = f1_score(y, apply_thresholds(p, cut, 4), average="micro")
        scores[f"{name} micro-AP"] = average_precision_score(y, p, average="micro")
    return scores


def zero_shot(base_model: str, train, tests: dict) -> dict:
    from sklearn.metrics import average_precision_score

    from govnlp.tagging import Tagger
    from govnlp.tagging.prior import init_head_from_labels

    scores = {}
    for start in ("prior", "random"):
        torch.manual_seed(0)
        tagger = Tagger.from_base_model(base_model, train.labels)
        init_head_from_labels(tagger, train.targets.mean(0))
        if start == "random":
            torch.nn.init.normal_(tagger.model.classifier.weight, std=0.02)
        tagger.optimize_for_cpu()
        for name, examples in tests.items():
            proba = tagger.predict_proba(examples.texts, examples.titles)
            for average in ("micro", "macro"):
                scores[f"{start} {name} {average}-AP"] = average_precision_score(
                    examples.targets, proba, average=average
                )
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_models", nargs="+", help="e5-small-zh, directories, delta dirs")
    parser.add_argument("--train-file", default=str(THEMES / "train.jsonl"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--zero-shot", action="store_true", help="score the taxonomy prior alone")
    args = parser.parse_args()
    train = load_examples(args.train_file)
    tests = {name: load_examples(THEMES / f"{name}.jsonl") for name in ("dev", "dev_extra")}
    for base in args.base_models:
        if args.zero_shot:
            scores = zero_shot(base, train, tests)
            print(f"| {base} | " + " | ".join(f"{k} {v:.4f}" for k, v in scores.items()) + " |")
            continue
        train_x = embed(base, train.texts, train.titles)
        test_xy = {n: (embed(base, e.texts, e.titles), e.targets) for n, e in tests.items()}
        runs = [probe(train_x, train.targets, test_xy, seed) for seed in range(args.seeds)]
        cells = [
            f"{key} {np.mean([r[key] for r in runs]):.4f} ± {np.std([r[key] for r in runs]):.4f}"
            for key in runs[0]
        ]
        print(f"| {base} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
