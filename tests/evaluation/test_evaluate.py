"""Evaluation of a checkpoint on one split: the shipped model on real PrivateTest images, TTA, subsets."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); evaluation tests skipped")

from ferkit.data.dataset import load_dataset  # noqa: E402
from ferkit.evaluation.evaluate import evaluate, evaluate_path  # noqa: E402
from ferkit.models.model import load_model  # noqa: E402


def test_shipped_default_on_private_test_slice(fer_slice_zip, tmp_path):
    res = evaluate_path("default", fer_slice_zip, split="test", out_dir=tmp_path / "ev")
    rep = res.report
    assert rep["n"] == 210 and rep["split"] == "test"
    assert all(m["support"] == 30 for m in rep["per_class"].values())
    # 30 images of every class, so chance is 1/7; the shipped model is far above it.
    assert rep["accuracy"] > 0.45 and rep["macro_f1"] > 0.4
    assert np.asarray(rep["confusion_matrix"]).sum() == 210
    saved = json.loads((tmp_path / "ev" / "report.json").read_text())
    assert saved["accuracy"] == rep["accuracy"]
    for f in ("confusion_matrix.png", "samples.png"):
        assert (tmp_path / "ev" / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tta_and_class_subset(fer_slice_zip):
    ckpt = load_model("default", backend="torch")
    data = load_dataset(fer_slice_zip).split("test")
    plain, tta = evaluate(ckpt, data), evaluate(ckpt, data, tta=True)
    assert not np.allclose(plain.probs, tta.probs)
    assert abs(plain.report["accuracy"] - tta.report["accuracy"]) < 0.1
    sub = evaluate(ckpt, data.select_classes("happy,surprise"))
    assert sub.probs.shape == (60, 2) and np.allclose(sub.probs.sum(1), 1)
    assert sub.report["accuracy"] > 0.8  # happy vs surprise is easy


def test_the_3class_preset_evaluates_as_the_restricted_default(fer_slice_zip):
    preset = evaluate_path("default-3class", fer_slice_zip, split="val")
    restricted = evaluate_path("default", fer_slice_zip, split="val", classes="happy,sad,neutral")
    assert preset.data.classes == ("happy", "neutral", "sad") and preset.probs.shape == (90, 3)
    assert preset.report["accuracy"] == restricted.report["accuracy"] > 0.6
    with pytest.raises(ValueError, match=r"does not know the classes \['angry'\]"):
        evaluate_path("default-3class", fer_slice_zip, split="val", classes="happy,angry")


def test_an_eight_class_model_is_scored_on_the_classes_a_dataset_has(fer_slice_zip, caplog):
    """``ferplus`` on FER2013's own labels: contempt left out and said so, not a refusal."""
    with caplog.at_level("WARNING", logger="ferkit.evaluation.evaluate"):
        got = evaluate_path("ferplus", fer_slice_zip, split="test")
    assert "has no contempt: scored on the 7 classes it shares" in caplog.text
    seven = evaluate_path(
        "ferplus", fer_slice_zip, split="test", classes="angry,disgust,fear,happy,neutral,sad,surprise"
    )
    assert got.report["classes"] == seven.report["classes"] and got.report["accuracy"] == seven.report["accuracy"]


def test_missing_split_is_an_error(fer_slice_dir, tmp_path):
    import shutil

    # The generic images/train|validation layout; file names without the FER2013 split prefixes
    # so that nothing but the folder names decides the split.
    for src, dst in (("train", "train"), ("test", "validation")):
        for f in (fer_slice_dir / src).glob("*/*.jpg"):
            out = tmp_path / "images" / dst / f.parent.name / f.name.split("_", 1)[1]
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, out)
    with pytest.raises(ValueError, match="has no 'test' split"):
        evaluate_path("default", tmp_path, split="test")


def test_tiny_model_on_synthetic_private_test(tiny_ckpt, synthetic_dir, tmp_path):
    res = evaluate_path(tiny_ckpt, synthetic_dir, split="test", out_dir=tmp_path / "ev")
    assert res.report["n"] == 70 and res.report["accuracy"] > 0.8
    assert json.loads((tmp_path / "ev" / "report.json").read_text())["split"] == "test"
    from dataclasses import replace

    unknown = replace(
        load_dataset(synthetic_dir).split("test").select_classes("happy,sad"), classes=("happy", "contempt")
    )
    with pytest.raises(ValueError, match="does not know the classes"):
        evaluate(load_model(tiny_ckpt, backend="torch"), unknown)


def test_an_ensemble_is_reported_apart_from_its_members(tiny_ckpt, synthetic_dir, tmp_path):
    res = evaluate_path(f"{tiny_ckpt},{tiny_ckpt}", synthetic_dir, split="test", out_dir=tmp_path / "ens")
    single = evaluate_path(tiny_ckpt, synthetic_dir, split="test")
    rep = res.report
    assert rep["model"] == f"{single.report['model']}+{single.report['model']}" and len(rep["members"]) == 2
    assert rep["accuracy"] == single.report["accuracy"] == rep["members"][0]["accuracy"]
    np.testing.assert_allclose(res.probs, single.probs, atol=1e-6)
    assert json.loads((tmp_path / "ens" / "report.json").read_text())["members"][1]["model"] == single.report["model"]
