"""Derive the shipped YuNet file: the published model with its input height and width marked dynamic.

YuNet's graph already works at any input size that is a multiple of 32 (its reshapes use -1 and its
upsampling uses scales), but the published file declares a fixed 640×640 input, which ONNX Runtime
enforces. Only the declared shapes change here; every node and weight is kept, which a test checks.
"""

from __future__ import annotations

import os
from pathlib import Path

import onnx


def dynamic_yunet(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Write ``dst``: ``src`` with a ``height`` × ``width`` input and per-stride anchor counts as outputs."""
    model = onnx.load(str(src))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for axis, name in ((2, "height"), (3, "width")):
        dims[axis].Clear()
        dims[axis].dim_param = name
    for out in model.graph.output:
        dim = out.type.tensor_type.shape.dim[1]
        dim.Clear()
        dim.dim_param = "anchors_" + out.name.rsplit("_", 1)[1]
    del model.graph.value_info[:]  # inferred 640×640 shapes of intermediate tensors
    onnx.checker.check_model(model)
    dst = Path(dst)
    onnx.save(model, str(dst))
    return dst
