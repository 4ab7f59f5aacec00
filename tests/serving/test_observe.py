"""Every answer is counted, timed and logged (refusals before the app included); what escapes the app
becomes JSON: a client's error its 4xx, a bug a logged 500."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient
from starlette.requests import ClientDisconnect

from ferkit.serving.app import create_app
from ferkit.serving.context import Limits
from ferkit.serving.errors import ApiError
from ferkit.serving.observe import DOCS_CSP, api_error

from .conftest import HOPPER


def test_a_bug_is_a_logged_json_500_not_a_hang(recognizer, monkeypatch, caplog):
    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(type(recognizer), "locate", broken)
    with TestClient(create_app(recognizer), raise_server_exceptions=False) as c:
        with caplog.at_level(logging.INFO):
            r = c.post("/v1/predict", content=HOPPER, headers={"content-type": "image/jpeg"})
        metrics = c.get("/metrics").text
    assert r.status_code == 500 and r.json() == {"error": {"code": "internal", "message": "internal error"}}
    assert any("unhandled error on /v1/predict" in rec.getMessage() and rec.exc_info for rec in caplog.records)
    assert 'ferkit_requests_total{path="/v1/predict",status="500"} 1.0' in metrics


def test_refusals_before_the_app_are_logged_and_counted_too(recognizer, caplog):
    with TestClient(create_app(recognizer, Limits(api_keys=("k",)))) as c:
        with caplog.at_level(logging.INFO, logger="ferkit.access"):
            assert c.post("/v1/predict", content=HOPPER).status_code == 401
            assert c.get("/v1/models", headers={"x-api-key": "k"}).status_code == 200
        lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ferkit.access"]
        metrics = c.get("/metrics", headers={"x-api-key": "k"}).text
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        ("POST", "/v1/predict", 401),
        ("GET", "/v1/models", 200),
    ]
    assert all(x["ms"] >= 0 and x["client"] for x in lines)
    assert 'ferkit_requests_total{path="unmatched",status="401"} 1.0' in metrics  # refused before routing


def test_the_documentation_pages_may_fetch_nothing_from_elsewhere(client):
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200 and r.headers["content-security-policy"] == DOCS_CSP
    assert "content-security-policy" not in client.get("/healthz").headers


def test_the_client_error_is_found_inside_groups_and_causes():
    inner = ApiError(413, "too_large", "body too large")
    assert api_error(ExceptionGroup("tasks", [ValueError("x"), inner])) is inner
    try:
        try:
            raise inner
        except ApiError as e:
            raise RuntimeError("wrapped") from e
    except RuntimeError as wrapped:
        assert api_error(wrapped) is inner
    assert api_error(ClientDisconnect()).status == 400
    assert api_error(RuntimeError("a bug")) is None
