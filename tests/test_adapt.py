"""Domain-adaptive pretraining on a tiny BERT, and the float16 delta that ships it."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from govnlp.encoders import load_encoder, resolve_base_model
from govnlp.encoders.adapt import AdaptConfig, adapt_encoder
from govnlp.encoders.delta import DELTA_NAME, rebuild, save_delta
from govnlp.tagging import Tagger

CORPUS = [
    "县里新建了污水处理厂，河道水质明显好转。",
    "工业园区引进了三家企业，年产值增长。",
    "县医院新建了住院楼，看病更方便了。",
    "关停污染企业，发展生态产业。",
] * 6


@pytest.fixture(scope="module")
def adapted(tiny_bert_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("adapt")
    corpus = folder / "corpus.jsonl"
    corpus.write_text(
        "\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in CORPUS), encoding="utf-8"
    )
    config = AdaptConfig(
        base_model=str(tiny_bert_dir),
        max_length=32,
        trained_layers=1,
        batch_size=4,
        max_steps=3,
        learning_rate=1e-2,
        mlm_probability=0.3,
        device="cpu",
    )
    return adapt_encoder(corpus, config, folder / "adapted")


def test_only_the_top_layers_change(adapted, tiny_bert_dir):
    info = json.loads((adapted / "adaptation.json").read_text(encoding="utf-8"))
    assert info["steps"] == 3 and len(info["history"]) == 3
    base = load_file(str(tiny_bert_dir / "model.safetensors"))
    after = load_file(str(adapted / "model.safetensors"))
    assert set(after) == set(base)
    changed = {name for name in base if not torch.equal(base[name], after[name])}
    assert changed and all(name.startswith("encoder.layer.1.") for name in changed)
    model, tokenizer = load_encoder(adapted)  # usable as a base model
    assert tokenizer.mask_token == "[MASK]" and model.config.num_hidden_layers == 2


def test_delta_round_trip_rebuilds_identical_weights(adapted, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVNLP_CACHE", str(tmp_path / "cache"))
    delta_dir = save_delta(adapted, tmp_path / "delta")
    delta = load_file(str(delta_dir / DELTA_NAME))
    assert delta and all(t.dtype == torch.float16 for t in delta.values())
    rebuilt = rebuild(delta_dir)
    assert rebuild(delta_dir) == rebuilt  # cached by the delta's hash
    expected = load_file(str(adapted / "model.safetensors"))
    got = load_file(str(rebuilt / "model.safetensors"))
    assert set(got) == set(expected)
    assert all(torch.equal(got[name], expected[name]) for name in expected)
    # a delta directory is a base model: the tagger builds on the rebuilt encoder
    assert resolve_base_model(delta_dir) == str(rebuilt)
    tagger = Tagger.from_base_model(delta_dir, max_length=32, stride=20, frozen_layers=1)
    assert tagger.predict_proba(["县里新建了污水处理厂。"]).shape == (1, 18)


def test_a_delta_refuses_another_base(adapted, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVNLP_CACHE", str(tmp_path / "cache"))
    delta_dir = save_delta(adapted, tmp_path / "delta")
    info = json.loads((delta_dir / "adaptation.json").read_text(encoding="utf-8"))
    info["base_sha256"] = "0" * 64
    (delta_dir / "adaptation.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(ValueError, match="other weights"):
        rebuild(delta_dir)


def test_cli_adapt_encoder_writes_encoder_and_delta(tiny_bert_dir, tmp_path, monkeypatch, capsys):
    from govnlp.cli import main

    monkeypatch.setenv("GOVNLP_CACHE", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(CORPUS), encoding="utf-8")
    args = ["adapt-encoder", str(corpus), "--base-model", str(tiny_bert_dir), "--device", "cpu"]
    args += ["--output", str(tmp_path / "a"), "--delta", str(tmp_path / "d"), "--max-steps", "1"]
    assert main([*args, "--max-length", "32", "--trained-layers", "1", "--batch-size", "2"]) == 0
    assert (tmp_path / "d" / DELTA_NAME).exists()
    assert capsys.readouterr().out.split() == [str(tmp_path / "a"), str(tmp_path / "d")]
