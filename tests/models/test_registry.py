"""The registry: names are unique, unknown names are clear errors, descriptions are listed."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); registry tests skipped")

from ferkit.models.registry import get_model, list_models, register_model  # noqa: E402


def test_registry_rejects_duplicates_and_unknown_names():
    list_models()  # the built-in networks register themselves on first use
    with pytest.raises(ValueError, match="already registered"):
        register_model("cnn")(lambda **kw: None)
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        get_model("nope")


def test_a_new_architecture_registers_and_builds():
    from torch import nn

    @register_model("test-linear", "a linear probe, for this test")
    def linear(*, num_classes: int, image_size: int, in_channels: int) -> nn.Module:
        return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * image_size**2, num_classes))

    assert list_models()["test-linear"] == "a linear probe, for this test"
    assert get_model("test-linear", num_classes=3, image_size=8)[1].out_features == 3


def test_absurd_architectures_are_refused_before_anything_is_allocated():
    from ferkit.models.registry import MAX_PARAMETERS, check_trainable

    assert check_trainable("resnet-compact", num_classes=7, image_size=48, batch_size=128, width=40) == 1_916_607
    with pytest.raises(ValueError, match=r"'resnet-compact' with \{'width': 100000\} has [\d,]+M parameters; ferkit"):
        check_trainable("resnet-compact", num_classes=7, image_size=48, batch_size=128, width=100_000)
    with pytest.raises(
        ValueError, match=r"needs about [\d,.]+ GiB to train at batch 4096 \(this machine has 16.0 GiB\)"
    ):
        check_trainable("vgg", num_classes=7, image_size=48, batch_size=4096, memory_bytes=16 * 2**30)
    with pytest.raises(ValueError, match="does not take"):
        check_trainable("vgg", num_classes=7, image_size=48, batch_size=8, widht=8)
    assert MAX_PARAMETERS >= 100_000_000
