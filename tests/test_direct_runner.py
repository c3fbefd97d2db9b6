"""The workaround for the DirectRunner's data plane (pipelines/direct_runner.py)."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import worker_handlers
from apache_beam.runners.worker import data_plane

import apache_beam as beam
from apache_beam.coders import coders
from apache_beam.runners.portability.fn_api_runner import execution
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import core

from pipelines import direct_runner
from pipelines.direct_runner import (
    QUIET_WORKER_ENV, avoid_data_plane_stalls, chunked_partition, runner_name, runs_locally, send_inputs_in_chunks,
    worker_environment,
)
from pipelines.memory import limit_malloc_arenas

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def restored(monkeypatch):
    """Undo the module settings after the test (the workaround is process-wide)."""
    for module, name in ((data_plane, "_DEFAULT_SEND_QUEUE_MAX_ELEMENTS"), (data_plane, "_DEFAULT_SEND_QUEUE_MAX_BYTES"),
                         (worker_handlers, "DATA_BUFFER_TIME_LIMIT_MS")):
        monkeypatch.setattr(module, name, getattr(module, name))


def test_new_channels_queue_without_limit_and_flush_only_by_size(restored):
    assert avoid_data_plane_stalls()
    channel = data_plane._GrpcDataChannel(worker_handlers.DATA_BUFFER_TIME_LIMIT_MS)
    try:
        for queue in (channel._to_send, channel._pending_send):
            assert queue.max_bytes <= 0 and queue.max_elements <= 0
        stream = channel.output_stream("bundle", "transform")
        assert not isinstance(stream, data_plane.TimeBasedBufferingClosableOutputStream)
    finally:
        channel.close()


@pytest.mark.parametrize("argv, local", [
    ([], True),
    (["--runner", "DirectRunner", "--direct_running_mode=multi_processing"], True),
    (["--runner=apache_beam.runners.direct.direct_runner.SwitchingDirectRunner"], True),
    (["--runner", "direct"], True),  # Beam takes any case, "Runner" optional
    (["--runner=directrunner"], True),
    (["--runner", "FnApiRunner"], True),
    (["--runner", "dataflow"], False),
    (["--runner", "DataflowRunner"], False),
    (["--runner=FlinkRunner", "--environment_type=LOOPBACK"], False),
])
def test_only_the_local_runner_gets_the_workaround(argv, local):
    assert runs_locally(PipelineOptions(argv)) is local


@pytest.mark.parametrize("given, name", [
    (None, "DirectRunner"), ("direct", "DirectRunner"), ("DIRECTRUNNER", "DirectRunner"), ("flink", "FlinkRunner"),
    ("apache_beam.runners.portability.portable_runner.PortableRunner", "PortableRunner"), ("MyRunner", "MyRunner"),
])
def test_runner_name_resolves_like_beam(given, name):
    assert runner_name(PipelineOptions([] if given is None else ["--runner", given])) == name


def test_bundles_bigger_than_the_send_queues_arrive_whole():
    # 1.2 GB through the runner, 600 MB per worker's bundle.  Without the workaround
    # (`python -m tests.big_bundle 96000 12500 --without-workaround`) the side-input
    # step saw 80,448 and 89,062 of the 96,000 elements in two runs with Beam 2.78.
    elements, size = 96_000, 12_500
    done = subprocess.run([sys.executable, "-m", "tests.big_bundle", str(elements), str(size)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts == {"made": elements, "read": elements, "grouped": elements}


def _grouping_buffer(rows: list[tuple[int, str]]) -> execution.GroupingBuffer:
    kv = coders.TupleCoder([coders.VarIntCoder(), coders.StrUtf8Coder()])
    windowed = coders.WindowedValueCoder(kv, coders.GlobalWindowCoder())
    grouped = coders.WindowedValueCoder(
        coders.TupleCoder([coders.VarIntCoder(), coders.IterableCoder(coders.StrUtf8Coder())]), coders.GlobalWindowCoder())
    buffer = execution.GroupingBuffer(windowed, grouped, core.Windowing(beam.transforms.window.GlobalWindows()))
    encoder = windowed.get_impl()
    buffer.append(b"".join(encoder.encode_nested(beam.transforms.window.GlobalWindows.windowed_value(row)) for row in rows))
    return buffer


def test_chunked_partition_sends_the_same_bytes_in_chunks_of_whole_groups():
    rows = [(k % 37, f"value {k} " * (k % 13)) for k in range(3000)]
    whole = inspect.unwrap(execution.GroupingBuffer.partition)(_grouping_buffer(rows), 2)  # Beam's own
    chunked = [list(part) for part in chunked_partition(_grouping_buffer(rows), 2, chunk_bytes=2_000)]
    assert [len(part) for part in whole] == [1, 1]
    assert all(len(part) > 5 for part in chunked)
    assert [b"".join(part) for part in chunked] == [part[0] for part in whole]
    decoder = coders.WindowedValueCoder(
        coders.TupleCoder([coders.VarIntCoder(), coders.IterableCoder(coders.StrUtf8Coder())]), coders.GlobalWindowCoder()
    ).get_impl()
    for part in chunked:
        for chunk in part:  # each chunk decodes on its own: it holds whole groups
            stream = execution.create_InputStream(chunk)
            while stream.size() > 0:
                decoder.decode_from_stream(stream, True)


@pytest.fixture
def chunked_sends(monkeypatch):
    """Patch the runner for the test only, with small chunks."""
    monkeypatch.setattr(execution.GroupingBuffer, "partition", execution.GroupingBuffer.partition)
    for owner, name in ((direct_runner.fn_runner.BundleManager, "_send_input_to_worker"),
                        (direct_runner.fn_runner.BundleManager, "process_bundle"), (execution.ListBuffer, "partition")):
        monkeypatch.setattr(owner, name, getattr(owner, name))
    chunks = []

    def counted(part):
        for chunk in part:
            chunks.append(len(chunk))
            yield chunk

    def small_chunks(buffer, n):
        return [counted(part) for part in chunked_partition(buffer, n, chunk_bytes=1_000)]

    monkeypatch.setattr(direct_runner, "chunked_partition", small_chunks)
    assert send_inputs_in_chunks()
    return chunks


def test_a_pipeline_groups_right_when_inputs_travel_in_chunks(chunked_sends, monkeypatch):
    senders, start = [], direct_runner._InputSender.start
    monkeypatch.setattr(direct_runner._InputSender, "start", lambda self: (senders.append(self.name), start(self)))
    rows = [(k % 20, k) for k in range(5000)]
    with TestPipeline(options=PipelineOptions(["--direct_num_workers=2", "--direct_running_mode=multi_threading"])) as p:
        sums = (p | beam.Create(rows) | beam.GroupByKey()
                | beam.MapTuple(lambda key, values: (key, len(list(values)), sum(values))))
        assert_that(sums, equal_to([(key, 250, sum(range(key, 5000, 20))) for key in range(20)]))
    assert len(chunked_sends) > 2  # the grouped input did travel in several chunks per worker
    assert senders  # gRPC workers (multi_threading) get their input from a sender beside the request


class _Stream:
    """Records what the runner writes to a worker's data stream."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.messages: list[bytes] = []
        self.pending, self.closed, self._fail_after = b"", False, fail_after

    def write(self, data: bytes) -> None:
        if self._fail_after is not None and len(self.messages) >= self._fail_after:
            raise ConnectionError("worker gone")
        self.pending += data

    def flush(self) -> None:
        self.messages.append(self.pending)
        self.pending = b""

    def close(self) -> None:
        self.closed = True


