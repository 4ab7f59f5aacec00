"""FER+: Microsoft's relabelling of every FER2013 image by 10 annotators, joined to the FER2013 images.

FER2013 was labelled by one person per image; FER+ asked ten, over eight expressions (FER2013's seven and
contempt) plus "unknown" and "not a face". Its votes (``fer2013new.csv``, MIT licence, row *r* = row *r* of
the challenge CSV) and the table that links every file of the Kaggle FER2013 zip to its row ship inside
ferkit (``ferplus_votes/``, xz-compressed, with Microsoft's licence), so ``--ferplus`` needs no path for
the challenge CSV or that zip.

The votes become labels in one of three ways (``label_mode``), the schemes of the FER+ paper
(Barsoum et al., ICMI 2016) and of Microsoft's own code:

- ``majority``: votes of 1 are dropped as outliers; an image keeps the class with more than half of the
  remaining votes, and is dropped if no class has, or if "unknown" or "not a face" wins. Evaluation always
  uses this rule (the FER+ benchmark protocol).
- ``crossentropy``: the target is the distribution of the top classes (at most three, covering three
  quarters of the votes), trained with soft cross-entropy.
- ``probability``: the same distribution, from which each training step draws one label per image.
"""

from __future__ import annotations

import csv
import io
import lzma
import os
from dataclasses import replace
from importlib import resources
from pathlib import Path, PurePosixPath

import numpy as np

from ..labels import FERPLUS_CLASSES, LABEL_MODES
from .dataset import DataError, FERDataset

#: The vote columns of ``fer2013new.csv``, in its order, by ferkit's class names.
VOTE_COLUMNS: tuple[str, ...] = (
    "neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt", "unknown", "not_face",
)  # fmt: skip
_CSV_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "nf")
#: ``--ferplus`` without a path: the votes ferkit ships (or those a data pack carries).
SHIPPED = "shipped"
ROWS = 35_887  # rows of the FER2013 challenge CSV, and so of fer2013new.csv
_EMOTIONS = 8  # the first eight vote columns are expressions; the last two are "unknown" and "not a face"
# Where each vote column's class sits in FERPLUS_CLASSES.
_TO_CLASS = np.array([FERPLUS_CLASSES.index(c) for c in VOTE_COLUMNS[:_EMOTIONS]])


def _shipped(name: str) -> tuple[str, str]:
    path = resources.files("ferkit") / "data" / "ferplus_votes" / name
    return str(path), lzma.decompress(path.read_bytes()).decode("utf-8")


def read_votes(path: str | os.PathLike | None = None) -> np.ndarray:
    """The ``(35887, 10)`` vote counts of a ``fer2013new.csv`` (the shipped copy when ``path`` is None).

    Anything else (a wrong row count, an unknown column, a count that is not a whole number, a row whose
    votes do not sum to 1-10 annotators) stops with a :class:`DataError` naming the file and line."""
    if path is None:
        name, text = _shipped("fer2013new.csv.xz")
    else:
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read FER+ votes ({exc})") from exc
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    missing = [c for c in _CSV_COLUMNS if c not in header]
    unknown = [h for h in header if h not in (*_CSV_COLUMNS, "usage", "image name")]
    if missing or unknown:
        problem = f"missing columns {missing}" if missing else f"unknown columns {unknown}"
        raise DataError(
            f"{name}: not a FER+ votes file ({problem}; expected Usage, Image name, {', '.join(_CSV_COLUMNS)})"
        )
    cols = [header.index(c) for c in _CSV_COLUMNS]
    votes = []
    for line, row in enumerate(rows, start=2):
        try:
            counts = [int(row[i]) for i in cols]
        except (ValueError, IndexError):
            raise DataError(f"{name}:{line}: vote counts must be whole numbers in all 10 columns") from None
        if min(counts) < 0 or not 1 <= sum(counts) <= 10:
            raise DataError(f"{name}:{line}: votes must be >= 0 and sum to 1-10 annotators, got {counts}")
        votes.append(counts)
    if len(votes) != ROWS:
        raise DataError(f"{name}: {len(votes)} vote rows, expected {ROWS} (one per row of the FER2013 CSV)")
    return np.asarray(votes, dtype=np.uint8)


