"""JSON Lines exports: one JSON object per line, with the page's text or HTML."""

from __future__ import annotations

import json
import re
import zlib
from typing import BinaryIO, Iterator, Mapping

from cleanwire.readers import BadRecord, NotGzipError, Record, domain_of
from cleanwire.text.metadata import parse_published

__all__ = ["FIELDS", "holds_line", "parse_fields", "read_records", "skip_line"]

FIELDS = ("text", "html", "url", "title", "published", "source")
_CHUNK = 1 << 20


def parse_fields(spec: str) -> dict[str, str]:
    """Field names from ``text=body,url=link``: every field of ``FIELDS`` maps to
    the JSON key named for it, or to its own name.  A key with dots that a record
    does not hold as it is names a nested value (``html=page.html``).  Raises ``ValueError`` naming an
    unknown field or a malformed item."""
    fields = {name: name for name in FIELDS}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, key = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected FIELD=KEY in --jsonl-fields, got {item!r}")
        if name.strip() not in fields:
            raise ValueError(f"--jsonl-fields: unknown field {name.strip()!r}; use one of {', '.join(FIELDS)}")
        fields[name.strip()] = key.strip()
    return fields


def skip_line(handle: BinaryIO) -> int:
    """Read ``handle`` up to and including the next newline, a chunk at a time;
    return the number of bytes read."""
    skipped = 0
    while True:
        chunk = handle.readline(_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def holds_line(handle: BinaryIO, offset: int) -> bool:
    """Whether ``handle`` holds a byte other than whitespace at or after ``offset``:
    part of a line that is not blank, so a record (or a bad record) for the range
    that line starts in."""
    handle.seek(offset)
    while chunk := handle.read(_CHUNK):
        if chunk.strip():  # the whitespace bytes.strip() removes, as a blank line is found in read_records
            return True
    return False


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


_ABSENT = object()


def _lookup(obj: Mapping, key: str):
    """``obj[key]``, or ``_ABSENT``.  A key with dots that ``obj`` does not hold as it is
    is a path into nested objects (``page.html``: ``obj["page"]["html"]``): exports
    nest the page, and flattened ones (pandas' ``json_normalize``) keep the dotted name."""
    if key in obj:
        return obj[key]
    value = obj
    for part in key.split(".") if "." in key else ():
        if not isinstance(value, Mapping) or part not in value:
            return _ABSENT
        value = value[part]
    return value if value is not obj else _ABSENT


def _text_field(obj: Mapping, key: str) -> str | None:
    """``obj[key]`` stripped, when it is a non-empty string.  A lone surrogate (a
    ``\\ud800`` escape that JSON allows, often a truncated emoji) becomes U+FFFD: it
    cannot be stored as UTF-8, in Parquet or anywhere else."""
    value = _lookup(obj, key)
    return _LONE_SURROGATE.sub("\ufffd", value).strip() or None if isinstance(value, str) else None


_JSON_TYPES = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", str: "a string",
               list: "an array", dict: "an object"}


