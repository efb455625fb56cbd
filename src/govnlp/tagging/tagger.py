"""The theme tagger: windows in, calibrated theme scores and decisions out.

Prediction runs in three steps, each in one place: the windows of many articles are scored in
length-sorted batches (:meth:`Tagger.article_window_logits`); an article's logit for a theme is
the maximum over its windows (a theme is present if any part of the article is about it);
``sigmoid(logit / temperature)`` is mixed with the lexical model's probabilities
(:meth:`Tagger.probabilities`) and per-theme thresholds decide (:meth:`Tagger.decide`). Saved
models follow Hugging Face conventions (``config.json``, ``model.safetensors`` with only the
weights training changed, the lexical model's own files, ``labels.csv``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..encoders import load_encoder, windows
from ..taxonomy import Label, load_labels, write_labels
from .calibration import apply_thresholds, mix, sigmoid
from .config import TaggerConfig
from .lexical import LexicalModel, lexical_documents
from .model import TaggerModel, cpu_has_bf16, pad_windows, resolve_device
from .windows import article_chunks, pool_windows

__all__ = ["Tagger", "Theme", "default_model_path"]

logger = logging.getLogger(__name__)

WEIGHTS_NAME = "model.safetensors"
LABELS_NAME = "labels.csv"


def default_model_path() -> Path:
    """Directory of the built-in default tagger (shipped in the package as ``default_model``).

    >>> default_model_path().name
    'default_model'
    """
    return Path(__file__).resolve().parent.parent / "default_model"


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


class Tagger:
    """Multi-label theme tagger for Chinese articles.

    Build one with :meth:`from_pretrained` (the built-in model, or a directory written by
    :meth:`save_pretrained` / ``govnlp train``) or, to train, :meth:`from_base_model`.

    Attributes:
        labels: The themes, in the column order of :meth:`predict_proba`.
        config: The saved configuration (:class:`TaggerConfig`).
        lexical: The lexical model mixed in (``None``: encoder only).

    >>> tagger = Tagger.from_pretrained()
    >>> [theme.id for theme in tagger("县里新建了污水处理厂，河道水质明显好转。")]
    ['ecology_environment']
    """

    def __init__(
        self,
        model: TaggerModel,
        tokenizer,
        labels: Sequence[Label],
        config: TaggerConfig,
        lexical: LexicalModel | None = None,
    ):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.labels = list(labels)
        self.config = config
        self.lexical = lexical
        self.bf16 = False  # see optimize_for_cpu()
        # Body tokens between window starts at inference; optimize_for_cpu() may drop the
        # overlap that training used.
        self.stride: int = config.stride

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: TaggerConfig, labels: Sequence[Label]) -> Tagger:
        """A new, untrained tagger over the base encoder that ``config`` names."""
        if [label.id for label in labels] != config.labels:
            raise ValueError("the labels do not match the config's labels")
        encoder, tokenizer = load_encoder(config.base_model)
        n_layers = encoder.config.num_hidden_layers
        if not 0 <= config.frozen_layers < n_layers:
            raise ValueError(
                f"frozen_layers must be in [0, {n_layers}), got {config.frozen_layers}"
            )
        config.num_hidden_layers = n_layers
        model = TaggerModel(
            encoder, len(labels), frozen_layers=config.frozen_layers, dropout=config.dropout
        )
        return cls(model, tokenizer, labels, config)

    @classmethod
    def from_base_model(
        cls,
        base_model: str | Path = "e5-small-zh",
        labels: Sequence[Label] | str | Path | None = None,
        **options,
    ) -> Tagger:
        """A new, untrained tagger over a base encoder (what training starts from).

        Args:
            base_model: ``"e5-small-zh"``, a hub id or a local directory.
            labels: Labels, a labels CSV, or ``None`` for the built-in 18 themes.
            **options: Other :class:`TaggerConfig` fields (``max_length``, ``frozen_layers``…).

        >>> Tagger.from_base_model("e5-small-zh", frozen_layers=10).config.frozen_layers
        10
        """
        if labels is None or isinstance(labels, str | Path):
            labels = load_labels(labels)
        config = TaggerConfig(
            labels=[label.id for label in labels], base_model=str(base_model), **options
        )
        return cls.from_config(config, labels)

    @classmethod
    def from_pretrained(
        cls, path: str | Path | None = None, *, device: str | torch.device | None = None
    ) -> Tagger:
        """Load a saved tagger; ``None`` loads the built-in default model.

        Each call builds a new tagger; :func:`govnlp.tagging.load_tagger` shares one per process.

        Args:
            path: A directory written by :meth:`save_pretrained`.
            device: Where to run (see :meth:`to`); ``None`` leaves it on the CPU in float32.

        Raises:
            FileNotFoundError: No ``config.json`` in ``path``.
            ValueError: The labels or weights do not fit the config or its base model.
        """
        from safetensors.torch import load_file

        directory = Path(path) if path is not None else default_model_path()
        config = TaggerConfig.from_pretrained(directory)
        labels = load_labels(directory / LABELS_NAME)
        if [label.id for label in labels] != config.labels:
            raise ValueError(f"{directory / LABELS_NAME} does not match id2label in config.json")
        tagger = cls.from_config(config, labels)
        state = load_file(str(directory / WEIGHTS_NAME))
        expected = {
            name
            for name in tagger.model.state_dict()
            if name.startswith(tuple(tagger.model.trainable_prefixes()))
        }
        if set(state) != expected:
            missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
            raise ValueError(
                f"{directory / WEIGHTS_NAME} does not fit base model {config.base_model!r}: "
                f"missing {missing[:3]}, unexpected {extra[:3]}"
            )
        tagger.model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        tagger.model.eval()
        if config.lexical_weight is not None:
            tagger.lexical = LexicalModel.from_pretrained(directory)
        return tagger if device is None else tagger.to(device)

    def save_pretrained(self, path: str | Path, *, dtype: torch.dtype = torch.float32) -> Path:
        """Write ``config.json``, ``model.safetensors`` (trained weights only), ``labels.csv``
        and the lexical model's files.

        Args:
            path: Target directory (created).
            dtype: Storage type of the weights; ``torch.float16`` halves the size.
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
        self.config.save_pretrained(directory)
        write_labels(self.labels, directory / LABELS_NAME)
        if self.lexical is not None:
            self.lexical.save_pretrained(directory)
        return directory

    # -- prediction ---------------------------------------------------------------------------

    @property
    def thresholds(self) -> np.ndarray:
        return np.asarray(self.config.thresholds, dtype=np.float64)

    @property
    def device(self) -> torch.device:
        """The device the encoder runs on."""
        return next(self.model.encoder.parameters()).device

    def to(self, device: str | torch.device = "auto", *, half: bool | None = None) -> Tagger:
        """Run on ``device`` (``"auto"``: CUDA when available); returns ``self``.

        Args:
            device: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or a ``torch.device``.
            half: float16 encoder weights; the pooling and head stay float32, as with bf16 on
                the CPU. ``None`` = on CUDA only (on a CPU, :meth:`optimize_for_cpu` chooses
                bf16 or int8 instead).

        Raises:
            ValueError: CUDA is named but not available.

        >>> Tagger.from_pretrained().to("cpu").device
        device(type='cpu')
        """
        device = resolve_device(device)
        half = device.type == "cuda" if half is None else half
        self.model.to(device)
        self.model.encoder.to(torch.float16 if half else torch.float32)
        self.bf16 = False
        return self

    def optimize_for_cpu(
        self, *, quantize: bool = False, bf16: bool | None = None, overlap: bool = False
    ) -> Tagger:
        """Make inference faster on CPU; returns ``self``.

        Args:
            quantize: Dynamic int8 quantisation of the Linear layers (weights int8, activations
                quantised on the fly; ``torch.ao.quantization.quantize_dynamic``).
            bf16: Cast the encoder's weights to bfloat16 (the pooling and head stay float32).
                ``None`` = only when the CPU has native bf16 instructions (AVX512-BF16 or AMX);
                elsewhere bf16 is emulated and slower than float32. The cast is in place:
                reload the model to get float32 weights back.
            overlap: Keep the overlapping windows of training (``stride``). By default windows
                follow each other without overlap: fewer tokens, with no loss we could measure
                (docs/tagger.md, ``scripts/bench_tag.py``).

        >>> tagger = Tagger.from_pretrained().optimize_for_cpu(bf16=False)
        >>> tagger.stride == tagger.config.max_length
        True
        """
        self.model.to("cpu")
        if quantize:
            import warnings

            with warnings.catch_warnings():
                # torch marks torch.ao.quantization deprecated (torchao replaces it) but still
                # ships it; users should not see that warning on every run.
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
        self.stride = self.config.stride if overlap else self.config.max_length
        return self

    def article_windows(self, text: str, title: str | None = None) -> list[list[int]]:
        """Token windows of one article, as the model sees them."""
        return windows(
            self.tokenizer, text, title, max_length=self.config.max_length, stride=self.stride
        )

    def window_logits(
        self, batch_windows: Sequence[Sequence[int]], windows_per_batch: int | None = None
    ) -> np.ndarray:
        """Logits of many windows, batched by length (short windows are not padded to long ones).

        ``windows_per_batch`` defaults to 32 on a CPU and 256 on a GPU, which needs wide
        batches to be busy.
        """
        device = self.device
        windows_per_batch = windows_per_batch or (32 if device.type == "cpu" else 256)
        order = sorted(range(len(batch_windows)), key=lambda i: len(batch_windows[i]))
        out = np.zeros((len(batch_windows), len(self.labels)), dtype=np.float32)
        pad_id = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for begin in range(0, len(order), windows_per_batch):
                rows = order[begin : begin + windows_per_batch]
                input_ids, attention_mask = pad_windows([batch_windows[i] for i in rows], pad_id)
                logits = self.model(input_ids.to(device), attention_mask.to(device))
                out[rows] = logits.float().cpu().numpy()
        return out

    def article_window_logits(
        self,
        texts: Iterable[str],
        titles: Iterable[str | None] | None = None,
        *,
        windows_per_batch: int | None = None,
        articles_per_chunk: int = 256,
    ) -> Iterator[np.ndarray]:
        """For each article, the logits of its windows (``(n_windows, n_labels)``), streamed.

        Windows of ``articles_per_chunk`` articles are batched together, so short and long
        articles share forward passes and memory stays bounded on any number of articles.
        """
        for chunk_texts, chunk_titles in article_chunks(texts, titles, articles_per_chunk):
            chunk = [self.article_windows(t, h) for t, h in zip(chunk_texts, chunk_titles)]
            flat = [window for article in chunk for window in article]
            window_out = self.window_logits(flat, windows_per_batch=windows_per_batch)
            begin = 0
            for article in chunk:
                yield window_out[begin : begin + len(article)]
                begin += len(article)

    def logits(
        self,
        texts: Iterable[str],
        titles: Iterable[str | None] | None = None,
        *,
        windows_per_batch: int | None = None,
    ) -> np.ndarray:
        """Article logits ``(n_texts, n_labels)``: window logits pooled as the config says."""
        rows = [
            pool_windows(part, self.config.pooling)
            for part in self.article_window_logits(
                texts, titles, windows_per_batch=windows_per_batch
            )
        ]
        return np.stack(rows) if rows else np.zeros((0, len(self.labels)), dtype=np.float32)

    def lexical_proba(
        self, texts: Sequence[str], titles: Sequence[str | None]
    ) -> np.ndarray | None:
        """The lexical model's probabilities; None without one or at encoder share 1."""
        if self.lexical is None or self.config.lexical_weight == 1.0:
            return None
        return self.lexical.predict_proba(lexical_documents(texts, titles))

    def probabilities(
        self, logits: np.ndarray, lexical_proba: np.ndarray | None = None
    ) -> np.ndarray:
        """Calibrated probabilities from article logits, mixed with the lexical model's.

        >>> tagger = Tagger.from_pretrained()
        >>> tagger.probabilities(np.zeros((1, 18)))[0, 0]
        np.float64(0.5)
        """
        proba = sigmoid(logits, self.config.temperature)
        if lexical_proba is None or self.config.lexical_weight is None:
            return proba
        return mix(proba, lexical_proba, self.config.lexical_weight)

    def predict_proba(
        self,
        texts: Iterable[str] | str,
        titles: Iterable[str | None] | None = None,
        *,
        windows_per_batch: int | None = None,
        articles_per_chunk: int = 256,
    ) -> np.ndarray:
        """Calibrated probabilities, shape ``(n_texts, n_labels)``, columns in :attr:`labels` order.

        ``texts`` (and ``titles``) may be any iterables: they are consumed ``articles_per_chunk``
        articles at a time, so a generator over a large archive never has to fit in memory.

        >>> Tagger.from_pretrained().predict_proba(["县里新建了污水处理厂。"]).shape
        (1, 18)
        """
        texts = [texts] if isinstance(texts, str) else texts
        parts = []
        for chunk_texts, chunk_titles in article_chunks(texts, titles, articles_per_chunk):
            logits = self.logits(chunk_texts, chunk_titles, windows_per_batch=windows_per_batch)
            parts.append(self.probabilities(logits, self.lexical_proba(chunk_texts, chunk_titles)))
        return np.concatenate(parts) if parts else np.zeros((0, len(self.labels)))

    def decide(
        self, proba: np.ndarray, threshold: float | None = None, top_k: int | None = None
    ) -> np.ndarray:
        """0/1 decisions from probabilities: per-theme thresholds, then at most ``top_k`` themes.

        ``top_k`` defaults to the saved ``max_labels`` (4: the annotation rules allow at most four
        themes per article, THEMES.md).
        """
        cut = self.thresholds if threshold is None else np.full(len(self.labels), threshold)
        return apply_thresholds(proba, cut, top_k if top_k is not None else self.config.max_labels)

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
        windows_per_batch: int | None = None,
    ) -> list[list[Theme]]:
        """The themes of each text, highest score first; an empty list means "no theme".

        Args:
            texts: Article bodies (any iterable; processed in streaming chunks).
            titles: Optional titles, parallel to ``texts``.
            threshold: One cut-off for every theme instead of the tuned per-theme thresholds.
            top_k: Keep at most this many themes per article.
            windows_per_batch: Windows per forward pass.

        >>> [[t.id for t in themes] for themes in Tagger.from_pretrained().predict(["天气晴。"])]
        [[]]
        """
        proba = self.predict_proba(texts, titles, windows_per_batch=windows_per_batch)
        return self.themes_from_proba(proba, threshold=threshold, top_k=top_k)

    def __call__(self, text: str, title: str | None = None, **kwargs) -> list[Theme]:
        """Themes of one article (keyword arguments as for :meth:`predict`)."""
        return self.predict([text], [title], **kwargs)[0]
