"""ferkit: facial expression recognition — train, evaluate and run FER models offline on a CPU.

    >>> from ferkit import Recognizer
    >>> faces = Recognizer.from_pretrained().predict("photo.jpg")
    >>> faces[0].label, faces[0].probs

Names are imported on first use, so ``import ferkit`` stays cheap and has no side effects.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Recognizer": "predictor", "Face": "predictor",
    "load_dataset": "datasets", "FERDataset": "datasets", "DataError": "datasets",
    "get_model": "models", "list_models": "models", "register_model": "models",
    "load_checkpoint": "checkpoint", "save_checkpoint": "checkpoint",
    "TrainConfig": "train", "train": "train",
    "evaluate": "evaluate", "evaluate_path": "evaluate", "calibrate": "evaluate",
    "CLASSES": "labels",
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'ferkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
