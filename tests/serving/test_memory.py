"""A serving process allocates from one malloc arena, so one request's freed memory serves the next."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ferkit.serving.memory import one_malloc_arena

PROGRAM = textwrap.dedent(
    """
    import ctypes, sys, threading
    from ferkit.serving.memory import one_malloc_arena

    if sys.argv[1] == "one":
        assert one_malloc_arena()
    addresses = []

    def request(barrier):  # threads allocating at the same time, as a service's do
        block = bytearray(100_000)  # malloc's, not Python's small-object allocator
        barrier.wait()
        address = ctypes.addressof(ctypes.c_char.from_buffer(block))
        addresses.append(address)
        barrier.wait()

    barrier = threading.Barrier(8)
    threads = [threading.Thread(target=request, args=(barrier,)) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print((max(addresses) - min(addresses)) // 2**20)  # MB between the blocks: one heap, or several
    """
)


def spread_mb(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_concurrent_threads_share_one_arena():
    # Eight 100 kB blocks from one arena lie within a few MB of each other (wherever a 64 MB boundary falls);
    # per-thread arenas are separate 64 MB heaps, far apart.
    default = spread_mb("default")
    if default < 64:
        pytest.skip("this libc gave concurrent threads one arena anyway: nothing to compare")
    assert spread_mb("one") < 8 <= default


def test_the_setting_reports_whether_it_took_effect():
    assert one_malloc_arena() is sys.platform.startswith("linux")
