"""The cleanwire pipeline: read, clean, rank, sign, find candidates, verify, cluster,
assemble, write.

Run it as ``cleanwire run INPUT... --output OUT`` or
``python -m pipelines.clean_dedup INPUT... --output OUT``; any Apache Beam pipeline
option (``--runner``, ``--direct_num_workers``, ...) passes through.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import re
import sys
import time
import zlib
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import apache_beam as beam
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

import cleanwire
from cleanwire.params import CleanParams, DedupParams, ReadParams
from cleanwire.readers.jsonl import FIELDS, parse_fields
from pipelines import history, memory, output, progress
from pipelines.cli import hold_signals, signal_received
from pipelines.usage import OneLineErrors, iso_date, positive_int
from pipelines.direct_runner import (
    avoid_data_plane_stalls, private_temp_dir, runner_name, runs_locally, send_inputs_in_chunks, worker_environment,
)
from schemas import SCHEMA_VERSION, run_partition
from transforms.assemble import AssembleRecords
from transforms.clean import CleanDocuments
from transforms.copies import ALIASES, CANDIDATES, FindExactCopies, PassageEntries
from transforms.history import COMMITTED, ReadHistoryEntries, RunKeys, SkipCommittedDocuments
from transforms.cluster import ClusterLinks
from transforms.lsh import FindCandidates
from transforms.rank import RankDocuments
from transforms.recurring import TOTALS, RemoveRecurringLines
from transforms.read import InputSpec, ReadInputs, local_matches
from transforms.signatures import COPIES, DOCUMENT, PASSAGE, SignPassages
from transforms.sources import SOURCES_FILE, SourceTotals
from transforms.staging import StagePartitions
from transforms.stats import NAMESPACE
from transforms.verify import VerifyCandidates
from transforms.write import WriteTables, table_chunk

__all__ = ["SEEDS_DIR", "RunConfig", "build", "build_parser", "main", "parse_args", "run"]

_GLOB = re.compile(r"[*?\[]")

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
"""The bundled seed articles, the default input: data files only (no ``__init__.py``, so
``cleanwire run seeds`` reads nothing but articles), installed beside this package."""


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs besides the Beam options."""

    inputs: list[InputSpec]
    output: str
    params: DedupParams = field(default_factory=DedupParams)
    clean: CleanParams = field(default_factory=CleanParams)
    read: ReadParams = field(default_factory=ReadParams)
    fail_on_errors: bool = False
    partition_size: int = 1_000
    max_partitions: int = 1_024
    rows_per_file: int = 5_000
    quiet: bool = False
    verbose: bool = False
    run_date: str | None = None
    history: str | None = None
    log_format: str = "text"


class UsageError(Exception):
    """A problem with the command line; the message names it and the fix."""


# --- command line ------------------------------------------------------------------

def _bands_rows(value: str) -> tuple[int, int]:
    try:
        bands, rows = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected BANDSxROWS such as 17x2, got {value!r}") from None
    return bands, rows


