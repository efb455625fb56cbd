"""Tagged records in, theme counts per period out: what ``govnlp report`` charts.

:func:`load_tagged` reads what ``govnlp tag`` wrote (JSONL or CSV); :func:`parse_date` reads the
dates newsrooms write (``20240105``, ``2024-01-05``, ``2024/1/5``, ``2024年1月5日``, ISO
timestamps); :func:`theme_counts` counts, for each period (and group), the articles and the
articles tagged with each theme.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..records import read_rows
from ..taxonomy import Label, load_labels

__all__ = [
    "PERIODS",
    "TaggedArticle",
    "ThemeCounts",
    "load_tagged",
    "parse_date",
    "period_of",
    "report_labels",
    "theme_counts",
    "top_articles",
    "write_counts_csv",
]

PERIODS = ("day", "week", "month", "year")

_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?!\d)")
_SEPARATED = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?(?!\d)")


def parse_date(value) -> dt.date | None:
    """The date a field holds, or ``None`` when it holds none.

    A year and month without a day is the first of the month.

    >>> parse_date("20240105"), parse_date("2024/1/5"), parse_date("2024年1月5日")
    (datetime.date(2024, 1, 5), datetime.date(2024, 1, 5), datetime.date(2024, 1, 5))
    >>> parse_date("2024-01-05T08:00+08:00"), parse_date("2024-02"), parse_date("2024-02-30")
    (datetime.date(2024, 1, 5), datetime.date(2024, 2, 1), None)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    match = _COMPACT.match(text) or _SEPARATED.match(text)
    if match is None:
        return None
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def period_of(day: dt.date, by: str) -> str:
    """The period a date falls in, as a sortable label.

    >>> [period_of(dt.date(2024, 1, 5), by) for by in PERIODS]
    ['2024-01-05', '2024-W01', '2024-01', '2024']
    """
    if by == "day":
        return day.isoformat()
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    if by == "year":
        return str(day.year)
    raise ValueError(f"unknown period {by!r} ({', '.join(PERIODS)})")


def _periods_between(first: dt.date, last: dt.date, by: str) -> list[str]:
    """Every period from ``first`` to ``last``, empty ones included (a chart shows them as 0)."""
    step = dt.timedelta(days=7 if by == "week" else 1)
    periods, day = [], first - dt.timedelta(days=first.weekday()) if by == "week" else first
    while day <= last:
        label = period_of(day, by)
        if not periods or periods[-1] != label:
            periods.append(label)
        day += step
    return periods


@dataclass
class TaggedArticle:
    """One tagged record, as the report needs it.

    Attributes:
        id: The record id.
        title: Its title (the id when it has none).
        date: Its date, ``None`` when the date field is missing or unreadable.
        group: Its value of the group field (``None`` without one).
        themes: ``(theme id, name, score)`` of its themes.
        evidence: Supporting sentence per theme id (tagged with ``--evidence``).
    """

    id: str
    title: str
    date: dt.date | None = None
    group: str | None = None
    themes: list[tuple[str, str, float]] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)


def _themes_of(row: dict) -> list[tuple[str, str, float]]:
    """Themes of a JSONL record (a list of dicts) or a CSV row (``;``-joined columns)."""
    if isinstance(row.get("themes"), list):
        return [(t["id"], t.get("name", t["id"]), float(t.get("score", 0))) for t in row["themes"]]
    ids = [part for part in (row.get("theme_ids") or "").split(";") if part]
    names = (row.get("theme_names") or "").split(";")
    scores = (row.get("theme_scores") or "").split(";")
    return [
        (
            theme,
            names[i] if i < len(names) and names[i] else theme,
            float(scores[i]) if i < len(scores) and scores[i] else 0.0,
        )
        for i, theme in enumerate(ids)
    ]


def _evidence_of(row: dict) -> dict[str, str]:
    evidence = row.get("evidence")
    if isinstance(evidence, dict):
        return {str(k): str(v) for k, v in evidence.items()}
    if isinstance(evidence, str) and evidence:  # CSV: "theme: sentence" lines
        pairs = (line.split(": ", 1) for line in evidence.splitlines() if ": " in line)
        return dict(pairs)
    return {}


def load_tagged(
    inputs: Sequence[str | Path], *, date_field: str = "date", group_field: str | None = None
) -> tuple[list[TaggedArticle], Counter]:
    """The tagged articles of ``govnlp tag`` outputs, and the count of records left out.

    Only records with status ``ok`` are articles; the others are counted by status (a line that
    is not a JSON object counts as ``bad_json``).

    Raises:
        FileNotFoundError: An input does not exist.
        ValueError: An input is binary or not UTF-8/GB18030 text.
    """
    articles: list[TaggedArticle] = []
    skipped: Counter = Counter()
    for path in inputs:
        for number, row, _error in read_rows(path):
            if row is None:
                skipped["bad_json"] += 1
                continue
            status = row.get("status") or "ok"
            if status != "ok":
                skipped[status] += 1
                continue
            record_id = str(row.get("id") or f"{path}:{number}")
            group = row.get(group_field) if group_field else None
            articles.append(
                TaggedArticle(
                    id=record_id,
                    title=str(row.get("title") or record_id),
                    date=parse_date(row.get(date_field)),
                    group=None if group in (None, "") else str(group),
                    themes=_themes_of(row),
                    evidence=_evidence_of(row),
                )
            )
    return articles, skipped


