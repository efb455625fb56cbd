"""Articles per second of govnlp's tagging path vs. a naive transformers pipeline, same model.

    python scripts/bench_tag.py [--model DIR] [--articles 1000] [--naive-articles 200]

Steps:
1. take ``--articles`` corpus articles cut to 1,000 characters (like the labelled data);
2. for each variant, in its own subprocess (so peak RSS is per variant):
   - ``govnlp-fp32`` / ``govnlp-bf16`` / ``govnlp-int8``: ``Tagger.predict_proba`` (every window
     of every article, length-sorted batches, ``torch.inference_mode``; bf16 autocast or dynamic
     int8 quantisation of the Linear layers), plus dev micro-F1 with the model's thresholds;
   - ``naive-pipeline``: ``transformers.pipeline("text-classification",
     function_to_apply="sigmoid")`` over the same encoder and head, one article per call,
     ``truncation=True`` (the tokenizer's 512-token limit: it never sees the rest of a long
     article); ``naive-pipeline-256``: the same, cut to the model's 256-token window (a third of
     the work govnlp does per article);
3. print a Markdown table: articles/s, speed-up over ``naive-pipeline``, peak RSS, dev F1.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
VARIANTS = (
    "naive-pipeline",
    "naive-pipeline-256",
    "govnlp-fp32",
    "govnlp-bf16",
    "govnlp-int8",
)


def load_texts(n: int) -> list[tuple[str, str]]:
    articles = []
    with (SHARED / "corpus" / "peoples_daily.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            articles.append((row.get("title", ""), row["text"][:1000]))
            if len(articles) == n:
                break
    return articles


def naive_pipeline(tagger, texts: list[str], max_length: int | None) -> float:
    """Seconds for the plain pipeline over ``texts``, one article per call.

    ``max_length=None`` is what a plain call does: truncate at the tokenizer's limit (512).
    """
    import torch
    from transformers import PreTrainedModel, pipeline
    from transformers.modeling_outputs import SequenceClassifierOutput

    encoder_config = tagger.model.encoder.config
    encoder_config.id2label = {i: label.id for i, label in enumerate(tagger.labels)}
    encoder_config.label2id = {label.id: i for i, label in enumerate(tagger.labels)}
    encoder_config.problem_type = "multi_label_classification"

    class TaggerForSequenceClassification(PreTrainedModel):
        config_class = type(encoder_config)
        base_model_prefix = "tagger"
        _supports_sdpa = True  # the wrapped encoder already chose its attention

        def __init__(self, config, model):
            super().__init__(config)
            self.tagger = model

        def forward(self, input_ids=None, attention_mask=None, **_):
            return SequenceClassifierOutput(logits=self.tagger(input_ids, attention_mask))

    model = TaggerForSequenceClassification(encoder_config, tagger.model).eval()
    classify = pipeline(
        "text-classification",
        model=model,
        tokenizer=tagger.tokenizer,
        function_to_apply="sigmoid",
        top_k=None,
        device=torch.device("cpu"),
    )
    started = time.perf_counter()
    options = {"truncation": True} | ({"max_length": max_length} if max_length else {})
    for text in texts:
        classify(text, **options)
    return time.perf_counter() - started


def run_variant(variant: str, model: str | None, n_articles: int, n_naive: int) -> dict:
    import numpy as np
    import torch

    from govnlp.metrics import multilabel_report
    from govnlp.modeling import Tagger
    from govnlp.training import load_examples

    torch.set_num_threads(torch.get_num_threads())
    tagger = Tagger.from_pretrained(model)
    naive = variant.startswith("naive")
    articles = load_texts(n_naive if naive else n_articles)
    titles, texts = [a[0] for a in articles], [a[1] for a in articles]
    result: dict = {"variant": variant, "articles": len(texts)}
    if naive:
        seconds = naive_pipeline(tagger, texts, 256 if variant.endswith("256") else None)
    else:
        precision = variant.split("-")[1]
        tagger.optimize_for_cpu(quantize=precision == "int8", bf16=precision == "bf16")
        tagger.predict_proba(texts[:8], titles[:8])  # warm-up
        started = time.perf_counter()
        tagger.predict_proba(texts, titles)
        seconds = time.perf_counter() - started
        dev = load_examples(SHARED / "themes" / "dev.jsonl", tagger.labels)
        proba = tagger.predict_proba(dev.texts, dev.titles)
        report = multilabel_report(
            dev.targets, tagger.decide(proba), [label.id for label in tagger.labels]
        )
        result["dev_micro_f1"] = report["micro"]["f1"]
        result["dev_macro_f1"] = report["macro"]["f1"]
        result["windows_per_article"] = float(
            np.mean([len(tagger.article_windows(t, h)) for t, h in zip(texts, titles)])
        )
    result["articles_per_second"] = len(texts) / seconds
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="tagger directory (default: built-in)")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--naive-articles", type=int, default=200)
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (SHARED / "corpus" / "peoples_daily.jsonl").exists():
        print(f"needs {SHARED}/corpus and {SHARED}/themes", file=sys.stderr)
        return 2
    if args.variant:  # child process: one variant, JSON on stdout
        print(json.dumps(run_variant(args.variant, args.model, args.articles, args.naive_articles)))
        return 0

    rows = []
    for variant in VARIANTS:
        command = [sys.executable, __file__, "--variant", variant]
        command += ["--articles", str(args.articles), "--naive-articles", str(args.naive_articles)]
        if args.model:
            command += ["--model", args.model]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(f"done: {rows[-1]}", file=sys.stderr)
    naive = rows[0]["articles_per_second"]
    print(
        "| path | articles | articles/s | vs naive | peak RSS (MB) | dev micro-F1 | dev macro-F1 |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        f1 = f"{row['dev_micro_f1']:.4f}" if "dev_micro_f1" in row else "—"
        macro = f"{row['dev_macro_f1']:.4f}" if "dev_macro_f1" in row else "—"
        print(
            f"| {row['variant']} | {row['articles']} | {row['articles_per_second']:.1f} | "
            f"{row['articles_per_second'] / naive:.1f}× | {row['peak_rss_mb']:.0f} | {f1} | {macro} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
