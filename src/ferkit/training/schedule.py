"""The optimisation recipe of a run: optimizer, learning-rate schedule, class weights."""

from __future__ import annotations

import math

import numpy as np
import torch

from .config import TrainConfig


def class_weights(labels: np.ndarray, num_classes: int, mode: str) -> torch.Tensor | None:
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    w = len(labels) / (num_classes * np.maximum(counts, 1))
    if mode == "sqrt":
        w = np.sqrt(w)
    return torch.tensor(w / (w * counts).sum() * counts.sum(), dtype=torch.float32)


def lr_at(cfg: TrainConfig, step: int, total_steps: int, steps_per_epoch: int, plateau_factor: float) -> float:
    """Learning rate for a step: linear warm-up, then the configured schedule."""
    warm = cfg.warmup_epochs * steps_per_epoch
    if warm > 0 and step < warm:
        return cfg.lr * (step + 1) / warm
    progress = (step - warm) / max(1.0, total_steps - warm)
    if cfg.schedule == "cosine":
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    if cfg.schedule == "step":
        return cfg.lr * (0.1 ** int(progress >= 0.5) * 0.1 ** int(progress >= 0.75))
    if cfg.schedule == "plateau":
        return cfg.lr * plateau_factor
    return cfg.lr


def make_optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    # No weight decay on BN parameters and biases: the usual, slightly better, choice.
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.ndim > 1]
    no_decay = [p for p in trainable if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
