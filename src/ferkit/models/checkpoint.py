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
from .meta import FORMAT, FORMAT_VERSION, META_KEY, CheckpointError, MetaFields, read_meta, resolve_weights
from .registry import get_model

__all__ = ["Checkpoint", "CheckpointError", "load_checkpoint", "save_checkpoint", "update_meta"]


@dataclass
class Checkpoint(MetaFields):
    """A model ready for inference plus everything needed to use it."""

    model: nn.Module
    classes: tuple[str, ...]
    preprocess: Preprocess
    meta: dict = field(default_factory=dict)


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    *,
    model_name: str,
    model_args: dict,
    classes: tuple[str, ...] | list[str],
    preprocess: Preprocess,
    **extra,
) -> Path:
    """Write weights and metadata atomically (a crash mid-write never leaves a broken checkpoint)."""
    path = Path(path)
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "model": model_name,
        "model_args": model_args,
        "classes": list(classes),
        "preprocess": preprocess.to_dict(),
        **extra,
    }
    json.dumps(meta)  # plain types only: fail here, not at load time
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    """Rebuild the model from a checkpoint path or a shipped model name (``"default"``)."""
    path = resolve_weights(path)
    if path.suffix == ".onnx":
        raise CheckpointError(f"{path}: an ONNX export; PyTorch needs the .safetensors checkpoint")
    meta = read_meta(path)
    model = get_model(
        meta["model"],
        num_classes=len(meta["classes"]),
        image_size=meta["preprocess"]["image_size"],
        **meta.get("model_args", {}),
    )
    state = load_file(str(path), device=str(device))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not fit {meta['model']} (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    model.to(device).eval()
    return Checkpoint(
        model=model, classes=tuple(meta["classes"]), preprocess=Preprocess.from_dict(meta["preprocess"]), meta=meta
    )


def update_meta(path: str | os.PathLike, **fields) -> dict:
    """Rewrite a checkpoint's metadata with ``fields`` changed (weights untouched); returns the new metadata."""
    path = Path(path)
    meta = {**read_meta(path), **fields}
    json.dumps(meta)
    tensors = load_file(str(path))
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    os.replace(tmp, path)
    return meta
