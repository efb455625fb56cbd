"""The tagger's configuration, saved as ``config.json`` in Hugging Face's layout.

``id2label`` / ``label2id`` and ``problem_type="multi_label_classification"`` follow transformers'
conventions; the rest says how the model reads an article (windows, pooling), how its scores are
calibrated (temperature, lexical weight) and where its decisions fall (per-theme thresholds,
at most ``max_labels`` themes). The recipe that trained it is kept in ``training_config``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

__all__ = ["CONFIG_NAME", "MODEL_TYPE", "TaggerConfig"]

CONFIG_NAME = "config.json"
MODEL_TYPE = "govnlp-tagger"
PROBLEM_TYPE = "multi_label_classification"


@dataclass
class TaggerConfig:
    """How a tagger reads, scores and decides.

    Attributes:
        labels: Theme ids in the column order of the model's outputs.
        base_model: The encoder it was built on (``"e5-small-zh"``, a hub id or a directory).
        max_length: Tokens per window, special tokens included.
        stride: Body tokens between window starts in training (overlapping windows).
        pooling: How window logits become article logits: ``max``, ``mean`` or ``first``.
        frozen_layers: Lower encoder layers that training left as the base model's.
        num_hidden_layers: Encoder layers of the base model.
        dropout: Dropout before the head (training only).
        temperature: Logits are divided by it before the sigmoid (fitted on validation).
        thresholds: One cut-off per theme (chosen on validation).
        max_labels: At most this many themes per article (THEMES.md allows four).
        lexical_weight: The encoder's share when mixed with the lexical model; ``None``: no
            lexical model.
        training_config: The ``TrainingConfig`` that trained the model, as a dict.

    >>> config = TaggerConfig(labels=["a", "b"])
    >>> TaggerConfig.from_dict(config.to_dict()) == config
    True
    >>> config.to_dict()["id2label"]
    {'0': 'a', '1': 'b'}
    """

    labels: list[str]
    base_model: str = "e5-small-zh"
    max_length: int = 256
    stride: int = 192
    pooling: str = "max"
    frozen_layers: int = 0
    num_hidden_layers: int = 12
    dropout: float = 0.1
    temperature: float = 1.0
    thresholds: list[float] = field(default_factory=list)
    max_labels: int | None = 4
    lexical_weight: float | None = None
    training_config: dict | None = None

    def __post_init__(self) -> None:
        if not self.thresholds:
            self.thresholds = [0.5] * len(self.labels)
        if len(self.thresholds) != len(self.labels):
            raise ValueError(f"{len(self.thresholds)} thresholds for {len(self.labels)} labels")
        if self.pooling not in {"max", "mean", "first"}:
            raise ValueError(f"unknown pooling {self.pooling!r} (max, mean, first)")

    def to_dict(self) -> dict:
        """The ``config.json`` contents."""
        values = asdict(self)
        labels = values.pop("labels")
        return {
            "model_type": MODEL_TYPE,
            "problem_type": PROBLEM_TYPE,
            "id2label": {str(i): label for i, label in enumerate(labels)},
            "label2id": {label: i for i, label in enumerate(labels)},
            **values,
        }

    @classmethod
    def from_dict(cls, values: dict) -> TaggerConfig:
        """Read ``config.json`` contents; unknown keys are an error, not silently dropped."""
        values = dict(values)
        if values.pop("model_type", None) != MODEL_TYPE:
            raise ValueError(f"model_type is not {MODEL_TYPE!r}")
        values.pop("problem_type", None)
        values.pop("label2id", None)
        id2label = values.pop("id2label")
        values["labels"] = [id2label[str(i)] for i in range(len(id2label))]
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown tagger options: {sorted(unknown)}")
        return cls(**values)

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write ``config.json`` into ``directory``."""
        path = Path(directory) / CONFIG_NAME
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
        return path

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> TaggerConfig:
        """Read ``config.json`` from ``directory``.

        Raises:
            FileNotFoundError: No ``config.json``.
            ValueError: Not a govnlp tagger's, or options this version does not know.
        """
        path = Path(directory) / CONFIG_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{directory} is not a govnlp tagger: no {CONFIG_NAME}")
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}: {exc}") from None
