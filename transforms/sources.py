"""Stage 10, source totals: what cleaning removed from each source, for the manifest.

Per-document totals from the recurring-lines stage are summed per source with a
``CombinePerKey`` and joined with the number of recurring lines found for the source;
one small JSON file in the staging directory holds the result, which the driver moves
into ``manifest.json`` under ``sources``.
"""

from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

__all__ = ["SOURCES_FILE", "SourceTotals", "source_row"]

SOURCES_FILE = "sources.json"


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


class _WriteFn(beam.DoFn):
    def __init__(self, staging: str) -> None:
        self._staging = staging

    def process(self, rows):
        with FileSystems.create(FileSystems.join(self._staging, SOURCES_FILE)) as handle:
            handle.write(json.dumps(dict(sorted(rows)), indent=1, sort_keys=True).encode("utf-8"))
        yield len(rows)


class SourceTotals(beam.PTransform):
    """``{"totals": (source, (1, lines, chars, dropped)), "recurring": (source, hashes)}``
    -> ``SOURCES_FILE`` in ``staging``; outputs the number of sources."""

    def __init__(self, staging: str) -> None:
        super().__init__()
        self._staging = staging

    def expand(self, inputs):
        totals = inputs["totals"] | "Sum" >> beam.CombinePerKey(_sum_totals)
        recurring = inputs["recurring"] | "Count" >> beam.MapTuple(lambda source, hashes: (source, len(hashes)))
        return (
            {"totals": totals, "recurring": recurring}
            | "Join" >> beam.CoGroupByKey()
            | "Row" >> beam.MapTuple(source_row)
            | "All" >> beam.combiners.ToList()
            | "Write" >> beam.ParDo(_WriteFn(self._staging))
        )

