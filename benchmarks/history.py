"""What matching against a history costs: a small nightly run with and without it.

    python benchmarks/make_corpus.py --docs 20000 --out /tmp/corpus-20k
    python benchmarks/history.py /tmp/corpus-20k --new-docs 200 --workers 2

Splits ``CORPUS/text`` into a large part (all but ``--new-docs`` files) and a small
nightly batch (every k-th file, the same sources), then, in this one invocation:

1. builds a history from the large part (``cleanwire run --history H``; not timed as
   part of the comparison, but reported);
2. runs the small batch without a history, then with ``--history H``, ``--repeat``
   times each, alternating, and prints the wall times, peak RSS, the ratio, and how
   many of the batch's passages matched the history.

The history holds every matchable passage of the large part; ``--new-docs 200`` of the
generated corpus is about 10,000 new passages.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procmon import measure  # noqa: E402

CLEANWIRE = str(Path(sys.executable).with_name("cleanwire"))


def _split(corpus: Path, new_docs: int, scratch: Path) -> tuple[Path, Path]:
    files = sorted((corpus / "text").rglob("*.txt"))
    if new_docs >= len(files):
        raise SystemExit(f"--new-docs {new_docs} must be below the corpus size ({len(files)})")
    step = len(files) // new_docs
    new = set(files[step - 1::step][:new_docs])
    parts = {"history": scratch / "history-input", "new": scratch / "new-input"}
    for path in files:
        target = parts["new" if path in new else "history"] / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    return parts["history"], parts["new"]


def _run(arguments: list[str], workers: int) -> tuple[float, float, dict]:
    out = Path(arguments[arguments.index("--output") + 1])
    command = [CLEANWIRE, "run", *arguments, "--quiet",
               "--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]
    measured = measure(command)
    if measured.returncode != 0:
        raise SystemExit(f"cleanwire failed:\n{measured.output[-3000:]}")
    manifests = sorted(out.glob("manifests/*/manifest.json")) or [out / "manifest.json"]
    manifest = json.loads(manifests[-1].read_text())
    return measured.seconds, measured.peak_rss_mb, manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a corpus made by make_corpus.py (uses CORPUS/text)")
    parser.add_argument("--new-docs", type=int, default=200, help="documents in the nightly batch (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="DirectRunner workers (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each configuration (default %(default)s)")
    parser.add_argument("--scratch", type=Path, help="work directory (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="cleanwire-history-bench-"))
    try:
        history_input, new_input = _split(args.corpus, args.new_docs, scratch)
        store = scratch / "store"
        seconds, rss, built = _run([str(history_input), "--output", str(scratch / "history-out"), "--history", str(store),
                                    "--run-date", "2026-11-01"], args.workers)
        print(f"# history: {built['counts']['documents']} documents, {built['counts']['passages']} passages "
              f"({built['stages']['sign'].get('matchable_passages', 0):.0f} matchable), built in {seconds:.1f}s, "
              f"peak RSS {rss:.0f} MB; {args.workers} workers, {os.cpu_count()} cores")
        rows = {"without history": [], "with history": []}
        for attempt in range(args.repeat):
            for name in rows:
                extra = ["--history", str(store), "--run-date", "2026-11-02"] if name == "with history" else []
                out = scratch / f"out-{name.replace(' ', '-')}-{attempt}"
                rows[name].append(_run([str(new_input), "--output", str(out), *extra], args.workers))
                shutil.rmtree(out, ignore_errors=True)
        print(f"{'configuration':<20}{'best s':>10}{'runs s':>22}{'peak RSS MB':>14}{'passages':>10}{'dup passages':>14}")
        best = {}
        for name, measured in rows.items():
            best[name] = min(s for s, _, _ in measured)
            manifest = measured[-1][2]
            print(f"{name:<20}{best[name]:>10.2f}{', '.join(f'{s:.1f}' for s, _, _ in measured):>22}"
                  f"{max(r for _, r, _ in measured):>14.0f}{manifest['counts']['passages']:>10}"
                  f"{manifest['counts']['duplicate_passages']:>14}")
        print(f"# with / without history: {best['with history'] / best['without history']:.2f}x")
        print("# JSON " + json.dumps({name: [[round(s, 2), round(r)] for s, r, _ in measured] for name, measured in rows.items()}))
    finally:
        if not args.scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
