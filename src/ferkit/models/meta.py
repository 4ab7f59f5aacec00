"""The checkpoint file format, read without torch.

A ferkit checkpoint is one ``.safetensors`` file whose header carries JSON metadata (architecture and
its arguments, class names, preprocessing, calibration, metrics), so inference needs no flags and
nothing is ever unpickled. Its ONNX export carries the same metadata. This module validates that header
(checkpoints may come from strangers) and reads it with safetensors or ONNX Runtime alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

FORMAT = "ferkit-checkpoint"
FORMAT_VERSION = 1
META_KEY = "ferkit"


class CheckpointError(ValueError):
    """A checkpoint file that is missing, unreadable or not a ferkit checkpoint."""


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


def read_meta(path: str | os.PathLike) -> dict:
    """The JSON metadata of a checkpoint file (``.safetensors`` or ``.onnx``), without loading the weights.
    (Names, presets and run folders: :func:`ferkit.models.shipped.spec_meta`.)"""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
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


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` a temporary file beside ``path``, then rename it over ``path`` (a crash mid-write never
    leaves a broken file), with the permissions any new file gets here (0644 under the usual umask):
    safetensors creates files 0600, which left checkpoints unreadable to others in readable run folders."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def update_meta(path: str | os.PathLike, **fields) -> dict:
    """Rewrite a ``.safetensors`` checkpoint's metadata with ``fields`` changed, weights untouched (numpy
    and safetensors only: calibrating needs no torch); returns the new metadata."""
    from safetensors.numpy import load_file, save_file

    path = Path(path)
    if path.suffix != ".safetensors":
        raise CheckpointError(f"{path}: only a .safetensors checkpoint can be rewritten (export it again after)")
    meta = {**read_meta(path), **fields}
    text = json.dumps(meta)
    tensors = load_file(str(path))
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={META_KEY: text}))
    return meta
