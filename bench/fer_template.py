"""Where FER2013 puts the eyes, nose and mouth in its 48×48 frames: the template ferkit aligns faces to.

    .venv/bin/python bench/fer_template.py [--data ../shared/datasets/fer2013.zip] [--n 2000]

YuNet runs on ``--n`` random Training faces, each upscaled 4× (to 192 px) and padded by 48 px of
replicated border (a face that fills the whole frame is hard for a detector); the five keypoints of the
most confident face are mapped back to 48×48 coordinates. Prints the mean and the spread of each point,
the eye distance and the head tilt, i.e. the numbers in ``ferkit.faces.align.FER2013_TEMPLATE``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from ferkit.data.dataset import load_dataset
from ferkit.faces.yunet import YuNetDetector

ROOT = Path(__file__).resolve().parents[1]
UP, PAD = 4, 48


def keypoints_48(det: YuNetDetector, face: np.ndarray) -> np.ndarray | None:
    big = cv2.resize(face, (48 * UP, 48 * UP), interpolation=cv2.INTER_CUBIC)
    big = cv2.copyMakeBorder(big, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
    dets = det.detect(big)
    if not dets:
        return None
    best = max(dets, key=lambda d: d.score)
    return (np.asarray(best.keypoints) - PAD) / UP


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "datasets" / "fer2013.zip"))
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    train = load_dataset(args.data).split("train")
    idx = np.random.default_rng(args.seed).permutation(len(train))[: args.n]
    det = YuNetDetector(score_threshold=0.5)
    points = [p for p in (keypoints_48(det, train.images[i]) for i in idx) if p is not None]
    pts = np.stack(points)  # (faces, 5, 2)
    eyes = pts[:, 1] - pts[:, 0]
    tilt = np.degrees(np.arctan2(eyes[:, 1], eyes[:, 0]))
    result = {
        "faces": int(args.n),
        "found": len(points),
        "mean": np.round(pts.mean(0), 2).tolist(),
        "std": np.round(pts.std(0), 2).tolist(),
        "eye_distance": {"median": round(float(np.median(np.linalg.norm(eyes, axis=1))), 2)},
        "tilt_deg": {
            "median_abs": round(float(np.median(np.abs(tilt))), 2),
            "share_over_10": round(float(np.mean(np.abs(tilt) > 10)), 3),
            "mean": round(float(tilt.mean()), 2),
        },
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
