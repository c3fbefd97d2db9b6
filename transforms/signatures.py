"""Stage 4, segment and sign: passages, MinHash signatures and LSH band keys.

One element per range partition carries all its documents, so the per-element cost of
the runner is paid once per partition, not once per passage.  The stage segments each
document into passages and shingles them, computes the signatures of all its passages
in one numpy pass, and derives the document's signature as the minimum over its
sentences (the MinHash of a union).  It emits the documents' band keys in compact
per-shard arrays, and for passages a hash of each one's shingle sequence, from which
``transforms.copies`` finds exact copies before the passages' band keys are made.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.arrays import hash_shard, split_by_key
from cleanwire.dedup.candidates import MatchableSignatures, document_entries, matchable_signatures
from cleanwire.dedup.copies import sentence_members, sequence_hashes
from cleanwire.dedup.refs import make_ref
from cleanwire.dedup.shingling import DocumentShingles, concat_shingles, shingle_document
from cleanwire.minhash.signatures import MinHasher
from cleanwire.model import PartitionIndex, RankedBatch
from cleanwire.params import DedupParams
from transforms.stats import StageStats

__all__ = ["COPIES", "COPY", "DOCUMENT", "PASSAGE", "SIBLING", "SignPassages", "copy_hashes"]

PASSAGE, DOCUMENT = "passage", "document"
COPY = "copy"  # candidate pairs of a passage and its exact copy (see transforms.copies)
SIBLING = "sibling"  # candidate pairs of that passage and another passage of its sentence
COPIES = "copies"  # the sign stage's output of passage sequence hashes


def copy_hashes(first_rank: int, shingled: list[DocumentShingles], signed: list[MatchableSignatures], shards: int):
    """``(shard, (hashes, refs, first, members))`` for the matchable passages (with
    shingles) of consecutive documents from rank ``first_rank``: each passage's
    ``sequence_hashes`` value, sharded by it, and its sentence (see
    ``cleanwire.dedup.copies.sentence_members``)."""
    rows = [s.eligible[d.hi[s.eligible] > d.lo[s.eligible]] for d, s in zip(shingled, signed)]
    if not sum(r.size for r in rows):
        return []
    all_shingles, all_lo, all_hi, passage_base = concat_shingles(shingled)
    selected = np.concatenate([r + base for r, base in zip(rows, passage_base)])
    hashes = sequence_hashes(all_shingles, all_lo[selected], all_hi[selected])
    refs = np.concatenate([make_ref(first_rank + offset, r) for offset, r in enumerate(rows)])
    # All documents' sentences at once: a sentence's key is its document's offset, then its number.
    keys = np.concatenate([(offset << 32) + d.passages[:, 3] for offset, d in enumerate(shingled)])
    matchable = np.zeros(keys.size, dtype=bool)
    matchable[selected] = True
    first, members = sentence_members(keys, matchable)
    own_base = np.repeat(passage_base[:-1], [r.size for r in rows])
    first, members = (first[selected] - own_base).astype(np.uint32), members[selected]
    return [(shard, (hashes[k], refs[k], first[k], members[k])) for shard, k in split_by_key(hash_shard(hashes, shards))]


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
            signed = [
                matchable_signatures(d, self._hasher.signatures(d.shingles, d.lo, d.hi), params.min_words)
                for d in shingled_docs
            ]
            copies = copy_hashes(batch.first_rank, shingled_docs, signed, index.shards)
            documents = document_entries(batch.first_rank, signed, params.doc_bands, index.shards)
        self.stats.count("documents", len(batch.docs))
        self.stats.count("passages", sum(len(d.passages) for d in shingled_docs))
        self.stats.count("matchable_passages", sum(s.eligible.size for s in signed))
        for tag, elements in ((COPIES, copies), (DOCUMENT, documents)):
            for element in elements:
                yield beam.pvalue.TaggedOutput(tag, element)
        yield RankedBatch(batch.partition, batch.first_rank, batch.docs, shingled_docs, signed)


class SignPassages(beam.PTransform):
    """``RankedBatch`` -> the same batch with its passages, shingles and signatures, plus
    what matching starts from.

    Returns a tagged result: ``batches`` (``RankedBatch`` with ``shingled`` and
    ``signed`` filled: the stage files keep them for the passages' LSH entries and the
    history), ``copies`` (``(shard, (hashes, refs, first, members))``, see ``copy_hashes``) and
    ``document``: ``(shard, (base_rank, keys, local_refs))`` LSH entries of the
    documents (see ``cleanwire.dedup.candidates.shard_entries``)."""

    def __init__(self, params: DedupParams, index) -> None:
        super().__init__()
        self._params = params
        self._index = index

    def expand(self, batches):
        sign = _SignFn(self._params)
        return batches | "Sign" >> beam.ParDo(sign, beam.pvalue.AsSingleton(self._index)).with_outputs(
            COPIES, DOCUMENT, main="batches"
        )
