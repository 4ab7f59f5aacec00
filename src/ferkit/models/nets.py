"""The networks for 48×48 grey faces: a classic CNN, a VGG and ResNets, each registered by name."""

from __future__ import annotations

import torch
from torch import nn

from .registry import register_model


def _conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _stages(cin: int, widths: list[int]) -> list[nn.Module]:
    """Stages of two 3×3 conv-BN-ReLU layers and a 2× max-pool, one per width."""
    layers: list[nn.Module] = []
    for cout in widths:
        layers += [_conv_bn(cin, cout), _conv_bn(cout, cout), nn.MaxPool2d(2)]
        cin = cout
    return layers


def _dense_head(cin: int, hidden: int, num_classes: int, dropout: float) -> list[nn.Module]:
    return [
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(cin, hidden), nn.ReLU(inplace=True),
        nn.Dropout(dropout), nn.Linear(hidden, num_classes),
    ]  # fmt: skip


@register_model("cnn", "classic FER tutorial CNN: 3 conv blocks (BN, max-pool) and a dense layer")
def small_cnn(
    *, num_classes: int, image_size: int, in_channels: int, width: int = 32, dropout: float = 0.4
) -> nn.Module:
    widths = [width, 2 * width, 4 * width]
    return nn.Sequential(*_stages(in_channels, widths), *_dense_head(4 * width, 8 * width, num_classes, dropout))


@register_model("vgg", "VGG-style network: 4 stages of two 3×3 convs (64-512 channels), dense head")
def vgg(*, num_classes: int, image_size: int, in_channels: int, width: int = 64, dropout: float = 0.5) -> nn.Module:
    widths = [width * 2**i for i in range(4)]
    return nn.Sequential(*_stages(in_channels, widths), *_dense_head(widths[-1], 1024, num_classes, dropout))


# --------------------------------------------------------------------------- ResNets


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    """A ResNet for small grey images: a 3×3 stem (stride 1 or 2), basic blocks, global pooling."""

    def __init__(
        self, num_classes: int, in_channels: int, widths: tuple[int, ...], depths: tuple[int, ...], stem_stride: int,
        dropout: float,
    ) -> None:  # fmt: skip
        super().__init__()
        self.stem = _conv_bn(in_channels, widths[0], stem_stride)
        blocks: list[nn.Module] = []
        cin = widths[0]
        for i, (w, d) in enumerate(zip(widths, depths)):
            for j in range(d):
                blocks.append(BasicBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(cin, num_classes)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        # No zero-init of each block's last BN here: on FER2013 it stalled training (loss 1.77 vs 1.57 after
        # 150 steps) and broke eval-mode statistics.

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


@register_model("resnet18", "ResNet-18 adapted to 48×48 grey faces (3×3 stride-1 stem, no max-pool), 11M params")
def resnet18(*, num_classes: int, image_size: int, in_channels: int, dropout: float = 0.2) -> nn.Module:
    return ResNet(num_classes, in_channels, (64, 128, 256, 512), (2, 2, 2, 2), stem_stride=1, dropout=dropout)


@register_model(
    "resnet-compact", "compact ResNet for CPUs: stride-2 stem, 4 stages of width x 1-8 channels (width 32; default 40)"
)
def resnet_compact(
    *,
    num_classes: int,
    image_size: int,
    in_channels: int,
    width: int = 32,
    depths: tuple[int, ...] = (1, 1, 1, 1),
    dropout: float = 0.2,
) -> nn.Module:
    widths = tuple(width * 2**i for i in range(len(depths)))
    return ResNet(num_classes, in_channels, widths, tuple(depths), stem_stride=2, dropout=dropout)
