"""The REST service with the real app and model: every endpoint and every bad request."""

from __future__ import annotations

import base64
import io
import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ferkit.bench import sample_photo
from ferkit.predictor import Recognizer
from ferkit.serve import Limits, create_app

HOPPER = sample_photo().read_bytes()


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(Recognizer.from_pretrained(), Limits(max_upload_bytes=2_000_000, max_pixels=4_000_000,
                                                          max_batch=3))
    with TestClient(app) as c:
        yield c


def _png(size=(64, 64), color=(120, 120, 120)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def test_predict_multipart(client):
    r = client.post("/v1/predict", files={"file": ("hopper.jpg", HOPPER, "image/jpeg")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"]) == (512, 600) and len(body["faces"]) == 1
    face = body["faces"][0]
    assert set(face["probs"]) == {"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"}
    assert abs(sum(face["probs"].values()) - 1) < 1e-3 and face["label"] in face["probs"]
    assert body["timing_ms"]["inference"] > 0


def test_predict_json_base64_and_raw_body_agree(client):
    a = client.post("/v1/predict", json={"image": base64.b64encode(HOPPER).decode()}).json()
    b = client.post("/v1/predict", content=HOPPER, headers={"content-type": "image/jpeg"}).json()
    c = client.post("/v1/predict", json={"image": "data:image/jpeg;base64," + base64.b64encode(HOPPER).decode()}).json()
    assert a["faces"] == b["faces"] == c["faces"]


def test_batch_with_one_bad_image(client):
    files = [("files", ("a.jpg", HOPPER, "image/jpeg")), ("files", ("blank.png", _png(), "image/png")),
             ("files", ("bad.png", b"not an image", "image/png"))]
    r = client.post("/v1/predict/batch", files=files)
    assert r.status_code == 200
    res = r.json()["results"]
    assert len(res[0]["faces"]) == 1 and res[1]["faces"] == [] and res[2]["error"]["code"] == "not_an_image"
    r = client.post("/v1/predict/batch", json={"images": [base64.b64encode(HOPPER).decode()] * 2})
    assert [len(x["faces"]) for x in r.json()["results"]] == [1, 1]


@pytest.mark.parametrize("kwargs,status,code", [
    ({"files": {"file": ("x.txt", b"hello", "text/plain")}}, 415, "unsupported_type"),
    ({"files": {"file": ("x.png", b"hello", "image/png")}}, 422, "not_an_image"),
    ({"files": {"file": ("x.png", b"", "image/png")}}, 422, "empty_image"),
    ({"files": {"file": ("x.jpg", HOPPER[:2000], "image/jpeg")}}, 422, "bad_image"),
    ({"files": {"file": ("big.png", _png((2500, 2000)), "image/png")}}, 413, "too_many_pixels"),
    ({"files": {"file": ("huge.jpg", b"\xff" * 2_100_000, "image/jpeg")}}, 413, "too_large"),
    ({"files": {"note": (None, "just text")}}, 422, "no_file"),
    ({"data": {"nofile": "x"}}, 415, "unsupported_type"),
    ({"json": {"image": "***"}}, 422, "bad_base64"),
    ({"json": {"picture": "x"}}, 422, "bad_request"),
    ({"json": [1, 2]}, 422, "bad_request"),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "bad_json"),
    ({"content": b"abc", "headers": {"content-type": "text/csv"}}, 415, "unsupported_type"),
    ({"content": b"abc"}, 415, "unsupported_type"),
])
def test_bad_requests_get_4xx_json(client, kwargs, status, code):
    r = client.post("/v1/predict", **kwargs)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_batch_limits_and_unknown_routes(client):
    files = [("files", (f"{i}.jpg", HOPPER, "image/jpeg")) for i in range(4)]
    r = client.post("/v1/predict/batch", files=files)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_images"
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/v1/predict")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_info_endpoints_and_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    models = client.get("/v1/models").json()["models"]
    assert models[0]["classes"][0] == "angry" and "val_acc" in models[0]["metrics"]
    assert "/v1/predict" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200
    page = client.get("/").text
    assert "<canvas" in page and "getUserMedia" in page and "http" not in page.split("<script>")[1].split("fetch(")[0]
    client.post("/v1/predict", files={"file": ("hopper.jpg", HOPPER, "image/jpeg")})
    text = client.get("/metrics").text
    assert 'ferkit_requests_total{path="/v1/predict",status="200"}' in text
    assert "ferkit_request_seconds_bucket" in text and "ferkit_faces_total" in text


def test_timeout_gives_504():
    rec = Recognizer.from_pretrained()
    slow = rec.find_faces

    def sleepy(img):
        time.sleep(1.0)
        return slow(img)

    rec.find_faces = sleepy
    with TestClient(create_app(rec, Limits(timeout_s=0.2))) as c:
        r = c.post("/v1/predict", files={"file": ("hopper.jpg", HOPPER, "image/jpeg")})
    assert r.status_code == 504 and r.json()["error"]["code"] == "timeout"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server():
    """``ferkit serve`` as a user starts it, on a free loopback port."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ferkit.cli", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read())
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


def test_real_server_over_http(live_server):
    boundary = "ferkitboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"h.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + HOPPER + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(live_server + "/v1/predict", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        result = json.loads(resp.read())
    assert len(result["faces"]) == 1
