"""Scheduled runs with a history store: nightly batches give what one run over all of
them gives, re-runs change nothing, a killed run leaves everything as it was, and the
multi-run dataset reads the same in DuckDB, pandas and Polars."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from benchmarks.make_corpus import generate
from pipelines.clean_dedup import run
from pipelines.history import HistoryError, check_commit, load_log, plan_run, prune
from pipelines.history import main as history_main
from pipelines.progress import stage_name
from schemas import SCHEMA_VERSION, SCHEMAS

NIGHTS = ("2026-11-20", "2026-11-21", "2026-11-22")
# Recurring-line counts are per run (see the README), so the comparison with one run
# over everything switches that step off; everything else runs with its defaults.
# Small output files, so that runs span several blocks and history roots fall in other
# blocks than their members.
OPTIONS = ["--recurring-min-docs", "1000000", "--rows-per-file", "16", "--quiet"]
_DATE_LINE = re.compile(r"^(\d{4}-\d\d-\d\d)")


def _dated_corpus(root: Path) -> None:
    """A generated corpus under ROOT/<source>/, its undated pages left out (canonical
    order puts undated pages last, which no nightly split can reproduce)."""
    generated = root.parent / "generated"
    generate(120, 7, str(generated))
    for path in sorted((generated / "text").rglob("*.txt")):
        if any(_DATE_LINE.match(line.strip()) for line in path.read_text().splitlines()[:6]):
            target = root / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


def _split_nights(whole: Path) -> list[list[str]]:
    """The documents of the run over everything, split in three nights by publication
    day: each night's stories come after the previous night's, as in a nightly scrape.
    The cut days are days on which a republication of an earlier day's story appears, so
    that some duplicates span nights."""
    documents = duckdb.sql(
        f"select uri, published::date as day from read_parquet('{whole}/documents/*.parquet') order by day, uri"
    ).fetchall()
    crossing = sorted(day for (day,) in duckdb.sql(
        f"select distinct d.published::date from read_parquet('{whole}/documents/*.parquet') d "
        f"join read_parquet('{whole}/documents/*.parquet') c on d.duplicate_of = c.doc_id "
        "where d.published::date > c.published::date"
    ).fetchall())
    days = [day for _, day in documents]
    first = next(day for day in crossing if day >= days[len(days) // 3])
    second = next(day for day in crossing if day >= days[2 * len(days) // 3] and day > first)
    nights: list[list[str]] = [[], [], []]
    for uri, day in documents:
        nights[(day >= first) + (day >= second)].append(uri)
    return nights


def _night_patterns(root: Path, uris: list[str]) -> list[str]:
    # One pattern per file, with the source directory as a wildcard: the uri and the
    # source (the directory below ROOT) are the same as in the run over ROOT.
    return [str(root / "*" / Path(uri).name) for uri in uris]


def _run_night(runs: Path, k: int, out: Path, history: Path) -> None:
    patterns = _night_patterns(runs / "inputs", json.loads((runs / "nights.json").read_text())[k - 1])
    assert run([*patterns, "--output", str(out), "--history", str(history), "--run-date", NIGHTS[k - 1], *OPTIONS]) == 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    _dated_corpus(root / "inputs")
    assert run([str(root / "inputs"), "--output", str(root / "whole"), *OPTIONS]) == 0
    nights = _split_nights(root / "whole")
    assert all(nights)
    (root / "nights.json").write_text(json.dumps(nights))
    for k in range(1, len(NIGHTS) + 1):
        _run_night(root, k, root / "dataset", root / "store")
    return root


def _clusters(out: Path, pattern: str) -> dict[str, frozenset]:
    """Each cluster as its id and the set of its passages, canonical included (an
    earlier run's canonical row cannot know of members found later; members name it)."""
    rows = duckdb.sql(
        f"select doc_id, passage_idx, cluster_id, canonical_doc_id, canonical_passage_idx "
        f"from read_parquet('{out}/passages/{pattern}', hive_partitioning = true) where canonical_doc_id is not null"
    ).fetchall()
    clusters: dict[str, set] = {}
    for doc_id, idx, cluster, canonical_doc, canonical_idx in rows:
        clusters.setdefault(cluster, {(canonical_doc, canonical_idx)}).add((doc_id, idx))
    return {cluster: frozenset(members) for cluster, members in clusters.items()}


def _documents(out: Path, pattern: str) -> list[tuple]:
    return duckdb.sql(
        f"select doc_id, duplicate_of, canonical_rank from read_parquet('{out}/documents/{pattern}', hive_partitioning = true) "
        "order by doc_id"
    ).fetchall()


def test_nightly_runs_with_history_find_what_one_run_finds(runs):
    whole, nightly = _clusters(runs / "whole", "*.parquet"), _clusters(runs / "dataset", "**/*.parquet")
    assert nightly == whole
    assert _documents(runs / "dataset", "**/*.parquet") == _documents(runs / "whole", "*.parquet")
    # The comparison means something: clusters and duplicates span nights.
    spanning = duckdb.sql(
        f"select count(*) from read_parquet('{runs}/dataset/passages/**/*.parquet', hive_partitioning = true) m "
        f"join read_parquet('{runs}/dataset/passages/**/*.parquet', hive_partitioning = true) c "
        "on m.canonical_doc_id = c.doc_id and m.canonical_passage_idx = c.passage_idx where m.run_id > c.run_id"
    ).fetchall()[0][0]
    assert spanning > 50
    across = duckdb.sql(
        f"select count(*) from read_parquet('{runs}/dataset/documents/**/*.parquet', hive_partitioning = true) d "
        f"join read_parquet('{runs}/dataset/documents/**/*.parquet', hive_partitioning = true) c "
        "on d.duplicate_of = c.doc_id where d.run_id > c.run_id"
    ).fetchall()[0][0]
    assert across > 0
    stages = {stage for path in (runs / "dataset" / "manifests").rglob("manifest.json") for stage in json.loads(path.read_text())["stages"]}
    assert "history" in stages and [stage for stage in stages if stage_name(stage) == stage] == []


def _digests(directory: Path) -> dict[str, str]:
    """File name (run directory suffixes dropped) -> content digest, for every Parquet file."""
    return {
        re.sub(r"(run_date=[0-9-]+)\.[0-9a-f]+", r"\1", str(path.relative_to(directory))): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*.parquet"))
    }


def _log_runs(store: Path) -> list[dict]:
    return [{k: v for k, v in entry.items() if k not in ("dir", "committed")} for entry in load_log(str(store))["runs"]]


def test_rerunning_a_night_changes_nothing(runs):
    dataset, store = runs / "dataset", runs / "store"
    before = (_digests(dataset), _digests(store), _log_runs(store))
    _run_night(runs, 2, dataset, store)
    assert (_digests(dataset), _digests(store), _log_runs(store)) == before
    assert [entry["run_id"] for entry in load_log(str(store))["runs"]] == list(NIGHTS)


def test_a_run_killed_midway_leaves_history_and_partitions_intact(runs, tmp_path):
    dataset, store = tmp_path / "dataset", tmp_path / "store"
    for k in (1, 2):
        _run_night(runs, k, dataset, store)
    before = (_digests(dataset), _digests(store), (store / "history.json").read_bytes())
    third = _night_patterns(runs / "inputs", json.loads((runs / "nights.json").read_text())[2])
    command = [sys.executable, "-m", "pipelines.clean_dedup", *third, "--output", str(dataset),
               "--history", str(store), "--run-date", NIGHTS[2], *OPTIONS]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[1])
    # Kill it as soon as the write stage has written its first files.
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if list(tmp_path.glob("dataset.cleanwire-staging-*/documents/*.parquet")):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    assert process.wait() == -signal.SIGKILL, "the run finished before it could be killed in its write stage"
    assert (_digests(dataset), (store / "history.json").read_bytes()) == (before[0], before[2])
    assert {k: v for k, v in _digests(store).items() if "2026-11-22" not in k} == before[1]
    assert not (dataset / "documents" / f"run_date={NIGHTS[2]}").exists()
    _run_night(runs, 3, dataset, store)  # the next run succeeds, and finds what the first one did
    assert _clusters(dataset, "**/*.parquet") == _clusters(runs / "dataset", "**/*.parquet")
    assert [entry["run_id"] for entry in load_log(str(store))["runs"]] == list(NIGHTS)


