"""Stage 3, recurring lines: remove the lines that recur across a source's documents.

``CountRecurringLines`` counts, for every (source, line hash), the documents that
contain the line, with a ``CombinePerKey`` (partial counts are combined on each worker
before the shuffle, so it scales with the number of distinct lines, not documents),
and keeps the lines with enough support (``CleanParams``).  The recurring hashes of
each source are few (the site's chrome), so they travel as a side input to the step
that removes them from every document of the source and builds the final
``CleanDocument``.
"""

from __future__ import annotations

from typing import AbstractSet

import apache_beam as beam

from cleanwire.boilerplate.recurring import apply_recurring, counted_hashes
from cleanwire.boilerplate.text import KEPT
from cleanwire.model import CleanDocument, ErrorRecord, ExtractedDocument
from cleanwire.params import CleanParams
from transforms.clean import no_article_text
from transforms.read import ERRORS
from transforms.stats import StageStats

__all__ = ["TOTALS", "CountRecurringLines", "RemoveRecurringLines", "finish_document"]

TOTALS = "totals"


def finish_document(doc: ExtractedDocument, recurring: AbstractSet[int]) -> tuple[CleanDocument | ErrorRecord, int]:
    """The final record of ``doc`` once its source's ``recurring`` line hashes are known,
    and how many of its kept lines they removed."""
    extraction = apply_recurring(doc.extraction, recurring, doc.format)
    dropped = sum(1 for before, after in zip(doc.extraction.status, extraction.status) if before == KEPT != after)
    if not extraction.paragraphs:
        return no_article_text(doc.uri, "recurring", extraction), dropped
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
    ), dropped


def _min_support_met(item, totals: dict[str, int], params: CleanParams) -> bool:
    (source, _), documents = item
    return documents >= params.min_support(totals[source])


class CountRecurringLines(beam.PTransform):
    """``ExtractedDocument`` -> ``(source, frozenset of recurring line hashes)``, one per
    source that has any."""

    def __init__(self, params: CleanParams) -> None:
        super().__init__()
        self._params = params

    def expand(self, documents):
        totals = documents | "PerSource" >> beam.Map(lambda d: (d.source, 1)) | "Documents" >> beam.CombinePerKey(sum)
        return (
            documents
            | "Lines" >> beam.FlatMap(lambda d: (((d.source, h), 1) for h in counted_hashes(d.extraction)))
            | "Support" >> beam.CombinePerKey(sum)
            | "Recurring" >> beam.Filter(_min_support_met, beam.pvalue.AsDict(totals), self._params)
            | "BySource" >> beam.Map(lambda item: item[0])
            | "Group" >> beam.GroupByKey()
            | "AsSet" >> beam.MapTuple(lambda source, hashes: (source, frozenset(hashes)))
        )


class _DropFn(beam.DoFn):
    def setup(self) -> None:
        self.stats = StageStats("recurring")

    def process(self, doc: ExtractedDocument, recurring: dict[str, frozenset[int]]):
        with self.stats.timed():
            result, dropped = finish_document(doc, recurring.get(doc.source, frozenset()))
        self.stats.count("recurring_lines_removed", dropped)
        if isinstance(result, ErrorRecord):
            self.stats.count("errors")
            yield beam.pvalue.TaggedOutput(ERRORS, result)
            return
        lines, chars = len(result.boilerplate), sum(len(line) for line in result.boilerplate)
        self.stats.count("documents")
        self.stats.count("removed_lines", lines)
        self.stats.count("removed_chars", chars)
        yield beam.pvalue.TaggedOutput(TOTALS, (doc.source, (1, lines, chars, dropped)))
        yield result


class RemoveRecurringLines(beam.PTransform):
    """``ExtractedDocument`` -> ``{"documents": CleanDocument, "errors": ErrorRecord,
    "recurring": (source, frozenset of hashes), "totals": (source, (1, removed lines,
    removed characters, kept lines removed as recurring)) per document}``."""

    def __init__(self, params: CleanParams) -> None:
        super().__init__()
        self._params = params

    def expand(self, documents):
        recurring = documents | "Count" >> CountRecurringLines(self._params)
        result = documents | "Drop" >> beam.ParDo(_DropFn(), beam.pvalue.AsDict(recurring)).with_outputs(
            ERRORS, TOTALS, main="documents"
        )
        return {"documents": result.documents, "errors": result[ERRORS], "recurring": recurring, TOTALS: result[TOTALS]}
