"""``ferkit predict`` (images, folders, videos) and ``ferkit webcam`` — both run the one pipeline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .checks import COUNT, NON_NEGATIVE_INT, POSITIVE, PROBABILITY, number, output_dir, output_file
from .output import console, err_console, plain, progress

WEIGHTS_HELP = "shipped model name, checkpoint, run directory or .onnx; several, comma-separated: an ensemble"
#: ferkit.faces.align.ALIGN_MODES with the default first (the same test keeps them in step).
ALIGNS = ("level", "keep-tilt", "none")


def add_recognizer_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default="default", help=WEIGHTS_HELP)
    p.add_argument("--detector", default="yunet", help="face detector: yunet, none (ferkit models lists them)")
    p.add_argument("--detector-model", help="model file for --detector yunet")
    p.add_argument("--no-detect", action="store_true", help="inputs are already face crops (like FER2013)")
    p.add_argument("--classes", help="restrict to these classes, probabilities renormalised (e.g. happy,sad,neutral)")
    p.add_argument(
        "--align",
        default="level",
        choices=ALIGNS,
        help="warp faces onto FER2013's keypoint template (level: eyes levelled) or crop boxes (none)",
    )
    p.add_argument("--backend", default="onnx", choices=("onnx", "torch"), help="classifier runtime")
    add_precision_flag(p, "auto")
    p.add_argument(
        "--uncertain-below",
        type=PROBABILITY,
        default=0.0,
        metavar="P",
        help="mark faces whose top probability is below P as uncertain",
    )
    p.add_argument(
        "--smoothing",
        type=number(float, 0.0, 1.0, hi_open=True),
        default=0.6,
        help="video: weight of the past in the probability EMA, in [0, 1)",
    )


def add_precision_flag(p: argparse.ArgumentParser, default: str) -> None:
    """``--precision``: a shipped model's int8 twin, float32, or int8 where the processor has int8 dot
    products (ferkit.runtime.resolve_precision)."""
    p.add_argument(
        "--precision",
        default=default,
        choices=("auto", "fp32", "int8"),
        help="int8: a shipped model's int8 twin on ONNX Runtime; auto: int8 where the processor has int8 dot products",
    )


def recognizer_options(args: argparse.Namespace) -> dict:
    """:meth:`Recognizer.from_pretrained` keywords from the flags."""
    same = ("weights", "detector_model", "backend", "uncertain_below", "align", "classes", "precision")
    return {**{k: getattr(args, k) for k in same}, "detector": "none" if args.no_detect else args.detector}


def register(sub: argparse._SubParsersAction) -> None:
    pr = sub.add_parser("predict", help="faces and expressions in images, folders and videos")
    pr.add_argument("paths", nargs="+", help="image files, video files or folders (searched recursively)")
    pr.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        type=output_file,
        help="write results as JSON (stdout if no FILE)",
    )
    pr.add_argument(
        "--jsonl", metavar="FILE", type=output_file, help="stream one JSON line per input (constant memory; --resume)"
    )
    pr.add_argument("--csv", metavar="FILE", type=output_file, help="stream one row per face")
    pr.add_argument("--resume", action="store_true", help="skip inputs already in --jsonl FILE and append")
    pr.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster (ADDRESS, 'auto', or 'local')")
    pr.add_argument(
        "--annotate", metavar="DIR", type=output_dir, help="write annotated images/videos and timelines here"
    )
    pr.add_argument("--sample-fps", type=POSITIVE, help="video: analyse this many frames per second (default all)")
    add_recognizer_flags(pr)
    pr.set_defaults(func=cmd_predict)

    wc = sub.add_parser("webcam", help="live expressions from a camera (JSON lines; a window where possible)")
    wc.add_argument("--camera", type=NON_NEGATIVE_INT, default=0)
    wc.add_argument("--max-frames", type=COUNT)
    wc.add_argument("--no-window", action="store_true")
    add_recognizer_flags(wc)
    wc.set_defaults(func=cmd_webcam)


def cmd_predict(args: argparse.Namespace) -> int:
    from ..inference.batch import BatchJob

    job = BatchJob(args.paths, jsonl=args.jsonl, csv_path=args.csv, resume=args.resume)
    annotate = Path(args.annotate) if args.annotate else None
    if annotate:
        annotate.mkdir(parents=True, exist_ok=True)
    if job.skip:
        err_console.print(f"resuming: {len(job.skip)} input(s) already in {plain(job.jsonl)}, {job.total} to go")
    keep = [] if args.json else None  # whole results are held only for --json; streams keep nothing
    with progress("predict", job.total) as bar:
        task = bar.add_task("predict", total=job.total)
        video = dict(sample_fps=args.sample_fps, smoothing=args.smoothing)
        for r in job.run(recognizer_options(args), ray_address=args.ray, annotate_dir=annotate, **video):
            if keep is not None:
                keep.append(r.to_dict())
            if r.status != "ok":
                err_console.print(f"[yellow]{r.status}:[/] {plain(r.error)}", highlight=False, soft_wrap=True)
            elif keep is None or args.json != "-":
                _print_result(r)
            bar.advance(task)
    if args.json:
        text = json.dumps(keep, indent=2)
        if args.json == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(args.json).write_text(text)
    c = job.counts
    written = {"json": args.json, "jsonl": args.jsonl, "csv": args.csv, "annotated": args.annotate}
    outputs = "".join(f"; {k}: {plain(v)}" for k, v in written.items() if v)
    line = f"{sum(c.values())} input(s): {c['ok']} with faces, {c['no_face']} without, {c['error']} failed{outputs}"
    err_console.print(line, highlight=False, soft_wrap=True)
    return 1 if c["error"] else 0


def _print_result(r) -> None:
    if r.kind == "image":
        faces = ", ".join(f"{f.label} {f.confidence:.0%} at {list(f.box)}" for f in r.faces)
        console.print(f"{plain(r.path)}: {plain(faces)}", highlight=False, soft_wrap=True)
    else:
        sm = r.summary
        video = f"; annotated video {plain(r.annotated)} ({r.annotated_codec})" if r.annotated else ""
        seen = f"{sm['faces']} faces in {sm['frames_sampled']} frames, {len(sm['tracks'])} tracks"
        console.print(f"{plain(r.path)}: {seen}, mostly {sm['dominant']}{video}", highlight=False, soft_wrap=True)


def cmd_webcam(args: argparse.Namespace) -> int:
    import cv2

    from ..inference.annotate import draw_faces
    from ..inference.pipeline import Recognizer

    rec = Recognizer.from_pretrained(**recognizer_options(args))
    cap = cv2.VideoCapture(args.camera)
    if not cap.isOpened():
        raise ValueError(f"camera {args.camera}: cannot be opened (no camera, or it is busy)")

    def frames():
        n = 0
        while args.max_frames is None or n < args.max_frames:
            ok, bgr = cap.read()
            if not ok:
                return
            n += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    window = not args.no_window
    try:
        for rgb, faces in rec.track(frames(), smoothing=args.smoothing):
            sys.stdout.write(json.dumps([f.to_dict() for f in faces]) + "\n")
            if window:
                window = _show(cv2, draw_faces(rgb, faces))
                if window is None:
                    break
    finally:
        cap.release()
    return 0


def _show(cv2, rgb) -> bool | None:
    """Show a frame; False where OpenCV has no display, None when the user pressed q."""
    try:
        cv2.imshow("ferkit (q to quit)", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        return None if cv2.waitKey(1) & 0xFF == ord("q") else True
    except cv2.error:
        err_console.print("no display support in this OpenCV build; printing results only")
        return False
