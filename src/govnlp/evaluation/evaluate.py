"""Score a saved tagger on labelled articles, next to the TF-IDF baseline of the same run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..records import Fields
from ..tagging.calibration import apply_thresholds, tune_thresholds
from ..tagging.data import load_examples, split_validation
from ..tagging.lexical import LexicalModel, lexical_documents
from ..tagging.tagger import Tagger
from ..tagging.trainer import TrainingConfig
from ..tagging.windows import pool_windows
from .metrics import calibration_table, multilabel_report

__all__ = ["evaluate"]


def evaluate(
    model: str | Path | None,
    dev_file: str | Path,
    train_files: str | Path | Sequence[str | Path] | None = None,
    output_dir: str | Path | None = None,
    *,
    windows_per_batch: int | None = None,
) -> dict:
    """Score a saved tagger on a labelled file, next to the TF-IDF baseline of the same run.

    The baseline is trained on the same training articles as the tagger and its thresholds are
    chosen on the same validation slice of the training file (seed and fraction read from the
    model's ``training_config``), never on ``dev_file``. Articles longer than one window are
    also scored with max, mean and first-window pooling, to show what windowing buys.

    Args:
        model: A directory written by ``save_pretrained`` (None = the built-in model).
        dev_file: Labelled JSONL/CSV to evaluate on.
        train_files: The tagger's training file or files, in the order it was trained on them,
            for the baseline (skipped when None).
        output_dir: Where to write ``metrics.json``, ``metrics.md`` and the PNG plots (needs
            the ``eval`` extra for the plots).
        windows_per_batch: Windows per forward pass.

    Returns:
        The metrics dictionary written to ``metrics.json``.
    """
    tagger = Tagger.from_pretrained(model)
    label_ids = [label.id for label in tagger.labels]
    training = TrainingConfig.from_dict(tagger.config.training_config or {})
    fields = Fields(text=training.text_field, title=training.title_field)

    def read(path):
        return load_examples(path, tagger.labels, fields=fields, labels_field=training.labels_field)

    dev = read(dev_file)
    titles = [title or None for title in dev.titles]
    window_logits = list(
        tagger.article_window_logits(dev.texts, titles, windows_per_batch=windows_per_batch)
    )
    lexical = tagger.lexical_proba(dev.texts, dev.titles)

    def full_proba(pooled_logits: np.ndarray, rows: list[int] | slice) -> np.ndarray:
        """The tagger's probabilities (encoder, mixed with the lexical model if it has one)."""
        return tagger.probabilities(pooled_logits, lexical[rows] if lexical is not None else None)

    pooled = np.stack([pool_windows(p, tagger.config.pooling) for p in window_logits])
    proba = full_proba(pooled, slice(None))
    results: dict = {
        "model": str(model) if model is not None else "default",
        "dev_file": str(dev_file),
        "tagger": multilabel_report(dev.targets, tagger.decide(proba), label_ids),
    }
    if lexical is not None:
        encoder_only = tagger.probabilities(pooled)
        results["encoder_only"] = multilabel_report(
            dev.targets, tagger.decide(encoder_only), label_ids
        )
        results["encoder_only"]["note"] = "encoder part alone, with the mixed model's thresholds"
    long_rows = [i for i, part in enumerate(window_logits) if len(part) > 1]
    results["long_articles"] = {
        "n_articles": len(long_rows),
        "windows_per_article": round(float(np.mean([len(p) for p in window_logits])), 3),
    }
    if long_rows:
        for name in ("max", "mean", "first"):
            long_pooled = np.stack([pool_windows(window_logits[i], name) for i in long_rows])
            report = multilabel_report(
                dev.targets[long_rows], tagger.decide(full_proba(long_pooled, long_rows)), label_ids
            )
            results["long_articles"][name] = {
                "micro_f1": report["micro"]["f1"],
                "macro_f1": report["macro"]["f1"],
            }
    results["calibration"] = calibration_table(dev.targets, proba)
    if train_files is not None:
        train_examples = read(train_files)
        train_idx, val_idx = split_validation(
            len(train_examples.texts), training.validation_fraction, training.seed
        )
        docs = lexical_documents(train_examples.texts, train_examples.titles)
        baseline = LexicalModel(max_features=training.lexical_max_features).fit(
            [docs[i] for i in train_idx], train_examples.targets[train_idx]
        )
        cuts = tune_thresholds(
            train_examples.targets[val_idx],
            baseline.predict_proba([docs[i] for i in val_idx]),
            shrinkage=training.threshold_shrinkage,
        )
        dev_docs = lexical_documents(dev.texts, dev.titles)
        results["baseline"] = multilabel_report(
            dev.targets,
            apply_thresholds(baseline.predict_proba(dev_docs), cuts, tagger.config.max_labels),
            label_ids,
        )
        results["baseline"]["name"] = "tfidf-char-1-3-ovr-logreg"
    if output_dir is not None:
        from .report import write_report

        write_report(results, output_dir, tagger_proba=proba, targets=dev.targets)
    return results
