"""Stage 7, cluster: the leader rule over verified links, in two shuffles.

1. Links go to the shard of their earlier item ``u``; every later item ``v`` tells the
   shard of ``v`` that ``v`` has an earlier link.  A shard then knows which of its
   items are roots and keeps only the links whose ``u`` is a root.
2. Root links go to the shard of ``v``, which picks, for each ``v``, the earliest root.
   Assignments are then routed to the output file blocks of the member and the root.

An exact copy left out of LSH (an *alias*, see ``transforms.copies``) has one link: from
its group's representative.  When the representative is a root, that link is a root
link like any other.  When it is not, the link goes, in step 2, to the shard of the
representative, where the alias takes the representative's assignment: the cluster,
similarity and link kind it would have had itself, since its shingles are the same.

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
ALIAS = "alias"  # a link from a representative that is not a root to its alias
_EMPTY = Links("", *(np.zeros(0, dtype=t) for t in (np.uint64, np.uint64, np.float64, bool, "S32")))


def _subset(links: Links, rows: np.ndarray) -> Links:
    return Links(
        links.level, links.u[rows], links.v[rows], links.similarity[rows], links.by_containment[rows], links.label[rows],
        links.may_lead[rows], links.exact_copy[rows])


def _concat(chunks: list[Links]) -> Links:
    return Links(
        chunks[0].level,
        np.concatenate([c.u for c in chunks]), np.concatenate([c.v for c in chunks]),
        np.concatenate([c.similarity for c in chunks]), np.concatenate([c.by_containment for c in chunks]),
        np.concatenate([c.label for c in chunks]), np.concatenate([c.may_lead for c in chunks]),
        np.concatenate([c.exact_copy for c in chunks]),
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
        from_roots = links_from_roots(links.u, later)
        roots = _subset(links, np.flatnonzero(from_roots & links.may_lead))
        for shard, rows in split_by_key(hash_shard(roots.v, index.shards)):
            yield shard, (ROOT, _subset(roots, rows))
        # Aliases of a representative that is not a root take its assignment, made at its shard.
        aliases = _subset(links, np.flatnonzero(links.exact_copy & ~from_roots))
        for shard, rows in split_by_key(hash_shard(aliases.u, index.shards)):
            yield shard, (ALIAS, _subset(aliases, rows))


class _AssignFn(beam.DoFn):
    def __init__(self, level: str, rows_per_file: int) -> None:
        self._level = level
        self._rows_per_file = rows_per_file

    def setup(self) -> None:
        self.stats = StageStats(f"cluster_{self._level}")

    def process(self, element, index: PartitionIndex):
        _shard, tagged = element
        with self.stats.timed():
            tagged = list(tagged)
            links = _concat([links for kind, links in tagged if kind == ROOT] or [_EMPTY])
            chosen = _subset(links, earliest_per_item(links.v, links.u))
            aliases = [links for kind, links in tagged if kind == ALIAS]
            if aliases:
                chosen = _concat([chosen, _inherited(chosen, _concat(aliases))])
            members = file_block(doc_rank(chosen.v), self._rows_per_file)
            # A root from the history lives in an earlier run's files, which are never rewritten.
            in_run = np.flatnonzero(doc_rank(chosen.u) >= np.uint64(index.base))
            roots = file_block(doc_rank(chosen.u[in_run]), self._rows_per_file)
        self.stats.count("members", chosen.v.size)
        for block, rows in split_by_key(members):
            yield block, (MEMBER, _subset(chosen, rows))
        for block, rows in split_by_key(roots):
            yield block, (ROOT, _subset(chosen, in_run[rows]))


def _inherited(chosen: Links, aliases: Links) -> Links:
    """The assignments of the aliases ``aliases.v`` whose representative
    ``aliases.u`` was assigned in ``chosen`` (one link per member ``v``): the same
    root, label, similarity and link kind."""
    position = np.searchsorted(chosen.v, aliases.u)
    position = np.minimum(position, max(chosen.v.size - 1, 0))
    found = np.flatnonzero(chosen.v[position] == aliases.u) if chosen.v.size else np.zeros(0, dtype=np.int64)
    rows = position[found]
    return Links(
        chosen.level, chosen.u[rows], aliases.v[found], chosen.similarity[rows], chosen.by_containment[rows],
        chosen.label[rows], chosen.may_lead[rows])


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
