"""Cropping faces like FER2013: square, widened by a margin, border replicated, resized."""

from __future__ import annotations

import numpy as np

from ferkit.faces.crop import crop_face


def test_crop_is_square_sized_and_centred():
    img = np.zeros((200, 300), np.uint8)
    img[50:150, 100:200] = 255  # a 100x100 "face"
    crop = crop_face(img, (100, 50, 100, 100), size=48, margin=0.0)
    assert crop.shape == (48, 48) and crop.min() == 255
    wide = crop_face(img, (100, 50, 100, 100), size=48, margin=0.25)  # 150 px around the 100 px box
    assert wide[24, 24] == 255 and wide[0, 0] == 0 and wide[24, 3] == 0


def test_faces_at_the_border_replicate_it():
    img = np.full((100, 100), 7, np.uint8)
    img[:, :3] = 200
    crop = crop_face(img, (-20, 10, 40, 40), size=32, margin=0.1)
    assert crop.shape == (32, 32) and crop[:, 0].min() == 200  # outside the image: the border, not black
