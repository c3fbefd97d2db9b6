"""Stage 6, verify: exact similarity of every candidate pair.

Each candidate pair ``(u, v)`` (``u`` the earlier item) first goes to the partition
holding ``v``, which recomputes the shingle sets of the passages (or documents) it is
asked for and sends each set once, with the pairs it is in, to the partition holding
``u`` (an exact-copy pair sends only a hash of the set, see ``PairSides``).  There the
partition's own sides are recomputed and the two sets of every pair meet: exact
Jaccard and containment for all pairs of the partition at once.  So only one side of a
pair crosses a shuffle, and each item's set at most once per partition it meets.  Pairs
that pass the level's ``MatchRule`` become links (for clustering) and rows of the
``pairs`` table, which each partition writes to its own file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from cleanwire.dedup.arrays import concat_ragged, ragged_take, sorted_unique, split_by_key
from cleanwire.dedup.candidates import pair_order, unique_pairs
from cleanwire.dedup.copies import sequence_hashes
from cleanwire.dedup.links import Links
from cleanwire.dedup.refs import doc_rank, make_ref, passage_index
from cleanwire.dedup.shingling import KIND_CODES, concat_shingles, range_sets
from cleanwire.dedup.verify import Similarity, link_names, overlaps
from cleanwire.model import PartitionIndex
from cleanwire.params import DedupParams
from transforms.signatures import COPY, DOCUMENT, PASSAGE, SIBLING
from transforms.staging import read_partition, shingled_of
from transforms.stats import StageStats
from transforms.write import ORDER, ORDER2, finish_table, table_chunk, write_parquet

__all__ = ["PairSides", "VerifyCandidates"]

# COPY: a passage and its exact copy; SIBLING: that passage and another of its sentence
# (see transforms.copies).
_LEVELS = (PASSAGE, COPY, SIBLING, DOCUMENT)


@dataclass
class PairSides:
    """One side (``side`` 0: the earlier item ``u``; 1: the later ``v``) of some pairs.

    Pair ``k`` is ``(u[k], v[k])``; its item on this side is row ``item[k]`` of the
    item arrays, which hold each distinct item once however many pairs it is in (the
    earliest copy of a quote meets every later one).  An item has its shingle set
    (``values[offsets[i]:offsets[i + 1]]``, sorted) and its size; at the ``COPY`` level,
    where the two sets only have to be equal, its set's hash (``sequence_hashes`` of the
    sorted set) instead of the set.  ``doc_ids[j]`` (fixed-width bytes: cheap to
    pickle) is the id of the document ranked ``doc_ranks[j]`` (sorted), once per
    document."""

    level: str
    side: int
    u: np.ndarray
    v: np.ndarray
    item: np.ndarray
    sizes: np.ndarray
    values: np.ndarray | None
    offsets: np.ndarray | None
    set_hashes: np.ndarray | None
    may_lead: np.ndarray  # per item: False for a history item that was linked to an earlier one
    doc_ranks: np.ndarray
    doc_ids: np.ndarray

    @property
    def refs(self) -> np.ndarray:
        """The item reference of this side of every pair (``u`` or ``v``)."""
        return self.u if self.side == 0 else self.v

    def pair_doc_ids(self) -> np.ndarray:
        """The doc id of each pair's item."""
        return self.doc_ids[np.searchsorted(self.doc_ranks, doc_rank(self.refs).astype(np.int64))]

    def pair_sets(self) -> tuple[np.ndarray, np.ndarray]:
        """The shingle set of each pair's item, as a ragged array."""
        return ragged_take(self.values, self.offsets, self.item)

    def nbytes(self) -> int:
        """Bytes held by the arrays (what the element weighs when batched)."""
        arrays = (self.u, self.v, self.item, self.sizes, self.values, self.offsets, self.set_hashes, self.may_lead,
                  self.doc_ranks, self.doc_ids)
        return sum(a.nbytes for a in arrays if a is not None)


