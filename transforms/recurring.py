"""Stage 3, recurring lines: remove the lines that recur across a source's documents.

``CountRecurringLines`` counts, for every (source, line hash), the distinct pages that
contain the line, with a ``CombinePerKey`` (partial counts are combined on each worker
before the shuffle, so it scales with the number of distinct lines, not documents),
and keeps the lines with enough support (``CleanParams``) against the source's page
count, which the same accumulator carries (no per-source table is held anywhere).  Copies of one page (the
same article lines: a scrape row twice, a re-crawl with other chrome) count once,
through a combiner that keeps one page per key (``page_key``); otherwise five copies of
an article would make every one of its lines recur and remove it from all five.  The recurring hashes of
each source are few (the site's chrome), so they travel as a side input to the step
that removes them from every document of the source and builds the final
``CleanDocument``.
"""

from __future__ import annotations

import apache_beam as beam

from cleanwire.boilerplate.recurring import LineCounts, counted_hashes, page_key
from cleanwire.clean import finish_document
from cleanwire.model import ErrorRecord, ExtractedDocument
from cleanwire.params import CleanParams
from transforms.read import ERRORS
from transforms.stats import StageStats

__all__ = ["TOTALS", "CountRecurringLines", "RemoveRecurringLines"]

TOTALS = "totals"


class _CountLinesFn(beam.CombineFn):
    """Pages per line hash of one source, and its page count (a ``LineCounts``)."""

    def create_accumulator(self) -> LineCounts:
        return LineCounts()

    def add_input(self, accumulator: LineCounts, hashes) -> LineCounts:
        return accumulator.add(hashes)

    def merge_accumulators(self, accumulators) -> LineCounts:
        merged = LineCounts()
        for accumulator in accumulators:
            merged.merge(accumulator)
        return merged

    def compact(self, accumulator: LineCounts) -> LineCounts:
        return accumulator.compact()

    def extract_output(self, accumulator: LineCounts) -> LineCounts:
        return accumulator.compact()


def _first_page(pages):
    """The page with the smallest ``doc_id`` of copies that keep the same article lines:
    their chrome may differ, and which one counts must not depend on the order the
    runner brings them in."""
    return min(pages, key=lambda page: page[0])


def _keyed_page(doc: ExtractedDocument):
    return (doc.source, page_key(doc.extraction)), (doc.doc_id, counted_hashes(doc.extraction))


def _recurring(item, params: CleanParams):
    source, counts = item
    hashes = counts.at_least(params.min_support(counts.pages))
    if hashes:
        yield source, hashes


class CountRecurringLines(beam.PTransform):
    """``ExtractedDocument`` -> ``(source, frozenset of recurring line hashes)``, one per
    source that has any.  One element per distinct page (its line hashes as an array),
    summed per source by a combiner."""

    def __init__(self, params: CleanParams) -> None:
        super().__init__()
        self._params = params

    def expand(self, documents):
        pages = (
            documents
            | "Lines" >> beam.Map(_keyed_page)
            | "DistinctPages" >> beam.CombinePerKey(_first_page)
            | "BySource" >> beam.MapTuple(lambda key, page: (key[0], page[1]))
        )
        return (
            pages
            | "Support" >> beam.CombinePerKey(_CountLinesFn())
            | "Recurring" >> beam.FlatMap(_recurring, self._params)
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
