"""Stage 3, rank: put documents in canonical order, distributed.

Canonical order (earliest ``published`` first, undated after dated, then by ``uri``)
decides which copy of a duplicate is canonical.  Ranking is a distributed sample
sort: a sample of the order keys splits documents into range partitions; each
partition is sorted on its own; per-partition counts give every document its exact
global rank.  No step holds all documents: the sample is the ``SAMPLE_SIZE`` keys
with the smallest document ids, a hash, so it is uniform and does not depend on the
order in which the runner delivers the documents.  (Beam's approximate quantiles,
used before, did once their buffers filled, above about 250,000 keys, and with them
the partitions and the files each table is written to.)

The sample can come from the order keys of an earlier stage's documents (the
pipeline takes them from the extracted documents, before recurring lines are
removed, which changes no order key).  Then the boundaries are known as soon as the
recurring lines are, and the step that removes those lines assigns partitions in the
same pass: the runner holds the documents once before the grouping instead of twice.
"""

from __future__ import annotations

import bisect

import apache_beam as beam
from apache_beam.pvalue import AsSingleton

from cleanwire.model import CleanDocument, PartitionIndex, RankedBatch
from transforms.stats import StageStats

__all__ = ["RankDocuments", "units_for"]


def _order_key(doc) -> tuple:
    return doc.order_key()


def units_for(documents: int, partition_size: int, max_partitions: int) -> int:
    """How many partitions (and shards) a run of ``documents`` documents uses."""
    return max(1, min(max_partitions, -(-documents // partition_size)))


SAMPLE_SIZE = 1 << 16


def _sample_rank(key: tuple) -> str:
    """Where an order key stands in the sample draw: its document id (the key's last
    part), a hash, so the ``sample_size`` smallest are a uniform sample, the same
    whatever the order the keys arrive in."""
    return key[-1]


def _boundaries(sample: list, documents: int, partition_size: int, max_partitions: int) -> list:
    """Order keys that split the documents into partitions of about ``partition_size``:
    evenly spaced keys of the sorted ``sample``, repeated keys removed."""
    wanted = units_for(documents, partition_size, max_partitions)
    if wanted < 2 or len(sample) < 2:
        return []
    ordered = sorted(sample)
    return sorted({ordered[k * len(ordered) // wanted] for k in range(1, wanted)})


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

    A run of N documents gets ``ceil(N / partition_size)`` partitions (at most
    ``max_partitions``) and as many shards for keys, pairs and links: work units big
    enough that the runner's per-element cost is small, and enough of them to keep
    every worker busy.  Ranks start at ``base``; ``history`` lists the history files
    that precede them (see ``PartitionIndex``).  Returns ``(batches, index)`` where ``index`` is a one-element
    PCollection holding the ``PartitionIndex`` (use it as a singleton side input)."""

    def __init__(
        self, partition_size: int, max_partitions: int, base: int = 0, history: tuple = (), keyed_by=None,
        sample_size: int = SAMPLE_SIZE,
    ) -> None:
        """``keyed_by``: the documents whose order keys set the partition boundaries
        (default: the input's own); any collection with the input's order keys, or a
        superset of them, gives the same ranks.  ``sample_size``: how many order keys
        at most set the boundaries."""
        super().__init__()
        if partition_size < 1 or max_partitions < 1:
            raise ValueError("partition_size and max_partitions must be at least 1")
        self._partition_size = partition_size
        self._max_partitions = max_partitions
        self._base = base
        self._history = tuple(history)
        self._keyed_by = keyed_by
        self._sample_size = sample_size

    def expand(self, docs):
        keyed_by = docs if self._keyed_by is None else self._keyed_by
        documents = keyed_by | "CountDocuments" >> beam.combiners.Count.Globally()
        boundaries = (
            keyed_by
            | "OrderKeys" >> beam.Map(_order_key)
            | "Sample" >> beam.combiners.Top.Of(self._sample_size, key=_sample_rank, reverse=True)
            | "Boundaries" >> beam.Map(
                _boundaries, AsSingleton(documents), self._partition_size, self._max_partitions)
        )
        keyed = docs | "Partition" >> beam.Map(_assign, AsSingleton(boundaries, default_value=[]))
        index = (
            keyed
            | "Ones" >> beam.Map(lambda kv: (kv[0], 1))
            | "Count" >> beam.CombinePerKey(sum)
            | "Counts" >> beam.combiners.ToList()
            | "Index" >> beam.Map(
                lambda counts: PartitionIndex.from_counts(
                    counts, units_for(sum(n for _, n in counts), self._partition_size, self._max_partitions),
                    self._base, self._history))
        )
        batches = (
            keyed
            | "Group" >> beam.GroupByKey()
            | "Sort" >> beam.ParDo(_SortPartition(), AsSingleton(index))
        )
        return batches, index
