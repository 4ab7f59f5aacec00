"""The in-memory dataset (:class:`FERDataset`) and :func:`load_dataset`, the one way in.

Every source form (see :mod:`ferkit.data.readers`) becomes uint8 grey images plus canonical labels and a
split per image; here splits are completed, class subsets chosen and duplicates dropped.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..labels import CLASSES, FERPLUS_CLASSES, parse_classes

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "val", "test")
DUPLICATE_POLICIES = ("none", "cross-split", "all")
#: The fields of a :class:`FERDataset` that hold one entry per image (``votes`` only where attached).
PER_IMAGE = ("images", "labels", "splits", "names", "votes")


class DataError(ValueError):
    """Bad input data; the message names the file (and row) and what is wrong."""


@dataclass(frozen=True)
class FERDataset:
    """Grey face images with labels and splits. Labels index ``classes``."""

    images: np.ndarray  # (N, H, W) uint8
    labels: np.ndarray  # (N,) int64
    splits: np.ndarray  # (N,) str, one of SPLITS
    names: np.ndarray  # (N,) str, file name or "file.csv:row"
    classes: tuple[str, ...] = CLASSES
    source: str = ""
    skipped: tuple[str, ...] = field(default=())  # one message per bad item skipped
    votes: np.ndarray | None = None  # (N, 10) uint8 FER+ vote counts, where attached (ferkit.data.ferplus)

    @classmethod
    def of(cls, images: np.ndarray, labels, splits, names, **fields) -> FERDataset:
        """A dataset from per-image lists or arrays, in the dtypes every reader gives them."""
        arrays = np.asarray(labels, dtype=np.int64), np.asarray(splits, dtype="<U5"), np.asarray(names, dtype=str)
        return cls(images, *arrays, **fields)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def _take(self, mask: np.ndarray) -> FERDataset:
        return replace(self, **{k: getattr(self, k)[mask] for k in PER_IMAGE if getattr(self, k) is not None})

    def split(self, name: str) -> FERDataset:
        """The images of one split ("train", "val" or "test")."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; choose from {', '.join(SPLITS)}")
        return self._take(self.splits == name)

    def has_split(self, name: str) -> bool:
        return bool(np.any(self.splits == name))

    def select_classes(self, classes: tuple[str, ...] | str | None) -> FERDataset:
        """Keep only images of ``classes`` (canonical names) and re-index labels to that order."""
        if isinstance(classes, str) and classes not in ("", "all"):
            names = [c.strip() for c in classes.split(",") if c.strip()]
            if all(c in self.classes for c in names):  # a dataset's own (possibly non-canonical) names
                classes = tuple(c for c in self.classes if c in names)
        wanted = parse_classes(classes) if (classes is None or isinstance(classes, str)) else tuple(classes)
        if tuple(wanted) == self.classes:
            return self
        missing = [c for c in wanted if c not in self.classes]
        if missing:
            raise ValueError(f"{self.source}: classes {missing} are not in this dataset ({', '.join(self.classes)})")
        old_to_new = np.full(len(self.classes), -1, dtype=np.int64)
        for new, cls in enumerate(wanted):
            old_to_new[self.classes.index(cls)] = new
        mapped = old_to_new[self.labels]
        keep = mapped >= 0
        out = self._take(keep)
        return replace(out, labels=mapped[keep], classes=tuple(wanted))

    def counts(self) -> dict[str, dict[str, int]]:
        """Images per split and class: ``{"train": {"angry": 3995, ...}, ...}``."""
        out: dict[str, dict[str, int]] = {}
        for split in SPLITS:
            labels = self.labels[self.splits == split]
            if len(labels):
                bins = np.bincount(labels, minlength=len(self.classes))
                out[split] = {c: int(n) for c, n in zip(self.classes, bins)}
        return out


# --------------------------------------------------------------------------- public entry point


