"""Temperature scaling (Guo et al., 2017): one number per checkpoint that makes its probabilities honest,
fitted on the validation split and stored in the checkpoint's metadata."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..data.dataset import load_dataset
from ..models.checkpoint import load_checkpoint, update_meta
from ..models.meta import resolve_weights
from ..probs import softmax
from .logits import predict_logits
from .metrics import expected_calibration_error


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The softmax temperature that minimises negative log-likelihood (Guo et al., 2017)."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 481))
    return float(min(grid, key=lambda t: _nll(logits, labels, t)))


def _nll(logits: np.ndarray, labels: np.ndarray, t: float = 1.0) -> float:
    p = softmax(logits, t)
    return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None)).mean())


def calibrate(weights: str | os.PathLike, data_path: str | os.PathLike, *, split: str = "val") -> dict:
    """Fit temperature scaling on the validation split (PublicTest for FER2013) and store it in the
    checkpoint. Never fit on the test split: that would be choosing on the benchmark."""
    if split == "test":
        raise ValueError("calibrating on the test split would leak it; use the validation split")
    path = resolve_weights(weights)
    ckpt = load_checkpoint(path)
    data = load_dataset(data_path, classes=ckpt.classes, image_size=ckpt.preprocess.image_size).split(split)
    logits = predict_logits(ckpt.model, data.images, ckpt.preprocess)
    t = fit_temperature(logits, data.labels)
    result = {
        "temperature": round(t, 4),
        "fitted_on": f"{Path(str(data_path)).name}:{split}",
        "ece_before": round(expected_calibration_error(data.labels, softmax(logits)), 4),
        "ece_after": round(expected_calibration_error(data.labels, softmax(logits, t)), 4),
        "nll_before": round(_nll(logits, data.labels), 4),
        "nll_after": round(_nll(logits, data.labels, t), 4),
    }
    update_meta(path, temperature=result["temperature"], calibration=result)
    return result
