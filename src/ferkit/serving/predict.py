"""``/v1/predict`` and ``/v1/predict/batch``: images in, every face with its box and probabilities out.

Inference runs in worker threads (never on the event loop) behind a semaphore that bounds concurrency;
a request that waits or runs longer than the timeout gets a 504. Concurrent requests are not merged into
one network batch: on a CPU, face detection dominates a request and is per image, so merging classifier
calls would add latency and little throughput. A batch request sends the faces of all its images through
the network at once (:meth:`Recognizer.classify`).
"""

from __future__ import annotations

import asyncio
import time

import anyio
import numpy as np
from fastapi import APIRouter, Request

from .context import ServiceContext
from .errors import ApiError
from .uploads import decode_upload, read_images

router = APIRouter()


def _faces_of(ctx: ServiceContext, images: list[np.ndarray]) -> list[list[dict]]:
    """The faces of every decoded image, all their crops in one network batch."""
    rec = ctx.recognizer
    return [[f.to_dict() for f in r.faces] for r in rec.classify([rec.locate(img) for img in images])]


async def _infer(ctx: ServiceContext, images: list[np.ndarray]) -> list[list[dict]]:
    async def work() -> list[list[dict]]:
        async with ctx.gate:
            return await anyio.to_thread.run_sync(_faces_of, ctx, images)

    try:
        return await asyncio.wait_for(work(), timeout=ctx.limits.timeout_s)
    except TimeoutError:
        raise ApiError(504, "timeout", f"inference did not finish within {ctx.limits.timeout_s:g} s") from None


@router.post("/v1/predict")
async def predict(request: Request) -> dict:
    """One image (multipart field ``file``, a raw image body, or JSON ``{"image": base64}``)."""
    ctx: ServiceContext = request.app.state.ctx
    async with ctx.admission():
        return await _predict_one(ctx, request)


async def _predict_one(ctx: ServiceContext, request: Request) -> dict:
    t0 = time.perf_counter()
    ((name, data),) = await read_images(request, ctx.limits, many=False)
    img = decode_upload(data, ctx.limits, name)
    t1 = time.perf_counter()
    (faces,) = await _infer(ctx, [img])
    ctx.metrics.faces.inc(len(faces))
    t2 = time.perf_counter()
    return {
        "faces": faces,
        "width": int(img.shape[1]),
        "height": int(img.shape[0]),
        "model": ctx.model_info["name"],
        "timing_ms": {"decode": round((t1 - t0) * 1000, 2), "inference": round((t2 - t1) * 1000, 2)},
    }


@router.post("/v1/predict/batch")
async def predict_batch(request: Request) -> dict:
    """Several images (multipart files, or JSON ``{"images": [base64, ...]}``); a bad image gets its own
    error entry and the others still run."""
    ctx: ServiceContext = request.app.state.ctx
    async with ctx.admission():
        return await _predict_many(ctx, request)


async def _predict_many(ctx: ServiceContext, request: Request) -> dict:
    t0 = time.perf_counter()
    results: list[dict] = []
    good: list[np.ndarray] = []
    for name, data in await read_images(request, ctx.limits, many=True):
        try:
            img = decode_upload(data, ctx.limits, name)
        except ApiError as exc:
            results.append({"name": name, "error": {"code": exc.code, "message": exc.message}})
            continue
        good.append(img)
        results.append({"name": name, "width": int(img.shape[1]), "height": int(img.shape[0])})
    faces = iter(await _infer(ctx, good)) if good else iter(())
    for res in results:
        if "error" not in res:
            res["faces"] = next(faces)
            ctx.metrics.faces.inc(len(res["faces"]))
    return {
        "results": results,
        "model": ctx.model_info["name"],
        "timing_ms": {"total": round((time.perf_counter() - t0) * 1000, 2)},
    }
