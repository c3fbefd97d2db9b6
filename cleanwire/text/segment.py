"""Split a cleaned document into passages: sentences and sub-sentence pieces.

A *passage* is the unit of near-duplicate matching.  Sentences tile the text; on top of
them, two kinds of *pieces* make reuse visible that a whole sentence hides:

* ``quote``: the quoted part of a sentence, when the quotation is long enough to be a
  real quotation (``min_words``) rather than a scare-quoted word.  The same quotation
  is often attributed differently in two outlets (``“…,” Balanche said`` versus
  ``"…," he said``); its quoted part is identical.
* ``clause``: the unquoted rest of such a sentence, and the parts of a sentence split
  where an attribution verb follows a comma (``Matthew Henman, head of IHS…, said the
  advance…``), so that the attribution itself can be matched.

Every passage is a character range ``[start, end)`` of the text; pieces lie inside their
parent sentence.  Each function makes a few regex passes over the whole text and does
per-sentence Python work only for sentences that contain quotes or attributions, since
segmentation runs on every document.  Functions here are pure and know nothing of Beam.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple

import numpy as np

from cleanwire.text.tokens import TextIndex, index_text

__all__ = ["CLAUSE", "QUOTE", "SENTENCE", "Span", "paragraphs", "quote_spans", "segment", "sentences"]

SENTENCE, QUOTE, CLAUSE = "sentence", "quote", "clause"


class Span(NamedTuple):
    """A passage: ``text[start:end]``, its kind and the number of its sentence."""

    start: int
    end: int
    kind: str
    sentence: int


_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each paragraph: blocks separated by blank lines."""
    bounds, pos = [], 0
    for m in _BLANK_LINES.finditer(text):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(text)))
    return [_strip(text, a, b) for a, b in bounds if text[a:b].strip()]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    stripped = piece.lstrip()
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


# --- sentences ---------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr gen col lt sgt capt cmdr adm gov sen rep rev hon pres
    inc ltd co corp bros jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu
    fri sat sun no nos vs etc approx est dept univ fig figs vol pp ca cf al
    bzw ggf usw vgl nr hr fr str abs mio mrd""".split()
)
_OPENERS = "\"'“‘«„([¿¡"
# After end punctuation: closing quotes or brackets, horizontal whitespace, then the
# first letter or digit of what follows (possibly behind opening quotes or brackets).
_AFTER_END = re.compile(r"[\"'”’»)\]]*([^\S\n]+)(?=[\"'“‘«„(\[¿¡]{0,2}(\w))")
_AFTER_CJK_END = re.compile(r"[」』”’）]*")
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")


def _latin_cut(text: str, first: int, last: int) -> tuple[int, int] | None:
    """``(end of this sentence, start of the next)`` if the punctuation run
    ``text[first:last+1]`` ends a sentence, else None."""
    m = _AFTER_END.match(text, last + 1)
    if m is None:
        return None
    nxt = m.group(2)
    if nxt.islower() or not (nxt.isalpha() or nxt.isdigit()):
        return None
    if last == first and text[first] == ".":
        # A single full stop ends a sentence unless it ends an abbreviation or an initial.
        word = text[max(text.rfind(" ", 0, first), text.rfind("\n", 0, first)) + 1:first].lstrip(_OPENERS)
        if (len(word) == 1 and word.isalpha()) or _DOTTED.fullmatch(word + "."):
            return None  # "J. Smith", "U.S."
        if word.rsplit("-", 1)[-1].lower() in _ABBREVIATIONS:  # "Sen.", "then-Rep.", "ex-Gov."
            return None
    return m.start(1), m.end()


def _runs(positions: np.ndarray) -> list[tuple[int, int]]:
    """Group sorted positions into runs of consecutive ones: (first, last) pairs."""
    if positions.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(positions) != 1)
    firsts = np.concatenate(([positions[0]], positions[breaks + 1]))
    lasts = np.concatenate((positions[breaks], [positions[-1]]))
    return list(zip(firsts.tolist(), lasts.tolist()))


def sentences(text: str, index: TextIndex | None = None) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of the sentences of ``text``, in order.

    Rule based: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes
    or brackets) followed by whitespace and an upper-case letter, a digit, a letter of
    a caseless script or an opening quote, unless the full stop ends a known
    abbreviation or an initial; ``。！？`` and every line break end a sentence.  Ranges
    exclude surrounding whitespace; together they cover every non-space character.
    ``index`` is ``index_text(text)``, computed when not given.
    """
    index = index_text(text) if index is None else index
    # Each cut is (end of one sentence, start of the next).
    cuts = [c for first, last in _runs(index.end_marks) if (c := _latin_cut(text, first, last))]
    for _, last in _runs(index.cjk_end_marks):
        end = _AFTER_CJK_END.match(text, last + 1).end()
        cuts.append((end, end))
    cuts += [(p, p + 1) for p in index.newlines.tolist()]
    cuts.sort()
    ranges, start = [], 0
    for end, following in cuts + [(len(text), len(text))]:
        if end > start:
            if text[start].isspace() or text[end - 1].isspace():
                start, end = _strip(text, start, end)
            if start < end:
                ranges.append((start, end))
        start = max(start, following)
    return ranges


# --- quotations --------------------------------------------------------------------

# Opening mark -> closing marks.  Straight double quotes pair with each other.
_QUOTE_PAIRS = {
    "“": "”", "„": "“”", "«": "»", "‹": "›", "‘": "’", "‚": "‘’", '"': '"', "「": "」", "『": "』",
}
_WORDLIKE = re.compile(r"\w")


