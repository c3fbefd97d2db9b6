"""Stage 1, read: expand the input patterns and read every matched file.

Single-page files (``.txt``, ``.html``, and their ``.gz``) become one ``RawDocument``
each; multi-record files (WARC, WET, JSONL) one per page record, read as a stream,
and large splittable files are cut into byte ranges that different workers read.
Every input (a single-page file, or a record) becomes a ``RawDocument`` or an
``ErrorRecord`` on the ``errors`` output: unreadable files, records that cannot be
parsed, pages over the size limit and formats cleanwire does not read included.
"""

from __future__ import annotations

import functools
import glob
import os
import posixpath
import re
import stat
import zlib
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from cleanwire.model import ErrorRecord, RawDocument
from cleanwire.params import ReadParams
from cleanwire.readers import (
    FORMATS, MULTI_RECORD, BadRecord, NotGzipError, TruncatedStreamError, domain_of, gzip_stream, input_format, locator,
    read_ranges,
)
from cleanwire.readers import jsonl, warc
from transforms.stats import StageStats

__all__ = [
    "BAD_NAME", "BROKEN_LINK", "ERRORS", "FORMATS", "NOT_A_FILE", "UNLISTABLE", "InputSpec", "ReadInputs", "glob_matches", "glob_regex", "glob_root", "local_matches",
    "path_size", "source_for", "walk_directory",
]

ERRORS = "errors"
_MAGIC = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class InputSpec:
    """A pattern to match and the directory the user named (for deriving sources).

    ``literal``: the pattern is a local file or directory (``DIR/**``) that exists as
    named, whose ``[``, ``*`` or ``?`` are part of its name, not a glob."""

    pattern: str
    root: str
    literal: bool = False


@dataclass(frozen=True)
class _ReadTask:
    """One byte range of one matched file."""

    path: str
    root: str
    size: int
    start: int = 0
    end: int | None = None


def source_for(path: str, root: str) -> str:
    """The publisher of a file whose URL is unknown, derived from its location.

    The first directory below the input root the user named (``crawl/bbc.co.uk/a.txt``
    under ``crawl/`` is ``bbc.co.uk``), or the file's name without extension when the
    file lies directly in it (each such file is its own source)."""
    root = root.rstrip("/") + "/" if root else ""
    relative = path[len(root):] if root and path.startswith(root) else posixpath.basename(path)
    head, _, rest = relative.partition("/")
    if rest:
        return head
    name = posixpath.basename(path)
    _, extension = input_format(name)  # the whole extension: big.jsonl.gz is big, like big.jsonl
    return name[: len(name) - len(extension)]


# Sizes that mark a matched path as an error row instead of a file to read.
BROKEN_LINK = -1  # a symbolic link whose target is gone
UNLISTABLE = -2  # a directory that cannot be listed
NOT_A_FILE = -3  # a FIFO, socket or device: opening it could wait forever
BAD_NAME = -4  # a name that is not valid UTF-8 (the path is given with the bad bytes escaped)
MISSING = -5  # a named file or directory that is not there (any more, or not on this worker's disk)


def walk_directory(directory: str, skip: tuple[str, ...] = ()):
    """Every entry below ``directory`` that is not a directory, hidden ones included
    (as Beam's ``**`` matches them), as ``(path, size)``; a negative size marks an error
    row (``BROKEN_LINK``, ``UNLISTABLE``, ``NOT_A_FILE``, ``BAD_NAME``, ``MISSING``).  Links to
    directories are not followed (no cycles), and entries whose real path (links
    resolved) starts with one of ``skip`` are left out.  One ``os.scandir`` pass: no
    system call per file beyond the ``stat`` of its size."""
    pending = [directory]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except FileNotFoundError:
            yield _shown(current), MISSING
            continue
        except OSError:
            yield _shown(current), UNLISTABLE
            continue
        real = os.path.realpath(current) if skip else ""
        for entry in entries:
            try:
                if skip and _skipped(f"{real}/{entry.name}", skip):
                    continue  # the run's own output, or what it keeps beside it
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_symlink() and os.path.isdir(entry.path):
                    continue  # a link to a directory
                elif entry.is_file(follow_symlinks=False):
                    yield (entry.path, entry.stat(follow_symlinks=False).st_size) if _utf8(entry.path) else (
                        _shown(entry.path), BAD_NAME)
                else:  # a link to a file, a dangling link, a FIFO, a socket, a device
                    yield _shown(entry.path), path_size(entry.path)
            except OSError:
                yield _shown(entry.path), UNLISTABLE


