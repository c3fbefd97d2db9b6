"""Stage 2, clean: decode, remove boilerplate, extract metadata.

Plain text goes through cleanwire's block classifier, HTML through trafilatura.  A
document whose article text comes out empty is an error row, never a silent drop.
"""

from __future__ import annotations

import apache_beam as beam

from cleanwire.boilerplate.html import extract_html
from cleanwire.boilerplate.text import extract_article
from cleanwire.model import CleanDocument, ErrorRecord, RawDocument, doc_id_for
from cleanwire.text.decode import DecodeError, decode
from transforms.read import ERRORS
from transforms.stats import StageStats

__all__ = ["CleanDocuments", "clean_document"]


def clean_document(raw: RawDocument) -> CleanDocument | ErrorRecord:
    """Decode ``raw`` and extract its article; an ``ErrorRecord`` says why not."""
    try:
        text, _encoding = decode(raw.content, is_html=raw.format == "html")
    except DecodeError as exc:
        return ErrorRecord(raw.uri, "clean", "DecodeError", f"{exc}; if this is a text file, save it as UTF-8")
    if not text.strip():
        return ErrorRecord(raw.uri, "clean", "EmptyDocument", "the file is empty or holds only whitespace")
    if raw.format == "html":
        extraction = extract_html(text, raw.url)
    else:
        extraction = extract_article(text)
    if not extraction.paragraphs:
        return ErrorRecord(
            raw.uri, "clean", "NoArticleText",
            f"no article text was found: all {len(extraction.removed)} text blocks look like page chrome "
            "(navigation, forms, notices); check that the file holds an article",
        )
    url = extraction.url or raw.url
    return CleanDocument(
        doc_id=doc_id_for(raw.uri, raw.content),
        uri=raw.uri,
        source=raw.source,
        format=raw.format,
        text=extraction.text,
        boilerplate=extraction.removed,
        url=url,
        title=extraction.title,
        published=extraction.published,
        raw_chars=len(text),
    )


class _CleanFn(beam.DoFn):
    def setup(self) -> None:
        self.stats = StageStats("clean")

    def process(self, raw: RawDocument):
        with self.stats.timed():
            result = clean_document(raw)
        if isinstance(result, ErrorRecord):
            self.stats.count("errors")
            yield beam.pvalue.TaggedOutput(ERRORS, result)
            return
        self.stats.count("documents")
        self.stats.count("removed_lines", len(result.boilerplate))
        self.stats.count("removed_chars", sum(len(line) for line in result.boilerplate))
        yield result


class CleanDocuments(beam.PTransform):
    """``RawDocument`` -> ``CleanDocument``; failures as ``ErrorRecord``s tagged ``errors``."""

    def expand(self, raw_documents):
        return raw_documents | "Clean" >> beam.ParDo(_CleanFn()).with_outputs(ERRORS, main="documents")
