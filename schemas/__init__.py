"""pyarrow schemas of every dataset cleanwire writes.  Defined here once.

Types are chosen for the tools analysts use (DuckDB, pandas, Polars, Spark): strings
are ``string`` (never binary), timestamps carry a time zone (UTC), lists are lists.
Every file carries ``cleanwire.schema_version`` in its metadata; columns are only ever
added, so readers of older files keep working.  The version rises with every change of
columns:

1. the first release's columns;
2. ``documents.encoding``, ``documents.input_format`` and ``errors.input_format``.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "DOCUMENTS", "ERRORS", "HISTORY", "MANIFEST", "MANIFESTS", "PAIRS", "PASSAGES", "SCHEMA_VERSION", "SCHEMAS",
    "run_partition",
]

SCHEMA_VERSION = "2"
_UTC = pa.timestamp("us", tz="UTC")


def _field(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": doc})


def _schema(name: str, *fields: pa.Field) -> pa.Schema:
    return pa.schema(fields, metadata={"cleanwire.table": name, "cleanwire.schema_version": SCHEMA_VERSION})


DOCUMENTS = _schema(
    "documents",
    _field("doc_id", pa.string(), "Stable id: BLAKE2b of the uri and the raw content.", False),
    _field("uri", pa.string(), "Where the document came from: file path, with #offset=N (the record's byte offset) "
           "for a record of a WARC, WET or JSONL file.", False),
    _field("source", pa.string(), "Publisher: URL domain when known, else derived from the location.", False),
    _field("format", pa.string(), "How the page was cleaned: text or html (its declared format, or what its content plainly shows).", False),
    _field("url", pa.string(), "The page's URL, when known."),
    _field("title", pa.string(), "Headline."),
    _field("published", _UTC, "Publication time (UTC; times without a zone are taken as UTC)."),
    _field("text", pa.string(), "Article text, boilerplate removed, NFKC; paragraphs separated by a blank line.", False),
    _field("boilerplate", pa.list_(pa.string()), "Blocks removed as boilerplate, in page order.", False),
    _field("duplicate_of", pa.string(), "doc_id of the canonical document this one near-duplicates, else null."),
    _field("duplicate_similarity", pa.float64(), "Jaccard similarity to that canonical document."),
    _field("unique_text", pa.string(), "text without the passages that near-duplicate an earlier passage.", False),
    _field("canonical_rank", pa.int64(), "Position in canonical order (published, undated last, then uri).", False),
    _field("raw_chars", pa.int64(), "Characters of the decoded input.", False),
    _field("passages", pa.int64(), "Number of passages (rows in passages).", False),
    _field("run_id", pa.string(), "The run that wrote the row (with --run-date or --history), else null."),
    _field("encoding", pa.string(), "Encoding the input was read in (utf-8, cp1252, utf-16, ...; +cp1252: stray "
           "Windows-1252 bytes in UTF-8; +mojibake-repaired: ftfy repaired UTF-8 read as a legacy encoding).", False),
    _field("input_format", pa.string(), "The file format it was read from: text, html, warc, wet or jsonl.", False),
)

PASSAGES = _schema(
    "passages",
    _field("doc_id", pa.string(), "The document.", False),
    _field("passage_idx", pa.int64(), "Index of the passage in its document.", False),
    _field("kind", pa.string(), "sentence, quote (the quoted part of a sentence) or clause (the rest of such a "
           "sentence, or a part split at an attribution like ', said').", False),
    _field("sentence_idx", pa.int64(), "Index of the sentence this passage is (part of).", False),
    _field("text", pa.string(), "The passage: text[start:end] of the document.", False),
    _field("start", pa.int64(), "Character offset in documents.text.", False),
    _field("end", pa.int64(), "End offset (exclusive) in documents.text.", False),
    _field("cluster_id", pa.string(), "Near-duplicate cluster, shared by all members; null when unclustered."),
    _field("is_canonical", pa.bool_(), "True for a cluster's first member in canonical order and for unclustered passages.", False),
    _field("similarity", pa.float64(), "Similarity to the cluster's canonical passage (see link)."),
    _field("link", pa.string(), "How the passage was linked to the canonical: jaccard or containment."),
    _field("canonical_doc_id", pa.string(), "For a cluster member: the doc_id of the cluster's canonical passage, else null."),
    _field("canonical_passage_idx", pa.int64(), "For a cluster member: the canonical passage's passage_idx, else null."),
    _field("run_id", pa.string(), "The run that wrote the row (with --run-date or --history), else null."),
)

PAIRS = _schema(
    "pairs",
    _field("level", pa.string(), "passage or document.", False),
    _field("doc_id_a", pa.string(), "Earlier document in canonical order.", False),
    _field("passage_idx_a", pa.int64(), "Passage of doc_id_a (null for document pairs)."),
    _field("doc_id_b", pa.string(), "Later document.", False),
    _field("passage_idx_b", pa.int64(), "Passage of doc_id_b (null for document pairs)."),
    _field("jaccard", pa.float64(), "Exact Jaccard similarity of the shingle sets.", False),
    _field("containment_a_in_b", pa.float64(), "Share of a's shingles found in b.", False),
    _field("containment_b_in_a", pa.float64(), "Share of b's shingles found in a.", False),
    _field("link", pa.string(), "Which measure passed its threshold: jaccard or containment.", False),
    _field("run_id", pa.string(), "The run that wrote the row (with --run-date or --history), else null."),
)

ERRORS = _schema(
    "errors",
    _field("uri", pa.string(), "The input (file path, with a record locator for multi-record files).", False),
    _field("stage", pa.string(), "Stage that failed: read, clean or recurring.", False),
    _field("error_class", pa.string(), "Kind of error.", False),
    _field("error", pa.string(), "What went wrong and what to do about it.", False),
    _field("run_id", pa.string(), "The run that wrote the row (with --run-date or --history), else null."),
    _field("input_format", pa.string(), "The file format: text, html, warc, wet, jsonl, or other (not read).", False),
)

SCHEMAS = {"documents": DOCUMENTS, "passages": PASSAGES, "pairs": PAIRS, "errors": ERRORS}

# The layout of an output.  A single run: OUT/TABLE/*.parquet and OUT/manifest.json.  A
# dataset root of dated runs: OUT/TABLE/run_date=D/*.parquet and
# OUT/manifests/run_date=D/manifest.json, the manifest marking a complete run.
MANIFEST = "manifest.json"
MANIFESTS = "manifests"


def run_partition(run_date: str) -> str:
    """The directory name of the dated run ``run_date`` (YYYY-MM-DD) in each table."""
    return f"run_date={run_date}"

HISTORY = _schema(
    "history",
    _field("run_id", pa.string(), "The run that saw the document.", False),
    _field("rank", pa.int64(), "Position in canonical order over all runs of the history.", False),
    _field("doc_id", pa.string(), "The document.", False),
    _field("passages", pa.list_(pa.int64()), "Passages: start, end, kind code, sentence number, flattened.", False),
    _field("shingles", pa.list_(pa.uint32()), "Hash of every word n-gram of the text.", False),
    _field("windows", pa.list_(pa.int64()), "Each passage's range in shingles: lo, hi, flattened.", False),
    _field("eligible", pa.list_(pa.int64()), "Indexes of the passages that take part in matching.", False),
    _field("signatures", pa.list_(pa.uint32()), "MinHash signatures of the eligible passages, flattened.", False),
    _field("doc_signature", pa.list_(pa.uint32()), "MinHash signature of the document (empty: none)."),
    _field("member_passages", pa.list_(pa.int64()), "Passages with a verified link to an earlier passage (never canonical).", False),
    _field("doc_member", pa.bool_(), "Whether the document has a verified link to an earlier document.", False),
)
"""Schema of the history store's files (``--history``): what later runs match against."""
