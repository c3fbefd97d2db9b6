"""WARC and WET files (as crawlers and Common Crawl write them), read with warcio.

Pages are the ``response`` (and ``resource``) records with an HTML or plain-text
payload and a 2xx status, and a WET file's ``conversion`` records; every other record
(requests, metadata, images, redirects) is skipped and counted.  A record that cannot
be parsed becomes a ``BadRecord`` and reading resumes at the next record.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit

import brotlicffi
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed

from cleanwire.readers import BadRecord, Record, gzip_stream, page_format
from cleanwire.text.metadata import parse_timestamp
from cleanwire.text.normalize import printable

__all__ = ["Skipped", "next_record_start", "read_records"]

_PAGE_RECORDS = frozenset({"response", "resource", "conversion"})
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_LINE = re.compile(rb"(?:^|\n)WARC/1\.[01]\r?\n")
_CHUNK = 1 << 20
# Target URIs of pages; a URI without a scheme is taken as a page too.
_WEB_SCHEMES = frozenset({"http", "https", "file"})
_COMPRESSED_READ = 1 << 12  # compressed bytes fed to a decoder at a time
# Why a crawler cut a record (the WARC standard's WARC-Truncated values).
_TRUNCATED = {
    "length": "the page was longer than the crawler's size limit",
    "time": "the download took longer than the crawler's time limit",
    "disconnect": "the connection broke off",
    "unspecified": "for a reason it does not say",
}


@dataclass
class Skipped:
    """A record that is not a page (``reason``: its type or why)."""

    offset: int
    reason: str


def _is_member_start(handle: BinaryIO, offset: int) -> bool:
    handle.seek(offset)
    head = handle.read(4096)
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16).startswith(b"WARC/")
    except zlib.error:
        return False


def next_record_start(handle: BinaryIO, offset: int, gzipped: bool) -> int | None:
    """The offset of the first record that starts at or after ``offset``: a gzip
    member that holds a WARC header, or (uncompressed) a ``WARC/1.x`` line.  None at
    the end of the file."""
    position = offset
    while True:
        handle.seek(position)
        chunk = handle.read(_CHUNK + 16)
        if len(chunk) < 4:
            return None
        if gzipped:
            found = chunk.find(_GZIP_MAGIC)
            while found != -1 and found < _CHUNK:
                if _is_member_start(handle, position + found):
                    return position + found
                found = chunk.find(_GZIP_MAGIC, found + 1)
        else:
            if position == 0 and chunk.startswith(b"WARC/1."):
                return 0
            match = _WARC_LINE.search(chunk)
            if match and match.start() < _CHUNK:
                return position + match.start() + (0 if chunk[match.start():match.start() + 1] == b"W" else 1)
        if len(chunk) <= _CHUNK:
            return None
        position += _CHUNK


def _scheme(uri: str | None) -> str:
    """The scheme of ``uri`` in lower case; "" when it has none or cannot be parsed."""
    try:
        return urlsplit(uri.strip()).scheme.lower() if uri else ""
    except ValueError:
        return ""


def _unsupported_encoding(record) -> str | None:
    """The HTTP ``Content-Encoding`` of the record when ``_payload`` cannot decode it (its
    bytes would decode as binary noise)."""
    if record.http_headers is None:
        return None
    encoding = (record.http_headers.get_header("Content-Encoding") or "").strip().lower()
    if encoding in ("", "identity") or encoding in _DECODERS:
        return None
    return printable(encoding)[:40]


def _page(record, offset: int, max_bytes: int) -> Record | BadRecord | Skipped:
    kind = record.rec_type
    if kind not in _PAGE_RECORDS:
        return Skipped(offset, kind or "unknown")
    headers = record.rec_headers
    scheme = _scheme(headers.get_header("WARC-Target-URI"))
    if scheme and scheme not in _WEB_SCHEMES:
        # What the crawler says about itself: ``wget --warc-file`` always stores its log and
        # arguments as text/plain resource records under metadata:// URIs, which would
        # otherwise become a document and an error row in every wget crawl.
        return Skipped(offset, f"not a web page ({scheme}: URI)")
    if kind == "response" and record.http_headers is not None:
        status = record.http_headers.get_statuscode() or ""
        partial = status == "206"
        if not status.startswith("2"):
            return Skipped(offset, f"status {status or 'unknown'}")
        content_type = record.http_headers.get_header("Content-Type") or ""
    else:
        partial = False
        content_type = headers.get_header("Content-Type") or ""
    mime = content_type.split(";")[0].strip().lower()
    content = None
    if not mime and kind == "response":  # a server that sent no type: look at the payload
        content = _payload(record, max_bytes)
        mime = "text/html" if page_format(content[:1024].decode("utf-8", errors="ignore"), "text") == "html" else ""
    if kind == "conversion" or mime == "text/plain":
        declared = "text"
    elif "html" in mime:
        declared = "html"
    else:
        return Skipped(offset, f"not a page ({mime or 'no content type'})")
    # A part of a page is not the page: deduplicated as if whole, its copies elsewhere
    # would look like the longer versions of it.  Only pages are errors; a partial image
    # is skipped above as any image is.
    if partial:
        return BadRecord(offset, "PartialContent",
                         "the response is 206 Partial Content: the payload is a byte range of the page, not the page "
                         "(the crawler sent a Range header or resumed a download); crawl the page again without a range")
    truncated = headers.get_header("WARC-Truncated")
    if truncated:
        return BadRecord(offset, "TruncatedRecord",
                         f"the crawler cut the record (WARC-Truncated: {printable(truncated)[:40]}: "
                         f"{_TRUNCATED.get(truncated.strip().lower(), 'for a reason it does not say')}); "
                         "a cut page would be deduplicated as if whole: raise the crawler's limit and crawl the page again")
    encoding = _unsupported_encoding(record)
    if encoding:
        return BadRecord(offset, "UnsupportedEncoding",
                         f"the response's Content-Encoding {encoding} is not supported (cleanwire decompresses "
                         f"{', '.join(sorted(_DECODERS))}); the payload is still compressed, which reads as binary data")
    if (record.length or 0) > max_bytes:
        return BadRecord(offset, "DocumentTooLarge",
                         f"the record holds {record.length:,} bytes, more than --max-document-bytes {max_bytes:,}")
    if content is None:
        content = _payload(record, max_bytes)
    if len(content) > max_bytes:
        encoding = record.http_headers.get_header("Content-Encoding") if record.http_headers else None
        return BadRecord(offset, "DocumentTooLarge",
                         f"the record's payload holds more than --max-document-bytes {max_bytes:,} bytes once decompressed "
                         f"(Content-Encoding: {encoding or 'none'}; {record.length:,} bytes as stored); it was not read "
                         "(raise the limit if it really is one page)")
    missing = getattr(record.raw_stream, "limit", 0)  # what the record's Content-Length promised and the file lacks
    if missing > 0:
        return BadRecord(offset, "TruncatedFile",
                         f"the record ends {missing:,} bytes short of the {record.length:,} its header announces (the file was "
                         "cut, e.g. while being written or copied); a cut page would be deduplicated as if whole")
    charset = _CHARSET.search(content_type)
    return Record(
        offset=offset, format=declared, content=content,
        url=headers.get_header("WARC-Target-URI"),
        published=parse_timestamp(headers.get_header("WARC-Date")),
        charset="utf-8" if kind == "conversion" else (charset.group(1) if charset else None),
    )


def _payload(record, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the record's payload, decompressed.  The
    record's length is what is stored, and an HTTP ``Content-Encoding`` (gzip, deflate,
    br) can make the payload thousands of times larger (a decompression bomb): the
    limit is applied to what the page holds, with a bound on the decoder's output (a
    few hundred bytes of brotli can hold gigabytes).  A compressed payload that breaks
    off before its end raises ``ValueError``: what came out is part of a page."""
    headers = record.http_headers
    encoding = (headers.get_header("Content-Encoding") or "").strip().lower() if headers is not None else ""
    if encoding not in _DECODERS:
        return record.content_stream().read(max_bytes + 1)
    chunked = (headers.get_header("Transfer-Encoding") or "").strip().lower() == "chunked"
    raw = ChunkedDataReader(record.raw_stream) if chunked else record.raw_stream
    pending = raw.read(_COMPRESSED_READ)
    if not pending:
        return b""  # no body at all: an empty page, not a cut one
    decoder = _DECODERS[encoding](pending)
    out = bytearray()
    while len(out) <= max_bytes and not decoder.finished():
        if not pending:
            pending = raw.read(_COMPRESSED_READ)
            if not pending and not decoder.holds_output():
                break
        chunk, pending = decoder.feed(pending, max_bytes + 1 - len(out))
        out += chunk
    if len(out) <= max_bytes and not decoder.finished():
        raise ValueError(f"the {encoding}-compressed payload breaks off ({len(out):,} bytes decoded before its end)")
    return bytes(out)


