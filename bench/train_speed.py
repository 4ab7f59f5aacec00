"""Training throughput on the CPU: NCHW against channels-last memory, in the same run.

Each round trains the same network for ``--steps`` SGD steps (nesterov, batch 128) on real FER2013
training faces with the ``default`` augmentation, once in each memory format, alternating the order, so
drift of the machine falls on both sides; the ratio of the medians is the number to read. Pause any
background training first: two cores cannot time two things honestly.

    .venv/bin/python bench/train_speed.py [--widths 32,48] [--rounds 5] [--steps 20] [--fer2013 PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ferkit.data.dataset import load_dataset
from ferkit.models.registry import get_model
from ferkit.transforms.augment import AUGMENT_PRESETS
from ferkit.transforms.preprocess import Preprocess


def images_per_s(width: int, faces: torch.Tensor, labels: torch.Tensor, channels_last: bool, steps: int) -> float:
    """Steps of a fresh ``resnet-compact`` of ``width`` (augmentation included), after 3 warm-up steps."""
    torch.manual_seed(0)
    model = get_model("resnet-compact", num_classes=7, image_size=48, width=width, depths=[1, 1, 1, 1]).train()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    pre, aug, gen = Preprocess(image_size=48), AUGMENT_PRESETS["default"], torch.Generator().manual_seed(0)
    bs = 128
    for step in range(steps + 3):
        if step == 3:
            t0 = time.perf_counter()
        i = (step * bs) % (len(faces) - bs)
        x = aug(pre.torch(faces[i : i + bs]), gen).contiguous(memory_format=fmt)
        loss = F.cross_entropy(model(x), labels[i : i + bs], label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return bs * steps / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="32,48")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fer2013", default="../shared/datasets/fer2013.zip")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not Path(args.fer2013).exists():
        print(f"skipped: {args.fer2013} not found (FER2013 is needed for real faces)", file=sys.stderr)
        return 0
    torch.set_num_threads(args.threads)
    train = load_dataset(args.fer2013).split("train")
    faces, labels = torch.from_numpy(train.images[:4096]), torch.from_numpy(train.labels[:4096]).long()
    results = {}
    for width in (int(w) for w in args.widths.split(",")):
        runs: dict[str, list[float]] = {"nchw": [], "channels_last": []}
        for r in range(args.rounds):
            order = ("nchw", "channels_last") if r % 2 == 0 else ("channels_last", "nchw")
            for name in order:
                runs[name].append(images_per_s(width, faces, labels, name == "channels_last", args.steps))
        med = {k: statistics.median(v) for k, v in runs.items()}
        results[f"width {width}"] = {
            **{f"{k}_img_per_s": round(v, 1) for k, v in med.items()},
            "ratio": round(med["channels_last"] / med["nchw"], 3),
        }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, r in results.items():
            print(
                f"{name}: NCHW {r['nchw_img_per_s']:.0f} img/s, channels-last {r['channels_last_img_per_s']:.0f} "
                f"img/s, ratio {r['ratio']:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
