"""Classifier backends: normalised faces ``(N, 1, S, S)`` float32 → logits, by ONNX Runtime (the default,
no torch needed) or PyTorch.

:func:`load_classifier` turns a weights spec into a :class:`Classifier`: a shipped model name uses the
``.onnx`` that ships beside its ``.safetensors``; an ``.onnx`` file is used as it is; another checkpoint is
exported to ONNX once (that needs torch) and cached by its hash.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..extras import require_torch
from ..models.meta import (
    CheckpointError,
    MetaFields,
    preset,
    read_meta,
    resolve_weights,
    shipped_onnx,
    split_weights,
)
from ..probs import class_columns, restrict
from ..runtime import ort_session
from ..transforms.preprocess import Preprocess

Run = Callable[[np.ndarray], np.ndarray]
BACKENDS = ("onnx", "torch")


@dataclass
class Classifier(MetaFields):
    """A model ready for inference: its logits function and everything needed to use it."""

    run: Run
    classes: tuple[str, ...]
    preprocess: Preprocess
    meta: dict = field(default_factory=dict)
    backend: str = "onnx"
    batch_size: int = 256

    def probs(self, faces: np.ndarray | list[np.ndarray]) -> np.ndarray:
        """Calibrated probabilities ``(N, C)`` for uint8 grey faces (any size; resized as in training)."""
        x = self.preprocess.numpy(faces)
        if len(x) == 0:
            return np.zeros((0, len(self.classes)), np.float32)
        logits = np.concatenate([self.run(x[i : i + self.batch_size]) for i in range(0, len(x), self.batch_size)])
        return self.calibrated(logits)


@dataclass
class Ensemble(MetaFields):
    """Several classifiers of the same classes whose calibrated probabilities are averaged (each member
    keeps its own preprocessing and temperature)."""

    members: list[Classifier]

    def __post_init__(self) -> None:
        first = self.members[0]
        for m in self.members[1:]:
            if m.classes != first.classes:
                raise CheckpointError(f"ensemble members disagree on classes: {first.classes} vs {m.classes}")
        self.classes, self.preprocess, self.backend = first.classes, first.preprocess, first.backend
        self.meta = {
            "name": "+".join(m.name for m in self.members),
            "model": "ensemble",
            "temperature": 1.0,
            "classes": list(first.classes),
            "members": [m.meta for m in self.members],
        }

    def probs(self, faces: np.ndarray | list[np.ndarray]) -> np.ndarray:
        return np.mean([m.probs(faces) for m in self.members], axis=0).astype(np.float32)


@dataclass
class Subset(MetaFields):
    """A classifier restricted to some of its classes, its probabilities renormalised over them (the
    3-class happy/sad/neutral task from a 7-class model)."""

    base: Classifier | Ensemble
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        self.columns = class_columns(self.base.classes, self.classes)
        self.preprocess, self.backend = self.base.preprocess, self.base.backend
        self.meta = {**self.base.meta, "classes": list(self.classes), "restricted_from": list(self.base.classes)}

    def probs(self, faces: np.ndarray | list[np.ndarray]) -> np.ndarray:
        return restrict(self.base.probs(faces), self.columns)


def load_classifier(
    weights: str | os.PathLike = "default", backend: str = "onnx", threads: int | None = None
) -> Classifier | Ensemble | Subset:
    """A :class:`Classifier` for a shipped model name, a checkpoint, a run directory or an ``.onnx`` file;
    an :class:`Ensemble` for several, comma-separated; a :class:`Subset` for a shipped preset."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose {' or '.join(BACKENDS)}")
    specs = split_weights(weights)
    if len(specs) > 1:
        return Ensemble([load_classifier(s, backend, threads) for s in specs])
    found = preset(specs[0])
    if found is not None:
        subset = Subset(load_classifier(found["weights"], backend, threads), tuple(found["classes"]))
        subset.meta.update(name=specs[0], metrics=found.get("metrics", {}))
        return subset
    path = resolve_weights(specs[0])
    meta = read_meta(path)
    if backend == "onnx":
        run = onnx_run(_onnx_file(path), threads)
    else:
        require_torch("the torch backend")
        from ..models.checkpoint import load_checkpoint

        run = torch_run(load_checkpoint(path).model, threads)
    return Classifier(
        run=run,
        classes=tuple(meta["classes"]),
        preprocess=Preprocess.from_dict(meta["preprocess"]),
        meta=meta,
        backend=backend,
    )


def _onnx_file(path: Path) -> Path:
    if path.suffix == ".onnx":
        return path
    twin = shipped_onnx(path)
    if twin is not None:
        return twin
    require_torch(f"{path}: running a .safetensors checkpoint with ONNX Runtime (it is exported once)")
    from ..export.onnx import cached_onnx

    return cached_onnx(path)


def onnx_run(path: str | os.PathLike, threads: int | None = None) -> Run:
    sess = ort_session(path, threads)
    name = sess.get_inputs()[0].name

    def run(x: np.ndarray) -> np.ndarray:
        return sess.run(None, {name: x})[0]

    return run


def torch_run(model, threads: int | None = None) -> Run:
    import torch

    if threads:
        torch.set_num_threads(threads)
    model.eval()

    def run(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(x)).float().numpy()

    return run
