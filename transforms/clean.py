"""Stage 2, clean: decode, remove each page's boilerplate, extract metadata.

Plain text goes through cleanwire's block classifier, HTML through trafilatura and the
classifier's review.  The result keeps every line of the page with its status, so the
next stage can remove the lines that recur across the source.  A document without
article text is an error row, never a silent drop.
"""

from __future__ import annotations

import apache_beam as beam

from cleanwire.clean import extract_documents
from cleanwire.model import ErrorRecord, RawDocument
from cleanwire.params import ReadParams
from transforms.read import ERRORS
from transforms.stats import StageStats

__all__ = ["CleanDocuments"]


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
