"""End-to-end expression accuracy with and without alignment to FER2013's template.

    .venv/bin/python bench/alignment.py [--shared ../shared/datasets] [--n 700] [--json OUT]

Each mode runs the same pipeline (YuNet detection, the shipped default model on ONNX Runtime) and differs
only in how a face becomes a 48×48 crop: ``none`` (a square around the box, widened 10%), ``level``
(keypoints warped onto the template, eyes levelled), ``keep-tilt`` (scale and position only).

- fer-cross/jaffe: 213 photos, 7 classes; fer-cross/yale: 59 photos, scored on its 4 classes (the model's
  probabilities restricted to happy, neutral, sad, surprise). The largest face of each photo is scored;
  a photo where no face is found counts as wrong.
- synthetic: ``--n`` random FER2013 PublicTest faces, each scaled to 80-200 px, rotated by up to ±30°
  and pasted at a random place into a 640×480 crop of a faces-bench WIDER val photo (seeded). The face
  scored is the detection that overlaps the pasted face most (IoU ≥ 0.3); none counts as wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from ferkit.data.dataset import load_dataset
from ferkit.data.decode import load_image
from ferkit.inference.pipeline import Recognizer
from ferkit.inference.video import iou
from ferkit.labels import CLASSES

ROOT = Path(__file__).resolve().parents[1]
MODES = ("none", "level", "keep-tilt")


def cross_accuracy(rec: Recognizer, folder: Path, classes: tuple[str, ...]) -> dict:
    right = missed = n = 0
    cols = [rec.classes.index(c) for c in classes]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        n += 1
        faces = rec.predict(path).faces
        if not faces:
            missed += 1
            continue
        probs = np.array([faces[0].probs[c] for c in rec.classes])[cols]
        right += classes[int(probs.argmax())] == path.parent.name
    return {"n": n, "accuracy": round(right / n, 4), "no_face": missed}


def synthetic_set(shared: Path, n: int, seed: int = 0) -> list[tuple[np.ndarray, tuple, str]]:
    """(640×480 RGB scene, pasted face box, label) for ``n`` PublicTest faces."""
    rng = np.random.default_rng(seed)
    val = load_dataset(shared / "fer2013.zip").split("val")
    backgrounds = sorted((shared / "faces-bench" / "images" / "wider_val").glob("*.jpg"))
    out = []
    for i in rng.permutation(len(val))[:n]:
        bg = load_image(backgrounds[int(rng.integers(len(backgrounds)))])
        grow = max(1.0, 480 / bg.shape[0], 640 / bg.shape[1])
        if grow > 1:
            bg = cv2.resize(bg, (int(np.ceil(bg.shape[1] * grow)), int(np.ceil(bg.shape[0] * grow))))
        y, x = int(rng.integers(0, bg.shape[0] - 480 + 1)), int(rng.integers(0, bg.shape[1] - 640 + 1))
        scene = np.ascontiguousarray(bg[y : y + 480, x : x + 640])
        size, angle = int(rng.integers(80, 201)), float(rng.uniform(-30, 30))
        face = cv2.resize(val.images[i], (size, size), interpolation=cv2.INTER_CUBIC)
        m = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
        rotated = cv2.warpAffine(face, m, (size, size), borderMode=cv2.BORDER_REPLICATE)
        mask = cv2.warpAffine(np.ones((size, size), np.uint8), m, (size, size)) > 0
        px, py = int(rng.integers(0, 640 - size)), int(rng.integers(0, 480 - size))
        patch = scene[py : py + size, px : px + size]
        patch[mask] = rotated[mask][:, None]
        out.append((scene, (px, py, size, size), val.classes[int(val.labels[i])]))
    return out


def synthetic_accuracy(rec: Recognizer, scenes: list) -> dict:
    right = missed = 0
    for scene, box, label in scenes:
        faces = [f for f in rec.predict(scene).faces if iou(f.box, box) >= 0.3]
        if not faces:
            missed += 1
            continue
        right += max(faces, key=lambda f: iou(f.box, box)).label == label
    return {"n": len(scenes), "accuracy": round(right / len(scenes), 4), "no_face": missed}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--n", type=int, default=700)
    ap.add_argument("--json")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "fer-cross").is_dir() or not (shared / "fer2013.zip").is_file():
        print(f"fer-cross or fer2013.zip not found under {shared}; nothing measured", file=sys.stderr)
        return 2
    scenes = synthetic_set(shared, args.n)
    result = {}
    for mode in MODES:
        rec = Recognizer.from_pretrained(align=mode)
        result[mode] = {
            "jaffe (7 classes)": cross_accuracy(rec, shared / "fer-cross" / "jaffe", CLASSES),
            "yale (4 classes)": cross_accuracy(
                rec, shared / "fer-cross" / "yale", ("happy", "neutral", "sad", "surprise")
            ),
            "synthetic PublicTest scenes": synthetic_accuracy(rec, scenes),
        }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
