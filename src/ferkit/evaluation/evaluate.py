"""Honest evaluation of a checkpoint on one split: metrics, confusion matrix, sample predictions."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.dataset import FERDataset, load_dataset
from ..labels import parse_classes
from ..models.checkpoint import Checkpoint, load_checkpoint
from ..models.meta import preset, split_weights
from ..probs import class_columns, restrict
from .logits import predict_logits
from .metrics import classification_report
from .plots import confusion_matrix_plot, image_grid

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    report: dict  # metrics (see metrics.classification_report) plus what was evaluated
    probs: np.ndarray  # (N, C) calibrated probabilities
    data: FERDataset


def evaluate(
    ckpt: Checkpoint, data: FERDataset, *, tta: bool = False, batch_size: int = 512, device: str = "cpu"
) -> Evaluation:
    """Score ``ckpt`` on ``data`` (already one split). Classes must be ones the model knows."""
    columns = class_columns(ckpt.classes, data.classes)
    logits = predict_logits(ckpt.model, data.images, ckpt.preprocess, batch_size=batch_size, tta=tta, device=device)
    probs = ckpt.calibrated(logits)
    if tuple(data.classes) != tuple(ckpt.classes):
        # The data is a subset of the model's classes: score the model's choice among those classes only.
        probs = restrict(probs, columns)
    report = classification_report(data.labels, probs, data.classes)
    report.update(
        model=ckpt.name, tta=tta, temperature=ckpt.temperature, class_bias=ckpt.class_bias, source=data.source
    )
    return Evaluation(report=report, probs=probs, data=data)


def evaluate_path(
    weights: str | os.PathLike,
    data_path: str | os.PathLike,
    *,
    split: str = "test",
    classes: str | None = None,
    tta: bool = False,
    out_dir: str | os.PathLike | None = None,
    skip_bad: bool = False,
    device: str = "cpu",
    ferplus: str | None = None,
) -> Evaluation:
    """Load a checkpoint (or several, comma-separated: an ensemble) and a dataset, evaluate one split, and
    write the report files to ``out_dir``. A shipped preset is its base model on the preset's classes. With
    ``ferplus``, the split is labelled by FER+'s majority vote (the FER+ benchmark), on the model's classes."""
    found = preset(weights)
    if found is not None:
        if classes:  # a subset of the preset's classes, or an error naming the others
            class_columns(found["classes"], parse_classes(classes))
        weights, classes = found["weights"], classes or ",".join(found["classes"])
    ckpts = [load_checkpoint(w, device=device) for w in split_weights(weights)]
    data = load_dataset(
        data_path,
        classes=classes or ckpts[0].classes,
        image_size=ckpts[0].preprocess.image_size,
        skip_bad=skip_bad,
        ferplus=ferplus,
    )
    if not data.has_split(split):
        raise ValueError(f"{data_path}: has no {split!r} split (it has {', '.join(sorted(set(data.splits)))})")
    if len(ckpts) == 1:
        result = evaluate(ckpts[0], data.split(split), tta=tta, device=device)
    else:
        result = evaluate_ensemble(ckpts, data.split(split), tta=tta, device=device)
    result.report["split"] = split
    if out_dir is not None:
        write_report_files(result, Path(out_dir))
    return result


def evaluate_ensemble(
    ckpts: list[Checkpoint], data: FERDataset, *, tta: bool = False, device: str = "cpu"
) -> Evaluation:
    """Score the average of several models' calibrated probabilities; each member's own accuracy is in
    ``report["members"]``, so ensemble numbers stay apart from single-model ones."""
    members = [evaluate(c, data, tta=tta, device=device) for c in ckpts]
    probs = np.mean([m.probs for m in members], axis=0)
    report = classification_report(data.labels, probs, data.classes)
    report.update(
        model="ensemble(" + ", ".join(c.name for c in ckpts) + ")",
        tta=tta,
        temperature=None,
        source=data.source,
        members=[
            {"model": m.report["model"], "accuracy": m.report["accuracy"], "macro_f1": m.report["macro_f1"]}
            for m in members
        ],
    )
    return Evaluation(report=report, probs=probs, data=data)


def write_report_files(result: Evaluation, out: Path, grid_size: int = 32) -> None:
    """``report.json``, ``confusion_matrix.png`` and ``samples.png`` (correct and wrong predictions)."""
    out.mkdir(parents=True, exist_ok=True)
    rep = result.report
    (out / "report.json").write_text(json.dumps(rep, indent=2))
    confusion_matrix_plot(
        np.asarray(rep["confusion_matrix"]),
        rep["classes"],
        out / "confusion_matrix.png",
        title=f"{rep['model']} on {rep.get('split', 'data')}: accuracy {rep['accuracy']:.1%}",
    )
    probs, labels, classes = result.probs, result.data.labels, rep["classes"]
    pred = probs.argmax(1)
    rng = np.random.default_rng(0)
    right = rng.permutation(np.flatnonzero(pred == labels))[: grid_size // 2]
    wrong = rng.permutation(np.flatnonzero(pred != labels))[: grid_size - len(right)]
    idx = np.concatenate([right, wrong])
    titles = [f"{classes[pred[i]]} {probs[i, pred[i]]:.0%}\n(true {classes[labels[i]]})" for i in idx]
    colors = ["green" if pred[i] == labels[i] else "red" for i in idx]
    image_grid(
        [result.data.images[i] for i in idx],
        titles,
        out / "samples.png",
        colors=colors,
        suptitle="Sample predictions (green correct, red wrong)",
    )
