"""From a page's bytes to its cleaned record: decode, remove the page's boilerplate,
extract metadata (``extract_documents``), then remove the lines that recur across its
source (``finish_document``).  Pure functions; ``transforms.clean`` and
``transforms.recurring`` run them in Beam.

A document without article text becomes an ``ErrorRecord`` that says why, never a
silent drop.
"""

from __future__ import annotations

from dataclasses import replace
from typing import AbstractSet

from cleanwire.boilerplate.html import PageTooDeep, extract_html_pages
from cleanwire.boilerplate.text import KEPT, Extraction, extract_articles
from cleanwire.model import CleanDocument, ErrorRecord, ExtractedDocument, RawDocument, doc_id_for
from cleanwire.params import ReadParams
from cleanwire.readers import domain_of, page_format
from cleanwire.text.decode import DecodeError, decode
from cleanwire.text.layout import prepare_plain_text

__all__ = ["extract_document", "extract_documents", "finish_document", "no_article_text"]


def no_article_text(uri: str, stage: str, extraction: Extraction, input_format: str) -> ErrorRecord:
    """The error row of a document in which every line is boilerplate."""
    if extraction.lines and not extraction.removed:  # a lone line is taken for the title
        message = (f"the page holds only a title or a date line ({extraction.lines[0][:80]!r}), no article text; "
                   "check that the input holds an article")
    elif not extraction.removed:
        message = "the page shows no text at all (no body, or only scripts and styles); check that the input holds an article"
    else:
        message = (f"no article text was found: all {len(extraction.removed)} text blocks look like page chrome "
                   "(navigation, forms, notices) or recur across the source; check that the input holds an article")
    return ErrorRecord(uri, stage, "NoArticleText", message, input_format)


def extract_documents(raws: list[RawDocument], max_line_chars: int = ReadParams.max_line_chars) -> list[ExtractedDocument | ErrorRecord]:
    """Decode each of ``raws`` and extract its article; an ``ErrorRecord`` says why not.

    Plain-text pages (hard-wrapped lines joined into paragraphs, lines longer than
    ``max_line_chars`` broken at a space) go
    through the block classifier together, and so do HTML pages for the classifier's
    review (a page's result does not depend on the others).  A page is cleaned as the
    format its content shows where that plainly differs from the declared one
    (``page_format``); the document's ``format`` says which."""
    results: list[ExtractedDocument | ErrorRecord | None] = []
    texts: dict[int, tuple[RawDocument, str, str]] = {}
    pages: dict[int, tuple[RawDocument, str, str]] = {}
    for raw in raws:
        try:
            text, encoding = decode(raw.content, is_html=raw.format == "html", declared=raw.charset)
        except DecodeError as exc:
            results.append(ErrorRecord(raw.uri, "clean", "DecodeError", str(exc), raw.input_format))
            continue
        if not text.strip():
            what = "is empty" if not text else "holds only whitespace"
            results.append(ErrorRecord(raw.uri, "clean", "EmptyDocument", f"the input {what}; there is no text to clean",
                                       raw.input_format))
            continue
        shown = page_format(text, raw.format)
        if shown != raw.format:
            raw = replace(raw, format=shown)
        if shown == "html":
            pages[len(results)] = (raw, text, encoding)
            results.append(None)
        else:
            texts[len(results)] = (raw, prepare_plain_text(text, max_line_chars), encoding)
            results.append(None)
    extractions = extract_articles([text for _, text, _ in texts.values()])
    extractions += extract_html_pages([(text, raw.url) for raw, text, _ in pages.values()])
    for (k, (raw, text, encoding)), extraction in zip([*texts.items(), *pages.items()], extractions):
        results[k] = _document(raw, text, encoding, extraction)
    return results


def extract_document(raw: RawDocument) -> ExtractedDocument | ErrorRecord:
    """``extract_documents`` of one document."""
    return extract_documents([raw])[0]


def _document(raw: RawDocument, text: str, encoding: str,
              extraction: Extraction | PageTooDeep) -> ExtractedDocument | ErrorRecord:
    if isinstance(extraction, PageTooDeep):
        return ErrorRecord(raw.uri, "clean", "PageTooDeep", str(extraction), raw.input_format)
    if not extraction.paragraphs:
        return no_article_text(raw.uri, "clean", extraction, raw.input_format)
    if (raw.title and not extraction.title) or (raw.published and not extraction.published):
        # What the page says wins; the container (WARC date, JSONL fields) fills the gaps.
        extraction = replace(extraction, title=extraction.title or raw.title,
                             published=extraction.published or raw.published)
    source = raw.source
    if raw.input_format == "html" and not raw.url:
        # A page file's source came from its folder; the address the page gives for
        # itself names its publisher better (the README's rule: the URL's domain first).
        source = domain_of(extraction.url) or source
    return ExtractedDocument(
        doc_id=doc_id_for(raw.uri, raw.content),
        uri=raw.uri,
        source=source,
        format=raw.format,
        extraction=extraction,
        url=extraction.url or raw.url,
        raw_chars=len(text),
        encoding=encoding,
        input_format=raw.input_format,
    )


def finish_document(doc: ExtractedDocument, recurring: AbstractSet[int]) -> tuple[CleanDocument | ErrorRecord, int]:
    """The final record of ``doc`` once its source's ``recurring`` line hashes are known,
    and how many of its kept lines they removed."""
    extraction = doc.extraction.without(recurring)
    dropped = sum(1 for before, after in zip(doc.extraction.status, extraction.status) if before == KEPT != after)
    if not extraction.paragraphs:
        return no_article_text(doc.uri, "recurring", extraction, doc.input_format), dropped
    return CleanDocument(
        doc_id=doc.doc_id,
        uri=doc.uri,
        source=doc.source,
        format=doc.format,
        text=extraction.text,
        boilerplate=extraction.removed,
        url=doc.url,
        title=extraction.title,
        published=extraction.published,
        raw_chars=doc.raw_chars,
        encoding=doc.encoding,
        input_format=doc.input_format,
    ), dropped
