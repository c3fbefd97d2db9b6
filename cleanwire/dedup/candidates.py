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

import numpy as np

from cleanwire.dedup.arrays import split_by_key
from cleanwire.dedup.refs import doc_rank

__all__ = ["bucket_pairs", "shard_entries", "unique_pairs"]


def unique_pairs(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct ``(u, v)`` pairs, sorted by ``u`` then ``v``."""
    if u.size == 0:
        return u, v
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    keep = np.ones(u.size, dtype=bool)
    keep[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return u[keep], v[keep]


def bucket_pairs(keys: np.ndarray, refs: np.ndarray, cap: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Return candidate pairs ``(u, v)`` of refs that share a key.

    ``keys[i]`` is a bucket key of item ``refs[i]`` (refs are canonical-order refs, see
    ``cleanwire.dedup.refs``).  Returns two uint64 arrays with ``u < v`` for every pair,
    no pair twice, and never two refs of the same document.  Buckets with more than
    ``cap`` members yield ``O(members + cap**2)`` pairs (see the module docstring).
    """
    if cap < 2:
        raise ValueError("cap must be at least 2")
    if keys.size < 2:
        empty = np.zeros(0, dtype=np.uint64)
        return empty, empty
    order = np.lexsort((refs, keys))
    keys, refs = keys[order], refs[order].astype(np.uint64)
    run_starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    run_sizes = np.diff(np.append(run_starts, keys.size))
    us, vs = [], []
    for size in np.unique(run_sizes[run_sizes >= 2]).tolist():
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
        empty = np.zeros(0, dtype=np.uint64)
        return empty, empty
    u, v = np.concatenate(us), np.concatenate(vs)
    different_docs = doc_rank(u) != doc_rank(v)
    return unique_pairs(u[different_docs], v[different_docs])


def shard_entries(band_keys: np.ndarray, refs: np.ndarray, shards: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Split LSH entries into ``shards`` groups by their band key.

    ``band_keys`` is an ``(n, bands)`` uint64 array, ``refs`` the ``n`` item refs.
    Returns ``(shard, keys, refs)`` for every non-empty shard, where ``keys`` holds the
    low 32 bits of each band key (the shard is a function of the high bits, so two
    entries of one shard with equal stored keys agree on 32 + log2(shards) bits; the
    rare accidental collisions are rejected by verification).
    """
    flat = band_keys.ravel()
    flat_refs = np.repeat(np.asarray(refs, dtype=np.uint64), band_keys.shape[1])
    shard_of = (flat >> np.uint64(32)) % np.uint64(shards)
    keys = (flat & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return [(shard, keys[rows], flat_refs[rows]) for shard, rows in split_by_key(shard_of)]
