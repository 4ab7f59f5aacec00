"""scripts/: the GPU plan (gpu_flagship.sh) rehearsed on the CPU with tiny runs (so a lent GPU's minutes go to
training), and choose_ensemble.py and compare_runs.py."""

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


@pytest.fixture(scope="module")
def votes_pack(fer_slice_zip, tmp_path_factory) -> Path:
    """The real slice packed as for a GPU call: FER+ votes inside, training pixels near-lossless."""
    from ferkit.data.ferplus import attach_votes

    data = attach_votes(load_dataset(fer_slice_zip))
    return write_pack(data, tmp_path_factory.mktemp("pack") / "fer.npz.xz", train_quantum=3)


def _run(tmp_path: Path, pack: Path, **more: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "OUT": str(tmp_path / "out"),
        "RUNS": str(tmp_path / "runs"),
        "PACK": str(pack),
        "DEVICE": "cpu",
        "PYTHON": sys.executable,
        "THREADS": "1",
        # The recipes themselves, cut down to seconds: a narrow VGG, 2 epochs (a budget is only a cap).
        "EXTRA": '--epochs 2 --batch-size 32 --model-args {"width":8}',
        "EXTRA_STUDENT": "--epochs 2 --batch-size 32",
        **more,
    }
    script = ROOT / "scripts" / "gpu_flagship.sh"
    return subprocess.run(["sh", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_flagship_script_smokes_then_brings_back_flagships_students_and_logs(votes_pack, tmp_path):
    proc = _run(tmp_path, votes_pack, TOTAL="120", SMOKE="2", SEEDS="0 1", FERPLUS_SEEDS="0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "smoke passed" in proc.stdout and proc.stdout.count("ok ") == 4  # every smoke model read back
    out = tmp_path / "out"
    models = "fer2013-seed0 fer2013-seed1 ferplus-seed0 ferplus-student student".split()
    # Six files: within the eight a GPU call may bring back (the full plan brings back exactly eight).
    assert {p.name for p in out.iterdir()} == {"flagship-logs.tgz", *(f"flagship-{m}.safetensors" for m in models)}
    student = load_checkpoint(out / "flagship-student.safetensors").meta["train"]["config"]
    assert student["model"] == "resnet-compact" and student["weights_dtype"] == "float16"
    assert [Path(t).parent.name for t in student["teacher"].split(",")] == ["fer2013-seed0", "fer2013-seed1"]
    plus = load_checkpoint(out / "flagship-ferplus-student.safetensors")
    assert "contempt" in plus.classes and plus.meta["train"]["config"]["teacher"].endswith(
        "ferplus-seed0/best.safetensors"
    )
    for seed in (0, 1):
        ckpt = load_checkpoint(out / f"flagship-fer2013-seed{seed}.safetensors")
        cfg = ckpt.meta["train"]["config"]
        assert (ckpt.meta["model"], cfg["seed"], cfg["weights_dtype"], cfg["ferplus"]) == ("vgg", seed, "float16", None)
        assert cfg["channels_last"] and cfg["amp"] and cfg["drop_duplicates"] == "all"
    flag_plus = load_checkpoint(out / "flagship-ferplus-seed0.safetensors").meta["train"]["config"]
    assert (flag_plus["label_mode"], flag_plus["label_smoothing"]) == ("crossentropy", 0.0)
    with tarfile.open(out / "flagship-logs.tgz") as tar:
        names = set(tar.getnames())
    logs = "plan.log smoke.txt fer2013-seed0.log ferplus-seed0/metrics.csv student/config.json".split()
    assert {f"./{n}" for n in logs} <= names
    assert not any("state" in n or n.endswith(".safetensors") for n in names)


def test_flagship_script_trains_the_students_it_is_given_and_brings_back_what_it_is_told(votes_pack, tmp_path):
    students = "a configs/flagship-student.toml @fer2013,default\nb configs/flagship-student.toml @fer2013 --seed 1"
    proc = _run(tmp_path, votes_pack, TOTAL="90", SMOKE="0", SEEDS="0", FERPLUS_SEEDS="", BRING="", STUDENTS=students)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["flagship-a.safetensors", "flagship-b.safetensors", "flagship-logs.tgz"]
    a, b = (load_checkpoint(out / f"flagship-{n}.safetensors").meta["train"]["config"] for n in "ab")
    assert a["teacher"].endswith("fer2013-seed0/best.safetensors,default") and a["seed"] == 0
    assert b["teacher"].endswith("fer2013-seed0/best.safetensors") and b["seed"] == 1


def test_flagship_script_trains_students_alone_from_teachers_given_by_path(votes_pack, tiny_ckpt, tmp_path):
    students = f"s configs/flagship-student.toml {tiny_ckpt}"
    proc = _run(tmp_path, votes_pack, TOTAL="60", SMOKE="0", SEEDS="", FERPLUS_SEEDS="", STUDENTS=students)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["flagship-logs.tgz", "flagship-s.safetensors"]
    assert not list((tmp_path / "runs").glob("fer2013-seed*"))  # no flagship trained
    cfg = load_checkpoint(tmp_path / "out" / "flagship-s.safetensors").meta["train"]["config"]
    assert cfg["teacher"] == str(tiny_ckpt)


def test_flagship_script_stops_at_a_failed_smoke_and_returns_its_logs(votes_pack, tmp_path):
    proc = _run(tmp_path, votes_pack, SMOKE="1", EXTRA_STUDENT="--augment wild")
    assert proc.returncode != 0 and "SMOKE FAILED" in proc.stdout
    assert "augment must be one of" in proc.stdout  # the failing log's last lines are printed
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["flagship-logs.tgz"]
    assert not (tmp_path / "runs" / "fer2013-seed0").exists()  # nothing else ran


def test_flagship_script_fails_loudly_on_a_missing_pack(tmp_path):
    proc = _run(tmp_path, tmp_path / "absent.npz.xz", SMOKE="0")
    assert proc.returncode != 0
    assert "absent.npz.xz: no such file or directory" in proc.stderr


def _script(name: str, *args) -> subprocess.CompletedProcess:
    cmd = [sys.executable, ROOT / "scripts" / name, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_choose_ensemble_scores_every_subset_on_the_validation_split(tiny_ckpt, synthetic_dir, tmp_path):
    import shutil

    second = tmp_path / "second.safetensors"
    shutil.copy(tiny_ckpt, second)
    proc = _script("choose_ensemble.py", tiny_ckpt, second, "--data", synthetic_dir)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("validation accuracy (one view,")
    rows = [line.split() for line in lines[1:]]
    assert len(rows) == 3  # {a}, {b}, {a, b}
    # Identical members: every subset scores the same, and the ties list the smaller subsets first.
    assert len({acc for acc, _ in rows}) == 1 and float(rows[0][0]) > 0.5
    assert rows[-1][1] == f"{tiny_ckpt},{second}"


def test_compare_runs_pairs_two_models_on_one_split(tiny_ckpt, synthetic_dir):
    pair = (tiny_ckpt, f"{tiny_ckpt},{tiny_ckpt}", "--data", synthetic_dir)
    proc = _script("compare_runs.py", *pair, "--json")
    assert proc.returncode == 0, proc.stderr
    cmp = json.loads(proc.stdout)
    # A model against an ensemble of two copies of itself: the same predictions, so no evidence either way.
    assert cmp["split"] == "val" and cmp["n"] > 0 and cmp["accuracy_a"] == cmp["accuracy_b"] > 0.5
    assert (cmp["only_a_right"], cmp["only_b_right"], cmp["mcnemar_p"]) == (0, 0, 1.0)
    text = _script("compare_runs.py", *pair)
    assert "A - B = +0.00 points" in text.stdout and "McNemar p = 1.000" in text.stdout
    bad = _script("compare_runs.py", "absent.safetensors", *pair[1:])
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1  # one line, no traceback
    assert "absent.safetensors: no such checkpoint file" in bad.stderr
    # A 3-class preset against a 7-class model is scored on fewer faces: refused, not silently mispaired.
    mixed = _script("compare_runs.py", "default", "default-3class", *pair[2:])
    assert mixed.returncode == 2 and "not scored on the same faces" in mixed.stderr
