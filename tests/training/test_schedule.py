"""The optimisation recipe: warm-up and schedules, class weights, parameter groups."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

from ferkit.training.config import TrainConfig  # noqa: E402
from ferkit.training.schedule import class_weights, lr_at, make_optimizer  # noqa: E402


def test_warmup_then_cosine_and_step():
    cfg = TrainConfig(lr=0.1, warmup_epochs=1, schedule="cosine")
    assert lr_at(cfg, 0, 100, 10, 1.0) == pytest.approx(0.01)  # first warm-up step
    assert lr_at(cfg, 10, 100, 10, 1.0) == pytest.approx(0.1)  # warm-up done: the peak
    assert lr_at(cfg, 99, 100, 10, 1.0) < 0.001  # cosine reaches ~0 at the end
    step = TrainConfig(lr=0.1, warmup_epochs=0, schedule="step")
    assert [round(lr_at(step, s, 100, 10, 1.0), 6) for s in (0, 60, 80)] == [0.1, 0.01, 0.001]
    assert lr_at(TrainConfig(lr=0.1, warmup_epochs=0, schedule="plateau"), 50, 100, 10, 0.25) == pytest.approx(0.025)


def test_class_weights_balance_the_loss():
    labels = np.array([0] * 90 + [1] * 10)
    w = class_weights(labels, 2, "balanced")
    counts = np.array([90, 10])
    assert w[1] / w[0] == pytest.approx(9.0) and float((w.numpy() * counts).sum()) == pytest.approx(100.0)
    assert class_weights(labels, 2, "none") is None
    assert float(class_weights(labels, 2, "sqrt")[1] / class_weights(labels, 2, "sqrt")[0]) == pytest.approx(3.0)


def test_no_weight_decay_on_norms_and_biases():
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    opt = make_optimizer(TrainConfig(weight_decay=0.01), model)
    decay, no_decay = opt.param_groups
    assert [p.ndim for p in decay["params"]] == [4] and decay["weight_decay"] == 0.01
    assert len(no_decay["params"]) == 3 and no_decay["weight_decay"] == 0.0
    assert isinstance(make_optimizer(TrainConfig(optimizer="adamw"), model), torch.optim.AdamW)
