"""load_dataset and FERDataset: splits completed, subsets, duplicates — on real FER2013 and synthetic data."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ferkit.data.dataset import DataError, load_dataset, stratified_slice
from ferkit.labels import CLASSES


def test_full_fer2013_matches_published_counts(fer_data):
    counts = fer_data.counts()
    assert counts["train"] == {
        "angry": 3995, "disgust": 436, "fear": 4097, "happy": 7215, "neutral": 4965, "sad": 4830, "surprise": 3171,
    }  # fmt: skip
    assert sum(counts["val"].values()) == 3589 and sum(counts["test"].values()) == 3589
    assert fer_data.images.shape == (35887, 48, 48) and fer_data.images.dtype == np.uint8


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


def test_synthetic_folders_load_with_fer2013_splits(synthetic_dir):
    data = load_dataset(synthetic_dir, cache=False)
    assert data.counts() == {
        "train": {c: 30 for c in CLASSES},
        "val": {c: 10 for c in CLASSES},
        "test": {c: 10 for c in CLASSES},
    }
    assert data.images.shape == (350, 48, 48) and data.classes == CLASSES


def test_stratified_slice_keeps_proportions(synthetic_dir):
    train = load_dataset(synthetic_dir, cache=False).split("train")
    part = stratified_slice(train, 70, seed=0)
    assert len(part) == 70 and np.bincount(part.labels).tolist() == [10] * 7
    assert stratified_slice(train, 0, seed=0) is train


def test_stratified_slice_gives_exactly_what_was_asked(fer_slice_zip):
    """Rounding each class's share once gave 501 images for --max-val 500; now the remainders are shared out."""
    val = load_dataset(fer_slice_zip).split("val")  # 30 per class: shares of 7 classes never divide evenly
    for n in (10, 50, 101, 209):
        part = stratified_slice(val, n, seed=0)
        assert len(part) == n and set(part.labels.tolist()) == set(range(7))


def test_missing_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "nope.zip")
