from __future__ import annotations

import csv
import io
import json
import sys

import numpy as np
import pytest

from govnlp.analysis import AnalysisOptions, analyze, analyze_page
from govnlp.batch import tag_files
from govnlp.cli import main
from govnlp.integrations.datasets import tag_dataset
from govnlp.records import decode_bytes, read_records
from govnlp.tagging import Tagger

TAG_ONLY = AnalysisOptions(summary=0, evidence=False)

ARTICLE = "县里新建了污水处理厂，河道水质明显好转。工业园区引进了三家企业。"
PAGE = "治水见成效\n\n张三 李四\n\n县里新建了污水处理厂，河道水质明显好转。\n\n村民说，现在的河水清了。\n\n园区招商忙\n\n王五\n\n工业园区引进了三家企业。\n"


@pytest.fixture()
def messy_inputs(tmp_path):
    """One of each bad-input case, plus good records, written by the test itself."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "a_good.txt").write_text(ARTICLE, encoding="utf-8")
    (d / "b_empty.txt").write_text("", encoding="utf-8")
    (d / "c_blank.txt").write_text(" \n\u3000\n", encoding="utf-8")
    (d / "d_gbk.txt").write_bytes(ARTICLE.encode("gb18030"))
    (d / "e_binary.txt").write_bytes(bytes(range(256)) * 4)
    (d / "f_long.txt").write_text(ARTICLE * 400, encoding="utf-8")
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text(
        "\n".join(
            [
                json.dumps({"id": "r1", "title": "治水", "text": ARTICLE}, ensure_ascii=False),
                "{not json",
                json.dumps({"id": "r3", "body": ARTICLE}, ensure_ascii=False),
                json.dumps([1, 2]),
                json.dumps({"text": "   "}),
                json.dumps({"id": 6, "text": ARTICLE}, ensure_ascii=False),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return d, jsonl


def statuses(path):
    return [(r["id"], r["status"]) for r in map(json.loads, path.read_text("utf-8").splitlines())]


def test_every_bad_input_gets_its_own_status(tiny_tagger_dir, messy_inputs, tmp_path):
    d, jsonl = messy_inputs
    out = tmp_path / "out.jsonl"
    counts = tag_files([d, jsonl], output=out, model=tiny_tagger_dir)
    assert statuses(out) == [
        ("a_good.txt", "ok"),
        ("b_empty.txt", "empty"),
        ("c_blank.txt", "empty"),
        ("d_gbk.txt", "ok"),
        ("e_binary.txt", "binary"),
        ("f_long.txt", "ok"),
        ("r1", "ok"),
        (f"{jsonl}:2", "bad_json"),
        ("r3", "missing_field"),
        (f"{jsonl}:4", "bad_json"),
        (f"{jsonl}:5", "empty"),
        ("6", "ok"),
    ]
    assert counts == {"ok": 5, "empty": 3, "bad_json": 2, "binary": 1, "missing_field": 1}
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert all(r["error"] for r in records if r["status"] != "ok")
    assert records[0]["themes"] == records[3]["themes"]  # GB18030 decoded to the same text


def test_undecodable_file_is_reported(tiny_tagger_dir, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfd\x81\x30" * 10)
    assert [r.status for r in read_records([bad])] == ["bad_encoding"]
    assert decode_bytes(b"\xff\xfe\xfd\x81\x30")[1] == "bad_encoding"


def test_resume_after_a_killed_run_gives_one_record_per_input(
    tiny_tagger_dir, messy_inputs, tmp_path
):
    d, jsonl = messy_inputs
    full = tmp_path / "full.jsonl"
    tag_files([d, jsonl], output=full, model=tiny_tagger_dir)
    lines = full.read_text("utf-8").splitlines(keepends=True)
    killed = tmp_path / "killed.jsonl"
    killed.write_text("".join(lines[:5]) + lines[5][:17], encoding="utf-8")  # torn last line
    tag_files([d, jsonl], output=killed, model=tiny_tagger_dir, resume=True)
    assert killed.read_text("utf-8") == full.read_text("utf-8")
    # resuming a finished run adds nothing
    tag_files([d, jsonl], output=killed, model=tiny_tagger_dir, resume=True)
    assert killed.read_text("utf-8") == full.read_text("utf-8")


def test_same_input_same_output(tiny_tagger_dir, messy_inputs, tmp_path):
    d, jsonl = messy_inputs
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    tag_files([d, jsonl], a, model=tiny_tagger_dir, options=TAG_ONLY.replace(articles_per_chunk=3))
    tag_files([d, jsonl], b, model=tiny_tagger_dir, options=TAG_ONLY.replace(articles_per_chunk=64))
    assert a.read_text("utf-8") == b.read_text("utf-8")


def test_csv_output_round_trips_and_resumes(tiny_tagger_dir, messy_inputs, tmp_path):
    d, jsonl = messy_inputs
    out = tmp_path / "out.csv"
    options = AnalysisOptions(summary=2, evidence=True)
    tag_files([d, jsonl], out, output_format="csv", model=tiny_tagger_dir, options=options)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    reference = tmp_path / "ref.jsonl"
    tag_files([d, jsonl], reference, model=tiny_tagger_dir, options=options)
    records = [json.loads(line) for line in reference.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    for row, record in zip(rows, records):
        assert row["theme_ids"] == ";".join(t["id"] for t in record["themes"])
        assert row["summary"].split("\n") == (record["summary"] or [""])
    # CSV input: the output of one run can be read back as records
    text_csv = tmp_path / "in.csv"
    with text_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["id", "title", "text"])
        writer.writeheader()
        writer.writerow({"id": "c1", "title": "治水", "text": ARTICLE})
        writer.writerow({"id": "c2", "title": "", "text": ""})
    out2 = tmp_path / "out2.csv"
    tag_files([text_csv], output=out2, output_format="csv", model=tiny_tagger_dir)
    content = out2.read_text("utf-8")
    out2.write_text(content[: content.index("\nc2") + 1], encoding="utf-8")
    tag_files([text_csv], output=out2, output_format="csv", model=tiny_tagger_dir, resume=True)
    assert out2.read_text("utf-8") == content


def test_summary_and_evidence(tiny_tagger_dir, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    options = AnalysisOptions(summary=1, evidence=True, threshold=0.0)
    tag_files([path], out, model=tiny_tagger_dir, options=options)
    record = json.loads(out.read_text("utf-8"))
    assert len(record["summary"]) == 1
    assert set(record["evidence"]) == {t["id"] for t in record["themes"]} and record["themes"]
    assert all(sentence in ARTICLE for sentence in record["evidence"].values())


def test_pages_mode_tags_each_item(tiny_tagger_dir, tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    tag_files([path], output=out, model=tiny_tagger_dir, pages=True)
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["title"] for r in records] == ["治水见成效", "园区招商忙"]
    assert records[0]["byline"] == "张三 李四"
    assert [r["id"] for r in records] == [f"{path}#1", f"{path}#2"]
    # JSONL records are articles, not page dumps, even with pages=True
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text(json.dumps({"id": "r1", "text": PAGE}, ensure_ascii=False) + "\n", "utf-8")
    assert [(r.id, r.kind) for r in read_records([jsonl], pages=True)] == [("r1", "")]


def test_cli_tag_stdin_and_exit_codes(tiny_tagger_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ARTICLE.encode("utf-8"))))
    assert main(["tag", "-", "--model", str(tiny_tagger_dir)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["id"] == "stdin"
    assert "1 records: ok 1" in captured.err
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert main(["tag", str(empty), "--model", str(tiny_tagger_dir)]) == 1
    capsys.readouterr()
    # a missing input is a record too, and the rest of the batch goes on
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    missing = str(tmp_path / "missing.txt")
    assert main(["tag", str(good), missing, "--model", str(tiny_tagger_dir)]) == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["id"], r["status"]) for r in records] == [(str(good), "ok"), (missing, "not_found")]
    assert "no such file or directory" in records[1]["error"]
    assert main(["tag", missing, "--model", str(tiny_tagger_dir)]) == 1


def test_analyze_and_analyze_page(tiny_tagger_dir):
    result = analyze(ARTICLE, title="治水", model=tiny_tagger_dir, summary=1)
    assert len(result.summary) == 1
    assert all(t.id in {"environment", "economy", "health"} for t in result.themes)
    items = analyze_page(PAGE, model=tiny_tagger_dir)
    assert [(a.title, a.byline, a.kind) for a in items] == [
        ("治水见成效", "张三 李四", "article"),
        ("园区招商忙", "王五", "article"),
    ]
    assert PAGE[items[1].start : items[1].end].startswith("园区招商忙")


def test_tag_dataset(tiny_tagger_dir):
    from datasets import Dataset

    ds = Dataset.from_dict({"text": [ARTICLE, "", "工业园区。"], "title": ["治水", None, "园区"]})
    tagged = tag_dataset(ds, tiny_tagger_dir, batch_size=2)
    tagger = Tagger.from_pretrained(tiny_tagger_dir)
    expected = tagger.predict([ARTICLE, "", "工业园区。"], ["治水", None, "园区"])
    assert [[t["id"] for t in row] for row in tagged["themes"]] == [
        [t.id for t in row] for row in expected
    ]
    assert len(tagged[0]["scores"]) == 3


def test_very_long_article_is_windowed_not_truncated(tiny_bert_dir, tmp_path):
    tagger = Tagger.from_base_model(tiny_bert_dir, max_length=128, stride=120, frozen_layers=1)
    text = "县里新建了污水处理厂，河道水质明显好转。" * 15_000  # 300k characters
    n_windows = len(tagger.article_windows(text))
    assert n_windows > 2400  # every token is covered: ~300k tokens / 120 per window
    path = tmp_path / "huge.txt"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    counts = tag_files([path], output=out, model=tagger)
    assert counts == {"ok": 1}
    record = json.loads(out.read_text("utf-8"))
    assert record["status"] == "ok"


def test_an_article_that_breaks_the_model_fails_alone(tiny_tagger_dir, tmp_path, monkeypatch):
    tagger = Tagger.from_pretrained(tiny_tagger_dir)
    real_logits = tagger.logits

    def fragile(texts, titles=None, **kwargs):
        if any("BOOM" in text for text in texts):
            raise RuntimeError("model exploded")
        return real_logits(texts, titles, **kwargs)

    monkeypatch.setattr(tagger, "logits", fragile)
    path = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": ARTICLE}, {"id": "b", "text": "BOOM"}, {"id": "c", "text": ARTICLE}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    counts = tag_files([path], output=out, model=tagger)
    assert counts == {"ok": 2, "failed": 1}
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [(r["id"], r["status"]) for r in records] == [("a", "ok"), ("b", "failed"), ("c", "ok")]
    assert "model exploded" in records[1]["error"]


def test_tag_dataset_in_processes_after_tagging_here(tiny_tagger_dir):
    from datasets import Dataset

    texts = [ARTICLE, "", "工业园区。", "村里修了一条路，群众出行更方便。", "学校开学了。"]
    ds = Dataset.from_dict({"text": texts, "title": ["治水", None, "园区", "修路", None]})
    here = tag_dataset(ds, tiny_tagger_dir, batch_size=2)  # this process has now run torch
    # Spawned workers: forked ones could hang in torch after the run above (datasets#5094).
    spread = tag_dataset(ds, tiny_tagger_dir, batch_size=2, num_proc=2)
    assert len(spread) == len(ds)
    assert spread["text"] == texts  # shards come back in order
    # Up to bf16 rounding: rows meet other batch partners (other padding) in the shards.
    np.testing.assert_allclose(np.array(spread["scores"]), np.array(here["scores"]), atol=1e-3)


def test_tag_keeps_the_date_and_named_fields(tiny_tagger_dir, tmp_path):
    path = tmp_path / "in.jsonl"
    rows = [
        {"id": "a", "text": ARTICLE, "date": "2024-01-05", "source": "县报", "tags": ["x"]},
        {"id": "b", "text": ARTICLE},
        {"id": "c", "text": "", "published": 20240106},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["tag", str(path), "--model", str(tiny_tagger_dir), "--output", str(out)]
    assert main([*args, "--keep-fields", "source,tags"]) == 0
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert (records[0]["date"], records[0]["source"], records[0]["tags"]) == (
        "2024-01-05",
        "县报",
        ["x"],
    )
    assert "date" not in records[1] and records[2]["status"] == "empty"
    csv_out = tmp_path / "out.csv"
    args = ["tag", str(path), "--model", str(tiny_tagger_dir), "--output", str(csv_out)]
    assert (
        main([*args, "--format", "csv", "--date-field", "published", "--keep-fields", "tags"]) == 0
    )
    table = list(csv.DictReader(csv_out.open(encoding="utf-8")))
    assert [row["published"] for row in table] == ["", "", "20240106"]
    assert table[0]["tags"] == '["x"]'
    with pytest.raises(ValueError, match="status"):
        tag_files([path], tmp_path / "x.jsonl", model=tiny_tagger_dir, keep_fields=["status"])
