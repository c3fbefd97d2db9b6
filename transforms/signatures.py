"""Stage 4, segment and sign: passages, MinHash signatures and LSH band keys.

One element per range partition carries all its documents, so the per-element cost of
the runner is paid once per partition, not once per passage.  For each document the
stage segments the text into passages, computes one signature per passage in a single
numpy pass, derives the document's signature as the minimum over its sentences (the
MinHash of a union), and emits band keys in compact per-shard arrays.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.candidates import ENTRY_DOCS, ENTRY_PASSAGES, local_ref, shard_entries
from cleanwire.dedup.shingling import KIND_CODES, shingle_document
from cleanwire.minhash.signatures import MinHasher, band_hashes
from cleanwire.model import PartitionIndex, RankedBatch
from cleanwire.params import DedupParams
from transforms.stats import StageStats

__all__ = ["DOCUMENT", "PASSAGE", "SignPassages"]

PASSAGE, DOCUMENT = "passage", "document"
_SENTENCE = KIND_CODES["sentence"]


class _SignFn(beam.DoFn):
    def __init__(self, params: DedupParams) -> None:
        self._params = params

    def setup(self) -> None:
        self.stats = StageStats("sign")
        self._hasher = MinHasher(self._params.num_perm, self._params.seed, self._params.signature_width)

    def process(self, batch: RankedBatch, index: PartitionIndex):
        params = self._params
        shingled_docs, outputs = [], []
        signatures, locals_, doc_signatures, doc_locals = [], [], [], []
        with self.stats.timed():
            for k, doc in enumerate(batch.docs):
                shingled = shingle_document(doc.text, params.ngram, params.min_words)
                shingled_docs.append(shingled)
                rows = self._hasher.signatures(shingled.shingles, shingled.lo, shingled.hi)
                eligible = np.flatnonzero(shingled.words >= params.min_words)
                eligible = eligible[eligible < ENTRY_PASSAGES]
                offset = k % ENTRY_DOCS
                signatures.append(rows[eligible])
                locals_.append(local_ref(np.full(eligible.size, offset), eligible))
                sentences = (shingled.passages[:, 2] == _SENTENCE) & (shingled.hi > shingled.lo)
                if sentences.any():
                    doc_signatures.append(rows[sentences].min(axis=0))
                    doc_locals.append(local_ref(offset, 0))
                if (k + 1) % ENTRY_DOCS == 0 or k + 1 == len(batch.docs):
                    # One block of entries per ENTRY_DOCS documents (refs are block-local).
                    base = batch.first_rank + k - offset
                    outputs += self._entries(base, signatures, locals_, doc_signatures, doc_locals, index.shards)
                    signatures, locals_, doc_signatures, doc_locals = [], [], [], []
        self.stats.count("documents", len(batch.docs))
        self.stats.count("passages", sum(len(d.passages) for d in shingled_docs))
        for level, shard, entry in outputs:
            yield beam.pvalue.TaggedOutput(level, (shard, entry))
        yield RankedBatch(batch.partition, batch.first_rank, batch.docs, shingled_docs)

    def _entries(self, base, signatures, locals_, doc_signatures, doc_locals, shards):
        params = self._params
        out = []
        if signatures:
            local = np.concatenate(locals_)
            self.stats.count("matchable_passages", local.size)
            bands = band_hashes(np.concatenate(signatures), *params.passage_bands)
            out += [(PASSAGE, shard, (base, keys, refs)) for shard, keys, refs in shard_entries(bands, local, shards)]
        if doc_signatures:
            bands = band_hashes(np.stack(doc_signatures), *params.doc_bands)
            entries = shard_entries(bands, np.array(doc_locals, dtype=np.uint32), shards)
            out += [(DOCUMENT, shard, (base, keys, refs)) for shard, keys, refs in entries]
        return out


class SignPassages(beam.PTransform):
    """``RankedBatch`` -> the same batch with its passages and shingles, plus LSH entries.

    Returns a tagged result: ``batches`` (``RankedBatch`` with ``shingled`` filled) and,
    per level (``passage``, ``document``), ``(shard, (base_rank, keys, local_refs))``
    elements (see ``cleanwire.dedup.candidates.shard_entries``)."""

    def __init__(self, params: DedupParams, index) -> None:
        super().__init__()
        self._params = params
        self._index = index

    def expand(self, batches):
        return batches | "Sign" >> beam.ParDo(_SignFn(self._params), beam.pvalue.AsSingleton(self._index)).with_outputs(
            PASSAGE, DOCUMENT, main="batches"
        )
