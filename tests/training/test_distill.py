"""Distillation: a student learns from a teacher (or an ensemble) alone."""

from __future__ import annotations

import logging

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

from ferkit.evaluation.logits import predict_logits  # noqa: E402
from ferkit.models.checkpoint import load_checkpoint  # noqa: E402
from ferkit.training.config import TrainConfig  # noqa: E402
from ferkit.training.distill import Teacher, distillation_loss  # noqa: E402
from ferkit.training.loop import train  # noqa: E402
from ferkit.transforms.preprocess import Preprocess  # noqa: E402

from ..conftest import TINY_CNN  # noqa: E402
from .helpers import fer_student, tiny_run  # noqa: E402


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


@pytest.mark.parametrize("channels_last", [False, True])
def test_onnx_and_torch_teachers_agree_on_real_faces(fer_zip, channels_last, caplog):
    """On the CPU, ``auto`` runs teachers in ONNX Runtime (faster); their logits are PyTorch's, on real faces
    and for a student on a subset of the classes (the teacher's columns for those classes)."""
    from ferkit.data.dataset import load_dataset

    faces = load_dataset(fer_zip).split("val").images[:64]
    batch = Preprocess().torch(faces)
    if channels_last:
        batch = batch.contiguous(memory_format=torch.channels_last)
    cpu = torch.device("cpu")
    for classes in (load_checkpoint("default").classes, ("happy", "sad", "neutral")):
        ref = Teacher("default", classes, Preprocess(), cpu, channels_last, runtime="torch")(batch)
        with caplog.at_level(logging.INFO, logger="ferkit.training.distill"):
            got = Teacher("default", classes, Preprocess(), cpu, channels_last, runtime="auto")(batch)
        assert "teacher: 1 model(s) on ONNX Runtime" in caplog.text
        assert got.shape == (64, len(classes))
        np.testing.assert_allclose(got.numpy(), ref.numpy(), atol=1e-4)
        assert (got.argmax(1) == ref.argmax(1)).all()


def test_a_seven_class_and_an_eight_class_model_teach_together_by_class_name(fer_zip):
    """``default,ferplus``: each member read at the student's seven classes, their logits averaged."""
    from ferkit.data.dataset import load_dataset

    batch = Preprocess().torch(load_dataset(fer_zip).split("val").images[:16])
    classes, cpu = load_checkpoint("default").classes, torch.device("cpu")
    both = Teacher("default,ferplus", classes, Preprocess(), cpu)(batch)
    alone = [Teacher(name, classes, Preprocess(), cpu)(batch) for name in ("default", "ferplus")]
    np.testing.assert_allclose(both.numpy(), ((alone[0] + alone[1]) / 2).numpy(), atol=1e-5)


def test_teacher_runtime_errors():
    classes = load_checkpoint("default").classes
    with pytest.raises(ValueError, match="teacher_runtime must be one of auto, torch, onnx, not 'tflite'"):
        Teacher("default", classes, Preprocess(), torch.device("cpu"), runtime="tflite")
    with pytest.raises(ValueError, match="'onnx' runs on the CPU; the student trains on cuda"):
        Teacher("default", classes, Preprocess(), torch.device("cuda"), runtime="onnx")
    with pytest.raises(ValueError, match="teacher_runtime must be one of"):
        TrainConfig(data="x", teacher_runtime="tflite").validate()


def test_synthetic_student_learns_from_the_tiny_teacher_alone(synthetic_dir, tiny_ckpt, tmp_path):
    teach = dict(epochs=8, teacher=str(tiny_ckpt), distill_alpha=1.0, distill_temperature=1.0)
    cfg = TrainConfig(data=str(synthetic_dir), out=str(tmp_path / "s"), **{**TINY_CNN, **teach})
    assert train(cfg, progress=False).best_val_acc > 0.5  # chance is 1/7; no label was used


@pytest.mark.parametrize("sharp", [True, False])
def test_the_teacher_reads_the_face_before_the_blur_when_asked(synthetic_dir, tiny_ckpt, tmp_path, monkeypatch, sharp):
    import ferkit.transforms.augment as augment

    seen = []
    monkeypatch.setattr(augment, "low_resolution", lambda x, *a: x + 100.0)  # a blur anyone can spot
    monkeypatch.setattr(Teacher, "__call__", lambda self, x: seen.append(float(x.max())) or torch.zeros(len(x), 7))
    cfg = tiny_run(
        synthetic_dir, tmp_path / "s", epochs=1, augment="lowres", teacher=str(tiny_ckpt), teacher_sees_sharp=sharp
    )
    train(cfg, progress=False)
    assert seen and (max(seen) < 50) == sharp