@dataclass
class ThemeCounts:
    """Articles and theme counts per period (and group).

    Attributes:
        labels: The themes, in report order.
        by: ``day``, ``week``, ``month``, ``year``, or ``None`` when no article has a date.
        periods: Every period from the first dated article to the last (``["all"]`` without
            dates).
        groups: Group values in first-seen order (``[None]`` without a group field).
        articles: ``(period, group)`` → articles.
        tagged: ``(period, group, theme id)`` → articles tagged with the theme.
        undated: Articles without a readable date (counted in totals, not in periods).
    """

    labels: list[Label]
    by: str | None
    periods: list[str]
    groups: list[str | None]
    articles: Counter
    tagged: Counter
    undated: int = 0

    def group_totals(self, theme: str | None = None) -> dict[str | None, int]:
        """Articles (tagged with ``theme``, when given) per group, undated ones included."""
        totals = dict.fromkeys(self.groups, 0)
        counter, key = (self.articles, ()) if theme is None else (self.tagged, (theme,))
        for (_, group, *rest), n in counter.items():
            if tuple(rest) == key:
                totals[group] += n
        return totals

    def total(self, theme: str | None = None) -> int:
        """Articles (tagged with ``theme``, when given), undated ones included."""
        return sum(self.group_totals(theme).values())

    def rows(self) -> Iterable[dict]:
        """The rows of ``themes_over_time.csv``: one per period, group and theme."""
        for period in self.periods:
            for group in self.groups:
                articles = self.articles[period, group]
                for label in self.labels:
                    count = self.tagged[period, group, label.id]
                    row = {"period": period}
                    if self.groups != [None]:
                        row["group"] = group or ""
                    row |= {
                        "theme_id": label.id,
                        "theme_name": label.name_zh,
                        "articles": articles,
                        "count": count,
                        "share": round(count / articles, 4) if articles else 0.0,
                    }
                    yield row


def report_labels(articles: Sequence[TaggedArticle], labels: Sequence[Label] | None) -> list[Label]:
    """The themes to report: ``labels``, else the built-in 18 when they cover every theme
    seen (so absent themes show as 0), else the themes seen, in first-seen order."""
    seen: dict[str, str] = {}
    for article in articles:
        for theme, name, _ in article.themes:
            seen.setdefault(theme, name)
    chosen = list(labels) if labels is not None else load_labels()
    known = {label.id for label in chosen}
    if set(seen) <= known:
        return chosen
    if labels is not None:
        return [*chosen, *(Label(t, n) for t, n in seen.items() if t not in known)]
    return [Label(theme, name) for theme, name in seen.items()]


def theme_counts(
    articles: Sequence[TaggedArticle], labels: Sequence[Label], by: str = "month"
) -> ThemeCounts:
    """Count articles and tagged articles per period, group and theme.

    Without any dated article the one period is ``"all"`` and ``by`` is ``None``.

    >>> a = TaggedArticle("1", "治水", dt.date(2024, 1, 5), themes=[("env", "环境", 0.9)])
    >>> counts = theme_counts([a], [Label("env", "环境")], by="month")
    >>> counts.periods, counts.tagged["2024-01", None, "env"]
    (['2024-01'], 1)
    """
    period_of(dt.date(2000, 1, 1), by)  # an unknown period is an error even without dates
    dates = [a.date for a in articles if a.date is not None]
    periods = _periods_between(min(dates), max(dates), by) if dates else ["all"]
    groups = list(dict.fromkeys(a.group for a in articles)) or [None]
    counts = ThemeCounts(list(labels), by if dates else None, periods, groups, Counter(), Counter())
    for article in articles:
        if article.date is None:
            counts.undated += 1
        period = "all" if not dates else (period_of(article.date, by) if article.date else None)
        key = (period, article.group)
        counts.articles[key] += 1
        for theme, _, _ in article.themes:
            counts.tagged[(*key, theme)] += 1
    return counts


def top_articles(
    articles: Sequence[TaggedArticle], n: int = 5
) -> dict[str, list[tuple[TaggedArticle, float]]]:
    """For each theme id, its ``n`` highest-scoring articles with their scores."""
    by_theme: dict[str, list[tuple[TaggedArticle, float]]] = defaultdict(list)
    for article in articles:
        for theme, _, score in article.themes:
            by_theme[theme].append((article, score))
    return {
        theme: sorted(found, key=lambda pair: (-pair[1], pair[0].id))[:n]
        for theme, found in by_theme.items()
    }


def write_counts_csv(counts: ThemeCounts, path: Path) -> Path:
    """Write ``themes_over_time.csv`` (UTF-8 with BOM, so that Excel reads the Chinese names)."""
    import csv

    rows = list(counts.rows())
    columns = list(rows[0]) if rows else ["period", "theme_id", "theme_name", "count", "share"]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path
