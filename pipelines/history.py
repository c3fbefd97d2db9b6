"""The history store (``--history DIR``): what earlier runs saw, for later runs to match.

Layout of ``DIR``::

    history.json                      the log: committed runs, in order, and the
                                      matching parameters every run must share
    runs/run_date=D.<nonce>/part-*.parquet
                                      one file per output block of run D (schema
                                      ``schemas.HISTORY``): each document's rank, id,
                                      passages, shingles, LSH signatures and which of its
                                      passages were linked to an earlier one

A run matches its documents against the files of the runs committed *before* it (so
re-running a night sees exactly what it saw the first time), gives its documents the
ranks after theirs (history first in canonical order), and writes its own files into
its staging directory.  Only after the run's outputs are published does
``commit`` move the files into ``runs/`` and rewrite ``history.json`` in one atomic
step; until then the log, which readers trust, is unchanged.  A run killed at any point
leaves the history as it was (at worst an unreferenced directory, removed by
``prune``).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from cleanwire.params import DedupParams
from pipelines import output
from pipelines.output import is_local, list_paths, remove_tree
from pipelines.usage import OneLineErrors, iso_date
from transforms.history import WORK_DIR

__all__ = [
    "HistoryError", "HistoryPlan", "LOG", "check_commit", "commit", "documents_digest", "load_log", "main", "plan_run",
    "prune",
]

LOG = "history.json"
_FORMAT = 1


class HistoryError(Exception):
    """The history cannot be used as asked; the message says why and what to do."""


def _shown(value) -> str:
    """A matching parameter as the command line writes it (bands as ``24x2``)."""
    return "x".join(map(str, value)) if isinstance(value, list) else str(value)


def matching_key(params: DedupParams) -> dict:
    """The parameters that a history's signatures and shingles depend on: every run
    that uses a history must share them."""
    return {
        "ngram": params.ngram, "num_perm": params.num_perm, "seed": params.seed, "min_words": params.min_words,
        "signature_width": params.signature_width,
        "passage_bands": list(params.passage_bands), "doc_bands": list(params.doc_bands),
    }


def load_log(history: str) -> dict:
    """The history's log (an empty one for a new history)."""
    path = FileSystems.join(history, LOG)
    if not FileSystems.exists(path):
        return {"format": _FORMAT, "matching": None, "runs": []}
    with FileSystems.open(path) as handle:
        log = json.loads(handle.read().decode("utf-8"))
    if log.get("format") != _FORMAT:
        raise HistoryError(f"{path} has format {log.get('format')!r}; this cleanwire reads format {_FORMAT}")
    return log


def _write_log(history: str, log: dict) -> None:
    data = json.dumps(log, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    path = FileSystems.join(history, LOG)
    if is_local(history):
        temporary = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)  # atomic: readers see the old log or the new one
    else:
        with FileSystems.create(path) as handle:  # an object write is atomic
            handle.write(data)


def holds_run(history: dict) -> bool:
    """Whether the history store ``history["dir"]`` has recorded run ``history["run_id"]``
    with the documents digest ``history["digest"]`` (for a publication interrupted while
    the run recorded itself, see ``output.recover_publications``)."""
    try:
        log = load_log(history["dir"])
    except (HistoryError, OSError, ValueError):
        return False
    return any(run["run_id"] == history["run_id"] and run.get("documents_digest") == history["digest"]
               for run in log["runs"])


def check_dataset_root(out: str, run_date: str, history: str | None) -> None:
    """Refuse to add the dated run ``run_date`` to the dataset root ``out`` unless the
    root's latest other run belongs to the same history (``history``, or None for runs
    without one): the same store id, or for runs recorded before stores had ids, a log
    that holds that run.  Only runs of one history continue one canonical order; mixed,
    the root's ``doc_id``s and ``canonical_rank``s would repeat across its partitions."""
    latest = output.latest_other_run(out, run_date)
    if latest is None:
        return
    run_id, earlier, earlier_id = latest
    if history is None and earlier is None:
        return
    if history is not None and earlier is not None:
        log = load_log(history)
        if earlier_id or log.get("id"):
            if earlier_id == log.get("id"):
                return
        elif any(run["run_id"] == run_id for run in log["runs"]) or (not log["runs"] and log.get("end_rank", 0) > 0):
            return  # the latest run is in the log (or every run was pruned away)
    theirs = f"--history {earlier}" if earlier else "no --history"
    ours = f"--history {history}, whose log does not hold that run" if history and earlier else (
        f"--history {history}" if history else "no --history")
    raise HistoryError(
        f"--output {out} holds runs made with {theirs} (the latest: {run_id}) and this run has {ours}: runs of one "
        "dataset root share one history, or their ids and ranks repeat; use that history, or another --output")


