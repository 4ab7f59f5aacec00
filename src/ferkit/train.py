"""Training: one config in, a run directory out.

A run directory holds ``config.json`` (the resolved config), ``metrics.csv`` and ``curves.png`` (one row
and point per epoch), ``best.safetensors`` (the checkpoint chosen on validation accuracy only) and
``state/`` (weights and optimizer state after the last finished epoch, for ``--resume``).

The loop is plain PyTorch rather than Lightning: Lightning's checkpoints are pickles and our format is
safetensors plus JSON, its resume would not be bit-exact with our seeded batch order, and the loop
itself is shorter than the callbacks needed to bend Lightning to both. Resume is exact because the
batch order, augmentation and dropout of epoch ``e`` are all seeded from ``(seed, e)``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import math
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from .checkpoint import save_checkpoint
from .datasets import FERDataset, load_dataset, source_fingerprint
from .distill import Teacher, distillation_loss
from .infer import predict_logits, softmax
from .metrics import classification_report
from .models import count_parameters, get_model
from .plots import training_curves
from .transforms import AUGMENT_PRESETS, Preprocess

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Everything that decides a training run. Saved as ``config.json`` beside the checkpoint."""

    data: str = ""
    out: str = "runs/ferkit"
    model: str = "resnet-compact"
    model_args: dict = field(default_factory=dict)
    classes: str | None = None  # e.g. "happy,sad,neutral"; None = all seven
    image_size: int = 48
    epochs: int = 30
    batch_size: int = 128
    optimizer: str = "sgd"  # sgd | adamw
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    schedule: str = "cosine"  # cosine | plateau | step | constant
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    class_weighting: str = "none"  # none | balanced | sqrt  (loss weights from train class counts)
    sampler: str = "shuffle"  # shuffle | balanced  (balanced: classes drawn equally often)
    augment: str = "default"  # a key of transforms.AUGMENT_PRESETS
    mixup: float = 0.0  # Beta(alpha, alpha) mixup strength; 0 = off
    patience: int = 0  # early stopping after this many epochs without a better val accuracy; 0 = off
    seed: int = 0
    val_fraction: float = 0.1
    drop_duplicates: str = "none"  # none | cross-split | all
    skip_bad: bool = False
    max_train: int = 0  # a stratified slice of train for quick runs; 0 = all
    max_val: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    amp: bool = False  # bf16 autocast on CUDA
    threads: int = 0  # CPU threads; 0 = torch's default
    init_from: str | None = None  # fine-tuning: a checkpoint or shipped model name to start from
    freeze_backbone: bool = False  # fine-tuning: train only the classifier head
    open_classes: bool = False  # class folders that name no known expression become classes of their own
    teacher: str | None = None  # distillation: checkpoint(s) or shipped name(s), comma-separated = ensemble
    distill_alpha: float = 0.5  # weight of the teacher's loss; the label loss gets 1 - alpha
    distill_temperature: float = 4.0

    @classmethod
    def from_file(cls, path: str | Path, **overrides) -> TrainConfig:
        """Read a ``.toml`` or ``.json`` config; ``overrides`` (e.g. from the CLI) win."""
        path = Path(path)
        text = path.read_text()
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        raw = raw.get("train", raw)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"{path}: unknown config keys {sorted(unknown)}")
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**raw)

    def validate(self) -> None:
        choices = {"optimizer": ("sgd", "adamw"), "schedule": ("cosine", "plateau", "step", "constant"),
                   "class_weighting": ("none", "balanced", "sqrt"), "sampler": ("shuffle", "balanced"),
                   "augment": tuple(AUGMENT_PRESETS)}
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise ValueError(f"{key} must be one of {', '.join(allowed)}, not {getattr(self, key)!r}")
        if not self.data:
            raise ValueError("no training data given (--data)")
        if self.epochs < 1 or self.batch_size < 2:
            raise ValueError("epochs must be >= 1 and batch_size >= 2")
        if not 0 <= self.distill_alpha <= 1 or self.distill_temperature <= 0:
            raise ValueError("distill_alpha must be in [0, 1] and distill_temperature > 0")


@dataclass
class TrainResult:
    run_dir: Path
    best_checkpoint: Path
    best_val_acc: float
    best_epoch: int
    epochs_run: int
    history: list[dict]


def resolve_device(spec: str) -> torch.device:
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(spec)


def stratified_slice(data: FERDataset, n: int, seed: int) -> FERDataset:
    """At most ``n`` images keeping class proportions (used for quick runs and tests)."""
    if n <= 0 or n >= len(data):
        return data
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(data.labels):
        idx = np.flatnonzero(data.labels == c)
        k = max(1, int(round(n * len(idx) / len(data))))
        keep.append(rng.permutation(idx)[:k])
    return data._take(np.sort(np.concatenate(keep)))