def _opens_quote(text: str, i: int) -> bool:
    mark = text[i]
    if mark in "‘\"":
        # An apostrophe or a closing straight quote follows a word character.
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        return not _WORDLIKE.match(before) and not after.isspace()
    return True


def _closes_quote(text: str, j: int, closers: str) -> bool:
    if text[j] not in closers:
        return False
    if text[j] == "’":
        # ’ followed by a letter is an apostrophe (Syria’s), not a closing quote.
        return not (j + 1 < len(text) and _WORDLIKE.match(text[j + 1]))
    return True


def quote_spans(text: str, index: TextIndex | None = None) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` ranges inside the quotation marks of ``text``.

    Recognises “…”, „…“, «…», ‹…›, ‘…’, "…", 「…」 and 『…』; an apostrophe is not
    taken for a quote.  A quotation never crosses a paragraph break; a double quotation
    left open runs to the end of its paragraph (news style leaves a quotation open when
    it continues in the next paragraph); an open single quotation is ignored.  Nested
    quotations are part of the outer one.  ``index`` is ``index_text(text)``.
    """
    index = index_text(text) if index is None else index
    marks = index.quote_marks.tolist()
    if not marks:
        return []
    # Where each paragraph's blank-line break starts: a quotation mark, never a space,
    # lies before the first break at or after it.
    breaks = [m.start() for m in _BLANK_LINES.finditer(text)] + [len(text)]
    spans, k = [], 0
    while k < len(marks):
        i = marks[k]
        k += 1
        mark = text[i]
        if mark not in _QUOTE_PAIRS or not _opens_quote(text, i):
            continue
        limit = breaks[bisect_left(breaks, i)]
        while text[limit - 1].isspace():  # the paragraph's end without trailing spaces
            limit -= 1
        closers = _QUOTE_PAIRS[mark]
        while k < len(marks) and marks[k] < limit and not _closes_quote(text, marks[k], closers):
            k += 1
        if k < len(marks) and marks[k] < limit:
            spans.append((i + 1, marks[k]))
            k += 1
        elif mark not in "‘‚‹":
            spans.append((i + 1, limit))
    return spans


# --- pieces ------------------------------------------------------------------------

_ATTRIBUTION = re.compile(
    r",\s+(?=(?:said|says|told|added|adds|explained|noted|stated|warned|wrote|insisted|"
    r"argued|claimed|declared|announced|replied|commented|sagte|erklärte|betonte|"
    r"dijo|afirmó|señaló|explicó|aseguró|a déclaré|a affirmé|a expliqué|ha detto)\b)",
    re.IGNORECASE,
)
_TRIM = " \t\n,;:–—-\"'“”„«»‘’‹›「」『』"


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _pieces(
    text: str, index: TextIndex, start: int, end: int, quotes: list[tuple[int, int]], cuts: list[int], min_words: int
) -> list[tuple[int, int, str]]:
    """Quote and clause pieces of the sentence ``[start, end)``, ordered by start."""
    found = [(a, b, QUOTE) for a, b in quotes]
    pos = start
    for a, b in quotes + [(end, end)]:
        if a > pos:  # an unquoted stretch, split at attribution cuts
            bounds = [pos] + [c for c in cuts if pos < c < a] + [a]
            found.extend((x, y, CLAUSE) for x, y in zip(bounds, bounds[1:]))
        pos = max(pos, b)
    sentence_words = index.count(start, end)
    pieces, seen = [], set()
    for a, b, kind in found:
        a, b = _trimmed(text, a, b)
        if (a, b) in seen or a >= b:
            continue
        seen.add((a, b))
        words = index.count(a, b)
        if min_words <= words < sentence_words:
            pieces.append((a, b, kind))
    return sorted(pieces, key=lambda p: (p[0], -p[1]))


def segment(text: str, min_words: int = 5, index: TextIndex | None = None) -> list[Span]:
    """Return the passages of ``text`` in passage order.

    Each sentence comes first, followed by its pieces ordered by start.  Sentences of
    any length are returned (they tile the text; none spans a line break); pieces are
    returned only when they have at least ``min_words`` words and fewer words than their
    sentence.  A quotation defines pieces only when it has at least ``min_words`` words.
    ``index`` is ``index_text(text)``, computed when not given.
    """
    index = index_text(text) if index is None else index
    quotes = [(a, b) for a, b in quote_spans(text, index) if index.count(a, b) >= min_words]
    quote_edges = sorted({x for q in quotes for x in q})
    cuts = [m.start() for m in _ATTRIBUTION.finditer(text)]
    passages: list[Span] = []
    for number, (start, end) in enumerate(sentences(text, index)):
        passages.append(Span(start, end, SENTENCE, number))
        has_quote_edge = bisect_right(quote_edges, end) > bisect_left(quote_edges, start)
        if not has_quote_edge:
            has_cut = bisect_right(cuts, end) > bisect_left(cuts, start)
            # A sentence wholly inside a quotation is not split at attributions.
            if not has_cut or any(a < start and b > end for a, b in quotes):
                continue
        overlapping = [(max(a, start), min(b, end)) for a, b in quotes if a < end and b > start]
        for a, b, kind in _pieces(text, index, start, end, overlapping, cuts, min_words):
            passages.append(Span(a, b, kind, number))
    return passages
