from __future__ import annotations

import json

import numpy as np
import pytest

from govnlp.cli import main
from govnlp.summarizers import (
    HybridSummarizer,
    Layout,
    LeadSummarizer,
    LearnedSummarizer,
    TextRankSummarizer,
    get_summarizer,
    select,
    split_units,
    summarize,
)
from govnlp.summarizers.features import TitleLexicon, feature_names, unit_features
from govnlp.summarizers.textrank import char_tfidf, pagerank
from govnlp.summarizers.training import cross_validated_summarizers, fit_learned, oracle

# Our own short article.
ARTICLE = (
    "县政府今天召开数字政府建设推进会。"
    "会议提出，年底前实现政务服务事项“一网通办”。"
    "天气晴朗，气温适宜。"
    "县数据局负责推进部门之间的数据共享，让群众少跑腿。"
    "推进会还通报了上半年的政务服务满意度调查结果。"
)
METHODS = ["lead", "textrank", "hybrid", "learned"]


@pytest.mark.parametrize("method", METHODS)
def test_summary_is_in_document_order(method):
    summary = summarize(ARTICLE, k=3, method=method, title="数字政府建设推进会")
    assert len(summary.sentences) == 3
    assert summary.indices == sorted(summary.indices)
    assert all(sentence in ARTICLE for sentence in summary.sentences)
    assert summary.method == method


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "text",
    ["", "   \n ", "只有一句话", "没有标点的文字" * 200, "混合,标点!的句子?还有。全角，标点！"],
)
def test_edge_cases(method, text):
    summary = summarize(text, k=3, method=method)
    assert len(summary.sentences) <= 3
    assert all(s.strip() for s in summary.sentences)
    if text.strip():
        assert summary.sentences


def test_k_larger_than_sentence_count_and_ratio():
    assert len(summarize(ARTICLE, k=50, method="hybrid").sentences) == 5
    assert len(summarize(ARTICLE, k=0.4, method="lead").sentences) == 2
    with pytest.raises(ValueError):
        summarize(ARTICLE, k=0, method="lead")


def test_max_chars_keeps_whole_sentences():
    summary = summarize(ARTICLE, k=5, max_chars=30, method="lead")
    assert sum(len(s) for s in summary.sentences) <= 30
    assert summary.sentences == ["县政府今天召开数字政府建设推进会。", "天气晴朗，气温适宜。"]


@pytest.mark.parametrize("method", METHODS)
def test_very_long_input(method):
    text = (ARTICLE * 10_000)[:1_000_000]  # 1 MB of characters, ~50k sentences
    summary = summarize(text, k=3, method=method, title="数字政府")
    assert len(summary.sentences) == 3


def test_textrank_prefers_central_sentences():
    sentences = [
        "数字政府建设提速。",
        "数字政府让群众少跑腿。",
        "数字政府建设持续推进。",
        "今天下雨。",
    ]
    assert 3 not in TextRankSummarizer().choose(sentences, k=2)


def test_hybrid_uses_title():
    sentences = ["天气晴朗。", "天气炎热。", "县里推进垃圾分类。"]
    chosen = HybridSummarizer(position_weight=0.0, centrality_weight=0.0).choose(
        sentences, k=1, title="垃圾分类"
    )
    assert chosen == [2]


def test_pagerank_sums_to_one_and_handles_isolated_nodes():
    similarity = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float)
    rank = pagerank(similarity)
    assert rank.sum() == pytest.approx(1.0)
    assert rank[0] == pytest.approx(rank[1])


def test_char_tfidf_rows_are_normalised():
    matrix = char_tfidf(["政府改革。", "改革", "。"])
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
    assert norms[:2] == pytest.approx([1.0, 1.0])


def test_select_budget_skips_long_sentences():
    assert select(["很长的句子很长。", "短。", "中等句子。"], np.array([3, 2, 1]), 2, 7) == [1, 2]


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown summary method"):
        get_summarizer("magic")
    with pytest.raises(ValueError, match="unknown summary unit"):
        summarize(ARTICLE, unit="word")
    assert isinstance(get_summarizer("auto"), LearnedSummarizer)
    assert isinstance(get_summarizer("lead"), LeadSummarizer)