class _ZlibDecoder:
    """gzip or deflate (zlib-wrapped, or raw as many servers send it), ``limit`` bytes
    of output at a time."""

    def __init__(self, first: bytes, gzip: bool) -> None:
        zlib_header = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else
                                                zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)

    def feed(self, data: bytes, limit: int) -> tuple[bytes, bytes]:
        """``(output, input not consumed yet)``."""
        return self._decompressor.decompress(data, limit), self._decompressor.unconsumed_tail

    def holds_output(self) -> bool:
        return False  # zlib hands back the input it could not decode within the limit

    def finished(self) -> bool:
        return self._decompressor.eof


class _BrotliDecoder:
    """brotli, ``limit`` bytes of output at a time."""

    def __init__(self, first: bytes) -> None:
        self._decompressor = brotlicffi.Decompressor()

    def feed(self, data: bytes, limit: int) -> tuple[bytes, bytes]:
        """``(output, input not consumed yet)``: brotli takes input only when it holds
        no output back."""
        if self.holds_output():
            return self._decompressor.process(b"", output_buffer_limit=limit), data
        return self._decompressor.process(data, output_buffer_limit=limit), b""

    def holds_output(self) -> bool:
        return not self._decompressor.can_accept_more_data()

    def finished(self) -> bool:
        return self._decompressor.is_finished()


