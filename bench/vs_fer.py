"""ferkit beside the ``fer`` package, in the same run: one 640×480 photo with one face, end to end.

    .venv/bin/python bench/vs_fer.py [--fer-venv /tmp/fer-venv] [--rounds 5] [--repeats 50]

``fer`` gets its own virtual environment (made here when missing): ``tensorflow-cpu`` and the other
modules it imports, then ``pip install --no-deps fer`` (its declared dependencies would pull PyTorch and
the GUI OpenCV). Its default path is used: OpenCV's Haar cascade and its quantized TFLite model. The
photo is the Grace Hopper portrait in a 640×480 frame, written as a JPEG; each side reads the file,
finds the face and classifies it, ``--repeats`` times in one process after a warm-up, and reports the
median. The two run in turn, ``--rounds`` times, and the ratio fer/ferkit is taken round by round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

from ferkit.data.decode import load_image
from ferkit.inference.bench import frame_640x480, sample_photo

FER_PACKAGES = ["tensorflow-cpu", "opencv-python-headless<5", "requests", "pillow", "pandas", "setuptools<81"]

TIMER = """
import statistics, sys, time
path, repeats = sys.argv[1], int(sys.argv[2])
{setup}
run(path)
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    n = run(path)
    times.append(time.perf_counter() - t0)
print(statistics.median(times) * 1000, n)
"""

FERKIT_SETUP = """
from ferkit import Recognizer
rec = Recognizer.from_pretrained(precision="{precision}")
def run(path):
    return len(rec.predict(path))
"""

FER_SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import cv2
from fer.fer import FER
det = FER()
def run(path):
    return len(det.detect_emotions(cv2.imread(path)))
"""


def ensure_fer(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *FER_PACKAGES], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "fer"], check=True)
    return python


def time_once(python: str, setup: str, photo: Path, repeats: int) -> tuple[float, int]:
    out = subprocess.run(
        [python, "-c", TIMER.format(setup=setup), str(photo), str(repeats)], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[-2]), int(out[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fer-venv", default="/tmp/fer-venv")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    fer_python = ensure_fer(Path(args.fer_venv))
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.jpg"
        cv2.imwrite(str(photo), cv2.cvtColor(frame_640x480(load_image(sample_photo())), cv2.COLOR_RGB2BGR))
        rows = []
        for _ in range(args.rounds):
            row = {}
            for precision in ("fp32", "int8"):  # both, whichever this processor's "auto" picks
                setup = FERKIT_SETUP.replace("{precision}", precision)
                row[f"ferkit_{precision}_ms"], n_ours = time_once(sys.executable, setup, photo, args.repeats)
            row["fer_ms"], n_theirs = time_once(str(fer_python), FER_SETUP, photo, args.repeats)
            rows.append({**row, "faces": [n_ours, n_theirs]})
    from ferkit.runtime import cpu_name, resolve_precision

    result = {"processor": cpu_name(), "auto_precision": resolve_precision("auto"), "faces_found": rows[0]["faces"]}
    result["fer_ms_median"] = round(statistics.median(r["fer_ms"] for r in rows), 2)
    for precision in ("fp32", "int8"):
        key = f"ferkit_{precision}_ms"
        result[f"{key}_median"] = round(statistics.median(r[key] for r in rows), 2)
        ratios = [round(r["fer_ms"] / r[key], 2) for r in rows]
        result[f"fer_over_ferkit_{precision}"] = ratios
        result[f"fer_over_ferkit_{precision}_median"] = statistics.median(ratios)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
