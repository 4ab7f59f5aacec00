"""Helpers shared by the training tests."""

from __future__ import annotations

from ferkit.training.config import TrainConfig


def fer_student(data, out, **kw) -> TrainConfig:
    """A small CNN on 2,400 real FER2013 faces of happy, surprise and sad (3 epochs; always-happy scores
    ~46% on its PublicTest slice)."""
    base = dict(
        model="cnn", model_args={"width": 16}, classes="happy,surprise,sad", epochs=3, max_train=2400, max_val=700,
        optimizer="adamw", lr=3e-3, weight_decay=1e-4, batch_size=64, augment="light", seed=0,
    )  # fmt: skip
    return TrainConfig(data=str(data), out=str(out), **{**base, **kw})


def tiny_run(data, out, **kw) -> TrainConfig:
    """A width-8 compact ResNet for 3 epochs: a whole run in a second or two on synthetic faces."""
    args = dict(model="resnet-compact", model_args={"width": 8}, epochs=3, batch_size=32, lr=0.02, seed=3)
    return TrainConfig(data=str(data), out=str(out), **{**args, **kw})
