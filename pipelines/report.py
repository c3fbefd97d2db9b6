"""The ``cleanwire report OUT`` command: write ``OUT/report.html`` for a finished run."""

from __future__ import annotations

import argparse
import os
import sys
import time
import webbrowser
from pathlib import Path

from pipelines.usage import OneLineErrors, iso_date, positive_int

__all__ = ["build_parser", "run", "write_report"]

REPORT = "report.html"


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
        allow_abbrev=False,
    )
    parser.add_argument("out", metavar="OUT", help="the --output directory of a finished `cleanwire run`")
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


def write_report(out: str, *, run_date: str | None = None, top: int = 20, members: int = 8, samples: int = 5) -> Path:
    """Render the report of the cleanwire output ``out`` (with ``run_date``, that dated
    run of the dataset root ``out``) and write it beside the run's manifest as
    ``report.html`` (through a temporary file and a rename, so a reader never sees half a
    page); return its path.  Raises ``NotAnOutputError`` when ``out`` is not a
    cleanwire output."""
    from cleanwire.report.aggregate import collect, run_files
    from cleanwire.report.render import render

    html = render(collect(out, run_date=run_date, top=top, members=members, samples=samples))
    path = Path(run_files(out, run_date).manifest).with_name(REPORT)
    partial = path.with_name(f".{REPORT}.partial")
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, path)
    return path


def run(argv: list[str] | None = None, prog: str = "cleanwire report") -> int:
    """Run the command; return the exit status (2 with a one-line message on bad usage)."""
    from cleanwire.report.aggregate import NotAnOutputError, dated_runs

    parser = build_parser(prog)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    clock = time.perf_counter()
    dates = dated_runs(args.out)
    run_date = args.run_date or (dates[-1] if dates else None)
    try:
        path = write_report(args.out, run_date=run_date, top=args.top, members=args.members, samples=args.samples)
    except NotAnOutputError as exc:
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
