"""Boilerplate removal and metadata for HTML pages, with trafilatura.

Settings (chosen by measurement, see ``docs/benchmarks.md``): comments excluded (they
are not the article), tables kept, and trafilatura's own ``deduplicate`` off, because
it drops text it has seen before *in the same worker*, which would make extraction
depend on processing order; cleanwire's dedup stage decides what is a duplicate.
"""

from __future__ import annotations

from datetime import datetime, timezone

import trafilatura
from lxml import etree

from cleanwire.boilerplate.text import Extraction
from cleanwire.text.normalize import normalize_line

__all__ = ["extract_html", "visible_blocks"]


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


def extract_html(html: str, url: str | None = None) -> Extraction:
    """Extract the article of an HTML page: paragraphs, removed blocks and metadata.

    ``url`` is the page's address when known (it helps metadata extraction).  Title,
    publication date (original, not last-modified) and canonical URL come from
    trafilatura's metadata extraction.  ``removed`` lists the visible text blocks that
    are not part of the article.
    """
    tree = trafilatura.load_html(html)
    if tree is None:
        return Extraction(paragraphs=[], removed=[])
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
    article = "\n".join(paragraphs)
    removed = [block for block in visible_blocks(tree) if block not in article and block != title]
    return Extraction(paragraphs=paragraphs, removed=removed, title=title, published=published, url=canonical)
