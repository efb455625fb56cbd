"""Compare extractive summary methods on editor-written summaries (character ROUGE, 95% CIs).

Steps:
1. load ``../shared/data/summaries/dev.jsonl`` (People's Daily articles with the editor's
   核心阅读 box as the reference);
2. summarise every article with every method at k=3 sentences and at a 150-character budget
   (``learned`` also with clauses); ``learned`` is cross-validated: each article is summarised by
   a model fitted on the other folds, never by the shipped model, which saw every article;
   ``oracle`` is the greedy ROUGE oracle (the ceiling of extraction);
3. short texts: the opening paragraphs of each article, under 200 characters, k=1;
4. score character ROUGE-1/2/L F1 (punctuation and whitespace removed) with 95% bootstrap
   intervals over articles, and time each method on the articles cut to 2,000 characters.

Usage: python scripts/eval_summarize.py [--methods oracle,lead,textrank,hybrid,learned]
       [--limit N] [--folds 5]   (needs ``pip install -e ".[eval]"``; about 5 minutes)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from govnlp.evaluation.summaries import bootstrap_interval, rouge_scores
from govnlp.summarizers import get_summarizer, split_units, summarize
from govnlp.summarizers.features import TitleLexicon
from govnlp.summarizers.training import cross_validated_summarizers, oracle

SHARED = Path(__file__).resolve().parents[1].parent / "shared/data"
SETTINGS = (("k=3", 3, None, "sentence"), ("150 chars", 1000, 150, "sentence"),
            ("150 chars", 1000, 150, "clause"), ("short, k=1", 1, None, "sentence"))  # fmt: skip
SPEED_CHARS = 2000


def opening(text: str, limit: int = 200) -> str:
    """The article's first whole sentences, under ``limit`` characters."""
    units, _ = split_units(text)
    kept = ""
    for unit in units:
        if len(kept) + len(unit) > limit:
            break
        kept += unit
    return kept


def summaries(method: str, articles: list[dict], setting: tuple, models: list | None) -> list[str]:
    label, k, max_chars, unit = setting
    out = []
    for i, article in enumerate(articles):
        text = opening(article["text"]) if label.startswith("short") else article["text"]
        if method == "oracle":
            units, _ = split_units(text, unit)
            picked = oracle(units, article["summary"], max_units=None if max_chars else k,
                            max_chars=max_chars)  # fmt: skip
            out.append("".join(units[j] for j in picked))
            continue
        summarizer = models[i].for_unit(unit) if method == "learned" else get_summarizer(method)
        result = summarize(text, k, max_chars=max_chars, method=summarizer,
                           title=article["title"], unit=unit)  # fmt: skip
        out.append(result.text)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "summaries/dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus/peoples_daily.jsonl")
    parser.add_argument("--methods", default="oracle,lead,textrank,hybrid,learned")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    for path in (args.data, args.corpus):
        if not path.exists():
            print(f"data not found: {path}", file=sys.stderr)
            return 2
    articles = [json.loads(line) for line in args.data.open(encoding="utf-8")][: args.limit]
    methods = args.methods.split(",")
    models = None
    if "learned" in methods:
        held_out = {article["title"] for article in articles}
        corpus = (json.loads(line) for line in args.corpus.open(encoding="utf-8"))
        lexicon = TitleLexicon.build(
            (row["title"], row["text"]) for row in corpus if row["title"] not in held_out
        )
        models = cross_validated_summarizers(articles, lexicon, folds=args.folds)
    references = [article["summary"] for article in articles]
    print(f"articles: {len(articles)} ({args.data.name}); learned: {args.folds}-fold CV\n")
    print("| method | setting | unit | R-1 | R-2 | R-L [95% CI] |")
    print("|---|---|---|---|---|---|")
    for setting in SETTINGS:
        for method in methods:
            if setting[3] == "clause" and method not in ("learned", "oracle"):
                continue
            scores = rouge_scores(references, summaries(method, articles, setting, models))
            low, high = bootstrap_interval(scores[:, 2])
            r1, r2, rl = scores.mean(axis=0)
            print(f"| {method} | {setting[0]} | {setting[3]} | {r1:.1f} | {r2:.1f} | "
                  f"{rl:.1f} [{low:.1f}, {high:.1f}] |", flush=True)  # fmt: skip

    print(f"\nspeed, articles/s on the articles cut to {SPEED_CHARS} characters (best of 3):\n")
    print("| method | k=3 | 150 chars |")
    print("|---|---|---|")
    cut = [(article["text"][:SPEED_CHARS], article["title"]) for article in articles]
    for method in (m for m in methods if m != "oracle"):
        summarizer = get_summarizer(method)  # the shipped model for learned: loaded once
        rates = []
        for k, max_chars in ((3, None), (1000, 150)):
            best = np.inf
            for _ in range(3):
                start = time.perf_counter()
                for text, title in cut:
                    summarize(text, k, max_chars=max_chars, method=summarizer, title=title)
                best = min(best, time.perf_counter() - start)
            rates.append(len(cut) / best)
        print(f"| {method} | {rates[0]:.0f} | {rates[1]:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
