import numpy as np
import pytest
from datasketch import MinHash

from cleanwire.minhash.signatures import EMPTY, MinHasher, band_hashes, shingle_hashes, to_datasketch
from cleanwire.text.tokens import index_text


def _datasketch(values, num_perm=64, seed=1):
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x, scheme="affine32")
    m.update_batch([int(v) for v in values])
    return m.hashvalues


def test_signatures_are_bit_exact_with_datasketch_on_random_ranges():
    rng = np.random.default_rng(7)
    shingles = rng.integers(0, 2**32, size=500, dtype=np.uint64).astype(np.uint32)
    starts = rng.integers(0, 480, size=30)
    ends = starts + rng.integers(1, 20, size=30)
    rows = MinHasher(64, 1).signatures(shingles, starts, ends)
    for row, a, b in zip(rows, starts, ends):
        assert np.array_equal(row, _datasketch(shingles[a:b]))


def test_width_gives_the_first_values_of_the_full_signature():
    shingles = np.arange(100, dtype=np.uint32) * np.uint32(2654435761)
    full = MinHasher(64, 1).signatures(shingles, [0, 10], [100, 50])
    narrow = MinHasher(64, 1, width=20).signatures(shingles, [0, 10], [100, 50])
    assert np.array_equal(narrow, full[:, :20])


def test_empty_ranges_get_the_empty_signature():
    rows = MinHasher(16, 1).signatures(np.arange(10, dtype=np.uint32), [3, 0], [3, 10])
    assert (rows[0] == EMPTY).all() and not (rows[1] == EMPTY).all()
    assert (MinHasher(16, 1).signatures(np.zeros(0, np.uint32), [0], [0]) == EMPTY).all()


def test_jaccard_estimates_agree_with_the_true_jaccard():
    rng = np.random.default_rng(3)
    universe = rng.integers(0, 2**32, size=4000, dtype=np.uint64).astype(np.uint32)
    a, b = universe[:1500], universe[900:2400]  # |A∩B| = 600, |A∪B| = 2400
    true = 600 / 2400
    rows = MinHasher(256, 1).signatures(np.concatenate([a, b]), [0, 1500], [1500, 3000])
    estimate = to_datasketch(rows[0], 1).jaccard(to_datasketch(rows[1], 1))
    sigma = np.sqrt(true * (1 - true) / 256)
    assert abs(estimate - true) < 4 * sigma


def test_shingles_are_order_sensitive_windows():
    h = index_text("a b c a b c").hashes
    s = shingle_hashes(h, 3)
    assert s.size == 4 and s[0] == s[3] and len(set(s.tolist())) == 3
    assert shingle_hashes(index_text("a b").hashes, 3).size == 0
    assert shingle_hashes(index_text("c b a").hashes, 3)[0] != s[0]
    with pytest.raises(ValueError):
        shingle_hashes(h, 9)


def test_band_keys_are_equal_exactly_when_the_band_values_are():
    sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [9, 9, 3, 4], [3, 4, 1, 2]], dtype=np.uint32)
    keys = band_hashes(sig, 2, 2)
    assert keys[0, 0] == keys[1, 0] and keys[0, 1] == keys[2, 1]
    assert keys[0, 0] != keys[2, 0] and keys[0, 1] != keys[1, 1]
    assert keys[3, 0] != keys[0, 1]  # same values in another band give another key
    with pytest.raises(ValueError):
        band_hashes(sig, 3, 2)


def test_a_single_nonempty_range_is_bit_exact_with_datasketch():
    # One non-empty range among empty ones (a document with one passage) takes the
    # one-set path; it must give the same MinHash as datasketch and as a batch.
    rng = np.random.default_rng(11)
    shingles = rng.integers(0, 2**32, size=40, dtype=np.uint64).astype(np.uint32)
    hasher = MinHasher(64, 1)
    rows = hasher.signatures(shingles, [0, 5, 40], [0, 30, 40])
    assert (rows[0] == EMPTY).all() and (rows[2] == EMPTY).all()
    assert np.array_equal(rows[1], _datasketch(shingles[5:30]))
    alone = hasher.signatures(shingles, [0], [40])
    assert np.array_equal(alone[0], _datasketch(shingles))
    batch = hasher.signatures(shingles, [0, 0], [40, 10])
    assert np.array_equal(alone[0], batch[0])
