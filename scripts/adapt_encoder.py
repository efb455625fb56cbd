"""Domain-adaptive pretraining of the default encoder on the corpus and the public reports.

    python scripts/adapt_encoder.py                       # CPU fallback: top 2 layers, 2,000 articles
    python scripts/adapt_encoder.py --all-layers --max-articles 0 --device cuda   # on a GPU

Steps: 1. gather the corpus articles (all but the gold dev and dev_extra ones: the tagger is
scored there) and the paragraphs of the public-domain government and congress reports;
2. ``govnlp.encoders.adapt.adapt_encoder`` (continued masked-LM on them); 3. write the float16
delta over ``e5-small-zh`` (``--delta``), a valid ``--base-model`` for ``govnlp train``.
Prints the steps, seconds and the first and last losses.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

from govnlp.encoders.adapt import AdaptConfig, adapt_encoder
from govnlp.encoders.delta import DELTA_NAME, save_delta

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def corpus_texts() -> list[str]:
    """Corpus articles outside the gold dev sets, then report paragraphs of 100+ characters."""
    held_out = set()
    for name in ("dev.jsonl", "dev_extra.jsonl"):
        with (DATA / "themes" / name).open(encoding="utf-8") as handle:
            held_out.update(json.loads(line)["id"] for line in handle)
    texts = []
    with (DATA / "corpus" / "peoples_daily.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["id"] not in held_out:
                texts.append(row["text"])
    for path in sorted((DATA / "public").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                paragraphs = json.loads(line)["content"].split("\n")
                texts.extend(p.strip() for p in paragraphs if len(p.strip()) >= 100)
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "runs" / "e5-small-zh-adapted"))
    parser.add_argument("--delta", default=str(ROOT / "runs" / "e5-small-zh-adapted-delta"))
    parser.add_argument("--trained-layers", type=int, default=2)
    parser.add_argument("--all-layers", action="store_true")
    parser.add_argument("--max-articles", type=int, default=2000, help="0: all")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    texts = corpus_texts()
    config = AdaptConfig(
        trained_layers=None if args.all_layers else args.trained_layers,
        max_articles=args.max_articles or None,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        device=args.device,
    )
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.jsonl"
        corpus.write_text(
            "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
            encoding="utf-8",
        )
        adapted = adapt_encoder(corpus, config, args.output)
    delta = save_delta(adapted, args.delta)
    info = json.loads((adapted / "adaptation.json").read_text(encoding="utf-8"))
    history = info["history"]
    tail = history[-min(20, len(history)) :]
    print(f"texts available: {len(texts)}; windows used: {info['windows']}")
    print(f"steps: {info['steps']}, seconds: {info['seconds']}")
    print(
        f"loss, first step: {history[0]['loss']:.3f}; mean of the last {len(tail)}: "
        f"{sum(h['loss'] for h in tail) / len(tail):.3f}"
    )
    print(f"delta: {delta / DELTA_NAME} ({(delta / DELTA_NAME).stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
