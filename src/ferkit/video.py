"""Expressions over time in videos and camera streams: tracked faces, smoothed probabilities."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .faces import crop_face, detect_near
from .imageio import ImageError, to_gray
from .predictor import Face, Recognizer

log = logging.getLogger(__name__)


def iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


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
        pairs = sorted(((iou(t.box, b), tid, j) for tid, t in self.tracks.items() for j, b in enumerate(boxes)),
                       reverse=True)
        assigned: dict[int, int] = {}
        used: set[int] = set()
        for score, tid, j in pairs:
            if score < self.min_iou:
                break
            if tid not in used and j not in assigned:
                assigned[j] = tid
                used.add(tid)
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


@dataclass
class VideoResult:
    rows: list[dict]  # one per face per sampled frame
    summary: dict


def frames(path: str | os.PathLike) -> tuple[cv2.VideoCapture, float, int]:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ImageError(f"{path}: cannot open video (unsupported format or corrupt file)")
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    return cap, (fps if 0 < fps < 1000 else 25.0), count


def track_stream(recognizer: Recognizer, stream: Iterator[np.ndarray], tracker: Tracker,
                 detect_every: int = 5) -> Iterator[tuple[np.ndarray, list[Face]]]:
    """Each RGB frame with its faces: track ids and smoothed probabilities.

    The whole frame is searched every ``detect_every`` frames (and whenever no face is being tracked);
    in between, only the neighbourhood of each tracked face is (see :func:`faces.detect_near`)."""
    size = recognizer.checkpoint.preprocess.image_size
    for i, rgb in enumerate(stream):
        live = [t.box for t in tracker.tracks.values() if t.missed == 0]
        if detect_every > 1 and live and i % detect_every:
            gray = to_gray(rgb)
            dets = detect_near(recognizer.detector, gray, live)
        else:
            gray, dets = recognizer.detect(rgb)
        crops = [crop_face(gray, d.box, size, recognizer.margin) for d in dets]
        probs = recognizer.predict_faces(np.stack(crops)) if crops else np.zeros((0, len(recognizer.classes)))
        tracked = tracker.update([d.box for d in dets], probs)
        yield rgb, [recognizer._face(d.box, p, d.score, tid) for d, (tid, p) in zip(dets, tracked)]


def process_video(recognizer: Recognizer, path: str | os.PathLike, *, sample_fps: float | None = None,
                  smoothing: float = 0.6, annotate_to: str | os.PathLike | None = None, detect_every: int = 5,
                  on_frame: Callable[[int, int], None] | None = None) -> VideoResult:
    """Run on a video file: rows per face per sampled frame, a summary, optionally an annotated copy."""
    from .annotate import draw_faces

    cap, fps, count = frames(path)
    step = max(1, round(fps / sample_fps)) if sample_fps else 1
    writer = None
    if annotate_to is not None:
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        writer = cv2.VideoWriter(str(annotate_to), cv2.VideoWriter_fourcc(*"mp4v"), fps / step, (w, h))
    indices: list[int] = []

    def sampled() -> Iterator[np.ndarray]:
        index = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                return
            if index % step == 0:
                indices.append(index)
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            index += 1
            if on_frame:
                on_frame(index, count)

    rows: list[dict] = []
    try:
        for rgb, faces in track_stream(recognizer, sampled(), Tracker(smoothing=smoothing), detect_every):
            frame = indices[-1]
            for f in faces:
                rows.append({"frame": frame, "time_s": round(frame / fps, 3), **f.to_dict()})
            if writer is not None:
                writer.write(cv2.cvtColor(draw_faces(rgb, faces), cv2.COLOR_RGB2BGR))
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    if not indices:
        raise ImageError(f"{path}: no frames could be read")
    return VideoResult(rows=rows, summary=summarize(rows, recognizer.classes, len(indices), fps, step))


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
        per_track[str(tid)] = {"frames": len(rs), "first_s": rs[0]["time_s"], "last_s": rs[-1]["time_s"],
                               "dominant": max(mp, key=mp.get), "mean_probs": mp}
    overall = mean_probs(rows)
    return {"frames_sampled": n_frames, "fps": round(fps, 3), "sample_every": step,
            "frames_with_faces": len({r["frame"] for r in rows}), "faces": len(rows), "tracks": per_track,
            "dominant": max(overall, key=overall.get) if overall else None, "mean_probs": overall}


def plot_timeline(rows: list[dict], classes: tuple[str, ...], path: str | os.PathLike, title: str = "") -> None:
    """Smoothed probability of each expression over time, for the longest-lived face."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .annotate import COLORS

    fig, ax = plt.subplots(figsize=(9, 3.5))
    if rows:
        counts: dict[int, int] = {}
        for r in rows:
            counts[r["track_id"]] = counts.get(r["track_id"], 0) + 1
        main = max(counts, key=counts.get)
        rs = [r for r in rows if r["track_id"] == main]
        t = [r["time_s"] for r in rs]
        for c in classes:
            ax.plot(t, [r["probs"][c] for r in rs], label=c, color=np.array(COLORS.get(c, (0, 0, 0))) / 255)
        ax.set_title(title or f"Expression over time (face #{main})")
    else:
        ax.set_title(title or "No faces found")
    ax.set(xlabel="time (s)", ylabel="probability", ylim=(0, 1))
    ax.legend(loc="upper right", fontsize=7, ncol=4)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
