"""Each Beam stage on real inputs, with TestPipeline and assert_that."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from cleanwire.dedup.candidates import global_refs, local_ref
from cleanwire.dedup.refs import make_ref
from cleanwire.dedup.shingling import shingle_document
from cleanwire.model import CleanDocument, PartitionIndex, RankedBatch, RawDocument, cluster_id_for
from cleanwire.params import DedupParams
from transforms.assemble import AssembleRecords
from transforms.clean import CleanDocuments
from transforms.cluster import MEMBER, ROOT, ClusterLinks
from transforms.lsh import FindCandidates
from transforms.rank import RankDocuments
from transforms.read import InputSpec, ReadInputs, source_for
from transforms.copies import ALIASES, CANDIDATES, FindExactCopies, PassageEntries
from transforms.signatures import COPIES, COPY, DOCUMENT, PASSAGE, SIBLING, SignPassages
from transforms.staging import StagePartitions
from cleanwire.dedup.links import Links
from transforms.verify import VerifyCandidates
from transforms.write import WriteTables, table_chunk

PROSE = [
    "The committee approved the new budget for the regional hospital after a long debate on Tuesday.",
    "Opposition members said the plan would leave rural clinics without enough nurses next winter.",
    "The health minister promised to review staffing levels before the end of the year.",
    "Local doctors welcomed the extra money but warned that waiting lists were still growing fast.",
]


def _doc(uri, text, published=None, doc_id=None):
    return CleanDocument(
        doc_id=doc_id or uri, uri=uri, source="test", format="text", text=text, boilerplate=[], published=published
    )


def test_source_for():
    assert source_for("/data/crawl/bbc.co.uk/2024/a.txt", "/data/crawl") == "bbc.co.uk"
    assert source_for("/data/seeds/000_dc38.txt", "/data/seeds") == "000_dc38"
    # Compressing a feed does not change its source.
    assert source_for("/data/feeds/big.jsonl.gz", "/data/feeds") == source_for("/data/feeds/big.jsonl", "/data/feeds") == "big"


def test_read_inputs(tmp_path: Path):
    (tmp_path / "site").mkdir()
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "site" / "b.html").write_text("<p>beta</p>")
    (tmp_path / "notes.md").write_text("not an input")
    specs = [InputSpec(str(tmp_path / "**"), str(tmp_path)), InputSpec(str(tmp_path / "a.txt"), str(tmp_path))]
    with TestPipeline() as p:
        result = p | ReadInputs(specs)
        docs = result.documents | beam.Map(lambda d: (Path(d.uri).name, d.source, d.format, d.content))
        errors = result.errors | beam.Map(lambda e: (Path(e.uri).name, e.stage, e.error_class))
        assert_that(docs, equal_to([("a.txt", "a", "text", b"alpha"), ("b.html", "site", "html", b"<p>beta</p>")]), label="docs")
        assert_that(errors, equal_to([("notes.md", "read", "UnsupportedFormat")]), label="errors")


def test_clean_documents(seed_paths):
    raws = [
        RawDocument(str(seed_paths[1]), "002", "text", seed_paths[1].read_bytes()),
        RawDocument("/in/empty.txt", "x", "text", b"  \n "),
        RawDocument("/in/chrome.txt", "x", "text", b"Log in\nSign up\nPrivacy policy"),
        RawDocument("/in/binary.txt", "x", "text", b"\x00\x01\x02binary"),
    ]
    with TestPipeline() as p:
        result = p | beam.Create(raws) | CleanDocuments()
        docs = result.documents | beam.Map(
            lambda d: (d.extraction.title, d.extraction.published, d.extraction.text.startswith("Damascus - "))
        )
        errors = result.errors | beam.Map(lambda e: (e.uri, e.error_class))
        assert_that(docs, equal_to([(
            "ISIS seizes Iraq-Syria border post, consolidating 'caliphate'",
            datetime(2015, 5, 22, 15, 26, tzinfo=timezone.utc), True)]), label="docs")
        assert_that(errors, equal_to([
            ("/in/empty.txt", "EmptyDocument"), ("/in/chrome.txt", "NoArticleText"), ("/in/binary.txt", "DecodeError"),
        ]), label="errors")


def test_rank_documents_gives_exact_canonical_ranks():
    day = datetime(2024, 1, 1, tzinfo=timezone.utc)
    docs = [_doc(f"/in/u{i:03d}.txt", "text", published=day.replace(day=1 + i % 28) if i % 3 else None) for i in range(60)]
    # Canonical order (README), written out: dated documents first, earliest first, the
    # same day by uri (u028 and u056 are both on the 1st); then the undated ones by uri.
    dated = sorted((i for i in range(60) if i % 3), key=lambda i: (1 + i % 28, f"/in/u{i:03d}.txt"))
    undated = [i for i in range(60) if i % 3 == 0]
    assert dated[:4] == [28, 56, 1, 29] and undated[:2] == [0, 3]
    expected = [docs[i] for i in dated + undated]
    with TestPipeline() as p:
        batches, index = p | beam.Create(docs) | RankDocuments(partition_size=9, max_partitions=16)
        ranked = batches | beam.FlatMap(lambda b: [(b.first_rank + k, d.uri) for k, d in enumerate(b.docs)])
        assert_that(ranked, equal_to([(rank, d.uri) for rank, d in enumerate(expected)]), label="ranks")
        assert_that(index | beam.Map(lambda i: (i.total, i.shards)), equal_to([(60, 7)]), label="index")
        assert_that(batches | beam.combiners.Count.Globally(), equal_to([7]), label="partitions")


@pytest.mark.parametrize("order", ["given", "reversed"])
def test_partition_boundaries_come_from_the_documents_with_the_smallest_ids_whatever_their_order(order):
    import bisect

    from cleanwire.model import doc_id_for

    docs = [_doc(f"/in/u{i:03d}.txt", "text", doc_id=doc_id_for(f"/in/u{i:03d}.txt", b"%d" % i)) for i in range(300)]
    sample = sorted(sorted(docs, key=lambda d: d.doc_id)[:32], key=lambda d: d.order_key())
    # The README's rule: evenly spaced keys of the sorted sample, one partition per 30 documents.
    boundaries = [sample[k * 32 // 10].order_key() for k in range(1, 10)]
    expected = sorted((bisect.bisect_right(boundaries, d.order_key()), d.uri) for d in docs)
    with TestPipeline() as p:
        batches, _ = (p | beam.Create(docs if order == "given" else docs[::-1])
                      | RankDocuments(partition_size=30, max_partitions=16, sample_size=32))
        assert_that(batches | beam.FlatMap(lambda b: [(b.partition, d.uri) for d in b.docs]), equal_to(expected))


def _batch(texts, first_rank=0, partition=0, segmented=False):
    docs = [_doc(f"/in/{first_rank + k}.txt", t, doc_id=f"d{first_rank + k}") for k, t in enumerate(texts)]
    shingled = [shingle_document(t, 3, 5) for t in texts] if segmented else []
    return RankedBatch(partition, first_rank, docs, shingled)


def test_sign_passages_fills_passages_and_emits_copy_hashes_and_document_keys():
    params = DedupParams()
    text = " ".join(PROSE)
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([PartitionIndex((0,), (0,), 2, 4)])
        signed = p | beam.Create([_batch([text, "Short."])]) | SignPassages(params, idx)
        assert_that(signed.batches | beam.Map(lambda b: [len(x.passages) for x in b.shingled]), equal_to([[4, 1]]), label="passages")
        assert_that(signed.batches | beam.Map(lambda b: [s.passages.shape for s in b.signed]),
                    equal_to([[(4, params.signature_width), (0, params.signature_width)]]), label="signatures kept")
        hashed = signed[COPIES] | "Refs" >> beam.FlatMap(lambda e: e[1][1].tolist())
        # four matchable sentences (the one-word document is too short), one hash each
        assert_that(hashed, equal_to([int(make_ref(0, k)) for k in range(4)]), label="copy hashes")
        doc_entries = signed[DOCUMENT] | "DocSizes" >> beam.Map(lambda e: len(e[1][1])) | "SumDocs" >> beam.CombineGlobally(sum)
        assert_that(doc_entries, equal_to([params.doc_bands[0]]), label="doc entries")


def test_exact_copies_are_paired_with_their_representative_and_left_out_of_lsh(tmp_path: Path):
    params = DedupParams()
    quote = '"Nobody in this town should wait a whole year for a routine operation," she said.'
    texts = [
        " ".join(PROSE),  # rank 0: the representative of PROSE[1] (sentence 1, alone in its sentence)
        PROSE[1] + " Something entirely different was discussed by the council members today.",  # rank 1: a copy
        "A new closing sentence about the council and its plans today. " + PROSE[1],  # rank 2: another copy
        quote + " " + quote.replace("she", "he"),  # rank 3: a quote repeated in one document
        "The mayor added: " + quote,  # rank 4: the quote again
    ]
    index = PartitionIndex((0, 1), (0, 3), 5, 4)
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        signed = p | beam.Create([_batch(texts[:3]), _batch(texts[3:], first_rank=3, partition=1)]) | SignPassages(params, idx)
        staged = signed.batches | StagePartitions(str(tmp_path))
        copies = signed[COPIES] | FindExactCopies(idx)
        entries = {"staged": staged, "aliases": copies[ALIASES]} | PassageEntries(params, str(tmp_path), idx)
        pairs = copies[CANDIDATES] | "Pairs" >> beam.FlatMap(
            lambda kv: [(kv[0], kv[1][0], u, v) for u, v in zip(kv[1][1].tolist(), kv[1][2].tolist())])
        sentence, quote = int(make_ref(0, 1)), int(make_ref(3, 1))
        # The quote's first copy (rank 3, passage 1) represents its copy at rank 4 and is
        # compared with its own sentence (passage 0); its copy in the same document stays.
        assert_that(pairs, equal_to([
            (0, COPY, sentence, int(make_ref(1, 0))), (0, COPY, sentence, int(make_ref(2, 1))),
            (1, COPY, quote, int(make_ref(4, 1))), (1, SIBLING, int(make_ref(3, 0)), quote),
        ]), label="copy pairs")
        entered = entries | "Refs" >> beam.FlatMap(lambda e: global_refs(e[1][0], e[1][2]).tolist()) | beam.Distinct()
        left_out = {int(make_ref(1, 0)), int(make_ref(2, 1)), int(make_ref(4, 1))}
        assert_that(entered | "Left out" >> beam.Filter(lambda r: r in left_out), equal_to([]), label="aliases left out")
        matchable = {
            int(make_ref(rank, k)) for rank, text in enumerate(texts)
            for k in np.flatnonzero(shingle_document(text, params.ngram, params.min_words).words >= params.min_words)
        }
        assert left_out < matchable and len(matchable) > 10
        assert_that(entered, equal_to(sorted(matchable - left_out)), label="entries")


def test_find_candidates_counts_hits_across_shards_and_routes_to_the_later_items_partition():
    index = PartitionIndex((0, 1), (0, 5), 10, 4)
    a, b, c = int(make_ref(1, 0)), int(make_ref(7, 2)), int(make_ref(8, 0))
    # a and b share keys 9 (shard 0) and 5 (shard 1); a and c share only key 9.
    entries = [
        (0, (0, np.array([9], dtype=np.uint32), local_ref([1], [0]))),
        (0, (5, np.array([9, 9], dtype=np.uint32), local_ref([2, 3], [2, 0]))),
        (1, (0, np.array([5], dtype=np.uint32), local_ref([1], [0]))),
        (1, (5, np.array([5], dtype=np.uint32), local_ref([2], [2]))),
    ]
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        found = p | beam.Create(entries) | FindCandidates(PASSAGE, 16, 2, idx)
        flat = found | beam.Map(lambda kv: (kv[0], kv[1][0], kv[1][1].tolist(), kv[1][2].tolist()))
        # b (rank 7) is in partition 1, which reads b's side and sends it to a's partition.
        assert_that(flat, equal_to([(1, PASSAGE, [a], [b])]))


def test_verify_candidates_links_reused_sentences_only(tmp_path: Path):
    params = DedupParams()
    first = " ".join(PROSE)
    second = PROSE[1] + " Something entirely different was discussed by the council members today."
    batch = _batch([first, second], segmented=True)
    index = PartitionIndex((0,), (0,), 2, 4)
    a = int(make_ref(0, 1))  # sentence 1 of the first document
    b = int(make_ref(1, 0))  # the same sentence, first in the second document
    c = int(make_ref(1, 1))
    requests = [(0, (PASSAGE, np.array([a, a], dtype=np.uint64), np.array([b, c], dtype=np.uint64)))]
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        staged = p | "Batches" >> beam.Create([batch]) | StagePartitions(str(tmp_path))
        links = p | "Requests" >> beam.Create(requests) | VerifyCandidates(params, str(tmp_path), idx, staged)
        links = links | beam.FlatMap(lambda l: zip(l.u.tolist(), l.v.tolist(), l.similarity.tolist()))
        assert_that(links, equal_to([(a, b, 1.0)]), label="links")
    pairs = pq.read_table(tmp_path / "pairs").to_pylist()
    assert [(r["level"], r["passage_idx_a"], r["passage_idx_b"], r["jaccard"]) for r in pairs] == [(PASSAGE, 1, 0, 1.0)]


def test_verify_candidates_marks_exact_copies_and_siblings_and_lists_copies_as_passage_pairs(tmp_path: Path):
    first = " ".join(PROSE)
    second = PROSE[1] + " Something entirely different was discussed by the council members today."
    third = PROSE[1][:-1] + " and the rest of the year."
    fourth = '"' + PROSE[1][:-1] + '," a nurse told the meeting.'  # a sentence (0) and its quote (1)
    index = PartitionIndex((0,), (0,), 4, 4)
    a, b, c = int(make_ref(0, 1)), int(make_ref(1, 0)), int(make_ref(2, 0))
    sentence, quote = int(make_ref(3, 0)), int(make_ref(3, 1))
    requests = [(0, (COPY, np.array([a], dtype=np.uint64), np.array([b], dtype=np.uint64))),
                (0, (PASSAGE, np.array([a], dtype=np.uint64), np.array([c], dtype=np.uint64))),
                (0, (SIBLING, np.array([sentence], dtype=np.uint64), np.array([quote], dtype=np.uint64)))]
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        staged = p | "Batches" >> beam.Create([_batch([first, second, third, fourth], segmented=True)]) | StagePartitions(str(tmp_path))
        links = p | "Requests" >> beam.Create(requests) | VerifyCandidates(DedupParams(), str(tmp_path), idx, staged)
        flat = links | beam.FlatMap(lambda l: [
            (l.level, u, v, e, s) for u, v, e, s in zip(l.u.tolist(), l.v.tolist(), l.exact_copy.tolist(), l.sibling.tolist())])
        assert_that(flat, equal_to([
            (PASSAGE, a, b, True, False), (PASSAGE, a, c, False, False), (PASSAGE, sentence, quote, False, True)]))
    # The sentence and its quote share a document: no row of pairs.
    pairs = pq.read_table(tmp_path / "pairs").to_pylist()
    assert [(r["level"], r["passage_idx_b"], r["jaccard"] == 1.0) for r in pairs] == [(PASSAGE, 0, True), (PASSAGE, 0, False)]


def test_verify_candidates_links_a_copy_pair_only_when_its_sets_are_equal(tmp_path: Path):
    # A copy pair is verified by its sets' hashes, not its sets: two passages that only
    # resemble each other (as after a collision of their sequence hashes) are not linked,
    # though as an ordinary candidate pair they are.
    first = " ".join(PROSE)
    third = PROSE[1][:-1] + " and the rest of the year."
    index = PartitionIndex((0,), (0,), 2, 4)
    a, c = int(make_ref(0, 1)), int(make_ref(1, 0))
    requests = [(0, (COPY, np.array([a], dtype=np.uint64), np.array([c], dtype=np.uint64)))]
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        staged = p | "Batches" >> beam.Create([_batch([first, third], segmented=True)]) | StagePartitions(str(tmp_path))
        links = p | "Requests" >> beam.Create(requests) | VerifyCandidates(DedupParams(), str(tmp_path), idx, staged)
        assert_that(links | beam.FlatMap(lambda l: l.v.tolist()), equal_to([]))
    assert not (tmp_path / "pairs").exists() or pq.read_table(tmp_path / "pairs").num_rows == 0


def test_cluster_links_stops_chains():
    a, b, c = (int(x) for x in make_ref(np.array([0, 1, 2]), np.array([0, 0, 0])))
    links = Links(PASSAGE, np.array([a, b], dtype=np.uint64), np.array([b, c], dtype=np.uint64),
                  np.array([0.9, 0.8]), np.array([False, False]), np.array(["A", "B"], dtype="S32"))
    index = PartitionIndex((0,), (0,), 3, 4)
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        assigned = p | beam.Create([links]) | ClusterLinks(PASSAGE, 100, idx)
        flat = assigned | beam.FlatMap(lambda kv: [(kv[1][0], u, v, label) for u, v, label in zip(kv[1][1].u.tolist(), kv[1][1].v.tolist(), kv[1][1].label.astype(str).tolist())])
        # b joins a's cluster; c is linked only to b, which is not a root, so it joins nothing.
        assert_that(flat, equal_to([(MEMBER, a, b, "A"), (ROOT, a, b, "A")]))


def test_cluster_links_give_an_alias_the_earliest_root_its_representative_leads_to():
    ref = lambda rank, idx: int(make_ref(rank, idx))  # noqa: E731
    x, r, s, a = ref(0, 0), ref(1, 3), ref(1, 2), ref(2, 0)
    r2, s2, b, c = ref(3, 1), ref(3, 0), ref(4, 0), ref(5, 0)
    # r (a quote) is linked to the earlier root x, and its sentence s resembles it: r's
    # alias a joins x, the earliest root among x and s.  r2 is a root and its sentence s2
    # (earlier, also a root) resembles it: r2's alias b joins s2.  The sibling link does
    # not make r2 a member, so c still joins r2.
    links = Links(
        PASSAGE, np.array([x, r, s, r2, s2, r2], dtype=np.uint64), np.array([r, a, r, b, r2, c], dtype=np.uint64),
        np.array([0.8, 1.0, 0.7, 1.0, 0.9, 0.95]), np.array([True, False, True, False, False, False]),
        np.array(["X", "R", "R", "R2", "R2", "R2"], dtype="S32"),
        exact_copy=np.array([False, True, False, True, False, False]),
        sibling=np.array([False, False, True, False, True, False]))
    index = PartitionIndex((0,), (0,), 6, 4)
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        assigned = p | beam.Create([links]) | ClusterLinks(PASSAGE, 100, idx)
        members = assigned | beam.Filter(lambda kv: kv[1][0] == MEMBER) | beam.FlatMap(lambda kv: zip(
            kv[1][1].u.tolist(), kv[1][1].v.tolist(), kv[1][1].similarity.tolist(), kv[1][1].by_containment.tolist(),
            kv[1][1].label.astype(str).tolist()))
        assert_that(members, equal_to([
            (x, r, 0.8, True, "X"), (x, a, 0.8, True, "X"), (s2, b, 0.9, False, "R2"), (r2, c, 0.95, False, "R2"),
        ]))


def test_write_tables_writes_sorted_files(tmp_path: Path):
    def chunk(uri, order):
        return ("errors", 0), table_chunk("errors", {"uri": [uri], "stage": ["read"], "error_class": ["X"], "error": ["e"], "input_format": ["text"]}, [order])
    for name in ("errors",):
        (tmp_path / name).mkdir()
    with TestPipeline() as p:
        written = p | beam.Create([chunk("/b", 0), chunk("/a", 0)]) | WriteTables(str(tmp_path))
        assert_that(written | beam.Map(lambda w: (w[0], Path(w[1]).name, w[2])), equal_to([("errors", "part-00000.parquet", 2)]))
    assert pq.read_table(tmp_path / "errors").column("uri").to_pylist() == ["/a", "/b"]


def test_assemble_records_writes_sorted_block_files_with_clusters(tmp_path: Path):
    for name in ("documents", "passages"):
        (tmp_path / name).mkdir()
    texts = [" ".join(PROSE), PROSE[1] + " A new closing sentence about the council and its plans today.", PROSE[3]]
    batch = _batch(texts, segmented=True)
    index = PartitionIndex((0,), (0,), 3, 4)
    u, v = int(make_ref(0, 1)), int(make_ref(1, 0))
    canonical_doc = "0123456789abcdef0123456789abcdef"  # the label is the canonical passage's doc id
    links = Links(PASSAGE, np.array([u], dtype=np.uint64), np.array([v], dtype=np.uint64), np.array([1.0]),
                  np.array([False]), np.array([canonical_doc], dtype="S32"))
    doc_links = Links(DOCUMENT, np.array([int(make_ref(0, 0))], dtype=np.uint64), np.array([int(make_ref(2, 0))], dtype=np.uint64),
                      np.array([0.9]), np.array([False]), np.array(["d0"], dtype="S32"))
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        staged = p | "Batches" >> beam.Create([batch]) | StagePartitions(str(tmp_path))
        written = {
            PASSAGE: p | "Passage" >> beam.Create([(0, (MEMBER, links)), (0, (ROOT, links))]),
            DOCUMENT: p | "Document" >> beam.Create([(1, (MEMBER, doc_links))]),  # block of rank 2
        } | AssembleRecords(str(tmp_path), 2, idx, staged)
        assert_that(written, equal_to([0, 1]))
    documents = pq.read_table(tmp_path / "documents").to_pylist()
    assert [d["canonical_rank"] for d in documents] == [0, 1, 2]
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert documents[2]["duplicate_of"] == "d0" and documents[0]["duplicate_of"] is None
    assert documents[1]["unique_text"] == "A new closing sentence about the council and its plans today."
    passages = {(p["doc_id"], p["passage_idx"]): p for p in pq.read_table(tmp_path / "passages").to_pylist()}
    assert passages[("d0", 1)]["cluster_id"] == passages[("d1", 0)]["cluster_id"] == cluster_id_for(canonical_doc, 1)
    assert (passages[("d1", 0)]["canonical_doc_id"], passages[("d1", 0)]["canonical_passage_idx"]) == (canonical_doc, 1)
    assert passages[("d0", 1)]["canonical_doc_id"] is None
    assert passages[("d0", 1)]["is_canonical"] and not passages[("d1", 0)]["is_canonical"]
    assert passages[("d0", 0)]["cluster_id"] is None


# 8 bits: every id passes the filters, so each document meets the look-up of the
# committed ids itself, which alone must tell the new ones from the committed.
@pytest.mark.parametrize("bits", [1 << 10, 8])
def test_skip_committed_documents_sets_aside_exactly_the_ids_a_history_file_holds(tmp_path, bits):
    import pyarrow as pa

    from cleanwire.model import doc_id_for
    from transforms.history import SkipCommittedDocuments

    raws = [RawDocument(uri=f"/in/{k}.txt", source="in", format="text", content=f"story {k}".encode()) for k in range(6)]
    committed = [doc_id_for(raw.uri, raw.content) for raw in raws[:3]]
    history_file = tmp_path / "part-00000.parquet"
    pq.write_table(pa.table({"doc_id": [*committed, "0" * 32]}), history_file)
    with TestPipeline() as p:
        kept = (p | beam.Create(raws) | SkipCommittedDocuments([(0, str(history_file))], bits=bits)
                | beam.Map(lambda raw: raw.uri))
        assert_that(kept, equal_to([raw.uri for raw in raws[3:]]))


def test_local_matches_name_every_entry_that_cannot_be_read_as_a_file(tmp_path, monkeypatch):
    import os

    from transforms.read import BAD_NAME, BROKEN_LINK, NOT_A_FILE, UNLISTABLE, local_matches

    (tmp_path / "site" / "2026").mkdir(parents=True)
    (tmp_path / "site" / "kept.txt").write_text("a page")
    (tmp_path / "site" / ".hidden.txt").write_text("read like any page")
    (tmp_path / "site" / "page[1].txt").write_text("brackets")
    (tmp_path / "site" / "2026" / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere-either.txt")
    (tmp_path / "fine.txt").symlink_to(tmp_path / "site" / "kept.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "locked").mkdir()
    (tmp_path / "site" / "self").symlink_to(".")  # links to directories are never followed: no loops
    (tmp_path / "site" / "up").symlink_to("..")
    os.symlink(b"tgt\xfe", os.path.join(os.fsencode(tmp_path), b"odd-target.txt"))  # dangling, to a non-UTF-8 name
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt"), "w") as handle:
        handle.write("Latin-1 name")
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: (_ for _ in ()).throw(PermissionError(13, "denied"))
                        if str(path).endswith("locked") else real_scandir(path))
    root = str(tmp_path)
    walked = dict(local_matches(InputSpec(f"{root}/**", root, literal=True)))
    assert walked == {
        f"{root}/site/kept.txt": 6, f"{root}/site/.hidden.txt": 18, f"{root}/site/page[1].txt": 8, f"{root}/fine.txt": 6,
        f"{root}/site/2026/gone.txt": BROKEN_LINK, f"{root}/gone.txt": BROKEN_LINK, f"{root}/pipe.txt": NOT_A_FILE,
        f"{root}/locked": UNLISTABLE, f"{root}/caf\\xe9.txt": BAD_NAME, f"{root}/odd-target.txt": BROKEN_LINK,
    }
    # A ** glob is matched against the same walk; a glob without ** matches one level.
    assert dict(local_matches(InputSpec(f"{root}/**/*.txt", root))) == {
        path: size for path, size in walked.items() if path.endswith(".txt")}
    # A matched directory is walked (as when the shell expands the glob); links to
    # directories (site/self, site/up) are not followed.
    assert dict(local_matches(InputSpec(f"{root}/site/*", root))) == {
        f"{root}/site/kept.txt": 6, f"{root}/site/.hidden.txt": 18, f"{root}/site/page[1].txt": 8,
        f"{root}/site/2026/gone.txt": BROKEN_LINK}
    from transforms.read import _UNREADABLE
    assert "tgt\\xfe" in _UNREADABLE[BROKEN_LINK](f"{root}/odd-target.txt")[1]
    # Named inputs that are gone by the time the workers look (or that are on a disk
    # they do not see) are error rows, not silently absent.
    from transforms.read import MISSING
    assert list(local_matches(InputSpec(f"{root}/gone-dir/**", root, literal=True))) == [(f"{root}/gone-dir", MISSING)]
    assert list(local_matches(InputSpec(f"{root}/gone-file.txt", root, literal=True))) == [
        (f"{root}/gone-file.txt", MISSING)]
    # A name that exists is taken as it is; a glob matches as Beam's does, dangling links included.
    literal = f"{root}/site/page[1].txt"
    assert list(local_matches(InputSpec(literal, f"{root}/site", literal=True))) == [(literal, 8)]
    assert sorted(local_matches(InputSpec(f"{root}/*.txt", root))) == sorted([
        (f"{root}/fine.txt", 6), (f"{root}/gone.txt", BROKEN_LINK), (f"{root}/pipe.txt", NOT_A_FILE),
        (f"{root}/caf\\xe9.txt", BAD_NAME), (f"{root}/odd-target.txt", BROKEN_LINK)])


def test_an_html_file_takes_its_source_from_the_address_it_gives_for_itself():
    from cleanwire.clean import extract_documents

    body = "".join(f"<p>Paragraph {k} of the harbour story, long enough to be read as article text by anyone.</p>"
                   for k in range(6))
    page = (f'<html><head><link rel="canonical" href="https://www.harbour-times.example/a/1">'
            f"<title>Harbour</title></head><body><article><h1>Harbour</h1>{body}</article></body></html>")
    html_file = RawDocument(uri="/scrape/2026-12-05/a.html", source="2026-12-05", format="html", content=page.encode())
    record = RawDocument(uri="/x/feed.jsonl#offset=0", source="feed", format="html", content=page.encode(),
                         input_format="jsonl")
    from_file, from_record = extract_documents([html_file, record])
    assert from_file.source == "harbour-times.example"  # not the scrape's date folder
    assert from_record.source == "feed"  # a record's own or derived source stays


def test_the_run_ids_filter_is_the_same_however_the_ids_are_split_and_buffered():
    from cleanwire.dedup.keyfilter import add_keys, empty_filter
    from transforms.history import _IdFilterFn, _id_keys

    ids = [f"{k * 2654435761 % (1 << 32):08x}" + "0" * 24 for k in range(10_000)]
    combine = _IdFilterFn(bits=1 << 16)
    parts = []
    for chunk in (ids[:10], ids[10:7000], ids[7000:]):  # one part flushes its buffer on the way
        accumulator = combine.create_accumulator()
        for doc_id in chunk:
            accumulator = combine.add_input(accumulator, doc_id)
        parts.append(accumulator)
    merged = combine.extract_output(combine.merge_accumulators(parts))
    assert np.array_equal(merged, add_keys(empty_filter(1 << 16), 0, _id_keys(ids)))
    assert not combine.extract_output(combine.create_accumulator()).any()


@pytest.mark.parametrize("pattern, matched, unmatched", [
    ("/a/**/*.txt", ["/a/x.txt", "/a/b/x.txt", "/a/b/c/.x.txt"], ["/a/x.html", "/b/x.txt"]),
    ("/a/**", ["/a/x", "/a/b/c"], ["/a", "/ab/x"]),
    ("/a/*/?.txt", ["/a/b/x.txt"], ["/a/b/c/x.txt", "/a/b/xy.txt", "/a/x.txt"]),
    ("/a/p[0-9].txt", ["/a/p1.txt"], ["/a/pa.txt"]),
    ("/a/p[!0-9].txt", ["/a/pa.txt"], ["/a/p1.txt"]),
    ("/a/[*].txt", ["/a/*.txt"], ["/a/x.txt"]),
])
def test_glob_regex_keeps_stars_within_a_component_and_double_stars_across(pattern, matched, unmatched):
    from transforms.read import glob_regex

    regex = glob_regex(pattern)
    assert all(regex.match(path) for path in matched) and not any(regex.match(path) for path in unmatched)


def _trigram_set(sentences):
    """Word 3-grams within each sentence (how a document's shingle set is built),
    computed independently of cleanwire's tokenizer."""
    import re
    grams = set()
    for s in sentences:
        words = re.findall(r"\w+", s.lower())
        grams |= {tuple(words[k:k + 3]) for k in range(len(words) - 2)}
    return grams


def test_verify_candidates_links_documents_by_document_jaccard_alone(tmp_path: Path):
    # Documents are linked at doc_jaccard (0.8), not at the passage thresholds: a pair
    # at Jaccard 0.6 and a short document wholly contained in a long one are not
    # document duplicates; a republication with one sentence edited is.
    params = DedupParams()
    extra = "A spokesman for the hospital declined to comment on the figures when asked on Wednesday."
    edited = PROSE[3].replace("growing fast", "growing very fast")
    docs = [PROSE, PROSE[:3] + [extra], PROSE[:3], PROSE[:3] + [edited]]
    full = _trigram_set(PROSE)

    def jaccard(s):
        return len(full & _trigram_set(s)) / len(full | _trigram_set(s))

    assert params.passage_jaccard < jaccard(docs[1]) < params.doc_jaccard  # between the two levels
    assert jaccard(docs[2]) < params.doc_jaccard and _trigram_set(PROSE[:3]) <= full  # contained, Jaccard too low
    assert jaccard(docs[3]) >= params.doc_jaccard
    index = PartitionIndex((0,), (0,), 4, 4)
    first = np.array([int(make_ref(0, 0))] * 3, dtype=np.uint64)
    later = np.array([int(make_ref(r, 0)) for r in (1, 2, 3)], dtype=np.uint64)
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        staged = p | "Batches" >> beam.Create([_batch([" ".join(d) for d in docs], segmented=True)]) | StagePartitions(str(tmp_path))
        links = p | "Requests" >> beam.Create([(0, (DOCUMENT, first, later))]) | VerifyCandidates(params, str(tmp_path), idx, staged)
        flat = links | beam.FlatMap(lambda l: [(l.level, u, v) for u, v in zip(l.u.tolist(), l.v.tolist())])
        assert_that(flat, equal_to([(DOCUMENT, int(make_ref(0, 0)), int(make_ref(3, 0)))]))
    pairs = pq.read_table(tmp_path / "pairs").to_pylist()
    assert [(r["level"], r["doc_id_b"], r["link"]) for r in pairs] == [(DOCUMENT, "d3", "jaccard")]


def test_inputs_that_match_nothing_when_the_workers_look_are_error_rows(tmp_path):
    from transforms.read import MISSING, _MatchPattern

    emptied, gone = tmp_path / "emptied", tmp_path / "gone"
    emptied.mkdir()  # named at launch with files in it, emptied before the run read it
    specs = [InputSpec(f"{emptied}/**", str(emptied), literal=True), InputSpec(f"{gone}/*.txt", str(gone)),
             InputSpec(f"{gone}/**", str(gone), literal=True)]
    with TestPipeline() as p:
        rows = p | beam.Create(specs) | beam.ParDo(_MatchPattern(()))
        assert_that(rows, equal_to([(str(emptied), (str(emptied), MISSING)), (f"{gone}/*.txt", (str(gone), MISSING)),
                                    (str(gone), (str(gone), MISSING))]))


def test_a_quoted_glob_of_folders_gives_the_sources_of_its_shell_expansion(tmp_path):
    import glob

    from pipelines.clean_dedup import resolve_inputs
    from transforms.read import glob_root, local_matches

    for day in ("2026-12-01", "2026-12-02"):
        for outlet in ("bbc", "cnn"):
            (tmp_path / "scrape" / day / outlet).mkdir(parents=True)
            (tmp_path / "scrape" / day / outlet / "a.txt").write_text("a story")
    (tmp_path / "scrape" / "2026-12-03.txt").write_text("a loose page")

    def sources(inputs):
        return sorted((path, source_for(path, glob_root(spec, path)))
                      for spec in resolve_inputs(inputs) for path, _ in local_matches(spec))

    pattern = str(tmp_path / "scrape" / "2026-12-0*")
    quoted = sources([pattern])
    assert quoted == sources(sorted(glob.glob(pattern)))  # what the shell would pass
    assert {source for _, source in quoted} == {"bbc", "cnn", "2026-12-03"}
    # A ** glob matches every folder below its root: its files keep the root, as a named folder's do.
    assert {source for _, source in sources([str(tmp_path / "scrape" / "**")])} == {"2026-12-01", "2026-12-02", "2026-12-03"}
