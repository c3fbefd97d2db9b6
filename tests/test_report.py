"""The run report on the seed run, read back as a person's browser would: parsed HTML."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import lxml.html
import pyarrow.parquet as pq
import pytest

from cleanwire.report.aggregate import (
    Cluster, DocRef, Member, ReportData, SampleDocument, SourceRow, collect, manifest_problem,
)
from cleanwire.report.diff import changed_words, compare, word_diff
from cleanwire.report.render import document_href, render
from pipelines.report import write_report
from pipelines.clean_dedup import SEEDS_DIR

CLEANWIRE = str(Path(sys.executable).with_name("cleanwire"))


@pytest.fixture(scope="module")
def json_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The seeds run through the CLI with --log-format json (also the report's input)."""
    out = tmp_path_factory.mktemp("report") / "out"
    result = subprocess.run(
        [CLEANWIRE, "run", str(SEEDS_DIR / "*.txt"), "--output", str(out), "--log-format", "json"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.fixture(scope="module")
def page(json_run) -> lxml.html.HtmlElement:
    out, _ = json_run
    return lxml.html.fromstring(write_report(str(out)).read_bytes())


def _marks(element) -> list[str]:
    return [m.text_content() for m in element.xpath('.//mark[@class="diff"]')]


def _text(element) -> str:
    return " ".join(element.text_content().split())


# --- the seed report -----------------------------------------------------------------

def test_balanche_cluster_shows_both_sources_and_marks_only_the_attribution(page):
    clusters = [c for c in page.xpath('//div[@class="cluster"]') if "Balanche said" in _text(c)]
    assert len(clusters) == 1
    members = clusters[0].xpath('.//div[contains(concat(" ", @class, " "), " member ")]')
    sources = {m.xpath('.//div[@class="meta"]/b')[0].text for m in members}
    assert sources == {"000_dc38f2ae0ea9b055", "002_4b491c889e588190"}
    canonical = [m for m in members if "canonical" in m.get("class")]
    assert len(canonical) == 1 and "he said" in _text(canonical[0])
    balanche = next(m for m in members if "Balanche said" in _text(m))
    # The attribution differs; the curly against the straight quote does not.
    assert _marks(balanche) == ["Balanche"]
    assert _marks(canonical[0]) == ["he"]
    assert "threatened,\u201d Balanche" in _text(balanche)
    assert "threatened,\" he" in _text(canonical[0])
    # Every member links to its document.
    assert all(m.xpath('.//div[@class="meta"]/a[starts-with(@href, "file://")]') for m in members)


def test_identical_quotes_in_other_quote_marks_have_no_marks(page):
    cluster = next(c for c in page.xpath('//div[@class="cluster"]') if "Taking Palmyra opens the way" in _text(c))
    assert _marks(cluster) == []
    assert "\u201cTaking Palmyra" in _text(cluster) and "\"Taking Palmyra" in _text(cluster)


def test_per_source_table_matches_the_documents(page, json_run):
    out, _ = json_run
    docs = {d["source"]: d for d in pq.read_table(out / "documents").to_pylist()}
    rows = page.xpath('//table[@class="sources"]/tbody/tr')
    cells = {r[0].text_content(): [c.text_content() for c in r[1:]] for r in rows}
    assert set(cells) == set(docs)
    for source, doc in docs.items():
        documents, before, after, removed, share, passages, cross = cells[source]
        assert documents == "1"
        assert before == f"{doc['raw_chars']:,}" and after == f"{len(doc['text']):,}"
        assert removed == f"{sum(len(b) for b in doc['boilerplate']):,}"
        assert passages == str(doc["passages"])
        assert share.endswith("%") and 0 < float(cross.rstrip("%")) < 100
    # The page is the long dump's: it loses far more to boilerplate than the short one.
    assert float(cells["002_4b491c889e588190"][4].rstrip("%")) > 10 > float(cells["000_dc38f2ae0ea9b055"][4].rstrip("%"))


def _clusters(out: Path) -> int:
    """Passage clusters in a run's output: the seed articles share several quotes."""
    return len(set(pq.read_table(out / "passages", columns=["cluster_id"]).column("cluster_id").drop_null().to_pylist()))


def test_run_section_boilerplate_sample_and_charts(page, json_run):
    out, _ = json_run
    manifest = json.loads((out / "manifest.json").read_text())
    cards = {c.xpath("span")[0].text: c.xpath("b")[0].text for c in page.xpath('//div[@class="card"]')}
    assert cards["documents"] == "2" and cards["passages"] == f"{manifest['counts']['passages']:,}"
    assert cards["passage clusters"] == str(_clusters(out)) and _clusters(out) >= 5
    stages = [r[0].text_content() for r in page.xpath('//section[@id="run"]//table[1]/tbody/tr')]
    assert {"read", "clean", "sign", "verify", "assemble"} <= set(stages)
    removed = [li.text_content() for li in page.xpath('//ol[@class="removed"]/li')]
    assert "Please enter your comment!" in removed and "Comment on this story" in removed
    charts = page.xpath('//section[@id="distributions"]//*[local-name()="svg"]')
    assert len(charts) == 3 and all(c.xpath('.//*[local-name()="rect"]') for c in charts)


def test_page_is_self_contained_and_deterministic(page, json_run):
    out, _ = json_run
    assert not page.xpath("//script | //link | //iframe | //img | //*[@src]")
    csp = page.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp and "default-src 'none'" in csp[0]
    first = (out / "report.html").read_bytes()
    assert write_report(str(out)).read_bytes() == first


# --- escaping and links ----------------------------------------------------------------

def _hostile_data() -> ReportData:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    doc = DocRef("d" * 32, f"src{evil}", f"/tmp/{evil}.txt", "javascript:alert(1)", f"T{evil}",
                 datetime(2020, 1, 2, tzinfo=timezone.utc), 0)
    other = DocRef("e" * 32, "other", "/tmp/b.txt", "https://example.org/a?b=1&c=2", None, None, 1)
    members = [Member(doc, 0, "sentence", f"The minister said {evil} today.", True, 1.0, None),
               Member(other, 3, "sentence", "The minister said nothing today.", False, 0.6, "jaccard")]
    return ReportData(
        manifest={"counts": {"documents": 2}, "inputs": [evil], "parameters": {"x": evil}, "stages": {}},
        sources=[SourceRow(f"src{evil}", 1, 10, 5, 4, 1, 1)], source_count=1, clusters=1, clustered_passages=2,
        largest=[Cluster("c1", 2, 2, members)], cross_source=[],
        samples=[SampleDocument(doc, f"kept {evil}", 20, [f"removed {evil}"], 1)],
        errors=[("read", "CorruptRecord", 1, "/tmp/crawl.warc.gz#offset=0", "first line: \x1f\x8b\x08\x00\x1b[31m")],
    )


def test_untrusted_text_is_escaped_and_links_are_safe():
    html = render(_hostile_data())
    tree = lxml.html.fromstring(html)
    assert not tree.xpath("//script | //img | //*[@onerror]")
    assert html.count("<script>") == 0 and "&lt;script&gt;" in html
    hrefs = tree.xpath("//a/@href")
    assert not [h for h in hrefs if h.lower().startswith("javascript")]
    assert "https://example.org/a?b=1&c=2" in hrefs  # escaped in the source, intact once parsed
    assert "\x1b" not in html and "\x00" not in html  # raw bytes quoted by an error message
    assert "first line: \\x1f\\x8b\\x08\\x00\\x1b[31m" in html


def test_document_href_prefers_http_url_and_refuses_other_schemes():
    assert document_href("/data/a b.txt", None) == "file:///data/a%20b.txt"
    assert document_href("/data/a.txt", "https://x.org/p") == "https://x.org/p"
    assert document_href("/data/a.txt", "javascript:alert(1)") == "file:///data/a.txt"
    assert document_href("gs://bucket/a.txt", "data:text/html,x") is None


# --- the word diff -----------------------------------------------------------------------

def test_word_diff_ignores_case_punctuation_and_quote_style():
    a, b = word_diff("\u201cTaking Palmyra,\u201d he SAID.", '"taking palmyra," he said')
    assert changed_words(a) == [] and changed_words(b) == []
    assert "".join(s.text for s in a) == "\u201cTaking Palmyra,\u201d he SAID."


def test_word_diff_marks_replaced_and_inserted_words_as_runs():
    a, b = word_diff("the ministry said on Monday", "the interior ministry said late on Monday night")
    assert changed_words(a) == []
    assert changed_words(b) == ["interior", "late", "night"]
    a, b = word_diff("prices rose sharply in May", "prices fell very sharply in May")
    assert changed_words(a) == ["rose"] and changed_words(b) == ["fell very"]


def test_compare_marks_in_the_reference_only_words_no_other_has():
    reference, (quote, sentence) = compare(
        'Eventually, this axis can be threatened," he said.',
        ["Eventually, this axis can be threatened", "Eventually, this axis can be threatened,\u201d Balanche said."],
    )
    assert changed_words(reference) == ["he"]
    assert changed_words(quote) == [] and changed_words(sentence) == ["Balanche"]
    alone, others = compare("a lone passage", [])
    assert changed_words(alone) == [] and others == []


# --- the command line -----------------------------------------------------------------------

def test_report_command_refuses_a_directory_that_is_not_an_output(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    result = subprocess.run([CLEANWIRE, "report", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "not a cleanwire output" in result.stderr
    assert not (tmp_path / "report.html").exists()


def test_report_of_a_single_run_with_a_date_says_to_leave_the_date_out(json_run):
    out, _ = json_run
    result = subprocess.run([CLEANWIRE, "report", str(out), "--run-date", "2026-11-22"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "output of a single run" in result.stderr and "leave out --run-date" in result.stderr


def test_report_command_help_explains_every_option():
    result = subprocess.run([CLEANWIRE, "report", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for option in ("OUT", "--run-date", "--open", "--top", "--members", "--samples", "--quiet"):
        assert option in result.stdout


def test_report_command_writes_the_page(json_run):
    out, _ = json_run
    result = subprocess.run([CLEANWIRE, "report", str(out), "--top", "1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"cleanwire: wrote {out}/report.html")
    tree = lxml.html.fromstring((out / "report.html").read_bytes())
    assert len(tree.xpath('//section[@id="clusters"]//div[@class="cluster"]')) == 1


def test_report_of_a_dataset_root_shows_the_latest_run_or_the_one_asked_for(tmp_path):
    from pipelines.clean_dedup import run

    root = tmp_path / "dataset"
    seeds = sorted(SEEDS_DIR.glob("*.txt"))
    assert run([str(SEEDS_DIR / "*.txt"), "-o", str(root), "--run-date", "2026-12-05", "--quiet"]) == 0
    assert run([str(seeds[0]), "-o", str(root), "--run-date", "2026-12-06", "--quiet"]) == 0

    latest = subprocess.run([CLEANWIRE, "report", str(root)], capture_output=True, text=True)
    assert latest.returncode == 0, latest.stderr
    page = root / "manifests" / "run_date=2026-12-06" / "report.html"
    assert latest.stdout.startswith(f"cleanwire: wrote {page} for the run of 2026-12-06 (the latest of 2)")
    earlier = subprocess.run([CLEANWIRE, "report", str(root), "--run-date", "2026-12-05"], capture_output=True, text=True)
    assert earlier.returncode == 0, earlier.stderr
    assert collect(str(root), run_date="2026-12-06").manifest["counts"]["documents"] == 1
    assert collect(str(root), run_date="2026-12-05").manifest["counts"]["documents"] == 2
    assert (root / "manifests" / "run_date=2026-12-05" / "report.html").exists()

    missing = subprocess.run([CLEANWIRE, "report", str(root), "--run-date", "2026-12-01"], capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "its runs: 2026-12-05, 2026-12-06" in missing.stderr


def test_collect_bounds_what_the_page_holds(json_run):
    out, _ = json_run
    data = collect(str(out), top=2, members=1, samples=1, sources=1)
    assert len(data.largest) == 2 and len(data.samples) == 1
    assert all(len({m.doc.doc_id for m in c.members}) == 1 for c in data.largest)
    assert [s.others for s in data.sources] == [0, 1]  # one source listed, the other summed
    assert data.clusters == _clusters(out)


def test_json_log_format_gives_one_json_object_per_stderr_line(json_run):
    out, result = json_run
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events, "no events"
    stages = [e["stage"] for e in events if e["event"] == "stage"]
    assert stages[0] == "read" and {"clean", "sign", "verify", "assemble"} <= set(stages)
    summary = [e for e in events if e["event"] == "summary"]
    assert len(summary) == 1
    assert summary[0]["documents"] == 2 and summary[0]["clusters"] == _clusters(out) and summary[0]["output"] == str(out)


def test_quiet_run_prints_nothing(tmp_path):
    result = subprocess.run(
        [CLEANWIRE, "run", str(SEEDS_DIR / "*.txt"), "--output", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


# --- characters the page must not carry raw ---------------------------------------------------

def _sneaky_data() -> ReportData:
    """Values as scraped data and file names bring them: a NUL, a right-to-left override
    left open, bidi isolates and marks, and a lone surrogate (a file name that is not UTF-8)."""
    source = "S\x00\u202eevil"
    doc = DocRef("d" * 32, source, "/data/x\udcffy.txt", None, "T\u2067itle\u200f\x07", None, 0)
    other = DocRef("e" * 32, "plain", "/data/b.txt", None, None, None, 1)
    members = [Member(doc, 0, "sentence", "The minister said \u202dtoday.", True, 1.0, None),
               Member(other, 0, "sentence", "The minister said today.", False, 0.9, "jaccard")]
    return ReportData(
        manifest={"counts": {"documents": 2}, "inputs": ["/data/x\udcffy.txt"], "parameters": {}, "stages": {}},
        sources=[SourceRow(source, 1, 10, 5, 4, 1, 1), SourceRow("plain", 1, 10, 5, 4, 1, 1)], source_count=2,
        clusters=1, clustered_passages=2, largest=[Cluster("c1", 2, 2, members)],
        samples=[SampleDocument(doc, "kept \u061c", 6, ["removed \u2066x"], 1)],
        errors=[("read", "DecodeError", 1, "/data/x\udcffy.txt", "bad \u202ebyte")],
    )


def test_controls_bidi_controls_and_surrogates_are_shown_escaped_everywhere_charts_included():
    html = render(_sneaky_data())
    html.encode("utf-8")  # a lone surrogate would fail here
    hidden = ["\x00", "\x07", "\u202e", "\u202d", "\u2066", "\u2067", "\u200f", "\u061c", "\udcff"]
    assert not [c for c in hidden if c in html]
    tree = lxml.html.fromstring(html)
    charts = "".join(lxml.html.tostring(svg, encoding="unicode") for svg in tree.xpath('//*[local-name()="svg"]'))
    assert "S\\x00\\u202eevil" in charts  # the per-source charts' labels
    assert "S\\x00\\u202eevil" in _text(tree.xpath('//table[@class="sources"]')[0])
    assert "x\\udcffy.txt" in html and "T\\u2067itle\\u200f\\x07" in html
    # The link still points at the file: its name's bytes, percent-encoded.
    assert "file:///data/x%FFy.txt" in tree.xpath("//a/@href")


@pytest.fixture(scope="module")
def undecodable_run(tmp_path_factory) -> Path:
    """A run of one file whose name is not UTF-8: its manifest lists it with a surrogate,
    and its only row is the read error (an errors-only run)."""
    base = tmp_path_factory.mktemp("undecodable")
    name = base / "in" / "x\udcffy.txt"  # the byte 0xff, as Python decodes file names
    name.parent.mkdir()
    name.write_bytes(next(SEEDS_DIR.glob("000_*.txt")).read_bytes())
    result = subprocess.run([CLEANWIRE, "run", str(name), "--output", str(base / "out"), "--quiet"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return base / "out"


def test_report_of_a_file_name_that_is_not_utf8_shows_it_escaped(undecodable_run):
    result = subprocess.run([CLEANWIRE, "report", str(undecodable_run)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in undecodable_run.iterdir()) == [
        "documents", "errors", "manifest.json", "pairs", "passages", "report.html"]
    tree = lxml.html.fromstring((undecodable_run / "report.html").read_bytes())
    assert [c.text_content() for c in tree.xpath('//section[@id="run"]//ul/li/code')] == [
        str(undecodable_run.parent / "in" / "x\\udcffy.txt")]


def test_a_report_that_cannot_be_written_says_where_and_leaves_nothing(json_run, tmp_path):
    out, _ = json_run
    before = sorted(p.name for p in out.iterdir())
    blocked = tmp_path / "report.html"  # a directory where the file would go: no write, even as root
    (blocked / "keep").mkdir(parents=True)
    result = subprocess.run([CLEANWIRE, "report", str(out), "--output", str(tmp_path / "missing" / "r.html")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"cannot write the report to {tmp_path}/missing/r.html: No such file or directory" in result.stderr
    result = subprocess.run([CLEANWIRE, "report", str(out), "-o", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"cannot write the report to {blocked}: Is a directory" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no partial file left
    assert sorted(p.name for p in out.iterdir()) == before


def test_report_output_option_writes_the_page_elsewhere(json_run, tmp_path):
    out, _ = json_run
    target = tmp_path / "seeds.html"
    result = subprocess.run([CLEANWIRE, "report", str(out), "--output", str(target)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"cleanwire: wrote {target} ")
    assert target.read_bytes() == write_report(str(out)).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seeds.html"]


def test_write_report_never_leaves_its_temporary_file(json_run, tmp_path, monkeypatch):
    import cleanwire.report.render as render_module

    out, _ = json_run
    monkeypatch.setattr(render_module, "render", lambda data: "\udcff")  # cannot be encoded: fails mid-write
    with pytest.raises(UnicodeEncodeError):
        write_report(str(out), output=tmp_path / "r.html")
    assert list(tmp_path.iterdir()) == []


# --- outputs the report cannot read -------------------------------------------------------------

def _report(out) -> subprocess.CompletedProcess:
    return subprocess.run([CLEANWIRE, "report", str(out)], capture_output=True, text=True)


def _one_line_usage_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    return result.stderr


def test_a_manifest_of_an_earlier_schema_version_is_reported(json_run):
    # Columns are only ever added: an output written before version 2 (documents
    # without encoding and input_format) is still a report's input.
    manifest = json.loads((json_run[0] / "manifest.json").read_text())
    assert manifest_problem({**manifest, "schema_version": "1"}) is None


@pytest.mark.parametrize("edit, says", [
    (lambda m: m.update(schema_version="99"), "its schema_version is '99' (written by cleanwire "),
    (lambda m: m.pop("schema_version"), "it has no schema_version"),
    (lambda m: m.update(wall_seconds=None), "wall_seconds is null, not a number"),
    (lambda m: m["stages"]["read"].update(files={}), "stages.read.files is an object, not a number"),
    (lambda m: m["stages"]["read"].update(cpu_seconds=None), "stages.read.cpu_seconds is null, not a number"),
    (lambda m: m.update(inputs="/x/y"), "inputs is a string, not a list of strings"),
    (lambda m: m["counts"].update(documents="2"), "counts.documents is a string, not a whole number"),
    (lambda m: m.update(run={"run_id": None, "history": "h"}), "run.history is a string, not an object"),
])
def test_a_manifest_the_report_cannot_read_is_named_with_its_field(json_run, tmp_path, edit, says):
    out, _ = json_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    assert manifest_problem(manifest) is None
    edit(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert says in manifest_problem(manifest)
    stderr = _one_line_usage_error(_report(copy))
    assert f"{copy}/manifest.json cannot be reported: {says}" in stderr


def test_damaged_or_missing_parquet_files_are_named(json_run, tmp_path):
    out, _ = json_run
    corrupt, emptied, no_pairs = tmp_path / "corrupt", tmp_path / "emptied", tmp_path / "no_pairs"
    for copy in (corrupt, emptied, no_pairs):
        shutil.copytree(out, copy)
    (corrupt / "documents" / "part-00000.parquet").write_text("x\n")
    stderr = _one_line_usage_error(_report(corrupt))
    assert f"{corrupt}/documents/part-00000.parquet cannot be read as Parquet (" in stderr
    for file in (emptied / "passages").iterdir():
        file.unlink()
    stderr = _one_line_usage_error(_report(emptied))
    assert f"{emptied}/passages/part-00000.parquet is missing (1 of the 1 files of the run's passages)" in stderr
    shutil.rmtree(no_pairs / "pairs")  # the report does not read pairs
    assert _report(no_pairs).returncode == 0


# --- dated runs with a history ------------------------------------------------------------------

NIGHTS = ("2026-03-01", "2026-03-02", "2026-03-03")


@pytest.fixture(scope="module")
def dated_root(tmp_path_factory) -> Path:
    """Three nightly runs with a history of a generated corpus, split by publication day:
    later nights republish and quote stories whose canonical documents and passages are
    in earlier nights' partitions."""
    from benchmarks.make_corpus import generate
    from pipelines.clean_dedup import run

    base = tmp_path_factory.mktemp("dated")
    generate(90, 1, str(base / "corpus"))
    dated = []
    for path in sorted((base / "corpus" / "text").rglob("*.txt")):
        day = next((line.strip()[:10] for line in path.read_text().splitlines()[:6]
                    if line.strip()[:4].isdigit() and line.strip()[4:5] == "-"), None)
        if day:  # undated pages come last in canonical order, which no nightly split reproduces
            dated.append((day, path))
    dated.sort()
    for k, night in enumerate(NIGHTS):
        part = dated[k * len(dated) // 3:(k + 1) * len(dated) // 3]
        assert run([*(str(p) for _, p in part), "--output", str(base / "root"), "--history", str(base / "store"),
                    "--run-date", night, "--quiet"]) == 0
    return base / "root"


def test_a_dated_run_with_a_table_partition_missing_is_named_with_its_date(dated_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(dated_root, root)
    shutil.rmtree(root / "pairs" / f"run_date={NIGHTS[1]}")  # not read by the report
    result = subprocess.run([CLEANWIRE, "report", str(root), "--run-date", NIGHTS[1], "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    shutil.rmtree(root / "passages" / f"run_date={NIGHTS[2]}")
    stderr = _one_line_usage_error(_report(root))
    assert (f"{root} lacks passages/run_date={NIGHTS[2]}/, the passages of the run of {NIGHTS[2]}; rerun cleanwire "
            f"to rewrite it; or report an earlier run with --run-date {NIGHTS[1]}") in stderr
    given = root / "manifests" / f"run_date={NIGHTS[1]}"
    stderr = _one_line_usage_error(_report(given))
    assert f"it is one run's directory of the dataset root {root}: give that, with --run-date {NIGHTS[1]}" in stderr


def test_a_nightly_report_finds_canonicals_in_earlier_runs_and_says_which(dated_root):
    night = NIGHTS[2]
    passages = pq.read_table(dated_root / "passages" / f"run_date={night}").to_pylist()
    docs = pq.read_table(dated_root / "documents" / f"run_date={night}").to_pylist()
    own = {d["doc_id"] for d in docs}
    earlier = {d["doc_id"]: d for n in NIGHTS[:2] for d in pq.read_table(dated_root / "documents" / f"run_date={n}").to_pylist()}
    canonicals = {d["duplicate_of"] for d in docs if d["duplicate_of"]}
    assert canonicals - own, "the corpus should republish earlier nights' stories"

    data = collect(str(dated_root), run_date=night, groups=1000, top=1000)
    assert {g.canonical.doc_id for g in data.document_groups} == canonicals
    for group in data.document_groups:
        expected = earlier[group.canonical.doc_id]["run_id"] if group.canonical.doc_id not in own else None
        assert group.canonical.run_date == expected
    assert data.earlier_documents == len(canonicals - own)

    members: dict[str, list] = {}
    for p in passages:
        if p["cluster_id"]:
            members.setdefault(p["cluster_id"], []).append(p)
    from_earlier = {c for c, rows in members.items() if not any(r["is_canonical"] for r in rows)}
    assert from_earlier and data.earlier_canonicals == len(from_earlier)
    shown = {c.cluster_id: c for c in data.largest}
    assert len(shown) == len(members)
    for cluster_id, rows in members.items():
        cluster = shown[cluster_id]
        canonical = [m for m in cluster.members if m.is_canonical]
        assert len(canonical) == 1  # every cluster shows its canonical passage
        if cluster_id in from_earlier:
            named = {(r["canonical_doc_id"], r["canonical_passage_idx"]) for r in rows}
            assert named == {(canonical[0].doc.doc_id, canonical[0].passage_idx)}
            assert canonical[0].doc.run_date in NIGHTS[:2] and cluster.size == len(rows) + 1
        else:
            assert canonical[0].doc.run_date is None and cluster.size == len(rows)


def test_a_nightly_report_says_which_run_it_is(dated_root):
    result = subprocess.run([CLEANWIRE, "report", str(dated_root), "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    tree = lxml.html.fromstring((dated_root / "manifests" / f"run_date={NIGHTS[2]}" / "report.html").read_bytes())
    identity = {r[0].text_content(): r[1].text_content() for r in tree.xpath('//table[@class="identity"]/tr')}
    store = json.loads((dated_root.parent / "store" / "history.json").read_text())
    assert identity["run date"] == NIGHTS[2] and identity["run_id"] == NIGHTS[2]
    assert identity["history"] == f"{dated_root.parent / 'store'} (id {store['id']})"
    assert identity["committed before"].startswith("0 inputs")
    assert f"run of {NIGHTS[2]}" in tree.xpath("//header/p")[0].text_content()
    tags = {t.text_content() for t in tree.xpath('//span[@class="tag earlier"]')}
    assert tags and tags <= {f"run of {n}" for n in NIGHTS[:2]}
    # A single run's report has no such table.


# --- layout and small print ------------------------------------------------------------------------

def test_long_unbroken_values_wrap_instead_of_widening_the_page():
    html = render(_hostile_data())
    css = lxml.html.fromstring(html).xpath("//style")[0].text
    rules = dict(rule.split("{", 1) for rule in css.replace("\n", "").split("}") if "{" in rule)
    assert "overflow-wrap:anywhere" in rules["th,td"] and "overflow-wrap:anywhere" in rules["p.note"]


def test_dates_say_utc_and_a_record_links_to_its_file_with_the_offset():
    html = render(_hostile_data())
    assert "2020-01-02 UTC" in html
    assert document_href("/data/export.jsonl#offset=1234", None) == "file:///data/export.jsonl"
    doc = DocRef("f" * 32, "s", "/data/export.jsonl#offset=1234", None, None, None, 0)
    data = _hostile_data()
    data.samples = [SampleDocument(doc, "kept", 4, ["removed"], 1)]
    sample = lxml.html.fromstring(render(data)).xpath('//div[@class="sample"]/h3')[0]
    assert sample.xpath("a/@href") == ["file:///data/export.jsonl"]
    assert "export.jsonl#offset=1234 (record at byte 1,234)" in _text(sample)


def test_an_errors_only_run_shows_no_data_rather_than_empty_charts(undecodable_run):
    tree = lxml.html.fromstring(write_report(str(undecodable_run)).read_bytes())
    charts = tree.xpath('//*[local-name()="svg"]')
    assert len(charts) == 5
    for chart in charts:
        assert "no data" in chart.itertext() and not chart.xpath('.//*[local-name()="rect"]')
    headings = [h.text_content() for h in tree.xpath("//h3")]
    assert "The largest clusters" in headings and not [h for h in headings if " 0 " in h]


def test_report_help_gives_the_exit_statuses_and_what_replaces_the_page():
    result = subprocess.run([CLEANWIRE, "report", "--help"], capture_output=True, text=True)
    text = " ".join(result.stdout.split())
    assert "--output FILE" in text and "Exit status: 0 when the report was written; 2 with one line" in text
    assert "The next report of the same run replaces it, and a new run to OUT (or of the same date) removes it" in text
