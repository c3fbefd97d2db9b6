"""Stage 5a, exact copies and the passages' LSH entries.

The sign stage sends each matchable passage's sequence hash, sharded by the hash.  A
shard pairs the later exact copies of a passage with their group's representative (see
``cleanwire.dedup.copies``).  These pairs go to verification as candidates of level
``copy``, and the representative's pairs with the other passages of its sentence as
candidates of level ``sibling``; the copies (*aliases*) go, keyed by their partition,
to the step that makes the passages' LSH entries.  That step reads each partition's signatures from its
stage file and makes band keys for every matchable passage that is not an alias, so
LSH sees one passage for each group of exact copies.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.arrays import split_by_key
from cleanwire.dedup.candidates import passage_entries, without_passages
from cleanwire.dedup.copies import copy_pairs
from cleanwire.dedup.refs import doc_rank
from cleanwire.model import PartitionIndex
from cleanwire.params import DedupParams
from transforms.lsh import route_pairs
from transforms.signatures import COPY, SIBLING
from transforms.staging import read_partition, signed_of
from transforms.stats import StageStats

__all__ = ["ALIASES", "CANDIDATES", "FindExactCopies", "PassageEntries"]

CANDIDATES, ALIASES = "candidates", "aliases"
_ENTRY_COLUMNS = ["eligible", "signatures", "doc_signature"]


class _CopiesFn(beam.DoFn):
    def setup(self) -> None:
        self.stats = StageStats("copies")

    def process(self, element, index: PartitionIndex):
        _shard, chunks = element
        with self.stats.timed():
            chunks = list(chunks)
            hashes, refs, first, members = (np.concatenate(parts) for parts in zip(*chunks))
            representative, alias, sibling, of = copy_pairs(hashes, refs, first, members)
            candidates = [*route_pairs(COPY, representative, alias, index), *route_pairs(SIBLING, sibling, of, index)]
            aliases = [
                (partition, alias[rows]) for partition, rows in split_by_key(index.partition_of(doc_rank(alias)))
            ]
        self.stats.count("passages", refs.size)
        self.stats.count("aliases", alias.size)
        for candidate in candidates:
            yield beam.pvalue.TaggedOutput(CANDIDATES, candidate)
        for partition_aliases in aliases:
            yield beam.pvalue.TaggedOutput(ALIASES, partition_aliases)


class FindExactCopies(beam.PTransform):
    """``(shard, (hashes, refs, first, members))`` from the sign stage -> a tagged
    result: ``candidates``, ``(partition, ("copy", representative, alias))`` and
    ``(partition, ("sibling", sibling, representative))`` pairs routed like
    ``transforms.lsh.route_pairs`` (see ``cleanwire.dedup.copies.copy_pairs``), and
    ``aliases``, ``(partition, refs)``: the passages of each partition that LSH can
    leave out."""

    def __init__(self, index) -> None:
        super().__init__()
        self._index = index

    def expand(self, hashes):
        return (
            hashes
            | "GroupHashes" >> beam.GroupByKey()
            | "Pair" >> beam.ParDo(_CopiesFn(), beam.pvalue.AsSingleton(self._index)).with_outputs(CANDIDATES, ALIASES)
        )


class _EntriesFn(beam.DoFn):
    def __init__(self, params: DedupParams, staging: str) -> None:
        self._params = params
        self._staging = staging

    def setup(self) -> None:
        self.stats = StageStats("passage_entries")

    def process(self, element, index: PartitionIndex):
        partition, aliases = element
        params = self._params
        with self.stats.timed():
            aliases = [refs for refs in aliases if refs is not None]
            aliases = np.concatenate(aliases) if aliases else np.zeros(0, dtype=np.uint64)
            table = read_partition(self._staging, partition, _ENTRY_COLUMNS)
            ranks = table.column("rank").to_numpy()
            first_rank = int(ranks[0]) if ranks.size else 0
            signed = without_passages(first_rank, signed_of(table, params.signature_width), aliases)
            entries = passage_entries(first_rank, signed, params.passage_bands, index.shards)
        self.stats.count("passages", sum(s.eligible.size for s in signed))
        self.stats.count("left_out", aliases.size)
        yield from entries


class PassageEntries(beam.PTransform):
    """``{"staged": partition numbers written by StagePartitions, "aliases": (partition,
    refs)}`` -> the passages' LSH entries ``(shard, (base_rank, keys, local_refs))``,
    aliases left out (see ``cleanwire.dedup.candidates.shard_entries``)."""

    def __init__(self, params: DedupParams, staging: str, index) -> None:
        super().__init__()
        self._params = params
        self._staging = staging
        self._index = index

    def expand(self, inputs):
        staged = inputs["staged"] | "ByPartition" >> beam.Map(lambda partition: (partition, None))
        return (
            (staged, inputs["aliases"])
            | "WithAliases" >> beam.Flatten()
            | "GroupPartitions" >> beam.GroupByKey()
            | "Entries" >> beam.ParDo(
                _EntriesFn(self._params, self._staging), beam.pvalue.AsSingleton(self._index))
        )
