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

from cleanwire.dedup.candidates import shard_entries
from cleanwire.dedup.refs import MAX_PASSAGES, make_ref
from cleanwire.dedup.shingling import KIND_CODES, shingle_document
from cleanwire.minhash.signatures import MinHasher, band_hashes
from cleanwire.model import RankedBatch
from cleanwire.params import DedupParams
from transforms.stats import StageStats

__all__ = ["DOCUMENT", "PASSAGE", "SignPassages"]

PASSAGE, DOCUMENT = "passage", "document"
_SENTENCE = KIND_CODES["sentence"]


class _SignFn(beam.DoFn):
    def __init__(self, params: DedupParams, shards: int) -> None:
        self._params = params
        self._shards = shards

    def setup(self) -> None:
        self.stats = StageStats("sign")
        self._hasher = MinHasher(self._params.num_perm, self._params.seed, self._params.signature_width)

    def process(self, batch: RankedBatch):
        params = self._params
        passages, signatures, refs, doc_signatures, doc_refs = [], [], [], [], []
        with self.stats.timed():
            for k, doc in enumerate(batch.docs):
                rank = batch.first_rank + k
                shingled = shingle_document(doc.text, params.ngram, params.min_words)
                passages.append(shingled.passages)
                rows = self._hasher.signatures(shingled.shingles, shingled.lo, shingled.hi)
                eligible = np.flatnonzero(shingled.words >= params.min_words)
                eligible = eligible[eligible < MAX_PASSAGES]
                signatures.append(rows[eligible])
                refs.append(make_ref(rank, eligible))
                sentences = (shingled.passages[:, 2] == _SENTENCE) & (shingled.hi > shingled.lo)
                if sentences.any():
                    doc_signatures.append(rows[sentences].min(axis=0))
                    doc_refs.append(make_ref(rank, 0))
            outputs = []
            if refs:
                all_refs = np.concatenate(refs)
                bands = band_hashes(np.concatenate(signatures), *params.passage_bands)
                outputs += [(PASSAGE, entry) for entry in shard_entries(bands, all_refs, self._shards)]
                self.stats.count("passages", sum(len(p) for p in passages))
                self.stats.count("matchable_passages", len(all_refs))
            if doc_refs:
                bands = band_hashes(np.stack(doc_signatures), *params.doc_bands)
                outputs += [(DOCUMENT, entry) for entry in shard_entries(bands, np.array(doc_refs, dtype=np.uint64), self._shards)]
        self.stats.count("documents", len(batch.docs))
        for level, (shard, keys, entry_refs) in outputs:
            yield beam.pvalue.TaggedOutput(level, (shard, (keys, entry_refs)))
        yield RankedBatch(batch.partition, batch.first_rank, batch.docs, passages)


class SignPassages(beam.PTransform):
    """``RankedBatch`` -> the same batch with its passages, plus LSH entries.

    Returns a tagged result: ``batches`` (``RankedBatch`` with ``passages`` filled) and,
    per level (``passage``, ``document``), ``(shard, (keys, refs))`` elements."""

    def __init__(self, params: DedupParams, shards: int) -> None:
        super().__init__()
        self._params = params
        self._shards = shards

    def expand(self, batches):
        return batches | "Sign" >> beam.ParDo(_SignFn(self._params, self._shards)).with_outputs(
            PASSAGE, DOCUMENT, main="batches"
        )
