"""Health, readiness, model information, metrics and the page — none of them runs inference."""

from __future__ import annotations

from .conftest import HOPPER


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
