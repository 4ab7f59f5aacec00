"""Decoded datasets cached as ``.npz``, keyed by a hash of the source: FER2013 decodes once (7 s), then
reloads in under a second. Nothing is unpickled (``allow_pickle=False``)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from .dataset import PER_IMAGE, FERDataset
from .readers import READER_VERSION, read_source

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where decoded datasets are cached: ``$FERKIT_CACHE_DIR`` or ``~/.cache/ferkit``."""
    root = os.environ.get("FERKIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ferkit"
    )
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


def load_cached(path: Path, *, image_size: int, skip_bad: bool, cache: bool, open_classes: bool) -> FERDataset:
    if not cache:
        return read_source(path, image_size=image_size, skip_bad=skip_bad, open_classes=open_classes)
    key = f"{source_fingerprint(path)[:24]}-s{image_size}-b{int(skip_bad)}-o{int(open_classes)}-v{READER_VERSION}"
    file = cache_dir() / "datasets" / f"{key}.npz"
    if file.exists():
        try:
            with np.load(file, allow_pickle=False) as z:
                arrays = {k: z[k] for k in PER_IMAGE if k in z.files}
                tuples = {k: tuple(z[k].tolist()) for k in ("classes", "skipped")}
                return FERDataset(**arrays, **tuples, source=str(path))
        except (OSError, KeyError, ValueError) as exc:
            log.warning("ignoring unreadable cache %s: %s", file, exc)
    data = read_source(path, image_size=image_size, skip_bad=skip_bad, open_classes=open_classes)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp.npz")
        arrays = {k: getattr(data, k) for k in PER_IMAGE if getattr(data, k) is not None}
        tuples = {k: np.asarray(getattr(data, k), dtype=str) for k in ("classes", "skipped")}
        np.savez(tmp, **arrays, **tuples)
        os.replace(tmp, file)
    except OSError as exc:  # a read-only home is no reason to fail
        log.warning("could not write dataset cache %s: %s", file, exc)
    return data
