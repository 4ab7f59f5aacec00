"""Alignment to FER2013's template: the similarity is exact, tilt is levelled or kept, bad points fall back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ferkit.data.decode import to_gray
from ferkit.faces.align import FER2013_TEMPLATE, align_face, similarity
from ferkit.faces.detect import Detection, make_detector


def _transform(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    return np.c_[points, np.ones(len(points))] @ m.T


def test_similarity_recovers_rotation_scale_and_shift():
    truth = cv2.getRotationMatrix2D((10, 20), 25, 3.0)
    src = _transform(FER2013_TEMPLATE, cv2.invertAffineTransform(truth))
    level = similarity(src, FER2013_TEMPLATE, level=True)
    np.testing.assert_allclose(level, truth, atol=1e-9)
    kept = similarity(src, FER2013_TEMPLATE, level=False)
    assert kept[0, 1] == 0 and kept[1, 0] == 0  # scale and shift only: the tilt stays
    assert similarity(np.ones((5, 2)), FER2013_TEMPLATE, level=True) is None


def test_aligned_hopper_puts_her_keypoints_on_the_template(hopper):
    gray = to_gray(hopper)
    face = make_detector().detect(gray, hopper)[0]
    out = align_face(gray, face.keypoints, 48)
    assert out.shape == (48, 48) and out.dtype == np.uint8
    again = make_detector().detect(cv2.resize(out, (192, 192), interpolation=cv2.INTER_CUBIC))
    if again:  # where the detector finds the small aligned face, its eyes sit where FER2013's do
        eyes = np.asarray(again[0].keypoints[:2]) / 4
        assert np.abs(eyes - FER2013_TEMPLATE[:2]).max() < 4


@pytest.mark.parametrize("angle", [-25, 20])
def test_levelling_undoes_a_tilted_head(hopper, angle):
    gray = to_gray(hopper)
    det = make_detector()
    upright = align_face(gray, det.detect(gray)[0].keypoints, 48)
    m = cv2.getRotationMatrix2D((256, 300), angle, 1.0)
    tilted = cv2.warpAffine(gray, m, (512, 600), borderMode=cv2.BORDER_REPLICATE)
    levelled = align_face(tilted, det.detect(tilted)[0].keypoints, 48, level=True)
    kept = align_face(tilted, det.detect(tilted)[0].keypoints, 48, level=False)

    def corr(a, b):  # after a light blur: keypoint jitter moves fine texture by a pixel
        a, b = (cv2.GaussianBlur(v, (5, 5), 1.5).astype(float).ravel() for v in (a, b))
        return float(np.corrcoef(a, b)[0, 1])

    assert corr(levelled, upright) > 0.75 and corr(levelled, upright) > corr(kept, upright) + 0.2


def test_big_faces_are_shrunk_without_aliasing_and_degenerate_points_give_none(hopper):
    gray = to_gray(cv2.resize(hopper, (2560, 3000)))
    kps = [(x * 5, y * 5) for x, y in make_detector().detect(to_gray(hopper))[0].keypoints]
    assert align_face(gray, kps, 48).shape == (48, 48)
    assert align_face(gray, [(10, 10)] * 5, 48) is None
    assert align_face(gray, [(10, 10), (20, 10)], 48) is None  # not five points


def test_pipeline_falls_back_to_the_box_crop_and_says_so(hopper):
    from ferkit.faces.detect import Detector
    from ferkit.inference.pipeline import Recognizer

    class OddDetector(Detector):
        name = "odd"

        def detect(self, gray, rgb=None):
            return [Detection((150, 100, 230, 230), 0.9, ((200.0, 200.0),) * 5)]  # points that place nothing

    rec = Recognizer.from_pretrained(detector=OddDetector())
    (face,) = rec.predict(hopper)
    assert face.aligned is False and face.to_dict()["aligned"] is False
    assert Recognizer.from_pretrained().predict(hopper)[0].aligned is True
    assert Recognizer.from_pretrained(align="none").predict(hopper)[0].aligned is None
    with pytest.raises(ValueError, match="unknown alignment"):
        Recognizer.from_pretrained(align="tilted")
