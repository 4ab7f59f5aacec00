"""Reading images from requests: every malformed upload gets its own 4xx JSON error."""

from __future__ import annotations

import pytest

from ferkit.serving.context import Limits

from .conftest import HOPPER, png


@pytest.mark.parametrize(
    "kwargs,status,code",
    [
        ({"files": {"file": ("x.txt", b"hello", "text/plain")}}, 415, "unsupported_type"),
        ({"files": {"file": ("x.png", b"hello", "image/png")}}, 422, "not_an_image"),
        ({"files": {"file": ("x.png", b"", "image/png")}}, 422, "empty_image"),
        ({"files": {"file": ("x.jpg", HOPPER[:2000], "image/jpeg")}}, 422, "bad_image"),
        ({"files": {"file": ("big.png", png((2500, 2000)), "image/png")}}, 413, "too_many_pixels"),
        ({"files": {"file": ("huge.jpg", b"\xff" * 2_100_000, "image/jpeg")}}, 413, "too_large"),
        ({"files": {"note": (None, "just text")}}, 422, "no_file"),
        ({"data": {"nofile": "x"}}, 415, "unsupported_type"),
        ({"json": {"image": "***"}}, 422, "bad_base64"),
        ({"json": {"image": "A" * 2_700_000}}, 413, "too_large"),  # 2.0 MB decoded: refused undecoded
        ({"json": {"picture": "x"}}, 422, "bad_request"),
        ({"json": [1, 2]}, 422, "bad_request"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "bad_json"),
        ({"content": b"abc", "headers": {"content-type": "text/csv"}}, 415, "unsupported_type"),
        ({"content": b"abc"}, 415, "unsupported_type"),
    ],
)
def test_bad_requests_get_4xx_json(client, kwargs, status, code):
    r = client.post("/v1/predict", **kwargs)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_the_service_limits_are_the_recognizers_and_map_to_statuses(recognizer):
    """One place holds the pixel and byte limits: the app hands its Limits to the recognizer it runs."""
    from fastapi.testclient import TestClient

    from ferkit.serving.app import create_app

    app = create_app(recognizer, Limits(max_upload_bytes=100, max_pixels=50))
    assert (app.state.ctx.recognizer.max_pixels, app.state.ctx.recognizer.max_bytes) == (50, 100)
    assert recognizer.max_pixels != 50  # the caller's recognizer is left as it was
    with TestClient(app) as c:
        for data, status, code in (
            (b"", 422, "empty_image"),
            (png((10, 10)), 413, "too_many_pixels"),
            (b"text", 422, "not_an_image"),
        ):
            r = c.post("/v1/predict", content=data, headers={"content-type": "image/png"})
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text


def test_deeply_nested_json_is_a_400_not_a_500(client):
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"image": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"):
        r = client.post("/v1/predict", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_json", r.text


def test_base64_just_under_the_limit_is_decoded_not_refused(client):
    import base64

    ok = base64.b64encode(HOPPER).decode()
    assert client.post("/v1/predict", json={"image": ok}).status_code == 200
    near = "A" * (2_000_000 // 3 * 4)  # 2,000,000 bytes decoded: at the limit, decoded, then not an image
    r = client.post("/v1/predict", json={"image": near})
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_an_image", r.text
    r = client.post("/v1/predict/batch", json={"images": [ok, "A" * 2_700_000, "***"]})
    assert r.status_code == 200, r.text  # in a batch, the bad items fail alone
    good, big, bad = r.json()["results"]
    assert len(good["faces"]) == 1 and big["error_code"] == "too_large" and bad["error_code"] == "bad_base64"
    assert "images[1]" in big["error"]
