"""Boilerplate-removal benchmark on the 300-page development set.

Usage: python benchmarks/boilerplate.py DEVDATA [--split all|train|heldout] [--pages N]

DEVDATA is the directory with ``html/``, ``text/`` and ``labels.jsonl`` (see its README
for the scoring rule).  Scores cleanwire's text mode on ``text/NNNN.txt``, cleanwire's
HTML mode on ``html/NNNN.html.gz``, trafilatura alone (defaults, on the raw bytes) and
keep-everything (the whole text dump), per language group.
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

from cleanwire.boilerplate.html import extract_html
from cleanwire.boilerplate.text import extract_article
from cleanwire.text.decode import decode

_SPACE = re.compile(r"\s+")


def heldout(page_id: str) -> bool:
    """The development split: every third page is held out from tuning and training."""
    return int(page_id) % 3 == 0


def load_pages(devdata: Path, split: str = "all", limit: int | None = None) -> list[dict]:
    """Labelled pages of ``devdata`` in id order, with their ``text`` and ``html`` bytes."""
    pages = []
    for line in (devdata / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        if split == "train" and heldout(page["id"]) or split == "heldout" and not heldout(page["id"]):
            continue
        page["text"] = (devdata / "text" / f"{page['id']}.txt").read_text(encoding="utf-8")
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


def cleanwire_text(page: dict) -> str:
    return extract_article(page["text"]).text


def cleanwire_html(page: dict) -> str:
    text, _ = decode(page["html"], is_html=True)
    return extract_html(text).text


def trafilatura_alone(page: dict) -> str:
    return trafilatura.extract(page["html"]) or ""


def keep_everything(page: dict) -> str:
    return page["text"]


METHODS: dict[str, Callable[[dict], str]] = {
    "cleanwire text mode": cleanwire_text,
    "cleanwire HTML mode": cleanwire_html,
    "trafilatura alone": trafilatura_alone,
    "keep everything": keep_everything,
}


def run_method(pages: list[dict], method: Callable[[dict], str]) -> tuple[list[str], float]:
    start = time.perf_counter()
    outputs = [method(page) for page in pages]
    return outputs, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("devdata", type=Path)
    parser.add_argument("--split", choices=("all", "train", "heldout"), default="all")
    parser.add_argument("--pages", type=int, help="only the first N pages (a smoke test)")
    parser.add_argument("--methods", nargs="*", choices=list(METHODS), default=list(METHODS))
    args = parser.parse_args(argv)
    pages = load_pages(args.devdata, args.split, args.pages)
    print(f"{len(pages)} pages, split {args.split}")
    print("| method | group | pages | with-recall | without-rejection | mean | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name in args.methods:
        outputs, seconds = run_method(pages, METHODS[name])
        for group, row in score(pages, outputs).items():
            n = sum(p["group"] == group or group == "all" for p in pages)
            print(f"| {name} | {group} | {n} | {row['with_recall']:.3f} ({row['with'][0]}/{row['with'][1]}) | "
                  f"{row['without_rejection']:.3f} ({row['without'][0]}/{row['without'][1]}) | {row['mean']:.3f} | "
                  f"{seconds:.1f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
