"""Running a recognizer over many inputs (images, folders, videos), one result per input, never stopping
at a bad one."""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .imageio import IMAGE_SUFFIXES, VIDEO_SUFFIXES, ImageError, load_image
from .predictor import Recognizer

log = logging.getLogger(__name__)


def expand_inputs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given; folders searched recursively for images and videos (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES
                          and not any(part.startswith(".") for part in f.relative_to(p).parts))
        else:
            out.append(p)  # a missing or odd file still gets a result row saying so
    return out


def _out_name(path: Path, suffix: str) -> str:
    """A flat, collision-resistant output file name for an input path."""
    parts = [p for p in path.with_suffix("").parts if p not in ("/", "..", ".")][-3:]
    return "__".join(parts) + suffix


def run_one(recognizer: Recognizer, path: Path, *, annotate_dir: Path | None = None, sample_fps: float | None = None,
            smoothing: float = 0.6) -> dict:
    """The result of one input: ``{"path", "kind", "status": ok|no_face|error, "error", "faces"|"rows"}``."""
    from .annotate import draw_faces, save_rgb

    kind = "video" if path.suffix.lower() in VIDEO_SUFFIXES else "image"
    result: dict = {"path": str(path), "kind": kind, "status": "ok", "error": None}
    try:
        if kind == "video":
            from .video import plot_timeline, process_video

            ann = annotate_dir / _out_name(path, ".annotated.mp4") if annotate_dir else None
            res = process_video(recognizer, path, sample_fps=sample_fps, smoothing=smoothing, annotate_to=ann)
            result.update(rows=res.rows, summary=res.summary)
            if annotate_dir:
                plot_timeline(res.rows, recognizer.classes, annotate_dir / _out_name(path, ".timeline.png"),
                              title=f"{path.name}: expression over time")
                result["annotated"] = str(ann)
            if not res.rows:
                result.update(status="no_face", error=f"{path}: no face found in any sampled frame")
        else:
            rgb = load_image(path)
            faces = recognizer.predict(rgb)
            result["faces"] = [f.to_dict() for f in faces]
            if not faces:
                result.update(status="no_face", error=f"{path}: no face found")
            if annotate_dir:
                out = annotate_dir / _out_name(path, ".annotated.jpg")
                save_rgb(out, draw_faces(rgb, faces))
                result["annotated"] = str(out)
    except (ImageError, OSError, ValueError) as exc:
        result.update(status="error", error=str(exc) if str(path) in str(exc) else f"{path}: {exc}")
    return result


def run_many(recognizer: Recognizer, paths: list[Path], **kw) -> Iterator[dict]:
    for p in paths:
        yield run_one(recognizer, p, **kw)


def write_csv(results: list[dict], path: str | os.PathLike, classes: tuple[str, ...]) -> None:
    """One row per face (per frame for videos); inputs without faces get one row with their status."""
    cols = ["path", "kind", "status", "error", "frame", "time_s", "track_id", "x", "y", "w", "h", "label",
            "confidence", "detector_score"] + [f"p_{c}" for c in classes]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in results:
            base = {"path": r["path"], "kind": r["kind"], "status": r["status"], "error": r["error"] or ""}
            faces = r.get("faces") if r["kind"] == "image" else r.get("rows")
            if not faces:
                w.writerow(base)
                continue
            for f in faces:
                x, y, bw, bh = f["box"]
                w.writerow({**base, "frame": f.get("frame", ""), "time_s": f.get("time_s", ""),
                            "track_id": f.get("track_id", ""), "x": x, "y": y, "w": bw, "h": bh, "label": f["label"],
                            "confidence": f["confidence"], "detector_score": f["detector_score"],
                            **{f"p_{c}": f["probs"][c] for c in classes}})