def glob_matches(pattern: str, skip: tuple[str, ...] = ()):
    """``(path, size)`` of every local file the glob ``pattern`` matches, as
    ``walk_directory`` gives them; a matched directory stands for the files below it,
    as a directory named on the command line does, so that a quoted glob reads what the
    shell's expansion of it reads.  ``*`` and ``?`` stay within one path component and
    ``**`` spans any number, none included (``glob_regex``; hidden names are matched, as
    Beam's ``match`` did); a ``**`` pattern is matched against a walk of the directory
    before its first wildcard, so links to directories are not followed there either."""
    if "**" in pattern:
        top = pattern[: _MAGIC.search(pattern).start()].rsplit("/", 1)[0] or "/"
        matcher = glob_regex(pattern)
        matched_dirs: dict[str, bool] = {}  # directory -> it or a directory above it (below top) matches

        def in_matched_dir(directory: str) -> bool:
            if len(directory) <= len(top):
                return False
            if directory not in matched_dirs:
                matched_dirs[directory] = bool(matcher.match(directory)) or in_matched_dir(posixpath.dirname(directory))
            return matched_dirs[directory]

        for path, size in walk_directory(top, skip):
            if matcher.match(path) or in_matched_dir(posixpath.dirname(path)):
                yield path, size
        return
    for path in glob.iglob(pattern, include_hidden=True):
        if skip and _skipped(os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path)), skip):
            continue  # the run's own output, or what it keeps beside it
        if os.path.islink(path) and os.path.isdir(path):
            continue  # a link to a directory: not followed, as in a walk (site/* would match site/up -> ..)
        if os.path.isdir(path):
            yield from walk_directory(path, skip)
        else:
            yield _shown(path), path_size(path)


def _skipped(real: str, skip: tuple[str, ...]) -> bool:
    """Whether the real path ``real`` is, or lies under, one of the prefixes ``skip``
    (a directory prefix ends with "/"; ``OUT.cleanwire-`` names what a run keeps beside OUT)."""
    return (real + "/").startswith(skip) or real.startswith(skip)


def glob_root(spec: InputSpec, path: str) -> str:
    """The directory ``path``'s source derives from: ``spec.root``, or, for a file below
    a directory that a glob without ``**`` matched (``scrape/2026-12-*``), that
    directory, as if it had been named on the command line, so that the quoted glob
    gives the sources the shell's expansion of it gives.  (A ``**`` pattern matches
    every directory below its root, so its files keep the root: ``text/**`` gives each
    outlet folder as a source, as ``text`` does.)"""
    if spec.literal or "**" in spec.pattern or "://" in spec.pattern:
        return spec.root
    depth = spec.pattern.count("/")
    parts = path.split("/")
    if len(parts) <= depth + 1:  # the match is the file itself
        return spec.root
    directory = "/".join(parts[: depth + 1])
    return directory if glob_regex(spec.pattern).match(directory) else spec.root


@functools.lru_cache(maxsize=64)  # glob_root asks for it once per matched file
def glob_regex(pattern: str) -> re.Pattern:
    """The regular expression of a glob: ``*`` and ``?`` match within one path
    component, ``**/`` any number of directories (none included) and a final ``**``
    everything below; ``[...]`` (``[!...]`` negated) is a character class."""
    parts, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] in "*?":
            parts.append("[^/]*" if pattern[i] == "*" else "[^/]")
            i += 1
        elif pattern[i] == "[" and (close := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1:close]
            negated = body.startswith("!")
            body = body[1:] if negated else body
            parts.append("[" + ("^" if negated else "") + body.replace("\\", "\\\\").replace("^", "\\^") + "]")
            i = close + 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def path_size(path: str) -> int:
    """The size of the local file ``path`` that exists as named, or the negative marker
    of the error row it becomes (as ``walk_directory`` gives them)."""
    if not _utf8(path):
        return BAD_NAME
    if os.path.islink(path) and not os.path.exists(path):  # dangling, or a loop of links
        return BROKEN_LINK
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return MISSING
    except OSError:
        return UNLISTABLE
    return status.st_size if stat.S_ISREG(status.st_mode) else NOT_A_FILE


def _shown(path: str) -> str:
    """``path`` as it can be written: bytes that are not UTF-8 escaped (``\\xe9``)."""
    return path if _utf8(path) else path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _link_target(path: str) -> str:
    try:
        return _shown(os.readlink(path))
    except OSError:  # the path was shown escaped (not UTF-8), or the link is gone meanwhile
        return "a path that cannot be read"


