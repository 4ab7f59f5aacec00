"""Errors are JSON: unknown routes, wrong methods, surprises inside the app (a logged JSON 500)."""

from __future__ import annotations

from ferkit.serving.errors import error_response


def test_unknown_routes_and_methods(client):
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/v1/predict")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_an_error_response_has_the_shape_of_every_error():
    assert error_response(418, "teapot", "short and stout").status_code == 418
