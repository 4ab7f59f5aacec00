"""ONNX Runtime session settings, measured on this processor rather than assumed: intra-op threads, thread
spinning, graph optimisation level and the memory arena, for the classifier (float32 and int8, batch 1 and
256) and YuNet (a 640×480 photo). Each variant is timed in turn with the others, rounds alternating.

    .venv/bin/python bench/ort_settings.py [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

from ferkit.data.decode import load_image
from ferkit.faces.detect import detector_file
from ferkit.inference.bench import frame_640x480, sample_photo
from ferkit.runtime import cpu_name
from ferkit.transforms.preprocess import Preprocess
from haar_speed import ms_per_call  # bench/'s own timing loop

WEIGHTS = Path(__file__).resolve().parents[1] / "src" / "ferkit" / "weights"
VARIANTS = {
    "ferkit's (2 threads, spin during runs only)": dict(threads=0, spin="stop"),
    "1 thread": dict(threads=1, spin="stop"),
    "spinning always": dict(threads=0, spin="on"),
    "no spinning": dict(threads=0, spin="off"),
    "basic graph optimisation": dict(threads=0, spin="stop", level="basic"),
    "no memory arena": dict(threads=0, spin="stop", arena=False),
}


def session(path: Path, threads: int = 0, spin: str = "stop", level: str = "all", arena: bool = True):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0" if spin == "off" else "1")
    if spin == "stop":
        opts.add_session_config_entry("session.force_spinning_stop", "1")
    opts.graph_optimization_level = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[level]
    opts.enable_cpu_mem_arena = arena
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def workloads(variant: dict) -> dict:
    faces = np.random.default_rng(0).integers(0, 256, (256, 48, 48), dtype=np.uint8)
    x = Preprocess().numpy(faces)
    photo = frame_640x480(load_image(sample_photo()))
    pad = np.ascontiguousarray(photo)[None]  # YuNet's (1, H, W, 3) input; 640x480 needs no padding to 32
    out = {}
    for label, file in (("fp32", "default.onnx"), ("int8", "default.int8.onnx")):
        s = session(WEIGHTS / file, **variant)
        name = s.get_inputs()[0].name
        out[f"{label} batch 1, faces/s"] = 1000 / ms_per_call(lambda s=s, n=name: s.run(None, {n: x[:1]}), 300)
        out[f"{label} batch 256, faces/s"] = 256_000 / ms_per_call(lambda s=s, n=name: s.run(None, {n: x}), 10)
    y = session(detector_file("yunet_s.onnx"), **variant)
    out["YuNet, ms per 640x480 photo"] = ms_per_call(lambda: y.run(None, {y.get_inputs()[0].name: pad}), 100)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for _ in range(args.rounds):
        for name, variant in VARIANTS.items():
            runs[name].append(workloads(variant))
    result = {"processor": cpu_name(), "medians": {}}
    for name, rs in runs.items():
        result["medians"][name] = {k: round(statistics.median(r[k] for r in rs), 2) for k in rs[0]}
    text = json.dumps(result, indent=2)
    if args.json:
        Path(args.json).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
