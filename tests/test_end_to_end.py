"""The whole pipeline on real inputs: the seeds, an HTML page and bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.clean_dedup import SEEDS_DIR, run
from pipelines.progress import stage_name
from tests.seedcheck import check

DATA = Path(__file__).resolve().parent / "data"
TABLES = ("documents", "passages", "pairs", "errors")


def _run(out: Path, *extra: str, inputs=None) -> Path:
    inputs = [str(SEEDS_DIR / "*.txt")] if inputs is None else inputs
    assert run([*inputs, "--output", str(out), "--quiet", *extra]) == 0
    return out


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("seeds") / "out")


def test_seed_run_passes_the_seed_check(seed_run):
    assert check(seed_run) == []


def test_output_layout_and_manifest(seed_run):
    assert sorted(p.name for p in seed_run.iterdir()) == ["documents", "errors", "manifest.json", "pairs", "passages"]
    manifest = json.loads((seed_run / "manifest.json").read_text())
    assert manifest["counts"]["inputs"] == 2
    assert manifest["counts"]["documents"] == 2 and manifest["counts"]["errors"] == 0
    assert manifest["counts"]["passages"] == pq.read_table(seed_run / "passages").num_rows
    assert manifest["parameters"]["passage_bands_rows"] == [24, 2]
    assert {"read", "clean", "recurring", "rank", "sign", "stage", "verify", "assemble"} <= set(manifest["stages"])
    assert all(manifest["stages"][stage]["cpu_seconds"] > 0 for stage in ("clean", "sign", "verify", "assemble"))
    assert [stage for stage in manifest["stages"] if stage_name(stage) == stage] == []  # progress lines name each in words
    assert manifest["versions"]["apache-beam"]
    for table in TABLES:
        files = list((seed_run / table).glob("*.parquet"))
        assert files and pq.read_metadata(files[0]).metadata[b"cleanwire.schema_version"] == b"2"


def test_unique_text_drops_only_later_duplicates(seed_run):
    docs = {Path(d["uri"]).name: d for d in pq.read_table(seed_run / "documents").to_pylist()}
    dated, undated = docs["002_4b491c889e588190.txt"], docs["000_dc38f2ae0ea9b055.txt"]
    # The dated article comes first in canonical order, so it keeps everything.
    assert dated["canonical_rank"] == 0 and dated["unique_text"] == dated["text"]
    assert "Taking Palmyra opens the way" in undated["text"]
    assert "Taking Palmyra opens the way" not in undated["unique_text"]
    assert "Concern is mounting for the fates" in undated["unique_text"]


def test_passage_offsets_and_cluster_fields(seed_run):
    docs = {d["doc_id"]: d["text"] for d in pq.read_table(seed_run / "documents").to_pylist()}
    passages = pq.read_table(seed_run / "passages").to_pylist()
    for p in passages:
        assert docs[p["doc_id"]][p["start"]:p["end"]] == p["text"]
        if p["cluster_id"] is None:
            assert p["is_canonical"] and p["similarity"] is None
        elif p["is_canonical"]:
            assert p["similarity"] == 1.0
        else:
            assert 0.0 < p["similarity"] <= 1.0 and p["link"] in ("jaccard", "containment")


def test_duckdb_joins_passages_to_documents(seed_run):
    rows = duckdb.sql(f"""
        SELECT p.cluster_id, list(DISTINCT d.source ORDER BY d.source) AS sources, count(*) AS members
        FROM read_parquet('{seed_run}/passages/*.parquet') p
        JOIN read_parquet('{seed_run}/documents/*.parquet') d USING (doc_id)
        WHERE p.cluster_id IS NOT NULL AND p.text LIKE '%Taking Palmyra opens the way%'
        GROUP BY p.cluster_id
    """).fetchall()
    assert rows and all(sources == ["000_dc38f2ae0ea9b055", "002_4b491c889e588190"] for _, sources, _ in rows)
    published = duckdb.sql(f"SELECT typeof(published) FROM read_parquet('{seed_run}/documents/*.parquet') LIMIT 1").fetchall()[0][0]
    assert published == "TIMESTAMP WITH TIME ZONE"


def test_reruns_give_byte_identical_files(seed_run, tmp_path):
    again = _run(tmp_path / "again")
    for table in TABLES:
        assert (seed_run / table / "part-00000.parquet").read_bytes() == (again / table / "part-00000.parquet").read_bytes()


def test_multi_processing_gives_the_same_files(seed_run, tmp_path):
    out = _run(tmp_path / "mp", "--direct_running_mode=multi_processing", "--direct_num_workers=2")
    assert check(out) == []
    for table in TABLES:
        assert (seed_run / table / "part-00000.parquet").read_bytes() == (out / table / "part-00000.parquet").read_bytes()


def test_rerun_into_the_same_output_replaces_it(tmp_path):
    out = tmp_path / "out"
    _run(out, inputs=[str(SEEDS_DIR / "000_dc38f2ae0ea9b055.txt")])
    assert pq.read_table(out / "documents").num_rows == 1
    _run(out)
    assert pq.read_table(out / "documents").num_rows == 2
    assert not [p for p in tmp_path.iterdir() if p.name != "out"]  # no staging or old copies left


def test_html_and_bad_inputs_are_all_accounted_for(tmp_path):
    inputs = tmp_path / "in"
    (inputs / "coastalherald").mkdir(parents=True)
    shutil.copy(DATA / "wire_story.html", inputs / "coastalherald" / "cranes.html")
    shutil.copy(SEEDS_DIR / "000_dc38f2ae0ea9b055.txt", inputs / "seed.txt")
    (inputs / "empty.txt").write_text("")
    (inputs / "notes.md").write_text("# not an article")
    out = _run(tmp_path / "out", inputs=[str(inputs)])
    docs = pq.read_table(out / "documents").to_pylist()
    errors = pq.read_table(out / "errors").to_pylist()
    assert len(docs) + len(errors) == 4
    assert sorted((Path(e["uri"]).name, e["error_class"]) for e in errors) == [("empty.txt", "EmptyDocument"), ("notes.md", "UnsupportedFormat")]
    html = next(d for d in docs if d["format"] == "html")
    assert html["title"].startswith("Harbour cranes return to work after storm")
    assert html["url"] == "https://www.coastalherald.example/news/harbour-cranes-return"
    assert html["source"] == "coastalherald.example"  # the domain of the address the page gives, not the file name
    assert str(html["published"])[:10] == "2024-03-18"
    assert "all six container cranes were back in service" in html["text"]
    assert "do not extract this" not in html["text"] and "Related stories" not in html["text"]
    assert any("cookies" in line for line in html["boilerplate"])
    assert json.loads((out / "manifest.json").read_text())["counts"]["errors"] == 2


def test_a_republished_article_is_a_near_duplicate_of_the_original(tmp_path):
    inputs = tmp_path / "in"
    for site in ("wire", "reprint"):
        (inputs / site).mkdir(parents=True)
    original = (SEEDS_DIR / "002_4b491c889e588190.txt").read_text(encoding="utf-8")
    shutil.copy(SEEDS_DIR / "002_4b491c889e588190.txt", inputs / "wire" / "story.txt")
    edited = original.replace("2015-05-22 15:26", "2015-05-23 08:00").replace("Damascus - ", "DAMASCUS (AFP) - ")
    edited = edited.replace("At least 17 people were killed", "At least seventeen people were killed")
    (inputs / "reprint" / "story.txt").write_text(edited, encoding="utf-8")
    out = _run(tmp_path / "out", inputs=[str(inputs)])
    docs = {d["source"]: d for d in pq.read_table(out / "documents").to_pylist()}
    assert docs["wire"]["duplicate_of"] is None
    assert docs["reprint"]["duplicate_of"] == docs["wire"]["doc_id"]
    assert 0.8 <= docs["reprint"]["duplicate_similarity"] < 1.0
    pairs = pq.read_table(out / "pairs").to_pylist()
    assert [p for p in pairs if p["level"] == "document"][0]["doc_id_b"] == docs["reprint"]["doc_id"]
    # Every passage of the reprint that matches the original joins the original's cluster.
    passages = pq.read_table(out / "passages").to_pylist()
    reprint = [p for p in passages if p["doc_id"] == docs["reprint"]["doc_id"] and p["kind"] == "sentence"]
    assert sum(not p["is_canonical"] for p in reprint) >= len(reprint) - 5


def test_incomplete_output_is_never_published(seed_run):
    from pipelines.clean_dedup import IncompleteOutputError, _reconcile
    from pipelines.output import table_files

    manifest = json.loads((seed_run / "manifest.json").read_text())
    files = table_files(str(seed_run))
    rows, by_format = _reconcile(manifest["stages"], files)
    assert rows["documents"] == 2 and by_format == {"text": {"inputs": 2, "documents": 2, "errors": 0}}
    lost_one = {**manifest["stages"], "read": {**manifest["stages"]["read"], "inputs_text": 3}}
    with pytest.raises(IncompleteOutputError, match="text: 3 inputs but 2 document rows and 0 error rows"):
        _reconcile(lost_one, files)
    stages = manifest["stages"]
    passages, pairs = stages["sign"]["passages"], stages["verify"]["pairs_rows"]
    assert rows["passages"] == passages and rows["pairs"] == pairs > 0
    lost_passage = {**stages, "sign": {**stages["sign"], "passages": passages + 1}}
    with pytest.raises(IncompleteOutputError, match=f"{passages + 1} passages produced but {passages} written"):
        _reconcile(lost_passage, files)
    lost_pair = {**stages, "verify": {**stages["verify"], "pairs_rows": pairs + 1}}
    with pytest.raises(IncompleteOutputError, match=f"{pairs + 1} verified pairs but {pairs} written"):
        _reconcile(lost_pair, files)


def test_chrome_recurring_across_a_source_is_removed_from_all_its_documents(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(DATA / "coastalherald", inputs / "coastalherald")
    shutil.copy(SEEDS_DIR / "000_dc38f2ae0ea9b055.txt", inputs / "seed.txt")
    out = _run(tmp_path / "out", inputs=[str(inputs)])
    docs = pq.read_table(out / "documents").to_pylist()
    herald = [d for d in docs if d["source"] == "coastalherald"]
    assert len(herald) == 6 and len(docs) == 7
    plug = "The Coastal Herald has reported on the towns of the northern shore since 1887"
    for doc in herald:
        assert plug not in doc["text"] and "Opinions expressed by contributors" not in doc["text"]
        assert any(line.startswith(plug) for line in doc["boilerplate"])
        assert len(doc["text"].split("\n\n")) == 4 and doc["title"] and doc["published"]
    manifest = json.loads((out / "manifest.json").read_text())
    sources = manifest["sources"]
    assert sorted(sources) == ["coastalherald", "seed"]
    assert sources["coastalherald"]["documents"] == 6 and sources["coastalherald"]["recurring_lines_removed"] == 12
    assert sources["coastalherald"]["removed_chars"] == sum(len(line) for d in herald for line in d["boilerplate"])
    assert sources["seed"]["recurring_lines"] == 0  # one document: the classifier alone cleans it
    assert manifest["parameters"]["recurring_min_docs"] == 5
    assert not (out / "sources.json").exists()


def test_how_the_work_is_split_does_not_change_a_byte_of_documents_or_passages(tmp_path):
    from benchmarks.make_corpus import generate

    generate(300, 2, str(tmp_path / "corpus"))
    for name, size in (("whole", "1000"), ("split", "50")):
        assert run([str(tmp_path / "corpus" / "text"), "--output", str(tmp_path / name), "--partition-size", size,
                    "--quiet"]) == 0
    for table in ("documents", "passages"):
        files = sorted(p.name for p in (tmp_path / "whole" / table).glob("*.parquet"))
        assert files and files == sorted(p.name for p in (tmp_path / "split" / table).glob("*.parquet"))
        for name in files:
            assert (tmp_path / "whole" / table / name).read_bytes() == (tmp_path / "split" / table / name).read_bytes()


def test_a_page_of_nothing_but_recurring_lines_is_a_counted_error_that_fails_the_run(tmp_path):
    # A seventh page of the source holds only lines that recur on the other six: once
    # they are removed nothing is left, an error row of the recurring stage, which the
    # manifest counts and --fail-on-errors turns into exit status 1.
    inputs = tmp_path / "in"
    shutil.copytree(DATA / "coastalherald", inputs / "coastalherald")
    story = (DATA / "coastalherald" / "story1.txt").read_text(encoding="utf-8").splitlines()
    shared = [line for line in story if line.startswith(("The Coastal Herald has reported", "Opinions expressed"))]
    assert len(shared) == 2
    (inputs / "coastalherald" / "about.txt").write_text("\n".join(shared) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run([str(inputs), "--output", str(out), "--quiet", "--fail-on-errors"]) == 1
    errors = pq.read_table(out / "errors").to_pylist()
    assert [(Path(e["uri"]).name, e["stage"], e["error_class"]) for e in errors] == [("about.txt", "recurring", "NoArticleText")]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["errors"] == 1 and manifest["counts"]["documents"] == 6
