"""Teachers named by recipe: a student's whole chain is trained first, reused when finished, resumed when
interrupted, never confused with another run; a recipe's calibration runs when its training ends."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

from ferkit.models.meta import read_meta  # noqa: E402
from ferkit.training.config import TrainConfig  # noqa: E402
from ferkit.training.loop import train  # noqa: E402

TINY = 'model = "resnet-compact"\nmodel_args = { width = 8 }\nepochs = 1\nbatch_size = 32\nlr = 0.02\n'


@pytest.fixture
def recipes(tmp_path):
    (tmp_path / "base.toml").write_text("[train]\n" + TINY)
    (tmp_path / "grand.toml").write_text('extends = "base.toml"\n[train]\nseed = 5\n')
    (tmp_path / "teacher.toml").write_text('extends = "base.toml"\n[train]\nteacher = "recipe:grand.toml"\n')
    student = 'extends = "base.toml"\n[train]\nteacher = "recipe:teacher.toml"\ncalibrate = "temperature"\n'
    student += 'small_faces = "16,32"\n'
    (tmp_path / "student.toml").write_text(student)
    return tmp_path


def test_a_student_trains_its_chain_then_reuses_it(recipes, synthetic_dir, tmp_path, caplog):
    runs = tmp_path / "runs"
    cfg = TrainConfig.from_file(recipes / "student.toml", data=str(synthetic_dir), out=str(runs / "student"))
    with caplog.at_level(logging.INFO, logger="ferkit.training.chain"):
        result = train(cfg, progress=False)
    assert [r.getMessage().split(":")[1].strip() for r in caplog.records] == [
        "training it first, into " + str(runs / "teacher"),
        "training it first, into " + str(runs / "grand"),
    ]
    saved = json.loads((runs / "student" / "config.json").read_text())
    assert saved["teacher"] == str(runs / "teacher" / "best.safetensors")
    assert json.loads((runs / "teacher" / "config.json").read_text())["teacher"] == str(
        runs / "grand" / "best.safetensors"
    )
    assert json.loads((runs / "grand" / "config.json").read_text())["seed"] == 5
    # The recipe's calibration ran on the validation split when training ended.
    meta = read_meta(result.best_checkpoint)
    assert meta["calibration"]["fitted_on"].endswith(":val") and meta["temperature"] > 0
    assert meta["small_faces"]["widths"] == [16, 32]
    assert "calibration" in json.loads((runs / "student" / "summary.json").read_text())
    # A second student of the same teacher reuses the finished chain.
    before = (runs / "teacher" / "best.safetensors").stat().st_mtime_ns
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ferkit.training.chain"):
        train(
            TrainConfig.from_file(recipes / "student.toml", data=str(synthetic_dir), out=str(runs / "again")),
            progress=False,
        )
    assert any("reusing the finished run" in r.getMessage() for r in caplog.records)
    assert (runs / "teacher" / "best.safetensors").stat().st_mtime_ns == before


def test_a_fine_tune_starts_from_a_recipe_and_learns_from_its_int8_twin(recipes, synthetic_dir, tmp_path):
    onnx = pytest.importorskip("onnx")
    (recipes / "ft.toml").write_text(
        'extends = "base.toml"\n[train]\ninit_from = "recipe:grand.toml"\nteacher = "recipe:grand.toml@int8"\n'
    )
    runs = tmp_path / "runs"
    train(TrainConfig.from_file(recipes / "ft.toml", data=str(synthetic_dir), out=str(runs / "ft")), progress=False)
    saved = json.loads((runs / "ft" / "config.json").read_text())
    assert saved["init_from"] == str(runs / "grand" / "best.safetensors")
    assert saved["teacher"] == str(runs / "grand" / "best.int8.onnx")
    assert any(n.op_type == "QuantizeLinear" for n in onnx.load(saved["teacher"]).graph.node)
    # Teachers run in PyTorch: the checkpoint itself teaches, not its ONNX twin.
    torch_run = TrainConfig.from_file(recipes / "ft.toml", data=str(synthetic_dir), out=str(runs / "pt"))
    train(replace(torch_run, teacher_runtime="torch"), progress=False)
    assert json.loads((runs / "pt" / "config.json").read_text())["teacher"] == str(runs / "grand" / "best.safetensors")
    (recipes / "ft.toml").write_text('extends = "base.toml"\n[train]\nteacher = "recipe:grand.toml@fp16"\n')
    with pytest.raises(ValueError, match="named in is @int8, not @fp16"):
        train(TrainConfig.from_file(recipes / "ft.toml", data=str(synthetic_dir), out=str(runs / "x")), progress=False)


def test_a_folder_holding_another_run_is_never_taken_for_the_teacher(recipes, synthetic_dir, tmp_path):
    runs = tmp_path / "runs"
    other = TrainConfig.from_file(recipes / "base.toml", data=str(synthetic_dir), out=str(runs / "teacher"), seed=9)
    train(other, progress=False)
    cfg = TrainConfig.from_file(recipes / "teacher.toml", data=str(synthetic_dir), out=str(runs / "x"))
    (recipes / "teacher.toml").write_text('extends = "base.toml"\n[train]\n')  # as base, seed 0
    cfg = TrainConfig.from_file(recipes / "student.toml", data=str(synthetic_dir), out=str(runs / "student"))
    with pytest.raises(FileExistsError, match=r"runs/teacher: holds another run .* differs in seed"):
        train(cfg, progress=False)


def test_the_shipped_defaults_chain_resolves_to_its_recipes():
    from pathlib import Path

    configs = Path(__file__).parents[2] / "configs"
    cfg = TrainConfig.from_file(configs / "default.toml", data="x")
    assert cfg.init_from == f"recipe:{configs / 'default-ft.toml'}" and cfg.calibrate == "fear=0.5,sad=0.55"
    assert (cfg.augment, cfg.teacher_sees_sharp, cfg.epochs) == ("lowres", True, 10)
    ft = TrainConfig.from_file(configs / "default-ft.toml", data="x")
    assert ft.init_from == f"recipe:{configs / 'default-base.toml'}" and ft.teacher == cfg.teacher
    teachers = "default-flagship-a.toml@int8 default-flagship-b.toml@int8 default-base.toml ferplus.toml".split()
    assert cfg.teacher.split(",") == [f"recipe:{configs / t}" for t in teachers]
    flagships = [TrainConfig.from_file(configs / f"default-flagship-{x}.toml", data="x") for x in "ab"]
    assert [(f.model, f.seed, f.epochs, f.time_budget_s, f.device) for f in flagships] == [
        ("vgg", 1, 95, 0.0, "auto"),
        ("vgg", 1, 85, 0.0, "auto"),
    ]
    cfg = TrainConfig.from_file(configs / "default-base.toml", data="x")
    assert cfg.teacher == f"recipe:{configs / 'default-teacher.toml'}" and cfg.epochs == 120
    teacher = TrainConfig.from_file(configs / "default-teacher.toml", data="x")
    assert (teacher.seed, teacher.teacher_runtime, teacher.epochs) == (1, "torch", 140)
    assert teacher.teacher == f"recipe:{configs / 'default-teacher-teacher.toml'}"
    with pytest.raises(ValueError, match='calibrate must be "", "temperature" or recall floors'):
        TrainConfig(data="x", calibrate="yes").validate()
