"""Where the time of a one-face 640×480 photo goes: the Haar cascade at several search sizes and scale steps.

`ferkit bench` reports the end-to-end ms per photo; this splits out the detector, which dominates it,
so that users can trade recall of small faces for speed (HaarDetector(max_side=..., scale_factor=...)).

    .venv/bin/python bench/haar_speed.py [--repeats 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import cv2

from ferkit.bench import frame_640x480, sample_photo
from ferkit.faces import HaarDetector
from ferkit.imageio import load_image


def ms_per_call(fn, repeats: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    frame = frame_640x480(load_image(sample_photo()))
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    rows = []
    for max_side in (640, 480, 400, 320):
        for scale_factor in (1.1, 1.2):
            det = HaarDetector(max_side=max_side, scale_factor=scale_factor)
            faces = det.detect(gray)
            rows.append({"max_side": max_side, "scale_factor": scale_factor,
                         "detect_ms": round(ms_per_call(lambda: det.detect(gray), args.repeats), 1),
                         "faces": len(faces)})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print("max_side  scale_factor  detect_ms  faces")
        for r in rows:
            print(f"{r['max_side']:>8}  {r['scale_factor']:>12}  {r['detect_ms']:>9}  {r['faces']:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