def test_select_mmr_skips_a_duplicate_and_accepts_sparse_vectors():
    sentences = ["县里推进改革。", "县里推进改革。", "天气晴。"]
    vectors = char_tfidf(sentences)
    scores = np.array([0.9, 0.9, 0.5])
    assert select(sentences, scores, 2, None) == [0, 1]
    assert select(sentences, scores, 2, None, vectors, 0.5) == [0, 2]
    assert select(sentences, scores, 2, None, vectors.toarray(), 0.5) == [0, 2]


def test_split_units_keeps_every_character_of_each_paragraph():
    text = "今年以来，全县新建学校12所，改造校舍3万平方米。他说：“好。”\n\n天气晴，气温适宜。"
    for unit in ("sentence", "clause"):
        units, layout = split_units(text, unit)
        assert "".join(units) == text.replace("\n", "")
        assert len(layout.paragraphs) == len(layout.sentences) == len(units)
        assert layout.paragraphs[-1] == 1
    clauses, layout = split_units(text, "clause")
    assert clauses[:2] == ["今年以来，全县新建学校12所，", "改造校舍3万平方米。"]
    assert layout.sentences[:3] == (0, 0, 1)


@pytest.mark.parametrize("method", METHODS)
def test_clause_summaries_are_verbatim_in_order_and_within_budget(method):
    text = (
        ARTICLE + "\n" + "全县新建学校12所，改造校舍3万平方米，新增学位5000个，群众满意度明显提升。"
    )
    summary = summarize(text, k=100, max_chars=40, method=method, unit="clause", title="推进会")
    assert summary.sentences and sum(map(len, summary.sentences)) <= 40
    assert summary.indices == sorted(summary.indices)
    positions = [text.index(piece) for piece in summary.sentences]
    assert positions == sorted(positions)


def _articles():
    # Our own short articles; the reference repeats the sentence about the news.
    bodies = [
        ("县里推进数字政府改革", "本报记者报道。县里推进数字政府改革，群众少跑腿。天气晴。会议结束。",
         "县里推进数字政府改革群众少跑腿"),
        ("乡村学校新建校舍", "记者日前获悉。全县新建乡村学校校舍20所。当天有雨。工作人员表示满意。",
         "全县新建乡村学校校舍20所"),
        ("河道治理见效", "本报讯。县里治理河道，水质明显好转。天气炎热。会议还通报其他事项。",
         "县里治理河道水质明显好转"),
    ]  # fmt: skip
    return [{"title": t, "text": b, "summary": s} for t, b, s in bodies] * 3


def test_oracle_picks_the_sentence_closest_to_the_reference():
    units = ["本报记者报道。", "县里推进数字政府改革，群众少跑腿。", "天气晴。"]
    assert oracle(units, "县里推进数字政府改革群众少跑腿", max_units=3) == [1]
    assert oracle(units, "县里推进数字政府改革", max_chars=5) == []


def test_learned_summarizer_trains_saves_and_loads(tmp_path):
    lexicon = TitleLexicon.build([(a["title"], a["text"]) for a in _articles()], min_count=1)
    model = fit_learned(_articles(), lexicon)
    article = _articles()[0]
    before = summarize(article["text"], k=1, method=model, title=article["title"])
    assert before.sentences == ["县里推进数字政府改革，群众少跑腿。"]
    model.save_pretrained(tmp_path)
    loaded = LearnedSummarizer.from_pretrained(tmp_path)
    after = summarize(article["text"], k=1, method=loaded, title=article["title"])
    assert after.indices == before.indices
    assert after.scores == pytest.approx(before.scores, abs=1e-6)
    clause = summarize(article["text"], k=1, method=loaded.for_unit("clause"), unit="clause")
    assert clause.sentences[0] in article["text"]


def test_learned_summarizer_refuses_a_model_with_other_features(tmp_path):
    model = fit_learned(_articles(), TitleLexicon({}, -4.0), units=("sentence",))
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["feature_names"]["sentence"] = config["feature_names"]["sentence"][:-1]
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="other sentence features"):
        LearnedSummarizer.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError):
        LearnedSummarizer.from_pretrained(tmp_path / "missing")
    with pytest.raises(ValueError, match="no 'clause' scorer"):
        model.for_unit("clause")


