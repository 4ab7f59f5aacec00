"""Every registered network builds, runs forward and backward, at every class count."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); model tests skipped")

from ferkit.models.registry import count_parameters, get_model, list_models  # noqa: E402

MODELS = sorted(list_models())


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("num_classes", [7, 3])
def test_forward_backward(name, num_classes):
    torch.manual_seed(0)
    model = get_model(name, num_classes=num_classes, image_size=48)
    x = torch.randn(4, 1, 48, 48)
    out = model(x)
    assert out.shape == (4, num_classes) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    assert model(x[:1]).shape == (1, num_classes)  # batch of one works in eval mode


def test_the_promised_architectures_and_sizes():
    assert {"cnn", "resnet18", "vgg", "resnet-compact"} <= set(MODELS)
    assert 10e6 < count_parameters(get_model("resnet18")) < 12e6
    assert 1.1e6 < count_parameters(get_model("resnet-compact")) < 1.3e6  # the shipped default's size
