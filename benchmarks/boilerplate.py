"""Boilerplate-removal benchmark on the 300-page development set.

Usage: python benchmarks/boilerplate.py DEVDATA [--split all|train|heldout] [--pages N]

DEVDATA is the directory with ``html/``, ``text/`` and ``labels.jsonl`` (see its README
for the scoring rule).  Scores cleanwire's text mode on ``text/NNNN.txt``, cleanwire's
HTML mode on ``html/NNNN.html.gz``, trafilatura alone (defaults, on the raw bytes) and
keep-everything (the whole text dump), per language group, and reports the CPU time
of each (text mode: per page and per 5 KB; HTML mode: pages per second next to
trafilatura's).  The scored extraction is the document's ``text``, as cleanwire stores
it (NFKC); the title is not added.

The split: every third page (``heldout``) is held out from training and tuning.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path
from typing import Callable

import trafilatura

from cleanwire.boilerplate.html import extract_html_pages
from cleanwire.boilerplate.text import extract_articles
from cleanwire.params import ReadParams
from cleanwire.text.layout import prepare_plain_text
from cleanwire.text.decode import decode

_SPACE = re.compile(r"\s+")
BATCH = 64  # pages per call of the text classifier, as the pipeline's clean stage batches them


def heldout(page_id: str) -> bool:
    """The development split: every third page is held out from tuning and training."""
    return int(page_id) % 3 == 0


def load_pages(devdata: Path, split: str = "all", limit: int | None = None, text_dir: Path | None = None) -> list[dict]:
    """Labelled pages of ``devdata`` in id order, with their ``text`` and ``html`` bytes;
    the text dumps come from ``text_dir`` (``<id>.txt``, UTF-8) when given, else from
    ``devdata/text``."""
    text_dir = text_dir or devdata / "text"
    pages = []
    for line in (devdata / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        if split == "train" and heldout(page["id"]) or split == "heldout" and not heldout(page["id"]):
            continue
        page["text"] = (text_dir / f"{page['id']}.txt").read_text(encoding="utf-8", errors="replace")
        page["html"] = gzip.decompress((devdata / "html" / f"{page['id']}.html.gz").read_bytes())
        page["group"] = "en" if page["lang"] == "en" else "other"
        pages.append(page)
    return pages[:limit] if limit else pages


def score(pages: list[dict], outputs: list[str]) -> dict[str, dict[str, float]]:
    """Pooled with-recall, without-rejection and their mean per group (en, other, all)."""
    counts: dict[str, list[int]] = {}
    for page, output in zip(pages, outputs):
        text = _SPACE.sub(" ", output).strip()
        hits = [
            sum(_SPACE.sub(" ", s).strip() in text for s in page["with"]), len(page["with"]),
            sum(_SPACE.sub(" ", s).strip() not in text for s in page["without"]), len(page["without"]),
        ]
        for group in (page["group"], "all"):
            counts[group] = [a + b for a, b in zip(counts.get(group, [0, 0, 0, 0]), hits)]
    table = {}
    for group in ("en", "other", "all"):
        if group not in counts:
            continue
        w, nw, wo, nwo = counts[group]
        recall, rejection = w / max(nw, 1), wo / max(nwo, 1)
        table[group] = {"with_recall": recall, "without_rejection": rejection, "mean": (recall + rejection) / 2,
                        "with": (w, nw), "without": (wo, nwo)}
    return table


def cleanwire_text(pages: list[dict]) -> list[str]:
    """cleanwire's text mode on the text dumps, in batches as the pipeline runs it."""
    return [e.text for k in range(0, len(pages), BATCH)
            for e in extract_articles([prepare_plain_text(p["text"], ReadParams.max_line_chars)
                                          for p in pages[k:k + BATCH]])]


