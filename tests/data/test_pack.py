"""Packs: real FER2013 faces come back pixel for pixel, read like any other dataset, and bad files fail clearly."""

from __future__ import annotations

import numpy as np
import pytest

from ferkit.data.dataset import DataError, load_dataset
from ferkit.data.pack import read_pack, write_pack


@pytest.fixture(scope="module")
def slice_data(fer_slice_zip):
    return load_dataset(fer_slice_zip)


def test_round_trip_is_exact_and_keeps_only_the_named_splits(slice_data, tmp_path):
    path = write_pack(slice_data, tmp_path / "fer.npz.xz")
    back = read_pack(path)
    keep = np.isin(slice_data.splits, ("train", "val"))
    assert keep.sum() == 420 and len(back) == 420  # 30 per class in train and in val; test left out
    np.testing.assert_array_equal(back.images, slice_data.images[keep])
    np.testing.assert_array_equal(back.labels, slice_data.labels[keep])
    assert back.splits.tolist() == slice_data.splits[keep].tolist()
    assert back.names.tolist() == slice_data.names[keep].tolist()
    assert back.classes == slice_data.classes
    # Row differences compress real faces better than the pixels (what makes FER2013 fit a device call).
    raw = write_pack(slice_data, tmp_path / "again.npz.xz")
    assert raw.stat().st_size < slice_data.images[keep].nbytes


def test_load_dataset_reads_a_pack_like_its_source(slice_data, tmp_path):
    path = write_pack(slice_data, tmp_path / "fer.npz.xz", splits=("train", "val", "test"))
    data = load_dataset(path)
    np.testing.assert_array_equal(data.split("val").images, slice_data.split("val").images)
    assert data.split("test").labels.tolist() == slice_data.split("test").labels.tolist()
    three = load_dataset(path, classes="happy,sad,neutral", image_size=40)
    assert three.classes == ("happy", "neutral", "sad") and three.images.shape[1:] == (40, 40)


def test_bad_packs_name_the_file(slice_data, tmp_path):
    with pytest.raises(ValueError, match=r"\.npz\.xz"):
        write_pack(slice_data, tmp_path / "fer.npz")
    with pytest.raises(DataError, match="no images in split"):
        write_pack(slice_data.split("train"), tmp_path / "x.npz.xz", splits=("val",))
    broken = tmp_path / "broken.npz.xz"
    broken.write_bytes(b"not xz at all")
    with pytest.raises(DataError, match="broken.npz.xz: not a readable ferkit pack"):
        load_dataset(broken)
