"""Test-time views in numpy: the faces, four shifted crops with edges replicated, and all ten mirrored."""

from __future__ import annotations

import numpy as np

from ferkit.transforms.views import tta_views


def test_ten_views_of_the_same_shape():
    x = np.arange(2 * 48 * 48, dtype=np.float32).reshape(2, 1, 48, 48)
    views = tta_views(x)
    assert len(views) == 10 and all(v.shape == x.shape and v.flags.c_contiguous for v in views)
    assert np.array_equal(views[0], x) and np.array_equal(views[5], x[..., ::-1])
    # The first crop moves the face 2 px right and down (its top-left edge replicated), the fourth 2 px up-left.
    assert np.array_equal(views[1][..., 2:, 2:], x[..., :-2, :-2]) and views[1][0, 0, 0, 0] == x[0, 0, 0, 0]
    assert np.array_equal(views[4][..., :-2, :-2], x[..., 2:, 2:])


def test_at_resolution_shows_faces_as_a_small_face_in_a_photo():
    from ferkit.transforms.views import at_resolution

    checker = (((np.arange(48)[:, None] + np.arange(48)[None, :]) % 2) * 255).astype(np.uint8)
    faces = np.stack([checker, 255 - checker])
    assert np.array_equal(at_resolution(faces, 48), faces)  # full size: untouched
    small = at_resolution(faces, 8)
    assert small.shape == faces.shape and small.dtype == np.uint8
    assert np.abs(small.astype(int) - 127).max() <= 2  # the fine detail is gone: mid grey
    assert at_resolution(faces[:0], 8).shape == (0, 48, 48)
