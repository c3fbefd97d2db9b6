"""The band-key filter that keeps a small run from shuffling a large history."""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from cleanwire.dedup.keyfilter import add_keys, empty_filter, has_keys, merge_filters
from tests.beam_check import matches
from transforms.history import RunKeys

BITS = 1 << 20


def _keys(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)


def test_every_added_key_passes_and_few_others_do():
    bitmap = empty_filter(BITS)
    added = _keys(1, 20_000)
    add_keys(bitmap, 3, added)
    assert has_keys(bitmap, 3, added).all()
    others = _keys(2, 100_000)
    false_passes = has_keys(bitmap, 3, others).mean()
    assert false_passes < 2 * 20_000 / BITS  # one hash: about keys / bits
    # The same key in another shard is another key.
    assert has_keys(bitmap, 4, added).mean() < 2 * 20_000 / BITS


def test_merge_is_the_union_and_an_empty_filter_passes_nothing():
    first, second = empty_filter(BITS), empty_filter(BITS)
    a, b = _keys(3, 1000), _keys(4, 1000)
    add_keys(first, 0, a)
    add_keys(second, 1, b)
    merged = merge_filters(first.copy(), second)
    assert has_keys(merged, 0, a).all() and has_keys(merged, 1, b).all()
    assert not has_keys(empty_filter(BITS), 0, a).any()


def test_filter_size_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power-of-two"):
        empty_filter(1000)


def test_run_keys_combines_all_entries_of_a_run():
    entries = [(shard, (0, _keys(10 + shard * 7 + part, 500), np.arange(500, dtype=np.uint32)))
               for shard in range(4) for part in range(3)]

    def check(filters):
        assert len(filters) == 1
        for shard, (_base, keys, _refs) in entries:
            assert has_keys(filters[0], shard, keys).all()
        assert has_keys(filters[0], 9, _keys(99, 10_000)).mean() < 0.05

    with TestPipeline() as pipeline:
        assert_that(pipeline | beam.Create(entries, reshuffle=False) | RunKeys(BITS), matches(check))


def test_run_keys_of_a_run_without_entries_is_an_empty_filter():
    with TestPipeline() as pipeline:
        filters = pipeline | beam.Create([]) | RunKeys(BITS)
        assert_that(filters, matches(lambda found: _all_zero(found)))


def _all_zero(found):
    assert len(found) == 1 and found[0].size == BITS // 8 and not found[0].any()
