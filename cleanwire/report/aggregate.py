"""What the report shows, computed from a cleanwire output with pyarrow.

Every function reads only the columns it needs and aggregates with pyarrow compute
(group_by, joins, filters), so the cost grows with the size of the run but the Python
objects made do not: per-row Python objects are made only for what the page shows (the
top clusters, a sample of documents, the largest groups of duplicate documents).  The
same output always gives the same values in the same order: every sort has a unique
tie-breaker.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from schemas import MANIFEST, MANIFESTS, SCHEMA_VERSION, SCHEMAS, run_partition

__all__ = [
    "Cluster", "DocRef", "DocumentGroup", "Histogram", "IncompleteRunError", "Member", "NotAnOutputError",
    "ReportData", "RunFiles", "SampleDocument", "SourceRow", "collect", "dated_runs", "load_manifest",
    "manifest_problem", "run_files",
]

TABLES = tuple(SCHEMAS)
# The tables the report reads: a run whose pairs are gone can still be reported.
READ = ("documents", "passages", "errors")


class NotAnOutputError(Exception):
    """The directory is not a complete cleanwire output; the message says what is missing."""


class IncompleteRunError(NotAnOutputError):
    """The run's manifest is there but a table it needs is missing or cannot be read."""


@dataclass(frozen=True)
class DocRef:
    """A document as the report names it: where it came from and when."""

    doc_id: str
    source: str
    uri: str
    url: str | None
    title: str | None
    published: datetime | None
    canonical_rank: int
    run_date: str | None = None  # set for a document of an earlier run than the one reported


@dataclass(frozen=True)
class SourceRow:
    """Totals of one source (or of the sources past the table's limit, ``others`` > 0)."""

    source: str
    documents: int
    raw_chars: int
    text_chars: int
    removed_chars: int
    passages: int
    cross_source_passages: int
    others: int = 0

    @property
    def removed_share(self) -> float:
        """Share of the decoded input's characters removed as boilerplate."""
        return self.removed_chars / self.raw_chars if self.raw_chars else 0.0

    @property
    def cross_source_share(self) -> float:
        """Share of the source's passages in a cluster with a member from another source."""
        return self.cross_source_passages / self.passages if self.passages else 0.0


@dataclass(frozen=True)
class Member:
    """One passage of a cluster, with its document."""

    doc: DocRef
    passage_idx: int
    kind: str
    text: str
    is_canonical: bool
    similarity: float | None
    link: str | None


@dataclass(frozen=True)
class Cluster:
    """A passage cluster: its size and sources over all members, and the members shown
    (the canonical passage first, then the earliest document of each other source, then
    further documents in canonical order)."""

    cluster_id: str
    size: int
    sources: int
    members: list[Member]


@dataclass(frozen=True)
class DocumentGroup:
    """A canonical document and (the first of) the documents that near-duplicate it.
    ``canonical`` is None when it is in no run of the dataset root any more (a partition
    deleted, say); ``canonical_id`` names it all the same."""

    canonical: DocRef | None
    duplicates: list[tuple[DocRef, float]]
    total: int
    canonical_id: str = ""


@dataclass(frozen=True)
class SampleDocument:
    """A sampled document: its kept text and removed boilerplate blocks, both possibly cut."""

    doc: DocRef
    text: str
    text_chars: int
    boilerplate: list[str]
    boilerplate_blocks: int


@dataclass(frozen=True)
class Histogram:
    """Counts per bin; ``series`` maps a series name to one count per label."""

    labels: list[str]
    series: dict[str, list[int]]


@dataclass
class ReportData:
    """Everything the page shows."""

    manifest: dict
    run_date: str | None = None
    sources: list[SourceRow] = field(default_factory=list)
    source_count: int = 0
    clusters: int = 0
    clustered_passages: int = 0
    earlier_canonicals: int = 0  # canonical passages of this run's clusters that earlier runs wrote
    largest: list[Cluster] = field(default_factory=list)
    cross_source: list[Cluster] = field(default_factory=list)
    document_groups: list[DocumentGroup] = field(default_factory=list)
    duplicate_documents: int = 0
    earlier_documents: int = 0  # of the groups' canonical documents, those earlier runs wrote
    samples: list[SampleDocument] = field(default_factory=list)
    errors: list[tuple[str, str, int, str, str]] = field(default_factory=list)
    cluster_sizes: Histogram | None = None
    similarity: Histogram | None = None
    lengths: Histogram | None = None


# --- reading -----------------------------------------------------------------------

@dataclass(frozen=True)
class RunFiles:
    """Where one run's files are: its manifest and the directory of each table."""

    manifest: str
    tables: dict[str, str]


