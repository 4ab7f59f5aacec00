"""Honest evaluation of a checkpoint on one split: metrics, confusion matrix, sample predictions."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..data.dataset import FERDataset, load_dataset
from ..models.model import Ensemble, Model, Subset, load_model
from .metrics import classification_report
from .plots import confusion_matrix_plot, image_grid

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    report: dict  # metrics (see metrics.classification_report) plus what was evaluated
    probs: np.ndarray  # (N, C) calibrated probabilities
    data: FERDataset


def evaluate(model: Model, data: FERDataset, *, tta: bool = False, width: int | None = None) -> Evaluation:
    """Score ``model`` on ``data`` (already one split; its classes must be ones the model knows: a model
    with more classes is scored on its choice among the data's). An ensemble's members are scored too, so
    its numbers stay apart from single models'. ``width``: the faces were that many pixels wide in their
    photos (calibrated as ``predict`` calibrates such faces)."""
    if tuple(data.classes) != tuple(model.classes):
        model = Subset(model, tuple(data.classes))
    widths = None if width is None else [width] * len(data.images)
    probs = model.probs(data.images, tta=tta, widths=widths)
    report = classification_report(data.labels, probs, data.classes)
    meta = model.meta
    report.update(model=model.name, tta=tta, temperature=meta.get("temperature"), class_bias=meta.get("class_bias"))
    report.update(source=data.source, backend=model.backend, precision=meta.get("precision", "fp32"))
    base = model.base if isinstance(model, Subset) else model
    if isinstance(base, Ensemble):
        report["members"] = []
        for m in base.members:
            own = Subset(m, tuple(data.classes)).probs(data.images, tta=tta, widths=widths)
            member = classification_report(data.labels, own, data.classes)
            report["members"].append({"model": m.name, "accuracy": member["accuracy"], "macro_f1": member["macro_f1"]})
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
    backend: str = "auto",
    ferplus: str | None = None,
    precision: str = "fp32",
    resolution: int | None = None,
) -> Evaluation:
    """Load a model (:func:`~ferkit.models.model.load_model`: a name, preset, checkpoint, ``.onnx`` or
    comma-separated ensemble; ``classes`` restricts it) and a dataset, evaluate one split and write the
    report files to ``out_dir``. With ``ferplus``, the split is labelled by FER+'s majority vote (the FER+
    benchmark), on the model's classes. Without ``classes``, a model that knows classes the dataset lacks
    (FER+'s contempt on FER2013's labels) is scored on the classes they share, and says so. ``resolution``
    scores the faces as a photo ``resolution`` pixels wide would show them (shrunk and enlarged back, and
    calibrated as ``predict`` calibrates faces of that width)."""
    backend = "onnx" if precision != "fp32" else backend  # int8 twins run on ONNX Runtime
    model = load_model(weights, backend=backend, classes=classes, precision=precision)
    # Loaded with all its classes: a model that knows more (FER+'s contempt on FER2013's labels) is scored
    # on those the data has, which evaluate() picks out of the model.
    data = load_dataset(data_path, image_size=model.preprocess.image_size, skip_bad=skip_bad, ferplus=ferplus)
    wanted = model.classes
    if classes is None:
        shared = tuple(c for c in model.classes if c in data.classes)
        if shared and shared != wanted:
            lacking = ", ".join(c for c in wanted if c not in shared)
            log.warning(
                "%s has no %s: scored on the %d classes it shares with the model", data_path, lacking, len(shared)
            )
            wanted = shared
    data = data.select_classes(wanted)
    if not data.has_split(split):
        raise ValueError(f"{data_path}: has no {split!r} split (it has {', '.join(sorted(set(data.splits)))})")
    data = data.split(split)
    if resolution:
        from ..transforms.views import at_resolution

        data = replace(data, images=at_resolution(data.images, resolution))
    result = evaluate(model, data, tta=tta, width=resolution)
    result.report.update(split=split, resolution=resolution)
    if out_dir is not None:
        write_report_files(result, Path(out_dir))
    return result


def write_report_files(result: Evaluation, out: Path, grid_size: int = 32) -> None:
    """``report.json``, ``confusion_matrix.png`` and ``samples.png`` (correct and wrong predictions)."""
    out.mkdir(parents=True, exist_ok=True)
    rep = result.report
    (out / "report.json").write_text(json.dumps(rep, indent=2))
    title = f"{rep['model']} on {rep.get('split', 'data')}: accuracy {rep['accuracy']:.1%}"
    confusion_matrix_plot(
        np.asarray(rep["confusion_matrix"]), rep["classes"], out / "confusion_matrix.png", title=title
    )
    probs, labels, classes = result.probs, result.data.labels, rep["classes"]
    pred = probs.argmax(1)
    rng = np.random.default_rng(0)
    right = rng.permutation(np.flatnonzero(pred == labels))[: grid_size // 2]
    wrong = rng.permutation(np.flatnonzero(pred != labels))[: grid_size - len(right)]
    idx = np.concatenate([right, wrong])
    titles = [f"{classes[pred[i]]} {probs[i, pred[i]]:.0%}\n(true {classes[labels[i]]})" for i in idx]
    colors = ["green" if pred[i] == labels[i] else "red" for i in idx]
    suptitle = "Sample predictions (green correct, red wrong)"
    image_grid([result.data.images[i] for i in idx], titles, out / "samples.png", colors=colors, suptitle=suptitle)
