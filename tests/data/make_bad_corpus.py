"""Write the bad-input corpus tests/data/bad (run from anywhere; deterministic but for the
WARC record ids and dates warcio makes up, which no test depends on).

Every file is small and made here, so what each one holds is plain to read.  The
50 MB text file is not committed: ``write_huge`` makes it where a test needs it.
``tests/data/bad_expected.json`` says what a run over the corpus must yield.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HERE = Path(__file__).resolve().parent / "bad"

_SENTENCES = [
    "The council approved the new budget for the harbour district after a long debate on Tuesday evening.",
    "Residents had asked for more money for the ferry service, which carries about four thousand people a day.",
    "The mayor said the plan would keep fares at their current level until the end of next year.",
    "Opposition members argued that the repairs to the old pier had been delayed for far too long.",
    "A spokesperson for the port authority said work on the pier would begin in the spring.",
    "Local businesses welcomed the decision, saying the summer season depends on a reliable ferry.",
    "The budget also sets aside funds for a new cycle path along the eastern shore of the bay.",
    "Engineers will survey the sea wall next month to see how much of it needs to be rebuilt.",
]


def article(marker: str, extra: str = "") -> str:
    """A short news article whose first paragraph names ``marker`` (so a test can find it)."""
    paragraphs = [
        f"{marker}: {_SENTENCES[0]} {_SENTENCES[1]} {extra}".strip(),
        f"{_SENTENCES[2]} {_SENTENCES[3]} {_SENTENCES[4]}",
        f"{_SENTENCES[5]} {_SENTENCES[6]} {_SENTENCES[7]}",
    ]
    return "\n\n".join(paragraphs) + "\n"


def page(marker: str, extra: str = "", charset: str | None = "utf-8", title: str = "Harbour budget approved") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>\n" for p in article(marker, extra).split("\n\n"))
    return (f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body><article><h1>{title}</h1>\n"
            f"{body}</article></body></html>\n")


_GERMAN = "Der Bürgermeister sagte, die Straße am Hafen werde im März für Fußgänger geöffnet – „endlich“, so ein Anwohner."
_QUOTES = "The mayor called it “a fair deal” – one that “nobody will regret”."


def write_huge(path: Path, size: int = 50 * 1024 * 1024) -> None:
    """A plain-text file of ``size`` bytes (more than the default --max-document-bytes)."""
    line = (" ".join(_SENTENCES) + "\n").encode()
    with open(path, "wb") as handle:
        for _ in range(size // len(line)):
            handle.write(line)
        handle.write(b"x" * (size % len(line)))


def _warc(path: Path) -> None:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    records = []

    def response(url: str, body: bytes, content_type: str = "text/html; charset=utf-8", status: str = "200 OK"):
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers,
                                           warc_headers_dict={"WARC-Date": "2026-11-20T08:00:00Z"})
        records.append(buffer.tell())
        writer.write_record(record)

    def request(url: str):
        writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))

    response("https://www.harbour-times.example/a1", page("WARC one").encode())
    request("https://www.harbour-times.example/a1")
    response("https://news.example.org/a2", page("WARC two", charset=None).encode("cp1252"),
             content_type="text/html; charset=windows-1252")
    response("https://news.example.org/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", content_type="image/png")
    response("https://www.harbour-times.example/a3", page("WARC three, corrupt").encode())
    response("https://www.harbour-times.example/moved", b"<html>moved</html>", status="301 Moved Permanently")
    response("https://daily.example.net/a4", article("WARC four").encode(), content_type="text/plain")
    response("https://daily.example.net/a5", page("WARC five").encode())
    data = bytearray(buffer.getvalue())
    corrupt = records[3] + 60  # inside the deflate stream of the third page's gzip member
    data[corrupt:corrupt + 24] = b"\xff" * 24
    path.write_bytes(bytes(data))


def _wet(path: Path) -> None:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    for k, url in enumerate(["https://wet.example.com/one", "https://wet.example.com/two"], 1):
        text = article(f"WET {k}").encode()
        writer.write_record(writer.create_warc_record(
            url, "conversion", payload=io.BytesIO(text),
            warc_headers_dict={"Content-Type": "text/plain", "WARC-Date": "2026-11-21T09:30:00Z"}))
    path.write_bytes(buffer.getvalue())


def _jsonl_lines(markers: list[str]) -> list[str]:
    return [json.dumps({"url": f"https://jsonl.example.com/{k}", "title": f"Story {k}", "text": article(m),
                        "published": "2026-11-19T07:00:00+01:00"}) for k, m in enumerate(markers)]


def main() -> None:
    HERE.joinpath("binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8)
    HERE.joinpath("invalid_utf8.txt").write_bytes(article("Invalid UTF-8", _QUOTES).encode() + b"Stray byte: \xff\xfe caf\xe9.\n")
    HERE.joinpath("latin1_declared.html").write_bytes(page("Latin-1 declared", _GERMAN.replace("–", "-").replace("„", '"').replace("“", '"'), "iso-8859-1").encode("latin-1"))
    HERE.joinpath("latin1_undeclared.html").write_bytes(page("Latin-1 undeclared page", _GERMAN.replace("–", "-").replace("„", '"').replace("“", '"'), None).encode("latin-1"))
    HERE.joinpath("latin1_undeclared.txt").write_bytes(article("Latin-1 undeclared", _GERMAN.replace("–", "-").replace("„", '"').replace("“", '"')).encode("latin-1"))
    HERE.joinpath("cp1252_declared.html").write_bytes(page("Windows-1252 declared", _QUOTES, "windows-1252").encode("cp1252"))
    HERE.joinpath("cp1252_undeclared.html").write_bytes(page("Windows-1252 undeclared", _QUOTES, None).encode("cp1252"))
    HERE.joinpath("utf16_bom.txt").write_bytes(article("UTF-16", _GERMAN).encode("utf-16"))
    # UTF-8 read as Latin-1 and saved as UTF-8 again: "café" becomes "cafÃ©".
    HERE.joinpath("mojibake.txt").write_bytes(article("Mojibake", _QUOTES).encode("utf-8").decode("latin-1").encode("utf-8"))
    HERE.joinpath("crlf.txt").write_bytes(article("Windows newlines").replace("\n", "\r\n").encode())
    HERE.joinpath("empty.txt").write_bytes(b"")
    HERE.joinpath("empty.jsonl").write_bytes(b"\n\n")
    HERE.joinpath("whitespace.txt").write_bytes(b"  \n\t\n\r\n   \n")
    HERE.joinpath("no_body.html").write_text("<!DOCTYPE html><html><head><title>Nothing here</title></head></html>\n")
    HERE.joinpath("all_script.html").write_text(
        "<html><head><script>var a = 1;</script></head><body><script>document.write('hello');</script>"
        "<script src='app.js'></script><noscript></noscript></body></html>\n")
    # Saved under the other format's name: cleaned as what they hold.
    HERE.joinpath("page_named_as_text.txt").write_text(page("HTML saved as text"))
    HERE.joinpath("text_named_as_page.html").write_text(article("Text saved as HTML"))
    HERE.joinpath("notes.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    lines = _jsonl_lines(["JSONL one", "JSONL two"])
    lines.insert(1, '{"url": "https://jsonl.example.com/broken", "text": "unterminated')
    lines.append(json.dumps({"url": "https://jsonl.example.com/no-text", "title": "No text", "body": article("JSONL lost")}))
    lines.append("")
    lines.append(json.dumps({"url": "https://jsonl.example.com/html", "html": page("JSONL html")}))
    HERE.joinpath("export.jsonl").write_text("\n".join(lines) + "\n")
    # Deflate emits output block by block: enough varied records that the first blocks
    # hold whole lines before the cut.
    gzipped = _jsonl_lines([f"Gzip {k} ({hashlib.sha256(str(k).encode()).hexdigest()})" for k in range(1, 201)])
    whole = gzip.compress(("\n".join(gzipped) + "\n").encode(), mtime=0)
    HERE.joinpath("truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    HERE.joinpath("not_gzip.txt.gz").write_bytes(article("Not gzip").encode())
    HERE.joinpath("cut.txt.gz").write_bytes(gzip.compress(article("Cut gzip").encode(), mtime=0)[:-12])
    _warc(HERE / "crawl.warc.gz")
    _wet(HERE / "crawl.wet")


if __name__ == "__main__":
    main()
