"""``/v1/predict`` and ``/v1/predict/batch``: images in, every face with its box and probabilities out.

Decoding and inference run in worker threads (never on the event loop) behind a semaphore that bounds
concurrency, so at most ``max_concurrency`` requests hold decoded pixels at once; the requests waiting
for a worker hold only their bodies. A batch decodes its images one at a time and keeps only each
image's face crops, so its memory is that of its largest image, and its total pixels are capped
(``max_batch_pixels``) to bound its time. A request that waits or runs longer than the timeout gets a
504. Concurrent requests are not merged into one network batch: on a CPU, face detection dominates a
request and is per image, so merging classifier calls would add latency and little throughput. A batch
request sends the faces of all its images through the network at once (:meth:`Recognizer.classify`).
"""

from __future__ import annotations

import asyncio
import time

import anyio
from fastapi import APIRouter, Request

from .context import ServiceContext
from .errors import ApiError
from .uploads import ALLOWED_TYPES, decode_upload, read_images

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


def _locate_all(
    ctx: ServiceContext, uploads: list[tuple[str, bytes | ApiError]], many: bool
) -> tuple[list[dict], list, float]:
    """Decode and locate each upload in turn, within the batch's pixel budget: an entry per upload (its
    size, or its error where ``many``; a single upload's error is raised), the located faces, and the
    seconds spent decoding."""
    budget = ctx.limits.max_batch_pixels
    entries: list[dict] = []
    located = []
    decoding = 0.0
    for name, data in uploads:
        try:
            if isinstance(data, ApiError):
                raise data
            t0 = time.perf_counter()
            image = decode_upload(data, ctx.limits, name, budget=budget)
            decoding += time.perf_counter() - t0
            located.append(ctx.recognizer.locate(image, name=name))
        except ApiError as exc:
            if not many:
                raise
            entries.append({"name": name, "error": {"code": exc.code, "message": exc.message}})
            continue
        height, width = image.shape[:2]
        budget -= width * height
        entries.append({"name": name, "width": int(width), "height": int(height)})
        del image  # only the face crops are kept until the batch is classified
    return entries, located, decoding


def _run(ctx: ServiceContext, uploads: list[tuple[str, bytes | ApiError]], many: bool) -> tuple[list[dict], dict]:
    """Entries with their faces, and the milliseconds spent decoding and in inference (detect, align,
    classify)."""
    t0 = time.perf_counter()
    entries, located, decoding = _locate_all(ctx, uploads, many)
    results = iter(ctx.recognizer.classify(located))
    for entry in entries:
        if "error" not in entry:
            entry["faces"] = [f.to_dict() for f in next(results).faces]
            ctx.metrics.faces.inc(len(entry["faces"]))
    total = time.perf_counter() - t0
    return entries, {"decode": round(decoding * 1000, 2), "inference": round((total - decoding) * 1000, 2)}


async def _infer(
    ctx: ServiceContext, uploads: list[tuple[str, bytes | ApiError]], many: bool
) -> tuple[list[dict], dict]:
    async def work() -> tuple[list[dict], dict]:
        async with ctx.gate:
            return await anyio.to_thread.run_sync(_run, ctx, uploads, many)

    try:
        return await asyncio.wait_for(work(), timeout=ctx.limits.timeout_s)
    except TimeoutError:
        raise ApiError(504, "timeout", f"inference did not finish within {ctx.limits.timeout_s:g} s") from None


@router.post("/v1/predict", openapi_extra=_body(many=False))
async def predict(request: Request) -> dict:
    """One image (multipart field ``file``, a raw image body, or JSON ``{"image": base64}``)."""
    ctx: ServiceContext = request.app.state.ctx
    async with ctx.admission():
        uploads = await read_images(request, ctx.limits, many=False)
        ((entry,), timing) = await _infer(ctx, uploads, many=False)
    return {
        "faces": entry["faces"],
        "width": entry["width"],
        "height": entry["height"],
        "model": ctx.model_info["name"],
        "timing_ms": timing,
    }


@router.post("/v1/predict/batch", openapi_extra=_body(many=True))
async def predict_batch(request: Request) -> dict:
    """Several images (multipart files, or JSON ``{"images": [base64, ...]}``); a bad image gets its own
    error entry and the others still run."""
    ctx: ServiceContext = request.app.state.ctx
    t0 = time.perf_counter()
    async with ctx.admission():
        uploads = await read_images(request, ctx.limits, many=True)
        entries, timing = await _infer(ctx, uploads, many=True)
    return {
        "results": entries,
        "model": ctx.model_info["name"],
        "timing_ms": {"total": round((time.perf_counter() - t0) * 1000, 2), **timing},
    }
