"""The command line as a user meets it: help, bad usage, the module entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.clean_dedup import parse_args
from pipelines.clean_dedup import SEEDS_DIR


def _usage_error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_no_match_names_the_input(capsys, tmp_path):
    err = _usage_error(capsys, [str(tmp_path / "nothing" / "*.txt"), "-o", str(tmp_path / "out")])
    assert "matches no file" in err and "nothing" in err


def test_unknown_option_is_rejected(capsys, tmp_path):
    err = _usage_error(capsys, [str(SEEDS_DIR), "-o", str(tmp_path / "out"), "--bogus-option", "1"])
    assert "--bogus-option" in err


def test_output_that_is_a_file_is_rejected(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    assert "is a file" in _usage_error(capsys, [str(SEEDS_DIR), "-o", str(target)])


def test_output_with_foreign_files_is_not_overwritten(capsys, tmp_path):
    (tmp_path / "keep.txt").write_text("precious")
    assert "not a cleanwire output" in _usage_error(capsys, [str(SEEDS_DIR), "-o", str(tmp_path)])


def test_bad_parameter_value_names_the_option(capsys, tmp_path):
    out = str(tmp_path / "o")
    assert "--passage-jaccard must be in (0, 1]" in _usage_error(capsys, [str(SEEDS_DIR), "-o", out, "--passage-jaccard", "1.5"])
    assert "--min-words (5) must be at least --ngram (6)" in _usage_error(
        capsys, [str(SEEDS_DIR), "-o", out, "--ngram", "6", "--min-words", "5"])


@pytest.mark.parametrize("option, value", [("--ngram", "0"), ("--ngram", "9"), ("--containment-min-shingles", "-1")])
def test_values_the_pipeline_cannot_use_are_refused_before_it_starts(capsys, tmp_path, option, value):
    err = _usage_error(capsys, [str(SEEDS_DIR), "-o", str(tmp_path / "o"), "--min-words", "20", option, value])
    assert err.count("\n") == 1 and option in err


def test_an_output_that_cannot_be_written_is_a_usage_error(capsys, tmp_path):
    from pipelines.clean_dedup import run

    assert run([str(SEEDS_DIR / "*.txt"), "-o", "/proc/cleanwire-cannot-write-here"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--output /proc/cleanwire-cannot-write-here" in err


def test_beam_options_pass_through_with_separate_values(tmp_path):
    config, beam_argv = parse_args([str(SEEDS_DIR), "--runner", "DirectRunner", "-o", str(tmp_path / "o"), "--direct_num_workers=2"])
    assert beam_argv == ["--runner", "DirectRunner", "--direct_num_workers=2"]
    assert len(config.inputs) == 1 and config.output == str(tmp_path / "o")


def test_default_input_is_the_bundled_seeds(tmp_path):
    config, _ = parse_args(["-o", str(tmp_path / "o")])
    assert config.inputs[0].pattern == str(SEEDS_DIR / "*.txt")


def test_help_explains_every_option():
    result = subprocess.run([sys.executable, "-m", "pipelines.clean_dedup", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for option in ("--output", "--ngram", "--num-perm", "--passage-containment", "--doc-jaccard", "--partition-size", "--runner"):
        assert option in result.stdout
    assert result.stderr == ""  # not even Beam's import-time notice about BigQuery clients


@pytest.mark.parametrize("through_a_link", [False, True])
def test_an_output_inside_the_input_directory_is_not_read_back(tmp_path, through_a_link):
    import json
    import shutil

    from pipelines.clean_dedup import run

    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in sorted(SEEDS_DIR.glob("*.txt")):
        shutil.copy(seed, inputs / seed.name)
    named = inputs
    if through_a_link:  # the input reaches the output by another path
        named = tmp_path / "link"
        named.symlink_to(inputs)
    for _ in range(2):  # the second run finds the first run's output inside its input directory
        assert run([str(named), "-o", str(inputs / "out"), "--quiet"]) == 0
        counts = json.loads((inputs / "out" / "manifest.json").read_text())["counts"]
        assert (counts["inputs"], counts["documents"], counts["errors"]) == (2, 2, 0)


def test_an_output_inside_the_input_directory_is_not_read_back_through_a_glob(tmp_path):
    # The glob reaches the output by another path (a link to the input directory), so
    # only the real path tells that what it matches is the run's own output.
    import json
    import shutil

    from pipelines.clean_dedup import run

    inputs = tmp_path / "in"
    (inputs / "site").mkdir(parents=True)
    for seed in sorted(SEEDS_DIR.glob("*.txt")):
        shutil.copy(seed, inputs / "site" / seed.name)
    (tmp_path / "link").symlink_to(inputs)
    for _ in range(2):  # the second run's glob matches the first run's manifest and tables
        assert run([str(tmp_path / "link" / "*" / "*"), "-o", str(inputs / "out"), "--quiet"]) == 0
        counts = json.loads((inputs / "out" / "manifest.json").read_text())["counts"]
        assert (counts["inputs"], counts["documents"], counts["errors"]) == (2, 2, 0)


def test_version_is_the_installed_one():
    from importlib.metadata import version

    exe = Path(sys.executable).with_name("cleanwire")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, f"cleanwire {version('cleanwire')}\n")


def test_a_run_leaves_nothing_in_the_temporary_directory(tmp_path, monkeypatch):
    import tempfile

    from pipelines.clean_dedup import run

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (temp / f"cleanwire-run-{gone.pid}-abc" / "beam-temp").mkdir(parents=True)  # what a killed run leaves
    (temp / f"cleanwire-run-{os.getpid()}-def").mkdir()  # a live run's (this process)
    assert run([str(SEEDS_DIR / "*.txt"), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    # Beam's local runner alone leaves three directories here.
    assert [p.name for p in temp.iterdir()] == [f"cleanwire-run-{os.getpid()}-def"]
    assert tempfile.gettempdir() == str(temp)


def test_cleanwire_command_runs_the_seeds_folder(tmp_path):
    exe = Path(sys.executable).with_name("cleanwire")  # the folder holds the articles and nothing else
    result = subprocess.run([str(exe), "run", str(SEEDS_DIR), "--output", str(tmp_path / "out")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "2 inputs -> 2 documents + 0 errors" in result.stdout
    assert (tmp_path / "out" / "manifest.json").exists()


def test_a_quiet_run_on_worker_processes_prints_nothing(tmp_path):
    exe = Path(sys.executable).with_name("cleanwire")
    result = subprocess.run(
        [str(exe), "run", str(SEEDS_DIR / "*.txt"), "--output", str(tmp_path / "out"), "--quiet",
         "--direct_running_mode=multi_processing", "--direct_num_workers=2"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize("signum, status, what, mode", [
    (2, 130, "interrupted", "multi_processing"), (15, 143, "terminated", "multi_processing"),
    (2, 130, "interrupted", "in_memory"),  # the stages run in the process that gets the signal
])
def test_ctrl_c_or_sigterm_publishes_nothing_and_says_so_in_one_line(tmp_path, signum, status, what, mode):
    import os
    import shutil
    import signal

    exe = Path(sys.executable).with_name("cleanwire")
    inputs = tmp_path / "in"
    inputs.mkdir()
    seed = sorted(SEEDS_DIR.glob("*.txt"))[0].read_text(encoding="utf-8")
    for k in range(3000):  # enough work to be interrupted while the workers run
        (inputs / f"{k:04d}.txt").write_text(f"Copy {k}.\n\n{seed}", encoding="utf-8")
    out = tmp_path / "out"
    subprocess.run([str(exe), "run", str(SEEDS_DIR / "*.txt"), "--output", str(out), "--quiet"], check=True)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    run = subprocess.Popen(
        [str(exe), "run", str(inputs), "--output", str(out), f"--direct_running_mode={mode}",
         *(["--direct_num_workers=2"] if mode == "multi_processing" else [])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    for line in run.stderr:  # progress lines; interrupt once the workers are cleaning
        if "cleaning" in line:
            break
    if signum == signal.SIGINT:
        os.killpg(run.pid, signum)  # what the terminal sends to the whole process group
    else:
        run.send_signal(signum)  # what a scheduler sends to the process it started
    _, err = run.communicate(timeout=120)
    assert run.returncode == status
    assert err.splitlines()[-1] == f"cleanwire run: {what}; nothing was published (OUT is unchanged)"
    assert "Traceback" not in err
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert not list(tmp_path.glob("out.cleanwire-*"))
    shutil.rmtree(inputs)


# The packages of the test extra, which a user's installation (``pip install .``) lacks.
_TEST_ONLY = ("pandas", "polars", "duckdb", "hypothesis", "pytest")
_RUN_WITHOUT_TEST_ONLY = """
import sys

