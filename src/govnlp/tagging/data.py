"""Labelled articles for training and evaluation, read through :mod:`govnlp.records`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..records import Fields, read_records
from ..taxonomy import Label, load_labels

__all__ = ["Examples", "load_examples", "split_validation"]


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
