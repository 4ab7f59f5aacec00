"""scripts/: gpu_flagship.sh rehearsed on the CPU with a tiny run (so a lent GPU's minutes go to training), and
choose_ensemble.py and compare_runs.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); the GPU script needs it")

from ferkit.data.dataset import load_dataset  # noqa: E402
from ferkit.data.pack import write_pack  # noqa: E402
from ferkit.models.checkpoint import load_checkpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_flagship.sh"


def _run(tmp_path: Path, pack: Path, seeds: str, **more: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "OUT": str(tmp_path / "out"),
        "RUNS": str(tmp_path / "runs"),
        "PACK": str(pack),
        "SEEDS": seeds,
        "DEVICE": "cpu",
        "PYTHON": sys.executable,
        # The flagship recipe itself (configs/flagship.toml), cut down to seconds: a narrow VGG, 2 epochs.
        "EXTRA": '--epochs 2 --batch-size 32 --model-args {"width":8} --threads 1',
        **more,
    }
    return subprocess.run(["sh", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_flagship_script_brings_back_half_precision_checkpoints_logs_and_a_student(fer_slice_zip, tmp_path):
    pack = write_pack(load_dataset(fer_slice_zip), tmp_path / "fer.npz.xz")
    student = {"STUDENT": "configs/flagship-student.toml", "EXTRA_STUDENT": "--epochs 2 --batch-size 32 --threads 1"}
    proc = _run(tmp_path, pack, "0 1", **student)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "flagship-logs.tgz",
        "flagship-seed0.safetensors",
        "flagship-seed1.safetensors",
        "flagship-student.safetensors",
    ]  # within the device tool's 8 files
    taught = load_checkpoint(out / "flagship-student.safetensors").meta["train"]["config"]
    assert taught["model"] == "resnet-compact" and taught["weights_dtype"] == "float32"
    assert [Path(t).parent.name for t in taught["teacher"].split(",")] == ["flagship-seed0", "flagship-seed1"]
    ckpts = [load_checkpoint(out / f"flagship-seed{s}.safetensors") for s in (0, 1)]
    for seed, ckpt in enumerate(ckpts):
        cfg = ckpt.meta["train"]["config"]
        assert (ckpt.meta["model"], cfg["seed"], cfg["weights_dtype"]) == ("vgg", seed, "float16")
        assert cfg["channels_last"] and cfg["amp"] and cfg["drop_duplicates"] == "all"
    with tarfile.open(out / "flagship-logs.tgz") as tar:
        names = set(tar.getnames())
    assert {"./flagship-seed0.log", "./flagship-seed1/metrics.csv", "./flagship-seed1/config.json"} <= names
    assert not any("state" in n or n.endswith(".safetensors") for n in names)


def test_flagship_script_fails_loudly_on_a_missing_pack(tmp_path):
    proc = _run(tmp_path, tmp_path / "absent.npz.xz", "0")
    assert proc.returncode != 0
    assert "absent.npz.xz: no such file or directory" in proc.stderr


def test_choose_ensemble_scores_every_subset_on_the_validation_split(tiny_ckpt, synthetic_dir, tmp_path):
    import shutil

    second = tmp_path / "second.safetensors"
    shutil.copy(tiny_ckpt, second)
    cmd = [sys.executable, str(ROOT / "scripts" / "choose_ensemble.py"), str(tiny_ckpt), str(second)]
    proc = subprocess.run([*cmd, "--data", str(synthetic_dir)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("validation accuracy (one view,")
    rows = [line.split() for line in lines[1:]]
    assert len(rows) == 3  # {a}, {b}, {a, b}
    # Identical members: every subset scores the same, and the ties list the smaller subsets first.
    assert len({acc for acc, _ in rows}) == 1 and float(rows[0][0]) > 0.5
    assert rows[-1][1] == f"{tiny_ckpt},{second}"


def test_compare_runs_pairs_two_models_on_one_split(tiny_ckpt, synthetic_dir):
    cmd = [sys.executable, str(ROOT / "scripts" / "compare_runs.py"), str(tiny_ckpt), f"{tiny_ckpt},{tiny_ckpt}"]
    proc = subprocess.run([*cmd, "--data", str(synthetic_dir), "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    cmp = json.loads(proc.stdout)
    # A model against an ensemble of two copies of itself: the same predictions, so no evidence either way.
    assert cmp["split"] == "val" and cmp["n"] > 0 and cmp["accuracy_a"] == cmp["accuracy_b"] > 0.5
    assert (cmp["only_a_right"], cmp["only_b_right"], cmp["mcnemar_p"]) == (0, 0, 1.0)
    text = subprocess.run([*cmd, "--data", str(synthetic_dir)], capture_output=True, text=True, timeout=300)
    assert "A - B = +0.00 points" in text.stdout and "McNemar p = 1.000" in text.stdout
    bad = subprocess.run(
        [*cmd[:2], "absent.safetensors", str(tiny_ckpt), "--data", str(synthetic_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1  # one line, no traceback
    assert "absent.safetensors: no such checkpoint file" in bad.stderr
    # A 3-class preset against a 7-class model is scored on fewer faces: refused, not silently mispaired.
    mixed = subprocess.run(
        [*cmd[:2], "default", "default-3class", "--data", str(synthetic_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert mixed.returncode == 2 and "not scored on the same faces" in mixed.stderr
