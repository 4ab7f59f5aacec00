"""Aligning detected faces to where FER2013 puts faces: a similarity warp of the five keypoints onto a
template measured on FER2013 itself, so the classifier sees faces framed as it was trained.

``level=True`` fits rotation, scale and shift (the eyes come out level); ``level=False`` fits scale and
shift only, keeping the head's tilt, as FER2013's own faces keep theirs (median 3.8°, 15% over 10°).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

#: Mean keypoints (image-left eye, image-right eye, nose tip, image-left and image-right mouth corners) of
#: 1,848 FER2013 Training faces in 48×48 pixels, measured with YuNet on 4× upscaled faces
#: (docs/history.md; spread 3.2-5.2 px per coordinate; eyes 17.6 px apart).
FER2013_TEMPLATE = np.array(
    [[15.32, 17.94], [32.43, 18.26], [22.86, 27.97], [16.6, 35.68], [30.55, 36.0]], dtype=np.float64
)
ALIGN_MODES = ("none", "level", "keep-tilt")


def similarity(src: np.ndarray, dst: np.ndarray, level: bool) -> np.ndarray | None:
    """The 2×3 least-squares similarity taking points ``src`` to ``dst`` (no rotation unless ``level``)."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    norm = float((a * a).sum())
    if norm < 1e-6:
        return None
    if level:  # scale*rotation [[p, -q], [q, p]]
        p = float((a * b).sum()) / norm
        q = float((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum()) / norm
        rot = np.array([[p, -q], [q, p]])
    else:
        rot = np.eye(2) * (float((a * b).sum()) / norm)
    return np.hstack([rot, (md - rot @ ms)[:, None]])


def align_face(
    gray: np.ndarray, keypoints: Sequence[Sequence[float]], size: int = 48, *, level: bool = True
) -> np.ndarray | None:
    """A ``size``×``size`` uint8 face warped so its keypoints land on :data:`FER2013_TEMPLATE`, or None when
    the keypoints cannot place it (degenerate points, an absurd scale)."""
    src = np.asarray(keypoints, dtype=np.float64).reshape(-1, 2)
    m = similarity(src, FER2013_TEMPLATE * (size / 48), level) if len(src) == 5 else None
    if m is None or not np.isfinite(m).all():
        return None
    scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    if not 1e-3 < scale < 50:
        return None
    region, m = _source_region(gray, m, size)
    if scale < 0.5:  # shrink with area averaging first, so the warp itself never decimates (no aliasing)
        f = 2 * scale
        region = cv2.resize(region, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        m[:, :2] /= f
    return cv2.warpAffine(region, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _source_region(gray: np.ndarray, m: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The part of ``gray`` the output square comes from (border replicated beyond the image), and the
    transform re-expressed in its coordinates: warping a face-sized region, not the whole photo."""
    inv = cv2.invertAffineTransform(m)
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], dtype=np.float64)
    src = corners @ inv.T
    x0, y0 = np.floor(src.min(0)).astype(int) - 1
    x1, y1 = np.ceil(src.max(0)).astype(int) + 1
    h, w = gray.shape[:2]
    pad = max(0, -x0, -y0, x1 - w, y1 - h)
    padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else gray
    region = padded[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
    m = m.copy()
    m[:, 2] += m[:, :2] @ np.array([x0, y0], dtype=np.float64)
    return np.ascontiguousarray(region), m
