"""Start-up cost of the command line, as a user meets it: ``ferkit --help`` and ``ferkit predict PHOTO``.

Each command runs as a whole process ``--runs`` times after one warm-up; per run, the wall time and the
process's peak RSS (from ``os.wait4``). With ``--baseline-src DIR`` the same commands also run with
``PYTHONPATH=DIR`` (an older checkout's ``src``), interleaved run by run, and the ratio new/old is given.

    .venv/bin/python bench/startup.py --runs 10
    git worktree add /tmp/old HEAD~3 && .venv/bin/python bench/startup.py --baseline-src /tmp/old/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run of ``argv``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss / 1024


def summary(values: list[float]) -> dict[str, float]:
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def measure(argv: list[str], runs: int, baseline_src: str | None) -> dict:
    envs = {"new": dict(os.environ)}
    if baseline_src:
        envs["old"] = {**os.environ, "PYTHONPATH": baseline_src}
    for env in envs.values():
        run_once(argv, env)  # warm-up: file caches
    walls: dict[str, list[float]] = {k: [] for k in envs}
    peaks: dict[str, list[float]] = {k: [] for k in envs}
    for _ in range(runs):
        for name, env in envs.items():
            wall, peak = run_once(argv, env)
            walls[name].append(wall)
            peaks[name].append(peak)
    out = {name: {"wall_s": summary(walls[name]), "peak_mib": summary(peaks[name])} for name in envs}
    if baseline_src:
        out["ratio_new_over_old_wall"] = summary([a / b for a, b in zip(walls["new"], walls["old"])])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--photo", help="a photo (default: the Grace Hopper portrait shipped with matplotlib)")
    ap.add_argument("--baseline-src", help="an older checkout's src folder, timed beside this one")
    args = ap.parse_args()
    from ferkit.inference.bench import sample_photo

    photo = args.photo or str(sample_photo())
    cli = [sys.executable, "-m", "ferkit.cli"]
    result = {
        "ferkit --help": measure(cli + ["--help"], args.runs, args.baseline_src),
        "ferkit predict PHOTO": measure(cli + ["predict", photo], args.runs, args.baseline_src),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
