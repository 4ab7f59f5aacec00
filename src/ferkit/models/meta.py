"""Checkpoint files without torch: where they are, and the plain JSON metadata in their header.

A ferkit checkpoint is one ``.safetensors`` file whose header carries JSON metadata (architecture and
its arguments, class names, preprocessing, calibration, metrics), so inference needs no flags and
nothing is ever unpickled. Shipped models live in the package's ``weights/`` folder, each as
``NAME.safetensors`` (for PyTorch) and ``NAME.onnx`` (for ONNX Runtime, with the same metadata).
This module reads both with numpy and safetensors alone, so an install without torch can use them.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

FORMAT = "ferkit-checkpoint"
FORMAT_VERSION = 1
META_KEY = "ferkit"


class CheckpointError(ValueError):
    """A checkpoint file that is missing, unreadable or not a ferkit checkpoint."""


class MetaFields:
    """The metadata fields a loaded model is used by, for classes that hold a checkpoint's ``meta``."""

    meta: dict

    @property
    def temperature(self) -> float:
        return float(self.meta.get("temperature", 1.0))

    @property
    def class_bias(self) -> list[float] | None:
        """Per-class logit offsets fitted by ``ferkit calibrate --recall-floor`` (None: no offsets)."""
        return self.meta.get("class_bias")

    def calibrated(self, logits: np.ndarray) -> np.ndarray:
        """The probabilities a model reports: ``softmax(logits / temperature + class_bias)``."""
        from ..probs import softmax

        return softmax(logits, self.temperature, self.class_bias)

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.meta.get("model", "model"))


def weights_dir() -> Path:
    """The package folder that holds the shipped models."""
    return Path(str(resources.files("ferkit") / "weights"))


def shipped_models() -> dict[str, Path]:
    """Models that ship inside the package, by name (their ``.safetensors`` file)."""
    root = weights_dir()
    return {p.name[: -len(".safetensors")]: p for p in sorted(root.glob("*.safetensors"))} if root.is_dir() else {}


PRESET_SUFFIX = ".preset.json"


def shipped_presets() -> dict[str, dict]:
    """Shipped models that are another shipped model restricted to some of its classes, by name.

    ``weights/NAME.preset.json`` holds ``{"weights": BASE, "classes": [...], "metrics": {...}}``. The
    3-class model is one: the 7-class default restricted to happy/sad/neutral scored higher on PublicTest
    than a network trained on those classes alone, so it ships as a name (with its own card and metrics)
    rather than as a second copy of the same weights."""
    root = weights_dir()
    files = sorted(root.glob("*" + PRESET_SUFFIX)) if root.is_dir() else []
    return {p.name[: -len(PRESET_SUFFIX)]: _check_preset(_json(p.read_text(), p), p) for p in files}


def preset(spec: str | os.PathLike) -> dict | None:
    """The preset named ``spec`` (see :func:`shipped_presets`), or None when ``spec`` is anything else."""
    if isinstance(spec, os.PathLike) or Path(spec).exists():
        return None
    return shipped_presets().get(str(spec))


def _check_preset(doc: object, path: Path) -> dict:
    if not (
        isinstance(doc, dict)
        and isinstance(doc.get("weights"), str)
        and isinstance(doc.get("classes"), list)
        and len(doc["classes"]) >= 2
        and all(isinstance(c, str) for c in doc["classes"])
    ):
        raise CheckpointError(f"{path}: a preset needs 'weights' (a shipped model) and 'classes' (2 or more names)")
    return doc


def split_weights(spec: str | os.PathLike) -> list[str]:
    """The members of a weights spec: ``"a.safetensors,b.onnx,default"`` is an ensemble of three."""
    if isinstance(spec, os.PathLike):
        return [str(spec)]
    parts = [s.strip() for s in str(spec).split(",") if s.strip()]
    if not parts:
        raise CheckpointError("no weights given")
    return parts


def resolve_weights(spec: str | os.PathLike) -> Path:
    """A checkpoint path (``.safetensors`` or ``.onnx``), a run directory (its ``best.safetensors``) or a
    shipped model name."""
    found = preset(spec)
    if found is not None:
        classes = ",".join(found["classes"])
        raise CheckpointError(
            f"{spec}: a preset ({found['weights']} restricted to {classes}), not one checkpoint file; "
            f"use --weights {found['weights']} --classes {classes}"
        )
    path = Path(spec)
    if path.is_dir():
        path = path / "best.safetensors"
    if path.is_file():
        return path
    shipped = shipped_models()
    if str(spec) in shipped:
        return shipped[str(spec)]
    names = [*shipped, *shipped_presets()]
    hint = f"; shipped models: {', '.join(names)}" if names else ""
    raise CheckpointError(f"{spec}: no such checkpoint file{hint}")