def zip_rows(path: str | os.PathLike | None = None) -> tuple[dict[str, int], np.ndarray]:
    """``train/angry/Training_1426440.jpg`` -> its row in the challenge CSV, for the Kaggle FER2013 edition
    (the shipped table when ``path`` is None; a ``file,row[,usage,emotion]`` CSV otherwise), and each row's
    FER2013 emotion (0-6; -1 where the table gives none), which checks every join."""
    if path is None:
        name, text = _shipped("fer2013-zip-rows.csv.xz")
    else:
        name, text = str(path), Path(path).read_text(encoding="utf-8-sig")
    table: dict[str, int] = {}
    emotion = np.full(ROWS, -1, dtype=np.int64)
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if line == 1 and row[:2] == ["file", "row"]:
            continue
        try:
            r = int(row[1])
            if not 0 <= r < ROWS:
                raise ValueError
            table[row[0]] = r
            if len(row) >= 4:
                emotion[r] = int(row[3])
        except (ValueError, IndexError):
            raise DataError(f"{name}:{line}: expected file,row[,usage,emotion] with a row in 0-{ROWS - 1}") from None
    return table, emotion


def _csv_row(name: str) -> int | None:
    """The challenge-CSV data row of an image named ``file.csv:LINE`` (its line less the header), else None."""
    file, _, line = name.rpartition(":")
    return int(line) - 2 if file.lower().endswith(".csv") and line.isdigit() else None


def _row_of_names(data: FERDataset, table: dict[str, int]) -> np.ndarray:
    """Each image's row in the challenge CSV: from ``file.csv:LINE`` names by position (as Microsoft's own
    script joins them), else from the last three parts of its path (``split/class/file``) in ``table``."""
    rows = np.empty(len(data), dtype=np.int64)
    missing = []
    for i, name in enumerate(data.names.tolist()):
        row = _csv_row(name)
        if row is None:
            row = table.get("/".join(PurePosixPath(name).parts[-3:]), -1)
        if row < 0:
            missing.append(name)
        rows[i] = row
    if missing:
        raise DataError(
            f"{data.source}: {len(missing)} image(s) are not in the FER+ mapping (first: {missing[0]}); "
            "FER+ votes join the FER2013 challenge CSV or the Kaggle FER2013 edition"
        )
    if rows.size and rows.max() >= ROWS:
        raise DataError(f"{data.source}: more rows than the FER2013 challenge CSV's {ROWS}; is this that CSV?")
    return rows


def _check_join(data: FERDataset, rows: np.ndarray, emotion: np.ndarray) -> None:
    """Every joined image must carry its row's FER2013 emotion: a CSV in another order, a slice of it or
    a wrong mapping would otherwise pair faces with other faces' votes without a word."""
    from ..labels import FER2013_INT_LABELS

    known = emotion[rows] >= 0
    mine = np.array([FER2013_INT_LABELS.index(c) if c in FER2013_INT_LABELS else -2 for c in data.classes])
    bad = np.flatnonzero(known & (mine[data.labels] != emotion[rows]))
    if bad.size:
        raise DataError(
            f"{data.source}: {bad.size} image(s) disagree with the FER2013 label of the row FER+ joins them to "
            f"(first: {data.names[bad[0]]}, row {rows[bad[0]]}); FER+ joins the challenge CSV only in its "
            "original order and complete"
        )