def pair_sides(
    staging: str, partition: int, index: PartitionIndex, wanted: list[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]],
) -> list[PairSides]:
    """The sides that partition ``partition`` holds: for each ``(level, side, u, v,
    refs)`` of ``wanted`` (``refs`` is ``u`` or ``v``, all in this partition), a
    ``PairSides`` with the shingle set of every ref, in the given order."""
    if not wanted:
        return []
    # Read the partition's documents that are needed, and shingle each once.
    needed = sorted_unique(np.concatenate([doc_rank(w[4]) for w in wanted]).astype(np.int64))
    history = partition < 0
    columns = ["doc_id", "passages", "shingles", "windows"] + (["member_passages", "doc_member"] if history else [])
    table = read_partition(staging, partition, columns, (int(needed[0]), int(needed[-1]) + 1), index)
    table = table.filter(pa.array(np.isin(table.column("rank").to_numpy(), needed)))
    if table.num_rows != needed.size:
        raise RuntimeError(f"partition {partition} lacks documents that candidate pairs refer to; the history or staging files are damaged")
    doc_ids = table.column("doc_id").to_pylist()
    shingled = shingled_of(table)
    all_shingles, all_lo, all_hi, passage_base = concat_shingles(shingled)
    sentence = np.concatenate([d.passages[:, 2] == KIND_CODES["sentence"] for d in shingled])
    doc_id_bytes = np.array(doc_ids, dtype="S32")
    sides = []
    for level, side, u, v, refs in wanted:
        distinct, pair_item = np.unique(refs, return_inverse=True)
        slot = np.searchsorted(needed, doc_rank(distinct).astype(np.int64))
        if level != DOCUMENT:
            rows = passage_base[slot] + passage_index(distinct).astype(np.int64)
            starts, ends, groups = all_lo[rows], all_hi[rows], np.arange(rows.size)
        else:  # a document's set is the union of its sentences' sets
            ranges = [np.flatnonzero(sentence[passage_base[k]:passage_base[k + 1]]) + passage_base[k] for k in slot.tolist()]
            rows = np.concatenate(ranges)
            starts, ends = all_lo[rows], all_hi[rows]
            groups = np.repeat(np.arange(len(ranges)), [len(r) for r in ranges])
        values, offsets = range_sets(all_shingles, starts, ends, groups, distinct.size)
        set_hashes = None
        if level == COPY:
            set_hashes = sequence_hashes(values, offsets[:-1], offsets[1:])
        may_lead = _may_lead(table, level, distinct, slot) if history else np.ones(distinct.size, dtype=bool)
        docs = sorted_unique(slot)
        sides.append(PairSides(
            level, side, u, v, pair_item.astype(np.int32), np.diff(offsets).astype(np.int32),
            None if level == COPY else values, None if level == COPY else offsets, set_hashes, may_lead,
            needed[docs], doc_id_bytes[docs]))
    return sides


class _LaterSidesFn(beam.DoFn):
    """At the partition holding the later items: their sides, sent to the partitions
    holding the earlier items."""

    def __init__(self, staging: str) -> None:
        self._staging = staging

    def setup(self) -> None:
        self.stats = StageStats("verify_sides")

    def process(self, element, index: PartitionIndex, staged: list):
        partition, requests = element
        with self.stats.timed():
            requests = list(requests)
            wanted = []
            for level in _LEVELS:
                chosen = [(u, v) for lvl, u, v in requests if lvl == level]
                if chosen:
                    u, v = unique_pairs(np.concatenate([c[0] for c in chosen]), np.concatenate([c[1] for c in chosen]))
                    self.stats.count(f"{level}_pairs", u.size)
                    wanted.append((level, 1, u, v, v))
            outputs = [
                (earlier, _take(sides, picked))
                for sides in pair_sides(self._staging, partition, index, wanted)
                for earlier, picked in split_by_key(index.partition_of(doc_rank(sides.u)))
            ]
            for _, sides in outputs:
                self.stats.count(f"{sides.level}_sides_bytes", sides.nbytes())
        yield from outputs