def test_a_run_that_cannot_publish_or_commit_leaves_dataset_and_history_as_they_were(runs, tmp_path, monkeypatch, capsys):
    import pipelines.history
    import pipelines.output

    dataset, store = tmp_path / "dataset", tmp_path / "store"
    shutil.copytree(runs / "dataset", dataset)
    shutil.copytree(runs / "store", store)
    before = (_digests(dataset), (store / "history.json").read_bytes())
    rename = pipelines.output.os.rename

    def pairs_cannot_be_replaced(source, target):
        if "pairs/run_date=" in str(target) and "staging" in str(source):
            raise PermissionError(1, "Operation not permitted", str(target))
        return rename(source, target)

    exchange = pipelines.output.exchange

    def pairs_cannot_be_swapped(first, second):
        if "pairs/run_date=" in str(second) and "staging" in str(first):
            raise PermissionError(1, "Operation not permitted", str(second))
        return exchange(first, second)

    # Re-running the last night: documents and passages are swapped in, pairs fails.
    monkeypatch.setattr(pipelines.output.os, "rename", pairs_cannot_be_replaced)
    monkeypatch.setattr(pipelines.output, "exchange", pairs_cannot_be_swapped)
    last = _night_patterns(runs / "inputs", json.loads((runs / "nights.json").read_text())[2])
    assert run([*last, "--output", str(dataset), "--history", str(store), "--run-date", NIGHTS[2], *OPTIONS]) == 3
    assert "nothing was published, the previous output is unchanged" in capsys.readouterr().err
    monkeypatch.setattr(pipelines.output.os, "rename", rename)
    monkeypatch.setattr(pipelines.output, "exchange", exchange)
    assert (_digests(dataset), (store / "history.json").read_bytes()) == before

    # A new night whose history cannot be recorded: its partition is taken back.
    def log_cannot_be_written(history, log):
        raise PermissionError(1, "Operation not permitted", history)

    monkeypatch.setattr(pipelines.history, "_write_log", log_cannot_be_written)
    assert run([*last, "--output", str(dataset), "--history", str(store), "--run-date", "2026-11-23", *OPTIONS]) == 3
    assert "its outputs were taken back" in capsys.readouterr().err
    assert (_digests(dataset), (store / "history.json").read_bytes()) == before
    assert not list(dataset.rglob("run_date=2026-11-23")) and not list(dataset.rglob(".previous-*"))
    assert not list(tmp_path.glob("dataset.cleanwire-*"))


