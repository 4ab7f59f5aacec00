"""The dataset cache: written on first load, reused after, keyed by the source's content."""

from __future__ import annotations

import time

import numpy as np

from ferkit.data.cache import cache_dir, source_fingerprint
from ferkit.data.dataset import load_dataset


def test_reload_comes_from_cache_quickly(fer_zip, fer_data):
    assert list((cache_dir() / "datasets").glob("*.npz")), "first load must write the cache"
    t = time.perf_counter()
    again = load_dataset(fer_zip)
    assert time.perf_counter() - t < 5.0  # seconds, not minutes (hashing 73 MB + reading the npz)
    assert np.array_equal(again.images, fer_data.images) and np.array_equal(again.labels, fer_data.labels)


def test_synthetic_cache_round_trip_and_invalidation(synthetic_dir, tmp_path):
    import shutil

    src = tmp_path / "data"
    shutil.copytree(synthetic_dir, src)
    first = load_dataset(src)
    files = set((cache_dir() / "datasets").glob("*.npz"))
    again = load_dataset(src)
    assert np.array_equal(first.images, again.images) and set((cache_dir() / "datasets").glob("*.npz")) == files
    before = source_fingerprint(src)
    (src / "train" / "happy" / "Training_0.png").unlink()
    assert source_fingerprint(src) != before
    assert len(load_dataset(src)) == len(first) - 1  # a changed source is read again, not served stale


def test_corrupt_cache_is_ignored(synthetic_dir):
    load_dataset(synthetic_dir)
    for f in (cache_dir() / "datasets").glob("*.npz"):
        f.write_bytes(b"garbage")
    assert len(load_dataset(synthetic_dir)) == 350
