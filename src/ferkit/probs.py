"""Turning logits into calibrated probabilities, and restricting them to a subset of classes (plain
numpy, shared by evaluation and inference)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0, bias: np.ndarray | None = None) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature + bias`` (temperature scaling is how checkpoints
    calibrate; a per-class ``bias`` is how they move decisions towards classes given a recall floor)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if bias is not None:
        z = z + np.asarray(bias, dtype=np.float64)
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(1, keepdims=True)).astype(np.float32)


def class_columns(have: Sequence[str], want: Sequence[str]) -> list[int]:
    """The columns of classes ``want`` among a model's classes ``have``; an error names any it lacks."""
    unknown = [c for c in want if c not in have]
    if unknown:
        raise ValueError(f"the model does not know the classes {unknown} (it has {', '.join(have)})")
    return [list(have).index(c) for c in want]


def restrict(probs: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """Probabilities of some classes only, renormalised over them (the model's choice among those)."""
    p = probs[:, list(columns)]
    return p / np.maximum(p.sum(1, keepdims=True), 1e-12)
