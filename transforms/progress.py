"""Worker side of the live progress display: stage counters written to a local directory.

Beam's DirectRunner reports metrics only when the pipeline has finished, and in
``multi_processing`` mode the work runs in other processes.  So when the driver sets
``CLEANWIRE_PROGRESS_DIR`` (``pipelines/progress.py`` does, for local runs), every
process that runs cleanwire stages keeps its running stage counters in
``<dir>/<pid>.json`` (with the wall time each stage started in it), rewritten at most twice a second and whenever a counter appears
for the first time (a stage starting).  Workers of distributed runners do not get the
variable and write nothing.  Progress is best effort: a failure to write is ignored,
it never fails the pipeline.
"""

from __future__ import annotations

import json
import os
import threading
import time

__all__ = ["ENV", "ProgressSink", "sink"]

ENV = "CLEANWIRE_PROGRESS_DIR"
_INTERVAL = 0.5
_sinks: dict[str, "ProgressSink"] = {}
_lock = threading.Lock()


class ProgressSink:
    """This process's counters, mirrored to ``<directory>/<pid>.json``."""

    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, f"{os.getpid()}.json")
        self.counts: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.stage: str | None = None
        self.written = 0.0
        self.lock = threading.Lock()

    def note(self, stage: str, what: str, n: int) -> None:
        """Add ``n`` to ``<stage>.<what>``; write the file when due."""
        key = f"{stage}.{what}"
        with self.lock:
            first = key not in self.counts
            self.counts[key] = self.counts.get(key, 0) + n
            self.stage = stage
            self.started.setdefault(stage, time.time())
            now = time.monotonic()
            if first or now - self.written >= _INTERVAL:
                self.written = now
                self._write()

    def _write(self) -> None:
        partial = f"{self.path}.{threading.get_ident()}.tmp"
        try:
            with open(partial, "w", encoding="utf-8") as handle:
                json.dump({"stage": self.stage, "time": time.time(), "started": self.started, "counts": self.counts}, handle)
            os.replace(partial, self.path)
        except OSError:
            pass  # the run has ended and the directory is gone, or the disk is full: not the pipeline's concern


def sink() -> ProgressSink | None:
    """The sink of this process for the directory named by ``CLEANWIRE_PROGRESS_DIR``,
    or ``None`` when the variable is unset (no one is watching)."""
    directory = os.environ.get(ENV)
    if not directory:
        return None
    with _lock:
        found = _sinks.get(directory)
        if found is None:
            found = _sinks[directory] = ProgressSink(directory)
        return found
