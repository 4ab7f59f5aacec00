"""ONNX Runtime sessions: spinning only while a run is in progress, threads as asked."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.faces.detect import detector_file
from ferkit.runtime import ort_session


def test_session_runs_the_shipped_detector_with_spinning_stopped_after_each_run():
    sess = ort_session(detector_file("yunet_s.onnx"), threads=1)
    config = sess.get_session_options().get_session_config_entry
    assert config("session.intra_op.allow_spinning") == "1" and config("session.force_spinning_stop") == "1"
    assert sess.get_session_options().intra_op_num_threads == 1
    outs = sess.run(None, {"image": np.zeros((1, 64, 96, 3), np.uint8)})
    assert outs[0].shape == (1, (64 // 8) * (96 // 8), 1)  # cls_8 on a 96x64 input: the input is dynamic


def test_unreadable_files_raise_onnx_runtimes_error(tmp_path):
    (tmp_path / "x.onnx").write_bytes(b"nope")
    with pytest.raises(Exception, match="x.onnx"):
        ort_session(tmp_path / "x.onnx")


def test_precision_follows_the_processors_int8_instructions(monkeypatch):
    import ferkit.runtime as rt

    monkeypatch.setattr(rt, "cpu_flags", lambda: frozenset({"avx2", "avx512_vnni"}))
    assert rt.resolve_precision("auto") == "int8" and rt.resolve_precision("fp32") == "fp32"
    monkeypatch.setattr(rt, "cpu_flags", lambda: frozenset({"avx2"}))
    assert rt.resolve_precision("auto") == "fp32" and rt.resolve_precision("int8") == "int8"
    with pytest.raises(ValueError, match="unknown precision 'int4'"):
        rt.resolve_precision("int4")
    assert rt.cpu_name()
