"""Knowledge distillation: a student learns from a teacher's softened probabilities as well as from labels.

This is how a small, fast CPU model inherits most of a big model's accuracy (Hinton et al., 2015): the
teacher's "dark knowledge" (fear looks more like surprise than like happy) is a richer target than
FER2013's noisy one-hot labels. A teacher is any ferkit model whose classes include the student's, or several,
comma-separated, whose averaged logits act as one ensemble teacher (each member read at the student's
classes, so a seven-class and an eight-class FER+ model can teach together).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..models.model import Network, load_model
from ..models.shipped import split_weights
from ..transforms.preprocess import Preprocess
from .config import TEACHER_RUNTIMES

log = logging.getLogger(__name__)


class Teacher:
    """Frozen teacher model(s), fed the student's (augmented, normalised) batch.

    Any weights spec :func:`~ferkit.models.model.load_model` takes (a comma-separated list is an ensemble
    whose averaged logits teach as one). Teachers run on every training batch, so their speed is the
    student's: on a CPU ONNX Runtime runs the compact network's forward pass about 1.6x as fast as PyTorch
    (a five-teacher epoch 1.2x, measured on a 2-core CPU),
    which is why ``runtime="auto"`` picks it there; on a GPU the teachers run in PyTorch beside the student.
    Its logits match PyTorch's within 1e-4 (tests/training/test_distill.py)."""

    def __init__(
        self, specs: str, classes: tuple[str, ...], student: Preprocess, device: torch.device,
        channels_last: bool = False, runtime: str = "auto",
    ) -> None:  # fmt: skip
        if runtime not in TEACHER_RUNTIMES:
            raise ValueError(f"teacher_runtime must be one of {', '.join(TEACHER_RUNTIMES)}, not {runtime!r}")
        if runtime == "onnx" and device.type != "cpu":
            raise ValueError(f"teacher_runtime 'onnx' runs on the CPU; the student trains on {device}")
        onnx = teachers_on_onnx(runtime, device)
        threads = torch.get_num_threads()
        # Each spec loaded alone: an Ensemble needs its members to share classes, a teacher only needs the
        # student's among each member's.
        where = dict(backend="onnx", threads=threads) if onnx else dict(backend="torch", device=str(device))
        nets = [net for spec in split_weights(specs) for net in load_model(spec, **where).networks()]
        self.student = student
        self.members = []
        for net in nets:
            missing = [c for c in classes if c not in net.classes]
            if missing:
                known = f"its classes: {', '.join(net.classes)}"
                raise ValueError(f"teacher {net.name}: knows no class {', '.join(missing)} ({known})")
            run = _onnx_member(net) if onnx else _torch_member(net.module, device, channels_last)
            # A student on a subset of the teacher's classes learns from those columns of its logits.
            columns = torch.tensor([net.classes.index(c) for c in classes], device=device)
            self.members.append((run, net.preprocess, columns))
        log.info("teacher: %d model(s) on %s", len(self.members), "ONNX Runtime" if onnx else "PyTorch")

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Mean logits of the members for a student input batch ``x``."""
        raw = x * self.student.std + self.student.mean  # back to [0, 1] pixels
        out = 0
        for run, pre, columns in self.members:
            t = raw
            if pre.image_size != t.shape[-1]:
                t = F.interpolate(t, size=(pre.image_size, pre.image_size), mode="bilinear", align_corners=False)
            out = out + run((t - pre.mean) / pre.std)[:, columns]
        return out / len(self.members)


def teachers_on_onnx(runtime: str, device: torch.device) -> bool:
    """Whether teachers run in ONNX Runtime (``onnx``, or ``auto`` on a CPU) rather than PyTorch."""
    return runtime == "onnx" or (runtime == "auto" and device.type == "cpu")


def _torch_member(module, device: torch.device, channels_last: bool) -> Callable:
    model = module.to(device).eval()
    if channels_last:  # the student's batches arrive NHWC; a teacher in NCHW would convert each one
        model = model.to(memory_format=torch.channels_last)
    for p in model.parameters():
        p.requires_grad_(False)
    return lambda x: model(x).float()


def _onnx_member(net: Network) -> Callable:
    """The network's ONNX Runtime run (its ONNX export, made once and cached by hash) on the student's
    tensors (ferkit's sessions stop their threads spinning when a run ends, so between teacher calls
    they leave the cores to PyTorch)."""
    return lambda x: torch.from_numpy(net.run(x.contiguous().numpy()))


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher ‖ student) at ``temperature``, scaled by T² so its gradients match the label loss's size."""
    t = temperature
    student, teacher = F.log_softmax(student_logits / t, dim=1), F.log_softmax(teacher_logits / t, dim=1)
    return F.kl_div(student, teacher, reduction="batchmean", log_target=True) * t * t