def attach_votes(data: FERDataset, spec: str = SHIPPED) -> FERDataset:
    """``data`` with each image's FER+ vote counts (labels unchanged). ``spec`` is :data:`SHIPPED`, a
    ``fer2013new.csv``, or a folder holding one (and optionally its own ``fer2013-zip-rows.csv``)."""
    if data.votes is not None and (spec == SHIPPED or data.classes == FERPLUS_CLASSES):
        return data  # a data pack, or Microsoft's own layout, carries its votes
    votes_file, table_file = None, None
    if spec != SHIPPED:
        path = Path(spec)
        if not path.exists():
            raise DataError(f"{path}: no such FER+ votes file or folder")
        votes_file = path / "fer2013new.csv" if path.is_dir() else path
        table_file = path / "fer2013-zip-rows.csv" if path.is_dir() else None
        if table_file is not None and not table_file.exists():
            table_file = None
    votes = read_votes(votes_file)
    table, emotion = zip_rows(table_file)
    rows = _row_of_names(data, table)
    _check_join(data, rows, emotion)
    return replace(data, votes=votes[rows])


# --------------------------------------------------------------------------- votes -> labels


def _trimmed(votes: np.ndarray) -> np.ndarray:
    """Votes with single votes dropped as outliers (FER+'s first step in every scheme)."""
    return np.where(votes > 1, votes, 0).astype(np.float64)


