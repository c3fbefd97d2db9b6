"""The ``cleanwire`` command: ``cleanwire run INPUT... --output OUT`` and ``cleanwire report OUT``."""

from __future__ import annotations

import glob
import logging
import os
import signal
import sys
import traceback
import threading
from typing import NoReturn

__all__ = ["exit_after_run", "hold_signals", "main", "signal_received"]

_USAGE = """usage: cleanwire COMMAND [options]    (cleanwire --version: the installed version)

commands:
  run      clean and deduplicate inputs, write Parquet (cleanwire run --help)
  history  manage a history store: cleanwire history prune DIR --older-than 90d
  report   write OUT/report.html, a page showing what a run did (cleanwire report --help)
"""


def exit_after_run(status: int) -> NoReturn:
    """Leave the process with ``status`` once a pipeline run has returned, without
    finalising the interpreter.

    After a local ``multi_processing`` run the process sometimes aborted while Python
    shut down (``terminate called without an active exception``, exit status 134, in 3
    of about 100 runs of the seeds, always after the output was published and with no
    Python frame left): a native thread of one of the libraries outlives Python's
    finalisation.  A scheduler would have seen a failed run.  By then the run's work is
    done, so the streams and logging handlers are flushed and the process leaves at
    once; nothing cleanwire does depends on exit-time hooks."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(status)


def _descendants(pid: int) -> list[int]:
    """Process ids of the processes ``pid`` started, and theirs (read from /proc; none
    where there is no /proc).  The local runner starts each worker through a shell."""
    found, pending = [], [pid]
    while pending:
        for path in glob.glob(f"/proc/{pending.pop()}/task/*/children"):
            try:
                with open(path, encoding="ascii") as handle:
                    children = [int(child) for child in handle.read().split()]
            except (OSError, ValueError):
                continue
            found += children
            pending += children
    return found


_RECEIVED: list[int] = []  # the signals that asked the run to stop
_HOLDING: list[bool] = []  # non-empty once the run has started publishing (see hold_signals)


def hold_signals() -> None:
    """From now on, Ctrl-C and SIGTERM (as ``cleanwire run`` handles them) no longer stop
    the process: a run that starts publishing finishes (a few renames that must all
    happen or none; a signal among them left the output half swapped) and says so.  A
    signal that comes is recorded (``signal_received``) for the run to report."""
    _HOLDING.append(True)


def signal_received() -> int | None:
    """The signal that asked the run to stop, if one came (while held off)."""
    return _RECEIVED[0] if _RECEIVED else None


def _stop_cleanly_on_signals() -> list[int]:
    """Make Ctrl-C (SIGINT) and a scheduler's SIGTERM stop a run with
    ``KeyboardInterrupt`` in the main thread, so that it removes its staging directory,
    and from then on keep the tracebacks of the runner's threads and the workers' error
    logs, which come as the workers stop, off the terminal: one line says what
    happened.  Returns a list that receives the number of the signal that stopped the
    run."""
    received = _RECEIVED
    report = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if not received:
            report(args)

    def stop(signum, frame) -> None:
        received.append(signum)
        # The local runner's workers would report the bundles cut short as they stop
        # (Beam prints those tracebacks to stderr): noise once the run is being stopped
        # on purpose.  They hold nothing that outlives the run, so they end at once.
        logging.disable(logging.CRITICAL)
        for pid in _descendants(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if not _HOLDING:
            raise KeyboardInterrupt

    threading.excepthook = hook
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    return received


def main(argv: list[str] | None = None) -> None:
    """The ``cleanwire`` command: dispatch ``run``, ``report`` or ``history`` (``argv``
    defaults to ``sys.argv[1:]``); exits with the command's status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, end="")
        sys.exit(0 if argv else 2)
    if argv[0] == "--version":
        from cleanwire import __version__

        print(f"cleanwire {__version__}")
        sys.exit(0)
    command, rest = argv[0], argv[1:]
    if command == "run":
        # Beam's warnings (at import and during the run) are for --verbose only; the one
        # about optional cloud clients is dropped for every entry point (pipelines/__init__.py).
        if "-v" not in rest and "--verbose" not in rest:
            logging.getLogger().setLevel(logging.ERROR)
        from pipelines import clean_dedup

        received = _stop_cleanly_on_signals()
        try:
            status = clean_dedup.run(rest, prog="cleanwire run")
        except Exception:
            if not received:  # a failure, not a stop asked for: a bug or a runner failure
                traceback.print_exc()
                print("cleanwire run: the run failed (traceback above); nothing was published (OUT is unchanged)",
                      file=sys.stderr)
                exit_after_run(clean_dedup.FAILED)
            # The stop came inside a stage that Beam ran in this process (the default
            # in_memory mode), which wraps the KeyboardInterrupt in its own error.
            status = None
        except KeyboardInterrupt:
            status = None
        if status is None:
            # run() has removed its staging directory; OUT is as it was before the run.
            signum = received[0] if received else signal.SIGINT
            what = "terminated" if signum == signal.SIGTERM else "interrupted"
            print(f"cleanwire run: {what}; nothing was published (OUT is unchanged)", file=sys.stderr)
            exit_after_run(128 + signum)
        exit_after_run(status)
    if command == "history":
        logging.getLogger().setLevel(logging.ERROR)
        from pipelines import history

        sys.exit(history.main(rest, prog="cleanwire history"))
    if command == "report":
        from pipelines import report

        sys.exit(report.run(rest, prog="cleanwire report"))
    print(f"cleanwire: unknown command {command!r}; use one of: run, history, report", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
