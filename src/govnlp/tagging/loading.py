"""One tagger per process, ready for fast inference: :func:`load_tagger`.

Every caller that is given a model directory (or none: the built-in model) goes through here, so
a process loads each model once per device and prepares it the same way on a CPU or a GPU.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

from .model import resolve_device
from .tagger import Tagger

__all__ = ["load_tagger"]


@functools.lru_cache(maxsize=4)
def _shared_tagger(path: str | None, quantize: bool, device: str) -> Tagger:
    tagger = Tagger.from_pretrained(path)
    if device == "cpu":
        return tagger.optimize_for_cpu(quantize=quantize)
    if quantize:
        raise ValueError("int8 quantisation is for the CPU; on a GPU the tagger runs in float16")
    # The CPU path's windows (no overlap), so that both devices give the same themes.
    tagger.stride = tagger.config.max_length
    return tagger.to(device)


def load_tagger(
    model: Tagger | str | Path | None = None,
    *,
    quantize: bool = False,
    device: str | torch.device = "auto",
) -> Tagger:
    """A tagger ready for fast inference: ``model`` itself, a directory, or the built-in one.

    Directories are loaded once per process and device and shared (by :func:`govnlp.analyze`,
    the CLI and every caller). On a CPU through :meth:`Tagger.optimize_for_cpu`: bf16 weights
    where the CPU runs bf16 natively, windows without overlap, int8 quantisation when
    ``quantize`` (off by default: slower than bf16 and less accurate, docs/tagger.md). On a GPU
    through :meth:`Tagger.to`: float16 weights, the same windows. A :class:`Tagger` instance is
    used as it is.

    Args:
        model: A :class:`Tagger`, a directory written by :meth:`Tagger.save_pretrained`, or
            ``None`` for the built-in model.
        quantize: int8 dynamic quantisation (CPU only).
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    >>> load_tagger() is load_tagger(device="auto")
    True
    """
    if isinstance(model, Tagger):
        return model
    path = str(Path(model).resolve()) if model is not None else None
    if quantize and device == "auto":  # int8 is a CPU format: auto means the CPU here
        device = "cpu"
    return _shared_tagger(path, quantize, str(resolve_device(device)))
