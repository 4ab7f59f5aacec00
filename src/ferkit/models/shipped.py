"""Where a weights spec points: the models that ship inside the package, presets, run folders, files.

A spec is a shipped model name (``default``), a preset name (``default-3class``: a shipped model restricted
to some of its classes), a checkpoint (``.safetensors``), an ONNX export (``.onnx``), a run folder (its
``best.safetensors``), or several of these comma-separated (an ensemble). :func:`ferkit.models.model.load_model`
is the one place that turns a spec into a model; this module only finds files and reads their metadata.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from .meta import CheckpointError, read_meta

PRESET_SUFFIX = ".preset.json"


def weights_dir() -> Path:
    """The package folder that holds the shipped models."""
    return Path(str(resources.files("ferkit") / "weights"))


def shipped_models() -> dict[str, Path]:
    """Models that ship inside the package, by name (their ``.safetensors`` file)."""
    root = weights_dir()
    return {p.name[: -len(".safetensors")]: p for p in sorted(root.glob("*.safetensors"))} if root.is_dir() else {}


def shipped_presets() -> dict[str, dict]:
    """Shipped models that are another shipped model restricted to some of its classes, by name.

    ``weights/NAME.preset.json`` holds ``{"weights": BASE, "classes": [...], "metrics": {...}}``. The
    3-class model is one: the 7-class default restricted to happy/sad/neutral scored higher on PublicTest
    than a network trained on those classes alone, so it ships as a name (with its own card and metrics)
    rather than as a second copy of the same weights."""
    root = weights_dir()
    files = sorted(root.glob("*" + PRESET_SUFFIX)) if root.is_dir() else []
    return {p.name[: -len(PRESET_SUFFIX)]: _check_preset(p) for p in files}


def preset(spec: str | os.PathLike) -> dict | None:
    """The preset named ``spec`` (see :func:`shipped_presets`), or None when ``spec`` is anything else."""
    if isinstance(spec, os.PathLike) or Path(spec).exists():
        return None
    return shipped_presets().get(str(spec))


def _check_preset(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        raise CheckpointError(f"{path}: not valid JSON ({exc})") from None
    classes = doc.get("classes") if isinstance(doc, dict) else None
    names = isinstance(classes, list) and len(classes) >= 2 and all(isinstance(c, str) for c in classes)
    if not (names and isinstance(doc.get("weights"), str)):
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
    """The file of one (non-preset) spec: a checkpoint or ONNX path, a run folder's ``best.safetensors``, or
    a shipped model's file."""
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


def shipped_onnx(path: Path, precision: str = "fp32") -> Path | None:
    """The ``.onnx`` twin of a shipped ``.safetensors`` model (``NAME.int8.onnx`` for ``precision="int8"``,
    falling back to the float32 twin where no int8 one ships), if it ships one."""
    if path.parent != weights_dir():
        return None
    for twin in ([path.with_suffix(".int8.onnx")] if precision == "int8" else []) + [path.with_suffix(".onnx")]:
        if twin.is_file():
            return twin
    return None


def spec_meta(spec: str | os.PathLike) -> dict:
    """The metadata of one spec without loading its weights; for a preset, its base model's with the
    preset's classes, name and metrics."""
    found = preset(spec)
    if found is None:
        return read_meta(resolve_weights(spec))
    base = spec_meta(found["weights"])
    unknown = sorted(set(found["classes"]) - set(base["classes"]))
    if unknown:
        raise CheckpointError(f"{spec}: preset classes {unknown} are not classes of {found['weights']}")
    restricted = {"classes": found["classes"], "restricted_from": base["classes"]}
    return {**base, **restricted, "name": str(spec), "metrics": found.get("metrics", {})}
