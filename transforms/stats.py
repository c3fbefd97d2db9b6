"""Per-stage statistics kept as Beam metrics, read back into the run's manifest.

Every stage counts what goes in and out and how long its work takes (summed over
workers), under the metric namespace ``cleanwire`` and names ``<stage>.<what>``.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from apache_beam.metrics import Metrics

__all__ = ["NAMESPACE", "StageStats"]

NAMESPACE = "cleanwire"


class StageStats:
    """Counters and a busy-time counter for one stage; create it in ``DoFn.setup``."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self._counters: dict[str, object] = {}
        self._busy = Metrics.counter(NAMESPACE, f"{stage}.busy_ms")

    def count(self, what: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``<stage>.<what>``."""
        counter = self._counters.get(what)
        if counter is None:
            counter = self._counters[what] = Metrics.counter(NAMESPACE, f"{self.stage}.{what}")
        counter.inc(n)

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Add the wall time of the block to ``<stage>.busy_ms``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self._busy.inc(int((time.perf_counter() - start) * 1000))
