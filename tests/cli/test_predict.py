"""``ferkit predict`` and ``ferkit webcam`` as a user runs them: real photos, folders, videos, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ferkit.inference.bench import frame_640x480

from ..conftest import write_video


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ferkit.cli", *args], capture_output=True, text=True)


def test_batch_goes_on_past_bad_inputs_and_reports(photo_dir, bad_dir, hopper, tmp_path):
    write_video(photo_dir / "clip.mp4", frame_640x480(hopper), n=10)
    out, csv, ann = tmp_path / "res.json", tmp_path / "res.csv", tmp_path / "ann"
    proc = _cli(*f"predict {photo_dir} {bad_dir} --json {out} --csv {csv} --annotate {ann}".split())
    assert proc.returncode == 1  # something failed
    results = {Path(r["path"]).name: r for r in json.loads(out.read_text())}
    assert len(results) == 16
    for name in ("rgb.jpg", "gray.png", "photo.webp", "exif_rotated.jpg", "small.jpg"):
        assert results[name]["status"] == "ok" and len(results[name]["faces"]) == 1
    assert results["no_face.png"]["status"] == "no_face"
    for name in ("not_an_image.jpg", "empty.png", "truncated.jpg", "bomb.png", "broken.mp4"):
        assert results[name]["status"] == "error" and name in results[name]["error"]
    assert results["clip.mp4"]["status"] == "ok" and results["clip.mp4"]["summary"]["frames_sampled"] == 10
    assert "16 input(s): 10 with faces, 1 without, 5 failed" in proc.stderr
    rows = csv.read_text().splitlines()
    assert rows[0].startswith("path,kind,status,error,frame") and len(rows) > 16
    annotated = sorted(p.name for p in ann.iterdir())
    assert "photo_dir0__rgb.annotated.jpg" in " ".join(annotated) or any("rgb.annotated" in a for a in annotated)
    assert any(a.endswith(".timeline.png") for a in annotated) and any(
        a.endswith((".annotated.mp4", ".annotated.webm")) for a in annotated
    )


def test_single_bad_input_exits_nonzero_with_one_line(bad_dir):
    proc = _cli("predict", str(bad_dir / "truncated.jpg"))
    assert proc.returncode == 1
    problem = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(problem) == 1 and "truncated.jpg" in problem[0]


def test_single_good_input_json_to_stdout(photo_dir):
    proc = _cli("predict", str(photo_dir / "rgb.jpg"), "--json")
    assert proc.returncode == 0
    (result,) = json.loads(proc.stdout)
    assert result["status"] == "ok" and result["faces"][0]["label"] in result["faces"][0]["probs"]


def test_webcam_without_camera_fails_clearly():
    proc = _cli("webcam", "--camera", "97", "--max-frames", "1", "--no-window")
    assert proc.returncode == 2 and "camera 97: cannot be opened" in proc.stderr


def test_no_detect_on_synthetic_crops_with_an_onnx_file(tiny_onnx, synthetic_dir, tmp_path):
    sad, csv = synthetic_dir / "test" / "sad", tmp_path / "r.csv"
    proc = _cli(*f"predict {sad} --no-detect --weights {tiny_onnx} --csv {csv}".split())
    assert proc.returncode == 0 and "20 input(s): 20 with faces" in proc.stderr
    import pandas as pd

    df = pd.read_csv(csv)
    assert len(df) == 20 and (df["label"] == "sad").mean() > 0.8


def test_align_choices_match_and_an_unknown_detector_is_one_line(photo_dir, capsys):
    from ferkit.cli.main import main
    from ferkit.cli.predict import ALIGNS
    from ferkit.faces.align import ALIGN_MODES

    assert set(ALIGNS) == set(ALIGN_MODES)
    assert main(["predict", str(photo_dir / "rgb.jpg"), "--detector", "dlib"]) == 2
    assert "unknown detector 'dlib'; choose yunet, none" in capsys.readouterr().err


def test_three_classes_at_prediction_time(photo_dir, tmp_path):
    import pandas as pd

    csv = tmp_path / "r.csv"
    proc = _cli(*f"predict {photo_dir / 'rgb.jpg'} --classes sad,happy,neutral --csv {csv}".split())
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(csv)
    columns = ["p_happy", "p_neutral", "p_sad"]
    assert [c for c in df.columns if c.startswith("p_")] == columns
    assert abs(df[columns].sum(axis=1).iloc[0] - 1) < 1e-3 and df["label"].iloc[0] in {"happy", "neutral", "sad"}
