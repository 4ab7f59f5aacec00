"""``ferkit evaluate`` and ``ferkit calibrate`` (on ONNX Runtime without torch; with PyTorch where installed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..extras import require_torch
from .checks import number, output_dir, widths
from .data import add_ferplus_flag
from .output import console, plain, print_json
from .predict import WEIGHTS_HELP, add_precision_flag


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("evaluate", help="metrics, confusion matrix and sample predictions on one split")
    ev.add_argument("--weights", default="default", help=WEIGHTS_HELP)
    ev.add_argument("--data", required=True)
    ev.add_argument("--split", default="test", choices=("train", "val", "test"))
    ev.add_argument("--classes", help="evaluate on a subset of the model's classes")
    ev.add_argument("--tta", action="store_true", help="average 10 flipped/shifted views")
    ev.add_argument(
        "--resolution",
        metavar="PX",
        type=number(int, 4),
        help="score the faces as a photo PX pixels wide shows them (shrunk, enlarged back): how small faces read",
    )
    ev.add_argument("--out", type=output_dir, help="folder for report.json and the pictures (default ferkit-eval/...)")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--skip-bad", action="store_true")
    _backend_flag(ev, "ONNX Runtime (no torch needed) or PyTorch; auto: PyTorch where installed")
    add_precision_flag(ev, "fp32")
    add_ferplus_flag(
        ev, "label the split by FER+ majority vote (the FER+ benchmark): ferkit's copy of the votes, or a file/folder"
    )
    ev.set_defaults(func=cmd_evaluate)

    bm = sub.add_parser("benchmark", help="one model on FER2013, FER+ and cross-dataset photos, in one table")
    bm.add_argument("--weights", default="default", help="as for evaluate")
    bm.add_argument("--data", help="FER2013 (.zip, .csv or folder): its PrivateTest, and FER+'s by the shipped votes")
    bm.add_argument("--cross", metavar="DIR", help="a folder of photo sets, DIR/<set>/<class>/<photo>, run end to end")
    _backend_flag(bm)
    add_precision_flag(bm, "fp32")
    bm.add_argument(
        "--out", type=output_dir, help="folder for benchmark.md and benchmark.json (default ferkit-eval/...)"
    )
    bm.add_argument("--json", action="store_true", help="print the results as JSON")
    bm.set_defaults(func=cmd_benchmark)

    ca = sub.add_parser("calibrate", help="fit temperature scaling on the validation split, store it in the checkpoint")
    ca.add_argument("--weights", required=True, help="checkpoint or run directory (rewritten in place)")
    ca.add_argument("--data", required=True)
    ca.add_argument("--split", default="val", choices=("train", "val"))
    ca.add_argument(
        "--recall-floor",
        metavar="CLASS=R,...",
        help="also fit per-class offsets so these classes reach these recalls on the split, e.g. fear=0.5,sad=0.55",
    )
    ca.add_argument(
        "--small-faces",
        type=widths,
        default=[],
        metavar="PX,...",
        help="also fit temperature and offsets for faces this many pixels wide in a photo, e.g. 16,24,32 "
        "(predict interpolates between them by each face's width)",
    )
    ca.add_argument("--json", action="store_true", help="print what was fitted (and what it changed) as JSON")
    _backend_flag(ca)
    add_ferplus_flag(ca, "fit on FER+ majority labels")
    ca.set_defaults(func=cmd_calibrate)


def _backend_flag(p: argparse.ArgumentParser, help: str = "as for evaluate") -> None:
    p.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"), help=help)


def _run_name(weights: str) -> str:
    """The default output folder's name for a weights spec."""
    return "ensemble" if "," in str(weights) else Path(str(weights)).stem


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.backend == "torch":
        require_torch("ferkit evaluate --backend torch")
    from ..evaluation.evaluate import evaluate_path

    out = args.out or (Path("ferkit-eval") / f"{_run_name(args.weights)}-{args.split}")
    keys = ("split", "classes", "tta", "skip_bad", "ferplus", "backend", "precision", "resolution")
    rep = evaluate_path(args.weights, args.data, out_dir=out, **{k: getattr(args, k) for k in keys}).report
    if args.json:
        print_json(rep)
        return 0
    from rich.table import Table

    split = {
        "train": "train split",
        "val": "val split (FER2013: PublicTest)",
        "test": "test split (FER2013: PrivateTest)",
    }[args.split]
    labels = ", FER+ majority labels" if args.ferplus else ""
    small = f", seen at {args.resolution} px" if args.resolution else ""
    table = Table(
        title=f"{rep['model']}: {split}, {rep['n']} faces{', 10-view TTA' if args.tta else ''}{labels}{small}",
        caption=f"data: {args.data}",
    )
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="right" if col != "class" else "left")
    for c, m in rep["per_class"].items():
        table.add_row(c, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    console.print(f"[bold]accuracy {rep['accuracy']:.4f}[/]   macro-F1 {rep['macro_f1']:.4f}   ECE {rep['ece']:.4f}")
    console.print(
        f"report: {out}/report.json  confusion matrix: {out}/confusion_matrix.png  samples: {out}/samples.png"
    )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    if args.backend == "torch":
        require_torch("ferkit calibrate --backend torch")
    from ..evaluation.calibrate import calibrate

    keys = ("split", "recall_floor", "backend", "ferplus", "small_faces")
    res = calibrate(args.weights, args.data, **{k: getattr(args, k) for k in keys})
    if args.json:
        print_json(res)
        return 0
    console.print(
        f"temperature {res['temperature']} fitted on {res['fitted_on']}: "
        f"ECE {res['ece_before']:.4f} -> {res['ece_after']:.4f}; stored in the checkpoint"
    )
    if "class_bias" in res and res["class_bias"] is None:
        console.print(f"recall floors already met on {res['fitted_on']}: no class offsets")
    elif "class_bias" in res:
        moved = ", ".join(
            f"{c} {res['recall_before'][c]:.3f} -> {res['recall_after'][c]:.3f}"
            for c in res["recall_after"]
            if res["recall_after"][c] != res["recall_before"][c]
        )
        console.print(
            f"class offsets {res['class_bias']}: recall {moved}; accuracy {res['accuracy_before']:.4f} -> "
            f"{res['accuracy_after']:.4f}; ECE with them {res['ece_with_bias']:.4f}"
        )
    for w, fit in res.get("small_faces", {}).items():
        console.print(
            f"faces {w} px wide: accuracy {fit['accuracy_before']:.4f} -> {fit['accuracy_after']:.4f}, "
            f"NLL {fit['nll_before']:.4f} -> {fit['nll_after']:.4f}"
        )
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    from ..evaluation.benchmark import run_benchmark, to_markdown, write_benchmark

    if args.backend == "torch":
        require_torch("ferkit benchmark --backend torch")
    result = run_benchmark(
        args.weights, fer2013=args.data, cross=args.cross, backend=args.backend, precision=args.precision
    )
    md, js = write_benchmark(result, args.out or Path("ferkit-eval") / f"benchmark-{_run_name(args.weights)}")
    if args.json:
        print_json(result)
    else:
        console.print(to_markdown(result), highlight=False, soft_wrap=True)
        console.print(f"written: {plain(md)}, {plain(js)}", highlight=False)
    return 0
