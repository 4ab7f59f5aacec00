"""Optional dependencies: inference runs on ONNX Runtime, OpenCV and numpy alone; training, evaluation
and export need PyTorch, installed with ``pip install 'ferkit[train]'``."""

from __future__ import annotations

import importlib.util


class MissingExtra(ImportError):
    """A feature whose optional dependencies are not installed; the message says what to install."""


def has_torch() -> bool:
    return importlib.util.find_spec("torch") is not None


def require_torch(purpose: str) -> None:
    """Raise :class:`MissingExtra` naming ``purpose`` when PyTorch is not installed."""
    if not has_torch():
        raise MissingExtra(f"{purpose} needs PyTorch, which this install lacks: pip install 'ferkit[train]'")
