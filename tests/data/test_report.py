"""``data_report`` and ``class_grid``: counts, imbalance, duplicates, blanks, a picture."""

from __future__ import annotations

import numpy as np

from ferkit.data.dataset import load_dataset
from ferkit.data.report import class_grid, data_report


def test_report_finds_planted_duplicates_and_blanks(synthetic_dir, tmp_path):
    from dataclasses import replace

    data = load_dataset(synthetic_dir, cache=False)
    images = data.images.copy()
    train_idx, test_idx = np.flatnonzero(data.splits == "train"), np.flatnonzero(data.splits == "test")
    images[train_idx[0]] = images[test_idx[0]]  # a train image repeated in test
    images[train_idx[1]] = 128  # a blank image
    rep = data_report(replace(data, images=images))
    assert rep["total"] == 350 and rep["imbalance_ratio"] == 1.0
    assert rep["duplicates"]["groups_across_splits"] == 1 and rep["blank_images"]["count"] == 1
    out = class_grid(data, tmp_path / "grid.png")
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_full_fer2013_report(fer_data):
    rep = data_report(fer_data)
    d = rep["duplicates"]
    assert d["groups_across_splits"] > 100 and d["groups_with_conflicting_labels"] > 10
    assert rep["blank_images"]["count"] >= 1 and 15 < rep["imbalance_ratio"] < 18


def test_ferplus_report_counts_what_majority_keeps_and_where_it_disagrees(fer_slice_zip, tmp_path):
    from ferkit.data.dataset import load_dataset
    from ferkit.data.ferplus import attach_votes, majority
    from ferkit.data.report import disagreement_grid, ferplus_report

    data = attach_votes(load_dataset(fer_slice_zip))
    rep = ferplus_report(data)
    for c in rep["splits"].values():  # 30 faces of each class in each split
        assert c["faces"] == 210 and c["kept"] + c["dropped_no_majority"] + c["dropped_unknown_or_not_a_face"] == 210
    _, keep = majority(data.votes)
    assert sum(c["kept"] for c in rep["splits"].values()) == int(keep.sum())
    happy = rep["agreement_by_fer2013_class"]["happy"]
    assert happy["agree"] > 0.8  # FER+ mostly agrees on smiles; on fear it mostly does not
    assert rep["agreement_by_fer2013_class"]["fear"]["agree"] < happy["agree"]
    grid = disagreement_grid(data, tmp_path / "d.png")
    assert grid.read_bytes()[:4] == b"\x89PNG"
