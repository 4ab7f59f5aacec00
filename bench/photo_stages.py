"""Where a one-face 640×480 photo's time goes in ferkit's default pipeline, stage by stage.

    .venv/bin/python bench/photo_stages.py [--calls 400]

Each loop iteration times decoding, grey conversion, detection, alignment and classification one after
the other (as ``Recognizer.predict`` runs them), then one whole ``predict``; medians per stage, and the
spread (10th/50th/90th/99th percentiles) of the whole call. The photo is ``ferkit bench``'s: the Grace
Hopper portrait in a 640×480 frame, written as a JPEG.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ferkit.data.decode import load_image, to_gray
from ferkit.inference.bench import frame_640x480, sample_photo
from ferkit.inference.pipeline import Recognizer


def stage_times(rec: Recognizer, photo: str) -> list[float]:
    t = [time.perf_counter()]
    image = load_image(photo)
    t.append(time.perf_counter())
    gray = to_gray(image)
    t.append(time.perf_counter())
    dets = rec.detector.detect(gray, image)
    t.append(time.perf_counter())
    crops, _ = rec.crop(gray, dets)
    t.append(time.perf_counter())
    rec.predict_faces(crops)
    t.append(time.perf_counter())
    rec.predict(photo)
    t.append(time.perf_counter())
    return [1000 * (b - a) for a, b in zip(t, t[1:])]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=400)
    args = ap.parse_args()
    rec = Recognizer.from_pretrained()
    with tempfile.TemporaryDirectory() as tmp:
        photo = str(Path(tmp) / "photo.jpg")
        cv2.imwrite(photo, cv2.cvtColor(frame_640x480(load_image(sample_photo())), cv2.COLOR_RGB2BGR))
        for _ in range(10):
            stage_times(rec, photo)
        ms = np.array([stage_times(rec, photo) for _ in range(args.calls)])
    names = ["decode", "grey", "detect", "align", "classify", "predict (whole)"]
    out = {f"{n} median ms": round(float(np.median(ms[:, i])), 2) for i, n in enumerate(names)}
    out["predict ms p10/p50/p90/p99"] = [round(float(v), 2) for v in np.percentile(ms[:, -1], [10, 50, 90, 99])]
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
