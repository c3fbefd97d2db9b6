"""Stage 2, clean: decode, remove each page's boilerplate, extract metadata.

Plain text goes through cleanwire's block classifier, HTML through trafilatura and the
classifier's review.  The result keeps every line of the page with its status, so the
next stage can remove the lines that recur across the source.  A document without
article text is an error row, never a silent drop.
"""

from __future__ import annotations

import apache_beam as beam

from cleanwire.boilerplate.html import extract_html
from cleanwire.boilerplate.text import Extraction, extract_articles
from cleanwire.model import ErrorRecord, ExtractedDocument, RawDocument, doc_id_for
from cleanwire.text.decode import DecodeError, decode
from transforms.read import ERRORS
from transforms.stats import StageStats

__all__ = ["CleanDocuments", "extract_document", "extract_documents", "no_article_text"]


def no_article_text(uri: str, stage: str, extraction: Extraction) -> ErrorRecord:
    """The error row of a document in which every line is boilerplate."""
    return ErrorRecord(
        uri, stage, "NoArticleText",
        f"no article text was found: all {len(extraction.removed)} text blocks look like page chrome "
        "(navigation, forms, notices) or recur across the source; check that the file holds an article",
    )


def extract_documents(raws: list[RawDocument]) -> list[ExtractedDocument | ErrorRecord]:
    """Decode each of ``raws`` and extract its article; an ``ErrorRecord`` says why not.

    Plain-text pages go through the block classifier together (a page's result does not
    depend on the others); HTML pages one by one."""
    results: list[ExtractedDocument | ErrorRecord | None] = []
    texts: dict[int, tuple[RawDocument, str]] = {}
    for raw in raws:
        try:
            text, _encoding = decode(raw.content, is_html=raw.format == "html")
        except DecodeError as exc:
            results.append(ErrorRecord(raw.uri, "clean", "DecodeError", f"{exc}; if this is a text file, save it as UTF-8"))
            continue
        if not text.strip():
            results.append(ErrorRecord(raw.uri, "clean", "EmptyDocument", "the file is empty or holds only whitespace"))
        elif raw.format == "html":
            results.append(_document(raw, text, extract_html(text, raw.url)))
        else:
            texts[len(results)] = (raw, text)
            results.append(None)
    extractions = extract_articles([text for _, text in texts.values()])
    for (k, (raw, text)), extraction in zip(texts.items(), extractions):
        results[k] = _document(raw, text, extraction)
    return results


def extract_document(raw: RawDocument) -> ExtractedDocument | ErrorRecord:
    """``extract_documents`` of one document."""
    return extract_documents([raw])[0]


def _document(raw: RawDocument, text: str, extraction: Extraction) -> ExtractedDocument | ErrorRecord:
    if not extraction.paragraphs:
        return no_article_text(raw.uri, "clean", extraction)
    return ExtractedDocument(
        doc_id=doc_id_for(raw.uri, raw.content),
        uri=raw.uri,
        source=raw.source,
        format=raw.format,
        extraction=extraction,
        url=extraction.url or raw.url,
        raw_chars=len(text),
    )


class _CleanFn(beam.DoFn):
    def setup(self) -> None:
        self.stats = StageStats("clean")

    def process(self, raws: list[RawDocument]):
        with self.stats.timed():
            results = extract_documents(raws)
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

    def expand(self, raw_documents):
        return (
            raw_documents
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.BATCH)
            | "Clean" >> beam.ParDo(_CleanFn()).with_outputs(ERRORS, main="documents")
        )
