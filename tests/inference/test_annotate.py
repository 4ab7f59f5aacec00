"""Annotated pictures: boxes and labels drawn in the expression's colour; timelines of a video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ferkit.inference.annotate import COLORS, draw_faces, overlap, place_labels, plot_timeline, save_rgb
from ferkit.inference.results import make_face

FACES_BENCH = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "faces-bench" / "images"


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


def test_timeline_has_a_panel_per_lasting_face(tmp_path, monkeypatch):
    import matplotlib.figure

    rows = [{"track_id": 1, "time_s": t / 10, "probs": {"happy": t / 10, "sad": 1 - t / 10}} for t in range(10)]
    rows += [{"track_id": 2, "time_s": t / 10, "probs": {"happy": 0.2, "sad": 0.8}} for t in range(4, 9)]
    rows += [{"track_id": 3, "time_s": 0.5, "probs": {"happy": 0.5, "sad": 0.5}}]  # a one-frame blip: not plotted
    seen = {}
    real_save = matplotlib.figure.Figure.savefig

    def spy(fig, *a, **k):
        seen["titles"] = [ax.get_title(loc="left") for ax in fig.axes]
        seen["suptitle"] = fig._suptitle.get_text()
        seen["legends"] = len(fig.legends) + sum(ax.get_legend() is not None for ax in fig.axes)
        return real_save(fig, *a, **k)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    plot_timeline(rows, ("happy", "sad"), tmp_path / "t.png", title="clip.mp4")
    assert seen["titles"] == ["face #1: 10 frames, 0-0.9 s", "face #2: 5 frames, 0.4-0.8 s"]
    assert seen["suptitle"] == "clip.mp4: 2 of 3 tracked faces (seen in >= 3 frames)" and seen["legends"] == 1
    plot_timeline([], ("happy", "sad"), tmp_path / "empty.png")
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "empty.png").stat().st_size > 0


def test_labels_stay_inside_and_go_below_when_above_is_taken():
    # A face touching the top edge: no room above, so its label goes below; x is clamped at the right edge.
    spots = place_labels([(180, 0, 20, 20)], [(60, 12)], (100, 200))
    assert spots == [(140, 20)]
    # Two faces one above the other: the lower face's label would cover the upper face, so it goes below.
    upper, lower = (50, 20, 40, 40), (50, 62, 40, 40)
    spots = place_labels([upper, lower], [(40, 10), (40, 10)], (300, 300))
    assert spots[0] == (50, 10) and spots[1] == (50, 102)
    assert overlap((*spots[1], 40, 10), upper) == 0


@pytest.mark.skipif(not FACES_BENCH.is_dir(), reason="faces-bench not found in ../shared/datasets; skipped")
def test_a_group_photo_gets_readable_labels():
    """23 faces of a real family photo: every label inside the picture, none over another, at most one
    touching another face; dots and lines are small on small faces."""
    from ferkit.data.decode import load_image
    from ferkit.inference.annotate import _style, _text_size

    img = load_image(FACES_BENCH / "wider_val" / "20_Family_Group_Family_Group_20_33.jpg")
    from ferkit.inference.pipeline import Recognizer

    faces = Recognizer.from_pretrained().predict(img).faces
    assert len(faces) >= 20
    sizes = [_text_size(f"{f.label} {f.confidence:.0%}", *_style(f.box[2], img.shape[:2])[:2]) for f in faces]
    rects = [(*spot, *size) for spot, size in zip(place_labels([f.box for f in faces], sizes, img.shape[:2]), sizes)]
    h, w = img.shape[:2]
    assert all(x >= 0 and y >= 0 and x + rw <= w and y + rh <= h for x, y, rw, rh in rects)
    assert sum(overlap(a, b) > 0 for i, a in enumerate(rects) for b in rects[i + 1 :]) == 0
    assert sum(overlap(r, f.box) > 0 for i, r in enumerate(rects) for j, f in enumerate(faces) if i != j) <= 1
    assert _style(30, (768, 1024))[2] == 1 and _style(300, (768, 1024))[2] > 5  # keypoint dot radius
    assert draw_faces(img, faces).shape == img.shape
