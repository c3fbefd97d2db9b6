"""Stage 7, cluster: the leader rule over verified links, in two shuffles.

1. Links go to the shard of their earlier item ``u``; every later item ``v`` tells the
   shard of ``v`` that ``v`` has an earlier link.  A shard then knows which of its
   items are roots and keeps only the links whose ``u`` is a root.
2. Root links go to the shard of ``v``, which picks, for each ``v``, the earliest root.
   Assignments are then routed to the output file blocks of the member and the root.

See ``cleanwire.dedup.cluster`` for the rule and why it stops chaining.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.arrays import hash_shard, sorted_unique, split_by_key
from cleanwire.dedup.cluster import earliest_per_item, links_from_roots
from cleanwire.dedup.refs import doc_rank
from cleanwire.model import PartitionIndex
from transforms.stats import StageStats
from transforms.verify import Links
from transforms.write import file_block

__all__ = ["ClusterLinks", "LATER", "MEMBER", "ROOT"]

MEMBER, ROOT, LATER = "member", "root", "later"


def _subset(links: Links, rows: np.ndarray) -> Links:
    return Links(
        links.level, links.u[rows], links.v[rows], links.similarity[rows], links.by_containment[rows], links.label[rows],
        links.may_lead[rows])


def _concat(chunks: list[Links]) -> Links:
    return Links(
        chunks[0].level,
        np.concatenate([c.u for c in chunks]), np.concatenate([c.v for c in chunks]),
        np.concatenate([c.similarity for c in chunks]), np.concatenate([c.by_containment for c in chunks]),
        np.concatenate([c.label for c in chunks]), np.concatenate([c.may_lead for c in chunks]),
    )


def _to_u_shards(links: Links, index: PartitionIndex):
    for shard, rows in split_by_key(hash_shard(links.u, index.shards)):
        yield shard, ("links", _subset(links, rows))
    for shard, rows in split_by_key(hash_shard(links.v, index.shards)):
        yield shard, ("later", sorted_unique(links.v[rows]))


class _RootLinksFn(beam.DoFn):
    def process(self, element, index: PartitionIndex):
        _shard, tagged = element
        chunks = [payload for tag, payload in tagged if tag == "links"]
        if not chunks:
            return
        later = np.concatenate([payload for tag, payload in tagged if tag == "later"] or [np.zeros(0, np.uint64)])
        links = _concat(chunks)
        roots = _subset(links, np.flatnonzero(links_from_roots(links.u, later) & links.may_lead))
        for shard, rows in split_by_key(hash_shard(roots.v, index.shards)):
            yield shard, _subset(roots, rows)


class _AssignFn(beam.DoFn):
    def __init__(self, level: str, rows_per_file: int) -> None:
        self._level = level
        self._rows_per_file = rows_per_file

    def setup(self) -> None:
        self.stats = StageStats(f"cluster_{self._level}")

    def process(self, element, index: PartitionIndex):
        _shard, chunks = element
        with self.stats.timed():
            links = _concat(list(chunks))
            chosen = _subset(links, earliest_per_item(links.v, links.u))
            members = file_block(doc_rank(chosen.v), self._rows_per_file)
            # A root from the history lives in an earlier run's files, which are never rewritten.
            in_run = np.flatnonzero(doc_rank(chosen.u) >= np.uint64(index.base))
            roots = file_block(doc_rank(chosen.u[in_run]), self._rows_per_file)
        self.stats.count("members", chosen.v.size)
        for block, rows in split_by_key(members):
            yield block, (MEMBER, _subset(chosen, rows))
        for block, rows in split_by_key(roots):
            yield block, (ROOT, _subset(chosen, in_run[rows]))


def _later_to_blocks(links: Links, rows_per_file: int):
    for block, rows in split_by_key(file_block(doc_rank(links.v), rows_per_file)):
        yield block, (LATER, _subset(links, rows))


class ClusterLinks(beam.PTransform):
    """``Links`` of one level -> ``(block, (kind, Links))`` assignments, addressed to
    output file blocks (``canonical_rank // rows_per_file``).

    ``kind`` is ``member`` (routed to the block of ``v``: ``v`` joins the cluster
    labelled ``label`` whose canonical is ``u``) or ``root`` (routed to the block of
    ``u``: ``u`` is the canonical of cluster ``label``).  With ``later``, every link also
    goes to the block of ``v`` as ``later`` (``v`` has an earlier link, so it can never
    be a canonical: what the history records)."""

    def __init__(self, level: str, rows_per_file: int, index, later: bool = False) -> None:
        super().__init__()
        self._later = later
        self._level = level
        self._rows_per_file = rows_per_file
        self._index = index

    def expand(self, links):
        index = beam.pvalue.AsSingleton(self._index)
        assigned = (
            links
            | "ToEarlierShards" >> beam.FlatMap(_to_u_shards, index)
            | "GroupEarlier" >> beam.GroupByKey()
            | "RootLinks" >> beam.ParDo(_RootLinksFn(), index)
            | "GroupLater" >> beam.GroupByKey()
            | "Assign" >> beam.ParDo(_AssignFn(self._level, self._rows_per_file), index)
        )
        if not self._later:
            return assigned
        later = links | "LaterToBlocks" >> beam.FlatMap(_later_to_blocks, self._rows_per_file)
        return (assigned, later) | "WithLater" >> beam.Flatten()
