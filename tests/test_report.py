"""govnlp report: counts per period, charts, a self-contained HTML page, checked in a browser."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil

import pytest

from govnlp.cli import main
from govnlp.report import ReportOptions, build_report, parse_date
from govnlp.report.counts import period_of

pytest.importorskip("matplotlib")


def theme(theme_id, score, name=None):
    return {"id": theme_id, "name": name or theme_id, "score": score}


def tagged_rows():
    """Tagged records as govnlp tag writes them: January, nothing in February, then March."""
    env, econ = "ecology_environment", "economy_industry"
    return [
        {"id": "1", "status": "ok", "error": "", "title": "治水见成效", "date": "20240105",
         "source": "县报", "themes": [theme(env, 0.91, "生态环境保护")],
         "evidence": {env: "县里新建了污水处理厂。"}},
        {"id": "2", "status": "ok", "error": "", "title": "园区招商", "date": "2024-01-20",
         "source": "市报", "themes": [theme(econ, 0.8), theme(env, 0.55)]},
        {"id": "3", "status": "ok", "error": "", "title": "<b>春耕</b>", "date": "2024年3月2日",
         "source": "县报", "themes": [theme(econ, 0.6)]},
        {"id": "4", "status": "ok", "error": "", "title": "无日期", "themes": [theme(env, 0.7)]},
        {"id": "5", "status": "not_found", "error": "missing", "themes": []},
    ]  # fmt: skip


@pytest.fixture()
def tagged(tmp_path):
    path = tmp_path / "tagged.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) for row in tagged_rows()]
    path.write_text("\n".join([*lines, "{broken"]) + "\n", encoding="utf-8")
    return path


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_dates_and_periods():
    assert parse_date(20240105) == dt.date(2024, 1, 5)
    assert parse_date("2024.1.5 08:30") == dt.date(2024, 1, 5)
    assert parse_date("") is None and parse_date(None) is None and parse_date("2024") is None
    assert period_of(dt.date(2024, 12, 30), "week") == "2025-W01"  # ISO weeks cross years


def test_counts_per_month_with_an_empty_month(tagged, tmp_path):
    report = build_report([tagged], tmp_path / "out")
    rows = read_csv(report.files["csv"])
    assert {r["period"] for r in rows} == {"2024-01", "2024-02", "2024-03"}
    assert len(rows) == 3 * 18  # every period, every built-in theme
    january = {r["theme_id"]: r for r in rows if r["period"] == "2024-01"}
    assert january["ecology_environment"]["count"] == "2"
    assert january["ecology_environment"]["articles"] == "2"
    assert float(january["economy_industry"]["share"]) == 0.5
    february = [r for r in rows if r["period"] == "2024-02"]
    assert {r["articles"] for r in february} == {"0"}
    counts = report.counts
    assert counts.total() == 4 and counts.undated == 1  # the undated article counts in totals
    assert counts.total("ecology_environment") == 3
    assert report.skipped == {"not_found": 1, "bad_json": 1}
    assert report.files["shares_chart"].stat().st_size > 1000
    page = report.files["html"].read_text("utf-8")
    assert "&lt;b&gt;春耕" in page  # titles are escaped
    assert "县里新建了污水处理厂。" in page  # evidence of the top articles
    assert "not_found 1" in page
    assert not re.search(r'(?:src|href)="(?!data:)', page)  # self-contained


def test_without_dates_totals_only(tagged, tmp_path):
    report = build_report([tagged], tmp_path / "out", ReportOptions(date_field="published"))
    assert report.counts.by is None
    assert {r["period"] for r in read_csv(report.files["csv"])} == {"all"}
    assert "shares_chart" not in report.files
    assert "totals only" in report.files["html"].read_text("utf-8")


def test_groups_and_csv_input_match_jsonl(tagged, tmp_path):
    options = ReportOptions(by="year", group_field="source")
    from_jsonl = build_report([tagged], tmp_path / "a", options)
    rows = read_csv(from_jsonl.files["csv"])
    assert {r["group"] for r in rows} == {"县报", "市报", ""}
    assert 'id="groups"' in from_jsonl.files["html"].read_text("utf-8")
    # the same records as govnlp tag --format csv writes them
    csv_path = tmp_path / "tagged.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        columns = ["id", "status", "theme_ids", "theme_names", "theme_scores", "title", "date"]
        columns.append("source")
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in tagged_rows():
            writer.writerow(
                row
                | {
                    "theme_ids": ";".join(t["id"] for t in row["themes"]),
                    "theme_names": ";".join(t["name"] for t in row["themes"]),
                    "theme_scores": ";".join(f"{t['score']:.4f}" for t in row["themes"]),
                }
            )
    from_csv = build_report([csv_path], tmp_path / "b", options)
    assert read_csv(from_csv.files["csv"]) == rows


def test_custom_themes_are_reported_as_seen(tmp_path):
    path = tmp_path / "t.jsonl"
    rows = [
        {"id": "1", "status": "ok", "themes": [theme("roads", 0.9, "道路")], "date": "2024-01-01"}
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    report = build_report([path], tmp_path / "out", ReportOptions(by="day"))
    assert [label.id for label in report.counts.labels] == ["roads"]


def test_cli_report(tagged, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", str(tagged), "--output", str(out), "--by", "week"]) == 0
    assert (out / "report.html").exists() and (out / "themes_over_time.csv").exists()
    assert "4 articles" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing.jsonl"), "--output", str(out)]) == 2


def chromium_path():
    return next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
    )


def test_report_page_in_a_real_browser(tagged, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    browser_path = chromium_path()
    if browser_path is None:
        pytest.skip("no Chromium installed (.ci/run installs Debian's chromium)")
    report = build_report([tagged], tmp_path / "out")
    problems = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(report.files["html"].as_uri())
        images = page.locator("figure img")
        assert images.count() == 2
        widths = images.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert all(width > 100 for width in widths)  # both charts decoded and shown
        assert page.locator("#counts tbody tr").count() == 18  # one row per theme
        assert "生态环境保护" in page.locator("#counts").inner_text()
        browser.close()
    assert problems == []
