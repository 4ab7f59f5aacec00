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
