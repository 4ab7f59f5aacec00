"""A dataset packed into one small file to send to a remote GPU machine (``ferkit data pack``), and its
reader.

Such transfers are often size-limited, and FER2013's Training set alone is 62 MB of raw pixels (the zip's
JPEGs are smaller, but decoding them is the slow part of reading FER2013). A
pack holds only the splits a run needs, already decoded and with duplicates dropped, in an ``.npz``
(plain arrays, nothing pickled) compressed with the standard library's xz. Each image is stored as its
row-to-row differences, which xz compresses about 4% better than the pixels (faces change slowly down a
column). Reading one needs numpy and the standard library only, so ``load_dataset`` reads it like any
other source and training on the GPU runs the same code as on the CPU.

FER2013's equalised faces are close to incompressible (6.3 bits a pixel after xz: 55 MB for Training and
PublicTest). ``train_quantum=3`` stores the training split
near-losslessly instead: each grey level rounded to the nearest multiple of 3 (no pixel moves by more than
1 of 255, far below the augmentation's contrast jitter), which xz packs into 21% fewer bytes. Evaluation
splits are always stored exactly, so choosing on them is unchanged. A pack also carries FER+ votes where
the dataset has them attached (``ferkit data pack --ferplus``).
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
PACK_VERSION = 2
_READABLE_VERSIONS = (1, 2)


def is_pack(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIX)


def write_pack(
    data: FERDataset, path: str | os.PathLike, *, splits: tuple[str, ...] = ("train", "val"), train_quantum: int = 1
) -> Path:
    """Write ``data``'s ``splits`` to ``path`` (``*.npz.xz``); returns the path. Atomic. ``train_quantum``
    (1 = exact, 3 = near-lossless: no training pixel moves by more than 1) is the training split's grey step."""
    path = Path(path)
    if not is_pack(path):
        raise ValueError(f"{path}: a pack's name ends in {SUFFIX}")
    if train_quantum not in (1, 3):
        raise ValueError(f"train_quantum must be 1 (exact) or 3 (near-lossless), not {train_quantum}")
    keep = np.isin(data.splits, splits)
    if not keep.any():
        raise DataError(f"{data.source}: no images in split(s) {', '.join(splits)}")
    images = np.ascontiguousarray(data.images[keep])
    train = data.splits[keep] == "train"
    if train_quantum > 1:  # store the step's index; reading multiplies back (255 // 3 = 85 levels, exact ends)
        images[train] = (images[train].astype(np.int16) + train_quantum // 2) // train_quantum
    header = {"format": PACK_FORMAT, "version": PACK_VERSION, "classes": list(data.classes), "source": data.source}
    arrays = {} if data.votes is None else {"votes": data.votes[keep].astype(np.uint8)}
    arrays.update(header=np.array(json.dumps({**header, "train_quantum": train_quantum})))
    arrays.update(rows=_row_differences(images), labels=data.labels[keep].astype(np.uint8))
    buf = io.BytesIO()
    np.savez(buf, **arrays, splits=data.splits[keep].astype(str), names=data.names[keep].astype(str))
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
            if header.get("format") != PACK_FORMAT or header.get("version") not in _READABLE_VERSIONS:
                raise DataError(f"{path}: not a ferkit pack of version {PACK_VERSION}")
            images = np.cumsum(z["rows"], axis=1, dtype=np.uint8)  # uint8 sums wrap, undoing the differences
            splits = z["splits"]
            quantum = int(header.get("train_quantum", 1))
            if quantum > 1:
                train = splits == "train"
                images[train] = np.minimum(images[train].astype(np.int16) * quantum, 255).astype(np.uint8)
            votes = z["votes"] if "votes" in z.files else None
            fields = dict(classes=tuple(header["classes"]), source=str(path), votes=votes)
            return FERDataset.of(images, z["labels"], splits, z["names"], **fields)
    except (lzma.LZMAError, OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path}: not a readable ferkit pack ({exc})") from exc


def _row_differences(images: np.ndarray) -> np.ndarray:
    """Each row minus the row above it, wrapping in uint8 (the first row stays as it is)."""
    rows = images.copy()
    rows[:, 1:, :] -= images[:, :-1, :]
    return rows
