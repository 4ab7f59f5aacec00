"""Compare two models (or ensembles) on the same split, paired: how sure is the difference?

PublicTest has 3,589 faces; runs of one recipe land a few tenths of a point apart on it, and choosing the
default among them is only as good as that difference is real. This scores A and B on one split and prints
both accuracies, the faces only one of them gets right, McNemar's exact p-value and a paired bootstrap 95%
interval of the difference (``ferkit.evaluation.metrics.paired_comparison``).

    .venv/bin/python scripts/compare_runs.py default runs/compact-long-distilled-gen2 \\
        --data ../shared/datasets/fer2013.zip --split val [--tta]

A or B may be several checkpoints, comma-separated: an ensemble (mean of calibrated probabilities).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from ferkit.evaluation.evaluate import evaluate_path
from ferkit.evaluation.metrics import paired_comparison


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("a", help="checkpoint, run directory or shipped name (or preset); comma-separated: an ensemble")
    ap.add_argument("b")
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="val", choices=("val", "test"))
    ap.add_argument("--tta", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = ap.parse_args()
    try:
        return _compare(args)
    except (OSError, ValueError) as exc:  # a missing or foreign checkpoint, unreadable data: one line, exit 2
        print(f"compare_runs: {exc}", file=sys.stderr)
        return 2


def _compare(args: argparse.Namespace) -> int:
    # ferkit evaluate's own loading (presets, ensembles, a missing split); the decoded dataset is cached,
    # so the second load is a reload, not a second decode.
    a, b = (evaluate_path(spec, args.data, split=args.split, tta=args.tta) for spec in (args.a, args.b))
    if not np.array_equal(a.data.labels, b.data.labels):
        raise ValueError(f"{args.a} and {args.b} are not scored on the same faces (different classes?)")
    cmp = paired_comparison(a.data.labels, a.probs.argmax(1), b.probs.argmax(1))
    if args.json:
        print(json.dumps({"a": args.a, "b": args.b, "split": args.split, "tta": args.tta, **cmp}, indent=2))
        return 0
    low, high = cmp["difference_ci95"]
    print(f"{args.split}, {'10-view TTA' if args.tta else 'one view'}, {cmp['n']} faces")
    print(f"A {cmp['accuracy_a']:.2%}  {args.a}")
    print(f"B {cmp['accuracy_b']:.2%}  {args.b}")
    print(
        f"A - B = {cmp['difference'] * 100:+.2f} points (95% interval {low * 100:+.2f} to {high * 100:+.2f}); "
        f"only A right on {cmp['only_a_right']}, only B on {cmp['only_b_right']}; McNemar p = {cmp['mcnemar_p']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
