"""Evaluate ``govnlp.pages.split_page`` on generated page dumps.

Steps:
1. load real articles (default ``../shared/data/corpus/peoples_daily.jsonl``), the held-out
   odd-numbered half (the page model is trained on the even half);
2. generate N pages with known truth (``scripts/pagegen.py``, fixed seed);
3. split each page and score item boundaries (P/R/F1 of item start offsets), exact titles and
   bylines of the true articles, item kinds, and column joins (P/R over line boundaries);
4. time the splitter on a ~200 kB page (median of three runs).

Usage: python scripts/eval_pages.py [--pages 300] [--seed 1] [--corpus PATH] [--articles training]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pagegen import DEFAULT_CORPUS, generate_pages, load_articles, split_articles

from govnlp.pages import split_page, split_paragraphs


def predicted_joins(text: str, items) -> list[bool]:
    """For each pair of consecutive input lines, whether the splitter joined them."""
    lines = [p.text for p in split_paragraphs(text)]
    joins: list[bool] = []
    index = 0
    for item in items:
        if item.kind == "photo":  # caption first, credit under it
            units = [*item.paragraphs, item.byline]
        else:
            units = [item.title, item.byline, *item.paragraphs]
        units = [u for u in units if u]
        for unit in units:
            consumed = ""
            first = True
            while len(consumed) < len(unit) and index < len(lines):
                if index > 0:
                    joins.append(not first)
                consumed += lines[index]
                index += 1
                first = False
    return joins


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--errors", type=int, default=0, help="print this many error examples")
    parser.add_argument(
        "--articles",
        choices=["held-out", "training"],
        default="held-out",
        help="build the pages from the held-out half (default) or, to see how much the model "
        "memorises, from the half it was trained on",
    )
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2

    # The held-out half: scripts/train_pages.py trains the page model on the other one.
    training_half, held_out_half = split_articles(load_articles(args.corpus))
    articles = held_out_half if args.articles == "held-out" else training_half
    pages = generate_pages(articles, args.pages, seed=args.seed)
    b_tp = b_fp = b_fn = j_tp = j_fp = j_fn = 0
    titles = titles_ok = bylines_ok = kinds_ok = n_items = 0
    shown = 0
    for page in pages:
        items = split_page(page.text)
        truth_starts = {item.start for item in page.items}
        pred_starts = {item.start for item in items}
        b_tp += len(truth_starts & pred_starts)
        b_fp += len(pred_starts - truth_starts)
        b_fn += len(truth_starts - pred_starts)
        by_start = {item.start: item for item in items}
        for truth in page.items:
            pred = by_start.get(truth.start)
            n_items += 1
            kinds_ok += pred is not None and pred.kind == truth.kind
            if truth.kind == "article":
                titles += 1
                titles_ok += pred is not None and pred.title == truth.title
                bylines_ok += pred is not None and pred.byline == truth.byline
        pred_joins = predicted_joins(page.text, items)
        assert len(pred_joins) == len(page.joins), (len(pred_joins), len(page.joins))
        for t, p in zip(page.joins, pred_joins):
            j_tp += t and p
            j_fp += p and not t
            j_fn += t and not p
        if args.errors and shown < args.errors and (truth_starts != pred_starts):
            shown += 1
            print("=" * 60)
            print(page.text[:3000])
            print("-- truth starts", sorted(truth_starts), "pred", sorted(pred_starts))
            for item in items:
                print(
                    item.kind, item.start, repr(item.title), repr(item.byline), len(item.paragraphs)
                )

    bp, br, bf = prf(b_tp, b_fp, b_fn)
    jp, jr, jf = prf(j_tp, j_fp, j_fn)
    big = "\n\n".join(page.text for page in pages)[:200_000]
    # The median of three runs: one run on this shared 2-core machine varied by 50%.
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        split_page(big)
        runs.append(time.perf_counter() - start)
    seconds = sorted(runs)[1]

    print(f"pages: {len(pages)} (seed {args.seed}), items: {n_items}, column breaks: {j_tp + j_fn}")
    print("| metric | value |\n|---|---|")
    print(f"| item boundaries P / R / F1 | {bp:.3f} / {br:.3f} / {bf:.3f} |")
    print(f"| titles exact | {titles_ok / titles:.3f} |")
    print(f"| bylines exact | {bylines_ok / titles:.3f} |")
    print(f"| item kind | {kinds_ok / n_items:.3f} |")
    print(f"| column joins P / R / F1 | {jp:.3f} / {jr:.3f} / {jf:.3f} |")
    print(f"| split a {len(big) // 1000} kB page (median of 3) | {seconds * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
