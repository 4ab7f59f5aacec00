"""Training on real FER2013 slices: it learns, it resumes exactly, it writes what it promises."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import ferkit.train as train_mod
from ferkit.checkpoint import load_checkpoint
from ferkit.models import get_model
from ferkit.train import TrainConfig, train


def test_small_cnn_beats_chance_clearly(fer_zip, tmp_path):
    cfg = TrainConfig(data=str(fer_zip), out=str(tmp_path / "run"), model="cnn", model_args={"width": 16},
                      classes="happy,surprise,sad", epochs=3, max_train=2400, max_val=700, optimizer="adamw",
                      lr=3e-3, weight_decay=1e-4, batch_size=64, augment="light", seed=0)
    result = train(cfg, progress=False)
    last = result.history[-1]
    # Validation (PublicTest) slice: happy is the largest class at ~46%; macro-F1 of always-happy is ~0.21.
    assert result.best_val_acc > 0.54, result.history
    assert max(h["val_macro_f1"] for h in result.history) > 0.45
    assert last["train_loss"] < result.history[0]["train_loss"]
    run = tmp_path / "run"
    for f in ("config.json", "metrics.csv", "curves.png", "best.safetensors", "summary.json", "state/last.json"):
        assert (run / f).exists(), f
    assert json.loads((run / "config.json").read_text())["classes"] == "happy,surprise,sad"
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    ckpt = load_checkpoint(run)
    assert ckpt.classes == ("happy", "sad", "surprise")
    assert ckpt.meta["train"]["config"]["seed"] == 0 and ckpt.meta["metrics"]["val_acc"] == result.best_val_acc


def _tiny(fer_slice_zip, out, **kw) -> TrainConfig:
    args = dict(model="resnet-compact", model_args={"width": 8}, epochs=3, batch_size=32, lr=0.02, seed=3)
    return TrainConfig(data=str(fer_slice_zip), out=str(out), **{**args, **kw})


@pytest.mark.parametrize("extra", [{}, {"sampler": "balanced", "class_weighting": "balanced", "mixup": 0.2,
                                        "optimizer": "adamw", "lr": 1e-3, "schedule": "plateau"}])
def test_resume_continues_exactly(fer_slice_zip, tmp_path, monkeypatch, extra):
    straight = train(_tiny(fer_slice_zip, tmp_path / "a", **extra), progress=False)

    real_save = train_mod._save_state
    calls = {"n": 0}

    def killed_after_first_epoch(*a, **k):
        real_save(*a, **k)
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # as if the process was killed right after epoch 1's checkpoint

    monkeypatch.setattr(train_mod, "_save_state", killed_after_first_epoch)
    with pytest.raises(KeyboardInterrupt):
        train(_tiny(fer_slice_zip, tmp_path / "b", **extra), progress=False)
    monkeypatch.setattr(train_mod, "_save_state", real_save)
    resumed = train(TrainConfig(out=str(tmp_path / "b")), resume=True, progress=False)

    assert resumed.epochs_run == 3
    a = load_file(str(tmp_path / "a" / "state" / "last.safetensors"))
    b = load_file(str(tmp_path / "b" / "state" / "last.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k].float().numpy(), b[k].float().numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    assert [h["val_acc"] for h in straight.history] == [h["val_acc"] for h in resumed.history]


def test_existing_run_is_not_overwritten(fer_slice_zip, tmp_path):
    cfg = _tiny(fer_slice_zip, tmp_path / "r")
    cfg.epochs = 1
    train(cfg, progress=False)
    with pytest.raises(FileExistsError, match="already holds a run"):
        train(cfg, progress=False)
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        train(TrainConfig(out=str(tmp_path / "empty")), resume=True)


def test_config_file_and_validation(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[train]\nmodel = "vgg"\nepochs = 7\nmodel_args = { width = 16 }\n')
    cfg = TrainConfig.from_file(p, epochs=9, data="x")
    assert (cfg.model, cfg.epochs, cfg.model_args, cfg.data) == ("vgg", 9, {"width": 16}, "x")
    p.write_text('[train]\nepochz = 7\n')
    with pytest.raises(ValueError, match="unknown config keys"):
        TrainConfig.from_file(p)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig(data="x", optimizer="lbfgs").validate()


RECIPES = sorted((Path(__file__).parents[1] / "configs").glob("*.toml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_shipped_recipes_parse(recipe):
    cfg = TrainConfig.from_file(recipe, data="x")
    cfg.validate()
    get_model(cfg.model, num_classes=7, image_size=cfg.image_size, **cfg.model_args)


def test_distillation_teaches_without_labels(fer_zip, tmp_path):
    """With distill_alpha=1 the labels are ignored: all a student learns comes from the teacher."""
    from ferkit.distill import Teacher, distillation_loss
    from ferkit.infer import predict_logits
    from ferkit.transforms import Preprocess

    # The same student and data as test_small_cnn_beats_chance_clearly, on 3 of the teacher's 7 classes.
    cfg = TrainConfig(data=str(fer_zip), out=str(tmp_path / "student"), model="cnn", model_args={"width": 16},
                      classes="happy,surprise,sad", epochs=3, max_train=2400, max_val=700, optimizer="adamw",
                      lr=3e-3, weight_decay=1e-4, batch_size=64, augment="light", seed=0, teacher="default",
                      distill_alpha=1.0)
    result = train(cfg, progress=False)
    ckpt = load_checkpoint(result.run_dir)
    assert ckpt.meta["train"]["config"]["teacher"] == "default"
    # Always-happy scores ~46% on this validation slice.
    assert result.best_val_acc > 0.54, result.history

    teacher_ckpt = load_checkpoint("default")
    teacher = Teacher("default,default", teacher_ckpt.classes, Preprocess(), torch.device("cpu"))
    faces = np.random.default_rng(0).integers(0, 256, (8, 48, 48), dtype=np.uint8)
    direct = predict_logits(teacher_ckpt.model, faces, teacher_ckpt.preprocess)
    np.testing.assert_allclose(teacher(Preprocess()(faces)).numpy(), direct, atol=1e-4)
    logits = torch.from_numpy(direct)
    assert float(distillation_loss(logits, logits, 4.0)) == pytest.approx(0.0, abs=1e-6)
    assert float(distillation_loss(-logits, logits, 4.0)) > 0
    with pytest.raises(ValueError, match="knows no class contempt"):
        Teacher("default", ("happy", "contempt"), Preprocess(), torch.device("cpu"))
