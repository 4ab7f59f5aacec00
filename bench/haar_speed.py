"""Where the time of a one-face 640×480 photo goes, and what a faster Haar search costs in recall.

`ferkit bench` reports the end-to-end ms per photo; this splits out the detector, which dominates it,
so that users can trade recall of small faces for speed (``HaarDetector(max_side=..., scale_factor=...)``).
Speed is measured on the Grace Hopper photo in a 640×480 frame. Recall is measured, when FER2013 is
present, on its first 400 PublicTest faces, each pasted at a random size (40–220 px) and place into a
640×480 frame of blurred noise: a hit is a box centred on the face at 0.4–1.3× its size; every other
box is a false positive. (FER2013 crops are tight and partly non-frontal, so absolute recall is low;
the comparison between settings is the point.)

    .venv/bin/python bench/haar_speed.py [--repeats 20] [--fer2013 ../shared/datasets/fer2013.zip] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from ferkit.data.decode import load_image
from ferkit.faces.haar import HaarDetector
from ferkit.inference.bench import frame_640x480, sample_photo

SETTINGS = [(max_side, sf) for max_side in (640, 480, 400, 320) for sf in (1.1, 1.2)]
SIZE_BINS = ((40, 60), (60, 100), (100, 221))


def ms_per_call(fn, repeats: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats * 1000


def recall_frames(fer2013: Path, n: int = 400, seed: int = 0) -> list[tuple[np.ndarray, tuple[int, int, int]]]:
    """Frames of one pasted PublicTest face each, with the face's (x, y, side)."""
    from ferkit.data.dataset import load_dataset

    data = load_dataset(fer2013)
    rng = np.random.default_rng(seed)
    frames = []
    for i in np.flatnonzero(data.splits == "val")[:n]:
        s = int(rng.integers(40, 221))
        frame = cv2.GaussianBlur(np.clip(rng.normal(128, 20, (480, 640)), 0, 255).astype(np.uint8), (0, 0), 3)
        x, y = int(rng.integers(0, 640 - s)), int(rng.integers(0, 480 - s))
        frame[y : y + s, x : x + s] = cv2.resize(data.images[i], (s, s), interpolation=cv2.INTER_LINEAR)
        frames.append((frame, (x, y, s)))
    return frames


def recall(det: HaarDetector, frames) -> dict:
    hits = {b: [] for b in SIZE_BINS}
    false_pos = 0
    for frame, (x, y, s) in frames:
        found = False
        for d in det.detect(frame):
            bx, by, bw, bh = d.box
            cx, cy = bx + bw / 2, by + bh / 2
            if x <= cx <= x + s and y <= cy <= y + s and 0.4 * s <= bw <= 1.3 * s:
                found = True
            else:
                false_pos += 1
        hits[next(b for b in SIZE_BINS if b[0] <= s < b[1])].append(found)
    out = {f"recall_{lo}-{hi - 1}px": round(float(np.mean(v)), 3) for (lo, hi), v in hits.items()}
    out["recall"] = round(float(np.mean(sum(hits.values(), []))), 3)
    out["false_positives"] = false_pos
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--fer2013", type=Path, default=Path("../shared/datasets/fer2013.zip"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    frame = frame_640x480(load_image(sample_photo()))
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    frames = recall_frames(args.fer2013) if args.fer2013.exists() else None
    if frames is None:
        print(f"{args.fer2013} not found: measuring speed only", file=sys.stderr)
    rows = []
    for max_side, scale_factor in SETTINGS:
        det = HaarDetector(max_side=max_side, scale_factor=scale_factor)
        row = {
            "max_side": max_side,
            "scale_factor": scale_factor,
            "detect_ms": round(ms_per_call(lambda d=det: d.detect(gray), args.repeats), 1),
            "faces": len(det.detect(gray)),
        }
        if frames is not None:
            row.update(recall(det, frames))
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        keys = list(rows[0])
        print("  ".join(keys))
        for r in rows:
            print("  ".join(f"{r[k]:>{len(k)}}" for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
