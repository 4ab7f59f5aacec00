"""Turning logits into calibrated probabilities, and restricting them to a subset of classes (plain
numpy, shared by evaluation and inference)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def softmax(
    logits: np.ndarray, temperature: float | np.ndarray = 1.0, bias: np.ndarray | Sequence[float] | None = None
) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature + bias`` (temperature scaling is how checkpoints
    calibrate; a per-class ``bias`` is how they move decisions towards classes given a recall floor). Either
    may also be given per row, ``(N, 1)`` and ``(N, C)``."""
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


def at_widths(
    table: dict, temperature: float, bias: Sequence[float] | None, widths: Sequence[float], full: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-face temperature ``(N, 1)`` and offsets ``(N, C)`` for faces ``widths`` pixels wide in their
    photo. A small face loses the detail the network reads and its logits drift (towards sad), so a
    checkpoint may hold a calibration fitted at a few widths (``table``: ``widths``, ``temperature``,
    ``class_bias``, one entry per width); between them, and up to the network's own input size ``full``
    where the checkpoint's own calibration takes over, inverse temperature and offsets are interpolated
    linearly; below the smallest width, its fit holds."""
    xs = [*table["widths"], full]
    inverse = [1 / t for t in table["temperature"]] + [1 / temperature]
    rows = np.array([*table["class_bias"], bias if bias is not None else np.zeros(len(table["class_bias"][0]))])
    w = np.asarray(widths, dtype=np.float64)
    per_class = np.stack([np.interp(w, xs, rows[:, c]) for c in range(rows.shape[1])], axis=1)
    return (1 / np.interp(w, xs, inverse))[:, None], per_class
