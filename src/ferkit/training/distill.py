"""Knowledge distillation: a student learns from a teacher's softened probabilities as well as from labels.

This is how a small, fast CPU model inherits most of a big model's accuracy (Hinton et al., 2015): the
teacher's "dark knowledge" (fear looks more like surprise than like happy) is a richer target than
FER2013's noisy one-hot labels. A teacher is any ferkit checkpoint whose classes include the student's,
or several, comma-separated, whose averaged logits act as one ensemble teacher.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..models.checkpoint import load_checkpoint
from ..transforms.preprocess import Preprocess


class Teacher:
    """Frozen teacher model(s), fed the student's (augmented, normalised) batch."""

    def __init__(
        self,
        specs: str,
        classes: tuple[str, ...],
        student: Preprocess,
        device: torch.device,
        channels_last: bool = False,
    ) -> None:
        self.student = student
        self.members = []
        for spec in (s.strip() for s in specs.split(",") if s.strip()):
            ckpt = load_checkpoint(spec)
            missing = [c for c in classes if c not in ckpt.classes]
            if missing:
                raise ValueError(
                    f"teacher {spec}: knows no class {', '.join(missing)} (its classes: {', '.join(ckpt.classes)})"
                )
            model = ckpt.model.to(device).eval()
            if channels_last:  # the student's batches arrive NHWC; a teacher in NCHW would convert each one
                model = model.to(memory_format=torch.channels_last)
            for p in model.parameters():
                p.requires_grad_(False)
            # A student on a subset of the teacher's classes learns from those columns of its logits.
            columns = torch.tensor([ckpt.classes.index(c) for c in classes], device=device)
            self.members.append((model, ckpt.preprocess, columns))
        if not self.members:
            raise ValueError("no teacher given")

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Mean logits of the members for a student input batch ``x``."""
        raw = x * self.student.std + self.student.mean  # back to [0, 1] pixels
        out = 0
        for model, pre, columns in self.members:
            t = raw
            if pre.image_size != t.shape[-1]:
                t = F.interpolate(t, size=(pre.image_size, pre.image_size), mode="bilinear", align_corners=False)
            out = out + model((t - pre.mean) / pre.std).float()[:, columns]
        return out / len(self.members)


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher ‖ student) at ``temperature``, scaled by T² so its gradients match the label loss's size."""
    t = temperature
    return (
        F.kl_div(
            F.log_softmax(student_logits / t, dim=1),
            F.log_softmax(teacher_logits / t, dim=1),
            reduction="batchmean",
            log_target=True,
        )
        * t
        * t
    )
