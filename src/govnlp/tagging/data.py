"""Labelled articles for training and evaluation, read through :mod:`govnlp.records`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..records import Fields, read_records
from ..taxonomy import Label, load_labels

__all__ = [
    "MIN_POSITIVES",
    "MIN_VALIDATION",
    "Examples",
    "ThinDataWarning",
    "check_training_data",
    "load_examples",
    "split_validation",
]

# Below these, a theme's weights, or the thresholds and temperature chosen on the validation
# slice, are fitted to a handful of articles (issue 18: 6 records trained without a word).
MIN_POSITIVES = 5
MIN_VALIDATION = 50


class ThinDataWarning(UserWarning):
    """The training data cannot support a reliable model (see :func:`check_training_data`)."""


@dataclass
class Examples:
    """Articles with their multi-hot labels (columns follow ``labels``)."""

    ids: list[str]
    titles: list[str]
    texts: list[str]
    targets: np.ndarray
    labels: list[Label]


def load_examples(
    paths: str | Path | Sequence[str | Path],
    labels: Sequence[Label] | None = None,
    *,
    fields: Fields | None = None,
    labels_field: str = "labels",
) -> Examples:
    """Read labelled articles from JSONL or CSV files (any encoding :mod:`govnlp.records` reads).

    The labels field holds a list of ids (JSONL) or ``;``-separated ids (CSV). An unknown label
    id, or a record that cannot be read, is an error that names the record: a typo would
    otherwise silently become a missing label. A record with an empty text is kept (its title
    may still say something).

    >>> import json, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "train.jsonl")
    >>> with open(path, "w", encoding="utf-8") as f:
    ...     _ = f.write(json.dumps({"text": "县里开会。", "labels": ["party_building"]}) + "\\n")
    >>> load_examples(path).targets.sum()
    np.float32(1.0)
    """
    labels = list(labels) if labels is not None else load_labels()
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    index = {label.id: i for i, label in enumerate(labels)}
    ids, titles, texts, rows = [], [], [], []
    for record in read_records(paths, fields):
        if record.status not in ("ok", "empty"):
            raise ValueError(f"record {record.id}: {record.error}")
        value = record.fields.get(labels_field) or []
        if isinstance(value, str):
            value = [part.strip() for part in value.split(";") if part.strip()]
        row = []
        for label_id in value:
            if label_id not in index:
                raise ValueError(f"record {record.id}: unknown label {label_id!r}")
            row.append(index[label_id])
        ids.append(record.id)
        titles.append(record.title or "")
        texts.append(record.text or "")
        rows.append(row)
    targets = np.zeros((len(rows), len(labels)), dtype=np.float32)
    for i, row in enumerate(rows):
        targets[i, row] = 1.0
    return Examples(ids, titles, texts, targets, labels)


def split_validation(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``range(n)`` into train and validation indices.

    >>> train_idx, val_idx = split_validation(10, 0.2, 0)
    >>> len(train_idx), len(val_idx)
    (8, 2)
    """
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(1, round(n * fraction)) if fraction > 0 else 0
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def check_training_data(
    targets: np.ndarray, train_idx: np.ndarray, val_idx: np.ndarray, label_ids: list[str]
) -> list[str]:
    """Say, as :class:`ThinDataWarning` warnings, where the data is too thin to train on.

    Warns about themes with fewer than :data:`MIN_POSITIVES` positive training articles (named,
    with their counts), a validation slice under :data:`MIN_VALIDATION` articles, and themes with
    no positive in it (their thresholds fall back to the shared one). Returns the messages.

    Raises:
        ValueError: No training article has any theme: nothing can be learned.

    >>> import warnings
    >>> targets = np.array([[1, 0]] * 60 + [[0, 1]] * 3)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     messages = check_training_data(targets, np.arange(63), np.arange(63), ["a", "b"])
    >>> messages[0]
    '1 of 2 themes have fewer than 5 positive training articles, too few to learn: b (3)'
    """
    positives = targets[train_idx].sum(0)
    if not positives.any():
        raise ValueError(
            f"none of the {len(train_idx)} training articles has a theme: nothing to learn "
            "(are the labels in the labels field, with the labels file's ids?)"
        )
    messages = []
    thin = [f"{label} ({int(n)})" for label, n in zip(label_ids, positives) if n < MIN_POSITIVES]
    if thin:
        messages.append(
            f"{len(thin)} of {len(label_ids)} themes have fewer than {MIN_POSITIVES} positive "
            f"training articles, too few to learn: {', '.join(thin)}"
        )
    if len(val_idx) < MIN_VALIDATION:
        messages.append(
            f"the validation slice has {len(val_idx)} articles (fewer than {MIN_VALIDATION}): "
            "the temperature, mixing weight and thresholds chosen on it are unreliable; label "
            "more articles or raise validation_fraction"
        )
    unseen = [label for label, n in zip(label_ids, targets[val_idx].sum(0)) if n == 0]
    if unseen:
        messages.append(
            f"{len(unseen)} themes have no positive in the validation slice and get the shared "
            f"threshold: {', '.join(unseen)}"
        )
    for message in messages:
        warnings.warn(message, ThinDataWarning, stacklevel=2)
    return messages