def _utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _MatchPattern(beam.DoFn):
    def __init__(self, exclude: tuple[str, ...]) -> None:
        self._exclude = exclude

    def setup(self) -> None:
        self.stats = StageStats("read")

    def process(self, spec: InputSpec):
        yield from self.stats.timed_items(self._matched(spec))

    def _matched(self, spec: InputSpec):
        if "://" in spec.pattern:
            found = ((m.path, m.size_in_bytes) for m in FileSystems.match([spec.pattern])[0].metadata_list)
        else:
            found = local_matches(spec, self._exclude)
        matched = False
        for path, size in found:
            matched = True
            if not path.startswith(self._exclude):
                yield path, (glob_root(spec, path), size)
        if not matched:
            # It matched at launch (``resolve_inputs`` checks), so the files went away (a
            # named directory emptied, a glob's files removed), or the workers do not see
            # the disk they are on: an error row, not 0 inputs.
            yield spec.pattern.removesuffix("/**") if spec.literal else spec.pattern, (spec.root, MISSING)


def local_matches(spec: InputSpec, skip: tuple[str, ...] = ()):
    """``(path, size)`` of every local file ``spec`` names, a negative size marking an
    error row (see ``walk_directory``): a directory is walked, a literal name stands for
    itself and a glob matches as Beam's does (hidden names included).  Python's own
    listing rather than Beam's ``match``, which leaves out dangling links, reads a
    FIFO as a file (and blocks on it) and cannot take a name holding ``[``."""
    if spec.literal and spec.pattern.endswith("/**"):
        yield from walk_directory(spec.pattern[:-3], skip)
    elif spec.literal:
        yield _shown(spec.pattern), path_size(spec.pattern)
    else:
        yield from glob_matches(spec.pattern, skip)


def _plan(item, split_bytes: int):
    path, (root, size) = item
    _, extension = input_format(path)
    for start, end in read_ranges(size, extension, split_bytes):
        yield _ReadTask(path, root, size, start, end)


_UNREADABLE = {  # error class and message of each marker size
    BROKEN_LINK: lambda path: ("BrokenLink", f"the file is a symbolic link to {_link_target(path)}, which does not exist; "
                                             "restore the target, or remove the link"),
    UNLISTABLE: lambda path: ("UnreadableDirectory", "the directory (or an entry of it) cannot be listed, so its files "
                                                     "were not read; check its permissions, or leave it out of the input"),
    NOT_A_FILE: lambda path: ("NotAFile", "a FIFO, socket or device, not a file: cleanwire reads regular files only; "
                                          "leave it out of the input"),
    MISSING: lambda path: ("MissingInput", "the input is not there where the pipeline runs: it was removed after the "
                                           "run started, or (on a distributed runner) it is on the launching machine's "
                                           "disk only; give inputs every worker reaches (gs://, s3://, hdfs:// or a "
                                           "shared mount at the same path)"),
    BAD_NAME: lambda path: ("BadFileName", "the file name is not valid UTF-8 (shown with its bytes escaped), so it "
                                           "cannot be recorded; rename the file"),
}


def _holds_record(raw, offset: int, file_format: str, gzipped: bool) -> bool:
    """Whether a record of the file ``raw`` starts at or after ``offset`` (which a
    later range reads).  Splittable files only: uncompressed JSONL, gzipped WARC/WET.
    Stops at the first find, so a normal file costs one read."""
    if file_format == "jsonl":
        return jsonl.holds_line(raw, offset)
    return warc.next_record_start(raw, offset, gzipped) is not None


