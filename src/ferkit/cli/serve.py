"""``ferkit serve``: the REST service and web page."""

from __future__ import annotations

import argparse
import os

from .checks import COUNT, NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, number
from .predict import ALIGNS, WEIGHTS_HELP, add_precision_flag


def register(sub: argparse._SubParsersAction) -> None:
    sv = sub.add_parser("serve", help="REST service and web page (http://HOST:PORT/)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=number(int, 0, 65535), default=8000)
    sv.add_argument("--model", default="default", help=WEIGHTS_HELP)
    sv.add_argument("--backend", default="onnx", choices=("onnx", "torch"))
    sv.add_argument("--detector", default="yunet", help="face detector: yunet, none (ferkit models lists them)")
    sv.add_argument("--align", default="level", choices=ALIGNS, help="face alignment")
    add_precision_flag(sv, "auto")
    sv.add_argument("--classes", help="restrict to these classes, probabilities renormalised (e.g. happy,sad,neutral)")
    sv.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="require this API key (repeatable; also FERKIT_API_KEYS=k1,k2); /healthz and /readyz stay open",
    )
    sv.add_argument(
        "--rate-limit",
        type=NON_NEGATIVE,
        default=0.0,
        metavar="PER_S",
        help="requests a second per client address (bursts of 20); 0 = no limit",
    )
    sv.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser pages from ORIGIN to call the API (repeatable); none by default",
    )
    sv.add_argument("--read-timeout", type=POSITIVE, default=10.0, help="seconds a client may pause mid-body (408)")
    sv.add_argument("--max-upload-mb", type=POSITIVE, default=10.0, help="largest image in a request")
    sv.add_argument("--max-body-mb", type=POSITIVE, default=16.0, help="largest request body, counted as it streams")
    sv.add_argument("--max-batch-mp", type=POSITIVE, default=100.0, help="megapixels of all images in one batch")
    sv.add_argument("--timeout", type=POSITIVE, default=30.0, help="seconds per request before a 504")
    sv.add_argument("--concurrency", type=COUNT, default=2, help="inferences running at once (per worker)")
    sv.add_argument("--queue", type=NON_NEGATIVE_INT, default=8, help="requests waiting beyond those; then a 503")
    sv.add_argument("--workers", type=COUNT, default=1, help="processes serving the port (for more cores; README)")
    sv.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from ..serving.app import serve
    from ..serving.context import Limits

    mb = 1024 * 1024
    sizes = dict(max_upload_bytes=int(args.max_upload_mb * mb), max_body_bytes=int(args.max_body_mb * mb))
    sizes["max_batch_pixels"] = int(args.max_batch_mp * 1e6)
    times = dict(read_timeout_s=args.read_timeout, timeout_s=args.timeout)
    load = dict(max_concurrency=args.concurrency, max_queue=args.queue, rate_per_client=args.rate_limit)
    keys = tuple(args.api_key) + tuple(k for k in os.environ.get("FERKIT_API_KEYS", "").split(",") if k)
    limits = Limits(**sizes, **times, **load, api_keys=keys, cors_origins=tuple(args.cors_origin))
    flags = ("host", "port", "backend", "detector", "align", "classes", "workers", "precision")
    serve(args.model, limits=limits, **{k: getattr(args, k) for k in flags})
    return 0
