"""ONNX export: metadata carried, checked against PyTorch, cached; the shipped .onnx is the shipped model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); export tests skipped")

from ferkit.evaluation.logits import predict_logits  # noqa: E402
from ferkit.export.onnx import cached_onnx, check_onnx, export_onnx  # noqa: E402
from ferkit.models.checkpoint import load_checkpoint  # noqa: E402
from ferkit.models.meta import read_meta  # noqa: E402
from ferkit.models.model import onnx_run  # noqa: E402
from ferkit.models.shipped import resolve_weights, shipped_onnx  # noqa: E402


def test_export_carries_metadata_and_matches_torch(tiny_ckpt, tmp_path):
    out = export_onnx(tiny_ckpt, tmp_path / "t.onnx")
    assert read_meta(out) == read_meta(tiny_ckpt)
    assert check_onnx(tiny_ckpt, out) < 1e-4


def test_cached_export_is_made_once(tiny_ckpt, monkeypatch, tmp_path):
    monkeypatch.setenv("FERKIT_CACHE_DIR", str(tmp_path))
    first = cached_onnx(tiny_ckpt)
    mtime = first.stat().st_mtime_ns
    assert cached_onnx(tiny_ckpt) == first and first.stat().st_mtime_ns == mtime


def test_shipped_onnx_is_the_shipped_checkpoint(fer_data):
    """The .onnx in the package gives the .safetensors' logits on real faces (re-make it with
    ``ferkit export --weights default --out src/ferkit/weights/default.onnx`` after retraining)."""
    path = resolve_weights("default")
    ckpt = load_checkpoint(path)
    faces = fer_data.split("test").images[:256]
    ref = predict_logits(ckpt.model, faces, ckpt.preprocess)
    got = onnx_run(shipped_onnx(path))(ckpt.preprocess.numpy(faces))
    np.testing.assert_allclose(got, ref, atol=1e-4)
    assert read_meta(shipped_onnx(path)) == ckpt.meta
