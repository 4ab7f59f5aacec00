"""Forward passes over uint8 faces: batching does not change logits, TTA averages ten views."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); evaluation tests skipped")

from ferkit.evaluation.logits import predict_logits  # noqa: E402
from ferkit.models.checkpoint import load_checkpoint  # noqa: E402


def test_batches(tiny_ckpt):
    ckpt = load_checkpoint(tiny_ckpt)
    faces = np.random.default_rng(0).integers(0, 256, (37, 48, 48), dtype=np.uint8)
    a = predict_logits(ckpt.model, faces, ckpt.preprocess, batch_size=512)
    b = predict_logits(ckpt.model, faces, ckpt.preprocess, batch_size=5)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert predict_logits(ckpt.model, faces[:0], ckpt.preprocess).shape[0] == 0
    ckpt.model.train()
    predict_logits(ckpt.model, faces[:2], ckpt.preprocess)
    assert ckpt.model.training  # the caller's mode is restored
