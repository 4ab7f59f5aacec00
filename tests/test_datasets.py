"""Reading FER2013 in all its forms, splits, subsets, duplicates, caching and bad input."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from ferkit.datasets import DataError, cache_dir, load_dataset
from ferkit.labels import CLASSES, canonical_class, parse_classes

from .conftest import jpeg_bytes, write_challenge_csv

SLICE_COUNTS = {c: 30 for c in CLASSES}


def test_full_fer2013_matches_published_counts(fer_data):
    counts = fer_data.counts()
    assert counts["train"] == {"angry": 3995, "disgust": 436, "fear": 4097, "happy": 7215, "neutral": 4965,
                               "sad": 4830, "surprise": 3171}
    assert sum(counts["val"].values()) == 3589 and sum(counts["test"].values()) == 3589
    assert fer_data.images.shape == (35887, 48, 48) and fer_data.images.dtype == np.uint8


def test_reload_comes_from_cache_quickly(fer_zip, fer_data):
    assert list((cache_dir() / "datasets").glob("*.npz")), "first load must write the cache"
    t = time.perf_counter()
    again = load_dataset(fer_zip)
    assert time.perf_counter() - t < 5.0  # seconds, not minutes (hashing 73 MB + reading the npz)
    assert np.array_equal(again.images, fer_data.images) and np.array_equal(again.labels, fer_data.labels)


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


def test_generic_tree_and_images_layout(fer_slice_dir, tmp_path):
    # images/train|validation/<class>/ with no FER2013 prefixes
    for p in fer_slice_dir.rglob("*.jpg"):
        split = "train" if p.name.startswith("Training") else "validation"
        dest = tmp_path / "images" / split / p.parent.name.capitalize() / p.name.split("_")[1]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    data = load_dataset(tmp_path, cache=False)
    assert sum(data.counts()["train"].values()) == 210
    assert sum(data.counts()["val"].values()) == 420
    assert "test" not in data.counts()


def test_missing_val_is_carved_stratified_and_seeded(fer_slice_dir, tmp_path):
    for p in fer_slice_dir.rglob("Training_*.jpg"):
        dest = tmp_path / "train" / p.parent.name / p.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    a = load_dataset(tmp_path, val_fraction=0.2, seed=1, cache=False)
    b = load_dataset(tmp_path, val_fraction=0.2, seed=1, cache=False)
    c = load_dataset(tmp_path, val_fraction=0.2, seed=2, cache=False)
    assert a.counts()["val"] == {cls: 6 for cls in CLASSES}  # 20% of 30 per class
    assert a.counts()["test"] == {cls: 6 for cls in CLASSES}  # no splits at all: a test split too
    assert np.array_equal(a.splits, b.splits) and not np.array_equal(a.splits, c.splits)


def test_class_subset(fer_slice_zip):
    data = load_dataset(fer_slice_zip, classes="sad,happy,neutral", cache=False)
    assert data.classes == ("happy", "neutral", "sad")
    assert data.counts()["train"] == {"happy": 30, "neutral": 30, "sad": 30}
    assert set(np.unique(data.labels)) == {0, 1, 2}


def test_class_names_and_subset_errors():
    assert canonical_class("Happiness") == "happy" and canonical_class("3_surprised") == "surprise"
    assert canonical_class("contempt") is None
    with pytest.raises(ValueError, match="unknown class 'joyful'"):
        parse_classes("happy,joyful")
    with pytest.raises(ValueError, match="at least two"):
        parse_classes("happy")


def test_duplicates_dropped_from_train_only(fer_data, fer_zip):
    cross = load_dataset(fer_zip, drop_duplicates="cross-split")
    everything = load_dataset(fer_zip, drop_duplicates="all")
    assert cross.counts()["val"] == fer_data.counts()["val"] and cross.counts()["test"] == fer_data.counts()["test"]
    n_train = sum(fer_data.counts()["train"].values())
    assert n_train - 1500 < sum(cross.counts()["train"].values()) < n_train
    assert sum(everything.counts()["train"].values()) < sum(cross.counts()["train"].values())
    # No training image remains whose pixels are in the test split.
    test_pixels = {bytes(i) for i in cross.split("test").images}
    assert not any(bytes(i) in test_pixels for i in cross.split("train").images)


# --------------------------------------------------------------------------- bad input


def _real_face(fer_slice_dir: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(next(fer_slice_dir.rglob("*.jpg"))).convert("L"))


def test_csv_bad_rows_named_or_skipped(fer_slice_dir, tmp_path):
    face = _real_face(fer_slice_dir)
    path = write_challenge_csv(tmp_path / "bad.csv", [(3, face, "Training"), (4, face[:40], "Training"),
                                                      (5, face, "PublicTest")])
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