class _ReadFile(beam.DoFn):
    """Read one range of one file: documents, and error rows tagged ``errors``."""

    def __init__(self, params: ReadParams) -> None:
        self._params = params

    def setup(self) -> None:
        self.stats = StageStats("read")
        self._fields = {**{name: name for name in jsonl.FIELDS}, **dict(self._params.jsonl_fields)}

    def _error(self, uri: str, file_format: str | None, error_class: str, message: str):
        self.stats.count("errors")
        self.stats.count(f"inputs_{file_format or 'other'}")
        return beam.pvalue.TaggedOutput(ERRORS, ErrorRecord(uri, "read", error_class, message, file_format or "other"))

    def process(self, task: _ReadTask):
        yield from self.stats.timed_items(self._read(task))

    def _read(self, task: _ReadTask):
        file_format, extension = input_format(task.path)
        if task.start == 0:
            self.stats.count("files")
        if task.size < 0:
            yield self._error(task.path, file_format, *_UNREADABLE[task.size](task.path))
            return
        if file_format is None:
            yield self._error(
                task.path, None, "UnsupportedFormat",
                f"cleanwire does not read '{extension or 'extensionless'}' files; give it "
                f"{', '.join(sorted(FORMATS))} files, or leave this file out of the input",
            )
            return
        try:
            if file_format in MULTI_RECORD:
                yield from self._read_records(task, file_format, extension)
            else:
                yield from self._read_page(task, file_format, extension)
        except FileNotFoundError:  # listed, then removed before this worker opened it
            yield self._error(task.path, file_format, *_UNREADABLE[MISSING](task.path))
        except (OSError, EOFError, zlib.error) as exc:  # the file itself cannot be opened or read
            yield self._error(task.path, file_format, type(exc).__name__,
                              f"could not read the file: {exc}; check that it exists and is readable")

    def _read_page(self, task: _ReadTask, file_format: str, extension: str):
        limit = self._params.max_document_bytes
        if task.size > limit and not extension.endswith(".gz"):
            yield self._error(
                task.path, file_format, "DocumentTooLarge",
                f"the file holds {task.size:,} bytes, more than --max-document-bytes {limit:,}; it was not read "
                "(raise the limit if it really is one page)",
            )
            return
        with FileSystems.open(task.path, compression_type=CompressionTypes.UNCOMPRESSED) as raw:
            if extension.endswith(".gz"):
                try:
                    content = gzip_stream(raw).read(limit + 1)
                except NotGzipError as exc:
                    yield self._error(task.path, file_format, "NotGzip", str(exc))
                    return
                except (EOFError, zlib.error, OSError) as exc:
                    yield self._error(task.path, file_format, "TruncatedFile",
                                      (f"{exc}" if isinstance(exc, TruncatedStreamError) else f"the compressed file is damaged ({exc})")
                                      + "; download or copy it again")
                    return
                if len(content) > limit:
                    yield self._error(task.path, file_format, "DocumentTooLarge",
                                      f"the file holds more than --max-document-bytes {limit:,} bytes uncompressed; "
                                      "it was not read (raise the limit if it really is one page)")
                    return
            else:
                content = raw.read()
        self.stats.count("bytes", len(content))
        self.stats.count(f"inputs_{file_format}")
        yield RawDocument(uri=task.path, source=source_for(task.path, task.root), format=file_format,
                          content=content, input_format=file_format)

    def _read_records(self, task: _ReadTask, file_format: str, extension: str):
        limit = self._params.max_document_bytes
        gzipped = extension.endswith(".gz")
        with FileSystems.open(task.path, compression_type=CompressionTypes.UNCOMPRESSED) as raw:
            if file_format == "jsonl":
                stream = gzip_stream(raw) if gzipped else raw
                records = jsonl.read_records(stream, task.start, task.end, self._fields, limit)
            else:
                records = warc.read_records(raw, task.start, task.end, gzipped, limit)
            seen = 0
            for seen, record in enumerate(records, 1):
                if isinstance(record, warc.Skipped):
                    self.stats.count("skipped_records")
                    # Per reason too (request, status 404, not a page (application/pdf), ...),
                    # so the manifest says what was passed over.
                    self.stats.count("skipped: " + record.reason)
                    continue
                uri = locator(task.path, record.offset)
                if isinstance(record, BadRecord):
                    yield self._error(uri, file_format, record.error_class, record.message)
                    continue
                self.stats.count("bytes", len(record.content))
                self.stats.count(f"inputs_{file_format}")
                yield RawDocument(
                    uri=uri, source=record.source or domain_of(record.url) or source_for(task.path, task.root),
                    format=record.format, content=record.content, url=record.url, input_format=file_format,
                    title=record.title, published=record.published, charset=record.charset,
                )
            # One range answers for the file: the one at 0, when neither it nor a later
            # range (which would see a record that starts after its end) has a record.
            empty = not seen and task.start == 0 and (task.end is None or not _holds_record(raw, task.end, file_format, gzipped))
        if empty:
            yield self._error(task.path, file_format, "EmptyDocument",
                              "the file holds no records (it is empty or only blank lines); check the export")


class ReadInputs(beam.PTransform):
    """Match ``specs`` and read the files: ``RawDocument``s, and ``ErrorRecord``s tagged
    ``errors``.  A file matched by several patterns is read once; byte ranges of large
    files are redistributed so that different workers read them.  Paths that start with
    one of ``exclude`` (the run's own output, when it lies inside an input directory)
    are not inputs and are not read."""

    def __init__(self, specs: list[InputSpec], params: ReadParams | None = None, exclude: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._specs = specs
        self._params = params or ReadParams()
        self._exclude = tuple(exclude)

    def expand(self, pbegin):
        return (
            pbegin
            | "Patterns" >> beam.Create(self._specs)
            | "Match" >> beam.ParDo(_MatchPattern(self._exclude))
            | "OnePerFile" >> beam.CombinePerKey(min)
            | "Ranges" >> beam.FlatMap(_plan, self._params.split_bytes)
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(_ReadFile(self._params)).with_outputs(ERRORS, main="documents")
        )
