"""The service's outermost concern of its own: every request counted, timed and logged, and any exception
that escapes the app turned into a JSON answer (a client's mistake a 4xx, a surprise a logged 500).

Plain ASGI rather than Starlette's ``@app.middleware("http")`` (``BaseHTTPMiddleware``), which streams
every response through an extra task and memory channel: on 2 cores the service answered 1.2× the requests
a second once that went (``bench/load_test.py``, ``docs/benchmarks.md``).
"""

from __future__ import annotations

import json
import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import ServiceContext
from .errors import ApiError, error_response

log = logging.getLogger("ferkit.serve")
access_log = logging.getLogger("ferkit.access")

# The documentation pages' files are served here; this keeps the pages from fetching anything else (ReDoc's
# bundle asks a CDN for its logo), so they work offline and tell no outside host.
DOCS_CSP = "img-src 'self' data:; font-src 'self' data:"


class Observe:
    """ASGI middleware: count, time and log every HTTP request; a JSON error for what escapes the app."""

    def __init__(self, app: ASGIApp, ctx: ServiceContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status: list[int] = []  # the status sent, once the answer has started
        docs = scope["path"] in ("/docs", "/redoc")

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                if docs:
                    MutableHeaders(scope=message)["Content-Security-Policy"] = DOCS_CSP
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # the last line of defence: a JSON error, logged, never a hang
            if status:  # the answer is already on its way: nothing else can be said
                raise
            await _error(exc, scope)(scope, receive, watch)
        finally:
            self._record(scope, status[0] if status else 500, time.perf_counter() - t0)

    def _record(self, scope: Scope, status: int, dt: float) -> None:
        path = getattr(scope.get("route"), "path", "unmatched")
        self.ctx.metrics.requests.labels(path, str(status)).inc()
        self.ctx.metrics.latency.labels(path).observe(dt)
        client = scope.get("client")
        line = {"method": scope["method"], "path": scope["path"], "status": status, "ms": round(dt * 1000, 1)}
        access_log.info(json.dumps({**line, "client": client[0] if client else None}))


def _error(exc: Exception, scope: Scope):
    e = api_error(exc)
    if e is not None:  # e.g. a body cut off while streaming
        return error_response(e.status, e.code, e.message, e.headers)
    log.exception("unhandled error on %s", scope["path"], exc_info=exc)
    return error_response(500, "internal", "internal error")


def api_error(exc: BaseException | None, depth: int = 0) -> ApiError | None:
    """The client error inside ``exc``: itself, in an exception group, or in its cause."""
    if exc is None or depth > 8:
        return None
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ClientDisconnect):  # the client hung up mid-body: nobody is left to answer
        return ApiError(400, "client_disconnected", "the client closed the connection before sending its body")
    for inner in getattr(exc, "exceptions", ()):
        found = api_error(inner, depth + 1)
        if found is not None:
            return found
    return api_error(exc.__cause__ or exc.__context__, depth + 1)