def dated_runs(out: str) -> list[str]:
    """The dates (YYYY-MM-DD) of the complete dated runs in the dataset root ``out``, in
    order; empty when ``out`` is not a dataset root."""
    root = os.path.join(out, MANIFESTS)
    prefix = run_partition("")
    if not os.path.isdir(root):
        return []
    return sorted(name[len(prefix):] for name in os.listdir(root)
                  if name.startswith(prefix) and os.path.isfile(os.path.join(root, name, MANIFEST)))


def run_files(out: str, run_date: str | None = None) -> RunFiles:
    """The files of the run in ``out``: a single run's output directory, or with
    ``run_date`` that dated run of the dataset root ``out``."""
    if run_date is None:
        return RunFiles(os.path.join(out, MANIFEST), {name: os.path.join(out, name) for name in TABLES})
    partition = run_partition(run_date)
    return RunFiles(os.path.join(out, MANIFESTS, partition, MANIFEST),
                    {name: os.path.join(out, name, partition) for name in TABLES})


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _expect(path: str, value, ok, expected: str) -> str | None:
    return None if ok(value) else f"{path} is {_json_type(value)}, not {expected}"


def manifest_problem(manifest) -> str | None:
    """What in ``manifest`` (a parsed manifest.json) the report cannot read, naming the
    field, or None when it can read all it uses."""
    if not isinstance(manifest, dict):
        return f"it holds {_json_type(manifest)}, not an object"
    version = manifest.get("schema_version")
    if version is None:
        return "it has no schema_version: not a cleanwire manifest, or a damaged one; rerun cleanwire to rewrite the output"
    # Columns are only ever added (schemas), so this cleanwire reads every version up to its own.
    if not (isinstance(version, str) and re.fullmatch(r"[1-9][0-9]*", version) and int(version) <= int(SCHEMA_VERSION)):
        written = f" (written by cleanwire {manifest['cleanwire_version']})" if isinstance(manifest.get("cleanwire_version"), str) else ""
        return (f"its schema_version is {version!r}{written}, and this cleanwire reads schema_version 1 to "
                f"{SCHEMA_VERSION}; report the run with the cleanwire that wrote it")
    is_object = lambda v: isinstance(v, dict)  # noqa: E731
    checks = [
        _expect("counts", manifest.get("counts"), is_object, "an object"),
        _expect("wall_seconds", manifest.get("wall_seconds"), _is_number, "a number"),
        _expect("inputs", manifest.get("inputs"), _is_strings, "a list of strings"),
        _expect("beam_options", manifest.get("beam_options", []), _is_strings, "a list of strings"),
        _expect("parameters", manifest.get("parameters", {}), is_object, "an object"),
        _expect("stages", manifest.get("stages", {}), is_object, "an object"),
        _expect("versions", manifest.get("versions", {}), is_object, "an object"),
        _expect("run", manifest.get("run"), lambda v: v is None or isinstance(v, dict), "an object"),
        _expect("tables", manifest.get("tables", {}), is_object, "an object"),
        _expect("started", manifest.get("started", ""), lambda v: isinstance(v, str), "a string"),
    ]
    problem = next((c for c in checks if c), None) or _field_problem(manifest)
    return f"{problem}; rerun cleanwire to rewrite the output" if problem else None


def _field_problem(manifest: dict) -> str | None:
    """The first nested field of ``manifest`` (its top-level fields checked) of the wrong type."""
    for name, value in manifest["counts"].items():
        if not (isinstance(value, int) and not isinstance(value, bool)):
            return f"counts.{name} is {_json_type(value)}, not a whole number"
    for stage, stats in manifest.get("stages", {}).items():
        if not isinstance(stats, dict):
            return f"stages.{stage} is {_json_type(stats)}, not an object"
        for name, value in stats.items():
            if not _is_number(value):
                return f"stages.{stage}.{name} is {_json_type(value)}, not a number"
    for name, files in manifest.get("tables", {}).items():
        if not _is_strings(files):
            return f"tables.{name} is {_json_type(files)}, not a list of strings"
    run = manifest.get("run") or {}
    checks = [
        _expect("run.run_id", run.get("run_id"), lambda v: v is None or isinstance(v, str), "a string"),
        _expect("run.history", run.get("history"), lambda v: v is None or isinstance(v, dict), "an object"),
    ]
    history = run.get("history") if isinstance(run.get("history"), dict) else {}
    checks.append(_expect("run.history.dir", history.get("dir"), lambda v: v is None or isinstance(v, str), "a string"))
    return next((c for c in checks if c), None)


