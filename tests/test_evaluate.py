"""Evaluation of the shipped model on real FER2013 test images."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ferkit.checkpoint import load_checkpoint
from ferkit.datasets import load_dataset
from ferkit.evaluate import evaluate, evaluate_path
from ferkit.metrics import classification_report, expected_calibration_error


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
    ckpt = load_checkpoint("default")
    data = load_dataset(fer_slice_zip).split("test")
    plain, tta = evaluate(ckpt, data), evaluate(ckpt, data, tta=True)
    assert not np.allclose(plain.probs, tta.probs)
    assert abs(plain.report["accuracy"] - tta.report["accuracy"]) < 0.1
    sub = evaluate(ckpt, data.select_classes("happy,surprise"))
    assert sub.probs.shape == (60, 2) and np.allclose(sub.probs.sum(1), 1)
    assert sub.report["accuracy"] > 0.8  # happy vs surprise is easy


def test_metrics_by_hand():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    rep = classification_report(np.array([0, 1, 1, 1]), probs, ("a", "b"))
    assert rep["accuracy"] == 0.75 and rep["confusion_matrix"] == [[1, 0], [1, 2]]
    assert rep["per_class"]["a"]["precision"] == 0.5 and rep["per_class"]["b"]["recall"] == pytest.approx(2 / 3)
    assert expected_calibration_error(np.array([0, 0]), np.array([[1.0, 0.0], [1.0, 0.0]])) == 0.0


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


def test_calibration_fits_on_validation_only(fer_slice_zip, tmp_path):
    import shutil

    from ferkit.checkpoint import read_meta, resolve_weights
    from ferkit.evaluate import calibrate, fit_temperature

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


def test_public_api_is_small_and_lazy():
    import subprocess
    import sys

    code = "import sys, ferkit; assert 'torch' not in sys.modules; print(sorted(ferkit.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Recognizer" in out and "train" in out
    import ferkit

    assert ferkit.Recognizer.__name__ == "Recognizer"
