"""Stage 6, verify: exact similarity of every candidate pair.

Each partition receives the candidate pairs that touch its documents, recomputes the
shingle sets of the passages (or documents) involved, and sends each set to the pair's
shard.  There the two sets of a pair meet and their exact Jaccard and containment are
computed for all pairs of the shard at once.  Pairs that pass the level's
``MatchRule`` become links (for clustering) and rows of the ``pairs`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

import apache_beam as beam
import numpy as np

from cleanwire.dedup.arrays import hash_shard, ragged, ragged_take, split_by_key
from cleanwire.dedup.candidates import unique_pairs
from cleanwire.dedup.refs import doc_rank, passage_index
from cleanwire.dedup.shingling import shingle_document
from cleanwire.dedup.verify import Similarity, overlaps
from cleanwire.model import PartitionIndex, RankedBatch, cluster_id_for
from cleanwire.params import DedupParams
from transforms.signatures import DOCUMENT, PASSAGE
from transforms.stats import StageStats
from transforms.write import file_block, table_chunk

__all__ = ["Links", "PairSides", "VerifyCandidates"]

BATCHES, PAIRS = "batches", "pairs"
_PAIR_SALT = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class PairSides:
    """One side (``side`` 0: the earlier item ``u``; 1: the later ``v``) of some pairs,
    with the shingle set of that side's item for each pair."""

    level: str
    side: int
    u: np.ndarray
    v: np.ndarray
    doc_ids: np.ndarray  # object array of str
    values: np.ndarray
    offsets: np.ndarray


@dataclass
class Links:
    """Verified links ``u -> v`` (``u`` earlier) of one level, with the similarity that
    linked them and the label of ``u`` (its cluster id or, for documents, doc id)."""

    level: str
    u: np.ndarray
    v: np.ndarray
    similarity: np.ndarray
    link: np.ndarray  # object array: "jaccard" or "containment"
    label: np.ndarray  # object array of str


