"""From a cleaned document to its passages and their shingle sets.

``shingle_document`` is the single place where a document's passages and shingles are
computed: the signature stage calls it for every document, verification again for the
documents that have candidates, so both see exactly the same sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleanwire.minhash.signatures import shingle_hashes
from cleanwire.text.segment import CLAUSE, QUOTE, SENTENCE, segment
from cleanwire.text.tokens import index_text

__all__ = ["KIND_CODES", "KIND_NAMES", "DocumentShingles", "shingle_document"]

KIND_NAMES = (SENTENCE, QUOTE, CLAUSE)
KIND_CODES = {name: code for code, name in enumerate(KIND_NAMES)}


@dataclass(frozen=True)
class DocumentShingles:
    """Passages of a document and where their shingles are.

    ``passages``: ``(n, 4)`` int64 rows of ``start, end, kind code, sentence number``,
    in passage order (row ``k`` is passage ``k``).  ``shingles``: uint32 hash of every
    ``ngram``-word window of the document.  Passage ``k``'s shingle set is
    ``shingles[lo[k]:hi[k]]`` (windows that lie inside it; empty when it has fewer
    than ``ngram`` words).  ``words[k]``: number of words of passage ``k``.
    """

    passages: np.ndarray
    shingles: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    words: np.ndarray

    def passage_set(self, k: int) -> np.ndarray:
        """The distinct shingles of passage ``k`` (sorted)."""
        return np.unique(self.shingles[self.lo[k]:self.hi[k]])

    def document_set(self) -> np.ndarray:
        """The distinct shingles of all sentences (no window crosses a sentence)."""
        sentences = self.passages[:, 2] == KIND_CODES[SENTENCE]
        pieces = [self.shingles[a:b] for a, b in zip(self.lo[sentences], self.hi[sentences]) if b > a]
        return np.unique(np.concatenate(pieces)) if pieces else np.zeros(0, dtype=np.uint32)


def shingle_document(text: str, ngram: int, min_words: int) -> DocumentShingles:
    """Segment ``text`` (see ``cleanwire.text.segment``) and shingle its passages."""
    index = index_text(text)
    spans = segment(text, min_words, index)
    passages = np.array([(s.start, s.end, KIND_CODES[s.kind], s.sentence) for s in spans], dtype=np.int64).reshape(-1, 4)
    first = np.searchsorted(index.starts, passages[:, 0], side="left")
    after = np.searchsorted(index.ends, passages[:, 1], side="right")
    words = np.maximum(after - first, 0)
    shingles = shingle_hashes(index.hashes, ngram)
    lo = np.minimum(first, shingles.size)
    hi = np.clip(after - ngram + 1, lo, shingles.size)
    return DocumentShingles(passages, shingles, lo, hi, words)
