"""Temperature scaling: fitted on validation only, stored in the checkpoint, cools over-confidence."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); evaluation tests skipped")

from ferkit.evaluation.calibrate import calibrate, fit_temperature  # noqa: E402
from ferkit.models.meta import read_meta, resolve_weights  # noqa: E402


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
