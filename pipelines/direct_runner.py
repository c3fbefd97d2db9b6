"""A workaround for the DirectRunner's data plane losing or stalling large bundles.

Beam's portable DirectRunner (the FnApiRunner, used for ``in_memory``,
``multi_threading`` and ``multi_processing``) sends a worker a stage's whole input
for a bundle *before* it sends the request to process that bundle; in
``multi_processing`` the bundle is a worker's half of everything the previous
stage produced (about 1.3 GB for 200,000 of cleanwire's documents).  Two things
in ``apache_beam.runners.worker.data_plane`` (Beam 2.78) break on such bundles:

* Since Beam bounded the data plane's send queues (100 MB each), a bundle bigger
  than what the queues and the worker's receive queue hold cannot be sent: the
  worker waits for the request, the runner waits for queue space, and the run
  hangs forever.
* The runner flushes its output streams from a timer thread every second
  (``TimeBasedBufferingClosableOutputStream``) while the main thread keeps
  writing into them without a lock; bytes written between the timer's read of the
  buffer and its clear are dropped.  When a full queue makes that flush block,
  whole chunks of elements vanish.  cleanwire's end-of-run reconciliation caught
  this as ``IncompleteOutputError`` at 200,000 documents, and once in 33 runs at
  40,000.

:func:`avoid_data_plane_stalls` gives the channels this process creates from then
on unbounded send queues (the runner holds a bundle's input in memory anyway) and
size-triggered flushes only, made by the writing thread itself.  It changes the
data channels of this process only, so ``cleanwire run`` applies it for the local
runner alone (:func:`runs_locally`): with a portable runner's ``LOOPBACK``
environment the SDK harness lives in this process too, and keeps Beam's bounds.
"""

from __future__ import annotations

import logging

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.portability.fn_api_runner import worker_handlers
from apache_beam.runners.worker import data_plane

__all__ = ["avoid_data_plane_stalls", "runs_locally"]

_LOG = logging.getLogger(__name__)

# The names --runner takes for Beam's local (FnApi) runner; no --runner means DirectRunner.
_LOCAL_RUNNERS = frozenset({"DirectRunner", "SwitchingDirectRunner", "FnApiRunner"})


def runs_locally(options: PipelineOptions) -> bool:
    """Whether ``options`` run the pipeline on Beam's local DirectRunner (the default)."""
    runner = options.view_as(StandardOptions).runner
    if runner is None:
        return True
    name = runner if isinstance(runner, str) else type(runner).__name__
    return name.rsplit(".", 1)[-1] in _LOCAL_RUNNERS


def avoid_data_plane_stalls() -> bool:
    """Make the local runner's data plane safe for large bundles (see the module
    docstring).  Affects data channels created after the call, in this process only.
    Returns whether the settings were found; an unknown Beam layout is left alone
    (and logged), since the run can still be right there."""
    names = [(data_plane, "_DEFAULT_SEND_QUEUE_MAX_ELEMENTS"), (data_plane, "_DEFAULT_SEND_QUEUE_MAX_BYTES"),
             (worker_handlers, "DATA_BUFFER_TIME_LIMIT_MS")]
    missing = [name for module, name in names if not hasattr(module, name)]
    if missing:
        _LOG.warning("Beam's data plane has changed (no %s); running without cleanwire's workaround for "
                     "large DirectRunner bundles", ", ".join(missing))
        return False
    # 0 means "no limit" for ByteLimitedQueue, and "flush by size only" for the
    # runner's output streams.
    data_plane._DEFAULT_SEND_QUEUE_MAX_ELEMENTS = 0
    data_plane._DEFAULT_SEND_QUEUE_MAX_BYTES = 0
    worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = 0
    return True
