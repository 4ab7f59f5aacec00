"""OpenCV's Haar cascade as a ferkit detector (``--detector haar``): no keypoints, 10x slower than YuNet
and half its recall on faces-bench (docs/benchmarks.md), kept for comparison and for OpenCV-only setups."""

from __future__ import annotations

import os

import cv2
import numpy as np

from .detect import MIN_SEARCH_SIDE, Detection, Detector, register_detector, shrink


@register_detector
class HaarDetector(Detector):
    """OpenCV's frontal-face Haar cascade. Large images are searched at ``max_side`` and boxes scaled back."""

    name = "haar"
    info = {
        "description": "OpenCV's frontal-face Haar cascade; no keypoints",
        "recall_easy": 0.476,
        "recall_all": 0.119,
        "extra_boxes_per_photo": 0.33,
        "keypoint_error": None,
        "ms_640x480": 29.0,
    }

    def __init__(
        self,
        cascade: str | None = None,
        *,
        threads: int | None = None,  # (OpenCV's own threads; accepted for make_detector's sake)
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        min_face: float = 0.1,
        max_side: int = 640,
    ) -> None:
        path = cascade or os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")
        self.cascade = cv2.CascadeClassifier(path)
        if self.cascade.empty():
            raise FileNotFoundError(f"{path}: cannot load the Haar cascade (opencv-python-headless<5 ships it)")
        self.scale_factor, self.min_neighbors, self.min_face, self.max_side = (
            scale_factor,
            min_neighbors,
            min_face,
            max_side,
        )

    def detect(
        self, gray: np.ndarray, rgb: np.ndarray | None = None, *, size_range: tuple[int, int] | None = None
    ) -> list[Detection]:
        """Faces in ``gray``; ``size_range`` (min, max face side in pixels) narrows the search, as when
        looking again near a face tracked in the previous frame."""
        h, w = gray.shape[:2]
        if min(h, w) < MIN_SEARCH_SIDE:
            return []
        scale = min(1.0, self.max_side / max(h, w))
        if size_range is not None:
            scale = min(1.0, 40.0 / max(1, size_range[0]))  # the smallest face searched is ~40 px
        small = cv2.equalizeHist(shrink(gray, scale) if scale < 1 else gray)
        if size_range is None:
            side, biggest = max(20, int(self.min_face * min(small.shape[:2]))), (0, 0)
        else:
            side = max(20, int(size_range[0] * scale))
            biggest = (int(size_range[1] * scale),) * 2
        boxes, _, weights = self.cascade.detectMultiScale3(
            small,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(side, side),
            maxSize=biggest,
            outputRejectLevels=True,
        )
        out = []
        for (x, y, bw, bh), wgt in zip(np.asarray(boxes).reshape(-1, 4), np.asarray(weights).reshape(-1)):
            out.append(Detection(tuple(int(round(v / scale)) for v in (x, y, bw, bh)), float(wgt)))
        return sorted(out, key=lambda d: -d.box[2] * d.box[3])

    def detect_around(self, gray: np.ndarray, rgb: np.ndarray | None, side: int) -> tuple[list[Detection], float]:
        """A cascade searches one window only at about the face's size (no shrinking needed)."""
        return self.detect(gray, size_range=(int(0.7 * side), int(1.4 * side) + 1)), 1.0
