"""Inference on real photos in every format and mode, videos, bad input, and the ONNX backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ferkit.bench import frame_640x480, sample_photo
from ferkit.imageio import ImageError, load_image
from ferkit.predictor import Recognizer
from ferkit.video import Tracker, process_video

# Grace Hopper's face in matplotlib's sample photo (512x600), found by eye: x 150-380, y 100-330.
HOPPER_FACE = (150, 100, 230, 230)


def _iou(a, b) -> float:
    from ferkit.video import iou

    return iou(tuple(a), tuple(b))


@pytest.fixture(scope="module")
def rec() -> Recognizer:
    return Recognizer.from_pretrained()


@pytest.fixture(scope="module")
def hopper() -> np.ndarray:
    return load_image(sample_photo())


@pytest.fixture(scope="module")
def photo_dir(hopper, tmp_path_factory) -> Path:
    """The same real photo in many formats and modes, plus a photo with no face."""
    d = tmp_path_factory.mktemp("photos")
    im = Image.fromarray(hopper)
    im.save(d / "rgb.jpg", quality=92)
    im.convert("L").save(d / "gray.png")
    rgba = im.convert("RGBA")
    rgba.putalpha(200)
    rgba.save(d / "rgba.png")
    im.save(d / "photo.webp")
    im.save(d / "photo.bmp")
    im.save(d / "photo.tiff")
    Image.fromarray((np.asarray(im.convert("L")).astype(np.uint16) * 257)).save(d / "gray16.png")
    # Stored rotated 90° with an EXIF tag that says "rotate back": must be read upright.
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    im.transpose(Image.Transpose.ROTATE_90).save(d / "exif_rotated.jpg", exif=exif)
    (d / "nested").mkdir()
    im.resize((256, 300)).save(d / "nested" / "small.jpg")
    Image.fromarray(hopper[380:]).save(d / "no_face.png")  # the same photo below the face: uniform, medals
    return d


def test_default_model_finds_grace_hopper(rec, hopper):
    faces = rec.predict(hopper)
    assert len(faces) == 1
    f = faces[0]
    assert _iou(f.box, HOPPER_FACE) > 0.5
    assert abs(sum(f.probs.values()) - 1) < 1e-4 and set(f.probs) == set(rec.classes)
    assert f.label == max(f.probs, key=f.probs.get) and f.detector_score > 0


@pytest.mark.parametrize("name", ["rgb.jpg", "gray.png", "rgba.png", "photo.webp", "photo.bmp", "photo.tiff",
                                  "gray16.png", "exif_rotated.jpg"])
def test_every_format_and_mode(rec, photo_dir, hopper, name):
    img = load_image(photo_dir / name)
    assert img.dtype == np.uint8 and img.shape == hopper.shape  # EXIF rotation undone
    faces = rec.predict(photo_dir / name)
    assert len(faces) == 1 and _iou(faces[0].box, HOPPER_FACE) > 0.5
    ref = rec.predict(hopper)[0]
    # Same face, nearly the same probabilities whatever the file's format and mode.
    assert max(abs(faces[0].probs[c] - ref.probs[c]) for c in rec.classes) < 0.15


def test_predict_faces_matches_evaluation_preprocessing(rec, fer_slice_zip):
    """Crops through the inference API give the same probabilities as `ferkit evaluate`."""
    from ferkit.datasets import load_dataset
    from ferkit.evaluate import evaluate

    data = load_dataset(fer_slice_zip).split("test")
    np.testing.assert_allclose(rec.predict_faces(data.images), evaluate(rec.checkpoint, data).probs, atol=1e-5)


def test_onnx_backend_matches_torch(rec, hopper, tmp_path, fer_slice_zip):
    from ferkit.cli import main
    from ferkit.datasets import load_dataset

    onnx_rec = Recognizer.from_pretrained(backend="onnx")
    crops = load_dataset(fer_slice_zip).split("val").images
    np.testing.assert_allclose(onnx_rec.predict_faces(crops), rec.predict_faces(crops), atol=1e-4)
    assert onnx_rec.predict(hopper)[0].label == rec.predict(hopper)[0].label
    assert main(["export", "--out", str(tmp_path / "m.onnx")]) == 0
    import onnx

    model = onnx.load(str(tmp_path / "m.onnx"))
    meta = json.loads({p.key: p.value for p in model.metadata_props}["ferkit"])
    assert meta["classes"] == list(rec.classes)


def test_no_detect_on_fer_crops(fer_slice_dir):
    crops = sorted(fer_slice_dir.glob("test/happy/*.jpg"))[:5]
    rec = Recognizer.from_pretrained(detector="none")
    faces = [rec.predict(p) for p in crops]
    assert all(len(f) == 1 and f[0].box == (0, 0, 48, 48) for f in faces)
    assert sum(f[0].label == "happy" for f in faces) >= 3


def _write_video(path: Path, frame: np.ndarray, n: int = 40, fps: int = 20) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frame.shape[1], frame.shape[0]))
    for i in range(n):
        m = np.float32([[1, 0, 6 * np.sin(i / 6)], [0, 1, 0]])
        writer.write(cv2.cvtColor(cv2.warpAffine(frame, m, (frame.shape[1], frame.shape[0]),
                                                 borderMode=cv2.BORDER_REPLICATE), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_video_tracks_and_smooths(rec, hopper, tmp_path):
    video = _write_video(tmp_path / "clip.mp4", frame_640x480(hopper))
    res = process_video(rec, video, annotate_to=tmp_path / "ann.mp4", smoothing=0.6)
    assert res.summary["frames_sampled"] == 40 and res.summary["frames_with_faces"] >= 36
    assert {r["track_id"] for r in res.rows} == {1}  # one face, one stable id
    times = [r["time_s"] for r in res.rows]
    assert times == sorted(times) and times[-1] == pytest.approx(39 / 20)
    cap = cv2.VideoCapture(str(tmp_path / "ann.mp4"))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 40
    half = process_video(rec, video, sample_fps=10)
    assert half.summary["frames_sampled"] == 20 and half.rows[1]["frame"] - half.rows[0]["frame"] == 2


def test_tracker_smoothing_stops_flicker():
    t = Tracker(smoothing=0.6)
    a, b = np.array([[0.6, 0.4]]), np.array([[0.45, 0.55]])
    raw = [a if i % 3 else b for i in range(1, 31)]  # a true expression, misread every third frame
    labels = [int(t.update([(10, 10, 50, 50)], p)[0][1].argmax()) for p in raw]
    assert {int(p.argmax()) for p in raw} == {0, 1} and set(labels) == {0}
    ids = [t.update([(12, 10, 50, 50), (200, 200, 40, 40)], np.vstack([a, b]))[k][0] for k in (0, 1)]
    assert ids[0] == 1 and ids[1] == 2


# --------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def bad_dir(hopper, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    (d / "not_an_image.jpg").write_text("this is text, not a JPEG")
    (d / "empty.png").write_bytes(b"")
    full = (d / "t.jpg")
    Image.fromarray(hopper).save(full)
    (d / "truncated.jpg").write_bytes(full.read_bytes()[:3000])
    full.unlink()
    Image.new("1", (12000, 12000)).save(d / "bomb.png")  # 144 MP in a few kB
    (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 garbage")
    return d


@pytest.mark.parametrize("name,message", [
    ("not_an_image.jpg", "not an image"), ("empty.png", "empty file"), ("truncated.jpg", "truncated"),
    ("bomb.png", "too large to decode safely"), ("missing.jpg", "no such file"),
])
def test_bad_images_raise_clear_errors(bad_dir, name, message):
    with pytest.raises(ImageError, match=message) as exc:
        load_image(bad_dir / name)
    assert str(bad_dir / name) in str(exc.value)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ferkit.cli", *args], capture_output=True, text=True)


def test_batch_goes_on_past_bad_inputs_and_reports(photo_dir, bad_dir, hopper, tmp_path):
    _write_video(photo_dir / "clip.mp4", frame_640x480(hopper), n=10)
    out = tmp_path / "res.json"
    proc = _cli("predict", str(photo_dir), str(bad_dir), "--json", str(out), "--csv", str(tmp_path / "res.csv"),
                "--annotate", str(tmp_path / "ann"))
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
    rows = (tmp_path / "res.csv").read_text().splitlines()
    assert rows[0].startswith("path,kind,status,error,frame") and len(rows) > 16
    annotated = sorted(p.name for p in (tmp_path / "ann").iterdir())
    assert "photo_dir0__rgb.annotated.jpg" in " ".join(annotated) or any("rgb.annotated" in a for a in annotated)
    assert any(a.endswith(".timeline.png") for a in annotated) and any(a.endswith(".annotated.mp4") for a in annotated)


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
