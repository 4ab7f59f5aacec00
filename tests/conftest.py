"""Shared fixtures.

Real data where it exists: slices of FER2013 in every layout (skipped with a clear message where
``../shared/datasets/fer2013.zip`` is absent) and a real photo (the Grace Hopper portrait that ships with
matplotlib). And, so every module can be tested anywhere, a small synthetic dataset with learnable classes
and a tiny model trained on it (PyTorch tests skip where torch is not installed).
"""

from __future__ import annotations

import csv
import io
import os
import sys
import zipfile
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ferkit.labels import FER2013_INT_LABELS

FER2013 = Path(
    os.environ.get("FERKIT_FER2013", Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "fer2013.zip")
).resolve()
PREFIX = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never touch the user's cache; the decoded FER2013 is cached once per session."""
    os.environ["FERKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("ferkit-cache"))


@pytest.fixture(scope="session")
def fer_zip() -> Path:
    if not FER2013.is_file():
        pytest.skip(f"FER2013 not found at {FER2013} (set FERKIT_FER2013); real-data tests skipped")
    return FER2013


@pytest.fixture(scope="session")
def fer_data(fer_zip: Path):
    from ferkit.data.dataset import load_dataset

    return load_dataset(fer_zip)


def _slice_members(zip_path: Path, per_class: dict[str, int], seed: int = 0) -> list[str]:
    """File names in the zip: ``per_class[split]`` images of each class and split, chosen at random."""
    with zipfile.ZipFile(zip_path) as zf:
        names = [n for n in zf.namelist() if n.endswith(".jpg")]
    rng = np.random.default_rng(seed)
    chosen = []
    for split, k in per_class.items():
        for cls in sorted({n.split("/")[1] for n in names}):
            pool = sorted(
                n for n in names if n.split("/")[1] == cls and n.split("/")[2].startswith(PREFIX[split] + "_")
            )
            chosen += list(rng.permutation(pool)[:k])
    return sorted(chosen)


@pytest.fixture(scope="session")
def fer_slice_dir(fer_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Kaggle-layout folder (train/<class>/Training_*.jpg, test/<class>/PublicTest_*...) of real images:
    30 per class in each split."""
    root = tmp_path_factory.mktemp("fer-slice")
    with zipfile.ZipFile(fer_zip) as zf:
        for name in _slice_members(fer_zip, {"train": 30, "val": 30, "test": 30}):
            dest = root / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(zf.read(name))
    return root


@pytest.fixture(scope="session")
def fer_slice_zip(fer_slice_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fer-zip") / "slice.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for p in sorted(fer_slice_dir.rglob("*.jpg")):
            zf.write(p, p.relative_to(fer_slice_dir).as_posix())
    return out


def write_challenge_csv(path: Path, rows: list[tuple[int, np.ndarray, str]]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["emotion", "pixels", "Usage"])
        for emotion, img, usage in rows:
            w.writerow([emotion, " ".join(map(str, img.ravel())), usage])
    return path


@pytest.fixture(scope="session")
def fer_slice_csv(fer_slice_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same real slice in the challenge CSV form (emotion,pixels,Usage)."""
    rows = []
    for p in sorted(fer_slice_dir.rglob("*.jpg")):
        img = np.asarray(Image.open(p).convert("L"))
        usage = p.name.split("_")[0]
        rows.append((FER2013_INT_LABELS.index(p.parent.name), img, usage))
    return write_challenge_csv(tmp_path_factory.mktemp("fer-csv") / "fer2013.csv", rows)


def jpeg_bytes(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG")
    return buf.getvalue()


# --------------------------------------------------------------------------- synthetic data, tiny model


def synthetic_face(label: int, rng: np.random.Generator, size: int = 48) -> np.ndarray:
    """A noisy grey grating whose orientation says its class (7 angles over 180°; random phase), so a tiny
    CNN with global pooling learns it in seconds."""
    theta = np.pi * label / 7
    yy, xx = np.mgrid[0:size, 0:size]
    wave = np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / 8 + rng.uniform(0, 2 * np.pi))
    return (128 + 70 * wave + rng.normal(0, 20, (size, size))).clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kaggle-layout folders of synthetic faces: 30 per class in train, 10 in PublicTest and PrivateTest."""
    from ferkit.labels import CLASSES

    root = tmp_path_factory.mktemp("synthetic")
    rng = np.random.default_rng(0)
    for folder, prefix, n in (("train", "Training", 30), ("test", "PublicTest", 10), ("test", "PrivateTest", 10)):
        for k, cls in enumerate(CLASSES):
            d = root / folder / cls
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(synthetic_face(k, rng)).save(d / f"{prefix}_{i}.png")
    return root


#: A width-4 CNN that learns the synthetic classes in 4 epochs of a second each.
TINY_CNN = dict(
    model="cnn", model_args={"width": 4}, epochs=4, batch_size=30, augment="none", lr=0.05, warmup_epochs=0,
    label_smoothing=0.0,
)  # fmt: skip


@pytest.fixture(scope="session")
def tiny_ckpt(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CNN (width 4) trained for 4 epochs on the synthetic data: a real checkpoint in seconds."""
    pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")
    from ferkit.training.config import TrainConfig
    from ferkit.training.loop import train

    out = tmp_path_factory.mktemp("tiny") / "run"
    return train(TrainConfig(data=str(synthetic_dir), out=str(out), **TINY_CNN), progress=False).best_checkpoint


@pytest.fixture(scope="session")
def tiny_onnx(tiny_ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ferkit.export.onnx import export_onnx

    return export_onnx(tiny_ckpt, tmp_path_factory.mktemp("tiny-onnx") / "tiny.onnx")


@pytest.fixture(scope="session")
def hopper() -> np.ndarray:
    """The Grace Hopper portrait (512x600, one face), decoded."""
    from ferkit.data.decode import load_image
    from ferkit.inference.bench import sample_photo

    return load_image(sample_photo())


#: Grace Hopper's face in matplotlib's sample photo (512x600), found by eye: x 150-380, y 100-330.
HOPPER_FACE = (150, 100, 230, 230)


# --------------------------------------------------------------------------- real photos in every form, bad input


#: The photo as ``photo_dir`` holds it in every format and mode, each with the one face.
PHOTO_FILES = "rgb.jpg gray.png rgba.png photo.webp photo.bmp photo.tiff gray16.png exif_rotated.jpg".split()


@pytest.fixture(scope="session")
def photo_dir(hopper, tmp_path_factory: pytest.TempPathFactory) -> Path:
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
    Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257).save(d / "gray16.png")
    # Stored rotated 90° with an EXIF tag that says "rotate back": must be read upright.
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    im.transpose(Image.Transpose.ROTATE_90).save(d / "exif_rotated.jpg", exif=exif)
    (d / "nested").mkdir()
    im.resize((256, 300)).save(d / "nested" / "small.jpg")
    Image.fromarray(hopper[380:]).save(d / "no_face.png")  # the same photo below the face: uniform, medals
    return d


@pytest.fixture(scope="session")
def bad_dir(hopper, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    (d / "not_an_image.jpg").write_text("this is text, not a JPEG")
    (d / "empty.png").write_bytes(b"")
    full = d / "t.jpg"
    Image.fromarray(hopper).save(full)
    (d / "truncated.jpg").write_bytes(full.read_bytes()[:3000])
    full.unlink()
    Image.new("1", (12000, 12000)).save(d / "bomb.png")  # 144 MP in a few kB
    (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 garbage")
    return d


def write_video(path: Path, frame: np.ndarray, n: int = 40, fps: int = 20) -> Path:
    size = (frame.shape[1], frame.shape[0])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(n):  # the frame swaying sideways, as a face in a video does
        m = np.float32([[1, 0, 6 * np.sin(i / 6)], [0, 1, 0]])
        writer.write(cv2.cvtColor(cv2.warpAffine(frame, m, size, borderMode=cv2.BORDER_REPLICATE), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(*args: str, program: Sequence[str] = (sys.executable, "-m", "ferkit.cli")):
    """``ferkit serve ARGS`` as a user starts it, on a free loopback port: the process and its URL once
    ``/healthz`` answers (or a failure with the server's output); stopped on leaving."""
    import subprocess
    import tempfile
    import time
    import urllib.request

    port = free_port()
    # Its log goes to a file, not a pipe: an unread pipe would fill up and stall the server.
    log = tempfile.TemporaryFile(mode="w+")
    argv = [*program, "serve", *args, "--port", str(port)]
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read()) from None
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{' '.join(argv)} did not answer within 30 s")
        yield proc, url
    finally:
        proc.terminate()
        proc.wait(20)


def nested_copy(files, root: Path, parts: int = 3) -> Path:
    """Copy ``files`` into ``root/part0..`` folders, round robin (a folder tree to walk)."""
    import shutil

    for i, p in enumerate(files):
        dest = root / f"part{i % parts}" / p.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    return root
