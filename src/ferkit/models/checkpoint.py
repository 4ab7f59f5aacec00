"""Checkpoints with PyTorch: writing a model and its metadata, and rebuilding the model from a file.

The file format and the torch-free readers are in :mod:`ferkit.models.meta`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..transforms.preprocess import Preprocess
from .meta import FORMAT, FORMAT_VERSION, META_KEY, CheckpointError, atomic_write, read_meta
from .registry import get_model
from .shipped import resolve_weights

__all__ = ["Checkpoint", "CheckpointError", "load_checkpoint", "save_checkpoint"]


@dataclass
class Checkpoint:
    """A checkpoint's PyTorch module with its classes, preprocessing and metadata (for training: warm
    starts, export; inference and evaluation take a :class:`~ferkit.models.model.Model`)."""

    model: nn.Module
    classes: tuple[str, ...]
    preprocess: Preprocess
    meta: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.meta.get("model", "model"))


def save_checkpoint(
    path: str | os.PathLike, model: nn.Module, *, model_name: str, model_args: dict,
    classes: tuple[str, ...] | list[str], preprocess: Preprocess, dtype: str = "float32", **extra,
) -> Path:  # fmt: skip
    """Write weights and metadata atomically (a crash mid-write never leaves a broken checkpoint).

    ``dtype`` "float16" or "bfloat16" halves the file (for weights sent back from a remote machine over a
    size-limited transfer); loading casts them back to the model's float32."""
    path = Path(path)
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "model": model_name, "model_args": model_args}
    meta.update(classes=list(classes), preprocess=preprocess.to_dict(), **extra)
    json.dumps(meta)  # plain types only: fail here, not at load time
    cast = getattr(torch, dtype)
    tensors = {
        k: (v.detach().to(cast) if v.is_floating_point() else v.detach()).cpu().contiguous()
        for k, v in model.state_dict().items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)}))
    return path


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    """Rebuild the model from a checkpoint path or a shipped model name (``"default"``).

    The file may come from a stranger: its header is validated (:func:`~ferkit.models.meta.check_meta`), and
    the architecture it names is built on PyTorch's ``meta`` device — shapes without memory — and checked
    tensor by tensor against the file before anything real is allocated."""
    path = resolve_weights(path)
    if path.suffix == ".onnx":
        raise CheckpointError(f"{path}: an ONNX export; PyTorch needs the .safetensors checkpoint")
    meta = read_meta(path)
    with torch.device("meta"):
        skeleton = _build(meta, path)
    _check_tensors(path, meta, skeleton)
    model = _build(meta, path)
    model.load_state_dict(load_file(str(path), device=str(device)))
    model.to(device).eval()
    return Checkpoint(model, tuple(meta["classes"]), Preprocess.from_dict(meta["preprocess"]), meta)


def _build(meta: dict, path: Path) -> nn.Module:
    try:
        size = meta["preprocess"].get("image_size", 48)
        return get_model(meta["model"], num_classes=len(meta["classes"]), image_size=size, **meta.get("model_args", {}))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: metadata fields 'model'/'model_args' do not build a model ({exc})") from None


def _check_tensors(path: Path, meta: dict, skeleton: nn.Module) -> None:
    """Every tensor the architecture expects is in the file with its shape, and nothing else is."""
    from safetensors import safe_open

    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    with safe_open(str(path), framework="pt") as fh:
        found = {k: tuple(fh.get_slice(k).get_shape()) for k in fh.keys()}
    missing, unexpected = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not fit {meta['model']} with model_args {meta.get('model_args', {})} "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for name, shape in expected.items():
        if found[name] != shape:
            raise CheckpointError(
                f"{path}: tensor {name!r} has shape {list(found[name])}, but model_args "
                f"{meta.get('model_args', {})} make it {list(shape)}"
            )
