"""Articles per second of govnlp's tagging path vs. a naive transformers pipeline, same model.

    python scripts/bench_tag.py [--model DIR] [--articles 1000] [--naive-articles 200] [--rounds 5]
                                [--variants govnlp-bf16]
    python scripts/bench_tag.py --device cuda   # on a GPU: govnlp fp16/fp32 vs the naive pipeline

Steps:
1. take ``--articles`` corpus articles cut to 1,000 characters (like the labelled data);
2. start each variant in its own process (so peak RSS is per variant), then time them in turn,
   one slice of their articles per round, so a drift in machine speed hits them all alike:
   - ``govnlp-*``: ``Tagger.predict_proba`` (every window of every article, length-sorted
     batches, ``torch.inference_mode``), plus dev micro-F1 with the model's thresholds:
     ``fp32`` = float32 weights and the overlapping windows of training (the reference path);
     ``bf16-overlap`` = bf16 weights, same windows; ``bf16`` = what ``govnlp tag`` runs on a CPU
     with native bf16 (``Tagger.optimize_for_cpu()``: bf16 weights, windows without overlap);
     ``int8`` = dynamic int8 quantisation of the Linear layers, windows without overlap;
   - ``naive-pipeline``: ``transformers.pipeline("text-classification",
     function_to_apply="sigmoid")`` over the same encoder and head, one article per call,
     ``truncation=True`` (the tokenizer's 512-token limit: it never sees the rest of a long
     article); ``naive-pipeline-256``: the same, cut to the model's 256-token window (a third of
     the work govnlp does per article);
   - ``floor-matmul-attention``: not a path but a bound on any implementation of this model that
     reads every token: tokenisation and windowing as in ``govnlp-bf16``, then only the bf16
     matrix products and attention of its windows, in its batches (no biases, activations,
     normalisation, embeddings, pooling or lexical part);
   With ``--device cuda`` every variant runs on the GPU: ``naive-pipeline`` (and ``-256``) as
   above, ``govnlp-cuda-fp16`` (what ``govnlp tag --device cuda`` runs: float16 encoder,
   windows without overlap, 256 windows per batch) and ``govnlp-cuda-fp32``; each govnlp variant
   also reports on how many of the timed articles it gives the same themes as the CPU path;
3. print a Markdown table: articles/s, speed-up over ``naive-pipeline``, peak RSS (host), dev F1
   and threshold-free dev average precision.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CPU_VARIANTS = (
    "naive-pipeline",
    "naive-pipeline-256",
    "govnlp-fp32",
    "govnlp-bf16-overlap",
    "govnlp-bf16",
    "govnlp-int8",
    "floor-matmul-attention",
)
CUDA_VARIANTS = ("naive-pipeline", "naive-pipeline-256", "govnlp-cuda-fp32", "govnlp-cuda-fp16")


def load_texts(n: int) -> list[tuple[str, str]]:
    articles = []
    with (SHARED / "corpus" / "peoples_daily.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            articles.append((row.get("title", ""), row["text"][:1000]))
            if len(articles) == n:
                break
    return articles


def naive_pipeline(tagger, max_length: int | None, device: str = "cpu"):
    """The plain pipeline over the same encoder and head, called one article at a time.

    ``max_length=None`` is what a plain call does: truncate at the tokenizer's limit (512).
    """
    import torch
    from transformers import PreTrainedModel, pipeline
    from transformers import logging as transformers_logging
    from transformers.modeling_outputs import SequenceClassifierOutput

    # The pipeline logs a page-long "model not supported" error for any custom model class.
    transformers_logging.set_verbosity_error()

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
        device=torch.device(device),
    )
    options = {"truncation": True} | ({"max_length": max_length} if max_length else {})

    def run(texts: list[str], titles: list[str]) -> None:
        for text in texts:
            classify(text, **options)

    return run


def matmul_floor(tagger, batch_size: int = 32):
    """The bf16 path's windowing, then only the matrix products and attention of its batches."""
    import torch
    import torch.nn.functional as F

    tagger.optimize_for_cpu(bf16=True)
    config = tagger.model.encoder.config
    heads, width = config.num_attention_heads, config.hidden_size
    layers = [
        (
            layer.attention.self.query.weight,
            layer.attention.self.key.weight,
            layer.attention.self.value.weight,
            layer.attention.output.dense.weight,
            layer.intermediate.dense.weight,
            layer.output.dense.weight,
        )
        for layer in tagger.model.encoder.encoder.layer
    ]

    def run(texts: list[str], titles: list[str]) -> None:
        windows = sorted(
            (w for text, title in zip(texts, titles) for w in tagger.article_windows(text, title)),
            key=len,
        )
        with torch.inference_mode():
            for begin in range(0, len(windows), batch_size):
                batch = windows[begin : begin + batch_size]
                rows, length = len(batch), max(map(len, batch))
                hidden = torch.randn(rows, length, width, dtype=torch.bfloat16)
                for query, key, value, output, up, down in layers:
                    q, k, v = (
                        F.linear(hidden, w).view(rows, length, heads, -1).transpose(1, 2)
                        for w in (query, key, value)
                    )
                    attended = F.scaled_dot_product_attention(q, k, v)
                    F.linear(attended.transpose(1, 2).reshape(rows, length, width), output)
                    F.linear(F.linear(hidden, up), down)

    return run


