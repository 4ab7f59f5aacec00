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


def test_health_answers_and_overflow_gets_503_while_inference_is_saturated(recognizer, monkeypatch):
    """Two slow inferences fill the workers and two more fill the queue; a fifth request is refused at once
    with Retry-After, and /healthz and /readyz answer before any slow request has finished."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from ferkit.inference.pipeline import Recognizer
    from ferkit.serving.app import create_app
    from ferkit.serving.context import Limits

    release, finished = threading.Event(), []
    real_locate = Recognizer.locate

    def slow_locate(self, *a, **k):
        release.wait(30)
        return real_locate(self, *a, **k)

    monkeypatch.setattr(Recognizer, "locate", slow_locate)
    with TestClient(create_app(recognizer, Limits(max_concurrency=2, max_queue=2))) as c:

        def slow_request():
            r = c.post("/v1/predict", content=HOPPER, headers={"content-type": "image/jpeg"})
            finished.append(r.status_code)
            return r.status_code

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(slow_request) for _ in range(4)]
            while c.app.state.ctx.in_flight < 4:
                time.sleep(0.01)
            busy = c.post("/v1/predict", content=HOPPER, headers={"content-type": "image/jpeg"})
            health, ready = c.get("/healthz"), c.get("/readyz")
            assert not finished  # every slow request is still waiting or running
            release.set()
            statuses = [f.result() for f in futures]
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1" and busy.json()["error"]["code"] == "busy"
    assert health.status_code == 200 and ready.status_code == 200
    assert statuses == [200] * 4