def _run_dir_hint(out: str) -> str:
    """For a dated run's own directory (ROOT/manifests/run_date=D, ROOT/documents/run_date=D)
    given as OUT: what to give instead; else ''."""
    name = os.path.basename(os.path.normpath(out))
    prefix = run_partition("")
    if not name.startswith(prefix):
        return ""
    root = os.path.dirname(os.path.dirname(os.path.normpath(out))) or "."
    return f"; it is one run's directory of the dataset root {root}: give that, with --run-date {name[len(prefix):]}"


def load_manifest(out: str, run_date: str | None = None) -> dict:
    """Read the manifest of the run in ``out`` (see ``run_files``); raise
    ``NotAnOutputError`` unless that run is complete (a manifest the report can read,
    and the files of the tables it reads)."""
    if not os.path.isdir(out):
        raise NotAnOutputError(f"{out} is not a directory; give the --output directory of a cleanwire run")
    run = run_files(out, run_date)
    path = run.manifest
    if run_date is None and os.path.basename(os.path.dirname(os.path.normpath(out))) == MANIFESTS and _run_dir_hint(out):
        # A dated run's manifest directory holds a manifest.json but none of the tables.
        raise NotAnOutputError(f"{out} is not a cleanwire output{_run_dir_hint(out)}")
    if not os.path.isfile(path):
        if run_date is not None and os.path.isfile(os.path.join(out, MANIFEST)):
            raise NotAnOutputError(f"{out} is the output of a single run, which has no dates; "
                                   "leave out --run-date")
        if run_date is not None:
            dates = dated_runs(out)
            raise NotAnOutputError(f"{out} holds no complete run of {run_date}; its runs: {', '.join(dates) or 'none'}")
        if os.path.isdir(os.path.join(out, MANIFESTS)):
            raise NotAnOutputError(f"{out} is a dataset root of dated runs with no complete run yet; "
                                   "report it once a run has finished")
        raise NotAnOutputError(f"{out} is not a cleanwire output (no {MANIFEST}){_run_dir_hint(out) or '; give the --output directory of a cleanwire run'}")
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        raise NotAnOutputError(f"{path} cannot be read as JSON ({exc}); rerun cleanwire to rewrite the output") from exc
    problem = manifest_problem(manifest)
    if problem:
        raise NotAnOutputError(f"{path} cannot be reported: {problem}")
    which = f"the run of {run_date}" if run_date else "the run"
    for name in READ:
        directory = run.tables[name]
        shown = os.path.relpath(directory, out)
        if not os.path.isdir(directory):
            raise IncompleteRunError(f"{out} lacks {shown}/, the {name} of {which}; rerun cleanwire to rewrite it")
        listed = manifest.get("tables", {}).get(name)
        missing = [f for f in listed or [] if not os.path.isfile(os.path.join(directory, f))]
        if missing:
            raise IncompleteRunError(f"{os.path.join(directory, missing[0])} is missing ({len(missing)} of the "
                                     f"{len(listed)} files of {which}'s {name}); rerun cleanwire to rewrite it")
        if not any(f.endswith(".parquet") for f in os.listdir(directory)):
            raise IncompleteRunError(f"{directory} holds no Parquet file ({which}'s {name}); rerun cleanwire to rewrite it")
    return manifest


def _unreadable(run: RunFiles, exc: Exception) -> IncompleteRunError:
    """The error for a table that Arrow could not read: the first file whose Parquet footer
    cannot be read, or else the table with what Arrow said."""
    for name in READ:
        directory = run.tables[name]
        for file in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            path = os.path.join(directory, file)
            if file.startswith((".", "_")) or not os.path.isfile(path):
                continue
            try:
                pq.read_metadata(path)
            except (pa.ArrowException, OSError) as error:
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                return IncompleteRunError(f"{path} cannot be read as Parquet ({reason}); rerun cleanwire to rewrite it")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return IncompleteRunError(f"the tables of {os.path.dirname(run.manifest)} cannot be read ({reason}); "
                              "rerun cleanwire to rewrite them")


def _dataset(run: RunFiles, name: str) -> ds.Dataset:
    return ds.dataset(run.tables[name], format="parquet")


