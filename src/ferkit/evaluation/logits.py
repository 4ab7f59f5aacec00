"""Batched forward passes of a PyTorch model over uint8 face arrays (validation during training,
evaluation, calibration), with optional ten-view test-time augmentation."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..transforms.augment import tta_views
from ..transforms.preprocess import Preprocess


@torch.inference_mode()
def predict_logits(
    model: nn.Module,
    images: np.ndarray,
    preprocess: Preprocess,
    *,
    batch_size: int = 512,
    tta: bool = False,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Logits for uint8 grey faces ``(N, H, W)``; with ``tta`` the mean over ten flipped/shifted views."""
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = preprocess.torch(images[start : start + batch_size]).to(device)
        if tta:
            views = tta_views(x)
            logits = model(torch.cat(views)).view(len(views), len(x), -1).float().mean(0)
        else:
            logits = model(x).float()
        out.append(logits.cpu())
    model.train(was_training)
    if not out:
        return np.zeros((0, 0), np.float32)
    return torch.cat(out).numpy()
