"""``ferkit models``, ``ferkit export`` and ``ferkit bench``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..extras import has_torch, require_torch
from .checks import output_file
from .output import console, plain, print_json


def register(sub: argparse._SubParsersAction) -> None:
    ex = sub.add_parser("export", help="export a checkpoint to ONNX and check it against PyTorch")
    ex.add_argument("--weights", default="default", help="a checkpoint, or several (an ensemble: one ONNX each)")
    ex.add_argument("--format", default="onnx", choices=("onnx",))
    ex.add_argument("--out", type=output_file, help="output file (default NAME.onnx, or NAME.int8.onnx)")
    ex.add_argument("--int8", action="store_true", help="write the int8 twin (static quantization) instead")
    ex.add_argument("--data", help="with --int8: the dataset whose Training faces calibrate it (1,000, seed 0)")
    ex.set_defaults(func=cmd_export)

    be = sub.add_parser("bench", help="measure inference speed on this machine")
    be.add_argument("--weights", default="default")
    be.add_argument("--backend", help="comma-separated: onnx,onnx-int8,torch (default: all three, torch if installed)")
    be.add_argument("--quick", action="store_true", help="fewer repetitions")
    be.add_argument("--json", action="store_true")
    be.set_defaults(func=cmd_bench)

    mo = sub.add_parser("models", help="shipped models and available architectures")
    mo.add_argument("--json", action="store_true")
    mo.set_defaults(func=cmd_models)


def cmd_export(args: argparse.Namespace) -> int:
    if args.int8:
        return _export_int8(args)
    require_torch("ferkit export")
    from ..export.onnx import check_onnx, export_onnx
    from ..models.shipped import split_weights

    members = split_weights(args.weights)
    out = Path(args.out or f"{Path(members[0]).stem if len(members) == 1 else 'ensemble'}.onnx")
    written = []
    for i, weights in enumerate(members):  # an ensemble runs from its members' files: one ONNX each
        path = out if len(members) == 1 else out.with_name(f"{out.stem}-{i}{out.suffix}")
        export_onnx(weights, path)
        diff = check_onnx(weights, path)
        console.print(f"wrote {plain(path)} (max |PyTorch - ONNX Runtime| logit difference {diff:.2e})", soft_wrap=True)
        written.append(str(path))
    if len(members) > 1:
        console.print(f"run the ensemble with --weights {plain(','.join(written))}", soft_wrap=True)
    return 0


def _export_int8(args: argparse.Namespace) -> int:
    from ..export.quantize import quantize_classifier

    if not args.data:
        raise ValueError("--int8 needs --data: the dataset whose Training faces calibrate the quantization")
    out = Path(args.out or f"{Path(args.weights).stem}.int8.onnx")
    quantize_classifier(args.weights, args.data, out)
    console.print(
        f"wrote {plain(out)} (int8, calibrated on 1,000 Training faces of {plain(args.data)})", soft_wrap=True
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from ..inference.bench import run_benchmarks

    backends = args.backend.split(",") if args.backend else ["onnx", "onnx-int8"] + (["torch"] if has_torch() else [])
    res = run_benchmarks(args.weights, backends=backends, quick=args.quick)
    if args.json:
        print_json(res)
        return 0
    from rich.table import Table

    table = Table(title=f"ferkit bench: {res['model']} on {res['machine']}")
    table.add_column("measure")
    for b in res["backends"]:
        table.add_column(b, justify="right")
    for key, label in (
        ("faces_per_s_batch1", "faces/s, 48x48 crops, batch 1"),
        ("faces_per_s_batch256", "faces/s, 48x48 crops, batch 256"),
        ("photo_ms", "ms per 640x480 one-face photo (file to faces)"),
        ("video_fps", "frames/s, 640x480 video"),
    ):
        table.add_row(label, *(f"{res['backends'][b][key]:.1f}" for b in res["backends"]))
    console.print(table)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from ..faces.detect import detector_info
    from ..models.shipped import shipped_models, shipped_presets, spec_meta

    shipped = {name: spec_meta(name) for name in shipped_models()}
    shipped.update({name: spec_meta(name) for name in shipped_presets()})
    architectures: dict[str, str] = {}
    if has_torch():
        from ..models.registry import list_models

        architectures = list_models()
    if args.json:
        models = {
            n: {"model": m["model"], "classes": m["classes"], "metrics": m.get("metrics", {})}
            for n, m in shipped.items()
        }
        print_json({"architectures": architectures, "detectors": detector_info(), "shipped": models})
        return 0
    _print_models(shipped, architectures)
    _print_detectors(detector_info())
    return 0


def _print_detectors(info: dict[str, dict]) -> None:
    """The measurements in a narrow table (it fits 80 columns), the descriptions as lines under it."""
    from rich.table import Table

    table = Table(title="Face detectors (--detector NAME) on faces-bench")
    table.add_column("name", no_wrap=True)
    for col in ("recall easy", "recall all", "extra/photo", "keypoint err", "ms 640x480"):
        table.add_column(col, justify="right", no_wrap=True)
    for name, d in info.items():
        cells = [
            d.get(k) for k in ("recall_easy", "recall_all", "extra_boxes_per_photo", "keypoint_error", "ms_640x480")
        ]
        table.add_row(name, *("-" if v is None else f"{v:g}" for v in cells))
    console.print(table)
    for name, d in info.items():
        console.print(f"  {name}: {d['description']}", highlight=False)
    console.print("  (how they were measured: bench/detectors.py)", highlight=False)


def _print_models(shipped: dict[str, dict], architectures: dict[str, str]) -> None:
    from rich.table import Table

    table = Table(title="Shipped models (classes, labels; accuracy on those labels)")
    for col in ("name", "architecture", "classes", "PublicTest", "PrivateTest"):
        table.add_column(col, no_wrap=True)
    for n, m in shipped.items():
        met = m.get("metrics", {})
        labels = "FER+" if m.get("train", {}).get("config", {}).get("ferplus") else "FER2013"
        test = f"{met['test_acc']:.4f}" if "test_acc" in met else "-"
        table.add_row(n, m["model"], f"{len(m['classes'])}, {labels}", f"{met.get('val_acc', float('nan')):.4f}", test)
    console.print(table)
    if not architectures:
        console.print("architectures: install 'ferkit[train]' (PyTorch) to list and train them")
        return
    arch = Table(title="Architectures (ferkit train --model NAME)")
    arch.add_column("name")
    arch.add_column("description")
    for n, d in architectures.items():
        arch.add_row(n, d)
    console.print(arch)
