"""Property-based: images of any shape (1-5000 pixels a side, any aspect ratio) and any pixel format
(grey, RGB, RGBA, 16-bit, palette) go through the Python API, a CLI folder batch and the REST service.
No exception escapes, the service never answers 5xx, and the real photo beside them is never lost."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from .conftest import HOPPER

MODES = ("L", "RGB", "RGBA", "I;16", "P")


@st.composite
def images(draw) -> tuple[str, bytes]:
    """A PNG of a drawn shape and mode; at most 2.5 megapixels, so that thin strips of 5000 pixels and
    squares of 1500 both occur and every example stays quick."""
    side = st.one_of(st.integers(1, 16), st.integers(1, 5000))  # thin strips as often as anything else
    width = draw(side)
    height = draw(side.filter(lambda h: h * width <= 2_500_000))
    mode = draw(st.sampled_from(MODES))
    seed = draw(st.integers(0, 2**16))
    ramp = np.add.outer(np.arange(height) % 256, np.arange(width) % 256) // 2
    noise = np.random.default_rng(seed).integers(0, 8, (height, width))
    grey = (ramp + noise).clip(0, 255).astype(np.uint8)
    if mode == "I;16":
        img = Image.fromarray(grey.astype(np.uint16) * 257)
    else:
        img = Image.fromarray(grey).convert(mode)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return f"{width}x{height}-{mode.replace(';', '')}.png", buf.getvalue()


def strip(width: int, height: int) -> tuple[str, bytes]:
    """A grey PNG of one size: the shapes that once crashed detection (a side rounded to 0 pixels)."""
    buf = io.BytesIO()
    Image.new("L", (width, height), 128).save(buf, format="PNG")
    return f"{width}x{height}.png", buf.getvalue()


CRASHED = [strip(2560, 1), strip(1, 2561), strip(5200, 2)]


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _one_line(message: str | None) -> bool:
    return bool(message) and "\n" not in message and "Traceback" not in message


@SETTINGS
@given(batch=st.lists(images(), min_size=1, max_size=3))
@example(batch=CRASHED)
def test_python_api_answers_every_shape_and_keeps_the_photo(recognizer, batch):
    results = recognizer.predict_many([HOPPER, *(b for _, b in batch)], names=["hopper.jpg", *(n for n, _ in batch)])
    assert len(results) == len(batch) + 1
    assert results[0].status == "ok" and results[0].faces
    for r in results[1:]:
        assert r.status in ("ok", "no_face", "error")
        assert r.status == "ok" or _one_line(r.error)


@SETTINGS
@given(batch=st.lists(images(), min_size=1, max_size=2))
@example(batch=CRASHED[:2])
def test_service_never_answers_a_server_error(client, batch):
    for name, data in batch:
        res = client.post("/v1/predict", files={"file": (name, data, "image/png")})
        assert res.status_code < 500, res.text
        assert res.status_code == 200 or res.json()["error"]["message"]
    files = [("files", ("hopper.jpg", HOPPER, "image/jpeg"))] + [("files", (n, d, "image/png")) for n, d in batch]
    res = client.post("/v1/predict/batch", files=files)
    assert res.status_code == 200, res.text
    results = res.json()["results"]
    assert len(results) == len(batch) + 1 and results[0]["faces"]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(images(), min_size=2, max_size=4, unique_by=lambda b: b[0]))
@example(batch=CRASHED)
def test_cli_folder_batch_loses_no_good_image(tmp_path_factory, batch):
    folder = tmp_path_factory.mktemp("shapes")
    (folder / "hopper.jpg").write_bytes(HOPPER)
    for name, data in batch:
        (folder / name).write_bytes(data)
    out = folder / "results.jsonl"
    cmd = [sys.executable, "-m", "ferkit.cli", "predict", str(folder), "--jsonl", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(batch) + 1
    hopper = next(r for r in rows if r["path"].endswith("hopper.jpg"))
    assert hopper["status"] == "ok" and hopper["faces"]
    assert "Traceback" not in proc.stderr
