from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from govnlp.encoders import load_encoder, windows
from govnlp.tagging import Tagger, Theme
from govnlp.tagging.windows import pool_windows
from govnlp.taxonomy import Label

LABELS = [
    Label("environment", "生态环境"),
    Label("economy", "经济发展"),
    Label("health", "医疗卫生"),
]
BODY = "县里新建了污水处理厂，河道水质明显好转。" * 3 + "工业园区引进了三家企业。" * 4


@pytest.fixture()
def tagger(tiny_bert_dir) -> Tagger:
    torch.manual_seed(0)
    tagger = Tagger.from_base_model(
        tiny_bert_dir, LABELS, max_length=32, stride=20, frozen_layers=1
    )
    with torch.no_grad():  # a non-trivial head, so scores differ between texts
        tagger.model.classifier.weight.normal_(0, 1.0)
    return tagger


@pytest.mark.parametrize("stride", [20, 32])  # 32 >= the room: windows without overlap
def test_windows_cover_every_token_and_repeat_the_title(tiny_bert_dir, stride):
    _, tokenizer = load_encoder(tiny_bert_dir)
    rng = random.Random(0)  # no repeated runs, so each window maps to one place in the body
    chars = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也"
    text = "。".join("".join(rng.choices(chars, k=12)) for _ in range(25))
    body_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    title_ids = tokenizer("水质好转", add_special_tokens=False)["input_ids"]
    found = windows(tokenizer, text, "水质好转", max_length=32, stride=stride)
    assert len(found) > 1
    covered: set[int] = set()
    for ids in found:
        assert len(ids) <= 32
        assert ids[1 : 1 + len(title_ids)] == title_ids  # [CLS] title [SEP] body [SEP]
        chunk = ids[2 + len(title_ids) : -1]
        # locate the chunk in the body: windows are contiguous slices of it
        starts = [s for s in range(len(body_ids)) if body_ids[s : s + len(chunk)] == chunk]
        assert len(starts) == 1, "a window is not one slice of the body"
        covered.update(range(starts[0], starts[0] + len(chunk)))
    assert covered == set(range(len(body_ids)))


def test_windows_start_on_sentence_starts_when_they_can(tiny_bert_dir):
    _, tokenizer = load_encoder(tiny_bert_dir)
    text = "一二三四五六七八九十。" * 12
    found = windows(tokenizer, text, None, max_length=40, stride=30)
    first_body_token = tokenizer("一", add_special_tokens=False)["input_ids"][0]
    assert all(ids[1] == first_body_token for ids in found)


def test_windows_of_empty_text(tiny_bert_dir):
    _, tokenizer = load_encoder(tiny_bert_dir)
    assert len(windows(tokenizer, "", None)) == 1
    assert len(windows(tokenizer, "", "标题")) == 1


def test_cached_path_equals_full_forward(tagger):
    ids = [tagger.article_windows(BODY, "标题")[0], tagger.article_windows("短文本。")[0]]
    width = max(map(len, ids))
    input_ids = torch.tensor([x + [0] * (width - len(x)) for x in ids])
    mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids])
    with torch.no_grad():
        full = tagger.model(input_ids, mask)
        for layer in (0, 1):
            hidden = tagger.model.hidden_at_layer(input_ids, mask, layer)
            cached = tagger.model.forward_from_layer(hidden, mask, layer)
            torch.testing.assert_close(cached, full, atol=1e-5, rtol=1e-4)


