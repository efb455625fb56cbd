"""Training the page model: the break reader (torch) and the line-role CRF (CRFsuite).

Both need the ``train`` extra (``pip install "govnlp[train]"``); ``scripts/train_pages.py`` runs
them on pages generated from corpus articles.
"""

from __future__ import annotations

import collections
import itertools
import logging
import math
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .features import N_BUCKETS, line_vectors
from .model import ROLES, PageModel
from .reader import CHANNELS, DILATIONS, EMBEDDING, PAD, READ_LEFT, BreakReader, encode_breaks

__all__ = ["TorchBreakReader", "train_break_reader", "train_role_model"]

logger = logging.getLogger(__name__)


class TorchBreakReader(nn.Module):
    """The break reader as torch trains it; :class:`BreakReader` runs the exported weights."""

    def __init__(self, n_chars: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(n_chars + 5, EMBEDDING, padding_idx=PAD)
        channels = [EMBEDDING] + [CHANNELS] * len(DILATIONS)
        self.convs = nn.ModuleList(
            nn.Conv1d(a, b, 3, padding=d, dilation=d)
            for a, b, d in zip(channels, channels[1:], DILATIONS)
        )
        self.hidden = nn.Linear(3 * CHANNELS, 64)
        self.output = nn.Linear(64, 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.embedding(ids).transpose(1, 2)
        for k, conv in enumerate(self.convs):
            h = torch.relu(conv(h)) if k == 0 else h + torch.relu(conv(h))
        at = READ_LEFT + 1
        pooled = torch.cat([h[:, :, at], h[:, :, :at].amax(2), h[:, :, at + 1 :].amax(2)], dim=1)
        return self.output(torch.relu(self.hidden(pooled))).squeeze(1)


def train_break_reader(
    pages: list[tuple[list[str], list[str]]], seed: int = 0, epochs: int = 2
) -> BreakReader:
    """Train the break reader on pages with known line roles; returns the numpy reader.

    Every break between two lines is an example: positive when the next line's role is
    ``"join"``. Characters seen fewer than 3 times read as unknown. Adam, batches
    of 512, binary cross-entropy; torch's generator is seeded, so a run is reproducible on one
    machine.
    """
    torch.manual_seed(seed)
    pairs, labels = [], []
    chars: collections.Counter[str] = collections.Counter()
    for lines, roles in pages:
        chars.update(itertools.chain.from_iterable(lines))
        pairs += itertools.pairwise(lines)
        labels += [role == "join" for role in roles[1:]]
    kept = [c for c, n in chars.most_common() if n >= 3]
    ids = {c: i + 5 for i, c in enumerate(kept)}
    x = torch.from_numpy(encode_breaks(pairs, ids))
    y = torch.tensor(labels, dtype=torch.float32)

    model = TorchBreakReader(len(kept))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(order), 512):
            batch = order[start : start + 512]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        logger.info("break reader epoch %d: last batch loss %.4f", epoch + 1, loss.item())
    arrays = {
        "reader_chars": np.array([ord(c) for c in kept], dtype=np.int32),
        "reader_embedding": model.embedding.weight.detach().numpy(),
        "reader_hidden_weight": model.hidden.weight.detach().numpy().T,
        "reader_hidden_bias": model.hidden.bias.detach().numpy(),
        "reader_output_weight": model.output.weight.detach().numpy().T,
        "reader_output_bias": model.output.bias.detach().numpy(),
    }
    for k, conv in enumerate(model.convs):
        # torch's (out, in, taps) -> (taps, in, out)
        arrays[f"reader_conv{k}_weight"] = conv.weight.detach().numpy().transpose(2, 1, 0)
        arrays[f"reader_conv{k}_bias"] = conv.bias.detach().numpy()
    arrays = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    # The numpy reader must read as the trained one did: a wrong axis order in the export above
    # would still give numbers, just meaningless ones.
    with torch.no_grad():
        expected = model.eval()(x[:256]).numpy()
    reader = BreakReader(arrays)
    if not np.allclose(reader(pairs[:256]), expected, atol=1e-3):
        raise RuntimeError("the exported break reader disagrees with the trained one")
    return reader


def train_role_model(
    folds: list[tuple[list[tuple[list[str], list[str]]], PageModel]],
    shipped: PageModel,
    c2: float = 3.0,
    max_iterations: int = 200,
    join_bias: float = -1.5,
) -> PageModel:
    """Fit the line-role CRF on pages with known roles.

    Args:
        folds: ``(pages, features)`` pairs, each page a ``(lines, roles)`` pair. The features of
            a fold's pages are computed with its own :class:`PageModel` (n-gram counts and a
            break reader, no CRF weights), which should come from other articles than the
            pages were built from: counted on the same articles, the n-grams across every break
            are known, and the CRF learns to trust them more than a new page allows
            (cross-fitting, issue #3).
        shipped: The n-gram counts and break reader to ship with the weights (from all
            articles).
        c2: L2 penalty.
        max_iterations: L-BFGS iterations.
        join_bias: Added to every line's join score before decoding, saved with the weights.
            Below 0 it trades missed joins for fewer false ones: a false join glues a heading
            or a new paragraph onto text it does not belong to, and issue #3 asks more of join
            precision than of recall. -1.5 came closest to both targets on validation pages
            (docs/pages.md).

    Returns:
        The trained model, with ``shipped``'s counts and reader.

    Trained with L-BFGS by CRFsuite (``python-crfsuite``, the ``train`` extra) on the hashed
    features that prediction uses.
    """
    try:
        import pycrfsuite
    except ImportError as error:
        raise ImportError(
            'training the page model needs python-crfsuite: pip install "govnlp[train]"'
        ) from error

    trainer = pycrfsuite.Trainer(verbose=False)
    for pages, features in folds:
        for lines, roles in pages:
            vectors = line_vectors(lines, features.ngrams, features.reader)
            trainer.append([{str(b): v for b, v in line.items()} for line in vectors], list(roles))
    # CRFsuite keeps an (attribute, role) weight only if the attribute's values over the lines of
    # that role sum to at least ``feature.minfreq`` (default 0). The break readings are mostly
    # negative, so by default only ``join`` got a weight for ``x:read`` and no role one for
    # ``y:read``; -inf keeps every pair seen in training.
    trainer.set_params(
        {"c1": 0.0, "c2": c2, "max_iterations": max_iterations, "feature.minfreq": -math.inf}
    )
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "roles.crfsuite")
        trainer.train(path)
        crf = pycrfsuite.Tagger()
        crf.open(path)
        info = crf.info()
        crf.close()
    coef = np.zeros((len(ROLES), N_BUCKETS), dtype=np.float32)
    for (bucket, role), weight in info.state_features.items():
        coef[ROLES.index(role), int(bucket)] = weight
    # Role pairs the generated pages never show (a fragment right after a photo credit) score 0,
    # not -inf: real pages have them, and the grammar alone decides what is impossible.
    transitions = np.zeros((len(ROLES), len(ROLES)), dtype=np.float32)
    for (previous, role), weight in info.transitions.items():
        transitions[ROLES.index(previous), ROLES.index(role)] = weight
    return PageModel(
        # Stored as float16: the model in memory predicts as the saved one does.
        coef=coef.astype(np.float16).astype(np.float32),
        transitions=transitions,
        join_bias=join_bias,
        ngrams=shipped.ngrams,
        reader=shipped.reader,
    )
