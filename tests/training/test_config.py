"""``TrainConfig``: recipe files, flags over them, validation; every shipped recipe parses and builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferkit.training.config import TrainConfig


def test_config_file_and_validation(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[train]\nmodel = "vgg"\nepochs = 7\nmodel_args = { width = 16 }\n')
    cfg = TrainConfig.from_file(p, epochs=9, data="x")
    assert (cfg.model, cfg.epochs, cfg.model_args, cfg.data) == ("vgg", 9, {"width": 16}, "x")
    p.write_text("[train]\nepochz = 7\n")
    with pytest.raises(ValueError, match="unknown config keys"):
        TrainConfig.from_file(p)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig(data="x", optimizer="lbfgs").validate()


RECIPES = sorted((Path(__file__).parents[2] / "configs").glob("*.toml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_shipped_recipes_parse(recipe):
    cfg = TrainConfig.from_file(recipe, data="x")
    cfg.validate()
    pytest.importorskip("torch")
    from ferkit.models.registry import get_model

    get_model(cfg.model, num_classes=7, image_size=cfg.image_size, **cfg.model_args)


def test_validation_names_the_field():
    with pytest.raises(ValueError, match="no training data"):
        TrainConfig().validate()
    with pytest.raises(ValueError, match="augment must be one of none, light, default, strong"):
        TrainConfig(data="x", augment="wild").validate()
    with pytest.raises(ValueError, match="distill_alpha"):
        TrainConfig(data="x", distill_alpha=2).validate()


def test_field_help_comes_from_the_fields_comments():
    import dataclasses

    helps = TrainConfig.field_help()
    assert helps["ema_decay"].startswith("> 0: validate and keep an exponential moving average")
    assert helps["optimizer"] == "sgd | adamw" and "teacher" in helps
    assert set(helps) <= {f.name for f in dataclasses.fields(TrainConfig)}
    assert len(helps) == len(dataclasses.fields(TrainConfig))  # every field explains itself
