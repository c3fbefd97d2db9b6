"""Stage 8, assemble and write: the final ``documents`` and ``passages`` files.

Output files are *blocks* of canonical order: block ``b`` holds the documents with
``b * rows_per_file <= canonical_rank < (b + 1) * rows_per_file`` and their passages.
For each block, the cluster assignments addressed to it meet in one small grouping;
the stage reads the block's documents from the partition files, fills in
``duplicate_of``, ``unique_text``, ``cluster_id`` and friends, and writes the two
files, rows sorted by canonical order.  A block's contents depend only on the input,
never on how the runner split the work, so every run writes the same bytes.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from apache_beam.io.filesystems import FileSystems

from cleanwire.dedup.links import Links
from cleanwire.dedup.refs import make_ref, passage_index
from cleanwire.dedup.shingling import KIND_NAMES
from cleanwire.dedup.verify import link_names
from cleanwire.model import PartitionIndex, cluster_ids
from cleanwire.text.edit import without_spans
from transforms.cluster import LATER, MEMBER, ROOT
from transforms.history import WORK_DIR as HISTORY_WORK_DIR
from transforms.history import history_table
from transforms.signatures import DOCUMENT, PASSAGE
from transforms.staging import passages_of, read_partition
from transforms.stats import StageStats
from transforms.write import finish_table, write_parquet

__all__ = ["AssembleRecords"]


class _Lookup:
    """Assignments of one kind, looked up by ref: for each, the canonical item ``u``
    (its doc id ``label`` and passage index), its cluster id, the similarity and link,
    as Arrow arrays (``take`` them with ``_pick``)."""

    def __init__(self, chunks: list[Links], ref_of) -> None:
        if not chunks:
            chunks = [Links.empty("")]
        refs = np.concatenate([ref_of(c) for c in chunks])
        order = np.argsort(refs, kind="stable")
        self.refs = refs[order]
        labels = np.concatenate([c.label for c in chunks])[order]
        canonical = np.concatenate([c.u for c in chunks])[order]
        self.label = pa.array(labels.astype(str), type=pa.string())
        self.canonical_idx = pa.array(passage_index(canonical).astype(np.int64))
        self.cluster = pa.array(cluster_ids(labels, passage_index(canonical)), type=pa.string())
        self.similarity = pa.array(np.concatenate([c.similarity for c in chunks])[order], type=pa.float64())
        self.link = pa.array(link_names(np.concatenate([c.by_containment for c in chunks])[order]), type=pa.string())

    def find(self, refs: np.ndarray) -> np.ndarray:
        """Position of each ref in this lookup, or -1."""
        if self.refs.size == 0:
            return np.full(refs.size, -1)
        pos = np.minimum(np.searchsorted(self.refs, refs), self.refs.size - 1)
        return np.where(self.refs[pos] == refs, pos, -1)


def _pick(values: pa.Array, positions: np.ndarray) -> pa.Array:
    """``values[positions]``, null where a position is -1."""
    return values.take(pa.array(np.maximum(positions, 0), mask=positions < 0))


def _assignments(tagged, level: str) -> tuple[_Lookup, _Lookup]:
    members = [links for kind, links in tagged if kind == MEMBER and links.level == level]
    roots = [links for kind, links in tagged if kind == ROOT and links.level == level]
    return _Lookup(members, lambda c: c.v), _Lookup(roots, lambda c: c.u)


# What the output tables need of a partition file (a history also needs the shingles and
# signatures): the rest is most of the file's bytes.
_DOCUMENT_COLUMNS = [
    "doc_id", "uri", "source", "format", "url", "title", "published", "text", "boilerplate", "raw_chars",
    "encoding", "input_format", "passages",
]


def _block_documents(staging: str, index: PartitionIndex, lo: int, hi: int, columns: list[str] | None) -> pa.Table:
    """The documents with ranks in ``[lo, hi)``, from the partitions that hold them
    (``columns`` of them, all when None)."""
    firsts = list(index.first_ranks) + [index.total]
    tables = [
        read_partition(staging, partition, columns, ranks=(lo, hi))
        for k, partition in enumerate(index.partitions)
        if firsts[k] < hi and firsts[k + 1] > lo
    ]
    return pa.concat_tables(tables)


class _AssembleFn(beam.DoFn):
    def __init__(self, staging: str, rows_per_file: int, run_id: str | None, history: bool) -> None:
        self._staging = staging
        self._rows_per_file = rows_per_file
        self._run_id = run_id
        self._history = history

    def setup(self) -> None:
        self.stats = StageStats("assemble")

    def process(self, element, index: PartitionIndex, staged: list):
        block, grouped = element
        lo, hi = max(block * self._rows_per_file, index.base), min((block + 1) * self._rows_per_file, index.total)
        if lo >= hi:  # links to history documents only: the block holds none of this run's
            return
        with self.stats.timed():
            docs = _block_documents(self._staging, index, lo, hi, None if self._history else _DOCUMENT_COLUMNS)
            tagged = list(grouped[PASSAGE]) + list(grouped[DOCUMENT])
            documents, passages = self._tables(docs, tagged)
            name = f"part-{block:05d}.parquet"
            write_parquet(finish_table("documents", documents, self._run_id), FileSystems.join(self._staging, "documents", name))
            write_parquet(finish_table("passages", passages, self._run_id), FileSystems.join(self._staging, "passages", name))
            if self._history:
                later = {
                    level: np.concatenate([links.v for kind, links in tagged if kind == LATER and links.level == level] or [np.zeros(0, np.uint64)])
                    for level in (PASSAGE, DOCUMENT)
                }
                rows = history_table(docs, self._run_id, later[PASSAGE], later[DOCUMENT])
                write_parquet(rows, FileSystems.join(self._staging, HISTORY_WORK_DIR, name))
        self.stats.count("documents", documents.num_rows)
        self.stats.count("passages", passages.num_rows)
        yield block

    def _tables(self, docs: pa.Table, tagged) -> tuple[pa.Table, pa.Table]:
        passage_members, passage_roots = _assignments(tagged, PASSAGE)
        doc_members, _ = _assignments(tagged, DOCUMENT)
        ranks = docs.column("rank").to_numpy()
        texts = docs.column("text").to_pylist()
        spans = passages_of(docs)
        doc_hit = doc_members.find(make_ref(ranks, 0))
        counts = np.array([len(s) for s in spans], dtype=np.int64)
        all_spans = np.concatenate(spans) if spans else np.zeros((0, 4), dtype=np.int64)
        refs = make_ref(np.repeat(ranks, counts), np.concatenate([np.arange(n) for n in counts]) if spans else [])
        member = passage_members.find(refs)
        root = passage_roots.find(refs)
        is_member = member >= 0

        # A member takes its canonical's cluster; a root (a canonical) its own cluster.
        member_mask = pa.array(is_member)
        cluster_id = pc.if_else(member_mask, _pick(passage_members.cluster, member), _pick(passage_roots.cluster, root))
        similarity = pc.if_else(
            member_mask, _pick(passage_members.similarity, member), pa.array(np.ones(root.size), mask=root < 0))
        doc_of = np.repeat(np.arange(len(texts)), counts)
        passage_texts = [texts[d][s:e] for d, s, e in zip(doc_of.tolist(), all_spans[:, 0].tolist(), all_spans[:, 1].tolist())]
        first_row = np.cumsum(counts) - counts
        unique_texts = []
        for k, text in enumerate(texts):
            rows = slice(first_row[k], first_row[k] + counts[k])
            duplicated = all_spans[rows][is_member[rows], :2]
            unique_texts.append(without_spans(text, [(int(s), int(e)) for s, e in duplicated]))
        self.stats.count("duplicate_passages", int(is_member.sum()))
        self.stats.count("duplicate_documents", int((doc_hit >= 0).sum()))

        passage_table = pa.table({
            "doc_id": pa.array(np.repeat(np.array(docs.column("doc_id").to_pylist(), dtype=object), counts), type=pa.string()),
            "passage_idx": np.concatenate([np.arange(n) for n in counts]) if spans else np.zeros(0, dtype=np.int64),
            "kind": pa.array([KIND_NAMES[k] for k in all_spans[:, 2].tolist()], type=pa.string()),
            "sentence_idx": all_spans[:, 3],
            "text": pa.array(passage_texts, type=pa.string()),
            "start": all_spans[:, 0], "end": all_spans[:, 1],
            "cluster_id": cluster_id,
            "is_canonical": ~is_member,
            "similarity": similarity,
            "link": _pick(passage_members.link, member),
            "canonical_doc_id": _pick(passage_members.label, member),
            "canonical_passage_idx": _pick(passage_members.canonical_idx, member),
        })
        document_table = pa.table({
            "doc_id": docs.column("doc_id"), "uri": docs.column("uri"), "source": docs.column("source"),
            "format": docs.column("format"), "url": docs.column("url"), "title": docs.column("title"),
            "published": docs.column("published"), "text": docs.column("text"), "boilerplate": docs.column("boilerplate"),
            "duplicate_of": _pick(doc_members.label, doc_hit),
            "duplicate_similarity": _pick(doc_members.similarity, doc_hit),
            "unique_text": pa.array(unique_texts, type=pa.string()),
            "canonical_rank": ranks, "raw_chars": docs.column("raw_chars"), "passages": counts,
            "encoding": docs.column("encoding"), "input_format": docs.column("input_format"),
        })
        return document_table, passage_table


class AssembleRecords(beam.PTransform):
    """Write the final ``documents`` and ``passages`` files, one per block, into
    ``staging`` (whose partition files hold the documents).

    Input: ``{"passage": (block, (kind, Links)), "document": (block, (kind, Links))}``.
    Every block of the run is written, with or without assignments.  Outputs the block
    numbers written.  With ``history``, also writes each block's history rows (see
    ``transforms.history``) into ``staging/_history``; the input then needs the
    ``later`` links of ``ClusterLinks``."""

    def __init__(self, staging: str, rows_per_file: int, index, staged, run_id: str | None = None, history: bool = False) -> None:
        super().__init__()
        self._run_id = run_id
        self._history = history
        self._staging = staging
        self._rows_per_file = rows_per_file
        self._index = index
        self._staged = staged

    def expand(self, inputs):
        rows_per_file = self._rows_per_file
        blocks = self._index | "Blocks" >> beam.FlatMap(
            lambda index: [(block, None) for block in range(index.base // rows_per_file, -(-index.total // rows_per_file))]
        )
        return (
            {**inputs, "blocks": blocks}
            | "Join" >> beam.CoGroupByKey()
            | "AssembleAndWrite" >> beam.ParDo(
                _AssembleFn(self._staging, self._rows_per_file, self._run_id, self._history),
                beam.pvalue.AsSingleton(self._index), beam.pvalue.AsList(self._staged))
        )
