"""Teachers named by recipe, so that a distilled model is rebuilt from the repository alone.

A recipe's ``teacher = "recipe:default-teacher.toml"`` (resolved beside the recipe that names it) means:
the model that recipe trains, on the same data. Before the student starts, its teacher's run folder
(``<student's --out folder's parent>/<teacher recipe's name>``) is reused when it holds a finished run of
that very recipe on that very data, resumed when it holds an interrupted one, and otherwise trained first
— recursively, so ``ferkit train --config configs/default.toml --data fer2013.zip --out runs/default``
rebuilds the default's whole chain. A folder holding some other run is an error, never overwritten.
``init_from = "recipe:..."`` (a fine-tune's starting point) is resolved the same way, and
``recipe:flagship.toml@int8`` names that run's int8 twin (written beside its checkpoint, calibrated on
1,000 Training faces of the same data): big teachers run several times as fast so on a CPU (where
teachers run in PyTorch, on a GPU or by ``teacher_runtime = "torch"``, the checkpoint itself teaches).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from pathlib import Path

from ..models.shipped import split_weights
from .config import TrainConfig

log = logging.getLogger(__name__)

RECIPE = "recipe:"
#: Fields that say where and how a run ran, not what it learns: a teacher run that differs only in these
#: is the same teacher (``teacher`` and ``init_from`` name models: as recipes in a recipe, as files in a run).
_CIRCUMSTANCES = ("data", "out", "device", "threads", "teacher", "init_from")


def resolve_teachers(cfg: TrainConfig) -> TrainConfig:
    """``cfg`` with every ``recipe:`` teacher and starting point replaced by the file of its (reused,
    resumed or newly trained) run."""
    changes = {}
    if cfg.init_from and cfg.init_from.startswith(RECIPE):
        changes["init_from"] = _resolve(cfg, cfg.init_from)
    if cfg.teacher and RECIPE in cfg.teacher:
        changes["teacher"] = ",".join(_resolve(cfg, s) for s in split_weights(cfg.teacher))
    return replace(cfg, **changes) if changes else cfg


def _resolve(cfg: TrainConfig, spec: str) -> str:
    if not spec.startswith(RECIPE):
        return spec
    recipe, _, form = spec[len(RECIPE) :].partition("@")
    if form not in ("", "int8"):
        raise ValueError(f"{spec}: the only form a recipe's model can be named in is @int8, not @{form}")
    best = teacher_run(cfg, recipe) / "best.safetensors"
    if not form or not _onnx_teachers(cfg):  # teachers in PyTorch: the checkpoint itself, not its ONNX twin
        return str(best)
    return str(int8_twin(best, cfg.data))


def _onnx_teachers(cfg: TrainConfig) -> bool:
    from .distill import teachers_on_onnx
    from .distributed import resolve_device

    return teachers_on_onnx(cfg.teacher_runtime, resolve_device(cfg.device))


def int8_twin(best: Path, data: str) -> Path:
    """``best``'s int8 twin beside it (``best.int8.onnx``), written when missing or older than ``best``."""
    from ..export.quantize import quantize_classifier

    twin = best.with_suffix(".int8.onnx")
    if not twin.exists() or twin.stat().st_mtime < best.stat().st_mtime:
        log.info("teacher %s: writing its int8 twin", best.parent)
        quantize_classifier(str(best), data, twin)
    return twin


def teacher_run(student: TrainConfig, recipe: str) -> Path:
    """The run folder of the teacher ``recipe`` for ``student``, finished (see the module docstring)."""
    from .loop import train

    out = Path(student.out).parent / Path(recipe).stem
    cfg = TrainConfig.from_file(recipe, data=student.data, out=str(out), device=student.device)
    if (out / "summary.json").exists():
        _check_same(out, cfg)
        log.info("teacher %s: reusing the finished run in %s", recipe, out)
    elif (out / "state" / "last.json").exists():
        _check_same(out, cfg)
        log.info("teacher %s: resuming the interrupted run in %s", recipe, out)
        train(cfg, resume=True)
    else:
        log.info("teacher %s: training it first, into %s", recipe, out)
        train(cfg)
    return out


def _check_same(out: Path, cfg: TrainConfig) -> None:
    saved = json.loads((out / "config.json").read_text())
    want = {k: v for k, v in asdict(cfg).items() if k not in _CIRCUMSTANCES}
    differ = sorted(k for k, v in want.items() if saved.get(k) != v)
    if differ:
        raise FileExistsError(
            f"{out}: holds another run than the teacher recipe asks for (it differs in {', '.join(differ)}); "
            "move it away, or train the student with another --out"
        )
    if Path(saved.get("data", "")).resolve() != Path(cfg.data).resolve():
        raise FileExistsError(f"{out}: was trained on {saved.get('data')}, not {cfg.data}; move it away")
