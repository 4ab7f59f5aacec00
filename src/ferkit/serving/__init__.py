"""Stage 9 — serving: the REST service and web page over one :class:`~ferkit.inference.pipeline.Recognizer`.

``app.create_app`` builds the FastAPI app from routers, one per concern: ``health`` (liveness, readiness,
metrics, model info, the page) and ``predict`` (images in, faces out). Around them, outermost first:
``access`` (API keys, per-client rate limits), ``bodylimit`` (bodies counted while they stream, read
timeouts); ``context`` holds the limits, the admission bound and the per-app state; ``uploads`` reads
request bodies through the one decoder; ``errors`` turns every client mistake into a 4xx JSON error;
``memory`` keeps a serving process on one malloc arena, so its memory stays within the README's bound.
To add an endpoint, add a route to a router (or a new router) and include it in ``create_app``.
"""
