"""Progress display: worker counter files, the driver's watcher, the summary."""

from __future__ import annotations

import io
import json
import os
import time

from pipelines import progress
from transforms import progress as worker_progress
from transforms.read import InputSpec


def _events(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_watch_reports_stages_in_order_and_inputs_read(tmp_path, monkeypatch):
    monkeypatch.delenv(worker_progress.ENV, raising=False)
    for i in range(4):
        (tmp_path / f"{i}.txt").write_text("x")
    err = io.StringIO()
    reporter = progress.Reporter("json", err=err, out=io.StringIO())
    with progress.watch(reporter, [InputSpec(str(tmp_path / "*.txt"), str(tmp_path))]) as watching:
        directory = os.environ[worker_progress.ENV]
        sink = worker_progress.sink()  # what a worker's StageStats gets
        for _ in range(3):
            sink.note("read", "files", 1)
        time.sleep(0.1)
        sink.note("clean", "documents", 3)
        time.sleep(2.6)  # the json format repeats progress at most every 2 s
    assert worker_progress.ENV not in os.environ and not os.path.exists(directory)
    events = _events(err)
    assert [e["stage"] for e in events if e["event"] == "stage"] == ["read", "clean"]
    read, clean = (e["elapsed_seconds"] for e in events if e["event"] == "stage")
    assert 0 <= read <= clean
    shown = [e for e in events if e["event"] == "progress"]
    assert shown and shown[-1]["inputs_read"] == 3 and shown[-1]["inputs_total"] == 4
    assert shown[-1]["stage"] == "clean"
    assert watching.runner == "DirectRunner"


def test_distributed_runner_gets_one_line_and_no_files(monkeypatch):
    monkeypatch.delenv(worker_progress.ENV, raising=False)
    err = io.StringIO()
    with progress.watch(progress.Reporter("text", err=err, out=io.StringIO()), [InputSpec("gs://b/*.txt", "gs://b")], "DataflowRunner", local=False):
        assert worker_progress.ENV not in os.environ
    assert err.getvalue().count("\n") == 1 and "DataflowRunner" in err.getvalue()


def test_quiet_reporter_writes_nothing_and_sets_nothing(monkeypatch):
    monkeypatch.delenv(worker_progress.ENV, raising=False)
    err, out = io.StringIO(), io.StringIO()
    reporter = progress.Reporter("text", quiet=True, err=err, out=out)
    with progress.watch(reporter, [InputSpec("/nonexistent/*.txt", "/nonexistent")]):
        assert worker_progress.ENV not in os.environ
    reporter.summary({})
    assert err.getvalue() == "" and out.getvalue() == ""


def test_text_summary_is_a_table_on_stdout():
    err, out = io.StringIO(), io.StringIO()
    progress.Reporter("text", err=err, out=out).summary({
        "inputs": 12000, "documents": 11990, "errors": 10, "passages": 400000, "clusters": 6000,
        "duplicate_passages": 9000, "duplicate_documents": 40, "wall_seconds": 61.27, "output": "o",
    })
    header, *lines = out.getvalue().splitlines()
    assert err.getvalue() == ""
    assert header == "cleanwire: 12,000 inputs -> 11,990 documents + 10 errors; wrote o"
    assert [line.split()[0] for line in lines] == ["inputs", "documents", "errors", "passages", "passage",
                                                   "near-duplicate", "near-duplicate", "time"]
    assert lines[0].endswith("12,000") and lines[-1].endswith("61.3s")
    assert len({len(line) for line in lines}) == 1  # right-aligned column


def test_sink_survives_a_vanished_directory(tmp_path):
    sink = worker_progress.ProgressSink(str(tmp_path / "gone"))
    sink.note("read", "files", 1)  # cannot write: ignored, the count is kept
    assert sink.counts == {"read.files": 1}