def _doc_table(run: RunFiles) -> pa.Table:
    """One row per document, small columns only: the text and boilerplate are read in
    batches and reduced to their lengths, so no more than one batch of text is held."""
    columns = ["doc_id", "source", "uri", "url", "title", "published", "canonical_rank", "raw_chars", "passages",
               "duplicate_of", "duplicate_similarity"]
    batches = []
    for batch in _dataset(run, "documents").to_batches(columns=[*columns, "text", "boilerplate"]):
        blocks = batch.column("boilerplate")
        flat_lengths = pc.utf8_length(pc.list_flatten(blocks))
        parents = pc.list_parent_indices(blocks)
        removed = np.bincount(parents.to_numpy(), weights=flat_lengths.to_numpy(), minlength=batch.num_rows)
        batches.append(pa.RecordBatch.from_arrays(
            [*(batch.column(c) for c in columns), pc.cast(pc.utf8_length(batch.column("text")), pa.int64()),
             pa.array(removed.astype(np.int64)), pc.list_value_length(blocks).cast(pa.int64())],
            names=[*columns, "text_chars", "removed_chars", "removed_blocks"],
        ))
    if not batches:
        schema = _dataset(run, "documents").schema
        fields = [schema.field(c) for c in columns]
        fields += [pa.field(n, pa.int64()) for n in ("text_chars", "removed_chars", "removed_blocks")]
        return pa.Table.from_batches([], schema=pa.schema(fields))
    return pa.Table.from_batches(batches).combine_chunks()


def _doc_ref(row: dict) -> DocRef:
    return DocRef(
        doc_id=row["doc_id"], source=row["source"], uri=row["uri"], url=row["url"], title=row["title"],
        published=row["published"], canonical_rank=row["canonical_rank"], run_date=row.get("run_date"),
    )


_REF_COLUMNS = ["doc_id", "source", "uri", "url", "title", "published", "canonical_rank"]


# --- earlier runs of a dataset root -------------------------------------------------

@dataclass(frozen=True)
class Earlier:
    """The complete runs of the dataset root before the one reported, whose documents
    and passages can be the canonicals of this run's duplicates (a run with a history is
    matched against all of them)."""

    root: str
    dates: list[str]

    def dataset(self, name: str) -> ds.Dataset:
        # The schema is cleanwire's own: partitions by older versions lack added columns.
        schema = SCHEMAS[name].append(pa.field("run_date", pa.string()))
        partitioning = ds.partitioning(pa.schema([pa.field("run_date", pa.string())]), flavor="hive")
        return ds.dataset(os.path.join(self.root, name), format="parquet", schema=schema, partitioning=partitioning)

    def read(self, name: str, columns: list[str], doc_ids, dates: list[str] | None = None) -> pa.Table:
        """``columns`` and run_date of the rows of ``doc_ids`` (in ``dates``, default all
        earlier runs): the filter on run_date skips every other partition unread."""
        dates = self.dates if dates is None else dates
        if not dates or len(doc_ids) == 0:
            return self.dataset(name).schema.empty_table().select([*columns, "run_date"])
        where = pc.field("run_date").isin(dates) & pc.field("doc_id").isin(pa.array(doc_ids, pa.string()))
        return self.dataset(name).to_table(columns=[*columns, "run_date"], filter=where)


def _earlier(out: str, run_date: str | None) -> Earlier:
    dates = [d for d in dated_runs(out) if run_date is not None and d < run_date]
    return Earlier(out, dates)


def _latest_of_each(table: pa.Table) -> pa.Table:
    """One row per doc_id, its latest run's: a document read again after its run was
    pruned from the history is in two partitions, and matching saw the later one."""
    if table.num_rows == 0:
        return table
    latest = table.group_by("doc_id").aggregate([("run_date", "max")]).rename_columns(["doc_id", "run_date"])
    return table.join(latest, ["doc_id", "run_date"], join_type="inner")


def _earlier_refs(earlier: Earlier, found: pa.Table, ids: list[str]) -> dict[str, DocRef]:
    """The DocRefs of ``ids``, earlier runs' documents listed in ``found`` (doc_id,
    run_date): their other columns read from their own partitions only."""
    wanted = found.filter(pc.is_in(found["doc_id"], pa.array(ids, pa.string())))
    dates = sorted(set(wanted["run_date"].to_pylist()))
    rows = _latest_of_each(earlier.read("documents", _REF_COLUMNS, wanted["doc_id"].unique(), dates))
    return {r["doc_id"]: DocRef(**r) for r in rows.to_pylist()}


# --- per source --------------------------------------------------------------------

