"""The one inference path: decode → detect → crop → classify (batched across faces and images) → results.

Every entry point goes through :class:`Recognizer`: the Python API (:meth:`Recognizer.predict`), ``ferkit
predict`` on folders (:mod:`~ferkit.inference.batch`, with :meth:`~Recognizer.locate` and
:meth:`~Recognizer.classify` so the faces of many images share one network batch), videos and the webcam
(:mod:`~ferkit.inference.video`), the REST service and ``ferkit bench``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data.decode import MAX_PIXELS, ImageError, load_image, to_gray
from ..faces.align import ALIGN_MODES, align_face
from ..faces.crop import crop_face, framed_side
from ..faces.detect import Detection, Detector, make_detector
from ..models.model import Model, load_model
from .results import Face, ImageResult, VideoResult, make_face

log = logging.getLogger(__name__)


@dataclass
class Located:
    """An image after decoding, detection and cropping, waiting for its faces to be classified."""

    result: ImageResult
    detections: list[Detection]
    crops: list[np.ndarray]
    image: np.ndarray | None = None  # the decoded image, kept only when asked for (annotation)
    aligned: list[bool | None] = field(default_factory=list)  # per crop: aligned, fell back, or not asked


@dataclass
class Recognizer:
    """Detect faces and recognise their expressions."""

    model: Model
    detector: Detector
    margin: float = 0.1  # FER2013-like framing around a detector's box (when not aligning)
    align: str = "level"  # "level", "keep-tilt" (keypoints warped onto FER2013's template) or "none" (box crops)
    uncertain_below: float = 0.0  # flag faces whose top probability is below this
    max_pixels: int = MAX_PIXELS  # an image's width x height, checked before decoding
    max_bytes: int | None = None  # an encoded image's size (the service sets its upload limit)

    @classmethod
    def from_pretrained(
        cls,
        weights: str | os.PathLike = "default",
        *,
        detector: str | Detector = "yunet",
        detector_model: str | None = None,
        backend: str = "onnx",
        threads: int | None = None,
        uncertain_below: float = 0.0,
        align: str = "level",
        classes: str | Sequence[str] | None = None,
        precision: str = "auto",
    ) -> Recognizer:
        """Load a shipped model by name (``"default"``), a checkpoint or an ``.onnx`` export; no network is
        ever used. ``backend`` is ``"onnx"`` (ONNX Runtime, no torch needed) or ``"torch"``; ``align`` is
        ``"level"`` (the default: chosen end to end on JAFFE, Yale and rotated faces), ``"keep-tilt"`` or
        ``"none"`` (box crops); see :mod:`ferkit.faces.align`. ``classes`` (e.g. ``"happy,sad,neutral"``) restricts the
        model's probabilities to those classes, renormalised. ``precision``: the shipped models' int8
        twins (``int8``), float32 (``fp32``), or int8 where the processor has int8 dot products (``auto``)."""
        if align not in ALIGN_MODES:
            raise ValueError(f"unknown alignment {align!r}; choose {', '.join(ALIGN_MODES)}")
        if isinstance(detector, str):
            detector = make_detector(detector, detector_model, threads)
        model = load_model(weights, backend=backend, classes=classes, threads=threads, precision=precision)
        return cls(model, detector, uncertain_below=uncertain_below, align=align)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.model.classes

    @property
    def info(self) -> dict[str, Any]:
        return {"model": self.model.name, "backend": self.model.backend, "detector": self.detector.name}

    # ------------------------------------------------------------------ the stages

    def detect(self, image: np.ndarray) -> tuple[np.ndarray, list[Detection]]:
        """The grey image and the faces found in a decoded (RGB or grey) image, largest first."""
        gray = to_gray(image)
        return gray, self.detector.detect(gray, image if image.ndim == 3 else None)

    @property
    def crop_margin(self) -> float:
        """The margin box crops get: FER2013's framing around a detector's box, none around a whole image."""
        return 0.0 if self.detector.whole_image else self.margin

    def crop(self, gray: np.ndarray, detections: Sequence[Detection]) -> tuple[list[np.ndarray], list[bool | None]]:
        """Face crops at the classifier's input size, and per crop whether it was aligned (None: alignment
        off). A face whose keypoints cannot place it falls back to its box crop (``False``); a whole-image
        "detection" is used as it is."""
        size = self.model.preprocess.image_size
        if self.detector.whole_image:
            return [crop_face(gray, d.box, size, self.crop_margin) for d in detections], [None] * len(detections)
        crops, aligned = [], []
        for d in detections:
            face = None
            if self.align != "none" and d.keypoints:
                face = align_face(gray, d.keypoints, size, level=self.align == "level")
            crops.append(face if face is not None else crop_face(gray, d.box, size, self.crop_margin))
            aligned.append(None if self.align == "none" else face is not None)
        return crops, aligned

    def widths(self, detections: Sequence[Detection]) -> list[float]:
        """How many pixels wide each face's crop is in its photo (the box with FER2013's margin): what the
        checkpoint's small-face calibration reads."""
        return [framed_side(d.box, self.crop_margin) for d in detections]

    def predict_faces(
        self, faces: np.ndarray | Sequence[np.ndarray], widths: Sequence[float] | None = None
    ) -> np.ndarray:
        """Calibrated class probabilities ``(N, C)`` for uint8 grey face crops (any size), each ``widths``
        pixels wide in its photo (by default, as wide as the crop)."""
        if widths is None:
            widths = [max(np.shape(f)[:2]) for f in faces]
        return self.model.probs(faces, widths=widths)

    def faces(
        self,
        detections: Sequence[Detection],
        probs: np.ndarray,
        track_ids: Sequence[int] | None = None,
        aligned: Sequence[bool | None] | None = None,
    ) -> list[Face]:
        """:class:`Face` results from detections and their rows of probabilities."""
        ids = track_ids if track_ids is not None else [None] * len(detections)
        flags = aligned if aligned is not None else [None] * len(detections)
        below = self.uncertain_below
        return [
            make_face(
                d.box, p, self.classes, d.score, track_id=t, uncertain_below=below, keypoints=d.keypoints, aligned=a
            )
            for d, p, t, a in zip(detections, probs, ids, flags)
        ]

    def locate(
        self, source: Any, *, name: str | None = None, keep_image: bool = False, max_pixels: int | None = None
    ) -> Located:
        """Decode, detect and crop one image; raises :class:`ImageError` for input that is not a usable
        image (the message names it). ``max_pixels`` lowers the recognizer's own limit for this image."""
        label = name or (str(source) if isinstance(source, (str, os.PathLike)) else None)
        most = self.max_pixels if max_pixels is None else min(self.max_pixels, max_pixels)
        image = load_image(source, name=label, max_pixels=most, max_bytes=self.max_bytes)
        gray, dets = self.detect(image)
        result = ImageResult(path=label, width=int(image.shape[1]), height=int(image.shape[0]))
        crops, aligned = self.crop(gray, dets)
        return Located(result, dets, crops, image if keep_image else None, aligned)

    def classify(self, located: Sequence[Located]) -> list[ImageResult]:
        """Classify the faces of many located images in one network batch and complete their results."""
        crops = [c for item in located for c in item.crops]
        probs = self.predict_faces(crops, [w for item in located for w in self.widths(item.detections)])
        k = 0
        for item in located:
            n = len(item.crops)
            item.result.faces = self.faces(item.detections, probs[k : k + n], aligned=item.aligned or None)
            k += n
            if not item.result.faces and item.result.status == "ok":
                item.result.status, item.result.error = "no_face", f"{item.result.path or 'image'}: no face found"
        return [item.result for item in located]

    # ------------------------------------------------------------------ entry points

    def predict(self, image: Any, *, name: str | None = None) -> ImageResult:
        """Every face in one image — a path, encoded bytes, a uint8 RGB/grey array or a PIL image —
        largest first. Bad input raises :class:`ImageError`."""
        return self.classify([self.locate(image, name=name)])[0]

    def predict_many(
        self, images: Iterable[Any], names: Sequence[str] | None = None, *, pixel_budget: int | None = None
    ) -> list[ImageResult]:
        """Results for many images, their faces classified in one batch; an input that cannot be used gets
        a result with ``status="error"`` and the others still run. ``pixel_budget`` caps the pixels of all
        the images together (each is checked against what is left before it is decoded)."""
        located = []
        left = pixel_budget
        for i, image in enumerate(images):
            name = names[i] if names is not None else None
            item = self.locate_or_error(image, name=name, max_pixels=left)
            if left is not None and item.result.error_code == "too_many_pixels" and left < self.max_pixels:
                item.result.error_code = "batch_too_large"
                item.result.error = (
                    f"{item.result.path}: the batch's images exceed {pixel_budget / 1e6:g} megapixels in total; "
                    "send fewer or smaller images per request"
                )
            if left is not None:
                left -= item.result.width * item.result.height
            located.append(item)
        return self.classify(located)

    def locate_or_error(
        self, source: Any, *, name: str | None = None, keep_image: bool = False, max_pixels: int | None = None
    ) -> Located:
        """:meth:`locate`, or for an input that fails, an error result naming it, so that one input never
        costs a batch the others: bad input (:class:`ImageError`, unreadable files) says what is wrong with
        it; anything else is logged with its traceback and reported as a failure of ferkit, not the input."""
        label = name or _label(source)
        try:
            return self.locate(source, name=name, keep_image=keep_image, max_pixels=max_pixels)
        except (ImageError, OSError) as exc:
            return Located(error_result(label, exc), [], [])
        except Exception as exc:  # noqa: BLE001 - a bug must not take the rest of the batch with it
            log.exception("%s: failed", label)
            reason = RuntimeError(f"could not be processed ({type(exc).__name__}: {str(exc).splitlines()[0]})")
            return Located(error_result(label, reason), [], [])

    def predict_video(self, path: str | os.PathLike, **kwargs: Any) -> VideoResult:
        """Tracked faces per sampled frame of a video file (see :func:`ferkit.inference.video.process_video`)."""
        from .video import process_video

        return process_video(self, path, **kwargs)

    def track(
        self, frames: Iterable[np.ndarray], *, smoothing: float = 0.6, detect_every: int = 5
    ) -> Iterator[tuple[np.ndarray, list[Face]]]:
        """Each RGB frame of a stream (a camera) with its tracked, smoothed faces."""
        from .video import Tracker, track_stream

        return track_stream(self, frames, Tracker(smoothing=smoothing), detect_every)


def error_result(path: str | None, exc: Exception) -> ImageResult:
    """The result of an input that failed, with a one-line reason that names it and its kind."""
    msg = str(exc)
    code = getattr(exc, "code", None) or ("unreadable" if isinstance(exc, OSError) else "failed")
    return ImageResult(path, status="error", error=msg if (path and path in msg) else f"{path}: {msg}", error_code=code)


def _label(source: Any) -> str:
    return str(source) if isinstance(source, (str, os.PathLike)) else type(source).__name__
