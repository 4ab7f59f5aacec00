"""The entry point: errors are one line with a non-zero exit; --help is fast and imports no torch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ferkit.cli.main import build_parser


def test_errors_are_one_line_with_nonzero_exit(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("emotion,pixels,Usage\n3,1 2 3,Training\n")
    proc = subprocess.run(
        [sys.executable, "-m", "ferkit.cli", "data", "report", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{bad}:2: expected a square image's pixel count" in lines[0]
    proc = subprocess.run(
        [sys.executable, "-m", "ferkit.cli", "predict", "x.jpg", "--weights", "nope.safetensors"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "nope.safetensors: no such checkpoint" in proc.stderr


def test_help_lists_every_command_without_heavy_imports():
    code = (
        "import sys\nfrom ferkit.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'matplotlib', 'optuna', 'onnxruntime', 'cv2', 'fastapi') "
        "if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().endswith("[]"), proc.stdout
    for (
        command
    ) in "data train finetune tune evaluate benchmark calibrate predict webcam export bench serve models".split():
        assert command in proc.stdout


def test_parser_defaults_run_onnx():
    args = build_parser().parse_args(["predict", "a.jpg"])
    assert args.backend == "onnx" and args.weights == "default"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["predict", "a.jpg", "--backend", "tf"])


def test_brackets_in_messages_survive(tmp_path):
    odd = tmp_path / "[x]" / "a.jpg"
    proc = subprocess.run([sys.executable, "-m", "ferkit.cli", "predict", str(odd)], capture_output=True, text=True)
    assert proc.returncode == 1 and f"{odd}: no such file" in proc.stderr


def test_bare_command_prints_help_and_version_is_there():
    bare = subprocess.run([sys.executable, "-m", "ferkit.cli"], capture_output=True, text=True)
    assert bare.returncode == 0 and "usage: ferkit" in bare.stdout and "predict" in bare.stdout and not bare.stderr
    from ferkit import __version__

    version = subprocess.run([sys.executable, "-m", "ferkit.cli", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.strip() == f"ferkit {__version__}"


def test_help_never_shows_an_empty_default():
    text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert "(default )" not in text and "(default none)" in text


def test_models_table_fits_80_columns():
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run([sys.executable, "-m", "ferkit.cli", "models"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and max(len(line) for line in proc.stdout.splitlines()) <= 80
    assert "…" not in proc.stdout  # nothing cut short
