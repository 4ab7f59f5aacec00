"""Reading images out of requests — multipart files, JSON with base64, or a raw image body — as bytes
under the service's limits (the pipeline decodes them, under the same limits)."""

from __future__ import annotations

import base64
import binascii
import json

import anyio
from fastapi import Request

from .context import Limits
from .errors import ApiError

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff", "image/gif"}
#: HTTP status for an image the decoder refuses, by its error code (anything else: 422).
HTTP_STATUS = {"too_large": 413, "too_many_pixels": 413}


def _b64(value: object, name: str, max_bytes: int) -> bytes:
    if not isinstance(value, str):
        raise ApiError(422, "bad_request", f"{name}: expected a base64 string")
    if value.startswith("data:"):
        value = value.split(",", 1)[-1]
    if len(value) // 4 * 3 > max_bytes + 2:  # too big to be allowed, known without decoding it
        message = f"{name}: about {len(value) // 4 * 3} bytes of base64 exceeds the limit of {max_bytes}"
        raise ApiError(413, "too_large", message)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "bad_base64", f"{name}: not valid base64") from None


def _b64_or_error(value: object, name: str, max_bytes: int) -> bytes | ApiError:
    """A batch item's bytes, or its error: in a batch, one bad image does not fail the others."""
    try:
        return _b64(value, name, max_bytes)
    except ApiError as exc:
        return exc


async def _multipart(request: Request, limits: Limits) -> list[tuple[str, bytes]]:
    form = await request.form(max_files=limits.max_batch + 1)
    uploads = [v for _, v in form.multi_items() if hasattr(v, "read")]
    if not uploads:
        raise ApiError(422, "no_file", "multipart body has no file part (send the image as 'file')")
    out = []
    for up in uploads:
        if up.content_type and up.content_type.lower() not in ALLOWED_TYPES | {"application/octet-stream"}:
            message = f"{up.filename}: content type {up.content_type} is not an accepted image type"
            raise ApiError(415, "unsupported_type", message)
        out.append((up.filename or "image", await up.read(limits.max_upload_bytes + 1)))
    return out


async def _json_images(request: Request, many: bool, limits: Limits) -> list[tuple[str, bytes | ApiError]]:
    # Joining, parsing and base64-decoding a body of many megabytes takes tens of milliseconds; done on
    # the event loop it delayed /healthz by as much (docs/benchmarks.md), so only the chunks are
    # gathered here and the rest runs in a worker thread.
    chunks = [chunk async for chunk in request.stream()]
    return await anyio.to_thread.run_sync(_parse_json_images, chunks, many, limits.max_upload_bytes)


def _parse_json_images(chunks: list[bytes], many: bool, max_bytes: int) -> list[tuple[str, bytes | ApiError]]:
    raw = b"".join(chunks)
    chunks.clear()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "request body is not valid JSON") from None
    except RecursionError:  # e.g. [[[[... 100,000 levels deep: Python's parser gives up
        raise ApiError(400, "bad_json", "request body is JSON nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError(422, "bad_request", "JSON body must be an object")
    if many:
        items = body.get("images")
        if not isinstance(items, list):
            raise ApiError(422, "bad_request", 'JSON body needs "images": [base64, ...]')
        return [(f"images[{i}]", _b64_or_error(v, f"images[{i}]", max_bytes)) for i, v in enumerate(items)]
    if "image" not in body:
        raise ApiError(422, "bad_request", 'JSON body needs "image": base64')
    return [("image", _b64(body["image"], "image", max_bytes))]


async def read_images(request: Request, limits: Limits, many: bool) -> list[tuple[str, bytes | ApiError]]:
    """``(name, bytes)`` of each image in the request, checked for count and content type; in a JSON
    batch, an item that cannot be an image (bad or oversized base64) carries its error instead."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        out = await _multipart(request, limits)
    elif ctype == "application/json":
        out = await _json_images(request, many, limits)
    elif ctype in ALLOWED_TYPES:
        out = [("image", await request.body())]
    else:
        message = f"content type {ctype or '(none)'} not accepted; send multipart/form-data, JSON or an image"
        raise ApiError(415, "unsupported_type", message)
    if not out:
        raise ApiError(422, "no_images", "no images in the request")
    most = limits.max_batch if many else 1
    if len(out) > most:
        raise ApiError(413, "too_many_images", f"{len(out)} images; at most {most}")
    return out
