"""Expressions over time in videos and camera streams: tracked faces, smoothed probabilities."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..data.decode import ImageError, Video, to_gray
from ..faces.detect import detect_near
from .results import Face, FrameFace, VideoResult

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Recognizer


def iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


def match_boxes(a: list[tuple], b: list[tuple], min_iou: float) -> dict[int, int]:
    """Greedy one-to-one matching of boxes ``a`` and ``b`` by IoU, best pairs first: ``{index in b: index
    in a}`` for every pair that overlaps by at least ``min_iou``."""
    pairs = sorted(((iou(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)), reverse=True)
    matched: dict[int, int] = {}
    used: set[int] = set()
    for score, i, j in pairs:
        if score < min_iou:
            break
        if i not in used and j not in matched:
            matched[j] = i
            used.add(i)
    return matched


@dataclass
class _Track:
    box: tuple
    probs: np.ndarray
    missed: int = 0


@dataclass
class Tracker:
    """Keeps a stable id per face across frames (greedy IoU matching) and smooths its probabilities with
    an exponential moving average: ``p = smoothing * p_prev + (1 - smoothing) * p_now``."""

    smoothing: float = 0.6
    min_iou: float = 0.3
    max_missed: int = 10
    tracks: dict[int, _Track] = field(default_factory=dict)
    next_id: int = 1

    def update(self, boxes: list[tuple], probs: np.ndarray) -> list[tuple[int, np.ndarray]]:
        ids = list(self.tracks)  # in the order they began: ties go as they always did
        matched = match_boxes([self.tracks[t].box for t in ids], boxes, self.min_iou)
        assigned = {j: ids[i] for j, i in matched.items()}
        out = []
        for j, box in enumerate(boxes):
            tid = assigned.get(j)
            if tid is None:
                tid, self.next_id = self.next_id, self.next_id + 1
                self.tracks[tid] = _Track(box, probs[j].copy())
            else:
                t = self.tracks[tid]
                t.probs = self.smoothing * t.probs + (1 - self.smoothing) * probs[j]
                t.box, t.missed = box, 0
            out.append((tid, self.tracks[tid].probs))
        seen = {tid for tid, _ in out}
        for tid in list(self.tracks):
            if tid not in seen:
                self.tracks[tid].missed += 1
                if self.tracks[tid].missed > self.max_missed:
                    del self.tracks[tid]
        return out


def track_stream(
    recognizer: Recognizer, stream: Iterable[np.ndarray], tracker: Tracker, detect_every: int = 5
) -> Iterator[tuple[np.ndarray, list[Face]]]:
    """Each RGB frame with its faces: track ids and smoothed probabilities.

    The whole frame is searched every ``detect_every`` frames (and whenever no face is being tracked);
    in between, only the neighbourhood of each tracked face is (see :func:`ferkit.faces.detect.detect_near`)."""
    for i, rgb in enumerate(stream):
        live = [t.box for t in tracker.tracks.values() if t.missed == 0]
        if detect_every > 1 and live and i % detect_every:
            gray = to_gray(rgb)
            dets = detect_near(recognizer.detector, gray, live, rgb if rgb.ndim == 3 else None)
        else:
            gray, dets = recognizer.detect(rgb)
        crops, aligned = recognizer.crop(gray, dets)
        probs = recognizer.predict_faces(crops, recognizer.widths(dets))
        tracked = tracker.update([d.box for d in dets], probs)
        smoothed = np.stack([p for _, p in tracked]) if tracked else probs
        yield rgb, recognizer.faces(dets, smoothed, [tid for tid, _ in tracked], aligned)


#: Encoders tried for annotated videos, best first: H.264 plays everywhere, but OpenCV's PyPI wheels have
#: no H.264 encoder, so VP8 in WebM comes next (every current browser plays it; about 12 ms a 640x480
#: frame on a 2-core CPU against 1 ms for the last resort, MPEG-4 Part 2, which browsers do not play).
VIDEO_CODECS = (("avc1", ".mp4", "H.264"), ("VP80", ".webm", "VP8 (WebM)"), ("mp4v", ".mp4", "MPEG-4 Part 2"))


def open_video_writer(path: str | os.PathLike, fps: float, size: tuple[int, int]) -> tuple[cv2.VideoWriter, Path, str]:
    """A writer with the best encoder this OpenCV build has (:data:`VIDEO_CODECS`), the file it writes
    (``path`` with that container's suffix) and the codec's name. Encoders that are missing fail quietly
    (OpenCV would print FFmpeg's complaints for each one tried)."""
    quiet = cv2.utils.logging.LOG_LEVEL_SILENT
    before = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(quiet)
    try:
        for fourcc, suffix, name in VIDEO_CODECS:
            out = Path(path).with_suffix(suffix)
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*fourcc), fps, size)
            if writer.isOpened():
                return writer, out, name
            writer.release()
    finally:
        cv2.utils.logging.setLogLevel(before)
    raise OSError(f"{path}: this OpenCV build can write no video format ({', '.join(c[2] for c in VIDEO_CODECS)})")


