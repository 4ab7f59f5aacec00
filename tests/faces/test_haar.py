"""The Haar detector on a real photo: it finds Grace Hopper, nothing in noise, and her again near her box."""

from __future__ import annotations

import numpy as np

from ferkit.data.decode import to_gray
from ferkit.faces.detect import detect_near, make_detector
from ferkit.faces.haar import HaarDetector

from ..conftest import HOPPER_FACE, iou


def test_haar_finds_grace_hopper_and_nothing_in_noise(hopper):
    det = make_detector("haar")
    (face,) = det.detect(to_gray(hopper))
    assert iou(face.box, HOPPER_FACE) > 0.5 and face.score > 0
    noise = np.random.default_rng(0).integers(0, 256, (480, 640), dtype=np.uint8)
    assert det.detect(noise) == []


def test_detect_near_finds_the_tracked_face_again(hopper):
    det = HaarDetector()
    gray = to_gray(hopper)
    (face,) = det.detect(gray)
    again = detect_near(det, gray, [face.box])
    assert len(again) == 1 and iou(again[0].box, face.box) > 0.7
