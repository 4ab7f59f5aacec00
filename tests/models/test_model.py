"""load_model: every weights form loads; ONNX Runtime (default, no torch) and PyTorch agree; ensembles and
subsets compose; TTA views are one numpy function for both backends."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.models.meta import CheckpointError
from ferkit.models.model import load_model


def test_shipped_default_runs_on_onnx_runtime(fer_data):
    clf = load_model("default")
    assert clf.backend == "onnx" and clf.classes[3] == "happy" and clf.temperature > 0
    probs = clf.probs(fer_data.split("test").images[:100])
    assert probs.shape == (100, 7) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_the_3class_preset_is_the_default_restricted(fer_data):
    from ferkit.models.model import Subset

    faces = fer_data.split("test").images[:200]
    preset = load_model("default-3class")
    assert preset.classes == ("happy", "neutral", "sad") and preset.name == "default-3class"
    assert preset.meta["metrics"]["test_acc"] > 0.8
    ref = Subset(load_model("default"), ("happy", "neutral", "sad")).probs(faces)
    np.testing.assert_array_equal(preset.probs(faces), ref)


def test_onnx_and_torch_agree(tiny_ckpt, tiny_onnx):
    faces = np.random.default_rng(0).integers(0, 256, (300, 48, 48), dtype=np.uint8)
    onnx, torch_ = load_model("default", backend="onnx"), load_model("default", backend="torch")
    np.testing.assert_allclose(onnx.probs(faces), torch_.probs(faces), atol=1e-4)
    tiny = [load_model(w, backend=b) for w, b in ((tiny_ckpt, "torch"), (tiny_ckpt, "onnx"), (tiny_onnx, "onnx"))]
    ref = tiny[0].probs(faces)
    for clf in tiny[1:]:
        np.testing.assert_allclose(clf.probs(faces), ref, atol=1e-4)


def test_bad_backend_and_weights(tiny_onnx):
    with pytest.raises(ValueError, match="unknown backend 'tf'"):
        load_model("default", backend="tf")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_model("missing.safetensors")
    with pytest.raises(CheckpointError, match="an ONNX export; PyTorch needs the .safetensors"):
        load_model(tiny_onnx, backend="torch")
    assert load_model("default").probs([]).shape == (0, 7)


def test_an_ensemble_averages_calibrated_probabilities(tiny_ckpt, tiny_onnx):
    from ferkit.models.model import Ensemble

    faces = np.random.default_rng(1).integers(0, 256, (20, 48, 48), dtype=np.uint8)
    one = load_model(tiny_onnx)
    ens = load_model(f"{tiny_onnx},default")
    assert isinstance(ens, Ensemble) and ens.name == f"{one.name}+default" and ens.meta["model"] == "ensemble"
    np.testing.assert_allclose(ens.probs(faces), (one.probs(faces) + load_model().probs(faces)) / 2, atol=1e-6)
    np.testing.assert_allclose(load_model(f"{tiny_onnx},{tiny_onnx}").probs(faces), one.probs(faces), atol=1e-6)


def test_ensemble_members_must_share_classes(tiny_ckpt, synthetic_dir, tmp_path):
    from ferkit.training.loop import train

    pytest.importorskip("torch")
    from ..training.helpers import tiny_run

    cfg = tiny_run(synthetic_dir, tmp_path / "two", model="cnn", model_args={"width": 4}, epochs=1, classes="happy,sad")
    two = train(cfg, progress=False).best_checkpoint
    with pytest.raises(CheckpointError, match="disagree on classes"):
        load_model(f"{tiny_ckpt},{two}")


def test_a_class_subset_renormalises_like_evaluate(fer_slice_zip):
    """Prediction-time ``classes`` gives the probabilities `ferkit evaluate --classes` scores."""
    pytest.importorskip("torch")
    from ferkit.data.dataset import load_dataset
    from ferkit.evaluation.evaluate import evaluate
    from ferkit.models.model import Subset

    data = load_dataset(fer_slice_zip, classes="happy,sad,neutral").split("test")
    sub = Subset(load_model(), ("happy", "neutral", "sad"))
    np.testing.assert_allclose(
        sub.probs(data.images), evaluate(load_model("default", backend="torch"), data).probs, atol=1e-4
    )
    with pytest.raises(ValueError, match="does not know the classes"):
        Subset(load_model(), ("happy", "contempt"))


def test_tta_is_the_mean_of_ten_views_on_both_backends(fer_data):
    pytest.importorskip("torch")
    from ferkit.transforms.views import tta_views

    faces = fer_data.split("val").images[:64]
    onnx, torch_ = load_model("default", backend="onnx"), load_model("default", backend="torch")
    x = onnx.preprocess.numpy(faces)
    views = tta_views(x)
    assert len(views) == 10 and all(v.shape == x.shape for v in views)
    np.testing.assert_array_equal(views[5], x[..., ::-1])  # the mirror image
    by_hand = np.mean([onnx.run(v) for v in views], axis=0)
    np.testing.assert_allclose(onnx.logits(faces, tta=True), by_hand, atol=1e-5)
    np.testing.assert_allclose(onnx.probs(faces, tta=True), torch_.probs(faces, tta=True), atol=1e-4)
