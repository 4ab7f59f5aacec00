"""The ferkit command, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from ferkit.cli import main


def test_data_report_json_and_grid(fer_slice_zip, tmp_path, capsys):
    assert main(["data", "report", str(fer_slice_zip), "--json", "--grid", str(tmp_path / "g.png")]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["total"] == 630 and rep["counts"]["val"]["disgust"] == 30
    assert rep["imbalance_ratio"] == 1.0 and "groups_across_splits" in rep["duplicates"]
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_data_report_on_full_fer2013_finds_its_quirks(fer_zip, capsys):
    assert main(["data", "report", str(fer_zip), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    d = rep["duplicates"]
    assert d["groups_across_splits"] > 100 and d["groups_with_conflicting_labels"] > 10
    assert rep["blank_images"]["count"] >= 1 and 15 < rep["imbalance_ratio"] < 18


def test_train_then_evaluate_from_the_command_line(fer_slice_zip, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(fer_slice_zip), "--out", str(out), "--model", "cnn", "--model-args",
                 '{"width": 8}', "--epochs", "1", "--batch-size", "32", "--no-nesterov"]) == 0
    assert json.loads((out / "config.json").read_text())["nesterov"] is False
    capsys.readouterr()
    assert main(["evaluate", "--weights", str(out), "--data", str(fer_slice_zip), "--split", "val", "--json",
                 "--out", str(tmp_path / "ev")]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep == json.loads((tmp_path / "ev" / "report.json").read_text())
    assert rep["n"] == 210 and rep["split"] == "val"


def test_errors_are_one_line_with_nonzero_exit(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("emotion,pixels,Usage\n3,1 2 3,Training\n")
    proc = subprocess.run([sys.executable, "-m", "ferkit.cli", "data", "report", str(bad)], capture_output=True,
                          text=True)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{bad}:2: expected a square image's pixel count" in lines[0]
    proc = subprocess.run([sys.executable, "-m", "ferkit.cli", "evaluate", "--weights", "nope.safetensors",
                           "--data", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2 and "nope.safetensors: no such checkpoint" in proc.stderr


def test_models_lists_architectures_and_shipped(capsys):
    assert main(["models", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "resnet18" in out["architectures"] and "default" in out["shipped"]
    assert out["shipped"]["default"]["metrics"]["test_acc"] > 0.62


def test_bench_reports_every_measure(capsys):
    """The benchmark runs end to end (its numbers go to docs/benchmarks.md, not into assertions)."""
    assert main(["bench", "--quick", "--json", "--backend", "torch,onnx"]) == 0
    res = json.loads(capsys.readouterr().out)
    for backend in ("torch", "onnx"):
        r = res["backends"][backend]
        assert r["faces_in_photo"] == 1 and r["video_frames_with_faces"] == 20
        assert all(r[k] > 0 for k in ("faces_per_s_batch1", "faces_per_s_batch256", "photo_ms", "video_fps"))
