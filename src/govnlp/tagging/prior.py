"""The taxonomy as a prior: a head that starts from what each theme's description says (issue 18).

A fresh linear head knows nothing; a rare theme with a few dozen training articles may never
move its row far from random. Here each theme's row starts as the direction of the encoder's
embedding of its name, description and keywords (``labels.csv``), centred on the mean over all
themes so that only what sets the themes apart is kept, and its bias as the log-odds of the
theme's training rate (the prior initialisation of Lin et al. 2017, "Focal Loss"). Training then
moves on from there; ``TrainingConfig(taxonomy_prior=True)`` turns it on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..taxonomy import Label
from .model import pad_windows

if TYPE_CHECKING:
    from .tagger import Tagger

__all__ = ["init_head_from_labels", "label_text"]

# The LayerNorm makes a pooled window about sqrt(hidden) long; rows of length SCALE / sqrt(hidden)
# turn a cosine in [-1, 1] into a logit change of at most +-SCALE around the bias.
SCALE = 4.0
MIN_RATE = 1e-3


def label_text(label: Label) -> str:
    """What the encoder reads for a theme: its Chinese name, description and keywords.

    >>> label_text(Label("ecology", "生态环境", description="污染防治。", keywords=("环保", "河长制")))
    '生态环境。污染防治。环保、河长制'
    """
    parts = [
        label.name_zh or label.name_en or label.id,
        label.description,
        "、".join(label.keywords),
    ]
    return "。".join(part.strip().rstrip("。") for part in parts if part.strip())


def init_head_from_labels(
    tagger: Tagger,
    positive_rate: Sequence[float] | np.ndarray,
    labels: Sequence[Label] | None = None,
) -> None:
    """Set the tagger's head from its labels' descriptions and the training rate of each theme.

    Args:
        tagger: A tagger fresh from :meth:`Tagger.from_base_model` (its head is overwritten).
        positive_rate: Share of training articles with each theme, in label order.
        labels: The themes (default: the tagger's own).
    """
    labels = list(labels if labels is not None else tagger.labels)
    rate = np.clip(np.asarray(positive_rate, dtype=np.float64), MIN_RATE, 1 - MIN_RATE)
    if len(rate) != len(labels):
        raise ValueError(f"{len(rate)} positive rates for {len(labels)} labels")
    model = tagger.model
    first_windows = [tagger.article_windows(label_text(label))[0] for label in labels]
    input_ids, attention_mask = pad_windows(first_windows, tagger.tokenizer.pad_token_id or 0)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        hidden = model.encoder(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device)
        ).last_hidden_state
        embedded = model.norm(model.pool(hidden, attention_mask.to(device)))
        centred = embedded - embedded.mean(0, keepdim=True)
        rows = centred / centred.norm(dim=1, keepdim=True).clamp(min=1e-6)
        rows = rows * (SCALE / embedded.shape[1] ** 0.5)
    with torch.no_grad():
        model.classifier.weight.copy_(rows)
        model.classifier.bias.copy_(torch.tensor(np.log(rate / (1 - rate)), dtype=torch.float32))
    model.train(was_training)
