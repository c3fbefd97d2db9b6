"""Readers: from input files to records, one page each.  No Beam here.

``input_format`` says how a file is read; ``read_ranges`` where a large file may be cut
for several workers; ``jsonl.read_records`` and ``warc.read_records`` stream the
records of one range of a multi-record file, so memory is bounded by a record, never
by the file.  A record that cannot be read is a ``BadRecord`` (with its byte offset),
and reading goes on after it where the format allows.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

__all__ = [
    "FORMATS", "MULTI_RECORD", "BadRecord", "NotGzipError", "Record", "SPLITTABLE", "TruncatedStreamError", "domain_of",
    "gzip_stream", "input_format", "locator", "page_format", "read_ranges",
]

# Extension -> input format.  Single-page formats first; .gz variants are read through
# a decompressing stream.
FORMATS = {
    ".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
    ".txt.gz": "text", ".text.gz": "text", ".html.gz": "html", ".htm.gz": "html",
    ".warc": "warc", ".warc.gz": "warc", ".wet": "wet", ".wet.gz": "wet",
    ".jsonl": "jsonl", ".jsonl.gz": "jsonl", ".ndjson": "jsonl", ".ndjson.gz": "jsonl",
}
MULTI_RECORD = frozenset({"warc", "wet", "jsonl"})
# Formats whose files can be cut at byte offsets and read range by range: JSONL
# (records end at newlines) and gzipped WARC/WET (one gzip member per record, as
# Common Crawl writes them).
SPLITTABLE = frozenset({".jsonl", ".ndjson", ".warc.gz", ".wet.gz"})


_HTML_START = re.compile(r"<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def page_format(text: str, declared: str) -> str:
    """How to clean a decoded page that its file name or record calls ``declared``
    ("text" or "html"): as declared, unless its content plainly says otherwise.

    A page declared text that starts with ``<!DOCTYPE html`` or ``<html`` is an HTML
    page saved under a text name (cleaning it as text would keep its markup); a page
    declared HTML without a single tag is plain text.  Anything in between is taken as
    declared."""
    if declared == "text" and _HTML_START.match(text.lstrip("\ufeff \t\r\n")):
        return "html"
    if declared == "html" and not _TAG.search(text):
        return "text"
    return declared


def input_format(path: str) -> tuple[str | None, str]:
    """``(format, extension)`` of ``path``; format is None for files cleanwire does not read."""
    name = path.rsplit("/", 1)[-1].lower()
    for extension in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(extension):
            return FORMATS[extension], extension
    dot = name.rfind(".")
    return None, name[dot:] if dot > 0 else ""


def read_ranges(size: int, extension: str, split_bytes: int) -> list[tuple[int, int | None]]:
    """Byte ranges ``[start, end)`` to read a file of ``size`` bytes in, each of about
    ``split_bytes`` (``end`` None: to the end).  One range for formats that cannot be
    cut, for small files and when ``split_bytes`` is 0."""
    if extension not in SPLITTABLE or split_bytes <= 0 or size <= split_bytes:
        return [(0, None)]
    starts = list(range(0, size, split_bytes))
    return [(start, start + split_bytes if start + split_bytes < size else None) for start in starts]


def locator(path: str, offset: int) -> str:
    """The ``uri`` of the record at byte ``offset`` of a multi-record file (for gzipped
    files, the offset of its gzip member in the compressed file where the format has one
    member per record, else in the uncompressed stream)."""
    return f"{path}#offset={offset}"


def domain_of(url: str | None) -> str | None:
    """The host of ``url`` without a leading ``www.``, lower case; None if it has none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


@dataclass
class Record:
    """One page of a multi-record file, with what the container says about it."""

    offset: int
    format: str  # "html" or "text"
    content: bytes
    url: str | None = None
    title: str | None = None
    published: datetime | None = None
    source: str | None = None
    charset: str | None = None


@dataclass
class BadRecord:
    """A record, or the rest of a file, that could not be read."""

    offset: int
    error_class: str
    message: str


class TruncatedStreamError(OSError):
    """A compressed stream ends before its end marker.  (Not an ``EOFError``: readers
    such as warcio take that for the normal end of their input.)"""


class NotGzipError(OSError):
    """A file named as gzip-compressed that is not: it does not start with gzip's magic bytes."""


_GZIP_MAGIC = b"\x1f\x8b"


class _GunzipStream(io.RawIOBase):
    """The decompressed content of a gzip file of any number of members, chunk by
    chunk, so that the data before a cut or damaged part can be used: the error
    (``TruncatedStreamError`` for a cut, ``zlib.error`` for damage) comes only when the reader
    asks for what lies beyond it.  (``gzip.GzipFile`` reads ahead and may raise before
    handing out data that decompressed fine.)"""

    def __init__(self, raw) -> None:
        self._raw = raw
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = self._raw.read(1 << 16)
            if not self._started:
                self._started = True
                if chunk and not chunk.startswith(_GZIP_MAGIC[: len(chunk)]):
                    raise NotGzipError("the file is not gzip-compressed (no gzip header); if it is plain, "
                                       "remove .gz from its name")
            if not chunk:
                if not self._inflater.eof:
                    raise TruncatedStreamError("the compressed stream ends before its end marker: the file was cut short")
                return 0
            while chunk:
                if self._inflater.eof:
                    self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self._pending += self._inflater.decompress(chunk)
                chunk = self._inflater.unused_data if self._inflater.eof else b""
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def gzip_stream(raw) -> io.BufferedReader:
    """A buffered, line-readable stream of the decompressed content of the gzip file
    ``raw`` (any number of members); a cut or damaged file raises only after the data
    before the damage was read."""
    return io.BufferedReader(_GunzipStream(raw), 1 << 16)
