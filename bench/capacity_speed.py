"""Which shapes of ``resnet-compact`` stay fast enough to be the default: ONNX Runtime faces/s per shape.

Issue 13 asks the shipped default for at least 3,000 faces/s on these 2 cores. Before spending hours of
CPU training on more capacity, this times the candidate shapes (width, blocks per stage) as the default
runs them — exported to ONNX, run by ``ferkit.runtime.ort_session``, batch 256 — in one run, interleaved
round by round so drift of the machine falls on every shape alike. Speed does not depend on the weights,
so untrained networks are exported straight from the registry (no checkpoint needed). Pause any
background training first.

    .venv/bin/python bench/capacity_speed.py [--shapes 32:1111,40:1111,32:1121] [--rounds 3] [--seconds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np

from ferkit.export.onnx import export_module
from ferkit.inference.bench import best_rate
from ferkit.models.registry import count_parameters, get_model
from ferkit.runtime import ort_session

DEFAULT_SHAPES = "32:1111,40:1111,48:1111,32:1121,32:1112,32:1211,32:2211,32:1122"


def parse_shape(text: str) -> tuple[int, list[int]]:
    """``"32:1121"`` → width 32, depths [1, 1, 2, 1]."""
    width, depths = text.split(":")
    return int(width), [int(d) for d in depths]


def export_shape(width: int, depths: list[int], folder: Path) -> tuple[Path, int]:
    """An untrained network of this shape as ONNX, exported as ferkit exports checkpoints, and its size."""
    model = get_model("resnet-compact", num_classes=7, image_size=48, in_channels=1, width=width, depths=depths)
    path = folder / f"w{width}_{''.join(map(str, depths))}.onnx"
    export_module(model.eval(), 48, path)
    return path, count_parameters(model)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default=DEFAULT_SHAPES, help="WIDTH:DEPTHS, comma-separated")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--batch", type=int, default=256)
    args = ap.parse_args()
    shapes = [parse_shape(s) for s in args.shapes.split(",")]
    batch = np.random.default_rng(0).random((args.batch, 1, 48, 48), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        built = [export_shape(w, d, Path(tmp)) for w, d in shapes]
        sessions = [ort_session(path, threads=2) for path, _ in built]
        runs = [lambda s=s: s.run(None, {"faces": batch}) for s in sessions]
        rates = [[] for _ in sessions]
        for _ in range(args.rounds):  # interleaved: one timing of every shape per round
            for i, run in enumerate(runs):
                rates[i].append(best_rate(run, args.batch, repeats=1, min_time=args.seconds))
    base = statistics.median(rates[0])
    print(
        f"| shape (width: blocks per stage) | parameters | faces/s, batch {args.batch} (median of {args.rounds}) "
        f"| × the first |"
    )
    print("|---|---|---|---|")
    for (w, d), (_, params), r in zip(shapes, built, rates):
        med = statistics.median(r)
        print(f"| {w}: {'-'.join(map(str, d))} | {params:,} | {med:,.0f} | {med / base:.2f} |")


if __name__ == "__main__":
    main()
