"""``ferkit bench``: the speed of the inference pipeline on this machine, for docs/benchmarks.md.

Inputs are the Grace Hopper portrait that ships with matplotlib (a real photo with one face), placed in
a 640×480 frame; the video is that frame drifting a few pixels per frame, written to a temporary file.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from ..data.decode import load_image
from .pipeline import Recognizer


def sample_photo() -> Path:
    """The public-domain Grace Hopper portrait shipped in matplotlib's sample data."""
    import matplotlib.cbook

    return Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def frame_640x480(rgb: np.ndarray) -> np.ndarray:
    """The photo scaled to 480 px high, centred in a 640×480 grey frame."""
    h, w = rgb.shape[:2]
    s = 480 / h
    small = cv2.resize(rgb, (round(w * s), 480), interpolation=cv2.INTER_AREA)[:, :640]
    frame = np.full((480, 640, 3), 128, np.uint8)
    x0 = (640 - small.shape[1]) // 2
    frame[:, x0 : x0 + small.shape[1]] = small
    return frame


def best_rate(fn: Callable[[], object], n_items: int, repeats: int, min_time: float = 0.5) -> float:
    """Items per second: the median of ``repeats`` timings, each looping ``fn`` (``n_items`` per call) for at
    least ``min_time``, after one warm-up call. Also what ``bench/`` scripts time with."""
    fn()  # warm-up
    rates = []
    for _ in range(repeats):
        k, t0 = 0, time.perf_counter()
        while True:
            fn()
            k += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        rates.append(k * n_items / dt)
    return statistics.median(rates)


def run_benchmarks(weights: str = "default", backends: list[str] | None = None, quick: bool = False) -> dict:
    repeats, min_time = (1, 0.1) if quick else (5, 0.5)
    from ..runtime import INT8_FEATURES, cpu_flags, cpu_name

    shown = " ".join(f for f in ("avx2", "avx512f", "avx512_bf16", *INT8_FEATURES) if f in cpu_flags())
    out: dict = {
        "model": str(weights),
        "machine": f"{cpu_name()}, {os.cpu_count()} CPUs ({platform.machine()}; {shown or 'no SIMD flags read'})",
        "backends": {},
    }
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, size=(256, 48, 48), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        frame = frame_640x480(load_image(sample_photo()))
        photo = Path(tmp) / "photo.jpg"
        cv2.imwrite(str(photo), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        video = Path(tmp) / "video.mp4"
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30, (640, 480))
        n_video = 20 if quick else 150
        for i in range(n_video):
            shift = np.float32([[1, 0, 8 * np.sin(i / 10)], [0, 1, 4 * np.cos(i / 15)]])
            moved = cv2.warpAffine(frame, shift, (640, 480), borderMode=cv2.BORDER_REPLICATE)
            writer.write(cv2.cvtColor(moved, cv2.COLOR_RGB2BGR))
        writer.release()
        for backend in backends or ["onnx", "onnx-int8", "torch"]:
            runtime, _, precision = backend.partition("-")  # "onnx-int8": the int8 twin on ONNX Runtime
            rec = Recognizer.from_pretrained(weights, backend=runtime, precision=precision or "fp32")
            out["backends"][backend] = _bench_recognizer(rec, crops, photo, video, repeats, min_time)
    return out


def _bench_recognizer(
    rec: Recognizer, crops: np.ndarray, photo: Path, video: Path, repeats: int, min_time: float
) -> dict:
    """Crops per second (batch 1 and 256), ms per photo from its file, frames per second of a video."""
    rate = lambda fn, n: best_rate(fn, n, repeats, min_time)
    res = {
        "faces_per_s_batch1": rate(lambda: rec.predict_faces(crops[:1]), 1),
        "faces_per_s_batch256": rate(lambda: rec.predict_faces(crops), 256),
        "photo_ms": 1000 / rate(lambda: rec.predict(photo), 1),
        "faces_in_photo": len(rec.predict(photo)),
    }
    t0 = time.perf_counter()
    vr = rec.predict_video(video)
    res["video_fps"] = vr.summary["frames_sampled"] / (time.perf_counter() - t0)
    res["video_frames_with_faces"] = vr.summary["frames_with_faces"]
    return res
