"""datatrove's local MinHash deduplication (its 4 stages), for comparison.

    python benchmarks/datatrove_minhash.py --jsonl CORPUS/jsonl --work /tmp/dt --workers 2 --tokenizer whitespace

Follows datatrove's own example (examples/minhash_deduplication.py): signatures,
buckets, clusters, filter, with datatrove's default MinhashConfig (5-grams, 14 buckets
x 8 hashes).  ``--tokenizer default`` uses datatrove's English tokenizer (NLTK, which
needs its punkt data); ``whitespace`` splits on whitespace.  Needs the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import os
import shutil

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.utils.typeshelper import Languages
from datatrove.utils.word_tokenizers import WordTokenizer


class WhitespaceTokenizer(WordTokenizer):
    """Words are what str.split() returns."""

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return text.split("\n")

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        spans, pos = [], 0
        for word in text.split():
            start = text.index(word, pos)
            spans.append((start, start + len(word)))
            pos = start + len(word)
        return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jsonl", required=True, help="folder of .jsonl files with 'id' and 'text'")
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    parser.add_argument("--workers", type=int, default=1, help="datatrove tasks run in parallel (default 1)")
    parser.add_argument("--tokenizer", choices=["whitespace", "default"], default="whitespace",
                        help="word tokenizer: whitespace (default, the fastest) or datatrove's default (needs NLTK data)")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    files = len([f for f in os.listdir(args.jsonl) if f.endswith(".jsonl")])
    config = MinhashConfig()
    language = WhitespaceTokenizer() if args.tokenizer == "whitespace" else Languages.english
    base = args.work

    def run(pipeline, tasks):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(args.workers, tasks),
                              logging_dir=f"{base}/logs/{len(os.listdir(base)) if os.path.isdir(base) else 0}").run()

    run([JsonlReader(args.jsonl), MinhashDedupSignature(output_folder=f"{base}/signatures", config=config, language=language)], files)
    run([MinhashDedupBuckets(input_folder=f"{base}/signatures", output_folder=f"{base}/buckets", config=config)], config.num_buckets)
    run([MinhashDedupCluster(input_folder=f"{base}/buckets", output_folder=f"{base}/remove_ids", config=config)], 1)
    run([JsonlReader(args.jsonl), MinhashDedupFilter(input_folder=f"{base}/remove_ids", exclusion_writer=JsonlWriter(f"{base}/removed")),
         JsonlWriter(f"{base}/deduplicated")], files)


if __name__ == "__main__":
    main()
