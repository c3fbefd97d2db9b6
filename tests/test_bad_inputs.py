"""One run over the bad-input corpus (tests/data/bad): every input is a document or an
error row, exactly as tests/data/bad_expected.json says, and the run says so."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.clean_dedup import run
from tests.conftest import DATA

BAD = DATA / "bad"
EXPECTED = json.loads((DATA / "bad_expected.json").read_text())


def _write_huge(path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_bad_corpus", DATA / "make_bad_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_huge(path)


def _complete_gzip_lines(path: Path) -> int:
    """Lines that decompress whole from a cut gzip file (found with zlib alone)."""
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(path.read_bytes()).count(b"\n")


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    inputs = root / "in"
    shutil.copytree(BAD, inputs)
    _write_huge(inputs / "huge.txt")
    assert (inputs / "huge.txt").stat().st_size == 50 * 1024 * 1024
    (inputs / "moved_away.txt").symlink_to(root / "no-such-file.txt")
    status = run([str(inputs), "--output", str(root / "out"), "--fail-on-errors", "--log-format", "json"])
    return root, status


def _name(uri: str) -> str:
    return Path(uri.split("#", 1)[0]).name


def _by_marker(docs: list[dict]) -> dict[str, dict]:
    found = {}
    for doc in docs:
        marker = doc["text"].split("\n")[0].split(":")[0]
        if marker == doc["title"]:  # HTML pages start with their headline
            marker = doc["text"].split("\n\n")[1].split(":")[0]
        found.setdefault(marker.split(" (")[0], []).append(doc)  # "Gzip 7 (hash)" -> "Gzip 7"
    return found


def test_every_good_page_is_a_document_read_in_the_right_encoding(bad_run):
    root, _ = bad_run
    docs = pq.read_table(root / "out" / "documents").to_pylist()
    by_marker = _by_marker(docs)
    for expected in EXPECTED["documents"]:
        [doc] = by_marker.pop(expected["marker"])
        assert _name(doc["uri"]) == expected["file"], expected["marker"]
        assert doc["input_format"] == expected["input_format"]
        assert doc["encoding"] == expected["encoding"], expected["marker"]
        assert "\r" not in doc["text"] and "\ufffd" not in doc["text"]
        if "contains" in expected:
            assert expected["contains"] in doc["text"], expected["marker"]
        if "format" in expected or expected["input_format"] in ("text", "html"):  # cleaned as what it holds
            assert doc["format"] == expected.get("format", expected["input_format"]), expected["marker"]
        for key in ("title", "source", "url"):
            if key in expected:
                assert doc[key] == expected[key], (expected["marker"], key)
        if "published" in expected:
            assert doc["published"].isoformat() == expected["published"]
    gzipped = EXPECTED["truncated_gzip_jsonl"]
    rest = sorted(by_marker)
    assert rest == sorted(f"{gzipped['marker_prefix']}{k}" for k in range(1, len(rest) + 1))
    assert len(rest) == _complete_gzip_lines(BAD / gzipped["file"]) > 10  # no record before the cut is lost
    assert all(_name(d["uri"]) == gzipped["file"] for marker in rest for d in by_marker[marker])


def test_every_bad_input_is_one_error_row_with_a_reason(bad_run):
    root, _ = bad_run
    errors = pq.read_table(root / "out" / "errors").to_pylist()
    found = sorted((_name(e["uri"]), e["stage"], e["error_class"], e["input_format"]) for e in errors)
    expected = sorted((e["file"], e["stage"], e["error_class"], e["input_format"]) for e in EXPECTED["errors"])
    assert found == expected
    for error in errors:
        assert len(error["error"]) > 30  # a sentence a person can act on
    multi = [e["uri"] for e in errors if _name(e["uri"]) in ("crawl.warc.gz", "export.jsonl", "truncated.jsonl.gz")]
    assert all("#offset=" in uri for uri in multi)
    huge = next(e for e in errors if e["error_class"] == "DocumentTooLarge")
    assert "--max-document-bytes" in huge["error"]


def test_manifest_reconciles_inputs_per_format_and_the_run_says_what_happened(bad_run, capsys):
    root, status = bad_run
    assert status == 1  # --fail-on-errors, and there are error rows
    manifest = json.loads((root / "out" / "manifest.json").read_text())
    by_format = manifest["by_input_format"]
    assert set(by_format) == {"text", "html", "jsonl", "warc", "wet", "other"}
    for name, counts in by_format.items():
        assert counts["inputs"] == counts["documents"] + counts["errors"], name
    assert by_format["warc"] == {"inputs": 5, "documents": 4, "errors": 1}
    assert by_format["wet"] == {"inputs": 2, "documents": 2, "errors": 0}
    counts = manifest["counts"]
    assert counts["errors"] == len(EXPECTED["errors"])
    assert counts["inputs"] == counts["documents"] + counts["errors"]
    assert counts["skipped_records"] == 3  # the WARC's request, image and redirect records


def test_summary_line_and_exit_status(tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("crlf.txt", "empty.txt", "export.jsonl"):
        shutil.copy(BAD / name, inputs / name)
    assert run([str(inputs), "--output", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"cleanwire: 7 inputs -> 4 documents + 3 errors; wrote {tmp_path / 'a'}\n")
    assert "  jsonl: 5 inputs -> 3 documents + 2 errors" in out and "  text:  2 inputs -> 1 document + 1 error" in out
    assert run([str(inputs), "--output", str(tmp_path / "b"), "--fail-on-errors", "--quiet"]) == 1
    quiet = capsys.readouterr()  # one line says why the status is 1, even with --quiet
    assert quiet.out == "" and quiet.err == (f"cleanwire run: 3 inputs became error rows (see {tmp_path / 'b' / 'errors'}); "
                                             "exit status 1 (--fail-on-errors)\n")
    assert run([str(inputs / "crlf.txt"), "--output", str(tmp_path / "c"), "--fail-on-errors", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_split_files_give_the_same_rows_as_whole_files(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("crawl.warc.gz", "export.jsonl"):
        shutil.copy(BAD / name, inputs / name)
    tables = {}
    for split in ("0", "700"):
        out = tmp_path / f"split{split}"
        assert run([str(inputs), "--output", str(out), "--split-bytes", split, "--quiet"]) == 0
        tables[split] = {name: pq.read_table(out / name).drop_columns(["run_id"]) for name in ("documents", "errors")}
    assert tables["0"]["documents"].num_rows == 7
    for name in ("documents", "errors"):
        assert tables["700"][name].equals(tables["0"][name]), name


def test_many_error_rows_are_spread_over_files(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    names = ("empty.txt", "whitespace.txt", "binary.txt", "notes.pdf", "no_body.html", "all_script.html")
    for name in names:
        shutil.copy(BAD / name, inputs / name)
    out = tmp_path / "out"
    assert run([str(inputs), "--output", str(out), "--rows-per-file", "1", "--quiet"]) == 0
    files = sorted((out / "errors").glob("*.parquet"))
    assert 2 <= len(files) <= len(names)  # at most one file per row; all in one has odds of 1 in 7,776
    assert sorted(_name(uri) for uri in pq.read_table(out / "errors").column("uri").to_pylist()) == sorted(names)


def test_a_gzipped_page_over_the_limit_uncompressed_is_an_error_not_a_cut_page(tmp_path):
    import gzip

    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from cleanwire.params import ReadParams
    from transforms.read import InputSpec, ReadInputs

    page = ("The harbour board met on Monday to discuss the new cranes. " * 100).encode()  # 5,900 bytes
    (tmp_path / "big.txt.gz").write_bytes(gzip.compress(page, mtime=0))
    (tmp_path / "exact.txt.gz").write_bytes(gzip.compress(page[:4000], mtime=0))
    assert (tmp_path / "big.txt.gz").stat().st_size < 4000  # small compressed: only its content is too large
    with TestPipeline() as p:
        result = p | ReadInputs([InputSpec(str(tmp_path / "*.gz"), str(tmp_path))], ReadParams(max_document_bytes=4000))
        docs = result.documents | beam.Map(lambda d: (Path(d.uri).name, len(d.content)))
        errors = result.errors | beam.Map(lambda e: (Path(e.uri).name, e.stage, e.error_class))
        assert_that(docs, equal_to([("exact.txt.gz", 4000)]), label="docs")
        assert_that(errors, equal_to([("big.txt.gz", "read", "DocumentTooLarge")]), label="errors")


@pytest.mark.parametrize("split", [0, 2000, 700])
def test_a_jsonl_file_without_records_is_one_empty_row_however_it_is_split(tmp_path, split):
    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from cleanwire.params import ReadParams
    from transforms.read import InputSpec, ReadInputs

    # 5,000 blank lines (larger than the split, so read in ranges): it went missing from
    # the accounting, as only a file read in one range was checked for records.
    (tmp_path / "blank_big.jsonl").write_bytes(b"\n" * 5000)
    # Blank up to its last range, where one record starts: that range reads it.
    (tmp_path / "late.jsonl").write_bytes(b"\r\n" * 2400 + b'{"text": "The harbour board met on Monday."}\n')
    with TestPipeline() as p:
        result = p | ReadInputs([InputSpec(str(tmp_path / "*.jsonl"), str(tmp_path))], ReadParams(split_bytes=split))
        docs = result.documents | "Docs" >> beam.Map(lambda d: Path(d.uri.split("#")[0]).name)
        errors = result.errors | "Errors" >> beam.Map(lambda e: (Path(e.uri).name, e.error_class))
        assert_that(docs, equal_to(["late.jsonl"]), label="docs")
        assert_that(errors, equal_to([("blank_big.jsonl", "EmptyDocument")]), label="errors")


@pytest.mark.parametrize("pattern", ["scrape/2026-12-*", "scrape/**/2026-12-*"])
def test_a_quoted_glob_reads_the_files_its_shell_expansion_reads(tmp_path, pattern):
    import glob

    from pipelines.clean_dedup import resolve_inputs
    from transforms.read import local_matches

    # Nightly folders, as a scraper leaves them: a quoted glob skipped the matched folders
    # (reading nothing from them) while the shell's expansion names them and they are walked.
    for name in ("scrape/2026-12-01/bbc/a.txt", "scrape/2026-12-01/.hidden.txt", "scrape/2026-12-02/b.html",
                 "scrape/2026-11-30/old.txt", "scrape/2026-12-03.txt", "scrape/deep/2026-12-04/c.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("The harbour board met on Monday.\n")

    def read(inputs):
        return sorted(path for spec in resolve_inputs(inputs) for path, _ in local_matches(spec))

    quoted = read([str(tmp_path / pattern)])
    expanded = read(glob.glob(str(tmp_path / pattern), recursive=True))  # as bash (globstar) expands it
    assert quoted == expanded
    expected = {"scrape/2026-12-01/bbc/a.txt", "scrape/2026-12-01/.hidden.txt", "scrape/2026-12-02/b.html",
                "scrape/2026-12-03.txt"} | ({"scrape/deep/2026-12-04/c.txt"} if "**" in pattern else set())
    assert quoted == sorted(str(tmp_path / name) for name in expected)


@pytest.mark.parametrize("name", ["page.txt", "export.jsonl", "crawl.warc.gz"])
def test_a_file_removed_after_it_was_listed_is_a_missing_input_row(tmp_path, name):
    from cleanwire.params import ReadParams
    from transforms.read import _ReadFile, _ReadTask

    # Listed (it has a size), then removed before the worker opens it, as a scraper's
    # clean-up does during a run.
    shutil.copy(BAD / "crlf.txt", tmp_path / name)
    task = _ReadTask(str(tmp_path / name), str(tmp_path), (tmp_path / name).stat().st_size)
    (tmp_path / name).unlink()
    reader = _ReadFile(ReadParams())
    reader.setup()
    [row] = [output.value for output in reader.process(task)]
    assert (row.uri, row.error_class) == (str(tmp_path / name), "MissingInput")
    assert "removed after the run started" in row.error
