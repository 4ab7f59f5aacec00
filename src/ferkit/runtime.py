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


#: What a shipped model may run in: float32, its int8 twin, or whichever suits this processor.
PRECISIONS = ("auto", "fp32", "int8")
#: Processor features with int8 dot products, on which ONNX Runtime's int8 kernels run several times
#: faster than float32 (docs/benchmarks.md); on AVX2 alone int8 gains little, so ``auto`` keeps float32.
INT8_FEATURES = ("avx512_vnni", "avx_vnni", "amx_int8")


def _cpuinfo(field: str) -> str | None:
    """The first ``field`` line's value in Linux's /proc/cpuinfo (None where it cannot be read)."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith(field):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_flags() -> frozenset[str]:
    """The processor's feature flags (empty where they cannot be read)."""
    return frozenset((_cpuinfo("flags") or "").split())


def cpu_name() -> str:
    """The processor's model name, for benchmark reports."""
    import platform

    return _cpuinfo("model name") or platform.processor() or platform.machine()


def resolve_precision(precision: str = "auto") -> str:
    """``fp32`` or ``int8``: ``auto`` is int8 where the processor has int8 dot products."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    return "int8" if cpu_flags() & set(INT8_FEATURES) else "fp32"
