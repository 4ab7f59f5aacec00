"""``/v1/predict`` and ``/v1/predict/batch`` with the real model and a real photo."""

from __future__ import annotations

import base64

from .conftest import HOPPER, png


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
    files = [
        ("files", ("a.jpg", HOPPER, "image/jpeg")),
        ("files", ("blank.png", png(), "image/png")),
        ("files", ("bad.png", b"not an image", "image/png")),
    ]
    r = client.post("/v1/predict/batch", files=files)
    assert r.status_code == 200
    res = r.json()["results"]
    assert len(res[0]["faces"]) == 1 and res[1]["faces"] == [] and res[2]["error_code"] == "not_an_image"
    r = client.post("/v1/predict/batch", json={"images": [base64.b64encode(HOPPER).decode()] * 2})
    assert [len(x["faces"]) for x in r.json()["results"]] == [1, 1]


def test_batch_limit(client):
    files = [("files", (f"{i}.jpg", HOPPER, "image/jpeg")) for i in range(4)]
    r = client.post("/v1/predict/batch", files=files)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_images"


def test_a_batch_stops_decoding_at_its_pixel_budget(recognizer):
    from fastapi.testclient import TestClient

    from ferkit.serving.app import create_app
    from ferkit.serving.context import Limits

    # Hopper is 512x600 = 307,200 pixels: two fit in 700,000, the third is refused before decoding.
    app = create_app(recognizer, Limits(max_batch=4, max_batch_pixels=700_000))
    files = [("files", (f"{i}.jpg", HOPPER, "image/jpeg")) for i in range(3)] + [
        ("files", ("s.png", png(), "image/png"))
    ]
    with TestClient(app) as c:
        res = c.post("/v1/predict/batch", files=files).json()["results"]
    assert [len(r.get("faces", [])) for r in res] == [1, 1, 0, 0]
    assert res[2]["error_code"] == "batch_too_large" and "0.7 megapixels" in res[2]["error"]
    assert res[3]["status"] == "no_face"  # a small image after it still fits (and is searched)
