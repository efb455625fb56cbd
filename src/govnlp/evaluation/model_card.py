"""The model card (``README.md``) of a trained tagger, from ``model_card_template.md``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

import numpy as np

from ..tagging.config import TaggerConfig
from .metrics import pooled_f1
from .report import markdown_report

__all__ = ["write_model_card"]


def write_model_card(
    model_dir: str | Path,
    evaluations: dict[str, dict],
    *,
    data_description: str,
    command: str,
    minutes: float | None = None,
    default: bool = False,
    seed_runs: dict[int, dict[str, dict]] | None = None,
    hardware: str = "a 2-core CPU",
) -> Path:
    """Write ``README.md`` for a trained model: what it is, its data, how to rebuild it, results.

    Args:
        model_dir: The saved tagger.
        evaluations: What :func:`govnlp.evaluate` returned for it, by evaluation set name
            (``{"dev": ..., "dev_extra": ...}``).
        data_description: Markdown on the training and evaluation data (the card cannot know it).
        command: The command that trains and evaluates the model.
        minutes: Training time, if known.
        hardware: What it was trained on, for the training time.
        default: Whether this is govnlp's built-in model (loaded with no argument).
        seed_runs: The same recipe trained with other seeds too (this model's among them), as
            evaluations by seed; the card then shows every run and the mean ± sd.
    """
    model_dir = Path(model_dir)
    config = TaggerConfig.from_pretrained(model_dir)
    if not evaluations:
        raise ValueError("a model card needs at least one evaluation")
    template = Template(
        resources.files("govnlp.evaluation").joinpath("model_card_template.md").read_text("utf-8")
    )
    card = template.substitute(
        name=model_dir.name,
        n_labels=len(config.labels),
        default_note="; it is govnlp's built-in model: `from_pretrained()` with no argument loads it"
        if default
        else "",
        base_model=config.base_model,
        trained_layers=config.num_hidden_layers - config.frozen_layers,
        frozen_layers=config.frozen_layers,
        size_mb=f"{(model_dir / 'model.safetensors').stat().st_size / 2**20:.1f}",
        max_length=config.max_length,
        stride=config.stride,
        temperature=config.temperature,
        lexical_note=(
            f", mixed with a character TF-IDF model (encoder weight {config.lexical_weight})"
            if config.lexical_weight is not None
            else ""
        ),
        max_labels=config.max_labels,
        data_description=data_description.strip(),
        command=command,
        minutes_note=f"\nTraining time on {hardware}: {minutes:.0f} minutes.\n" if minutes else "",
        results_table=_results(evaluations) + (_seed_table(seed_runs) if seed_runs else ""),
    )
    path = model_dir / "README.md"
    path.write_text(card, encoding="utf-8")
    return path


def _results(evaluations: dict[str, dict]) -> str:
    """One headline row per evaluation set, then each set's full tables."""
    lines = [
        "| evaluation set | articles | micro F1 | macro F1 | TF-IDF micro F1 | TF-IDF macro F1 "
        "| micro gap |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, results in evaluations.items():
        tagger, baseline = results["tagger"], results.get("baseline")
        row = f"| {name} | {tagger['n_articles']} | {tagger['micro']['f1']:.3f} | "
        row += f"{tagger['macro']['f1']:.3f} | "
        if baseline:
            gap = 100 * (tagger["micro"]["f1"] - baseline["micro"]["f1"])
            row += f"{baseline['micro']['f1']:.3f} | {baseline['macro']['f1']:.3f} | {gap:+.1f} |"
        else:
            row += "– | – | – |"
        lines.append(row)
    lines += [
        "",
        "TF-IDF: a character 1–3-gram model trained on the same articles, thresholds chosen on the "
        "same validation slice (the run's own baseline).",
    ]
    for name, results in evaluations.items():
        detail = markdown_report(results).split("\n", 2)[2].strip()
        lines += ["", f"### {name}", "", detail]
    return "\n".join(lines)


def _seed_table(seed_runs: dict[int, dict[str, dict]]) -> str:
    """Micro / macro-F1 of every seed's run per set and pooled, then mean ± sd over the seeds."""
    names = list(next(iter(seed_runs.values())))
    columns = [*names, "pooled"] if len(names) > 1 else names
    rows = {}
    for seed, evaluations in seed_runs.items():
        cells = [
            (evaluations[name]["tagger"]["micro"]["f1"], evaluations[name]["tagger"]["macro"]["f1"])
            for name in names
        ]
        if len(names) > 1:
            pooled = pooled_f1([evaluations[name]["tagger"] for name in names])
            cells.append((pooled["micro"], pooled["macro"]))
        if all("baseline" in evaluations[name] for name in names):
            cells.append((pooled_f1([evaluations[name]["baseline"] for name in names])["micro"],))
        rows[seed] = cells
    has_baseline = len(next(iter(rows.values()))) > len(columns)
    header = " | ".join(f"{name} micro / macro" for name in columns)
    header += " | TF-IDF pooled micro" if has_baseline else ""
    lines = [
        "",
        "",
        f"### The recipe over {len(seed_runs)} seeds",
        "",
        "The same command with other seeds (the seed also draws the validation slice); this model "
        "is the first row.",
        "",
        f"| seed | {header} |",
        "|---" * (2 + len(columns) - 1 + has_baseline) + "|",
    ]
    for seed, cells in rows.items():
        lines.append(
            f"| {seed} | " + " | ".join(" / ".join(f"{v:.3f}" for v in c) for c in cells) + " |"
        )
    values = np.array([[v for c in cells for v in c] for cells in rows.values()])
    mean, sd = values.mean(0), values.std(0)
    summary, k = [], 0
    for cell in next(iter(rows.values())):
        summary.append(" / ".join(f"{mean[k + j]:.3f} ± {sd[k + j]:.3f}" for j in range(len(cell))))
        k += len(cell)
    lines.append("| mean ± sd | " + " | ".join(summary) + " |")
    return "\n".join(lines)
