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
on size-triggered flushes only, made by the writing thread itself, and, unless the
input goes beside the request (below), unbounded send queues.  It changes the
data channels of this process only, so ``cleanwire run`` applies it for the local
runner alone (:func:`runs_locally`): with a portable runner's ``LOOPBACK``
environment the SDK harness lives in this process too, and keeps Beam's bounds.

The same way of sending a bundle is also what makes the runner's memory peak.  The
input of a stage that follows a ``GroupByKey`` is encoded into one bytes object per
worker, and the runner writes a bundle's whole input into one output stream that it
flushes only when it closes it: one gRPC message of the whole bundle, copied several
times on its way out (stream buffer, message, serialisation) while the worker builds
its copy on the other side.  Measured at 40,000 documents, the runner's memory in use
jumped to about five times the stage's input for the time of the send.
:func:`send_inputs_in_chunks` encodes grouped inputs in chunks of whole elements (at
most about ``CHUNK_BYTES`` each) and flushes the stream after each chunk, so a bundle
travels as many bounded messages that the worker decodes as they come: the same
bytes, in the same order, without the spike.

It also sends the input *beside* the request instead of before it: for a worker in
another process or thread (a gRPC worker), a background thread sends the bundle's
input while the runner's own thread sends the request and reads the output, as Beam
does when it tests bundle splitting.  The worker then processes the input as it
arrives, so Beam's bounded send queues can stay (no stall: the worker drains them).
A stage input has one consuming bundle, so each chunk of it is encoded when it is sent
(grouped inputs: :func:`chunked_partition`) and let go once sent (list inputs too): the
runner's memory for a stage's input drains while its output fills, instead of holding
both.  At 200,000 documents the runner's peak fell from 6.3 GB to 3.5-3.7 GB, the
whole run's from 8.2 GB to 5.6-6.3 GB.  An embedded worker (``in_memory``) runs the bundle inside
the request, so it still gets the whole input first.

What remains of the runner's and workers' memory is partly memory that glibc's
allocator has freed but keeps.  ``pipelines.memory`` caps the arenas at two (this
process; the workers through :func:`worker_environment`) and gives the runner's freed
heap memory back to the system four times a second.
(Lowering glibc's mmap threshold instead cost a third of the speed, because large numpy
arrays were then mapped and unmapped each time.)

:func:`worker_environment` also keeps the worker processes' start-up log messages (a
warning about optional cloud clients, "Logging handler created") off the terminal of
a run that did not ask for Beam's logs.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import shutil
import tempfile
import threading
from typing import Iterator

from apache_beam.coders.coder_impl import create_OutputStream
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.portability.fn_api_runner import execution, fn_runner, worker_handlers
from apache_beam.runners.worker import data_plane
from apache_beam.transforms.window import GlobalWindow, GlobalWindows
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from pipelines.memory import MALLOC_ARENAS
from pipelines.output import process_alive

__all__ = [
    "CHUNK_BYTES", "QUIET_WORKER_ENV", "WORKER_SITE", "avoid_data_plane_stalls", "chunked_partition", "private_temp_dir",
    "runner_name", "runs_locally", "send_inputs_in_chunks", "worker_environment",
]

CHUNK_BYTES = 8 << 20
QUIET_WORKER_ENV = "CLEANWIRE_QUIET_WORKER"  # read by WORKER_SITE's sitecustomize
WORKER_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker_site")

_LOG = logging.getLogger(__name__)
# Beam's own limits, read before any call here changes them.
_BEAM_SEND_QUEUE_LIMITS = (getattr(data_plane, "_DEFAULT_SEND_QUEUE_MAX_ELEMENTS", 0),
                           getattr(data_plane, "_DEFAULT_SEND_QUEUE_MAX_BYTES", 0))

# Beam's local runners (lower case); DirectRunner hands batch pipelines to FnApiRunner.
_LOCAL_RUNNERS = frozenset({"directrunner", "switchingdirectrunner", "bundlebaseddirectrunner", "fnapirunner",
                            "testdirectrunner"})
_KNOWN_RUNNERS = {path.rsplit(".", 1)[-1].lower(): path.rsplit(".", 1)[-1]
                  for path in StandardOptions.ALL_KNOWN_RUNNERS}


