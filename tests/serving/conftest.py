"""Serving fixtures: the real app on the shipped model (in-process), and ``ferkit serve`` on loopback."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ferkit.inference.bench import sample_photo
from ferkit.inference.pipeline import Recognizer
from ferkit.serving.app import create_app
from ferkit.serving.context import Limits

from ..conftest import serving

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


@pytest.fixture(scope="session")
def live_server():
    """``ferkit serve`` as a user starts it, on a free loopback port."""
    with serving() as (_, url):
        yield url