def test_predict_proba_shape_order_and_batching_invariance(tagger):
    texts = [BODY, "短文本。", "", BODY * 5]
    proba = tagger.predict_proba(texts)
    assert proba.shape == (4, 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    one_by_one = np.concatenate([tagger.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(proba, one_by_one, atol=1e-5)
    streamed = tagger.predict_proba(iter(texts), windows_per_batch=1)
    np.testing.assert_allclose(proba, streamed, atol=1e-5)


def test_predict_uses_thresholds_top_k_and_allows_no_theme(tagger):
    proba = tagger.predict_proba([BODY])[0]
    tagger.config.thresholds = [1.0, 1.0, 1.0]
    assert tagger(BODY) == []  # "no theme" is an answer
    tagger.config.thresholds = [0.0, 0.0, 0.0]
    themes = tagger(BODY)
    assert [t.score for t in themes] == [round(p, 4) for p in sorted(proba, reverse=True)]
    assert all(isinstance(t, Theme) for t in themes)
    assert len(tagger.predict([BODY], top_k=1)[0]) == 1
    assert tagger.predict([BODY], threshold=1.01) == [[]]


def test_long_text_is_windowed_not_truncated(tagger):
    long_text = "短句。" * 50 + "县里新建了污水处理厂。"
    parts = list(tagger.article_window_logits([long_text]))
    assert parts[0].shape[0] > 3
    np.testing.assert_allclose(tagger.logits([long_text])[0], parts[0].max(0))


def test_pooling():
    logits = np.array([[1.0, -2.0], [3.0, 0.0]])
    assert pool_windows(logits, "mean").tolist() == [2.0, -1.0]
    assert pool_windows(logits, "first").tolist() == [1.0, -2.0]
    with pytest.raises(ValueError):
        pool_windows(logits, "median")


def test_save_and_load_round_trip(tagger, tmp_path):
    tagger.config.thresholds = [0.3, 0.5, 0.7]
    tagger.config.temperature = 1.5
    before = tagger.predict_proba([BODY, "短文本。"])
    tagger.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert config["problem_type"] == "multi_label_classification"
    assert config["id2label"] == {"0": "environment", "1": "economy", "2": "health"}
    assert config["label2id"]["health"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "config.json",
        "labels.csv",
        "model.safetensors",
    ]
    loaded = Tagger.from_pretrained(tmp_path)
    assert [label.id for label in loaded.labels] == ["environment", "economy", "health"]
    np.testing.assert_allclose(loaded.thresholds, [0.3, 0.5, 0.7])
    np.testing.assert_allclose(loaded.predict_proba([BODY, "短文本。"]), before, atol=1e-6)


def test_saved_weights_only_hold_trained_layers(tagger, tmp_path):
    from safetensors.torch import load_file

    tagger.save_pretrained(tmp_path)
    names = load_file(str(tmp_path / "model.safetensors"))
    assert any(name.startswith("encoder.encoder.layer.1.") for name in names)
    assert not any(name.startswith("encoder.encoder.layer.0.") for name in names)
    assert not any("embeddings" in name for name in names)


def test_mismatched_labels_file_is_rejected(tagger, tmp_path):
    tagger.save_pretrained(tmp_path)
    (tmp_path / "labels.csv").write_text("id,name_zh\nenvironment,生态环境\n", encoding="utf-8")
    with pytest.raises(ValueError, match="does not match id2label"):
        Tagger.from_pretrained(tmp_path)


def test_broken_labels_file_names_the_row(tagger, tmp_path):
    from govnlp.taxonomy import LabelsError

    tagger.save_pretrained(tmp_path)
    (tmp_path / "labels.csv").write_text("id,name_zh\nenvironment,\n", encoding="utf-8")
    with pytest.raises(LabelsError):
        Tagger.from_pretrained(tmp_path)


def test_missing_model_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        Tagger.from_pretrained(tmp_path)


def test_weights_for_another_base_model_are_rejected(tagger, tmp_path):
    from safetensors.torch import load_file, save_file

    tagger.save_pretrained(tmp_path)
    state = load_file(str(tmp_path / "model.safetensors"))
    state["encoder.encoder.layer.0.output.dense.bias"] = torch.zeros(32)
    save_file(state, str(tmp_path / "model.safetensors"))
    with pytest.raises(ValueError, match="does not fit base model"):
        Tagger.from_pretrained(tmp_path)


def test_int8_and_bf16_paths_stay_close_to_float32(tiny_tagger_dir):
    texts = [BODY, "短文本。", BODY * 3]
    reference = Tagger.from_pretrained(tiny_tagger_dir).predict_proba(texts)
    for options in ({"quantize": True}, {"bf16": True}):
        fast = Tagger.from_pretrained(tiny_tagger_dir).optimize_for_cpu(overlap=True, **options)
        np.testing.assert_allclose(fast.predict_proba(texts), reference, atol=0.05)
        assert fast.bf16 == options.get("bf16", False)


def test_fast_path_drops_the_window_overlap(tiny_tagger_dir):
    tagger = Tagger.from_pretrained(tiny_tagger_dir)
    fast = Tagger.from_pretrained(tiny_tagger_dir).optimize_for_cpu(bf16=False)
    assert fast.stride == fast.config.max_length  # coverage: test_windows_cover_every_token
    assert len(fast.article_windows(BODY * 8, "标题")) < len(
        tagger.article_windows(BODY * 8, "标题")
    )


def test_titles_must_match_texts(tagger):
    with pytest.raises(ValueError):
        tagger.predict_proba(["第一篇。", "第二篇。"], ["只有一个标题"])
