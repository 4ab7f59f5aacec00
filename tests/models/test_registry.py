"""The registry: names are unique, unknown names are clear errors, descriptions are listed."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); registry tests skipped")

from ferkit.models.registry import get_model, list_models, register_model  # noqa: E402


def test_registry_rejects_duplicates_and_unknown_names():
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
