"""Boilerplate removal for plain scraped text (no markup left).

A page dumped to text is a sequence of blocks (lines): navigation and chrome, then the
headline, a date line, the article, and after it tag lines, share buttons, related
links, comment forms and site furniture.  ``extract_article`` measures every block
(``features``), scores it with the learned block classifier (``model``), which looks at
the block, its neighbours and where the page's article-like text lies, and keeps the
blocks that score above the classifier's threshold.  Lines known to recur across the
source's pages are removed wherever they are.

``Extraction`` is the result of both text and HTML cleaning: every line of the page in
order, what became of it, and the page's metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import AbstractSet, Sequence

import numpy as np

from cleanwire.boilerplate.features import FEATURE_NAMES, block_features, line_hashes, page_bounds
from cleanwire.boilerplate.model import BlockModel, load_model
from cleanwire.text.layout import split_link_list
from cleanwire.text.metadata import looks_like_title, parse_date_line
from cleanwire.text.normalize import normalize_text

__all__ = ["KEPT", "METADATA", "REMOVED", "Extraction", "extract_article", "extract_articles", "fill_gaps", "rescue_prose"]

# What became of a line.
REMOVED, KEPT, METADATA = 0, 1, 2

# The date line is looked for among the first blocks and the blocks after the headline.
_DATE_WINDOW = 8
_CTA_SHORT, _LEGAL_SHORT = FEATURE_NAMES.index("cta_short"), FEATURE_NAMES.index("legal_short")
_DIGIT = re.compile(r"\d")
_LEAD_MIN_WORDS = 3
_LEAD_WINDOW = 3  # blocks above the first paragraph searched for its headline (a byline, a date between)
# Never a headline: text-browser markup (links and their [12] markers, lynx's line of
# the page's <link>s, "#alternate ...", form buttons and fields, images, list bullets)
# and bylines ("By Jane Doe", "Von ...", "Written by ...", "Posted on ...").
_NOT_A_HEADLINE = re.compile(
    r"://|\(BUTTON\)|_{4,}|\[\d+\](?=[^\W_])|\[ *\]|\[(?:IMG|INLINE|Search|Submit)\]"
    r"|^\s*(?:IFRAME|(?-i:#[a-z])|(?:[*+\u2022\u25a1\u25aa\u25cf]|(?-i:o))\s|(?:by|von|par|por|di)\s"
    r"|(?:written|posted|published|updated)\s+(?:by|on|at)\b)",
    re.IGNORECASE)
# Gap filling: at most _GAP_LINES lines between two blocks scoring above _GAP_ANCHOR
# (clearly article) are kept when none scores at or below _GAP_FLOOR (clearly chrome) or
# has a _GAP_CUES feature.  Chosen on out-of-fold scores of the training pages.
_GAP_LINES, _GAP_ANCHOR, _GAP_FLOOR = 8, 1.0, -2.0
_GAP_CUES = [FEATURE_NAMES.index(name) for name in (
    "cta_short", "legal_short", "time_short", "credit_short", "end_marker", "copyright_sign", "repeated",
)]


# Prose: a block of at least _PROSE_WORDS words that ends a sentence.
_PROSE_WORDS = 10
_LOG_WORDS, _ENDS_SENTENCE = FEATURE_NAMES.index("log_words"), FEATURE_NAMES.index("ends_sentence")


@dataclass(frozen=True)
class Extraction:
    """One cleaned page: its lines in page order and what became of each.

    ``status[k]`` is ``KEPT`` (article text), ``REMOVED`` (boilerplate) or ``METADATA``
    (the title or date line, neither article nor boilerplate) for ``lines[k]``;
    ``hashes[k]`` is its ``line_hashes`` value.
    """

    lines: tuple[str, ...]
    status: tuple[int, ...]
    hashes: np.ndarray
    title: str | None = None
    published: datetime | None = None
    url: str | None = None

    @property
    def paragraphs(self) -> list[str]:
        """The kept lines: the article's paragraphs in order."""
        return [line for line, status in zip(self.lines, self.status) if status == KEPT]

    @property
    def removed(self) -> list[str]:
        """The removed lines, in page order (for audit)."""
        return [line for line, status in zip(self.lines, self.status) if status == REMOVED]

    @property
    def text(self) -> str:
        """The article text, paragraphs separated by a blank line."""
        return "\n\n".join(self.paragraphs)

    def without(self, recurring: AbstractSet[int]) -> Extraction:
        """This extraction with every kept line whose hash is in ``recurring`` removed."""
        if not recurring:
            return self
        drop = [status == KEPT and value in recurring for status, value in zip(self.status, self.hashes.tolist())]
        if not any(drop):
            return self
        status = tuple(REMOVED if gone else status for gone, status in zip(drop, self.status))
        return replace(self, status=status)


