"""Derive the shipped YuNet file from the published model: any input size, fed the decoded photo as it is.

Two changes, and nothing else (a test compares every other node and weight with the published file):

* **Any input size.** YuNet's graph already works at any size that is a multiple of 32 (its reshapes use
  -1 and its upsampling uses scales), but the published file declares a fixed 640×640 input, which ONNX
  Runtime enforces; the declared height, width and anchor counts become dynamic.
* **The photo as decoded.** The published input is a float32 BGR tensor in channels-first order, so each
  photo was channel-swapped, transposed and widened to float in numpy first: three passes over a
  1.2-megabyte 640×480 image, on the path of every prediction. The derived file takes the uint8 RGB
  image ``(1, H, W, 3)`` itself: a Cast and a Transpose run inside ONNX Runtime, and the first
  convolution's weights take the channels in RGB order. Outputs agree with the published file's to 1e-5
  (a test); with this and the JPEG decoding change, a 640×480 photo's prediction ran 1.10-1.20× faster
  (docs/benchmarks.md, "Beside the fer package").
"""

from __future__ import annotations

import os
from pathlib import Path

import onnx
from onnx import TensorProto, helper, numpy_helper

#: The derived file's input: a uint8 RGB image, batch of one.
INPUT = "image"


def dynamic_yunet(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Write ``dst``: the published YuNet ``src`` with a uint8 RGB ``(1, height, width, 3)`` input and
    per-stride anchor counts as outputs."""
    model = onnx.load(str(src))
    graph = model.graph
    old = graph.input[0]
    _rgb_first_conv(graph, old.name)
    graph.node.insert(0, helper.make_node("Transpose", [INPUT + "_float"], [old.name], perm=[0, 3, 1, 2]))
    graph.node.insert(0, helper.make_node("Cast", [INPUT], [INPUT + "_float"], to=TensorProto.FLOAT))
    graph.input.remove(old)
    graph.input.insert(0, helper.make_tensor_value_info(INPUT, TensorProto.UINT8, [1, "height", "width", 3]))
    for out in graph.output:
        dim = out.type.tensor_type.shape.dim[1]
        dim.Clear()
        dim.dim_param = "anchors_" + out.name.rsplit("_", 1)[1]
    del graph.value_info[:]  # inferred 640×640 shapes of intermediate tensors
    onnx.checker.check_model(model)
    dst = Path(dst)
    onnx.save(model, str(dst))
    return dst


def _rgb_first_conv(graph: onnx.GraphProto, input_name: str) -> None:
    """Reverse the input-channel order of the one convolution that reads the BGR input."""
    readers = [n for n in graph.node if input_name in n.input]
    if len(readers) != 1 or readers[0].op_type != "Conv":
        raise ValueError(f"not the published YuNet graph: its input feeds {[n.op_type for n in readers]}")
    weight = next(i for i in graph.initializer if i.name == readers[0].input[1])
    w = numpy_helper.to_array(weight)
    weight.CopyFrom(numpy_helper.from_array(w[:, ::-1].copy(), weight.name))
