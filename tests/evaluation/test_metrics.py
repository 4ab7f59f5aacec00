"""Classification metrics, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.evaluation.metrics import (
    classification_report,
    confusion_matrix,
    expected_calibration_error,
    paired_comparison,
)


def test_metrics_by_hand():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    rep = classification_report(np.array([0, 1, 1, 1]), probs, ("a", "b"))
    assert rep["accuracy"] == 0.75 and rep["confusion_matrix"] == [[1, 0], [1, 2]]
    assert rep["per_class"]["a"]["precision"] == 0.5 and rep["per_class"]["b"]["recall"] == pytest.approx(2 / 3)
    assert expected_calibration_error(np.array([0, 0]), np.array([[1.0, 0.0], [1.0, 0.0]])) == 0.0


def test_confusion_matrix_and_ece_of_an_overconfident_model():
    assert confusion_matrix(np.array([0, 1, 2]), np.array([0, 2, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
    probs = np.array([[0.99, 0.01]] * 10)  # 99% sure, right half the time
    assert expected_calibration_error(np.array([0, 1] * 5), probs) == pytest.approx(0.49)


def test_paired_comparison_counts_only_the_faces_the_models_disagree_on():
    y = np.zeros(100, dtype=int)
    a = np.where(np.arange(100) < 60, 0, 1)  # right on the first 60
    b = np.where(np.arange(100) < 50, 0, 1)  # right on the first 50: A alone is right on 10, B alone on none
    cmp = paired_comparison(y, a, b, n_boot=2000)
    assert (cmp["only_a_right"], cmp["only_b_right"]) == (10, 0)
    assert cmp["difference"] == pytest.approx(0.10) and cmp["accuracy_a"] == 0.6
    assert cmp["mcnemar_p"] == pytest.approx(2 / 2**10)  # ten coin flips all landing one way
    low, high = cmp["difference_ci95"]
    assert 0 < low < 0.10 < high


def test_paired_comparison_of_a_model_with_itself_finds_nothing():
    y = np.arange(50) % 3
    cmp = paired_comparison(y, (y + np.arange(50) % 2) % 3, (y + np.arange(50) % 2) % 3, n_boot=100)
    assert cmp["difference"] == 0 and cmp["mcnemar_p"] == 1.0 and cmp["difference_ci95"] == [0.0, 0.0]


def test_paired_comparison_balanced_disagreements_are_not_significant():
    y = np.zeros(40, dtype=int)
    a, b = np.zeros(40, dtype=int), np.zeros(40, dtype=int)
    a[:6], b[6:11] = 1, 1  # A wrong on 6 faces, B on 5 others: 5 vs 6 disagreements
    cmp = paired_comparison(y, a, b, n_boot=500)
    assert (cmp["only_a_right"], cmp["only_b_right"]) == (5, 6)
    assert cmp["mcnemar_p"] == pytest.approx(1.0)  # 5 of 11 is as even as 11 allows
    low, high = cmp["difference_ci95"]
    assert low < 0 < high
