"""The ``ferkit`` command: parses arguments, calls the library, prints results. No logic of its own."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


# --------------------------------------------------------------------------- data report


def cmd_data_report(args: argparse.Namespace) -> int:
    from .datasets import load_dataset
    from .report import class_grid, data_report

    data = load_dataset(args.data, classes=args.classes, skip_bad=args.skip_bad, val_fraction=args.val_fraction,
                        seed=args.seed)
    rep = data_report(data)
    if args.grid:
        rep["grid"] = str(class_grid(data, args.grid))
    if args.json:
        _print_json(rep)
        return 0
    table = Table(title=f"{rep['source']}: {rep['total']} images, {rep['image_size']}x{rep['image_size']}")
    table.add_column("class")
    splits = list(rep["counts"])
    for s in splits:
        table.add_column(s, justify="right")
    for c in rep["classes"]:
        table.add_row(c, *(str(rep["counts"][s][c]) for s in splits))
    table.add_row("[bold]total", *(f"[bold]{sum(rep['counts'][s].values())}" for s in splits))
    console.print(table)
    d = rep["duplicates"]
    console.print(f"imbalance (largest/smallest train class): {rep['imbalance_ratio']:.1f}x")
    console.print(f"exact duplicates: {d['groups']} groups ({d['images_in_groups']} images); within splits "
                  f"{d['groups_within_split']}, across splits {d['groups_across_splits']}, "
                  f"with conflicting labels {d['groups_with_conflicting_labels']} "
                  f"({d['conflicting_groups_across_splits']} across splits)")
    console.print(f"blank images: {rep['blank_images']['count']}")
    if rep["skipped_bad_items"]:
        console.print(f"skipped bad items: {len(rep['skipped_bad_items'])} (first: {rep['skipped_bad_items'][0]})")
    if args.grid:
        console.print(f"sample grid: {rep['grid']}")
    return 0


# --------------------------------------------------------------------------- train


def _add_config_flags(p: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field; unset flags (None) leave the config file's value alone."""
    from .train import TrainConfig

    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = TrainConfig().__getattribute__(f.name)
        if isinstance(default, bool):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None)
        elif isinstance(default, dict):
            p.add_argument(flag, dest=f.name, type=json.loads, default=None, metavar="JSON",
                           help=f"JSON object (default {default})")
        else:
            kind = type(default) if default is not None else str
            p.add_argument(flag, dest=f.name, type=kind, default=None, help=f"(default {default})")


def cmd_train(args: argparse.Namespace) -> int:
    from .train import TrainConfig, train

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    if args.resume:
        if not args.out:
            raise ValueError("--resume needs --out RUN_DIR")
        result = train(TrainConfig(out=args.out), resume=True, resume_epochs=overrides.get("epochs"))
    else:
        cfg = TrainConfig.from_file(args.config, **overrides) if args.config else TrainConfig(**overrides)
        result = train(cfg)
    console.print(f"best validation accuracy {result.best_val_acc:.4f} at epoch {result.best_epoch} "
                  f"of {result.epochs_run}")
    console.print(f"checkpoint: {result.best_checkpoint}\nmetrics:    {result.run_dir / 'metrics.csv'}  "
                  f"curves: {result.run_dir / 'curves.png'}")
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    from .finetune import finetune, finetune_config

    cfg = finetune_config(args.source, args.data, args.out, classes=args.classes, epochs=args.epochs, lr=args.lr,
                          freeze_backbone=args.freeze_backbone, batch_size=args.batch_size, seed=args.seed)
    rep = finetune(cfg, compare_scratch=not args.no_compare)
    console.print(f"fine-tuned from {args.source}: {rep['finetuned']['split']} accuracy "
                  f"{rep['finetuned']['accuracy']:.4f} (classes {', '.join(rep['finetuned']['classes'])})")
    if "scratch" in rep:
        console.print(f"from scratch, same data and epochs: {rep['scratch']['accuracy']:.4f}  ->  gain "
                      f"{rep['gain_accuracy']:+.4f}")
    console.print(f"checkpoint: {rep['finetuned']['checkpoint']}  report: {Path(args.out) / 'finetune.json'}")
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from .train import TrainConfig
    from .tune import tune

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    base = TrainConfig.from_file(args.config, **overrides) if args.config else TrainConfig(**overrides)
    base.validate()
    res = tune(base, args.out, trials=args.trials, storage=args.storage, study_name=args.study)
    console.print(f"{res['trials']} trials ({res['completed']} completed, {res['pruned']} pruned) in {res['storage']}")
    console.print(f"best validation accuracy {res['best_val_acc']:.4f} with {res['best_params']}")
    console.print(f"best config: {res['best_config']}  (ferkit train --config {res['best_config']})  plot: {res['plot']}")
    return 0


