"""Choose an ensemble on the validation split: every subset of the given checkpoints, scored by the mean of
its members' calibrated probabilities, best first.

Each member's probabilities are computed once (with 10-view TTA under ``--tta``), so trying all 2^N - 1
subsets costs N evaluations. Only the validation split (FER2013 PublicTest) is read: choosing on the
test split would make its number meaningless. Evaluate the chosen subset afterwards with
``ferkit evaluate --weights a,b,c --split test``.

    .venv/bin/python scripts/choose_ensemble.py runs/compact runs/compact-rerun runs/compact-wide \\
        --data ../shared/datasets/fer2013.zip [--tta] [--top 10]
"""

from __future__ import annotations

import argparse
import itertools
import sys

import numpy as np

from ferkit.data.dataset import load_dataset
from ferkit.evaluation.evaluate import evaluate
from ferkit.models.model import load_model


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("weights", nargs="+", help="checkpoints or run directories")
    ap.add_argument("--data", required=True)
    ap.add_argument("--tta", action="store_true")
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args()
    ckpts = {w: load_model(w, backend="auto") for w in args.weights}
    first = next(iter(ckpts.values()))
    data = load_dataset(args.data, classes=first.classes, image_size=first.preprocess.image_size).split("val")
    probs = {w: evaluate(c, data, tta=args.tta).probs for w, c in ckpts.items()}
    scores = []
    for k in range(1, len(probs) + 1):
        for subset in itertools.combinations(probs, k):
            mean = np.mean([probs[w] for w in subset], axis=0)
            scores.append((float((mean.argmax(1) == data.labels).mean()), subset))
    scores.sort(key=lambda s: (-s[0], len(s[1])))
    print(f"validation accuracy ({'10-view TTA' if args.tta else 'one view'}, {len(data)} images):")
    for acc, subset in scores[: args.top]:
        print(f"{acc:.4f}  {','.join(subset)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
