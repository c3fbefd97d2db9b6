"""The readers as pure functions: formats, byte ranges, JSONL and WARC records, gzip streams."""

from __future__ import annotations

import gzip
import io
import json
import zlib

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleanwire.readers import (
    BadRecord, NotGzipError, Record, TruncatedStreamError, domain_of, gzip_stream, input_format, page_format,
    read_ranges,
)
from cleanwire.readers import jsonl, warc
from cleanwire.text.layout import wrap_long_lines
from tests.conftest import DATA

FIELDS = jsonl.parse_fields("")


def test_input_format_knows_compound_extensions():
    assert input_format("/a/b/crawl-00001.warc.gz") == ("warc", ".warc.gz")
    assert input_format("x.WET") == ("wet", ".wet")
    assert input_format("dump.jsonl.gz") == ("jsonl", ".jsonl.gz")
    assert input_format("page.html.gz") == ("html", ".html.gz")
    # Every single-page and JSONL extension is read gzipped too, as the help says.
    assert input_format("page.text.gz") == ("text", ".text.gz")
    assert input_format("feed.ndjson.gz") == ("jsonl", ".ndjson.gz")
    assert input_format("notes.pdf") == (None, ".pdf")
    assert input_format("README") == (None, "")


def test_read_ranges_cover_the_file_once():
    ranges = read_ranges(1000, ".jsonl", 300)
    assert ranges == [(0, 300), (300, 600), (600, 900), (900, None)]
    assert read_ranges(1000, ".jsonl.gz", 300) == [(0, None)]  # a gzip stream cannot be entered midway
    assert read_ranges(1000, ".warc", 300) == [(0, None)]
    assert read_ranges(1000, ".warc.gz", 0) == [(0, None)]
    assert read_ranges(300, ".warc.gz", 300) == [(0, None)]


def test_domain_of():
    assert domain_of("https://www.BBC.co.uk/news/1") == "bbc.co.uk"
    assert domain_of("http://news.example.org:8080/x") == "news.example.org"
    assert domain_of("not a url") is None and domain_of(None) is None


def test_parse_fields():
    assert jsonl.parse_fields("text=body, url=link")["text"] == "body"
    assert jsonl.parse_fields("")["html"] == "html"
    with pytest.raises(ValueError, match="unknown field"):
        jsonl.parse_fields("content=x")
    with pytest.raises(ValueError, match="FIELD=KEY"):
        jsonl.parse_fields("text")


def _jsonl(n: int) -> bytes:
    lines = [json.dumps({"text": f"record {k} " + "word " * (k % 7), "url": f"https://e.com/{k}"}) for k in range(n)]
    lines.insert(3, "")
    lines.insert(5, "{broken")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("split", [1, 17, 64, 100, 10_000])
def test_jsonl_ranges_read_every_line_exactly_once(split):
    data = _jsonl(40)
    whole = list(jsonl.read_records(io.BytesIO(data), 0, None, FIELDS, 10_000))
    pieces = []
    for start, end in read_ranges(len(data), ".jsonl", split):
        pieces += jsonl.read_records(io.BytesIO(data), start, end, FIELDS, 10_000)
    assert pieces == whole
    assert sum(isinstance(r, Record) for r in whole) == 40
    assert [r.error_class for r in whole if isinstance(r, BadRecord)] == ["MalformedJSON"]
    assert all(data[r.offset:].startswith(b"{") for r in whole)  # offsets point at the line


def test_jsonl_overlong_line_is_a_bad_record_and_reading_goes_on():
    data = json.dumps({"text": "x" * 5000}).encode() + b"\n" + json.dumps({"text": "short one"}).encode() + b"\n"
    records = list(jsonl.read_records(io.BytesIO(data), 0, None, FIELDS, 1000))
    assert [type(r).__name__ for r in records] == ["BadRecord", "Record"]
    assert records[0].error_class == "DocumentTooLarge" and records[1].content == b"short one"


