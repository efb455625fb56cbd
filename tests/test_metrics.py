from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays

from govnlp.metrics import fit_temperature, multilabel_report, tune_thresholds


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


def test_rare_labels_share_the_global_threshold():
    rng = np.random.default_rng(0)
    truth = np.zeros((200, 2), dtype=int)
    truth[:60, 0] = 1
    truth[:3, 1] = 1  # only three positives: too few to fit a threshold of its own
    proba = np.clip(truth * 0.5 + rng.uniform(0, 0.5, truth.shape), 0, 1)
    cuts = tune_thresholds(truth, proba, min_positives=8)
    global_only = tune_thresholds(truth, proba, min_positives=10**6)
    assert cuts[1] == global_only[1]
    assert 0.4 < cuts[0] <= 0.55


def test_temperature_softens_overconfident_logits():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, (400, 1))
    logits = np.where(truth == 1, 6.0, -6.0) * np.where(rng.uniform(size=(400, 1)) < 0.8, 1, -1)
    assert fit_temperature(truth, logits) > 2.0
