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


def test_low_resolution_blurs_a_share_of_the_batch_and_leaves_the_other_draws_alone():
    checker = ((torch.arange(48).view(1, 48) + torch.arange(48).view(48, 1)) % 2).float()
    x = checker.expand(32, 1, 48, 48).clone()
    still = dict(rotate_deg=0, scale=0, shift=0, flip=False, contrast=0, erase_p=0)
    out = Augment(**still, lowres_p=0.5)(x, torch.Generator().manual_seed(0))
    detail = (out[..., 1:] - out[..., :-1]).abs().mean(dim=(1, 2, 3))  # 1.0 for the untouched checkerboard
    blurred = detail < 0.5
    assert 4 < int(blurred.sum()) < 28 and torch.allclose(out[~blurred], x[~blurred], atol=1e-4)
    # The other augmentations draw the same numbers with or without it: faces it did not pick are unchanged.
    y = torch.rand(32, 1, 48, 48)
    a = Augment()(y, torch.Generator().manual_seed(3))
    b = Augment(lowres_p=0.3)(y, torch.Generator().manual_seed(3))
    same = (a - b).abs().amax(dim=(1, 2, 3)) < 1e-6
    assert 8 < int(same.sum()) < 32


def test_views_give_the_batch_before_its_blur_too():
    y = torch.rand(16, 1, 48, 48)
    blurred, sharp = Augment(lowres_p=1.0).views(y, torch.Generator().manual_seed(4))
    assert torch.equal(sharp, Augment()(y, torch.Generator().manual_seed(4))) and not torch.equal(blurred, sharp)
