"""Checkpoints with PyTorch: a round trip through safetensors + JSON for every architecture."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); checkpoint tests skipped")

from ferkit.models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, update_meta  # noqa: E402
from ferkit.models.meta import read_meta  # noqa: E402
from ferkit.models.registry import get_model, list_models  # noqa: E402
from ferkit.transforms.preprocess import Preprocess  # noqa: E402


@pytest.mark.parametrize("name", sorted(list_models()))
def test_checkpoint_round_trip(name, tmp_path):
    torch.manual_seed(0)
    model = get_model(name, num_classes=3).eval()
    path = save_checkpoint(
        tmp_path / "m.safetensors",
        model,
        model_name=name,
        model_args={},
        classes=("happy", "sad", "neutral"),
        preprocess=Preprocess(),
        metrics={"val_acc": 0.5},
    )
    ckpt = load_checkpoint(path)
    x = torch.randn(2, 1, 48, 48)
    with torch.no_grad():
        assert torch.allclose(model(x), ckpt.model(x))
    assert ckpt.classes == ("happy", "sad", "neutral") and read_meta(path)["metrics"] == {"val_acc": 0.5}
    assert path.read_bytes()[8:9] == b"{"  # a safetensors JSON header, not a pickle


def test_update_meta_keeps_weights(tiny_ckpt, tmp_path):
    import shutil

    path = shutil.copy(tiny_ckpt, tmp_path / "t.safetensors")
    before = load_checkpoint(path).model.state_dict()
    update_meta(path, temperature=1.5)
    after = load_checkpoint(path)
    assert after.temperature == 1.5 and all(torch.equal(before[k], v) for k, v in after.model.state_dict().items())


def test_bad_checkpoint_files(tmp_path, tiny_onnx):
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(CheckpointError, match="junk.safetensors: not a readable safetensors file"):
        load_checkpoint(tmp_path / "junk.safetensors")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors")
    with pytest.raises(CheckpointError, match="an ONNX export"):
        load_checkpoint(tiny_onnx)
