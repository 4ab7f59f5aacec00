"""Results as data: a :class:`Face`, an :class:`ImageResult` (the faces of one image), a
:class:`VideoResult` (faces per frame, tracked) — each with ``to_dict()`` for JSON and ``to_pandas()``
for analysis. :func:`face_rows` flattens any of them to one row per face (per face per frame for videos);
the CSV writer and the DataFrames use it, so their columns are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Box = tuple[int, int, int, int]


@dataclass
class Face:
    """One face: where it is and what expression it shows."""

    box: Box  # x, y, width, height in image pixels
    label: str
    probs: dict[str, float]
    detector_score: float
    track_id: int | None = None
    uncertain: bool = False
    keypoints: list[tuple[float, float]] | None = None  # eyes, nose tip, mouth corners, where the detector gives them
    aligned: bool | None = None  # warped onto FER2013's template (False: fell back to the box crop; None: not asked)

    @property
    def confidence(self) -> float:
        return self.probs[self.label]

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"box": list(self.box), "label": self.label, "confidence": round(self.confidence, 4)}
        d.update(probs={k: round(v, 4) for k, v in self.probs.items()}, detector_score=round(self.detector_score, 3))
        if self.keypoints is not None:
            d["keypoints"] = [[round(x, 1), round(y, 1)] for x, y in self.keypoints]
        if self.aligned is not None:
            d["aligned"] = self.aligned
        if self.track_id is not None:
            d["track_id"] = self.track_id
        if self.uncertain:
            d["uncertain"] = True
        return d


def make_face(
    box: Sequence[float],
    probs: np.ndarray,
    classes: Sequence[str],
    score: float,
    *,
    track_id: int | None = None,
    uncertain_below: float = 0.0,
    keypoints: Sequence[Sequence[float]] | None = None,
    aligned: bool | None = None,
) -> Face:
    """A :class:`Face` from a detection and its row of calibrated probabilities."""
    k = int(np.argmax(probs))
    return Face(
        box=tuple(int(v) for v in box),
        label=classes[k],
        probs={c: float(v) for c, v in zip(classes, probs)},
        detector_score=float(score),
        track_id=track_id,
        uncertain=bool(probs[k] < uncertain_below),
        keypoints=[(float(x), float(y)) for x, y in keypoints] if keypoints is not None else None,
        aligned=aligned,
    )


@dataclass
class ImageResult:
    """The faces of one image, largest first. Iterating it iterates its faces.

    ``status`` is ``ok``, ``no_face`` or ``error`` (then ``error`` says why, naming the input)."""

    path: str | None = None
    width: int = 0
    height: int = 0
    faces: list[Face] = field(default_factory=list)
    status: str = "ok"
    error: str | None = None
    annotated: str | None = None
    error_code: str | None = None  # with status "error": what kind (not_an_image, too_many_pixels, ...)

    kind = "image"

    def __iter__(self) -> Iterator[Face]:
        return iter(self.faces)

    def __len__(self) -> int:
        return len(self.faces)

    def __getitem__(self, i: int) -> Face:
        return self.faces[i]

    def to_dict(self) -> dict:
        d = dict(path=self.path, kind="image", status=self.status, error=self.error, width=self.width)
        d.update(height=self.height, faces=[f.to_dict() for f in self.faces])
        if self.error_code:
            d["error_code"] = self.error_code
        if self.annotated:
            d["annotated"] = self.annotated
        return d

    def to_pandas(self):
        """One row per face (one row with the status where there is none)."""
        return to_pandas([self])


@dataclass
class FrameFace:
    """A face in one video frame."""

    frame: int
    time_s: float
    face: Face

    def to_dict(self) -> dict:
        return {"frame": self.frame, "time_s": self.time_s, **self.face.to_dict()}


@dataclass
class VideoResult:
    """Faces per sampled frame of a video (tracked, smoothed), and a per-video summary."""

    path: str | None = None
    frames: list[FrameFace] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    status: str = "ok"
    error: str | None = None
    annotated: str | None = None
    annotated_codec: str | None = None  # e.g. "VP8 (WebM)": what this OpenCV build could write

    kind = "video"

    def to_dict(self) -> dict:
        d = dict(path=self.path, kind="video", status=self.status, error=self.error)
        d.update(faces=[f.to_dict() for f in self.frames], summary=self.summary)  # faces: one per face per frame
        if self.annotated:
            d["annotated"], d["annotated_codec"] = self.annotated, self.annotated_codec
        return d

    def to_pandas(self):
        """One row per face per sampled frame: frame, time, track id, box, label, probabilities."""
        return to_pandas([self])


Result = ImageResult | VideoResult


#: The CSV's and DataFrames' columns before the per-class probabilities ``p_<class>``.
FACE_COLUMNS = (
    "path kind status error frame time_s track_id x y w h label confidence detector_score keypoints aligned"
).split()


def face_columns(classes: Sequence[str]) -> list[str]:
    return FACE_COLUMNS + [f"p_{c}" for c in classes]


def face_rows(result: dict | Result) -> list[dict]:
    """One flat row per face (per face per frame for videos); an input without faces gets one row with its
    status. Takes a result or its ``to_dict()``."""
    r = result if isinstance(result, dict) else result.to_dict()
    base = {"path": r["path"], "kind": r["kind"], "status": r["status"], "error": r["error"] or ""}
    rows = []
    for f in r.get("faces") or []:
        kp = f.get("keypoints")
        rows.append(
            {
                **base,
                **{k: f.get(k, "") for k in ("frame", "time_s", "track_id")},
                **dict(zip("xywh", f["box"])),
                **{k: f[k] for k in ("label", "confidence", "detector_score")},
                "keypoints": " ".join(f"{a},{b}" for a, b in kp) if kp else "",
                "aligned": f.get("aligned", ""),
                **{f"p_{c}": p for c, p in f["probs"].items()},
            }
        )
    return rows or [base]


def to_pandas(results: Iterable[dict | Result]):
    """A DataFrame with one row per face over many results (see :func:`face_rows`)."""
    import pandas as pd

    rows = [row for r in results for row in face_rows(r)]
    return pd.DataFrame(rows)
