"""``ferkit serve``: a REST service and a web page over a :class:`~ferkit.predictor.Recognizer`.

``create_app(recognizer)`` builds the FastAPI app, so tests import it. Inference runs in worker threads
(never on the event loop) behind a semaphore that bounds concurrency; a request that waits or runs
longer than the timeout gets a 504. Every bad request gets a 4xx with a JSON body
``{"error": {"code": ..., "message": ...}}``.

Concurrent requests are not merged into one network batch: on a CPU, face detection dominates the
time of a request and is per image, so merging classifier calls would add latency and little
throughput. ``/v1/predict/batch`` batches the faces of all its images instead.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import logging
import time
import warnings
from dataclasses import dataclass
from importlib import resources

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from PIL import Image, UnidentifiedImageError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from .imageio import to_rgb_array
from .predictor import Recognizer

log = logging.getLogger("ferkit.serve")
access_log = logging.getLogger("ferkit.access")

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff", "image/gif"}


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 25_000_000
    max_batch: int = 16
    timeout_s: float = 30.0
    max_concurrency: int = 2


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def decode_upload(data: bytes, limits: Limits, name: str = "image") -> np.ndarray:
    """Bytes of an uploaded image → uint8 RGB, or an :class:`ApiError` saying what is wrong."""
    if not data:
        raise ApiError(422, "empty_image", f"{name}: empty upload")
    if len(data) > limits.max_upload_bytes:
        raise ApiError(413, "too_large", f"{name}: {len(data)} bytes exceeds the limit of {limits.max_upload_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
                if w * h > limits.max_pixels:
                    raise ApiError(413, "too_many_pixels",
                                   f"{name}: {w}x{h} exceeds the limit of {limits.max_pixels} pixels")
                im.load()
                return to_rgb_array(im)
    except ApiError:
        raise
    except UnidentifiedImageError:
        raise ApiError(422, "not_an_image", f"{name}: not an image (unrecognised format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ApiError(413, "too_many_pixels", f"{name}: image too large to decode safely") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ApiError(422, "bad_image", f"{name}: unreadable or truncated image ({exc})") from None


def _b64(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise ApiError(422, "bad_request", f"{name}: expected a base64 string")
    if value.startswith("data:"):
        value = value.split(",", 1)[-1]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "bad_base64", f"{name}: not valid base64") from None


def create_app(recognizer: Recognizer, limits: Limits = Limits()) -> FastAPI:
    """The ferkit HTTP app for one recognizer."""
    app = FastAPI(title="ferkit", version=__import__("ferkit").__version__,
                  description="Facial expression recognition: every face with its box and expression probabilities.")
    gate = asyncio.Semaphore(limits.max_concurrency)
    registry = CollectorRegistry()
    requests = Counter("ferkit_requests_total", "HTTP requests", ["path", "status"], registry=registry)
    latency = Histogram("ferkit_request_seconds", "Request latency", ["path"], registry=registry,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
    faces_total = Counter("ferkit_faces_total", "Faces processed", registry=registry)
    meta = recognizer.checkpoint.meta
    model_info = {"name": meta.get("name", "default"), "architecture": meta.get("model"),
                  "classes": list(recognizer.classes), "metrics": meta.get("metrics", {}),
                  "temperature": recognizer.checkpoint.temperature, "detector": recognizer.detector.name}
    page = (resources.files("ferkit") / "static" / "index.html").read_text()

    def error(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    @app.middleware("http")
    async def observe(request: Request, call_next):
        t0 = time.perf_counter()
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limits.max_upload_bytes * max(1, limits.max_batch):
            response = error(413, "too_large", f"request body of {length} bytes is too large")
        else:
            try:
                response = await call_next(request)
            except Exception:  # the last line of defence: a JSON 500, logged, never a hang
                log.exception("unhandled error on %s", request.url.path)
                response = error(500, "internal", "internal error")
        dt = time.perf_counter() - t0
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        requests.labels(path, str(response.status_code)).inc()
        latency.labels(path).observe(dt)
        access_log.info(json.dumps({"method": request.method, "path": request.url.path, "status": response.status_code,
                                    "ms": round(dt * 1000, 1), "client": request.client.host if request.client else None}))
        return response

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error(exc.status, exc.code, exc.message)

    @app.exception_handler(404)
    async def not_found(request: Request, _exc) -> JSONResponse:
        return error(404, "not_found", f"no such endpoint: {request.url.path}")

    @app.exception_handler(405)
    async def not_allowed(request: Request, _exc) -> JSONResponse:
        return error(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")

    def predict_all(images: list[np.ndarray]) -> list[list[dict]]:
        """The faces of every image, with all their crops in one network batch."""
        found = [recognizer.find_faces(img) for img in images]
        probs = recognizer.predict_faces([c for _, crops in found for c in crops])
        out, k = [], 0
        for dets, crops in found:
            out.append([f.to_dict() for f in recognizer.faces(dets, probs[k:k + len(crops)])])
            k += len(crops)
        return out

    async def run_inference(images: list[np.ndarray]) -> list[list[dict]]:
        async def work():
            async with gate:
                return await anyio.to_thread.run_sync(predict_all, images)
        try:
            return await asyncio.wait_for(work(), timeout=limits.timeout_s)
        except asyncio.TimeoutError:
            raise ApiError(504, "timeout", f"inference did not finish within {limits.timeout_s:g} s") from None

    async def read_images(request: Request, many: bool) -> list[tuple[str, bytes]]:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            form = await request.form(max_files=limits.max_batch + 1)
            uploads = [(k, v) for k, v in form.multi_items() if hasattr(v, "read")]
            if not uploads:
                raise ApiError(422, "no_file", "multipart body has no file part (send the image as 'file')")
            out = []
            for _, up in uploads:
                if up.content_type and up.content_type.lower() not in ALLOWED_TYPES | {"application/octet-stream"}:
                    raise ApiError(415, "unsupported_type",
                                   f"{up.filename}: content type {up.content_type} is not an accepted image type")
                out.append((up.filename or "image", await up.read(limits.max_upload_bytes + 1)))
        elif ctype == "application/json":
            try:
                body = json.loads(await request.body())
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ApiError(400, "bad_json", "request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise ApiError(422, "bad_request", "JSON body must be an object")
            if many:
                items = body.get("images")
                if not isinstance(items, list):
                    raise ApiError(422, "bad_request", 'JSON body needs "images": [base64, ...]')
                out = [(f"images[{i}]", _b64(v, f"images[{i}]")) for i, v in enumerate(items)]
            else:
                if "image" not in body:
                    raise ApiError(422, "bad_request", 'JSON body needs "image": base64')
                out = [("image", _b64(body["image"], "image"))]
        elif ctype in ALLOWED_TYPES:
            out = [("image", await request.body())]
        else:
            raise ApiError(415, "unsupported_type",
                           f"content type {ctype or '(none)'} not accepted; send multipart/form-data, JSON or an image")
        if not out:
            raise ApiError(422, "no_images", "no images in the request")
        if len(out) > (limits.max_batch if many else 1):
            raise ApiError(413, "too_many_images", f"{len(out)} images; at most {limits.max_batch if many else 1}")
        return out

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict:
        return {"status": "ready", "model": model_info["name"]}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models")
    async def models() -> dict:
        return {"models": [model_info]}

    @app.post("/v1/predict")
    async def predict(request: Request) -> dict:
        """One image (multipart field ``file``, a raw image body, or JSON ``{"image": base64}``)."""
        t0 = time.perf_counter()
        ((name, data),) = await read_images(request, many=False)
        img = decode_upload(data, limits, name)
        t1 = time.perf_counter()
        (faces,) = await run_inference([img])
        faces_total.inc(len(faces))
        t2 = time.perf_counter()
        return {"faces": faces, "width": int(img.shape[1]), "height": int(img.shape[0]), "model": model_info["name"],
                "timing_ms": {"decode": round((t1 - t0) * 1000, 2), "inference": round((t2 - t1) * 1000, 2)}}

    @app.post("/v1/predict/batch")
    async def predict_batch(request: Request) -> dict:
        """Several images (multipart files, or JSON ``{"images": [base64, ...]}``); a bad image gets its
        own error entry and the others still run."""
        t0 = time.perf_counter()
        items = await read_images(request, many=True)
        decoded: list[np.ndarray | None] = []
        results: list[dict] = []
        for name, data in items:
            try:
                decoded.append(decode_upload(data, limits, name))
                results.append({"name": name})
            except ApiError as exc:
                decoded.append(None)
                results.append({"name": name, "error": {"code": exc.code, "message": exc.message}})
        good = [img for img in decoded if img is not None]
        faces = iter(await run_inference(good)) if good else iter(())
        for res, img in zip(results, decoded):
            if img is not None:
                res.update(faces=next(faces), width=int(img.shape[1]), height=int(img.shape[0]))
                faces_total.inc(len(res["faces"]))
        return {"results": results, "model": model_info["name"],
                "timing_ms": {"total": round((time.perf_counter() - t0) * 1000, 2)}}

    return app


def serve(weights: str = "default", host: str = "127.0.0.1", port: int = 8000, limits: Limits = Limits(),
          backend: str = "torch") -> None:
    """Run the app with uvicorn (blocking)."""
    import uvicorn

    rec = Recognizer.from_pretrained(weights, backend=backend)
    uvicorn.run(create_app(rec, limits), host=host, port=port, log_level="info", access_log=False)
