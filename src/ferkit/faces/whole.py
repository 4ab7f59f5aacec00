"""No detection (``--detector none``, ``--no-detect``): every input is one face, used as it is, as
FER2013's crops are; then ``predict`` scores exactly what ``evaluate`` scores on the same images."""

from __future__ import annotations

import numpy as np

from .detect import Detection, Detector, register_detector


@register_detector
class WholeImage(Detector):
    """No detection: the whole image is one face (for crops like FER2013's)."""

    name = "none"
    info = {"description": "no detection: every input is one face crop (like FER2013 images)"}
    whole_image = True

    def __init__(self, model_path: str | None = None, threads: int | None = None) -> None:
        pass

    def detect(self, gray: np.ndarray, rgb: np.ndarray | None = None) -> list[Detection]:
        return [Detection((0, 0, gray.shape[1], gray.shape[0]), 1.0)]
