"""Stage 10, source totals: what cleaning removed from each source, for the manifest.

Per-document totals from the recurring-lines stage are summed per source with a
``CombinePerKey`` and joined with the number of recurring lines found for the source.
The ``MAX_LISTED_SOURCES`` sources with the most documents (every source of most runs)
and the number of sources go, through combiners that hold no more than that many rows,
into one small JSON file in the staging directory, which the driver moves into
``manifest.json``: a flat folder of a million files is a million sources (each file
its own), and neither a worker nor the manifest should hold them all.
"""

from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

__all__ = ["MAX_LISTED_SOURCES", "SOURCES_FILE", "SourceTotals", "source_row"]

SOURCES_FILE = "sources.json"
MAX_LISTED_SOURCES = 10_000


def _sum_totals(values) -> tuple[int, ...]:
    """Element-wise sum of per-document totals (or of partial sums of them)."""
    return tuple(sum(column) for column in zip(*values)) or (0, 0, 0, 0)


def source_row(source: str, joined: dict) -> tuple[str, dict[str, int]]:
    """One source's entry: documents, removed lines and characters, recurring lines
    (distinct lines found recurring) and kept lines removed because they recur."""
    documents, lines, chars, dropped = next(iter(joined["totals"]), (0, 0, 0, 0))
    return source, {
        "documents": documents,
        "removed_lines": lines,
        "removed_chars": chars,
        "recurring_lines": next(iter(joined["recurring"]), 0),
        "recurring_lines_removed": dropped,
    }


def _by_size(row: tuple[str, dict[str, int]]) -> tuple:
    """Order of the listed sources, largest first: most documents, then most characters
    removed, then the name that sorts first (its code points negated, so that ``Top``,
    which keeps the largest keys, keeps it)."""
    source, entry = row
    return entry["documents"], entry["removed_chars"], tuple(-ord(c) for c in source) + (1,)


class _WriteFn(beam.DoFn):
    def __init__(self, staging: str) -> None:
        self._staging = staging

    def process(self, largest, count: int):
        listed = dict(sorted(largest))
        with FileSystems.create(FileSystems.join(self._staging, SOURCES_FILE)) as handle:
            handle.write(json.dumps({"count": count, "listed": listed}, indent=1, sort_keys=True).encode("utf-8"))
        yield count


class SourceTotals(beam.PTransform):
    """``{"totals": (source, (1, lines, chars, dropped)), "recurring": (source, hashes)}``
    -> ``SOURCES_FILE`` in ``staging``: ``{"count": sources, "listed": {source: entry}}``
    for the ``max_listed`` sources with the most documents; outputs the number of sources."""

    def __init__(self, staging: str, max_listed: int = MAX_LISTED_SOURCES) -> None:
        super().__init__()
        self._staging = staging
        self._max_listed = max_listed

    def expand(self, inputs):
        totals = inputs["totals"] | "Sum" >> beam.CombinePerKey(_sum_totals)
        recurring = inputs["recurring"] | "Count" >> beam.MapTuple(lambda source, hashes: (source, len(hashes)))
        rows = (
            {"totals": totals, "recurring": recurring}
            | "Join" >> beam.CoGroupByKey()
            | "Row" >> beam.MapTuple(source_row)
        )
        count = rows | "Sources" >> beam.combiners.Count.Globally()
        return (
            rows
            | "Largest" >> beam.combiners.Top.Of(self._max_listed, key=_by_size)
            | "Write" >> beam.ParDo(_WriteFn(self._staging), beam.pvalue.AsSingleton(count))
        )
