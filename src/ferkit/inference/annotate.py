"""Pictures of results: faces drawn on images (box, label, probability, coloured by expression), and a
video's expressions over time."""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np

from .results import Face

COLORS = {  # RGB
    "angry": (220, 40, 40),
    "disgust": (120, 160, 30),
    "fear": (150, 60, 200),
    "happy": (250, 200, 0),
    "neutral": (170, 170, 170),
    "sad": (40, 100, 230),
    "surprise": (250, 120, 20),
}


def draw_faces(rgb: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
    """A copy of ``rgb`` with every face's box, label and keypoints drawn on it."""
    out = np.ascontiguousarray(rgb.copy() if rgb.ndim == 3 else cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB))
    thick = max(1, round(max(out.shape[:2]) / 400))
    scale = max(0.4, max(out.shape[:2]) / 1000)
    for f in faces:
        x, y, w, h = f.box
        color = COLORS.get(f.label, (0, 200, 0))
        cv2.rectangle(out, (x, y), (x + w, y + h), color, thick + 1)
        text = f"{f.label} {f.confidence:.0%}" + (f" #{f.track_id}" if f.track_id is not None else "")
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        ty = y - 4 if y - th - base - 4 > 0 else y + h + th + 4
        cv2.rectangle(out, (x, ty - th - base), (x + tw + 4, ty + base), color, -1)
        cv2.putText(out, text, (x + 2, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick, cv2.LINE_AA)
        for px, py in f.keypoints or ():  # eyes, nose tip, mouth corners
            cv2.circle(out, (round(px), round(py)), thick + 2, color, -1, cv2.LINE_AA)
            cv2.circle(out, (round(px), round(py)), thick + 2, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def save_rgb(path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: could not write the image")


def plot_timeline(rows: list[dict], classes: tuple[str, ...], path: str | os.PathLike, title: str = "") -> None:
    """Smoothed probability of each expression over time, for the longest-lived face."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.5))
    if rows:
        counts: dict[int, int] = {}
        for r in rows:
            counts[r["track_id"]] = counts.get(r["track_id"], 0) + 1
        main = max(counts, key=counts.get)
        rs = [r for r in rows if r["track_id"] == main]
        t = [r["time_s"] for r in rs]
        for c in classes:
            ax.plot(t, [r["probs"][c] for r in rs], label=c, color=np.array(COLORS.get(c, (0, 0, 0))) / 255)
        ax.set_title(title or f"Expression over time (face #{main})")
    else:
        ax.set_title(title or "No faces found")
    ax.set(xlabel="time (s)", ylabel="probability", ylim=(0, 1))
    if rows:
        ax.legend(loc="upper right", fontsize=7, ncol=4)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
