"""What one training run holds, and how it starts: the resolved config, the data splits, the model,
optimizer, loss weights, distillation teacher and weight average, fresh or restored from ``state/`` for
``--resume``. ``ferkit.training.loop`` then runs the epochs over a :class:`Run`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..data.cache import source_fingerprint
from ..data.dataset import FERDataset, load_dataset, stratified_slice
from ..models.registry import check_trainable, count_parameters, get_model
from ..transforms.augment import AUGMENT_PRESETS, Augment
from ..transforms.preprocess import Preprocess
from .config import TrainConfig
from .distill import Teacher
from .distributed import distributed_setup, resolve_device
from .schedule import class_weights, make_optimizer
from .state import load_state
from .warmstart import init_from

log = logging.getLogger(__name__)


@dataclass
class Run:
    """Everything one run holds while it trains."""

    cfg: TrainConfig
    out: Path
    device: torch.device
    rank: int
    world: int
    train_set: FERDataset
    val_set: FERDataset
    train_x: torch.Tensor  # uint8 images: on the GPU for a CUDA run (resident), else host memory
    train_y: torch.Tensor
    train_t: torch.Tensor | None  # FER+ soft targets (N, classes) for the probability/crossentropy label modes
    preprocess: Preprocess
    augment: Augment | None
    model: torch.nn.Module
    net: torch.nn.Module
    opt: torch.optim.Optimizer
    teacher: Teacher | None
    class_weights: torch.Tensor | None
    sample_p: torch.Tensor | None
    batch_size: int
    steps_per_epoch: int
    data_hash: str
    info: dict = field(default_factory=dict)
    ema: torch.optim.swa_utils.AveragedModel | None = None

    @property
    def eval_model(self) -> torch.nn.Module:
        """The weights that are validated and saved: the moving average when the run keeps one."""
        return self.ema.module if self.ema is not None else self.model

    @property
    def main_process(self) -> bool:
        return self.rank == 0

    @property
    def state_dir(self) -> Path:
        return self.out / "state"


def resolve_config(cfg: TrainConfig, resume: bool, resume_epochs: int | None) -> TrainConfig:
    """The config to run: the given one, or for ``resume`` the one saved in the run directory."""
    out = Path(cfg.out)
    if resume:
        if not (out / "state" / "last.json").exists():
            raise FileNotFoundError(f"{out}: nothing to resume (no state/last.json)")
        cfg = TrainConfig(**json.loads((out / "config.json").read_text()))
        if resume_epochs:
            cfg.epochs = resume_epochs
    elif (out / "state" / "last.json").exists():
        raise FileExistsError(f"{out}: already holds a run; use --resume to continue it or choose another --out")
    cfg.validate()
    return cfg


def _load_splits(cfg: TrainConfig) -> tuple[FERDataset, FERDataset]:
    log.info("reading %s (decoded once, then cached)", cfg.data)
    data = load_dataset(cfg.data, **cfg.dataset_kwargs())
    train_set = stratified_slice(data.split("train"), cfg.max_train, cfg.seed)
    val_set = stratified_slice(data.split("val"), cfg.max_val, cfg.seed)
    if len(train_set) < 2 or len(val_set) == 0:
        raise ValueError(f"{cfg.data}: need training and validation images (got {len(train_set)}/{len(val_set)})")
    return train_set, val_set


def setup_run(cfg: TrainConfig, resume: bool) -> Run:
    """Data, model, optimizer and loss weights for a run; restores the state when resuming."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    rank, world, device = distributed_setup(resolve_device(cfg.device))
    if device.type == "cuda":  # fixed batch shapes: let cuDNN time its convolution algorithms once
        torch.backends.cudnn.benchmark = True
    if world > 1 and cfg.time_budget_s:
        # Each rank would read its own clock and could stop at a different step, leaving the others
        # waiting in an all-reduce forever.
        raise ValueError("--time-budget-s is for one device; under torchrun give --epochs instead")
    torch.manual_seed(cfg.seed)
    train_set, val_set = _load_splits(cfg)
    classes = train_set.classes
    preprocess = Preprocess(image_size=cfg.image_size)
    shape = dict(num_classes=len(classes), image_size=cfg.image_size, **cfg.model_args)
    check_trainable(cfg.model, batch_size=cfg.batch_size, **shape)
    model = get_model(cfg.model, **shape).to(device)
    if cfg.init_from:
        init_from(model, cfg.init_from, classes, cfg.freeze_backbone)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    train_x, train_y, train_t = _train_tensors(cfg, train_set, device)
    weights = class_weights(train_set.labels, len(classes), cfg.class_weighting)
    sample_p = None
    if cfg.sampler == "balanced":
        counts = np.bincount(train_set.labels, minlength=len(classes))
        sample_p = torch.tensor(1.0 / np.maximum(counts[train_set.labels], 1), dtype=torch.float64)
    bs = min(cfg.batch_size, len(train_set))
    run = Run(
        cfg=cfg,
        out=Path(cfg.out),
        device=device,
        rank=rank,
        world=world,
        train_set=train_set,
        val_set=val_set,
        train_x=train_x,
        train_y=train_y,
        train_t=train_t,
        preprocess=preprocess,
        augment=AUGMENT_PRESETS[cfg.augment],
        model=model,
        # Under torchrun, DDP averages gradients across processes; each rank trains on its own slice
        # of the same seeded order, so a global batch is world × batch_size.
        net=torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model,
        opt=make_optimizer(cfg, model),
        teacher=_make_teacher(cfg, classes, preprocess, device),
        class_weights=weights.to(device) if weights is not None else None,
        sample_p=sample_p,
        batch_size=bs,
        steps_per_epoch=max(1, len(train_set) // (bs * world)),
        data_hash=source_fingerprint(Path(cfg.data))[:16],
        ema=_make_ema(model, cfg.ema_decay),
    )
    _start_or_resume(run, resume)
    return run


def _train_tensors(
    cfg: TrainConfig, train_set: FERDataset, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Images, labels and soft targets of the training split. On a GPU the whole uint8 training set (62 MB
    for FER2013) lives in device memory, so a batch is an index into it rather than a copy from the host;
    on a CPU the same tensors stay where they are."""
    x, y, t = torch.from_numpy(train_set.images), torch.from_numpy(train_set.labels), _soft_targets(cfg, train_set)
    if device.type == "cuda":
        x, y, t = x.to(device), y.to(device), (t.to(device) if t is not None else None)
    return x, y, t


def _soft_targets(cfg: TrainConfig, train_set: FERDataset) -> torch.Tensor | None:
    """The per-image target distributions FER+'s probability and crossentropy schemes train on, or
    FER2013's labels mixed with the FER+ votes (``ferplus_mix``)."""
    if not cfg.ferplus or (cfg.label_mode == "majority" and not cfg.ferplus_mix):
        return None
    from ..data.ferplus import class_targets, mixed_targets

    if cfg.ferplus_mix:
        return torch.from_numpy(mixed_targets(train_set, cfg.ferplus_mix))
    return torch.from_numpy(class_targets(train_set, cfg.label_mode))


def _make_teacher(
    cfg: TrainConfig, classes: tuple[str, ...], preprocess: Preprocess, device: torch.device
) -> Teacher | None:
    if not cfg.teacher:
        return None
    return Teacher(cfg.teacher, classes, preprocess, device, cfg.channels_last, runtime=cfg.teacher_runtime)


def _make_ema(model: torch.nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel | None:
    """An exponential moving average of the weights and BatchNorm statistics, updated after every step
    (torch's own AveragedModel; its first update copies the weights). Averaging smooths the noise of the
    last steps at each learning rate, which the best-epoch choice would otherwise pick up."""
    if not decay:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def _start_or_resume(run: Run, resume: bool) -> None:
    run.info = dict(epoch=0, best_val_acc=-1.0, best_epoch=0, bad_epochs=0, history=[], train_seconds=0.0)
    run.info.update(plateau_factor=1.0, plateau_best=-1.0)
    if resume:
        run.info = load_state(run.state_dir, run.model, run.opt, run.device, ema=run.ema)
        log.info("resuming %s at epoch %d", run.out, run.info["epoch"] + 1)
    elif run.main_process:
        run.out.mkdir(parents=True, exist_ok=True)
        (run.out / "config.json").write_text(json.dumps(asdict(run.cfg), indent=2))
    line = "training %s (%.2fM params) on %d images, validating on %d, %s, device %s"
    sizes = count_parameters(run.model) / 1e6, len(run.train_set), len(run.val_set)
    log.info(line, run.cfg.model, *sizes, ",".join(run.train_set.classes), run.device)
