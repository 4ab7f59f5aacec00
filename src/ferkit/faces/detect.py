"""Face detection behind a small interface: an image in, boxes with confidences out.

The offline default is OpenCV's Haar cascade, which ships inside ``opencv-python-headless<5``.
OpenCV's YuNet (a small CNN, more accurate on turned and small faces) plugs in when the user gives its
ONNX model file; ferkit never downloads it by itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]  # x, y, width, height in image pixels
    score: float  # the detector's confidence (Haar: its last-stage weight; YuNet: a probability)


class Detector(Protocol):
    name: str

    def detect(self, gray: np.ndarray, rgb: np.ndarray | None = None) -> list[Detection]:
        """Faces in a uint8 grey image (``rgb`` for detectors that want colour)."""


class HaarDetector:
    """OpenCV's frontal-face Haar cascade. Large images are searched at ``max_side`` and boxes scaled back."""

    name = "haar"

    def __init__(
        self,
        cascade: str | None = None,
        *,
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
        scale = min(1.0, self.max_side / max(h, w))
        if size_range is not None:
            scale = min(1.0, 40.0 / max(1, size_range[0]))  # the smallest face searched is ~40 px
        small = (
            cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else gray
        )
        small = cv2.equalizeHist(small)
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


def detect_near(detector: Detector, gray: np.ndarray, boxes: list[tuple], pad: float = 0.5) -> list[Detection]:
    """Look for each known face again, only in a padded window around its last box and at about its size:
    a small fraction of a full-frame search, so video can run full detection only every few frames."""
    if not isinstance(detector, HaarDetector):
        return detector.detect(gray)
    H, W = gray.shape[:2]
    found: list[Detection] = []
    for x, y, w, h in boxes:
        s = max(w, h)
        x0, y0 = max(0, int(x - pad * s)), max(0, int(y - pad * s))
        x1, y1 = min(W, int(x + w + pad * s)), min(H, int(y + h + pad * s))
        dets = detector.detect(gray[y0:y1, x0:x1], size_range=(int(0.7 * s), int(1.4 * s) + 1))
        if dets:
            best = max(dets, key=lambda d: d.score)
            bx, by, bw, bh = best.box
            found.append(Detection((bx + x0, by + y0, bw, bh), best.score))
    return found


class YuNetDetector:
    """OpenCV's YuNet face detector, from a user-supplied ``face_detection_yunet_*.onnx`` file."""

    name = "yunet"

    def __init__(self, model_path: str | os.PathLike, *, score_threshold: float = 0.7) -> None:
        if not Path(model_path).is_file():
            raise FileNotFoundError(f"{model_path}: YuNet model file not found (give --detector-model PATH)")
        self.net = cv2.FaceDetectorYN.create(str(model_path), "", (320, 320), score_threshold)

    def detect(self, gray: np.ndarray, rgb: np.ndarray | None = None) -> list[Detection]:
        img = cv2.cvtColor(rgb if rgb is not None else cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB), cv2.COLOR_RGB2BGR)
        self.net.setInputSize((img.shape[1], img.shape[0]))
        _, faces = self.net.detect(img)
        if faces is None:
            return []
        return [Detection(tuple(int(round(v)) for v in f[:4]), float(f[-1])) for f in faces]


class WholeImage:
    """No detection: the whole image is one face (for crops like FER2013's)."""

    name = "none"

    def detect(self, gray: np.ndarray, rgb: np.ndarray | None = None) -> list[Detection]:
        return [Detection((0, 0, gray.shape[1], gray.shape[0]), 1.0)]


def make_detector(name: str = "haar", model_path: str | None = None) -> Detector:
    if name == "haar":
        return HaarDetector(model_path)
    if name == "yunet":
        if not model_path:
            raise ValueError("the yunet detector needs its model file: --detector-model face_detection_yunet.onnx")
        return YuNetDetector(model_path)
    if name == "none":
        return WholeImage()
    raise ValueError(f"unknown detector {name!r}; choose haar, yunet or none")
