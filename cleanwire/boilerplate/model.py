"""The block classifier: boosted trees, then a logistic regression over block features.

A learned *lexicon* first reads a block's words: a logistic regression over its hashed
words (each distinct word bucket counts once, the row scaled to unit length, the first
word hashed apart), whose log-odds join the block's features as ``lexical``.  Menus,
buttons, notices and forms draw on a small vocabulary in every language that rules
cannot list in full; article lines use the open vocabulary of their subject.
The first stage, a small ensemble of gradient-boosted regression trees, scores each
block from its own features, its neighbours' (``block_features``) and the lexicon's
score; unlike a regression, trees can let one feature change what another means (a
line's length says more with its function words than alone). Whether a block belongs to
the article depends on more than itself, though: a short line between two article
paragraphs is a subheading, the same line among menu entries is navigation, a prose
paragraph after "Comments" is a comment. So the second stage, a logistic regression,
adds *context* computed from the first scores: how far the nearest clearly-article block
is above and below, how much chrome and how many end-of-article headings lie in between,
how much of the page's article-like text comes before and after the block, and whether
the block lies in the page's main run of article-like blocks. A block is kept when its
second score exceeds the threshold.

The lexicon, trees and weights are learned by ``benchmarks/train_boilerplate.py`` and
shipped as ``weights.json`` beside this module; inference is numpy operations over all
blocks of a batch at once (a sort and two bincounts for the lexicon, a few per tree and
level of the trees, then the regression).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from cleanwire.boilerplate.features import FEATURE_NAMES, FIXED_POINT, BlockTable, page_bounds, segment_sums
from cleanwire.dedup.arrays import sorted_unique

__all__ = [
    "CONTEXT_NAMES", "KNOWN_SCORE", "LEXICON_UNIT", "MODEL_FEATURES", "NEVER_RIGHT", "WEIGHTS", "BlockModel", "Lexicon",
    "TreeEnsemble", "best_run", "context_features", "lexical_entries", "load_model",
]

WEIGHTS = Path(__file__).resolve().parent / "weights.json"

CONTEXT_NAMES = (
    "first_score", "log_lines_to_article_above", "log_lines_to_article_below", "article_above",
    "article_below", "log_chrome_above", "log_chrome_below", "end_markers_above", "in_main_run",
    "log_lines_to_main_run", "before_main_run", "after_main_run", "article_mass_before",
    "article_mass_after", "article_mass_min", "article_share_prev_3", "article_share_next_3",
    "article_share_prev_8", "article_share_next_8",
)
"""The columns ``context_features`` adds after ``MODEL_FEATURES``."""

MODEL_FEATURES = (*FEATURE_NAMES, "lexical")
"""The first stage's inputs: the block features and the lexicon's score."""

# The lexicon's weights are stored as multiples of this.
LEXICON_UNIT = 1e-4

# A first score above this is a clearly-article block, below the other clearly chrome.
_ARTICLE, _CHROME = 1.0, -3.0
# The main run maximises the sum of first scores shifted and clipped this way, so that
# no single block, however sure, decides it alone.
_RUN_SHIFT, _RUN_CLIP = 0.5, 2.0
# First score given to blocks known to be boilerplate (recurring across a source).
KNOWN_SCORE = -8.0

_COLUMN = {name: k for k, name in enumerate(FEATURE_NAMES)}


def best_run(scores: np.ndarray) -> tuple[int, int]:
    """Indices ``[i, j)`` of the contiguous run with the largest positive sum of
    ``scores`` (the first such run, shortest at its start); ``(0, 0)`` when no score
    is positive."""
    sums = np.concatenate(([0.0], np.cumsum(scores)))
    lowest = np.minimum.accumulate(sums)
    end = int(np.argmax(sums - lowest))
    if sums[end] - lowest[end] <= 0:
        return 0, 0
    start = end - int(np.argmin(sums[end::-1]))  # the last lowest prefix sum before the end
    return start, end


def context_features(features: np.ndarray, first: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
    """The ``CONTEXT_NAMES`` columns of a batch of pages, from block features and first scores.

    ``features`` begins with the columns of ``BlockTable.features``, ``first`` is the
    first stage's score of each block and ``starts`` the pages' first rows
    (``BlockTable.starts``; one page by default).  Nothing crosses a page boundary.  Returns float64
    ``(blocks, len(CONTEXT_NAMES))``.
    """
    n = first.size
    starts = np.array([0, n]) if starts is None else starts
    low, high = page_bounds(starts)
    index = np.arange(n)
    article, chrome = first > _ARTICLE, first < _CHROME
    # The nearest clearly-article block above and below, within the page.
    above = np.concatenate(([-1], np.maximum.accumulate(np.where(article, index, -1))[:-1]))
    has_above = above >= low
    below = np.concatenate((np.minimum.accumulate(np.where(article, index, n)[::-1])[::-1][1:], [n]))
    has_below = below <= high
    above, below = np.where(has_above, above, index), np.where(has_below, below, index)
    chrome_sums = np.concatenate(([0], np.cumsum(chrome)))
    markers = (features[:, _COLUMN["end_marker"]] + features[:, _COLUMN["copyright_sign"]]) > 0
    marker_sums = np.concatenate(([0], np.cumsum(markers)))

    # The page's main run of article-like blocks.
    shifted = np.clip(first + _RUN_SHIFT, -_RUN_CLIP, _RUN_CLIP)
    runs = []
    for page_start, page_end in zip(starts[:-1].tolist(), starts[1:].tolist()):
        start, end = best_run(shifted[page_start:page_end])
        if end <= start and page_end > page_start:
            start = int(np.argmax(first[page_start:page_end]))
            end = start + 1
        runs.append((page_start + start, page_start + end))
    bounds = np.array(runs, dtype=np.int64).reshape(-1, 2)
    run_start, run_end = np.repeat(bounds[:, 0], np.diff(starts)), np.repeat(bounds[:, 1], np.diff(starts))
    to_run = np.where(index < run_start, run_start - index, np.where(index >= run_end, index - run_end + 1, 0))

    # How much of the page's article-like text lies before and after each block.
    probability = 1.0 / (1.0 + np.exp(-np.clip(first, -30.0, 30.0)))
    mass, shares = segment_sums(np.vstack([probability * np.expm1(features[:, _COLUMN["log_words"]]), probability]))
    total = np.maximum(mass[high + 1] - mass[low], 1)
    columns = [
        first, np.log1p(np.minimum(np.where(has_above, index - above, 50), 50)),
        np.log1p(np.minimum(np.where(has_below, below - index, 50), 50)), has_above, has_below,
        np.log1p(np.where(has_above, chrome_sums[index] - chrome_sums[above + 1], 0)),
        np.log1p(np.where(has_below, chrome_sums[below] - chrome_sums[index + 1], 0)),
        np.minimum(np.where(has_above, marker_sums[index] - marker_sums[above + 1], 0), 3),
        to_run == 0, np.log1p(to_run), index < run_start, index >= run_end,
        (mass[index] - mass[low]) / total, (mass[high + 1] - mass[index + 1]) / total,
        np.minimum(mass[index] - mass[low], mass[high + 1] - mass[index + 1]) / total,
    ]
    for window in (3, 8):
        before, after = np.maximum(index - window, low), np.minimum(index + window, high)
        columns.append((shares[index] - shares[before]) / FIXED_POINT / np.maximum(index - before, 1))
        columns.append((shares[after + 1] - shares[index + 1]) / FIXED_POINT / np.maximum(after - index, 1))
    context = np.empty((n, len(columns)))
    for j, column in enumerate(columns):
        context[:, j] = column
    return context


@dataclass(frozen=True)
class TreeEnsemble:
    """Regression trees whose leaf values add up to a score (log-odds), on top of ``base``.

    Every tree is complete, of depth ``depth``, its nodes in heap order: the split nodes
    ``0 .. 2**depth - 2`` (node ``k``'s children are ``2k + 1`` and ``2k + 2``) in row
    ``t`` of ``feature`` and ``threshold``, the ``2**depth`` leaves in row ``t`` of
    ``value``.  A block goes right at a split node when its feature ``feature`` exceeds
    ``threshold``, else left; a shallower leaf of the trained tree is a split at
    ``NEVER_RIGHT`` above leaves of equal value.
    """

    base: float
    depth: int
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The score of each row of ``features`` (float64 ``(blocks, columns)``)."""
        columns = np.ascontiguousarray(features.T)  # one feature's values are contiguous
        total = np.full(features.shape[0], self.base)
        # Tree by tree, level by level: at each level, compare all blocks at the level's
        # few split nodes and keep, per block, the comparison of the node it is at.  The
        # trees are added one by one, so a block scores the same in any batch.
        for feature, threshold, value in zip(self.feature, self.threshold, self.value):
            leaf = np.zeros(features.shape[0], dtype=np.int64)
            for level in range(self.depth):
                nodes = slice(2**level - 1, 2 ** (level + 1) - 1)
                right = columns[feature[nodes]] > threshold[nodes, None]
                leaf = 2 * leaf + (right[0] if level == 0 else np.take_along_axis(right, leaf[None, :], 0)[0])
            total += value[leaf]
        return total

    def to_json(self) -> dict:
        """The ensemble as JSON data: per tree ``[features, thresholds, leaf values]``."""
        trees = [[f.tolist(), t.tolist(), v.tolist()] for f, t, v in zip(self.feature, self.threshold, self.value)]
        return {"base": self.base, "depth": self.depth, "trees": trees}

    @classmethod
    def from_json(cls, data: dict) -> TreeEnsemble:
        """Read ``to_json`` data."""
        trees = data["trees"]
        feature, threshold, value = (
            np.array([tree[k] for tree in trees], dtype=dtype).reshape(len(trees), -1)
            for k, dtype in enumerate((np.int64, np.float64, np.float64))
        )
        return cls(float(data["base"]), int(data["depth"]), feature, threshold, value)


def lexical_entries(table: BlockTable, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, buckets, values)``: the lexicon's input as a sparse matrix of blocks by
    word buckets.  Each block's distinct word buckets (word keys modulo ``size``, a
    power of two), sorted by row, then bucket, each with the value ``1 / sqrt(n)`` for
    the block's ``n`` distinct buckets (the row scaled to unit length)."""
    buckets = (table.word_keys & np.uint32(size - 1)).astype(np.int64)
    ids = sorted_unique(table.word_rows.astype(np.int64) * size + buckets)
    rows = ids // size
    counts = np.bincount(rows, minlength=table.features.shape[0])
    return rows, ids % size, 1.0 / np.sqrt(counts[rows])


