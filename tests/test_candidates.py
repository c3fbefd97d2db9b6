import numpy as np
import pytest

from cleanwire.dedup.candidates import (
    bucket_pairs, count_pairs, global_refs, local_ref, pack_pairs, pair_order, shard_entries, unique_pairs, unpack_pairs,
)
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
    u, v, hits = bucket_pairs(keys, refs, cap=16)
    # c and d are passages of the same document: never a pair.  (a, b) shares two keys.
    assert _pairs(u, v) == sorted([(a, b), (a, c), (a, d), (b, c), (b, d)])
    assert dict(zip(zip(u.tolist(), v.tolist()), hits.tolist()))[(a, b)] == 2
    assert sorted(hits.tolist()) == [1, 1, 1, 1, 2]


def test_large_buckets_are_linear_and_keep_the_earliest_member_linked_to_all():
    refs = make_ref(np.arange(1000), np.zeros(1000, dtype=np.int64))
    keys = np.zeros(1000, dtype=np.uint32)
    u, v, _ = bucket_pairs(keys, refs, cap=4)
    assert u.size == 6 + (1000 - 4)  # pairs among the first 4, then the first with the rest
    earliest = int(refs.min())
    assert {int(x) for x in v[u == earliest]} == {int(x) for x in refs} - {earliest}


