"""Running a recognizer over many inputs (images, folders, videos), one result per input, never stopping
at a bad one."""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from .imageio import IMAGE_SUFFIXES, VIDEO_SUFFIXES, ImageError, load_image
from .predictor import Recognizer

log = logging.getLogger(__name__)


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


def expand_inputs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    return list(iter_inputs(paths))


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


class ResultSink:
    """Streams results to JSON Lines and/or CSV as they come (constant memory), appending on resume."""

    def __init__(self, jsonl: Path | None, csv_path: Path | None, classes: tuple[str, ...]) -> None:
        self.jsonl = open(jsonl, "a", encoding="utf-8") if jsonl else None
        self.csv = None
        self.classes = classes
        if csv_path:
            new = not csv_path.exists() or csv_path.stat().st_size == 0
            self.csv = open(csv_path, "a", newline="", encoding="utf-8")
            self.csv_writer = csv.DictWriter(self.csv, fieldnames=csv_columns(classes), extrasaction="ignore")
            if new:
                self.csv_writer.writeheader()

    def write(self, result: dict) -> None:
        if self.csv:
            self.csv_writer.writerows(csv_rows(result, self.classes))
            self.csv.flush()
        if self.jsonl:  # last, so a result in the JSONL is always in the CSV too
            self.jsonl.write(json.dumps(result) + "\n")
            self.jsonl.flush()

    def close(self) -> None:
        for fh in (self.jsonl, self.csv):
            if fh:
                fh.close()


def _out_name(path: Path, suffix: str) -> str:
    """A flat, collision-resistant output file name for an input path."""
    parts = [p for p in path.with_suffix("").parts if p not in ("/", "..", ".")][-3:]
    return "__".join(parts) + suffix


def predict_paths(recognizer: Recognizer, paths: Iterable[Path], *, chunk: int = 32,
                  annotate_dir: Path | None = None, sample_fps: float | None = None,
                  smoothing: float = 0.6) -> Iterator[dict]:
    """Results for ``paths``, in order. The faces of up to ``chunk`` consecutive images go through the
    network as one batch (one call per image made 48×48 crops several times slower); videos run alone."""
    pending: list[tuple[dict, np.ndarray | None, list, list]] = []  # result, image to annotate, detections, crops
    held = 0  # pixels of images kept for annotation: flush early rather than hold many huge photos

    def flush() -> Iterator[dict]:
        crops = [c for *_, cs in pending for c in cs]
        probs = recognizer.predict_faces(crops)
        k = 0
        for result, rgb, dets, cs in pending:
            faces = recognizer.faces(dets, probs[k:k + len(cs)])
            k += len(cs)
            if result["status"] != "error":
                result["faces"] = [f.to_dict() for f in faces]
                if not faces:
                    result.update(status="no_face", error=f"{result['path']}: no face found")
                if rgb is not None:
                    result["annotated"] = _annotate(rgb, faces, Path(result["path"]), annotate_dir)
            yield result
        pending.clear()

    for path in paths:
        path = Path(path)
        if path.suffix.lower() in VIDEO_SUFFIXES:
            yield from flush()
            yield _run_video(recognizer, path, annotate_dir, sample_fps, smoothing)
            continue
        result: dict = {"path": str(path), "kind": "image", "status": "ok", "error": None}
        try:
            rgb = load_image(path)
            dets, crops = recognizer.find_faces(rgb)
        except (ImageError, OSError, ValueError) as exc:
            pending.append((_failed(result, path, exc), None, [], []))
        else:
            keep = rgb if annotate_dir else None
            held += keep.size if keep is not None else 0
            pending.append((result, keep, dets, crops))
        if len(pending) >= chunk or held > 50_000_000:
            yield from flush()
            held = 0
    yield from flush()


def _failed(result: dict, path: Path, exc: Exception) -> dict:
    return {**result, "status": "error", "error": str(exc) if str(path) in str(exc) else f"{path}: {exc}"}


def _annotate(rgb: np.ndarray, faces: list, path: Path, annotate_dir: Path) -> str:
    from .annotate import draw_faces, save_rgb

    out = annotate_dir / _out_name(path, ".annotated.jpg")
    save_rgb(out, draw_faces(rgb, faces))
    return str(out)


