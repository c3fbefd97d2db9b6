"""trafilatura.extract alone on a folder of HTML pages: the HTML-mode reference.

    python benchmarks/trafilatura_alone.py CORPUS/html --workers 2

Reads every page, runs ``trafilatura.extract`` with default settings in ``--workers``
processes and prints the number of pages and extracted characters.
"""

from __future__ import annotations

import argparse
from multiprocessing import Pool
from pathlib import Path

import trafilatura


def _extract(path: Path) -> int:
    return len(trafilatura.extract(path.read_bytes()) or "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of pages (.htm, .html, searched recursively)")
    parser.add_argument("--workers", type=int, default=1, help="processes extracting in parallel (default 1)")
    args = parser.parse_args()
    pages = sorted(args.folder.rglob("*.htm*"))
    with Pool(args.workers) as pool:
        sizes = pool.map(_extract, pages, chunksize=64)
    print(f"{len(pages)} pages, {sum(sizes)} characters extracted")


if __name__ == "__main__":
    main()
