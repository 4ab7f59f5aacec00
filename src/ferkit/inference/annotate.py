"""Pictures of results: faces drawn on images (box, label, probability, coloured by expression), and a
video's expressions over time."""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np

from .results import Face

COLORS = {  # RGB
    "angry": (220, 40, 40), "contempt": (0, 150, 150), "disgust": (120, 160, 30), "fear": (150, 60, 200),
    "happy": (250, 200, 0), "neutral": (170, 170, 170), "sad": (40, 100, 230), "surprise": (250, 120, 20),
}  # fmt: skip


def draw_faces(rgb: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
    """A copy of ``rgb`` with every face's box, label and keypoints drawn on it. Lines, text and dots are
    sized to each face (a 30-px face in a crowd gets a small label and pin-prick dots), and each label is
    kept inside the picture and placed where it hides no other face and no other label (:func:`place_labels`)."""
    out = np.ascontiguousarray(rgb.copy() if rgb.ndim == 3 else cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB))
    texts = [f"{f.label} {f.confidence:.0%}" + (f" #{f.track_id}" if f.track_id is not None else "") for f in faces]
    styles = [_style(f.box[2], out.shape[:2]) for f in faces]
    sizes = [_text_size(t, scale, thick) for t, (scale, thick, _) in zip(texts, styles)]
    spots = place_labels([f.box for f in faces], sizes, out.shape[:2])
    for f, text, (scale, thick, dot), (tw, th), (lx, ly) in zip(faces, texts, styles, sizes, spots):
        x, y, w, h = f.box
        color = COLORS.get(f.label, (0, 200, 0))
        cv2.rectangle(out, (x, y), (x + w, y + h), color, thick)
        cv2.rectangle(out, (lx, ly), (lx + tw, ly + th), color, -1)
        pad = max(1, th // 6)
        at = (lx + pad, ly + th - 2 * pad)
        cv2.putText(out, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick, cv2.LINE_AA)
        for px, py in f.keypoints or ():  # eyes, nose tip, mouth corners
            cv2.circle(out, (round(px), round(py)), dot, color, -1, cv2.LINE_AA)
    return out


def _style(face_width: int, image_hw: tuple[int, int]) -> tuple[float, int, int]:
    """Font scale, line thickness and keypoint radius for a face ``face_width`` pixels wide: in step with
    the face, never so small it cannot be read, never larger than the picture calls for."""
    cap = max(0.5, max(image_hw) / 900)
    scale = float(np.clip(face_width / 160, 0.35, cap))
    return scale, max(1, round(scale * 1.6)), max(1, round(face_width / 45))


def _text_size(text: str, scale: float, thick: int) -> tuple[int, int]:
    """The label's box: the text's width and height with a little padding."""
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(1, (th + base) // 6)
    return tw + 2 * pad, th + base + 2 * pad


def place_labels(
    boxes: Sequence[tuple[int, int, int, int]], sizes: Sequence[tuple[int, int]], image_hw: tuple[int, int]
) -> list[tuple[int, int]]:
    """Top-left corners for each box's label (``sizes``: width, height): above the box, else below it (each
    flush with the box's left edge, then its right edge), else inside its top edge — the first spot inside
    the picture that covers no other face and no label placed before it (faces come largest first, so big
    faces choose first); failing all, the spot that overlaps least. Labels always stay inside the picture."""
    H, W = image_hw
    placed: list[tuple[int, int, int, int]] = []
    for i, ((x, y, w, h), (tw, th)) in enumerate(zip(boxes, sizes)):
        left, right = (int(np.clip(v, 0, max(0, W - tw))) for v in (x, x + w - tw))
        spots = [(left, y - th), (left, y + h), (right, y - th), (right, y + h), (left, y)]
        avoid = [*placed, *(b for j, b in enumerate(boxes) if j != i)]
        best = min(spots, key=lambda s: _label_cost((*s, tw, th), avoid, H))
        placed.append((best[0], int(np.clip(best[1], 0, max(0, H - th))), tw, th))
    return [(r[0], r[1]) for r in placed]


def _label_cost(rect: tuple[int, int, int, int], avoid: list[tuple[int, int, int, int]], height: int) -> float:
    """How bad a label spot is: leaving the picture above all, then pixels over other faces and labels."""
    outside = rect[1] < 0 or rect[1] + rect[3] > height
    return 1e9 * outside + sum(overlap(rect, r) for r in avoid)


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    """Pixels shared by two ``(x, y, w, h)`` rectangles."""
    dx = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    dy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, dx) * max(0, dy)


def save_rgb(path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: could not write the image")


def plot_timeline(
    rows: list[dict], classes: tuple[str, ...], path: str | os.PathLike, title: str = "", min_frames: int = 3,
    max_panels: int = 8,
) -> None:  # fmt: skip
    """Smoothed probability of each expression over time: one panel per tracked face seen in at least
    ``min_frames`` sampled frames (the ``max_panels`` longest-lived; the title says how many of how many),
    sharing the time axis, with one legend beside the panels rather than over the data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tracks: dict[int, list[dict]] = {}
    for r in rows:
        tracks.setdefault(r["track_id"], []).append(r)
    shown = sorted((t for t in tracks if len(tracks[t]) >= min_frames), key=lambda t: -len(tracks[t]))[:max_panels]
    shown.sort(key=lambda t: tracks[t][0]["time_s"])  # in order of appearance
    fig, axes = plt.subplots(max(1, len(shown)), 1, figsize=(9, 1.2 + 1.6 * max(1, len(shown))), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, tid in zip(axes, shown):
        rs = tracks[tid]
        for c in classes:
            ax.plot([r["time_s"] for r in rs], [r["probs"][c] for r in rs], label=c, color=_mpl_color(c))
        ax.set(ylim=(0, 1), ylabel="p")
        span = f"{rs[0]['time_s']:g}-{rs[-1]['time_s']:g} s"
        ax.set_title(f"face #{tid}: {len(rs)} frames, {span}", fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    if not shown:
        axes[0].text(0.5, 0.5, "no face seen in enough frames", ha="center", va="center", transform=axes[0].transAxes)
        axes[0].set_yticks([])
    axes[-1].set_xlabel("time (s)")
    which = f"{len(shown)} of {len(tracks)} tracked faces (seen in >= {min_frames} frames)"
    fig.suptitle(f"{title or 'Expression over time'}: {which}", fontsize=10)
    if shown:
        fig.legend(*axes[0].get_legend_handles_labels(), loc="center right", fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 0.86 if shown else 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _mpl_color(cls: str) -> tuple[float, float, float]:
    return tuple(v / 255 for v in COLORS.get(cls, (0, 0, 0)))
