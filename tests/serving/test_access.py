"""Who may call the service: API keys (401), per-client rate limits (429), CORS only when configured,
request logs without image data."""

from __future__ import annotations

import base64
import logging

import pytest
from fastapi.testclient import TestClient

from ferkit.serving.access import RateLimiter
from ferkit.serving.app import create_app
from ferkit.serving.context import Limits

from .conftest import HOPPER


def _client(recognizer, **limits) -> TestClient:
    return TestClient(create_app(recognizer, Limits(**limits)))


def test_api_keys(recognizer):
    with _client(recognizer, api_keys=("s3cret", "other")) as c:
        jpeg = {"content-type": "image/jpeg"}
        post = lambda **key: c.post("/v1/predict", content=HOPPER, headers={**jpeg, **key})
        r = post()
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"
        assert post(authorization="Bearer wrong").status_code == 401
        assert post(authorization="Bearer s3cret").status_code == post(**{"x-api-key": "other"}).status_code == 200
        assert c.get("/v1/models").status_code == 401
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200


def test_rate_limit_per_client(recognizer):
    limiter = RateLimiter(rate=1.0, burst=2)
    assert [limiter.allow("a", now=0.0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", now=0.0) and limiter.allow("a", now=1.1)  # others unaffected; tokens come back
    with _client(recognizer, rate_per_client=0.5, burst_per_client=2) as c:
        codes = [c.get("/v1/models").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = c.get("/v1/models")
        assert r.json()["error"]["code"] == "rate_limited" and r.headers["retry-after"] == "2"
        assert c.get("/healthz").status_code == 200


@pytest.mark.parametrize("origins,allowed", [((), None), (("https://app.example",), "https://app.example")])
def test_cors_is_off_unless_configured(recognizer, origins, allowed):
    with _client(recognizer, cors_origins=origins) as c:
        r = c.get("/v1/models", headers={"origin": "https://app.example"})
        assert r.headers.get("access-control-allow-origin") == allowed


def test_request_logs_hold_no_image_data(client, caplog):
    b64 = base64.b64encode(HOPPER).decode()
    with caplog.at_level(logging.INFO, logger="ferkit.access"):
        client.post("/v1/predict", json={"image": b64})
    lines = [r.getMessage() for r in caplog.records if r.name == "ferkit.access"]
    assert lines and all(b64[:40] not in line and len(line) < 300 for line in lines)
