"""Record what govnlp outputs on fixed inputs, or compare with a recording: a refactor's check.

    python scripts/snapshot_outputs.py --write runs/before.json     # on the old code
    python scripts/snapshot_outputs.py --compare runs/before.json   # on the new code

Steps:
1. ``govnlp tag`` on ``examples/`` (the page with ``--pages --summary 2 --evidence``, the
   articles with ``--summary 3 --evidence``), as written to the output file;
2. the built-in tagger's probabilities on ``--articles`` dev articles, on the reference path
   (float32, overlapping windows) and on the fast path that ``govnlp tag`` runs;
3. lead, textrank and hybrid summaries of the same articles (k=3 and a 150-character budget);
4. ``split_page`` on ``examples/page.txt`` and on ``--pages`` generated pages of held-out articles;
5. write them as JSON, or compare: records and page items must be equal, probabilities within
   ``--atol`` (default 1e-6).

The recording holds corpus text (summaries, page items): keep it out of the repository
(``runs/`` is ignored by git).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _tag(args: list[str]) -> list[dict]:
    from govnlp.cli import main

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.jsonl"
        code = main(["tag", *args, "--output", str(out)])
        if code != 0:
            raise SystemExit(f"govnlp tag {args} exited {code}")
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def snapshot(n_articles: int, n_pages: int) -> dict:
    import govnlp

    result: dict = {
        "tag_page": _tag(
            [str(ROOT / "examples/page.txt"), "--pages", "--summary", "2", "--evidence"]
        ),
        "tag_articles": _tag(
            [str(ROOT / "examples/articles.jsonl"), "--summary", "3", "--evidence"]
        ),
        "split_example_page": [
            item.to_dict()
            for item in govnlp.split_page((ROOT / "examples/page.txt").read_text(encoding="utf-8"))
        ],
    }
    dev_file = SHARED / "themes" / "dev.jsonl"
    if not dev_file.exists():
        print("no ../shared: examples only", file=sys.stderr)
        return result
    rows = [json.loads(line) for line in dev_file.open(encoding="utf-8")][:n_articles]
    texts, titles = [r["text"] for r in rows], [r.get("title") or None for r in rows]
    tagger = govnlp.Tagger.from_pretrained()
    result["proba_reference"] = tagger.predict_proba(texts, titles).tolist()
    tagger.optimize_for_cpu()
    result["proba_fast"] = tagger.predict_proba(texts, titles).tolist()
    result["summaries"] = {
        f"{method}/{budget}": [
            govnlp.summarize(text, k, max_chars=chars, method=method, title=title).sentences
            for text, title in zip(texts, titles)
        ]
        for method in ("lead", "textrank", "hybrid")
        for budget, k, chars in (("k3", 3, None), ("150", 1000, 150))
    }
    sys.path.insert(0, str(ROOT / "scripts"))
    from pagegen import DEFAULT_CORPUS, generate_pages, load_articles, split_articles

    _, held_out = split_articles(load_articles(DEFAULT_CORPUS))
    result["split_pages"] = [
        [item.to_dict() for item in govnlp.split_page(page.text)]
        for page in generate_pages(held_out, n_pages, seed=11)
    ]
    return result


def compare(before: dict, after: dict, atol: float) -> list[str]:
    problems = []
    for key in sorted(set(before) | set(after)):
        if key not in before or key not in after:
            problems.append(f"{key}: only in {'before' if key in before else 'after'}")
        elif key.startswith("proba"):
            diff = float(np.abs(np.array(before[key]) - np.array(after[key])).max())
            print(f"{key}: largest difference {diff:.2e}")
            if diff > atol:
                problems.append(f"{key}: differs by {diff:.2e} > {atol:.0e}")
        elif before[key] != after[key]:
            problems.append(f"{key}: differs")
        else:
            print(f"{key}: equal ({len(before[key])} entries)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, help="record the outputs into this JSON file")
    mode.add_argument("--compare", type=Path, help="compare the outputs with this recording")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--atol", type=float, default=1e-6)
    args = parser.parse_args(argv)
    outputs = snapshot(args.articles, args.pages)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(json.dumps(outputs, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.write}")
        return 0
    problems = compare(json.loads(args.compare.read_text(encoding="utf-8")), outputs, args.atol)
    for problem in problems:
        print("DIFFERS:", problem)
    print("unchanged" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
