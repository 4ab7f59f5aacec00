"""Training: one config in, a run directory out.

A run directory holds ``config.json`` (the resolved config), ``metrics.csv`` and ``curves.png`` (one row
and point per epoch), ``best.safetensors`` (the checkpoint chosen on validation accuracy only) and
``state/`` (weights and optimizer state after the last finished epoch, for ``--resume``).

The loop is plain PyTorch rather than Lightning: Lightning's checkpoints are pickles and our format is
safetensors plus JSON, its resume would not be bit-exact with our seeded batch order, and the loop
itself is shorter than the callbacks needed to bend Lightning to both. Resume is exact because the
batch order, augmentation and dropout of epoch ``e`` are all seeded from ``(seed, e)``. What a run holds,
and how it starts or resumes, is ``ferkit.training.setup``.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..evaluation.logits import predict_logits
from ..evaluation.metrics import classification_report
from ..evaluation.plots import training_curves
from ..models.checkpoint import save_checkpoint
from ..models.registry import count_parameters
from ..probs import softmax
from ..transforms.augment import host_to
from .chain import resolve_teachers
from .config import TrainConfig
from .distill import distillation_loss
from .schedule import lr_at
from .setup import Run, resolve_config, setup_run
from .state import save_state

log = logging.getLogger(__name__)

#: Without a terminal (output piped or logged) there is no progress bar; an epoch longer than this logs
#: where it stands every so many seconds instead of staying silent.
NOTE_EVERY_S = 30.0


@dataclass
class TrainResult:
    run_dir: Path
    best_checkpoint: Path
    best_val_acc: float
    best_epoch: int
    epochs_run: int
    history: list[dict]


def train(
    cfg: TrainConfig,
    *,
    resume: bool = False,
    resume_epochs: int | None = None,
    progress: bool | None = None,
    on_epoch: Callable[[int, dict], None] | None = None,
) -> TrainResult:
    """Train a model as ``cfg`` says.

    With ``resume``, continue the run in ``cfg.out`` exactly as it would have gone on, using the config
    saved there (``resume_epochs`` may lengthen it). ``on_epoch(epoch, metrics_row)`` is called after each
    epoch's checkpoint (hyper-parameter search prunes through it by raising).
    """
    if not resume:
        cfg = resolve_teachers(cfg)  # teachers named by recipe are reused, resumed or trained first
    run = setup_run(resolve_config(cfg, resume, resume_epochs), resume)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = TextColumn("[bold]epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn()
    columns += TextColumn("loss {task.fields[loss]:.3f}"), TimeRemainingColumn()
    bar = Progress(*columns, disable=not (sys.stderr.isatty() if progress is None else progress), transient=True)
    with bar:
        for epoch in range(run.info["epoch"], run.cfg.epochs):
            row = _train_epoch(run, epoch, bar)
            improved = _validate_and_select(run, epoch, row)
            stop = _should_stop(run)
            _end_epoch(run, epoch, row, improved, final=stop or epoch + 1 == run.cfg.epochs)
            if on_epoch is not None:
                on_epoch(epoch + 1, row)
            if stop:
                break
    return _finish(run)


def _should_stop(run: Run) -> bool:
    cfg, info = run.cfg, run.info
    if cfg.patience and info["bad_epochs"] >= cfg.patience:
        log.info("early stop: no better validation accuracy for %d epochs", cfg.patience)
        return True
    if cfg.time_budget_s and info["train_seconds"] >= cfg.time_budget_s:
        log.info("time budget of %.0f s spent after %d epochs", cfg.time_budget_s, info["epoch"] + 1)
        return True
    return False


# --------------------------------------------------------------------------- one epoch


def _epoch_order(run: Run, gen: torch.Generator) -> torch.Tensor:
    n = len(run.train_set)
    if run.sample_p is None:
        return torch.randperm(n, generator=gen)
    return torch.multinomial(
        run.sample_p, run.steps_per_epoch * run.batch_size * run.world, replacement=True, generator=gen
    )


def _batch_targets(run: Run, idx: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """What the batch is scored against: class indices, or FER+'s vote distributions (``crossentropy``),
    or one label per image drawn from them (``probability``), the draw seeded like everything else; or
    FER2013's labels mixed with the votes (``ferplus_mix``)."""
    if run.train_t is None:
        return y
    dist = run.train_t[idx]
    if run.cfg.label_mode != "probability" or run.cfg.ferplus_mix:
        return dist
    u = host_to(torch.rand(len(idx), 1, generator=gen), dist.device)
    return (dist.cumsum(1) < u).sum(1).clamp_(max=dist.shape[1] - 1)