def _sources(docs: pa.Table, cross: pa.Table, limit: int) -> tuple[list[SourceRow], int]:
    totals = docs.group_by("source").aggregate([
        ("doc_id", "count"), ("raw_chars", "sum"), ("text_chars", "sum"), ("removed_chars", "sum"), ("passages", "sum"),
    ])
    totals = totals.join(cross, "source", join_type="left outer")
    totals = totals.sort_by([("doc_id_count", "descending"), ("source", "ascending")])
    rows = [
        SourceRow(
            source=r["source"], documents=r["doc_id_count"], raw_chars=r["raw_chars_sum"] or 0,
            text_chars=r["text_chars_sum"] or 0, removed_chars=r["removed_chars_sum"] or 0,
            passages=r["passages_sum"] or 0, cross_source_passages=r["cross_passages"] or 0,
        )
        for r in totals.slice(0, limit).to_pylist()
    ]
    if totals.num_rows > limit:
        rest = totals.slice(limit)
        rows.append(SourceRow(
            source=f"{rest.num_rows} other sources", documents=int(pc.sum(rest["doc_id_count"]).as_py()),
            raw_chars=int(pc.sum(rest["raw_chars_sum"]).as_py() or 0),
            text_chars=int(pc.sum(rest["text_chars_sum"]).as_py() or 0),
            removed_chars=int(pc.sum(rest["removed_chars_sum"]).as_py() or 0),
            passages=int(pc.sum(rest["passages_sum"]).as_py() or 0),
            cross_source_passages=int(pc.sum(rest["cross_passages"]).as_py() or 0), others=rest.num_rows,
        ))
    return rows, totals.num_rows


# --- clusters ----------------------------------------------------------------------

def _clustered(run: RunFiles, docs: pa.Table, earlier: Earlier) -> pa.Table:
    """Clustered passages (no text) with their document's source and canonical rank, and
    ``run_date`` null.  A cluster whose canonical passage an earlier run wrote gets that
    passage too, with its run's date: this run's rows only name it."""
    table = _dataset(run, "passages").to_table(
        columns=["doc_id", "passage_idx", "cluster_id", "is_canonical", "similarity", "canonical_doc_id",
                 "canonical_passage_idx"],
        filter=pc.field("cluster_id").is_valid(),
    )
    table = table.join(docs.select(["doc_id", "source", "canonical_rank"]), "doc_id", join_type="inner")
    table = table.append_column("run_date", pa.nulls(table.num_rows, pa.string()))
    columns = ["doc_id", "passage_idx", "cluster_id", "is_canonical", "similarity", "source", "canonical_rank",
               "run_date"]
    with_canonical = pc.unique(table.filter(table["is_canonical"])["cluster_id"])
    named = table.filter(pc.invert(pc.is_in(table["cluster_id"], with_canonical)))
    named = named.group_by(["cluster_id", "canonical_doc_id", "canonical_passage_idx"]).aggregate([])
    named = named.filter(pc.is_valid(named["canonical_doc_id"]))
    if named.num_rows == 0 or not earlier.dates:
        return table.select(columns)
    found = _latest_of_each(earlier.read("documents", ["doc_id", "source", "canonical_rank"],
                                         pc.unique(named["canonical_doc_id"])))
    canon = named.rename_columns(["cluster_id", "doc_id", "passage_idx"]).join(found, "doc_id", join_type="inner")
    canon = canon.append_column("is_canonical", pa.array([True] * canon.num_rows, pa.bool_()))
    canon = canon.append_column("similarity", pa.array([1.0] * canon.num_rows, pa.float64()))
    ours = table.select(columns)
    return pa.concat_tables([ours, canon.select(columns).cast(ours.schema)])


def _cluster_stats(clustered: pa.Table) -> pa.Table:
    stats = clustered.group_by("cluster_id").aggregate([("doc_id", "count"), ("source", "count_distinct")])
    return stats.rename_columns(["cluster_id", "size", "sources"])


def _cross_source_passages(clustered: pa.Table, stats: pa.Table) -> pa.Table:
    crossing = stats.filter(pc.greater(stats["sources"], 1)).select(["cluster_id"])
    # Per source of this run: an earlier run's canonical counts toward its cluster's
    # sources, not toward the passages of this run's sources.
    ours = clustered.filter(pc.is_null(clustered["run_date"]))
    members = ours.select(["cluster_id", "source"]).join(crossing, "cluster_id", join_type="inner")
    counted = members.group_by("source").aggregate([("cluster_id", "count")])
    return counted.rename_columns(["source", "cross_passages"])


def _choose_members(rows: pa.Table, limit: int) -> pa.Table:
    """Of one cluster's rows (sorted by rank, passage), keep those of at most ``limit``
    documents: the canonical's, the earliest of each other source, then the earliest."""
    earliest = rows.group_by("source").aggregate([("canonical_rank", "min")])
    ranks = sorted(earliest["canonical_rank_min"].to_pylist())[:limit]
    if len(ranks) < limit:
        for rank in pc.unique(rows.slice(0, limit * 4)["canonical_rank"]).to_pylist():
            if len(ranks) >= limit:
                break
            if rank not in ranks:
                ranks.append(rank)
    return rows.filter(pc.is_in(rows["canonical_rank"], pa.array(ranks, pa.int64())))


