"""Hostile and honest traffic together against `ferkit serve` on loopback: memory, errors, lost requests.

    .venv/bin/python bench/hostile.py --duration 120 [--workers 1] [--kill-every 0] [--json out.json]

For ``--duration`` seconds, the threads below send requests back to back: 10 clients at once, the
default admission bound (2 running + 8 waiting), so a 503 would be a failure here, not back-pressure:

- ``honest`` ×2: the one-face sample photo; every one must get a 200 (a 503 is retried after
  Retry-After, and a request is *lost* only if it never gets a 200 within 30 s);
- ``big_json`` ×3: a JSON body just under ``--max-body-mb`` holding base64 of 12 MB of random bytes
  (→ 413: the decoded upload exceeds ``--max-upload-mb``; the whole body was read and parsed first);
- ``chunked_300mb``: a 300 MB chunked upload (→ 413 once the body limit is reached);
- ``pixel_bombs`` ×2: a batch of 16 PNGs of 5000×5000 flat pixels, 25 MP each and a few kB on the wire
  (4 decoded within the 100 MP batch budget, 12 refused before decoding);
- ``trickle``: a body that sends one byte every 2 s (→ 408 after the read timeout);
- ``deep_json``: JSON nested 100,000 levels (→ 400).

The server's peak memory is its kernel high-water mark (VmHWM, summed over worker processes); RSS is
also sampled every second for the first-vs-last comparison of a soak. ``--kill-every N`` (with
``--workers`` ≥ 2) kills one worker process with SIGKILL every N seconds while honest requests run.
``/healthz`` and ``/readyz`` are probed every 0.25 s throughout (their latency and failures reported).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from PIL import Image

from load_test import HealthProbe, free_port, multipart_photo, proc_kb, rss_mb, server_pids, start_server

BODY_MB = 16


def bomb_batch() -> tuple[bytes, dict]:
    buf = io.BytesIO()
    Image.new("RGB", (5000, 5000), (90, 90, 90)).save(buf, format="PNG")
    png = buf.getvalue()
    boundary = "hostileboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="b{i}.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + png
        + b"\r\n"
        for i in range(16)
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), {
        "Content-Type": f"multipart/form-data; boundary={boundary}"
    }


def request(port: int, path: str, body, headers: dict, timeout: float = 60) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers, encode_chunked=not isinstance(body, bytes))
        resp = conn.getresponse()
        resp.read()
        return resp.status, dict(resp.getheaders())
    except (OSError, http.client.HTTPException):
        return -1, {}  # e.g. the server closed the connection after answering 413 mid-upload
    finally:
        conn.close()


def trickle(port: int) -> int:
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        s.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(20):
            s.sendall(b"x")
            time.sleep(2)
            s.setblocking(False)
            try:
                data = s.recv(4096)
            except BlockingIOError:
                data = b""
            s.setblocking(True)
            if data:
                return int(data.split()[1])
        return -1
    except OSError:
        return -1
    finally:
        s.close()


def kinds(port: int) -> dict[str, tuple[int, object]]:
    """Each kind of traffic: (threads, a function sending one request and returning its status)."""
    photo, photo_headers = multipart_photo()
    junk = base64.b64encode(os.urandom(int(BODY_MB * 1024 * 1024 * 0.74) - 64)).decode()
    big_json = json.dumps({"image": junk}).encode()
    bombs, bomb_headers = bomb_batch()
    deep = b"[" * 100_000 + b"]" * 100_000
    jpeg, js = {"Content-Type": "image/jpeg"}, {"Content-Type": "application/json"}

    def chunks():
        block = b"\0" * (1 << 20)
        for _ in range(300):
            yield block

    return {
        "honest": (2, lambda: honest(port, photo, photo_headers)),
        "big_json": (3, lambda: request(port, "/v1/predict", big_json, js)[0]),
        "chunked_300mb": (1, lambda: request(port, "/v1/predict", chunks(), jpeg)[0]),
        "pixel_bombs": (2, lambda: request(port, "/v1/predict/batch", bombs, bomb_headers, timeout=120)[0]),
        "trickle": (1, lambda: trickle(port)),
        "deep_json": (1, lambda: request(port, "/v1/predict", deep, js)[0]),
    }


def honest(port: int, body: bytes, headers: dict) -> int:
    """200, or "lost" (0) when no 200 came within 30 s of retries (503: after its Retry-After)."""
    deadline = time.time() + 30
    while time.time() < deadline:
        status, head = request(port, "/v1/predict", body, headers)
        if status == 200:
            return 200
        HONEST_FAILURES.append(status)
        time.sleep(float(head.get("retry-after", 0.5)))
    return 0


HONEST_FAILURES: list[int] = []  # statuses of honest attempts that were retried (a killed worker: -1)


def run(port: int, server: subprocess.Popen, duration: float, kill_every: float) -> dict:
    counts: dict[str, dict[int, int]] = {}
    lock = threading.Lock()
    stop = time.time() + duration

    def loop(name: str, fn) -> None:
        while time.time() < stop:
            status = fn()
            with lock:
                counts.setdefault(name, {}).setdefault(status, 0)
                counts[name][status] += 1

    threads = [
        threading.Thread(target=loop, args=(name, fn), daemon=True)
        for name, (n, fn) in kinds(port).items()
        for _ in range(n)
    ]
    memory: list[tuple[float, float]] = []
    kills: list[float] = []
    probe = HealthProbe(port, interval=0.25)
    probe.start()
    t0 = time.time()
    for t in threads:
        t.start()
    next_kill = t0 + kill_every if kill_every else float("inf")
    while time.time() < stop:
        memory.append((time.time() - t0, rss_mb(server.pid)))
        if time.time() >= next_kill and len(server_pids(server.pid)) > 1:
            os.kill(server_pids(server.pid)[-1], signal.SIGKILL)
            kills.append(round(time.time() - t0, 1))
            next_kill += kill_every
        time.sleep(1)
    for t in threads:
        t.join(150)
    pids = server_pids(server.pid)
    peak = sum(proc_kb(p, "VmHWM") for p in pids) / 1024
    return {
        "counts": counts,
        "memory": memory,
        "kills": kills,
        "peak_mb": peak,
        "processes_at_end": len(pids),
        "health": probe.summary(),
    }


def summarize(result: dict, duration: float, workers: int) -> dict:
    mem = result["memory"]
    window = min(300.0, duration / 5)
    first = [m for t, m in mem if t <= window]
    last = [m for t, m in mem if t >= mem[-1][0] - window]  # the sampling may end before `duration` does
    counts = result["counts"]
    server_errors = {k: {s: n for s, n in v.items() if 500 <= s < 600} for k, v in counts.items()}
    return {
        "duration_s": duration,
        "workers": workers,
        "statuses": {k: {str(s): n for s, n in sorted(v.items())} for k, v in counts.items()},
        "server_errors_5xx": sum(n for v in server_errors.values() for n in v.values()),
        "honest_ok": counts.get("honest", {}).get(200, 0),
        "honest_lost": counts.get("honest", {}).get(0, 0),
        "honest_retried_attempts": {str(s): HONEST_FAILURES.count(s) for s in sorted(set(HONEST_FAILURES))},
        "workers_killed_at_s": result["kills"],
        "server_processes_at_end": result["processes_at_end"],
        "rss_mb_first_window": round(sum(first) / max(1, len(first)), 1),
        "rss_mb_last_window": round(sum(last) / max(1, len(last)), 1),
        "rss_window_s": window,
        "rss_mb_max_sampled": round(max(m for _, m in mem), 1),
        "peak_mb_vmhwm": round(result["peak_mb"], 1),
        **result["health"],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=120)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--kill-every", type=float, default=0)
    ap.add_argument("--json")
    args = ap.parse_args()
    port = free_port()
    server = start_server("default", port, args.workers)
    try:
        result = run(port, server, args.duration, args.kill_every)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    summary = summarize(result, args.duration, args.workers)
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0 if summary["server_errors_5xx"] == 0 and summary["honest_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
