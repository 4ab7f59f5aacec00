"""``ferkit train``, ``ferkit finetune`` and ``ferkit tune`` (these need PyTorch: ``ferkit[train]``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from ..extras import require_torch
from ..labels import LABEL_MODES
from ..training.config import INF, RANGES, TrainConfig
from .checks import COUNT, NON_NEGATIVE_INT, POSITIVE, number, output_dir
from .data import add_ferplus_flag
from .output import console


def register(sub: argparse._SubParsersAction) -> None:
    tr = sub.add_parser("train", help="train a model; writes a run directory")
    tr.add_argument("--config", help="a .toml or .json config; flags override it")
    tr.add_argument("--resume", action="store_true", help="continue the interrupted run in --out exactly")
    helps = {k: v.replace("%", "%%") for k, v in TrainConfig.field_help().items()}  # argparse formats with %
    add_config_flags(tr, helps)
    tr.set_defaults(func=cmd_train)

    ft = sub.add_parser("finetune", help="adapt a trained model to your own labelled folders")
    ft.add_argument("--from", dest="source", default="default", help="shipped model name or checkpoint to start from")
    ft.add_argument("--data", required=True, help="your folders: train|val|test/<class>/ or just <class>/")
    ft.add_argument("--out", required=True, type=output_dir)
    ft.add_argument("--classes", help="subset of your classes")
    ft.add_argument("--epochs", type=COUNT)
    ft.add_argument("--lr", type=POSITIVE, help="learning rate (default 0.01, a fifth of from-scratch)")
    ft.add_argument("--batch-size", type=number(int, 2))
    ft.add_argument("--seed", type=NON_NEGATIVE_INT)
    ft.add_argument("--freeze-backbone", action="store_true", help="train only the new classifier head")
    add_ferplus_flag(ft, "label FER2013 by FER+'s votes")
    ft.add_argument("--label-mode", choices=LABEL_MODES, help="FER+ training labels")
    ft.add_argument("--no-compare", action="store_true", help="skip the from-scratch comparison run")
    ft.set_defaults(func=cmd_finetune)

    tu = sub.add_parser("tune", help="hyper-parameter search with Optuna (pruning on validation accuracy)")
    tu.add_argument("--config", help="base config; the search varies lr, weight decay, smoothing, augmentation, mixup")
    tu.add_argument("--trials", type=COUNT, default=20)
    tu.add_argument("--storage", help="Optuna database URL (default sqlite:///OUT/study.db)")
    tu.add_argument("--study", default="ferkit", help="study name (continue a study by naming it again)")
    add_config_flags(tu, helps)
    tu.set_defaults(func=cmd_tune)


def add_config_flags(p: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """One flag per TrainConfig field, explained by ``helps`` (field name -> help text); unset flags (None)
    leave the config file's value alone."""
    defaults = TrainConfig()
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        shown = "none" if default in ("", None) else default  # never "(default )"
        described = f"{helps[f.name]} (default {shown})" if f.name in helps else f"(default {shown})"
        if isinstance(default, bool):
            switch = argparse.BooleanOptionalAction
            p.add_argument(flag, dest=f.name, action=switch, default=None, help=helps.get(f.name))
        elif isinstance(default, dict):
            p.add_argument(flag, dest=f.name, type=json.loads, default=None, metavar="JSON", help=f"JSON: {described}")
        elif f.name == "ferplus":  # `--ferplus` alone: the votes ferkit ships
            add_ferplus_flag(p, described, dest=f.name, default=None)
        elif f.name in RANGES:
            lo, hi, lo_open, hi_open = RANGES[f.name]
            kind = number(type(default), lo, None if hi == INF else hi, lo_open=lo_open, hi_open=hi_open)
            p.add_argument(flag, dest=f.name, type=kind, default=None, help=described)
        else:
            kind = type(default) if default is not None else str
            p.add_argument(flag, dest=f.name, type=kind, default=None, help=described)


def _config(args: argparse.Namespace) -> TrainConfig:
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    return TrainConfig.from_file(args.config, **overrides) if args.config else TrainConfig(**overrides)


def cmd_train(args: argparse.Namespace) -> int:
    require_torch("ferkit train")
    from ..training.loop import train

    if args.resume:
        if not args.out:
            raise ValueError("--resume needs --out RUN_DIR")
        result = train(TrainConfig(out=args.out), resume=True, resume_epochs=args.epochs)
    else:
        result = train(_config(args))
    r, run = result, result.run_dir
    console.print(f"best validation accuracy {r.best_val_acc:.4f} at epoch {r.best_epoch} of {r.epochs_run}")
    console.print(f"checkpoint: {r.best_checkpoint}\nmetrics:    {run / 'metrics.csv'}  curves: {run / 'curves.png'}")
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    require_torch("ferkit finetune")
    from ..training.finetune import finetune, finetune_config

    keys = ("classes", "epochs", "lr", "freeze_backbone", "batch_size", "seed", "ferplus", "label_mode")
    cfg = finetune_config(args.source, args.data, args.out, **{k: getattr(args, k) for k in keys})
    rep = finetune(cfg, compare_scratch=not args.no_compare)
    console.print(
        f"fine-tuned from {args.source}: {rep['finetuned']['split']} accuracy "
        f"{rep['finetuned']['accuracy']:.4f} (classes {', '.join(rep['finetuned']['classes'])})"
    )
    if "scratch" in rep:
        console.print(
            f"from scratch, same data and epochs: {rep['scratch']['accuracy']:.4f}  ->  gain "
            f"{rep['gain_accuracy']:+.4f}"
        )
    console.print(f"checkpoint: {rep['finetuned']['checkpoint']}  report: {Path(args.out) / 'finetune.json'}")
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    require_torch("ferkit tune")
    from ..training.tune import tune

    base = _config(args)
    base.validate()
    res = tune(base, args.out, trials=args.trials, storage=args.storage, study_name=args.study)
    console.print(f"{res['trials']} trials ({res['completed']} completed, {res['pruned']} pruned) in {res['storage']}")
    console.print(f"best validation accuracy {res['best_val_acc']:.4f} with {res['best_params']}")
    best = res["best_config"]
    console.print(f"best config: {best}  (ferkit train --config {best})  plot: {res['plot']}")
    return 0
