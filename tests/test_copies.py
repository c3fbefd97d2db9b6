"""Exact copies: sequence hashes and the choice of representatives (pure functions)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanwire.dedup.copies import copy_pairs, sequence_hashes
from cleanwire.dedup.refs import doc_rank, make_ref
from cleanwire.dedup.shingling import shingle_document
from transforms.signatures import copy_hashes
from cleanwire.dedup.candidates import matchable_signatures
from cleanwire.minhash.signatures import MinHasher


def test_sequence_hashes_equal_for_equal_sequences_only():
    shingles = np.array([5, 6, 7, 5, 6, 7, 7, 6, 5, 5, 6, 8], dtype=np.uint32)
    starts = np.array([0, 3, 6, 9, 2, 4])
    ends = np.array([3, 6, 9, 12, 2, 4])
    h = sequence_hashes(shingles, starts, ends)
    assert h[0] == h[1]  # the same sequence at two places
    assert h[0] != h[2]  # the same values in another order
    assert h[0] != h[3]  # one value changed
    assert h[4] == h[5]  # empty ranges
    assert len(set(h[:4].tolist())) == 3


def test_copies_of_a_sentence_in_other_documents_are_paired_with_the_earliest():
    refs = make_ref([0, 3, 5, 5], [2, 0, 1, 4])
    representative, alias = copy_pairs(np.full(4, 9, dtype=np.uint64), refs, np.ones(4, dtype=bool))
    # Ref (5, 4) repeats the passage in document 5, which is still a different document
    # from the representative's.
    assert representative.tolist() == [refs[0]] * 3 and alias.tolist() == refs[1:].tolist()


def test_copies_in_the_representatives_document_and_before_it_stay_in_lsh():
    refs = make_ref([0, 1, 1, 2, 4], [5, 0, 3, 1, 0])
    alone = np.array([False, True, True, True, True])  # the earliest is part of a sentence
    hashes = np.array([1, 1, 1, 1, 1], dtype=np.uint64)
    representative, alias = copy_pairs(hashes, refs, alone)
    # (0, 5) is not alone; (1, 0) represents; (1, 3) shares its document.
    assert representative.tolist() == [refs[1]] * 2 and alias.tolist() == [refs[3], refs[4]]


def test_a_group_with_no_passage_alone_in_its_sentence_keeps_all_copies_in_lsh():
    refs = make_ref([0, 1, 2], [1, 1, 1])
    representative, alias = copy_pairs(np.zeros(3, dtype=np.uint64), refs, np.zeros(3, dtype=bool))
    assert representative.size == alias.size == 0


def _brute_force(hashes, refs, alone):
    pairs = []
    for h in sorted(set(hashes)):
        members = sorted((r, a) for r, a, g in zip(refs, alone, hashes) if g == h)
        seen_docs = set()
        chosen = None
        for r, a in members:
            if chosen is None and a and r >> 24 not in seen_docs:
                chosen = r
            elif chosen is not None and r >> 24 != chosen >> 24:
                pairs.append((chosen, r))
            seen_docs.add(r >> 24)
    return sorted(pairs, key=lambda p: p[1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6), st.integers(0, 3), st.booleans()), max_size=40,
                unique_by=lambda t: (t[1], t[2])))
def test_copy_pairs_matches_a_plain_loop(rows):
    hashes = [h for h, _, _, _ in rows]
    refs = [int(make_ref(rank, idx)) for _, rank, idx, _ in rows]
    alone = [a for _, _, _, a in rows]
    representative, alias = copy_pairs(np.array(hashes, dtype=np.uint64), np.array(refs, dtype=np.uint64),
                                       np.array(alone, dtype=bool))
    assert list(zip(representative.tolist(), alias.tolist())) == _brute_force(hashes, refs, alone)
    assert (doc_rank(representative) != doc_rank(alias)).all() and (representative < alias).all()


def test_copy_hashes_mark_quotes_and_their_sentences_as_not_alone():
    text = ('The council met on Tuesday to discuss the new budget for the hospital. '
            '"We will not close a single ward this winter," the minister said at the meeting. '
            'The council met on Tuesday to discuss the new budget for the hospital.')
    doc = shingle_document(text, 3, 5)
    signed = matchable_signatures(doc, MinHasher(48, 1).signatures(doc.shingles, doc.lo, doc.hi), 5)
    ((_, (hashes, refs, alone)),) = copy_hashes(7, [doc], [signed], 1)
    kinds = doc.passages[:, 2][(refs & ((1 << 24) - 1)).astype(np.int64)]
    by_ref = dict(zip(refs.tolist(), zip(hashes.tolist(), alone.tolist(), kinds.tolist())))
    first, last = int(make_ref(7, 0)), int(refs.max())
    assert by_ref[first][0] == by_ref[last][0]  # the repeated sentence hashes the same
    assert by_ref[first][1] and by_ref[last][1]
    # The middle sentence and its quote share a sentence number: neither is alone.
    assert [a for r, (h, a, k) in sorted(by_ref.items()) if r not in (first, last)] == [False] * (len(refs) - 2)
