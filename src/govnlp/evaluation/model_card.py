"""The model card (``README.md``) of a trained tagger, from ``model_card_template.md``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

from ..tagging.config import TaggerConfig
from .report import markdown_report

__all__ = ["write_model_card"]


def write_model_card(
    model_dir: str | Path,
    results: dict,
    *,
    data_description: str,
    command: str,
    minutes: float | None = None,
    default: bool = False,
) -> Path:
    """Write ``README.md`` for a trained model: what it is, its data, how to rebuild it, results.

    Args:
        model_dir: The saved tagger.
        results: What :func:`govnlp.evaluate` returned for it.
        data_description: Markdown on the training and evaluation data (the card cannot know it).
        command: The command that trains and evaluates the model.
        minutes: Training time, if known.
        default: Whether this is govnlp's built-in model (loaded with no argument).
    """
    model_dir = Path(model_dir)
    config = TaggerConfig.from_pretrained(model_dir)
    tagger, baseline = results["tagger"], results.get("baseline")
    gap = (
        f" ({100 * (tagger['micro']['f1'] - baseline['micro']['f1']):+.1f} micro-F1 points over "
        "the TF-IDF baseline of the same run)"
        if baseline
        else ""
    )
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
        minutes_note=f"\nTraining time on a 2-core CPU: {minutes:.0f} minutes.\n"
        if minutes
        else "",
        gap=gap,
        results_table=markdown_report(results).split("\n", 2)[2].strip(),
    )
    path = model_dir / "README.md"
    path.write_text(card, encoding="utf-8")
    return path
