"""Running the pipeline over many inputs (images, folders, videos): one result per input, streamed to
JSON Lines / CSV in constant memory, resumable, never stopping at a bad input; optionally on Ray."""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..data.decode import IMAGE_SUFFIXES, VIDEO_SUFFIXES, ImageError
from ..labels import parse_classes
from ..models.shipped import spec_meta, split_weights
from .pipeline import Located, Recognizer, error_result
from .results import Result, VideoResult, face_columns, face_rows

log = logging.getLogger(__name__)

#: Flush a chunk early once the images kept for annotation hold this many pixels.
HELD_PIXELS = 50_000_000


def iter_inputs(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files as given; folders walked recursively (sorted, lazily: 100,000 files cost no memory) for
    images and videos. A missing or odd file given by name still yields, so it gets a result row."""
    wanted = IMAGE_SUFFIXES | VIDEO_SUFFIXES
    for p in map(Path, paths):
        if not p.is_dir():
            yield p
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and Path(name).suffix.lower() in wanted:
                    yield Path(root) / name


def done_paths(jsonl: Path) -> set[str]:
    """Inputs already recorded in a results file; a torn last line (killed mid-write) is cut off."""
    done: set[str] = set()
    if not jsonl.exists():
        return done
    good = 0
    with open(jsonl, "rb") as fh:
        for line in fh:
            try:
                done.add(json.loads(line)["path"])
            except (ValueError, KeyError):
                break
            good += len(line)
    if good < jsonl.stat().st_size:
        log.warning("%s: dropping a torn last line left by an interrupted run", jsonl)
        with open(jsonl, "r+b") as fh:
            fh.truncate(good)
    return done


def reconcile_csv(path: Path, done: set[str]) -> None:
    """Keep only the complete CSV rows of inputs the JSON Lines file records as done: rows are written
    before the JSON line, so a run killed in between (or mid-row) would otherwise repeat or tear them."""
    if not path.exists() or path.stat().st_size == 0:
        return
    tmp = path.with_name(path.name + ".tmp")
    dropped = 0
    with open(path, newline="", encoding="utf-8") as src, open(tmp, "w", newline="", encoding="utf-8") as dst:
        dst.write(src.readline())  # the header
        for line in src:
            row = next(csv.reader([line]), [])
            if line.endswith("\n") and row and row[0] in done:
                dst.write(line)
            else:
                dropped += 1
    os.replace(tmp, path)
    if dropped:
        log.warning("%s: dropped %d row(s) of inputs that were not finished; they are done again", path, dropped)


class ResultSink:
    """Streams results to JSON Lines and/or CSV as they come (constant memory), appending on resume."""

    def __init__(self, jsonl: Path | None, csv_path: Path | None, classes: tuple[str, ...]) -> None:
        self.jsonl = open(jsonl, "a", encoding="utf-8") if jsonl else None
        self.csv = None
        if csv_path:
            new = not csv_path.exists() or csv_path.stat().st_size == 0
            self.csv = open(csv_path, "a", newline="", encoding="utf-8")
            self.csv_writer = csv.DictWriter(self.csv, fieldnames=face_columns(classes), extrasaction="ignore")
            if new:
                self.csv_writer.writeheader()

    def write(self, result: Result) -> None:
        d = result.to_dict()
        if self.csv:
            self.csv_writer.writerows(face_rows(d))
            self.csv.flush()
        if self.jsonl:  # last, so a result in the JSONL is always in the CSV too
            self.jsonl.write(json.dumps(d) + "\n")
            self.jsonl.flush()

    def close(self) -> None:
        for fh in (self.jsonl, self.csv):
            if fh:
                fh.close()


def _out_name(path: Path, suffix: str) -> str:
    """A flat, collision-resistant output file name for an input path."""
    parts = [p for p in path.with_suffix("").parts if p not in ("/", "..", ".")][-3:]
    return "__".join(parts) + suffix


def predict_paths(
    recognizer: Recognizer, paths: Iterable[Path], *, chunk: int = 32, annotate_dir: Path | None = None,
    sample_fps: float | None = None, smoothing: float = 0.6,
) -> Iterator[Result]:  # fmt: skip
    """Results for ``paths``, in order. The faces of up to ``chunk`` consecutive images go through the
    network as one batch (one call per image made 48×48 crops several times slower); videos run alone."""
    pending: list[Located] = []
    held = 0  # pixels of images kept for annotation: flush early rather than hold many huge photos

    def flush() -> Iterator[Result]:
        for item, result in zip(pending, recognizer.classify(pending)):
            if item.image is not None and result.faces:
                result.annotated = _annotate(item.image, result, annotate_dir)
            yield result
        pending.clear()

    for path in map(Path, paths):
        if path.suffix.lower() in VIDEO_SUFFIXES:
            yield from flush()
            yield _run_video(recognizer, path, annotate_dir, sample_fps, smoothing)
            continue
        item = recognizer.locate_or_error(path, name=str(path), keep_image=annotate_dir is not None)
        pending.append(item)
        held += item.image.size if item.image is not None else 0
        if len(pending) >= chunk or held > HELD_PIXELS:
            yield from flush()
            held = 0
    yield from flush()


def _annotate(image, result, annotate_dir: Path) -> str:
    from .annotate import draw_faces, save_rgb

    out = annotate_dir / _out_name(Path(result.path), ".annotated.jpg")
    save_rgb(out, draw_faces(image, result.faces))
    return str(out)


def _run_video(
    recognizer: Recognizer, path: Path, annotate_dir: Path | None, sample_fps: float | None, smoothing: float
) -> VideoResult:
    try:
        ann = annotate_dir / _out_name(path, ".annotated.mp4") if annotate_dir else None  # or .webm: the codec's
        res = recognizer.predict_video(path, sample_fps=sample_fps, smoothing=smoothing, annotate_to=ann)
        if annotate_dir:
            from .annotate import plot_timeline

            plot_timeline(
                [f.to_dict() for f in res.frames],
                recognizer.classes,
                annotate_dir / _out_name(path, ".timeline.png"),
                title=f"{path.name}: expression over time",
            )
        return res
    except (ImageError, OSError) as exc:
        err = error_result(str(path), exc)
        return VideoResult(path=str(path), status="error", error=err.error)


def predict_stream(
    options: dict, paths: Iterable[Path], *, ray_address: str | None = None, chunk: int = 32, **kw
) -> Iterator[Result]:
    """Results for ``paths`` in order. Locally by default; with ``ray_address`` ("local", "auto" or a
    cluster address) on Ray actors, each loading the recognizer once (``options`` are
    :meth:`Recognizer.from_pretrained` keywords)."""
    if not ray_address:
        yield from predict_paths(Recognizer.from_pretrained(**options), paths, chunk=chunk, **kw)
        return
    from .ray_batch import ray_stream

    yield from ray_stream(options, paths, ray_address, chunk, kw)


class BatchJob:
    """``ferkit predict`` over many inputs: what is left to do (after ``--resume``), the streams it writes,
    and the counts by status. The CLI only shows progress and prints."""

    def __init__(
        self, paths: list[str], *, jsonl: str | None = None, csv_path: str | None = None, resume: bool = False
    ) -> None:
        self.paths, self.jsonl = paths, Path(jsonl) if jsonl else None
        self.csv = Path(csv_path) if csv_path else None
        for out in (self.jsonl, self.csv):
            if out and out.exists() and out.stat().st_size and not resume:
                raise FileExistsError(f"{out}: already has results; add --resume to continue, or choose another file")
        if resume and not self.jsonl:
            raise ValueError("--resume needs --jsonl FILE (it records which inputs are done)")
        self.skip = done_paths(self.jsonl) if (self.jsonl and resume) else set()
        if resume and self.csv:
            reconcile_csv(self.csv, self.skip)
        self.total = sum(1 for _ in self.todo())
        if self.total == 0 and not self.skip:
            raise ValueError(f"no images or videos found in {', '.join(paths)}")
        self.counts = {"ok": 0, "no_face": 0, "error": 0}

    def todo(self) -> Iterator[Path]:
        return (p for p in iter_inputs(self.paths) if str(p) not in self.skip)

    def run(self, options: dict, **kw) -> Iterator[Result]:
        """Results as they come, each already written to the streams."""
        weights = split_weights(options.get("weights", "default"))[0]
        classes = parse_classes(options["classes"]) if options.get("classes") else tuple(spec_meta(weights)["classes"])
        sink = ResultSink(self.jsonl, self.csv, classes)
        try:
            for r in predict_stream(options, self.todo(), **kw):
                sink.write(r)
                self.counts[r.status] += 1
                yield r
        finally:
            sink.close()
