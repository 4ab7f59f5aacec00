"""YuNet run by ONNX Runtime with ferkit's decoder gives what OpenCV's own YuNet runner gives."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ferkit.data.decode import to_gray
from ferkit.faces.detect import detector_file, make_detector
from ferkit.faces.yunet import YuNetDetector, YuNetRuntime, decode, nms
from ferkit.inference.video import iou

from ..conftest import HOPPER_FACE

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


def published_layout(dst: Path, size: tuple[int, int] | None = None) -> Path:
    """The shipped file turned back into the published layout — a float BGR ``(1, 3, H, W)`` input, of
    fixed ``size`` (height, width) if given — which is what OpenCV's ``FaceDetectorYN`` runs."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(detector_file("yunet_s.onnx")))
    graph = model.graph
    cast, transpose = graph.node[0], graph.node[1]
    assert (cast.op_type, transpose.op_type) == ("Cast", "Transpose")
    name = transpose.output[0]
    del graph.node[:2]
    conv = next(n for n in graph.node if name in n.input)
    weight = next(i for i in graph.initializer if i.name == conv.input[1])
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight)[:, ::-1].copy(), weight.name))
    dims = [1, 3, *(size or ("height", "width"))]
    graph.input.remove(graph.input[0])
    graph.input.insert(0, helper.make_tensor_value_info(name, TensorProto.FLOAT, dims))
    onnx.save(model, str(dst))
    return dst


def opencv_yunet(bgr: np.ndarray, published: Path) -> np.ndarray:
    h, w = bgr.shape[:2]
    pw, ph = -w % 32, -h % 32
    padded = cv2.copyMakeBorder(bgr, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    net = cv2.FaceDetectorYN.create(str(published), "", (w + pw, h + ph), 0.7, 0.3, 5000)
    faces = net.detect(padded)[1]
    return np.zeros((0, 15), np.float32) if faces is None else faces


def real_photos(hopper: np.ndarray) -> list[np.ndarray]:
    photos = [hopper, collage(hopper)]
    if FACES_BENCH.is_dir():  # group photos with many small faces, where present
        for path in sorted(FACES_BENCH.rglob("*.jpg"))[:6]:
            photos.append(cv2.imread(str(path))[:, :, ::-1])
    return photos


def test_every_box_and_keypoint_matches_opencv(hopper, tmp_path):
    runtime = YuNetRuntime(detector_file("yunet_s.onnx"))
    assert runtime.rgb_uint8 and runtime.fixed is None
    published = published_layout(tmp_path / "published.onnx")
    total = 0
    for rgb in real_photos(hopper):
        ours = runtime.run(np.ascontiguousarray(rgb), 0.7, 0.3)
        theirs = opencv_yunet(np.ascontiguousarray(rgb[:, :, ::-1]), published)
        order = lambda f: f[np.lexsort((f[:, 1], f[:, 0]))]
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(order(ours), order(theirs), atol=0.05)
        total += len(ours)
    assert total >= 5  # the collage alone has several faces


def test_a_published_fixed_size_file_is_fed_shrunk_padded_and_swapped(hopper, tmp_path):
    fixed = YuNetRuntime(published_layout(tmp_path / "fixed.onnx", (320, 320)))
    assert fixed.fixed == (320, 320) and not fixed.rgb_uint8
    rgb = np.ascontiguousarray(hopper)  # 512x600: shrunk to 273x320, padded to 320x320, made BGR float
    (face,) = fixed.run(rgb, 0.7, 0.3)
    (full,) = YuNetRuntime(detector_file("yunet_s.onnx")).run(rgb, 0.7, 0.3)
    assert np.abs(face[:4] - full[:4]).max() < 0.06 * full[2]  # same face, in full-size pixels
    assert face[14] > 0.9 and np.abs(face[4:14] - full[4:14]).max() < 0.06 * full[2]


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