def process_video(
    recognizer: Recognizer,
    path: str | os.PathLike,
    *,
    sample_fps: float | None = None,
    smoothing: float = 0.6,
    annotate_to: str | os.PathLike | None = None,
    detect_every: int = 5,
    on_frame: Callable[[int, int], None] | None = None,
) -> VideoResult:
    """Run on a video file: faces per sampled frame, a summary, optionally an annotated copy. Raises
    :class:`ImageError` for a file that is not a readable video."""
    from .annotate import draw_faces

    with Video(path) as video:
        step = max(1, round(video.fps / sample_fps)) if sample_fps else 1
        writer = None
        result = VideoResult(path=str(path))
        if annotate_to is not None:
            writer, written, codec = open_video_writer(annotate_to, video.fps / step, video.size)
            result.annotated, result.annotated_codec = str(written), codec
        indices: list[int] = []

        def sampled() -> Iterator[np.ndarray]:
            for index, rgb in video.frames(step):
                indices.append(index)
                if on_frame:
                    on_frame(index + 1, video.frame_count)
                yield rgb

        try:
            for rgb, faces in track_stream(recognizer, sampled(), Tracker(smoothing=smoothing), detect_every):
                result.frames += [FrameFace(indices[-1], round(indices[-1] / video.fps, 3), f) for f in faces]
                if writer is not None:
                    writer.write(cv2.cvtColor(draw_faces(rgb, faces), cv2.COLOR_RGB2BGR))
        finally:
            if writer is not None:
                writer.release()
    if not indices:
        raise ImageError(f"{path}: no frames could be read", "bad_video")
    rows = [f.to_dict() for f in result.frames]
    result.summary = summarize(rows, recognizer.classes, len(indices), video.fps, step)
    if not rows:
        result.status, result.error = "no_face", f"{path}: no face found in any sampled frame"
    return result


def summarize(rows: list[dict], classes: tuple[str, ...], n_frames: int, fps: float, step: int) -> dict:
    """Per-video and per-track mean probabilities and dominant expressions."""
    tracks: dict[int, list[dict]] = {}
    for r in rows:
        tracks.setdefault(r["track_id"], []).append(r)

    def mean_probs(rs: list[dict]) -> dict[str, float]:
        return {c: round(float(np.mean([r["probs"][c] for r in rs])), 4) for c in classes} if rs else {}

    per_track = {}
    for tid, rs in tracks.items():
        mp = mean_probs(rs)
        span = {"frames": len(rs), "first_s": rs[0]["time_s"], "last_s": rs[-1]["time_s"]}
        per_track[str(tid)] = {**span, "dominant": max(mp, key=mp.get), "mean_probs": mp}
    overall = mean_probs(rows)
    frames = {"frames_sampled": n_frames, "fps": round(fps, 3), "sample_every": step}
    frames.update(frames_with_faces=len({r["frame"] for r in rows}), faces=len(rows), tracks=per_track)
    return {**frames, "dominant": max(overall, key=overall.get) if overall else None, "mean_probs": overall}
