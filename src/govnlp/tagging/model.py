"""The tagger's network: an encoder, mean pooling, a LayerNorm and a linear head per window.

An article is cut into token windows (:func:`govnlp.encoders.windows`), every window is encoded
and mean-pooled, a LayerNorm standardises the pooled vector (e5's pooled vectors barely differ
between documents; without it fine-tuning collapsed to the label priors, issue #6) and a linear
head gives one logit per theme. Pooling over windows is the tagger's job (:mod:`.tagger`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

__all__ = ["TaggerModel", "cpu_has_bf16", "pad_windows", "resolve_device"]


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

    @staticmethod
    def pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean of the hidden states over a window's real tokens, in float32."""
        # float32 even when the encoder runs in bf16: a bf16 sum over 256 tokens keeps only ~3
        # significant digits.
        hidden = hidden.float()
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def head(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.norm(self.pool(hidden, attention_mask))))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(hidden, attention_mask)

    def hidden_at_layer(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, layer: int
    ) -> torch.Tensor:
        """Hidden states after ``layer`` encoder layers (0 = embeddings)."""
        hidden = self.encoder.embeddings(input_ids=input_ids)
        return self._run_layers(hidden, attention_mask, 0, layer)

    def forward_from_layer(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, layer: int
    ) -> torch.Tensor:
        """Window logits from hidden states cached after ``layer`` encoder layers."""
        return self.head(self._run_layers(hidden, attention_mask, layer, None), attention_mask)

    def _run_layers(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int, stop: int | None
    ) -> torch.Tensor:
        """Encoder layers ``start`` to ``stop`` over hidden states, as the encoder runs them."""
        from transformers.masking_utils import create_bidirectional_mask

        mask = create_bidirectional_mask(
            config=self.encoder.config, inputs_embeds=hidden, attention_mask=attention_mask
        )
        for block in self.layers[start:stop]:
            hidden = block(hidden, mask)
            if isinstance(hidden, tuple):  # transformers < 5 returns a tuple
                hidden = hidden[0]
        return hidden


def pad_windows(batch: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``input_ids`` and ``attention_mask`` of windows padded to the longest.

    >>> pad_windows([[5, 6, 7], [8]], pad_id=0)[1].tolist()
    [[1, 1, 1], [1, 0, 0]]
    """
    width = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether this CPU runs bfloat16 natively (Linux: the avx512_bf16 or amx_bf16 flag)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """The torch device that ``device`` names: ``"auto"`` (or ``None``) is CUDA when available.

    Raises:
        ValueError: A CUDA device is named but this torch has no usable CUDA device.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {str(device)!r}: torch {torch.__version__} sees no CUDA device "
            "(install a CUDA build of torch, or use --device cpu / auto)"
        )
    return resolved
