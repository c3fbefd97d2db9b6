"""Stage 2, clean: decode, remove each page's boilerplate, extract metadata.

Plain text goes through cleanwire's block classifier, HTML through trafilatura and the
classifier's review.  The result keeps every line of the page with its status, so the
next stage can remove the lines that recur across the source.  A document without
article text is an error row, never a silent drop.
"""

from __future__ import annotations

from dataclasses import replace

import apache_beam as beam

from cleanwire.boilerplate.html import extract_html_pages
from cleanwire.boilerplate.text import Extraction, extract_articles
from cleanwire.model import ErrorRecord, ExtractedDocument, RawDocument, doc_id_for
from cleanwire.params import ReadParams
from cleanwire.readers import domain_of, page_format
from cleanwire.text.decode import DecodeError, decode, wrap_long_lines
from transforms.read import ERRORS
from transforms.stats import StageStats

__all__ = ["CleanDocuments", "extract_document", "extract_documents", "no_article_text"]


def no_article_text(uri: str, stage: str, extraction: Extraction, input_format: str) -> ErrorRecord:
    """The error row of a document in which every line is boilerplate."""
    if not extraction.removed:
        message = "the page shows no text at all (no body, or only scripts and styles); check that the input holds an article"
    else:
        message = (f"no article text was found: all {len(extraction.removed)} text blocks look like page chrome "
                   "(navigation, forms, notices) or recur across the source; check that the input holds an article")
    return ErrorRecord(uri, stage, "NoArticleText", message, input_format)


def extract_documents(raws: list[RawDocument], max_line_chars: int = ReadParams.max_line_chars) -> list[ExtractedDocument | ErrorRecord]:
    """Decode each of ``raws`` and extract its article; an ``ErrorRecord`` says why not.

    Plain-text pages (lines longer than ``max_line_chars`` broken at a space) go
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
            results.append(ErrorRecord(raw.uri, "clean", "DecodeError",
                                       f"{exc}; if this is a text file, save it as UTF-8", raw.input_format))
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
            texts[len(results)] = (raw, wrap_long_lines(text, max_line_chars), encoding)
            results.append(None)
    extractions = extract_articles([text for _, text, _ in texts.values()])
    extractions += extract_html_pages([(text, raw.url) for raw, text, _ in pages.values()])
    for (k, (raw, text, encoding)), extraction in zip([*texts.items(), *pages.items()], extractions):
        results[k] = _document(raw, text, encoding, extraction)
    return results


def extract_document(raw: RawDocument) -> ExtractedDocument | ErrorRecord:
    """``extract_documents`` of one document."""
    return extract_documents([raw])[0]


def _document(raw: RawDocument, text: str, encoding: str, extraction: Extraction) -> ExtractedDocument | ErrorRecord:
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


class _CleanFn(beam.DoFn):
    def __init__(self, max_line_chars: int) -> None:
        self._max_line_chars = max_line_chars

    def setup(self) -> None:
        self.stats = StageStats("clean")

    def process(self, raws: list[RawDocument]):
        with self.stats.timed():
            results = extract_documents(raws, self._max_line_chars)
        for result in results:
            if isinstance(result, ErrorRecord):
                self.stats.count("errors")
                yield beam.pvalue.TaggedOutput(ERRORS, result)
            else:
                self.stats.count("documents")
                yield result


class CleanDocuments(beam.PTransform):
    """``RawDocument`` -> ``ExtractedDocument``; failures as ``ErrorRecord``s tagged ``errors``.

    Documents are cleaned in batches of up to ``BATCH`` so that the block classifier's
    numpy work is shared; results do not depend on how the runner batches them."""

    BATCH = 64

    def __init__(self, max_line_chars: int = ReadParams.max_line_chars) -> None:
        super().__init__()
        self._max_line_chars = max_line_chars

    def expand(self, raw_documents):
        return (
            raw_documents
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.BATCH)
            | "Clean" >> beam.ParDo(_CleanFn(self._max_line_chars)).with_outputs(ERRORS, main="documents")
        )
