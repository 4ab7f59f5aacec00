"""Errors are JSON: unknown routes, wrong methods, surprises inside the app (a logged JSON 500)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ferkit.serving.app import create_app
from ferkit.serving.errors import error_response

from .conftest import HOPPER


def test_unknown_routes_and_methods(client):
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/v1/predict")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_a_bug_is_a_json_500_not_a_hang(recognizer, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(type(recognizer), "locate", broken)
    with TestClient(create_app(recognizer), raise_server_exceptions=False) as c:
        r = c.post("/v1/predict", content=HOPPER, headers={"content-type": "image/jpeg"})
    assert r.status_code == 500 and r.json() == {"error": {"code": "internal", "message": "internal error"}}
    assert error_response(418, "teapot", "short and stout").status_code == 418
