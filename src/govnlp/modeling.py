"""The theme tagger: a Chinese encoder with a multi-label head, windowed over long articles.

An article is cut into overlapping token windows (:func:`govnlp.encoders.windows`, title in front
of each), every window is encoded and mean-pooled, a LayerNorm standardises the pooled vector
(e5's pooled vectors barely differ between documents; without it fine-tuning collapsed to the
label priors, issue #6) and a linear head gives one logit per theme. The article's logit for a
theme is the maximum over its windows: a theme is present if any part of the article is about it.
Scores are ``sigmoid(logit / temperature)`` with the temperature fitted on held-out training
articles, and per-theme thresholds chosen on the same held-out slice are saved with the model.

Saved models follow Hugging Face conventions: ``config.json`` (``id2label``, ``label2id``,
``problem_type``, base model, windows, thresholds), ``model.safetensors`` holding only the weights
that training changed (top encoder layers and head; the frozen rest comes from the base model) and
the labels file copied alongside.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .baseline import TfidfBaseline
from .encoders import DEFAULT_BASE_MODEL, load_encoder, windows
from .taxonomy import Label, load_labels

__all__ = ["DEFAULT_MODEL_NAME", "Tagger", "TaggerModel", "Theme", "default_model_path"]

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "govnlp-themes-e5-small"
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
LABELS_NAME = "labels.csv"
LEXICAL_WEIGHTS_NAME = "lexical.safetensors"
LEXICAL_NGRAMS_NAME = "lexical_ngrams.json"
MODEL_TYPE = "govnlp-tagger"


def default_model_path() -> Path:
    """Directory of the built-in default tagger (shipped in the package as ``default_model``).

    >>> default_model_path().name
    'default_model'
    """
    return Path(__file__).resolve().parent / "default_model"


@dataclass(frozen=True)
class Theme:
    """One predicted theme of an article.

    Attributes:
        id: Theme id from the labels file, e.g. ``"ecology_environment"``.
        name: Chinese display name.
        score: Calibrated probability that the article is about this theme.
    """

    id: str
    name: str
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


class TaggerModel(nn.Module):
    """Encoder → mean pooling → LayerNorm → dropout → linear head, one logit per label per window.

    ``frozen_layers`` lower encoder layers (and the embeddings) are not trained; training runs them
    once and caches their output (:meth:`forward_from_layer`), which makes CPU training practical.
    """

    def __init__(self, encoder: nn.Module, n_labels: int, *, frozen_layers: int, dropout: float):
        super().__init__()
        self.encoder = encoder
        self.frozen_layers = frozen_layers
        hidden = encoder.config.hidden_size
        self.norm = nn.LayerNorm(hidden)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden, n_labels)

    @property
    def layers(self) -> nn.ModuleList:
        return self.encoder.encoder.layer

    def trainable_prefixes(self) -> list[str]:
        """Parameter-name prefixes that training updates (and :meth:`Tagger.save_pretrained` saves)."""
        top = [f"encoder.encoder.layer.{i}." for i in range(self.frozen_layers, len(self.layers))]
        return [*top, "norm.", "classifier."]

    def head(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        # Pool in float32 even when the encoder runs in bf16: a bf16 sum over 256 tokens keeps
        # only ~3 significant digits.
        hidden = hidden.float()
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.classifier(self.dropout(self.norm(pooled)))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(hidden, attention_mask)

    def hidden_at_layer(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, layer: int
    ) -> torch.Tensor:
        """Hidden states after ``layer`` encoder layers (0 = embeddings)."""
        all_layers = self.encoder.encoder.layer
        self.encoder.encoder.layer = all_layers[:layer]  # run only the layers below ``layer``
        try:
            return self.encoder(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
        finally:
            self.encoder.encoder.layer = all_layers

    def forward_from_layer(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, layer: int
    ) -> torch.Tensor:
        """Window logits from hidden states cached after ``layer`` encoder layers."""
        from transformers.masking_utils import create_bidirectional_mask

        mask = create_bidirectional_mask(
            config=self.encoder.config, inputs_embeds=hidden, attention_mask=attention_mask
        )
        for block in self.layers[layer:]:
            hidden = block(hidden, mask)
            if isinstance(hidden, tuple):  # transformers < 5 returns a tuple
                hidden = hidden[0]
        return self.head(hidden, attention_mask)


def _pad(batch: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


class Tagger:
    """Multi-label theme tagger for Chinese articles.

    Build one with :meth:`from_pretrained` (the built-in model, or a directory written by
    :meth:`save_pretrained` / ``govnlp train``).

    Attributes:
        labels: The themes, in the column order of :meth:`predict_proba`.
        config: The saved configuration (``config.json``).

    >>> tagger = Tagger.from_pretrained()  # doctest: +SKIP
    >>> [theme.id for theme in tagger("县里新建了污水处理厂，河道水质明显好转。")]  # doctest: +SKIP
    ['ecology_environment']
    """

    def __init__(
        self,
        model: TaggerModel,
        tokenizer,
        labels: Sequence[Label],
        config: dict,
        lexical: TfidfBaseline | None = None,
    ):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.labels = list(labels)
        self.config = config
        self.lexical = lexical
        self.bf16 = False  # see optimize_for_cpu()
        # Body tokens between window starts at inference; optimize_for_cpu() may drop the
        # overlap that training used.
        self.stride: int = config["stride"]

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_base_model(
        cls,
        base_model: str | Path = DEFAULT_BASE_MODEL,
        labels: Sequence[Label] | str | Path | None = None,
        *,
        max_length: int = 256,
        stride: int = 192,
        frozen_layers: int = 0,
        dropout: float = 0.1,
    ) -> Tagger:
        """A new, untrained tagger over a base encoder (what training starts from).

        >>> tagger = Tagger.from_base_model("e5-small-zh")  # doctest: +SKIP
        """
        if labels is None or isinstance(labels, str | Path):
            labels = load_labels(labels)
        encoder, tokenizer = load_encoder(base_model)
        n_layers = encoder.config.num_hidden_layers
        if not 0 <= frozen_layers < n_layers:
            raise ValueError(f"frozen_layers must be in [0, {n_layers}), got {frozen_layers}")
        model = TaggerModel(encoder, len(labels), frozen_layers=frozen_layers, dropout=dropout)
        config = {
            "model_type": MODEL_TYPE,
            "base_model": str(base_model),
            "problem_type": "multi_label_classification",
            "id2label": {str(i): label.id for i, label in enumerate(labels)},
            "label2id": {label.id: i for i, label in enumerate(labels)},
            "max_length": max_length,
            "stride": stride,
            "pooling": "max",
            "frozen_layers": frozen_layers,
            "num_hidden_layers": n_layers,
            "dropout": dropout,
            "temperature": 1.0,
            "thresholds": [0.5] * len(labels),
            "max_labels": 4,
        }
        return cls(model, tokenizer, labels, config)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> Tagger:
        """Load a saved tagger; ``None`` loads the built-in default model.

        Args:
            path: A directory written by :meth:`save_pretrained`.

        Raises:
            FileNotFoundError: No ``config.json`` in ``path``.
            ValueError: The weights do not fit the base model named in the config.

        >>> tagger = Tagger.from_pretrained()  # doctest: +SKIP
        """
        from safetensors.torch import load_file

        directory = Path(path) if path is not None else default_model_path()
        config_file = directory / CONFIG_NAME
        if not config_file.is_file():
            raise FileNotFoundError(f"{directory} is not a govnlp tagger: no {CONFIG_NAME}")
        config = json.loads(config_file.read_text(encoding="utf-8"))
        if config.get("model_type") != MODEL_TYPE:
            raise ValueError(f"{config_file}: model_type is not {MODEL_TYPE!r}")
        labels = load_labels(directory / LABELS_NAME)
        saved_ids = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        if [label.id for label in labels] != saved_ids:
            raise ValueError(f"{directory / LABELS_NAME} does not match id2label in {config_file}")
        tagger = cls.from_base_model(
            config["base_model"],
            labels,
            max_length=config["max_length"],
            stride=config["stride"],
            frozen_layers=config["frozen_layers"],
            dropout=config.get("dropout", 0.1),
        )
        state = load_file(str(directory / WEIGHTS_NAME))
        expected = {
            name
            for name in tagger.model.state_dict()
            if name.startswith(tuple(tagger.model.trainable_prefixes()))
        }
        if set(state) != expected:
            missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
            raise ValueError(
                f"{directory / WEIGHTS_NAME} does not fit base model {config['base_model']!r}: "
                f"missing {missing[:3]}, unexpected {extra[:3]}"
            )
        tagger.model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        tagger.model.eval()
        tagger.config = config
        if "lexical" in config:
            from safetensors.numpy import load_file as load_arrays

            ngrams = json.loads((directory / LEXICAL_NGRAMS_NAME).read_text(encoding="utf-8"))
            tagger.lexical = TfidfBaseline.from_arrays(
                load_arrays(str(directory / LEXICAL_WEIGHTS_NAME)),
                ngrams,
                ngram_range=tuple(config["lexical"]["ngram_range"]),
            )
        return tagger

    def save_pretrained(self, path: str | Path, *, dtype: torch.dtype = torch.float32) -> Path:
        """Write ``config.json``, ``model.safetensors`` (trained weights only) and ``labels.csv``.

        Args:
            path: Target directory (created).
            dtype: Storage type of the weights; ``torch.float16`` halves the size.

        >>> tagger.save_pretrained("models/my-tagger")  # doctest: +SKIP
        """
        from safetensors.torch import save_file

        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        prefixes = tuple(self.model.trainable_prefixes())
        state = {
            name: tensor.detach().to(dtype).contiguous()
            for name, tensor in self.model.state_dict().items()
            if name.startswith(prefixes)
        }
        save_file(state, str(directory / WEIGHTS_NAME), metadata={"format": "pt"})
        (directory / CONFIG_NAME).write_text(
            json.dumps(self.config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        _write_labels(self.labels, directory / LABELS_NAME)
        if self.lexical is not None:
            from safetensors.numpy import save_file as save_arrays

            arrays, ngrams = self.lexical.to_arrays()
            save_arrays(arrays, str(directory / LEXICAL_WEIGHTS_NAME))
            (directory / LEXICAL_NGRAMS_NAME).write_text(
                json.dumps(ngrams, ensure_ascii=False), encoding="utf-8"
            )
        return directory

    # -- prediction ---------------------------------------------------------------------------

    @property
    def thresholds(self) -> np.ndarray:
        return np.asarray(self.config["thresholds"], dtype=np.float64)

    def optimize_for_cpu(
        self, *, quantize: bool = False, bf16: bool | None = None, overlap: bool = False
    ) -> Tagger:
        """Make inference faster on CPU; returns ``self``.

        Args:
            quantize: Dynamic int8 quantisation of the Linear layers (weights int8, activations
                quantised on the fly; ``torch.ao.quantization.quantize_dynamic``).
            bf16: Cast the encoder's weights to bfloat16 (the pooling and head stay float32).
                ``None`` = only when the CPU has native bf16 instructions (AVX512-BF16 or AMX),
                where it is several times faster; on other CPUs bf16 is emulated and slower
                than float32. Faster than bf16 autocast over float32 weights, which re-casts
                every weight on every call. The cast is in place: reload the model to get
                float32 weights back.
            overlap: Keep the overlapping windows of training (``stride``). By default windows
                follow each other without overlap: 17% fewer tokens on 1,000-character
                articles, with no loss we could measure (dev F1 and average precision in the
                README's "Speed on a CPU" table, ``scripts/bench_tag.py``).

        >>> tagger = Tagger.from_pretrained().optimize_for_cpu()  # doctest: +SKIP
        """
        if quantize:
            import warnings

            with warnings.catch_warnings():
                # torch marks torch.ao.quantization deprecated (torchao replaces it) but 2.13
                # still ships it; users should not see that warning on every run.
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                from torch.ao.quantization import quantize_dynamic

                self.model = quantize_dynamic(self.model, {nn.Linear}, dtype=torch.qint8)
        self.bf16 = cpu_has_bf16() if bf16 is None else bf16
        if quantize and self.bf16:
            logger.info("int8 quantised model: bf16 is not used")
            self.bf16 = False
        self.model.encoder.to(torch.bfloat16 if self.bf16 else torch.float32)
        # A stride as long as the window leaves no overlap: windows() caps the step at the room.
        self.stride = self.config["stride"] if overlap else self.config["max_length"]
        return self

    def article_windows(self, text: str, title: str | None = None) -> list[list[int]]:
        """Token windows of one article, as the model sees them."""
        return windows(
            self.tokenizer,
            text,
            title,
            max_length=self.config["max_length"],
            stride=self.stride,
        )

    def window_logits(
        self, batch_windows: Sequence[Sequence[int]], batch_size: int = 32
    ) -> np.ndarray:
        """Logits of many windows, batched by length (short windows are not padded to long ones)."""
        order = sorted(range(len(batch_windows)), key=lambda i: len(batch_windows[i]))
        out = np.zeros((len(batch_windows), len(self.labels)), dtype=np.float32)
        pad_id = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for begin in range(0, len(order), batch_size):
                rows = order[begin : begin + batch_size]
                input_ids, attention_mask = _pad([batch_windows[i] for i in rows], pad_id)
                out[rows] = self.model(input_ids, attention_mask).float().numpy()
        return out

    def article_window_logits(
        self,
        texts: Iterable[str],
        titles: Iterable[str | None] | None = None,
        *,
        batch_size: int = 32,
        chunk_size: int = 256,
    ) -> Iterator[np.ndarray]:
        """For each article, the logits of its windows (``(n_windows, n_labels)``), streamed.

        Windows of ``chunk_size`` articles are batched together, so short and long articles share
        forward passes and memory stays bounded on any number of articles.
        """
        for chunk_texts, chunk_titles in article_chunks(texts, titles, chunk_size):
            chunk = [self.article_windows(t, h) for t, h in zip(chunk_texts, chunk_titles)]
            flat = [window for article in chunk for window in article]
            window_out = self.window_logits(flat, batch_size=batch_size)
            begin = 0
            for article in chunk:
                yield window_out[begin : begin + len(article)]
                begin += len(article)

    def logits(
        self,
        texts: Iterable[str],
        titles: Iterable[str | None] | None = None,
        *,
        batch_size: int = 32,
        pooling: str | None = None,
    ) -> np.ndarray:
        """Article logits ``(n_texts, n_labels)``: window logits pooled (max unless ``pooling``)."""
        pooling = pooling or self.config.get("pooling", "max")
        rows = [
            pool_windows(part, pooling)
            for part in self.article_window_logits(texts, titles, batch_size=batch_size)
        ]
        return np.stack(rows) if rows else np.zeros((0, len(self.labels)), dtype=np.float32)

    def predict_proba(
        self,
        texts: Iterable[str] | str,
        titles: Iterable[str | None] | None = None,
        *,
        batch_size: int = 32,
        chunk_size: int = 256,
    ) -> np.ndarray:
        """Calibrated probabilities, shape ``(n_texts, n_labels)``, columns in :attr:`labels` order.

        ``texts`` (and ``titles``) may be any iterables: they are consumed ``chunk_size`` articles
        at a time, so a generator over a large archive never has to fit in memory.

        >>> tagger.predict_proba(["县里新建了污水处理厂。"]).shape  # doctest: +SKIP
        (1, 18)
        """
        texts = [texts] if isinstance(texts, str) else texts
        parts = []
        for chunk_texts, chunk_titles in article_chunks(texts, titles, chunk_size):
            proba = self.calibrate(self.logits(chunk_texts, chunk_titles, batch_size=batch_size))
            if self.lexical is not None:
                weight = self.config["lexical"]["weight"]
                lexical = self.lexical.predict_proba(lexical_documents(chunk_texts, chunk_titles))
                proba = weight * proba + (1.0 - weight) * lexical
            parts.append(proba)
        return np.concatenate(parts) if parts else np.zeros((0, len(self.labels)))

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        """Probabilities from article logits with the saved temperature."""
        return 1.0 / (
            1.0 + np.exp(-np.asarray(logits, dtype=np.float64) / self.config["temperature"])
        )

    def decide(
        self, proba: np.ndarray, threshold: float | None = None, top_k: int | None = None
    ) -> np.ndarray:
        """0/1 decisions from probabilities: per-theme thresholds, then at most ``top_k`` themes.

        ``top_k`` defaults to the saved ``max_labels`` (4: the annotation rules allow at most four
        themes per article, THEMES.md).
        """
        from .metrics import apply_thresholds

        cut = self.thresholds if threshold is None else np.full(len(self.labels), threshold)
        return apply_thresholds(
            proba, cut, top_k if top_k is not None else self.config.get("max_labels")
        )

    def themes_from_proba(
        self, proba: np.ndarray, threshold: float | None = None, top_k: int | None = None
    ) -> list[list[Theme]]:
        """Turn probability rows into theme lists, highest score first (see :meth:`predict`)."""
        decisions = self.decide(proba, threshold, top_k)
        result = []
        for row, chosen in zip(np.atleast_2d(proba), decisions):
            order = [i for i in np.argsort(-row, kind="stable") if chosen[i]]
            result.append(
                [
                    # 4 decimals: batch composition moves scores by ~1e-7; outputs should not
                    Theme(self.labels[i].id, self.labels[i].name_zh, round(float(row[i]), 4))
                    for i in order
                ]
            )
        return result

    def predict(
        self,
        texts: Iterable[str] | str,
        titles: Iterable[str | None] | None = None,
        *,
        threshold: float | None = None,
        top_k: int | None = None,
        batch_size: int = 32,
    ) -> list[list[Theme]]:
        """The themes of each text, highest score first; an empty list means "no theme".

        Args:
            texts: Article bodies (any iterable; processed in streaming chunks).
            titles: Optional titles, parallel to ``texts``.
            threshold: One cut-off for every theme instead of the tuned per-theme thresholds.
            top_k: Keep at most this many themes per article.
            batch_size: Windows per forward pass.

        >>> tagger.predict(["县里新建了污水处理厂。"])  # doctest: +SKIP
        [[Theme(id='ecology_environment', name='生态环境', score=0.97)]]
        """
        proba = self.predict_proba(texts, titles, batch_size=batch_size)
        return self.themes_from_proba(proba, threshold=threshold, top_k=top_k)

    def __call__(self, text: str, title: str | None = None, **kwargs) -> list[Theme]:
        """Themes of one article."""
        return self.predict([text], [title], **kwargs)[0]


def article_chunks(
    texts: Iterable[str], titles: Iterable[str | None] | None, size: int
) -> Iterator[tuple[list[str], list[str | None]]]:
    """``(texts, titles)`` lists of at most ``size`` articles, consumed lazily from iterables.

    Titles must be as many as texts (``None`` = no titles).

    >>> list(article_chunks(["a", "b", "c"], None, 2))
    [(['a', 'b'], [None, None]), (['c'], [None])]
    """
    pairs = zip(texts, titles, strict=True) if titles is not None else ((t, None) for t in texts)
    while chunk := list(itertools.islice(pairs, size)):
        yield [text for text, _ in chunk], [title for _, title in chunk]


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether this CPU runs bfloat16 natively (Linux: the avx512_bf16 or amx_bf16 flag)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def lexical_documents(texts: Sequence[str], titles: Sequence[str | None]) -> list[str]:
    """Title and text as the lexical model reads them."""
    return [f"{title or ''}\n{text}" for text, title in zip(texts, titles)]


def pool_windows(window_logits: np.ndarray, pooling: str = "max") -> np.ndarray:
    """Pool the window logits of one article: ``"max"``, ``"mean"`` or ``"first"`` window.

    >>> pool_windows(np.array([[1.0, -2.0], [0.0, 3.0]]))
    array([1., 3.])
    """
    if pooling == "max":
        return window_logits.max(axis=0)
    if pooling == "mean":
        return window_logits.mean(axis=0)
    if pooling == "first":
        return window_logits[0]
    raise ValueError(f"unknown pooling {pooling!r} (max, mean, first)")


def _write_labels(labels: Sequence[Label], path: Path) -> None:
    import csv

    from .taxonomy import COLUMNS

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for label in labels:
            writer.writerow(
                [
                    label.id,
                    label.name_zh,
                    label.name_en,
                    label.group,
                    label.description,
                    ";".join(label.keywords),
                    ";".join(str(code) for code in label.cap_major),
                ]
            )
