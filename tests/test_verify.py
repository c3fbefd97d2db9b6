import numpy as np

from cleanwire.dedup.arrays import ragged, ragged_take
from cleanwire.dedup.verify import CONTAINMENT, JACCARD, MatchRule, Similarity, link_names, overlaps


def test_overlaps_match_python_sets():
    rng = np.random.default_rng(5)
    a_sets = [np.unique(rng.integers(0, 60, size=rng.integers(0, 30))).astype(np.uint32) for _ in range(200)]
    b_sets = [np.unique(rng.integers(0, 60, size=rng.integers(0, 30))).astype(np.uint32) for _ in range(200)]
    got = overlaps(*ragged(a_sets), *ragged(b_sets))
    assert got.tolist() == [len(set(a.tolist()) & set(b.tolist())) for a, b in zip(a_sets, b_sets)]


def test_similarity_measures():
    sim = Similarity(np.array([10, 4]), np.array([20, 4]), np.array([10, 2]))
    assert sim.jaccard.tolist() == [0.5, 2 / 6]
    assert sim.containment_a.tolist() == [1.0, 0.5]
    assert sim.containment_b.tolist() == [0.5, 0.5]


def test_rule_links_by_jaccard_or_by_containment_of_a_big_enough_smaller_set():
    rule = MatchRule(jaccard=0.5, containment=0.6, containment_min_size=8)
    sim = Similarity(np.array([10, 10, 5, 10]), np.array([10, 30, 40, 10]), np.array([7, 7, 5, 2]))
    matched, similarity, by_containment = rule.evaluate(sim)
    assert matched.tolist() == [True, True, False, False]
    assert link_names(by_containment[:2]) == [JACCARD, CONTAINMENT]
    assert similarity[1] == 0.7
    assert not MatchRule(jaccard=0.5).evaluate(sim)[0][1]


def test_ragged_take_reorders_rows():
    values, offsets = ragged([np.array([1, 2]), np.array([], dtype=np.uint32), np.array([3])])
    got_values, got_offsets = ragged_take(values, offsets, np.array([2, 0, 1]))
    assert got_values.tolist() == [3, 1, 2] and got_offsets.tolist() == [0, 1, 3, 3]


def test_the_document_rule_is_jaccard_alone_and_the_passage_rule_adds_containment():
    from cleanwire.params import DedupParams
    params = DedupParams()
    # 40 shingles wholly inside 60 (Jaccard 2/3), and 60 of 100 shared with 90 (Jaccard 0.46)
    sim = Similarity(np.array([40, 100]), np.array([60, 90]), np.array([40, 60]))
    assert params.doc_rule.evaluate(sim)[0].tolist() == [False, False]
    matched, _, by_containment = params.passage_rule.evaluate(sim)
    assert matched.tolist() == [True, True] and by_containment.tolist() == [False, True]


def test_containment_needs_a_smaller_set_of_at_least_containment_min_size():
    rule = MatchRule(jaccard=0.9, containment=0.6, containment_min_size=8)
    # 8 and 7 shingles wholly inside 40: Jaccard 0.2 and 0.175, containment 1.0
    sim = Similarity(np.array([8, 40]), np.array([40, 7]), np.array([8, 7]))
    matched, similarity, by_containment = rule.evaluate(sim)
    assert matched.tolist() == [True, False] and by_containment.tolist() == [True, False]
    assert similarity[0] == 1.0
