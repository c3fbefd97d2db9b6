"""The history store's two ends in the pipeline: reading earlier runs' LSH entries,
and the rows a run adds (see ``pipelines.history`` for the store itself).

Earlier runs' documents take part in matching like the run's own: their band keys
(recomputed from the stored signatures with the run's shard count) join the run's in
the same ``FindCandidates`` grouping (only those the run itself has, by a bit filter
of the run's keys, so that a small run does not shuffle the whole history), and verification reads their shingles from the
history files as it reads the run's partition files.  History refs are all earlier
than the run's, so history documents and clusters stay canonical, and a cluster found
in an earlier run keeps its id.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from cleanwire.dedup.arrays import sorted_unique
from cleanwire.dedup.candidates import lsh_entries
from cleanwire.dedup.keyfilter import DEFAULT_BITS, add_keys, empty_filter, has_keys, merge_filters
from cleanwire.dedup.refs import doc_rank, passage_index
from cleanwire.model import PartitionIndex, RawDocument, doc_id_for
from cleanwire.params import DedupParams
from schemas import HISTORY
from transforms.signatures import DOCUMENT, PASSAGE
from transforms.staging import signed_of
from transforms.stats import StageStats

__all__ = ["COMMITTED", "ReadHistoryEntries", "RunKeys", "SkipCommittedDocuments", "WORK_DIR", "history_table"]

WORK_DIR = "_history"  # where a run's history rows wait in staging for the driver's commit

_ENTRY_COLUMNS = ["rank", "eligible", "signatures", "doc_signature"]


class _RunKeysFn(beam.CombineFn):
    """Entries ``(shard, (base_rank, keys, local_refs))`` -> a bit filter of their keys."""

    def __init__(self, bits: int) -> None:
        self._bits = bits

    def create_accumulator(self):
        return None  # allocated on first use: most bundles of a run carry no entries

    def add_input(self, bitmap, entry):
        shard, (_base, keys, _refs) = entry
        return add_keys(empty_filter(self._bits) if bitmap is None else bitmap, shard, keys)

    def merge_accumulators(self, bitmaps):
        merged = None
        for bitmap in bitmaps:
            if bitmap is not None:
                merged = bitmap.copy() if merged is None else merge_filters(merged, bitmap)
        return merged

    def extract_output(self, bitmap):
        return empty_filter(self._bits) if bitmap is None else bitmap


class RunKeys(beam.PTransform):
    """A run's LSH entries -> one bit filter of their band keys (a singleton
    PCollection; see ``cleanwire.dedup.keyfilter``), combined, not grouped."""

    def __init__(self, bits: int = DEFAULT_BITS) -> None:
        super().__init__()
        self._bits = bits

    def expand(self, entries):
        return entries | "Filter" >> beam.CombineGlobally(_RunKeysFn(self._bits))


class _HistoryEntriesFn(beam.DoFn):
    def __init__(self, params: DedupParams) -> None:
        self._params = params

    def setup(self) -> None:
        self.stats = StageStats("history")

    def process(self, path: str, index: PartitionIndex, passage_keys: np.ndarray, document_keys: np.ndarray):
        params = self._params
        kept = []
        with self.stats.timed():
            with FileSystems.open(path) as handle:
                table = pq.read_table(handle, columns=_ENTRY_COLUMNS)
            ranks = table.column("rank").to_numpy()
            if ranks.size and not np.array_equal(ranks, np.arange(ranks[0], ranks[0] + ranks.size)):
                raise ValueError(f"history file {path} does not hold consecutive ranks; it was not written by cleanwire")
            signed = signed_of(table, params.signature_width)
            passage_entries, document_entries = lsh_entries(
                int(ranks[0]) if ranks.size else 0, signed, params.passage_bands, params.doc_bands, index.shards)
            read = 0
            for level, entries, run_keys in ((PASSAGE, passage_entries, passage_keys), (DOCUMENT, document_entries, document_keys)):
                for shard, (base, keys, refs) in entries:
                    read += keys.size
                    shared = has_keys(run_keys, shard, keys)
                    if shared.any():
                        kept.append((level, (shard, (base, keys[shared], refs[shared]))))
        self.stats.count("documents", ranks.size)
        self.stats.count("passages", sum(s.eligible.size for s in signed))
        self.stats.count("entries_read", read)
        self.stats.count("entries_kept", sum(entry[1][1].size for _, entry in kept))
        for level, entry in kept:
            yield beam.pvalue.TaggedOutput(level, entry)


class ReadHistoryEntries(beam.PTransform):
    """The LSH entries of the history ``files`` (``(first_rank, path)``) whose band keys
    the run may share, tagged ``passage`` and ``document`` like ``SignPassages``' (one
    file per element: memory is bounded by a file, which holds one output block of an
    earlier run).  ``index`` is the run's ``PartitionIndex`` (a singleton PCollection)
    for its shard count; ``run_keys`` maps each level to the run's ``RunKeys`` filter."""

    def __init__(self, params: DedupParams, files, index, run_keys: dict) -> None:
        super().__init__()
        self._params = params
        self._paths = [path for _, path in files]
        self._index = index
        self._run_keys = run_keys

    def expand(self, pbegin):
        singleton = beam.pvalue.AsSingleton
        return (
            pbegin
            | "HistoryFiles" >> beam.Create(self._paths)
            | "Entries" >> beam.ParDo(
                _HistoryEntriesFn(self._params), singleton(self._index),
                singleton(self._run_keys[PASSAGE]), singleton(self._run_keys[DOCUMENT]),
            ).with_outputs(PASSAGE, DOCUMENT)
        )


