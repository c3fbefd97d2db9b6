"""The ``cleanwire report OUT`` command: write ``OUT/report.html`` for a finished run."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
import webbrowser
from pathlib import Path

from pipelines.usage import OneLineErrors, iso_date, positive_int

__all__ = ["CannotWriteError", "build_parser", "run", "write_report"]

REPORT = "report.html"


class CannotWriteError(Exception):
    """The report could not be written where it was to go; the message says where and
    what to do."""


def build_parser(prog: str = "cleanwire report") -> argparse.ArgumentParser:
    """The command line of ``cleanwire report``; ``--help`` explains every option.  Bad
    usage exits with status 2 and one line on stderr."""
    parser = OneLineErrors(
        prog=prog,
        description="Write OUT/report.html for the cleanwire output OUT: one self-contained page (no script, no "
        "network) with the run's counts, stage times and parameters, a per-source table and charts, the largest and "
        "the most cross-source passage clusters with the differing words marked, near-duplicate documents, a sample "
        "of removed boilerplate and distributions. What it shows is bounded (top clusters, aggregates), so the page "
        "stays small and fast for runs of any size; the same OUT always gives the same file.",
        epilog="The report is written through a temporary file and a rename: a reader never sees half a page. The "
        "next report of the same run replaces it, and a new run to OUT (or of the same date) removes it: report "
        "again after each run. Exit status: 0 when the report was written; 2 with one line "
        "on stderr for bad usage, an OUT that is not a complete, readable cleanwire output, or a report that "
        "cannot be written there (give --output); 1 for an unexpected failure (a bug: please report it).",
        allow_abbrev=False,
    )
    parser.add_argument("out", metavar="OUT", help="the --output directory of a finished `cleanwire run`")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the report to FILE instead (a directory: FILE/report.html), for an OUT you "
                        "cannot or would rather not write in")
    parser.add_argument("--run-date", metavar="YYYY-MM-DD", type=iso_date,
                        help="when OUT is a dataset root of dated runs (--run-date, --history): the run to show "
                        "(default: the latest); its report is written beside its manifest, "
                        "OUT/manifests/run_date=YYYY-MM-DD/report.html")
    parser.add_argument("--open", action="store_true", help="open the report in the default web browser when written")
    parser.add_argument("--top", type=positive_int, default=20, metavar="N",
                        help="clusters in each of the two cluster lists, largest and most cross-source (default %(default)s)")
    parser.add_argument("--members", type=positive_int, default=8, metavar="N",
                        help="documents whose passages are shown per cluster (default %(default)s)")
    parser.add_argument("--samples", type=positive_int, default=5, metavar="N",
                        help="documents in the boilerplate sample (default %(default)s)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    return parser


def write_report(
    out: str, *, run_date: str | None = None, top: int = 20, members: int = 8, samples: int = 5,
    output: str | os.PathLike | None = None,
) -> Path:
    """Render the report of the cleanwire output ``out`` (with ``run_date``, that dated
    run of the dataset root ``out``) and write it to ``output`` (a directory: there as
    ``report.html``), by default beside the run's manifest as ``report.html``; return its
    path.  Raises ``NotAnOutputError`` when ``out`` is not a readable cleanwire output and
    ``CannotWriteError`` when the file cannot be written (nothing is left behind)."""
    from cleanwire.report.aggregate import collect, run_files
    from cleanwire.report.render import render

    html = render(collect(out, run_date=run_date, top=top, members=members, samples=samples))
    if output is None:
        path = Path(run_files(out, run_date).manifest).with_name(REPORT)
    else:
        path = Path(output) / REPORT if os.path.isdir(output) else Path(output)
    # A temporary name of its own in the same directory, then a rename: a reader never sees
    # half a page, and two reports written at once never write into each other's file.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    try:
        with open(partial, "x", encoding="utf-8") as handle:
            handle.write(html)
        os.replace(partial, path)
    except OSError as exc:
        hint = "" if output is not None else "; write it elsewhere with --output FILE"
        raise CannotWriteError(f"cannot write the report to {path}: {exc.strerror or exc}{hint}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path


def run(argv: list[str] | None = None, prog: str = "cleanwire report") -> int:
    """Run the command; return the exit status (2 with a one-line message on bad usage)."""
    from cleanwire.report.aggregate import IncompleteRunError, NotAnOutputError, dated_runs

    parser = build_parser(prog)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    clock = time.perf_counter()
    dates = dated_runs(args.out)
    run_date = args.run_date or (dates[-1] if dates else None)
    try:
        path = write_report(args.out, run_date=run_date, top=args.top, members=args.members, samples=args.samples,
                            output=args.output)
    except IncompleteRunError as exc:
        others = [d for d in dates if d != run_date]
        # The latest run was chosen for the user: it may be the one still being written.
        hint = f"; or report an earlier run with --run-date {others[-1]}" if others and not args.run_date else ""
        parser.error(f"{exc}{hint}")
    except (NotAnOutputError, CannotWriteError) as exc:
        parser.error(str(exc))
    if not args.quiet:
        size = path.stat().st_size
        which = f" for the run of {run_date}" + ("" if args.run_date else f" (the latest of {len(dates)})") if run_date else ""
        print(f"cleanwire: wrote {path}{which} ({size / 1024:,.0f} KiB) in {time.perf_counter() - clock:.1f}s")
    if args.open and not webbrowser.open(path.resolve().as_uri()):
        print(f"cleanwire: no web browser found here; open {path.resolve().as_uri()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run(prog="python -m pipelines.report"))