def test_jsonl_record_fields_and_renamed_keys():
    fields = jsonl.parse_fields("text=body,published=date")
    line = json.dumps({"body": "Hello", "date": "2026-11-20", "title": " T ", "source": "wire"}).encode()
    record = jsonl.parse_record(line, 7, fields)
    assert (record.content, record.title, record.source, record.offset) == (b"Hello", "T", "wire", 7)
    assert record.published.isoformat() == "2026-11-20T00:00:00+00:00"
    missing = jsonl.parse_record(json.dumps({"text": "x"}).encode(), 0, fields)
    assert missing.error_class == "MissingField" and "--jsonl-fields" in missing.message


def test_lone_surrogates_in_a_jsonl_record_become_replacement_characters():
    # JSON allows "\ud800" alone (a truncated emoji); such a string cannot be encoded
    # as UTF-8, and used to stop the whole run in Beam's coder.
    line = br'{"text": "a \ud800 b", "title": "T\udfff", "source": "S\ud800x", "url": "https://x.org/\udc00"}'
    record = jsonl.parse_record(line, 0, {name: name for name in jsonl.FIELDS})
    assert record.content == "a \ufffd b".encode()
    assert (record.title, record.source, record.url) == ("T\ufffd", "S\ufffdx", "https://x.org/\ufffd")
    paired = jsonl.parse_record(br'{"text": "\ud83d\ude00"}', 0, {name: name for name in jsonl.FIELDS})
    assert paired.content == "\U0001F600".encode()


@pytest.mark.parametrize("line, error_class, says", [
    (b"null", "MalformedJSON", "holds null (JSON), not an object"),
    (b"[1, 2]", "MalformedJSON", "holds an array (JSON), not an object"),
    (b'{"text": null, "url": "https://x.org/a"}', "MissingField", "'text' is null, not a string"),
    (b'{"html": 7}', "MissingField", "'html' is a number, not a string"),
])
def test_a_jsonl_record_without_a_page_says_what_it_holds_in_json_terms(line, error_class, says):
    bad = jsonl.parse_record(line, 0, {name: name for name in jsonl.FIELDS})
    assert bad.error_class == error_class and says in bad.message


