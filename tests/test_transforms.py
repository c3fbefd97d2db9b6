"""Each Beam stage on real inputs, with TestPipeline and assert_that."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from cleanwire.dedup.refs import make_ref
from cleanwire.model import CleanDocument, PartitionIndex, RankedBatch, RawDocument
from cleanwire.params import DedupParams
from transforms.clean import CleanDocuments
from transforms.cluster import MEMBER, ROOT, ClusterLinks
from transforms.lsh import FindCandidates
from transforms.rank import RankDocuments
from transforms.read import InputSpec, ReadInputs, source_for
from transforms.signatures import DOCUMENT, PASSAGE, SignPassages
from transforms.verify import Links, VerifyCandidates
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
    expected = sorted(docs, key=lambda d: d.order_key())
    with TestPipeline() as p:
        batches, index = p | beam.Create(docs) | RankDocuments(partitions=7)
        ranked = batches | beam.FlatMap(lambda b: [(b.first_rank + k, d.uri) for k, d in enumerate(b.docs)])
        assert_that(ranked, equal_to([(rank, d.uri) for rank, d in enumerate(expected)]), label="ranks")
        assert_that(index | beam.Map(lambda i: i.total), equal_to([60]), label="index")


def _batch(texts, first_rank=0, partition=0):
    return RankedBatch(partition, first_rank, [_doc(f"/in/{first_rank + k}.txt", t, doc_id=f"d{first_rank + k}") for k, t in enumerate(texts)])


def test_sign_passages_fills_passages_and_emits_band_keys():
    params = DedupParams()
    text = " ".join(PROSE)
    with TestPipeline() as p:
        signed = p | beam.Create([_batch([text, "Short."])]) | SignPassages(params, shards=4)
        assert_that(signed.batches | beam.Map(lambda b: [len(x) for x in b.passages]), equal_to([[4, 1]]), label="passages")
        passage_entries = signed[PASSAGE] | "PassageSizes" >> beam.Map(lambda e: len(e[1][0])) | "SumPassages" >> beam.CombineGlobally(sum)
        # four matchable sentences (the one-word document is too short), 17 bands each
        assert_that(passage_entries, equal_to([4 * params.passage_bands[0]]), label="passage entries")
        doc_entries = signed[DOCUMENT] | "DocSizes" >> beam.Map(lambda e: len(e[1][0])) | "SumDocs" >> beam.CombineGlobally(sum)
        assert_that(doc_entries, equal_to([params.doc_bands[0]]), label="doc entries")


def test_find_candidates_routes_pairs_to_both_partitions():
    index = PartitionIndex((0, 1), (0, 5), 10)
    a, b = int(make_ref(1, 0)), int(make_ref(7, 2))
    entries = [(0, (np.array([9, 9], dtype=np.uint32), np.array([b, a], dtype=np.uint64)))]
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        found = p | beam.Create(entries) | FindCandidates(PASSAGE, 16, idx)
        flat = found | beam.Map(lambda kv: (kv[0], kv[1][0], kv[1][1].tolist(), kv[1][2].tolist()))
        assert_that(flat, equal_to([(0, PASSAGE, [a], [b]), (1, PASSAGE, [a], [b])]))


def test_verify_candidates_links_reused_sentences_only():
    params = DedupParams()
    first = " ".join(PROSE)
    second = PROSE[1] + " Something entirely different was discussed by the council members today."
    batch = _batch([first, second])
    index = PartitionIndex((0,), (0,), 2)
    a = int(make_ref(0, 1))  # sentence 1 of the first document
    b = int(make_ref(1, 0))  # the same sentence, first in the second document
    c = int(make_ref(1, 1))
    requests = [(0, (PASSAGE, np.array([a, a], dtype=np.uint64), np.array([b, c], dtype=np.uint64)))]
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        verified = {"batches": p | "Batches" >> beam.Create([batch]), "requests": p | "Requests" >> beam.Create(requests)} | VerifyCandidates(params, 4, 100, idx)
        links = verified["links"] | beam.FlatMap(lambda l: zip(l.u.tolist(), l.v.tolist(), l.similarity.tolist()))
        assert_that(links, equal_to([(a, b, 1.0)]), label="links")
        pairs = verified["pairs"] | beam.Map(lambda kv: kv[1].to_pydict()["passage_idx_b"])
        assert_that(pairs, equal_to([[0]]), label="pairs")


def test_cluster_links_stops_chains():
    a, b, c = (int(x) for x in make_ref(np.array([0, 1, 2]), np.array([0, 0, 0])))
    links = Links(PASSAGE, np.array([a, b], dtype=np.uint64), np.array([b, c], dtype=np.uint64),
                  np.array([0.9, 0.8]), np.array(["jaccard", "jaccard"], dtype=object), np.array(["A", "B"], dtype=object))
    index = PartitionIndex((0,), (0,), 3)
    with TestPipeline() as p:
        idx = p | "Index" >> beam.Create([index])
        assigned = p | beam.Create([links]) | ClusterLinks(PASSAGE, 4, idx)
        flat = assigned | beam.FlatMap(lambda kv: [(kv[1][0], u, v, label) for u, v, label in zip(kv[1][1].u.tolist(), kv[1][1].v.tolist(), kv[1][1].label.tolist())])
        # b joins a's cluster; c is linked only to b, which is not a root, so it joins nothing.
        assert_that(flat, equal_to([(MEMBER, a, b, "A"), (ROOT, a, b, "A")]))


def test_write_tables_writes_sorted_files(tmp_path: Path):
    def chunk(uri, order):
        return ("errors", 0), table_chunk("errors", {"uri": [uri], "stage": ["read"], "error_class": ["X"], "error": ["e"]}, [order])
    for name in ("errors",):
        (tmp_path / name).mkdir()
    with TestPipeline() as p:
        written = p | beam.Create([chunk("/b", 0), chunk("/a", 0)]) | WriteTables(str(tmp_path))
        assert_that(written | beam.Map(lambda w: (w[0], Path(w[1]).name, w[2])), equal_to([("errors", "part-00000.parquet", 2)]))
    assert pq.read_table(tmp_path / "errors").column("uri").to_pylist() == ["/a", "/b"]