COMMITTED = "committed"  # the stage that sets aside documents an earlier run committed


def _id_keys(doc_ids: list[str]) -> np.ndarray:
    """Document ids' bit-filter keys: their first 32 bits."""
    return np.array([int(doc_id[:8], 16) for doc_id in doc_ids], dtype=np.uint32)


class _IdFilterFn(beam.CombineFn):
    """Document ids -> a bit filter of them (see ``cleanwire.dedup.keyfilter``).

    Ids wait in a list and enter the filter a few thousand at a time, so the filter's
    numpy work is not paid per document, and its 16 MB are only allocated for bundles
    that hold ids."""

    BUFFER = 4096

    def __init__(self, bits: int) -> None:
        self._bits = bits

    def _flushed(self, bitmap, pending: list[str]):
        if not pending:
            return bitmap
        return add_keys(empty_filter(self._bits) if bitmap is None else bitmap, 0, _id_keys(pending))

    def create_accumulator(self):
        return None, []

    def add_input(self, accumulator, doc_id):
        bitmap, pending = accumulator
        pending.append(doc_id)
        if len(pending) >= self.BUFFER:
            return self._flushed(bitmap, pending), []
        return bitmap, pending

    def merge_accumulators(self, accumulators):
        merged = None
        for bitmap, pending in accumulators:
            bitmap = self._flushed(bitmap, pending)
            if bitmap is not None:
                merged = bitmap.copy() if merged is None else merge_filters(merged, bitmap)
        return merged, []

    def extract_output(self, accumulator):
        bitmap = self._flushed(*accumulator)
        return empty_filter(self._bits) if bitmap is None else bitmap


class _CommittedIdsFn(beam.DoFn):
    """A history file -> its document ids that the run may also have (by the filter)."""

    def setup(self) -> None:
        self.stats = StageStats(COMMITTED)

    def process(self, path: str, run_ids: np.ndarray):
        yield from self.stats.timed_items(self._maybe_committed(path, run_ids))

    def _maybe_committed(self, path: str, run_ids: np.ndarray):
        with FileSystems.open(path) as handle:
            ids = pq.read_table(handle, columns=["doc_id"]).column("doc_id").to_pylist()
        for doc_id, maybe in zip(ids, has_keys(run_ids, 0, _id_keys(ids)).tolist()):
            if maybe:
                yield doc_id, True