def _clusters(
    run: RunFiles, docs: pa.Table, clustered: pa.Table, stats: pa.Table, top: int, members: int, earlier: Earlier
) -> tuple[list[Cluster], list[Cluster]]:
    by_size = stats.sort_by([("size", "descending"), ("sources", "descending"), ("cluster_id", "ascending")])
    by_sources = stats.sort_by([("sources", "descending"), ("size", "descending"), ("cluster_id", "ascending")])
    largest = by_size.slice(0, top).to_pylist()
    crossing = [r for r in by_sources.slice(0, top).to_pylist() if r["sources"] > 1]
    wanted = sorted({r["cluster_id"] for r in largest + crossing})
    if not wanted:
        return [], []
    rows = clustered.filter(pc.is_in(clustered["cluster_id"], pa.array(wanted))).sort_by(
        [("cluster_id", "ascending"), ("canonical_rank", "ascending"), ("passage_idx", "ascending")]
    )
    sizes = dict(zip(*rows.group_by("cluster_id").aggregate([("doc_id", "count")]).to_pydict().values()))
    chosen, offset = [], 0
    for cluster_id in wanted:
        chosen.append(_choose_members(rows.slice(offset, sizes[cluster_id]), members))
        offset += sizes[cluster_id]
    chosen = pa.concat_tables(chosen)
    ours = chosen.filter(pc.is_null(chosen["run_date"])).select(["cluster_id", "doc_id", "passage_idx"])
    texts = _dataset(run, "passages").to_table(
        columns=["doc_id", "passage_idx", "cluster_id", "kind", "text", "is_canonical", "similarity", "link"],
        filter=pc.field("cluster_id").isin(wanted) & pc.field("doc_id").isin(pc.unique(ours["doc_id"])),
    )
    shown = ours.join(texts, ["cluster_id", "doc_id", "passage_idx"], join_type="inner")
    shown = shown.join(docs.select(_REF_COLUMNS), "doc_id", join_type="inner").to_pylist()
    theirs = chosen.filter(pc.is_valid(chosen["run_date"]))
    if theirs.num_rows:
        # Canonical passages of earlier runs: their rows there may have no cluster_id.
        dates = sorted(set(theirs["run_date"].to_pylist()))
        texts = earlier.read("passages", ["doc_id", "passage_idx", "kind", "text"], pc.unique(theirs["doc_id"]), dates)
        texts = theirs.select(["cluster_id", "doc_id", "passage_idx", "run_date"]).join(
            texts, ["doc_id", "passage_idx", "run_date"], join_type="inner")
        refs = _earlier_refs(earlier, theirs.select(["doc_id", "run_date"]), theirs["doc_id"].to_pylist())
        shown += [{**r, **asdict(refs[r["doc_id"]]), "is_canonical": True, "similarity": 1.0, "link": None}
                  for r in texts.to_pylist() if r["doc_id"] in refs]
    shown.sort(key=lambda r: (r["cluster_id"], not r["is_canonical"], r["canonical_rank"], r["passage_idx"]))
    by_cluster: dict[str, list[Member]] = {}
    for r in shown:
        by_cluster.setdefault(r["cluster_id"], []).append(Member(
            doc=_doc_ref(r), passage_idx=r["passage_idx"], kind=r["kind"], text=r["text"],
            is_canonical=r["is_canonical"], similarity=r["similarity"], link=r["link"],
        ))

    def make(r: dict) -> Cluster:
        return Cluster(r["cluster_id"], r["size"], r["sources"], by_cluster.get(r["cluster_id"], []))

    return [make(r) for r in largest], [make(r) for r in crossing]


# --- documents ---------------------------------------------------------------------

