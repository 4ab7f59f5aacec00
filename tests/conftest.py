"""Shared fixtures: slices of the real FER2013 (skipped clearly where it is absent) in every layout."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ferkit.labels import FER2013_INT_LABELS

FER2013 = Path(os.environ.get("FERKIT_FER2013", Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
                              / "fer2013.zip")).resolve()
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
    from ferkit.datasets import load_dataset

    return load_dataset(fer_zip)


def _slice_members(zip_path: Path, per_class: dict[str, int], seed: int = 0) -> list[str]:
    """File names in the zip: ``per_class[split]`` images of each class and split, chosen at random."""
    with zipfile.ZipFile(zip_path) as zf:
        names = [n for n in zf.namelist() if n.endswith(".jpg")]
    rng = np.random.default_rng(seed)
    chosen = []
    for split, k in per_class.items():
        for cls in sorted({n.split("/")[1] for n in names}):
            pool = sorted(n for n in names if n.split("/")[1] == cls and n.split("/")[2].startswith(PREFIX[split] + "_"))
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
