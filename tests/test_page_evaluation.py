"""The page generator and evaluation script (scripts/pagegen.py, scripts/eval_pages.py) on
invented articles, so that they run without ../shared."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"

# Our own short articles: a title and three paragraphs each.
ARTICLES = [
    {
        "title": f"{place}推进{topic}",
        "text": "\n".join(
            [
                f"今年以来，{place}把{topic}列入民生实事，全年投入资金{n}亿元，覆盖全部乡镇。",
                f"{place}有关负责人介绍，下一步将完善考核办法，让群众在{topic}中得到更多实惠。",
                f"记者在{place}看到，{topic}带来的变化随处可见，居民纷纷点赞。",
            ]
        ),
    }
    for n, (place, topic) in enumerate(
        [
            ("嘉兴市", "河长制"),
            ("余杭区", "垃圾分类"),
            ("安吉县", "美丽乡村建设"),
            ("德清县", "数字乡村"),
            ("桐乡市", "社区养老服务"),
            ("海宁市", "老旧小区改造"),
        ],
        start=2,
    )
]


@pytest.fixture()
def scripts(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import eval_pages
    import pagegen

    yield pagegen, eval_pages
    for name in ("eval_pages", "pagegen"):
        sys.modules.pop(name, None)


@pytest.fixture()
def corpus(tmp_path) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES), encoding="utf-8"
    )
    return path


def test_generated_pages_keep_their_truth(scripts, corpus):
    pagegen, _ = scripts
    articles = pagegen.load_articles(corpus)
    for page in pagegen.generate_pages(articles, 20, seed=3):
        lines = [line.strip() for line in page.text.split("\n") if line.strip()]
        assert len(page.roles) == len(lines)
        assert len(page.joins) == len(lines) - 1
        assert page.joins == [role == "join" for role in page.roles[1:]]
        # every character of the page is in the truth, in order, and nothing else
        truth = "".join(
            item.title + item.byline + "".join(item.paragraphs)
            if item.kind != "photo"
            else "".join(item.paragraphs) + item.byline
            for item in page.items
        )
        assert re.sub(r"\s", "", truth) == re.sub(r"\s", "", page.text)
        for item in page.items:
            first = item.title or (item.paragraphs[0] if item.paragraphs else item.byline)
            assert page.text[item.start :].startswith(first[:4])


def test_eval_pages_reports_every_figure_with_an_interval(scripts, corpus, capsys):
    _, eval_pages = scripts
    assert eval_pages.main(["--corpus", str(corpus), "--pages", "6"]) == 0
    out = capsys.readouterr().out
    assert "pages: 6 (seed 1)" in out
    for row in ("item boundaries", "titles exact", "column joins", "best / median of 5"):
        assert row in out
    joins = next(line for line in out.splitlines() if line.startswith("| column joins"))
    assert re.search(r"P \d\.\d{3}–\d\.\d{3}, R \d\.\d{3}–\d\.\d{3}", joins)


def test_bootstrap_interval_brackets_the_figure(scripts):
    _, eval_pages = scripts
    rng = random.Random(0)
    counts = np.array([[rng.randint(15, 20), rng.randint(0, 2)] for _ in range(300)])

    def share(s):
        return s[0] / s.sum()

    low, high = eval_pages.bootstrap_interval(counts, share)
    assert low < share(counts.sum(axis=0)) < high
    assert high - low < 0.02  # ~5,000 items on 300 pages
    assert eval_pages.bootstrap_interval(counts, share) == (low, high)  # fixed seed
