"""The governance-theme label set: loading and validating a labels CSV.

The built-in file (``data/labels.csv``, shipped inside the wheel) carries the 18 themes of the
project's THEMES.md contract in their fixed order. Users may pass their own file with the same
columns; every component (tagger, training, metrics, CLI) takes its labels from here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = [
    "COLUMNS",
    "Label",
    "LabelsError",
    "default_labels_path",
    "load_labels",
    "write_labels",
]

COLUMNS = ("id", "name_zh", "name_en", "group", "description", "keywords", "cap_major")
_REQUIRED = ("id", "name_zh")


class LabelsError(ValueError):
    """A labels file that cannot be used; the message names the file and the row."""


@dataclass(frozen=True)
class Label:
    """One theme of the taxonomy.

    Attributes:
        id: Stable machine id, e.g. ``"party_building"``.
        name_zh: Chinese display name.
        name_en: English display name.
        group: First-level grouping (e.g. ``"党建与治理"``).
        description: One or two sentences of scope.
        keywords: Chinese cue words.
        cap_major: Comparative Agendas Project major-topic codes.
    """

    id: str
    name_zh: str
    name_en: str = ""
    group: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()
    cap_major: tuple[int, ...] = ()


def default_labels_path() -> Path:
    """Path of the labels file shipped with the package.

    >>> default_labels_path().name
    'labels.csv'
    """
    return Path(str(resources.files("govnlp").joinpath("labels.csv")))


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def load_labels(path: str | Path | None = None) -> list[Label]:
    """Load and validate a labels CSV (the built-in 18 themes when ``path`` is None).

    The file needs at least the columns ``id`` and ``name_zh``; the other columns of
    :data:`COLUMNS` are optional. Ids must be non-empty and unique.

    Args:
        path: A CSV file with the columns of :data:`COLUMNS`, or None for the built-in file.

    Returns:
        The labels in file order.

    Raises:
        LabelsError: Missing columns, an empty or duplicate id, or a bad ``cap_major`` code;
            the message names the file and the line.

    >>> labels = load_labels()
    >>> len(labels), labels[0].id
    (18, 'party_building')
    """
    source = Path(path) if path is not None else default_labels_path()
    try:
        raw = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LabelsError(f"{source}: labels file not found") from None
    except UnicodeDecodeError as exc:
        raise LabelsError(f"{source}: labels file is not UTF-8 ({exc.reason})") from None
    reader = csv.DictReader(io.StringIO(raw))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise LabelsError(f"{source}: missing column(s) {', '.join(missing)}; found {header}")
    labels: list[Label] = []
    seen: dict[str, int] = {}
    # Line numbers count the header as line 1, as a spreadsheet shows them.
    for line_no, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        label_id = row.get("id", "")
        if not label_id:
            raise LabelsError(f"{source}, line {line_no}: empty id")
        if label_id in seen:
            raise LabelsError(
                f"{source}, line {line_no}: duplicate id {label_id!r} (first on line {seen[label_id]})"
            )
        if not row.get("name_zh"):
            raise LabelsError(f"{source}, line {line_no}: empty name_zh for id {label_id!r}")
        try:
            cap = tuple(int(code) for code in _split(row.get("cap_major", "")))
        except ValueError:
            raise LabelsError(
                f"{source}, line {line_no}: cap_major must be ';'-separated integers, "
                f"got {row.get('cap_major')!r}"
            ) from None
        seen[label_id] = line_no
        labels.append(
            Label(
                id=label_id,
                name_zh=row["name_zh"],
                name_en=row.get("name_en", ""),
                group=row.get("group", ""),
                description=row.get("description", ""),
                keywords=_split(row.get("keywords", "")),
                cap_major=cap,
            )
        )
    if not labels:
        raise LabelsError(f"{source}: no labels")
    return labels


def write_labels(labels: Sequence[Label], path: str | Path) -> Path:
    """Write labels as a CSV with the columns of :data:`COLUMNS` (what :func:`load_labels` reads).

    >>> import tempfile, os
    >>> path = write_labels(load_labels(), os.path.join(tempfile.mkdtemp(), "labels.csv"))
    >>> load_labels(path) == load_labels()
    True
    """
    path = Path(path)
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
    return path
