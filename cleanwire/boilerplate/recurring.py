"""Lines that recur across the pages of a source: site chrome even when it reads like prose.

A newsletter plug, a standard disclaimer or a tag line can look like article prose on
one page; on every page of the site it is plainly boilerplate.  The pipeline counts,
per source, how many documents contain each line (``counted_hashes`` gives a page's
contribution, ``LineCounts`` adds contributions and pages up); lines with enough support
(``CleanParams``) are removed from every document of the source
(``Extraction.without``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from cleanwire.boilerplate.text import KEPT, Extraction
from cleanwire.dedup.arrays import sorted_unique, sum_by_key

__all__ = ["LineCounts", "counted_hashes", "page_key"]


def counted_hashes(extraction: Extraction) -> np.ndarray:
    """The distinct line hashes of a page (uint64, sorted), 0 (no letters) left out.

    Every line counts, kept or removed: a line's support is the number of documents
    that show it, whatever each page's classifier made of it."""
    hashes = sorted_unique(np.asarray(extraction.hashes, dtype=np.uint64))
    return hashes[hashes != 0]


def page_key(extraction: Extraction) -> bytes:
    """A 16-byte key equal for pages that keep the same article lines (as a set): the
    same page read twice (a duplicate scrape row) or re-crawled with other chrome
    around it ("Most read: ..." lists change).  Such copies count once towards a line's
    support, or five copies of one article would make its own lines recur.  A page that
    keeps nothing is keyed by all its lines."""
    hashes = np.asarray(extraction.hashes, dtype=np.uint64)
    kept = hashes[np.asarray(extraction.status) == KEPT] if len(hashes) else hashes
    return hashlib.blake2b(sorted_unique(kept if kept.size else hashes).tobytes(), digest_size=16).digest()


@dataclass
class LineCounts:
    """How many pages contain each line hash, and how many pages were added (a line's
    support is judged against the source's own page count, so the counts carry it and
    no per-source total has to travel beside them).

    Pages are buffered and summed in bulk (one sort per ``_COMPACT_AT`` hashes), so
    adding a page costs no Python per line."""

    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pages: int = 0
    _pending: list = field(default_factory=list)
    _pending_size: int = 0

    _COMPACT_AT = 1 << 16

    def add(self, hashes: np.ndarray) -> "LineCounts":
        """Count one page more, containing the distinct ``hashes``; returns self."""
        self.pages += 1
        return self._add(hashes, np.ones(len(hashes), dtype=np.int64))

    def merge(self, other: "LineCounts") -> "LineCounts":
        """Add ``other``'s pages and counts to these; returns self."""
        other.compact()
        self.pages += other.pages
        return self._add(other.hashes, other.counts)

    def _add(self, hashes: np.ndarray, counts: np.ndarray) -> "LineCounts":
        self._pending.append((hashes, counts))
        self._pending_size += len(hashes)
        if self._pending_size >= self._COMPACT_AT:
            self.compact()
        return self

    def compact(self) -> "LineCounts":
        """Sum the buffered pages into ``hashes``/``counts`` (sorted, distinct)."""
        if self._pending:
            self.hashes, self.counts = sum_by_key(
                np.concatenate([self.hashes] + [h for h, _ in self._pending]),
                np.concatenate([self.counts] + [c for _, c in self._pending]),
            )
            self._pending, self._pending_size = [], 0
        return self

    def at_least(self, support: int) -> frozenset[int]:
        """The hashes contained in at least ``support`` documents."""
        self.compact()
        return frozenset(self.hashes[self.counts >= support].tolist())