def _pair_shard(u: np.ndarray, v: np.ndarray, shards: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        return hash_shard(u ^ (v * _PAIR_SALT), shards)


class _ShingleSidesFn(beam.DoFn):
    def __init__(self, params: DedupParams, shards: int) -> None:
        self._params = params
        self._shards = shards

    def setup(self) -> None:
        self.stats = StageStats("verify_sides")

    def process(self, element, index: PartitionIndex):
        partition, grouped = element
        batches = list(grouped[BATCHES])
        requests = list(grouped["requests"])
        if not batches:
            return
        batch: RankedBatch = batches[0]
        yield beam.pvalue.TaggedOutput(BATCHES, batch)
        if not requests:
            return
        with self.stats.timed():
            outputs = list(self._sides(batch, requests, partition, index))
        yield from outputs

    def _sides(self, batch: RankedBatch, requests, partition: int, index: PartitionIndex):
        shingled = {}

        def shingles_of(position: int):
            if position not in shingled:
                doc = batch.docs[position]
                shingled[position] = shingle_document(doc.text, self._params.ngram, self._params.min_words)
            return shingled[position]

        for level in (PASSAGE, DOCUMENT):
            chosen = [(u, v) for lvl, u, v in requests if lvl == level]
            if not chosen:
                continue
            u, v = unique_pairs(np.concatenate([c[0] for c in chosen]), np.concatenate([c[1] for c in chosen]))
            self.stats.count(f"{level}_pairs", u.size)
            for side, refs in ((0, u), (1, v)):
                here = np.flatnonzero(index.partition_of(doc_rank(refs)) == partition)
                if here.size == 0:
                    continue
                positions = (doc_rank(refs[here]) - np.uint64(batch.first_rank)).astype(np.int64)
                indices = passage_index(refs[here]).astype(np.int64)
                sets = [
                    shingles_of(pos).passage_set(idx) if level == PASSAGE else shingles_of(pos).document_set()
                    for pos, idx in zip(positions.tolist(), indices.tolist())
                ]
                doc_ids = np.array([batch.docs[pos].doc_id for pos in positions.tolist()], dtype=object)
                values, offsets = ragged(sets)
                for shard, rows in split_by_key(_pair_shard(u[here], v[here], self._shards)):
                    part_values, part_offsets = ragged_take(values, offsets, rows)
                    yield shard, PairSides(level, side, u[here][rows], v[here][rows], doc_ids[rows], part_values, part_offsets)


def _concat(sides: list[PairSides]) -> PairSides:
    values, offsets = [], [np.zeros(1, dtype=np.int64)]
    base = 0
    for s in sides:
        values.append(s.values)
        offsets.append(s.offsets[1:] + base)
        base += s.offsets[-1]
    return PairSides(
        sides[0].level, sides[0].side,
        np.concatenate([s.u for s in sides]), np.concatenate([s.v for s in sides]),
        np.concatenate([s.doc_ids for s in sides]), np.concatenate(values), np.concatenate(offsets),
    )


def _in_pair_order(sides: PairSides) -> PairSides:
    order = np.lexsort((sides.v, sides.u))
    values, offsets = ragged_take(sides.values, sides.offsets, order)
    return PairSides(sides.level, sides.side, sides.u[order], sides.v[order], sides.doc_ids[order], values, offsets)


class _VerifyFn(beam.DoFn):
    def __init__(self, params: DedupParams, rows_per_file: int) -> None:
        self._params = params
        self._rows_per_file = rows_per_file

    def setup(self) -> None:
        self.stats = StageStats("verify")

    def process(self, element):
        _shard, sides = element
        sides = list(sides)
        for level in (PASSAGE, DOCUMENT):
            earlier = [s for s in sides if s.level == level and s.side == 0]
            later = [s for s in sides if s.level == level and s.side == 1]
            if not earlier or not later:
                continue
            with self.stats.timed():
                outputs = self._verify(level, _in_pair_order(_concat(earlier)), _in_pair_order(_concat(later)))
            yield from outputs

    def _verify(self, level: str, a: PairSides, b: PairSides) -> list:
        if not (np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v)):
            raise RuntimeError("verification received unmatched pair sides; the partition index is inconsistent")
        sim = Similarity(np.diff(a.offsets), np.diff(b.offsets), overlaps(a.values, a.offsets, b.values, b.offsets))
        rule = self._params.passage_rule if level == PASSAGE else self._params.doc_rule
        matched, similarity, link = rule.evaluate(sim)
        self.stats.count(f"{level}_candidates", a.u.size)
        self.stats.count(f"{level}_links", int(matched.sum()))
        keep = np.flatnonzero(matched)
        u, v = a.u[keep], b.v[keep]
        if level == PASSAGE:
            labels = [cluster_id_for(d, i) for d, i in zip(a.doc_ids[keep], passage_index(u).tolist())]
            idx_a, idx_b = passage_index(u).astype(np.int64), passage_index(v).astype(np.int64)
        else:
            labels = list(a.doc_ids[keep])
            idx_a = idx_b = [None] * keep.size
        outputs: list = [Links(level, u, v, similarity[keep], link[keep], np.array(labels, dtype=object))]
        blocks = file_block(doc_rank(u), self._rows_per_file)
        for block, rows in split_by_key(blocks):
            picked = keep[rows]
            columns = {
                "level": [level] * rows.size,
                "doc_id_a": a.doc_ids[picked], "passage_idx_a": [idx_a[r] for r in rows],
                "doc_id_b": b.doc_ids[picked], "passage_idx_b": [idx_b[r] for r in rows],
                "jaccard": sim.jaccard[picked],
                "containment_a_in_b": sim.containment_a[picked],
                "containment_b_in_a": sim.containment_b[picked],
                "link": link[picked],
            }
            outputs.append(beam.pvalue.TaggedOutput(PAIRS, (("pairs", block), table_chunk("pairs", columns, u[rows], v[rows]))))
        return outputs


class VerifyCandidates(beam.PTransform):
    """Verify candidate pairs against the documents' text.

    Input: ``{"batches": RankedBatch, "requests": (partition, (level, u, v))}``.
    Returns a tagged result: ``links`` (``Links``), ``pairs`` (table chunks for the
    ``pairs`` table) and ``batches`` (the batches, keyed by partition, passed on)."""

    def __init__(self, params: DedupParams, shards: int, rows_per_file: int, index) -> None:
        super().__init__()
        self._params = params
        self._shards = shards
        self._rows_per_file = rows_per_file
        self._index = index

    def expand(self, inputs):
        keyed_batches = inputs[BATCHES] | "KeyBatches" >> beam.Map(lambda b: (b.partition, b))
        sides = (
            {BATCHES: keyed_batches, "requests": inputs["requests"]}
            | "JoinRequests" >> beam.CoGroupByKey()
            | "Sides" >> beam.ParDo(_ShingleSidesFn(self._params, self._shards), beam.pvalue.AsSingleton(self._index))
            .with_outputs(BATCHES, main="sides")
        )
        verified = (
            sides.sides
            | "GroupPairs" >> beam.GroupByKey()
            | "Verify" >> beam.ParDo(_VerifyFn(self._params, self._rows_per_file)).with_outputs(PAIRS, main="links")
        )
        return {"links": verified.links, PAIRS: verified[PAIRS], BATCHES: sides[BATCHES]}