def shipped_onnx(path: Path) -> Path | None:
    """The ``.onnx`` twin of a shipped ``.safetensors`` model, if it ships one."""
    twin = path.with_suffix(".onnx")
    return twin if path.parent == weights_dir() and twin.is_file() else None


def check_meta(meta: object, path: Path | str) -> dict:
    """The metadata if it is a well-formed ferkit checkpoint's, else a :class:`CheckpointError` naming the
    file and the field. Checkpoints may come from strangers: nothing is built from a header before this."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a ferkit checkpoint")
    for key, kind in (("model", str), ("classes", list), ("preprocess", dict)):
        if not isinstance(meta.get(key), kind):
            raise CheckpointError(f"{path}: metadata field {key!r} is missing or not a {kind.__name__}")
    classes = meta["classes"]
    if not 2 <= len(classes) <= 1000 or not all(isinstance(c, str) and c for c in classes):
        raise CheckpointError(f"{path}: metadata field 'classes' must list 2 to 1000 class names")
    if len(set(classes)) != len(classes):
        raise CheckpointError(f"{path}: metadata field 'classes' names a class twice")
    pre = meta["preprocess"]
    _number(pre.get("image_size", 48), "preprocess.image_size", path, 8, 1024, integer=True)
    _number(pre.get("mean", 0.5), "preprocess.mean", path, -1e3, 1e3)
    _number(pre.get("std", 0.25), "preprocess.std", path, 1e-6, 1e3)
    _number(meta.get("temperature", 1.0), "temperature", path, 1e-3, 1e3)
    bias = meta.get("class_bias")
    if bias is not None:
        if not isinstance(bias, list) or len(bias) != len(classes):
            raise CheckpointError(f"{path}: metadata field 'class_bias' must list one number per class")
        for i, b in enumerate(bias):
            _number(b, f"class_bias[{i}]", path, -10, 10)
    if not isinstance(meta.get("model_args", {}), dict):
        raise CheckpointError(f"{path}: metadata field 'model_args' is not an object")
    return meta


def _number(value: object, field: str, path: Path | str, low: float, high: float, integer: bool = False) -> None:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if not ok or isinstance(value, bool) or not low <= value <= high:  # NaN fails the range test too
        kind = "a whole number" if integer else "a number"
        raise CheckpointError(
            f"{path}: metadata field {field!r} must be {kind} from {low:g} to {high:g}, not {value!r}"
        )


def read_meta(spec: str | os.PathLike) -> dict:
    """The JSON metadata of a checkpoint (``.safetensors`` or ``.onnx``), without loading the weights; for
    a preset, its base model's with the preset's classes, name and metrics."""
    found = preset(spec)
    if found is not None:
        base = read_meta(found["weights"])
        unknown = sorted(set(found["classes"]) - set(base["classes"]))
        if unknown:
            raise CheckpointError(f"{spec}: preset classes {unknown} are not classes of {found['weights']}")
        restricted = {"classes": found["classes"], "restricted_from": base["classes"]}
        return {**base, **restricted, "name": str(spec), "metrics": found.get("metrics", {})}
    path = resolve_weights(spec)
    if path.suffix == ".onnx":
        return read_onnx_meta(path)
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as fh:
            header = fh.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for corrupt headers
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from exc
    if META_KEY not in header:
        raise CheckpointError(f"{path}: a safetensors file without ferkit metadata")
    return check_meta(_json(header[META_KEY], path), path)


def read_onnx_meta(path: Path) -> dict:
    """The ferkit metadata that ``ferkit export`` stores in an ONNX model (read with ONNX Runtime)."""
    import onnxruntime as ort

    try:
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own error types for bad files
        raise CheckpointError(f"{path}: not a readable ONNX model ({exc})") from exc
    raw = sess.get_modelmeta().custom_metadata_map.get(META_KEY)
    if raw is None:
        raise CheckpointError(f"{path}: an ONNX model without ferkit metadata (export it with `ferkit export`)")
    return check_meta(_json(raw, path), path)


def _json(text: str, path: Path) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CheckpointError(f"{path}: metadata is not valid JSON ({exc})") from None