def _take(sides: PairSides, rows: np.ndarray) -> PairSides:
    """Pairs ``rows`` of ``sides`` (in that order), with only the items and documents they need."""
    used, item = np.unique(sides.item[rows], return_inverse=True)
    values = offsets = set_hashes = None
    if sides.values is not None:
        values, offsets = ragged_take(sides.values, sides.offsets, used)
    if sides.set_hashes is not None:
        set_hashes = sides.set_hashes[used]
    refs = sides.refs[rows]
    docs = np.searchsorted(sides.doc_ranks, sorted_unique(doc_rank(refs).astype(np.int64)))
    return PairSides(sides.level, sides.side, sides.u[rows], sides.v[rows], item.astype(np.int32), sides.sizes[used],
                     values, offsets, set_hashes, sides.may_lead[used], sides.doc_ranks[docs], sides.doc_ids[docs])


def _may_lead(table: pa.Table, level: str, refs: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Whether each history item (``refs``, in the rows ``slot`` of a history table) may
    be a canonical: not when its run linked it to an earlier item."""
    if level == DOCUMENT:
        return ~table.column("doc_member").to_numpy(zero_copy_only=False)[slot]
    members = table.column("member_passages").combine_chunks()
    offsets = members.offsets.to_numpy()
    flat = make_ref(np.repeat(table.column("rank").to_numpy(), np.diff(offsets)), members.values.to_numpy()[offsets[0]:offsets[-1]])
    return ~np.isin(refs, flat)


def _concat(sides: list[PairSides]) -> PairSides:
    """The pairs of several ``PairSides`` of one level and side, from different partitions."""
    item_base = np.cumsum([0] + [s.sizes.size for s in sides])
    values = offsets = set_hashes = None
    if sides[0].values is not None:
        values, offsets = concat_ragged([(s.values, s.offsets) for s in sides])
    if sides[0].set_hashes is not None:
        set_hashes = np.concatenate([s.set_hashes for s in sides])
    doc_ranks, first = np.unique(np.concatenate([s.doc_ranks for s in sides]), return_index=True)
    return PairSides(
        sides[0].level, sides[0].side,
        np.concatenate([s.u for s in sides]), np.concatenate([s.v for s in sides]),
        np.concatenate([s.item + base for s, base in zip(sides, item_base)]).astype(np.int32),
        np.concatenate([s.sizes for s in sides]), values, offsets, set_hashes,
        np.concatenate([s.may_lead for s in sides]), doc_ranks, np.concatenate([s.doc_ids for s in sides])[first],
    )


def _in_pair_order(sides: PairSides) -> PairSides:
    # Only the pairs move; the items and documents stay where they are.
    order = pair_order(sides.u, sides.v)
    return replace(sides, u=sides.u[order], v=sides.v[order], item=sides.item[order])


class _VerifyFn(beam.DoFn):
    """At the partition holding the earlier items: their sides, read here, meet the
    later sides sent here; verify, write this partition's rows of the pairs table."""

    def __init__(self, params: DedupParams, staging: str, run_id: str | None) -> None:
        self._params = params
        self._staging = staging
        self._run_id = run_id

    def setup(self) -> None:
        self.stats = StageStats("verify")

    def process(self, element, index: PartitionIndex):
        partition, later = element
        later = list(later)
        with self.stats.timed():
            links, rows = [], []
            later_sides = [
                _in_pair_order(_concat(sides))
                for sides in ([s for s in later if s.level == level] for level in _LEVELS) if sides
            ]
            # One read of this partition's files gives the earlier sides of both levels.
            earlier_sides = pair_sides(self._staging, partition, index, [(b.level, 0, b.u, b.v, b.u) for b in later_sides])
            for a, b in zip(earlier_sides, later_sides):
                level_links, level_rows = self._verify(b.level, a, b)
                links.append(level_links)
                if b.level != SIBLING:  # two passages of one document: not a row of pairs
                    rows.append(level_rows)
            if rows:
                # This partition's rows of the pairs table go straight to their file: sorted
                # by level and pair, named by the partition (history files first), so the
                # same input writes the same file.
                table = pa.Table.from_batches(rows).sort_by([("level", "ascending"), (ORDER, "ascending"), (ORDER2, "ascending")])
                name = f"part-{partition + len(index.history):05d}.parquet"
                write_parquet(finish_table("pairs", table.drop_columns([ORDER, ORDER2]), self._run_id),
                              FileSystems.join(self._staging, "pairs", name))
                self.stats.count("pairs_rows", table.num_rows)
        yield from links

    def _verify(self, level: str, a: PairSides, b: PairSides) -> tuple[Links, pa.RecordBatch]:
        if not (np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v)):
            raise RuntimeError("verification received unmatched pair sides; the partition index is inconsistent")
        size_a, size_b = a.sizes[a.item].astype(np.int64), b.sizes[b.item].astype(np.int64)
        if level == COPY:
            # The two passages have the same shingle-sequence hash (transforms.copies); a
            # second hash, of the sets, confirms they are equal.  Two different sets pass
            # only if both 64-bit hashes collide; a pair that fails is not linked.
            same = (a.set_hashes[a.item] == b.set_hashes[b.item]) & (size_a == size_b)
            sim = Similarity(size_a, size_b, np.where(same, size_a, 0))
        else:
            sim = Similarity(size_a, size_b, overlaps(*a.pair_sets(), *b.pair_sets()))
        rule = self._params.doc_rule if level == DOCUMENT else self._params.passage_rule
        matched, similarity, by_containment = rule.evaluate(sim)
        self.stats.count(f"{level}_candidates", a.u.size)
        self.stats.count(f"{level}_links", int(matched.sum()))
        keep = np.flatnonzero(matched)
        u, v = a.u[keep], b.v[keep]
        doc_ids_a = a.pair_doc_ids()[keep]
        # A copy pair is a passage pair that makes v an alias of u.
        exact_copy = np.full(keep.size, level == COPY) & (sim.jaccard[keep] == 1.0)
        sibling = np.full(keep.size, level == SIBLING)
        level = PASSAGE if level in (COPY, SIBLING) else level
        if level == PASSAGE:
            idx_a, idx_b = passage_index(u).astype(np.int64), passage_index(v).astype(np.int64)
        else:
            idx_a = idx_b = pa.nulls(keep.size, type=pa.int64())
        columns = {
            "level": pa.array([level] * keep.size, type=pa.string()),
            "doc_id_a": doc_ids_a.astype(str), "passage_idx_a": idx_a,
            "doc_id_b": b.pair_doc_ids()[keep].astype(str), "passage_idx_b": idx_b,
            "jaccard": sim.jaccard[keep],
            "containment_a_in_b": sim.containment_a[keep],
            "containment_b_in_a": sim.containment_b[keep],
            "link": link_names(by_containment[keep]),
        }
        links = Links(level, u, v, similarity[keep], by_containment[keep], doc_ids_a, a.may_lead[a.item][keep], exact_copy,
                      sibling)
        return links, table_chunk("pairs", columns, u, v)


class VerifyCandidates(beam.PTransform):
    """Verify candidate pairs against the documents' text.

    Input: ``(partition, (level, u, v))`` candidate pairs, keyed by the partition that
    holds ``v`` (``transforms.lsh.route_pairs``).  Reads the partition files in
    ``staging`` (``staged``: the partitions written, a side input that orders the reads
    after the writes) and writes the ``pairs`` table there, one file per partition that
    holds earlier items of verified pairs.  Outputs the verified ``Links``."""

    def __init__(self, params: DedupParams, staging: str, index, staged, run_id: str | None = None) -> None:
        super().__init__()
        self._run_id = run_id
        self._params = params
        self._staging = staging
        self._index = index
        self._staged = staged

    def expand(self, requests):
        index = beam.pvalue.AsSingleton(self._index)
        return (
            requests
            | "GroupRequests" >> beam.GroupByKey()
            | "LaterSides" >> beam.ParDo(_LaterSidesFn(self._staging), index, beam.pvalue.AsList(self._staged))
            | "GroupSides" >> beam.GroupByKey()
            | "Verify" >> beam.ParDo(_VerifyFn(self._params, self._staging, self._run_id), index)
        )
