"""Boilerplate removal and metadata for HTML pages, with trafilatura.

Settings (chosen by measurement on the development set, see ``docs/benchmarks.md``):
comments excluded (they are not the article; excluding them rejected 15 more
boilerplate snippets of 898 and lost one article snippet of 889), tables kept,
trafilatura's fallback extractors on (its default), and its ``deduplicate`` off,
because that drops text it has seen before *in the same worker*, which would make
extraction depend on processing order; cleanwire's cross-document step removes lines
that recur across a source instead.

The page is parsed once: the tree serves the visible text (for the audit and the
cross-document line counts), the metadata and ``trafilatura.bare_extraction``, which
copies it.  Of trafilatura's metadata extraction only the title, URL and date steps
run (``page_metadata``): author, site name, categories and tags, which cleanwire does
not store, took a quarter of the page's time.

cleanwire's block classifier then reads the page's lines (trafilatura's paragraphs
merged in page order with the other visible blocks) the way it reads a text dump.
Trafilatura often drops a lead paragraph it took for a teaser, and keeps the odd
share button or notice; so a visible block next to the extracted text (within
``RESCUE_DISTANCE`` lines) that the classifier is sure is article
(``RESCUE_SCORE``) is put back, and an extracted paragraph it is sure is chrome
(``DROP_SCORE``) is removed.  The three values maximise the mean score on the
training split of the development set among those that keep at least as many article
snippets there as trafilatura alone; they were chosen (1.0 and -6.0) for an earlier
classifier, then moved with its threshold to 1.5 and -5.5.  They were kept when the
classifier gained its lexicon (threshold now -0.25): chosen again by the same rule, on
scores of pages the classifier had not seen, the rule prefers 0.5, 4 and -5.0, which on
the held-out pages keeps three article snippets more than trafilatura but seven
boilerplate snippets more too, where the kept values keep one article snippet fewer
and as much boilerplate (see ``docs/benchmarks.md``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

import numpy as np
import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.html import HTMLParser, document_fromstring
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
from trafilatura.utils import repair_faulty_html

from cleanwire.boilerplate.features import block_features, line_hashes, title_parts
from cleanwire.boilerplate.model import load_model
from cleanwire.boilerplate.text import KEPT, METADATA, REMOVED, Extraction
from cleanwire.text.metadata import PUBLISHED_YEARS, parse_date_line, parse_timestamp
from cleanwire.text.normalize import normalize_line, normalize_text

__all__ = [
    "DROP_SCORE", "MAX_DEPTH", "RESCUE_DISTANCE", "RESCUE_SCORE", "PageTooDeep", "extract_html", "extract_html_pages", "merge_lines", "page_metadata",
    "review_lines",
    "visible_blocks",
]

# trafilatura.utils logs each page that lxml cannot parse at ERROR level; cleanwire
# makes every such page an error row with the reason, so the log line would only be
# noise on a scheduler's stderr.
logging.getLogger("trafilatura.utils").setLevel(logging.CRITICAL)

# libxml2 stops parsing at 256 levels of nesting, or at 2,048 with its "huge" option, which
# cleanwire sets (a page of unclosed <div>s or <font>s lost its text past 256 without a
# word).  libxml2's own limit: this constant only names it in messages and tests.
MAX_DEPTH = 2048

RESCUE_SCORE = 1.5
RESCUE_DISTANCE = 2
DROP_SCORE = -5.5


_INVISIBLE = frozenset(("script", "style", "noscript", "template"))
_INLINE = frozenset(
    "a abbr b bdi bdo cite code data dfn em font i kbd label mark q s samp small span strike strong sub sup time tt u var".split()
)


def visible_blocks(tree: etree._Element) -> list[str]:
    """The page's visible text, one string per block-level element, in stored form.

    ``tree`` comes from ``trafilatura.load_html`` (which drops comments).  Text of
    inline elements (links, emphasis) joins the surrounding block; every other element
    that opens or closes starts a new block; scripts, styles and templates are
    skipped.  One walk over the body in C (``iterwalk``), no tree copy, and one
    normalisation for the whole page."""
    body = tree.find("body")
    if body is None:
        return []
    blocks: list[str] = []
    current: list[str] = []
    walk = etree.iterwalk(body, events=("start", "end"))
    for event, element in walk:
        tag = element.tag
        if event == "start":
            if tag in _INVISIBLE or not isinstance(tag, str):
                walk.skip_subtree()
                continue
            if tag not in _INLINE and current:
                blocks.append(" ".join(" ".join(current).split()))
                current = []
            if element.text:
                current.append(element.text)
        else:
            if tag not in _INLINE and tag not in _INVISIBLE and current:
                blocks.append(" ".join(" ".join(current).split()))
                current = []
            if element.tail:
                current.append(element.tail)
    if current:
        blocks.append(" ".join(" ".join(current).split()))
    return [block for block in normalize_text("\n".join(blocks)).split("\n") if block]


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


def review_lines(lines: list[str], status: list[int]) -> list[int]:
    """``status`` after the block classifier's review (see the module docstring): kept
    lines it scores below ``DROP_SCORE`` become removed, removed lines within
    ``RESCUE_DISTANCE`` lines of the kept ones that it scores above ``RESCUE_SCORE``
    become kept.  A page without kept lines is left as it is."""
    if KEPT not in status:
        return list(status)
    return _reviewed(status, load_model().scores(block_features([lines])))


def _reviewed(status: list[int], scores: np.ndarray) -> list[int]:
    state = np.array(status)
    kept = np.flatnonzero(state == KEPT)
    if not kept.size:
        return list(status)
    index = np.arange(len(status))
    near = (index >= kept[0] - RESCUE_DISTANCE) & (index <= kept[-1] + RESCUE_DISTANCE)
    state[(state == KEPT) & (scores < DROP_SCORE)] = REMOVED
    state[(state == REMOVED) & near & (scores > RESCUE_SCORE)] = KEPT
    return state.tolist()


def page_metadata(tree: etree._Element, url: str | None = None) -> tuple[str | None, str | None, datetime | None]:
    """``(title, canonical url, publication date)`` of a parsed page, by trafilatura's
    metadata steps for these three: meta tags and JSON-LD first, then the page's
    headings and links, and htmldate for the original (not last-modified) date.
    ``tree`` is not changed."""
    metadata = examine_meta(tree)
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # noqa: BLE001 - trafilatura guards this step the same way: malformed JSON-LD is common
        pass
    title = metadata.title or extract_title(tree)
    canonical = metadata.url or extract_url(tree, url)
    # htmldate drops dates after today (local time) by default: the same page would get
    # another date on another day or in another time zone, and with it other canonicals.
    date = find_date(tree, original_date=True, extensive_search=False, url=canonical,
                     max_date=f"{PUBLISHED_YEARS.stop - 1}-12-31")
    return (normalize_line(title) if title else None), canonical, parse_timestamp(date)


@dataclass
class _Page:
    lines: list[str]
    hashes: np.ndarray  # line_hashes of lines
    status: list[int]
    title: str | None
    url: str | None
    published: datetime | None


class PageTooDeep(ValueError):
    """The page nests elements deeper than ``MAX_DEPTH`` levels: parsing it would lose
    the text past that depth."""


_PARSERS = threading.local()


def _parser() -> HTMLParser:
    """trafilatura's parser settings with libxml2's depth limit raised to ``MAX_DEPTH``
    (one parser per thread: an lxml parser is not shared between threads)."""
    if not hasattr(_PARSERS, "parser"):
        _PARSERS.parser = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                                     remove_pis=True, huge_tree=True)
    return _PARSERS.parser


def load_page(html: str) -> etree._Element | None:
    """The parsed page (its ``html`` element), as ``trafilatura.load_html`` parses it
    (with its repairs), but always as a document, so a one-block fragment (``<p>...</p>``,
    an export's body, which trafilatura rejects as not HTML) is a page with a body too,
    and nested up to ``MAX_DEPTH`` levels.  None for markup without any element (only a
    comment); raises ``PageTooDeep`` beyond ``MAX_DEPTH``."""
    html = repair_faulty_html(html, html[:50].lower())
    parser = _parser()
    try:
        try:
            tree = document_fromstring(html, parser=parser)
        except ValueError:  # a str with an XML encoding declaration: lxml wants bytes
            tree = document_fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
    except etree.ParserError:  # "Document is empty"
        return None
    # libxml2 says "Excessive depth in document" (its error code for it has changed
    # across versions, and is shared with other limits): the message decides.
    if any("depth" in error.message.lower() for error in parser.error_log):
        raise PageTooDeep(f"the page nests elements more than {MAX_DEPTH} levels deep (unclosed tags?), the most the "
                          "HTML parser reads; the text past that depth would be lost. Repair the page's markup")
    return tree


def _merged_page(html: str, url: str | None) -> _Page | None:
    tree = load_page(html)
    if tree is None:
        return None
    visible = visible_blocks(tree)
    title, canonical, published = page_metadata(tree, url)
    document = trafilatura.bare_extraction(
        tree, url=canonical, include_comments=False, include_tables=True, deduplicate=False, with_metadata=False,
    )
    text = normalize_text(document.text or "") if document is not None else ""
    paragraphs = [line for line in text.split("\n") if line]
    lines, status = merge_lines(visible, paragraphs, title)
    hashes = line_hashes(lines)
    return _Page(lines, hashes, _metadata_lines(lines, hashes, status, title, published), title, canonical, published)


def _metadata_lines(
    lines: list[str], hashes: np.ndarray, status: list[int], title: str | None, published: datetime | None,
) -> list[int]:
    """``status`` with the removed lines that are the page's headline (its title without
    the site's name) or its date line (of the publication day) marked ``METADATA``:
    they are the document's ``title`` and ``published``, not boilerplate.  ``hashes``
    are the lines' ``line_hashes``."""
    heads = set(line_hashes(title_parts(title)).tolist()) - {0} if title else set()
    marked = list(status)
    for k, (line, value, state) in enumerate(zip(lines, hashes.tolist(), status)):
        if state != REMOVED:
            continue
        if value in heads:
            marked[k] = METADATA
        elif (published is not None and len(line) <= 80 and any(c.isdigit() for c in line)
              and (date := parse_date_line(line)) and date.date() == published.date()):
            marked[k] = METADATA
    return marked


def extract_html_pages(pages: Sequence[tuple[str, str | None]]) -> list[Extraction | PageTooDeep]:
    """Extract the article of each ``(html, url)`` page: its lines with their status,
    and metadata.

    ``url`` is the page's address when known (it helps metadata extraction).  Title,
    publication date (original, not last-modified) and canonical URL come from
    trafilatura's metadata extraction.  The kept lines are trafilatura's paragraphs;
    the removed lines are the visible text blocks that are not part of the article;
    the block classifier reviews both (``review_lines``), for all pages in one batch.
    A page's result does not depend on the other pages.  A page nested too deep to be
    read whole gets its ``PageTooDeep`` instead of an extraction.
    """
    merged = [_merged_or_error(html, url) for html, url in pages]
    reviewed = [page for page in merged if isinstance(page, _Page) and KEPT in page.status]
    if reviewed:
        table = block_features([page.lines for page in reviewed])
        scores = load_model().scores(table)
        for k, page in enumerate(reviewed):
            page.status = _reviewed(page.status, scores[table.starts[k]:table.starts[k + 1]])
    empty = Extraction(lines=(), status=(), hashes=np.zeros(0, dtype=np.uint64))
    return [
        empty if page is None else page if isinstance(page, PageTooDeep) else Extraction(
            lines=tuple(page.lines), status=tuple(page.status), hashes=page.hashes, title=page.title,
            published=page.published, url=page.url,
        )
        for page in merged
    ]


def _merged_or_error(html: str, url: str | None) -> _Page | PageTooDeep | None:
    try:
        return _merged_page(html, url)
    except PageTooDeep as exc:
        return exc


def extract_html(html: str, url: str | None = None) -> Extraction:
    """``extract_html_pages`` of one page; raises its ``PageTooDeep``."""
    result = extract_html_pages([(html, url)])[0]
    if isinstance(result, PageTooDeep):
        raise result
    return result
