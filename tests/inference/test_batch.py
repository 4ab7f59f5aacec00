"""Batch prediction: streaming output, resume after an interruption, chunks through one network batch."""

from __future__ import annotations

import csv
import json

import pytest

from ferkit.cli import main
from ferkit.inference.batch import BatchJob, iter_inputs, predict_paths
from ferkit.inference.pipeline import Recognizer

from ..conftest import nested_copy


@pytest.fixture()
def crops(fer_slice_dir, tmp_path):
    """60 real FER2013 face crops in nested folders."""
    return nested_copy(sorted(fer_slice_dir.glob("test/*/*.jpg"))[:60], tmp_path / "crops")


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


def test_chunks_share_one_network_call_and_keep_order(tiny_onnx, synthetic_dir, monkeypatch):
    rec = Recognizer.from_pretrained(tiny_onnx, detector="none")
    calls = []
    real = Recognizer.predict_faces
    monkeypatch.setattr(Recognizer, "predict_faces", lambda self, f, *w: calls.append(len(f)) or real(self, f, *w))
    paths = list(iter_inputs([synthetic_dir / "test"]))
    results = list(predict_paths(rec, paths, chunk=32))
    assert [r.path for r in results] == [str(p) for p in paths] and calls == [32, 32, 32, 32, 12]


def test_job_counts_and_refuses_to_mix_runs(tiny_onnx, synthetic_dir, tmp_path):
    (tmp_path / "bad.png").write_bytes(b"no")
    job = BatchJob([str(synthetic_dir / "test" / "happy"), str(tmp_path / "bad.png")], jsonl=str(tmp_path / "r.jsonl"))
    results = list(job.run({"weights": str(tiny_onnx), "detector": "none"}))
    assert job.total == 21 and len(results) == 21 and job.counts == {"ok": 20, "no_face": 0, "error": 1}
    with pytest.raises(FileExistsError, match="add --resume"):
        BatchJob([str(synthetic_dir)], jsonl=str(tmp_path / "r.jsonl"))
    assert BatchJob([str(synthetic_dir / "test" / "happy")], jsonl=str(tmp_path / "r.jsonl"), resume=True).total == 0
    (tmp_path / "nothing").mkdir()
    with pytest.raises(ValueError, match="no images or videos found"):
        BatchJob([str(tmp_path / "nothing")])


def _predict_args(folder, weights, out, table) -> list[str]:
    return ["predict", str(folder), "--no-detect", "--weights", str(weights), "--jsonl", str(out), "--csv", str(table)]


def _exactly_once(out, table, expected: set[str]) -> None:
    import pandas as pd

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["path"] for r in lines) == sorted(expected)
    rows = pd.read_csv(table)
    assert sorted(rows["path"]) == sorted(expected)  # one face per crop: one row per input


def test_a_crash_between_the_csv_row_and_the_json_line_repeats_nothing(tiny_onnx, synthetic_dir, tmp_path, monkeypatch):
    from ferkit.inference import batch

    folder = synthetic_dir / "test" / "angry"
    out, table = tmp_path / "r.jsonl", tmp_path / "r.csv"
    argv = _predict_args(folder, tiny_onnx, out, table)
    real_write, calls = batch.ResultSink.write, {"n": 0}

    def dies_after_csv(self, result):
        calls["n"] += 1
        if calls["n"] == 7:  # the 7th input's CSV rows are written, then the process dies before its JSON line
            self.csv_writer.writerows(batch.face_rows(result.to_dict()))
            self.csv.flush()
            raise KeyboardInterrupt
        real_write(self, result)

    monkeypatch.setattr(batch.ResultSink, "write", dies_after_csv)
    assert main(argv) == 130
    monkeypatch.setattr(batch.ResultSink, "write", real_write)
    with open(table, "a") as fh:
        fh.write(str(folder / "torn"))  # and a row torn mid-write
    assert main(argv) == 2  # neither file is mixed into without --resume
    assert main(argv + ["--resume"]) == 0
    _exactly_once(out, table, {str(p) for p in folder.glob("*.png")})


def test_kill_9_at_random_moments_then_resume(tiny_onnx, synthetic_dir, tmp_path):
    import random
    import shutil
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "crops"  # 1,400 inputs: long enough that kills land mid-run
    for i, p in enumerate(sorted(synthetic_dir.rglob("*.png")) * 4):
        (folder / f"part{i % 7}").mkdir(parents=True, exist_ok=True)
        shutil.copy(p, folder / f"part{i % 7}" / f"{i}.png")
    out, table = tmp_path / "r.jsonl", tmp_path / "r.csv"
    cmd = [sys.executable, "-m", "ferkit.cli", *_predict_args(folder, tiny_onnx, out, table)]
    total, rng, kills = 1400, random.Random(0), 0
    for attempt in range(6):  # five runs killed at random points of progress, then one left to finish
        done = len(out.read_text().splitlines()) if out.exists() else 0
        target = rng.randint(done + 1, total - 1) if attempt < 5 and done < total - 1 else None
        proc = subprocess.Popen(
            cmd + (["--resume"] if attempt else []), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while target is not None and proc.poll() is None:
            if out.exists() and len(out.read_bytes().splitlines()) >= target:
                time.sleep(rng.uniform(0, 0.05))  # somewhere inside the next chunk's writes
                proc.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.002)
        if proc.wait() == 0:
            break
    assert kills >= 1 and proc.returncode == 0
    _exactly_once(out, table, {str(p) for p in folder.rglob("*.png")})
