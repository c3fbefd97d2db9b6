"""Remove passages from a text and tidy what is left."""

from __future__ import annotations

import re

__all__ = ["without_spans"]

_EMPTY_QUOTES = re.compile(r"[\"“„«‘']\s*[,.;:]?\s*[\"”“»’']")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_LEADING_PUNCT = re.compile(r"^[\s,.;:–—-]+")
_WORD = re.compile(r"\w")


def _tidy(paragraph: str) -> str:
    paragraph = _EMPTY_QUOTES.sub(" ", paragraph)
    paragraph = " ".join(paragraph.split())
    paragraph = _SPACE_BEFORE_PUNCT.sub(r"\1", paragraph)
    return _LEADING_PUNCT.sub("", paragraph)


def without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Return ``text`` with the character ranges ``spans`` cut out.

    Overlapping ranges are merged.  In each paragraph (blank-line separated) that lost
    something, the remains are tidied: emptied quotation marks, doubled spaces and
    leading punctuation go, and a paragraph left without any word is dropped.
    Paragraphs that lost nothing are returned unchanged.
    """
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, pos = [], 0
    for start, end in merged:
        pieces.append(text[pos:start])
        pieces.append("\0")  # marks a cut, so only touched paragraphs are tidied
        pos = end
    pieces.append(text[pos:])
    paragraphs = []
    for paragraph in "".join(pieces).split("\n\n"):
        if "\0" in paragraph:
            paragraph = _tidy(paragraph.replace("\0", " "))
        if _WORD.search(paragraph):
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)
