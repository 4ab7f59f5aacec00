"""Classification metrics, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.evaluation.metrics import classification_report, confusion_matrix, expected_calibration_error


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
