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

#: Each public name, by the module it lives in (imported on first use).
_MODULES = {
    "inference.pipeline": "Recognizer",
    "inference.results": "Face ImageResult VideoResult to_pandas",
    "data.decode": "load_image ImageError",
    "data.dataset": "load_dataset FERDataset DataError",
    "models.registry": "get_model list_models register_model",
    "models.checkpoint": "load_checkpoint save_checkpoint",
    "models.model": "load_model",
    "models.meta": "read_meta CheckpointError",
    "training.config": "TrainConfig",
    "training.loop": "train",
    "evaluation.evaluate": "evaluate evaluate_path",
    "evaluation.calibrate": "calibrate",
    "serving.app": "create_app",
    "labels": "CLASSES",
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names.split()}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'ferkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
