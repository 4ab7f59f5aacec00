"""Request bodies counted while they stream: a client that sends more than the limit — with a
``Content-Length`` or chunked without one — is cut off with a 413 as soon as it crosses it, so no body
larger than the limit is ever held in memory; a client that stops sending for ``read_timeout`` seconds
mid-body, or trickles it slower than ``min_rate`` bytes a second on average after those first
``read_timeout`` seconds (a byte every 2 s would otherwise hold its place in the queue for ever), gets
a 408.

Written as plain ASGI rather than with Starlette's ``BaseHTTPMiddleware``: the count has to sit on the
``receive`` channel itself, which that helper does not expose.
"""

from __future__ import annotations

import asyncio

from .errors import ApiError, error_response


class BodyLimit:
    """ASGI middleware: at most ``max_bytes`` of request body per request."""

    def __init__(self, app, max_bytes: int, read_timeout: float = 10.0, min_rate: float = 32 * 1024) -> None:
        self.app, self.max_bytes, self.read_timeout, self.min_rate = app, max_bytes, read_timeout, min_rate

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, "too_large", self._message(int(declared)))(scope, receive, send)
            return
        seen = 0
        start = asyncio.get_running_loop().time()

        async def counted():
            nonlocal seen
            # The body may take read_timeout seconds plus what min_rate allows for the bytes seen so far.
            left = start + self.read_timeout + seen / self.min_rate - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, min(self.read_timeout, left)))
            except TimeoutError:
                raise ApiError(408, "read_timeout", self._slow_message(seen)) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise ApiError(413, "too_large", self._message(seen, streaming=True))
            return message

        await self.app(scope, counted, send)

    def _slow_message(self, seen: int) -> str:
        return (
            f"request body too slow: {seen} bytes received; a body may pause at most {self.read_timeout:g} s "
            f"and must average {self.min_rate / 1024:g} KiB/s after its first {self.read_timeout:g} s"
        )

    def _message(self, size: int, streaming: bool = False) -> str:
        what = f"more than {self.max_bytes} bytes so far" if streaming else f"{size} bytes"
        return f"request body of {what} exceeds the limit of {self.max_bytes} bytes"
