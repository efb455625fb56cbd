"""``govnlp report``: how attention to each theme moved, from what ``govnlp tag`` wrote.

:func:`build_report` reads tagged JSONL/CSV files and writes into one directory:
``themes_over_time.csv`` (articles, count and share per period, group and theme),
``themes_over_time.png`` (each theme's share of articles per period; only with dates),
``theme_totals.png`` (articles per theme) and ``report.html``, a single self-contained page (charts
inlined, no external assets) with the charts, the counts and each theme's top articles.
"""

from __future__ import annotations

import base64
import html
import logging
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from .. import __version__
from ..taxonomy import load_labels
from .charts import draw_theme_shares, draw_theme_totals
from .counts import (
    PERIODS,
    TaggedArticle,
    ThemeCounts,
    load_tagged,
    parse_date,
    report_labels,
    theme_counts,
    top_articles,
    write_counts_csv,
)

__all__ = ["PERIODS", "Report", "ReportOptions", "build_report", "parse_date"]

logger = logging.getLogger(__name__)

# Per-period columns in the HTML table up to this many periods; the CSV always has them all.
MAX_TABLE_PERIODS = 24


@dataclass(frozen=True)
class ReportOptions:
    """What the report counts and shows.

    Attributes:
        by: Period of the time series: ``day``, ``week`` (ISO), ``month`` or ``year``.
        date_field: Field holding each record's date (``govnlp tag`` copies ``date``).
        group_field: Field to break the counts down by (a source, a county...), if any.
        top: Top articles listed per theme.
        labels: A labels CSV naming the themes (default: the built-in 18, or the themes seen).
    """

    by: str = "month"
    date_field: str = "date"
    group_field: str | None = None
    top: int = 5
    labels: str | Path | None = None


@dataclass
class Report:
    """What :func:`build_report` wrote and counted.

    Attributes:
        files: Written files by role (``csv``, ``shares_chart``, ``totals_chart``, ``html``).
        counts: The counts behind them.
        skipped: Input records left out, per status.
    """

    files: dict[str, Path]
    counts: ThemeCounts
    skipped: Counter = field(default_factory=Counter)


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}"></figure>'


def _notes(counts: ThemeCounts, skipped: Counter, options: ReportOptions) -> str:
    e = html.escape
    lines = []
    if counts.by is None:
        lines.append(
            f"No article has a readable date in the field <code>{e(options.date_field)}</code>: "
            "totals only (tag with the date field kept: <code>govnlp tag --date-field</code>)."
        )
    else:
        lines.append(
            f"Dates from <code>{e(options.date_field)}</code>, by {e(counts.by)}: "
            f"{e(counts.periods[0])} to {e(counts.periods[-1])}."
        )
        if counts.undated:
            lines.append(f"{counts.undated} articles without a readable date count in totals only.")
    if skipped:
        detail = ", ".join(f"{e(status)} {n}" for status, n in sorted(skipped.items()))
        lines.append(f"Records left out (not tagged): {detail}.")
    return "\n".join(f'<p class="note">{line}</p>' for line in lines)


def _counts_table(counts: ThemeCounts) -> str:
    e = html.escape
    periods = counts.periods if counts.by and len(counts.periods) <= MAX_TABLE_PERIODS else []
    head = "".join(f"<th>{e(p)}</th>" for p in periods)
    total = counts.total()
    rows = []
    for label in counts.labels:
        n = counts.total(label.id)
        share = f"{100 * n / total:.1f}%" if total else "–"
        cells = "".join(
            f"<td>{sum(counts.tagged[p, g, label.id] for g in counts.groups)}</td>" for p in periods
        )
        rows.append(
            f"<tr><td>{e(label.name_zh)} <small>{e(label.id)}</small></td>"
            f"<td>{n}</td><td>{share}</td>{cells}</tr>"
        )
    articles = "".join(
        f"<td>{sum(counts.articles[p, g] for g in counts.groups)}</td>" for p in periods
    )
    note = (
        '<p class="note">Counts per period: <code>themes_over_time.csv</code>.</p>'
        if counts.by and not periods
        else ""
    )
    return (
        f'<table id="counts"><thead><tr><th>theme</th><th>articles</th><th>share</th>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody><tfoot><tr><td>all articles</td><td>{total}</td>"
        f"<td></td>{articles}</tr></tfoot></table>{note}"
    )