def test_gzip_stream_gives_the_data_before_a_cut_then_fails():
    payload = b"".join(f"line {k} {'abcdefghij'[k % 10] * (k % 50)}\n".encode() for k in range(20_000))
    cut = gzip.compress(payload, mtime=0)
    cut = cut[: len(cut) // 2]
    stream = gzip_stream(io.BytesIO(cut))
    lines = []
    with pytest.raises(TruncatedStreamError):
        while line := stream.readline():
            lines.append(line)
    assert len(lines) > 5_000 and b"".join(lines) == payload[: len(b"".join(lines))]


def test_gzip_stream_reads_concatenated_members():
    data = gzip.compress(b"one\n", mtime=0) + gzip.compress(b"two\n", mtime=0)
    assert gzip_stream(io.BytesIO(data)).read() == b"one\ntwo\n"


def _warc(n: int, gzipped: bool = True) -> tuple[bytes, list[int]]:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzipped)
    offsets = []
    for k in range(n):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=iso-8859-1")], protocol="HTTP/1.1")
        offsets.append(buffer.tell())
        writer.write_record(writer.create_warc_record(
            f"https://site{k % 3}.example/{k}", "response", payload=io.BytesIO(f"<p>page {k}</p>".encode()),
            http_headers=headers, warc_headers_dict={"WARC-Date": "2026-11-20T08:00:00Z"}))
        writer.write_record(writer.create_warc_record(f"https://site{k % 3}.example/{k}", "request",
                                                      payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
    return buffer.getvalue(), offsets


def test_warc_pages_with_their_container_metadata():
    data, offsets = _warc(3, gzipped=False)
    records = list(warc.read_records(io.BytesIO(data), 0, None, False, 10_000))
    pages = [r for r in records if isinstance(r, Record)]
    assert [p.offset for p in pages] == offsets
    assert [type(r).__name__ for r in records].count("Skipped") == 3
    assert pages[1].url == "https://site1.example/1" and pages[1].charset == "iso-8859-1"
    assert pages[0].content == b"<p>page 0</p>" and pages[0].published.isoformat() == "2026-11-20T08:00:00+00:00"


@pytest.mark.parametrize("split", [200, 999, 5000])
def test_gzipped_warc_ranges_read_every_record_once(split):
    data, offsets = _warc(12)
    pieces = []
    for start, end in read_ranges(len(data), ".warc.gz", split):
        pieces += [r.offset for r in warc.read_records(io.BytesIO(data), start, end, True, 10_000) if isinstance(r, Record)]
    assert pieces == offsets


def test_a_corrupt_warc_record_is_reported_and_the_rest_are_read():
    data, offsets = _warc(5)
    damaged = bytearray(data)
    damaged[offsets[2] + 50: offsets[2] + 70] = b"\xff" * 20
    records = list(warc.read_records(io.BytesIO(bytes(damaged)), 0, None, True, 10_000))
    assert [r.offset for r in records if isinstance(r, Record)] == offsets[:2] + offsets[3:]
    [bad] = [r for r in records if isinstance(r, BadRecord)]
    assert bad.offset == offsets[2] and bad.error_class == "CorruptRecord"


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_warc_cut_inside_a_record_makes_it_an_error_not_a_shorter_page(gzipped):
    plain, plain_offsets = _warc(2, gzipped=False)
    cut_at = plain.index(b"<p>page 1</p>") + 5  # inside the second page's payload
    cut = plain[:cut_at]
    if gzipped:  # a member per record, the second page's cut short
        data, offsets = _warc(2, gzipped=True)
        cut = data[:offsets[1]] + gzip.compress(plain[plain_offsets[1]:cut_at], mtime=0)
    records = [r for r in warc.read_records(io.BytesIO(cut), 0, None, gzipped, 10_000) if not isinstance(r, warc.Skipped)]
    assert isinstance(records[0], Record) and records[0].content == b"<p>page 0</p>"
    assert [type(r).__name__ for r in records[1:]] == ["BadRecord"] and records[1].error_class == "TruncatedFile"
    assert "short of" in records[1].message


def test_oversized_warc_record_is_not_read():
    data, offsets = _warc(2)
    records = [r for r in warc.read_records(io.BytesIO(data), 0, None, True, 10) if not isinstance(r, warc.Skipped)]
    assert [r.error_class for r in records] == ["DocumentTooLarge", "DocumentTooLarge"]


def test_wrap_long_lines_keeps_every_word():
    text = "short line\n" + " ".join(f"w{k}" for k in range(3000)) + "\nend"
    wrapped = wrap_long_lines(text, 100)
    assert max(len(line) for line in wrapped.split("\n")) <= 100
    assert wrapped.split() == text.split()
    assert wrap_long_lines("x" * 250, 100).split("\n") == ["x" * 100, "x" * 100, "x" * 50]
    assert wrap_long_lines(text, 100_000) == text


def test_a_warc_gzipped_as_one_stream_is_read_whole_by_the_first_range():
    plain, _ = _warc(6, gzipped=False)
    data = gzip.compress(plain, mtime=0)
    pages = [r for r in warc.read_records(io.BytesIO(data), 0, len(data) // 2, True, 10_000) if isinstance(r, Record)]
    assert [p.url for p in pages] == [f"https://site{k % 3}.example/{k}" for k in range(6)]
    assert not list(warc.read_records(io.BytesIO(data), len(data) // 2, None, True, 10_000))
    cut = list(warc.read_records(io.BytesIO(data[: len(data) * 2 // 3]), 0, None, True, 10_000))
    assert isinstance(cut[-1], BadRecord) and cut[-1].error_class == "TruncatedFile"
    assert 0 < sum(isinstance(r, Record) for r in cut) < 6


@pytest.mark.parametrize("text, declared, shown", [
    ("<!DOCTYPE html>\n<html><body><p>Story</p></body></html>", "text", "html"),
    ("\ufeff  <HTML lang='en'><p>Story</p>", "text", "html"),
    ("The <b> key and <html> are mentioned inside prose.", "text", "text"),
    ("Plain prose about 3 < 4 and 5 > 2, no tags.\nSecond line.", "html", "text"),
    ("Story<br>More", "html", "html"),
    ("<p>A fragment without a doctype</p>", "html", "html"),
])
def test_page_format_follows_the_content_only_where_it_plainly_differs(text, declared, shown):
    assert page_format(text, declared) == shown


def test_a_file_named_gzip_that_is_not_says_so():
    with pytest.raises(NotGzipError, match="not gzip-compressed"):
        gzip_stream(io.BytesIO(b"plain text, named .txt.gz by mistake\n")).read()
    [record] = list(jsonl.read_records(gzip_stream(io.BytesIO(b'{"text": "plain"}\n')), 0, None, {"text": "text"}, 1 << 20))
    assert isinstance(record, BadRecord) and record.error_class == "NotGzip"
    assert gzip_stream(io.BytesIO(gzip.compress(b"whole\n"))).read() == b"whole\n"


def test_a_response_without_content_type_is_read_when_its_payload_is_an_html_page():
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    payloads = [b"\n<!DOCTYPE html><html><body><p>Story</p></body></html>", b"%PDF-1.4 binary"]
    for k, payload in enumerate(payloads):
        headers = StatusAndHeaders("200 OK", [("Content-Length", str(len(payload)))], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            f"https://untyped.example/{k}", "response", payload=io.BytesIO(payload), http_headers=headers))
    page, other = list(warc.read_records(io.BytesIO(buffer.getvalue()), 0, None, True, 10_000))
    assert isinstance(page, Record) and page.format == "html" and page.content == payloads[0]
    assert isinstance(other, warc.Skipped) and other.reason == "not a page (no content type)"


def test_a_jsonl_line_that_is_not_utf8_says_so():
    fields = {name: name for name in jsonl.FIELDS}
    record = jsonl.parse_record('{"text": "café"}'.encode("latin-1"), 0, fields)
    assert isinstance(record, BadRecord) and record.error_class == "MalformedJSON"
    assert "not UTF-8" in record.message and "export the file as UTF-8" in record.message


def test_a_jsonl_line_of_exactly_max_bytes_is_read_and_so_is_the_next():
    first = json.dumps({"text": "padded "}).encode()
    first = first[:-2] + b" " * (300 - len(first)) + first[-2:]  # '{"text": "padded   ...   "}'
    assert len(first) == 300 and json.loads(first)["text"].startswith("padded")
    data = first + b"\n" + json.dumps({"text": "next one"}).encode() + b"\n"
    records = list(jsonl.read_records(io.BytesIO(data), 0, None, FIELDS, 300))
    assert [type(r).__name__ for r in records] == ["Record", "Record"]
    assert records[0].content.startswith(b"padded") and records[1].content == b"next one" and records[1].offset == 301
    # One byte more is too large, and the next record is still read.
    records = list(jsonl.read_records(io.BytesIO(data), 0, None, FIELDS, 299))
    assert [type(r).__name__ for r in records] == ["BadRecord", "Record"] and records[1].content == b"next one"


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_warc_record_starting_exactly_at_a_range_boundary_is_read_by_one_range(gzipped):
    data, offsets = _warc(4, gzipped=gzipped)
    bounds = [0, offsets[1], offsets[3], None]  # ranges that end exactly where a page starts
    pieces = []
    for start, end in zip(bounds, bounds[1:]):
        pieces.append([r.offset for r in warc.read_records(io.BytesIO(data), start, end, gzipped, 10_000)
                       if isinstance(r, Record)])
    assert pieces == [offsets[:1], offsets[1:3], offsets[3:]]


def test_warc_resource_records_are_pages():
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(writer.create_warc_record(
        "https://archive.example/story", "resource", payload=io.BytesIO(b"<html><body><p>Stored story</p></body></html>"),
        warc_content_type="text/html; charset=utf-8", warc_headers_dict={"WARC-Date": "2026-11-20T08:00:00Z"}))
    writer.write_record(writer.create_warc_record(
        "https://archive.example/notes.txt", "resource", payload=io.BytesIO(b"Plain notes"), warc_content_type="text/plain"))
    html, text = list(warc.read_records(io.BytesIO(buffer.getvalue()), 0, None, True, 10_000))
    assert isinstance(html, Record) and (html.format, html.url, html.charset) == ("html", "https://archive.example/story", "utf-8")
    assert html.content == b"<html><body><p>Stored story</p></body></html>"
    assert isinstance(text, Record) and (text.format, text.content) == ("text", b"Plain notes")


def _response(writer, uri: str, body: bytes, headers: list[tuple[str, str]], status: str = "200 OK",
              warc_headers: dict | None = None) -> None:
    """One HTTP response record, written as a crawler writes it (warcio)."""
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http,
                                                  warc_headers_dict=warc_headers or {}))


def test_a_gzip_encoded_payload_over_the_limit_once_decompressed_is_too_large_not_read_whole():
    # A server's Content-Encoding: gzip makes the stored record small and the page large
    # (here 30:1; a gzip bomb is 1000:1): the limit applies to the page.
    page = b"<html><body>" + b"<p>The harbour board met on Monday to discuss the cranes.</p>" * 500 + b"</body></html>"
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]
    _response(writer, "https://news.example/bomb", gzip.compress(page, mtime=0), headers)
    _response(writer, "https://news.example/small", gzip.compress(page[:4000], mtime=0), headers)
    _response(writer, "https://news.example/untyped", gzip.compress(page, mtime=0), [("Content-Encoding", "gzip")])
    limit = 10_000
    assert len(gzip.compress(page, mtime=0)) < limit < len(page)
    big, small, untyped = list(warc.read_records(io.BytesIO(buffer.getvalue()), 0, None, True, limit))
    assert isinstance(big, BadRecord) and big.error_class == "DocumentTooLarge"
    assert "once decompressed" in big.message and "Content-Encoding: gzip" in big.message
    assert isinstance(small, Record) and small.content == page[:4000]
    # No content type: the payload is sniffed, and still not cut to the limit and kept.
    assert isinstance(untyped, BadRecord) and untyped.error_class == "DocumentTooLarge"


def test_partial_and_crawler_truncated_pages_are_errors_not_shorter_pages():
    # As wget and Heritrix write them: a 206 answer to a Range request, and a record the
    # crawler cut at its size limit (WARC-Truncated: length, the Content-Length the whole).
    page = b"<html><body>" + b"<p>The harbour board met on Monday to discuss the cranes.</p>" * 50 + b"</body></html>"
    html = ("Content-Type", "text/html; charset=utf-8")
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    _response(writer, "https://news.example/range", page[:1000], [html, ("Content-Range", f"bytes 0-999/{len(page)}")],
              status="206 Partial Content")
    _response(writer, "https://news.example/cut", page[:1000], [html, ("Content-Length", str(len(page)))],
              warc_headers={"WARC-Truncated": "length"})
    _response(writer, "https://news.example/logo.png", b"\x89PNG", [("Content-Type", "image/png")],
              status="206 Partial Content")
    _response(writer, "https://news.example/whole", page, [html])
    ranged, cut, image, whole = list(warc.read_records(io.BytesIO(buffer.getvalue()), 0, None, True, 100_000))
    assert isinstance(ranged, BadRecord) and ranged.error_class == "PartialContent" and "206" in ranged.message
    assert isinstance(cut, BadRecord) and cut.error_class == "TruncatedRecord"
    assert "WARC-Truncated: length" in cut.message and "size limit" in cut.message
    assert isinstance(image, warc.Skipped) and image.reason == "not a page (image/png)"
    assert isinstance(whole, Record) and whole.content == page


def test_wgets_own_log_and_arguments_are_skipped_not_pages():
    # tests/data/wget_metadata.warc.gz: records cut from a real `wget --warc-file` crawl
    # (Wget 1.21.3): warcinfo, one page's request and response, and the metadata,
    # arguments and log records wget writes at the end of every crawl.
    data = (DATA / "wget_metadata.warc.gz").read_bytes()
    records = list(warc.read_records(io.BytesIO(data), 0, None, True, 100_000))
    pages = [r for r in records if isinstance(r, Record)]
    assert [p.url for p in pages] == ["http://127.0.0.1:8765/frameset.html"]
    assert not [r for r in records if isinstance(r, BadRecord)]
    assert [r.reason for r in records if isinstance(r, warc.Skipped)] == [
        "warcinfo", "request", "metadata", "not a web page (metadata: URI)", "not a web page (metadata: URI)"]


def test_a_brotli_encoded_page_is_decompressed_and_an_unsupported_encoding_says_so():
    # tests/data/brotli.warc.gz: wire_story.html served with Content-Encoding: br (as
    # servers send it to browsers and to crawlers that accept it), written by warcio.
    data = (DATA / "brotli.warc.gz").read_bytes()
    [page] = list(warc.read_records(io.BytesIO(data), 0, None, True, 100_000))
    assert isinstance(page, Record) and page.content == (DATA / "wire_story.html").read_bytes()
    # zstd, which browsers now accept, warcio does not decompress.
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    _response(writer, "https://news.example/z", b"\x28\xb5\x2f\xfd\x00\x58\x61\x00\x00<p>x</p>",
              [("Content-Type", "text/html"), ("Content-Encoding", "zstd")])
    [zstd] = list(warc.read_records(io.BytesIO(buffer.getvalue()), 0, None, True, 100_000))
    assert isinstance(zstd, BadRecord) and zstd.error_class == "UnsupportedEncoding"
    assert "Content-Encoding zstd is not supported" in zstd.message


def test_a_brotli_bomb_is_too_large_without_being_decompressed_whole():
    # Brotli packs 64 MB of one letter into a few hundred bytes, less than one read of
    # the payload: decoded a read at a time, all 64 MB were in memory at once.
    import tracemalloc

    import brotlicffi

    payload = brotlicffi.compress(b"<html><body><p>" + b"a" * (64 << 20), quality=1)
    assert len(payload) < 1 << 16
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    _response(writer, "https://news.example/bomb", payload, [("Content-Type", "text/html"), ("Content-Encoding", "br")])
    tracemalloc.start()
    try:
        [bomb] = list(warc.read_records(io.BytesIO(buffer.getvalue()), 0, None, True, 1 << 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(bomb, BadRecord) and bomb.error_class == "DocumentTooLarge"
    assert peak < 8 << 20


def _compressed(page: bytes, encoding: str) -> bytes:
    import brotlicffi

    return {"gzip": lambda: gzip.compress(page, mtime=0), "br": lambda: brotlicffi.compress(page),
            "deflate": lambda: zlib.compress(page), "raw deflate": lambda: zlib.compress(page)[2:-4]}[encoding]()


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "raw deflate"])
def test_a_cut_compressed_payload_is_an_error_row_not_a_shorter_page(encoding):
    # A page cut in the middle of its compressed stream decoded to its first part, which
    # was then deduplicated as if it were the whole page.
    page = b"<html><body>" + b"<p>The harbour board met on Monday.</p>" * 2000 + b"</body></html>"
    payload = _compressed(page, encoding)
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", encoding.split()[-1])]
    _response(writer, "https://news.example/cut", payload[: len(payload) // 2], headers)
    _response(writer, "https://news.example/whole", payload, headers)
    _response(writer, "https://news.example/empty", b"", headers)
    cut, whole, empty = list(warc.read_records(io.BytesIO(buffer.getvalue()), 0, None, True, 1 << 20))
    assert isinstance(cut, BadRecord) and f"{encoding.split()[-1]}-compressed payload breaks off" in cut.message
    assert isinstance(whole, Record) and whole.content == page
    assert isinstance(empty, Record) and empty.content == b""  # an empty page: EmptyDocument later


@pytest.mark.parametrize("split", [0, 500])
def test_a_utf16_jsonl_export_is_one_error_row_saying_so_however_it_is_split(split):
    # tests/data/powershell_utf16.jsonl: four records written by PowerShell's `>` (UTF-16
    # little-endian with a byte-order mark, CRLF line ends).  Cut at b"\n", it gave four
    # MalformedJSON rows about half characters.
    data = (DATA / "powershell_utf16.jsonl").read_bytes()
    assert data.startswith(b"\xff\xfe{\x00")
    rows = []
    for start, end in read_ranges(len(data), ".jsonl", split):
        rows += jsonl.read_records(io.BytesIO(data), start, end, FIELDS, 100_000)
    [row] = rows
    assert isinstance(row, BadRecord) and (row.error_class, row.offset) == ("NotUTF8", 0)
    assert "UTF-16 (little-endian)" in row.message and "convert it to UTF-8" in row.message


def test_trafilaturas_json_output_gives_the_publishers_host_as_source():
    import trafilatura

    # trafilatura's own --json output: the page URL is "source", the domain "hostname",
    # the publication date "date".  With the URL as source, every page was a publisher.
    url = "https://www.coastalherald.example/news/harbour-cranes-return"
    line = trafilatura.extract((DATA / "wire_story.html").read_text(), output_format="json", url=url, with_metadata=True)
    assert json.loads(line)["source"] == url
    record = jsonl.parse_record(line.encode(), 0, jsonl.parse_fields("url=source,published=date"))
    assert isinstance(record, Record) and record.format == "text"
    assert (record.source, record.url, record.title) == ("coastalherald.example", url, "Harbour cranes return to work after storm")
    assert record.published.isoformat() == "2024-03-18T00:00:00+00:00"
    # A source that is a name stays as it is.
    assert jsonl.parse_record(b'{"text": "x", "source": "Coastal Herald"}', 0, FIELDS).source == "Coastal Herald"


def test_jsonl_fields_with_dots_name_nested_values_or_flattened_keys():
    fields = jsonl.parse_fields("html=page.html,url=page.meta.url")
    nested = jsonl.parse_record(b'{"page": {"html": "<p>Story</p>", "meta": {"url": "https://e.org/a"}}}', 0, fields)
    assert isinstance(nested, Record) and (nested.content, nested.url) == (b"<p>Story</p>", "https://e.org/a")
    flat = jsonl.parse_record(b'{"page.html": "<p>Flat</p>", "page.meta.url": "https://e.org/b"}', 0, fields)  # json_normalize
    assert isinstance(flat, Record) and (flat.content, flat.url) == (b"<p>Flat</p>", "https://e.org/b")
    empty = jsonl.parse_record(b'{"page": {"html": null}}', 0, fields)
    assert isinstance(empty, BadRecord) and "'page.html' is null" in empty.message
    missing = jsonl.parse_record(b'{"page": "text"}', 0, fields)
    assert isinstance(missing, BadRecord) and missing.error_class == "MissingField" and "'page.html'" in missing.message
