"""``pip install ferkit`` without extras predicts and serves with ONNX Runtime, in a fresh virtual
environment that has no torch (built here from this checkout; pip reads PyPI or its cache)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from ferkit.inference.bench import sample_photo

from .conftest import serving

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with ``pip install ferkit`` (no extras), built from a copy of the
    checkout so that the build leaves nothing in it."""
    import shutil

    tmp = tmp_path_factory.mktemp("torchless")
    src = tmp / "src-copy"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    cmd = [str(env / "bin" / "python"), "-m", "pip", "install", "-q", str(src)]
    pip = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=src)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return env


def test_predict_serve_and_a_clear_message_without_torch(venv, tmp_path):
    py, ferkit = venv / "bin" / "python", venv / "bin" / "ferkit"
    assert subprocess.run([str(py), "-c", "import torch"], capture_output=True).returncode != 0
    proc = subprocess.run([str(ferkit), "predict", str(sample_photo()), "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)
    assert len(result["faces"]) == 1 and result["faces"][0]["label"] in result["faces"][0]["probs"]
    proc = subprocess.run([str(ferkit), "train", "--data", "x"], capture_output=True, text=True)
    assert proc.returncode == 2 and "pip install 'ferkit[train]'" in proc.stderr
    proc = subprocess.run([str(ferkit), "bench", "--quick", "--json"], capture_output=True, text=True)
    assert proc.returncode == 0 and list(json.loads(proc.stdout)["backends"]) == ["onnx", "onnx-int8"], proc.stderr
    proc = subprocess.run([str(ferkit), "models", "--json"], capture_output=True, text=True)
    models = json.loads(proc.stdout)
    assert "default" in models["shipped"] and models["architectures"] == {} and "yunet" in models["detectors"]

    with serving(program=[str(ferkit)]) as (_, url):
        photo = sample_photo().read_bytes()
        req = urllib.request.Request(url + "/v1/predict", data=photo, headers={"Content-Type": "image/jpeg"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert len(json.loads(resp.read())["faces"]) == 1


def test_evaluate_and_calibrate_run_on_onnx_runtime_without_torch(venv, fer_slice_zip, tmp_path):
    """The same accuracy with ONNX Runtime in a torchless install as with PyTorch here."""
    ferkit = venv / "bin" / "ferkit"
    cmd = ["evaluate", "--weights", "default", "--data", str(fer_slice_zip), "--split", "test", "--json"]
    proc = subprocess.run(
        [str(ferkit), *cmd, "--backend", "onnx", "--out", str(tmp_path / "o")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    onnx = json.loads(proc.stdout)
    assert onnx["backend"] == "onnx" and onnx["n"] == 210
    pytest.importorskip("torch")
    from ferkit.evaluation.evaluate import evaluate_path

    ref = evaluate_path("default", fer_slice_zip, split="test", backend="torch").report
    assert onnx["accuracy"] == ref["accuracy"] and onnx["confusion_matrix"] == ref["confusion_matrix"]
    import shutil

    from ferkit.models.shipped import resolve_weights

    ckpt = shutil.copy(resolve_weights("default"), tmp_path / "m.safetensors")
    proc = subprocess.run(
        [str(ferkit), "calibrate", "--weights", str(ckpt), "--data", str(fer_slice_zip), "--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "pip install 'ferkit[train]'" in proc.stderr  # a checkpoint needs its export
