"""Test-time views of normalised faces, in numpy so that every backend (ONNX Runtime or PyTorch) and every
command (evaluate, calibrate, choosing ensembles) averages the same ten views."""

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
