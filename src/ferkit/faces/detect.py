"""Face detection behind a small interface: an image in, boxes with confidences (and keypoints) out.

Each detector is one file that registers itself with :func:`register_detector` (``faces/yunet.py``,
``faces/whole.py``) and carries what ``bench/detectors.py`` measured of it, so adding one is adding a file.
The default is YuNet-s, a small CNN run by ONNX Runtime whose model file ships inside the package (with its
Apache-2.0 licence in ``weights/detectors/``), chosen on faces-bench against OpenCV's Haar cascade,
BlazeFace and YuNet-n; it gives five keypoints per face. Nothing is ever downloaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

#: Images narrower or shorter than this hold no face a detector can find (a 1×2560 strip, say): they are
#: not searched, so no down-scaled copy can round a side to zero.
MIN_SEARCH_SIDE = 8


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]  # x, y, width, height in image pixels
    score: float  # the detector's confidence (YuNet: a probability)
    # Five points where the detector gives them: image-left eye, image-right eye, nose tip, image-left and
    # image-right mouth corners (YuNet's order), in image pixels.
    keypoints: tuple[tuple[float, float], ...] | None = None


class Detector:
    """What every detector is: a ``name``, what was measured of it (``info``), and ``detect``.

    ``whole_image`` detectors call the whole input one face (crops like FER2013's are used as they are).
    :meth:`detect_around` looks for a face of about ``side`` pixels in a window cut around where it was
    (video tracking); by default the window is shrunk so the face is about ``face_px`` pixels."""

    name = "detector"
    info: dict = {}
    whole_image = False
    face_px = 96

    def detect(self, gray: np.ndarray, rgb: np.ndarray | None = None) -> list[Detection]:
        """Faces in a uint8 grey image (``rgb`` for detectors that want colour), largest first."""
        raise NotImplementedError

    def detect_around(self, gray: np.ndarray, rgb: np.ndarray | None, side: int) -> tuple[list[Detection], float]:
        """Faces in a window where one of about ``side`` pixels was, and the scale they were found at."""
        f = min(1.0, self.face_px / max(1, side))
        if f < 1:
            size = (max(8, round(gray.shape[1] * f)), max(8, round(gray.shape[0] * f)))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if rgb is not None else None
        return self.detect(gray, rgb), f


_DETECTORS: dict[str, Callable[..., Detector]] = {}
_BUILTINS = (".yunet", ".whole")


def register_detector(cls: type[Detector]) -> type[Detector]:
    """Class decorator: make a detector available by its ``name`` (``--detector NAME``)."""
    if cls.name in _DETECTORS:
        raise ValueError(f"detector {cls.name!r} is already registered")
    _DETECTORS[cls.name] = cls
    return cls


#: The detector ``predict``, ``serve`` and the API use unless told otherwise (chosen on faces-bench).
DEFAULT_DETECTOR = "yunet"


def _registered() -> dict[str, Callable[..., Detector]]:
    """Every detector by name: the default first, then the rest by name (whatever imported them first)."""
    for module in _BUILTINS:
        importlib.import_module(module, __package__)
    order = sorted(_DETECTORS, key=lambda n: (n != DEFAULT_DETECTOR, n))
    return {n: _DETECTORS[n] for n in order}


def detector_info() -> dict[str, dict]:
    """Every registered detector's description and measurements, by name."""
    return {name: cls.info for name, cls in _registered().items()}


def make_detector(name: str = DEFAULT_DETECTOR, model_path: str | None = None, threads: int | None = None) -> Detector:
    """A detector by name (see :func:`detector_info`); ``model_path`` replaces its shipped model file and
    ``threads`` sets ONNX Runtime's threads, where the detector has them."""
    found = _registered()
    if name not in found:
        raise ValueError(f"unknown detector {name!r}; choose {', '.join(found)}")
    return found[name](model_path, threads=threads)


def shrink(img: np.ndarray, scale: float) -> np.ndarray:
    """``img`` scaled by ``scale`` (< 1) with area averaging; no side below one pixel."""
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def detect_near(
    detector: Detector, gray: np.ndarray, boxes: list[tuple], rgb: np.ndarray | None = None, pad: float = 0.5
) -> list[Detection]:
    """Look for each known face again, only in a padded window around its last box: a small fraction of a
    full-frame search, so video runs full detection only every few frames (each detector's
    :meth:`Detector.detect_around` says how it searches a window). Boxes and keypoints come back in frame
    coordinates."""
    if detector.whole_image:
        return detector.detect(gray)
    H, W = gray.shape[:2]
    found: list[Detection] = []
    for x, y, w, h in boxes:
        s = max(w, h)
        x0, y0 = max(0, int(x - pad * s)), max(0, int(y - pad * s))
        x1, y1 = min(W, int(x + w + pad * s)), min(H, int(y + h + pad * s))
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        window_rgb = rgb[y0:y1, x0:x1] if rgb is not None else None
        dets, f = detector.detect_around(gray[y0:y1, x0:x1], window_rgb, s)
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
