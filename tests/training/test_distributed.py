"""A real 2-process data-parallel training on CPU (PyTorch DDP over gloo, started by torchrun)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

from ferkit.models.checkpoint import load_checkpoint  # noqa: E402


def test_torchrun_two_ranks_agree_and_write_once(synthetic_dir, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    train = f"-m ferkit.cli train --data {synthetic_dir} --out {out} --model cnn --epochs 2 --batch-size 16 --threads 1"
    cmd = [*torchrun, *train.split(), "--model-args", '{"width": 8}']
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    sums = dict(re.findall(r"rank (\d)/2 finished; parameter checksum (\S+)", proc.stderr))
    assert set(sums) == {"0", "1"} and sums["0"] == sums["1"], proc.stderr[-2000:]
    # One run directory, written by rank 0 only: one config, one metrics row per epoch.
    assert json.loads((out / "config.json").read_text())["epochs"] == 2
    assert len((out / "metrics.csv").read_text().strip().splitlines()) == 3
    files = "best.safetensors config.json curves.png metrics.csv state summary.json"
    assert sorted(p.name for p in out.iterdir()) == files.split()
    assert proc.stderr.count("epoch 1/2") == 2  # both ranks trained and logged
    # 210 train images, batch 16 per rank x 2 ranks: 6 steps per epoch, each over 32 images.
    assert json.loads((out / "state" / "last.json").read_text())["history"][0]["images_per_s"] > 0
    load_checkpoint(out)
