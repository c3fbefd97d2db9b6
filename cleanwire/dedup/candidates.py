"""Candidate pairs from LSH buckets, without quadratic blow-up on large buckets.

Items that share a band key fall in one bucket.  ``bucket_pairs`` turns bucket members
into candidate pairs: all pairs in a bucket of at most ``cap`` members; in a larger
bucket (a sentence every page of a site repeats, a wire story republished a thousand
times) all pairs among its first ``cap`` members in canonical order, plus the first
member paired with every other member.  The first member is the earliest, so every
member still meets the passage that will become its cluster's canonical, and the cost
stays linear in the bucket size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleanwire.dedup.arrays import sorted_unique, split_by_key
from cleanwire.dedup.refs import doc_rank, make_ref, passage_index
from cleanwire.dedup.shingling import KIND_CODES, DocumentShingles
from cleanwire.minhash.signatures import band_hashes

__all__ = [
    "ENTRY_DOCS", "ENTRY_PASSAGES", "MatchableSignatures", "PackedPairs", "bucket_pairs", "count_pairs", "global_refs",
    "document_entries", "local_ref", "lsh_entries", "matchable_signatures", "pack_pairs", "passage_entries", "shard_entries",
    "unique_pairs", "unpack_pairs", "without_passages",
]


def _dense_rank(values: np.ndarray) -> np.ndarray:
    """Rank of each value among the distinct values (equal values, equal ranks)."""
    order = np.argsort(values)
    ordered = values[order]
    ranks = np.empty(values.size, dtype=np.uint64)
    ranks[order] = np.cumsum(np.concatenate(([0], ordered[1:] != ordered[:-1]))).astype(np.uint64)
    return ranks


@dataclass(frozen=True)
class _RefCodes:
    """Order-preserving codes of refs in as few bits as their ranks and passage indexes
    need: ``(rank - lowest) << passage_bits | passage``.  Two codes of a pair fit in one
    uint64 whenever the run's documents and passages allow (``width`` bits each), so
    that pairs sort with one plain sort instead of ranking each side first."""

    lowest: np.uint64
    passage_bits: int
    width: int

    @classmethod
    def fit(cls, *sides: np.ndarray) -> "_RefCodes":
        """Codes for the refs of every array of ``sides`` (each non-empty)."""
        ranks = [doc_rank(side) for side in sides]
        lowest = min(int(r.min()) for r in ranks)
        highest = max(int(r.max()) for r in ranks)
        passage_bits = max(int(passage_index(side).max()) for side in sides).bit_length()
        return cls(np.uint64(lowest), passage_bits, (highest - lowest).bit_length() + passage_bits)

    def encode(self, refs: np.ndarray) -> np.ndarray:
        return ((doc_rank(refs) - self.lowest) << np.uint64(self.passage_bits)) | passage_index(refs)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        mask = np.uint64((1 << self.passage_bits) - 1)
        return make_ref((codes >> np.uint64(self.passage_bits)) + self.lowest, codes & mask)

    def pairs(self, u: np.ndarray, v: np.ndarray, spare_bits: int = 0) -> np.ndarray | None:
        """One uint64 per pair, ordered as ``(u, v)``, with ``spare_bits`` free low bits;
        None when the codes do not fit."""
        if 2 * self.width + spare_bits > 64:
            return None
        return (self.encode(u) << np.uint64(self.width + spare_bits)) | (self.encode(v) << np.uint64(spare_bits))

    def split(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ``(u, v)`` refs of ``pairs`` made without spare bits."""
        return self.decode(pairs >> np.uint64(self.width)), self.decode(pairs & np.uint64((1 << self.width) - 1))


@dataclass(frozen=True)
class PackedPairs:
    """Pairs ``(u, v)`` and their hits in compact form for a shuffle: one uint64 per
    pair (compact codes, see ``_RefCodes``) where the refs allow, else the two refs,
    and hits in the smallest integer type that holds them: about 9 bytes a pair
    instead of 24."""

    codes: _RefCodes | None
    pairs: np.ndarray
    hits: np.ndarray


def pack_pairs(u: np.ndarray, v: np.ndarray, hits: np.ndarray) -> PackedPairs:
    """``PackedPairs`` of refs ``u``, ``v`` and counts ``hits`` (non-negative)."""
    hits = np.asarray(hits)
    small = hits.astype(np.min_scalar_type(int(hits.max()) if hits.size else 0))
    if u.size:
        codes = _RefCodes.fit(u, v)
        pairs = codes.pairs(u, v)
        if pairs is not None:
            return PackedPairs(codes, pairs, small)
    return PackedPairs(None, np.stack((u, v)), small)


