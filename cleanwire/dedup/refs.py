"""Compact 64-bit references to documents and passages that sort in canonical order.

A document's *rank* is its position in canonical order (earliest ``published`` first,
undated after dated, then by ``uri``); ``ref = rank << PASSAGE_BITS | passage_idx``.
So comparing two refs compares canonical order, and two refs with the same rank belong
to the same document.  Document-level matching uses ``passage_idx = 0``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PASSAGE_BITS", "doc_rank", "make_ref", "passage_index"]

PASSAGE_BITS = 24
_PASSAGE_MASK = np.uint64((1 << PASSAGE_BITS) - 1)


def make_ref(rank, passage_idx):
    """Return the ref(s) of passage ``passage_idx`` of the document at ``rank``."""
    return (np.asarray(rank, dtype=np.uint64) << np.uint64(PASSAGE_BITS)) | np.asarray(passage_idx, dtype=np.uint64)


def doc_rank(ref):
    """Return the document rank(s) of ``ref``."""
    return np.asarray(ref, dtype=np.uint64) >> np.uint64(PASSAGE_BITS)


def passage_index(ref):
    """Return the passage index(es) of ``ref``."""
    return np.asarray(ref, dtype=np.uint64) & _PASSAGE_MASK
