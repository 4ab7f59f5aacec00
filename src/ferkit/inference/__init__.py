"""Stage 8 — inference: the one pipeline from any input to results, with no torch needed.

:mod:`ferkit.data.decode` (files, bytes, arrays, PIL images, videos; safety limits) → faces are found
and cropped (:mod:`ferkit.faces`) → ``backends`` classify them (ONNX Runtime, or PyTorch) → ``results``
(typed, with ``to_dict``/``to_pandas``). ``pipeline.Recognizer`` strings the stages together once; ``batch`` (folders,
resumable streams, ``ray_batch`` on Ray), ``video`` (tracking, smoothing), ``annotate`` (pictures) and
``bench`` (speed) are built on it, as are the CLI and the REST service.
"""
