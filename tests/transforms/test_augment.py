"""Batched augmentation: seeded, shape-preserving, and the ten test-time views."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); augmentation tests skipped")

from ferkit.training.config import AUGMENT_NAMES  # noqa: E402
from ferkit.transforms.augment import AUGMENT_PRESETS, Augment, tta_views  # noqa: E402


def test_presets_match_the_config_choices():
    assert tuple(AUGMENT_PRESETS) == AUGMENT_NAMES


def test_augment_is_seeded_and_changes_images():
    x = torch.rand(8, 1, 48, 48)
    aug = Augment()
    a = aug(x, torch.Generator().manual_seed(1))
    b = aug(x, torch.Generator().manual_seed(1))
    c = aug(x, torch.Generator().manual_seed(2))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c) and not torch.equal(a, x)


def test_tta_views():
    x = torch.arange(2 * 48 * 48, dtype=torch.float32).view(2, 1, 48, 48)
    views = tta_views(x)
    assert len(views) == 10 and all(v.shape == x.shape for v in views)
    assert torch.equal(views[0], x) and torch.equal(views[5], x.flip(-1))
