"""FER+: the shipped votes, the three label schemes on real rows, the joins to every FER2013 form, and
bad votes files failing with one line that names the file and line."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ferkit.data import ferplus
from ferkit.data.dataset import DataError, load_dataset
from ferkit.data.pack import read_pack, write_pack
from ferkit.labels import CLASSES, FERPLUS_CLASSES

SHARED_VOTES = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "ferplus"


@pytest.fixture(scope="module")
def votes() -> np.ndarray:
    return ferplus.read_votes()


def _votes(*counts: int) -> np.ndarray:
    """One image's votes in fer2013new.csv's column order (neutral, happiness, ..., unknown, NF)."""
    return np.array([counts], dtype=np.uint8)


def test_shipped_votes_are_microsofts_file(votes):
    assert votes.shape == (35_887, 10) and votes.dtype == np.uint8
    assert (votes.sum(1) == 10).sum() == 35_886 and votes[10_435].sum() == 9  # the one row with 9 votes
    if (SHARED_VOTES / "fer2013new.csv").exists():
        np.testing.assert_array_equal(votes, ferplus.read_votes(SHARED_VOTES / "fer2013new.csv"))
    # Row 0 of Microsoft's file: 4 neutral, 1 sad, 3 anger, 2 disgust.
    assert votes[0].tolist() == [4, 0, 0, 1, 3, 2, 0, 0, 0, 0]


def test_majority_rule_keeps_the_published_counts(votes):
    """The FER+ protocol's kept images per split, as the dataset README tabulates them."""
    label, keep = ferplus.majority(votes)
    splits = {"train": slice(0, 28_709), "val": slice(28_709, 32_298), "test": slice(32_298, 35_887)}
    kept = {s: int(keep[r].sum()) for s, r in splits.items()}
    assert kept == {"train": 25_060, "val": 3_199, "test": 3_153}
    test_counts = np.bincount(label[splits["test"]][keep[splits["test"]]], minlength=8)
    assert dict(zip(FERPLUS_CLASSES, test_counts.tolist())) == {
        "angry": 273, "contempt": 16, "disgust": 18, "fear": 83,
        "happy": 893, "neutral": 1_090, "sad": 384, "surprise": 396,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("counts", "label", "kept"),
    [
        ((6, 0, 1, 1, 0, 0, 0, 0, 2, 0), "neutral", True),  # 6 of 8 once the single votes go
        ((4, 0, 0, 4, 1, 0, 0, 0, 1, 0), "neutral", False),  # a 4-4 tie: no class has more than half
        ((0, 0, 0, 0, 0, 0, 0, 0, 3, 7), None, False),  # not a face
        ((0, 0, 0, 0, 0, 0, 0, 6, 4, 0), "contempt", True),
    ],
)
def test_majority_on_single_rows(counts, label, kept):
    got, keep = ferplus.majority(_votes(*counts))
    assert bool(keep[0]) is kept
    if kept:
        assert FERPLUS_CLASSES[got[0]] == label


def test_crossentropy_targets_hold_the_top_classes_and_drop_what_fer_plus_drops():
    two, keep = ferplus.targets(_votes(5, 0, 0, 3, 1, 1, 0, 0, 0, 0), "crossentropy")
    # Single votes dropped, then neutral and sad together hold 8 of 8 votes.
    assert keep[0] and two[0][FERPLUS_CLASSES.index("neutral")] == pytest.approx(5 / 8)
    assert two[0][FERPLUS_CLASSES.index("sad")] == pytest.approx(3 / 8) and two[0].sum() == pytest.approx(1)
    _, keep = ferplus.targets(_votes(2, 2, 2, 2, 2, 0, 0, 0, 0, 0), "crossentropy")
    assert not keep[0]  # five-way tie: more than three classes
    _, keep = ferplus.targets(_votes(0, 0, 0, 0, 0, 0, 0, 0, 6, 4), "probability")
    assert not keep[0]  # unknown leads
    with pytest.raises(ValueError, match="label_mode must be one of"):
        ferplus.targets(_votes(6, 4, 0, 0, 0, 0, 0, 0, 0, 0), "soft")


