"""Hyper-parameter search with Optuna: each trial is a ``ferkit train`` run, pruned on validation accuracy.

The study lives in a database (SQLite in the output folder by default, or any URL Optuna accepts), so a
search can be stopped and continued, or run from several machines at once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from pathlib import Path

from .config import TrainConfig
from .loop import train

log = logging.getLogger(__name__)


def suggest(trial, base: TrainConfig) -> TrainConfig:
    """The search space: learning rate, weight decay, label smoothing, augmentation strength, mixup."""
    lr_range = (1e-3, 0.2) if base.optimizer == "sgd" else (1e-4, 1e-2)
    floats = {"lr": (*lr_range, True), "weight_decay": (1e-5, 2e-3, True), "label_smoothing": (0.0, 0.2, False)}
    choices = {"augment": ["light", "default", "strong"], "mixup": [0.0, 0.2, 0.4]}
    picked = {k: trial.suggest_float(k, lo, hi, log=log) for k, (lo, hi, log) in floats.items()}
    return replace(base, **picked, **{k: trial.suggest_categorical(k, v) for k, v in choices.items()})


def tune(
    base: TrainConfig, out: str | Path, *, trials: int = 20, storage: str | None = None, study_name: str = "ferkit",
    seed: int = 0,
) -> dict:  # fmt: skip
    """Run ``trials`` trials (more if the study already has some) and write ``best_config.json`` and
    ``search.png`` to ``out``."""
    import optuna

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    storage = storage or f"sqlite:///{(out / 'study.db').resolve()}"
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)  # prunes from the 3rd trial
    kw = dict(direction="maximize", load_if_exists=True, sampler=optuna.samplers.TPESampler(seed=seed))
    study = optuna.create_study(study_name=study_name, storage=storage, pruner=pruner, **kw)

    def objective(trial) -> float:
        cfg = replace(suggest(trial, base), out=str(out / f"trial-{trial.number:03d}"))

        def report(epoch: int, row: dict) -> None:
            trial.report(row["val_acc"], epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch} (val {row['val_acc']:.4f})")

        result = train(cfg, progress=False, on_epoch=report)
        trial.set_user_attr("config", asdict(cfg))
        return result.best_val_acc

    study.optimize(objective, n_trials=trials)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise RuntimeError("no trial completed")
    best = study.best_trial
    best_cfg = {**best.user_attrs["config"], "out": str(out / "best")}
    (out / "best_config.json").write_text(json.dumps(best_cfg, indent=2))
    _plot(study, out / "search.png")
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    summary = {"storage": storage, "study": study_name, "trials": len(study.trials), "completed": len(done)}
    summary.update(pruned=pruned, best_val_acc=best.value, best_params=best.params)
    summary.update(best_config=str(out / "best_config.json"), plot=str(out / "search.png"))
    (out / "tune.json").write_text(json.dumps(summary, indent=2))
    return summary


def _plot(study, path: Path) -> None:
    """Validation accuracy of every trial over the search, with the running best."""
    import optuna

    from ..evaluation.plots import plt

    trials = [t for t in study.trials if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    best = float("-inf")
    xs, bests = [], []
    for t in trials:
        value = t.value if t.value is not None else max(t.intermediate_values.values(), default=float("nan"))
        pruned = t.state == optuna.trial.TrialState.PRUNED
        ax.scatter(t.number, value, c="tab:gray" if pruned else "tab:blue", marker="x" if pruned else "o")
        if not pruned:
            best = max(best, value)
        xs.append(t.number)
        bests.append(best)
    ax.step(xs, bests, where="post", color="tab:orange", label="best so far")
    ax.set(xlabel="trial", ylabel="validation accuracy", title="Hyper-parameter search (x = pruned)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
