"""Load test of `ferkit serve` from a second process on loopback.

Starts the server, sends a bounded number of requests (a real one-face photo, multipart) from
CONCURRENCY client threads, and reports requests/s, p50/p99 latency, errors, the server's memory
(RSS) sampled over the run, and how fast ``/healthz`` and ``/readyz`` answered meanwhile. Nothing but
127.0.0.1 is contacted.

    .venv/bin/python bench/load_test.py --requests 10000 --concurrency 8 [--json out.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from ferkit.runtime import PRECISIONS


def server_pids(pid: int) -> list[int]:
    """The server process and its worker processes."""
    try:
        return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    except OSError:
        return [pid]


def proc_kb(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` figure in kB (``VmRSS``, ``VmHWM``); 0 for a process that is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pid: int) -> float:
    """The resident memory of a server process and its worker processes."""
    return sum(proc_kb(p, "VmRSS") for p in server_pids(pid)) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def multipart_photo() -> tuple[bytes, dict[str, str]]:
    """A multipart body holding the sample photo, and its headers."""
    from ferkit.inference.bench import sample_photo

    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + sample_photo().read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def start_server(model: str, port: int, workers: int = 1, precision: str = "auto") -> subprocess.Popen:
    """``ferkit serve`` in a subprocess, returned once ``/readyz`` answers (with several workers, 10 s
    later, so that every worker has loaded its model: the first to be ready answers /readyz)."""
    argv = [sys.executable, "-m", "ferkit.cli", "serve", "--port", str(port), "--model", model]
    argv += ["--precision", precision, "--workers", str(workers)]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                time.sleep(10 if workers > 1 else 0)
                return server
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("server did not start") from None
            time.sleep(0.2)


class HealthProbe:
    """``GET /healthz`` and ``/readyz`` in turn, every ``interval`` seconds on a new connection, while the
    load runs: they should answer in under 100 ms while inference saturates every worker.
    The probe runs in its own process, so the load generator's threads (and their GIL) do not delay it."""

    def __init__(self, port: int, interval: float = 0.1) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.halt = ctx.Event()
        self.results, child = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_probe, args=(port, interval, self.halt, child), daemon=True)

    def start(self) -> None:
        self.process.start()

    def summary(self) -> dict:
        """Stop probing (the probe in flight finishes) and summarise."""
        self.halt.set()
        latencies, failures = self.results.recv()
        self.process.join(15)
        lat = sorted(latencies) or [float("nan")]
        return {
            "health_probes": len(latencies) + failures,
            "health_failures": failures,
            "health_p50_ms": round(statistics.median(lat), 1),
            "health_p99_ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))], 1),
            "health_max_ms": round(lat[-1], 1),
            "health_over_100ms": sum(v > 100 for v in lat),
        }


def _probe(port: int, interval: float, halt, out) -> None:
    latencies: list[float] = []
    failures = 0
    paths = ("/healthz", "/readyz")
    while not halt.wait(interval):
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", paths[(len(latencies) + failures) % 2])
            ok = conn.getresponse().status == 200
            conn.close()
        except (OSError, http.client.HTTPException):
            ok = False
        if ok:
            latencies.append(1000 * (time.perf_counter() - t0))
        else:
            failures += 1
    out.send((latencies, failures))


def run_clients(
    port: int, body: bytes, headers: dict, requests: int, concurrency: int, server_pid: int
) -> tuple[list[float], dict[int, int], list[tuple[int, float]], float]:
    """Latencies, status counts, (requests done, server RSS) samples and wall time of the load."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(requests))
    memory: list[tuple[int, float]] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in counter:
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/v1/predict", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                status = -1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                statuses[status] = statuses.get(status, 0) + 1

    def sampler(stop: threading.Event) -> None:
        while not stop.is_set():
            memory.append((len(latencies), rss_mb(server_pid)))
            stop.wait(2.0)

    stop = threading.Event()
    threading.Thread(target=sampler, args=(stop,), daemon=True).start()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    stop.set()
    memory.append((len(latencies), rss_mb(server_pid)))
    return latencies, statuses, memory, wall


def summarize(
    latencies: list[float], statuses: dict[int, int], memory: list[tuple[int, float]], wall: float, concurrency: int
) -> dict:
    lat = sorted(latencies)
    first = [m for n, m in memory if n >= len(lat) * 0.1][:1] or [memory[0][1]]
    return {
        "requests": len(lat),
        "concurrency": concurrency,
        "wall_s": round(wall, 1),
        "requests_per_s": round(len(lat) / wall, 1),
        "p50_ms": round(1000 * statistics.median(lat), 1),
        "p99_ms": round(1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": sum(v for k, v in statuses.items() if k != 200),
        "rss_mb_after_10pct": round(first[0], 1),
        "rss_mb_end": round(memory[-1][1], 1),
        "rss_mb_max": round(max(m for _, m in memory), 1),
        "cpus": os.cpu_count(),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--model", default="default")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--precision", default="auto", choices=PRECISIONS)
    ap.add_argument("--json")
    args = ap.parse_args()
    body, headers = multipart_photo()
    port = free_port()
    server = start_server(args.model, port, args.workers, args.precision)
    probe = HealthProbe(port)
    probe.start()
    try:
        load = run_clients(port, body, headers, args.requests, args.concurrency, server.pid)
        health = probe.summary()  # before the server stops
    finally:
        server.terminate()
        server.wait(10)
    result = {**summarize(*load, args.concurrency), "workers": args.workers, "precision": args.precision, **health}
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
