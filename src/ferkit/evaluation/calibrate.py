"""Temperature scaling (Guo et al., 2017): one number per checkpoint that makes its probabilities honest,
fitted on the validation split and stored in the checkpoint's metadata.

Optionally, recall floors (``--recall-floor fear=0.5,sad=0.55``): the smallest per-class logit offsets
with which the named classes reach those recalls on the validation split. FER2013's networks under-call
fear and sad (they look like neutral and surprise); a user who would rather catch them than be told
"neutral" can trade a little precision elsewhere, chosen on the validation split like everything else.
The offsets shift probabilities as well as decisions, so the ECE they leave is reported too."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..data.dataset import load_dataset
from ..models.meta import update_meta
from ..models.model import Network, load_model
from ..models.shipped import resolve_weights
from ..probs import softmax
from .metrics import classification_report, expected_calibration_error, nll


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The softmax temperature that minimises negative log-likelihood (Guo et al., 2017)."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 481))
    return float(min(grid, key=lambda t: _nll(logits, labels, t)))


def _nll(logits: np.ndarray, labels: np.ndarray, t: float = 1.0) -> float:
    return nll(labels, softmax(logits, t))


def fit_class_bias(
    logits: np.ndarray, labels: np.ndarray, temperature: float, floors: dict[int, float],
    names: Sequence[str] | None = None, step: float = 0.01,
) -> np.ndarray:  # fmt: skip
    """The smallest per-class offsets (raised ``step`` at a time, always for the class furthest below its
    floor) with which every class in ``floors`` reaches its recall on ``labels``. A floor that offsets
    of up to 3 (a factor of 20 in odds) cannot reach is an error naming the class."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    bias = np.zeros(z.shape[1])
    name = (lambda c: names[c]) if names is not None else str
    for c in floors:
        if not np.any(labels == c):
            raise ValueError(f"class {name(c)}: no images of it in the split, so no recall to raise")
    while True:
        pred = (z + bias).argmax(1)
        short = {c: f - (pred[labels == c] == c).mean() for c, f in floors.items()}
        worst = max(short, key=short.get)
        if short[worst] <= 0:
            return bias
        if bias[worst] >= 3.0:
            got = floors[worst] - short[worst]
            limit = f"recall {got:.3f} cannot reach {floors[worst]} with an offset up to 3"
            raise ValueError(f"class {name(worst)}: {limit}")
        bias[worst] += step


def fit_temperature_and_bias(
    logits: np.ndarray, labels: np.ndarray, temperature: float, bias: np.ndarray, steps: int = 2000
) -> tuple[float, np.ndarray]:
    """Temperature and per-class offsets that jointly minimise negative log-likelihood, by gradient descent
    from ``temperature`` and ``bias`` (a prior shift and a sharpness, the two ways a small face's logits
    drift; a handful of numbers fitted on thousands of faces, so no regularisation is needed)."""
    z = np.asarray(logits, dtype=np.float64)
    onehot = np.eye(z.shape[1])[labels]
    log_t, b = float(np.log(temperature)), np.asarray(bias, dtype=np.float64).copy()
    for _ in range(steps):
        t = np.exp(log_t)
        err = softmax(z, t, b).astype(np.float64) - onehot
        log_t -= 0.5 * float((err * (-z / t)).sum(1).mean())
        b -= 0.5 * err.mean(0)
    return float(np.exp(log_t)), b


def fit_small_faces(
    net: Network, faces: np.ndarray, labels: np.ndarray, widths: Sequence[int], temperature: float,
    bias: Sequence[float] | None,
) -> dict:  # fmt: skip
    """The small-face calibration table (see :func:`ferkit.probs.at_widths`): at each width, the faces
    shrunk to it and enlarged back as ``predict`` enlarges small faces, and temperature and offsets fitted
    there, starting from the full-size ``temperature`` and ``bias``; with each width's accuracy and NLL
    before and after."""
    from ..transforms.views import at_resolution

    t0, b0 = temperature, np.asarray(bias if bias is not None else np.zeros(len(net.classes)))
    table: dict = {"widths": [], "temperature": [], "class_bias": [], "fit": {}}
    for w in sorted(widths):
        logits = net.logits(at_resolution(faces, w))
        t, b = fit_temperature_and_bias(logits, labels, t0, b0)
        before, after = softmax(logits, t0, b0), softmax(logits, t, b)
        table["widths"].append(int(w))
        table["temperature"].append(round(t, 4))
        table["class_bias"].append([round(float(v), 4) for v in b])
        table["fit"][str(w)] = {
            "accuracy_before": round(float((before.argmax(1) == labels).mean()), 4),
            "accuracy_after": round(float((after.argmax(1) == labels).mean()), 4),
            "nll_before": round(nll(labels, before), 4),
            "nll_after": round(nll(labels, after), 4),
        }
    return table


