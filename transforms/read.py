"""Stage 1, read: expand the input patterns and read every matched file.

Each matched file becomes a ``RawDocument`` or, when it cannot be read or has a format
cleanwire does not handle, an ``ErrorRecord`` on the ``errors`` output.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from cleanwire.model import ErrorRecord, RawDocument
from transforms.stats import StageStats

__all__ = ["ERRORS", "FORMATS", "InputSpec", "ReadInputs", "source_for"]

ERRORS = "errors"
FORMATS = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html"}


@dataclass(frozen=True)
class InputSpec:
    """A pattern to match and the directory the user named (for deriving sources)."""

    pattern: str
    root: str


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
    return posixpath.splitext(posixpath.basename(path))[0]


class _MatchPattern(beam.DoFn):
    def process(self, spec: InputSpec):
        for metadata in FileSystems.match([spec.pattern])[0].metadata_list:
            yield metadata.path, spec.root


class _ReadFile(beam.DoFn):
    def setup(self) -> None:
        self.stats = StageStats("read")

    def process(self, element):
        path, root = element
        self.stats.count("files")
        extension = posixpath.splitext(path)[1].lower()
        file_format = FORMATS.get(extension)
        if file_format is None:
            self.stats.count("errors")
            yield beam.pvalue.TaggedOutput(ERRORS, ErrorRecord(
                path, "read", "UnsupportedFormat",
                f"cleanwire does not read '{extension or 'extensionless'}' files; "
                f"give it {', '.join(sorted(FORMATS))} files, or leave this file out of the input",
            ))
            return
        with self.stats.timed():
            try:
                with FileSystems.open(path, compression_type="uncompressed") as handle:
                    content = handle.read()
            except Exception as exc:  # any I/O failure becomes an error row, not a crash
                self.stats.count("errors")
                yield beam.pvalue.TaggedOutput(ERRORS, ErrorRecord(
                    path, "read", type(exc).__name__, f"could not read the file: {exc}"))
                return
        self.stats.count("bytes", len(content))
        yield RawDocument(uri=path, source=source_for(path, root), format=file_format, content=content)


class ReadInputs(beam.PTransform):
    """Match ``specs`` and read the files: ``RawDocument``s, and ``ErrorRecord``s tagged
    ``errors``.  A file matched by several patterns is read once."""

    def __init__(self, specs: list[InputSpec]) -> None:
        super().__init__()
        self._specs = specs

    def expand(self, pbegin):
        return (
            pbegin
            | "Patterns" >> beam.Create(self._specs)
            | "Match" >> beam.ParDo(_MatchPattern())
            | "OnePerFile" >> beam.CombinePerKey(min)
            | "Read" >> beam.ParDo(_ReadFile()).with_outputs(ERRORS, main="documents")
        )
