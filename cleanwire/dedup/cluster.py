"""Clusters from verified links, guarded against chaining.

Linking every transitive match lets A~B~C~…~Z put unrelated A and Z in one cluster.
cleanwire uses a *leader* rule instead, over refs that sort in canonical order:

* a *root* is an item with no verified link to an earlier item; it is canonical;
* every other item joins the cluster of the earliest root it has a verified link to;
* an item whose earlier links all go to non-roots joins no cluster (it stays canonical
  and unclustered, and its links remain visible in ``pairs``).

So every member of a cluster is verified similar to the cluster's canonical item, and
the rule needs two shuffles over links, not iteration to a fixed point.  The functions
here do the per-shard work on numpy arrays.
"""

from __future__ import annotations

import numpy as np

from cleanwire.dedup.arrays import sorted_unique
from cleanwire.dedup.candidates import pair_order

__all__ = ["earliest_per_item", "leaders", "links_from_roots"]


def links_from_roots(u: np.ndarray, later: np.ndarray) -> np.ndarray:
    """Mask of links ``(u, v)`` whose earlier end ``u`` is a root.

    ``later`` holds every item known to have a verified link to an earlier item (it
    must include all such items among the ``u`` given)."""
    return ~np.isin(u, later)


def earliest_per_item(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indices of, for each distinct ``v``, the link with the smallest ``u``."""
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = pair_order(v, u)
    first = np.ones(order.size, dtype=bool)
    first[1:] = v[order][1:] != v[order][:-1]
    return order[first]


def leaders(u: np.ndarray, v: np.ndarray) -> dict[int, int]:
    """The leader rule on one machine: map each clustered non-root item to its root.

    ``u[k] < v[k]`` are the verified links.  Used by tests and small runs; the
    pipeline computes the same thing with ``links_from_roots`` and
    ``earliest_per_item`` on sharded arrays."""
    u = np.asarray(u, dtype=np.uint64)
    v = np.asarray(v, dtype=np.uint64)
    from_roots = links_from_roots(u, sorted_unique(v))
    keep = earliest_per_item(v[from_roots], u[from_roots])
    return dict(zip(v[from_roots][keep].tolist(), u[from_roots][keep].tolist()))