def _batch_loss(
    run: Run, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator, mix_rng: np.random.Generator,
    sharp: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """The loss of one (augmented, possibly mixed) batch against ``y`` (class indices or distributions):
    labels, mixup partner, teacher (which reads ``sharp``, the batch before it was blurred, where given)."""
    cfg = run.cfg
    lam, perm = 1.0, None
    if cfg.mixup > 0:
        lam = float(mix_rng.beta(cfg.mixup, cfg.mixup))
        perm = host_to(torch.randperm(len(x), generator=gen), run.device)
        x = lam * x + (1 - lam) * x[perm]
        sharp = None if sharp is None else lam * sharp + (1 - lam) * sharp[perm]
    amp = torch.autocast(run.device.type, dtype=torch.bfloat16, enabled=cfg.amp and run.device.type == "cuda")
    with amp:
        logits = run.net(x)
        loss = F.cross_entropy(logits.float(), y, weight=run.class_weights, label_smoothing=cfg.label_smoothing)
        if perm is not None:
            loss = lam * loss + (1 - lam) * F.cross_entropy(
                logits.float(), y[perm], weight=run.class_weights, label_smoothing=cfg.label_smoothing
            )
        if run.teacher is not None:
            loss = (1 - cfg.distill_alpha) * loss + cfg.distill_alpha * distillation_loss(
                logits.float(), run.teacher(x if sharp is None else sharp), cfg.distill_temperature
            )
    return loss, logits


def _train_epoch(run: Run, epoch: int, bar) -> dict:
    """One pass over the seeded batch order of ``epoch``; returns the epoch's training figures."""
    t0 = time.time()
    epoch_seed = run.cfg.seed * 100_003 + epoch
    gen = torch.Generator().manual_seed(epoch_seed)
    torch.manual_seed(epoch_seed)  # dropout
    order = _epoch_order(run, gen).to(run.train_x.device)
    total_steps = run.steps_per_epoch * run.cfg.epochs
    run.model.train()
    task = bar.add_task("train", total=run.steps_per_epoch, epoch=epoch + 1, loss=0.0)
    # Sums stay on the device: reading them every step would make the GPU wait for the CPU each batch.
    loss_sum, correct, seen = torch.zeros((), device=run.device), torch.zeros((), device=run.device), 0
    last_note = t0
    for step in range(run.steps_per_epoch):
        schedule_step = _schedule_step(run, epoch, step, total_steps, t0)
        if schedule_step >= total_steps and seen:
            break  # the time budget is spent
        first = (step * run.world + run.rank) * run.batch_size
        idx = order[first : first + run.batch_size]
        x = run.preprocess.torch(run.train_x[idx]).to(run.device, non_blocking=True)
        y = run.train_y[idx].to(run.device, non_blocking=True)
        sharp = None
        if run.augment is not None:
            x, sharp = run.augment.views(x, gen)
        # Without a blur the sharp batch is the batch itself: the teacher reads x, mixed once.
        sharp = sharp if run.cfg.teacher_sees_sharp and run.teacher is not None and sharp is not x else None
        if run.cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
            sharp = None if sharp is None else sharp.contiguous(memory_format=torch.channels_last)
        for g in run.opt.param_groups:
            g["lr"] = lr_at(run.cfg, schedule_step, total_steps, run.steps_per_epoch, run.info["plateau_factor"])
        target = _batch_targets(run, idx, y, gen)
        loss, logits = _batch_loss(run, x, target, gen, np.random.default_rng(epoch_seed * 7919 + step), sharp)
        run.opt.zero_grad(set_to_none=True)
        loss.backward()
        run.opt.step()
        if run.ema is not None:
            run.ema.update_parameters(run.model)
        loss_sum += loss.detach() * len(y)
        correct += (logits.argmax(1) == y).sum()
        seen += len(y)
        shown = {"loss": float(loss_sum) / seen} if step % 25 == 0 else {}
        bar.update(task, advance=1, **shown)
        if bar.disable and time.time() - last_note > NOTE_EVERY_S:  # no terminal, no bar: a line now and then
            last_note = time.time()
            mean = float(loss_sum) / seen
            log.info("epoch %d: step %d/%d, loss %.3f", epoch + 1, step + 1, run.steps_per_epoch, mean)
    bar.remove_task(task)
    figures = {"train_loss": float(loss_sum) / seen, "train_acc": float(correct) / seen}
    return {"epoch": epoch + 1, "lr": run.opt.param_groups[0]["lr"], **figures, "started": t0, "seen": seen}


def _schedule_step(run: Run, epoch: int, step: int, total_steps: int, epoch_t0: float) -> int:
    """Where the learning-rate schedule stands: the step count, or with a time budget whichever is further
    on, the steps or the fraction of the budget spent. The budget is a cap: a run that reaches its last
    epoch first finishes its schedule as it would without one (warm-up lasts ``warmup_epochs / epochs`` of
    whichever ends it)."""
    steps = epoch * run.steps_per_epoch + step
    budget = run.cfg.time_budget_s
    if not budget:
        return steps
    spent = run.info["train_seconds"] + time.time() - epoch_t0
    return max(steps, min(total_steps, int(total_steps * spent / budget)))


# --------------------------------------------------------------------------- validation, selection, checkpoints


def _validate_and_select(run: Run, epoch: int, row: dict) -> bool:
    """Score the validation split, keep the best checkpoint by its accuracy (nothing else is ever used to
    choose), and step the plateau schedule. Completes ``row``; returns whether this epoch is the best."""
    probs = softmax(predict_logits(run.eval_model, run.val_set.images, run.preprocess, device=run.device))
    rep = classification_report(run.val_set.labels, probs, run.val_set.classes)
    seconds, seen = time.time() - row.pop("started"), row.pop("seen")
    row.update(val_loss=rep["nll"], val_acc=rep["accuracy"], val_macro_f1=rep["macro_f1"], seconds=round(seconds, 2))
    row.update(images_per_s=round(seen / seconds, 1), elapsed_s=round(run.info["train_seconds"] + seconds, 1))
    if run.ema is not None:  # the raw weights' accuracy beside the average's, to see what averaging gives
        raw = predict_logits(run.model, run.val_set.images, run.preprocess, device=run.device)
        row["val_acc_raw"] = float((raw.argmax(1) == run.val_set.labels).mean())  # softmax keeps the argmax
    info = run.info
    info["train_seconds"] += seconds
    info["history"].append(row)
    improved = rep["accuracy"] > info["best_val_acc"]
    if improved:
        info.update(
            best_val_acc=rep["accuracy"], best_epoch=epoch + 1, bad_epochs=0, best_elapsed_s=info["train_seconds"]
        )
        if run.main_process:
            _save_best(run, epoch, rep)
    else:
        info["bad_epochs"] += 1
    if run.cfg.schedule == "plateau":
        if rep["accuracy"] > info["plateau_best"] + 1e-4:
            info.update(plateau_best=rep["accuracy"], plateau_bad=0)
        else:
            info["plateau_bad"] = info.get("plateau_bad", 0) + 1
            if info["plateau_bad"] >= 3:
                info.update(plateau_factor=info["plateau_factor"] * 0.5, plateau_bad=0)
    return improved


def _save_best(run: Run, epoch: int, rep: dict) -> None:
    cfg, created = run.cfg, datetime.now(UTC).isoformat(timespec="seconds")
    metrics = {"val_acc": rep["accuracy"], "val_macro_f1": rep["macro_f1"], "epoch": epoch + 1}
    train = {"config": asdict(cfg), "data_sha256_16": run.data_hash, "train_images": len(run.train_set)}
    train.update(created=created, torch=torch.__version__, device=str(run.device))
    net = dict(model_name=cfg.model, model_args=cfg.model_args, classes=run.train_set.classes)
    save_checkpoint(
        run.out / "best.safetensors", run.eval_model, **net, preprocess=run.preprocess, dtype=cfg.weights_dtype,
        name=run.out.name, metrics=metrics, train=train,
    )  # fmt: skip


def _end_epoch(run: Run, epoch: int, row: dict, improved: bool, final: bool) -> None:
    """Write the epoch's metrics (and every ``save_every`` epochs and at the end, the curves and the resume
    state), and log one line."""
    run.info["epoch"] = epoch + 1
    if run.main_process:
        save = final or (epoch + 1) % run.cfg.save_every == 0
        _write_metrics(run.out, run.info["history"], plot=save)
        if save:
            save_state(run.state_dir, run.model, run.opt, run.info, ema=run.ema)
    figures = [row[k] for k in ("train_loss", "train_acc", "val_acc", "val_macro_f1")]
    line = "epoch %d/%d  loss %.3f  train %.3f  val %.4f  f1 %.3f  %s %.0fs (%.0f img/s)"
    log.info(line, epoch + 1, run.cfg.epochs, *figures, "*" if improved else " ", row["seconds"], row["images_per_s"])


def _write_metrics(out: Path, history: list[dict], plot: bool = True) -> None:
    columns = list(dict.fromkeys(k for row in history for k in row))  # runs resumed across versions add columns
    with open(out / "metrics.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(history)
    if plot:
        training_curves(history, out / "curves.png")


def _calibrate(run: Run) -> dict:
    """The recipe's calibration of the chosen checkpoint, on the validation split (``calibrate`` is
    "temperature", or recall floors like "fear=0.5,sad=0.55", which fit the temperature too; ``small_faces``
    widths fit both again for small faces)."""
    from ..evaluation.calibrate import calibrate

    floors = None if run.cfg.calibrate == "temperature" else run.cfg.calibrate
    labels = None if run.cfg.ferplus_mix else run.cfg.ferplus  # mixed runs are chosen on FER2013's labels
    small = [int(w) for w in run.cfg.small_faces.split(",") if w]
    best = run.out / "best.safetensors"
    result = calibrate(best, run.cfg.data, recall_floor=floors, ferplus=labels, small_faces=small)
    log.info(
        "calibrated on the validation split: temperature %s, class offsets %s",
        result["temperature"],
        result.get("class_bias"),
    )
    return result


def _finish(run: Run) -> TrainResult:
    info = run.info
    summary = {"best_val_acc": info["best_val_acc"], "best_epoch": info["best_epoch"], "epochs_run": info["epoch"]}
    summary.update(train_seconds=round(info["train_seconds"], 1), params=count_parameters(run.model))
    summary["best_elapsed_s"] = round(info.get("best_elapsed_s", 0.0), 1)
    if run.main_process:
        if run.cfg.calibrate:
            summary["calibration"] = _calibrate(run)
        (run.out / "summary.json").write_text(json.dumps(summary, indent=2))  # last: the run is finished
    if run.world > 1:
        checksum = float(sum(p.detach().double().sum() for p in run.model.parameters()))
        log.info("rank %d/%d finished; parameter checksum %.10e", run.rank, run.world, checksum)
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    best = run.out / "best.safetensors"
    return TrainResult(run.out, best, info["best_val_acc"], info["best_epoch"], info["epoch"], info["history"])
