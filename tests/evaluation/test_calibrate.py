"""Temperature scaling: fitted on validation only, stored in the checkpoint, cools over-confidence."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); evaluation tests skipped")

from ferkit.evaluation.calibrate import calibrate, fit_class_bias, fit_temperature, parse_floors  # noqa: E402
from ferkit.models.meta import read_meta  # noqa: E402
from ferkit.models.shipped import resolve_weights  # noqa: E402


def test_calibration_fits_on_validation_only(fer_slice_zip, tmp_path):
    path = tmp_path / "m.safetensors"
    shutil.copy(resolve_weights("default"), path)
    res = calibrate(path, fer_slice_zip)
    assert 0.2 <= res["temperature"] <= 5 and res["nll_after"] <= res["nll_before"]
    assert read_meta(path)["temperature"] == res["temperature"] and res["fitted_on"].endswith(":val")
    with pytest.raises(ValueError, match="leak"):
        calibrate(path, fer_slice_zip, split="test")
    # Over-confident logits are cooled (T > 1), under-confident ones sharpened (T < 1).
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 2000)
    logits = rng.normal(size=(2000, 3))
    logits[np.arange(2000), labels] += 1.0
    assert fit_temperature(logits * 4, labels) > 2 and fit_temperature(logits / 4, labels) < 0.5


def test_calibrating_the_tiny_model_on_synthetic_validation(tiny_ckpt, synthetic_dir, tmp_path):
    path = shutil.copy(tiny_ckpt, tmp_path / "t.safetensors")
    res = calibrate(path, synthetic_dir)
    assert res["nll_after"] <= res["nll_before"] and read_meta(path)["calibration"]["fitted_on"].endswith(":val")


def test_recall_floors_move_decisions_on_validation_and_are_replaced(fer_slice_zip, tmp_path, capsys):
    from ferkit.cli import main
    from ferkit.evaluation.evaluate import evaluate_path

    path = tmp_path / "m.safetensors"
    shutil.copy(resolve_weights("default"), path)
    plain = calibrate(path, fer_slice_zip)
    res = calibrate(path, fer_slice_zip, recall_floor="fear=0.7,sad=0.7")
    assert plain["temperature"] == res["temperature"]  # the temperature is fitted as before
    assert res["recall_before"]["fear"] < 0.7 <= res["recall_after"]["fear"]
    assert res["recall_after"]["sad"] >= 0.7
    bias = read_meta(path)["class_bias"]
    assert bias == res["class_bias"] and bias[2] > 0 and bias[3] == 0  # fear moved, happy not
    # evaluate (and so predict/serve, through the same calibrated()) decide with the offsets.
    rep = evaluate_path(path, fer_slice_zip, split="val", out_dir=tmp_path / "ev").report
    assert rep["class_bias"] == bias
    assert round(rep["per_class"]["fear"]["recall"], 4) == res["recall_after"]["fear"]  # calibrate reports 4 decimals
    # Calibrating again without floors removes them.
    assert main(["calibrate", "--weights", str(path), "--data", str(fer_slice_zip)]) == 0
    assert read_meta(path)["class_bias"] is None
    capsys.readouterr()
    args = ["calibrate", "--weights", str(path), "--data", str(fer_slice_zip), "--recall-floor"]
    assert main([*args, "fear=0.1"]) == 0
    assert "already met" in capsys.readouterr().out and read_meta(path)["class_bias"] is None
    assert main([*args, "fear=0.75"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"fear {res['recall_before']['fear']:.3f} -> " in out and read_meta(path)["class_bias"][2] > 0


def test_small_faces_are_fitted_at_each_width_and_evaluated_as_predict_reads_them(fer_slice_zip, tmp_path):
    """Faces shrunk to 16 px drift (towards sad); a temperature and offsets fitted there on validation lower
    their NLL, leave the full-size calibration as it was, and are what evaluate --resolution applies."""
    from ferkit.evaluation.evaluate import evaluate_path

    path = tmp_path / "m.safetensors"
    shutil.copy(resolve_weights("default"), path)
    plain = calibrate(path, fer_slice_zip, recall_floor="fear=0.5")
    res = calibrate(path, fer_slice_zip, recall_floor="fear=0.5", small_faces=[16, 32])
    assert (res["temperature"], res["class_bias"]) == (plain["temperature"], plain["class_bias"])
    table = read_meta(path)["small_faces"]
    assert table["widths"] == [16, 32] and len(table["class_bias"]) == 2 and len(table["class_bias"][0]) == 7
    for fit in res["small_faces"].values():
        assert fit["nll_after"] <= fit["nll_before"]
    at16 = evaluate_path(path, fer_slice_zip, split="val", resolution=16).report
    assert round(at16["nll"], 4) == res["small_faces"]["16"]["nll_after"]
    full = evaluate_path(path, fer_slice_zip, split="val").report
    assert round(full["accuracy"], 4) == res["accuracy_after"]  # full-size faces: the model's own calibration
    calibrate(path, fer_slice_zip)  # calibrating again without widths removes the table
    assert read_meta(path)["small_faces"] is None


def test_recall_floor_errors_name_the_problem():
    classes = ("angry", "fear", "sad")
    assert parse_floors("fear=0.5, sad=0.55", classes) == {1: 0.5, 2: 0.55}
    for spec, msg in (("joy=0.5", "no class 'joy'"), ("fear", "CLASS=RECALL"), ("fear=1.5", "between 0 and 1")):
        with pytest.raises(ValueError, match=msg):
            parse_floors(spec, classes)
    labels = np.array([0, 1, 2] * 10)
    logits = np.eye(3)[labels] * 50.0
    logits[labels == 1] = [100.0, 0.0, 0.0]  # class 1 never wins within offsets of 3
    with pytest.raises(ValueError, match="class fear: recall 0.000 cannot reach 0.5 with an offset up to 3"):
        fit_class_bias(logits, labels, 1.0, {1: 0.5}, classes)
    with pytest.raises(ValueError, match="class 1: no images of it"):
        fit_class_bias(logits[labels != 1], labels[labels != 1], 1.0, {1: 0.5})
    assert fit_class_bias(logits, labels, 1.0, {2: 0.9}).tolist() == [0, 0, 0]  # already met: no offsets
