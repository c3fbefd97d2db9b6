"""Stage 7, cluster: the leader rule over verified links, in two shuffles.

1. Links go to the shard of their earlier item ``u``; every later item ``v`` tells the
   shard of ``v`` that ``v`` has an earlier link.  A shard then knows which of its
   items are roots and keeps only the links whose ``u`` is a root.
2. Root links go to the shard of ``v``, which picks, for each ``v``, the earliest root.
   Assignments are then routed to the output file blocks of the member and the root.

An exact copy left out of LSH (an *alias*, see ``transforms.copies``) is linked only to
its group's representative.  Its place is decided in step 2 at the representative's
shard, from what it would have been linked to with the same shingles: the
representative's own assignment (its earliest root) when it is not a root, the
representative itself when it is, and the passages of the representative's sentence
that resemble it and are roots (*sibling* links, which reach that shard too); the
earliest of these is its root.

See ``cleanwire.dedup.cluster`` for the rule and why it stops chaining.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.arrays import gather_ranges, hash_shard, sorted_unique, split_by_key
from cleanwire.dedup.cluster import earliest_per_item, links_from_roots
from cleanwire.dedup.links import Links
from cleanwire.dedup.refs import doc_rank
from cleanwire.model import PartitionIndex
from transforms.stats import StageStats
from transforms.write import file_block

__all__ = ["ClusterLinks", "LATER", "MEMBER", "ROOT"]

MEMBER, ROOT, LATER = "member", "root", "later"
ALIAS, SIBLING = "alias", "sibling"  # see the module docstring


def _to_u_shards(links: Links, index: PartitionIndex):
    for shard, rows in split_by_key(hash_shard(links.u, index.shards)):
        yield shard, ("links", links.take(rows))
    later = links.v[~links.sibling]  # a sibling link is no link between its two passages
    for shard, rows in split_by_key(hash_shard(later, index.shards)):
        yield shard, ("later", sorted_unique(later[rows]))


class _RootLinksFn(beam.DoFn):
    def __init__(self, level: str) -> None:
        self._level = level

    def setup(self) -> None:
        self.stats = StageStats(f"cluster_{self._level}")

    def process(self, element, index: PartitionIndex):
        yield from self.stats.timed_items(self._root_links(element, index))

    def _root_links(self, element, index: PartitionIndex):
        _shard, tagged = element
        chunks = [payload for tag, payload in tagged if tag == "links"]
        if not chunks:
            return
        later = np.concatenate([payload for tag, payload in tagged if tag == "later"] or [np.zeros(0, np.uint64)])
        links = Links.concat(chunks)
        from_roots = links_from_roots(links.u, later) & links.may_lead
        ordinary = ~links.exact_copy & ~links.sibling
        roots = links.take(np.flatnonzero(ordinary & from_roots))
        for shard, rows in split_by_key(hash_shard(roots.v, index.shards)):
            yield shard, (ROOT, roots.take(rows))
        # Alias and sibling links meet at the representative's shard: u of the first, v of the second.
        copies = np.flatnonzero(links.exact_copy)
        for shard, rows in split_by_key(hash_shard(links.u[copies], index.shards)):
            yield shard, (ALIAS, (links.take(copies[rows]), from_roots[copies[rows]]))
        siblings = links.take(np.flatnonzero(links.sibling & from_roots))
        for shard, rows in split_by_key(hash_shard(siblings.v, index.shards)):
            yield shard, (SIBLING, siblings.take(rows))


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
            links = Links.concat([links for kind, links in tagged if kind == ROOT] or [Links.empty(self._level)])
            chosen = links.take(earliest_per_item(links.v, links.u))
            aliases = [payload for kind, payload in tagged if kind == ALIAS]
            if aliases:
                siblings = Links.concat([links for kind, links in tagged if kind == SIBLING] or [Links.empty(self._level)])
                copies = Links.concat([links for links, _ in aliases])
                from_root = np.concatenate([is_root for _, is_root in aliases])
                chosen = Links.concat([chosen, _alias_assignments(chosen, copies, from_root, siblings)])
            members = file_block(doc_rank(chosen.v), self._rows_per_file)
            # A root from the history lives in an earlier run's files, which are never rewritten.
            in_run = np.flatnonzero(doc_rank(chosen.u) >= np.uint64(index.base))
            roots = file_block(doc_rank(chosen.u[in_run]), self._rows_per_file)
        self.stats.count("members", chosen.v.size)
        for block, rows in split_by_key(members):
            yield block, (MEMBER, chosen.take(rows))
        for block, rows in split_by_key(roots):
            yield block, (ROOT, chosen.take(in_run[rows]))


def _alias_assignments(chosen: Links, copies: Links, from_root: np.ndarray, siblings: Links) -> Links:
    """One assignment per alias ``copies.v`` that has a root: the earliest of its
    representative's (``chosen``, one link per member), its representative (where
    ``from_root``) and the roots linked to its representative by ``siblings``, with the
    similarity, link kind and label of that root's link."""
    candidates = [copies.take(np.flatnonzero(from_root))]
    if chosen.v.size:
        position = np.minimum(np.searchsorted(chosen.v, copies.u), chosen.v.size - 1)
        found = np.flatnonzero(chosen.v[position] == copies.u)
        picked = chosen.take(position[found])
        candidates.append(Links(
            chosen.level, picked.u, copies.v[found], picked.similarity, picked.by_containment, picked.label, picked.may_lead))
    if siblings.v.size:
        by_representative = np.argsort(siblings.v, kind="stable")
        lo = np.searchsorted(siblings.v[by_representative], copies.u, side="left")
        hi = np.searchsorted(siblings.v[by_representative], copies.u, side="right")
        chosen_siblings = siblings.take(gather_ranges(by_representative, lo, hi)[0])
        alias = np.repeat(copies.v, hi - lo)
        candidates.append(Links(
            siblings.level, chosen_siblings.u, alias, chosen_siblings.similarity, chosen_siblings.by_containment,
            chosen_siblings.label, chosen_siblings.may_lead))
    found = Links.concat(candidates)
    picked = found.take(earliest_per_item(found.v, found.u))
    return Links(picked.level, picked.u, picked.v, picked.similarity, picked.by_containment, picked.label, picked.may_lead)


def _later_to_blocks(links: Links, rows_per_file: int):
    links = links.take(np.flatnonzero(~links.sibling))
    for block, rows in split_by_key(file_block(doc_rank(links.v), rows_per_file)):
        yield block, (LATER, links.take(rows))


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
            | "RootLinks" >> beam.ParDo(_RootLinksFn(self._level), index)
            | "GroupLater" >> beam.GroupByKey()
            | "Assign" >> beam.ParDo(_AssignFn(self._level, self._rows_per_file), index)
        )
        if not self._later:
            return assigned
        later = links | "LaterToBlocks" >> beam.FlatMap(_later_to_blocks, self._rows_per_file)
        return (assigned, later) | "WithLater" >> beam.Flatten()
