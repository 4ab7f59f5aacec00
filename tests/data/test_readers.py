"""The readers: every container gives the same images; bad rows and files are named or skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ferkit.data.dataset import DataError, load_dataset
from ferkit.data.readers import decode_gray
from ferkit.labels import CLASSES

from ..conftest import jpeg_bytes, write_challenge_csv

SLICE_COUNTS = {c: 30 for c in CLASSES}


@pytest.mark.parametrize("form", ["dir", "zip", "csv"])
def test_every_form_reads_the_same_images(form, fer_slice_dir, fer_slice_zip, fer_slice_csv):
    path = {"dir": fer_slice_dir, "zip": fer_slice_zip, "csv": fer_slice_csv}[form]
    data = load_dataset(path, cache=False)
    assert data.counts() == {"train": SLICE_COUNTS, "val": SLICE_COUNTS, "test": SLICE_COUNTS}
    ref = load_dataset(fer_slice_dir, cache=False)
    # Same pixels whatever the container (the CSV was written from the decoded JPEGs).
    order = np.lexsort((ref.labels, ref.splits))
    order2 = np.lexsort((data.labels, data.splits))
    assert sorted(map(bytes, ref.images[order])) == sorted(map(bytes, data.images[order2]))


def _real_face(fer_slice_dir: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(next(fer_slice_dir.rglob("*.jpg"))).convert("L"))


def test_csv_bad_rows_named_or_skipped(fer_slice_dir, tmp_path):
    face = _real_face(fer_slice_dir)
    path = write_challenge_csv(
        tmp_path / "bad.csv", [(3, face, "Training"), (4, face[:40], "Training"), (5, face, "PublicTest")]
    )
    with open(path, "a") as fh:
        fh.write("9," + " ".join(["1"] * 2304) + ",Training\n")  # emotion out of range
        fh.write("2,12 abc 7,Training\n")  # not numbers
    with pytest.raises(DataError, match=r"bad\.csv:3: expected a square image's pixel count .* got 1920"):
        load_dataset(path, cache=False)
    data = load_dataset(path, skip_bad=True, cache=False)
    assert len(data) == 2 and len(data.skipped) == 3
    assert any("bad.csv:5: emotion 9" in s for s in data.skipped)
    assert any("bad.csv:6: pixels are not all whole numbers" in s for s in data.skipped)


def test_csv_without_header_is_rejected(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("0,1 2 3 4,Training\n")
    with pytest.raises(DataError, match="noheader.csv: expected a header with 'emotion' and 'pixels'"):
        load_dataset(path, cache=False)


def test_unreadable_image_and_unknown_class(fer_slice_dir, tmp_path):
    shutil.copytree(fer_slice_dir, tmp_path / "d")
    (tmp_path / "d" / "train" / "happy" / "Training_broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match=r"train/happy/Training_broken\.jpg: unreadable image"):
        load_dataset(tmp_path / "d", cache=False)
    (tmp_path / "d" / "train" / "happy" / "Training_broken.jpg").unlink()
    (tmp_path / "d" / "train" / "contempt").mkdir()
    (tmp_path / "d" / "train" / "contempt" / "Training_1.jpg").write_bytes(jpeg_bytes(_real_face(fer_slice_dir)))
    with pytest.raises(DataError, match="unknown class folder 'contempt'"):
        load_dataset(tmp_path / "d", cache=False)
    data = load_dataset(tmp_path / "d", skip_bad=True, cache=False)
    assert len(data) == 630 and len(data.skipped) == 1


def test_missing_and_unsupported_paths(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "nope.zip")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DataError, match="unsupported dataset"):
        load_dataset(tmp_path / "x.txt")
    (tmp_path / "bad.zip").write_bytes(b"PK no zip")
    with pytest.raises(DataError, match="bad.zip: not a readable zip"):
        load_dataset(tmp_path / "bad.zip", cache=False)


def test_decode_gray_honours_16_bit_and_resizes(tmp_path):
    from PIL import Image

    ramp = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "r16.png")
    out = decode_gray((tmp_path / "r16.png").read_bytes(), 48)
    assert out.shape == (48, 48) and out.dtype == np.uint8 and out.max() > 200


def test_synthetic_csv_and_folders_agree(synthetic_dir, tmp_path):
    from PIL import Image

    from ferkit.labels import FER2013_INT_LABELS

    rows = [
        (FER2013_INT_LABELS.index(p.parent.name), np.asarray(Image.open(p)), p.name.split("_")[0])
        for p in sorted(synthetic_dir.rglob("*.png"))
    ]
    csv_data = load_dataset(write_challenge_csv(tmp_path / "s.csv", rows), cache=False)
    tree = load_dataset(synthetic_dir, cache=False)
    assert csv_data.counts() == tree.counts()
    assert sorted(map(bytes, csv_data.images)) == sorted(map(bytes, tree.images))