def test_grouped_parts_are_encoded_while_sent_and_never_sent_twice():
    rows = [(k % 37, f"value {k} " * (k % 13)) for k in range(3000)]
    whole = inspect.unwrap(execution.GroupingBuffer.partition)(_grouping_buffer(rows), 2)  # Beam's own
    buffer = _grouping_buffer(rows)
    parts = chunked_partition(buffer, 2, chunk_bytes=2_000)
    assert len(buffer._table) == 37  # nothing encoded yet
    stream = _Stream()
    direct_runner._send_chunks(stream, parts[0])
    assert b"".join(stream.messages) == whole[0][0] and len(stream.messages) > 5 and stream.closed
    assert len(buffer._table) == 18  # the sent part's groups have left the runner's table
    again = _Stream()
    with pytest.raises(RuntimeError, match="sent to a worker twice"):
        direct_runner._send_chunks(again, buffer.partition(2)[0])  # Beam's cached partition: the same, sent part
    assert again.closed and not again.messages


def test_list_inputs_are_split_as_beam_splits_them_and_let_go_once_sent(chunked_sends):
    pieces = [f"piece {k}".encode() for k in range(7)]
    beam_parts = inspect.unwrap(execution.ListBuffer.partition)(_list_buffer(pieces), 2)
    buffer = _list_buffer(pieces)
    parts = buffer.partition(2)
    stream = _Stream()
    direct_runner._send_chunks(stream, parts[1])
    assert stream.messages == beam_parts[1]
    assert [list(part) for part in parts[:1]] == beam_parts[:1]
    with pytest.raises(RuntimeError, match="after it was sent"):
        list(buffer)  # nothing can read the sent input again and find it empty
    with pytest.raises(RuntimeError, match="twice"):
        list(parts[0])


