"""Export a checkpoint to ONNX, for ONNX Runtime (faster on CPUs) or any other runtime."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from ..data.cache import cache_dir
from ..models.checkpoint import load_checkpoint
from ..models.meta import read_meta
from ..models.shipped import resolve_weights

log = logging.getLogger(__name__)


def export_onnx(weights: str | os.PathLike, out: str | os.PathLike, *, opset: int = 17) -> Path:
    """Write ``out`` (.onnx) with a dynamic batch axis; input ``faces`` is normalised ``(N, 1, S, S)``
    float32, output ``logits``. The checkpoint's metadata (classes, preprocessing, temperature, class offsets) is
    stored in the ONNX model's metadata as JSON under ``ferkit``."""
    ckpt = load_checkpoint(weights)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # A name of this process's own: training processes side by side may export the same teacher to one cache.
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    export_module(ckpt.model, ckpt.preprocess.image_size, tmp, opset=opset)
    import onnx

    model = onnx.load(str(tmp))
    meta = model.metadata_props.add()
    meta.key, meta.value = "ferkit", json.dumps(read_meta(resolve_weights(weights)))
    onnx.save(model, str(tmp))
    os.replace(tmp, out)
    return out


def export_module(model: torch.nn.Module, image_size: int, out: str | os.PathLike, *, opset: int = 17) -> None:
    """The graph of ``model`` as ferkit runs it (input ``faces``, output ``logits``, dynamic batch), without
    metadata: :func:`export_onnx` adds the checkpoint's."""
    # The TorchScript exporter on purpose: the dynamo exporter needs onnxscript (one more heavy
    # dependency) and gains nothing for these plain conv nets; check_onnx verifies the result.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        batch = {"faces": {0: "batch"}, "logits": {0: "batch"}}
        x = (torch.zeros(1, 1, image_size, image_size),)
        names = dict(input_names=["faces"], output_names=["logits"])
        torch.onnx.export(model, x, str(out), **names, dynamic_axes=batch, opset_version=opset, dynamo=False)


def cached_onnx(weights_path: Path) -> Path:
    """The ONNX export of a checkpoint, made once and cached by the checkpoint's hash."""
    digest = hashlib.sha256(Path(weights_path).read_bytes()).hexdigest()[:16]
    path = cache_dir() / "onnx" / f"{Path(weights_path).stem}-{digest}.onnx"
    if not path.exists():
        log.info("exporting %s to ONNX (once): %s", weights_path, path)
        export_onnx(weights_path, path)
    return path


def check_onnx(weights: str | os.PathLike, onnx_path: str | os.PathLike, n: int = 64, seed: int = 0) -> float:
    """Largest absolute difference between PyTorch and ONNX Runtime logits on random faces."""
    import onnxruntime as ort

    ckpt = load_checkpoint(weights)
    s = ckpt.preprocess.image_size
    x = np.random.default_rng(seed).normal(size=(n, 1, s, s)).astype(np.float32)
    with torch.inference_mode():
        ref = ckpt.model(torch.from_numpy(x)).numpy()
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"faces": x})[0]
    return float(np.abs(ref - got).max())
