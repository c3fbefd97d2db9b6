"""Exact copies of a passage, found by one hash each instead of by LSH.

A quote or a wire sentence that reappears word for word has the same shingles in the
same order in every copy.  Two copies share all their LSH band keys, so in LSH every
copy pairs with every other copy in every band: most of the band-key and pair traffic
of a news corpus.  cleanwire groups copies by a hash of their shingle sequence first.
One copy (the *representative*, see ``copy_pairs`` for which) takes part in LSH for
the later ones; every later copy in another document (an *alias*) is left out of LSH
and paired with the representative directly.  Because an alias has the same shingle
set as its representative, its similarity to any other passage is the
representative's; the passages of the representative's own sentence, which the
representative is never linked to, are compared with it once.  So an alias's place in
the clusters is decided from its representative's (see ``transforms.cluster``): the
clusters are those that linking every copy would give.
The cost is linear in the number of copies, however many there are.
"""

from __future__ import annotations

import numpy as np

from cleanwire.dedup.arrays import gather_ranges
from cleanwire.dedup.refs import doc_rank, make_ref, passage_index
from cleanwire.text.tokens import fmix64

__all__ = ["MAX_SENTENCE_PASSAGES", "copy_pairs", "sentence_members", "sequence_hashes"]


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


MAX_SENTENCE_PASSAGES = 16
"""A sentence with more passages than this (quotes and clauses) has no representative."""


def sentence_members(sentence_numbers: np.ndarray, matchable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each passage, its sentence: ``(first, members)``.

    ``sentence_numbers`` are the passages' sentence keys, non-decreasing (a sentence's
    passages are consecutive; for several documents at once, make the keys of
    different documents differ); ``matchable`` marks the passages that take
    part in matching.  ``first[k]`` is the index of the first passage of passage
    ``k``'s sentence and ``members[k]`` a uint16 bit mask of the matchable passages of
    that sentence (bit ``i``: passage ``first[k] + i``), 0 for a sentence of more than
    ``MAX_SENTENCE_PASSAGES`` passages."""
    sentence_numbers = np.asarray(sentence_numbers)
    matchable = np.asarray(matchable, dtype=bool)
    first = np.searchsorted(sentence_numbers, sentence_numbers, side="left")
    size = np.searchsorted(sentence_numbers, sentence_numbers, side="right") - first
    members = np.zeros(sentence_numbers.size, dtype=np.uint16)
    for i in range(MAX_SENTENCE_PASSAGES):
        inside = (i < size) & matchable[np.minimum(first + i, max(sentence_numbers.size - 1, 0))]
        members |= inside.astype(np.uint16) << np.uint16(i)
    members[size > MAX_SENTENCE_PASSAGES] = 0
    return first, members


def copy_pairs(
    hashes: np.ndarray, refs: np.ndarray, first: np.ndarray, members: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pair exact copies with their group's representative.

    ``hashes[k]`` is the ``sequence_hashes`` value of passage ``refs[k]`` (canonical-
    order refs, each at most once); ``first[k]`` and ``members[k]`` describe its
    sentence (see ``sentence_members``).  Passages with equal hashes form a group.  Its
    representative is its earliest member whose sentence has at most
    ``MAX_SENTENCE_PASSAGES`` passages and that is the group's first member in its
    document; each later member in another document is an *alias*, which need not take
    part in LSH: it is linked to exactly what the representative is linked to, and
    also to the passages of the representative's sentence that resemble it, which the
    representative, in the same document, is never linked to.

    Returns ``(representative, alias, sibling, of)``: a pair for each alias, sorted by
    alias, and for each representative that has aliases, each other matchable passage
    ``sibling`` of its sentence with the representative ``of``, to be verified against
    it.  Members before the representative or in its document stay in LSH."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    refs = np.asarray(refs, dtype=np.uint64)
    empty = np.zeros(0, dtype=np.uint64)
    if refs.size < 2:
        return empty, empty, empty, empty
    order = np.lexsort((refs, hashes))
    hashes, refs = hashes[order], refs[order]
    first, members = np.asarray(first, dtype=np.int64)[order], np.asarray(members, dtype=np.uint16)[order]
    docs = doc_rank(refs)
    group_start = np.concatenate(([True], hashes[1:] != hashes[:-1]))
    first_in_doc = group_start | np.concatenate(([True], docs[1:] != docs[:-1]))
    position = np.arange(refs.size)
    # Per group, the position of its representative (refs.size when it has none).
    eligible = np.where((members != 0) & first_in_doc, position, refs.size)
    chosen = np.minimum.reduceat(eligible, np.flatnonzero(group_start))[np.cumsum(group_start) - 1]
    safe = np.minimum(chosen, refs.size - 1)
    alias = (chosen < refs.size) & (position > chosen) & (docs != docs[safe])
    by_alias = np.argsort(refs[alias])
    representative, aliases = refs[safe][alias][by_alias], refs[alias][by_alias]
    # The other matchable passages of each representative's sentence.
    represents = np.unique(safe[alias])
    own = passage_index(refs[represents]).astype(np.int64) - first[represents]
    bits = np.arange(MAX_SENTENCE_PASSAGES, dtype=np.uint16)
    is_sibling = ((members[represents][:, None] >> bits[None, :]) & np.uint16(1)).astype(bool)
    is_sibling &= bits[None, :] != own[:, None]
    row, bit = np.nonzero(is_sibling)
    of = refs[represents][row]
    sibling = make_ref(doc_rank(of), first[represents][row] + bit)
    return representative, aliases, sibling, of
