"""Memory of `ferkit predict --jsonl` on many files: peak RSS at N and at 10×N inputs.

Builds a folder of N hard links to real FER2013 test crops (no extra disk), runs the CLI with
--no-detect under /usr/bin/time -v, and prints the peak RSS and throughput of each size.

    .venv/bin/python bench/batch_scale.py --small 10000 --large 100000 [--fer2013 ../shared/datasets/fer2013.zip]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path


def build(folder: Path, sources: list[Path], n: int) -> None:
    for i in range(n):
        d = folder / f"{i // 1000:03d}"
        d.mkdir(parents=True, exist_ok=True)
        os.link(sources[i % len(sources)], d / f"{i:06d}.jpg")


def run(folder: Path, out: Path) -> dict:
    cmd = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        "-m",
        "ferkit.cli",
        "predict",
        str(folder),
        "--no-detect",
        "--jsonl",
        str(out),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024
    lines = sum(1 for _ in open(out))
    return {
        "inputs": lines,
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(rss, 1),
        "inputs_per_s": round(lines / wall, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument(
        "--fer2013", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "fer2013.zip")
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "src"
        with zipfile.ZipFile(args.fer2013) as zf:
            names = [n for n in zf.namelist() if n.startswith("test/") and n.endswith(".jpg")][:2000]
            for n in names:
                (src / n).parent.mkdir(parents=True, exist_ok=True)
                (src / n).write_bytes(zf.read(n))
        sources = sorted(src.rglob("*.jpg"))
        results = {}
        for label, n in (("small", args.small), ("large", args.large)):
            build(tmp / label, sources, n)
            results[label] = run(tmp / label, tmp / f"{label}.jsonl")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
