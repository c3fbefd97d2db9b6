"""glibc allocator settings for the processes of a local run: fewer arenas, and freed
heap memory given back to the system while the run works.

The local runner moves every shuffled byte through its own heap.  glibc serves blocks
below 32 MB from its heap and returns freed heap memory to the system only from the top
of the heap, so memory freed in the middle stays in the process: at 200,000 documents
the runner's heap held 1.5 to 2.3 GB of free memory from signing onwards.
``malloc_trim(0)`` hands the pages of every free block back (``madvise``) without moving
anything.  Done four times a second in the runner, it took the run's peak from 4.3-5.1 GB
to 3.5-3.8 GB at the same speed (see ``docs/benchmarks.md``; once a second left short
spikes up to 4.1 GB).  The workers hold 200 to
400 MB of free heap each, but trimming them every second or five cost their CPU-heavy
stages 5-10% (freed pages are faulted in again when reused), so they trim only when
``CLEANWIRE_WORKER_TRIM_SECONDS`` asks for it (0.1-0.3 GB less again at 200,000).

Nothing here imports Beam, so a worker's ``sitecustomize`` can start the trimming before
Beam loads (``pipelines/worker_site``).  Off glibc every function does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import threading
from typing import Iterator

__all__ = [
    "MALLOC_ARENAS", "TRIM_ENV", "TRIM_SECONDS", "limit_malloc_arenas", "start_trimming", "trim_freed_memory",
    "trimming", "trimming_from_environment",
]

MALLOC_ARENAS = 2
TRIM_SECONDS = 0.25
TRIM_ENV = "CLEANWIRE_WORKER_TRIM_SECONDS"  # the workers' trimming interval, if any (unset or 0: none)
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
_THREAD_NAME = "cleanwire-trim"


def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


_LIBC = _libc()
_MALLOC_TRIM = getattr(_LIBC, "malloc_trim", None)


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` for this process (``mallopt``; worker
    processes get ``MALLOC_ARENA_MAX`` from ``pipelines.direct_runner.worker_environment``).
    Returns whether the allocator took the setting (False off glibc, where nothing changes)."""
    mallopt = getattr(_LIBC, "mallopt", None)
    return bool(mallopt and mallopt(_M_ARENA_MAX, arenas))


def trim_freed_memory() -> bool:
    """Give the pages of this process's free heap blocks back to the system
    (``malloc_trim(0)``).  Returns whether glibc was there to do it."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True


def start_trimming(interval: float = TRIM_SECONDS) -> threading.Event | None:
    """Trim freed memory every ``interval`` seconds in a daemon thread until the returned
    event is set.  None, and no thread, when ``interval`` is not a positive finite number
    of seconds or off glibc."""
    if not 0 < interval < float("inf") or _MALLOC_TRIM is None:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            trim_freed_memory()

    threading.Thread(target=loop, name=_THREAD_NAME, daemon=True).start()
    return stop


@contextlib.contextmanager
def trimming(interval: float = TRIM_SECONDS) -> Iterator[None]:
    """Trim freed memory every ``interval`` seconds while inside the block."""
    stop = start_trimming(interval)
    try:
        yield
    finally:
        if stop is not None:
            stop.set()


def trimming_from_environment() -> threading.Event | None:
    """Start trimming at the interval that ``TRIM_ENV`` gives, if any (a worker's start-up)."""
    try:
        interval = float(os.environ.get(TRIM_ENV, "0"))
    except ValueError:
        return None
    return start_trimming(interval)
