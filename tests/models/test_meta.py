"""The checkpoint format without torch: headers validated and named when bad; metadata rewritten in place
with the weights untouched and the file readable like the rest of its folder."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from ferkit.models.meta import CheckpointError, read_meta, update_meta
from ferkit.models.shipped import resolve_weights


def test_bad_headers_name_the_file_and_field(tmp_path):
    import numpy as np
    from safetensors.numpy import save_file

    t = {"w": np.zeros(2, np.float32)}
    save_file(t, str(tmp_path / "plain.safetensors"))
    with pytest.raises(CheckpointError, match="plain.safetensors: a safetensors file without ferkit metadata"):
        read_meta(tmp_path / "plain.safetensors")
    save_file(t, str(tmp_path / "bad.safetensors"), metadata={"ferkit": "{not json"})
    with pytest.raises(CheckpointError, match="bad.safetensors: metadata is not valid JSON"):
        read_meta(tmp_path / "bad.safetensors")
    meta = {"format": "ferkit-checkpoint", "model": "cnn", "classes": "happy", "preprocess": {}}
    save_file(t, str(tmp_path / "field.safetensors"), metadata={"ferkit": json.dumps(meta)})
    with pytest.raises(CheckpointError, match="field.safetensors: metadata field 'classes'"):
        read_meta(tmp_path / "field.safetensors")
    (tmp_path / "x.onnx").write_bytes(b"not onnx")
    with pytest.raises(CheckpointError, match="x.onnx: not a readable ONNX model"):
        read_meta(tmp_path / "x.onnx")


def test_update_meta_needs_no_torch_and_keeps_the_weights(tmp_path):
    import shutil

    from safetensors.numpy import load_file

    path = shutil.copy(resolve_weights("default"), tmp_path / "m.safetensors")
    before = load_file(str(path))
    meta = update_meta(path, temperature=1.5, note="x")
    assert read_meta(path) == meta and meta["temperature"] == 1.5 and meta["note"] == "x"
    after = load_file(str(path))
    assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask
    with pytest.raises(CheckpointError, match="only a .safetensors checkpoint can be rewritten"):
        update_meta(tmp_path / "m.onnx", temperature=1.0)
