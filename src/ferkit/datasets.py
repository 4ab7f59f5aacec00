"""Read facial-expression datasets into one in-memory form.

FER2013 comes as the challenge CSV (``emotion,pixels,Usage``), as the Kaggle image folders
(``train/<class>/Training_*.jpg``, ``test/<class>/PublicTest_*.jpg`` ...), as a zip of those folders,
and people's own data comes as ``train|val|test/<class>/`` trees. All of them become a
:class:`FERDataset`: uint8 grey images plus canonical labels and a split per image. Decoding happens
once; the result is cached as ``.npz`` keyed by a hash of the source, so a reload takes a fraction of
a second.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .labels import CLASSES, FER2013_INT_LABELS, canonical_class, parse_classes

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "val", "test")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm"}
_READER_VERSION = 3  # bump when decoding changes, so stale caches are not reused

# FER2013 file-name prefixes (and CSV ``Usage`` values) name the split.
_PREFIX_SPLITS = {"training": "train", "publictest": "val", "privatetest": "test"}
_FOLDER_SPLITS = {
    "train": "train", "training": "train",
    "val": "val", "valid": "val", "validation": "val", "publictest": "val", "dev": "val",
    "test": "test", "testing": "test", "privatetest": "test",
}
DUPLICATE_POLICIES = ("none", "cross-split", "all")


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

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def _take(self, mask: np.ndarray) -> FERDataset:
        return replace(self, images=self.images[mask], labels=self.labels[mask],
                       splits=self.splits[mask], names=self.names[mask])

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
) -> FERDataset:
    """Load any supported dataset form, with splits completed and an optional class subset.

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
    data = _load_cached(path, image_size=image_size, skip_bad=skip_bad, cache=cache, open_classes=open_classes)
    if data.skipped:
        log.warning("%s: skipped %d bad item(s), first: %s", path, len(data.skipped), data.skipped[0])
    data = complete_splits(data, val_fraction=val_fraction, seed=seed)
    if classes is None and open_classes:
        present = sorted(set(data.labels.tolist()))
        classes = tuple(data.classes[i] for i in present)
    data = data.select_classes(classes)
    if drop_duplicates != "none":
        data = drop_duplicate_images(data, drop_duplicates)
    return data


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


def _carve(splits: np.ndarray, labels: np.ndarray, src: str, dst: str, fraction: float,
           rng: np.random.Generator) -> np.ndarray:
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


# --------------------------------------------------------------------------- caching


def cache_dir() -> Path:
    """Where decoded datasets are cached: ``$FERKIT_CACHE_DIR`` or ``~/.cache/ferkit``."""
    root = os.environ.get("FERKIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ferkit")
    return Path(root)


def source_fingerprint(path: Path) -> str:
    """sha256 of a file's bytes; for a folder, of its image files' paths, sizes and times."""
    h = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    else:
        for p in sorted(path.rglob("*")):
            if p.is_file():
                st = p.stat()
                h.update(f"{p.relative_to(path).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _load_cached(path: Path, *, image_size: int, skip_bad: bool, cache: bool, open_classes: bool) -> FERDataset:
    if not cache:
        return _read_source(path, image_size=image_size, skip_bad=skip_bad, open_classes=open_classes)
    key = f"{source_fingerprint(path)[:24]}-s{image_size}-b{int(skip_bad)}-o{int(open_classes)}-v{_READER_VERSION}"
    file = cache_dir() / "datasets" / f"{key}.npz"
    if file.exists():
        try:
            with np.load(file, allow_pickle=False) as z:
                return FERDataset(images=z["images"], labels=z["labels"], splits=z["splits"], names=z["names"],
                                  classes=tuple(z["classes"].tolist()), source=str(path),
                                  skipped=tuple(z["skipped"].tolist()))
        except (OSError, KeyError, ValueError) as exc:
            log.warning("ignoring unreadable cache %s: %s", file, exc)
    data = _read_source(path, image_size=image_size, skip_bad=skip_bad, open_classes=open_classes)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, images=data.images, labels=data.labels, splits=data.splits, names=data.names,
                 classes=np.asarray(data.classes, dtype=str), skipped=np.asarray(data.skipped, dtype=str))
        os.replace(tmp, file)
    except OSError as exc:  # a read-only home is no reason to fail
        log.warning("could not write dataset cache %s: %s", file, exc)
    return data


# --------------------------------------------------------------------------- readers


def _read_source(path: Path, *, image_size: int, skip_bad: bool, open_classes: bool = False) -> FERDataset:
    if path.is_dir():
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
        raise DataError(f"{path}: unsupported dataset; give a FER2013 .csv, a .zip or a folder of class folders")
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


def decode_gray(raw: bytes, size: int) -> np.ndarray:
    """Decode image bytes to a ``size``×``size`` uint8 grey array (EXIF orientation honoured)."""
    with Image.open(io.BytesIO(raw)) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            im = Image.fromarray((np.asarray(im, dtype=np.float32) / 257.0).clip(0, 255).astype(np.uint8))
        im = im.convert("L")
        if im.size != (size, size):
            im = im.resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def _read_tree(entries: Iterator[tuple[str, Callable[[], bytes]]], source: str, size: int,
               skip_bad: bool, open_classes: bool = False) -> FERDataset:
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
        if cls is None and open_classes:
            cls = parts[-2].strip().lower()
        if cls is None:
            _bad_item(f"{source}: unknown class folder {parts[-2]!r} (at {rel}); expected one of "
                      f"{', '.join(CLASSES)} or a known alias", skip_bad, skipped)
            unknown_folders[parts[-2]] += 1
            continue
        try:
            img = decode_gray(read(), size)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            _bad_item(f"{source}: {rel}: unreadable image ({exc.__class__.__name__}: {exc})", skip_bad, skipped)
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
            raise DataError(f"{path}: expected a header with 'emotion' and 'pixels' columns (and optional 'Usage'), "
                            f"got {header[:5]}")
        i_emo, i_pix = header.index("emotion"), header.index("pixels")
        i_use = header.index("usage") if "usage" in header else None
        for line_no, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            try:
                img, label, split = _parse_csv_row(row, i_emo, i_pix, i_use)
                if img.shape[0] != size:
                    img = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.BILINEAR))
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
        if cls is None:
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


def _assemble(images: list, labels: list, splits: list, names: list, source: str, skipped: list,
              size: int, classes: tuple[str, ...] = CLASSES) -> FERDataset:
    return FERDataset(
        classes=classes,
        images=np.stack(images) if images else np.zeros((0, size, size), np.uint8),
        labels=np.asarray(labels, dtype=np.int64),
        splits=np.asarray(splits, dtype="<U5"),
        names=np.asarray(names, dtype=str),
        source=source,
        skipped=tuple(skipped),
    )
