"""``ferkit benchmark``: one model on every benchmark at hand, in one table.

FER2013 PrivateTest (the challenge's labels) and FER+ PrivateTest (majority of ten annotators) score the
network on FER2013's crops, one view, as ``ferkit evaluate`` does; the PublicTest rows are there for
choosing (the default is chosen by FER2013 PublicTest accuracy and FER+ PublicTest neutral recall,
``docs/benchmarks.md``). The cross-dataset sets
(``fer-cross/<set>/<class>/<photo>``, e.g. JAFFE and Yale) are photos, not crops: they run end to end,
detector and alignment included, as ``ferkit predict`` would, and a photo where no face is found counts as
wrong. A model is scored on the classes a set has (a seven-class set drops FER+'s contempt; Yale's four
classes restrict the model to those four). Sets that are not there are skipped with a line saying so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..data.decode import IMAGE_SUFFIXES
from ..labels import canonical_class
from .metrics import classification_report


def run_benchmark(
    weights: str, *, fer2013: str | os.PathLike | None = None, cross: str | os.PathLike | None = None,
    backend: str = "auto", precision: str = "fp32",
) -> dict:  # fmt: skip
    """Every benchmark found: ``{"model", "precision", "rows": [...], "skipped": [...], "choice"}``, a row
    per benchmark with its accuracy, macro-F1, macro-recall, per-class recall, size and what it measures,
    and the figures the default is chosen by (:func:`choice`).
    ``precision`` applies to crops and photos alike (float32 by default, so that every machine gets the same
    numbers)."""
    rows, skipped = [], []
    if fer2013 and Path(fer2013).exists():
        rows += _crop_rows(weights, fer2013, backend, precision)
    else:
        skipped.append(f"FER2013 and FER+: no data at {fer2013 or '(none given: --data)'}")
    sets = sorted(p for p in Path(cross).iterdir() if p.is_dir()) if cross and Path(cross).is_dir() else []
    if not sets:
        skipped.append(f"cross-dataset photos: no folder of sets at {cross or '(none given: --cross)'}")
    if sets:
        from ..inference.pipeline import Recognizer

        rec = Recognizer.from_pretrained(weights, backend="onnx" if backend == "auto" else backend, precision=precision)
        rows += [_photo_row(rec, s) for s in sets]
    return {"model": str(weights), "precision": precision, "rows": rows, "skipped": skipped, "choice": choice(rows)}


def choice(rows: list[dict]) -> dict | None:
    """What the default is chosen by (``docs/benchmarks.md``), where every set it needs was scored: FER2013
    PublicTest accuracy (within a point of the best to be eligible) and the real-face score, the mean of
    the photo sets' mean macro-recall and FER+ PublicTest's neutral recall."""
    by = {r["benchmark"]: r for r in rows}
    photos = [r["macro_recall"] for r in rows if r["benchmark"].endswith("(photos)")]
    neutral = by.get("FER+ PublicTest", {}).get("recall", {}).get("neutral")
    if "FER2013 PublicTest" not in by or not photos or neutral is None:
        return None
    cross = float(np.mean(photos))
    return {
        "fer2013_publictest": by["FER2013 PublicTest"]["accuracy"],
        "photos_macro_recall": round(cross, 4),
        "ferplus_publictest_neutral_recall": neutral,
        "real_face_score": round((cross + neutral) / 2, 4),
    }


def _crop_rows(weights: str, data: str | os.PathLike, backend: str, precision: str) -> list[dict]:
    """The four crop benchmarks from one load of the model and one of each label set (as ``ferkit evaluate
    --split val|test [--ferplus]`` would score them, one view)."""
    from ..data.dataset import load_dataset
    from ..labels import CLASSES
    from ..models.model import load_model
    from .evaluate import evaluate

    model = load_model(weights, backend="onnx" if precision != "fp32" else backend, precision=precision)
    size = model.preprocess.image_size
    # FER2013's labels have no contempt: a FER+ model is scored there on the seven classes it shares.
    fer2013 = load_dataset(data, classes=tuple(c for c in model.classes if c in CLASSES), image_size=size)
    ferplus = load_dataset(data, classes=model.classes, image_size=size, ferplus="shipped")
    runs = (
        ("FER2013 PrivateTest", fer2013, "test", "the challenge's labels"),
        ("FER2013 PublicTest", fer2013, "val", "the challenge's labels; for choosing, not reporting"),
        ("FER+ PrivateTest", ferplus, "test", "majority of 10 annotators"),
        ("FER+ PublicTest", ferplus, "val", "majority of 10 annotators; for choosing, not reporting"),
    )
    return [
        _row(name, evaluate(model, labelled.split(split)).report, f"FER2013 crops, one view; {labels}")
        for name, labelled, split, labels in runs
    ]


def _photo_row(rec, folder: Path) -> dict:
    """A cross-dataset set end to end; the largest face of each photo is its answer."""
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    truth = [canonical_class(p.parent.name) for p in files]
    classes = tuple(c for c in rec.classes if c in set(truth))
    cols = [rec.classes.index(c) for c in classes]
    labels, probs = [], []
    for path, cls in zip(files, truth):
        if cls not in classes:
            continue
        faces = rec.predict(path).faces
        p = np.array([faces[0].probs[c] for c in rec.classes])[cols] if faces else np.full(len(classes), np.nan)
        labels.append(classes.index(cls))
        probs.append(p / np.nansum(p) if faces else p)
    probs = np.array(probs)
    found = ~np.isnan(probs).any(1)
    # A photo with no face found is wrong: scored as a prediction of an extra "no face" class that no
    # photo has (so it counts against recall, and against no class's precision or the macro averages).
    scored = np.zeros((len(probs), len(classes) + 1))
    scored[found, :-1] = probs[found]
    scored[~found, -1] = 1.0
    rep = classification_report(np.array(labels), scored, (*classes, "no face"))
    rep["per_class"].pop("no face")
    rep["no_face"] = int((~found).sum())
    return _row(f"{folder.name} (photos)", rep, f"end to end: detector, alignment, network; {len(classes)} classes")


def _row(name: str, rep: dict, measures: str) -> dict:
    recall = {c: round(m["recall"], 4) for c, m in rep["per_class"].items()}
    scores = {k: round(rep[k], 4) for k in ("accuracy", "macro_f1")}
    row = {"benchmark": name, "n": rep["n"], **scores, "macro_recall": round(float(np.mean(list(recall.values()))), 4)}
    return {**row, "recall": recall, "measures": measures, **({"no_face": rep["no_face"]} if "no_face" in rep else {})}


def to_markdown(result: dict) -> str:
    """The benchmark as a Markdown table (and a line per skipped set)."""
    classes = list(dict.fromkeys(c for r in result["rows"] for c in r["recall"]))
    head = ["benchmark", "n", "accuracy", "macro-F1", "macro-recall", *(f"{c} recall" for c in classes), "what"]
    row = lambda cells: "| " + " | ".join(cells) + " |"
    lines = [f"**{result['model']}** ({result['precision']})", "", row(head), "|" + "---|" * len(head)]
    for r in result["rows"]:
        recall = [f"{r['recall'][c]:.3f}" if c in r["recall"] else "" for c in classes]
        scores = f"{r['accuracy']:.2%}", f"{r['macro_f1']:.3f}", f"{r['macro_recall']:.3f}"
        lines.append(row([r["benchmark"], str(r["n"]), *scores, *recall, r["measures"]]))
    c = result.get("choice")
    if c:
        lines.append(
            f"\nFor choosing the default: FER2013 PublicTest {c['fer2013_publictest']:.2%}; real-face score "
            f"{c['real_face_score']:.4f} (photo sets' macro-recall {c['photos_macro_recall']:.4f}, "
            f"FER+ PublicTest neutral recall {c['ferplus_publictest_neutral_recall']:.4f})"
        )
    lines += [f"\nskipped: {s}" for s in result["skipped"]]
    return "\n".join(lines) + "\n"


def write_benchmark(result: dict, out: str | os.PathLike) -> tuple[Path, Path]:
    """``benchmark.md`` and ``benchmark.json`` in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(result, indent=2))
    (out / "benchmark.md").write_text(to_markdown(result))
    return out / "benchmark.md", out / "benchmark.json"
