"""The one preprocessing definition: numpy (inference) and torch (training) give the same tensor."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.data.decode import fit_gray
from ferkit.transforms.preprocess import Preprocess


def _faces(n: int = 16, size: int = 48) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(n, size, size), dtype=np.uint8)


@pytest.mark.parametrize("size", [48, 64, 30])
def test_numpy_and_torch_give_the_same_tensor(size):
    torch = pytest.importorskip("torch")
    pre = Preprocess(image_size=48, mean=0.5, std=0.25)
    faces = _faces(size=size)
    a = pre.numpy(faces)
    b = pre.torch(torch.from_numpy(faces)).numpy()
    assert a.shape == b.shape == (16, 1, 48, 48) and a.dtype == b.dtype == np.float32
    assert np.array_equal(a, b)  # bit for bit
    assert np.array_equal(pre.torch(faces[:, None]).numpy(), a)  # (B, 1, H, W) input too


def test_normalisation_and_fit():
    pre = Preprocess(image_size=48, mean=0.5, std=0.25)
    x = pre.numpy(np.full((2, 48, 48), 255, np.uint8))
    assert np.allclose(x, 2.0)  # (1 - 0.5) / 0.25
    assert pre.numpy([np.zeros((100, 80), np.uint8)]).shape == (1, 1, 48, 48)
    assert pre.numpy(np.zeros((48, 48), np.uint8)).shape == (1, 1, 48, 48)  # one face
    assert pre.numpy([]).shape == (0, 1, 48, 48)
    assert fit_gray(np.zeros((96, 96), np.uint8), 48).shape == (48, 48)
    assert Preprocess.from_dict(pre.to_dict()) == pre