def load_dataset(
    path: str | os.PathLike,
    *,
    classes: tuple[str, ...] | str | None = None,
    image_size: int = 48,
    val_fraction: float = 0.1,
    seed: int = 0,
    skip_bad: bool = False,
    drop_duplicates: str = "none",
    cache: bool = True,
    open_classes: bool = False,
    ferplus: str | None = None,
    label_mode: str = "majority",
    ferplus_relabel: bool = True,
) -> FERDataset:
    """Load any supported dataset form, with splits completed and an optional class subset.

    With ``ferplus`` (``"shipped"`` or a votes file or folder, see :mod:`ferkit.data.ferplus`), images are
    labelled by their FER+ votes instead: eight classes with contempt (``classes`` picks fewer), the
    training split by ``label_mode``, evaluation splits by majority vote. Without ``ferplus_relabel`` the
    votes are only attached and the labels stay FER2013's (for training on both, ``ferplus_mix``).

    With ``open_classes``, folders that name no known expression become classes of their own (for
    fine-tuning on a user's label set) instead of errors.

    Where the source has no validation split, a stratified, seeded ``val_fraction`` of train becomes
    one (and likewise a test split where the source has no splits at all).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if drop_duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"drop_duplicates must be one of {DUPLICATE_POLICIES}, not {drop_duplicates!r}")
    from .cache import load_cached

    data = load_cached(path, image_size=image_size, skip_bad=skip_bad, cache=cache, open_classes=open_classes)
    if data.skipped:
        log.warning("%s: skipped %d bad item(s), first: %s", path, len(data.skipped), data.skipped[0])
    if ferplus or (data.votes is not None and data.classes == FERPLUS_CLASSES):  # FER+'s own layout: its labels
        from .ferplus import SHIPPED, attach_votes, relabel

        data = attach_votes(data, ferplus or SHIPPED)
        if ferplus_relabel:
            data = relabel(data, label_mode)
            classes = data.classes if classes is None else classes
    data = complete_splits(data, val_fraction=val_fraction, seed=seed)
    if classes is None and open_classes:
        present = sorted(set(data.labels.tolist()))
        classes = tuple(data.classes[i] for i in present)
    data = data.select_classes(classes)
    if drop_duplicates != "none":
        data = drop_duplicate_images(data, drop_duplicates)
    return data


def stratified_slice(data: FERDataset, n: int, seed: int) -> FERDataset:
    """Exactly ``n`` images (or all, if fewer) keeping class proportions (used for quick runs and tests):
    each class gets its proportional share rounded down, at least one image, and the images left over go
    to the classes with the largest remainders, so ``--max-val 500`` means 500."""
    if n <= 0 or n >= len(data):
        return data
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(data.labels, return_counts=True)
    share = n * counts / len(data)
    k = np.minimum(counts, np.maximum(1, np.floor(share).astype(int)))
    for i in np.argsort(-(share - np.floor(share)), kind="stable"):  # largest remainders first
        if k.sum() >= n:
            break
        k[i] += k[i] < counts[i]
    keep = [rng.permutation(np.flatnonzero(data.labels == c))[:m] for c, m in zip(classes, k)]
    return data._take(np.sort(np.concatenate(keep)))


def complete_splits(data: FERDataset, *, val_fraction: float = 0.1, seed: int = 0) -> FERDataset:
    """Carve a stratified, seeded validation split out of train where none exists."""
    splits = data.splits.copy()
    rng = np.random.default_rng(seed)
    fraction = val_fraction
    if not data.has_split("val") and not data.has_split("test"):
        # A bare class-folder dataset: hold out a test split too, so evaluation stays honest.
        splits = _carve(splits, data.labels, "train", "test", val_fraction, rng)
        fraction = val_fraction / (1 - val_fraction)  # of what is left, so both are val_fraction of the whole
    if not np.any(splits == "val"):
        splits = _carve(splits, data.labels, "train", "val", fraction, rng)
    return replace(data, splits=splits)


def _carve(
    splits: np.ndarray, labels: np.ndarray, src: str, dst: str, fraction: float, rng: np.random.Generator
) -> np.ndarray:
    out = splits.copy()
    for cls in np.unique(labels):
        idx = np.flatnonzero((splits == src) & (labels == cls))
        n = int(round(len(idx) * fraction))
        if len(idx) >= 2 and n == 0:
            n = 1
        out[rng.permutation(idx)[:n]] = dst
    return out


# --------------------------------------------------------------------------- duplicates


def duplicate_groups(images: np.ndarray) -> list[np.ndarray]:
    """Indices of images whose pixels are identical, one array per group of two or more."""
    digests = [hashlib.blake2b(img.tobytes(), digest_size=12).digest() for img in images]
    groups: dict[bytes, list[int]] = {}
    for i, d in enumerate(digests):
        groups.setdefault(d, []).append(i)
    return [np.asarray(g) for g in groups.values() if len(g) > 1]


def drop_duplicate_images(data: FERDataset, policy: str) -> FERDataset:
    """Remove duplicates from train only (evaluation splits stay as published).

    ``cross-split``: train images that also appear in val or test.
    ``all``: also every train copy beyond the first, and train images whose copies disagree on the label.
    """
    drop = np.zeros(len(data), dtype=bool)
    for group in duplicate_groups(data.images):
        in_train = group[data.splits[group] == "train"]
        if len(in_train) == 0:
            continue
        if len(in_train) < len(group):
            drop[in_train] = True
        elif policy == "all":
            if len(set(data.labels[group].tolist())) > 1:
                drop[in_train] = True
            else:
                drop[in_train[1:]] = True
    log.info("%s: dropped %d duplicate train image(s) (%s)", data.source, int(drop.sum()), policy)
    return data._take(~drop)