def _document_groups(
    docs: pa.Table, top: int, per_group: int, earlier: Earlier
) -> tuple[list[DocumentGroup], int, int]:
    """The ``top`` canonical documents with the most near-duplicates in this run, each with
    its first ``per_group`` duplicates; the number of duplicates; and how many of the
    groups' canonicals are earlier runs' documents (with a history, most of them)."""
    duplicates = docs.filter(pc.is_valid(docs["duplicate_of"]))
    if duplicates.num_rows == 0:
        return [], 0, 0
    groups = duplicates.group_by("duplicate_of").aggregate([("doc_id", "count")])
    ours = docs.select(["doc_id", "canonical_rank"]).append_column("run_date", pa.nulls(docs.num_rows, pa.string()))
    elsewhere = pc.unique(pc.filter(groups["duplicate_of"], pc.invert(pc.is_in(groups["duplicate_of"], docs["doc_id"]))))
    found = _latest_of_each(earlier.read("documents", ["doc_id", "canonical_rank"], elsewhere))
    canon = pa.concat_tables([ours, found.select(ours.column_names).cast(ours.schema)]).rename_columns(
        ["duplicate_of", "canonical_rank", "run_date"])
    # A canonical found in no run sorts last among its equals, by id.
    groups = groups.join(canon, "duplicate_of", join_type="left outer")
    earlier_count = pc.sum(pc.is_valid(groups["run_date"]).cast(pa.int64())).as_py() or 0
    groups = groups.sort_by(
        [("doc_id_count", "descending"), ("canonical_rank", "ascending"), ("duplicate_of", "ascending")]
    ).slice(0, top)
    ids = groups["duplicate_of"]
    refs = {r["doc_id"]: _doc_ref(r) for r in docs.filter(pc.is_in(docs["doc_id"], ids)).select(_REF_COLUMNS).to_pylist()}
    refs.update(_earlier_refs(earlier, found.select(["doc_id", "run_date"]), ids.to_pylist()))
    members = duplicates.filter(pc.is_in(duplicates["duplicate_of"], ids)).sort_by(
        [("duplicate_of", "ascending"), ("canonical_rank", "ascending")]
    )
    listed: dict[str, list[tuple[DocRef, float]]] = {}
    for r in members.select([*_REF_COLUMNS, "duplicate_of", "duplicate_similarity"]).to_pylist():
        entries = listed.setdefault(r["duplicate_of"], [])
        if len(entries) < per_group:
            entries.append((_doc_ref(r), r["duplicate_similarity"]))
    result = [
        DocumentGroup(refs.get(r["duplicate_of"]), listed[r["duplicate_of"]], r["doc_id_count"], r["duplicate_of"])
        for r in groups.to_pylist()
    ]
    return result, duplicates.num_rows, earlier_count


def _samples(run: RunFiles, docs: pa.Table, count: int, text_limit: int, block_limit: int) -> list[SampleDocument]:
    """``count`` documents with boilerplate removed, the smallest doc_ids: doc_ids are
    hashes of location and content, so this is a fixed, source-blind sample."""
    candidates = docs.filter(pc.greater(docs["removed_blocks"], 0)).select(["doc_id"]).sort_by("doc_id")
    ids = candidates.slice(0, count)["doc_id"]
    if len(ids) == 0:
        return []
    rows = _dataset(run, "documents").to_table(
        columns=[*_REF_COLUMNS, "text", "boilerplate"], filter=pc.field("doc_id").isin(ids)
    ).sort_by("doc_id")
    return [
        SampleDocument(
            doc=_doc_ref(r), text=r["text"][:text_limit], text_chars=len(r["text"]),
            boilerplate=r["boilerplate"][:block_limit], boilerplate_blocks=len(r["boilerplate"]),
        )
        for r in rows.to_pylist()
    ]


def _errors(run: RunFiles, limit: int) -> list[tuple[str, str, int, str, str]]:
    """Per stage and error class: count, and the first input's uri and message."""
    table = _dataset(run, "errors").to_table(columns=["stage", "error_class", "uri", "error"])
    if table.num_rows == 0:
        return []
    table = table.sort_by([("stage", "ascending"), ("error_class", "ascending"), ("uri", "ascending")])
    # "first" needs ordered (single-threaded) grouping to mean the first uri in order.
    counts = table.group_by(["stage", "error_class"], use_threads=False).aggregate(
        [("uri", "count"), ("uri", "first"), ("error", "first")]
    )
    counts = counts.sort_by([("uri_count", "descending"), ("stage", "ascending"), ("error_class", "ascending")])
    return [
        (r["stage"], r["error_class"], r["uri_count"], r["uri_first"], r["error_first"])
        for r in counts.slice(0, limit).to_pylist()
    ]


# --- distributions -----------------------------------------------------------------

def _size_histogram(sizes: np.ndarray) -> Histogram:
    """Cluster sizes in bins 2, 3, 4, 5-8, 9-16, ... (doubling), up to the largest."""
    if sizes.size == 0:
        return Histogram([], {"clusters": []})
    edges = [2, 3, 4, 5]
    while edges[-1] <= sizes.max():
        edges.append((edges[-1] - 1) * 2 + 1)
    counts, _ = np.histogram(sizes, bins=edges)
    labels = [str(lo) if hi - lo == 1 else f"{lo}-{hi - 1}" for lo, hi in zip(edges, edges[1:])]
    return Histogram(labels, {"clusters": counts.astype(int).tolist()})


