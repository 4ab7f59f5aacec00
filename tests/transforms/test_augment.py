"""Batched augmentation: seeded, shape-preserving, and the ten test-time views."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); augmentation tests skipped")

from ferkit.training.config import AUGMENT_NAMES  # noqa: E402
from ferkit.transforms.augment import AUGMENT_PRESETS, Augment  # noqa: E402


def test_presets_match_the_config_choices():
    assert tuple(AUGMENT_PRESETS) == AUGMENT_NAMES


def test_augment_is_seeded_and_changes_images():
    x = torch.rand(8, 1, 48, 48)
    aug = Augment()
    a = aug(x, torch.Generator().manual_seed(1))
    b = aug(x, torch.Generator().manual_seed(1))
    c = aug(x, torch.Generator().manual_seed(2))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c) and not torch.equal(a, x)
