"""Compare extractive summary methods on editor-written summaries (character-level ROUGE).

Steps:
1. load ``../shared/data/summaries/dev.jsonl`` (People's Daily articles with the editor's
   核心阅读 box as the reference);
2. summarise every article with every method, at k=3 sentences and at a 150-character budget;
3. score character-level ROUGE-1/2/L F1 (``rouge-score`` with a character tokenizer;
   punctuation and whitespace removed) and time each method (articles/second);
4. print one Markdown table.

Usage: python scripts/eval_summarize.py [--methods lead,textrank,hybrid,embedding] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from rouge_score import rouge_scorer

from govnlp.summarizers import get_summarizer
from govnlp.text import sentences as split

DEFAULT_DEV = Path(__file__).resolve().parents[1].parent / "shared/data/summaries/dev.jsonl"
_DROP = re.compile(r"[\s\W_]+", flags=re.UNICODE)


class CharTokenizer:
    """Characters, with punctuation and whitespace removed."""

    def tokenize(self, text: str) -> list[str]:
        return list(_DROP.sub("", text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--methods", default="lead,textrank,hybrid")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"data not found: {args.data}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in args.data.open(encoding="utf-8")][: args.limit]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=CharTokenizer())
    print(f"articles: {len(rows)} ({args.data.name})\n")
    print("| method | budget | R-1 | R-2 | R-L | articles/s |")
    print("|---|---|---|---|---|---|")
    for name in args.methods.split(","):
        method = get_summarizer(name)
        for label, k, max_chars in (("k=3", 3, None), ("150 chars", 1000, 150)):
            docs = [split(row["text"]) for row in rows]
            start = time.perf_counter()
            outputs = [
                method(doc, k=k, max_chars=max_chars, title=row.get("title"))
                for doc, row in zip(docs, rows)
            ]
            seconds = time.perf_counter() - start
            totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
            for out, row in zip(outputs, rows):
                result = scorer.score(row["summary"], out.text)
                for key in totals:
                    totals[key] += result[key].fmeasure
            r1, r2, rl = (100 * totals[key] / len(rows) for key in ("rouge1", "rouge2", "rougeL"))
            print(
                f"| {name} | {label} | {r1:.1f} | {r2:.1f} | {rl:.1f} | {len(rows) / seconds:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
