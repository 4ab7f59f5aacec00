"""``/v1/predict`` and ``/v1/predict/batch``: images in, every face with its box and probabilities out.

Decoding and inference run in worker threads (never on the event loop) behind a semaphore that bounds
concurrency, so at most ``max_concurrency`` requests hold decoded pixels at once; the requests waiting
for a worker hold only their bodies. A batch decodes its images one at a time and keeps only each
image's face crops, so its memory is that of its largest image, and its total pixels are capped
(``max_batch_pixels``) to bound its time. A request that waits or runs longer than the timeout gets a
504. Concurrent requests are not merged into one network batch: on a CPU, face detection dominates a
request and is per image, so merging classifier calls would add latency and little throughput. A batch
request goes through :meth:`Recognizer.predict_many`, which sends the faces of all its images through the
network at once. Each image's answer has the shape ``ferkit predict --json`` gives it.
"""

from __future__ import annotations

import asyncio
import time

import anyio
from fastapi import APIRouter, Request

from ..data.decode import ImageError
from ..inference.results import ImageResult
from .context import ServiceContext
from .errors import ApiError
from .uploads import ALLOWED_TYPES, HTTP_STATUS, read_images

router = APIRouter()


def _body(many: bool) -> dict:
    """The request body as the OpenAPI schema shows it, so /docs's "Try it out" uploads a file: multipart
    (``file``, or ``files`` for a batch), JSON with base64, or (one image) the raw image bytes."""
    binary, b64 = {"type": "string", "format": "binary"}, {"type": "string", "format": "byte"}
    if many:
        form = {"files": {"type": "array", "items": binary, "description": "the photos"}}
        json_body = {"images": {"type": "array", "items": b64, "description": "the image files, base64"}}
    else:
        form = {"file": {**binary, "description": "a photo (JPEG, PNG, WebP, BMP, TIFF, GIF)"}}
        json_body = {"image": {**b64, "description": "the image file, base64"}}
    content = {
        "multipart/form-data": {"schema": {"type": "object", "required": list(form), "properties": form}},
        "application/json": {"schema": {"type": "object", "required": list(json_body), "properties": json_body}},
    }
    if not many:
        content.update({t: {"schema": binary} for t in sorted(ALLOWED_TYPES)})
    return {"requestBody": {"required": True, "content": content}}


def _run(ctx: ServiceContext, uploads: list[tuple[str, bytes | ApiError]], many: bool) -> tuple[list[dict], float]:
    """Each upload's result, as :meth:`ImageResult.to_dict` gives it (the CLI's JSON shape), and the
    milliseconds spent on them. One image's bad input is the request's error (4xx); in a batch each bad
    image gets its own error entry and the others run through :meth:`Recognizer.predict_many`."""
    t0 = time.perf_counter()
    if not many:
        name, data = uploads[0]
        try:
            results = [ctx.recognizer.predict(data, name=name)]
        except ImageError as exc:
            raise ApiError(HTTP_STATUS.get(exc.code, 422), exc.code, str(exc)) from None
    else:
        good = [(n, d) for n, d in uploads if not isinstance(d, ApiError)]
        budget = ctx.limits.max_batch_pixels
        found = iter(ctx.recognizer.predict_many([d for _, d in good], [n for n, _ in good], pixel_budget=budget))
        results = [_refused(n, d) if isinstance(d, ApiError) else next(found) for n, d in uploads]
    entries = [r.to_dict() for r in results]
    ctx.metrics.faces.inc(sum(len(e["faces"]) for e in entries))
    return entries, (time.perf_counter() - t0) * 1000


def _refused(name: str, exc: ApiError) -> ImageResult:
    """A batch item the request itself could not carry (bad base64, too many bytes), as a result."""
    return ImageResult(path=name, status="error", error=exc.message, error_code=exc.code)


async def _infer(
    ctx: ServiceContext, uploads: list[tuple[str, bytes | ApiError]], many: bool
) -> tuple[list[dict], float]:
    async def work() -> tuple[list[dict], float]:
        async with ctx.gate:
            return await anyio.to_thread.run_sync(_run, ctx, uploads, many)

    try:
        return await asyncio.wait_for(work(), timeout=ctx.limits.timeout_s)
    except TimeoutError:
        raise ApiError(504, "timeout", f"inference did not finish within {ctx.limits.timeout_s:g} s") from None


@router.post("/v1/predict", openapi_extra=_body(many=False))
async def predict(request: Request) -> dict:
    """One image (multipart field ``file``, a raw image body, or JSON ``{"image": base64}``): its result as
    ``ferkit predict --json`` writes it, plus the model and the time taken."""
    ctx: ServiceContext = request.app.state.ctx
    async with ctx.admission():
        uploads = await read_images(request, ctx.limits, many=False)
        (entry,), ms = await _infer(ctx, uploads, many=False)
    return {**entry, "model": ctx.model_info["name"], "timing_ms": {"inference": round(ms, 2)}}


@router.post("/v1/predict/batch", openapi_extra=_body(many=True))
async def predict_batch(request: Request) -> dict:
    """Several images (multipart files, or JSON ``{"images": [base64, ...]}``); a bad image gets its own
    error entry and the others still run."""
    ctx: ServiceContext = request.app.state.ctx
    t0 = time.perf_counter()
    async with ctx.admission():
        uploads = await read_images(request, ctx.limits, many=True)
        entries, ms = await _infer(ctx, uploads, many=True)
    timing = {"total": round((time.perf_counter() - t0) * 1000, 2), "inference": round(ms, 2)}
    return {"results": entries, "model": ctx.model_info["name"], "timing_ms": timing}
