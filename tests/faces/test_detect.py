"""Face detectors on a real photo: Haar (shipped with OpenCV), YuNet (from a model file), none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ferkit.data.decode import to_gray
from ferkit.faces.detect import HaarDetector, WholeImage, YuNetDetector, detect_near, make_detector

from ..conftest import HOPPER_FACE, iou

YUNET = Path(__file__).resolve().parents[3] / "shared" / "models" / "yunet_s_640_640.onnx"


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


def test_whole_image_and_bad_names():
    assert WholeImage().detect(np.zeros((48, 40), np.uint8))[0].box == (0, 0, 40, 48)
    with pytest.raises(ValueError, match="unknown detector 'dlib'"):
        make_detector("dlib")
    with pytest.raises(ValueError, match="needs its model file"):
        make_detector("yunet")
    with pytest.raises(FileNotFoundError, match="YuNet model file not found"):
        YuNetDetector("missing.onnx")


def test_yunet_from_its_model_file(hopper):
    if not YUNET.is_file():
        pytest.skip(f"YuNet model not found at {YUNET}; YuNet test skipped")
    (face,) = make_detector("yunet", str(YUNET)).detect(to_gray(hopper), hopper)
    assert iou(face.box, HOPPER_FACE) > 0.4 and face.score > 0.7