def test_analytics_tools_read_the_multi_run_dataset_alike(runs):
    import pandas as pd
    import polars as pl

    dataset = runs / "dataset"
    for table in SCHEMAS:
        pattern = f"{dataset}/{table}/**/*.parquet"
        in_duckdb = duckdb.sql(f"select * from read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)")
        in_pandas = pd.read_parquet(dataset / table)
        in_polars = pl.scan_parquet(pattern, hive_partitioning=True).collect()
        rows = duckdb.sql(f"select count(*) from read_parquet('{pattern}')").fetchall()[0][0]
        assert len(in_duckdb.fetchall()) == len(in_pandas) == in_polars.height == rows
        assert set(in_pandas["run_id"]) <= set(NIGHTS) and in_pandas["run_id"].notna().all()
    documents = pd.read_parquet(dataset / "documents")
    assert str(documents["published"].dtype) == "datetime64[us, UTC]"
    removed = [list(lines) for lines in documents["boilerplate"] if len(lines)]
    assert removed and all(isinstance(line, str) for lines in removed for line in lines)
    assert documents["text"].map(type).eq(str).all()
    polars_documents = pl.scan_parquet(f"{dataset}/documents/**/*.parquet", hive_partitioning=True).collect()
    assert polars_documents.schema["published"] == pl.Datetime("us", "UTC")
    assert polars_documents.schema["boilerplate"] == pl.List(pl.String) and polars_documents.schema["text"] == pl.String
    described = {row[0]: row[1] for row in duckdb.sql(f"describe select * from read_parquet('{dataset}/documents/**/*.parquet', hive_partitioning = true)").fetchall()}
    assert described["published"] == "TIMESTAMP WITH TIME ZONE" and described["boilerplate"] == "VARCHAR[]"
    # Every file says which schema version wrote it.
    for path in dataset.rglob("*.parquet"):
        assert pq.read_schema(path).metadata[b"cleanwire.schema_version"] == SCHEMA_VERSION.encode()