def _groups_section(counts: ThemeCounts, options: ReportOptions) -> str:
    if counts.groups == [None]:
        return ""
    e = html.escape
    names = [g if g is not None else "(none)" for g in counts.groups]
    head = "".join(f"<th>{e(name)}</th>" for name in names)
    rows = []
    for label in counts.labels:
        totals = counts.group_totals(label.id)
        cells = "".join(f"<td>{totals[g]}</td>" for g in counts.groups)
        rows.append(f"<tr><td>{e(label.name_zh)}</td>{cells}</tr>")
    articles = "".join(f"<td>{n}</td>" for n in counts.group_totals().values())
    return (
        f"<h2>Articles per theme and {e(options.group_field)}</h2>"
        f'<div class="scroll"><table id="groups"><thead><tr><th>theme</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody><tfoot><tr><td>all articles</td>{articles}</tr></tfoot>"
        "</table></div>"
    )


def _top_section(counts: ThemeCounts, articles: list[TaggedArticle], n: int) -> str:
    e = html.escape
    top = top_articles(articles, n)
    parts = []
    for label in counts.labels:
        found = top.get(label.id)
        if not found:
            continue
        items = []
        for article, score in found:
            date = f" · {article.date.isoformat()}" if article.date else ""
            evidence = article.evidence.get(label.id)
            quote = f'<span class="evidence">{e(evidence)}</span>' if evidence else ""
            items.append(
                f'<li><span class="score">{score:.3f}</span> {e(article.title)}'
                f"<small>{e(date)}</small>{quote}</li>"
            )
        parts.append(
            f"<h3>{e(label.name_zh)} <small>{e(label.id)}</small></h3>"
            f'<ol class="top">{"".join(items)}</ol>'
        )
    return "\n".join(parts) or '<p class="note">No article has a theme.</p>'


def build_report(
    inputs: list[str | Path] | tuple[str | Path, ...],
    output_dir: str | Path,
    options: ReportOptions | None = None,
) -> Report:
    """Write the theme report of tagged records into ``output_dir`` (created).

    Args:
        inputs: JSONL or CSV files written by ``govnlp tag`` (records with a status other than
            ``ok`` are counted as left out).
        output_dir: Directory for the CSV, the charts and ``report.html``.
        options: :class:`ReportOptions`.

    Raises:
        FileNotFoundError: An input does not exist.
        ValueError: An unknown period, or an input that is not text.

    >>> import tempfile
    >>> report = build_report(["examples/tagged.jsonl"], tempfile.mkdtemp())
    >>> sorted(report.files)
    ['csv', 'html', 'shares_chart', 'totals_chart']
    """
    options = options or ReportOptions()
    if options.by not in PERIODS:
        raise ValueError(f"unknown period {options.by!r} ({', '.join(PERIODS)})")
    labels = load_labels(options.labels) if options.labels else None
    articles, skipped = load_tagged(
        inputs, date_field=options.date_field, group_field=options.group_field
    )
    counts = theme_counts(articles, report_labels(articles, labels), options.by)
    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    files = {"csv": write_counts_csv(counts, directory / "themes_over_time.csv")}
    charts = []
    if counts.by is not None:
        files["shares_chart"] = draw_theme_shares(counts, directory / "themes_over_time.png")
        charts.append(_image(files["shares_chart"], "share of articles per theme over time"))
    files["totals_chart"] = draw_theme_totals(counts, directory / "theme_totals.png")
    charts.append(_image(files["totals_chart"], "articles per theme"))
    template = Template(resources.files(__name__).joinpath("template.html").read_text("utf-8"))
    page = template.substitute(
        title=html.escape(f"Themes in {len(articles)} articles"),
        notes=_notes(counts, skipped, options),
        charts="\n".join(charts),
        counts_table=_counts_table(counts),
        groups_section=_groups_section(counts, options),
        top_section=_top_section(counts, articles, options.top),
        version=html.escape(__version__),
    )
    files["html"] = directory / "report.html"
    files["html"].write_text(page, encoding="utf-8")
    logger.info("report of %d articles in %s", len(articles), directory)
    return Report(files, counts, skipped)