@dataclass(frozen=True)
class Lexicon:
    """Log-odds that a block is article from its words alone: ``intercept`` plus the
    block's ``lexical_entries`` row times ``weights`` (the sum of the weights of its
    distinct word buckets, over the square root of their number).  ``weights`` has a
    power-of-two size; a block without words scores ``intercept``."""

    intercept: float
    weights: np.ndarray

    def scores(self, table: BlockTable) -> np.ndarray:
        """The lexicon's score of every block of ``table``.  A block's score is summed
        over its own buckets in bucket order, so it is the same in any batch."""
        rows, buckets, values = lexical_entries(table, self.weights.size)
        sums = np.bincount(rows, weights=self.weights[buckets] * values, minlength=table.features.shape[0])
        return self.intercept + sums

    def with_score(self, table: BlockTable) -> np.ndarray:
        """The first stage's inputs (``MODEL_FEATURES``): ``table``'s features and this
        lexicon's score of each block."""
        return np.hstack([table.features, self.scores(table)[:, None]])

    def to_json(self) -> dict:
        """The lexicon as compact JSON data: its size, and its non-zero weights as the gaps
        between their buckets and their values in units of ``LEXICON_UNIT`` (weights
        are multiples of it)."""
        index = np.flatnonzero(self.weights)
        return {"size": int(self.weights.size), "intercept": self.intercept, "unit": LEXICON_UNIT,
                "gaps": np.diff(index, prepend=0).tolist(),
                "units": np.rint(self.weights[index] / LEXICON_UNIT).astype(np.int64).tolist()}

    @classmethod
    def from_json(cls, data: dict) -> Lexicon:
        """Read ``to_json``'s data."""
        weights = np.zeros(int(data["size"]))
        weights[np.cumsum(np.array(data["gaps"], dtype=np.int64))] = np.array(data["units"]) * float(data["unit"])
        return cls(float(data["intercept"]), weights)