def cleanwire_html(pages: list[dict]) -> list[str]:
    """cleanwire's HTML mode on the pages' bytes (decoded as the pipeline does), in
    batches as the pipeline runs it."""
    decoded = [(decode(page["html"], is_html=True)[0], None) for page in pages]
    return [e.text for k in range(0, len(decoded), BATCH) for e in extract_html_pages(decoded[k:k + BATCH])]


def trafilatura_alone(pages: list[dict]) -> list[str]:
    """trafilatura.extract on the raw bytes with its default settings (the README's baseline b)."""
    return [trafilatura.extract(page["html"]) or "" for page in pages]


def keep_everything(pages: list[dict]) -> list[str]:
    """The whole text dump (baseline a)."""
    return [page["text"] for page in pages]


METHODS: dict[str, Callable[[list[dict]], list[str]]] = {
    "cleanwire text mode": cleanwire_text,
    "cleanwire HTML mode": cleanwire_html,
    "trafilatura alone": trafilatura_alone,
    "keep everything": keep_everything,
}


def run_method(pages: list[dict], method: Callable[[list[dict]], list[str]], repeats: int = 1) -> tuple[list[str], float]:
    """The method's outputs and its CPU seconds (the median of ``repeats`` runs)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        outputs = method(pages)
        times.append(time.process_time() - start)
    return outputs, sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("devdata", type=Path, help="the development set: a folder with labels.jsonl, html/ and text/")
    parser.add_argument("--split", choices=("all", "train", "heldout"), default="all",
                        help="pages to score: all (default), the training pages, or the held-out third (every third page)")
    parser.add_argument("--pages", type=int, help="only the first N pages (a smoke test)")
    parser.add_argument("--text-dir", type=Path, metavar="DIR",
                        help="score text mode (and keep everything) on other dumps of the same pages: DIR/<id>.txt, for "
                             "example `lynx -dump` or `w3m -dump` of each html/<id>.html.gz (default: DEVDATA/text)")
    parser.add_argument("--methods", nargs="*", choices=list(METHODS), default=list(METHODS), metavar="METHOD",
                        help="methods to score (default all): " + ", ".join(repr(name) for name in METHODS))
    args = parser.parse_args(argv)
    pages = load_pages(args.devdata, args.split, args.pages, args.text_dir)
    for name in args.methods:  # one-time loading and set-up are not per-page costs
        METHODS[name](pages[:1])
    print(f"{len(pages)} pages, split {args.split}")
    print("| method | group | pages | with-recall | without-rejection | mean |")
    print("|---|---|---|---|---|---|")
    seconds = {}
    for name in args.methods:
        outputs, seconds[name] = run_method(pages, METHODS[name], repeats=3 if name == "cleanwire text mode" else 1)
        for group, row in score(pages, outputs).items():
            n = sum(p["group"] == group or group == "all" for p in pages)
            print(f"| {name} | {group} | {n} | {row['with_recall']:.3f} ({row['with'][0]}/{row['with'][1]}) | "
                  f"{row['without_rejection']:.3f} ({row['without'][0]}/{row['without'][1]}) | {row['mean']:.3f} |")
        sys.stdout.flush()
    print()
    if "cleanwire text mode" in seconds:
        per_page = seconds["cleanwire text mode"] / len(pages) * 1000
        kilobytes = sum(len(p["text"].encode("utf-8")) for p in pages) / len(pages) / 1000
        print(f"text mode: {per_page:.2f} ms CPU per page of {kilobytes:.1f} KB on average = "
              f"{per_page * 5 / kilobytes:.2f} ms per 5 KB (batches of {BATCH}, median of 3 runs)")
    for name in ("cleanwire HTML mode", "trafilatura alone"):
        if name in seconds:
            print(f"{name}: {len(pages) / seconds[name]:.1f} pages per CPU second")
    if {"cleanwire HTML mode", "trafilatura alone"} <= set(seconds):
        print(f"HTML mode throughput = {seconds['trafilatura alone'] / seconds['cleanwire HTML mode']:.0%} of trafilatura alone")


if __name__ == "__main__":
    main()
