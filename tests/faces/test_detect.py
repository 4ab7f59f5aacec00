"""The detector registry and what every detector shares: thin strips, tracking windows, new detectors."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.faces.detect import Detector, detect_near, detector_info, make_detector, register_detector


@pytest.mark.parametrize("shape", [(1, 2560), (2561, 1), (2, 5200), (7, 3000), (1, 100_000), (1, 1)])
def test_strips_too_thin_for_a_face_find_none(shape):
    """A side that down-scaling would round to 0 pixels once crashed OpenCV's resize; such a strip holds no
    face, and a strip just wide enough to search is searched without error."""
    gray = np.full(shape, 128, np.uint8)
    assert make_detector("yunet").detect(gray, np.dstack([gray] * 3)) == []
    wider = np.full((max(8, shape[0]), min(shape[1], 6000)), 128, np.uint8)
    assert make_detector("yunet").detect(wider) == []


def test_a_detector_is_one_class_that_registers_itself():
    """Adding a detector is writing one class: registered by name, listed with its info, made by name,
    searched around tracked faces by the base class's window logic."""

    @register_detector
    class Centre(Detector):
        name = "test-centre"
        info = {"description": "a box in the middle, for this test"}

        def __init__(self, model_path=None, threads=None):
            pass

        def detect(self, gray, rgb=None):
            h, w = gray.shape[:2]
            return [Detection((w // 4, h // 4, w // 2, h // 2), 1.0)]

    from ferkit.faces.detect import Detection

    assert detector_info()["test-centre"]["description"].startswith("a box")
    det = make_detector("test-centre")
    assert det.detect(np.zeros((100, 200), np.uint8))[0].box == (50, 25, 100, 50)
    (near,) = detect_near(det, np.zeros((400, 400), np.uint8), [(100, 100, 200, 200)])
    assert near.box[2] > 50  # found in the window, scaled back to frame pixels
    with pytest.raises(ValueError, match="already registered"):
        register_detector(Centre)
