"""The GPU plan's smoke check (scripts/gpu_flagship.sh): read every smoke checkpoint back, score it on the
validation split it was chosen on, and fail unless each loads, predicts finite logits for every image and
reports the accuracy its training recorded. Exit status 1 on any failure, with one line naming it.

    python scripts/smoke_check.py PACK DEVICE CHECKPOINT...
"""

from __future__ import annotations

import sys

import numpy as np


def check(pack: str, device: str, path: str) -> str:
    from ferkit.data.dataset import load_dataset
    from ferkit.models.model import load_model

    ckpt = load_model(path, backend="torch", device=device)
    cfg = ckpt.meta["train"]["config"]
    from ferkit.training.config import TrainConfig

    data = load_dataset(pack, **TrainConfig(**cfg).dataset_kwargs())
    val = data.split("val")
    if cfg["max_val"]:
        from ferkit.data.dataset import stratified_slice

        val = stratified_slice(val, cfg["max_val"], cfg["seed"])
    logits = ckpt.logits(val.images)
    if logits.shape != (len(val), len(ckpt.classes)) or not np.isfinite(logits).all():
        raise ValueError(f"logits of shape {logits.shape}, finite: {bool(np.isfinite(logits).all())}")
    acc = float((logits.argmax(1) == val.labels).mean())
    recorded = ckpt.meta["metrics"]["val_acc"]
    if abs(acc - recorded) > 0.05:  # float16 weights move near-ties: close, not equal; a broken reload is far off
        raise ValueError(f"read back it scores {acc:.4f} on validation, training recorded {recorded:.4f}")
    return f"ok {path}: {ckpt.meta['model']} {len(ckpt.classes)} classes, val {acc:.4f} (recorded {recorded:.4f})"


def main(argv: list[str]) -> int:
    pack, device, *paths = argv
    if not paths:
        print("no checkpoints to check")
        return 1
    bad = 0
    for path in paths:
        try:
            print(check(pack, device, path))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, one line each
            print(f"FAILED {path}: {type(exc).__name__}: {exc}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
