"""``ferkit evaluate`` and ``ferkit calibrate`` from the command line."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); evaluation CLI tests skipped")

from ferkit.cli import main  # noqa: E402


def test_evaluate_table_and_calibrate(tiny_ckpt, synthetic_dir, tmp_path, capsys):
    assert main(f"evaluate --weights {tiny_ckpt} --data {synthetic_dir} --tta --out {tmp_path / 'ev'}".split()) == 0
    out = capsys.readouterr().out
    assert "10-view TTA" in out and "accuracy" in out and (tmp_path / "ev" / "confusion_matrix.png").exists()
    ckpt = shutil.copy(tiny_ckpt, tmp_path / "t.safetensors")
    assert main(["calibrate", "--weights", str(ckpt), "--data", str(synthetic_dir)]) == 0
    assert "fitted on" in capsys.readouterr().out
    argv = f"evaluate --weights {ckpt} --data {synthetic_dir} --json --split val --out {tmp_path / 'ev2'}"
    assert main(argv.split()) == 0
    assert json.loads(capsys.readouterr().out)["temperature"] != 1.0


def test_calibrate_json_reports_the_fit_and_the_offsets(fer_slice_zip, tmp_path, capsys):
    """Scripts read what calibrate fitted without parsing the sentence it prints (the default on real faces)."""
    from ferkit.models.meta import read_meta
    from ferkit.models.shipped import resolve_weights

    ckpt = shutil.copy(resolve_weights("default"), tmp_path / "m.safetensors")
    args = ["calibrate", "--weights", str(ckpt), "--data", str(fer_slice_zip), "--json"]
    assert main(args) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["fitted_on"].endswith(":val") and "class_bias" not in plain
    assert plain["temperature"] == read_meta(ckpt)["temperature"] and plain["nll_after"] <= plain["nll_before"]
    assert main([*args, "--recall-floor", "fear=0.7"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["recall_before"]["fear"] < 0.7 <= res["recall_after"]["fear"]
    assert res["class_bias"] == read_meta(ckpt)["class_bias"] and res["class_bias"][2] > 0
    assert main([*args[:-1], "--small-faces", "24,16"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "faces 16 px wide: accuracy" in out and "faces 24 px wide" in out
    assert read_meta(ckpt)["small_faces"]["widths"] == [16, 24]
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--small-faces", "16,48"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "'16,48': each width must be in [8, 47], got 48" in err and err.count("\n") == 1


def test_evaluate_at_a_lower_resolution_reads_small_faces_worse(fer_slice_zip, tmp_path, capsys):
    def accuracy(*more: str) -> dict:
        argv = ["evaluate", "--data", str(fer_slice_zip), "--split", "val", "--json", "--out", str(tmp_path), *more]
        assert main(argv) == 0
        return json.loads(capsys.readouterr().out)

    full, tiny = accuracy(), accuracy("--resolution", "8")
    assert full["resolution"] is None and tiny["resolution"] == 8 and tiny["n"] == full["n"] > 0
    assert tiny["accuracy"] < full["accuracy"] - 0.15
