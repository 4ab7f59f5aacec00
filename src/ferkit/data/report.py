"""``ferkit data report``: what is in a dataset, and what is wrong with it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..evaluation.plots import image_grid
from .dataset import SPLITS, FERDataset, duplicate_groups

BLANK_STD = 2.0  # an image whose grey levels vary less than this is blank (or nearly)


def data_report(data: FERDataset) -> dict:
    """Counts per class and split, imbalance, duplicates (within and across splits, conflicting labels), blanks."""
    counts = data.counts()
    train = counts.get("train", {})
    nonzero = [v for v in train.values() if v]
    groups = duplicate_groups(data.images)
    within = {s: 0 for s in SPLITS}
    cross = conflicting = cross_conflicting = 0
    examples = []
    for g in groups:
        splits = set(data.splits[g].tolist())
        labels = set(data.labels[g].tolist())
        if len(splits) > 1:
            cross += 1
        else:
            within[next(iter(splits))] += 1
        if len(labels) > 1:
            conflicting += 1
            cross_conflicting += len(splits) > 1
            if len(examples) < 10:
                examples.append([f"{data.names[i]} ({data.classes[data.labels[i]]})" for i in g])
    stds = data.images.reshape(len(data), -1).std(1)
    blank = np.flatnonzero(stds < BLANK_STD)
    return {
        "source": data.source,
        "classes": list(data.classes),
        "total": len(data),
        "image_size": data.image_size,
        "counts": counts,
        "imbalance_ratio": (max(nonzero) / min(nonzero)) if nonzero else None,
        "duplicates": {
            "groups": len(groups),
            "images_in_groups": int(sum(len(g) for g in groups)),
            "groups_within_split": within,
            "groups_across_splits": cross,
            "groups_with_conflicting_labels": conflicting,
            "conflicting_groups_across_splits": cross_conflicting,
            "conflicting_examples": examples,
        },
        "blank_images": {"count": int(len(blank)), "examples": [str(data.names[i]) for i in blank[:10]]},
        "skipped_bad_items": list(data.skipped),
    }


def class_grid(data: FERDataset, path: str | os.PathLike, per_class: int = 8, seed: int = 0) -> Path:
    """A picture with ``per_class`` random training samples of each class, one row per class."""
    rng = np.random.default_rng(seed)
    images, titles = [], []
    for c, name in enumerate(data.classes):
        idx = np.flatnonzero(data.labels == c)
        pick = rng.permutation(idx)[:per_class]
        blank = np.full((data.image_size, data.image_size), 255, np.uint8)
        images += [data.images[pick[k]] if k < len(pick) else blank for k in range(per_class)]
        titles += [name] + [""] * (per_class - 1)
    image_grid(images, titles, path, cols=per_class, suptitle=f"Samples per class: {Path(data.source).name}")
    return Path(path)


def ferplus_report(data: FERDataset) -> dict:
    """Where FER+'s ten annotators stand on a FER2013 dataset (votes attached, FER2013's labels kept): per
    split, the faces FER+'s majority rule keeps and why the others drop (no majority; unknown or "not a
    face" winning); per FER2013 class, how often FER+'s majority agrees and what it says instead."""
    from ..labels import FERPLUS_CLASSES
    from .ferplus import majority, unknown_leads

    label, keep = majority(data.votes)
    odd = unknown_leads(data.votes)
    splits = {}
    for s in SPLITS:
        m = data.splits == s
        if m.any():
            dropped = {"dropped_unknown_or_not_a_face": int((m & ~keep & odd).sum())}
            dropped["dropped_no_majority"] = int((m & ~keep & ~odd).sum())
            splits[s] = {"faces": int(m.sum()), "kept": int((m & keep).sum()), **dropped}
    agreement = {}
    for c, name in enumerate(data.classes):
        m = keep & (data.labels == c)
        if not m.any():
            continue
        said = [FERPLUS_CLASSES[i] for i in label[m]]
        others = [x for x in said if x != name]
        top = max(set(others), key=others.count) if others else None
        agreement[name] = {"faces": int(m.sum()), "agree": round(1 - len(others) / len(said), 4), "else_mostly": top}
    return {"splits": splits, "agreement_by_fer2013_class": agreement}


def disagreement_grid(data: FERDataset, path: str | os.PathLike, n: int = 32, seed: int = 0) -> Path:
    """A picture of faces whose FER2013 label FER+'s majority contradicts, each titled with both."""
    from ..labels import FERPLUS_CLASSES
    from .ferplus import majority

    label, keep = majority(data.votes)
    names = np.array([FERPLUS_CLASSES[i] for i in label])
    fer = np.array(data.classes)[data.labels]
    idx = np.random.default_rng(seed).permutation(np.flatnonzero(keep & (names != fer)))[:n]
    titles = [f"FER2013 {fer[i]}\nFER+ {names[i]}" for i in idx]
    image_grid([data.images[i] for i in idx], titles, path, cols=8, suptitle="FER2013 label vs FER+ majority")
    return Path(path)
