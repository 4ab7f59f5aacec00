"""``ferkit data report`` and ``ferkit data pack``."""

from __future__ import annotations

import argparse
from pathlib import Path

from .checks import FRACTION_OPEN, NON_NEGATIVE_INT, output_file
from .output import console, print_json


def add_ferplus_flag(p: argparse.ArgumentParser, help: str, **kw) -> None:
    """``--ferplus [PATH]``: FER+'s votes; alone, the copy that ships inside ferkit ("shipped")."""
    p.add_argument("--ferplus", nargs="?", const="shipped", metavar="PATH", help=help, **kw)


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="inspect datasets").add_subparsers(dest="data_command", required=True)
    rep = data.add_parser("report", help="images per class and split, duplicates, blanks, sample grid")
    rep.add_argument("data", help="FER2013 .csv, .zip or folder")
    rep.add_argument("--json", action="store_true", help="print the report as JSON")
    rep.add_argument("--grid", metavar="PNG", type=output_file, help="write a picture of samples per class")
    rep.add_argument("--classes", help="comma-separated subset, e.g. happy,sad,neutral")
    rep.add_argument("--skip-bad", action="store_true", help="skip and count bad rows/images instead of failing")
    votes = "also report FER+'s votes: faces kept and dropped, agreement with FER2013's labels"
    add_ferplus_flag(rep, votes + " (with --grid, a picture of disagreements beside it)")
    rep.add_argument("--val-fraction", type=FRACTION_OPEN, default=0.1)
    rep.add_argument("--seed", type=NON_NEGATIVE_INT, default=0)
    rep.set_defaults(func=cmd_data_report)
    pack = data.add_parser("pack", help="write splits of a dataset, decoded, to one small .npz.xz file")
    pack.add_argument("data", help="FER2013 .csv, .zip or folder")
    pack.add_argument("--out", required=True, type=output_file, help="the pack to write, NAME.npz.xz")
    pack.add_argument("--splits", default="train,val", help="comma-separated splits to keep (default: train,val)")
    pack.add_argument("--drop-duplicates", default="all", choices=("none", "cross-split", "all"))
    pack.add_argument("--classes", help="comma-separated subset, e.g. happy,sad,neutral")
    carry = "also carry each image's FER+ votes (ferkit's own copy, or a fer2013new.csv or folder)"
    add_ferplus_flag(pack, carry + "; labels stay FER2013's, `train --ferplus` on the pack uses the votes")
    near = "3: store the training split near-losslessly (no pixel moves by more than 1; 21%% smaller)"
    pack.add_argument("--train-quantum", type=int, default=1, choices=(1, 3), help=near)
    pack.set_defaults(func=cmd_data_pack)


def cmd_data_report(args: argparse.Namespace) -> int:
    from ..data.dataset import load_dataset
    from ..data.report import class_grid, data_report

    keys = ("classes", "skip_bad", "val_fraction", "seed")
    data = load_dataset(args.data, **{k: getattr(args, k) for k in keys})
    rep = data_report(data)
    if args.grid:
        rep["grid"] = str(class_grid(data, args.grid))
    if args.ferplus:
        from ..data.ferplus import attach_votes
        from ..data.report import disagreement_grid, ferplus_report

        data = attach_votes(data, args.ferplus)
        rep["ferplus"] = ferplus_report(data)
        if args.grid:
            grid = Path(args.grid)
            rep["ferplus"]["grid"] = str(disagreement_grid(data, grid.with_name(f"{grid.stem}-ferplus{grid.suffix}")))
    if args.json:
        print_json(rep)
    else:
        _print_report(rep)
    return 0


def cmd_data_pack(args: argparse.Namespace) -> int:
    from ..data.dataset import load_dataset
    from ..data.pack import write_pack

    data = load_dataset(args.data, classes=args.classes, drop_duplicates=args.drop_duplicates)
    if args.ferplus:
        from ..data.ferplus import attach_votes

        data = attach_votes(data, args.ferplus)
    splits = tuple(s.strip() for s in args.splits.split(",") if s.strip())
    path = write_pack(data, args.out, splits=splits, train_quantum=args.train_quantum)
    counts = ", ".join(f"{s} {int((data.splits == s).sum())}" for s in splits)
    console.print(f"{path}: {counts} images, {path.stat().st_size / 1e6:.1f} MB")
    return 0


def _print_report(rep: dict) -> None:
    from rich.table import Table

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
    within = ", ".join(f"{s} {n}" for s, n in d["groups_within_split"].items())
    console.print(
        f"exact duplicates: {d['groups']} groups ({d['images_in_groups']} images); within a split: "
        f"{within}; across splits {d['groups_across_splits']}, "
        f"with conflicting labels {d['groups_with_conflicting_labels']} "
        f"({d['conflicting_groups_across_splits']} across splits)"
    )
    console.print(f"blank images: {rep['blank_images']['count']}")
    if rep["skipped_bad_items"]:
        console.print(f"skipped bad items: {len(rep['skipped_bad_items'])} (first: {rep['skipped_bad_items'][0]})")
    if "grid" in rep:
        console.print(f"sample grid: {rep['grid']}")
    if "ferplus" in rep:
        _print_ferplus(rep["ferplus"])


def _print_ferplus(fp: dict) -> None:
    for split, c in fp["splits"].items():
        console.print(
            f"FER+ {split}: {c['kept']} of {c['faces']} faces kept by majority vote; dropped "
            f"{c['dropped_no_majority']} without a majority, {c['dropped_unknown_or_not_a_face']} unknown or not a face"
        )
    agree = ", ".join(
        f"{k} {v['agree']:.0%}" + (f" (else {v['else_mostly']})" if v["else_mostly"] else "")
        for k, v in fp["agreement_by_fer2013_class"].items()
    )
    console.print(f"FER+ majority agrees with FER2013's label: {agree}")
    if "grid" in fp:
        console.print(f"disagreements: {fp['grid']}")
