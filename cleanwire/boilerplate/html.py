"""Boilerplate removal and metadata for HTML pages, with trafilatura.

Settings (chosen by measurement on the development set, see ``docs/benchmarks.md``):
comments excluded (they are not the article; excluding them rejected 15 more
boilerplate snippets of 898 and lost one article snippet of 889), tables kept,
trafilatura's fallback extractors on (its default), and its ``deduplicate`` off,
because that drops text it has seen before *in the same worker*, which would make
extraction depend on processing order; cleanwire's cross-document step removes lines
that recur across a source instead.

The page is parsed once: the tree serves the visible text (for the audit and the
cross-document line counts) and ``trafilatura.bare_extraction``, which copies it.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import trafilatura
from lxml import etree

from cleanwire.boilerplate.features import line_hashes
from cleanwire.boilerplate.text import KEPT, METADATA, REMOVED, Extraction
from cleanwire.text.normalize import normalize_line

__all__ = ["extract_html", "merge_lines", "visible_blocks"]


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_VISIBLE_TEXT = etree.XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
)
_INLINE = frozenset(
    "a abbr b bdi bdo cite code data dfn em font i kbd label mark q s samp small span strike strong sub sup time tt u var".split()
)


def visible_blocks(tree: etree._Element) -> list[str]:
    """The page's visible text, one string per block-level element (for audit).

    Text of inline elements (links, emphasis) joins the surrounding block; scripts,
    styles and templates are skipped.  Cheap: one XPath pass, no tree copy."""
    blocks, current = [], []
    for fragment in _VISIBLE_TEXT(tree):
        if getattr(fragment.getparent(), "tag", None) not in _INLINE and current:
            blocks.append(normalize_line(" ".join(current)))
            current = []
        current.append(fragment)
    if current:
        blocks.append(normalize_line(" ".join(current)))
    return [block for block in blocks if block]


def merge_lines(visible: list[str], paragraphs: list[str], title: str | None) -> tuple[list[str], list[int]]:
    """The page's lines in page order and their status, from the visible blocks and
    the extracted paragraphs.

    A paragraph is placed where the first not yet used visible block equal to it is
    (extractors keep page order), or after the previous paragraph when no block equals
    it.  Visible blocks that are not part of the article (nor the title) are
    ``REMOVED``; a block equal to the title is ``METADATA``; blocks contained in the
    article text without being a paragraph are covered by it and left out.
    """
    positions: dict[str, list[int]] = {}
    for k, block in enumerate(visible):
        positions.setdefault(block, []).append(k)
    placed: list[list[str]] = [[] for _ in range(len(visible) + 1)]  # paragraphs placed before block k
    matched = [False] * len(visible)
    cursor = 0
    for paragraph in paragraphs:
        candidates = [k for k in positions.get(paragraph, ()) if k >= cursor and not matched[k]]
        if candidates:
            cursor = candidates[0]
            matched[cursor] = True
        placed[cursor].append(paragraph)
    article = "\n".join(paragraphs)
    lines: list[str] = []
    status: list[int] = []
    for k, block in enumerate(visible):
        for paragraph in placed[k]:
            lines.append(paragraph)
            status.append(KEPT)
        if matched[k]:
            continue
        if block == title:
            lines.append(block)
            status.append(METADATA)
        elif block not in article:
            lines.append(block)
            status.append(REMOVED)
    for paragraph in placed[len(visible)]:
        lines.append(paragraph)
        status.append(KEPT)
    return lines, status


def extract_html(html: str, url: str | None = None) -> Extraction:
    """Extract the article of an HTML page: its lines with their status, and metadata.

    ``url`` is the page's address when known (it helps metadata extraction).  Title,
    publication date (original, not last-modified) and canonical URL come from
    trafilatura's metadata extraction.  The kept lines are trafilatura's paragraphs;
    the removed lines are the visible text blocks that are not part of the article.
    """
    tree = trafilatura.load_html(html)
    if tree is None:
        return Extraction(lines=(), status=(), hashes=np.zeros(0, dtype=np.uint64))
    visible = visible_blocks(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        with_metadata=True,
        date_extraction_params={"original_date": True, "extensive_search": False},
    )
    if document is None:
        paragraphs: list[str] = []
        title = published = canonical = None
    else:
        paragraphs = [p for p in (normalize_line(line) for line in (document.text or "").split("\n")) if p]
        title = normalize_line(document.title) if document.title else None
        published = _parse_date(document.date)
        canonical = document.url or url
    lines, status = merge_lines(visible, paragraphs, title)
    return Extraction(
        lines=tuple(lines), status=tuple(status), hashes=line_hashes(lines), title=title, published=published,
        url=canonical,
    )
