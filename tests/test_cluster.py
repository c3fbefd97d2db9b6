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


def test_links_take_and_concat_keep_every_column_aligned():
    from cleanwire.dedup.links import Links

    links = Links("passage", np.array([1, 2, 3], dtype=np.uint64), np.array([4, 5, 6], dtype=np.uint64),
                  np.array([0.5, 0.6, 0.7]), np.array([False, True, False]), np.array([b"a", b"b", b"c"], dtype="S32"),
                  exact_copy=np.array([False, False, True]))
    picked = Links.concat([links.take(np.array([2, 0])), Links.empty("passage"), links.take(links.by_containment)])
    assert picked.u.tolist() == [3, 1, 2] and picked.v.tolist() == [6, 4, 5]
    assert picked.similarity.tolist() == [0.7, 0.5, 0.6] and picked.label.tolist() == [b"c", b"a", b"b"]
    assert picked.exact_copy.tolist() == [True, False, False] and picked.may_lead.all() and not picked.sibling.any()
