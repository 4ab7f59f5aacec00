"""No detection: every input is one face."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.faces.detect import make_detector
from ferkit.faces.whole import WholeImage
from ferkit.faces.yunet import YuNetDetector


def test_the_whole_image_is_one_face_and_bad_names_are_refused():
    assert WholeImage().detect(np.zeros((48, 40), np.uint8))[0].box == (0, 0, 40, 48)
    with pytest.raises(ValueError, match="unknown detector 'dlib'"):
        make_detector("dlib")
    with pytest.raises(FileNotFoundError, match="YuNet model file not found"):
        YuNetDetector("missing.onnx")
