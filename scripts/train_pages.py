"""Train the line-role model of ``govnlp.pages`` on generated page dumps.

    python scripts/train_pages.py        # writes src/govnlp/pages/page_model.safetensors

Steps:
1. load the corpus articles and keep the even-numbered half (the odd half is held out for
   ``scripts/eval_pages.py``, so the evaluation never sees an article the model was trained on);
2. split it in two folds and generate pages with their line roles from each
   (``scripts/pagegen.py``, fixed seeds);
3. per fold, count character n-grams (they tell a sentence that reads on across a break from a
   paragraph that ends) and train a break reader (``govnlp.pages.train.train_break_reader``) on other
   pages of the fold's articles;
4. fit the hashed-feature linear-chain CRF (``govnlp.pages.train.train_role_model``, needs
   ``pip install -e ".[train]"``), the features of each fold's pages computed with the other
   fold's counts and reader, so that they are as informative as on a page of new articles;
5. save its weights (float16) with the n-gram counts of all training articles and a reader
   trained on pages of all of them (safetensors) into the package.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pagegen import DEFAULT_CORPUS, generate_pages, load_articles, split_articles

from govnlp.pages import PageModel, split_paragraphs
from govnlp.pages.model import default_page_model_path
from govnlp.pages.ngrams import NgramCounts, ngram_statistics
from govnlp.pages.train import train_break_reader, train_role_model


def _texts(articles: list[dict]) -> list[str]:
    return ["\n".join(article["paragraphs"]) for article in articles]


def _pages_with_roles(articles: list[dict], n: int, seed: int) -> list[tuple[list[str], list[str]]]:
    examples = []
    for page in generate_pages(articles, n, seed=seed):
        lines = [p.text for p in split_paragraphs(page.text)]
        assert len(lines) == len(page.roles), (len(lines), len(page.roles))
        examples.append((lines, page.roles))
    return examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8000)
    parser.add_argument(
        "--reader-pages", type=int, default=8000, help="pages per fold for each break reader"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--c2", type=float, default=3.0, help="L2 penalty of the CRF")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--output", type=Path, default=default_page_model_path())
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2

    # 1. Training half of the articles.
    articles, _ = split_articles(load_articles(args.corpus))
    # 2. Pages with line roles, from each fold.
    fold_articles = [articles[0::2], articles[1::2]]
    fold_pages = [
        _pages_with_roles(fold, args.pages // 2, seed=args.seed + k)
        for k, fold in enumerate(fold_articles)
    ]
    # 3. Per fold: n-gram counts, and a break reader trained on other pages of its articles.
    start = time.perf_counter()
    fold_features = [
        PageModel(
            ngrams=NgramCounts(ngram_statistics(_texts(fold))),
            reader=train_break_reader(
                _pages_with_roles(fold, args.reader_pages, seed=args.seed + 100 + k), seed=k
            ),
        )
        for k, fold in enumerate(fold_articles)
    ]
    shipped = PageModel(
        ngrams=NgramCounts(ngram_statistics(_texts(articles))),
        reader=train_break_reader(
            _pages_with_roles(articles, 2 * args.reader_pages, seed=args.seed + 5), seed=2
        ),
    )
    print(f"n-gram counts and break readers in {time.perf_counter() - start:.0f} s")
    # 4. Fit, each fold's pages with the other fold's counts and reader.
    folds = [(fold_pages[0], fold_features[1]), (fold_pages[1], fold_features[0])]
    model = train_role_model(folds, shipped, c2=args.c2)
    n_lines = sum(len(roles) for pages in fold_pages for _, roles in pages)
    print(
        f"trained on {args.pages // 2 * 2} pages / {n_lines} lines "
        f"from {len(articles)} articles in {time.perf_counter() - start:.0f} s"
    )
    # 5. Save.
    model.save_pretrained(args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
