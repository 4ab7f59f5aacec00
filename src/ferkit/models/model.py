"""The one way to load a model: :func:`load_model` turns any weights spec into a :class:`Model` that
turns uint8 grey faces into calibrated probabilities.

A :class:`Network` is one checkpoint run by ONNX Runtime (no torch needed: a shipped model uses the
``.onnx`` that ships beside it, another checkpoint is exported once and cached by its hash) or by PyTorch.
An :class:`Ensemble` averages its members' probabilities; a :class:`Subset` restricts a model to some of
its classes, renormalised (a preset like ``default-3class`` is one). Inference, evaluation, calibration,
distillation teachers and the service all take a ``Model``, so a spec means the same everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..probs import at_widths, class_columns, restrict, softmax
from ..runtime import resolve_precision
from ..transforms.preprocess import Preprocess
from ..transforms.views import tta_views
from .meta import CheckpointError, read_meta
from .shipped import preset, resolve_weights, shipped_onnx, split_weights

Run = Callable[[np.ndarray], np.ndarray]
BACKENDS = ("onnx", "torch")
Faces = np.ndarray | Sequence[np.ndarray]


class Model:
    """Faces in, calibrated probabilities over ``classes`` out."""

    classes: tuple[str, ...]
    preprocess: Preprocess
    meta: dict
    backend: str

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.meta.get("model", "model"))

    def probs(self, faces: Faces, *, tta: bool = False, widths: Sequence[float] | None = None) -> np.ndarray:
        """Calibrated probabilities ``(N, C)`` for uint8 grey faces of any size (resized as in training);
        with ``tta`` the mean logits of ten shifted and mirrored views. ``widths`` says how many pixels wide
        each face was in its photo (None: at least the network's input size), for checkpoints calibrated
        for small faces."""
        raise NotImplementedError

    def networks(self) -> list[Network]:
        """The checkpoints this model runs (one, or an ensemble's members)."""
        raise NotImplementedError


@dataclass
class Network(Model):
    """One checkpoint: its logits function and everything needed to use it."""

    run: Run
    classes: tuple[str, ...]
    preprocess: Preprocess
    meta: dict = field(default_factory=dict)
    backend: str = "onnx"
    batch_size: int = 256
    module: object | None = None  # the torch module, for the torch backend (distillation runs it on a GPU)

    @property
    def temperature(self) -> float:
        return float(self.meta.get("temperature", 1.0))

    @property
    def class_bias(self) -> list[float] | None:
        """Per-class logit offsets fitted by ``ferkit calibrate --recall-floor`` (None: no offsets)."""
        return self.meta.get("class_bias")

    def calibrated(self, logits: np.ndarray, widths: Sequence[float] | None = None) -> np.ndarray:
        """The probabilities it reports: ``softmax(logits / temperature + class_bias)``, with the temperature
        and offsets of each face's width where the checkpoint was calibrated for small faces."""
        table = self.meta.get("small_faces")
        if widths is None or not table:
            return softmax(logits, self.temperature, self.class_bias)
        t, bias = at_widths(table, self.temperature, self.class_bias, widths, self.preprocess.image_size)
        return softmax(logits, t, bias)

    def logits(self, faces: Faces, *, tta: bool = False) -> np.ndarray:
        """Raw logits ``(N, C)``; with ``tta`` averaged over :func:`~ferkit.transforms.views.tta_views`."""
        x = self.preprocess.numpy(faces)
        out = []
        for i in range(0, len(x), self.batch_size):
            batch = x[i : i + self.batch_size]
            views = tta_views(batch) if tta else [batch]
            out.append(np.mean([self.run(v) for v in views], axis=0, dtype=np.float32))
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)

    def probs(self, faces: Faces, *, tta: bool = False, widths: Sequence[float] | None = None) -> np.ndarray:
        return self.calibrated(self.logits(faces, tta=tta), widths)

    def networks(self) -> list[Network]:
        return [self]


@dataclass
class Ensemble(Model):
    """Several models of the same classes whose calibrated probabilities are averaged (each member keeps
    its own preprocessing and calibration)."""

    members: list[Model]

    def __post_init__(self) -> None:
        first = self.members[0]
        for m in self.members[1:]:
            if m.classes != first.classes:
                raise CheckpointError(f"ensemble members disagree on classes: {first.classes} vs {m.classes}")
        self.classes, self.preprocess, self.backend = first.classes, first.preprocess, first.backend
        names, members = "+".join(m.name for m in self.members), [m.meta for m in self.members]
        self.meta = {"name": names, "model": "ensemble", "classes": list(first.classes), "members": members}

    def probs(self, faces: Faces, *, tta: bool = False, widths: Sequence[float] | None = None) -> np.ndarray:
        return np.mean([m.probs(faces, tta=tta, widths=widths) for m in self.members], axis=0).astype(np.float32)

    def networks(self) -> list[Network]:
        return [n for m in self.members for n in m.networks()]


@dataclass
class Subset(Model):
    """A model restricted to some of its classes, its probabilities renormalised over them (the 3-class
    happy/sad/neutral task from a 7-class model)."""

    base: Model
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        self.columns = class_columns(self.base.classes, self.classes)
        self.preprocess, self.backend = self.base.preprocess, self.base.backend
        self.meta = {**self.base.meta, "classes": list(self.classes), "restricted_from": list(self.base.classes)}

    def probs(self, faces: Faces, *, tta: bool = False, widths: Sequence[float] | None = None) -> np.ndarray:
        return restrict(self.base.probs(faces, tta=tta, widths=widths), self.columns)

    def networks(self) -> list[Network]:
        return self.base.networks()


def load_model(
    spec: str | os.PathLike = "default", *, backend: str = "onnx", classes: str | Sequence[str] | None = None,
    threads: int | None = None, device: str = "cpu", precision: str = "fp32",
) -> Model:  # fmt: skip
    """A :class:`Model` for a shipped model or preset name, a checkpoint, a run folder or an ``.onnx`` file,
    or several comma-separated (an :class:`Ensemble`); ``classes`` restricts it (a :class:`Subset`).
    ``backend`` is ``onnx`` (no torch needed), ``torch`` (on ``device``) or ``auto`` (torch where it is
    installed, the way evaluation and calibration have always run, else onnx). ``precision`` (onnx only):
    ``int8`` runs a shipped model's int8 twin, ``auto`` does where the processor suits it
    (:func:`ferkit.runtime.resolve_precision`)."""
    if backend == "auto":
        from ..extras import has_torch

        backend = "torch" if has_torch() else "onnx"
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose {', '.join((*BACKENDS, 'auto'))}")
    specs = split_weights(spec)
    if len(specs) > 1:
        same = dict(backend=backend, threads=threads, device=device, precision=precision)
        model: Model = Ensemble([load_model(s, **same) for s in specs])
    else:
        model = _load_one(specs[0], backend, threads, device, precision)
    if classes:
        from ..labels import parse_classes

        wanted = parse_classes(classes) if isinstance(classes, str) else tuple(classes)
        if wanted != model.classes:
            model = Subset(model, wanted)
    return model


def _load_one(spec: str, backend: str, threads: int | None, device: str, precision: str) -> Model:
    found = preset(spec)
    if found is not None:
        subset = Subset(_load_one(found["weights"], backend, threads, device, precision), tuple(found["classes"]))
        subset.meta.update(name=spec, metrics=found.get("metrics", {}))
        return subset
    path = resolve_weights(spec)
    meta = read_meta(path)
    module = None
    if backend == "onnx":
        file = onnx_file(path, resolve_precision(precision))
        meta = {**meta, "precision": "int8" if file.name.endswith(".int8.onnx") else "fp32"}
        run = onnx_run(file, threads)
    else:
        from ..extras import require_torch

        require_torch("the torch backend")
        from .checkpoint import load_checkpoint

        module = load_checkpoint(path, device=device).model
        run = torch_run(module, threads, device)
    pre = Preprocess.from_dict(meta["preprocess"])
    return Network(run, tuple(meta["classes"]), pre, meta, backend=backend, module=module)


def onnx_file(path: Path, precision: str = "fp32") -> Path:
    """The ONNX file a checkpoint runs from: itself, a shipped twin (int8 where asked and shipped), or its
    export, made once and cached (that needs torch)."""
    if path.suffix == ".onnx":
        return path
    twin = shipped_onnx(path, precision)
    if twin is not None:
        return twin
    from ..extras import require_torch

    require_torch(f"{path}: running a .safetensors checkpoint with ONNX Runtime (it is exported once)")
    from ..export.onnx import cached_onnx

    return cached_onnx(path)


def onnx_run(path: str | os.PathLike, threads: int | None = None) -> Run:
    from ..runtime import ort_session

    try:
        sess = ort_session(path, threads)
    except Exception as exc:  # ONNX Runtime raises its own types for unreadable or foreign files
        raise CheckpointError(f"{path}: not a model ONNX Runtime can load ({str(exc).splitlines()[0]})") from None
    name = sess.get_inputs()[0].name

    def run(x: np.ndarray) -> np.ndarray:
        return sess.run(None, {name: x})[0]

    return run


def torch_run(module, threads: int | None = None, device: str = "cpu") -> Run:
    import torch

    if threads:
        torch.set_num_threads(threads)
    module.eval()

    def run(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return module(torch.from_numpy(x).to(device)).float().cpu().numpy()

    return run
