"""int8 twins: the shipped one stays within 0.3 point of float32 on FER2013 PrivateTest; a model's twin is
made from Training faces only, keeps its metadata, and agrees with its float32 network."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.models.meta import read_meta
from ferkit.models.model import load_model
from ferkit.models.shipped import shipped_models, shipped_onnx
from ferkit.runtime import resolve_precision


def test_the_shipped_int8_twin_is_used_by_name_and_keeps_the_header():
    path = shipped_models()["default"]
    twin = shipped_onnx(path, "int8")
    assert twin is not None and twin.name == "default.int8.onnx"
    assert read_meta(twin)["classes"] == read_meta(path)["classes"]
    int8, fp32 = load_model("default", precision="int8"), load_model("default", precision="fp32")
    assert (int8.meta["precision"], fp32.meta["precision"]) == ("int8", "fp32")
    assert load_model("default", precision="auto").meta["precision"] == resolve_precision("auto")


def test_int8_costs_at_most_three_tenths_of_a_point(fer_data):
    """On all 3,589 PrivateTest faces (the accuracy budget of the int8 twin)."""
    test = fer_data.split("test")
    accs = {}
    for precision in ("fp32", "int8"):
        probs = load_model("default", precision=precision).probs(test.images)
        accs[precision] = float((probs.argmax(1) == test.labels).mean())
    assert accs["fp32"] - accs["int8"] <= 0.003, accs


def test_quantizing_a_checkpoint_from_training_faces(tiny_ckpt, synthetic_dir, tmp_path):
    pytest.importorskip("torch")
    from ferkit.data.dataset import load_dataset
    from ferkit.export.quantize import quantize_classifier

    out = quantize_classifier(str(tiny_ckpt), synthetic_dir, tmp_path / "tiny.int8.onnx", n=100)
    assert read_meta(out)["classes"] == read_meta(tiny_ckpt)["classes"]
    faces = load_dataset(synthetic_dir).split("test").images
    ref = load_model(tiny_ckpt).probs(faces)
    got = load_model(out).probs(faces)
    assert (ref.argmax(1) == got.argmax(1)).mean() > 0.9 and np.abs(ref - got).max() < 0.2
