"""Fine-tune a :class:`~govnlp.tagging.Tagger` on labelled articles, on a laptop CPU.

The recipe (issue #6): the lower ``frozen_layers`` encoder layers are run once over every window
and their output is cached in bf16, so each epoch only runs the top layers forward and backward.
Articles (not windows) are the training examples: an article's logit is the max over its windows,
as at prediction time, so a window that does not mention a theme is never pushed towards it.
BCE with per-label positive weights (capped ``sqrt(neg/pos)``) helps rare themes. A seeded
validation slice of the training file drives early stopping, the temperature and the per-label
thresholds — the dev file is never used for any choice.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..evaluation.metrics import multilabel_report
from ..records import Fields
from ..taxonomy import load_labels
from .calibration import fit_temperature, mix, sigmoid, tune_thresholds
from .data import Examples, check_training_data, load_examples, split_validation
from .lexical import LexicalModel, lexical_documents
from .model import pad_windows
from .prior import init_head_from_labels
from .tagger import Tagger

__all__ = ["TrainingConfig", "train"]

logger = logging.getLogger(__name__)


@dataclass
class TrainingConfig:
    """Everything that defines a training run; saved with the model as ``training_config``.

    The defaults are the recipe of the built-in model (``scripts/train.py`` with no options).
    """

    base_model: str = "e5-small-zh"
    labels: str | None = None  # labels CSV; None = the built-in 18 themes
    text_field: str = "text"
    title_field: str = "title"
    labels_field: str = "labels"
    max_length: int = 256
    stride: int = 192
    frozen_layers: int = 10
    epochs: int = 10
    batch_size: int = 16  # articles per step
    learning_rate: float = 2e-4  # top encoder layer; lower trained layers get layer_decay powers
    layer_decay: float = 0.8
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    dropout: float = 0.1
    max_pos_weight: float = 10.0
    validation_fraction: float = 0.15
    patience: int = 2
    threshold_shrinkage: float = 40.0  # pseudo-positives pulling each threshold to the shared one
    seed: int = 13
    bf16: bool = True
    # Where the encoder runs while training: "cpu" (the recipe's), "cuda", "cuda:1", ... The
    # trained tagger is returned and saved on the CPU either way.
    device: str = "cpu"
    # Mix in a character n-gram TF-IDF model (issue #6's "ensemble with the TF-IDF model"); its
    # weight is chosen on the validation slice (0 = encoder only).
    lexical: bool = True
    lexical_max_features: int = 100_000
    # Start the head from the labels' descriptions and training rates (govnlp.tagging.prior).
    taxonomy_prior: bool = False
    save_float16: bool = True
    max_steps: int | None = None  # stop after this many steps (smoke tests)

    @classmethod
    def from_dict(cls, values: dict) -> TrainingConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown training options: {sorted(unknown)}")
        return cls(**values)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class _WindowCache:
    """bf16 hidden states after the frozen layers, one tensor per window, grouped by article."""

    def __init__(
        self,
        tagger: Tagger,
        examples: Examples,
        bf16: bool,
        device: torch.device,
        batch_size: int = 32,
    ):
        model = tagger.model.eval()
        layer = model.frozen_layers
        self.article_windows: list[list[int]] = []
        flat: list[list[int]] = []
        for text, title in zip(
            tqdm(examples.texts, desc="windows", unit="article", mininterval=2),
            examples.titles,
        ):
            article = tagger.article_windows(text, title or None)
            self.article_windows.append(list(range(len(flat), len(flat) + len(article))))
            flat.extend(article)
        self.hidden: list[torch.Tensor] = [torch.empty(0)] * len(flat)
        order = sorted(range(len(flat)), key=lambda i: len(flat[i]))
        pad_id = tagger.tokenizer.pad_token_id or 0
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16),
        ):
            for begin in tqdm(
                range(0, len(order), batch_size), desc="cache frozen layers", unit="batch"
            ):
                rows = order[begin : begin + batch_size]
                input_ids, attention_mask = pad_windows([flat[i] for i in rows], pad_id)
                hidden = model.hidden_at_layer(
                    input_ids.to(device), attention_mask.to(device), layer
                ).to("cpu", torch.bfloat16)
                for j, i in enumerate(rows):
                    self.hidden[i] = hidden[j, : len(flat[i])].clone()
        logger.info("cached %d windows of %d articles", len(flat), len(examples.texts))

    def batch(self, articles: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        """Padded hidden states and mask for all windows of ``articles``, plus windows per article."""
        window_ids = [w for a in articles for w in self.article_windows[a]]
        width = max(self.hidden[w].shape[0] for w in window_ids)
        dim = self.hidden[window_ids[0]].shape[1]
        hidden = torch.zeros((len(window_ids), width, dim), dtype=torch.bfloat16)
        mask = torch.zeros((len(window_ids), width), dtype=torch.long)
        for row, w in enumerate(window_ids):
            length = self.hidden[w].shape[0]
            hidden[row, :length] = self.hidden[w]
            mask[row, :length] = 1
        return hidden, mask, [len(self.article_windows[a]) for a in articles]


def _max_per_article(window_logits: torch.Tensor, counts: list[int]) -> torch.Tensor:
    return torch.stack([part.max(0).values for part in torch.split(window_logits, counts)])


def _article_logits(
    tagger: Tagger,
    cache: _WindowCache,
    articles: Sequence[int],
    bf16: bool,
    batch_size: int,
    device: torch.device,
) -> np.ndarray:
    model = tagger.model.eval()
    out = []
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for begin in range(0, len(articles), batch_size):
            hidden, mask, counts = cache.batch(articles[begin : begin + batch_size])
            logits = model.forward_from_layer(
                hidden.to(device), mask.to(device), model.frozen_layers
            )
            out.append(_max_per_article(logits.float(), counts).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(tagger.labels)))


def _parameter_groups(tagger: Tagger, config: TrainingConfig) -> list[dict]:
    model = tagger.model
    for parameter in model.parameters():
        parameter.requires_grad = False
    groups = []
    n_layers = len(model.layers)
    for i in range(model.frozen_layers, n_layers):
        params = list(model.layers[i].parameters())
        for parameter in params:
            parameter.requires_grad = True
        depth = n_layers - 1 - i  # 0 for the top layer
        groups.append({"params": params, "lr": config.learning_rate * config.layer_decay**depth})
    head = [*model.norm.parameters(), *model.classifier.parameters()]
    for parameter in head:
        parameter.requires_grad = True
    groups.append({"params": head, "lr": config.head_learning_rate})
    return groups


def _add_lexical(
    tagger: Tagger,
    examples: Examples,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    val_proba: np.ndarray,
    config: TrainingConfig,
) -> np.ndarray:
    """Fit the TF-IDF model on the training part and pick its mixing weight on validation."""
    docs = lexical_documents(examples.texts, examples.titles)
    lexical = LexicalModel(max_features=config.lexical_max_features)
    lexical.fit([docs[i] for i in train_idx], examples.targets[train_idx])
    lexical_proba = lexical.predict_proba([docs[i] for i in val_idx])
    label_ids = [label.id for label in tagger.labels]
    best_weight, best_f1, best_proba = 1.0, -1.0, val_proba
    for weight in np.round(np.arange(0.0, 1.01, 0.1), 2):
        mixed = mix(val_proba, lexical_proba, weight)
        cut = tune_thresholds(examples.targets[val_idx], mixed, shrinkage=math.inf)
        f1 = multilabel_report(examples.targets[val_idx], mixed >= cut, label_ids)["micro"]["f1"]
        logger.info("lexical mix: encoder weight %.1f, validation micro-F1 %.4f", weight, f1)
        if f1 > best_f1:
            best_weight, best_f1, best_proba = float(weight), f1, mixed
    if best_weight == 1.0:
        logger.info("lexical mix: the encoder alone did best; no lexical model kept")
        return best_proba
    tagger.lexical = lexical
    tagger.config.lexical_weight = best_weight
    return best_proba


def train(
    train_files: str | Path | Sequence[str | Path] | Examples,
    config: TrainingConfig | None = None,
    output_dir: str | Path | None = None,
) -> Tagger:
    """Fine-tune a tagger on JSONL/CSV files of labelled articles and optionally save it.

    Args:
        train_files: Training articles (``id``, ``title``, ``text``, ``labels`` fields by
            default) in one or more files, or already loaded :class:`Examples`.
        config: The recipe; defaults to :class:`TrainingConfig()`.
        output_dir: Where to save the model (``save_pretrained``) with ``training_log.json``.

    Returns:
        The trained tagger, with temperature and per-label thresholds from the validation slice.

    ``scripts/train.py`` trains the built-in model; the tests train tiny ones.
    """
    config = config or TrainingConfig()
    started = time.time()
    _seed_everything(config.seed)
    labels = load_labels(config.labels)
    examples = (
        train_files
        if isinstance(train_files, Examples)
        else load_examples(
            train_files,
            labels,
            fields=Fields(text=config.text_field, title=config.title_field),
            labels_field=config.labels_field,
        )
    )
    train_idx, val_idx = split_validation(
        len(examples.texts), config.validation_fraction, config.seed
    )
    if len(train_idx) == 0 or len(val_idx) == 0:
        raise ValueError("need at least two articles: one to train on and one to validate on")
    logger.info("%d training articles, %d validation articles", len(train_idx), len(val_idx))
    check_training_data(examples.targets, train_idx, val_idx, [label.id for label in labels])
    tagger = Tagger.from_base_model(
        config.base_model,
        labels,
        max_length=config.max_length,
        stride=config.stride,
        frozen_layers=config.frozen_layers,
        dropout=config.dropout,
    )
    if config.taxonomy_prior:
        init_head_from_labels(tagger, examples.targets[train_idx].mean(0))
    # Dropout inside the encoder made a CPU bf16 training step several times slower; the cached
    # lower layers see no dropout anyway. The head keeps it.
    for module in tagger.model.encoder.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    device = torch.device(config.device)
    tagger.model.to(device)
    cache = _WindowCache(tagger, examples, config.bf16, device)
    targets = torch.tensor(examples.targets, device=device)
    positives = targets[train_idx].sum(0)
    pos_weight = torch.sqrt((len(train_idx) - positives) / positives.clamp(min=1.0)).clamp(
        1.0, config.max_pos_weight
    )
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    optimizer = torch.optim.AdamW(
        _parameter_groups(tagger, config), weight_decay=config.weight_decay
    )
    steps_per_epoch = math.ceil(len(train_idx) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    from transformers import get_linear_schedule_with_warmup

    scheduler = get_linear_schedule_with_warmup(
        optimizer, round(config.warmup_ratio * total_steps), total_steps
    )
    rng = np.random.default_rng(config.seed)
    history: list[dict] = []
    best_f1, best_state, bad_epochs, step = -1.0, None, 0, 0
    trainable = tuple(tagger.model.trainable_prefixes())
    for epoch in range(1, config.epochs + 1):
        tagger.model.train()
        order = rng.permutation(train_idx)
        running = 0.0
        progress = tqdm(range(0, len(order), config.batch_size), desc=f"epoch {epoch}", unit="step")
        for begin in progress:
            articles = order[begin : begin + config.batch_size]
            hidden, mask, counts = cache.batch(articles)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16):
                window_logits = tagger.model.forward_from_layer(
                    hidden.to(device), mask.to(device), tagger.model.frozen_layers
                )
            logits = _max_per_article(window_logits.float(), counts)
            loss = loss_fn(logits, targets[articles])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tagger.model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            running = 0.9 * running + 0.1 * loss.item() if step > 1 else loss.item()
            progress.set_postfix(loss=f"{running:.4f}")
            if step >= total_steps:
                break
        val_logits = _article_logits(tagger, cache, val_idx, config.bf16, config.batch_size, device)
        val_proba = sigmoid(val_logits)
        val_targets = examples.targets[val_idx]
        cut = tune_thresholds(val_targets, val_proba, shrinkage=math.inf)  # one shared cut
        val_f1 = multilabel_report(val_targets, val_proba >= cut, [label.id for label in labels])[
            "micro"
        ]["f1"]
        history.append(
            {"epoch": epoch, "step": step, "loss": round(running, 5), "val_micro_f1": val_f1}
        )
        logger.info("epoch %d: loss %.4f, validation micro-F1 %.4f", epoch, running, val_f1)
        if val_f1 > best_f1:
            best_f1, bad_epochs = val_f1, 0
            best_state = {
                k: v.detach().clone()
                for k, v in tagger.model.state_dict().items()
                if k.startswith(trainable)
            }
        else:
            bad_epochs += 1
            if bad_epochs >= config.patience:
                logger.info("early stop after epoch %d", epoch)
                break
        if step >= total_steps:
            break
    if best_state is not None:
        tagger.model.load_state_dict(best_state, strict=False)
    tagger.model.eval()
    val_logits = _article_logits(tagger, cache, val_idx, config.bf16, config.batch_size, device)
    tagger.model.to("cpu")
    val_targets = examples.targets[val_idx]
    temperature = fit_temperature(val_targets, val_logits)
    val_proba = sigmoid(val_logits, temperature)
    if config.lexical:
        val_proba = _add_lexical(tagger, examples, train_idx, val_idx, val_proba, config)
    thresholds = tune_thresholds(val_targets, val_proba, shrinkage=config.threshold_shrinkage)
    tagger.config.temperature = round(temperature, 6)
    tagger.config.thresholds = [round(float(t), 4) for t in thresholds]
    tagger.config.training_config = asdict(config)
    minutes = (time.time() - started) / 60
    logger.info("trained in %.1f minutes; best validation micro-F1 %.4f", minutes, best_f1)
    if output_dir is not None:
        dtype = torch.float16 if config.save_float16 else torch.float32
        out = tagger.save_pretrained(output_dir, dtype=dtype)
        log = {"history": history, "minutes": round(minutes, 2), "best_val_micro_f1": best_f1}
        (out / "training_log.json").write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    return tagger