def unpack_pairs(packed: PackedPairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``(u, v, hits)`` of ``pack_pairs`` (hits as int64)."""
    hits = packed.hits.astype(np.int64)
    if packed.codes is None:
        return packed.pairs[0], packed.pairs[1], hits
    return (*packed.codes.split(packed.pairs), hits)


def pair_order(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Indices that sort pairs by ``u`` then ``v`` (one 64-bit sort, much faster than
    ``np.lexsort`` on two uint64 columns)."""
    if u.size == 0:
        return np.zeros(0, dtype=np.int64)
    composite = _RefCodes.fit(u, v).pairs(u, v)
    if composite is None:  # too many documents for compact codes: rank each side
        composite = (_dense_rank(u) << np.uint64(32)) | _dense_rank(v)
    return np.argsort(composite)


def unique_pairs(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct ``(u, v)`` pairs, sorted by ``u`` then ``v``."""
    u, v, _ = count_pairs(u, v)
    return u, v


def count_pairs(u: np.ndarray, v: np.ndarray, counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(u, v)`` pairs with the sum of their ``counts`` (non-negative; 1 each
    when None), sorted by ``u`` then ``v``."""
    counts = np.ones(u.size, dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
    if u.size == 0:
        return u, v, counts
    codes = _RefCodes.fit(u, v)
    count_bits = max(1, int(counts.max()).bit_length())
    packed = codes.pairs(u, v, count_bits)
    if packed is None:
        return _count_ranked_pairs(u, v, counts)
    # The count rides in the low bits, so one plain sort (no argsort, no gather) groups the pairs.
    packed = np.sort(packed | counts.astype(np.uint64))
    pairs = packed >> np.uint64(count_bits)
    starts = np.flatnonzero(np.concatenate(([True], pairs[1:] != pairs[:-1])))
    sums = np.add.reduceat((packed & np.uint64((1 << count_bits) - 1)).astype(np.int64), starts)
    return (*codes.split(pairs[starts]), sums)


def _count_ranked_pairs(u: np.ndarray, v: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count_pairs`` for refs too far apart for compact codes."""
    order = pair_order(u, v)
    u, v, counts = u[order], v[order], counts[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    starts = np.flatnonzero(first)
    return u[starts], v[starts], np.add.reduceat(counts, starts)


def _shared_buckets(keys: np.ndarray, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries whose key another entry shares, sorted by key, then ref."""
    codes = _RefCodes.fit(refs)
    if codes.width > 32 or (keys.dtype.itemsize > 4 and int(keys.max()) >= 1 << 32):
        return _shared_buckets_ranked(keys, refs)
    # Key and compact ref in one uint64: one plain sort orders the buckets and their
    # members (no argsort, no gather).
    packed = np.sort((keys.astype(np.uint64) << np.uint64(32)) | codes.encode(refs))
    sorted_keys = packed >> np.uint64(32)
    shared = _shared(sorted_keys)
    return sorted_keys[shared], codes.decode(packed[shared] & np.uint64(0xFFFFFFFF))


def _shared(sorted_keys: np.ndarray) -> np.ndarray:
    """Which entries of ``sorted_keys`` have a key that another entry has too."""
    same = sorted_keys[1:] == sorted_keys[:-1]
    shared = np.zeros(sorted_keys.size, dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    return shared


def _shared_buckets_ranked(keys: np.ndarray, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_shared_buckets`` for keys or refs too wide to pack together."""
    # Most entries are alone in their bucket: find the shared keys with one plain sort
    # (np.lexsort on two keys is ~30x slower), then order only those entries.
    by_key = np.argsort(keys)
    sorted_keys = keys[by_key]
    shared = _shared(sorted_keys)
    bucket = np.cumsum(np.concatenate(([0], sorted_keys[1:] != sorted_keys[:-1])))[shared].astype(np.uint64)
    refs = refs[by_key[shared]].astype(np.uint64)
    # Sort by (bucket, ref) with one 64-bit sort: bucket in the high half, ref's rank below.
    ref_order = np.argsort(refs)
    ref_rank = np.empty(refs.size, dtype=np.uint64)
    ref_rank[ref_order] = np.arange(refs.size, dtype=np.uint64)
    composite = np.sort((bucket << np.uint64(32)) | ref_rank)
    return composite >> np.uint64(32), refs[ref_order[(composite & np.uint64(0xFFFFFFFF)).astype(np.int64)]]


def bucket_pairs(
    keys: np.ndarray, refs: np.ndarray, cap: int = 16, first_new: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return candidate pairs ``(u, v)`` of refs that share a key, with ``hits``: the
    number of keys they share.

    ``keys[i]`` is a bucket key of item ``refs[i]`` (refs are canonical-order refs, see
    ``cleanwire.dedup.refs``).  Returns ``(u, v, hits)`` with ``u < v`` for every pair,
    no pair twice, and never two refs of the same document.  Buckets with more than
    ``cap`` members yield ``O(members + cap**2)`` pairs (see the module docstring).
    Refs below ``first_new`` are history (items of earlier runs, already paired with
    each other): only pairs whose later item is new are returned, and buckets without a
    new item cost nothing beyond the sort.
    """
    if cap < 2:
        raise ValueError("cap must be at least 2")
    empty = np.zeros(0, dtype=np.uint64)
    if keys.size < 2:
        return empty, empty, np.zeros(0, dtype=np.int64)
    keys, refs = _shared_buckets(keys, refs)
    if keys.size == 0:
        return empty, empty, np.zeros(0, dtype=np.int64)
    run_starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    run_sizes = np.diff(np.append(run_starts, keys.size))
    if first_new:
        # A bucket's members are sorted by ref, so its last member is its latest.
        has_new = refs[run_starts + run_sizes - 1] >= np.uint64(first_new)
        run_starts, run_sizes = run_starts[has_new], run_sizes[has_new]
    us, vs = [], []
    for size in sorted_unique(run_sizes[run_sizes >= 2]).tolist():
        starts = run_starts[run_sizes == size]
        within = min(size, cap)
        i, j = np.triu_indices(within, 1)
        us.append(refs[(starts[:, None] + i[None, :]).ravel()])
        vs.append(refs[(starts[:, None] + j[None, :]).ravel()])
        if size > cap:  # the earliest member meets everyone beyond the first cap
            rest = (starts[:, None] + np.arange(cap, size)[None, :]).ravel()
            us.append(np.repeat(refs[starts], size - cap))
            vs.append(refs[rest])
    if not us:
        return empty, empty, np.zeros(0, dtype=np.int64)
    u, v = np.concatenate(us), np.concatenate(vs)
    keep = (doc_rank(u) != doc_rank(v)) & (v >= np.uint64(first_new))
    return count_pairs(u[keep], v[keep])


ENTRY_DOCS = 1 << 16  # documents per entry block: a local ref holds a 16-bit document offset
ENTRY_PASSAGES = 1 << 16  # passages of a document beyond this are not matched


def shard_entries(band_keys: np.ndarray, local_refs: np.ndarray, shards: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Split LSH entries into ``shards`` groups by their band key, in compact form.

    ``band_keys`` is an ``(n, bands)`` uint64 array; ``local_refs`` the ``n`` items as
    ``document offset << 16 | passage index`` within a block of ``ENTRY_DOCS``
    documents (uint32).  Returns ``(shard, keys, local_refs)`` for every non-empty shard,
    keys cut to their low 32 bits (8 bytes per entry in all).  The shard comes from the
    high bits, so two entries of a shard with equal stored keys agree on more than 32
    bits; the rare accidental collisions only add candidates that verification rejects.
    """
    flat = band_keys.ravel()
    flat_refs = np.repeat(np.asarray(local_refs, dtype=np.uint32), band_keys.shape[1])
    shard_of = (flat >> np.uint64(32)) % np.uint64(shards)
    keys = (flat & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return [(shard, keys[rows], flat_refs[rows]) for shard, rows in split_by_key(shard_of)]


def local_ref(doc_offset, passage_idx) -> np.ndarray:
    """Compact refs of passages within an entry block (see ``shard_entries``)."""
    return (np.asarray(doc_offset, dtype=np.uint32) << np.uint32(16)) | np.asarray(passage_idx, dtype=np.uint32)


def global_refs(base_rank: int, local_refs: np.ndarray) -> np.ndarray:
    """Canonical-order refs of compact refs of the block starting at ``base_rank``."""
    local_refs = np.asarray(local_refs, dtype=np.uint32)
    ranks = np.uint64(base_rank) + (local_refs >> np.uint32(16)).astype(np.uint64)
    return make_ref(ranks, (local_refs & np.uint32(0xFFFF)).astype(np.uint64))


@dataclass(frozen=True)
class MatchableSignatures:
    """What one document contributes to LSH: the signature rows of its passages with
    enough words (``eligible``: their passage indexes, ``passages``: their rows) and
    its document signature (the MinHash of the union of its sentences; None when no
    sentence has a shingle)."""

    eligible: np.ndarray
    passages: np.ndarray
    document: np.ndarray | None


def matchable_signatures(doc: DocumentShingles, rows: np.ndarray, min_words: int) -> MatchableSignatures:
    """Select the signatures of ``doc`` that take part in matching.

    ``rows`` holds one signature row per passage of ``doc``.  Passages with fewer than
    ``min_words`` words, or beyond ``ENTRY_PASSAGES``, are left out."""
    eligible = np.flatnonzero(doc.words >= min_words)
    eligible = eligible[eligible < ENTRY_PASSAGES]
    sentences = (doc.passages[:, 2] == KIND_CODES["sentence"]) & (doc.hi > doc.lo)
    document = rows[sentences].min(axis=0) if sentences.any() else None  # the MinHash of the union
    return MatchableSignatures(eligible, rows[eligible], document)


def lsh_entries(
    first_rank: int, signed: list[MatchableSignatures], passage_bands: tuple[int, int], doc_bands: tuple[int, int], shards: int
) -> tuple[list, list]:
    """LSH entries of consecutive documents starting at rank ``first_rank``:
    ``(passage_entries(...), document_entries(...))``."""
    return (passage_entries(first_rank, signed, passage_bands, shards),
            document_entries(first_rank, signed, doc_bands, shards))


def passage_entries(first_rank: int, signed: list[MatchableSignatures], bands: tuple[int, int], shards: int) -> list:
    """LSH entries of the passages of consecutive documents starting at rank
    ``first_rank``: a list of ``(shard, (base_rank, keys, local_refs))`` (see
    ``shard_entries``), one block of entries per ``ENTRY_DOCS`` documents so that local
    refs fit in 32 bits."""
    entries = []
    for start in range(0, len(signed), ENTRY_DOCS):
        block = signed[start:start + ENTRY_DOCS]
        refs = [local_ref(np.full(s.eligible.size, offset), s.eligible) for offset, s in enumerate(block)]
        if sum(r.size for r in refs):
            keys = band_hashes(np.concatenate([s.passages for s in block]), *bands)
            entries += [(shard, (first_rank + start, k, local)) for shard, k, local in shard_entries(keys, np.concatenate(refs), shards)]
    return entries


def document_entries(first_rank: int, signed: list[MatchableSignatures], bands: tuple[int, int], shards: int) -> list:
    """LSH entries of the documents themselves (their ``document`` signatures), in the
    form of ``passage_entries`` with passage index 0."""
    entries = []
    for start in range(0, len(signed), ENTRY_DOCS):
        block = signed[start:start + ENTRY_DOCS]
        with_doc = [offset for offset, s in enumerate(block) if s.document is not None]
        if with_doc:
            keys = band_hashes(np.stack([block[offset].document for offset in with_doc]), *bands)
            locals_ = local_ref(np.array(with_doc), np.zeros(len(with_doc), dtype=np.uint32))
            entries += [(shard, (first_rank + start, k, local)) for shard, k, local in shard_entries(keys, locals_, shards)]
    return entries


def without_passages(first_rank: int, signed: list[MatchableSignatures], refs: np.ndarray) -> list[MatchableSignatures]:
    """``signed`` (consecutive documents from rank ``first_rank``) with the passages
    ``refs`` taken out of matching."""
    refs = np.asarray(refs, dtype=np.uint64)
    if refs.size == 0:
        return signed
    kept = list(signed)
    for offset, rows in split_by_key(doc_rank(refs).astype(np.int64) - first_rank):
        s = signed[offset]
        keep = ~np.isin(make_ref(first_rank + offset, s.eligible), refs[rows])
        kept[offset] = MatchableSignatures(s.eligible[keep], s.passages[keep], s.document)
    return kept
