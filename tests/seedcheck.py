"""The seed acceptance check, as the project's own code (no dependency on ../shared).

Mirrors the expectations of ``data/seeds_expected.json``: boilerplate lines gone, body
lines kept, titles and dates found, the expected passage pairs clustered across the two
articles, and no other cross-source cluster.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.clean_dedup import SEEDS_DIR

EXPECTED = Path(__file__).resolve().parent / "data" / "seeds_expected.json"


def norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = text.translate(str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}))
    return " ".join(re.findall(r"\w+", text.lower()))


def check(out: Path) -> list[str]:
    """Return the failures of the seed run written to ``out`` (empty when it passes)."""
    expected = json.loads(EXPECTED.read_text())
    docs = pq.read_table(out / "documents").to_pylist()
    passages = pq.read_table(out / "passages").to_pylist()
    failures = []
    by_file = {Path(d["uri"]).name: d for d in docs}
    for name, exp in expected["documents"].items():
        doc = by_file.get(name)
        if doc is None:
            failures.append(f"{name}: no document row")
            continue
        lines = (SEEDS_DIR / name).read_text(encoding="utf-8").split("\n")
        text = norm(doc["text"])
        lo, hi = exp["body_lines"]
        lost = [line for line in lines[lo - 1:hi] if line.strip() and norm(line) not in text]
        if lost:
            failures.append(f"{name}: body line lost: {lost[0][:60]!r}")
        kept = [lines[i - 1] for i in exp["boilerplate_lines"] if norm(lines[i - 1]) and norm(lines[i - 1]) in text]
        if kept:
            failures.append(f"{name}: boilerplate kept: {kept[0][:60]!r}")
        if norm(doc["title"]) != norm(exp["title"]):
            failures.append(f"{name}: title {doc['title']!r}")
        published = doc["published"]
        if exp["published"] and (published is None or str(published)[:16].replace(" ", "T") != exp["published"][:16]):
            failures.append(f"{name}: published {published!r}")
        if doc["duplicate_of"]:
            failures.append(f"{name}: wrongly a duplicate")
    file_of = {d["doc_id"]: Path(d["uri"]).name for d in docs}
    first, second = list(expected["documents"])

    def clusters(fragment: str, name: str) -> set:
        f = norm(fragment)
        return {
            p["cluster_id"] for p in passages
            if file_of[p["doc_id"]] == name and p["cluster_id"]
            and (f in norm(p["text"]) or (norm(p["text"]) in f and len(norm(p["text"]).split()) >= 4))
        }

    pairs = expected["duplicate_passages"]
    for a, b in pairs["must"] + pairs["should"]:
        if not clusters(a, first) & clusters(b, second):
            failures.append(f"pair not clustered: {a[:50]!r}")
    for a, b in pairs["not_duplicates"]:
        if clusters(a, first) & clusters(b, second):
            failures.append(f"false pair clustered: {a[:50]!r}")
    fragments = [norm(x) for pair in pairs["must"] + pairs["should"] for x in pair]
    members: dict[str, list] = {}
    for p in passages:
        if p["cluster_id"]:
            members.setdefault(p["cluster_id"], []).append(p)
    for group in members.values():
        if len({file_of[p["doc_id"]] for p in group}) > 1:
            for p in group:
                t = norm(p["text"])
                if not any(f in t or (t in f and len(t.split()) >= 4) for f in fragments):
                    failures.append(f"unexpected cross-source cluster member: {p['text'][:50]!r}")
    return failures
