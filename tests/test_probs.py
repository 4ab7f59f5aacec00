"""Softmax with temperature: rows sum to one, temperature cools or sharpens."""

from __future__ import annotations

import numpy as np

from ferkit.probs import softmax


def test_softmax_rows_and_temperature():
    logits = np.array([[2.0, 1.0, 0.0], [1000.0, 0.0, -1000.0]])
    p = softmax(logits)
    assert p.dtype == np.float32 and np.allclose(p.sum(1), 1) and np.isfinite(p).all()
    hot, cold = softmax(logits[:1], 0.5), softmax(logits[:1], 2.0)
    assert hot[0, 0] > p[0, 0] > cold[0, 0]


def test_class_columns_and_restrict():
    import pytest

    from ferkit.probs import class_columns, restrict

    cols = class_columns(("angry", "happy", "sad"), ("sad", "happy"))
    assert cols == [2, 1]
    p = restrict(np.array([[0.2, 0.6, 0.2]]), cols)
    assert np.allclose(p, [[0.25, 0.75]])
    with pytest.raises(ValueError, match=r"does not know the classes \['contempt'\]"):
        class_columns(("angry", "happy"), ("happy", "contempt"))


def test_softmax_bias_adds_to_the_scaled_logits():
    logits = np.array([[2.0, 1.0, 0.0]])
    np.testing.assert_allclose(softmax(logits, 2.0, [0.0, 0.5, 1.0]), softmax(np.array([[1.0, 1.0, 1.0]])), atol=1e-7)


def test_small_face_calibration_interpolates_by_width_up_to_the_full_size():
    from ferkit.probs import at_widths

    table = {"widths": [16, 32], "temperature": [2.0, 1.0], "class_bias": [[0.0, 1.0], [0.0, 0.5]]}
    t, b = at_widths(table, 0.5, None, [8, 16, 24, 32, 40, 48, 300], full=48)
    assert t.shape == (7, 1) and b.shape == (7, 2)
    # Below the smallest width its fit holds; at each width, that fit; from the full size, the model's own.
    np.testing.assert_allclose(t[:, 0], [2.0, 2.0, 1 / 0.75, 1.0, 1 / 1.5, 0.5, 0.5])
    np.testing.assert_allclose(b[:, 1], [1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0])
    assert not b[:, 0].any()