def parse_floors(spec: str, classes: tuple[str, ...]) -> dict[int, float]:
    """``"fear=0.5,sad=0.55"`` → ``{class index: floor}``, with errors that name the bad part."""
    floors = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        name, _, value = part.partition("=")
        if name.strip() not in classes:
            raise ValueError(f"--recall-floor {part!r}: no class {name.strip()!r} (classes: {', '.join(classes)})")
        try:
            floor = float(value)
        except ValueError:
            raise ValueError(f"--recall-floor {part!r}: give CLASS=RECALL, e.g. fear=0.5") from None
        if not 0 < floor < 1:
            raise ValueError(f"--recall-floor {part!r}: a recall between 0 and 1")
        floors[classes.index(name.strip())] = floor
    return floors


def calibrate(
    weights: str | os.PathLike,
    data_path: str | os.PathLike,
    *,
    split: str = "val",
    recall_floor: str | None = None,
    backend: str = "auto",
    ferplus: str | None = None,
    small_faces: Sequence[int] = (),
) -> dict:
    """Fit temperature scaling (and with ``recall_floor``, class offsets; with ``small_faces``, both again
    for faces that many pixels wide) on the validation split (PublicTest for FER2013; with ``ferplus``,
    labelled by FER+'s majority vote) and store them in the checkpoint, replacing earlier ones. Never fit
    on the test split: that would be choosing on the benchmark. One ``.safetensors`` checkpoint (or run
    folder, or shipped name); no torch needed."""
    if split == "test":
        raise ValueError("calibrating on the test split would leak it; use the validation split")
    path = resolve_weights(weights)
    ckpt = load_model(path, backend=backend)
    if not isinstance(ckpt, Network):
        raise ValueError(f"{weights}: calibrate one checkpoint at a time, not an ensemble or preset")
    data = load_dataset(data_path, classes=ckpt.classes, image_size=ckpt.preprocess.image_size, ferplus=ferplus)
    data = data.split(split)
    logits = ckpt.logits(data.images)
    t = fit_temperature(logits, data.labels)
    ece = lambda temperature: round(expected_calibration_error(data.labels, softmax(logits, temperature)), 4)
    result = {"temperature": round(t, 4), "fitted_on": f"{Path(str(data_path)).name}:{split}"}
    result.update(ece_before=ece(1.0), ece_after=ece(t))
    result.update(nll_before=round(_nll(logits, data.labels), 4), nll_after=round(_nll(logits, data.labels, t), 4))
    bias = None
    if recall_floor:
        b = fit_class_bias(logits, data.labels, t, parse_floors(recall_floor, ckpt.classes), ckpt.classes)
        bias = [round(float(v), 4) for v in b] if b.any() else None  # floors already met: nothing to store
        result.update(_decision_change(logits, data.labels, t, bias, ckpt.classes), class_bias=bias)
    stored_t = result["temperature"]  # rounded, as the checkpoint keeps it
    table = fit_small_faces(ckpt, data.images, data.labels, small_faces, stored_t, bias) if small_faces else None
    if table:
        result["small_faces"] = table["fit"]
    update_meta(path, temperature=stored_t, class_bias=bias, small_faces=table, calibration=result)
    return result


def _decision_change(logits: np.ndarray, labels: np.ndarray, t: float, bias: list[float], classes) -> dict:
    before = classification_report(labels, softmax(logits, t), classes)
    after = classification_report(labels, softmax(logits, t, bias), classes)

    def recalls(rep: dict) -> dict:
        return {c: round(m["recall"], 4) for c, m in rep["per_class"].items()}

    change = {"accuracy_before": round(before["accuracy"], 4), "accuracy_after": round(after["accuracy"], 4)}
    change.update(recall_before=recalls(before), recall_after=recalls(after), ece_with_bias=round(after["ece"], 4))
    return change
