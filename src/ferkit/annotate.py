"""Drawing faces on images: a box, the label and its probability, coloured by expression."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .predictor import Face

COLORS = {  # RGB
    "angry": (220, 40, 40), "disgust": (120, 160, 30), "fear": (150, 60, 200), "happy": (250, 200, 0),
    "neutral": (170, 170, 170), "sad": (40, 100, 230), "surprise": (250, 120, 20),
}


def draw_faces(rgb: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
    """A copy of ``rgb`` with every face's box and label drawn on it."""
    out = np.ascontiguousarray(rgb.copy() if rgb.ndim == 3 else cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB))
    thick = max(1, round(max(out.shape[:2]) / 400))
    scale = max(0.4, max(out.shape[:2]) / 1000)
    for f in faces:
        x, y, w, h = f.box
        color = COLORS.get(f.label, (0, 200, 0))
        cv2.rectangle(out, (x, y), (x + w, y + h), color, thick + 1)
        text = f"{f.label} {f.confidence:.0%}" + (f" #{f.track_id}" if f.track_id is not None else "")
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        ty = y - 4 if y - th - base - 4 > 0 else y + h + th + 4
        cv2.rectangle(out, (x, ty - th - base), (x + tw + 4, ty + base), color, -1)
        cv2.putText(out, text, (x + 2, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out


def save_rgb(path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: could not write the image")
