"""Fine-tuning a trained model on a user's own labelled folders, measured against training from scratch."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

from ..data.dataset import load_dataset
from ..evaluation.evaluate import evaluate
from ..models.model import load_model
from ..models.shipped import spec_meta
from .config import TrainConfig
from .loop import train

log = logging.getLogger(__name__)


def finetune_config(source: str, data: str, out: str, **overrides) -> TrainConfig:
    """A training config that starts from ``source``: same architecture, lower learning rate, fewer epochs."""
    meta = spec_meta(source)
    base = dict(data=data, out=out, init_from=str(source), open_classes=True, epochs=10, lr=0.01, warmup_epochs=0.0)
    base.update(model=meta["model"], model_args=meta.get("model_args", {}), image_size=meta["preprocess"]["image_size"])
    base.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**base)


def finetune(cfg: TrainConfig, *, compare_scratch: bool = True, progress: bool | None = None) -> dict:
    """Fine-tune as ``cfg`` says; with ``compare_scratch`` also train the same model from scratch on the same
    data (the learning rate of a from-scratch run) and report both on the held-out split."""
    runs = {"finetuned": cfg}
    if compare_scratch:
        lr = TrainConfig.lr if cfg.optimizer == "sgd" else 1e-3  # a from-scratch run's learning rate
        scratch = dict(init_from=None, freeze_backbone=False, lr=lr, warmup_epochs=1.0)
        runs["scratch"] = replace(cfg, out=str(Path(cfg.out) / "scratch"), **scratch)
        runs["finetuned"] = replace(cfg, out=str(Path(cfg.out) / "finetuned"))
    report: dict = {"data": cfg.data, "from": cfg.init_from, "freeze_backbone": cfg.freeze_backbone}
    for name, run_cfg in runs.items():
        result = train(run_cfg, progress=progress)
        ckpt = load_model(result.best_checkpoint, backend="torch")
        data = load_dataset(run_cfg.data, **run_cfg.dataset_kwargs())
        split = "test" if data.has_split("test") else "val"
        rep = evaluate(ckpt, data.split(split)).report
        scores = {k: rep[k] for k in ("accuracy", "macro_f1")}
        report[name] = {"checkpoint": str(result.best_checkpoint), "split": split, **scores}
        report[name].update(val_acc=result.best_val_acc, classes=list(ckpt.classes))
    if compare_scratch:
        report["gain_accuracy"] = report["finetuned"]["accuracy"] - report["scratch"]["accuracy"]
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    (Path(cfg.out) / "finetune.json").write_text(json.dumps(report, indent=2))
    return report
