"""Partition files: the cleaned documents of each range partition, written once.

Verification and the final assembly need the documents' text again, long after the
signature stage.  Carrying it through the runner's shuffles would hold the whole corpus
in the runner's memory several times over (DirectRunner keeps shuffles in memory), so
the signature stage writes each partition's documents and passage offsets to one
zstd Parquet file in the run's staging directory, and later stages read the files of
the partitions they need.  Only compact arrays (band keys, pairs, links) go through
Beam shuffles.  Later stages take the list of written files as a side input, so they
never start before the files exist, on any runner.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from cleanwire.dedup.arrays import ragged
from cleanwire.dedup.candidates import MatchableSignatures
from cleanwire.dedup.shingling import DocumentShingles
from cleanwire.model import PartitionIndex, RankedBatch
from transforms.stats import StageStats

__all__ = ["PARTITION_SCHEMA", "StagePartitions", "partition_path", "passages_of", "read_partition", "shingled_of", "signed_of"]

WORK_DIR = "_partitions"

PARTITION_SCHEMA = pa.schema([
    ("rank", pa.int64()), ("doc_id", pa.string()), ("uri", pa.string()), ("source", pa.string()),
    ("format", pa.string()), ("url", pa.string()), ("title", pa.string()), ("published", pa.timestamp("us", tz="UTC")),
    ("text", pa.string()), ("boilerplate", pa.list_(pa.string())), ("raw_chars", pa.int64()),
    ("encoding", pa.string()), ("input_format", pa.string()),
    # passages: start, end, kind code, sentence number (see cleanwire.dedup.shingling);
    # shingles: the document's window hashes; windows: each passage's lo, hi into them.
    ("passages", pa.list_(pa.int64())), ("shingles", pa.list_(pa.uint32())), ("windows", pa.list_(pa.int64())),
    # With a history only (else null): the LSH signatures, see MatchableSignatures.
    ("eligible", pa.list_(pa.int64())), ("signatures", pa.list_(pa.uint32())), ("doc_signature", pa.list_(pa.uint32())),
])


def partition_path(staging: str, partition: int) -> str:
    """Where partition ``partition``'s documents are kept during a run."""
    return FileSystems.join(staging, WORK_DIR, f"partition-{partition:05d}.parquet")


def _list_array(arrays: list[np.ndarray], value_type: pa.DataType) -> pa.ListArray:
    """A list column from numpy arrays through one concatenation (``pa.array`` on a
    list of arrays converts value by value: an order of magnitude slower here)."""
    values, offsets = ragged(arrays, dtype=arrays[0].dtype if arrays else np.int64)
    # A cast in pyarrow, not numpy: ``DataType.to_pandas_dtype`` would import pandas,
    # which cleanwire does not depend on.
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values).cast(value_type))


def _table(batch: RankedBatch) -> pa.Table:
    docs = batch.docs
    signed = batch.signed  # empty only for batches made without signatures (tests)
    return pa.table({
        "rank": np.arange(batch.first_rank, batch.first_rank + len(docs), dtype=np.int64),
        "doc_id": [d.doc_id for d in docs], "uri": [d.uri for d in docs], "source": [d.source for d in docs],
        "format": [d.format for d in docs], "url": [d.url for d in docs], "title": [d.title for d in docs],
        "published": [d.published for d in docs], "text": [d.text for d in docs],
        "boilerplate": [d.boilerplate for d in docs], "raw_chars": [d.raw_chars for d in docs],
        "encoding": [d.encoding for d in docs], "input_format": [d.input_format for d in docs],
        "passages": _list_array([d.passages.ravel() for d in batch.shingled], pa.int64()),
        "shingles": _list_array([d.shingles for d in batch.shingled], pa.uint32()),
        "windows": _list_array([np.stack((d.lo, d.hi), axis=1).ravel() for d in batch.shingled], pa.int64()),
        **({
            "eligible": _list_array([s.eligible for s in signed], pa.int64()),
            "signatures": _list_array([s.passages.ravel() for s in signed], pa.uint32()),
            "doc_signature": [None if s.document is None else s.document for s in signed],
        } if signed else {name: pa.nulls(len(docs), PARTITION_SCHEMA.field(name).type)
                          for name in ("eligible", "signatures", "doc_signature")}),
    }, schema=PARTITION_SCHEMA)


# Dictionary encoding only where values repeat: on hashes and signatures it costs more
# than the rest of the write and saves nothing.
_DICTIONARY_COLUMNS = ["uri", "source", "format", "url", "encoding", "input_format"]


def read_partition(
    staging: str, partition: int, columns: list[str] | None = None, ranks: tuple[int, int] | None = None,
    index: PartitionIndex | None = None,
) -> pa.Table:
    """Read a partition file (optionally some columns, and only ranks in ``[lo, hi)``).

    A negative ``partition`` is a history file of ``index`` (which has the same columns
    as a partition file, and more)."""
    path = index.history_path(partition) if partition < 0 else partition_path(staging, partition)
    with FileSystems.open(path) as handle:
        table = pq.read_table(handle, columns=None if columns is None else sorted(set(columns) | {"rank"}))
    if ranks is not None:
        rank = table.column("rank")
        table = table.filter(pc.and_(pc.greater_equal(rank, ranks[0]), pc.less(rank, ranks[1])))
    return table


def _ragged(table: pa.Table, name: str) -> list[np.ndarray]:
    column = table.column(name).combine_chunks()
    flat = column.values.to_numpy()
    offsets = column.offsets.to_numpy()
    return [flat[a:b] for a, b in zip(offsets[:-1], offsets[1:])]


def passages_of(table: pa.Table) -> list[np.ndarray]:
    """The ``(n, 4)`` passage arrays of the rows of a partition table."""
    return [p.reshape(-1, 4) for p in _ragged(table, "passages")]


def signed_of(table: pa.Table, width: int) -> list[MatchableSignatures]:
    """The ``MatchableSignatures`` of the rows of a partition or history table
    (signatures of ``width`` values)."""
    docs = []
    for eligible, rows, document in zip(
        _ragged(table, "eligible"), _ragged(table, "signatures"), _ragged(table, "doc_signature")
    ):
        docs.append(MatchableSignatures(eligible, rows.reshape(-1, width), document if document.size else None))
    return docs


def shingled_of(table: pa.Table) -> list[DocumentShingles]:
    """Passages and shingles of the rows of a partition table (as the sign stage made them)."""
    return [
        DocumentShingles(p.reshape(-1, 4), s, w.reshape(-1, 2)[:, 0], w.reshape(-1, 2)[:, 1])
        for p, s, w in zip(_ragged(table, "passages"), _ragged(table, "shingles"), _ragged(table, "windows"))
    ]


class _WriteFn(beam.DoFn):
    def __init__(self, staging: str) -> None:
        self._staging = staging

    def setup(self) -> None:
        self.stats = StageStats("stage")

    def process(self, batch: RankedBatch):
        with self.stats.timed():
            path = partition_path(self._staging, batch.partition)
            with FileSystems.create(path) as handle:
                pq.write_table(_table(batch), handle, compression="zstd", compression_level=1,
                               use_dictionary=_DICTIONARY_COLUMNS)
        self.stats.count("documents", len(batch.docs))
        yield batch.partition


class StagePartitions(beam.PTransform):
    """``RankedBatch`` (with passages) -> one partition file each; outputs the
    partition numbers written (use them as a side input to order later reads)."""

    def __init__(self, staging: str) -> None:
        super().__init__()
        self._staging = staging

    def expand(self, batches):
        return batches | "WritePartitions" >> beam.ParDo(_WriteFn(self._staging))
