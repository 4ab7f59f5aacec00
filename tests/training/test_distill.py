"""Distillation: a student learns from a teacher (or an ensemble) alone."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

from ferkit.evaluation.logits import predict_logits  # noqa: E402
from ferkit.models.checkpoint import load_checkpoint  # noqa: E402
from ferkit.training.config import TrainConfig  # noqa: E402
from ferkit.training.distill import Teacher, distillation_loss  # noqa: E402
from ferkit.training.loop import train  # noqa: E402
from ferkit.transforms.preprocess import Preprocess  # noqa: E402

from .helpers import fer_student  # noqa: E402


def test_distillation_teaches_without_labels(fer_zip, tmp_path):
    """With distill_alpha=1 the labels are ignored: all a student learns comes from the teacher."""
    # The same student and data as test_small_cnn_beats_chance_clearly, on 3 of the teacher's 7 classes.
    cfg = fer_student(fer_zip, tmp_path / "student", teacher="default", distill_alpha=1.0)
    result = train(cfg, progress=False)
    ckpt = load_checkpoint(result.run_dir)
    assert ckpt.meta["train"]["config"]["teacher"] == "default"
    # Always-happy scores ~46% on this validation slice.
    assert result.best_val_acc > 0.54, result.history

    teacher_ckpt = load_checkpoint("default")
    teacher = Teacher("default,default", teacher_ckpt.classes, Preprocess(), torch.device("cpu"))
    faces = np.random.default_rng(0).integers(0, 256, (8, 48, 48), dtype=np.uint8)
    direct = predict_logits(teacher_ckpt.model, faces, teacher_ckpt.preprocess)
    np.testing.assert_allclose(teacher(Preprocess().torch(faces)).numpy(), direct, atol=1e-4)
    nhwc = Teacher("default", teacher_ckpt.classes, Preprocess(), torch.device("cpu"), channels_last=True)
    batch = Preprocess().torch(faces).contiguous(memory_format=torch.channels_last)
    np.testing.assert_allclose(nhwc(batch).numpy(), direct, atol=1e-4)
    logits = torch.from_numpy(direct)
    assert float(distillation_loss(logits, logits, 4.0)) == pytest.approx(0.0, abs=1e-6)
    assert float(distillation_loss(-logits, logits, 4.0)) > 0
    with pytest.raises(ValueError, match="knows no class contempt"):
        Teacher("default", ("happy", "contempt"), Preprocess(), torch.device("cpu"))


def test_synthetic_student_learns_from_the_tiny_teacher_alone(synthetic_dir, tiny_ckpt, tmp_path):
    cfg = TrainConfig(
        data=str(synthetic_dir),
        out=str(tmp_path / "s"),
        model="cnn",
        model_args={"width": 4},
        epochs=8,
        batch_size=30,
        augment="none",
        lr=0.05,
        warmup_epochs=0,
        label_smoothing=0.0,
        teacher=str(tiny_ckpt),
        distill_alpha=1.0,
        distill_temperature=1.0,
    )
    assert train(cfg, progress=False).best_val_acc > 0.5  # chance is 1/7; no label was used
