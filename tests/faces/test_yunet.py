"""YuNet run by ONNX Runtime with ferkit's decoder gives what OpenCV's own YuNet runner gives."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ferkit.faces.detect import detector_file
from ferkit.faces.yunet import YuNetRuntime, decode, nms

FACES_BENCH = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "faces-bench" / "images"


def collage(rgb: np.ndarray) -> np.ndarray:
    """Hopper at five sizes (about 230 down to 20 px faces) on one 1100x700 canvas: every stride fires."""
    canvas = np.full((700, 1100, 3), 90, np.uint8)
    x = 0
    for f in (1.0, 0.5, 0.3, 0.17, 0.09):
        small = cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        h, w = small.shape[:2]
        canvas[:h, x : x + w] = small
        x += w
    return canvas


def opencv_yunet(bgr: np.ndarray) -> np.ndarray:
    h, w = bgr.shape[:2]
    pw, ph = -w % 32, -h % 32
    padded = cv2.copyMakeBorder(bgr, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    net = cv2.FaceDetectorYN.create(str(detector_file("yunet_s.onnx")), "", (w + pw, h + ph), 0.7, 0.3, 5000)
    faces = net.detect(padded)[1]
    return np.zeros((0, 15), np.float32) if faces is None else faces


def real_photos(hopper: np.ndarray) -> list[np.ndarray]:
    photos = [hopper, collage(hopper)]
    if FACES_BENCH.is_dir():  # group photos with many small faces, where present
        for path in sorted(FACES_BENCH.rglob("*.jpg"))[:6]:
            photos.append(cv2.imread(str(path))[:, :, ::-1])
    return photos


def test_every_box_and_keypoint_matches_opencv(hopper):
    runtime = YuNetRuntime(detector_file("yunet_s.onnx"))
    total = 0
    for rgb in real_photos(hopper):
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        ours = runtime.run(bgr, 0.7, 0.3)
        theirs = opencv_yunet(bgr)
        order = lambda f: f[np.lexsort((f[:, 1], f[:, 0]))]  # noqa: E731
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(order(ours), order(theirs), atol=0.05)
        total += len(ours)
    assert total >= 5  # the collage alone has several faces


def test_a_fixed_size_file_is_fed_shrunk_and_padded(hopper, tmp_path):
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(detector_file("yunet_s.onnx")))
    for dim, size in zip(model.graph.input[0].type.tensor_type.shape.dim[2:], (320, 320)):
        dim.Clear()
        dim.dim_value = size
    onnx.save(model, str(tmp_path / "fixed.onnx"))
    fixed = YuNetRuntime(tmp_path / "fixed.onnx")
    assert fixed.fixed == (320, 320)
    bgr = np.ascontiguousarray(hopper[:, :, ::-1])  # 512x600: shrunk to 273x320, padded to 320x320
    (face,) = fixed.run(bgr, 0.7, 0.3)
    (full,) = YuNetRuntime(detector_file("yunet_s.onnx")).run(bgr, 0.7, 0.3)
    assert np.abs(face[:4] - full[:4]).max() < 0.06 * full[2]  # same face, in full-size pixels


def test_decode_and_nms_edge_cases():
    outs = {
        f"{k}_{s}": np.zeros((1, (64 // s) ** 2, n), np.float32)
        for s in (8, 16, 32)
        for k, n in (("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10))
    }
    assert decode(outs, 64, 0.5).shape == (0, 15) and len(nms(decode(outs, 64, 0.5), 0.5, 0.3)) == 0
    outs["cls_16"][0, 5] = outs["obj_16"][0, 5] = 0.9  # cell (1, 1) of the 4x4 stride-16 grid
    (row,) = decode(outs, 64, 0.5)
    np.testing.assert_allclose(row[:4], [8, 8, 16, 16])  # centre (16+0, 16+0), size exp(0) x 16
    np.testing.assert_allclose(row[4:6], [16, 16]) and np.testing.assert_allclose(row[14], 0.9, rtol=1e-6)


def test_files_that_are_not_yunet_are_refused(tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    with pytest.raises(ValueError, match="junk.onnx: not a YuNet model"):
        YuNetRuntime(tmp_path / "junk.onnx")
    default_onnx = Path(detector_file("yunet_s.onnx")).parents[1] / "default.onnx"
    with pytest.raises(ValueError, match=r"default.onnx: not a YuNet model \(no outputs"):
        YuNetRuntime(default_onnx)
