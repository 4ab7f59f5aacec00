"""What one app holds: its recognizer, its limits, the gate that bounds concurrent inference, metrics."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

from prometheus_client import CollectorRegistry, Counter, Histogram

from ..inference.pipeline import Recognizer


@dataclass(frozen=True)
class Limits:
    """Per-request limits of the service (a client cannot raise them)."""

    max_upload_bytes: int = 10 * 1024 * 1024  # one image's bytes
    max_body_bytes: int = 16 * 1024 * 1024  # a whole request body, counted as it streams (chunked too)
    read_timeout_s: float = 10.0  # longest pause in a request body before a 408
    min_body_rate: float = 32 * 1024  # bytes/s a body must average after its first read_timeout_s (else 408)
    max_pixels: int = 25_000_000  # one image's width x height, checked before decoding
    max_batch: int = 16  # images in one batch request
    max_batch_pixels: int = 100_000_000  # all of a batch's images together (bounds its time; memory is per image)
    timeout_s: float = 30.0
    max_concurrency: int = 2  # inferences running at once
    max_queue: int = 8  # requests admitted beyond those (reading, decoding, waiting); more get a 503 at once
    retry_after_s: int = 1
    api_keys: tuple[str, ...] = ()  # empty: no key needed
    rate_per_client: float = 0.0  # requests a second per client address; 0: no limit
    burst_per_client: int = 20
    cors_origins: tuple[str, ...] = ()  # empty: no CORS headers (browsers allow only the service's own page)


@dataclass
class Metrics:
    """Prometheus metrics of one app (its own registry, so several apps in one process do not clash)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter("ferkit_requests_total", "HTTP requests", ["path", "status"], registry=self.registry)
        buckets = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
        self.latency = Histogram(
            "ferkit_request_seconds", "Request latency", ["path"], registry=self.registry, buckets=buckets
        )
        self.faces = Counter("ferkit_faces_total", "Faces processed", registry=self.registry)


@dataclass
class ServiceContext:
    recognizer: Recognizer
    limits: Limits
    metrics: Metrics = field(default_factory=Metrics)

    def __post_init__(self) -> None:
        # The service's limits are the recognizer's: one place says how large an image may be.
        limits = self.limits
        self.recognizer = replace(self.recognizer, max_pixels=limits.max_pixels, max_bytes=limits.max_upload_bytes)
        self.gate = asyncio.Semaphore(self.limits.max_concurrency)
        self.in_flight = 0
        model = self.recognizer.model
        meta = model.meta
        info = {"name": model.name, "architecture": meta.get("model"), "classes": list(model.classes)}
        info.update(metrics=meta.get("metrics", {}), temperature=float(meta.get("temperature", 1.0)))
        info.update(class_bias=meta.get("class_bias"), backend=model.backend, detector=self.recognizer.detector.name)
        self.model_info = info

    @asynccontextmanager
    async def admission(self):
        """Admit a predict request, or refuse it at once with a 503 when ``max_concurrency + max_queue``
        are already in flight: a request holds its body and decoded image while it waits, so this bound is
        what keeps the service's memory bounded (README: worst-case memory)."""
        from .errors import ApiError

        if self.in_flight >= self.limits.max_concurrency + self.limits.max_queue:
            retry = {"Retry-After": str(self.limits.retry_after_s)}
            raise ApiError(503, "busy", "the service is busy; retry shortly", headers=retry)
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