def class_weights(labels: np.ndarray, num_classes: int, mode: str) -> torch.Tensor | None:
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    w = len(labels) / (num_classes * np.maximum(counts, 1))
    if mode == "sqrt":
        w = np.sqrt(w)
    return torch.tensor(w / (w * counts).sum() * counts.sum(), dtype=torch.float32)


def lr_at(cfg: TrainConfig, step: int, total_steps: int, steps_per_epoch: int, plateau_factor: float) -> float:
    """Learning rate for a step: linear warm-up, then the configured schedule."""
    warm = cfg.warmup_epochs * steps_per_epoch
    if warm > 0 and step < warm:
        return cfg.lr * (step + 1) / warm
    progress = (step - warm) / max(1.0, total_steps - warm)
    if cfg.schedule == "cosine":
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    if cfg.schedule == "step":
        return cfg.lr * (0.1 ** int(progress >= 0.5) * 0.1 ** int(progress >= 0.75))
    if cfg.schedule == "plateau":
        return cfg.lr * plateau_factor
    return cfg.lr


def _optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    # No weight decay on BN parameters and biases: the usual, slightly better, choice.
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.ndim > 1]
    no_decay = [p for p in trainable if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)


# --------------------------------------------------------------------------- resume state


def _save_state(state_dir: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, info: dict) -> None:
    """Weights and optimizer tensors as safetensors, the rest as JSON; written atomically."""
    state_dir.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    sd = opt.state_dict()
    opt_scalars: dict[str, dict] = {}
    for idx, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"opt.{idx}.{k}"] = v.detach().cpu().contiguous()
            else:
                opt_scalars.setdefault(str(idx), {})[k] = v
    save_file(tensors, str(state_dir / "last.safetensors.tmp"))
    (state_dir / "last.json.tmp").write_text(json.dumps(
        {**info, "opt_param_groups": sd["param_groups"], "opt_scalars": opt_scalars}, indent=1))
    (state_dir / "last.safetensors.tmp").replace(state_dir / "last.safetensors")
    (state_dir / "last.json.tmp").replace(state_dir / "last.json")


def _load_state(state_dir: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, device) -> dict:
    info = json.loads((state_dir / "last.json").read_text())
    tensors = load_file(str(state_dir / "last.safetensors"), device=str(device))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    state: dict[int, dict] = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, idx, name = k.split(".", 2)
            state.setdefault(int(idx), {})[name] = v
    for idx, scalars in info["opt_scalars"].items():
        state.setdefault(int(idx), {}).update(scalars)
    opt.load_state_dict({"state": state, "param_groups": info["opt_param_groups"]})
    return info


# --------------------------------------------------------------------------- distributed, fine-tuning


def _distributed_setup(device: torch.device) -> tuple[int, int, torch.device]:
    """Rank, world size and device; under ``torchrun`` (WORLD_SIZE > 1) joins the process group
    (NCCL on GPUs, gloo on CPUs)."""
    import os

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, device
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), device


def _head(model: torch.nn.Module) -> torch.nn.Linear:
    """The classifier: the last Linear layer of every registered model."""
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]


def _init_from(model: torch.nn.Module, weights: str, classes: tuple[str, ...], freeze_backbone: bool) -> None:
    """Start from a checkpoint's weights. Where the classes match, the head is kept (re-ordered to the
    new class order); otherwise the head starts fresh. With ``freeze_backbone`` only the head trains."""
    from .checkpoint import load_checkpoint

    src = load_checkpoint(weights)
    state = src.model.state_dict()
    own = model.state_dict()
    head = _head(model)
    head_names = {n for n, m in model.named_modules() if m is head}
    head_prefix = next(iter(head_names)) + "."
    loadable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape and not k.startswith(head_prefix)}
    if set(classes) <= set(src.classes):
        rows = [src.classes.index(c) for c in classes]
        loadable[head_prefix + "weight"] = state[head_prefix + "weight"][rows]
        loadable[head_prefix + "bias"] = state[head_prefix + "bias"][rows]
    missing = [k for k in own if k not in loadable and not k.startswith(head_prefix)]
    if missing:
        raise ValueError(f"{weights}: its {src.meta['model']} weights do not fit this model (e.g. {missing[:2]}); "
                         "fine-tune with the same --model and --model-args")
    model.load_state_dict(loadable, strict=False)
    log.info("initialised from %s (%s head)", weights, "kept" if set(classes) <= set(src.classes) else "new")
    if freeze_backbone:
        for p in model.parameters():
            p.requires_grad_(False)
        for p in head.parameters():
            p.requires_grad_(True)


# --------------------------------------------------------------------------- the loop