def test_zip_joins_by_file_and_labels_by_votes(fer_slice_zip, votes):
    data = load_dataset(fer_slice_zip, ferplus="shipped")
    assert data.classes == FERPLUS_CLASSES and data.votes.shape == (len(data), 10)
    table, _ = ferplus.zip_rows()
    rows = np.array([table["/".join(n.split("/")[-3:])] for n in data.names])
    np.testing.assert_array_equal(data.votes, votes[rows])
    label, keep = ferplus.majority(data.votes)
    assert keep.all()  # evaluation and majority training keep only images with a majority
    np.testing.assert_array_equal(data.labels, label)
    raw = load_dataset(fer_slice_zip)
    assert len(data) < len(raw)  # some of the slice have no majority or are not faces
    seven = load_dataset(fer_slice_zip, ferplus="shipped", classes="angry,disgust,fear,happy,neutral,sad,surprise")
    assert seven.classes == CLASSES and len(seven) == int((data.labels != FERPLUS_CLASSES.index("contempt")).sum())


def test_soft_schemes_keep_more_training_faces_and_never_touch_evaluation_labels(fer_slice_zip):
    major = load_dataset(fer_slice_zip, ferplus="shipped")
    soft = load_dataset(fer_slice_zip, ferplus="shipped", label_mode="crossentropy")
    assert len(soft.split("train")) >= len(major.split("train"))
    for split in ("val", "test"):
        np.testing.assert_array_equal(soft.split(split).labels, major.split(split).labels)
    t = ferplus.class_targets(soft.split("train"), "crossentropy")
    assert t.shape == (len(soft.split("train")), 8) and np.allclose(t.sum(1), 1)
    np.testing.assert_array_equal(t.argmax(1), soft.split("train").labels)


def test_mixed_targets_keep_fer2013_labels(fer_slice_zip):
    data = load_dataset(fer_slice_zip, ferplus="shipped", ferplus_relabel=False)
    assert data.classes == CLASSES and data.votes is not None
    train = data.split("train")
    half = ferplus.mixed_targets(train, 0.5)
    assert np.allclose(half.sum(1), 1) and (half[np.arange(len(train)), train.labels] >= 0.5).all()
    assert np.allclose(ferplus.mixed_targets(train, 0.0), np.eye(7)[train.labels])


def _tiny_challenge_csv(path, order: np.ndarray) -> None:
    """The challenge CSV's 35,887 rows with 1-pixel images (the join reads labels and order, not pixels),
    labels and usage from the shipped table; ``order`` permutes the rows."""
    _, emotion = ferplus.zip_rows()
    usage = np.array(["Training"] * 28_709 + ["PublicTest"] * 3_589 + ["PrivateTest"] * 3_589)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["emotion", "pixels", "Usage"])
        w.writerows([emotion[r], "128", usage[r]] for r in order)


def test_challenge_csv_joins_by_position_and_refuses_another_order(tmp_path, votes):
    good = tmp_path / "fer2013.csv"
    _tiny_challenge_csv(good, np.arange(35_887))
    data = load_dataset(good, ferplus="shipped", cache=False)
    assert {s: sum(c.values()) for s, c in data.counts().items()} == {"train": 25_060, "val": 3_199, "test": 3_153}
    shuffled = tmp_path / "shuffled.csv"
    _tiny_challenge_csv(shuffled, np.random.default_rng(0).permutation(35_887))
    with pytest.raises(DataError, match=r"shuffled.csv: \d+ image\(s\) disagree with the FER2013 label"):
        load_dataset(shuffled, ferplus="shipped", cache=False)


def test_a_folder_not_in_the_mapping_gets_one_line(tmp_path, fer_slice_dir):
    src = next(fer_slice_dir.rglob("*.jpg"))
    own = tmp_path / "mine" / "train" / "happy"
    own.mkdir(parents=True)
    (own / "holiday.jpg").write_bytes(src.read_bytes())
    with pytest.raises(
        DataError, match=r"1 image\(s\) are not in the FER\+ mapping \(first: train/happy/holiday.jpg\)"
    ):
        load_dataset(tmp_path / "mine", ferplus="shipped", cache=False)


