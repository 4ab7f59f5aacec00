"""Batched forward passes of a live PyTorch module over uint8 face arrays: validation while training.
(Checkpoint files are scored through :class:`ferkit.models.model.Model`, on any backend.)"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..transforms.preprocess import Preprocess


@torch.inference_mode()
def predict_logits(
    model: nn.Module,
    images: np.ndarray,
    preprocess: Preprocess,
    *,
    batch_size: int = 512,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Logits for uint8 grey faces ``(N, H, W)``."""
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = preprocess.torch(images[start : start + batch_size]).to(device)
        out.append(model(x).float().cpu())
    model.train(was_training)
    if not out:
        return np.zeros((0, 0), np.float32)
    return torch.cat(out).numpy()
