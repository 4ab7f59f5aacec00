"""``create_app(recognizer)``: the FastAPI app of ``ferkit serve`` (tests build it the same way), and
:func:`serve`, which runs it with uvicorn.

Every bad request gets a 4xx with a JSON body ``{"error": {"code": ..., "message": ...}}``; anything
unexpected becomes a logged JSON 500, never a hang. Every request is counted and timed for ``/metrics``
and logged as one JSON line without its body.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict

from fastapi import FastAPI

from ..inference.pipeline import Recognizer
from . import health, predict
from .access import AccessControl, RateLimiter
from .bodylimit import BodyLimit
from .context import Limits, ServiceContext
from .errors import install_error_handlers
from .memory import one_malloc_arena
from .observe import Observe


def create_app(recognizer: Recognizer, limits: Limits = Limits()) -> FastAPI:
    """The ferkit HTTP app for one recognizer."""
    from fastapi_offline import FastAPIOffline

    from .. import __version__

    # /docs and /redoc with Swagger UI's and ReDoc's files served by this app, not fetched from a CDN.
    about = "Facial expression recognition: every face with its box and expression probabilities."
    app = FastAPIOffline(title="ferkit", version=__version__, description=about)
    app.state.ctx = ServiceContext(recognizer, limits)
    install_error_handlers(app)
    body = dict(max_bytes=limits.max_body_bytes, read_timeout=limits.read_timeout_s, min_rate=limits.min_body_rate)
    app.add_middleware(BodyLimit, **body)
    limiter = RateLimiter(limits.rate_per_client, limits.burst_per_client) if limits.rate_per_client > 0 else None
    app.add_middleware(AccessControl, api_keys=limits.api_keys, rate_limiter=limiter)
    if limits.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        headers = ["Authorization", "X-API-Key", "Content-Type"]
        cors = dict(allow_origins=list(limits.cors_origins), allow_methods=["GET", "POST"], allow_headers=headers)
        app.add_middleware(CORSMiddleware, **cors)
    app.add_middleware(Observe, ctx=app.state.ctx)  # added last: the outermost, so it sees every answer
    app.include_router(health.router)
    app.include_router(predict.router)
    return app


#: The environment variable through which ``serve(workers=N)`` hands its settings to each worker process.
SERVE_ENV = "FERKIT_SERVE_SETTINGS"


def serve(
    weights: str = "default",
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: Limits = Limits(),
    backend: str = "onnx",
    detector: str = "yunet",
    align: str = "level",
    classes: str | None = None,
    workers: int = 1,
    precision: str = "auto",
) -> None:
    """Run the app with uvicorn (blocking). ``workers`` > 1 starts that many processes on one port, each
    with its own model; the limits apply per process. Each model gets ``cores // (workers ×
    max_concurrency)`` inference threads (at least 1)."""
    import uvicorn

    settings = dict(
        weights=weights, backend=backend, detector=detector, align=align, classes=classes, precision=precision
    )
    # Requests already run in parallel (max_concurrency per worker): more threads per model than the
    # cores left to each would only make them fight (1 worker, 2 threads each: 97-104 requests/s on 2
    # cores; 1 thread each: see docs/benchmarks.md).
    threads = max(1, (os.cpu_count() or 1) // (max(1, workers) * limits.max_concurrency))
    if workers <= 1:
        app = _app_from_settings(settings, limits, threads=threads)
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
        return
    os.environ[SERVE_ENV] = json.dumps({"settings": settings, "limits": asdict(limits), "threads": threads})
    app = "ferkit.serving.app:app_from_env"
    uvicorn.run(app, factory=True, workers=workers, host=host, port=port, log_level="info", access_log=False)


def app_from_env() -> FastAPI:
    """The app of one worker process of ``serve(workers=N)``, from the settings its parent left in
    :data:`SERVE_ENV`."""
    cfg = json.loads(os.environ[SERVE_ENV])
    limits = Limits(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg["limits"].items()})
    return _app_from_settings(cfg["settings"], limits, threads=cfg["threads"])


def _app_from_settings(settings: dict, limits: Limits, threads: int | None) -> FastAPI:
    one_malloc_arena()  # a serving process: what one request frees, the next reuses
    rec = Recognizer.from_pretrained(**{"precision": "auto", **settings}, threads=threads)
    return create_app(rec, limits)
