"""The workaround for the DirectRunner's data plane (pipelines/direct_runner.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import worker_handlers
from apache_beam.runners.worker import data_plane

from pipelines.direct_runner import avoid_data_plane_stalls, runs_locally

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
    (["--runner", "DataflowRunner"], False),
    (["--runner=FlinkRunner", "--environment_type=LOOPBACK"], False),
])
def test_only_the_local_runner_gets_the_workaround(argv, local):
    assert runs_locally(PipelineOptions(argv)) is local


def test_bundles_bigger_than_the_send_queues_arrive_whole():
    # 1.2 GB through the runner, 600 MB per worker's bundle.  Without the workaround
    # (`python -m tests.big_bundle 96000 12500 --without-workaround`) the side-input
    # step saw 80,448 and 89,062 of the 96,000 elements in two runs with Beam 2.78.
    elements, size = 96_000, 12_500
    done = subprocess.run([sys.executable, "-m", "tests.big_bundle", str(elements), str(size)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts == {"made": elements, "read": elements}
