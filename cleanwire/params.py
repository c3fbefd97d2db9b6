"""Matching parameters, with the defaults and the reasons for them.

The README's parameter table is written from this module; keep them in step.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

from datasketch import MinHashLSH

from cleanwire.dedup.verify import MatchRule
from cleanwire.minhash.signatures import MAX_NGRAM

__all__ = ["CleanParams", "DedupParams", "ReadParams", "lsh_bands"]


# LSH only proposes candidates and every candidate is verified exactly, so a missed
# pair costs more than an extra candidate: datasketch's optimiser weighs false
# negatives 4:1 against false positives.
LSH_WEIGHTS = (0.2, 0.8)


@lru_cache(maxsize=32)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` that datasketch's ``MinHashLSH`` picks for ``threshold``.

    datasketch minimises the weighted false-positive and false-negative areas under
    the S-curve ``1 - (1 - s**rows)**bands`` on either side of the threshold
    (weights ``LSH_WEIGHTS``); ``bands * rows <= num_perm``."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


@dataclass(frozen=True)
class DedupParams:
    """How documents and passages are shingled, hashed, bucketed and verified."""

    ngram: int = 3
    """Words per shingle.  3 keeps sentence-length passages at 10-30 shingles, enough
    to estimate similarity, while a shared common phrase ("one of the") stays one
    shingle among many."""

    num_perm: int = 48
    """Permutations datasketch may use when it picks ``bands x rows`` for a threshold;
    signatures are computed only for the permutations the bands use (48 for passages,
    45 for documents with the defaults)."""

    seed: int = 1
    """Seed of the permutations (datasketch's default), fixed so ids and clusters are
    the same in every run."""

    min_words: int = 5
    """Passages with fewer words are not matched: a few words ("the ministry said")
    recur by chance.  Quotations shorter than this do not split a sentence."""

    passage_lsh_threshold: float = 0.3
    """LSH threshold for passages: datasketch picks 24 bands x 2 rows.  Set low so that
    a sentence reused inside a longer one (containment 0.6-0.7, Jaccard 0.3-0.4) is
    found; verification then decides."""

    passage_min_band_hits: int = 2
    """Bands two passages must share to become candidates.  With 24 x 2, requiring two
    hits keeps a pair at Jaccard 0.5 with probability 0.99 (0.36: 0.84) while a pair
    that shares one stock phrase (Jaccard 0.05-0.1) passes with 0.002-0.02 instead of
    0.06-0.2: an order of magnitude less verification work."""

    passage_jaccard: float = 0.5
    """Exact Jaccard similarity of shingle sets at which two passages are linked."""

    passage_containment: float = 0.6
    """Share of the smaller passage's shingles found in the larger one at which two
    passages are linked even when their Jaccard similarity is lower (a sentence reused
    inside a longer one).  Measured on the 300 dev pages: candidate pairs with
    containment of 0.6 or more were reworded or templated copies of each other, pairs
    below 0.4 unrelated sentences sharing a phrase."""

    containment_min_shingles: int = 8
    """Containment links need the smaller passage to have at least this many shingles
    (about ten words); on fewer, a couple of shared phrases make containment 1.0."""

    doc_min_band_hits: int = 1
    """Bands two documents must share (documents are few; one hit suffices)."""

    doc_lsh_threshold: float = 0.5
    """LSH threshold for whole documents (datasketch picks 15 x 3; a pair at the
    verification threshold 0.8 becomes a candidate with probability above 0.999)."""

    doc_jaccard: float = 0.8
    """Exact Jaccard similarity of two documents' shingle sets at which the later one
    is a near-duplicate (``duplicate_of``) of the earlier one: a republication with
    small edits."""

    passage_bands_rows: tuple[int, int] | None = None
    """Explicit ``(bands, rows)`` for passages instead of datasketch's choice."""

    doc_bands_rows: tuple[int, int] | None = None
    """Explicit ``(bands, rows)`` for documents instead of datasketch's choice."""

    bucket_cap: int = 16
    """Buckets with more members than this yield only the pairs among their first
    ``bucket_cap`` members and the first member with every other (linear cost)."""

    def __post_init__(self) -> None:
        for name in ("passage_lsh_threshold", "passage_jaccard", "passage_containment", "doc_lsh_threshold", "doc_jaccard"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}")
        if not 1 <= self.ngram <= MAX_NGRAM:
            raise ValueError(f"ngram must be between 1 and {MAX_NGRAM}, got {self.ngram}")
        if self.containment_min_shingles < 1:
            raise ValueError(f"containment_min_shingles must be at least 1, got {self.containment_min_shingles}")
        if self.num_perm < 2:
            raise ValueError(f"num_perm must be at least 2, got {self.num_perm}")
        if self.min_words < self.ngram:
            raise ValueError(f"min_words ({self.min_words}) must be at least ngram ({self.ngram})")
        for name in ("passage_bands_rows", "doc_bands_rows"):
            value = getattr(self, name)
            if value is not None and (min(value) < 1 or value[0] * value[1] > self.num_perm):
                raise ValueError(f"{name.removesuffix('_rows')} {value[0]}x{value[1]} uses {value[0] * value[1]} "
                                 f"permutations; it needs at least 1 band and 1 row, and at most num_perm "
                                 f"({self.num_perm}) permutations")
        if self.passage_min_band_hits > self.passage_bands[0] or self.doc_min_band_hits > self.doc_bands[0]:
            raise ValueError("min band hits cannot exceed the number of bands")
        if min(self.passage_min_band_hits, self.doc_min_band_hits) < 1:
            raise ValueError("min band hits must be at least 1")
        if self.bucket_cap < 2:
            raise ValueError(f"bucket_cap must be at least 2, got {self.bucket_cap}")

    @property
    def passage_bands(self) -> tuple[int, int]:
        """Passage LSH ``(bands, rows)``: as given, else datasketch's optimum for the threshold."""
        return self.passage_bands_rows or lsh_bands(self.passage_lsh_threshold, self.num_perm)

    @property
    def doc_bands(self) -> tuple[int, int]:
        """Document LSH ``(bands, rows)``: as given, else datasketch's optimum for the threshold."""
        return self.doc_bands_rows or lsh_bands(self.doc_lsh_threshold, self.num_perm)

    @property
    def signature_width(self) -> int:
        """Permutations a signature needs: the most that either level's bands use."""
        return max(b * r for b, r in (self.passage_bands, self.doc_bands))

    @property
    def passage_rule(self) -> MatchRule:
        """When two passages match: Jaccard, or containment of a long enough one."""
        return MatchRule(self.passage_jaccard, self.passage_containment, self.containment_min_shingles)

    @property
    def doc_rule(self) -> MatchRule:
        """When two documents match: Jaccard alone."""
        return MatchRule(self.doc_jaccard)

    def describe(self) -> dict:
        """Parameters and the band settings derived from them (for the manifest)."""
        described = asdict(self)
        described["passage_bands_rows"] = list(self.passage_bands)
        described["doc_bands_rows"] = list(self.doc_bands)
        return described


@dataclass(frozen=True)
class CleanParams:
    """When a line counts as recurring across a source, and so as boilerplate.

    A line (compared in ``line_hashes`` form: case, ASCII punctuation and digits
    ignored) recurs when at least ``recurring_min_docs`` documents of the source
    contain it *and* at least ``recurring_min_share`` of them do."""

    recurring_min_docs: int = 5
    """Site chrome, newsletter plugs and disclaimers are on nearly every page, while an
    article's own sentences recur in a handful at most: the updates of one story, a
    series that repeats its background paragraph, a republished wire story.  Five keeps
    those; below five documents a source is cleaned by the block classifier alone,
    which also covers a single document."""

    recurring_min_share: float = 0.02
    """In a large source a fixed count is too easy to reach: a background paragraph
    reused by a 30-story series is in 30 documents.  One document in fifty means 20 of
    1,000 and 200 of 10,000, still far below chrome, which is on most pages (or on
    every page of a section)."""

    def __post_init__(self) -> None:
        if self.recurring_min_docs < 2:
            raise ValueError(f"recurring_min_docs must be at least 2, got {self.recurring_min_docs}")
        if not 0.0 <= self.recurring_min_share <= 1.0:
            raise ValueError(f"recurring_min_share must be in [0, 1], got {self.recurring_min_share}")

    def min_support(self, documents: int) -> int:
        """Documents of a source with ``documents`` documents that must contain a line."""
        return max(self.recurring_min_docs, math.ceil(self.recurring_min_share * documents - 1e-9))

    def describe(self) -> dict:
        """The parameters (for the manifest)."""
        return asdict(self)


@dataclass(frozen=True)
class ReadParams:
    """How inputs are read, and the limits that keep one input from taking a worker down."""

    max_document_bytes: int = 10 * 1024 * 1024
    """A page (a file, or a record of a WARC or JSONL file) larger than this is an error
    row (``DocumentTooLarge``) and is never read into memory.  News articles are a few
    kilobytes of text and rarely over 1 MB of HTML; 10 MB leaves room for pages with
    inline scripts and images while bounding what one element costs a worker.  An
    error row rather than truncation: a cut page would be deduplicated as if whole."""

    max_line_chars: int = 20_000
    """Lines of plain text longer than this are broken at a space before the limit (no
    text is dropped).  Scrapers sometimes write a whole article, or a minified blob, as
    one line; the block classifier and the segmenter look at lines, and a 20,000
    character line is already far longer than any paragraph."""

    split_bytes: int = 64 * 1024 * 1024
    """JSONL and gzipped WARC/WET files larger than this are read in ranges of this
    size by different workers (Beam's own text reader splits at 64 MB as well)."""

    jsonl_fields: tuple[tuple[str, str], ...] = ()
    """JSON keys of the fields of a JSONL record, where they differ from the field names
    (``text``, ``html``, ``url``, ``title``, ``published``, ``source``)."""

    def __post_init__(self) -> None:
        for name in ("max_document_bytes", "max_line_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        if self.split_bytes < 0:
            raise ValueError("--split-bytes must be 0 (never split) or more")

    def describe(self) -> dict:
        """The parameters (for the manifest)."""
        described = asdict(self)
        described["jsonl_fields"] = dict(self.jsonl_fields)
        return described
