"""Classification metrics from labels and probabilities (plain numpy).

These few formulas are written out rather than taken from torchmetrics: they run on numpy arrays
that the CLI, the report and the tests already hold, and a new dependency would buy nothing here.
"""

from __future__ import annotations

import math

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    idx = np.asarray(y_true, dtype=np.int64) * num_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def classification_report(y_true: np.ndarray, probs: np.ndarray, classes: tuple[str, ...] | list[str]) -> dict:
    """Accuracy, macro and per-class precision/recall/F1, confusion matrix and calibration error."""
    y_true = np.asarray(y_true)
    y_pred = probs.argmax(1)
    cm = confusion_matrix(y_true, y_pred, len(classes))
    tp = np.diag(cm).astype(float)
    support = cm.sum(1)
    predicted = cm.sum(0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(tp), where=(precision + recall) > 0)
    present = support > 0
    macro = lambda v: float(v[present].mean()) if present.any() else 0.0  # classes with faces only
    return {
        "n": int(len(y_true)),
        "accuracy": float((y_pred == y_true).mean()) if len(y_true) else 0.0,
        "macro_precision": macro(precision),
        "macro_recall": macro(recall),
        "macro_f1": macro(f1),
        "ece": expected_calibration_error(y_true, probs),
        "nll": nll(y_true, probs),
        "per_class": {
            c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)
        },
        "confusion_matrix": cm.tolist(),
        "classes": list(classes),
    }


def nll(y_true: np.ndarray, probs: np.ndarray) -> float:
    """Mean negative log-likelihood of the true classes (probabilities clipped at 1e-12; 0 for no faces)."""
    if not len(y_true):
        return 0.0
    return float(-np.log(np.clip(probs[np.arange(len(y_true)), y_true], 1e-12, None)).mean())


def expected_calibration_error(y_true: np.ndarray, probs: np.ndarray, bins: int = 15) -> float:
    """ECE with equal-width confidence bins: how far confidence is from accuracy, on average."""
    if len(y_true) == 0:
        return 0.0
    conf = probs.max(1)
    correct = probs.argmax(1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def paired_comparison(
    y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, *, n_boot: int = 10_000, seed: int = 0
) -> dict:
    """How sure a difference in accuracy between two models on the same faces is.

    Two models scored on one split are paired: most faces are right or wrong for both, and only the faces
    where they disagree carry evidence. So this reports those counts, McNemar's exact two-sided p-value on
    them (a binomial test of "each disagreement is a coin flip"), and a paired bootstrap 95% interval of
    the accuracy difference (A minus B). A selection split of 3,589 faces cannot tell apart runs a few
    tenths of a point apart; this says by how much it cannot.
    """
    a, b = pred_a == y_true, pred_b == y_true
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    n = only_a + only_b
    tail = sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1))
    p = min(1.0, 2 * tail / 2**n) if n else 1.0
    diff = a.astype(np.int8) - b.astype(np.int8)
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for start in range(0, n_boot, 500):  # in chunks: 500 resamples of 3,589 faces at a time
        idx = rng.integers(0, len(diff), size=(min(500, n_boot - start), len(diff)))
        boots[start : start + len(idx)] = diff[idx].mean(1)
    low, high = np.percentile(boots, [2.5, 97.5])
    scores = {"n": int(len(y_true)), "accuracy_a": float(a.mean()), "accuracy_b": float(b.mean())}
    scores.update(difference=float(a.mean() - b.mean()), only_a_right=only_a, only_b_right=only_b)
    return {**scores, "mcnemar_p": float(p), "difference_ci95": [float(low), float(high)]}
