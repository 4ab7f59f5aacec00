"""Teachers named by recipe, so that a distilled model is rebuilt from the repository alone.

A recipe's ``teacher = "recipe:default-teacher.toml"`` (resolved beside the recipe that names it) means:
the model that recipe trains, on the same data. Before the student starts, its teacher's run folder
(``<student's --out folder's parent>/<teacher recipe's name>``) is reused when it holds a finished run of
that very recipe on that very data, resumed when it holds an interrupted one, and otherwise trained first
— recursively, so ``ferkit train --config configs/default.toml --data fer2013.zip --out runs/default``
rebuilds the default's whole chain. A folder holding some other run is an error, never overwritten.
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
#: is the same teacher.
_CIRCUMSTANCES = ("data", "out", "device", "threads", "teacher")


def resolve_teachers(cfg: TrainConfig) -> TrainConfig:
    """``cfg`` with every ``recipe:`` teacher replaced by the checkpoint of its (reused, resumed or newly
    trained) run."""
    if not cfg.teacher or RECIPE not in cfg.teacher:
        return cfg
    paths = [
        str(teacher_run(cfg, s[len(RECIPE) :]) / "best.safetensors") if s.startswith(RECIPE) else s
        for s in split_weights(cfg.teacher)
    ]
    return replace(cfg, teacher=",".join(paths))


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
