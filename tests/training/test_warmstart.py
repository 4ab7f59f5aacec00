"""Warm starts: the head is kept (re-ordered) for known classes, renewed for new ones; freezing works."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

from ferkit.models.checkpoint import load_checkpoint  # noqa: E402
from ferkit.models.registry import get_model  # noqa: E402
from ferkit.training.warmstart import head, init_from  # noqa: E402


def test_known_classes_keep_their_head_rows(tiny_ckpt):
    src = load_checkpoint(tiny_ckpt)
    model = get_model("cnn", num_classes=2, width=4)
    init_from(model, str(tiny_ckpt), ("sad", "happy"), freeze_backbone=True)
    rows = [src.classes.index("sad"), src.classes.index("happy")]
    assert torch.equal(head(model).weight, head(src.model).weight[rows])
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith(trainable[0].rsplit(".", 1)[0]) for n in trainable)


def test_new_classes_get_a_fresh_head_and_wrong_architectures_fail(tiny_ckpt):
    model = get_model("cnn", num_classes=2, width=4)
    init_from(model, str(tiny_ckpt), ("positive", "negative"), freeze_backbone=False)
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match="do not fit this model"):
        init_from(get_model("cnn", num_classes=2, width=8), str(tiny_ckpt), ("happy", "sad"), False)