def _run_video(recognizer: Recognizer, path: Path, annotate_dir: Path | None, sample_fps: float | None,
               smoothing: float) -> dict:
    from .video import plot_timeline, process_video

    result: dict = {"path": str(path), "kind": "video", "status": "ok", "error": None}
    try:
        ann = annotate_dir / _out_name(path, ".annotated.mp4") if annotate_dir else None
        res = process_video(recognizer, path, sample_fps=sample_fps, smoothing=smoothing, annotate_to=ann)
        result.update(rows=res.rows, summary=res.summary)
        if annotate_dir:
            plot_timeline(res.rows, recognizer.classes, annotate_dir / _out_name(path, ".timeline.png"),
                          title=f"{path.name}: expression over time")
            result["annotated"] = str(ann)
        if not res.rows:
            result.update(status="no_face", error=f"{path}: no face found in any sampled frame")
    except (ImageError, OSError, ValueError) as exc:
        result = _failed(result, path, exc)
    return result


def csv_columns(classes: tuple[str, ...]) -> list[str]:
    return ["path", "kind", "status", "error", "frame", "time_s", "track_id", "x", "y", "w", "h", "label",
            "confidence", "detector_score"] + [f"p_{c}" for c in classes]


def csv_rows(r: dict, classes: tuple[str, ...]) -> list[dict]:
    """One row per face (per frame for videos); an input without faces gets one row with its status."""
    base = {"path": r["path"], "kind": r["kind"], "status": r["status"], "error": r["error"] or ""}
    faces = r.get("faces") if r["kind"] == "image" else r.get("rows")
    rows = []
    for f in faces or []:
        x, y, bw, bh = f["box"]
        rows.append({**base, "frame": f.get("frame", ""), "time_s": f.get("time_s", ""),
                     "track_id": f.get("track_id", ""), "x": x, "y": y, "w": bw, "h": bh, "label": f["label"],
                     "confidence": f["confidence"], "detector_score": f["detector_score"],
                     **{f"p_{c}": f["probs"][c] for c in classes}})
    return rows or [base]


def predict_stream(options: dict, paths: Iterable[Path], *, ray_address: str | None = None, chunk: int = 32,
                   **kw) -> Iterator[dict]:
    """Results for ``paths`` in order. Locally by default; with ``ray_address`` ("local", "auto" or a
    cluster address) on Ray actors, each loading the recognizer once (``options`` are
    :meth:`Recognizer.from_pretrained` keywords)."""
    if not ray_address:
        yield from predict_paths(Recognizer.from_pretrained(**options), paths, chunk=chunk, **kw)
        return
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise ValueError("--ray needs Ray: pip install 'ray>=2.9'") from None
    if not ray.is_initialized():
        ray.init(address=None if ray_address == "local" else ray_address, log_to_driver=False,
                 include_dashboard=False)

    @ray.remote
    class Worker:
        def __init__(self, opts: dict) -> None:
            self.rec = Recognizer.from_pretrained(**opts)

        def run(self, chunk_paths: list[str], kwargs: dict) -> list[dict]:
            return list(predict_paths(self.rec, [Path(p) for p in chunk_paths], chunk=len(chunk_paths), **kwargs))

    n = max(1, int(ray.available_resources().get("CPU", 1)))
    pool = ActorPool([Worker.options(num_cpus=1).remote(options) for _ in range(n)])

    def chunks() -> Iterator[list[str]]:
        buf: list[str] = []
        for p in paths:
            buf.append(str(p))
            if len(buf) == chunk:
                yield buf
                buf = []
        if buf:
            yield buf

    # Submit a bounded window of chunks at a time so memory stays flat on 100,000 inputs.
    pending = 0
    window = 2 * n
    for c in chunks():
        pool.submit(lambda actor, v: actor.run.remote(v, kw), c)
        pending += 1
        if pending >= window:
            yield from pool.get_next()
            pending -= 1
    while pending:
        yield from pool.get_next()
        pending -= 1
