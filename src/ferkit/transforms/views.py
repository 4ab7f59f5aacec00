"""Test-time views of normalised faces, in numpy so that every backend (ONNX Runtime or PyTorch) and every
command (evaluate, calibrate, choosing ensembles) averages the same ten views; and faces seen smaller."""

from __future__ import annotations

import numpy as np


def tta_views(x: np.ndarray, shift: int = 2) -> list[np.ndarray]:
    """Ten views of ``(N, C, H, W)`` faces: the faces and four crops shifted by ``shift`` pixels (edges
    replicated), each also mirrored."""
    h, w = x.shape[-2:]
    padded = np.pad(x, ((0, 0), (0, 0), (shift, shift), (shift, shift)), mode="edge")
    views = [x]
    for dy, dx in ((0, 0), (0, 2 * shift), (2 * shift, 0), (2 * shift, 2 * shift)):
        views.append(np.ascontiguousarray(padded[..., dy : dy + h, dx : dx + w]))
    return views + [np.ascontiguousarray(v[..., ::-1]) for v in views]


def at_resolution(faces: np.ndarray, side: int) -> np.ndarray:
    """uint8 faces ``(N, H, W)`` as a photo shows them ``side`` pixels wide: shrunk, then enlarged back the
    way ``predict`` enlarges a small face (``fit_gray``), so evaluation can say how a model reads small faces."""
    from ..data.decode import fit_gray

    size = faces.shape[-1]
    return np.stack([fit_gray(fit_gray(f, side), size) for f in faces]) if len(faces) else faces
