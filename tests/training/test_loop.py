"""The training loop: it learns, it resumes exactly, it writes what it promises, it never overwrites."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

import ferkit.training.loop as loop  # noqa: E402
from ferkit.models.checkpoint import load_checkpoint  # noqa: E402
from ferkit.training.config import TrainConfig  # noqa: E402
from ferkit.training.loop import train  # noqa: E402

from .helpers import fer_student, tiny_run  # noqa: E402


def test_small_cnn_beats_chance_clearly(fer_zip, tmp_path):
    cfg = fer_student(fer_zip, tmp_path / "run")
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


@pytest.mark.parametrize(
    "extra",
    [
        {},
        dict(sampler="balanced", class_weighting="balanced", mixup=0.2, optimizer="adamw", lr=1e-3, schedule="plateau"),
        {"ema_decay": 0.9},
    ],
)
def test_resume_continues_exactly(synthetic_dir, tmp_path, monkeypatch, extra):
    straight = train(tiny_run(synthetic_dir, tmp_path / "a", **extra), progress=False)

    real_save = loop.save_state
    calls = {"n": 0}

    def killed_after_first_epoch(*a, **k):
        real_save(*a, **k)
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # as if the process was killed right after epoch 1's checkpoint

    monkeypatch.setattr(loop, "save_state", killed_after_first_epoch)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_run(synthetic_dir, tmp_path / "b", **extra), progress=False)
    monkeypatch.setattr(loop, "save_state", real_save)
    resumed = train(TrainConfig(out=str(tmp_path / "b")), resume=True, progress=False)

    assert resumed.epochs_run == 3
    from safetensors.torch import load_file

    a = load_file(str(tmp_path / "a" / "state" / "last.safetensors"))
    b = load_file(str(tmp_path / "b" / "state" / "last.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k].float().numpy(), b[k].float().numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    assert [h["val_acc"] for h in straight.history] == [h["val_acc"] for h in resumed.history]


def test_the_moving_average_is_what_is_validated_and_saved(synthetic_dir, tmp_path):
    from safetensors.torch import load_file

    result = train(tiny_run(synthetic_dir, tmp_path / "e", epochs=1, ema_decay=0.9), progress=False)
    state = load_file(str(tmp_path / "e" / "state" / "last.safetensors"))
    best = load_file(str(result.best_checkpoint))
    assert int(state["ema.n_averaged"]) > 1  # updated after every step
    assert 0 <= result.history[0]["val_acc_raw"] <= 1 and "val_acc_raw" in open(tmp_path / "e" / "metrics.csv").read()
    weight = next(k for k in best if k.endswith("weight") and best[k].ndim == 4)
    torch.testing.assert_close(best[weight], state[f"ema.module.{weight}"])
    assert not torch.equal(best[weight], state[f"model.{weight}"])  # the raw weights are not the saved ones
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\)"):
        TrainConfig(data="x", ema_decay=1.0).validate()


def test_tiny_model_learns_the_synthetic_classes(tiny_ckpt):
    ckpt = load_checkpoint(tiny_ckpt)
    assert ckpt.meta["metrics"]["val_acc"] > 0.8  # chance is 1/7
    run = tiny_ckpt.parent
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    assert len(rows) == 4 and float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert json.loads((run / "summary.json").read_text())["epochs_run"] == 4


def test_time_budget_stops_the_run_on_the_clock(synthetic_dir, tmp_path):
    cfg = tiny_run(synthetic_dir, tmp_path / "t", epochs=500, time_budget_s=2.0, warmup_epochs=1)
    result = train(cfg, progress=False)
    assert 1 <= result.epochs_run < 500  # a few epochs fit in 2 s here
    lrs = [h["lr"] for h in result.history]
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] < cfg.lr  # the cosine runs down on the clock
    elapsed = [h["elapsed_s"] for h in result.history]
    assert elapsed == sorted(elapsed) and elapsed[-1] >= 2.0
    summary = json.loads((tmp_path / "t" / "summary.json").read_text())
    assert 0 < summary["best_elapsed_s"] <= elapsed[-1] and summary["epochs_run"] == result.epochs_run
    assert (tmp_path / "t" / "state" / "last.json").exists()  # the last epoch always leaves a resume state


def test_time_budget_maps_wall_time_to_schedule_steps(monkeypatch):
    run = type("R", (), {})()
    run.cfg, run.steps_per_epoch = TrainConfig(time_budget_s=100.0, epochs=10), 50
    run.info = {"train_seconds": 30.0}  # spent in earlier epochs
    monkeypatch.setattr(loop.time, "time", lambda: 1020.0)  # 20 s into this epoch
    assert loop._schedule_step(run, 3, 7, 500, epoch_t0=1000.0) == 250  # half the budget: half the steps
    monkeypatch.setattr(loop.time, "time", lambda: 1500.0)
    assert loop._schedule_step(run, 3, 7, 500, epoch_t0=1000.0) == 500  # spent: the end, never beyond
    run.cfg = TrainConfig(epochs=10)  # no budget: plain step counting
    assert loop._schedule_step(run, 3, 7, 500, epoch_t0=1000.0) == 157
    run.cfg = TrainConfig(time_budget_s=1000.0, epochs=10)  # a budget is a cap: a faster run keeps its steps
    monkeypatch.setattr(loop.time, "time", lambda: 1020.0)
    assert loop._schedule_step(run, 3, 7, 500, epoch_t0=1000.0) == 157


@pytest.mark.parametrize(
    "scheme", [{"label_mode": "crossentropy"}, {"label_mode": "probability"}, {"ferplus_mix": 0.5}]
)
def test_fer_plus_votes_teach_a_model(fer_slice_zip, tmp_path, scheme):
    """FER+ on real faces: eight classes chosen on majority-vote PublicTest for the two FER+ schemes; with
    ferplus_mix, FER2013's seven classes and labels, the votes mixed into the training targets only."""
    cfg = tiny_run(fer_slice_zip, tmp_path / "f", ferplus="shipped", epochs=2, **scheme)
    result = train(cfg, progress=False)
    ckpt = load_checkpoint(result.best_checkpoint)
    mixed = "ferplus_mix" in scheme
    assert len(ckpt.classes) == (7 if mixed else 8) and ("contempt" in ckpt.classes) is not mixed
    assert np.isfinite(result.history[-1]["train_loss"]) and 0 <= result.best_val_acc <= 1
    assert ckpt.meta["train"]["config"]["ferplus"] == "shipped"