@pytest.mark.parametrize("rank_span", [300, 1 << 39])  # keys and compact refs packed together, and not
def test_bucket_pairs_match_a_plain_reference(rank_span):
    from collections import Counter, defaultdict

    rng = np.random.default_rng(3)
    n, cap = 3_000, 4
    keys = rng.integers(0, 400, size=n).astype(np.uint32)
    ranks = rng.choice(300, size=n) * (rank_span // 300)
    refs = make_ref(ranks, np.arange(n))  # distinct refs, about ten per document
    buckets = defaultdict(set)
    for key, ref in zip(keys.tolist(), refs.tolist()):
        buckets[key].add(ref)
    expected = Counter()
    for members in buckets.values():
        members = sorted(members)
        pairs = {(a, b) for k, a in enumerate(members[:cap]) for b in members[k + 1:cap]}
        pairs |= {(members[0], b) for b in members[cap:]}
        expected.update(p for p in pairs if int(doc_rank(p[0])) != int(doc_rank(p[1])))
    u, v, hits = bucket_pairs(keys, refs, cap=cap)
    assert list(zip(u.tolist(), v.tolist(), hits.tolist())) == sorted((a, b, h) for (a, b), h in expected.items())


@pytest.mark.parametrize("rank_span", [300, 1 << 39])
def test_packed_pairs_round_trip_in_fewer_bytes(rank_span):
    rng = np.random.default_rng(5)
    u = make_ref(rng.integers(0, rank_span, 1_000), rng.integers(0, 100, 1_000))
    v = make_ref(rng.integers(0, rank_span, 1_000), rng.integers(0, 100, 1_000))
    hits = rng.integers(1, 30, 1_000)
    packed = pack_pairs(u, v, hits)
    assert all((a == b).all() for a, b in zip(unpack_pairs(packed), (u, v, hits)))
    if rank_span < 1 << 20:
        assert packed.pairs.nbytes + packed.hits.nbytes == 9 * 1_000


def test_unique_pairs():
    u, v = unique_pairs(np.array([3, 1, 3, 1], dtype=np.uint64), np.array([4, 2, 4, 5], dtype=np.uint64))
    assert _pairs(u, v) == [(1, 2), (1, 5), (3, 4)]


def test_count_pairs_adds_up_hits():
    u, v, hits = count_pairs(np.array([3, 1, 3, 1], dtype=np.uint64), np.array([4, 2, 4, 2], dtype=np.uint64), np.array([1, 2, 3, 1]))
    assert list(zip(u.tolist(), v.tolist(), hits.tolist())) == [(1, 2, 3), (3, 4, 4)]


@pytest.mark.parametrize("rank_span", [50, 1 << 39])  # compact codes, and ranks too far apart for them
def test_count_pairs_matches_a_plain_count(rank_span):
    from collections import Counter

    rng = np.random.default_rng(7)
    n = 5_000
    ranks = rng.integers(0, rank_span, size=(2, n)) + 1_000
    refs = make_ref(ranks, rng.integers(0, 300, size=(2, n)))
    u, v = np.minimum(refs[0], refs[1]), np.maximum(refs[0], refs[1])
    u, v = np.concatenate((u, u[:2_000])), np.concatenate((v, v[:2_000]))  # repeated pairs
    hits = rng.integers(1, 25, size=u.size)
    expected = Counter()
    for a, b, h in zip(u.tolist(), v.tolist(), hits.tolist()):
        expected[(a, b)] += h
    cu, cv, counts = count_pairs(u, v, hits)
    assert list(zip(cu.tolist(), cv.tolist(), counts.tolist())) == sorted((a, b, h) for (a, b), h in expected.items())
    order = pair_order(u, v)
    assert list(zip(u[order].tolist(), v[order].tolist())) == sorted(zip(u.tolist(), v.tolist()))


def test_shard_entries_are_compact_and_partition_the_entries():
    rng = np.random.default_rng(1)
    bands = rng.integers(0, 2**63, size=(50, 4), dtype=np.uint64)
    local = local_ref(np.arange(50) // 10, np.arange(50) % 10)
    shards = shard_entries(bands, local, 8)
    assert sum(len(k) for _, k, _ in shards) == 200
    assert len({s for s, _, _ in shards}) == len(shards)
    for shard, keys, refs in shards:
        assert keys.dtype == np.uint32 and refs.dtype == np.uint32
        rows = [int(np.flatnonzero(local == r)[0]) for r in refs]
        for key, row in zip(keys.tolist(), rows):
            full = [int(b) for b in bands[row] if int(b) & 0xFFFFFFFF == key]
            assert full and (full[0] >> 32) % 8 == shard


def test_local_refs_map_back_to_canonical_refs():
    refs = global_refs(1000, local_ref(np.array([0, 7]), np.array([3, 65535])))
    assert doc_rank(refs).tolist() == [1000, 1007] and passage_index(refs).tolist() == [3, 65535]


def test_with_history_only_pairs_whose_later_item_is_new_are_returned():
    # Refs below first_new are history, already paired with each other in their run.
    h1, h2, n1, n2 = (int(x) for x in make_ref(np.array([0, 1, 5, 6]), np.array([0, 0, 0, 0])))
    keys = np.array([1, 1, 1, 2, 2, 3, 3], dtype=np.uint32)
    refs = np.array([h1, h2, n1, h1, h2, n1, n2], dtype=np.uint64)
    u, v, _ = bucket_pairs(keys, refs, cap=16, first_new=n1)  # the first new ref
    assert _pairs(u, v) == sorted([(h1, n1), (h2, n1), (n1, n2)])
    u, v, _ = bucket_pairs(keys, refs, cap=16)  # without history every pair is new
    assert _pairs(u, v) == sorted([(h1, h2), (h1, n1), (h2, n1), (n1, n2)])


def test_passages_of_exactly_min_words_words_are_matched():
    from cleanwire.dedup.candidates import matchable_signatures
    from cleanwire.dedup.shingling import shingle_document

    # 5, 4 and 7 words
    text = "The council met on Tuesday. Nobody came at all. The mayor resigned after six long years."
    doc = shingle_document(text, 3, 5)
    rows = np.arange(len(doc.passages) * 4, dtype=np.uint32).reshape(-1, 4)
    signed = matchable_signatures(doc, rows, min_words=5)
    assert signed.eligible.tolist() == [0, 2]
    assert signed.passages.tolist() == rows[[0, 2]].tolist()
