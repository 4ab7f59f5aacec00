"""A dataset packed into one small file for a GPU machine (``ferkit data pack``), and its reader.

The device tool carries at most 64 MiB of working tree to a GPU, and FER2013's Training set alone is
62 MB of raw pixels: zip's JPEGs are smaller but their decoding is the slow part of reading FER2013. A
pack holds only the splits a run needs, already decoded and with duplicates dropped, in an ``.npz``
(plain arrays, nothing pickled) compressed with the standard library's xz. Each image is stored as its
row-to-row differences, which xz compresses about 4% better than the pixels (faces change slowly down a
column). Reading one needs numpy and the standard library only, so ``load_dataset`` reads it like any
other source and training on the GPU runs the same code as on the CPU.
"""

from __future__ import annotations

import io
import json
import lzma
import os
from pathlib import Path

import numpy as np

from .dataset import DataError, FERDataset

SUFFIX = ".npz.xz"
PACK_FORMAT = "ferkit-pack"
PACK_VERSION = 1


def is_pack(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIX)


def write_pack(data: FERDataset, path: str | os.PathLike, *, splits: tuple[str, ...] = ("train", "val")) -> Path:
    """Write ``data``'s ``splits`` to ``path`` (``*.npz.xz``); returns the path. Atomic."""
    path = Path(path)
    if not is_pack(path):
        raise ValueError(f"{path}: a pack's name ends in {SUFFIX}")
    keep = np.isin(data.splits, splits)
    if not keep.any():
        raise DataError(f"{data.source}: no images in split(s) {', '.join(splits)}")
    images = np.ascontiguousarray(data.images[keep])
    header = {"format": PACK_FORMAT, "version": PACK_VERSION, "classes": list(data.classes), "source": data.source}
    buf = io.BytesIO()
    np.savez(
        buf,
        header=np.array(json.dumps(header)),
        rows=_row_differences(images),
        labels=data.labels[keep].astype(np.uint8),
        splits=data.splits[keep].astype(str),
        names=data.names[keep].astype(str),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(lzma.compress(buf.getvalue(), preset=6))
    os.replace(tmp, path)
    return path


def read_pack(path: Path) -> FERDataset:
    """The dataset in a pack written by :func:`write_pack`; a clear :class:`DataError` for anything else."""
    try:
        raw = lzma.decompress(path.read_bytes())
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            if header.get("format") != PACK_FORMAT or header.get("version") != PACK_VERSION:
                raise DataError(f"{path}: not a ferkit pack of version {PACK_VERSION}")
            images = np.cumsum(z["rows"], axis=1, dtype=np.uint8)  # uint8 sums wrap, undoing the differences
            return FERDataset(
                images=images,
                labels=z["labels"].astype(np.int64),
                splits=z["splits"],
                names=z["names"],
                classes=tuple(header["classes"]),
                source=str(path),
            )
    except (lzma.LZMAError, OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path}: not a readable ferkit pack ({exc})") from exc


def _row_differences(images: np.ndarray) -> np.ndarray:
    """Each row minus the row above it, wrapping in uint8 (the first row stays as it is)."""
    rows = images.copy()
    rows[:, 1:, :] -= images[:, :-1, :]
    return rows
