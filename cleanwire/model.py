"""Records that flow between pipeline stages.  Plain dataclasses: no Beam here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from cleanwire.boilerplate.text import Extraction
from cleanwire.text.tokens import fmix64

__all__ = [
    "CleanDocument", "ErrorRecord", "ExtractedDocument", "PartitionIndex", "RankedBatch", "RawDocument",
    "cluster_id_for", "cluster_ids", "doc_id_for", "history_partition", "order_key",
]


def order_key(published: datetime | None, uri: str, doc_id: str) -> tuple:
    """A document's place in canonical order: dated documents first, earliest first;
    then by ``uri`` (and ``doc_id``, so that no two documents tie)."""
    if published is None:
        return (1, 0, uri, doc_id)
    return (0, int(published.timestamp() * 1_000_000), uri, doc_id)


def doc_id_for(uri: str, content: bytes) -> str:
    """A document's id: 32 hex digits of BLAKE2b over its location and raw content.

    The same bytes at the same location always give the same id, in every run."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(uri.encode("utf-8"))
    digest.update(b"\0")
    digest.update(content)
    return digest.hexdigest()


def cluster_ids(doc_ids: np.ndarray, passage_idx: np.ndarray) -> list[str]:
    """Cluster ids (16 hex digits) of clusters whose canonical passages are given.

    ``doc_ids`` holds the canonical passages' doc ids (32 hex digits, as str or bytes),
    ``passage_idx`` their passage indexes.  The id depends only on the canonical
    passage, so a cluster keeps its id in every run.  Vectorised: no hashing per call.
    """
    hex_digits = np.frombuffer(np.asarray(doc_ids, dtype="S32").tobytes(), dtype=np.uint8).reshape(-1, 32)[:, :16]
    nibbles = hex_digits.astype(np.uint64) - np.uint64(48)
    nibbles[nibbles > 9] -= np.uint64(39)  # "a".."f"
    prefix = (nibbles << (np.uint64(4) * np.arange(15, -1, -1, dtype=np.uint64))).sum(axis=1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = fmix64(prefix ^ ((np.asarray(passage_idx, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)))
    return [format(value, "016x") for value in mixed.tolist()]


def cluster_id_for(doc_id: str, passage_idx: int) -> str:
    """The cluster id of one canonical passage (see ``cluster_ids``)."""
    return cluster_ids(np.array([doc_id], dtype="S32"), np.array([passage_idx]))[0]


@dataclass
class RawDocument:
    """One input document as read: where it came from and its undecoded bytes."""

    uri: str
    source: str
    format: str  # "text" or "html"
    content: bytes
    url: str | None = None
    input_format: str = ""  # the reader: text, html, warc, wet or jsonl (default: the page's format)
    title: str | None = None  # what a container (WARC, JSONL) says, used when the page does not
    published: datetime | None = None
    charset: str | None = None  # declared by the container (HTTP header)

    def __post_init__(self) -> None:
        self.input_format = self.input_format or self.format


@dataclass
class ErrorRecord:
    """An input (or record) that could not be processed, and why."""

    uri: str
    stage: str
    error_class: str
    error: str
    input_format: str = "other"  # the reader's format; "other" for a file no reader takes


@dataclass
class ExtractedDocument:
    """A document after decoding and per-page boilerplate removal, before the lines
    that recur across its source are known (``extraction`` holds every line of the
    page with its status and hash)."""

    doc_id: str
    uri: str
    source: str
    format: str
    extraction: Extraction
    url: str | None = None
    raw_chars: int = 0
    encoding: str = "utf-8"
    input_format: str = ""

    def __post_init__(self) -> None:
        self.input_format = self.input_format or self.format

    def order_key(self) -> tuple:
        """Canonical order (``order_key``); removing recurring lines does not change it."""
        return order_key(self.extraction.published, self.uri, self.doc_id)


@dataclass
class CleanDocument:
    """A document after decoding, boilerplate removal and metadata extraction."""

    doc_id: str
    uri: str
    source: str
    format: str
    text: str
    boilerplate: list[str]
    url: str | None = None
    title: str | None = None
    published: datetime | None = None
    raw_chars: int = 0
    encoding: str = "utf-8"
    input_format: str = ""

    def __post_init__(self) -> None:
        self.input_format = self.input_format or self.format

    def order_key(self) -> tuple:
        """Canonical order (``order_key``)."""
        return order_key(self.published, self.uri, self.doc_id)


@dataclass
class RankedBatch:
    """The documents of one range partition, in canonical order.

    Document ``k`` has rank ``first_rank + k``.  ``shingled[k]`` holds its passages and
    shingles (a ``cleanwire.dedup.shingling.DocumentShingles``; filled in by the
    signature stage).
    """

    partition: int
    first_rank: int
    docs: list[CleanDocument]
    shingled: list = field(default_factory=list)
    signed: list = field(default_factory=list)  # per document: MatchableSignatures, staged for LSH and the history


@dataclass(frozen=True)
class PartitionIndex:
    """The run's work layout: which range partition holds which ranks, and how many
    shards keys, pairs and links are spread over.

    Partition ``partitions[k]`` holds ranks ``first_ranks[k]`` up to (not including) the
    next first rank, or ``total`` (the end of the run's ranks).  The run's documents
    have ranks ``base`` to ``total``; with a history of earlier runs, ``base`` is where
    the history ends, and ``history[k] = (first_rank, path)`` is the history file that
    holds ranks from ``first_rank`` up to the next one (or ``base``).  History files act
    as partitions ``-1, -2, ...`` (``history_partition``)."""

    partitions: tuple[int, ...] = ()
    first_ranks: tuple[int, ...] = ()
    total: int = 0
    shards: int = 1
    base: int = 0
    history: tuple[tuple[int, str], ...] = ()

    @classmethod
    def from_counts(
        cls, counts: list[tuple[int, int]], shards: int = 1, base: int = 0, history: tuple[tuple[int, str], ...] = ()
    ) -> "PartitionIndex":
        """Build the index from ``(partition, number of documents)`` pairs; ranks start at ``base``."""
        counts = sorted(counts)
        firsts, rank = [], base
        for _, n in counts:
            firsts.append(rank)
            rank += n
        return cls(tuple(p for p, _ in counts), tuple(firsts), rank, shards, base, tuple(history))

    def first_rank(self, partition: int) -> int:
        """The rank of ``partition``'s first document."""
        return self.first_ranks[self.partitions.index(partition)]

    def partition_of(self, ranks: np.ndarray) -> np.ndarray:
        """The partition holding each rank in ``ranks`` (negative for history files)."""
        firsts = np.asarray([first for first, _ in self.history] + list(self.first_ranks), dtype=np.int64)
        ids = np.asarray([history_partition(k) for k in range(len(self.history))] + list(self.partitions), dtype=np.int64)
        positions = np.searchsorted(firsts, np.asarray(ranks, dtype=np.int64), side="right") - 1
        return ids[positions]

    def history_path(self, partition: int) -> str:
        """The history file that acts as (negative) ``partition``."""
        return self.history[-partition - 1][1]


def history_partition(k: int) -> int:
    """The partition number of history file ``k``: ``-1 - k``."""
    return -1 - k