def test_fit_learned_needs_text():
    with pytest.raises(ValueError, match="no article with text"):
        fit_learned([{"title": "", "text": " ", "summary": "x"}], TitleLexicon({}, -4.0))


def test_cross_validation_never_scores_an_article_with_its_own_model():
    articles = _articles()
    models = cross_validated_summarizers(
        articles, TitleLexicon({}, -4.0), folds=3, units=("sentence",)
    )
    assert len(models) == len(articles) and len({id(m) for m in models}) == 3
    fold_sizes = sorted(models.count(m) for m in {id(m): m for m in models}.values())
    assert fold_sizes == [3, 3, 3]


def test_learned_does_not_repeat_the_title():
    text = "实施更加积极的财政政策。\n今年赤字率拟按4%左右安排。\n统筹资金，优化支出结构。"
    summary = summarize(text, k=1, method="learned", title="实施更加积极的财政政策")
    assert summary.sentences != ["实施更加积极的财政政策。"]


def test_unit_features_have_one_named_column_each():
    for unit in ("sentence", "clause"):
        units, layout = split_units(ARTICLE, unit)
        features = unit_features(units, layout, "推进会", TitleLexicon({}, -4.0), unit)
        assert features.shape == (len(units), len(feature_names(unit)))
        assert np.isfinite(features).all()
    one = unit_features(["只有一句"], Layout.flat(1), None, TitleLexicon({}, -4.0))
    assert np.isfinite(one).all()


def test_cli_summarize_jsonl_keeps_fields_and_reports_bad_records(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps(
            {"id": "a1", "title": "推进会", "text": ARTICLE, "source": "县融媒"}, ensure_ascii=False
        )
        + "\n{not json\n"
        + json.dumps({"id": "a3", "body": "没有文本字段"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert main(["summarize", str(source), "--k", "2", "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # the same ids, statuses and error texts as govnlp tag
    assert [(r["id"], r["status"]) for r in rows] == [
        ("a1", "ok"),
        (f"{source}:2", "bad_json"),
        ("a3", "missing_field"),
    ]
    assert rows[0]["source"] == "县融媒" and len(rows[0]["summary"]) == 2
    assert "not JSON" in rows[1]["error"] and rows[1]["summary"] == []
    assert "no 'text' field" in rows[2]["error"]
    assert "3 records: bad_json 1, missing_field 1, ok 1" in capsys.readouterr().err


def test_cli_summarize_directory_and_csv(tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.txt").write_text(ARTICLE, encoding="utf-8")
    assert main(["summarize", str(tmp_path / "docs"), "--k", "1", "--method", "lead"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["id"] == "x.txt" and row["summary"] == ["县政府今天召开数字政府建设推进会。"]
    table = tmp_path / "in.csv"
    table.write_text("id,text\nc1," + ARTICLE + "\n", encoding="utf-8")
    assert main(["summarize", str(table), "--max-chars", "60"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["id"] == "c1" and sum(len(s) for s in row["summary"]) <= 60


def test_cli_summarize_missing_input(tmp_path, capsys):
    assert main(["summarize", str(tmp_path / "nope.txt")]) == 1
    row = json.loads(capsys.readouterr().out)
    assert row["status"] == "not_found" and "no such file" in row["error"]


def test_cli_summarize_reads_gbk_stdin_and_ndjson(tmp_path, capsys, monkeypatch):
    import io
    import sys

    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(ARTICLE.encode("gb18030"))
    records = tmp_path / "in.ndjson"
    records.write_text(json.dumps({"id": "n1", "text": ARTICLE}) + "\n", encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ARTICLE.encode("utf-8"))))
    empty = tmp_path / "empty.txt"
    empty.write_text(" ", encoding="utf-8")
    args = [str(gbk), str(records), "-", str(empty), "--k", "1", "--method", "lead"]
    assert main(["summarize", *args]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first = "县政府今天召开数字政府建设推进会。"
    assert [(r["id"], r["summary"]) for r in rows[:3]] == [
        (str(gbk), [first]),
        ("n1", [first]),
        ("stdin", [first]),
    ]
    assert rows[3]["status"] == "empty" and rows[3]["error"] == "no text"
