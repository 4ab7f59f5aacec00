"""``ferkit train``, ``finetune`` and ``tune`` from the command line (the library is tested in tests/training)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training CLI tests skipped")

from ferkit.cli import main  # noqa: E402


def test_train_then_evaluate_from_the_command_line(fer_slice_zip, tmp_path, capsys):
    out, ev = tmp_path / "run", tmp_path / "ev"
    train = f"train --data {fer_slice_zip} --out {out} --model cnn --epochs 1 --batch-size 32 --no-nesterov"
    assert main([*train.split(), "--model-args", '{"width": 8}']) == 0
    assert json.loads((out / "config.json").read_text())["nesterov"] is False
    capsys.readouterr()
    assert main(f"evaluate --weights {out} --data {fer_slice_zip} --split val --json --out {ev}".split()) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep == json.loads((ev / "report.json").read_text())
    assert rep["n"] == 210 and rep["split"] == "val"


def test_train_from_a_recipe_then_resume(synthetic_dir, tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text('[train]\nmodel = "cnn"\nmodel_args = { width = 4 }\nepochs = 1\nbatch_size = 30\n')
    out = tmp_path / "run"
    assert main(["train", "--config", str(recipe), "--data", str(synthetic_dir), "--out", str(out)]) == 0
    assert main(["train", "--resume", "--out", str(out), "--epochs", "2"]) == 0
    assert "of 2" in capsys.readouterr().out
    assert main(["train", "--resume"]) == 2  # --resume needs --out: a one-line error


def test_train_help_explains_every_config_flag(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--ema-decay EMA_DECAY > 0: validate and keep an exponential moving average" in out
    assert "--seed SEED seeds initialisation, batch order" in out and "(default 0)" in out