class _SkipCommittedFn(beam.DoFn):
    def setup(self) -> None:
        self.stats = StageStats(COMMITTED)

    def process(self, element: tuple[str, RawDocument], committed_filter: np.ndarray, committed):
        doc_id, raw = element
        # The filter answers most documents (new ones) without a look-up in the side
        # input, which a distributed runner serves key by key.
        if has_keys(committed_filter, 0, _id_keys([doc_id]))[0] and any(committed[doc_id]):
            self.stats.count("documents")
            self.stats.count(f"inputs_{raw.input_format}")
            return
        yield raw


class SkipCommittedDocuments(beam.PTransform):
    """``RawDocument``s -> those that no run in the history ``files`` committed.

    A document an earlier run committed (the same location and the same bytes, so the
    same ``doc_id``: a file left in an accumulating scrape folder, a WARC read again)
    is already in that run's partition; read again, it would be matched against itself.
    It is set aside and counted (stage ``committed``, per input format).  The history
    files' ids are read one file per element and only those the run's ids may share
    (a bit filter of them) are kept, so the exact look-up the documents meet is about
    as large as the number of documents read again.  Those are looked up key by key
    (``AsMultiMap``, which runners serve lazily), not held as one dict by every worker:
    a folder that accumulates a year of scrapes is read again whole every night."""

    def __init__(self, files, bits: int = DEFAULT_BITS) -> None:
        super().__init__()
        self._paths = [path for _, path in files]
        self._bits = bits

    def expand(self, raws):
        keyed = raws | "Ids" >> beam.Map(lambda raw: (doc_id_for(raw.uri, raw.content), raw))  # hashed once
        run_ids = keyed | "IdsOnly" >> beam.Keys() | "IdFilter" >> beam.CombineGlobally(_IdFilterFn(self._bits))
        committed = (
            raws.pipeline
            | "HistoryFiles" >> beam.Create(self._paths)
            | "CommittedIds" >> beam.ParDo(_CommittedIdsFn(), beam.pvalue.AsSingleton(run_ids))
        )
        committed_filter = (committed | "CommittedOnly" >> beam.Keys()
                            | "CommittedFilter" >> beam.CombineGlobally(_IdFilterFn(self._bits)))
        return keyed | "Skip" >> beam.ParDo(
            _SkipCommittedFn(), beam.pvalue.AsSingleton(committed_filter), beam.pvalue.AsMultiMap(committed))


def history_table(docs: pa.Table, run_id: str, later_passages: np.ndarray, later_docs: np.ndarray) -> pa.Table:
    """The history rows of ``docs`` (a partition table with signatures).

    ``later_passages`` and ``later_docs`` are the refs (passages, documents) that have a
    verified link to an earlier item: they can never become a cluster's canonical."""
    ranks = docs.column("rank").to_numpy()  # ascending, as in every partition table
    later_passages = sorted_unique(np.asarray(later_passages, dtype=np.uint64))
    passage_ranks = doc_rank(later_passages).astype(np.int64)
    lo = np.searchsorted(passage_ranks, ranks, side="left")
    hi = np.searchsorted(passage_ranks, ranks, side="right")
    start, end = (int(lo[0]), int(hi[-1])) if ranks.size else (0, 0)
    members = pa.ListArray.from_arrays(
        pa.array(np.append(lo, end) - start if ranks.size else [0], type=pa.int32()),
        pa.array(passage_index(later_passages[start:end]).astype(np.int64)))
    doc_member = np.isin(ranks, doc_rank(np.asarray(later_docs, dtype=np.uint64)).astype(np.int64))
    return pa.table({
        "run_id": pa.array([run_id] * docs.num_rows, type=pa.string()),
        "rank": docs.column("rank"), "doc_id": docs.column("doc_id"),
        "passages": docs.column("passages"), "shingles": docs.column("shingles"), "windows": docs.column("windows"),
        "eligible": docs.column("eligible"), "signatures": docs.column("signatures"), "doc_signature": docs.column("doc_signature"),
        "member_passages": members, "doc_member": doc_member,
    }).cast(HISTORY)
