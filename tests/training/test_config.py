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


RECIPES = sorted((Path(__file__).parents[2] / "configs").glob("*.toml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_shipped_recipes_parse(recipe):
    cfg = TrainConfig.from_file(recipe, data="x")
    cfg.validate()
    pytest.importorskip("torch")
    from ferkit.models.registry import get_model

    get_model(cfg.model, num_classes=7, image_size=cfg.image_size, **cfg.model_args)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"data": ""}, "no training data"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"augment": "wild"}, "augment must be one of none, light, default, strong"),
        ({"distill_alpha": 2}, "distill_alpha"),
        ({"small_faces": "16,24"}, "small_faces needs calibrate set"),
        ({"ferplus": "shipped", "label_mode": "soft"}, "label_mode must be one of majority, probability, crossentropy"),
        ({"ferplus_mix": 0.5}, "ferplus_mix .* needs FER\\+ votes"),
    ],
)
def test_validation_names_the_field(fields, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{"data": "x", **fields}).validate()
    TrainConfig(data="x", calibrate="temperature", small_faces="16,24").validate()


def test_field_help_comes_from_the_fields_comments():
    import dataclasses

    helps = TrainConfig.field_help()
    assert helps["ema_decay"].startswith("> 0: validate and keep an exponential moving average")
    assert helps["optimizer"] == "sgd | adamw" and "teacher" in helps
    assert set(helps) <= {f.name for f in dataclasses.fields(TrainConfig)}
    assert len(helps) == len(dataclasses.fields(TrainConfig))  # every field explains itself


def test_a_recipe_states_only_what_differs_from_the_one_it_extends(tmp_path):
    (tmp_path / "base.toml").write_text('[train]\nmodel = "vgg"\nepochs = 7\nlr = 0.1\nmodel_args = { width = 16 }\n')
    (tmp_path / "child.toml").write_text('extends = "base.toml"\n[train]\nlr = 0.02\n')
    (tmp_path / "grandchild.json").write_text('{"extends": "child.toml", "epochs": 3}')
    cfg = TrainConfig.from_file(tmp_path / "grandchild.json", data="x")
    assert (cfg.model, cfg.epochs, cfg.lr, cfg.model_args) == ("vgg", 3, 0.02, {"width": 16})
    assert TrainConfig.from_file(tmp_path / "child.toml", lr=0.5).lr == 0.5  # flags still win
    (tmp_path / "base.toml").write_text('extends = "grandchild.json"\n')
    with pytest.raises(ValueError, match="extend each other in a cycle"):
        TrainConfig.from_file(tmp_path / "child.toml")


def test_the_fer_plus_recipe():
    cfg = TrainConfig.from_file(Path(__file__).parents[2] / "configs" / "ferplus.toml", data="x")
    assert (cfg.ferplus, cfg.label_mode, cfg.model_args["width"], cfg.epochs) == ("shipped", "crossentropy", 40, 120)
