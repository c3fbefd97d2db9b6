"""Vectorised MinHash signatures, bit-exact with datasketch's ``affine32`` scheme.

datasketch 2's default scheme pre-mixes each 32-bit input hash with MurmurHash3's
32-bit finaliser and applies the permutations ``a * h + b mod 2**32``.  ``signatures``
does the same for many sets at once: one ``(permutations x shingles)`` uint32 matrix
per document and one ``minimum.reduceat`` over the shingle ranges of its passages.
The permutation parameters are taken from datasketch itself, so a signature row equals
``datasketch.MinHash(num_perm, seed, hashfunc=identity, scheme="affine32")`` updated
with the same shingle hashes (see ``to_datasketch``).

Why numpy and not a compiled MinHash such as rensa: measured here
(``benchmarks/signatures.py``), rensa computes one signature per set faster, but for
the ~50 overlapping passage rows of a document, which is what the pipeline needs, its
results come back as Python lists and the conversion costs more than the hashing saves
(284 us per document in numpy against 360 us with rensa, 48 permutations).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

from cleanwire.dedup.arrays import gather_ranges
from cleanwire.text.tokens import fmix64

__all__ = [
    "EMPTY",
    "MAX_NGRAM",
    "MinHasher",
    "band_hashes",
    "fmix32",
    "shingle_hashes",
    "to_datasketch",
]

EMPTY = np.uint32(0xFFFFFFFF)  # the signature value of an empty set
_SHINGLE_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x85EBCA77C2B2AE63, 0x94D049BB133111EB],
    dtype=np.uint64,
)
MAX_NGRAM = len(_SHINGLE_MULTIPLIERS)  # one multiplier per position of a shingle


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser on a uint32 array (datasketch's pre-mix)."""
    with np.errstate(over="ignore"):
        h = values ^ (values >> np.uint32(16))
        h = h * np.uint32(0x85EBCA6B)
        h = h ^ (h >> np.uint32(13))
        h = h * np.uint32(0xC2B2AE35)
        return h ^ (h >> np.uint32(16))


def shingle_hashes(token_hashes: np.ndarray, ngram: int) -> np.ndarray:
    """Return the 32-bit hash of every ``ngram``-token window of ``token_hashes``.

    Element ``i`` hashes tokens ``i .. i+ngram-1``; the result has
    ``max(0, len - ngram + 1)`` elements.  Order matters (``a b c`` != ``c b a``).
    ``ngram`` is at most ``MAX_NGRAM`` (8).
    """
    if not 1 <= ngram <= MAX_NGRAM:
        raise ValueError(f"ngram must be between 1 and {MAX_NGRAM}, got {ngram}")
    count = token_hashes.size - ngram + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint32)
    with np.errstate(over="ignore"):
        combined = token_hashes[:count] * _SHINGLE_MULTIPLIERS[0]
        for k in range(1, ngram):
            combined = combined + token_hashes[k:k + count] * _SHINGLE_MULTIPLIERS[k]
    return (fmix64(combined) >> np.uint64(32)).astype(np.uint32)


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


@dataclass(frozen=True)
class MinHasher:
    """MinHash with ``num_perm`` permutations drawn by datasketch from ``seed``.

    With ``width``, signatures hold only the first ``width`` values (the values the
    LSH bands use), equal to the first ``width`` values of the full signature."""

    num_perm: int = 64
    seed: int = 1
    width: int | None = None
    """Compute only the first ``width`` permutations (all when None)."""

    def signatures(self, shingles: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Return one signature row per range ``shingles[starts[k]:ends[k]]``.

        ``shingles`` is a uint32 array; ranges may overlap and may be empty (an empty
        range gets a row of ``EMPTY``).  Returns a ``(len(starts), width)`` uint32
        array; row ``k`` is the MinHash of the set of values in range ``k``.
        """
        a, b = _permutations(self.num_perm, self.seed)
        width = self.num_perm if self.width is None else self.width
        a, b = a[:width], b[:width]
        out = np.full((len(starts), width), EMPTY, dtype=np.uint32)
        # Copy each range's shingles next to each other (overlapping ranges are copied
        # twice), so that one reduceat over consecutive segments gives every row.
        flat, offsets = gather_ranges(np.asarray(shingles), starts, ends)
        if flat.size == 0:
            return out
        nonempty = offsets[1:] > offsets[:-1]
        if nonempty.sum() == 1:  # one set: shingle-major layout and a plain min are faster
            with np.errstate(over="ignore"):
                single = fmix32(flat)[:, None] * a[None, :]
                single += b[None, :]
            out[np.flatnonzero(nonempty)[0]] = single.min(axis=0)
            return out
        permuted = np.empty((width, flat.size), dtype=np.uint32)  # contiguous per permutation
        with np.errstate(over="ignore"):
            np.multiply(a[:, None], fmix32(flat)[None, :], out=permuted)
            permuted += b[:, None]
        out[nonempty] = np.minimum.reduceat(permuted, offsets[:-1][nonempty], axis=1).T
        return out

    def to_datasketch(self, row: np.ndarray) -> LeanMinHash:
        """Wrap a signature row as a datasketch ``LeanMinHash`` (for datasketch's tools)."""
        return to_datasketch(row, self.seed)


def to_datasketch(row: np.ndarray, seed: int) -> LeanMinHash:
    """Return the datasketch ``LeanMinHash`` whose hash values are ``row``."""
    minhash = MinHash(seed=seed, hashvalues=np.asarray(row, dtype=np.uint32), scheme="affine32")
    return LeanMinHash(minhash)


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Hash each band of ``rows`` consecutive signature values to 64 bits.

    Returns a ``(len(signatures), bands)`` uint64 array.  Band ``j`` uses values
    ``j*rows .. (j+1)*rows-1``; the band number is part of the hash, so equal values in
    different bands give different keys.  Two rows share a key in band ``j`` exactly
    when their values in that band are equal (up to 64-bit hash collisions).
    """
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations, have {signatures.shape[1]}")
    values = signatures[:, : bands * rows].reshape(len(signatures), bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        combined = np.arange(1, bands + 1, dtype=np.uint64) * _SHINGLE_MULTIPLIERS[-1]
        combined = np.broadcast_to(combined, values.shape[:2]).copy()
        for k in range(rows):
            combined = (combined ^ values[:, :, k]) * _SHINGLE_MULTIPLIERS[k % len(_SHINGLE_MULTIPLIERS)]
    return fmix64(combined)
