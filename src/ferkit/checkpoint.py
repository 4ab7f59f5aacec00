"""Checkpoints: one ``.safetensors`` file that carries the weights and, in its header, plain JSON metadata
(architecture and its arguments, class names, preprocessing, calibration, metrics), so inference needs
no flags and nothing is ever unpickled.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from .models import get_model
from .transforms import Preprocess

FORMAT = "ferkit-checkpoint"
FORMAT_VERSION = 1
_META_KEY = "ferkit"


class CheckpointError(ValueError):
    """A checkpoint file that is missing, unreadable or not a ferkit checkpoint."""


@dataclass
class Checkpoint:
    """A model ready for inference plus everything needed to use it."""

    model: nn.Module
    classes: tuple[str, ...]
    preprocess: Preprocess
    meta: dict = field(default_factory=dict)

    @property
    def temperature(self) -> float:
        return float(self.meta.get("temperature", 1.0))

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.meta.get("model", "model"))


def save_checkpoint(path: str | os.PathLike, model: nn.Module, *, model_name: str, model_args: dict,
                    classes: tuple[str, ...] | list[str], preprocess: Preprocess, **extra) -> Path:
    """Write weights and metadata atomically (a crash mid-write never leaves a broken checkpoint)."""
    path = Path(path)
    meta = {
        "format": FORMAT, "version": FORMAT_VERSION, "model": model_name, "model_args": model_args,
        "classes": list(classes), "preprocess": preprocess.to_dict(), **extra,
    }
    json.dumps(meta)  # plain types only: fail here, not at load time
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={_META_KEY: json.dumps(meta)})
    os.replace(tmp, path)
    return path


def read_meta(path: str | os.PathLike) -> dict:
    """The JSON metadata of a checkpoint, without loading the weights."""
    path = resolve_weights(path)
    try:
        with safe_open(str(path), framework="pt") as fh:
            header = fh.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for corrupt headers
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from exc
    if _META_KEY not in header:
        raise CheckpointError(f"{path}: a safetensors file without ferkit metadata")
    meta = json.loads(header[_META_KEY])
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a ferkit checkpoint")
    return meta


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    """Rebuild the model from a checkpoint path or a shipped model name (``"default"``)."""
    path = resolve_weights(path)
    meta = read_meta(path)
    model = get_model(meta["model"], num_classes=len(meta["classes"]),
                      image_size=meta["preprocess"]["image_size"], **meta.get("model_args", {}))
    state = load_file(str(path), device=str(device))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(f"{path}: weights do not fit {meta['model']} (missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]})")
    model.to(device).eval()
    return Checkpoint(model=model, classes=tuple(meta["classes"]),
                      preprocess=Preprocess.from_dict(meta["preprocess"]), meta=meta)


def shipped_models() -> dict[str, Path]:
    """Models that ship inside the package, by name."""
    root = resources.files("ferkit") / "weights"
    out = {}
    if root.is_dir():
        for entry in root.iterdir():
            if entry.name.endswith(".safetensors"):
                out[entry.name[: -len(".safetensors")]] = Path(str(entry))
    return dict(sorted(out.items()))


def resolve_weights(spec: str | os.PathLike) -> Path:
    """A checkpoint path, a run directory (its ``best.safetensors``) or a shipped model name."""
    path = Path(spec)
    if path.is_dir():
        path = path / "best.safetensors"
    if path.is_file():
        return path
    shipped = shipped_models()
    if str(spec) in shipped:
        return shipped[str(spec)]
    hint = f"; shipped models: {', '.join(shipped)}" if shipped else ""
    raise CheckpointError(f"{spec}: no such checkpoint file{hint}")


def update_meta(path: str | os.PathLike, **fields) -> dict:
    """Rewrite a checkpoint's metadata with ``fields`` changed (weights untouched); returns the new metadata."""
    path = Path(path)
    meta = {**read_meta(path), **fields}
    json.dumps(meta)
    tensors = load_file(str(path))
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={_META_KEY: json.dumps(meta)})
    os.replace(tmp, path)
    return meta
