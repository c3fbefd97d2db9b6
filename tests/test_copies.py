"""Exact copies: sequence hashes, sentences and the choice of representatives (pure functions)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanwire.dedup.copies import MAX_SENTENCE_PASSAGES, copy_pairs, sentence_members, sequence_hashes
from cleanwire.dedup.refs import doc_rank, make_ref, passage_index
from cleanwire.dedup.candidates import matchable_signatures
from cleanwire.dedup.shingling import shingle_document
from cleanwire.minhash.signatures import MinHasher
from transforms.signatures import copy_hashes


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


def test_sentence_members_mark_the_matchable_passages_of_each_sentence():
    sentences = np.array([0, 1, 1, 1, 1, 2])  # sentence 1: the sentence, a quote, a clause, a quote
    first, members = sentence_members(sentences, np.array([True, True, True, False, True, True]))
    assert first.tolist() == [0, 1, 1, 1, 1, 5]
    assert members.tolist() == [0b1, 0b1011, 0b1011, 0b1011, 0b1011, 0b1]
    long_sentence = np.zeros(MAX_SENTENCE_PASSAGES + 1, dtype=np.int64)
    assert not sentence_members(long_sentence, np.ones(long_sentence.size, dtype=bool))[1].any()


def _alone(n):
    """``first`` and ``members`` of ``n`` passages that are each a sentence of their own."""
    return np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.uint16)


def test_copies_in_other_documents_are_paired_with_the_earliest():
    refs = make_ref([0, 3, 5, 5], [0, 0, 0, 4])
    first, members = _alone(4)
    first[3] = 4
    representative, alias, sibling, of = copy_pairs(np.full(4, 9, dtype=np.uint64), refs, first, members)
    # Ref (5, 4) repeats the passage in document 5, which is still a different document
    # from the representative's.
    assert representative.tolist() == [refs[0]] * 3 and alias.tolist() == refs[1:].tolist()
    assert sibling.size == of.size == 0


def test_a_representatives_sentence_is_compared_with_it_and_its_document_keeps_its_copies():
    # The quote (0, 5) is passage 1 of a sentence made of passages 4-7, of which 4, 5
    # and 7 are matchable; it reappears at (0, 9) in the same document and in documents 2 and 3.
    refs = make_ref([0, 0, 2, 3], [5, 9, 1, 0])
    first = np.array([4, 9, 1, 0])
    members = np.array([0b1011, 0b1, 0b1, 0b1], dtype=np.uint16)
    representative, alias, sibling, of = copy_pairs(np.ones(4, dtype=np.uint64), refs, first, members)
    assert representative.tolist() == [refs[0]] * 2 and alias.tolist() == [refs[2], refs[3]]
    assert sibling.tolist() == make_ref([0, 0], [4, 7]).tolist() and of.tolist() == [refs[0]] * 2


def test_a_passage_of_a_too_long_sentence_does_not_represent_its_copies():
    refs = make_ref([0, 1, 2], [1, 1, 1])
    first, members = _alone(3)
    members[0] = 0
    representative, alias, _, _ = copy_pairs(np.zeros(3, dtype=np.uint64), refs, first, members)
    assert representative.tolist() == [refs[1]] and alias.tolist() == [refs[2]]


def _brute_force(hashes, refs, firsts, members):
    pairs, siblings = [], []
    for h in sorted(set(hashes)):
        group = sorted((r, f, m) for r, f, m, g in zip(refs, firsts, members, hashes) if g == h)
        seen_docs, chosen = set(), None
        for r, f, m in group:
            if chosen is None and m and r >> 24 not in seen_docs:
                chosen = (r, f, m)
            elif chosen is not None and r >> 24 != chosen[0] >> 24:
                pairs.append((chosen[0], r))
            seen_docs.add(r >> 24)
        if chosen is not None and any(p[0] == chosen[0] for p in pairs):
            r, f, m = chosen
            siblings += [((r >> 24 << 24) | (f + i), r) for i in range(16) if m >> i & 1 and f + i != r & 0xFFFFFF]
    return sorted(pairs, key=lambda p: p[1]), sorted(siblings)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6), st.integers(0, 3), st.integers(0, 3), st.integers(0, 15)),
                max_size=40, unique_by=lambda t: (t[1], t[2])))
def test_copy_pairs_matches_a_plain_loop(rows):
    hashes = [h for h, _, _, _, _ in rows]
    refs = [int(make_ref(rank, idx)) for _, rank, idx, _, _ in rows]
    firsts = [max(idx - back, 0) for _, _, idx, back, _ in rows]
    # The passage itself is a member of its sentence, unless its sentence is too long (0).
    members = [0 if m == 0 else m | 1 << (idx - f) for (_, _, idx, _, m), f in zip(rows, firsts)]
    representative, alias, sibling, of = copy_pairs(
        np.array(hashes, dtype=np.uint64), np.array(refs, dtype=np.uint64), np.array(firsts), np.array(members, dtype=np.uint16))
    pairs, siblings = _brute_force(hashes, refs, firsts, members)
    assert list(zip(representative.tolist(), alias.tolist())) == pairs
    assert sorted(zip(sibling.tolist(), of.tolist())) == siblings
    assert (doc_rank(representative) != doc_rank(alias)).all() and (representative < alias).all()
    assert (doc_rank(sibling) == doc_rank(of)).all()


def test_copy_hashes_describe_each_passages_sentence():
    text = ('The council met on Tuesday to discuss the new budget for the hospital. '
            '"We will not close a single ward this winter," the minister said at the meeting. '
            'The council met on Tuesday to discuss the new budget for the hospital.')
    doc = shingle_document(text, 3, 5)
    signed = matchable_signatures(doc, MinHasher(48, 1).signatures(doc.shingles, doc.lo, doc.hi), 5)
    ((_, (hashes, refs, first, members)),) = copy_hashes(7, [doc], [signed], 1)
    index = passage_index(refs).astype(np.int64)
    sentence = doc.passages[index, 3]
    by_index = dict(zip(index.tolist(), zip(hashes.tolist(), first.tolist(), members.tolist())))
    assert by_index[0][0] == by_index[int(index.max())][0]  # the repeated sentence hashes the same
    assert by_index[0][1:] == (0, 1)
    # The middle sentence and its quote share a sentence: the same first passage and members.
    middle = index[sentence == 1]
    assert middle.size >= 2 and len({by_index[k][1:] for k in middle.tolist()}) == 1
    assert bin(by_index[int(middle[0])][2]).count("1") == middle.size
