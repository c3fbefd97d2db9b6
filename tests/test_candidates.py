import numpy as np

from cleanwire.dedup.candidates import bucket_pairs, shard_entries, unique_pairs
from cleanwire.dedup.refs import doc_rank, make_ref, passage_index


def _pairs(u, v):
    return sorted(zip(u.tolist(), v.tolist()))


def test_refs_round_trip_and_sort_in_canonical_order():
    refs = make_ref(np.array([2, 1, 1]), np.array([0, 5, 3]))
    assert doc_rank(refs).tolist() == [2, 1, 1]
    assert passage_index(refs).tolist() == [0, 5, 3]
    assert np.argsort(refs).tolist() == [2, 1, 0]


def test_small_buckets_give_all_pairs_across_documents():
    a, b, c, d = (int(x) for x in make_ref(np.array([0, 1, 2, 2]), np.array([0, 0, 0, 1])))
    keys = np.array([7, 7, 7, 7, 8, 8], dtype=np.uint32)
    refs = np.array([c, a, d, b, a, b], dtype=np.uint64)
    u, v = bucket_pairs(keys, refs, cap=16)
    # c and d are passages of the same document: never a pair.  (a, b) is found twice.
    assert _pairs(u, v) == sorted([(a, b), (a, c), (a, d), (b, c), (b, d)])


def test_large_buckets_are_linear_and_keep_the_earliest_member_linked_to_all():
    refs = make_ref(np.arange(1000), np.zeros(1000, dtype=np.int64))
    keys = np.zeros(1000, dtype=np.uint32)
    u, v = bucket_pairs(keys, refs, cap=4)
    assert u.size == 6 + (1000 - 4)  # pairs among the first 4, then the first with the rest
    earliest = int(refs.min())
    assert {int(x) for x in v[u == earliest]} == {int(x) for x in refs} - {earliest}


def test_unique_pairs():
    u, v = unique_pairs(np.array([3, 1, 3, 1], dtype=np.uint64), np.array([4, 2, 4, 5], dtype=np.uint64))
    assert _pairs(u, v) == [(1, 2), (1, 5), (3, 4)]


def test_shard_entries_partition_the_entries():
    rng = np.random.default_rng(1)
    bands = rng.integers(0, 2**63, size=(50, 4), dtype=np.uint64)
    refs = np.arange(50, dtype=np.uint64)
    shards = shard_entries(bands, refs, 8)
    assert sum(len(k) for _, k, _ in shards) == 200
    assert len({s for s, _, _ in shards}) == len(shards)
    for shard, keys, entry_refs in shards:
        row = int(entry_refs[0])
        assert (int(bands[row][(bands[row] & 0xFFFFFFFF) == keys[0]][0]) >> 32) % 8 == shard
