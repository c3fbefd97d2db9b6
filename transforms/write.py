"""Writing Parquet: deterministic files, and the helpers every writing stage shares.

A document's output file is its *block*, ``canonical_rank // rows_per_file``; its
passages and pairs go to the same block, so a file's contents depend only on the input,
never on how the runner split the work.  Rows are sorted by hidden order columns before
writing, which makes the bytes identical run after run.  Files go to a staging
directory; the pipeline driver publishes it when the whole run has succeeded.
``WriteTables`` writes small tables (``errors``) from ``((table, block), rows)``.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from schemas import SCHEMAS
from transforms.stats import StageStats

__all__ = ["ORDER", "ORDER2", "WriteTables", "file_block", "finish_table", "table_chunk", "write_parquet"]

ORDER, ORDER2 = "_order", "_order2"
# How rows are ordered inside a file: by the hidden order columns, errors by content.
_SORT_KEYS = {"errors": ["uri", "stage", "error_class", "error"]}


def file_block(ranks, rows_per_file: int) -> np.ndarray:
    """The output file number of documents at canonical ``ranks``."""
    return np.asarray(ranks, dtype=np.int64) // rows_per_file


def finish_table(name: str, table: pa.Table, run_id: str | None) -> pa.Table:
    """``table`` with the ``run_id`` column set, cast to the schema of table ``name``."""
    if "run_id" in table.column_names:
        table = table.drop_columns(["run_id"])
    table = table.append_column("run_id", pa.array([run_id] * table.num_rows, type=pa.string()))
    return table.select(SCHEMAS[name].names).cast(SCHEMAS[name])


def table_chunk(table: str, columns: dict, order, order2=None) -> pa.RecordBatch:
    """Rows of ``table`` as a record batch (without ``run_id``, see ``finish_table``),
    with the hidden columns that order them."""
    schema = SCHEMAS[table]
    arrays = [pa.array(columns[f.name], type=f.type) for f in schema if f.name != "run_id"]
    names = [name for name in schema.names if name != "run_id"]
    arrays.append(pa.array(np.asarray(order, dtype=np.uint64)))
    arrays.append(pa.array(np.zeros(len(order), dtype=np.uint64) if order2 is None else np.asarray(order2, dtype=np.uint64)))
    return pa.RecordBatch.from_arrays(arrays, names=names + [ORDER, ORDER2])


def write_parquet(table: pa.Table, path: str) -> None:
    """Write ``table`` to ``path`` (any Beam filesystem) as zstd-compressed Parquet.
    Its chunks are joined first: the writer cuts pages at chunk boundaries, which
    depend on how the work was split, and the same rows must give the same bytes."""
    with FileSystems.create(path) as handle:
        pq.write_table(table.combine_chunks(), handle, compression="zstd")


class _WriteFn(beam.DoFn):
    def __init__(self, staging: str, run_id: str | None) -> None:
        self._staging = staging
        self._run_id = run_id

    def setup(self) -> None:
        self.stats = StageStats("write")

    def process(self, element):
        (name, block), chunks = element
        with self.stats.timed():
            table = pa.Table.from_batches(list(chunks))
            keys = _SORT_KEYS.get(name, []) + [ORDER, ORDER2]
            table = table.sort_by([(key, "ascending") for key in keys]).drop_columns([ORDER, ORDER2])
            table = finish_table(name, table, self._run_id)
            path = FileSystems.join(self._staging, name, f"part-{block:05d}.parquet")
            write_parquet(table, path)
        self.stats.count(f"{name}_rows", table.num_rows)
        yield name, path, table.num_rows


class WriteTables(beam.PTransform):
    """``((table, block), record batch)`` -> one Parquet file per table and block under
    ``staging``; outputs ``(table, path, rows)`` per file written."""

    def __init__(self, staging: str, run_id: str | None = None) -> None:
        super().__init__()
        self._staging = staging
        self._run_id = run_id

    def expand(self, chunks):
        return chunks | "GroupFiles" >> beam.GroupByKey() | "Write" >> beam.ParDo(_WriteFn(self._staging, self._run_id))
