"""Readers for every dataset form: the FER2013 challenge CSV (``emotion,pixels,Usage``), the Kaggle image
folders (``train/<class>/Training_*.jpg``, ``test/<class>/PublicTest_*.jpg`` ...), a zip of those,
people's own ``train|val|test/<class>/`` trees, and ferkit's packs (:mod:`ferkit.data.pack`). A bad row
or image stops with a message naming it, or is skipped and counted (``skip_bad``)."""

from __future__ import annotations

import csv
import logging
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath

import numpy as np

from ..labels import CLASSES, FER2013_INT_LABELS, canonical_class
from .dataset import DataError, FERDataset
from .decode import IMAGE_SUFFIXES, ImageError, fit_gray, load_image, to_gray
from .ferplus import is_microsoft_layout, read_microsoft_layout
from .pack import SUFFIX as PACK_SUFFIX
from .pack import is_pack, read_pack

log = logging.getLogger(__name__)

READER_VERSION = 4  # bump when decoding changes, so stale caches are not reused

# FER2013 file-name prefixes (and CSV ``Usage`` values) name the split.
_PREFIX_SPLITS = {"training": "train", "publictest": "val", "privatetest": "test"}
# Folder names that name a split, by split.
_FOLDERS = {"train": "train training", "val": "val valid validation publictest dev", "test": "test testing privatetest"}
_FOLDER_SPLITS = {name: split for split, names in _FOLDERS.items() for name in names.split()}


def read_source(path: Path, *, image_size: int, skip_bad: bool, open_classes: bool = False) -> FERDataset:
    if is_microsoft_layout(path):
        reader = read_microsoft_layout(path, image_size)
    elif is_pack(path):
        reader = read_pack(path)
        if reader.image_size != image_size:
            reader = replace(reader, images=np.stack([fit_gray(im, image_size) for im in reader.images]))
    elif path.is_dir():
        reader = _read_tree(_dir_entries(path), str(path), image_size, skip_bad, open_classes)
    elif path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                reader = _read_tree(_zip_entries(zf), str(path), image_size, skip_bad, open_classes)
        except zipfile.BadZipFile as exc:
            raise DataError(f"{path}: not a readable zip file ({exc})") from exc
    elif path.suffix.lower() == ".csv":
        reader = _read_csv(path, image_size, skip_bad)
    else:
        raise DataError(
            f"{path}: unsupported dataset; give a FER2013 .csv, a .zip, a folder of class folders "
            f"or a {PACK_SUFFIX} pack"
        )
    if len(reader.labels) == 0:
        raise DataError(f"{path}: no images found")
    return reader


def _dir_entries(root: Path) -> Iterator[tuple[str, Callable[[], bytes]]]:
    for p in sorted(root.rglob("*")):
        if p.is_file():
            yield p.relative_to(root).as_posix(), p.read_bytes


def _zip_entries(zf: zipfile.ZipFile) -> Iterator[tuple[str, Callable[[], bytes]]]:
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        if not info.is_dir():
            yield info.filename, (lambda name=info.filename: zf.read(name))


def _bad_item(message: str, skip_bad: bool, skipped: list[str]) -> None:
    """Stop on a bad row/image with a message naming it, or (``skip_bad``) record it and go on."""
    if not skip_bad:
        raise DataError(message)
    skipped.append(message)


def _split_of(parts: tuple[str, ...]) -> str | None:
    """The split named by a FER2013 file-name prefix, else by the nearest split-named folder."""
    stem = PurePosixPath(parts[-1]).stem.lower()
    prefix = stem.split("_", 1)[0]
    if "_" in stem and prefix in _PREFIX_SPLITS:
        return _PREFIX_SPLITS[prefix]
    for folder in reversed(parts[:-2]):
        if folder.lower() in _FOLDER_SPLITS:
            return _FOLDER_SPLITS[folder.lower()]
    return None


def decode_gray(raw: bytes, size: int, name: str = "image") -> np.ndarray:
    """Decode a dataset image to a ``size``×``size`` uint8 grey array with the one decoder and the one
    resize that inference uses too (EXIF, 16-bit and alpha handled there)."""
    return fit_gray(to_gray(load_image(raw, name=name)), size)


