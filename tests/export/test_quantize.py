"""int8 twins: the shipped one stays within 0.3 point of float32 on FER2013 PrivateTest; a model's twin is
made from Training faces only, keeps its metadata, and agrees with its float32 network."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.models.meta import read_meta
from ferkit.models.model import load_model
from ferkit.models.shipped import shipped_models, shipped_onnx
from ferkit.runtime import resolve_precision

SHIPPED = ("default", "ferplus")


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_int8_twin_is_used_by_name_and_keeps_the_header(name):
    path = shipped_models()[name]
    twin = shipped_onnx(path, "int8")
    assert twin is not None and twin.name == f"{name}.int8.onnx"
    assert read_meta(twin)["classes"] == read_meta(path)["classes"]
    int8, fp32 = load_model(name, precision="int8"), load_model(name, precision="fp32")
    assert (int8.meta["precision"], fp32.meta["precision"]) == ("int8", "fp32")
    assert load_model(name, precision="auto").meta["precision"] == resolve_precision("auto")


@pytest.mark.parametrize("name", SHIPPED)
def test_int8_costs_at_most_three_tenths_of_a_point(name, fer_zip):
    """On all of PrivateTest: FER2013's 3,589 faces for the default, FER+'s 3,153 for the FER+ model (the
    accuracy budget of an int8 twin)."""
    from ferkit.data.dataset import load_dataset

    test = load_dataset(fer_zip, ferplus="shipped" if name == "ferplus" else None).split("test")
    assert len(test) == (3153 if name == "ferplus" else 3589)
    accs = {}
    for precision in ("fp32", "int8"):
        probs = load_model(name, precision=precision).probs(test.images)
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
