"""ferkit: facial expression recognition — train, evaluate and run FER models offline on a CPU.

    >>> from ferkit import Recognizer
    >>> result = Recognizer.from_pretrained().predict("photo.jpg")
    >>> result.faces[0].label, result.faces[0].probs
    >>> result.to_pandas()

The package reads in data-flow order: ``data`` → ``transforms`` → ``models`` → ``training`` →
``evaluation`` → ``export`` → ``faces`` → ``inference`` → ``serving`` / ``cli`` (see
docs/architecture.md). Names are imported on first use, so ``import ferkit`` stays cheap, imports no
torch and has no side effects.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

_EXPORTS = {
    "Recognizer": "inference.pipeline",
    "Face": "inference.results",
    "ImageResult": "inference.results",
    "VideoResult": "inference.results",
    "to_pandas": "inference.results",
    "load_image": "data.decode",
    "ImageError": "data.decode",
    "load_dataset": "data.dataset",
    "FERDataset": "data.dataset",
    "DataError": "data.dataset",
    "get_model": "models.registry",
    "list_models": "models.registry",
    "register_model": "models.registry",
    "load_checkpoint": "models.checkpoint",
    "save_checkpoint": "models.checkpoint",
    "load_model": "models.model",
    "read_meta": "models.meta",
    "CheckpointError": "models.meta",
    "TrainConfig": "training.config",
    "train": "training.loop",
    "evaluate": "evaluation.evaluate",
    "evaluate_path": "evaluation.evaluate",
    "calibrate": "evaluation.calibrate",
    "create_app": "serving.app",
    "CLASSES": "labels",
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'ferkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
