"""A DirectRunner run whose stages hand each worker a bundle of several hundred MB:
``python -m tests.big_bundle ELEMENTS BYTES [--without-workaround]`` prints, as JSON,
how many elements each step saw.  Run in a subprocess by tests/test_direct_runner.py,
so that a stalled data plane ends in a timeout instead of a hung test session."""

from __future__ import annotations

import hashlib
import json
import sys

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.direct_runner import avoid_data_plane_stalls, send_inputs_in_chunks

PER_SEED = 1000


class _Make(beam.DoFn):
    def __init__(self, elements: int, size: int) -> None:
        self._elements, self._size = elements, size

    def process(self, seed: int):
        for k in range(seed * PER_SEED, min(self._elements, (seed + 1) * PER_SEED)):
            digest = hashlib.sha256(str(k).encode()).hexdigest()
            yield k % 50, k, (digest * (self._size // len(digest) + 1))[: self._size]


def _counted(step: str):
    counter = Metrics.counter("big_bundle", step)

    def count(element, *side):
        counter.inc()
        return element
    return count


def _count_grouped(element):
    _key, rows = element
    Metrics.counter("big_bundle", "grouped").inc(len(rows))
    return element


def main(argv: list[str]) -> None:
    elements, size = int(argv[0]), int(argv[1])
    if "--without-workaround" not in argv:
        # As `cleanwire run` does: with inputs sent beside the request, Beam's bounded queues stay.
        avoid_data_plane_stalls(unbounded_queues=not send_inputs_in_chunks())
    options = PipelineOptions(["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    pipeline = beam.Pipeline(options=options)
    # As in cleanwire: a big collection between two stages, read by a ParDo with a side input.
    rows = (pipeline | beam.Create(list(range(-(-elements // PER_SEED)))) | beam.Reshuffle()
            | beam.ParDo(_Make(elements, size)) | "Made" >> beam.Map(_counted("made")))
    per_key = rows | beam.Map(lambda row: (row[0], 1)) | beam.CombinePerKey(sum)
    _ = rows | "Read" >> beam.Map(_counted("read"), beam.pvalue.AsDict(per_key))
    # And the input of a stage after a GroupByKey (sent in chunks with the workaround).
    _ = rows | "ByRemainder" >> beam.Map(lambda row: (row[1] % 1000, row[2])) | beam.GroupByKey() | beam.Map(_count_grouped)
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace("big_bundle"))["counters"]
    print(json.dumps({c.key.metric.name: c.committed for c in counters}, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
