"""Argument checks done while parsing, so that a bad flag costs one line and exit status 2 before anything
loads: numbers in range, output files and folders that can be written. And the parser class whose errors
are that one line."""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (``ferkit predict: error: ...``), exit status 2; the
    usage stays one ``--help`` away rather than printed above every mistake."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def number(
    kind: type = float, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
    hi_open: bool = False,
) -> Callable[[str], float | int]:  # fmt: skip
    """An argparse ``type`` for a number in ``[lo, hi]`` (``lo_open``/``hi_open``: that end excluded)."""
    left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
    span = f"{left}{'-inf' if lo is None else _fmt(lo)}, {'inf' if hi is None else _fmt(hi)}{right}"

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        below = lo is not None and (value <= lo if lo_open else value < lo)
        above = hi is not None and (value >= hi if hi_open else value > hi)
        if below or above:
            raise argparse.ArgumentTypeError(f"must be in {span}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def widths(text: str) -> list[int]:
    """An argparse ``type`` for face widths in pixels, ``16,24,32``: whole numbers from 8 to 47 (below the
    network's 48-pixel input, where the model's own calibration holds)."""
    parse = number(int, 8, 47)
    try:
        return sorted({parse(part) for part in text.split(",")})
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: each width {exc}") from None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def output_file(text: str) -> str:
    """A file ferkit will write (``-`` is standard output): not a folder or a special file (a FIFO, a
    device, something under /proc). A missing folder for it is made here, once the checks pass, so that
    every writer (JSON, CSV, packs, ONNX files, pictures) finds it, as ``--out`` folders are made."""
    if text == "-":
        return text
    path = Path(text)
    problem = _unwritable_file(path)
    if problem:
        raise argparse.ArgumentTypeError(f"{text}: {problem}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return text


def _unwritable_file(path: Path) -> str | None:
    anchor = _nearest_existing(path.parent)
    if not anchor.is_dir():
        return f"cannot write here: {anchor} is not a folder"
    if not path.exists():
        return None if os.access(anchor, os.W_OK) else f"cannot write here: {anchor} is not writable"
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return "is a folder; give a file name"
    if not stat.S_ISREG(mode) or str(path.resolve()).startswith(("/proc/", "/sys/", "/dev/")):
        return "is not a regular file (a FIFO, device or system file); give a file name"
    if not os.access(path, os.W_OK):
        return "exists and is not writable"
    return None


def output_dir(text: str) -> str:
    """A folder ferkit will write into (made if missing): it must not be an existing file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: exists and is not a folder; give a folder")
    anchor = _nearest_existing(path)
    if not anchor.is_dir() or not os.access(anchor, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot create a folder under {anchor}")
    return text


def _nearest_existing(path: Path) -> Path:
    """``path`` or the nearest of its parents that exists: where missing folders would be made."""
    return next((p for p in (path, *path.parents) if p.exists()), Path("."))


# Common ranges, named once.
PROBABILITY = number(float, 0.0, 1.0)
FRACTION_OPEN = number(float, 0.0, 1.0, lo_open=True, hi_open=True)
POSITIVE = number(float, 0.0, lo_open=True)
NON_NEGATIVE = number(float, 0.0)
COUNT = number(int, 1)
NON_NEGATIVE_INT = number(int, 0)