def build_parser(prog: str = "cleanwire run") -> argparse.ArgumentParser:
    """The parser of cleanwire's own options (Beam's pass through), its help naming
    each option's default."""
    defaults = DedupParams()
    clean_defaults = CleanParams()
    parser = OneLineErrors(
        prog=prog,
        description="Strip boilerplate from scraped articles, find near-duplicate documents and "
        "passages across sources with MinHash, and write Parquet datasets to OUT: documents/, "
        "passages/, pairs/, errors/ and manifest.json.",
        epilog="Any Apache Beam pipeline option is accepted as well, for example --runner "
        "(default DirectRunner), --direct_num_workers=2 --direct_running_mode=multi_processing "
        "(use both cores locally), or the options of DataflowRunner, FlinkRunner and SparkRunner. "
        "Exit status: 0 published; 1 published with error rows under --fail-on-errors; 2 bad usage; "
        "3 the run failed (nothing published); 130/143 stopped by Ctrl-C/SIGTERM.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "inputs", nargs="*", metavar="INPUT",
        help="files, directories (read recursively, hidden files included) or glob patterns (a name that "
        "exists is taken as it is). One page per file: .txt/.text (scraped text), .html/.htm, and the same with .gz. "
        "Many pages per file: .warc/.warc.gz and .wet/.wet.gz (response and conversion records), "
        ".jsonl/.ndjson and the same with .gz (one JSON object per line). A .txt page that starts with <!DOCTYPE html> or "
        "<html is cleaned as HTML, an .html page without tags as text. Other files become error rows. "
        "Default: the bundled seed articles.",
    )
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output directory, new or empty or a previous cleanwire output; replaced atomically "
                        "when the run succeeds; never read as input, even inside an input directory")
    read_defaults = ReadParams()
    reading = parser.add_argument_group("reading and limits (see the README's Inputs)")
    reading.add_argument("--max-document-bytes", type=int, default=read_defaults.max_document_bytes, metavar="N",
                         help="a file or record larger than this is an error row (DocumentTooLarge) and is not "
                         "read (default %(default)s, 10 MB)")
    reading.add_argument("--max-line-chars", type=int, default=read_defaults.max_line_chars, metavar="N",
                         help="plain-text lines longer than this are broken at a space; nothing is dropped "
                         "(default %(default)s)")
    reading.add_argument("--split-bytes", type=int, default=read_defaults.split_bytes, metavar="N",
                         help="JSONL and gzipped WARC/WET files larger than this are read in ranges of this size "
                         "by several workers; 0: never split (default %(default)s, 64 MB)")
    reading.add_argument("--jsonl-fields", default="", metavar="FIELD=KEY,...",
                         help=f"JSON keys of the JSONL fields where they differ from the field names "
                         f"({', '.join(FIELDS)}), e.g. text=body,url=link; a dotted KEY (html=page.html) names a nested value; "
                         "a record needs text or html")
    reading.add_argument("--fail-on-errors", action="store_true",
                         help="exit with status 1 when any error row was written (the output is still published), "
                         "so a scheduler notices bad inputs")
    clean = parser.add_argument_group("cleaning (see the README for why each default)")
    clean.add_argument("--recurring-min-docs", type=int, default=clean_defaults.recurring_min_docs,
                       help="a line is boilerplate of its source when at least this many of the source's documents "
                       "contain it (default %(default)s), together with --recurring-min-share")
    clean.add_argument("--recurring-min-share", type=float, default=clean_defaults.recurring_min_share,
                       help="and a line must also be in at least this share of the source's documents "
                       "(default %(default)s)")
    match = parser.add_argument_group("matching (see the README for why each default)")
    match.add_argument("--ngram", type=int, default=defaults.ngram, help="words per shingle (default %(default)s)")
    match.add_argument("--num-perm", type=int, default=defaults.num_perm,
                       help="MinHash permutations datasketch may use when it picks bands x rows; signatures hold only "
                       "the ones the bands use (default %(default)s)")
    match.add_argument("--seed", type=int, default=defaults.seed, help="permutation seed (default %(default)s)")
    match.add_argument("--min-words", type=int, default=defaults.min_words,
                       help="shortest passage that is matched, in words; at least --ngram (default %(default)s)")
    match.add_argument("--passage-lsh-threshold", type=float, default=defaults.passage_lsh_threshold,
                       help="Jaccard threshold for which datasketch picks the passages' bands x rows: lower finds more "
                       "candidates (verification then decides) (default %(default)s)")
    match.add_argument("--passage-min-band-hits", type=int, default=defaults.passage_min_band_hits,
                       help="bands two passages must share to be compared (default %(default)s)")
    match.add_argument("--passage-jaccard", type=float, default=defaults.passage_jaccard,
                       help="exact Jaccard similarity that links two passages (default %(default)s)")
    match.add_argument("--passage-containment", type=float, default=defaults.passage_containment,
                       help="share of the smaller passage found in the larger that links them (default %(default)s)")
    match.add_argument("--containment-min-shingles", type=int, default=defaults.containment_min_shingles,
                       help="shingles the smaller passage needs for a containment link (default %(default)s)")
    match.add_argument("--doc-lsh-threshold", type=float, default=defaults.doc_lsh_threshold,
                       help="Jaccard threshold for which datasketch picks the documents' bands x rows (default %(default)s)")
    match.add_argument("--doc-min-band-hits", type=int, default=defaults.doc_min_band_hits,
                       help="bands two documents must share to be compared (default %(default)s)")
    match.add_argument("--doc-jaccard", type=float, default=defaults.doc_jaccard,
                       help="exact Jaccard similarity that makes a document a near-duplicate (default %(default)s)")
    match.add_argument("--passage-bands", type=_bands_rows, metavar="BxR",
                       help="explicit bands x rows for passages, e.g. 17x2 (default: datasketch's choice for the threshold)")
    match.add_argument("--doc-bands", type=_bands_rows, metavar="BxR",
                       help="explicit bands x rows for documents (default: datasketch's choice for the threshold)")
    match.add_argument("--bucket-cap", type=int, default=defaults.bucket_cap,
                       help="bucket size beyond which only the earliest member is paired with the rest (default %(default)s)")
    scale = parser.add_argument_group("scale")
    scale.add_argument("--partition-size", type=positive_int, default=1_000, metavar="N",
                       help="documents per work unit: a run of D documents is split into ceil(D / N) range "
                       "partitions (at most --max-partitions) "
                       "and as many shards of keys, pairs and links (default %(default)s)")
    scale.add_argument("--max-partitions", type=positive_int, default=1_024, metavar="N",
                       help="the most partitions a run is split into; beyond it partitions hold more documents "
                       "each (default %(default)s)")
    scale.add_argument("--rows-per-file", type=positive_int, default=5_000, metavar="N",
                       help="documents per output file of documents/ and passages/ (a block's passages go to "
                       "the file with the same number), and error rows per file of errors/ (default %(default)s)")
    runs = parser.add_argument_group("scheduled runs (see the README's Scheduled runs)")
    runs.add_argument("--history", metavar="DIR",
                      help="match against everything earlier runs committed to the history store DIR, and add this "
                      "run to it when the run succeeds; implies --run-date (default today, UTC)")
    runs.add_argument("--run-date", metavar="YYYY-MM-DD", type=iso_date,
                      help="date of this run: OUT becomes a dataset root shared by all runs, each run writing "
                      "TABLE/run_date=YYYY-MM-DD/ with a run_id column (a re-run of a date replaces its partition)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show Apache Beam's own log messages, and the traceback of a failed distributed job")
    progress.add_options(parser)
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its options here
        if action.option_strings and action.metavar is None and action.type in (int, float):
            action.metavar = "N" if action.type is int else "X"
    return parser


