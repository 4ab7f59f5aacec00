"""Stage 9 — serving: the REST service and web page over one :class:`~ferkit.inference.pipeline.Recognizer`.

``app.create_app`` builds the FastAPI app from routers, one per concern: ``health`` (liveness, readiness,
metrics, model info, the page) and ``predict`` (images in, faces out). ``uploads`` reads request bodies
through the one decoder, ``errors`` turns every client mistake into a 4xx JSON error, ``context`` holds
the limits and the per-app state. To add an endpoint, add a route to a router (or a new router) and
include it in ``create_app``.
"""
