"""Batch prediction on a Ray cluster: actors that each load the recognizer once, fed a bounded window of
chunks so memory stays flat on 100,000 inputs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .pipeline import Recognizer
from .results import Result


def ray_stream(options: dict, paths: Iterable[Path], ray_address: str, chunk: int, kw: dict) -> Iterator[Result]:
    """Results for ``paths`` in order, computed on Ray actors (``ray_address``: "local", "auto" or an address)."""
    from .batch import predict_paths

    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise ValueError("--ray needs Ray: pip install 'ray>=2.9'") from None
    if not ray.is_initialized():
        ray.init(address=None if ray_address == "local" else ray_address, log_to_driver=False, include_dashboard=False)

    @ray.remote
    class Worker:
        def __init__(self, opts: dict) -> None:
            self.rec = Recognizer.from_pretrained(**opts)

        def run(self, chunk_paths: list[str], kwargs: dict) -> list[Result]:
            return list(predict_paths(self.rec, [Path(p) for p in chunk_paths], chunk=len(chunk_paths), **kwargs))

    n = max(1, int(ray.available_resources().get("CPU", 1)))
    pool = ActorPool([Worker.options(num_cpus=1).remote(options) for _ in range(n)])

    def chunks() -> Iterator[list[str]]:
        buf: list[str] = []
        for p in paths:
            buf.append(str(p))
            if len(buf) == chunk:
                yield buf
                buf = []
        if buf:
            yield buf

    # Submit a bounded window of chunks at a time so memory stays flat on 100,000 inputs.
    pending = 0
    window = 2 * n
    for c in chunks():
        pool.submit(lambda actor, v: actor.run.remote(v, kw), c)
        pending += 1
        if pending >= window:
            yield from pool.get_next()
            pending -= 1
    while pending:
        yield from pool.get_next()
        pending -= 1
