"""Verified links between items, the data that verification hands to clustering and
clustering to assembly: numpy arrays, one row per link, kept together."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Links"]


@dataclass
class Links:
    """Verified links ``u -> v`` (``u`` earlier) of one level, with the similarity that
    linked them, whether containment (not Jaccard) linked them, and the label of ``u``:
    its doc id, as fixed-width bytes (a passage's cluster id derives from it and the
    passage index, see ``cleanwire.model.cluster_ids``)."""

    level: str
    u: np.ndarray
    v: np.ndarray
    similarity: np.ndarray
    by_containment: np.ndarray
    label: np.ndarray
    may_lead: np.ndarray | None = None
    """False where ``u`` can never be a cluster's canonical (a history item that an
    earlier run linked to an earlier item); None means all True."""
    exact_copy: np.ndarray | None = None
    """True where ``v`` is an exact copy of ``u`` left out of LSH (an alias, see
    ``transforms.copies``), whose place in the clusters is decided from ``u``'s.  None
    means all False."""
    sibling: np.ndarray | None = None
    """True where ``u`` is a passage of the sentence of ``v``, a representative of exact
    copies (not a link between the two, which share a document: it links ``v``'s
    aliases to ``u``).  None means all False."""

    def __post_init__(self) -> None:
        if self.may_lead is None:
            self.may_lead = np.ones(self.u.size, dtype=bool)
        if self.exact_copy is None:
            self.exact_copy = np.zeros(self.u.size, dtype=bool)
        if self.sibling is None:
            self.sibling = np.zeros(self.u.size, dtype=bool)

    @classmethod
    def empty(cls, level: str) -> "Links":
        """No links of ``level``."""
        return cls(level, *(np.zeros(0, dtype=t) for t in (np.uint64, np.uint64, np.float64, bool, "S32")))

    def take(self, rows: np.ndarray) -> "Links":
        """The links at ``rows`` (indices or a mask), in that order."""
        return Links(
            self.level, self.u[rows], self.v[rows], self.similarity[rows], self.by_containment[rows], self.label[rows],
            self.may_lead[rows], self.exact_copy[rows], self.sibling[rows])

    @staticmethod
    def concat(chunks: list["Links"]) -> "Links":
        """The links of ``chunks`` (at least one, all of one level), one after the other."""
        return Links(
            chunks[0].level,
            *(np.concatenate([getattr(c, name) for c in chunks])
              for name in ("u", "v", "similarity", "by_containment", "label", "may_lead", "exact_copy", "sibling")),
        )
