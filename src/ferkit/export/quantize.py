"""int8 twins of the shipped ONNX models, made with ONNX Runtime's static quantization.

QDQ format, weights per channel (signed int8), activations per tensor (unsigned), ranges calibrated on
data that is never a test split: FER2013 Training faces for the classifier, photos for the face detector.
On processors with int8 dot-product instructions (AVX-512 VNNI, AVX-VNNI) ONNX Runtime runs these several
times faster than float32; on AVX2 alone the gain is small or negative, which is why
:func:`ferkit.runtime.resolve_precision` chooses by what the processor offers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np


class _Reader:
    """ONNX Runtime's calibration data reader over an iterable of input batches."""

    def __init__(self, name: str, batches: Iterable[np.ndarray]) -> None:
        self.name, self._it = name, iter(batches)

    def get_next(self) -> dict | None:
        batch = next(self._it, None)
        return None if batch is None else {self.name: batch}

    def rewind(self) -> None:  # pragma: no cover - calibration reads once
        pass


def quantize(fp32: str | os.PathLike, out: str | os.PathLike, batches: Iterable[np.ndarray]) -> Path:
    """Write the int8 twin of ``fp32`` to ``out`` (metadata kept), calibrated on ``batches`` of its input."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out = Path(out)
    prepared = out.with_name(out.stem + ".prep.onnx")
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    graph = onnx.load(str(prepared))
    if next(o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")) < 13:
        # Per-channel scales need DequantizeLinear's axis, which opset 13 brought (YuNet's file is opset 11).
        from onnx import version_converter

        onnx.save(version_converter.convert_version(graph, 13), str(prepared))
    name = graph.graph.input[0].name
    try:
        types = dict(weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
        how = dict(quant_format=QuantFormat.QDQ, per_channel=True, calibrate_method=CalibrationMethod.MinMax)
        quantize_static(str(prepared), str(out), _Reader(name, batches), **types, **how)
    finally:
        prepared.unlink(missing_ok=True)
    model, source = onnx.load(str(out)), onnx.load(str(fp32))
    del model.metadata_props[:]
    model.metadata_props.extend(source.metadata_props)  # the ferkit header travels with the weights
    onnx.save(model, str(out))
    return out


def face_batches(faces: np.ndarray, preprocess, batch: int = 64) -> Iterator[np.ndarray]:
    """Normalised classifier input from uint8 faces, ``batch`` at a time."""
    for i in range(0, len(faces), batch):
        yield preprocess.numpy(faces[i : i + batch])


def quantize_classifier(
    weights: str, data: str | os.PathLike, out: str | os.PathLike, n: int = 1000, seed: int = 0
) -> Path:
    """The int8 twin of a model's ONNX file, calibrated on ``n`` faces drawn (with ``seed``) from the
    Training split of ``data``: Training only, never a split that chooses or reports."""
    from ..data.dataset import load_dataset
    from ..models.model import Network, load_model, onnx_file
    from ..models.shipped import resolve_weights

    model = load_model(weights)
    if not isinstance(model, Network):
        raise ValueError(f"{weights}: quantize one model at a time, not an ensemble or preset")
    # Calibration needs faces, not labels: every Training face counts, whatever the model's classes (FER+'s
    # contempt is no FER2013 class).
    train = load_dataset(data).split("train")
    pick = np.random.default_rng(seed).permutation(len(train))[:n]
    return quantize(onnx_file(resolve_weights(weights)), out, face_batches(train.images[pick], model.preprocess))
