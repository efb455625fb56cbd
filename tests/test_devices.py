"""Inference devices: CPU fallbacks of the CUDA paths here, the CUDA path itself on a GPU."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from govnlp.batch import LocalEngine, tag_files
from govnlp.cli import main
from govnlp.tagging import Tagger, load_tagger
from govnlp.tagging.model import resolve_device

TEXTS = [
    "县里新建了污水处理厂，河道水质明显好转。",
    "工业园区引进了三家企业。" * 30,
    "学校开学了。",
]
needs_no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_auto_is_cuda_only_when_torch_sees_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device(None) == torch.device("cpu")
    with pytest.raises(ValueError, match="no CUDA device"):
        resolve_device("cuda:1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:1") == torch.device("cuda", 1)


def test_to_and_from_pretrained_device_keep_the_scores(tiny_tagger_dir):
    reference = Tagger.from_pretrained(tiny_tagger_dir).predict_proba(TEXTS)
    moved = Tagger.from_pretrained(tiny_tagger_dir, device="cpu")
    assert moved.device == torch.device("cpu")
    np.testing.assert_allclose(moved.predict_proba(TEXTS), reference, atol=1e-6)


def test_half_precision_path_stays_close_to_float32(tiny_tagger_dir):
    # The GPU's float16 path (encoder in float16, pooling and head in float32), run on the CPU.
    reference = Tagger.from_pretrained(tiny_tagger_dir).predict_proba(TEXTS)
    half = Tagger.from_pretrained(tiny_tagger_dir).to("cpu", half=True)
    assert half.model.encoder.embeddings.word_embeddings.weight.dtype == torch.float16
    assert half.model.classifier.weight.dtype == torch.float32
    np.testing.assert_allclose(half.predict_proba(TEXTS), reference, atol=0.02)
    # and back (the float16 rounding of the weights stays: the cast is in place)
    back = half.optimize_for_cpu(bf16=False, overlap=True)
    assert back.model.encoder.embeddings.word_embeddings.weight.dtype == torch.float32
    np.testing.assert_allclose(back.predict_proba(TEXTS), reference, atol=0.02)


def test_load_tagger_is_shared_per_device(tiny_tagger_dir):
    assert load_tagger(tiny_tagger_dir, device="cpu") is load_tagger(tiny_tagger_dir)


@needs_no_cuda
def test_asking_for_cuda_without_one_is_a_clear_error(tiny_tagger_dir, tmp_path, capsys):
    with pytest.raises(ValueError, match="no CUDA device"):
        load_tagger(tiny_tagger_dir, device="cuda")
    path = tmp_path / "a.txt"
    path.write_text(TEXTS[0], encoding="utf-8")
    code = main(["tag", str(path), "--model", str(tiny_tagger_dir), "--device", "cuda"])
    assert code == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_cli_device_cpu_equals_the_default(tiny_tagger_dir, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}) for t in TEXTS) + "\n", encoding="utf-8")
    outputs = []
    for device in ("auto", "cpu"):
        out = tmp_path / f"{device}.jsonl"
        args = ["tag", str(path), "--model", str(tiny_tagger_dir), "--output", str(out)]
        assert main([*args, "--device", device]) == 0
        outputs.append(out.read_text("utf-8"))
    if not torch.cuda.is_available():
        assert outputs[0] == outputs[1]


@needs_cuda
def test_cuda_gives_the_cpu_themes(tiny_tagger_dir, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}) for t in TEXTS) + "\n", encoding="utf-8")
    on_cpu, on_gpu = tmp_path / "cpu.jsonl", tmp_path / "gpu.jsonl"
    tag_files([path], on_cpu, model=tiny_tagger_dir, engine=LocalEngine(device="cpu"))
    tag_files([path], on_gpu, model=tiny_tagger_dir, engine=LocalEngine(device="cuda"))
    cpu = [json.loads(line) for line in on_cpu.read_text("utf-8").splitlines()]
    gpu = [json.loads(line) for line in on_gpu.read_text("utf-8").splitlines()]
    assert load_tagger(tiny_tagger_dir, device="cuda").device.type == "cuda"
    assert [[t["id"] for t in r["themes"]] for r in cpu] == [
        [t["id"] for t in r["themes"]] for r in gpu
    ]
