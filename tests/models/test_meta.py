"""Checkpoint metadata without torch: shipped models, run directories, .onnx twins, bad files."""

from __future__ import annotations

import json

import pytest

from ferkit.models.meta import CheckpointError, read_meta, resolve_weights, shipped_models, shipped_onnx


def test_shipped_default_has_both_files_with_the_same_metadata():
    path = shipped_models()["default"]
    twin = shipped_onnx(path)
    assert twin is not None and twin.suffix == ".onnx"
    meta = read_meta("default")
    assert meta == read_meta(twin)
    assert meta["classes"] == ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    assert meta["metrics"]["test_acc"] > 0.62 and meta["temperature"] > 0


def test_run_directory_and_names_resolve(tiny_ckpt):
    assert resolve_weights(tiny_ckpt.parent) == tiny_ckpt
    assert resolve_weights("default") == shipped_models()["default"]
    assert shipped_onnx(tiny_ckpt) is None  # only shipped models have a twin
    with pytest.raises(CheckpointError, match="nope: no such checkpoint file; shipped models: default"):
        resolve_weights("nope")


def test_bad_headers_name_the_file_and_field(tmp_path):
    import numpy as np
    from safetensors.numpy import save_file

    t = {"w": np.zeros(2, np.float32)}
    save_file(t, str(tmp_path / "plain.safetensors"))
    with pytest.raises(CheckpointError, match="plain.safetensors: a safetensors file without ferkit metadata"):
        read_meta(tmp_path / "plain.safetensors")
    save_file(t, str(tmp_path / "bad.safetensors"), metadata={"ferkit": "{not json"})
    with pytest.raises(CheckpointError, match="bad.safetensors: metadata is not valid JSON"):
        read_meta(tmp_path / "bad.safetensors")
    meta = {"format": "ferkit-checkpoint", "model": "cnn", "classes": "happy", "preprocess": {}}
    save_file(t, str(tmp_path / "field.safetensors"), metadata={"ferkit": json.dumps(meta)})
    with pytest.raises(CheckpointError, match="field.safetensors: metadata field 'classes'"):
        read_meta(tmp_path / "field.safetensors")
    (tmp_path / "x.onnx").write_bytes(b"not onnx")
    with pytest.raises(CheckpointError, match="x.onnx: not a readable ONNX model"):
        read_meta(tmp_path / "x.onnx")