# The threshold of a split that sends every block left (no feature comes near it).
NEVER_RIGHT = 1e300


@dataclass(frozen=True)
class BlockModel:
    """The lexicon, the first stage's trees, the second stage's regression weights and
    the decision threshold."""

    lexicon: Lexicon
    first: TreeEnsemble
    second: np.ndarray
    threshold: float

    def scores(self, table: BlockTable, known: np.ndarray | None = None) -> np.ndarray:
        """The final score of every block of a batch of pages; keep blocks scoring above
        ``threshold``.

        ``known`` marks blocks already known to be boilerplate (recurring lines of the
        source): they get the first score of sure chrome, so the context of their
        neighbours sees them as such, and a final score of ``-inf``.
        """
        features = self.lexicon.with_score(table)
        first = self.first.predict(features)
        if known is not None and known.any():
            first = np.where(known, KNOWN_SCORE, first)
        context = context_features(features, first, table.starts)
        # Row-wise products and sums (not a matrix product, whose summation order can
        # depend on the batch's shape): a page scores the same in any batch.
        final = (np.hstack([features, context]) * self.second).sum(axis=1)
        if known is not None and known.any():
            final[known] = -np.inf
        return final

    @classmethod
    def from_json(cls, path: Path) -> BlockModel:
        """Read weights written by the training script; the feature names must match."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != MODEL_FEATURES or tuple(data["context"]) != CONTEXT_NAMES:
            raise ValueError(f"{path} was trained on other features; run benchmarks/train_boilerplate.py again")
        return cls(
            Lexicon.from_json(data["lexicon"]), TreeEnsemble.from_json(data["first"]), np.array(data["second"]),
            float(data["threshold"]),
        )


@lru_cache(maxsize=1)
def load_model() -> BlockModel:
    """The shipped model (read once per process)."""
    return BlockModel.from_json(WEIGHTS)