@dataclass(frozen=True)
class HistoryPlan:
    """How a run uses the history: its id, the rank its documents start at, the
    history files it matches against (``(first_rank, path)``, in rank order), and the
    log entry it replaces when it re-runs a committed run."""

    history: str
    run_id: str
    base: int
    files: tuple[tuple[int, str], ...]
    replaces: dict | None
    later_runs: int
    documents: int = 0  # in the runs matched against
    history_id: str = ""  # the store's id (its log's "id"; a new store gets one at its first commit)


def plan_run(history: str, run_id: str, params: DedupParams) -> HistoryPlan:
    """Plan run ``run_id`` against the history in ``history``.

    Raises ``HistoryError`` when the history was built with other matching parameters,
    or when ``run_id`` is earlier than a committed run it does not replace (a later run
    already used ranks after the history's end)."""
    log = load_log(history)
    if log["matching"] is not None and log["matching"] != matching_key(params):
        ours = matching_key(params)
        differences = ", ".join(
            f"{name.replace('_', '-')}: history {_shown(log['matching'].get(name))}, this run {_shown(ours.get(name))}"
            for name in sorted(set(ours) | set(log["matching"])) if log["matching"].get(name) != ours.get(name))
        raise HistoryError(
            f"the history {history} was built with other matching options ({differences}); "
            "run with the history's options, or give a new --history directory"
        )
    runs = log["runs"]
    if not any(run["run_id"] == run_id for run in runs):
        later = [run["run_id"] for run in runs if run["run_id"] > run_id]
        if later:
            raise HistoryError(
                f"the history {history} already holds runs after {run_id} ({', '.join(later)}); a run can only be "
                "added after the last one or re-run in place: give a later --run-date, or a new --history directory"
            )
    position, base, replaces, later_runs = _placement(log, run_id)
    earlier = runs[:position]
    files = tuple(
        (entry["first_rank"], FileSystems.join(history, run["dir"], entry["name"]))
        for run in earlier for entry in run["files"]
    )
    return HistoryPlan(history, run_id, base, files, replaces, later_runs, sum(run["documents"] for run in earlier),
                       log.get("id") or uuid.uuid4().hex)


def _placement(log: dict, run_id: str) -> tuple[int, int, dict | None, int]:
    """Where run ``run_id`` goes in the log: ``(position, first rank, the entry it
    replaces or None, number of runs after it)``.  Ranks continue after the last run
    ever committed, even when pruning has dropped it from the log (the log keeps its
    end rank)."""
    runs = log["runs"]
    position = next((k for k, run in enumerate(runs) if run["run_id"] == run_id), len(runs))
    replaces = runs[position] if position < len(runs) else None
    if position:
        base = runs[position - 1]["end_rank"]
    else:
        base = replaces["first_rank"] if replaces else log.get("end_rank", 0)
    return position, base, replaces, len(runs) - position - 1 if replaces else 0


def _row_files(staging: str) -> list[str]:
    """The run's history row files in ``staging``, sorted by name."""
    return list_paths(FileSystems.join(staging, WORK_DIR, "*.parquet"))


def documents_digest(staging: str) -> str:
    """A digest of the ids of the documents a run wrote to its history rows in
    ``staging`` (in rank order, so a change of order changes it too)."""
    digest = hashlib.blake2b(digest_size=16)
    for path in _row_files(staging):
        with FileSystems.open(path) as handle:
            table = pq.read_table(handle, columns=["rank", "doc_id"]).sort_by("rank")
        for doc_id in table.column("doc_id").to_pylist():
            digest.update(doc_id.encode("ascii"))
    return digest.hexdigest()


def check_commit(plan: HistoryPlan, documents: int, digest: str | None = None) -> None:
    """Refuse, before anything is published, a re-run that would not fit in place (a
    run with later runs after it must keep its documents, ``digest`` of
    ``documents_digest``: later runs link to them by rank and id), and a run whose
    history another run changed meanwhile."""
    if plan.replaces and plan.later_runs:
        before = plan.replaces.get("documents_digest")
        if plan.replaces["documents"] != documents or (before and digest and before != digest):
            committed = plan.replaces["documents"]
            how = (f"it has {documents:,} documents, the committed run {committed:,}" if committed != documents
                   else f"it has the same number of documents ({documents:,}), but not the same documents")
            raise HistoryError(
                f"run {plan.run_id} is followed by {plan.later_runs} later run(s) that link to its documents, and "
                f"this re-run's documents differ from those committed ({how}); re-run it with the input it "
                "had, or start a new --history directory"
            )
    _check_unchanged(plan)


def _check_unchanged(plan: HistoryPlan) -> None:
    """Raise ``HistoryError`` when the log no longer is what ``plan`` was made from:
    another run committed to the history while this one ran (two runs on one history
    at a time would give documents the same ranks)."""
    _, base, replaces, later_runs = _placement(load_log(plan.history), plan.run_id)
    if (base, (replaces or {}).get("dir"), later_runs) != (plan.base, (plan.replaces or {}).get("dir"), plan.later_runs):
        raise HistoryError(
            f"another run changed the history {plan.history} while this one ran; nothing of this run was kept: "
            "run one job at a time per history, then re-run this date"
        )


