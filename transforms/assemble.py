"""Stage 8, assemble: join cluster assignments back to the documents and build rows.

Per partition, the documents meet the assignments routed to them (passage members and
roots, document duplicates); the stage builds the ``documents`` and ``passages`` rows,
including ``duplicate_of`` and ``unique_text``, as Arrow batches addressed to their
output file.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from cleanwire.dedup.arrays import split_by_key
from cleanwire.dedup.refs import doc_rank, make_ref
from cleanwire.dedup.shingling import KIND_NAMES
from cleanwire.model import RankedBatch
from cleanwire.text.edit import without_spans
from transforms.cluster import MEMBER, ROOT
from transforms.signatures import DOCUMENT, PASSAGE
from transforms.stats import StageStats
from transforms.verify import Links
from transforms.write import file_block, table_chunk

__all__ = ["AssembleRecords"]

BATCHES = "batches"


class _Lookup:
    """Assignments of one kind, looked up by ref."""

    def __init__(self, chunks: list[Links], ref_of) -> None:
        if chunks:
            refs = np.concatenate([ref_of(c) for c in chunks])
            order = np.argsort(refs, kind="stable")
            self.refs = refs[order]
            self.label = np.concatenate([c.label for c in chunks])[order]
            self.similarity = np.concatenate([c.similarity for c in chunks])[order]
            self.link = np.concatenate([c.link for c in chunks])[order]
        else:
            self.refs = np.zeros(0, dtype=np.uint64)

    def find(self, refs: np.ndarray) -> np.ndarray:
        """Position of each ref in this lookup, or -1."""
        if self.refs.size == 0:
            return np.full(refs.size, -1)
        pos = np.minimum(np.searchsorted(self.refs, refs), self.refs.size - 1)
        return np.where(self.refs[pos] == refs, pos, -1)


def _assignments(tagged, level: str) -> tuple[_Lookup, _Lookup]:
    members = [links for kind, links in tagged if kind == MEMBER and links.level == level]
    roots = [links for kind, links in tagged if kind == ROOT and links.level == level]
    return _Lookup(members, lambda c: c.v), _Lookup(roots, lambda c: c.u)


class _AssembleFn(beam.DoFn):
    def __init__(self, rows_per_file: int) -> None:
        self._rows_per_file = rows_per_file

    def setup(self) -> None:
        self.stats = StageStats("assemble")

    def process(self, element):
        _partition, grouped = element
        batches = list(grouped[BATCHES])
        if not batches:
            return
        tagged = list(grouped[PASSAGE]) + list(grouped[DOCUMENT])
        with self.stats.timed():
            outputs = self._rows(batches[0], tagged)
        yield from outputs

    def _rows(self, batch: RankedBatch, tagged) -> list:
        passage_members, passage_roots = _assignments(tagged, PASSAGE)
        doc_members, _ = _assignments(tagged, DOCUMENT)
        ranks = batch.first_rank + np.arange(len(batch.docs))
        doc_hit = doc_members.find(make_ref(ranks, 0))
        documents = {name: [] for name in (
            "doc_id", "uri", "source", "format", "url", "title", "published", "text", "boilerplate",
            "duplicate_of", "duplicate_similarity", "unique_text", "canonical_rank", "raw_chars", "passages")}
        passages = {name: [] for name in (
            "doc_id", "passage_idx", "kind", "sentence_idx", "text", "start", "end",
            "cluster_id", "is_canonical", "similarity", "link")}
        passage_order = []
        for k, doc in enumerate(batch.docs):
            spans = batch.passages[k]
            refs = make_ref(ranks[k], np.arange(len(spans)))
            member = passage_members.find(refs)
            root = passage_roots.find(refs)
            is_member = member >= 0
            duplicated = [(int(s), int(e)) for s, e in spans[is_member, :2]]
            hit = doc_hit[k]
            for name, value in (
                ("doc_id", doc.doc_id), ("uri", doc.uri), ("source", doc.source), ("format", doc.format),
                ("url", doc.url), ("title", doc.title), ("published", doc.published), ("text", doc.text),
                ("boilerplate", doc.boilerplate),
                ("duplicate_of", doc_members.label[hit] if hit >= 0 else None),
                ("duplicate_similarity", float(doc_members.similarity[hit]) if hit >= 0 else None),
                ("unique_text", without_spans(doc.text, duplicated)),
                ("canonical_rank", int(ranks[k])), ("raw_chars", doc.raw_chars), ("passages", len(spans)),
            ):
                documents[name].append(value)
            text = doc.text
            passages["doc_id"].extend([doc.doc_id] * len(spans))
            passages["passage_idx"].extend(range(len(spans)))
            passages["kind"].extend(KIND_NAMES[c] for c in spans[:, 2])
            passages["sentence_idx"].extend(spans[:, 3].tolist())
            passages["text"].extend(text[s:e] for s, e in spans[:, :2].tolist())
            passages["start"].extend(spans[:, 0].tolist())
            passages["end"].extend(spans[:, 1].tolist())
            for m, r in zip(member.tolist(), root.tolist()):
                if m >= 0:
                    passages["cluster_id"].append(passage_members.label[m])
                    passages["similarity"].append(float(passage_members.similarity[m]))
                    passages["link"].append(passage_members.link[m])
                elif r >= 0:
                    passages["cluster_id"].append(passage_roots.label[r])
                    passages["similarity"].append(1.0)
                    passages["link"].append(None)
                else:
                    passages["cluster_id"].append(None)
                    passages["similarity"].append(None)
                    passages["link"].append(None)
            passages["is_canonical"].extend((~is_member).tolist())
            passage_order.append(refs)
            self.stats.count("duplicate_passages", int(is_member.sum()))
            self.stats.count("duplicate_documents", int(hit >= 0))
        self.stats.count("documents", len(batch.docs))
        outputs = []
        passage_refs = np.concatenate(passage_order) if passage_order else np.zeros(0, dtype=np.uint64)
        doc_blocks = file_block(ranks, self._rows_per_file)
        passage_blocks = file_block(doc_rank(passage_refs), self._rows_per_file)
        for block, rows in split_by_key(doc_blocks):
            columns = {name: [values[r] for r in rows] for name, values in documents.items()}
            outputs.append((("documents", int(block)), table_chunk("documents", columns, ranks[rows])))
        for block, rows in split_by_key(passage_blocks):
            columns = {name: [values[r] for r in rows] for name, values in passages.items()}
            outputs.append((("passages", int(block)), table_chunk("passages", columns, passage_refs[rows])))
        return outputs


class AssembleRecords(beam.PTransform):
    """Join batches with their assignments; output ``((table, block), record batch)``
    chunks for ``documents`` and ``passages``.

    Input: ``{"batches": (partition, RankedBatch), "passage": (partition, (kind, Links)),
    "document": (partition, (kind, Links))}``."""

    def __init__(self, rows_per_file: int) -> None:
        super().__init__()
        self._rows_per_file = rows_per_file

    def expand(self, inputs):
        return inputs | "Join" >> beam.CoGroupByKey() | "Rows" >> beam.ParDo(_AssembleFn(self._rows_per_file))