def same_themes_as_cpu(tagger, model: str | None, articles: list[tuple[str, str]]) -> float:
    """Share of ``articles`` given exactly the themes of the CPU path (``govnlp tag`` on a CPU)."""
    from govnlp.tagging import Tagger

    texts, titles = [text for _, text in articles], [title for title, _ in articles]
    on_cpu = Tagger.from_pretrained(model).optimize_for_cpu()
    expected = on_cpu.decide(on_cpu.predict_proba(texts, titles))
    found = tagger.decide(tagger.predict_proba(texts, titles))
    return float((expected == found).all(axis=1).mean())


def prepare(variant: str, model: str | None, n_articles: int, n_naive: int, device: str):
    """The variant's ``run(texts, titles)``, its articles, and what is known before timing."""
    import numpy as np
    from sklearn.metrics import average_precision_score

    from govnlp.evaluation.metrics import multilabel_report
    from govnlp.tagging import Tagger
    from govnlp.tagging.data import load_examples

    tagger = Tagger.from_pretrained(model)
    naive = variant.startswith("naive")
    articles = load_texts(n_naive if naive else n_articles)
    info: dict = {"variant": variant, "articles": len(articles)}
    if naive:
        run = naive_pipeline(tagger, 256 if variant.endswith("256") else None, device)
    elif variant.startswith("floor"):
        run = matmul_floor(tagger)
    else:
        if device == "cuda":  # as load_tagger(device="cuda") prepares it
            tagger.stride = tagger.config.max_length
            tagger.to("cuda", half=variant.endswith("fp16"))
            info["same_themes_as_cpu"] = same_themes_as_cpu(tagger, model, articles)
        else:
            precision = variant.split("-")[1]
            tagger.optimize_for_cpu(
                quantize=precision == "int8",
                bf16=precision == "bf16",
                overlap=variant.endswith(("fp32", "overlap")),
            )
        dev = load_examples(SHARED / "themes" / "dev.jsonl", tagger.labels)
        proba = tagger.predict_proba(dev.texts, dev.titles)
        report = multilabel_report(
            dev.targets, tagger.decide(proba), [label.id for label in tagger.labels]
        )
        info["dev_micro_f1"] = report["micro"]["f1"]
        info["dev_macro_f1"] = report["macro"]["f1"]
        # Threshold-free: whether a path ranks articles as well, apart from where the cuts fall.
        present = dev.targets.sum(0) > 0
        info["dev_micro_ap"] = average_precision_score(dev.targets, proba, average="micro")
        info["dev_macro_ap"] = average_precision_score(
            dev.targets[:, present], proba[:, present], average="macro"
        )

        def run(texts: list[str], titles: list[str]) -> None:
            tagger.predict_proba(texts, titles)

    if not naive:
        info["windows_per_article"] = float(
            np.mean([len(tagger.article_windows(text, title)) for title, text in articles])
        )
    run([text for _, text in articles[:8]], [title for title, _ in articles[:8]])  # warm-up
    return run, articles, info