_DECODERS = {"gzip": lambda first: _ZlibDecoder(first, gzip=True), "x-gzip": lambda first: _ZlibDecoder(first, gzip=True),
             "deflate": lambda first: _ZlibDecoder(first, gzip=False), "br": _BrotliDecoder}


def _reason(exc: Exception) -> str:
    """What warcio (or gzip) said, short and printable: warcio quotes the raw bytes of
    the line it could not read, which for damaged gzip data is binary noise."""
    message = str(exc)
    if "first line:" in message:
        message = message.split("first line:", 1)[0].rstrip(" ,:") + " (the bytes there do not start a WARC record)"
    message = printable(message)
    return f"{type(exc).__name__}: {message[:160] + '...' if len(message) > 160 else message}"


def _single_stream(handle: BinaryIO, skip: int, max_bytes: int) -> Iterator[Record | BadRecord | Skipped]:
    """The records of a WARC gzipped as one stream, after the first ``skip``; offsets
    are positions in the decompressed stream.  A cut or damaged stream ends with one
    bad record."""
    handle.seek(0)
    records = ArchiveIterator(gzip_stream(handle))
    offset = 0
    try:
        for k, record in enumerate(records):
            offset = records.offset
            if k >= skip:
                yield _page(record, offset, max_bytes)
    except Exception as exc:  # as in read_records, but a single stream cannot be resumed
        yield BadRecord(
            records.offset if records.offset >= offset else offset, "TruncatedFile",
            f"the file (one gzip stream) breaks off or is damaged here ({_reason(exc)}); "
            "the records before were read, the rest is lost",
        )


def read_records(
    handle: BinaryIO, start: int, end: int | None, gzipped: bool, max_bytes: int,
) -> Iterator[Record | BadRecord | Skipped]:
    """The records that start in ``[start, end)`` of the seekable raw (still
    compressed) file ``handle``; ``end`` None: to the end.  A range that starts
    inside a record begins at the next one.  Offsets are positions in the file as
    stored (for ``.warc.gz``, where each record's gzip member starts; for a ``.warc.gz``
    that is one gzip stream, positions in the decompressed stream: such a file is read
    whole by the range that starts at 0, and other ranges find no record)."""
    position = next_record_start(handle, start, gzipped) if start > 0 else 0
    yielded = 0
    while position is not None and (end is None or position < end):
        handle.seek(position)
        records = ArchiveIterator(handle)
        offset = position
        try:
            for record in records:
                offset = records.offset
                if end is not None and offset >= end:
                    return
                yield _page(record, offset, max_bytes)
                yielded += 1
            return
        except Exception as exc:  # warcio raises many kinds for a damaged record; each is one bad record
            if isinstance(exc, ArchiveLoadFailed) and gzipped and start == 0 and "non-chunked gzip" in str(exc):
                # The whole file is one gzip stream (``gzip crawl.warc``), not a member
                # per record: it cannot be cut, so the first range reads all of it.
                yield from _single_stream(handle, yielded, max_bytes)
                return
            offset = records.offset if records.offset >= offset else offset
            yield BadRecord(
                offset, "CorruptRecord",
                f"the record cannot be read ({_reason(exc)}); the records around it were read",
            )
            position = next_record_start(handle, offset + 1, gzipped)
