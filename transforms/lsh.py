"""Stage 5, LSH candidates: group band keys by key and pair the items of each bucket.

Band keys are grouped the Beam way, by a GroupByKey, but on *shards* of the key space
with the entries packed in numpy arrays (8 bytes an entry): within a shard, one sort
brings equal keys together.  No process ever holds more than one shard's entries, and
the runner sees a few elements per partition and shard instead of one per band key.
A second grouping, by pair, adds up the bands in which two items collided (the pairs
travel packed, about 9 bytes each, see ``PackedPairs``); pairs with enough hits are
routed to the partition that holds their later item, for verification.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.arrays import pair_shard, split_by_key
from cleanwire.dedup.candidates import bucket_pairs, count_pairs, global_refs, pack_pairs, unpack_pairs
from cleanwire.dedup.refs import doc_rank, make_ref
from cleanwire.model import PartitionIndex
from transforms.stats import StageStats

__all__ = ["FindCandidates", "route_pairs"]


def route_pairs(level: str, u: np.ndarray, v: np.ndarray, index: PartitionIndex):
    """Yield ``(partition, (level, u, v))``: each pair goes to the partition holding its
    later item ``v``, which reads that side (see ``transforms.verify``)."""
    for partition, selected in split_by_key(index.partition_of(doc_rank(v))):
        yield partition, (level, u[selected], v[selected])


class _BucketFn(beam.DoFn):
    def __init__(self, level: str, cap: int) -> None:
        self._level = level
        self._cap = cap

    def setup(self) -> None:
        self.stats = StageStats(f"lsh_{self._level}")

    def process(self, element, index: PartitionIndex):
        _shard, chunks = element
        with self.stats.timed():
            chunks = list(chunks)
            keys = np.concatenate([keys for _, keys, _ in chunks])
            refs = np.concatenate([global_refs(base, local) for base, _, local in chunks])
            u, v, hits = bucket_pairs(keys, refs, self._cap, int(make_ref(index.base, 0)))
            routed = [
                (shard, pack_pairs(u[rows], v[rows], hits[rows])) for shard, rows in split_by_key(pair_shard(u, v, index.shards))
            ]
        self.stats.count("entries", keys.size)
        self.stats.count("pair_hits", u.size)
        yield from routed


class _CountHitsFn(beam.DoFn):
    def __init__(self, level: str, min_hits: int) -> None:
        self._level = level
        self._min_hits = min_hits

    def setup(self) -> None:
        self.stats = StageStats(f"lsh_{self._level}")

    def process(self, element, index: PartitionIndex):
        _shard, chunks = element
        with self.stats.timed():
            chunks = list(chunks)
            u, v, hits = count_pairs(*(np.concatenate(parts) for parts in zip(*map(unpack_pairs, chunks))))
            keep = hits >= self._min_hits
            routed = list(route_pairs(self._level, u[keep], v[keep], index))
        self.stats.count("pairs", u.size)
        self.stats.count("candidates", int(keep.sum()))
        yield from routed


class FindCandidates(beam.PTransform):
    """``(shard, (base_rank, keys, local_refs))`` entries -> ``(partition, (level, u,
    v))`` candidate pairs, each routed to the partition holding its later item ``v``.

    Items sharing a key in at least ``min_hits`` bands are candidates.  Entries are
    grouped by key shard and paired in buckets (see ``bucket_pairs``); then the pairs
    are grouped by pair, so that hits in bands that fell into different shards add up
    and each pair is counted, and sent on, once."""

    def __init__(self, level: str, cap: int, min_hits: int, index) -> None:
        super().__init__()
        self._level = level
        self._cap = cap
        self._min_hits = min_hits
        self._index = index

    def expand(self, entries):
        index = beam.pvalue.AsSingleton(self._index)
        return (
            entries
            | "GroupShards" >> beam.GroupByKey()
            | "Buckets" >> beam.ParDo(_BucketFn(self._level, self._cap), index)
            | "GroupPairs" >> beam.GroupByKey()
            | "CountHits" >> beam.ParDo(_CountHitsFn(self._level, self._min_hits), index)
        )
