"""The Ray engine: a local Ray with 2 CPUs gives the records of the single-process path."""

from __future__ import annotations

import json
import sys

import pytest

from govnlp.analysis import AnalysisOptions
from govnlp.batch import tag_files
from govnlp.cli import main
from govnlp.tagging import Tagger

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

from govnlp.integrations.ray import RayEngine, TagBatch  # noqa: E402

ARTICLE = "县里新建了污水处理厂，河道水质明显好转。工业园区引进了三家企业。"


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture()
def inputs(tmp_path):
    """Good and bad records, a text file and a missing path, with dates and a source."""
    rows = [
        json.dumps({"id": "a", "title": "治水", "text": ARTICLE, "date": "20240105"}),
        "{broken json",
        json.dumps({"id": "b", "text": "   ", "date": "20240106"}),
        json.dumps({"id": "c", "body": ARTICLE}),
        json.dumps({"id": "d", "text": ARTICLE * 20, "source": "县报", "date": "2024-02-01"}),
        *(json.dumps({"id": f"e{i}", "text": ARTICLE[i:] + "学校开学了。"}) for i in range(8)),
    ]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = tmp_path / "article.txt"
    text.write_text(ARTICLE, encoding="utf-8")
    return [jsonl, text, tmp_path / "missing.txt"]


def lines(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.mark.parametrize("output_format", ["jsonl", "csv"])
def test_ray_records_equal_the_single_process_records(
    local_ray, tiny_tagger_dir, inputs, tmp_path, output_format
):
    options = AnalysisOptions(summary=1, evidence=True)
    here, there = tmp_path / f"here.{output_format}", tmp_path / f"ray.{output_format}"
    keep = ("date", "source")
    common = dict(model=tiny_tagger_dir, options=options, output_format=output_format)
    local_counts = tag_files(inputs, here, keep_fields=keep, **common)
    ray_counts = tag_files(inputs, there, keep_fields=keep, engine=RayEngine(workers=2), **common)
    assert ray_counts == local_counts
    assert local_counts["ok"] == 11 and local_counts["not_found"] == 1
    assert there.read_text("utf-8") == here.read_text("utf-8")
    if output_format == "jsonl":
        records = lines(there)
        assert records[0]["date"] == "20240105" and records[4]["source"] == "县报"
        assert [r["status"] for r in records[:4]] == ["ok", "bad_json", "empty", "missing_field"]


class FragileTagger(Tagger):
    """A tagger whose model raises on one article, as a corrupt input might make it."""

    def logits(self, texts, titles=None, **kwargs):
        if any("BOOM" in text for text in texts):
            raise RuntimeError("model exploded")
        return super().logits(texts, titles, **kwargs)


def test_a_failing_record_does_not_lose_its_neighbours(local_ray, tiny_tagger_dir, tmp_path):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the actors cannot import tests
    path = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": ARTICLE}, {"id": "b", "text": "BOOM"}, {"id": "c", "text": ARTICLE}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    tagger = FragileTagger.from_pretrained(tiny_tagger_dir)
    counts = tag_files([path], out, model=tagger, engine=RayEngine(workers=2))
    assert counts == {"ok": 2, "failed": 1}
    records = lines(out)
    assert [(r["id"], r["status"]) for r in records] == [("a", "ok"), ("b", "failed"), ("c", "ok")]
    assert "model exploded" in records[1]["error"]
    assert records[0]["themes"] == lines(out)[2]["themes"]


def test_tag_batch_on_a_ray_dataset(local_ray, tiny_tagger_dir):
    dataset = local_ray.data.from_items(
        [{"text": ARTICLE, "title": "治水"}, {"text": "", "title": None}, {"text": "学校开学了。"}]
    )
    tagged = dataset.map_batches(
        TagBatch, fn_constructor_kwargs={"model": tiny_tagger_dir}, concurrency=1, batch_size=2
    ).take_all()
    assert [row["status"] for row in tagged] == ["ok", "empty", "ok"]
    expected = Tagger.from_pretrained(tiny_tagger_dir).optimize_for_cpu()
    themes = expected.predict([ARTICLE], ["治水"])[0]
    assert [t["id"] for t in tagged[0]["themes"]] == [t.id for t in themes]
    assert tagged[0]["title"] == "治水"  # the input columns stay


def test_cli_engine_ray(local_ray, tiny_tagger_dir, inputs, tmp_path):
    here, there = tmp_path / "here.jsonl", tmp_path / "ray.jsonl"
    model = ["--model", str(tiny_tagger_dir)]
    assert main(["tag", *map(str, inputs), *model, "--output", str(here)]) == 0
    args = ["tag", *map(str, inputs), *model, "--output", str(there), "--engine", "ray"]
    assert main([*args, "--workers", "2"]) == 0
    assert there.read_text("utf-8") == here.read_text("utf-8")
