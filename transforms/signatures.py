"""Stage 4, segment and sign: passages, MinHash signatures and LSH band keys.

One element per range partition carries all its documents, so the per-element cost of
the runner is paid once per partition, not once per passage.  The stage segments each
document into passages and shingles them, computes the signatures of all its passages
in one numpy pass, derives the document's signature as the minimum over its sentences
(the MinHash of a union), and emits band keys in compact per-shard arrays.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.candidates import lsh_entries, matchable_signatures
from cleanwire.dedup.shingling import shingle_document
from cleanwire.minhash.signatures import MinHasher
from cleanwire.model import PartitionIndex, RankedBatch
from cleanwire.params import DedupParams
from transforms.stats import StageStats

__all__ = ["DOCUMENT", "PASSAGE", "SignPassages"]

PASSAGE, DOCUMENT = "passage", "document"


class _SignFn(beam.DoFn):
    def __init__(self, params: DedupParams, keep_signatures: bool) -> None:
        self._params = params
        self._keep_signatures = keep_signatures

    def setup(self) -> None:
        self.stats = StageStats("sign")
        self._hasher = MinHasher(self._params.num_perm, self._params.seed, self._params.signature_width)

    def process(self, batch: RankedBatch, index: PartitionIndex):
        params = self._params
        with self.stats.timed():
            shingled_docs = [shingle_document(doc.text, params.ngram, params.min_words) for doc in batch.docs]
            signed = [
                matchable_signatures(d, self._hasher.signatures(d.shingles, d.lo, d.hi), params.min_words)
                for d in shingled_docs
            ]
            passage_entries, document_entries = lsh_entries(
                batch.first_rank, signed, params.passage_bands, params.doc_bands, index.shards)
        self.stats.count("documents", len(batch.docs))
        self.stats.count("passages", sum(len(d.passages) for d in shingled_docs))
        self.stats.count("matchable_passages", sum(s.eligible.size for s in signed))
        for level, entries in ((PASSAGE, passage_entries), (DOCUMENT, document_entries)):
            for entry in entries:
                yield beam.pvalue.TaggedOutput(level, entry)
        yield RankedBatch(batch.partition, batch.first_rank, batch.docs, shingled_docs, signed if self._keep_signatures else [])


class SignPassages(beam.PTransform):
    """``RankedBatch`` -> the same batch with its passages and shingles, plus LSH entries.

    Returns a tagged result: ``batches`` (``RankedBatch`` with ``shingled`` filled, and
    ``signed`` too with ``keep_signatures``, for the history) and,
    per level (``passage``, ``document``), ``(shard, (base_rank, keys, local_refs))``
    elements (see ``cleanwire.dedup.candidates.shard_entries``)."""

    def __init__(self, params: DedupParams, index, keep_signatures: bool = False) -> None:
        super().__init__()
        self._params = params
        self._index = index
        self._keep_signatures = keep_signatures

    def expand(self, batches):
        sign = _SignFn(self._params, self._keep_signatures)
        return batches | "Sign" >> beam.ParDo(sign, beam.pvalue.AsSingleton(self._index)).with_outputs(
            PASSAGE, DOCUMENT, main="batches"
        )
