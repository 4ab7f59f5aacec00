"""The pictures: training curves, a confusion matrix, an image grid — real PNG files."""

from __future__ import annotations

import numpy as np

from ferkit.evaluation.plots import confusion_matrix_plot, image_grid, training_curves

PNG = b"\x89PNG\r\n\x1a\n"


def test_every_plot_writes_a_png(tmp_path):
    history = [
        {"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "train_acc": 0.5 + e / 20, "val_acc": 0.5}
        for e in range(1, 4)
    ]
    training_curves(history, tmp_path / "c.png")
    confusion_matrix_plot(np.array([[5, 1], [0, 4]]), ["happy", "sad"], tmp_path / "m.png")
    faces = [np.full((48, 48), v, np.uint8) for v in (0, 128, 255)]
    image_grid(faces, ["a", "b", "c"], tmp_path / "g.png", cols=2, colors=["green", "red", "green"])
    for name in ("c.png", "m.png", "g.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG


def test_training_curves_tick_whole_epochs(tmp_path, monkeypatch):
    import matplotlib.figure

    ticks = {}
    real = matplotlib.figure.Figure.savefig

    def spy(fig, *a, **k):
        fig.canvas.draw()
        ticks["x"] = [t for ax in fig.axes for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        return real(fig, *a, **k)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    history = [{"epoch": e, "train_loss": 1, "val_loss": 1, "train_acc": 0.5, "val_acc": 0.5} for e in (1, 2, 3)]
    training_curves(history, tmp_path / "c.png")
    assert ticks["x"] and all(float(t).is_integer() for t in ticks["x"])  # three epochs: no 1.5, 2.5 ticks
