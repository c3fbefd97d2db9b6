"""What a person (or a scheduler) sees while ``cleanwire run`` works and when it ends.

* **Progress**: on the DirectRunner (``in_memory`` and ``multi_processing`` modes alike)
  the stages' counters reach the driver through small files that the workers rewrite
  (``transforms/progress.py``); a thread of the driver polls them and shows which stage
  is running and how many inputs have been read out of how many were matched.  Beam's
  own metrics cannot do this: the DirectRunner reports them only once the pipeline has
  finished.  On distributed runners (Dataflow, Flink, Spark) the workers are elsewhere;
  cleanwire says so once and the runner's own UI shows the stages.
* **Summary**: a short table at the end (inputs, documents, errors, clusters,
  duplicates, time) on stdout.
* ``--log-format json``: the same as events, one JSON object per line on stderr
  (``{"event": "stage"|"progress"|"summary"|"log", ...}``); Python log records and
  warnings become ``log`` events, so every stderr line is JSON.
* ``--quiet``: nothing but errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipelines.output import is_local, list_paths
from transforms import progress as worker_progress
from transforms.read import InputSpec, local_matches

__all__ = ["LOG_FORMATS", "Reporter", "add_options", "configure_logging", "stage_name", "summarise", "watch"]

LOG_FORMATS = ("text", "json")
_POLL_SECONDS = 0.5
# How often a progress line is repeated: live on a terminal, sparingly in a log file.
_EVERY = {"tty": 0.5, "text": 10.0, "json": 2.0}
_STAGE_NAMES = {
    "read": "reading inputs", "clean": "cleaning", "recurring": "removing recurring lines", "rank": "ranking",
    "sign": "segmenting and signing", "stage": "staging partitions", "lsh_passage": "finding passage candidates",
    "lsh_document": "finding document candidates", "verify_sides": "reading candidate shingles",
    "verify": "verifying candidates", "cluster_passage": "clustering passages",
    "cluster_document": "clustering documents", "assemble": "assembling records", "write": "writing tables",
    "copies": "pairing exact copies", "passage_entries": "listing passage band keys", "history": "reading the history",
    "committed": "setting aside documents earlier runs committed",
}


def stage_name(stage: str) -> str:
    """What a stage of the manifest (``read``, ``lsh_passage``, ...) does, in words."""
    return _STAGE_NAMES.get(stage, stage)


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--log-format`` to a command's parser (``--quiet`` is the command's own)."""
    parser.add_argument(
        "--log-format", choices=LOG_FORMATS, default="text",
        help="text (default): stage and progress lines on stderr and a summary table on stdout; json: one JSON "
        "object per line on stderr (stage, progress, summary and log events), for schedulers and log collectors",
    )


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {"event": "log", "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def configure_logging(log_format: str, stream: IO[str] | None = None) -> None:
    """With ``json``, make every log record and warning one JSON line on ``stream``
    (stderr): replaces the root logger's handlers and captures ``warnings``.  With
    ``text``, leaves logging as it is."""
    if log_format != "json":
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    logging.captureWarnings(True)


class Reporter:
    """Writes events in the chosen format: ``text`` (lines on stderr, live on a
    terminal; the summary as a table on stdout) or ``json`` (one object per line on
    stderr); nothing at all when ``quiet``."""

    def __init__(self, log_format: str = "text", quiet: bool = False, err: IO[str] | None = None,
                 out: IO[str] | None = None) -> None:
        self.format, self.quiet = log_format, quiet
        self.err, self.out = err or sys.stderr, out or sys.stdout
        self.live = log_format == "text" and hasattr(self.err, "isatty") and self.err.isatty()
        self._status = False  # a live status line is on screen
        self._lock = threading.Lock()

    def _clear(self) -> None:
        if self._status:
            self.err.write("\r\x1b[K")
            self._status = False

    def _json(self, event: str, fields: dict) -> None:
        self.err.write(json.dumps({"event": event, **fields}, ensure_ascii=False, sort_keys=False) + "\n")
        self.err.flush()

    def stage(self, stage: str, elapsed: float, **extra) -> None:
        """A stage has started (its first counter appeared)."""
        if self.quiet:
            return
        with self._lock:
            if self.format == "json":
                self._json("stage", {"stage": stage, "name": stage_name(stage),
                                     "elapsed_seconds": round(elapsed, 1), **extra})
                return
            self._clear()
            note = f" ({extra['note']})" if "note" in extra else ""
            self.err.write(f"cleanwire: {elapsed:6.1f}s  {stage_name(stage)}{note}\n")
            self.err.flush()

    def progress(self, running: str | None, read: int, total: int | None, elapsed: float) -> None:
        """Where the run is: the stage active last, inputs read out of ``total``."""
        if self.quiet:
            return
        with self._lock:
            if self.format == "json":
                self._json("progress", {"stage": running, "inputs_read": read, "inputs_total": total,
                                        "elapsed_seconds": round(elapsed, 1)})
                return
            share = f" ({100 * read / total:.0f}%)" if total else ""
            line = (f"cleanwire: {elapsed:6.1f}s  read {read:,}{f'/{total:,}' if total else ''} files{share}"
                    f" · {stage_name(running) if running else 'starting'}")
            if self.live:
                self.err.write("\r\x1b[K" + line)
                self._status = True
            else:
                self.err.write(line + "\n")
            self.err.flush()

    def summary(self, fields: dict) -> None:
        """The end of the run: a table on stdout (text) or a ``summary`` event (json)."""
        if self.quiet:
            return
        with self._lock:
            self._clear()
            self.err.flush()
            if self.format == "json":
                self._json("summary", fields)
                return
            rows = [
                ("inputs", f"{fields['inputs']:,}"), ("documents", f"{fields['documents']:,}"),
                ("errors", f"{fields['errors']:,}"), ("passages", f"{fields['passages']:,}"),
                ("passage clusters", f"{fields['clusters']:,}"),
                ("near-duplicate passages", f"{fields['duplicate_passages']:,}"),
                ("near-duplicate documents", f"{fields['duplicate_documents']:,}"),
                ("time", f"{fields['wall_seconds']:.1f}s"),
            ]
            if fields.get("history_documents") is not None:
                rows.append(("matched against history", f"{fields['history_documents']:,} documents"))
            width = max(len(value) for _, value in rows)
            where = fields["output"] + (f" (run_date={fields['run_date']})" if fields.get("run_date") else "")
            committed = fields.get("committed_before") or 0
            lines = [
                f"cleanwire: {_counted(fields['inputs'], 'input')} -> {_counted(fields['documents'], 'document')} + "
                f"{_counted(fields['errors'], 'error')}" + (f" + {committed:,} committed by earlier runs" if committed else "")
                + f"; wrote {where}" + (f"; added the run to {fields['history']}" if fields.get("history") else "")
            ]
            by_format = fields.get("by_input_format") or {}
            if len(by_format) > 1 or fields["errors"]:
                lines += [
                    f"  {name + ':':<7}{_counted(n['inputs'], 'input')} -> {_counted(n['documents'], 'document')} + "
                    f"{_counted(n['errors'], 'error')}"
                    + (f" + {n['committed_before']:,} committed" if n.get("committed_before") else "")
                    for name, n in by_format.items()
                ]
            self.out.write("\n".join(lines) + "\n" + "".join(f"  {name:<26}{value:>{width}}\n" for name, value in rows))
            self.out.flush()


def _counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless one: "1 error", "12,000 inputs"."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _count_local_inputs(inputs: list[InputSpec], exclude: tuple[str, ...] = ()) -> int | None:
    """Files the local ``inputs`` match (each once), listed as the read stage lists
    them; ``None`` when an input is remote (counting it could take long)."""
    found: set[str] = set()
    for spec in inputs:
        if not is_local(spec.pattern):
            return None
        found.update(path for path, _ in local_matches(spec, exclude))
    return len(found)


class _Watcher:
    def __init__(self, reporter: Reporter, inputs: list[InputSpec], exclude: tuple[str, ...], directory: str) -> None:
        self.reporter, self.inputs, self.exclude, self.directory = reporter, inputs, exclude, directory
        self.started = time.monotonic()
        self.wall_start = time.time()  # workers stamp stage starts with wall time
        self.stop = threading.Event()
        self.seen: list[str] = []
        self.total: int | None = None
        self.last_shown: tuple | None = None
        self.last_time = 0.0
        self.every = _EVERY["tty" if reporter.live else reporter.format]
        self.thread = threading.Thread(target=self._loop, name="cleanwire-progress", daemon=True)

    def _read(self) -> tuple[dict[str, int], dict[str, float], str | None]:
        """Counters summed over the workers' files, the earliest start of each stage,
        and the stage of the file written last."""
        counts: dict[str, int] = {}
        started: dict[str, float] = {}
        latest, running = -1.0, None
        try:
            names = sorted(os.listdir(self.directory))
        except OSError:
            return counts, started, running
        for name in names:
            if not name.endswith(".json"):
                continue
            try:
                with open(os.path.join(self.directory, name), encoding="utf-8") as handle:
                    state = json.load(handle)
            except (OSError, ValueError):
                continue  # being replaced right now; the next poll reads it
            for key, value in state.get("counts", {}).items():
                counts[key] = counts.get(key, 0) + value
            for stage, when in state.get("started", {}).items():
                started[stage] = min(when, started.get(stage, when))
            if state.get("time", 0) > latest:
                latest, running = state["time"], state.get("stage")
        return counts, started, running

    def poll(self, final: bool = False) -> None:
        counts, started, running = self._read()
        elapsed = time.monotonic() - self.started
        for stage in sorted((s for s in started if s not in self.seen), key=lambda s: (started[s], s)):
            self.seen.append(stage)
            self.reporter.stage(stage, max(0.0, started[stage] - self.wall_start))
        if final:
            return
        shown = (running, counts.get("read.files", 0))
        now = time.monotonic()
        if shown != self.last_shown and now - self.last_time >= self.every:
            self.last_shown, self.last_time = shown, now
            self.reporter.progress(running, shown[1], self.total, elapsed)

    def _loop(self) -> None:
        try:
            self.total = _count_local_inputs(self.inputs, self.exclude)
            while not self.stop.wait(_POLL_SECONDS):
                self.poll()
        except (OSError, ValueError):
            pass  # stderr closed (a pipe whose reader left): the run goes on without a display


class watch:  # noqa: N801 - used as a context manager, named like one
    """Show the progress of the pipeline run inside the ``with`` block.

    ``inputs``: what the run reads (to count the inputs, leaving out ``exclude``, the
    run's own output); ``runner``: the runner's
    name; ``local``: whether it runs here (progress is shown for Beam's local runners;
    others get one line saying where to look).  Sets ``CLEANWIRE_PROGRESS_DIR`` for the block (worker processes
    started in it inherit it) and restores it after; removes its directory.
    """

    def __init__(self, reporter: Reporter, inputs: list[InputSpec], runner: str = "DirectRunner",
                 local: bool = True, exclude: tuple[str, ...] = ()) -> None:
        self.reporter, self.inputs, self.exclude = reporter, inputs, exclude
        self.runner, self.local = runner, local
        self.watcher: _Watcher | None = None
        self.directory: str | None = None
        self.previous: str | None = None

    def __enter__(self) -> "watch":
        if self.reporter.quiet:
            return self
        if not self.local:
            self.reporter.stage("run", 0.0, runner=self.runner,
                                note=f"on {self.runner}: its own UI shows the stages; cleanwire reports at the end")
            return self
        self.directory = tempfile.mkdtemp(prefix="cleanwire-progress-")
        self.previous = os.environ.get(worker_progress.ENV)
        os.environ[worker_progress.ENV] = self.directory
        self.watcher = _Watcher(self.reporter, self.inputs, self.exclude, self.directory)
        self.watcher.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.watcher is None:
            return
        self.watcher.stop.set()
        self.watcher.thread.join()
        if exc_info[0] is None:
            self.watcher.poll(final=True)
        if self.previous is None:
            os.environ.pop(worker_progress.ENV, None)
        else:
            os.environ[worker_progress.ENV] = self.previous
        shutil.rmtree(self.directory, ignore_errors=True)


def _clusters(passages: str) -> int:
    """Distinct passage clusters in the passages dataset ``passages`` (a local or remote
    directory of Parquet files, read through Beam's file systems with the run's
    options): one column read, file by file, counted by pyarrow."""
    distinct = []
    for path in list_paths(FileSystems.join(passages, "*.parquet")):
        with FileSystems.open(path) as handle:
            distinct.append(pc.unique(pq.read_table(handle, columns=["cluster_id"])["cluster_id"]))
    if not distinct:
        return 0
    return int(pc.count_distinct(pa.chunked_array(distinct, type=distinct[0].type)).as_py())  # nulls skipped


def summarise(reporter: Reporter, manifest: dict, out: str, passages: str | None = None) -> None:
    """Report the end of a run from its manifest and its published output ``out``
    (whose passages dataset is ``passages``, default ``out/passages``)."""
    if reporter.quiet:
        return
    counts = manifest["counts"]
    run = manifest.get("run") or {}
    history = run.get("history") or {}
    reporter.summary({
        "inputs": counts["inputs"], "documents": counts["documents"], "errors": counts["errors"],
        "committed_before": counts.get("committed_before", 0),
        "passages": counts["passages"], "clusters": _clusters(passages or os.path.join(out, "passages")),
        "duplicate_passages": counts["duplicate_passages"],
        "duplicate_documents": counts["duplicate_documents"], "wall_seconds": manifest["wall_seconds"], "output": out,
        "run_date": run.get("run_id"), "history": history.get("dir"), "history_documents": history.get("documents_matched"),
        "by_input_format": manifest.get("by_input_format", {}),
    })
