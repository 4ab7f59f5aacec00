"""``TrainConfig``: everything that decides a training run, read from a ``.toml``/``.json`` recipe and
overridden by flags; saved as ``config.json`` beside the checkpoint. No torch here, so the CLI's parser
can list every field as a flag without importing it."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..labels import LABEL_MODES
from ..models.shipped import split_weights

#: The names of :data:`ferkit.transforms.augment.AUGMENT_PRESETS` (a test keeps them in step).
AUGMENT_NAMES = ("none", "light", "default", "strong", "lowres")
#: Where distillation teachers run (``ferkit.training.distill.Teacher``): ``auto`` is ONNX Runtime on the
#: CPU, where a five-teacher epoch runs 1.2x as fast as with PyTorch teachers, and PyTorch on a GPU.
TEACHER_RUNTIMES = ("auto", "torch", "onnx")


@dataclass
class TrainConfig:
    """Everything that decides a training run. Saved as ``config.json`` beside the checkpoint."""

    data: str = ""  # a FER2013 zip or CSV, a folder of class folders, or a ferkit data pack
    out: str = "runs/ferkit"  # the run directory: config, metrics, curves, best checkpoint, resume state
    model: str = "resnet-compact"  # an architecture (ferkit models lists them)
    model_args: dict = field(default_factory=dict)  # the architecture's own keywords, e.g. {"width": 48}
    classes: str | None = None  # e.g. "happy,sad,neutral"; None = all seven
    image_size: int = 48  # faces are resized to this square, in pixels
    epochs: int = 30  # passes over the training split (the schedule's length)
    batch_size: int = 128  # images per step (per process under torchrun)
    optimizer: str = "sgd"  # sgd | adamw
    lr: float = 0.05  # peak learning rate, reached after the warm-up
    momentum: float = 0.9  # SGD momentum
    nesterov: bool = True  # Nesterov momentum for SGD
    weight_decay: float = 5e-4  # L2 penalty (decoupled for AdamW)
    schedule: str = "cosine"  # cosine | plateau | step | constant
    warmup_epochs: float = 1.0  # epochs of linear learning-rate warm-up
    label_smoothing: float = 0.1  # share of each target spread over the other classes
    class_weighting: str = "none"  # none | balanced | sqrt  (loss weights from train class counts)
    sampler: str = "shuffle"  # shuffle | balanced  (balanced: classes drawn equally often)
    augment: str = "default"  # none | light | default | strong | lowres (transforms.AUGMENT_PRESETS)
    mixup: float = 0.0  # Beta(alpha, alpha) mixup strength; 0 = off
    patience: int = 0  # early stopping after this many epochs without a better val accuracy; 0 = off
    seed: int = 0  # seeds initialisation, batch order, augmentation and dropout (resume is exact)
    val_fraction: float = 0.1  # share of train held out when the data has no validation split
    drop_duplicates: str = "none"  # none | cross-split | all
    skip_bad: bool = False  # skip (and count) unreadable images instead of stopping at the first
    ferplus: str | None = None  # label by FER+ votes: "shipped" (ferkit's copy, or a pack's), or a votes file/folder
    label_mode: str = "majority"  # FER+ training labels: majority | probability | crossentropy
    ferplus_mix: float = 0.0  # > 0: keep FER2013's labels; each Training target mixes in this share of its FER+ votes
    max_train: int = 0  # a stratified slice of train for quick runs; 0 = all
    max_val: int = 0  # a stratified slice of validation for quick runs; 0 = all
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    amp: bool = False  # bf16 autocast on CUDA
    channels_last: bool = False  # NHWC memory for model and batches (faster on GPUs; 1.14-1.36x on CPUs)
    time_budget_s: float = 0.0  # > 0: the schedule runs on wall time and training stops when it is spent
    save_every: int = 1  # epochs between resume states and curve plots (metrics.csv is written every epoch)
    weights_dtype: str = "float32"  # of best.safetensors: float32 | float16 | bfloat16
    ema_decay: float = 0.0  # > 0: validate and keep an exponential moving average of the weights (e.g. 0.999)
    threads: int = 0  # CPU threads; 0 = torch's default
    init_from: str | None = None  # fine-tuning: a checkpoint, shipped name or recipe:FILE.toml to start from
    freeze_backbone: bool = False  # fine-tuning: train only the classifier head
    open_classes: bool = False  # class folders that name no known expression become classes of their own
    teacher: str | None = None  # distillation: checkpoint, shipped name or recipe:FILE.toml; a,b = ensemble
    distill_alpha: float = 0.5  # weight of the teacher's loss; the label loss gets 1 - alpha
    distill_temperature: float = 4.0  # softens teacher and student logits in the distillation loss
    teacher_runtime: str = "auto"  # auto | torch | onnx  (auto: ONNX Runtime on the CPU, PyTorch on a GPU)
    teacher_sees_sharp: bool = False  # the teacher reads each face before the lowres augmentation blurs it
    calibrate: str = ""  # after training: "temperature", or recall floors too ("fear=0.5,sad=0.55"), fitted on val
    small_faces: str = ""  # with calibrate: also fit it for faces this many pixels wide in a photo ("16,24,32")

    @classmethod
    def field_help(cls) -> dict[str, str]:
        """Each field's inline comment above, by field name: ``ferkit train --help`` explains its flags from
        the one place they are documented rather than from a second copy that would drift."""
        # Every ferkit command builds the whole parser, so this runs at each start: read the module's text
        # (0.3 ms here) rather than inspect.getsource(cls), which parses the module to find the class (4 ms).
        try:
            lines = Path(inspect.getsourcefile(cls) or "").read_text(encoding="utf-8").splitlines()
        except OSError:  # no source shipped (a zipped or frozen install): flags keep their defaults only
            return {}
        names = {f.name for f in dataclasses.fields(cls)}
        found = (re.match(r"^    (\w+): [^#]+#\s*(.+)$", line) for line in lines)
        return {m.group(1): m.group(2) for m in found if m and m.group(1) in names}

    @classmethod
    def from_file(cls, path: str | Path, **overrides) -> TrainConfig:
        """Read a ``.toml`` or ``.json`` config; ``overrides`` (e.g. from the CLI) win. A recipe may name
        another it ``extends`` (a path relative to itself) and state only what differs from it."""
        path = Path(path)
        raw = _read_recipe(path)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"{path}: unknown config keys {sorted(unknown)}")
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**raw)

    def dataset_kwargs(self) -> dict:
        """The :func:`ferkit.data.dataset.load_dataset` keywords this run reads its data with."""
        same = "classes image_size val_fraction seed skip_bad drop_duplicates open_classes ferplus label_mode"
        return {**{k: getattr(self, k) for k in same.split()}, "ferplus_relabel": not self.ferplus_mix}

    def validate(self) -> None:
        choices = {
            "optimizer": ("sgd", "adamw"),
            "schedule": ("cosine", "plateau", "step", "constant"),
            "class_weighting": ("none", "balanced", "sqrt"),
            "sampler": ("shuffle", "balanced"),
            "augment": AUGMENT_NAMES,
            "weights_dtype": ("float32", "float16", "bfloat16"),
            "teacher_runtime": TEACHER_RUNTIMES,
            "label_mode": LABEL_MODES,
        }
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise ValueError(f"{key} must be one of {', '.join(allowed)}, not {getattr(self, key)!r}")
        if not self.data:
            raise ValueError("no training data given (--data)")
        for key, (lo, hi, lo_open, hi_open) in RANGES.items():
            value = getattr(self, key)
            if (value <= lo if lo_open else value < lo) or (value >= hi if hi_open else value > hi):
                raise ValueError(f"{key} must be in {describe_range(key)}, not {value}")
        if self.calibrate not in ("", "temperature") and not re.fullmatch(
            r"(\w+=[0-9.]+)(,\w+=[0-9.]+)*", self.calibrate
        ):
            raise ValueError(
                f'calibrate must be "", "temperature" or recall floors like "fear=0.5,sad=0.55", not {self.calibrate!r}'
            )
        if self.small_faces and not (self.calibrate and re.fullmatch(r"\d+(,\d+)*", self.small_faces)):
            raise ValueError(f'small_faces needs calibrate set and widths like "16,24,32", not {self.small_faces!r}')
        if self.ferplus_mix and not self.ferplus:
            raise ValueError("ferplus_mix must be in [0, 1] and needs FER+ votes (--ferplus)")


#: The numeric fields' allowed values, ``(low, high, low excluded, high excluded)``: checked by
#: :meth:`TrainConfig.validate` for recipe files, and by the CLI while it parses the flags.
INF = float("inf")
RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "image_size": (8, 512, False, False),
    "epochs": (1, 100_000, False, False),
    "batch_size": (2, 65_536, False, False),
    "lr": (0, 10, True, False),
    "momentum": (0, 1, False, True),
    "weight_decay": (0, 1, False, False),
    "warmup_epochs": (0, INF, False, True),
    "label_smoothing": (0, 1, False, True),
    "mixup": (0, 100, False, False),
    "patience": (0, INF, False, True),
    "seed": (0, 2**63 - 1, False, False),
    "val_fraction": (0, 1, True, True),
    "max_train": (0, INF, False, True),
    "max_val": (0, INF, False, True),
    "time_budget_s": (0, INF, False, True),
    "save_every": (1, INF, False, True),
    "ema_decay": (0, 1, False, True),
    "threads": (0, 1024, False, False),
    "distill_alpha": (0, 1, False, False),
    "distill_temperature": (0, 100, True, False),
    "ferplus_mix": (0, 1, False, False),
}


def describe_range(key: str) -> str:
    """``[0, 1)`` and the like, for a field of :data:`RANGES`."""
    lo, hi, lo_open, hi_open = RANGES[key]
    fmt = lambda x: "inf" if x == INF else (str(int(x)) if float(x).is_integer() else str(x))
    return f"{'(' if lo_open else '['}{fmt(lo)}, {fmt(hi)}{')' if hi_open else ']'}"


def _read_recipe(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A recipe's keys merged over those of the recipe it ``extends`` (recursively; a cycle is an error)."""
    if path.resolve() in seen:
        raise ValueError(f"{path}: recipes extend each other in a cycle")
    text = path.read_text()
    top = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    base = top.pop("extends", None)  # at the top or inside [train]
    raw = dict(top.get("train", top))
    base = raw.pop("extends", base)
    for key in ("teacher", "init_from"):  # models named by recipe: those recipes lie beside this one
        spec = raw.get(key)
        if isinstance(spec, str) and "recipe:" in spec:
            raw[key] = ",".join(
                f"recipe:{path.parent / p[len('recipe:') :]}" if p.startswith("recipe:") else p
                for p in split_weights(spec)
            )
    if base is None:
        return raw
    return {**_read_recipe(path.parent / base, (*seen, path.resolve())), **raw}