def _beam_parser() -> argparse.ArgumentParser:
    """A parser that knows every Beam pipeline option (so ``--runner X`` is one option)."""
    try:
        from apache_beam.options.pipeline_options import _BeamArgumentParser as parser_class
    except ImportError:  # pragma: no cover - older Beam
        parser_class = argparse.ArgumentParser
    parser = parser_class(allow_abbrev=False, add_help=False)
    for cls in {str(c): c for c in PipelineOptions.__subclasses__()}.values():
        cls._add_argparse_args(parser)  # noqa: SLF001 - Beam's own way to collect its options
    return parser


def _split_beam_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Separate Beam's options from cleanwire's: ``(cleanwire_argv, beam_argv)``."""
    if any(arg in ("-h", "--help") for arg in argv):
        return argv, []
    _, rest = _beam_parser().parse_known_args(argv)
    beam_argv, remaining = [], list(rest)
    for arg in argv:
        if remaining and arg == remaining[0]:
            remaining.pop(0)
        else:
            beam_argv.append(arg)
    return list(rest), beam_argv


def resolve_inputs(inputs: list[str]) -> list[InputSpec]:
    """Turn command-line inputs into match patterns; raise ``UsageError`` for an input
    that matches nothing.

    Files named one by one count as named from their common directory (the root that
    sources derive from), so ``c/text/*/*.txt`` expanded by the shell gives the sources
    the quoted glob gives: each outlet's folder, not each file."""
    if not inputs:
        inputs = [str(SEEDS_DIR / "*.txt")]
    named_files = [os.path.abspath(given) for given in inputs
                   if output.is_local(given) and os.path.lexists(given) and not os.path.isdir(given)]
    files_root = os.path.commonpath([os.path.dirname(path) for path in named_files]) if named_files else ""
    specs = []
    for given in inputs:
        local = output.is_local(given)
        path = os.path.abspath(given) if local else given
        literal = local and os.path.lexists(path)  # a name that exists is never a glob: "page[1].txt"
        if literal and os.path.isdir(path):
            spec = InputSpec(os.path.join(path, "**"), path, literal=True)
        elif literal:
            spec = InputSpec(path, files_root, literal=True)
        elif _GLOB.search(path):
            spec = InputSpec(path, path[: _GLOB.search(path).start()].rsplit("/", 1)[0])
        else:
            spec = InputSpec(path, path.rsplit("/", 1)[0])
        if local:
            found = next(local_matches(spec), None) is not None
        else:
            try:
                found = bool(FileSystems.match([spec.pattern], limits=[1])[0].metadata_list)
            except Exception as exc:  # noqa: BLE001 - any file system's error: no client, no network, no access
                raise UsageError(f"cannot list input {given!r} ({output.file_system_hint(exc)})") from exc
        if not found and literal:
            raise UsageError(f"input {given!r} is a directory without files; check the path")
        if not found:
            raise UsageError(f"input {given!r} matches no file; check the path, or quote a glob pattern")
        specs.append(spec)
    return specs


def _output_path(given: str) -> str:
    """``--output`` as the run writes it: a local path made absolute and normalised
    (``out/.`` is ``out``) and, when it is a symbolic link, the directory it points to (publishing replaces the
    directory, not the link).  Raises ``UsageError`` for the current directory or the
    root, which a run cannot replace."""
    if not output.is_local(given):
        return given
    path = os.path.abspath(given)  # workers of a portable runner may run in another directory
    if os.path.islink(path):
        path = os.path.realpath(path)
    if os.path.abspath(path) in (os.getcwd(), os.path.abspath(os.sep)):
        raise UsageError(f"--output {given} is the current directory (or /), which a run cannot replace; "
                         "give a new directory, e.g. --output out/run")
    return path


def _check_not_reading_the_output(config: RunConfig) -> None:
    """Refuse an input that is the output directory or lies inside it (an output inside
    an input directory is fine: it is left out of the inputs)."""
    if not output.is_local(config.output):
        return
    out = os.path.realpath(config.output)
    for spec in config.inputs:
        if not output.is_local(spec.pattern):
            continue
        named = spec.pattern.removesuffix("/**") if spec.literal else spec.root
        real = os.path.realpath(named)
        if real == out or real.startswith(out.rstrip("/") + "/"):
            raise UsageError(f"input {named} is the output directory --output {config.output} or lies inside it; "
                             "give the scraped files as input, and another --output")


def _as_options(message: str, parser: argparse.ArgumentParser) -> str:
    """``message`` with each parameter named as the option that sets it
    (``passage_jaccard`` becomes ``--passage-jaccard``)."""
    options = {action.dest: action.option_strings[-1] for action in parser._actions if action.option_strings}  # noqa: SLF001
    parameters = {f.name for f in fields(DedupParams)} | {f.name for f in fields(CleanParams)}
    parameters |= {name.removesuffix("_rows") for name in parameters}  # passage_bands_rows is --passage-bands
    names = sorted(parameters & options.keys(), key=len, reverse=True)
    return re.sub(rf"(?<![-\w])({'|'.join(names)})(?!\w)", lambda m: options[m.group(1)], message)


def parse_args(argv: list[str] | None = None, prog: str = "cleanwire run") -> tuple[RunConfig, list[str]]:
    """Parse the command line once: ``(RunConfig, Beam arguments)``.  Exits with
    status 2 and a one-line message on bad usage."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(prog)
    own_argv, beam_argv = _split_beam_args(argv)
    args = parser.parse_args(own_argv)
    # Remote file systems (hdfs://, s3://) take their settings from the pipeline options:
    # the inputs and the output are checked before any pipeline exists.
    beam_options = PipelineOptions(beam_argv)
    FileSystems.set_options(beam_options)
    try:
        params = DedupParams(
            ngram=args.ngram, num_perm=args.num_perm, seed=args.seed, min_words=args.min_words,
            passage_lsh_threshold=args.passage_lsh_threshold, passage_jaccard=args.passage_jaccard,
            passage_containment=args.passage_containment, containment_min_shingles=args.containment_min_shingles,
            doc_lsh_threshold=args.doc_lsh_threshold, doc_jaccard=args.doc_jaccard, bucket_cap=args.bucket_cap,
            passage_bands_rows=args.passage_bands, doc_bands_rows=args.doc_bands,
            passage_min_band_hits=args.passage_min_band_hits, doc_min_band_hits=args.doc_min_band_hits,
        )
        clean = CleanParams(
            recurring_min_docs=args.recurring_min_docs, recurring_min_share=args.recurring_min_share,
        )
        read = ReadParams(
            max_document_bytes=args.max_document_bytes, max_line_chars=args.max_line_chars,
            split_bytes=args.split_bytes,
            jsonl_fields=tuple((k, v) for k, v in parse_fields(args.jsonl_fields).items() if k != v),
        )
        config = RunConfig(
            inputs=resolve_inputs(args.inputs), output=_output_path(args.output), params=params, clean=clean, read=read,
            fail_on_errors=args.fail_on_errors,
            partition_size=args.partition_size, max_partitions=args.max_partitions, rows_per_file=args.rows_per_file,
            quiet=args.quiet, verbose=args.verbose, log_format=args.log_format, history=args.history,
            run_date=args.run_date or (datetime.now(timezone.utc).date().isoformat() if args.history else None),
        )
        runner = runner_name(beam_options)
        if runner in ("DataflowRunner", "TestDataflowRunner") and output.is_local(config.output):
            raise output.OutputError(
                f"--output {config.output} is a local path, which {runner}'s workers cannot write to; "
                "give a bucket path such as gs://BUCKET/cleanwire")
        local_inputs = [given for given in args.inputs or [str(SEEDS_DIR)] if output.is_local(given)]
        if runner in ("DataflowRunner", "TestDataflowRunner") and local_inputs:
            what = f"input {local_inputs[0]} is a local path" if args.inputs else "without inputs, the bundled seeds are"
            raise UsageError(f"{what} on this machine, which {runner}'s workers cannot read; copy the inputs to a "
                             "bucket and give gs://BUCKET/... paths")
        output.check_output(config.output, partitioned=config.run_date is not None)
        _check_not_reading_the_output(config)
    except (ValueError, UsageError, output.OutputError) as exc:
        parser.error(_as_options(str(exc), parser))
    return config, beam_argv


# --- pipeline ----------------------------------------------------------------------

def _error_chunk(error, errors: int, rows_per_file: int):
    """The row of ``error`` keyed by its output file: ``errors / rows_per_file`` files
    (one for most runs), chosen by a hash of the uri, so that no worker holds them all."""
    columns = {"uri": [error.uri], "stage": [error.stage], "error_class": [error.error_class], "error": [error.error],
               "input_format": [error.input_format]}
    files = max(1, -(-errors // rows_per_file))
    return ("errors", zlib.crc32(error.uri.encode("utf-8", "surrogatepass")) % files), table_chunk("errors", columns, [0])


def build(pipeline: beam.Pipeline, config: RunConfig, staging: str, plan: history.HistoryPlan | None = None) -> None:
    """Add the cleanwire stages to ``pipeline``, writing into ``staging``; with a
    history ``plan``, match against the history and write the run's history rows."""
    params = config.params
    run_id = config.run_date
    read = pipeline | "Read" >> ReadInputs(config.inputs, config.read, exclude=output.own_paths(config.output))
    raws = read.documents
    if plan and plan.files:
        raws = raws | "SkipCommitted" >> SkipCommittedDocuments(plan.files)
    extracted = raws | "Clean" >> CleanDocuments(config.read.max_line_chars)
    cleaned = extracted.documents | "Recurring" >> RemoveRecurringLines(config.clean)
    {"totals": cleaned[TOTALS], "recurring": cleaned["recurring"]} | "SourceTotals" >> SourceTotals(staging)
    batches, index = cleaned["documents"] | "Rank" >> RankDocuments(
        config.partition_size, config.max_partitions, plan.base if plan else 0, plan.files if plan else (),
        keyed_by=extracted.documents)
    signed = batches | "Sign" >> SignPassages(params, index)
    staged = signed.batches | "Stage" >> StagePartitions(staging)
    copies = signed[COPIES] | "ExactCopies" >> FindExactCopies(index)
    passage_entries = {"staged": staged, "aliases": copies[ALIASES]} | "PassageEntries" >> PassageEntries(
        params, staging, index)
    entries = {PASSAGE: passage_entries, DOCUMENT: signed[DOCUMENT]}
    if plan and plan.files:
        run_keys = {level: entries[level] | f"{level.title()}Keys" >> RunKeys() for level in entries}
        earlier = pipeline | "History" >> ReadHistoryEntries(params, plan.files, index, run_keys)
        entries = {level: (entries[level], earlier[level]) | f"With{level.title()}History" >> beam.Flatten() for level in entries}
    requests = (
        entries[PASSAGE] | "PassageCandidates" >> FindCandidates(PASSAGE, params.bucket_cap, params.passage_min_band_hits, index),
        entries[DOCUMENT] | "DocumentCandidates" >> FindCandidates(DOCUMENT, params.bucket_cap, params.doc_min_band_hits, index),
        copies[CANDIDATES],
    ) | "AllCandidates" >> beam.Flatten()
    links = requests | "Verify" >> VerifyCandidates(params, staging, index, staged, run_id)
    passage_links, document_links = links | "ByLevel" >> beam.Partition(
        lambda links, _: 0 if links.level == PASSAGE else 1, 2
    )
    later = plan is not None
    {
        PASSAGE: passage_links | "ClusterPassages" >> ClusterLinks(PASSAGE, config.rows_per_file, index, later),
        DOCUMENT: document_links | "ClusterDocuments" >> ClusterLinks(DOCUMENT, config.rows_per_file, index, later),
    } | "Assemble" >> AssembleRecords(staging, config.rows_per_file, index, staged, run_id, history=later)
    errors = (read.errors, extracted.errors, cleaned["errors"]) | "AllErrors" >> beam.Flatten()
    error_count = errors | "CountErrors" >> beam.combiners.Count.Globally()
    rows = errors | "ErrorRows" >> beam.Map(_error_chunk, beam.pvalue.AsSingleton(error_count), config.rows_per_file)
    rows | "WriteErrors" >> WriteTables(staging, run_id)


# --- run ---------------------------------------------------------------------------

def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "cleanwire": cleanwire.__version__}
    for package in ("apache-beam", "trafilatura", "datasketch", "pyarrow", "numpy", "lxml"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _stage_stats(result) -> dict[str, dict[str, float]]:
    stats: dict[str, dict[str, float]] = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        stage, _, what = counter.key.metric.name.partition(".")
        value = counter.committed if counter.committed is not None else counter.attempted
        entry = stats.setdefault(stage, {})
        entry[what] = entry.get(what, 0) + value
    for entry in stats.values():
        if "cpu_us" in entry:
            entry["cpu_seconds"] = round(entry.pop("cpu_us") / 1e6, 3)
    return dict(sorted(stats.items()))


class IncompleteOutputError(RuntimeError):
    """The files written do not hold every row the pipeline produced."""


def inputs_by_format(stages: dict) -> dict[str, int]:
    """Inputs the read stage saw, per input format (a single-page file, or a record of
    a multi-record file, is one input)."""
    read = stages.get("read", {})
    return {name[len("inputs_"):]: int(n) for name, n in sorted(read.items()) if name.startswith("inputs_")}


def _rows_by_format(paths: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in paths:
        with FileSystems.open(path) as handle:
            column = pq.read_table(handle, columns=["input_format"]).column("input_format")
        for entry in pc.value_counts(column).to_pylist():
            counts[entry["values"]] = counts.get(entry["values"], 0) + entry["counts"]
    return counts


def accounting(stages: dict, files: dict) -> dict[str, dict[str, int]]:
    """Per input format: inputs seen, document rows and error rows written, and (with
    a history) inputs set aside because an earlier run committed them."""
    documents, errors = _rows_by_format(files["documents"]), _rows_by_format(files["errors"])
    inputs = inputs_by_format(stages)
    committed = {name[len("inputs_"):]: int(n) for name, n in stages.get(COMMITTED, {}).items() if name.startswith("inputs_")}
    return {
        name: {"inputs": inputs.get(name, 0), "documents": documents.get(name, 0), "errors": errors.get(name, 0),
               **({"committed_before": committed.get(name, 0)} if committed else {})}
        for name in sorted(set(inputs) | set(documents) | set(errors))
    }


_DOCUMENT_STAGES = ("clean", "recurring", "rank", "sign", "stage", "assemble")


def _row_count(path: str) -> int:
    with FileSystems.open(path) as handle:  # Beam's file systems: gs://, s3:// with the run's options
        return pq.read_metadata(handle).num_rows


def _reconcile(stages: dict, files: dict) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Check that every input became a document row or an error row, per input format,
    and that the files hold every document and passage produced; return the row counts
    and the accounting per input format."""
    rows = {name: sum(_row_count(path) for path in paths) for name, paths in files.items()}
    by_format = accounting(stages, files)
    problems = [
        f"{name}: {n['inputs']} inputs but {n['documents']} document rows and {n['errors']} error rows"
        for name, n in by_format.items() if n["inputs"] != n["documents"] + n["errors"] + n.get("committed_before", 0)
    ]
    passages = int(stages.get("sign", {}).get("passages", 0))
    if rows["passages"] != passages:
        problems.append(f"{passages} passages produced but {rows['passages']} written")
    pairs = int(stages.get("verify", {}).get("pairs_rows", 0))
    if rows["pairs"] != pairs:
        problems.append(f"{pairs} verified pairs but {rows['pairs']} written")
    if problems:
        # Where documents went missing: each stage's count of the documents it handled.
        trail = ", ".join(
            f"{stage} {int(stages[stage]['documents'])}" for stage in _DOCUMENT_STAGES
            if "documents" in stages.get(stage, {})
        )
        raise IncompleteOutputError(
            "the output is incomplete (" + "; ".join(problems) + f"; documents per stage: {trail}); nothing was published. "
            "This is a bug or a runner failure: please report it with the command line."
        )
    return rows, by_format


def _manifest(
    config: RunConfig, beam_argv: list[str], stages: dict, files: dict, sources: dict, started: datetime, wall: float,
    plan: history.HistoryPlan | None = None, by_format: dict | None = None,
) -> dict:
    counts = {
        "inputs": sum(inputs_by_format(stages).values()),
        "files": int(stages.get("read", {}).get("files", 0)),
        "skipped_records": int(stages.get("read", {}).get("skipped_records", 0)),
        "documents": int(stages.get("assemble", {}).get("documents", 0)),
        "errors": int(sum(stages.get(stage, {}).get("errors", 0) for stage in ("read", "clean", "recurring"))),
        "committed_before": int(stages.get(COMMITTED, {}).get("documents", 0)),
        "passages": int(stages.get("sign", {}).get("passages", 0)),
        "duplicate_documents": int(stages.get("assemble", {}).get("duplicate_documents", 0)),
        "duplicate_passages": int(stages.get("assemble", {}).get("duplicate_passages", 0)),
        # Links found by LSH and links of exact copies to their representative (transforms.copies).
        "passage_links": int(sum(stages.get("verify", {}).get(name, 0) for name in ("passage_links", "copy_links"))),
        "document_links": int(stages.get("verify", {}).get("document_links", 0)),
        "sources": int(sources.get("count", 0)),
    }
    return {
        "cleanwire_version": cleanwire.__version__,
        "schema_version": SCHEMA_VERSION,
        "started": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
        "inputs": [spec.pattern for spec in config.inputs],
        "beam_options": beam_argv,
        "parameters": {
            **config.read.describe(),
            **config.clean.describe(),
            **config.params.describe(),
            "partition_size": config.partition_size, "max_partitions": config.max_partitions,
            "rows_per_file": config.rows_per_file,
        },
        "counts": counts,
        "by_input_format": by_format if by_format is not None else accounting(stages, files),
        "stages": stages,
        "sources": sources.get("listed", {}),
        "tables": {name: [os.path.basename(p) for p in paths] for name, paths in files.items()},
        "run": {
            "run_id": config.run_date,
            "history": None if plan is None else {
                "dir": plan.history, "id": plan.history_id, "first_rank": plan.base, "files_matched": len(plan.files),
                "documents_matched": plan.documents,
                "replaces_committed_run": plan.replaces is not None,
            },
        },
        "versions": _versions(),
    }


FAILED = 3  # exit status of a run that failed and published nothing (1 is --fail-on-errors')


class _Stop(Exception):
    """A run that ends with one line on stderr and an exit status (its message says
    what, if anything, was published)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _quiet_beam(config: RunConfig, beam_argv: list[str]) -> list[str]:
    """Beam logs routine progress and warnings about its own internals; keep the
    terminal for cleanwire's summary unless ``--verbose``."""
    if config.verbose:
        return beam_argv
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    if any(arg.startswith("--default_sdk_harness_log_level") for arg in beam_argv):
        return beam_argv
    return [*beam_argv, "--default_sdk_harness_log_level=ERROR"]


def _execute(config: RunConfig, options: PipelineOptions, staging: str, plan: history.HistoryPlan | None,
             reporter: progress.Reporter):
    """Build and run the pipeline into ``staging``, showing progress; return the result.
    On Beam's local runner, with its set-up (see ``pipelines.direct_runner``); on a
    distributed one, a job that cannot start or fails is a ``_Stop``."""
    local = runs_locally(options)
    with contextlib.ExitStack() as stack:
        if local:
            avoid_data_plane_stalls(unbounded_queues=not send_inputs_in_chunks())
            memory.limit_malloc_arenas()
            for context in (private_temp_dir(), worker_environment(quiet=not config.verbose), memory.trimming()):
                stack.enter_context(context)
        pipeline = beam.Pipeline(options=options)
        build(pipeline, config, staging, plan)
        stack.enter_context(progress.watch(reporter, config.inputs, runner_name(options), local,
                                           output.own_paths(config.output)))
        try:
            result = pipeline.run()
            result.wait_until_finish()
        except Exception as exc:  # noqa: BLE001 - whatever the runner or its client raised
            if local or config.verbose:
                raise  # on a local runner a failure is a bug: its traceback is shown
            raise _Stop(_job_failed(runner_name(options), exc), FAILED) from exc
    return result


def _job_failed(runner: str, exc: Exception) -> str:
    """One line for a distributed job that could not start or failed: the runner's own
    message, without the launcher's stack (``--verbose`` keeps it)."""
    message = " ".join(str(exc).split())[:2000] or (
        "no answer in time: is the job endpoint (--job_endpoint, --flink_master, ...) reachable?"
        if "Timeout" in type(exc).__name__ else "no message")
    return (f"the {runner} job failed ({type(exc).__name__}: {message}); nothing was published. Check the runner's "
            "options and its own logs; --verbose shows the traceback")


def _publish(config: RunConfig, staging: str, plan: history.HistoryPlan | None, documents: int,
             digest: str | None) -> None:
    """Move the staged run into ``--output`` and, with a history, record it there; all
    or nothing: if recording fails, the output goes back to what it was."""
    try:
        if config.run_date:
            publication = output.publish_partition(staging, config.output, run_partition(config.run_date))
        else:
            publication = output.publish(staging, config.output)
    except output.PartialPublication as exc:
        raise _Stop(str(exc), FAILED) from exc
    except OSError as exc:
        raise _Stop(f"could not publish into {config.output} ({exc}); nothing was published, "
                    "the previous output is unchanged", FAILED) from exc
    if plan:
        # Only now, with the run's outputs in place, does the history learn of it.
        if publication:
            publication.committing({"dir": os.path.abspath(plan.history), "run_id": plan.run_id, "digest": digest})
        try:
            history.commit(plan, staging, config.params, documents, digest)
        except BaseException as exc:
            publication.undo()
            if isinstance(exc, OSError):
                raise _Stop(f"could not record the run in the history {config.history} ({exc}); "
                            "its outputs were taken back, the history and the dataset are as before", FAILED) from exc
            raise
    if publication:
        publication.published()
        publication.finish()


def run(argv: list[str] | None = None, prog: str = "cleanwire run") -> int:
    """Run the pipeline from the command line; return the exit status."""
    config, beam_argv = parse_args(argv, prog)
    beam_argv = _quiet_beam(config, beam_argv)
    staging = lock = None
    try:
        plan = history.plan_run(config.history, config.run_date, config.params) if config.history else None
        progress.configure_logging(config.log_format)
        reporter = progress.Reporter(config.log_format, config.quiet)
        try:
            lock = output.lock_output(config.output)
        except output.OutputError as exc:
            raise _Stop(str(exc), 2) from exc
        except OSError as exc:
            raise _Stop(f"cannot write beside --output {config.output} ({exc.strerror or exc}); "
                        "choose a directory you can write to", 2) from exc
        for warning in output.recover_publications(config.output, history.holds_run):
            print(f"{prog}: warning: {warning}", file=sys.stderr)
        output.remove_abandoned_staging(config.output)
        if config.run_date:  # after recovery: a killed run's partition must not count
            history.check_dataset_root(config.output, config.run_date, config.history)
        try:
            staging = output.new_staging(config.output, history=plan is not None)
        except OSError as exc:
            raise _Stop(f"cannot write beside --output {config.output} ({exc.strerror or exc}); "
                        "choose a directory you can write to", 2) from exc
        started, clock = datetime.now(timezone.utc), time.perf_counter()
        result = _execute(config, PipelineOptions(beam_argv), staging, plan, reporter)
        output.remove_work_files(staging)
        output.fill_empty_tables(staging, config.run_date)
        files = output.table_files(staging)
        stages = _stage_stats(result)
        rows, by_format = _reconcile(stages, files)
        digest = None
        if plan:
            digest = history.documents_digest(staging)
            history.check_commit(plan, rows["documents"], digest)
        manifest = _manifest(config, beam_argv, stages, files, output.take_json(staging, SOURCES_FILE), started,
                             time.perf_counter() - clock, plan, by_format)
        output.write_manifest(staging, manifest)
        hold_signals()  # publishing, and then reporting it, is never cut short
        _publish(config, staging, plan, rows["documents"], digest)
    except (_Stop, history.HistoryError) as exc:
        if isinstance(exc.__cause__, output.PartialPublication):
            staging = None  # what was not copied yet stays, as the message says
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.status if isinstance(exc, _Stop) else 2
    finally:
        if staging:
            output.remove_staging(staging)
        output.release_output(config.output, lock)  # a killed run's lock goes with its process
    partition = run_partition(config.run_date) if config.run_date else ""
    try:
        progress.summarise(reporter, manifest, config.output, FileSystems.join(config.output, "passages", partition)
                           if partition else FileSystems.join(config.output, "passages"))
    except Exception as exc:  # noqa: BLE001 - the output is published: say so, whatever went wrong after
        print(f"{prog}: warning: {config.output} was published, but the summary could not be shown "
              f"({type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:300]})", file=sys.stderr)
    if signal_received():
        print(f"{prog}: interrupted while publishing, which was let finish: {config.output} holds this run's "
              "complete output", file=sys.stderr)
        return 128 + signal_received()
    errors = manifest["counts"]["errors"]
    if config.fail_on_errors and errors:
        # One line even with --quiet: a scheduler's log says why the status is 1.
        print(f"{prog}: {errors:,} input{'s' if errors != 1 else ''} became error rows (see "
              f"{os.path.join(config.output, 'errors', *([partition] if partition else []))}); exit status 1 "
              "(--fail-on-errors)", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> None:
    """``python -m pipelines.clean_dedup``: the same as ``cleanwire run`` (its signal
    handling and exit statuses included)."""
    from pipelines.cli import main as cleanwire  # the CLI imports this module

    cleanwire(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
