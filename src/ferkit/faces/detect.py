"""Face detection behind a small interface: an image in, boxes with confidences (and keypoints) out.

The default is YuNet-s, a small CNN run by ONNX Runtime whose model file ships inside the package (with its
Apache-2.0 licence in ``weights/detectors/``), chosen on faces-bench against Haar and YuNet-n
(``bench/detectors.py``); it gives five keypoints per face. OpenCV's Haar cascade stays selectable.
Nothing is ever downloaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from .yunet import YuNetRuntime

#: The YuNet file used by default (chosen on faces-bench: docs/benchmarks.md).
YUNET_DEFAULT = "yunet_s.onnx"
#: Images narrower or shorter than this hold no face a detector can find (a 1×2560 strip, say): they are
#: not searched, so no down-scaled copy can round a side to zero.
MIN_SEARCH_SIDE = 8


def shrink(img: np.ndarray, scale: float) -> np.ndarray:
    """``img`` scaled by ``scale`` (< 1) with area averaging; no side below one pixel."""
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]  # x, y, width, height in image pixels
    score: float  # the detector's confidence (Haar: its last-stage weight; YuNet: a probability)
    # Five points where the detector gives them: image-left eye, image-right eye, nose tip, image-left and
    # image-right mouth corners (YuNet's order), in image pixels.
    keypoints: tuple[tuple[float, float], ...] | None = None


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


def detect_near(
    detector: Detector,
    gray: np.ndarray,
    boxes: list[tuple],
    rgb: np.ndarray | None = None,
    pad: float = 0.5,
    face_px: int = 96,
) -> list[Detection]:
    """Look for each known face again, only in a padded window around its last box: a small fraction of a
    full-frame search, so video runs full detection only every few frames. Haar searches the window only
    at about the face's size; other detectors search it shrunk so the face is about ``face_px`` pixels
    (plenty for a detector, and a 200-px face's window costs a tenth). Boxes and keypoints come back in
    frame coordinates."""
    if isinstance(detector, WholeImage):
        return detector.detect(gray)
    H, W = gray.shape[:2]
    found: list[Detection] = []
    for x, y, w, h in boxes:
        s = max(w, h)
        x0, y0 = max(0, int(x - pad * s)), max(0, int(y - pad * s))
        x1, y1 = min(W, int(x + w + pad * s)), min(H, int(y + h + pad * s))
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        window = gray[y0:y1, x0:x1]
        if isinstance(detector, HaarDetector):
            dets, f = detector.detect(window, size_range=(int(0.7 * s), int(1.4 * s) + 1)), 1.0
        else:
            window_rgb = rgb[y0:y1, x0:x1] if rgb is not None else None
            f = min(1.0, face_px / max(1, s))
            if f < 1:
                size = (max(8, round((x1 - x0) * f)), max(8, round((y1 - y0) * f)))
                window = cv2.resize(window, size, interpolation=cv2.INTER_AREA)
                window_rgb = cv2.resize(window_rgb, size, interpolation=cv2.INTER_AREA) if rgb is not None else None
            dets = detector.detect(window, window_rgb)
        if dets:
            found.append(_to_frame(max(dets, key=lambda d: d.score), f, x0, y0))
    return found


def _to_frame(d: Detection, f: float, dx: int, dy: int) -> Detection:
    """A detection in a window shrunk by ``f`` at offset ``(dx, dy)``, in frame coordinates."""
    bx, by, bw, bh = (v / f for v in d.box)
    kps = tuple((px / f + dx, py / f + dy) for px, py in d.keypoints) if d.keypoints else None
    return Detection((round(bx + dx), round(by + dy), round(bw), round(bh)), d.score, kps)


def detector_file(name: str) -> Path:
    """A face-detector model that ships inside the package (``weights/detectors/``)."""
    return Path(str(resources.files("ferkit") / "weights" / "detectors" / name))


class YuNetDetector:
    """YuNet (a 75k-parameter CNN, Apache-2.0) with five keypoints per face, run by ONNX Runtime
    (:mod:`ferkit.faces.yunet`); the model file ships inside the package. Images larger than ``max_side``
    are searched on a downscaled copy and the boxes scaled back, so a 24-megapixel photo costs what a
    ``max_side`` one does."""

    name = "yunet"

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        *,
        score_threshold: float = 0.7,
        nms_threshold: float = 0.3,
        max_side: int = 1280,
        threads: int | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path else detector_file(YUNET_DEFAULT)
        if not self.model_path.is_file():
            raise FileNotFoundError(f"{self.model_path}: YuNet model file not found")
        self.score_threshold, self.nms_threshold, self.max_side = score_threshold, nms_threshold, max_side
        self.runtime = YuNetRuntime(self.model_path, threads)

    def detect(self, gray: np.ndarray, rgb: np.ndarray | None = None) -> list[Detection]:
        img = rgb if rgb is not None else gray
        h, w = img.shape[:2]
        if min(h, w) < MIN_SEARCH_SIDE:
            return []
        scale = min(1.0, self.max_side / max(h, w))
        if scale < 1:  # shrink first: a 25-megapixel photo is never copied at full size
            img = shrink(img, scale)
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
        out = []
        for f in self.runtime.run(img, self.score_threshold, self.nms_threshold):
            xy = f[:14] / scale  # box and keypoints back to the input's pixels
            kps = tuple((float(xy[4 + 2 * k]), float(xy[5 + 2 * k])) for k in range(5))
            out.append(Detection(tuple(int(round(v)) for v in xy[:4]), float(f[14]), kps))
        return sorted(out, key=lambda d: -d.box[2] * d.box[3])


class WholeImage:
    """No detection: the whole image is one face (for crops like FER2013's)."""

    name = "none"

    def detect(self, gray: np.ndarray, rgb: np.ndarray | None = None) -> list[Detection]:
        return [Detection((0, 0, gray.shape[1], gray.shape[0]), 1.0)]


#: The detectors by name, with what bench/detectors.py measured on faces-bench (docs/benchmarks.md):
#: recall at IoU 0.5 of easy / all faces, extra boxes per photo, median keypoint error (inter-ocular
#: distances), ms per 640x480 photo on 2 CPU cores.
DETECTOR_INFO = {
    "yunet": {
        "description": "YuNet-s (Apache-2.0) on ONNX Runtime, score 0.7, 5 keypoints; the default",
        "recall_easy": 0.98,
        "recall_all": 0.47,
        "extra_boxes_per_photo": 0.21,
        "keypoint_error": 0.151,
        "ms_640x480": 3.0,
    },
    "haar": {
        "description": "OpenCV's frontal-face Haar cascade; no keypoints",
        "recall_easy": 0.476,
        "recall_all": 0.119,
        "extra_boxes_per_photo": 0.33,
        "keypoint_error": None,
        "ms_640x480": 29.0,
    },
    "none": {"description": "no detection: every input is one face crop (like FER2013 images)"},
}


def make_detector(name: str = "yunet", model_path: str | None = None, threads: int | None = None) -> Detector:
    """A detector by name (see :data:`DETECTOR_INFO`): ``yunet`` (the shipped model, or ``model_path``;
    ``threads`` for ONNX Runtime, None: one per core), ``haar`` or ``none``."""
    if name == "haar":
        return HaarDetector(model_path)
    if name == "yunet":
        return YuNetDetector(model_path, threads=threads)
    if name == "none":
        return WholeImage()
    raise ValueError(f"unknown detector {name!r}; choose {', '.join(DETECTOR_INFO)}")
