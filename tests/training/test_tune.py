"""Hyper-parameter search with Optuna on a real FER2013 slice."""

from __future__ import annotations

import json
import sqlite3

import pytest

pytest.importorskip("optuna", reason="Optuna not installed (ferkit[train]); tuning tests skipped")

from ferkit.cli import main  # noqa: E402
from ferkit.training.config import TrainConfig  # noqa: E402


def test_tune_stores_study_and_best_config(fer_slice_zip, tmp_path, capsys):
    out = tmp_path / "search"
    argv = [*f"tune --data {fer_slice_zip} --out {out} --model cnn --epochs 2 --batch-size 32".split(), "--model-args"]
    assert main([*argv, '{"width": 8}', "--trials", "4"]) == 0
    summary = json.loads((out / "tune.json").read_text())
    assert summary["trials"] == 4 and summary["completed"] >= 2
    best = TrainConfig(**json.loads((out / "best_config.json").read_text()))
    assert best.lr == summary["best_params"]["lr"] and best.epochs == 2 and best.model == "cnn"
    assert (out / "search.png").read_bytes()[:4] == b"\x89PNG"
    rows = sqlite3.connect(out / "study.db").execute("select count(*) from trials").fetchone()[0]
    assert rows == 4
    # Naming the same study again continues it.
    assert main([*argv, '{"width": 8}', "--trials", "1"]) == 0
    assert json.loads((out / "tune.json").read_text())["trials"] == 5


def test_tune_on_synthetic_data(synthetic_dir, tmp_path):
    """Runs anywhere: two trials on the synthetic data, the search stored and plotted."""
    from ferkit.training.tune import tune

    base = TrainConfig(data=str(synthetic_dir), model="cnn", model_args={"width": 4}, epochs=2, batch_size=30)
    res = tune(base, tmp_path / "s", trials=2)
    assert res["trials"] == 2 and res["completed"] >= 1
    assert TrainConfig(**json.loads((tmp_path / "s" / "best_config.json").read_text())).model == "cnn"