def runner_name(options: PipelineOptions) -> str:
    """The class name of the runner ``options`` select, resolved as Beam's
    ``create_runner`` resolves ``--runner`` (any case, ``Runner`` optional: ``direct`` is
    ``DirectRunner``); ``DirectRunner`` when no runner is given."""
    runner = options.view_as(StandardOptions).runner
    if runner is None:
        return "DirectRunner"
    if not isinstance(runner, str):
        return type(runner).__name__
    given = runner.rsplit(".", 1)[-1]
    return _KNOWN_RUNNERS.get(given.lower(), _KNOWN_RUNNERS.get(given.lower() + "runner", given))


def runs_locally(options: PipelineOptions) -> bool:
    """Whether ``options`` run the pipeline on one of Beam's local runners in this
    process and its children (DirectRunner, the default, and its variants)."""
    return runner_name(options).lower() in _LOCAL_RUNNERS


def avoid_data_plane_stalls(unbounded_queues: bool = True) -> bool:
    """Make the local runner's data plane safe for large bundles (see the module
    docstring).  Affects data channels created after the call, in this process only.
    ``unbounded_queues=False`` keeps Beam's bounded send queues, which is safe only
    when the worker gets a bundle's request before its input
    (:func:`send_inputs_in_chunks`).  Returns whether the settings were found; an
    unknown Beam layout is left alone (and logged), since the run can still be right
    there."""
    names = [(data_plane, "_DEFAULT_SEND_QUEUE_MAX_ELEMENTS"), (data_plane, "_DEFAULT_SEND_QUEUE_MAX_BYTES"),
             (worker_handlers, "DATA_BUFFER_TIME_LIMIT_MS")]
    missing = [name for module, name in names if not hasattr(module, name)]
    if missing:
        _LOG.warning("Beam's data plane has changed (no %s); running without cleanwire's workaround for "
                     "large DirectRunner bundles", ", ".join(missing))
        return False
    # 0 means "no limit" for ByteLimitedQueue, and "flush by size only" for the
    # runner's output streams.
    elements, max_bytes = (0, 0) if unbounded_queues else _BEAM_SEND_QUEUE_LIMITS
    data_plane._DEFAULT_SEND_QUEUE_MAX_ELEMENTS = elements
    data_plane._DEFAULT_SEND_QUEUE_MAX_BYTES = max_bytes
    worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = 0
    return True


_GROUPING_FIELDS = ("_table", "_grouped_output", "_windowing", "_key_coder", "_post_grouped_coder")


def chunked_partition(buffer, n: int, chunk_bytes: int = CHUNK_BYTES) -> list["_Chunks"]:
    """What ``GroupingBuffer.partition(n)`` returns, as ``n`` parts that encode their
    groups into chunks of whole elements of about ``chunk_bytes`` (one more element may
    pass the limit) while they are sent, instead of one bytes object per part.  Keys go
    to parts as Beam assigns them (the k-th key to part ``k % n``); each group leaves
    the buffer's table when it is encoded and each chunk is let go once sent, so the
    runner never holds a stage's grouped input twice.  Each part can be read once.
    Global windowing only (``GroupingBuffer`` runs triggers otherwise): callers check
    ``_windowing``."""
    keys = list(buffer._table)
    parts = [_Chunks(buffer, keys[k::n], chunk_bytes) for k in range(n)]
    buffer._grouped_output = parts
    return parts


class _Chunks:
    """One worker's part of a grouped input (see :func:`chunked_partition`).  A stage
    input buffer has a single consuming bundle, so its parts are encoded as they are
    read and can be read only once: a second read raises instead of sending nothing."""

    def __init__(self, buffer, keys: list[bytes], chunk_bytes: int) -> None:
        self._buffer, self._keys, self._chunk_bytes = buffer, keys, chunk_bytes

    def __iter__(self) -> Iterator[bytes]:
        keys, self._keys = self._keys, None
        if keys is None:
            raise RuntimeError(_SENT_TWICE)
        return self._encoded(keys)

    def _encoded(self, keys: list[bytes]) -> Iterator[bytes]:
        buffer = self._buffer
        coder_impl, key_coder_impl = buffer._post_grouped_coder.get_impl(), buffer._key_coder.get_impl()
        stream = create_OutputStream()
        for encoded_key in keys:
            # Each key is in one part only, so the senders of two parts never pop the same key.
            values = buffer._table.pop(encoded_key)
            coder_impl.encode_to_stream(_IN_GLOBAL_WINDOW((key_coder_impl.decode(encoded_key), values)), stream, True)
            if stream.size() >= self._chunk_bytes:
                yield stream.get()
                stream = create_OutputStream()
        if stream.size():
            yield stream.get()


