"""Reader and decoder throughput, and proof that memory is bounded by a record.

    python benchmarks/readers.py make CORPUS/text OUT_DIR      # write OUT_DIR/pages.warc.gz and pages.jsonl
    python benchmarks/readers.py read OUT_DIR/pages.warc.gz OUT_DIR/pages.jsonl

``make`` packs the ``.txt`` pages of a folder (e.g. a corpus of
``benchmarks/make_corpus.py``) into a gzipped WARC of HTML responses and a JSONL file.
``read`` streams each file through cleanwire's readers (one process, as one worker
would) and prints records per second and the peak RSS before and after, then times
``decode`` on the records' bytes as they are and re-encoded as Windows-1252.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import resource
import time
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleanwire.readers import Record, gzip_stream, input_format
from cleanwire.readers import jsonl, warc
from cleanwire.text.decode import decode


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make(folder: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pages = sorted(folder.rglob("*.txt"))
    with open(out / "pages.warc.gz", "wb") as raw, open(out / "pages.jsonl", "w") as lines:
        writer = WARCWriter(raw, gzip=True)
        for k, path in enumerate(pages):
            text = path.read_text()
            body = "".join(f"<p>{html.escape(p)}</p>\n" for p in text.split("\n") if p.strip())
            page = f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(f"https://{path.parent.name}/{k}", "response",
                                                          payload=io.BytesIO(page), http_headers=headers))
            lines.write(json.dumps({"url": f"https://{path.parent.name}/{k}", "text": text}) + "\n")
    print(f"wrote {len(pages)} records to {out}/pages.warc.gz and pages.jsonl")


def _records(path: Path):
    file_format, extension = input_format(str(path))
    with open(path, "rb") as raw:
        if file_format == "jsonl":
            stream = gzip_stream(raw) if extension.endswith(".gz") else raw
            yield from jsonl.read_records(stream, 0, None, jsonl.parse_fields(""), 10 << 20)
        else:
            yield from warc.read_records(raw, 0, None, extension.endswith(".gz"), 10 << 20)


def read(paths: list[Path]) -> None:
    for path in paths:
        before = _peak_mb()
        start = time.perf_counter()
        count = sum(1 for r in _records(path) if isinstance(r, Record))
        seconds = time.perf_counter() - start
        streamed = _peak_mb()
        held = [r.content for r in _records(path) if isinstance(r, Record)]
        print(f"{path.name}: {count:,} records, {path.stat().st_size / 1e6:.1f} MB, {count / seconds:,.0f} records/s; "
              f"peak RSS {before:.0f} MB before, {streamed:.0f} MB after streaming the file, "
              f"{_peak_mb():.0f} MB when holding all its records (for comparison)")
        del held
    sample = [r.content for r in _records(paths[0]) if isinstance(r, Record)][:2000]
    legacy = [c.decode("utf-8").encode("cp1252", errors="replace") for c in sample]
    mangled = [c.decode("utf-8").encode("utf-8").decode("latin-1").encode("utf-8") for c in sample]
    for name, batch in (("utf-8", sample), ("undeclared cp1252", legacy), ("mojibake", mangled)):
        start = time.perf_counter()
        for content in batch:
            decode(content)
        per = (time.perf_counter() - start) / len(batch) * 1e3
        size = sum(map(len, batch)) / len(batch) / 1e3
        print(f"decode {name}: {per:.3f} ms per record of {size:.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    making = commands.add_parser("make", help="write a WARC and a JSONL file from a folder of .txt pages")
    making.add_argument("folder", type=Path, help="folder of .txt pages")
    making.add_argument("out", type=Path, help="folder to write pages.warc.gz and pages.jsonl into")
    reading = commands.add_parser("read", help="time the readers and decode on the files")
    reading.add_argument("paths", type=Path, nargs="+", help="WARC and JSONL files to read")
    args = parser.parse_args()
    if args.command == "make":
        make(args.folder, args.out)
    else:
        read(args.paths)


if __name__ == "__main__":
    main()
