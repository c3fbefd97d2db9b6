"""cleanwire end to end versus datatrove's MinHash dedup, on the same corpus and cores.

    python benchmarks/make_corpus.py --docs 20000 --out /tmp/corpus-20k
    python benchmarks/end_to_end.py /tmp/corpus-20k --workers 2

Runs, one after the other in this invocation:

* cleanwire (``cleanwire run CORPUS/text``, or ``CORPUS/html`` with ``--format html``)
  on DirectRunner with ``--direct_running_mode=multi_processing`` and ``--workers``
  workers: clean, segment, passage and document MinHash, LSH, verify, cluster, write;
* datatrove's local MinHash dedup (4 stages) on ``CORPUS/jsonl`` with the whitespace
  tokenizer on 1 and on ``--workers`` workers, and with its default tokenizer when its
  NLTK data is available (``--skip-datatrove`` to leave them out);
* with ``--format html``, trafilatura alone on the same pages (``extract`` per page in
  ``--workers`` processes), the reference for HTML throughput.

Prints documents per second, peak resident memory (all processes), the ratio to the
fastest datatrove configuration, cleanwire's CPU seconds per stage from its
manifest and the wall time at which each of its stages started (from its JSON log).  Needs the ``bench`` extra (``pip install -e '.[bench]'``).
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

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
CLEANWIRE = str(Path(sys.executable).with_name("cleanwire"))


def _count_docs(corpus: Path, fmt: str) -> int:
    return sum(1 for _ in (corpus / fmt).rglob(f"*.{'txt' if fmt == 'text' else 'html'}"))


def _row(name: str, docs: int, seconds: float, rss: float, note: str = "") -> dict:
    return {"name": name, "seconds": round(seconds, 2), "docs_per_s": round(docs / seconds, 1), "peak_rss_mb": round(rss), "note": note}


def run_cleanwire(corpus: Path, fmt: str, workers: int, scratch: Path, extra: list[str]) -> tuple[dict, dict]:
    out = scratch / "cleanwire-out"
    command = [CLEANWIRE, "run", str(corpus / fmt), "--output", str(out), "--log-format", "json",
               "--direct_running_mode=multi_processing", f"--direct_num_workers={workers}", *extra]
    measured = measure(command)
    if measured.returncode != 0:
        raise SystemExit(f"cleanwire failed:\n{measured.output[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["stage_starts"] = _stage_starts(measured.output)
    shutil.rmtree(out, ignore_errors=True)
    docs = manifest["counts"]["inputs"]
    note = (f"{manifest['counts']['duplicate_passages']} dup passages, {manifest['counts']['duplicate_documents']} dup docs; "
            f"runner process peak {measured.peak_main_rss_mb:,.0f} MB")
    return _row(f"cleanwire ({workers} workers)", docs, measured.seconds, measured.peak_rss_mb, note), manifest


def _stage_starts(log: str) -> list[tuple[str, float]]:
    """``(stage, seconds since start)`` of each stage start in cleanwire's JSON log."""
    starts = []
    for line in log.splitlines():
        if line.startswith("{") and '"event": "stage"' in line:
            event = json.loads(line)
            starts.append((event["stage"], event["elapsed_seconds"]))
    return starts


def run_datatrove(corpus: Path, workers: int, tokenizer: str, scratch: Path, docs: int) -> dict | None:
    work = scratch / f"datatrove-{tokenizer}-{workers}"
    command = [PYTHON, str(HERE / "datatrove_minhash.py"), "--jsonl", str(corpus / "jsonl"), "--work", str(work),
               "--workers", str(workers), "--tokenizer", tokenizer]
    measured = measure(command)
    shutil.rmtree(work, ignore_errors=True)
    name = f"datatrove {tokenizer} tokenizer ({workers} worker{'s' if workers > 1 else ''})"
    if measured.returncode != 0:
        print(f"# {name} did not run: {measured.output.strip().splitlines()[-1][:200]}", file=sys.stderr)
        return None
    return _row(name, docs, measured.seconds, measured.peak_rss_mb)


def run_trafilatura(corpus: Path, workers: int, docs: int) -> dict:
    measured = measure([PYTHON, str(HERE / "trafilatura_alone.py"), str(corpus / "html"), "--workers", str(workers)])
    if measured.returncode != 0:
        raise SystemExit(f"trafilatura benchmark failed:\n{measured.output[-2000:]}")
    return _row(f"trafilatura.extract alone ({workers} workers)", docs, measured.seconds, measured.peak_rss_mb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder made by make_corpus.py")
    parser.add_argument("--workers", type=int, default=2, help="processes for every tool compared (default 2)")
    parser.add_argument("--format", choices=["text", "html"], default="text",
                        help="cleanwire reads CORPUS/text (default) or CORPUS/html; html adds trafilatura alone")
    parser.add_argument("--skip-datatrove", action="store_true", help="run cleanwire only (and trafilatura with --format html)")
    parser.add_argument("--cleanwire-arg", action="append", default=[], help="extra argument for cleanwire run (repeatable)")
    args = parser.parse_args()
    docs = _count_docs(args.corpus, args.format)
    print(f"# corpus {args.corpus} ({args.format}): {docs} documents; {os.cpu_count()} cores")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cleanwire-bench-") as tmp:
        scratch = Path(tmp)
        cleanwire_row, manifest = run_cleanwire(args.corpus, args.format, args.workers, scratch, args.cleanwire_arg)
        rows.append(cleanwire_row)
        if args.format == "html":
            rows.append(run_trafilatura(args.corpus, args.workers, docs))
        elif not args.skip_datatrove:
            for tokenizer, workers in (("whitespace", 1), ("whitespace", args.workers), ("default", args.workers)):
                row = run_datatrove(args.corpus, workers, tokenizer, scratch, docs)
                if row:
                    rows.append(row)
    width = max(len(r["name"]) for r in rows)
    print(f"{'configuration':{width}s}  {'seconds':>8s}  {'docs/s':>8s}  {'peak RSS MB':>11s}  ratio")
    reference = rows[1:] and max(rows[1:], key=lambda r: r["docs_per_s"])
    for row in rows:
        ratio = f"{row['docs_per_s'] / reference['docs_per_s']:.2f}x" if reference else ""
        print(f"{row['name']:{width}s}  {row['seconds']:8.1f}  {row['docs_per_s']:8.1f}  {row['peak_rss_mb']:11d}  {ratio}  {row['note']}")
    if reference:
        print(f"# cleanwire / {reference['name']}: {rows[0]['docs_per_s'] / reference['docs_per_s']:.2f}x")
    print("# cleanwire CPU seconds per stage (summed over workers):")
    for stage, stats in manifest["stages"].items():
        if "cpu_seconds" in stats:
            print(f"#   {stage:18s} {stats['cpu_seconds']:8.2f}")
    print("# cleanwire stage starts (wall seconds since the start; a stage runs until about the next one):")
    print("#   " + ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in manifest["stage_starts"]))
    print("# JSON " + json.dumps({"docs": docs, "rows": rows, "stages": {k: v.get("cpu_seconds") for k, v in manifest["stages"].items()}}))


if __name__ == "__main__":
    main()
