"""The inference API: ``Recognizer.from_pretrained()`` → ``.predict(image)`` → faces with probabilities.

Used by the CLI, the video pipeline and (later) the REST service. A recognizer is a detector, a
crop rule and a classifier backend (PyTorch, or ONNX Runtime for speed) that maps normalised
``(N, 1, S, S)`` float32 faces to logits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .checkpoint import Checkpoint, load_checkpoint, resolve_weights
from .faces import Detector, crop_face, make_detector
from .imageio import load_image, to_gray, to_rgb_array
from .infer import softmax

Backend = Callable[[np.ndarray], np.ndarray]


@dataclass
class Face:
    """One face: where it is and what expression it shows."""

    box: tuple[int, int, int, int]  # x, y, width, height
    label: str
    probs: dict[str, float]
    detector_score: float
    track_id: int | None = None
    uncertain: bool = False

    @property
    def confidence(self) -> float:
        return self.probs[self.label]

    def to_dict(self) -> dict:
        d = {"box": list(self.box), "label": self.label, "confidence": round(self.confidence, 4),
             "probs": {k: round(v, 4) for k, v in self.probs.items()}, "detector_score": round(self.detector_score, 3)}
        if self.track_id is not None:
            d["track_id"] = self.track_id
        if self.uncertain:
            d["uncertain"] = True
        return d


def torch_backend(model: torch.nn.Module, threads: int | None = None) -> Backend:
    if threads:
        torch.set_num_threads(threads)

    @torch.inference_mode()
    def run(x: np.ndarray) -> np.ndarray:
        return model(torch.from_numpy(x)).float().numpy()

    return run


def onnx_backend(path: str | os.PathLike, threads: int | None = None) -> Backend:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    # Idle ORT threads would otherwise spin after each call and steal the cores from the face
    # detector that runs between calls (a one-face photo took 70 ms instead of 50 on 2 cores).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name

    def run(x: np.ndarray) -> np.ndarray:
        return sess.run(None, {name: x})[0]

    return run


@dataclass
class Recognizer:
    """Detect faces and recognise their expressions."""

    checkpoint: Checkpoint
    detector: Detector
    backend: Backend
    margin: float = 0.1
    batch_size: int = 256
    uncertain_below: float = 0.0  # flag faces whose top probability is below this
    info: dict = field(default_factory=dict)

    @classmethod
    def from_pretrained(cls, weights: str | os.PathLike = "default", *, detector: str | Detector = "haar",
                        detector_model: str | None = None, backend: str = "torch", threads: int | None = None,
                        uncertain_below: float = 0.0) -> Recognizer:
        """Load a shipped model by name (``"default"``) or a checkpoint path; no network is ever used.

        ``backend="onnx"`` runs the classifier with ONNX Runtime, exporting the checkpoint to a cached
        ``.onnx`` file beside the user cache on first use.
        """
        ckpt = load_checkpoint(weights)
        if backend == "torch":
            run = torch_backend(ckpt.model, threads)
        elif backend == "onnx":
            from .export import cached_onnx

            run = onnx_backend(cached_onnx(resolve_weights(weights)), threads)
        else:
            raise ValueError(f"unknown backend {backend!r}; choose torch or onnx")
        det = make_detector(detector, detector_model) if isinstance(detector, str) else detector
        return cls(checkpoint=ckpt, detector=det, backend=run, uncertain_below=uncertain_below,
                   info={"weights": str(weights), "backend": backend, "detector": det.name})

    @property
    def classes(self) -> tuple[str, ...]:
        return self.checkpoint.classes

    def predict_faces(self, faces: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Calibrated class probabilities ``(N, C)`` for face crops (uint8 grey; any size, resized as in
        training)."""
        pre = self.checkpoint.preprocess
        if isinstance(faces, np.ndarray) and faces.ndim == 2:
            faces = faces[None]
        if len(faces) == 0:
            return np.zeros((0, len(self.classes)), np.float32)
        s = pre.image_size
        arr = np.stack([_fit(f, s) for f in faces]).astype(np.float32)
        arr = ((arr / 255.0 - pre.mean) / pre.std)[:, None]
        logits = np.concatenate([self.backend(np.ascontiguousarray(arr[i:i + self.batch_size]))
                                 for i in range(0, len(arr), self.batch_size)])
        return softmax(logits, self.checkpoint.temperature)

    def detect(self, image: np.ndarray) -> tuple[np.ndarray, list]:
        gray = to_gray(image)
        return gray, self.detector.detect(gray, image if image.ndim == 3 else None)

    def predict(self, image: str | os.PathLike | np.ndarray) -> list[Face]:
        """Every face in an image (a path, or a uint8 RGB/grey array), largest first."""
        rgb = load_image(image) if isinstance(image, (str, Path)) else _as_array(image)
        dets, crops = self.find_faces(rgb)
        return self.faces(dets, self.predict_faces(crops))

    def find_faces(self, image: np.ndarray) -> tuple[list, list[np.ndarray]]:
        """Detections in a uint8 image and their face crops, cropped exactly as for :meth:`predict`; with
        :meth:`faces`, this lets callers send the crops of many images through the network at once."""
        gray, dets = self.detect(image)
        return dets, [crop_face(gray, d.box, self.checkpoint.preprocess.image_size, self.margin) for d in dets]

    def faces(self, detections: Sequence, probs: np.ndarray) -> list[Face]:
        """:class:`Face` results from detections and their rows of :meth:`predict_faces`."""
        return [self._face(d.box, p, d.score) for d, p in zip(detections, probs)]

    def _face(self, box, p: np.ndarray, score: float, track_id: int | None = None) -> Face:
        k = int(p.argmax())
        return Face(box=tuple(int(v) for v in box), label=self.classes[k],
                    probs={c: float(v) for c, v in zip(self.classes, p)}, detector_score=float(score),
                    track_id=track_id, uncertain=bool(p[k] < self.uncertain_below))


def _fit(face: np.ndarray, size: int) -> np.ndarray:
    """A face crop as uint8 grey ``size``×``size`` (resized with area averaging, as crops are)."""
    gray = to_gray(face)
    if gray.shape != (size, size):
        gray = crop_face(gray, (0, 0, gray.shape[1], gray.shape[0]), size, margin=0.0)
    return gray


def _as_array(image) -> np.ndarray:
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise ValueError(f"expected a uint8 image array, got {image.dtype}")
        if image.ndim == 3 and image.shape[2] == 4:
            return image[..., :3]
        return image
    from PIL import Image

    if isinstance(image, Image.Image):
        return to_rgb_array(image)
    raise TypeError(f"cannot read an image from {type(image).__name__}")