def train(cfg: TrainConfig, *, resume: bool = False, resume_epochs: int | None = None,
          progress: bool | None = None, on_epoch: Callable[[int, dict], None] | None = None) -> TrainResult:
    """Train a model as ``cfg`` says.

    With ``resume``, continue the run in ``cfg.out`` exactly as it would have gone on, using the config
    saved there (``resume_epochs`` may lengthen it). ``on_epoch(epoch, metrics_row)`` is called after each
    epoch's checkpoint (hyper-parameter search prunes through it by raising).
    """
    out = Path(cfg.out)
    state_dir = out / "state"
    if resume:
        if not (state_dir / "last.json").exists():
            raise FileNotFoundError(f"{out}: nothing to resume (no state/last.json)")
        cfg = TrainConfig(**json.loads((out / "config.json").read_text()))
        if resume_epochs:
            cfg.epochs = resume_epochs
    elif (state_dir / "last.json").exists():
        raise FileExistsError(f"{out}: already holds a run; use --resume to continue it or choose another --out")
    cfg.validate()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    rank, world, device = _distributed_setup(resolve_device(cfg.device))
    main_process = rank == 0
    torch.manual_seed(cfg.seed)

    data = load_dataset(cfg.data, classes=cfg.classes, image_size=cfg.image_size, val_fraction=cfg.val_fraction,
                        seed=cfg.seed, skip_bad=cfg.skip_bad, drop_duplicates=cfg.drop_duplicates,
                        open_classes=cfg.open_classes)
    train_set = stratified_slice(data.split("train"), cfg.max_train, cfg.seed)
    val_set = stratified_slice(data.split("val"), cfg.max_val, cfg.seed)
    if len(train_set) < 2 or len(val_set) == 0:
        raise ValueError(f"{cfg.data}: need training and validation images (got {len(train_set)}/{len(val_set)})")
    classes = data.classes
    preprocess = Preprocess(image_size=cfg.image_size)
    augment = AUGMENT_PRESETS[cfg.augment]

    model = get_model(cfg.model, num_classes=len(classes), image_size=cfg.image_size, **cfg.model_args).to(device)
    if cfg.init_from:
        _init_from(model, cfg.init_from, classes, cfg.freeze_backbone)
    teacher = Teacher(cfg.teacher, classes, preprocess, device) if cfg.teacher else None
    opt = _optimizer(cfg, model)
    # Under torchrun, DDP averages gradients across processes; each rank trains on its own slice of the
    # same seeded order, so a global batch is world × batch_size.
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    x_all = torch.from_numpy(train_set.images)
    y_all = torch.from_numpy(train_set.labels)
    n = len(train_set)
    bs = min(cfg.batch_size, n)
    steps_per_epoch = max(1, n // (bs * world))
    total_steps = steps_per_epoch * cfg.epochs
    weights = class_weights(train_set.labels, len(classes), cfg.class_weighting)
    weights = weights.to(device) if weights is not None else None
    sample_p = None
    if cfg.sampler == "balanced":
        counts = np.bincount(train_set.labels, minlength=len(classes))
        sample_p = torch.tensor(1.0 / np.maximum(counts[train_set.labels], 1), dtype=torch.float64)

    info = {"epoch": 0, "best_val_acc": -1.0, "best_epoch": 0, "bad_epochs": 0, "plateau_factor": 1.0,
            "plateau_best": -1.0, "history": [], "train_seconds": 0.0}
    if resume:
        info = _load_state(state_dir, model, opt, device)
        log.info("resuming %s at epoch %d", out, info["epoch"] + 1)
    elif main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    data_hash = source_fingerprint(Path(cfg.data))[:16]
    log.info("training %s (%.2fM params) on %d images, validating on %d, %s, device %s", cfg.model,
             count_parameters(model) / 1e6, n, len(val_set), ",".join(classes), device)

    show = sys.stderr.isatty() if progress is None else progress
    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.amp and device.type == "cuda")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]:.3f}"), TimeRemainingColumn(), disable=not show,
                   transient=True)
    with bar:
        for epoch in range(info["epoch"], cfg.epochs):
            t0 = time.time()
            epoch_seed = cfg.seed * 100_003 + epoch
            gen = torch.Generator().manual_seed(epoch_seed)
            torch.manual_seed(epoch_seed)  # dropout
            if sample_p is None:
                order = torch.randperm(n, generator=gen)
            else:
                order = torch.multinomial(sample_p, steps_per_epoch * bs * world, replacement=True, generator=gen)
            model.train()
            task = bar.add_task("train", total=steps_per_epoch, epoch=epoch + 1, loss=0.0)
            loss_sum = correct = seen = 0.0
            for step in range(steps_per_epoch):
                first = (step * world + rank) * bs
                idx = order[first:first + bs]
                x = preprocess(x_all[idx]).to(device, non_blocking=True)
                y = y_all[idx].to(device, non_blocking=True)
                if augment is not None:
                    x = augment(x, gen)
                lam, perm = 1.0, None
                if cfg.mixup > 0:
                    lam = float(np.random.default_rng(epoch_seed * 7919 + step).beta(cfg.mixup, cfg.mixup))
                    perm = torch.randperm(len(x), generator=gen).to(device)
                    x = lam * x + (1 - lam) * x[perm]
                for g in opt.param_groups:
                    g["lr"] = lr_at(cfg, epoch * steps_per_epoch + step, total_steps, steps_per_epoch,
                                    info["plateau_factor"])
                with amp:
                    logits = net(x)
                    loss = F.cross_entropy(logits.float(), y, weight=weights, label_smoothing=cfg.label_smoothing)
                    if perm is not None:
                        loss = lam * loss + (1 - lam) * F.cross_entropy(
                            logits.float(), y[perm], weight=weights, label_smoothing=cfg.label_smoothing)
                    if teacher is not None:
                        loss = (1 - cfg.distill_alpha) * loss + cfg.distill_alpha * distillation_loss(
                            logits.float(), teacher(x), cfg.distill_temperature)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += loss.item() * len(y)
                correct += float((logits.argmax(1) == y).sum())
                seen += len(y)
                bar.update(task, advance=1, loss=loss_sum / seen)
            bar.remove_task(task)

            val_logits = predict_logits(model, val_set.images, preprocess, device=device)
            val_probs = softmax(val_logits)
            rep = classification_report(val_set.labels, val_probs, classes)
            epoch_seconds = time.time() - t0
            info["train_seconds"] += epoch_seconds
            row = {"epoch": epoch + 1, "lr": opt.param_groups[0]["lr"], "train_loss": loss_sum / seen,
                   "train_acc": correct / seen, "val_loss": rep["nll"], "val_acc": rep["accuracy"],
                   "val_macro_f1": rep["macro_f1"], "seconds": round(epoch_seconds, 2),
                   "images_per_s": round(seen / epoch_seconds, 1)}
            info["history"].append(row)
            improved = rep["accuracy"] > info["best_val_acc"]
            if improved:
                info.update(best_val_acc=rep["accuracy"], best_epoch=epoch + 1, bad_epochs=0)
            if improved and main_process:
                save_checkpoint(
                    out / "best.safetensors", model, model_name=cfg.model, model_args=cfg.model_args,
                    classes=classes, preprocess=preprocess, name=out.name,
                    metrics={"val_acc": rep["accuracy"], "val_macro_f1": rep["macro_f1"], "epoch": epoch + 1},
                    train={"config": asdict(cfg), "data_sha256_16": data_hash, "train_images": n,
                           "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           "torch": torch.__version__, "device": str(device)})
            elif not improved:
                info["bad_epochs"] += 1
            if cfg.schedule == "plateau":
                if rep["accuracy"] > info["plateau_best"] + 1e-4:
                    info.update(plateau_best=rep["accuracy"], plateau_bad=0)
                else:
                    info["plateau_bad"] = info.get("plateau_bad", 0) + 1
                    if info["plateau_bad"] >= 3:
                        info.update(plateau_factor=info["plateau_factor"] * 0.5, plateau_bad=0)
            info["epoch"] = epoch + 1
            if main_process:
                _write_metrics(out, info["history"])
                _save_state(state_dir, model, opt, info)
            log.info("epoch %d/%d  loss %.3f  train %.3f  val %.4f  f1 %.3f  %s %.0fs (%.0f img/s)",
                     epoch + 1, cfg.epochs, row["train_loss"], row["train_acc"], row["val_acc"],
                     row["val_macro_f1"], "*" if improved else " ", epoch_seconds, row["images_per_s"])
            if on_epoch is not None:
                on_epoch(epoch + 1, row)
            if cfg.patience and info["bad_epochs"] >= cfg.patience:
                log.info("early stop: no better validation accuracy for %d epochs", cfg.patience)
                break
    summary = {"best_val_acc": info["best_val_acc"], "best_epoch": info["best_epoch"], "epochs_run": info["epoch"],
               "train_seconds": round(info["train_seconds"], 1), "params": count_parameters(model)}
    if main_process:
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
    if world > 1:
        checksum = float(sum(p.detach().double().sum() for p in model.parameters()))
        log.info("rank %d/%d finished; parameter checksum %.10e", rank, world, checksum)
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return TrainResult(run_dir=out, best_checkpoint=out / "best.safetensors", best_val_acc=info["best_val_acc"],
                       best_epoch=info["best_epoch"], epochs_run=info["epoch"], history=info["history"])


def _write_metrics(out: Path, history: list[dict]) -> None:
    with open(out / "metrics.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(history[0]))
        w.writeheader()
        w.writerows(history)
    training_curves(history, out / "curves.png")
