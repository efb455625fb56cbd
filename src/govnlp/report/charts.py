"""The report's two charts, drawn with matplotlib (imported lazily: the ``report`` extra)."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from ..taxonomy import Label
from .counts import ThemeCounts

__all__ = ["draw_theme_shares", "draw_theme_totals"]

logger = logging.getLogger(__name__)

# Fonts with Chinese glyphs that matplotlib may find on Linux, macOS and Windows.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
)


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "the report's charts need matplotlib: pip install 'govnlp[report]'"
        ) from None
    matplotlib.use("Agg")  # files only; no display on servers
    import matplotlib.pyplot as plt

    return plt


def _names(labels: list[Label], plt) -> list[str]:
    """Chinese theme names where a CJK font is installed, else the English names (or ids):
    without one, matplotlib draws Chinese as empty boxes."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    found = [name for name in CJK_FONTS if name in installed]
    if found:
        plt.rcParams["font.sans-serif"] = [found[0], *plt.rcParams["font.sans-serif"]]
        return [label.name_zh for label in labels]
    logger.info("no CJK font found: the charts name themes in English")
    return [label.name_en or label.id for label in labels]


def draw_theme_shares(counts: ThemeCounts, path: Path) -> Path:
    """Small multiples: each theme's share of the period's articles, one panel per theme."""
    plt = _pyplot()
    names = _names(counts.labels, plt)
    columns = 3
    rows = max(1, math.ceil(len(counts.labels) / columns))
    figure, axes = plt.subplots(
        rows, columns, figsize=(12, 1.9 * rows + 0.8), sharex=True, sharey=True, squeeze=False
    )
    totals = [sum(counts.articles[p, g] for g in counts.groups) for p in counts.periods]
    positions = range(len(counts.periods))
    for index, (label, name) in enumerate(zip(counts.labels, names)):
        axis = axes[index // columns][index % columns]
        tagged = [sum(counts.tagged[p, g, label.id] for g in counts.groups) for p in counts.periods]
        shares = [100 * t / n if n else math.nan for t, n in zip(tagged, totals)]
        axis.plot(
            positions,
            shares,
            color="#1f5f8b",
            linewidth=1.4,
            marker="." if len(shares) < 40 else None,
        )
        axis.set_title(name, fontsize=9, loc="left")
        axis.grid(alpha=0.3)
    for index in range(len(counts.labels), rows * columns):
        axes[index // columns][index % columns].axis("off")
    ticks = sorted(
        {
            0,
            len(counts.periods) - 1,
            *range(0, len(counts.periods), max(1, len(counts.periods) // 4)),
        }
    )
    for axis in axes[-1]:
        axis.set_xticks(ticks, [counts.periods[i] for i in ticks], fontsize=7, rotation=30)
    figure.supylabel("% of the period's articles")
    figure.suptitle(f"Share of articles per theme, by {counts.by}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def draw_theme_totals(counts: ThemeCounts, path: Path) -> Path:
    """Horizontal bars: articles per theme over the whole input, largest on top."""
    plt = _pyplot()
    names = _names(counts.labels, plt)
    totals = [counts.total(label.id) for label in counts.labels]
    order = sorted(range(len(totals)), key=lambda i: totals[i])
    figure, axis = plt.subplots(figsize=(8, 0.32 * len(totals) + 1.2))
    axis.barh([names[i] for i in order], [totals[i] for i in order], color="#1f5f8b")
    for bar, i in zip(axis.patches, order):
        axis.annotate(
            str(totals[i]),
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    axis.set_xlabel(f"articles (of {counts.total()})")
    axis.set_title("Articles per theme")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
