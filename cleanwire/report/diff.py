"""Word-level differences between near-duplicate passages.

Words are compared in cleanwire's matching form (``cleanwire.text.tokens``): lower-cased
tokens of letters, digits and marks, so case, punctuation and quote style never count as
a difference (``“…,” Balanche said`` against ``"…," he said`` differs in one word).  The
display keeps each passage's own characters; only whole tokens are ever marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from cleanwire.text.tokens import index_text

__all__ = ["Segment", "changed_words", "compare", "word_diff"]


@dataclass(frozen=True)
class Segment:
    """A run of a passage's characters; ``changed`` when its words are not in the other side."""

    text: str
    changed: bool


def _changed_flags(hashes_a: list[int], hashes_b: list[int]) -> tuple[list[bool], list[bool]]:
    """Per token of each side: not part of a matching block of the other side."""
    # Token hashes are exact stand-ins for the lower-cased tokens (64-bit, same text same
    # hash), and ints compare faster than strings.  autojunk would drop frequent words
    # ("the") from long passages and mark them as changed.
    matcher = SequenceMatcher(None, hashes_a, hashes_b, autojunk=False)
    changed_a, changed_b = [True] * len(hashes_a), [True] * len(hashes_b)
    for i, j, size in matcher.get_matching_blocks():
        changed_a[i:i + size] = [False] * size
        changed_b[j:j + size] = [False] * size
    return changed_a, changed_b


def _segments(text: str, starts: list[int], ends: list[int], changed: list[bool]) -> list[Segment]:
    """Cut ``text`` into segments; a run of changed tokens and the gaps inside it form one
    changed segment, every other character an unchanged one."""
    segments: list[Segment] = []
    position = 0
    i = 0
    while i < len(starts):
        if not changed[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(starts) and changed[j + 1]:
            j += 1
        if starts[i] > position:
            segments.append(Segment(text[position:starts[i]], False))
        segments.append(Segment(text[starts[i]:ends[j]], True))
        position = ends[j]
        i = j + 1
    if position < len(text):
        segments.append(Segment(text[position:], False))
    return segments


def word_diff(a: str, b: str) -> tuple[list[Segment], list[Segment]]:
    """Diff passage ``a`` against passage ``b`` word by word.

    Returns the segments of ``a`` and of ``b``: concatenating a side's segment texts gives
    back that passage exactly.  A segment is ``changed`` when it holds tokens that the
    other passage does not have at that place (difflib's longest matching blocks over the
    matching tokens); punctuation, spacing, case and quote marks are never changed on
    their own.
    """
    reference, (other,) = compare(a, [b])
    return reference, other


def compare(reference: str, others: list[str]) -> tuple[list[Segment], list[list[Segment]]]:
    """Diff each of ``others`` against ``reference`` (a cluster's canonical passage).

    Returns the segments of ``reference`` and, in order, of every other passage, as
    ``word_diff`` defines them.  A word of ``reference`` is changed when none of
    ``others`` has it (what only the canonical says: a quote that is part of the
    canonical sentence does not mark the rest of the sentence); each other passage's
    changed words are those it does not share with ``reference``.  With one other
    passage this is exactly ``word_diff``; with none, nothing is changed.
    """
    index_ref = index_text(reference)
    hashes_ref = index_ref.hashes.tolist()
    changed_ref = [bool(others)] * len(hashes_ref)
    segments_others = []
    for other in others:
        index_other = index_text(other)
        flags_ref, flags_other = _changed_flags(hashes_ref, index_other.hashes.tolist())
        changed_ref = [x and y for x, y in zip(changed_ref, flags_ref)]
        segments_others.append(_segments(other, index_other.starts.tolist(), index_other.ends.tolist(), flags_other))
    return _segments(reference, index_ref.starts.tolist(), index_ref.ends.tolist(), changed_ref), segments_others


def changed_words(segments: list[Segment]) -> list[str]:
    """The texts of the changed segments, in order (for tests and summaries)."""
    return [segment.text for segment in segments if segment.changed]
