"""Cropping detected faces the way FER2013 frames them: a square around the box, widened by a margin."""

from __future__ import annotations

import cv2
import numpy as np

from ..data.decode import fit_gray


def framed_side(box: tuple[int, int, int, int], margin: float) -> float:
    """The side of the square a box's face is cut from: its longer side widened by ``margin`` on each side."""
    return max(box[2], box[3]) * (1 + 2 * margin)


def crop_face(gray: np.ndarray, box: tuple[int, int, int, int], size: int = 48, margin: float = 0.1) -> np.ndarray:
    """A square ``size``×``size`` crop around ``box``, widened by ``margin`` on each side like FER2013's
    framing; parts outside the image are filled by replicating its border."""
    x, y, w, h = box
    side = framed_side(box, margin)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    s = max(1, int(round(side)))
    H, W = gray.shape[:2]
    pad = max(0, -x0, -y0, x0 + s - W, y0 + s - H)
    src = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else gray
    crop = src[y0 + pad : y0 + pad + s, x0 + pad : x0 + pad + s]
    return fit_gray(crop, size)
