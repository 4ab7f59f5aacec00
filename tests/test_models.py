"""Every registered model builds, runs forward and backward, and survives a checkpoint round trip."""

from __future__ import annotations

import pytest
import torch

from ferkit.checkpoint import CheckpointError, load_checkpoint, read_meta, save_checkpoint
from ferkit.models import count_parameters, get_model, list_models, register_model
from ferkit.transforms import Preprocess

MODELS = sorted(list_models())


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("num_classes", [7, 3])
def test_forward_backward(name, num_classes):
    torch.manual_seed(0)
    model = get_model(name, num_classes=num_classes, image_size=48)
    x = torch.randn(4, 1, 48, 48)
    out = model(x)
    assert out.shape == (4, num_classes) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    assert model(x[:1]).shape == (1, num_classes)  # batch of one works in eval mode


@pytest.mark.parametrize("name", MODELS)
def test_checkpoint_round_trip(name, tmp_path):
    torch.manual_seed(0)
    model = get_model(name, num_classes=3).eval()
    path = save_checkpoint(tmp_path / "m.safetensors", model, model_name=name, model_args={},
                           classes=("happy", "sad", "neutral"), preprocess=Preprocess(), metrics={"val_acc": 0.5})
    ckpt = load_checkpoint(path)
    x = torch.randn(2, 1, 48, 48)
    with torch.no_grad():
        assert torch.allclose(model(x), ckpt.model(x))
    assert ckpt.classes == ("happy", "sad", "neutral") and read_meta(path)["metrics"] == {"val_acc": 0.5}
    assert path.read_bytes()[8:9] == b"{"  # a safetensors JSON header, not a pickle


def test_registry_rejects_duplicates_and_unknown_names():
    with pytest.raises(ValueError, match="already registered"):
        register_model("cnn")(lambda **kw: None)
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        get_model("nope")


def test_registry_has_the_promised_architectures():
    assert {"cnn", "resnet18", "vgg", "resnet-compact"} <= set(MODELS)
    assert 10e6 < count_parameters(get_model("resnet18")) < 12e6


def test_bad_checkpoint_files(tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(CheckpointError, match="junk.safetensors: not a readable safetensors file"):
        load_checkpoint(tmp_path / "junk.safetensors")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors")
