"""The one preprocessing definition: uint8 grey faces → normalised ``(N, 1, S, S)`` float32.

Training and evaluation call :meth:`Preprocess.torch` (batches stay on their device); inference calls
:meth:`Preprocess.numpy`, which needs no torch. Both resize with :func:`ferkit.data.decode.fit_gray` and
then apply the same arithmetic in the same order, so they give the same tensor (a test checks it bit for
bit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..data.decode import fit_gray

if TYPE_CHECKING:  # pragma: no cover
    import torch


@dataclass(frozen=True)
class Preprocess:
    """How raw grey uint8 faces become network input; stored in every checkpoint."""

    image_size: int = 48
    mean: float = 0.5
    std: float = 0.25

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Preprocess:
        return cls(**{k: d[k] for k in ("image_size", "mean", "std") if k in d})

    def fit(self, faces: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """uint8 grey faces of any size → a uint8 ``(N, S, S)`` stack."""
        s = self.image_size
        if isinstance(faces, np.ndarray) and faces.ndim == 3 and faces.shape[1:] == (s, s):
            return faces
        if isinstance(faces, np.ndarray) and faces.ndim == 2:
            faces = faces[None]
        if len(faces) == 0:
            return np.zeros((0, s, s), np.uint8)
        return np.stack([fit_gray(np.asarray(f), s) for f in faces])

    def numpy(self, faces: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """uint8 ``(N, H, W)`` faces → normalised float32 ``(N, 1, S, S)``."""
        x = self.fit(faces).astype(np.float32)[:, None]
        x /= 255.0
        x -= self.mean
        x /= self.std
        return np.ascontiguousarray(x)

    def torch(self, faces: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, H, W)`` or ``(B, 1, H, W)`` faces (numpy or a tensor on any device) → normalised
        float ``(B, 1, S, S)`` on the same device."""
        import torch

        x = torch.as_tensor(faces)
        if x.ndim == 4:
            x = x[:, 0]
        if tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            x = torch.from_numpy(self.fit(x.cpu().numpy())).to(x.device)
        return x.unsqueeze(1).float().div_(255.0).sub_(self.mean).div_(self.std)
