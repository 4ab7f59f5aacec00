"""Checkpoints with PyTorch: a round trip through safetensors + JSON for every architecture."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); checkpoint tests skipped")

from ferkit.models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint  # noqa: E402
from ferkit.models.meta import read_meta, update_meta  # noqa: E402
from ferkit.models.registry import get_model, list_models  # noqa: E402
from ferkit.transforms.preprocess import Preprocess  # noqa: E402


@pytest.mark.parametrize("name", sorted(list_models()))
def test_checkpoint_round_trip(name, tmp_path):
    torch.manual_seed(0)
    model = get_model(name, num_classes=3).eval()
    classes = ("happy", "sad", "neutral")
    kw = dict(model_args={}, classes=classes, preprocess=Preprocess(), metrics={"val_acc": 0.5})
    path = save_checkpoint(tmp_path / "m.safetensors", model, model_name=name, **kw)
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
    assert after.meta["temperature"] == 1.5 and all(
        torch.equal(before[k], v) for k, v in after.model.state_dict().items()
    )


def test_bad_checkpoint_files(tmp_path, tiny_onnx):
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(CheckpointError, match="junk.safetensors: not a readable safetensors file"):
        load_checkpoint(tmp_path / "junk.safetensors")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors")
    with pytest.raises(CheckpointError, match="an ONNX export"):
        load_checkpoint(tiny_onnx)


def _forged(tiny_ckpt, tmp_path, name: str, **changes):
    """A copy of the tiny checkpoint whose JSON header says something else (a stranger's file)."""
    import json

    from safetensors.numpy import load_file, save_file

    meta = {**read_meta(tiny_ckpt), **changes}
    out = tmp_path / f"{name}.safetensors"
    save_file(load_file(str(tiny_ckpt)), str(out), metadata={"ferkit": json.dumps(meta)})
    return out


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"model_args": {"width": 4096}}, "tensor '.*' has shape .* but model_args {'width': 4096} make it"),
        ({"model_args": {"wings": 3}}, "'model'/'model_args' do not build a model"),
        ({"model": "nope"}, "do not build a model"),
        ({"temperature": 0}, "'temperature' must be a number from 0.001"),
        ({"temperature": float("nan")}, "'temperature' must be a number"),
        ({"preprocess": {"image_size": 10**9}}, "'preprocess.image_size' must be a whole number"),
        ({"classes": ["happy", "happy", "sad"]}, "names a class twice"),
        ({"classes": "happy"}, "'classes' is missing or not a list"),
        ({"model_args": [4096]}, "'model_args' is not an object"),
        ({"class_bias": [0.5]}, "'class_bias' must list one number per class"),
        ({"class_bias": "fear"}, "'class_bias' must list one number per class"),
        ({"class_bias": [0, 0, 0, 0, 0, 0, 99]}, r"'class_bias\[6\]' must be a number from -10 to 10"),
    ],
)
def test_untrusted_headers_are_refused_before_any_allocation(tiny_ckpt, tmp_path, changes, message):
    import resource

    path = _forged(tiny_ckpt, tmp_path, "forged", **changes)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(CheckpointError, match=message) as exc:
        load_checkpoint(path)
    assert str(path) in str(exc.value)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # kB: no 20 GB model was built


def test_a_forged_checkpoint_is_a_one_line_cli_error(tiny_ckpt, tmp_path):
    import subprocess
    import sys

    from ferkit.inference.bench import sample_photo

    path = _forged(tiny_ckpt, tmp_path, "hot", temperature=0)
    proc = subprocess.run(
        [sys.executable, "-m", "ferkit.cli", "predict", str(sample_photo()), "--weights", str(path)],
        capture_output=True,
        text=True,
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "temperature" in lines[0] and "hot.safetensors" in lines[0]
