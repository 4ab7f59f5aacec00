"""The public API: small, lazy, and ``import ferkit`` imports no torch."""

from __future__ import annotations

import subprocess
import sys


def test_public_api_is_small_and_lazy():
    code = "import sys, ferkit; assert 'torch' not in sys.modules; print(sorted(ferkit.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Recognizer" in out and "train" in out and "ImageResult" in out
    import ferkit

    assert ferkit.Recognizer.__name__ == "Recognizer" and callable(ferkit.train) and callable(ferkit.evaluate)
    assert ferkit.TrainConfig.__module__ == "ferkit.training.config"


def test_predicting_imports_no_torch(tmp_path):
    code = (
        "import sys, ferkit\nfrom ferkit.inference.bench import sample_photo\n"
        "r = ferkit.Recognizer.from_pretrained().predict(sample_photo())\n"
        "print(len(r), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "False"]