def _lead_headline(blocks: list[str], kept: Sequence[bool], features: np.ndarray) -> int:
    """The headline just above the article's first kept block, or -1: the nearest
    block among the ``_LEAD_WINDOW`` before it (a kept block is article text, never
    taken for the title) that reads like a headline, has ``_LEAD_MIN_WORDS`` words or
    more and names no action or legal matter (a menu's "Contact us" is not one).  For
    dumps that do not start with the page title (a text browser's, a scraper's): their
    first block is a menu or a skip link."""
    start = next((k for k, keep in enumerate(kept) if keep), -1)
    if start < 0:
        return -1
    for k in range(start - 1, max(start - 1 - _LEAD_WINDOW, -1), -1):
        if (len(blocks[k].split()) >= _LEAD_MIN_WORDS and looks_like_title(blocks[k])
                and not _NOT_A_HEADLINE.search(blocks[k]) and not features[k, _CTA_SHORT] and not features[k, _LEGAL_SHORT]):
            return k
    return -1


def _title_and_date(blocks: list[str], headline: int, features: np.ndarray, kept: Sequence[bool]) -> tuple[str | None, int, datetime | None, int]:
    """``(title, title line, date, date line)``; a line index is -1 when not found.

    The title is the headline when the first block (a page title such as "Headline |
    Site") reappears further down (at ``headline``), else the first block when it reads
    like a headline, its ``features`` (the page's rows) name no action or legal matter
    (not "Log in", "Privacy policy") and it is no text-browser markup or byline, else
    the headline just above the first ``kept`` block (``_lead_headline``).  The date
    comes from a date line among the first blocks or those after the title.
    """
    title, title_line = None, -1
    if headline > 0 and not _NOT_A_HEADLINE.search(blocks[headline]):
        title, title_line = blocks[headline], headline
    elif (looks_like_title(blocks[0]) and not features[0, _CTA_SHORT] and not features[0, _LEGAL_SHORT]
          and not _NOT_A_HEADLINE.search(blocks[0])):
        title, title_line = blocks[0], 0
    elif (lead := _lead_headline(blocks, kept, features)) >= 0:
        title, title_line = blocks[lead], lead
    window = list(range(min(_DATE_WINDOW, len(blocks))))
    if title_line > 0:
        window += range(title_line + 1, min(title_line + 1 + _DATE_WINDOW, len(blocks)))
    for k in window:
        # A date line is short and has digits (cheap tests before the date patterns).
        if k != title_line and len(blocks[k]) <= 80 and _DIGIT.search(blocks[k]) and (date := parse_date_line(blocks[k])):
            return title, title_line, date, k
    return title, title_line, None, -1


