"""Starting a run: it refuses to overwrite a run or to resume nothing, and refuses settings that would hang."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

import ferkit.training.setup as setup  # noqa: E402
from ferkit.training.config import TrainConfig  # noqa: E402
from ferkit.training.loop import train  # noqa: E402

from .helpers import tiny_run  # noqa: E402


def test_existing_run_is_not_overwritten(synthetic_dir, tmp_path):
    cfg = tiny_run(synthetic_dir, tmp_path / "r")
    cfg.epochs = 1
    train(cfg, progress=False)
    with pytest.raises(FileExistsError, match="already holds a run"):
        train(cfg, progress=False)
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        train(TrainConfig(out=str(tmp_path / "empty")), resume=True)


def test_time_budget_refuses_several_ranks(synthetic_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(setup, "distributed_setup", lambda device: (0, 2, device))
    with pytest.raises(ValueError, match="time-budget-s is for one device"):
        train(tiny_run(synthetic_dir, tmp_path / "d", time_budget_s=5.0), progress=False)
