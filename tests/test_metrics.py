from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays

from govnlp.evaluation.metrics import multilabel_report
from govnlp.tagging.calibration import fit_temperature, tune_thresholds


def test_report_counts_no_theme_as_its_own_class():
    truth = np.array([[0, 0], [1, 0], [0, 0], [0, 1]])
    pred = np.array([[0, 0], [0, 0], [1, 0], [0, 1]])
    report = multilabel_report(truth, pred, ["a", "b"])
    # predicted empty: rows 0 and 1; truly empty among them: row 0
    assert report["empty_set"]["precision"] == 0.5
    # truly empty: rows 0 and 2; predicted empty among them: row 0
    assert report["empty_set"]["recall"] == 0.5
    assert report["per_label"]["a"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 1,
        "predicted": 1,
    }
    assert report["per_label"]["b"]["f1"] == 1.0
    assert report["macro"]["f1"] == 0.5
    assert report["subset_accuracy"] == 0.5


@settings(max_examples=50, deadline=None)
@given(arrays(np.bool_, (12, 3)), arrays(np.bool_, (12, 3)))
def test_micro_f1_matches_scikit_learn(truth, pred):
    from sklearn.metrics import f1_score

    report = multilabel_report(truth, pred, ["a", "b", "c"])
    expected = f1_score(truth, pred, average="micro", zero_division=0)
    assert abs(report["micro"]["f1"] - expected) < 1e-5


def test_thresholds_of_rare_labels_shrink_towards_the_shared_one():
    # Label 0: 50 positives scored 0.5, 50 negatives 0.3. Label 1: 3 positives scored 0.9 and
    # 47 negatives 0.8 -- too few positives to trust a threshold of its own.
    truth = np.zeros((100, 2), dtype=int)
    proba = np.zeros((100, 2))
    truth[:50, 0], proba[:, 0] = 1, np.where(np.arange(100) < 50, 0.5, 0.3)
    truth[:3, 1], proba[:, 1] = 1, np.where(np.arange(100) < 3, 0.9, 0.8)
    proba[50:, 1] = 0.0
    free = tune_thresholds(truth, proba, shrinkage=0)
    shared = tune_thresholds(truth, proba, shrinkage=np.inf)
    cuts = tune_thresholds(truth, proba, shrinkage=40)
    assert free[1] > 0.8 > shared[1] and shared[0] == shared[1]
    assert cuts[0] == pytest.approx((50 * free[0] + 40 * shared[0]) / 90)
    assert cuts[1] == pytest.approx((3 * free[1] + 40 * shared[1]) / 43)
    assert abs(cuts[1] - shared[1]) < abs(cuts[1] - free[1])


def test_temperature_softens_overconfident_logits():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, (400, 1))
    logits = np.where(truth == 1, 6.0, -6.0) * np.where(rng.uniform(size=(400, 1)) < 0.8, 1, -1)
    assert fit_temperature(truth, logits) > 2.0


def test_pooled_f1_equals_the_report_of_the_joined_sets():
    from govnlp.evaluation.metrics import pooled_f1

    rng = np.random.default_rng(0)
    labels = [f"l{i}" for i in range(6)]
    for _ in range(20):
        a_true, a_pred = rng.random((40, 6)) < 0.2, rng.random((40, 6)) < 0.2
        b_true, b_pred = rng.random((70, 6)) < 0.1, rng.random((70, 6)) < 0.3
        joined = multilabel_report(np.vstack([a_true, b_true]), np.vstack([a_pred, b_pred]), labels)
        parts = [
            multilabel_report(a_true, a_pred, labels),
            multilabel_report(b_true, b_pred, labels),
        ]
        assert pooled_f1(parts) == {"micro": joined["micro"]["f1"], "macro": joined["macro"]["f1"]}
