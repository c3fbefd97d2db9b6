"""Stage 5, LSH candidates: group band keys by key and pair the items of each bucket.

Band keys are grouped the Beam way, by a GroupByKey, but on *shards* of the key space
with the entries packed in numpy arrays: within a shard, one sort brings equal keys
together.  No process ever holds more than one shard's entries, and the runner sees a
few elements per partition and shard instead of one per band key.  Candidate pairs are
routed to the partitions that hold their two items, for verification.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.arrays import split_by_key
from cleanwire.dedup.candidates import bucket_pairs
from cleanwire.dedup.refs import doc_rank
from cleanwire.model import PartitionIndex
from transforms.stats import StageStats

__all__ = ["FindCandidates", "route_pairs"]


def route_pairs(level: str, u: np.ndarray, v: np.ndarray, index: PartitionIndex):
    """Yield ``(partition, (level, u, v))`` for every partition holding an end of a
    pair; a pair whose two ends share a partition goes there once."""
    partition_u = index.partition_of(doc_rank(u))
    partition_v = index.partition_of(doc_rank(v))
    partitions = np.concatenate((partition_u, partition_v[partition_v != partition_u]))
    rows = np.concatenate((np.arange(u.size), np.flatnonzero(partition_v != partition_u)))
    for partition, selected in split_by_key(partitions):
        chosen = rows[selected]
        yield partition, (level, u[chosen], v[chosen])


class _BucketFn(beam.DoFn):
    def __init__(self, level: str, cap: int) -> None:
        self._level = level
        self._cap = cap

    def setup(self) -> None:
        self.stats = StageStats(f"lsh_{self._level}")

    def process(self, element, index: PartitionIndex):
        _shard, chunks = element
        chunks = list(chunks)
        with self.stats.timed():
            keys = np.concatenate([keys for keys, _ in chunks])
            refs = np.concatenate([refs for _, refs in chunks])
            u, v = bucket_pairs(keys, refs, self._cap)
            routed = list(route_pairs(self._level, u, v, index))
        self.stats.count("entries", keys.size)
        self.stats.count("candidates", u.size)
        yield from routed


class FindCandidates(beam.PTransform):
    """``(shard, (keys, refs))`` entries -> ``(partition, (level, u, v))`` candidate
    pairs (see ``cleanwire.dedup.candidates.bucket_pairs``).  A pair found in several
    shards arrives several times; verification removes the repeats."""

    def __init__(self, level: str, cap: int, index) -> None:
        super().__init__()
        self._level = level
        self._cap = cap
        self._index = index

    def expand(self, entries):
        return (
            entries
            | "GroupShards" >> beam.GroupByKey()
            | "Buckets" >> beam.ParDo(_BucketFn(self._level, self._cap), beam.pvalue.AsSingleton(self._index))
        )
