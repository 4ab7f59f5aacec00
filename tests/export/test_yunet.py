"""The shipped YuNet file is the published one with a dynamic input size that takes the decoded uint8 RGB
photo: two nodes added in front, the first convolution's input channels reversed, all else unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ferkit.faces.detect import detector_file

onnx = pytest.importorskip("onnx")
from onnx import numpy_helper  # noqa: E402

from ferkit.export.yunet import INPUT, dynamic_yunet  # noqa: E402

PUBLISHED = Path(__file__).resolve().parents[3] / "shared" / "models" / "yunet_s_640_640.onnx"


def test_shipped_file_takes_a_uint8_rgb_image_of_any_size():
    shipped = detector_file("yunet_s.onnx")
    graph = onnx.load(str(shipped)).graph
    (inp,) = graph.input
    dims = inp.type.tensor_type.shape.dim
    assert inp.name == INPUT and inp.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    assert [d.dim_param or d.dim_value for d in dims] == [1, "height", "width", 3]
    assert [n.op_type for n in graph.node[:3]] == ["Cast", "Transpose", "Conv"]
    assert (shipped.parent / "LICENSE-yunet.txt").is_file() and "yunet_s.onnx" in (
        shipped.parent / "NOTICE"
    ).read_text()


def test_derived_from_the_published_file_changing_only_the_input(tmp_path):
    if not PUBLISHED.is_file():
        pytest.skip(f"{PUBLISHED} not found: derivation from the published file not checked")
    derived = dynamic_yunet(PUBLISHED, tmp_path / "yunet_s.onnx")
    assert derived.read_bytes() == detector_file("yunet_s.onnx").read_bytes()
    a, b = onnx.load(str(PUBLISHED)).graph, onnx.load(str(derived)).graph
    assert [n.SerializeToString() for n in a.node] == [n.SerializeToString() for n in b.node[2:]]
    first = a.node[0].input[1]
    for x, y in zip(a.initializer, b.initializer):
        if x.name == first:
            np.testing.assert_array_equal(numpy_helper.to_array(x)[:, ::-1], numpy_helper.to_array(y))
        else:
            assert x.SerializeToString() == y.SerializeToString()


def test_outputs_equal_the_published_files(tmp_path, hopper):
    ort = pytest.importorskip("onnxruntime")
    if not PUBLISHED.is_file():
        pytest.skip(f"{PUBLISHED} not found: outputs not compared with the published file")
    rgb = np.zeros((640, 640, 3), np.uint8)
    face = hopper[:640, :640]
    rgb[: face.shape[0], : face.shape[1]] = face
    published = ort.InferenceSession(str(PUBLISHED), providers=["CPUExecutionProvider"])
    ours = ort.InferenceSession(str(detector_file("yunet_s.onnx")), providers=["CPUExecutionProvider"])
    x = rgb[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)
    want = published.run(None, {published.get_inputs()[0].name: x})
    got = ours.run(None, {INPUT: rgb[None]})
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, atol=1e-5)
