"""Every error the service answers is JSON: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    """A client mistake (or a limit), answered with ``status`` and a JSON body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "bad_request", str(exc.errors()[:3]))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own refusals (a multipart body without a boundary, ...) in ferkit's error shape.
        code = {400: "bad_request", 413: "too_large", 415: "unsupported_type"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}) or None)

    @app.exception_handler(404)
    async def not_found(request: Request, _exc) -> JSONResponse:
        return error_response(404, "not_found", f"no such endpoint: {request.url.path}")

    @app.exception_handler(405)
    async def not_allowed(request: Request, _exc) -> JSONResponse:
        return error_response(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")