class _ListPart:
    """Part ``k`` of ``n`` of a stage input held as a list of encoded pieces (Beam's
    ``ListBuffer``): every ``n``-th piece, as Beam assigns them, each let go once read."""

    def __init__(self, pieces: list, k: int, n: int) -> None:
        self._pieces, self._k, self._n = pieces, k, n

    def __iter__(self) -> Iterator[bytes]:
        pieces, self._pieces = self._pieces, None
        if pieces is None:
            raise RuntimeError(_SENT_TWICE)
        for index in range(self._k, len(pieces), self._n):
            piece, pieces[index] = pieces[index], None
            yield piece


class _Released(list):
    """What a ``ListBuffer`` holds once its pieces went to the workers: reading it raises."""

    def __iter__(self):
        raise RuntimeError(_READ_AFTER_SENT)

    def __len__(self) -> int:
        raise RuntimeError(_READ_AFTER_SENT)


_SENT_TWICE = ("a stage input was to be sent to a worker twice, but it was let go when first sent "
               "(see pipelines/direct_runner.py)")
_READ_AFTER_SENT = "a stage input was read after it was sent to the workers (see pipelines/direct_runner.py)"


_IN_GLOBAL_WINDOW = GlobalWindows.windowed_value(
    None, timestamp=GlobalWindow().max_timestamp(),
    pane_info=PaneInfo(is_first=True, is_last=True, timing=PaneInfoTiming.ON_TIME, index=0, nonspeculative_index=0),
).with_value


def send_inputs_in_chunks() -> bool:
    """Make the local runner send grouped stage inputs as bounded messages, beside the
    bundle's request rather than before it (see the module docstring).  Patches
    Beam's ``GroupingBuffer.partition`` (global windowing; other windowing and an
    unknown buffer layout keep Beam's own), ``ListBuffer.partition`` (each piece let go
    once sent), ``BundleManager._send_input_to_worker`` (a flush after each chunk, all
    of which hold whole elements; a background thread for gRPC workers) and
    ``BundleManager.process_bundle`` (which re-raises a failed send) in this process.  Returns whether Beam's layout was found: only then may
    :func:`avoid_data_plane_stalls` keep Beam's bounded queues."""
    grouping, manager = execution.GroupingBuffer, fn_runner.BundleManager
    original_partition = getattr(grouping, "partition", None)
    original_process_bundle = getattr(manager, "process_bundle", None)
    if original_partition is None or original_process_bundle is None or not hasattr(manager, "_send_input_to_worker"):
        _LOG.warning("Beam's FnApiRunner has changed; running without cleanwire's chunked sends")
        return False
    if getattr(original_partition, "cleanwire_chunked", False):
        return True

    def partition(self, n: int) -> list[list[bytes]]:
        if not all(hasattr(self, name) for name in _GROUPING_FIELDS) or self._grouped_output \
                or not self._windowing.is_default():
            return original_partition(self, n)
        return chunked_partition(self, n)

    def send_input_to_worker(self, process_bundle_id: str, read_transform_id: str, byte_streams) -> None:
        data_out = self._worker_handler.data_conn.output_stream(process_bundle_id, read_transform_id)
        if not isinstance(self._worker_handler, worker_handlers.GrpcWorkerHandler):
            # An embedded worker runs the bundle inside the request: its input must be all there first.
            _send_chunks(data_out, byte_streams)
            return
        sender = _InputSender(data_out, byte_streams, f"{process_bundle_id}/{read_transform_id}")
        self._cleanwire_senders.append(sender)  # set by process_bundle, which every send runs inside
        sender.start()

    def process_bundle(self, *args, **kwargs):
        self._cleanwire_senders = []
        result = original_process_bundle(self, *args, **kwargs)
        for sender in self._cleanwire_senders:
            sender.join()  # the worker finished the bundle, so it has read all of the input
            if sender.error is not None:
                raise RuntimeError(f"sending input {sender.name} to a worker failed: {sender.error!r}") from sender.error
        return result

    original_list_partition = execution.ListBuffer.partition

    def list_partition(self, n: int):
        if self.cleared or len(self._inputs) < n:  # a second call raises in len(): the input was sent
            return original_list_partition(self, n)
        inputs, self._inputs = self._inputs, _Released()
        return [_ListPart(inputs, k, n) for k in range(n)]

    partition.cleanwire_chunked = True
    partition.__wrapped__, list_partition.__wrapped__ = original_partition, original_list_partition  # inspect.unwrap
    grouping.partition = partition
    execution.ListBuffer.partition = list_partition
    manager._send_input_to_worker = send_input_to_worker
    manager.process_bundle = process_bundle
    return True


