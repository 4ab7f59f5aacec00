"""Bodies are counted while they stream: chunked uploads over the limit get a 413, memory stays flat."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ferkit.serving.app import create_app
from ferkit.serving.context import Limits

from .conftest import HOPPER


@pytest.fixture(scope="module")
def small_client(recognizer):
    with TestClient(create_app(recognizer, Limits(max_body_bytes=5_000_000))) as c:
        yield c


def test_a_chunked_upload_over_the_limit_is_cut_off(small_client):
    def fifty_megabytes():
        for _ in range(50):
            yield b"\xff" * 1_000_000

    r = small_client.post("/v1/predict", content=fifty_megabytes(), headers={"content-type": "image/jpeg"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large", r.text
    assert "exceeds the limit of 5000000 bytes" in r.json()["error"]["message"]


def _peak_rss_kb(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_real_server_never_holds_a_big_chunked_body():
    """Three 300 MB chunked uploads to ``ferkit serve --max-body-mb 5``: each is cut off with a 413 and the
    server's peak memory hardly moves (it went past 1.5 GB before bodies were counted as they streamed)."""
    import http.client

    from ..conftest import serving

    with serving("--max-body-mb", "5") as (proc, url):
        before = _peak_rss_kb(proc.pid)
        port = int(url.rsplit(":", 1)[1])
        for _ in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.putrequest("POST", "/v1/predict")
            conn.putheader("Content-Type", "image/jpeg")
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            chunk = b"\xff" * (1 << 20)
            try:
                for _ in range(300):
                    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                conn.send(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server stopped reading: what we want
            resp = conn.getresponse()
            assert resp.status == 413 and b"too_large" in resp.read()
            conn.close()
        assert _peak_rss_kb(proc.pid) - before < 50_000  # kB


def test_declared_sizes_and_bodies_under_the_limit(small_client):
    r = small_client.post(
        "/v1/predict", content=b"x", headers={"content-type": "image/jpeg", "content-length": "6000000"}
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

    def photo_in_chunks():
        for i in range(0, len(HOPPER), 4096):
            yield HOPPER[i : i + 4096]

    r = small_client.post("/v1/predict", content=photo_in_chunks(), headers={"content-type": "image/jpeg"})
    assert r.status_code == 200 and len(r.json()["faces"]) == 1


def _trickle_answer(port: int, head: bytes) -> bytes:
    """Send ``head`` then a byte every 0.3 s (up to 10 s); the server's answer."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(head)
        s.settimeout(0.3)
        for _ in range(33):
            try:
                s.sendall(b"x")
                answer = s.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return b""
            s.settimeout(5)
            while answer and b"}}" not in answer:
                answer += s.recv(4096)
            return answer
    return b""


def test_slow_and_vanishing_clients_on_a_real_server():
    """A client that sends part of its body and stalls gets a 408, as does one that trickles it a byte at a
    time; one that hangs up mid-body costs nothing (the next request is served)."""
    import socket
    import urllib.request

    from ..conftest import serving

    head = b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n"
    with serving("--read-timeout", "1") as (_, url):
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
            s.sendall(head + HOPPER[:1000])  # then nothing: a trickling client
            answer = b""
            while b"}}" not in answer and (chunk := s.recv(4096)):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408") and b"read_timeout" in answer
        assert _trickle_answer(port, head).startswith(b"HTTP/1.1 408")  # never pauses 1 s, but far too slow
        with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
            s.sendall(head + HOPPER[:1000])
            s.shutdown(socket.SHUT_WR)  # half-closed: no more body will ever come
            s.recv(4096)
        req = urllib.request.Request(url + "/v1/predict", data=HOPPER, headers={"Content-Type": "image/jpeg"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200