# --------------------------------------------------------------------------- evaluate


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate_path

    out = args.out or (Path("ferkit-eval") / f"{Path(str(args.weights)).stem}-{args.split}")
    res = evaluate_path(args.weights, args.data, split=args.split, classes=args.classes, tta=args.tta, out_dir=out,
                        skip_bad=args.skip_bad)
    rep = res.report
    if args.json:
        _print_json(rep)
        return 0
    table = Table(title=f"{rep['model']} on {args.data} [{args.split}], {rep['n']} images"
                        f"{' with TTA' if args.tta else ''}")
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="right" if col != "class" else "left")
    for c, m in rep["per_class"].items():
        table.add_row(c, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    console.print(f"[bold]accuracy {rep['accuracy']:.4f}[/]   macro-F1 {rep['macro_f1']:.4f}   "
                  f"ECE {rep['ece']:.4f}")
    console.print(f"report: {out}/report.json  confusion matrix: {out}/confusion_matrix.png  "
                  f"samples: {out}/samples.png")
    return 0


# --------------------------------------------------------------------------- models


def cmd_models(args: argparse.Namespace) -> int:
    from .checkpoint import read_meta, shipped_models
    from .models import list_models

    shipped = {name: read_meta(path) for name, path in shipped_models().items()}
    if args.json:
        _print_json({"architectures": list_models(), "shipped": {
            n: {"model": m["model"], "classes": m["classes"], "metrics": m.get("metrics", {})}
            for n, m in shipped.items()}})
        return 0
    table = Table(title="Shipped models")
    for col in ("name", "architecture", "classes", "PublicTest acc", "PrivateTest acc"):
        table.add_column(col)
    for n, m in shipped.items():
        met = m.get("metrics", {})
        table.add_row(n, m["model"], str(len(m["classes"])), f"{met.get('val_acc', float('nan')):.4f}",
                      f"{met['test_acc']:.4f}" if "test_acc" in met else "-")
    console.print(table)
    arch = Table(title="Architectures (ferkit train --model NAME)")
    arch.add_column("name")
    arch.add_column("description")
    for n, d in list_models().items():
        arch.add_row(n, d)
    console.print(arch)
    return 0


# --------------------------------------------------------------------------- predict, webcam, export


def _recognizer(args: argparse.Namespace):
    from .predictor import Recognizer

    return Recognizer.from_pretrained(args.weights, detector="none" if args.no_detect else args.detector,
                                      detector_model=args.detector_model, backend=args.backend,
                                      uncertain_below=args.uncertain_below)


def cmd_predict(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .batch import ResultSink, done_paths, iter_inputs, predict_stream

    jsonl = Path(args.jsonl) if args.jsonl else None
    skip = done_paths(jsonl) if (jsonl and args.resume) else set()
    if jsonl and jsonl.exists() and jsonl.stat().st_size and not args.resume:
        raise FileExistsError(f"{jsonl}: already has results; add --resume to continue, or choose another file")
    total = sum(1 for p in iter_inputs(args.paths) if str(p) not in skip)
    if total == 0 and not skip:
        raise ValueError(f"no images or videos found in {', '.join(args.paths)}")
    annotate = Path(args.annotate) if args.annotate else None
    if annotate:
        annotate.mkdir(parents=True, exist_ok=True)
    opts = dict(weights=args.weights, detector="none" if args.no_detect else args.detector,
                detector_model=args.detector_model, backend=args.backend, uncertain_below=args.uncertain_below)
    todo = (p for p in iter_inputs(args.paths) if str(p) not in skip)
    keep = [] if args.json else None  # whole results are held only for --json; streams keep nothing
    counts = {"ok": 0, "no_face": 0, "error": 0}
    from .checkpoint import read_meta

    sink = ResultSink(jsonl, Path(args.csv) if args.csv else None, tuple(read_meta(args.weights)["classes"]))
    if skip:
        err_console.print(f"resuming: {len(skip)} input(s) already in {jsonl}, {total} to go")
    bar = Progress(TextColumn("predict"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=err_console, transient=True, disable=total < 2 or not err_console.is_terminal)
    try:
        with bar:
            task = bar.add_task("predict", total=total)
            for r in predict_stream(opts, todo, ray_address=args.ray, annotate_dir=annotate,
                                    sample_fps=args.sample_fps, smoothing=args.smoothing):
                sink.write(r)
                counts[r["status"]] += 1
                if keep is not None:
                    keep.append(r)
                if r["status"] != "ok":
                    err_console.print(f"[yellow]{r['status']}:[/] {r['error']}", highlight=False, soft_wrap=True)
                elif keep is None or args.json != "-":
                    _print_result(r)
                bar.advance(task)
    finally:
        sink.close()
    if args.json:
        text = json.dumps(keep, indent=2)
        if args.json == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(args.json).write_text(text)
    n = sum(counts.values())
    outputs = "".join(f"; {k}: {v}" for k, v in (("json", args.json), ("jsonl", args.jsonl), ("csv", args.csv),
                                                  ("annotated", args.annotate)) if v)
    err_console.print(f"{n} input(s): {counts['ok']} with faces, {counts['no_face']} without, "
                      f"{counts['error']} failed{outputs}", highlight=False, soft_wrap=True)
    return 1 if counts["error"] else 0


def _print_result(r: dict) -> None:
    if r["kind"] == "image":
        faces = ", ".join(f"{f['label']} {f['confidence']:.0%} at {f['box']}" for f in r.get("faces", []))
        console.print(f"{r['path']}: {faces}", highlight=False, soft_wrap=True)
    else:
        sm = r["summary"]
        console.print(f"{r['path']}: {sm['faces']} faces in {sm['frames_sampled']} frames, {len(sm['tracks'])} "
                      f"tracks, mostly {sm['dominant']}", highlight=False, soft_wrap=True)


def cmd_webcam(args: argparse.Namespace) -> int:
    import cv2

    from .annotate import draw_faces
    from .video import Tracker, track_stream

    rec = _recognizer(args)
    cap = cv2.VideoCapture(args.camera)
    if not cap.isOpened():
        raise ValueError(f"camera {args.camera}: cannot be opened (no camera, or it is busy)")
    window = not args.no_window

    def stream():
        n = 0
        while args.max_frames is None or n < args.max_frames:
            ok, bgr = cap.read()
            if not ok:
                return
            n += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    try:
        for rgb, faces in track_stream(rec, stream(), Tracker(smoothing=args.smoothing)):
            sys.stdout.write(json.dumps([f.to_dict() for f in faces]) + "\n")
            if window:
                try:
                    cv2.imshow("ferkit (q to quit)", cv2.cvtColor(draw_faces(rgb, faces), cv2.COLOR_RGB2BGR))
                    if cv2.waitKey(1) & 0xFF == ord("q"):
                        break
                except cv2.error:
                    err_console.print("no display support in this OpenCV build; printing results only")
                    window = False
    finally:
        cap.release()
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .evaluate import calibrate

    res = calibrate(args.weights, args.data, split=args.split)
    console.print(f"temperature {res['temperature']} fitted on {res['fitted_on']}: "
                  f"ECE {res['ece_before']:.4f} -> {res['ece_after']:.4f}; stored in the checkpoint")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export import check_onnx, export_onnx

    out = Path(args.out or f"{Path(str(args.weights)).stem}.onnx")
    export_onnx(args.weights, out)
    diff = check_onnx(args.weights, out)
    console.print(f"wrote {out} (max |PyTorch - ONNX Runtime| logit difference {diff:.2e})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_benchmarks

    res = run_benchmarks(args.weights, backends=args.backend.split(","), quick=args.quick)
    if args.json:
        _print_json(res)
        return 0
    table = Table(title=f"ferkit bench: {res['model']} on {res['machine']}")
    table.add_column("measure")
    for b in res["backends"]:
        table.add_column(b, justify="right")
    for key, label in (("faces_per_s_batch1", "faces/s, 48x48 crops, batch 1"),
                       ("faces_per_s_batch256", "faces/s, 48x48 crops, batch 256"),
                       ("photo_ms", "ms per 640x480 one-face photo (file to faces)"),
                       ("video_fps", "frames/s, 640x480 video")):
        table.add_row(label, *(f"{res['backends'][b][key]:.1f}" for b in res["backends"]))
    console.print(table)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import Limits, serve

    limits = Limits(max_upload_bytes=int(args.max_upload_mb * 1024 * 1024), timeout_s=args.timeout,
                    max_concurrency=args.concurrency)
    serve(args.model, host=args.host, port=args.port, limits=limits, backend=args.backend)
    return 0


def _add_recognizer_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default="default", help="checkpoint, run directory or shipped model name")
    p.add_argument("--detector", default="haar", choices=("haar", "yunet", "none"))
    p.add_argument("--detector-model", help="model file for --detector yunet")
    p.add_argument("--no-detect", action="store_true", help="inputs are already face crops (like FER2013)")
    p.add_argument("--backend", default="torch", choices=("torch", "onnx"))
    p.add_argument("--uncertain-below", type=float, default=0.0, metavar="P",
                   help="mark faces whose top probability is below P as uncertain")
    p.add_argument("--smoothing", type=float, default=0.6, help="video: weight of the past in the probability EMA")


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ferkit", description="Facial expression recognition: train, evaluate, predict.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="inspect datasets").add_subparsers(dest="data_command", required=True)
    rep = data.add_parser("report", help="images per class and split, duplicates, blanks, sample grid")
    rep.add_argument("data", help="FER2013 .csv, .zip or folder")
    rep.add_argument("--json", action="store_true", help="print the report as JSON")
    rep.add_argument("--grid", metavar="PNG", help="write a picture of samples per class")
    rep.add_argument("--classes", help="comma-separated subset, e.g. happy,sad,neutral")
    rep.add_argument("--skip-bad", action="store_true", help="skip and count bad rows/images instead of failing")
    rep.add_argument("--val-fraction", type=float, default=0.1)
    rep.add_argument("--seed", type=int, default=0)
    rep.set_defaults(func=cmd_data_report)

    tr = sub.add_parser("train", help="train a model; writes a run directory")
    tr.add_argument("--config", help="a .toml or .json config; flags override it")
    tr.add_argument("--resume", action="store_true", help="continue the interrupted run in --out exactly")
    _add_config_flags(tr)
    tr.set_defaults(func=cmd_train)

    ft = sub.add_parser("finetune", help="adapt a trained model to your own labelled folders")
    ft.add_argument("--from", dest="source", default="default", help="shipped model name or checkpoint to start from")
    ft.add_argument("--data", required=True, help="your folders: train|val|test/<class>/ or just <class>/")
    ft.add_argument("--out", required=True)
    ft.add_argument("--classes", help="subset of your classes")
    ft.add_argument("--epochs", type=int)
    ft.add_argument("--lr", type=float, help="learning rate (default 0.01, a fifth of from-scratch)")
    ft.add_argument("--batch-size", type=int)
    ft.add_argument("--seed", type=int)
    ft.add_argument("--freeze-backbone", action="store_true", help="train only the new classifier head")
    ft.add_argument("--no-compare", action="store_true", help="skip the from-scratch comparison run")
    ft.set_defaults(func=cmd_finetune)

    tu = sub.add_parser("tune", help="hyper-parameter search with Optuna (pruning on validation accuracy)")
    tu.add_argument("--config", help="base config; the search varies lr, weight decay, smoothing, augmentation, mixup")
    tu.add_argument("--trials", type=int, default=20)
    tu.add_argument("--storage", help="Optuna database URL (default sqlite:///OUT/study.db)")
    tu.add_argument("--study", default="ferkit", help="study name (continue a study by naming it again)")
    _add_config_flags(tu)
    tu.set_defaults(func=cmd_tune)

    ev = sub.add_parser("evaluate", help="metrics, confusion matrix and sample predictions on one split")
    ev.add_argument("--weights", default="default", help="checkpoint, run directory or shipped model name")
    ev.add_argument("--data", required=True)
    ev.add_argument("--split", default="test", choices=("train", "val", "test"))
    ev.add_argument("--classes", help="evaluate on a subset of the model's classes")
    ev.add_argument("--tta", action="store_true", help="average 10 flipped/shifted views")
    ev.add_argument("--out", help="folder for report.json and the pictures (default ferkit-eval/...)")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--skip-bad", action="store_true")
    ev.set_defaults(func=cmd_evaluate)

    pr = sub.add_parser("predict", help="faces and expressions in images, folders and videos")
    pr.add_argument("paths", nargs="+", help="image files, video files or folders (searched recursively)")
    pr.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write results as JSON (stdout if no FILE)")
    pr.add_argument("--jsonl", metavar="FILE", help="stream one JSON line per input (constant memory; --resume)")
    pr.add_argument("--csv", metavar="FILE", help="stream one row per face")
    pr.add_argument("--resume", action="store_true", help="skip inputs already in --jsonl FILE and append")
    pr.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster (ADDRESS, 'auto', or 'local')")
    pr.add_argument("--annotate", metavar="DIR", help="write annotated images/videos and timelines here")
    pr.add_argument("--sample-fps", type=float, help="video: analyse this many frames per second (default all)")
    _add_recognizer_flags(pr)
    pr.set_defaults(func=cmd_predict)

    wc = sub.add_parser("webcam", help="live expressions from a camera (JSON lines; a window where possible)")
    wc.add_argument("--camera", type=int, default=0)
    wc.add_argument("--max-frames", type=int)
    wc.add_argument("--no-window", action="store_true")
    _add_recognizer_flags(wc)
    wc.set_defaults(func=cmd_webcam)

    ca = sub.add_parser("calibrate", help="fit temperature scaling on the validation split, store it in the checkpoint")
    ca.add_argument("--weights", required=True, help="checkpoint or run directory (rewritten in place)")
    ca.add_argument("--data", required=True)
    ca.add_argument("--split", default="val", choices=("train", "val"))
    ca.set_defaults(func=cmd_calibrate)

    ex = sub.add_parser("export", help="export a checkpoint to ONNX and check it against PyTorch")
    ex.add_argument("--weights", default="default")
    ex.add_argument("--format", default="onnx", choices=("onnx",))
    ex.add_argument("--out", help="output file (default NAME.onnx)")
    ex.set_defaults(func=cmd_export)

    be = sub.add_parser("bench", help="measure inference speed on this machine")
    be.add_argument("--weights", default="default")
    be.add_argument("--backend", default="torch,onnx", help="comma-separated: torch,onnx")
    be.add_argument("--quick", action="store_true", help="fewer repetitions")
    be.add_argument("--json", action="store_true")
    be.set_defaults(func=cmd_bench)

    sv = sub.add_parser("serve", help="REST service and web page (http://HOST:PORT/)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--model", default="default", help="checkpoint, run directory or shipped model name")
    sv.add_argument("--backend", default="torch", choices=("torch", "onnx"))
    sv.add_argument("--max-upload-mb", type=float, default=10.0)
    sv.add_argument("--timeout", type=float, default=30.0, help="seconds per request before a 504")
    sv.add_argument("--concurrency", type=int, default=2, help="inferences running at once")
    sv.set_defaults(func=cmd_serve)

    mo = sub.add_parser("models", help="shipped models and available architectures")
    mo.add_argument("--json", action="store_true")
    mo.set_defaults(func=cmd_models)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s",
                        stream=sys.stderr)
    from .checkpoint import CheckpointError
    from .datasets import DataError

    try:
        return int(args.func(args) or 0)
    except (DataError, CheckpointError, ValueError, FileNotFoundError, FileExistsError) as exc:
        err_console.print(f"[red]ferkit: error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err_console.print("ferkit: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
