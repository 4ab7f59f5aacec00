"""Batched training augmentation (the presets of ``--augment``); test-time views are in ``views``.

Everything works on whole batches ``(B, 1, H, W)`` so augmentation costs a few ms per batch on a CPU
and runs on the GPU unchanged. Plain torch is enough here: one ``affine_grid``/``grid_sample`` covers
crop, rotation, scale and shift, and kornia would add a dependency for the same four lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    """Random training views: affine (rotation, scale, shift), flip, contrast, random erasing, and in a
    fraction ``lowres_p`` of the batch a face seen at a lower resolution (down to ``lowres_min`` pixels,
    then back up), as a small face in a photo is: without it a network reads blur as sadness."""

    rotate_deg: float = 10.0
    scale: float = 0.1
    shift: float = 0.1
    flip: bool = True
    contrast: float = 0.2
    erase_p: float = 0.5
    erase_area: tuple[float, float] = (0.02, 0.2)
    lowres_p: float = 0.0
    lowres_min: int = 12

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.views(x, generator)[0]

    def views(self, x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The augmented batch, and the same batch before the low-resolution step: a teacher that reads the
        sharp face teaches a student what a blurred one shows."""
        b, dev = x.shape[0], x.device
        # Every random number of the batch comes from the CPU generator in one draw and one copy: the same
        # numbers in the same order as drawing each as it is needed (the CPU generator's stream is
        # sequential), but on a GPU one non-blocking copy instead of a dozen copies that each wait for it.
        draws = 4 + self.flip + 2 * (self.contrast > 0) + 5 * (self.erase_p > 0) + 2 * (self.lowres_p > 0)
        pool = iter(host_to(torch.rand(draws * b, generator=generator), dev).view(draws, b))

        def rand(*shape: int) -> torch.Tensor:
            return next(pool).view(*shape)

        angle = (rand(b) * 2 - 1) * math.radians(self.rotate_deg)
        scale = 1 + (rand(b) * 2 - 1) * self.scale
        flip = torch.where(rand(b) < 0.5, -1.0, 1.0) if self.flip else torch.ones(b, device=dev)
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        row = lambda a, c: torch.stack([a * flip, c, (rand(b) * 2 - 1) * self.shift * 2], dim=1)
        theta = torch.stack([row(cos, -sin), row(sin, cos)], dim=1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        if self.contrast > 0:
            gain = 1 + (rand(b, 1, 1, 1) * 2 - 1) * self.contrast
            bias = (rand(b, 1, 1, 1) * 2 - 1) * self.contrast
            x = x * gain + bias
        if self.erase_p > 0:
            x = random_erase(x, self.erase_p, self.erase_area, rand)
        sharp = x
        if self.lowres_p > 0:
            x = low_resolution(x, self.lowres_p, self.lowres_min, rand)
        return x, sharp


def host_to(t: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """A CPU tensor on ``device``; to a GPU through pinned memory without waiting, so drawing random
    numbers on the CPU never stalls the GPU's queue of work."""
    if torch.device(device).type != "cuda":
        return t.to(device)
    return t.pin_memory().to(device, non_blocking=True)


def random_erase(x: torch.Tensor, p: float, area: tuple[float, float], rand) -> torch.Tensor:
    """Zero a random rectangle (in normalised units, i.e. mean grey) in a fraction ``p`` of the batch."""
    b, _, h, w = x.shape
    frac = area[0] + rand(b) * (area[1] - area[0])
    aspect = torch.exp((rand(b) * 2 - 1) * math.log(3))
    eh = (torch.sqrt(frac * aspect) * h).clamp(1, h)
    ew = (torch.sqrt(frac / aspect) * w).clamp(1, w)
    top = rand(b) * (h - eh)
    left = rand(b) * (w - ew)
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    inside = lambda at, lo, size: (at >= lo.view(b, 1, 1)) & (at < (lo + size).view(b, 1, 1))
    box = inside(ys, top, eh) & inside(xs, left, ew)
    box &= (rand(b) < p).view(b, 1, 1)
    return x.masked_fill(box.unsqueeze(1), 0.0)


def low_resolution(x: torch.Tensor, p: float, smallest: int, rand) -> torch.Tensor:
    """A fraction ``p`` of the batch shrunk to one random size from ``smallest`` pixels up (area
    averaging, as a camera's sensor does) and enlarged back (bilinear, as ``predict`` enlarges a small face)."""
    b, _, h, w = x.shape
    pick, size = rand(b) < p, rand(b)[0]
    side = int(smallest + float(size) * (min(h, w) - smallest))
    small = F.interpolate(x, size=(side, side), mode="area")
    back = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return torch.where(pick.view(b, 1, 1, 1), back, x)


#: Named augmentation strengths for ``--augment``; "none" trains on the plain images.
AUGMENT_PRESETS: dict[str, Augment | None] = {
    "none": None,
    "light": Augment(rotate_deg=5, scale=0.05, shift=0.05, contrast=0.1, erase_p=0.0),
    "default": Augment(),
    "strong": Augment(rotate_deg=15, scale=0.15, shift=0.12, contrast=0.3, erase_p=0.5, erase_area=(0.02, 0.3)),
    "lowres": Augment(lowres_p=0.3),
}
