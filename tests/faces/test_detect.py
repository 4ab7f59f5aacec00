"""Face detectors on a real photo: Haar (shipped with OpenCV), YuNet (from a model file), none."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.data.decode import to_gray
from ferkit.faces.detect import HaarDetector, WholeImage, YuNetDetector, detect_near, make_detector

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


def test_whole_image_and_bad_names():
    assert WholeImage().detect(np.zeros((48, 40), np.uint8))[0].box == (0, 0, 40, 48)
    with pytest.raises(ValueError, match="unknown detector 'dlib'"):
        make_detector("dlib")
    with pytest.raises(FileNotFoundError, match="YuNet model file not found"):
        YuNetDetector("missing.onnx")


def test_yunet_ships_and_finds_the_face_with_keypoints(hopper, tmp_path):
    det = make_detector()
    assert det.name == "yunet" and det.model_path.parent.name == "detectors"
    (face,) = det.detect(to_gray(hopper), hopper)
    assert iou(face.box, HOPPER_FACE) > 0.5 and face.score > 0.7 and len(face.keypoints) == 5
    (grey_face,) = det.detect(to_gray(hopper))  # grey input works too
    assert iou(grey_face.box, face.box) > 0.8
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="bad.onnx: not a YuNet model"):
        YuNetDetector(tmp_path / "bad.onnx")


def test_huge_images_are_searched_downscaled_with_boxes_in_full_size(hopper):
    import cv2

    big = cv2.resize(hopper, (hopper.shape[1] * 5, hopper.shape[0] * 5))  # 2560x3000
    (face,) = YuNetDetector(max_side=640).detect(to_gray(big), big)
    assert iou(face.box, tuple(5 * v for v in HOPPER_FACE)) > 0.5
    assert all(0 <= px <= 2560 and 0 <= py <= 3000 for px, py in face.keypoints)


def test_one_detector_serves_several_threads(hopper):
    from concurrent.futures import ThreadPoolExecutor

    det, gray = make_detector(), to_gray(hopper)
    with ThreadPoolExecutor(4) as pool:
        boxes = list(pool.map(lambda _: det.detect(gray, hopper)[0].box, range(16)))
    assert len(set(boxes)) == 1


@pytest.mark.parametrize("name", ["yunet", "haar"])
@pytest.mark.parametrize("shape", [(1, 2560), (2561, 1), (2, 5200), (7, 3000), (1, 100_000), (1, 1)])
def test_strips_too_thin_for_a_face_find_none(name, shape):
    """A side that down-scaling would round to 0 pixels once crashed OpenCV's resize; such a strip holds no
    face, and a strip just wide enough to search is searched without error."""
    gray = np.full(shape, 128, np.uint8)
    assert make_detector(name).detect(gray, np.dstack([gray] * 3)) == []
    wider = np.full((max(8, shape[0]), min(shape[1], 6000)), 128, np.uint8)
    assert make_detector(name).detect(wider) == []
