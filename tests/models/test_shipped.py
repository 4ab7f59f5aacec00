"""Where specs point, without torch: shipped models and their .onnx twins, presets, run folders."""

from __future__ import annotations

import json

import pytest

from ferkit.labels import CLASSES, FERPLUS_CLASSES
from ferkit.models.meta import CheckpointError, read_meta
from ferkit.models.shipped import resolve_weights, shipped_models, shipped_onnx, spec_meta

SHIPPED_CLASSES = {"default": CLASSES, "ferplus": FERPLUS_CLASSES}


def test_every_shipped_model_is_known_here():
    assert set(shipped_models()) == set(SHIPPED_CLASSES)


@pytest.mark.parametrize("name", sorted(SHIPPED_CLASSES))
def test_a_shipped_model_has_both_files_with_the_same_metadata_and_a_card(name):
    path = shipped_models()[name]
    twin = shipped_onnx(path)
    assert twin is not None and twin.suffix == ".onnx"
    meta = spec_meta(name)
    assert meta == read_meta(twin) and meta["name"] == name
    assert tuple(meta["classes"]) == SHIPPED_CLASSES[name]
    assert meta["metrics"]["test_acc"] > 0.62 and meta["temperature"] > 0
    card = path.with_suffix(".md").read_text()
    assert f"make reproduce MODEL={name}" in card and f"{meta['metrics']['test_acc']:.2%}" in card


def test_run_directory_and_names_resolve(tiny_ckpt):
    assert resolve_weights(tiny_ckpt.parent) == tiny_ckpt
    assert resolve_weights("default") == shipped_models()["default"]
    assert shipped_onnx(tiny_ckpt) is None  # only shipped models have a twin
    with pytest.raises(CheckpointError, match="nope: no such checkpoint file; shipped models: default"):
        resolve_weights("nope")


def test_the_3class_preset_is_the_default_restricted():
    from ferkit.models.shipped import preset, shipped_presets

    assert shipped_presets()["default-3class"]["weights"] == "default"
    meta = spec_meta("default-3class")
    assert meta["name"] == "default-3class" and meta["classes"] == ["happy", "neutral", "sad"]
    assert meta["restricted_from"] == spec_meta("default")["classes"] and meta["model"] == "resnet-compact"
    assert meta["metrics"]["val_acc"] > meta["metrics"]["rival_val_acc"]  # why it ships rather than the 3-class net
    assert preset("default") is None and preset(shipped_models()["default"]) is None
    # One checkpoint file is what calibrate, export and warm starts need: a preset says what to use instead.
    with pytest.raises(CheckpointError, match="default-3class: a preset .* --weights default --classes happy,neutral"):
        resolve_weights("default-3class")
    with pytest.raises(CheckpointError, match="shipped models: default, ferplus, default-3class"):
        resolve_weights("nope")


def test_bad_presets_name_the_file(tmp_path, monkeypatch):
    import shutil

    from ferkit.models import shipped as shipped_mod

    for f in shipped_models()["default"].parent.glob("default.*"):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.setattr(shipped_mod, "weights_dir", lambda: tmp_path)
    (tmp_path / "odd.preset.json").write_text(json.dumps({"weights": "default", "classes": ["happy", "joy"]}))
    with pytest.raises(CheckpointError, match=r"odd: preset classes \['joy'\] are not classes of default"):
        spec_meta("odd")
    (tmp_path / "odd.preset.json").write_text(json.dumps({"weights": "default", "classes": "happy"}))
    with pytest.raises(CheckpointError, match="odd.preset.json: a preset needs 'weights'"):
        spec_meta("odd")
    (tmp_path / "odd.preset.json").write_text("{")
    with pytest.raises(CheckpointError, match="odd.preset.json: not valid JSON"):
        shipped_mod.shipped_presets()
