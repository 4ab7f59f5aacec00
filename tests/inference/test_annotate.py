"""Annotated pictures: boxes and labels drawn in the expression's colour; timelines of a video."""

from __future__ import annotations

import numpy as np

from ferkit.inference.annotate import COLORS, draw_faces, plot_timeline, save_rgb
from ferkit.inference.results import make_face


def test_box_drawn_in_the_label_colour(tmp_path):
    img = np.zeros((200, 200, 3), np.uint8)
    face = make_face((50, 60, 80, 80), np.array([0.1, 0.9]), ("angry", "happy"), 1.0)
    out = draw_faces(img, [face])
    assert img.max() == 0  # the input is not drawn on
    assert tuple(out[100, 50]) == COLORS["happy"] and out[100, 100].max() == 0  # edge coloured, inside untouched
    save_rgb(tmp_path / "a.jpg", out)
    assert (tmp_path / "a.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert draw_faces(img[..., 0], []).shape == (200, 200, 3)  # grey in, RGB out
    with_points = make_face((50, 60, 80, 80), np.array([0.1, 0.9]), ("angry", "happy"), 1.0, keypoints=[(90, 100)])
    assert tuple(draw_faces(img, [with_points])[100, 90]) == COLORS["happy"]  # a keypoint dot


def test_timeline_png(tmp_path):
    rows = [{"track_id": 1, "time_s": t / 10, "probs": {"happy": t / 10, "sad": 1 - t / 10}} for t in range(10)]
    plot_timeline(rows, ("happy", "sad"), tmp_path / "t.png")
    plot_timeline([], ("happy", "sad"), tmp_path / "empty.png")
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "empty.png").stat().st_size > 0
