"""Who may call the service: optional API keys and a per-client rate limit, checked before a request's
body is read. Liveness and readiness (``/healthz``, ``/readyz``) stay open so orchestrators can probe, and
the web page and the API's documentation stay open so a browser can load them (the page asks for the key).

Keys are compared in constant time (:func:`hmac.compare_digest`) against every configured key. The rate
limit is a token bucket per client address (``rate`` requests a second, bursts of ``burst``); buckets of
clients not seen for a minute are dropped, so many clients cannot grow it without bound.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field

from .errors import error_response

#: Paths anyone may fetch: probes, the web page (it asks for the key itself) and the API's documentation.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"})
OPEN_PREFIXES = ("/static-offline-docs/",)


@dataclass
class RateLimiter:
    """Token buckets per client: ``rate`` requests a second, bursts of ``burst``."""

    rate: float
    burst: int
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # client -> (tokens, last time)
    max_clients: int = 100_000

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self.buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        if len(self.buckets) > self.max_clients:
            self._forget(now)
        return allowed

    def _forget(self, now: float) -> None:
        for client, (_, last) in list(self.buckets.items()):
            if now - last > 60:
                del self.buckets[client]


class AccessControl:
    """ASGI middleware: API keys (``Authorization: Bearer KEY`` or ``X-API-Key: KEY``) and rate limiting."""

    def __init__(self, app, api_keys: tuple[str, ...] = (), rate_limiter: RateLimiter | None = None) -> None:
        self.app, self.keys, self.limiter = app, tuple(k.encode() for k in api_keys if k), rate_limiter

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.keys and not self._authorised(headers):
            message = "a valid API key is required (Authorization: Bearer KEY)"
            response = error_response(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if self.limiter is not None and not self.limiter.allow(client):
            retry = max(1, round(1 / self.limiter.rate))
            message = f"too many requests from {client}; slow down"
            response = error_response(429, "rate_limited", message, headers={"Retry-After": str(retry)})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        given = headers.get(b"x-api-key", b"")
        auth = headers.get(b"authorization", b"")
        if auth[:7].lower() == b"bearer ":
            given = auth[7:].strip()
        ok = False
        for key in self.keys:  # every key is compared, whatever matched, so timing tells nothing
            ok |= hmac.compare_digest(given, key)
        return ok