def _send_chunks(data_out, byte_streams) -> None:
    """Write ``byte_streams`` to ``data_out``, one message per chunk, and close it.  The
    stream is closed even when sending fails, so that the worker ends the bundle
    instead of waiting for the rest; the error still reaches ``process_bundle``."""
    try:
        for chunk in byte_streams if byte_streams is not None else ():
            if chunk:
                data_out.write(chunk)
                data_out.flush()  # one message per chunk of whole elements, not one per bundle
    finally:
        data_out.close()


class _InputSender(threading.Thread):
    """Sends a bundle's input while the runner's main thread sends the request and
    reads the bundle's output, so the worker processes the input as it arrives."""

    def __init__(self, data_out, byte_streams, name: str) -> None:
        super().__init__(name=f"cleanwire-send-{name}", daemon=True)  # never keeps a failed run's process alive
        self._data_out, self._byte_streams = data_out, byte_streams
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            _send_chunks(self._data_out, self._byte_streams)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the runner's thread in process_bundle
            self.error = exc
        finally:
            self._byte_streams = None


@contextlib.contextmanager
def private_temp_dir() -> Iterator[str]:
    """One fresh temporary directory for everything a local run puts in the system's
    temporary directory, removed with its content when the block ends.

    Beam's local runner leaves a staging directory (``beam-temp*``), its job
    service's directory (``tmp*``) and an empty requirements cache behind after every
    run; a scheduled job would fill ``/tmp`` with them.  Inside the block
    ``tempfile.tempdir`` and ``TMPDIR`` (which the worker processes inherit) point
    here, and both are restored on exit.  One left by a killed run (its process gone)
    is removed first."""
    for stale in glob.glob(os.path.join(glob.escape(tempfile.gettempdir()), "cleanwire-run-*-*")):
        pid = os.path.basename(stale).split("-")[2]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    path = tempfile.mkdtemp(prefix=f"cleanwire-run-{os.getpid()}-")
    saved_env, saved_tempdir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = path, path
    try:
        yield path
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def worker_environment(quiet: bool) -> Iterator[None]:
    """The environment of the worker processes the local runner starts inside the
    block: ``MALLOC_ARENA_MAX`` (two arenas, unless the user set it), ``PYTHONSAFEPATH``
    (the current directory is not searched for modules) and ``WORKER_SITE`` first on
    ``PYTHONPATH``.  That site's ``sitecustomize`` starts trimming freed memory
    when the user set ``CLEANWIRE_WORKER_TRIM_SECONDS`` (see ``pipelines.memory``) and,
    when ``quiet`` (``CLEANWIRE_QUIET_WORKER``), gives the workers' root logger a
    handler before Beam is imported, so that Beam's import-time warning does not make
    logging print to their stderr (see ``pipelines/worker_site/sitecustomize.py``).  The
    environment is restored on exit, so a program that calls ``run()`` starts its later
    subprocesses unchanged."""
    saved = {name: os.environ.get(name) for name in ("MALLOC_ARENA_MAX", QUIET_WORKER_ENV, "PYTHONPATH", "PYTHONSAFEPATH")}
    try:
        os.environ.setdefault("MALLOC_ARENA_MAX", str(MALLOC_ARENAS))
        # Workers start as ``python -m ...``, which puts the current directory first on
        # sys.path: a folder there named like one of cleanwire's packages (a project's
        # own ``transforms/``) would shadow it.  Python 3.11's safe-path mode leaves it out.
        os.environ["PYTHONSAFEPATH"] = "1"
        if quiet:
            os.environ[QUIET_WORKER_ENV] = "1"
        else:
            os.environ.pop(QUIET_WORKER_ENV, None)
        given = os.environ.get("PYTHONPATH", "")
        entries = [entry for entry in given.split(os.pathsep) if entry != WORKER_SITE] if given else []
        os.environ["PYTHONPATH"] = os.pathsep.join([WORKER_SITE, *entries])
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
