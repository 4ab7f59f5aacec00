"""Serving fixtures: the real app on the shipped model (in-process), and ``ferkit serve`` on loopback."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ferkit.inference.bench import sample_photo
from ferkit.inference.pipeline import Recognizer
from ferkit.serving.app import create_app
from ferkit.serving.context import Limits

HOPPER = sample_photo().read_bytes()


@pytest.fixture(scope="session")
def recognizer() -> Recognizer:
    return Recognizer.from_pretrained()


@pytest.fixture(scope="module")
def client(recognizer) -> TestClient:
    app = create_app(recognizer, Limits(max_upload_bytes=2_000_000, max_pixels=4_000_000, max_batch=3))
    with TestClient(app) as c:
        yield c


def png(size=(64, 64), color=(120, 120, 120)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    """``ferkit serve`` as a user starts it, on a free loopback port."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ferkit.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read()) from None
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)
