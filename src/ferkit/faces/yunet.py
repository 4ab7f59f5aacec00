"""YuNet (a 75k-parameter face detector with five keypoints, Apache-2.0) run by ONNX Runtime: the default
detector (``--detector yunet``).

OpenCV's ``cv2.FaceDetectorYN`` ran the same network in 6.8 ms per 640×480 photo on 2 cores, ONNX
Runtime in 2.6 ms (docs/benchmarks.md), so ferkit runs the file itself and decodes the three output
strides here, as OpenCV's ``face_detect.cpp`` does: score = sqrt(cls × obj), box centre and keypoints as
offsets in stride units from their grid cell, box size as exp(·) × stride, then non-maximum suppression.
A test checks every box and keypoint against ``cv2.FaceDetectorYN`` on real photos.

The shipped file is YuNet-s with a dynamic input size that takes the uint8 RGB photo as decoded
(:func:`ferkit.export.yunet.dynamic_yunet`), so a photo is only padded to a multiple of 32. A published
file (a fixed-size float BGR input) also works: each image is then shrunk to fit that size, padded,
channel-swapped and converted here.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..runtime import ort_session
from .detect import MIN_SEARCH_SIDE, Detection, Detector, detector_file, register_detector, shrink

STRIDES = (8, 16, 32)
#: The YuNet file used by default (chosen on faces-bench: docs/history.md). There is no int8 twin: a
#: statically quantized YuNet-s ran 1.4x slower than float32 on an AVX-512 VNNI processor (QDQ or
#: QOperator, per channel or not) and on AVX2 before it, at about the same recall.
YUNET_DEFAULT = "yunet_s.onnx"


class YuNetRuntime:
    """One ONNX Runtime session for a YuNet file; ``run`` is safe to call from several threads."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None) -> None:
        try:
            self.session = ort_session(path, threads)
        except Exception as exc:  # ORT raises its own exception types for unreadable or foreign files
            raise ValueError(f"{path}: not a YuNet model ONNX Runtime can load ({str(exc).splitlines()[0]})") from None
        self.outputs = [o.name for o in self.session.get_outputs()]
        missing = {f"{k}_{s}" for k in ("cls", "obj", "bbox", "kps") for s in STRIDES} - set(self.outputs)
        if missing:
            raise ValueError(f"{path}: not a YuNet model (no outputs {sorted(missing)[:3]})")
        inp = self.session.get_inputs()[0]
        self.input = inp.name
        self.rgb_uint8 = inp.type == "tensor(uint8)"  # the shipped layout: (1, H, W, 3) RGB as decoded
        h, w = inp.shape[1:3] if self.rgb_uint8 else inp.shape[2:4]
        self.fixed = (w, h) if isinstance(h, int) and isinstance(w, int) else None

    def inputs(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """The session's input for a uint8 RGB image (shrunk to a fixed-size file's input, padded right and
        bottom so coordinates are unchanged) and the factor it was shrunk by."""
        h, w = rgb.shape[:2]
        f = 1.0
        if self.fixed is not None:
            f = min(1.0, self.fixed[0] / w, self.fixed[1] / h)
            if f < 1:
                rgb = shrink(rgb, f)
            pw, ph = self.fixed[0] - rgb.shape[1], self.fixed[1] - rgb.shape[0]
        else:
            pw, ph = -w % 32, -h % 32
        if pw or ph:
            rgb = cv2.copyMakeBorder(rgb, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        if self.rgb_uint8:
            return np.ascontiguousarray(rgb)[None], f
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR).transpose(2, 0, 1)[None].astype(np.float32), f  # float BGR

    def run(self, rgb: np.ndarray, score_threshold: float, nms_threshold: float) -> np.ndarray:
        """Faces in a uint8 RGB image as rows of box (x, y, w, h), five keypoints (x, y) and the score."""
        x, f = self.inputs(rgb)
        outs = dict(zip(self.outputs, self.session.run(self.outputs, {self.input: x})))
        faces = decode(outs, x.shape[2] if self.rgb_uint8 else x.shape[3], score_threshold)
        faces = faces[nms(faces, score_threshold, nms_threshold)]
        faces[:, :14] /= f
        return faces


def decode(outs: dict[str, np.ndarray], width: int, score_threshold: float) -> np.ndarray:
    """YuNet's raw outputs for an input ``width`` pixels wide → candidate rows (box, keypoints, score)."""
    rows = []
    for s in STRIDES:
        product = np.clip(outs[f"cls_{s}"][0, :, 0], 0, 1) * np.clip(outs[f"obj_{s}"][0, :, 0], 0, 1)
        keep = np.flatnonzero(product >= score_threshold * score_threshold)  # no square root of every anchor
        if not len(keep):
            continue
        score = np.sqrt(product[keep])
        cell = np.stack([keep % (width // s), keep // (width // s)], 1).astype(np.float32)
        b = outs[f"bbox_{s}"][0, keep]
        centre, size = (cell + b[:, :2]) * s, np.exp(b[:, 2:4]) * s
        kps = (outs[f"kps_{s}"][0, keep].reshape(-1, 5, 2) + cell[:, None]) * s
        rows.append(np.concatenate([centre - size / 2, size, kps.reshape(-1, 10), score[:, None]], 1))
    return np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, 15), np.float32)


def nms(faces: np.ndarray, score_threshold: float, nms_threshold: float) -> np.ndarray:
    """Indices of the rows that survive OpenCV's non-maximum suppression, best first."""
    if not len(faces):
        return np.zeros(0, np.int64)
    keep = cv2.dnn.NMSBoxes(faces[:, :4].tolist(), faces[:, 14].tolist(), score_threshold, nms_threshold, top_k=5000)
    return np.asarray(keep, np.int64).reshape(-1)


@register_detector
class YuNetDetector(Detector):
    """YuNet (a 75k-parameter CNN, Apache-2.0) with five keypoints per face, run by ONNX Runtime
    (:mod:`ferkit.faces.yunet`); the model file ships inside the package. Images larger than ``max_side``
    are searched on a downscaled copy and the boxes scaled back, so a 24-megapixel photo costs what a
    ``max_side`` one does."""

    name = "yunet"
    info = {
        "description": "YuNet-s (Apache-2.0) on ONNX Runtime, score 0.7, 5 keypoints; the default",
        "recall_easy": 0.98,
        "recall_all": 0.47,
        "extra_boxes_per_photo": 0.21,
        "keypoint_error": 0.151,
        "ms_640x480": 3.0,
    }

    def __init__(
        self, model_path: str | os.PathLike | None = None, *, score_threshold: float = 0.7, nms_threshold: float = 0.3,
        max_side: int = 1280, threads: int | None = None,
    ) -> None:  # fmt: skip
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
