"""Stage 3, rank: put documents in canonical order, distributed.

Canonical order (earliest ``published`` first, undated after dated, then by ``uri``)
decides which copy of a duplicate is canonical.  Ranking is a distributed sample
sort: approximate quantiles of the order keys split documents into range partitions;
each partition is sorted on its own; per-partition counts give every document its
exact global rank.  No step holds all documents; the partition boundaries are only
approximate, but ranks are exact, so everything derived from them is deterministic.
"""

from __future__ import annotations

import bisect

import apache_beam as beam
from apache_beam.pvalue import AsSingleton

from cleanwire.model import CleanDocument, PartitionIndex, RankedBatch
from transforms.stats import StageStats

__all__ = ["RankDocuments"]


def _order_key(doc: CleanDocument) -> tuple:
    return doc.order_key()


def _interior(quantiles: list) -> list:
    """Boundaries between partitions: the quantiles without the minimum and maximum."""
    return quantiles[1:-1]


def _assign(doc: CleanDocument, boundaries: list) -> tuple[int, CleanDocument]:
    return bisect.bisect_right(boundaries, doc.order_key()), doc


class _SortPartition(beam.DoFn):
    def setup(self) -> None:
        self.stats = StageStats("rank")

    def process(self, element, index: PartitionIndex):
        partition, docs = element
        with self.stats.timed():
            ordered = sorted(docs, key=_order_key)
        self.stats.count("documents", len(ordered))
        self.stats.count("partitions")
        yield RankedBatch(partition=partition, first_rank=index.first_rank(partition), docs=ordered)


class RankDocuments(beam.PTransform):
    """``CleanDocument``s -> ``RankedBatch``es, one per non-empty range partition.

    Returns ``(batches, index)`` where ``index`` is a one-element PCollection holding
    the ``PartitionIndex`` (use it as a singleton side input)."""

    def __init__(self, partitions: int) -> None:
        super().__init__()
        if partitions < 1:
            raise ValueError(f"partitions must be at least 1, got {partitions}")
        self._partitions = partitions

    def expand(self, docs):
        boundaries = (
            docs
            | "OrderKeys" >> beam.Map(_order_key)
            | "Quantiles" >> beam.ApproximateQuantiles.Globally(self._partitions + 1)
            | "Boundaries" >> beam.Map(_interior)
        )
        keyed = docs | "Partition" >> beam.Map(_assign, AsSingleton(boundaries, default_value=[]))
        index = (
            keyed
            | "Ones" >> beam.Map(lambda kv: (kv[0], 1))
            | "Count" >> beam.CombinePerKey(sum)
            | "Counts" >> beam.combiners.ToList()
            | "Index" >> beam.Map(PartitionIndex.from_counts)
        )
        batches = (
            keyed
            | "Group" >> beam.GroupByKey()
            | "Sort" >> beam.ParDo(_SortPartition(), AsSingleton(index))
        )
        return batches, index