def test_probability_scheme_draws_labels_from_the_votes():
    run = type("R", (), {})()
    run.cfg = TrainConfig(ferplus="shipped", label_mode="probability")
    run.train_t = torch.tensor([[0.25, 0.75, 0.0]] * 4000)
    drawn = loop._batch_targets(run, torch.arange(4000), torch.zeros(4000, dtype=torch.long), torch.Generator())
    counts = torch.bincount(drawn, minlength=3) / 4000
    assert abs(counts[0] - 0.25) < 0.03 and abs(counts[1] - 0.75) < 0.03 and counts[2] == 0
    run.cfg = TrainConfig(ferplus="shipped", label_mode="crossentropy")
    assert loop._batch_targets(run, torch.arange(2), None, torch.Generator()).shape == (2, 3)


def test_gpu_run_settings_work_on_a_cpu(synthetic_dir, tmp_path, monkeypatch):
    """channels-last, half-precision weights and sparse saving: what configs/flagship.toml asks of a GPU."""
    saved = []
    real_save = loop.save_state
    monkeypatch.setattr(
        loop, "save_state", lambda d, m, o, info, **k: (saved.append(info["epoch"]), real_save(d, m, o, info, **k))
    )
    cfg = tiny_run(synthetic_dir, tmp_path / "g", epochs=5, save_every=2, channels_last=True, weights_dtype="float16")
    result = train(cfg, progress=False)
    assert saved == [2, 4, 5]  # every second epoch and the last
    assert len(list(csv.DictReader(open(tmp_path / "g" / "metrics.csv")))) == 5
    from safetensors import safe_open

    with safe_open(str(result.best_checkpoint), framework="pt") as fh:
        dtypes = {fh.get_tensor(k).dtype for k in fh.keys()}
    assert torch.float16 in dtypes and torch.float32 not in dtypes
    ckpt = load_checkpoint(result.best_checkpoint)
    assert next(ckpt.model.parameters()).dtype == torch.float32  # loading casts back
    assert ckpt.meta["metrics"]["val_acc"] == result.best_val_acc > 0.5


def test_a_run_without_a_terminal_says_where_it_stands(synthetic_dir, tmp_path, monkeypatch, caplog):
    """No terminal, no progress bar: lines within each epoch instead; and what a run writes is readable
    by others like the rest of its folder (safetensors alone made its files 0600)."""
    import logging
    import os
    import stat

    monkeypatch.setattr(loop, "NOTE_EVERY_S", 0.0)
    with caplog.at_level(logging.INFO, logger="ferkit.training.loop"):
        result = train(tiny_run(synthetic_dir, tmp_path / "n", epochs=1), progress=False)
    assert any("epoch 1: step " in r.getMessage() for r in caplog.records)
    umask = os.umask(0)
    os.umask(umask)
    for f in (result.best_checkpoint, tmp_path / "n" / "state" / "last.safetensors", tmp_path / "n" / "metrics.csv"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask, f