def _list_buffer(pieces: list[bytes]) -> execution.ListBuffer:
    buffer = execution.ListBuffer(coders.BytesCoder().get_impl())
    for piece in pieces:
        buffer.append(piece)
    return buffer


def test_a_failed_send_is_reported_and_still_ends_the_workers_input():
    parts = chunked_partition(_grouping_buffer([(k % 7, "x" * 500) for k in range(200)]), 1, chunk_bytes=2_000)
    stream = _Stream(fail_after=2)
    sender = direct_runner._InputSender(stream, parts[0], "bundle_1/read")
    sender.start()
    sender.join(timeout=10)
    assert isinstance(sender.error, ConnectionError)
    assert stream.closed and len(stream.messages) == 2  # closed: the worker ends the bundle instead of waiting


def test_malloc_arenas_are_capped_for_this_process_and_its_workers(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas()  # glibc (Linux) takes the setting
    read = [sys.executable, "-c", "import os; print(os.environ.get('MALLOC_ARENA_MAX'))"]
    with worker_environment(quiet=False):
        assert subprocess.run(read, capture_output=True, text=True, check=True).stdout.strip() == "2"
    assert "MALLOC_ARENA_MAX" not in os.environ  # restored for the program's later subprocesses
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # a user's own setting wins
    with worker_environment(quiet=False):
        assert os.environ["MALLOC_ARENA_MAX"] == "4"


def _python(code: str, pythonpath: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)


def test_worker_site_keeps_start_up_logging_off_stderr_in_quiet_runs_and_runs_a_shadowed_sitecustomize(tmp_path, monkeypatch):
    logs = "import logging; logging.warning('optional clients missing'); logging.getLogger('w').info('handler created')"
    assert "optional clients missing" in _python(logs, "").stderr  # what a worker printed before
    assert "optional clients missing" in _python(logs, direct_runner.WORKER_SITE).stderr  # --verbose: they stay
    monkeypatch.setenv(QUIET_WORKER_ENV, "1")
    assert _python(logs, direct_runner.WORKER_SITE).stderr == ""
    (tmp_path / "sitecustomize.py").write_text("print('their own site ran')\n")
    shadowed = _python("pass", os.pathsep.join([direct_runner.WORKER_SITE, str(tmp_path)]))
    assert shadowed.stdout.strip() == "their own site ran"

    monkeypatch.delenv(QUIET_WORKER_ENV)
    mine = os.pathsep.join(["/opt/mine", direct_runner.WORKER_SITE])
    monkeypatch.setenv("PYTHONPATH", mine)
    for quiet in (True, False):
        with worker_environment(quiet=quiet):
            assert os.environ["PYTHONPATH"].split(os.pathsep) == [direct_runner.WORKER_SITE, "/opt/mine"]
            assert os.environ.get(QUIET_WORKER_ENV) == ("1" if quiet else None)
        assert os.environ["PYTHONPATH"] == mine and QUIET_WORKER_ENV not in os.environ


def test_workers_started_in_the_block_do_not_search_the_current_directory(tmp_path, monkeypatch):
    # Beam starts workers as ``python -m ...``; a project folder in the current directory
    # named like one of cleanwire's packages (transforms/, pipelines/) must not shadow it.
    (tmp_path / "shadowing.py").write_text("print('imported from the current directory')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    command = [sys.executable, "-m", "shadowing"]
    assert "imported from the current directory" in subprocess.run(command, capture_output=True, text=True).stdout
    with worker_environment(quiet=True):
        inside = subprocess.run(command, capture_output=True, text=True)
    assert inside.returncode != 0 and "No module named shadowing" in inside.stderr
    assert "PYTHONSAFEPATH" not in os.environ  # restored after the block