def test_an_older_partition_stays_readable_when_columns_are_added(runs, tmp_path):
    dataset = tmp_path / "dataset"
    shutil.copytree(runs / "dataset", dataset)
    # Rewrite the first night as a writer from before the canonical_* columns would have.
    for path in (dataset / "passages" / f"run_date={NIGHTS[0]}").glob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["canonical_doc_id", "canonical_passage_idx"]), path)
    rows = duckdb.sql(
        f"select run_id, count(canonical_doc_id) from read_parquet('{dataset}/passages/**/*.parquet', "
        "hive_partitioning = true, union_by_name = true) group by run_id order by run_id"
    ).fetchall()
    assert [run_id for run_id, _ in rows] == list(NIGHTS) and rows[0][1] == 0 and rows[2][1] > 0
    # pandas and Polars, given the newest schema as the README says.
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    newest = SCHEMAS["passages"]
    in_pandas = pd.read_parquet(dataset / "passages", schema=newest.append(pa.field("run_date", pa.string())))
    in_polars = pl.scan_parquet(f"{dataset}/passages/**/*.parquet", hive_partitioning=True,
                                schema=pl.from_arrow(newest.empty_table()).schema, missing_columns="insert").collect()
    total = duckdb.sql(f"select count(*) from read_parquet('{dataset}/passages/**/*.parquet', union_by_name = true)").fetchall()[0][0]
    for frame in (in_pandas, in_polars):
        assert len(frame) == total and {"canonical_doc_id", "run_date"} <= set(frame.columns)
    assert in_pandas["canonical_doc_id"].notna().sum() == in_polars["canonical_doc_id"].is_not_null().sum() == sum(n for _, n in rows)


def test_the_readme_cluster_view_gives_every_cluster_its_canonical_across_runs(runs):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    view = readme.split("CREATE VIEW clustered AS", 1)[1].split('"""', 1)[0]
    con = duckdb.connect()
    con.sql("CREATE VIEW clustered AS " + view.replace("{root}", str(runs / "dataset")))
    by_cluster = con.sql(
        "select cluster_id, count(*), count(*) filter (where is_canonical) from clustered "
        "where cluster_id is not null group by 1").fetchall()
    assert by_cluster and all(size > 1 and canonicals == 1 for _, size, canonicals in by_cluster)
    # Some canonicals are earlier runs' rows with a null cluster_id there: the view is needed.
    raw = con.sql("select count(*) from clustered c join read_parquet("
                  f"'{runs}/dataset/passages/**/*.parquet', hive_partitioning = true) p using (doc_id, passage_idx) "
                  "where p.cluster_id is null and c.cluster_id is not null").fetchall()[0][0]
    assert raw > 0
    assert {cluster for cluster, _, _ in by_cluster} == set(_clusters(runs / "dataset", "**/*.parquet"))


def test_history_refuses_other_matching_parameters_and_earlier_dates(runs, tmp_path, capsys):
    store = tmp_path / "store"
    shutil.copytree(runs / "store", store)
    night = _night_patterns(runs / "inputs", json.loads((runs / "nights.json").read_text())[0])
    assert run([*night, "--output", str(tmp_path / "a"), "--history", str(store), "--run-date", "2026-11-23", "--ngram", "4", "-q"]) == 2
    assert "run with the history's options" in capsys.readouterr().err
    assert run([*night, "--output", str(tmp_path / "b"), "--history", str(store), "--run-date", "2026-11-19", "-q"]) == 2
    assert "already holds runs after 2026-11-19" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_prune_drops_old_runs_and_their_files(runs, tmp_path, capsys):
    store = tmp_path / "store"
    shutil.copytree(runs / "store", store)
    (store / "runs" / "run_date=2026-11-22.deadbeef").mkdir()  # left by a killed run
    (store / "history.json.0badf00d.tmp").write_text("{")  # a log being written when its run was killed
    assert prune(str(store), "1d", today=date(2026, 11, 22)) == ["2026-11-20"]
    assert sorted(p.name for p in store.iterdir()) == ["history.json", "runs"]
    log = load_log(str(store))
    assert [entry["run_id"] for entry in log["runs"]] == ["2026-11-21", "2026-11-22"]
    assert sorted(p.name.split(".")[0] for p in (store / "runs").iterdir()) == ["run_date=2026-11-21", "run_date=2026-11-22"]
    with pytest.raises(HistoryError):
        prune(str(store), "ninety days")
    # The command does the same, and says what it did.
    assert history_main(["prune", str(store), "--older-than", "0d", "--today", "2026-11-22"]) == 0
    assert "dropped 1 run(s): 2026-11-21; 1 kept" in capsys.readouterr().out
    # A run after the prune still starts after the pruned history's end.
    assert log["runs"][-1]["end_rank"] == json.loads((runs / "store" / "history.json").read_text())["runs"][-1]["end_rank"]


