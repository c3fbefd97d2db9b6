"""Exact copies of a passage, found by one hash each instead of by LSH.

A quote or a wire sentence that reappears word for word has the same shingles in the
same order in every copy.  Two copies share all their LSH band keys, so in LSH every
copy pairs with every other copy in every band: most of the band-key and pair traffic
of a news corpus.  cleanwire groups copies by a hash of their shingle sequence first.
One copy (the *representative*, see ``copy_pairs`` for which) takes part in LSH for
the later ones; every later copy in another document (an *alias*) is left out of LSH
and paired with the representative directly.  Because an alias has the same shingle
set as its representative, its similarity to any other passage is the
representative's, and it takes the representative's place in the clusters (see
``transforms.cluster``): the clusters are those that linking every copy would give.
The cost is linear in the number of copies, however many there are.
"""

from __future__ import annotations

import numpy as np

from cleanwire.dedup.arrays import gather_ranges
from cleanwire.dedup.refs import doc_rank
from cleanwire.text.tokens import fmix64

__all__ = ["copy_pairs", "sequence_hashes"]


def sequence_hashes(shingles: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each range ``shingles[starts[k]:ends[k]]``, in order.

    Equal sequences get equal hashes (so equal shingle sets); different sequences
    collide with probability about 2**-64 per pair.  Empty ranges all get the same
    hash: callers leave them out.  One pass over the ranges, no sort."""
    values, offsets = gather_ranges(np.asarray(shingles, dtype=np.uint32), starts, ends)
    lengths = np.diff(offsets)
    out = fmix64(lengths.astype(np.uint64))
    if values.size == 0:
        return out
    position = np.arange(values.size, dtype=np.uint64) - np.repeat(offsets[:-1], lengths).astype(np.uint64)
    mixed = fmix64((position << np.uint64(32)) | values.astype(np.uint64))
    nonempty = lengths > 0
    with np.errstate(over="ignore"):
        # A sum of mixed (position, value) terms: order-sensitive through the position.
        out[nonempty] += np.add.reduceat(mixed, offsets[:-1][nonempty])
    return out


def copy_pairs(hashes: np.ndarray, refs: np.ndarray, alone: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair exact copies with their group's representative.

    ``hashes[k]`` is the ``sequence_hashes`` value of passage ``refs[k]`` (canonical-
    order refs, each at most once); ``alone[k]`` says that no other passage of its
    document belongs to the same sentence (it has no quote or clause parts and is not
    one).  Passages with equal hashes form a group.  Its representative is the earliest
    member that is alone and the first of the group in its document: then no passage
    of its own document, which it is never linked to, is likely to resemble it, and
    each later copy in another document is linked to exactly what the representative is
    linked to.  Returns ``(representative, alias)`` pairs, one for each such later copy,
    sorted by alias: those copies need not take part in LSH.  Groups without a
    representative, and members before it or in its document, stay in LSH."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    refs = np.asarray(refs, dtype=np.uint64)
    empty = np.zeros(0, dtype=np.uint64)
    if refs.size < 2:
        return empty, empty
    order = np.lexsort((refs, hashes))
    hashes, refs, alone = hashes[order], refs[order], np.asarray(alone, dtype=bool)[order]
    docs = doc_rank(refs)
    first = np.concatenate(([True], hashes[1:] != hashes[:-1]))
    first_in_doc = first | np.concatenate(([True], docs[1:] != docs[:-1]))
    position = np.arange(refs.size)
    # Per group, the position of its representative (refs.size when it has none).
    eligible = np.where(alone & first_in_doc, position, refs.size)
    chosen = np.minimum.reduceat(eligible, np.flatnonzero(first))[np.cumsum(first) - 1]
    has_representative = chosen < refs.size
    representative = refs[np.minimum(chosen, refs.size - 1)]
    alias = has_representative & (position > chosen) & (docs != doc_rank(representative))
    by_alias = np.argsort(refs[alias])
    return representative[alias][by_alias], refs[alias][by_alias]
