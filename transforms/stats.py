"""Per-stage statistics kept as Beam metrics, read back into the run's manifest.

Every stage counts what goes in and out and the CPU time its work takes (summed over
workers), under the metric namespace ``cleanwire`` and names ``<stage>.<what>``.  CPU
time of the working thread, not wall time: it says what a stage costs whatever else
the machine is doing, and excludes the runner's own work.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterable, Iterator, TypeVar

from apache_beam.metrics import Metrics

from transforms import progress

__all__ = ["NAMESPACE", "StageStats"]

T = TypeVar("T")

NAMESPACE = "cleanwire"


class StageStats:
    """Counters and a CPU-time counter for one stage; create it in ``DoFn.setup``."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self._counters: dict[str, object] = {}
        self._cpu = Metrics.counter(NAMESPACE, f"{stage}.cpu_us")
        self._progress = progress.sink()  # None unless a local run is being watched

    def count(self, what: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``<stage>.<what>``."""
        counter = self._counters.get(what)
        if counter is None:
            counter = self._counters[what] = Metrics.counter(NAMESPACE, f"{self.stage}.{what}")
        counter.inc(n)
        if self._progress is not None:
            self._progress.note(self.stage, what, n)

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Add the CPU time of the block (this thread) to ``<stage>.cpu_us``."""
        start = time.thread_time()
        try:
            yield
        finally:
            self._cpu.inc(int((time.thread_time() - start) * 1_000_000))

    def timed_items(self, items: Iterable[T]) -> Iterator[T]:
        """Yield from ``items``, adding to ``<stage>.cpu_us`` only the CPU time spent
        producing them.  (A ``timed`` block around ``yield`` would also count the work
        of the fused stages downstream, which runs while the generator is suspended.)"""
        iterator = iter(items)
        while True:
            start = time.thread_time()
            try:
                item = next(iterator)
            except StopIteration:
                return
            finally:
                self._cpu.inc(int((time.thread_time() - start) * 1_000_000))
            yield item