def _read_tree(
    entries: Iterator[tuple[str, Callable[[], bytes]]], source: str, size: int, skip_bad: bool, open_classes: bool
) -> FERDataset:
    images, labels, splits, names, skipped = [], [], [], [], []
    unknown_folders: Counter[str] = Counter()
    for rel, read in entries:
        parts = PurePosixPath(rel).parts
        if any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue
        if PurePosixPath(rel).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if len(parts) < 2:
            _bad_item(f"{source}: {rel}: image is not inside a class folder", skip_bad, skipped)
            continue
        cls = canonical_class(parts[-2])
        if cls not in CLASSES:  # FER+'s contempt too: FER2013 folders have seven; open_classes takes any
            cls = parts[-2].strip().lower() if open_classes else None
        if cls is None:
            known = f"expected one of {', '.join(CLASSES)} or a known alias"
            _bad_item(f"{source}: unknown class folder {parts[-2]!r} (at {rel}); {known}", skip_bad, skipped)
            unknown_folders[parts[-2]] += 1
            continue
        try:
            img = decode_gray(read(), size, rel)
        except (ImageError, OSError) as exc:
            reason = str(exc).removeprefix(f"{rel}: ")
            _bad_item(f"{source}: {rel}: unreadable image ({reason})", skip_bad, skipped)
            continue
        images.append(img)
        labels.append(cls)
        splits.append(_split_of(parts) or "train")
        names.append(rel)
    if unknown_folders:
        log.warning("%s: skipped unknown class folders %s", source, dict(unknown_folders))
    extra = sorted(set(labels) - set(CLASSES))
    classes = CLASSES + tuple(extra)
    index = {c: i for i, c in enumerate(classes)}
    return _assemble(images, [index[c] for c in labels], splits, names, source, skipped, size, classes)


def _read_csv(path: Path, size: int, skip_bad: bool) -> FERDataset:
    images, labels, splits, names, skipped = [], [], [], [], []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        if "emotion" not in header or "pixels" not in header:
            raise DataError(
                f"{path}: expected a header with 'emotion' and 'pixels' columns (and optional 'Usage'), "
                f"got {header[:5]}"
            )
        i_emo, i_pix = header.index("emotion"), header.index("pixels")
        i_use = header.index("usage") if "usage" in header else None
        for line_no, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            try:
                img, label, split = _parse_csv_row(row, i_emo, i_pix, i_use)
                if img.shape[0] != size:
                    img = fit_gray(img, size)
            except ValueError as exc:
                _bad_item(f"{path}:{line_no}: {exc}", skip_bad, skipped)
                continue
            images.append(img)
            labels.append(label)
            splits.append(split)
            names.append(f"{path.name}:{line_no}")
    return _assemble(images, labels, splits, names, str(path), skipped, size)


def _parse_csv_row(row: list[str], i_emo: int, i_pix: int, i_use: int | None) -> tuple[np.ndarray, int, str]:
    if len(row) <= max(i_emo, i_pix, i_use or 0):
        raise ValueError(f"expected at least {max(i_emo, i_pix, i_use or 0) + 1} columns, got {len(row)}")
    emo = row[i_emo].strip()
    if emo.isdigit():
        if int(emo) >= len(FER2013_INT_LABELS):
            raise ValueError(f"emotion {emo} is not a FER2013 label (0-6)")
        cls = FER2013_INT_LABELS[int(emo)]
    else:
        cls = canonical_class(emo)
        if cls not in CLASSES:  # FER2013's CSV has seven classes (FER+'s contempt comes with --ferplus)
            raise ValueError(f"unknown emotion {emo!r}")
    try:
        pixels = np.array(row[i_pix].split(), dtype=np.int64)
    except ValueError:
        raise ValueError("pixels are not all whole numbers") from None
    side = int(round(len(pixels) ** 0.5))
    if len(pixels) == 0 or side * side != len(pixels):
        raise ValueError(f"expected a square image's pixel count (2304 for 48x48), got {len(pixels)}")
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError("pixel values must lie in 0-255")
    split = "train"
    if i_use is not None:
        usage = row[i_use].strip().lower()
        split = _PREFIX_SPLITS.get(usage) or _FOLDER_SPLITS.get(usage) or ""
        if not split:
            raise ValueError(f"unknown Usage {row[i_use]!r} (expected Training, PublicTest or PrivateTest)")
    return pixels.astype(np.uint8).reshape(side, side), CLASSES.index(cls), split


def _assemble(
    images: list, labels: list, splits: list, names: list, source: str, skipped: list, size: int,
    classes: tuple[str, ...] = CLASSES,
) -> FERDataset:  # fmt: skip
    stack = np.stack(images) if images else np.zeros((0, size, size), np.uint8)
    return FERDataset.of(stack, labels, splits, names, classes=classes, source=source, skipped=tuple(skipped))