class _Missing:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Missing())
from pipelines.cli import main
sys.argv = ["cleanwire", *sys.argv[1:]]
main()
"""


def test_the_main_command_needs_no_package_of_the_test_extra(tmp_path):
    # The README's main command installs cleanwire without its test extra: a run must
    # not import pandas or the other test-only packages (pyarrow's to_pandas_dtype once did).
    code = _RUN_WITHOUT_TEST_ONLY.format(blocked=set(_TEST_ONLY))
    result = subprocess.run(
        [sys.executable, "-c", code, "run", str(SEEDS_DIR / "*.txt"), "--output", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "manifest.json").exists()


def test_exit_after_run_keeps_the_status_and_everything_printed():
    # The process leaves without finalising the interpreter: what was printed or logged
    # must still come out, and the status must be the run's.
    code = ("import logging, sys\nfrom pipelines.cli import exit_after_run\n"
            "print('summary line', end='')\nprint('to stderr', file=sys.stderr)\n"
            "logging.basicConfig(stream=sys.stderr)\nlogging.getLogger('x').error('logged')\nexit_after_run(3)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert result.stdout == "summary line"
    assert "to stderr" in result.stderr and "logged" in result.stderr


def test_a_remote_output_is_checked_like_a_local_one(monkeypatch):
    from types import SimpleNamespace

    from pipelines import output

    objects = {"gs://bucket/precious/data.csv"}

    def exists(path):
        return path in objects

    def match(patterns, limits=None):
        prefix = patterns[0].removesuffix("**")
        return [SimpleNamespace(metadata_list=[SimpleNamespace(path=p) for p in sorted(objects) if p.startswith(prefix)])]

    monkeypatch.setattr(output.FileSystems, "exists", exists)
    monkeypatch.setattr(output.FileSystems, "match", match)
    with pytest.raises(output.OutputError, match="not a cleanwire output"):
        output.check_output("gs://bucket/precious")
    output.check_output("gs://bucket/new")  # nothing there
    objects.add("gs://bucket/earlier/manifest.json")
    output.check_output("gs://bucket/earlier")  # a previous cleanwire output is replaced
    with pytest.raises(output.OutputError, match="local or mounted paths only"):
        output.check_output("gs://bucket/new", partitioned=True)


@pytest.mark.parametrize("runner", ["DataflowRunner", "dataflow"])  # Beam accepts both
def test_a_local_output_with_dataflow_is_refused_before_the_job_starts(capsys, tmp_path, runner):
    err = _usage_error(capsys, [str(SEEDS_DIR), "-o", str(tmp_path / "o"), "--runner", runner])
    assert "is a local path" in err and "DataflowRunner" in err and "gs://" in err


@pytest.mark.parametrize("inputs", [[], ["SEEDS"]])
def test_local_inputs_with_dataflow_are_refused_before_the_job_starts(capsys, inputs):
    err = _usage_error(capsys, [str(SEEDS_DIR) if given == "SEEDS" else given for given in inputs]
                       + ["-o", "gs://bucket/out", "--runner", "DataflowRunner"])
    assert ("is a local path" if inputs else "the bundled seeds") in err and "/**" not in err
    assert "cannot read" in err and "gs://BUCKET" in err


def test_an_unreachable_remote_input_is_a_one_line_usage_error(capsys, monkeypatch, tmp_path):
    from pipelines import clean_dedup

    def unreachable(patterns, limits=None):
        raise RuntimeError("GCP dependencies are not installed\nsecond line")

    monkeypatch.setattr(clean_dedup.FileSystems, "match", unreachable)
    err = _usage_error(capsys, ["gs://bucket/scrape/**", "-o", str(tmp_path / "o")])
    assert "cannot list input 'gs://bucket/scrape/**' (GCP dependencies are not installed; check the path" in err
    assert "apache-beam[gcp]" in err and "second line" not in err


def test_a_relative_output_is_made_absolute_for_workers_elsewhere(tmp_path, monkeypatch):
    from pipelines.clean_dedup import parse_args

    monkeypatch.chdir(tmp_path)
    config, _ = parse_args([str(SEEDS_DIR), "-o", "runs/./today"])
    assert config.output == str(tmp_path / "runs" / "today")


def test_a_killed_runs_staging_directory_is_removed_by_the_next_run_and_one_run_at_a_time_writes(tmp_path, capsys):
    from pipelines import output
    from pipelines.clean_dedup import run

    out = tmp_path / "out"
    abandoned = tmp_path / "out.cleanwire-staging-0123456789ab"
    (abandoned / "documents").mkdir(parents=True)
    assert run([str(SEEDS_DIR / "*.txt"), "-o", str(out), "--quiet"]) == 0
    assert not abandoned.exists()
    assert sorted(p.name for p in out.iterdir()) == ["documents", "errors", "manifest.json", "pairs", "passages"]
    lock = output.lock_output(str(out))  # a run writing OUT right now
    try:
        (abandoned / "documents").mkdir(parents=True)
        assert run([str(SEEDS_DIR / "*.txt"), "-o", str(out), "--quiet"]) == 2
        assert "another cleanwire run is writing --output" in capsys.readouterr().err
        assert abandoned.exists()  # the running job's directory is never touched
    finally:
        output.release_output(str(out), lock)
    assert run([str(SEEDS_DIR / "*.txt"), "-o", str(out), "--quiet"]) == 0 and not abandoned.exists()
    assert not list(tmp_path.glob("out.cleanwire-*"))


@pytest.mark.parametrize("argv, message", [
    (["report", "OUT", "--top", "0"], "argument --top: must be at least 1, got 0"),
    (["report", "OUT", "--run-date", "2026-02-30"], "argument --run-date: expected a date such as 2026-11-22"),
    (["history", "prune", "DIR", "--older-than", "9d", "--today", "today"], "argument --today: expected a date"),
    (["run", "seeds", "-o", "OUT", "--rows-per-file", "ten"], "argument --rows-per-file: expected a whole number"),
])
def test_every_command_refuses_a_bad_value_in_one_line_naming_the_option(argv, message):
    exe = Path(sys.executable).with_name("cleanwire")
    result = subprocess.run([str(exe), *argv], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr and "--help" in result.stderr


def test_files_named_one_by_one_take_their_sources_as_the_quoted_glob_does(tmp_path):
    from pipelines.clean_dedup import resolve_inputs
    from transforms.read import source_for

    for outlet in ("herald", "observer"):
        (tmp_path / "text" / outlet).mkdir(parents=True)
        for k in range(2):
            (tmp_path / "text" / outlet / f"{k}.txt").write_text("a story")
    listed = sorted(str(p) for p in (tmp_path / "text").glob("*/*.txt"))  # what the shell passes for text/*/*.txt
    specs = resolve_inputs(listed)
    assert [source_for(spec.pattern, spec.root) for spec in specs] == ["herald", "herald", "observer", "observer"]
    [glob_spec] = resolve_inputs([str(tmp_path / "text" / "*" / "*.txt")])
    assert {source_for(path, glob_spec.root) for path in listed} == {"herald", "observer"}
    # Files of one folder are each their own source, as the seeds are.
    assert [source_for(s.pattern, s.root) for s in resolve_inputs(listed[:2])] == ["0", "1"]


def test_an_input_that_is_the_output_or_inside_it_is_refused(capsys, tmp_path):
    from pipelines.clean_dedup import run

    out = tmp_path / "out"
    assert run([str(SEEDS_DIR), "-o", str(out), "--quiet"]) == 0
    (tmp_path / "link").symlink_to(out)
    for given in (out, out / "documents", tmp_path / "link"):
        err = _usage_error(capsys, [str(given), "-o", str(out)])
        assert "is the output directory --output" in err and "another --output" in err
    assert (out / "manifest.json").exists()


def test_the_output_path_is_normalised_a_link_is_followed_and_the_current_directory_refused(capsys, tmp_path, monkeypatch):
    from pipelines.clean_dedup import run

    (tmp_path / "real").mkdir()
    (tmp_path / "current").symlink_to(tmp_path / "real" / "out")
    assert run([str(SEEDS_DIR), "-o", str(tmp_path / "current"), "--quiet"]) == 0
    assert (tmp_path / "current").is_symlink() and (tmp_path / "real" / "out" / "manifest.json").exists()
    assert run([str(SEEDS_DIR), "-o", f"{tmp_path / 'real' / 'out'}/.", "--quiet"]) == 0  # replaces it like "out"
    monkeypatch.chdir(tmp_path)
    assert "is the current directory" in _usage_error(capsys, [str(SEEDS_DIR), "-o", "."])


def test_a_distributed_job_that_cannot_start_ends_in_one_line(tmp_path, capsys):
    from pipelines.clean_dedup import run

    # Nothing listens on port 1: the portable runner's job service never answers.
    status = run([str(SEEDS_DIR), "-o", str(tmp_path / "o"), "-q", "--runner", "PortableRunner",
                  "--job_endpoint", "localhost:1", "--job_server_timeout", "1"])
    err = capsys.readouterr().err
    assert status == 3 and err.count("\n") == 1
    assert "the PortableRunner job failed (FutureTimeoutError: no answer in time" in err and "--verbose" in err
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob("o.cleanwire-staging-*"))


def test_bands_that_need_more_permutations_than_there_are_say_how_many(capsys):
    err = _usage_error(capsys, [str(SEEDS_DIR), "-o", "out/x", "--passage-bands", "17x3"])
    assert "--passage-bands 17x3 uses 51 permutations" in err and "--num-perm (48)" in err
