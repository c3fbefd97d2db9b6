"""From a cleaned document to its passages and their shingle sets.

``shingle_document`` is the single place where a document's passages and shingles are
computed: the signature stage calls it for every document, verification again for the
documents that have candidates, so both see exactly the same sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleanwire.dedup.arrays import gather_ranges, sorted_unique

from cleanwire.minhash.signatures import shingle_hashes
from cleanwire.text.segment import CLAUSE, QUOTE, SENTENCE, segment
from cleanwire.text.tokens import index_text

__all__ = ["KIND_CODES", "KIND_NAMES", "DocumentShingles", "concat_shingles", "range_sets", "shingle_document"]

KIND_NAMES = (SENTENCE, QUOTE, CLAUSE)
KIND_CODES = {name: code for code, name in enumerate(KIND_NAMES)}


@dataclass(frozen=True)
class DocumentShingles:
    """Passages of a document and where their shingles are.

    ``passages``: ``(n, 4)`` int64 rows of ``start, end, kind code, sentence number``,
    in passage order (row ``k`` is passage ``k``).  ``shingles``: uint32 hash of every
    ``ngram``-word window of the document.  Passage ``k``'s shingle set is
    ``shingles[lo[k]:hi[k]]`` (windows that lie inside it; empty when it has fewer
    than ``ngram`` words).  ``words[k]``: number of words of passage ``k`` (None when
    read back from a partition file, where only what verification needs is kept).
    """

    passages: np.ndarray
    shingles: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    words: np.ndarray | None = None


def concat_shingles(docs: list[DocumentShingles]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Several documents' shingles as one array: ``(shingles, lo, hi, passage_base)``.
    Document ``k``'s passages are rows ``passage_base[k]:passage_base[k + 1]`` of ``lo``
    and ``hi``, which index the joined ``shingles``."""
    shingle_base = np.cumsum([0] + [d.shingles.size for d in docs])
    passage_base = np.cumsum([0] + [len(d.passages) for d in docs])
    shift = np.repeat(shingle_base[:-1], np.diff(passage_base))
    shingles = np.concatenate([d.shingles for d in docs]) if docs else np.zeros(0, dtype=np.uint32)
    lo = np.concatenate([d.lo for d in docs] or [np.zeros(0, dtype=np.int64)]) + shift
    hi = np.concatenate([d.hi for d in docs] or [np.zeros(0, dtype=np.int64)]) + shift
    return shingles, lo, hi, passage_base


def shingle_document(text: str, ngram: int, min_words: int) -> DocumentShingles:
    """Segment ``text`` (see ``cleanwire.text.segment``) and shingle its passages."""
    index = index_text(text)
    spans = segment(text, min_words, index)
    passages = np.array([(s.start, s.end, KIND_CODES[s.kind], s.sentence) for s in spans], dtype=np.int64).reshape(-1, 4)
    return _shingled(index, passages, ngram)


def _shingled(index, passages: np.ndarray, ngram: int) -> DocumentShingles:
    first = np.searchsorted(index.starts, passages[:, 0], side="left")
    after = np.searchsorted(index.ends, passages[:, 1], side="right")
    words = np.maximum(after - first, 0)
    shingles = shingle_hashes(index.hashes, ngram)
    lo = np.minimum(first, shingles.size)
    hi = np.clip(after - ngram + 1, lo, shingles.size)
    return DocumentShingles(passages, shingles, lo, hi, words)


def range_sets(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, groups: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of several ranges at once, as a ragged array.

    Set ``g`` (for ``g`` in ``range(count)``) is the union of ``values[starts[k]:ends[k]]``
    over the ranges ``k`` with ``groups[k] == g``.  Returns ``(set_values, offsets)``:
    set ``g`` is ``set_values[offsets[g]:offsets[g+1]]``, sorted.  One sort in all.
    """
    gathered, offsets = gather_ranges(values, starts, ends)
    if gathered.size == 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(count + 1, dtype=np.int64)
    owners = np.repeat(np.asarray(groups, dtype=np.uint64), np.diff(offsets))
    tagged = (owners << np.uint64(32)) | gathered.astype(np.uint64)
    tagged = sorted_unique(tagged)
    owners = (tagged >> np.uint64(32)).astype(np.int64)
    offsets = np.searchsorted(owners, np.arange(count + 1), side="left").astype(np.int64)
    return (tagged & np.uint64(0xFFFFFFFF)).astype(np.uint32), offsets