def test_ranks_continue_after_runs_pruned_away(runs, tmp_path):
    store, dataset = tmp_path / "store", tmp_path / "dataset"
    shutil.copytree(runs / "store", store)
    end = load_log(str(store))["runs"][-1]["end_rank"]
    assert prune(str(store), "0d", today=date(2026, 12, 31)) == list(NIGHTS)
    assert load_log(str(store))["runs"] == []
    night = _night_patterns(runs / "inputs", json.loads((runs / "nights.json").read_text())[0])
    assert run([*night, "--output", str(dataset), "--history", str(store), "--run-date", "2027-01-01", *OPTIONS]) == 0
    ranks = duckdb.sql(f"select min(canonical_rank) from read_parquet('{dataset}/documents/**/*.parquet')").fetchall()
    assert ranks[0][0] == end  # not 0: earlier partitions of the dataset still hold ranks below it
    assert load_log(str(store))["end_rank"] == end + len(night)


def test_a_run_refuses_to_commit_when_another_run_changed_the_history_meanwhile(runs, tmp_path):
    from cleanwire.params import DedupParams
    from pipelines import history

    store = tmp_path / "store"
    shutil.copytree(runs / "store", store)
    params = DedupParams()
    slow = plan_run(str(store), "2026-11-24", params)  # two jobs start from the same history
    fast = plan_run(str(store), "2026-11-23", params)
    check_commit(slow, 10)
    log = load_log(str(store))
    log["runs"].append({"run_id": fast.run_id, "first_rank": fast.base, "end_rank": fast.base + 5, "documents": 5,
                        "dir": "runs/run_date=2026-11-23.0", "files": []})
    history._write_log(str(store), log)  # the other job commits first
    with pytest.raises(HistoryError, match="another run changed the history"):
        check_commit(slow, 10)


def test_files_an_earlier_run_committed_are_set_aside_not_matched_against_themselves(runs, tmp_path, capsys):
    from pipelines.clean_dedup import SEEDS_DIR

    dataset, store = tmp_path / "dataset", tmp_path / "store"
    shutil.copytree(runs / "dataset", dataset)
    shutil.copytree(runs / "store", store)
    night = _night_patterns(runs / "inputs", json.loads((runs / "nights.json").read_text())[0])
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(sorted(SEEDS_DIR.glob("*.txt"))[0], fresh / "new-story.txt")
    # An accumulating scrape folder: the first night's files again, and one new file.
    assert run([*night, str(fresh), "--output", str(dataset), "--history", str(store), "--run-date", "2026-11-23",
                "--recurring-min-docs", "1000000", "--rows-per-file", "16"]) == 0
    assert f"-> 1 document + 0 errors + {len(night)} committed by earlier runs" in capsys.readouterr().out
    manifest = json.loads((dataset / "manifests" / "run_date=2026-11-23" / "manifest.json").read_text())
    assert manifest["counts"]["committed_before"] == len(night)
    assert manifest["by_input_format"]["text"] == {
        "inputs": len(night) + 1, "documents": 1, "errors": 0, "committed_before": len(night)}
    ids = duckdb.sql(f"select doc_id, count(*) from read_parquet('{dataset}/documents/**/*.parquet') group by doc_id "
                     "having count(*) > 1").fetchall()
    assert ids == []  # every document once in the dataset root
    selves = duckdb.sql(f"select count(*) from read_parquet('{dataset}/pairs/**/*.parquet') where doc_id_a = doc_id_b")
    assert selves.fetchall()[0][0] == 0
    # A night with nothing new is a run of no documents, not a failure.
    assert run([*night, "--output", str(dataset), "--history", str(store), "--run-date", "2026-11-24", "-q"]) == 0
    counts = json.loads((dataset / "manifests" / "run_date=2026-11-24" / "manifest.json").read_text())["counts"]
    assert (counts["documents"], counts["committed_before"]) == (0, len(night))
    assert load_log(str(store))["runs"][-1]["documents"] == 0