def _similarity_histogram(similarity: np.ndarray) -> Histogram:
    """Similarity of non-canonical members to their canonical passage, in 0.05 bins."""
    edges = np.round(np.arange(0, 1.0001, 0.05), 2)
    counts, _ = np.histogram(similarity, bins=edges)
    first = int(np.argmax(counts > 0)) if counts.any() else len(counts) - 2
    first = min(first, 10)  # keep at least 0.50-1.00 visible, the threshold's range
    labels = [f"{lo:.2f}" for lo in edges[first:-1]]
    return Histogram(labels, {"passages": counts[first:].astype(int).tolist()})


def _nice_step(span: float, bins: int) -> int:
    raw = max(span / bins, 1.0)
    magnitude = 10 ** int(np.floor(np.log10(raw)))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return int(factor * magnitude)
    return int(10 * magnitude)


def _length_histogram(before: np.ndarray, after: np.ndarray, bins: int = 20) -> Histogram:
    """Document characters before and after cleaning on shared bins spanning the 1st
    percentile of the cleaned length to the 99th of the raw length; the first and the
    last bin also hold everything shorter and longer."""
    if before.size == 0:
        return Histogram([], {"before cleaning": [], "after cleaning": []})
    low, high = float(np.percentile(after, 1)), float(np.percentile(before, 99))
    step = _nice_step(high - low, bins - 2)
    start = int(low // step) * step
    edges = np.arange(start, start + step * bins + 1, step, dtype=np.int64)
    labels = [f"{lo:,}" for lo in edges[:-1]]
    labels[-1] = f"≥{edges[-2]:,}"
    if start > 0:
        labels[0] = f"<{edges[1]:,}"

    def count(values: np.ndarray) -> list[int]:
        return np.histogram(np.clip(values, edges[0], edges[-1] - 1), bins=edges)[0].astype(int).tolist()

    return Histogram(labels, {"before cleaning": count(before), "after cleaning": count(after)})


# --- all ---------------------------------------------------------------------------

def collect(
    out: str, *, run_date: str | None = None, top: int = 20, members: int = 8, sources: int = 40, groups: int = 20,
    per_group: int = 8, samples: int = 5, text_limit: int = 3000, block_limit: int = 40, errors: int = 20,
) -> ReportData:
    """Read the cleanwire output ``out`` (with ``run_date``, that dated run of the
    dataset root ``out``) and compute everything the report shows.

    ``top`` clusters by size and ``top`` by number of sources, each with the passages of
    at most ``members`` documents; ``sources`` rows of the per-source table (the rest
    summed in one row); ``groups`` groups of duplicate documents with ``per_group``
    duplicates each; ``samples`` documents with their kept text (``text_limit``
    characters) and removed blocks (``block_limit``); ``errors`` kinds of error.  So what
    the page holds is bounded whatever the size of the run.  Raises
    ``NotAnOutputError`` when ``out`` is not a cleanwire output.
    """
    data = ReportData(manifest=load_manifest(out, run_date), run_date=run_date)
    run = run_files(out, run_date)
    try:
        _compute(data, run, _earlier(out, run_date), top=top, members=members, sources=sources, groups=groups, per_group=per_group,
                 samples=samples, text_limit=text_limit, block_limit=block_limit, errors=errors)
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(run, exc) from exc
    return data


def _compute(
    data: ReportData, run: RunFiles, earlier: Earlier, *, top: int, members: int, sources: int, groups: int, per_group: int,
    samples: int, text_limit: int, block_limit: int, errors: int,
) -> None:
    docs = _doc_table(run)
    clustered = _clustered(run, docs, earlier)
    stats = _cluster_stats(clustered)
    data.sources, data.source_count = _sources(docs, _cross_source_passages(clustered, stats), sources)
    data.earlier_canonicals = pc.sum(pc.is_valid(clustered["run_date"]).cast(pa.int64())).as_py() or 0
    data.clusters, data.clustered_passages = stats.num_rows, clustered.num_rows - data.earlier_canonicals
    data.largest, data.cross_source = _clusters(run, docs, clustered, stats, top, members, earlier)
    data.document_groups, data.duplicate_documents, data.earlier_documents = _document_groups(
        docs, groups, per_group, earlier)
    data.samples = _samples(run, docs, samples, text_limit, block_limit)
    data.errors = _errors(run, errors)
    data.cluster_sizes = _size_histogram(stats["size"].to_numpy())
    not_canonical = clustered.filter(pc.invert(clustered["is_canonical"]))
    data.similarity = _similarity_histogram(not_canonical["similarity"].fill_null(0.0).to_numpy())
    data.lengths = _length_histogram(docs["raw_chars"].to_numpy(), docs["text_chars"].to_numpy())
