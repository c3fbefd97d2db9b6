"""Small numpy helpers for moving batches of rows between shards."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from cleanwire.text.tokens import fmix64

__all__ = [
    "gather_ranges", "hash_shard", "pair_shard", "ragged", "ragged_take", "sorted_unique", "split_by_key", "sum_by_key",
]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values of ``values``, sorted (like ``np.unique``, which in numpy 2.4
    takes a hash-based path that is an order of magnitude slower on integer arrays)."""
    ordered = np.sort(np.asarray(values), kind="stable")
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def sum_by_key(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``keys`` (sorted) and, for each, the sum of its ``counts``."""
    keys = np.asarray(keys)
    if keys.size == 0:
        return keys, np.zeros(0, dtype=np.int64)
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.add.reduceat(np.asarray(counts, dtype=np.int64)[order], starts)


def split_by_key(keys: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(key, indices)`` for each distinct key, in key order; within a key,
    indices keep their original order."""
    keys = np.asarray(keys)
    if keys.size == 0:
        return
    if keys.dtype.kind in "iu" and keys.size and 0 <= keys.min() and keys.max() < 1 << 15:
        keys = keys.astype(np.int16)  # numpy radix-sorts 16-bit keys: linear time
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    for lo, hi in zip(np.concatenate(([0], cuts)), np.concatenate((cuts, [keys.size]))):
        yield int(sorted_keys[lo]), order[lo:hi]


def hash_shard(values: np.ndarray, shards: int) -> np.ndarray:
    """A well-spread shard number in ``[0, shards)`` for each uint64 value."""
    return (fmix64(np.asarray(values, dtype=np.uint64)) % np.uint64(shards)).astype(np.int64)


_PAIR_SALT = np.uint64(0x9E3779B97F4A7C15)


def pair_shard(u: np.ndarray, v: np.ndarray, shards: int) -> np.ndarray:
    """The shard of each pair ``(u[k], v[k])``, the same wherever it is computed."""
    with np.errstate(over="ignore"):
        return hash_shard(np.asarray(u, dtype=np.uint64) ^ (np.asarray(v, dtype=np.uint64) * _PAIR_SALT), shards)


def ragged(arrays: list[np.ndarray], dtype=np.uint32) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``arrays`` into ``(values, offsets)``; array ``k`` is
    ``values[offsets[k]:offsets[k+1]]``."""
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    values = np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)
    return values, offsets


def concat_ragged(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join ragged arrays ``(values, offsets)`` (as ``ragged`` makes them) into one: the
    rows of the first part, then those of the second, and so on."""
    bases = np.cumsum([0] + [offsets[-1] for _, offsets in parts[:-1]])
    offsets = np.concatenate([np.zeros(1, dtype=np.int64)] + [o[1:] + b for (_, o), b in zip(parts, bases)])
    return np.concatenate([values for values, _ in parts]), offsets


def gather_ranges(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``values[starts[k]:ends[k]]`` for every ``k`` into one array.

    Returns ``(gathered, offsets)``: range ``k`` is ``gathered[offsets[k]:offsets[k+1]]``.
    Ranges may overlap; empty or inverted ranges give empty rows."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.maximum(np.asarray(ends, dtype=np.int64) - starts, 0)
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    positions = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    return values[positions], offsets


def ragged_take(values: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Select rows ``rows`` (in that order) of the ragged array ``(values, offsets)``."""
    rows = np.asarray(rows, dtype=np.int64)
    return gather_ranges(values, offsets[rows], offsets[rows + 1])
