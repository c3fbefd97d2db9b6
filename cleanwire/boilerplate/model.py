"""The block classifier: two logistic regressions over block features.

The first regression scores each block from its own features and its neighbours'
(``block_features``).  Whether a block belongs to the article depends on more than
itself, though: a short line between two article paragraphs is a subheading, the
same line among menu entries is navigation, a prose paragraph after "Comments" is a
comment.  So the second regression adds *context* computed from the first scores:
how far the nearest clearly-article block is above and below, how much chrome and
how many end-of-article headings lie in between, how much of the page's article-like
text comes before and after the block, and whether the block lies in the page's main
run of article-like blocks.  A block is kept when its second score exceeds the
threshold.

The weights are learned by ``benchmarks/train_boilerplate.py`` and shipped as
``weights.json`` beside this module; inference is a few numpy operations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from cleanwire.boilerplate.features import FEATURE_NAMES, BlockTable

__all__ = ["CONTEXT_NAMES", "WEIGHTS", "BlockModel", "best_run", "context_features", "load_model"]

WEIGHTS = Path(__file__).resolve().parent / "weights.json"

CONTEXT_NAMES = (
    "first_score", "log_lines_to_article_above", "log_lines_to_article_below", "article_above",
    "article_below", "log_chrome_above", "log_chrome_below", "end_markers_above", "in_main_run",
    "log_lines_to_main_run", "before_main_run", "after_main_run", "article_mass_before",
    "article_mass_after", "article_mass_min", "article_share_prev_3", "article_share_next_3",
    "article_share_prev_8", "article_share_next_8",
)
"""The columns ``context_features`` adds after ``FEATURE_NAMES``."""

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


def _previous_index(mask: np.ndarray) -> np.ndarray:
    """For each position, the index of the last earlier position where ``mask`` holds, or -1."""
    marked = np.where(mask, np.arange(mask.size), -1)
    return np.concatenate(([-1], np.maximum.accumulate(marked)[:-1]))


def _mean_before(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the ``window`` values before each position (fewer at the start; 0 at 0)."""
    sums = np.concatenate(([0.0], np.cumsum(values)))
    index = np.arange(values.size)
    low = np.maximum(index - window, 0)
    return (sums[index] - sums[low]) / np.maximum(index - low, 1)


def context_features(features: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The ``CONTEXT_NAMES`` columns of a page, from its block features and first scores.

    ``features`` is ``BlockTable.features`` of one page and ``first`` the first
    regression's score of each block.  Returns float64 ``(blocks, len(CONTEXT_NAMES))``.
    """
    n = first.size
    index = np.arange(n)
    article, chrome = first > _ARTICLE, first < _CHROME
    above = _previous_index(article)
    below = n - 1 - _previous_index(article[::-1])[::-1]  # n + ... when there is none
    has_above, has_below = above >= 0, below < n
    chrome_sums = np.concatenate(([0], np.cumsum(chrome)))
    chrome_above = np.where(has_above, chrome_sums[index] - chrome_sums[np.maximum(above, 0) + 1], 0)
    chrome_below = np.where(has_below, chrome_sums[np.minimum(below, n)] - chrome_sums[index + 1], 0)
    markers = (features[:, _COLUMN["end_marker"]] + features[:, _COLUMN["copyright_sign"]]) > 0
    marker_sums = np.concatenate(([0], np.cumsum(markers)))
    markers_above = np.where(has_above, marker_sums[index] - marker_sums[np.maximum(above, 0) + 1], 0)

    start, end = best_run(np.clip(first + _RUN_SHIFT, -_RUN_CLIP, _RUN_CLIP))
    if end <= start:
        start = int(np.argmax(first))
        end = start + 1
    to_run = np.where(index < start, start - index, np.where(index >= end, index - end + 1, 0))

    probability = 1.0 / (1.0 + np.exp(-np.clip(first, -30.0, 30.0)))
    mass = probability * np.expm1(features[:, _COLUMN["log_words"]])
    total = mass.sum() + 1e-9
    cumulative = np.cumsum(mass)
    mass_before, mass_after = (cumulative - mass) / total, (total - cumulative) / total
    reverse = probability[::-1]
    return np.column_stack([
        first, np.log1p(np.minimum(index - above, 50)), np.log1p(np.minimum(below - index, 50)),
        has_above, has_below, np.log1p(chrome_above), np.log1p(chrome_below), np.minimum(markers_above, 3),
        to_run == 0, np.log1p(to_run), index < start, index >= end, mass_before, mass_after,
        np.minimum(mass_before, mass_after), _mean_before(probability, 3), _mean_before(reverse, 3)[::-1],
        _mean_before(probability, 8), _mean_before(reverse, 8)[::-1],
    ]).astype(np.float64)


@dataclass(frozen=True)
class BlockModel:
    """Weights of the two regressions and the decision threshold."""

    first: np.ndarray
    second: np.ndarray
    threshold: float

    def scores(self, table: BlockTable, known: np.ndarray | None = None) -> np.ndarray:
        """The final score of every block of a page; keep blocks scoring above ``threshold``.

        ``known`` marks blocks already known to be boilerplate (recurring lines of the
        source): they get the first score of sure chrome, so the context of their
        neighbours sees them as such, and a final score of ``-inf``.
        """
        first = table.features @ self.first
        if known is not None and known.any():
            first = np.where(known, KNOWN_SCORE, first)
        final = np.hstack([table.features, context_features(table.features, first)]) @ self.second
        if known is not None and known.any():
            final[known] = -np.inf
        return final

    @classmethod
    def from_json(cls, path: Path) -> BlockModel:
        """Read weights written by the training script; the feature names must match."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURE_NAMES or tuple(data["context"]) != CONTEXT_NAMES:
            raise ValueError(f"{path} was trained on other features; run benchmarks/train_boilerplate.py again")
        return cls(np.array(data["first"]), np.array(data["second"]), float(data["threshold"]))


@lru_cache(maxsize=1)
def load_model() -> BlockModel:
    """The shipped model (read once per process)."""
    return BlockModel.from_json(WEIGHTS)
