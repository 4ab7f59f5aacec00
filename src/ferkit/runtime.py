"""ONNX Runtime sessions as every ferkit model runs them (the face detector and the classifier).

Threads may spin while a run is in progress (an operator's work reaches them without a wake-up), but stop
spinning when it ends (``session.force_spinning_stop``): a thread left spinning after the detector took a
core from the decoding, cropping and classifying that follow it on a 2-core machine, and a classifier
without spinning paid a wake-up per operator (docs/benchmarks.md, "Beside the fer package").
"""

from __future__ import annotations

import os
from typing import Any


def ort_session(path: str | os.PathLike, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU; ``threads`` intra-op threads (None: one per core).
    ONNX Runtime's own exceptions pass through (callers name the file in their message)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
    opts.add_session_config_entry("session.force_spinning_stop", "1")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