def worker(
    variant: str, model: str | None, n_articles: int, n_naive: int, rounds: int, device: str, conn
):
    """One variant in its own process (own peak RSS); times one slice per round on request."""
    run, articles, info = prepare(variant, model, n_articles, n_naive, device)
    bounds = [len(articles) * r // rounds for r in range(rounds + 1)]
    conn.send("ready")
    seconds = 0.0
    for r in range(rounds):
        conn.recv()
        part = articles[bounds[r] : bounds[r + 1]]
        started = time.perf_counter()
        run([text for _, text in part], [title for title, _ in part])
        seconds += time.perf_counter() - started
        conn.send("done")
    info["articles_per_second"] = len(articles) / seconds
    info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send(info)


def main() -> int:
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="tagger directory (default: built-in)")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--naive-articles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument(
        "--variants", default=None, help="comma-separated subset (naive-pipeline always runs)"
    )
    args = parser.parse_args()
    if not (SHARED / "corpus" / "peoples_daily.jsonl").exists():
        print(f"needs {SHARED}/corpus and {SHARED}/themes", file=sys.stderr)
        return 2

    # Every variant times a slice in turn, round after round: the speed of our shared 2-core
    # machine drifted by up to 1.5x over minutes, and a drift must not favour whichever ran first.
    context = multiprocessing.get_context("spawn")
    connections = []
    variants = CUDA_VARIANTS if args.device == "cuda" else CPU_VARIANTS
    if args.variants:
        chosen = set(args.variants.split(","))
        if chosen - set(variants):
            parser.error(f"unknown variants {sorted(chosen - set(variants))}; one of {variants}")
        variants = [v for v in variants if v in chosen or v == "naive-pipeline"]
    if args.device == "cuda":
        import torch

        print(f"device: {torch.cuda.get_device_name()}", file=sys.stderr)
    for variant in variants:
        parent, child = context.Pipe()
        worker_args = (args.model, args.articles, args.naive_articles, args.rounds, args.device)
        context.Process(target=worker, args=(variant, *worker_args, child)).start()
        child.close()  # so a worker that dies ends recv() with EOFError instead of a hang
        assert parent.recv() == "ready"  # set up one at a time: no contention while loading
        connections.append(parent)
    for r in range(args.rounds):
        for connection in connections:
            connection.send("go")
            connection.recv()
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    rows = [connection.recv() for connection in connections]
    naive = rows[0]["articles_per_second"]
    print(
        "| path | articles | windows/article | articles/s | vs naive | peak RSS (MB) "
        "| dev micro-F1 | dev macro-F1 | dev micro-AP | dev macro-AP | same themes as CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        scores = " | ".join(
            f"{row[key]:.4f}" if key in row else "—"
            for key in ("dev_micro_f1", "dev_macro_f1", "dev_micro_ap", "dev_macro_ap")
        )
        windows = f"{row['windows_per_article']:.2f}" if "windows_per_article" in row else "1"
        same = f"{row['same_themes_as_cpu']:.1%}" if "same_themes_as_cpu" in row else "—"
        print(
            f"| {row['variant']} | {row['articles']} | {windows} | "
            f"{row['articles_per_second']:.1f} | {row['articles_per_second'] / naive:.1f}× | "
            f"{row['peak_rss_mb']:.0f} | {scores} | {same} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
