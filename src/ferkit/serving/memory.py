"""One malloc arena per serving process, so the memory freed by one request is reused by the next.

glibc's ``malloc`` gives each thread that allocates at the same time as another its own arena (up to 8
per core), and an arena keeps what is freed in it. A service's threads — the event loop, the JSON
parsing and the inference workers — each allocate request-sized blocks (a 16 MB body, its text, a
decoded 25-megapixel image), so every arena grew to the biggest requests it had seen. Under
``bench/hostile.py`` the server peaked at 1,304 MB, past the bound the README states; with one arena,
at 941 and 1,001 MB in two runs, with /healthz's 99th percentile at 78-82 ms (docs/benchmarks.md).
Serving big blocks with ``mmap`` instead (``M_MMAP_THRESHOLD`` 1 MB) also bounded memory (921-958 MB)
but each request then paid page faults and ``munmap`` on the event loop too, and /healthz's 99th
percentile rose to 122-128 ms.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def one_malloc_arena() -> bool:
    """Make every thread of this process allocate from one arena from now on. Returns False where that
    cannot be set (not Linux with glibc); nothing else changes then."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    ok = bool(mallopt(M_ARENA_MAX, 1))
    if not ok:
        log.info("malloc's arena count could not be set; freed request buffers may be kept per thread")
    return ok
