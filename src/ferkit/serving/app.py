"""``create_app(recognizer)``: the FastAPI app of ``ferkit serve`` (tests build it the same way), and
:func:`serve`, which runs it with uvicorn.

Every bad request gets a 4xx with a JSON body ``{"error": {"code": ..., "message": ...}}``; anything
unexpected becomes a logged JSON 500, never a hang. Every request is counted and timed for ``/metrics``
and logged as one JSON line without its body.
"""

from __future__ import annotations

import json
import logging
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..inference.pipeline import Recognizer
from . import health, predict
from .context import Limits, ServiceContext
from .errors import error_response, install_error_handlers

log = logging.getLogger("ferkit.serve")
access_log = logging.getLogger("ferkit.access")


def create_app(recognizer: Recognizer, limits: Limits = Limits()) -> FastAPI:
    """The ferkit HTTP app for one recognizer."""
    from .. import __version__

    app = FastAPI(
        title="ferkit",
        version=__version__,
        description="Facial expression recognition: every face with its box and expression probabilities.",
    )
    app.state.ctx = ServiceContext(recognizer, limits)
    install_error_handlers(app)
    app.middleware("http")(_observe)
    app.include_router(health.router)
    app.include_router(predict.router)
    return app


async def _observe(request: Request, call_next) -> JSONResponse:
    """Refuse bodies that declare too large a size, turn surprises into a JSON 500, count, time and log."""
    ctx: ServiceContext = request.app.state.ctx
    t0 = time.perf_counter()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > ctx.limits.max_upload_bytes * max(1, ctx.limits.max_batch):
        response = error_response(413, "too_large", f"request body of {length} bytes is too large")
    else:
        try:
            response = await call_next(request)
        except Exception:  # the last line of defence: a JSON 500, logged, never a hang
            log.exception("unhandled error on %s", request.url.path)
            response = error_response(500, "internal", "internal error")
    dt = time.perf_counter() - t0
    path = getattr(request.scope.get("route"), "path", "unmatched")
    ctx.metrics.requests.labels(path, str(response.status_code)).inc()
    ctx.metrics.latency.labels(path).observe(dt)
    access_log.info(
        json.dumps(
            {
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "ms": round(dt * 1000, 1),
                "client": request.client.host if request.client else None,
            }
        )
    )
    return response


def serve(
    weights: str = "default",
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: Limits = Limits(),
    backend: str = "onnx",
    detector: str = "yunet",
    align: str = "level",
    classes: str | None = None,
) -> None:
    """Run the app with uvicorn (blocking)."""
    import uvicorn

    rec = Recognizer.from_pretrained(weights, backend=backend, detector=detector, align=align, classes=classes)
    uvicorn.run(create_app(rec, limits), host=host, port=port, log_level="info", access_log=False)
