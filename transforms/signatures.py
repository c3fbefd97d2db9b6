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
        with self.stats.timed():
            shingled_docs = [shingle_document(doc.text, params.ngram, params.min_words) for doc in batch.docs]
            rows_per_doc = [self._hasher.signatures(d.shingles, d.lo, d.hi) for d in shingled_docs]
            outputs = []
            for start in range(0, len(batch.docs), ENTRY_DOCS):
                # One block of entries per ENTRY_DOCS documents (refs are block-local).
                block = range(start, min(start + ENTRY_DOCS, len(batch.docs)))
                outputs += self._entries(batch.first_rank + start, [shingled_docs[k] for k in block], [rows_per_doc[k] for k in block], index.shards)
        self.stats.count("documents", len(batch.docs))
        self.stats.count("passages", sum(len(d.passages) for d in shingled_docs))
        for level, shard, entry in outputs:
            yield beam.pvalue.TaggedOutput(level, (shard, entry))
        yield RankedBatch(batch.partition, batch.first_rank, batch.docs, shingled_docs)

    def _entries(self, base: int, shingled_docs, rows_per_doc, shards: int) -> list:
        params = self._params
        signatures, locals_, doc_signatures, doc_locals = [], [], [], []
        for offset, (doc, rows) in enumerate(zip(shingled_docs, rows_per_doc)):
            eligible = np.flatnonzero(doc.words >= params.min_words)
            eligible = eligible[eligible < ENTRY_PASSAGES]
            signatures.append(rows[eligible])
            locals_.append(local_ref(np.full(eligible.size, offset), eligible))
            sentences = (doc.passages[:, 2] == _SENTENCE) & (doc.hi > doc.lo)
            if sentences.any():
                doc_signatures.append(rows[sentences].min(axis=0))  # the MinHash of the union
                doc_locals.append(local_ref(offset, 0))
        out = []
        local = np.concatenate(locals_) if locals_ else np.zeros(0, dtype=np.uint32)
        if local.size:
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
