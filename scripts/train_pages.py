"""Train the line-role model of ``govnlp.pages`` on generated page dumps.

    python scripts/train_pages.py        # writes src/govnlp/page_model.safetensors

Steps:
1. load the corpus articles and keep the even-numbered half (the odd half is held out for
   ``scripts/eval_pages.py``, so the evaluation never sees an article the model was trained on);
2. generate pages with their line roles (``scripts/pagegen.py``, fixed seed);
3. count characters and character pairs in the training articles (the pair statistics flag
   a column break inside a word), then fit the hashed-feature linear-chain CRF
   (``govnlp.pages.train_role_model``, needs ``pip install -e ".[train]"``);
4. save its weights (float16, safetensors) into the package.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pagegen import DEFAULT_CORPUS, generate_pages, load_articles, split_articles
from safetensors.numpy import save_file

from govnlp.pages import MODEL_FILE, char_statistics, split_paragraphs, train_role_model

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--c2", type=float, default=3.0, help="L2 penalty of the CRF")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--output", type=Path, default=ROOT / "src" / "govnlp" / MODEL_FILE)
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2

    # 1. Training half of the articles.
    articles, _ = split_articles(load_articles(args.corpus))
    # 2. Pages with line roles.
    pages = generate_pages(articles, args.pages, seed=args.seed)
    examples = []
    for page in pages:
        lines = [p.text for p in split_paragraphs(page.text)]
        assert len(lines) == len(page.roles), (len(lines), len(page.roles))
        examples.append((lines, page.roles))
    # 3. Fit.
    start = time.perf_counter()
    statistics = char_statistics("\n".join(a["paragraphs"]) for a in articles)
    weights = train_role_model(examples, statistics, c2=args.c2)
    print(
        f"trained on {len(examples)} pages / {sum(len(r) for _, r in examples)} lines "
        f"from {len(articles)} articles in {time.perf_counter() - start:.0f} s"
    )
    # 4. Save.
    save_file(weights, str(args.output))
    print(f"wrote {args.output} ({args.output.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
