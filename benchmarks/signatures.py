"""MinHash signature throughput on one core: cleanwire's numpy signatures versus
datasketch (and rensa, when installed), on the same documents.

    python benchmarks/signatures.py /tmp/corpus-20k/text --docs 2000

Two workloads, as in issue 4:

* documents: one signature per document (about 5 KB), word 5-grams, 128 permutations;
* passages: one signature per sentence, word 3-grams, 128 permutations.

cleanwire is timed twice: from raw text (Unicode tokenising and hashing with
``index_text``, finding the sentences, shingling, signing) and from pre-hashed shingles
(signing only).  The other libraries get pre-split word n-grams for free.  rensa is
included when installed (``pip install rensa``).  Prints documents (or passages) per
second and the ratio to cleanwire from raw text.  Use ``taskset -c 0`` for one core.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from datasketch import LeanMinHash, MinHash

from cleanwire.minhash.signatures import MinHasher, shingle_hashes
from cleanwire.text.segment import sentences
from cleanwire.text.tokens import index_text, match_tokens

NUM_PERM = 128


def _ngrams(words: list[str], n: int) -> list[bytes]:
    return [" ".join(words[i:i + n]).encode() for i in range(max(1, len(words) - n + 1))]


def _timed(fn, items) -> float:
    start = time.perf_counter()
    fn(items)
    return time.perf_counter() - start


def document_benchmarks(texts: list[str]) -> dict[str, float]:
    hasher = MinHasher(NUM_PERM, 1)
    words = [match_tokens(t) for t in texts]
    shingles = [_ngrams(w, 5) for w in words]

    def cleanwire(items):
        for text in items:
            s = shingle_hashes(index_text(text).hashes, 5)
            hasher.signatures(s, [0], [s.size])

    hashed = [shingle_hashes(index_text(t).hashes, 5) for t in texts]

    def cleanwire_signing(items):
        for s in items:
            hasher.signatures(s, [0], [s.size])

    def datasketch_update(items):
        for shingle_list in items:
            m = MinHash(num_perm=NUM_PERM)
            for s in shingle_list:
                m.update(s)

    def datasketch_batch(items):
        for shingle_list in items:
            m = MinHash(num_perm=NUM_PERM)
            m.update_batch(shingle_list)

    def datasketch_bulk(items):
        [LeanMinHash(m) for m in MinHash.bulk(items, num_perm=NUM_PERM)]

    results = {
        "cleanwire (numpy, from raw text)": _timed(cleanwire, texts),
        "cleanwire signing only (pre-hashed)": _timed(cleanwire_signing, hashed),
        "datasketch MinHash.update per shingle": _timed(datasketch_update, shingles[: max(1, len(shingles) // 10)]) * 10,
        "datasketch update_batch": _timed(datasketch_batch, shingles),
        "datasketch bulk + LeanMinHash": _timed(datasketch_bulk, shingles),
    }
    try:
        import rensa

        grams = [[s.decode() for s in g] for g in shingles]

        def rensa_update(items):
            for g in items:
                m = rensa.RMinHash(num_perm=NUM_PERM, seed=1)
                m.update(g)
                m.digest()

        results["rensa RMinHash (Rust)"] = _timed(rensa_update, grams)
    except ImportError:
        pass
    return results


def passage_benchmarks(texts: list[str]) -> tuple[dict[str, float], int]:
    hasher = MinHasher(NUM_PERM, 1)
    spans = [sentences(t) for t in texts]
    sentence_shingles = [[_ngrams(match_tokens(t[a:b]), 3) for a, b in s] for t, s in zip(texts, spans)]
    passages = sum(len(s) for s in spans)

    def windows(text):
        index = index_text(text)
        ranges = np.array(sentences(text, index), dtype=np.int64).reshape(-1, 2)
        first = np.searchsorted(index.starts, ranges[:, 0])
        after = np.searchsorted(index.ends, ranges[:, 1], side="right")
        s = shingle_hashes(index.hashes, 3)
        lo = np.minimum(first, s.size)
        return s, lo, np.clip(after - 2, lo, s.size)

    def cleanwire(items):
        for text in items:
            hasher.signatures(*windows(text))

    prepared = [windows(t) for t in texts]

    def cleanwire_signing(items):
        for s, lo, hi in items:
            hasher.signatures(s, lo, hi)

    def datasketch_bulk(items):
        for doc in items:
            [LeanMinHash(m) for m in MinHash.bulk(doc, num_perm=NUM_PERM)]

    def datasketch_update(items):
        for doc in items:
            for shingle_list in doc:
                m = MinHash(num_perm=NUM_PERM)
                for s in shingle_list:
                    m.update(s)

    results = {
        "cleanwire (numpy, from raw text)": _timed(cleanwire, texts),
        "cleanwire signing only (pre-hashed)": _timed(cleanwire_signing, prepared),
        "datasketch MinHash.update per shingle": _timed(datasketch_update, sentence_shingles[: max(1, len(texts) // 10)]) * 10,
        "datasketch bulk + LeanMinHash": _timed(datasketch_bulk, sentence_shingles),
    }
    try:
        import rensa

        grams = [[[s.decode() for s in g] for g in doc] for doc in sentence_shingles]

        def rensa_update(items):
            for doc in items:
                for g in doc:
                    m = rensa.RMinHash(num_perm=NUM_PERM, seed=1)
                    m.update(g)
                    m.digest()

        results["rensa RMinHash (Rust)"] = _timed(rensa_update, grams)
    except ImportError:
        pass
    return results, passages


def _print(title: str, results: dict[str, float], items: int, unit: str) -> None:
    base = items / results["cleanwire (numpy, from raw text)"]
    print(f"\n{title}")
    print(f"{'implementation':40s} {unit + '/s':>14s}  vs cleanwire")
    for name, seconds in results.items():
        rate = items / seconds
        print(f"{name:40s} {rate:14,.0f}  {rate / base:6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of .txt documents (e.g. a make_corpus.py text folder)")
    parser.add_argument("--docs", type=int, default=2000, help="documents to sign, the first N by name (default 2000)")
    args = parser.parse_args()
    texts = [p.read_text(encoding="utf-8") for p in sorted(args.folder.rglob("*.txt"))[: args.docs]]
    size = sum(len(t.encode()) for t in texts) / len(texts)
    print(f"# {len(texts)} documents, {size / 1000:.1f} KB on average; {NUM_PERM} permutations; one core")
    _print("documents (word 5-grams, one signature per document)", document_benchmarks(texts), len(texts), "docs")
    results, passages = passage_benchmarks(texts)
    _print(f"passages ({passages} sentences, word 3-grams, one signature per sentence)", results, passages, "passages")


if __name__ == "__main__":
    main()
