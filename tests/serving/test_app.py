"""The app as a whole: built by create_app, bounded by its timeout, served by ``ferkit serve`` for real."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ferkit.inference.pipeline import Recognizer
from ferkit.serving.app import create_app
from ferkit.serving.context import Limits

from ..conftest import serving
from .conftest import HOPPER


def test_timeout_gives_504():
    rec = Recognizer.from_pretrained()
    slow = rec.locate  # (a bound method of the caller's copy: the same model and detector)

    def sleepy(img, **kw):
        time.sleep(1.0)
        return slow(img, **kw)

    app = create_app(rec, Limits(timeout_s=0.2))
    app.state.ctx.recognizer.locate = sleepy  # the app runs its own copy, with the service's limits
    with TestClient(app) as c:
        r = c.post("/v1/predict", files={"file": ("hopper.jpg", HOPPER, "image/jpeg")})
    assert r.status_code == 504 and r.json()["error"]["code"] == "timeout"


def test_real_server_over_http(live_server):
    boundary = "ferkitboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="h.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + HOPPER
        + f"\r\n--{boundary}--\r\n".encode()
    )
    req = urllib.request.Request(
        live_server + "/v1/predict", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        result = json.loads(resp.read())
    assert len(result["faces"]) == 1


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts worker processes through Linux's /proc")
def test_several_worker_processes_share_the_port_with_the_same_settings():
    with serving("--workers", "2", "--classes", "happy,sad") as (proc, url):
        for _ in range(4):
            req = urllib.request.Request(url + "/v1/predict", data=HOPPER, headers={"Content-Type": "image/jpeg"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                (face,) = json.loads(resp.read())["faces"]
            assert set(face["probs"]) == {"happy", "sad"}  # --classes reaches every worker
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) >= 2  # the two workers (uvicorn may add a resource tracker)


def test_declared_oversized_body_is_refused_before_reading(client):
    r = client.post("/v1/predict", content=b"x", headers={"content-type": "image/jpeg", "content-length": "999999999"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
