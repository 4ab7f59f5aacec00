"""The shipped YuNet file is the published one with only its declared input size made dynamic."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferkit.faces.detect import detector_file

onnx = pytest.importorskip("onnx")
from ferkit.export.yunet import dynamic_yunet  # noqa: E402

PUBLISHED = Path(__file__).resolve().parents[3] / "shared" / "models" / "yunet_s_640_640.onnx"


def test_shipped_file_has_a_dynamic_input_and_is_a_fixed_point(tmp_path):
    shipped = detector_file("yunet_s.onnx")
    dims = onnx.load(str(shipped)).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == [1, 3, "height", "width"]
    again = dynamic_yunet(shipped, tmp_path / "again.onnx")
    assert again.read_bytes() == shipped.read_bytes()
    assert (shipped.parent / "LICENSE-yunet.txt").is_file() and "yunet_s.onnx" in (
        shipped.parent / "NOTICE"
    ).read_text()


def test_derived_from_the_published_file_with_nodes_and_weights_unchanged(tmp_path):
    if not PUBLISHED.is_file():
        pytest.skip(f"{PUBLISHED} not found: derivation from the published file not checked")
    derived = dynamic_yunet(PUBLISHED, tmp_path / "yunet_s.onnx")
    assert derived.read_bytes() == detector_file("yunet_s.onnx").read_bytes()
    a, b = onnx.load(str(PUBLISHED)).graph, onnx.load(str(derived)).graph
    assert [n.SerializeToString() for n in a.node] == [n.SerializeToString() for n in b.node]
    assert [i.SerializeToString() for i in a.initializer] == [i.SerializeToString() for i in b.initializer]
