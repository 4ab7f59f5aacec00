"""Property-based fuzzing of the service: every path and method of its OpenAPI schema (and a few it does
not have), random content types, random bodies — raw bytes, arbitrary JSON, near-valid payloads. Whatever
a client sends, the answer is JSON and never a server error."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import HOPPER

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
NEAR_VALID = st.one_of(
    st.fixed_dictionaries(
        {"image": st.one_of(JSON, st.text(max_size=40), st.just(base64.b64encode(HOPPER[:500]).decode()))}
    ),
    st.fixed_dictionaries(
        {"images": st.lists(st.one_of(JSON, st.just(base64.b64encode(HOPPER).decode())), max_size=3)}
    ),
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "image/jpeg", "image/png", "multipart/form-data", "multipart/form-data; boundary=x"]
    + ["text/plain", "", "application/json; charset=utf-8"]
)


@pytest.fixture(scope="module")
def routes(client) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    found = [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops]
    return found + [("GET", "/"), ("POST", "/healthz"), ("PUT", "/v1/predict"), ("GET", "/nope")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_request_gets_a_server_error(client, routes, data):
    method, path = data.draw(st.sampled_from(routes))
    kind = data.draw(st.sampled_from(["bytes", "json", "near-valid"]))
    if kind == "bytes":
        body = data.draw(st.binary(max_size=3000))
    else:
        body = json.dumps(data.draw(JSON if kind == "json" else NEAR_VALID)).encode()
    headers = {"content-type": data.draw(CONTENT_TYPES)}
    r = client.request(method, path, content=body, headers=headers)
    assert r.status_code < 500, (method, path, headers, body[:200], r.text)
    if r.status_code >= 400:
        assert r.json()["error"]["code"], r.text
