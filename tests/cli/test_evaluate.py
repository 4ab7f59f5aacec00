"""``ferkit evaluate`` and ``ferkit calibrate`` from the command line."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); evaluation CLI tests skipped")

from ferkit.cli import main  # noqa: E402


def test_evaluate_table_and_calibrate(tiny_ckpt, synthetic_dir, tmp_path, capsys):
    assert (
        main(
            [
                "evaluate",
                "--weights",
                str(tiny_ckpt),
                "--data",
                str(synthetic_dir),
                "--tta",
                "--out",
                str(tmp_path / "ev"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "with TTA" in out and "accuracy" in out and (tmp_path / "ev" / "confusion_matrix.png").exists()
    ckpt = shutil.copy(tiny_ckpt, tmp_path / "t.safetensors")
    assert main(["calibrate", "--weights", str(ckpt), "--data", str(synthetic_dir)]) == 0
    assert "fitted on" in capsys.readouterr().out
    assert (
        main(
            [
                "evaluate",
                "--weights",
                str(ckpt),
                "--data",
                str(synthetic_dir),
                "--json",
                "--split",
                "val",
                "--out",
                str(tmp_path / "ev2"),
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["temperature"] != 1.0
