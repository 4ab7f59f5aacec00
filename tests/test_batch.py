"""Batch prediction at scale: streaming output, resume after an interruption, Ray."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from ferkit.predictor import Recognizer
from ferkit.cli import main


@pytest.fixture()
def crops(fer_slice_dir, tmp_path):
    """60 real FER2013 face crops in nested folders."""
    root = tmp_path / "crops"
    for i, p in enumerate(sorted(fer_slice_dir.glob("test/*/*.jpg"))[:60]):
        dest = root / f"part{i % 3}" / p.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    return root


def test_interrupted_run_resumes_without_loss_or_repeats(crops, tmp_path, monkeypatch, capsys):
    out, table = tmp_path / "res.jsonl", tmp_path / "res.csv"
    argv = ["predict", str(crops), "--no-detect", "--jsonl", str(out), "--csv", str(table)]
    real = Recognizer.predict_faces
    calls = {"n": 0}

    def dies_in_second_chunk(self, *a, **k):
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(Recognizer, "predict_faces", dies_in_second_chunk)
    assert main(argv) == 130
    monkeypatch.setattr(Recognizer, "predict_faces", real)
    written = len(out.read_text().splitlines())
    assert 0 < written < 60  # one chunk of images went through before the interrupt
    with open(out, "a") as fh:
        fh.write('{"path": "torn')  # killed in the middle of a write
    assert main(argv) == 2  # refuses to overwrite or mix without --resume
    assert "add --resume" in capsys.readouterr().err
    assert main(argv + ["--resume"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    paths = [r["path"] for r in lines]
    assert len(paths) == 60 and len(set(paths)) == 60
    assert {str(p) for p in crops.rglob("*.jpg")} == set(paths)
    rows = list(csv.DictReader(open(table)))
    assert len(rows) == 60 and len({r["path"] for r in rows}) == 60 and rows[0]["p_happy"]


def test_ray_local_gives_the_same_results(crops, tmp_path):
    pytest.importorskip("ray", reason="Ray not installed; --ray test skipped")
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert main(["predict", str(crops), "--no-detect", "--jsonl", str(local)]) == 0
    assert main(["predict", str(crops), "--no-detect", "--jsonl", str(remote), "--ray", "local"]) == 0
    a = [json.loads(line) for line in local.read_text().splitlines()]
    b = [json.loads(line) for line in remote.read_text().splitlines()]
    assert [r["path"] for r in a] == [r["path"] for r in b]
    assert [r["faces"][0]["label"] for r in a] == [r["faces"][0]["label"] for r in b]