def test_rerunning_an_earlier_night_with_other_documents_is_refused(runs, tmp_path, capsys):
    from pipelines.clean_dedup import SEEDS_DIR

    dataset, store = tmp_path / "dataset", tmp_path / "store"
    shutil.copytree(runs / "dataset", dataset)
    shutil.copytree(runs / "store", store)
    before = (_digests(dataset), (store / "history.json").read_bytes())
    night = _night_patterns(runs / "inputs", json.loads((runs / "nights.json").read_text())[0])
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(sorted(SEEDS_DIR.glob("*.txt"))[0], other / "swapped.txt")
    # As many documents as the first night had, one of them another: later nights link to the old ones.
    assert run([*night[1:], str(other), "--output", str(dataset), "--history", str(store), "--run-date", NIGHTS[0],
                *OPTIONS]) == 2
    assert "this re-run's documents differ from those committed" in capsys.readouterr().err
    assert (_digests(dataset), (store / "history.json").read_bytes()) == before


def test_a_dataset_root_takes_runs_of_its_own_history_only(runs, tmp_path, capsys):
    inputs = str(runs / "inputs")

    def refused(*argv) -> str:
        assert run([inputs, *argv, *OPTIONS]) == 2
        return capsys.readouterr().err

    for other, ours in (([], "this run has no --history"), (["--history", str(tmp_path / "other")], "does not hold that run")):
        err = refused("--output", str(runs / "dataset"), "--run-date", "2026-11-23", *other)
        assert f"--history {runs / 'store'}" in err and ours in err and "share one history" in err
    assert not (runs / "dataset" / "manifests" / "run_date=2026-11-23").exists() and not (tmp_path / "other").exists()
    # The dataset and its history moved together still go on.
    shutil.copytree(runs / "dataset", tmp_path / "dataset")
    shutil.copytree(runs / "store", tmp_path / "store")
    assert run([*_night_patterns(runs / "inputs", json.loads((runs / "nights.json").read_text())[2]),
                "--output", str(tmp_path / "dataset"), "--history", str(tmp_path / "store"), "--run-date", NIGHTS[2],
                *OPTIONS]) == 0
    # A root of runs without a history takes more of them, and refuses a history run.
    plain = tmp_path / "plain"
    for night in NIGHTS[:2]:
        assert run([inputs, "--output", str(plain), "--run-date", night, *OPTIONS]) == 0
    assert "made with no --history" in refused("--output", str(plain), "--run-date", NIGHTS[2], "--history", str(tmp_path / "s"))


def test_a_run_with_other_matching_options_is_told_which_differ(runs):
    from cleanwire.params import DedupParams

    with pytest.raises(HistoryError) as refused:
        plan_run(str(runs / "store"), "2026-11-23", DedupParams(ngram=4, min_words=5, passage_bands_rows=(12, 2)))
    message = str(refused.value)
    assert "ngram: history 3, this run 4" in message and "passage-bands: history 24x2, this run 12x2" in message
    assert "seed" not in message and "{" not in message


def test_a_rerun_followed_by_later_runs_says_how_its_documents_differ(runs):
    from cleanwire.params import DedupParams

    first_night = plan_run(str(runs / "store"), NIGHTS[0], DedupParams())  # two later runs link to it
    committed = first_night.replaces["documents"]
    with pytest.raises(HistoryError, match=f"it has {committed + 1:,} documents, the committed run {committed:,}"):
        check_commit(first_night, committed + 1)
    with pytest.raises(HistoryError, match=f"same number of documents \\({committed:,}\\), but not the same"):
        check_commit(first_night, committed, "0" * 32)