def fill_gaps(keep: np.ndarray, scores: np.ndarray, features: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``keep`` with the gaps inside an article filled: every block between two
    clearly-article blocks of its page (final score above ``_GAP_ANCHOR``) at most
    ``_GAP_LINES`` lines apart is kept when no block between them looks like chrome
    (a score at or below ``_GAP_FLOOR``, or a short block naming an action, a legal
    matter, a time or a credit, an end-of-article heading, a copyright sign, a block
    repeated on the page).  A text dump keeps an article's subheadings, list items and
    table rows as short lines of their own, which alone read like navigation.

    ``scores`` are the classifier's final scores, ``features`` ``BlockTable.features``
    and ``starts`` the pages' first rows (``BlockTable.starts``); nothing crosses a page
    boundary.  Returns a new boolean array.
    """
    n = scores.size
    if n == 0:
        return keep.copy()
    low, high = page_bounds(starts)
    index = np.arange(n)
    anchor = scores > _GAP_ANCHOR
    above = np.concatenate(([-1], np.maximum.accumulate(np.where(anchor, index, -1))[:-1]))
    below = np.concatenate((np.minimum.accumulate(np.where(anchor, index, n)[::-1])[::-1][1:], [n]))
    chrome = (scores <= _GAP_FLOOR) | (features[:, _GAP_CUES] > 0).any(axis=1)
    chrome_sums = np.concatenate(([0], np.cumsum(chrome)))
    inside = (above >= low) & (below <= high) & (below - above - 1 <= _GAP_LINES)
    above, below = np.where(inside, above, index), np.where(inside, below, index + 1)
    return keep | (inside & (chrome_sums[below] == chrome_sums[above + 1]))


def rescue_prose(
    keep: np.ndarray, pages: list[list[str]], features: np.ndarray, starts: np.ndarray, model: BlockModel,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """``keep`` where a page kept only fragments (blocks of fewer than ``_PROSE_WORDS``
    words), or nothing, although it has prose (blocks of that many words or more that end a
    sentence): there, each prose block is judged on its own (as a page of one block) and
    kept when the classifier keeps it alone.

    The classifier reads a block through its page's other blocks; on a page without
    clear article text (odd lines of digits and symbols, a paragraph last) that reading
    can keep a stray fragment and drop the page's only paragraph, or keep nothing at
    all (a paragraph last among lines of symbols).  A prose block that the classifier
    drops when it reads it alone (a legal footer, say) stays removed, so a page of
    chrome still becomes an error row.  (A cookie notice is not always such a block:
    on a page of nothing but sign-in links and a sentence-long notice, the classifier
    keeps the notice, in context or alone.)  Lines known to recur (``known``) stay removed.
    Returns a new boolean array; a page's result depends on that page only.
    """
    keep = keep.copy()
    long = np.expm1(features[:, _LOG_WORDS]) >= _PROSE_WORDS - 0.5
    prose = long & (features[:, _ENDS_SENTENCE] > 0)
    if known is not None:
        prose &= ~known
    lost: list[int] = []
    for start, end in zip(starts[:-1].tolist(), starts[1:].tolist()):
        if prose[start:end].any() and not (keep[start:end] & long[start:end]).any():
            lost += (start + np.flatnonzero(prose[start:end])).tolist()
    if lost:
        page_of = np.searchsorted(starts, lost, side="right") - 1
        alone = block_features([[pages[page][row - starts[page]]] for page, row in zip(page_of.tolist(), lost)])
        keep[lost] = model.scores(alone) > model.threshold
    return keep


def extract_articles(
    raws: Sequence[str], recurring: AbstractSet[int] = frozenset(), model: BlockModel | None = None
) -> list[Extraction]:
    """Clean pages of scraped text: title, date, article paragraphs, removed lines.

    Each of ``raws`` is a page's text, one block per line (blank lines are ignored).
    ``recurring`` holds ``line_hashes`` of lines known to recur across the source's
    pages: such lines are removed wherever they are, even when they read like prose.
    ``model`` replaces the shipped classifier (for training).  The pages are measured
    and scored together, which spreads numpy's per-call cost over them; each result
    depends on its own page (and ``recurring``) only.
    """
    split = [split_link_list([line for line in normalize_text(raw).split("\n") if line]) for raw in raws]
    pages = [page for page, _ in split]
    table = block_features(pages)
    model = model or load_model()
    known = None
    if recurring:
        known = np.fromiter((value in recurring for value in table.hashes.tolist()), dtype=bool, count=len(table.hashes))
    scores = model.scores(table, known)
    keep = fill_gaps(scores > model.threshold, scores, table.features, table.starts)
    keep = rescue_prose(keep, pages, table.features, table.starts, model, known).tolist()
    results = []
    for k, blocks in enumerate(pages):
        rows = table.page(k)
        link_list = split[k][1]  # a text browser's list of link targets is never article
        if not blocks:
            results.append(Extraction(lines=tuple(link_list), status=(REMOVED,) * len(link_list),
                                      hashes=line_hashes(link_list)))
            continue
        title, title_line, published, date_line = _title_and_date(blocks, table.headlines[k], table.features[rows], keep[rows])
        status = [KEPT if kept else REMOVED for kept in keep[rows]]
        for line in (title_line, date_line):
            if line >= 0:
                status[line] = METADATA
        results.append(Extraction(
            lines=(*blocks, *link_list), status=(*status, *[REMOVED] * len(link_list)),
            hashes=np.concatenate([table.hashes[rows], line_hashes(link_list)]),
            title=title, published=published,
        ))
    return results


def extract_article(raw: str, recurring: AbstractSet[int] = frozenset(), model: BlockModel | None = None) -> Extraction:
    """Clean one page of scraped text (``extract_articles`` of one page)."""
    return extract_articles([raw], recurring, model)[0]
