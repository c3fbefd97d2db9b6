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


def test_cluster_ids_are_stable_and_distinct():
    from cleanwire.model import cluster_id_for, cluster_ids

    ids = cluster_ids(np.array(["9825f001a224e52b48d37bebd8603f42"] * 2 + ["50d6847f0960f287140a80963156c283"], dtype="S32"), np.array([3, 4, 3]))
    assert len(set(ids)) == 3 and all(len(i) == 16 for i in ids)
    assert cluster_id_for("9825f001a224e52b48d37bebd8603f42", 3) == ids[0]