def majority(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(label, keep)`` by FER+'s majority rule; ``label`` indexes :data:`FERPLUS_CLASSES`."""
    v = _trimmed(np.atleast_2d(votes))
    win = v.argmax(1)
    keep = (v.max(1) > 0.5 * v.sum(1)) & (win < _EMOTIONS)
    return _TO_CLASS[np.minimum(win, _EMOTIONS - 1)], keep


def unknown_leads(votes: np.ndarray) -> np.ndarray:
    """Per image, whether "unknown" or "not a face" has at least as many votes (single votes dropped) as
    any expression: why the majority rule drops an image, when it does, rather than for a split vote."""
    v = _trimmed(np.atleast_2d(votes))
    return v[:, _EMOTIONS:].max(1) >= v[:, :_EMOTIONS].max(1)


def _crowd_distribution(counts: np.ndarray) -> np.ndarray | None:
    """One image's target over the 8 expressions (vote-column order) for the crossentropy and probability
    schemes: the top classes, ties together, until they hold three quarters of the votes (at most three);
    None when they hold half or less, when ties push past three, or when unknown / not a face leads."""
    left = _trimmed(counts)
    total = left.sum()
    out = np.zeros_like(left)
    picked = 0
    while out.sum() < 0.75 * total and picked < 3:
        top = left.max()
        stop = False
        for i in np.flatnonzero(left == top):
            out[i], left[i] = top, 0.0
            picked += 1
            if i >= _EMOTIONS:  # unknown or not a face: kept only if nothing came before it (then dropped)
                if out.sum() > top:
                    out[i], picked = 0.0, picked - 1
                stop = True
                break
        if stop:
            break
    if total == 0 or out.sum() <= 0.5 * total or picked > 3 or out.argmax() >= _EMOTIONS:
        return None
    return out[:_EMOTIONS] / out[:_EMOTIONS].sum()


def targets(votes: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """``(targets, keep)``: per image a distribution over :data:`FERPLUS_CLASSES` (one-hot for
    ``majority``) and whether the scheme keeps it."""
    if mode not in LABEL_MODES:
        raise ValueError(f"label_mode must be one of {', '.join(LABEL_MODES)}, not {mode!r}")
    n = len(votes)
    out = np.zeros((n, len(FERPLUS_CLASSES)), np.float32)
    if mode == "majority":
        label, keep = majority(votes)
        out[np.arange(n), label] = 1.0
        return out, keep
    keep = np.zeros(n, dtype=bool)
    for i, counts in enumerate(votes):
        dist = _crowd_distribution(counts)
        if dist is not None:
            out[i, _TO_CLASS] = dist
            keep[i] = True
    return out, keep


def relabel(data: FERDataset, label_mode: str = "majority") -> FERDataset:
    """``data`` (with votes attached) labelled by FER+ over :data:`FERPLUS_CLASSES`: the training split by
    ``label_mode``'s rule, evaluation splits always by majority; images the rules drop are dropped."""
    if data.votes is None:
        raise DataError(f"{data.source}: no FER+ votes attached")
    train = data.splits == "train"
    label, keep = majority(data.votes)
    if label_mode != "majority" and train.any():
        soft, soft_keep = targets(data.votes[train], label_mode)
        label[train], keep[train] = soft.argmax(1), soft_keep
    out = replace(data, labels=label, classes=FERPLUS_CLASSES)
    return out._take(keep)


def class_targets(data: FERDataset, label_mode: str) -> np.ndarray:
    """Training targets of ``data`` (FER+-labelled, possibly a class subset) over ``data.classes``,
    renormalised where a subset drops a class (contempt, say)."""
    full, _ = targets(data.votes, label_mode)
    cols = [FERPLUS_CLASSES.index(c) for c in data.classes]
    sub = full[:, cols]
    return (sub / np.maximum(sub.sum(1, keepdims=True), 1e-12)).astype(np.float32)


def mixed_targets(data: FERDataset, share: float) -> np.ndarray:
    """Targets over ``data.classes`` for images that keep their own (FER2013) labels: ``1 - share`` of the
    label plus ``share`` of the FER+ crossentropy distribution over those classes. Images FER+ leaves
    without a distribution there (mostly unknown, not a face, or only contempt) keep their label alone."""
    full, keep = targets(data.votes, "crossentropy")
    cols = [FERPLUS_CLASSES.index(c) for c in data.classes]
    dist = full[:, cols].astype(np.float64)
    mass = dist.sum(1, keepdims=True)
    usable = keep & (mass[:, 0] > 0)
    onehot = np.eye(len(data.classes))[data.labels]
    dist = np.where(usable[:, None], dist / np.maximum(mass, 1e-12), onehot)
    return ((1 - share) * onehot + share * dist).astype(np.float32)


# --------------------------------------------------------------------------- Microsoft's own layout

#: The folders Microsoft's ``generate_training_data.py`` writes, by ferkit split.
MICROSOFT_FOLDERS = {"train": "FER2013Train", "val": "FER2013Valid", "test": "FER2013Test"}


def is_microsoft_layout(path: Path) -> bool:
    return path.is_dir() and (path / MICROSOFT_FOLDERS["train"] / "label.csv").is_file()


def read_microsoft_layout(root: Path, size: int) -> FERDataset:
    """``FER2013Train|Valid|Test/`` with their PNGs and ``label.csv`` (one row per PNG: name, face box,
    ten vote counts). Labels are FER+'s (``load_dataset`` applies the label rules); a row naming a missing
    PNG or with bad counts stops with the file and line."""
    from .readers import decode_gray

    images, votes, splits, names = [], [], [], []
    for split, folder in MICROSOFT_FOLDERS.items():
        table = root / folder / "label.csv"
        if not table.is_file():
            continue
        for line, row in enumerate(csv.reader(table.open(encoding="utf-8")), start=1):
            if not row:
                continue
            where = f"{table}:{line}"
            try:
                counts = [int(v) for v in row[2:12]]
            except ValueError:
                counts = []
            if len(counts) != 10 or min(counts) < 0 or not 1 <= sum(counts) <= 10:
                raise DataError(f"{where}: expected name, box and 10 vote counts summing to 1-10, got {row[:12]}")
            png = root / folder / row[0]
            if not png.is_file():
                raise DataError(f"{where}: {row[0]} is not in {root / folder}")
            images.append(decode_gray(png.read_bytes(), size, str(png)))
            votes.append(counts)
            splits.append(split)
            names.append(f"{folder}/{row[0]}")
    votes_arr = np.asarray(votes, dtype=np.uint8)
    label = _TO_CLASS[votes_arr[:, :_EMOTIONS].argmax(1)]  # provisional: relabel() applies the rules
    return FERDataset.of(
        np.stack(images), label, splits, names, classes=FERPLUS_CLASSES, source=str(root), votes=votes_arr
    )
