"""Exact verification of candidate pairs: Jaccard and containment of shingle sets.

LSH only proposes candidates; a pair becomes a link only when its exact similarity
passes a ``MatchRule``.  ``overlaps`` computes the exact intersection sizes of many
pairs of sets at once with one sort, so verification costs no Python per shingle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CONTAINMENT", "JACCARD", "MatchRule", "Similarity", "link_names", "overlaps"]

JACCARD, CONTAINMENT = "jaccard", "containment"


def overlaps(a_values: np.ndarray, a_offsets: np.ndarray, b_values: np.ndarray, b_offsets: np.ndarray) -> np.ndarray:
    """Return ``|A_k ∩ B_k|`` for every pair ``k``.

    Set ``A_k`` is ``a_values[a_offsets[k]:a_offsets[k+1]]`` and must hold distinct
    uint32 values (likewise ``B_k``).  Offsets have one more element than there are
    pairs.
    """
    pairs = len(a_offsets) - 1
    tag_a = np.repeat(np.arange(pairs, dtype=np.uint64), np.diff(a_offsets))
    tag_b = np.repeat(np.arange(pairs, dtype=np.uint64), np.diff(b_offsets))
    tagged = np.concatenate(
        ((tag_a << np.uint64(32)) | a_values.astype(np.uint64), (tag_b << np.uint64(32)) | b_values.astype(np.uint64))
    )
    tagged.sort()
    shared = tagged[1:][tagged[1:] == tagged[:-1]] >> np.uint64(32)
    return np.bincount(shared.astype(np.int64), minlength=pairs)


@dataclass(frozen=True)
class Similarity:
    """Exact similarity measures of pairs of sets (arrays, one element per pair)."""

    size_a: np.ndarray
    size_b: np.ndarray
    intersection: np.ndarray

    @property
    def jaccard(self) -> np.ndarray:
        """Exact Jaccard similarity of each pair (0 for two empty sets)."""
        union = self.size_a + self.size_b - self.intersection
        return np.divide(self.intersection, union, out=np.zeros(len(union)), where=union > 0)

    @property
    def containment_a(self) -> np.ndarray:
        """``|A ∩ B| / |A|``: how much of A is in B."""
        return np.divide(self.intersection, self.size_a, out=np.zeros(len(self.size_a)), where=self.size_a > 0)

    @property
    def containment_b(self) -> np.ndarray:
        """``|A ∩ B| / |B|``: how much of B is in A."""
        return np.divide(self.intersection, self.size_b, out=np.zeros(len(self.size_b)), where=self.size_b > 0)


@dataclass(frozen=True)
class MatchRule:
    """When a candidate pair is a near-duplicate.

    A pair matches when its Jaccard similarity is at least ``jaccard``, or when the
    smaller set has at least ``containment_min_size`` shingles and at least
    ``containment`` of it lies in the larger set (a short passage quoted in a longer
    one).  Containment on very small sets is left out because a few shared shingles
    make it 1.0 by chance.  ``containment=None`` disables containment links.
    """

    jaccard: float
    containment: float | None = None
    containment_min_size: int = 8

    def evaluate(self, sim: Similarity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(matched, similarity, by_containment)`` arrays for the pairs of ``sim``.

        ``similarity`` is the Jaccard similarity when that alone matched, otherwise the
        containment of the smaller set; ``by_containment`` says it was containment.
        """
        jaccard = sim.jaccard
        by_jaccard = jaccard >= self.jaccard
        smaller_containment = np.where(sim.size_a <= sim.size_b, sim.containment_a, sim.containment_b)
        if self.containment is None:
            by_containment = np.zeros(len(jaccard), dtype=bool)
        else:
            big_enough = np.minimum(sim.size_a, sim.size_b) >= self.containment_min_size
            by_containment = big_enough & (smaller_containment >= self.containment) & ~by_jaccard
        matched = by_jaccard | by_containment
        similarity = np.where(by_jaccard, jaccard, smaller_containment)
        return matched, similarity, by_containment


def link_names(by_containment: np.ndarray) -> list[str]:
    """``"jaccard"`` or ``"containment"`` for each pair, as stored in the outputs."""
    return np.where(by_containment, CONTAINMENT, JACCARD).tolist()
