"""The README's first command, `make demo`, on the installed environment: the photo's faces written to a
folder that did not exist, as on a fresh clone (FER2013 left out: `make test` evaluates on real slices)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)


@pytest.mark.skipif(not (VENV / ".ferkit-installed").exists(), reason="not run from the Makefile's environment")
def test_make_demo_predicts_into_a_new_folder(tmp_path):
    demo = tmp_path / "new" / "ferkit-demo"
    cmd = ["make", "-s", "demo", f"VENV={VENV}", f"DEMO={demo}", f"FER2013={tmp_path / 'absent.zip'}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((demo / "hopper.json").read_text())
    faces = result[0]["faces"] if isinstance(result, list) else result["faces"]
    assert len(faces) == 1 and faces[0]["label"] in faces[0]["probs"]
    assert list(demo.glob("*.annotated.jpg")) and "FER2013 not found" in proc.stdout