def commit(plan: HistoryPlan, staging: str, params: DedupParams, documents: int, digest: str | None = None) -> None:
    """Move the run's history files from ``staging`` into the history and record the
    run in the log (atomically); remove the files of the run it replaces.  Raises
    ``HistoryError``, recording nothing, when another run changed the log meanwhile."""
    _check_unchanged(plan)
    sources = _row_files(staging)
    directory = f"runs/run_date={plan.run_id}.{uuid.uuid4().hex[:8]}"
    target = FileSystems.join(plan.history, directory)
    if not FileSystems.exists(target):
        FileSystems.mkdirs(target)
    names = [os.path.basename(path) for path in sources]
    files = []
    for path, name in zip(sources, names):
        with FileSystems.open(path) as handle:
            ranks = pq.read_table(handle, columns=["rank"]).column("rank")
        if len(ranks):
            files.append({"name": name, "first_rank": int(ranks[0].as_py())})
    if sources:
        FileSystems.rename(sources, [FileSystems.join(target, name) for name in names])
    log = load_log(plan.history)
    entry = {
        "run_id": plan.run_id, "first_rank": plan.base, "end_rank": plan.base + documents, "documents": documents,
        "dir": directory, "files": sorted(files, key=lambda f: f["first_rank"]), "documents_digest": digest,
        "committed": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    runs = sorted([run for run in log["runs"] if run["run_id"] != plan.run_id] + [entry], key=lambda run: run["first_rank"])
    log = {"format": _FORMAT, "id": log.get("id") or plan.history_id, "matching": matching_key(params), "runs": runs,
           "end_rank": runs[-1]["end_rank"]}
    _write_log(plan.history, log)
    if plan.replaces:
        remove_tree(FileSystems.join(plan.history, plan.replaces["dir"]))


_RETENTION = re.compile(r"^(\d+)d$")


def prune(history: str, older_than: str, today: date | None = None) -> list[str]:
    """Drop from the history the runs whose date is more than ``older_than`` (``90d``)
    before ``today`` (UTC), and any directory no committed run refers to and any
    half-written log (left by a killed run).  Returns the run ids dropped.  The log is rewritten first, so a prune
    stopped midway leaves only unreferenced files behind."""
    match = _RETENTION.match(older_than)
    if not match:
        raise HistoryError(f"--older-than {older_than!r}: give a number of days, e.g. 90d")
    cutoff = (today or datetime.now(timezone.utc).date()) - timedelta(days=int(match.group(1)))
    log = load_log(history)
    dropped = [run for run in log["runs"] if date.fromisoformat(run["run_id"]) < cutoff]
    kept = [run for run in log["runs"] if run not in dropped]
    if dropped:
        _write_log(history, {**log, "runs": kept})
    referenced = {run["dir"] for run in kept}
    runs_dir = os.path.join(history, "runs")
    if is_local(history) and os.path.isdir(runs_dir):
        for name in sorted(os.listdir(runs_dir)):
            if f"runs/{name}" not in referenced:
                shutil.rmtree(os.path.join(runs_dir, name), ignore_errors=True)
    if is_local(history):  # a log being written when its run was killed
        for leftover in glob.glob(glob.escape(os.path.join(history, LOG)) + ".*.tmp"):
            os.remove(leftover)
    return [run["run_id"] for run in dropped]


def main(argv: list[str], prog: str = "cleanwire history") -> int:
    """``cleanwire history prune DIR --older-than 90d``; returns the exit status."""
    parser = OneLineErrors(prog=prog, description="Manage a cleanwire history store (--history DIR).")
    commands = parser.add_subparsers(dest="command", required=True)
    pruning = commands.add_parser(
        "prune", help="drop runs older than a retention window",
        description="Drop from the history the runs dated more than --older-than before today (UTC), and files "
        "that no committed run refers to (left by killed runs). Later runs keep matching against the rest. "
        "Do not prune while a run that uses the history is going.")
    pruning.add_argument("history", metavar="DIR", help="the history store")
    pruning.add_argument("--older-than", required=True, metavar="Nd", help="retention window in days, e.g. 90d")
    pruning.add_argument("--today", type=iso_date, metavar="YYYY-MM-DD",
                         help="the date to count back from (default: today, UTC)")
    args = parser.parse_args(argv)
    if not FileSystems.exists(FileSystems.join(args.history, LOG)):
        pruning.error(f"{args.history} is not a cleanwire history store (no {LOG})")
    try:
        dropped = prune(args.history, args.older_than, args.today and date.fromisoformat(args.today))
    except HistoryError as exc:
        pruning.error(str(exc))
    kept = [run["run_id"] for run in load_log(args.history)["runs"]]
    print(f"{prog} prune: dropped {len(dropped)} run(s){': ' + ', '.join(dropped) if dropped else ''}; "
          f"{len(kept)} kept{': ' + kept[0] + ' to ' + kept[-1] if kept else ''}")
    return 0
