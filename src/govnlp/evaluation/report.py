"""The evaluation as files: ``metrics.json``, ``metrics.md`` and two plots (matplotlib)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .metrics import calibration_table

__all__ = ["markdown_report", "write_report"]


def markdown_report(results: dict) -> str:
    """The metrics as Markdown tables: summary (tagger vs baseline) and per label."""
    models = [("govnlp tagger", results["tagger"])]
    if "baseline" in results:
        models.append(("TF-IDF baseline", results["baseline"]))
    lines = [
        f"# Evaluation on {results['dev_file']} ({results['tagger']['n_articles']} articles)",
        "",
        "| model | micro P | micro R | micro F1 | macro F1 | subset acc | no-theme P | no-theme R |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in models:
        lines.append(
            f"| {name} | {r['micro']['precision']:.3f} | {r['micro']['recall']:.3f} | "
            f"{r['micro']['f1']:.3f} | {r['macro']['f1']:.3f} | {r['subset_accuracy']:.3f} | "
            f"{r['empty_set']['precision']:.3f} | {r['empty_set']['recall']:.3f} |"
        )
    long = results.get("long_articles", {})
    if long.get("n_articles"):
        lines += [
            "",
            f"Articles longer than one window: {long['n_articles']} "
            f"(mean {long['windows_per_article']} windows per article over all).",
            "",
            "| pooling | micro F1 | macro F1 |",
            "|---|---|---|",
        ]
        lines += [
            f"| {p} | {long[p]['micro_f1']:.3f} | {long[p]['macro_f1']:.3f} |"
            for p in ("max", "mean", "first")
        ]
    lines += [
        "",
        "| label | support | P | R | F1 |" + (" baseline F1 |" if len(models) > 1 else ""),
        "|---|---|---|---|---|" + ("---|" if len(models) > 1 else ""),
    ]
    for label, r in results["tagger"]["per_label"].items():
        row = f"| {label} | {r['support']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} |"
        if len(models) > 1:
            row += f" {results['baseline']['per_label'][label]['f1']:.3f} |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def write_report(
    results: dict, output_dir: str | Path, *, tagger_proba: np.ndarray, targets: np.ndarray
) -> Path:
    """Write ``metrics.json``, ``metrics.md``, ``per_label_f1.png`` and ``calibration.png``."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "the evaluation plots need matplotlib: pip install 'govnlp[eval]'"
        ) from None

    matplotlib.use("Agg")  # files only; no display on servers
    import matplotlib.pyplot as plt

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "metrics.md").write_text(markdown_report(results), encoding="utf-8")

    labels = list(results["tagger"]["per_label"])
    positions = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.4 if "baseline" in results else 0.8
    ax.bar(
        positions, [results["tagger"]["per_label"][k]["f1"] for k in labels], width, label="tagger"
    )
    if "baseline" in results:
        ax.bar(
            positions + width,
            [results["baseline"]["per_label"][k]["f1"] for k in labels],
            width,
            label="TF-IDF baseline",
        )
    ax.set_xticks(
        positions + (width / 2 if "baseline" in results else 0), labels, rotation=60, ha="right"
    )
    ax.set_ylabel("F1")
    ax.set_ylim(0, 1)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "per_label_f1.png", dpi=120)
    plt.close(fig)

    table = calibration_table(targets, tagger_proba)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    ax.plot([r["mean_score"] for r in table], [r["observed"] for r in table], "o-", label="tagger")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "calibration.png", dpi=120)
    plt.close(fig)
    return out
