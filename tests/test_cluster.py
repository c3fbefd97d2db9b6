from cleanwire.dedup.cluster import earliest_per_item, leaders

import numpy as np


def test_chain_does_not_pull_an_unrelated_item_into_the_cluster():
    # A~B and B~C, but A and C are unrelated: C must not join A's cluster.
    a, b, c = 1, 2, 3
    assert leaders([a, b], [b, c]) == {b: a}


def test_members_join_the_earliest_root_they_are_linked_to():
    assert leaders([1, 2, 1], [3, 3, 2]) == {2: 1, 3: 1}
    assert leaders([5, 1], [9, 9]) == {9: 1}


def test_two_clusters_stay_apart():
    assert leaders([1, 1, 10, 10], [2, 3, 11, 12]) == {2: 1, 3: 1, 11: 10, 12: 10}


def test_earliest_per_item():
    v = np.array([3, 3, 2, 3], dtype=np.uint64)
    u = np.array([2, 1, 1, 5], dtype=np.uint64)
    picked = earliest_per_item(v, u)
    assert sorted(zip(v[picked].tolist(), u[picked].tolist())) == [(2, 1), (3, 1)]