HEADER = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Usage,Image name,neutral\nTraining,a.png,10\n", r"bad.csv: not a FER\+ votes file \(missing columns"),
        (f"{HEADER},extra\n", r"unknown columns \['extra'\]"),
        (f"{HEADER}\nTraining,a.png,4,0,0,1,3,2,0,0,0,x\n", r"bad.csv:2: vote counts must be whole numbers"),
        (
            f"{HEADER}\nTraining,a.png,4,0,0,1,3,2,0,0,0,0\nTraining,b.png,9,9,0,0,0,0,0,0,0,0\n",
            r"bad.csv:3: votes must be >= 0 and sum to 1-10 annotators",
        ),
        (f"{HEADER}\nTraining,a.png,4,0,0,1,3,2,0,0,0,0\n", r"bad.csv: 1 vote rows, expected 35887"),
    ],
)
def test_bad_votes_files_name_file_and_line(tmp_path, fer_slice_zip, text, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(DataError, match=message):
        load_dataset(fer_slice_zip, ferplus=str(bad))


def test_a_pack_carries_votes_and_stores_training_pixels_within_one_grey_level(fer_slice_zip, tmp_path):
    data = ferplus.attach_votes(load_dataset(fer_slice_zip))
    path = write_pack(data, tmp_path / "fer.npz.xz", train_quantum=3)
    back = read_pack(path)
    keep = np.isin(data.splits, ("train", "val"))
    np.testing.assert_array_equal(back.votes, data.votes[keep])
    train = data.splits[keep] == "train"
    diff = np.abs(back.images.astype(int) - data.images[keep].astype(int))
    assert diff[train].max() == 1 and diff[~train].max() == 0  # evaluation pixels stay exact
    exact = write_pack(data, tmp_path / "exact.npz.xz")
    assert path.stat().st_size < 0.92 * exact.stat().st_size  # half this slice is exact PublicTest
    relabelled = load_dataset(path, ferplus="shipped")  # the pack's own votes; no mapping needed
    assert relabelled.classes == FERPLUS_CLASSES and len(relabelled) > 0
    with zipfile.ZipFile(fer_slice_zip) as zf:
        assert len([n for n in zf.namelist() if n.endswith(".jpg")]) == len(data)


def _microsoft_layout(root, fer_slice_zip):
    """The real slice written as Microsoft's generate_training_data.py writes FER+: one folder per split
    with its PNGs and a label.csv of names, boxes and ten votes."""
    from PIL import Image

    data = ferplus.attach_votes(load_dataset(fer_slice_zip))
    folders = {"train": "FER2013Train", "val": "FER2013Valid", "test": "FER2013Test"}
    rows = {f: [] for f in folders.values()}
    for i, (img, split, counts) in enumerate(zip(data.images, data.splits, data.votes)):
        folder = folders[str(split)]
        (root / folder).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(root / folder / f"fer{i:07d}.png")
        rows[folder].append([f"fer{i:07d}.png", "(0, 0, 48, 48)", *counts.tolist()])
    for folder, table in rows.items():
        with open(root / folder / "label.csv", "w", newline="") as fh:
            csv.writer(fh).writerows(table)
    return data


def test_microsofts_own_layout_loads_with_its_votes(fer_slice_zip, tmp_path):
    ref = _microsoft_layout(tmp_path / "ms", fer_slice_zip)
    got = load_dataset(tmp_path / "ms", cache=False)  # FER+'s own layout: FER+ labels without --ferplus
    via_zip = load_dataset(fer_slice_zip, ferplus="shipped", cache=False)
    assert got.classes == FERPLUS_CLASSES and got.counts() == via_zip.counts()
    assert sorted(map(bytes, got.votes)) == sorted(map(bytes, ferplus.relabel(ref).votes))
    with open(tmp_path / "ms" / "FER2013Test" / "label.csv", "a") as fh:
        fh.write('fer9999999.png,"(0, 0, 48, 48)",10,0,0,0,0,0,0,0,0,0\n')
    with pytest.raises(DataError, match=r"FER2013Test/label.csv:\d+: fer9999999.png is not in"):
        load_dataset(tmp_path / "ms", cache=False)


def test_unknown_leads_when_unknown_or_not_a_face_ties_or_beats_every_expression():
    votes = np.zeros((4, 10), np.uint8)
    votes[0, [0, 8]] = (3, 5)  # unknown beats neutral
    votes[1, [1, 9]] = (4, 4)  # not a face ties happiness
    votes[2, [0, 8]] = (6, 2)  # neutral beats unknown
    votes[3, [0, 8]] = (2, 1)  # a single vote is dropped first: neutral alone
    assert ferplus.unknown_leads(votes).tolist() == [True, True, False, False]