def parse_record(line: bytes, offset: int, fields: Mapping[str, str]) -> Record | BadRecord:
    """The record of one JSON line at byte ``offset``."""
    try:
        obj = json.loads(line)
    except UnicodeDecodeError as exc:
        return BadRecord(offset, "MalformedJSON",
                         f"the line is not UTF-8 (byte {exc.start + 1} cannot be read), and JSON text must be; "
                         "export the file as UTF-8")
    except (ValueError, RecursionError) as exc:
        what = str(getattr(exc, "msg", exc)).removesuffix(" at")  # json says "Invalid control character at"
        where = f" at character {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        return BadRecord(offset, "MalformedJSON", f"the line is not valid JSON ({what}{where}); fix or remove the line")
    if not isinstance(obj, dict):
        return BadRecord(offset, "MalformedJSON",
                         f"the line holds {_JSON_TYPES.get(type(obj), 'a value')} (JSON), not an object")
    html, text = _lookup(obj, fields["html"]), _lookup(obj, fields["text"])
    content, page_format = (html, "html") if isinstance(html, str) else (text, "text")
    if not isinstance(content, str):
        present = [(key, value) for key, value in ((fields["text"], text), (fields["html"], html)) if value is not _ABSENT]
        if present:  # the field is there, but empty (null) or not text
            key, value = present[0]
            return BadRecord(
                offset, "MissingField",
                f"the record's {key!r} is {_JSON_TYPES.get(type(value), 'not text')}, not a string: "
                "the export holds no page here; fix the export, or leave the record out")
        return BadRecord(
            offset, "MissingField",
            f"the record has no field {fields['text']!r} or {fields['html']!r} "
            f"(keys: {', '.join(sorted(map(str, obj))[:8]) or 'none'}); name the fields with --jsonl-fields text=KEY,html=KEY",
        )
    published = _lookup(obj, fields["published"])
    source = _text_field(obj, fields["source"])
    if source and "://" in source:
        # A page's URL where its publisher is expected (trafilatura's --json puts the URL
        # in "source"): its host, as for a record whose source comes from its url;
        # else every page would be a publisher of its own.
        source = domain_of(source) or source
    return Record(
        offset=offset, format=page_format, content=_LONE_SURROGATE.sub("\ufffd", content).encode("utf-8"),
        url=_text_field(obj, fields["url"]), title=_text_field(obj, fields["title"]),
        published=parse_published(None if published is _ABSENT else published),
        source=source, charset="utf-8",
    )


# Byte-order marks of the encodings a JSONL file cannot be cut into lines in (UTF-32
# first: its little-endian mark starts with UTF-16's).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"), (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"), (b"\xfe\xff", "UTF-16 (big-endian)"),
)


def _wide_encoding(head: bytes) -> str | None:
    """The UTF-16 or UTF-32 encoding whose byte-order mark ``head`` (a file's first bytes) starts with."""
    return next((name for bom, name in _WIDE_BOMS if head.startswith(bom)), None)


def read_records(
    handle: BinaryIO, start: int, end: int | None, fields: Mapping[str, str], max_bytes: int,
) -> Iterator[Record | BadRecord]:
    """The records of the lines that start in ``[start, end)`` of ``handle`` (``end``
    None: to the end of the file).  Blank lines are skipped; a line longer than
    ``max_bytes`` is a ``DocumentTooLarge`` bad record and is never held in memory
    whole; a stream that breaks off (truncated or corrupt gzip) ends with one bad
    record for the rest of the file."""
    position = start
    try:
        if start > 0:
            handle.seek(0)
            if _wide_encoding(handle.read(4)):
                return  # the range that starts at 0 gives the file's one error row
            handle.seek(start - 1)
            position = start - 1 + skip_line(handle)
        while end is None or position < end:
            offset = position
            line = handle.readline(max_bytes + 1)
            if not line:
                return
            position += len(line)
            if offset == 0 and (wide := _wide_encoding(line)):
                # Cut at b"\n", UTF-16 or UTF-32 text gives lines that start or end with
                # half a character, each a confusing MalformedJSON row: one row for the file.
                yield BadRecord(0, "NotUTF8", f"the file is {wide} text (it starts with that byte-order mark, as "
                                "PowerShell's > and Out-File write files), and JSON Lines must be UTF-8; convert it "
                                "to UTF-8 (iconv -f UTF-16 -t UTF-8, or Out-File -Encoding utf8) and run again")
                return
            if len(line) > max_bytes and not line.endswith(b"\n"):
                position += skip_line(handle)
                yield BadRecord(offset, "DocumentTooLarge",
                                f"the line holds more than {max_bytes:,} bytes; raise --max-document-bytes to read it")
                continue
            if line.strip():
                yield parse_record(line, offset, fields)
    except NotGzipError as exc:
        yield BadRecord(position, "NotGzip", str(exc))
    except (EOFError, zlib.error, OSError) as exc:
        yield BadRecord(
            position, "TruncatedFile",
            f"the file breaks off after byte {position:,} of its content ({exc}); the records before were read, "
            "the rest is lost: download or copy the file again",
        )
