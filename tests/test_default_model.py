"""The built-in model loads from the repository and tags plainly-worded articles sensibly."""

from __future__ import annotations

import json

import pytest

from govnlp.tagging.tagger import Tagger, default_model_path


@pytest.fixture(scope="module")
def default_tagger(encoder_cache) -> Tagger:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOVNLP_CACHE", str(encoder_cache))
        return Tagger.from_pretrained()


def test_default_model_is_small_and_self_describing():
    directory = default_model_path()
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    assert config["problem_type"] == "multi_label_classification"
    assert len(config["id2label"]) == len(config["thresholds"]) == 18
    assert config["base_model"] == "e5-small-zh"
    size = sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())
    assert size < 15 * 2**20
    assert (directory / "README.md").is_file()


def test_default_model_tags_clear_cases(default_tagger):
    # Our own sentences, each plainly about one theme.
    water = "县里新建了两座污水处理厂，关停了沿河的污染企业，河长每周巡河，河道水质明显好转。"
    clinic = (
        "县医院与乡镇卫生院组建医共体，专家定期下乡坐诊，群众看病就医更方便，医保报销比例提高。"
    )
    themes = default_tagger.predict([water, clinic], ["治水见成效", "看病不再难"])
    assert "ecology_environment" in [t.id for t in themes[0]]
    assert "healthcare" in [t.id for t in themes[1]]
    assert all(0.0 <= t.score <= 1.0 for row in themes for t in row)
