"""Face detectors side by side on faces-bench (real photos with annotated faces and keypoints).

    .venv/bin/python bench/detectors.py [--faces-bench ../shared/datasets/faces-bench] [--json OUT]

For each detector setting: recall at IoU 0.5 (0.4 on dlib's tighter boxes, as faces-bench's SOURCES.md
advises) of easy faces and of all non-ignored faces, on the WIDER *val* and dlib photos only (YuNet was
trained on WIDER train, so those photos are left out of recall); extra boxes per photo (detections that
match no annotated face, ignored faces excepted); keypoint error (mean distance of the five points over
the inter-ocular distance; the median over faces, as a few profile faces with almost no distance between
the eyes would swamp a mean) on the WIDER *train* and dlib photos, which have keypoints; and milliseconds
per 640×480 photo (the Grace Hopper portrait in a 640×480 frame, median of 100 runs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from ferkit.data.decode import load_image, to_gray
from ferkit.faces.detect import detector_file, detector_info, make_detector
from ferkit.faces.yunet import YUNET_DEFAULT, YuNetDetector
from ferkit.inference.bench import frame_640x480, sample_photo
from ferkit.inference.video import match_boxes

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BENCH = ROOT.parent / "shared" / "datasets" / "faces-bench"


def candidates() -> dict[str, object]:
    """Every registered detector as shipped (a new one is measured by being registered), and the shipped
    YuNet file at other score thresholds and search sizes. YuNet-n, int8 YuNet, BlazeFace and Haar were
    measured against it once (docs/history.md)."""
    out: dict[str, object] = {name: make_detector(name) for name in detector_info() if name != "none"}
    path = detector_file(YUNET_DEFAULT)
    for score in (0.6, 0.8):
        out[f"yunet, 1280 px, score {score}"] = YuNetDetector(path, score_threshold=score)
    out["yunet, 640 px, score 0.8"] = YuNetDetector(path, score_threshold=0.8, max_side=640)
    return out


def match(faces: list[dict], dets: list, min_iou: float) -> tuple[dict[int, object], int]:
    """Greedy one-to-one matching by IoU; returns {face index: detection} and the number of extra boxes."""
    pairs = match_boxes([f["box"] for f in faces], [d.box for d in dets], min_iou)  # {detection: face}
    return {i: dets[j] for j, i in pairs.items() if not faces[i].get("ignore")}, len(dets) - len(pairs)


def keypoint_error(truth: list, found) -> float:
    t, f = np.asarray(truth, float), np.asarray(found, float)
    return float(np.linalg.norm(t - f, axis=1).mean() / np.linalg.norm(t[0] - t[1]))


def evaluate(det, entries: list[dict], root: Path) -> dict:
    counts = {"easy": [0, 0], "all": [0, 0], "24px": [0, 0]}
    extra, photos, kp_errors = 0, 0, []
    for e in entries:
        rgb = load_image(root / e["file"])
        dets = det.detect(to_gray(rgb), rgb)
        min_iou = 0.4 if e["source"].startswith("dlib") else 0.5
        found, n_extra = match(e["faces"], dets, min_iou)
        if e["source"] != "wider_face_train":  # YuNet trained on these: no recall or extra boxes from them
            photos += 1
            extra += n_extra
            for i, f in enumerate(e["faces"]):
                if f.get("ignore"):
                    continue
                keys = ("all",) + (("easy",) if f["difficulty"] == "easy" else ())
                keys += ("24px",) if min(f["box"][2:]) >= 24 else ()
                for key in keys:
                    counts[key][0] += i in found
                    counts[key][1] += 1
        if e["source"] != "wider_face_val":
            for i, d in found.items():
                kp = e["faces"][i].get("keypoints")
                if kp and getattr(d, "keypoints", None):
                    kp_errors.append(keypoint_error(kp, d.keypoints))
    names = {"easy": "easy", "all": "all", "24px": "24px_and_up"}
    return {
        **{f"recall_{names[k]}": round(hit / n, 3) for k, (hit, n) in counts.items()},
        **{f"faces_{names[k]}": n for k, (_, n) in counts.items()},
        "extra_boxes_per_photo": round(extra / photos, 2),
        "keypoint_error_median": round(float(np.median(kp_errors)), 3) if kp_errors else None,
        "keypoint_faces": len(kp_errors),
    }


def ms_per_photo(det, repeats: int = 100) -> float:
    frame = frame_640x480(load_image(sample_photo()))
    gray = to_gray(frame)
    det.detect(gray, frame)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        det.detect(gray, frame)
        times.append(time.perf_counter() - t0)
    return round(1000 * statistics.median(times), 2)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces-bench", default=str(DEFAULT_BENCH))
    ap.add_argument("--json")
    ap.add_argument("--match", default="", help="only the candidates whose name contains this")
    args = ap.parse_args()
    root = Path(args.faces_bench)
    if not (root / "annotations.json").is_file():
        print(f"faces-bench not found at {root}; nothing measured", file=sys.stderr)
        return 2
    entries = json.loads((root / "annotations.json").read_text())
    rows = {
        name: {**evaluate(det, entries, root), "ms_640x480": ms_per_photo(det)}
        for name, det in candidates().items()
        if args.match in name
    }
    print(json.dumps(rows, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
